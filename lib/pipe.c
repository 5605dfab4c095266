// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkipc - the pipe backend: pipes (anonymous pairs) and FIFOs (named
 * channels), with length-prefixed framing.
 *
 * Frame: struct pipe_hdr { len, magic } then len bytes.  The consumer
 * reads the pipe in large chunks into a buffer of its own and parses
 * frames from it; a bad header (wrong magic, len 0 or above max_msg) is
 * -EBADMSG.  Both sides must use the same max_msg.
 *
 * Several producers: a write of more than PIPE_BUF bytes is not atomic,
 * and another writer's frame can land between its pieces.  With
 * KIPC_F_MULTI_PRODUCER every frame is therefore written under a lock:
 * a POSIX record lock (fcntl F_SETLKW) on a lock file -- a memfd for an
 * anonymous pair, NAME.lock for a named channel -- which excludes other
 * processes and is dropped by the kernel when a holder dies, plus a
 * process-wide mutex for the threads of one process.  A producer killed
 * in the middle of a frame still leaves a torn frame behind: the
 * consumer reports -EBADMSG (or end of stream, if no producer is left).
 * What a pipe cannot do: one consumer only, no credentials, no zero
 * copy (reserve/peek go through a buffer).
 *
 * Named channel: the consumer creates $KIPC_RUNDIR/kipc.NAME.fifo
 * (mode = opts.mode) and keeps it open; producers open it for writing
 * (write permission needed, as with the kernel's names).  A FIFO
 * reports no POLLHUP before its first writer, so a consumer waits for a
 * producer instead of seeing end of stream at once.
 *
 * SIGPIPE: writes run with SIGPIPE blocked in the calling thread; a
 * SIGPIPE they raise is consumed, and EPIPE is returned instead.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "kipc_private.h"

#define PIPE_MAGIC	0x6b706970U	/* "kpip" */
#define PIPE_CHUNK	(64U << 10)
#define PATH_LEN	256

struct pipe_hdr {
	uint32_t len;
	uint32_t magic;
};

static pthread_mutex_t pipe_tx_lock = PTHREAD_MUTEX_INITIALIZER;

static int pipe_available(void)
{
	return 0;
}

/* Every setup starts here: no fd, no buffer. */
static void pipe_init(struct kipc_chan *ch)
{
	struct kipc_pipe_be *pe = &ch->be.pipe;

	memset(pe, 0, sizeof(*pe));
	pe->c.fd = pe->lock_fd = -1;
}

static int pipe_fd(struct kipc_chan *ch)
{
	return ch->be.pipe.c.fd;
}

static void pipe_close(struct kipc_chan *ch)
{
	struct kipc_pipe_be *pe = &ch->be.pipe;

	kipc__close_fd(pe->c.fd);
	kipc__close_fd(pe->lock_fd);
	pe->c.fd = pe->lock_fd = -1;
	free(pe->c.buf);
	pe->c.buf = NULL;
}

static int pipe_alloc_rx(struct kipc_chan *ch)
{
	struct kipc_pipe_be *pe = &ch->be.pipe;
	int saved = errno;

	pe->c.buf_cap = sizeof(struct pipe_hdr) + ch->max_msg + PIPE_CHUNK;
	pe->c.buf = malloc(pe->c.buf_cap);
	errno = saved;
	return pe->c.buf ? 0 : -ENOMEM;
}

static int pipe_alloc_tx(struct kipc_chan *ch)
{
	struct kipc_pipe_be *pe = &ch->be.pipe;
	int saved = errno;

	pe->c.buf_cap = ch->max_msg;
	pe->c.buf = malloc(pe->c.buf_cap);
	errno = saved;
	return pe->c.buf ? 0 : -ENOMEM;
}

static int pipe_pair(struct kipc_chan *tx, struct kipc_chan *rx)
{
	int p[2], saved = errno, ret;

	pipe_init(tx);
	pipe_init(rx);
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		goto out_errno;
	tx->be.pipe.c.fd = p[1];
	rx->be.pipe.c.fd = p[0];
	if (tx->flags & KIPC_F_MULTI_PRODUCER) {
		tx->be.pipe.lock_fd = memfd_create("kipc-pipe-lock", MFD_CLOEXEC);
		if (tx->be.pipe.lock_fd < 0 || ftruncate(tx->be.pipe.lock_fd, 1))
			goto out_close;
	}
	/* A bigger pipe for big messages; best effort. */
	if (tx->capacity > PIPE_CHUNK)
		fcntl(p[1], F_SETPIPE_SZ, (int)(tx->capacity > (1U << 20) ?
						(1U << 20) : tx->capacity));
	errno = saved;
	ret = pipe_alloc_tx(tx);
	if (!ret)
		ret = pipe_alloc_rx(rx);
	if (ret) {
		pipe_close(tx);
		pipe_close(rx);
	}
	return ret;
out_close:
	ret = -errno;
	pipe_close(tx);
	pipe_close(rx);
	errno = saved;
	return ret;
out_errno:
	ret = -errno;
	errno = saved;
	return ret;
}

static int pipe_paths(const char *name, char fifo[PATH_LEN], char lock[PATH_LEN])
{
	int ret = kipc__path(fifo, PATH_LEN, name, ".fifo");

	return ret ? ret : kipc__path(lock, PATH_LEN, name, ".lock");
}

static int pipe_create(struct kipc_chan *ch, const char *name)
{
	struct kipc_pipe_be *pe = &ch->be.pipe;
	char fifo[PATH_LEN], lock[PATH_LEN], tmp[PATH_LEN + 32];
	int saved = errno, ret, lfd;

	pipe_init(ch);
	if (ch->role != KIPC_CONSUMER)
		return -EOPNOTSUPP;	/* the one consumer creates the name */
	ret = pipe_paths(name, fifo, lock);
	if (ret)
		return ret;
	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", fifo, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if (!access(fifo, F_OK))
		return -EEXIST;
	ret = pipe_alloc_rx(ch);
	if (ret)
		return ret;
	unlink(tmp);
	lfd = open(lock, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd < 0 || fchmod(lfd, ch->mode))
		goto out_errno;
	kipc__close_fd(lfd);
	lfd = -1;
	if (mkfifo(tmp, 0600) || chmod(tmp, ch->mode))
		goto out_errno;
	pe->c.fd = open(tmp, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (pe->c.fd < 0 || link(tmp, fifo))
		goto out_errno;
	unlink(tmp);
	errno = saved;
	return 0;
out_errno:
	ret = -errno;
	kipc__close_fd(lfd);
	unlink(tmp);
	pipe_close(ch);
	errno = saved;
	return ret;
}

static int pipe_open(struct kipc_chan *ch, const char *name)
{
	struct kipc_pipe_be *pe = &ch->be.pipe;
	char fifo[PATH_LEN], lock[PATH_LEN];
	int saved = errno, ret;

	pipe_init(ch);
	ret = pipe_paths(name, fifo, lock);
	if (ret)
		return ret;
	if (access(fifo, F_OK) && errno == ENOENT) {
		errno = saved;
		return -ENOENT;
	}
	if (ch->role != KIPC_PRODUCER)
		return -EOPNOTSUPP;	/* one consumer: its creator */
	ret = pipe_alloc_tx(ch);
	if (ret)
		return ret;
	pe->c.fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (pe->c.fd < 0) {
		ret = errno == ENXIO ? -ECONNREFUSED : -errno;	/* no consumer */
		goto out;
	}
	if (ch->flags & KIPC_F_MULTI_PRODUCER) {
		pe->lock_fd = open(lock, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (pe->lock_fd < 0) {
			ret = -errno;
			goto out;
		}
	}
	errno = saved;
	return 0;
out:
	pipe_close(ch);
	errno = saved;
	return ret;
}

static int pipe_unlink(const char *name)
{
	char fifo[PATH_LEN], lock[PATH_LEN];
	int saved = errno, ret;

	ret = pipe_paths(name, fifo, lock);
	if (ret)
		return ret;
	ret = unlink(fifo) ? -errno : 0;
	if (!ret)
		unlink(lock);
	errno = saved;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Producer                                                             */
/* ------------------------------------------------------------------ */

static int tx_lock(struct kipc_chan *ch)
{
	struct kipc_pipe_be *pe = &ch->be.pipe;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1 };

	if (pe->lock_fd < 0)
		return 0;
	pthread_mutex_lock(&pipe_tx_lock);
	while (fcntl(pe->lock_fd, F_SETLKW, &fl)) {
		if (errno != EINTR) {
			int ret = -errno;

			pthread_mutex_unlock(&pipe_tx_lock);
			return ret;
		}
	}
	return 0;
}

static void tx_unlock(struct kipc_chan *ch)
{
	struct kipc_pipe_be *pe = &ch->be.pipe;
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_len = 1 };

	if (pe->lock_fd < 0)
		return;
	fcntl(pe->lock_fd, F_SETLK, &fl);
	pthread_mutex_unlock(&pipe_tx_lock);
}

/* Write all of @iov; waits for room as needed.  0 or -errno. */
static int write_all(int fd, struct iovec *iov, int iovcnt, uint64_t deadline,
		     bool started)
{
	while (iovcnt) {
		ssize_t n = writev(fd, iov, iovcnt);

		if (n < 0) {
			int e = errno;

			if (e != EAGAIN && e != EINTR)
				return -e;
			/*
			 * Once a frame is started, it must be finished: no
			 * deadline, and a signal cannot cut it in two.
			 */
			e = kipc__wait_fd(fd, POLLOUT, started ? KIPC_FOREVER : deadline);
			if (e < 0 && !(started && e == -EINTR))
				return e;
			continue;
		}
		started = true;
		while (iovcnt && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int pipe_sendv(struct kipc_chan *ch, const struct iovec *iov, int iovcnt,
		      size_t len, uint64_t deadline)
{
	struct kipc_pipe_be *pe = &ch->be.pipe;
	struct pipe_hdr h = { .len = (uint32_t)len, .magic = PIPE_MAGIC };
	struct iovec *v, vs[9];
	sigset_t pipe_set, old, pend;
	struct timespec zero = { 0, 0 };
	int saved = errno, ret, pending;

	if (iovcnt + 1 <= (int)(sizeof(vs) / sizeof(vs[0]))) {
		v = vs;
	} else {
		v = malloc(sizeof(*v) * (size_t)(iovcnt + 1));
		if (!v) {
			errno = saved;
			return -ENOMEM;
		}
	}
	v[0].iov_base = &h;
	v[0].iov_len = sizeof(h);
	memcpy(v + 1, iov, sizeof(*v) * (size_t)iovcnt);

	/*
	 * A frame that fits PIPE_BUF goes in one atomic write; a longer one
	 * waits for some room first (honouring the deadline), then is
	 * finished whatever it takes.
	 */
	if (len + sizeof(h) > PIPE_BUF) {
		ret = kipc__wait_fd(pe->c.fd, POLLOUT, deadline);
		if (ret < 0)
			goto out;
	}
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pend);
	pending = sigismember(&pend, SIGPIPE);
	ret = tx_lock(ch);
	if (!ret) {
		ret = write_all(pe->c.fd, v, iovcnt + 1, deadline, false);
		tx_unlock(ch);
	}
	if (ret == -EPIPE && !pending)
		sigtimedwait(&pipe_set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!ret)
		ret = (int)len;
out:
	if (v != vs)
		free(v);
	errno = saved;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Consumer                                                             */
/* ------------------------------------------------------------------ */

/* 1 with a whole frame at buf_off, 0 if none, -EBADMSG. */
static int frame_ready(struct kipc_chan *ch, uint32_t *len)
{
	struct kipc_pipe_be *pe = &ch->be.pipe;
	size_t have = pe->buf_fill - pe->buf_off;
	struct pipe_hdr h;

	if (have < sizeof(h))
		return 0;
	memcpy(&h, pe->c.buf + pe->buf_off, sizeof(h));
	if (h.magic != PIPE_MAGIC || h.len == 0 || h.len > ch->max_msg)
		return -EBADMSG;
	if (have < sizeof(h) + h.len)
		return 0;
	*len = h.len;
	return 1;
}

/* Read more bytes; 1 if some came, 0 at end of stream, or -errno. */
static int pipe_fill(struct kipc_chan *ch, uint64_t deadline)
{
	struct kipc_pipe_be *pe = &ch->be.pipe;
	int saved = errno, ret;
	ssize_t n;

	if (pe->buf_off && pe->c.buf_cap - pe->buf_fill < PIPE_CHUNK) {
		memmove(pe->c.buf, pe->c.buf + pe->buf_off, pe->buf_fill - pe->buf_off);
		pe->buf_fill -= pe->buf_off;
		pe->buf_off = 0;
	}
	for (;;) {
		/*
		 * Poll before reading: a FIFO that never had a writer reads
		 * as end of file but does not report POLLHUP.
		 */
		ret = kipc__wait_fd(pe->c.fd, POLLIN, deadline);
		if (ret < 0)
			break;
		n = read(pe->c.fd, pe->c.buf + pe->buf_fill,
			 pe->c.buf_cap - pe->buf_fill);
		if (n > 0) {
			pe->buf_fill += (size_t)n;
			ret = 1;
			break;
		}
		if (n == 0) {
			ret = 0;
			break;
		}
		if (errno != EAGAIN && errno != EINTR) {
			ret = -errno;
			break;
		}
	}
	errno = saved;
	return ret;
}

static int pipe_fetch(struct kipc_chan *ch, uint64_t deadline, uint32_t *len)
{
	struct kipc_pipe_be *pe = &ch->be.pipe;
	int ret;

	if (pe->eof)
		return 0;
	for (;;) {
		ret = frame_ready(ch, len);
		if (ret)
			return ret;
		ret = pipe_fill(ch, deadline);
		if (ret < 0)
			return ret;
		if (ret == 0) {
			/* A torn frame of a producer that died is dropped. */
			pe->eof = 1;
			return 0;
		}
	}
}

static int pipe_peek(struct kipc_chan *ch, const void **buf, uint64_t deadline)
{
	struct kipc_pipe_be *pe = &ch->be.pipe;
	uint32_t len;
	int ret = pipe_fetch(ch, deadline, &len);

	if (ret <= 0)
		return ret;
	*buf = pe->c.buf + pe->buf_off + sizeof(struct pipe_hdr);
	return (int)len;
}

static int pipe_release(struct kipc_chan *ch)
{
	struct kipc_pipe_be *pe = &ch->be.pipe;
	uint32_t len;

	if (frame_ready(ch, &len) <= 0)
		return -EINVAL;
	pe->buf_off += sizeof(struct pipe_hdr) + len;
	if (pe->buf_off == pe->buf_fill)
		pe->buf_off = pe->buf_fill = 0;
	return 0;
}

static int pipe_recv(struct kipc_chan *ch, struct kipc_msg *m, uint64_t deadline)
{
	const void *p;
	int ret = pipe_peek(ch, &p, deadline);

	if (ret <= 0)
		return ret;
	if ((size_t)ret > m->len)
		return -EMSGSIZE;	/* stays buffered */
	memcpy(m->buf, p, (size_t)ret);
	pipe_release(ch);
	return ret;
}





static int pipe_poll_arm(struct kipc_chan *ch)
{
	struct kipc_pipe_be *pe = &ch->be.pipe;
	uint32_t len;
	int ret;

	if (ch->role == KIPC_CONSUMER && (pe->eof || frame_ready(ch, &len)))
		return 1;
	ret = kipc__wait_fd(pe->c.fd, (short)kipc__copy_poll_events(ch), KIPC_NOWAIT);
	if (ret == -EAGAIN)
		return 0;
	return ret < 0 ? ret : 1;
}

const struct kipc_backend_ops kipc__pipe_ops = {
	.name = "pipe",
	.guarantees = KIPC_F_MULTI_PRODUCER,
	.available = pipe_available,
	.pair = pipe_pair,
	.create = pipe_create,
	.open = pipe_open,
	.unlink = pipe_unlink,
	.close = pipe_close,
	.fd = pipe_fd,
	.sendv = pipe_sendv,
	.recv = pipe_recv,
	.reserve = kipc__copy_reserve,
	.commit = kipc__copy_commit,
	.abort = kipc__copy_abort,
	.peek = pipe_peek,
	.release = pipe_release,
	.poll_arm = pipe_poll_arm,
	.poll_events = kipc__copy_poll_events,
};
