// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * /dev/kipc control-device ioctl surface: KIPC_IOC_GET_INFO and bad input.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

/* GET_INFO with an explicit structure size in the command number. */
#define GET_INFO_SZ(sz) _IOC(_IOC_READ | _IOC_WRITE, KIPC_IOC_MAGIC, 0x00, (sz))

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open("/dev/kipc", O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && (errno == ENOENT || errno == ENXIO || errno == ENODEV))
		SKIP(_exit(255), "kipc module not loaded");
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(dev, get_info)
{
	struct kipc_info info;

	memset(&info, 0, sizeof(info));
	/* Output fields poisoned: the kernel must overwrite them. */
	info.abi_version = 0xdeadbeef;
	info.features = ~0ULL;
	info.page_size = 0xdeadbeef;
	info.obj_types = ~0ULL;
	info.max_ring_size = ~0ULL;
	info.max_msg_size = 0xdeadbeef;
	ASSERT_EQ(0, ioctl(self->fd, KIPC_IOC_GET_INFO, &info));
	EXPECT_EQ(KIPC_ABI_VERSION, info.abi_version);
	EXPECT_TRUE(info.features & KIPC_FEAT_INFO);
	EXPECT_EQ(sysconf(_SC_PAGESIZE), info.page_size);
	EXPECT_EQ((1ULL << KIPC_OBJ_RING) | (1ULL << KIPC_OBJ_QUEUE),
		  info.obj_types);
	EXPECT_EQ(0, info.flags);
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(0, info.reserved[i]);
}

TEST_F(dev, unknown_commands)
{
	char buf[256] = { 0 };

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, _IO(KIPC_IOC_MAGIC, 0x7f), buf));
	EXPECT_EQ(ENOTTY, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(KIPC_IOC_MAGIC, 0xfe, struct kipc_info), buf));
	EXPECT_EQ(ENOTTY, errno);
	/* Right number, wrong magic. */
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(0x42, 0x00, struct kipc_info), buf));
	EXPECT_EQ(ENOTTY, errno);
	/* Right number, wrong direction. */
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, _IOR(KIPC_IOC_MAGIC, 0x00, struct kipc_info), buf));
	EXPECT_EQ(ENOTTY, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, _IO(KIPC_IOC_MAGIC, 0x00), buf));
	EXPECT_EQ(ENOTTY, errno);
	/* Generic file ioctls are not ours either. */
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, TCGETS, buf));
	EXPECT_EQ(ENOTTY, errno);
}

/* The size is part of the command: any other size is another command. */
TEST_F(dev, wrong_size)
{
	static char buf[16384];

	for (unsigned int sz = 0; sz <= 256; sz += 4) {
		if (sz == sizeof(struct kipc_info))
			continue;
		memset(buf, 0, sizeof(buf));
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, GET_INFO_SZ(sz), buf));
		EXPECT_EQ(ENOTTY, errno);
	}
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, GET_INFO_SZ(8192), buf));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, reserved_and_flags)
{
	struct kipc_info info;

	memset(&info, 0, sizeof(info));
	info.flags = 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);

	memset(&info, 0, sizeof(info));
	info.flags = 1U << 31;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);

	for (int i = 0; i < 5; i++) {
		memset(&info, 0, sizeof(info));
		info.reserved[i] = 1ULL << (i * 16);
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_GET_INFO, &info));
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_F(dev, garbage_struct)
{
	unsigned char buf[sizeof(struct kipc_info)];
	unsigned int seed = 12345;

	for (int round = 0; round < 1000; round++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = rand_r(&seed);
		buf[0] |= 1;	/* flags != 0: must be refused */
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_GET_INFO, buf));
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_F(dev, bad_pointers)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *map;

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_GET_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);

	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	memset(map, 0, 2 * pg);
	ASSERT_EQ(0, munmap(map + pg, pg));

	/* Wholly unmapped. */
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_GET_INFO, map + pg));
	EXPECT_EQ(EFAULT, errno);

	/* Straddling the end of the mapping. */
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_GET_INFO, map + pg - 16));
	EXPECT_EQ(EFAULT, errno);

	/* Read-only memory: the input is readable, the answer cannot land. */
	ASSERT_EQ(0, mprotect(map, pg, PROT_READ));
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_GET_INFO, map));
	EXPECT_EQ(EFAULT, errno);

	/* Kernel address. */
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_GET_INFO, (void *)0xffffffff81000000UL));
	EXPECT_EQ(EFAULT, errno);
	munmap(map, pg);
}

TEST_F(dev, unprivileged_and_nonblocking)
{
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_info info;
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(2);
		fd = open("/dev/kipc", O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			_exit(3);
		memset(&info, 0, sizeof(info));
		if (ioctl(fd, KIPC_IOC_GET_INFO, &info) || info.abi_version != KIPC_ABI_VERSION)
			_exit(4);
		_exit(0);
	}
	int status;

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(dev, no_read_write_seek)
{
	char c;

	errno = 0;
	EXPECT_EQ(-1, read(self->fd, &c, 1));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, write(self->fd, &c, 1));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, lseek(self->fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
}

TEST_F(dev, open_and_unlink_names)
{
	static const char *const bad[] = {
		"", ".hidden", "a/b", "sp ace", "tab\t", "new\nline", "\x7f",
		"01234567890123456789012345678901234567890123456789012345678901234",
	};
	struct kipc_unlink ul;
	struct kipc_open op;
	char long_name[200];

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&op, 0, sizeof(op));
		op.name = (uintptr_t)bad[i];
		op.type = KIPC_OBJ_RING;
		op.role = KIPC_ROLE_CONSUMER;
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_OPEN, &op)) TH_LOG("name %u", i);
		EXPECT_EQ(EINVAL, errno) TH_LOG("name %u", i);
		memset(&ul, 0, sizeof(ul));
		ul.name = (uintptr_t)bad[i];
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_UNLINK, &ul));
		EXPECT_EQ(EINVAL, errno);
	}
	/* Not NUL-terminated within the limit. */
	memset(long_name, 'x', sizeof(long_name));
	memset(&op, 0, sizeof(op));
	op.name = (uintptr_t)long_name;
	op.type = KIPC_OBJ_QUEUE;
	op.role = KIPC_ROLE_PRODUCER;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_OPEN, &op));
	EXPECT_EQ(EINVAL, errno);

	/* Valid but absent. */
	op.name = (uintptr_t)"kipc-dev-test-absent";
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_OPEN, &op));
	EXPECT_EQ(ENOENT, errno);
	memset(&ul, 0, sizeof(ul));
	ul.name = (uintptr_t)"kipc-dev-test-absent";
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_UNLINK, &ul));
	EXPECT_EQ(ENOENT, errno);

	/* Bad type, role, fd_flags, reserved, fd. */
	memset(&op, 0, sizeof(op));
	op.name = (uintptr_t)"kipc-dev-test-absent";
	op.role = KIPC_ROLE_CONSUMER;
	op.type = 3;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_OPEN, &op));
	EXPECT_EQ(EINVAL, errno);
	op.type = KIPC_OBJ_RING;
	op.role = 0;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_OPEN, &op));
	EXPECT_EQ(EINVAL, errno);
	op.role = 4;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_OPEN, &op));
	EXPECT_EQ(EINVAL, errno);
	op.role = KIPC_ROLE_CONSUMER;
	op.fd_flags = 2;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_OPEN, &op));
	EXPECT_EQ(EINVAL, errno);
	op.fd_flags = 0;
	op.reserved[2] = 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_OPEN, &op));
	EXPECT_EQ(EINVAL, errno);
	op.reserved[2] = 0;
	op.fd = 5;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_OPEN, &op));
	EXPECT_EQ(EINVAL, errno);

	memset(&ul, 0, sizeof(ul));
	ul.name = (uintptr_t)"kipc-dev-test-absent";
	ul.flags = 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_UNLINK, &ul));
	EXPECT_EQ(EINVAL, errno);
	ul.flags = 0;
	ul.type = 9;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_UNLINK, &ul));
	EXPECT_EQ(EINVAL, errno);

	/* Name pointer NULL or unmapped. */
	memset(&op, 0, sizeof(op));
	op.type = KIPC_OBJ_RING;
	op.role = KIPC_ROLE_CONSUMER;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_OPEN, &op));
	EXPECT_EQ(EFAULT, errno);
	op.name = 0xffffffff81000000ULL;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_OPEN, &op));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, list)
{
	struct kipc_obj_entry ents[4];
	struct kipc_list ls;

	memset(&ls, 0, sizeof(ls));
	ASSERT_EQ(0, ioctl(self->fd, KIPC_IOC_LIST, &ls));
	EXPECT_EQ(0, ls.nr_entries);

	memset(ents, 0xaa, sizeof(ents));
	memset(&ls, 0, sizeof(ls));
	ls.entries = (uintptr_t)ents;
	ls.nr_entries = 4;
	ASSERT_EQ(0, ioctl(self->fd, KIPC_IOC_LIST, &ls));
	EXPECT_LE(ls.nr_entries, ls.nr_total);
	EXPECT_LE(ls.nr_entries, 4);

	memset(&ls, 0, sizeof(ls));
	ls.reserved0 = 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_LIST, &ls));
	EXPECT_EQ(EINVAL, errno);
	ls.reserved0 = 0;
	ls.flags = 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_LIST, &ls));
	EXPECT_EQ(EINVAL, errno);
	ls.flags = 0;
	ls.nr_total = 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_LIST, &ls));
	EXPECT_EQ(EINVAL, errno);
	ls.nr_total = 0;
	ls.reserved[1] = 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KIPC_IOC_LIST, &ls));
	EXPECT_EQ(EINVAL, errno);
}

KIPC_TEST_HARNESS_MAIN
