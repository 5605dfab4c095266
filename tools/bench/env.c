// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kipc-bench - where the benchmark runs, and what disturbs it.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "bench.h"

struct bench_env bench_env;

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -errno : 0;
}

static bool cpuinfo_has(const char *key, const char *word, char *val, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[4096];
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, key, strlen(key)) || !colon)
			continue;
		colon += 2;
		colon[strcspn(colon, "\n")] = 0;
		if (val) {
			snprintf(val, len, "%s", colon);
			found = true;
		} else {
			/* word search in a flags line */
			for (char *t = strtok(colon, " "); t; t = strtok(NULL, " "))
				if (!strcmp(t, word))
					found = true;
		}
		break;
	}
	fclose(f);
	return found;
}

/* Hypervisor signature from CPUID leaf 0x40000000, or "". */
static void hv_signature(char sig[13])
{
	memset(sig, 0, 13);
#if defined(__x86_64__) || defined(__i386__)
	unsigned int a, b, c, d;

	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 31)))
		return;
	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig + 0, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	for (int i = 0; i < 12; i++)
		if (sig[i] && (sig[i] < 0x20 || sig[i] > 0x7e))
			sig[i] = '?';
#endif
}

/*
 * Native, or a VM under KVM or TCG.  In order of authority: the marker
 * the kipc VM runner puts on the kernel command line (kipc_vm=), the
 * CPUID hypervisor signature (KVM sets "KVMKVMKVM"; qemu's TCG exposes no
 * KVM leaves), the DMI vendor, the hypervisor flag.
 */
static void detect_where(void)
{
	char cmdline[4096] = "", vendor[64] = "", sig[13];
	bool hv = cpuinfo_has("flags", "hypervisor", NULL, 0);
	char *m;

	read_line("/proc/cmdline", cmdline, sizeof(cmdline));
	read_line("/sys/class/dmi/id/sys_vendor", vendor, sizeof(vendor));
	hv_signature(sig);

	m = strstr(cmdline, "kipc_vm=");
	if (m) {
		char acc[16] = "";

		sscanf(m + 8, "%15[a-z]", acc);
		snprintf(bench_env.where, sizeof(bench_env.where), "VM (qemu %s)",
			 !strcmp(acc, "kvm") ? "KVM" : !strcmp(acc, "tcg") ? "TCG" : acc);
		snprintf(bench_env.how, sizeof(bench_env.how),
			 "kernel command line kipc_vm=%s (set by tools/vm/run.sh)", acc);
		return;
	}
	if (!strncmp(sig, "KVMKVMKVM", 9)) {
		snprintf(bench_env.where, sizeof(bench_env.where), "VM (%sKVM)",
			 !strcmp(vendor, "QEMU") ? "qemu " : "");
		snprintf(bench_env.how, sizeof(bench_env.how),
			 "CPUID hypervisor signature \"%s\"%s%s", sig,
			 vendor[0] ? ", DMI vendor " : "", vendor);
		return;
	}
	if (!strcmp(sig, "TCGTCGTCGTCG") || (!sig[0] && !strcmp(vendor, "QEMU"))) {
		snprintf(bench_env.where, sizeof(bench_env.where), "VM (qemu TCG)");
		snprintf(bench_env.how, sizeof(bench_env.how),
			 "DMI vendor \"%s\", CPUID signature \"%s\" (no KVM leaves)",
			 vendor, sig);
		return;
	}
	if (hv || sig[0] || !strcmp(vendor, "QEMU") || strstr(vendor, "VMware")) {
		snprintf(bench_env.where, sizeof(bench_env.where), "VM (%s)",
			 sig[0] ? sig : vendor[0] ? vendor : "unknown hypervisor");
		snprintf(bench_env.how, sizeof(bench_env.how),
			 "hypervisor CPU flag, signature \"%s\", DMI vendor \"%s\"", sig, vendor);
		return;
	}
	snprintf(bench_env.where, sizeof(bench_env.where), "native");
	snprintf(bench_env.how, sizeof(bench_env.how), "no hypervisor CPU flag or signature");
}

static int tp_id_at(const char *tracefs)
{
	char path[256], buf[32];

	snprintf(path, sizeof(path), "%s/events/raw_syscalls/sys_enter/id", tracefs);
	if (read_line(path, buf, sizeof(buf)))
		return -ENOENT;
	return atoi(buf);
}

/*
 * The raw_syscalls:sys_enter id, from a mounted tracefs, or else from a
 * tracefs mounted in a private mount namespace of a throw-away child.
 */
static void find_syscall_tracepoint(void)
{
	int id, pfd[2];
	pid_t pid;

	id = tp_id_at("/sys/kernel/tracing");
	if (id < 0)
		id = tp_id_at("/sys/kernel/debug/tracing");
	if (id >= 0) {
		bench_env.syscall_tp = id;
		snprintf(bench_env.syscall_how, sizeof(bench_env.syscall_how),
			 "perf tracepoint raw_syscalls:sys_enter");
		return;
	}
	bench_env.syscall_tp = -ENOENT;
	snprintf(bench_env.syscall_how, sizeof(bench_env.syscall_how),
		 "unavailable (no tracefs; needs root and CONFIG_FTRACE_SYSCALLS)");
	if (pipe2(pfd, O_CLOEXEC))
		return;
	pid = fork();
	if (pid == 0) {
		int v = -1;

		close(pfd[0]);
		if (!unshare(CLONE_NEWNS) &&
		    !mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) &&
		    !mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
			v = tp_id_at("/sys/kernel/tracing");
		if (write(pfd[1], &v, sizeof(v)) != sizeof(v))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	if (pid > 0) {
		int v = -1;

		if (read(pfd[0], &v, sizeof(v)) == sizeof(v) && v >= 0) {
			bench_env.syscall_tp = v;
			snprintf(bench_env.syscall_how, sizeof(bench_env.syscall_how),
				 "perf tracepoint raw_syscalls:sys_enter (tracefs id read in a private mount ns)");
		}
		waitpid(pid, NULL, 0);
	}
	close(pfd[0]);
}

/*
 * POSIX mq: the default limits (10 messages of 8 KiB) cannot carry the
 * larger payloads at all.  As root, move into a private IPC namespace
 * (no queue names leak into the machine's) and raise its fs.mqueue
 * limits there.  RLIMIT_MSGQUEUE (per user, 800 KiB by default) can only
 * be lifted with CAP_SYS_RESOURCE; where it stays, mech_mq.c sizes the
 * queues to fit it and reports what does not fit.
 */
static void setup_mq(void)
{
	char buf[32];
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	if (bench_env.root && !unshare(CLONE_NEWIPC)) {
		bench_env.private_ipc = true;
		setrlimit(RLIMIT_MSGQUEUE, &rl);
		write_str("/proc/sys/fs/mqueue/queues_max", "65536");
		write_str("/proc/sys/fs/mqueue/msg_max", "65536");
		write_str("/proc/sys/fs/mqueue/msgsize_max", "16777216");
	}
	bench_env.mq_rlimit = 0;
	if (!getrlimit(RLIMIT_MSGQUEUE, &rl) && rl.rlim_cur != RLIM_INFINITY)
		bench_env.mq_rlimit = rl.rlim_cur;
	bench_env.mq_msg_max = 10;
	bench_env.mq_msgsize_max = 8192;
	if (!read_line("/proc/sys/fs/mqueue/msg_max", buf, sizeof(buf)))
		bench_env.mq_msg_max = atol(buf);
	if (!read_line("/proc/sys/fs/mqueue/msgsize_max", buf, sizeof(buf)))
		bench_env.mq_msgsize_max = atol(buf);
}

static void measure_clock(void)
{
	enum { N = 100000 };
	uint64_t t0 = now_ns(), t1;
	int fd;

	for (int i = 0; i < N - 1; i++)
		(void)now_ns();
	t1 = now_ns();
	bench_env.clock_ns = (double)(t1 - t0) / N;

	bench_env.clock_syscalls = -1;
	fd = syscount_open();
	if (fd >= 0) {
		syscount_start(fd);
		for (int i = 0; i < 1000; i++)
			(void)now_ns();
		bench_env.clock_syscalls = syscount_stop(fd);
		syscount_close(fd);
	}
}

double env_loadavg(void)
{
	char buf[128];

	if (read_line("/proc/loadavg", buf, sizeof(buf)))
		return -1;
	return atof(buf);
}

void cpu_snap(struct cpu_snap *s)
{
	static long hz;
	unsigned long long v[10] = { 0 };
	struct rusage ru;
	char buf[512];

	if (!hz)
		hz = sysconf(_SC_CLK_TCK);
	memset(s, 0, sizeof(*s));
	if (!read_line("/proc/stat", buf, sizeof(buf)) &&
	    sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) >= 7) {
		/* user nice system idle iowait irq softirq steal */
		s->busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / (double)hz;
		s->steal = (double)v[7] / (double)hz;
	}
	for (int who = 0; who < 2; who++) {
		getrusage(who ? RUSAGE_CHILDREN : RUSAGE_SELF, &ru);
		s->ours += (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
			   (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	}
	s->t = now_s();
}

void env_init(void)
{
	cpu_set_t set;
	struct utsname u;

	memset(&bench_env, 0, sizeof(bench_env));
	bench_env.root = geteuid() == 0;
	detect_where();
	if (!cpuinfo_has("model name", NULL, bench_env.cpu_model, sizeof(bench_env.cpu_model)))
		snprintf(bench_env.cpu_model, sizeof(bench_env.cpu_model), "unknown");
	if (!uname(&u))
		snprintf(bench_env.kernel, sizeof(bench_env.kernel), "%s %s", u.release, u.machine);
	if (read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		      bench_env.clocksource, sizeof(bench_env.clocksource)))
		snprintf(bench_env.clocksource, sizeof(bench_env.clocksource), "unknown");

	if (!sched_getaffinity(0, sizeof(set), &set))
		for (int c = 0; c < CPU_SETSIZE && bench_env.ncpus < BENCH_MAX_CPUS; c++)
			if (CPU_ISSET(c, &set))
				bench_env.cpus[bench_env.ncpus++] = c;
	if (!bench_env.ncpus) {
		bench_env.ncpus = 1;
		bench_env.cpus[0] = -1;
	}
	find_syscall_tracepoint();
	setup_mq();
	measure_clock();
	bench_env.loadavg_start = env_loadavg();
}

void env_print(FILE *f)
{
	fprintf(f, "where:      %s  [%s]\n", bench_env.where, bench_env.how);
	fprintf(f, "cpu:        %s, %d usable CPU%s\n", bench_env.cpu_model,
		bench_env.ncpus, bench_env.ncpus == 1 ? "" : "s");
	fprintf(f, "kernel:     %s, clocksource %s, clock_gettime %.0f ns",
		bench_env.kernel, bench_env.clocksource, bench_env.clock_ns);
	if (bench_env.clock_syscalls >= 0)
		fprintf(f, " (%s)", bench_env.clock_syscalls ? "a SYSCALL: pacing and timing add syscalls" : "vDSO");
	fprintf(f, "\nsyscalls:   %s\n", bench_env.syscall_how);
	fprintf(f, "posix mq:   msg_max %ld, msgsize_max %ld", bench_env.mq_msg_max,
		bench_env.mq_msgsize_max);
	if (bench_env.mq_rlimit)
		fprintf(f, ", RLIMIT_MSGQUEUE %lu", (unsigned long)bench_env.mq_rlimit);
	fprintf(f, "%s\n", bench_env.private_ipc ? " (private IPC namespace)" : "");
	fprintf(f, "load:       %.2f (1-min load average at start)\n", bench_env.loadavg_start);
}
