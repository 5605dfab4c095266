// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench - counting system calls, not guessing them.
 *
 * Each worker counts its own system calls with a perf counter on the
 * raw_syscalls:sys_enter tracepoint (pid 0, any CPU).  The kernel
 * increments it on every syscall entry of the task, whoever issued it:
 * the benchmark, libc, or libkipc.  Nothing is estimated.
 *
 * The counter is enabled by an ioctl whose own entry happened before the
 * enable, so it is not counted; the disabling ioctl is.  That fixed
 * overhead is measured once (enable, disable, read with nothing between)
 * and subtracted.
 *
 * Finding the tracepoint id needs tracefs.  When it is not mounted,
 * env.c mounts it in a private mount namespace of a short-lived child, so
 * the machine's mount table is left as it was.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

static long syscount_overhead = -1;

int syscount_open(void)
{
	struct perf_event_attr attr;
	int fd;

	if (bench_env.syscall_tp < 0)
		return bench_env.syscall_tp;
	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.size = sizeof(attr);
	attr.config = (uint64_t)bench_env.syscall_tp;
	attr.disabled = 1;
	attr.exclude_hv = 1;
	fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscount_overhead < 0) {
		syscount_start(fd);
		syscount_overhead = 0;
		syscount_overhead = syscount_stop(fd);
		if (syscount_overhead < 0)
			syscount_overhead = 0;
	}
	return fd;
}

int syscount_start(int fd)
{
	if (ioctl(fd, PERF_EVENT_IOC_RESET, 0) || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0))
		return -errno;
	return 0;
}

long syscount_stop(int fd)
{
	uint64_t v;

	if (ioctl(fd, PERF_EVENT_IOC_DISABLE, 0))
		return -errno;
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return -EIO;
	return (long)v - (syscount_overhead > 0 ? syscount_overhead : 0);
}

void syscount_close(int fd)
{
	if (fd >= 0)
		close(fd);
}
