// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipcctl - inspect and drive kipc from a shell.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <kipc.h>

static int cmd_info(void)
{
	struct kipc_module_info info;
	int ret = kipc_module_info(&info);

	printf("libkipc:      %d.%d\n", kipc_version_major(),
	       kipc_version_minor());
	if (ret < 0) {
		printf("module:       not available (%s)\n", strerror(-ret));
		return ret == -ENODEV ? 0 : 1;
	}
	printf("module ABI:   %" PRIu32 "\n", info.abi_version);
	printf("features:     0x%" PRIx64 "%s%s%s%s\n", info.features,
	       info.features & KIPC_FEATURE_INFO ? " info" : "",
	       info.features & KIPC_FEATURE_RING ? " ring" : "",
	       info.features & KIPC_FEATURE_QUEUE ? " queue" : "",
	       info.features & KIPC_FEATURE_NAMES ? " names" : "");
	printf("page size:    %" PRIu32 "\n", info.page_size);
	printf("max ring:     %" PRIu64 " bytes\n", info.max_ring_size);
	printf("max message:  %" PRIu32 " bytes\n", info.max_msg_size);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: kipcctl info\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "info"))
		return cmd_info();
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "kipcctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
