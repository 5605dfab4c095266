/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Small wrappers around the kipc queue ioctls for the selftests.  Every
 * function returns a value >= 0 or -errno.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef KIPC_QUEUE_UTIL_H
#define KIPC_QUEUE_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "tring.h"

static inline int kq_dev(void)
{
	return open("/dev/kipc", O_RDWR | O_CLOEXEC);
}

static inline int kq_create_full(int dev, uint32_t msg_size, uint32_t max_msgs,
				 uint64_t max_bytes, uint32_t role, uint32_t fd_flags,
				 const char *name, uint32_t mode)
{
	struct kipc_queue_create qc;
	int fd;

	memset(&qc, 0, sizeof(qc));
	qc.obj.role = role;
	qc.max_msg_size = msg_size;
	qc.max_msgs = max_msgs;
	qc.max_bytes = max_bytes;
	qc.obj.name = (uintptr_t)name;
	qc.obj.mode = mode;
	qc.obj.fd_flags = fd_flags;
	qc.obj.fd = 0;
	fd = ioctl(dev, KIPC_IOC_QUEUE_CREATE, &qc);
	if (fd < 0)
		return -errno;
	if (qc.obj.fd != fd)
		return -EPROTO;
	return fd;
}

static inline int kq_create(int dev, uint32_t msg_size, uint32_t max_msgs)
{
	return kq_create_full(dev, msg_size, max_msgs, 0,
			      KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER, 0, NULL, 0600);
}

static inline int kq_open(int dev, const char *name, uint32_t role, uint32_t fd_flags)
{
	return tobj_open(dev, name, KIPC_OBJ_QUEUE, role, fd_flags);
}

static inline int kq_unlink(int dev, const char *name)
{
	return tobj_unlink(dev, name, KIPC_OBJ_QUEUE);
}

static inline int kq_send(int fd, const void *buf, uint32_t len, uint32_t prio,
			  uint32_t flags, uint64_t timeout)
{
	struct kipc_queue_xfer x;

	memset(&x, 0, sizeof(x));
	x.msg.buf = (uintptr_t)buf;
	x.msg.len = len;
	x.msg.prio = prio;
	x.flags = flags;
	x.timeout = timeout;
	return ioctl(fd, KIPC_QUEUE_IOC_SEND, &x) ? -errno : 0;
}

/* @out (optional) gets the descriptor the kernel wrote back. */
static inline int kq_recv(int fd, void *buf, uint32_t len, uint32_t flags,
			  uint64_t timeout, struct kipc_queue_msg *out)
{
	struct kipc_queue_xfer x;
	int ret;

	memset(&x, 0, sizeof(x));
	x.msg.buf = (uintptr_t)buf;
	x.msg.len = len;
	/* Poison the outputs: the kernel must overwrite them. */
	x.msg.prio = 0xdeadbeef;
	x.msg.pid = -7;
	x.msg.uid = 0xdeadbeef;
	x.msg.gid = 0xdeadbeef;
	x.flags = flags;
	x.timeout = timeout;
	ret = ioctl(fd, KIPC_QUEUE_IOC_RECV, &x);
	if (ret < 0)
		ret = -errno;
	if (out)
		*out = x.msg;
	return ret;
}

/* One SENDV or RECVV (@cmd) of @count messages. */
static inline int kq_mxfer(int fd, unsigned long cmd, struct kipc_queue_msg *msgs,
			   uint32_t count, uint32_t flags, uint64_t timeout)
{
	struct kipc_queue_mxfer mx;
	int ret;

	memset(&mx, 0, sizeof(mx));
	mx.msgs = (uintptr_t)msgs;
	mx.count = count;
	mx.flags = flags;
	mx.timeout = timeout;
	ret = ioctl(fd, cmd, &mx);
	return ret < 0 ? -errno : ret;
}

static inline int kq_sendv(int fd, struct kipc_queue_msg *msgs, uint32_t count,
			   uint32_t flags, uint64_t timeout)
{
	return kq_mxfer(fd, KIPC_QUEUE_IOC_SENDV, msgs, count, flags, timeout);
}

static inline int kq_recvv(int fd, struct kipc_queue_msg *msgs, uint32_t count,
			   uint32_t flags, uint64_t timeout)
{
	return kq_mxfer(fd, KIPC_QUEUE_IOC_RECVV, msgs, count, flags, timeout);
}

/* A field of the queue's INFO ("msgs", "producers", ...), or -1. */
static inline long long kq_info(int fd, const char *key)
{
	long long v = tobj_info(fd, key);

	return v == LLONG_MIN ? -1 : v;
}

static inline uint64_t kq_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#endif /* KIPC_QUEUE_UTIL_H */
