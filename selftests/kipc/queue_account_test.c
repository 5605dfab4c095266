// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc queues: what a queue's user is charged for.  The per-user byte
 * limit comes back whole whatever way a send fails, and kernel memory a
 * send or receive needs is charged to the caller's memory cgroup, where
 * going over the limit is -ENOMEM.  These tests change module parameters
 * and cgroups, so they need root and run alone.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "kselftest_harness.h"
#include "kipc_test.h"
#include "kipc_queue_util.h"
#include "tenv.h"

#define RW	(KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER)

FIXTURE(account) {
	int dev;
	long long max_user_bytes;	/* to restore; < 0: untouched */
	long long max_msg_size;
	char cg[128];			/* memory cgroup to remove, or "" */
};

FIXTURE_SETUP(account)
{
	self->max_user_bytes = -1;
	self->max_msg_size = -1;
	self->cg[0] = 0;
	KIPC_TEST_OPEN_DEV(self->dev, KIPC_FEAT_QUEUE);
}

FIXTURE_TEARDOWN(account)
{
	if (self->max_user_bytes >= 0)
		tenv_param_set("max_user_bytes", self->max_user_bytes);
	if (self->max_msg_size >= 0)
		tenv_param_set("max_msg_size", self->max_msg_size);
	if (self->cg[0])
		tenv_memcg_remove(self->cg);
	if (self->dev >= 0)
		close(self->dev);
}

/*
 * Set module parameter @name to @val, keeping the old value in *@saved
 * for the teardown.  0, or -EOPNOTSUPP when it cannot be changed here.
 */
static int set_param(long long *saved, const char *name,
		     unsigned long long val)
{
	long long old = tenv_param_get(name);
	int ret;

	if (geteuid() != 0 || old < 0)
		return -EOPNOTSUPP;
	ret = tenv_param_set(name, val);
	if (!ret && *saved < 0)
		*saved = old;
	return ret;
}

/*
 * Wait until a sender blocks on @q.  Return: 0, or 1 + the exit status
 * of the sender @pid when it ended first.
 */
static int wait_sender_blocked(int q, pid_t pid)
{
	int st;

	while (kq_info(q, "write-waiters") < 1) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return 1 + (WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		usleep(1000);
	}
	return 0;
}

/*
 * A SENDV of small messages is one allocation (a block) whose charge is
 * given back when its last charged message goes.  Here the block's last
 * message fails after its siblings were received: it waits for room that
 * the low-priority filler keeps taken, and its sender is killed.  Its
 * failure must give back the whole block's charge, or the loop eats the
 * per-user limit and the owner's next send fails with -ENOSPC.
 */
#define BLK_SIBLINGS	31	/* + 1 big last message: one block of 32 */
#define BLK_SIB_LEN	8
#define BLK_LAST_LEN	256	/* the queue's max_msg_size and max_bytes */
#define BLK_LOOPS	64	/* each would leak ~1.7 KiB: 100 KiB in all */
#define BLK_USER_LIMIT	(64 << 10)

TEST_F_TIMEOUT(account, failed_sendv_block_gives_its_charge_back, 300)
{
	static char sib[BLK_SIBLINGS][BLK_SIB_LEN], last[BLK_LAST_LEN], buf[BLK_LAST_LEN];
	struct kipc_queue_msg got;
	int q, i, j, ret;
	pid_t pid;

	ret = set_param(&self->max_user_bytes, "max_user_bytes", BLK_USER_LIMIT);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "needs root and the max_user_bytes parameter");
	ASSERT_EQ(0, ret);
	q = kq_create_full(self->dev, BLK_LAST_LEN, 0, BLK_LAST_LEN, RW, 0, NULL, 0600);
	ASSERT_LE(0, q);

	for (i = 0; i < BLK_LOOPS; i++) {
		/* The filler: 1 byte at priority 0, so 256 more never fit. */
		ret = kq_send(q, "f", 1, 0, KIPC_WAIT_NONBLOCK, 0);
		if (ret) {
			TH_LOG("round %d: filler send: %s", i, strerror(-ret));
			break;
		}
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct kipc_queue_msg v[BLK_SIBLINGS + 1];

			memset(v, 0, sizeof(v));
			for (j = 0; j <= BLK_SIBLINGS; j++) {
				v[j].buf = (uintptr_t)(j < BLK_SIBLINGS ? sib[j] : last);
				v[j].len = j < BLK_SIBLINGS ? BLK_SIB_LEN : BLK_LAST_LEN;
				v[j].prio = 1;
			}
			/* Blocks on the last message until killed. */
			ret = kq_sendv(q, v, BLK_SIBLINGS + 1, 0, 0);
			/* Not blocked: how many went, or 100 + errno. */
			_exit(ret < 0 ? 100 - ret : ret);
		}
		ret = wait_sender_blocked(q, pid);
		if (ret) {
			TH_LOG("round %d: SENDV returned without blocking (exit %d)",
			       i, ret - 1);
			break;
		}
		for (j = 0; j < BLK_SIBLINGS; j++) {
			ASSERT_EQ(BLK_SIB_LEN, kq_recv(q, buf, sizeof(buf),
						       KIPC_WAIT_NONBLOCK, 0, &got));
			ASSERT_EQ(1, got.prio);
		}
		/* The siblings are received; the last one still waits. */
		ASSERT_EQ(1, kq_info(q, "write-waiters"));
		kill(pid, SIGKILL);
		ASSERT_EQ(128 + SIGKILL, tenv_reap(pid));
		ASSERT_EQ(1, kq_recv(q, buf, sizeof(buf), KIPC_WAIT_NONBLOCK, 0, &got));
		ASSERT_EQ(0, kq_info(q, "msgs"));
		ASSERT_EQ(0, kq_info(q, "inflight"));
	}
	EXPECT_EQ(BLK_LOOPS, i);
	while (kq_recv(q, buf, sizeof(buf), KIPC_WAIT_NONBLOCK, 0, NULL) > 0)
		;
	/* Empty again, so the owner has all of its limit but the queue. */
	EXPECT_EQ(0, kq_send(q, last, BLK_LAST_LEN, 0, KIPC_WAIT_NONBLOCK, 0));
	ret = kq_create(self->dev, 8, 1);
	EXPECT_LE(0, ret) TH_LOG("create: %s", strerror(-ret));
	if (ret >= 0)
		close(ret);
	close(q);
}

/*
 * In a memory cgroup of 2 MiB, a process PEEKs at and sends 8 MiB
 * messages.  The kernel buffers that takes are charged to the cgroup, so
 * the calls fail with -ENOMEM, never succeed uncharged, and never bring
 * the cgroup's OOM killer.  The user buffers live in a memfd that the
 * parent populated, so they are charged to the parent's cgroup.  A PEEK
 * with a big buffer at a small message needs only the message's size.
 */
#define CG_MAX		(2 << 20)
#define BIG		(8 << 20)

/* The child's part: 0, or the step that went wrong. */
static int memcg_child(int q, char *p, const char *cg)
{
	struct kipc_queue_msg v[2];
	int ret;

	if (tenv_memcg_enter(cg))
		return 20;
	ret = kq_recv(q, p, BIG, KIPC_RECV_PEEK | KIPC_WAIT_NONBLOCK, 0, NULL);
	if (ret != -ENOMEM)
		return ret == BIG ? 1 : 2;
	if (kq_send(q, p, BIG, 1, KIPC_WAIT_NONBLOCK, 0) != -ENOMEM)
		return 3;
	memset(v, 0, sizeof(v));
	v[0].buf = v[1].buf = (uintptr_t)p;
	v[0].len = v[1].len = BIG;
	v[0].prio = v[1].prio = 1;
	if (kq_sendv(q, v, 2, KIPC_WAIT_NONBLOCK, 0) != -ENOMEM)
		return 4;
	/* What fits still works; the small message is now at the head. */
	if (kq_send(q, "s", 1, 1, KIPC_WAIT_NONBLOCK, 0))
		return 5;
	if (kq_recv(q, p, BIG, KIPC_RECV_PEEK | KIPC_WAIT_NONBLOCK, 0, NULL) != 1)
		return 6;
	if (kq_recv(q, p, BIG, KIPC_WAIT_NONBLOCK, 0, NULL) != 1 || p[0] != 's')
		return 7;
	return 0;
}

TEST_F_TIMEOUT(account, memcg_charges_peek_and_send, 120)
{
	int q, mfd, ret;
	char *p;
	pid_t pid;

	ret = set_param(&self->max_msg_size, "max_msg_size", BIG);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "needs root and the max_msg_size parameter");
	ASSERT_EQ(0, ret);
	ret = tenv_memcg_new(self->cg, sizeof(self->cg), "queue", CG_MAX);
	if (ret == -EOPNOTSUPP) {
		self->cg[0] = 0;
		SKIP(return, "needs cgroup2 with the memory controller");
	}
	ASSERT_EQ(0, ret);

	q = kq_create_full(self->dev, BIG, 2, 0, RW, 0, NULL, 0600);
	ASSERT_LE(0, q);
	mfd = memfd_create("kipc-big", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, BIG));
	p = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 'x', BIG);
	ASSERT_EQ(0, kq_send(q, p, BIG, 0, KIPC_WAIT_NONBLOCK, 0));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(memcg_child(q, p, self->cg));
	ret = tenv_reap(pid);
	EXPECT_EQ(0, ret) TH_LOG("child: step %d failed (128 + signal if killed)", ret);
	EXPECT_LT(0, tenv_memcg_read(self->cg, "memory.events", "max"));
	EXPECT_EQ(0, tenv_memcg_read(self->cg, "memory.events", "oom_kill"));

	/* The big message is still there, whole. */
	memset(p, 0, BIG);
	EXPECT_EQ(BIG, kq_recv(q, p, BIG, KIPC_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ('x', p[0]);
	EXPECT_EQ('x', p[BIG - 1]);
	EXPECT_EQ(0, kq_info(q, "msgs"));
	munmap(p, BIG);
	close(mfd);
	close(q);
}

KIPC_TEST_HARNESS_MAIN
