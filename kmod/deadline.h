/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kipc - the deadline of a blocking call.  Every wait of every object
 * (a ring's WAIT, a queue's send and receive) takes its deadline through
 * these helpers, so all of them read it the same way: an absolute time
 * in ns on CLOCK_MONOTONIC, or on CLOCK_REALTIME when asked, where
 * CLOCK_MONOTONIC is the caller's time namespace's, as clock_gettime()
 * shows it to the caller.  The deadline is absolute, so a call restarted
 * after a signal waits for the same instant.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef _KIPC_DEADLINE_H
#define _KIPC_DEADLINE_H

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/time_namespace.h>

/**
 * struct kipc_deadline - when a blocking call gives up
 * @expires:	NULL: never; else &@time
 * @time:	absolute, on @clock, in the host's time
 * @clock:	CLOCK_MONOTONIC or CLOCK_REALTIME
 */
struct kipc_deadline {
	ktime_t *expires;
	ktime_t time;
	clockid_t clock;
};

/*
 * An absolute CLOCK_MONOTONIC time of the current task's time namespace,
 * in the host's time that hrtimers run on.  This is what
 * timens_ktime_to_host() does, whose out-of-line part is not exported.
 */
static inline ktime_t kipc_timens_to_host(ktime_t t)
{
#ifdef CONFIG_TIME_NS
	struct time_namespace *ns = current->nsproxy->time_ns;
	ktime_t offset = timespec64_to_ktime(ns->offsets.monotonic);

	/* Namespace time is host time + offset. */
	if (t < offset)
		return 0;	/* before the host booted: long past */
	if (offset < 0 && t > KTIME_MAX + offset)
		return KTIME_MAX;
	t = ktime_sub(t, offset);
#endif
	return t;
}

/**
 * kipc_deadline_init() - read a deadline from an ioctl argument
 * @dl:		the deadline to set up
 * @timeout:	absolute, in ns; 0: none.  Values above KTIME_MAX mean
 *		"never expires in practice" and are clamped.
 * @realtime:	@timeout is on CLOCK_REALTIME, else on CLOCK_MONOTONIC
 *
 * Called in the context of the task that waits (it reads its time
 * namespace).
 */
static inline void kipc_deadline_init(struct kipc_deadline *dl, u64 timeout,
				      bool realtime)
{
	dl->clock = realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	dl->expires = NULL;
	if (!timeout)
		return;
	dl->time = ns_to_ktime(min_t(u64, timeout, KTIME_MAX));
	if (!realtime)
		dl->time = kipc_timens_to_host(dl->time);
	dl->expires = &dl->time;
}

/**
 * kipc_deadline_sleep() - schedule() until woken or the deadline
 * @dl:	the deadline
 *
 * The caller has set the task state, as for schedule().  The task's
 * timer slack applies, as for futex and poll waits.
 *
 * Return: 0 when the deadline passed, -EINTR when woken (by a wake-up
 * or a signal) before it.
 */
static inline int kipc_deadline_sleep(const struct kipc_deadline *dl)
{
	ktime_t expires;

	if (!dl->expires) {
		schedule();
		return -EINTR;
	}
	expires = dl->time;
	return schedule_hrtimeout_range_clock(&expires, current->timer_slack_ns,
					      HRTIMER_MODE_ABS, dl->clock);
}

#endif /* _KIPC_DEADLINE_H */
