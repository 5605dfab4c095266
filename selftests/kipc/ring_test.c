// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc rings: creation, names, permissions, mmap, WAIT/WAKE, poll and
 * epoll, peer death, fdinfo, listing, limits, and every bad input.
 * The data-moving stress tests are in ring_stream_test.c, io_uring in
 * ring_uring_test.c.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "kselftest_harness.h"
#include "kipc_test.h"
#include "tenv.h"
#include "tring.h"

#define KB		1024ULL
#define RING_SZ		(16 * KB)
#define UID1		1001
#define UID2		1002
#define GID_SHARE	2000

#define CREATE_SZ(sz) _IOC(_IOC_READ | _IOC_WRITE, KIPC_IOC_MAGIC, \
			   _IOC_NR(KIPC_IOC_RING_CREATE), (sz))
#define WAIT_SZ(sz)   _IOC(_IOC_READ | _IOC_WRITE, KIPC_IOC_MAGIC, \
			   _IOC_NR(KIPC_RING_IOC_WAIT), (sz))

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* A per-process unique ring name. */
static const char *uname_(char *buf, const char *tag)
{
	static int n;

	snprintf(buf, 64, "rt-%s-%d-%d", tag, (int)getpid(), n++);
	return buf;
}

/* ioctl that returns -errno, so that ASSERT_EQ(-EINVAL, ...) reads well. */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static void create_args(struct kipc_ring_create *rc, uint64_t size,
			uint32_t role)
{
	memset(rc, 0, sizeof(*rc));
	rc->data_size = size;
	rc->obj.role = role;
	rc->obj.mode = 0600;
}

/* Wait (without a time limit of our own) until @n tasks sleep in WAIT. */
static void await_waiters(int fd, long long n)
{
	while (tobj_info(fd, "waiters") != n)
		usleep(1000);
}

static int child_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* Become @uid/@gid with the given supplementary groups; 0 or -1. */
static int become(uid_t uid, gid_t gid, int ngroups, const gid_t *groups)
{
	if (setgroups(ngroups, groups) || setgid(gid) || setuid(uid))
		return -1;
	return 0;
}

FIXTURE(ring) {
	int dev;
	char name[64];
	struct kipc_info info;
};

FIXTURE_SETUP(ring)
{
	KIPC_TEST_OPEN_DEV(self->dev, KIPC_FEAT_RING);
	memset(&self->info, 0, sizeof(self->info));
	ASSERT_EQ(0, xioctl(self->dev, KIPC_IOC_GET_INFO, &self->info));
}

FIXTURE_TEARDOWN(ring)
{
	if (self->dev >= 0)
		close(self->dev);
}

TEST_F(ring, get_info)
{
	struct kipc_info info;
	uint64_t max;

	/* Output fields poisoned: the kernel must overwrite them. */
	memset(&info, 0, sizeof(info));
	info.features = 0;
	info.max_ring_size = 0xdeadbeefdeadbeefULL;
	info.page_size = 0xdeadbeef;
	ASSERT_EQ(0, xioctl(self->dev, KIPC_IOC_GET_INFO, &info));
	EXPECT_TRUE(info.features & KIPC_FEAT_RING);
	EXPECT_EQ(self->info.max_ring_size, info.max_ring_size);
	EXPECT_EQ(page_size(), info.page_size);
	max = info.max_ring_size;

	EXPECT_TRUE(self->info.features & KIPC_FEAT_NAMES);
	EXPECT_LE((uint64_t)page_size(), max);
	EXPECT_EQ(0, max & (max - 1));
	EXPECT_LE(max, 1ULL << 30);
}

TEST_F(ring, create_and_info_page)
{
	const struct kipc_ring_layout *info;
	struct kipc_ring_create rc;
	char link[64], path[64];
	ssize_t n;
	int fd, fl;

	create_args(&rc, RING_SZ, KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER);
	fd = xioctl(self->dev, KIPC_IOC_RING_CREATE, &rc);
	ASSERT_LE(0, fd);
	EXPECT_EQ(fd, rc.obj.fd);
	/* Inputs come back untouched, reserved fields stay zero. */
	EXPECT_EQ(RING_SZ, rc.data_size);
	EXPECT_EQ(0, rc.flags);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(0, rc.reserved[i]);

	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	fl = fcntl(fd, F_GETFL);
	EXPECT_EQ(0, fl & O_NONBLOCK);
	EXPECT_EQ(O_RDWR, fl & O_ACCMODE);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = 0;
	EXPECT_NE(NULL, strstr(link, "[kipc-ring]"));

	info = mmap(NULL, page_size(), PROT_READ, MAP_SHARED, fd, KIPC_RING_OFF_LAYOUT);
	ASSERT_NE(MAP_FAILED, info);
	EXPECT_EQ(KIPC_RING_MAGIC, info->magic);
	EXPECT_EQ(KIPC_ABI_VERSION, info->abi_version);
	EXPECT_EQ(0, info->flags);
	EXPECT_EQ(page_size(), info->page_size);
	EXPECT_EQ(RING_SZ, info->data_size);
	EXPECT_EQ(RING_SZ - sizeof(struct kipc_rec_hdr), info->max_record);
	EXPECT_EQ(KIPC_REC_SPACE(info->max_record), info->data_size);
	EXPECT_EQ(0, info->ctrl_offset);
	EXPECT_EQ(page_size(), info->data_offset);
	EXPECT_EQ(page_size() + 2 * RING_SZ, info->map_size);
	EXPECT_EQ(KIPC_RING_MAP_SIZE(page_size(), RING_SZ), info->map_size);
	EXPECT_EQ(0, info->state);
	EXPECT_EQ(1, info->nr_producers);
	EXPECT_EQ(1, info->nr_consumers);
	EXPECT_EQ(KIPC_REC_SPACE(1), info->lowat);
	for (int i = 0; i < 6; i++)
		EXPECT_EQ(0, info->reserved[i]);
	munmap((void *)info, page_size());
	close(fd);

	/* O_NONBLOCK on request, MPSC flag and low-water mark recorded. */
	create_args(&rc, RING_SZ, KIPC_ROLE_CONSUMER);
	rc.obj.fd_flags = KIPC_FD_NONBLOCK;
	rc.flags = KIPC_RING_F_MPSC;
	rc.lowat = 1000;
	fd = xioctl(self->dev, KIPC_IOC_RING_CREATE, &rc);
	ASSERT_LE(0, fd);
	EXPECT_EQ(O_NONBLOCK, fcntl(fd, F_GETFL) & O_NONBLOCK);
	info = mmap(NULL, page_size(), PROT_READ, MAP_SHARED, fd, KIPC_RING_OFF_LAYOUT);
	ASSERT_NE(MAP_FAILED, info);
	EXPECT_EQ(KIPC_RING_F_MPSC, info->flags);
	EXPECT_EQ(1000, info->lowat);
	EXPECT_EQ(0, info->nr_producers);
	EXPECT_EQ(1, info->nr_consumers);
	munmap((void *)info, page_size());
	close(fd);

	/* Largest ring the module allows. */
	create_args(&rc, self->info.max_ring_size, KIPC_ROLE_CONSUMER);
	fd = xioctl(self->dev, KIPC_IOC_RING_CREATE, &rc);
	ASSERT_LE(0, fd);
	close(fd);
}

TEST_F(ring, create_bad_size)
{
	uint64_t max = self->info.max_ring_size;
	uint64_t bad_inval[] = {
		0, 1, 8, page_size() / 2, page_size() - 1, page_size() + 1,
		3 * page_size(), 12 * page_size(), max - page_size(), max + 1,
		~0ULL, (1ULL << 63) + page_size(),
	};
	uint64_t bad_big[] = { 2 * max, 1ULL << 40, 1ULL << 63 };
	struct kipc_ring_create rc;

	for (unsigned int i = 0; i < sizeof(bad_inval) / sizeof(bad_inval[0]); i++) {
		create_args(&rc, bad_inval[i], KIPC_ROLE_CONSUMER);
		EXPECT_EQ(-EINVAL, xioctl(self->dev, KIPC_IOC_RING_CREATE, &rc))
			TH_LOG("data_size %#llx", (unsigned long long)bad_inval[i]);
	}
	for (unsigned int i = 0; i < sizeof(bad_big) / sizeof(bad_big[0]); i++) {
		create_args(&rc, bad_big[i], KIPC_ROLE_CONSUMER);
		EXPECT_EQ(-E2BIG, xioctl(self->dev, KIPC_IOC_RING_CREATE, &rc))
			TH_LOG("data_size %#llx", (unsigned long long)bad_big[i]);
	}
	/* A low-water mark above the ring size can never be met. */
	create_args(&rc, RING_SZ, KIPC_ROLE_PRODUCER);
	rc.lowat = RING_SZ + 1;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, KIPC_IOC_RING_CREATE, &rc));
	rc.lowat = RING_SZ;
	rc.obj.fd = 0;
	int fd = xioctl(self->dev, KIPC_IOC_RING_CREATE, &rc);

	EXPECT_LE(0, fd);
	close(fd);
}

TEST_F(ring, create_bad_fields)
{
	struct kipc_ring_create rc;

	for (int bit = 1; bit < 32; bit++) {
		create_args(&rc, RING_SZ, KIPC_ROLE_CONSUMER);
		rc.flags = 1U << bit;
		EXPECT_EQ(-EINVAL, xioctl(self->dev, KIPC_IOC_RING_CREATE, &rc));
	}
	{
		uint32_t roles[] = { 0, 4, 7, 1U << 31, ~0U };

		for (unsigned int i = 0; i < 5; i++) {
			create_args(&rc, RING_SZ, roles[i]);
			EXPECT_EQ(-EINVAL, xioctl(self->dev, KIPC_IOC_RING_CREATE, &rc));
		}
	}
	create_args(&rc, RING_SZ, KIPC_ROLE_CONSUMER);
	rc.obj.fd_flags = 2;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, KIPC_IOC_RING_CREATE, &rc));
	create_args(&rc, RING_SZ, KIPC_ROLE_CONSUMER);
	rc.obj.mode = 01000;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, KIPC_IOC_RING_CREATE, &rc));
	create_args(&rc, RING_SZ, KIPC_ROLE_CONSUMER);
	rc.obj.mode = ~0U;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, KIPC_IOC_RING_CREATE, &rc));
	/* fd is an output: it must come in as zero. */
	create_args(&rc, RING_SZ, KIPC_ROLE_CONSUMER);
	rc.obj.fd = 3;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, KIPC_IOC_RING_CREATE, &rc));
	for (int i = 0; i < 4; i++) {
		create_args(&rc, RING_SZ, KIPC_ROLE_CONSUMER);
		rc.reserved[i] = 1ULL << (i * 13);
		EXPECT_EQ(-EINVAL, xioctl(self->dev, KIPC_IOC_RING_CREATE, &rc));
	}
}

TEST_F(ring, create_bad_struct)
{
	static char buf[8192];
	struct kipc_ring_create *rc = (void *)buf;
	long pg = page_size();
	char *map;
	int fd;

	memset(buf, 0, sizeof(buf));
	create_args(rc, RING_SZ, KIPC_ROLE_CONSUMER);
	/* The size is part of the command: any other one is -ENOTTY. */
	for (unsigned int sz = 0; sz <= 256; sz += 8)
		if (sz != sizeof(*rc))
			EXPECT_EQ(-ENOTTY, xioctl(self->dev, CREATE_SZ(sz), rc));
	EXPECT_EQ(-ENOTTY, xioctl(self->dev, CREATE_SZ(pg + 8), rc));
	fd = xioctl(self->dev, CREATE_SZ(sizeof(*rc)), rc);
	EXPECT_LE(0, fd);
	close(fd);
	rc->obj.fd = 0;

	EXPECT_EQ(-EFAULT, xioctl(self->dev, KIPC_IOC_RING_CREATE, NULL));
	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + pg, pg));
	EXPECT_EQ(-EFAULT, xioctl(self->dev, KIPC_IOC_RING_CREATE, map + pg));
	EXPECT_EQ(-EFAULT, xioctl(self->dev, KIPC_IOC_RING_CREATE, map + pg - 16));
	/* Name pointer to nowhere. */
	create_args(rc, RING_SZ, KIPC_ROLE_CONSUMER);
	rc->obj.name = (uintptr_t)(map + pg);
	EXPECT_EQ(-EFAULT, xioctl(self->dev, KIPC_IOC_RING_CREATE, rc));
	/* Read-only argument: the ring is made, the fd cannot be returned. */
	create_args((void *)map, RING_SZ, KIPC_ROLE_CONSUMER);
	ASSERT_EQ(0, mprotect(map, pg, PROT_READ));
	EXPECT_EQ(-EFAULT, xioctl(self->dev, KIPC_IOC_RING_CREATE, map));
	munmap(map, pg);
}

TEST_F(ring, names)
{
	char name[128], longname[KIPC_NAME_MAX + 2];
	long pg = page_size();
	int fd, fd2;
	char *map;

	uname_(name, "n");
	fd = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER, name, 0600, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EEXIST, tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER,
					name, 0600, 0));
	fd2 = tring_open(self->dev, name, KIPC_ROLE_PRODUCER, 0);
	EXPECT_LE(0, fd2);
	close(fd2);
	EXPECT_EQ(0, tring_unlink(self->dev, name));
	EXPECT_EQ(-ENOENT, tring_unlink(self->dev, name));
	EXPECT_EQ(-ENOENT, tring_open(self->dev, name, KIPC_ROLE_PRODUCER, 0));
	/* The name is free again; the old ring lives on through its fd. */
	fd2 = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER, name, 0600, 0);
	EXPECT_LE(0, fd2);
	EXPECT_EQ(0, tring_unlink(self->dev, name));
	close(fd2);
	close(fd);

	/* Exactly KIPC_NAME_MAX bytes is fine, one more is not. */
	memset(longname, 'a', KIPC_NAME_MAX);
	longname[KIPC_NAME_MAX] = 0;
	snprintf(longname, 12, "rt%08d", (int)getpid());
	longname[10] = 'a';
	fd = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER, longname, 0600, 0);
	EXPECT_LE(0, fd);
	EXPECT_EQ(0, tring_unlink(self->dev, longname));
	close(fd);
	longname[KIPC_NAME_MAX] = 'a';
	longname[KIPC_NAME_MAX + 1] = 0;
	EXPECT_EQ(-EINVAL, tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER,
					longname, 0600, 0));
	EXPECT_EQ(-EINVAL, tring_open(self->dev, longname, KIPC_ROLE_CONSUMER, 0));
	EXPECT_EQ(-EINVAL, tring_unlink(self->dev, longname));

	{
		const char *bad[] = { "", "a/b", "/x", ".hidden", "a b", "a\n", "ü" };

		for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			EXPECT_EQ(-EINVAL, tring_create(self->dev, RING_SZ, 0,
							KIPC_ROLE_CONSUMER, bad[i],
							0600, 0)) TH_LOG("name '%s'", bad[i]);
			EXPECT_EQ(-EINVAL, tring_open(self->dev, bad[i],
						      KIPC_ROLE_CONSUMER, 0));
		}
	}

	/* Not NUL-terminated: 80 name bytes, then a fault. */
	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + pg, pg));
	memset(map + pg - 80, 'b', 80);
	EXPECT_EQ(-EINVAL, tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER,
					map + pg - 80, 0600, 0));
	/* Shorter than the limit and running into unmapped memory. */
	EXPECT_EQ(-EFAULT, tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER,
					map + pg - 10, 0600, 0));
	EXPECT_EQ(-EFAULT, tring_open(self->dev, map + pg - 10, KIPC_ROLE_CONSUMER, 0));
	munmap(map, pg);

	/* A ring is not a queue. */
	uname_(name, "t");
	fd = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER, name, 0600, 0);
	ASSERT_LE(0, fd);
	{
		struct kipc_open op;

		memset(&op, 0, sizeof(op));
		op.name = (uintptr_t)name;
		op.type = KIPC_OBJ_QUEUE;
		op.role = KIPC_ROLE_CONSUMER;
		EXPECT_EQ(-ENOENT, xioctl(self->dev, KIPC_IOC_OPEN, &op));
		op.type = KIPC_OBJ_RING;
		op.role = 0;
		EXPECT_EQ(-EINVAL, xioctl(self->dev, KIPC_IOC_OPEN, &op));
		op.role = 8;
		EXPECT_EQ(-EINVAL, xioctl(self->dev, KIPC_IOC_OPEN, &op));
	}
	EXPECT_EQ(0, tring_unlink(self->dev, name));
	close(fd);
}

/* A create that cannot hand out its fd must not leave its name behind. */
TEST_F(ring, name_not_left_on_failure)
{
	char name[64];
	pid_t pid;

	uname_(name, "emfile");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rlimit rl = { 0, 0 };
		int ret;

		/* Every fd number is taken: publishing the fd fails. */
		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(100);
		ret = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER,
				   name, 0600, 0);
		_exit(ret == -EMFILE ? 0 : 101);
	}
	EXPECT_EQ(0, child_status(pid));
	EXPECT_EQ(-ENOENT, tring_open(self->dev, name, KIPC_ROLE_CONSUMER, 0));
}

TEST_F(ring, open_roles_and_counts)
{
	const struct kipc_ring_layout *info;
	int c, p, p2, pc;

	uname_(self->name, "roles");
	c = tring_create(self->dev, RING_SZ, KIPC_RING_F_MPSC, KIPC_ROLE_CONSUMER,
			 self->name, 0600, 0);
	ASSERT_LE(0, c);
	info = mmap(NULL, page_size(), PROT_READ, MAP_SHARED, c, KIPC_RING_OFF_LAYOUT);
	ASSERT_NE(MAP_FAILED, info);
	EXPECT_EQ(0, info->nr_producers);
	EXPECT_EQ(1, info->nr_consumers);

	p = tring_open(self->dev, self->name, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, p);
	p2 = tring_open(self->dev, self->name, KIPC_ROLE_PRODUCER, KIPC_FD_NONBLOCK);
	ASSERT_LE(0, p2);
	EXPECT_EQ(O_NONBLOCK, fcntl(p2, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(p2, F_GETFD) & FD_CLOEXEC);
	pc = tring_open(self->dev, self->name, KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER, 0);
	ASSERT_LE(0, pc);
	EXPECT_EQ(3, info->nr_producers);
	EXPECT_EQ(2, info->nr_consumers);

	/* A dup is the same fd as far as endpoints go. */
	int d = dup(p);

	close(p);
	EXPECT_EQ(3, info->nr_producers);
	close(d);
	EXPECT_EQ(2, info->nr_producers);
	close(pc);
	EXPECT_EQ(1, info->nr_producers);
	EXPECT_EQ(1, info->nr_consumers);
	EXPECT_EQ(0, info->state);
	close(p2);
	EXPECT_EQ(0, info->nr_producers);
	EXPECT_EQ(KIPC_STATE_NO_PRODUCERS, info->state);
	/* A new producer resumes the stream. */
	p = tring_open(self->dev, self->name, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, p);
	EXPECT_EQ(0, info->state);
	EXPECT_EQ(0, tring_unlink(self->dev, self->name));
	close(c);
	EXPECT_EQ(KIPC_STATE_NO_CONSUMERS, info->state);
	EXPECT_EQ(0, info->nr_consumers);
	close(p);
	EXPECT_EQ(KIPC_STATE_NO_CONSUMERS | KIPC_STATE_NO_PRODUCERS,
		  info->state);
	/* The mapping keeps the page (and ring) alive after the last fd. */
	EXPECT_EQ(KIPC_RING_MAGIC, info->magic);
	munmap((void *)info, page_size());
}

TEST_F(ring, mmap_layout)
{
	struct tring r;
	int fd;

	fd = tring_create(self->dev, RING_SZ, 0,
			  KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER, NULL, 0600, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tring_map(&r, fd, KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER));
	/* Everything starts zeroed. */
	for (size_t i = 0; i < (size_t)page_size(); i++) {
		ASSERT_EQ(0, ((unsigned char *)r.prod)[i]);
		ASSERT_EQ(0, ((unsigned char *)r.cons)[i]);
	}
	for (size_t i = 0; i < 2 * RING_SZ; i++)
		ASSERT_EQ(0, r.data[i]);
	/* The data pages are mapped twice, back to back. */
	for (size_t i = 0; i < RING_SZ; i += 509) {
		r.data[i] = (unsigned char)(i * 3 + 1);
		ASSERT_EQ((unsigned char)(i * 3 + 1), r.data[i + RING_SZ]);
		r.data[RING_SZ + i] = (unsigned char)(i * 5 + 2);
		ASSERT_EQ((unsigned char)(i * 5 + 2), r.data[i]);
	}
	/* A record across the end reads contiguously. */
	memcpy(r.data + RING_SZ - 4, "abcdefgh", 8);
	EXPECT_EQ(0, memcmp(r.data, "efgh", 4));
	tring_unmap(&r);
}

TEST_F(ring, mmap_bad)
{
	long pg = page_size();
	uint64_t msz = pg + 2 * RING_SZ;
	void *p;
	int fd;

	fd = tring_create(self->dev, RING_SZ, 0,
			  KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER, NULL, 0600, 0);
	ASSERT_LE(0, fd);

	/* Wrong offsets. */
	{
		off_t offs[] = { pg, 2 * pg, KIPC_RING_OFF_RING - pg,
				 KIPC_RING_OFF_RING + pg, KIPC_RING_OFF_CONS + pg,
				 3 * KIPC_RING_OFF_RING };

		for (unsigned int i = 0; i < 6; i++) {
			errno = 0;
			EXPECT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, offs[i]));
			EXPECT_EQ(EINVAL, errno);
		}
	}
	/* Wrong lengths. */
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd,
				   KIPC_RING_OFF_LAYOUT));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED,
				   fd, KIPC_RING_OFF_CONS));
	EXPECT_EQ(EINVAL, errno);
	{
		uint64_t lens[] = { pg, msz - pg, msz + pg, 2 * msz };

		for (unsigned int i = 0; i < 4; i++) {
			errno = 0;
			EXPECT_EQ(MAP_FAILED, mmap(NULL, lens[i], PROT_READ | PROT_WRITE,
						   MAP_SHARED, fd, KIPC_RING_OFF_RING));
			EXPECT_EQ(EINVAL, errno);
		}
	}
	/* Private mappings of a shared ring; a writable info page. */
	{
		const struct { size_t len; int prot, flags; off_t off; int err; } bad[] = {
			{ msz, PROT_READ | PROT_WRITE, MAP_PRIVATE, KIPC_RING_OFF_RING, EINVAL },
			{ msz, PROT_READ, MAP_PRIVATE, KIPC_RING_OFF_RING, EINVAL },
			{ pg, PROT_READ, MAP_PRIVATE, KIPC_RING_OFF_LAYOUT, EINVAL },
			{ pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, KIPC_RING_OFF_CONS, EINVAL },
			{ pg, PROT_READ | PROT_WRITE, MAP_SHARED, KIPC_RING_OFF_LAYOUT, EPERM },
			{ pg, PROT_WRITE, MAP_SHARED, KIPC_RING_OFF_LAYOUT, EPERM },
		};

		for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			errno = 0;
			EXPECT_EQ(MAP_FAILED, mmap(NULL, bad[i].len, bad[i].prot,
						   bad[i].flags, fd, bad[i].off));
			EXPECT_EQ(bad[i].err, errno) TH_LOG("case %u", i);
		}
	}
	p = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, KIPC_RING_OFF_LAYOUT);
	ASSERT_NE(MAP_FAILED, p);
	errno = 0;
	EXPECT_EQ(-1, mprotect(p, pg, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	/* No growth through mremap(), in place or moving. */
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mremap(p, pg, 2 * pg, 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mremap(p, pg, 2 * pg, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	munmap(p, pg);

	p = mmap(NULL, msz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, KIPC_RING_OFF_RING);
	ASSERT_NE(MAP_FAILED, p);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mremap(p, msz, msz + pg, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	/* Moving without growing is fine, and the data moves with it. */
	((char *)p)[pg + 3] = 42;
	p = mremap(p, msz, msz, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(42, ((char *)p)[pg + 3 + RING_SZ]);
	/* Partial unmap splits the mapping; the rest still works. */
	EXPECT_EQ(0, munmap(p, pg));
	EXPECT_EQ(42, ((char *)p)[pg + 3]);
	munmap((char *)p + pg, msz - pg);

	/* Read-only ring mapping is allowed (a spectator). */
	p = mmap(NULL, msz, PROT_READ, MAP_SHARED, fd, KIPC_RING_OFF_RING);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, msz);
	close(fd);
}


TEST_F(ring, mmap_shared_with_child)
{
	struct tring r;
	pid_t pid;
	int fd;

	fd = tring_create(self->dev, RING_SZ, 0,
			  KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER, NULL, 0600, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tring_map(&r, fd, KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER));
	r.data[100] = 1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Inherited, not copied: the child writes into the parent's ring. */
		if (r.data[100] != 1 || r.data[RING_SZ + 100] != 1)
			_exit(1);
		r.data[RING_SZ + 200] = 7;
		r.prod->tail = 12345;
		_exit(0);
	}
	ASSERT_EQ(0, child_status(pid));
	EXPECT_EQ(7, r.data[200]);
	EXPECT_EQ(12345, r.prod->tail);
	tring_unmap(&r);
}

/* A mapping outlives the fd, but is no endpoint. */
TEST_F(ring, mapping_is_not_an_endpoint)
{
	struct tring r;
	int c, p;

	uname_(self->name, "map");
	c = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER, self->name, 0600, 0);
	ASSERT_LE(0, c);
	p = tring_open(self->dev, self->name, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, p);
	ASSERT_EQ(0, tring_unlink(self->dev, self->name));
	ASSERT_EQ(0, tring_map(&r, p, KIPC_ROLE_PRODUCER));
	r.fd = -1;
	close(p);
	EXPECT_EQ(0, r.info->nr_producers);
	EXPECT_EQ(KIPC_STATE_NO_PRODUCERS, r.info->state);
	EXPECT_EQ(TRING_HUP, tring_wait(c, KIPC_EV_READABLE, 0, 0, 0));
	/* The memory is still there and shared. */
	r.data[5] = 9;
	close(c);
	EXPECT_EQ(9, r.data[RING_SZ + 5]);
	tring_unmap(&r);
}

TEST_F(ring, ring_fd_misc_ops)
{
	char buf[16];
	int fd;

	fd = tring_create(self->dev, RING_SZ, 0,
			  KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER, NULL, 0600, 0);
	ASSERT_LE(0, fd);
	errno = 0;
	EXPECT_EQ(-1, read(fd, buf, 1));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, write(fd, buf, 1));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-ENOTTY, xioctl(fd, _IO(KIPC_IOC_MAGIC, 0x12), buf));
	EXPECT_EQ(-ENOTTY, xioctl(fd, KIPC_IOC_GET_INFO, buf));
	EXPECT_EQ(-ENOTTY, xioctl(fd, KIPC_IOC_RING_CREATE, buf));
	/* Ring ioctls on /dev/kipc are not ring ioctls. */
	EXPECT_EQ(-ENOTTY, xioctl(self->dev, KIPC_RING_IOC_WAIT, buf));
	close(fd);
}

TEST_F(ring, wait_wake_bad_args)
{
	struct kipc_ring_wait w;
	struct kipc_ring_wake wk;
	long pg = page_size();
	int both, prod, cons;
	char *map;

	uname_(self->name, "wbad");
	both = tring_create(self->dev, RING_SZ, 0,
			    KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER, self->name, 0600, 0);
	ASSERT_LE(0, both);
	prod = tring_open(self->dev, self->name, KIPC_ROLE_PRODUCER, 0);
	cons = tring_open(self->dev, self->name, KIPC_ROLE_CONSUMER, 0);
	ASSERT_LE(0, prod);
	ASSERT_LE(0, cons);
	ASSERT_EQ(0, tring_unlink(self->dev, self->name));

	{
		uint32_t events[] = { 0, 3, 4, 0x100, ~0U };

		for (unsigned int i = 0; i < 5; i++) {
			EXPECT_EQ(-EINVAL, tring_wait(both, events[i], 1, 0, 0));
			EXPECT_EQ(-EINVAL, tring_wake(both, events[i]));
		}
	}
	for (int bit = 2; bit < 32; bit++)
		EXPECT_EQ(-EINVAL, tring_wait(both, KIPC_EV_READABLE, 1, 0, 1U << bit));
	EXPECT_EQ(-EINVAL, tring_wait(both, KIPC_EV_READABLE, 1, 1ULL << 63, 0));
	EXPECT_EQ(-EINVAL, tring_wait(both, KIPC_EV_READABLE, 1, ~0ULL, 0));
	EXPECT_EQ(-EINVAL, tring_wait(both, KIPC_EV_READABLE, 1, ~0ULL,
				      KIPC_WAIT_REALTIME));
	memset(&w, 0, sizeof(w));
	w.event = KIPC_EV_READABLE;
	w.seq = 1;
	w.state = 1;	/* in: must be zero */
	EXPECT_EQ(-EINVAL, xioctl(both, KIPC_RING_IOC_WAIT, &w));
	for (int i = 0; i < 2; i++) {
		memset(&w, 0, sizeof(w));
		w.event = KIPC_EV_READABLE;
		w.seq = 1;
		w.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, xioctl(both, KIPC_RING_IOC_WAIT, &w));
	}
	memset(&wk, 0, sizeof(wk));
	wk.event = KIPC_EV_READABLE;
	wk.flags = 1;
	EXPECT_EQ(-EINVAL, xioctl(both, KIPC_RING_IOC_WAKE, &wk));
	wk.flags = 0;
	wk.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, xioctl(both, KIPC_RING_IOC_WAKE, &wk));
	for (unsigned int sz = 0; sz < sizeof(w); sz += 8)
		EXPECT_EQ(-ENOTTY, xioctl(both, WAIT_SZ(sz), &w));

	/* The role must fit the event: consumers wait for data ... */
	EXPECT_EQ(-EBADF, tring_wait(prod, KIPC_EV_READABLE, 1, 0, 0));
	EXPECT_EQ(-EBADF, tring_wait(cons, KIPC_EV_WRITABLE, 1, 0, 0));
	/* ... and wake producers; producers wake consumers. */
	EXPECT_EQ(-EBADF, tring_wake(prod, KIPC_EV_WRITABLE));
	EXPECT_EQ(-EBADF, tring_wake(cons, KIPC_EV_READABLE));
	EXPECT_EQ(0, tring_wake(prod, KIPC_EV_READABLE));
	EXPECT_EQ(0, tring_wake(cons, KIPC_EV_WRITABLE));
	EXPECT_EQ(0, tring_wake(both, KIPC_EV_READABLE));
	EXPECT_EQ(0, tring_wake(both, KIPC_EV_WRITABLE));

	/* Bad argument pointers. */
	EXPECT_EQ(-EFAULT, xioctl(both, KIPC_RING_IOC_WAIT, NULL));
	EXPECT_EQ(-EFAULT, xioctl(both, KIPC_RING_IOC_WAKE, NULL));
	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + pg, pg));
	EXPECT_EQ(-EFAULT, xioctl(both, KIPC_RING_IOC_WAIT, map + pg - 8));
	EXPECT_EQ(-EFAULT, xioctl(both, KIPC_RING_IOC_WAKE, map + pg));
	EXPECT_EQ(-EFAULT, xioctl(both, KIPC_RING_IOC_WAIT, (void *)0xffffffff81000000UL));
	munmap(map, pg);
	close(prod);
	close(cons);
	close(both);
}

TEST_F(ring, wait_returns_at_once_and_times_out)
{
	struct tring r;
	uint64_t t0, dl;
	int fd, nb;

	uname_(self->name, "wto");
	fd = tring_create(self->dev, RING_SZ, 0,
			  KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER, self->name, 0600, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tring_map(&r, fd, KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER));

	/* The count already moved: no sleep, no timeout needed. */
	r.prod->read_seq = 5;
	r.cons->write_seq = 9;
	EXPECT_EQ(0, tring_wait(fd, KIPC_EV_READABLE, 4, 0, 0));
	EXPECT_EQ(0, tring_wait(fd, KIPC_EV_WRITABLE, 0xffffffff, 0, 0));

	/* Monotonic deadline. */
	t0 = tring_now_ns(CLOCK_MONOTONIC);
	dl = t0 + 50 * 1000000ULL;
	EXPECT_EQ(-ETIMEDOUT, tring_wait(fd, KIPC_EV_READABLE, 5, dl, 0));
	EXPECT_LE(dl, tring_now_ns(CLOCK_MONOTONIC));
	EXPECT_EQ(-ETIMEDOUT, tring_wait(fd, KIPC_EV_WRITABLE, 9,
					 tring_deadline_ms(20), 0));
	/* Realtime deadline. */
	dl = tring_now_ns(CLOCK_REALTIME) + 50 * 1000000ULL;
	EXPECT_EQ(-ETIMEDOUT, tring_wait(fd, KIPC_EV_READABLE, 5, dl,
					 KIPC_WAIT_REALTIME));
	EXPECT_LE(dl, tring_now_ns(CLOCK_REALTIME));
	/* Deadlines in the past. */
	EXPECT_EQ(-ETIMEDOUT, tring_wait(fd, KIPC_EV_READABLE, 5, 1, 0));
	EXPECT_EQ(-ETIMEDOUT, tring_wait(fd, KIPC_EV_READABLE, 5,
					 tring_now_ns(CLOCK_MONOTONIC), 0));
	EXPECT_EQ(-ETIMEDOUT, tring_wait(fd, KIPC_EV_READABLE, 5, 1,
					 KIPC_WAIT_REALTIME));
	/* A largest-possible deadline is valid (and far away). */
	EXPECT_EQ(0, tring_wait(fd, KIPC_EV_READABLE, 4, (1ULL << 63) - 1, 0));

	/* Non-blocking fds never sleep. */
	nb = tring_open(self->dev, self->name, KIPC_ROLE_CONSUMER, KIPC_FD_NONBLOCK);
	ASSERT_LE(0, nb);
	EXPECT_EQ(-EAGAIN, tring_wait(nb, KIPC_EV_READABLE, 5, 0, 0));
	EXPECT_EQ(0, tring_wait(nb, KIPC_EV_READABLE, 4, 0, 0));
	close(nb);
	EXPECT_EQ(0, tring_unlink(self->dev, self->name));
	tring_unmap(&r);
}

/* Two fds on one ring, each in its own file: a producer and a consumer. */
static void make_pair(struct __test_metadata *_metadata, int dev, uint64_t size,
		      uint32_t flags, int *prod, int *cons)
{
	char name[64];

	uname_(name, "pair");
	*cons = tring_create(dev, size, flags, KIPC_ROLE_CONSUMER, name, 0600, 0);
	ASSERT_LE(0, *cons);
	*prod = tring_open(dev, name, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, *prod);
	ASSERT_EQ(0, tring_unlink(dev, name));
}

TEST_F_TIMEOUT(ring, empty_ring_blocks_consumer, 120)
{
	struct tring p;
	uint64_t pos;
	int pfd, cfd;
	pid_t pid;
	void *pl;

	make_pair(_metadata, self->dev, RING_SZ, 0, &pfd, &cfd);
	ASSERT_EQ(0, tring_map(&p, pfd, KIPC_ROLE_PRODUCER));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct tring c;
		const void *rec;
		uint32_t len;

		close(pfd);
		if (tring_map(&c, cfd, KIPC_ROLE_CONSUMER))
			_exit(1);
		if (tring_peek_wait(&c, &rec, &len, 0))
			_exit(2);
		if (len != 3 || memcmp(rec, "abc", 3) || c.nr_waits < 1)
			_exit(3);
		tring_consume(&c, len);
		/* Then end of stream once the producer is gone. */
		if (tring_peek_wait(&c, &rec, &len, 0) != -ENODATA)
			_exit(4);
		_exit(0);
	}
	close(cfd);
	/* The child is asleep in WAIT, not spinning and not done. */
	await_waiters(pfd, 1);
	EXPECT_EQ(KIPC_ANNOUNCE(p.prod->read_seq), p.cons->read_announce);
	pl = tring_reserve(&p, 3, &pos);
	ASSERT_NE(NULL, pl);
	memcpy(pl, "abc", 3);
	tring_commit(&p, pos, 3);
	EXPECT_EQ(1, p.nr_wakes);
	await_waiters(pfd, 1);
	tring_unmap(&p);
	EXPECT_EQ(0, child_status(pid));
}

TEST_F_TIMEOUT(ring, full_ring_blocks_producer, 120)
{
	struct tring c;
	const void *rec;
	uint32_t len, max;
	int pfd, cfd, n;
	pid_t pid;

	make_pair(_metadata, self->dev, RING_SZ, 0, &pfd, &cfd);
	ASSERT_EQ(0, tring_map(&c, cfd, KIPC_ROLE_CONSUMER));
	max = c.max_record;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct tring p;
		uint64_t pos;
		void *pl;

		close(cfd);
		if (tring_map(&p, pfd, KIPC_ROLE_PRODUCER))
			_exit(1);
		/* Fill the ring with 4 records of a quarter each. */
		for (int i = 0; i < 4; i++) {
			pl = tring_reserve(&p, RING_SZ / 4 - 8, &pos);
			if (!pl)
				_exit(2);
			memset(pl, i, RING_SZ / 4 - 8);
			tring_commit(&p, pos, RING_SZ / 4 - 8);
		}
		if (tring_reserve(&p, 1, &pos))
			_exit(3);
		/* Blocks until the consumer frees a quarter. */
		if (tring_reserve_wait(&p, 100, &pl, &pos, 0))
			_exit(4);
		if (p.nr_waits < 1)
			_exit(5);
		memset(pl, 0xee, 100);
		tring_commit(&p, pos, 100);
		/* Fill what is left, then wait for room that never comes. */
		while ((pl = tring_reserve(&p, 1000, &pos)))
			tring_commit(&p, pos, 1000);
		/* The consumer leaves: -EPIPE instead of room. */
		if (tring_reserve_wait(&p, max, &pl, &pos, 0) != -EPIPE)
			_exit(6);
		_exit(0);
	}
	close(pfd);
	await_waiters(cfd, 1);
	EXPECT_EQ(KIPC_ANNOUNCE(c.cons->write_seq), c.prod->write_announce);
	ASSERT_EQ(0, tring_peek_wait(&c, &rec, &len, 0));
	EXPECT_EQ(RING_SZ / 4 - 8, len);
	tring_consume(&c, len);
	EXPECT_EQ(1, c.nr_wakes);
	n = 0;
	/* Drain the rest: 3 quarters and the late record. */
	while (n < 4) {
		ASSERT_EQ(0, tring_peek_wait(&c, &rec, &len, tring_deadline_ms(60000)));
		tring_consume(&c, len);
		n++;
	}
	EXPECT_EQ(100, len);
	EXPECT_EQ(0xee, ((const unsigned char *)rec)[99]);
	/* The producer now waits for room for a maximal record. */
	await_waiters(cfd, 1);
	tring_unmap(&c);
	EXPECT_EQ(0, child_status(pid));
}

static volatile sig_atomic_t nr_signals;
static int *volatile handler_ran;

static void on_signal(int sig)
{
	(void)sig;
	nr_signals++;
	if (handler_ran)
		__atomic_store_n(handler_ran, 1, __ATOMIC_SEQ_CST);
}

TEST_F_TIMEOUT(ring, signal_interrupts_wait, 120)
{
	int *shared;
	int pfd, cfd;
	pid_t pid;

	shared = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared);
	make_pair(_metadata, self->dev, RING_SZ, 0, &pfd, &cfd);

	/* Without SA_RESTART: -EINTR. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_signal };

		sigaction(SIGUSR1, &sa, NULL);
		_exit(tring_wait(cfd, KIPC_EV_READABLE, 0, 0, 0) == -EINTR &&
		      nr_signals == 1 ? 0 : 1);
	}
	await_waiters(pfd, 1);
	kill(pid, SIGUSR1);
	EXPECT_EQ(0, child_status(pid));

	/* With SA_RESTART: the WAIT goes on, and ends on a wake-up. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
		int ret;

		handler_ran = &shared[0];
		sigaction(SIGUSR1, &sa, NULL);
		ret = tring_wait(cfd, KIPC_EV_READABLE, 0, tring_deadline_ms(600000), 0);
		shared[1] = nr_signals;
		_exit(ret == 0 ? 0 : 1);
	}
	await_waiters(pfd, 1);
	kill(pid, SIGUSR1);
	/*
	 * The WAIT left the wait queue before the handler ran, so once the
	 * handler has run, a sleeper again means the WAIT was restarted.
	 */
	while (!__atomic_load_n(&shared[0], __ATOMIC_SEQ_CST))
		usleep(1000);
	await_waiters(pfd, 1);
	{
		struct tring p;

		ASSERT_EQ(0, tring_map(&p, pfd, KIPC_ROLE_PRODUCER));
		__atomic_fetch_add(&p.prod->read_seq, 1, __ATOMIC_SEQ_CST);
		EXPECT_EQ(0, tring_wake(pfd, KIPC_EV_READABLE));
		EXPECT_EQ(0, child_status(pid));
		EXPECT_EQ(1, shared[1]);
		pfd = -1;
		tring_unmap(&p);
	}
	close(cfd);
	munmap(shared, page_size());
}

TEST_F_TIMEOUT(ring, hangup_both_ways, 120)
{
	struct pollfd pfds[2];
	struct tring c;
	uint64_t pos;
	int pfd, cfd;
	pid_t pid;

	make_pair(_metadata, self->dev, RING_SZ, 0, &pfd, &cfd);
	ASSERT_EQ(0, tring_map(&c, cfd, KIPC_ROLE_CONSUMER));
	/* No producer ever left: a consumer just waits (here, times out). */
	EXPECT_EQ(-ETIMEDOUT, tring_wait(cfd, KIPC_EV_READABLE, c.prod->read_seq,
					 tring_deadline_ms(10), 0));

	/* The producer writes one record and dies; a sleeper sees the end. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct tring p;
		void *pl;

		close(cfd);
		if (tring_map(&p, pfd, KIPC_ROLE_PRODUCER))
			_exit(1);
		await_waiters(pfd, 1);
		pl = tring_reserve(&p, 5, &pos);
		memcpy(pl, "last!", 5);
		tring_commit(&p, pos, 5);
		_exit(0);	/* no close(): exit releases it */
	}
	close(pfd);
	{
		uint32_t seq = c.prod->read_seq;
		int ret;

		/* Woken by the record or by the hang-up, whichever it sees. */
		ret = tring_wait(cfd, KIPC_EV_READABLE, seq, 0, 0);
		EXPECT_TRUE(ret == 0 || ret == TRING_HUP);
	}
	EXPECT_EQ(0, child_status(pid));
	EXPECT_EQ(TRING_HUP, tring_wait(cfd, KIPC_EV_READABLE, c.prod->read_seq, 0, 0));
	EXPECT_EQ(KIPC_STATE_NO_PRODUCERS, c.info->state);
	pfds[0].fd = cfd;
	pfds[0].events = POLLIN;
	EXPECT_EQ(1, poll(pfds, 1, 0));
	EXPECT_EQ(POLLIN | POLLHUP, pfds[0].revents);
	{
		const void *rec;
		uint32_t len;

		ASSERT_EQ(0, tring_peek_wait(&c, &rec, &len, 0));
		EXPECT_EQ(5, len);
		EXPECT_EQ(0, memcmp(rec, "last!", 5));
		tring_consume(&c, len);
		EXPECT_EQ(-ENODATA, tring_peek_wait(&c, &rec, &len, 0));
	}
	EXPECT_EQ(1, poll(pfds, 1, 0));
	EXPECT_EQ(POLLHUP, pfds[0].revents);
	tring_unmap(&c);

	/* And the other way: the consumer goes, WAIT for room is -EPIPE. */
	make_pair(_metadata, self->dev, RING_SZ, 0, &pfd, &cfd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(pfd);
		await_waiters(cfd, 1);
		_exit(0);
	}
	close(cfd);
	EXPECT_EQ(-EPIPE, tring_wait(pfd, KIPC_EV_WRITABLE, 0, 0, 0));
	EXPECT_EQ(0, child_status(pid));
	EXPECT_EQ(-EPIPE, tring_wait(pfd, KIPC_EV_WRITABLE, 0, 0, 0));
	pfds[1].fd = pfd;
	pfds[1].events = POLLOUT;
	EXPECT_EQ(1, poll(&pfds[1], 1, 0));
	EXPECT_EQ(POLLOUT | POLLHUP, pfds[1].revents);
	close(pfd);
}

/*
 * Rights follow roles: a producer fd maps the RING part writable and the
 * CONS page only read-only, a consumer fd the other way round, and a
 * read-only mapping of the other side's part cannot be upgraded.
 */
TEST_F(ring, mmap_rights_follow_roles)
{
	long pg = page_size();
	uint64_t msz = pg + 2 * RING_SZ;
	int pf, cf;

	make_pair(_metadata, self->dev, RING_SZ, 0, &pf, &cf);
	{
		const struct { int fd; size_t len; off_t off; bool writer; } c[] = {
			{ pf, msz, KIPC_RING_OFF_RING, true },
			{ pf, pg, KIPC_RING_OFF_CONS, false },
			{ cf, msz, KIPC_RING_OFF_RING, false },
			{ cf, pg, KIPC_RING_OFF_CONS, true },
		};

		for (unsigned int i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			void *p;

			errno = 0;
			p = mmap(NULL, c[i].len, PROT_READ | PROT_WRITE, MAP_SHARED,
				 c[i].fd, c[i].off);
			if (c[i].writer) {
				EXPECT_NE(MAP_FAILED, p) TH_LOG("case %u", i);
				if (p != MAP_FAILED)
					munmap(p, c[i].len);
				continue;
			}
			EXPECT_EQ(MAP_FAILED, p) TH_LOG("case %u", i);
			EXPECT_EQ(EACCES, errno) TH_LOG("case %u", i);
			errno = 0;
			EXPECT_EQ(MAP_FAILED, mmap(NULL, c[i].len, PROT_WRITE, MAP_SHARED,
						   c[i].fd, c[i].off));
			EXPECT_EQ(EACCES, errno) TH_LOG("case %u", i);
			p = mmap(NULL, c[i].len, PROT_READ, MAP_SHARED, c[i].fd, c[i].off);
			ASSERT_NE(MAP_FAILED, p) TH_LOG("case %u", i);
			errno = 0;
			EXPECT_EQ(-1, mprotect(p, c[i].len, PROT_READ | PROT_WRITE));
			EXPECT_EQ(EACCES, errno) TH_LOG("case %u", i);
			munmap(p, c[i].len);
		}
	}
	close(pf);
	close(cf);
}

TEST_F(ring, poll_announces)
{
	struct pollfd pfd;
	struct tring p, c;
	uint64_t pos;
	int pf, cf;
	void *pl;

	make_pair(_metadata, self->dev, 4 * KB, 0, &pf, &cf);
	ASSERT_EQ(0, tring_map(&p, pf, KIPC_ROLE_PRODUCER));
	ASSERT_EQ(0, tring_map(&c, cf, KIPC_ROLE_CONSUMER));

	pfd.fd = cf;
	pfd.events = POLLIN;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(KIPC_ANNOUNCE(c.prod->read_seq), c.cons->read_announce);
	pfd.fd = pf;
	pfd.events = POLLOUT;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	EXPECT_EQ(0, p.prod->write_announce);

	/* The producer sees the flag and wakes. */
	pl = tring_reserve(&p, 10, &pos);
	ASSERT_NE(NULL, pl);
	tring_commit(&p, pos, 10);
	EXPECT_EQ(1, p.nr_wakes);
	/* Stale now: the count moved past the announced one. */
	EXPECT_NE(KIPC_ANNOUNCE(c.prod->read_seq), c.cons->read_announce);
	pfd.fd = cf;
	pfd.events = POLLIN;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN, pfd.revents);

	/* Fill up: no POLLOUT, and the write flag is armed. */
	while ((pl = tring_reserve(&p, 10, &pos)))
		tring_commit(&p, pos, 10);
	EXPECT_EQ(4 * KB - 16, p.prod->tail - p.cons->head);
	pfd.fd = pf;
	pfd.events = POLLOUT;
	EXPECT_EQ(1, poll(&pfd, 1, 0));	/* 16 bytes free: one small record */
	ASSERT_NE(NULL, tring_reserve(&p, 8, &pos));
	tring_commit(&p, pos, 8);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(KIPC_ANNOUNCE(p.cons->write_seq), p.prod->write_announce);
	tring_unmap(&p);
	tring_unmap(&c);

	/* Garbage positions are harmless: tail behind head is "full". */
	make_pair(_metadata, self->dev, 4 * KB, 0, &pf, &cf);
	ASSERT_EQ(0, tring_map(&p, pf, KIPC_ROLE_PRODUCER));
	ASSERT_EQ(0, tring_map(&c, cf, KIPC_ROLE_CONSUMER));
	c.cons->head = 1000;
	p.prod->tail = 10;
	pfd.fd = pf;
	pfd.events = POLLOUT;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	pfd.fd = cf;
	pfd.events = POLLIN;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	c.cons->head = ~0ULL - 3;
	p.prod->tail = 1ULL << 62;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	/* The kernel's own report clamps what the peers wrote. */
	EXPECT_LE(0, tobj_fdinfo(cf, "used"));
	EXPECT_GE(4 * KB, tobj_fdinfo(cf, "used"));
	tring_unmap(&c);
	tring_unmap(&p);
}

TEST_F(ring, poll_lowat_and_mpsc_commit)
{
	struct pollfd pfd;
	struct tring p, c;
	const void *rec;
	uint64_t pos, pos2;
	uint32_t len;
	int pf, cf;
	void *pl;

	/* EPOLLOUT only with lowat bytes free. */
	{
		char name[64];

		uname_(name, "lowat");
		struct kipc_ring_create rc;

		create_args(&rc, 4 * KB, KIPC_ROLE_CONSUMER);
		rc.obj.name = (uintptr_t)name;
		rc.lowat = 2048;
		cf = xioctl(self->dev, KIPC_IOC_RING_CREATE, &rc);
		ASSERT_LE(0, cf);
		pf = tring_open(self->dev, name, KIPC_ROLE_PRODUCER, 0);
		ASSERT_LE(0, pf);
		ASSERT_EQ(0, tring_unlink(self->dev, name));
	}
	ASSERT_EQ(0, tring_map(&p, pf, KIPC_ROLE_PRODUCER));
	ASSERT_EQ(0, tring_map(&c, cf, KIPC_ROLE_CONSUMER));
	pl = tring_reserve(&p, 2048 - 8, &pos);
	ASSERT_NE(NULL, pl);
	tring_commit(&p, pos, 2048 - 8);
	pfd.fd = pf;
	pfd.events = POLLOUT;
	EXPECT_EQ(1, poll(&pfd, 1, 0));		/* exactly 2048 free */
	pl = tring_reserve(&p, 1, &pos);
	tring_commit(&p, pos, 1);
	EXPECT_EQ(0, poll(&pfd, 1, 0));		/* 2032 free */
	ASSERT_EQ(1, tring_peek(&c, &rec, &len));
	tring_consume(&c, len);
	EXPECT_EQ(1, c.nr_wakes);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	tring_unmap(&p);
	tring_unmap(&c);

	/* MPSC: a reservation is not data until it is committed. */
	make_pair(_metadata, self->dev, 4 * KB, KIPC_RING_F_MPSC, &pf, &cf);
	ASSERT_EQ(0, tring_map(&p, pf, KIPC_ROLE_PRODUCER));
	ASSERT_EQ(0, tring_map(&c, cf, KIPC_ROLE_CONSUMER));
	pl = tring_reserve(&p, 30, &pos);
	ASSERT_NE(NULL, pl);
	memset(pl, 1, 30);
	ASSERT_NE(NULL, tring_reserve(&p, 30, &pos2));
	tring_commit(&p, pos2, 30);		/* the second one first */
	pfd.fd = cf;
	pfd.events = POLLIN;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, tring_peek(&c, &rec, &len));
	tring_commit(&p, pos, 30);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(1, tring_peek(&c, &rec, &len));
	tring_consume(&c, len);
	ASSERT_EQ(1, tring_peek(&c, &rec, &len));
	tring_consume(&c, len);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	/*
	 * The consumer never writes the data area (it cannot: its mapping
	 * is read-only): consumed records stay, and only their tags tell
	 * them from the next lap's.
	 */
	EXPECT_EQ(1, c.data[sizeof(struct kipc_rec_hdr)]);
	tring_unmap(&p);
	tring_unmap(&c);
}

TEST_F_TIMEOUT(ring, epoll_level_triggered, 120)
{
	struct epoll_event ev;
	struct tring c;
	const void *rec;
	uint32_t len;
	int pf, cf, ep, go;
	pid_t pid;

	make_pair(_metadata, self->dev, 4 * KB, 0, &pf, &cf);
	ASSERT_EQ(0, tring_map(&c, cf, KIPC_ROLE_CONSUMER));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev.events = EPOLLIN;
	ev.data.u32 = 7;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, cf, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	EXPECT_EQ(KIPC_ANNOUNCE(c.prod->read_seq), c.cons->read_announce);

	pid = tring_spawn_sender(pf, cf, &go, "12345678");
	ASSERT_LE(0, pid);
	close(pf);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(1, write(go, "x", 1));
		/* Only a WAKE can put the fd on epoll's ready list. */
		ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 60000));
		EXPECT_EQ(EPOLLIN, ev.events);
		EXPECT_EQ(7, ev.data.u32);
		/* Level-triggered: still reported until consumed. */
		ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 0));
		ASSERT_EQ(1, tring_peek(&c, &rec, &len));
		tring_consume(&c, len);
		EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	}
	/* Hang-up. */
	close(go);
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 60000));
	EXPECT_EQ(EPOLLHUP, ev.events);
	EXPECT_EQ(0, child_status(pid));
	close(ep);
	tring_unmap(&c);
}

TEST_F_TIMEOUT(ring, epoll_edge_triggered, 120)
{
	struct epoll_event ev;
	struct tring c, p;
	const void *rec;
	uint32_t len;
	int pf, cf, ep, go;
	pid_t pid;

	make_pair(_metadata, self->dev, 4 * KB, 0, &pf, &cf);
	ASSERT_EQ(0, tring_map(&c, cf, KIPC_ROLE_CONSUMER));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u32 = 9;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, cf, &ev));

	pid = tring_spawn_sender(pf, cf, &go, "12345678");
	ASSERT_LE(0, pid);
	close(pf);
	for (int i = 0; i < 3; i++) {
		/*
		 * Edge-triggered epoll does not call poll again: announce
		 * before sleeping, exactly as before WAIT.
		 */
		__atomic_store_n(&c.cons->read_announce,
				 KIPC_ANNOUNCE(__atomic_load_n(&c.prod->read_seq,
							       __ATOMIC_ACQUIRE)),
				 __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (tring_peek(&c, &rec, &len) == 0) {
			ASSERT_EQ(1, write(go, "x", 1));
			ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 60000));
			EXPECT_EQ(EPOLLIN, ev.events);
			EXPECT_EQ(9, ev.data.u32);
		}
		/* The edge is spent even though data is there. */
		EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
		ASSERT_EQ(1, tring_peek(&c, &rec, &len));
		tring_consume(&c, len);
	}
	close(go);
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 60000));
	EXPECT_TRUE(ev.events & EPOLLHUP);
	EXPECT_EQ(0, child_status(pid));
	close(ep);
	tring_unmap(&c);

	/* EPOLLOUT edge when a full ring gets room. */
	make_pair(_metadata, self->dev, 4 * KB, 0, &pf, &cf);
	ASSERT_EQ(0, tring_map(&p, pf, KIPC_ROLE_PRODUCER));
	ASSERT_EQ(0, tring_map(&c, cf, KIPC_ROLE_CONSUMER));
	{
		uint64_t pos;

		while (tring_reserve(&p, 100, &pos))
			tring_commit(&p, pos, 100);
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev.events = EPOLLOUT | EPOLLET;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, pf, &ev));
	EXPECT_EQ(1, epoll_wait(ep, &ev, 1, 0));	/* some room: < 100, >= 16 */
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	/* The producer announces before it sleeps in epoll_wait(). */
	__atomic_store_n(&p.prod->write_announce,
			 KIPC_ANNOUNCE(__atomic_load_n(&p.cons->write_seq,
						       __ATOMIC_ACQUIRE)),
			 __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	{
		uint64_t pos;

		ASSERT_EQ(NULL, tring_reserve(&p, 100, &pos));
	}
	ASSERT_EQ(1, tring_peek(&c, &rec, &len));
	tring_consume(&c, len);				/* wakes: flag was armed */
	EXPECT_EQ(1, c.nr_wakes);
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 0));
	EXPECT_EQ(EPOLLOUT, ev.events);
	close(ep);
	tring_unmap(&p);
	tring_unmap(&c);
}

TEST_F(ring, info_and_list)
{
	struct kipc_obj_entry *e, *ents;
	struct kipc_obj_head h;
	struct kipc_list ls;
	long long id;
	int p, c;

	uname_(self->name, "info");
	c = tring_create(self->dev, RING_SZ, KIPC_RING_F_MPSC, KIPC_ROLE_CONSUMER,
			 self->name, 0640, 0);
	ASSERT_LE(0, c);
	p = tring_open(self->dev, self->name, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, p);

	EXPECT_EQ(RING_SZ, tobj_info(c, "data-size"));
	EXPECT_EQ(1, tobj_info(c, "producers"));
	EXPECT_EQ(1, tobj_info(c, "consumers"));
	EXPECT_EQ(0, tobj_info(c, "waiters"));
	EXPECT_EQ(0, tobj_info(c, "head"));
	EXPECT_EQ(0, tobj_info(c, "tail"));
	EXPECT_EQ(KIPC_RING_F_MPSC, tobj_info(c, "ring-flags"));
	EXPECT_EQ(KIPC_ROLE_CONSUMER, tobj_info(c, "role"));
	EXPECT_EQ(KIPC_ROLE_PRODUCER, tobj_info(p, "role"));
	ASSERT_EQ(0, tobj_head(p, &h));
	EXPECT_STREQ(self->name, h.name);
	id = tobj_info(c, "kipc-id");
	EXPECT_LT(0, id);
	EXPECT_EQ(id, tobj_info(p, "kipc-id"));

	ents = calloc(1024, sizeof(*ents));
	ASSERT_NE(NULL, ents);
	memset(ents, 0xa5, 1024 * sizeof(*ents));	/* poisoned */
	memset(&ls, 0, sizeof(ls));
	ls.entries = (uintptr_t)ents;
	ls.nr_entries = 1024;
	ASSERT_EQ(0, xioctl(self->dev, KIPC_IOC_LIST, &ls));
	e = NULL;
	for (unsigned int i = 0; i < ls.nr_entries; i++)
		if (ents[i].obj.id == (uint64_t)id)
			e = &ents[i];
	ASSERT_NE(NULL, e);
	EXPECT_EQ(KIPC_OBJ_RING, e->obj.type);
	EXPECT_EQ(0, e->obj.role);
	EXPECT_EQ(0640, e->obj.mode);
	EXPECT_EQ(0, e->obj.state);
	EXPECT_EQ(1, e->obj.nr_producers);
	EXPECT_EQ(1, e->obj.nr_consumers);
	EXPECT_EQ(RING_SZ, e->size);
	EXPECT_EQ(0, e->used);
	EXPECT_EQ(0, e->count);
	EXPECT_EQ(KIPC_RING_F_MPSC, e->flags);
	EXPECT_EQ(0, e->obj.read_waiters);
	EXPECT_EQ(0, e->obj.write_waiters);
	EXPECT_STREQ(self->name, e->obj.name);
	for (size_t k = strlen(e->obj.name); k < sizeof(e->obj.name); k++)
		EXPECT_EQ(0, e->obj.name[k]);
	EXPECT_EQ(0, e->obj.reserved[0]);
	EXPECT_EQ(0, e->obj.reserved[1]);
	EXPECT_EQ(0, e->reserved0);
	EXPECT_EQ(0, e->reserved[0]);
	EXPECT_EQ(0, e->reserved[1]);

	EXPECT_EQ(0, tring_unlink(self->dev, self->name));
	ASSERT_EQ(0, tobj_head(p, &h));
	EXPECT_STREQ("", h.name);
	close(p);
	EXPECT_EQ(0, tobj_info(c, "producers"));
	EXPECT_EQ(KIPC_STATE_NO_PRODUCERS, tobj_info(c, "state"));
	free(ents);
	close(c);
}

static int write_param(const char *name, const char *val, char *old, size_t n)
{
	char path[128];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/kipc/parameters/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (old) {
		r = read(fd, old, n - 1);
		if (r <= 0) {
			close(fd);
			return -EIO;
		}
		old[r] = 0;
		lseek(fd, 0, SEEK_SET);
	}
	r = write(fd, val, strlen(val));
	close(fd);
	return r < 0 ? -errno : 0;
}

TEST_F(ring, limits)
{
	char old_max[64], old_user[64];
	struct kipc_info info;
	int fd;

	if (geteuid() != 0 || write_param("max_ring_size", "8192", old_max, sizeof(old_max)))
		SKIP(return, "needs root and the kipc module parameters");

	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, xioctl(self->dev, KIPC_IOC_GET_INFO, &info));
	EXPECT_EQ(8192, info.max_ring_size);
	EXPECT_EQ(-E2BIG, tring_create(self->dev, 16384, 0, KIPC_ROLE_CONSUMER, NULL, 0600, 0));
	fd = tring_create(self->dev, 8192, 0, KIPC_ROLE_CONSUMER, NULL, 0600, 0);
	EXPECT_LE(0, fd);
	close(fd);
	/* Not a power of two: rounded down. */
	ASSERT_EQ(0, write_param("max_ring_size", "12288", NULL, 0));
	ASSERT_EQ(0, xioctl(self->dev, KIPC_IOC_GET_INFO, &info));
	EXPECT_EQ(8192, info.max_ring_size);
	/* Below one page: no ring at all. */
	ASSERT_EQ(0, write_param("max_ring_size", "100", NULL, 0));
	ASSERT_EQ(0, xioctl(self->dev, KIPC_IOC_GET_INFO, &info));
	EXPECT_EQ(0, info.max_ring_size);
	EXPECT_EQ(-E2BIG, tring_create(self->dev, page_size(), 0, KIPC_ROLE_CONSUMER,
				       NULL, 0600, 0));
	ASSERT_EQ(0, write_param("max_ring_size", old_max, NULL, 0));

	/* The per-user total. */
	ASSERT_EQ(0, write_param("max_user_bytes", "65536", old_user, sizeof(old_user)));
	EXPECT_EQ(-ENOSPC, tring_create(self->dev, 64 * KB, 0, KIPC_ROLE_CONSUMER,
					NULL, 0600, 0));
	fd = tring_create(self->dev, 32 * KB, 0, KIPC_ROLE_CONSUMER, NULL, 0600, 0);
	EXPECT_LE(0, fd);
	EXPECT_EQ(-ENOSPC, tring_create(self->dev, 32 * KB, 0, KIPC_ROLE_CONSUMER,
					NULL, 0600, 0));
	close(fd);
	/* Freed at close: the same ring fits again. */
	fd = tring_create(self->dev, 32 * KB, 0, KIPC_ROLE_CONSUMER, NULL, 0600, 0);
	EXPECT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, write_param("max_user_bytes", old_user, NULL, 0));
}

/* In a child: become @uid (+ groups), try to open @name with @role. */
static int try_open_as(int dev, const char *name, uid_t uid, gid_t gid,
		       int ngroups, const gid_t *groups, uint32_t role)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd;

		if (become(uid, gid, ngroups, groups))
			_exit(200);
		fd = tring_open(dev, name, role, 0);
		if (fd < 0)
			_exit(-fd);
		/* The fd works for its role. */
		if ((role & KIPC_ROLE_CONSUMER) &&
		    tring_wait(fd, KIPC_EV_READABLE, 0, 1, 0) != -ETIMEDOUT &&
		    tring_wait(fd, KIPC_EV_READABLE, 0, 1, 0) != 0)
			_exit(201);
		_exit(0);
	}
	return pid < 0 ? -1 : child_status(pid);
}

static int try_unlink_as(int dev, const char *name, uid_t uid)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (become(uid, uid, 0, NULL))
			_exit(200);
		_exit(-tring_unlink(dev, name));
	}
	return pid < 0 ? -1 : child_status(pid);
}

TEST_F(ring, permissions)
{
	gid_t share = GID_SHARE;
	pid_t pid;
	int fd;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch users");

	/* 0600, owned by root: nobody else. */
	uname_(self->name, "p600");
	fd = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER, self->name, 0600, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(EACCES, try_open_as(self->dev, self->name, UID1, UID1, 0, NULL,
				      KIPC_ROLE_CONSUMER));
	EXPECT_EQ(EACCES, try_open_as(self->dev, self->name, UID1, UID1, 0, NULL,
				      KIPC_ROLE_PRODUCER));
	EXPECT_EQ(EACCES, try_open_as(self->dev, self->name, UID1, GID_SHARE, 1, &share,
				      KIPC_ROLE_CONSUMER));
	/* Only the owner unlinks. */
	EXPECT_EQ(EPERM, try_unlink_as(self->dev, self->name, UID1));
	EXPECT_EQ(0, tring_unlink(self->dev, self->name));
	close(fd);

	/* 0660 with group kipcshare, created by uid 1001. */
	uname_(self->name, "p660");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (become(UID1, GID_SHARE, 1, &share))
			_exit(200);
		fd = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER,
				  self->name, 0660, 0);
		if (fd < 0)
			_exit(-fd);
		/* The name outlives this process; the ring lives on with it. */
		_exit(0);
	}
	ASSERT_EQ(0, child_status(pid));
	/* A member of the group (uid 1002 with 2000 as supplementary group). */
	EXPECT_EQ(0, try_open_as(self->dev, self->name, UID2, UID2, 1, &share,
				 KIPC_ROLE_CONSUMER));
	EXPECT_EQ(0, try_open_as(self->dev, self->name, UID2, UID2, 1, &share,
				 KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER));
	/* The same uid without the group. */
	EXPECT_EQ(EACCES, try_open_as(self->dev, self->name, UID2, UID2, 0, NULL,
				      KIPC_ROLE_CONSUMER));
	/* Neither the group member nor root-less others may unlink it. */
	EXPECT_EQ(EPERM, try_unlink_as(self->dev, self->name, UID2));
	EXPECT_EQ(0, try_unlink_as(self->dev, self->name, UID1));

	/* 0640: the group reads (consumes) but does not write (produce). */
	uname_(self->name, "p640");
	fd = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER, self->name, 0640, 0);
	ASSERT_LE(0, fd);
	/* The ring's group is root's fsgid (0): use it as the supplementary group. */
	{
		gid_t g0 = 0;

		EXPECT_EQ(0, try_open_as(self->dev, self->name, UID1, UID1, 1, &g0,
					 KIPC_ROLE_CONSUMER));
		EXPECT_EQ(EACCES, try_open_as(self->dev, self->name, UID1, UID1, 1, &g0,
					      KIPC_ROLE_PRODUCER));
	}
	EXPECT_EQ(0, tring_unlink(self->dev, self->name));
	close(fd);
}

/*
 * Forge a one-record message at the tail of a writable RING mapping @m
 * (the producer's page first, tail at its start) and publish it.
 */
static void forge_record(void *m, const struct kipc_ring_layout *info)
{
	volatile uint64_t *tail = m;
	uint64_t t = *tail;
	struct kipc_rec_hdr *h = (void *)((char *)m + info->data_offset +
					  (t & (info->data_size - 1)));

	memcpy(h + 1, "forged", 6);
	h->len = 6;
	h->tag = KIPC_REC_TAG(t, info->rec_salt);
	__atomic_store_n(tail, t + KIPC_REC_SPACE(6), __ATOMIC_RELEASE);
}

/*
 * What a user who may only read a ring (0644, another owner) can do with
 * the consumer fd it gets: map the producer's part (control page and
 * data) writable, or make it writable later.  Exit status: 0 when both
 * are refused with EACCES, else which step let it write (and it forged
 * a record through it).
 */
static int reader_tries_to_write(int dev, const char *name)
{
	const struct kipc_ring_layout *info;
	size_t msz;
	void *m;
	int fd;

	if (become(UID1, UID1, 0, NULL))
		return 200;
	fd = tring_open(dev, name, KIPC_ROLE_CONSUMER, 0);
	if (fd < 0)
		return 10;	/* read permission must give a consumer fd */
	info = mmap(NULL, page_size(), PROT_READ, MAP_SHARED, fd, KIPC_RING_OFF_LAYOUT);
	if (info == MAP_FAILED)
		return 11;
	msz = info->map_size;
	m = mmap(NULL, msz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, KIPC_RING_OFF_RING);
	if (m != MAP_FAILED) {
		forge_record(m, info);
		return 20;
	}
	if (errno != EACCES)
		return 21;
	m = mmap(NULL, msz, PROT_READ, MAP_SHARED, fd, KIPC_RING_OFF_RING);
	if (m == MAP_FAILED)
		return 22;	/* reading is its right */
	if (!mprotect(m, msz, PROT_READ | PROT_WRITE)) {
		forge_record(m, info);
		return 23;
	}
	if (errno != EACCES)
		return 24;
	return 0;
}

/*
 * Read permission never lets a process inject data that the consumer
 * takes as the producer's: the producer's part is mapped read-only for
 * a consumer-only fd and cannot be made writable.
 */
TEST_F(ring, reader_cannot_forge_records)
{
	const void *payload;
	struct tring p, c;
	uint64_t pos;
	uint32_t len;
	int pfd, cfd;
	pid_t pid;
	void *w;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch users");
	uname_(self->name, "ro");
	pfd = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_PRODUCER, self->name, 0644, 0);
	ASSERT_LE(0, pfd);
	cfd = tring_open(self->dev, self->name, KIPC_ROLE_CONSUMER, 0);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, tring_map(&p, pfd, KIPC_ROLE_PRODUCER));
	ASSERT_EQ(0, tring_map(&c, cfd, KIPC_ROLE_CONSUMER));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(reader_tries_to_write(self->dev, self->name));
	EXPECT_EQ(0, child_status(pid));

	/* Whatever the reader did, the consumer gets the producer's record. */
	w = tring_reserve(&p, 4, &pos);
	ASSERT_NE(NULL, w);
	memcpy(w, "real", 4);
	tring_commit(&p, pos, 4);
	ASSERT_EQ(1, tring_peek(&c, &payload, &len));
	EXPECT_EQ(4, len);
	EXPECT_EQ(0, memcmp(payload, "real", 4));
	EXPECT_EQ(0, tring_unlink(self->dev, self->name));
	tring_unmap(&c);
	tring_unmap(&p);
}

static int module_live(void)
{
	struct kipc_info info;
	int fd = open("/dev/kipc", O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	ret = ioctl(fd, KIPC_IOC_GET_INFO, &info) == 0 && (info.features & KIPC_FEAT_RING);
	close(fd);
	return ret;
}

TEST_F(ring, rmmod_refused_while_in_use)
{
	struct tring r;
	int fd;

	if (geteuid() != 0 || access("/sys/module/kipc", F_OK) ||
	    system("command -v rmmod >/dev/null 2>&1"))
		SKIP(return, "needs root, rmmod and kipc as a module");

	fd = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_PRODUCER, NULL, 0600, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tring_map(&r, fd, KIPC_ROLE_PRODUCER));
	/* /dev/kipc itself is closed: only the ring fd and mapping pin it. */
	close(self->dev);
	self->dev = -1;
	EXPECT_NE(0, system("rmmod kipc 2>/dev/null"));
	EXPECT_TRUE(module_live());
	/* A mapping alone pins it too. */
	close(r.fd);
	r.fd = -1;
	EXPECT_NE(0, system("rmmod kipc 2>/dev/null"));
	EXPECT_TRUE(module_live());
	r.data[0] = 1;
	EXPECT_EQ(1, r.data[RING_SZ]);
	tring_unmap(&r);
}

/*
 * Ring memory is charged to the creator's memory cgroup, and going over
 * its limit is -ENOMEM for the creator, never an OOM kill.
 */
TEST_F_TIMEOUT(ring, memcg_limit_is_enomem, 120)
{
	char cg[128];
	int st, ret;
	pid_t pid;

	ret = tenv_memcg_new(cg, sizeof(cg), "ring", 8 << 20);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "needs root, cgroup2 and the memory controller");
	ASSERT_EQ(0, ret);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (tenv_memcg_enter(cg))
			_exit(100);
		/* 32 MiB of ring in an 8 MiB cgroup. */
		ret = tring_create(self->dev, 32ULL << 20, 0, KIPC_ROLE_CONSUMER,
				   NULL, 0600, 0);
		if (ret != -ENOMEM)
			_exit(102);
		/* Something that fits still works. */
		ret = tring_create(self->dev, 1ULL << 20, 0, KIPC_ROLE_CONSUMER,
				   NULL, 0600, 0);
		_exit(ret >= 0 ? 0 : 103);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st)) TH_LOG("status %#x", st);
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(0, tenv_memcg_read(cg, "memory.events", "oom_kill"));
	EXPECT_EQ(0, tenv_memcg_remove(cg));
}

/* A CLOCK_MONOTONIC deadline is read in the caller's time namespace. */
static int ring_wait_in_timens(void *arg)
{
	uint64_t dl = tring_deadline_ms(20);

	return tring_wait(*(int *)arg, KIPC_EV_READABLE, 0, dl, 0) == -ETIMEDOUT &&
	       tring_now_ns(CLOCK_MONOTONIC) >= dl ? 0 : 101;
}

TEST_F_TIMEOUT(ring, wait_deadline_in_time_namespace, 120)
{
	int fd, st;

	fd = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER, NULL, 0600, 0);
	ASSERT_LE(0, fd);
	/* 100000 s ahead of the host. */
	st = tenv_in_timens(100000, ring_wait_in_timens, &fd);
	if (st == TENV_NO_TIMENS)
		SKIP(return, "no time namespaces");
	EXPECT_EQ(0, st);
	close(fd);
}

/* Ring fds travel with SCM_RIGHTS, role and all. */
TEST_F_TIMEOUT(ring, pass_fd_scm_rights, 120)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr msg = { 0 };
	struct cmsghdr *cmsg;
	struct iovec iov;
	struct tring c;
	const void *rec;
	int sv[2], pf, cf, st;
	uint32_t len;
	pid_t pid;
	char x = 'x';

	uname_(self->name, "scm");
	cf = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER, self->name, 0600, 0);
	ASSERT_LE(0, cf);
	pf = tring_open(self->dev, self->name, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, pf);
	ASSERT_EQ(0, tring_unlink(self->dev, self->name));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, tring_map(&c, cf, KIPC_ROLE_CONSUMER));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct tring p;
		uint64_t pos;
		void *pl;
		int rfd;

		close(sv[0]);
		close(pf);
		close(c.fd);
		iov.iov_base = &x;
		iov.iov_len = 1;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		if (recvmsg(sv[1], &msg, MSG_CMSG_CLOEXEC) != 1)
			_exit(1);
		cmsg = CMSG_FIRSTHDR(&msg);
		if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
			_exit(2);
		memcpy(&rfd, CMSG_DATA(cmsg), sizeof(rfd));
		if (tring_map(&p, rfd, KIPC_ROLE_PRODUCER))
			_exit(3);
		/* It is the producer fd: WAIT for data is not its business. */
		if (tring_wait(rfd, KIPC_EV_READABLE, 0, 1, 0) != -EBADF)
			_exit(4);
		pl = tring_reserve(&p, 6, &pos);
		if (!pl)
			_exit(5);
		memcpy(pl, "passed", 6);
		tring_commit(&p, pos, 6);
		_exit(0);
	}
	close(sv[1]);
	iov.iov_base = &x;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &pf, sizeof(pf));
	ASSERT_EQ(1, sendmsg(sv[0], &msg, 0));
	/* In flight and then in the child: ours can go. */
	close(pf);
	close(sv[0]);
	ASSERT_EQ(0, tring_peek_wait(&c, &rec, &len, tring_deadline_ms(60000)));
	EXPECT_EQ(6, len);
	EXPECT_EQ(0, memcmp(rec, "passed", 6));
	tring_consume(&c, len);
	/* The passed fd was the only producer: its exit ends the stream. */
	EXPECT_EQ(-ENODATA, tring_peek_wait(&c, &rec, &len, tring_deadline_ms(60000)));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
	tring_unmap(&c);
}

KIPC_TEST_HARNESS_MAIN
