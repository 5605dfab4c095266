// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkipc basics that need no kernel module: versions, the "module not
 * loaded" answer, argument checks, and errno left alone.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <kipc.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

TEST(version)
{
	EXPECT_EQ(KIPC_VERSION_MAJOR, kipc_version_major());
	EXPECT_EQ(KIPC_VERSION_MINOR, kipc_version_minor());
	EXPECT_EQ((KIPC_VERSION_MAJOR << 16) | KIPC_VERSION_MINOR, kipc_version());
	EXPECT_TRUE(kipc_check_version(KIPC_VERSION_MAJOR, KIPC_VERSION_MINOR));
	EXPECT_TRUE(kipc_check_version(KIPC_VERSION_MAJOR, 0));
	EXPECT_FALSE(kipc_check_version(KIPC_VERSION_MAJOR, KIPC_VERSION_MINOR + 1));
	EXPECT_FALSE(kipc_check_version(KIPC_VERSION_MAJOR + 1, 0));
	EXPECT_TRUE(kipc_check_version(KIPC_VERSION_MAJOR - 1, 99));
}

TEST(module_absent)
{
	struct kipc_module_info info;

	ASSERT_EQ(0, setenv("KIPC_DEV", "/nonexistent/kipc", 1));
	errno = 4242;
	EXPECT_EQ(-ENODEV, kipc_module_info(&info));
	EXPECT_EQ(4242, errno);
	EXPECT_EQ(-ENODEV, kipc_features());
	unsetenv("KIPC_DEV");
}

TEST(not_a_kipc_device)
{
	struct kipc_module_info info;

	/* /dev/null answers ioctls with ENOTTY: that is not kipc. */
	ASSERT_EQ(0, setenv("KIPC_DEV", "/dev/null", 1));
	errno = 4242;
	EXPECT_EQ(-ENODEV, kipc_module_info(&info));
	EXPECT_EQ(4242, errno);
	unsetenv("KIPC_DEV");
}

TEST(null_argument)
{
	EXPECT_EQ(-EINVAL, kipc_module_info(NULL));
}

TEST(module_present_if_loaded)
{
	struct kipc_module_info info;
	int ret;

	memset(&info, 0xaa, sizeof(info));
	ret = kipc_module_info(&info);
	if (ret == -ENODEV)
		SKIP(return, "kipc module not loaded");
	ASSERT_EQ(0, ret);
	EXPECT_EQ(3, info.abi_version);	/* KIPC_ABI_VERSION */
	EXPECT_TRUE(info.features & KIPC_FEATURE_INFO);
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(0, info.reserved[i]);
}

KIPC_TEST_HARNESS_MAIN
