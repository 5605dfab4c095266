/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkipc - fast, safe inter-process communication.
 *
 * The one public header of libkipc.  Every function returns 0, a count,
 * or a negative errno value; none of them sets errno.  See kipc(7).
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef KIPC_H
#define KIPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KIPC_VERSION_MAJOR	1
#define KIPC_VERSION_MINOR	0

/* Version of the library the program runs against, as (major << 16) | minor. */
int kipc_version(void);
int kipc_version_major(void);
int kipc_version_minor(void);
/* True when the running library is at least major.minor. */
bool kipc_check_version(int major, int minor);

/* Path of the control device; KIPC_DEV environment variable overrides it. */
#define KIPC_DEV_PATH		"/dev/kipc"

/* Feature bits of the running kernel module (KIPC_FEAT_* of the UAPI). */
#define KIPC_FEATURE_INFO	(1ULL << 0)
#define KIPC_FEATURE_RING	(1ULL << 1)
#define KIPC_FEATURE_QUEUE	(1ULL << 2)
#define KIPC_FEATURE_NAMES	(1ULL << 3)
#define KIPC_FEATURE_DUP	(1ULL << 4)	/* anonymous pairs */

struct kipc_module_info {
	uint32_t abi_version;	/* ABI version of the loaded module */
	uint32_t page_size;
	uint64_t features;	/* KIPC_FEATURE_* */
	uint64_t max_ring_size;	/* bytes, 0 if rings are not supported */
	uint32_t max_msg_size;	/* bytes, 0 if queues are not supported */
	uint32_t reserved[5];
};

/*
 * Ask the kernel module about itself.  Returns 0, -ENODEV when the
 * module is not loaded (no /dev/kipc), -EACCES when the device cannot be
 * opened, or another negative errno.
 */
int kipc_module_info(struct kipc_module_info *info);

/* Shorthand: the feature mask, or a negative errno as above. */
int64_t kipc_features(void);

/* ------------------------------------------------------------------ */
/* Channels                                                             */
/* ------------------------------------------------------------------ */

/*
 * A channel carries messages (1 byte .. max_msg bytes, boundaries kept,
 * in order) from producers to consumers.  A kipc_chan handle is one
 * endpoint: a producer or a consumer.  It is a value, passed by value:
 * once the endpoint is closed, every call with the handle gives -EBADF
 * (never another endpoint), as do KIPC_CHAN_INVALID and values the
 * library did not hand out.  Closing a handle while another thread is
 * still inside a call with it is a race, as close(2) of an fd in use is;
 * of two concurrent kipc_close() calls on one handle exactly one succeeds.
 * Handles stay valid across fork().  See kipc(7) for the semantics of
 * each backend and the thread-safety rules.
 */
typedef struct {
	uint64_t h;
} kipc_chan;

#define KIPC_CHAN_INVALID	((kipc_chan){ 0 })

/* Backends, in the order automatic selection tries them. */
enum kipc_backend {
	KIPC_BACKEND_AUTO = 0,	/* kmod, then shm, then unix, then pipe */
	KIPC_BACKEND_KMOD = 1,	/* /dev/kipc rings (and queues) */
	KIPC_BACKEND_SHM = 2,	/* the same ring in shared memory, futex */
	KIPC_BACKEND_UNIX = 3,	/* AF_UNIX SOCK_SEQPACKET */
	KIPC_BACKEND_PIPE = 4,	/* pipes and FIFOs, length-prefixed */
};

/* Roles of an endpoint. */
#define KIPC_PRODUCER		1
#define KIPC_CONSUMER		2

/*
 * Flags of struct kipc_opts.  The KIPC_F_* guarantees are never dropped:
 * a backend that cannot honour one is skipped by automatic selection and
 * refused with -EOPNOTSUPP when it is forced.
 */
#define KIPC_F_NONBLOCK		(1U << 0)	/* kipc_send/kipc_recv do not wait */
#define KIPC_F_EXCL		(1U << 1)	/* kipc_create: fail if the name exists */
#define KIPC_F_MULTI_PRODUCER	(1U << 2)	/* guarantee: concurrent producers */
#define KIPC_F_MULTI_CONSUMER	(1U << 3)	/* guarantee: concurrent consumers */
#define KIPC_F_CREDENTIALS	(1U << 4)	/* guarantee: kernel-verified sender */
#define KIPC_F_ZERO_COPY	(1U << 5)	/* guarantee: reserve/peek in place */
#define KIPC_F_PRIORITY		(1U << 6)	/* guarantee: message priorities */

#define KIPC_SPIN_NONE		UINT32_MAX	/* kipc_opts.spin: sleep at once */

/**
 * struct kipc_opts - options of kipc_pair(), kipc_create(), kipc_open()
 *
 * A zeroed struct (or a NULL pointer) means the defaults everywhere.
 *
 * @flags:	KIPC_F_*
 * @backend:	enum kipc_backend; AUTO honours $KIPC_BACKEND
 * @mode:	kipc_create(): permission bits; 0: 0600
 * @max_msg:	largest message in bytes; 0: 64 KiB
 * @capacity:	ring bytes (kmod, shm; rounded up to a power of two) or
 *		socket buffer hint (unix); 0: 256 KiB
 * @spin:	polls of the ring before sleeping; 0: the library default,
 *		KIPC_SPIN_NONE: sleep at once
 * @reserved0:	must be zero
 * @reserved:	must be zero
 */
struct kipc_opts {
	uint32_t flags;
	uint32_t backend;
	uint32_t mode;
	uint32_t max_msg;
	uint64_t capacity;
	uint32_t spin;
	uint32_t reserved0;
	uint64_t reserved[4];
};

/* Zero @opts: the defaults.  Returns 0 (-EINVAL for NULL). */
int kipc_opts_init(struct kipc_opts *opts);

/*
 * Create an anonymous channel: *tx is its producer, *rx its consumer.
 * On failure they are set to KIPC_CHAN_INVALID (so are the handles of
 * kipc_create() and kipc_open()).
 * Both survive fork() (not exec: the fds are O_CLOEXEC); each process
 * closes the endpoint it does not use, so that peer death is seen.
 */
int kipc_pair(kipc_chan *tx, kipc_chan *rx, const struct kipc_opts *opts);

/*
 * Named channels.  Names are 1..64 bytes of [A-Za-z0-9._-], not starting
 * with '.'.  kipc_create() makes the channel with opts->mode (checked as
 * the kernel checks a file's mode) and returns one endpoint of @role;
 * kipc_open() attaches to an existing one, waiting until @deadline (see
 * below) for the name to appear, and for a unix or pipe name to have its
 * consumer: KIPC_NOWAIT gives -ENOENT (-ECONNREFUSED) at once, a passed
 * deadline -ETIMEDOUT.  kipc_unlink() removes the name; open endpoints
 * keep working.
 */
int kipc_create(kipc_chan *ch, const char *name, int role,
		const struct kipc_opts *opts);
int kipc_open(kipc_chan *ch, const char *name, int role,
	      const struct kipc_opts *opts, uint64_t deadline);
int kipc_unlink(const char *name, const struct kipc_opts *opts);

/*
 * Close an endpoint.  The handle is dead from then on: a second close,
 * or any other call with it, gives -EBADF.
 */
int kipc_close(kipc_chan ch);

/*
 * Deadlines are absolute CLOCK_MONOTONIC times in nanoseconds.
 * KIPC_NOWAIT never waits (-EAGAIN when not ready), KIPC_FOREVER waits
 * without limit, any other value waits until then (-ETIMEDOUT).
 */
#define KIPC_NOWAIT		((uint64_t)0)
#define KIPC_FOREVER		UINT64_MAX

/* CLOCK_MONOTONIC now, in ns (for building deadlines). */
uint64_t kipc_now(void);

/*
 * Send one message.  Returns the number of bytes sent, -EPIPE when no
 * consumer is left, -EAGAIN / -ETIMEDOUT, -EMSGSIZE when longer than
 * max_msg, -EINVAL for len 0.  kipc_send() waits unless the endpoint was
 * made with KIPC_F_NONBLOCK.
 */
int kipc_send(kipc_chan ch, const void *buf, size_t len);
int kipc_send_timed(kipc_chan ch, const void *buf, size_t len,
		    uint64_t deadline);
int kipc_sendv(kipc_chan ch, const struct iovec *iov, int iovcnt,
	       uint64_t deadline);

/*
 * Receive one message.  Returns its length, 0 at end of stream (no
 * producer left and nothing queued), -EMSGSIZE when @len is too small
 * (the message stays queued), -EAGAIN / -ETIMEDOUT.
 */
int kipc_recv(kipc_chan ch, void *buf, size_t len);
int kipc_recv_timed(kipc_chan ch, void *buf, size_t len, uint64_t deadline);
int kipc_recvv(kipc_chan ch, const struct iovec *iov, int iovcnt,
	       uint64_t deadline);

/**
 * struct kipc_msg - one message: kipc_send_msg(), kipc_recv_msg(), batches
 * @buf:	data (send) or room (receive)
 * @len:	in: bytes to send / room; out (receive): message length
 * @flags:	send: must be 0; receive out: KIPC_MSG_CRED when @pid, @uid
 *		and @gid are valid
 * @priority:	send: 0..KIPC_PRIO_MAX, higher is received first (a
 *		channel made with KIPC_F_PRIORITY; elsewhere only 0);
 *		receive out: the message's priority (0 without
 *		priorities)
 * @pid:	receive out: sender's pid, as verified by the kernel
 * @uid:	receive out: sender's uid
 * @gid:	receive out: sender's gid
 * @reserved0:	zero; ignored on send
 * @reserved:	zero; ignored on send
 *
 * Credentials come with kmod queues (KIPC_F_MULTI_CONSUMER,
 * KIPC_F_CREDENTIALS or KIPC_F_PRIORITY on kmod) and unix channels made
 * with KIPC_F_CREDENTIALS.
 */
struct kipc_msg {
	void *buf;
	size_t len;
	uint32_t flags;
	uint32_t priority;
	int32_t pid;
	uint32_t uid;
	uint32_t gid;
	uint32_t reserved0;
	uint64_t reserved[2];
};

#define KIPC_MSG_CRED		(1U << 0)
#define KIPC_PRIO_MAX		31

/*
 * One message with its priority (send) or with its credentials and
 * priority (receive).  Return and errors as kipc_send_timed() and
 * kipc_recv_timed(); kipc_recv_msg() sets m->len.  A non-zero priority
 * on a channel without priorities is -EOPNOTSUPP, above KIPC_PRIO_MAX
 * -EINVAL.
 */
int kipc_send_msg(kipc_chan ch, const struct kipc_msg *m, uint64_t deadline);
int kipc_recv_msg(kipc_chan ch, struct kipc_msg *m, uint64_t deadline);

/*
 * Batches: send or receive up to @n messages; wait (until @deadline)
 * only for the first.  Return how many were transferred, or -errno if
 * none was.
 */
int kipc_send_batch(kipc_chan ch, const struct kipc_msg *msgs, unsigned int n,
		    uint64_t deadline);
int kipc_recv_batch(kipc_chan ch, struct kipc_msg *msgs, unsigned int n,
		    uint64_t deadline);

/*
 * Zero-copy.  kipc_reserve() gives @len writable bytes in the channel;
 * kipc_commit() publishes the first @len of them as one message (len may
 * be smaller than reserved), kipc_abort() gives the reservation up.
 * kipc_peek() points *buf at the next message in place and returns its
 * length; kipc_release() consumes it.  One reservation and one peek per
 * endpoint at a time.  On unix and pipe these go through a buffer owned
 * by the endpoint (one copy).
 */
int kipc_reserve(kipc_chan ch, void **buf, size_t len, uint64_t deadline);
int kipc_commit(kipc_chan ch, size_t len);
int kipc_abort(kipc_chan ch);
int kipc_peek(kipc_chan ch, const void **buf, uint64_t deadline);
int kipc_release(kipc_chan ch, const void *buf);

/*
 * Event loops.  kipc_fd() is one pollable fd per endpoint; wait on it
 * for the events kipc_poll_events() returns (POLLIN or POLLOUT; POLLHUP
 * and POLLERR report peer death).  Before each wait call kipc_poll_arm():
 * it returns 1 when the endpoint is ready already (do not wait), 0 when
 * the fd will become ready.  A kipc_*() call that returned -EAGAIN has
 * armed the endpoint too.  Readiness is a hint: retry the operation.
 */
int kipc_fd(kipc_chan ch);
int kipc_poll_events(kipc_chan ch);
int kipc_poll_arm(kipc_chan ch);

/* Introspection. */
struct kipc_stats {
	uint32_t backend;	/* enum kipc_backend */
	uint32_t role;		/* KIPC_PRODUCER or KIPC_CONSUMER */
	uint32_t flags;		/* KIPC_F_* in effect */
	uint32_t max_msg;
	uint64_t capacity;	/* ring bytes; 0 when unknown */
	uint64_t depth;		/* bytes queued (ring backends), else 0 */
	uint64_t msgs;		/* messages sent / received by this endpoint */
	uint64_t bytes;		/* payload bytes sent / received */
	uint64_t spins;		/* waits satisfied by spinning */
	uint64_t sleeps;	/* waits that slept */
	uint64_t wakes;		/* wake-ups issued to the peer */
	uint64_t reserved[4];
};

int kipc_backend(kipc_chan ch);
const char *kipc_backend_name(int backend);
int kipc_stats(kipc_chan ch, struct kipc_stats *st);
/* As kipc_opts.spin: 0 the library default, KIPC_SPIN_NONE none. */
int kipc_set_spin(kipc_chan ch, uint32_t spin);

/* io_uring: kipc_uring_prep_poll() is in <kipc-uring.h>. */

#ifdef __cplusplus
}
#endif

#endif /* KIPC_H */
