// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Receive from a kipc channel inside an io_uring event loop.  A fork()ed
 * child sends COUNT messages in bursts; the parent waits with
 * kipc_uring_prep_poll() (IORING_OP_POLL_ADD on kipc_fd(), with the
 * channel armed so no wake-up is lost), then drains with KIPC_NOWAIT
 * until -EAGAIN -- which arms the channel again -- and re-submits.
 *
 *   uring_poll [COUNT]
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kipc-uring.h>

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 0) : 10000;
	unsigned long got = 0, polls = 0;
	struct io_uring ring;
	kipc_chan tx, rx;
	int ret, eof = 0;
	pid_t pid;

	ret = kipc_pair(&tx, &rx, NULL);
	if (ret < 0) {
		fprintf(stderr, "kipc_pair: %s\n", strerror(-ret));
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		struct timespec pause = { 0, 200000 };

		kipc_close(rx);
		for (unsigned long i = 0; i < count; i++) {
			if (kipc_send(tx, &i, sizeof(i)) < 0)
				_exit(1);
			if (i % 100 == 99)
				nanosleep(&pause, NULL);	/* let the reader sleep */
		}
		_exit(0);
	}
	kipc_close(tx);
	ret = io_uring_queue_init(8, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	while (!eof) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		struct io_uring_cqe *cqe;
		unsigned long v;

		ret = kipc_uring_prep_poll(sqe, rx);
		if (ret < 0)
			break;
		io_uring_submit(&ring);
		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret < 0)
			break;
		io_uring_cqe_seen(&ring, cqe);
		polls++;
		while ((ret = kipc_recv_timed(rx, &v, sizeof(v), KIPC_NOWAIT)) > 0) {
			if (v != got) {
				fprintf(stderr, "got %lu, want %lu\n", v, got);
				return 1;
			}
			got++;
		}
		if (ret == 0)
			eof = 1;
		else if (ret != -EAGAIN)
			break;
	}
	io_uring_queue_exit(&ring);
	kipc_close(rx);
	waitpid(pid, NULL, 0);
	printf("received %lu of %lu messages in %lu io_uring polls\n", got, count, polls);
	return eof && got == count ? 0 : 1;
}
