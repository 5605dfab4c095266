// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A small, seeded, reproducible ioctl fuzzer for /dev/kipc and the
 * object fds it hands out (queues, and rings when the module has them).
 * It asserts only that every call returns a sane errno and that the
 * kernel survives; the test bed scans dmesg for reports afterwards, so
 * it matters most on the debug (KASAN, lockdep, kmemleak) kernel.
 *
 *   KIPC_FUZZ_SEED=n KIPC_FUZZ_COUNT=n ./fuzz_test
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/rseq.h>
#include <ucontext.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "kselftest_harness.h"
#include "kipc_test.h"
#include "kipc_queue_util.h"

#define FZ_DEFAULT_SEED		0x6b697063u
#define FZ_DEFAULT_COUNT	30000
#define FZ_FDS			48
#define FZ_NAMES		6
#define FZ_ARG			256		/* bytes of argument struct */
/* The number of a command, for a switch on it. */
#define NR(cmd)			_IOC_NR(cmd)
#define FZ_WINDOW		0x200000000000ULL	/* our own 4 GiB window */

static uint64_t fz_state;

/*
 * The fuzzer's own memory must come through every call intact: a kernel
 * write outside the buffers a call names would show up here first.  Two
 * canaries that such writes hit before: libc's stderr pointer, and the
 * rseq area the kernel itself updates (its rseq_cs is always 0, since
 * glibc uses no rseq critical sections).
 */
static FILE *fz_stderr;

static uint64_t fz_rseq_cs(void)
{
	const char *tp = __builtin_thread_pointer();

	if (!__rseq_size)
		return 0;
	return *(const volatile uint64_t *)(tp + __rseq_offset + 8);
}

/* After each call: stop with a report if a canary was hit. */
static void fz_check_self(unsigned long calls, unsigned int cmd, int fd, long ret,
			  const unsigned char *arg)
{
	char msg[160];
	int n;

	if (stderr == fz_stderr && !fz_rseq_cs())
		return;
	n = snprintf(msg, sizeof(msg),
		     "# fuzz: call %lu (cmd 0x%x on fd %d, ret %ld) wrote over the fuzzer's memory; arg:",
		     calls, cmd, fd, ret);
	if (write(2, msg, (size_t)n) < 0)
		_exit(98);
	for (unsigned int b = 0; arg && b < 96; b += 8) {
		uint64_t v;

		memcpy(&v, arg + b, sizeof(v));
		n = snprintf(msg, sizeof(msg), " %016llx", (unsigned long long)v);
		if (write(2, msg, (size_t)n) < 0)
			break;
	}
	_exit(98);
}

/* The call in flight, for the crash report of fz_crash(). */
static volatile unsigned long fz_last_call;
static volatile unsigned int fz_last_cmd;
static volatile int fz_last_fd;

static uint64_t fz_rand(void)
{
	/* splitmix64: fast and reproducible */
	uint64_t z = (fz_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t fz_below(uint32_t n)
{
	return n ? fz_rand() % n : 0;
}

struct fz {
	int dev;
	bool rings;
	int fds[FZ_FDS];	/* object fds, -1 when free */
	char *mem;		/* data pages */
	size_t mem_len;
	char *ro;		/* a read-only page */
	char *hole;		/* an unmapped page */
	unsigned long calls, ok, fails[256];
};

static const char *fz_names[FZ_NAMES] = {
	"fz-a", "fz-b", "fz-c", "fz-d", "fz-e", "fz-f",
};

/* A pointer worth trying. */
static uint64_t fz_ptr(struct fz *f, size_t len)
{
	switch (fz_below(10)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)f->hole + fz_below(4096);
	case 2:
		return (uintptr_t)f->ro + fz_below(4096);
	case 3:
		return 0xffffffff81000000ULL + fz_below(1 << 20);
	case 4:
		return fz_rand();
	case 5:	/* straddling the end of the data into the hole */
		return (uintptr_t)f->mem + f->mem_len - fz_below(len + 1);
	case 6:
		/*
		 * The start of the read-only page.  Not a string of the
		 * binary: a payload read past it would carry the program's
		 * own pointers (its GOT) into f->mem, and a later argument
		 * read from there would aim kernel writes at libc's data.
		 */
		return (uintptr_t)f->ro;
	default:
		if (len >= f->mem_len)
			return (uintptr_t)f->mem;
		return (uintptr_t)f->mem + fz_below(f->mem_len - len);
	}
}

static uint32_t fz_u32(void)
{
	switch (fz_below(8)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return UINT32_MAX;
	case 3:
		return 1U << fz_below(32);
	case 4:
		return fz_below(64);
	case 5:
		return fz_below(70000);
	default:
		return (uint32_t)fz_rand();
	}
}

static int fz_pick_fd(struct fz *f)
{
	int i, start = fz_below(FZ_FDS);

	for (i = 0; i < FZ_FDS; i++) {
		int fd = f->fds[(start + i) % FZ_FDS];

		if (fd >= 0)
			return fd;
	}
	return f->dev;
}

static void fz_keep_fd(struct fz *f, int fd)
{
	int slot = fz_below(FZ_FDS);

	if (fd < 0 || fd == f->dev)
		return;
	/* Never block: the fuzzer must not hang on an empty queue. */
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (f->fds[slot] >= 0)
		close(f->fds[slot]);
	f->fds[slot] = fd;
}

/* Build a mostly plausible argument for @cmd, then damage it a little. */
static void fz_fill(struct fz *f, unsigned int nr, unsigned char *arg)
{
	memset(arg, 0, FZ_ARG);
	switch (nr) {
	case NR(KIPC_IOC_RING_CREATE): {
		struct kipc_ring_create *rc = (void *)arg;

		rc->flags = fz_below(3);
		rc->obj.role = 1 + fz_below(3);
		rc->data_size = 4096ULL << fz_below(6);
		rc->obj.name = fz_below(3) ? 0 : (uintptr_t)fz_names[fz_below(FZ_NAMES)];
		rc->obj.mode = 0600;
		rc->obj.fd_flags = KIPC_FD_NONBLOCK;
		break;
	}
	case NR(KIPC_IOC_OPEN): {
		struct kipc_open *op = (void *)arg;

		op->name = (uintptr_t)fz_names[fz_below(FZ_NAMES)];
		op->type = 1 + fz_below(2);
		op->role = 1 + fz_below(3);
		op->fd_flags = KIPC_FD_NONBLOCK;
		break;
	}
	case NR(KIPC_IOC_UNLINK): {
		struct kipc_unlink *ul = (void *)arg;

		ul->name = (uintptr_t)fz_names[fz_below(FZ_NAMES)];
		ul->type = fz_below(3);
		break;
	}
	case NR(KIPC_IOC_LIST): {
		struct kipc_list *ls = (void *)arg;

		ls->entries = fz_ptr(f, 4096);
		ls->nr_entries = fz_below(20);
		break;
	}
	case NR(KIPC_IOC_QUEUE_CREATE): {
		struct kipc_queue_create *qc = (void *)arg;

		qc->obj.role = 1 + fz_below(3);
		qc->max_msg_size = 1 + fz_below(4096);
		qc->max_msgs = fz_below(64);
		qc->max_bytes = fz_below(3) ? 0 : fz_below(1 << 20);
		qc->obj.name = fz_below(3) ? 0 : (uintptr_t)fz_names[fz_below(FZ_NAMES)];
		qc->obj.mode = 0600;
		qc->obj.fd_flags = KIPC_FD_NONBLOCK;
		break;
	}
	case NR(KIPC_IOC_DUP): {	/* a kept object fd, or anything */
		struct kipc_dup *d = (void *)arg;

		d->fd = fz_below(8) ? fz_pick_fd(f) : (int)fz_u32();
		d->role = 1 + fz_below(3);
		d->fd_flags = fz_below(2) ? KIPC_FD_NONBLOCK : 0;
		break;
	}
	case NR(KIPC_QUEUE_IOC_SEND):
	case NR(KIPC_QUEUE_IOC_RECV): {
		struct kipc_queue_xfer *x = (void *)arg;

		x->msg.len = fz_below(5000);
		x->msg.buf = fz_ptr(f, x->msg.len);
		x->msg.prio = fz_below(34);
		x->flags = KIPC_WAIT_NONBLOCK | (fz_below(4) ? 0 : KIPC_RECV_PEEK);
		x->timeout = fz_below(4) ? 0 : kq_now(CLOCK_MONOTONIC) + fz_below(1000000);
		break;
	}
	case NR(KIPC_QUEUE_IOC_SENDV):
	case NR(KIPC_QUEUE_IOC_RECVV): {
		struct kipc_queue_mxfer *mx = (void *)arg;
		struct kipc_queue_msg *v = (void *)(f->mem + fz_below(8) * 1024);
		uint32_t i, n = fz_below(20);

		for (i = 0; i < n; i++) {
			memset(&v[i], 0, sizeof(v[i]));
			v[i].len = fz_below(3000);
			v[i].buf = fz_ptr(f, v[i].len);
			v[i].prio = fz_below(33);
		}
		mx->msgs = fz_below(8) ? (uintptr_t)v : fz_ptr(f, n * sizeof(*v));
		mx->count = fz_below(10) ? n : fz_u32();
		mx->flags = KIPC_WAIT_NONBLOCK;
		break;
	}
	case NR(KIPC_RING_IOC_WAIT): {
		struct kipc_ring_wait *w = (void *)arg;

		w->event = fz_below(4);
		w->seq = fz_u32();
		w->timeout = kq_now(CLOCK_MONOTONIC) + fz_below(1000000);
		break;
	}
	case NR(KIPC_RING_IOC_WAKE): {
		struct kipc_ring_wake *w = (void *)arg;

		w->event = fz_below(4);
		break;
	}
	default:
		break;
	}
	/* Damage: a few random bytes, or a random field value. */
	switch (fz_below(4)) {
	case 0: {
		int n = 1 + fz_below(4);

		while (n--)
			arg[fz_below(96)] = fz_rand();
		break;
	}
	case 1:
		((uint32_t *)arg)[fz_below(24)] = fz_u32();
		break;
	default:
		break;
	}
}

static const unsigned int fz_dev_cmds[] = {
	KIPC_IOC_GET_INFO, KIPC_IOC_OPEN, KIPC_IOC_UNLINK, KIPC_IOC_LIST,
	KIPC_IOC_DUP, KIPC_IOC_RING_CREATE, KIPC_IOC_QUEUE_CREATE,
};
static const unsigned int fz_obj_cmds[] = {
	KIPC_RING_IOC_INFO, KIPC_RING_IOC_WAIT, KIPC_RING_IOC_WAKE,
	KIPC_QUEUE_IOC_INFO, KIPC_QUEUE_IOC_SEND, KIPC_QUEUE_IOC_RECV,
	KIPC_QUEUE_IOC_SENDV, KIPC_QUEUE_IOC_RECVV,
};

static bool fz_sane(int err)
{
	switch (err) {
	case EINVAL: case EFAULT: case ENOTTY: case E2BIG: case EMSGSIZE:
	case EAGAIN: case EINTR: case ETIMEDOUT: case EPIPE: case EBADF:
	case ENOENT: case EEXIST: case EACCES: case EPERM: case ENOSPC:
	case ENOMEM: case EMFILE: case ENFILE:
		return true;
	}
	return false;
}

static void fz_alarm(int sig)
{
	(void)sig;
}

/* A crash of the fuzzer itself: say where, with async-signal-safe calls. */
static void fz_crash(int sig, siginfo_t *si, void *uc)
{
	const ucontext_t *ctx = uc;
	char msg[200];
	int n;

	n = snprintf(msg, sizeof(msg),
		     "# fuzz: signal %d at %p, ip %#llx (fz_crash at %p), after call %lu (cmd 0x%x on fd %d)\n",
		     sig, si->si_addr, (unsigned long long)ctx->uc_mcontext.gregs[REG_RIP],
		     (void *)fz_crash, fz_last_call, fz_last_cmd, fz_last_fd);
	if (write(2, msg, (size_t)n) < 0)
		_exit(99);
	n = open("/proc/self/maps", O_RDONLY);
	if (n >= 0) {
		ssize_t r;

		while ((r = read(n, msg, sizeof(msg))) > 0)
			if (write(2, msg, (size_t)r) < 0)
				break;
	}
	_exit(99);
}

/* One random call; returns 0 or the insane errno. */
static int fz_one(struct fz *f)
{
	unsigned char arg[FZ_ARG] __attribute__((aligned(8)));
	unsigned int nr, dir, size, cmd, real;
	bool on_dev = fz_below(3) == 0;
	int fd = on_dev ? f->dev : fz_pick_fd(f);
	long ret;
	void *p;

	if (!on_dev && fz_below(8) == 0) {
		/* Plain read / write / poll on an object fd. */
		size_t len = fz_below(5000);
		struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };

		switch (fz_below(3)) {
		case 0:
			ret = read(fd, (void *)(uintptr_t)fz_ptr(f, len), len);
			break;
		case 1:
			ret = write(fd, (void *)(uintptr_t)fz_ptr(f, len), len);
			break;
		default:
			ret = poll(&pfd, 1, 0);
			break;
		}
		fz_check_self(f->calls, 0, fd, ret, NULL);
		f->calls++;
		if (ret >= 0) {
			f->ok++;
			return 0;
		}
		return fz_sane(errno) || errno == ESPIPE ? 0 : errno;
	}

	/* A real command (its number, direction and size) or any number. */
	if (fz_below(16) == 0) {
		real = 0;
		nr = fz_below(0x68);
	} else if (on_dev) {
		real = fz_dev_cmds[fz_below(sizeof(fz_dev_cmds) / sizeof(fz_dev_cmds[0]))];
		nr = _IOC_NR(real);
	} else {
		real = fz_obj_cmds[fz_below(sizeof(fz_obj_cmds) / sizeof(fz_obj_cmds[0]))];
		nr = _IOC_NR(real);
	}
	fz_fill(f, nr, arg);
	dir = real && fz_below(8) ? _IOC_DIR(real) : fz_below(4);
	size = real ? _IOC_SIZE(real) : fz_below(FZ_ARG);
	if (fz_below(16) == 0)
		size = fz_below(fz_below(8) ? FZ_ARG : _IOC_SIZEMASK + 1);
	cmd = _IOC(dir, fz_below(32) ? KIPC_IOC_MAGIC : fz_below(256), nr, size);
	/* Mostly our buffer, sometimes a bad pointer. */
	p = fz_below(12) ? (void *)arg : (void *)(uintptr_t)fz_ptr(f, size);

	fz_last_cmd = cmd;
	fz_last_fd = fd;
	fz_last_call = f->calls;
	ret = ioctl(fd, cmd, p);
	fz_check_self(f->calls, cmd, fd, ret, p == (void *)arg ? arg : NULL);
	f->calls++;
	if (ret >= 0) {
		f->ok++;
		/* Creates and opens return a new fd: keep it around. */
		if (fd == f->dev && nr >= 0x01 && nr <= 0x06 && nr != 0x03 &&
		    nr != 0x04 && ret > 2)
			fz_keep_fd(f, ret);
		return 0;
	}
	if (!fz_sane(errno))
		return errno;
	f->fails[errno & 255]++;
	return 0;
}

static void fz_reset(struct fz *f)
{
	int i;

	for (i = 0; i < FZ_FDS; i++) {
		if (f->fds[i] >= 0)
			close(f->fds[i]);
		f->fds[i] = -1;
	}
	/* Names hold their objects: drop them, rings and queues alike. */
	for (i = 0; i < FZ_NAMES; i++) {
		struct kipc_unlink ul;

		memset(&ul, 0, sizeof(ul));
		ul.name = (uintptr_t)fz_names[i];
		ioctl(f->dev, KIPC_IOC_UNLINK, &ul);
	}
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

TEST_F_TIMEOUT(fuzz, ioctls, 600)
{
	unsigned long count = FZ_DEFAULT_COUNT, i;
	uint64_t seed = FZ_DEFAULT_SEED;
	struct kipc_info info;
	struct itimerval it;
	struct sigaction sa;
	struct fz f;
	long pg = sysconf(_SC_PAGESIZE);
	char *map;
	int bad = 0;

	memset(&f, 0, sizeof(f));
	f.dev = kq_dev();
	if (f.dev < 0)
		SKIP(return, "kipc module not loaded");
	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, ioctl(f.dev, KIPC_IOC_GET_INFO, &info));
	f.rings = info.features & KIPC_FEAT_RING;
	if (getenv("KIPC_FUZZ_SEED"))
		seed = strtoull(getenv("KIPC_FUZZ_SEED"), NULL, 0);
	if (getenv("KIPC_FUZZ_COUNT"))
		count = strtoul(getenv("KIPC_FUZZ_COUNT"), NULL, 0);
	fz_state = seed;
	TH_LOG("seed 0x%llx, %lu calls, queues %s, rings %s",
	       (unsigned long long)seed, count,
	       info.features & KIPC_FEAT_QUEUE ? "yes" : "no", f.rings ? "yes" : "no");

	/*
	 * 16 data pages, one read-only page, one hole, alone in a 4 GiB
	 * window of their own.  The damage step rewrites 32-bit halves of
	 * pointers: next to libc, a damaged pointer could aim a (correct)
	 * kernel write at libc's data or our TCB, as the canaries once
	 * caught a LIST doing.  Here a damaged low half stays in our window.
	 */
	f.mem_len = 16 * pg;
	map = mmap((void *)FZ_WINDOW, f.mem_len + 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (map == MAP_FAILED)
		map = mmap(NULL, f.mem_len + 2 * pg, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	for (i = 0; i < f.mem_len + pg; i++)
		map[i] = fz_rand();
	f.mem = map;
	f.ro = map + f.mem_len;
	f.hole = map + f.mem_len + pg;
	ASSERT_EQ(0, mprotect(f.ro, pg, PROT_READ));
	ASSERT_EQ(0, munmap(f.hole, pg));
	for (i = 0; i < FZ_FDS; i++)
		f.fds[i] = -1;

	/* Valid objects to start from. */
	if (info.features & KIPC_FEAT_QUEUE) {
		for (i = 0; i < 4; i++)
			fz_keep_fd(&f, kq_create_full(f.dev, 64 << i, 4 << i, 0,
						      1 + i % 3, KIPC_FD_NONBLOCK, NULL, 0600));
	}
	if (f.rings) {
		struct kipc_ring_create rc;

		for (i = 0; i < 2; i++) {
			memset(&rc, 0, sizeof(rc));
			rc.obj.role = KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER;
			rc.data_size = 4096;
			rc.obj.mode = 0600;
			rc.obj.fd_flags = KIPC_FD_NONBLOCK;
			rc.flags = i ? KIPC_RING_F_MPSC : 0;
			fz_keep_fd(&f, ioctl(f.dev, KIPC_IOC_RING_CREATE, &rc));
		}
	}

	fz_stderr = stderr;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fz_crash;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));

	/* Anything that still blocks is interrupted within 20 ms. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fz_alarm;
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	it.it_interval.tv_sec = 0;
	it.it_interval.tv_usec = 20000;
	it.it_value = it.it_interval;
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));

	for (i = 0; i < count; i++) {
		int err = fz_one(&f);

		if (err && bad++ < 20)
			TH_LOG("call %lu: unexpected errno %d (%s)", i, err, strerror(err));
		if (i % 2000 == 1999)
			fz_reset(&f);
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	fz_reset(&f);
	TH_LOG("%lu calls, %lu succeeded; EINVAL %lu EFAULT %lu ENOTTY %lu EAGAIN %lu EMSGSIZE %lu",
	       f.calls, f.ok, f.fails[EINVAL], f.fails[EFAULT], f.fails[ENOTTY],
	       f.fails[EAGAIN], f.fails[EMSGSIZE]);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(count, f.calls);
	/* The module still answers. */
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(0, ioctl(f.dev, KIPC_IOC_GET_INFO, &info));
	munmap(map, f.mem_len + pg);
	close(f.dev);
}

KIPC_TEST_HARNESS_MAIN
