// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench - readable table, CSV and JSON output.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <kipc.h>

#include "bench.h"

/* Metrics shown in the table, per workload; the first is the spread's. */
static const int table_cols[WL_COUNT][6] = {
	[WL_PINGPONG] = { 1, 0, 2, 3, 4, -1 },
	[WL_STREAM] = { 0, 1, -1 },
	[WL_BATCH] = { 0, 1, -1 },
	[WL_MP] = { 0, 1, -1 },
	[WL_WAKE_AWAKE] = { 0, 1, 2, 4, 5, -1 },
	[WL_WAKE_SLEEP] = { 0, 1, 2, 4, 5, -1 },
	[WL_OBJECTS] = { 2, 0, 1, 3, 4, -1 },
};

static const char *const col_names[WL_COUNT][6] = {
	[WL_PINGPONG] = { "p50 us", "min", "p99", "p99.9", "max" },
	[WL_STREAM] = { "msg/s", "GB/s" },
	[WL_BATCH] = { "msg/s", "GB/s" },
	[WL_MP] = { "msg/s", "GB/s" },
	[WL_WAKE_AWAKE] = { "sys/msg", "prod", "cons", "cons cs/msg", "cons CPU" },
	[WL_WAKE_SLEEP] = { "sys/msg", "prod", "cons", "cons cs/msg", "cons CPU" },
	[WL_OBJECTS] = { "B/object", "create us", "destroy us", "left B", "objects" },
};

void fmt_size(char *buf, size_t len, size_t sz)
{
	if (sz >= (1 << 20) && !(sz % (1 << 20)))
		snprintf(buf, len, "%zu MiB", sz >> 20);
	else if (sz >= 1024 && !(sz % 1024))
		snprintf(buf, len, "%zu KiB", sz >> 10);
	else
		snprintf(buf, len, "%zu B", sz);
}

static void fmt_val(char *buf, size_t len, const struct bench_metric *m, double v)
{
	double a = fabs(v);

	if (isnan(v))
		snprintf(buf, len, "-");
	else if (!strcmp(m->unit, "msg/s"))
		fmt_si(buf, len, v);
	else if (v == 0)
		snprintf(buf, len, "0");
	else if (a < 0.001)
		snprintf(buf, len, "%.1e", v);
	else if (a < 1)
		snprintf(buf, len, "%.3f", v);
	else if (a < 10)
		snprintf(buf, len, "%.2f", v);
	else if (a < 100)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.0f", v);
}

static void fmt_ratio(char *buf, size_t len, double r)
{
	if (isnan(r))
		snprintf(buf, len, "-");
	else if (r < 0.1)
		snprintf(buf, len, "%.3fx", r);
	else if (r >= 100)
		snprintf(buf, len, "%.0fx", r);
	else
		snprintf(buf, len, "%.2fx", r);
}

static void group_title(char *buf, size_t len, const struct bench_fig *f)
{
	char sz[32];

	fmt_size(sz, sizeof(sz), f->size);
	if (f->wl == WL_OBJECTS)
		snprintf(buf, len, "%s", bench_wls[f->wl].title);
	else if (f->wl == WL_BATCH)
		snprintf(buf, len, "%s, %s, %u per call", bench_wls[f->wl].title, sz, f->variant);
	else if (f->wl == WL_MP)
		snprintf(buf, len, "%u %s, %s", f->variant, bench_wls[f->wl].title, sz);
	else
		snprintf(buf, len, "%s, %s", bench_wls[f->wl].title, sz);
}

static bool same_group(const struct bench_fig *a, const struct bench_fig *b)
{
	return a->wl == b->wl && a->size == b->size && a->variant == b->variant;
}

static const char *group_name(enum bench_group g)
{
	return g == BENCH_KIPC ? "kipc" : g == BENCH_LIMIT ? "limit" : "baseline";
}

void report_table(FILE *out, const struct bench_fig *f, size_t n, const struct bench_opts *o)
{
	fprintf(out, "kipc-bench (libkipc %d.%d)\n", kipc_version_major(), kipc_version_minor());
	env_print(out);
	fprintf(out, "method:     median of %u kept runs [min-max], %.2f s warm-up + %.2f s each; "
		"ratio >1 = better than the best baseline\n",
		o->runs, o->warmup, o->duration);
	fprintf(out, "            runs k/n: kept of attempted (dropped: foreign load > %.2f CPU, "
		"CPUs moved, minority placement)\n", o->max_foreign);

	for (size_t i = 0; i < n; i++) {
		const struct bench_fig *g = &f[i];
		const struct bench_wl_info *w = &bench_wls[g->wl];
		const int *cols = table_cols[g->wl];
		char title[160], buf[32];

		if (i == 0 || !same_group(&f[i - 1], g)) {
			enum place seen = PLACE_NONE;
			bool mixed = false;

			for (size_t j = i; j < n && same_group(&f[j], g); j++) {
				if (f[j].status != FIG_OK || f[j].place == PLACE_NONE)
					continue;
				if (seen != PLACE_NONE && f[j].place != seen)
					mixed = true;
				seen = f[j].place;
			}
			group_title(title, sizeof(title), g);
			fprintf(out, "\n== %s ==\n", title);
			if (g->best)
				fprintf(out, "   best baseline: %s; best sleeping baseline: %s%s\n",
					g->best, g->best_blocking ? g->best_blocking : "-",
					mixed ? "\n   (placements differ in this group: compare ratios with care)" : "");
			fprintf(out, "%-16s %-8s", "mechanism", "group");
			for (int c = 0; c < 6 && cols[c] >= 0; c++)
				fprintf(out, " %10s", col_names[g->wl][c]);
			fprintf(out, " %19s %5s %5s %8s %8s\n", "spread", "runs", "place",
				"vs best", "vs sleep");
		}
		fprintf(out, "%-16s %-8s", g->mech->name, group_name(g->mech->group));
		if (g->status != FIG_OK) {
			fprintf(out, " %s: %s\n", fig_status_name(g->status), g->reason);
			continue;
		}
		for (int c = 0; c < 6 && cols[c] >= 0; c++) {
			fmt_val(buf, sizeof(buf), &w->metrics[cols[c]], g->med[cols[c]]);
			fprintf(out, " %10s", buf);
		}
		{
			char lo[16], hi[16], sp[40];
			const struct bench_metric *m = &w->metrics[cols[0]];

			fmt_val(lo, sizeof(lo), m, g->lo[cols[0]]);
			fmt_val(hi, sizeof(hi), m, g->hi[cols[0]]);
			snprintf(sp, sizeof(sp), "%s-%s", lo, hi);
			fprintf(out, " %19s", sp);
		}
		snprintf(buf, sizeof(buf), "%u/%u", g->kept, g->nrec);
		fprintf(out, " %5s %5s", buf, place_name(g->place));
		fmt_ratio(buf, sizeof(buf), g->ratio);
		fprintf(out, " %8s", buf);
		fmt_ratio(buf, sizeof(buf), g->ratio_blocking);
		fprintf(out, " %8s\n", buf);
	}
}

static void csv_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void csv_num(FILE *out, double v)
{
	if (isnan(v))
		fputs(",", out);
	else
		fprintf(out, ",%.6g", v);
}

void report_csv(FILE *out, const struct bench_fig *f, size_t n)
{
	fprintf(out, "workload,size,variant,mechanism,group,status,metric,unit,median,min,max,"
		"kept,attempts,placement,probe_us,ratio,ratio_sleeping,best_baseline,reason\n");
	for (size_t i = 0; i < n; i++) {
		const struct bench_fig *g = &f[i];
		const struct bench_wl_info *w = &bench_wls[g->wl];
		unsigned int nm = g->status == FIG_OK ? w->nmetrics : 1;

		for (unsigned int m = 0; m < nm; m++) {
			fprintf(out, "%s,%zu,%u,%s,%s,%s,", w->name, g->size, g->variant,
				g->mech->name, group_name(g->mech->group), fig_status_name(g->status));
			if (g->status != FIG_OK) {
				fprintf(out, ",,,,,%u,%u,,,,,", 0, g->nrec);
				csv_str(out, g->best);
				fputc(',', out);
				csv_str(out, g->reason);
				fputc('\n', out);
				continue;
			}
			fprintf(out, "%s,%s", w->metrics[m].key, w->metrics[m].unit);
			csv_num(out, g->med[m]);
			csv_num(out, g->lo[m]);
			csv_num(out, g->hi[m]);
			fprintf(out, ",%u,%u,%s", g->kept, g->nrec, place_name(g->place));
			csv_num(out, g->probe_us);
			csv_num(out, m == w->primary ? g->ratio : NAN);
			csv_num(out, m == w->primary ? g->ratio_blocking : NAN);
			fputc(',', out);
			csv_str(out, g->best);
			fputs(",\n", out);
		}
	}
}

static void json_str(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void json_num(FILE *out, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", out);
	else
		fprintf(out, "%.6g", v);
}

/* ", "key": value" after an earlier member of the same object. */
static void json_field_str(FILE *out, const char *key, const char *s)
{
	fprintf(out, ", \"%s\": ", key);
	json_str(out, s);
}

static void json_field_num(FILE *out, const char *key, double v)
{
	fprintf(out, ", \"%s\": ", key);
	json_num(out, v);
}

void report_json(FILE *out, const struct bench_fig *f, size_t n, const struct bench_opts *o)
{
	fprintf(out, "{\n  \"tool\": \"kipc-bench\",\n  \"libkipc\": \"%d.%d\",\n",
		kipc_version_major(), kipc_version_minor());
	fputs("  \"env\": {\"where\": ", out);
	json_str(out, bench_env.where);
	json_field_str(out, "detected_by", bench_env.how);
	json_field_str(out, "cpu", bench_env.cpu_model);
	json_field_str(out, "kernel", bench_env.kernel);
	json_field_str(out, "clocksource", bench_env.clocksource);
	fprintf(out, ", \"cpus\": %d", bench_env.ncpus);
	json_field_num(out, "clock_ns", bench_env.clock_ns);
	json_field_str(out, "syscall_counting", bench_env.syscall_how);
	fprintf(out, ", \"loadavg_start\": %.2f},\n", bench_env.loadavg_start);
	fprintf(out, "  \"method\": {\"runs\": %u, \"warmup_s\": %g, \"duration_s\": %g, "
		"\"max_foreign_cpu\": %g, \"probe_split_us\": %g, \"gap_us\": %g, \"objects\": %u},\n",
		o->runs, o->warmup, o->duration, o->max_foreign, o->probe_split, o->gap_us, o->nobjs);
	fputs("  \"results\": [", out);
	for (size_t i = 0; i < n; i++) {
		const struct bench_fig *g = &f[i];
		const struct bench_wl_info *w = &bench_wls[g->wl];

		fprintf(out, "%s\n    {\"workload\": \"%s\", \"size\": %zu, \"variant\": %u, "
			"\"mechanism\": \"%s\", \"group\": \"%s\", \"status\": \"%s\"",
			i ? "," : "", w->name, g->size, g->variant, g->mech->name,
			group_name(g->mech->group), fig_status_name(g->status));
		if (g->status != FIG_OK)
			json_field_str(out, "reason", g->reason);
		if (g->status != FIG_OK && g->status != FIG_UNSTABLE) {
			fputs("}", out);
			continue;
		}
		fprintf(out, ", \"kept\": %u, \"attempts\": %u, \"placement\": \"%s\"",
			g->kept, g->nrec, place_name(g->place));
		json_field_num(out, "probe_us", g->probe_us);
		json_field_num(out, "ratio", g->ratio);
		json_field_num(out, "ratio_sleeping", g->ratio_blocking);
		json_field_str(out, "best_baseline", g->best);
		fprintf(out, ", \"primary\": \"%s\", \"metrics\": {", w->metrics[w->primary].key);
		for (unsigned int m = 0; m < w->nmetrics; m++) {
			fprintf(out, "%s\"%s\": {\"unit\": \"%s\", \"median\": ", m ? ", " : "",
				w->metrics[m].key, w->metrics[m].unit);
			json_num(out, g->med[m]);
			json_field_num(out, "min", g->lo[m]);
			json_field_num(out, "max", g->hi[m]);
			fputs("}", out);
		}
		fputs("}, \"runs\": [", out);
		for (unsigned int r = 0; r < g->nrec; r++) {
			const struct run_rec *rec = &g->rec[r];

			fprintf(out, "%s{\"value\": ", r ? ", " : "");
			json_num(out, rec->v[w->primary]);
			fprintf(out, ", \"load\": %.2f, \"probe_us\": [", rec->load);
			json_num(out, rec->probe[0]);
			fputs(", ", out);
			json_num(out, rec->probe[1]);
			fputs("]", out);
			json_field_num(out, "foreign_cpu", rec->foreign);
			json_field_num(out, "steal_cpu", rec->steal);
			json_field_str(out, "dropped", rec->dropped);
			fputs("}", out);
		}
		fputs("]}", out);
	}
	fputs("\n  ]\n}\n", out);
}
