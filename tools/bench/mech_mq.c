// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench - POSIX message queue baseline.
 *
 * The queue is opened, then unlinked at once: the descriptor (an fd on
 * Linux) is inherited by the workers, and nothing is left behind if the
 * benchmark dies.  Depth is the buffer budget in messages, within the
 * limits env.c could obtain (see setup_mq()).
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"

/* What the kernel charges to RLIMIT_MSGQUEUE per message (msg_msg, tree node). */
#define MQ_MSG_OVERHEAD	96

struct mqchan {
	mqd_t q;
	size_t len;
};

/*
 * Without CAP_SYS_RESOURCE all queues of a user share RLIMIT_MSGQUEUE
 * (800 KiB by default).  Give one queue at most a quarter of it: a
 * ping-pong needs two.
 */
static long mq_depth_max(size_t len)
{
	long d = bench_env.mq_msg_max;

	if (bench_env.mq_rlimit > 0 && (long)(bench_env.mq_rlimit / 4 / (len + MQ_MSG_OVERHEAD)) < d)
		d = (long)(bench_env.mq_rlimit / 4 / (len + MQ_MSG_OVERHEAD));
	return d;
}

static mqd_t mq_anon(long depth, long size)
{
	static unsigned int seq;
	struct mq_attr attr = { .mq_maxmsg = depth, .mq_msgsize = size };
	char name[64];
	mqd_t q;

	snprintf(name, sizeof(name), "/kipc-bench-%d-%u", (int)getpid(), seq++);
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
	if (q != (mqd_t)-1)
		mq_unlink(name);
	return q;
}

static const char *mq_unsupported(const struct bench_chan_cfg *cfg)
{
	if ((long)cfg->msg_size > bench_env.mq_msgsize_max)
		return "above fs.mqueue.msgsize_max";
	if (mq_depth_max(cfg->msg_size) < 1)
		return "RLIMIT_MSGQUEUE too small for one message";
	return NULL;
}

static void *mq_chan_open(const struct bench_mech *m, const struct bench_chan_cfg *cfg, int *err)
{
	struct mqchan *c = calloc(1, sizeof(*c));
	long depth = (long)(cfg->budget / cfg->msg_size);

	(void)m;
	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	if (depth < 2)
		depth = 2;
	if (depth > mq_depth_max(cfg->msg_size))
		depth = mq_depth_max(cfg->msg_size);
	c->len = cfg->msg_size;
	c->q = mq_anon(depth, (long)cfg->msg_size);
	if (c->q == (mqd_t)-1) {
		*err = -errno;
		free(c);
		return NULL;
	}
	return c;
}

static int mq_chan_send(void *ch, const void *msg)
{
	struct mqchan *c = ch;

	while (mq_send(c->q, msg, c->len, 0))
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int mq_chan_recv(void *ch, void *buf)
{
	struct mqchan *c = ch;
	ssize_t n;

	do
		n = mq_receive(c->q, buf, c->len, NULL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == c->len ? 0 : -EBADMSG;
}

static void mq_chan_close(void *ch)
{
	struct mqchan *c = ch;

	mq_close(c->q);
	free(c);
}

/*
 * An idle queue.  Its kernel memory does not depend on the attributes
 * (messages are allocated when sent), but the RLIMIT_MSGQUEUE charge
 * does: one message of 64 bytes lets the most queues fit.
 */
static int obj_mq(const struct bench_mech *m, struct bench_obj *o)
{
	mqd_t q = mq_anon(1, 64);

	(void)m;
	if (q == (mqd_t)-1)
		return -errno;
	o->fd[0] = q;
	return 0;
}

static void obj_mq_destroy(struct bench_obj *o)
{
	mq_close(o->fd[0]);
}

const struct bench_mech mech_mq = {
	.name = "posix-mq",
	.group = BENCH_BASELINE,
	.desc = "mq_open (unlinked at once), mq_send/mq_receive, depth = budget/size",
	.caps = MECH_SLEEPS | MECH_MPSC,
	.unsupported = mq_unsupported,
	.open = mq_chan_open,
	.send = mq_chan_send,
	.recv = mq_chan_recv,
	.close = mq_chan_close,
	.obj_create = obj_mq,
	.obj_destroy = obj_mq_destroy,
	.obj_desc = "mq_open(maxmsg 1, msgsize 64) + mq_unlink",
};
