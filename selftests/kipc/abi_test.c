// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The ABI 3 rules, command by command: every reserved word and every
 * unknown flag bit is -EINVAL, a structure of another size is -ENOTTY,
 * out-structures come back with their reserved space zeroed whatever the
 * caller left there, INFO describes an object as it was created (in
 * another process too, across fork and exec), and the KIPC_STATE_* bits
 * follow the peers, killed or closed.  One test reads fdinfo, and only
 * to check that the text is well formed and says what INFO says.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "kselftest_harness.h"
#include "kipc_test.h"
#include "kipc_queue_util.h"
#include "tenv.h"
#include "tring.h"

#define BOTH		(KIPC_ROLE_PRODUCER | KIPC_ROLE_CONSUMER)
#define RING_SZ		8192
#define RING_LOWAT	136
#define Q_MSG		100
#define Q_MSGS		7
#define Q_BYTES		500
#define POISON		0xa5

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* ------------------------------------------------------------------ */
/* The table: each command, a valid argument, its reserved words and    */
/* its flag words.                                                      */
/* ------------------------------------------------------------------ */

enum target { ON_DEV, ON_RING, ON_QUEUE };

struct env {
	int dev, ring, queue;
	char name[64];			/* a name that does not exist */
	char named[64];			/* base of the names a test makes */
	struct kipc_queue_msg vec[2];
	char buf[Q_MSG];
	struct kipc_obj_entry ents[4];
};

/* A field that must be zero on input (its offset and size in bytes). */
struct zero {
	unsigned int off, size;
};

/* A flag word and the bits that are defined in it. */
struct flagword {
	unsigned int off;
	uint32_t valid;
};

#define Z(type, field) \
	{ offsetof(type, field), sizeof(((type *)0)->field) }
#define F(type, field, v) { offsetof(type, field), (v) }

struct cmd {
	const char *name;
	enum target on;
	unsigned long cmd;
	void (*fill)(struct env *e, void *arg);
	struct zero zero[8];
	struct flagword flags[3];
};

static void fill_info(struct env *e, void *arg)
{
	(void)e;
	(void)arg;
}

static void fill_open(struct env *e, void *arg)
{
	struct kipc_open *o = arg;

	o->name = (uintptr_t)e->name;
	o->type = KIPC_OBJ_RING;
	o->role = KIPC_ROLE_CONSUMER;
}

static void fill_unlink(struct env *e, void *arg)
{
	struct kipc_unlink *u = arg;

	u->name = (uintptr_t)e->name;
}

static void fill_list(struct env *e, void *arg)
{
	struct kipc_list *l = arg;

	l->entries = (uintptr_t)e->ents;
	l->nr_entries = 4;
}

static void fill_dup(struct env *e, void *arg)
{
	struct kipc_dup *d = arg;

	d->fd = e->ring;
	d->role = KIPC_ROLE_CONSUMER;
}

static void fill_ring_create(struct env *e, void *arg)
{
	struct kipc_ring_create *c = arg;

	(void)e;
	c->obj.role = BOTH;
	c->obj.mode = 0600;
	c->data_size = RING_SZ;
}

static void fill_queue_create(struct env *e, void *arg)
{
	struct kipc_queue_create *c = arg;

	(void)e;
	c->obj.role = BOTH;
	c->obj.mode = 0600;
	c->max_msg_size = Q_MSG;
	c->max_msgs = Q_MSGS;
}

static void fill_wait(struct env *e, void *arg)
{
	struct kipc_ring_wait *w = arg;

	(void)e;
	/* The count is 0: a seq that differs returns at once. */
	w->event = KIPC_EV_READABLE;
	w->seq = 1;
}

static void fill_wake(struct env *e, void *arg)
{
	struct kipc_ring_wake *w = arg;

	(void)e;
	w->event = KIPC_EV_READABLE;
}

static void fill_xfer(struct env *e, void *arg)
{
	struct kipc_queue_xfer *x = arg;

	x->msg.buf = (uintptr_t)e->buf;
	x->msg.len = 1;
	x->flags = KIPC_WAIT_NONBLOCK;
}

static void fill_mxfer(struct env *e, void *arg)
{
	struct kipc_queue_mxfer *m = arg;

	memset(e->vec, 0, sizeof(e->vec));
	e->vec[0].buf = (uintptr_t)e->buf;
	e->vec[0].len = 1;
	m->msgs = (uintptr_t)e->vec;
	m->count = 1;
	m->flags = KIPC_WAIT_NONBLOCK;
}

#define T struct kipc_info
#define OC(type) Z(type, obj.fd)
static const struct cmd cmds[] = {
	{ "GET_INFO", ON_DEV, KIPC_IOC_GET_INFO, fill_info,
	  { Z(T, reserved) }, { F(T, flags, 0) } },
#undef T
#define T struct kipc_open
	{ "OPEN", ON_DEV, KIPC_IOC_OPEN, fill_open,
	  { Z(T, fd), Z(T, reserved0), Z(T, reserved) },
	  { F(T, flags, 0), F(T, role, BOTH), F(T, fd_flags, KIPC_FD_NONBLOCK) } },
#undef T
#define T struct kipc_unlink
	{ "UNLINK", ON_DEV, KIPC_IOC_UNLINK, fill_unlink,
	  { Z(T, reserved) }, { F(T, flags, 0) } },
#undef T
#define T struct kipc_list
	{ "LIST", ON_DEV, KIPC_IOC_LIST, fill_list,
	  { Z(T, nr_total), Z(T, reserved0), Z(T, reserved) },
	  { F(T, flags, 0) } },
#undef T
#define T struct kipc_dup
	{ "DUP", ON_DEV, KIPC_IOC_DUP, fill_dup,
	  { Z(T, new_fd), Z(T, reserved0), Z(T, reserved) },
	  { F(T, flags, 0), F(T, role, BOTH), F(T, fd_flags, KIPC_FD_NONBLOCK) } },
#undef T
#define T struct kipc_ring_create
	{ "RING_CREATE", ON_DEV, KIPC_IOC_RING_CREATE, fill_ring_create,
	  { OC(T), Z(T, reserved) },
	  { F(T, flags, KIPC_RING_F_MPSC), F(T, obj.role, BOTH),
	    F(T, obj.fd_flags, KIPC_FD_NONBLOCK) } },
#undef T
#define T struct kipc_queue_create
	{ "QUEUE_CREATE", ON_DEV, KIPC_IOC_QUEUE_CREATE, fill_queue_create,
	  { OC(T), Z(T, reserved0), Z(T, reserved) },
	  { F(T, flags, 0), F(T, obj.role, BOTH),
	    F(T, obj.fd_flags, KIPC_FD_NONBLOCK) } },
#undef T
#define T struct kipc_ring_info
	{ "RING_INFO", ON_RING, KIPC_RING_IOC_INFO, fill_info,
	  { Z(T, obj.reserved), Z(T, reserved0), Z(T, reserved) },
	  { F(T, flags, 0) } },
#undef T
#define T struct kipc_ring_wait
	{ "RING_WAIT", ON_RING, KIPC_RING_IOC_WAIT, fill_wait,
	  { Z(T, state), Z(T, reserved) },
	  { F(T, flags, KIPC_WAIT_NONBLOCK | KIPC_WAIT_REALTIME) } },
#undef T
#define T struct kipc_ring_wake
	{ "RING_WAKE", ON_RING, KIPC_RING_IOC_WAKE, fill_wake,
	  { Z(T, reserved) }, { F(T, flags, 0) } },
#undef T
#define T struct kipc_queue_info
	{ "QUEUE_INFO", ON_QUEUE, KIPC_QUEUE_IOC_INFO, fill_info,
	  { Z(T, obj.reserved), Z(T, reserved) }, { F(T, flags, 0) } },
#undef T
#define T struct kipc_queue_xfer
	{ "QUEUE_SEND", ON_QUEUE, KIPC_QUEUE_IOC_SEND, fill_xfer,
	  { Z(T, msg.reserved), Z(T, reserved0), Z(T, reserved) },
	  { F(T, flags, KIPC_WAIT_NONBLOCK | KIPC_WAIT_REALTIME) } },
	{ "QUEUE_RECV", ON_QUEUE, KIPC_QUEUE_IOC_RECV, fill_xfer,
	  { Z(T, msg.reserved), Z(T, reserved0), Z(T, reserved) },
	  { F(T, flags, KIPC_WAIT_NONBLOCK | KIPC_WAIT_REALTIME |
			KIPC_RECV_PEEK) } },
#undef T
#define T struct kipc_queue_mxfer
	{ "QUEUE_SENDV", ON_QUEUE, KIPC_QUEUE_IOC_SENDV, fill_mxfer,
	  { Z(T, reserved) },
	  { F(T, flags, KIPC_WAIT_NONBLOCK | KIPC_WAIT_REALTIME) } },
	{ "QUEUE_RECVV", ON_QUEUE, KIPC_QUEUE_IOC_RECVV, fill_mxfer,
	  { Z(T, reserved) },
	  { F(T, flags, KIPC_WAIT_NONBLOCK | KIPC_WAIT_REALTIME) } },
#undef T
};

static int target_fd(const struct env *e, enum target on)
{
	return on == ON_DEV ? e->dev : on == ON_RING ? e->ring : e->queue;
}

/*
 * One call: a command that made an fd gets it closed (a create, OPEN or
 * DUP that wrongly succeeded must not leak into the next case), a SEND
 * that went through is received again.
 */
static int call(struct env *e, const struct cmd *c, void *arg)
{
	int ret = xioctl(target_fd(e, c->on), c->cmd, arg);

	if (ret > 0 && c->on == ON_DEV)
		close(ret);
	if (ret >= 0 && (c->cmd == KIPC_QUEUE_IOC_SEND ||
			 c->cmd == KIPC_QUEUE_IOC_SENDV))
		while (read(e->queue, e->buf, sizeof(e->buf)) > 0)
			;
	return ret;
}

FIXTURE(abi) {
	struct env e;
};

FIXTURE_SETUP(abi)
{
	struct env *e = &self->e;

	KIPC_TEST_OPEN_DEV(e->dev, KIPC_FEAT_RING | KIPC_FEAT_QUEUE |
			   KIPC_FEAT_DUP | KIPC_FEAT_NAMES);
	signal(SIGPIPE, SIG_IGN);
	snprintf(e->name, sizeof(e->name), "abi-absent-%d", (int)getpid());
	snprintf(e->named, sizeof(e->named), "abi-%d", (int)getpid());
	e->ring = tring_create(e->dev, RING_SZ, 0, BOTH, NULL, 0600, 0);
	ASSERT_LE(0, e->ring);
	e->queue = kq_create_full(e->dev, Q_MSG, Q_MSGS, 0, BOTH,
				  KIPC_FD_NONBLOCK, NULL, 0600);
	ASSERT_LE(0, e->queue);
}

FIXTURE_TEARDOWN(abi)
{
	char name[80];

	/* Names outlive a failed test: drop them, they count against quotas. */
	snprintf(name, sizeof(name), "%s-r", self->e.named);
	tobj_unlink(self->e.dev, name, KIPC_OBJ_RING);
	snprintf(name, sizeof(name), "%s-q", self->e.named);
	tobj_unlink(self->e.dev, name, KIPC_OBJ_QUEUE);
	close(self->e.queue);
	close(self->e.ring);
	close(self->e.dev);
}

/* The valid argument of each command is not refused as invalid. */
TEST_F(abi, table_baseline)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const struct cmd *c = &cmds[i];
		uint64_t arg[64];
		int ret;

		memset(arg, 0, sizeof(arg));
		c->fill(&self->e, arg);
		ret = call(&self->e, c, arg);
		/* OPEN and UNLINK of an absent name; RECV of an empty queue. */
		EXPECT_NE(-EINVAL, ret) TH_LOG("%s", c->name);
		EXPECT_NE(-ENOTTY, ret) TH_LOG("%s", c->name);
	}
}

/* Each 32-bit word of each must-be-zero field, set: -EINVAL. */
TEST_F(abi, reserved_words)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const struct cmd *c = &cmds[i];

		for (const struct zero *z = c->zero; z->size; z++) {
			for (unsigned int w = 0; w < z->size; w += 4) {
				for (int b = 0; b < 32; b += 31) {
					uint64_t arg[64];
					uint32_t v = 1U << b;

					memset(arg, 0, sizeof(arg));
					c->fill(&self->e, arg);
					memcpy((char *)arg + z->off + w, &v, 4);
					EXPECT_EQ(-EINVAL, call(&self->e, c, arg))
						TH_LOG("%s: byte %u bit %d", c->name,
						       z->off + w, b);
				}
			}
		}
	}
}

/*
 * The fields of SENDV/RECVV elements that must be zero, in an array short
 * enough for the kernel's small-batch copy and in one long enough for the
 * general copy (more than KIPC_QUEUE_BATCH_MSGS entries): -EINVAL, and
 * nothing queued.  A valid long SENDV queues exactly what fits.
 */
#define VEC_LONG	40
TEST_F(abi, vector_elements)
{
	static const struct { const char *name; unsigned int off; bool send; } f[] = {
		{ "pid", offsetof(struct kipc_queue_msg, pid), true },
		{ "uid", offsetof(struct kipc_queue_msg, uid), true },
		{ "gid", offsetof(struct kipc_queue_msg, gid), true },
		{ "reserved", offsetof(struct kipc_queue_msg, reserved), true },
		{ "reserved", offsetof(struct kipc_queue_msg, reserved), false },
	};
	static const unsigned int counts[] = { 2, VEC_LONG };
	struct kipc_queue_msg vec[VEC_LONG];
	struct kipc_queue_mxfer mx;
	struct env *e = &self->e;
	char one = 'x';

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		for (size_t c = 0; c < 2; c++) {
			uint32_t v = 1;

			memset(vec, 0, sizeof(vec));
			for (unsigned int k = 0; k < counts[c]; k++) {
				vec[k].buf = (uintptr_t)(f[i].send ? (void *)&one : e->buf);
				vec[k].len = f[i].send ? 1 : sizeof(e->buf);
			}
			memcpy((char *)&vec[counts[c] - 1] + f[i].off, &v, 4);
			memset(&mx, 0, sizeof(mx));
			mx.msgs = (uintptr_t)vec;
			mx.count = counts[c];
			mx.flags = KIPC_WAIT_NONBLOCK;
			EXPECT_EQ(-EINVAL, xioctl(e->queue, f[i].send ?
						  KIPC_QUEUE_IOC_SENDV :
						  KIPC_QUEUE_IOC_RECVV, &mx))
				TH_LOG("%s %s, %u entries", f[i].send ? "SENDV" : "RECVV",
				       f[i].name, counts[c]);
			EXPECT_EQ(-EAGAIN, read(e->queue, e->buf, sizeof(e->buf)) < 0 ?
					   -errno : 0);
		}
	}

	/* Valid: the queue takes Q_MSGS of them, the rest would wait. */
	memset(vec, 0, sizeof(vec));
	for (unsigned int k = 0; k < VEC_LONG; k++) {
		vec[k].buf = (uintptr_t)&one;
		vec[k].len = 1;
	}
	memset(&mx, 0, sizeof(mx));
	mx.msgs = (uintptr_t)vec;
	mx.count = VEC_LONG;
	mx.flags = KIPC_WAIT_NONBLOCK;
	EXPECT_EQ(Q_MSGS, xioctl(e->queue, KIPC_QUEUE_IOC_SENDV, &mx));
	for (unsigned int k = 0; k < VEC_LONG; k++) {
		vec[k].buf = (uintptr_t)e->buf;
		vec[k].len = sizeof(e->buf);
	}
	EXPECT_EQ(Q_MSGS, xioctl(e->queue, KIPC_QUEUE_IOC_RECVV, &mx));
}

/* Each bit of each flag word that means nothing: -EINVAL. */
TEST_F(abi, unknown_flag_bits)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const struct cmd *c = &cmds[i];

		for (const struct flagword *f = c->flags;
		     f < c->flags + 3 && (f == c->flags || f->off); f++) {
			for (int b = 0; b < 32; b++) {
				uint64_t arg[64];
				uint32_t v;

				if (f->valid & (1U << b))
					continue;
				memset(arg, 0, sizeof(arg));
				c->fill(&self->e, arg);
				memcpy(&v, (char *)arg + f->off, 4);
				v |= 1U << b;
				memcpy((char *)arg + f->off, &v, 4);
				EXPECT_EQ(-EINVAL, call(&self->e, c, arg))
					TH_LOG("%s: flag word at %u, bit %d",
					       c->name, f->off, b);
			}
		}
	}
}

/* The size is part of the command: one word more or less is -ENOTTY. */
TEST_F(abi, wrong_size)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const struct cmd *c = &cmds[i];
		unsigned int size = _IOC_SIZE(c->cmd);

		for (int d = -8; d <= 8; d += 4) {
			uint64_t arg[64];
			unsigned long cmd = _IOC(_IOC_DIR(c->cmd), KIPC_IOC_MAGIC,
						 _IOC_NR(c->cmd), size + d);

			if (!d)
				continue;
			memset(arg, 0, sizeof(arg));
			c->fill(&self->e, arg);
			EXPECT_EQ(-ENOTTY, xioctl(target_fd(&self->e, c->on), cmd, arg))
				TH_LOG("%s with %u bytes", c->name, size + d);
		}
	}
}

/* No byte of reserved space or past a name's NUL comes back non-zero. */
static void check_head_clean(struct __test_metadata *_metadata,
			     const struct kipc_obj_head *h)
{
	size_t n = strnlen(h->name, sizeof(h->name));

	ASSERT_GT(sizeof(h->name), n);
	for (size_t k = n; k < sizeof(h->name); k++) {
		EXPECT_EQ(0, h->name[k]) TH_LOG("name byte %zu", k);
	}
	EXPECT_EQ(0, h->reserved[0]);
	EXPECT_EQ(0, h->reserved[1]);
}

/* Out fields are overwritten, reserved space comes back zero. */
TEST_F(abi, poisoned_out_structs)
{
	struct kipc_queue_info qi;
	struct kipc_ring_info ri;
	struct kipc_info info;
	struct kipc_list ls;

	memset(&info, POISON, sizeof(info));
	info.flags = 0;
	memset(info.reserved, 0, sizeof(info.reserved));
	ASSERT_EQ(0, xioctl(self->e.dev, KIPC_IOC_GET_INFO, &info));
	EXPECT_EQ(KIPC_ABI_VERSION, info.abi_version);
	EXPECT_EQ((1ULL << KIPC_OBJ_RING) | (1ULL << KIPC_OBJ_QUEUE), info.obj_types);
	EXPECT_EQ(sysconf(_SC_PAGESIZE), info.page_size);
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(0, info.reserved[i]);

	memset(&ri, POISON, sizeof(ri));
	ri.flags = 0;
	ri.reserved0 = 0;
	memset(ri.reserved, 0, sizeof(ri.reserved));
	memset(ri.obj.reserved, 0, sizeof(ri.obj.reserved));
	ASSERT_EQ(0, xioctl(self->e.ring, KIPC_RING_IOC_INFO, &ri));
	EXPECT_EQ(0, ri.ring_flags);
	EXPECT_EQ(KIPC_OBJ_RING, ri.obj.type);
	EXPECT_EQ(BOTH, ri.obj.role);
	EXPECT_EQ(0600, ri.obj.mode);
	EXPECT_EQ(getuid(), ri.obj.uid);
	EXPECT_EQ(getgid(), ri.obj.gid);
	EXPECT_EQ(0, ri.obj.state);
	EXPECT_EQ(1, ri.obj.nr_producers);
	EXPECT_EQ(1, ri.obj.nr_consumers);
	EXPECT_EQ(0, ri.obj.read_waiters);
	EXPECT_EQ(0, ri.obj.write_waiters);
	EXPECT_STREQ("", ri.obj.name);
	check_head_clean(_metadata, &ri.obj);
	EXPECT_EQ(RING_SZ, ri.data_size);
	EXPECT_EQ(0, ri.head);
	EXPECT_EQ(0, ri.tail);
	EXPECT_EQ(0, ri.read_seq);
	EXPECT_EQ(0, ri.write_seq);
	EXPECT_EQ(0, ri.flags);
	EXPECT_EQ(0, ri.reserved0);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(0, ri.reserved[i]);

	memset(&qi, POISON, sizeof(qi));
	qi.flags = 0;
	memset(qi.reserved, 0, sizeof(qi.reserved));
	memset(qi.obj.reserved, 0, sizeof(qi.obj.reserved));
	ASSERT_EQ(0, xioctl(self->e.queue, KIPC_QUEUE_IOC_INFO, &qi));
	EXPECT_EQ(0, qi.queue_flags);
	EXPECT_EQ(KIPC_OBJ_QUEUE, qi.obj.type);
	EXPECT_EQ(BOTH, qi.obj.role);
	EXPECT_EQ(0, qi.obj.state);
	check_head_clean(_metadata, &qi.obj);
	EXPECT_EQ(0, qi.msgs);
	EXPECT_EQ(0, qi.inflight);
	EXPECT_EQ(0, qi.bytes);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(0, qi.reserved[i]);

	/* LIST entries are output only: poisoned whole. */
	memset(self->e.ents, POISON, sizeof(self->e.ents));
	memset(&ls, 0, sizeof(ls));
	ls.entries = (uintptr_t)self->e.ents;
	ls.nr_entries = 4;
	ASSERT_EQ(0, xioctl(self->e.dev, KIPC_IOC_LIST, &ls));
	ASSERT_LE(2, ls.nr_entries);	/* our ring and queue, anonymous */
	for (unsigned int i = 0; i < ls.nr_entries; i++) {
		const struct kipc_obj_entry *en = &self->e.ents[i];

		EXPECT_EQ(0, en->obj.role);
		check_head_clean(_metadata, &en->obj);
		EXPECT_EQ(0, en->reserved0);
		EXPECT_EQ(0, en->reserved[0]);
		EXPECT_EQ(0, en->reserved[1]);
	}
}

/* ------------------------------------------------------------------ */
/* INFO across fork and exec                                            */
/* ------------------------------------------------------------------ */

/*
 * What INFO must say about the objects of info_across_*: 0 when it does,
 * else the number of the first field that differs.
 */
static int check_ring_info(int fd, uint32_t role, const char *name)
{
	struct kipc_ring_info ri;

	if (tring_info(fd, &ri))
		return 1;
	if (ri.ring_flags != KIPC_RING_F_MPSC || ri.data_size != RING_SZ)
		return 2;
	if (ri.lowat != RING_LOWAT || ri.obj.type != KIPC_OBJ_RING)
		return 3;
	if (ri.obj.role != role || ri.obj.mode != 0640 ||
	    strncmp(ri.obj.name, name, strlen(name)) ||
	    strcmp(ri.obj.name + strlen(name), "-r"))
		return 4;
	if (ri.max_record != RING_SZ - sizeof(struct kipc_rec_hdr))
		return 5;
	return 0;
}

static int check_queue_info(int fd, uint32_t role, const char *name)
{
	struct kipc_queue_info qi;

	memset(&qi, 0, sizeof(qi));
	if (ioctl(fd, KIPC_QUEUE_IOC_INFO, &qi))
		return 11;
	if (qi.max_msg_size != Q_MSG || qi.max_msgs != Q_MSGS ||
	    qi.max_bytes != Q_BYTES)
		return 12;
	if (qi.obj.type != KIPC_OBJ_QUEUE || qi.obj.role != role ||
	    qi.obj.mode != 0604 || strncmp(qi.obj.name, name, strlen(name)) ||
	    strcmp(qi.obj.name + strlen(name), "-q"))
		return 13;
	if (qi.msgs != 1 || qi.bytes != 3)
		return 14;
	return 0;
}

/*
 * The exec'd half of info_across_exec: KIPC_ABI_TEST_CHILD names two
 * inherited fds ("RING QUEUE NAME"); the exit status is the check's.
 */
__attribute__((constructor)) static void abi_exec_child(void)
{
	const char *s = getenv("KIPC_ABI_TEST_CHILD");
	char name[64];
	int rfd, qfd, ret;

	if (!s)
		return;
	if (sscanf(s, "%d %d %63s", &rfd, &qfd, name) != 3)
		_exit(99);
	ret = check_ring_info(rfd, KIPC_ROLE_PRODUCER, name);
	if (!ret)
		ret = check_queue_info(qfd, KIPC_ROLE_CONSUMER, name);
	_exit(ret);
}

/*
 * A ring "@name-r" and a queue "@name-q" (one registry holds the names
 * of every type) with unusual parameters, a message queued, and a
 * producer fd of the ring and a consumer fd of the queue opened by name.
 */
static void make_named(struct __test_metadata *_metadata, int dev,
		       const char *name, int *rfd, int *qfd, int *pfd, int *cfd)
{
	struct kipc_ring_create rc;
	char rname[80], qname[80];

	snprintf(rname, sizeof(rname), "%s-r", name);
	snprintf(qname, sizeof(qname), "%s-q", name);
	memset(&rc, 0, sizeof(rc));
	rc.obj.name = (uintptr_t)rname;
	rc.obj.mode = 0640;
	rc.obj.role = BOTH;
	rc.flags = KIPC_RING_F_MPSC;
	rc.lowat = RING_LOWAT;
	rc.data_size = RING_SZ;
	*rfd = xioctl(dev, KIPC_IOC_RING_CREATE, &rc);
	ASSERT_LE(0, *rfd);
	ASSERT_EQ(*rfd, rc.obj.fd);
	*qfd = kq_create_full(dev, Q_MSG, Q_MSGS, Q_BYTES, BOTH, 0, qname, 0604);
	ASSERT_LE(0, *qfd);
	ASSERT_EQ(3, write(*qfd, "abc", 3));
	EXPECT_EQ(0, check_ring_info(*rfd, BOTH, name));
	EXPECT_EQ(0, check_queue_info(*qfd, BOTH, name));
	*pfd = tring_open(dev, rname, KIPC_ROLE_PRODUCER, 0);
	ASSERT_LE(0, *pfd);
	*cfd = kq_open(dev, qname, KIPC_ROLE_CONSUMER, 0);
	ASSERT_LE(0, *cfd);
}

TEST_F(abi, info_across_fork)
{
	int rfd, qfd, pfd, cfd;
	char name[64];
	pid_t pid;

	snprintf(name, sizeof(name), "%s", self->e.named);
	make_named(_metadata, self->e.dev, name, &rfd, &qfd, &pfd, &cfd);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ret = check_ring_info(pfd, KIPC_ROLE_PRODUCER, name);

		_exit(ret ? ret : check_queue_info(cfd, KIPC_ROLE_CONSUMER, name));
	}
	EXPECT_EQ(0, tenv_reap(pid));
	close(cfd);
	close(pfd);
	close(qfd);
	close(rfd);
}

TEST_F(abi, info_across_exec)
{
	int rfd, qfd, pfd, cfd;
	char name[64], env[160];
	pid_t pid;

	snprintf(name, sizeof(name), "%s", self->e.named);
	make_named(_metadata, self->e.dev, name, &rfd, &qfd, &pfd, &cfd);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* kipc fds are O_CLOEXEC: dup2() makes copies that survive. */
		if (dup2(pfd, 100) != 100 || dup2(cfd, 101) != 101)
			_exit(97);
		snprintf(env, sizeof(env), "KIPC_ABI_TEST_CHILD=100 101 %s", name);
		putenv(env);
		execl("/proc/self/exe", "abi_test", (char *)NULL);
		_exit(98);
	}
	EXPECT_EQ(0, tenv_reap(pid));
	close(cfd);
	close(pfd);
	close(qfd);
	close(rfd);
}

/* ------------------------------------------------------------------ */
/* Peer state                                                           */
/* ------------------------------------------------------------------ */

static int kdup(int dev, int fd, uint32_t role)
{
	struct kipc_dup d;

	memset(&d, 0, sizeof(d));
	d.fd = fd;
	d.role = role;
	return xioctl(dev, KIPC_IOC_DUP, &d);
}

/*
 * A child holds @keep (and nothing else of the object) until killed
 * with -9; the parent has already closed its copy.  Returns once the
 * child is dead.
 */
static void peer_killed(struct __test_metadata *_metadata, int keep,
			int *closefd)
{
	int sync[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(*closefd);
		close(sync[0]);
		if (write(sync[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(sync[1]);
	close(keep);
	ASSERT_EQ(1, read(sync[0], &c, 1));
	close(sync[0]);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, tenv_reap(pid));
}

/* Which state LIST reports for object @id. */
static long long list_state(int dev, uint64_t id)
{
	struct kipc_obj_entry e;

	return tobj_list_find(dev, id, NULL, &e) ? -1 : (long long)e.obj.state;
}

TEST_F(abi, ring_state_after_kill)
{
	struct kipc_ring_info ri;
	struct tring c;
	uint32_t state;
	int pfd, cfd;

	pfd = kdup(self->e.dev, self->e.ring, KIPC_ROLE_PRODUCER);
	ASSERT_LE(0, pfd);
	cfd = kdup(self->e.dev, self->e.ring, KIPC_ROLE_CONSUMER);
	ASSERT_LE(0, cfd);
	close(self->e.ring);
	self->e.ring = -1;
	ASSERT_EQ(0, tring_info(cfd, &ri));
	EXPECT_EQ(1, ri.obj.nr_producers);
	EXPECT_EQ(0, ri.obj.state);

	/* The producer dies: the consumer sees NO_PRODUCERS everywhere. */
	peer_killed(_metadata, pfd, &cfd);
	ASSERT_EQ(0, tring_info(cfd, &ri));
	EXPECT_EQ(0, ri.obj.nr_producers);
	EXPECT_EQ(1, ri.obj.nr_consumers);
	EXPECT_EQ(KIPC_STATE_NO_PRODUCERS, ri.obj.state);
	EXPECT_EQ(KIPC_STATE_NO_PRODUCERS, list_state(self->e.dev, ri.obj.id));
	/* WAIT for data: 0 at once, with the state that ended it. */
	state = ~0U;
	EXPECT_EQ(0, tring_wait_state(cfd, KIPC_EV_READABLE, ri.read_seq, 0, 0,
				      &state));
	EXPECT_EQ(KIPC_STATE_NO_PRODUCERS, state);
	/* The layout page says the same. */
	ASSERT_EQ(0, tring_map(&c, cfd, KIPC_ROLE_CONSUMER));
	EXPECT_EQ(KIPC_STATE_NO_PRODUCERS,
		  __atomic_load_n(&c.info->state, __ATOMIC_ACQUIRE));
	EXPECT_EQ(0, c.info->nr_producers);
	tring_unmap(&c);
}

TEST_F(abi, ring_state_consumer_killed)
{
	struct kipc_ring_info ri;
	uint32_t state;
	int pfd, cfd;

	pfd = kdup(self->e.dev, self->e.ring, KIPC_ROLE_PRODUCER);
	ASSERT_LE(0, pfd);
	cfd = kdup(self->e.dev, self->e.ring, KIPC_ROLE_CONSUMER);
	ASSERT_LE(0, cfd);
	close(self->e.ring);
	self->e.ring = -1;

	peer_killed(_metadata, cfd, &pfd);
	ASSERT_EQ(0, tring_info(pfd, &ri));
	EXPECT_EQ(0, ri.obj.nr_consumers);
	EXPECT_EQ(1, ri.obj.nr_producers);
	EXPECT_EQ(KIPC_STATE_NO_CONSUMERS, ri.obj.state);
	EXPECT_EQ(KIPC_ROLE_PRODUCER, ri.obj.role);
	/* WAIT for room: -EPIPE, and the state says why. */
	state = ~0U;
	EXPECT_EQ(-EPIPE, tring_wait_state(pfd, KIPC_EV_WRITABLE, ri.write_seq,
					   0, 0, &state));
	EXPECT_EQ(KIPC_STATE_NO_CONSUMERS, state);
	close(pfd);
}

TEST_F(abi, queue_state_after_kill)
{
	struct kipc_queue_info qi;
	char buf[Q_MSG];
	int pfd, cfd;

	pfd = kdup(self->e.dev, self->e.queue, KIPC_ROLE_PRODUCER);
	ASSERT_LE(0, pfd);
	cfd = kdup(self->e.dev, self->e.queue, KIPC_ROLE_CONSUMER);
	ASSERT_LE(0, cfd);
	close(self->e.queue);
	self->e.queue = -1;
	ASSERT_EQ(2, write(pfd, "hi", 2));

	peer_killed(_metadata, pfd, &cfd);
	memset(&qi, 0, sizeof(qi));
	ASSERT_EQ(0, xioctl(cfd, KIPC_QUEUE_IOC_INFO, &qi));
	EXPECT_EQ(0, qi.obj.nr_producers);
	EXPECT_EQ(KIPC_STATE_NO_PRODUCERS, qi.obj.state);
	EXPECT_EQ(KIPC_STATE_NO_PRODUCERS, list_state(self->e.dev, qi.obj.id));
	/* What was sent is still there, then end of stream: 0, as read(). */
	EXPECT_EQ(2, kq_recv(cfd, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ(0, kq_recv(cfd, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ(0, read(cfd, buf, sizeof(buf)));
	close(cfd);
}

TEST_F(abi, queue_state_consumer_killed)
{
	struct kipc_queue_info qi;
	int pfd, cfd;

	pfd = kdup(self->e.dev, self->e.queue, KIPC_ROLE_PRODUCER);
	ASSERT_LE(0, pfd);
	cfd = kdup(self->e.dev, self->e.queue, KIPC_ROLE_CONSUMER);
	ASSERT_LE(0, cfd);
	close(self->e.queue);
	self->e.queue = -1;

	peer_killed(_metadata, cfd, &pfd);
	memset(&qi, 0, sizeof(qi));
	ASSERT_EQ(0, xioctl(pfd, KIPC_QUEUE_IOC_INFO, &qi));
	EXPECT_EQ(0, qi.obj.nr_consumers);
	EXPECT_EQ(KIPC_STATE_NO_CONSUMERS, qi.obj.state);
	EXPECT_EQ(-EPIPE, kq_send(pfd, "x", 1, 0, 0, 0));
	close(pfd);
}

/* WAIT with KIPC_WAIT_NONBLOCK on a blocking fd: -EAGAIN, no sleep. */
TEST_F(abi, ring_wait_nonblock)
{
	uint32_t state = ~0U;

	/* The count is 0 and nothing moves it. */
	EXPECT_EQ(-EAGAIN, tring_wait_state(self->e.ring, KIPC_EV_READABLE, 0, 0,
					    KIPC_WAIT_NONBLOCK, &state));
	EXPECT_EQ(0, state);
	EXPECT_EQ(-EAGAIN, tring_wait_state(self->e.ring, KIPC_EV_WRITABLE, 0, 0,
					    KIPC_WAIT_NONBLOCK, &state));
	/* A count that moved on: 0, as without the flag. */
	EXPECT_EQ(0, tring_wait_state(self->e.ring, KIPC_EV_READABLE, 5, 0,
				      KIPC_WAIT_NONBLOCK, &state));
}

/* ------------------------------------------------------------------ */
/* fdinfo: for people, but well formed and in agreement with INFO      */
/* ------------------------------------------------------------------ */

struct kv {
	char key[32], val[96];
};

/* The kipc lines of @fd's fdinfo, from "kipc-type:" on; their number. */
static int read_fdinfo(int fd, struct kv *kv, int max)
{
	char path[64], line[256];
	int n = 0, in = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < max) {
		char *tab = strchr(line, '\t');

		if (!strncmp(line, "kipc-type:", 10))
			in = 1;
		if (!in)
			continue;
		/* "key:<TAB>value<NL>", the key lower case and hyphenated. */
		if (!tab || tab == line || tab[-1] != ':' ||
		    strspn(line, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
		    (size_t)(tab - 1 - line) || tab[1] == '\n' ||
		    line[strlen(line) - 1] != '\n') {
			n = -2;
			break;
		}
		snprintf(kv[n].key, sizeof(kv[n].key), "%.*s", (int)(tab - 1 - line), line);
		snprintf(kv[n].val, sizeof(kv[n].val), "%.*s",
			 (int)strcspn(tab + 1, "\n"), tab + 1);
		n++;
	}
	fclose(f);
	return n;
}

static const char *kv_get(const struct kv *kv, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].val;
	return NULL;
}

static void check_common(struct __test_metadata *_metadata, const struct kv *kv,
			 int n, const struct kipc_obj_head *h, const char *type)
{
	static const char *const keys[] = {
		"kipc-type", "kipc-id", "name", "role", "state", "producers",
		"consumers", "read-waiters", "write-waiters",
	};
	static const char *const roles[] = {
		"", "producer", "consumer", "producer,consumer",
	};
	char v[64];

	ASSERT_LE(9, n);
	for (int i = 0; i < 9; i++)
		EXPECT_STREQ(keys[i], kv[i].key);
	EXPECT_STREQ(type, kv[0].val);
	snprintf(v, sizeof(v), "%" PRIu64, (uint64_t)h->id);
	EXPECT_STREQ(v, kv[1].val);
	EXPECT_STREQ(h->name[0] ? h->name : "-", kv[2].val);
	EXPECT_STREQ(roles[h->role & 3], kv[3].val);
	EXPECT_EQ(h->state, strtoul(kv[4].val, NULL, 0));
	EXPECT_EQ(h->nr_producers, strtoul(kv[5].val, NULL, 0));
	EXPECT_EQ(h->nr_consumers, strtoul(kv[6].val, NULL, 0));
	EXPECT_EQ(h->read_waiters, strtoul(kv[7].val, NULL, 0));
	EXPECT_EQ(h->write_waiters, strtoul(kv[8].val, NULL, 0));
}

static unsigned long long kv_num(const struct kv *kv, int n, const char *key)
{
	const char *v = kv_get(kv, n, key);

	return v ? strtoull(v, NULL, 0) : ~0ULL;
}

TEST_F(abi, fdinfo_agrees_with_info)
{
	struct kipc_queue_info qi;
	struct kipc_ring_info ri;
	struct kv kv[40];
	int n, pfd;

	ASSERT_EQ(3, write(self->e.queue, "abc", 3));
	pfd = kdup(self->e.dev, self->e.ring, KIPC_ROLE_PRODUCER);
	ASSERT_LE(0, pfd);

	ASSERT_EQ(0, tring_info(pfd, &ri));
	n = read_fdinfo(pfd, kv, 40);
	check_common(_metadata, kv, n, &ri.obj, "ring");
	EXPECT_EQ(ri.ring_flags, kv_num(kv, n, "ring-flags"));
	EXPECT_EQ(ri.data_size, kv_num(kv, n, "data-size"));
	EXPECT_EQ(ri.lowat, kv_num(kv, n, "lowat"));
	EXPECT_EQ(ri.head, kv_num(kv, n, "head"));
	EXPECT_EQ(ri.tail, kv_num(kv, n, "tail"));
	EXPECT_EQ(ri.read_seq, kv_num(kv, n, "read-seq"));
	EXPECT_EQ(ri.write_seq, kv_num(kv, n, "write-seq"));
	EXPECT_NE(NULL, kv_get(kv, n, "read-announce"));
	EXPECT_NE(NULL, kv_get(kv, n, "write-announce"));

	memset(&qi, 0, sizeof(qi));
	ASSERT_EQ(0, xioctl(self->e.queue, KIPC_QUEUE_IOC_INFO, &qi));
	n = read_fdinfo(self->e.queue, kv, 40);
	check_common(_metadata, kv, n, &qi.obj, "queue");
	EXPECT_EQ(qi.max_msg_size, kv_num(kv, n, "max-msg-size"));
	EXPECT_EQ(qi.max_msgs, kv_num(kv, n, "max-msgs"));
	EXPECT_EQ(qi.max_bytes, kv_num(kv, n, "max-bytes"));
	EXPECT_EQ(1, kv_num(kv, n, "msgs"));
	EXPECT_EQ(3, kv_num(kv, n, "bytes"));
	EXPECT_EQ(0, kv_num(kv, n, "inflight"));
	close(pfd);
}

KIPC_TEST_HARNESS_MAIN
