// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench smoke test: run the benchmark with tiny counts and check
 * that what it prints is well-formed -- the JSON parses, every requested
 * row is there with a known status, the CSV has its header and rows, and
 * no baseline fails.  Nothing here judges speed: benchmarks are programs,
 * not timed tests.
 *
 * The binary is found next to the tests (../tools in the build tree,
 * ../bin in the VM) or through KIPC_BENCH.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

static const char *const tiny[] = {
	"--runs", "1", "--duration", "0.01", "--warmup", "0.005", "--objects", "100",
	"--no-probe", "--keep-all", "--quiet", "--sizes", "64", "--pp-sizes", "64",
	"-w", "pingpong,stream,wake-awake,objects",
	"-m", "pipe,unix-seqpacket,shm-futex,kipc-ring,cacheline",
};
#define NR_TINY		(sizeof(tiny) / sizeof(tiny[0]))
#define NR_ROWS		(4 * 5)	/* workloads x mechanisms, one size each */

static const char *const mechs[] = { "pipe", "unix-seqpacket", "shm-futex", "kipc-ring", "cacheline" };
static const char *const wls[] = { "pingpong", "stream", "wake-awake", "objects" };

static bool find_bench(char *path, size_t len)
{
	const char *env = getenv("KIPC_BENCH");
	char self[PATH_MAX - 32];
	ssize_t n;

	if (env && *env) {
		snprintf(path, len, "%s", env);
		return !access(path, X_OK);
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return false;
	self[n] = 0;
	*strrchr(self, '/') = 0;
	snprintf(path, len, "%s/../tools/kipc-bench", self);
	if (!access(path, X_OK))
		return true;
	snprintf(path, len, "%s/../bin/kipc-bench", self);
	return !access(path, X_OK);
}

/* Run kipc-bench with extra arguments; returns its stdout, sets *status. */
static char *run_bench(const char *bench, const char *const *extra, int nextra, int *status,
		       bool mute)
{
	const char *argv[NR_TINY + 8];
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	int pfd[2], argc = 0;
	pid_t pid;

	argv[argc++] = bench;
	for (size_t i = 0; i < NR_TINY; i++)
		argv[argc++] = tiny[i];
	for (int i = 0; i < nextra; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	if (!out || pipe(pfd))
		return NULL;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		if (mute)
			freopen("/dev/null", "w", stderr);
		close(pfd[0]);
		close(pfd[1]);
		execv(bench, (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			cap *= 2;
			out = realloc(out, cap);
			if (!out)
				return NULL;
		}
		n = read(pfd[0], out + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = 0;
	close(pfd[0]);
	waitpid(pid, status, 0);
	return out;
}

/* A strict little JSON parser: 0 if p..end is one JSON value. */
static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *value(const char *p, int depth);

static const char *string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
		p++;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *number(const char *p)
{
	char *end;

	if (*p != '-' && (*p < '0' || *p > '9'))
		return NULL;
	strtod(p, &end);
	return end > p ? end : NULL;
}

static const char *container(const char *p, int depth, char close, bool keys)
{
	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keys) {
			p = string(ws(p));
			if (!p)
				return NULL;
			p = ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = value(p, depth + 1);
		if (!p)
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *value(const char *p, int depth)
{
	p = ws(p);
	if (depth > 32)
		return NULL;
	switch (*p) {
	case '{': return container(p, depth, '}', true);
	case '[': return container(p, depth, ']', false);
	case '"': return string(p);
	case 't': return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f': return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n': return strncmp(p, "null", 4) ? NULL : p + 4;
	default: return number(p);
	}
}

static bool json_ok(const char *s)
{
	const char *p = value(s, 0);

	return p && !*ws(p);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Fields of one CSV line; commas inside quotes do not count. */
static int csv_fields(const char *line)
{
	bool quoted = false;
	int n = 1;

	for (const char *p = line; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == ',' && !quoted)
			n++;
	}
	return n;
}

/* The status of the row (workload, mechanism), or NULL. */
static const char *row_status(const char *json, const char *wl, const char *mech, char *buf, size_t len)
{
	char key[160];
	const char *p;

	snprintf(key, sizeof(key), "\"workload\": \"%s\", \"size\": ", wl);
	for (p = json; (p = strstr(p, key)); p++) {
		const char *eol = strchr(p, '\n');
		char m[80];

		snprintf(m, sizeof(m), "\"mechanism\": \"%s\", ", mech);
		if (!eol)
			eol = p + strlen(p);
		const char *hit = strstr(p, m);

		if (hit && hit < eol) {
			const char *st = strstr(p, "\"status\": \"");

			if (!st || st > eol)
				return NULL;
			st += 11;
			snprintf(buf, len, "%.*s", (int)strcspn(st, "\""), st);
			return buf;
		}
	}
	return NULL;
}

TEST(json)
{
	const char *extra[] = { "--json" };
	char bench[PATH_MAX], st[32];
	int status;
	char *out;

	if (!find_bench(bench, sizeof(bench)))
		SKIP(return, "kipc-bench not built");
	out = run_bench(bench, extra, 1, &status, false);
	ASSERT_NE(NULL, out);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_TRUE(json_ok(out)) {
		TH_LOG("not JSON:\n%s", out);
	}
	EXPECT_EQ(NR_ROWS, count(out, "\"workload\": "));
	EXPECT_EQ(1, count(out, "\"env\": {\"where\": "));
	for (size_t w = 0; w < sizeof(wls) / sizeof(wls[0]); w++) {
		for (size_t m = 0; m < sizeof(mechs) / sizeof(mechs[0]); m++) {
			const char *s = row_status(out, wls[w], mechs[m], st, sizeof(st));

			ASSERT_NE(NULL, s) {
				TH_LOG("no row for %s/%s", wls[w], mechs[m]);
			}
			/*
			 * Baselines and limits run or do not apply; they never
			 * fail.  kipc paths run, or say they are missing.
			 */
			bool kipc = !strncmp(mechs[m], "kipc", 4);
			bool good = !strcmp(s, "ok") || !strcmp(s, "n/a") ||
				    (kipc ? !strcmp(s, "missing") : !strcmp(s, "unstable"));

			EXPECT_TRUE(good) {
				TH_LOG("%s/%s: status %s", wls[w], mechs[m], s);
			}
		}
	}
	/*
	 * Rows that ran carry their metrics with median, min and max; an
	 * "unstable" row (runs dropped on a loaded or slow machine) may
	 * carry what it kept.
	 */
	EXPECT_LE(count(out, "\"status\": \"ok\""), count(out, "\"metrics\": {"));
	EXPECT_GE(count(out, "\"status\": \"ok\"") + count(out, "\"status\": \"unstable\""),
		  count(out, "\"metrics\": {"));
	free(out);
}

TEST(csv)
{
	const char *extra[] = { "--csv", "-w", "stream,objects" };
	char bench[PATH_MAX];
	int status, ok = 0, other = 0;
	char *out, *line, *save = NULL;

	if (!find_bench(bench, sizeof(bench)))
		SKIP(return, "kipc-bench not built");
	out = run_bench(bench, extra, 3, &status, false);
	ASSERT_NE(NULL, out);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	line = strtok_r(out, "\n", &save);
	ASSERT_NE(NULL, line);
	EXPECT_EQ(0, strncmp(line, "workload,size,variant,mechanism,group,status,metric,", 52));
	while ((line = strtok_r(NULL, "\n", &save))) {
		EXPECT_EQ(19, csv_fields(line)) {
			TH_LOG("bad CSV row: %s", line);
		}
		if (strstr(line, ",ok,"))
			ok++;
		else
			other++;
	}
	/* 2 workloads x 5 mechanisms; an ok row is one line per metric. */
	EXPECT_LE(1, ok);
	EXPECT_GE(2 * 5, other);
	free(out);
}

TEST(list_and_usage)
{
	const char *list[] = { "--list" }, *bad[] = { "--no-such-option" };
	char bench[PATH_MAX];
	int status;
	char *out;

	if (!find_bench(bench, sizeof(bench)))
		SKIP(return, "kipc-bench not built");
	out = run_bench(bench, list, 1, &status, false);
	ASSERT_NE(NULL, out);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (size_t m = 0; m < sizeof(mechs) / sizeof(mechs[0]); m++)
		EXPECT_NE(NULL, strstr(out, mechs[m]));
	free(out);
	out = run_bench(bench, bad, 1, &status, true);
	ASSERT_NE(NULL, out);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2);
	free(out);
}

KIPC_TEST_HARNESS_MAIN
