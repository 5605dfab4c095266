// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc in containers.  A container here is a child that becomes uid and
 * gid 1001, unshares its user, IPC and pid namespaces (mapping 0 to 1001)
 * and forks again, so that the code under test runs as pid 1 and root of
 * the new namespaces.  Names are scoped to the IPC namespace, credentials
 * in queue messages and listings are translated into the reader's
 * namespaces, per-user quotas count the host uid, and a memory cgroup
 * turns the container's excess into -ENOMEM.  The tests need root and
 * change module parameters, so they run alone.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "kselftest_harness.h"
#include "kipc_test.h"
#include "kipc_queue_util.h"
#include "tenv.h"

#define RW		(KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER)
#define CTR_ID		1001	/* kipc1: the containers' host uid and gid */
#define OTHER_ID	1002	/* kipc2 */
#define NO_USERNS	77	/* exit status: unshare() was refused */
#define SETUP_FAIL	78	/* exit status: the container's set-up failed */

/* The container's part: 0, or the line of the check that failed. */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "container: %s:%d: %s\n",		\
			__FILE__, __LINE__, #cond);			\
		return __LINE__ % 64 + 1;				\
	}								\
} while (0)

struct ctr {
	pid_t pid;		/* the outer child, on the host */
	pid_t init_pid;		/* its pid 1, as the host sees it */
	int go;			/* write end: let the container go on */
};

/*
 * Start a container running @fn(@arg) as its pid 1, in memory cgroup
 * @cg when not NULL.  @fn may wait for ctr_go() with ctr_wait_go().
 */
static int ctr_go_fd = -1;

static int ctr_wait_go(void)
{
	char c;

	return read(ctr_go_fd, &c, 1) == 1 ? 0 : -1;
}

static int ctr_start(struct ctr *c, const char *cg, int (*fn)(void *), void *arg)
{
	int pidp[2], gop[2], ret;
	pid_t init;

	if (pipe2(pidp, O_CLOEXEC) || pipe2(gop, O_CLOEXEC))
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		close(pidp[0]);
		close(gop[1]);
		ctr_go_fd = gop[0];
		if (cg && tenv_memcg_enter(cg))
			_exit(SETUP_FAIL);
		if (tenv_become(CTR_ID))
			_exit(SETUP_FAIL);
		ret = tenv_enter_userns(CLONE_NEWIPC | CLONE_NEWPID);
		if (ret)
			_exit(ret == -EPERM || ret == -EINVAL || ret == -ENOSPC ?
			      NO_USERNS : SETUP_FAIL);
		init = fork();
		if (init < 0)
			_exit(SETUP_FAIL);
		if (init == 0) {
			close(pidp[1]);
			if (getpid() != 1 || getuid() != 0 || getgid() != 0)
				_exit(SETUP_FAIL);
			_exit(fn(arg));
		}
		/* fork() answers in our own (the host's) pid namespace. */
		if (write(pidp[1], &init, sizeof(init)) != sizeof(init)) {
			kill(init, SIGKILL);
			_exit(SETUP_FAIL);
		}
		_exit(tenv_reap(init));
	}
	close(pidp[1]);
	close(gop[0]);
	c->go = gop[1];
	if (read(pidp[0], &c->init_pid, sizeof(c->init_pid)) != sizeof(c->init_pid))
		c->init_pid = -1;
	close(pidp[0]);
	return 0;
}

static void ctr_go(struct ctr *c)
{
	if (write(c->go, "g", 1) != 1)
		kill(c->pid, SIGKILL);
}

/* The exit status of the container's pid 1. */
static int ctr_end(struct ctr *c)
{
	close(c->go);
	return tenv_reap(c->pid);
}

/* Run @fn in a child as host uid @id (no new namespaces). */
static int as_user(uid_t id, int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (tenv_become(id))
			_exit(SETUP_FAIL);
		_exit(fn(arg));
	}
	return tenv_reap(pid);
}

/* KIPC_IOC_LIST into @e (@n entries): objects visible, or -errno. */
static int list(int dev, struct kipc_obj_entry *e, uint32_t n)
{
	struct kipc_list l;

	memset(&l, 0, sizeof(l));
	memset(e, 0, n * sizeof(*e));
	l.entries = (uintptr_t)e;
	l.nr_entries = n;
	if (ioctl(dev, KIPC_IOC_LIST, &l))
		return -errno;
	return l.nr_total;
}

/* A number from a /proc file, or -1. */
static long long proc_read(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static long long obj_id(int fd)
{
	return tobj_info(fd, "kipc-id");
}

#define MAX_LIST	64

FIXTURE(ctr) {
	int dev;
	long long saved[4];		/* module parameters to restore */
	char cg[128];			/* memory cgroup to remove, or "" */
};

static const char *const params[] = {
	"max_user_objects", "max_ring_size", "max_msg_size", "max_user_bytes",
};

FIXTURE_SETUP(ctr)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		self->saved[i] = -1;
	self->cg[0] = 0;
	KIPC_TEST_OPEN_DEV(self->dev, KIPC_FEAT_QUEUE | KIPC_FEAT_NAMES);
	if (geteuid() != 0)
		SKIP(return, "needs root");
}

FIXTURE_TEARDOWN(ctr)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (self->saved[i] >= 0)
			tenv_param_set(params[i], self->saved[i]);
	if (self->cg[0])
		tenv_memcg_remove(self->cg);
	if (self->dev >= 0)
		close(self->dev);
}

/*
 * Set params[@i] to @val (only raise it when @raise), keeping the old
 * value for the teardown.  -EOPNOTSUPP when it is not there.
 */
static int set_param(long long *saved, unsigned int i, unsigned long long val,
		     int raise)
{
	long long old = tenv_param_get(params[i]);
	int ret;

	if (old < 0)
		return -EOPNOTSUPP;
	if (raise && (unsigned long long)old >= val)
		return 0;
	ret = tenv_param_set(params[i], val);
	if (!ret && saved[i] < 0)
		saved[i] = old;
	return ret;
}

/* Fail the test with the container's exit status, or skip. */
#define ASSERT_CTR(status) do {						\
	int st_ = (status);						\
									\
	if (st_ == NO_USERNS)						\
		SKIP(return, "unshare(CLONE_NEWUSER) refused");		\
	ASSERT_EQ(0, st_) TH_LOG("container: status %d (%d: set-up, 128+: signal, "	\
				 "else a failed check: see its line above)",	\
				 st_, SETUP_FAIL);			\
} while (0)

/* 1. Names are scoped to the IPC namespace. */
#define HOST_NAME	"ctr-host-q"

struct names_arg {
	long long host_named, host_anon;	/* ids of the host's objects */
};

static int names_ctr(void *p)
{
	struct names_arg *a = p;
	struct kipc_obj_entry e[MAX_LIST];
	int dev, q, q2, n, i;

	dev = kq_dev();
	CHECK(dev >= 0);
	CHECK(kq_open(dev, HOST_NAME, RW, 0) == -ENOENT);
	CHECK(kq_unlink(dev, HOST_NAME) == -ENOENT);
	/* Nothing of the host's shows: not its name, not its anonymous queue. */
	CHECK(list(dev, e, MAX_LIST) == 0);

	q = kq_create_full(dev, 16, 4, 0, RW, 0, HOST_NAME, 0600);
	CHECK(q >= 0);
	CHECK(obj_id(q) != a->host_named);
	q2 = kq_open(dev, HOST_NAME, RW, 0);
	CHECK(q2 >= 0);
	CHECK(obj_id(q2) == obj_id(q));
	CHECK(kq_create_full(dev, 16, 4, 0, RW, 0, HOST_NAME, 0600) == -EEXIST);

	n = list(dev, e, MAX_LIST);
	CHECK(n == 1);
	for (i = 0; i < n; i++) {
		CHECK((long long)e[i].obj.id != a->host_named);
		CHECK((long long)e[i].obj.id != a->host_anon);
	}
	CHECK((long long)e[0].obj.id == obj_id(q));
	CHECK(!strcmp(e[0].obj.name, HOST_NAME));
	/* The owner as the container sees it: its root. */
	CHECK(e[0].obj.uid == 0 && e[0].obj.gid == 0);

	CHECK(kq_unlink(dev, HOST_NAME) == 0);
	CHECK(kq_open(dev, HOST_NAME, RW, 0) == -ENOENT);
	close(q2);
	close(q);
	close(dev);
	return 0;
}

TEST_F_TIMEOUT(ctr, names_are_per_ipc_namespace, 60)
{
	struct kipc_obj_entry e[MAX_LIST];
	struct names_arg a;
	struct ctr c;
	int q, anon, q2, n, i, found;

	q = kq_create_full(self->dev, 16, 4, 0, RW, 0, HOST_NAME, 0666);
	ASSERT_LE(0, q);
	anon = kq_create(self->dev, 16, 4);
	ASSERT_LE(0, anon);
	a.host_named = obj_id(q);
	a.host_anon = obj_id(anon);
	ASSERT_LE(0, a.host_named);
	ASSERT_LE(0, a.host_anon);
	ASSERT_EQ(0, kq_send(q, "h", 1, 0, KIPC_WAIT_NONBLOCK, 0));

	ASSERT_EQ(0, ctr_start(&c, NULL, names_ctr, &a));
	n = ctr_end(&c);
	if (n) {
		kq_unlink(self->dev, HOST_NAME);
		ASSERT_CTR(n);
	}

	/* The host's object is untouched: same id, its message still there. */
	q2 = kq_open(self->dev, HOST_NAME, RW, 0);
	EXPECT_LE(0, q2);
	if (q2 >= 0) {
		EXPECT_EQ(a.host_named, obj_id(q2));
		EXPECT_EQ(1, kq_info(q2, "msgs"));
		close(q2);
	}
	n = list(self->dev, e, MAX_LIST);
	EXPECT_LE(2, n);
	for (i = found = 0; i < n && i < MAX_LIST; i++)
		if ((long long)e[i].obj.id == a.host_named)
			found = !strcmp(e[i].obj.name, HOST_NAME) && e[i].obj.uid == 0;
	EXPECT_TRUE(found);
	EXPECT_EQ(0, kq_unlink(self->dev, HOST_NAME));
	close(anon);
	close(q);
}

/* 2. Credentials in queue messages are the receiver's view of the sender. */
struct creds_arg {
	int to_host, to_ctr;
	uint32_t overflow_uid, overflow_gid;
};

static int creds_ctr(void *p)
{
	struct creds_arg *a = p;
	struct kipc_queue_msg m;
	char buf[16];

	CHECK(kq_send(a->to_host, "c", 1, 0, KIPC_WAIT_NONBLOCK, 0) == 0);
	/* Blocks until the host has read ours and sent its own. */
	CHECK(kq_recv(a->to_ctr, buf, sizeof(buf), 0, 0, &m) == 1);
	CHECK(buf[0] == 'h');
	/* Root of the host is not mapped here; its pid is not visible. */
	CHECK(m.pid == 0);
	CHECK(m.uid == a->overflow_uid);
	CHECK(m.gid == a->overflow_gid);
	CHECK(m.reserved == 0);
	return 0;
}

TEST_F_TIMEOUT(ctr, credentials_translate, 60)
{
	struct kipc_queue_msg m;
	struct creds_arg a;
	struct ctr c;
	char buf[16];
	int ret;

	a.overflow_uid = proc_read("/proc/sys/kernel/overflowuid");
	a.overflow_gid = proc_read("/proc/sys/kernel/overflowgid");
	/* The documented default; a test system does not change it. */
	ASSERT_EQ(65534, a.overflow_uid);
	ASSERT_EQ(65534, a.overflow_gid);
	a.to_host = kq_create(self->dev, 16, 4);
	ASSERT_LE(0, a.to_host);
	a.to_ctr = kq_create(self->dev, 16, 4);
	ASSERT_LE(0, a.to_ctr);

	ASSERT_EQ(0, ctr_start(&c, NULL, creds_ctr, &a));
	ASSERT_LT(0, c.init_pid);
	ret = kq_recv(a.to_host, buf, sizeof(buf), 0, 0, &m);
	EXPECT_EQ(1, ret);
	/* The container's pid 1, as the host sees it; its host uid and gid. */
	EXPECT_EQ(c.init_pid, m.pid);
	EXPECT_EQ(CTR_ID, m.uid);
	EXPECT_EQ(CTR_ID, m.gid);
	EXPECT_EQ(0, kq_send(a.to_ctr, "h", 1, 0, KIPC_WAIT_NONBLOCK, 0));
	ASSERT_CTR(ctr_end(&c));
	close(a.to_ctr);
	close(a.to_host);
}

/* 3. The per-user object quota counts the host uid, in any namespace. */
#define QUOTA		8
#define HOST_HELD	3

static int create_named(int dev, const char *prefix, int i)
{
	char name[KIPC_NAME_MAX];

	snprintf(name, sizeof(name), "%s-%d", prefix, i);
	return kq_create_full(dev, 16, 1, 0, RW, 0, name, 0600);
}

/* Create named queues until one fails: how many were made, or 100 + errno. */
static int fill(int dev, const char *prefix)
{
	int i, fd;

	for (i = 0; i < 2 * QUOTA; i++) {
		fd = create_named(dev, prefix, i);
		if (fd < 0)
			return fd == -ENOSPC ? i : 100 - fd;
		close(fd);
	}
	return i;
}

/* The host's uid 1001 holds HOST_HELD named queues. */
static int quota_host_holds(void *p)
{
	int dev = kq_dev(), i, fd;

	(void)p;
	if (dev < 0)
		return 99;
	for (i = 0; i < HOST_HELD; i++) {
		fd = create_named(dev, "ctr-h", i);
		if (fd < 0)
			return 100 - fd;
		close(fd);
	}
	return 0;
}

/* One more object as the calling user: 0, or 100 + errno. */
static int quota_one_more(void *p)
{
	int dev = kq_dev(), fd;

	if (dev < 0)
		return 99;
	fd = create_named(dev, p, 0);
	return fd < 0 ? 100 - fd : 0;
}

struct quota_arg {
	int ready;		/* queue: a container tells the host it is done */
	int expect;		/* objects the container can still create */
};

static int quota_ctr(void *p)
{
	struct quota_arg *a = p;
	int dev = kq_dev();

	CHECK(dev >= 0);
	CHECK(fill(dev, "ctr-c") == a->expect);
	CHECK(kq_send(a->ready, "r", 1, 0, KIPC_WAIT_NONBLOCK, 0) == 0);
	/* Hold the namespace, and so its names, until the host is done. */
	CHECK(ctr_wait_go() == 0);
	return 0;
}

static void quota_cleanup(int dev)
{
	static const char *const names[] = {
		"ctr-h-0", "ctr-h-1", "ctr-h-2", "ctr-h2-0", "ctr-o-0", "ctr-r-0",
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		kq_unlink(dev, names[i]);
}

TEST_F_TIMEOUT(ctr, quota_counts_the_host_uid, 120)
{
	struct quota_arg a;
	struct ctr c1, c2;
	char buf[4];
	int ret, i;

	ret = set_param(self->saved, 0, QUOTA, 0);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "no max_user_objects module parameter");
	ASSERT_EQ(0, ret);
	quota_cleanup(self->dev);
	a.ready = kq_create(self->dev, 4, 4);
	ASSERT_LE(0, a.ready);

	ret = as_user(CTR_ID, quota_host_holds, NULL);
	ASSERT_EQ(0, ret) TH_LOG("uid %d on the host: status %d", CTR_ID, ret);

	/* The first container gets what the host's uid 1001 left. */
	a.expect = QUOTA - HOST_HELD;
	ASSERT_EQ(0, ctr_start(&c1, NULL, quota_ctr, &a));
	ret = kq_recv(a.ready, buf, sizeof(buf), 0, 0, NULL);
	if (ret != 1) {
		ctr_go(&c1);
		quota_cleanup(self->dev);
		ASSERT_CTR(ctr_end(&c1));
		ASSERT_EQ(1, ret);
	}
	/* A second container of the same uid gets nothing more. */
	a.expect = 0;
	ASSERT_EQ(0, ctr_start(&c2, NULL, quota_ctr, &a));
	ret = kq_recv(a.ready, buf, sizeof(buf), 0, 0, NULL);
	ctr_go(&c2);
	EXPECT_EQ(0, ctr_end(&c2));
	EXPECT_EQ(1, ret);

	/* Others are not affected. */
	EXPECT_EQ(100 + ENOSPC, as_user(CTR_ID, quota_one_more, "ctr-h2"));
	EXPECT_EQ(0, as_user(OTHER_ID, quota_one_more, "ctr-o"));
	EXPECT_EQ(0, quota_one_more("ctr-r"));

	/*
	 * When the first container ends, its IPC namespace dies and the
	 * names in it go, with what they counted.
	 */
	ctr_go(&c1);
	ret = ctr_end(&c1);
	EXPECT_EQ(0, ret);
	for (i = 0; i < 500; i++) {
		ret = as_user(CTR_ID, quota_one_more, "ctr-h2");
		if (ret != 100 + ENOSPC)
			break;
		usleep(10000);
	}
	EXPECT_EQ(0, ret) TH_LOG("uid %d after the container: status %d", CTR_ID, ret);
	quota_cleanup(self->dev);
	close(a.ready);
}

/* 4. A memory cgroup limits the container: -ENOMEM, no OOM kill. */
#define CG_MAX		(8ULL << 20)
#define RING_SIZE	(64ULL << 20)
#define BIG		(16U << 20)	/* the largest message there can be */

static int ring_create(int dev, uint64_t size)
{
	struct kipc_ring_create rc;
	int fd;

	memset(&rc, 0, sizeof(rc));
	rc.obj.role = RW;
	rc.data_size = size;
	rc.obj.mode = 0600;
	fd = ioctl(dev, KIPC_IOC_RING_CREATE, &rc);
	return fd < 0 ? -errno : fd;
}

struct memcg_arg {
	int q;
	char *p;	/* BIG bytes, charged to the host */
};

static int memcg_ctr(void *p)
{
	struct memcg_arg *a = p;
	int dev = kq_dev();

	CHECK(dev >= 0);
	CHECK(ring_create(dev, RING_SIZE) == -ENOMEM);
	CHECK(kq_send(a->q, a->p, BIG, 0, KIPC_WAIT_NONBLOCK, 0) == -ENOMEM);
	/* What fits still works. */
	CHECK(kq_send(a->q, "s", 1, 0, KIPC_WAIT_NONBLOCK, 0) == 0);
	close(dev);
	return 0;
}

TEST_F_TIMEOUT(ctr, memcg_limits_the_container, 120)
{
	struct memcg_arg a;
	struct ctr c;
	char buf[4];
	int mfd, ring, ret;

	ret = set_param(self->saved, 1, RING_SIZE, 1);
	if (!ret)
		ret = set_param(self->saved, 2, BIG, 1);
	if (!ret)
		ret = set_param(self->saved, 3, 4 * RING_SIZE, 1);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "no max_ring_size/max_msg_size/max_user_bytes parameter");
	ASSERT_EQ(0, ret);
	ret = tenv_memcg_new(self->cg, sizeof(self->cg), "ctr", CG_MAX);
	if (ret == -EOPNOTSUPP) {
		self->cg[0] = 0;
		SKIP(return, "needs cgroup2 with the memory controller");
	}
	ASSERT_EQ(0, ret);

	a.q = kq_create_full(self->dev, BIG, 2, 0, RW, 0, NULL, 0600);
	ASSERT_LE(0, a.q);
	mfd = memfd_create("kipc-big", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, BIG));
	a.p = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, a.p);
	memset(a.p, 'x', BIG);

	ASSERT_EQ(0, ctr_start(&c, self->cg, memcg_ctr, &a));
	ASSERT_CTR(ctr_end(&c));
	EXPECT_EQ(0, tenv_memcg_read(self->cg, "memory.events", "oom_kill"));

	/* The host, outside the cgroup, is unaffected. */
	EXPECT_EQ(1, kq_recv(a.q, buf, sizeof(buf), KIPC_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ('s', buf[0]);
	ring = ring_create(self->dev, RING_SIZE);
	EXPECT_LE(0, ring);
	if (ring >= 0)
		close(ring);
	EXPECT_EQ(0, kq_send(a.q, a.p, BIG, 0, KIPC_WAIT_NONBLOCK, 0));
	memset(a.p, 0, BIG);
	EXPECT_EQ(BIG, kq_recv(a.q, a.p, BIG, KIPC_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ('x', a.p[0]);
	EXPECT_EQ('x', a.p[BIG - 1]);
	munmap(a.p, BIG);
	close(mfd);
	close(a.q);
}

KIPC_TEST_HARNESS_MAIN
