// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Producer/consumer over an anonymous kipc channel shared with a fork()ed
 * child.  The child produces COUNT numbered messages, the parent checks
 * and counts them until end of stream.
 *
 *   producer_consumer [COUNT]      (KIPC_BACKEND=kmod|shm|unix|pipe to force)
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kipc.h>

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	unsigned long got = 0;
	kipc_chan tx, rx;
	char buf[256];
	int ret, status;
	pid_t pid;

	ret = kipc_pair(&tx, &rx, NULL);
	if (ret < 0) {
		fprintf(stderr, "kipc_pair: %s\n", strerror(-ret));
		return 1;
	}
	printf("backend: %s\n", kipc_backend_name(kipc_backend(tx)));
	fflush(stdout);

	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		kipc_close(rx);
		for (unsigned long i = 0; i < count; i++) {
			int n = snprintf(buf, sizeof(buf), "message %lu", i);

			ret = kipc_send(tx, buf, (size_t)n + 1);
			if (ret < 0) {
				fprintf(stderr, "kipc_send: %s\n", strerror(-ret));
				_exit(1);
			}
		}
		kipc_close(tx);	/* the consumer sees end of stream */
		_exit(0);
	}

	kipc_close(tx);
	while ((ret = kipc_recv(rx, buf, sizeof(buf))) > 0) {
		char want[64];

		snprintf(want, sizeof(want), "message %lu", got);
		if (strcmp(buf, want)) {
			fprintf(stderr, "out of order: got '%s', want '%s'\n", buf, want);
			return 1;
		}
		got++;
	}
	if (ret < 0)
		fprintf(stderr, "kipc_recv: %s\n", strerror(-ret));
	kipc_close(rx);
	waitpid(pid, &status, 0);
	printf("received %lu of %lu messages\n", got, count);
	return got == count && ret == 0 && WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : 1;
}
