/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * kipc - fast, safe inter-process communication.
 *
 * User-space ABI of /dev/kipc.  Every structure is made of __u32/__u64
 * fields only, has explicit padding, and is laid out identically for 32-
 * and 64-bit callers.  Pointers travel as __u64.  Reserved fields and
 * unknown flag bits must be zero, or the kernel returns -EINVAL.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef _UAPI_LINUX_KIPC_H
#define _UAPI_LINUX_KIPC_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define KIPC_DEVICE_NAME	"kipc"
#define KIPC_ABI_VERSION	1

#define KIPC_IOC_MAGIC		0xB9

/*
 * Size-versioned ioctls.  The size encoded in the command number is the
 * size of the structure the caller was compiled against.  The kernel
 * accepts any size from the first published one (*_SIZE_VER0) up to one
 * page: fields the caller does not know are treated as zero on input and
 * are not written on output, and bytes beyond the kernel's own structure
 * must be zero (or the call fails with -E2BIG), exactly as clone3() and
 * openat2() handle their argument structures.
 */

/* ---------------------------------------------------------------------- */
/* Device information                                                      */
/* ---------------------------------------------------------------------- */

/* Feature bits reported in kipc_info.features. */
#define KIPC_FEAT_INFO		_BITULL(0)	/* KIPC_IOC_GET_INFO */
#define KIPC_FEAT_RING		_BITULL(1)	/* shared-memory rings */
#define KIPC_FEAT_QUEUE		_BITULL(2)	/* kernel message queues */
#define KIPC_FEAT_NAMES		_BITULL(3)	/* named objects */

/**
 * struct kipc_info - answer of KIPC_IOC_GET_INFO
 * @flags:	in: must be zero.
 * @abi_version: out: KIPC_ABI_VERSION of the running module.
 * @features:	out: KIPC_FEAT_* bits the module implements.
 * @max_ring_size: out: largest ring data area, in bytes.
 * @max_msg_size: out: largest queue message, in bytes.
 * @page_size:	out: the kernel's PAGE_SIZE.
 * @struct_size: out: sizeof(struct kipc_info) in the kernel.
 * @reserved:	in: must be zero; out: zero.
 */
struct kipc_info {
	__u32 flags;
	__u32 abi_version;
	__u64 features;
	__u64 max_ring_size;
	__u32 max_msg_size;
	__u32 page_size;
	__u32 struct_size;
	__u32 reserved0;
	__u64 reserved[4];
};

#define KIPC_INFO_SIZE_VER0	72

#define KIPC_IOC_GET_INFO	_IOWR(KIPC_IOC_MAGIC, 0x00, struct kipc_info)

#endif /* _UAPI_LINUX_KIPC_H */
