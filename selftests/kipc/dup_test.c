// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * KIPC_IOC_DUP: a new open file of a ring or queue with a subset of an
 * fd's roles.  Anonymous pairs across fork(), peer death of a dup
 * (close and kill -9), role narrowing, fd flags, fdinfo, names, and
 * every bad input.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "kselftest_harness.h"
#include "kipc_test.h"
#include "kipc_queue_util.h"
#include "tring.h"

#define RING_SZ		(16 * 1024)
#define REC_MAX		256
#define NR_RECS		1000
#define BOTH		(KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER)

/* DUP with an explicit structure size in the command number. */
#define DUP_SZ(sz) _IOC(_IOC_READ | _IOC_WRITE, KIPC_IOC_MAGIC, \
			    _IOC_NR(KIPC_IOC_DUP), (sz))

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static void dup_args(struct kipc_dup *d, int fd, uint32_t role,
		     uint32_t fd_flags)
{
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	d->role = role;
	d->fd_flags = fd_flags;
}

/*
 * KIPC_IOC_DUP: the new fd or -errno.  The fd the kernel wrote must be
 * the return value, and the input fields must come back unchanged.
 */
static int kdup(int dev, int fd, uint32_t role, uint32_t fd_flags)
{
	struct kipc_dup d;
	int ret;

	dup_args(&d, fd, role, fd_flags);
	ret = xioctl(dev, KIPC_IOC_DUP, &d);
	if (ret < 0)
		return ret;
	if (d.new_fd != ret || d.fd != fd || d.role != role ||
	    d.fd_flags != fd_flags || d.flags || d.reserved0 ||
	    d.reserved[0] || d.reserved[1])
		return -EPROTO;
	return ret;
}

/*
 * The anonymous-pair recipe: split @fd (both roles, or a negative error
 * from its creation) into a producer and a consumer dup, then close it.
 */
static int split(int dev, int fd, int *pfd, int *cfd)
{
	if (fd < 0)
		return fd;
	*pfd = kdup(dev, fd, KIPC_ROLE_PRODUCER, 0);
	*cfd = *pfd < 0 ? -1 : kdup(dev, fd, KIPC_ROLE_CONSUMER, 0);
	close(fd);
	if (*pfd < 0)
		return *pfd;
	if (*cfd < 0) {
		close(*pfd);
		return *cfd;
	}
	return 0;
}

/* The lowest free fd number: a failed call must not have used it. */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* Exit status of @pid, 128 + signal when killed, -1 on error. */
static int reap_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/* poll() revents of @fd for @events, without waiting. */
static short revents(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

/* The events epoll reports on @fd for @events, without waiting. */
static uint32_t epoll_events(int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	uint32_t ret = 0;

	if (ep < 0)
		return ~0U;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		ret = ~0U;
	else if (epoll_wait(ep, &ev, 1, 0) == 1)
		ret = ev.events;
	close(ep);
	return ret;
}

/* An anonymous object with both roles: a ring or a queue. */
static int anon_ring(int dev)
{
	return tring_create(dev, RING_SZ, 0, BOTH, NULL, 0600, 0);
}

static int anon_queue(int dev)
{
	return kq_create_full(dev, 64, 16, 0, BOTH, 0, NULL, 0600);
}

FIXTURE(dup) {
	int dev;
};

FIXTURE_SETUP(dup)
{
	KIPC_TEST_OPEN_DEV(self->dev, KIPC_FEAT_DUP);
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(dup)
{
	if (self->dev >= 0)
		close(self->dev);
}

/* The feature bit and the ioctl agree: both there, or neither. */
TEST(feature_bit_matches_ioctl)
{
	struct kipc_info info;
	struct kipc_dup d;
	int dev, ret;

	dev = open("/dev/kipc", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		SKIP(return, "kipc module not loaded");
	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, ioctl(dev, KIPC_IOC_GET_INFO, &info));
	dup_args(&d, -1, KIPC_ROLE_PRODUCER, 0);
	ret = xioctl(dev, KIPC_IOC_DUP, &d);
	if (info.features & KIPC_FEAT_DUP) {
		EXPECT_EQ(-EBADF, ret);
	} else {
		EXPECT_EQ(-ENOTTY, ret);
	}
	close(dev);
}

/*
 * The recipe: an anonymous ring with both roles, DUP a producer and a
 * consumer, close the original, fork.  The child produces through the
 * ring protocol and exits; the parent consumes everything in order and
 * then sees the end of the stream.
 */
TEST_F(dup, ring_anonymous_pair_across_fork)
{
	struct tring c;
	int pfd, cfd;
	uint64_t seq;
	pid_t pid;

	ASSERT_EQ(0, split(self->dev, anon_ring(self->dev), &pfd, &cfd));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct tring p;

		close(cfd);
		if (tring_map(&p, pfd, KIPC_ROLE_PRODUCER))
			_exit(1);
		for (seq = 0; seq < NR_RECS; seq++) {
			uint32_t len = tring_test_len(0, seq, REC_MAX);
			uint64_t pos;
			void *pl;

			if (tring_reserve_wait(&p, len, &pl, &pos, 0))
				_exit(2);
			tring_test_fill(pl, len, 0, seq);
			tring_commit(&p, pos, len);
		}
		_exit(0);
	}
	ASSERT_EQ(0, close(pfd));
	ASSERT_EQ(0, tring_map(&c, cfd, KIPC_ROLE_CONSUMER));
	for (seq = 0; seq < NR_RECS; seq++) {
		const char *why;
		const void *rec;
		uint32_t len;

		ASSERT_EQ(0, tring_peek_wait(&c, &rec, &len, 0));
		why = tring_test_check(rec, len, 0, seq, REC_MAX);
		ASSERT_TRUE(why == NULL) TH_LOG("record %llu: %s",
						(unsigned long long)seq, why);
		tring_consume(&c, len);
	}
	/* The child's exit closed the last producer. */
	EXPECT_EQ(-ENODATA, tring_peek_wait(&c, &(const void *){ NULL },
					    &(uint32_t){ 0 }, 0));
	EXPECT_EQ(0, reap_child(pid));
	tring_unmap(&c);
}

/* Unlike dup(2), a DUP is an endpoint of its own. */
TEST_F(dup, ring_dup_is_own_endpoint)
{
	long long id;
	int fd, pfd;

	fd = anon_ring(self->dev);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, kq_info(fd, "producers"));
	pfd = kdup(self->dev, fd, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, pfd);
	EXPECT_NE(fd, pfd);
	EXPECT_EQ(2, kq_info(fd, "producers"));
	EXPECT_EQ(1, kq_info(fd, "consumers"));
	id = kq_info(fd, "kipc-id");
	EXPECT_LT(0, id);
	EXPECT_EQ(id, kq_info(pfd, "kipc-id"));
	EXPECT_EQ(KIPC_ROLE_PRODUCER, kq_info(pfd, "role"));

	/* Closing the original leaves the dup's producer. */
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(1, kq_info(pfd, "producers"));
	EXPECT_EQ(0, kq_info(pfd, "consumers"));
	/* No consumer left: a producer sees EPOLLHUP, WAIT for room -EPIPE. */
	EXPECT_EQ(-EPIPE, tring_wait(pfd, KIPC_EV_WRITABLE, 0, 0, 0));
	EXPECT_TRUE(revents(pfd, POLLOUT) & POLLHUP);
	close(pfd);
}

/* The child holding the only producer (a dup) is killed: end of stream. */
TEST_F(dup, ring_kill9_of_producer_dup)
{
	int pfd, cfd, go[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, split(self->dev, anon_ring(self->dev), &pfd, &cfd));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(cfd);
		close(go[0]);
		if (write(go[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(go[1]);
	ASSERT_EQ(1, read(go[0], &c, 1));
	close(go[0]);
	ASSERT_EQ(0, close(pfd));

	/* The child still holds the producer: no hang-up yet. */
	EXPECT_EQ(1, kq_info(cfd, "producers"));
	EXPECT_EQ(0, revents(cfd, POLLIN));
	EXPECT_EQ(0, epoll_events(cfd, EPOLLIN));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, reap_child(pid));
	EXPECT_EQ(0, kq_info(cfd, "producers"));
	EXPECT_EQ(EPOLLHUP, epoll_events(cfd, EPOLLIN));
	EXPECT_EQ(POLLHUP, revents(cfd, POLLIN));
	EXPECT_EQ(TRING_HUP, tring_wait(cfd, KIPC_EV_READABLE, 0, 0, 0));
	close(cfd);
}

/* Closing the consumer dup: the producer gets -EPIPE. */
TEST_F(dup, ring_close_of_consumer_dup)
{
	struct tring p;
	uint64_t pos;
	int pfd, cfd;
	void *pl;

	ASSERT_EQ(0, split(self->dev, anon_ring(self->dev), &pfd, &cfd));
	ASSERT_EQ(0, tring_map(&p, pfd, KIPC_ROLE_PRODUCER));

	/* Fill the ring while the consumer is there, so that WAIT sleeps. */
	while (tring_reserve_wait(&p, REC_MAX, &pl, &pos,
				  tring_deadline_ms(0)) == 0)
		tring_commit(&p, pos, REC_MAX);
	EXPECT_EQ(-ETIMEDOUT, tring_reserve_wait(&p, REC_MAX, &pl, &pos,
						 tring_deadline_ms(0)));
	EXPECT_FALSE(revents(pfd, POLLOUT) & POLLHUP);

	ASSERT_EQ(0, close(cfd));
	EXPECT_EQ(-EPIPE, tring_reserve_wait(&p, REC_MAX, &pl, &pos, 0));
	EXPECT_EQ(-EPIPE, tring_wait(pfd, KIPC_EV_WRITABLE, 0, 0, 0));
	EXPECT_TRUE(revents(pfd, POLLOUT) & POLLHUP);
	tring_unmap(&p);
}

/* The same recipe with a queue, through read() and write(). */
TEST_F(dup, queue_anonymous_pair_across_fork)
{
	int tx, rx, i;
	char buf[64];
	pid_t pid;

	ASSERT_EQ(0, split(self->dev, anon_queue(self->dev), &tx, &rx));
	EXPECT_EQ(1, kq_info(rx, "producers"));
	EXPECT_EQ(1, kq_info(rx, "consumers"));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(rx);
		for (i = 0; i < 100; i++) {
			int n = snprintf(buf, sizeof(buf), "message %d", i);

			if (write(tx, buf, n) != n)
				_exit(1);
		}
		_exit(0);
	}
	ASSERT_EQ(0, close(tx));
	for (i = 0; i < 100; i++) {
		char want[64];
		int n = snprintf(want, sizeof(want), "message %d", i);

		memset(buf, 0, sizeof(buf));
		ASSERT_EQ(n, read(rx, buf, sizeof(buf)));
		ASSERT_STREQ(want, buf);
	}
	/* Drained and the child gone: end of stream. */
	EXPECT_EQ(0, read(rx, buf, sizeof(buf)));
	EXPECT_EQ(0, reap_child(pid));
	close(rx);
}

TEST_F(dup, queue_kill9_of_sender_dup)
{
	int tx, rx, go[2];
	char buf[8];
	pid_t pid;

	ASSERT_EQ(0, split(self->dev, anon_queue(self->dev), &tx, &rx));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(rx);
		close(go[0]);
		if (write(tx, "x", 1) != 1 || write(go[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(go[1]);
	ASSERT_EQ(1, read(go[0], buf, 1));
	close(go[0]);
	ASSERT_EQ(0, close(tx));

	EXPECT_EQ(1, kq_info(rx, "producers"));
	EXPECT_EQ(1, read(rx, buf, sizeof(buf)));
	EXPECT_EQ(0, epoll_events(rx, EPOLLIN));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, reap_child(pid));
	EXPECT_EQ(0, kq_info(rx, "producers"));
	EXPECT_TRUE(epoll_events(rx, EPOLLIN) & EPOLLHUP);
	EXPECT_TRUE(revents(rx, POLLIN) & POLLHUP);
	EXPECT_EQ(0, read(rx, buf, sizeof(buf)));
	close(rx);
}

TEST_F(dup, queue_close_of_receiver_dup)
{
	int tx, rx;

	ASSERT_EQ(0, split(self->dev, anon_queue(self->dev), &tx, &rx));
	EXPECT_EQ(1, write(tx, "a", 1));
	EXPECT_FALSE(revents(tx, POLLOUT) & POLLERR);

	ASSERT_EQ(0, close(rx));
	EXPECT_TRUE(revents(tx, POLLOUT) & POLLERR);
	errno = 0;
	EXPECT_EQ(-1, write(tx, "b", 1));
	EXPECT_EQ(EPIPE, errno);
	close(tx);
}

/* A DUP never gains a role: only subsets of the fd's own. */
TEST_F(dup, role_must_be_a_subset)
{
	int rfd, qfd, fd;

	rfd = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER, NULL,
			   0600, 0);
	ASSERT_LE(0, rfd);
	EXPECT_EQ(-EINVAL, kdup(self->dev, rfd, KIPC_ROLE_PRODUCER, 0));
	EXPECT_EQ(-EINVAL, kdup(self->dev, rfd, BOTH, 0));
	EXPECT_EQ(0, kq_info(rfd, "producers"));
	fd = kdup(self->dev, rfd, KIPC_ROLE_CONSUMER, 0);
	ASSERT_LE(0, fd);
	/* A narrowed dup narrows further only. */
	EXPECT_EQ(-EINVAL, kdup(self->dev, fd, KIPC_ROLE_PRODUCER, 0));
	close(fd);
	close(rfd);

	qfd = kq_create_full(self->dev, 64, 16, 0, KIPC_ROLE_PRODUCER, 0, NULL,
			     0600);
	ASSERT_LE(0, qfd);
	EXPECT_EQ(-EINVAL, kdup(self->dev, qfd, KIPC_ROLE_CONSUMER, 0));
	EXPECT_EQ(-EINVAL, kdup(self->dev, qfd, BOTH, 0));
	EXPECT_EQ(0, kq_info(qfd, "consumers"));
	fd = kdup(self->dev, qfd, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(2, kq_info(qfd, "producers"));
	EXPECT_EQ(-EINVAL, kdup(self->dev, fd, KIPC_ROLE_CONSUMER, 0));
	close(fd);
	close(qfd);
}

/* Only ring and queue fds can be duplicated. */
TEST_F(dup, not_an_object_fd)
{
	int null, p[2], closed, ep, low;

	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, null);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	closed = dup(null);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));
	low = lowest_free_fd();

	EXPECT_EQ(-EBADF, kdup(self->dev, null, KIPC_ROLE_PRODUCER, 0));
	EXPECT_EQ(-EBADF, kdup(self->dev, p[0], KIPC_ROLE_CONSUMER, 0));
	EXPECT_EQ(-EBADF, kdup(self->dev, p[1], KIPC_ROLE_PRODUCER, 0));
	EXPECT_EQ(-EBADF, kdup(self->dev, ep, KIPC_ROLE_PRODUCER, 0));
	EXPECT_EQ(-EBADF, kdup(self->dev, closed, KIPC_ROLE_PRODUCER, 0));
	EXPECT_EQ(-EBADF, kdup(self->dev, -1, KIPC_ROLE_PRODUCER, 0));
	EXPECT_EQ(-EBADF, kdup(self->dev, INT_MAX, KIPC_ROLE_PRODUCER, 0));
	/* /dev/kipc itself is no object. */
	EXPECT_EQ(-EBADF, kdup(self->dev, self->dev, KIPC_ROLE_PRODUCER, 0));
	EXPECT_EQ(low, lowest_free_fd());
	close(ep);
	close(p[0]);
	close(p[1]);
	close(null);
}

TEST_F(dup, unknown_bits_and_reserved_fields)
{
	struct kipc_dup d;
	int fd, low;

	fd = anon_queue(self->dev);
	ASSERT_LE(0, fd);
	low = lowest_free_fd();

#define EXPECT_DUP_EINVAL(field, value) do {				\
		dup_args(&d, fd, KIPC_ROLE_PRODUCER, 0);		\
		d.field = (value);					\
		EXPECT_EQ(-EINVAL, xioctl(self->dev, KIPC_IOC_DUP, &d))	\
			TH_LOG(#field " = " #value);			\
	} while (0)

	EXPECT_DUP_EINVAL(role, 0);
	EXPECT_DUP_EINVAL(role, 1U << 2);
	EXPECT_DUP_EINVAL(role, KIPC_ROLE_PRODUCER | (1U << 31));
	EXPECT_DUP_EINVAL(fd_flags, 1U << 1);
	EXPECT_DUP_EINVAL(fd_flags, KIPC_FD_NONBLOCK | (1U << 31));
	EXPECT_DUP_EINVAL(flags, 1);
	EXPECT_DUP_EINVAL(flags, 1U << 31);
	EXPECT_DUP_EINVAL(new_fd, 5);
	EXPECT_DUP_EINVAL(new_fd, -1);
	EXPECT_DUP_EINVAL(reserved0, 1);
	EXPECT_DUP_EINVAL(reserved[0], 1);
	EXPECT_DUP_EINVAL(reserved[1], 1ULL << 63);
#undef EXPECT_DUP_EINVAL

	/* Argument errors come before the fd is looked at. */
	dup_args(&d, -1, KIPC_ROLE_PRODUCER, 0);
	d.flags = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, KIPC_IOC_DUP, &d));

	EXPECT_EQ(low, lowest_free_fd());
	EXPECT_EQ(1, kq_info(fd, "producers"));
	EXPECT_EQ(1, kq_info(fd, "consumers"));
	close(fd);
}

TEST_F(dup, struct_sizes)
{
	static char buf[16384];
	struct kipc_dup *d = (struct kipc_dup *)buf;
	int fd, nfd, low;

	fd = anon_ring(self->dev);
	ASSERT_LE(0, fd);
	low = lowest_free_fd();

	/* The size is part of the command: any other one is -ENOTTY. */
	for (unsigned int sz = 0; sz <= 128; sz += 4) {
		if (sz == sizeof(*d))
			continue;
		memset(buf, 0, sizeof(buf));
		dup_args(d, fd, KIPC_ROLE_CONSUMER, 0);
		EXPECT_EQ(-ENOTTY, xioctl(self->dev, DUP_SZ(sz), buf)) {
			TH_LOG("size %u", sz);
		}
	}
	memset(buf, 0, sizeof(buf));
	dup_args(d, fd, KIPC_ROLE_CONSUMER, 0);
	EXPECT_EQ(-ENOTTY, xioctl(self->dev, DUP_SZ(8192), buf));
	/* The right one works. */
	memset(buf, 0, sizeof(buf));
	dup_args(d, fd, KIPC_ROLE_CONSUMER, 0);
	nfd = xioctl(self->dev, DUP_SZ(sizeof(*d)), buf);
	ASSERT_LE(0, nfd);
	EXPECT_EQ(nfd, d->new_fd);
	EXPECT_EQ(2, kq_info(fd, "consumers"));
	close(nfd);

	EXPECT_EQ(low, lowest_free_fd());
	EXPECT_EQ(1, kq_info(fd, "consumers"));
	close(fd);
}

/* A fault on the copy-out leaves no fd and no endpoint behind. */
TEST_F(dup, fault_on_copy_out)
{
	long psz = sysconf(_SC_PAGESIZE);
	struct kipc_dup *d;
	int fd, low;

	fd = anon_queue(self->dev);
	ASSERT_LE(0, fd);
	d = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, d);
	dup_args(d, fd, KIPC_ROLE_CONSUMER, 0);
	ASSERT_EQ(0, mprotect(d, psz, PROT_READ));
	low = lowest_free_fd();

	EXPECT_EQ(-EFAULT, xioctl(self->dev, KIPC_IOC_DUP, d));
	EXPECT_EQ(-EFAULT, xioctl(self->dev, KIPC_IOC_DUP, NULL));
	EXPECT_EQ(low, lowest_free_fd());
	EXPECT_EQ(1, kq_info(fd, "consumers"));
	munmap(d, psz);
	close(fd);
}

/* No fd number left: -EMFILE, and no endpoint left behind. */
TEST_F(dup, emfile)
{
	struct rlimit old, lim;
	int fd, low;

	fd = anon_queue(self->dev);
	ASSERT_LE(0, fd);
	low = lowest_free_fd();
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	lim = old;
	lim.rlim_cur = low;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &lim));
	EXPECT_EQ(-EMFILE, kdup(self->dev, fd, KIPC_ROLE_PRODUCER, 0));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	EXPECT_EQ(1, kq_info(fd, "producers"));
	EXPECT_EQ(low, lowest_free_fd());
	close(fd);
}

/* fd_flags: O_NONBLOCK as asked; FD_CLOEXEC always. */
TEST_F(dup, fd_flags)
{
	int rfd, qfd, fd;
	char buf[8];

	rfd = anon_ring(self->dev);
	ASSERT_LE(0, rfd);
	qfd = anon_queue(self->dev);
	ASSERT_LE(0, qfd);

	fd = kdup(self->dev, rfd, KIPC_ROLE_CONSUMER, KIPC_FD_NONBLOCK);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	close(fd);
	fd = kdup(self->dev, rfd, KIPC_ROLE_CONSUMER, 0);
	ASSERT_LE(0, fd);
	EXPECT_FALSE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	close(fd);

	/* The queue honours it: an empty read does not block. */
	fd = kdup(self->dev, qfd, KIPC_ROLE_CONSUMER, KIPC_FD_NONBLOCK);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	errno = 0;
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	close(fd);
	/* A blocking source does not make a non-blocking dup blocking... */
	fd = kdup(self->dev, qfd, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, fd);
	EXPECT_FALSE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	close(fd);

	/* ...nor the other way round: the flags are the dup's own. */
	ASSERT_EQ(0, fcntl(qfd, F_SETFL, O_NONBLOCK));
	fd = kdup(self->dev, qfd, KIPC_ROLE_CONSUMER, 0);
	ASSERT_LE(0, fd);
	EXPECT_FALSE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
	close(qfd);
	close(rfd);
}

/* fdinfo of a dup shows the role it was given, on the same object. */
TEST_F(dup, fdinfo_role)
{
	static const uint32_t t[] = {
		KIPC_ROLE_PRODUCER, KIPC_ROLE_CONSUMER, BOTH,
	};
	int rfd, qfd;

	rfd = anon_ring(self->dev);
	ASSERT_LE(0, rfd);
	qfd = anon_queue(self->dev);
	ASSERT_LE(0, qfd);
	for (unsigned int i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int fd = kdup(self->dev, rfd, t[i], 0);

		ASSERT_LE(0, fd);
		EXPECT_EQ(t[i], kq_info(fd, "role"));
		EXPECT_EQ(kq_info(rfd, "kipc-id"),
			  kq_info(fd, "kipc-id"));
		close(fd);

		fd = kdup(self->dev, qfd, t[i], 0);
		ASSERT_LE(0, fd);
		EXPECT_EQ(t[i], kq_info(fd, "role"));
		EXPECT_EQ(kq_info(qfd, "kipc-id"), kq_info(fd, "kipc-id"));
		close(fd);
	}
	close(qfd);
	close(rfd);
}

/* A named object, unlinked: its fds still DUP, onto the same object. */
TEST_F(dup, named_object_after_unlink)
{
	struct kipc_obj_head h;
	char name[64], buf[64];
	int rfd, qfd, fd;

	snprintf(name, sizeof(name), "dup-ring-%d", (int)getpid());
	rfd = tring_create(self->dev, RING_SZ, 0, BOTH, name, 0600, 0);
	ASSERT_LE(0, rfd);
	ASSERT_EQ(0, tring_unlink(self->dev, name));
	EXPECT_EQ(-ENOENT, tring_open(self->dev, name, KIPC_ROLE_CONSUMER, 0));
	fd = kdup(self->dev, rfd, KIPC_ROLE_CONSUMER, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(kq_info(rfd, "kipc-id"), kq_info(fd, "kipc-id"));
	EXPECT_EQ(2, kq_info(fd, "consumers"));
	ASSERT_EQ(0, tobj_head(fd, &h));
	EXPECT_STREQ("", h.name);
	close(fd);
	close(rfd);

	snprintf(name, sizeof(name), "dup-queue-%d", (int)getpid());
	qfd = kq_create_full(self->dev, 64, 16, 0, BOTH, 0, name, 0600);
	ASSERT_LE(0, qfd);
	ASSERT_EQ(0, kq_unlink(self->dev, name));
	fd = kdup(self->dev, qfd, KIPC_ROLE_CONSUMER, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, write(qfd, "n", 1));
	EXPECT_EQ(1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ('n', buf[0]);
	close(fd);
	close(qfd);
}

static bool module_live(void)
{
	int fd = open("/dev/kipc", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* A dup pins the module like any object fd. */
TEST_F(dup, rmmod_refused_while_dup_open)
{
	int fd, cfd;

	if (geteuid() != 0 || access("/sys/module/kipc", F_OK) ||
	    system("command -v rmmod >/dev/null 2>&1"))
		SKIP(return, "needs root, rmmod and kipc as a module");

	fd = anon_ring(self->dev);
	ASSERT_LE(0, fd);
	cfd = kdup(self->dev, fd, KIPC_ROLE_CONSUMER, 0);
	ASSERT_LE(0, cfd);
	/* Only the dup is left: no original, no /dev/kipc. */
	close(fd);
	close(self->dev);
	self->dev = -1;
	EXPECT_NE(0, system("rmmod kipc 2>/dev/null"));
	EXPECT_TRUE(module_live());
	EXPECT_EQ(0, kq_info(cfd, "producers"));
	close(cfd);
}

KIPC_TEST_HARNESS_MAIN
