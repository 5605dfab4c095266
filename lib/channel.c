// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkipc - channels: handles, options, backend selection, argument
 * checks, and dispatch to the backends.
 *
 * Handles.  A struct kipc_chan is never returned to malloc.  kipc_close()
 * releases its resources, marks it KIPC_CHAN_DEAD and parks it at the
 * tail of a FIFO of free handles; a handle is reused only once more than
 * KIPC_QUARANTINE others wait behind it.  A use after close (or a second
 * close) therefore fails with -EBADF, like a closed fd number, until the
 * handle is recycled much later.
 *
 * Locking: chan_lock protects the free list only.  An endpoint itself is
 * not locked: concurrent calls on one endpoint from several threads are
 * not supported (use one endpoint per thread, or lock around it); see
 * kipc(7).
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kipc.h"
#include "kipc_private.h"

#define KIPC_QUARANTINE	64

static pthread_mutex_t chan_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kipc_chan *free_head, *free_tail;
static unsigned int free_count;

static const struct kipc_backend_ops *const backends[] = {
	[KIPC_BACKEND_KMOD] = &kipc__kmod_ops,
	[KIPC_BACKEND_SHM] = &kipc__shm_ops,
	[KIPC_BACKEND_UNIX] = &kipc__unix_ops,
	[KIPC_BACKEND_PIPE] = &kipc__pipe_ops,
};

#define NR_BACKENDS	((int)(sizeof(backends) / sizeof(backends[0])))

static struct kipc_chan *chan_alloc(void)
{
	struct kipc_chan *ch = NULL;

	pthread_mutex_lock(&chan_lock);
	if (free_count > KIPC_QUARANTINE) {
		ch = free_head;
		free_head = ch->next_free;
		if (!free_head)
			free_tail = NULL;
		free_count--;
	}
	pthread_mutex_unlock(&chan_lock);
	if (!ch) {
		int saved = errno;

		ch = malloc(sizeof(*ch));
		errno = saved;
		if (!ch)
			return NULL;
	}
	memset(ch, 0, sizeof(*ch));
	return ch;
}

static void chan_park(struct kipc_chan *ch)
{
	ch->magic = KIPC_CHAN_DEAD;
	ch->ops = NULL;
	ch->next_free = NULL;
	pthread_mutex_lock(&chan_lock);
	if (free_tail)
		free_tail->next_free = ch;
	else
		free_head = ch;
	free_tail = ch;
	free_count++;
	pthread_mutex_unlock(&chan_lock);
}

static inline int chan_check(const struct kipc_chan *ch)
{
	if (unlikely(!ch))
		return -EINVAL;
	if (unlikely(ch->magic != KIPC_CHAN_MAGIC || !ch->ops))
		return -EBADF;
	return 0;
}

void kipc__close_fd(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
}

uint64_t kipc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* poll() timeout for @deadline: -1 forever, 0 now, else ms rounded up. */
int kipc__deadline_ms(uint64_t deadline)
{
	uint64_t now, ms;

	if (deadline == KIPC_FOREVER)
		return -1;
	if (deadline == KIPC_NOWAIT)
		return 0;
	now = kipc_now();
	if (now >= deadline)
		return 0;
	ms = (deadline - now + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/*
 * Wait for @events on @fd until @deadline.  Returns the revents, or
 * -EAGAIN (KIPC_NOWAIT), -ETIMEDOUT, -EINTR.
 */
int kipc__wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int saved = errno, ret, ms;

	for (;;) {
		ms = kipc__deadline_ms(deadline);
		ret = poll(&p, 1, ms);
		if (ret < 0) {
			ret = -errno;
			break;
		}
		if (ret > 0) {
			ret = p.revents;
			break;
		}
		if (deadline == KIPC_NOWAIT) {
			ret = -EAGAIN;
			break;
		}
		if (deadline != KIPC_FOREVER && kipc_now() >= deadline) {
			ret = -ETIMEDOUT;
			break;
		}
	}
	errno = saved;
	return ret;
}

int kipc__iov_len(const struct iovec *iov, int iovcnt, size_t *len)
{
	size_t total = 0;

	if (!iov || iovcnt <= 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++) {
		if (!iov[i].iov_base && iov[i].iov_len)
			return -EINVAL;
		if (iov[i].iov_len > KIPC_MAX_MSG_LIMIT)
			return -EMSGSIZE;
		total += iov[i].iov_len;
		if (total > KIPC_MAX_MSG_LIMIT)
			return -EMSGSIZE;
	}
	*len = total;
	return 0;
}

void kipc__iov_copy_out(void *dst, const struct iovec *iov, int iovcnt,
			size_t len)
{
	uint8_t *d = dst;

	for (int i = 0; i < iovcnt && len; i++) {
		size_t n = iov[i].iov_len < len ? iov[i].iov_len : len;

		memcpy(d, iov[i].iov_base, n);
		d += n;
		len -= n;
	}
}

static void iov_scatter(const struct iovec *iov, int iovcnt, const void *src,
			size_t len)
{
	const uint8_t *s = src;

	for (int i = 0; i < iovcnt && len; i++) {
		size_t n = iov[i].iov_len < len ? iov[i].iov_len : len;

		memcpy(iov[i].iov_base, s, n);
		s += n;
		len -= n;
	}
}

int kipc__valid_name(const char *name)
{
	size_t n;

	if (!name)
		return -EINVAL;
	n = strnlen(name, KIPC_NAME_MAX + 1);
	if (n == 0 || n > KIPC_NAME_MAX || name[0] == '.')
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return -EINVAL;
	}
	return 0;
}

/*
 * Names of the userspace backends live as files in one directory:
 * $KIPC_RUNDIR, or /dev/shm (tmpfs, where shm_open() puts its objects).
 */
int kipc__path(char *buf, size_t size, const char *name, const char *suffix)
{
	const char *dir = secure_getenv("KIPC_RUNDIR");
	int n;

	if (!dir || !*dir)
		dir = "/dev/shm";
	n = snprintf(buf, size, "%s/kipc.%s%s", dir, name, suffix);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Options and backend selection                                        */
/* ------------------------------------------------------------------ */

const char *kipc_backend_name(int backend)
{
	switch (backend) {
	case KIPC_BACKEND_AUTO: return "auto";
	case KIPC_BACKEND_KMOD: return "kmod";
	case KIPC_BACKEND_SHM: return "shm";
	case KIPC_BACKEND_UNIX: return "unix";
	case KIPC_BACKEND_PIPE: return "pipe";
	}
	return NULL;
}

int kipc_opts_init(struct kipc_opts *opts)
{
	if (!opts)
		return -EINVAL;
	memset(opts, 0, sizeof(*opts));
	opts->size = sizeof(*opts);
	opts->mode = KIPC_DEFAULT_MODE;
	opts->spin = KIPC_SPIN_DEFAULT;
	return 0;
}

#define KIPC_F_ALL	(KIPC_F_NONBLOCK | KIPC_F_EXCL | KIPC_F_GUARANTEES)

/* Validate @in (may be NULL) into @o and find the forced backend. */
static int opts_resolve(const struct kipc_opts *in, struct kipc_opts *o,
			int *backend)
{
	const char *env;

	kipc_opts_init(o);
	if (in) {
		if (in->size != sizeof(*in))
			return -EINVAL;
		for (size_t i = 0; i < sizeof(in->reserved) / sizeof(in->reserved[0]); i++)
			if (in->reserved[i])
				return -EINVAL;
		if ((in->flags & ~KIPC_F_ALL) || in->backend > KIPC_BACKEND_PIPE ||
		    (in->mode & ~0777U))
			return -EINVAL;
		*o = *in;
	}
	if (!o->max_msg)
		o->max_msg = KIPC_DEFAULT_MAX_MSG;
	if (o->max_msg > KIPC_MAX_MSG_LIMIT)
		return -EMSGSIZE;
	if (!o->capacity)
		o->capacity = KIPC_DEFAULT_CAPACITY;
	if (o->capacity > (1ULL << 32))
		return -EINVAL;
	if (o->spin == KIPC_SPIN_DEFAULT)
		o->spin = KIPC_DEFAULT_SPIN;

	*backend = (int)o->backend;
	if (*backend == KIPC_BACKEND_AUTO) {
		env = secure_getenv("KIPC_BACKEND");
		if (env && *env && strcmp(env, "auto")) {
			for (int b = 1; b < NR_BACKENDS; b++)
				if (!strcmp(env, kipc_backend_name(b)))
					*backend = b;
			if (*backend == KIPC_BACKEND_AUTO)
				return -EINVAL;	/* unknown KIPC_BACKEND */
		}
	}
	return 0;
}

/* Errors of available() that mean "not here, try the next one". */
static bool not_available(int err)
{
	return err == -ENODEV || err == -ENOTTY || err == -EACCES ||
	       err == -EPERM;
}

static void chan_init(struct kipc_chan *ch, const struct kipc_opts *o, int role)
{
	ch->role = role;
	ch->flags = o->flags;
	ch->max_msg = o->max_msg;
	ch->capacity = o->capacity;
	ch->spin = o->spin;
	ch->mode = o->mode;
}

enum setup_kind { SETUP_PAIR, SETUP_CREATE, SETUP_OPEN };

static int setup_one(const struct kipc_backend_ops *ops, enum setup_kind kind,
		     struct kipc_chan *a, struct kipc_chan *b, const char *name)
{
	a->ops = ops;
	if (b)
		b->ops = ops;
	switch (kind) {
	case SETUP_PAIR:
		return ops->pair(a, b);
	case SETUP_CREATE: {
		int ret = ops->create(a, name);

		/* Without KIPC_F_EXCL an existing name is opened (O_CREAT). */
		if (ret == -EEXIST && !(a->flags & KIPC_F_EXCL))
			ret = ops->open(a, name);
		return ret;
	}
	default:
		return ops->open(a, name);
	}
}

static int chan_setup(enum setup_kind kind, const struct kipc_opts *in,
		      int role, const char *name, struct kipc_chan **pa,
		      struct kipc_chan **pb)
{
	struct kipc_opts o;
	struct kipc_chan *a, *b = NULL;
	int backend, ret, unsupported = 0;

	ret = opts_resolve(in, &o, &backend);
	if (ret)
		return ret;
	a = chan_alloc();
	if (!a)
		return -ENOMEM;
	if (kind == SETUP_PAIR) {
		b = chan_alloc();
		if (!b) {
			free(a);
			return -ENOMEM;
		}
		chan_init(a, &o, KIPC_PRODUCER);
		chan_init(b, &o, KIPC_CONSUMER);
	} else {
		chan_init(a, &o, role);
	}

	if (backend != KIPC_BACKEND_AUTO) {
		const struct kipc_backend_ops *ops = backends[backend];

		if ((o.flags & KIPC_F_GUARANTEES) & ~ops->guarantees) {
			ret = -EOPNOTSUPP;
			goto out_free;
		}
		ret = ops->available();
		if (!ret)
			ret = setup_one(ops, kind, a, b, name);
		goto out;
	}

	ret = -ENODEV;
	for (int i = 1; i < NR_BACKENDS; i++) {
		const struct kipc_backend_ops *ops = backends[i];
		int avail;

		if ((o.flags & KIPC_F_GUARANTEES) & ~ops->guarantees) {
			unsupported = 1;
			continue;
		}
		avail = ops->available();
		if (not_available(avail))
			continue;
		if (avail < 0) {
			ret = avail;
			break;
		}
		ret = setup_one(ops, kind, a, b, name);
		/* A name is looked up in every backend, in order. */
		if (kind == SETUP_OPEN && ret == -ENOENT)
			continue;
		break;
	}
	if (ret == -ENODEV && unsupported)
		ret = -EOPNOTSUPP;
out:
	if (ret < 0)
		goto out_free;
	a->magic = KIPC_CHAN_MAGIC;
	*pa = a;
	if (b) {
		b->magic = KIPC_CHAN_MAGIC;
		*pb = b;
	}
	return 0;
out_free:
	free(a);
	free(b);
	return ret;
}

int kipc_pair(kipc_chan **tx, kipc_chan **rx, const struct kipc_opts *opts)
{
	if (!tx || !rx)
		return -EINVAL;
	return chan_setup(SETUP_PAIR, opts, 0, NULL, tx, rx);
}

static int check_role(int role)
{
	return role == KIPC_PRODUCER || role == KIPC_CONSUMER ? 0 : -EINVAL;
}

int kipc_create(kipc_chan **ch, const char *name, int role,
		const struct kipc_opts *opts)
{
	int ret;

	if (!ch)
		return -EINVAL;
	ret = kipc__valid_name(name);
	if (!ret)
		ret = check_role(role);
	if (ret)
		return ret;
	return chan_setup(SETUP_CREATE, opts, role, name, ch, NULL);
}

int kipc_open(kipc_chan **ch, const char *name, int role,
	      const struct kipc_opts *opts)
{
	int ret;

	if (!ch)
		return -EINVAL;
	ret = kipc__valid_name(name);
	if (!ret)
		ret = check_role(role);
	if (ret)
		return ret;
	return chan_setup(SETUP_OPEN, opts, role, name, ch, NULL);
}

int kipc_unlink(const char *name, const struct kipc_opts *opts)
{
	struct kipc_opts o;
	int backend, ret, found = -ENOENT;

	ret = kipc__valid_name(name);
	if (!ret)
		ret = opts_resolve(opts, &o, &backend);
	if (ret)
		return ret;
	if (backend != KIPC_BACKEND_AUTO) {
		ret = backends[backend]->available();
		return ret ? ret : backends[backend]->unlink(name);
	}
	for (int i = 1; i < NR_BACKENDS; i++) {
		if (backends[i]->available())
			continue;
		ret = backends[i]->unlink(name);
		if (!ret)
			found = 0;
		else if (ret != -ENOENT && found)
			found = ret;
	}
	return found;
}

int kipc_close(kipc_chan *ch)
{
	int ret = chan_check(ch);

	if (ret)
		return ret;
	if (ch->resv_buf && ch->ops->abort)
		ch->ops->abort(ch);
	ch->ops->close(ch);
	chan_park(ch);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Data path                                                            */
/* ------------------------------------------------------------------ */

static uint64_t default_deadline(const struct kipc_chan *ch)
{
	return (ch->flags & KIPC_F_NONBLOCK) ? KIPC_NOWAIT : KIPC_FOREVER;
}

static int tx_check(struct kipc_chan *ch)
{
	int ret = chan_check(ch);

	if (ret)
		return ret;
	if (ch->role != KIPC_PRODUCER)
		return -EBADF;
	if (ch->resv_buf)
		return -EBUSY;
	return 0;
}

static int rx_check(struct kipc_chan *ch)
{
	int ret = chan_check(ch);

	if (ret)
		return ret;
	if (ch->role != KIPC_CONSUMER)
		return -EBADF;
	if (ch->peek_buf)
		return -EBUSY;
	return 0;
}

static void count(struct kipc_chan *ch, size_t len)
{
	ch->st.msgs++;
	ch->st.bytes += len;
}

int kipc_sendv(kipc_chan *ch, const struct iovec *iov, int iovcnt,
	       uint64_t deadline)
{
	size_t len;
	int ret = tx_check(ch);

	if (ret)
		return ret;
	ret = kipc__iov_len(iov, iovcnt, &len);
	if (ret)
		return ret;
	if (!len)
		return -EINVAL;
	if (len > ch->max_msg)
		return -EMSGSIZE;
	ret = ch->ops->sendv(ch, iov, iovcnt, len, deadline);
	if (ret > 0)
		count(ch, (size_t)ret);
	return ret;
}

/*
 * One buffer: the checks of kipc_sendv(), in the same order, each made
 * once, without the iovec walk.  @ch is not NULL (the callers check, so
 * that kipc_send() can read the flags of any handle: a closed one stays
 * allocated, see the top of this file).  Inlined into both entry points
 * so that neither calls the other through the PLT.
 */
static inline __attribute__((always_inline)) int
send_one(struct kipc_chan *ch, const void *buf, size_t len, uint64_t deadline)
{
	int ret;

	if (unlikely(ch->magic != KIPC_CHAN_MAGIC || !ch->ops))
		return -EBADF;
	if (unlikely(!buf))
		return -EINVAL;
	if (unlikely(!ch->ops->send)) {
		struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

		return kipc_sendv(ch, &iov, 1, deadline);
	}
	if (unlikely(ch->role != KIPC_PRODUCER))
		return -EBADF;
	if (unlikely(ch->resv_buf))
		return -EBUSY;
	if (unlikely(!len))
		return -EINVAL;
	if (unlikely(len > ch->max_msg))
		return -EMSGSIZE;
	if (likely(ch->ops->ring))
		/* Ring backends (kmod, shm): the ring's fast path, inline. */
		ret = kipc_ring_send_inline(&ch->be.ring.ring, buf, len, deadline);
	else
		ret = ch->ops->send(ch, buf, len, deadline);
	if (likely(ret > 0))
		count(ch, (size_t)ret);
	return ret;
}

int kipc_send_timed(kipc_chan *ch, const void *buf, size_t len,
		    uint64_t deadline)
{
	if (unlikely(!ch))
		return -EINVAL;
	return send_one(ch, buf, len, deadline);
}

int kipc_send(kipc_chan *ch, const void *buf, size_t len)
{
	if (unlikely(!ch))
		return -EINVAL;
	return send_one(ch, buf, len, default_deadline(ch));
}

static int recv_one(struct kipc_chan *ch, struct kipc_msg *m, uint64_t deadline)
{
	int ret;

	if (!m->buf)
		return -EINVAL;
	m->flags = 0;
	ret = ch->ops->recv(ch, m, deadline);
	if (ret > 0) {
		m->len = (size_t)ret;
		count(ch, (size_t)ret);
	}
	return ret;
}

/*
 * One buffer: rx_check(), then the checks of recv_one(), in that order.
 * @ch is not NULL; see send_one().
 */
static inline __attribute__((always_inline)) int
recv_buf(struct kipc_chan *ch, void *buf, size_t len, uint64_t deadline)
{
	struct kipc_msg m;
	int ret;

	if (unlikely(ch->magic != KIPC_CHAN_MAGIC || !ch->ops ||
		     ch->role != KIPC_CONSUMER))
		return -EBADF;
	if (unlikely(ch->peek_buf))
		return -EBUSY;
	if (unlikely(!len || !buf))
		return -EINVAL;
	if (likely(ch->ops->ring)) {
		/* Ring backends (kmod, shm): the ring's fast path, inline. */
		ret = kipc_ring_recv_inline(&ch->be.ring.ring, buf, len, deadline);
	} else {
		m = (struct kipc_msg){ .buf = buf, .len = len };
		ret = ch->ops->recv(ch, &m, deadline);
	}
	if (likely(ret > 0))
		count(ch, (size_t)ret);
	return ret;
}

int kipc_recv_timed(kipc_chan *ch, void *buf, size_t len, uint64_t deadline)
{
	if (unlikely(!ch))
		return -EINVAL;
	return recv_buf(ch, buf, len, deadline);
}

int kipc_recv(kipc_chan *ch, void *buf, size_t len)
{
	if (unlikely(!ch))
		return -EINVAL;
	return recv_buf(ch, buf, len, default_deadline(ch));
}

int kipc_recvv(kipc_chan *ch, const struct iovec *iov, int iovcnt,
	       uint64_t deadline)
{
	const void *p;
	size_t cap;
	int ret = rx_check(ch);

	if (ret)
		return ret;
	ret = kipc__iov_len(iov, iovcnt, &cap);
	if (ret)
		return ret;
	if (!cap)
		return -EINVAL;
	ret = ch->ops->peek(ch, &p, deadline);
	if (ret <= 0)
		return ret;
	if ((size_t)ret > cap)
		return -EMSGSIZE;	/* left queued: the next peek sees it */
	iov_scatter(iov, iovcnt, p, (size_t)ret);
	ch->ops->release(ch);
	count(ch, (size_t)ret);
	return ret;
}

int kipc_send_batch(kipc_chan *ch, const struct kipc_msg *msgs, unsigned int n,
		    uint64_t deadline)
{
	unsigned int i;
	int ret = tx_check(ch);

	if (ret)
		return ret;
	if (!msgs || !n || n > INT_MAX)
		return -EINVAL;
	if (ch->ops->send_batch) {
		ret = ch->ops->send_batch(ch, msgs, n, deadline);
		for (int j = 0; j < ret; j++)
			count(ch, msgs[j].len);
		return ret;
	}
	for (i = 0; i < n; i++) {
		ret = kipc_send_timed(ch, msgs[i].buf, msgs[i].len,
				      i ? KIPC_NOWAIT : deadline);
		if (ret < 0)
			break;
	}
	return i ? (int)i : ret;
}

int kipc_recv_batch(kipc_chan *ch, struct kipc_msg *msgs, unsigned int n,
		    uint64_t deadline)
{
	unsigned int i;
	int ret = rx_check(ch);

	if (ret)
		return ret;
	if (!msgs || !n || n > INT_MAX)
		return -EINVAL;
	if (ch->ops->recv_batch) {
		ret = ch->ops->recv_batch(ch, msgs, n, deadline);
		for (int j = 0; j < ret; j++)
			count(ch, msgs[j].len);
		return ret;
	}
	for (i = 0; i < n; i++) {
		if (!msgs[i].len) {
			ret = -EINVAL;
			break;
		}
		ret = recv_one(ch, &msgs[i], i ? KIPC_NOWAIT : deadline);
		if (ret <= 0)
			break;
	}
	return i ? (int)i : ret;
}

/* ------------------------------------------------------------------ */
/* Zero-copy                                                            */
/* ------------------------------------------------------------------ */

int kipc_reserve(kipc_chan *ch, void **buf, size_t len, uint64_t deadline)
{
	int ret = tx_check(ch);

	if (ret)
		return ret;
	if (!buf || !len)
		return -EINVAL;
	if (len > ch->max_msg)
		return -EMSGSIZE;
	ret = ch->ops->reserve(ch, buf, len, deadline);
	if (ret)
		return ret;
	ch->resv_buf = *buf;
	ch->resv_len = len;
	return 0;
}

int kipc_commit(kipc_chan *ch, size_t len)
{
	int ret = chan_check(ch);

	if (ret)
		return ret;
	if (!ch->resv_buf)
		return -EINVAL;	/* no reservation */
	if (!len || len > ch->resv_len)
		return -EINVAL;
	ret = ch->ops->commit(ch, len);
	ch->resv_buf = NULL;
	if (!ret) {
		count(ch, len);
		ret = (int)len;
	}
	return ret;
}

int kipc_abort(kipc_chan *ch)
{
	int ret = chan_check(ch);

	if (ret)
		return ret;
	if (!ch->resv_buf)
		return -EINVAL;
	ret = ch->ops->abort(ch);
	ch->resv_buf = NULL;
	return ret;
}

int kipc_peek(kipc_chan *ch, const void **buf, uint64_t deadline)
{
	int ret = rx_check(ch);

	if (ret)
		return ret;
	if (!buf)
		return -EINVAL;
	ret = ch->ops->peek(ch, buf, deadline);
	if (ret > 0) {
		ch->peek_buf = *buf;
		ch->peek_len = (size_t)ret;
	}
	return ret;
}

int kipc_release(kipc_chan *ch, const void *buf)
{
	int ret = chan_check(ch);

	if (ret)
		return ret;
	if (!ch->peek_buf || buf != ch->peek_buf)
		return -EINVAL;	/* not the record kipc_peek() gave */
	ret = ch->ops->release(ch);
	if (!ret)
		count(ch, ch->peek_len);
	ch->peek_buf = NULL;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Polling and introspection                                            */
/* ------------------------------------------------------------------ */

int kipc_fd(kipc_chan *ch)
{
	int ret = chan_check(ch);

	if (ret)
		return ret;
	return ch->ops->fd(ch);
}

int kipc_poll_events(kipc_chan *ch)
{
	int ret = chan_check(ch);

	if (ret)
		return ret;
	return ch->ops->poll_events(ch);
}

int kipc_poll_arm(kipc_chan *ch)
{
	int ret = chan_check(ch);

	if (ret)
		return ret;
	return ch->ops->poll_arm(ch);
}

int kipc_backend(kipc_chan *ch)
{
	int ret = chan_check(ch);

	if (ret)
		return ret;
	if (ch->ops == &kipc__kmodq_ops)
		return KIPC_BACKEND_KMOD;	/* its queue mode */
	for (int i = 1; i < NR_BACKENDS; i++)
		if (backends[i] == ch->ops)
			return i;
	return -EBADF;
}

int kipc_stats(kipc_chan *ch, struct kipc_stats *st)
{
	int ret = chan_check(ch);

	if (ret)
		return ret;
	if (!st)
		return -EINVAL;
	*st = ch->st;
	st->backend = (uint32_t)kipc_backend(ch);
	st->role = (uint32_t)ch->role;
	st->flags = ch->flags;
	st->max_msg = ch->max_msg;
	st->capacity = ch->capacity;
	st->depth = ch->ops->depth ? ch->ops->depth(ch) : 0;
	memset(st->reserved, 0, sizeof(st->reserved));
	return 0;
}

int kipc_set_spin(kipc_chan *ch, uint32_t spin)
{
	int ret = chan_check(ch);

	if (ret)
		return ret;
	ch->spin = spin == KIPC_SPIN_DEFAULT ? KIPC_DEFAULT_SPIN : spin;
	return 0;
}

int kipc__copy_reserve(struct kipc_chan *ch, void **buf, size_t len,
		       uint64_t deadline)
{
	int ret;

	if (len > ch->be.copy.buf_cap)
		return -EMSGSIZE;
	/* Wait for room now, so that commit rarely has to. */
	ret = kipc__wait_fd(ch->be.copy.fd, POLLOUT, deadline);
	if (ret < 0)
		return ret;
	*buf = ch->be.copy.buf;
	return 0;
}

int kipc__copy_commit(struct kipc_chan *ch, size_t len)
{
	struct iovec iov = { .iov_base = ch->be.copy.buf, .iov_len = len };
	int ret = ch->ops->sendv(ch, &iov, 1, len, KIPC_FOREVER);

	return ret < 0 ? ret : 0;
}

int kipc__copy_abort(struct kipc_chan *ch)
{
	(void)ch;
	return 0;
}

int kipc__copy_poll_events(struct kipc_chan *ch)
{
	return ch->role == KIPC_CONSUMER ? POLLIN : POLLOUT;
}

int kipc__copy_poll_arm(struct kipc_chan *ch, int fd)
{
	int ret;

	if (ch->be.copy.msg_ready)
		return 1;
	ret = kipc__wait_fd(fd, (short)kipc__copy_poll_events(ch), KIPC_NOWAIT);
	if (ret == -EAGAIN)
		return 0;
	return ret < 0 ? ret : 1;
}
