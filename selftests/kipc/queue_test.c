// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc kernel message queues: semantics, credentials, peer death,
 * permissions, bad input, epoll, and a 4x4 stress run.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "kselftest_harness.h"
#include "kipc_test.h"
#include "kipc_queue_util.h"
#include "tenv.h"

#define RW	(KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER)
#define MS	1000000ULL

FIXTURE(queue) {
	int dev;
	struct kipc_info info;
};

FIXTURE_SETUP(queue)
{
	KIPC_TEST_OPEN_DEV(self->dev, KIPC_FEAT_QUEUE);
	memset(&self->info, 0, sizeof(self->info));
	ASSERT_EQ(0, ioctl(self->dev, KIPC_IOC_GET_INFO, &self->info));
}

FIXTURE_TEARDOWN(queue)
{
	if (self->dev >= 0)
		close(self->dev);
}

/* Wait for a child and return its exit status, or 128 + signal. */
static unsigned int depth(int fd)
{
	return (unsigned int)kq_info(fd, "msgs");
}

TEST_F(queue, info_and_fdinfo)
{
	int fd;

	EXPECT_TRUE(self->info.features & KIPC_FEAT_QUEUE);
	EXPECT_LE(4096, self->info.max_msg_size);

	fd = kq_create(self->dev, 128, 8);
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, depth(fd));
	EXPECT_EQ(128, kq_info(fd, "max-msg-size"));
	EXPECT_EQ(8, kq_info(fd, "max-msgs"));
	EXPECT_EQ(1024, kq_info(fd, "max-bytes"));
	EXPECT_EQ(1, kq_info(fd, "producers"));
	EXPECT_EQ(1, kq_info(fd, "consumers"));
	EXPECT_EQ(0, kq_send(fd, "abc", 3, 0, 0, 0));
	EXPECT_EQ(1, depth(fd));
	EXPECT_EQ(3, kq_info(fd, "bytes"));
	/* Not seekable, no pread. */
	errno = 0;
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	close(fd);
}

TEST_F(queue, boundaries_read_write)
{
	char buf[256], big[256];
	struct kipc_queue_msg m;
	int fd, i;

	fd = kq_create(self->dev, 200, 16);
	ASSERT_LE(0, fd);
	memset(big, 'x', sizeof(big));
	ASSERT_EQ(1, write(fd, "a", 1));
	ASSERT_EQ(5, write(fd, "hello", 5));
	ASSERT_EQ(200, write(fd, big, 200));
	ASSERT_EQ(0, write(fd, big, 0));	/* nothing queued */
	ASSERT_EQ(-1, write(fd, big, 201));
	ASSERT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(3, depth(fd));

	ASSERT_EQ(1, read(fd, buf, sizeof(buf)));
	ASSERT_EQ('a', buf[0]);
	ASSERT_EQ(5, kq_recv(fd, buf, sizeof(buf), 0, 0, &m));
	ASSERT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(5, m.len);
	EXPECT_EQ(KIPC_QUEUE_PRIO_DEFAULT, m.prio);
	EXPECT_EQ(getpid(), m.pid);
	EXPECT_EQ(geteuid(), m.uid);
	EXPECT_EQ(getegid(), m.gid);
	EXPECT_EQ(0, m.reserved);
	ASSERT_EQ(200, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, big, 200));
	ASSERT_EQ(0, read(fd, buf, 0));

	for (i = 1; i <= 16; i++)
		ASSERT_EQ(0, kq_send(fd, big, i, 0, 0, 0));
	for (i = 1; i <= 16; i++)
		ASSERT_EQ(i, read(fd, buf, sizeof(buf)));
	close(fd);
}

TEST_F(queue, priority_order)
{
	static const unsigned int prios[] = { 0, 5, 31, 5, 0, 17, 31, 1, 5 };
	unsigned int n = sizeof(prios) / sizeof(prios[0]), i, last_prio = 32;
	int last_idx[32];
	struct kipc_queue_msg m;
	char buf[16];
	int fd;

	memset(last_idx, 0xff, sizeof(last_idx));
	fd = kq_create(self->dev, 16, 32);
	ASSERT_LE(0, fd);
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%u.%u", prios[i], i);
		ASSERT_EQ(0, kq_send(fd, buf, strlen(buf) + 1, prios[i], 0, 0));
	}
	/* Higher first, and FIFO (increasing index) within one priority. */
	for (i = 0; i < n; i++) {
		unsigned int p, idx;

		ASSERT_LT(0, kq_recv(fd, buf, sizeof(buf), 0, 0, &m));
		ASSERT_EQ(2, sscanf(buf, "%u.%u", &p, &idx));
		EXPECT_EQ(p, m.prio);
		EXPECT_GE(last_prio, p);
		EXPECT_LT(last_idx[p], (int)idx);
		last_idx[p] = idx;
		last_prio = p;
	}
	EXPECT_EQ(-EAGAIN, kq_recv(fd, buf, sizeof(buf), KIPC_WAIT_NONBLOCK, 0, NULL));
	close(fd);
}

TEST_F(queue, peek)
{
	struct kipc_queue_msg m;
	char buf[32];
	int fd;

	fd = kq_create(self->dev, 32, 4);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EAGAIN, kq_recv(fd, buf, sizeof(buf),
				   KIPC_RECV_PEEK | KIPC_WAIT_NONBLOCK, 0, NULL));
	ASSERT_EQ(0, kq_send(fd, "low", 4, 1, 0, 0));
	ASSERT_EQ(0, kq_send(fd, "high", 5, 9, 0, 0));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(5, kq_recv(fd, buf, sizeof(buf), KIPC_RECV_PEEK, 0, &m));
	EXPECT_STREQ("high", buf);
	EXPECT_EQ(9, m.prio);
	EXPECT_EQ(getpid(), m.pid);
	EXPECT_EQ(geteuid(), m.uid);
	EXPECT_EQ(2, depth(fd));
	/* Peek again: same message; a small buffer: -EMSGSIZE with the size. */
	ASSERT_EQ(5, kq_recv(fd, buf, sizeof(buf), KIPC_RECV_PEEK, 0, NULL));
	ASSERT_EQ(-EMSGSIZE, kq_recv(fd, buf, 2, KIPC_RECV_PEEK, 0, &m));
	EXPECT_EQ(5, m.len);
	ASSERT_EQ(5, kq_recv(fd, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_STREQ("high", buf);
	ASSERT_EQ(4, kq_recv(fd, buf, sizeof(buf), KIPC_RECV_PEEK, 0, &m));
	EXPECT_STREQ("low", buf);
	EXPECT_EQ(1, depth(fd));
	close(fd);
}

TEST_F(queue, emsgsize_keeps_message)
{
	struct kipc_queue_msg m, v[2];
	char buf[100], msg[60];
	int fd;

	fd = kq_create(self->dev, 100, 4);
	ASSERT_LE(0, fd);
	memset(msg, 'm', sizeof(msg));
	ASSERT_EQ(0, kq_send(fd, msg, sizeof(msg), 0, 0, 0));
	ASSERT_EQ(-EMSGSIZE, kq_recv(fd, buf, 59, 0, 0, &m));
	EXPECT_EQ(60, m.len);
	EXPECT_EQ(1, depth(fd));
	errno = 0;
	EXPECT_EQ(-1, read(fd, buf, 10));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(1, depth(fd));

	/* Vector: the first entry too small is an error, a later one stops. */
	memset(v, 0, sizeof(v));
	v[0].buf = (uintptr_t)buf;
	v[0].len = 10;
	EXPECT_EQ(-EMSGSIZE, kq_recvv(fd, v, 1, 0, 0));
	EXPECT_EQ(60, v[0].len);
	ASSERT_EQ(0, kq_send(fd, msg, 50, 0, 0, 0));
	v[0].len = 60;
	v[1].buf = (uintptr_t)buf;
	v[1].len = 10;
	EXPECT_EQ(1, kq_recvv(fd, v, 2, 0, 0));
	EXPECT_EQ(60, v[0].len);
	EXPECT_EQ(1, depth(fd));
	ASSERT_EQ(50, kq_recv(fd, buf, sizeof(buf), 0, 0, NULL));
	close(fd);
}

TEST_F(queue, nonblocking)
{
	char buf[8] = "x";
	int fd, i;

	fd = kq_create(self->dev, 8, 2);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EAGAIN, kq_recv(fd, buf, sizeof(buf), KIPC_WAIT_NONBLOCK, 0, NULL));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, kq_send(fd, buf, 1, 0, KIPC_WAIT_NONBLOCK, 0));
	EXPECT_EQ(-EAGAIN, kq_send(fd, buf, 1, 0, KIPC_WAIT_NONBLOCK, 0));
	EXPECT_EQ(2, depth(fd));
	close(fd);

	/* O_NONBLOCK on the fd, from fd_flags and from fcntl(). */
	fd = kq_create_full(self->dev, 8, 1, 0, RW, KIPC_FD_NONBLOCK, NULL, 0600);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(1, write(fd, buf, 1));
	EXPECT_EQ(-1, write(fd, buf, 1));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-EAGAIN, kq_send(fd, buf, 1, 0, 0, 0));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, 0));
	EXPECT_EQ(1, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	close(fd);
}

TEST_F(queue, timeouts)
{
	char buf[8] = "x";
	uint64_t t0;
	int fd;

	fd = kq_create(self->dev, 8, 1);
	ASSERT_LE(0, fd);
	/* Empty: receive times out, monotonic and realtime. */
	t0 = kq_now(CLOCK_MONOTONIC);
	EXPECT_EQ(-ETIMEDOUT, kq_recv(fd, buf, sizeof(buf), 0, t0 + 20 * MS, NULL));
	EXPECT_LE(t0 + 20 * MS, kq_now(CLOCK_MONOTONIC));
	t0 = kq_now(CLOCK_REALTIME);
	EXPECT_EQ(-ETIMEDOUT, kq_recv(fd, buf, sizeof(buf), KIPC_WAIT_REALTIME,
				      t0 + 20 * MS, NULL));
	EXPECT_LE(t0 + 20 * MS, kq_now(CLOCK_REALTIME));
	/* A deadline in the past fails at once, but only if it must wait. */
	EXPECT_EQ(-ETIMEDOUT, kq_recv(fd, buf, sizeof(buf), 0, 1, NULL));
	ASSERT_EQ(0, kq_send(fd, buf, 1, 0, 0, 1));
	/* Full: send times out, and the queue is unchanged. */
	t0 = kq_now(CLOCK_MONOTONIC);
	EXPECT_EQ(-ETIMEDOUT, kq_send(fd, buf, 1, 0, 0, t0 + 20 * MS));
	EXPECT_EQ(-ETIMEDOUT, kq_send(fd, buf, 1, 0, KIPC_WAIT_REALTIME,
				      kq_now(CLOCK_REALTIME) + 10 * MS));
	EXPECT_EQ(1, depth(fd));
	EXPECT_EQ(0, kq_info(fd, "write-waiters"));
	EXPECT_EQ(1, kq_recv(fd, buf, sizeof(buf), 0, 1, NULL));
	close(fd);
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/*
 * In a time namespace: every wait of a queue on an empty (@fd) or full
 * (@full) queue with a CLOCK_MONOTONIC deadline 100 ms ahead, read on the
 * namespace's clock, times out and not before that deadline.  A deadline
 * taken as the host's is an hour late (SIGALRM ends the wait: -EINTR) or
 * long past (it returns before the deadline).  Returns 0 or which step
 * failed.
 */
struct timens_fds {
	int empty;
	int full;
};

static int queue_waits_in_timens(void *arg)
{
	const struct timens_fds *q = arg;
	const char *scale = getenv("KIPC_TIMEOUT_SCALE");
	struct kipc_queue_msg v = { 0 };
	struct sigaction sa;
	char buf[8] = "t";
	uint64_t dl;
	int step;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: a late wait ends */
	sigaction(SIGALRM, &sa, NULL);
	v.buf = (uintptr_t)buf;
	v.len = sizeof(buf);
	for (step = 1; step <= 5; step++) {
		int ret;

		alarm(10 * (scale && atoi(scale) > 1 ? atoi(scale) : 1));
		dl = kq_now(CLOCK_MONOTONIC) + 100 * MS;
		switch (step) {
		case 1:
			ret = kq_recv(q->empty, buf, sizeof(buf), 0, dl, NULL);
			break;
		case 2:
			ret = kq_recv(q->empty, buf, sizeof(buf), KIPC_RECV_PEEK, dl, NULL);
			break;
		case 3:
			ret = kq_recvv(q->empty, &v, 1, 0, dl);
			break;
		case 4:
			ret = kq_send(q->full, buf, 1, 0, 0, dl);
			break;
		default:
			v.len = 1;
			ret = kq_sendv(q->full, &v, 1, 0, dl);
			break;
		}
		alarm(0);
		if (ret != -ETIMEDOUT || kq_now(CLOCK_MONOTONIC) < dl)
			return step;
	}
	/* CLOCK_REALTIME is the same in every time namespace. */
	dl = kq_now(CLOCK_REALTIME) + 100 * MS;
	if (kq_recv(q->empty, buf, sizeof(buf), KIPC_WAIT_REALTIME, dl, NULL) != -ETIMEDOUT ||
	    kq_now(CLOCK_REALTIME) < dl)
		return 10;
	return 0;
}

TEST_F_TIMEOUT(queue, deadline_in_time_namespace, 120)
{
	struct timens_fds q;
	long long up;
	int st;

	q.empty = kq_create(self->dev, 8, 1);
	ASSERT_LE(0, q.empty);
	q.full = kq_create(self->dev, 8, 1);
	ASSERT_LE(0, q.full);
	ASSERT_EQ(0, kq_send(q.full, "f", 1, 0, 0, 0));

	/* The namespace's clock an hour ahead of the host's. */
	st = tenv_in_timens(3600, queue_waits_in_timens, &q);
	if (st == TENV_NO_TIMENS)
		SKIP(return, "no time namespaces");
	EXPECT_EQ(0, st) TH_LOG("offset +3600 s: step %d failed", st);
	/* And behind it, as far as the host's uptime allows. */
	up = tenv_uptime_s();
	if (up >= 2) {
		st = tenv_in_timens(1 - up, queue_waits_in_timens, &q);
		EXPECT_EQ(0, st) TH_LOG("offset %lld s: step %d failed", 1 - up, st);
	}
	EXPECT_EQ(1, depth(q.full));
	EXPECT_EQ(0, kq_info(q.full, "write-waiters"));
	EXPECT_EQ(0, kq_info(q.empty, "read-waiters"));
	close(q.full);
	close(q.empty);
}

/*
 * A child blocks in send (@send) or receive on @fd; SIGUSR1 arrives with
 * or without SA_RESTART.  Without it the call fails with EINTR; with it
 * the call restarts and completes once the parent makes it possible.
 * Returns the child's exit status (0 = as expected).
 */
static int blocked_signal(int fd, bool send, bool restart)
{
	int go[2], ret;
	char c = 0, buf[8] = "s";
	pid_t pid;

	if (pipe(go))
		return 100;
	pid = fork();
	if (pid < 0)
		return 101;
	if (pid == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sa.sa_flags = restart ? SA_RESTART : 0;
		sigaction(SIGUSR1, &sa, NULL);
		close(go[0]);
		if (write(go[1], &c, 1) != 1)
			_exit(2);
		if (send)
			ret = kq_send(fd, buf, 1, 0, 0, 0);
		else
			ret = kq_recv(fd, buf, sizeof(buf), 0, 0, NULL);
		if (!got_signal)
			_exit(3);
		if (!restart)
			_exit(ret == -EINTR ? 0 : 4);
		if (send)
			_exit(ret == 0 ? 0 : 5);
		_exit(ret == 1 && buf[0] == 'r' ? 0 : 6);
	}
	close(go[1]);
	if (read(go[0], &c, 1) != 1)
		return 102;
	close(go[0]);
	/* Let it block (no timing assumption: the outcome is the same if not). */
	while (kq_info(fd, send ? "write-waiters" : "read-waiters") < 1)
		usleep(1000);
	kill(pid, SIGUSR1);
	if (restart) {
		/* Give the restarted call a little time to block again. */
		usleep(20000);
		if (send)
			ret = kq_recv(fd, buf, sizeof(buf), 0, 0, NULL) == 1 ? 0 : 103;
		else
			ret = kq_send(fd, "r", 1, 0, 0, 0);
		if (ret)
			return 104;
	}
	return tenv_reap(pid);
}

TEST_F(queue, signal_during_blocking)
{
	char buf[8] = "f";
	int fd;

	fd = kq_create(self->dev, 8, 1);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, blocked_signal(fd, false, false));
	EXPECT_EQ(0, blocked_signal(fd, false, true));
	ASSERT_EQ(0, kq_send(fd, buf, 1, 0, 0, 0));	/* now full */
	EXPECT_EQ(0, blocked_signal(fd, true, false));
	EXPECT_EQ(1, depth(fd));
	EXPECT_EQ(0, blocked_signal(fd, true, true));
	EXPECT_EQ(1, depth(fd));
	EXPECT_EQ(0, kq_info(fd, "write-waiters"));
	EXPECT_EQ(0, kq_info(fd, "read-waiters"));
	close(fd);
}

TEST_F(queue, blocking_handoff_wakes)
{
	char buf[64];
	pid_t pid;
	int fd, i;

	/* Ping-pong through a one-slot queue: every receive blocks. */
	fd = kq_create(self->dev, 64, 1);
	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (i = 0; i < 2000; i++) {
			snprintf(buf, sizeof(buf), "%d", i);
			if (kq_send(fd, buf, strlen(buf) + 1, i % 3, 0, 0))
				_exit(1);
		}
		_exit(0);
	}
	for (i = 0; i < 2000; i++) {
		ASSERT_LT(0, kq_recv(fd, buf, sizeof(buf), 0, 0, NULL));
		ASSERT_EQ(i, atoi(buf));
	}
	EXPECT_EQ(0, tenv_reap(pid));
	close(fd);
}

TEST_F(queue, credentials_setuid)
{
	struct kipc_queue_msg m;
	char buf[8];
	pid_t pid;
	int fd;

	fd = kq_create(self->dev, 8, 4);
	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(1001) || setuid(1001))
			_exit(2);
		_exit(kq_send(fd, "u", 1, 0, 0, 0) ? 3 : 0);
	}
	ASSERT_EQ(0, tenv_reap(pid));
	ASSERT_EQ(1, kq_recv(fd, buf, sizeof(buf), 0, 0, &m));
	EXPECT_EQ(pid, m.pid);
	EXPECT_EQ(1001, m.uid);
	EXPECT_EQ(1001, m.gid);
	close(fd);
}

TEST_F(queue, credentials_pid_namespace)
{
	struct kipc_queue_msg m;
	int fd, back, p[2];
	pid_t pid, inner = 0;
	char buf[8];

	fd = kq_create(self->dev, 8, 4);
	ASSERT_LE(0, fd);
	back = kq_create(self->dev, 8, 4);
	ASSERT_LE(0, back);
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t c;

		close(p[0]);
		if (unshare(CLONE_NEWPID))
			_exit(errno == EPERM || errno == EINVAL ? 4 : 2);
		c = fork();
		if (c < 0)
			_exit(3);
		if (c == 0) {
			struct kipc_queue_msg in;
			char b[8];

			/* pid 1 in the new namespace */
			if (getpid() != 1 || kq_send(fd, "n", 1, 0, 0, 0))
				_exit(5);
			/* The parent's message: its sender is not visible here. */
			if (kq_recv(back, b, sizeof(b), 0, 0, &in) != 1 || b[0] != 'o')
				_exit(6);
			_exit(in.pid == 0 ? 0 : 7);
		}
		if (write(p[1], &c, sizeof(c)) != sizeof(c))
			_exit(8);
		_exit(tenv_reap(c));
	}
	close(p[1]);
	ASSERT_EQ(sizeof(inner), read(p[0], &inner, sizeof(inner)));
	close(p[0]);
	ASSERT_EQ(1, kq_recv(fd, buf, sizeof(buf), 0, 0, &m));
	EXPECT_EQ('n', buf[0]);
	/* Seen from here: the pid the grandchild has in our namespace. */
	EXPECT_EQ(inner, m.pid);
	EXPECT_NE(1, m.pid);
	ASSERT_EQ(0, kq_send(back, "o", 1, 0, 0, 0));
	EXPECT_EQ(0, tenv_reap(pid));
	close(back);
	close(fd);
}

TEST_F(queue, end_of_stream_and_epipe)
{
	const char *name = "kq-test-eos";
	struct kipc_queue_msg m;
	int rx, tx, ret;
	char buf[8];
	pid_t pid;

	rx = kq_create_full(self->dev, 8, 4, 0, KIPC_ROLE_CONSUMER, 0, name, 0600);
	ASSERT_LE(0, rx);
	tx = kq_open(self->dev, name, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, kq_unlink(self->dev, name));
	/* Roles: the sender cannot read, the receiver cannot write. */
	EXPECT_EQ(-1, read(tx, buf, sizeof(buf)));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, write(rx, "x", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, kq_send(rx, "x", 1, 0, 0, 0));
	EXPECT_EQ(-EBADF, kq_recv(tx, buf, sizeof(buf), 0, 0, NULL));

	ASSERT_EQ(0, kq_send(tx, "a", 1, 0, 0, 0));
	ASSERT_EQ(0, kq_send(tx, "b", 1, 0, 0, 0));
	/* A receiver blocked when the last sender goes away gets EOF. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(tx);
		if (kq_recv(rx, buf, sizeof(buf), 0, 0, NULL) != 1 ||
		    kq_recv(rx, buf, sizeof(buf), 0, 0, NULL) != 1)
			_exit(2);
		ret = kq_recv(rx, buf, sizeof(buf), 0, 0, &m);
		_exit(ret == 0 ? 0 : 3);
	}
	while (depth(rx) > 0 || kq_info(rx, "read-waiters") < 1)
		usleep(1000);
	close(tx);
	EXPECT_EQ(0, tenv_reap(pid));
	/* And again, now that nothing is there: read() returns 0. */
	EXPECT_EQ(0, read(rx, buf, sizeof(buf)));
	EXPECT_EQ(0, kq_recv(rx, buf, sizeof(buf), 0, 0, NULL));
	memset(&m, 0, sizeof(m));
	m.buf = (uintptr_t)buf;
	m.len = sizeof(buf);
	EXPECT_EQ(0, kq_recvv(rx, &m, 1, 0, 0));
	close(rx);

	/* The last receiver goes: -EPIPE, with SIGPIPE at its default. */
	rx = kq_create_full(self->dev, 8, 1, 0, KIPC_ROLE_CONSUMER, 0, name, 0600);
	ASSERT_LE(0, rx);
	tx = kq_open(self->dev, name, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, kq_unlink(self->dev, name));
	ASSERT_EQ(0, kq_send(tx, "f", 1, 0, 0, 0));	/* now full */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(rx);
		signal(SIGPIPE, SIG_DFL);
		/* Blocks (full), then fails when the receiver is gone. */
		if (kq_send(tx, "g", 1, 0, 0, 0) != -EPIPE)
			_exit(2);
		if (write(tx, "h", 1) != -1 || errno != EPIPE)
			_exit(3);
		_exit(0);
	}
	while (kq_info(tx, "write-waiters") < 1)
		usleep(1000);
	close(rx);
	EXPECT_EQ(0, tenv_reap(pid));	/* 128 + SIGPIPE if one was raised */
	close(tx);
}

/*
 * A hang-up starts when the last peer of a role goes, not before the
 * first one comes (as for a ring): a receiver may create a named queue
 * and wait for its first sender, and a sender may queue messages before
 * the first receiver opens it.
 */
TEST_F(queue, no_hangup_before_first_peer)
{
	const char *name = "kq-first-peer";
	struct pollfd pfd;
	char buf[16];
	int rx, tx, rx2;
	pid_t pid;

	kq_unlink(self->dev, name);
	rx = kq_create_full(self->dev, 16, 4, 0, KIPC_ROLE_CONSUMER, 0, name, 0600);
	ASSERT_LE(0, rx);
	/* No sender yet: empty, not end-of-stream. */
	EXPECT_EQ(-EAGAIN, kq_recv(rx, buf, sizeof(buf), KIPC_WAIT_NONBLOCK, 0, NULL));
	pfd = (struct pollfd){ .fd = rx, .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	/* A receiver blocked before any sender gets the first one's data. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int t;

		usleep(50000);
		t = kq_open(self->dev, name, KIPC_ROLE_PRODUCER, 0);
		_exit(t >= 0 && kq_send(t, "first", 5, 0, 0, 0) == 0 ? 0 : 1);
	}
	EXPECT_EQ(5, kq_recv(rx, buf, sizeof(buf), 0, kq_now(CLOCK_MONOTONIC) + 30000 * MS, NULL));
	EXPECT_EQ(0, memcmp(buf, "first", 5));
	EXPECT_EQ(0, tenv_reap(pid));
	/* Its exit was the last sender's close: now end-of-stream. */
	EXPECT_EQ(0, kq_recv(rx, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ(POLLHUP, poll(&pfd, 1, 0) == 1 ? pfd.revents & POLLHUP : 0);
	/* A new sender ends the hang-up. */
	tx = kq_open(self->dev, name, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, tx);
	EXPECT_EQ(-EAGAIN, kq_recv(rx, buf, sizeof(buf), KIPC_WAIT_NONBLOCK, 0, NULL));
	close(tx);
	close(rx);
	EXPECT_EQ(0, kq_unlink(self->dev, name));

	/* A sender before any receiver queues up to the limit, then blocks. */
	tx = kq_create_full(self->dev, 16, 2, 0, KIPC_ROLE_PRODUCER, 0, name, 0600);
	ASSERT_LE(0, tx);
	EXPECT_EQ(0, kq_send(tx, "a", 1, 0, KIPC_WAIT_NONBLOCK, 0));
	EXPECT_EQ(0, kq_send(tx, "b", 1, 0, KIPC_WAIT_NONBLOCK, 0));
	EXPECT_EQ(-EAGAIN, kq_send(tx, "c", 1, 0, KIPC_WAIT_NONBLOCK, 0));
	pfd = (struct pollfd){ .fd = tx, .events = POLLOUT };
	EXPECT_EQ(0, poll(&pfd, 1, 0));		/* full, and no EPOLLERR */
	rx = kq_open(self->dev, name, KIPC_ROLE_CONSUMER, 0);
	ASSERT_LE(0, rx);
	EXPECT_EQ(1, kq_recv(rx, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ('a', buf[0]);
	/* The last receiver goes: -EPIPE; a new one ends that too. */
	close(rx);
	EXPECT_EQ(-EPIPE, kq_send(tx, "c", 1, 0, KIPC_WAIT_NONBLOCK, 0));
	rx2 = kq_open(self->dev, name, KIPC_ROLE_CONSUMER, 0);
	ASSERT_LE(0, rx2);
	EXPECT_EQ(0, kq_send(tx, "d", 1, 0, KIPC_WAIT_NONBLOCK, 0));
	EXPECT_EQ(1, kq_recv(rx2, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ('b', buf[0]);
	EXPECT_EQ(1, kq_recv(rx2, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ('d', buf[0]);
	close(rx2);
	close(tx);
	EXPECT_EQ(0, kq_unlink(self->dev, name));
}

TEST_F(queue, epoll_events)
{
	const char *name = "kq-test-epoll";
	struct epoll_event ev;
	int rx, tx, ep;
	char buf[8];
	pid_t pid;

	rx = kq_create_full(self->dev, 8, 1, 0, KIPC_ROLE_CONSUMER, 0, name, 0600);
	ASSERT_LE(0, rx);
	tx = kq_open(self->dev, name, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, kq_unlink(self->dev, name));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev.events = EPOLLIN;
	ev.data.fd = rx;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, rx, &ev));
	ev.events = EPOLLOUT;
	ev.data.fd = tx;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, tx, &ev));

	/* Empty: the sender is writable, the receiver is not readable. */
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 0));
	EXPECT_EQ(tx, ev.data.fd);
	EXPECT_EQ(EPOLLOUT, ev.events);

	/* A blocked epoll_wait is woken by a send from another process. */
	ev.events = 0;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_MOD, tx, &ev));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		usleep(10000);
		_exit(kq_send(tx, "d", 1, 0, 0, 0) ? 1 : 0);
	}
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 10000));
	EXPECT_EQ(rx, ev.data.fd);
	EXPECT_EQ(EPOLLIN, ev.events);
	EXPECT_EQ(0, tenv_reap(pid));

	/* Full: no EPOLLOUT; a receive makes it writable again. */
	ev.events = EPOLLOUT;
	ev.data.fd = tx;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_MOD, tx, &ev));
	ev.events = 0;
	ev.data.fd = rx;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_MOD, rx, &ev));
	ASSERT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	ASSERT_EQ(1, read(rx, buf, sizeof(buf)));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 10000));
	EXPECT_EQ(tx, ev.data.fd);

	/* The last sender closes: EPOLLHUP for the receiver. */
	ev.events = EPOLLIN;
	ev.data.fd = rx;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_MOD, rx, &ev));
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_DEL, tx, NULL));
	ASSERT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	close(tx);
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 10000));
	EXPECT_EQ(rx, ev.data.fd);
	EXPECT_EQ(EPOLLHUP, ev.events);
	close(rx);

	/* The last receiver closes: EPOLLERR for the sender. */
	rx = kq_create_full(self->dev, 8, 1, 0, KIPC_ROLE_CONSUMER, 0, name, 0600);
	ASSERT_LE(0, rx);
	tx = kq_open(self->dev, name, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, kq_unlink(self->dev, name));
	ASSERT_EQ(0, kq_send(tx, "f", 1, 0, 0, 0));
	ev.events = EPOLLOUT;
	ev.data.fd = tx;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, tx, &ev));
	ASSERT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	close(rx);
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 10000));
	EXPECT_EQ(tx, ev.data.fd);
	EXPECT_TRUE(ev.events & EPOLLERR);
	close(tx);
	close(ep);
}

TEST_F(queue, vectors)
{
	struct kipc_queue_msg v[100];
	char data[100][16], out[100][16];
	int fd, i;

	fd = kq_create(self->dev, 16, 64);
	ASSERT_LE(0, fd);
	memset(v, 0, sizeof(v));
	for (i = 0; i < 100; i++) {
		snprintf(data[i], sizeof(data[i]), "v%d", i);
		v[i].buf = (uintptr_t)data[i];
		v[i].len = strlen(data[i]) + 1;
		v[i].prio = 3;
	}
	/* Room for 64: a non-blocking SENDV of 100 sends 64. */
	EXPECT_EQ(64, kq_sendv(fd, v, 100, KIPC_WAIT_NONBLOCK, 0));
	EXPECT_EQ(64, depth(fd));
	EXPECT_EQ(-EAGAIN, kq_sendv(fd, v + 64, 36, KIPC_WAIT_NONBLOCK, 0));
	/* RECVV takes what is there, up to count, without waiting again. */
	memset(v, 0, sizeof(v));
	for (i = 0; i < 100; i++) {
		v[i].buf = (uintptr_t)out[i];
		v[i].len = sizeof(out[i]);
		v[i].pid = -1;
		v[i].uid = 7;
	}
	EXPECT_EQ(10, kq_recvv(fd, v, 10, 0, 0));
	EXPECT_EQ(54, kq_recvv(fd, v + 10, 90, 0, 0));
	for (i = 0; i < 64; i++) {
		char want[16];

		snprintf(want, sizeof(want), "v%d", i);
		EXPECT_STREQ(want, out[i]);
		EXPECT_EQ(strlen(want) + 1, v[i].len);
		EXPECT_EQ(3, v[i].prio);
		EXPECT_EQ(getpid(), v[i].pid);
		EXPECT_EQ(geteuid(), v[i].uid);
	}
	EXPECT_EQ(-EAGAIN, kq_recvv(fd, v, 10, KIPC_WAIT_NONBLOCK, 0));
	EXPECT_EQ(-ETIMEDOUT, kq_recvv(fd, v, 10, 0, kq_now(CLOCK_MONOTONIC) + MS));
	close(fd);
}

TEST_F(queue, named_open_unlink_list)
{
	const char *name = "kq-test-named";
	struct kipc_obj_entry e[64];
	struct kipc_list ls;
	int fd, fd2, i, found = 0;

	fd = kq_create_full(self->dev, 32, 4, 0, RW, 0, name, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EEXIST, kq_create_full(self->dev, 32, 4, 0, RW, 0, name, 0600));
	fd2 = kq_open(self->dev, name, KIPC_ROLE_CONSUMER, 0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, kq_send(fd, "hi", 2, 0, 0, 0));
	EXPECT_EQ(2, read(fd2, (char[8]){ 0 }, 8));
	ASSERT_EQ(0, kq_send(fd, "again", 5, 0, 0, 0));

	memset(&ls, 0, sizeof(ls));
	ls.entries = (uintptr_t)e;
	ls.nr_entries = 64;
	ASSERT_EQ(0, ioctl(self->dev, KIPC_IOC_LIST, &ls));
	for (i = 0; i < (int)ls.nr_entries; i++) {
		if (strcmp(e[i].obj.name, name))
			continue;
		found++;
		EXPECT_EQ(KIPC_OBJ_QUEUE, e[i].obj.type);
		EXPECT_EQ(1, e[i].obj.nr_producers);
		EXPECT_EQ(2, e[i].obj.nr_consumers);
		EXPECT_EQ(1, e[i].count);
		EXPECT_EQ(5, e[i].used);
		EXPECT_EQ(128, e[i].size);
	}
	EXPECT_EQ(1, found);
	ASSERT_EQ(0, kq_unlink(self->dev, name));
	EXPECT_EQ(-ENOENT, kq_unlink(self->dev, name));
	EXPECT_EQ(-ENOENT, kq_open(self->dev, name, KIPC_ROLE_CONSUMER, 0));
	/* Unlinked, still usable through the fds. */
	EXPECT_EQ(5, read(fd2, (char[8]){ 0 }, 8));
	close(fd2);
	close(fd);
}

/* Run @fn in a child with the given ids; returns its exit status. */
static int as_user(uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
		   int (*fn)(int dev, const char *name), int dev, const char *name)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(ngroups, groups) || setgid(gid) || setuid(uid))
			_exit(100);
		_exit(fn(dev, name));
	}
	return tenv_reap(pid);
}

static int try_open_rx(int dev, const char *name)
{
	int fd = kq_open(dev, name, KIPC_ROLE_CONSUMER, 0);

	return fd >= 0 ? 0 : -fd;
}

static int try_open_tx(int dev, const char *name)
{
	int fd = kq_open(dev, name, KIPC_ROLE_PRODUCER, 0);

	if (fd < 0)
		return -fd;
	return kq_send(fd, "g", 1, 0, 0, 0) ? 50 : 0;
}

static int try_unlink(int dev, const char *name)
{
	return -kq_unlink(dev, name);
}

TEST_F(queue, permissions)
{
	const char *name = "kq-test-perm";
	gid_t share = 2000;
	int fd;

	/* 0600, owned by root: uid 1001 may not open it either way. */
	fd = kq_create_full(self->dev, 8, 4, 0, RW, 0, name, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(EACCES, as_user(1001, 1001, 0, NULL, try_open_rx, self->dev, name));
	EXPECT_EQ(EACCES, as_user(1001, 1001, 0, NULL, try_open_tx, self->dev, name));
	EXPECT_EQ(EPERM, as_user(1001, 1001, 0, NULL, try_unlink, self->dev, name));
	ASSERT_EQ(0, kq_unlink(self->dev, name));
	close(fd);

	/* Group kipcshare, 0620: members may send, not receive; others neither. */
	ASSERT_EQ(0, setegid(share));
	fd = kq_create_full(self->dev, 8, 4, 0, RW, 0, name, 0620);
	ASSERT_EQ(0, setegid(0));
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, as_user(1002, 1002, 1, &share, try_open_tx, self->dev, name));
	EXPECT_EQ(EACCES, as_user(1002, 1002, 1, &share, try_open_rx, self->dev, name));
	EXPECT_EQ(EACCES, as_user(1002, 1002, 0, NULL, try_open_tx, self->dev, name));
	EXPECT_EQ(1, depth(fd));
	ASSERT_EQ(0, kq_unlink(self->dev, name));
	close(fd);
}

TEST_F(queue, bad_create)
{
	struct kipc_queue_create qc;
	uint32_t maxmsg = self->info.max_msg_size;
	int i;

#define BAD(err, ...) do {						\
		memset(&qc, 0, sizeof(qc));				\
		qc.obj.role = RW;						\
		qc.max_msg_size = 64;					\
		qc.max_msgs = 4;					\
		qc.obj.mode = 0600;						\
		__VA_ARGS__;						\
		errno = 0;						\
		EXPECT_EQ(-1, ioctl(self->dev, KIPC_IOC_QUEUE_CREATE, &qc)); \
		EXPECT_EQ(err, errno);					\
	} while (0)

	BAD(EINVAL, qc.max_msg_size = 0);
	BAD(E2BIG, qc.max_msg_size = maxmsg + 1);
	BAD(E2BIG, qc.max_msg_size = UINT32_MAX);
	BAD(EINVAL, qc.max_msgs = 0);
	BAD(E2BIG, qc.max_msgs = UINT32_MAX);
	BAD(EINVAL, qc.max_msgs = 0; qc.max_bytes = 63);
	BAD(E2BIG, qc.max_bytes = UINT64_MAX);
	BAD(EINVAL, qc.flags = 1);
	BAD(EINVAL, qc.flags = 1U << 31);
	BAD(EINVAL, qc.obj.role = 0);
	BAD(EINVAL, qc.obj.role = 4);
	BAD(EINVAL, qc.obj.fd_flags = 2);
	BAD(EINVAL, qc.obj.mode = 01000);
	BAD(EINVAL, qc.reserved0 = 1);
	BAD(EINVAL, qc.obj.fd = 3);
	for (i = 0; i < 4; i++)
		BAD(EINVAL, qc.reserved[i] = 1);
	BAD(EFAULT, qc.obj.name = 8);
	BAD(EINVAL, qc.obj.name = (uintptr_t)"bad/name");
	BAD(EINVAL, qc.obj.name = (uintptr_t)"");
	BAD(EINVAL, qc.obj.name = (uintptr_t)".hidden");
#undef BAD
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->dev, KIPC_IOC_QUEUE_CREATE, NULL));
	EXPECT_EQ(EFAULT, errno);

	/* Bytes only is fine: max_msgs then defaults to the module's. */
	i = kq_create_full(self->dev, 64, 0, 640, RW, 0, NULL, 0600);
	ASSERT_LE(0, i);
	EXPECT_EQ(640, kq_info(i, "max-bytes"));
	close(i);
}

TEST_F(queue, bad_xfer)
{
	struct kipc_queue_xfer x;
	struct kipc_queue_msg v[4];
	char buf[64] = "payload";
	int fd, i;

	fd = kq_create(self->dev, 64, 4);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kq_send(fd, buf, 8, 0, 0, 0));

#define XBAD(cmd, err, ...) do {					\
		memset(&x, 0, sizeof(x));				\
		x.msg.buf = (uintptr_t)buf;				\
		x.msg.len = 8;						\
		__VA_ARGS__;						\
		errno = 0;						\
		EXPECT_EQ(-1, ioctl(fd, cmd, &x));			\
		EXPECT_EQ(err, errno);					\
		EXPECT_EQ(1, depth(fd));				\
	} while (0)

	XBAD(KIPC_QUEUE_IOC_SEND, EINVAL, x.msg.len = 0);
	XBAD(KIPC_QUEUE_IOC_SEND, EMSGSIZE, x.msg.len = 65);
	XBAD(KIPC_QUEUE_IOC_SEND, EMSGSIZE, x.msg.len = UINT32_MAX);
	XBAD(KIPC_QUEUE_IOC_SEND, EINVAL, x.msg.prio = KIPC_QUEUE_PRIO_MAX + 1);
	XBAD(KIPC_QUEUE_IOC_SEND, EINVAL, x.msg.prio = UINT32_MAX);
	XBAD(KIPC_QUEUE_IOC_SEND, EINVAL, x.msg.pid = 1);	/* no forging */
	XBAD(KIPC_QUEUE_IOC_SEND, EINVAL, x.msg.uid = 1);
	XBAD(KIPC_QUEUE_IOC_SEND, EINVAL, x.msg.gid = 1);
	XBAD(KIPC_QUEUE_IOC_SEND, EINVAL, x.msg.reserved = 1);
	XBAD(KIPC_QUEUE_IOC_SEND, EINVAL, x.flags = KIPC_RECV_PEEK);
	XBAD(KIPC_QUEUE_IOC_SEND, EINVAL, x.flags = 1U << 31);
	XBAD(KIPC_QUEUE_IOC_SEND, EINVAL, x.reserved0 = 1);
	XBAD(KIPC_QUEUE_IOC_SEND, EINVAL, x.reserved[1] = 1);
	XBAD(KIPC_QUEUE_IOC_SEND, EFAULT, x.msg.buf = 0);
	XBAD(KIPC_QUEUE_IOC_SEND, EFAULT, x.msg.buf = 0xffffffff81000000ULL);
	XBAD(KIPC_QUEUE_IOC_RECV, EINVAL, x.flags = 8);
	XBAD(KIPC_QUEUE_IOC_RECV, EINVAL, x.reserved[0] = 1);
	XBAD(KIPC_QUEUE_IOC_RECV, EINVAL, x.msg.reserved = 1);
	XBAD(KIPC_QUEUE_IOC_RECV, EFAULT, x.msg.buf = 0);
	XBAD(KIPC_QUEUE_IOC_RECV, EFAULT, x.msg.buf = 0xffffffff81000000ULL);
	XBAD(KIPC_QUEUE_IOC_RECV, EFAULT, x.msg.buf = 0; x.flags = KIPC_RECV_PEEK);
	XBAD(KIPC_QUEUE_IOC_RECV, EMSGSIZE, x.msg.len = 0);
#undef XBAD
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, KIPC_QUEUE_IOC_SEND, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, KIPC_QUEUE_IOC_RECV, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, _IOWR(KIPC_IOC_MAGIC, 0x2f, struct kipc_queue_xfer), &x));
	EXPECT_EQ(ENOTTY, errno);
	/* Too short a struct: another command. */
	EXPECT_EQ(-1, ioctl(fd, _IOC(_IOC_WRITE, KIPC_IOC_MAGIC,
				     _IOC_NR(KIPC_QUEUE_IOC_SEND), 16), &x));
	EXPECT_EQ(ENOTTY, errno);

	/* Vectors: count 0 or too big, bad entries refused as a whole. */
	memset(v, 0, sizeof(v));
	for (i = 0; i < 4; i++) {
		v[i].buf = (uintptr_t)buf;
		v[i].len = 8;
	}
	EXPECT_EQ(-EINVAL, kq_sendv(fd, v, 0, 0, 0));
	EXPECT_EQ(-EINVAL, kq_sendv(fd, v, KIPC_QUEUE_VEC_MAX + 1, 0, 0));
	EXPECT_EQ(-EINVAL, kq_sendv(fd, v, UINT32_MAX, 0, 0));
	EXPECT_EQ(-EINVAL, kq_recvv(fd, v, 0, 0, 0));
	EXPECT_EQ(-EINVAL, kq_recvv(fd, v, KIPC_QUEUE_VEC_MAX + 1, 0, 0));
	EXPECT_EQ(-EINVAL, kq_recvv(fd, v, 1, KIPC_RECV_PEEK, 0));
	EXPECT_EQ(-EINVAL, kq_sendv(fd, v, 1, 16, 0));
	EXPECT_EQ(-EFAULT, kq_sendv(fd, NULL, 2, 0, 0));
	EXPECT_EQ(-EFAULT, kq_recvv(fd, NULL, 2, 0, 0));
	v[2].prio = 99;
	EXPECT_EQ(-EINVAL, kq_sendv(fd, v, 3, KIPC_WAIT_NONBLOCK, 0));
	v[2].prio = 0;
	v[2].len = 1000;
	EXPECT_EQ(-EMSGSIZE, kq_sendv(fd, v, 3, KIPC_WAIT_NONBLOCK, 0));
	v[2].len = 8;
	v[3].reserved = 1;
	EXPECT_EQ(-EINVAL, kq_recvv(fd, v, 4, KIPC_WAIT_NONBLOCK, 0));
	EXPECT_EQ(1, depth(fd));
	close(fd);
}

TEST_F(queue, efault_leaves_queue_unchanged)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct kipc_queue_msg v[3];
	char *map, buf[64];
	int fd, i;

	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + pg, pg));
	fd = kq_create(self->dev, 64, 8);
	ASSERT_LE(0, fd);

	/* Send: a payload straddling into unmapped memory. */
	EXPECT_EQ(-EFAULT, kq_send(fd, map + pg - 10, 20, 0, 0, 0));
	EXPECT_EQ(-EFAULT, kq_send(fd, NULL, 20, 0, 0, 0));
	EXPECT_EQ(0, depth(fd));
	EXPECT_EQ(0, kq_info(fd, "bytes"));

	for (i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "m%d", i);
		ASSERT_EQ(0, kq_send(fd, buf, 3, 0, 0, 0));
	}
	/* Receive into bad buffers: the message stays, in its place. */
	EXPECT_EQ(-EFAULT, kq_recv(fd, NULL, 64, 0, 0, NULL));
	EXPECT_EQ(-EFAULT, kq_recv(fd, map + pg - 1, 3, 0, 0, NULL));
	EXPECT_EQ(-1, read(fd, map + pg, 64));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(3, depth(fd));
	EXPECT_EQ(9, kq_info(fd, "bytes"));
	EXPECT_EQ(0, kq_info(fd, "inflight"));

	/* A descriptor that cannot be written back: -EFAULT, nothing taken. */
	ASSERT_EQ(0, mprotect(map, pg, PROT_READ));
	{
		struct kipc_queue_xfer *x = (void *)(map + 256);
		struct kipc_queue_xfer tmp;

		memset(&tmp, 0, sizeof(tmp));
		tmp.msg.buf = (uintptr_t)buf;
		tmp.msg.len = sizeof(buf);
		ASSERT_EQ(0, mprotect(map, pg, PROT_READ | PROT_WRITE));
		memcpy(x, &tmp, sizeof(tmp));
		ASSERT_EQ(0, mprotect(map, pg, PROT_READ));
		errno = 0;
		EXPECT_EQ(-1, ioctl(fd, KIPC_QUEUE_IOC_RECV, x));
		EXPECT_EQ(EFAULT, errno);
		EXPECT_EQ(3, depth(fd));
	}

	/* Vector: a fault mid-vector returns the count done so far. */
	memset(v, 0, sizeof(v));
	v[0].buf = (uintptr_t)buf;
	v[0].len = sizeof(buf);
	v[1].buf = (uintptr_t)(map + pg);
	v[1].len = 64;
	v[2].buf = (uintptr_t)buf;
	v[2].len = sizeof(buf);
	EXPECT_EQ(1, kq_recvv(fd, v, 3, 0, 0));
	EXPECT_STREQ("m0", buf);
	EXPECT_EQ(2, depth(fd));
	ASSERT_EQ(3, kq_recv(fd, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_STREQ("m1", buf);

	memset(v, 0, sizeof(v));
	v[0].buf = (uintptr_t)"s0";
	v[0].len = 3;
	v[1].buf = (uintptr_t)(map + pg);
	v[1].len = 3;
	v[2].buf = (uintptr_t)"s2";
	v[2].len = 3;
	EXPECT_EQ(1, kq_sendv(fd, v, 3, 0, 0));
	EXPECT_EQ(2, depth(fd));
	v[0].buf = 0;
	EXPECT_EQ(-EFAULT, kq_sendv(fd, v, 3, 0, 0));
	EXPECT_EQ(2, depth(fd));
	munmap(map, pg);
	close(fd);
}

/* ---------------------------------------------------------------------- */
/* Stress: 4 senders, 4 receivers, 1,000,000 messages                      */
/* ---------------------------------------------------------------------- */

#define ST_SENDERS	4
#define ST_RECEIVERS	4
#define ST_NOMINAL	(1000000 / ST_SENDERS)	/* messages per sender */
#define ST_PER_SENDER	((int)kipc_test_volume(ST_NOMINAL))
#define ST_TOTAL	(ST_PER_SENDER * ST_SENDERS)
#define ST_PRIOS	4
#define ST_MIN		24
#define ST_MAX		512
#define ST_BATCH	64

struct st_hdr {
	uint32_t sender;
	uint32_t prio;
	uint32_t seq;		/* per sender and priority */
	uint32_t idx;		/* per sender */
	uint32_t len;
	uint32_t sum;
};

static uint32_t xorshift(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* Word-wise (cheap under emulation); lengths are multiples of 4. */
static uint32_t st_sum(const unsigned char *p, uint32_t len)
{
	const uint32_t *w = (const uint32_t *)p;
	uint32_t h = 2166136261u, i;

	for (i = 0; i < len / 4; i++)
		h = (h ^ w[i]) * 16777619u;
	return h;
}

static void st_fill(unsigned char *msg, uint32_t sender, uint32_t idx,
		    uint32_t prio, uint32_t seq, uint32_t len)
{
	struct st_hdr *h = (struct st_hdr *)msg;
	uint32_t s = (sender + 1) * 2654435761u ^ idx;
	uint32_t *w = (uint32_t *)msg, i;

	h->sender = sender;
	h->prio = prio;
	h->seq = seq;
	h->idx = idx;
	h->len = len;
	for (i = sizeof(*h) / 4; i < len / 4; i++)
		w[i] = s = s * 1103515245u + 12345u;
	h->sum = 0;
	h->sum = st_sum(msg, len);
}

static int st_sender(int dev, const char *name, int id, int go)
{
	static unsigned char bufs[ST_BATCH][ST_MAX] __attribute__((aligned(8)));
	struct kipc_queue_msg v[ST_BATCH];
	uint32_t seq[ST_PRIOS] = { 0 }, rnd = 0x1234567 + id;
	int fd, idx = 0;
	char c;

	fd = kq_open(dev, name, KIPC_ROLE_PRODUCER, 0);
	if (fd < 0)
		return 10;
	if (read(go, &c, 1) != 1)
		return 11;
	while (idx < ST_PER_SENDER) {
		int n = ST_PER_SENDER - idx < ST_BATCH ? ST_PER_SENDER - idx : ST_BATCH;
		int i, done = 0;

		memset(v, 0, sizeof(v));
		for (i = 0; i < n; i++) {
			uint32_t r = xorshift(&rnd);
			uint32_t len = (ST_MIN + r % (ST_MAX - ST_MIN + 1)) & ~3u;
			uint32_t prio = (r >> 16) % ST_PRIOS;

			st_fill(bufs[i], id, idx + i, prio, seq[prio]++, len);
			v[i].buf = (uintptr_t)bufs[i];
			v[i].len = len;
			v[i].prio = prio;
		}
		while (done < n) {
			int ret = kq_sendv(fd, v + done, n - done, 0, 0);

			if (ret <= 0)
				return 12;
			done += ret;
		}
		idx += n;
	}
	close(fd);
	return 0;
}

struct st_shared {
	uint8_t seen[ST_SENDERS][ST_NOMINAL];
	uint32_t errors;
	uint32_t received;
};

static int st_receiver(int dev, const char *name, struct st_shared *sh, int go)
{
	static unsigned char bufs[ST_BATCH][ST_MAX] __attribute__((aligned(8)));
	struct kipc_queue_msg v[ST_BATCH];
	int64_t last[ST_SENDERS][ST_PRIOS];
	int fd, i, ret;
	char c;

	memset(last, 0xff, sizeof(last));
	fd = kq_open(dev, name, KIPC_ROLE_CONSUMER, 0);
	if (fd < 0)
		return 20;
	if (read(go, &c, 1) != 1)
		return 21;
	for (;;) {
		memset(v, 0, sizeof(v));
		for (i = 0; i < ST_BATCH; i++) {
			v[i].buf = (uintptr_t)bufs[i];
			v[i].len = ST_MAX;
		}
		ret = kq_recvv(fd, v, ST_BATCH, 0, 0);
		if (ret == 0)
			break;
		if (ret < 0)
			return 22;
		for (i = 0; i < ret; i++) {
			struct st_hdr *h = (struct st_hdr *)bufs[i];
			uint32_t sum = h->sum;

			h->sum = 0;
			if (v[i].len < sizeof(*h) || v[i].len != h->len ||
			    h->sender >= ST_SENDERS || h->idx >= (uint32_t)ST_PER_SENDER ||
			    h->prio != v[i].prio || h->prio >= ST_PRIOS ||
			    st_sum(bufs[i], v[i].len) != sum || v[i].uid != 0) {
				__atomic_fetch_add(&sh->errors, 1, __ATOMIC_RELAXED);
				continue;
			}
			/* Per sender and priority, in order. */
			if ((int64_t)h->seq <= last[h->sender][h->prio])
				__atomic_fetch_add(&sh->errors, 1, __ATOMIC_RELAXED);
			last[h->sender][h->prio] = h->seq;
			__atomic_fetch_add(&sh->seen[h->sender][h->idx], 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&sh->received, 1, __ATOMIC_RELAXED);
		}
	}
	close(fd);
	return 0;
}

TEST_F_TIMEOUT(queue, stress_4x4_million, 900)
{
	const char *name = "kq-test-stress";
	pid_t pids[ST_SENDERS + ST_RECEIVERS];
	struct st_shared *sh;
	int go[2], fd, i, s, missing = 0, dup = 0;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	fd = kq_create_full(self->dev, ST_MAX, 256, 0, KIPC_ROLE_CONSUMER, 0, name, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(go));
	for (i = 0; i < ST_SENDERS + ST_RECEIVERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			close(go[1]);
			close(fd);
			if (i < ST_SENDERS)
				_exit(st_sender(self->dev, name, i, go[0]));
			_exit(st_receiver(self->dev, name, sh, go[0]));
		}
	}
	close(go[0]);
	/* Everybody opens first, so end-of-stream cannot come early. */
	while (kq_info(fd, "producers") < ST_SENDERS ||
	       kq_info(fd, "consumers") < ST_RECEIVERS + 1)
		usleep(10000);
	ASSERT_EQ(0, kq_unlink(self->dev, name));
	close(fd);
	for (i = 0; i < ST_SENDERS + ST_RECEIVERS; i++)
		ASSERT_EQ(1, write(go[1], "g", 1));
	close(go[1]);
	for (i = 0; i < ST_SENDERS + ST_RECEIVERS; i++)
		EXPECT_EQ(0, tenv_reap(pids[i]));

	for (s = 0; s < ST_SENDERS; s++) {
		for (i = 0; i < ST_PER_SENDER; i++) {
			missing += sh->seen[s][i] == 0;
			dup += sh->seen[s][i] > 1;
		}
	}
	EXPECT_EQ(0, sh->errors);
	EXPECT_EQ(0, missing);
	EXPECT_EQ(0, dup);
	EXPECT_EQ(ST_TOTAL, sh->received);
	munmap(sh, sizeof(*sh));
}

/* ---------------------------------------------------------------------- */
/* kill -9 mid-stream                                                      */
/* ---------------------------------------------------------------------- */

#define KL_SENDERS	2
#define KL_RECEIVERS	3
#define KL_PER_SENDER	20000

struct kl_shared {
	uint32_t acked[KL_SENDERS];	/* messages whose SEND returned 0 */
	uint8_t seen[KL_SENDERS][KL_PER_SENDER];
	uint32_t received;
	uint32_t errors;
};

static int kl_sender(int dev, const char *name, int id, struct kl_shared *sh)
{
	uint32_t msg[2];
	int fd, i;

	fd = kq_open(dev, name, KIPC_ROLE_PRODUCER, 0);
	if (fd < 0)
		return 10;
	for (i = 0; i < KL_PER_SENDER; i++) {
		msg[0] = id;
		msg[1] = i;
		if (kq_send(fd, msg, sizeof(msg), 0, 0, 0))
			return 11;
		__atomic_store_n(&sh->acked[id], i + 1, __ATOMIC_RELEASE);
	}
	return 0;
}

static int kl_receiver(int dev, const char *name, struct kl_shared *sh)
{
	uint32_t msg[2];
	int fd, ret;

	fd = kq_open(dev, name, KIPC_ROLE_CONSUMER, 0);
	if (fd < 0)
		return 20;
	for (;;) {
		ret = kq_recv(fd, msg, sizeof(msg), 0, 0, NULL);
		if (ret == 0)
			return 0;
		if (ret != sizeof(msg) || msg[0] >= KL_SENDERS || msg[1] >= KL_PER_SENDER) {
			__atomic_fetch_add(&sh->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		__atomic_fetch_add(&sh->seen[msg[0]][msg[1]], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&sh->received, 1, __ATOMIC_RELAXED);
	}
}

TEST_F_TIMEOUT(queue, kill9_mid_stream, 300)
{
	const char *name = "kq-test-kill";
	pid_t snd[KL_SENDERS], rcv[KL_RECEIVERS];
	uint32_t acked0, lost = 0, dup = 0, extra = 0;
	struct kl_shared *sh;
	int fd, i, s;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	fd = kq_create_full(self->dev, 8, 64, 0, KIPC_ROLE_CONSUMER, 0, name, 0600);
	ASSERT_LE(0, fd);
	/*
	 * Senders first: a receiver of a queue without a sender sees
	 * end-of-stream at once, as a FIFO reader does.  Children close the
	 * creator's fd: only their own files count.
	 */
	for (i = 0; i < KL_SENDERS; i++) {
		snd[i] = fork();
		ASSERT_LE(0, snd[i]);
		if (snd[i] == 0) {
			close(fd);
			_exit(kl_sender(self->dev, name, i, sh));
		}
	}
	while (kq_info(fd, "producers") < KL_SENDERS)
		usleep(1000);
	for (i = 0; i < KL_RECEIVERS; i++) {
		rcv[i] = fork();
		ASSERT_LE(0, rcv[i]);
		if (rcv[i] == 0) {
			close(fd);
			_exit(kl_receiver(self->dev, name, sh));
		}
	}
	while (kq_info(fd, "consumers") < KL_RECEIVERS + 1)
		usleep(1000);
	ASSERT_EQ(0, kq_unlink(self->dev, name));
	close(fd);

	/* Mid-stream: kill sender 0 and receiver 0. */
	while (__atomic_load_n(&sh->received, __ATOMIC_ACQUIRE) < KL_PER_SENDER / 4)
		usleep(1000);
	kill(snd[0], SIGKILL);
	kill(rcv[0], SIGKILL);
	EXPECT_EQ(128 + SIGKILL, tenv_reap(snd[0]));
	EXPECT_EQ(128 + SIGKILL, tenv_reap(rcv[0]));
	acked0 = __atomic_load_n(&sh->acked[0], __ATOMIC_ACQUIRE);
	TH_LOG("killed sender 0 and receiver 0 after %u messages", sh->received);
	EXPECT_EQ(0, tenv_reap(snd[1]));
	TH_LOG("sender 1 done, %u received", sh->received);	/* finishes; its close ends the stream */
	for (i = 1; i < KL_RECEIVERS; i++)
		EXPECT_EQ(0, tenv_reap(rcv[i]));	/* both see end-of-stream */

	for (s = 0; s < KL_SENDERS; s++) {
		uint32_t acked = s ? KL_PER_SENDER : acked0;

		for (i = 0; i < KL_PER_SENDER; i++) {
			if (i < (int)acked && !sh->seen[s][i])
				lost++;
			if (i >= (int)acked && sh->seen[s][i])
				extra++;
			dup += sh->seen[s][i] > 1;
		}
	}
	EXPECT_EQ(0, sh->errors);
	EXPECT_EQ(0, dup);
	/*
	 * The killed receiver may have received one message and died before
	 * it could record it (SIGKILL can land between the system call's
	 * return and the next instruction); the kernel itself keeps
	 * everything else: a dying task takes nothing.
	 */
	EXPECT_GE(1, lost);
	/* The killed sender may have had one message sent but not acked. */
	EXPECT_GE(1, extra);
	TH_LOG("sender 0 acked %u, lost %u, unacked delivered %u", acked0, lost, extra);

	TH_LOG("receivers saw end-of-stream");
	/* All receivers killed: a blocked sender gets -EPIPE, no SIGPIPE. */
	fd = kq_create_full(self->dev, 8, 1, 0, KIPC_ROLE_CONSUMER, 0, name, 0600);
	ASSERT_LE(0, fd);
	for (i = 0; i < 2; i++) {
		rcv[i] = fork();
		ASSERT_LE(0, rcv[i]);
		if (rcv[i] == 0) {
			int r;

			close(fd);
			r = kq_open(self->dev, name, KIPC_ROLE_CONSUMER, 0);

			pause();
			_exit(r);
		}
	}
	while (kq_info(fd, "consumers") < 3)
		usleep(1000);
	snd[0] = fork();
	ASSERT_LE(0, snd[0]);
	if (snd[0] == 0) {
		int t;

		close(fd);
		t = kq_open(self->dev, name, KIPC_ROLE_PRODUCER, 0);
		if (t < 0 || kq_send(t, "a", 1, 0, 0, 0))
			_exit(2);
		/* Full now: blocks until the receivers are gone. */
		_exit(kq_send(t, "b", 1, 0, 0, 0) == -EPIPE ? 0 : 3);
	}
	while (kq_info(fd, "write-waiters") < 1)
		usleep(1000);
	ASSERT_EQ(0, kq_unlink(self->dev, name));
	while (kq_info(fd, "write-waiters") < 1)
		usleep(1000);
	close(fd);
	TH_LOG("sender blocked; killing the receivers");
	kill(rcv[0], SIGKILL);
	kill(rcv[1], SIGKILL);
	EXPECT_EQ(128 + SIGKILL, tenv_reap(rcv[0]));
	EXPECT_EQ(128 + SIGKILL, tenv_reap(rcv[1]));
	EXPECT_EQ(0, tenv_reap(snd[0]));
	munmap(sh, sizeof(*sh));
}

KIPC_TEST_HARNESS_MAIN
