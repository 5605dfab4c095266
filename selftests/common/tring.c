// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * tring - the selftests' own small implementation of the kipc ring
 * protocol (see tring.h and include/uapi/linux/kipc.h).
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "tring.h"

#define LOAD_ACQ(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define LOAD(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE_REL(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define MB()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

int tring_dev(void)
{
	int fd = open("/dev/kipc", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

const char *tring_dev_skip(int *dev, uint64_t need)
{
	static char why[64];
	struct kipc_info info;

	*dev = tring_dev();
	if (*dev == -ENOENT || *dev == -ENXIO || *dev == -ENODEV)
		return "kipc module not loaded";
	if (*dev < 0)
		return NULL;
	memset(&info, 0, sizeof(info));
	if (ioctl(*dev, KIPC_IOC_GET_INFO, &info) || (info.features & need) == need)
		return NULL;
	snprintf(why, sizeof(why), "kipc module without feature bits 0x%llx",
		 (unsigned long long)(need & ~info.features));
	return why;
}

int tring_create(int dev, uint64_t size, uint32_t flags, uint32_t role,
		 const char *name, uint32_t mode, uint32_t fd_flags)
{
	struct kipc_ring_create rc;
	int ret;

	memset(&rc, 0, sizeof(rc));
	rc.flags = flags;
	rc.obj.role = role;
	rc.data_size = size;
	rc.obj.name = (uintptr_t)name;
	rc.obj.mode = mode;
	rc.obj.fd_flags = fd_flags;
	ret = ioctl(dev, KIPC_IOC_RING_CREATE, &rc);
	if (ret < 0)
		return -errno;
	return ret == rc.obj.fd ? ret : -EPROTO;
}

int tobj_open(int dev, const char *name, uint32_t type, uint32_t role,
	      uint32_t fd_flags)
{
	struct kipc_open op;
	int ret;

	memset(&op, 0, sizeof(op));
	op.name = (uintptr_t)name;
	op.type = type;
	op.role = role;
	op.fd_flags = fd_flags;
	ret = ioctl(dev, KIPC_IOC_OPEN, &op);
	if (ret < 0)
		return -errno;
	return ret == op.fd ? ret : -EPROTO;
}

int tring_open(int dev, const char *name, uint32_t role, uint32_t fd_flags)
{
	return tobj_open(dev, name, KIPC_OBJ_RING, role, fd_flags);
}

int tobj_unlink(int dev, const char *name, uint32_t type)
{
	struct kipc_unlink ul;

	memset(&ul, 0, sizeof(ul));
	ul.name = (uintptr_t)name;
	ul.type = type;
	return ioctl(dev, KIPC_IOC_UNLINK, &ul) < 0 ? -errno : 0;
}

int tring_unlink(int dev, const char *name)
{
	return tobj_unlink(dev, name, KIPC_OBJ_RING);
}

int tobj_fdinfo_str(int fd, const char *key, char *out, size_t n)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	int ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			char *v = line + klen + 1;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = 0;
			snprintf(out, n, "%s", v);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

long long tobj_fdinfo(int fd, const char *key)
{
	char v[64], *end;
	long long val;

	if (tobj_fdinfo_str(fd, key, v, sizeof(v)))
		return LLONG_MIN;
	val = strtoll(v, &end, 0);
	return end == v ? LLONG_MIN : val;
}

int tring_map(struct tring *r, int fd, uint32_t role)
{
	const struct kipc_ring_layout *info;
	void *map, *cons;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	info = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, fd,
		    KIPC_RING_OFF_LAYOUT);
	if (info == MAP_FAILED)
		return -errno;
	if (info->magic != KIPC_RING_MAGIC || info->data_size < 4096 ||
	    (info->data_size & (info->data_size - 1)) ||
	    info->map_size != KIPC_RING_MAP_SIZE(info->page_size, info->data_size)) {
		munmap((void *)info, sysconf(_SC_PAGESIZE));
		return -EPROTO;
	}
	map = mmap(NULL, info->map_size,
		   PROT_READ | (role & KIPC_ROLE_PRODUCER ? PROT_WRITE : 0),
		   MAP_SHARED, fd, KIPC_RING_OFF_RING);
	if (map == MAP_FAILED) {
		int err = -errno;

		munmap((void *)info, sysconf(_SC_PAGESIZE));
		return err;
	}
	cons = mmap(NULL, sysconf(_SC_PAGESIZE),
		    PROT_READ | (role & KIPC_ROLE_CONSUMER ? PROT_WRITE : 0),
		    MAP_SHARED, fd, KIPC_RING_OFF_CONS);
	if (cons == MAP_FAILED) {
		int err = -errno;

		munmap(map, info->map_size);
		munmap((void *)info, sysconf(_SC_PAGESIZE));
		return err;
	}
	r->fd = fd;
	r->role = role;
	r->info = info;
	r->map = map;
	r->map_len = info->map_size;
	r->prod = (struct kipc_ring_prod *)((char *)map + info->ctrl_offset);
	r->cons = cons;
	r->salt = info->rec_salt;
	r->data = (unsigned char *)map + info->data_offset;
	r->size = info->data_size;
	r->mask = info->data_size - 1;
	r->max_record = info->max_record;
	r->mpsc = info->flags & KIPC_RING_F_MPSC;
	return 0;
}

void tring_unmap(struct tring *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	if (r->cons)
		munmap(r->cons, sysconf(_SC_PAGESIZE));
	if (r->info)
		munmap((void *)r->info, sysconf(_SC_PAGESIZE));
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

int tring_info(int fd, struct kipc_ring_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	return ioctl(fd, KIPC_RING_IOC_INFO, ri) < 0 ? -errno : 0;
}

int tobj_head(int fd, struct kipc_obj_head *h)
{
	struct kipc_queue_info qi;
	struct kipc_ring_info ri;
	int ret = tring_info(fd, &ri);

	if (!ret) {
		*h = ri.obj;
		return 0;
	}
	if (ret != -ENOTTY)
		return ret;
	memset(&qi, 0, sizeof(qi));
	if (ioctl(fd, KIPC_QUEUE_IOC_INFO, &qi) < 0)
		return -errno;
	*h = qi.obj;
	return 0;
}

long long tobj_info(int fd, const char *key)
{
	static const struct {
		const char *key;
		int ring_off, queue_off, size;
	} f[] = {
#define H(k, m) { k, offsetof(struct kipc_ring_info, obj.m), \
		  offsetof(struct kipc_queue_info, obj.m), \
		  sizeof(((struct kipc_obj_head *)0)->m) }
#define R(k, m) { k, offsetof(struct kipc_ring_info, m), -1, \
		  sizeof(((struct kipc_ring_info *)0)->m) }
#define Q(k, m) { k, -1, offsetof(struct kipc_queue_info, m), \
		  sizeof(((struct kipc_queue_info *)0)->m) }
		H("kipc-id", id), H("type", type), H("role", role),
		H("mode", mode), H("state", state),
		H("producers", nr_producers), H("consumers", nr_consumers),
		H("read-waiters", read_waiters),
		H("write-waiters", write_waiters),
		R("ring-flags", ring_flags), R("data-size", data_size),
		R("max-record", max_record), R("head", head), R("tail", tail),
		R("lowat", lowat), R("read-seq", read_seq),
		R("write-seq", write_seq),
		Q("queue-flags", queue_flags), Q("max-msg-size", max_msg_size),
		Q("max-msgs", max_msgs), Q("max-bytes", max_bytes),
		Q("msgs", msgs), Q("inflight", inflight), Q("bytes", bytes),
#undef H
#undef R
#undef Q
	};
	union {
		struct kipc_ring_info r;
		struct kipc_queue_info q;
	} u;
	const unsigned char *base = (const unsigned char *)&u;
	int ring, off = -1;
	uint64_t v = 0;

	ring = !tring_info(fd, &u.r);
	if (!ring) {
		memset(&u.q, 0, sizeof(u.q));
		if (ioctl(fd, KIPC_QUEUE_IOC_INFO, &u.q) < 0)
			return LLONG_MIN;
	}
	/* Derived: bytes between head and tail, and all sleepers. */
	if (ring && !strcmp(key, "used"))
		return (long long)(u.r.tail - u.r.head);
	if (!strcmp(key, "waiters"))
		return ring ? (long long)u.r.obj.read_waiters + u.r.obj.write_waiters :
			      (long long)u.q.obj.read_waiters + u.q.obj.write_waiters;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (strcmp(key, f[i].key))
			continue;
		off = ring ? f[i].ring_off : f[i].queue_off;
		if (off < 0)
			return LLONG_MIN;
		if (f[i].size == 8)
			memcpy(&v, base + off, 8);
		else {
			uint32_t v32;

			memcpy(&v32, base + off, 4);
			v = v32;
		}
		return (long long)v;
	}
	return LLONG_MIN;
}

int tobj_list_find(int dev, uint64_t id, const char *name,
		   struct kipc_obj_entry *out)
{
	static struct kipc_obj_entry ents[256];
	struct kipc_list ls;

	memset(&ls, 0, sizeof(ls));
	ls.entries = (uintptr_t)ents;
	ls.nr_entries = 256;
	if (ioctl(dev, KIPC_IOC_LIST, &ls))
		return -errno;
	for (uint32_t i = 0; i < ls.nr_entries; i++) {
		if (id ? ents[i].obj.id == id : !strcmp(ents[i].obj.name, name)) {
			*out = ents[i];
			return 0;
		}
	}
	return -ENOENT;
}

int tring_wait_state(int fd, uint32_t event, uint32_t seq,
		     uint64_t deadline_ns, uint32_t flags, uint32_t *state)
{
	struct kipc_ring_wait w;
	int ret;

	memset(&w, 0, sizeof(w));
	w.event = event;
	w.seq = seq;
	w.flags = flags;
	w.timeout = deadline_ns;
	ret = ioctl(fd, KIPC_RING_IOC_WAIT, &w);
	if (state)
		*state = w.state;
	return ret < 0 ? -errno : ret;
}

int tring_wait(int fd, uint32_t event, uint32_t seq, uint64_t deadline_ns,
	       uint32_t flags)
{
	uint32_t state;
	int ret = tring_wait_state(fd, event, seq, deadline_ns, flags, &state);

	if (ret == 0 && event == KIPC_EV_READABLE &&
	    (state & KIPC_STATE_NO_PRODUCERS))
		return TRING_HUP;
	return ret;
}

int tring_wake(int fd, uint32_t event)
{
	struct kipc_ring_wake wk;

	memset(&wk, 0, sizeof(wk));
	wk.event = event;
	return ioctl(fd, KIPC_RING_IOC_WAKE, &wk) < 0 ? -errno : 0;
}

uint64_t tring_now_ns(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint64_t tring_deadline_ms(uint64_t ms)
{
	return tring_now_ns(CLOCK_MONOTONIC) + ms * 1000000ULL;
}

/* The event count of @event, in the waker's page. */
static uint32_t *tring_seq(struct tring *r, uint32_t event)
{
	return event == KIPC_EV_READABLE ? &r->prod->read_seq :
					   &r->cons->write_seq;
}

/* The sleepers' announcement of @event, in the sleeper's page. */
static uint32_t *tring_ann(struct tring *r, uint32_t event)
{
	return event == KIPC_EV_READABLE ? &r->cons->read_announce :
					   &r->prod->write_announce;
}

/*
 * The waker's half of the protocol: publish (done by the caller with a
 * release store), full barrier, and WAKE only if a sleeper announced the
 * current count, after moving it on.  Reading the announcement first
 * keeps the common case, an awake peer, free of atomics as well as of
 * syscalls.
 */
static void tring_notify(struct tring *r, uint32_t event)
{
	uint32_t *seq = tring_seq(r, event);
	uint32_t a, t;

	MB();
	a = LOAD(tring_ann(r, event));
	if (!(a & KIPC_ANNOUNCE_VALID))
		return;
	t = LOAD(seq);
	if (((a ^ t) & KIPC_ANNOUNCE_SEQ) ||
	    !__atomic_compare_exchange_n(seq, &t, t + 1, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return;
	tring_wake(r->fd, event);
	r->nr_wakes++;
}

/*
 * The sleeper's announcement of @seq: keep a later one (several
 * producers share write_announce), then full barrier.
 */
static void tring_announce(struct tring *r, uint32_t event, uint32_t seq)
{
	uint32_t *ann = tring_ann(r, event), cur;

	for (int i = 0; i < 16; i++) {
		cur = LOAD(ann);
		if ((cur & KIPC_ANNOUNCE_VALID) &&
		    ((cur - seq) & KIPC_ANNOUNCE_SEQ) - 1 < KIPC_ANNOUNCE_SEQ / 2)
			break;
		if (cur == KIPC_ANNOUNCE(seq) ||
		    __atomic_compare_exchange_n(ann, &cur, KIPC_ANNOUNCE(seq), false,
						__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			break;
	}
	MB();
}

void *tring_reserve(struct tring *r, uint32_t len, uint64_t *pos)
{
	uint64_t space = KIPC_REC_SPACE(len);
	uint64_t head, tail;

	if (len > r->max_record)
		return NULL;
	if (!r->mpsc) {
		tail = LOAD(&r->prod->tail);
		head = LOAD_ACQ(&r->cons->head);
		if (tail - head > r->size || tail + space - head > r->size)
			return NULL;
	} else {
		/* Head first: head <= tail holds for any tail read later. */
		head = LOAD_ACQ(&r->cons->head);
		tail = LOAD(&r->prod->tail);
		do {
			if (tail - head > r->size || tail + space - head > r->size)
				return NULL;
		} while (!__atomic_compare_exchange_n(&r->prod->tail, &tail,
						      tail + space, false,
						      __ATOMIC_ACQ_REL,
						      __ATOMIC_RELAXED));
	}
	*pos = tail;
	return r->data + (tail & r->mask) + sizeof(struct kipc_rec_hdr);
}

void tring_commit(struct tring *r, uint64_t pos, uint32_t len)
{
	struct kipc_rec_hdr *hdr = (void *)(r->data + (pos & r->mask));

	hdr->len = len;
	if (!r->mpsc) {
		hdr->tag = KIPC_REC_TAG(pos, r->salt);
		STORE_REL(&r->prod->tail, pos + KIPC_REC_SPACE(len));
	} else {
		STORE_REL(&hdr->tag, KIPC_REC_TAG(pos, r->salt));
	}
	tring_notify(r, KIPC_EV_READABLE);
}

int tring_reserve_wait(struct tring *r, uint32_t len, void **payload,
		       uint64_t *pos, uint64_t deadline_ns)
{
	uint32_t seq;
	int ret;

	if (len > r->max_record)
		return -EMSGSIZE;
	for (;;) {
		*payload = tring_reserve(r, len, pos);
		if (*payload)
			return 0;
		seq = LOAD_ACQ(&r->cons->write_seq);
		*payload = tring_reserve(r, len, pos);
		if (*payload)
			return 0;
		tring_announce(r, KIPC_EV_WRITABLE, seq);
		*payload = tring_reserve(r, len, pos);
		if (*payload)
			return 0;
		r->nr_waits++;
		ret = tring_wait(r->fd, KIPC_EV_WRITABLE, seq, deadline_ns, 0);
		if (ret < 0)
			return ret;
	}
}

int tring_peek(struct tring *r, const void **payload, uint32_t *len)
{
	for (;;) {
		uint64_t head = LOAD(&r->cons->head);
		struct kipc_rec_hdr *hdr = (void *)(r->data + (head & r->mask));
		uint32_t tag = KIPC_REC_TAG(head, r->salt);
		uint64_t tail, space;
		uint32_t l;

		if (head & (KIPC_REC_ALIGN - 1))
			return -EIO;
		if (!r->mpsc) {
			tail = LOAD_ACQ(&r->prod->tail);
			if (tail == head)
				return 0;
			if (LOAD(&hdr->tag) != tag)
				return -EIO;
		} else {
			if (LOAD_ACQ(&hdr->tag) != tag)
				return 0;
			tail = LOAD(&r->prod->tail);
		}
		l = LOAD(&hdr->len);
		space = KIPC_REC_SPACE(l & KIPC_REC_LEN_MASK);
		/* Nothing here is trusted: a record must fit what was published. */
		if ((l & KIPC_REC_LEN_MASK) > r->max_record ||
		    tail - head > r->size || space > tail - head)
			return -EIO;
		if (l & KIPC_REC_PAD) {
			tring_consume(r, l & KIPC_REC_LEN_MASK);
			continue;
		}
		*payload = hdr + 1;
		*len = l;
		return 1;
	}
}

void tring_consume(struct tring *r, uint32_t len)
{
	uint64_t head = LOAD(&r->cons->head);
	uint64_t space = KIPC_REC_SPACE(len);

	/* The data stays as it is: tags tell laps apart. */
	STORE_REL(&r->cons->head, head + space);
	tring_notify(r, KIPC_EV_WRITABLE);
}

int tring_peek_wait(struct tring *r, const void **payload, uint32_t *len,
		    uint64_t deadline_ns)
{
	uint32_t seq;
	int ret;

	for (;;) {
		ret = tring_peek(r, payload, len);
		if (ret)
			return ret < 0 ? ret : 0;
		seq = LOAD_ACQ(&r->prod->read_seq);
		ret = tring_peek(r, payload, len);
		if (ret)
			return ret < 0 ? ret : 0;
		tring_announce(r, KIPC_EV_READABLE, seq);
		ret = tring_peek(r, payload, len);
		if (ret)
			return ret < 0 ? ret : 0;
		r->nr_waits++;
		ret = tring_wait(r->fd, KIPC_EV_READABLE, seq, deadline_ns, 0);
		if (ret == TRING_HUP) {
			/* No producer left: what is committed is visible. */
			ret = tring_peek(r, payload, len);
			if (ret)
				return ret < 0 ? ret : 0;
			return -ENODATA;
		}
		if (ret < 0)
			return ret;
	}
}

/*
 * Test payloads.  Record number @seq of @producer has a length that both
 * sides derive from (producer, seq), so a lost, duplicated or reordered
 * record shows as a wrong length, sequence number or content.
 *
 *   len >= 16: u64 seq, u32 producer, u32 checksum (FNV-1a of the
 *              rest), then pattern bytes;
 *   len < 16:  byte 0 = producer << 6 | (seq & 63), then pattern bytes.
 *
 * Most records are short so that a million of them stay cheap under
 * emulation; one in 128 is of any size up to @max, and every 100000th
 * is exactly @max.
 */
struct tring_test_hdr {
	uint64_t seq;
	uint32_t producer;
	uint32_t csum;
};

static uint64_t tring_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint32_t tring_test_len(uint32_t producer, uint64_t seq, uint32_t max)
{
	uint64_t h = tring_mix(((uint64_t)producer << 48) ^ seq);

	if (seq % 100000 == 99999)
		return max;
	if ((h & 127) == 0)
		return 1 + (h >> 8) % max;
	return 1 + (h >> 8) % (max < 48 ? max : 48);
}

static unsigned char tring_pattern(uint64_t seq, uint32_t i)
{
	return (unsigned char)(seq * 131 + i * 7 + (i >> 8));
}

static uint32_t tring_fnv(const unsigned char *p, uint32_t len, uint64_t seq,
			  bool fill)
{
	uint32_t h = 2166136261u;
	uint32_t i;

	for (i = 0; i < len; i++) {
		unsigned char c;

		if (fill)
			((unsigned char *)p)[i] = tring_pattern(seq, i);
		c = p[i];
		h = (h ^ c) * 16777619u;
	}
	return h;
}

void tring_test_fill(void *p, uint32_t len, uint32_t producer, uint64_t seq)
{
	unsigned char *b = p;
	uint32_t i;

	if (len >= sizeof(struct tring_test_hdr)) {
		struct tring_test_hdr h = { .seq = seq, .producer = producer };

		h.csum = tring_fnv(b + sizeof(h), len - sizeof(h), seq, true);
		memcpy(b, &h, sizeof(h));
		return;
	}
	b[0] = (unsigned char)(producer << 6 | (seq & 63));
	for (i = 1; i < len; i++)
		b[i] = tring_pattern(seq, i);
}

int tring_test_producer(const void *p, uint32_t len)
{
	struct tring_test_hdr h;

	if (len >= sizeof(h)) {
		memcpy(&h, p, sizeof(h));
		return h.producer < 64 ? (int)h.producer : -1;
	}
	return len ? ((const unsigned char *)p)[0] >> 6 : -1;
}

const char *tring_test_check(const void *p, uint32_t len, uint32_t producer,
			     uint64_t seq, uint32_t max)
{
	const unsigned char *b = p;
	uint32_t i;

	if (len != tring_test_len(producer, seq, max))
		return "length (lost, duplicated or reordered record)";
	if (len >= sizeof(struct tring_test_hdr)) {
		struct tring_test_hdr h;

		memcpy(&h, b, sizeof(h));
		if (h.seq != seq)
			return "sequence number";
		if (h.producer != producer)
			return "producer";
		if (h.csum != tring_fnv(b + sizeof(h), len - sizeof(h), seq, false))
			return "checksum";
		if (len > sizeof(h) &&
		    b[len - 1] != tring_pattern(seq, len - 1 - sizeof(h)))
			return "content";
		return NULL;
	}
	if (b[0] != (unsigned char)(producer << 6 | (seq & 63)))
		return "short record tag";
	for (i = 1; i < len; i++)
		if (b[i] != tring_pattern(seq, i))
			return "short record content";
	return NULL;
}

int tring_spawn_sender(int pfd, int cfd, int *go, const char rec[8])
{
	int pipefd[2];
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		struct tring p;
		uint64_t pos;
		void *pl;
		char c;

		close(cfd);
		close(pipefd[1]);
		if (tring_map(&p, pfd, KIPC_ROLE_PRODUCER))
			_exit(1);
		while (read(pipefd[0], &c, 1) == 1) {
			if (tring_reserve_wait(&p, 8, &pl, &pos, 0))
				_exit(2);
			memcpy(pl, rec, 8);
			tring_commit(&p, pos, 8);
		}
		_exit(0);
	}
	close(pipefd[0]);
	if (pid < 0) {
		close(pipefd[1]);
		return -1;
	}
	*go = pipefd[1];
	return pid;
}
