// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A racing, coverage-guided fuzzer for /dev/kipc.
 *
 * Several threads share one table of object fds and one table of ring
 * mappings.  Each runs short programs of random calls: every ioctl of
 * /dev/kipc, rings and queues, read/write/poll, epoll and io_uring
 * waits on fds that other threads close, mmap/munmap/mremap/mprotect of
 * ring mappings, DUP/OPEN/UNLINK of a few shared names, fork with the
 * mappings held and exit or SIGKILL of the child, and user buffers that
 * fault: unmapped, read-only, and (when the kernel allows it) stalled in
 * userfaultfd until the fuzzer's own resolver thread fills the page.
 *
 * Guidance: when /sys/kernel/debug/kcov exists, each thread traces the
 * PCs its programs reach (KCOV_TRACE_PC, per task).  Only kipc.ko is
 * built with KCOV instrumentation, so every PC is the module's.  A
 * program that reaches a PC no program reached before joins the corpus,
 * and later programs are mostly mutations of corpus entries (a call
 * replaced, copied from another entry, or two calls swapped).  Without
 * KCOV the programs are fresh random ones, and the fuzzer says so.
 *
 * A watchdog thread turns a hang into a failure: when a worker has made
 * no progress for KIPC_FUZZ_HANG seconds it prints the call every worker
 * has in flight and ends the test.
 *
 *   KIPC_FUZZ_SEED=n KIPC_FUZZ_SECONDS=n KIPC_FUZZ_THREADS=n ./race_fuzz_test
 *   KIPC_FUZZ_KCOV_SITES=n: KCOV call sites in kipc.ko, for the share
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/kcov.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "kselftest_harness.h"
#include "kipc_test.h"
#include "kipc_queue_util.h"

#define RF_DEFAULT_SEED		0x72616365u	/* "race" */
#define RF_DEFAULT_SECONDS	20
#define RF_DEFAULT_HANG		60
#define RF_MAX_THREADS		8
#define RF_SLOTS		24
#define RF_MAPS			16
#define RF_NAMES		4
#define RF_PROG			12	/* calls per program */
#define RF_CORPUS		1024
#define RF_KCOV_WORDS		(64 << 10)
#define RF_PC_BITS		16
#define RF_WINDOW		0x300000000000ULL	/* our own 4 GiB window */

static const char *rf_names[RF_NAMES] = { "rf-a", "rf-b", "rf-c", "rf-d" };

/* One worker.  Its in-flight fields are read by the watchdog. */
struct rf_worker {
	pthread_t thread;
	int id;
	uint64_t rng;
	_Atomic unsigned long progress;
	_Atomic(const char *) op;
	_Atomic int op_fd;
	_Atomic unsigned long op_arg;
	int kcov;
	unsigned long *cover;
	unsigned long programs, calls, fails;
	int insane_errno;
	const char *insane_op;
};

struct rf_map {
	void *addr;
	size_t len;
};

static struct rf {
	int dev;
	uint64_t features;
	long pg;
	_Atomic int slots[RF_SLOTS];	/* object fds, -1 when free */
	pthread_mutex_t map_lock;	/* protects maps[] */
	struct rf_map maps[RF_MAPS];
	char *mem, *ro, *hole, *uf;	/* data, read-only, unmapped, uffd */
	size_t mem_len;
	int uffd;
	_Atomic bool stop;
	int nr_workers;
	struct rf_worker workers[RF_MAX_THREADS];
	/* Coverage: the PCs seen so far, and the programs that found them. */
	pthread_mutex_t cov_lock;	/* protects pcs[], corpus[] */
	bool guided;
	unsigned long *pcs;		/* open addressing, 0 = empty */
	unsigned long nr_pcs;
	uint64_t corpus[RF_CORPUS][RF_PROG];
	unsigned int nr_corpus;
	_Atomic unsigned long uffd_faults;
} rf;

static uint64_t rf_next(uint64_t *s)
{
	/* splitmix64: fast and reproducible */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rf_below(uint64_t *s, uint32_t n)
{
	return n ? rf_next(s) % n : 0;
}

static void rf_begin(struct rf_worker *w, const char *op, int fd, unsigned long arg)
{
	atomic_store(&w->op_fd, fd);
	atomic_store(&w->op_arg, arg);
	atomic_store(&w->op, op);
}

static void rf_end(struct rf_worker *w, const char *op, long ret)
{
	atomic_store(&w->op, (const char *)NULL);
	atomic_fetch_add(&w->progress, 1);
	w->calls++;
	if (ret >= 0)
		return;
	w->fails++;
	switch (errno) {
	case EINVAL: case EFAULT: case ENOTTY: case E2BIG: case EMSGSIZE:
	case EAGAIN: case EINTR: case ETIMEDOUT: case EPIPE: case EBADF:
	case ENOENT: case EEXIST: case EACCES: case EPERM: case ENOSPC:
	case ENOMEM: case EMFILE: case ENFILE: case ENODEV: case ENXIO:
	case EOVERFLOW: case ESPIPE: case EBUSY: case ENOSYS:
	case ECHILD: case EOPNOTSUPP:
		return;
	}
	if (!w->insane_errno) {
		w->insane_errno = errno;
		w->insane_op = op;
	}
}

/* A buffer worth trying: good, unmapped, read-only, uffd, a ring mapping. */
static uint64_t rf_ptr(uint64_t *s, size_t len)
{
	switch (rf_below(s, 12)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)rf.hole + rf_below(s, rf.pg);
	case 2:
		return (uintptr_t)rf.ro + rf_below(s, rf.pg);
	case 3:
		if (rf.uf)
			return (uintptr_t)rf.uf + rf_below(s, rf.pg / 2);
		return (uintptr_t)rf.mem;
	case 4: {
		/* A ring mapping that another thread may unmap meanwhile. */
		struct rf_map *m = &rf.maps[rf_below(s, RF_MAPS)];

		return (uintptr_t)__atomic_load_n(&m->addr, __ATOMIC_RELAXED);
	}
	case 5:	/* straddling the end of the data into the read-only page */
		return (uintptr_t)rf.ro - rf_below(s, len + 1);
	default:
		if (len >= rf.mem_len)
			return (uintptr_t)rf.mem;
		return (uintptr_t)rf.mem + rf_below(s, rf.mem_len - len);
	}
}

static int rf_fd(uint64_t *s)
{
	int fd = atomic_load(&rf.slots[rf_below(s, RF_SLOTS)]);

	return fd >= 0 ? fd : rf.dev;
}

static void rf_keep(int fd)
{
	int old;

	if (fd < 0)
		return;
	old = atomic_exchange(&rf.slots[fd % RF_SLOTS], fd);
	if (old >= 0 && old != fd)
		close(old);
}

static void rf_close_slot(uint64_t *s)
{
	int fd = atomic_exchange(&rf.slots[rf_below(s, RF_SLOTS)], -1);

	if (fd >= 0)
		close(fd);
}

static uint32_t rf_role(uint64_t *s)
{
	return rf_below(s, 8) ? 1 + rf_below(s, 3) : (uint32_t)rf_next(s);
}

static uint32_t rf_fdflags(uint64_t *s)
{
	/* Mostly non-blocking; blocking calls end at the next SIGUSR1. */
	return rf_below(s, 4) ? KIPC_FD_NONBLOCK : 0;
}

static uint64_t rf_name(uint64_t *s)
{
	return (uintptr_t)rf_names[rf_below(s, RF_NAMES)];
}

/* --- the calls ---------------------------------------------------------- */

static void rf_create(struct rf_worker *w, uint64_t *s)
{
	long ret;

	if ((rf.features & KIPC_FEAT_RING) && rf_below(s, 2)) {
		struct kipc_ring_create rc = {
			.flags = rf_below(s, 3) ? 0 : KIPC_RING_F_MPSC,
			.obj.role = rf_role(s),
			.data_size = 4096ULL << rf_below(s, 4),
			.obj.name = rf_below(s, 3) ? 0 : rf_name(s),
			.obj.mode = rf_below(s, 2) ? 0600 : 0644,
			.obj.fd_flags = rf_fdflags(s),
		};

		rf_begin(w, "RING_CREATE", rf.dev, rc.obj.role);
		ret = ioctl(rf.dev, KIPC_IOC_RING_CREATE, &rc);
		rf_end(w, "RING_CREATE", ret);
	} else {
		struct kipc_queue_create qc;

		memset(&qc, 0, sizeof(qc));
		qc.obj.role = rf_role(s);
		qc.max_msg_size = 1 + rf_below(s, 2048);
		qc.max_msgs = 1 + rf_below(s, 16);
		qc.obj.name = rf_below(s, 3) ? 0 : rf_name(s);
		qc.obj.mode = 0600;
		qc.obj.fd_flags = rf_fdflags(s);
		rf_begin(w, "QUEUE_CREATE", rf.dev, qc.obj.role);
		ret = ioctl(rf.dev, KIPC_IOC_QUEUE_CREATE, &qc);
		rf_end(w, "QUEUE_CREATE", ret);
	}
	rf_keep(ret);
}

static void rf_dev_call(struct rf_worker *w, uint64_t *s)
{
	long ret;

	switch (rf_below(s, 5)) {
	case 0: {
		struct kipc_open op = {
			.name = rf_name(s),
			.type = 1 + rf_below(s, 2),
			.role = rf_role(s),
			.fd_flags = rf_fdflags(s),
		};

		rf_begin(w, "OPEN", rf.dev, op.type);
		ret = ioctl(rf.dev, KIPC_IOC_OPEN, rf_below(s, 8) ? (void *)&op :
			    (void *)(uintptr_t)rf_ptr(s, sizeof(op)));
		rf_end(w, "OPEN", ret);
		rf_keep(ret);
		break;
	}
	case 1: {
		struct kipc_unlink ul = {
			.name = rf_name(s),
			.type = rf_below(s, 3),
		};

		rf_begin(w, "UNLINK", rf.dev, ul.type);
		ret = ioctl(rf.dev, KIPC_IOC_UNLINK, &ul);
		rf_end(w, "UNLINK", ret);
		break;
	}
	case 2: {
		struct kipc_list ls = {
			.nr_entries = rf_below(s, 16),
		};

		ls.entries = rf_ptr(s, ls.nr_entries * sizeof(struct kipc_obj_entry));
		rf_begin(w, "LIST", rf.dev, ls.entries);
		ret = ioctl(rf.dev, KIPC_IOC_LIST, &ls);
		rf_end(w, "LIST", ret);
		break;
	}
	case 3: {
		struct kipc_dup d = {
			.fd = rf_fd(s),
			.role = rf_role(s),
			.fd_flags = rf_fdflags(s),
		};

		rf_begin(w, "DUP", d.fd, d.role);
		ret = ioctl(rf.dev, KIPC_IOC_DUP, &d);
		rf_end(w, "DUP", ret);
		rf_keep(ret);
		break;
	}
	default: {
		struct kipc_info info;

		rf_begin(w, "GET_INFO", rf.dev, 0);
		ret = ioctl(rf.dev, KIPC_IOC_GET_INFO, rf_below(s, 4) ? (void *)&info :
			    (void *)(uintptr_t)rf_ptr(s, sizeof(info)));
		rf_end(w, "GET_INFO", ret);
		break;
	}
	}
}

static void rf_obj_call(struct rf_worker *w, uint64_t *s)
{
	int fd = rf_fd(s);
	long ret;

	switch (rf_below(s, 7)) {
	case 0: {
		struct kipc_ring_wait wt = {
			.event = 1 + rf_below(s, 2),
			.seq = rf_below(s, 4),
			.timeout = kq_now(CLOCK_MONOTONIC) + rf_below(s, 2000000),
		};

		rf_begin(w, "RING_WAIT", fd, wt.event);
		ret = ioctl(fd, KIPC_RING_IOC_WAIT, &wt);
		rf_end(w, "RING_WAIT", ret);
		break;
	}
	case 1: {
		struct kipc_ring_wake wk = { .event = 1 + rf_below(s, 2) };

		rf_begin(w, "RING_WAKE", fd, wk.event);
		ret = ioctl(fd, KIPC_RING_IOC_WAKE, &wk);
		rf_end(w, "RING_WAKE", ret);
		break;
	}
	case 2:
	case 3: {
		bool send = rf_below(s, 2);
		struct kipc_queue_xfer x;

		memset(&x, 0, sizeof(x));
		x.msg.len = rf_below(s, 3000);
		x.msg.buf = rf_ptr(s, x.msg.len);
		x.msg.prio = rf_below(s, 32);
		x.flags = rf_below(s, 2) ? KIPC_WAIT_NONBLOCK : 0;
		if (!send && !rf_below(s, 4))
			x.flags |= KIPC_RECV_PEEK;
		if (!rf_below(s, 3))
			x.timeout = kq_now(CLOCK_MONOTONIC) + rf_below(s, 2000000);
		rf_begin(w, send ? "SEND" : "RECV", fd, x.msg.buf);
		ret = ioctl(fd, send ? KIPC_QUEUE_IOC_SEND : KIPC_QUEUE_IOC_RECV, &x);
		rf_end(w, send ? "SEND" : "RECV", ret);
		break;
	}
	case 4: {
		bool send = rf_below(s, 2);
		struct kipc_queue_msg v[8];
		struct kipc_queue_mxfer mx;
		uint32_t i, n = 1 + rf_below(s, 8);

		memset(v, 0, sizeof(v));
		for (i = 0; i < n; i++) {
			v[i].len = rf_below(s, 1500);
			v[i].buf = rf_ptr(s, v[i].len);
			v[i].prio = rf_below(s, 32);
		}
		memset(&mx, 0, sizeof(mx));
		mx.msgs = rf_below(s, 6) ? (uintptr_t)v : rf_ptr(s, n * sizeof(v[0]));
		mx.count = n;
		mx.flags = rf_below(s, 2) ? KIPC_WAIT_NONBLOCK : 0;
		rf_begin(w, send ? "SENDV" : "RECVV", fd, mx.msgs);
		ret = ioctl(fd, send ? KIPC_QUEUE_IOC_SENDV : KIPC_QUEUE_IOC_RECVV, &mx);
		rf_end(w, send ? "SENDV" : "RECVV", ret);
		break;
	}
	case 5: {
		size_t len = rf_below(s, 3000);
		void *p = (void *)(uintptr_t)rf_ptr(s, len);

		if (rf_below(s, 2)) {
			rf_begin(w, "read", fd, (uintptr_t)p);
			ret = read(fd, p, len);
			rf_end(w, "read", ret);
		} else {
			rf_begin(w, "write", fd, (uintptr_t)p);
			ret = write(fd, p, len);
			rf_end(w, "write", ret);
		}
		break;
	}
	default: {
		struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };

		rf_begin(w, "poll", fd, 0);
		ret = poll(&pfd, 1, rf_below(s, 3));
		rf_end(w, "poll", ret);
		break;
	}
	}
}

/* Map, unmap, remap, reprotect ring mappings; table-driven by UAPI offset. */
static const uint64_t rf_map_offs[] = { KIPC_RING_OFF_LAYOUT, KIPC_RING_OFF_RING };

static void rf_mm_call(struct rf_worker *w, uint64_t *s)
{
	struct rf_map *m = &rf.maps[rf_below(s, RF_MAPS)];
	int fd = rf_fd(s);
	void *p;

	pthread_mutex_lock(&rf.map_lock);
	switch (rf_below(s, 4)) {
	case 0: {
		const struct kipc_ring_layout *info;
		uint64_t off = rf_map_offs[rf_below(s, 2)];
		size_t len = rf.pg;
		int prot = rf_below(s, 3) ? PROT_READ | PROT_WRITE : PROT_READ;

		if (!rf_below(s, 8))
			off += (uint64_t)rf_below(s, 4) * rf.pg;
		if (off != KIPC_RING_OFF_LAYOUT) {
			/* The length the info page states, or a wrong one. */
			rf_begin(w, "mmap-info", fd, 0);
			info = mmap(NULL, rf.pg, PROT_READ, MAP_SHARED, fd, KIPC_RING_OFF_LAYOUT);
			rf_end(w, "mmap-info", info == MAP_FAILED ? -1 : 0);
			if (info != MAP_FAILED) {
				len = info->map_size;
				munmap((void *)info, rf.pg);
			}
			if (!rf_below(s, 6))
				len = rf.pg * (1 + rf_below(s, 12));
		}
		if (m->addr)
			munmap(m->addr, m->len);
		m->addr = NULL;
		rf_begin(w, "mmap", fd, off);
		p = mmap(NULL, len, prot, rf_below(s, 8) ? MAP_SHARED : MAP_PRIVATE, fd, off);
		rf_end(w, "mmap", p == MAP_FAILED ? -1 : 0);
		if (p != MAP_FAILED) {
			m->len = len;
			__atomic_store_n(&m->addr, p, __ATOMIC_RELAXED);
		}
		break;
	}
	case 1:
		if (m->addr) {
			rf_begin(w, "munmap", -1, (uintptr_t)m->addr);
			rf_end(w, "munmap", munmap(m->addr, m->len));
			__atomic_store_n(&m->addr, NULL, __ATOMIC_RELAXED);
		}
		break;
	case 2:
		if (m->addr) {
			size_t nlen = rf.pg * (1 + rf_below(s, 12));

			rf_begin(w, "mremap", -1, (uintptr_t)m->addr);
			p = mremap(m->addr, m->len, nlen, MREMAP_MAYMOVE);
			rf_end(w, "mremap", p == MAP_FAILED ? -1 : 0);
			if (p != MAP_FAILED) {
				m->len = nlen;
				__atomic_store_n(&m->addr, p, __ATOMIC_RELAXED);
			}
		}
		break;
	default:
		if (m->addr) {
			int prot = (int)rf_below(s, 8) & (PROT_READ | PROT_WRITE | PROT_EXEC);

			rf_begin(w, "mprotect", -1, prot);
			rf_end(w, "mprotect", mprotect(m->addr, m->len, prot));
		}
		break;
	}
	pthread_mutex_unlock(&rf.map_lock);
}

/* Waits whose fd goes away under them: epoll, io_uring poll, a child. */
static void rf_wait_call(struct rf_worker *w, uint64_t *s)
{
	int fd = rf_fd(s);

	switch (rf_below(s, 3)) {
	case 0: {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLHUP };
		int ep = epoll_create1(EPOLL_CLOEXEC);

		if (ep < 0)
			return;
		rf_begin(w, "epoll", fd, 0);
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		if (!rf_below(s, 3))
			rf_close_slot(s);
		rf_end(w, "epoll", epoll_wait(ep, &ev, 1, rf_below(s, 3)));
		close(ep);
		break;
	}
	case 1: {
		struct io_uring ring;
		struct io_uring_sqe *sqe;
		struct io_uring_cqe *cqe;
		struct __kernel_timespec ts = { .tv_nsec = 1000000 };

		if (io_uring_queue_init(4, &ring, 0))
			return;
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_poll_add(sqe, fd, POLLIN | POLLOUT);
		rf_begin(w, "io_uring-poll", fd, 0);
		io_uring_submit(&ring);
		if (!rf_below(s, 2))
			rf_close_slot(s);
		if (!io_uring_wait_cqe_timeout(&ring, &cqe, &ts))
			io_uring_cqe_seen(&ring, cqe);
		rf_end(w, "io_uring-poll", 0);
		/* Torn down with the poll possibly still armed. */
		io_uring_queue_exit(&ring);
		break;
	}
	default: {
		/* A child with the fds and mappings, which exits or is killed. */
		int how = rf_below(s, 3), status;
		pid_t pid;

		rf_begin(w, "fork", fd, how);
		pid = fork();
		if (pid == 0) {
			struct kipc_queue_xfer x;
			char buf[64];

			memset(&x, 0, sizeof(x));
			memset(buf, 0, sizeof(buf));
			x.msg.buf = (uintptr_t)buf;
			x.msg.len = sizeof(buf);
			x.flags = KIPC_WAIT_NONBLOCK;
			ioctl(fd, KIPC_QUEUE_IOC_SEND, &x);
			if (how == 0)
				_exit(0);
			/* Blocks until killed or the next fuzzer-side signal. */
			x.flags = 0;
			ioctl(fd, KIPC_QUEUE_IOC_RECV, &x);
			pause();
			_exit(0);
		}
		if (pid > 0) {
			if (how)
				kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
		rf_end(w, "fork", pid < 0 ? -1 : 0);
		break;
	}
	}
}

/* One call of a program, decoded from its word. */
static void rf_call(struct rf_worker *w, uint64_t word)
{
	uint64_t s = word;

	switch (rf_below(&s, 16)) {
	case 0: case 1:
		rf_create(w, &s);
		break;
	case 2: case 3: case 4:
		rf_dev_call(w, &s);
		break;
	case 5:
		rf_close_slot(&s);
		break;
	case 6: case 7:
		rf_mm_call(w, &s);
		break;
	case 8:
		rf_wait_call(w, &s);
		break;
	default:
		rf_obj_call(w, &s);
		break;
	}
}

/* --- coverage ------------------------------------------------------------ */

static int rf_kcov_open(struct rf_worker *w)
{
	w->kcov = open("/sys/kernel/debug/kcov", O_RDWR | O_CLOEXEC);
	if (w->kcov < 0)
		return -errno;
	if (ioctl(w->kcov, KCOV_INIT_TRACE, RF_KCOV_WORDS))
		goto out_close;
	w->cover = mmap(NULL, RF_KCOV_WORDS * sizeof(unsigned long), PROT_READ | PROT_WRITE,
			MAP_SHARED, w->kcov, 0);
	if (w->cover == MAP_FAILED)
		goto out_close;
	if (ioctl(w->kcov, KCOV_ENABLE, KCOV_TRACE_PC))
		goto out_unmap;
	return 0;
out_unmap:
	munmap(w->cover, RF_KCOV_WORDS * sizeof(unsigned long));
out_close:
	close(w->kcov);
	w->kcov = -1;
	w->cover = NULL;
	return -1;
}

/* Add this program's PCs to the set: how many were new.  cov_lock held. */
static unsigned int rf_pcs_add(const unsigned long *pc, unsigned long n)
{
	const unsigned long mask = (1UL << RF_PC_BITS) - 1;
	unsigned int fresh = 0;

	for (unsigned long i = 0; i < n; i++) {
		unsigned long h = (pc[i] * 0x9e3779b97f4a7c15ULL) >> (64 - RF_PC_BITS);

		while (rf.pcs[h] && rf.pcs[h] != pc[i])
			h = (h + 1) & mask;
		if (!rf.pcs[h] && rf.nr_pcs < mask / 2) {
			rf.pcs[h] = pc[i];
			rf.nr_pcs++;
			fresh++;
		}
	}
	return fresh;
}

/* The next program: a mutated corpus entry, or a fresh random one. */
static void rf_program(struct rf_worker *w, uint64_t prog[RF_PROG])
{
	unsigned int i, n;

	pthread_mutex_lock(&rf.cov_lock);
	n = rf.nr_corpus;
	if (!n || !rf_below(&w->rng, 4)) {
		pthread_mutex_unlock(&rf.cov_lock);
		for (i = 0; i < RF_PROG; i++)
			prog[i] = rf_next(&w->rng);
		return;
	}
	memcpy(prog, rf.corpus[rf_below(&w->rng, n)], sizeof(rf.corpus[0]));
	for (i = 1 + rf_below(&w->rng, 3); i; i--) {
		unsigned int a = rf_below(&w->rng, RF_PROG), b = rf_below(&w->rng, RF_PROG);
		uint64_t t;

		switch (rf_below(&w->rng, 3)) {
		case 0:
			prog[a] = rf_next(&w->rng);
			break;
		case 1:
			prog[a] = rf.corpus[rf_below(&w->rng, n)][b];
			break;
		default:
			t = prog[a];
			prog[a] = prog[b];
			prog[b] = t;
			break;
		}
	}
	pthread_mutex_unlock(&rf.cov_lock);
}

/* --- threads ------------------------------------------------------------- */

static void *rf_worker_fn(void *arg)
{
	struct rf_worker *w = arg;
	uint64_t prog[RF_PROG];
	unsigned int i;

	if (rf.guided)
		rf_kcov_open(w);
	while (!atomic_load(&rf.stop)) {
		rf_program(w, prog);
		if (w->cover)
			__atomic_store_n(&w->cover[0], 0, __ATOMIC_RELAXED);
		for (i = 0; i < RF_PROG && !atomic_load(&rf.stop); i++)
			rf_call(w, prog[i]);
		w->programs++;
		if (w->cover) {
			unsigned long n = __atomic_load_n(&w->cover[0], __ATOMIC_RELAXED);

			if (n > RF_KCOV_WORDS - 1)
				n = RF_KCOV_WORDS - 1;
			pthread_mutex_lock(&rf.cov_lock);
			if (rf_pcs_add(&w->cover[1], n) && rf.nr_corpus < RF_CORPUS)
				memcpy(rf.corpus[rf.nr_corpus++], prog, sizeof(prog));
			pthread_mutex_unlock(&rf.cov_lock);
		}
	}
	if (w->kcov >= 0) {
		ioctl(w->kcov, KCOV_DISABLE, 0);
		munmap(w->cover, RF_KCOV_WORDS * sizeof(unsigned long));
		close(w->kcov);
	}
	return NULL;
}

/*
 * Fill the userfaultfd page a little after each fault, and drop it again
 * now and then, so that kernel copies stall on it and always go on.
 */
static void *rf_uffd_fn(void *arg)
{
	struct pollfd pfd = { .fd = rf.uffd, .events = POLLIN };
	unsigned int rounds = 0;

	(void)arg;
	while (!atomic_load(&rf.stop)) {
		struct uffd_msg msg;

		if (poll(&pfd, 1, 10) == 1 && read(rf.uffd, &msg, sizeof(msg)) == sizeof(msg) &&
		    msg.event == UFFD_EVENT_PAGEFAULT) {
			struct uffdio_zeropage zp = {
				.range = { .start = (uintptr_t)rf.uf, .len = rf.pg },
			};
			struct timespec ts = { .tv_nsec = 2000000 };

			atomic_fetch_add(&rf.uffd_faults, 1);
			nanosleep(&ts, NULL);
			ioctl(rf.uffd, UFFDIO_ZEROPAGE, &zp);
		}
		if (++rounds % 4 == 0)
			madvise(rf.uf, rf.pg, MADV_DONTNEED);
	}
	/* Nothing may stay stalled: leave the page filled. */
	{
		struct uffdio_zeropage zp = {
			.range = { .start = (uintptr_t)rf.uf, .len = rf.pg },
		};

		ioctl(rf.uffd, UFFDIO_ZEROPAGE, &zp);
	}
	return NULL;
}

static void rf_nop(int sig)
{
	(void)sig;
}

static int rf_uffd_setup(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;

	rf.uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (rf.uffd < 0)
		return -errno;
	if (ioctl(rf.uffd, UFFDIO_API, &api))
		goto out_close;
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)rf.uf;
	reg.range.len = rf.pg;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(rf.uffd, UFFDIO_REGISTER, &reg))
		goto out_close;
	return 0;
out_close:
	close(rf.uffd);
	rf.uffd = -1;
	return -1;
}

/* Worker @hung made no progress for @hang seconds: say what is in flight. */
static void rf_hang(int hung, unsigned long hang)
{
	int i;

	for (i = 0; i < rf.nr_workers; i++) {
		struct rf_worker *w = &rf.workers[i];
		const char *op = atomic_load(&w->op);

		fprintf(stderr, "# worker %d: in %s (fd %d, arg %#lx), after %lu calls\n", i,
			op ? op : "no call", atomic_load(&w->op_fd), atomic_load(&w->op_arg),
			w->calls);
	}
	fprintf(stderr, "# race fuzz: worker %d made no progress for %lu s: hang\n", hung, hang);
	fflush(stderr);
	/* Do not wait for the hung thread: the harness reports the failure. */
	_exit(1);
}

static unsigned long rf_env(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v ? strtoul(v, NULL, 0) : def;
}

FIXTURE(race) {
	int unused;
};

FIXTURE_SETUP(race)
{
}

FIXTURE_TEARDOWN(race)
{
}

TEST_F_TIMEOUT(race, fuzz, 3600)
{
	unsigned long seconds = rf_env("KIPC_FUZZ_SECONDS", RF_DEFAULT_SECONDS);
	unsigned long hang = rf_env("KIPC_FUZZ_HANG", RF_DEFAULT_HANG);
	unsigned long sites = rf_env("KIPC_FUZZ_KCOV_SITES", 0);
	uint64_t seed = rf_env("KIPC_FUZZ_SEED", RF_DEFAULT_SEED);
	unsigned long last[RF_MAX_THREADS] = { 0 }, programs = 0, calls = 0, fails = 0;
	unsigned long idle[RF_MAX_THREADS] = { 0 };
	pthread_t uffd_thread;
	struct kipc_info info;
	struct sigaction sa;
	struct timespec t0, now;
	char *map;
	int i, k, hung = -1;

	rf.dev = kq_dev();
	if (rf.dev < 0)
		SKIP(return, "kipc module not loaded");
	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, ioctl(rf.dev, KIPC_IOC_GET_INFO, &info));
	rf.features = info.features;
	rf.pg = sysconf(_SC_PAGESIZE);
	rf.nr_workers = rf_env("KIPC_FUZZ_THREADS", 4);
	if (rf.nr_workers < 1 || rf.nr_workers > RF_MAX_THREADS)
		rf.nr_workers = 4;
	pthread_mutex_init(&rf.map_lock, NULL);
	pthread_mutex_init(&rf.cov_lock, NULL);
	for (i = 0; i < RF_SLOTS; i++)
		atomic_store(&rf.slots[i], -1);

	/*
	 * 16 data pages, a read-only page, a hole and a userfaultfd page,
	 * alone in a 4 GiB window: a pointer damaged in its low half stays
	 * in the window (see fuzz_test.c).
	 */
	rf.mem_len = 16 * rf.pg;
	map = mmap((void *)RF_WINDOW, rf.mem_len + 3 * rf.pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (map == MAP_FAILED)
		map = mmap(NULL, rf.mem_len + 3 * rf.pg, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	rf.mem = map;
	rf.ro = map + rf.mem_len;
	rf.hole = map + rf.mem_len + rf.pg;
	rf.uf = map + rf.mem_len + 2 * rf.pg;
	memset(rf.mem, 0x5a, rf.mem_len + rf.pg);
	ASSERT_EQ(0, mprotect(rf.ro, rf.pg, PROT_READ));
	ASSERT_EQ(0, munmap(rf.hole, rf.pg));
	ASSERT_EQ(0, madvise(rf.uf, rf.pg, MADV_DONTNEED));
	if (rf_uffd_setup()) {
		rf.uf = NULL;
		TH_LOG("no userfaultfd: faulting buffers are unmapped and read-only ones only");
	}

	k = open("/sys/kernel/debug/kcov", O_RDWR | O_CLOEXEC);
	rf.guided = k >= 0;
	if (k >= 0)
		close(k);
	if (rf.guided) {
		rf.pcs = calloc(1UL << RF_PC_BITS, sizeof(*rf.pcs));
		ASSERT_NE(NULL, rf.pcs);
	}
	TH_LOG("seed 0x%llx, %d threads, %lu s, %s, rings %s, queues %s, uffd %s",
	       (unsigned long long)seed, rf.nr_workers, seconds,
	       rf.guided ? "guided by KCOV" : "unguided (no /sys/kernel/debug/kcov)",
	       info.features & KIPC_FEAT_RING ? "yes" : "no",
	       info.features & KIPC_FEAT_QUEUE ? "yes" : "no", rf.uf ? "yes" : "no");

	/* SIGUSR1 ends any blocking call; no SA_RESTART. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = rf_nop;
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	if (rf.uf)
		ASSERT_EQ(0, pthread_create(&uffd_thread, NULL, rf_uffd_fn, NULL));
	for (i = 0; i < rf.nr_workers; i++) {
		struct rf_worker *w = &rf.workers[i];

		w->id = i;
		w->kcov = -1;
		w->rng = seed * 0x100000001b3ULL + i;
		ASSERT_EQ(0, pthread_create(&w->thread, NULL, rf_worker_fn, w));
	}

	/* The watchdog: interrupt blocking calls, and catch a worker that hangs. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0;; k++) {
		struct timespec ts = { .tv_nsec = 20000000 };

		nanosleep(&ts, NULL);
		for (i = 0; i < rf.nr_workers; i++)
			pthread_kill(rf.workers[i].thread, SIGUSR1);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((unsigned long)(now.tv_sec - t0.tv_sec) >= seconds)
			break;
		if (k % 50)
			continue;
		/* About once a second. */
		for (i = 0; i < rf.nr_workers; i++) {
			unsigned long p = atomic_load(&rf.workers[i].progress);

			idle[i] = p == last[i] ? idle[i] + 1 : 0;
			last[i] = p;
			if (idle[i] >= hang)
				hung = i;
		}
		if (hung >= 0)
			break;
	}
	if (hung >= 0)
		rf_hang(hung, hang);
	atomic_store(&rf.stop, true);
	for (i = 0; i < rf.nr_workers; i++) {
		struct rf_worker *w = &rf.workers[i];

		/* Keep interrupting until the worker has left its program. */
		for (k = 0; pthread_tryjoin_np(w->thread, NULL); k++) {
			struct timespec ts = { .tv_nsec = 10000000 };

			if ((unsigned long)k >= hang * 100)
				rf_hang(i, hang);
			pthread_kill(w->thread, SIGUSR1);
			nanosleep(&ts, NULL);
		}
		programs += w->programs;
		calls += w->calls;
		fails += w->fails;
		if (w->insane_errno)
			TH_LOG("worker %d: %s failed with errno %d (%s)", i, w->insane_op,
			       w->insane_errno, strerror(w->insane_errno));
		EXPECT_EQ(0, w->insane_errno);
	}
	if (rf.uf)
		pthread_join(uffd_thread, NULL);
	TH_LOG("%lu programs, %lu calls (%lu failed as expected), %lu uffd stalls",
	       programs, calls, fails, atomic_load(&rf.uffd_faults));
	if (rf.guided) {
		if (sites)
			TH_LOG("kcov: %lu distinct module PCs reached by the fuzzer, of %lu sites (%lu%%); corpus %u programs",
			       rf.nr_pcs, sites, rf.nr_pcs * 100 / sites, rf.nr_corpus);
		else
			TH_LOG("kcov: %lu distinct module PCs reached by the fuzzer; corpus %u programs",
			       rf.nr_pcs, rf.nr_corpus);
	}
	EXPECT_LT(0, calls);

	/* Clean up, then the module must still answer. */
	for (i = 0; i < RF_SLOTS; i++) {
		int fd = atomic_exchange(&rf.slots[i], -1);

		if (fd >= 0)
			close(fd);
	}
	for (i = 0; i < RF_MAPS; i++)
		if (rf.maps[i].addr)
			munmap(rf.maps[i].addr, rf.maps[i].len);
	for (i = 0; i < RF_NAMES; i++) {
		struct kipc_unlink ul = { .name = (uintptr_t)rf_names[i] };

		ioctl(rf.dev, KIPC_IOC_UNLINK, &ul);
	}
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(0, ioctl(rf.dev, KIPC_IOC_GET_INFO, &info));
	close(rf.dev);
}

KIPC_TEST_HARNESS_MAIN
