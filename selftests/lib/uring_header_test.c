// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * <kipc-uring.h> stands on its own: included after <kipc.h> and before
 * <liburing.h> (conformance_test.c includes it the other way round), it
 * still declares kipc_uring_prep_poll().  Before it had its own header,
 * that order silently left the helper out.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <kipc.h>
#include <kipc-uring.h>
#include <liburing.h>
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"

TEST(prep_poll_after_kipc_h)
{
	struct io_uring_sqe sqe;
	struct kipc_opts o;
	kipc_chan tx, rx;

	kipc_opts_init(&o);
	o.backend = KIPC_BACKEND_SHM;
	ASSERT_EQ(0, kipc_pair(&tx, &rx, &o));

	/* Nothing queued: a one-shot poll of the endpoint's fd. */
	memset(&sqe, 0xff, sizeof(sqe));
	ASSERT_EQ(0, kipc_uring_prep_poll(&sqe, rx));
	EXPECT_EQ(IORING_OP_POLL_ADD, sqe.opcode);
	EXPECT_EQ(kipc_fd(rx), sqe.fd);

	/* A message queued: ready already, a NOP. */
	ASSERT_EQ(1, kipc_send(tx, "x", 1));
	memset(&sqe, 0xff, sizeof(sqe));
	ASSERT_EQ(0, kipc_uring_prep_poll(&sqe, rx));
	EXPECT_EQ(IORING_OP_NOP, sqe.opcode);

	ASSERT_EQ(0, kipc_close(tx));
	ASSERT_EQ(0, kipc_close(rx));
	EXPECT_EQ(-EBADF, kipc_uring_prep_poll(&sqe, rx));
}

TEST_HARNESS_MAIN
