// SPDX-License-Identifier: GPL-2.0
/*
 * luo_conform - the uAPI cases of the differential conformance test.
 *
 * Runs the same cases on any LUO kernel and prints, for every case, one
 * line that can be compared with another kernel's:
 *
 *   CASE <stage>.<group>.<name> <result>
 *
 * where <result> is "0" for success or the errno's name ("ENOENT"), and for
 * the cases that observe a property (a /proc link, a file system magic, a
 * flag) the value seen. scripts/conformance.sh runs this program on the
 * reference kernel and on ours (each kexecs into the same kind of kernel)
 * and compares the CASE lines; it decides what a difference means, this
 * program never judges a result. Its TAP line for a case is "ok" when the
 * case ran, "not ok" when its setup failed (the result is then NOTRUN).
 *
 * Stage 1 runs on a freshly booted kernel: the device, every ioctl's
 * struct-size contract, bad arguments, file types no handler takes,
 * duplicate names and tokens, one file in two sessions, closing a session
 * and reusing its files and name, unknown ioctl numbers, the session fd's
 * link name and file system. Then it leaves sessions of several shapes for
 * stage 2 and kexecs.
 *
 * Stage 2 runs in the next kernel: incoming against outgoing sessions
 * (retrieve twice, preserve into an incoming session, one token twice,
 * finish twice, retrieve after finish, close unfinished and retrieve again,
 * finish with files never retrieved), the size contract of the incoming
 * ioctls, reopening the device and a second opener.
 *
 * Usage: luo_conform --stage 1|2
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <termios.h>
#include <unistd.h>
#include <linux/magic.h>

#include "luo_test_utils.h"

#define NAME_LEN	LIVEUPDATE_SESSION_NAME_LENGTH
#define PAGE		4096
#define RES_LEN		256

/* ------------------------------------------------------------------ */
/* Reporting */

static int stage;
static int ncase;
static int nnotrun;

static __printf(2, 3) void report(const char *name, const char *fmt, ...)
{
	char res[RES_LEN];
	va_list ap;
	bool ran;

	va_start(ap, fmt);
	vsnprintf(res, sizeof(res), fmt, ap);
	va_end(ap);
	/* one line per case: no newline may split it */
	for (char *p = res; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	ran = strncmp(res, "NOTRUN", 6);
	ncase++;
	if (!ran)
		nnotrun++;
	printf("CASE %d.%s %s\n", stage, name, res);
	printf("%s %d - %d.%s: %s\n", ran ? "ok" : "not ok", ncase, stage,
	       name, res);
	fflush(stdout);
}

/* The name of a positive errno, or "0". */
static const char *ename(int err)
{
	static char buf[16];
	const char *n;

	if (!err)
		return "0";
	n = strerrorname_np(err);
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

/* A result that is a negative errno or a non-negative success value. */
static const char *rname(int r)
{
	return ename(r < 0 ? -r : 0);
}

static void close_if(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* ------------------------------------------------------------------ */
/* Argument buffers with a guard page */

/*
 * Two read-write pages followed by an inaccessible one: an argument placed
 * at the start of the area can claim a size that runs into the guard.
 */
static unsigned char *area;

static int area_init(void)
{
	area = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return -errno;
	if (mprotect(area + 2 * PAGE, PAGE, PROT_NONE))
		return -errno;
	return 0;
}

struct size_variant {
	const char *name;
	int kind;		/* SZ_* */
	bool dirty;		/* a non-zero byte in the tail */
};

enum { SZ_ZERO, SZ_FOUR, SZ_SHORT, SZ_EXACT, SZ_PLUS8, SZ_PAGE, SZ_GUARD,
	SZ_U32MAX };

static const struct size_variant size_variants[] = {
	{ "size-0", SZ_ZERO, false },
	{ "size-4", SZ_FOUR, false },
	{ "size-short", SZ_SHORT, false },
	{ "size-exact", SZ_EXACT, false },
	{ "size-plus8-zero-tail", SZ_PLUS8, false },
	{ "size-plus8-dirty-tail", SZ_PLUS8, true },
	{ "size-page-zero-tail", SZ_PAGE, false },
	{ "size-page-dirty-tail", SZ_PAGE, true },
	{ "size-into-guard-page", SZ_GUARD, false },
	{ "size-u32-max", SZ_U32MAX, false },
};

#define NR_SIZE_VARIANTS	((int)ARRAY_SIZE(size_variants))

static uint32_t variant_size(const struct size_variant *v, size_t len)
{
	switch (v->kind) {
	case SZ_ZERO:
		return 0;
	case SZ_FOUR:
		return 4;
	case SZ_SHORT:
		return len - 1;
	case SZ_EXACT:
		return len;
	case SZ_PLUS8:
		return len + 8;
	case SZ_PAGE:
		return PAGE;
	case SZ_GUARD:
		return 3 * PAGE;
	default:
		return UINT32_MAX;
	}
}

/*
 * Issue @cmd on @fd with @arg (@len bytes, its first member the size),
 * presented with the size of variant @v. Returns 0 or a positive errno; on
 * success *@outfd is the s32 at offset 4 (the fd member), or -1.
 */
static int sized_ioctl(int fd, unsigned long cmd, const void *arg, size_t len,
		       const struct size_variant *v, int *outfd)
{
	uint32_t size = variant_size(v, len);
	size_t mapped = 2 * PAGE;
	int err;

	memset(area, 0, mapped);
	memcpy(area, arg, len);
	memcpy(area, &size, sizeof(size));
	if (v->dirty && size > len)
		area[(size < mapped ? size : mapped) - 1] = 0x5a;
	err = ioctl(fd, cmd, area) ? errno : 0;
	if (outfd) {
		int32_t out;

		memcpy(&out, area + 4, sizeof(out));
		*outfd = err ? -1 : out;
	}
	return err;
}

/* ------------------------------------------------------------------ */
/* Raw ioctl helpers */

static int ioctl_err(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

/* create/retrieve with a raw 64-byte name; returns the fd or -errno */
static int session_raw(int dev, unsigned long cmd, const char *name,
		       size_t namelen)
{
	struct liveupdate_ioctl_create_session arg;

	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	arg.fd = -1;
	memcpy(arg.name, name, namelen);
	if (ioctl(dev, cmd, &arg))
		return -errno;
	return arg.fd;
}

static int make_memfd(uint64_t seed)
{
	return luo_make_memfd("conform", MFD_ALLOW_SEALING,
			      100 + seed % 5000, seed, seed % 100);
}

/* "ok" if @fd holds what make_memfd(@seed) wrote, else what differs */
static const char *memfd_state(int fd, uint64_t seed)
{
	static char why[128];

	if (luo_check_memfd(fd, 100 + seed % 5000, seed, seed % 100, why))
		return "ok";
	return why;
}

/* ------------------------------------------------------------------ */
/* Observing a file descriptor */

static void report_link(const char *name, int fd)
{
	char path[64], buf[512];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0) {
		report(name, "%s", ename(errno));
		return;
	}
	buf[n] = '\0';
	report(name, "%s", buf);
}

static void report_fs_magic(const char *name, int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs)) {
		report(name, "%s", ename(errno));
		return;
	}
	report(name, "%#llx%s", (unsigned long long)sfs.f_type,
	       sfs.f_type == ANON_INODE_FS_MAGIC ? " (ANON_INODE_FS_MAGIC)" : "");
}

static void report_cloexec(const char *name, int fd)
{
	int f = fcntl(fd, F_GETFD);

	if (f < 0)
		report(name, "%s", ename(errno));
	else
		report(name, "%s", f & FD_CLOEXEC ? "cloexec" : "no-cloexec");
}

static void report_accmode(const char *name, int fd)
{
	int f = fcntl(fd, F_GETFL);

	if (f < 0) {
		report(name, "%s", ename(errno));
		return;
	}
	switch (f & O_ACCMODE) {
	case O_RDONLY:
		report(name, "O_RDONLY");
		break;
	case O_WRONLY:
		report(name, "O_WRONLY");
		break;
	default:
		report(name, "O_RDWR");
		break;
	}
}

static void report_mode(const char *name, int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		report(name, "%s", ename(errno));
	else
		report(name, "%06o", (unsigned int)st.st_mode);
}

static bool same_inode(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static void report_rw(const char *prefix, int fd)
{
	char name[96], buf[16] = "x";

	snprintf(name, sizeof(name), "%s.read", prefix);
	report(name, "%s", ename(read(fd, buf, sizeof(buf)) < 0 ? errno : 0));
	snprintf(name, sizeof(name), "%s.write", prefix);
	report(name, "%s", ename(write(fd, buf, 1) < 0 ? errno : 0));
	snprintf(name, sizeof(name), "%s.lseek", prefix);
	report(name, "%s", ename(lseek(fd, 0, SEEK_SET) < 0 ? errno : 0));
}

/* Every property of a session fd a program could look at. */
static void report_session_fd(const char *prefix, int s)
{
	char name[96];

	snprintf(name, sizeof(name), "%s.proc-link", prefix);
	report_link(name, s);
	snprintf(name, sizeof(name), "%s.fstatfs-magic", prefix);
	report_fs_magic(name, s);
	snprintf(name, sizeof(name), "%s.st-mode", prefix);
	report_mode(name, s);
	snprintf(name, sizeof(name), "%s.cloexec", prefix);
	report_cloexec(name, s);
	snprintf(name, sizeof(name), "%s.access-mode", prefix);
	report_accmode(name, s);
}

static void report_get_name(const char *name, int s)
{
	char got[NAME_LEN];
	int r = luo_get_name(s, got);

	if (r)
		report(name, "%s", rname(r));
	else
		report(name, "0 \"%.*s\"", NAME_LEN, got);
}

/* ------------------------------------------------------------------ */
/* Unknown ioctl numbers */

struct unknown_cmd {
	const char *name;
	unsigned long cmd;
};

static void unknown_cmds(const char *prefix, int fd,
			 const struct unknown_cmd *cmds, int n)
{
	char name[96];

	for (int i = 0; i < n; i++) {
		/* a zeroed argument whose size says "the whole page" */
		memset(area, 0, 2 * PAGE);
		*(uint32_t *)area = PAGE;
		snprintf(name, sizeof(name), "%s.%s", prefix, cmds[i].name);
		report(name, "%s", ename(ioctl_err(fd, cmds[i].cmd, area)));
	}
}

static const struct unknown_cmd dev_unknown[] = {
	{ "nr-0x02", _IO(LIVEUPDATE_IOCTL_TYPE, 0x02) },
	{ "nr-0x3f", _IO(LIVEUPDATE_IOCTL_TYPE, 0x3f) },
	{ "nr-0x40-session-preserve", LIVEUPDATE_SESSION_PRESERVE_FD },
	{ "nr-0x43-session-get-name", LIVEUPDATE_SESSION_GET_NAME },
	{ "nr-0xff", _IO(LIVEUPDATE_IOCTL_TYPE, 0xff) },
	{ "type-0xbb-nr-0x00", _IO(0xBB, 0x00) },
	{ "type-0xbb-nr-0x02", _IO(0xBB, 0x02) },
	{ "create-with-iowr-bits",
	  _IOWR(LIVEUPDATE_IOCTL_TYPE, 0x00,
		struct liveupdate_ioctl_create_session) },
	{ "tcgets", TCGETS },
};

static const struct unknown_cmd session_unknown[] = {
	{ "nr-0x00-device-create", LIVEUPDATE_IOCTL_CREATE_SESSION },
	{ "nr-0x01-device-retrieve", LIVEUPDATE_IOCTL_RETRIEVE_SESSION },
	{ "nr-0x3f", _IO(LIVEUPDATE_IOCTL_TYPE, 0x3f) },
	{ "nr-0x44", _IO(LIVEUPDATE_IOCTL_TYPE, 0x44) },
	{ "nr-0xff", _IO(LIVEUPDATE_IOCTL_TYPE, 0xff) },
	{ "type-0xbb-nr-0x00", _IO(0xBB, 0x00) },
	{ "type-0xbb-nr-0x40", _IO(0xBB, 0x40) },
	{ "get-name-with-iowr-bits",
	  _IOWR(LIVEUPDATE_IOCTL_TYPE, 0x43,
		struct liveupdate_session_get_name) },
	{ "tcgets", TCGETS },
};

/* ------------------------------------------------------------------ */
/* Struct-size contracts */

/* CREATE_SESSION: every variant with its own name */
static void sizes_create(int dev)
{
	struct liveupdate_ioctl_create_session arg;
	char name[96];

	for (int i = 0; i < NR_SIZE_VARIANTS; i++) {
		int fd, err;

		memset(&arg, 0, sizeof(arg));
		arg.fd = -1;
		snprintf((char *)arg.name, NAME_LEN, "sz-create-%d", i);
		err = sized_ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &arg,
				  sizeof(arg), &size_variants[i], &fd);
		snprintf(name, sizeof(name), "create.%s", size_variants[i].name);
		report(name, "%s", ename(err));
		close_if(fd);
	}
}

/* RETRIEVE_SESSION: stage 1 has nothing to retrieve; stage 2 has sz-ret-N */
static void sizes_retrieve(int dev)
{
	struct liveupdate_ioctl_retrieve_session arg;
	char name[96];

	for (int i = 0; i < NR_SIZE_VARIANTS; i++) {
		int fd, err;

		memset(&arg, 0, sizeof(arg));
		arg.fd = -1;
		snprintf((char *)arg.name, NAME_LEN, "sz-ret-%d", i);
		err = sized_ioctl(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &arg,
				  sizeof(arg), &size_variants[i], &fd);
		snprintf(name, sizeof(name), "retrieve.%s", size_variants[i].name);
		report(name, "%s", ename(err));
		close_if(fd);
	}
}

/* PRESERVE_FD into session @s, a new memfd per variant */
static void sizes_preserve(const char *prefix, int s)
{
	struct liveupdate_session_preserve_fd arg;
	char name[96];

	for (int i = 0; i < NR_SIZE_VARIANTS; i++) {
		int m = make_memfd(500 + i), err;

		snprintf(name, sizeof(name), "%s.%s", prefix,
			 size_variants[i].name);
		if (m < 0) {
			report(name, "NOTRUN memfd: %s", rname(m));
			continue;
		}
		memset(&arg, 0, sizeof(arg));
		arg.fd = m;
		arg.token = 500 + i;
		err = sized_ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &arg,
				  sizeof(arg), &size_variants[i], NULL);
		report(name, "%s", ename(err));
		close(m);
	}
}

/* RETRIEVE_FD of token 600 + variant on session @s */
static void sizes_retrieve_fd(const char *prefix, int s)
{
	struct liveupdate_session_retrieve_fd arg;
	char name[96];

	for (int i = 0; i < NR_SIZE_VARIANTS; i++) {
		int fd, err;

		memset(&arg, 0, sizeof(arg));
		arg.fd = -1;
		arg.token = 600 + i;
		err = sized_ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &arg,
				  sizeof(arg), &size_variants[i], &fd);
		snprintf(name, sizeof(name), "%s.%s", prefix,
			 size_variants[i].name);
		if (!err && fd >= 0)
			report(name, "0 data %s", memfd_state(fd, 600 + i));
		else
			report(name, "%s", ename(err));
		close_if(fd);
	}
}

/* FINISH on the sessions @s[variant] (one each: success finishes it) */
static void sizes_finish(const char *prefix, const int *s)
{
	struct liveupdate_session_finish arg;
	char name[96];

	for (int i = 0; i < NR_SIZE_VARIANTS; i++) {
		int err;

		snprintf(name, sizeof(name), "%s.%s", prefix,
			 size_variants[i].name);
		if (s[i] < 0) {
			report(name, "NOTRUN session: %s", rname(s[i]));
			continue;
		}
		memset(&arg, 0, sizeof(arg));
		err = sized_ioctl(s[i], LIVEUPDATE_SESSION_FINISH, &arg,
				  sizeof(arg), &size_variants[i], NULL);
		report(name, "%s", ename(err));
	}
}

static void sizes_get_name(const char *prefix, int s)
{
	struct liveupdate_session_get_name arg;
	char name[96];

	for (int i = 0; i < NR_SIZE_VARIANTS; i++) {
		int err;

		memset(&arg, 0, sizeof(arg));
		err = sized_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &arg,
				  sizeof(arg), &size_variants[i], NULL);
		snprintf(name, sizeof(name), "%s.%s", prefix,
			 size_variants[i].name);
		if (err)
			report(name, "%s", ename(err));
		else
			report(name, "0 \"%.*s\"", NAME_LEN,
			       (char *)area +
			       offsetof(struct liveupdate_session_get_name, name));
	}
}

/* The reserved members and a NULL argument of the session ioctls. */
static void session_bad_args(const char *prefix, int s)
{
	struct liveupdate_session_get_name gn = { .size = sizeof(gn) };
	struct liveupdate_session_finish fin = { .size = sizeof(fin) };
	char name[96];

	gn.reserved = 1;
	snprintf(name, sizeof(name), "%s.get-name.reserved-set", prefix);
	report(name, "%s", ename(ioctl_err(s, LIVEUPDATE_SESSION_GET_NAME, &gn)));
	fin.reserved = 1;
	snprintf(name, sizeof(name), "%s.finish.reserved-set", prefix);
	report(name, "%s", ename(ioctl_err(s, LIVEUPDATE_SESSION_FINISH, &fin)));

	snprintf(name, sizeof(name), "%s.preserve.null-arg", prefix);
	report(name, "%s",
	       ename(ioctl_err(s, LIVEUPDATE_SESSION_PRESERVE_FD, NULL)));
	snprintf(name, sizeof(name), "%s.retrieve-fd.null-arg", prefix);
	report(name, "%s",
	       ename(ioctl_err(s, LIVEUPDATE_SESSION_RETRIEVE_FD, NULL)));
	snprintf(name, sizeof(name), "%s.finish.null-arg", prefix);
	report(name, "%s", ename(ioctl_err(s, LIVEUPDATE_SESSION_FINISH, NULL)));
	snprintf(name, sizeof(name), "%s.get-name.null-arg", prefix);
	report(name, "%s",
	       ename(ioctl_err(s, LIVEUPDATE_SESSION_GET_NAME, NULL)));
}

/* ------------------------------------------------------------------ */
/* Stage 1 */

/*
 * The sessions stage 1 leaves for stage 2. Files are memfds of
 * make_memfd(seed) with seed = 1000 * index + token.
 */
struct handover {
	const char *name;
	int nfiles;		/* tokens 1..nfiles */
	bool close_before;	/* closed in stage 1: not handed over */
};

static const struct handover handovers[] = {
	{ "in-full", 3, false },
	{ "in-partial", 3, false },
	{ "in-none", 2, false },
	{ "in-unfinished", 2, false },
	{ "in-unfinished-none", 2, false },
	{ "in-preserve-retrieved", 2, false },
	{ "in-empty", 0, false },
	{ "in-untouched", 2, false },
	{ "in-closed", 2, true },
	{ "in-reopen", 1, false },
	{ "in-across-reopen", 1, false },
	{ "in-rfd-sizes", 0, false },	/* tokens 600.. are added separately */
	{ "in-outgoing-ops", 1, false },
	{ "in-name-clash", 1, false },
	{ "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL9", 1, false },
};

#define NR_HANDOVERS	((int)ARRAY_SIZE(handovers))
#define H_LONG		(NR_HANDOVERS - 1)

static int handover_index(const char *name)
{
	for (int i = 0; i < NR_HANDOVERS; i++)
		if (!strcmp(handovers[i].name, name))
			return i;
	return -1;
}

static uint64_t file_seed(int h, uint64_t token)
{
	return 1000 * h + token;
}

static void stage1_device(int *devp)
{
	int dev = *devp, d2, s;

	report("dev.open", "%s", rname(dev));
	d2 = luo_open_device();
	report("dev.open-second", "%s", rname(d2));
	close_if(d2);
	report_rw("dev", dev);
	unknown_cmds("dev.ioctl", dev, dev_unknown, ARRAY_SIZE(dev_unknown));
	report("dev.create.null-arg", "%s",
	       ename(ioctl_err(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, NULL)));
	report("dev.retrieve.null-arg", "%s",
	       ename(ioctl_err(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, NULL)));

	/* Sessions outlive the device fd they were created with? */
	s = luo_create_session(dev, "dev-keep");
	report("dev.keep.create", "%s", rname(s));
	close(dev);
	dev = open(LUO_DEVICE, O_RDONLY | O_CLOEXEC);
	report("dev.open-rdonly", "%s", rname(dev < 0 ? -errno : dev));
	if (dev >= 0) {
		int t = luo_create_session(dev, "dev-rdonly");

		report("dev.rdonly.create", "%s", rname(t));
		close_if(t);
		close(dev);
	}
	dev = luo_open_device();
	report("dev.reopen", "%s", rname(dev));
	*devp = dev;
	if (s >= 0) {
		int m = make_memfd(7), t;

		report("dev.keep.preserve-after-reopen", "%s",
		       rname(m < 0 ? m : luo_preserve_fd(s, m, 1)));
		report_get_name("dev.keep.get-name-after-reopen", s);
		t = luo_create_session(dev, "dev-keep");
		report("dev.keep.create-same-name", "%s", rname(t));
		close_if(t);
		close_if(m);
		close(s);
	}
}

static void stage1_names(int dev)
{
	char name[NAME_LEN + 8];
	int s, t;

	s = session_raw(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "", 1);
	report("create.name-empty", "%s", rname(s));
	close_if(s);
	memset(name, 'u', NAME_LEN);
	s = session_raw(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, name, NAME_LEN);
	report("create.name-unterminated", "%s", rname(s));
	close_if(s);
	memset(name, 'm', NAME_LEN - 1);
	name[NAME_LEN - 1] = '\0';
	s = session_raw(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, name, NAME_LEN);
	report("create.name-63", "%s", rname(s));
	close_if(s);
	/* bytes after the NUL are not part of the name */
	memset(name, 'g', NAME_LEN);
	memcpy(name, "garbage", 8);
	s = session_raw(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, name, NAME_LEN);
	report("create.name-garbage-after-nul", "%s", rname(s));
	if (s >= 0)
		report_get_name("create.name-garbage-after-nul.get-name", s);
	close_if(s);
	s = luo_create_session(dev, "a b/c\tx");
	report("create.name-odd-chars", "%s", rname(s));
	if (s >= 0)
		report_link("create.name-odd-chars.proc-link", s);
	close_if(s);
	s = luo_create_session(dev, "\xff\xfe");
	report("create.name-non-ascii", "%s", rname(s));
	close_if(s);

	s = luo_create_session(dev, "dup");
	report("create.dup.first", "%s", rname(s));
	t = luo_create_session(dev, "dup");
	report("create.dup.second", "%s", rname(t));
	close_if(t);
	close_if(s);
	t = luo_create_session(dev, "dup");
	report("create.dup.after-close", "%s", rname(t));
	close_if(t);

	s = luo_retrieve_session(dev, "no-such-session");
	report("retrieve.unknown-name", "%s", rname(s));
	close_if(s);
	s = session_raw(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "", 1);
	report("retrieve.name-empty", "%s", rname(s));
	close_if(s);
	memset(name, 'u', NAME_LEN);
	s = session_raw(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, name, NAME_LEN);
	report("retrieve.name-unterminated", "%s", rname(s));
	close_if(s);
	t = luo_create_session(dev, "outgoing");
	s = luo_retrieve_session(dev, "outgoing");
	report("retrieve.outgoing-name", "%s", rname(s));
	close_if(s);
	close_if(t);
}

static void stage1_session_fd(int dev)
{
	int s, t;

	s = luo_create_session(dev, "fd-props");
	if (s < 0) {
		report("session.create", "NOTRUN create: %s", rname(s));
		return;
	}
	report_session_fd("session", s);
	report_rw("session", s);
	report_get_name("session.get-name", s);
	t = luo_create_session(dev, "fd-props-2");
	report("session.two-sessions-same-inode", "%s",
	       t < 0 ? "NOTRUN" : same_inode(s, t) ? "same" : "different");
	close_if(t);
	unknown_cmds("session.ioctl", s, session_unknown,
		     ARRAY_SIZE(session_unknown));
	session_bad_args("session", s);
	sizes_get_name("session.get-name", s);
	close(s);
}

/* Preserve cases into outgoing sessions. */
static void stage1_preserve(int dev)
{
	int s, s2, m, m2, r, fd;
	char path[64];

	s = luo_create_session(dev, "pres");
	s2 = luo_create_session(dev, "pres-2");
	m = make_memfd(1);
	m2 = make_memfd(2);
	if (s < 0 || s2 < 0 || m < 0 || m2 < 0) {
		report("preserve.setup", "NOTRUN");
		goto out;
	}
	report("preserve.memfd", "%s", rname(luo_preserve_fd(s, m, 1)));
	report("preserve.same-file-same-token", "%s",
	       rname(luo_preserve_fd(s, m, 1)));
	report("preserve.same-file-other-token", "%s",
	       rname(luo_preserve_fd(s, m, 2)));
	fd = dup(m);
	report("preserve.dup-fd-other-token", "%s",
	       rname(luo_preserve_fd(s, fd, 3)));
	close(fd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", m);
	fd = open(path, O_RDWR | O_CLOEXEC);
	report("preserve.reopened-same-inode", "%s",
	       rname(fd < 0 ? -errno : luo_preserve_fd(s, fd, 4)));
	close_if(fd);
	report("preserve.same-file-other-session", "%s",
	       rname(luo_preserve_fd(s2, m, 1)));
	report("preserve.other-file-same-token", "%s",
	       rname(luo_preserve_fd(s, m2, 1)));
	report("preserve.token-0", "%s", rname(luo_preserve_fd(s, m2, 0)));
	fd = make_memfd(3);
	report("preserve.token-u64-max", "%s",
	       rname(fd < 0 ? fd : luo_preserve_fd(s, fd, UINT64_MAX)));
	close_if(fd);
	report("preserve.fd-minus-1", "%s", rname(luo_preserve_fd(s, -1, 10)));
	report("preserve.fd-not-open", "%s",
	       rname(luo_preserve_fd(s, 100000, 10)));
	fd = open(path, O_PATH | O_CLOEXEC);
	report("preserve.o-path-fd", "%s",
	       rname(fd < 0 ? -errno : luo_preserve_fd(s, fd, 11)));
	close_if(fd);
	r = luo_make_memfd("sealed", MFD_ALLOW_SEALING, 5000, 4, 0);
	if (r >= 0 && fcntl(r, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK |
			    F_SEAL_GROW | F_SEAL_SEAL))
		r = -errno;
	report("preserve.memfd-all-seals", "%s",
	       rname(r < 0 ? r : luo_preserve_fd(s, r, 12)));
	close_if(r);
	fd = memfd_create("hugetlb", MFD_HUGETLB | MFD_CLOEXEC);
	if (fd < 0)
		report("preserve.memfd-hugetlb", "unavailable %s", ename(errno));
	else
		report("preserve.memfd-hugetlb", "%s",
		       rname(luo_preserve_fd(s, fd, 13)));
	close_if(fd);
	sizes_preserve("preserve", s);
out:
	close_if(m);
	close_if(m2);
	close_if(s2);
	close_if(s);
}

/*
 * Preserve @fd (a file no handler should take) at @token. A file type this
 * kernel cannot even create (a tiny config has no eventfd, no AF_UNIX) is
 * reported as such; the kernels compared share one config.
 */
static void foreign_case(const char *name, int s, int fd, uint64_t token)
{
	if (fd < 0)
		report(name, "unavailable %s", ename(errno));
	else
		report(name, "%s", rname(luo_preserve_fd(s, fd, token)));
}

/* Files no handler takes. */
static void stage1_foreign_files(int dev)
{
	int s, other, fd, p[2];
	uint64_t tok = 1;

	s = luo_create_session(dev, "foreign");
	other = luo_create_session(dev, "foreign-other");
	if (s < 0 || other < 0) {
		report("foreign.setup", "NOTRUN");
		goto out;
	}
	fd = pipe(p) ? -1 : p[0];
	foreign_case("foreign.pipe", s, fd, tok++);
	if (fd >= 0) {
		close(p[0]);
		close(p[1]);
	}
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	foreign_case("foreign.dev-null", s, fd, tok++);
	close_if(fd);
	fd = eventfd(0, EFD_CLOEXEC);
	foreign_case("foreign.eventfd", s, fd, tok++);
	close_if(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	foreign_case("foreign.unix-socket", s, fd, tok++);
	close_if(fd);
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	foreign_case("foreign.directory", s, fd, tok++);
	close_if(fd);
	/* a tmpfs file with a name: shmem, but not a memfd */
	fd = open("/tmp/conform-file", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	foreign_case("foreign.tmpfs-linked-file", s, fd, tok++);
	close_if(fd);
	unlink("/tmp/conform-file");
	fd = open("/tmp", O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
	foreign_case("foreign.tmpfs-o-tmpfile", s, fd, tok++);
	close_if(fd);
	foreign_case("foreign.liveupdate-device", s, dev, tok++);
	foreign_case("foreign.own-session-fd", s, s, tok++);
	foreign_case("foreign.other-session-fd", s, other, tok++);
	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	foreign_case("foreign.procfs-file", s, fd, tok++);
	close_if(fd);
	/* after all those failures the session still works */
	fd = make_memfd(9);
	foreign_case("foreign.memfd-after-failures", s, fd, tok++);
	close_if(fd);
out:
	close_if(other);
	close_if(s);
}

/* Close a session, then reuse its name and its files. */
static void stage1_close_reuse(int dev)
{
	int s, t, u, m;

	s = luo_create_session(dev, "reuse");
	m = make_memfd(11);
	if (s < 0 || m < 0) {
		report("reuse.setup", "NOTRUN");
		close_if(s);
		close_if(m);
		return;
	}
	report("reuse.preserve", "%s", rname(luo_preserve_fd(s, m, 1)));
	close(s);
	t = luo_create_session(dev, "reuse");
	report("reuse.create-same-name", "%s", rname(t));
	u = luo_create_session(dev, "reuse-other");
	report("reuse.preserve-file-into-new-session", "%s",
	       rname(t < 0 ? t : luo_preserve_fd(t, m, 1)));
	report("reuse.preserve-file-into-third-session", "%s",
	       rname(u < 0 ? u : luo_preserve_fd(u, m, 1)));
	close_if(t);
	report("reuse.preserve-after-second-close", "%s",
	       rname(u < 0 ? u : luo_preserve_fd(u, m, 1)));
	close_if(u);
	close(m);
}

/* The incoming-only ioctls on an outgoing session. */
static void stage1_outgoing_ops(int dev)
{
	int s, m, r, fin[NR_SIZE_VARIANTS];

	s = luo_create_session(dev, "out-ops");
	m = make_memfd(21);
	if (s < 0 || m < 0 || luo_preserve_fd(s, m, 1)) {
		report("outgoing.setup", "NOTRUN");
		goto out;
	}
	r = luo_retrieve_fd(s, 1);
	report("outgoing.retrieve-fd-preserved-token", "%s", rname(r));
	close_if(r);
	r = luo_retrieve_fd(s, 99);
	report("outgoing.retrieve-fd-unknown-token", "%s", rname(r));
	close_if(r);
	sizes_retrieve_fd("outgoing.retrieve-fd", s);
	for (int i = 0; i < NR_SIZE_VARIANTS; i++)
		fin[i] = s;
	sizes_finish("outgoing.finish", fin);
	report("outgoing.finish", "%s", rname(luo_finish(s)));
	report("outgoing.preserve-after-finish", "%s",
	       rname(luo_preserve_fd(s, m, 2)));
	report_get_name("outgoing.get-name", s);
out:
	close_if(m);
	close_if(s);
}

/* Leave the sessions of handovers[] (and the size-test ones) for stage 2. */
static void stage1_handover(int dev)
{
	struct liveupdate_ioctl_create_session arg;
	char name[96];
	int s, bad;

	for (int h = 0; h < NR_HANDOVERS; h++) {
		const struct handover *ho = &handovers[h];

		s = luo_create_session(dev, ho->name);
		bad = s < 0;
		for (int t = 1; t <= ho->nfiles && s >= 0; t++) {
			int m = make_memfd(file_seed(h, t));

			if (m < 0 || luo_preserve_fd(s, m, t))
				bad++;
			close_if(m);
		}
		if (!strcmp(ho->name, "in-rfd-sizes")) {
			for (int i = 0; i < NR_SIZE_VARIANTS && s >= 0; i++) {
				int m = make_memfd(600 + i);

				if (m < 0 || luo_preserve_fd(s, m, 600 + i))
					bad++;
				close_if(m);
			}
		}
		snprintf(name, sizeof(name), "handover.%.24s", ho->name);
		report(name, "%s", bad ? "NOTRUN setup failed" : "0");
		if (ho->close_before)
			close_if(s);
		/* the others stay open up to the kexec */
	}
	/* sz-ret-N and sz-fin-N: one session per size variant */
	bad = 0;
	for (int i = 0; i < NR_SIZE_VARIANTS; i++) {
		memset(&arg, 0, sizeof(arg));
		snprintf((char *)arg.name, NAME_LEN, "sz-ret-%d", i);
		if (luo_create_session(dev, (char *)arg.name) < 0)
			bad++;
		snprintf((char *)arg.name, NAME_LEN, "sz-fin-%d", i);
		s = luo_create_session(dev, (char *)arg.name);
		if (s < 0) {
			bad++;
		} else if (i == 3) {
			int m = make_memfd(31);

			/* one of them with a file, to finish a real one */
			if (m < 0 || luo_preserve_fd(s, m, 1))
				bad++;
			close_if(m);
		}
	}
	report("handover.size-sessions", "%s", bad ? "NOTRUN setup failed" : "0");
}

static int stage1(void)
{
	int dev;

	dev = luo_open_device();
	if (dev < 0) {
		report("dev.open", "NOTRUN %s", rname(dev));
		printf("1..%d\n", ncase);
		return 1;
	}
	stage1_device(&dev);
	if (dev < 0) {
		printf("1..%d\n", ncase);
		return 1;
	}
	stage1_names(dev);
	sizes_create(dev);
	sizes_retrieve(dev);
	stage1_session_fd(dev);
	stage1_preserve(dev);
	stage1_foreign_files(dev);
	stage1_close_reuse(dev);
	stage1_outgoing_ops(dev);
	stage1_handover(dev);
	printf("1..%d\n", ncase);
	tap_note("stage 1: %d cases, %d not run", ncase, nnotrun);
	if (nnotrun)
		return 1;
	luo_kexec();
}

/* ------------------------------------------------------------------ */
/* Stage 2 */

static int retrieve_h(int dev, const char *name)
{
	return luo_retrieve_session(dev, name);
}

/* Retrieve token @t of handover @h and report it with its contents. */
static int retrieve_file(const char *name, int s, int h, uint64_t t)
{
	int fd = luo_retrieve_fd(s, t);

	if (fd < 0)
		report(name, "%s", rname(fd));
	else
		report(name, "0 data %s", memfd_state(fd, file_seed(h, t)));
	return fd;
}

static void stage2_full(int dev)
{
	int h = handover_index("in-full"), s, s2, fd1, fd, m;

	s = retrieve_h(dev, "in-full");
	report("full.retrieve", "%s", rname(s));
	if (s < 0)
		return;
	s2 = retrieve_h(dev, "in-full");
	report("full.retrieve-again-while-open", "%s", rname(s2));
	close_if(s2);
	report_session_fd("full", s);
	report_get_name("full.get-name", s);
	fd1 = retrieve_file("full.retrieve-fd-1", s, h, 1);
	fd = luo_retrieve_fd(s, 1);
	report("full.retrieve-fd-1-again", "%s%s", rname(fd),
	       fd < 0 ? "" : fd1 >= 0 && same_inode(fd, fd1) ? " same-file" :
	       " other-file");
	close_if(fd);
	if (fd1 >= 0) {
		report_cloexec("full.file.cloexec", fd1);
		report_accmode("full.file.access-mode", fd1);
		report("full.file.seals", "%#x", fcntl(fd1, F_GET_SEALS));
	}
	fd = luo_retrieve_fd(s, 99);
	report("full.retrieve-fd-unknown-token", "%s", rname(fd));
	close_if(fd);
	m = make_memfd(41);
	report("full.preserve-into-incoming", "%s",
	       rname(m < 0 ? m : luo_preserve_fd(s, m, 50)));
	report("full.preserve-into-incoming-existing-token", "%s",
	       rname(m < 0 ? m : luo_preserve_fd(s, m, 2)));
	close_if(retrieve_file("full.retrieve-fd-2", s, h, 2));
	close_if(retrieve_file("full.retrieve-fd-3", s, h, 3));
	unknown_cmds("full.ioctl", s, session_unknown,
		     ARRAY_SIZE(session_unknown));
	session_bad_args("full", s);
	report("full.finish", "%s", rname(luo_finish(s)));
	report("full.finish-again", "%s", rname(luo_finish(s)));
	fd = luo_retrieve_fd(s, 1);
	report("full.retrieve-fd-after-finish", "%s", rname(fd));
	close_if(fd);
	report("full.preserve-after-finish", "%s",
	       rname(m < 0 ? m : luo_preserve_fd(s, m, 51)));
	report_get_name("full.get-name-after-finish", s);
	report("full.file-after-finish", "%s",
	       fd1 < 0 ? "NOTRUN" : memfd_state(fd1, file_seed(h, 1)));
	close_if(fd1);
	close_if(m);
	s2 = luo_create_session(dev, "in-full");
	report("full.create-same-name-while-finished-open", "%s", rname(s2));
	close_if(s2);
	close(s);
	s = retrieve_h(dev, "in-full");
	report("full.retrieve-after-close", "%s", rname(s));
	close_if(s);
	s2 = luo_create_session(dev, "in-full");
	report("full.create-same-name-after-close", "%s", rname(s2));
	close_if(s2);
}

static void stage2_partial(int dev)
{
	int h = handover_index("in-partial"), s, fd;

	s = retrieve_h(dev, "in-partial");
	report("partial.retrieve", "%s", rname(s));
	if (s < 0)
		return;
	close_if(retrieve_file("partial.retrieve-fd-1", s, h, 1));
	report("partial.finish-with-files-not-retrieved", "%s",
	       rname(luo_finish(s)));
	fd = luo_retrieve_fd(s, 2);
	report("partial.retrieve-fd-never-retrieved-after-finish", "%s",
	       rname(fd));
	close_if(fd);
	close(s);
}

static void stage2_none(int dev)
{
	int s, fd;

	s = retrieve_h(dev, "in-none");
	report("none.retrieve", "%s", rname(s));
	if (s < 0)
		return;
	report("none.finish-nothing-retrieved", "%s", rname(luo_finish(s)));
	fd = luo_retrieve_fd(s, 1);
	report("none.retrieve-fd-after-finish", "%s", rname(fd));
	close_if(fd);
	close(s);
}

static void stage2_unfinished(int dev)
{
	int h = handover_index("in-unfinished"), s, fd1, fd;

	s = retrieve_h(dev, "in-unfinished");
	report("unfinished.retrieve", "%s", rname(s));
	if (s < 0)
		return;
	fd1 = retrieve_file("unfinished.retrieve-fd-1", s, h, 1);
	close(s);
	s = retrieve_h(dev, "in-unfinished");
	report("unfinished.retrieve-after-close", "%s", rname(s));
	if (s >= 0) {
		fd = luo_retrieve_fd(s, 1);
		report("unfinished.again.retrieve-fd-1", "%s%s", rname(fd),
		       fd < 0 ? "" : fd1 >= 0 && same_inode(fd, fd1) ?
		       " same-file" : " other-file");
		close_if(fd);
		close_if(retrieve_file("unfinished.again.retrieve-fd-2", s,
				       h, 2));
		report("unfinished.again.finish", "%s", rname(luo_finish(s)));
		close(s);
	}
	report("unfinished.file-after-close", "%s",
	       fd1 < 0 ? "NOTRUN" : memfd_state(fd1, file_seed(h, 1)));
	close_if(fd1);

	s = retrieve_h(dev, "in-unfinished-none");
	report("unfinished-none.retrieve", "%s", rname(s));
	close_if(s);
	s = retrieve_h(dev, "in-unfinished-none");
	report("unfinished-none.retrieve-after-close", "%s", rname(s));
	if (s >= 0) {
		close_if(retrieve_file("unfinished-none.again.retrieve-fd-1",
				       s, handover_index("in-unfinished-none"),
				       1));
		report("unfinished-none.again.finish", "%s",
		       rname(luo_finish(s)));
		close(s);
	}
}

static void stage2_preserve_retrieved(int dev)
{
	int h = handover_index("in-preserve-retrieved"), s, out, fd;

	s = retrieve_h(dev, "in-preserve-retrieved");
	report("reserve.retrieve", "%s", rname(s));
	out = luo_create_session(dev, "out-reserve");
	report("reserve.create-outgoing", "%s", rname(out));
	if (s < 0 || out < 0)
		goto out;
	fd = retrieve_file("reserve.retrieve-fd-1", s, h, 1);
	report("reserve.preserve-retrieved-unfinished", "%s",
	       rname(fd < 0 ? fd : luo_preserve_fd(out, fd, 1)));
	/* a fresh outgoing session: what follows does not depend on the above */
	close(out);
	out = luo_create_session(dev, "out-reserve-2");
	report("reserve.finish", "%s", rname(luo_finish(s)));
	report("reserve.preserve-retrieved-finished", "%s",
	       rname(fd < 0 || out < 0 ? -EBADF : luo_preserve_fd(out, fd, 2)));
	report("reserve.preserve-retrieved-finished-again", "%s",
	       rname(fd < 0 || out < 0 ? -EBADF : luo_preserve_fd(out, fd, 3)));
	close_if(fd);
out:
	close_if(out);
	close_if(s);
}

static void stage2_names(int dev)
{
	int s, t;

	s = luo_create_session(dev, "in-untouched");
	report("names.create-name-of-untouched-incoming", "%s", rname(s));
	close_if(s);
	t = retrieve_h(dev, "in-name-clash");
	report("names.clash.retrieve", "%s", rname(t));
	s = luo_create_session(dev, "in-name-clash");
	report("names.create-name-of-retrieved-incoming", "%s", rname(s));
	close_if(s);
	if (t >= 0) {
		report("names.clash.finish", "%s", rname(luo_finish(t)));
		s = luo_create_session(dev, "in-name-clash");
		report("names.create-name-of-finished-incoming", "%s",
		       rname(s));
		close_if(s);
		close(t);
	}
	s = retrieve_h(dev, "in-closed");
	report("names.retrieve-closed-before-kexec", "%s", rname(s));
	close_if(s);
	s = retrieve_h(dev, "in-empty");
	report("names.empty.retrieve", "%s", rname(s));
	if (s >= 0) {
		report_get_name("names.empty.get-name", s);
		report("names.empty.finish", "%s", rname(luo_finish(s)));
		close(s);
	}
	s = retrieve_h(dev, handovers[H_LONG].name);
	report("names.long.retrieve", "%s", rname(s));
	if (s >= 0) {
		report_link("names.long.proc-link", s);
		report_get_name("names.long.get-name", s);
		close(s);
	}
	s = luo_create_session(dev, "stage2-outgoing");
	t = retrieve_h(dev, "stage2-outgoing");
	report("names.retrieve-outgoing-of-this-boot", "%s", rname(t));
	close_if(t);
	close_if(s);
	s = retrieve_h(dev, "no-such-session");
	report("names.retrieve-unknown", "%s", rname(s));
	close_if(s);
}

static void stage2_outgoing_vs_incoming(int dev)
{
	int h = handover_index("in-outgoing-ops"), s, out, fd;

	s = retrieve_h(dev, "in-outgoing-ops");
	out = luo_create_session(dev, "stage2-out");
	if (s < 0 || out < 0) {
		report("kinds.setup", "NOTRUN");
		goto out;
	}
	report_session_fd("kinds.outgoing", out);
	fd = luo_retrieve_fd(out, 1);
	report("kinds.outgoing.retrieve-fd", "%s", rname(fd));
	close_if(fd);
	report("kinds.outgoing.finish", "%s", rname(luo_finish(out)));
	sizes_preserve("kinds.incoming.preserve", s);
	fd = retrieve_file("kinds.incoming.retrieve-fd-1", s, h, 1);
	report("kinds.preserve-incoming-file-into-incoming", "%s",
	       rname(fd < 0 ? fd : luo_preserve_fd(s, fd, 7)));
	close_if(fd);
	report("kinds.incoming.finish", "%s", rname(luo_finish(s)));
out:
	close_if(out);
	close_if(s);
}

static void stage2_sizes(int dev)
{
	int s, fin[NR_SIZE_VARIANTS];
	char name[NAME_LEN];

	sizes_retrieve(dev);
	s = retrieve_h(dev, "in-rfd-sizes");
	if (s >= 0) {
		sizes_retrieve_fd("incoming.retrieve-fd", s);
		close(s);
	} else {
		report("incoming.retrieve-fd", "NOTRUN %s", rname(s));
	}
	for (int i = 0; i < NR_SIZE_VARIANTS; i++) {
		snprintf(name, sizeof(name), "sz-fin-%d", i);
		fin[i] = retrieve_h(dev, name);
	}
	sizes_finish("incoming.finish", fin);
	for (int i = 0; i < NR_SIZE_VARIANTS; i++)
		close_if(fin[i]);
	/* a session finished (by the exact size) and closed is gone */
	s = retrieve_h(dev, "sz-fin-3");
	report("incoming.finished-size-session.retrieve-after-close", "%s",
	       rname(s));
	close_if(s);
}

static void stage2_device(int *devp)
{
	int dev = *devp, d2, s, kept, h = handover_index("in-reopen");

	d2 = luo_open_device();
	report("dev.open-second", "%s", rname(d2));
	close_if(d2);
	kept = retrieve_h(dev, "in-across-reopen");
	report("dev.across.retrieve", "%s", rname(kept));
	close(dev);
	dev = luo_open_device();
	report("dev.reopen", "%s", rname(dev));
	*devp = dev;
	if (dev < 0)
		return;
	if (kept >= 0) {
		report_get_name("dev.across.get-name", kept);
		close_if(retrieve_file("dev.across.retrieve-fd-1", kept,
				       handover_index("in-across-reopen"), 1));
		report("dev.across.finish", "%s", rname(luo_finish(kept)));
		close(kept);
	}
	s = retrieve_h(dev, "in-reopen");
	report("dev.reopen.retrieve", "%s", rname(s));
	if (s >= 0) {
		close_if(retrieve_file("dev.reopen.retrieve-fd-1", s, h, 1));
		report("dev.reopen.finish", "%s", rname(luo_finish(s)));
		close(s);
	}
	unknown_cmds("dev.ioctl", dev, dev_unknown, ARRAY_SIZE(dev_unknown));
}

static int stage2(void)
{
	int dev;

	dev = luo_open_device();
	report("dev.open", "%s", rname(dev));
	if (dev < 0) {
		printf("1..%d\n", ncase);
		return 1;
	}
	stage2_device(&dev);
	if (dev < 0) {
		printf("1..%d\n", ncase);
		return 1;
	}
	stage2_full(dev);
	stage2_partial(dev);
	stage2_none(dev);
	stage2_unfinished(dev);
	stage2_preserve_retrieved(dev);
	stage2_names(dev);
	stage2_outgoing_vs_incoming(dev);
	stage2_sizes(dev);
	/* the untouched session stays unretrieved to the end */
	printf("1..%d\n", ncase);
	tap_note("stage 2: %d cases, %d not run", ncase, nnotrun);
	close(dev);
	return nnotrun ? 1 : 0;
}

int main(int argc, char **argv)
{
	stage = luo_parse_args(argc, argv, NULL);
	if (area_init()) {
		printf("Bail out! cannot map the argument area\n");
		return 1;
	}
	printf("TAP version 13\n");
	return stage == 1 ? stage1() : stage2();
}
