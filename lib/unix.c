// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkipc - the unix backend: AF_UNIX SOCK_SEQPACKET.
 *
 * Anonymous pair: socketpair(); the producer only sends, the consumer
 * only receives.  Message boundaries, end of stream (recv 0 once every
 * producer fd is closed) and EPIPE come from the socket layer; sends use
 * MSG_NOSIGNAL.  Several processes may share either end: each recvmsg()
 * takes one whole message, so this backend honours multi-producer and
 * multi-consumer.  With KIPC_F_CREDENTIALS the consumer sets SO_PASSCRED
 * and every message carries the sender's pid/uid/gid as the kernel saw
 * them (SCM_CREDENTIALS).
 *
 * Named channel: the consumer creates it, binding a listening socket at
 * $KIPC_RUNDIR/kipc.NAME.sock (mode = opts.mode; connect() needs write
 * permission, as a producer does on the kernel's names).  Producers
 * connect; the consumer accepts lazily and reads its connections in
 * turn.  Its kipc_fd() is an epoll fd over the listener and the
 * connections.  End of stream: every producer that connected has gone.
 *
 * Zero-copy degrades to one copy through a buffer owned by the endpoint.
 *
 * Batches: a producer sends a batch with sendmmsg(), UNIX_BATCH entries
 * per call.  The consumer of an anonymous pair receives one with
 * recvmmsg(); see unix_recv_batch() for how that keeps a message that
 * does not fit its buffer queued.  The named consumer receives a batch
 * one message at a time: recvmmsg() works on one socket, and taking a
 * whole batch from one connection would undo the turn-taking between
 * producers.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kipc_private.h"

/* Messages per sendmmsg()/recvmmsg() call. */
#define UNIX_BATCH		64U
/* Bound on the staging area of a batch receive (virtual; touched as used). */
#define UNIX_STAGE_BYTES	(8U << 20)
/* Control data of one message: credentials, and room to see stray fds. */
#define UNIX_CBUF		(CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16 * sizeof(int)))

/*
 * The consumer's recvmmsg() state (ch->be.sock.rx_batch), made at its first batch.
 * Entry i of a batch whose buffer is shorter than max_msg is received
 * into that buffer and, past its end, into slot i of @data (max_msg
 * bytes; untouched unless a message is longer than the buffer).
 * Messages received but not handed out wait in slots [head, end), whole
 * and in order; unix_fetch() takes them before the socket.
 */
struct unix_batch {
	unsigned int nslots;
	unsigned int head, end;
	size_t len[UNIX_BATCH];
	struct kipc_msg cred[UNIX_BATCH];
	struct mmsghdr mm[UNIX_BATCH];
	struct iovec iov[UNIX_BATCH][2];
	union {
		char b[UNIX_CBUF];
		struct cmsghdr align;
	} cbuf[UNIX_BATCH];
	uint8_t *data;
};

static int unix_available(void)
{
	return 0;
}

static int sock_err(void)
{
	int e = errno;

	if (e == ECONNRESET || e == ENOTCONN)
		return -EPIPE;
	return -e;
}

static int unix_alloc_buf(struct kipc_chan *ch)
{
	struct kipc_sock_be *sk = &ch->be.sock;
	int saved = errno;

	sk->c.buf_cap = ch->max_msg;
	sk->c.buf = malloc(sk->c.buf_cap);
	errno = saved;
	return sk->c.buf ? 0 : -ENOMEM;
}

static void unix_tune(struct kipc_chan *ch, int fd)
{
	int one = 1, sz;

	sz = (int)(ch->capacity > 2ULL * ch->max_msg + 4096 ? ch->capacity :
		   2ULL * ch->max_msg + 4096);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (ch->role == KIPC_CONSUMER && (ch->flags & KIPC_F_CREDENTIALS))
		setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
}

/* Every setup starts here: no fd, no buffer. */
static void unix_init(struct kipc_chan *ch)
{
	struct kipc_sock_be *sk = &ch->be.sock;

	memset(sk, 0, sizeof(*sk));
	sk->c.fd = sk->lfd = sk->epfd = -1;
}

/* A named consumer polls its epoll set of connections. */
static int unix_fd(struct kipc_chan *ch)
{
	struct kipc_sock_be *sk = &ch->be.sock;

	return sk->epfd >= 0 ? sk->epfd : sk->c.fd;
}

static void unix_close(struct kipc_chan *ch)
{
	struct kipc_sock_be *sk = &ch->be.sock;

	for (int i = 0; i < sk->nconn; i++)
		kipc__close_fd(sk->conns[i]);
	free(sk->conns);
	sk->conns = NULL;
	sk->nconn = 0;
	kipc__close_fd(sk->c.fd);
	kipc__close_fd(sk->lfd);
	kipc__close_fd(sk->epfd);
	sk->c.fd = sk->lfd = sk->epfd = -1;
	free(sk->c.buf);
	sk->c.buf = NULL;
	if (sk->rx_batch) {
		free(((struct unix_batch *)sk->rx_batch)->data);
		free(sk->rx_batch);
		sk->rx_batch = NULL;
	}
}

static int unix_pair(struct kipc_chan *tx, struct kipc_chan *rx)
{
	int sv[2], saved = errno, ret;

	unix_init(tx);
	unix_init(rx);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv)) {
		ret = -errno;
		errno = saved;
		return ret;
	}
	tx->be.sock.c.fd = sv[0];
	rx->be.sock.c.fd = sv[1];
	unix_tune(tx, sv[0]);
	unix_tune(rx, sv[1]);
	errno = saved;
	ret = unix_alloc_buf(tx);
	if (!ret)
		ret = unix_alloc_buf(rx);
	if (ret) {
		unix_close(tx);
		unix_close(rx);
	}
	return ret;
}

static int unix_addr(const char *name, struct sockaddr_un *a, const char *suffix)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	return kipc__path(a->sun_path, sizeof(a->sun_path), name, suffix);
}

static int unix_create(struct kipc_chan *ch, const char *name)
{
	struct kipc_sock_be *sk = &ch->be.sock;
	struct sockaddr_un a, t;
	struct epoll_event ev = { .events = EPOLLIN };
	int saved = errno, ret;

	unix_init(ch);
	if (ch->role != KIPC_CONSUMER || (ch->flags & KIPC_F_MULTI_CONSUMER))
		return -EOPNOTSUPP;	/* the one consumer creates the name */
	ret = unix_addr(name, &a, ".sock");
	if (!ret)
		ret = unix_addr(name, &t, ".sock.tmp");
	if (ret)
		return ret;
	if (snprintf(t.sun_path, sizeof(t.sun_path), "%s.%d", a.sun_path,
		     (int)getpid()) >= (int)sizeof(t.sun_path))
		return -ENAMETOOLONG;
	if (!access(a.sun_path, F_OK))
		return -EEXIST;
	ret = unix_alloc_buf(ch);
	if (ret)
		return ret;
	sk->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sk->lfd < 0)
		goto out_errno;
	unix_tune(ch, sk->lfd);
	unlink(t.sun_path);
	/* Bind under a temporary name, set the mode, then rename into place. */
	if (bind(sk->lfd, (struct sockaddr *)&t, sizeof(t)) ||
	    chmod(t.sun_path, ch->mode) || listen(sk->lfd, 128))
		goto out_unlink;
	if (link(t.sun_path, a.sun_path))
		goto out_unlink;
	unlink(t.sun_path);
	sk->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sk->epfd < 0 || epoll_ctl(sk->epfd, EPOLL_CTL_ADD, sk->lfd, &ev)) {
		ret = -errno;
		unlink(a.sun_path);
		goto out_close;
	}
	errno = saved;
	return 0;
out_unlink:
	ret = -errno;
	unlink(t.sun_path);
	goto out_close;
out_errno:
	ret = -errno;
out_close:
	unix_close(ch);
	errno = saved;
	return ret;
}

static int unix_open(struct kipc_chan *ch, const char *name)
{
	struct kipc_sock_be *sk = &ch->be.sock;
	struct sockaddr_un a;
	int saved = errno, ret;

	unix_init(ch);
	ret = unix_addr(name, &a, ".sock");
	if (ret)
		return ret;
	if (access(a.sun_path, F_OK) && errno == ENOENT) {
		errno = saved;
		return -ENOENT;
	}
	if (ch->role != KIPC_PRODUCER)
		return -EOPNOTSUPP;	/* one consumer: its creator */
	ret = unix_alloc_buf(ch);
	if (ret)
		return ret;
	sk->c.fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sk->c.fd < 0)
		goto out_errno;
	unix_tune(ch, sk->c.fd);
	if (connect(sk->c.fd, (struct sockaddr *)&a, sizeof(a)))
		goto out_errno;
	if (fcntl(sk->c.fd, F_SETFL, O_NONBLOCK))
		goto out_errno;
	errno = saved;
	return 0;
out_errno:
	ret = -errno;
	unix_close(ch);
	errno = saved;
	return ret;
}

static int unix_unlink(const char *name)
{
	struct sockaddr_un a;
	int saved = errno, ret;

	ret = unix_addr(name, &a, ".sock");
	if (ret)
		return ret;
	ret = unlink(a.sun_path) ? -errno : 0;
	errno = saved;
	return ret;
}

/* ------------------------------------------------------------------ */

static int unix_sendv(struct kipc_chan *ch, const struct iovec *iov, int iovcnt,
		      size_t len, uint64_t deadline)
{
	struct kipc_sock_be *sk = &ch->be.sock;
	struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
	int saved = errno, ret;
	ssize_t n;

	for (;;) {
		n = sendmsg(sk->c.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			ret = (int)len;
			break;
		}
		ret = sock_err();
		if (ret != -EAGAIN && ret != -EINTR)
			break;
		ret = kipc__wait_fd(sk->c.fd, POLLOUT, deadline);
		if (ret < 0)
			break;
	}
	errno = saved;
	return ret;
}

static void unix_take_cred(struct msghdr *mh, struct kipc_msg *c)
{
	c->flags = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred uc;

			memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
			c->pid = uc.pid;
			c->uid = uc.uid;
			c->gid = uc.gid;
			c->flags = KIPC_MSG_CRED;
		} else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			/* fds are not part of the channel API: close them */
			int nfd = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));

			for (int i = 0; i < nfd; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				kipc__close_fd(fd);
			}
		}
	}
}

/* One recvmsg into @buf on @fd: length, 0 (EOF of fd), or -errno. */
static int unix_recv_fd(int fd, void *buf, size_t cap, struct kipc_msg *cred)
{
	union {
		char b[UNIX_CBUF];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b),
	};
	ssize_t n;

	n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (n == 0) {
		/*
		 * Linux checks a non-blocking SEQPACKET socket's queue before
		 * its hang-up flag: messages sent just before the peer's
		 * close can still be queued when 0 comes back.  Nothing can
		 * arrive after the hang-up, so a second look is final.
		 */
		mh.msg_controllen = sizeof(cbuf.b);
		mh.msg_flags = 0;
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	}
	if (n < 0)
		return sock_err();
	unix_take_cred(&mh, cred);
	if ((size_t)n > cap)
		return -EMSGSIZE;	/* longer than our max_msg: dropped */
	return (int)n;
}

static void unix_drop_conn(struct kipc_chan *ch, int i)
{
	struct kipc_sock_be *sk = &ch->be.sock;

	epoll_ctl(sk->epfd, EPOLL_CTL_DEL, sk->conns[i], NULL);
	kipc__close_fd(sk->conns[i]);
	sk->conns[i] = sk->conns[--sk->nconn];
}

static void unix_accept(struct kipc_chan *ch)
{
	struct kipc_sock_be *sk = &ch->be.sock;
	struct epoll_event ev = { .events = EPOLLIN };
	int fd, one = 1;

	while ((fd = accept4(sk->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		if (sk->nconn == sk->conn_cap) {
			int cap = sk->conn_cap ? 2 * sk->conn_cap : 8;
			int *n = realloc(sk->conns, (size_t)cap * sizeof(int));

			if (!n) {
				kipc__close_fd(fd);
				return;
			}
			sk->conns = n;
			sk->conn_cap = cap;
		}
		if (ch->flags & KIPC_F_CREDENTIALS)
			setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
		ev.data.fd = fd;
		epoll_ctl(sk->epfd, EPOLL_CTL_ADD, fd, &ev);
		sk->conns[sk->nconn++] = fd;
		sk->ever_connected = 1;
	}
}

/*
 * Fetch the next message into ch->be.sock.c.buf (ch->be.sock.c.msg_ready = its length).
 * Returns 1, 0 at end of stream, or -errno.
 */
static int unix_fetch(struct kipc_chan *ch, uint64_t deadline)
{
	struct kipc_sock_be *sk = &ch->be.sock;
	struct unix_batch *b = sk->rx_batch;
	int saved = errno, ret;

	if (sk->c.msg_ready)
		return 1;
	if (b && b->head < b->end) {
		/* Received by a batch, not handed out yet. */
		memcpy(sk->c.buf, b->data + (size_t)b->head * ch->max_msg, b->len[b->head]);
		sk->c.msg_ready = b->len[b->head];
		sk->msg_cred = b->cred[b->head];
		b->head++;
		return 1;
	}
	for (;;) {
		if (sk->lfd < 0) {
			ret = unix_recv_fd(sk->c.fd, sk->c.buf, sk->c.buf_cap,
					   &sk->msg_cred);
			if (ret == -EAGAIN || ret == -EINTR) {
				ret = kipc__wait_fd(sk->c.fd, POLLIN, deadline);
				if (ret < 0)
					break;
				continue;
			}
		} else {
			unix_accept(ch);
			ret = -EAGAIN;
			for (int k = 0; k < sk->nconn && ret == -EAGAIN; k++) {
				int i = (sk->conn_next + k) % sk->nconn;

				ret = unix_recv_fd(sk->conns[i], sk->c.buf, sk->c.buf_cap,
						   &sk->msg_cred);
				if (ret == 0 || ret == -EPIPE) {
					unix_drop_conn(ch, i);
					ret = -EAGAIN;
					k = -1;		/* rescan from conn_next */
					if (!sk->nconn)
						break;
				} else if (ret > 0) {
					sk->conn_next = (i + 1) % sk->nconn;
				}
			}
			if (ret == -EAGAIN && !sk->nconn && sk->ever_connected)
				ret = 0;	/* every producer has gone */
			if (ret == -EAGAIN || ret == -EINTR) {
				ret = kipc__wait_fd(sk->epfd, POLLIN, deadline);
				if (ret < 0)
					break;
				continue;
			}
		}
		if (ret > 0)
			sk->c.msg_ready = (size_t)ret;
		break;
	}
	errno = saved;
	return ret > 0 ? 1 : ret;
}

static int unix_recv(struct kipc_chan *ch, struct kipc_msg *m, uint64_t deadline)
{
	struct kipc_sock_be *sk = &ch->be.sock;
	int ret;

	/* Fast path: straight into the caller's buffer when it is big enough. */
	if (!sk->c.msg_ready && sk->lfd < 0 && m->len >= ch->max_msg &&
	    !(sk->rx_batch && ((struct unix_batch *)sk->rx_batch)->head <
	      ((struct unix_batch *)sk->rx_batch)->end)) {
		for (;;) {
			ret = unix_recv_fd(sk->c.fd, m->buf, m->len, m);
			if (ret != -EAGAIN && ret != -EINTR)
				return ret;
			ret = kipc__wait_fd(sk->c.fd, POLLIN, deadline);
			if (ret < 0)
				return ret;
		}
	}
	ret = unix_fetch(ch, deadline);
	if (ret <= 0)
		return ret;
	if (sk->c.msg_ready > m->len)
		return -EMSGSIZE;	/* stays buffered */
	memcpy(m->buf, sk->c.buf, sk->c.msg_ready);
	m->flags = sk->msg_cred.flags;
	m->pid = sk->msg_cred.pid;
	m->uid = sk->msg_cred.uid;
	m->gid = sk->msg_cred.gid;
	ret = (int)sk->c.msg_ready;
	sk->c.msg_ready = 0;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Batches                                                              */
/* ------------------------------------------------------------------ */

/*
 * sendmmsg() as many valid entries as the socket takes, UNIX_BATCH per
 * call; wait (until @deadline) only while nothing has gone.  An entry
 * that is invalid (NULL, empty, longer than max_msg) ends the batch, as
 * kipc_send_timed() would refuse it.
 */
static int unix_send_batch(struct kipc_chan *ch, const struct kipc_msg *msgs,
			   unsigned int n, uint64_t deadline)
{
	struct kipc_sock_be *sk = &ch->be.sock;
	struct mmsghdr mm[UNIX_BATCH];
	struct iovec iov[UNIX_BATCH];
	unsigned int done = 0;
	int saved = errno, ret = 0;

	while (done < n) {
		unsigned int k = 0;
		int r;

		for (; k < UNIX_BATCH && done + k < n; k++) {
			const struct kipc_msg *m = &msgs[done + k];

			if (!m->buf || !m->len) {
				ret = -EINVAL;
				break;
			}
			if (m->len > ch->max_msg) {
				ret = -EMSGSIZE;
				break;
			}
			iov[k].iov_base = m->buf;
			iov[k].iov_len = m->len;
			mm[k] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[k], .msg_iovlen = 1 } };
		}
		if (!k)
			break;		/* ret: the invalid entry's error */
		r = sendmmsg(sk->c.fd, mm, k, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0) {
			ret = sock_err();
			if (done || (ret != -EAGAIN && ret != -EINTR))
				break;
			ret = kipc__wait_fd(sk->c.fd, POLLOUT, deadline);
			if (ret < 0)
				break;
			continue;
		}
		done += (unsigned int)r;
		if ((unsigned int)r < k || ret)
			break;		/* socket full, or an invalid entry next */
	}
	errno = saved;
	return done ? (int)done : ret;
}

static struct unix_batch *unix_batch_state(struct kipc_chan *ch)
{
	struct kipc_sock_be *sk = &ch->be.sock;
	struct unix_batch *b = sk->rx_batch;
	unsigned int nslots;
	int saved = errno;

	if (b)
		return b;
	nslots = UNIX_STAGE_BYTES / ch->max_msg;
	nslots = nslots < 1 ? 1 : nslots > UNIX_BATCH ? UNIX_BATCH : nslots;
	b = calloc(1, sizeof(*b));
	if (b)
		b->data = malloc((size_t)nslots * ch->max_msg);
	if (b && !b->data) {
		free(b);
		b = NULL;
	}
	errno = saved;
	if (b) {
		b->nslots = nslots;
		sk->rx_batch = b;
	}
	return b;
}

/* The generic form: one message at a time, waiting only for the first. */
static int unix_recv_each(struct kipc_chan *ch, struct kipc_msg *msgs,
			  unsigned int n, uint64_t deadline)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		if (!msgs[i].buf || !msgs[i].len) {
			ret = -EINVAL;
			break;
		}
		msgs[i].flags = 0;
		msgs[i].priority = 0;
		ret = unix_recv(ch, &msgs[i], i ? KIPC_NOWAIT : deadline);
		if (ret <= 0)
			break;
		msgs[i].len = (size_t)ret;
	}
	return i ? (int)i : ret;
}

/*
 * recvmmsg() on the pair's socket, straight into the callers' buffers.
 * An entry whose buffer is shorter than max_msg gets the rest of staging
 * slot i as a second iovec, so the kernel never truncates a message the
 * channel allows.  The batch ends at the first message that does not fit
 * its buffer (or at end of stream); that message and any received after
 * it are gathered whole into slots [0, keep), in order, for the next
 * receive (unix_fetch()): a short buffer leaves the message queued, as
 * with one recv, and no message is lost.  The buffers of the entries
 * past the returned count may have been written (as with recvmmsg()).
 * A message longer than max_msg (only a peer writing to the socket
 * around the library sends one) is dropped with -EMSGSIZE, as in
 * unix_recv().
 */
static int unix_recv_batch(struct kipc_chan *ch, struct kipc_msg *msgs,
			   unsigned int n, uint64_t deadline)
{
	struct kipc_sock_be *sk = &ch->be.sock;
	struct unix_batch *b;
	unsigned int k, i, got = 0, from, keep;
	int saved = errno, ret = 0, r, again = 1;

	if (sk->lfd >= 0 || sk->c.msg_ready)
		return unix_recv_each(ch, msgs, n, deadline);
	b = unix_batch_state(ch);
	if (!b || b->head < b->end)
		return unix_recv_each(ch, msgs, n, deadline);
	if (n > b->nslots)
		n = b->nslots;
	for (k = 0; k < n; k++) {
		struct kipc_msg *m = &msgs[k];

		if (!m->buf || !m->len)
			break;
		b->iov[k][0].iov_base = m->buf;
		b->iov[k][0].iov_len = m->len;
		b->iov[k][1].iov_base = b->data + (size_t)k * ch->max_msg + m->len;
		b->iov[k][1].iov_len = m->len < ch->max_msg ? ch->max_msg - m->len : 0;
		b->mm[k] = (struct mmsghdr){ .msg_hdr = {
			.msg_iov = b->iov[k], .msg_iovlen = b->iov[k][1].iov_len ? 2 : 1,
			.msg_control = b->cbuf[k].b, .msg_controllen = sizeof(b->cbuf[k].b),
		} };
	}
	if (!k)
		return -EINVAL;
	for (;;) {
		r = recvmmsg(sk->c.fd, b->mm, k, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC,
			     NULL);
		if (r > 0)
			break;
		ret = r < 0 ? sock_err() : 0;
		if (ret == 0 && again--)
			continue;	/* a second look at end of stream: see unix_recv_fd() */
		if (ret != -EAGAIN && ret != -EINTR)
			goto out;
		ret = kipc__wait_fd(sk->c.fd, POLLIN, deadline);
		if (ret < 0)
			goto out;
	}
	/* Hand out the prefix that fits; @from: the first one to keep. */
	for (got = 0, from = (unsigned int)r; got < (unsigned int)r; got++) {
		struct kipc_msg *m = &msgs[got], c = { 0 };
		size_t len = b->mm[got].msg_len;

		unix_take_cred(&b->mm[got].msg_hdr, &c);
		if (!len || len > b->iov[got][0].iov_len + b->iov[got][1].iov_len) {
			/* End of stream, or longer than max_msg: dropped. */
			ret = len ? -EMSGSIZE : 0;
			from = got + 1;
			break;
		}
		if (len > m->len) {
			ret = -EMSGSIZE;	/* stays queued, in its slot */
			b->cred[0] = c;
			from = got;
			break;
		}
		m->len = len;
		m->flags = c.flags;
		m->priority = 0;
		m->pid = c.pid;
		m->uid = c.uid;
		m->gid = c.gid;
	}
	/*
	 * Keep the rest, in order, in slots [0, keep), each whole: the part
	 * past the caller's buffer moves from slot i (keep <= i, so nothing
	 * still needed is overwritten), then the part in the buffer joins it.
	 */
	keep = 0;
	for (i = from; i < (unsigned int)r; i++) {
		size_t len = b->mm[i].msg_len, head = b->iov[i][0].iov_len;
		uint8_t *dst = b->data + (size_t)keep * ch->max_msg;
		struct kipc_msg c = { 0 };

		if (i != got)
			unix_take_cred(&b->mm[i].msg_hdr, &c);
		else
			c = b->cred[0];
		if (!len || len > ch->max_msg)
			continue;	/* end of stream again, or dropped */
		if (len > head)
			memmove(dst + head, b->iov[i][1].iov_base, len - head);
		else
			head = len;
		memcpy(dst, b->iov[i][0].iov_base, head);
		b->cred[keep] = c;
		b->len[keep++] = len;
	}
	b->head = 0;
	b->end = keep;
	/*
	 * End of stream came first, but messages followed it (the race in
	 * unix_recv_fd()): they are kept, so hand them out, not the end.
	 */
	if (!got && keep) {
		errno = saved;
		return unix_recv_each(ch, msgs, n, deadline);
	}
out:
	errno = saved;
	return got ? (int)got : ret;
}

static int unix_peek(struct kipc_chan *ch, const void **buf, uint64_t deadline)
{
	struct kipc_sock_be *sk = &ch->be.sock;
	int ret = unix_fetch(ch, deadline);

	if (ret <= 0)
		return ret;
	*buf = sk->c.buf;
	return (int)sk->c.msg_ready;
}

static int unix_release(struct kipc_chan *ch)
{
	ch->be.sock.c.msg_ready = 0;
	return 0;
}





static int unix_poll_arm(struct kipc_chan *ch)
{
	struct kipc_sock_be *sk = &ch->be.sock;
	struct unix_batch *b = sk->rx_batch;

	if (b && b->head < b->end)
		return 1;
	return kipc__copy_poll_arm(ch, sk->epfd >= 0 ? sk->epfd : sk->c.fd);
}

const struct kipc_backend_ops kipc__unix_ops = {
	.name = "unix",
	.guarantees = KIPC_F_MULTI_PRODUCER | KIPC_F_MULTI_CONSUMER |
		      KIPC_F_CREDENTIALS,
	.available = unix_available,
	.pair = unix_pair,
	.create = unix_create,
	.open = unix_open,
	.unlink = unix_unlink,
	.close = unix_close,
	.fd = unix_fd,
	.sendv = unix_sendv,
	.recv = unix_recv,
	.send_batch = unix_send_batch,
	.recv_batch = unix_recv_batch,
	.reserve = kipc__copy_reserve,
	.commit = kipc__copy_commit,
	.abort = kipc__copy_abort,
	.peek = unix_peek,
	.release = unix_release,
	.poll_arm = unix_poll_arm,
	.poll_events = kipc__copy_poll_events,
};
