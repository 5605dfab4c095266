// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The UAPI layout, pinned at compile time (uapi_layout.h), and the
 * module answering those commands, each on its own fd type only.  Sizes
 * other than the pinned ones are abi_test's (wrong_size).
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "kselftest_harness.h"
#include "kipc_test.h"
#include "kipc_queue_util.h"
#include "tring.h"
#include "uapi_layout.h"

#define RING_SZ		4096

static const unsigned long dev_cmds[] = {
	KIPC_IOC_GET_INFO, KIPC_IOC_OPEN, KIPC_IOC_UNLINK, KIPC_IOC_LIST,
	KIPC_IOC_DUP, KIPC_IOC_RING_CREATE, KIPC_IOC_QUEUE_CREATE,
};
static const unsigned long ring_cmds[] = {
	KIPC_RING_IOC_INFO, KIPC_RING_IOC_WAIT, KIPC_RING_IOC_WAKE,
};
static const unsigned long queue_cmds[] = {
	KIPC_QUEUE_IOC_INFO, KIPC_QUEUE_IOC_SEND, KIPC_QUEUE_IOC_RECV,
	KIPC_QUEUE_IOC_SENDV, KIPC_QUEUE_IOC_RECVV,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Each of @n commands on @fd: a handler (anything but -ENOTTY) when
 * @mine, else -ENOTTY.  Arguments are zeroed, so nothing blocks (the fds
 * are non-blocking) and nothing is created.
 */
static void check_cmds(struct __test_metadata *_metadata, int fd,
		       const unsigned long *cmds, size_t n, int mine)
{
	static uint64_t buf[64];

	for (size_t i = 0; i < n; i++) {
		memset(buf, 0, sizeof(buf));
		errno = 0;
		if (mine) {
			if (ioctl(fd, cmds[i], buf) < 0) {
				EXPECT_NE(ENOTTY, errno) TH_LOG("%#lx", cmds[i]);
			}
		} else {
			EXPECT_EQ(-1, ioctl(fd, cmds[i], buf));
			EXPECT_EQ(ENOTTY, errno) TH_LOG("%#lx", cmds[i]);
		}
	}
}

FIXTURE(uapi) {
	int dev;
};

FIXTURE_SETUP(uapi)
{
	KIPC_TEST_OPEN_DEV(self->dev, KIPC_FEAT_RING | KIPC_FEAT_QUEUE);
}

FIXTURE_TEARDOWN(uapi)
{
	close(self->dev);
}

/* Each fd type answers its own block of numbers and no other. */
TEST_F(uapi, commands_by_fd_type)
{
	int ring = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_PRODUCER |
				KIPC_ROLE_CONSUMER, NULL, 0600, KIPC_FD_NONBLOCK);
	int queue = kq_create_full(self->dev, 64, 4, 0, KIPC_ROLE_PRODUCER |
				   KIPC_ROLE_CONSUMER, KIPC_FD_NONBLOCK, NULL, 0600);

	ASSERT_LE(0, ring);
	ASSERT_LE(0, queue);
	check_cmds(_metadata, self->dev, dev_cmds, N(dev_cmds), 1);
	check_cmds(_metadata, self->dev, ring_cmds, N(ring_cmds), 0);
	check_cmds(_metadata, self->dev, queue_cmds, N(queue_cmds), 0);
	check_cmds(_metadata, ring, dev_cmds, N(dev_cmds), 0);
	check_cmds(_metadata, ring, ring_cmds, N(ring_cmds), 1);
	check_cmds(_metadata, ring, queue_cmds, N(queue_cmds), 0);
	check_cmds(_metadata, queue, dev_cmds, N(dev_cmds), 0);
	check_cmds(_metadata, queue, ring_cmds, N(ring_cmds), 0);
	check_cmds(_metadata, queue, queue_cmds, N(queue_cmds), 1);
	close(queue);
	close(ring);
}

KIPC_TEST_HARNESS_MAIN
