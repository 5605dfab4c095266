// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench - the physical limits every mechanism is measured against.
 *
 *   memcpy	one core copying each message once, from a hot source into
 *		a destination that cycles through the channel budget, the
 *		way a ring producer writes its ring.  A one-copy ring can
 *		at best approach it; a two-copy path (pipe, socket) pays it
 *		twice.
 *   cacheline	two processes bouncing one cache line: the round trip any
 *		shared-memory notification costs at least.  It also tells
 *		where the host placed our two CPUs (see cacheline_probe).
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define CL_STOP		UINT64_MAX
#define PP_MAX_SAMPLES	(1u << 20)

/* ------------------------------------------------------------------ */
/* memcpy                                                              */
/* ------------------------------------------------------------------ */

static int memcpy_worker(void *varg, struct proc_ctl *ctl)
{
	struct sample_arg *a = varg;
	size_t len = a->run->cfg.msg_size;
	size_t area = a->run->cfg.budget > 2 * len ? a->run->cfg.budget : 2 * len;
	unsigned char *src = malloc(len), *dst = malloc(area + len);
	uint64_t t_meas, t_end, t0 = 0, n = 0, n0 = 0, every;
	size_t off = 0;

	if (!src || !dst)
		return -ENOMEM;
	memset(src, 0x5a, len);
	memset(dst, 0, area + len);
	every = 4096 / len ? 4096 / len : 1;
	proc_ready_wait(ctl);
	t_meas = ctl->t_go + (uint64_t)(a->run->warmup * 1e9);
	t_end = t_meas + (uint64_t)(a->run->duration * 1e9);
	for (;;) {
		for (uint64_t i = 0; i < every; i++) {
			memcpy(dst + off, src, len);
			/* Keep the compiler from dropping or merging copies. */
			__asm__ __volatile__("" : : "r"(dst + off) : "memory");
			off += len;
			if (off >= area)
				off = 0;
		}
		n += every;
		uint64_t t = now_ns();

		if (!t0 && t >= t_meas) {
			t0 = t;
			n0 = n;
		}
		if (t >= t_end) {
			double s = (double)(t - t0) / 1e9;

			a->out->v[0] = (double)(n - n0) / s;
			a->out->v[1] = a->out->v[0] * (double)len / 1e9;
			return 0;
		}
	}
}

static int memcpy_stream(const struct bench_run *run, struct bench_sample *out)
{
	return procs_run_sample(run, memcpy_worker, run->warmup + run->duration + 20, out);
}

static const char *memcpy_unsupported(const struct bench_chan_cfg *cfg)
{
	if (cfg->nprod > 1 || cfg->batch > 1)
		return "a single copy has no producers or batches";
	return NULL;
}

const struct bench_mech mech_memcpy = {
	.name = "memcpy",
	.group = BENCH_LIMIT,
	.desc = "one core, memcpy of each message into a budget-sized area",
	.unsupported = memcpy_unsupported,
	.stream = memcpy_stream,
};

/* ------------------------------------------------------------------ */
/* Cache-line ping-pong                                                */
/* ------------------------------------------------------------------ */

struct cl_arg {
	uint64_t *line;			/* shared, its own cache line */
	double warmup, duration;
	unsigned int max_trips;		/* probe: stop after this many */
	struct bench_sample *out;	/* shared */
};

static int cl_initiator(void *varg, struct proc_ctl *ctl)
{
	struct cl_arg *a = varg;
	double *rtt = malloc(PP_MAX_SAMPLES * sizeof(*rtt));
	uint64_t t_meas, t_end, prev, v = 1;
	size_t n = 0;

	if (!rtt)
		return -ENOMEM;
	memset(rtt, 0, PP_MAX_SAMPLES * sizeof(*rtt));
	proc_ready_wait(ctl);
	t_meas = ctl->t_go + (uint64_t)(a->warmup * 1e9);
	t_end = t_meas + (uint64_t)(a->duration * 1e9);
	prev = now_ns();
	for (;;) {
		uint64_t t;

		__atomic_store_n(a->line, v, __ATOMIC_RELEASE);
		while (__atomic_load_n(a->line, __ATOMIC_ACQUIRE) != v + 1)
			cpu_relax();
		v += 2;
		t = now_ns();
		if (t >= t_meas)
			rtt[n++] = (double)(t - prev) / 1e3;
		prev = t;
		if (t >= t_end || n == PP_MAX_SAMPLES || (a->max_trips && n == a->max_trips))
			break;
	}
	__atomic_store_n(a->line, CL_STOP, __ATOMIC_RELEASE);
	if (!n)
		return -EAGAIN;
	rtt_stats(rtt, n, a->out);
	return 0;
}

static int cl_responder(void *varg, struct proc_ctl *ctl)
{
	struct cl_arg *a = varg;
	uint64_t v = 1, seen;
	unsigned int spins = 0;

	proc_ready_wait(ctl);
	for (;;) {
		while ((seen = __atomic_load_n(a->line, __ATOMIC_ACQUIRE)) != v) {
			if (seen == CL_STOP)
				return 0;
			cpu_relax();
			if (++spins % 65536 == 0 && __atomic_load_n(&ctl->stop, __ATOMIC_RELAXED))
				return -ECANCELED;
		}
		__atomic_store_n(a->line, v + 1, __ATOMIC_RELEASE);
		v += 2;
	}
}

static int cl_run(int cpu_a, int cpu_b, struct cl_arg *a, char *note, size_t notelen)
{
	struct proc_spec w[2] = { { cpu_a, cl_initiator, a }, { cpu_b, cl_responder, a } };
	int ret;

	a->line = shared_alloc(4096);
	a->out = shared_alloc(sizeof(*a->out));
	if (!a->line || !a->out)
		return -ENOMEM;
	ret = procs_run(w, 2, a->warmup + a->duration + 20, note, notelen);
	shared_free(a->line, 4096);
	return ret;
}

static int cacheline_pingpong(const struct bench_run *run, struct bench_sample *out)
{
	struct cl_arg a = { .warmup = run->warmup, .duration = run->duration };
	int ret = cl_run(run->cpu_prod[0], run->cpu_cons, &a, out->note, sizeof(out->note));

	if (!ret)
		memcpy(out->v, a.out->v, sizeof(out->v));
	shared_free(a.out, sizeof(*a.out));
	return ret;
}

static const char *cacheline_unsupported(const struct bench_chan_cfg *cfg)
{
	if (cfg->msg_size > 64)
		return "one cache line is 64 bytes";
	return NULL;
}

/*
 * Median round trip of a short burst (2000 trips, at most 50 ms), in µs,
 * or a negative errno.  On this project's host it reads about 0.06 µs
 * when the hypervisor placed the two vCPUs close ("near") and 0.42-0.48
 * µs otherwise ("far"); taken before and after every measurement.
 */
double cacheline_probe(int cpu_a, int cpu_b)
{
	struct cl_arg a = { .warmup = 0.001, .duration = 0.05, .max_trips = 2000 };
	double v;
	int ret = cl_run(cpu_a, cpu_b, &a, NULL, 0);

	v = ret ? ret : a.out->v[1];
	shared_free(a.out, sizeof(*a.out));
	return v;
}

const struct bench_mech mech_cacheline = {
	.name = "cacheline",
	.group = BENCH_LIMIT,
	.desc = "one cache line bounced between two processes (store, spin on load)",
	.unsupported = cacheline_unsupported,
	.pingpong = cacheline_pingpong,
};
