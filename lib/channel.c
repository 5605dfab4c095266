// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkipc - channels: handles, options, backend selection, argument
 * checks, and dispatch to the backends.
 *
 * Handles.  A kipc_chan is a value: a slot of a process-wide table and
 * the generation the slot had when the endpoint was made,
 * h = generation << 32 | (slot + 1).  The table grows in chunks of
 * SLOT_CHUNK slots that are never freed, so a lookup takes no lock: it
 * decodes the slot, loads the chunk, load-acquires the slot's handle
 * word and compares it with h.  kipc_close() clears that word before the
 * endpoint is freed; the next endpoint in the slot gets the next
 * generation, and a slot whose generation would wrap is retired, never
 * used again.  A closed (or forged, or KIPC_CHAN_INVALID) handle
 * therefore always gives -EBADF, never another endpoint.  The table is
 * ordinary memory: fork() copies it, and handles stay valid in the
 * child.
 *
 * Locking: chan_lock protects the free list and the growth of the
 * table only.  An endpoint itself is not locked: concurrent calls on one
 * endpoint from several threads are not supported (use one endpoint per thread, or lock around it); see
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
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "kipc.h"
#include "kipc_private.h"

#include <stdatomic.h>

#define SLOT_CHUNK_SHIFT	10
#define SLOT_CHUNK		(1U << SLOT_CHUNK_SHIFT)
#define SLOT_CHUNKS		4096U	/* 4M endpoints open at once */
#define SLOT_NONE		UINT32_MAX

/*
 * @h is the handle of the live endpoint in the slot, 0 when the slot is
 * free (no handle is 0: its slot bits are slot + 1).  The generation of
 * the last endpoint made in a slot and the free list live apart, in
 * struct kipc_slot_meta, written under chan_lock only: the lookup reads
 * 16-byte slots.
 */
struct kipc_slot {
	_Atomic uint64_t h;
	struct kipc_chan *ch;
};

struct kipc_slot_meta {
	uint32_t gen;
	uint32_t next;
};

struct kipc_chunk {
	struct kipc_slot slot[SLOT_CHUNK];
	struct kipc_slot_meta meta[SLOT_CHUNK];
};

/*
 * Slots below @slot_used have their chunk allocated: the bounds check of
 * the lookup against it is all the lookup needs to find a chunk.
 */
static pthread_mutex_t chan_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kipc_chunk *_Atomic slot_chunks[SLOT_CHUNKS];
static _Atomic uint32_t slot_used;
static uint32_t slot_free = SLOT_NONE;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A fork() while another thread holds chan_lock leaves the child able to take it. */
static void chan_lock_take(void)
{
	pthread_mutex_lock(&chan_lock);
}

static void chan_lock_drop(void)
{
	pthread_mutex_unlock(&chan_lock);
}

static void chan_atfork(void)
{
	pthread_atfork(chan_lock_take, chan_lock_drop, chan_lock_drop);
}

static const struct kipc_backend_ops *const backends[] = {
	[KIPC_BACKEND_KMOD] = &kipc__kmod_ops,
	[KIPC_BACKEND_SHM] = &kipc__shm_ops,
	[KIPC_BACKEND_UNIX] = &kipc__unix_ops,
	[KIPC_BACKEND_PIPE] = &kipc__pipe_ops,
};

#define NR_BACKENDS	((int)(sizeof(backends) / sizeof(backends[0])))

static struct kipc_chunk *chunk_of(uint32_t idx)
{
	return atomic_load_explicit(&slot_chunks[idx >> SLOT_CHUNK_SHIFT],
				    memory_order_relaxed);
}

#define SLOT(idx)	(&chunk_of(idx)->slot[(idx) & (SLOT_CHUNK - 1)])
#define META(idx)	(&chunk_of(idx)->meta[(idx) & (SLOT_CHUNK - 1)])

/* A free slot, its chunk allocated; SLOT_NONE when the table is full. */
static uint32_t slot_get(void)
{
	uint32_t idx = slot_free;
	struct kipc_chunk *c;

	if (idx != SLOT_NONE) {
		slot_free = META(idx)->next;
		return idx;
	}
	idx = atomic_load_explicit(&slot_used, memory_order_relaxed);
	if (idx == SLOT_CHUNKS * SLOT_CHUNK)
		return SLOT_NONE;
	if (!(idx & (SLOT_CHUNK - 1))) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return SLOT_NONE;
		atomic_store_explicit(&slot_chunks[idx >> SLOT_CHUNK_SHIFT], c,
				      memory_order_relaxed);
	}
	/* Pairs with the acquire in chan_lookup(): the chunk is set first. */
	atomic_store_explicit(&slot_used, idx + 1, memory_order_release);
	return idx;
}

/* Give @ch a slot and publish it; fills *@h.  -ENOMEM when full. */
static int chan_publish(struct kipc_chan *ch, kipc_chan *h)
{
	struct kipc_slot_meta *m;
	struct kipc_slot *s;
	uint32_t idx;

	pthread_once(&atfork_once, chan_atfork);
	pthread_mutex_lock(&chan_lock);
	idx = slot_get();
	if (idx == SLOT_NONE) {
		pthread_mutex_unlock(&chan_lock);
		return -ENOMEM;
	}
	s = SLOT(idx);
	m = META(idx);
	m->gen++;
	s->ch = ch;
	h->h = (uint64_t)m->gen << 32 | (idx + 1);
	/* Pairs with the acquire in chan_lookup(): s->ch is set first. */
	atomic_store_explicit(&s->h, h->h, memory_order_release);
	pthread_mutex_unlock(&chan_lock);
	return 0;
}

/*
 * Find the endpoint of handle @h: true and *@ch, or false when @h is not
 * a live handle (a slot never handed out, or a generation other than the
 * slot's current one).  Written to be inlined into every entry point: a
 * bounds check and two dependent loads.
 */
static inline __attribute__((always_inline)) bool
chan_lookup(kipc_chan h, struct kipc_chan **ch)
{
	uint32_t idx = (uint32_t)h.h - 1;	/* handle 0: UINT32_MAX */
	struct kipc_slot *s;

	if (unlikely(idx >= atomic_load_explicit(&slot_used,
						  memory_order_acquire)))
		return false;
	s = &atomic_load_explicit(&slot_chunks[idx >> SLOT_CHUNK_SHIFT],
				  memory_order_relaxed)->slot[idx & (SLOT_CHUNK - 1)];
	if (unlikely(atomic_load_explicit(&s->h, memory_order_acquire) != h.h))
		return false;
	*ch = s->ch;
	return true;
}

/* chan_lookup() for the paths that are not hot: the endpoint or NULL. */
static struct kipc_chan *chan_get(kipc_chan h)
{
	struct kipc_chan *ch;

	return chan_lookup(h, &ch) ? ch : NULL;
}

/*
 * Unpublish handle @h (a live handle, found by chan_lookup()): from now
 * on it gives -EBADF.  Only the first of several calls for one handle
 * succeeds (two threads closing the same handle: the second gets false
 * and must not free the endpoint).  The slot is reused with the next
 * generation, unless that would wrap to 0: then it is retired.
 *
 * Closing a handle while another thread still uses it is the caller's
 * race, as with close(2) on an fd: that thread may have looked the
 * endpoint up before the close and use it after the free.
 */
static bool chan_unpublish(kipc_chan h)
{
	uint32_t idx = (uint32_t)h.h - 1;
	struct kipc_slot *s = SLOT(idx);
	struct kipc_slot_meta *m = META(idx);
	uint64_t cur = h.h;

	pthread_mutex_lock(&chan_lock);
	/* Pairs with the acquire in chan_lookup(): later lookups fail. */
	if (!atomic_compare_exchange_strong_explicit(&s->h, &cur, 0,
						     memory_order_release,
						     memory_order_relaxed)) {
		pthread_mutex_unlock(&chan_lock);
		return false;
	}
	s->ch = NULL;
	if (m->gen != UINT32_MAX) {
		m->next = slot_free;
		slot_free = idx;
	}
	pthread_mutex_unlock(&chan_lock);
	return true;
}

static struct kipc_chan *chan_alloc(void)
{
	struct kipc_chan *ch;
	int saved = errno;

	ch = calloc(1, sizeof(*ch));
	errno = saved;
	return ch;
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
static const char *rundir(void)
{
	const char *dir = secure_getenv("KIPC_RUNDIR");

	return dir && *dir ? dir : "/dev/shm";
}

int kipc__path(char *buf, size_t size, const char *name, const char *suffix)
{
	const char *dir = rundir();
	int n;

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
	return 0;
}

#define KIPC_F_ALL	(KIPC_F_NONBLOCK | KIPC_F_EXCL | KIPC_F_GUARANTEES)

/* Polls before sleeping for a kipc_opts.spin value. */
static uint32_t spin_count(uint32_t spin)
{
	if (!spin)
		return KIPC_DEFAULT_SPIN;
	return spin == KIPC_SPIN_NONE ? 0 : spin;
}

/* Validate @in (may be NULL) into @o and find the forced backend. */
static int opts_resolve(const struct kipc_opts *in, struct kipc_opts *o,
			int *backend)
{
	const char *env;

	kipc_opts_init(o);
	if (in) {
		if (in->reserved0)
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
	if (!o->mode)
		o->mode = KIPC_DEFAULT_MODE;
	o->spin = spin_count(o->spin);

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
		      int role, const char *name, kipc_chan *pa, kipc_chan *pb)
{
	struct kipc_opts o;
	struct kipc_chan *a, *b = NULL;
	int backend, ret, unsupported = 0;

	*pa = KIPC_CHAN_INVALID;
	if (pb)
		*pb = KIPC_CHAN_INVALID;
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
	ret = chan_publish(a, pa);
	if (ret)
		goto out_close;
	if (b) {
		ret = chan_publish(b, pb);
		if (ret) {
			chan_unpublish(*pa);
			*pa = KIPC_CHAN_INVALID;
			goto out_close;
		}
	}
	return 0;
out_close:
	a->ops->close(a);
	if (b)
		b->ops->close(b);
out_free:
	free(a);
	free(b);
	return ret;
}

int kipc_pair(kipc_chan *tx, kipc_chan *rx, const struct kipc_opts *opts)
{
	if (!tx || !rx)
		return -EINVAL;
	return chan_setup(SETUP_PAIR, opts, 0, NULL, tx, rx);
}

static int check_role(int role)
{
	return role == KIPC_PRODUCER || role == KIPC_CONSUMER ? 0 : -EINVAL;
}

int kipc_create(kipc_chan *ch, const char *name, int role,
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

/* Errors of an open that mean "not there yet": wait for the name. */
static bool open_missing(int err)
{
	return err == -ENOENT || err == -ECONNREFUSED;
}

#define OPEN_BACKOFF_MIN_MS	1
#define OPEN_BACKOFF_MAX_MS	64

/*
 * Wait for a change in the run directory (@ifd, -1 when inotify is not
 * available) or @backoff ms, whichever comes first, but not beyond
 * @deadline.  Returns 0 (try again), -ETIMEDOUT or -EINTR.
 */
static int open_wait(int ifd, int backoff, uint64_t deadline)
{
	struct pollfd p = { .fd = ifd, .events = POLLIN };
	char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int ms = kipc__deadline_ms(deadline), ret;

	if (deadline != KIPC_FOREVER && kipc_now() >= deadline)
		return -ETIMEDOUT;
	if (ms < 0 || ms > backoff)
		ms = backoff;
	ret = poll(&p, 1, ms);
	if (ret < 0)
		return -errno;
	if (ret > 0)
		while (read(ifd, ev, sizeof(ev)) > 0)
			;	/* drained; what changed is found by trying */
	return 0;
}

/*
 * kipc_open() with a deadline.  The name is looked up once; while it is
 * missing (or a unix or pipe name has no consumer yet) it is looked up
 * again when an entry of the run directory is created or renamed
 * (inotify: the userspace backends) and after a backoff of 1 ms doubling
 * to 64 ms (kmod names, which no directory shows, and a missed event).
 */
int kipc_open(kipc_chan *ch, const char *name, int role,
	      const struct kipc_opts *opts, uint64_t deadline)
{
	int ret, ifd = -1, backoff = OPEN_BACKOFF_MIN_MS, saved = errno;

	if (!ch)
		return -EINVAL;
	ret = kipc__valid_name(name);
	if (!ret)
		ret = check_role(role);
	if (ret)
		return ret;
	ret = chan_setup(SETUP_OPEN, opts, role, name, ch, NULL);
	if (!open_missing(ret) || deadline == KIPC_NOWAIT)
		return ret;

	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd >= 0 && inotify_add_watch(ifd, rundir(), IN_CREATE |
					  IN_MOVED_TO | IN_ATTRIB) < 0) {
		close(ifd);
		ifd = -1;
	}
	for (;;) {
		/* Once more after the watch is in place: nothing is missed. */
		ret = chan_setup(SETUP_OPEN, opts, role, name, ch, NULL);
		if (!open_missing(ret))
			break;
		ret = open_wait(ifd, backoff, deadline);
		if (ret)
			break;
		if (backoff < OPEN_BACKOFF_MAX_MS)
			backoff *= 2;
	}
	kipc__close_fd(ifd);
	errno = saved;
	return ret;
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

int kipc_close(kipc_chan h)
{
	struct kipc_chan *ch = chan_get(h);

	if (!ch || !chan_unpublish(h))
		return -EBADF;
	if (ch->resv_buf && ch->ops->abort)
		ch->ops->abort(ch);
	ch->ops->close(ch);
	free(ch);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Data path                                                            */
/* ------------------------------------------------------------------ */

static uint64_t default_deadline(const struct kipc_chan *ch)
{
	return (ch->flags & KIPC_F_NONBLOCK) ? KIPC_NOWAIT : KIPC_FOREVER;
}

static int tx_check(const struct kipc_chan *ch)
{
	if (!ch)
		return -EBADF;
	if (ch->role != KIPC_PRODUCER)
		return -EBADF;
	if (ch->resv_buf)
		return -EBUSY;
	return 0;
}

static int rx_check(const struct kipc_chan *ch)
{
	if (!ch)
		return -EBADF;
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

static int chan_sendv(struct kipc_chan *ch, const struct iovec *iov,
		      int iovcnt, uint64_t deadline)
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

int kipc_sendv(kipc_chan h, const struct iovec *iov, int iovcnt,
	       uint64_t deadline)
{
	return chan_sendv(chan_get(h), iov, iovcnt, deadline);
}

/*
 * One buffer: the checks of chan_sendv(), in the same order, each made
 * once, without the iovec walk.  @ch is a live endpoint (the callers
 * looked it up).  Inlined into both entry points so that neither calls
 * the other through the PLT.
 */
static inline __attribute__((always_inline)) int
send_one(struct kipc_chan *ch, const void *buf, size_t len, uint64_t deadline)
{
	int ret;

	if (unlikely(!buf))
		return -EINVAL;
	if (unlikely(!ch->ops->send)) {
		struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

		return chan_sendv(ch, &iov, 1, deadline);
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

int kipc_send_timed(kipc_chan h, const void *buf, size_t len,
		    uint64_t deadline)
{
	struct kipc_chan *ch;

	if (unlikely(!chan_lookup(h, &ch)))
		return -EBADF;
	return send_one(ch, buf, len, deadline);
}

int kipc_send(kipc_chan h, const void *buf, size_t len)
{
	struct kipc_chan *ch;

	if (unlikely(!chan_lookup(h, &ch)))
		return -EBADF;
	return send_one(ch, buf, len, default_deadline(ch));
}

/* The out fields of a received message that its backend does not set. */
static void msg_clear_out(struct kipc_msg *m)
{
	m->flags = 0;
	m->priority = 0;
	m->reserved0 = 0;
	memset(m->reserved, 0, sizeof(m->reserved));
}

static int recv_one(struct kipc_chan *ch, struct kipc_msg *m, uint64_t deadline)
{
	int ret;

	if (!m->buf)
		return -EINVAL;
	msg_clear_out(m);
	ret = ch->ops->recv(ch, m, deadline);
	if (ret > 0) {
		m->len = (size_t)ret;
		count(ch, (size_t)ret);
	}
	return ret;
}

/*
 * One buffer: rx_check(), then the checks of recv_one(), in that order.
 * @ch is a live endpoint; see send_one().
 */
static inline __attribute__((always_inline)) int
recv_buf(struct kipc_chan *ch, void *buf, size_t len, uint64_t deadline)
{
	struct kipc_msg m;
	int ret;

	if (unlikely(ch->role != KIPC_CONSUMER))
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

int kipc_recv_timed(kipc_chan h, void *buf, size_t len, uint64_t deadline)
{
	struct kipc_chan *ch;

	if (unlikely(!chan_lookup(h, &ch)))
		return -EBADF;
	return recv_buf(ch, buf, len, deadline);
}

int kipc_recv(kipc_chan h, void *buf, size_t len)
{
	struct kipc_chan *ch;

	if (unlikely(!chan_lookup(h, &ch)))
		return -EBADF;
	return recv_buf(ch, buf, len, default_deadline(ch));
}

int kipc_recvv(kipc_chan h, const struct iovec *iov, int iovcnt,
	       uint64_t deadline)
{
	const void *p;
	size_t cap;
	struct kipc_chan *ch = chan_get(h);
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

static bool has_priorities(const struct kipc_chan *ch)
{
	return ch->ops == &kipc__kmodq_ops;
}

int kipc_send_msg(kipc_chan h, const struct kipc_msg *m, uint64_t deadline)
{
	struct kipc_chan *ch = chan_get(h);
	int ret = tx_check(ch);

	if (ret)
		return ret;
	if (!m || m->flags || m->priority > KIPC_PRIO_MAX)
		return -EINVAL;
	if (!m->priority)
		return send_one(ch, m->buf, m->len, deadline);
	if (!has_priorities(ch))
		return -EOPNOTSUPP;
	if (!m->buf || !m->len)
		return -EINVAL;
	if (m->len > ch->max_msg)
		return -EMSGSIZE;
	ret = kipc__kmodq_send_prio(ch, m->buf, m->len, m->priority, deadline);
	if (ret > 0)
		count(ch, (size_t)ret);
	return ret;
}

int kipc_recv_msg(kipc_chan h, struct kipc_msg *m, uint64_t deadline)
{
	struct kipc_chan *ch = chan_get(h);
	int ret = rx_check(ch);

	if (ret)
		return ret;
	if (!m || !m->len)
		return -EINVAL;
	if (!has_priorities(ch))
		return recv_one(ch, m, deadline);
	if (!m->buf)
		return -EINVAL;
	msg_clear_out(m);
	ret = kipc__kmodq_recv_msg(ch, m, deadline);
	if (ret > 0) {
		m->len = (size_t)ret;
		count(ch, (size_t)ret);
	}
	return ret;
}

/*
 * Without priorities a batch ends before its first message that asks
 * for one; that message alone is -EOPNOTSUPP.
 */
static unsigned int batch_without_prio(const struct kipc_chan *ch,
				       const struct kipc_msg *msgs,
				       unsigned int n)
{
	uint32_t any = 0;
	unsigned int i;

	if (has_priorities(ch))
		return n;
	/* Branch-free first: a batch without priorities is the rule. */
	for (i = 0; i < n; i++)
		any |= msgs[i].priority;
	if (likely(!any))
		return n;
	for (i = 0; msgs[i].priority == 0; i++)
		;
	return i;
}

int kipc_send_batch(kipc_chan h, const struct kipc_msg *msgs, unsigned int n,
		    uint64_t deadline)
{
	unsigned int i;
	struct kipc_chan *ch = chan_get(h);
	int ret = tx_check(ch);

	if (ret)
		return ret;
	if (!msgs || !n || n > INT_MAX)
		return -EINVAL;
	n = batch_without_prio(ch, msgs, n);
	if (!n)
		return -EOPNOTSUPP;
	if (ch->ops->send_batch) {
		ret = ch->ops->send_batch(ch, msgs, n, deadline);
		for (int j = 0; j < ret; j++)
			count(ch, msgs[j].len);
		return ret;
	}
	for (i = 0; i < n; i++) {
		ret = send_one(ch, msgs[i].buf, msgs[i].len,
			       i ? KIPC_NOWAIT : deadline);
		if (ret < 0)
			break;
	}
	return i ? (int)i : ret;
}

int kipc_recv_batch(kipc_chan h, struct kipc_msg *msgs, unsigned int n,
		    uint64_t deadline)
{
	unsigned int i;
	struct kipc_chan *ch = chan_get(h);
	int ret = rx_check(ch);

	if (ret)
		return ret;
	if (!msgs || !n || n > INT_MAX)
		return -EINVAL;
	if (ch->ops->recv_batch) {
		ret = ch->ops->recv_batch(ch, msgs, n, deadline);
		/* Each backend's batch sets len, flags and priority. */
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

int kipc_reserve(kipc_chan h, void **buf, size_t len, uint64_t deadline)
{
	struct kipc_chan *ch = chan_get(h);
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

int kipc_commit(kipc_chan h, size_t len)
{
	struct kipc_chan *ch = chan_get(h);
	int ret;

	if (!ch)
		return -EBADF;
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

int kipc_abort(kipc_chan h)
{
	struct kipc_chan *ch = chan_get(h);
	int ret;

	if (!ch)
		return -EBADF;
	if (!ch->resv_buf)
		return -EINVAL;
	ret = ch->ops->abort(ch);
	ch->resv_buf = NULL;
	return ret;
}

int kipc_peek(kipc_chan h, const void **buf, uint64_t deadline)
{
	struct kipc_chan *ch = chan_get(h);
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

int kipc_release(kipc_chan h, const void *buf)
{
	struct kipc_chan *ch = chan_get(h);
	int ret;

	if (!ch)
		return -EBADF;
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

int kipc_fd(kipc_chan h)
{
	struct kipc_chan *ch = chan_get(h);

	if (!ch)
		return -EBADF;
	return ch->ops->fd(ch);
}

int kipc_poll_events(kipc_chan h)
{
	struct kipc_chan *ch = chan_get(h);

	if (!ch)
		return -EBADF;
	return ch->ops->poll_events(ch);
}

int kipc_poll_arm(kipc_chan h)
{
	struct kipc_chan *ch = chan_get(h);

	if (!ch)
		return -EBADF;
	return ch->ops->poll_arm(ch);
}

static int backend_of(const struct kipc_chan *ch)
{
	if (ch->ops == &kipc__kmodq_ops)
		return KIPC_BACKEND_KMOD;	/* its queue mode */
	for (int i = 1; i < NR_BACKENDS; i++)
		if (backends[i] == ch->ops)
			return i;
	return -EBADF;
}

int kipc_backend(kipc_chan h)
{
	struct kipc_chan *ch = chan_get(h);

	return ch ? backend_of(ch) : -EBADF;
}

int kipc_stats(kipc_chan h, struct kipc_stats *st)
{
	struct kipc_chan *ch = chan_get(h);

	if (!ch)
		return -EBADF;
	if (!st)
		return -EINVAL;
	*st = ch->st;
	st->backend = (uint32_t)backend_of(ch);
	st->role = (uint32_t)ch->role;
	st->flags = ch->flags;
	st->max_msg = ch->max_msg;
	st->capacity = ch->capacity;
	st->depth = ch->ops->depth ? ch->ops->depth(ch) : 0;
	memset(st->reserved, 0, sizeof(st->reserved));
	return 0;
}

int kipc_set_spin(kipc_chan h, uint32_t spin)
{
	struct kipc_chan *ch = chan_get(h);

	if (!ch)
		return -EBADF;
	ch->spin = spin_count(spin);
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
