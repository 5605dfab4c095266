// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkipc - the shm backend: the kipc ring in a memfd (anonymous pairs)
 * or a file in the run directory (named channels), with futex sleeping.
 *
 * Object layout (file offsets):
 *   0           struct kipc_ring_layout, one page, written once by the
 *               creator; an opener copies and validates it
 *   page        struct kipc_ring_prod, one page
 *   2 * page    struct kipc_ring_cons, one page
 *   3 * page    data_size bytes of data
 * The RING mapping is built as the kernel builds it: address space for
 * page + 2 * data_size is reserved, then the PROD page and the data
 * (twice, back to back) are mapped over it with MAP_FIXED; the CONS page
 * is a mapping of its own.  As with the kernel, each endpoint maps
 * writable only what its role writes (a consumer's RING mapping and a
 * producer's CONS page are PROT_READ).  That keeps an endpoint from
 * writing the other side's page by mistake; it is no barrier against a
 * hostile peer, which holds the file open for writing.  An anonymous
 * pair's memfd is sealed against shrinking and growing, so a peer cannot
 * turn our accesses into SIGBUS.  A named object is a plain tmpfs file:
 * a peer with write permission could truncate it (see libkipc.rst).
 *
 * Peer death and notifications: two pipes (FIFOs for named channels).
 *   D: producers hold the write end, consumers the read end;
 *   R: consumers hold the write end, producers the read end.
 * An endpoint's own read end is its kipc_fd(): a waker writes one byte
 * to it when the sleeper asked for KIPC_NEED_WAKE_POLL, and the kernel
 * reports POLLHUP on it when the last endpoint of the other side is gone
 * -- after kill -9 too, because it is an ordinary fd reference count.
 * Blocking waits use FUTEX_WAIT on read_seq / write_seq, in slices of
 * KIPC_SHM_SLICE_NS: after each slice the read end is polled for
 * POLLHUP, so a dead peer is noticed within one slice (documented).
 *
 * The read end is not polled before every sleep: that would be one more
 * system call per sleep, on the path whose cost is the point of a ring.
 * Instead, kipc_close() counts itself in a closes word that the backend
 * keeps after struct kipc_ring_prod (or _cons) in its own side's page
 * (the kernel never sees this ring, so the pages are ours), and wakes
 * the other side:
 *
 *   closer                          sleeper (ring_wait)
 *   close notify fds (HUP if last)  s = load_acquire(seq)
 *   closes++                        announce(s); smp_mb(); ready?
 *   FUTEX_WAKE(seq)                 closes != seen? -> seen = closes, poll
 *                                   FUTEX_WAIT(seq, s)
 *
 * The closer does not move the count: that would make every
 * announcement of it stale, and a poller (whose wake-up is the notify
 * fd, not the futex) would then never hear of the other endpoints of
 * the closer's side.  So a sleeper inside FUTEX_WAIT is woken, sees the
 * new closes count and polls the HUP; one that loaded the closes count
 * just before the closer's increment and enters FUTEX_WAIT just after
 * its FUTEX_WAKE sleeps out the slice.  A clean close is thus noticed at
 * once but for that window, and a death that skips kipc_close() (kill
 * -9, exit without close) within one slice.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kipc_private.h"

#define KIPC_SHM_SLICE_NS	(50ULL * 1000 * 1000)
#define PATH_LEN		256

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static int shm_available(void)
{
	return 0;
}

static uint64_t pow2_at_least(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* ------------------------------------------------------------------ */
/* Sleeping                                                             */
/* ------------------------------------------------------------------ */

static int shm_peer_gone(struct kipc_ring *r)
{
	struct kipc_chan *ch = kipc_ring_chan(r);
	struct pollfd p = { .fd = ch->be.ring.notify_rd, .events = POLLIN };
	int saved = errno, ret;

	ret = poll(&p, 1, 0);
	errno = saved;
	return ret > 0 && (p.revents & (POLLHUP | POLLERR));
}

_Static_assert(KIPC_RING_USER_OFFSET + sizeof(uint32_t) <= 4096,
	       "the closes word must fit in each side's user area");

/*
 * The closes word of the consumer side (@consumer) or of the producers,
 * in the user area of that side's page (see the top and the UAPI).
 */
static uint32_t *shm_closes(struct kipc_ring *r, int consumer)
{
	if (consumer)
		return (uint32_t *)((char *)r->cons + KIPC_RING_USER_OFFSET);
	return (uint32_t *)((char *)r->prod + KIPC_RING_USER_OFFSET);
}

/* The event count of @event (in the page of the side that wakes it). */
static uint32_t *shm_seq(struct kipc_ring *r, int event)
{
	return event == KIPC_EV_READABLE ? &r->prod->read_seq :
					   &r->cons->write_seq;
}

/* Before a sleep: poll only when a peer has closed since we last did. */
static int shm_peer_gone_hint(struct kipc_ring *r)
{
	struct kipc_chan *ch = kipc_ring_chan(r);
	uint32_t c = __atomic_load_n(shm_closes(r, !r->consumer), __ATOMIC_SEQ_CST);

	if (c == ch->be.ring.closes_seen)
		return 0;
	ch->be.ring.closes_seen = c;
	return shm_peer_gone(r);
}

static int shm_wait(struct kipc_ring *r, int event, uint32_t seq,
		    uint64_t deadline)
{
	uint32_t *addr = shm_seq(r, event);
	uint64_t now = kipc_now(), until = now + KIPC_SHM_SLICE_NS;
	struct timespec ts;
	int saved = errno, ret;

	if (deadline != KIPC_FOREVER && deadline <= now)
		return -ETIMEDOUT;
	if (deadline != KIPC_FOREVER && deadline < until)
		until = deadline;
	ts.tv_sec = (time_t)(until / 1000000000ULL);
	ts.tv_nsec = (long)(until % 1000000000ULL);
	ret = (int)syscall(SYS_futex, addr, FUTEX_WAIT_BITSET, seq, &ts, NULL,
			   FUTEX_BITSET_MATCH_ANY);
	ret = ret < 0 ? -errno : 0;
	errno = saved;
	if (ret == -EAGAIN)
		return 0;	/* the count moved already */
	if (ret == -EINTR)
		return -EINTR;
	if (ret == -ETIMEDOUT) {
		if (shm_peer_gone(r))
			return event == KIPC_EV_READABLE ? RING_WAIT_HUP : -EPIPE;
		if (deadline != KIPC_FOREVER && kipc_now() >= deadline)
			return -ETIMEDOUT;
		return 0;	/* end of a slice: the caller checks again */
	}
	return ret;
}

static void shm_wake(struct kipc_ring *r, int event, uint32_t mask)
{
	struct kipc_chan *ch = kipc_ring_chan(r);
	uint32_t *addr = shm_seq(r, event);
	/* Neither bit: not announced by libkipc, so deliver both. */
	bool unknown = !(mask & (KIPC_NEED_WAKE_SLEEP | KIPC_NEED_WAKE_POLL));
	int saved = errno;

	if ((mask & KIPC_NEED_WAKE_SLEEP) || unknown)
		syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	if ((mask & KIPC_NEED_WAKE_POLL) || unknown) {
		char c = 1;
		ssize_t n = write(ch->be.ring.notify_wr, &c, 1);

		(void)n;	/* a full pipe is readable already */
	}
	errno = saved;
}

static void shm_poll_reset(struct kipc_ring *r)
{
	struct kipc_chan *ch = kipc_ring_chan(r);
	char buf[64];
	int saved = errno;

	while (read(ch->be.ring.notify_rd, buf, sizeof(buf)) > 0)
		;
	errno = saved;
}

static const struct kipc_ring_sleep_ops shm_sleep_ops = {
	.wait = shm_wait,
	.wake = shm_wake,
	.peer_gone = shm_peer_gone,
	.peer_gone_hint = shm_peer_gone_hint,
	.poll_reset = shm_poll_reset,
};

/* ------------------------------------------------------------------ */
/* Setup                                                                */
/* ------------------------------------------------------------------ */

/*
 * A ring's tag salt, as the module makes it: random, with
 * KIPC_REC_SALT_SET, so that a reserved header a producer has not yet
 * written (zero in a fresh ring) is never taken as committed.
 */
static uint32_t shm_salt(void)
{
	uint32_t salt;

	if (getrandom(&salt, sizeof(salt), GRND_NONBLOCK) != (ssize_t)sizeof(salt))
		salt = (uint32_t)(kipc_now() ^ ((uint64_t)getpid() << 16));
	return salt | KIPC_REC_SALT_SET;
}

/* Geometry for a new ring from the endpoint's options. */
static void shm_geometry(const struct kipc_chan *ch, struct kipc_ring_layout *i)
{
	uint64_t page = page_size();
	uint64_t need = 2 * KIPC_REC_SPACE(ch->max_msg);

	memset(i, 0, sizeof(*i));
	i->magic = KIPC_RING_MAGIC;
	i->abi_version = KIPC_ABI_VERSION;
	i->flags = (ch->flags & KIPC_F_MULTI_PRODUCER) ? KIPC_RING_F_MPSC : 0;
	i->page_size = (uint32_t)page;
	i->data_size = pow2_at_least(ch->capacity > need ? ch->capacity : need);
	if (i->data_size < page)
		i->data_size = page;
	i->max_record = ch->max_msg;
	i->ctrl_offset = 0;
	i->data_offset = page;
	i->map_size = KIPC_RING_MAP_SIZE(page, i->data_size);
	i->lowat = (uint32_t)KIPC_REC_SPACE(ch->max_msg);	/* room for any message */
	i->rec_salt = shm_salt();
}

/* Fill a fresh object: size, layout page (the rest is zero). */
static int shm_format(int fd, const struct kipc_ring_layout *i)
{
	int saved = errno, ret = 0;

	if (ftruncate(fd, (off_t)(3 * i->page_size + i->data_size)) ||
	    pwrite(fd, i, sizeof(*i), 0) != (ssize_t)sizeof(*i))
		ret = -errno;
	errno = saved;
	return ret;
}

/* Map PROD + data twice over a reserved range, and CONS; returns 0 or -errno. */
static int shm_map(struct kipc_chan *ch, int fd, const struct kipc_ring_layout *info,
		   int consumer)
{
	struct kipc_ring_layout i;
	int prot_ring = consumer ? PROT_READ : PROT_READ | PROT_WRITE;
	int prot_cons = consumer ? PROT_READ | PROT_WRITE : PROT_READ;
	size_t page, len;
	uint8_t *base, *cons;
	int saved = errno, ret;
	struct stat stbuf;

	memcpy(&i, info, sizeof(i));
	page = page_size();
	if (i.page_size != page || i.data_size > (1ULL << 34) ||
	    i.data_size < page || (i.data_size & (i.data_size - 1)))
		return -EBADMSG;
	if (fstat(fd, &stbuf)) {
		ret = -errno;
		errno = saved;
		return ret;
	}
	if ((uint64_t)stbuf.st_size < 3 * page + i.data_size)
		return -EBADMSG;
	len = page + 2 * i.data_size;
	base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (base == MAP_FAILED)
		goto out_errno;
	if (mmap(base, page, prot_ring, MAP_SHARED | MAP_FIXED, fd,
		 (off_t)page) == MAP_FAILED ||
	    mmap(base + page, i.data_size, prot_ring,
		 MAP_SHARED | MAP_FIXED, fd, (off_t)(3 * page)) == MAP_FAILED ||
	    mmap(base + page + i.data_size, i.data_size, prot_ring,
		 MAP_SHARED | MAP_FIXED, fd, (off_t)(3 * page)) == MAP_FAILED) {
		ret = -errno;
		munmap(base, len);
		errno = saved;
		return ret;
	}
	cons = mmap(NULL, page, prot_cons, MAP_SHARED, fd, (off_t)(2 * page));
	if (cons == MAP_FAILED) {
		ret = -errno;
		munmap(base, len);
		errno = saved;
		return ret;
	}
	ret = kipc_ring_init(&ch->be.ring.ring, &i, len, base, cons, consumer);
	if (ret) {
		munmap(cons, page);
		munmap(base, len);
		return ret;
	}
	ch->be.ring.map_ring = base;
	ch->be.ring.map_ring_len = len;
	ch->be.ring.map_cons = cons;
	ch->be.ring.map_cons_len = page;
	kipc_ring_attach(ch, &shm_sleep_ops);
	return 0;
out_errno:
	ret = -errno;
	errno = saved;
	return ret;
}

/* Every setup starts here: nothing mapped, no fd. */
static void shm_init(struct kipc_chan *ch)
{
	memset(&ch->be.ring, 0, sizeof(ch->be.ring));
	ch->be.ring.fd = ch->be.ring.notify_rd = ch->be.ring.notify_wr = -1;
}

static int shm_fd(struct kipc_chan *ch)
{
	return ch->be.ring.notify_rd;
}

static void shm_close(struct kipc_chan *ch)
{
	struct kipc_ring *r = &ch->be.ring.ring;
	int saved = errno;

	kipc__close_fd(ch->be.ring.fd);
	kipc__close_fd(ch->be.ring.notify_rd);
	kipc__close_fd(ch->be.ring.notify_wr);
	ch->be.ring.fd = ch->be.ring.notify_rd = ch->be.ring.notify_wr = -1;
	if (ch->be.ring.map_ring) {
		/*
		 * Tell a sleeper of the other side to check (see the top):
		 * our closes word in our page, and a wake-up on the count
		 * it sleeps on, which stays as it is.
		 */
		uint32_t *seq = shm_seq(r, r->consumer ? KIPC_EV_WRITABLE :
							 KIPC_EV_READABLE);

		__atomic_fetch_add(shm_closes(r, r->consumer), 1, __ATOMIC_SEQ_CST);
		syscall(SYS_futex, seq, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
		munmap(ch->be.ring.map_ring, ch->be.ring.map_ring_len);
		munmap(ch->be.ring.map_cons, ch->be.ring.map_cons_len);
	}
	ch->be.ring.map_ring = ch->be.ring.map_cons = NULL;
	errno = saved;
}

static int shm_pair(struct kipc_chan *tx, struct kipc_chan *rx)
{
	struct kipc_ring_layout info;
	int d[2] = { -1, -1 }, w[2] = { -1, -1 };
	int saved = errno, fd, fd2 = -1, ret;

	shm_init(tx);
	shm_init(rx);
	shm_geometry(tx, &info);
	fd = memfd_create("kipc-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		goto out_errno;
	ret = shm_format(fd, &info);
	if (ret)
		goto out_close;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		goto out_errno;
	fd2 = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (fd2 < 0 || pipe2(d, O_NONBLOCK | O_CLOEXEC) ||
	    pipe2(w, O_NONBLOCK | O_CLOEXEC))
		goto out_errno;
	ret = shm_map(tx, fd, &info, 0);
	if (ret)
		goto out_close;
	ret = shm_map(rx, fd2, &info, 1);
	if (ret)
		goto out_close;
	tx->be.ring.fd = fd;
	rx->be.ring.fd = fd2;
	rx->be.ring.notify_rd = d[0];	/* data notifications; HUP: no producer */
	tx->be.ring.notify_wr = d[1];
	tx->be.ring.notify_rd = w[0];	/* room notifications; HUP: no consumer */
	rx->be.ring.notify_wr = w[1];
	return 0;
out_errno:
	ret = -errno;
out_close:
	if (tx->be.ring.map_ring) {
		munmap(tx->be.ring.map_ring, tx->be.ring.map_ring_len);
		munmap(tx->be.ring.map_cons, tx->be.ring.map_cons_len);
	}
	if (rx->be.ring.map_ring) {
		munmap(rx->be.ring.map_ring, rx->be.ring.map_ring_len);
		munmap(rx->be.ring.map_cons, rx->be.ring.map_cons_len);
	}
	tx->be.ring.map_ring = rx->be.ring.map_ring = NULL;
	tx->be.ring.map_cons = rx->be.ring.map_cons = NULL;
	kipc__close_fd(fd);
	kipc__close_fd(fd2);
	for (int i = 0; i < 2; i++) {
		kipc__close_fd(d[i]);
		kipc__close_fd(w[i]);
	}
	errno = saved;
	return ret;
}

/* Named channels: NAME.shm (the object), NAME.rd (D), NAME.wr (R). */
static int shm_paths(const char *name, char obj[PATH_LEN], char rd[PATH_LEN],
		     char wr[PATH_LEN])
{
	int ret = kipc__path(obj, PATH_LEN, name, ".shm");

	if (!ret)
		ret = kipc__path(rd, PATH_LEN, name, ".rd");
	if (!ret)
		ret = kipc__path(wr, PATH_LEN, name, ".wr");
	return ret;
}

/* Open the notify FIFOs and the role lock of an endpoint. */
static int shm_attach_named(struct kipc_chan *ch, int fd, const char *rd,
			    const char *wr, const struct kipc_ring_layout *info)
{
	bool consumer = ch->role == KIPC_CONSUMER;
	struct flock lk = {
		.l_type = F_WRLCK, .l_whence = SEEK_SET,
		.l_start = consumer ? 1 : 0, .l_len = 1,
	};
	int saved = errno, ret;

	/*
	 * One consumer, and one producer unless the ring is MPSC: each
	 * endpoint holds a write lock on its role's byte of the object
	 * (OFD locks: released with the last fd of the endpoint, even on
	 * kill -9; shared by a fork()ed child, which is the same endpoint).
	 */
	if ((consumer || !(info->flags & KIPC_RING_F_MPSC)) &&
	    fcntl(fd, F_OFD_SETLK, &lk)) {
		ret = (errno == EAGAIN || errno == EACCES) ? -EBUSY : -errno;
		errno = saved;
		return ret;
	}
	/*
	 * Our own notify FIFO read-only; the peer's O_RDWR, which never
	 * blocks nor fails with ENXIO, and still counts us as a writer.
	 */
	ch->be.ring.notify_rd = open(consumer ? rd : wr,
				     O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (ch->be.ring.notify_rd < 0)
		goto out_errno;
	ch->be.ring.notify_wr = open(consumer ? wr : rd, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (ch->be.ring.notify_wr < 0)
		goto out_errno;
	ch->be.ring.fd = fd;
	return 0;
out_errno:
	ret = -errno;
	kipc__close_fd(ch->be.ring.notify_rd);
	ch->be.ring.notify_rd = -1;
	errno = saved;
	return ret == -ENOENT ? -EBADMSG : ret;
}

static int shm_open_named(struct kipc_chan *ch, const char *name)
{
	char obj[PATH_LEN], rd[PATH_LEN], wr[PATH_LEN];
	struct kipc_ring_layout info;
	int saved = errno, fd, ret;

	shm_init(ch);
	ret = shm_paths(name, obj, rd, wr);
	if (ret)
		return ret;
	fd = open(obj, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ret = -errno;
		errno = saved;
		return ret;
	}
	if (pread(fd, &info, sizeof(info), 0) != (ssize_t)sizeof(info)) {
		ret = -EBADMSG;
		goto out_close;
	}
	if ((ch->flags & KIPC_F_MULTI_PRODUCER) && !(info.flags & KIPC_RING_F_MPSC)) {
		ret = -EOPNOTSUPP;	/* created single-producer */
		goto out_close;
	}
	ret = shm_map(ch, fd, &info, ch->role == KIPC_CONSUMER);
	if (ret)
		goto out_close;
	ret = shm_attach_named(ch, fd, rd, wr, &info);
	if (ret) {
		munmap(ch->be.ring.map_ring, ch->be.ring.map_ring_len);
		munmap(ch->be.ring.map_cons, ch->be.ring.map_cons_len);
		ch->be.ring.map_ring = ch->be.ring.map_cons = NULL;
		goto out_close;
	}
	errno = saved;
	return 0;
out_close:
	kipc__close_fd(fd);
	errno = saved;
	return ret;
}

static int shm_create(struct kipc_chan *ch, const char *name)
{
	char obj[PATH_LEN], rd[PATH_LEN], wr[PATH_LEN], tmp[PATH_LEN + 32];
	struct kipc_ring_layout info;
	int saved = errno, fd, ret;

	ret = shm_paths(name, obj, rd, wr);
	if (ret)
		return ret;
	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", obj, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if (!access(obj, F_OK))
		return -EEXIST;
	/*
	 * The FIFOs first, then the object under a temporary name, linked
	 * into place last: the object's name appearing is the commit point.
	 */
	unlink(rd);
	unlink(wr);
	if (mkfifo(rd, 0600) || chmod(rd, ch->mode) ||
	    mkfifo(wr, 0600) || chmod(wr, ch->mode))
		goto out_errno;
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out_errno;
	shm_geometry(ch, &info);
	ret = shm_format(fd, &info);
	if (!ret && fchmod(fd, ch->mode))
		ret = -errno;
	if (!ret && link(tmp, obj))
		ret = -errno;
	unlink(tmp);
	kipc__close_fd(fd);
	errno = saved;
	if (ret)
		return ret;
	ret = shm_open_named(ch, name);
	if (ret) {
		unlink(obj);
		unlink(rd);
		unlink(wr);
	}
	return ret;
out_errno:
	ret = -errno;
	errno = saved;
	return ret;
}

static int shm_unlink_named(const char *name)
{
	char obj[PATH_LEN], rd[PATH_LEN], wr[PATH_LEN];
	int saved = errno, ret;

	ret = shm_paths(name, obj, rd, wr);
	if (ret)
		return ret;
	ret = unlink(obj) ? -errno : 0;
	if (!ret) {
		unlink(rd);
		unlink(wr);
	}
	errno = saved;
	return ret;
}

static int shm_poll_events(struct kipc_chan *ch)
{
	(void)ch;
	return POLLIN;
}

const struct kipc_backend_ops kipc__shm_ops = {
	.name = "shm",
	.guarantees = KIPC_F_MULTI_PRODUCER | KIPC_F_ZERO_COPY,
	.available = shm_available,
	.pair = shm_pair,
	.create = shm_create,
	.open = shm_open_named,
	.unlink = shm_unlink_named,
	.close = shm_close,
	.fd = shm_fd,
	KIPC_RING_OPS,
	.poll_events = shm_poll_events,
};
