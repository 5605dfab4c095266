// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench - SVG plots of latency and throughput against message size,
 * drawn by gnuplot when it is installed (Debian: gnuplot-nox).  The data
 * files and the script stay in the directory, so the plots can be redrawn
 * or restyled without running the benchmark again.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

struct plot {
	const char *name;	/* file stem */
	enum bench_wl wl;
	unsigned int metric;
	const char *ylabel;
};

static const struct plot plots[] = {
	{ "latency", WL_PINGPONG, 1, "round trip p50 (us)" },
	{ "throughput", WL_STREAM, 1, "one-way throughput (GB/s)" },
	{ "msgrate", WL_STREAM, 0, "one-way messages per second" },
};

/* Write one data block per mechanism; returns the number of blocks. */
static int write_data(FILE *d, const struct plot *p, const struct bench_fig *f, size_t n,
		      const char **names, int max)
{
	int blocks = 0;

	for (int mi = 0; bench_mechs[mi] && blocks < max; mi++) {
		bool any = false;

		for (size_t i = 0; i < n; i++) {
			const struct bench_fig *g = &f[i];

			if (g->wl != p->wl || g->mech != bench_mechs[mi] || g->status != FIG_OK)
				continue;
			if (!any)
				fprintf(d, "# %s\n", g->mech->name);
			any = true;
			fprintf(d, "%zu %g %g %g\n", g->size, g->med[p->metric],
				g->lo[p->metric], g->hi[p->metric]);
		}
		if (any) {
			fputs("\n\n", d);
			names[blocks++] = bench_mechs[mi]->name;
		}
	}
	return blocks;
}

static int run_gnuplot(const char *dir, const char *script)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (chdir(dir))
			_exit(126);
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return -ENOENT;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EIO;
}

int report_plot(const char *dir, const struct bench_fig *f, size_t n)
{
	char path[4096];
	FILE *s;
	int drawn = 0;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/plot.gp", dir);
	s = fopen(path, "we");
	if (!s)
		return -errno;
	fprintf(s, "# kipc-bench plots, %s; redraw with: gnuplot plot.gp\n", bench_env.where);
	fputs("set terminal svg size 960,600 dynamic font 'sans,12'\n"
	      "set logscale xy\nset grid\nset key outside right\n"
	      "set xlabel 'message size (bytes)'\n", s);
	for (size_t pi = 0; pi < sizeof(plots) / sizeof(plots[0]); pi++) {
		const struct plot *p = &plots[pi];
		const char *names[32];
		FILE *d;
		int blocks;

		snprintf(path, sizeof(path), "%s/%s.dat", dir, p->name);
		d = fopen(path, "we");
		if (!d) {
			fclose(s);
			return -errno;
		}
		blocks = write_data(d, p, f, n, names, 32);
		fclose(d);
		if (!blocks)
			continue;
		fprintf(s, "\nset output '%s.svg'\nset ylabel '%s'\n"
			"set title '%s (%s; bars: min-max of runs)'\nplot ",
			p->name, p->ylabel, bench_wls[p->wl].title, bench_env.where);
		for (int b = 0; b < blocks; b++)
			fprintf(s, "%s'%s.dat' index %d using 1:2:3:4 with yerrorlines title '%s'",
				b ? ", \\\n     " : "", p->name, b, names[b]);
		fputc('\n', s);
		drawn++;
	}
	fclose(s);
	if (!drawn)
		return -ENODATA;
	return run_gnuplot(dir, "plot.gp");
}
