/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkipc - fast, safe inter-process communication.
 *
 * The one public header of libkipc.  Every function returns 0, a count,
 * or a negative errno value; none of them sets errno.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef KIPC_H
#define KIPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KIPC_VERSION_MAJOR	1
#define KIPC_VERSION_MINOR	0

/* Version of the library the program runs against, as (major << 16) | minor. */
int kipc_version(void);
int kipc_version_major(void);
int kipc_version_minor(void);
/* True when the running library is at least major.minor. */
bool kipc_check_version(int major, int minor);

/* Path of the control device; KIPC_DEV environment variable overrides it. */
#define KIPC_DEV_PATH		"/dev/kipc"

/* Feature bits of the running kernel module (KIPC_FEAT_* of the UAPI). */
#define KIPC_FEATURE_INFO	(1ULL << 0)
#define KIPC_FEATURE_RING	(1ULL << 1)
#define KIPC_FEATURE_QUEUE	(1ULL << 2)
#define KIPC_FEATURE_NAMES	(1ULL << 3)

struct kipc_module_info {
	uint32_t abi_version;	/* ABI version of the loaded module */
	uint32_t page_size;
	uint64_t features;	/* KIPC_FEATURE_* */
	uint64_t max_ring_size;	/* bytes, 0 if rings are not supported */
	uint32_t max_msg_size;	/* bytes, 0 if queues are not supported */
	uint32_t reserved[5];
};

/*
 * Ask the kernel module about itself.  Returns 0, -ENODEV when the
 * module is not loaded (no /dev/kipc), -EACCES when the device cannot be
 * opened, or another negative errno.
 */
int kipc_module_info(struct kipc_module_info *info);

/* Shorthand: the feature mask, or a negative errno as above. */
int64_t kipc_features(void);

#ifdef __cplusplus
}
#endif

#endif /* KIPC_H */
