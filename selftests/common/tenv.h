/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * tenv - the system around a kipc selftest: module parameters, memory
 * cgroups, users, user and time namespaces.  Functions return 0, a
 * value, or -errno; -EOPNOTSUPP means "this system cannot do it" and
 * is a reason to skip.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef KIPC_SELFTEST_TENV_H
#define KIPC_SELFTEST_TENV_H

#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

/* Write @s to the file @path: 0 or -errno. */
int tenv_write_file(const char *path, const char *s);

/* Wait for child @pid: its exit status, 128 + the signal that killed it, or -1. */
int tenv_reap(pid_t pid);

/* Become @id (uid and gid) with no supplementary groups, for good. */
int tenv_become(uid_t id);

/*
 * Unshare a new user namespace (plus @nsflags, such as CLONE_NEWIPC) in
 * which root is the caller's uid and gid outside.  0, the -errno of
 * unshare (-EPERM, -EINVAL, -ENOSPC: no user namespaces here), or -EIO
 * when the maps could not be written.
 */
int tenv_enter_userns(int nsflags);

/*
 * A kipc module parameter (/sys/module/kipc/parameters/@name) as a
 * number.  tenv_param_set() needs root; -EOPNOTSUPP when the parameter
 * is not there or not writable.
 */
long long tenv_param_get(const char *name);
int tenv_param_set(const char *name, unsigned long long val);

/*
 * A new memory cgroup under the cgroup2 root (mounted on /sys/fs/cgroup
 * if it is not yet), with memory.max = @max bytes; its path goes to @cg.
 * Needs root, cgroup2 and the memory controller: -EOPNOTSUPP otherwise.
 */
int tenv_memcg_new(char *cg, size_t n, const char *tag, uint64_t max);
/* Move the calling process into @cg. */
int tenv_memcg_enter(const char *cg);
/*
 * A number from a file of @cg: the first word of it when @key is NULL
 * ("memory.current"), else the value after "@key " ("memory.events",
 * "oom_kill").  -errno, or -ENOENT when @key is absent.
 */
long long tenv_memcg_read(const char *cg, const char *file, const char *key);
int tenv_memcg_remove(const char *cg);

/*
 * Run @fn(@arg) in a child in a new time namespace whose CLOCK_MONOTONIC
 * is the host's plus @mono_offset_s seconds, and return its exit status:
 * @fn's return value (0..254) when it returned, 128 + signal when it was
 * killed, TENV_NO_TIMENS when the system has no time namespaces, or
 * another value above 200 when the set-up failed.
 */
#define TENV_NO_TIMENS	255
int tenv_in_timens(long long mono_offset_s, int (*fn)(void *), void *arg);

/* Seconds since boot on CLOCK_MONOTONIC of the host (not namespaced). */
long long tenv_uptime_s(void);

#endif /* KIPC_SELFTEST_TENV_H */
