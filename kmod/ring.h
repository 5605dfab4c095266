/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kipc - shared-memory rings: what the rest of the module sees.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef _KIPC_RING_H
#define _KIPC_RING_H

#include <linux/types.h>

long kipc_ioc_ring_create(void __user *uarg);
u64 kipc_ring_max_size(void);

#endif /* _KIPC_RING_H */
