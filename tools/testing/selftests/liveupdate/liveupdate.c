// SPDX-License-Identifier: GPL-2.0
/*
 * uAPI selftests of the Live Update Orchestrator (/dev/liveupdate).
 *
 * Everything here runs in one kernel, without a kexec: the device, session
 * creation and naming, file preservation and its conflicts, scale, and the
 * extensible-struct contract of every ioctl (size, tail and reserved
 * fields, unknown ioctl numbers).
 *
 * /dev/liveupdate has a single opener: the fixture opens it in the test's
 * own process and closes it in the teardown, so tests never overlap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "kselftest_harness.h"
#include "luo_test_utils.h"

#define MANY_SESSIONS	1000
#define MANY_FILES	1000
/*
 * The harness's default of 30 s per test is too short for the scale tests
 * in a debug kernel under TCG on a busy machine; a test killed at the
 * timeout also leaves /dev/liveupdate busy for the tests after it.
 */
#define SCALE_TIMEOUT	300

/* Any ioctl struct followed by eight bytes the kernel does not know. */
#define DEFINE_BIG(type)			\
	struct big_##type {			\
		struct type arg;		\
		uint64_t tail;			\
	}

DEFINE_BIG(liveupdate_ioctl_create_session);
DEFINE_BIG(liveupdate_ioctl_retrieve_session);
DEFINE_BIG(liveupdate_session_preserve_fd);
DEFINE_BIG(liveupdate_session_get_name);

/* The answers of a kernel that has no handler for a file type. */
static bool no_handler_errno(int err)
{
	return err == ENOENT;
}

static int new_memfd(void)
{
	return memfd_create("luo-selftest", 0);
}

FIXTURE(liveupdate) {
	int dev;
};

FIXTURE_SETUP(liveupdate)
{
	self->dev = open(LUO_DEVICE, O_RDWR | O_CLOEXEC);
	if (self->dev < 0 && errno == ENOENT)
		SKIP(return, "%s does not exist (LUO disabled?)", LUO_DEVICE);
	ASSERT_LE(0, self->dev) {
		TH_LOG("open %s: %s", LUO_DEVICE, strerror(errno));
	}
}

FIXTURE_TEARDOWN(liveupdate)
{
	if (self->dev >= 0)
		close(self->dev);
}

/* ---- the device ------------------------------------------------------ */

TEST_F(liveupdate, device_open)
{
	struct stat st;

	ASSERT_EQ(0, fstat(self->dev, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
}

TEST_F(liveupdate, device_second_open_busy)
{
	int fd;

	fd = open(LUO_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_EQ(-1, fd);
	ASSERT_EQ(EBUSY, errno);

	/* Once the first opener is gone, the device can be opened again. */
	ASSERT_EQ(0, close(self->dev));
	self->dev = open(LUO_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
}

/* ---- sessions -------------------------------------------------------- */

TEST_F(liveupdate, create_session)
{
	int s = luo_create_session(self->dev, "create-session");

	ASSERT_LE(0, s);
	ASSERT_EQ(0, close(s));
}

TEST_F(liveupdate, create_session_duplicate_name)
{
	int s1, s2;

	s1 = luo_create_session(self->dev, "duplicate");
	ASSERT_LE(0, s1);
	s2 = luo_create_session(self->dev, "duplicate");
	EXPECT_EQ(-EEXIST, s2);
	if (s2 >= 0)
		close(s2);
	ASSERT_EQ(0, close(s1));

	/* Closing a session releases its name. */
	s1 = luo_create_session(self->dev, "duplicate");
	ASSERT_LE(0, s1);
	ASSERT_EQ(0, close(s1));
}

TEST_F(liveupdate, create_session_empty_name)
{
	int s = luo_create_session(self->dev, "");

	ASSERT_EQ(-EINVAL, s);
}

TEST_F(liveupdate, create_session_unterminated_name)
{
	struct liveupdate_ioctl_create_session arg = { .size = sizeof(arg) };
	int ret;

	memset(arg.name, 'x', sizeof(arg.name));
	ret = ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &arg);
	if (!ret)
		close(arg.fd);
	ASSERT_EQ(-1, ret);
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(liveupdate, create_session_longest_name)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	char got[LIVEUPDATE_SESSION_NAME_LENGTH];
	int s;

	memset(name, 'y', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	s = luo_create_session(self->dev, name);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, luo_get_name(s, got));
	ASSERT_EQ(0, memcmp(name, got, sizeof(name)));
	ASSERT_EQ(0, close(s));
}

/* Bytes after the NUL are not part of the name. */
TEST_F(liveupdate, create_session_bytes_after_nul)
{
	struct liveupdate_ioctl_create_session arg = { .size = sizeof(arg) };
	char got[LIVEUPDATE_SESSION_NAME_LENGTH];
	int s1, ret;

	memset(arg.name, 'g', sizeof(arg.name));
	memcpy(arg.name, "nul\0", 4);
	ASSERT_EQ(0, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &arg));
	s1 = arg.fd;
	ASSERT_LE(0, s1);
	ASSERT_EQ(0, luo_get_name(s1, got));
	EXPECT_STREQ("nul", got);

	memset(arg.name, 'h', sizeof(arg.name));
	memcpy(arg.name, "nul\0", 4);
	arg.fd = -1;
	ret = ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &arg);
	if (!ret)
		close(arg.fd);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EEXIST, errno);
	ASSERT_EQ(0, close(s1));
}

TEST_F(liveupdate, bad_pointer)
{
	int s;

	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, NULL));
	EXPECT_EQ(EFAULT, errno);
	s = luo_create_session(self->dev, "bad-pointer");
	ASSERT_LE(0, s);
	EXPECT_EQ(-1, ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(s, LIVEUPDATE_SESSION_GET_NAME, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* The size is read before the kind of session is checked. */
	EXPECT_EQ(-1, ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(s, LIVEUPDATE_SESSION_FINISH, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, close(s));
}

TEST_F(liveupdate, get_name)
{
	char got[LIVEUPDATE_SESSION_NAME_LENGTH];
	int s;

	s = luo_create_session(self->dev, "get-name");
	ASSERT_LE(0, s);
	memset(got, 0xff, sizeof(got));
	ASSERT_EQ(0, luo_get_name(s, got));
	ASSERT_STREQ("get-name", got);
	ASSERT_EQ(0, close(s));
}

/*
 * fdinfo of an outgoing session fd: name, direction, state and file count
 * (the incoming side is checked across a kexec, in luo_kexec_stall).
 */
TEST_F(liveupdate, session_fdinfo)
{
	char val[80];
	int s, m;

	s = luo_create_session(self->dev, "fdinfo-session");
	ASSERT_LE(0, s);
	ASSERT_EQ(0, luo_fdinfo(s, "name", val, sizeof(val)));
	ASSERT_STREQ("fdinfo-session", val);
	ASSERT_EQ(0, luo_fdinfo(s, "direction", val, sizeof(val)));
	ASSERT_STREQ("outgoing", val);
	ASSERT_EQ(0, luo_fdinfo(s, "state", val, sizeof(val)));
	ASSERT_STREQ("open", val);
	ASSERT_EQ(0, luo_fdinfo(s, "files", val, sizeof(val)));
	ASSERT_STREQ("0", val);

	m = new_memfd();
	ASSERT_LE(0, m);
	ASSERT_EQ(0, luo_preserve_fd(s, m, 7));
	ASSERT_EQ(0, luo_fdinfo(s, "files", val, sizeof(val)));
	ASSERT_STREQ("1", val);
	/* The keys are the session's: a memfd has none of them. */
	ASSERT_EQ(-ENOENT, luo_fdinfo(m, "direction", val, sizeof(val)));
	ASSERT_EQ(0, close(m));
	ASSERT_EQ(0, close(s));
}

/*
 * A name with a newline cannot forge a line of fdinfo: it is escaped, in
 * octal, as in the debugfs list.
 */
TEST_F(liveupdate, session_fdinfo_escaped_name)
{
	char val[80];
	int s;

	s = luo_create_session(self->dev, "forge\nstate:\tforged");
	ASSERT_LE(0, s);
	ASSERT_EQ(0, luo_fdinfo(s, "state", val, sizeof(val)));
	ASSERT_STREQ("open", val);
	ASSERT_EQ(0, luo_fdinfo(s, "name", val, sizeof(val)));
	ASSERT_STREQ("forge\\012state:\\011forged", val);
	ASSERT_EQ(0, close(s));
}

#define LUO_PARAM(name)		"/sys/module/luo/parameters/" name
/* The limits of one handover (the uAPI header): 10,000 blocks of 51 and 63. */
#define LUO_MAX_SESSIONS	510000
#define LUO_MAX_FILES		630000

/* The value of LUO's parameter @name, or -errno. */
static long luo_param(const char *name)
{
	char *text = luo_read_text(name);
	long v = text ? strtol(text, NULL, 10) : -ENOENT;

	free(text);
	return v;
}

/*
 * CREATE_SESSION refuses a session beyond the most one handover carries,
 * counted at create (the limit is lowered to reach it): the live update
 * never fails for it.
 */
TEST_F(liveupdate, session_limit)
{
	int s[4], extra, again, err;

	ASSERT_EQ(LUO_MAX_SESSIONS, luo_param(LUO_PARAM("max_sessions")));
	ASSERT_EQ(0, luo_write_file(LUO_PARAM("max_sessions"), "3"));
	for (int i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "limit-%d", i);
		s[i] = luo_create_session(self->dev, name);
	}
	extra = luo_create_session(self->dev, "limit-extra");
	if (s[0] >= 0)
		close(s[0]);
	again = luo_create_session(self->dev, "limit-again");
	err = luo_write_file(LUO_PARAM("max_sessions"), "510000");
	EXPECT_LE(0, s[0]);
	EXPECT_LE(0, s[1]);
	EXPECT_LE(0, s[2]);
	EXPECT_EQ(-ENOSPC, extra);
	EXPECT_LE(0, again);
	ASSERT_EQ(0, err);
	ASSERT_EQ(-EINVAL, luo_write_file(LUO_PARAM("max_sessions"), "510001"));
	for (int i = 1; i < 3; i++)
		if (s[i] >= 0)
			close(s[i]);
	if (again >= 0)
		close(again);
}

/* PRESERVE_FD refuses a file beyond the most one session hands over. */
TEST_F(liveupdate, file_limit)
{
	int s, m[3], r[3], err;

	ASSERT_EQ(LUO_MAX_FILES, luo_param(LUO_PARAM("max_files")));
	s = luo_create_session(self->dev, "file-limit");
	ASSERT_LE(0, s);
	ASSERT_EQ(0, luo_write_file(LUO_PARAM("max_files"), "2"));
	for (int i = 0; i < 3; i++) {
		m[i] = new_memfd();
		r[i] = m[i] < 0 ? -errno : luo_preserve_fd(s, m[i], i + 1);
	}
	err = luo_write_file(LUO_PARAM("max_files"), "630000");
	EXPECT_EQ(0, r[0]);
	EXPECT_EQ(0, r[1]);
	EXPECT_EQ(-ENOSPC, r[2]);
	ASSERT_EQ(0, err);
	for (int i = 0; i < 3; i++)
		if (m[i] >= 0)
			close(m[i]);
	ASSERT_EQ(0, close(s));
}

/*
 * The debugfs list of sessions: a line per session (direction, state, file
 * count, escaped name) followed by a line per file (token, state, handler).
 * The incoming side is checked across a kexec, in luo_kexec_handler.
 */
TEST_F(liveupdate, debugfs_sessions)
{
	char *text;
	int a, b, m;

	a = luo_create_session(self->dev, "dbg-a");
	ASSERT_LE(0, a);
	b = luo_create_session(self->dev, "dbg b\\");
	ASSERT_LE(0, b);
	m = new_memfd();
	ASSERT_LE(0, m);
	ASSERT_EQ(0, luo_preserve_fd(a, m, 7));

	text = luo_read_text(LUO_DEBUGFS_SESSIONS);
	ASSERT_NE(NULL, text) {
		TH_LOG("%s: %s", LUO_DEBUGFS_SESSIONS, strerror(errno));
	}
	EXPECT_EQ(1, luo_count_lines(text, "session outgoing open 1 dbg-a"));
	EXPECT_EQ(1, luo_count_lines(text, "file 7 preserved memfd-v2"));
	/* A space and a backslash in a name are escaped (octal). */
	EXPECT_EQ(1, luo_count_lines(text, "session outgoing open 0 dbg\\040b\\134"));
	free(text);

	/* A closed session leaves the list with its files. */
	ASSERT_EQ(0, close(a));
	text = luo_read_text(LUO_DEBUGFS_SESSIONS);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(0, luo_count_lines(text, "session outgoing open 1 dbg-a"));
	EXPECT_EQ(0, luo_count_lines(text, "file 7 preserved memfd-v2"));
	EXPECT_EQ(1, luo_count_lines(text, "session outgoing open 0 dbg\\040b\\134"));
	free(text);
	ASSERT_EQ(0, close(m));
	ASSERT_EQ(0, close(b));
}

/*
 * Each read of the list resumes where the last stopped: with many
 * sessions, and sessions closed between two reads (before the point the
 * first read stopped at, around it and after it), every session that stays
 * open is listed exactly once. A list that resumed by position would skip
 * as many sessions as were closed before that point.
 */
TEST_F_TIMEOUT(liveupdate, debugfs_sessions_resume, SCALE_TIMEOUT)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH], line[128], *text;
	size_t len = 0, size = 1 << 20;
	int *s, *seen, fd, i;
	ssize_t n;

	ASSERT_EQ(0, luo_raise_nofile(MANY_SESSIONS + 16));
	s = calloc(MANY_SESSIONS, sizeof(*s));
	seen = calloc(MANY_SESSIONS, sizeof(*seen));
	text = malloc(size);
	ASSERT_TRUE(s && seen && text);
	for (i = 0; i < MANY_SESSIONS; i++) {
		snprintf(name, sizeof(name), "resume-%04d", i);
		s[i] = luo_create_session(self->dev, name);
		ASSERT_LE(0, s[i]);
	}
	fd = open(LUO_DEBUGFS_SESSIONS, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	/*
	 * The first read stops after about 2 KiB: some 55 sessions. Then
	 * sessions before that point, around it (most likely the one the
	 * next read resumes at) and after it are closed.
	 */
	n = read(fd, text, 2048);
	ASSERT_LT(1024, n);
	len = n;
	for (i = 0; i < MANY_SESSIONS; i++) {
		if ((i < 10 || i >= 40) && (i < 45 || i >= 70) &&
		    (i < 400 || i >= 500))
			continue;
		ASSERT_EQ(0, close(s[i]));
		s[i] = -1;
	}
	while ((n = read(fd, text + len, size - len - 1)) > 0)
		len += n;
	ASSERT_EQ(0, n);
	text[len] = '\0';
	close(fd);

	for (char *p = strtok(text, "\n"); p; p = strtok(NULL, "\n"))
		if (sscanf(p, "session outgoing open 0 resume-%d", &i) == 1 &&
		    i >= 0 && i < MANY_SESSIONS)
			seen[i]++;
	for (i = 0; i < MANY_SESSIONS; i++) {
		snprintf(line, sizeof(line), "resume-%04d listed %d times", i, seen[i]);
		if (s[i] < 0) {
			EXPECT_GE(1, seen[i]) {
				TH_LOG("%s (closed)", line);
			}
		} else {
			EXPECT_EQ(1, seen[i]) {
				TH_LOG("%s", line);
			}
		}
	}
	for (i = 0; i < MANY_SESSIONS; i++)
		if (s[i] >= 0)
			ASSERT_EQ(0, close(s[i]));
	free(text);
	free(seen);
	free(s);
}

TEST_F_TIMEOUT(liveupdate, many_sessions, SCALE_TIMEOUT)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int *s;

	ASSERT_EQ(0, luo_raise_nofile(MANY_SESSIONS + 16));
	s = calloc(MANY_SESSIONS, sizeof(*s));
	ASSERT_NE(NULL, s);
	for (int i = 0; i < MANY_SESSIONS; i++) {
		snprintf(name, sizeof(name), "many-%d", i);
		s[i] = luo_create_session(self->dev, name);
		ASSERT_LE(0, s[i]) {
			TH_LOG("session %d: %s", i, strerror(-s[i]));
		}
	}
	for (int i = 0; i < MANY_SESSIONS; i += 97) {
		char got[LIVEUPDATE_SESSION_NAME_LENGTH];

		snprintf(name, sizeof(name), "many-%d", i);
		ASSERT_EQ(0, luo_get_name(s[i], got));
		ASSERT_STREQ(name, got);
	}
	for (int i = 0; i < MANY_SESSIONS; i++)
		ASSERT_EQ(0, close(s[i]));
	free(s);
}

TEST_F(liveupdate, retrieve_session_nonexistent)
{
	int s = luo_retrieve_session(self->dev, "no-such-session");

	ASSERT_EQ(-ENOENT, s);
}

/* A session created in this kernel is not one that can be retrieved. */
TEST_F(liveupdate, retrieve_session_outgoing)
{
	int s, r;

	s = luo_create_session(self->dev, "outgoing");
	ASSERT_LE(0, s);
	/* Only sessions of the previous kernel can be retrieved. */
	r = luo_retrieve_session(self->dev, "outgoing");
	if (r >= 0)
		close(r);
	EXPECT_EQ(-ENOENT, r);
	ASSERT_EQ(0, close(s));
}

/* ---- preserving files ------------------------------------------------ */

TEST_F(liveupdate, preserve_memfd)
{
	int s, m;

	s = luo_create_session(self->dev, "preserve-memfd");
	ASSERT_LE(0, s);
	m = new_memfd();
	ASSERT_LE(0, m);
	ASSERT_EQ(4, write(m, "data", 4));
	ASSERT_EQ(0, luo_preserve_fd(s, m, 1));
	ASSERT_EQ(0, close(m));
	ASSERT_EQ(0, close(s));
}

TEST_F(liveupdate, preserve_unsupported_pipe)
{
	int s, p[2], ret;

	s = luo_create_session(self->dev, "unsupported-pipe");
	ASSERT_LE(0, s);
	ASSERT_EQ(0, pipe(p));
	ret = luo_preserve_fd(s, p[0], 1);
	TH_LOG("preserve of a pipe: %s", strerror(-ret));
	EXPECT_TRUE(ret < 0 && no_handler_errno(-ret));
	close(p[0]);
	close(p[1]);
	ASSERT_EQ(0, close(s));
}

TEST_F(liveupdate, preserve_unsupported_dev_null)
{
	int s, n, ret;

	s = luo_create_session(self->dev, "unsupported-null");
	ASSERT_LE(0, s);
	n = open("/dev/null", O_RDWR);
	ASSERT_LE(0, n);
	ret = luo_preserve_fd(s, n, 1);
	TH_LOG("preserve of /dev/null: %s", strerror(-ret));
	EXPECT_TRUE(ret < 0 && no_handler_errno(-ret));
	close(n);
	ASSERT_EQ(0, close(s));
}

/* A shmem file with a name (nlink > 0) is not a memfd. */
TEST_F(liveupdate, preserve_unsupported_linked_shmem)
{
	char path[] = "/tmp/luo-selftest-XXXXXX";
	int s, f, ret;

	f = mkstemp(path);
	if (f < 0)
		SKIP(return, "mkstemp: %s", strerror(errno));
	s = luo_create_session(self->dev, "unsupported-tmpfile");
	ASSERT_LE(0, s);
	ret = luo_preserve_fd(s, f, 1);
	TH_LOG("preserve of a linked /tmp file: %s", strerror(-ret));
	EXPECT_TRUE(ret < 0 && no_handler_errno(-ret));
	unlink(path);
	close(f);
	ASSERT_EQ(0, close(s));
}

/* Neither the device nor a session is a preservable file. */
TEST_F(liveupdate, preserve_luo_fds)
{
	int s, ret;

	s = luo_create_session(self->dev, "preserve-luo-fds");
	ASSERT_LE(0, s);
	ret = luo_preserve_fd(s, self->dev, 1);
	TH_LOG("preserve of /dev/liveupdate: %s", strerror(-ret));
	EXPECT_TRUE(ret < 0 && no_handler_errno(-ret));
	ret = luo_preserve_fd(s, s, 2);
	TH_LOG("preserve of the session itself: %s", strerror(-ret));
	EXPECT_TRUE(ret < 0 && no_handler_errno(-ret));
	ASSERT_EQ(0, close(s));
}

TEST_F(liveupdate, preserve_bad_fd)
{
	int s;

	s = luo_create_session(self->dev, "bad-fd");
	ASSERT_LE(0, s);
	EXPECT_EQ(-EBADF, luo_preserve_fd(s, -1, 1));
	EXPECT_EQ(-EBADF, luo_preserve_fd(s, 1000000, 2));
	ASSERT_EQ(0, close(s));
}

TEST_F(liveupdate, preserve_same_file_two_sessions)
{
	int s1, s2, m;

	s1 = luo_create_session(self->dev, "two-sessions-1");
	ASSERT_LE(0, s1);
	s2 = luo_create_session(self->dev, "two-sessions-2");
	ASSERT_LE(0, s2);
	m = new_memfd();
	ASSERT_LE(0, m);
	ASSERT_EQ(0, luo_preserve_fd(s1, m, 1));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s2, m, 1));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s2, m, 2));
	ASSERT_EQ(0, close(m));
	ASSERT_EQ(0, close(s2));
	ASSERT_EQ(0, close(s1));
}

TEST_F(liveupdate, preserve_same_file_dup_fd)
{
	int s, m, d;

	s = luo_create_session(self->dev, "dup-fd");
	ASSERT_LE(0, s);
	m = new_memfd();
	ASSERT_LE(0, m);
	d = dup(m);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, luo_preserve_fd(s, m, 1));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s, d, 2));
	close(d);
	ASSERT_EQ(0, close(m));
	ASSERT_EQ(0, close(s));
}

TEST_F(liveupdate, preserve_same_token_twice)
{
	int s, m1, m2;

	s = luo_create_session(self->dev, "same-token");
	ASSERT_LE(0, s);
	m1 = new_memfd();
	m2 = new_memfd();
	ASSERT_LE(0, m1);
	ASSERT_LE(0, m2);
	ASSERT_EQ(0, luo_preserve_fd(s, m1, 42));
	EXPECT_EQ(-EEXIST, luo_preserve_fd(s, m2, 42));
	/* The failed call did not take the file: another token works. */
	EXPECT_EQ(0, luo_preserve_fd(s, m2, 43));
	close(m1);
	close(m2);
	ASSERT_EQ(0, close(s));
}

TEST_F(liveupdate, preserve_same_file_two_tokens)
{
	int s, m;

	s = luo_create_session(self->dev, "same-file");
	ASSERT_LE(0, s);
	m = new_memfd();
	ASSERT_LE(0, m);
	ASSERT_EQ(0, luo_preserve_fd(s, m, 1));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s, m, 2));
	EXPECT_EQ(-EEXIST, luo_preserve_fd(s, m, 1));
	ASSERT_EQ(0, close(m));
	ASSERT_EQ(0, close(s));
}

TEST_F(liveupdate, preserve_token_extremes)
{
	int s, m1, m2;

	s = luo_create_session(self->dev, "token-extremes");
	ASSERT_LE(0, s);
	m1 = new_memfd();
	m2 = new_memfd();
	ASSERT_LE(0, m1);
	ASSERT_LE(0, m2);
	EXPECT_EQ(0, luo_preserve_fd(s, m1, 0));
	EXPECT_EQ(0, luo_preserve_fd(s, m2, UINT64_MAX));
	close(m1);
	close(m2);
	ASSERT_EQ(0, close(s));
}

TEST_F_TIMEOUT(liveupdate, many_files, SCALE_TIMEOUT)
{
	int s, *m;

	ASSERT_EQ(0, luo_raise_nofile(MANY_FILES + 16));
	m = calloc(MANY_FILES, sizeof(*m));
	ASSERT_NE(NULL, m);
	s = luo_create_session(self->dev, "many-files");
	ASSERT_LE(0, s);
	for (int i = 0; i < MANY_FILES; i++) {
		m[i] = new_memfd();
		ASSERT_LE(0, m[i]);
		ASSERT_EQ((ssize_t)sizeof(i), write(m[i], &i, sizeof(i)));
		ASSERT_EQ(0, luo_preserve_fd(s, m[i], i)) {
			TH_LOG("file %d", i);
		}
	}
	/* Every one of them is now taken. */
	for (int i = 0; i < MANY_FILES; i += 111)
		EXPECT_EQ(-EEXIST, luo_preserve_fd(s, m[0], i));
	for (int i = 0; i < MANY_FILES; i++)
		close(m[i]);
	ASSERT_EQ(0, close(s));
	free(m);
}

/* Closing a session before a kexec unpreserves its files. */
TEST_F(liveupdate, close_session_unpreserves)
{
	int s, m;

	s = luo_create_session(self->dev, "unpreserve-1");
	ASSERT_LE(0, s);
	m = new_memfd();
	ASSERT_LE(0, m);
	ASSERT_EQ(0, luo_preserve_fd(s, m, 1));
	ASSERT_EQ(0, close(s));

	s = luo_create_session(self->dev, "unpreserve-2");
	ASSERT_LE(0, s);
	EXPECT_EQ(0, luo_preserve_fd(s, m, 1));
	ASSERT_EQ(0, close(s));

	/* Same name as the first, closed, session. */
	s = luo_create_session(self->dev, "unpreserve-1");
	ASSERT_LE(0, s);
	EXPECT_EQ(0, luo_preserve_fd(s, m, 7));
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(0, close(m));
}

/* Closing the device does not close the sessions it created. */
TEST_F(liveupdate, session_outlives_device_fd)
{
	char got[LIVEUPDATE_SESSION_NAME_LENGTH];
	int s, m;

	s = luo_create_session(self->dev, "outlives");
	ASSERT_LE(0, s);
	ASSERT_EQ(0, close(self->dev));
	self->dev = -1;
	m = new_memfd();
	ASSERT_LE(0, m);
	EXPECT_EQ(0, luo_preserve_fd(s, m, 1));
	EXPECT_EQ(0, luo_get_name(s, got));
	EXPECT_STREQ("outlives", got);
	close(m);
	ASSERT_EQ(0, close(s));
}

TEST_F(liveupdate, retrieve_fd_outgoing)
{
	int s, m, r;

	s = luo_create_session(self->dev, "retrieve-fd-outgoing");
	ASSERT_LE(0, s);
	m = new_memfd();
	ASSERT_LE(0, m);
	ASSERT_EQ(0, luo_preserve_fd(s, m, 1));
	/* An outgoing session has nothing to retrieve, known token or not. */
	r = luo_retrieve_fd(s, 1);
	if (r >= 0)
		close(r);
	EXPECT_EQ(-EINVAL, r);
	r = luo_retrieve_fd(s, 2);
	if (r >= 0)
		close(r);
	EXPECT_EQ(-EINVAL, r);
	close(m);
	ASSERT_EQ(0, close(s));
}

TEST_F(liveupdate, finish_outgoing)
{
	int s, m1, m2;

	s = luo_create_session(self->dev, "finish-outgoing");
	ASSERT_LE(0, s);
	/* FINISH is for incoming sessions only, empty or not. */
	EXPECT_EQ(-EINVAL, luo_finish(s));
	m1 = new_memfd();
	ASSERT_LE(0, m1);
	ASSERT_EQ(0, luo_preserve_fd(s, m1, 1));
	EXPECT_EQ(-EINVAL, luo_finish(s));
	/* The refused FINISH changed nothing: the session still preserves. */
	m2 = new_memfd();
	ASSERT_LE(0, m2);
	EXPECT_EQ(0, luo_preserve_fd(s, m2, 2));
	EXPECT_EQ(-EEXIST, luo_preserve_fd(s, m2, 1));
	close(m1);
	close(m2);
	ASSERT_EQ(0, close(s));
}

/* ---- the extensible-struct contract ----------------------------------- */

/*
 * For every ioctl: a size that ends before the last field is EINVAL, a
 * larger struct with a non-zero tail is E2BIG, a larger struct with a zero
 * tail behaves like the exact size.
 *
 * Not here: RETRIEVE_FD and FINISH act on incoming sessions only, and on
 * an outgoing session every bad size or reserved field would fail with
 * the same -EINVAL as the session's state (retrieve_fd_outgoing,
 * finish_outgoing), so no check of them could fail. Their contract is
 * checked on a retrieved session after a kexec, where a size the kernel
 * ignored would retrieve or finish: luo_kexec_simple's stage 2.
 */

TEST_F(liveupdate, size_create_session)
{
	struct big_liveupdate_ioctl_create_session b;
	struct liveupdate_ioctl_create_session *a = &b.arg;

	memset(&b, 0, sizeof(b));
	strcpy((char *)a->name, "size-create");

	a->size = 0;
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, a));
	EXPECT_EQ(EINVAL, errno);
	a->size = offsetof(struct liveupdate_ioctl_create_session, name);
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, a));
	EXPECT_EQ(EINVAL, errno);
	a->size = sizeof(*a) - 1;
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, a));
	EXPECT_EQ(EINVAL, errno);

	a->size = sizeof(b);
	b.tail = 1;
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &b));
	EXPECT_EQ(E2BIG, errno);

	b.tail = 0;
	ASSERT_EQ(0, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &b));
	ASSERT_LE(0, a->fd);
	ASSERT_EQ(0, close(a->fd));
}

TEST_F(liveupdate, size_retrieve_session)
{
	struct big_liveupdate_ioctl_retrieve_session b;
	struct liveupdate_ioctl_retrieve_session *a = &b.arg;
	int r;

	memset(&b, 0, sizeof(b));
	strcpy((char *)a->name, "size-retrieve");

	a->size = 0;
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, a));
	EXPECT_EQ(EINVAL, errno);
	a->size = offsetof(struct liveupdate_ioctl_retrieve_session, name);
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, a));
	EXPECT_EQ(EINVAL, errno);

	a->size = sizeof(b);
	b.tail = 1;
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &b));
	EXPECT_EQ(E2BIG, errno);

	/* No such session: the zero tail is accepted and the lookup fails. */
	b.tail = 0;
	r = ioctl(self->dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &b);
	EXPECT_EQ(-1, r);
	EXPECT_EQ(ENOENT, errno);
	if (!r)
		close(a->fd);
}

TEST_F(liveupdate, size_preserve_fd)
{
	struct big_liveupdate_session_preserve_fd b;
	struct liveupdate_session_preserve_fd *a = &b.arg;
	int s, m;

	s = luo_create_session(self->dev, "size-preserve");
	ASSERT_LE(0, s);
	m = new_memfd();
	ASSERT_LE(0, m);
	memset(&b, 0, sizeof(b));
	a->fd = m;
	a->token = 5;

	a->size = 0;
	EXPECT_EQ(-1, ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, a));
	EXPECT_EQ(EINVAL, errno);
	a->size = offsetof(struct liveupdate_session_preserve_fd, token);
	EXPECT_EQ(-1, ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, a));
	EXPECT_EQ(EINVAL, errno);

	a->size = sizeof(b);
	b.tail = 1;
	EXPECT_EQ(-1, ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &b));
	EXPECT_EQ(E2BIG, errno);

	b.tail = 0;
	EXPECT_EQ(0, ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &b));
	close(m);
	ASSERT_EQ(0, close(s));
}

TEST_F(liveupdate, size_get_name)
{
	struct big_liveupdate_session_get_name b;
	struct liveupdate_session_get_name *a = &b.arg;
	int s;

	s = luo_create_session(self->dev, "size-get-name");
	ASSERT_LE(0, s);

	memset(&b, 0, sizeof(b));
	a->size = 0;
	EXPECT_EQ(-1, ioctl(s, LIVEUPDATE_SESSION_GET_NAME, a));
	EXPECT_EQ(EINVAL, errno);
	a->size = offsetof(struct liveupdate_session_get_name, name);
	EXPECT_EQ(-1, ioctl(s, LIVEUPDATE_SESSION_GET_NAME, a));
	EXPECT_EQ(EINVAL, errno);

	a->size = sizeof(*a);
	a->reserved = 1;
	EXPECT_EQ(-1, ioctl(s, LIVEUPDATE_SESSION_GET_NAME, a));
	EXPECT_EQ(EINVAL, errno);
	a->reserved = 0;

	a->size = sizeof(b);
	b.tail = 1;
	EXPECT_EQ(-1, ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &b));
	EXPECT_EQ(E2BIG, errno);

	b.tail = 0;
	EXPECT_EQ(0, ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &b));
	EXPECT_STREQ("size-get-name", (char *)a->name);
	ASSERT_EQ(0, close(s));
}

/* ---- unknown ioctls ---------------------------------------------------- */

TEST_F(liveupdate, unknown_ioctl_device)
{
	struct liveupdate_session_get_name arg = { .size = sizeof(arg) };

	/* the next free number, and a session command sent to the device */
	EXPECT_EQ(-1, ioctl(self->dev, _IO(LIVEUPDATE_IOCTL_TYPE, 0x03), &arg));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_SESSION_GET_NAME, &arg));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->dev, _IO('T', 0x01), &arg));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(liveupdate, unknown_ioctl_session)
{
	struct liveupdate_ioctl_create_session arg = { .size = sizeof(arg) };
	int s;

	s = luo_create_session(self->dev, "unknown-ioctl");
	ASSERT_LE(0, s);
	strcpy((char *)arg.name, "via-session");
	/* the next free number, and a device command sent to a session */
	EXPECT_EQ(-1, ioctl(s, _IO(LIVEUPDATE_IOCTL_TYPE, 0x44), &arg));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(s, LIVEUPDATE_IOCTL_CREATE_SESSION, &arg));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(s, _IO('T', 0x01), &arg));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(0, close(s));
}

TEST_HARNESS_MAIN
