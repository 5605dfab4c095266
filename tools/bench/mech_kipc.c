// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench - the kipc paths.
 *
 * These rows exist from the start so that every report shows what kipc
 * has and has not delivered yet: a path whose kernel object or library
 * API has not landed is reported as "missing", with the reason, and is
 * never stood in for by another mechanism.
 *
 * To plug one in, fill in its struct below with the operations of
 * struct bench_mech (bench.h): open() creates the object in the parent
 * (fds and MAP_SHARED mappings are inherited by the forked workers),
 * attach() takes the producer or consumer role in each worker, send/recv
 * move one message, send_batch/recv_batch several, obj_create/obj_destroy
 * one idle object.  Then make missing() return NULL when the module or
 * the library provides the feature.  A zero-copy reserve/commit path may
 * instead supply its own stream() or pingpong().
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <kipc.h>

#include "bench.h"

/* Why the kernel module cannot serve feature (a KIPC_FEATURE_* bit). */
static const char *module_lacks(uint64_t feature, const char *what)
{
	static char why[128];
	int64_t f = kipc_features();

	if (f == -ENODEV)
		return "kipc module not loaded (no /dev/kipc)";
	if (f < 0) {
		snprintf(why, sizeof(why), "/dev/kipc: %s", strerror((int)-f));
		return why;
	}
	if (!(f & (int64_t)feature)) {
		snprintf(why, sizeof(why), "loaded module has no %s (features 0x%llx)", what,
			 (unsigned long long)f);
		return why;
	}
	return NULL;
}

static const char *ring_missing(void)
{
	const char *why = module_lacks(KIPC_FEATURE_RING, "rings");

	return why ? why : "kmod ring path not wired into kipc-bench yet (issue 3)";
}

static const char *queue_missing(void)
{
	const char *why = module_lacks(KIPC_FEATURE_QUEUE, "queues");

	return why ? why : "kmod queue path not wired into kipc-bench yet (issue 4)";
}

static const char *lib_missing(void)
{
	return "libkipc backend not wired into kipc-bench yet (kipc_pair, issue 5)";
}

const struct bench_mech mech_kipc_ring = {
	.name = "kipc-ring",
	.group = BENCH_KIPC,
	.desc = "kmod ring, blocking WAIT/WAKE, spin disabled",
	.caps = MECH_SLEEPS | MECH_BATCH | MECH_MPSC,
	.missing = ring_missing,
};

const struct bench_mech mech_kipc_ring_spin = {
	.name = "kipc-ring-spin",
	.group = BENCH_KIPC,
	.desc = "kmod ring, adaptive spin then WAIT",
	.caps = MECH_SLEEPS | MECH_BATCH | MECH_MPSC,
	.missing = ring_missing,
};

const struct bench_mech mech_kipc_ring_poll = {
	.name = "kipc-ring-poll",
	.group = BENCH_KIPC,
	.desc = "kmod ring, busy-poll",
	.caps = MECH_BATCH | MECH_MPSC,
	.missing = ring_missing,
};

const struct bench_mech mech_kipc_queue = {
	.name = "kipc-queue",
	.group = BENCH_KIPC,
	.desc = "kmod queue, copy in/copy out; batch: 32 per call",
	.caps = MECH_SLEEPS | MECH_BATCH | MECH_MPSC,
	.missing = queue_missing,
};

const struct bench_mech mech_kipc_shm = {
	.name = "kipc-shm",
	.group = BENCH_KIPC,
	.desc = "libkipc shm backend (memfd ring, futex)",
	.caps = MECH_SLEEPS | MECH_BATCH | MECH_MPSC,
	.missing = lib_missing,
};

const struct bench_mech mech_kipc_unix = {
	.name = "kipc-unix",
	.group = BENCH_KIPC,
	.desc = "libkipc unix backend (SOCK_SEQPACKET)",
	.caps = MECH_SLEEPS | MECH_BATCH | MECH_MPSC,
	.missing = lib_missing,
};

const struct bench_mech mech_kipc_pipe = {
	.name = "kipc-pipe",
	.group = BENCH_KIPC,
	.desc = "libkipc pipe backend",
	.caps = MECH_SLEEPS | MECH_MPSC,
	.missing = lib_missing,
};
