// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkipc - version queries and access to the kernel module.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "kipc.h"
#include "kipc_private.h"

_Static_assert(KIPC_FEATURE_RING == KIPC_FEAT_RING, "feature bits");
_Static_assert(KIPC_FEATURE_QUEUE == KIPC_FEAT_QUEUE, "feature bits");
_Static_assert(KIPC_FEATURE_NAMES == KIPC_FEAT_NAMES, "feature bits");
_Static_assert(KIPC_FEATURE_DUP == KIPC_FEAT_DUP, "feature bits");

int kipc_version(void)
{
	return (KIPC_VERSION_MAJOR << 16) | KIPC_VERSION_MINOR;
}

int kipc_version_major(void)
{
	return KIPC_VERSION_MAJOR;
}

int kipc_version_minor(void)
{
	return KIPC_VERSION_MINOR;
}

bool kipc_check_version(int major, int minor)
{
	if (major != KIPC_VERSION_MAJOR)
		return major < KIPC_VERSION_MAJOR;
	return minor <= KIPC_VERSION_MINOR;
}

int kipc__ioctl(int fd, unsigned long cmd, void *arg)
{
	int saved = errno;
	int ret = ioctl(fd, cmd, arg);

	if (ret < 0)
		ret = -errno;
	errno = saved;
	return ret;
}

int kipc__open_dev(void)
{
	const char *path = secure_getenv("KIPC_DEV");
	int saved = errno;
	int fd;

	if (!path || !*path)
		path = KIPC_DEV_PATH;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fd = -errno;
		/* A missing node and a missing driver both mean "no module". */
		if (fd == -ENOENT || fd == -ENXIO)
			fd = -ENODEV;
	}
	errno = saved;
	return fd;
}

int kipc_module_info(struct kipc_module_info *info)
{
	struct kipc_info ki;
	int fd, ret;

	if (!info)
		return -EINVAL;
	fd = kipc__open_dev();
	if (fd < 0)
		return fd;
	memset(&ki, 0, sizeof(ki));
	ret = kipc__ioctl(fd, KIPC_IOC_GET_INFO, &ki);
	close(fd);
	if (ret == -ENOTTY)
		return -ENODEV;	/* not kipc behind that node */
	if (ret < 0)
		return ret;

	memset(info, 0, sizeof(*info));
	info->abi_version = ki.abi_version;
	info->page_size = ki.page_size;
	info->features = ki.features;
	info->max_ring_size = ki.max_ring_size;
	info->max_msg_size = ki.max_msg_size;
	return 0;
}

int64_t kipc_features(void)
{
	struct kipc_module_info info;
	int ret = kipc_module_info(&info);

	return ret < 0 ? ret : (int64_t)info.features;
}
