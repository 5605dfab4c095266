// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench - the tables: mechanisms, workloads and their metrics.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#include <string.h>

#include "bench.h"

/* Report order: kipc paths, baselines, physical limits. */
const struct bench_mech *const bench_mechs[] = {
	&mech_kipc_ring,
	&mech_kipc_ring_spin,
	&mech_kipc_ring_poll,
	&mech_kipc_queue,
	&mech_kipc_queue_rw,
	&mech_kipc_shm,
	&mech_kipc_shm_spin,
	&mech_kipc_unix,
	&mech_kipc_pipe,
	&mech_pipe,
	&mech_unix_stream,
	&mech_unix_seqpacket,
	&mech_mq,
	&mech_shm_eventfd,
	&mech_shm_futex,
	&mech_shm_poll,
	&mech_memcpy,
	&mech_cacheline,
	NULL,
};

const struct bench_mech *bench_mech_find(const char *name)
{
	for (int i = 0; bench_mechs[i]; i++)
		if (!strcmp(bench_mechs[i]->name, name))
			return bench_mechs[i];
	return NULL;
}

/* The streaming workloads (stream, batch, mp) report the same metrics. */
#define THROUGHPUT_METRICS {				\
	{ "msgs_per_s", "msg/s", true },		\
	{ "gb_per_s", "GB/s", true },			\
}

/* So do the two wake-cost workloads, in wl_stream()'s order. */
#define WAKE_METRICS {						\
	{ "syscalls_per_msg", "sys/msg", false },		\
	{ "producer_syscalls_per_msg", "sys/msg", false },	\
	{ "consumer_syscalls_per_msg", "sys/msg", false },	\
	{ "producer_sleeps_per_msg", "cs/msg", false },		\
	{ "consumer_sleeps_per_msg", "cs/msg", false },		\
	{ "consumer_cpu", "CPU", false },			\
	{ "msgs_per_s", "msg/s", true },			\
}

const struct bench_wl_info bench_wls[WL_COUNT] = {
	[WL_PINGPONG] = {
		"pingpong", "ping-pong round trip", 6, 1, {
			{ "rtt_min_us", "us", false },
			{ "rtt_p50_us", "us", false },
			{ "rtt_p99_us", "us", false },
			{ "rtt_p999_us", "us", false },
			{ "rtt_max_us", "us", false },
			{ "round_trips", "", true },
		},
	},
	[WL_STREAM] = { "stream", "one-way streaming, one message per call", 2, 0, THROUGHPUT_METRICS },
	[WL_BATCH] = { "batch", "one-way streaming, batched calls", 2, 0, THROUGHPUT_METRICS },
	[WL_MP] = { "mp", "producers into one consumer", 2, 0, THROUGHPUT_METRICS },
	[WL_WAKE_AWAKE] = { "wake-awake", "syscalls per message, consumer awake (streaming flat out)", 7, 0, WAKE_METRICS },
	[WL_WAKE_SLEEP] = { "wake-sleep", "syscalls per message, consumer asleep (paced producer)", 7, 0, WAKE_METRICS },
	[WL_OBJECTS] = {
		"objects", "idle objects: create/destroy cost, kernel memory", 5, 2, {
			{ "create_us", "us", false },
			{ "destroy_us", "us", false },
			{ "bytes_per_obj", "B", false },
			{ "left_per_obj", "B", false },
			{ "objects", "", true },
		},
	},
};

int bench_wl_find(const char *name)
{
	for (int i = 0; i < WL_COUNT; i++)
		if (!strcmp(bench_wls[i].name, name))
			return i;
	return -1;
}
