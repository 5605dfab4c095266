/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkipc - the shared ring fast path (kmod and shm backends).
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef KIPC_RING_H
#define KIPC_RING_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/kipc.h>

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

/*
 * KIPC_ANNOUNCE_USER bits a sleeper sets in its announcement: the shm
 * backend uses them to know which wake-up to deliver (futex, notify fd,
 * or both when neither is set).
 */
#define KIPC_NEED_WAKE_SLEEP	(1U << 29)
#define KIPC_NEED_WAKE_POLL	(1U << 30)
_Static_assert(((KIPC_NEED_WAKE_SLEEP | KIPC_NEED_WAKE_POLL) &
		~KIPC_ANNOUNCE_USER) == 0, "wake bits are announcement user bits");

/* What a sleep op returns when no producer is left (READABLE). */
#define RING_WAIT_HUP	1

struct kipc_ring;

/* How a backend sleeps and wakes; the ring code does the rest. */
struct kipc_ring_sleep_ops {
	/*
	 * Sleep while *seq_ptr == seq, at most until @deadline.  Returns
	 * 0 (woken or value changed), RING_WAIT_HUP (no producer left,
	 * READABLE), -EPIPE (no consumer left, WRITABLE), -ETIMEDOUT,
	 * -EINTR or another -errno.
	 */
	int (*wait)(struct kipc_ring *r, int event, uint32_t seq,
		    uint64_t deadline);
	/* Deliver a wake-up of @event; @mask: the announcement's user bits. */
	void (*wake)(struct kipc_ring *r, int event, uint32_t mask);
	/* 1 when the other side has no endpoint left, else 0. */
	int (*peer_gone)(struct kipc_ring *r);
	/*
	 * Optional: the check before each sleep.  It may be a cheap hint
	 * that misses a death, provided @wait notices that death within a
	 * bounded time (shm: one slice).  Without it, peer_gone is used.
	 */
	int (*peer_gone_hint)(struct kipc_ring *r);
	/* Make the poll fd quiet before arming (drain notifications). */
	void (*poll_reset)(struct kipc_ring *r);
};

/*
 * Private view of one mapped ring.  Geometry is copied once at setup and
 * validated; nothing below is ever re-read from shared memory.
 */
struct kipc_ring {
	struct kipc_ring_prod *prod;	/* shared, untrusted */
	struct kipc_ring_cons *cons;	/* shared, untrusted */
	uint8_t *data;			/* two copies of size bytes */
	uint32_t salt;			/* KIPC_REC_TAG() salt */
	uint64_t size;			/* power of two */
	uint64_t mask;
	uint64_t max_record;		/* payload bytes */
	uint32_t flags;			/* KIPC_RING_F_* */
	uint64_t lowat;			/* producer is "ready" at this much room */
	int consumer;			/* 1 for the consumer side */

	uint64_t head;			/* consumer: own head */
	uint64_t tail;			/* SPSC producer: own tail */
	/*
	 * Last validated position of the other side (SPSC): the producer
	 * re-reads head only when head_seen says there is no room, the
	 * consumer re-reads tail only when it has consumed up to tail_seen.
	 * Both were checked against size when loaded, and the peer can only
	 * move them forward, so a stale value is merely pessimistic.
	 */
	uint64_t head_seen;		/* SPSC producer */
	uint64_t tail_seen;		/* SPSC consumer */
	uint64_t resv_pos;		/* reservation (producer) */
	uint64_t resv_space;
	uint64_t peek_pos;		/* peeked record (consumer) */
	uint64_t peek_space;
	int corrupt;			/* sticky -EBADMSG */
	/*
	 * Non-zero when the inline fast paths (kipc_ring_send_inline(),
	 * kipc_ring_recv_inline()) must not be taken: the ring is MPSC, or
	 * corrupt.
	 * One test instead of two per message.
	 */
	uint32_t nofast;

	const struct kipc_ring_sleep_ops *sops;
};

/*
 * Validate @info (read from a mapping the caller does not trust) and
 * initialise @r over the RING mapping @ring_map (the PROD page, then the
 * data twice) of @map_size bytes and the CONS page @cons.  Returns 0 or
 * -EBADMSG.
 */
int kipc_ring_init(struct kipc_ring *r, const struct kipc_ring_layout *info,
		   uint64_t map_size, void *ring_map, void *cons, int consumer);

/*
 * The channel operations of the ring backends (the kipc_backend_ops of
 * kmod.c and shm.c, see KIPC_RING_OPS in kipc_private.h) are declared
 * there: they take the channel.  What follows is the ring itself.
 */

/* ------------------------------------------------------------------ */
/* The one copy of each primitive                                       */
/* ------------------------------------------------------------------ */

/*
 * Everything below is used by the inline fast paths (inlined into
 * lib/channel.c) and by the general code of ring.c alike: one reader of
 * records, one writer, one publication of each position.  The trust
 * rules of ring.c apply: every value read from the shared pages is read
 * once and checked.
 */

static inline uint64_t ring_load_acquire64(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint32_t ring_load_acquire32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint32_t ring_read_once32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void ring_mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void ring_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/*
 * The one check of a pair of positions read from the shared pages:
 * both aligned to KIPC_REC_ALIGN (record headers are loaded and stored
 * atomically there), and 0 <= tail - head <= size.  Every path that
 * takes a position from shared memory passes it through here.
 */
static inline int ring_positions_ok(const struct kipc_ring *r, uint64_t head,
				    uint64_t tail)
{
	return !((head | tail) & (KIPC_REC_ALIGN - 1)) && tail - head <= r->size;
}

static inline struct kipc_rec_hdr *ring_rec_at(const struct kipc_ring *r,
					       uint64_t pos)
{
	return (struct kipc_rec_hdr *)(r->data + (pos & r->mask));
}

/* Bump the count of @event if it is announced, and deliver the wake-up. */
void kipc_ring_wake_slow(struct kipc_ring *r, int event);

/* The sleepers' announcement of @event: in the sleeper's page. */
static inline uint32_t *ring_announce_word(struct kipc_ring *r, int event)
{
	return event == KIPC_EV_READABLE ? &r->cons->read_announce :
					   &r->prod->write_announce;
}

/*
 * The waker's half of the protocol, after the caller published its
 * position and issued a full barrier: with nobody waiting this is one
 * load of the other side's announcement.
 */
static inline void ring_wake(struct kipc_ring *r, int event)
{
	if (unlikely(ring_read_once32(ring_announce_word(r, event))))
		kipc_ring_wake_slow(r, event);
}

/*
 * SPSC: publish the private tail (one release store), then maybe wake.
 * (The pages in locals: the barrier would make the compiler load them
 * again.)
 */
static inline void ring_publish_tail(struct kipc_ring *r)
{
	struct kipc_ring_cons *c = r->cons;

	/* Pairs with the consumer's acquire of tail: the records come first. */
	__atomic_store_n(&r->prod->tail, r->tail, __ATOMIC_RELEASE);
	ring_mb();	/* (B): publish, then look at the announcement */
	if (unlikely(ring_read_once32(&c->read_announce)))
		kipc_ring_wake_slow(r, KIPC_EV_READABLE);
}

/* Publish the consumer's head (one release store) and wake the producer. */
static inline void ring_publish_head(struct kipc_ring *r)
{
	struct kipc_ring_prod *p = r->prod;

	/* Pairs with the producer's acquire of head: copies out come first. */
	__atomic_store_n(&r->cons->head, r->head, __ATOMIC_RELEASE);
	/* (B): pairs with the producer's barrier before it sleeps. */
	ring_mb();
	if (unlikely(ring_read_once32(&p->write_announce)))
		kipc_ring_wake_slow(r, KIPC_EV_WRITABLE);
}

/*
 * The one writer of a record header: @lenword (the length, | KIPC_REC_PAD
 * for padding) and the tag of @pos.  @commit (MPSC): the tag is the
 * commit, a release store that pairs with the consumer's acquire of it
 * in ring_next().  SPSC: both relaxed, made visible by the release store
 * of tail (ring_publish_tail()).
 */
static inline __attribute__((always_inline)) void
ring_put_hdr(struct kipc_ring *r, uint64_t pos, uint32_t lenword, int commit)
{
	struct kipc_rec_hdr *h = ring_rec_at(r, pos);
	uint32_t tag = KIPC_REC_TAG(pos, r->salt);

	__atomic_store_n(&h->len, lenword, __ATOMIC_RELAXED);
	if (commit)
		__atomic_store_n(&h->tag, tag, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&h->tag, tag, __ATOMIC_RELAXED);
}

/*
 * SPSC: write a DATA record of @len bytes (1..max_record, the caller's to
 * check) at @pos, a position the caller claimed; published later by
 * ring_publish_tail().  The header first, so that only the copy's
 * arguments are live across it.
 */
static inline __attribute__((always_inline)) void
ring_put(struct kipc_ring *r, uint64_t pos, const void *buf, size_t len)
{
	ring_put_hdr(r, pos, (uint32_t)len, 0);
	memcpy(ring_rec_at(r, pos) + 1, buf, len);
}

/* What ring_next() found at a position. */
#define RING_REC_DATA	1
#define RING_REC_PAD	2

struct ring_rec {
	uint32_t len;		/* payload bytes, KIPC_REC_PAD masked off */
	uint64_t space;		/* KIPC_REC_SPACE(len) */
};

/*
 * The one reader: every path that consumes records (the inline receive,
 * the slow path and peek, both batch loops) looks at a record through
 * here.  @head is the consumer's position and *@avail the bytes known
 * published after it: 0 makes it load tail (SPSC: only then; @mpsc:
 * every time, the tag being the real signal there), checked with
 * ring_positions_ok() and remembered in tail_seen.  A cached *@avail
 * needs no new check: 0 <= tail_seen - head <= size held when tail was
 * loaded, and head has only moved since by record spaces (multiples of
 * KIPC_REC_ALIGN) checked against what was left (space <= avail), so it
 * still holds.
 *
 * The record: its tag must be that of @head (SPSC: it was published, so
 * a wrong tag is corruption; MPSC: the tag is the commit, and a wrong
 * one means not committed yet), its length at most max_record and its
 * space within *@avail.  Returns RING_REC_DATA or RING_REC_PAD with
 * *@rec set, 0 when there is none yet, or -EBADMSG (the caller makes it
 * sticky, or hands over to a path that does).  Nothing is consumed.
 */
static inline __attribute__((always_inline)) int
ring_next(struct kipc_ring *r, uint64_t head, uint64_t *avail,
	  struct ring_rec *rec, int mpsc)
{
	const struct kipc_rec_hdr *h;
	uint32_t tag, l;
	int type;

	if (!*avail || mpsc) {
		/* Pairs with the producer's release store of tail. */
		uint64_t tail = ring_load_acquire64(&r->prod->tail);

		if (unlikely(!ring_positions_ok(r, head, tail)))
			return -EBADMSG;
		r->tail_seen = tail;
		*avail = tail - head;
		if (!*avail)
			return 0;
	}
	h = ring_rec_at(r, head);
	tag = KIPC_REC_TAG(head, r->salt);
	if (mpsc) {
		/* Pairs with the producer's release store of the tag. */
		if (ring_load_acquire32(&h->tag) != tag)
			return 0;	/* reserved, not committed yet */
		l = ring_read_once32(&h->len);
	} else {
		/* Both ordered after the records by the acquire of tail. */
		l = ring_read_once32(&h->len);
		if (unlikely(ring_read_once32(&h->tag) != tag))
			return -EBADMSG;	/* published: it must be there */
	}
	/* KIPC_REC_PAD makes l > max_record: one test for the common case. */
	if (likely(l <= r->max_record)) {
		type = RING_REC_DATA;
	} else if ((l & KIPC_REC_PAD) &&
		   (l & KIPC_REC_LEN_MASK) <= r->max_record) {
		l &= KIPC_REC_LEN_MASK;
		type = RING_REC_PAD;
	} else {
		return -EBADMSG;
	}
	rec->len = l;
	rec->space = KIPC_REC_SPACE(l);
	if (unlikely(rec->space > *avail))
		return -EBADMSG;
	return type;
}

/* ------------------------------------------------------------------ */
/* Inline fast paths                                                    */
/* ------------------------------------------------------------------ */

/*
 * The common case of a one-message send and receive, inline here so
 * that the channel (lib/channel.c) runs it without a call into the ring
 * code.  Whatever they do not handle goes to the general code of ring.c,
 * which looks again from the start.
 */
int kipc_ring_send_slow(struct kipc_ring *r, const void *buf, size_t len,
			uint64_t deadline);
int kipc_ring_recv_slow(struct kipc_ring *r, void *buf, size_t cap,
			uint64_t deadline);

/*
 * Send: SPSC, not corrupt, and room by the last head seen (no shared
 * read: see ring_claim()).  @len must be 1..max_record, the caller's to
 * check: the channel checks it against its max_msg, which
 * kipc_ring_attach() clamps to max_record.  (Nothing read from the
 * shared pages is involved, and the room check bounds the copy whatever
 * len is, short of KIPC_REC_SPACE() overflowing.)
 */
static inline __attribute__((always_inline)) int
kipc_ring_send_inline(struct kipc_ring *r, const void *buf, size_t len,
		      uint64_t deadline)
{
	uint64_t pos = r->tail, space = KIPC_REC_SPACE(len);

	/*
	 * tail - head_seen <= size holds: head_seen was checked against
	 * our tail when loaded, and the tail only moves when there is room.
	 */
	if (unlikely(r->nofast) ||
	    unlikely(r->size - (pos - r->head_seen) < space))
		return kipc_ring_send_slow(r, buf, len, deadline);
	/* Private until ring_publish_tail(). */
	r->tail = pos + space;
	ring_put(r, pos, buf, len);
	ring_publish_tail(r);
	return (int)len;
}

/*
 * Receive: SPSC, not corrupt, a DATA record of 1..cap bytes at head by
 * ring_next(); anything else (empty, padding, a record that does not
 * fit, corruption) goes to the slow path, which looks again and reports
 * it.
 */
static inline __attribute__((always_inline)) int
kipc_ring_recv_inline(struct kipc_ring *r, void *buf, size_t cap,
		      uint64_t deadline)
{
	uint64_t head = r->head, avail = r->tail_seen - head;
	struct ring_rec rec;

	if (unlikely(r->nofast) ||
	    unlikely(ring_next(r, head, &avail, &rec, 0) != RING_REC_DATA) ||
	    unlikely(!rec.len || rec.len > cap))
		return kipc_ring_recv_slow(r, buf, cap, deadline);
	/* Private until ring_publish_head(): the copy comes first. */
	r->head = head + rec.space;
	memcpy(buf, ring_rec_at(r, head) + 1, rec.len);
	ring_publish_head(r);
	return (int)rec.len;
}

#endif /* KIPC_RING_H */
