// SPDX-License-Identifier: GPL-2.0
/*
 * luo_kexec_simple - one session, a few memfds, one live update.
 *
 * Stage 1: create session "simple" and preserve four memfds of different
 * sizes (empty, one page and a bit, 4 MiB, and a sealed one), each with its
 * own file position; move one position after preserving it; kexec.
 *
 * Stage 2: retrieve the session and every file, check size, content,
 * position and seals, check the error cases (second retrieve of the
 * session, unknown session, unknown token, second retrieve of a token),
 * then FINISH.
 *
 * Usage: luo_kexec_simple --stage 1|2
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "luo_test_utils.h"

#define SESSION	"simple"
/* a small memfd used by the struct-size checks of stage 2 */
#define SIZE_TOKEN	77
#define SIZE_BYTES	300

static const struct simple_file {
	const char *desc;
	uint64_t token;
	size_t size;
	off_t pos;		/* position when preserved */
	off_t final_pos;	/* position set after preserving */
	unsigned int seals;	/* extra seals (memfd created sealable) */
} files[] = {
	{ "empty memfd", 1, 0, 0, 0, 0 },
	{ "one page + 17 bytes", 2, 4096 + 17, 100, 4000, 0 },
	{ "4 MiB of pseudo-random data", 0x8000000000000003ULL,
	  4 << 20, (4 << 20) - 1, (4 << 20) - 1, 0 },
	{ "sealed memfd (shrink, grow)", 0xfffffffffffffff0ULL,
	  3 * 4096, 5000, 5000, F_SEAL_SHRINK | F_SEAL_GROW },
};

#define NR_FILES	((int)ARRAY_SIZE(files))

static int make_file(const struct simple_file *f, int i)
{
	unsigned int flags = f->seals ? MFD_ALLOW_SEALING : 0;
	int fd;

	fd = luo_make_memfd("simple", flags, f->size, f->token + i, f->pos);
	if (fd >= 0 && f->seals && fcntl(fd, F_ADD_SEALS, f->seals)) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int stage1(void)
{
	int dev, s, m, fds[NR_FILES];

	tap_plan(3 + 2 * NR_FILES);
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s", LUO_DEVICE))
		return 1;
	s = luo_create_session(dev, SESSION);
	if (!tap_ok(s >= 0, "create session \"%s\"", SESSION))
		return 1;
	for (int i = 0; i < NR_FILES; i++) {
		const struct simple_file *f = &files[i];

		fds[i] = make_file(f, i);
		tap_ok(fds[i] >= 0, "create %s (%zu bytes, position %lld)",
		       f->desc, f->size, (long long)f->pos);
		tap_ok(fds[i] >= 0 && !luo_preserve_fd(s, fds[i], f->token),
		       "preserve %s with token %#llx", f->desc,
		       (unsigned long long)f->token);
	}
	m = luo_make_memfd("size-check", 0, SIZE_BYTES, SIZE_TOKEN, 0);
	tap_ok(m >= 0 && !luo_preserve_fd(s, m, SIZE_TOKEN),
	       "preserve a small memfd with token %d", SIZE_TOKEN);

	/* The position is saved when the kernel freezes, not at preserve. */
	for (int i = 0; i < NR_FILES; i++)
		if (fds[i] >= 0 && files[i].final_pos != files[i].pos)
			lseek(fds[i], files[i].final_pos, SEEK_SET);
	if (tap_exit_code())
		return 1;
	luo_kexec();
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return b >= 0 && !fstat(a, &sa) && !fstat(b, &sb) &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * The extensible-struct checks of the two ioctls that only make sense on a
 * retrieved session. None of them may consume the token or the session.
 */
#define SIZE_CHECKS	6
static void check_struct_sizes(int s, uint64_t token)
{
	struct {
		struct liveupdate_session_retrieve_fd arg;
		uint64_t tail;
	} rf;
	struct {
		struct liveupdate_session_finish arg;
		uint64_t tail;
	} fin;
	char why[128];
	bool ok;
	int r;

	memset(&rf, 0, sizeof(rf));
	rf.arg.token = token;
	rf.arg.size = offsetof(struct liveupdate_session_retrieve_fd, token);
	r = ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf) ? errno : 0;
	tap_ok(r == EINVAL, "RETRIEVE_FD with a short size: EINVAL (%s)",
	       strerror(r));
	rf.arg.size = sizeof(rf);
	rf.tail = 1;
	r = ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf) ? errno : 0;
	tap_ok(r == E2BIG, "RETRIEVE_FD with a non-zero tail: E2BIG (%s)",
	       strerror(r));

	memset(&fin, 0, sizeof(fin));
	fin.arg.size = offsetof(struct liveupdate_session_finish, reserved);
	r = ioctl(s, LIVEUPDATE_SESSION_FINISH, &fin) ? errno : 0;
	tap_ok(r == EINVAL, "FINISH with a short size: EINVAL (%s)",
	       strerror(r));
	fin.arg.size = sizeof(fin.arg);
	fin.arg.reserved = 1;
	r = ioctl(s, LIVEUPDATE_SESSION_FINISH, &fin) ? errno : 0;
	tap_ok(r == EINVAL, "FINISH with reserved != 0: EINVAL (%s)",
	       strerror(r));
	fin.arg.reserved = 0;
	fin.arg.size = sizeof(fin);
	fin.tail = 1;
	r = ioctl(s, LIVEUPDATE_SESSION_FINISH, &fin) ? errno : 0;
	tap_ok(r == E2BIG, "FINISH with a non-zero tail: E2BIG (%s)",
	       strerror(r));

	/* A zero tail is fine: retrieve the token with the big struct. */
	memset(&rf, 0, sizeof(rf));
	rf.arg.size = sizeof(rf);
	rf.arg.token = token;
	rf.arg.fd = -1;
	r = ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf) ? errno : 0;
	ok = !r && rf.arg.fd >= 0 &&
	     luo_check_memfd(rf.arg.fd, SIZE_BYTES, SIZE_TOKEN, 0, why);
	tap_ok(ok, "RETRIEVE_FD with a zero tail returns the intact file (%s)",
	       r ? strerror(r) : ok ? "ok" : why);
	if (!r)
		close(rf.arg.fd);
}

static int stage2(void)
{
	int dev, s, r, fds[NR_FILES];
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	char why[128];

	tap_plan(10 + SIZE_CHECKS + 3 * NR_FILES);
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s after kexec", LUO_DEVICE))
		return tap_exit_code();
	s = luo_retrieve_session(dev, SESSION);
	if (!tap_ok(s >= 0, "retrieve session \"%s\" (%s)", SESSION,
		    s < 0 ? strerror(-s) : "ok"))
		return tap_exit_code();
	r = luo_get_name(s, name);
	tap_ok(!r && !strcmp(name, SESSION), "GET_NAME of the retrieved session");

	/* Both kernels: a session that is open cannot be retrieved again. */
	r = luo_retrieve_session(dev, SESSION);
	tap_ok(r == -EINVAL, "second retrieve of \"%s\": EINVAL (%s)", SESSION,
	       r < 0 ? strerror(-r) : "succeeded");
	if (r >= 0)
		close(r);
	r = luo_retrieve_session(dev, "no-such-session");
	tap_ok(r == -ENOENT, "retrieve of an unknown session: ENOENT (%s)",
	       r < 0 ? strerror(-r) : "succeeded");
	if (r >= 0)
		close(r);
	r = luo_retrieve_fd(s, 999);
	tap_ok(r == -ENOENT, "retrieve of an unknown token: ENOENT (%s)",
	       r < 0 ? strerror(-r) : "succeeded");
	if (r >= 0)
		close(r);

	check_struct_sizes(s, SIZE_TOKEN);

	for (int i = 0; i < NR_FILES; i++) {
		const struct simple_file *f = &files[i];
		int seals;
		bool ok;

		fds[i] = luo_retrieve_fd(s, f->token);
		tap_ok(fds[i] >= 0, "retrieve %s (%s)", f->desc,
		       fds[i] < 0 ? strerror(-fds[i]) : "ok");
		if (fds[i] < 0) {
			tap_ok(false, "%s: size, content and position", f->desc);
			tap_ok(false, "%s: seals", f->desc);
			continue;
		}
		ok = luo_check_memfd(fds[i], f->size, f->token + i,
				     f->final_pos, why);
		tap_ok(ok, "%s: size, content and position%s%s", f->desc,
		       ok ? "" : ": ", why);
		seals = fcntl(fds[i], F_GET_SEALS);
		/* A memfd without MFD_ALLOW_SEALING starts with F_SEAL_SEAL. */
		tap_ok(seals == (int)(f->seals ? f->seals : F_SEAL_SEAL),
		       "%s: seals %#x", f->desc, seals);
	}

	/* A token that was retrieved: both kernels hand out the same file. */
	r = luo_retrieve_fd(s, files[1].token);
	tap_ok(r >= 0 && same_file(r, fds[1]),
	       "second retrieve of a token: the same file again (%s)",
	       r < 0 ? strerror(-r) : same_file(r, fds[1]) ? "ok" : "another file");
	if (r >= 0)
		close(r);

	r = -1;
	if (fds[1] >= 0 &&
	    pwrite(fds[1], "rewritten", 9, 0) == 9) {
		char buf[9];

		r = pread(fds[1], buf, 9, 0) == 9 && !memcmp(buf, "rewritten", 9);
	}
	tap_ok(r == 1, "a retrieved memfd is writable");

	r = luo_finish(s);
	tap_ok(!r, "FINISH the session (%s)", r ? strerror(-r) : "ok");
	tap_ok(fds[2] >= 0 && luo_check_memfd(fds[2], files[2].size,
					      files[2].token + 2,
					      files[2].final_pos, why),
	       "the 4 MiB memfd is intact after FINISH");
	for (int i = 0; i < NR_FILES; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	close(s);
	close(dev);
	return tap_exit_code();
}

int main(int argc, char **argv)
{
	if (luo_parse_args(argc, argv, NULL) == 1)
		return stage1();
	return stage2();
}
