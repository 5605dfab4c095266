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
	 * Non-zero when the inline fast paths of kipc_ring_send() and
	 * kipc_ring_recv() must not be taken: the ring is MPSC, or corrupt.
	 * One test instead of two per message.
	 */
	uint32_t nofast;

	uint32_t spin;
	uint64_t *st_spins, *st_sleeps, *st_wakes;
	const struct kipc_ring_sleep_ops *sops;
	void *owner;			/* struct kipc_chan */
};

/*
 * Validate @info (read from a mapping the caller does not trust) and
 * initialise @r over the RING mapping @ring_map (the PROD page, then the
 * data twice) of @map_size bytes and the CONS page @cons.  Returns 0 or
 * -EBADMSG.
 */
int kipc_ring_init(struct kipc_ring *r, const struct kipc_ring_layout *info,
		   uint64_t map_size, void *ring_map, void *cons, int consumer);

/* Producer. */
int kipc_ring_reserve(struct kipc_ring *r, void **buf, size_t len,
		      uint64_t deadline);
int kipc_ring_commit(struct kipc_ring *r, size_t len);
int kipc_ring_abort(struct kipc_ring *r);

/* Consumer: peek returns the length, 0 at end of stream. */
int kipc_ring_peek(struct kipc_ring *r, const void **buf, uint64_t deadline);
int kipc_ring_release(struct kipc_ring *r);

/*
 * Copying forms (the channel's send/recv and batches).  Each returns the
 * length or count, 0 at end of stream (consumer), or -errno.
 */
struct kipc_msg;
int kipc_ring_send(struct kipc_ring *r, const void *buf, size_t len,
		   uint64_t deadline);
int kipc_ring_send_batch(struct kipc_ring *r, const struct kipc_msg *msgs,
			 unsigned int n, size_t max_len, uint64_t deadline);
int kipc_ring_recv(struct kipc_ring *r, void *buf, size_t cap,
		   uint64_t deadline);
int kipc_ring_recv_batch(struct kipc_ring *r, struct kipc_msg *msgs,
			 unsigned int n, uint64_t deadline);

/* ------------------------------------------------------------------ */
/* Inline fast paths                                                    */
/* ------------------------------------------------------------------ */

/*
 * The common case of a one-message send and receive, inline here so
 * that the channel (lib/channel.c) runs it without a call into the ring
 * code; kipc_ring_send() and kipc_ring_recv() are the same thing out of
 * line.  Whatever they do not handle goes to the general code of ring.c,
 * which looks again from the start.  The trust rules of ring.c apply:
 * every value read from the shared pages is read once and checked.
 */
int kipc_ring__send_slow(struct kipc_ring *r, const void *buf, size_t len,
			 uint64_t deadline);
int kipc_ring__recv_slow(struct kipc_ring *r, void *buf, size_t cap,
			 uint64_t deadline);
/* Bump the count of @event if it is announced, and deliver the wake-up. */
void kipc_ring__wake_slow(struct kipc_ring *r, int event);

static inline uint64_t kipc_ring__acquire64(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint32_t kipc_ring__read_once32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void kipc_ring__smp_mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*
 * The one check of a pair of positions read from the shared pages:
 * both aligned to KIPC_REC_ALIGN (record headers are loaded and stored
 * atomically there), and 0 <= tail - head <= size.  Every path that
 * takes a position from shared memory passes it through here.
 */
static inline int kipc_ring__positions_ok(const struct kipc_ring *r,
					  uint64_t head, uint64_t tail)
{
	return !((head | tail) & (KIPC_REC_ALIGN - 1)) && tail - head <= r->size;
}

static inline struct kipc_rec_hdr *kipc_ring__rec_at(struct kipc_ring *r,
						     uint64_t pos)
{
	return (struct kipc_rec_hdr *)(r->data + (pos & r->mask));
}

/* The sleepers' announcement of @event: in the sleeper's page. */
static inline uint32_t *kipc_ring__announce(struct kipc_ring *r, int event)
{
	return event == KIPC_EV_READABLE ? &r->cons->read_announce :
					   &r->prod->write_announce;
}

/*
 * The waker's half of the protocol, after the caller published its
 * position and issued a full barrier: with nobody waiting this is one
 * load of the other side's announcement.
 */
static inline void kipc_ring__wake(struct kipc_ring *r, int event)
{
	if (unlikely(kipc_ring__read_once32(kipc_ring__announce(r, event))))
		kipc_ring__wake_slow(r, event);
}

/*
 * SPSC: publish the private tail (one release store), then maybe wake.
 * (The pages in locals: the barrier would make the compiler load them
 * again.)
 */
static inline void kipc_ring__publish_tail(struct kipc_ring *r)
{
	struct kipc_ring_cons *c = r->cons;

	/* Pairs with the consumer's acquire of tail: the records come first. */
	__atomic_store_n(&r->prod->tail, r->tail, __ATOMIC_RELEASE);
	kipc_ring__smp_mb();	/* (B): publish, then look at the announcement */
	if (unlikely(kipc_ring__read_once32(&c->read_announce)))
		kipc_ring__wake_slow(r, KIPC_EV_READABLE);
}

/* Publish the consumer's head (one release store) and wake the producer. */
static inline void kipc_ring__publish_head(struct kipc_ring *r)
{
	struct kipc_ring_prod *p = r->prod;

	/* Pairs with the producer's acquire of head: copies out come first. */
	__atomic_store_n(&r->cons->head, r->head, __ATOMIC_RELEASE);
	/* (B): pairs with the producer's barrier before it sleeps. */
	kipc_ring__smp_mb();
	if (unlikely(kipc_ring__read_once32(&p->write_announce)))
		kipc_ring__wake_slow(r, KIPC_EV_WRITABLE);
}

/*
 * Send: SPSC, not corrupt, and room by the last head seen (no shared
 * read: see ring_claim()).  @len must be 1..max_record, the caller's to
 * check: kipc_ring_send() does, and the channel checks it against its
 * max_msg, which kipc__ring_attach() clamps to max_record.  (Nothing
 * read from the shared pages is involved, and the room check bounds the
 * copy whatever len is, short of KIPC_REC_SPACE() overflowing.)
 */
static inline __attribute__((always_inline)) int
kipc_ring_send_inline(struct kipc_ring *r, const void *buf, size_t len,
		      uint64_t deadline)
{
	uint64_t pos = r->tail, space = KIPC_REC_SPACE(len);
	struct kipc_rec_hdr *h;

	/*
	 * tail - head_seen <= size holds: head_seen was checked against
	 * our tail when loaded, and the tail only moves when there is room.
	 */
	if (unlikely(r->nofast) ||
	    unlikely(r->size - (pos - r->head_seen) < space))
		return kipc_ring__send_slow(r, buf, len, deadline);
	h = kipc_ring__rec_at(r, pos);
	/*
	 * The header and the private tail first, so that only r and len are
	 * live across the copy: nothing is visible to the consumer before
	 * the release store of prod->tail in kipc_ring__publish_tail().
	 */
	__atomic_store_n(&h->len, (uint32_t)len, __ATOMIC_RELAXED);
	__atomic_store_n(&h->tag, KIPC_REC_TAG(pos, r->salt), __ATOMIC_RELAXED);
	r->tail = pos + space;
	memcpy(h + 1, buf, len);
	kipc_ring__publish_tail(r);
	return (int)len;
}

/*
 * Receive: SPSC, not corrupt, a DATA record of 1..cap bytes at head.
 * The checks are those of ring_next() in ring.c; anything else (empty,
 * padding, a record that does not fit, corruption) goes to the slow
 * path, which looks again and reports it.
 */
static inline __attribute__((always_inline)) int
kipc_ring_recv_inline(struct kipc_ring *r, void *buf, size_t cap,
		      uint64_t deadline)
{
	uint64_t head = r->head, avail = r->tail_seen - head, sp;
	const struct kipc_rec_hdr *h;
	uint32_t n;

	if (unlikely(r->nofast))
		return kipc_ring__recv_slow(r, buf, cap, deadline);
	if (!avail) {
		/* Pairs with the producer's release store of tail. */
		uint64_t tail = kipc_ring__acquire64(&r->prod->tail);

		avail = tail - head;
		if (unlikely(!avail || !kipc_ring__positions_ok(r, head, tail)))
			return kipc_ring__recv_slow(r, buf, cap, deadline);
		r->tail_seen = tail;
	}
	/*
	 * A cached tail_seen needs no new check: 0 <= tail_seen - head <=
	 * size held when it was loaded, and head has only moved since by
	 * record spaces (multiples of KIPC_REC_ALIGN) checked against what
	 * was left (sp <= avail), so it still holds.
	 */
	h = kipc_ring__rec_at(r, head);
	/* Ordered after the records by the acquire of tail. */
	n = kipc_ring__read_once32(&h->len);	/* KIPC_REC_PAD: > max_record */
	sp = KIPC_REC_SPACE(n & KIPC_REC_LEN_MASK);
	if (unlikely(!n || n > r->max_record || sp > avail || n > cap ||
		     kipc_ring__read_once32(&h->tag) != KIPC_REC_TAG(head, r->salt)))
		return kipc_ring__recv_slow(r, buf, cap, deadline);
	/* Private until kipc_ring__publish_head(): the copy comes first. */
	r->head = head + sp;
	memcpy(buf, h + 1, n);
	kipc_ring__publish_head(r);
	return (int)n;
}

/* 1 when ready (data / room), 0 when armed, or -errno. */
int kipc_ring_poll_arm(struct kipc_ring *r);

/* Bytes between head and tail, clamped to the size. */
uint64_t kipc_ring_depth(struct kipc_ring *r);

#endif /* KIPC_RING_H */
