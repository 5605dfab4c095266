// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * tenv - module parameters, memory cgroups, users and namespaces for
 * the selftests (see tenv.h).
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tenv.h"

#define CGROUP_ROOT	"/sys/fs/cgroup"

/* Read @path into @buf (NUL-terminated): the length or -errno. */
static int read_file(const char *path, char *buf, size_t n)
{
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, n - 1);
	if (len < 0)
		len = -errno;
	close(fd);
	if (len < 0)
		return len;
	buf[len] = 0;
	return len;
}

int tenv_write_file(const char *path, const char *s)
{
	size_t len = strlen(s);
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, s, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

int tenv_become(uid_t id)
{
	if (setgroups(0, NULL) || setresgid(id, id, id) || setresuid(id, id, id))
		return -errno;
	return 0;
}

int tenv_enter_userns(int nsflags)
{
	char umap[32], gmap[32];

	snprintf(umap, sizeof(umap), "0 %u 1\n", (unsigned int)getuid());
	snprintf(gmap, sizeof(gmap), "0 %u 1\n", (unsigned int)getgid());
	/* A uid change made us undumpable, and /proc/self root's. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return -errno;
	if (unshare(CLONE_NEWUSER | nsflags))
		return -errno;
	if (tenv_write_file("/proc/self/uid_map", umap) ||
	    tenv_write_file("/proc/self/setgroups", "deny") ||
	    tenv_write_file("/proc/self/gid_map", gmap))
		return -EIO;
	return 0;
}

long long tenv_param_get(const char *name)
{
	char path[128], buf[64];
	int ret;

	snprintf(path, sizeof(path), "/sys/module/kipc/parameters/%s", name);
	ret = read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret == -ENOENT ? -EOPNOTSUPP : ret;
	return strtoll(buf, NULL, 0);
}

int tenv_param_set(const char *name, unsigned long long val)
{
	char path[128], buf[32];
	int ret;

	snprintf(path, sizeof(path), "/sys/module/kipc/parameters/%s", name);
	snprintf(buf, sizeof(buf), "%llu", val);
	ret = tenv_write_file(path, buf);
	if (ret == -ENOENT || ret == -EACCES || ret == -EPERM)
		return -EOPNOTSUPP;
	return ret;
}

int tenv_memcg_new(char *cg, size_t n, const char *tag, uint64_t max)
{
	char path[256], buf[256];
	int ret;

	if (geteuid() != 0)
		return -EOPNOTSUPP;
	if (access(CGROUP_ROOT "/cgroup.controllers", F_OK))
		mount("none", CGROUP_ROOT, "cgroup2", 0, NULL);
	if (read_file(CGROUP_ROOT "/cgroup.controllers", buf, sizeof(buf)) < 0 ||
	    !strstr(buf, "memory"))
		return -EOPNOTSUPP;
	/* Already enabled on a systemd host; needed in the bare test VM. */
	if (read_file(CGROUP_ROOT "/cgroup.subtree_control", buf, sizeof(buf)) < 0 ||
	    !strstr(buf, "memory")) {
		ret = tenv_write_file(CGROUP_ROOT "/cgroup.subtree_control", "+memory");
		if (ret)
			return ret;
	}
	snprintf(cg, n, CGROUP_ROOT "/kipc-%s-%d", tag, (int)getpid());
	if (mkdir(cg, 0755))
		return -errno;
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)max);
	ret = tenv_write_file(path, buf);
	if (ret)
		rmdir(cg);
	return ret;
}

int tenv_memcg_enter(const char *cg)
{
	char path[256], me[16];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(me, sizeof(me), "%d", (int)getpid());
	return tenv_write_file(path, me);
}

long long tenv_memcg_read(const char *cg, const char *file, const char *key)
{
	char path[256], buf[2048], *p = buf;
	size_t klen;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	ret = read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	if (!key)
		return strtoll(buf, NULL, 0);
	klen = strlen(key);
	for (; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
		if (!strncmp(p, key, klen) && p[klen] == ' ')
			return strtoll(p + klen + 1, NULL, 0);
	return -ENOENT;
}

int tenv_memcg_remove(const char *cg)
{
	return rmdir(cg) ? -errno : 0;
}

int tenv_in_timens(long long mono_offset_s, int (*fn)(void *), void *arg)
{
	char off[64];
	pid_t pid;
	int ret;

	pid = fork();
	if (pid < 0)
		return 201;
	if (pid == 0) {
		if (unshare(CLONE_NEWTIME))
			_exit(TENV_NO_TIMENS);
		snprintf(off, sizeof(off), "monotonic %lld 0", mono_offset_s);
		/* Only before a task entered the namespace, so here. */
		if (tenv_write_file("/proc/self/timens_offsets", off))
			_exit(202);
		pid = fork();	/* only children enter the new namespace */
		if (pid < 0)
			_exit(203);
		if (pid == 0)
			_exit(fn(arg));
		ret = tenv_reap(pid);
		_exit(ret < 0 ? 204 : ret);
	}
	ret = tenv_reap(pid);
	return ret < 0 ? 205 : ret;
}

int tenv_reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

long long tenv_uptime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}
