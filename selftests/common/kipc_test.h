/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Shared by kipc's selftests, on top of the kernel's kselftest_harness.h.
 *
 * KIPC_TEST_HARNESS_MAIN replaces TEST_HARNESS_MAIN.  It multiplies every
 * test's timeout by $KIPC_TIMEOUT_SCALE (an integer, default 1) before
 * running the tests.  The timeouts are watchdogs that turn a hang into a
 * failure, never performance limits; the slow lanes (the KASAN kernel
 * under emulation) set a larger scale instead of every test carrying the
 * worst case.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef KIPC_TEST_H
#define KIPC_TEST_H

#include <stdlib.h>

/*
 * The message count of a volume test: @n scaled by $KIPC_TEST_VOLUME, a
 * percentage (1 to 100, default 100).  The debug lanes, which look for
 * kernel reports rather than for what only volume shows, run the same
 * tests at a fraction of the volume; the stock and rt lanes and the host
 * run the full counts.
 */
static inline unsigned long kipc_test_volume(unsigned long n)
{
	static long pct;

	if (!pct) {
		const char *s = getenv("KIPC_TEST_VOLUME");

		pct = s ? atol(s) : 100;
		if (pct < 1 || pct > 100)
			pct = 100;
	}
	n = n * (unsigned long)pct / 100;
	return n ? n : 1;
}

/* For tests with their own main(): call kipc_test_scale_timeouts(). */
/*
 * In a FIXTURE_SETUP: open /dev/kipc into @dev or skip.  The 6.1 harness
 * still runs the test after a SKIP in setup, so the child leaves at once.
 */
#define KIPC_TEST_OPEN_DEV(dev, need) do {				\
	const char *why_ = tring_dev_skip(&(dev), (need));		\
									\
	if (why_)							\
		SKIP(_exit(255), "%s", why_);				\
	ASSERT_LE(0, (dev));						\
} while (0)

#define KIPC_TEST_DEFINE_SCALE						\
static void kipc_test_scale_timeouts(void)				\
{									\
	const char *s = getenv("KIPC_TIMEOUT_SCALE");			\
	struct __fixture_metadata *f;					\
	struct __test_metadata *t;					\
	int k = s ? atoi(s) : 1;					\
									\
	if (k <= 1 || k > 100)						\
		return;							\
	for (f = __fixture_list; f; f = f->next)			\
		for (t = f->tests; t; t = t->next)			\
			t->timeout *= k;				\
}

#define KIPC_TEST_HARNESS_MAIN						\
KIPC_TEST_DEFINE_SCALE							\
									\
int main(int argc, char **argv)						\
{									\
	kipc_test_scale_timeouts();					\
	return test_harness_run(argc, argv);				\
}

#endif /* KIPC_TEST_H */
