/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kipc - every difference between the kernels kipc builds against.
 *
 * kmod/Kbuild force-includes this header into every object, so the rest
 * of the module is written against the newest kernel API and has no
 * LINUX_VERSION_CODE checks of its own.  Each shim below provides a newer
 * interface on the older kernels that lack it, under the newer name, and
 * says in which release that interface appeared.
 *
 * Differences that need no shim:
 *   - Linux 6.12 removed no_llseek.  The file_operations leave ->llseek
 *     NULL instead: do_dentry_open() (after ->open(), so also for the
 *     misc device) and alloc_file() clear FMODE_LSEEK for such files, as
 *     6.1 already does; older kernels' vfs_llseek() fell back to
 *     no_llseek() itself.  lseek() fails with -ESPIPE on every kernel.
 *
 * Copyright (C) 2026 The kipc authors.
 */

#ifndef _KIPC_COMPAT_H
#define _KIPC_COMPAT_H

#include <linux/version.h>

/*
 * Linux 6.3 made vma->vm_flags read-only; it is changed through
 * vm_flags_set() and vm_flags_clear(), which also check that the caller
 * holds the mmap lock for writing (as ->mmap() callers do).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
#include <linux/mm_types.h>

static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma,
				  vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * Linux 6.12 packed struct fd into one word: its file is read with
 * fd_file() and its absence tested with fd_empty().
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#include <linux/file.h>

#define fd_file(f) ((f).file)

static inline bool fd_empty(struct fd f)
{
	return unlikely(!f.file);
}
#endif

#endif /* _KIPC_COMPAT_H */
