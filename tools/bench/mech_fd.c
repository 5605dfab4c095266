// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench - baselines on file descriptors: pipe, unix SOCK_STREAM and
 * unix SOCK_SEQPACKET.
 *
 * Fairness: every channel gets the same buffer budget where a per-object
 * knob exists (F_SETPIPE_SZ; SO_SNDBUF/SO_RCVBUF, forced as root).
 * System-wide sysctls keep their defaults (net.unix.max_dgram_qlen limits
 * a SEQPACKET socket to a few queued messages, as users get it).
 * Byte streams batch the way their users do: one write of n messages,
 * one large read that is cut into messages (a partial tail is carried
 * over).  SEQPACKET batches with sendmmsg/recvmmsg.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench.h"

enum fd_kind { FD_PIPE, FD_STREAM, FD_SEQPACKET };

struct fdchan {
	enum fd_kind kind;
	int rfd, wfd;
	size_t len;
	unsigned int batch;
	/* byte streams: bytes read past the last whole message */
	unsigned char *carry;
	size_t carry_len;
	/* SEQPACKET batches */
	struct mmsghdr *mm;
	struct iovec *iov;
};

static int write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void set_sockbuf(int fd, int opt, int force, size_t want)
{
	int v = want > INT_MAX / 2 ? INT_MAX / 2 : (int)want;

	/* The kernel doubles the value for its bookkeeping. */
	if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

/* bench_mech.priv of each row */
static const enum fd_kind kind_pipe = FD_PIPE, kind_stream = FD_STREAM,
			  kind_seqpacket = FD_SEQPACKET;

static void *fd_open(const struct bench_mech *m, const struct bench_chan_cfg *cfg, int *err)
{
	enum fd_kind kind = *(const enum fd_kind *)m->priv;
	struct fdchan *c = calloc(1, sizeof(*c));
	size_t want = cfg->budget > 4 * cfg->msg_size ? cfg->budget : 4 * cfg->msg_size;
	int fds[2];

	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	c->kind = kind;
	c->len = cfg->msg_size;
	c->batch = cfg->batch ? cfg->batch : 1;
	if (kind == FD_PIPE) {
		if (pipe2(fds, O_CLOEXEC))
			goto fail;
		c->rfd = fds[0];
		c->wfd = fds[1];
		/* Up to /proc/sys/fs/pipe-max-size; larger silently stays. */
		for (size_t sz = want; sz >= 65536; sz /= 2)
			if (fcntl(c->wfd, F_SETPIPE_SZ, (int)sz) >= 0)
				break;
	} else {
		if (socketpair(AF_UNIX, (kind == FD_STREAM ? SOCK_STREAM : SOCK_SEQPACKET) |
			       SOCK_CLOEXEC, 0, fds))
			goto fail;
		c->wfd = fds[0];
		c->rfd = fds[1];
		set_sockbuf(c->wfd, SO_SNDBUF, SO_SNDBUFFORCE, want);
		set_sockbuf(c->rfd, SO_RCVBUF, SO_RCVBUFFORCE, want);
	}
	if (kind != FD_SEQPACKET && c->batch > 1) {
		c->carry = malloc(c->len * c->batch);
		if (!c->carry)
			goto nomem;
	}
	if (kind == FD_SEQPACKET && c->batch > 1) {
		c->mm = calloc(c->batch, sizeof(*c->mm));
		c->iov = calloc(c->batch, sizeof(*c->iov));
		if (!c->mm || !c->iov)
			goto nomem;
	}
	return c;
nomem:
	errno = ENOMEM;
fail:
	*err = -errno;
	free(c->mm);
	free(c->iov);
	free(c->carry);
	free(c);
	return NULL;
}

/* Each side closes the end it does not use, so a dead peer gives EOF/EPIPE. */
static int fd_attach(void *ch, enum bench_role role)
{
	struct fdchan *c = ch;

	if (role == ROLE_PRODUCER) {
		close(c->rfd);
		c->rfd = -1;
	} else {
		close(c->wfd);
		c->wfd = -1;
	}
	return 0;
}

static int fd_send(void *ch, const void *msg)
{
	struct fdchan *c = ch;

	if (c->kind == FD_SEQPACKET) {
		ssize_t n;

		do
			n = send(c->wfd, msg, c->len, 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		return (size_t)n == c->len ? 0 : -EMSGSIZE;
	}
	return write_all(c->wfd, msg, c->len);
}

static int fd_recv(void *ch, void *buf)
{
	struct fdchan *c = ch;

	if (c->kind == FD_SEQPACKET) {
		ssize_t n;

		do
			n = recv(c->rfd, buf, c->len, 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		return (size_t)n == c->len ? 0 : n == 0 ? -EPIPE : -EBADMSG;
	}
	return read_all(c->rfd, buf, c->len);
}

static int fd_send_batch(void *ch, const void *msgs, unsigned int n)
{
	struct fdchan *c = ch;
	const unsigned char *p = msgs;

	if (c->kind != FD_SEQPACKET)
		return write_all(c->wfd, msgs, c->len * n);
	for (unsigned int i = 0; i < n; i++) {
		c->iov[i].iov_base = (void *)(p + i * c->len);
		c->iov[i].iov_len = c->len;
		memset(&c->mm[i].msg_hdr, 0, sizeof(c->mm[i].msg_hdr));
		c->mm[i].msg_hdr.msg_iov = &c->iov[i];
		c->mm[i].msg_hdr.msg_iovlen = 1;
	}
	for (unsigned int done = 0; done < n;) {
		int r = sendmmsg(c->wfd, c->mm + done, n - done, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (unsigned int)r;
	}
	return 0;
}

static int fd_recv_batch(void *ch, void *bufs, unsigned int max)
{
	struct fdchan *c = ch;
	unsigned char *p = bufs;
	size_t have;
	ssize_t n;
	int r;

	if (c->kind == FD_SEQPACKET) {
		for (unsigned int i = 0; i < max; i++) {
			c->iov[i].iov_base = p + i * c->len;
			c->iov[i].iov_len = c->len;
			memset(&c->mm[i].msg_hdr, 0, sizeof(c->mm[i].msg_hdr));
			c->mm[i].msg_hdr.msg_iov = &c->iov[i];
			c->mm[i].msg_hdr.msg_iovlen = 1;
		}
		do
			r = recvmmsg(c->rfd, c->mm, max, MSG_WAITFORONE, NULL);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return -errno;
		for (int i = 0; i < r; i++)
			if (c->mm[i].msg_len != c->len)
				return c->mm[i].msg_len ? -EBADMSG : -EPIPE;
		return r;
	}
	/* Byte stream: whatever is there, cut at message boundaries. */
	memcpy(p, c->carry, c->carry_len);
	have = c->carry_len;
	do {
		do
			n = read(c->rfd, p + have, c->len * max - have);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		have += (size_t)n;
	} while (have < c->len);
	r = (int)(have / c->len);
	c->carry_len = have - (size_t)r * c->len;
	memcpy(c->carry, p + (size_t)r * c->len, c->carry_len);
	return r;
}

static void fd_close(void *ch)
{
	struct fdchan *c = ch;

	if (c->rfd >= 0)
		close(c->rfd);
	if (c->wfd >= 0)
		close(c->wfd);
	free(c->mm);
	free(c->iov);
	free(c->carry);
	free(c);
}

/* Several writers of one pipe stay atomic only up to PIPE_BUF. */
static const char *pipe_unsupported(const struct bench_chan_cfg *cfg)
{
	if (cfg->nprod > 1 && cfg->msg_size > PIPE_BUF)
		return "writes above PIPE_BUF are not atomic";
	return NULL;
}

static const char *stream_unsupported(const struct bench_chan_cfg *cfg)
{
	if (cfg->nprod > 1)
		return "a byte stream has no atomic messages";
	return NULL;
}

/* An idle object: the bare pipe or socket pair, no buffer sizing. */
static int fd_obj_create(const struct bench_mech *m, struct bench_obj *o)
{
	enum fd_kind kind = *(const enum fd_kind *)m->priv;

	if (kind == FD_PIPE)
		return pipe2(o->fd, O_CLOEXEC) ? -errno : 0;
	return socketpair(AF_UNIX, (kind == FD_STREAM ? SOCK_STREAM : SOCK_SEQPACKET) |
			  SOCK_CLOEXEC, 0, o->fd) ? -errno : 0;
}

static void obj_close2(struct bench_obj *o)
{
	close(o->fd[0]);
	close(o->fd[1]);
}

/* A row on file descriptors of kind kd, caps cp, description ds, then its own fields. */
#define FD_MECH(nm, kd, cp, ds, ...)					\
	{								\
		.name = nm, .group = BENCH_BASELINE, .desc = ds, .caps = cp,	\
		.priv = &kd,						\
		.open = fd_open,					\
		.attach = fd_attach,					\
		.send = fd_send,					\
		.recv = fd_recv,					\
		.send_batch = fd_send_batch,				\
		.recv_batch = fd_recv_batch,				\
		.close = fd_close,					\
		.obj_create = fd_obj_create,				\
		.obj_destroy = obj_close2,				\
		__VA_ARGS__						\
	}

const struct bench_mech mech_pipe = FD_MECH("pipe", kind_pipe, MECH_SLEEPS | MECH_BATCH | MECH_MPSC,
	"pipe2(), F_SETPIPE_SZ to the budget; batch: one write, one large read",
	.unsupported = pipe_unsupported, .obj_desc = "pipe2()");

const struct bench_mech mech_unix_stream = FD_MECH("unix-stream", kind_stream, MECH_SLEEPS | MECH_BATCH,
	"socketpair(AF_UNIX, SOCK_STREAM); batch: one write, one large read",
	.unsupported = stream_unsupported, .obj_desc = "socketpair(SOCK_STREAM)");

const struct bench_mech mech_unix_seqpacket = FD_MECH("unix-seqpacket", kind_seqpacket,
	MECH_SLEEPS | MECH_BATCH | MECH_MPSC,
	"socketpair(AF_UNIX, SOCK_SEQPACKET); batch: sendmmsg/recvmmsg",
	.obj_desc = "socketpair(SOCK_SEQPACKET)");
