// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench - turning measurements into figures.
 *
 * One figure is the median of o->runs kept runs.  Around every run:
 *
 *   - the 1-minute load average is recorded (it also counts our own
 *     workers, so it is reported, not used to judge);
 *   - the CPU time the rest of the machine used during the run is
 *     measured: busy time from /proc/stat minus our own (rusage).  A run
 *     during which others used more than o->max_foreign CPUs is dropped
 *     as "load";
 *   - a run in which a worker got no CPU at all during the measured
 *     phase (-EAGAIN from the workload) is dropped as "starved";
 *   - a cache-line probe runs before and after.  Two probes that place
 *     the CPUs differently ("near" vs "far") mean the host moved our
 *     vCPUs during the run: the run is dropped as "moved".  Of the kept
 *     runs, only the majority placement is used ("minority" otherwise),
 *     so a figure never mixes placements.
 *
 * Dropped runs are retried, up to BENCH_MAX_RUNS attempts in all.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

const char *place_name(enum place p)
{
	return p == PLACE_NEAR ? "near" : p == PLACE_FAR ? "far" : "-";
}

const char *fig_status_name(enum fig_status s)
{
	static const char *const names[] = {
		[FIG_OK] = "ok", [FIG_MISSING] = "missing", [FIG_NA] = "n/a",
		[FIG_ERROR] = "error", [FIG_UNSTABLE] = "unstable",
	};
	return names[s];
}

static void setup_run(struct bench_run *r, const struct bench_fig *f, const struct bench_opts *o)
{
	int n = o->ncpus, a = o->cpus[0], b = o->cpus[n > 1 ? 1 : 0];
	unsigned int nprod = f->wl == WL_MP ? f->variant : 1;

	memset(r, 0, sizeof(*r));
	r->mech = f->mech;
	r->wl = f->wl;
	r->cfg.msg_size = f->size;
	r->cfg.budget = 1 << 20;
	r->cfg.nprod = nprod;
	r->cfg.batch = f->wl == WL_BATCH ? f->variant : 1;
	r->cfg.shared_send = f->wl == WL_MP;
	r->cfg.oversubscribed = (int)nprod + 1 > n;
	r->warmup = o->warmup;
	r->duration = o->duration;
	r->gap_us = o->gap_us;
	r->nobjs = o->nobjs;
	r->cpu_cons = b;
	for (unsigned int i = 0; i < nprod; i++) {
		if (n >= (int)nprod + 1)
			r->cpu_prod[i] = o->cpus[i == 0 ? 0 : i + 1];
		else if (n > 1)
			/* Not enough CPUs: the consumer keeps its own. */
			r->cpu_prod[i] = o->cpus[n == 2 ? 0 : (i % (n - 1) == 0 ? 0 : i % (n - 1) + 1)];
		else
			r->cpu_prod[i] = a;
	}
}

/* Is the figure runnable here?  Sets status and reason if not. */
static bool applicable(struct bench_fig *f, const struct bench_run *r)
{
	const struct bench_mech *m = f->mech;
	const char *why = m->missing ? m->missing() : NULL;

	if (why) {
		f->status = FIG_MISSING;
		snprintf(f->reason, sizeof(f->reason), "%s", why);
		return false;
	}
	why = NULL;
	switch (f->wl) {
	case WL_PINGPONG:
		if (!m->pingpong && !m->send)
			why = "no ping-pong form";
		break;
	case WL_STREAM:
		if (!m->stream && !m->send)
			why = "not a channel";
		break;
	case WL_BATCH:
		if (!(m->caps & MECH_BATCH) || !m->send_batch)
			why = "no batch API";
		break;
	case WL_MP:
		if (!(m->caps & MECH_MPSC) || !m->send)
			why = "no shared send side";
		break;
	case WL_WAKE_AWAKE:
	case WL_WAKE_SLEEP:
		if (!m->send)
			why = "not a channel";
		else if (bench_env.syscall_tp < 0)
			why = "cannot count syscalls here";
		break;
	case WL_OBJECTS:
		if (!m->obj_create)
			why = "no idle-object form";
		break;
	default:
		break;
	}
	if (!why && m->unsupported && f->wl != WL_OBJECTS)
		why = m->unsupported(&r->cfg);
	if (why) {
		f->status = FIG_NA;
		snprintf(f->reason, sizeof(f->reason), "%s", why);
		return false;
	}
	return true;
}

static int measure(const struct bench_run *r, struct bench_sample *s)
{
	const struct bench_mech *m = r->mech;

	switch (r->wl) {
	case WL_PINGPONG:
		return m->pingpong ? m->pingpong(r, s) : wl_pingpong(r, s);
	case WL_STREAM:
		return m->stream ? m->stream(r, s) : wl_stream(r, s);
	case WL_OBJECTS:
		return wl_objects(r, s);
	default:
		return wl_stream(r, s);
	}
}

static enum place classify(double us, const struct bench_opts *o)
{
	if (us < 0 || isnan(us))
		return PLACE_NONE;
	return us < o->probe_split ? PLACE_NEAR : PLACE_FAR;
}

static void summarize(struct bench_fig *f, bool keep_all)
{
	const struct bench_wl_info *w = &bench_wls[f->wl];
	unsigned int near = 0, far = 0;
	double v[BENCH_MAX_RUNS];

	for (unsigned int i = 0; i < f->nrec; i++) {
		if (f->rec[i].dropped)
			continue;
		near += f->rec[i].place == PLACE_NEAR;
		far += f->rec[i].place == PLACE_FAR;
	}
	/* Never mix placements in one figure: keep the majority. */
	f->place = near || far ? (near > far ? PLACE_NEAR : PLACE_FAR) : PLACE_NONE;
	if (near && far && !keep_all)
		for (unsigned int i = 0; i < f->nrec; i++)
			if (!f->rec[i].dropped && f->rec[i].place != f->place)
				f->rec[i].dropped = "minority";
	for (unsigned int m = 0; m < w->nmetrics; m++) {
		unsigned int n = 0;

		for (unsigned int i = 0; i < f->nrec; i++)
			if (!f->rec[i].dropped)
				v[n++] = f->rec[i].v[m];
		f->kept = n;
		if (!n) {
			f->med[m] = f->lo[m] = f->hi[m] = NAN;
			continue;
		}
		qsort(v, n, sizeof(v[0]), cmp_double);
		f->med[m] = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
		f->lo[m] = v[0];
		f->hi[m] = v[n - 1];
	}
	{
		unsigned int n = 0;

		for (unsigned int i = 0; i < f->nrec; i++)
			if (!f->rec[i].dropped)
				v[n++] = f->rec[i].probe[0];
		qsort(v, n, sizeof(v[0]), cmp_double);
		f->probe_us = n ? v[n / 2] : NAN;
	}
}

void bench_run_fig(struct bench_fig *f, const struct bench_opts *o)
{
	struct bench_run r;
	unsigned int good = 0;
	bool probe = o->probe && o->ncpus > 1;

	setup_run(&r, f, o);
	if (!applicable(f, &r))
		return;
	while (good < o->runs && f->nrec < BENCH_MAX_RUNS &&
	       f->nrec < 2 * o->runs + 2) {
		struct run_rec *rec = &f->rec[f->nrec++];
		struct bench_sample s;
		struct cpu_snap c0, c1;
		double tol;
		int ret;

		memset(&s, 0, sizeof(s));
		rec->load = env_loadavg();
		rec->probe[0] = probe ? cacheline_probe(o->cpus[0], o->cpus[1]) : NAN;
		cpu_snap(&c0);
		ret = measure(&r, &s);
		cpu_snap(&c1);
		rec->probe[1] = probe ? cacheline_probe(o->cpus[0], o->cpus[1]) : NAN;
		if (ret == -EAGAIN) {
			/* A worker got no CPU for the whole measured phase. */
			rec->dropped = "starved";
			for (int m = 0; m < BENCH_MAX_METRICS; m++)
				rec->v[m] = NAN;
			continue;
		}
		if (ret) {
			f->status = FIG_ERROR;
			snprintf(f->reason, sizeof(f->reason), "%s",
				 s.note[0] ? s.note : strerror(-ret));
			f->nrec--;
			break;
		}
		memcpy(rec->v, s.v, sizeof(rec->v));
		rec->foreign = ((c1.busy - c0.busy) - (c1.ours - c0.ours)) / (c1.t - c0.t);
		rec->steal = (c1.steal - c0.steal) / (c1.t - c0.t);
		rec->place = classify(rec->probe[0], o);
		/* /proc/stat counts in ticks: allow two per CPU of slack. */
		tol = o->max_foreign + 2.0 * bench_env.ncpus / (double)sysconf(_SC_CLK_TCK) /
				       (c1.t - c0.t);
		if (o->keep_all)
			rec->dropped = NULL;
		else if (probe && rec->place != classify(rec->probe[1], o))
			rec->dropped = "moved";
		else if (rec->foreign > tol)
			rec->dropped = "load";
		if (!rec->dropped)
			good++;
	}
	if (f->status == FIG_ERROR)
		return;
	summarize(f, o->keep_all);
	if (!f->kept) {
		f->status = FIG_UNSTABLE;
		snprintf(f->reason, sizeof(f->reason), "every run dropped (load or CPU moves)");
	} else {
		f->status = FIG_OK;
	}
}

static bool same_group(const struct bench_fig *a, const struct bench_fig *b)
{
	return a->wl == b->wl && a->size == b->size && a->variant == b->variant;
}

void bench_ratios(struct bench_fig *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct bench_wl_info *w = &bench_wls[f[i].wl];
		unsigned int pm = w->primary;
		bool hb = w->metrics[pm].higher_better;
		const struct bench_fig *best = NULL, *bestb = NULL;

		f[i].ratio = f[i].ratio_blocking = NAN;
		/*
		 * Syscalls per message: the best is 0 or nearly so, and a
		 * ratio to it says nothing.  The counts are the figure.
		 */
		if (f[i].wl == WL_WAKE_AWAKE || f[i].wl == WL_WAKE_SLEEP)
			continue;

		for (size_t j = 0; j < n; j++) {
			const struct bench_fig *g = &f[j];

			if (!same_group(&f[i], g) || g->status != FIG_OK ||
			    g->mech->group != BENCH_BASELINE)
				continue;
			if (!best || (hb ? g->med[pm] > best->med[pm] : g->med[pm] < best->med[pm]))
				best = g;
			if ((g->mech->caps & MECH_SLEEPS) &&
			    (!bestb || (hb ? g->med[pm] > bestb->med[pm] : g->med[pm] < bestb->med[pm])))
				bestb = g;
		}
		f[i].best = best ? best->mech->name : NULL;
		f[i].best_blocking = bestb ? bestb->mech->name : NULL;
		if (f[i].status != FIG_OK)
			continue;
		double v = f[i].med[pm];

		if (best && v > 0 && best->med[pm] > 0)
			f[i].ratio = hb ? v / best->med[pm] : best->med[pm] / v;
		if (bestb && v > 0 && bestb->med[pm] > 0)
			f[i].ratio_blocking = hb ? v / bestb->med[pm] : bestb->med[pm] / v;
	}
}
