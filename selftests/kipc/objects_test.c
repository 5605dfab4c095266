// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The object registry of /dev/kipc as a hostile local user meets it:
 * half-built objects, LIST with a stalled buffer, names, failed opens,
 * IPC namespaces that die, and per-user quotas.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kipc.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"
#include "kipc_queue_util.h"
#include "tenv.h"
#include "tring.h"

#define USER1	1001
#define USER2	1002
#define RING_SIZE	(4u << 20)

static int dev_open(void)
{
	return open("/dev/kipc", O_RDWR | O_CLOEXEC);
}

/* The tests' objects: small, no flags.  The fd or -errno. */
static int ring_create(int dev, const char *name, uint32_t role, uint32_t mode,
		       uint64_t size)
{
	return tring_create(dev, size, 0, role, name, mode, 0);
}

static int queue_create(int dev, const char *name, uint32_t role, uint32_t mode)
{
	return kq_create_full(dev, 64, 4, 0, role, 0, name, mode);
}

/* The caller's view of the object named @name, or -1. */
static int list_find(int dev, const char *name, struct kipc_obj_entry *out)
{
	return tobj_list_find(dev, 0, name, out) ? -1 : 0;
}

static int count_fds(void)
{
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

/*
 * A container of @uid: new user namespace (root inside is @uid outside)
 * and new IPC namespace.  0 or -errno.
 */
static int enter_container(uid_t uid)
{
	int ret = tenv_become(uid);

	return ret ? ret : tenv_enter_userns(CLONE_NEWIPC);
}

/* Run @fn(@arg) in a child; its exit status, or -1. */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

FIXTURE(objects) {
	int dev;
};

FIXTURE_SETUP(objects)
{
	self->dev = dev_open();
	if (self->dev < 0 && (errno == ENOENT || errno == ENXIO || errno == ENODEV))
		SKIP(_exit(255), "kipc module not loaded");
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(objects)
{
	if (self->dev >= 0)
		close(self->dev);
}

/*
 * Defect: LIST copied to user memory under the lock that every create,
 * open, unlink and last close takes.  A LIST whose buffer is stalled by
 * userfaultfd must not hold up another user's create and close.
 */
struct stalled_list {
	int dev;
	void *buf;
	int ret;
	int err;
	struct kipc_list ls;
};

static void *stalled_list_fn(void *p)
{
	struct stalled_list *s = p;

	memset(&s->ls, 0, sizeof(s->ls));
	s->ls.entries = (uintptr_t)s->buf;
	s->ls.nr_entries = 4;
	s->ret = ioctl(s->dev, KIPC_IOC_LIST, &s->ls);
	s->err = errno;
	return NULL;
}

static int other_user_create_close(void *arg)
{
	int dev, fd;

	(void)arg;
	if (tenv_become(USER1))
		return 2;
	dev = dev_open();
	if (dev < 0)
		return 3;
	fd = ring_create(dev, NULL, KIPC_ROLE_PRODUCER, 0600, 1u << 16);
	if (fd < 0)
		return 4;
	close(fd);	/* the last close: frees the ring */
	close(dev);
	return 0;
}

TEST_F_TIMEOUT(objects, stalled_list_stalls_no_one_else, 120)
{
	long psz = sysconf(_SC_PAGESIZE);
	struct uffdio_register reg;
	struct uffdio_zeropage zp;
	struct uffdio_api api;
	struct stalled_list s = { .dev = self->dev };
	struct pollfd pfd;
	pthread_t t;
	pid_t pid;
	int uffd, ring, status = -1, waited;
	bool done = false;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "no userfaultfd (%s)", strerror(errno));
	memset(&api, 0, sizeof(api));
	api.api = UFFD_API;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	s.buf = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s.buf);
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)s.buf;
	reg.range.len = psz;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));

	/* Something for LIST to copy out. */
	ring = ring_create(self->dev, NULL, KIPC_ROLE_PRODUCER, 0600, 1u << 16);
	ASSERT_LE(0, ring);

	ASSERT_EQ(0, pthread_create(&t, NULL, stalled_list_fn, &s));
	/* Wait until LIST is parked on the missing page. */
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 30000));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(other_user_create_close(NULL));
	/* A hang detector: the create and close take milliseconds. */
	for (waited = 0; waited < 300; waited++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			done = true;
			break;
		}
		usleep(100 * 1000);
	}

	/* Release LIST in every case, so nothing stays stuck. */
	memset(&zp, 0, sizeof(zp));
	zp.range.start = (uintptr_t)s.buf;
	zp.range.len = psz;
	EXPECT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zp));
	if (!done)
		waitpid(pid, &status, 0);
	pthread_join(t, NULL);

	EXPECT_TRUE(done) TH_LOG("another user's create/close waited for a stalled LIST");
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, s.ret) TH_LOG("LIST: %s", strerror(s.err));
	EXPECT_LE(1, s.ls.nr_entries);
	close(ring);
	close(uffd);
	munmap(s.buf, psz);
}

/* Defect: isalnum() accepted Latin-1 letters (0xC0..0xFF). */
TEST_F(objects, names_are_ascii)
{
	static const char *const bad[] = {
		"caf\xe9", "\xc0", "\xff", "a\xdf" "b", "\x80", "x\xaa",
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, ring_create(self->dev, bad[i], KIPC_ROLE_PRODUCER,
					       0600, 1u << 16)) TH_LOG("name %u", i);
		EXPECT_EQ(-EINVAL, queue_create(self->dev, bad[i], KIPC_ROLE_PRODUCER,
						0600)) TH_LOG("name %u", i);
		EXPECT_EQ(-EINVAL, tobj_open(self->dev, bad[i], KIPC_OBJ_RING,
					     KIPC_ROLE_CONSUMER, 0)) TH_LOG("name %u", i);
		EXPECT_EQ(-EINVAL, tobj_unlink(self->dev, bad[i], 0)) TH_LOG("name %u", i);
	}
	/* The whole documented charset still works. */
	{
		const char *good = "AZaz09._-x";
		int fd = queue_create(self->dev, good, KIPC_ROLE_PRODUCER, 0600);

		ASSERT_LE(0, fd);
		EXPECT_EQ(0, tobj_unlink(self->dev, good, 0));
		close(fd);
	}
}

/*
 * Defect: an OPEN whose result could not be copied out had already
 * counted the new endpoint and released it, so a ring that never had a
 * producer showed a hang-up.  A failed OPEN leaves no trace.
 */
static void failed_open_leaves_no_trace(struct __test_metadata *_metadata,
					int dev, uint32_t type, const char *name)
{
	long psz = sysconf(_SC_PAGESIZE);
	struct kipc_obj_entry before, after;
	struct kipc_open *op;
	struct pollfd pfd;
	int cons, fds;

	cons = type == KIPC_OBJ_RING ?
	       ring_create(dev, name, KIPC_ROLE_CONSUMER, 0600, 1u << 16) :
	       queue_create(dev, name, KIPC_ROLE_CONSUMER, 0600);
	ASSERT_LE(0, cons);
	ASSERT_EQ(0, list_find(dev, name, &before));

	/* Readable, so the arguments come in; read-only, so they cannot go out. */
	op = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, op);
	op->name = (uintptr_t)name;
	op->type = type;
	op->role = KIPC_ROLE_PRODUCER;
	ASSERT_EQ(0, mprotect(op, psz, PROT_READ));
	fds = count_fds();
	for (int i = 0; i < 3; i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(dev, KIPC_IOC_OPEN, op));
		EXPECT_EQ(EFAULT, errno);
	}
	EXPECT_EQ(fds, count_fds());

	pfd.fd = cons;
	pfd.events = POLLIN;
	pfd.revents = 0;
	EXPECT_EQ(0, poll(&pfd, 1, 0)) TH_LOG("revents %#x", pfd.revents);
	EXPECT_EQ(0, pfd.revents & POLLHUP);
	ASSERT_EQ(0, list_find(dev, name, &after));
	EXPECT_EQ(before.obj.nr_producers, after.obj.nr_producers);
	EXPECT_EQ(before.obj.nr_consumers, after.obj.nr_consumers);
	EXPECT_EQ(before.flags, after.flags);

	EXPECT_EQ(0, tobj_unlink(dev, name, 0));
	close(cons);
	munmap(op, psz);
}

TEST_F(objects, failed_open_leaves_no_trace)
{
	failed_open_leaves_no_trace(_metadata, self->dev, KIPC_OBJ_RING,
				    "kipc-objects-failed-open-ring");
	failed_open_leaves_no_trace(_metadata, self->dev, KIPC_OBJ_QUEUE,
				    "kipc-objects-failed-open-queue");
}

/*
 * Defect: names were keyed by the IPC namespace's address and inode
 * number, both reused after the namespace dies.  A fresh namespace must
 * never reach a name of a dead one.
 */
#define NS_NAME "kipc-objects-ns-name"

static int ns_create_and_die(void *arg)
{
	int dev, fd;

	(void)arg;
	if (unshare(CLONE_NEWIPC))
		return 2;
	dev = dev_open();
	if (dev < 0)
		return 3;
	fd = queue_create(dev, NS_NAME, KIPC_ROLE_PRODUCER, 0666);
	if (fd < 0)
		return fd == -EEXIST ? 10 : 4;
	return 0;	/* exit with the name left behind */
}

static int ns_must_not_see(void *arg)
{
	int dev, fd;

	(void)arg;
	if (unshare(CLONE_NEWIPC))
		return 2;
	dev = dev_open();
	if (dev < 0)
		return 3;
	fd = tobj_open(dev, NS_NAME, KIPC_OBJ_QUEUE, KIPC_ROLE_CONSUMER, 0);
	if (fd >= 0)
		return 11;	/* reached a dead namespace's name */
	if (fd != -ENOENT)
		return 5;
	return 0;
}

TEST_F_TIMEOUT(objects, dead_ipc_namespace_names_unreachable, 300)
{
	for (int i = 0; i < 100; i++) {
		int rc = in_child(ns_create_and_die, NULL);

		ASSERT_NE(10, rc) TH_LOG("round %d: a fresh namespace already had the name", i);
		ASSERT_EQ(0, rc) TH_LOG("round %d", i);
		rc = in_child(ns_must_not_see, NULL);
		ASSERT_NE(11, rc) TH_LOG("round %d: opened a dead namespace's name", i);
		ASSERT_EQ(0, rc) TH_LOG("round %d", i);
	}
	/* The host's own namespace never saw them either. */
	EXPECT_EQ(-ENOENT, tobj_open(self->dev, NS_NAME, KIPC_OBJ_QUEUE,
				     KIPC_ROLE_CONSUMER, 0));
}

/*
 * Defect: one user, inside its own user and IPC namespaces, could take
 * every object the module allows and lock out every other user, root
 * included, with names that outlived it and its namespace.
 */
#define QUOTA 8

static int fill_in_container(void *arg)
{
	static char name[32];
	int dev, n = 0;

	(void)arg;
	if (enter_container(USER1))
		return 250;
	dev = dev_open();
	if (dev < 0)
		return 251;
	for (;;) {
		int fd;

		snprintf(name, sizeof(name), "kipc-quota-%d", n);
		fd = queue_create(dev, name, KIPC_ROLE_PRODUCER, 0600);
		if (fd < 0)
			return fd == -ENOSPC ? n : 252;
		if (++n > 200)
			return 253;
	}
}

static int create_as(void *arg)
{
	uid_t uid = *(uid_t *)arg;
	int dev, fd;

	if (uid && tenv_become(uid))
		return 250;
	dev = dev_open();
	if (dev < 0)
		return 251;
	fd = queue_create(dev, NULL, KIPC_ROLE_PRODUCER, 0600);
	return fd < 0 ? (fd == -ENOSPC ? 1 : 2) : 0;
}

/* Objects alive now, from the root-only debugfs listing (0 if absent). */
static int objects_alive(void)
{
	FILE *f = fopen("/sys/kernel/debug/kipc/objects", "re");
	int c, lines = 0;

	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		lines += c == '\n';
	fclose(f);
	return lines > 0 ? lines - 1 : 0;	/* less the header */
}

TEST_F_TIMEOUT(objects, one_user_cannot_lock_out_others, 120)
{
	long long max_objects = tenv_param_get("max_objects");
	long long max_user = tenv_param_get("max_user_objects");
	uid_t root = 0, u1 = USER1, u2 = USER2;
	int n, rc, tries;

	if (max_objects < 0)
		SKIP(return, "no max_objects parameter");
	/* Room for 4 * QUOTA objects beyond what exists now. */
	ASSERT_EQ(0, tenv_param_set("max_objects", objects_alive() + 4 * QUOTA));
	if (max_user >= 0)
		ASSERT_EQ(0, tenv_param_set("max_user_objects", QUOTA));

	n = in_child(fill_in_container, NULL);
	if (n == 250) {
		tenv_param_set("max_objects", max_objects);
		if (max_user >= 0)
			tenv_param_set("max_user_objects", max_user);
		SKIP(return, "no user namespaces");
	}
	EXPECT_EQ(QUOTA, n) TH_LOG("a container user created %d objects", n);
	EXPECT_EQ(0, in_child(create_as, &root)) TH_LOG("root was locked out");
	EXPECT_EQ(0, in_child(create_as, &u2)) TH_LOG("another user was locked out");
	/*
	 * The container's namespace is dead: its names went with it, and
	 * with them its user's quota.
	 */
	for (tries = 0; tries < 50; tries++) {
		rc = in_child(create_as, &u1);
		if (rc != 1)
			break;
		usleep(100 * 1000);
	}
	EXPECT_EQ(0, rc) TH_LOG("a dead namespace's names still count");

	EXPECT_EQ(0, tenv_param_set("max_objects", max_objects));
	if (max_user >= 0)
		EXPECT_EQ(0, tenv_param_set("max_user_objects", max_user));
}

/*
 * Defect: a ring was on the global list before its pages existed, and
 * LIST read them through NULL.  Creators and listers race; every listed
 * entry must be a whole object.
 */
struct race {
	int dev;
	atomic_int stop;
	atomic_int bad;
};

static void *race_create(void *p)
{
	struct race *r = p;

	for (int i = 0; i < 200 && !atomic_load(&r->stop); i++) {
		int fd = (i & 1) ? queue_create(r->dev, NULL, KIPC_ROLE_PRODUCER, 0600) :
			 ring_create(r->dev, NULL, KIPC_ROLE_PRODUCER, 0600, RING_SIZE);

		if (fd < 0) {
			atomic_fetch_add(&r->bad, 1);
			break;
		}
		close(fd);
	}
	return NULL;
}

static void *race_list(void *p)
{
	static _Thread_local struct kipc_obj_entry ents[64];
	struct race *r = p;

	while (!atomic_load(&r->stop)) {
		struct kipc_list ls;

		memset(&ls, 0, sizeof(ls));
		ls.entries = (uintptr_t)ents;
		ls.nr_entries = 64;
		if (ioctl(r->dev, KIPC_IOC_LIST, &ls)) {
			atomic_fetch_add(&r->bad, 1);
			break;
		}
		for (uint32_t i = 0; i < ls.nr_entries; i++) {
			if (ents[i].obj.type == KIPC_OBJ_RING && ents[i].size != RING_SIZE)
				atomic_fetch_add(&r->bad, 1);
			if (ents[i].obj.type == KIPC_OBJ_QUEUE && !ents[i].size)
				atomic_fetch_add(&r->bad, 1);
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(objects, list_sees_only_whole_objects, 300)
{
	struct race r = { .dev = self->dev };
	pthread_t c[2], l[2];

	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_create(&c[i], NULL, race_create, &r));
		ASSERT_EQ(0, pthread_create(&l[i], NULL, race_list, &r));
	}
	for (int i = 0; i < 2; i++)
		pthread_join(c[i], NULL);
	atomic_store(&r.stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(l[i], NULL);
	EXPECT_EQ(0, atomic_load(&r.bad));
}

/*
 * A creation that fails is never listed, not even for a moment: a ring
 * whose name is taken (-EEXIST, found after its pages exist) must not
 * show in a LIST taken meanwhile.  Its size is one no other ring has.
 */
#define FAILED_SIZE	(1u << 17)

static void *race_create_taken(void *p)
{
	struct race *r = p;

	for (int i = 0; i < 300 && !atomic_load(&r->stop); i++) {
		int fd = ring_create(r->dev, "kipc-objects-taken", KIPC_ROLE_PRODUCER,
				     0600, FAILED_SIZE);

		if (fd != -EEXIST) {
			atomic_fetch_add(&r->bad, 1000000);
			if (fd >= 0)
				close(fd);
			break;
		}
	}
	return NULL;
}

static void *race_list_failed(void *p)
{
	static _Thread_local struct kipc_obj_entry ents[64];
	struct race *r = p;

	while (!atomic_load(&r->stop)) {
		struct kipc_list ls;

		memset(&ls, 0, sizeof(ls));
		ls.entries = (uintptr_t)ents;
		ls.nr_entries = 64;
		if (ioctl(r->dev, KIPC_IOC_LIST, &ls)) {
			atomic_fetch_add(&r->bad, 1000000);
			break;
		}
		for (uint32_t i = 0; i < ls.nr_entries; i++)
			if (ents[i].obj.type == KIPC_OBJ_RING && ents[i].size == FAILED_SIZE)
				atomic_fetch_add(&r->bad, 1);
	}
	return NULL;
}

TEST_F_TIMEOUT(objects, failed_create_is_never_listed, 300)
{
	struct race r = { .dev = self->dev };
	pthread_t c[2], l[2];
	int holder;

	holder = queue_create(self->dev, "kipc-objects-taken", KIPC_ROLE_CONSUMER, 0600);
	ASSERT_LE(0, holder);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_create(&c[i], NULL, race_create_taken, &r));
		ASSERT_EQ(0, pthread_create(&l[i], NULL, race_list_failed, &r));
	}
	for (int i = 0; i < 2; i++)
		pthread_join(c[i], NULL);
	atomic_store(&r.stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(l[i], NULL);
	EXPECT_EQ(0, atomic_load(&r.bad)) TH_LOG("listed failed creations");
	tobj_unlink(self->dev, "kipc-objects-taken", KIPC_OBJ_QUEUE);
	close(holder);
}

KIPC_TEST_HARNESS_MAIN
