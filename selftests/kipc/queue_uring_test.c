// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc queues with io_uring: IORING_OP_POLL_ADD wakes on data (EPOLLIN),
 * on room (EPOLLOUT) and on hang-up (EPOLLHUP / EPOLLERR).
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "kselftest_harness.h"
#include "kipc_test.h"
#include "kipc_queue_util.h"
#include "tenv.h"

FIXTURE(uring) {
	int dev;
	int rx, tx;
	struct io_uring ring;
	bool have_ring;
};

FIXTURE_SETUP(uring)
{
	const char *name = "kq-uring-test";
	int ret;

	self->rx = self->tx = -1;
	self->have_ring = false;
	KIPC_TEST_OPEN_DEV(self->dev, KIPC_FEAT_QUEUE);
	ret = io_uring_queue_init(8, &self->ring, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "io_uring not available (%d)", ret);
	ASSERT_EQ(0, ret);
	self->have_ring = true;

	self->rx = kq_create_full(self->dev, 16, 1, 0, KIPC_ROLE_CONSUMER, 0, name, 0600);
	ASSERT_LE(0, self->rx);
	self->tx = kq_open(self->dev, name, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, self->tx);
	ASSERT_EQ(0, kq_unlink(self->dev, name));
}

FIXTURE_TEARDOWN(uring)
{
	if (self->have_ring)
		io_uring_queue_exit(&self->ring);
	if (self->rx >= 0)
		close(self->rx);
	if (self->tx >= 0)
		close(self->tx);
	if (self->dev >= 0)
		close(self->dev);
}

static int poll_add(struct io_uring *ring, int fd, unsigned int mask, __u64 tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_add(sqe, fd, mask);
	io_uring_sqe_set_data64(sqe, tag);
	return io_uring_submit(ring);
}

/* Next completion, waiting at most @ms; its result in *res. */
static int completion(struct io_uring *ring, int ms, __u64 *tag, int *res)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return ret;
	*tag = io_uring_cqe_get_data64(cqe);
	*res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

/* A child that sends one message after a short delay. */
static pid_t delayed_send(int tx)
{
	pid_t pid = fork();

	if (pid == 0) {
		usleep(20000);
		_exit(kq_send(tx, "u", 1, 0, 0, 0) ? 1 : 0);
	}
	return pid;
}

TEST_F(uring, pollin_on_data)
{
	__u64 tag;
	char buf[16];
	pid_t pid;
	int res;

	ASSERT_EQ(1, poll_add(&self->ring, self->rx, POLLIN, 1));
	/* Nothing yet: no completion. */
	ASSERT_EQ(-ETIME, completion(&self->ring, 50, &tag, &res));
	pid = delayed_send(self->tx);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, completion(&self->ring, 10000, &tag, &res));
	EXPECT_EQ(1, tag);
	EXPECT_TRUE(res & POLLIN);
	EXPECT_EQ(0, tenv_reap(pid));
	EXPECT_EQ(1, read(self->rx, buf, sizeof(buf)));

	/* Data already there: completes at once. */
	ASSERT_EQ(0, kq_send(self->tx, "v", 1, 0, 0, 0));
	ASSERT_EQ(1, poll_add(&self->ring, self->rx, POLLIN, 2));
	ASSERT_EQ(0, completion(&self->ring, 10000, &tag, &res));
	EXPECT_EQ(2, tag);
	EXPECT_TRUE(res & POLLIN);
}

TEST_F(uring, pollout_on_room)
{
	__u64 tag;
	char buf[16];
	int res;

	ASSERT_EQ(0, kq_send(self->tx, "f", 1, 0, 0, 0));	/* full */
	ASSERT_EQ(1, poll_add(&self->ring, self->tx, POLLOUT, 3));
	ASSERT_EQ(-ETIME, completion(&self->ring, 50, &tag, &res));
	ASSERT_EQ(1, read(self->rx, buf, sizeof(buf)));
	ASSERT_EQ(0, completion(&self->ring, 10000, &tag, &res));
	EXPECT_EQ(3, tag);
	EXPECT_TRUE(res & POLLOUT);
}

TEST_F(uring, pollhup_on_last_sender)
{
	__u64 tag;
	int res;

	ASSERT_EQ(1, poll_add(&self->ring, self->rx, POLLIN, 4));
	ASSERT_EQ(-ETIME, completion(&self->ring, 50, &tag, &res));
	close(self->tx);
	self->tx = -1;
	ASSERT_EQ(0, completion(&self->ring, 10000, &tag, &res));
	EXPECT_EQ(4, tag);
	EXPECT_TRUE(res & POLLHUP);
	EXPECT_FALSE(res & POLLIN);
}

TEST_F(uring, pollerr_on_last_receiver)
{
	__u64 tag;
	int res;

	ASSERT_EQ(0, kq_send(self->tx, "f", 1, 0, 0, 0));	/* full */
	ASSERT_EQ(1, poll_add(&self->ring, self->tx, POLLOUT, 5));
	ASSERT_EQ(-ETIME, completion(&self->ring, 50, &tag, &res));
	close(self->rx);
	self->rx = -1;
	ASSERT_EQ(0, completion(&self->ring, 10000, &tag, &res));
	EXPECT_EQ(5, tag);
	EXPECT_TRUE(res & POLLERR);
	EXPECT_EQ(-EPIPE, kq_send(self->tx, "g", 1, 0, KIPC_WAIT_NONBLOCK, 0));
}

KIPC_TEST_HARNESS_MAIN
