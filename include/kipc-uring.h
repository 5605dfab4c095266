/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkipc - io_uring integration.
 *
 * Include this header for kipc_uring_prep_poll(); it includes
 * <liburing.h> and <kipc.h> itself, so the order of includes does not
 * matter.  Link with -lkipc -luring.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef KIPC_URING_H
#define KIPC_URING_H

#include <liburing.h>
#include <kipc.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Prepare @sqe to wait for @ch.  Arms the endpoint; when it is ready
 * already the SQE becomes a NOP (completion res 0), otherwise a one-shot
 * IORING_OP_POLL_ADD on kipc_fd().  Returns 0 or -errno (-EBADF for a
 * closed handle).
 */
static inline int kipc_uring_prep_poll(struct io_uring_sqe *sqe, kipc_chan ch)
{
	int fd = kipc_fd(ch), ev = kipc_poll_events(ch), ret;

	if (fd < 0)
		return fd;
	if (ev < 0)
		return ev;
	ret = kipc_poll_arm(ch);
	if (ret < 0)
		return ret;
	if (ret > 0)
		io_uring_prep_nop(sqe);
	else
		io_uring_prep_poll_add(sqe, fd, (unsigned int)ev);
	return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* KIPC_URING_H */
