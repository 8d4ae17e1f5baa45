// SPDX-License-Identifier: GPL-2.0
/*
 * luo_bench - time the phases of a live update at scale.
 *
 * Stage 1 (before the kexec): create N sessions, preserve one memfd in each
 * (N memfds spread over N sessions), and preserve N more memfds in a single
 * session. Stage 2 (after the kexec): open /dev/liveupdate (this is where
 * the kernel rebuilds the sessions), retrieve every session, retrieve every
 * file, finish every session.
 *
 * Where the test modules of modules/ load (ours; the reference exports no
 * symbol for them), stage 1 then times N files of the test file type
 * preserved in one session by the test handler, whose preserve does
 * nothing: "preserve-null" is what LUO itself costs per file, without the
 * memfd handler's work. That session is closed again before the kexec.
 *
 * Kernel memory (MemFree before and after, divided by N) is reported for
 * the session creation and the spread preservation as "BENCH <what>
 * n=<N> bytes=<bytes>". They come first after the boot: objects freed
 * before them (the null files' session) would be reused and not counted.
 * Where the kernel has the debugfs list of sessions (ours), the time to
 * read it whole is phase "debugfs-dump".
 *
 * Every phase prints one line "BENCH <phase> n=<N> ms=<milliseconds>"; the
 * last line before the kexec is "BENCH kexec-call" and the first line once
 * every preserved file is available again is "BENCH data-available", so the
 * host can time the blackout on its own clock.
 *
 * Usage: luo_bench --stage 1|2 [-n N]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <linux/liveupdate.h>
#include <linux/reboot.h>

#include "luo_test_utils.h"

#define ONE_SESSION "bench-one"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static __noreturn void die(const char *what, long i)
{
	fprintf(stderr, "luo_bench: %s (%ld): %s\n", what, i, strerror(errno));
	printf("BENCH failed\n");
	exit(1);
}

static void report(const char *phase, long n, double t0)
{
	printf("BENCH %s n=%ld ms=%.1f\n", phase, n, now_ms() - t0);
	fflush(stdout);
}

/* MemFree, in bytes. */
static long long mem_free(void)
{
	char line[128];
	long long kb = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		die("/proc/meminfo", 0);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/* The kernel memory an operation on @n objects took, per object. */
static void report_bytes(const char *what, long n, long long free0)
{
	printf("BENCH %s n=%ld bytes=%.0f\n", what, n,
	       (double)(free0 - mem_free()) / n);
}

/* Time reading the debugfs list of every session, where there is one. */
static void debugfs_dump(long n)
{
	double t0 = now_ms();
	char *text = luo_read_text(LUO_DEBUGFS_SESSIONS);

	if (!text) {
		printf("BENCH note: no %s, no debugfs-dump phase\n",
		       LUO_DEBUGFS_SESSIONS);
		return;
	}
	report("debugfs-dump", n, t0);
	free(text);
}

static void session_name(char *buf, long i)
{
	memset(buf, 0, LIVEUPDATE_SESSION_NAME_LENGTH);
	snprintf(buf, LIVEUPDATE_SESSION_NAME_LENGTH, "bench-%ld", i);
}

static int session_open(int dev, unsigned long cmd, const char *name)
{
	struct liveupdate_ioctl_create_session arg = { .size = sizeof(arg) };

	memcpy(arg.name, name, LIVEUPDATE_SESSION_NAME_LENGTH);
	if (ioctl(dev, cmd, &arg))
		return -1;
	return arg.fd;
}

static int preserve(int session, int fd, uint64_t token)
{
	struct liveupdate_session_preserve_fd arg = {
		.size = sizeof(arg), .fd = fd, .token = token,
	};

	return ioctl(session, LIVEUPDATE_SESSION_PRESERVE_FD, &arg);
}

static int retrieve(int session, uint64_t token)
{
	struct liveupdate_session_retrieve_fd arg = {
		.size = sizeof(arg), .token = token,
	};

	if (ioctl(session, LIVEUPDATE_SESSION_RETRIEVE_FD, &arg))
		return -1;
	return arg.fd;
}

static int finish(int session)
{
	struct liveupdate_session_finish arg = { .size = sizeof(arg) };

	return ioctl(session, LIVEUPDATE_SESSION_FINISH, &arg);
}

static int *memfds(long n)
{
	int *fds = calloc(n, sizeof(*fds));
	double t0 = now_ms();

	if (!fds)
		die("calloc", n);
	for (long i = 0; i < n; i++) {
		fds[i] = memfd_create("bench", 0);
		if (fds[i] < 0 || write(fds[i], &i, sizeof(i)) != sizeof(i))
			die("memfd", i);
	}
	report("memfd-create", n, t0);
	return fds;
}

/* LUO's own cost per file: the test handler's preserve does nothing. */
static void null_handler(int dev, long n)
{
	int *fds, s;
	double t0;

	if (luo_insmod(LUO_FTYPE_MOD, "") || luo_insmod(LUO_HANDLER_MOD, "")) {
		printf("BENCH note: no test modules, no preserve-null phase\n");
		return;
	}
	fds = calloc(n, sizeof(*fds));
	if (!fds)
		die("calloc", n);
	for (long i = 0; i < n; i++) {
		fds[i] = open(LUO_FTYPE_DEVICE, O_RDWR);
		if (fds[i] < 0)
			die("open " LUO_FTYPE_DEVICE, i);
	}
	s = session_open(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "bench-null");
	if (s < 0)
		die("create session", -2);
	t0 = now_ms();
	for (long i = 0; i < n; i++)
		if (preserve(s, fds[i], i))
			die("preserve null", i);
	report("preserve-null", n, t0);
	t0 = now_ms();
	close(s);
	report("unpreserve-null", n, t0);
	for (long i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	if (luo_rmmod(LUO_HANDLER_MOD) || luo_rmmod(LUO_FTYPE_MOD))
		die("rmmod", 0);
}

static void stage1(int dev, long n)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int *sessions = calloc(n, sizeof(*sessions));
	int *spread, *single, one;
	long long free0;
	double t0;

	if (!sessions)
		die("calloc", n);
	free0 = mem_free();
	t0 = now_ms();
	for (long i = 0; i < n; i++) {
		session_name(name, i);
		sessions[i] = session_open(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, name);
		if (sessions[i] < 0)
			die("create session", i);
	}
	report("session-create", n, t0);
	report_bytes("bytes-per-session", n, free0);

	spread = memfds(n);
	free0 = mem_free();
	t0 = now_ms();
	for (long i = 0; i < n; i++)
		if (preserve(sessions[i], spread[i], i))
			die("preserve spread", i);
	report("preserve-spread", n, t0);
	report_bytes("bytes-per-file", n, free0);

	session_name(name, -1);
	strcpy(name, ONE_SESSION);
	one = session_open(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, name);
	if (one < 0)
		die("create session", -1);
	single = memfds(n);
	t0 = now_ms();
	for (long i = 0; i < n; i++)
		if (preserve(one, single[i], i))
			die("preserve one", i);
	report("preserve-one", n, t0);
	null_handler(dev, n);
	debugfs_dump(2 * n + 1);

	printf("BENCH kexec-call\n");
	fflush(stdout);
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	die("reboot(KEXEC)", 0);
}

static void check_fd(int fd, long want, long i)
{
	long got = -1;

	if (pread(fd, &got, sizeof(got), 0) != sizeof(got) || got != want)
		die("file content", i);
	close(fd);
}

static void stage2(long n)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int *sessions = calloc(n, sizeof(*sessions));
	int dev, one, fd;
	double t0;

	if (!sessions)
		die("calloc", n);
	t0 = now_ms();
	dev = open("/dev/liveupdate", O_RDWR);
	if (dev < 0)
		die("open /dev/liveupdate", 0);
	report("open-device", n, t0);

	t0 = now_ms();
	for (long i = 0; i < n; i++) {
		session_name(name, i);
		sessions[i] = session_open(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, name);
		if (sessions[i] < 0)
			die("retrieve session", i);
	}
	report("session-retrieve", n, t0);

	t0 = now_ms();
	for (long i = 0; i < n; i++) {
		fd = retrieve(sessions[i], i);
		if (fd < 0)
			die("retrieve spread", i);
		check_fd(fd, i, i);
	}
	report("retrieve-spread", n, t0);

	session_name(name, -1);
	strcpy(name, ONE_SESSION);
	one = session_open(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, name);
	if (one < 0)
		die("retrieve session", -1);
	t0 = now_ms();
	for (long i = 0; i < n; i++) {
		fd = retrieve(one, i);
		if (fd < 0)
			die("retrieve one", i);
		check_fd(fd, i, i);
	}
	report("retrieve-one", n, t0);
	printf("BENCH data-available\n");
	fflush(stdout);

	t0 = now_ms();
	for (long i = 0; i < n; i++)
		if (finish(sessions[i]))
			die("finish", i);
	if (finish(one))
		die("finish", -1);
	report("finish", n + 1, t0);
	printf("BENCH done\n");
}

int main(int argc, char **argv)
{
	struct rlimit rl = { .rlim_cur = 1 << 20, .rlim_max = 1 << 20 };
	long n = 1000;
	int stage = 0, dev;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--stage") && i + 1 < argc)
			stage = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = atol(argv[++i]);
	}
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit", 0);
	if (stage == 2) {
		stage2(n);
		return 0;
	}
	if (stage != 1) {
		fprintf(stderr, "usage: luo_bench --stage 1|2 [-n N]\n");
		return 2;
	}
	dev = open("/dev/liveupdate", O_RDWR);
	if (dev < 0)
		die("open /dev/liveupdate", 0);
	stage1(dev, n);
	return 1;
}
