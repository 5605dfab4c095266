// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench - the generic workloads over the channel interface.
 *
 * Every message carries a 64-bit sequence number in its first 8 bytes;
 * the consumer checks it (order with one producer, stop markers always),
 * so a mechanism that loses or corrupts data fails instead of looking
 * fast.  Each worker starts at the common t_go, runs a warm-up, then the
 * measured phase.  Only the measured phase is timed and counted.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.h"

#define STOP_BIT	(1ull << 63)
#define PP_MAX_SAMPLES	(1u << 20)
#define CHECK_BYTES	4096	/* read the clock about every 4 KiB moved */

static const double wait_slack = 20.0;	/* seconds beyond warm-up + duration */

static double run_timeout(const struct bench_run *run)
{
	return run->warmup + run->duration + wait_slack;
}

static void *msg_alloc(size_t len, unsigned int n)
{
	void *p = aligned_alloc(64, (len * n + 63) & ~(size_t)63);

	if (p)
		memset(p, 0xa5, len * n);
	return p;
}

static inline void set_seq(void *msg, uint64_t seq)
{
	memcpy(msg, &seq, sizeof(seq));
}

static inline uint64_t get_seq(const void *msg)
{
	uint64_t seq;

	memcpy(&seq, msg, sizeof(seq));
	return seq;
}

static double cpu_time(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 +
	       (double)ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
}

/* ------------------------------------------------------------------ */
/* Ping-pong                                                           */
/* ------------------------------------------------------------------ */

struct pp_arg {
	const struct bench_run *run;
	void *ab, *ba;			/* initiator -> responder, and back */
	struct bench_sample *out;	/* shared */
};

void rtt_stats(double *v, size_t n, struct bench_sample *out)
{
	qsort(v, n, sizeof(*v), cmp_double);
	out->v[0] = v[0];
	out->v[1] = percentile_sorted(v, n, 50);
	out->v[2] = percentile_sorted(v, n, 99);
	out->v[3] = percentile_sorted(v, n, 99.9);
	out->v[4] = v[n - 1];
	out->v[5] = (double)n;
}

static int pp_initiator(void *varg, struct proc_ctl *ctl)
{
	struct pp_arg *a = varg;
	const struct bench_mech *m = a->run->mech;
	size_t len = a->run->cfg.msg_size, n = 0;
	double *rtt = malloc(PP_MAX_SAMPLES * sizeof(*rtt));
	void *buf = msg_alloc(len, 1), *back = msg_alloc(len, 1);
	uint64_t t_meas, t_end, prev, seq = 0;
	int ret;

	if (!rtt || !buf || !back)
		return -ENOMEM;
	memset(rtt, 0, PP_MAX_SAMPLES * sizeof(*rtt));	/* fault it in now */
	if (m->attach && ((ret = m->attach(a->ab, ROLE_PRODUCER)) ||
			  (ret = m->attach(a->ba, ROLE_CONSUMER))))
		return ret;
	proc_ready_wait(ctl);
	t_meas = ctl->t_go + (uint64_t)(a->run->warmup * 1e9);
	t_end = t_meas + (uint64_t)(a->run->duration * 1e9);
	prev = now_ns();
	for (;;) {
		uint64_t t;

		set_seq(buf, ++seq);
		ret = m->send(a->ab, buf);
		if (!ret)
			ret = m->recv(a->ba, back);
		if (ret) {
			proc_msg("round trip %llu: %s", (unsigned long long)seq, strerror(-ret));
			return ret;
		}
		if (get_seq(back) != seq) {
			proc_msg("echo carries %llu, sent %llu", (unsigned long long)get_seq(back),
				 (unsigned long long)seq);
			return -EBADMSG;
		}
		/* One clock read per round trip: sample = now - previous. */
		t = now_ns();
		if (t >= t_meas)
			rtt[n++] = (double)(t - prev) / 1e3;
		prev = t;
		if (t >= t_end || n == PP_MAX_SAMPLES)
			break;
	}
	set_seq(buf, STOP_BIT);
	ret = m->send(a->ab, buf);
	if (!n)
		return -EAGAIN;		/* starved past the whole measured phase */
	rtt_stats(rtt, n, a->out);
	return ret;
}

static int pp_responder(void *varg, struct proc_ctl *ctl)
{
	struct pp_arg *a = varg;
	const struct bench_mech *m = a->run->mech;
	void *buf = msg_alloc(a->run->cfg.msg_size, 1);
	int ret;

	if (!buf)
		return -ENOMEM;
	if (m->attach && ((ret = m->attach(a->ab, ROLE_CONSUMER)) ||
			  (ret = m->attach(a->ba, ROLE_PRODUCER))))
		return ret;
	proc_ready_wait(ctl);
	for (;;) {
		ret = m->recv(a->ab, buf);
		if (ret) {
			proc_msg("responder recv: %s", strerror(-ret));
			return ret;
		}
		if (get_seq(buf) & STOP_BIT)
			return 0;
		ret = m->send(a->ba, buf);
		if (ret) {
			proc_msg("responder send: %s", strerror(-ret));
			return ret;
		}
	}
}

int wl_pingpong(const struct bench_run *run, struct bench_sample *out)
{
	const struct bench_mech *m = run->mech;
	struct pp_arg a = { .run = run };
	struct proc_spec w[2] = {
		{ run->cpu_prod[0], pp_initiator, &a }, { run->cpu_cons, pp_responder, &a },
	};
	int err = 0, ret;

	a.out = shared_alloc(sizeof(*a.out));
	if (!a.out)
		return -ENOMEM;
	a.ab = m->open(m, &run->cfg, &err);
	a.ba = a.ab ? m->open(m, &run->cfg, &err) : NULL;
	if (!a.ba) {
		BENCH_ERR(out, "open: %s", strerror(-err));
		ret = err;
		goto out;
	}
	ret = procs_run(w, 2, run_timeout(run), out->note, sizeof(out->note));
	if (!ret)
		memcpy(out->v, a.out->v, sizeof(out->v));
out:
	if (a.ab)
		m->close(a.ab);
	if (a.ba)
		m->close(a.ba);
	shared_free(a.out, sizeof(*a.out));
	return ret;
}

/* ------------------------------------------------------------------ */
/* Streaming: throughput, multi-producer, wake cost                    */
/* ------------------------------------------------------------------ */

struct worker_stat {
	uint64_t msgs;		/* moved in the measured phase */
	double secs;		/* length of the measured phase */
	long sys;		/* system calls counted in it, -1 if not counted */
	long sleeps;		/* voluntary context switches in it */
	double cpu;		/* CPU seconds used in it */
};

struct st_arg {
	const struct bench_run *run;
	void *ch;
	int idx;			/* 0: consumer, 1..nprod: producers */
	bool count, pace;
	struct worker_stat *stat;	/* shared, nprod + 1 entries */
};

/* Start/stop of the measured phase: clock, rusage, syscall counter. */
struct phase {
	uint64_t t0;
	struct rusage ru0;
	int fd;
};

static void phase_start(struct phase *ph)
{
	getrusage(RUSAGE_SELF, &ph->ru0);
	if (ph->fd >= 0)
		syscount_start(ph->fd);
	ph->t0 = now_ns();
}

static void phase_stop(struct phase *ph, struct worker_stat *st, uint64_t msgs)
{
	uint64_t t1 = now_ns();
	struct rusage ru1;

	st->sys = ph->fd >= 0 ? syscount_stop(ph->fd) : -1;
	getrusage(RUSAGE_SELF, &ru1);
	st->msgs = msgs;
	st->secs = (double)(t1 - ph->t0) / 1e9;
	st->sleeps = ru1.ru_nvcsw - ph->ru0.ru_nvcsw;
	st->cpu = cpu_time(&ru1) - cpu_time(&ph->ru0);
}

static int phase_init(struct phase *ph, bool count)
{
	ph->fd = -1;
	if (!count)
		return 0;
	ph->fd = syscount_open();
	if (ph->fd < 0) {
		proc_msg("cannot count syscalls: %s", strerror(-ph->fd));
		return ph->fd;
	}
	return 0;
}

static unsigned int check_every(size_t len, unsigned int batch)
{
	unsigned int n = (unsigned int)(CHECK_BYTES / (len * batch));

	return n ? n : 1;
}

/*
 * What producer and consumer do before their loop: a buffer of batch
 * messages, their role on the channel, the syscall counter if counting,
 * then "go".  *t_meas is when the measured phase starts.  Inlined, so
 * that buf and t_meas stay plain locals of the loops that follow.
 */
static inline __attribute__((always_inline))
int worker_start(const struct st_arg *a, struct proc_ctl *ctl, enum bench_role role,
		 unsigned int batch, unsigned char **buf, struct phase *ph, uint64_t *t_meas)
{
	const struct bench_run *run = a->run;
	const struct bench_mech *m = run->mech;
	int ret;

	*buf = msg_alloc(run->cfg.msg_size, batch);
	if (!*buf)
		return -ENOMEM;
	if (m->attach && (ret = m->attach(a->ch, role)))
		return ret;
	if ((ret = phase_init(ph, a->count)))
		return ret;
	proc_ready_wait(ctl);
	*t_meas = ctl->t_go + (uint64_t)(run->warmup * 1e9);
	return 0;
}

static int producer(void *varg, struct proc_ctl *ctl)
{
	struct st_arg *a = varg;
	const struct bench_run *run = a->run;
	const struct bench_mech *m = run->mech;
	size_t len = run->cfg.msg_size;
	unsigned int batch = run->cfg.batch > 1 ? run->cfg.batch : 1;
	unsigned int every = a->pace ? 1 : check_every(len, batch), k = 0;
	uint64_t seq = 0, n0 = 0, t_meas, t_end, gap = (uint64_t)(run->gap_us * 1e3), next;
	unsigned char *buf;
	struct phase ph;
	bool measuring = false;
	int ret;

	if ((ret = worker_start(a, ctl, ROLE_PRODUCER, batch, &buf, &ph, &t_meas)))
		return ret;
	t_end = t_meas + (uint64_t)(run->duration * 1e9);
	next = ctl->t_go;
	for (;;) {
		if (++k >= every) {
			uint64_t t = now_ns();

			k = 0;
			if (!measuring && t >= t_meas) {
				measuring = true;
				n0 = seq;
				phase_start(&ph);
			}
			if (t >= t_end)
				break;
			if (__atomic_load_n(&ctl->stop, __ATOMIC_RELAXED))
				return -ECANCELED;
		}
		if (a->pace) {
			next += gap;
			spin_until_ns(next);
		}
		if (batch > 1) {
			for (unsigned int i = 0; i < batch; i++)
				set_seq(buf + i * len, seq++);
			ret = m->send_batch(a->ch, buf, batch);
		} else {
			set_seq(buf, seq++);
			ret = m->send(a->ch, buf);
		}
		if (ret) {
			proc_msg("send: %s", strerror(-ret));
			return ret;
		}
	}
	phase_stop(&ph, &a->stat[a->idx], seq - n0);
	set_seq(buf, STOP_BIT | (uint64_t)a->idx);
	ret = m->send(a->ch, buf);
	if (ret)
		proc_msg("send stop: %s", strerror(-ret));
	return ret;
}

static int consumer(void *varg, struct proc_ctl *ctl)
{
	struct st_arg *a = varg;
	const struct bench_run *run = a->run;
	const struct bench_mech *m = run->mech;
	size_t len = run->cfg.msg_size;
	unsigned int nprod = run->cfg.nprod, stops = 0;
	unsigned int batch = run->cfg.batch > 1 ? run->cfg.batch : 1;
	unsigned int every = check_every(len, 1), k = 0;
	uint64_t expect = 0, n = 0, n0 = 0, t_meas;
	unsigned char *buf;
	struct phase ph;
	bool measuring = false;
	int ret;

	if ((ret = worker_start(a, ctl, ROLE_CONSUMER, batch, &buf, &ph, &t_meas)))
		return ret;
	while (stops < nprod) {
		int got = 1;

		if (batch > 1)
			got = m->recv_batch(a->ch, buf, batch);
		else
			ret = m->recv(a->ch, buf);
		if (got < 0 || (batch == 1 && ret)) {
			ret = got < 0 ? got : ret;
			proc_msg("recv: %s", strerror(-ret));
			return ret;
		}
		for (int i = 0; i < got; i++) {
			uint64_t seq = get_seq(buf + (size_t)i * len);

			if (seq & STOP_BIT) {
				stops++;
				continue;
			}
			if (nprod == 1 && seq != expect) {
				proc_msg("message %llu arrived as %llu", (unsigned long long)expect,
					 (unsigned long long)seq);
				return -EBADMSG;
			}
			expect++;
			n++;
		}
		k += (unsigned int)got;
		if (!measuring && k >= every) {
			k = 0;
			if (now_ns() >= t_meas) {
				measuring = true;
				n0 = n;
				phase_start(&ph);
			}
		}
	}
	if (!measuring) {
		proc_msg("starved: the producers stopped before the measured phase");
		return -EAGAIN;
	}
	phase_stop(&ph, &a->stat[0], n - n0);
	return 0;
}

/* WL_STREAM, WL_BATCH, WL_MP, WL_WAKE_*: one consumer, nprod producers. */
int wl_stream(const struct bench_run *run, struct bench_sample *out)
{
	const struct bench_mech *m = run->mech;
	unsigned int nprod = run->cfg.nprod;
	struct st_arg a[BENCH_MAX_PROD + 1];
	struct proc_spec w[BENCH_MAX_PROD + 1];
	struct worker_stat *st;
	void *ch;
	int err = 0, ret;

	st = shared_alloc(sizeof(*st) * (BENCH_MAX_PROD + 1));
	if (!st)
		return -ENOMEM;
	ch = m->open(m, &run->cfg, &err);
	if (!ch) {
		BENCH_ERR(out, "open: %s", strerror(-err));
		ret = err;
		goto out;
	}
	for (unsigned int i = 0; i <= nprod; i++) {
		a[i] = (struct st_arg){
			.run = run, .ch = ch, .idx = (int)i, .stat = st,
			.count = run->wl == WL_WAKE_AWAKE || run->wl == WL_WAKE_SLEEP,
			.pace = run->wl == WL_WAKE_SLEEP,
		};
		w[i] = i ? (struct proc_spec){ run->cpu_prod[i - 1], producer, &a[i] } :
			   (struct proc_spec){ run->cpu_cons, consumer, &a[0] };
	}
	ret = procs_run(w, (int)nprod + 1, run_timeout(run), out->note, sizeof(out->note));
	m->close(ch);
	if (ret)
		goto out;

	if (run->wl == WL_WAKE_AWAKE || run->wl == WL_WAKE_SLEEP) {
		uint64_t pm = 0;
		long ps = 0, psl = 0;

		for (unsigned int i = 1; i <= nprod; i++) {
			pm += st[i].msgs;
			ps += st[i].sys;
			psl += st[i].sleeps;
		}
		if (!pm || !st[0].msgs) {
			ret = -EAGAIN;	/* a worker starved through the measured phase */
			goto out;
		}
		out->v[1] = (double)ps / (double)pm;
		out->v[2] = (double)st[0].sys / (double)st[0].msgs;
		out->v[0] = out->v[1] + out->v[2];
		out->v[3] = (double)psl / (double)pm;
		out->v[4] = (double)st[0].sleeps / (double)st[0].msgs;
		out->v[5] = st[0].cpu / st[0].secs;
		out->v[6] = (double)st[0].msgs / st[0].secs;
	} else {
		if (!st[0].msgs) {
			ret = -EAGAIN;
			goto out;
		}
		out->v[0] = (double)st[0].msgs / st[0].secs;
		out->v[1] = out->v[0] * (double)run->cfg.msg_size / 1e9;
	}
out:
	shared_free(st, sizeof(*st) * (BENCH_MAX_PROD + 1));
	return ret;
}
