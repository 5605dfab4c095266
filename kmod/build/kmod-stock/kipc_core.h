/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kipc - internal interfaces shared by the files of the module.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef _KIPC_CORE_H
#define _KIPC_CORE_H

#include <linux/types.h>
#include <linux/kipc.h>

struct file;

int kipc_copy_args_in(void *karg, size_t ksize, size_t ver0,
		      unsigned int cmd, const void __user *uarg);
int kipc_copy_args_out(void __user *uarg, unsigned int cmd,
		       const void *karg, size_t ksize);

#endif /* _KIPC_CORE_H */
