// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Open a named kipc channel (made by named_consumer) as a producer and
 * send COUNT checkable messages.  Waits up to 30 s for the name.
 *
 *   named_producer NAME COUNT
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kipc.h>

#include "named_common.h"

int main(int argc, char **argv)
{
	uint8_t buf[4096];
	unsigned long count;
	kipc_chan ch;
	int ret;

	if (argc < 3) {
		fprintf(stderr, "usage: %s NAME COUNT\n", argv[0]);
		return 2;
	}
	count = strtoul(argv[2], NULL, 0);
	/* The consumer may not have created the name yet: wait 30 s for it. */
	ret = kipc_open(&ch, argv[1], KIPC_PRODUCER, NULL,
			kipc_now() + 30000000000ULL);
	if (ret < 0) {
		fprintf(stderr, "kipc_open %s: %s\n", argv[1], strerror(-ret));
		return ret == -EACCES ? 13 : 1;
	}
	for (unsigned long i = 0; i < count; i++) {
		named_fill(buf, (uint32_t)i);
		ret = kipc_send_timed(ch, buf, named_len((uint32_t)i),
				      kipc_now() + 60000000000ULL);
		if (ret < 0) {
			fprintf(stderr, "kipc_send: %s\n", strerror(-ret));
			return 1;
		}
	}
	kipc_close(ch);
	return 0;
}
