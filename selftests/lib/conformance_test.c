// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkipc channel conformance: one suite, run once per backend
 * (FIXTURE_VARIANT kmod, kmod_queue, shm, unix, pipe).  kmod_queue is the
 * kmod backend in its queue mode, which KIPC_F_MULTI_CONSUMER selects.
 * On the host the kmod variants skip (no module); in the VM all of them
 * run.  A backend that cannot do a case skips it with the reason
 * documented in libkipc.rst.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <liburing.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kipc.h>
#include <kipc-uring.h>
#include <linux/kipc.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define SEC		1000000000ULL
#define MSEC		1000000ULL
#define MAX_MSG		(16U << 10)

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261U;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619U;
	return h;
}

struct msg_hdr {
	uint32_t seq;
	uint32_t len;
	uint32_t csum;		/* fnv1a of the payload after the header */
	uint32_t producer;
};

/* Build message @seq of a random length in [sizeof(hdr), max]. */
static size_t make_msg(uint8_t *buf, uint64_t *rng, uint32_t producer,
		       uint32_t seq, size_t max)
{
	struct msg_hdr h;
	size_t len = sizeof(h) + xorshift(rng) % (max - sizeof(h) + 1);

	for (size_t i = sizeof(h); i < len; i++)
		buf[i] = (uint8_t)xorshift(rng);
	h.seq = seq;
	h.len = (uint32_t)len;
	h.producer = producer;
	h.csum = fnv1a(buf + sizeof(h), len - sizeof(h));
	memcpy(buf, &h, sizeof(h));
	return len;
}

/* 0 when @buf (@len bytes) is intact; fills *h. */
static int check_msg(const uint8_t *buf, size_t len, struct msg_hdr *h)
{
	if (len < sizeof(*h))
		return -1;
	memcpy(h, buf, sizeof(*h));
	if (h->len != len || h->csum != fnv1a(buf + sizeof(*h), len - sizeof(*h)))
		return -1;
	return 0;
}

static pid_t fork_child(void)
{
	pid_t pid = fork();

	if (pid == 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static void unique_name(char *buf, size_t size, const char *tag)
{
	snprintf(buf, size, "conf-%s-%d", tag, (int)getpid());
}

/* ------------------------------------------------------------------ */
/* Fixture                                                              */
/* ------------------------------------------------------------------ */

FIXTURE(chan) {
	const char *skip;
	struct kipc_opts opts;
	kipc_chan tx, rx;
};

FIXTURE_VARIANT(chan) {
	int backend;
	const char *name;	/* also $KIPC_BACKEND for the exec'ed programs */
	uint32_t flags;		/* opened with these KIPC_F_* */
	const char *prog_flags;	/* the same, for named_consumer */
	bool ring;		/* shared memory: zero-copy, corruptible */
};

FIXTURE_VARIANT_ADD(chan, kmod) {
	.backend = KIPC_BACKEND_KMOD, .name = "kmod", .ring = true,
};
FIXTURE_VARIANT_ADD(chan, kmod_queue) {
	.backend = KIPC_BACKEND_KMOD, .name = "kmod",
	.flags = KIPC_F_MULTI_CONSUMER,
	.prog_flags = "multi-consumer,credentials",
};
FIXTURE_VARIANT_ADD(chan, shm) {
	.backend = KIPC_BACKEND_SHM, .name = "shm", .ring = true,
};
FIXTURE_VARIANT_ADD(chan, unix) { .backend = KIPC_BACKEND_UNIX, .name = "unix" };
FIXTURE_VARIANT_ADD(chan, pipe) { .backend = KIPC_BACKEND_PIPE, .name = "pipe" };

static bool is_ring(const FIXTURE_VARIANT(chan) *v)
{
	return v->ring;
}

/*
 * $KIPC_TEST_BACKENDS, a comma-separated list of variant names, limits a
 * run to those backends: the kernel debug lanes run only the variants
 * that go through the module, whose user-space twins run on the host
 * (plain and under ASan/UBSan) and on the other lanes.
 */
static bool backend_selected(const char *name)
{
	const char *list = getenv("KIPC_TEST_BACKENDS");
	size_t n = strlen(name);

	if (!list || !*list)
		return true;
	for (const char *p = list; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

FIXTURE_SETUP(chan)
{
	struct kipc_module_info mi;

	if (!backend_selected(variant->name)) {
		self->skip = "backend not in $KIPC_TEST_BACKENDS on this lane";
		return;
	}
	unsetenv("KIPC_BACKEND");
	unsetenv("KIPC_DEV");
	kipc_opts_init(&self->opts);
	self->opts.backend = (uint32_t)variant->backend;
	self->opts.max_msg = MAX_MSG;
	self->opts.flags = variant->flags;
	if (variant->backend == KIPC_BACKEND_KMOD) {
		int ret = kipc_module_info(&mi);

		if (ret == -ENODEV)
			self->skip = "kmod: kipc module not loaded (no /dev/kipc)";
		else if (ret < 0)
			self->skip = "kmod: /dev/kipc not usable";
		else if (!(mi.features & KIPC_FEATURE_RING))
			self->skip = "kmod: /dev/kipc lacks KIPC_FEAT_RING (kernel rings not merged yet)";
		else if (!(mi.features & KIPC_FEATURE_NAMES))
			self->skip = "kmod: /dev/kipc lacks KIPC_FEAT_NAMES";
		else if (!(mi.features & KIPC_FEATURE_DUP))
			self->skip = "kmod: /dev/kipc lacks KIPC_FEAT_DUP";
		else if (variant->flags && !(mi.features & KIPC_FEATURE_QUEUE))
			self->skip = "kmod: /dev/kipc lacks KIPC_FEAT_QUEUE";
	}
}

FIXTURE_TEARDOWN(chan)
{
	if (self->tx.h)
		kipc_close(self->tx);
	if (self->rx.h)
		kipc_close(self->rx);
}

#define PRECHECK() do { \
	if (self->skip) \
		SKIP(return, "%s", self->skip); \
} while (0)

static int make_pair(FIXTURE_DATA(chan) *self, uint32_t flags, uint64_t capacity)
{
	struct kipc_opts o = self->opts;

	o.flags |= flags;
	if (capacity)
		o.capacity = capacity;
	return kipc_pair(&self->tx, &self->rx, &o);
}

/* ------------------------------------------------------------------ */
/* Ordering and integrity                                               */
/* ------------------------------------------------------------------ */

#define BIG_COUNT	((uint32_t)kipc_test_volume(1000000))

TEST_F_TIMEOUT(chan, integrity_1m_messages, 300)
{
	static uint8_t buf[MAX_MSG];
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	struct kipc_stats st;
	struct msg_hdr h;
	uint32_t n = 0;
	pid_t pid;
	int ret;

	PRECHECK();
	ASSERT_EQ(0, make_pair(self, 0, 0));
	ASSERT_EQ(variant->backend, kipc_backend(self->tx));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		kipc_close(self->rx);
		for (uint32_t i = 0; i < BIG_COUNT; i++) {
			size_t len = make_msg(buf, &rng, 0, i, 1024);

			if (kipc_send(self->tx, buf, len) != (int)len)
				_exit(1);
		}
		_exit(0);
	}
	kipc_close(self->tx);
	self->tx = KIPC_CHAN_INVALID;
	for (;;) {
		ret = kipc_recv_timed(self->rx, buf, sizeof(buf), kipc_now() + 60 * SEC);
		if (ret <= 0)
			break;
		ASSERT_EQ(0, check_msg(buf, (size_t)ret, &h));
		ASSERT_EQ(n, h.seq);
		n++;
	}
	EXPECT_EQ(0, ret);	/* end of stream, not an error */
	EXPECT_EQ(BIG_COUNT, n);
	EXPECT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, kipc_stats(self->rx, &st));
	EXPECT_EQ(BIG_COUNT, st.msgs);
	EXPECT_EQ((uint32_t)variant->backend, st.backend);
	EXPECT_EQ(KIPC_CONSUMER, st.role);
}

/* ------------------------------------------------------------------ */
/* Multi-producer                                                       */
/* ------------------------------------------------------------------ */

#define NPROD		4
#define PER_PROD	((uint32_t)kipc_test_volume(20000))

TEST_F_TIMEOUT(chan, multi_producer, 120)
{
	static uint8_t buf[MAX_MSG];
	uint32_t next[NPROD] = { 0 };
	pid_t pids[NPROD];
	struct msg_hdr h;
	uint32_t total = 0;
	int ret;

	PRECHECK();
	ASSERT_EQ(0, make_pair(self, KIPC_F_MULTI_PRODUCER, 0));
	for (int p = 0; p < NPROD; p++) {
		pids[p] = fork_child();
		ASSERT_LE(0, pids[p]);
		if (pids[p] == 0) {
			uint64_t rng = 1234567ULL * (uint64_t)(p + 1);

			kipc_close(self->rx);
			for (uint32_t i = 0; i < PER_PROD; i++) {
				/* every 50th message is bigger than PIPE_BUF */
				size_t len = make_msg(buf, &rng, (uint32_t)p, i,
						      i % 50 ? 512 : MAX_MSG);

				if (kipc_send(self->tx, buf, len) != (int)len)
					_exit(1);
			}
			_exit(0);
		}
	}
	kipc_close(self->tx);
	self->tx = KIPC_CHAN_INVALID;
	for (;;) {
		ret = kipc_recv_timed(self->rx, buf, sizeof(buf), kipc_now() + 60 * SEC);
		if (ret <= 0)
			break;
		ASSERT_EQ(0, check_msg(buf, (size_t)ret, &h));
		ASSERT_GT(NPROD, h.producer);
		ASSERT_EQ(next[h.producer], h.seq);	/* per-producer order */
		next[h.producer]++;
		total++;
	}
	EXPECT_EQ(0, ret);
	EXPECT_EQ(NPROD * PER_PROD, total);
	for (int p = 0; p < NPROD; p++)
		EXPECT_EQ(0, wait_child(pids[p]));
}

/* ------------------------------------------------------------------ */
/* Blocking, timeouts, non-blocking                                     */
/* ------------------------------------------------------------------ */

/* Fill the channel with NOWAIT sends; returns how many went in. */
static int fill(kipc_chan tx, uint32_t first)
{
	uint8_t buf[256] = { 0 };
	int n = 0, ret;

	for (;;) {
		memcpy(buf, &first, sizeof(first));
		ret = kipc_send_timed(tx, buf, sizeof(buf), KIPC_NOWAIT);
		if (ret < 0)
			return ret == -EAGAIN ? n : ret;
		n++;
		first++;
		if (n > 100000)
			return -E2BIG;
	}
}

TEST_F(chan, full_blocks_until_drained)
{
	uint8_t buf[256];
	pid_t pid;
	int n, ret;

	PRECHECK();
	ASSERT_EQ(0, make_pair(self, 0, 4096));
	n = fill(self->tx, 0);
	ASSERT_LT(0, n);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		kipc_close(self->tx);
		usleep(100000);	/* let the parent block on the full channel */
		for (uint32_t i = 0; i < (uint32_t)n + 20; i++) {
			uint32_t v;

			if (kipc_recv_timed(self->rx, buf, sizeof(buf),
					    kipc_now() + 30 * SEC) != sizeof(buf))
				_exit(1);
			memcpy(&v, buf, sizeof(v));
			if (v != i)
				_exit(2);
		}
		_exit(0);
	}
	kipc_close(self->rx);
	self->rx = KIPC_CHAN_INVALID;
	for (uint32_t i = (uint32_t)n; i < (uint32_t)n + 20; i++) {
		memcpy(buf, &i, sizeof(i));
		ret = kipc_send_timed(self->tx, buf, sizeof(buf), kipc_now() + 30 * SEC);
		ASSERT_EQ(sizeof(buf), ret);
	}
	EXPECT_EQ(0, wait_child(pid));
}

TEST_F(chan, empty_blocks_until_sent)
{
	uint64_t v = 0;
	pid_t pid;
	struct kipc_stats st;

	PRECHECK();
	ASSERT_EQ(0, make_pair(self, 0, 0));
	ASSERT_EQ(0, kipc_set_spin(self->rx, KIPC_SPIN_NONE));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint64_t x = 0x1122334455667788ULL;

		kipc_close(self->rx);
		usleep(100000);	/* let the parent sleep on the empty channel */
		_exit(kipc_send(self->tx, &x, sizeof(x)) == sizeof(x) ? 0 : 1);
	}
	kipc_close(self->tx);
	self->tx = KIPC_CHAN_INVALID;
	ASSERT_EQ(sizeof(v), kipc_recv_timed(self->rx, &v, sizeof(v), kipc_now() + 30 * SEC));
	EXPECT_EQ(0x1122334455667788ULL, v);
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(0, kipc_recv_timed(self->rx, &v, sizeof(v), kipc_now() + 30 * SEC));
	ASSERT_EQ(0, kipc_stats(self->rx, &st));
	EXPECT_EQ(1, st.msgs);
}

TEST_F(chan, timeouts_and_nonblocking)
{
	struct kipc_opts o = self->opts;
	kipc_chan t2, r2;
	uint8_t buf[256] = { 1 };
	uint64_t deadline;
	int n;

	PRECHECK();
	ASSERT_EQ(0, make_pair(self, 0, 4096));
	/* Empty: NOWAIT is -EAGAIN, a deadline is -ETIMEDOUT at or after it. */
	EXPECT_EQ(-EAGAIN, kipc_recv_timed(self->rx, buf, sizeof(buf), KIPC_NOWAIT));
	deadline = kipc_now() + 50000000ULL;
	EXPECT_EQ(-ETIMEDOUT, kipc_recv_timed(self->rx, buf, sizeof(buf), deadline));
	EXPECT_LE(deadline, kipc_now());
	/* A deadline in the past does not wait either. */
	EXPECT_EQ(-ETIMEDOUT, kipc_recv_timed(self->rx, buf, sizeof(buf), 1));
	/* Full: the same on the producer side. */
	n = fill(self->tx, 0);
	ASSERT_LT(0, n);
	EXPECT_EQ(-EAGAIN, kipc_send_timed(self->tx, buf, sizeof(buf), KIPC_NOWAIT));
	deadline = kipc_now() + 50000000ULL;
	EXPECT_EQ(-ETIMEDOUT, kipc_send_timed(self->tx, buf, sizeof(buf), deadline));
	EXPECT_LE(deadline, kipc_now());
	/* Draining one message makes room again. */
	EXPECT_EQ(sizeof(buf), kipc_recv(self->rx, buf, sizeof(buf)));

	/* KIPC_F_NONBLOCK makes the plain calls non-blocking. */
	o.flags |= KIPC_F_NONBLOCK;
	ASSERT_EQ(0, kipc_pair(&t2, &r2, &o));
	EXPECT_EQ(-EAGAIN, kipc_recv(r2, buf, sizeof(buf)));
	EXPECT_EQ(3, kipc_send(t2, "abc", 3));
	EXPECT_EQ(3, kipc_recv(r2, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	EXPECT_EQ(-EAGAIN, kipc_recv(r2, buf, sizeof(buf)));
	/* Too small a buffer: -EMSGSIZE and the message stays queued. */
	EXPECT_EQ(5, kipc_send(t2, "hello", 5));
	EXPECT_EQ(-EMSGSIZE, kipc_recv(r2, buf, 2));
	EXPECT_EQ(5, kipc_recv(r2, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(0, kipc_close(t2));
	EXPECT_EQ(0, kipc_recv(r2, buf, sizeof(buf)));	/* end of stream */
	EXPECT_EQ(0, kipc_close(r2));
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * A signal whose handler lacks SA_RESTART ends a blocking receive with
 * -EINTR on every backend; nothing is lost, and the next receive gets
 * the message sent afterwards.
 */
TEST_F(chan, signal_interrupts_blocking_recv)
{
	struct sigaction sa, old;
	/*
	 * A signal that lands while the receiver is between two system
	 * calls (the shm backend sleeps in 50 ms slices) interrupts
	 * nothing, so the timer repeats, off the slice period, until one
	 * lands in the wait.
	 */
	struct itimerval it = { .it_value = { .tv_usec = 100000 },
				.it_interval = { .tv_usec = 7000 } };
	uint64_t deadline;
	char buf[16];
	int ret;

	PRECHECK();
	ASSERT_EQ(0, make_pair(self, 0, 0));
	ASSERT_EQ(0, kipc_set_spin(self->rx, KIPC_SPIN_NONE));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART */
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, &old));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	deadline = kipc_now() + 20 * SEC;
	ret = kipc_recv_timed(self->rx, buf, sizeof(buf), deadline);
	EXPECT_EQ(-EINTR, ret);
	EXPECT_GT(deadline, kipc_now());	/* ended by the signal */
	memset(&it, 0, sizeof(it));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	ASSERT_EQ(0, sigaction(SIGALRM, &old, NULL));
	ASSERT_EQ(3, kipc_send(self->tx, "sig", 3));
	EXPECT_EQ(3, kipc_recv_timed(self->rx, buf, sizeof(buf), kipc_now() + 20 * SEC));
	EXPECT_EQ(0, memcmp(buf, "sig", 3));
}

/*
 * Signals while a send waits for room mid-message: a send either delivers
 * its whole message or, with -EINTR, nothing (then the caller sends it
 * again).  A backend that wrote part of a frame before giving up would
 * leave the stream corrupt.  The consumer starts reading only after many
 * signals have hit the waiting producer.
 */
#define SIG_MSG		(12U << 10)
#define SIG_MSGS	24	/* 288 KiB: more than any backend buffers */

static void fill_pattern(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

TEST_F_TIMEOUT(chan, signal_during_send_keeps_messages_whole, 120)
{
	static uint8_t out[SIG_MSG], in[SIG_MSG], want[SIG_MSG];
	pid_t pid;
	int status;

	PRECHECK();
	ASSERT_EQ(0, make_pair(self, 0, 16U << 10));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct itimerval it = { .it_value = { .tv_usec = 3000 },
					.it_interval = { .tv_usec = 3000 } };
		struct sigaction sa;
		int ret;

		kipc_close(self->rx);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;	/* no SA_RESTART */
		sigaction(SIGALRM, &sa, NULL);
		setitimer(ITIMER_REAL, &it, NULL);
		for (int m = 0; m < SIG_MSGS; m++) {
			fill_pattern(out, SIG_MSG, (uint8_t)m);
			do
				ret = kipc_send_timed(self->tx, out, SIG_MSG,
						      kipc_now() + 60 * SEC);
			while (ret == -EINTR);
			if (ret != (int)SIG_MSG)
				_exit(10 + m);
		}
		memset(&it, 0, sizeof(it));
		setitimer(ITIMER_REAL, &it, NULL);
		_exit(kipc_send(self->tx, "end", 3) == 3 ? 0 : 20);
	}
	usleep(300000);		/* the producer waits for room meanwhile */
	for (int m = 0; m < SIG_MSGS; m++) {
		fill_pattern(want, SIG_MSG, (uint8_t)m);
		ASSERT_EQ((int)SIG_MSG, kipc_recv_timed(self->rx, in, sizeof(in),
							 kipc_now() + 60 * SEC))
			TH_LOG("message %d", m);
		EXPECT_EQ(0, memcmp(in, want, SIG_MSG)) TH_LOG("message %d", m);
	}
	EXPECT_EQ(3, kipc_recv_timed(self->rx, in, sizeof(in), kipc_now() + 60 * SEC));
	EXPECT_EQ(0, memcmp(in, "end", 3));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(chan, vectored_and_batched)
{
	struct kipc_msg out[8] = { 0 }, in[8] = { 0 };
	char bufs[8][32], a[] = "head-", b[] = "tail";
	struct iovec iov[2] = { { a, 5 }, { b, 4 } };
	char x[4], y[16];
	struct iovec riov[2] = { { x, sizeof(x) }, { y, sizeof(y) } };
	int ret;

	PRECHECK();
	ASSERT_EQ(0, make_pair(self, 0, 0));
	EXPECT_EQ(9, kipc_sendv(self->tx, iov, 2, KIPC_FOREVER));
	EXPECT_EQ(9, kipc_recvv(self->rx, riov, 2, KIPC_FOREVER));
	EXPECT_EQ(0, memcmp(x, "head", 4));
	EXPECT_EQ(0, memcmp(y, "-tail", 5));

	for (int i = 0; i < 8; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "batch %d", i);
		out[i].buf = bufs[i];
		out[i].len = strlen(bufs[i]) + 1;
	}
	EXPECT_EQ(8, kipc_send_batch(self->tx, out, 8, KIPC_FOREVER));
	memset(bufs, 0, sizeof(bufs));
	for (int i = 0; i < 8; i++) {
		in[i].buf = bufs[i];
		in[i].len = sizeof(bufs[i]);
		/* Out fields are written whatever the caller left there. */
		in[i].flags = 0x5a5a5a5a;
		in[i].priority = 0x5a5a5a5a;
	}
	/* Everything queued is taken; the first waits, the rest do not. */
	ret = kipc_recv_batch(self->rx, in, 8, kipc_now() + 10 * SEC);
	ASSERT_EQ(8, ret);
	for (int i = 0; i < 8; i++) {
		char want[32];

		snprintf(want, sizeof(want), "batch %d", i);
		EXPECT_STREQ(want, bufs[i]);
		EXPECT_EQ(strlen(want) + 1, in[i].len);
		EXPECT_EQ(0, in[i].priority);
		EXPECT_EQ(0, in[i].flags & ~KIPC_MSG_CRED);
	}
	EXPECT_EQ(-EAGAIN, kipc_recv_batch(self->rx, in, 8, KIPC_NOWAIT));
}

#define BATCH_COUNT	((uint32_t)kipc_test_volume(200000))
#define BATCH_MAX	32U

/*
 * Batches between processes through a small channel: random batch sizes
 * on both sides, so batches wrap the ring, are cut short when it fills,
 * and drain partly written ranges.  Every message arrives once, in order.
 */
TEST_F_TIMEOUT(chan, batched_integrity, 300)
{
	static uint8_t sbuf[BATCH_MAX][512], rbuf[BATCH_MAX][512];
	struct kipc_msg m[BATCH_MAX] = { 0 };
	uint64_t rng = 0x2545f4914f6cdd1dULL, pick = 7;
	struct kipc_stats st;
	struct msg_hdr h;
	uint32_t n = 0;
	pid_t pid;
	int ret;

	PRECHECK();
	ASSERT_EQ(0, make_pair(self, 0, 8192));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint32_t seq = 0;

		kipc_close(self->rx);
		while (seq < BATCH_COUNT) {
			unsigned int k = 1 + (unsigned int)(xorshift(&pick) % BATCH_MAX);

			if (k > BATCH_COUNT - seq)
				k = BATCH_COUNT - seq;
			for (unsigned int i = 0; i < k; i++) {
				m[i].buf = sbuf[i];
				m[i].len = make_msg(sbuf[i], &rng, 0, seq + i, sizeof(sbuf[i]));
			}
			/* A batch cut short by a full ring sends the rest next. */
			for (unsigned int done = 0; done < k; done += (unsigned int)ret) {
				ret = kipc_send_batch(self->tx, m + done, k - done,
						      kipc_now() + 60 * SEC);
				if (ret <= 0 || (unsigned int)ret > k - done)
					_exit(1);
			}
			seq += k;
		}
		_exit(0);
	}
	kipc_close(self->tx);
	self->tx = KIPC_CHAN_INVALID;
	for (;;) {
		unsigned int k = 1 + (unsigned int)(xorshift(&pick) % BATCH_MAX);

		for (unsigned int i = 0; i < k; i++) {
			m[i].buf = rbuf[i];
			m[i].len = sizeof(rbuf[i]);
		}
		ret = kipc_recv_batch(self->rx, m, k, kipc_now() + 60 * SEC);
		if (ret <= 0)
			break;
		ASSERT_GE(k, (unsigned int)ret);
		for (int i = 0; i < ret; i++) {
			ASSERT_EQ(0, check_msg(rbuf[i], m[i].len, &h));
			ASSERT_EQ(n, h.seq);
			n++;
		}
	}
	EXPECT_EQ(0, ret);	/* end of stream */
	EXPECT_EQ(BATCH_COUNT, n);
	EXPECT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, kipc_stats(self->rx, &st));
	EXPECT_EQ(BATCH_COUNT, st.msgs);
}

/* A batch stops at the first message that cannot go: full, or invalid. */
TEST_F(chan, batch_stops_short)
{
	static char big[MAX_MSG + 1];
	struct kipc_msg m[64] = { 0 }, in[4] = { 0 };
	char b[64][200], r[4][200];
	int ret, sent = 0;

	PRECHECK();
	ASSERT_EQ(0, make_pair(self, 0, 4096));
	for (int i = 0; i < 64; i++) {
		memset(b[i], 'a' + i % 26, sizeof(b[i]));
		m[i].buf = b[i];
		m[i].len = sizeof(b[i]);
	}
	/* Fill without waiting: counts (the last one short), then -EAGAIN. */
	for (;;) {
		int k = sent % 64;

		ret = kipc_send_batch(self->tx, m + k, 64 - k, KIPC_NOWAIT);
		if (ret == -EAGAIN)
			break;
		ASSERT_LT(0, ret);
		ASSERT_GE(64 - k, ret);
		sent += ret;
		ASSERT_GT(1 << 20, sent);
	}
	ASSERT_LT(0, sent);
	/* Receive them all; a short buffer leaves the message queued. */
	in[0].buf = r[0];
	in[0].len = 10;
	EXPECT_EQ(-EMSGSIZE, kipc_recv_batch(self->rx, in, 1, KIPC_NOWAIT));
	for (int got = 0; got < sent;) {
		for (int i = 0; i < 4; i++) {
			in[i].buf = r[i];
			in[i].len = i == 2 ? 10 : sizeof(r[i]);
		}
		ret = kipc_recv_batch(self->rx, in, 4, KIPC_NOWAIT);
		ASSERT_LT(0, ret);
		ASSERT_GE(2, ret);	/* stops before the short buffer */
		for (int i = 0; i < ret; i++) {
			EXPECT_EQ(sizeof(r[i]), in[i].len);
			EXPECT_EQ('a' + (got + i) % 64 % 26, r[i][0]);
		}
		got += ret;
	}
	EXPECT_EQ(-EAGAIN, kipc_recv_batch(self->rx, in, 4, KIPC_NOWAIT));
	/* An invalid entry ends the batch; the ones before it are sent. */
	m[1].len = 0;
	EXPECT_EQ(1, kipc_send_batch(self->tx, m, 3, KIPC_NOWAIT));
	m[1].len = sizeof(b[1]);
	m[0].buf = big;
	m[0].len = sizeof(big);
	EXPECT_EQ(-EMSGSIZE, kipc_send_batch(self->tx, m, 2, KIPC_NOWAIT));
	m[1].buf = NULL;
	m[0].buf = b[0];
	m[0].len = sizeof(b[0]);
	EXPECT_EQ(1, kipc_send_batch(self->tx, m, 2, KIPC_NOWAIT));
	EXPECT_EQ(-EINVAL, kipc_send_batch(self->tx, m + 1, 1, KIPC_NOWAIT));
	in[0].buf = r[0];
	in[0].len = sizeof(r[0]);
	EXPECT_EQ(1, kipc_recv_batch(self->rx, in, 1, KIPC_NOWAIT));
	EXPECT_EQ(1, kipc_recv_batch(self->rx, in, 1, KIPC_NOWAIT));
}

/* ------------------------------------------------------------------ */
/* Zero-copy                                                            */
/* ------------------------------------------------------------------ */

TEST_F(chan, zero_copy_reserve_commit_peek_release)
{
	const void *p, *p2;
	void *w;
	char buf[64];

	PRECHECK();
	ASSERT_EQ(0, make_pair(self, 0, 0));
	ASSERT_EQ(0, kipc_reserve(self->tx, &w, 100, KIPC_FOREVER));
	memcpy(w, "zero-copy!", 10);
	EXPECT_EQ(-EBUSY, kipc_send(self->tx, "x", 1));	/* one at a time */
	EXPECT_EQ(10, kipc_commit(self->tx, 10));	/* shorter than reserved */
	/*
	 * Scribble over the committed slot: a ring moved no bytes, so the
	 * consumer sees the scribble; unix and pipe copied at commit.
	 */
	if (is_ring(variant))
		((char *)w)[0] = 'Z';

	ASSERT_EQ(10, kipc_peek(self->rx, &p, KIPC_FOREVER));
	EXPECT_EQ(-EBUSY, kipc_recv(self->rx, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp((const char *)p + 1, "ero-copy!", 9));
	EXPECT_EQ(is_ring(variant) ? 'Z' : 'z', ((const char *)p)[0]);
	EXPECT_EQ(-EINVAL, kipc_release(self->rx, (const char *)p + 1));
	EXPECT_EQ(0, kipc_release(self->rx, p));
	EXPECT_EQ(-EINVAL, kipc_release(self->rx, p));

	/* An aborted reservation is never seen. */
	ASSERT_EQ(0, kipc_reserve(self->tx, &w, 32, KIPC_FOREVER));
	memset(w, 'A', 32);
	EXPECT_EQ(0, kipc_abort(self->tx));
	ASSERT_EQ(0, kipc_reserve(self->tx, &w, 3, KIPC_FOREVER));
	memcpy(w, "end", 3);
	EXPECT_EQ(3, kipc_commit(self->tx, 3));
	ASSERT_EQ(3, kipc_peek(self->rx, &p2, KIPC_FOREVER));
	EXPECT_EQ(0, memcmp(p2, "end", 3));
	EXPECT_EQ(0, kipc_release(self->rx, p2));
	EXPECT_EQ(-EAGAIN, kipc_peek(self->rx, &p2, KIPC_NOWAIT));
}

/*
 * A multi-producer reservation takes its place in the ring before it is
 * committed.  Until the commit the consumer sees nothing, at every
 * position of the first lap (a fresh ring holds zeroes, which must not
 * pass for a committed header) and of the next.
 */
TEST_F(chan, mpsc_reservation_is_not_readable)
{
	char buf[64], msg[16];
	struct kipc_stats st;
	uint64_t n;
	const void *p;
	void *w;
	int ret;

	PRECHECK();
	self->opts.max_msg = sizeof(msg);	/* the smallest ring: one page */
	ret = make_pair(self, KIPC_F_MULTI_PRODUCER, 4096);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "%s: no multi-producer channels", variant->name);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, kipc_stats(self->tx, &st));
	/* Two laps of 24-byte records (8-byte header, 16 bytes). */
	n = 2 * (st.capacity ? st.capacity : 4096) / 24 + 8;
	for (uint32_t i = 0; i < n; i++) {
		ASSERT_EQ(0, kipc_reserve(self->tx, &w, sizeof(msg), KIPC_NOWAIT));
		ASSERT_EQ(-EAGAIN, kipc_recv_timed(self->rx, buf, sizeof(buf), KIPC_NOWAIT))
			TH_LOG("message %u", i);
		ASSERT_EQ(-EAGAIN, kipc_peek(self->rx, &p, KIPC_NOWAIT)) TH_LOG("message %u", i);
		memset(msg, 'a' + (int)(i % 26), sizeof(msg));
		memcpy(w, msg, sizeof(msg));
		ASSERT_EQ((int)sizeof(msg), kipc_commit(self->tx, sizeof(msg)));
		ASSERT_EQ((int)sizeof(msg), kipc_recv_timed(self->rx, buf, sizeof(buf), KIPC_NOWAIT));
		ASSERT_EQ(0, memcmp(buf, msg, sizeof(msg)));
	}
}

TEST_F(chan, zero_copy_guarantee)
{
	int ret;

	PRECHECK();
	ret = make_pair(self, KIPC_F_ZERO_COPY, 0);
	if (is_ring(variant)) {
		EXPECT_EQ(0, ret);
	} else {
		/* Documented: unix and pipe copy once; never silently. */
		EXPECT_EQ(-EOPNOTSUPP, ret);
	}
}

/* ------------------------------------------------------------------ */
/* Peer death                                                           */
/* ------------------------------------------------------------------ */

TEST_F(chan, eof_after_kill9_of_producer)
{
	uint32_t v;
	pid_t pid;
	int ret;

	PRECHECK();
	ASSERT_EQ(0, make_pair(self, 0, 0));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		kipc_close(self->rx);
		for (uint32_t i = 0; i < 10; i++)
			kipc_send(self->tx, &i, sizeof(i));
		for (;;)
			pause();
	}
	kipc_close(self->tx);
	self->tx = KIPC_CHAN_INVALID;
	for (uint32_t i = 0; i < 10; i++) {
		ASSERT_EQ(sizeof(v), kipc_recv_timed(self->rx, &v, sizeof(v),
						     kipc_now() + 30 * SEC));
		EXPECT_EQ(i, v);
	}
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, wait_child(pid));
	ret = kipc_recv_timed(self->rx, &v, sizeof(v), kipc_now() + 30 * SEC);
	EXPECT_EQ(0, ret);
	/* End of stream is sticky and the fd reports it. */
	EXPECT_EQ(0, kipc_recv_timed(self->rx, &v, sizeof(v), KIPC_NOWAIT));
	EXPECT_EQ(1, kipc_poll_arm(self->rx));
}

TEST_F(chan, epipe_after_kill9_of_consumer)
{
	uint8_t buf[512] = { 0 };
	int pfd[2], ret = 0;
	pid_t pid;
	char c;

	PRECHECK();
	ASSERT_EQ(0, make_pair(self, 0, 0));
	ASSERT_EQ(0, pipe(pfd));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		kipc_close(self->tx);
		if (kipc_recv(self->rx, buf, sizeof(buf)) > 0)
			c = 'r';
		else
			c = 'x';
		if (write(pfd[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	kipc_close(self->rx);
	self->rx = KIPC_CHAN_INVALID;
	ASSERT_EQ(1, kipc_send(self->tx, "!", 1));
	ASSERT_EQ(1, read(pfd[0], &c, 1));
	ASSERT_EQ('r', c);
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, wait_child(pid));
	/* Sends succeed at most until the channel is full, then -EPIPE. */
	for (int i = 0; i < 100000; i++) {
		ret = kipc_send_timed(self->tx, buf, sizeof(buf), kipc_now() + 30 * SEC);
		if (ret < 0)
			break;
	}
	EXPECT_EQ(-EPIPE, ret);
	EXPECT_EQ(-EPIPE, kipc_send_timed(self->tx, buf, sizeof(buf), KIPC_NOWAIT));
	close(pfd[0]);
	close(pfd[1]);
}

/* ------------------------------------------------------------------ */
/* epoll and io_uring                                                   */
/* ------------------------------------------------------------------ */

#define EV_COUNT	2000U

/* Producer child for the wake-up tests: bursts with pauses between. */
static void burst_producer(kipc_chan tx)
{
	struct timespec pause = { 0, 300000 };

	for (uint32_t i = 0; i < EV_COUNT; i++) {
		if (kipc_send(tx, &i, sizeof(i)) != sizeof(i))
			_exit(1);
		if (i % 7 == 6)
			nanosleep(&pause, NULL);
	}
	_exit(0);
}

TEST_F(chan, epoll_edge_triggered_wakeups)
{
	struct epoll_event ev, out;
	uint32_t got = 0, v;
	int ep, ret, eof = 0;
	pid_t pid;

	PRECHECK();
	ASSERT_EQ(0, make_pair(self, 0, 0));
	ASSERT_EQ(0, kipc_set_spin(self->rx, KIPC_SPIN_NONE));
	ASSERT_LE(0, kipc_fd(self->rx));
	ASSERT_EQ(POLLIN, kipc_poll_events(self->rx));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		kipc_close(self->rx);
		burst_producer(self->tx);
	}
	kipc_close(self->tx);
	self->tx = KIPC_CHAN_INVALID;
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLET;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, kipc_fd(self->rx), &ev));
	ret = kipc_poll_arm(self->rx);
	ASSERT_LE(0, ret);
	while (!eof) {
		/* Edge-triggered: only the -EAGAIN below armed us. */
		if (!ret) {
			int n = epoll_wait(ep, &out, 1, 30000);

			ASSERT_EQ(1, n);	/* a lost wake-up would time out */
		}
		while ((ret = kipc_recv_timed(self->rx, &v, sizeof(v), KIPC_NOWAIT)) > 0) {
			ASSERT_EQ(got, v);
			got++;
		}
		if (ret == 0)
			eof = 1;
		ASSERT_TRUE(ret == 0 || ret == -EAGAIN);
		ret = 0;
	}
	EXPECT_EQ(EV_COUNT, got);
	EXPECT_EQ(0, wait_child(pid));
	close(ep);
}

TEST_F(chan, epoll_producer_waits_for_room)
{
	uint8_t buf[256];
	struct pollfd p;
	pid_t pid;
	int n, ret;

	PRECHECK();
	ASSERT_EQ(0, make_pair(self, 0, 4096));
	n = fill(self->tx, 0);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, kipc_poll_arm(self->tx));	/* full: not ready */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		kipc_close(self->tx);
		usleep(50000);
		/* n queued plus the one the parent sends once woken */
		for (int i = 0; i < n + 1; i++)
			if (kipc_recv_timed(self->rx, buf, sizeof(buf),
					    kipc_now() + 30 * SEC) != sizeof(buf))
				_exit(1);
		_exit(0);
	}
	kipc_close(self->rx);
	self->rx = KIPC_CHAN_INVALID;
	p.fd = kipc_fd(self->tx);
	p.events = (short)kipc_poll_events(self->tx);
	p.revents = 0;
	ret = poll(&p, 1, 30000);
	ASSERT_EQ(1, ret);
	EXPECT_EQ(sizeof(buf), kipc_send_timed(self->tx, buf, sizeof(buf), KIPC_NOWAIT));
	EXPECT_EQ(0, wait_child(pid));
}

TEST_F(chan, io_uring_wakeups)
{
	struct io_uring ring;
	uint32_t got = 0, v;
	int ret, eof = 0;
	pid_t pid;

	PRECHECK();
	ret = io_uring_queue_init(4, &ring, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "io_uring not available (%d)", ret);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, make_pair(self, 0, 0));
	ASSERT_EQ(0, kipc_set_spin(self->rx, KIPC_SPIN_NONE));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		kipc_close(self->rx);
		burst_producer(self->tx);
	}
	kipc_close(self->tx);
	self->tx = KIPC_CHAN_INVALID;
	while (!eof) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		struct __kernel_timespec ts = { .tv_sec = 30 };
		struct io_uring_cqe *cqe;

		ASSERT_NE(NULL, sqe);
		ASSERT_EQ(0, kipc_uring_prep_poll(sqe, self->rx));
		ASSERT_EQ(1, io_uring_submit(&ring));
		ret = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
		ASSERT_EQ(0, ret);	/* a lost wake-up would time out */
		ASSERT_LE(0, cqe->res);
		io_uring_cqe_seen(&ring, cqe);
		while ((ret = kipc_recv_timed(self->rx, &v, sizeof(v), KIPC_NOWAIT)) > 0) {
			ASSERT_EQ(got, v);
			got++;
		}
		if (ret == 0)
			eof = 1;
		ASSERT_TRUE(ret == 0 || ret == -EAGAIN);
	}
	EXPECT_EQ(EV_COUNT, got);
	EXPECT_EQ(0, wait_child(pid));
	io_uring_queue_exit(&ring);
}

/* ------------------------------------------------------------------ */
/* Named channels between exec'ed programs, permissions                 */
/* ------------------------------------------------------------------ */

/* Directory of the example programs: ../examples next to us, or /kipc/bin. */
static int examples_dir(char *buf, size_t size)
{
	char self_path[PATH_MAX - 64], probe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	char *slash;

	if (n > 0) {
		self_path[n] = 0;
		slash = strrchr(self_path, '/');
		if (slash) {
			*slash = 0;
			snprintf(probe, sizeof(probe), "%s/../examples/named_consumer", self_path);
			if (!access(probe, X_OK)) {
				return snprintf(buf, size, "%s/../examples", self_path) <
				       (int)size ? 0 : -1;
			}
		}
	}
	if (!access("/kipc/bin/named_consumer", X_OK)) {
		snprintf(buf, size, "/kipc/bin");
		return 0;
	}
	return -1;
}

static pid_t spawn(const char *dir, const char *prog, char *const argv[])
{
	char path[PATH_MAX + 64];
	pid_t pid = fork_child();

	if (pid == 0) {
		snprintf(path, sizeof(path), "%s/%s", dir, prog);
		execv(path, argv);
		_exit(127);
	}
	return pid;
}

TEST_F_TIMEOUT(chan, named_between_exec_programs, 120)
{
	char dir[PATH_MAX], name[64], count[24];
	pid_t c, p;

	PRECHECK();
	snprintf(count, sizeof(count), "%lu", kipc_test_volume(20000));
	if (examples_dir(dir, sizeof(dir)))
		SKIP(return, "example programs not found");
	unique_name(name, sizeof(name), variant->name);
	kipc_unlink(name, &self->opts);
	ASSERT_EQ(0, setenv("KIPC_BACKEND", variant->name, 1));
	{
		char *cargv[] = { "named_consumer", name, count, "0600",
				  (char *)variant->prog_flags, NULL };
		char *pargv[] = { "named_producer", name, count, NULL };

		c = spawn(dir, "named_consumer", cargv);
		ASSERT_LE(0, c);
		p = spawn(dir, "named_producer", pargv);
		ASSERT_LE(0, p);
	}
	EXPECT_EQ(0, wait_child(p));
	EXPECT_EQ(0, wait_child(c));
	unsetenv("KIPC_BACKEND");
	/* The consumer unlinked the name. */
	EXPECT_EQ(-ENOENT, kipc_unlink(name, &self->opts));
}

TEST_F(chan, named_create_open_unlink)
{
	struct kipc_opts o = self->opts;
	kipc_chan c, c2, p;
	char name[64];
	char buf[16];

	PRECHECK();
	unique_name(name, sizeof(name), "n");
	kipc_unlink(name, &o);
	EXPECT_EQ(-ENOENT, kipc_open(&p, name, KIPC_PRODUCER, &o, KIPC_NOWAIT));
	ASSERT_EQ(0, kipc_create(&c, name, KIPC_CONSUMER, &o));
	o.flags |= KIPC_F_EXCL;
	EXPECT_EQ(-EEXIST, kipc_create(&c2, name, KIPC_CONSUMER, &o));
	o.flags &= ~KIPC_F_EXCL;
	ASSERT_EQ(0, kipc_open(&p, name, KIPC_PRODUCER, &o, KIPC_NOWAIT));
	EXPECT_EQ(variant->backend, kipc_backend(p));
	EXPECT_EQ(5, kipc_send(p, "named", 5));
	EXPECT_EQ(5, kipc_recv(c, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "named", 5));
	EXPECT_EQ(0, kipc_unlink(name, &o));
	EXPECT_EQ(-ENOENT, kipc_unlink(name, &o));
	/* Endpoints outlive the name. */
	EXPECT_EQ(3, kipc_send(p, "abc", 3));
	EXPECT_EQ(3, kipc_recv(c, buf, sizeof(buf)));
	EXPECT_EQ(0, kipc_close(p));
	EXPECT_EQ(0, kipc_recv_timed(c, buf, sizeof(buf), kipc_now() + 30 * SEC));
	EXPECT_EQ(0, kipc_close(c));
}

/* In a child: become uid/gid 1001 and try to open @name as a producer. */
static int open_as_other_user(const char *name, const struct kipc_opts *o)
{
	pid_t pid = fork_child();

	if (pid == 0) {
		kipc_chan p;
		int ret;

		if (setgroups(0, NULL) || setgid(1001) || setuid(1001))
			_exit(100);
		ret = kipc_open(&p, name, KIPC_PRODUCER, o, KIPC_NOWAIT);
		if (ret == 0)
			ret = kipc_send(p, "perm", 4) == 4 ? 0 : -EIO;
		_exit(ret == 0 ? 0 : ret == -EACCES ? 13 : 99);
	}
	return wait_child(pid);
}

TEST_F(chan, permissions)
{
	struct kipc_opts o = self->opts;
	char name[64], buf[8];
	kipc_chan c;

	PRECHECK();
	if (geteuid() != 0)
		SKIP(return, "needs root to switch users");
	unique_name(name, sizeof(name), "perm");
	kipc_unlink(name, &o);
	o.mode = 0600;
	ASSERT_EQ(0, kipc_create(&c, name, KIPC_CONSUMER, &o));
	EXPECT_EQ(13, open_as_other_user(name, &o));	/* -EACCES */
	EXPECT_EQ(0, kipc_unlink(name, &o));
	kipc_close(c);

	o.mode = 0666;
	ASSERT_EQ(0, kipc_create(&c, name, KIPC_CONSUMER, &o));
	EXPECT_EQ(0, open_as_other_user(name, &o));
	EXPECT_EQ(4, kipc_recv_timed(c, buf, sizeof(buf), kipc_now() + 30 * SEC));
	EXPECT_EQ(0, memcmp(buf, "perm", 4));
	EXPECT_EQ(0, kipc_unlink(name, &o));
	kipc_close(c);
}

/*
 * kipc_open() with a deadline waits for a name that another process
 * creates later, and gives -ETIMEDOUT when nobody does.  Without waiting
 * it is -ENOENT at once, and a bad name is -EINVAL at once whatever the
 * deadline (the test would hang otherwise).
 */
TEST_F_TIMEOUT(chan, open_waits_for_the_name, 120)
{
	struct kipc_opts o = self->opts;
	char name[64], none[64];
	kipc_chan p;
	pid_t pid;

	PRECHECK();
	unique_name(name, sizeof(name), "late");
	unique_name(none, sizeof(none), "never");
	kipc_unlink(name, &o);
	kipc_unlink(none, &o);

	EXPECT_EQ(-ENOENT, kipc_open(&p, none, KIPC_PRODUCER, &o, KIPC_NOWAIT));
	EXPECT_EQ(-ETIMEDOUT, kipc_open(&p, none, KIPC_PRODUCER, &o,
					kipc_now() + 200 * MSEC));
	EXPECT_EQ(0, p.h);
	EXPECT_EQ(-EINVAL, kipc_open(&p, "../x", KIPC_PRODUCER, &o, KIPC_FOREVER));
	EXPECT_EQ(-EINVAL, kipc_open(&p, name, 0, &o, KIPC_FOREVER));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[8];
		kipc_chan c;

		usleep(300000);	/* let the parent start waiting */
		if (kipc_create(&c, name, KIPC_CONSUMER, &o))
			_exit(1);
		if (kipc_recv_timed(c, buf, sizeof(buf), kipc_now() + 60 * SEC) != 4 ||
		    memcmp(buf, "late", 4))
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(0, kipc_open(&p, name, KIPC_PRODUCER, &o, kipc_now() + 60 * SEC));
	EXPECT_EQ(4, kipc_send(p, "late", 4));
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(0, kipc_close(p));
	EXPECT_EQ(0, kipc_unlink(name, &o));
}

/* The file a userspace backend keeps for @name, or NULL (kmod). */
static const char *name_file(char *buf, size_t size, int backend,
			     const char *name)
{
	const char *dir = getenv("KIPC_RUNDIR");
	const char *suffix = backend == KIPC_BACKEND_SHM ? ".shm" :
			     backend == KIPC_BACKEND_UNIX ? ".sock" :
			     backend == KIPC_BACKEND_PIPE ? ".fifo" : NULL;

	if (!suffix)
		return NULL;
	snprintf(buf, size, "%s/kipc.%s%s", dir && *dir ? dir : "/dev/shm",
		 name, suffix);
	return buf;
}

/*
 * A zeroed struct kipc_opts means the defaults: a working channel of
 * 64 KiB messages whose name has mode 0600.  The owner (not root, so
 * that the mode is what lets it in) creates and opens the name; another
 * user is refused.
 */
TEST_F(chan, zeroed_opts_are_the_defaults)
{
	struct kipc_opts o;
	char name[64], path[256], buf[16];
	const char *file;
	kipc_chan t, r;
	struct kipc_stats st;
	struct stat sb;
	pid_t pid;

	PRECHECK();
	memset(&o, 0, sizeof(o));
	o.backend = (uint32_t)variant->backend;
	o.flags = variant->flags;
	ASSERT_EQ(0, kipc_pair(&t, &r, &o));
	ASSERT_EQ(0, kipc_stats(t, &st));
	EXPECT_EQ(65536, st.max_msg);
	EXPECT_EQ(2, kipc_send(t, "ok", 2));
	EXPECT_EQ(2, kipc_recv(r, buf, sizeof(buf)));
	EXPECT_EQ(0, kipc_close(t));
	EXPECT_EQ(0, kipc_close(r));
	o.reserved0 = 1;
	EXPECT_EQ(-EINVAL, kipc_pair(&t, &r, &o));
	o.reserved0 = 0;
	o.reserved[3] = 1;
	EXPECT_EQ(-EINVAL, kipc_pair(&t, &r, &o));
	o.reserved[3] = 0;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch users");
	unique_name(name, sizeof(name), "zero");
	kipc_unlink(name, &o);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		kipc_chan c, p;

		if (setgroups(0, NULL) || setgid(1001) || setuid(1001))
			_exit(100);
		if (kipc_create(&c, name, KIPC_CONSUMER, &o))
			_exit(1);
		if (kipc_open(&p, name, KIPC_PRODUCER, &o, KIPC_NOWAIT))
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
	file = name_file(path, sizeof(path), variant->backend, name);
	if (file) {
		ASSERT_EQ(0, stat(file, &sb)) TH_LOG("%s", file);
		EXPECT_EQ(0600, sb.st_mode & 07777);
		EXPECT_EQ(1001, sb.st_uid);
	}
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		kipc_chan p;
		int ret;

		if (setgroups(0, NULL) || setgid(1002) || setuid(1002))
			_exit(100);
		ret = kipc_open(&p, name, KIPC_PRODUCER, &o, KIPC_NOWAIT);
		_exit(ret == -EACCES ? 0 : ret == 0 ? 1 : 2);
	}
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(0, kipc_unlink(name, &o));
}

TEST_F(chan, credentials)
{
	struct kipc_msg m;
	char buf[8];
	int ret;

	pid_t pid;

	PRECHECK();
	ret = make_pair(self, KIPC_F_CREDENTIALS, 0);
	if (variant->backend != KIPC_BACKEND_UNIX &&
	    variant->backend != KIPC_BACKEND_KMOD) {
		/* Documented: only unix and kmod (its queues) can. */
		EXPECT_EQ(-EOPNOTSUPP, ret);
		return;
	}
	ASSERT_EQ(0, ret);
	EXPECT_EQ(variant->backend, kipc_backend(self->tx));
	ASSERT_EQ(2, kipc_send(self->tx, "hi", 2));
	m.buf = buf;
	m.len = sizeof(buf);
	m.pid = -1;
	ASSERT_EQ(1, kipc_recv_batch(self->rx, &m, 1, KIPC_FOREVER));
	EXPECT_EQ(2, m.len);
	EXPECT_EQ(KIPC_MSG_CRED, m.flags);
	EXPECT_EQ(getpid(), m.pid);
	EXPECT_EQ(getuid(), m.uid);
	EXPECT_EQ(getgid(), m.gid);

	/* A child's message carries the child's pid, not the creator's. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(kipc_send(self->tx, "kid", 3) == 3 ? 0 : 1);
	m.len = sizeof(buf);
	m.pid = -1;
	ASSERT_EQ(1, kipc_recv_batch(self->rx, &m, 1, kipc_now() + 30 * SEC));
	EXPECT_EQ(3, m.len);
	EXPECT_EQ(KIPC_MSG_CRED, m.flags);
	EXPECT_EQ(pid, m.pid);
	EXPECT_EQ(0, wait_child(pid));
	/* Zero-copy emulation works on a credentials channel too. */
	ASSERT_EQ(2, kipc_send(self->tx, "pk", 2));
	{
		const void *p;

		ASSERT_EQ(2, kipc_peek(self->rx, &p, KIPC_FOREVER));
		EXPECT_EQ(0, kipc_release(self->rx, p));
	}
}

/* ------------------------------------------------------------------ */
/* Multi-consumer                                                       */
/* ------------------------------------------------------------------ */

#define NCONS		4
#define MC_COUNT	((uint32_t)kipc_test_volume(40000))

/*
 * Every message goes to exactly one of NCONS consumer processes: none is
 * lost, none is delivered twice, and each consumer sees end of stream.
 */
/*
 * kipc_send_msg() / kipc_recv_msg(): priorities where the channel has
 * them (kmod queues: higher first), -EOPNOTSUPP elsewhere; credentials
 * of the sending process on kmod queues and unix with
 * KIPC_F_CREDENTIALS, flags 0 elsewhere.
 */
TEST_F(chan, send_msg_priority_and_credentials)
{
	bool queue = variant->backend == KIPC_BACKEND_KMOD && variant->flags;
	bool creds = queue || variant->backend == KIPC_BACKEND_UNIX;
	struct kipc_opts o = self->opts;
	struct kipc_msg m, b[2];
	char buf[16];
	kipc_chan t, r;
	pid_t pid;

	PRECHECK();
	if (variant->backend == KIPC_BACKEND_UNIX)
		o.flags |= KIPC_F_CREDENTIALS;
	ASSERT_EQ(0, kipc_pair(&self->tx, &self->rx, &o));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		m = (struct kipc_msg){ .buf = "cred", .len = 4 };
		_exit(kipc_send_msg(self->tx, &m, kipc_now() + 30 * SEC) == 4 ? 0 : 1);
	}
	ASSERT_EQ(0, wait_child(pid));
	memset(&m, 0xa5, sizeof(m));
	m.buf = buf;
	m.len = sizeof(buf);
	ASSERT_EQ(4, kipc_recv_msg(self->rx, &m, kipc_now() + 30 * SEC));
	EXPECT_EQ(4, m.len);
	EXPECT_EQ(0, memcmp(buf, "cred", 4));
	EXPECT_EQ(0, m.priority);
	EXPECT_EQ(0, m.reserved0);
	EXPECT_EQ(0, m.reserved[0]);
	if (creds) {
		EXPECT_EQ(KIPC_MSG_CRED, m.flags);
		EXPECT_EQ(pid, m.pid);
		EXPECT_EQ(geteuid(), m.uid);
		EXPECT_EQ(getegid(), m.gid);
	} else {
		EXPECT_EQ(0, m.flags);
	}

	/*
	 * The rest on a pair of its own: the child's send moved the tail
	 * behind the back of this process's (single) producer endpoint.
	 */
	ASSERT_EQ(0, kipc_pair(&t, &r, &o));

	/* Bad input everywhere. */
	m = (struct kipc_msg){ .buf = "x", .len = 1, .priority = KIPC_PRIO_MAX + 1 };
	EXPECT_EQ(-EINVAL, kipc_send_msg(t, &m, KIPC_NOWAIT));
	m = (struct kipc_msg){ .buf = "x", .len = 1, .flags = KIPC_MSG_CRED };
	EXPECT_EQ(-EINVAL, kipc_send_msg(t, &m, KIPC_NOWAIT));
	EXPECT_EQ(-EINVAL, kipc_send_msg(t, NULL, KIPC_NOWAIT));
	EXPECT_EQ(-EINVAL, kipc_recv_msg(r, NULL, KIPC_NOWAIT));
	EXPECT_EQ(-EBADF, kipc_recv_msg(t, &m, KIPC_NOWAIT));

	b[0] = (struct kipc_msg){ .buf = "lo", .len = 2, .priority = 1 };
	b[1] = (struct kipc_msg){ .buf = "hi", .len = 2, .priority = KIPC_PRIO_MAX };
	m = (struct kipc_msg){ .buf = "zero", .len = 4 };
	if (!queue) {
		EXPECT_EQ(-EOPNOTSUPP, kipc_send_msg(t, &b[0], KIPC_NOWAIT));
		EXPECT_EQ(-EOPNOTSUPP, kipc_send_batch(t, b, 2, KIPC_NOWAIT));
		/* A batch ends before the first message with a priority. */
		b[1] = b[0];
		b[0] = m;
		EXPECT_EQ(1, kipc_send_batch(t, b, 2, KIPC_NOWAIT));
		EXPECT_EQ(4, kipc_recv(r, buf, sizeof(buf)));
		EXPECT_EQ(0, kipc_close(t));
		EXPECT_EQ(0, kipc_close(r));
		o.flags |= KIPC_F_PRIORITY;
		if (variant->backend != KIPC_BACKEND_KMOD) {
			EXPECT_EQ(-EOPNOTSUPP, kipc_pair(&t, &r, &o));
			return;
		}
		/* The kmod backend makes a queue for it instead of a ring. */
		ASSERT_EQ(0, kipc_pair(&t, &r, &o));
		b[0] = (struct kipc_msg){ .buf = "lo", .len = 2, .priority = 1 };
		EXPECT_EQ(2, kipc_send_msg(t, &b[0], KIPC_NOWAIT));
		EXPECT_EQ(0, kipc_close(t));
		EXPECT_EQ(0, kipc_close(r));
		return;
	}
	ASSERT_EQ(4, kipc_send_msg(t, &m, KIPC_NOWAIT));
	ASSERT_EQ(2, kipc_send_msg(t, &b[0], KIPC_NOWAIT));
	ASSERT_EQ(2, kipc_send_msg(t, &b[1], KIPC_NOWAIT));
	ASSERT_EQ(2, kipc_send_batch(t, b, 2, KIPC_NOWAIT));
	{
		static const struct { const char *s; uint32_t prio; } want[] = {
			{ "hi", KIPC_PRIO_MAX }, { "hi", KIPC_PRIO_MAX },
			{ "lo", 1 }, { "lo", 1 }, { "zero", 0 },
		};

		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			m = (struct kipc_msg){ .buf = buf, .len = sizeof(buf) };
			ASSERT_EQ((int)strlen(want[i].s),
				  kipc_recv_msg(r, &m, KIPC_NOWAIT));
			EXPECT_EQ(0, memcmp(buf, want[i].s, m.len));
			EXPECT_EQ(want[i].prio, m.priority);
			EXPECT_EQ(getpid(), m.pid);
		}
	}
	EXPECT_EQ(0, kipc_close(t));
	EXPECT_EQ(0, kipc_close(r));
	/* KIPC_F_PRIORITY alone makes a kmod queue. */
	o = self->opts;
	o.flags = KIPC_F_PRIORITY;
	ASSERT_EQ(0, kipc_pair(&t, &r, &o));
	EXPECT_EQ(KIPC_BACKEND_KMOD, kipc_backend(t));
	EXPECT_EQ(0, kipc_close(t));
	EXPECT_EQ(0, kipc_close(r));
}

TEST_F_TIMEOUT(chan, multi_consumer, 120)
{
	static uint8_t buf[MAX_MSG];
	uint64_t rng = 42;
	pid_t pids[NCONS];
	uint8_t *seen;
	int ret;

	PRECHECK();
	ret = make_pair(self, KIPC_F_MULTI_CONSUMER, 0);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "%s: one consumer per channel (documented)", variant->name);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(variant->backend, kipc_backend(self->rx));
	seen = mmap(NULL, MC_COUNT, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, seen);
	for (int c = 0; c < NCONS; c++) {
		pids[c] = fork_child();
		ASSERT_LE(0, pids[c]);
		if (pids[c] == 0) {
			struct msg_hdr h;

			kipc_close(self->tx);
			for (;;) {
				ret = kipc_recv_timed(self->rx, buf, sizeof(buf),
						      kipc_now() + 60 * SEC);
				if (ret <= 0)
					break;
				if (check_msg(buf, (size_t)ret, &h) || h.seq >= MC_COUNT)
					_exit(2);
				__atomic_fetch_add(&seen[h.seq], 1, __ATOMIC_RELAXED);
			}
			_exit(ret == 0 ? 0 : 1);
		}
	}
	kipc_close(self->rx);
	self->rx = KIPC_CHAN_INVALID;
	for (uint32_t i = 0; i < MC_COUNT; i++) {
		size_t len = make_msg(buf, &rng, 0, i, 256);

		ASSERT_EQ((int)len, kipc_send_timed(self->tx, buf, len,
						    kipc_now() + 60 * SEC));
	}
	kipc_close(self->tx);
	self->tx = KIPC_CHAN_INVALID;
	for (int c = 0; c < NCONS; c++)
		EXPECT_EQ(0, wait_child(pids[c]));
	{
		uint32_t bad = 0, first = MC_COUNT;

		for (uint32_t i = 0; i < MC_COUNT; i++) {
			if (seen[i] != 1 && !bad++)
				first = i;
		}
		EXPECT_EQ(0, bad) {
			TH_LOG("message %u delivered %u times", first, seen[first]);
		}
	}
	munmap(seen, MC_COUNT);
}

/* ------------------------------------------------------------------ */
/* Bad input                                                            */
/* ------------------------------------------------------------------ */

TEST_F(chan, bad_input)
{
	struct kipc_opts o = self->opts;
	char big[MAX_MSG + 1], buf[16], longname[80];
	const void *cp;
	kipc_chan t, r, x;
	void *p;

	PRECHECK();
	ASSERT_EQ(0, make_pair(self, 0, 0));
	memset(big, 0, sizeof(big));
	/* NULL pointers */
	EXPECT_EQ(-EINVAL, kipc_pair(NULL, &r, &o));
	EXPECT_EQ(-EBADF, kipc_send(KIPC_CHAN_INVALID, "x", 1));
	EXPECT_EQ(-EINVAL, kipc_send(self->tx, NULL, 1));
	EXPECT_EQ(-EINVAL, kipc_recv(self->rx, NULL, 1));
	EXPECT_EQ(-EINVAL, kipc_reserve(self->tx, NULL, 1, KIPC_NOWAIT));
	EXPECT_EQ(-EINVAL, kipc_peek(self->rx, NULL, KIPC_NOWAIT));
	EXPECT_EQ(-EINVAL, kipc_stats(self->rx, NULL));
	EXPECT_EQ(-EBADF, kipc_fd(KIPC_CHAN_INVALID));
	EXPECT_EQ(-EINVAL, kipc_sendv(self->tx, NULL, 1, KIPC_NOWAIT));
	EXPECT_EQ(-EINVAL, kipc_send_batch(self->tx, NULL, 1, KIPC_NOWAIT));
	EXPECT_EQ(-EINVAL, kipc_opts_init(NULL));
	/* zero and oversized lengths */
	EXPECT_EQ(-EINVAL, kipc_send(self->tx, "x", 0));
	EXPECT_EQ(-EINVAL, kipc_recv(self->rx, buf, 0));
	EXPECT_EQ(-EMSGSIZE, kipc_send(self->tx, big, sizeof(big)));
	EXPECT_EQ(-EINVAL, kipc_reserve(self->tx, &p, 0, KIPC_NOWAIT));
	EXPECT_EQ(-EMSGSIZE, kipc_reserve(self->tx, &p, sizeof(big), KIPC_NOWAIT));
	EXPECT_EQ(-EMSGSIZE, kipc_send(self->tx, big, SIZE_MAX));
	/* wrong direction */
	EXPECT_EQ(-EBADF, kipc_send(self->rx, "x", 1));
	EXPECT_EQ(-EBADF, kipc_recv(self->tx, buf, sizeof(buf)));
	EXPECT_EQ(-EBADF, kipc_peek(self->tx, &cp, KIPC_NOWAIT));
	EXPECT_EQ(-EBADF, kipc_reserve(self->rx, &p, 1, KIPC_NOWAIT));
	/* commit without reserve, release without / of the wrong record */
	EXPECT_EQ(-EINVAL, kipc_commit(self->tx, 1));
	EXPECT_EQ(-EINVAL, kipc_abort(self->tx));
	EXPECT_EQ(-EINVAL, kipc_release(self->rx, buf));
	ASSERT_EQ(0, kipc_reserve(self->tx, &p, 8, KIPC_NOWAIT));
	EXPECT_EQ(-EINVAL, kipc_commit(self->tx, 9));	/* more than reserved */
	EXPECT_EQ(-EINVAL, kipc_commit(self->tx, 0));
	memcpy(p, "12345678", 8);
	EXPECT_EQ(8, kipc_commit(self->tx, 8));
	EXPECT_EQ(-EINVAL, kipc_commit(self->tx, 8));	/* no second commit */
	ASSERT_EQ(8, kipc_peek(self->rx, &cp, KIPC_NOWAIT));
	EXPECT_EQ(-EINVAL, kipc_release(self->rx, buf));
	EXPECT_EQ(-EINVAL, kipc_release(self->rx, NULL));
	EXPECT_EQ(0, kipc_release(self->rx, cp));
	/* bad names and roles */
	EXPECT_EQ(-EINVAL, kipc_create(&x, "", KIPC_CONSUMER, &o));
	EXPECT_EQ(-EINVAL, kipc_create(&x, NULL, KIPC_CONSUMER, &o));
	EXPECT_EQ(-EINVAL, kipc_create(&x, ".hidden", KIPC_CONSUMER, &o));
	EXPECT_EQ(-EINVAL, kipc_create(&x, "a/b", KIPC_CONSUMER, &o));
	EXPECT_EQ(-EINVAL, kipc_open(&x, "../etc", KIPC_PRODUCER, &o, KIPC_NOWAIT));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	EXPECT_EQ(-EINVAL, kipc_open(&x, longname, KIPC_PRODUCER, &o, KIPC_NOWAIT));
	EXPECT_EQ(-EINVAL, kipc_create(&x, "ok-name", 3, &o));
	EXPECT_EQ(-EINVAL, kipc_unlink("bad name", &o));
	/* bad options */
	o.reserved0 = 1;
	EXPECT_EQ(-EINVAL, kipc_pair(&t, &r, &o));
	o = self->opts;
	o.reserved[2] = 1;
	EXPECT_EQ(-EINVAL, kipc_pair(&t, &r, &o));
	o = self->opts;
	o.flags = 1U << 30;
	EXPECT_EQ(-EINVAL, kipc_pair(&t, &r, &o));
	o = self->opts;
	o.backend = 99;
	EXPECT_EQ(-EINVAL, kipc_pair(&t, &r, &o));
	/* use after close, double close */
	o = self->opts;
	ASSERT_EQ(0, kipc_pair(&t, &r, &o));
	EXPECT_EQ(0, kipc_close(t));
	EXPECT_EQ(-EBADF, kipc_close(t));
	EXPECT_EQ(-EBADF, kipc_send(t, "x", 1));
	EXPECT_EQ(-EBADF, kipc_fd(t));
	EXPECT_EQ(-EBADF, kipc_poll_arm(t));
	EXPECT_EQ(0, kipc_recv(r, buf, sizeof(buf)));	/* producer closed */
	EXPECT_EQ(0, kipc_close(r));
	EXPECT_EQ(-EBADF, kipc_recv(r, buf, sizeof(buf)));
	EXPECT_EQ(-EBADF, kipc_close(r));
}

/*
 * Handles are generation-checked: a closed handle stays dead through any
 * number of later close/create cycles (which reuse its slot), and values
 * the library never handed out are refused.  Every cycle reuses the
 * slot the last close freed, so a few thousand cycles cover many reuses
 * of each (a slot-reusing library failed by cycle 32); each kmod cycle
 * is a ring creation and four mappings, slow in an emulated VM.
 */
TEST_F_TIMEOUT(chan, stale_handle_is_always_ebadf, 600)
{
	unsigned long cycles = kipc_test_volume(5000);
	struct kipc_opts o = self->opts;
	kipc_chan t, r, t2, r2, forged;
	char buf[16];

	PRECHECK();
	ASSERT_EQ(0, kipc_pair(&t, &r, &o));
	ASSERT_EQ(0, kipc_close(t));
	ASSERT_EQ(0, kipc_close(r));
	for (unsigned long i = 0; i < cycles; i++) {
		ASSERT_EQ(0, kipc_pair(&t2, &r2, &o));
		ASSERT_EQ(-EBADF, kipc_send(t, "x", 1)) TH_LOG("cycle %lu", i);
		ASSERT_EQ(-EBADF, kipc_recv_timed(r, buf, sizeof(buf),
						  KIPC_NOWAIT));
		ASSERT_EQ(-EBADF, kipc_close(t));
		ASSERT_EQ(0, kipc_close(t2));
		ASSERT_EQ(0, kipc_close(r2));
	}

	ASSERT_EQ(0, kipc_pair(&t2, &r2, &o));
	EXPECT_EQ(-EBADF, kipc_send(KIPC_CHAN_INVALID, "x", 1));
	EXPECT_EQ(-EBADF, kipc_close(KIPC_CHAN_INVALID));
	forged.h = t2.h + (1ULL << 32);		/* a later generation */
	EXPECT_EQ(-EBADF, kipc_send(forged, "x", 1));
	forged.h = t2.h - (1ULL << 32);		/* an earlier one */
	EXPECT_EQ(-EBADF, kipc_close(forged));
	forged.h = t2.h & 0xffffffff00000000ULL;	/* slot 0 is not one */
	EXPECT_EQ(-EBADF, kipc_fd(forged));
	forged.h = t2.h | 0xfffffffULL;		/* a slot never made */
	EXPECT_EQ(-EBADF, kipc_poll_arm(forged));
	forged.h = UINT64_MAX;
	EXPECT_EQ(-EBADF, kipc_backend(forged));
	/* None of that touched the live pair. */
	EXPECT_EQ(1, kipc_send(t2, "y", 1));
	EXPECT_EQ(1, kipc_recv(r2, buf, sizeof(buf)));
	EXPECT_EQ('y', buf[0]);
	EXPECT_EQ(0, kipc_close(t2));
	EXPECT_EQ(0, kipc_close(r2));
}

/* A handle is a value in the process's table: fork() keeps it valid. */
TEST_F(chan, handle_survives_fork)
{
	struct kipc_opts o = self->opts;
	kipc_chan dead, r;
	char buf[16];
	pid_t pid;

	PRECHECK();
	ASSERT_EQ(0, kipc_pair(&dead, &r, &o));
	ASSERT_EQ(0, kipc_close(dead));
	ASSERT_EQ(0, kipc_close(r));
	ASSERT_EQ(0, make_pair(self, 0, 0));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (kipc_send(self->tx, "c", 1) != 1)
			_exit(1);
		if (kipc_send(dead, "d", 1) != -EBADF)
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(1, kipc_recv(self->rx, buf, sizeof(buf)));
	EXPECT_EQ('c', buf[0]);
}

/* ------------------------------------------------------------------ */
/* A hostile peer                                                       */
/* ------------------------------------------------------------------ */

struct range {
	uintptr_t start, end;
};

/* Writable shared mappings of the ring (memfd:kipc-ring or the device). */
static int ring_ranges(struct range *r, int max)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) != 3)
			continue;
		if (perms[1] != 'w' || perms[3] != 's' || !strstr(line, "kipc"))
			continue;
		r[n].start = s;
		r[n].end = e;
		n++;
	}
	fclose(f);
	return n;
}

TEST_F(chan, corrupt_ctrl_page_is_ebadmsg)
{
	struct kipc_ring_ctrl_view {
		uint64_t tail;
	} *ctrl;
	struct range rg[16];
	uint8_t buf[64];
	int n;

	PRECHECK();
	if (!is_ring(variant))
		SKIP(return, "%s: no shared memory to corrupt", variant->name);
	ASSERT_EQ(0, make_pair(self, 0, 0));
	n = ring_ranges(rg, 16);
	ASSERT_LT(0, n);
	ASSERT_EQ(3, kipc_send(self->tx, "abc", 3));
	/* The RING mapping starts with the control page: tail first. */
	for (int i = 0; i < n; i++) {
		ctrl = (void *)rg[i].start;
		if (ctrl->tail == 16)	/* one 3-byte record: 8 + 8 bytes */
			ctrl->tail = 1ULL << 62;	/* far beyond head + size */
	}
	EXPECT_EQ(-EBADMSG, kipc_recv_timed(self->rx, buf, sizeof(buf), KIPC_NOWAIT));
	/* Sticky: the ring is not trusted again. */
	EXPECT_EQ(-EBADMSG, kipc_recv_timed(self->rx, buf, sizeof(buf), KIPC_NOWAIT));
}

/*
 * Rewrite every cache-line-aligned word equal to @from in the first page
 * of our writable ring mappings to @to; returns how many were changed.
 * (Positions sit at the start of a cache line in every layout.)
 */
static int ring_rewrite_word(uint64_t from, uint64_t to)
{
	struct range rg[16];
	int n = ring_ranges(rg, 16), changed = 0;

	for (int i = 0; i < n; i++) {
		for (size_t off = 0; off < 4096 && rg[i].start + off < rg[i].end;
		     off += 64) {
			uint64_t *w = (uint64_t *)(rg[i].start + off);

			if (*w == from) {
				*w = to;
				changed++;
			}
		}
	}
	return changed;
}

/*
 * A peer leaves head and tail unaligned but 16 bytes apart, a gap of
 * whole records: an endpoint that attaches now must refuse the ring
 * rather than load a record header from an unaligned address.
 */
TEST_F(chan, unaligned_positions_are_ebadmsg)
{
	struct kipc_opts o = self->opts;
	kipc_chan c, p, x = KIPC_CHAN_INVALID;
	char name[64], buf[16];

	PRECHECK();
	if (!is_ring(variant))
		SKIP(return, "%s: no shared memory to corrupt", variant->name);
	unique_name(name, sizeof(name), "align");
	kipc_unlink(name, &o);
	ASSERT_EQ(0, kipc_create(&c, name, KIPC_CONSUMER, &o));
	ASSERT_EQ(0, kipc_open(&p, name, KIPC_PRODUCER, &o, KIPC_NOWAIT));
	/* Records of 1 byte take 16 bytes: tail 32, head 16. */
	ASSERT_EQ(1, kipc_send(p, "a", 1));
	ASSERT_EQ(1, kipc_send(p, "b", 1));
	ASSERT_EQ(1, kipc_recv(c, buf, sizeof(buf)));
	EXPECT_LE(1, ring_rewrite_word(32, 33));	/* tail */
	EXPECT_LE(1, ring_rewrite_word(16, 17));	/* head */
	EXPECT_EQ(0, kipc_close(p));
	EXPECT_EQ(0, kipc_close(c));

	/* Had it attached, this would read a header at head 17. */
	EXPECT_EQ(-EBADMSG, kipc_open(&x, name, KIPC_CONSUMER, &o, KIPC_NOWAIT));
	if (x.h) {
		kipc_recv_timed(x, buf, sizeof(buf), KIPC_NOWAIT);
		kipc_close(x);
		x = KIPC_CHAN_INVALID;
	}
	/* And this write one at tail 33. */
	EXPECT_EQ(-EBADMSG, kipc_open(&x, name, KIPC_PRODUCER, &o, KIPC_NOWAIT));
	if (x.h) {
		kipc_send_timed(x, "c", 1, KIPC_NOWAIT);
		kipc_close(x);
	}
	EXPECT_EQ(0, kipc_unlink(name, &o));
}

/*
 * ABI 3: every ring's rec_salt has KIPC_REC_SALT_SET, so that no tag of
 * the first lap is zero.  A layout whose salt lacks it (from an older
 * writer, or forged) would let a reserved, still zero header read as
 * committed: an endpoint must refuse the ring.  The shm backend's layout
 * page is the first page of its file, which a peer can rewrite.
 */
TEST_F(chan, salt_without_set_bit_is_ebadmsg)
{
	struct kipc_opts o = self->opts;
	const char *dir = getenv("KIPC_RUNDIR");
	kipc_chan c, x = KIPC_CHAN_INVALID;
	char name[64], path[256];
	uint32_t salt;
	int fd;

	PRECHECK();
	if (variant->backend != KIPC_BACKEND_SHM)
		SKIP(return, "%s: the layout page is the kernel's", variant->name);
	unique_name(name, sizeof(name), "salt");
	kipc_unlink(name, &o);
	ASSERT_EQ(0, kipc_create(&c, name, KIPC_CONSUMER, &o));
	snprintf(path, sizeof(path), "%s/kipc.%s.shm",
		 dir && *dir ? dir : "/dev/shm", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_EQ(4, pread(fd, &salt, 4, offsetof(struct kipc_ring_layout, rec_salt)));
	EXPECT_NE(0, salt & KIPC_REC_SALT_SET);
	salt &= ~KIPC_REC_SALT_SET;
	ASSERT_EQ(4, pwrite(fd, &salt, 4, offsetof(struct kipc_ring_layout, rec_salt)));
	close(fd);

	EXPECT_EQ(-EBADMSG, kipc_open(&x, name, KIPC_PRODUCER, &o, KIPC_NOWAIT));
	if (x.h)
		kipc_close(x);
	EXPECT_EQ(0, kipc_close(c));
	EXPECT_EQ(0, kipc_unlink(name, &o));
}

TEST_F_TIMEOUT(chan, hostile_peer_scribbles, 120)
{
	static uint8_t buf[MAX_MSG];
	struct range rg[16];
	uint64_t until, vrng = 42;
	int n, seen_badmsg = 0;
	pid_t pid;

	PRECHECK();
	if (!is_ring(variant))
		SKIP(return, "%s: no shared memory to corrupt", variant->name);
	ASSERT_EQ(0, make_pair(self, 0, 8192));
	n = ring_ranges(rg, 16);
	ASSERT_LT(0, n);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint64_t rng = 0xdeadbeefcafef00dULL;

		/* The hostile peer: random bytes over every shared page. */
		until = kipc_now() + 2 * SEC;
		while (kipc_now() < until) {
			for (int i = 0; i < n; i++) {
				uint8_t *p = (uint8_t *)rg[i].start;
				size_t len = rg[i].end - rg[i].start;

				for (int k = 0; k < 64; k++)
					p[xorshift(&rng) % len] = (uint8_t)xorshift(&rng);
				if (xorshift(&rng) % 4 == 0)
					memset(p + xorshift(&rng) % (len - 8), 0xff, 8);
			}
		}
		_exit(0);
	}
	/* The victim: keeps using both ends; a watchdog catches hangs. */
	alarm(100);	/* below the test's timeout: SIGALRM kills a hung victim */
	until = kipc_now() + 3 * SEC;
	while (kipc_now() < until) {
		uint64_t dl = kipc_now() + 10000000ULL;
		struct kipc_stats st;
		const void *cp;
		void *p;
		int ret;

		ret = kipc_send_timed(self->tx, buf, 1 + xorshift(&vrng) % 2000, dl);
		seen_badmsg |= ret == -EBADMSG;
		ret = kipc_recv_timed(self->rx, buf, sizeof(buf), dl);
		seen_badmsg |= ret == -EBADMSG;
		ret = kipc_peek(self->rx, &cp, KIPC_NOWAIT);
		if (ret > 0) {
			volatile uint8_t sink = ((const uint8_t *)cp)[ret - 1];

			(void)sink;
			kipc_release(self->rx, cp);
		}
		if (kipc_reserve(self->tx, &p, 100, KIPC_NOWAIT) == 0) {
			memset(p, 1, 100);
			kipc_commit(self->tx, 100);
		}
		kipc_poll_arm(self->rx);
		kipc_poll_arm(self->tx);
		kipc_stats(self->rx, &st);
		EXPECT_GE(st.capacity, st.depth);
	}
	alarm(0);
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_TRUE(seen_badmsg);	/* the corruption was noticed */
}

/*
 * One hostile record in front of each receive entry point.  The peer
 * rewrites a published record header: a length beyond max_record, a
 * length beyond what was published, a tag of another position, or a run
 * of DATA records turned into padding.  Every entry point must go
 * through the one record check of the library: a path that skipped it
 * would hand out the bad record (or padding bytes as a message).
 */
enum guard_path { GUARD_RECV, GUARD_RECVV, GUARD_BATCH, GUARD_PEEK };
enum guard_bad { GUARD_LEN_MAX, GUARD_LEN_AVAIL, GUARD_TAG, GUARD_PAD_STORM };

#define GUARD_LEN	16
#define GUARD_PADS	200

static void guard_msg(char *buf, int i)
{
	char s[32] = "";

	snprintf(s, sizeof(s), "guard-%09d", i);
	memcpy(buf, s, GUARD_LEN);
}

/* The header of the record carrying message @i, in a writable view. */
static struct kipc_rec_hdr *guard_find(int i)
{
	struct range rg[16];
	char want[GUARD_LEN];
	int n = ring_ranges(rg, 16);

	guard_msg(want, i);
	for (int k = 0; k < n; k++)
		for (uintptr_t a = rg[k].start + sizeof(struct kipc_rec_hdr);
		     a + GUARD_LEN <= rg[k].end; a += KIPC_REC_ALIGN)
			if (!memcmp((void *)a, want, GUARD_LEN))
				return (struct kipc_rec_hdr *)a - 1;
	return NULL;
}

/* One message by @path, without waiting: its length, 0, or -errno. */
static int guard_recv(kipc_chan rx, enum guard_path path, char *buf)
{
	struct kipc_msg m[4];
	struct iovec iov = { .iov_base = buf, .iov_len = GUARD_LEN };
	const void *p;
	int ret;

	switch (path) {
	case GUARD_RECV:
		return kipc_recv_timed(rx, buf, GUARD_LEN, KIPC_NOWAIT);
	case GUARD_RECVV:
		return kipc_recvv(rx, &iov, 1, KIPC_NOWAIT);
	case GUARD_BATCH:
		/* One slot: the batch loop itself is exercised by guard_run(). */
		m[0] = (struct kipc_msg){ .buf = buf, .len = GUARD_LEN };
		ret = kipc_recv_batch(rx, m, 1, KIPC_NOWAIT);
		return ret == 1 ? (int)m[0].len : ret;
	case GUARD_PEEK:
		ret = kipc_peek(rx, &p, KIPC_NOWAIT);
		if (ret > 0) {
			memcpy(buf, p, ret < GUARD_LEN ? (size_t)ret : GUARD_LEN);
			if (kipc_release(rx, p))
				return -EPROTO;
		}
		return ret;
	}
	return -EINVAL;
}

/*
 * Messages 0 and 1 are sent (with GUARD_PADS messages between them for a
 * padding storm), then the peer spoils what follows message 0; message 0
 * still arrives (a batch receives it with the spoiled record right behind
 * it in the same call), then the path reports what the record is.
 */
static void guard_run(struct __test_metadata *_metadata,
		      FIXTURE_DATA(chan) *self, enum guard_path path, bool mpsc)
{
	for (int bad = GUARD_LEN_MAX; bad <= GUARD_PAD_STORM; bad++) {
		int last = bad == GUARD_PAD_STORM ? GUARD_PADS + 1 : 1;
		char buf[GUARD_LEN], want[GUARD_LEN], mb[4][GUARD_LEN];
		struct kipc_msg m[4];
		struct kipc_rec_hdr *h;
		uint32_t tag = 0;
		int ret;

		ASSERT_EQ(0, make_pair(self, mpsc ? KIPC_F_MULTI_PRODUCER : 0, 8192));
		for (int i = 0; i <= last; i++) {
			guard_msg(buf, i);
			ASSERT_EQ(GUARD_LEN, kipc_send(self->tx, buf, GUARD_LEN));
		}
		h = guard_find(1);
		ASSERT_NE(NULL, h);
		switch (bad) {
		case GUARD_LEN_MAX:
			h->len = KIPC_REC_LEN_MASK;
			break;
		case GUARD_LEN_AVAIL:	/* within max_record, beyond tail */
			h->len = 1024;
			break;
		case GUARD_TAG:
			tag = h->tag;
			h->tag = tag ^ 0x10;	/* the tag of another position */
			break;
		case GUARD_PAD_STORM:
			for (int i = 1; i < last; i++) {
				h = guard_find(i);
				ASSERT_NE(NULL, h);
				h->len |= KIPC_REC_PAD;
			}
			break;
		}

		/* Message 0; a batch sees the spoiled record in the same call. */
		if (path == GUARD_BATCH) {
			for (int i = 0; i < 4; i++)
				m[i] = (struct kipc_msg){ .buf = mb[i], .len = GUARD_LEN };
			ret = kipc_recv_batch(self->rx, m, 4, KIPC_NOWAIT);
			ASSERT_LE(1, ret);
			memcpy(buf, mb[0], GUARD_LEN);
			if (bad == GUARD_PAD_STORM && ret > 1) {
				/* Past the padding in the same call: the last message. */
				ASSERT_EQ(2, ret);
				guard_msg(want, last);
				EXPECT_EQ(0, memcmp(mb[1], want, GUARD_LEN));
				last = -1;
			} else {
				ASSERT_EQ(1, ret);
			}
		} else {
			ASSERT_EQ(GUARD_LEN, guard_recv(self->rx, path, buf));
		}
		guard_msg(want, 0);
		EXPECT_EQ(0, memcmp(buf, want, GUARD_LEN));

		switch (bad) {
		case GUARD_LEN_MAX:
		case GUARD_LEN_AVAIL:
			EXPECT_EQ(-EBADMSG, guard_recv(self->rx, path, buf));
			/* Sticky: the ring is not trusted again. */
			EXPECT_EQ(-EBADMSG, guard_recv(self->rx, path, buf));
			break;
		case GUARD_TAG:
			if (!mpsc) {
				/* Published by tail, so the tag must be there. */
				EXPECT_EQ(-EBADMSG, guard_recv(self->rx, path, buf));
				EXPECT_EQ(-EBADMSG, guard_recv(self->rx, path, buf));
				break;
			}
			/* MPSC: the tag is the commit; not committed yet. */
			EXPECT_EQ(-EAGAIN, guard_recv(self->rx, path, buf));
			h->tag = tag;
			EXPECT_EQ(GUARD_LEN, guard_recv(self->rx, path, buf));
			guard_msg(want, 1);
			EXPECT_EQ(0, memcmp(buf, want, GUARD_LEN));
			EXPECT_EQ(-EAGAIN, guard_recv(self->rx, path, buf));
			break;
		case GUARD_PAD_STORM:
			/* The padding is skipped: the last message and no other. */
			if (last > 0) {
				EXPECT_EQ(GUARD_LEN, guard_recv(self->rx, path, buf));
				guard_msg(want, last);
				EXPECT_EQ(0, memcmp(buf, want, GUARD_LEN));
			}
			EXPECT_EQ(-EAGAIN, guard_recv(self->rx, path, buf));
			break;
		}
		kipc_close(self->tx);
		kipc_close(self->rx);
		self->tx = KIPC_CHAN_INVALID;
		self->rx = KIPC_CHAN_INVALID;
	}
}

#define GUARD_TEST(test, path, mpsc)					\
TEST_F(chan, test)							\
{									\
	PRECHECK();							\
	if (!is_ring(variant))						\
		SKIP(return, "%s: no shared memory to corrupt", variant->name); \
	guard_run(_metadata, self, path, mpsc);		\
}

/* kipc_recv(): the inline fast path, then the slow path (MPSC: only that). */
GUARD_TEST(guard_recv_spsc, GUARD_RECV, false)
GUARD_TEST(guard_recv_mpsc, GUARD_RECV, true)
/* kipc_recvv(): a single receive through the ring's peek and release. */
GUARD_TEST(guard_recvv_spsc, GUARD_RECVV, false)
GUARD_TEST(guard_recvv_mpsc, GUARD_RECVV, true)
/* kipc_recv_batch(): the first message, then the batch loop. */
GUARD_TEST(guard_recv_batch_spsc, GUARD_BATCH, false)
GUARD_TEST(guard_recv_batch_mpsc, GUARD_BATCH, true)
/* kipc_peek() and kipc_release(). */
GUARD_TEST(guard_peek_spsc, GUARD_PEEK, false)
GUARD_TEST(guard_peek_mpsc, GUARD_PEEK, true)

/* ------------------------------------------------------------------ */
/* Fallback and backend selection (not per backend)                     */
/* ------------------------------------------------------------------ */

TEST(fallback_without_module)
{
	struct kipc_opts o;
	kipc_chan t, r;

	ASSERT_EQ(0, setenv("KIPC_DEV", "/nonexistent/kipc", 1));
	unsetenv("KIPC_BACKEND");
	/* An unchanged program runs over shm. */
	ASSERT_EQ(0, kipc_pair(&t, &r, NULL));
	EXPECT_EQ(KIPC_BACKEND_SHM, kipc_backend(t));
	EXPECT_STREQ("shm", kipc_backend_name(kipc_backend(r)));
	EXPECT_EQ(2, kipc_send(t, "ok", 2));
	kipc_close(t);
	kipc_close(r);

	/* Forcing the missing backend is an error, by option or env. */
	kipc_opts_init(&o);
	o.backend = KIPC_BACKEND_KMOD;
	EXPECT_EQ(-ENODEV, kipc_pair(&t, &r, &o));
	ASSERT_EQ(0, setenv("KIPC_BACKEND", "kmod", 1));
	EXPECT_EQ(-ENODEV, kipc_pair(&t, &r, NULL));
	ASSERT_EQ(0, setenv("KIPC_BACKEND", "bogus", 1));
	EXPECT_EQ(-EINVAL, kipc_pair(&t, &r, NULL));
	ASSERT_EQ(0, setenv("KIPC_BACKEND", "pipe", 1));
	ASSERT_EQ(0, kipc_pair(&t, &r, NULL));
	EXPECT_EQ(KIPC_BACKEND_PIPE, kipc_backend(t));
	kipc_close(t);
	kipc_close(r);
	unsetenv("KIPC_BACKEND");

	/* Not a kipc device (ENOTTY) counts as absent too. */
	ASSERT_EQ(0, setenv("KIPC_DEV", "/dev/null", 1));
	ASSERT_EQ(0, kipc_pair(&t, &r, NULL));
	EXPECT_EQ(KIPC_BACKEND_SHM, kipc_backend(t));
	kipc_close(t);
	kipc_close(r);
	unsetenv("KIPC_DEV");
}

TEST(guarantees_are_never_dropped)
{
	struct kipc_opts o;
	kipc_chan t, r;

	ASSERT_EQ(0, setenv("KIPC_DEV", "/nonexistent/kipc", 1));
	unsetenv("KIPC_BACKEND");
	kipc_opts_init(&o);
	/* Credentials: shm cannot; auto moves on to unix, which can. */
	o.flags = KIPC_F_CREDENTIALS;
	ASSERT_EQ(0, kipc_pair(&t, &r, &o));
	EXPECT_EQ(KIPC_BACKEND_UNIX, kipc_backend(t));
	kipc_close(t);
	kipc_close(r);
	o.backend = KIPC_BACKEND_SHM;
	EXPECT_EQ(-EOPNOTSUPP, kipc_pair(&t, &r, &o));
	o.backend = KIPC_BACKEND_PIPE;
	EXPECT_EQ(-EOPNOTSUPP, kipc_pair(&t, &r, &o));
	/* Multi-consumer: shm and pipe cannot. */
	o.flags = KIPC_F_MULTI_CONSUMER;
	o.backend = KIPC_BACKEND_SHM;
	EXPECT_EQ(-EOPNOTSUPP, kipc_pair(&t, &r, &o));
	/* Zero-copy: unix and pipe cannot. */
	o.flags = KIPC_F_ZERO_COPY;
	o.backend = KIPC_BACKEND_UNIX;
	EXPECT_EQ(-EOPNOTSUPP, kipc_pair(&t, &r, &o));
	o.backend = KIPC_BACKEND_AUTO;
	ASSERT_EQ(0, kipc_pair(&t, &r, &o));
	EXPECT_EQ(KIPC_BACKEND_SHM, kipc_backend(t));
	kipc_close(t);
	kipc_close(r);
	/* Zero-copy and credentials together: nobody (without queues). */
	o.flags = KIPC_F_ZERO_COPY | KIPC_F_CREDENTIALS;
	EXPECT_EQ(-EOPNOTSUPP, kipc_pair(&t, &r, &o));
	unsetenv("KIPC_DEV");
}

KIPC_TEST_HARNESS_MAIN
