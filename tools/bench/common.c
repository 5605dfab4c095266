// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench - time, shared memory, worker processes, statistics.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double now_s(void)
{
	return now_ns() / 1e9;
}

/* Busy-wait without system calls (clock_gettime is in the vDSO). */
void spin_until_ns(uint64_t t)
{
	while (now_ns() < t)
		cpu_relax();
}

void *shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, len);
	return p;
}

void shared_free(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

int pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static char proc_msg_buf[96];

/* A worker explains its failure; the first failing worker is reported. */
void proc_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(proc_msg_buf, sizeof(proc_msg_buf), fmt, ap);
	va_end(ap);
}

int procs_init(struct procs *p)
{
	memset(p, 0, sizeof(*p));
	p->ctl = shared_alloc(sizeof(*p->ctl));
	return p->ctl ? 0 : -ENOMEM;
}

void procs_fini(struct procs *p)
{
	shared_free(p->ctl, sizeof(*p->ctl));
	p->ctl = NULL;
}

int procs_spawn(struct procs *p, int cpu,
		int (*fn)(void *arg, struct proc_ctl *ctl), void *arg)
{
	pid_t pid;

	if (p->n >= (int)(sizeof(p->pid) / sizeof(p->pid[0])))
		return -E2BIG;
	pid_t parent = getpid();

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int ret;

		/* Die with the parent rather than spin on for ever. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		ret = pin_cpu(cpu);
		if (!ret)
			ret = fn(arg, p->ctl);
		if (ret) {
			int none = 0;

			/* The first error is the one reported. */
			if (__atomic_compare_exchange_n(&p->ctl->err, &none, ret, false,
							__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				snprintf(p->ctl->msg, sizeof(p->ctl->msg), "%s",
					 proc_msg_buf[0] ? proc_msg_buf : strerror(-ret));
			__atomic_store_n(&p->ctl->stop, 1, __ATOMIC_RELEASE);
		}
		_exit(ret ? 1 : 0);
	}
	p->pid[p->n++] = pid;
	return 0;
}

/* Child side: announce readiness and wait for the start signal. */
void proc_ready_wait(struct proc_ctl *ctl)
{
	const struct timespec slice = { .tv_nsec = 20 * 1000000 };

	__atomic_fetch_add(&ctl->ready, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &ctl->ready, FUTEX_WAKE, 1, NULL, NULL, 0);
	/*
	 * Sleep, do not spin: workers may outnumber CPUs, and the others
	 * must get ready.  (A sched_yield() loop here also starved the
	 * guest's watchdog under TCG on a loaded host: soft lockups.)  The
	 * precise start is the spin to t_go below, 1 ms after "go"; the
	 * slice only bounds how late a "stop" is seen.
	 */
	while (!__atomic_load_n(&ctl->go, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&ctl->stop, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, &ctl->go, FUTEX_WAIT, 0, &slice, NULL, 0);
	spin_until_ns(ctl->t_go);
}

int procs_go(struct procs *p)
{
	uint64_t deadline = now_ns() + 10ull * 1000000000ull;

	const struct timespec slice = { .tv_nsec = 20 * 1000000 };
	int ready;

	/* Each worker wakes us once it is ready (proc_ready_wait()). */
	while ((ready = __atomic_load_n(&p->ctl->ready, __ATOMIC_ACQUIRE)) < p->n) {
		if (__atomic_load_n(&p->ctl->stop, __ATOMIC_ACQUIRE))
			break;
		if (now_ns() > deadline) {
			__atomic_store_n(&p->ctl->stop, 1, __ATOMIC_RELEASE);
			return -ETIMEDOUT;
		}
		syscall(SYS_futex, &p->ctl->ready, FUTEX_WAIT, ready, &slice, NULL, 0);
	}
	p->ctl->t_go = now_ns() + 1000000;	/* everybody starts the clock here */
	__atomic_store_n(&p->ctl->go, 1, __ATOMIC_RELEASE);
	/* Shared between processes: not a FUTEX_PRIVATE_FLAG futex. */
	syscall(SYS_futex, &p->ctl->go, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	return 0;
}

/*
 * Reap every worker.  A failed worker leaves its peers blocked in a read
 * or a futex where nothing will ever come, and a lost wake-up leaves them
 * all asleep: either way the rest are killed, after the first failure or
 * after timeout seconds.  The parent sleeps in sigtimedwait() on SIGCHLD
 * (blocked by main), so it costs the workers no CPU while they run.
 */
int procs_wait(struct procs *p, double timeout, char *msg, size_t msglen)
{
	uint64_t deadline = now_ns() + (uint64_t)(timeout * 1e9);
	bool alive[BENCH_MAX_PROD + 2];
	int left = p->n, ret = 0;
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (int i = 0; i < p->n; i++)
		alive[i] = true;
	while (left) {
		int st, i;
		pid_t pid = waitpid(-1, &st, WNOHANG);

		if (pid < 0 && errno != EINTR)
			break;
		for (i = 0; pid > 0 && i < p->n; i++)
			if (p->pid[i] == pid)
				break;
		if (pid > 0 && i < p->n) {
			alive[i] = false;
			left--;
			if ((!WIFEXITED(st) || WEXITSTATUS(st)) && !ret)
				ret = p->ctl->err ? p->ctl->err : -ECHILD;
		} else if (pid == 0) {
			uint64_t now = now_ns();
			struct timespec ts = { 0, 200000000 };

			if (now >= deadline && !ret) {
				ret = -ETIMEDOUT;
				snprintf(p->ctl->msg, sizeof(p->ctl->msg),
					 "no progress for %.0f s (lost wake-up?)", timeout);
			}
			if (!ret)
				sigtimedwait(&chld, NULL, &ts);
		}
		if (ret)
			for (int j = 0; j < p->n; j++)
				if (alive[j])
					kill(p->pid[j], SIGKILL);
	}
	if (ret && msg) {
		if (p->ctl->msg[0])
			snprintf(msg, msglen, "%s", p->ctl->msg);
		else
			snprintf(msg, msglen, "worker failed: %s", strerror(-ret));
	}
	p->n = 0;
	return ret;
}

int procs_run(const struct proc_spec *w, int n, double timeout, char *msg, size_t msglen)
{
	struct procs p;
	int ret = 0;

	if (procs_init(&p))
		return -ENOMEM;
	for (int i = 0; !ret && i < n; i++)
		ret = procs_spawn(&p, w[i].cpu, w[i].fn, w[i].arg);
	if (!ret)
		ret = procs_go(&p);
	ret = procs_wait(&p, timeout, msg, msglen) ?: ret;
	procs_fini(&p);
	return ret;
}

int procs_run_sample(const struct bench_run *run, int (*fn)(void *arg, struct proc_ctl *ctl),
		     double timeout, struct bench_sample *out)
{
	struct sample_arg a = { .run = run };
	struct proc_spec w = { run->cpu_cons, fn, &a };
	int ret;

	a.out = shared_alloc(sizeof(*a.out));
	if (!a.out)
		return -ENOMEM;
	ret = procs_run(&w, 1, timeout, out->note, sizeof(out->note));
	if (!ret)
		memcpy(out->v, a.out->v, sizeof(out->v));
	shared_free(a.out, sizeof(*a.out));
	return ret;
}

int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array, p in [0, 100]. */
double percentile_sorted(const double *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return NAN;
	i = (size_t)ceil(p / 100.0 * (double)n);
	if (i > 0)
		i--;
	if (i >= n)
		i = n - 1;
	return v[i];
}

/* 1234567 -> "1.23M"; three significant digits. */
void fmt_si(char *buf, size_t len, double v)
{
	static const char sfx[] = " kMGT";
	int i = 0;

	if (isnan(v)) {
		snprintf(buf, len, "-");
		return;
	}
	while (fabs(v) >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	if (fabs(v) >= 100 || v == 0)
		snprintf(buf, len, "%.0f%.*s", v, i ? 1 : 0, &sfx[i]);
	else if (fabs(v) >= 10)
		snprintf(buf, len, "%.1f%.*s", v, i ? 1 : 0, &sfx[i]);
	else if (fabs(v) >= 0.01 || i)
		snprintf(buf, len, "%.2f%.*s", v, i ? 1 : 0, &sfx[i]);
	else
		snprintf(buf, len, "%.4f", v);
}
