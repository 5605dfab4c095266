// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * fastpath - instructions per message on the ring fast path, in one
 * process, for callgrind: fill 32 messages of 64 B, drain them, repeat.
 * Modes: shm-futex and shm-futex-batch (kipc-bench's hand-written ring,
 * through its own operations), kipc-shm and kipc-shm-batch (libkipc's
 * shm backend, KIPC_SPIN_NONE, kipc_send/kipc_recv or the batch calls).
 * No other process and no waiting: what is left is the per-message
 * instruction cost of each path.  run.sh builds it and prints the
 * figures; see Documentation/performance.rst, "libkipc fast path".
 *
 * Copyright (C) 2026 The kipc authors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kipc.h"
#include "bench.h"

#define B	32U
#define LEN	64U

static unsigned char msg[LEN * B] = { 1 }, buf[LEN * B];

static int run_baseline(int batch, long iters)
{
	const struct bench_mech *m = bench_mech_find("shm-futex");
	struct bench_chan_cfg cfg = {
		.msg_size = LEN, .budget = 256 << 10, .nprod = 1, .batch = B,
	};
	int err = 0;
	void *ch = m->open(m, &cfg, &err);

	if (!ch || (m->attach && m->attach(ch, ROLE_PRODUCER)))
		return 1;
	for (long i = 0; i < iters; i++) {
		if (batch) {
			if (m->send_batch(ch, msg, B))
				return 2;
			for (unsigned int got = 0; got < B;) {
				int r = m->recv_batch(ch, buf, B - got);

				if (r <= 0)
					return 3;
				got += (unsigned int)r;
			}
			continue;
		}
		for (unsigned int j = 0; j < B; j++)
			if (m->send(ch, msg))
				return 2;
		for (unsigned int j = 0; j < B; j++)
			if (m->recv(ch, buf))
				return 3;
	}
	return 0;
}

static int run_kipc(int batch, long iters)
{
	struct kipc_msg ms[B], mr[B];
	kipc_chan tx, rx;
	struct kipc_opts o;

	kipc_opts_init(&o);
	o.backend = KIPC_BACKEND_SHM;
	o.capacity = 256 << 10;
	o.spin = KIPC_SPIN_NONE;
	if (kipc_pair(&tx, &rx, &o))
		return 1;
	for (unsigned int j = 0; j < B; j++)
		ms[j] = (struct kipc_msg){ .buf = msg + j * LEN, .len = LEN };
	for (long i = 0; i < iters; i++) {
		if (batch) {
			if (kipc_send_batch(tx, ms, B, KIPC_FOREVER) != (int)B)
				return 2;
			for (unsigned int j = 0; j < B; j++)
				mr[j] = (struct kipc_msg){ .buf = buf + j * LEN, .len = LEN };
			if (kipc_recv_batch(rx, mr, B, KIPC_FOREVER) != (int)B)
				return 3;
			continue;
		}
		for (unsigned int j = 0; j < B; j++)
			if (kipc_send(tx, msg, LEN) != (int)LEN)
				return 2;
		for (unsigned int j = 0; j < B; j++)
			if (kipc_recv(rx, buf, LEN) != (int)LEN)
				return 3;
	}
	kipc_close(tx);
	kipc_close(rx);
	return 0;
}

int main(int argc, char **argv)
{
	int batch;

	if (argc != 3) {
		fprintf(stderr, "usage: fastpath MODE ITERATIONS\n");
		return 64;
	}
	batch = strstr(argv[1], "-batch") != NULL;
	if (!strncmp(argv[1], "shm-futex", 9))
		return run_baseline(batch, atol(argv[2]));
	if (!strncmp(argv[1], "kipc-shm", 8))
		return run_kipc(batch, atol(argv[2]));
	fprintf(stderr, "fastpath: unknown mode %s\n", argv[1]);
	return 64;
}
