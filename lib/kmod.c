// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkipc - the kmod backend: kipc rings through /dev/kipc.
 *
 * The ring fd comes from KIPC_IOC_RING_CREATE or KIPC_IOC_OPEN and is
 * mapped with three mmap() calls: the read-only layout page, the RING map
 * (the producers' page plus the data mapped twice by the kernel) and the
 * consumer's page.  Each is mapped writable only when the endpoint's role
 * writes it (the kernel refuses anything else).  The data
 * path is lib/ring.c, shared with the shm backend; sleeping is
 * KIPC_RING_IOC_WAIT / KIPC_RING_IOC_WAKE, and the ring fd itself is the
 * pollable fd (the kernel reports EPOLLIN / EPOLLOUT / EPOLLHUP).
 *
 * An anonymous pair is an anonymous ring created with both roles and
 * split with KIPC_IOC_DUP into a producer fd and a consumer fd: each
 * endpoint is then its own open file, so the kernel's producer and
 * consumer counts see each side close (or die) separately.
 *
 * KIPC_F_MULTI_CONSUMER and KIPC_F_CREDENTIALS need a kernel queue
 * instead of a ring; lib/kmod_queue.c has that mode, and setup here
 * hands over to it.  kipc_open() finds a name of either kind.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kipc_private.h"

#define KMOD_NEEDS	(KIPC_FEAT_RING | KIPC_FEAT_NAMES | KIPC_FEAT_DUP)
/* Guarantees only a kernel queue gives. */
#define KMOD_QUEUE_FLAGS (KIPC_F_MULTI_CONSUMER | KIPC_F_CREDENTIALS | \
			  KIPC_F_PRIORITY)

static int kmod_available(void)
{
	struct kipc_info ki;
	int fd, ret;

	fd = kipc__open_dev();
	if (fd < 0)
		return fd;
	memset(&ki, 0, sizeof(ki));
	ret = kipc__ioctl(fd, KIPC_IOC_GET_INFO, &ki);
	kipc__close_fd(fd);
	if (ret == -ENOTTY)
		return -ENODEV;
	if (ret < 0)
		return ret;
	/*
	 * Without rings, names or DUP (for pairs) it cannot serve us, nor
	 * with another ring format.
	 */
	if ((ki.features & KMOD_NEEDS) != KMOD_NEEDS ||
	    ki.abi_version != KIPC_ABI_VERSION)
		return -ENODEV;
	return 0;
}

static const struct kipc_ring_layout *kmod_info(struct kipc_ring *r)
{
	struct kipc_chan *ch = kipc_ring_chan(r);

	return ch->be.ring.map_info;
}

static int kmod_peer_gone(struct kipc_ring *r)
{
	uint32_t state = __atomic_load_n(&kmod_info(r)->state, __ATOMIC_ACQUIRE);

	return !!(state & (r->consumer ? KIPC_STATE_NO_PRODUCERS :
					 KIPC_STATE_NO_CONSUMERS));
}

static int kmod_wait(struct kipc_ring *r, int event, uint32_t seq,
		     uint64_t deadline)
{
	struct kipc_chan *ch = kipc_ring_chan(r);
	struct kipc_ring_wait w;
	int ret;

	memset(&w, 0, sizeof(w));
	w.event = (uint32_t)event;
	w.seq = seq;
	w.timeout = deadline == KIPC_FOREVER ? 0 : deadline;
	ret = kipc__ioctl(ch->be.ring.fd, KIPC_RING_IOC_WAIT, &w);
	if (!ret && event == KIPC_EV_READABLE &&
	    (w.state & KIPC_STATE_NO_PRODUCERS))
		return RING_WAIT_HUP;
	return ret;
}

static void kmod_wake(struct kipc_ring *r, int event, uint32_t mask)
{
	struct kipc_chan *ch = kipc_ring_chan(r);
	struct kipc_ring_wake w;

	(void)mask;
	memset(&w, 0, sizeof(w));
	w.event = (uint32_t)event;
	kipc__ioctl(ch->be.ring.fd, KIPC_RING_IOC_WAKE, &w);
}

static const struct kipc_ring_sleep_ops kmod_sleep_ops = {
	.wait = kmod_wait,
	.wake = kmod_wake,
	.peer_gone = kmod_peer_gone,
};

static void kmod_close(struct kipc_chan *ch)
{
	if (ch->be.ring.map_ring)
		munmap(ch->be.ring.map_ring, ch->be.ring.map_ring_len);
	if (ch->be.ring.map_cons)
		munmap(ch->be.ring.map_cons, ch->be.ring.map_cons_len);
	if (ch->be.ring.map_info)
		munmap(ch->be.ring.map_info, ch->be.ring.map_info_len);
	ch->be.ring.map_ring = ch->be.ring.map_cons = ch->be.ring.map_info = NULL;
	kipc__close_fd(ch->be.ring.fd);
	ch->be.ring.fd = -1;
}

static int kmod_fd(struct kipc_chan *ch)
{
	return ch->be.ring.fd;
}

/* Map a ring fd into @ch and take ownership of @fd. */
static int kmod_map(struct kipc_chan *ch, int fd)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int consumer = ch->role == KIPC_CONSUMER;
	const struct kipc_ring_layout *info;
	int saved = errno, ret;
	uint64_t len;
	void *ring, *cons;

	memset(&ch->be.ring, 0, sizeof(ch->be.ring));
	ch->be.ring.notify_rd = ch->be.ring.notify_wr = -1;	/* not used */
	ch->be.ring.fd = fd;
	info = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, KIPC_RING_OFF_LAYOUT);
	if (info == MAP_FAILED)
		goto out_errno;
	ch->be.ring.map_info = (void *)info;
	ch->be.ring.map_info_len = page;
	len = __atomic_load_n(&info->map_size, __ATOMIC_RELAXED);
	if (len < 3 * page || len > (1ULL << 41)) {
		ret = -EBADMSG;
		goto out_close;
	}
	ring = mmap(NULL, len, consumer ? PROT_READ : PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, KIPC_RING_OFF_RING);
	if (ring == MAP_FAILED)
		goto out_errno;
	ch->be.ring.map_ring = ring;
	ch->be.ring.map_ring_len = len;
	cons = mmap(NULL, page, consumer ? PROT_READ | PROT_WRITE : PROT_READ,
		    MAP_SHARED, fd, KIPC_RING_OFF_CONS);
	if (cons == MAP_FAILED)
		goto out_errno;
	ch->be.ring.map_cons = cons;
	ch->be.ring.map_cons_len = page;
	ret = kipc_ring_init(&ch->be.ring.ring, info, len, ring, cons, consumer);
	if (ret)
		goto out_close;
	kipc_ring_attach(ch, &kmod_sleep_ops);
	errno = saved;
	return 0;
out_errno:
	ret = -errno;
out_close:
	kmod_close(ch);
	errno = saved;
	return ret;
}

static uint64_t kmod_data_size(const struct kipc_chan *ch)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t need = 2 * KIPC_REC_SPACE(ch->max_msg), v = page;

	if (ch->capacity > need)
		need = ch->capacity;
	while (v < need)
		v <<= 1;
	return v;
}

static uint32_t kmod_role(int role)
{
	return role == KIPC_PRODUCER ? KIPC_ROLE_PRODUCER : KIPC_ROLE_CONSUMER;
}

static int kmod_ring_create(struct kipc_chan *ch, const char *name, uint32_t role,
			    uint32_t mode)
{
	struct kipc_ring_create c;
	int dev, ret;

	dev = kipc__open_dev();
	if (dev < 0)
		return dev;
	memset(&c, 0, sizeof(c));
	c.flags = (ch->flags & KIPC_F_MULTI_PRODUCER) ? KIPC_RING_F_MPSC : 0;
	c.obj.role = role;
	c.data_size = kmod_data_size(ch);
	c.obj.name = (uint64_t)(uintptr_t)name;
	c.obj.mode = mode;
	c.lowat = (uint32_t)KIPC_REC_SPACE(ch->max_msg);	/* room for any message */
	ret = kipc__ioctl(dev, KIPC_IOC_RING_CREATE, &c);
	kipc__close_fd(dev);
	return ret;
}

/* KIPC_IOC_OPEN of a ring or queue (@type) by name: the fd or -errno. */
static int kmod_obj_open(const char *name, uint32_t type, int role)
{
	struct kipc_open o;
	int dev, ret;

	dev = kipc__open_dev();
	if (dev < 0)
		return dev;
	memset(&o, 0, sizeof(o));
	o.name = (uint64_t)(uintptr_t)name;
	o.type = type;
	o.role = kmod_role(role);
	ret = kipc__ioctl(dev, KIPC_IOC_OPEN, &o);
	kipc__close_fd(dev);
	return ret;
}

static int kmod_unlink(const char *name)
{
	struct kipc_unlink u;
	int dev, ret;

	dev = kipc__open_dev();
	if (dev < 0)
		return dev;
	memset(&u, 0, sizeof(u));
	u.name = (uint64_t)(uintptr_t)name;
	u.type = 0;	/* a ring or a queue */
	ret = kipc__ioctl(dev, KIPC_IOC_UNLINK, &u);
	kipc__close_fd(dev);
	return ret;
}

/*
 * Split @fd (an object fd with both roles) into a producer and a consumer
 * fd, each its own endpoint; @fd is closed in every case.
 */
int kipc__kmod_split(int fd, int *pfd, int *cfd)
{
	struct kipc_dup d;
	int dev, ret;

	dev = kipc__open_dev();
	if (dev < 0) {
		kipc__close_fd(fd);
		return dev;
	}
	memset(&d, 0, sizeof(d));
	d.fd = fd;
	d.role = KIPC_ROLE_PRODUCER;
	ret = kipc__ioctl(dev, KIPC_IOC_DUP, &d);
	if (ret >= 0) {
		*pfd = ret;
		memset(&d, 0, sizeof(d));
		d.fd = fd;
		d.role = KIPC_ROLE_CONSUMER;
		ret = kipc__ioctl(dev, KIPC_IOC_DUP, &d);
		if (ret >= 0)
			*cfd = ret;
		else
			kipc__close_fd(*pfd);
	}
	kipc__close_fd(dev);
	kipc__close_fd(fd);
	return ret < 0 ? ret : 0;
}

static int kmod_pair(struct kipc_chan *tx, struct kipc_chan *rx)
{
	int fd, pfd, cfd, ret;

	if (tx->flags & KMOD_QUEUE_FLAGS) {
		if (tx->flags & KIPC_F_ZERO_COPY)
			return -EOPNOTSUPP;
		return kipc__kmodq_pair(tx, rx);
	}
	fd = kmod_ring_create(tx, NULL, KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER,
			      0600);
	if (fd < 0)
		return fd;
	ret = kipc__kmod_split(fd, &pfd, &cfd);
	if (ret)
		return ret;
	ret = kmod_map(tx, pfd);
	if (ret) {
		kipc__close_fd(cfd);
		return ret;
	}
	ret = kmod_map(rx, cfd);
	if (ret)
		kmod_close(tx);
	return ret;
}

static int kmod_create(struct kipc_chan *ch, const char *name)
{
	int fd;

	if (ch->flags & KMOD_QUEUE_FLAGS) {
		if (ch->flags & KIPC_F_ZERO_COPY)
			return -EOPNOTSUPP;
		return kipc__kmodq_create(ch, name);
	}
	fd = kmod_ring_create(ch, name, kmod_role(ch->role), ch->mode);
	return fd < 0 ? fd : kmod_map(ch, fd);
}

static int kmod_open(struct kipc_chan *ch, const char *name)
{
	int fd, ret;

	/*
	 * A name is a ring or a queue.  Look for the kind the flags need
	 * first; the other kind is an error only when it cannot honour
	 * them (a failed open leaves no trace, so probing is harmless).
	 */
	if (!(ch->flags & KMOD_QUEUE_FLAGS)) {
		fd = kmod_obj_open(name, KIPC_OBJ_RING, ch->role);
		if (fd >= 0) {
			ret = kmod_map(ch, fd);
			if (!ret && (ch->flags & KIPC_F_MULTI_PRODUCER) &&
			    !(ch->be.ring.ring.flags & KIPC_RING_F_MPSC)) {
				kmod_close(ch);
				return -EOPNOTSUPP;	/* created single-producer */
			}
			return ret;
		}
		if (fd != -ENOENT)
			return fd;
	}
	fd = kmod_obj_open(name, KIPC_OBJ_QUEUE, ch->role);
	if (fd < 0)
		return fd;
	if (ch->flags & KIPC_F_ZERO_COPY) {
		kipc__close_fd(fd);
		return -EOPNOTSUPP;	/* a queue copies */
	}
	return kipc__kmodq_open(ch, fd);
}

static int kmod_poll_events(struct kipc_chan *ch)
{
	return ch->role == KIPC_CONSUMER ? POLLIN : POLLOUT;
}

const struct kipc_backend_ops kipc__kmod_ops = {
	.name = "kmod",
	.guarantees = KIPC_F_MULTI_PRODUCER | KIPC_F_ZERO_COPY |
		      KMOD_QUEUE_FLAGS,	/* not all at once: see kmod_create() */
	.available = kmod_available,
	.pair = kmod_pair,
	.create = kmod_create,
	.open = kmod_open,
	.unlink = kmod_unlink,
	.close = kmod_close,
	.fd = kmod_fd,
	KIPC_RING_OPS,
	.poll_events = kmod_poll_events,
};
