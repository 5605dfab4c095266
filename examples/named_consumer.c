// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Create a named kipc channel as its consumer and check COUNT messages
 * from named_producer (a separately started program).
 *
 *   named_consumer NAME COUNT [MODE]
 *
 * Prints "ready" once the channel exists, "ok N" at the end; exits 0
 * when all COUNT messages arrived intact and in order, then end of
 * stream.  Every wait has a 60 s deadline, so it cannot hang.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kipc.h>

#include "named_common.h"

int main(int argc, char **argv)
{
	struct kipc_opts o;
	kipc_chan *ch;
	uint8_t buf[4096];
	unsigned long count, got = 0;
	int ret;

	if (argc < 3) {
		fprintf(stderr, "usage: %s NAME COUNT [MODE]\n", argv[0]);
		return 2;
	}
	count = strtoul(argv[2], NULL, 0);
	kipc_opts_init(&o);
	o.flags = KIPC_F_EXCL;
	o.mode = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 8) : 0600;
	ret = kipc_create(&ch, argv[1], KIPC_CONSUMER, &o);
	if (ret < 0) {
		fprintf(stderr, "kipc_create %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	printf("ready %s\n", kipc_backend_name(kipc_backend(ch)));
	fflush(stdout);
	while (got < count) {
		ret = kipc_recv_timed(ch, buf, sizeof(buf), kipc_now() + 60000000000ULL);
		if (ret <= 0)
			break;
		if (named_check(buf, (uint32_t)ret, (uint32_t)got)) {
			fprintf(stderr, "message %lu corrupt or out of order\n", got);
			ret = -1;
			break;
		}
		got++;
	}
	if (ret > 0)	/* all there: the producer's exit ends the stream */
		ret = kipc_recv_timed(ch, buf, sizeof(buf), kipc_now() + 60000000000ULL);
	kipc_unlink(argv[1], &o);
	kipc_close(ch);
	printf("%s %lu\n", got == count && ret == 0 ? "ok" : "FAILED", got);
	if (ret < 0)
		fprintf(stderr, "kipc_recv: %s\n", strerror(-ret));
	return got == count && ret == 0 ? 0 : 1;
}
