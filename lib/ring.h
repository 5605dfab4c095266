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

#include <linux/kipc.h>

/*
 * Bits a sleeper ORs into read_need_wake / write_need_wake.  The UAPI
 * only asks for "non-zero"; the shm backend uses the bits to know which
 * wake-up to deliver (futex, notify fd, or both for unknown values).
 */
#define KIPC_NEED_WAKE_SLEEP	1U
#define KIPC_NEED_WAKE_POLL	2U

struct kipc_ring;

/* How a backend sleeps and wakes; the ring code does the rest. */
struct kipc_ring_sleep_ops {
	/*
	 * Sleep while *seq_ptr == seq, at most until @deadline.  Returns
	 * 0 (woken or value changed), KIPC_WAIT_HUP (no producer left,
	 * READABLE), -EPIPE (no consumer left, WRITABLE), -ETIMEDOUT,
	 * -EINTR or another -errno.
	 */
	int (*wait)(struct kipc_ring *r, int event, uint32_t seq,
		    uint64_t deadline);
	/* Deliver a wake-up of @event; @mask is the swapped need_wake. */
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
	struct kipc_ring_ctrl *ctrl;	/* shared, untrusted */
	uint8_t *data;			/* two copies of size bytes */
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

	uint32_t spin;
	uint64_t *st_spins, *st_sleeps, *st_wakes;
	const struct kipc_ring_sleep_ops *sops;
	void *owner;			/* struct kipc_chan */
};

/*
 * Validate @info (read from a mapping the caller does not trust) and
 * initialise @r over @ctrl and @data.  Returns 0 or -EBADMSG.
 */
int kipc_ring_init(struct kipc_ring *r, const struct kipc_ring_info *info,
		   uint64_t map_size, void *ring_map, int consumer);

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

/* 1 when ready (data / room), 0 when armed, or -errno. */
int kipc_ring_poll_arm(struct kipc_ring *r);

/* Bytes between head and tail, clamped to the size. */
uint64_t kipc_ring_depth(struct kipc_ring *r);

#endif /* KIPC_RING_H */
