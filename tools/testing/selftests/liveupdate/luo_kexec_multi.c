// SPDX-License-Identifier: GPL-2.0
/*
 * luo_kexec_multi - many sessions of different shapes across a live update.
 *
 * 52 sessions, so that the session list crosses a 51-sessions-per-block
 * boundary of the serialized format, holding 0 (several empty sessions),
 * 1, 2, 63, 64, 126 and 127 memfds (63 files per block) and a few more.
 * One session has a name of the longest allowed length. Every session uses
 * the same tokens: tokens only need to be unique within a session.
 *
 * Stage 2 treats the sessions in four ways, by index modulo 4:
 *   0: retrieve the session and all files, verify, FINISH
 *   1: retrieve the session and all files, verify, leave it unfinished
 *   2: retrieve the session and only the even files, verify, FINISH
 *   3: retrieved last, after all the FINISH calls; verify, unfinished
 *
 * Usage: luo_kexec_multi --stage 1|2
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "luo_test_utils.h"

#define NR_SESSIONS	52
#define TOKEN_BASE	1000

static int nr_files(int i)
{
	static const int shapes[] = { 0, 1, 2, 63, 64, 126, 127 };

	if (i < (int)ARRAY_SIZE(shapes))
		return shapes[i];
	return i % 3;	/* sessions 51 and 48, ... are empty */
}

static void session_name(int i, char *name)
{
	memset(name, 0, LIVEUPDATE_SESSION_NAME_LENGTH);
	if (i == 9) {
		/* the longest name: 63 characters and the NUL */
		memset(name, 'L', LIVEUPDATE_SESSION_NAME_LENGTH - 1);
		name[0] = '9';
		return;
	}
	snprintf(name, LIVEUPDATE_SESSION_NAME_LENGTH, "multi-%02d", i);
}

static size_t file_size(int i, int j)
{
	if (j == 0)
		return 0;
	return (i * 7919 + j * 104729) % 20000;
}

static uint64_t file_seed(int i, int j)
{
	return (uint64_t)i << 32 | j;
}

static off_t file_pos(int i, int j)
{
	return file_size(i, j) / (1 + (i + j) % 3);
}

static int stage1(void)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int dev, s;

	tap_plan(1 + 2 * NR_SESSIONS);
	if (luo_raise_nofile(4096))
		tap_note("could not raise RLIMIT_NOFILE");
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s", LUO_DEVICE))
		return 1;
	for (int i = 0; i < NR_SESSIONS; i++) {
		int n = nr_files(i), bad = 0, err = 0;

		session_name(i, name);
		s = luo_create_session(dev, name);
		tap_ok(s >= 0, "create session %d \"%.16s%s\"", i, name,
		       strlen(name) > 16 ? "..." : "");
		for (int j = 0; j < n && s >= 0; j++) {
			int fd = luo_make_memfd("multi", 0, file_size(i, j),
						file_seed(i, j),
						file_pos(i, j));

			err = fd < 0 ? fd : luo_preserve_fd(s, fd, TOKEN_BASE + j);
			if (err) {
				bad++;
				tap_note("session %d file %d: %s", i, j,
					 strerror(-err));
			}
			/* the session holds the file: no need for our fd */
			if (fd >= 0)
				close(fd);
		}
		tap_ok(s >= 0 && !bad, "session %d: preserve %d memfds", i, n);
		/* the session fd stays open up to the kexec */
	}
	if (tap_exit_code())
		return 1;
	luo_kexec();
}

/* Retrieve and check the files of session @i; @step 2: only even ones. */
static bool check_files(int i, int s, int step)
{
	int n = nr_files(i), bad = 0;
	char why[128];

	for (int j = 0; j < n; j += step) {
		int fd = luo_retrieve_fd(s, TOKEN_BASE + j);

		if (fd < 0) {
			tap_note("session %d file %d: retrieve: %s", i, j,
				 strerror(-fd));
			bad++;
			continue;
		}
		if (!luo_check_memfd(fd, file_size(i, j), file_seed(i, j),
				     file_pos(i, j), why)) {
			tap_note("session %d file %d: %s", i, j, why);
			bad++;
		}
		close(fd);
	}
	return !bad;
}

static bool check_name(int i, int s)
{
	char want[LIVEUPDATE_SESSION_NAME_LENGTH];
	char got[LIVEUPDATE_SESSION_NAME_LENGTH];

	session_name(i, want);
	return !luo_get_name(s, got) && !memcmp(want, got, sizeof(want));
}

static int stage2(void)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int dev, s[NR_SESSIONS], r;
	int finished = 0;

	for (int i = 0; i < NR_SESSIONS; i++)
		finished += i % 4 == 0 || i % 4 == 2;
	/*
	 * open, the retrieve after close; per session: retrieve, name,
	 * files; plus FINISH for 0 and 2
	 */
	tap_plan(2 + 3 * NR_SESSIONS + finished);
	if (luo_raise_nofile(4096))
		tap_note("could not raise RLIMIT_NOFILE");
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s after kexec", LUO_DEVICE))
		return tap_exit_code();

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < NR_SESSIONS; i++) {
			int mode = i % 4, late = mode == 3;

			if (late != pass)
				continue;
			session_name(i, name);
			s[i] = luo_retrieve_session(dev, name);
			if (!tap_ok(s[i] >= 0, "retrieve session %d (%s)", i,
				    s[i] < 0 ? strerror(-s[i]) : "ok")) {
				tap_ok(false, "session %d: name", i);
				tap_ok(false, "session %d: files", i);
				if (mode == 0 || mode == 2)
					tap_ok(false, "session %d: FINISH", i);
				continue;
			}
			tap_ok(check_name(i, s[i]), "session %d: GET_NAME", i);
			tap_ok(check_files(i, s[i], mode == 2 ? 2 : 1),
			       "session %d: %s%d memfds intact", i,
			       mode == 2 ? "every other of " : "",
			       nr_files(i));
			if (mode == 0 || mode == 2) {
				r = luo_finish(s[i]);
				tap_ok(!r, "session %d: FINISH (%s)", i,
				       r ? strerror(-r) : "ok");
			}
		}
	}

	/*
	 * FINISH takes a session off the incoming list: once its fd is
	 * closed, it cannot be retrieved again. (Retrieving it while the fd
	 * is still open fails whether or not FINISH did anything. Closing an
	 * unfinished session puts it back in our kernel; the reference may
	 * finish it on close, so that part is not asserted here.)
	 */
	close(s[0]);
	s[0] = -1;
	session_name(0, name);
	r = luo_retrieve_session(dev, name);
	tap_ok(r == -ENOENT, "a finished session, closed, cannot be retrieved again: ENOENT (%s)",
	       r < 0 ? strerror(-r) : "succeeded");
	if (r >= 0)
		close(r);

	for (int i = 0; i < NR_SESSIONS; i++)
		if (s[i] >= 0)
			close(s[i]);
	close(dev);
	return tap_exit_code();
}

int main(int argc, char **argv)
{
	if (luo_parse_args(argc, argv, NULL) == 1)
		return stage1();
	return stage2();
}
