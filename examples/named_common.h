/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Message format shared by named_producer and named_consumer: a header
 * with the sequence number and length, then bytes derived from both, so
 * the consumer can check every byte.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef NAMED_COMMON_H
#define NAMED_COMMON_H

#include <stdint.h>
#include <string.h>

struct named_msg {
	uint32_t seq;
	uint32_t len;
};

static inline uint8_t named_byte(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 31 + i * 7);
}

static inline uint32_t named_len(uint32_t seq)
{
	return (uint32_t)sizeof(struct named_msg) + (seq * 2654435761U) % 2000;
}

static inline void named_fill(uint8_t *buf, uint32_t seq)
{
	struct named_msg h = { .seq = seq, .len = named_len(seq) };

	memcpy(buf, &h, sizeof(h));
	for (uint32_t i = sizeof(h); i < h.len; i++)
		buf[i] = named_byte(seq, i);
}

/* 0 when @buf of @len bytes is message @seq. */
static inline int named_check(const uint8_t *buf, uint32_t len, uint32_t seq)
{
	struct named_msg h;

	if (len < sizeof(h))
		return -1;
	memcpy(&h, buf, sizeof(h));
	if (h.seq != seq || h.len != len || len != named_len(seq))
		return -1;
	for (uint32_t i = sizeof(h); i < len; i++)
		if (buf[i] != named_byte(seq, i))
			return -1;
	return 0;
}

#endif /* NAMED_COMMON_H */
