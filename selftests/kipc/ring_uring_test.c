// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc rings with io_uring: IORING_OP_POLL_ADD completes when data
 * arrives and when the other side hangs up, for consumers and for
 * producers.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "kselftest_harness.h"
#include "kipc_test.h"
#include "tring.h"

FIXTURE(uring) {
	int dev;
	struct io_uring ring;
	bool have_ring;
};

FIXTURE_SETUP(uring)
{
	int ret;

	KIPC_TEST_OPEN_DEV(self->dev, KIPC_FEAT_RING);
	ret = io_uring_queue_init(8, &self->ring, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(_exit(255), "io_uring not available (%d)", ret);
	ASSERT_EQ(0, ret);
	self->have_ring = true;
}

FIXTURE_TEARDOWN(uring)
{
	if (self->have_ring)
		io_uring_queue_exit(&self->ring);
	if (self->dev >= 0)
		close(self->dev);
}

static void make_pair(struct __test_metadata *_metadata, int dev, int *prod,
		      int *cons)
{
	char name[64];

	snprintf(name, sizeof(name), "uring-%d", (int)getpid());
	*cons = tring_create(dev, 4096, 0, KIPC_ROLE_CONSUMER, name, 0600, 0);
	ASSERT_LE(0, *cons);
	*prod = tring_open(dev, name, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, *prod);
	ASSERT_EQ(0, tring_unlink(dev, name));
}

static void poll_add(struct __test_metadata *_metadata, struct io_uring *ring,
		     int fd, unsigned int events, uint64_t tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	ASSERT_NE(NULL, sqe);
	io_uring_prep_poll_add(sqe, fd, events);
	io_uring_sqe_set_data64(sqe, tag);
	ASSERT_EQ(1, io_uring_submit(ring));
}

/* The completion of tag @tag, or fails; its result. */
static int reap(struct __test_metadata *_metadata, struct io_uring *ring,
		uint64_t tag, bool wait)
{
	struct io_uring_cqe *cqe;
	int ret;

	if (wait) {
		struct __kernel_timespec ts = { .tv_sec = 120 };

		ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	} else {
		ret = io_uring_peek_cqe(ring, &cqe);
	}
	if (ret)
		return ret == -ETIME ? -ETIME : ret;
	EXPECT_EQ(tag, io_uring_cqe_get_data64(cqe));
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

TEST_F_TIMEOUT(uring, poll_add_data_and_hangup, 300)
{
	const void *rec;
	struct tring c;
	int pf, cf, go, st;
	uint32_t len;
	pid_t pid;

	make_pair(_metadata, self->dev, &pf, &cf);
	ASSERT_EQ(0, tring_map(&c, cf, KIPC_ROLE_CONSUMER));
	pid = tring_spawn_sender(pf, cf, &go, "uringrec");
	ASSERT_LT(0, pid);
	close(pf);

	for (int i = 0; i < 3; i++) {
		/* Armed by the poll itself: no explicit announcement. */
		poll_add(_metadata, &self->ring, cf, POLLIN, 100 + i);
		EXPECT_EQ(-EAGAIN, reap(_metadata, &self->ring, 0, false));
		EXPECT_EQ(KIPC_ANNOUNCE(c.prod->read_seq), c.cons->read_announce);
		ASSERT_EQ(1, write(go, "x", 1));
		EXPECT_EQ(POLLIN, reap(_metadata, &self->ring, 100 + i, true));
		ASSERT_EQ(1, tring_peek(&c, &rec, &len));
		EXPECT_EQ(0, memcmp(rec, "uringrec", 8));
		tring_consume(&c, len);
	}
	/* Ready at submission: completes at once. */
	ASSERT_EQ(1, write(go, "x", 1));
	ASSERT_EQ(0, tring_peek_wait(&c, &rec, &len, tring_deadline_ms(120000)));
	poll_add(_metadata, &self->ring, cf, POLLIN, 200);
	EXPECT_EQ(POLLIN, reap(_metadata, &self->ring, 200, true));
	tring_consume(&c, len);

	/* Hang-up wakes a pending poll. */
	poll_add(_metadata, &self->ring, cf, POLLIN, 300);
	EXPECT_EQ(-EAGAIN, reap(_metadata, &self->ring, 0, false));
	close(go);
	EXPECT_EQ(POLLHUP, reap(_metadata, &self->ring, 300, true));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
	tring_unmap(&c);
}

TEST_F_TIMEOUT(uring, poll_add_room_and_hangup, 300)
{
	struct tring p;
	uint64_t pos;
	int pf, cf, st;
	pid_t pid;
	int go[2];

	make_pair(_metadata, self->dev, &pf, &cf);
	ASSERT_EQ(0, tring_map(&p, pf, KIPC_ROLE_PRODUCER));
	while (tring_reserve(&p, 1000, &pos))
		tring_commit(&p, pos, 1000);
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		const void *rec;
		struct tring c;
		uint32_t len;
		char x;

		close(pf);
		close(go[1]);
		if (tring_map(&c, cf, KIPC_ROLE_CONSUMER))
			_exit(1);
		/* One record per byte, then exit (no consumer left). */
		while (read(go[0], &x, 1) == 1) {
			if (tring_peek_wait(&c, &rec, &len, 0))
				_exit(2);
			tring_consume(&c, len);
		}
		_exit(0);
	}
	close(cf);
	close(go[0]);

	/* No room for another 1000 bytes, but above lowat (16 bytes). */
	poll_add(_metadata, &self->ring, pf, POLLOUT, 1);
	EXPECT_EQ(POLLOUT, reap(_metadata, &self->ring, 1, true));
	while (tring_reserve(&p, 8, &pos))
		tring_commit(&p, pos, 8);
	/* Now less than lowat is free. */
	poll_add(_metadata, &self->ring, pf, POLLOUT, 2);
	EXPECT_EQ(-EAGAIN, reap(_metadata, &self->ring, 0, false));
	EXPECT_EQ(KIPC_ANNOUNCE(p.cons->write_seq), p.prod->write_announce);
	ASSERT_EQ(1, write(go[1], "x", 1));
	EXPECT_EQ(POLLOUT, reap(_metadata, &self->ring, 2, true));

	/* Fill again, then the consumer leaves: POLLHUP. */
	while (tring_reserve(&p, 8, &pos))
		tring_commit(&p, pos, 8);
	poll_add(_metadata, &self->ring, pf, POLLOUT, 3);
	EXPECT_EQ(-EAGAIN, reap(_metadata, &self->ring, 0, false));
	close(go[1]);
	EXPECT_EQ(POLLHUP, reap(_metadata, &self->ring, 3, true) & POLLHUP);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
	tring_unmap(&p);
}

KIPC_TEST_HARNESS_MAIN
