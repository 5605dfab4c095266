// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkipc - the one ring fast path, shared by the kmod and shm backends.
 *
 * Layout, record format and the sleep/wake protocol are those of
 * include/uapi/linux/kipc.h; only the sleeping itself is delegated to
 * the backend (KIPC_RING_IOC_WAIT/WAKE, or futex).
 *
 * Trust: the control page and the data pages are shared with a peer
 * that may be hostile.  Every value read from them is read once into a
 * local, checked, and only then used:
 *   - positions: head and tail multiples of KIPC_REC_ALIGN and
 *     0 <= tail - head <= size (so a tail that moves backwards or jumps
 *     ahead is caught), all in ring_positions_ok();
 *   - records: len <= max_record, KIPC_REC_SPACE(len) <= tail - head,
 *     the tag is that of the record's position, all in ring_next() (in
 *     ring.h, shared with the inline receive), which every path that
 *     consumes records calls;
 *   - every address is data + (pos & mask) + at most size bytes, inside
 *     the double mapping whatever the position.
 * A violation makes the ring fail with -EBADMSG from then on.  The only
 * loop that depends on the peer (the MPSC compare-and-swap on tail) is
 * bounded.  Geometry lives in struct kipc_ring, copied and validated once.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "kipc_private.h"

#define HDR_SIZE	sizeof(struct kipc_rec_hdr)
#define CAS_LIMIT	(1U << 20)

static inline struct kipc_stats *ring_stats(struct kipc_ring *r)
{
	return &kipc_ring_chan(r)->st;
}

static int ring_corrupt(struct kipc_ring *r)
{
	r->corrupt = -EBADMSG;
	r->nofast = 1;
	return -EBADMSG;
}

int kipc_ring_init(struct kipc_ring *r, const struct kipc_ring_layout *info,
		   uint64_t map_size, void *ring_map, void *cons, int consumer)
{
	struct kipc_ring_layout i;

	memcpy(&i, info, sizeof(i));	/* one read of the untrusted page */
	if (i.magic != KIPC_RING_MAGIC || i.abi_version != KIPC_ABI_VERSION)
		return -EBADMSG;
	/* ABI 3: every salt has KIPC_REC_SALT_SET (no first-lap tag is 0). */
	if (!(i.rec_salt & KIPC_REC_SALT_SET))
		return -EBADMSG;
	if (i.page_size < sizeof(struct kipc_ring_prod) + sizeof(uint32_t) ||
	    i.page_size < sizeof(struct kipc_ring_cons) + sizeof(uint32_t) ||
	    (i.page_size & (i.page_size - 1)))
		return -EBADMSG;
	if (i.data_size < i.page_size || (i.data_size & (i.data_size - 1)) ||
	    i.data_size > (1ULL << 40))
		return -EBADMSG;
	if (i.flags & ~(uint32_t)KIPC_RING_F_MPSC)
		return -EBADMSG;
	if (i.ctrl_offset != 0 || i.data_offset != i.page_size ||
	    i.map_size != KIPC_RING_MAP_SIZE(i.page_size, i.data_size) ||
	    i.map_size > map_size)
		return -EBADMSG;
	if (i.max_record == 0 || i.max_record > KIPC_REC_LEN_MASK ||
	    KIPC_REC_SPACE(i.max_record) > i.data_size)
		return -EBADMSG;

	memset(r, 0, sizeof(*r));
	r->prod = ring_map;
	r->cons = cons;
	r->salt = i.rec_salt;
	r->data = (uint8_t *)ring_map + i.data_offset;
	r->size = i.data_size;
	r->mask = i.data_size - 1;
	r->max_record = i.max_record;
	r->flags = i.flags;
	r->nofast = i.flags & KIPC_RING_F_MPSC;
	r->consumer = consumer;
	r->lowat = i.lowat < KIPC_REC_SPACE(1) ? KIPC_REC_SPACE(1) : i.lowat;
	if (r->lowat > r->size)
		r->lowat = r->size;
	r->head = ring_load_acquire64(&r->cons->head);
	r->tail = ring_load_acquire64(&r->prod->tail);
	if (!ring_positions_ok(r, r->head, r->tail))
		return -EBADMSG;
	r->head_seen = r->head;
	r->tail_seen = consumer ? r->head : r->tail;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Consumer                                                             */
/* ------------------------------------------------------------------ */

/*
 * ring_next() at the consumer's head, for the general paths: a failed
 * check makes the ring fail from now on.
 */
static int ring_head_next(struct kipc_ring *r, struct ring_rec *rec)
{
	uint64_t avail = r->tail_seen - r->head;
	int ret;

	if (r->corrupt)
		return r->corrupt;
	ret = ring_next(r, r->head, &avail, rec, r->flags & KIPC_RING_F_MPSC);
	return ret < 0 ? ring_corrupt(r) : ret;
}

/* The event count of @event: in the waker's page. */
static inline uint32_t *ring_seq(struct kipc_ring *r, int event)
{
	return event == KIPC_EV_READABLE ? &r->prod->read_seq :
					   &r->cons->write_seq;
}

/*
 * The waker's half of the UAPI protocol (KIPC_RING_IOC_WAIT): wake only
 * for an announcement of the current count, and only the one waker whose
 * compare-and-swap moves it on.  A stale announcement (the count moved
 * on since) costs this one comparison.
 */
void kipc_ring_wake_slow(struct kipc_ring *r, int event)
{
	uint32_t *seqp = ring_seq(r, event);
	uint32_t a = ring_read_once32(ring_announce_word(r, event));
	uint32_t t = ring_read_once32(seqp);

	if (!(a & KIPC_ANNOUNCE_VALID) || ((a ^ t) & KIPC_ANNOUNCE_SEQ))
		return;
	if (!__atomic_compare_exchange_n(seqp, &t, t + 1, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return;	/* another waker moved it, and wakes */
	r->sops->wake(r, event, a & KIPC_ANNOUNCE_USER);
	ring_stats(r)->wakes++;
}

/*
 * The sleeper's announcement that it waits for the count of @event to
 * move on from @s, with its KIPC_ANNOUNCE_USER @bits.  Several producers
 * share write_announce: a later count already announced is kept (the
 * count moved past @s, so our WAIT returns at once), one of the same
 * count gets our bits added.  Bounded: only a peer that keeps rewriting
 * the word exhausts it, and then the sleep ends by the peer's own moves
 * or by the deadline.
 */
static void ring_announce(struct kipc_ring *r, int event, uint32_t s,
			  uint32_t bits)
{
	uint32_t *ann = ring_announce_word(r, event);
	uint32_t want = KIPC_ANNOUNCE(s) | bits, cur, d;

	for (int i = 0; i < 16; i++) {
		uint32_t new = want;

		cur = ring_read_once32(ann);
		if (cur & KIPC_ANNOUNCE_VALID) {
			d = (cur - want) & KIPC_ANNOUNCE_SEQ;
			if (d - 1 < KIPC_ANNOUNCE_SEQ / 2)
				return;		/* a later count */
			if (!d)
				new |= cur;	/* the same count */
		}
		if (new == cur ||
		    __atomic_compare_exchange_n(ann, &cur, new, false,
						__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			return;
	}
}

/*
 * After a sleep on @s: once the count has moved past @s, an announcement
 * of @s is stale for every sleeper (their WAIT(s) returns at once), so it
 * may go, sparing the waker its check.  Our own page: the consumer's, or
 * the one all producers share.
 */
static void ring_unannounce(struct kipc_ring *r, int event, uint32_t s)
{
	uint32_t *ann = ring_announce_word(r, event);
	uint32_t cur = ring_read_once32(ann);

	if (ring_load_acquire32(ring_seq(r, event)) == s)
		return;
	if ((cur & KIPC_ANNOUNCE_VALID) && !((cur ^ s) & KIPC_ANNOUNCE_SEQ))
		__atomic_compare_exchange_n(ann, &cur, 0, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/*
 * Account one record as used and publish head.  The record's bytes stay
 * as they are (the consumer may not write the data area): the tag tells
 * a later lap's record from this one.
 */
static inline void ring_consume(struct kipc_ring *r, uint64_t space)
{
	r->head += space;
	ring_publish_head(r);
}

/*
 * A consistent (head, tail) pair for an MPSC producer: head is read
 * before and after tail, so it did not move while tail was read, and an
 * honest ring then has 0 <= tail - head <= size.  (Reading them once
 * each races with the consumer and other producers and can look like
 * corruption.)  Returns 1, 0 when head kept moving, or -EBADMSG.
 */
static int ring_snapshot(struct kipc_ring *r, uint64_t *head, uint64_t *tail)
{
	for (int i = 0; i < 64; i++) {
		uint64_t h = ring_load_acquire64(&r->cons->head);
		uint64_t t = ring_load_acquire64(&r->prod->tail);

		if (ring_load_acquire64(&r->cons->head) != h) {
			ring_cpu_relax();
			continue;
		}
		if (!ring_positions_ok(r, h, t))
			return ring_corrupt(r);
		*head = h;
		*tail = t;
		return 1;
	}
	return 0;
}

/* Free bytes for a producer (0 while unsettled), or -EBADMSG. */
static int64_t ring_free(struct kipc_ring *r)
{
	uint64_t head, tail, used;
	int ret;

	if (r->corrupt)
		return r->corrupt;
	if (r->flags & KIPC_RING_F_MPSC) {
		ret = ring_snapshot(r, &head, &tail);
		if (ret <= 0)
			return ret;
	} else {
		/* Our own tail: the consumer's head can never pass it. */
		head = ring_load_acquire64(&r->cons->head);
		tail = r->tail;
	}
	if (!ring_positions_ok(r, head, tail))
		return ring_corrupt(r);
	used = tail - head;
	r->head_seen = head;
	return (int64_t)(r->size - used);
}

/* 1 when the side's wait condition holds, 0 if not, or -EBADMSG. */
static int ring_ready(struct kipc_ring *r, int event, uint64_t space)
{
	struct ring_rec rec;
	int64_t f;
	int ret;

	if (event == KIPC_EV_READABLE) {
		ret = ring_head_next(r, &rec);
		return ret > 0 ? 1 : ret;
	}
	f = ring_free(r);
	if (f < 0)
		return (int)f;
	return (uint64_t)f >= space;
}

static int ring_arm(struct kipc_ring *r, uint64_t space);

/*
 * Wait until ring_ready(); returns 0 to retry, 1 at end of stream
 * (consumer), or -EPIPE, -EAGAIN, -ETIMEDOUT, -EINTR, -EBADMSG.
 * This is the sleeper's half of the UAPI protocol:
 *   s = load_acquire(seq); check; announce(s | SLEEP); ring_mb() (A);
 *   check; WAIT(s).
 */
static int ring_wait(struct kipc_ring *r, int event, uint64_t space,
		     uint64_t deadline)
{
	uint32_t *seqp = ring_seq(r, event);
	uint32_t s;
	int ret;

	for (uint32_t i = 0; i < kipc_ring_chan(r)->spin && deadline != KIPC_NOWAIT;
	     i++) {
		ring_cpu_relax();
		ret = ring_ready(r, event, space);
		if (ret) {
			if (ret > 0)
				ring_stats(r)->spins++;
			return ret < 0 ? ret : 0;
		}
	}
	if (deadline == KIPC_NOWAIT) {
		ret = ring_arm(r, space);
		if (ret == 2)	/* not ready, and the other side is gone */
			return event == KIPC_EV_READABLE ? 1 : -EPIPE;
		if (ret < 0)
			return ret;
		return ret ? 0 : -EAGAIN;
	}

	/*
	 * The deadline is checked here, not only by the sleep: a peer that
	 * keeps moving the event count must not keep us past it.
	 */
	if (deadline != KIPC_FOREVER && kipc_now() >= deadline)
		return -ETIMEDOUT;
	s = ring_load_acquire32(seqp);
	ret = ring_ready(r, event, space);
	if (ret)
		return ret < 0 ? ret : 0;
	ring_announce(r, event, s, KIPC_NEED_WAKE_SLEEP);
	ring_mb();	/* (A) */
	ret = ring_ready(r, event, space);
	if (ret)
		return ret < 0 ? ret : 0;
	if ((r->sops->peer_gone_hint ? r->sops->peer_gone_hint : r->sops->peer_gone)(r))
		ret = event == KIPC_EV_READABLE ? RING_WAIT_HUP : -EPIPE;
	else
		ret = r->sops->wait(r, event, s, deadline);
	ring_unannounce(r, event, s);
	ring_stats(r)->sleeps++;
	if (ret == 0 || ret == -EINTR || ret == -EPIPE)
		return ret;
	/* HUP or timeout: whatever was published before still counts. */
	if (ring_ready(r, event, space) > 0)
		return 0;
	if (ret == RING_WAIT_HUP)
		return 1;
	return ret;
}

int kipc_ring_peek(struct kipc_chan *ch, const void **buf, uint64_t deadline)
{
	struct kipc_ring *r = &ch->be.ring.ring;
	struct ring_rec rec;
	uint32_t pads = 0;
	int ret;

	for (;;) {
		ret = ring_head_next(r, &rec);
		if (ret < 0)
			return ret;
		if (ret == RING_REC_PAD) {
			ring_consume(r, rec.space);
			/* A peer producing only padding cannot hold us past the deadline. */
			if (!(++pads & 4095) && deadline != KIPC_FOREVER &&
			    (deadline == KIPC_NOWAIT || kipc_now() >= deadline))
				return deadline == KIPC_NOWAIT ? -EAGAIN : -ETIMEDOUT;
			continue;
		}
		if (ret == RING_REC_DATA) {
			r->peek_pos = r->head;
			r->peek_space = rec.space;
			*buf = ring_rec_at(r, r->head) + 1;
			return (int)rec.len;
		}
		ret = ring_wait(r, KIPC_EV_READABLE, 0, deadline);
		if (ret < 0)
			return ret;
		if (ret == 1)
			return 0;	/* end of stream */
	}
}

int kipc_ring_release(struct kipc_chan *ch)
{
	struct kipc_ring *r = &ch->be.ring.ring;

	if (r->corrupt)
		return r->corrupt;
	if (!r->peek_space)
		return -ENOENT;
	ring_consume(r, r->peek_space);
	r->peek_space = 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Producer                                                             */
/* ------------------------------------------------------------------ */

/* 1 with *pos claimed, 0 when full, or -EBADMSG. */
static int ring_claim(struct kipc_ring *r, uint64_t space, uint64_t *pos)
{
	uint64_t head, tail;
	int64_t f;

	if (!(r->flags & KIPC_RING_F_MPSC)) {
		/* Room by the last head seen (validated then): no shared read. */
		if (r->size - (r->tail - r->head_seen) >= space) {
			*pos = r->tail;
			return 1;
		}
		f = ring_free(r);
		if (f < 0)
			return (int)f;
		if ((uint64_t)f < space)
			return 0;
		*pos = r->tail;
		return 1;
	}
	for (uint32_t i = 0; i < CAS_LIMIT; i++) {
		__u64 t;
		int ret = ring_snapshot(r, &head, &tail);

		if (ret < 0)
			return ret;
		if (!ret)
			continue;
		if (r->size - (tail - head) < space)
			return 0;
		t = tail;
		if (__atomic_compare_exchange_n(&r->prod->tail, &t, tail + space,
						false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED)) {
			*pos = tail;
			return 1;
		}
		ring_cpu_relax();
	}
	return ring_corrupt(r);	/* tail never settles: not an honest peer */
}

/* Claim room for @space, waiting (until @deadline) if allowed: 0 or -errno. */
static int ring_claim_wait(struct kipc_ring *r, uint64_t space, uint64_t *pos,
			   uint64_t deadline)
{
	int ret;

	for (;;) {
		ret = ring_claim(r, space, pos);
		if (ret)
			return ret < 0 ? ret : 0;
		ret = ring_wait(r, KIPC_EV_WRITABLE, space, deadline);
		if (ret < 0)
			return ret;
	}
}

int kipc_ring_reserve(struct kipc_chan *ch, void **buf, size_t len,
		      uint64_t deadline)
{
	struct kipc_ring *r = &ch->be.ring.ring;
	uint64_t space, pos = 0;
	int ret;

	if (r->corrupt)
		return r->corrupt;
	if (len > r->max_record)
		return -EMSGSIZE;
	space = KIPC_REC_SPACE(len);
	ret = ring_claim_wait(r, space, &pos, deadline);
	if (ret)
		return ret;
	r->resv_pos = pos;
	r->resv_space = space;
	*buf = ring_rec_at(r, pos) + 1;
	return 0;
}

/*
 * Publish a reserved record: SPSC moves the private tail past it and
 * publishes it (ring_publish_tail(): release store, barrier, wake);
 * MPSC commits it by its tag (ring_put_hdr()), then the barrier and the
 * look at the announcement.
 */
static void ring_commit_at(struct kipc_ring *r, uint64_t pos, uint32_t lenword,
			   uint64_t space)
{
	if (!(r->flags & KIPC_RING_F_MPSC)) {
		ring_put_hdr(r, pos, lenword, 0);
		r->tail = pos + space;
		ring_publish_tail(r);
		return;
	}
	ring_put_hdr(r, pos, lenword, 1);
	ring_mb();	/* (B): publish, then look at the announcement */
	ring_wake(r, KIPC_EV_READABLE);
}

int kipc_ring_commit(struct kipc_chan *ch, size_t len)
{
	struct kipc_ring *r = &ch->be.ring.ring;
	uint64_t pos = r->resv_pos, space = r->resv_space, sp;

	if (!space)
		return -ENOENT;
	if (KIPC_REC_SPACE(len) > space)
		return -EINVAL;
	r->resv_space = 0;
	sp = KIPC_REC_SPACE(len);
	if ((r->flags & KIPC_RING_F_MPSC) && sp < space)
		/* The claim is fixed: the unused rest becomes a PAD record. */
		ring_put_hdr(r, pos + sp,
			     (uint32_t)(space - sp - HDR_SIZE) | KIPC_REC_PAD, 1);
	ring_commit_at(r, pos, (uint32_t)len, sp);
	return r->corrupt;
}

int kipc_ring_abort(struct kipc_chan *ch)
{
	struct kipc_ring *r = &ch->be.ring.ring;
	uint64_t pos = r->resv_pos, space = r->resv_space;

	if (!space)
		return -ENOENT;
	r->resv_space = 0;
	if (!(r->flags & KIPC_RING_F_MPSC))
		return 0;	/* nothing was published */
	ring_commit_at(r, pos, (uint32_t)(space - HDR_SIZE) | KIPC_REC_PAD, space);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Copying paths and batches                                            */
/* ------------------------------------------------------------------ */

/*
 * Copy one message in: reserve + memcpy + commit.  The general case of
 * kipc_ring_send_inline().
 */
int kipc_ring_send_slow(struct kipc_ring *r, const void *buf, size_t len,
			uint64_t deadline)
{
	struct kipc_chan *ch = kipc_ring_chan(r);
	uint64_t space, pos = 0;
	void *p;
	int ret;

	if (r->flags & KIPC_RING_F_MPSC) {
		ret = kipc_ring_reserve(ch, &p, len, deadline);
		if (ret)
			return ret;
		memcpy(p, buf, len);
		ret = kipc_ring_commit(ch, len);
		return ret ? ret : (int)len;
	}
	if (r->corrupt)
		return r->corrupt;
	if (len > r->max_record)
		return -EMSGSIZE;
	space = KIPC_REC_SPACE(len);
	ret = ring_claim_wait(r, space, &pos, deadline);
	if (ret)
		return ret;
	r->tail = pos + space;
	ring_put(r, pos, buf, len);
	ring_publish_tail(r);
	return (int)len;
}

int kipc_ring_send(struct kipc_chan *ch, const void *buf, size_t len,
		   uint64_t deadline)
{
	return kipc_ring_send_inline(&ch->be.ring.ring, buf, len, deadline);
}

int kipc_ring_sendv(struct kipc_chan *ch, const struct iovec *iov, int iovcnt,
		    size_t len, uint64_t deadline)
{
	void *p;
	int ret;

	if (iovcnt == 1)
		return kipc_ring_send_inline(&ch->be.ring.ring, iov[0].iov_base, len,
					     deadline);
	ret = kipc_ring_reserve(ch, &p, len, deadline);
	if (ret)
		return ret;
	kipc__iov_copy_out(p, iov, iovcnt, len);
	ret = kipc_ring_commit(ch, len);
	return ret ? ret : (int)len;
}

/*
 * Send up to @n messages, waiting (until @deadline) only for room for the
 * first.  SPSC writes every record at the private tail and publishes
 * them with one release store, one barrier and one announcement check; it
 * never waits with records written but unpublished.  Each message is
 * bounded by the channel's max_msg.  Returns the count sent, or -errno
 * if none was.
 */
int kipc_ring_send_batch(struct kipc_chan *ch, const struct kipc_msg *msgs,
			 unsigned int n, uint64_t deadline)
{
	struct kipc_ring *r = &ch->be.ring.ring;
	size_t max_len = ch->max_msg;
	uint64_t space, pos = 0, tail, room;
	unsigned int i;
	int ret = 0;

	if (r->flags & KIPC_RING_F_MPSC) {
		for (i = 0; i < n; i++) {
			if (!msgs[i].buf || !msgs[i].len) {
				ret = -EINVAL;
				break;
			}
			if (msgs[i].len > max_len) {
				ret = -EMSGSIZE;
				break;
			}
			ret = kipc_ring_send_slow(r, msgs[i].buf, msgs[i].len,
						  i ? KIPC_NOWAIT : deadline);
			if (ret < 0)
				break;
		}
		return i ? (int)i : ret;
	}
	if (r->corrupt)
		return r->corrupt;
	/*
	 * The private tail and the room by the last head seen live in
	 * locals; r->tail is brought up to date before anything that reads
	 * it (ring_claim*(), which may read head again and move head_seen).
	 */
	tail = r->tail;
	room = r->size - (tail - r->head_seen);
	if (max_len > r->max_record)
		max_len = r->max_record;
	for (i = 0; i < n; i++) {
		const void *src = msgs[i].buf;
		size_t len = msgs[i].len;

		if (unlikely(!src || !len)) {
			ret = -EINVAL;
			break;
		}
		if (unlikely(len > max_len)) {
			ret = -EMSGSIZE;
			break;
		}
		space = KIPC_REC_SPACE(len);
		if (unlikely(space > room)) {
			r->tail = tail;
			if (i) {
				/* Full (or corrupt): send what we have. */
				if ((ret = ring_claim(r, space, &pos)) <= 0)
					break;
			} else {
				ret = ring_claim_wait(r, space, &pos, deadline);
				if (ret)
					break;
			}
			/* pos == tail; ring_claim() saw room for space. */
			room = r->size - (tail - r->head_seen);
		}
		/* Unpublished until ring_publish_tail(). */
		ring_put(r, tail, src, len);
		tail += space;
		room -= space;
	}
	if (i) {
		r->tail = tail;
		ring_publish_tail(r);
	}
	return i ? (int)i : ret;
}

/*
 * Copy one message out: peek + memcpy + release.  The general case of
 * kipc_ring_recv_inline().
 */
int kipc_ring_recv_slow(struct kipc_ring *r, void *buf, size_t cap,
			uint64_t deadline)
{
	struct kipc_chan *ch = kipc_ring_chan(r);
	struct ring_rec rec;
	const void *p;
	int ret;

	ret = ring_head_next(r, &rec);
	if (ret < 0)
		return ret;
	if (ret != RING_REC_DATA || !rec.len) {
		/* Empty, padding or odd: the general path handles it. */
		ret = kipc_ring_peek(ch, &p, deadline);
		if (ret <= 0)
			return ret;
		if ((size_t)ret > cap)
			return -EMSGSIZE;	/* stays queued */
		memcpy(buf, p, (size_t)ret);
		rec.len = (uint32_t)ret;
		ret = kipc_ring_release(ch);
		return ret ? ret : (int)rec.len;
	}
	if (rec.len > cap)
		return -EMSGSIZE;		/* stays queued */
	memcpy(buf, ring_rec_at(r, r->head) + 1, rec.len);
	ring_consume(r, rec.space);
	return (int)rec.len;
}

int kipc_ring_recv(struct kipc_chan *ch, struct kipc_msg *m, uint64_t deadline)
{
	return kipc_ring_recv_inline(&ch->be.ring.ring, m->buf, m->len, deadline);
}

/*
 * The rest of a batch after its first message: ring_next() and the
 * accounting of each record with head and the validated range
 * [head, head + avail) in locals, head published once at the end.
 * Inlined once per kind of ring, so that the SPSC loop tests no MPSC
 * case.  A failed check is made sticky: the next call reports it.
 */
static inline __attribute__((always_inline)) unsigned int
ring_recv_batch_rest(struct kipc_ring *r, struct kipc_msg *msgs,
		     unsigned int n, int mpsc)
{
	uint64_t head = r->head, avail = r->tail_seen - head;
	unsigned int i, skipped = 0;
	struct ring_rec rec;
	int ret;

	for (i = 1; i < n; i++) {
		void *dst = msgs[i].buf;
		size_t cap = msgs[i].len;

		if (unlikely(!dst || !cap))
			break;
		ret = ring_next(r, head, &avail, &rec, mpsc);
		if (unlikely(ret <= 0)) {
			if (ret < 0)
				ring_corrupt(r);
			break;	/* empty, or not committed yet */
		}
		if (unlikely(ret == RING_REC_PAD)) {
			/* Bounded: a peer writing only padding cannot hold us. */
			if (++skipped > n)
				break;
			head += rec.space;
			avail -= rec.space;
			i--;
			continue;
		}
		if (unlikely(!rec.len || rec.len > cap))
			break;	/* stays queued for a single receive */
		/* Bookkeeping first: fewer values live across the copy. */
		msgs[i].len = rec.len;
		msgs[i].flags = 0;
		msgs[i].priority = 0;
		memcpy(dst, ring_rec_at(r, head) + 1, rec.len);
		head += rec.space;
		avail -= rec.space;
	}
	if (head != r->head) {
		r->head = head;
		ring_publish_head(r);
	}
	return i;
}

/*
 * Receive up to @n messages, waiting (until @deadline) only for the
 * first.  Records are validated one by one as always; head is released
 * once for the rest of the batch (one release store, one barrier, one
 * announcement check).  Returns the count, 0 at end of stream, or -errno
 * if none was received.  A message longer than its buffer stays queued.
 */
int kipc_ring_recv_batch(struct kipc_chan *ch, struct kipc_msg *msgs,
			 unsigned int n, uint64_t deadline)
{
	struct kipc_ring *r = &ch->be.ring.ring;
	int ret;

	if (!msgs[0].buf || !msgs[0].len)
		return -EINVAL;
	ret = kipc_ring_recv_inline(r, msgs[0].buf, msgs[0].len, deadline);
	if (ret <= 0)
		return ret;
	msgs[0].len = (size_t)ret;
	msgs[0].flags = 0;
	msgs[0].priority = 0;
	if (likely(!(r->flags & KIPC_RING_F_MPSC)))
		return (int)ring_recv_batch_rest(r, msgs, n, 0);
	return (int)ring_recv_batch_rest(r, msgs, n, 1);
}

/* ------------------------------------------------------------------ */

/*
 * The poller's half of the protocol: the notification (notify fd or the
 * kernel's poll wait queue) replaces WAIT.  The count is read after the
 * notification was made quiet and before the last check, and announced
 * with KIPC_NEED_WAKE_POLL; then the ring is checked again after a full
 * barrier.
 */
static int ring_arm(struct kipc_ring *r, uint64_t space)
{
	int event = r->consumer ? KIPC_EV_READABLE : KIPC_EV_WRITABLE;
	uint32_t s;
	int ret;

	ret = ring_ready(r, event, space);
	if (ret)
		return ret < 0 ? ret : 1;
	if (r->sops->poll_reset)
		r->sops->poll_reset(r);
	s = ring_load_acquire32(ring_seq(r, event));
	ring_announce(r, event, s, KIPC_NEED_WAKE_POLL);
	ring_mb();	/* (A) */
	ret = ring_ready(r, event, space);
	if (ret)
		return ret < 0 ? ret : 1;
	if (r->sops->peer_gone(r))
		return 2;	/* end of stream / -EPIPE is ready to report */
	return 0;
}

/* A producer polls for lowat bytes of room, as the kernel's EPOLLOUT does. */
int kipc_ring_poll_arm(struct kipc_chan *ch)
{
	int ret = ring_arm(&ch->be.ring.ring, ch->be.ring.ring.lowat);

	return ret > 0 ? 1 : ret;
}

/* Bytes between head and tail, clamped to the size. */
uint64_t kipc_ring_depth(struct kipc_chan *ch)
{
	struct kipc_ring *r = &ch->be.ring.ring;
	uint64_t tail = ring_load_acquire64(&r->prod->tail);
	uint64_t head = r->consumer ? r->head : ring_load_acquire64(&r->cons->head);
	uint64_t d = tail - head;

	return d > r->size ? r->size : d;
}

/*
 * Finish a ring backend's setup of @ch, whose ring kipc_ring_init() set
 * up: how it sleeps, and the channel's limits.
 */
void kipc_ring_attach(struct kipc_chan *ch,
		      const struct kipc_ring_sleep_ops *sops)
{
	struct kipc_ring *r = &ch->be.ring.ring;

	r->sops = sops;
	/* kipc_ring_send_inline() relies on it. */
	if (ch->max_msg > r->max_record)
		ch->max_msg = (uint32_t)r->max_record;
	ch->capacity = r->size;
}
