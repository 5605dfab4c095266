// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc - shared-memory rings.
 *
 * A ring is a byte ring in pages that the kernel shares with every
 * process mapping it.  The kernel creates it, counts its endpoints,
 * puts its users to sleep and wakes them, and reports readiness to
 * poll; it never moves data.  The record format and the user-space
 * protocol are specified in include/uapi/linux/kipc.h and
 * Documentation/userspace-api/kipc-ring.rst.
 *
 * Memory: one page of struct kipc_ring_layout (written by the kernel only,
 * mapped read-only), one page of struct kipc_ring_prod, one of struct
 * kipc_ring_cons and data_size bytes of data pages.  All are order-0,
 * zeroed, charged to the creator's memcg and to its per-user kipc limit.
 * The RING mapping is the PROD page followed by the data pages twice;
 * the CONS page is a mapping of its own.
 *
 * Rights follow roles (see kipc_ring_mmap()): the RING mapping is
 * writable only through a producer fd, the CONS page only through a
 * consumer fd, and a read-only mapping cannot be made writable.  So a
 * process that may only read a named ring (the consumer role) can write
 * head and the wake-up words of the CONS page, never a record or tail.
 *
 * Trust: any process that maps a part writable may rewrite it at any
 * time.  The kernel keeps its own copy of the geometry and of the record
 * tag salt, and reads only these shared values: read_seq / write_seq
 * (compared for equality in WAIT), the announcements (poll), head / tail
 * (poll, fdinfo and listing) and, in an MPSC ring, the tag of the record
 * at head (poll).  A position only ever addresses memory after being
 * masked with the kernel's own data_size - 1; a difference of positions
 * is clamped to [0, data_size] before it is reported.
 *
 * Locking overview:
 *
 *   kipc_objs_lock (object.c; ->head and ->fill run under it)
 *     ring->lock
 *       ring->read_wq.lock, ring->write_wq.lock (inside the wait API)
 *
 * ring->lock is a spinlock taken when an fd is opened or released,
 * never on the data path.  It serializes changes of the endpoint counts
 * and of the peer state and their copies in the layout page.  WAIT and
 * poll read ring->state without the lock (acquire, paired with the
 * release in kipc_ring_set_state()); reports read the counts with
 * READ_ONCE().  Everything else is immutable after creation, or shared
 * memory that no lock can protect.
 *
 * Lifetime: each ring fd holds a reference on the ring (struct
 * kipc_ring_file is its private data), a name holds one until unlinked,
 * and each mapping holds a file of its own that holds one.  Endpoints
 * are fds, not mappings: mmap() swaps the fd's file in the new vma for
 * a role-less "mapping file", so a process that closed its fd but kept
 * the mapping (or a child that inherited only the mapping) is no longer
 * a producer or consumer.
 *
 * Copyright (C) 2026 The kipc authors.
 */

#include <linux/anon_inodes.h>
#include <linux/build_bug.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "kipc_core.h"
#include "deadline.h"
#include "ring.h"

/* Hard ceiling of max_ring_size: 2^30 keeps every length in 31 bits. */
#define KIPC_RING_SIZE_LIMIT	SZ_1G

static unsigned long kipc_max_ring_size = 64UL << 20;
module_param_named(max_ring_size, kipc_max_ring_size, ulong, 0644);
MODULE_PARM_DESC(max_ring_size,
		 "Largest ring data area in bytes (rounded down to a power of two, at most 1 GiB); larger requests get -E2BIG");

#define KIPC_RING_GFP	(GFP_KERNEL_ACCOUNT | __GFP_ZERO | \
			 __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* Default EPOLLOUT low-water mark: room for one record of one byte. */
#define KIPC_RING_DEFAULT_LOWAT	KIPC_REC_SPACE(1)

struct kipc_ring {
	struct kipc_obj obj;

	/* Immutable after kipc_ring_alloc(): */
	u32 flags;			/* KIPC_RING_F_* */
	u32 lowat;			/* EPOLLOUT threshold in bytes */
	u64 data_size;			/* power of two, >= PAGE_SIZE */
	unsigned long nr_data_pages;	/* allocated so far, then all */
	u32 rec_salt;			/* KIPC_REC_TAG() salt, as in the layout */
	struct page *layout_page;
	struct page *prod_page;
	struct page *cons_page;
	struct page **data_pages;
	struct kipc_ring_layout *layout;	/* kernel address of layout_page */
	struct kipc_ring_prod *prod;	/* kernel address of prod_page: shared */
	struct kipc_ring_cons *cons;	/* kernel address of cons_page: shared */

	spinlock_t lock;		/* endpoint counts and peer state */
	/* Protected by @lock; read locklessly (READ_ONCE) for reports: */
	u32 nr_producers;
	u32 nr_consumers;
	/* Written under @lock with release, read with acquire: */
	u32 state;			/* KIPC_STATE_* */

	/* Sleepers in WAIT and in poll/epoll/io_uring: */
	wait_queue_head_t read_wq;	/* consumers: data or hang-up */
	wait_queue_head_t write_wq;	/* producers: room or hang-up */
	atomic_t read_waiters;		/* tasks inside WAIT(READABLE), for reports */
	atomic_t write_waiters;		/* tasks inside WAIT(WRITABLE), for reports */
};

/*
 * file->private_data of a ring fd: the role belongs to the fd.  Both
 * fields are immutable for the life of the file; the file holds a
 * reference on @ring and counts as one endpoint of each role in @role.
 */
struct kipc_ring_file {
	struct kipc_ring *ring;
	u32 role;			/* KIPC_ROLE_* */
};

static const struct file_operations kipc_ring_fops;
static const struct file_operations kipc_ring_map_fops;

/**
 * kipc_ring_max_size() - largest data_size KIPC_IOC_RING_CREATE accepts
 *
 * Return: the max_ring_size module parameter rounded down to a power of
 * two and capped at 1 GiB, or 0 when it is below one page.
 */
u64 kipc_ring_max_size(void)
{
	u64 max = min_t(u64, READ_ONCE(kipc_max_ring_size), KIPC_RING_SIZE_LIMIT);

	if (max < PAGE_SIZE)
		return 0;
	return rounddown_pow_of_two(max);
}

static inline u64 kipc_ring_mask(const struct kipc_ring *ring)
{
	return ring->data_size - 1;
}

static inline u64 kipc_ring_map_size(const struct kipc_ring *ring)
{
	return KIPC_RING_MAP_SIZE(PAGE_SIZE, ring->data_size);
}

/* Bytes charged to the creator for a ring of @data_size. */
static size_t kipc_ring_bytes(u64 data_size)
{
	unsigned long nr = data_size >> PAGE_SHIFT;

	return data_size + 3 * PAGE_SIZE + nr * sizeof(struct page *);
}

/*
 * The shared event count of @event, in the waker's page.  User space
 * bumps it with atomics too, so the kernel's increments use an atomic
 * RMW as well.
 */
static atomic_t *kipc_ring_seq(struct kipc_ring *ring, u32 event)
{
	u32 *seq = event == KIPC_EV_READABLE ? &ring->prod->read_seq :
					       &ring->cons->write_seq;

	return (atomic_t *)seq;
}

/* The sleepers' announcement of @event, in the sleeper's page. */
static u32 *kipc_ring_announce(struct kipc_ring *ring, u32 event)
{
	return event == KIPC_EV_READABLE ? &ring->cons->read_announce :
					   &ring->prod->write_announce;
}

static wait_queue_head_t *kipc_ring_wq(struct kipc_ring *ring, u32 event)
{
	return event == KIPC_EV_READABLE ? &ring->read_wq : &ring->write_wq;
}

/* Bytes between head and tail as user space left them, clamped. */
static u64 kipc_ring_used(struct kipc_ring *ring)
{
	u64 head = READ_ONCE(ring->cons->head);
	u64 tail = READ_ONCE(ring->prod->tail);

	return min(tail - head, ring->data_size);
}

/*
 * Is there something for the consumer?  Single producer: tail moved past
 * head.  Multi producer: tail counts reservations, so the record at head
 * must also be committed: its tag is that of head's position.  Only the
 * in-ring offset of head addresses memory: head & (data_size - 1),
 * aligned down to a record header, is always inside one data page.
 */
static bool kipc_ring_readable(struct kipc_ring *ring)
{
	u64 head = READ_ONCE(ring->cons->head);
	u64 tail = READ_ONCE(ring->prod->tail);
	struct kipc_rec_hdr *hdr;
	u64 off;

	if (head == tail)
		return false;
	if (!(ring->flags & KIPC_RING_F_MPSC))
		return true;

	off = head & kipc_ring_mask(ring) & ~(u64)(KIPC_REC_ALIGN - 1);
	hdr = page_address(ring->data_pages[off >> PAGE_SHIFT]) +
	      offset_in_page(off);
	return READ_ONCE(hdr->tag) == KIPC_REC_TAG(head, ring->rec_salt);
}

static bool kipc_ring_writable(struct kipc_ring *ring)
{
	return ring->data_size - kipc_ring_used(ring) >= ring->lowat;
}

static bool kipc_ring_ready(struct kipc_ring *ring, u32 event)
{
	return event == KIPC_EV_READABLE ? kipc_ring_readable(ring) :
					   kipc_ring_writable(ring);
}

/* ------------------------------------------------------------------ */
/* Endpoints and peer death                                            */
/* ------------------------------------------------------------------ */

/*
 * Publish a new peer state, in ring->state for the kernel and in the
 * read-only layout page for user space.  The release orders the stores of
 * the task that closed its fd (its last records) before the state, so a
 * consumer that load-acquires NO_PRODUCERS and then reads the ring sees
 * everything that was committed.
 */
static void kipc_ring_set_state(struct kipc_ring *ring, u32 state)
{
	struct kipc_ring_layout *lay = ring->layout;

	lockdep_assert_held(&ring->lock);
	WRITE_ONCE(lay->nr_producers, ring->nr_producers);
	WRITE_ONCE(lay->nr_consumers, ring->nr_consumers);
	/* Pairs with user space's load-acquire of lay->state. */
	smp_store_release(&lay->state, state);
	/* Pairs with smp_load_acquire() in WAIT and poll. */
	smp_store_release(&ring->state, state);
}

static void kipc_ring_add_endpoint(struct kipc_ring *ring, u32 role)
{
	u32 state;

	spin_lock(&ring->lock);
	state = ring->state;
	/* A new peer after a hang-up: the stream goes on, like a FIFO. */
	if ((role & KIPC_ROLE_PRODUCER) && ring->nr_producers++ == 0)
		state &= ~KIPC_STATE_NO_PRODUCERS;
	if ((role & KIPC_ROLE_CONSUMER) && ring->nr_consumers++ == 0)
		state &= ~KIPC_STATE_NO_CONSUMERS;
	kipc_ring_set_state(ring, state);
	spin_unlock(&ring->lock);
}

/*
 * Wake every sleeper of @event, WAIT callers and poll waiters alike.
 * wake_up_all() takes the wait-queue lock unconditionally: that lock
 * orders the caller's earlier stores (a bumped event count, a new peer
 * state) before the check of each sleeper, which re-reads them after
 * queueing itself under the same lock (see kipc_ring_wait()).
 *
 * No poll key: io_uring would take a key as the result without calling
 * ->poll again, and a WAKE only says that something changed (maybe less
 * room than lowat, or nothing at all if a peer lies).  Each waiter
 * re-polls instead; a wait queue holds one role's waiters anyway.
 */
static void kipc_ring_wake(struct kipc_ring *ring, u32 event)
{
	wake_up_all(kipc_ring_wq(ring, event));
}

/*
 * The last producer (consumer) is gone: bump the event count so that a
 * sleeper whose seq was read before the hang-up cannot sleep on it, and
 * wake everyone.
 */
static void kipc_ring_hangup(struct kipc_ring *ring, u32 event)
{
	atomic_inc(kipc_ring_seq(ring, event));
	kipc_ring_wake(ring, event);
}

static void kipc_ring_del_endpoint(struct kipc_ring *ring, u32 role)
{
	bool hup_readers = false, hup_writers = false;
	u32 state;

	spin_lock(&ring->lock);
	state = ring->state;
	if ((role & KIPC_ROLE_PRODUCER) && --ring->nr_producers == 0) {
		state |= KIPC_STATE_NO_PRODUCERS;
		hup_readers = true;
	}
	if ((role & KIPC_ROLE_CONSUMER) && --ring->nr_consumers == 0) {
		state |= KIPC_STATE_NO_CONSUMERS;
		hup_writers = true;
	}
	kipc_ring_set_state(ring, state);
	spin_unlock(&ring->lock);

	if (hup_readers)
		kipc_ring_hangup(ring, KIPC_EV_READABLE);
	if (hup_writers)
		kipc_ring_hangup(ring, KIPC_EV_WRITABLE);
}

/* ------------------------------------------------------------------ */
/* WAIT and WAKE                                                       */
/* ------------------------------------------------------------------ */

/* The role an fd needs to WAIT for @event; WAKE needs the other one. */
static u32 kipc_ring_wait_role(u32 event)
{
	return event == KIPC_EV_READABLE ? KIPC_ROLE_CONSUMER :
					   KIPC_ROLE_PRODUCER;
}

static atomic_t *kipc_ring_waiters(struct kipc_ring *ring, u32 event)
{
	return event == KIPC_EV_READABLE ? &ring->read_waiters :
					   &ring->write_waiters;
}

/*
 * -EAGAIN: keep sleeping.  Otherwise what WAIT returns, with the peer
 * state it saw in *@state.  Hang-up comes first: once no peer is left
 * nothing will move the count for good.
 */
static int kipc_ring_wait_done(struct kipc_ring *ring, u32 event, u32 seq,
			       u32 *statep)
{
	/* Pairs with kipc_ring_set_state(). */
	u32 state = smp_load_acquire(&ring->state);

	*statep = state;
	if (event == KIPC_EV_READABLE) {
		if (state & KIPC_STATE_NO_PRODUCERS)
			return 0;
	} else if (state & KIPC_STATE_NO_CONSUMERS) {
		return -EPIPE;
	}
	if ((u32)atomic_read(kipc_ring_seq(ring, event)) != seq)
		return 0;
	return -EAGAIN;
}

/*
 * Sleep while the shared event count still equals @w->seq.
 *
 * The handshake with a waker, which is user space following the UAPI
 * protocol and then calling WAKE, or the kernel at hang-up:
 *
 *   WAIT (CPU0)                        waker (CPU1)
 *   prepare_to_wait():                 atomic_inc(seq) / set state
 *     lock wq; queue; unlock;          kipc_ring_wake():
 *     set_current_state() (mb)           lock wq; wake queued; unlock
 *   if (seq != w->seq || hup) return
 *   schedule()
 *
 * The wait-queue lock is the pairing: either CPU1 takes it after CPU0
 * queued itself and wakes CPU0, or CPU1 took it first and its earlier
 * increment is visible to CPU0's read of seq after CPU0's lock and mb.
 * A wake-up that happens before CPU0 read @w->seq in user space already
 * moved seq, so it is never lost either; that is why user space reads
 * seq before its last check of the ring (see "ring sleep protocol" in
 * the UAPI header).
 */
static int kipc_ring_wait(struct kipc_ring *ring, struct file *file,
			  struct kipc_ring_wait *w)
{
	wait_queue_head_t *wq = kipc_ring_wq(ring, w->event);
	atomic_t *waiters = kipc_ring_waiters(ring, w->event);
	struct kipc_deadline dl;
	DEFINE_WAIT(wait);
	int ret;

	kipc_deadline_init(&dl, w->timeout, w->flags & KIPC_WAIT_REALTIME);

	atomic_inc(waiters);
	for (;;) {
		prepare_to_wait(wq, &wait, TASK_INTERRUPTIBLE);
		ret = kipc_ring_wait_done(ring, w->event, w->seq, &w->state);
		if (ret != -EAGAIN)
			break;
		if ((w->flags & KIPC_WAIT_NONBLOCK) ||
		    (file->f_flags & O_NONBLOCK))
			break;
		if (signal_pending(current)) {
			/* The deadline is absolute: a restart is exact. */
			ret = -ERESTARTSYS;
			break;
		}
		/* 0: the timer expired; -EINTR: woken or signalled. */
		if (!kipc_deadline_sleep(&dl)) {
			ret = -ETIMEDOUT;
			break;
		}
	}
	finish_wait(wq, &wait);
	atomic_dec(waiters);
	return ret;
}

/*
 * WAIT writes only its @state field back, and does so on every return
 * but an invalid argument or a restart: a program that hangs up on
 * -EPIPE or drains on NO_PRODUCERS learns the state that decided it.
 */
static long kipc_ring_ioc_wait(struct file *file, void __user *uarg)
{
	struct kipc_ring_file *rf = file->private_data;
	struct kipc_ring_wait __user *uw = uarg;
	struct kipc_ring_wait w;
	int ret;

	if (copy_from_user(&w, uarg, sizeof(w)))
		return -EFAULT;
	if ((w.flags & ~KIPC_WAIT_MASK) || w.state ||
	    kipc_check_reserved(w.reserved, sizeof(w.reserved)))
		return -EINVAL;
	if (w.event != KIPC_EV_READABLE && w.event != KIPC_EV_WRITABLE)
		return -EINVAL;
	if (w.timeout > KTIME_MAX)
		return -EINVAL;
	if (!(rf->role & kipc_ring_wait_role(w.event)))
		return -EBADF;

	ret = kipc_ring_wait(rf->ring, file, &w);
	/* A restarted call reads the argument again: @state must stay 0. */
	if (ret != -ERESTARTSYS && put_user(w.state, &uw->state))
		return -EFAULT;
	return ret;
}

static long kipc_ring_ioc_wake(struct file *file, void __user *uarg)
{
	struct kipc_ring_file *rf = file->private_data;
	struct kipc_ring_wake wk;

	if (copy_from_user(&wk, uarg, sizeof(wk)))
		return -EFAULT;
	if (wk.flags || kipc_check_reserved(wk.reserved, sizeof(wk.reserved)))
		return -EINVAL;
	if (wk.event != KIPC_EV_READABLE && wk.event != KIPC_EV_WRITABLE)
		return -EINVAL;
	/* Producers wake consumers and consumers wake producers. */
	if (!(rf->role & ~kipc_ring_wait_role(wk.event) & KIPC_ROLE_MASK))
		return -EBADF;

	kipc_ring_wake(rf->ring, wk.event);
	return 0;
}

static long kipc_ring_ioc_info(struct file *file, void __user *uarg)
{
	struct kipc_ring_file *rf = file->private_data;
	struct kipc_ring *ring = rf->ring;
	struct kipc_ring_info ri;

	if (copy_from_user(&ri, uarg, sizeof(ri)))
		return -EFAULT;
	/* Out fields are ignored on input; reserved ones must be zero. */
	if (ri.flags || ri.reserved0 ||
	    kipc_check_reserved(ri.obj.reserved, sizeof(ri.obj.reserved)) ||
	    kipc_check_reserved(ri.reserved, sizeof(ri.reserved)))
		return -EINVAL;

	memset(&ri, 0, sizeof(ri));
	ri.ring_flags = ring->flags;
	kipc_obj_head_fill(&ring->obj, rf->role, &ri.obj);
	ri.data_size = ring->data_size;
	ri.max_record = ring->layout->max_record;
	/* As user space left them: informational, not trusted. */
	ri.head = READ_ONCE(ring->cons->head);
	ri.tail = READ_ONCE(ring->prod->tail);
	ri.lowat = ring->lowat;
	ri.read_seq = READ_ONCE(ring->prod->read_seq);
	ri.write_seq = READ_ONCE(ring->cons->write_seq);

	return copy_to_user(uarg, &ri, sizeof(ri)) ? -EFAULT : 0;
}

/* Commands are matched exactly: a structure of another size is -ENOTTY. */
static long kipc_ring_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KIPC_RING_IOC_INFO:
		return kipc_ring_ioc_info(file, uarg);
	case KIPC_RING_IOC_WAIT:
		return kipc_ring_ioc_wait(file, uarg);
	case KIPC_RING_IOC_WAKE:
		return kipc_ring_ioc_wake(file, uarg);
	default:
		return -ENOTTY;
	}
}

/* ------------------------------------------------------------------ */
/* poll                                                                */
/* ------------------------------------------------------------------ */

/*
 * Announce that a sleeper of @event waits for the count to move on from
 * @seq, keeping a newer announcement and merging one of the same count
 * (the rules of "ring sleep protocol" in the UAPI header).  The word is
 * shared with user space, which may change it at any moment: a bounded
 * number of tries, after which poll simply reports "not ready" (only a
 * peer that keeps rewriting the word gets there, and it only hurts its
 * own ring).
 */
static void kipc_ring_announce_seq(struct kipc_ring *ring, u32 event, u32 seq)
{
	u32 *ann = kipc_ring_announce(ring, event);
	u32 want = KIPC_ANNOUNCE(seq), cur, new;
	int i;

	for (i = 0; i < 16; i++) {
		cur = READ_ONCE(*ann);
		if ((cur & KIPC_ANNOUNCE_VALID) &&
		    ((cur - want) & KIPC_ANNOUNCE_SEQ) - 1 < KIPC_ANNOUNCE_SEQ / 2)
			return;		/* a later count is announced */
		new = want;
		if ((cur & KIPC_ANNOUNCE_VALID) &&
		    !((cur ^ want) & KIPC_ANNOUNCE_SEQ))
			new |= cur;	/* the same count: keep their bits */
		if (new == cur || cmpxchg(ann, cur, new) == cur)
			return;
	}
}

/*
 * Ready for @event?  If not, announce the current count so that the peer
 * bumps it and calls WAKE after its next publish, exactly as a WAIT
 * caller would:
 *
 *   poll (CPU0)                        producer (CPU1)
 *   poll_wait(): queued on read_wq     store_release(tail or hdr.tag)
 *   if (readable) return EPOLLIN       smp_mb()                  (B)
 *   s = read_seq                       if (read_announce announces
 *   announce(read_announce, s)             read_seq && cas(read_seq++))
 *   smp_mb()                  (A)          WAKE(READABLE)
 *   if (readable) return EPOLLIN
 *   return 0
 *
 * (A) pairs with (B): either CPU0's second check sees the record, or
 * CPU1 sees the announcement.  If read_seq still equals s, CPU1 bumps it
 * and WAKE finds CPU0 on read_wq, where it was queued before s was read;
 * if read_seq moved past s, whoever moved it did so after CPU0 queued
 * itself and calls WAKE as well.  The mirror image holds for producers
 * polling for room.  poll_wait() only queues on the first call of an
 * epoll or io_uring registration, but the entry stays queued until it is
 * torn down, so every later call is covered as well.
 */
static bool kipc_ring_poll_ready(struct kipc_ring *ring, u32 event)
{
	u32 seq;

	if (kipc_ring_ready(ring, event))
		return true;
	seq = (u32)atomic_read(kipc_ring_seq(ring, event));
	kipc_ring_announce_seq(ring, event, seq);
	smp_mb(); /* (A) */
	return kipc_ring_ready(ring, event);
}

static __poll_t kipc_ring_poll(struct file *file, poll_table *pt)
{
	struct kipc_ring_file *rf = file->private_data;
	struct kipc_ring *ring = rf->ring;
	__poll_t mask = 0;
	u32 state;

	if (rf->role & KIPC_ROLE_CONSUMER)
		poll_wait(file, &ring->read_wq, pt);
	if (rf->role & KIPC_ROLE_PRODUCER)
		poll_wait(file, &ring->write_wq, pt);

	/* State first: with EPOLLHUP, EPOLLIN covers every last record. */
	state = smp_load_acquire(&ring->state);
	if (rf->role & KIPC_ROLE_CONSUMER) {
		if (kipc_ring_poll_ready(ring, KIPC_EV_READABLE))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (state & KIPC_STATE_NO_PRODUCERS)
			mask |= EPOLLHUP;
	}
	if (rf->role & KIPC_ROLE_PRODUCER) {
		if (kipc_ring_poll_ready(ring, KIPC_EV_WRITABLE))
			mask |= EPOLLOUT | EPOLLWRNORM;
		if (state & KIPC_STATE_NO_CONSUMERS)
			mask |= EPOLLHUP;
	}
	return mask;
}

/* ------------------------------------------------------------------ */
/* mmap                                                                */
/* ------------------------------------------------------------------ */

/* The PROD page, then the data pages twice, back to back. */
static int kipc_ring_mmap_ring(struct kipc_ring *ring,
			       struct vm_area_struct *vma)
{
	unsigned long addr = vma->vm_start;
	unsigned long nr;
	int copy, ret;

	ret = vm_insert_page(vma, addr, ring->prod_page);
	if (ret)
		return ret;
	addr += PAGE_SIZE;
	for (copy = 0; copy < 2; copy++) {
		nr = ring->nr_data_pages;
		ret = vm_insert_pages(vma, addr, ring->data_pages, &nr);
		if (ret)
			return ret;
		addr += ring->data_size;
	}
	return 0;
}

/*
 * The file a mapping holds instead of the fd's: it keeps the ring (and
 * the module) alive for as long as the mapping exists, and is no
 * endpoint.  Its private data is the ring itself.
 */
static int kipc_ring_map_set_file(struct kipc_ring *ring,
				  struct vm_area_struct *vma)
{
	struct file *file;

	kipc_obj_get(&ring->obj);
	file = anon_inode_getfile("[kipc-ring]", &kipc_ring_map_fops, ring,
				  O_RDWR);
	if (IS_ERR(file)) {
		kipc_obj_put(&ring->obj);
		return PTR_ERR(file);
	}
	vma_set_file(vma, file);
	fput(file);
	return 0;
}

static int kipc_ring_map_release(struct inode *inode, struct file *file)
{
	struct kipc_ring *ring = file->private_data;

	kipc_obj_put(&ring->obj);
	return 0;
}

/* Not reachable as an fd, but complete nevertheless. */
static const struct file_operations kipc_ring_map_fops = {
	.owner		= THIS_MODULE,
	.release	= kipc_ring_map_release,
};

/*
 * Three mappings, each all or nothing: anything but exactly the INFO
 * page, the RING area or the CONS page is -EINVAL.  All must be
 * MAP_SHARED (a private copy of a ring is meaningless); VM_MAYSHARE, not
 * VM_SHARED, tells, as the core clears VM_SHARED for files opened
 * read-only.  VM_DONTEXPAND makes mremap() growth fail; forked children
 * inherit the mappings (no VM_DONTCOPY), and the pages are inserted up
 * front, so a fork copies the page-table entries.
 *
 * Rights follow roles: INFO is never writable (-EPERM, as before roles
 * existed), RING only through a producer fd and CONS only through a
 * consumer fd (-EACCES, as mmap() says of a file not open for writing).
 * A mapping its fd may not write loses VM_MAYWRITE, so mprotect() cannot
 * make it writable later; a fork()ed child inherits the vma as it is.
 */
static int kipc_ring_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kipc_ring_file *rf = file->private_data;
	struct kipc_ring *ring = rf->ring;
	unsigned long len = vma->vm_end - vma->vm_start;
	u32 writer;
	int ret;

	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	switch (vma->vm_pgoff) {
	case KIPC_RING_OFF_LAYOUT >> PAGE_SHIFT:
		if (len != PAGE_SIZE)
			return -EINVAL;
		if (vma->vm_flags & VM_WRITE)
			return -EPERM;
		writer = 0;
		break;
	case KIPC_RING_OFF_RING >> PAGE_SHIFT:
		if (len != kipc_ring_map_size(ring))
			return -EINVAL;
		writer = KIPC_ROLE_PRODUCER;
		break;
	case KIPC_RING_OFF_CONS >> PAGE_SHIFT:
		if (len != PAGE_SIZE)
			return -EINVAL;
		writer = KIPC_ROLE_CONSUMER;
		break;
	default:
		return -EINVAL;
	}
	if (!(rf->role & writer)) {
		if (writer && (vma->vm_flags & VM_WRITE))
			return -EACCES;
		/* Nor writable later through mprotect(). */
		vm_flags_clear(vma, VM_MAYWRITE);
	}

	ret = kipc_ring_map_set_file(ring, vma);
	if (ret)
		return ret;
	vm_flags_set(vma, VM_DONTEXPAND);
	switch (vma->vm_pgoff) {
	case KIPC_RING_OFF_LAYOUT >> PAGE_SHIFT:
		return vm_insert_page(vma, vma->vm_start, ring->layout_page);
	case KIPC_RING_OFF_CONS >> PAGE_SHIFT:
		return vm_insert_page(vma, vma->vm_start, ring->cons_page);
	default:
		return kipc_ring_mmap_ring(ring, vma);
	}
}

/* ------------------------------------------------------------------ */
/* fd lifetime and reports                                             */
/* ------------------------------------------------------------------ */

static int kipc_ring_release(struct inode *inode, struct file *file)
{
	struct kipc_ring_file *rf = file->private_data;
	struct kipc_ring *ring = rf->ring;

	kipc_ring_del_endpoint(ring, rf->role);
	kfree(rf);
	kipc_obj_put(&ring->obj);
	return 0;
}

static void kipc_ring_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kipc_ring_file *rf = file->private_data;
	struct kipc_ring *ring = rf->ring;
	struct kipc_ring_prod *prod = ring->prod;
	struct kipc_ring_cons *cons = ring->cons;

	kipc_obj_show_fdinfo_common(m, &ring->obj, rf->role);
	seq_printf(m, "ring-flags:\t%#x\n", ring->flags);
	seq_printf(m, "data-size:\t%llu\n", ring->data_size);
	seq_printf(m, "lowat:\t%u\n", ring->lowat);
	/* As user space left them: informational, not trusted. */
	seq_printf(m, "head:\t%llu\n", (u64)READ_ONCE(cons->head));
	seq_printf(m, "tail:\t%llu\n", (u64)READ_ONCE(prod->tail));
	seq_printf(m, "used:\t%llu\n", kipc_ring_used(ring));
	seq_printf(m, "read-seq:\t%u\n", READ_ONCE(prod->read_seq));
	seq_printf(m, "write-seq:\t%u\n", READ_ONCE(cons->write_seq));
	seq_printf(m, "read-announce:\t%#x\n", READ_ONCE(cons->read_announce));
	seq_printf(m, "write-announce:\t%#x\n", READ_ONCE(prod->write_announce));
}

static const struct file_operations kipc_ring_fops = {
	.owner		= THIS_MODULE,
	.release	= kipc_ring_release,
	.poll		= kipc_ring_poll,
	.unlocked_ioctl	= kipc_ring_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= kipc_ring_mmap,
	.show_fdinfo	= kipc_ring_show_fdinfo,
};

/* ------------------------------------------------------------------ */
/* Object operations and creation                                      */
/* ------------------------------------------------------------------ */

struct kipc_obj *kipc_ring_file_obj(struct file *file, u32 *role)
{
	struct kipc_ring_file *rf;

	if (file->f_op != &kipc_ring_fops)
		return NULL;
	rf = file->private_data;
	*role = rf->role;
	return &rf->ring->obj;
}

static struct file *kipc_ring_open_file(struct kipc_obj *obj, u32 role,
					u32 fd_flags)
{
	struct kipc_ring *ring = container_of(obj, struct kipc_ring, obj);
	struct kipc_ring_file *rf;
	struct file *file;

	rf = kzalloc(sizeof(*rf), GFP_KERNEL_ACCOUNT);
	if (!rf)
		return ERR_PTR(-ENOMEM);
	rf->ring = ring;
	rf->role = role;

	kipc_obj_get(obj);
	file = anon_inode_getfile("[kipc-ring]", &kipc_ring_fops, rf,
				  O_RDWR | kipc_fd_flags(fd_flags));
	if (IS_ERR(file)) {
		kipc_obj_put(obj);
		kfree(rf);
		return file;
	}
	/* Counted once it exists: kipc_ring_release() uncounts it. */
	kipc_ring_add_endpoint(ring, role);
	return file;
}

static void kipc_ring_head(struct kipc_obj *obj, struct kipc_obj_head *h)
{
	struct kipc_ring *ring = container_of(obj, struct kipc_ring, obj);

	/* Pairs with kipc_ring_set_state(). */
	h->state = smp_load_acquire(&ring->state);
	h->nr_producers = READ_ONCE(ring->nr_producers);
	h->nr_consumers = READ_ONCE(ring->nr_consumers);
	h->read_waiters = atomic_read(&ring->read_waiters);
	h->write_waiters = atomic_read(&ring->write_waiters);
}

static void kipc_ring_fill(struct kipc_obj *obj, struct kipc_obj_entry *e)
{
	struct kipc_ring *ring = container_of(obj, struct kipc_ring, obj);

	e->size = ring->data_size;
	e->used = kipc_ring_used(ring);
	e->count = 0;
	e->flags = ring->flags;
}

/* The last reference is gone: no fd, mapping or name is left. */
static void kipc_ring_free(struct kipc_obj *obj)
{
	struct kipc_ring *ring = container_of(obj, struct kipc_ring, obj);
	unsigned long i;

	for (i = 0; i < ring->nr_data_pages; i++)
		__free_page(ring->data_pages[i]);
	kvfree(ring->data_pages);
	if (ring->cons_page)
		__free_page(ring->cons_page);
	if (ring->prod_page)
		__free_page(ring->prod_page);
	if (ring->layout_page)
		__free_page(ring->layout_page);
	kfree(ring);
}

static const struct kipc_obj_ops kipc_ring_obj_ops = {
	.release	= kipc_ring_free,
	.head		= kipc_ring_head,
	.fill		= kipc_ring_fill,
	.open_file	= kipc_ring_open_file,
};

static void kipc_ring_init_layout(struct kipc_ring *ring)
{
	struct kipc_ring_layout *lay = ring->layout;

	lay->magic = KIPC_RING_MAGIC;
	lay->abi_version = KIPC_ABI_VERSION;
	lay->flags = ring->flags;
	lay->page_size = PAGE_SIZE;
	lay->data_size = ring->data_size;
	lay->max_record = min_t(u64, ring->data_size - sizeof(struct kipc_rec_hdr),
				KIPC_REC_LEN_MASK);
	lay->ctrl_offset = 0;
	lay->data_offset = PAGE_SIZE;
	lay->map_size = kipc_ring_map_size(ring);
	lay->lowat = ring->lowat;
	lay->rec_salt = ring->rec_salt;
}

/* GFP_KERNEL never gives highmem, so page_address() is always valid. */
static struct page *kipc_ring_alloc_page(void)
{
	return alloc_page(KIPC_RING_GFP);
}

static struct kipc_ring *kipc_ring_alloc(const struct kipc_ring_create *rc)
{
	unsigned long nr = rc->data_size >> PAGE_SHIFT;
	struct kipc_ring *ring;
	struct page *page;
	int ret;

	ring = kzalloc(sizeof(*ring), GFP_KERNEL_ACCOUNT);
	if (!ring)
		return ERR_PTR(-ENOMEM);
	ring->flags = rc->flags;
	ring->data_size = rc->data_size;
	ring->lowat = rc->lowat ?: KIPC_RING_DEFAULT_LOWAT;
	ring->rec_salt = get_random_u32() | KIPC_REC_SALT_SET;
	spin_lock_init(&ring->lock);
	init_waitqueue_head(&ring->read_wq);
	init_waitqueue_head(&ring->write_wq);
	atomic_set(&ring->read_waiters, 0);
	atomic_set(&ring->write_waiters, 0);

	ret = kipc_obj_init(&ring->obj, KIPC_OBJ_RING, rc->obj.mode,
			    &kipc_ring_obj_ops, kipc_ring_bytes(rc->data_size));
	if (ret) {
		kfree(ring);
		return ERR_PTR(ret);
	}
	/* From here on, kipc_obj_put() frees whatever was allocated. */

	ring->data_pages = kvcalloc(nr, sizeof(*ring->data_pages),
				    GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL |
				    __GFP_NOWARN);
	if (!ring->data_pages)
		goto out_put_ring;
	ring->layout_page = kipc_ring_alloc_page();
	if (!ring->layout_page)
		goto out_put_ring;
	ring->prod_page = kipc_ring_alloc_page();
	if (!ring->prod_page)
		goto out_put_ring;
	ring->cons_page = kipc_ring_alloc_page();
	if (!ring->cons_page)
		goto out_put_ring;
	while (ring->nr_data_pages < nr) {
		page = kipc_ring_alloc_page();
		if (!page)
			goto out_put_ring;
		ring->data_pages[ring->nr_data_pages++] = page;
		cond_resched();
	}
	ring->layout = page_address(ring->layout_page);
	ring->prod = page_address(ring->prod_page);
	ring->cons = page_address(ring->cons_page);
	kipc_ring_init_layout(ring);
	return ring;

out_put_ring:
	kipc_obj_put(&ring->obj);
	return ERR_PTR(-ENOMEM);
}

static int kipc_ring_check_size(u64 size)
{
	if (!size || (size & (size - 1)) || size < PAGE_SIZE)
		return -EINVAL;
	if (size > kipc_ring_max_size())
		return -E2BIG;
	return 0;
}

/**
 * kipc_ioc_ring_create() - KIPC_IOC_RING_CREATE on /dev/kipc
 * @uarg: user pointer to struct kipc_ring_create
 *
 * Creates a ring, names it if asked to, and returns an fd on it with the
 * requested role.  The fd is published last, so on any error nothing is
 * left behind: no fd, no ring, no name.
 *
 * Return: the new fd; -EINVAL for unknown flags or roles, non-zero
 * reserved fields, a bad size, mode, low-water mark or name; -E2BIG above
 * max_ring_size; -ENOSPC over the per-user limit; -ENOMEM; -EEXIST for a
 * name in use; -EFAULT; -EMFILE.
 */
long kipc_ioc_ring_create(void __user *uarg)
{
	char name[KIPC_NAME_MAX + 1];
	struct kipc_ring_create rc;
	struct kipc_ring *ring;
	struct file *file;
	long ret;

	/* Struct sizes are pinned in main.c; these are the ring's own rules. */
	BUILD_BUG_ON(sizeof(struct kipc_ring_layout) > PAGE_SIZE);
	BUILD_BUG_ON(KIPC_RING_OFF_CONS & ~PAGE_MASK);
	BUILD_BUG_ON(sizeof(struct kipc_rec_hdr) != KIPC_REC_ALIGN);
	BUILD_BUG_ON(sizeof(atomic_t) != sizeof(__u32));
	BUILD_BUG_ON(KIPC_RING_OFF_RING & ~PAGE_MASK);
	BUILD_BUG_ON(KIPC_RING_SIZE_LIMIT - 1 > KIPC_REC_LEN_MASK);

	if (copy_from_user(&rc, uarg, sizeof(rc)))
		return -EFAULT;
	if ((rc.flags & ~KIPC_RING_F_MPSC) ||
	    kipc_check_reserved(rc.reserved, sizeof(rc.reserved)))
		return -EINVAL;
	ret = kipc_obj_create_check(&rc.obj, name);
	if (ret)
		return ret;
	ret = kipc_ring_check_size(rc.data_size);
	if (ret)
		return ret;
	if (rc.lowat > rc.data_size)
		return -EINVAL;

	ring = kipc_ring_alloc(&rc);
	if (IS_ERR(ring))
		return PTR_ERR(ring);

	file = kipc_ring_open_file(&ring->obj, rc.obj.role, rc.obj.fd_flags);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto out_put_ring;
	}
	ret = kipc_publish_fd(&ring->obj, file, name[0] ? name : NULL,
			      rc.obj.fd_flags, &rc.obj.fd, uarg, &rc, sizeof(rc));
out_put_ring:
	kipc_obj_put(&ring->obj);
	return ret;
}
