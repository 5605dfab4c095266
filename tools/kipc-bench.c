// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench - kipc against every mechanism users would pick instead,
 * side by side, in one run on one machine.  See man/kipc-bench.1 and
 * Documentation/performance.rst.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kipc.h>

#include "bench.h"

#define MAX_LIST	16

struct list {
	size_t v[MAX_LIST];
	int n;
};

static struct {
	struct bench_opts o;
	bool wl[WL_COUNT];
	bool mech[64];
	struct list sizes, pp_sizes, batch_sizes, producers;
	size_t mp_size, wake_size;
	enum { OUT_TABLE, OUT_CSV, OUT_JSON } format;
	const char *output, *plot;
	bool quiet;
} cfg;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kipc-bench [options]\n"
		"  -m, --mech LIST        mechanisms or groups (kipc, baseline, limit, all)\n"
		"  -w, --workload LIST    pingpong, stream, batch, mp, wake (= wake-awake,wake-sleep),\n"
		"                         objects, all\n"
		"  -s, --sizes LIST       stream sizes (default 8,64,1K,64K,1M)\n"
		"      --pp-sizes LIST    ping-pong sizes (default 8,64,1K,64K)\n"
		"      --batch-sizes LIST batch sizes (default 8,64,1K)\n"
		"      --batch N          messages per batched call (default 32)\n"
		"      --producers LIST   multi-producer counts (default 1,2,4)\n"
		"      --mp-size SIZE     multi-producer message size (default 64)\n"
		"      --wake-size SIZE   wake-cost message size (default 64)\n"
		"      --gap US           wake-sleep: pause between messages (default 100, TCG 2000)\n"
		"      --objects N        idle objects to create (default 10000)\n"
		"  -r, --runs N           kept runs per figure (default 5)\n"
		"  -d, --duration S       measured seconds per run (default 0.3)\n"
		"      --warmup S         warm-up seconds per run (default 0.1)\n"
		"  -q, --quick            short run: 3 runs of 0.05 s, fewer sizes, 1000 objects\n"
		"      --cpus LIST        CPUs to use; the first two carry the measurement\n"
		"      --max-foreign CPUS drop runs while others use more (default 0.25)\n"
		"      --probe-split US   cache-line round trip separating near/far (default 0.2)\n"
		"      --no-probe         no cache-line probes around runs\n"
		"      --keep-all         drop no run\n"
		"      --csv, --json      machine-readable output instead of the table\n"
		"  -o, --output FILE      write the report to FILE\n"
		"      --plot DIR         SVG plots via gnuplot into DIR\n"
		"      --quiet            no progress on stderr\n"
		"  -l, --list             list mechanisms and whether they can run here\n"
		"  -h, --help\n");
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v <= 0)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		v *= 1024, end++;
	else if (*end == 'M' || *end == 'm')
		v *= 1024 * 1024, end++;
	if (*end == 'i')
		end++;
	if (*end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

static int parse_list(const char *arg, struct list *l, size_t min, size_t max)
{
	char *dup = strdup(arg), *save = NULL;

	l->n = 0;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (l->n == MAX_LIST || parse_size(t, &l->v[l->n]) ||
		    l->v[l->n] < min || l->v[l->n] > max) {
			fprintf(stderr, "kipc-bench: bad value '%s' (%zu..%zu)\n", t, min, max);
			free(dup);
			return -EINVAL;
		}
		l->n++;
	}
	free(dup);
	return l->n ? 0 : -EINVAL;
}

static int parse_cpus(const char *arg, struct list *l)
{
	const char *p = arg;
	char *end;

	l->n = 0;
	while (*p && l->n < MAX_LIST) {
		long v = strtol(p, &end, 10);

		if (end == p || v < 0 || v >= BENCH_MAX_CPUS * 64 || (*end && *end != ',')) {
			fprintf(stderr, "kipc-bench: bad CPU list '%s'\n", arg);
			return -EINVAL;
		}
		l->v[l->n++] = (size_t)v;
		p = *end ? end + 1 : end;
	}
	return l->n ? 0 : -EINVAL;
}

static int parse_mechs(const char *arg)
{
	char *dup = strdup(arg), *save = NULL;

	memset(cfg.mech, 0, sizeof(cfg.mech));
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool found = false;

		for (int i = 0; bench_mechs[i]; i++) {
			const struct bench_mech *m = bench_mechs[i];
			bool grp = (!strcmp(t, "kipc") && m->group == BENCH_KIPC) ||
				   (!strcmp(t, "baseline") && m->group == BENCH_BASELINE) ||
				   (!strcmp(t, "limit") && m->group == BENCH_LIMIT) ||
				   !strcmp(t, "all");

			if (grp || !strcmp(t, m->name)) {
				cfg.mech[i] = true;
				found = true;
			}
		}
		if (!found) {
			fprintf(stderr, "kipc-bench: unknown mechanism '%s' (see --list)\n", t);
			free(dup);
			return -EINVAL;
		}
	}
	free(dup);
	return 0;
}

static int parse_workloads(const char *arg)
{
	char *dup = strdup(arg), *save = NULL;

	memset(cfg.wl, 0, sizeof(cfg.wl));
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int w = bench_wl_find(t);

		if (!strcmp(t, "all")) {
			for (int i = 0; i < WL_COUNT; i++)
				cfg.wl[i] = true;
		} else if (!strcmp(t, "wake")) {
			cfg.wl[WL_WAKE_AWAKE] = cfg.wl[WL_WAKE_SLEEP] = true;
		} else if (w >= 0) {
			cfg.wl[w] = true;
		} else {
			fprintf(stderr, "kipc-bench: unknown workload '%s'\n", t);
			free(dup);
			return -EINVAL;
		}
	}
	free(dup);
	return 0;
}

static void list_mechs(void)
{
	for (int i = 0; bench_mechs[i]; i++) {
		const struct bench_mech *m = bench_mechs[i];
		const char *why = m->missing ? m->missing() : NULL;

		printf("%-16s %-8s %s\n%16s %-8s %s%s\n", m->name,
		       m->group == BENCH_KIPC ? "kipc" : m->group == BENCH_LIMIT ? "limit" : "baseline",
		       m->desc, "", "", why ? "missing: " : "available", why ? why : "");
	}
}

static void set_defaults(void)
{
	struct bench_opts *o = &cfg.o;

	o->runs = 5;
	o->warmup = 0.1;
	o->duration = 0.3;
	o->gap_us = 100;
	o->nobjs = 10000;
	o->batch = 32;
	o->max_foreign = 0.25;
	o->probe_split = 0.2;
	o->probe = true;
	parse_list("8,64,1K,64K,1M", &cfg.sizes, 8, 1 << 24);
	parse_list("8,64,1K,64K", &cfg.pp_sizes, 8, 1 << 24);
	parse_list("8,64,1K", &cfg.batch_sizes, 8, 1 << 24);
	parse_list("1,2,4", &cfg.producers, 1, BENCH_MAX_PROD);
	cfg.mp_size = cfg.wake_size = 64;
	for (int i = 0; i < WL_COUNT; i++)
		cfg.wl[i] = true;
	for (int i = 0; bench_mechs[i]; i++)
		cfg.mech[i] = true;
}

static void set_quick(void)
{
	struct bench_opts *o = &cfg.o;

	o->runs = 3;
	o->warmup = 0.02;
	o->duration = 0.05;
	o->nobjs = 1000;
	o->gap_us = 200;
	parse_list("64,64K", &cfg.sizes, 8, 1 << 24);
	parse_list("64", &cfg.pp_sizes, 8, 1 << 24);
	parse_list("64", &cfg.batch_sizes, 8, 1 << 24);
	parse_list("1,2", &cfg.producers, 1, BENCH_MAX_PROD);
}

enum {
	OPT_PP_SIZES = 256, OPT_BATCH_SIZES, OPT_BATCH, OPT_PRODUCERS, OPT_MP_SIZE,
	OPT_WAKE_SIZE, OPT_GAP, OPT_OBJECTS, OPT_WARMUP, OPT_CPUS, OPT_MAX_FOREIGN,
	OPT_PROBE_SPLIT, OPT_NO_PROBE, OPT_KEEP_ALL, OPT_CSV, OPT_JSON, OPT_PLOT, OPT_QUIET,
};

static int parse_num(const char *s, double min, double max, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || isnan(v) || v < min || v > max) {
		fprintf(stderr, "kipc-bench: bad number '%s' (%g..%g)\n", s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/*
 * The options that only store a value: a size list or a number (stored
 * as double or as unsigned int) in [min, max], or one size (parse_size()
 * alone; main() checks it against the 8-byte sequence number).
 */
enum val_kind { V_LIST, V_SIZE, V_DOUBLE, V_UINT };

struct val_opt {
	int opt;
	enum val_kind kind;
	void *dst;
	double min, max;
};

static const struct val_opt val_opts[] = {
	{ 's', V_LIST, &cfg.sizes, 8, 16 << 20 },
	{ OPT_PP_SIZES, V_LIST, &cfg.pp_sizes, 8, 16 << 20 },
	{ OPT_BATCH_SIZES, V_LIST, &cfg.batch_sizes, 8, 16 << 20 },
	{ OPT_PRODUCERS, V_LIST, &cfg.producers, 1, BENCH_MAX_PROD },
	{ OPT_MP_SIZE, V_SIZE, &cfg.mp_size, 0, 0 },
	{ OPT_WAKE_SIZE, V_SIZE, &cfg.wake_size, 0, 0 },
	{ OPT_BATCH, V_UINT, &cfg.o.batch, 2, 1024 },
	{ OPT_GAP, V_DOUBLE, &cfg.o.gap_us, 1, 1e6 },
	{ OPT_OBJECTS, V_UINT, &cfg.o.nobjs, 1, 1e6 },
	{ 'r', V_UINT, &cfg.o.runs, 1, BENCH_MAX_RUNS / 2 - 1 },
	{ 'd', V_DOUBLE, &cfg.o.duration, 0.001, 60 },
	{ OPT_WARMUP, V_DOUBLE, &cfg.o.warmup, 0, 60 },
	{ OPT_MAX_FOREIGN, V_DOUBLE, &cfg.o.max_foreign, 0, 1024 },
	{ OPT_PROBE_SPLIT, V_DOUBLE, &cfg.o.probe_split, 0, 1e6 },
};

/* Option c's value from arg, if c is in val_opts; 1 if it is not. */
static int parse_val(int c, const char *arg)
{
	for (size_t i = 0; i < sizeof(val_opts) / sizeof(val_opts[0]); i++) {
		const struct val_opt *v = &val_opts[i];
		double d;
		int err;

		if (v->opt != c)
			continue;
		switch (v->kind) {
		case V_LIST:
			return parse_list(arg, v->dst, (size_t)v->min, (size_t)v->max);
		case V_SIZE:
			return parse_size(arg, v->dst);
		case V_DOUBLE:
			return parse_num(arg, v->min, v->max, v->dst);
		case V_UINT:
			if (!(err = parse_num(arg, v->min, v->max, &d)))
				*(unsigned int *)v->dst = (unsigned int)d;
			return err;
		}
	}
	return 1;
}

static const struct option longopts[] = {
	{ "mech", required_argument, NULL, 'm' },
	{ "workload", required_argument, NULL, 'w' },
	{ "sizes", required_argument, NULL, 's' },
	{ "pp-sizes", required_argument, NULL, OPT_PP_SIZES },
	{ "batch-sizes", required_argument, NULL, OPT_BATCH_SIZES },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "producers", required_argument, NULL, OPT_PRODUCERS },
	{ "mp-size", required_argument, NULL, OPT_MP_SIZE },
	{ "wake-size", required_argument, NULL, OPT_WAKE_SIZE },
	{ "gap", required_argument, NULL, OPT_GAP },
	{ "objects", required_argument, NULL, OPT_OBJECTS },
	{ "runs", required_argument, NULL, 'r' },
	{ "duration", required_argument, NULL, 'd' },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "quick", no_argument, NULL, 'q' },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "max-foreign", required_argument, NULL, OPT_MAX_FOREIGN },
	{ "probe-split", required_argument, NULL, OPT_PROBE_SPLIT },
	{ "no-probe", no_argument, NULL, OPT_NO_PROBE },
	{ "keep-all", no_argument, NULL, OPT_KEEP_ALL },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "output", required_argument, NULL, 'o' },
	{ "plot", required_argument, NULL, OPT_PLOT },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "list", no_argument, NULL, 'l' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_args(int argc, char **argv)
{
	struct bench_opts *o = &cfg.o;
	struct list cpus = { .n = 0 };
	bool gap_set = false;
	int c, err = 0;

	/* --quick first, so that explicit options override it */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quick"))
			set_quick();
	while (!err && (c = getopt_long(argc, argv, "m:w:s:r:d:qo:lh", longopts, NULL)) != -1) {
		gap_set |= c == OPT_GAP;
		if ((err = parse_val(c, optarg)) <= 0)
			continue;
		err = 0;
		switch (c) {
		case 'm': err = parse_mechs(optarg); break;
		case 'w': err = parse_workloads(optarg); break;
		case 'q': break;
		case OPT_CPUS: err = parse_cpus(optarg, &cpus); break;
		case OPT_NO_PROBE: o->probe = false; break;
		case OPT_KEEP_ALL: o->keep_all = true; break;
		case OPT_CSV: cfg.format = OUT_CSV; break;
		case OPT_JSON: cfg.format = OUT_JSON; break;
		case 'o': cfg.output = optarg; break;
		case OPT_PLOT: cfg.plot = optarg; break;
		case OPT_QUIET: cfg.quiet = true; break;
		case 'l': list_mechs(); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (!err && optind < argc) {
		fprintf(stderr, "kipc-bench: unexpected argument '%s'\n", argv[optind]);
		err = -EINVAL;
	}
	if (!err && (cfg.mp_size < 8 || cfg.wake_size < 8)) {
		fprintf(stderr, "kipc-bench: messages carry an 8-byte sequence number\n");
		err = -EINVAL;
	}
	/*
	 * Under TCG a message takes long enough to handle that a consumer
	 * paced at 100 us never gets to sleep; the wake-sleep figure would
	 * not be what it says (its sleeps/msg column shows it).
	 */
	if (!gap_set && strstr(bench_env.where, "TCG") && o->gap_us < 2000)
		o->gap_us = 2000;
	if (cpus.n) {
		o->ncpus = 0;
		for (int i = 0; i < cpus.n && i < BENCH_MAX_CPUS; i++)
			o->cpus[o->ncpus++] = (int)cpus.v[i];
	} else {
		o->ncpus = bench_env.ncpus;
		memcpy(o->cpus, bench_env.cpus, sizeof(o->cpus));
	}
	return err;
}

/* Figures in report order: workload, size, variant, mechanism. */
static struct bench_fig *plan(size_t *count)
{
	struct bench_fig *f = NULL;
	size_t n = 0, cap = 0;

	for (int w = 0; w < WL_COUNT; w++) {
		const struct list *sizes = w == WL_PINGPONG ? &cfg.pp_sizes :
					   w == WL_BATCH ? &cfg.batch_sizes : &cfg.sizes;
		struct list one = { .n = 1 }, *vars = &one;

		if (!cfg.wl[w])
			continue;
		one.v[0] = w == WL_BATCH ? cfg.o.batch : 1;
		if (w == WL_MP)
			vars = &cfg.producers;
		if (w == WL_MP || w == WL_WAKE_AWAKE || w == WL_WAKE_SLEEP || w == WL_OBJECTS) {
			static struct list fixed;

			fixed.n = 1;
			fixed.v[0] = w == WL_MP ? cfg.mp_size : w == WL_OBJECTS ? 0 : cfg.wake_size;
			sizes = &fixed;
		}
		for (int s = 0; s < sizes->n; s++) {
			for (int v = 0; v < vars->n; v++) {
				for (int m = 0; bench_mechs[m]; m++) {
					if (!cfg.mech[m])
						continue;
					if (n == cap) {
						cap = cap ? 2 * cap : 64;
						f = realloc(f, cap * sizeof(*f));
						if (!f)
							return NULL;
					}
					memset(&f[n], 0, sizeof(f[n]));
					f[n].wl = (enum bench_wl)w;
					f[n].mech = bench_mechs[m];
					f[n].size = sizes->v[s];
					f[n].variant = (unsigned int)vars->v[v];
					n++;
				}
			}
		}
	}
	*count = n;
	return f;
}

static void progress(const struct bench_fig *f, size_t i, size_t n)
{
	const struct bench_wl_info *w = &bench_wls[f->wl];
	char sz[32], val[32];

	if (cfg.quiet)
		return;
	fmt_size(sz, sizeof(sz), f->size);
	fprintf(stderr, "[%zu/%zu] %-10s %-8s v%-3u %-16s ", i + 1, n, w->name,
		f->wl == WL_OBJECTS ? "" : sz, f->variant, f->mech->name);
	if (f->status == FIG_OK) {
		snprintf(val, sizeof(val), "%.4g", f->med[w->primary]);
		fprintf(stderr, "%s %s (%u/%u runs, %s)\n", val, w->metrics[w->primary].unit,
			f->kept, f->nrec, place_name(f->place));
	} else {
		fprintf(stderr, "%s: %s\n", fig_status_name(f->status), f->reason);
	}
}

int main(int argc, char **argv)
{
	struct bench_fig *figs;
	sigset_t chld;
	size_t n;
	FILE *out = stdout;
	int ret;

	/* The runner sleeps in sigtimedwait() for its workers. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	setvbuf(stderr, NULL, _IOLBF, 0);

	set_defaults();
	env_init();
	if (parse_args(argc, argv))
		return 2;
	figs = plan(&n);
	if (!figs) {
		fprintf(stderr, "kipc-bench: nothing to run\n");
		return 2;
	}
	if (!cfg.quiet) {
		env_print(stderr);
		if (bench_env.loadavg_start > 0.5 * bench_env.ncpus)
			fprintf(stderr, "warning: load average %.2f before start; "
				"expect dropped runs\n", bench_env.loadavg_start);
	}
	for (size_t i = 0; i < n; i++) {
		bench_run_fig(&figs[i], &cfg.o);
		progress(&figs[i], i, n);
	}
	bench_ratios(figs, n);

	if (cfg.output && !(out = fopen(cfg.output, "we"))) {
		fprintf(stderr, "kipc-bench: %s: %s\n", cfg.output, strerror(errno));
		return 1;
	}
	if (cfg.format == OUT_CSV)
		report_csv(out, figs, n);
	else if (cfg.format == OUT_JSON)
		report_json(out, figs, n, &cfg.o);
	else
		report_table(out, figs, n, &cfg.o);
	if (out != stdout)
		fclose(out);
	if (cfg.plot) {
		ret = report_plot(cfg.plot, figs, n);
		if (ret == -ENOENT)
			fprintf(stderr, "kipc-bench: gnuplot not found; data and script left in %s\n",
				cfg.plot);
		else if (ret)
			fprintf(stderr, "kipc-bench: plot: %s\n", strerror(-ret));
	}
	ret = 0;
	for (size_t i = 0; i < n; i++)
		if (figs[i].status == FIG_ERROR)
			ret = 1;
	free(figs);
	return ret;
}
