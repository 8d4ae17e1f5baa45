// SPDX-License-Identifier: GPL-2.0
/*
 * luo_kexec_stress - many sessions and many files across a live update.
 *
 * Stage 1: N sessions "stress-<i>" with one small memfd each, and one
 * session "stress-one" with N memfds; kexec.
 * Stage 2: retrieve every session and every file, verify the contents,
 * FINISH every session.
 *
 * Usage: luo_kexec_stress --stage 1|2 [-n N]   (N defaults to 2000)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "luo_test_utils.h"

#define ONE_SESSION	"stress-one"

static long n = 2000;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void session_name(long i, char *name)
{
	memset(name, 0, LIVEUPDATE_SESSION_NAME_LENGTH);
	snprintf(name, LIVEUPDATE_SESSION_NAME_LENGTH, "stress-%ld", i);
}

/* spread files: session i, token i; the single session: token n + i */
static size_t file_size(uint64_t token)
{
	return 1 + token % 257;
}

static off_t file_pos(uint64_t token)
{
	return token % 3 ? (off_t)file_size(token) : 0;
}

static int preserve_one(int s, uint64_t token)
{
	int fd, err;

	fd = luo_make_memfd("stress", 0, file_size(token), token,
			    file_pos(token));
	if (fd < 0)
		return fd;
	err = luo_preserve_fd(s, fd, token);
	close(fd);
	return err;
}

static int stage1(void)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	long created = 0, preserved = 0;
	int dev, one, err = 0, *s;
	double t0;

	tap_plan(5);
	s = calloc(n, sizeof(*s));
	if (!s || luo_raise_nofile(n + 64))
		tap_note("calloc or setrlimit failed");
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s", LUO_DEVICE) || !s)
		return 1;

	t0 = now_ms();
	for (long i = 0; i < n; i++) {
		session_name(i, name);
		s[i] = luo_create_session(dev, name);
		if (s[i] < 0) {
			tap_note("session %ld: %s", i, strerror(-s[i]));
			break;
		}
		created++;
	}
	tap_ok(created == n, "create %ld sessions (%.0f ms)", n, now_ms() - t0);

	t0 = now_ms();
	for (long i = 0; i < created; i++) {
		err = preserve_one(s[i], i);
		if (err) {
			tap_note("session %ld: preserve: %s", i, strerror(-err));
			break;
		}
		preserved++;
	}
	tap_ok(preserved == n, "preserve one memfd in each of %ld sessions (%.0f ms)",
	       n, now_ms() - t0);

	one = luo_create_session(dev, ONE_SESSION);
	tap_ok(one >= 0, "create session \"%s\"", ONE_SESSION);
	t0 = now_ms();
	preserved = 0;
	for (long i = 0; i < n && one >= 0; i++) {
		err = preserve_one(one, n + i);
		if (err) {
			tap_note("file %ld: preserve: %s", i, strerror(-err));
			break;
		}
		preserved++;
	}
	tap_ok(preserved == n, "preserve %ld memfds in one session (%.0f ms)",
	       n, now_ms() - t0);
	if (tap_exit_code())
		return 1;
	luo_kexec();
}

static int check_one(int s, uint64_t token)
{
	char why[128];
	int fd;

	fd = luo_retrieve_fd(s, token);
	if (fd < 0) {
		tap_note("token %llu: retrieve: %s",
			 (unsigned long long)token, strerror(-fd));
		return fd;
	}
	if (!luo_check_memfd(fd, file_size(token), token, file_pos(token),
			     why)) {
		tap_note("token %llu: %s", (unsigned long long)token, why);
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

static int stage2(void)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	long got = 0, good = 0, fin = 0;
	int dev, one, r, *s;
	double t0;

	tap_plan(7);
	s = calloc(n, sizeof(*s));
	if (!s || luo_raise_nofile(n + 64))
		tap_note("calloc or setrlimit failed");
	t0 = now_ms();
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s after kexec (%.0f ms)", LUO_DEVICE,
		    now_ms() - t0) || !s)
		return tap_exit_code();

	t0 = now_ms();
	for (long i = 0; i < n; i++) {
		session_name(i, name);
		s[i] = luo_retrieve_session(dev, name);
		if (s[i] < 0)
			tap_note("session %ld: retrieve: %s", i,
				 strerror(-s[i]));
		else
			got++;
	}
	tap_ok(got == n, "retrieve %ld sessions (%.0f ms)", n, now_ms() - t0);

	t0 = now_ms();
	for (long i = 0; i < n; i++)
		if (s[i] >= 0 && !check_one(s[i], i))
			good++;
	tap_ok(good == n, "retrieve and verify the memfd of each session (%.0f ms)",
	       now_ms() - t0);

	one = luo_retrieve_session(dev, ONE_SESSION);
	tap_ok(one >= 0, "retrieve session \"%s\" (%s)", ONE_SESSION,
	       one < 0 ? strerror(-one) : "ok");
	t0 = now_ms();
	good = 0;
	for (long i = 0; i < n && one >= 0; i++)
		if (!check_one(one, n + i))
			good++;
	tap_ok(good == n, "retrieve and verify %ld memfds of one session (%.0f ms)",
	       n, now_ms() - t0);

	t0 = now_ms();
	for (long i = 0; i < n; i++) {
		if (s[i] < 0)
			continue;
		r = luo_finish(s[i]);
		if (r)
			tap_note("session %ld: FINISH: %s", i, strerror(-r));
		else
			fin++;
	}
	tap_ok(fin == n, "FINISH %ld sessions (%.0f ms)", n, now_ms() - t0);
	r = one >= 0 ? luo_finish(one) : -EBADF;
	tap_ok(!r, "FINISH session \"%s\" (%s)", ONE_SESSION,
	       r ? strerror(-r) : "ok");

	for (long i = 0; i < n; i++)
		if (s[i] >= 0)
			close(s[i]);
	if (one >= 0)
		close(one);
	close(dev);
	free(s);
	return tap_exit_code();
}

int main(int argc, char **argv)
{
	int stage = luo_parse_args(argc, argv, &n);

	if (n < 1) {
		fprintf(stderr, "%s: -n must be at least 1\n", argv[0]);
		return 2;
	}
	if (stage == 1)
		return stage1();
	return stage2();
}
