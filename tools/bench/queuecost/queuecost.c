// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * queuecost - CPU cost per 64 B message of the kmod queue's calls against
 * POSIX mq, in one process: fill 1024 messages, drain them, per call
 * (SEND/RECV, mq_send/mq_receive) and in batches of 32 (SENDV/RECVV).
 * With nobody waiting, this is the work of each call alone, no wake-ups
 * and no cache-line traffic between CPUs; the first of the rounds warms
 * up.  Also prints a null system call and a null ioctl for scale.
 * Run in the test-bed VM with the module loaded: see run.sh.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/kipc.h>

#define N 1024
#define L 64
static uint64_t ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000ull + t.tv_nsec; }
static char buf[N][L];

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 50;
	struct kipc_queue_create qc = { 0 };
	int dfd = open("/dev/kipc", O_RDWR), fd;
	double ks = 0, kr = 0, kvs = 0, kvr = 0, ms = 0, mr = 0;
	struct mq_attr a = { .mq_maxmsg = N, .mq_msgsize = L };
	mqd_t mq;

	qc.obj.role = KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER;
	qc.max_msg_size = L; qc.max_bytes = 1 << 20; qc.obj.mode = 0600;
	if (dfd < 0 || ioctl(dfd, KIPC_IOC_QUEUE_CREATE, &qc) < 0) { perror("queue"); return 1; }
	fd = qc.obj.fd;
	mq = mq_open("/kipc-queuecost", O_RDWR | O_CREAT, 0600, &a);
	if (mq == (mqd_t)-1) { perror("mq_open"); return 1; }
	mq_unlink("/kipc-queuecost");
	for (int r = 0; r < rounds; r++) {
		struct kipc_queue_xfer x;
		struct kipc_queue_msg m[32];
		struct kipc_queue_mxfer mx;
		uint64_t t0 = ns();
		for (int i = 0; i < N; i++) {
			memset(&x, 0, sizeof(x)); x.msg.buf = (uintptr_t)buf[i]; x.msg.len = L;
			if (ioctl(fd, KIPC_QUEUE_IOC_SEND, &x)) { perror("send"); return 1; }
		}
		uint64_t t1 = ns();
		for (int i = 0; i < N; i++) {
			memset(&x, 0, sizeof(x)); x.msg.buf = (uintptr_t)buf[i]; x.msg.len = L;
			if (ioctl(fd, KIPC_QUEUE_IOC_RECV, &x) != L) { perror("recv"); return 1; }
		}
		uint64_t t2 = ns();
		for (int i = 0; i < N; i += 32) {
			for (int j = 0; j < 32; j++) m[j] = (struct kipc_queue_msg){ .buf = (uintptr_t)buf[i + j], .len = L };
			memset(&mx, 0, sizeof(mx)); mx.msgs = (uintptr_t)m; mx.count = 32;
			if (ioctl(fd, KIPC_QUEUE_IOC_SENDV, &mx) != 32) { perror("sendv"); return 1; }
		}
		uint64_t t3 = ns();
		for (int i = 0; i < N; i += 32) {
			for (int j = 0; j < 32; j++) m[j] = (struct kipc_queue_msg){ .buf = (uintptr_t)buf[i + j], .len = L };
			memset(&mx, 0, sizeof(mx)); mx.msgs = (uintptr_t)m; mx.count = 32;
			if (ioctl(fd, KIPC_QUEUE_IOC_RECVV, &mx) != 32) { perror("recvv"); return 1; }
		}
		uint64_t t4 = ns();
		for (int i = 0; i < N; i++)
			if (mq_send(mq, buf[i], L, 0)) { perror("mq_send"); return 1; }
		uint64_t t5 = ns();
		for (int i = 0; i < N; i++)
			if (mq_receive(mq, buf[i], L, NULL) != L) { perror("mq_receive"); return 1; }
		uint64_t t6 = ns();
		if (r) {	/* the first round warms up */
			ks += t1 - t0; kr += t2 - t1; kvs += t3 - t2; kvr += t4 - t3; ms += t5 - t4; mr += t6 - t5;
		}
	}
	double d = (double)N * (rounds - 1);
	{
		uint64_t a0 = ns();
		for (int i = 0; i < 100000; i++)
			syscall(SYS_getppid);
		uint64_t a1 = ns();
		for (int i = 0; i < 100000; i++)
			ioctl(fd, _IO(0xfe, 0x7f), 0);
		uint64_t a2 = ns();
		printf("queuecost null syscall (getppid) %.0f ns, null ioctl (ENOTTY) %.0f ns\n",
		       (a1 - a0) / 1e5, (a2 - a1) / 1e5);
	}
	printf("queuecost ns/msg: queue SEND %.0f RECV %.0f | SENDV %.0f RECVV %.0f | mq_send %.0f mq_receive %.0f\n",
	       ks / d, kr / d, kvs / d, kvr / d, ms / d, mr / d);
	printf("queuecost cost ratio queue/mq: unbatched (SEND+RECV) %.2f, batched (SENDV+RECVV) %.2f\n",
	       (ks + kr) / (ms + mr), (kvs + kvr) / (ms + mr));
	return 0;
}
