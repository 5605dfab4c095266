/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * tring - a deliberately small producer/consumer for the kipc ring UAPI,
 * used by the selftests to drive the kernel.  It follows the protocol of
 * include/uapi/linux/kipc.h to the letter and checks every value it
 * reads from the shared pages, so a test can point a hostile peer at it.
 * It is not libkipc and does not try to be fast.
 *
 * Functions return 0, a count, or -errno; they never leave errno as the
 * only report.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef KIPC_SELFTEST_TRING_H
#define KIPC_SELFTEST_TRING_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kipc.h>

struct tring {
	int fd;
	uint32_t role;
	bool mpsc;
	const struct kipc_ring_layout *info;
	struct kipc_ring_prod *prod;	/* first in the RING mapping */
	struct kipc_ring_cons *cons;	/* the CONS mapping */
	unsigned char *data;		/* first copy; the second follows */
	void *map;
	size_t map_len;
	uint32_t salt;			/* KIPC_REC_TAG() salt */
	uint64_t size;
	uint64_t mask;
	uint64_t max_record;
	/* Statistics, per process. */
	uint64_t nr_waits;		/* WAIT calls that were made */
	uint64_t nr_wakes;		/* WAKE calls that were made */
};

/* Open /dev/kipc: an fd or -errno. */
int tring_dev(void);
/*
 * Open /dev/kipc into *dev for a fixture: a reason to skip when the
 * module is not loaded or lacks a KIPC_FEAT_* bit of @need, else NULL
 * (then *dev is the fd, or a negative errno the caller asserts on).
 */
const char *tring_dev_skip(int *dev, uint64_t need);

/* KIPC_IOC_RING_CREATE: the ring fd or -errno. */
int tring_create(int dev, uint64_t size, uint32_t flags, uint32_t role,
		 const char *name, uint32_t mode, uint32_t fd_flags);
/* KIPC_IOC_OPEN of a ring: the fd or -errno. */
int tring_open(int dev, const char *name, uint32_t role, uint32_t fd_flags);
int tring_unlink(int dev, const char *name);
/* KIPC_IOC_OPEN / KIPC_IOC_UNLINK of any KIPC_OBJ_* type. */
int tobj_open(int dev, const char *name, uint32_t type, uint32_t role,
	      uint32_t fd_flags);
int tobj_unlink(int dev, const char *name, uint32_t type);

/* /proc/self/fdinfo/@fd: the value of @key as text (0 or -1) or a number. */
int tobj_fdinfo_str(int fd, const char *key, char *out, size_t n);
long long tobj_fdinfo(int fd, const char *key);	/* LLONG_MIN if absent */

/*
 * Map @fd (LAYOUT, RING and CONS) into @r: 0 or -errno.  @r takes the fd.
 * RING is writable when @role has KIPC_ROLE_PRODUCER, CONS when it has
 * KIPC_ROLE_CONSUMER (the kernel refuses more than the fd's role).
 */
int tring_map(struct tring *r, int fd, uint32_t role);
void tring_unmap(struct tring *r);	/* and closes the fd */

/*
 * INFO of a ring (tring_info) or of any object fd (tobj_head: its common
 * head): 0 or -errno.
 */
int tring_info(int fd, struct kipc_ring_info *ri);
int tobj_head(int fd, struct kipc_obj_head *h);
/*
 * One field of the INFO answer of a ring or queue fd, named as its
 * fdinfo line is ("producers", "read-waiters", "msgs", "data-size", ...;
 * "used" is tail - head, "waiters" both waiter counts), or LLONG_MIN.
 */
long long tobj_info(int fd, const char *key);

/* LIST entry of the object @id (or, if @id is 0, named @name): 0 or -errno. */
int tobj_list_find(int dev, uint64_t id, const char *name,
		   struct kipc_obj_entry *out);

/* Raw ioctls: the ioctl's return value, or -errno. */
int tring_wait_state(int fd, uint32_t event, uint32_t seq,
		     uint64_t deadline_ns, uint32_t flags, uint32_t *state);
/*
 * tring_wait_state() without the state, except that a READABLE wait that
 * returned 0 with KIPC_STATE_NO_PRODUCERS gives TRING_HUP.
 */
#define TRING_HUP	1
int tring_wait(int fd, uint32_t event, uint32_t seq, uint64_t deadline_ns,
	       uint32_t flags);
int tring_wake(int fd, uint32_t event);

/* Absolute CLOCK_MONOTONIC deadline @ms from now. */
uint64_t tring_deadline_ms(uint64_t ms);
uint64_t tring_now_ns(int clock);

/*
 * Producer.  tring_reserve() returns the payload address of a record of
 * @len bytes (contiguous thanks to the double mapping) and its position,
 * or NULL when the ring has no room.  tring_reserve_wait() sleeps for
 * room: 0, -EPIPE (no consumer left), -ETIMEDOUT, -EINTR, -EMSGSIZE.
 * tring_commit() publishes the record and wakes a sleeping consumer.
 */
void *tring_reserve(struct tring *r, uint32_t len, uint64_t *pos);
int tring_reserve_wait(struct tring *r, uint32_t len, void **payload,
		       uint64_t *pos, uint64_t deadline_ns);
void tring_commit(struct tring *r, uint64_t pos, uint32_t len);

/*
 * Consumer.  tring_peek(): 1 and the next record, 0 when empty, -EIO when
 * the shared pages make no sense.  tring_peek_wait(): 0 and a record,
 * -ENODATA at end of stream (no producer left and the ring drained),
 * -ETIMEDOUT, -EINTR, -EIO.  tring_consume() releases the record and
 * wakes a sleeping producer.
 */
int tring_peek(struct tring *r, const void **payload, uint32_t *len);
int tring_peek_wait(struct tring *r, const void **payload, uint32_t *len,
		    uint64_t deadline_ns);
void tring_consume(struct tring *r, uint32_t len);

/* Test payloads: a sequence number and a checksum (see tring.c). */
uint32_t tring_test_len(uint32_t producer, uint64_t seq, uint32_t max);
void tring_test_fill(void *p, uint32_t len, uint32_t producer, uint64_t seq);
/* NULL when the record is the expected one, else a short reason. */
const char *tring_test_check(const void *p, uint32_t len, uint32_t producer,
			     uint64_t seq, uint32_t max);
/* For records of several producers: who sent it, or -1. */
int tring_test_producer(const void *p, uint32_t len);

/*
 * Fork a producer on ring fd @pfd (the child closes @cfd): for each byte
 * written to *go it sends one 8-byte record @rec; closing *go makes it
 * exit, which hangs the ring up.  Returns the pid or -1.
 */
int tring_spawn_sender(int pfd, int cfd, int *go, const char rec[8]);

#endif /* KIPC_SELFTEST_TRING_H */
