// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc rings and peers that misbehave: kill -9 of a producer or of a
 * consumer in the middle of a stream, and a hostile peer that scribbles
 * over the shared pages while the victim waits and polls.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "kselftest_harness.h"
#include "kipc_test.h"
#include "tring.h"

#define RING_SZ		(16 * 1024)

static void await_waiters(int fd, long long n)
{
	while (tobj_info(fd, "waiters") != n)
		usleep(1000);
}

FIXTURE(peer) {
	int dev;
	char name[64];
	uint64_t *progress;	/* shared with children */
};

FIXTURE_SETUP(peer)
{
	KIPC_TEST_OPEN_DEV(self->dev, KIPC_FEAT_RING);
	snprintf(self->name, sizeof(self->name), "peer-%d", (int)getpid());
	self->progress = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->progress);
}

FIXTURE_TEARDOWN(peer)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->progress && self->progress != MAP_FAILED)
		munmap(self->progress, 4096);
}

/*
 * Child: open @name as producer and stream records until killed.  It
 * closes its copy of the consumer fd @cfd, or it would be a consumer too.
 */
static pid_t spawn_producer(int dev, const char *name, int cfd,
			    uint64_t *progress)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct tring p;
		uint64_t seq, pos;
		void *pl;
		int fd;

		close(cfd);

		fd = tring_open(dev, name, KIPC_ROLE_PRODUCER, 0);
		if (fd < 0 || tring_map(&p, fd, KIPC_ROLE_PRODUCER))
			_exit(1);
		for (seq = 0;; seq++) {
			uint32_t len = tring_test_len(0, seq, p.max_record);

			if (tring_reserve_wait(&p, len, &pl, &pos, 0))
				_exit(2);
			tring_test_fill(pl, len, 0, seq);
			tring_commit(&p, pos, len);
			/* Counted after the commit: progress <= committed. */
			__atomic_store_n(progress, seq + 1, __ATOMIC_RELEASE);
		}
	}
	return pid;
}

/* Consume and check records until end of stream; the count or -1. */
static int64_t drain(struct __test_metadata *_metadata, struct tring *c,
		     uint64_t *seq)
{
	const void *rec;
	uint32_t len;
	int64_t n = 0;
	int ret;

	for (;;) {
		const char *why;

		ret = tring_peek_wait(c, &rec, &len, tring_deadline_ms(120000));
		if (ret == -ENODATA)
			return n;
		if (ret) {
			TH_LOG("after %" PRId64 " records: %s", n, strerror(-ret));
			return -1;
		}
		why = tring_test_check(rec, len, 0, *seq, c->max_record);
		if (why) {
			TH_LOG("record %" PRIu64 ": bad %s", *seq, why);
			return -1;
		}
		tring_consume(c, len);
		(*seq)++;
		n++;
	}
}

static void consume_n(struct __test_metadata *_metadata, struct tring *c,
		      uint64_t *seq, uint64_t n)
{
	const void *rec;
	uint32_t len;

	for (uint64_t i = 0; i < n; i++) {
		ASSERT_EQ(0, tring_peek_wait(c, &rec, &len, tring_deadline_ms(120000)));
		ASSERT_EQ(NULL, tring_test_check(rec, len, 0, *seq, c->max_record));
		tring_consume(c, len);
		(*seq)++;
	}
}

/*
 * kill -9 of a producer that sleeps on a full ring: every record it
 * committed is delivered, in order, then end of stream.
 */
TEST_F_TIMEOUT(peer, kill_producer_blocked, 300)
{
	struct pollfd pfd;
	uint64_t seq = 0, committed;
	struct tring c;
	int64_t rest;
	pid_t pid;
	int fd;

	fd = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER, self->name, 0600, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tring_map(&c, fd, KIPC_ROLE_CONSUMER));
	pid = spawn_producer(self->dev, self->name, fd, self->progress);
	ASSERT_LT(0, pid);
	consume_n(_metadata, &c, &seq, 20000);
	/* Stop reading: the producer fills the ring and sleeps. */
	await_waiters(fd, 1);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	committed = __atomic_load_n(self->progress, __ATOMIC_ACQUIRE);
	EXPECT_EQ(0, tring_unlink(self->dev, self->name));

	EXPECT_EQ(KIPC_STATE_NO_PRODUCERS, c.info->state);
	EXPECT_EQ(0, c.info->nr_producers);
	pfd.fd = fd;
	pfd.events = POLLIN;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN | POLLHUP, pfd.revents);
	EXPECT_EQ(TRING_HUP, tring_wait(fd, KIPC_EV_READABLE, c.prod->read_seq, 0, 0));

	rest = drain(_metadata, &c, &seq);
	ASSERT_LE(0, rest);
	EXPECT_LT(0, rest);	/* the ring was full */
	EXPECT_EQ(committed, seq);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLHUP, pfd.revents);
	tring_unmap(&c);
}

/* kill -9 of a producer in full flow: nothing committed is lost. */
TEST_F_TIMEOUT(peer, kill_producer_streaming, 300)
{
	uint64_t seq = 0, committed;
	struct tring c;
	int64_t rest;
	pid_t pid;
	int fd;

	fd = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_CONSUMER, self->name, 0600, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tring_map(&c, fd, KIPC_ROLE_CONSUMER));
	pid = spawn_producer(self->dev, self->name, fd, self->progress);
	ASSERT_LT(0, pid);
	consume_n(_metadata, &c, &seq, 30000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	committed = __atomic_load_n(self->progress, __ATOMIC_ACQUIRE);
	EXPECT_EQ(0, tring_unlink(self->dev, self->name));
	rest = drain(_metadata, &c, &seq);
	ASSERT_LE(0, rest);
	/* At most one record was committed but not yet counted. */
	EXPECT_LE(committed, seq);
	EXPECT_GE(committed + 1, seq);
	tring_unmap(&c);
}

/* kill -9 of the consumer: the producer's WAIT for room is -EPIPE. */
TEST_F_TIMEOUT(peer, kill_consumer, 300)
{
	struct pollfd pfd;
	struct tring p;
	uint64_t seq, pos;
	pid_t pid;
	void *pl;
	int fd, ret = 0;

	fd = tring_create(self->dev, RING_SZ, 0, KIPC_ROLE_PRODUCER, self->name, 0600, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tring_map(&p, fd, KIPC_ROLE_PRODUCER));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct tring c;
		int cfd;

		close(fd);
		cfd = tring_open(self->dev, self->name, KIPC_ROLE_CONSUMER, 0);
		if (cfd < 0 || tring_map(&c, cfd, KIPC_ROLE_CONSUMER))
			_exit(1);
		seq = 0;
		for (;;) {
			const void *rec;
			uint32_t len;

			if (tring_peek_wait(&c, &rec, &len, 0) ||
			    tring_test_check(rec, len, 0, seq, c.max_record))
				_exit(2);
			tring_consume(&c, len);
			__atomic_store_n(self->progress, ++seq, __ATOMIC_RELEASE);
		}
	}
	/* Wait for the consumer to be there before filling. */
	while (tobj_info(fd, "consumers") != 1)
		usleep(1000);
	for (seq = 0; seq < 20000; seq++) {
		uint32_t len = tring_test_len(0, seq, p.max_record);

		ASSERT_EQ(0, tring_reserve_wait(&p, len, &pl, &pos,
						tring_deadline_ms(120000)));
		tring_test_fill(pl, len, 0, seq);
		tring_commit(&p, pos, len);
	}
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	/* Keep producing: the ring fills up and then there is no one. */
	for (;; seq++) {
		uint32_t len = tring_test_len(0, seq, p.max_record);

		ret = tring_reserve_wait(&p, len, &pl, &pos, tring_deadline_ms(120000));
		if (ret)
			break;
		tring_test_fill(pl, len, 0, seq);
		tring_commit(&p, pos, len);
	}
	EXPECT_EQ(-EPIPE, ret);
	EXPECT_EQ(KIPC_STATE_NO_CONSUMERS, p.info->state);
	EXPECT_EQ(-EPIPE, tring_wait(fd, KIPC_EV_WRITABLE, p.cons->write_seq, 0, 0));
	pfd.fd = fd;
	pfd.events = POLLOUT;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLHUP);
	EXPECT_EQ(0, tring_unlink(self->dev, self->name));
	tring_unmap(&p);
}

/* Scribble over the shared pages until killed; WAKE now and then. */
static pid_t spawn_vandal(int dev, const char *name)
{
	pid_t pid = fork();

	if (pid == 0) {
		unsigned int seed = getpid();
		struct tring r;
		int fd;

		fd = tring_open(dev, name, KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER, 0);
		if (fd < 0 || tring_map(&r, fd, KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER))
			_exit(1);
		for (unsigned long i = 0;; i++) {
			uint64_t v = ((uint64_t)rand_r(&seed) << 33) ^
				     ((uint64_t)rand_r(&seed) << 2) ^ rand_r(&seed);
			uint64_t *ctrl = (uint64_t *)(i & 8 ? (void *)r.prod : (void *)r.cons);
			size_t off;

			switch (i % 8) {
			case 0:	/* positions: anything at all */
				r.cons->head = v;
				r.prod->tail = v ^ ((uint64_t)rand_r(&seed) << 20);
				break;
			case 1:	/* plausible positions */
				r.cons->head = v & ~7ULL;
				r.prod->tail = (v & ~7ULL) + (rand_r(&seed) % (2 * r.size));
				break;
			case 2:
				r.prod->read_seq = (uint32_t)v;
				r.cons->write_seq = (uint32_t)(v >> 32);
				r.cons->read_announce = rand_r(&seed);
				r.prod->write_announce = rand_r(&seed);
				break;
			case 3:	/* random words anywhere in a control page */
				ctrl[rand_r(&seed) % (4096 / 8)] = v;
				break;
			case 4:	/* fake record headers: committed, huge, padding */
				off = (rand_r(&seed) % r.size) & ~7UL;
				((uint32_t *)(r.data + off))[0] = (uint32_t)v |
					(rand_r(&seed) % 2 ? KIPC_REC_PAD : 0);
				((uint32_t *)(r.data + off))[1] =
					KIPC_REC_TAG(off, r.salt) ^ rand_r(&seed) % 2;
				break;
			case 5:
				off = rand_r(&seed) % (2 * r.size - 64);
				memset(r.data + off, (int)v, 64);
				break;
			case 6:
				tring_wake(r.fd, 1 + (v & 1));
				break;
			default:
				if (!(i % 4096))
					usleep(100);
				break;
			}
		}
	}
	return pid;
}

/*
 * A hostile peer: the kernel must not care, and the victim must keep
 * getting answers from WAIT and poll: a wake-up, a timeout, and finally
 * the hang-up when the vandal is killed.
 */
TEST_F_TIMEOUT(peer, hostile_peer, 600)
{
	uint32_t flags[] = { 0, KIPC_RING_F_MPSC };

	for (int v = 0; v < 2; v++) {
		struct kipc_obj_entry ents[16];
		struct kipc_list ls;
		struct pollfd pfd[2];
		unsigned int seed = 42;
		int cfd, pfdp, n0 = 0, nt = 0, nio = 0, nrec = 0;
		struct tring c;
		pid_t pid;

		cfd = tring_create(self->dev, RING_SZ, flags[v], KIPC_ROLE_CONSUMER,
				   self->name, 0600, 0);
		ASSERT_LE(0, cfd);
		/* The victim also produces, to wait for room. */
		pfdp = tring_open(self->dev, self->name, KIPC_ROLE_PRODUCER, 0);
		ASSERT_LE(0, pfdp);
		ASSERT_EQ(0, tring_map(&c, cfd, KIPC_ROLE_CONSUMER));
		pid = spawn_vandal(self->dev, self->name);
		ASSERT_LT(0, pid);
		while (tobj_info(cfd, "producers") != 2)
			usleep(1000);

		for (int i = 0; i < 3000; i++) {
			uint32_t seq = i % 3 ? c.prod->read_seq : (uint32_t)rand_r(&seed);
			const void *rec;
			uint32_t len;
			int ret;

			ret = tring_wait(cfd, KIPC_EV_READABLE, seq,
					 tring_deadline_ms(i % 50 ? 1 : 20), 0);
			ASSERT_TRUE(ret == 0 || ret == -ETIMEDOUT) TH_LOG("WAIT: %d", ret);
			ret == 0 ? n0++ : nt++;
			ret = tring_wait(pfdp, KIPC_EV_WRITABLE, c.cons->write_seq,
					 tring_deadline_ms(1), 0);
			ASSERT_TRUE(ret == 0 || ret == -ETIMEDOUT) TH_LOG("WAIT: %d", ret);

			pfd[0].fd = cfd;
			pfd[0].events = POLLIN;
			pfd[1].fd = pfdp;
			pfd[1].events = POLLOUT;
			ret = poll(pfd, 2, i % 10 ? 0 : 1);
			ASSERT_LE(0, ret);
			ASSERT_EQ(0, pfd[0].revents & ~POLLIN);
			ASSERT_EQ(0, pfd[1].revents & ~POLLOUT);

			/* The victim's own reads: errors or junk, never a crash. */
			ret = tring_peek(&c, &rec, &len);
			if (ret == 1) {
				volatile unsigned char sink = 0;

				for (uint32_t k = 0; k < len; k += 512)
					sink ^= ((const unsigned char *)rec)[k];
				(void)sink;
				nrec++;
			} else if (ret < 0) {
				nio++;
			}
			if (i % 100 == 0) {
				tobj_info(cfd, "used");
				memset(&ls, 0, sizeof(ls));
				ls.entries = (uintptr_t)ents;
				ls.nr_entries = 16;
				ASSERT_EQ(0, ioctl(self->dev, KIPC_IOC_LIST, &ls));
				for (unsigned int k = 0; k < ls.nr_entries; k++)
					if (ents[k].obj.type == KIPC_OBJ_RING)
						ASSERT_GE(RING_SZ, ents[k].used);
			}
		}
		TH_LOG("flags %u: %d wake-ups, %d timeouts, %d bad reads, %d junk records",
		       flags[v], n0, nt, nio, nrec);
		EXPECT_LT(0, n0);
		/* A timeout still works when the count holds still. */
		close(pfdp);
		ASSERT_EQ(0, kill(pid, SIGSTOP));
		{
			uint32_t seq = c.prod->read_seq;

			/* Stopped: if it was inside WAKE, that's done now. */
			usleep(10000);
			seq = c.prod->read_seq;
			EXPECT_EQ(-ETIMEDOUT, tring_wait(cfd, KIPC_EV_READABLE, seq,
							 tring_deadline_ms(20), 0));
		}
		/* A wake-up from someone else still works. */
		{
			pid_t w;
			uint32_t seq = c.prod->read_seq;

			w = fork();
			ASSERT_LE(0, w);
			if (w == 0) {
				int wfd = tring_open(self->dev, self->name,
						     KIPC_ROLE_PRODUCER, 0);
				struct tring wr;

				/* The count is the producers' to move. */
				if (wfd < 0 || tring_map(&wr, wfd, KIPC_ROLE_PRODUCER))
					_exit(1);
				await_waiters(wfd, 1);
				__atomic_fetch_add(&wr.prod->read_seq, 1, __ATOMIC_SEQ_CST);
				_exit(tring_wake(wfd, KIPC_EV_READABLE) ? 2 : 0);
			}
			EXPECT_EQ(0, tring_wait(cfd, KIPC_EV_READABLE, seq, 0, 0));
			int st;

			ASSERT_EQ(w, waitpid(w, &st, 0));
			EXPECT_EQ(0, st);
		}
		/* And the hang-up. */
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, NULL, 0));
		EXPECT_EQ(TRING_HUP, tring_wait(cfd, KIPC_EV_READABLE,
						    c.prod->read_seq, 0, 0));
		pfd[0].fd = cfd;
		pfd[0].events = POLLIN;
		EXPECT_EQ(1, poll(pfd, 1, 0));
		EXPECT_TRUE(pfd[0].revents & POLLHUP);
		EXPECT_EQ(0, tring_unlink(self->dev, self->name));
		tring_unmap(&c);
	}
}

KIPC_TEST_HARNESS_MAIN
