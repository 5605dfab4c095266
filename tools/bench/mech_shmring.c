// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench - shared-memory ring baselines: the ring a careful user
 * would write on a memfd, in three signalling flavours.
 *
 *   shm-eventfd  the doorbell pattern: every publish writes an eventfd,
 *		  and an empty consumer blocks in read() on it.
 *   shm-futex	  an event count with a waiter flag: an awake consumer
 *		  costs the producer no system call at all.
 *   shm-poll	  both sides spin; no system calls, one CPU burnt per side.
 *
 * Layout: one control page (tail, head, and the wait words, each on its
 * own cache line), then a power-of-two data area.  A record is an 8-byte
 * header (payload length) and the payload, padded to 8 bytes; a payload
 * may wrap and is then copied in two pieces.
 *
 * One producer: the producer owns tail and publishes it with a release
 * store; the consumer owns head.  Several producers (the multi-producer
 * workload), Agrona's many-to-one scheme: reserve by compare-and-swap on
 * tail, write the payload, then store-release the length with COMMIT
 * set; the consumer zeroes what it consumed before it moves head, so a
 * new reservation always starts on an uncommitted (zero) header.
 *
 * Sleeping, futex flavour (the consumer; a producer short of room does
 * the mirror image on wseq/wwait):
 *
 *   consumer                            producer
 *   s = load_acquire(rseq)              write record
 *   if (readable) return                store_release(tail or len|COMMIT)
 *   store(rwait, 1)                     fence (seq_cst)
 *   fence (seq_cst)                     if (rwait && xchg(rwait, 0)) {
 *   if (readable) return                    rseq++
 *   FUTEX_WAIT(rseq, s)                     FUTEX_WAKE(rseq)
 *                                       }
 *
 * Either the consumer's re-check sees the record or the producer sees
 * the flag.  The consumer sleeps on a value read *before* it announced,
 * so a wake caused by an older announcement makes FUTEX_WAIT return at
 * once instead of being lost.  Waiters never clear the flag themselves:
 * with several producers waiting for room, one could clear another's
 * announcement; a leftover flag costs at most one spurious wake.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

#define REC_HDR		8u
#define REC_COMMIT	0x80000000u
#define CTRL_SIZE	4096u
#define SPIN_YIELD	4096u

enum ring_sig { SIG_EVENTFD, SIG_FUTEX, SIG_POLL };

struct ring_ctrl {
	_Alignas(64) uint64_t tail;
	_Alignas(64) uint64_t head;
	_Alignas(64) uint32_t rseq;
	uint32_t rwait;
	_Alignas(64) uint32_t wseq;
	uint32_t wwait;
};

_Static_assert(sizeof(struct ring_ctrl) <= CTRL_SIZE, "control page");

struct shmring {
	struct ring_ctrl *c;	/* shared */
	unsigned char *data;	/* shared */
	size_t map_len;
	uint64_t size, mask;
	size_t len, space;	/* message size, ring bytes per record */
	enum ring_sig sig;
	bool mpsc, yield;
	unsigned int nprod;
	int efd_data, efd_room;
	/* private to each process */
	uint64_t head, tail;		/* own position */
	uint64_t head_seen, tail_seen;	/* last seen position of the peer */
	uint64_t published;
};

#define load_acq(p)		__atomic_load_n(p, __ATOMIC_ACQUIRE)
#define load_rlx(p)		__atomic_load_n(p, __ATOMIC_RELAXED)
#define store_rel(p, v)		__atomic_store_n(p, v, __ATOMIC_RELEASE)
#define store_rlx(p, v)		__atomic_store_n(p, v, __ATOMIC_RELAXED)
#define fence_full()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

static size_t rec_space(size_t len)
{
	return (REC_HDR + len + 7) & ~(size_t)7;
}

static long futex(uint32_t *addr, int op, uint32_t val)
{
	return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

static void copy_in(struct shmring *r, uint64_t pos, const void *src, size_t n)
{
	size_t off = pos & r->mask, first = r->size - off < n ? r->size - off : n;

	memcpy(r->data + off, src, first);
	if (n > first)
		memcpy(r->data, (const unsigned char *)src + first, n - first);
}

static void copy_out(struct shmring *r, uint64_t pos, void *dst, size_t n)
{
	size_t off = pos & r->mask, first = r->size - off < n ? r->size - off : n;

	memcpy(dst, r->data + off, first);
	if (n > first)
		memcpy((unsigned char *)dst + first, r->data, n - first);
}

static void zero_range(struct shmring *r, uint64_t pos, size_t n)
{
	size_t off = pos & r->mask, first = r->size - off < n ? r->size - off : n;

	memset(r->data + off, 0, first);
	if (n > first)
		memset(r->data, 0, n - first);
}

static uint32_t *hdr_at(struct shmring *r, uint64_t pos)
{
	return (uint32_t *)(r->data + (pos & r->mask));
}

static bool readable(struct shmring *r)
{
	if (r->mpsc)
		return load_acq(hdr_at(r, r->head)) & REC_COMMIT;
	r->tail_seen = load_acq(&r->c->tail);
	return r->tail_seen != r->head;
}

/*
 * Room for a record ending at end?  With several producers the caller's
 * tail may be stale, even behind head: check against the current tail,
 * read after head (so never behind it).
 */
static bool has_room(struct shmring *r, uint64_t end)
{
	r->head_seen = load_acq(&r->c->head);
	if (r->mpsc)
		end = load_rlx(&r->c->tail) + r->space;
	return end - r->head_seen <= r->size;
}

static void spin(struct shmring *r, unsigned int *spins)
{
	cpu_relax();
	/* Busy processes sharing a CPU must let the peer run now and then. */
	if (r->yield && ++*spins % SPIN_YIELD == 0)
		sched_yield();
}

static int wait_data(struct shmring *r)
{
	unsigned int spins = 0;
	uint64_t v;

	for (;;) {
		uint32_t s = load_acq(&r->c->rseq);

		if (readable(r))
			return 0;
		switch (r->sig) {
		case SIG_POLL:
			spin(r, &spins);
			break;
		case SIG_EVENTFD:
			if (read(r->efd_data, &v, sizeof(v)) < 0 && errno != EINTR)
				return -errno;
			break;
		case SIG_FUTEX:
			store_rlx(&r->c->rwait, 1);
			fence_full();
			if (readable(r))
				return 0;
			if (futex(&r->c->rseq, FUTEX_WAIT, s) && errno != EAGAIN && errno != EINTR)
				return -errno;
			break;
		}
	}
}

/* Wait until a record ending at end fits (mpsc: one more record fits). */
static int wait_room(struct shmring *r, uint64_t end)
{
	unsigned int spins = 0;
	uint64_t v;

	for (;;) {
		uint32_t s = load_acq(&r->c->wseq);

		if (has_room(r, end))
			return 0;
		if (r->sig == SIG_POLL) {
			spin(r, &spins);
			continue;
		}
		store_rlx(&r->c->wwait, 1);
		fence_full();
		if (has_room(r, end))
			return 0;
		if (r->sig == SIG_EVENTFD) {
			if (read(r->efd_room, &v, sizeof(v)) < 0 && errno != EINTR)
				return -errno;
		} else if (futex(&r->c->wseq, FUTEX_WAIT, s) && errno != EAGAIN &&
			   errno != EINTR) {
			return -errno;
		}
	}
}

/* After publishing: wake the consumer if the protocol says so. */
static int notify_data(struct shmring *r)
{
	uint64_t one = 1;

	switch (r->sig) {
	case SIG_POLL:
		break;
	case SIG_EVENTFD:
		if (write(r->efd_data, &one, sizeof(one)) < 0)
			return -errno;
		break;
	case SIG_FUTEX:
		fence_full();
		if (load_rlx(&r->c->rwait) &&
		    __atomic_exchange_n(&r->c->rwait, 0, __ATOMIC_SEQ_CST)) {
			__atomic_fetch_add(&r->c->rseq, 1, __ATOMIC_RELEASE);
			futex(&r->c->rseq, FUTEX_WAKE, 1);
		}
		break;
	}
	return 0;
}

/* After moving head: wake producers waiting for room, if any announced. */
static int notify_room(struct shmring *r)
{
	uint64_t n = r->nprod;

	if (r->sig == SIG_POLL)
		return 0;
	fence_full();
	if (!load_rlx(&r->c->wwait) || !__atomic_exchange_n(&r->c->wwait, 0, __ATOMIC_SEQ_CST))
		return 0;
	if (r->sig == SIG_EVENTFD) {
		/* EFD_SEMAPHORE: one unit per possible sleeper. */
		if (write(r->efd_room, &n, sizeof(n)) < 0)
			return -errno;
	} else {
		__atomic_fetch_add(&r->c->wseq, 1, __ATOMIC_RELEASE);
		futex(&r->c->wseq, FUTEX_WAKE, INT_MAX);
	}
	return 0;
}

static int publish(struct shmring *r)
{
	if (r->published == r->tail)
		return 0;
	store_rel(&r->c->tail, r->tail);
	r->published = r->tail;
	return notify_data(r);
}

/* Single producer: write one record at the private tail, unpublished. */
static int put_spsc(struct shmring *r, const void *msg)
{
	uint64_t end = r->tail + r->space;

	if (end - r->head_seen > r->size && !has_room(r, end)) {
		int ret = publish(r);	/* never wait on records nobody can see */

		if (ret || (ret = wait_room(r, end)))
			return ret;
	}
	*hdr_at(r, r->tail) = (uint32_t)r->len;
	copy_in(r, r->tail + REC_HDR, msg, r->len);
	r->tail = end;
	return 0;
}

static int send_mpsc(struct shmring *r, const void *msg)
{
	uint64_t t;
	int ret;

	for (;;) {
		t = load_rlx(&r->c->tail);
		/* Signed: a stale head_seen may be behind, a stale t ahead. */
		if ((int64_t)(t + r->space - r->head_seen) > (int64_t)r->size &&
		    !has_room(r, 0)) {
			ret = wait_room(r, t + r->space);
			if (ret)
				return ret;
			continue;
		}
		if (__atomic_compare_exchange_n(&r->c->tail, &t, t + r->space, true,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			break;
	}
	copy_in(r, t + REC_HDR, msg, r->len);
	store_rel(hdr_at(r, t), (uint32_t)r->len | REC_COMMIT);
	return notify_data(r);
}

static int ring_send(void *ch, const void *msg)
{
	struct shmring *r = ch;
	int ret;

	if (r->mpsc)
		return send_mpsc(r, msg);
	ret = put_spsc(r, msg);
	return ret ? ret : publish(r);
}

static int ring_send_batch(void *ch, const void *msgs, unsigned int n)
{
	struct shmring *r = ch;
	const unsigned char *p = msgs;

	for (unsigned int i = 0; i < n; i++) {
		int ret = r->mpsc ? send_mpsc(r, p + i * r->len) : put_spsc(r, p + i * r->len);

		if (ret)
			return ret;
	}
	return r->mpsc ? 0 : publish(r);
}

/* Take one record at head; the caller makes the new head visible. */
static int take(struct shmring *r, void *buf)
{
	uint32_t len = load_rlx(hdr_at(r, r->head)) & ~REC_COMMIT;

	/* Nothing in shared memory is trusted. */
	if (len != r->len)
		return -EBADMSG;
	copy_out(r, r->head + REC_HDR, buf, len);
	if (r->mpsc)
		zero_range(r, r->head, r->space);
	r->head += r->space;
	return 0;
}

static bool have_more(struct shmring *r)
{
	if (r->mpsc)
		return load_acq(hdr_at(r, r->head)) & REC_COMMIT;
	return r->head != r->tail_seen;
}

static int ring_recv_batch(void *ch, void *bufs, unsigned int max)
{
	struct shmring *r = ch;
	unsigned char *p = bufs;
	unsigned int n = 0;
	int ret;

	if (!have_more(r) && (ret = wait_data(r)))
		return ret;
	while (n < max && have_more(r)) {
		ret = take(r, p + n * r->len);
		if (ret)
			return ret;
		n++;
	}
	store_rel(&r->c->head, r->head);
	ret = notify_room(r);
	return ret ? ret : (int)n;
}

static int ring_recv(void *ch, void *buf)
{
	int n = ring_recv_batch(ch, buf, 1);

	return n < 0 ? n : 0;
}

/* Also undoes a partial ring_open(): what it did not get is NULL or -1. */
static void ring_close(void *ch)
{
	struct shmring *r = ch;

	if (r->c)
		munmap(r->c, r->map_len);
	if (r->efd_data >= 0)
		close(r->efd_data);
	if (r->efd_room >= 0)
		close(r->efd_room);
	free(r);
}

/* bench_mech.priv of each row */
static const enum ring_sig sig_eventfd = SIG_EVENTFD, sig_futex = SIG_FUTEX, sig_poll = SIG_POLL;

static void *ring_open(const struct bench_mech *m, const struct bench_chan_cfg *cfg, int *err)
{
	enum ring_sig sig = *(const enum ring_sig *)m->priv;
	struct shmring *r = calloc(1, sizeof(*r));
	size_t want;
	int fd = -1;

	if (!r) {
		*err = -ENOMEM;
		return NULL;
	}
	r->sig = sig;
	r->len = cfg->msg_size;
	r->space = rec_space(cfg->msg_size);
	r->mpsc = cfg->shared_send;
	r->nprod = cfg->nprod ? cfg->nprod : 1;
	r->yield = cfg->oversubscribed;
	r->efd_data = r->efd_room = -1;
	want = cfg->budget > 2 * r->space ? cfg->budget : 2 * r->space;
	for (r->size = 4096; r->size < want; r->size <<= 1)
		;
	r->mask = r->size - 1;
	r->map_len = CTRL_SIZE + r->size;

	fd = memfd_create("kipc-bench-ring", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)r->map_len))
		goto fail;
	r->c = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (r->c == MAP_FAILED) {
		r->c = NULL;
		goto fail;
	}
	close(fd);
	fd = -1;
	r->data = (unsigned char *)r->c + CTRL_SIZE;
	if (sig == SIG_EVENTFD) {
		r->efd_data = eventfd(0, EFD_CLOEXEC);
		r->efd_room = eventfd(0, EFD_CLOEXEC | EFD_SEMAPHORE);
		if (r->efd_data < 0 || r->efd_room < 0)
			goto fail;
	}
	return r;
fail:
	*err = -errno;
	if (fd >= 0)
		close(fd);
	ring_close(r);
	return NULL;
}

/*
 * An idle ring object: memfd with one control page and 64 KiB of data,
 * mapped, the control page initialised (touched), the data untouched.
 */
#define OBJ_RING_DATA	65536u

static int obj_ring(const struct bench_mech *m, struct bench_obj *o)
{
	int fd = memfd_create("kipc-bench-ring", MFD_CLOEXEC);

	(void)m;
	if (fd < 0)
		return -errno;
	o->map_len = CTRL_SIZE + OBJ_RING_DATA;
	if (ftruncate(fd, (off_t)o->map_len))
		goto fail;
	o->map = mmap(NULL, o->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (o->map == MAP_FAILED)
		goto fail;
	memset(o->map, 0, sizeof(struct ring_ctrl));
	o->fd[0] = fd;
	return 0;
fail:
	close(fd);
	return -errno;
}

static void obj_ring_destroy(struct bench_obj *o)
{
	munmap(o->map, o->map_len);
	close(o->fd[0]);
}

/* A ring row signalling with sg, caps cp, description ds, then its own fields. */
#define RING_MECH(nm, sg, cp, ds, ...)					\
	{								\
		.name = nm, .group = BENCH_BASELINE, .desc = ds, .caps = cp,	\
		.priv = &sg,						\
		.open = ring_open,					\
		.send = ring_send,					\
		.recv = ring_recv,					\
		.send_batch = ring_send_batch,				\
		.recv_batch = ring_recv_batch,				\
		.close = ring_close,					\
		__VA_ARGS__						\
	}

const struct bench_mech mech_shm_eventfd = RING_MECH("shm-eventfd", sig_eventfd,
	MECH_SLEEPS | MECH_BATCH | MECH_MPSC, "memfd ring, eventfd doorbell on every publish");

const struct bench_mech mech_shm_futex = RING_MECH("shm-futex", sig_futex,
	MECH_SLEEPS | MECH_BATCH | MECH_MPSC,
	"memfd ring, futex event count + waiter flag (no syscall while awake)",
	.obj_create = obj_ring, .obj_destroy = obj_ring_destroy,
	.obj_desc = "memfd + ftruncate(4 KiB + 64 KiB) + mmap, control page touched");

const struct bench_mech mech_shm_poll = RING_MECH("shm-poll", sig_poll, MECH_BATCH | MECH_MPSC,
	"memfd ring, both sides busy-poll (no syscalls, a CPU each)");
