// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-queue-pingpong - does the queue's hand-off to a waiting receiver
 * ("pipelined send") pay off?  A measurement program, not a test.
 *
 * Two processes bounce a message through two kernel queues (A->B, B->A),
 * so every receive finds its queue empty and sleeps: each send then
 * either hands its message straight to the sleeper, or queues it and
 * wakes the sleeper, which takes the lock again to dequeue it.  A
 * streaming run (one sender, one receiver, single messages) is measured
 * too.  The module parameter queue_handoff switches the behaviour
 * between rounds, alternately, so both modes see the same conditions.
 *
 *   kipc-queue-pingpong [ROUNDTRIPS [REPEATS [CPU]]]   (root, module loaded)
 *
 * With CPU, both processes are pinned to it: every wake-up is then a
 * context switch on one CPU, which isolates the kernel path from the
 * cross-CPU wake-up latency (large and erratic under TCG).
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kipc.h>

#define PARAM	"/sys/module/kipc/parameters/queue_handoff"
#define MSG	64

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int set_handoff(int on)
{
	int fd = open(PARAM, O_WRONLY | O_CLOEXEC);
	int ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, on ? "Y" : "N", 1) == 1;
	close(fd);
	return ok ? 0 : -EIO;
}

static int create(int dev)
{
	struct kipc_queue_create qc;

	memset(&qc, 0, sizeof(qc));
	qc.obj.role = KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER;
	qc.max_msg_size = MSG;
	qc.max_msgs = 64;
	qc.obj.mode = 0600;
	return ioctl(dev, KIPC_IOC_QUEUE_CREATE, &qc);
}

static int xfer(int fd, unsigned long cmd, void *buf)
{
	struct kipc_queue_xfer x;

	memset(&x, 0, sizeof(x));
	x.msg.buf = (uintptr_t)buf;
	x.msg.len = MSG;
	return ioctl(fd, cmd, &x);
}

/* ns per round trip */
static double pingpong(int dev, long n)
{
	char buf[MSG] = "ping";
	int ab = create(dev), ba = create(dev);
	uint64_t t0;
	pid_t pid;
	long i;

	if (ab < 0 || ba < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < n; i++) {
			if (xfer(ab, KIPC_QUEUE_IOC_RECV, buf) != MSG ||
			    xfer(ba, KIPC_QUEUE_IOC_SEND, buf))
				_exit(1);
		}
		_exit(0);
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (xfer(ab, KIPC_QUEUE_IOC_SEND, buf) ||
		    xfer(ba, KIPC_QUEUE_IOC_RECV, buf) != MSG)
			return -1;
	}
	t0 = now_ns() - t0;
	waitpid(pid, NULL, 0);
	close(ab);
	close(ba);
	return (double)t0 / n;
}

/* ns per message, one sender streaming to one receiver */
static double stream(int dev, long n)
{
	char buf[MSG] = "data";
	int q = create(dev);
	uint64_t t0;
	pid_t pid;
	long i;

	if (q < 0)
		return -1;
	t0 = now_ns();
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < n; i++)
			if (xfer(q, KIPC_QUEUE_IOC_SEND, buf))
				_exit(1);
		_exit(0);
	}
	for (i = 0; i < n; i++)
		if (xfer(q, KIPC_QUEUE_IOC_RECV, buf) != MSG)
			return -1;
	t0 = now_ns() - t0;
	waitpid(pid, NULL, 0);
	close(q);
	return (double)t0 / n;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	int reps = argc > 2 ? atoi(argv[2]) : 4;
	int cpu = argc > 3 ? atoi(argv[3]) : -1;
	double pp[2] = { 0 }, st[2] = { 0 };
	int dev, r, mode;

	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			perror("sched_setaffinity");
			return 1;
		}
	}
	dev = open("/dev/kipc", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		perror("/dev/kipc");
		return 1;
	}
	if (set_handoff(1)) {
		fprintf(stderr, "cannot write %s\n", PARAM);
		return 1;
	}
	printf("# %ld round trips / messages of %d bytes, %d repeats, alternating, %s\n",
	       n, MSG, reps, cpu >= 0 ? "pinned to one CPU" : "unpinned");
	printf("# mode      pingpong-ns/rt  stream-ns/msg\n");
	for (r = 0; r < reps; r++) {
		for (mode = 1; mode >= 0; mode--) {
			double a, b;

			set_handoff(mode);
			a = pingpong(dev, n);
			b = stream(dev, n);
			if (a < 0 || b < 0) {
				fprintf(stderr, "run failed\n");
				return 1;
			}
			pp[mode] += a;
			st[mode] += b;
			printf("%-10s %14.0f %14.0f\n", mode ? "handoff" : "no-handoff", a, b);
		}
	}
	set_handoff(1);
	printf("mean handoff:    pingpong %.0f ns/rt, stream %.0f ns/msg\n",
	       pp[1] / reps, st[1] / reps);
	printf("mean no-handoff: pingpong %.0f ns/rt, stream %.0f ns/msg\n",
	       pp[0] / reps, st[0] / reps);
	printf("ratio no-handoff/handoff: pingpong %.3f, stream %.3f\n",
	       pp[0] / pp[1], st[0] / st[1]);
	return 0;
}
