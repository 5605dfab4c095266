/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkipc - private declarations shared by the library's files.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef KIPC_PRIVATE_H
#define KIPC_PRIVATE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "kipc.h"
#include "ring.h"

/* Open the control device; returns an fd or -errno (-ENODEV if absent). */
int kipc__open_dev(void);

/* ioctl() wrapper that returns the result or -errno and keeps errno. */
int kipc__ioctl(int fd, unsigned long cmd, void *arg);

/* close() that keeps errno. */
void kipc__close_fd(int fd);

#define KIPC_DEFAULT_CAPACITY	(256U << 10)
#define KIPC_DEFAULT_MAX_MSG	(64U << 10)
#define KIPC_DEFAULT_SPIN	200U
#define KIPC_DEFAULT_MODE	0600U
#define KIPC_MAX_MSG_LIMIT	(64U << 20)

/* Guarantees a backend honours (KIPC_F_* bits of struct kipc_opts). */
#define KIPC_F_GUARANTEES	(KIPC_F_MULTI_PRODUCER | KIPC_F_MULTI_CONSUMER | \
				 KIPC_F_CREDENTIALS | KIPC_F_ZERO_COPY | \
				 KIPC_F_PRIORITY)

struct kipc_chan;

/*
 * One backend.  Every operation returns 0 / a count / -errno.  Wait-free
 * forms take a deadline (KIPC_NOWAIT, KIPC_FOREVER, or absolute ns).
 * setup functions fill @ch (role, flags and options are set already) and
 * start by initialising their own member of ch->be: a backend tried
 * before may have left its state there.
 */
struct kipc_backend_ops {
	const char *name;
	/*
	 * The shared ring of ring.h (kmod, shm): the channel runs the ring's
	 * inline fast paths on ch->ring instead of calling send/recv.
	 */
	bool ring;
	uint32_t guarantees;		/* KIPC_F_* it can honour */
	int (*available)(void);		/* 0, or -ENODEV etc. */
	int (*pair)(struct kipc_chan *tx, struct kipc_chan *rx);
	int (*create)(struct kipc_chan *ch, const char *name);
	int (*open)(struct kipc_chan *ch, const char *name);
	int (*unlink)(const char *name);
	void (*close)(struct kipc_chan *ch);
	/* The fd kipc_fd() returns. */
	int (*fd)(struct kipc_chan *ch);
	int (*sendv)(struct kipc_chan *ch, const struct iovec *iov, int iovcnt,
		     size_t len, uint64_t deadline);
	int (*recv)(struct kipc_chan *ch, struct kipc_msg *m, uint64_t deadline);
	/*
	 * Optional fast forms; without them the channel goes through
	 * sendv/recv one message at a time.  Arguments are checked by the
	 * channel, except each batch entry, which the backend checks as it
	 * goes (buf non-NULL, 0 < len <= max_msg), stopping there.
	 */
	int (*send)(struct kipc_chan *ch, const void *buf, size_t len,
		    uint64_t deadline);
	int (*send_batch)(struct kipc_chan *ch, const struct kipc_msg *msgs,
			  unsigned int n, uint64_t deadline);
	int (*recv_batch)(struct kipc_chan *ch, struct kipc_msg *msgs,
			  unsigned int n, uint64_t deadline);
	int (*reserve)(struct kipc_chan *ch, void **buf, size_t len,
		       uint64_t deadline);
	int (*commit)(struct kipc_chan *ch, size_t len);
	int (*abort)(struct kipc_chan *ch);
	int (*peek)(struct kipc_chan *ch, const void **buf, uint64_t deadline);
	int (*release)(struct kipc_chan *ch);
	int (*poll_arm)(struct kipc_chan *ch);
	int (*poll_events)(struct kipc_chan *ch);
	uint64_t (*depth)(struct kipc_chan *ch);
};

extern const struct kipc_backend_ops kipc__kmod_ops;
extern const struct kipc_backend_ops kipc__shm_ops;
extern const struct kipc_backend_ops kipc__unix_ops;
extern const struct kipc_backend_ops kipc__pipe_ops;
/* The kmod backend's queue mode, set up by the kmod backend. */
extern const struct kipc_backend_ops kipc__kmodq_ops;

/* kmod.c / kmod_queue.c */
int kipc__kmod_split(int fd, int *pfd, int *cfd);
int kipc__kmodq_pair(struct kipc_chan *tx, struct kipc_chan *rx);
int kipc__kmodq_create(struct kipc_chan *ch, const char *name);
int kipc__kmodq_open(struct kipc_chan *ch, int fd);
/* One message with a priority; one with its credentials and priority. */
int kipc__kmodq_send_prio(struct kipc_chan *ch, const void *buf, size_t len,
			  uint32_t prio, uint64_t deadline);
int kipc__kmodq_recv_msg(struct kipc_chan *ch, struct kipc_msg *m,
			 uint64_t deadline);

/* Ring backends (kmod, shm): the ring and what maps and wakes it. */
struct kipc_ring_be {
	struct kipc_ring ring;
	int fd;				/* kmod: ring fd; shm: memfd/shm fd */
	int notify_rd;			/* shm: my notify pipe/FIFO (read) */
	int notify_wr;			/* shm: the peer's notify (write) */
	uint32_t closes_seen;		/* shm: closes count at the last check */
	void *map_info;			/* mappings to undo at close */
	size_t map_info_len;
	void *map_ring;
	size_t map_ring_len;
	void *map_cons;			/* the CONS page, page_size bytes */
	size_t map_cons_len;
};

/*
 * The copying backends (unix, pipe, kmod queue) start with this, the
 * part channel.c's zero-copy emulation (kipc__copy_*()) uses.
 */
struct kipc_copy_be {
	int fd;				/* socket, pipe end, FIFO or queue fd */
	uint8_t *buf;			/* one message buffer */
	size_t buf_cap;
	size_t msg_ready;		/* consumer: a message held in buf */
};

struct kipc_kq_be {
	struct kipc_copy_be c;
	struct kipc_msg msg_cred;	/* consumer: msg_ready's credentials */
};

struct kipc_sock_be {
	struct kipc_copy_be c;
	struct kipc_msg msg_cred;	/* consumer: msg_ready's credentials */
	int epfd;			/* named consumer: epoll set */
	int lfd;			/* named consumer: listener */
	int nconn;			/* named consumer: connections */
	int ever_connected;
	int *conns;
	int conn_cap;
	int conn_next;
	void *rx_batch;			/* consumer: recvmmsg staging */
};

struct kipc_pipe_be {
	struct kipc_copy_be c;
	size_t buf_off;			/* consumer: first unparsed byte */
	size_t buf_fill;		/* consumer: end of buffered bytes */
	int eof;
	int lock_fd;			/* multi-producer: POSIX lock */
};

/*
 * An endpoint.  The public kipc_chan is a generation-checked handle of
 * one (see channel.c); a closed endpoint is freed.
 */
struct kipc_chan {
	int role;			/* KIPC_PRODUCER or KIPC_CONSUMER */
	uint32_t flags;			/* KIPC_F_* */
	uint32_t max_msg;
	uint64_t capacity;
	uint32_t spin;
	uint32_t mode;
	const struct kipc_backend_ops *ops;

	/* Zero-copy state (all backends). */
	void *resv_buf;			/* current reservation, or NULL */
	size_t resv_len;
	const void *peek_buf;		/* current peek, or NULL */
	size_t peek_len;

	struct kipc_stats st;

	/* One backend's own state: each backend file uses only its member. */
	union {
		struct kipc_ring_be ring;	/* kmod, shm */
		/* The first member of kq, sock and pipe: kipc__copy_*(). */
		struct kipc_copy_be copy;
		struct kipc_kq_be kq;		/* kmod queue */
		struct kipc_sock_be sock;	/* unix */
		struct kipc_pipe_be pipe;	/* pipe */
	} be;
};

/* channel.c helpers used by the backends. */
int kipc__iov_len(const struct iovec *iov, int iovcnt, size_t *len);
void kipc__iov_copy_out(void *dst, const struct iovec *iov, int iovcnt,
			size_t len);
int kipc__wait_fd(int fd, short events, uint64_t deadline);

/*
 * Zero-copy emulation for the copying backends (unix, pipe): reserve
 * hands out ch->be.copy.buf once ch->be.copy.fd can take data, commit
 * sends it with ch->ops->sendv (one copy), abort drops it.
 */
int kipc__copy_reserve(struct kipc_chan *ch, void **buf, size_t len,
		       uint64_t deadline);
int kipc__copy_commit(struct kipc_chan *ch, size_t len);
int kipc__copy_abort(struct kipc_chan *ch);
int kipc__copy_poll_events(struct kipc_chan *ch);
/*
 * Level-triggered fds need no arming: 1 when a message is held in
 * ch->buf or @fd is ready now, else 0.
 */
int kipc__copy_poll_arm(struct kipc_chan *ch, int fd);
int kipc__deadline_ms(uint64_t deadline);
int kipc__valid_name(const char *name);
/* Directory for names of the userspace backends ($KIPC_RUNDIR). */
int kipc__path(char *buf, size_t size, const char *name, const char *suffix);

/*
 * ring.c: the channel operations of the ring backends (kmod, shm), on the
 * ring of ch->ring; kipc_ring_attach() finishes a backend's setup.
 */
void kipc_ring_attach(struct kipc_chan *ch,
		      const struct kipc_ring_sleep_ops *sops);
int kipc_ring_sendv(struct kipc_chan *ch, const struct iovec *iov, int iovcnt,
		    size_t len, uint64_t deadline);
int kipc_ring_recv(struct kipc_chan *ch, struct kipc_msg *m, uint64_t deadline);
int kipc_ring_send(struct kipc_chan *ch, const void *buf, size_t len,
		   uint64_t deadline);
int kipc_ring_send_batch(struct kipc_chan *ch, const struct kipc_msg *msgs,
			 unsigned int n, uint64_t deadline);
int kipc_ring_recv_batch(struct kipc_chan *ch, struct kipc_msg *msgs,
			 unsigned int n, uint64_t deadline);
int kipc_ring_reserve(struct kipc_chan *ch, void **buf, size_t len,
		      uint64_t deadline);
int kipc_ring_commit(struct kipc_chan *ch, size_t len);
int kipc_ring_abort(struct kipc_chan *ch);
int kipc_ring_peek(struct kipc_chan *ch, const void **buf, uint64_t deadline);
int kipc_ring_release(struct kipc_chan *ch);
int kipc_ring_poll_arm(struct kipc_chan *ch);
uint64_t kipc_ring_depth(struct kipc_chan *ch);

/* The data operations of a ring backend's struct kipc_backend_ops. */
#define KIPC_RING_OPS				\
	.ring = true,				\
	.sendv = kipc_ring_sendv,		\
	.recv = kipc_ring_recv,			\
	.send = kipc_ring_send,			\
	.send_batch = kipc_ring_send_batch,	\
	.recv_batch = kipc_ring_recv_batch,	\
	.reserve = kipc_ring_reserve,		\
	.commit = kipc_ring_commit,		\
	.abort = kipc_ring_abort,		\
	.peek = kipc_ring_peek,			\
	.release = kipc_ring_release,		\
	.poll_arm = kipc_ring_poll_arm,		\
	.depth = kipc_ring_depth

/* The channel whose ring is @r (the ring backends' sleep_ops get the ring). */
#define kipc_ring_chan(r) \
	((struct kipc_chan *)((char *)(r) - offsetof(struct kipc_chan, be.ring.ring)))

#endif /* KIPC_PRIVATE_H */
