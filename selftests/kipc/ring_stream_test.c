// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc rings under load: a million records of random sizes between
 * forked processes, between separately exec'ed programs that meet by
 * name, and from four producers on a multi-producer ring; and a
 * lost-wake-up stress test in which both sides sleep all the time.
 *
 * Every record carries its sequence number and a checksum, and its
 * length follows from (producer, sequence), so the consumer notices a
 * lost, duplicated, reordered or corrupted record at once.
 *
 * The test process itself only watches: it starts the peers, follows
 * their progress in shared memory, and turns a stall (a lost wake-up)
 * into a failure with the ring's fdinfo, instead of a hang.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

#define MAX_PRODUCERS	4
/* Seconds without any progress that count as a hang. */
#define STALL_SECONDS	180

/* Shared between the watcher and the peers (MAP_SHARED or a memfd). */
struct stream_shm {
	uint32_t producers_open;
	uint64_t consumed;
	uint64_t produced[MAX_PRODUCERS];
	uint64_t cons_waits, cons_wakes;
	uint64_t prod_waits[MAX_PRODUCERS], prod_wakes[MAX_PRODUCERS];
	uint64_t wraps;
	char why[256];
};

struct stream_cfg {
	uint64_t size;
	uint32_t flags;
	uint32_t nprod;
	uint64_t per_prod;
	bool exec_peers;
	bool slow_phases;	/* lost-wake-up stress: alternate who is slow */
};

/* In slow phases one side naps between records so the other must sleep. */
static void stream_pace(bool slow_phases, bool consumer, uint64_t n)
{
	bool consumer_slow = (n / 1500) % 2 == 0;

	if (slow_phases && consumer == consumer_slow && n % 4 == 0)
		usleep(50);
}

static int run_producer(const char *name, uint32_t id, uint64_t count,
			bool slow, struct stream_shm *shm)
{
	struct tring p;
	uint64_t seq, pos;
	int dev, fd, ret;
	void *pl;

	dev = tring_dev();
	if (dev < 0)
		return 10;
	fd = tring_open(dev, name, KIPC_ROLE_PRODUCER, 0);
	close(dev);
	if (fd < 0)
		return 11;
	__atomic_fetch_add(&shm->producers_open, 1, __ATOMIC_SEQ_CST);
	if (tring_map(&p, fd, KIPC_ROLE_PRODUCER))
		return 12;
	for (seq = 0; seq < count; seq++) {
		uint32_t len = tring_test_len(id, seq, p.max_record);

		stream_pace(slow, false, seq);
		ret = tring_reserve_wait(&p, len, &pl, &pos, 0);
		if (ret) {
			snprintf(shm->why, sizeof(shm->why),
				 "producer %u: reserve %" PRIu64 ": %s", id, seq,
				 strerror(-ret));
			return 13;
		}
		tring_test_fill(pl, len, id, seq);
		tring_commit(&p, pos, len);
		__atomic_store_n(&shm->produced[id], seq + 1, __ATOMIC_RELAXED);
	}
	shm->prod_waits[id] = p.nr_waits;
	shm->prod_wakes[id] = p.nr_wakes;
	tring_unmap(&p);
	return 0;
}

static int run_consumer(const char *name, uint32_t nprod, uint64_t per_prod,
			bool slow, struct stream_shm *shm)
{
	uint64_t next[MAX_PRODUCERS] = { 0 }, total = 0;
	const void *rec;
	struct tring c;
	int dev, fd, ret;
	uint32_t len;

	dev = tring_dev();
	if (dev < 0)
		return 20;
	fd = tring_open(dev, name, KIPC_ROLE_CONSUMER, 0);
	close(dev);
	if (fd < 0)
		return 21;
	if (tring_map(&c, fd, KIPC_ROLE_CONSUMER))
		return 22;
	for (;;) {
		const char *why;
		int id;

		stream_pace(slow, true, total);
		ret = tring_peek_wait(&c, &rec, &len, 0);
		if (ret == -ENODATA)
			break;
		if (ret) {
			snprintf(shm->why, sizeof(shm->why),
				 "consumer: after %" PRIu64 " records: %s", total,
				 strerror(-ret));
			return 23;
		}
		id = nprod == 1 ? 0 : tring_test_producer(rec, len);
		if (id < 0 || (uint32_t)id >= nprod || next[id] >= per_prod) {
			snprintf(shm->why, sizeof(shm->why),
				 "consumer: record %" PRIu64 " (len %u) from unknown producer %d",
				 total, len, id);
			return 24;
		}
		why = tring_test_check(rec, len, id, next[id], c.max_record);
		if (why) {
			snprintf(shm->why, sizeof(shm->why),
				 "consumer: producer %d record %" PRIu64 " (len %u): bad %s",
				 id, next[id], len, why);
			return 25;
		}
		next[id]++;
		total++;
		tring_consume(&c, len);
		__atomic_store_n(&shm->consumed, total, __ATOMIC_RELAXED);
	}
	for (uint32_t i = 0; i < nprod; i++) {
		if (next[i] != per_prod) {
			snprintf(shm->why, sizeof(shm->why),
				 "consumer: end of stream after %" PRIu64 " of %" PRIu64
				 " records of producer %u", next[i], per_prod, i);
			return 26;
		}
	}
	shm->cons_waits = c.nr_waits;
	shm->cons_wakes = c.nr_wakes;
	shm->wraps = c.cons->head / c.size;
	tring_unmap(&c);
	return 0;
}

/*
 * Start a peer: a fork, or a fork + exec of this very program.  A forked
 * peer closes the watcher's ring fds (@wfd, @wpfd) first: sharing them
 * would make it a producer and a consumer besides its own role.
 */
static pid_t spawn_peer(const struct stream_cfg *cfg, int shmfd,
			struct stream_shm *shm, const char *name, bool consumer,
			uint32_t id, int wfd, int wpfd)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	close(wfd);
	close(wpfd);
	if (cfg->exec_peers) {
		char a_id[16], a_n[32], a_np[16], a_fd[16];

		snprintf(a_id, sizeof(a_id), "%u", id);
		snprintf(a_n, sizeof(a_n), "%" PRIu64, cfg->per_prod);
		snprintf(a_np, sizeof(a_np), "%u", cfg->nprod);
		snprintf(a_fd, sizeof(a_fd), "%d", shmfd);
		execl("/proc/self/exe", "ring_stream_test", "--ring-peer",
		      consumer ? "consumer" : "producer", name, a_id, a_np, a_n,
		      a_fd, cfg->slow_phases ? "slow" : "fast", (char *)NULL);
		_exit(99);
	}
	if (consumer)
		_exit(run_consumer(name, cfg->nprod, cfg->per_prod,
				   cfg->slow_phases, shm));
	_exit(run_producer(name, id, cfg->per_prod, cfg->slow_phases, shm));
}

/* The separately exec'ed peer: ring_stream_test --ring-peer ROLE NAME ... */
static int peer_main(int argc, char **argv)
{
	struct stream_shm *shm;
	uint32_t id, nprod;
	uint64_t count;
	bool slow;
	int shmfd;

	if (argc != 9)
		return 90;
	id = strtoul(argv[4], NULL, 0);
	nprod = strtoul(argv[5], NULL, 0);
	count = strtoull(argv[6], NULL, 0);
	shmfd = atoi(argv[7]);
	slow = !strcmp(argv[8], "slow");
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED, shmfd, 0);
	if (shm == MAP_FAILED || id >= MAX_PRODUCERS || nprod > MAX_PRODUCERS)
		return 91;
	close(shmfd);
	if (!strcmp(argv[2], "consumer"))
		return run_consumer(argv[3], nprod, count, slow, shm);
	return run_producer(argv[3], id, count, slow, shm);
}

static uint64_t progress(const struct stream_shm *shm)
{
	uint64_t sum = __atomic_load_n(&shm->consumed, __ATOMIC_RELAXED);

	for (int i = 0; i < MAX_PRODUCERS; i++)
		sum += __atomic_load_n(&shm->produced[i], __ATOMIC_RELAXED);
	return sum;
}

static void dump_fdinfo(int fd)
{
	char path[64], buf[2048];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n > 0) {
		buf[n] = 0;
		fprintf(stderr, "# ring state:\n%s", buf);
	}
}

/*
 * Run one stream: a named ring, @cfg->nprod producers and one consumer,
 * each a process that opens the ring by name.  Returns 0 or fails.
 */
static void run_stream(struct __test_metadata *_metadata, int dev,
		       const struct stream_cfg *nominal, struct stream_shm **out)
{
	struct stream_cfg scaled = *nominal, *cfg = &scaled;
	pid_t pids[MAX_PRODUCERS + 1];
	struct stream_shm *shm;
	uint64_t last = 0, t0 = tring_now_ns(CLOCK_MONOTONIC);
	int shmfd, fd, pfd, alive, stalled = 0;
	char name[64];

	scaled.per_prod = kipc_test_volume(nominal->per_prod);
	shmfd = memfd_create("stream", 0);	/* inherited across exec */
	ASSERT_LE(0, shmfd);
	ASSERT_EQ(0, ftruncate(shmfd, sizeof(*shm)));
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED, shmfd, 0);
	ASSERT_NE(MAP_FAILED, shm);
	*out = shm;

	snprintf(name, sizeof(name), "stream-%d", (int)getpid());
	/*
	 * The watcher holds a consumer fd for the whole run: then no
	 * producer can see "no consumer" before the real one has opened.
	 * It never consumes.
	 */
	fd = tring_create(dev, cfg->size, cfg->flags, KIPC_ROLE_CONSUMER, name, 0600, 0);
	ASSERT_LE(0, fd);
	/*
	 * Likewise a producer fd until every producer has opened, or the
	 * first one to finish would end the stream for the others.
	 */
	pfd = tring_open(dev, name, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, pfd);

	pids[0] = spawn_peer(cfg, shmfd, shm, name, true, 0, fd, pfd);
	ASSERT_LT(0, pids[0]);
	for (uint32_t i = 0; i < cfg->nprod; i++) {
		pids[i + 1] = spawn_peer(cfg, shmfd, shm, name, false, i, fd, pfd);
		ASSERT_LT(0, pids[i + 1]);
	}
	close(shmfd);

	alive = cfg->nprod + 1;
	while (alive) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid > 0) {
			alive--;
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				TH_LOG("peer %d failed: status %#x: %s", pid, status, shm->why);
				dump_fdinfo(fd);
				for (uint32_t i = 0; i <= cfg->nprod; i++)
					kill(pids[i], SIGKILL);
				while (wait(NULL) > 0)
					;
				ASSERT_TRUE(0);
			}
			continue;
		}
		if (pfd >= 0 && __atomic_load_n(&shm->producers_open, __ATOMIC_SEQ_CST) == cfg->nprod) {
			close(pfd);
			pfd = -1;
		}
		if (progress(shm) != last) {
			last = progress(shm);
			stalled = 0;
		} else if (++stalled > STALL_SECONDS * 10) {
			TH_LOG("no progress for %d s: lost wake-up? consumed %" PRIu64,
			       STALL_SECONDS, shm->consumed);
			dump_fdinfo(fd);
			for (uint32_t i = 0; i <= cfg->nprod; i++)
				kill(pids[i], SIGKILL);
			while (wait(NULL) > 0)
				;
			ASSERT_TRUE(0);
		}
		usleep(100000);
	}
	if (pfd >= 0)
		close(pfd);
	EXPECT_EQ(0, tring_unlink(dev, name));
	close(fd);
	EXPECT_EQ(cfg->nprod * cfg->per_prod, shm->consumed);
	TH_LOG("%" PRIu64 " records in %.1f s, %" PRIu64 " wrap-arounds; consumer slept %" PRIu64
	       " times, woke producers %" PRIu64 " times; producer 0 slept %" PRIu64
	       " times, woke the consumer %" PRIu64 " times",
	       shm->consumed, (tring_now_ns(CLOCK_MONOTONIC) - t0) / 1e9,
	       shm->wraps, shm->cons_waits, shm->cons_wakes,
	       shm->prod_waits[0], shm->prod_wakes[0]);
}

FIXTURE(stream) {
	int dev;
	struct stream_shm *shm;
};

FIXTURE_SETUP(stream)
{
	KIPC_TEST_OPEN_DEV(self->dev, KIPC_FEAT_RING);
}

FIXTURE_TEARDOWN(stream)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->shm)
		munmap(self->shm, sizeof(*self->shm));
}

TEST_F_TIMEOUT(stream, fork_spsc_1m, 1800)
{
	struct stream_cfg cfg = {
		.size = 16 * 1024, .nprod = 1, .per_prod = 1000000,
	};

	run_stream(_metadata, self->dev, &cfg, &self->shm);
	EXPECT_LT(kipc_test_volume(1000), self->shm->wraps);
}

TEST_F_TIMEOUT(stream, exec_named_1m, 1800)
{
	struct stream_cfg cfg = {
		.size = 16 * 1024, .nprod = 1, .per_prod = 1000000,
		.exec_peers = true,
	};

	run_stream(_metadata, self->dev, &cfg, &self->shm);
	EXPECT_LT(kipc_test_volume(1000), self->shm->wraps);
}

TEST_F_TIMEOUT(stream, mpsc_4_producers_1m, 1800)
{
	struct stream_cfg cfg = {
		.size = 16 * 1024, .flags = KIPC_RING_F_MPSC, .nprod = 4,
		.per_prod = 250000,
	};

	run_stream(_metadata, self->dev, &cfg, &self->shm);
	EXPECT_LT(kipc_test_volume(1000), self->shm->wraps);
}

/*
 * Lost wake-ups: one page of ring, short records, and phases in which
 * one side naps so that the other keeps finding the ring full or empty
 * and goes to sleep.  A lost wake-up stalls the stream; the watcher
 * turns that into a failure.
 */
TEST_F_TIMEOUT(stream, lost_wakeup_stress, 1800)
{
	struct stream_cfg cfg = {
		.size = 4096, .nprod = 1, .per_prod = 300000,
		.slow_phases = true,
	};

	run_stream(_metadata, self->dev, &cfg, &self->shm);
	/* Both sides really slept, many times. */
	EXPECT_LT(kipc_test_volume(100), self->shm->cons_waits);
	EXPECT_LT(kipc_test_volume(100), self->shm->prod_waits[0]);
}

TEST_F_TIMEOUT(stream, lost_wakeup_stress_mpsc, 1800)
{
	struct stream_cfg cfg = {
		.size = 4096, .flags = KIPC_RING_F_MPSC, .nprod = 2,
		.per_prod = 100000, .slow_phases = true,
	};

	run_stream(_metadata, self->dev, &cfg, &self->shm);
	EXPECT_LT(kipc_test_volume(100), self->shm->cons_waits);
	EXPECT_LT(kipc_test_volume(100), self->shm->prod_waits[0] + self->shm->prod_waits[1]);
}

KIPC_TEST_DEFINE_SCALE

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--ring-peer"))
		return peer_main(argc, argv);
	kipc_test_scale_timeouts();
	return test_harness_run(argc, argv);
}
