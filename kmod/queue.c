// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc - kernel message queues.
 *
 * A queue is a kernel-owned, multi-producer multi-consumer message queue
 * with priorities.  Producers copy a message in, consumers copy it out;
 * each message carries the producer's credentials, captured at send time
 * and translated into the consumer's namespaces at receive time.  See
 * Documentation/userspace-api/kipc-queue.rst for the user-space view.
 *
 * Copyright (C) 2026 The kipc authors.
 */

#include <linux/anon_inodes.h>
#include <linux/build_bug.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/wait.h>

#include "kipc_core.h"
#include "deadline.h"

/*
 * Locking overview
 * ================
 *
 * Lock order:
 *
 *   kipc_objs_lock (object.c, mutex; held around ops->head and ops->fill)
 *     kipc_queue.lock (spinlock)
 *       task wake-up (wake_up_process)
 *
 * kipc_queue.poll_wq has its own lock; wake-ups of it are issued after
 * kipc_queue.lock is dropped, and poll reads the queue state under
 * kipc_queue.lock after poll_wait() added the entry, so a change made
 * under the lock is either seen by ->poll or followed by a wake-up that
 * finds the entry.
 *
 * User memory is never touched with kipc_queue.lock held.  A producer
 * copies the payload into a new message first and then takes the lock to
 * queue it.  A consumer takes messages off the lists under the lock
 * (they are then "in flight": off the lists but still counted against
 * the queue's limits and the owner's memory charge), drops the lock,
 * copies them out, and retakes the lock either to free them ("commit")
 * or, when the copy faulted, to put them back at the head of their
 * priority ("put back"), so a bad buffer never loses a message.
 *
 * Sleeping follows ipc/mqueue.c.  A blocked task puts a struct
 * kipc_qwait, on its stack, on kipc_queue.recv_waiters or send_waiters.
 * Only a waker holding kipc_queue.lock removes it, and it passes the
 * outcome in ->state:
 *
 *   KIPC_QW_WOKEN  something changed; retake the lock and look again.
 *   KIPC_QW_READY  the transfer is done: a consumer finds the message in
 *                  ->msg (hand-off, "pipelined send"), a producer's message
 *                  ->msg has been queued ("pipelined receive").
 *
 *   waker (lock held)                     sleeper
 *   list_del(&w->node)                    ...schedule() returns
 *   get_task_struct(w->task)              if (smp_load_acquire(&w->state)
 *   smp_store_release(&w->state, READY)       == READY) use w->msg, no lock
 *   wake_up_process(task)                 else lock, look at w->state
 *
 * After the release store the waker does not touch @w again, since the
 * sleeper may return at once and its stack is gone; the task reference
 * keeps wake_up_process() safe.  Every wake-up is a hand-over of either a
 * message or of the duty to look at the queue, and a woken consumer
 * looks at the queue before it looks at signals and timeouts, so no
 * wake-up is lost: a message queued for a woken consumer is taken by
 * it, or by whoever emptied the queue before it.  A consumer that
 * leaves a message queued (-EMSGSIZE, PEEK) passes the wake-up on.
 */

/* Upper bounds of the module parameters themselves. */
#define KIPC_QUEUE_MSG_SIZE_HARD	(16 * SZ_1M)
#define KIPC_QUEUE_MSGS_HARD		SZ_1M

static unsigned int kipc_queue_max_msg = SZ_64K;
module_param_named(max_msg_size, kipc_queue_max_msg, uint, 0644);
MODULE_PARM_DESC(max_msg_size, "Largest queue message, in bytes (at most 16 MiB)");

static unsigned int kipc_queue_max_msgs = 65536;
module_param_named(max_queue_msgs, kipc_queue_max_msgs, uint, 0644);
MODULE_PARM_DESC(max_queue_msgs, "Most messages one queue may hold (at most 1048576)");

static bool kipc_queue_handoff = true;
module_param_named(queue_handoff, kipc_queue_handoff, bool, 0644);
MODULE_PARM_DESC(queue_handoff, "Hand a message straight to a waiting consumer");

#define KIPC_QUEUE_NR_PRIO	(KIPC_QUEUE_PRIO_MAX + 1)

/*
 * Memory that a send or receive allocates for its caller: messages, PEEK
 * buffers, SENDV/RECVV vectors.  Each is bounded (max_msg_size,
 * KIPC_QUEUE_VEC_MAX entries) and charged to the caller's memory cgroup.
 * A request the cgroup (or the machine) cannot hold fails with -ENOMEM,
 * for the caller alone: it calls no OOM killer and logs nothing.
 */
#define KIPC_QUEUE_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* SENDV copies in at most this many messages / bytes before queueing them. */
#define KIPC_QUEUE_BATCH_MSGS	32
#define KIPC_QUEUE_BATCH_BYTES	SZ_256K

/**
 * struct kipc_qblock - one allocation holding several messages of a SENDV
 * @ref:	messages of the block not yet freed
 * @nr_charged:	messages charged to the owner whose charge has not ended
 *		(they are queued, in flight or waiting for room; under
 *		kipc_queue.lock; all messages of a block go to one queue)
 * @charged:	bytes charged for them and for those whose charge ended;
 *		uncharged when @nr_charged drops to 0, however the last
 *		charge ends (received, or failed to enter the queue); see
 *		kipc_queue_discharge()
 *
 * The messages follow, each in a u64-aligned slot.  The block is freed
 * with its last message, so a message whose charge ended keeps it while
 * a sibling it shares memory with is still charged.
 */
struct kipc_qblock {
	refcount_t ref;
	u32 nr_charged;
	size_t charged;
};

/**
 * struct kipc_qmsg - one queued message
 * @node:	on kipc_queue.prio[@prio] while queued; on a private list
 *		while being prepared or in flight
 * @blk:	the block holding this message, or NULL when allocated alone
 * @pid:	producer's thread group, pinned
 * @uid:	producer's effective uid at send time
 * @gid:	producer's effective gid at send time
 * @len:	payload bytes, 1..max_msg_size
 * @prio:	0..KIPC_QUEUE_PRIO_MAX
 * @data:	payload
 */
struct kipc_qmsg {
	struct list_head node;
	struct kipc_qblock *blk;
	struct pid *pid;
	kuid_t uid;
	kgid_t gid;
	u32 len;
	u32 prio;
	char data[];
};

/**
 * struct kipc_queue - a message queue
 * @obj:	common object header (name, owner, mode, charge)
 * @max_msg_size: largest message; immutable
 * @max_msgs:	most messages queued or in flight; immutable
 * @max_bytes:	most payload bytes queued or in flight; immutable
 * @flags:	KIPC_QUEUE_F_* (none yet); immutable
 * @lock:	protects everything below, and obj.charged
 * @prio:	one FIFO per priority
 * @prio_map:	bit p set iff @prio[p] is not empty
 * @nr_msgs:	messages on @prio
 * @bytes:	payload bytes on @prio
 * @nr_inflight: messages taken by consumers and not yet committed
 * @inflight_bytes: their payload bytes
 * @nr_producers: open files with the producer role
 * @nr_consumers: open files with the consumer role
 * @producers_gone: the last producer file was closed, and no producer has
 *		opened the queue since (end-of-stream once drained)
 * @consumers_gone: likewise for consumers (sends fail with -EPIPE)
 * @nr_waiters:	entries on @recv_waiters and @send_waiters
 * @recv_waiters: blocked consumers, struct kipc_qwait, FIFO
 * @send_waiters: blocked producers, struct kipc_qwait, FIFO
 * @poll_wq:	poll/epoll/io_uring waiters; has its own lock
 */
struct kipc_queue {
	struct kipc_obj obj;
	u32 max_msg_size;
	u32 max_msgs;
	u64 max_bytes;
	u32 flags;

	spinlock_t lock;		/* see "Locking overview" */
	struct list_head prio[KIPC_QUEUE_NR_PRIO];
	u32 prio_map;
	u32 nr_msgs;
	u64 bytes;
	u32 nr_inflight;
	u64 inflight_bytes;
	u32 nr_producers;
	u32 nr_consumers;
	bool producers_gone;
	bool consumers_gone;
	u32 nr_waiters;
	struct list_head recv_waiters;
	struct list_head send_waiters;

	wait_queue_head_t poll_wq;
};

enum {
	KIPC_QW_WAITING,
	KIPC_QW_WOKEN,
	KIPC_QW_READY,
};

/**
 * struct kipc_qwait - a task blocked in send or receive
 * @node:	on kipc_queue.recv_waiters / send_waiters while WAITING
 * @task:	the sleeper
 * @msg:	consumer: the handed-off message once READY;
 *		producer: the message waiting for room
 * @buflen:	consumer: size of its first buffer (hand-off only if it fits)
 * @peek:	consumer: PEEK, cannot take a hand-off
 * @state:	KIPC_QW_*, written under kipc_queue.lock by the waker,
 *		read locklessly by the sleeper (acquire)
 */
struct kipc_qwait {
	struct list_head node;
	struct task_struct *task;
	struct kipc_qmsg *msg;
	u32 buflen;
	bool peek;
	int state;
};

/* How a send or receive may wait. */
struct kipc_qdeadline {
	bool nonblock;
	struct kipc_deadline when;
};

static const struct file_operations kipc_queue_fops;

/**
 * kipc_queue_max_msg_size() - the max_msg_size module parameter, clamped
 *
 * Return: the largest message size a new queue may have.
 */
u32 kipc_queue_max_msg_size(void)
{
	return clamp_t(u32, READ_ONCE(kipc_queue_max_msg), 1,
		       KIPC_QUEUE_MSG_SIZE_HARD);
}

static u32 kipc_queue_max_depth(void)
{
	return clamp_t(u32, READ_ONCE(kipc_queue_max_msgs), 1,
		       KIPC_QUEUE_MSGS_HARD);
}

static size_t kipc_qmsg_size(const struct kipc_qmsg *m)
{
	return struct_size(m, data, m->len);
}

/* Safe in list_for_each_entry_safe(): each message pins its block. */
static void kipc_qmsg_free(struct kipc_qmsg *m)
{
	struct kipc_qblock *blk = m->blk;

	put_pid(m->pid);
	if (!blk)
		kvfree(m);
	else if (refcount_dec_and_test(&blk->ref))
		kvfree(blk);
}

static void kipc_qmsg_free_list(struct list_head *list)
{
	struct kipc_qmsg *m, *tmp;

	list_for_each_entry_safe(m, tmp, list, node)
		kipc_qmsg_free(m);
}

/* ---------------------------------------------------------------------- */
/* Queue state, all under q->lock                                          */
/* ---------------------------------------------------------------------- */

/* Is there room for a message of @len bytes? */
static bool kipc_queue_room(struct kipc_queue *q, u32 len)
{
	lockdep_assert_held(&q->lock);
	return q->nr_msgs + q->nr_inflight < q->max_msgs &&
	       q->bytes + q->inflight_bytes + len <= q->max_bytes;
}

/* The next message to receive: highest priority, oldest first. */
static struct kipc_qmsg *kipc_queue_head(struct kipc_queue *q)
{
	lockdep_assert_held(&q->lock);
	if (!q->prio_map)
		return NULL;
	return list_first_entry(&q->prio[fls(q->prio_map) - 1],
				struct kipc_qmsg, node);
}

static void kipc_queue_link(struct kipc_queue *q, struct kipc_qmsg *m,
			    bool at_head)
{
	lockdep_assert_held(&q->lock);
	if (at_head)
		list_add(&m->node, &q->prio[m->prio]);
	else
		list_add_tail(&m->node, &q->prio[m->prio]);
	q->prio_map |= BIT(m->prio);
	q->nr_msgs++;
	q->bytes += m->len;
}

/* Take @m off its list; it is in flight until committed or put back. */
static void kipc_queue_take(struct kipc_queue *q, struct kipc_qmsg *m)
{
	lockdep_assert_held(&q->lock);
	list_del(&m->node);
	if (list_empty(&q->prio[m->prio]))
		q->prio_map &= ~BIT(m->prio);
	q->nr_msgs--;
	q->bytes -= m->len;
	q->nr_inflight++;
	q->inflight_bytes += m->len;
}

/* Charge @m to the queue's owner before it enters the queue. */
static int kipc_queue_charge(struct kipc_queue *q, struct kipc_qmsg *m)
{
	size_t size = kipc_qmsg_size(m);
	int err;

	lockdep_assert_held(&q->lock);
	err = kipc_obj_charge(&q->obj, size);
	if (!err && m->blk) {
		m->blk->nr_charged++;
		m->blk->charged += size;
	}
	return err;
}

/*
 * The charge of @m ends: it was received, or it did not enter the queue
 * after all.  Return: the bytes to uncharge for it.  For a message of a
 * block that is the whole charge of the block once its last charged
 * message goes, whichever way it goes (siblings received earlier left
 * their share in the block), else 0.
 */
static size_t kipc_queue_discharge(struct kipc_queue *q, struct kipc_qmsg *m)
{
	struct kipc_qblock *blk = m->blk;
	size_t size;

	lockdep_assert_held(&q->lock);
	if (!blk)
		return kipc_qmsg_size(m);
	if (--blk->nr_charged)
		return 0;
	size = blk->charged;
	blk->charged = 0;
	return size;
}

/* @m did not enter the queue after all. */
static void kipc_queue_uncharge(struct kipc_queue *q, struct kipc_qmsg *m)
{
	kipc_obj_uncharge(&q->obj, kipc_queue_discharge(q, m));
}

static void kipc_qwait_wake(struct kipc_queue *q, struct kipc_qwait *w,
			    int state)
{
	struct task_struct *task = w->task;

	lockdep_assert_held(&q->lock);
	list_del(&w->node);
	q->nr_waiters--;
	get_task_struct(task);
	/* Pairs with smp_load_acquire() in kipc_queue_sleep(). */
	smp_store_release(&w->state, state);
	wake_up_process(task);
	put_task_struct(task);
}

static void kipc_qwait_wake_all(struct kipc_queue *q, struct list_head *list)
{
	struct kipc_qwait *w, *tmp;

	list_for_each_entry_safe(w, tmp, list, node)
		kipc_qwait_wake(q, w, KIPC_QW_WOKEN);
}

/*
 * Wake consumers for @n newly queued messages: every PEEK waiter met on
 * the way (it takes nothing), and up to @n others.
 */
static void kipc_queue_wake_consumers(struct kipc_queue *q, u32 n)
{
	struct kipc_qwait *w, *tmp;

	list_for_each_entry_safe(w, tmp, &q->recv_waiters, node) {
		if (!n)
			break;
		if (!w->peek)
			n--;
		kipc_qwait_wake(q, w, KIPC_QW_WOKEN);
	}
}

/*
 * A charged message enters the queue: handed straight to a waiting
 * consumer when nothing older is queued, or queued and a consumer woken.
 * Return: true if it was queued (poll waiters want EPOLLIN).
 */
static bool kipc_queue_deliver(struct kipc_queue *q, struct kipc_qmsg *m)
{
	struct kipc_qwait *w, *tmp;

	lockdep_assert_held(&q->lock);
	if (!q->nr_msgs && READ_ONCE(kipc_queue_handoff)) {
		list_for_each_entry_safe(w, tmp, &q->recv_waiters, node) {
			if (w->peek) {
				kipc_qwait_wake(q, w, KIPC_QW_WOKEN);
				continue;
			}
			if (w->buflen < m->len)
				break;
			q->nr_inflight++;
			q->inflight_bytes += m->len;
			w->msg = m;
			kipc_qwait_wake(q, w, KIPC_QW_READY);
			return false;
		}
	}
	kipc_queue_link(q, m, false);
	kipc_queue_wake_consumers(q, 1);
	return true;
}

/*
 * Admit blocked producers, in order, while their messages fit.
 * Return: how many messages were queued (not handed off).
 */
static u32 kipc_queue_admit_producers(struct kipc_queue *q)
{
	struct kipc_qwait *w;
	struct kipc_qmsg *m;
	u32 queued = 0;

	while (!list_empty(&q->send_waiters)) {
		w = list_first_entry(&q->send_waiters, struct kipc_qwait, node);
		m = w->msg;
		if (!kipc_queue_room(q, m->len))
			break;
		kipc_qwait_wake(q, w, KIPC_QW_READY);
		queued += kipc_queue_deliver(q, m);
	}
	return queued;
}

/* No producer, nothing queued or in flight: consumers see end-of-stream. */
static bool kipc_queue_eof(struct kipc_queue *q)
{
	lockdep_assert_held(&q->lock);
	return q->producers_gone && !q->nr_msgs && !q->nr_inflight;
}

static void kipc_queue_wake_poll(struct kipc_queue *q, __poll_t events)
{
	if (events && wq_has_sleeper(&q->poll_wq))
		wake_up_interruptible_poll(&q->poll_wq, events);
}

/*
 * Sleep on @list until woken, a signal or the deadline.  Called with
 * q->lock held, when the caller found nothing to do; returns with it
 * released.
 *
 * Return: KIPC_QW_READY when the transfer was done for us (w->msg); 0 to
 * look again, -ERESTARTSYS or -ETIMEDOUT.  The caller looks at the queue
 * before it acts on an error, so an event that raced with the error is
 * not lost.
 */
static int kipc_queue_sleep(struct kipc_queue *q, struct kipc_qwait *w,
			    struct list_head *list,
			    const struct kipc_qdeadline *dl)
	__releases(&q->lock)
{
	int state, ret;

	w->task = current;
	w->state = KIPC_QW_WAITING;
	list_add_tail(&w->node, list);
	q->nr_waiters++;
	__set_current_state(TASK_INTERRUPTIBLE);
	spin_unlock(&q->lock);

	ret = kipc_deadline_sleep(&dl->when);

	/* Pairs with smp_store_release() in kipc_qwait_wake(). */
	state = smp_load_acquire(&w->state);
	if (state == KIPC_QW_WAITING) {
		/* Timeout, signal or spurious: only under the lock is it ours. */
		spin_lock(&q->lock);
		state = w->state;
		if (state == KIPC_QW_WAITING) {
			list_del(&w->node);
			q->nr_waiters--;
		}
		spin_unlock(&q->lock);
	}
	if (state == KIPC_QW_READY)
		return KIPC_QW_READY;
	if (signal_pending(current))
		return -ERESTARTSYS;
	if (!ret)
		return -ETIMEDOUT;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Send                                                                    */
/* ---------------------------------------------------------------------- */

static int kipc_queue_check_send(struct kipc_queue *q,
				 const struct kipc_queue_msg *e)
{
	if (!e->len || e->prio > KIPC_QUEUE_PRIO_MAX || e->pid || e->uid ||
	    e->gid || e->reserved)
		return -EINVAL;
	if (e->len > q->max_msg_size)
		return -EMSGSIZE;
	return 0;
}

/*
 * Payloads of up to KIPC_QMSG_SMALL bytes are moved a word at a time in
 * one user-access section.  For such sizes a string copy costs more to
 * start than the loop takes (more so under emulation, where every
 * iteration of a REP string instruction is a separate step), and the
 * hardened-usercopy lookup of the slab object is pure overhead: the
 * kernel side is always the message's own data[] array, allocated in
 * kipc_qmsg_new() for exactly @len bytes, or a caller's buffer that
 * kipc_qmsg_new() sized the same way.  Larger payloads take the common
 * copy_{from,to}_user() with all its checks.
 */
#define KIPC_QMSG_SMALL		256

static bool kipc_qmsg_small(const void __user *ubuf, size_t len,
			    size_t max)
{
	return len <= max &&
	       (IS_ENABLED(CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS) ||
		IS_ALIGNED((unsigned long)ubuf, sizeof(u64)));
}

/* Copy in word by word; @dst is u64-aligned.  Return: 0 or -EFAULT. */
static int kipc_copy_in_words(void *dst, const void __user *src, size_t len)
{
	size_t off = 0;

	if (!user_read_access_begin(src, len))
		return -EFAULT;
	for (; off + sizeof(u64) <= len; off += sizeof(u64))
		unsafe_get_user(*(u64 *)(dst + off),
				(const u64 __user *)(src + off), out_fault);
	for (; off < len; off++)
		unsafe_get_user(*(u8 *)(dst + off),
				(const u8 __user *)(src + off), out_fault);
	user_read_access_end();
	return 0;

out_fault:
	user_read_access_end();
	return -EFAULT;
}

/* Copy a payload in; @dst is u64-aligned.  Return: 0 or -EFAULT. */
static int kipc_qmsg_copy_in(char *dst, const char __user *src, u32 len)
{
	if (kipc_qmsg_small(src, len, KIPC_QMSG_SMALL))
		return kipc_copy_in_words(dst, src, len);
	return copy_from_user(dst, src, len) ? -EFAULT : 0;
}

/* Fill @m with a copy of the user's payload and our credentials. */
static int kipc_qmsg_init(struct kipc_qmsg *m, const struct kipc_queue_msg *e)
{
	const struct cred *cred = current_cred();

	if (kipc_qmsg_copy_in(m->data, u64_to_user_ptr(e->buf), e->len))
		return -EFAULT;
	m->len = e->len;
	m->prio = e->prio;
	m->pid = get_task_pid(current, PIDTYPE_TGID);
	m->uid = cred->euid;
	m->gid = cred->egid;
	return 0;
}

/* A new message, allocated alone. */
static struct kipc_qmsg *kipc_qmsg_new(const struct kipc_queue_msg *e)
{
	struct kipc_qmsg *m;

	m = kvmalloc(struct_size(m, data, e->len), KIPC_QUEUE_GFP);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->blk = NULL;
	if (kipc_qmsg_init(m, e)) {
		kvfree(m);
		return ERR_PTR(-EFAULT);
	}
	return m;
}

static size_t kipc_qslot_size(u32 len)
{
	return ALIGN(struct_size((struct kipc_qmsg *)NULL, data, len),
		     sizeof(u64));
}

/* How many of the @n messages at @ents go into one block (0: none). */
static u32 kipc_qblock_count(const struct kipc_queue_msg *ents, u32 n)
{
	u32 nr = 0;

	while (nr < n && nr < KIPC_QUEUE_BATCH_MSGS &&
	       ents[nr].len <= KIPC_QMSG_SMALL)
		nr++;
	return nr >= 2 ? nr : 0;
}

/*
 * Make the @nr messages at @ents in one block and add them to @batch.
 * Return: how many were made; *@errp is the error that stopped it.
 */
static u32 kipc_qblock_fill(const struct kipc_queue_msg *ents, u32 nr,
			    struct list_head *batch, int *errp)
{
	struct kipc_qblock *blk;
	struct kipc_qmsg *m;
	size_t size = sizeof(*blk);
	char *slot;
	u32 k;

	BUILD_BUG_ON(sizeof(*blk) % sizeof(u64));
	for (k = 0; k < nr; k++)
		size += kipc_qslot_size(ents[k].len);
	blk = kvmalloc(size, KIPC_QUEUE_GFP);
	if (!blk) {
		*errp = -ENOMEM;
		return 0;
	}
	blk->nr_charged = 0;
	blk->charged = 0;
	slot = (char *)(blk + 1);
	for (k = 0; k < nr; k++) {
		m = (struct kipc_qmsg *)slot;
		m->blk = blk;
		if (kipc_qmsg_init(m, &ents[k])) {
			*errp = -EFAULT;
			break;
		}
		list_add_tail(&m->node, batch);
		slot += kipc_qslot_size(m->len);
	}
	/* Nothing is published yet: the messages made hold the block. */
	if (!k)
		kvfree(blk);
	else
		refcount_set(&blk->ref, k);
	return k;
}

/*
 * Queue the messages on @batch in order, blocking for room as @dl allows.
 * Messages that went through leave @batch; the caller frees the rest.
 * Return: how many went through; *@errp is the error that stopped it.
 */
static u32 kipc_queue_send_list(struct kipc_queue *q, struct list_head *batch,
				const struct kipc_qdeadline *dl, int *errp)
{
	struct kipc_qwait w;
	struct kipc_qmsg *m;
	u32 sent = 0, queued = 0;
	int err = 0, werr;

	spin_lock(&q->lock);
	while (!list_empty(batch)) {
		m = list_first_entry(batch, struct kipc_qmsg, node);
		if (q->consumers_gone) {
			err = -EPIPE;
			break;
		}
		err = kipc_queue_charge(q, m);
		if (err)
			break;
		/* From here on @m->node belongs to the queue. */
		list_del(&m->node);
		werr = 0;
		for (;;) {
			if (list_empty(&q->send_waiters) &&
			    kipc_queue_room(q, m->len)) {
				queued += kipc_queue_deliver(q, m);
				break;
			}
			if (q->consumers_gone)
				err = -EPIPE;
			else if (werr)
				err = werr;
			else if (dl->nonblock)
				err = -EAGAIN;
			if (err)
				break;
			w.msg = m;
			w.peek = false;
			werr = kipc_queue_sleep(q, &w, &q->send_waiters, dl);
			spin_lock(&q->lock);
			/* READY: a consumer queued it for us. */
			if (werr == KIPC_QW_READY)
				break;
		}
		if (err) {
			kipc_queue_uncharge(q, m);
			list_add(&m->node, batch);
			/* We may have held up smaller messages behind us. */
			queued += kipc_queue_admit_producers(q);
			break;
		}
		sent++;
	}
	spin_unlock(&q->lock);

	kipc_queue_wake_poll(q, queued ? EPOLLIN | EPOLLRDNORM : 0);
	*errp = err;
	return sent;
}

/*
 * Send @n messages described by @ents (kernel copies, already checked).
 * Return: how many went through if any, else an error.
 */
static long kipc_queue_send(struct kipc_queue *q,
			    const struct kipc_queue_msg *ents, u32 n,
			    const struct kipc_qdeadline *dl)
{
	u32 i = 0, sent = 0, nr;
	int err = 0;

	while (i < n && !err) {
		LIST_HEAD(batch);
		size_t bytes = 0;

		nr = kipc_qblock_count(&ents[i], n - i);
		if (nr) {
			nr = kipc_qblock_fill(&ents[i], nr, &batch, &err);
			i += nr;
			goto send;
		}
		for (nr = 0; i < n && nr < KIPC_QUEUE_BATCH_MSGS &&
		     bytes < KIPC_QUEUE_BATCH_BYTES; nr++, i++) {
			struct kipc_qmsg *m = kipc_qmsg_new(&ents[i]);

			if (IS_ERR(m)) {
				err = PTR_ERR(m);
				break;
			}
			list_add_tail(&m->node, &batch);
			bytes += m->len;
		}
send:
		if (nr) {
			int serr;
			u32 done = kipc_queue_send_list(q, &batch, dl, &serr);

			sent += done;
			if (done < nr)
				err = serr;
		}
		kipc_qmsg_free_list(&batch);
	}
	/* Not "sent ? sent : err": that would make @err unsigned. */
	if (sent)
		return sent;
	return err;
}

/* ---------------------------------------------------------------------- */
/* Receive                                                                 */
/* ---------------------------------------------------------------------- */

static void kipc_queue_fill_msg(struct kipc_queue_msg *e,
				const struct kipc_qmsg *m)
{
	e->len = m->len;
	e->prio = m->prio;
	e->pid = pid_vnr(m->pid);
	e->uid = from_kuid_munged(current_user_ns(), m->uid);
	e->gid = from_kgid_munged(current_user_ns(), m->gid);
	e->reserved = 0;
}

/*
 * Copy @m out to the buffer of @e and, unless @ue is NULL, write the
 * descriptor fields that receiving fills in (not ->buf) to @ue.  @e is
 * filled in either way.  Return: 0 or -EFAULT.
 */
static int kipc_qmsg_copy_out(const struct kipc_qmsg *m,
			      struct kipc_queue_msg *e,
			      struct kipc_queue_msg __user *ue)
{
	char __user *dst = u64_to_user_ptr(e->buf);

	kipc_queue_fill_msg(e, m);
	if (!kipc_qmsg_small(dst, m->len, KIPC_QMSG_SMALL)) {
		if (copy_to_user(dst, m->data, m->len))
			return -EFAULT;
		if (ue && copy_to_user(ue, e, sizeof(*e)))
			return -EFAULT;
		return 0;
	}
	/* A user-access section covers only the range it was opened for. */
	if (!user_write_access_begin(dst, m->len))
		return -EFAULT;
	unsafe_copy_to_user(dst, m->data, m->len, out_fault);
	user_write_access_end();
	if (!ue)
		return 0;
	if (!user_write_access_begin(ue, sizeof(*ue)))
		return -EFAULT;
	unsafe_put_user(e->len, &ue->len, out_fault);
	unsafe_put_user(e->prio, &ue->prio, out_fault);
	unsafe_put_user(e->pid, &ue->pid, out_fault);
	unsafe_put_user(e->uid, &ue->uid, out_fault);
	unsafe_put_user(e->gid, &ue->gid, out_fault);
	unsafe_put_user(e->reserved, &ue->reserved, out_fault);
	user_write_access_end();
	return 0;

out_fault:
	user_write_access_end();
	return -EFAULT;
}

/*
 * Nothing is queued: end-of-stream (0), an error, or 1 when
 * the consumer should sleep.  @werr is the outcome of its last sleep.
 */
static int kipc_queue_recv_empty(struct kipc_queue *q, int werr,
				 const struct kipc_qdeadline *dl)
{
	lockdep_assert_held(&q->lock);
	if (kipc_queue_eof(q))
		return 0;
	if (werr)
		return werr;
	if (dl->nonblock)
		return -EAGAIN;
	return 1;
}

/*
 * After in-flight messages were dealt with: wake whoever waits for what
 * that freed.  Returns the poll events to report.
 */
static __poll_t kipc_queue_settle(struct kipc_queue *q, u32 put_back)
{
	__poll_t events = 0;

	lockdep_assert_held(&q->lock);
	if (put_back) {
		kipc_queue_wake_consumers(q, put_back);
		events |= EPOLLIN | EPOLLRDNORM;
	}
	if (kipc_queue_admit_producers(q))
		events |= EPOLLIN | EPOLLRDNORM;
	if (list_empty(&q->send_waiters) && kipc_queue_room(q, q->max_msg_size))
		events |= EPOLLOUT | EPOLLWRNORM;
	if (kipc_queue_eof(q)) {
		kipc_qwait_wake_all(q, &q->recv_waiters);
		events |= EPOLLHUP;
	}
	return events;
}

/*
 * Receive up to @n messages into the buffers of @ents (kernel copies;
 * buf and len are read, the rest is filled in).  After each message,
 * its descriptor is written to @uents[i] unless @uents is NULL.
 *
 * Return: how many were received, 0 at end of stream, or an error.  Messages
 * that could not be copied out stay queued.
 */
static long kipc_queue_recv(struct kipc_queue *q, struct kipc_queue_msg *ents,
			    struct kipc_queue_msg __user *uents, u32 n,
			    const struct kipc_qdeadline *dl)
{
	struct kipc_qmsg *m, *tmp;
	struct kipc_qwait w;
	LIST_HEAD(taken);
	u32 k = 0, i = 0, back = 0;
	__poll_t events;
	size_t charge = 0;
	int ret = 0, werr = 0;

	w.buflen = ents[0].len;
	w.peek = false;
	spin_lock(&q->lock);
	while (!q->nr_msgs) {
		ret = kipc_queue_recv_empty(q, werr, dl);
		if (ret <= 0) {
			spin_unlock(&q->lock);
			return ret;
		}
		werr = kipc_queue_sleep(q, &w, &q->recv_waiters, dl);
		if (werr == KIPC_QW_READY) {
			/* Handed off by a producer; already in flight. */
			list_add_tail(&w.msg->node, &taken);
			k = 1;
			goto copy;
		}
		spin_lock(&q->lock);
	}
	while (k < n && (m = kipc_queue_head(q))) {
		if (m->len > ents[k].len)
			break;
		kipc_queue_take(q, m);
		list_add_tail(&m->node, &taken);
		k++;
	}
	if (!k) {
		u32 needed = kipc_queue_head(q)->len;

		/* The message stays; let another consumer have a go. */
		kipc_queue_wake_consumers(q, 1);
		spin_unlock(&q->lock);
		if (uents && put_user(needed, &uents[0].len))
			return -EFAULT;
		return -EMSGSIZE;
	}
	spin_unlock(&q->lock);

copy:
	/*
	 * A task being killed never returns to user space: whatever it took
	 * would be lost, so it takes nothing.
	 */
	list_for_each_entry(m, &taken, node) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (kipc_qmsg_copy_out(m, &ents[i], uents ? &uents[i] : NULL))
			break;
		i++;
	}

	spin_lock(&q->lock);
	/* Put back what could not be delivered, newest first, at the head. */
	list_for_each_entry_safe_reverse(m, tmp, &taken, node) {
		if (back == k - i)
			break;
		list_del(&m->node);
		q->nr_inflight--;
		q->inflight_bytes -= m->len;
		kipc_queue_link(q, m, true);
		back++;
	}
	list_for_each_entry(m, &taken, node) {
		q->nr_inflight--;
		q->inflight_bytes -= m->len;
		charge += kipc_queue_discharge(q, m);
	}
	kipc_obj_uncharge(&q->obj, charge);
	events = kipc_queue_settle(q, back);
	spin_unlock(&q->lock);

	kipc_queue_wake_poll(q, events);
	kipc_qmsg_free_list(&taken);
	if (i)
		return i;
	return ret == -EINTR ? ret : -EFAULT;
}

/*
 * PEEK: copy the next message without taking it.  The payload goes
 * through a kernel buffer, since the message may be received and freed
 * as soon as the lock is dropped.  The buffer is as big as the message
 * (not the caller's buffer), is allocated once there is a message, and
 * is charged to the caller like any memory the caller makes us use.
 */
static long kipc_queue_peek(struct kipc_queue *q, struct kipc_queue_msg *e,
			    struct kipc_queue_msg __user *ue,
			    const struct kipc_qdeadline *dl)
{
	struct kipc_qmsg *m, *copy = NULL;
	struct kipc_qwait w;
	u32 size = 0, needed;
	int werr = 0;
	long ret;

	w.buflen = 0;
	w.peek = true;
	spin_lock(&q->lock);
	for (;;) {
		if (!q->nr_msgs) {
			ret = kipc_queue_recv_empty(q, werr, dl);
			if (ret <= 0) {
				spin_unlock(&q->lock);
				kvfree(copy);
				return ret;
			}
			/* Never KIPC_QW_READY: nothing is handed to a PEEK waiter. */
			werr = kipc_queue_sleep(q, &w, &q->recv_waiters, dl);
			spin_lock(&q->lock);
			continue;
		}
		m = kipc_queue_head(q);
		needed = m->len;
		if (needed > e->len) {
			kipc_queue_wake_consumers(q, 1);
			spin_unlock(&q->lock);
			kvfree(copy);
			if (put_user(needed, &ue->len))
				return -EFAULT;
			return -EMSGSIZE;
		}
		if (needed <= size)
			break;
		/* Allocate without the lock, then look again. */
		spin_unlock(&q->lock);
		kvfree(copy);
		copy = kvmalloc(struct_size(copy, data, needed), KIPC_QUEUE_GFP);
		if (!copy)
			return -ENOMEM;
		size = needed;
		spin_lock(&q->lock);
	}
	memcpy(copy->data, m->data, m->len);
	copy->blk = NULL;
	copy->len = m->len;
	copy->prio = m->prio;
	copy->pid = get_pid(m->pid);
	copy->uid = m->uid;
	copy->gid = m->gid;
	/* We took nothing: other waiters may want it. */
	kipc_queue_wake_consumers(q, 1);
	spin_unlock(&q->lock);

	ret = copy->len;
	if (copy_to_user(u64_to_user_ptr(e->buf), copy->data, copy->len))
		ret = -EFAULT;
	kipc_queue_fill_msg(e, copy);
	if (ret > 0 && copy_to_user(ue, e, sizeof(*e)))
		ret = -EFAULT;
	kipc_qmsg_free(copy);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* File operations                                                         */
/* ---------------------------------------------------------------------- */

static void kipc_queue_deadline(struct kipc_qdeadline *dl, struct file *file,
				u32 flags, u64 timeout)
{
	dl->nonblock = (flags & KIPC_WAIT_NONBLOCK) ||
		       (file->f_flags & O_NONBLOCK);
	kipc_deadline_init(&dl->when, timeout, flags & KIPC_WAIT_REALTIME);
}

static ssize_t kipc_queue_read(struct file *file, char __user *buf,
			       size_t count, loff_t *ppos)
{
	struct kipc_queue *q = file->private_data;
	struct kipc_queue_msg e = {
		.buf = (u64)(uintptr_t)buf,
		.len = min_t(size_t, count, U32_MAX),
	};
	struct kipc_qdeadline dl;
	long ret;

	if (!count)
		return 0;
	kipc_queue_deadline(&dl, file, 0, 0);
	ret = kipc_queue_recv(q, &e, NULL, 1, &dl);
	if (ret > 0)
		ret = e.len;
	return ret;
}

static ssize_t kipc_queue_write(struct file *file, const char __user *buf,
				size_t count, loff_t *ppos)
{
	struct kipc_queue *q = file->private_data;
	struct kipc_queue_msg e = {
		.buf = (u64)(uintptr_t)buf,
		.prio = KIPC_QUEUE_PRIO_DEFAULT,
	};
	struct kipc_qdeadline dl;
	long ret;

	if (!count)
		return 0;
	if (count > q->max_msg_size)
		return -EMSGSIZE;
	e.len = count;
	kipc_queue_deadline(&dl, file, 0, 0);
	ret = kipc_queue_send(q, &e, 1, &dl);
	if (ret < 0)
		return ret;
	return count;
}

/*
 * The argument of SEND/RECV: a fixed struct, read word by word as small
 * payloads are when that is possible.
 */
static int kipc_queue_get_xfer(struct kipc_queue_xfer *x,
			       const void __user *uarg)
{
	BUILD_BUG_ON(sizeof(*x) % sizeof(u64));
	if (kipc_qmsg_small(uarg, sizeof(*x), sizeof(*x)))
		return kipc_copy_in_words(x, uarg, sizeof(*x));
	return copy_from_user(x, uarg, sizeof(*x)) ? -EFAULT : 0;
}

static long kipc_queue_ioc_xfer(struct file *file, void __user *uarg,
				bool send)
{
	struct kipc_queue *q = file->private_data;
	struct kipc_queue_xfer x;
	struct kipc_qdeadline dl;
	u32 valid = KIPC_WAIT_MASK;
	long ret;

	if (!(file->f_mode & (send ? FMODE_WRITE : FMODE_READ)))
		return -EBADF;
	ret = kipc_queue_get_xfer(&x, uarg);
	if (ret)
		return ret;
	if (!send)
		valid |= KIPC_RECV_PEEK;
	if ((x.flags & ~valid) || x.reserved0 ||
	    kipc_check_reserved(x.reserved, sizeof(x.reserved)) || x.msg.reserved)
		return -EINVAL;
	kipc_queue_deadline(&dl, file, x.flags, x.timeout);

	if (send) {
		ret = kipc_queue_check_send(q, &x.msg);
		if (ret)
			return ret;
		ret = kipc_queue_send(q, &x.msg, 1, &dl);
		return ret > 0 ? 0 : ret;
	}
	/* The message descriptor leads struct kipc_queue_xfer. */
	if (x.flags & KIPC_RECV_PEEK)
		return kipc_queue_peek(q, &x.msg, uarg, &dl);
	ret = kipc_queue_recv(q, &x.msg, uarg, 1, &dl);
	return ret > 0 ? x.msg.len : ret;
}

static long kipc_queue_ioc_mxfer(struct file *file, void __user *uarg,
				 bool send)
{
	struct kipc_queue *q = file->private_data;
	struct kipc_queue_msg __user *uents;
	struct kipc_queue_msg *ents;
	struct kipc_queue_mxfer mx;
	struct kipc_qdeadline dl;
	long ret;
	u32 i;

	if (!(file->f_mode & (send ? FMODE_WRITE : FMODE_READ)))
		return -EBADF;
	if (copy_from_user(&mx, uarg, sizeof(mx)))
		return -EFAULT;
	if ((mx.flags & ~KIPC_WAIT_MASK) ||
	    kipc_check_reserved(mx.reserved, sizeof(mx.reserved)))
		return -EINVAL;
	if (!mx.count || mx.count > KIPC_QUEUE_VEC_MAX)
		return -EINVAL;

	uents = u64_to_user_ptr(mx.msgs);
	ents = kvmalloc_array(mx.count, sizeof(*ents), KIPC_QUEUE_GFP);
	if (!ents)
		return -ENOMEM;
	if (kipc_qmsg_small(uents, mx.count * sizeof(*ents),
			    KIPC_QUEUE_BATCH_MSGS * sizeof(*ents)))
		ret = kipc_copy_in_words(ents, uents, mx.count * sizeof(*ents));
	else
		ret = copy_from_user(ents, uents, mx.count * sizeof(*ents)) ?
		      -EFAULT : 0;
	if (ret)
		goto out_free;
	for (i = 0; i < mx.count; i++) {
		ret = send ? kipc_queue_check_send(q, &ents[i]) :
			     (ents[i].reserved ? -EINVAL : 0);
		if (ret)
			goto out_free;
	}
	kipc_queue_deadline(&dl, file, mx.flags, mx.timeout);
	if (send)
		ret = kipc_queue_send(q, ents, mx.count, &dl);
	else
		ret = kipc_queue_recv(q, ents, uents, mx.count, &dl);
out_free:
	kvfree(ents);
	return ret;
}

/* Counts of blocked consumers and producers, under the queue lock. */
static void kipc_queue_waiters(struct kipc_queue *q, u32 *rwait, u32 *swait)
{
	struct kipc_qwait *w;

	lockdep_assert_held(&q->lock);
	*rwait = 0;
	*swait = 0;
	list_for_each_entry(w, &q->recv_waiters, node)
		(*rwait)++;
	list_for_each_entry(w, &q->send_waiters, node)
		(*swait)++;
}

static void kipc_queue_obj_head(struct kipc_obj *obj, struct kipc_obj_head *h)
{
	struct kipc_queue *q = container_of(obj, struct kipc_queue, obj);

	spin_lock(&q->lock);
	h->state = (q->producers_gone ? KIPC_STATE_NO_PRODUCERS : 0) |
		   (q->consumers_gone ? KIPC_STATE_NO_CONSUMERS : 0);
	h->nr_producers = q->nr_producers;
	h->nr_consumers = q->nr_consumers;
	kipc_queue_waiters(q, &h->read_waiters, &h->write_waiters);
	spin_unlock(&q->lock);
}

/* The fd's roles: its access mode (see kipc_queue_open_file()). */
static u32 kipc_queue_file_role(struct file *file)
{
	u32 role = 0;

	if (file->f_mode & FMODE_WRITE)
		role |= KIPC_ROLE_PRODUCER;
	if (file->f_mode & FMODE_READ)
		role |= KIPC_ROLE_CONSUMER;
	return role;
}

static long kipc_queue_ioc_info(struct file *file, void __user *uarg)
{
	struct kipc_queue *q = file->private_data;
	struct kipc_queue_info qi;

	if (copy_from_user(&qi, uarg, sizeof(qi)))
		return -EFAULT;
	/* Out fields are ignored on input; reserved ones must be zero. */
	if (qi.flags ||
	    kipc_check_reserved(qi.obj.reserved, sizeof(qi.obj.reserved)) ||
	    kipc_check_reserved(qi.reserved, sizeof(qi.reserved)))
		return -EINVAL;

	memset(&qi, 0, sizeof(qi));
	qi.queue_flags = q->flags;
	kipc_obj_head_fill(&q->obj, kipc_queue_file_role(file), &qi.obj);
	qi.max_msg_size = q->max_msg_size;
	qi.max_msgs = q->max_msgs;
	qi.max_bytes = q->max_bytes;
	spin_lock(&q->lock);
	qi.msgs = q->nr_msgs;
	qi.inflight = q->nr_inflight;
	qi.bytes = q->bytes;
	spin_unlock(&q->lock);

	return copy_to_user(uarg, &qi, sizeof(qi)) ? -EFAULT : 0;
}

/* Commands are matched exactly: a structure of another size is -ENOTTY. */
static long kipc_queue_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KIPC_QUEUE_IOC_INFO:
		return kipc_queue_ioc_info(file, uarg);
	case KIPC_QUEUE_IOC_SEND:
		return kipc_queue_ioc_xfer(file, uarg, true);
	case KIPC_QUEUE_IOC_RECV:
		return kipc_queue_ioc_xfer(file, uarg, false);
	case KIPC_QUEUE_IOC_SENDV:
		return kipc_queue_ioc_mxfer(file, uarg, true);
	case KIPC_QUEUE_IOC_RECVV:
		return kipc_queue_ioc_mxfer(file, uarg, false);
	default:
		return -ENOTTY;
	}
}

static __poll_t kipc_queue_poll(struct file *file, poll_table *pt)
{
	struct kipc_queue *q = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &q->poll_wq, pt);

	spin_lock(&q->lock);
	if (file->f_mode & FMODE_READ) {
		if (q->nr_msgs)
			mask |= EPOLLIN | EPOLLRDNORM;
		else if (kipc_queue_eof(q))
			mask |= EPOLLHUP;
	}
	if (file->f_mode & FMODE_WRITE) {
		if (list_empty(&q->send_waiters) &&
		    kipc_queue_room(q, q->max_msg_size))
			mask |= EPOLLOUT | EPOLLWRNORM;
		if (q->consumers_gone)
			mask |= EPOLLERR;
	}
	spin_unlock(&q->lock);
	return mask;
}

static int kipc_queue_release(struct inode *inode, struct file *file)
{
	struct kipc_queue *q = file->private_data;
	__poll_t events = 0;

	spin_lock(&q->lock);
	if ((file->f_mode & FMODE_WRITE) && !--q->nr_producers) {
		q->producers_gone = true;
		if (kipc_queue_eof(q)) {
			kipc_qwait_wake_all(q, &q->recv_waiters);
			events |= EPOLLHUP;
		}
	}
	if ((file->f_mode & FMODE_READ) && !--q->nr_consumers) {
		q->consumers_gone = true;
		kipc_qwait_wake_all(q, &q->send_waiters);
		events |= EPOLLERR;
	}
	spin_unlock(&q->lock);

	kipc_queue_wake_poll(q, events);
	kipc_obj_put(&q->obj);
	return 0;
}

static void kipc_queue_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kipc_queue *q = file->private_data;
	u32 nr_msgs, nr_inflight;
	u64 bytes;

	spin_lock(&q->lock);
	nr_msgs = q->nr_msgs;
	bytes = q->bytes;
	nr_inflight = q->nr_inflight;
	spin_unlock(&q->lock);

	kipc_obj_show_fdinfo_common(m, &q->obj, kipc_queue_file_role(file));
	seq_printf(m, "max-msg-size:\t%u\nmax-msgs:\t%u\nmax-bytes:\t%llu\n",
		   q->max_msg_size, q->max_msgs, q->max_bytes);
	seq_printf(m, "msgs:\t%u\nbytes:\t%llu\ninflight:\t%u\n",
		   nr_msgs, bytes, nr_inflight);
}

static const struct file_operations kipc_queue_fops = {
	.owner		= THIS_MODULE,
	.read		= kipc_queue_read,
	.write		= kipc_queue_write,
	.poll		= kipc_queue_poll,
	.unlocked_ioctl	= kipc_queue_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= kipc_queue_release,
	.show_fdinfo	= kipc_queue_show_fdinfo,
};

/* ---------------------------------------------------------------------- */
/* Object operations and creation                                          */
/* ---------------------------------------------------------------------- */

static void kipc_queue_free(struct kipc_obj *obj)
{
	struct kipc_queue *q = container_of(obj, struct kipc_queue, obj);
	int p;

	/* No file is left, so nothing waits and nothing is in flight. */
	WARN_ON_ONCE(q->nr_inflight || q->nr_waiters);
	for (p = 0; p < KIPC_QUEUE_NR_PRIO; p++)
		kipc_qmsg_free_list(&q->prio[p]);
	kfree(q);
}

static void kipc_queue_fill(struct kipc_obj *obj, struct kipc_obj_entry *e)
{
	struct kipc_queue *q = container_of(obj, struct kipc_queue, obj);

	spin_lock(&q->lock);
	e->size = q->max_bytes;
	e->used = q->bytes;
	e->count = q->nr_msgs;
	e->flags = q->flags;
	spin_unlock(&q->lock);
}

/* The role of a queue file is its access mode: see kipc_queue_open_file(). */
struct kipc_obj *kipc_queue_file_obj(struct file *file, u32 *role)
{
	struct kipc_queue *q;

	if (file->f_op != &kipc_queue_fops)
		return NULL;
	q = file->private_data;
	*role = kipc_queue_file_role(file);
	return &q->obj;
}

static struct file *kipc_queue_open_file(struct kipc_obj *obj, u32 role,
					 u32 fd_flags)
{
	struct kipc_queue *q = container_of(obj, struct kipc_queue, obj);
	int flags = (fd_flags & KIPC_FD_NONBLOCK) ? O_NONBLOCK : 0;
	struct file *file;

	if ((role & KIPC_ROLE_MASK) == KIPC_ROLE_MASK)
		flags |= O_RDWR;
	else if (role & KIPC_ROLE_PRODUCER)
		flags |= O_WRONLY;
	else
		flags |= O_RDONLY;

	kipc_obj_get(obj);
	file = anon_inode_getfile("[kipc-queue]", &kipc_queue_fops, q, flags);
	if (IS_ERR(file)) {
		kipc_obj_put(obj);
		return file;
	}
	stream_open(file_inode(file), file);

	/*
	 * A hang-up lasts until a new peer of that role arrives, as for a
	 * ring: before the first producer (consumer) there is none.
	 */
	spin_lock(&q->lock);
	if (role & KIPC_ROLE_PRODUCER) {
		q->nr_producers++;
		q->producers_gone = false;
	}
	if (role & KIPC_ROLE_CONSUMER) {
		q->nr_consumers++;
		q->consumers_gone = false;
	}
	spin_unlock(&q->lock);
	return file;
}

static const struct kipc_obj_ops kipc_queue_ops = {
	.release	= kipc_queue_free,
	.head		= kipc_queue_obj_head,
	.fill		= kipc_queue_fill,
	.open_file	= kipc_queue_open_file,
};

/* Check and complete the limits of a create request. */
static int kipc_queue_limits(struct kipc_queue_create *qc)
{
	if (!qc->max_msg_size || (!qc->max_msgs && !qc->max_bytes))
		return -EINVAL;
	if (qc->max_bytes && qc->max_bytes < qc->max_msg_size)
		return -EINVAL;
	if (qc->max_msg_size > kipc_queue_max_msg_size() ||
	    qc->max_msgs > kipc_queue_max_depth() ||
	    qc->max_bytes > READ_ONCE(kipc_max_user_bytes))
		return -E2BIG;
	if (!qc->max_bytes)
		qc->max_bytes = (u64)qc->max_msgs * qc->max_msg_size;
	if (!qc->max_msgs)
		qc->max_msgs = kipc_queue_max_depth();
	return 0;
}

/**
 * kipc_ioc_queue_create() - KIPC_IOC_QUEUE_CREATE on /dev/kipc
 * @uarg: user pointer to struct kipc_queue_create
 *
 * Return: the new queue fd, or -EINVAL (bad flags, role, sizes, mode or
 * name), -E2BIG (a size above a module parameter), -EEXIST (name taken),
 * -ENOSPC (per-user limit or object count), -ENOMEM, -EMFILE, -EFAULT.
 */
long kipc_ioc_queue_create(void __user *uarg)
{
	char name[KIPC_NAME_MAX + 1];
	struct kipc_queue_create qc;
	struct kipc_queue *q;
	struct file *file;
	int p, ret;

	BUILD_BUG_ON(offsetof(struct kipc_queue_xfer, msg) != 0);
	BUILD_BUG_ON(KIPC_QUEUE_NR_PRIO > 32);

	if (copy_from_user(&qc, uarg, sizeof(qc)))
		return -EFAULT;
	if (qc.flags || qc.reserved0 ||
	    kipc_check_reserved(qc.reserved, sizeof(qc.reserved)))
		return -EINVAL;
	ret = kipc_obj_create_check(&qc.obj, name);
	if (ret)
		return ret;
	ret = kipc_queue_limits(&qc);
	if (ret)
		return ret;

	q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);
	if (!q)
		return -ENOMEM;
	q->max_msg_size = qc.max_msg_size;
	q->max_msgs = qc.max_msgs;
	q->max_bytes = qc.max_bytes;
	q->flags = qc.flags;
	spin_lock_init(&q->lock);
	for (p = 0; p < KIPC_QUEUE_NR_PRIO; p++)
		INIT_LIST_HEAD(&q->prio[p]);
	INIT_LIST_HEAD(&q->recv_waiters);
	INIT_LIST_HEAD(&q->send_waiters);
	init_waitqueue_head(&q->poll_wq);

	ret = kipc_obj_init(&q->obj, KIPC_OBJ_QUEUE, qc.obj.mode, &kipc_queue_ops,
			    sizeof(*q));
	if (ret) {
		kfree(q);
		return ret;
	}

	file = kipc_queue_open_file(&q->obj, qc.obj.role, qc.obj.fd_flags);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto out_put;
	}
	ret = kipc_publish_fd(&q->obj, file, name[0] ? name : NULL,
			      qc.obj.fd_flags, &qc.obj.fd, uarg, &qc, sizeof(qc));
out_put:
	kipc_obj_put(&q->obj);
	return ret;
}
