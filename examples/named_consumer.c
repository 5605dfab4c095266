// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Create a named kipc channel as its consumer and check COUNT messages
 * from named_producer (a separately started program).
 *
 *   named_consumer NAME COUNT [MODE [FLAGS]]
 *
 * FLAGS is a comma-separated list of guarantees to ask for:
 * "multi-consumer" and "credentials" (both make the kmod backend use a
 * kernel queue).  With "credentials" every message must carry the
 * kernel-verified pid and uid of one and the same sender, of our uid.
 *
 * Prints "ready" once the channel exists, "ok N" at the end; exits 0
 * when all COUNT messages arrived intact and in order, then end of
 * stream.  Every wait has a 60 s deadline, so it cannot hang.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kipc.h>

#include "named_common.h"

/* KIPC_F_* of a FLAGS argument, or -1 for an unknown word. */
static long parse_flags(char *arg)
{
	long flags = 0;

	for (char *w = strtok(arg, ","); w; w = strtok(NULL, ",")) {
		if (!strcmp(w, "multi-consumer"))
			flags |= KIPC_F_MULTI_CONSUMER;
		else if (!strcmp(w, "credentials"))
			flags |= KIPC_F_CREDENTIALS;
		else
			return -1;
	}
	return flags;
}

/* Receive one message; with credentials, check who sent it. */
static int recv_checked(kipc_chan ch, uint8_t *buf, size_t size, bool creds,
			int32_t *sender)
{
	struct kipc_msg m = { .buf = buf, .len = size };
	uint64_t deadline = kipc_now() + 60000000000ULL;
	int ret;

	if (!creds)
		return kipc_recv_timed(ch, buf, size, deadline);
	ret = kipc_recv_batch(ch, &m, 1, deadline);
	if (ret <= 0)
		return ret;
	if (!(m.flags & KIPC_MSG_CRED) || m.uid != geteuid() || m.pid <= 0 ||
	    (*sender && m.pid != *sender)) {
		fprintf(stderr, "bad credentials: flags %u pid %d uid %u\n",
			m.flags, m.pid, m.uid);
		return -EBADMSG;
	}
	*sender = m.pid;
	return (int)m.len;
}

int main(int argc, char **argv)
{
	struct kipc_opts o;
	kipc_chan ch;
	uint8_t buf[4096];
	unsigned long count, got = 0;
	int32_t sender = 0;
	long flags = 0;
	int ret;

	if (argc < 3) {
		fprintf(stderr, "usage: %s NAME COUNT [MODE [FLAGS]]\n", argv[0]);
		return 2;
	}
	count = strtoul(argv[2], NULL, 0);
	if (argc > 4)
		flags = parse_flags(argv[4]);
	if (flags < 0) {
		fprintf(stderr, "FLAGS: multi-consumer, credentials\n");
		return 2;
	}
	kipc_opts_init(&o);
	o.flags = KIPC_F_EXCL | (uint32_t)flags;
	o.mode = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 8) : 0600;
	ret = kipc_create(&ch, argv[1], KIPC_CONSUMER, &o);
	if (ret < 0) {
		fprintf(stderr, "kipc_create %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	printf("ready %s\n", kipc_backend_name(kipc_backend(ch)));
	fflush(stdout);
	while (got < count) {
		ret = recv_checked(ch, buf, sizeof(buf),
				   flags & KIPC_F_CREDENTIALS, &sender);
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
		ret = recv_checked(ch, buf, sizeof(buf),
				   flags & KIPC_F_CREDENTIALS, &sender);
	kipc_unlink(argv[1], &o);
	kipc_close(ch);
	printf("%s %lu", got == count && ret == 0 ? "ok" : "FAILED", got);
	if (sender)
		printf(" from pid %d", (int)sender);
	printf("\n");
	if (ret < 0)
		fprintf(stderr, "kipc_recv: %s\n", strerror(-ret));
	return got == count && ret == 0 ? 0 : 1;
}
