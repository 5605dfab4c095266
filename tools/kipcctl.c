// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipcctl - inspect and drive kipc from a shell.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kipc.h>

#include <kipc.h>

/* kipcctl is an administration tool: it talks to /dev/kipc directly. */
static int open_dev(void)
{
	const char *path = getenv("KIPC_DEV");
	int fd = open(path && *path ? path : KIPC_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "kipcctl: %s: %s\n", path && *path ? path : KIPC_DEV_PATH,
			strerror(errno));
	return fd;
}

static const char *type_name(uint32_t type)
{
	switch (type) {
	case KIPC_OBJ_RING:
		return "ring";
	case KIPC_OBJ_QUEUE:
		return "queue";
	default:
		return "?";
	}
}

static int cmd_list(void)
{
	struct kipc_obj_entry *ents = NULL;
	struct kipc_list ls;
	uint32_t cap = 64;
	int fd, ret = 1;

	fd = open_dev();
	if (fd < 0)
		return 1;
	for (;;) {
		free(ents);
		ents = calloc(cap, sizeof(*ents));
		if (!ents)
			goto out;
		memset(&ls, 0, sizeof(ls));
		ls.entries = (uintptr_t)ents;
		ls.nr_entries = cap;
		if (ioctl(fd, KIPC_IOC_LIST, &ls)) {
			fprintf(stderr, "kipcctl: list: %s\n", strerror(errno));
			goto out;
		}
		if (ls.nr_total <= cap)
			break;
		cap = ls.nr_total + 16;
	}
	printf("%-6s %-5s %-4s %6s %6s %4s %4s %5s %10s %10s %8s %4s %s\n",
	       "ID", "TYPE", "MODE", "UID", "GID", "PROD", "CONS", "STATE",
	       "SIZE", "USED", "COUNT", "WAIT", "NAME");
	for (uint32_t i = 0; i < ls.nr_entries; i++) {
		const struct kipc_obj_entry *e = &ents[i];
		const struct kipc_obj_head *h = &e->obj;

		printf("%-6" PRIu64 " %-5s %04o %6u %6u %4u %4u %#5x %10" PRIu64
		       " %10" PRIu64 " %8" PRIu64 " %4u %s\n",
		       (uint64_t)h->id, type_name(h->type), h->mode, h->uid,
		       h->gid, h->nr_producers, h->nr_consumers, h->state,
		       (uint64_t)e->size, (uint64_t)e->used, (uint64_t)e->count,
		       h->read_waiters + h->write_waiters,
		       h->name[0] ? h->name : "-");
	}
	ret = 0;
out:
	free(ents);
	close(fd);
	return ret;
}

static int cmd_unlink(const char *type, const char *name)
{
	struct kipc_unlink ul;
	int fd, ret;

	memset(&ul, 0, sizeof(ul));
	if (!strcmp(type, "ring"))
		ul.type = KIPC_OBJ_RING;
	else if (!strcmp(type, "queue"))
		ul.type = KIPC_OBJ_QUEUE;
	else if (strcmp(type, "any")) {
		fprintf(stderr, "kipcctl: unlink: type must be ring, queue or any\n");
		return 2;
	}
	ul.name = (uintptr_t)name;
	fd = open_dev();
	if (fd < 0)
		return 1;
	ret = ioctl(fd, KIPC_IOC_UNLINK, &ul);
	if (ret)
		fprintf(stderr, "kipcctl: unlink %s: %s\n", name, strerror(errno));
	close(fd);
	return ret ? 1 : 0;
}

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
	printf("features:     0x%" PRIx64 "%s%s%s%s%s\n", info.features,
	       info.features & KIPC_FEATURE_INFO ? " info" : "",
	       info.features & KIPC_FEATURE_RING ? " ring" : "",
	       info.features & KIPC_FEATURE_QUEUE ? " queue" : "",
	       info.features & KIPC_FEATURE_NAMES ? " names" : "",
	       info.features & KIPC_FEATURE_DUP ? " dup" : "");
	printf("page size:    %" PRIu32 "\n", info.page_size);
	printf("max ring:     %" PRIu64 " bytes\n", info.max_ring_size);
	printf("max message:  %" PRIu32 " bytes\n", info.max_msg_size);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: kipcctl info\n"
		   "       kipcctl list\n"
		   "       kipcctl unlink ring|queue|any NAME\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "info"))
		return cmd_info();
	if (!strcmp(argv[1], "list"))
		return cmd_list();
	if (!strcmp(argv[1], "unlink") && argc == 4)
		return cmd_unlink(argv[2], argv[3]);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "kipcctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
