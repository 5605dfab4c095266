// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench - create/destroy cost and memory per idle object.
 *
 * A worker creates nobjs objects, then destroys them all.  Time is per
 * object.  Memory is the growth of the kernel's own counters in
 * /proc/meminfo that idle IPC objects can occupy: Slab (inodes, dentries,
 * files, sockets, pipe and queue structs), PageTables, Shmem (memfd
 * pages), KernelStack and Percpu.  These counters are machine-wide, so
 * another process allocating meanwhile shows up as noise; the median over
 * runs and the foreign-CPU check of the runner keep that in bounds.
 * "Left after destroy" is the same growth measured after the last close
 * and an RCU grace period's worth of sleep; slab caches keep freed
 * objects for reuse, so it is not a leak unless it grows run after run.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"

static long meminfo_kernel_kb(void)
{
	static const char *const keys[] = {
		"Slab:", "PageTables:", "Shmem:", "KernelStack:", "Percpu:",
	};
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long sum = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strncmp(line, keys[i], strlen(keys[i])))
				sum += atol(line + strlen(keys[i]));
	fclose(f);
	return sum;
}

static int obj_worker(void *varg, struct proc_ctl *ctl)
{
	struct sample_arg *a = varg;
	const struct bench_mech *m = a->run->mech;
	unsigned int n = a->run->nobjs, made = 0;
	struct bench_obj *o = calloc(n, sizeof(*o));
	struct rlimit rl;
	uint64_t t0, t1, t2;
	long m0, m1, m2;
	int ret = 0;

	if (!o)
		return -ENOMEM;
	/*
	 * Two descriptors per object at most.  Without CAP_SYS_RESOURCE the
	 * hard limit stays; the objects column then says how many fitted.
	 */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < 2ul * n + 64) {
		struct rlimit want = { 2ul * n + 64, 2ul * n + 64 };

		if (want.rlim_max < rl.rlim_max)
			want.rlim_max = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &want)) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	proc_ready_wait(ctl);
	m0 = meminfo_kernel_kb();
	t0 = now_ns();
	for (; made < n; made++) {
		ret = m->obj_create(m, &o[made]);
		if (ret) {
			proc_msg("object %u: %s", made, strerror(-ret));
			/* A limit (RLIMIT_NOFILE, _MSGQUEUE): measure what fits. */
			if ((ret == -EMFILE || ret == -ENFILE || ret == -ENOSPC) && made >= 100)
				ret = 0;
			break;
		}
	}
	t1 = now_ns();
	m1 = meminfo_kernel_kb();
	for (unsigned int i = 0; i < made; i++)
		m->obj_destroy(&o[i]);
	t2 = now_ns();
	usleep(200000);
	m2 = meminfo_kernel_kb();
	if (ret)
		return ret;
	a->out->v[0] = (double)(t1 - t0) / 1e3 / made;
	a->out->v[1] = (double)(t2 - t1) / 1e3 / made;
	a->out->v[2] = (double)(m1 - m0) * 1024.0 / made;
	a->out->v[3] = (double)(m2 - m0) * 1024.0 / made;
	a->out->v[4] = made;
	return 0;
}

int wl_objects(const struct bench_run *run, struct bench_sample *out)
{
	return procs_run_sample(run, obj_worker, 120, out);
}
