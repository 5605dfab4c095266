/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * kipc - fast, safe inter-process communication.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef _UAPI_LINUX_KIPC_H
#define _UAPI_LINUX_KIPC_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: ABI conventions
 *
 * User-space ABI of /dev/kipc.  Every structure is made of __u32/__u64
 * fields only (and char arrays), has explicit padding, and is laid out
 * identically for 32- and 64-bit callers.  Pointers travel as __u64.
 *
 * Structures are fixed: each has a @flags word whose unknown bits give
 * -EINVAL, and reserved words that must be zero on input (-EINVAL
 * otherwise) and are written as zero on output.  A command is matched
 * exactly, size included: a structure of another size is another
 * command and gives -ENOTTY.  A new field takes reserved space and means
 * "old behaviour" when zero; when reserved space runs out the command
 * gets a new number and the old one stays.  Documentation/userspace-api/
 * kipc.rst, "Extending the ABI", gives the rules and the reasons.
 *
 * Bits of a __u32 field are written (1U << n), of a __u64 field
 * (1ULL << n).  Every ioctl number is in one block at the end.
 */

#define KIPC_DEVICE_NAME	"kipc"
#define KIPC_ABI_VERSION	3

#define KIPC_IOC_MAGIC		0xB9

#define KIPC_NAME_MAX		64	/* bytes, without the NUL */

/*
 * Names: 1..KIPC_NAME_MAX bytes of [A-Za-z0-9._-], NUL-terminated, not
 * starting with '.'.  They live in a registry scoped to the creator's
 * IPC namespace.  Anything else is -EINVAL.
 */

/*
 * Object types: kipc_open.type, kipc_unlink.type, kipc_obj_head.type; a
 * module that implements type t sets (1ULL << t) in kipc_info.obj_types.
 */
#define KIPC_OBJ_RING		1
#define KIPC_OBJ_QUEUE		2
/*
 * Reserved for types to come: 3 server, 4 connection; 5 topic; 6 region,
 * 7 semaphore, 8 mutex, 9 event.
 */

/*
 * Roles of an object fd, the same words for every type: a producer puts
 * data in (a ring's writer, a queue's sender), a consumer takes it out.
 */
#define KIPC_ROLE_PRODUCER	(1U << 0)
#define KIPC_ROLE_CONSUMER	(1U << 1)
#define KIPC_ROLE_MASK		(KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER)

/* Flags of a returned fd (kipc_obj_create.fd_flags, kipc_open.fd_flags). */
#define KIPC_FD_NONBLOCK	(1U << 0)	/* O_NONBLOCK */

/*
 * Peer state of an object, the same bits everywhere: the ring layout
 * page, every INFO answer, LIST entries and the ring WAIT answer.  A bit
 * is set when the last fd of that role is closed (an object that never
 * had one is not in that state) and cleared when a new one is opened, as
 * for a FIFO.  End of stream is only ever a receive returning 0, once
 * NO_PRODUCERS is set and everything is consumed; a send, or a wait for
 * room, with NO_CONSUMERS set fails with -EPIPE.
 */
#define KIPC_STATE_NO_PRODUCERS	(1U << 0)
#define KIPC_STATE_NO_CONSUMERS	(1U << 1)

/*
 * Flags of every blocking command (ring WAIT, queue SEND/RECV/SENDV/
 * RECVV), the same bits in each.  Command-specific bits start at bit 8.
 */
#define KIPC_WAIT_NONBLOCK	(1U << 0)	/* -EAGAIN instead of blocking */
#define KIPC_WAIT_REALTIME	(1U << 1)	/* timeout on CLOCK_REALTIME */
#define KIPC_WAIT_MASK		(KIPC_WAIT_NONBLOCK | KIPC_WAIT_REALTIME)
#define KIPC_RECV_PEEK		(1U << 8)	/* queue RECV: copy, do not remove */

/* ---------------------------------------------------------------------- */
/* Device information                                                      */
/* ---------------------------------------------------------------------- */

/* Feature bits reported in kipc_info.features. */
#define KIPC_FEAT_INFO		(1ULL << 0)	/* KIPC_IOC_GET_INFO */
#define KIPC_FEAT_RING		(1ULL << 1)	/* shared-memory rings */
#define KIPC_FEAT_QUEUE		(1ULL << 2)	/* kernel message queues */
#define KIPC_FEAT_NAMES		(1ULL << 3)	/* named objects */
#define KIPC_FEAT_DUP		(1ULL << 4)	/* KIPC_IOC_DUP */

/**
 * struct kipc_info - argument of KIPC_IOC_GET_INFO
 * @flags:	in: must be zero.
 * @abi_version: out: KIPC_ABI_VERSION of the running module.
 * @features:	out: KIPC_FEAT_* bits the module implements.
 * @obj_types:	out: (1ULL << KIPC_OBJ_*) for each object type it implements.
 * @max_ring_size: out: largest ring data area, in bytes.
 * @max_msg_size: out: largest queue message, in bytes.
 * @page_size:	out: the kernel's PAGE_SIZE.
 * @reserved:	in: must be zero; out: zero.
 *
 * KIPC_IOC_GET_INFO never changes, so that a program can always tell which
 * ABI a module speaks.
 */
struct kipc_info {
	__u32 flags;
	__u32 abi_version;
	__u64 features;
	__u64 obj_types;
	__u64 max_ring_size;
	__u32 max_msg_size;
	__u32 page_size;
	__u64 reserved[5];
};

/* ---------------------------------------------------------------------- */
/* Objects: what every type shares                                         */
/* ---------------------------------------------------------------------- */

/**
 * struct kipc_obj_create - leading fields of every creation structure
 * @name:	user pointer to a NUL-terminated name, or 0 for anonymous
 * @mode:	permission bits (0..0777) checked by KIPC_IOC_OPEN
 * @role:	KIPC_ROLE_* of the returned fd (at least one)
 * @fd_flags:	KIPC_FD_*
 * @fd:		in: must be zero; out: the new fd (also the ioctl's return
 *		value; always O_CLOEXEC)
 *
 * On error no fd, object or name is left behind.
 */
struct kipc_obj_create {
	__u64 name;
	__u32 mode;
	__u32 role;
	__u32 fd_flags;
	__s32 fd;
};

/**
 * struct kipc_obj_head - leading part of every INFO answer and LIST entry
 * @id:		unique object id
 * @type:	KIPC_OBJ_*
 * @role:	INFO: the fd's KIPC_ROLE_*; LIST: 0
 * @mode:	permission bits
 * @uid:	owner, in the caller's user namespace (overflowuid if unmapped)
 * @gid:	group, likewise
 * @state:	KIPC_STATE_*
 * @nr_producers: producer fds open
 * @nr_consumers: consumer fds open
 * @read_waiters: tasks sleeping for data (ring WAIT(READABLE), queue
 *		receives)
 * @write_waiters: tasks sleeping for room (ring WAIT(WRITABLE), queue
 *		sends)
 * @name:	NUL-terminated name, empty when anonymous or unlinked
 * @reserved:	zero
 */
struct kipc_obj_head {
	__u64 id;
	__u32 type;
	__u32 role;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 state;
	__u32 nr_producers;
	__u32 nr_consumers;
	__u32 read_waiters;
	__u32 write_waiters;
	char name[KIPC_NAME_MAX + 8];
	__u64 reserved[2];
};

/**
 * struct kipc_open - argument of KIPC_IOC_OPEN (every type)
 * @name:	user pointer to the NUL-terminated name
 * @type:	KIPC_OBJ_*
 * @role:	KIPC_ROLE_*; producer needs write, consumer read permission
 * @fd_flags:	KIPC_FD_*
 * @fd:		in: must be zero; out: the new fd (also the ioctl's return
 *		value; always O_CLOEXEC)
 * @flags:	must be zero
 * @reserved0:	must be zero
 * @reserved:	must be zero
 */
struct kipc_open {
	__u64 name;
	__u32 type;
	__u32 role;
	__u32 fd_flags;
	__s32 fd;
	__u32 flags;
	__u32 reserved0;
	__u64 reserved[3];
};

/**
 * struct kipc_unlink - argument of KIPC_IOC_UNLINK
 * @name:	user pointer to the NUL-terminated name
 * @type:	KIPC_OBJ_*, or 0 for any
 * @flags:	must be zero
 * @reserved:	must be zero
 */
struct kipc_unlink {
	__u64 name;
	__u32 type;
	__u32 flags;
	__u64 reserved[2];
};

/**
 * struct kipc_obj_entry - one element of the KIPC_IOC_LIST array
 * @obj:	the common head (@obj.role is 0)
 * @size:	ring: data bytes; queue: most bytes queued (max_bytes)
 * @used:	ring: bytes between head and tail as last published
 *		(untrusted); queue: bytes queued
 * @count:	queue: messages queued; ring: 0
 * @flags:	KIPC_RING_F_* or the queue's flags
 * @reserved0:	zero
 * @reserved:	zero
 */
struct kipc_obj_entry {
	struct kipc_obj_head obj;
	__u64 size;
	__u64 used;
	__u64 count;
	__u32 flags;
	__u32 reserved0;
	__u64 reserved[2];
};

/**
 * struct kipc_list - argument of KIPC_IOC_LIST
 * @entries:	user pointer to an array of struct kipc_obj_entry
 * @nr_entries:	in: capacity of the array; out: entries written
 * @nr_total:	in: must be zero; out: objects visible to the caller
 *		(names are scoped to its IPC namespace; anonymous objects
 *		are listed only to root in the initial user namespace and
 *		to their owner)
 * @flags:	must be zero
 * @reserved0:	must be zero
 * @reserved:	must be zero
 */
struct kipc_list {
	__u64 entries;
	__u32 nr_entries;
	__u32 nr_total;
	__u32 flags;
	__u32 reserved0;
	__u64 reserved[2];
};

/**
 * struct kipc_dup - argument of KIPC_IOC_DUP
 * @fd:		a kipc object fd of the caller
 * @role:	KIPC_ROLE_* of the new fd: at least one role, and only
 *		roles @fd has itself (no permission check is made, so an
 *		fd never gains a role by being duplicated)
 * @fd_flags:	KIPC_FD_* of the new fd (nothing is inherited from @fd's
 *		file status flags)
 * @flags:	must be zero
 * @new_fd:	in: must be zero; out: the new fd (also the ioctl's return
 *		value; always O_CLOEXEC)
 * @reserved0:	must be zero
 * @reserved:	must be zero
 *
 * Unlike dup(2), the new fd is a new open file of the same object: it
 * counts as its own endpoint, so closing it (or the death of the process
 * that holds it) is seen by the peers on its own.  The usual way to make
 * an anonymous pair for fork()ed children is to create an object with
 * both roles, DUP a producer and a consumer fd, and close the original.
 *
 * Errors: -EBADF (@fd is not open, or not a kipc object fd), -EINVAL
 * (unknown role, flags or fd_flags bits, no role, a role @fd does not
 * have, non-zero reserved fields or @new_fd), -EMFILE, -EFAULT, -ENOMEM.
 */
struct kipc_dup {
	__s32 fd;
	__u32 role;
	__u32 fd_flags;
	__u32 flags;
	__s32 new_fd;
	__u32 reserved0;
	__u64 reserved[2];
};

/* ---------------------------------------------------------------------- */
/* Rings                                                                   */
/* ---------------------------------------------------------------------- */

/**
 * DOC: ring memory layout
 *
 * A ring is a shared-memory byte ring carrying variable-length records.
 * It is mapped with three mmap() calls on the ring fd, one per writer:
 *
 *   offset KIPC_RING_OFF_LAYOUT, 1 page, MAP_SHARED, PROT_READ only:
 *	struct kipc_ring_layout, written by the kernel only (geometry, peer
 *	state).  A writable mapping is refused with -EPERM, and mprotect()
 *	cannot make it writable later (-EACCES).
 *   offset KIPC_RING_OFF_RING, KIPC_RING_MAP_SIZE(page_size, data_size)
 *	bytes, MAP_SHARED: what producers write.  One page of struct
 *	kipc_ring_prod (tail, the consumers' event count, the producers'
 *	announcement), then the data_size data pages mapped twice, back
 *	to back, so a record that runs past the end of the data area
 *	continues in the second copy and is always contiguous.
 *   offset KIPC_RING_OFF_CONS, 1 page, MAP_SHARED: what the consumer
 *	writes, struct kipc_ring_cons (head, the producers' event count,
 *	the consumer's announcement).
 *
 * Rights follow roles.  The RING mapping may be writable only through
 * an fd with KIPC_ROLE_PRODUCER, the CONS page only through one with
 * KIPC_ROLE_CONSUMER; a PROT_WRITE mapping of a part the fd's role may
 * not write fails with -EACCES, and a read-only mapping of it cannot be
 * made writable with mprotect() (-EACCES), as for a file opened
 * O_RDONLY.  So read permission on a named ring (which gives the
 * consumer role) never lets a process write a record, or move the tail
 * that says which records exist: the consumer takes nothing as the
 * producer's that no producer wrote.  A consumer-role fd can still
 * disturb the flow (head, wake-ups) of its ring: see
 * Documentation/userspace-api/kipc-ring.rst.
 *
 * Any other offset or length, or MAP_PRIVATE, is -EINVAL; mremap() cannot
 * grow a mapping.  Mappings are inherited across fork().  A mapping is
 * not an endpoint: only ring fds count as producers and consumers, so a
 * process that keeps a mapping but closed its fd has left.
 *
 * Positions (head, tail) are byte counts since creation, 64-bit, never
 * wrapping in practice, always multiples of KIPC_REC_ALIGN; the byte of
 * position p is at data[p & (size-1)].  data_size is a power of two, at
 * least one page.
 *
 * Records: struct kipc_rec_hdr, then len payload bytes, padded to
 * KIPC_REC_ALIGN.  A record takes KIPC_REC_SPACE(len) bytes of ring.  Its
 * tag is KIPC_REC_TAG(pos, layout.rec_salt), pos being the record's
 * position; a consumer checks it on every record.
 *
 * Moving data is described in "ring data protocol" below.
 *
 * Nothing in the shared pages is trusted by the kernel; consumers must
 * bounds-check len against the committed range and the ring size.
 *
 * The bytes of the PROD and CONS pages after struct kipc_ring_prod and
 * struct kipc_ring_cons, from KIPC_RING_USER_OFFSET to the end of the
 * page, are the user area: free for user space (libkipc keeps its own
 * bookkeeping there), never read or written by the kernel.  They follow
 * the rights of their page.
 *
 * Sleeping: see "ring sleep protocol" below and KIPC_RING_IOC_WAIT.
 */

#define KIPC_RING_OFF_LAYOUT	0x00000000ULL
#define KIPC_RING_OFF_RING	0x10000000ULL
#define KIPC_RING_OFF_CONS	0x20000000ULL

#define KIPC_RING_MAGIC		0x6b697072	/* "kipr" */

/* kipc_ring_create.flags, kipc_ring_layout.flags, kipc_ring_info.ring_flags */
#define KIPC_RING_F_MPSC	(1U << 0)	/* many producers, one consumer */

/**
 * struct kipc_ring_layout - read-only page at KIPC_RING_OFF_LAYOUT
 * @magic:	KIPC_RING_MAGIC
 * @abi_version: KIPC_ABI_VERSION
 * @flags:	KIPC_RING_F_* the ring was created with
 * @page_size:	PAGE_SIZE; the PROD and CONS pages are this big
 * @data_size:	bytes in the data area, a power of two
 * @max_record: largest payload one record may carry
 * @ctrl_offset: offset of struct kipc_ring_prod in the RING mapping (0)
 * @data_offset: offset of the first data copy in the RING mapping
 * @map_size:	length of the RING mapping (page + 2 * data_size)
 * @state:	KIPC_STATE_*, written by the kernel only with release
 *		semantics; read it with load-acquire
 * @nr_producers: producer fds open
 * @nr_consumers: consumer fds open
 * @lowat:	EPOLLOUT is reported when at least this many bytes are free
 * @rec_salt:	random with KIPC_REC_SALT_SET set, fixed for the ring's
 *		life: see KIPC_REC_TAG
 * @reserved0:	zero
 * @reserved:	zero
 *
 * Written by the kernel only.  A writable mapping is refused with
 * -EPERM, and mprotect() cannot make it writable later (-EACCES).
 */
struct kipc_ring_layout {
	__u32 magic;
	__u32 abi_version;
	__u32 flags;
	__u32 page_size;
	__u64 data_size;
	__u64 max_record;
	__u64 ctrl_offset;
	__u64 data_offset;
	__u64 map_size;
	__u32 state;
	__u32 nr_producers;
	__u32 nr_consumers;
	__u32 lowat;
	__u32 rec_salt;
	__u32 reserved0;
	__u64 reserved[5];
};

#define KIPC_CACHELINE		64

/**
 * struct kipc_ring_prod - the producers' page, first in the RING mapping
 * @tail:	producer position (next byte to reserve / publish)
 * @read_seq:	event count of KIPC_EV_READABLE, bumped by whoever wakes
 *		sleeping consumers (a producer, or the kernel at hang-up)
 * @write_announce: KIPC_ANNOUNCE_* of producers sleeping or polling
 *		for room
 *
 * @pad0:	padding: each field sits on its own cache line
 * @pad1:	padding
 * @pad2:	padding; the user area follows (KIPC_RING_USER_OFFSET)
 *
 * Written by producers and the kernel, read-only for consumer-only fds.
 * Trusted by nobody.
 */
struct kipc_ring_prod {
	__u64 tail;
	__u8 pad0[KIPC_CACHELINE - 8];
	__u32 read_seq;
	__u8 pad1[KIPC_CACHELINE - 4];
	__u32 write_announce;
	__u8 pad2[KIPC_CACHELINE - 4];
};

/**
 * struct kipc_ring_cons - the consumer's page at KIPC_RING_OFF_CONS
 * @head:	consumer position (next byte to consume)
 * @write_seq:	event count of KIPC_EV_WRITABLE, bumped by whoever wakes
 *		sleeping producers (the consumer, or the kernel at hang-up)
 * @read_announce: KIPC_ANNOUNCE_* of a consumer sleeping or polling for
 *		data
 *
 * @pad0:	padding: each field sits on its own cache line
 * @pad1:	padding
 * @pad2:	padding; the user area follows (KIPC_RING_USER_OFFSET)
 *
 * Written by consumers and the kernel, read-only for producer-only fds.
 * Trusted by nobody.
 */
struct kipc_ring_cons {
	__u64 head;
	__u8 pad0[KIPC_CACHELINE - 8];
	__u32 write_seq;
	__u8 pad1[KIPC_CACHELINE - 4];
	__u32 read_announce;
	__u8 pad2[KIPC_CACHELINE - 4];
};

/*
 * An announcement: "I sleep (or poll) until this event count moves on
 * from the value in KIPC_ANNOUNCE_SEQ".  KIPC_ANNOUNCE_USER bits are free
 * for user space (libkipc's shm backend says there how to wake it);
 * wakers compare announcements with them masked out.  0: nobody.
 */
#define KIPC_ANNOUNCE_VALID	(1U << 31)
#define KIPC_ANNOUNCE_USER	((1U << 30) | (1U << 29))
#define KIPC_ANNOUNCE_SEQ	((1U << 29) - 1)
#define KIPC_ANNOUNCE(seq)	(KIPC_ANNOUNCE_VALID | ((seq) & KIPC_ANNOUNCE_SEQ))

/**
 * struct kipc_rec_hdr - header of every record
 * @len:	payload length, | KIPC_REC_PAD for a padding record (a
 *		reservation given up, or the unused end of one), which a
 *		consumer skips
 * @tag:	KIPC_REC_TAG(position of this header, layout.rec_salt)
 */
struct kipc_rec_hdr {
	__u32 len;
	__u32 tag;
};

#define KIPC_REC_PAD		(1U << 31)
#define KIPC_REC_LEN_MASK	(KIPC_REC_PAD - 1)
#define KIPC_REC_ALIGN		8
#define KIPC_REC_SPACE(len) \
	((sizeof(struct kipc_rec_hdr) + (__u64)(len) + KIPC_REC_ALIGN - 1) & \
	 ~(__u64)(KIPC_REC_ALIGN - 1))
/*
 * The tag of the record at @pos.  Positions differ by at least
 * KIPC_REC_ALIGN, so the tag of a header left by an earlier lap (a
 * multiple of data_size earlier) differs unless that header is a
 * multiple of 32 GiB older and was never overwritten since; the salt
 * makes payload bytes that happen to lie where a header will be (from
 * an earlier lap) unlikely to match (2^-32) without knowing the ring.
 * Only a writer of the data area, i.e. a producer, can place a tag.
 */
#define KIPC_REC_TAG(pos, salt)	((__u32)((__u64)(pos) >> 3) ^ (__u32)(salt))
/*
 * Set in every rec_salt.  Positions of a ring's first lap are below
 * 2^30, so no tag of the first lap is zero: a header a producer has
 * reserved but not yet written (still zero in a fresh ring) never reads
 * as committed.
 */
#define KIPC_REC_SALT_SET	(1U << 31)
#define KIPC_RING_MAP_SIZE(page_size, data_size) \
	((__u64)(page_size) + 2 * (__u64)(data_size))

/* Start of the user area in the PROD and CONS pages (see the layout). */
#define KIPC_RING_USER_OFFSET	(3 * KIPC_CACHELINE)

/**
 * DOC: ring data protocol
 *
 * Single producer (the default)::
 *
 *   producer                                   consumer
 *   tail = own copy                            head = own copy
 *   head = load_acquire(&cons->head)           tail = load_acquire(&prod->tail)
 *   if (tail + space - head > data_size)       if (tail == head)
 *           full                                       empty
 *   write payload, len and tag at tail         check tag, read record at head
 *   store_release(&prod->tail, tail + space)   store_release(&cons->head, head + space)
 *
 * The consumer's acquire of tail pairs with the producer's release, so it
 * sees the whole record; the producer's acquire of head pairs with the
 * consumer's release, so it never overwrites bytes still being read.
 *
 * Many producers (KIPC_RING_F_MPSC): producers reserve space with a
 * compare-and-swap on tail and commit by writing the tag last, as in
 * Aeron's many-to-one ring buffer, but with a commit mark that the
 * consumer never has to reset::
 *
 *   producer                                   consumer
 *   head = load_acquire(&cons->head)           t = load_acquire(&hdr_at_head->tag)
 *   tail = load(&prod->tail)                   if (t != KIPC_REC_TAG(head, salt))
 *   do {                                               nothing (yet)
 *           if (tail + space - head > size)    read len and the record
 *                   full                       store_release(&cons->head, head + space)
 *   } while (!cas(&prod->tail, &tail,
 *                 tail + space))
 *   write payload and hdr.len
 *   store_release(&hdr->tag, KIPC_REC_TAG(tail, salt))
 *
 * Reading head before tail guarantees head <= tail in the check.  The
 * consumer never writes the data area.  What lies at a reserved position
 * before its producer commits is zero on the first lap, and never a valid
 * tag there (see KIPC_REC_SALT_SET); on later laps it was written on an
 * earlier lap, a header (whose tag is that of a position a multiple of
 * data_size earlier) or payload bytes, and neither carries the tag of
 * this position but in the residual cases KIPC_REC_TAG describes.  A
 * producer that dies between reserving and committing blocks the records
 * behind it.
 */

/**
 * DOC: ring sleep protocol
 *
 * A consumer that finds the ring empty (a producer that finds it full)
 * sleeps with KIPC_RING_IOC_WAIT and is woken by its peer with
 * KIPC_RING_IOC_WAKE, or by poll()/epoll.
 *
 * The protocol.  Each side writes only its own page: the sleeper
 * announces in its page the count it read, the waker bumps the count in
 * its page.  Consumer side (the producer side mirrors it with
 * write_seq in the CONS page and write_announce in the PROD page)::
 *
 *   consumer (CPU0)                      producer (CPU1)
 *   s = load_acquire(prod.read_seq)      write record
 *   if (ring readable) done              store_release(tail / hdr.tag)
 *   announce(cons.read_announce, s)      smp_mb()                    (B)
 *   smp_mb()                       (A)   a = load(cons.read_announce)
 *   if (ring readable) done              t = load(prod.read_seq)
 *   WAIT(READABLE, s)                    if (a & KIPC_ANNOUNCE_VALID &&
 *                                            !((a ^ t) & KIPC_ANNOUNCE_SEQ) &&
 *                                            cas(prod.read_seq, t, t + 1))
 *                                                WAKE(READABLE)
 *
 * (A) pairs with (B): either CPU0's second check sees the record, or
 * CPU1's load sees the announcement.  Then CPU1 moves read_seq past s
 * and calls WAKE, or finds it moved already by another waker (the
 * kernel at hang-up, or another producer), which calls WAKE itself; so
 * WAIT(s) returns at once or is woken.  An announcement whose count has
 * moved on is stale and costs the waker nothing: only the current count
 * is ever worth a WAKE.  Since s is read before announcing, a wake-up
 * acting on an earlier announcement can never be spent before this one.
 *
 * announce(p, s) keeps the newest announcement when several producers
 * share write_announce: it compare-and-swaps KIPC_ANNOUNCE(s) in unless
 * the word already announces a later count (then the count has moved
 * past s and WAIT(s) returns at once), and ORs its KIPC_ANNOUNCE_USER
 * bits into an announcement of the same count.  A sleeper may clear an
 * announcement of s once the count has moved past s, and only then.
 *
 * poll() announces the same way when it reports "not ready", so
 * level-triggered epoll, poll/select and io_uring POLL_ADD need nothing
 * more.  Edge-triggered epoll does not call poll() again after an event:
 * before each epoll_wait(), announce and re-check exactly as above.
 */

/* Events of KIPC_RING_IOC_WAIT / _WAKE. */
#define KIPC_EV_READABLE	1	/* consumer waits for data */
#define KIPC_EV_WRITABLE	2	/* producer waits for room */

/**
 * struct kipc_ring_create - argument of KIPC_IOC_RING_CREATE
 * @obj:	the common creation fields
 * @flags:	KIPC_RING_F_*
 * @lowat:	EPOLLOUT low-water mark in bytes, at most @data_size
 *		(0: KIPC_REC_SPACE(1), room for a one-byte record)
 * @data_size:	bytes; a power of two, a multiple of the page size
 *		(else -EINVAL), at most kipc_info.max_ring_size (else -E2BIG)
 * @reserved:	must be zero
 *
 * Errors: -EINVAL (unknown flags or role bits, bad fd_flags, mode, size,
 * lowat or name, non-zero reserved fields), -E2BIG, -ENOSPC (per-user
 * limit, module parameter max_user_bytes), -ENOMEM, -EEXIST (name in
 * use), -EFAULT, -EMFILE.
 */
struct kipc_ring_create {
	struct kipc_obj_create obj;
	__u32 flags;
	__u32 lowat;
	__u64 data_size;
	__u64 reserved[4];
};

/**
 * struct kipc_ring_info - argument of KIPC_RING_IOC_INFO
 * @flags:	in: must be zero
 * @ring_flags:	out: KIPC_RING_F_*
 * @obj:	out: the common head (@obj.role: the fd's roles)
 * @data_size:	out: bytes in the data area
 * @max_record:	out: largest payload of one record
 * @head:	out: consumer position as last published (untrusted)
 * @tail:	out: producer position as last published (untrusted)
 * @lowat:	out: EPOLLOUT low-water mark
 * @read_seq:	out: event count of KIPC_EV_READABLE
 * @write_seq:	out: event count of KIPC_EV_WRITABLE
 * @reserved0:	in: must be zero; out: zero
 * @reserved:	in: must be zero; out: zero
 */
struct kipc_ring_info {
	__u32 flags;
	__u32 ring_flags;
	struct kipc_obj_head obj;
	__u64 data_size;
	__u64 max_record;
	__u64 head;
	__u64 tail;
	__u32 lowat;
	__u32 read_seq;
	__u32 write_seq;
	__u32 reserved0;
	__u64 reserved[4];
};

/**
 * struct kipc_ring_wait - argument of KIPC_RING_IOC_WAIT
 * @event:	KIPC_EV_READABLE (read_seq) or KIPC_EV_WRITABLE (write_seq)
 * @seq:	the event count value the caller read before its last check
 * @flags:	KIPC_WAIT_*
 * @state:	in: must be zero; out: KIPC_STATE_* when WAIT returned
 * @timeout:	absolute, in ns, on CLOCK_MONOTONIC (or REALTIME); 0: none
 * @reserved:	must be zero
 *
 * Sleeps while the event count (kipc_ring_prod.read_seq for READABLE,
 * kipc_ring_cons.write_seq for WRITABLE) still equals @seq.
 * Returns 0 after a wake-up, when the count already differs, or when
 * waiting for data and no producer is left (@state has
 * KIPC_STATE_NO_PRODUCERS: every committed record is visible; drain
 * them, then stop); -EPIPE when waiting for room and no consumer is
 * left, -ETIMEDOUT once the deadline passed, -EINTR on a signal
 * (restarted instead under SA_RESTART: the deadline is absolute),
 * -EAGAIN instead of sleeping with KIPC_WAIT_NONBLOCK or on an
 * O_NONBLOCK fd, -EBADF when the fd's role does not match the event
 * (READABLE needs a consumer fd, WRITABLE a producer fd), -EINVAL for a
 * bad event, flags, reserved field or a timeout above INT64_MAX.  A
 * CLOCK_MONOTONIC deadline is in the caller's time namespace.  @state is
 * written back on every return but -EINVAL, -EFAULT, -EBADF and a signal
 * (-EINTR, or a transparent restart, which reads the argument again).
 */
struct kipc_ring_wait {
	__u32 event;
	__u32 seq;
	__u32 flags;
	__u32 state;
	__u64 timeout;
	__u64 reserved[2];
};

/**
 * struct kipc_ring_wake - argument of KIPC_RING_IOC_WAKE
 * @event:	KIPC_EV_READABLE or KIPC_EV_WRITABLE
 * @flags:	must be zero
 * @reserved:	must be zero
 *
 * Wakes every sleeper (WAIT, poll, epoll, io_uring) of @event.  The
 * caller bumps the event count first, as in the protocol above.
 * Producers wake READABLE and consumers WRITABLE; otherwise -EBADF.
 */
struct kipc_ring_wake {
	__u32 event;
	__u32 flags;
	__u64 reserved[2];
};

/* ---------------------------------------------------------------------- */
/* Queues                                                                  */
/* ---------------------------------------------------------------------- */

/**
 * DOC: queues
 *
 * A queue is a kernel-owned message queue: many producers, many
 * consumers, copy in, copy out.  Messages keep their boundaries, have a
 * priority in 0..KIPC_QUEUE_PRIO_MAX (higher is received first, FIFO
 * within one priority) and carry the producer's credentials as the
 * kernel saw them.  A message holds 1..max_msg_size bytes.
 *
 * A queue fd with KIPC_ROLE_PRODUCER sends, one with KIPC_ROLE_CONSUMER
 * receives.  read() receives one message of any priority, write() sends
 * one at KIPC_QUEUE_PRIO_DEFAULT.  Once the last producer fd is closed
 * and the queue is drained, consumers see end of stream (0 from read()
 * and the receive ioctls, EPOLLHUP); once the last consumer fd is
 * closed, sends fail with -EPIPE and no SIGPIPE is raised.  Either
 * hang-up lasts until a new fd of that role is opened; before the first
 * one there is none, as for a ring.
 *
 * See Documentation/userspace-api/kipc-queue.rst.
 */

#define KIPC_QUEUE_PRIO_MAX	31
#define KIPC_QUEUE_PRIO_DEFAULT	0
#define KIPC_QUEUE_VEC_MAX	1024	/* messages per SENDV / RECVV */

/**
 * struct kipc_queue_create - argument of KIPC_IOC_QUEUE_CREATE
 * @obj:	the common creation fields
 * @flags:	must be zero (no queue flags are defined yet)
 * @max_msg_size: largest message, 1..max_msg_size module parameter
 * @max_msgs:	most messages queued, 0..max_queue_msgs module parameter;
 *		0 means "bounded by @max_bytes only"
 * @reserved0:	must be zero
 * @max_bytes:	most payload bytes queued; 0 means @max_msgs * @max_msg_size.
 *		Otherwise at least @max_msg_size.  @max_msgs and @max_bytes
 *		may not both be zero.
 * @reserved:	must be zero
 *
 * Zero or malformed values give -EINVAL; values above a module
 * parameter give -E2BIG.  Queued messages are charged to the creator's
 * per-user byte limit when they are sent (-ENOSPC when exhausted).
 */
struct kipc_queue_create {
	struct kipc_obj_create obj;
	__u32 flags;
	__u32 max_msg_size;
	__u32 max_msgs;
	__u32 reserved0;
	__u64 max_bytes;
	__u64 reserved[4];
};

/**
 * struct kipc_queue_info - argument of KIPC_QUEUE_IOC_INFO
 * @flags:	in: must be zero
 * @queue_flags: out: the flags the queue was created with
 * @obj:	out: the common head (@obj.role: the fd's roles)
 * @max_msg_size: out: largest message
 * @max_msgs:	out: most messages queued (0: bounded by bytes only)
 * @max_bytes:	out: most payload bytes queued
 * @msgs:	out: messages queued
 * @inflight:	out: messages taken by consumers and not yet copied out
 * @bytes:	out: payload bytes queued
 * @reserved:	in: must be zero; out: zero
 */
struct kipc_queue_info {
	__u32 flags;
	__u32 queue_flags;
	struct kipc_obj_head obj;
	__u32 max_msg_size;
	__u32 max_msgs;
	__u64 max_bytes;
	__u32 msgs;
	__u32 inflight;
	__u64 bytes;
	__u64 reserved[4];
};

/**
 * struct kipc_queue_msg - one message of a send or receive
 * @buf:	user pointer to the payload (send) or the buffer (receive)
 * @len:	send: payload length, 1..max_msg_size;
 *		receive in: buffer size; out: message length, or the size
 *		needed when the call fails with -EMSGSIZE
 * @prio:	send: 0..KIPC_QUEUE_PRIO_MAX; receive out: the priority
 * @pid:	receive out: producer's process id in the consumer's pid
 *		namespace, 0 if the producer is not visible there;
 *		send: must be zero
 * @uid:	receive out: producer's effective uid in the consumer's user
 *		namespace (overflowuid if unmapped); send: must be zero
 * @gid:	receive out: producer's effective gid, likewise
 * @reserved:	must be zero on send; zero on receive
 */
struct kipc_queue_msg {
	__u64 buf;
	__u32 len;
	__u32 prio;
	__s32 pid;
	__u32 uid;
	__u32 gid;
	__u32 reserved;
};

/**
 * struct kipc_queue_xfer - argument of KIPC_QUEUE_IOC_SEND / _RECV
 * @msg:	the message
 * @flags:	KIPC_WAIT_*, and KIPC_RECV_PEEK on RECV
 * @reserved0:	must be zero
 * @timeout:	absolute, in ns, on CLOCK_MONOTONIC (or REALTIME); 0: none
 * @reserved:	must be zero
 *
 * SEND returns 0.  RECV returns the message length (>= 1), or 0 at end
 * of stream, as read() does.
 */
struct kipc_queue_xfer {
	struct kipc_queue_msg msg;
	__u32 flags;
	__u32 reserved0;
	__u64 timeout;
	__u64 reserved[2];
};

/**
 * struct kipc_queue_mxfer - argument of KIPC_QUEUE_IOC_SENDV / _RECVV
 * @msgs:	user pointer to an array of struct kipc_queue_msg
 * @count:	entries in @msgs, 1..KIPC_QUEUE_VEC_MAX
 * @flags:	KIPC_WAIT_*
 * @timeout:	absolute, in ns, for the whole call; 0: none
 * @reserved:	must be zero
 *
 * Both return how many messages went through.  SENDV sends in order,
 * blocking for each message as SEND would; RECVV blocks until one
 * message is there, then takes what is queued without blocking again.
 * An error after the first message ends the call with the count so far;
 * an error on the first message is returned.  RECVV returns 0 at end of
 * stream.
 */
struct kipc_queue_mxfer {
	__u64 msgs;
	__u32 count;
	__u32 flags;
	__u64 timeout;
	__u64 reserved[2];
};

/* ---------------------------------------------------------------------- */
/* Every ioctl                                                             */
/* ---------------------------------------------------------------------- */

/* On /dev/kipc: 0x00-0x1f. */
#define KIPC_IOC_GET_INFO	_IOWR(KIPC_IOC_MAGIC, 0x00, struct kipc_info)
#define KIPC_IOC_OPEN		_IOWR(KIPC_IOC_MAGIC, 0x01, struct kipc_open)
#define KIPC_IOC_UNLINK		_IOW(KIPC_IOC_MAGIC, 0x02, struct kipc_unlink)
#define KIPC_IOC_LIST		_IOWR(KIPC_IOC_MAGIC, 0x03, struct kipc_list)
#define KIPC_IOC_DUP		_IOWR(KIPC_IOC_MAGIC, 0x04, struct kipc_dup)
/*	0x05-0x07: reserved for commands shared by every type */
#define KIPC_IOC_RING_CREATE	_IOWR(KIPC_IOC_MAGIC, 0x08, struct kipc_ring_create)
#define KIPC_IOC_QUEUE_CREATE	_IOWR(KIPC_IOC_MAGIC, 0x09, struct kipc_queue_create)
/*
 * Reserved: 0x0a SERVER_CREATE, 0x0b TOPIC_CREATE, 0x0c REGION_CREATE,
 * 0x0d SEM_CREATE, 0x0e MUTEX_CREATE, 0x0f EVENT_CREATE, 0x10 WAIT_ANY,
 * 0x11 WAIT_ALL; 0x12-0x1f.
 */

/* On an object fd: eight numbers per type, the first is always INFO. */
/* Ring fd: 0x20-0x27. */
#define KIPC_RING_IOC_INFO	_IOWR(KIPC_IOC_MAGIC, 0x20, struct kipc_ring_info)
#define KIPC_RING_IOC_WAIT	_IOWR(KIPC_IOC_MAGIC, 0x21, struct kipc_ring_wait)
#define KIPC_RING_IOC_WAKE	_IOW(KIPC_IOC_MAGIC, 0x22, struct kipc_ring_wake)
/* Queue fd: 0x28-0x2f. */
#define KIPC_QUEUE_IOC_INFO	_IOWR(KIPC_IOC_MAGIC, 0x28, struct kipc_queue_info)
#define KIPC_QUEUE_IOC_SEND	_IOW(KIPC_IOC_MAGIC, 0x29, struct kipc_queue_xfer)
#define KIPC_QUEUE_IOC_RECV	_IOWR(KIPC_IOC_MAGIC, 0x2a, struct kipc_queue_xfer)
#define KIPC_QUEUE_IOC_SENDV	_IOW(KIPC_IOC_MAGIC, 0x2b, struct kipc_queue_mxfer)
#define KIPC_QUEUE_IOC_RECVV	_IOW(KIPC_IOC_MAGIC, 0x2c, struct kipc_queue_mxfer)
/*
 * Reserved: 0x30-0x37 server fd, 0x38-0x3f connection fd, 0x40-0x47
 * topic fd, 0x48-0x4f region fd, 0x50-0x57 semaphore fd, 0x58-0x5f mutex
 * fd, 0x60-0x67 event fd.
 */

#endif /* _UAPI_LINUX_KIPC_H */
