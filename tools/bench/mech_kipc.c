// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench - the kipc paths.
 *
 * These rows exist from the start so that every report shows what kipc
 * has and has not delivered yet: a path whose kernel object or library
 * API has not landed is reported as "missing", with the reason, and is
 * never stood in for by another mechanism.
 *
 * To plug one in, fill in its struct below with the operations of
 * struct bench_mech (bench.h): open() creates the object in the parent
 * (fds and MAP_SHARED mappings are inherited by the forked workers),
 * attach() takes the producer or consumer role in each worker, send/recv
 * move one message, send_batch/recv_batch several, obj_create/obj_destroy
 * one idle object.  Then make missing() return NULL when the module or
 * the library provides the feature.
 *
 * The ring, shm, unix and pipe rows all go through libkipc: kipc_pair()
 * in open() with the backend forced, so each row measures the library a
 * user would call, fast path and sleeping included.  The variants:
 *
 *   blocking	KIPC_SPIN_NONE: an empty consumer (or a full producer) sleeps at
 *		once (futex on shm, WAIT/WAKE ioctls on kmod).
 *   spin	the library's default adaptive spin, then sleep.
 *   busy-poll	spin without bound (UINT32_MAX - 1 polls, about seconds)
 *		before ever sleeping.  Not a KIPC_NOWAIT loop: a call that
 *		returns -EAGAIN arms the endpoint for poll(2), which would
 *		make the peer issue wake-ups.
 *
 * On the ring backends (kmod, shm) messages of ZC_MIN bytes and more go
 * through the zero-copy calls: the producer writes the payload into a
 * kipc_reserve() reservation (a memcpy from its buffer, standing in for
 * building the message in place) and commits it; the consumer
 * kipc_peek()s it, reads one word of every cache line in place (so the
 * data does cross to the consumer's core, as it would for any real
 * reader), copies out only the 8-byte sequence number, and releases it.
 * Smaller messages use kipc_send()/kipc_recv(), the calls a user makes.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <kipc.h>
#include <linux/kipc.h>

#include "bench.h"

/* Why the kernel module cannot serve feature (a KIPC_FEATURE_* bit). */
static const char *module_lacks(uint64_t feature, const char *what)
{
	static char why[128];
	int64_t f = kipc_features();

	if (f == -ENODEV)
		return "kipc module not loaded (no /dev/kipc)";
	if (f < 0) {
		snprintf(why, sizeof(why), "/dev/kipc: %s", strerror((int)-f));
		return why;
	}
	if (!(f & (int64_t)feature)) {
		snprintf(why, sizeof(why), "loaded module has no %s (features 0x%llx)", what,
			 (unsigned long long)f);
		return why;
	}
	return NULL;
}

static const char *ring_missing(void)
{
	return module_lacks(KIPC_FEATURE_RING, "rings");
}


/* ------------------------------------------------------------------ */
/* libkipc channels                                                    */
/* ------------------------------------------------------------------ */

#define ZC_MIN		(64u << 10)
#define SPIN_FOREVER	(UINT32_MAX - 1)

/* What tells the rows apart: bench_mech.priv of each. */
struct kch_kind {
	uint32_t backend;	/* KIPC_BACKEND_* */
	uint32_t spin;		/* kipc_opts.spin */
};

struct kch {
	kipc_chan tx, rx;
	kipc_chan me;		/* this process's endpoint, after attach */
	size_t len;
	bool zc;
	unsigned int batch;
	struct kipc_msg *msgs;	/* per process, batch entries */
};

static void *kch_open(const struct bench_mech *m, const struct bench_chan_cfg *cfg, int *err)
{
	const struct kch_kind *k = m->priv;
	struct kch *c = calloc(1, sizeof(*c));
	struct kipc_opts o;
	uint64_t cap = cfg->budget > 4 * cfg->msg_size ? cfg->budget : 4 * cfg->msg_size;
	int ret;

	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	kipc_opts_init(&o);
	o.backend = k->backend;
	o.capacity = cap;
	if (cfg->msg_size > 65536)
		o.max_msg = (uint32_t)cfg->msg_size;
	o.spin = k->spin;
	if (cfg->shared_send)
		o.flags |= KIPC_F_MULTI_PRODUCER;
	ret = kipc_pair(&c->tx, &c->rx, &o);
	if (ret < 0) {
		*err = ret;
		free(c);
		return NULL;
	}
	c->len = cfg->msg_size;
	c->zc = (k->backend == KIPC_BACKEND_KMOD || k->backend == KIPC_BACKEND_SHM) &&
		cfg->msg_size >= ZC_MIN;
	c->batch = cfg->batch > 1 ? cfg->batch : 1;
	return c;
}

static int kch_attach(void *ch, enum bench_role role)
{
	struct kch *c = ch;

	/*
	 * The other endpoint stays open (the parent closes both after the
	 * run): the workloads end with stop markers, not with peer death.
	 */
	c->me = role == ROLE_PRODUCER ? c->tx : c->rx;
	c->msgs = calloc(c->batch, sizeof(*c->msgs));
	return c->msgs ? 0 : -ENOMEM;
}

static int kch_send(void *ch, const void *msg)
{
	struct kch *c = ch;
	void *p;
	int ret;

	if (c->zc) {
		ret = kipc_reserve(c->me, &p, c->len, KIPC_FOREVER);
		if (ret < 0)
			return ret;
		memcpy(p, msg, c->len);
		ret = kipc_commit(c->me, c->len);
		return ret < 0 ? ret : 0;
	}
	ret = kipc_send(c->me, msg, c->len);
	return ret < 0 ? ret : 0;
}

static int kch_got(struct kch *c, int ret)
{
	if (ret < 0)
		return ret;
	if (ret == 0)
		return -EPIPE;		/* end of stream before the stop marker */
	return (size_t)ret == c->len ? 0 : -EBADMSG;
}

static int kch_recv(void *ch, void *buf)
{
	struct kch *c = ch;
	const volatile uint64_t *w;
	const void *p;
	uint64_t sum = 0;
	int ret;

	if (c->zc) {
		ret = kch_got(c, kipc_peek(c->me, &p, KIPC_FOREVER));
		if (ret)
			return ret;
		w = p;
		for (size_t i = 0; i < c->len / 8; i += 8)
			sum += w[i];
		__asm__ __volatile__("" : : "r"(sum));
		memcpy(buf, p, 8);
		ret = kipc_release(c->me, p);
		return ret < 0 ? ret : 0;
	}
	return kch_got(c, kipc_recv(c->me, buf, c->len));
}

static int kch_send_batch(void *ch, const void *msgs, unsigned int n)
{
	struct kch *c = ch;
	const unsigned char *p = msgs;
	unsigned int done = 0;

	for (unsigned int i = 0; i < n; i++)
		c->msgs[i] = (struct kipc_msg){ .buf = (void *)(p + i * c->len), .len = c->len };
	while (done < n) {
		int ret = kipc_send_batch(c->me, c->msgs + done, n - done, KIPC_FOREVER);

		if (ret < 0)
			return ret;
		done += (unsigned int)ret;
	}
	return 0;
}

static int kch_recv_batch(void *ch, void *bufs, unsigned int max)
{
	struct kch *c = ch;
	unsigned char *p = bufs;
	int ret;

	if (max > c->batch)
		max = c->batch;
	for (unsigned int i = 0; i < max; i++)
		c->msgs[i] = (struct kipc_msg){ .buf = p + i * c->len, .len = c->len };
	ret = kipc_recv_batch(c->me, c->msgs, max, KIPC_FOREVER);
	if (ret <= 0)
		return ret ? ret : -EPIPE;
	for (int i = 0; i < ret; i++)
		if (c->msgs[i].len != c->len)
			return -EBADMSG;
	return ret;
}

static void kch_close(void *ch)
{
	struct kch *c = ch;

	kipc_close(c->tx);
	kipc_close(c->rx);
	free(c->msgs);
	free(c);
}

/*
 * An idle channel of the objects workload: a kipc_pair() with 64 KiB of
 * ring (as the memfd ring baseline), both endpoints kept open.
 */
#define OBJ_CAPACITY	65536u

static int kch_obj_create(const struct bench_mech *m, struct bench_obj *obj)
{
	const struct kch_kind *k = m->priv;
	kipc_chan *ep = calloc(2, sizeof(*ep));
	struct kipc_opts o;
	int ret;

	if (!ep)
		return -ENOMEM;
	kipc_opts_init(&o);
	o.backend = k->backend;
	o.capacity = OBJ_CAPACITY;
	ret = kipc_pair(&ep[0], &ep[1], &o);
	if (ret < 0) {
		free(ep);
		return ret;
	}
	obj->priv[0] = ep;
	return 0;
}

static void kch_obj_destroy(struct bench_obj *obj)
{
	kipc_chan *ep = obj->priv[0];

	kipc_close(ep[0]);
	kipc_close(ep[1]);
	free(ep);
}

/* Busy-poll needs a CPU per busy process: it never yields. */
static const char *poll_unsupported(const struct bench_chan_cfg *cfg)
{
	return cfg->oversubscribed ? "busy-poll with more busy processes than CPUs" : NULL;
}

/*
 * A row of libkipc: kipc_pair() on backend be with spin sp, caps cp,
 * description ds, then its own fields.  Only the KIPC_SPIN_NONE row of each
 * backend has an idle object (obj_create): the spin does not change
 * what is created.
 */
#define KCH_MECH(nm, be, sp, cp, ds, ...)				\
	{								\
		.name = nm, .group = BENCH_KIPC, .desc = ds, .caps = cp,	\
		.priv = &(const struct kch_kind){ be, sp },		\
		.open = kch_open,					\
		.attach = kch_attach,					\
		.send = kch_send,					\
		.recv = kch_recv,					\
		.send_batch = kch_send_batch,				\
		.recv_batch = kch_recv_batch,				\
		.close = kch_close,					\
		.obj_destroy = kch_obj_destroy,				\
		__VA_ARGS__						\
	}

#define KCH_CAPS	(MECH_SLEEPS | MECH_BATCH | MECH_MPSC)

const struct bench_mech mech_kipc_ring = KCH_MECH("kipc-ring", KIPC_BACKEND_KMOD, KIPC_SPIN_NONE, KCH_CAPS,
	"libkipc kmod backend: /dev/kipc ring, WAIT/WAKE, no spin; >= 64 KiB zero-copy",
	.missing = ring_missing, .obj_create = kch_obj_create,
	.obj_desc = "kipc_pair(), 64 KiB kmod ring, both endpoints open");

const struct bench_mech mech_kipc_ring_spin = KCH_MECH("kipc-ring-spin", KIPC_BACKEND_KMOD,
	0, KCH_CAPS, "libkipc kmod backend, default adaptive spin then WAIT",
	.missing = ring_missing);

const struct bench_mech mech_kipc_ring_poll = KCH_MECH("kipc-ring-poll", KIPC_BACKEND_KMOD,
	SPIN_FOREVER, MECH_BATCH | MECH_MPSC, "libkipc kmod backend, busy-poll (spin without bound)",
	.missing = ring_missing, .unsupported = poll_unsupported);

/* ------------------------------------------------------------------ */
/* kmod queue, through the UAPI ioctls                                 */
/* ------------------------------------------------------------------ */

/*
 * libkipc has no queue mode, so the queue row drives the ioctls of
 * <linux/kipc.h> directly: one anonymous queue fd with both roles,
 * inherited by the workers; SEND/RECV per message, SENDV/RECVV for the
 * batched rows (--batch, 32 by default).  It compiles to "missing" until
 * the queue section of the UAPI header is in the tree.
 */
#ifdef KIPC_IOC_QUEUE_CREATE
struct kq {
	int fd;
	size_t len;
	unsigned int batch;
	struct kipc_queue_msg *msgs;	/* per process, batch entries */
};

static const char *queue_missing(void)
{
	return module_lacks(KIPC_FEATURE_QUEUE, "queues");
}

static const char *queue_unsupported(const struct bench_chan_cfg *cfg)
{
	static char why[96];
	struct kipc_module_info info;

	if (kipc_module_info(&info) || cfg->msg_size <= info.max_msg_size)
		return NULL;
	snprintf(why, sizeof(why), "above the module's max_msg_size (%u)", info.max_msg_size);
	return why;
}

static int kq_create(size_t msg_size, uint32_t max_msgs, uint64_t max_bytes)
{
	struct kipc_queue_create qc;
	const char *dev = getenv("KIPC_DEV");
	int dfd, fd;

	dfd = open(dev ? dev : KIPC_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	memset(&qc, 0, sizeof(qc));
	qc.obj.role = KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER;
	qc.max_msg_size = (uint32_t)msg_size;
	qc.max_msgs = max_msgs;
	qc.max_bytes = max_bytes;
	qc.obj.mode = 0600;
	fd = ioctl(dfd, KIPC_IOC_QUEUE_CREATE, &qc);
	fd = fd < 0 ? -errno : qc.obj.fd;
	close(dfd);
	return fd;
}

static void *kq_open(const struct bench_mech *m, const struct bench_chan_cfg *cfg, int *err)
{
	struct kq *q = calloc(1, sizeof(*q));
	uint64_t bytes = cfg->budget > 4 * cfg->msg_size ? cfg->budget : 4 * cfg->msg_size;

	(void)m;
	if (!q) {
		*err = -ENOMEM;
		return NULL;
	}
	/* The same byte budget as every other channel; no message-count cap. */
	q->fd = kq_create(cfg->msg_size, 0, bytes);
	if (q->fd < 0) {
		*err = q->fd;
		free(q);
		return NULL;
	}
	q->len = cfg->msg_size;
	q->batch = cfg->batch > 1 ? cfg->batch : 1;
	return q;
}

static int kq_attach(void *ch, enum bench_role role)
{
	struct kq *q = ch;

	(void)role;
	q->msgs = calloc(q->batch, sizeof(*q->msgs));
	return q->msgs ? 0 : -ENOMEM;
}

static int kq_send(void *ch, const void *msg)
{
	struct kq *q = ch;
	struct kipc_queue_xfer x;

	memset(&x, 0, sizeof(x));
	x.msg.buf = (uintptr_t)msg;
	x.msg.len = (uint32_t)q->len;
	return ioctl(q->fd, KIPC_QUEUE_IOC_SEND, &x) < 0 ? -errno : 0;
}

static int kq_recv(void *ch, void *buf)
{
	struct kq *q = ch;
	struct kipc_queue_xfer x;
	int ret;

	memset(&x, 0, sizeof(x));
	x.msg.buf = (uintptr_t)buf;
	x.msg.len = (uint32_t)q->len;
	ret = ioctl(q->fd, KIPC_QUEUE_IOC_RECV, &x);
	if (ret < 0)
		return -errno;
	if (ret == 0)	/* end of stream */
		return -EPIPE;
	return (size_t)ret == q->len ? 0 : -EBADMSG;
}

/*
 * The queue's other one-message API: write() sends at the default
 * priority and read() receives, with no argument struct to copy.
 */
static int kq_write(void *ch, const void *msg)
{
	struct kq *q = ch;
	ssize_t n = write(q->fd, msg, q->len);

	if (n < 0)
		return -errno;
	return (size_t)n == q->len ? 0 : -EIO;
}

static int kq_read(void *ch, void *buf)
{
	struct kq *q = ch;
	ssize_t n = read(q->fd, buf, q->len);

	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;		/* end of stream before the stop marker */
	return (size_t)n == q->len ? 0 : -EBADMSG;
}

static int kq_send_batch(void *ch, const void *msgs, unsigned int n)
{
	struct kq *q = ch;
	const unsigned char *p = msgs;
	struct kipc_queue_mxfer m;
	unsigned int done = 0;

	for (unsigned int i = 0; i < n; i++)
		q->msgs[i] = (struct kipc_queue_msg){
			.buf = (uintptr_t)(p + i * q->len), .len = (uint32_t)q->len,
		};
	while (done < n) {
		int ret;

		memset(&m, 0, sizeof(m));
		m.msgs = (uintptr_t)(q->msgs + done);
		m.count = n - done;
		ret = ioctl(q->fd, KIPC_QUEUE_IOC_SENDV, &m);
		if (ret < 0)
			return -errno;
		if (ret == 0)
			return -EIO;
		done += (unsigned int)ret;
	}
	return 0;
}

static int kq_recv_batch(void *ch, void *bufs, unsigned int max)
{
	struct kq *q = ch;
	unsigned char *p = bufs;
	struct kipc_queue_mxfer m;
	int ret;

	if (max > q->batch)
		max = q->batch;
	for (unsigned int i = 0; i < max; i++)
		q->msgs[i] = (struct kipc_queue_msg){
			.buf = (uintptr_t)(p + i * q->len), .len = (uint32_t)q->len,
		};
	memset(&m, 0, sizeof(m));
	m.msgs = (uintptr_t)q->msgs;
	m.count = max;
	ret = ioctl(q->fd, KIPC_QUEUE_IOC_RECVV, &m);
	if (ret < 0)
		return -errno;
	if (ret == 0)	/* end of stream */
		return -EPIPE;
	for (int i = 0; i < ret; i++)
		if (q->msgs[i].len != q->len)
			return -EBADMSG;
	return ret;
}

static void kq_close(void *ch)
{
	struct kq *q = ch;

	close(q->fd);
	free(q->msgs);
	free(q);
}

/* An idle queue: 64 messages of 64 B at most, nothing queued. */
static int kq_obj_create(const struct bench_mech *m, struct bench_obj *obj)
{
	int fd = kq_create(64, 64, 0);

	(void)m;
	if (fd < 0)
		return fd;
	obj->fd[0] = fd;
	return 0;
}

static void kq_obj_destroy(struct bench_obj *obj)
{
	close(obj->fd[0]);
}

/* The two queue rows differ in their one-message calls only. */
#define KQ_MECH(nm, dsc, snd, rcv, ...) {				\
	.name = nm, .group = BENCH_KIPC, .desc = dsc,			\
	.caps = MECH_SLEEPS | MECH_BATCH | MECH_MPSC,			\
	.missing = queue_missing, .unsupported = queue_unsupported,	\
	.open = kq_open, .attach = kq_attach, .send = snd, .recv = rcv,	\
	.send_batch = kq_send_batch, .recv_batch = kq_recv_batch,	\
	.close = kq_close, __VA_ARGS__ }

const struct bench_mech mech_kipc_queue = KQ_MECH("kipc-queue",
	"kmod queue ioctls, copy in/copy out; batch: SENDV/RECVV", kq_send, kq_recv,
	.obj_create = kq_obj_create,
	.obj_destroy = kq_obj_destroy,
	.obj_desc = "KIPC_IOC_QUEUE_CREATE, 64 x 64 B, one fd with both roles");

const struct bench_mech mech_kipc_queue_rw = KQ_MECH("kipc-queue-rw",
	"kmod queue, write()/read() one message per call; batch: SENDV/RECVV",
	kq_write, kq_read);
#else
static const char *queue_missing(void)
{
	const char *why = module_lacks(KIPC_FEATURE_QUEUE, "queues");

	return why ? why : "kipc-bench built without the queue UAPI (issue 4)";
}

const struct bench_mech mech_kipc_queue = {
	.name = "kipc-queue",
	.group = BENCH_KIPC,
	.desc = "kmod queue, copy in/copy out; batch: 32 per call",
	.caps = MECH_SLEEPS | MECH_BATCH | MECH_MPSC,
	.missing = queue_missing,
};

const struct bench_mech mech_kipc_queue_rw = {
	.name = "kipc-queue-rw",
	.group = BENCH_KIPC,
	.desc = "kmod queue, write()/read() one message per call",
	.caps = MECH_SLEEPS | MECH_BATCH | MECH_MPSC,
	.missing = queue_missing,
};
#endif

const struct bench_mech mech_kipc_shm = KCH_MECH("kipc-shm", KIPC_BACKEND_SHM, KIPC_SPIN_NONE, KCH_CAPS,
	"libkipc shm backend (memfd ring, futex), no spin; >= 64 KiB zero-copy",
	.obj_create = kch_obj_create,
	.obj_desc = "kipc_pair(), 64 KiB shm ring (memfd), both endpoints open");

const struct bench_mech mech_kipc_shm_spin = KCH_MECH("kipc-shm-spin", KIPC_BACKEND_SHM,
	0, KCH_CAPS, "libkipc shm backend, default adaptive spin then futex");

const struct bench_mech mech_kipc_unix = KCH_MECH("kipc-unix", KIPC_BACKEND_UNIX, KIPC_SPIN_NONE, KCH_CAPS,
	"libkipc unix backend (SOCK_SEQPACKET)",
	.obj_create = kch_obj_create,
	.obj_desc = "kipc_pair(), unix backend, both endpoints open");

const struct bench_mech mech_kipc_pipe = KCH_MECH("kipc-pipe", KIPC_BACKEND_PIPE, KIPC_SPIN_NONE, KCH_CAPS,
	"libkipc pipe backend (length-prefixed frames)",
	.obj_create = kch_obj_create,
	.obj_desc = "kipc_pair(), pipe backend, both endpoints open");
