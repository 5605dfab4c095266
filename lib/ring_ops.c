// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkipc - the channel operations of the ring backends (kmod, shm):
 * copies in and out of the ring, on top of the zero-copy primitives.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "kipc_private.h"

void kipc__ring_attach(struct kipc_chan *ch,
		       const struct kipc_ring_sleep_ops *sops)
{
	struct kipc_ring *r = &ch->ring;

	r->spin = ch->spin;
	r->st_spins = &ch->st.spins;
	r->st_sleeps = &ch->st.sleeps;
	r->st_wakes = &ch->st.wakes;
	r->sops = sops;
	r->owner = ch;
	/* channel.c relies on it: see kipc_ring_send_inline(). */
	if (ch->max_msg > r->max_record)
		ch->max_msg = (uint32_t)r->max_record;
	ch->capacity = r->size;
}

int kipc__ring_sendv(struct kipc_chan *ch, const struct iovec *iov, int iovcnt,
		     size_t len, uint64_t deadline)
{
	void *p;
	int ret;

	if (iovcnt == 1)
		return kipc_ring_send(&ch->ring, iov[0].iov_base, len, deadline);
	ret = kipc_ring_reserve(&ch->ring, &p, len, deadline);
	if (ret)
		return ret;
	kipc__iov_copy_out(p, iov, iovcnt, len);
	ret = kipc_ring_commit(&ch->ring, len);
	return ret ? ret : (int)len;
}

int kipc__ring_recv(struct kipc_chan *ch, struct kipc_msg *m, uint64_t deadline)
{
	return kipc_ring_recv(&ch->ring, m->buf, m->len, deadline);
}

int kipc__ring_send(struct kipc_chan *ch, const void *buf, size_t len,
		    uint64_t deadline)
{
	return kipc_ring_send(&ch->ring, buf, len, deadline);
}

int kipc__ring_send_batch(struct kipc_chan *ch, const struct kipc_msg *msgs,
			  unsigned int n, uint64_t deadline)
{
	return kipc_ring_send_batch(&ch->ring, msgs, n, ch->max_msg, deadline);
}

int kipc__ring_recv_batch(struct kipc_chan *ch, struct kipc_msg *msgs,
			  unsigned int n, uint64_t deadline)
{
	return kipc_ring_recv_batch(&ch->ring, msgs, n, deadline);
}

int kipc__ring_reserve(struct kipc_chan *ch, void **buf, size_t len,
		       uint64_t deadline)
{
	return kipc_ring_reserve(&ch->ring, buf, len, deadline);
}

int kipc__ring_commit(struct kipc_chan *ch, size_t len)
{
	return kipc_ring_commit(&ch->ring, len);
}

int kipc__ring_abort(struct kipc_chan *ch)
{
	return kipc_ring_abort(&ch->ring);
}

int kipc__ring_peek(struct kipc_chan *ch, const void **buf, uint64_t deadline)
{
	return kipc_ring_peek(&ch->ring, buf, deadline);
}

int kipc__ring_release(struct kipc_chan *ch)
{
	return kipc_ring_release(&ch->ring);
}

int kipc__ring_poll_arm(struct kipc_chan *ch)
{
	return kipc_ring_poll_arm(&ch->ring);
}

uint64_t kipc__ring_depth(struct kipc_chan *ch)
{
	return kipc_ring_depth(&ch->ring);
}
