/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * kipc-bench - internal interfaces.
 *
 * A *mechanism* is one way of moving messages between processes (pipe,
 * unix socket, POSIX mq, shm rings, kipc paths) or a physical limit
 * (memcpy, cache-line ping-pong).  A *workload* drives mechanisms through
 * the channel operations below, in processes forked per measurement.  A
 * *figure* is one (workload, mechanism, size, variant) cell: the median
 * of several kept runs.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef KIPC_BENCH_H
#define KIPC_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_MAX_METRICS	8
#define BENCH_MAX_CPUS		64
#define BENCH_MAX_PROD		8

/* ------------------------------------------------------------------ */
/* Mechanisms                                                          */
/* ------------------------------------------------------------------ */

enum bench_group {
	BENCH_BASELINE,		/* what users would pick instead of kipc */
	BENCH_KIPC,		/* kipc paths (kmod and libkipc backends) */
	BENCH_LIMIT,		/* physical limits, not mechanisms */
};

/* bench_mech.caps */
#define MECH_MPSC	(1u << 0)	/* producers in several processes share the send side */
#define MECH_BATCH	(1u << 1)	/* send_batch/recv_batch move several messages per call */
#define MECH_SLEEPS	(1u << 2)	/* an idle receiver sleeps (not busy-polling) */

/* Roles passed to bench_mech.attach after fork. */
enum bench_role { ROLE_PRODUCER, ROLE_CONSUMER };

/* What a workload asks of a channel. */
struct bench_chan_cfg {
	size_t msg_size;	/* every message has exactly this size (>= 8) */
	size_t budget;		/* bytes the channel should be able to hold */
	unsigned int nprod;	/* producer processes sharing the send side */
	unsigned int batch;	/* largest n of send_batch/recv_batch */
	bool shared_send;	/* multi-producer workload: the send side is shared */
	bool oversubscribed;	/* more busy processes than CPUs */
};

/* One idle object of the create/destroy/memory workload. */
struct bench_obj {
	int fd[2];
	void *map;
	size_t map_len;
	void *priv[2];		/* the mechanism's own handles */
};

struct bench_run;
struct bench_sample;

/*
 * The plug-in interface.  A channel is one-way (producers -> consumer);
 * ping-pong opens two.  open() runs in the parent before fork, so every
 * fd and MAP_SHARED mapping it creates is inherited; everything else in
 * the returned object is copied per process and may hold private state
 * (cached positions, carry-over bytes).  attach() runs once in each child.
 *
 * send/recv move exactly one message of cfg.msg_size bytes and return 0
 * or -errno.  send_batch moves n messages stored back to back; recv_batch
 * blocks for at least one and returns how many it stored (<= max) or
 * -errno.  Mechanisms without MECH_BATCH leave them NULL.
 *
 * open() and obj_create() are handed the mechanism itself, so that one
 * implementation can serve several rows that differ only in a parameter
 * (a backend, a signalling flavour): priv points at it.
 *
 * A mechanism that cannot run here says why in missing(); it is then
 * reported as "missing", never replaced by something else.  unsupported()
 * rules out single configurations ("n/a"), e.g. a size above a limit.
 *
 * pingpong/stream replace the generic workload for mechanisms that are
 * not channels (the physical limits) or have their own data path (a
 * zero-copy reserve/commit ring).
 */
struct bench_mech {
	const char *name;
	enum bench_group group;
	const char *desc;
	unsigned int caps;

	const char *(*missing)(void);
	const char *(*unsupported)(const struct bench_chan_cfg *cfg);

	const void *priv;	/* the row's parameter, for open/obj_create */

	void *(*open)(const struct bench_mech *m, const struct bench_chan_cfg *cfg, int *err);
	int (*attach)(void *ch, enum bench_role role);
	int (*send)(void *ch, const void *msg);
	int (*recv)(void *ch, void *buf);
	int (*send_batch)(void *ch, const void *msgs, unsigned int n);
	int (*recv_batch)(void *ch, void *bufs, unsigned int max);
	void (*close)(void *ch);

	/* create/destroy/memory workload: one idle object, 0 or -errno */
	int (*obj_create)(const struct bench_mech *m, struct bench_obj *obj);
	void (*obj_destroy)(struct bench_obj *obj);
	const char *obj_desc;

	int (*pingpong)(const struct bench_run *run, struct bench_sample *out);
	int (*stream)(const struct bench_run *run, struct bench_sample *out);
};

extern const struct bench_mech *const bench_mechs[];
const struct bench_mech *bench_mech_find(const char *name);

/* mech_*.c */
extern const struct bench_mech mech_pipe, mech_unix_stream, mech_unix_seqpacket;
extern const struct bench_mech mech_mq;
extern const struct bench_mech mech_shm_eventfd, mech_shm_futex, mech_shm_poll;
extern const struct bench_mech mech_memcpy, mech_cacheline;
extern const struct bench_mech mech_kipc_ring, mech_kipc_ring_spin, mech_kipc_ring_poll;
extern const struct bench_mech mech_kipc_queue;
extern const struct bench_mech mech_kipc_queue_rw;
extern const struct bench_mech mech_kipc_shm, mech_kipc_shm_spin, mech_kipc_unix, mech_kipc_pipe;

/* ------------------------------------------------------------------ */
/* Workloads and metrics                                               */
/* ------------------------------------------------------------------ */

enum bench_wl {
	WL_PINGPONG,		/* round trip latency */
	WL_STREAM,		/* one-way throughput, one message per call */
	WL_BATCH,		/* one-way throughput, batch messages per call */
	WL_MP,			/* nprod producers into one consumer */
	WL_WAKE_AWAKE,		/* syscalls per message, streaming flat out */
	WL_WAKE_SLEEP,		/* syscalls per message, consumer asleep */
	WL_OBJECTS,		/* create/destroy cost, memory per idle object */
	WL_COUNT
};

struct bench_metric {
	const char *key;	/* JSON/CSV name */
	const char *unit;
	bool higher_better;
};

struct bench_wl_info {
	const char *name;
	const char *title;
	unsigned int nmetrics;
	unsigned int primary;	/* metric the ratio column is computed on */
	struct bench_metric metrics[BENCH_MAX_METRICS];
};

extern const struct bench_wl_info bench_wls[WL_COUNT];
int bench_wl_find(const char *name);

/* Parameters of one measurement. */
struct bench_run {
	const struct bench_mech *mech;
	enum bench_wl wl;
	struct bench_chan_cfg cfg;
	double warmup;		/* seconds */
	double duration;	/* seconds */
	double gap_us;		/* WL_WAKE_SLEEP: pause between messages */
	unsigned int nobjs;	/* WL_OBJECTS */
	int cpu_prod[BENCH_MAX_PROD];
	int cpu_cons;
};

/* Result of one measurement: the workload's metrics, in its order. */
struct bench_sample {
	double v[BENCH_MAX_METRICS];
	char note[96];
};

void rtt_stats(double *v, size_t n, struct bench_sample *out);
int wl_pingpong(const struct bench_run *run, struct bench_sample *out);
int wl_stream(const struct bench_run *run, struct bench_sample *out);
int wl_wake(const struct bench_run *run, struct bench_sample *out);
int wl_objects(const struct bench_run *run, struct bench_sample *out);

/* ------------------------------------------------------------------ */
/* Figures (runner.c) and reports (report.c, plot.c)                   */
/* ------------------------------------------------------------------ */

#define BENCH_MAX_RUNS	32	/* attempts per figure */

enum fig_status { FIG_OK, FIG_MISSING, FIG_NA, FIG_ERROR, FIG_UNSTABLE };

/* Placement of the two measurement CPUs, from the cache-line probe. */
enum place { PLACE_NONE, PLACE_NEAR, PLACE_FAR };

struct run_rec {
	double v[BENCH_MAX_METRICS];
	double load;		/* 1-min load average just before */
	double probe[2];	/* cache-line round trip before/after, µs */
	double foreign;		/* CPUs used by other processes meanwhile */
	double steal;		/* CPUs stolen by the hypervisor meanwhile */
	enum place place;
	const char *dropped;	/* NULL if kept, else why not */
};

struct bench_fig {
	enum bench_wl wl;
	const struct bench_mech *mech;
	size_t size;
	unsigned int variant;	/* WL_BATCH: batch; WL_MP: producers */
	enum fig_status status;
	char reason[128];
	unsigned int nrec, kept;
	struct run_rec rec[BENCH_MAX_RUNS];
	double med[BENCH_MAX_METRICS];	/* over kept runs */
	double lo[BENCH_MAX_METRICS];
	double hi[BENCH_MAX_METRICS];
	enum place place;
	double probe_us;
	double ratio;		/* primary metric vs best baseline, >1 = better */
	double ratio_blocking;	/* vs best baseline that sleeps when idle */
	const char *best, *best_blocking;
};

struct bench_opts {
	unsigned int runs;
	double warmup, duration, gap_us;
	unsigned int nobjs;
	unsigned int batch;
	double max_foreign;	/* CPUs of foreign load that void a run */
	double probe_split;	/* µs: below is "near", above "far" */
	bool probe;
	bool keep_all;
	int cpus[BENCH_MAX_CPUS];
	int ncpus;
};

void bench_run_fig(struct bench_fig *f, const struct bench_opts *o);
void bench_ratios(struct bench_fig *f, size_t n);
const char *place_name(enum place p);
const char *fig_status_name(enum fig_status s);

void report_table(FILE *out, const struct bench_fig *f, size_t n, const struct bench_opts *o);
void report_csv(FILE *out, const struct bench_fig *f, size_t n);
void report_json(FILE *out, const struct bench_fig *f, size_t n, const struct bench_opts *o);
int report_plot(const char *dir, const struct bench_fig *f, size_t n);

/* ------------------------------------------------------------------ */
/* Environment (env.c)                                                 */
/* ------------------------------------------------------------------ */

struct bench_env {
	char where[64];		/* "native", "VM (KVM)", "VM (TCG)", ... */
	char how[160];		/* how "where" was decided */
	char cpu_model[96];
	char kernel[160];
	char clocksource[32];
	int ncpus;		/* CPUs this process may run on */
	int cpus[BENCH_MAX_CPUS];
	bool root;
	bool private_ipc;	/* mq limits raised in a private IPC namespace */
	long mq_msgsize_max, mq_msg_max;
	unsigned long mq_rlimit;	/* RLIMIT_MSGQUEUE bytes, 0 if unlimited */
	int syscall_tp;		/* raw_syscalls:sys_enter id, or -errno */
	char syscall_how[96];
	double clock_ns;	/* cost of one clock_gettime */
	long clock_syscalls;	/* syscalls made by 1000 clock_gettime calls */
	double loadavg_start;
};

extern struct bench_env bench_env;

void env_init(void);
void env_print(FILE *f);
double env_loadavg(void);
int pin_cpu(int cpu);

/* CPU time of the whole machine, for foreign-load detection. */
struct cpu_snap {
	double busy;		/* seconds of user+nice+system+irq+softirq, all CPUs */
	double steal;
	double ours;		/* CPU seconds of our reaped children */
	double t;
};
void cpu_snap(struct cpu_snap *s);

/* ------------------------------------------------------------------ */
/* Helpers: processes, time, statistics                                */
/* ------------------------------------------------------------------ */

double now_s(void);
uint64_t now_ns(void);
void spin_until_ns(uint64_t t);

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

void *shared_alloc(size_t len);
void shared_free(void *p, size_t len);

/*
 * A group of forked workers started together: each child pins itself,
 * attaches, reports ready, and waits for "go".  proc_wait() reaps them
 * all and fails if any did not exit with status 0.  procs_run() is the
 * whole life of a group: init, spawn each of w[0..n-1], go, wait, fini.
 */
struct procs {
	int n;
	int pid[BENCH_MAX_PROD + 2];
	struct proc_ctl *ctl;
};
struct proc_ctl {
	uint64_t t_go;		/* CLOCK_MONOTONIC ns at which the workers start */
	int ready;
	int go;
	int stop;
	int err;
	char msg[96];
};
int procs_init(struct procs *p);
int procs_spawn(struct procs *p, int cpu, int (*fn)(void *arg, struct proc_ctl *ctl), void *arg);
int procs_go(struct procs *p);
int procs_wait(struct procs *p, double timeout, char *msg, size_t msglen);
void procs_fini(struct procs *p);
void proc_ready_wait(struct proc_ctl *ctl);

struct proc_spec {
	int cpu;
	int (*fn)(void *arg, struct proc_ctl *ctl);
	void *arg;
};
int procs_run(const struct proc_spec *w, int n, double timeout, char *msg, size_t msglen);

/*
 * A workload of one worker on run->cpu_cons that fills a shared sample:
 * procs_run_sample() allocates a->out, runs fn(a) and copies the metrics
 * to out.
 */
struct sample_arg {
	const struct bench_run *run;
	struct bench_sample *out;	/* shared */
};
int procs_run_sample(const struct bench_run *run, int (*fn)(void *arg, struct proc_ctl *ctl),
		     double timeout, struct bench_sample *out);
void proc_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmp_double(const void *a, const void *b);
double percentile_sorted(const double *v, size_t n, double p);
void fmt_si(char *buf, size_t len, double v);
void fmt_size(char *buf, size_t len, size_t sz);

/* syscount.c: kernel-side count of this process's own system calls. */
int syscount_open(void);
int syscount_start(int fd);
long syscount_stop(int fd);
void syscount_close(int fd);

/* limits.c: the cache-line round trip that classifies CPU placement. */
double cacheline_probe(int cpu_a, int cpu_b);

#define BENCH_ERR(sample, ...) \
	snprintf((sample)->note, sizeof((sample)->note), __VA_ARGS__)

#endif /* KIPC_BENCH_H */
