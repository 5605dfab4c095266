/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The kipc UAPI, pinned: the size of every structure, the offset of every
 * field, every ioctl number and every flag value.  ABI 3 is for keeps, so
 * a change to any of these is a new command or a new flag (see
 * Documentation/userspace-api/kipc.rst, "Extending the ABI"), never an
 * edit of one of these lines.
 *
 * Compile-time only: it needs nothing but <stddef.h> and the UAPI header,
 * so the build checks it for the 64-bit ABI (uapi_layout_test) and, with
 * gcc -m32 -fsyntax-only, for 32-bit callers too (make uapi-layout-m32).
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef KIPC_UAPI_LAYOUT_H
#define KIPC_UAPI_LAYOUT_H

#include <stddef.h>
#include <linux/kipc.h>

#define KIPC_SIZE(s, n) \
	_Static_assert(sizeof(struct s) == (n), "sizeof(struct " #s ")")
#define KIPC_OFF(s, f, n) \
	_Static_assert(offsetof(struct s, f) == (n), "offset of " #s "." #f)
#define KIPC_IOC(cmd, dir, nr, type) \
	_Static_assert((cmd) == _IOC(dir, KIPC_IOC_MAGIC, nr, sizeof(struct type)), \
		       #cmd)
#define KIPC_VAL(name, v) _Static_assert((name) == (v), #name)

KIPC_SIZE(kipc_info, 80);
KIPC_OFF(kipc_info, flags, 0);
KIPC_OFF(kipc_info, abi_version, 4);
KIPC_OFF(kipc_info, features, 8);
KIPC_OFF(kipc_info, obj_types, 16);
KIPC_OFF(kipc_info, max_ring_size, 24);
KIPC_OFF(kipc_info, max_msg_size, 32);
KIPC_OFF(kipc_info, page_size, 36);
KIPC_OFF(kipc_info, reserved, 40);

KIPC_SIZE(kipc_obj_create, 24);
KIPC_OFF(kipc_obj_create, name, 0);
KIPC_OFF(kipc_obj_create, mode, 8);
KIPC_OFF(kipc_obj_create, role, 12);
KIPC_OFF(kipc_obj_create, fd_flags, 16);
KIPC_OFF(kipc_obj_create, fd, 20);

KIPC_SIZE(kipc_obj_head, 136);
KIPC_OFF(kipc_obj_head, id, 0);
KIPC_OFF(kipc_obj_head, type, 8);
KIPC_OFF(kipc_obj_head, role, 12);
KIPC_OFF(kipc_obj_head, mode, 16);
KIPC_OFF(kipc_obj_head, uid, 20);
KIPC_OFF(kipc_obj_head, gid, 24);
KIPC_OFF(kipc_obj_head, state, 28);
KIPC_OFF(kipc_obj_head, nr_producers, 32);
KIPC_OFF(kipc_obj_head, nr_consumers, 36);
KIPC_OFF(kipc_obj_head, read_waiters, 40);
KIPC_OFF(kipc_obj_head, write_waiters, 44);
KIPC_OFF(kipc_obj_head, name, 48);
KIPC_OFF(kipc_obj_head, reserved, 120);

KIPC_SIZE(kipc_open, 56);
KIPC_OFF(kipc_open, name, 0);
KIPC_OFF(kipc_open, type, 8);
KIPC_OFF(kipc_open, role, 12);
KIPC_OFF(kipc_open, fd_flags, 16);
KIPC_OFF(kipc_open, fd, 20);
KIPC_OFF(kipc_open, flags, 24);
KIPC_OFF(kipc_open, reserved0, 28);
KIPC_OFF(kipc_open, reserved, 32);

KIPC_SIZE(kipc_unlink, 32);
KIPC_OFF(kipc_unlink, name, 0);
KIPC_OFF(kipc_unlink, type, 8);
KIPC_OFF(kipc_unlink, flags, 12);
KIPC_OFF(kipc_unlink, reserved, 16);

KIPC_SIZE(kipc_obj_entry, 184);
KIPC_OFF(kipc_obj_entry, obj, 0);
KIPC_OFF(kipc_obj_entry, size, 136);
KIPC_OFF(kipc_obj_entry, used, 144);
KIPC_OFF(kipc_obj_entry, count, 152);
KIPC_OFF(kipc_obj_entry, flags, 160);
KIPC_OFF(kipc_obj_entry, reserved0, 164);
KIPC_OFF(kipc_obj_entry, reserved, 168);

KIPC_SIZE(kipc_list, 40);
KIPC_OFF(kipc_list, entries, 0);
KIPC_OFF(kipc_list, nr_entries, 8);
KIPC_OFF(kipc_list, nr_total, 12);
KIPC_OFF(kipc_list, flags, 16);
KIPC_OFF(kipc_list, reserved0, 20);
KIPC_OFF(kipc_list, reserved, 24);

KIPC_SIZE(kipc_dup, 40);
KIPC_OFF(kipc_dup, fd, 0);
KIPC_OFF(kipc_dup, role, 4);
KIPC_OFF(kipc_dup, fd_flags, 8);
KIPC_OFF(kipc_dup, flags, 12);
KIPC_OFF(kipc_dup, new_fd, 16);
KIPC_OFF(kipc_dup, reserved0, 20);
KIPC_OFF(kipc_dup, reserved, 24);

KIPC_SIZE(kipc_ring_layout, 120);
KIPC_OFF(kipc_ring_layout, magic, 0);
KIPC_OFF(kipc_ring_layout, abi_version, 4);
KIPC_OFF(kipc_ring_layout, flags, 8);
KIPC_OFF(kipc_ring_layout, page_size, 12);
KIPC_OFF(kipc_ring_layout, data_size, 16);
KIPC_OFF(kipc_ring_layout, max_record, 24);
KIPC_OFF(kipc_ring_layout, ctrl_offset, 32);
KIPC_OFF(kipc_ring_layout, data_offset, 40);
KIPC_OFF(kipc_ring_layout, map_size, 48);
KIPC_OFF(kipc_ring_layout, state, 56);
KIPC_OFF(kipc_ring_layout, nr_producers, 60);
KIPC_OFF(kipc_ring_layout, nr_consumers, 64);
KIPC_OFF(kipc_ring_layout, lowat, 68);
KIPC_OFF(kipc_ring_layout, rec_salt, 72);
KIPC_OFF(kipc_ring_layout, reserved0, 76);
KIPC_OFF(kipc_ring_layout, reserved, 80);

KIPC_SIZE(kipc_ring_prod, 192);
KIPC_OFF(kipc_ring_prod, tail, 0);
KIPC_OFF(kipc_ring_prod, pad0, 8);
KIPC_OFF(kipc_ring_prod, read_seq, 64);
KIPC_OFF(kipc_ring_prod, pad1, 68);
KIPC_OFF(kipc_ring_prod, write_announce, 128);
KIPC_OFF(kipc_ring_prod, pad2, 132);

KIPC_SIZE(kipc_ring_cons, 192);
KIPC_OFF(kipc_ring_cons, head, 0);
KIPC_OFF(kipc_ring_cons, pad0, 8);
KIPC_OFF(kipc_ring_cons, write_seq, 64);
KIPC_OFF(kipc_ring_cons, pad1, 68);
KIPC_OFF(kipc_ring_cons, read_announce, 128);
KIPC_OFF(kipc_ring_cons, pad2, 132);

KIPC_SIZE(kipc_rec_hdr, 8);
KIPC_OFF(kipc_rec_hdr, len, 0);
KIPC_OFF(kipc_rec_hdr, tag, 4);

KIPC_SIZE(kipc_ring_create, 72);
KIPC_OFF(kipc_ring_create, obj, 0);
KIPC_OFF(kipc_ring_create, flags, 24);
KIPC_OFF(kipc_ring_create, lowat, 28);
KIPC_OFF(kipc_ring_create, data_size, 32);
KIPC_OFF(kipc_ring_create, reserved, 40);

KIPC_SIZE(kipc_ring_info, 224);
KIPC_OFF(kipc_ring_info, flags, 0);
KIPC_OFF(kipc_ring_info, ring_flags, 4);
KIPC_OFF(kipc_ring_info, obj, 8);
KIPC_OFF(kipc_ring_info, data_size, 144);
KIPC_OFF(kipc_ring_info, max_record, 152);
KIPC_OFF(kipc_ring_info, head, 160);
KIPC_OFF(kipc_ring_info, tail, 168);
KIPC_OFF(kipc_ring_info, lowat, 176);
KIPC_OFF(kipc_ring_info, read_seq, 180);
KIPC_OFF(kipc_ring_info, write_seq, 184);
KIPC_OFF(kipc_ring_info, reserved0, 188);
KIPC_OFF(kipc_ring_info, reserved, 192);

KIPC_SIZE(kipc_ring_wait, 40);
KIPC_OFF(kipc_ring_wait, event, 0);
KIPC_OFF(kipc_ring_wait, seq, 4);
KIPC_OFF(kipc_ring_wait, flags, 8);
KIPC_OFF(kipc_ring_wait, state, 12);
KIPC_OFF(kipc_ring_wait, timeout, 16);
KIPC_OFF(kipc_ring_wait, reserved, 24);

KIPC_SIZE(kipc_ring_wake, 24);
KIPC_OFF(kipc_ring_wake, event, 0);
KIPC_OFF(kipc_ring_wake, flags, 4);
KIPC_OFF(kipc_ring_wake, reserved, 8);

KIPC_SIZE(kipc_queue_create, 80);
KIPC_OFF(kipc_queue_create, obj, 0);
KIPC_OFF(kipc_queue_create, flags, 24);
KIPC_OFF(kipc_queue_create, max_msg_size, 28);
KIPC_OFF(kipc_queue_create, max_msgs, 32);
KIPC_OFF(kipc_queue_create, reserved0, 36);
KIPC_OFF(kipc_queue_create, max_bytes, 40);
KIPC_OFF(kipc_queue_create, reserved, 48);

KIPC_SIZE(kipc_queue_info, 208);
KIPC_OFF(kipc_queue_info, flags, 0);
KIPC_OFF(kipc_queue_info, queue_flags, 4);
KIPC_OFF(kipc_queue_info, obj, 8);
KIPC_OFF(kipc_queue_info, max_msg_size, 144);
KIPC_OFF(kipc_queue_info, max_msgs, 148);
KIPC_OFF(kipc_queue_info, max_bytes, 152);
KIPC_OFF(kipc_queue_info, msgs, 160);
KIPC_OFF(kipc_queue_info, inflight, 164);
KIPC_OFF(kipc_queue_info, bytes, 168);
KIPC_OFF(kipc_queue_info, reserved, 176);

KIPC_SIZE(kipc_queue_msg, 32);
KIPC_OFF(kipc_queue_msg, buf, 0);
KIPC_OFF(kipc_queue_msg, len, 8);
KIPC_OFF(kipc_queue_msg, prio, 12);
KIPC_OFF(kipc_queue_msg, pid, 16);
KIPC_OFF(kipc_queue_msg, uid, 20);
KIPC_OFF(kipc_queue_msg, gid, 24);
KIPC_OFF(kipc_queue_msg, reserved, 28);

KIPC_SIZE(kipc_queue_xfer, 64);
KIPC_OFF(kipc_queue_xfer, msg, 0);
KIPC_OFF(kipc_queue_xfer, flags, 32);
KIPC_OFF(kipc_queue_xfer, reserved0, 36);
KIPC_OFF(kipc_queue_xfer, timeout, 40);
KIPC_OFF(kipc_queue_xfer, reserved, 48);

KIPC_SIZE(kipc_queue_mxfer, 40);
KIPC_OFF(kipc_queue_mxfer, msgs, 0);
KIPC_OFF(kipc_queue_mxfer, count, 8);
KIPC_OFF(kipc_queue_mxfer, flags, 12);
KIPC_OFF(kipc_queue_mxfer, timeout, 16);
KIPC_OFF(kipc_queue_mxfer, reserved, 24);

/* Every ioctl: direction, number and (exact) size. */
KIPC_VAL(KIPC_IOC_MAGIC, 0xB9);
KIPC_IOC(KIPC_IOC_GET_INFO, _IOC_READ | _IOC_WRITE, 0x00, kipc_info);
KIPC_IOC(KIPC_IOC_OPEN, _IOC_READ | _IOC_WRITE, 0x01, kipc_open);
KIPC_IOC(KIPC_IOC_UNLINK, _IOC_WRITE, 0x02, kipc_unlink);
KIPC_IOC(KIPC_IOC_LIST, _IOC_READ | _IOC_WRITE, 0x03, kipc_list);
KIPC_IOC(KIPC_IOC_DUP, _IOC_READ | _IOC_WRITE, 0x04, kipc_dup);
KIPC_IOC(KIPC_IOC_RING_CREATE, _IOC_READ | _IOC_WRITE, 0x08, kipc_ring_create);
KIPC_IOC(KIPC_IOC_QUEUE_CREATE, _IOC_READ | _IOC_WRITE, 0x09, kipc_queue_create);
KIPC_IOC(KIPC_RING_IOC_INFO, _IOC_READ | _IOC_WRITE, 0x20, kipc_ring_info);
KIPC_IOC(KIPC_RING_IOC_WAIT, _IOC_READ | _IOC_WRITE, 0x21, kipc_ring_wait);
KIPC_IOC(KIPC_RING_IOC_WAKE, _IOC_WRITE, 0x22, kipc_ring_wake);
KIPC_IOC(KIPC_QUEUE_IOC_INFO, _IOC_READ | _IOC_WRITE, 0x28, kipc_queue_info);
KIPC_IOC(KIPC_QUEUE_IOC_SEND, _IOC_WRITE, 0x29, kipc_queue_xfer);
KIPC_IOC(KIPC_QUEUE_IOC_RECV, _IOC_READ | _IOC_WRITE, 0x2a, kipc_queue_xfer);
KIPC_IOC(KIPC_QUEUE_IOC_SENDV, _IOC_WRITE, 0x2b, kipc_queue_mxfer);
KIPC_IOC(KIPC_QUEUE_IOC_RECVV, _IOC_WRITE, 0x2c, kipc_queue_mxfer);

/* Constants and flag bits. */
KIPC_VAL(KIPC_ABI_VERSION, 3);
KIPC_VAL(KIPC_NAME_MAX, 64);
KIPC_VAL(KIPC_OBJ_RING, 1);
KIPC_VAL(KIPC_OBJ_QUEUE, 2);
KIPC_VAL(KIPC_ROLE_PRODUCER, 1U << 0);
KIPC_VAL(KIPC_ROLE_CONSUMER, 1U << 1);
KIPC_VAL(KIPC_FD_NONBLOCK, 1U << 0);
KIPC_VAL(KIPC_STATE_NO_PRODUCERS, 1U << 0);
KIPC_VAL(KIPC_STATE_NO_CONSUMERS, 1U << 1);
KIPC_VAL(KIPC_WAIT_NONBLOCK, 1U << 0);
KIPC_VAL(KIPC_WAIT_REALTIME, 1U << 1);
KIPC_VAL(KIPC_RECV_PEEK, 1U << 8);
KIPC_VAL(KIPC_FEAT_INFO, 1ULL << 0);
KIPC_VAL(KIPC_FEAT_RING, 1ULL << 1);
KIPC_VAL(KIPC_FEAT_QUEUE, 1ULL << 2);
KIPC_VAL(KIPC_FEAT_NAMES, 1ULL << 3);
KIPC_VAL(KIPC_FEAT_DUP, 1ULL << 4);
KIPC_VAL(KIPC_RING_F_MPSC, 1U << 0);
KIPC_VAL(KIPC_RING_OFF_LAYOUT, 0x00000000ULL);
KIPC_VAL(KIPC_RING_OFF_RING, 0x10000000ULL);
KIPC_VAL(KIPC_RING_OFF_CONS, 0x20000000ULL);
KIPC_VAL(KIPC_RING_MAGIC, 0x6b697072);
KIPC_VAL(KIPC_CACHELINE, 64);
KIPC_VAL(KIPC_RING_USER_OFFSET, 192);
KIPC_VAL(KIPC_EV_READABLE, 1);
KIPC_VAL(KIPC_EV_WRITABLE, 2);
KIPC_VAL(KIPC_ANNOUNCE_VALID, 1U << 31);
KIPC_VAL(KIPC_ANNOUNCE_USER, (1U << 30) | (1U << 29));
KIPC_VAL(KIPC_ANNOUNCE_SEQ, (1U << 29) - 1);
KIPC_VAL(KIPC_REC_PAD, 1U << 31);
KIPC_VAL(KIPC_REC_ALIGN, 8);
KIPC_VAL(KIPC_REC_SALT_SET, 1U << 31);
KIPC_VAL(KIPC_QUEUE_PRIO_MAX, 31);
KIPC_VAL(KIPC_QUEUE_PRIO_DEFAULT, 0);
KIPC_VAL(KIPC_QUEUE_VEC_MAX, 1024);

#endif /* KIPC_UAPI_LAYOUT_H */
