// SPDX-License-Identifier: GPL-2.0
/*
 * luo_kexec_deps - files that depend on each other in a session.
 *
 * The handlers of luo_test_deps.ko preserve "parent" files and "child"
 * files that depend on a parent (modules/luo_test_deps.c): a child looks
 * its parent's token up in its session at freeze and gets the parent back
 * at retrieve. The module logs every callback as "OP:KVALUE" words, and
 * this test asserts their order.
 *
 * Stage 1:
 * - session "deps": parents p11 (token 1) and p33 (3), children c22 (2) of
 *   p11 and c44 (4) of p55, which is not preserved yet;
 * - session "other": parent p81 (token 1) and its child c82 (token 2): the
 *   same tokens as in "deps";
 * - session "tmp": p61 and its child c62, closed: unpreserve runs child
 *   first;
 * - kexec is refused: c44's parent is not in the session (ENOENT, a log
 *   line), and the files frozen before it unfreeze in reverse;
 * - p55 is preserved, then a session "cross" whose child c91 depends on
 *   p11 of "deps": refused again (lookups never cross sessions), with
 *   every frozen file of every session unfrozen in reverse; "cross" is
 *   closed;
 * - session "chain": a parent and 199 children, each depending on the one
 *   before (tokens 100 to 299); the live update goes ahead.
 *
 * Stage 2:
 * - retrieving only c22 retrieves p11 on demand, once; userspace then gets
 *   p11 without a second retrieve; c22 sees its parent's value;
 * - c82 of "other" gets p81 (token 1 of its own session, not p11);
 * - FINISH asks every can_finish, then finishes in reverse preservation
 *   order, p33 (never retrieved) included;
 * - retrieving the last child of "chain" would nest 199 retrieves: it
 *   fails with ELOOP (remembered), the kernel stays up, and the session
 *   stays usable: a child near the parent comes back, and FINISH works;
 * - nothing pins the modules after.
 *
 * Usage: luo_kexec_deps --stage 1|2
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <unistd.h>
#include <linux/reboot.h>

#include "luo_kmsg.h"
#include "luo_test_utils.h"

#define DEPS_MOD	"luo_test_deps"
#define DEPS_LOG	"/sys/kernel/debug/luo_test_deps/log"

/* Session "chain": file i (token CHAIN_TOKEN + i) depends on file i - 1. */
#define CHAIN_LEN	200
#define CHAIN_TOKEN	100
#define CHAIN_VALUE	0x500

/* As in modules/luo_test_ftype.h. */
#define LUO_TEST_FTYPE_LINK		_IO('L', 0x70)
#define LUO_TEST_FTYPE_LINK_VALUE	_IOR('L', 0x71, uint64_t)

/* The module's log since the last call, which empties it; "" on error. */
static const char *take_log(void)
{
	static char buf[4096];
	char *text = luo_read_text(DEPS_LOG);
	size_t len;

	buf[0] = '\0';
	if (text) {
		snprintf(buf, sizeof(buf), "%s", text);
		free(text);
	}
	len = strlen(buf);
	while (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	luo_write_file(DEPS_LOG, "0");
	return buf;
}

static void expect_log(const char *want, const char *what)
{
	const char *got = take_log();

	tap_ok(!strcmp(got, want), "%s: \"%s\"%s%s%s", what, want,
	       strcmp(got, want) ? " (got \"" : "",
	       strcmp(got, want) ? got : "", strcmp(got, want) ? "\")" : "");
}

/* Stage 1's second refused live update: every file frozen, then undone. */
#define ALL_FROZEN	"F:p11 F:p33 F:c22 F:c44 F:p55 F:p81 F:c82 F:c91"
#define ALL_UNFROZEN	"Z:c82 Z:p81 Z:p55 Z:c44 Z:c22 Z:p33 Z:p11"

/* A parent file holding @value. */
static int parent(uint64_t value)
{
	return luo_ftype_open(value);
}

/* A child file holding @value that depends on the file @of. */
static int child(uint64_t value, int of)
{
	int fd = luo_ftype_open(value);

	if (fd >= 0 && ioctl(fd, LUO_TEST_FTYPE_LINK, of)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* A live update that must be refused with @want. */
static void kexec_refused(int want, const char *why)
{
	int err;

	fflush(stdout);
	sync();
	err = reboot(LINUX_REBOOT_CMD_KEXEC) ? errno : 0;
	tap_ok(err == want, "kexec is refused with %s: %s (%s)", strerror(want),
	       why, err ? strerror(err) : "it went ahead");
}

/* Session "chain": CHAIN_LEN files, each depending on the one before. */
static bool preserve_chain(int dev)
{
	int s = luo_create_session(dev, "chain");
	int fd = -1, i;

	for (i = 0; s >= 0 && i < CHAIN_LEN; i++) {
		fd = i ? child(CHAIN_VALUE + i, fd) : parent(CHAIN_VALUE);
		if (fd < 0 || luo_preserve_fd(s, fd, CHAIN_TOKEN + i))
			return false;
	}
	take_log();
	return s >= 0;
}

static int stage1(void)
{
	int dev, deps, other, tmp, cross, p11, p33, p55, c22, c44, p81, c82;
	int p61, c62, c91;
	bool ok;

	tap_plan(14);
	ok = !luo_insmod(LUO_FTYPE_MOD, "") && !luo_insmod(DEPS_MOD, "");
	if (!tap_ok(ok, "insmod %s %s", LUO_FTYPE_MOD, DEPS_MOD))
		return 1;
	dev = luo_open_device();
	deps = luo_create_session(dev, "deps");
	other = luo_create_session(dev, "other");
	tmp = luo_create_session(dev, "tmp");
	if (!tap_ok(dev >= 0 && deps >= 0 && other >= 0 && tmp >= 0,
		    "open %s, create sessions deps, other and tmp", LUO_DEVICE))
		return 1;
	take_log();

	p11 = parent(0x11);
	p33 = parent(0x33);
	p55 = parent(0x55);
	c22 = child(0x22, p11);
	c44 = child(0x44, p55);
	ok = p11 >= 0 && p33 >= 0 && p55 >= 0 && c22 >= 0 && c44 >= 0 &&
	     !luo_preserve_fd(deps, p11, 1) && !luo_preserve_fd(deps, p33, 3) &&
	     !luo_preserve_fd(deps, c22, 2) && !luo_preserve_fd(deps, c44, 4);
	tap_ok(ok, "deps: preserve p11, p33, c22 (of p11), c44 (of p55, not preserved)");
	p81 = parent(0x81);
	c82 = child(0x82, p81);
	ok = p81 >= 0 && c82 >= 0 && !luo_preserve_fd(other, p81, 1) &&
	     !luo_preserve_fd(other, c82, 2);
	tap_ok(ok, "other: preserve p81 (token 1) and c82 (token 2), tokens deps uses too");
	p61 = parent(0x61);
	c62 = child(0x62, p61);
	ok = p61 >= 0 && c62 >= 0 && !luo_preserve_fd(tmp, p61, 1) &&
	     !luo_preserve_fd(tmp, c62, 2);
	tap_ok(ok, "tmp: preserve p61 and c62");
	take_log();
	close(tmp);
	expect_log("U:c62 U:p61", "closing tmp unpreserves in reverse order");

	kexec_refused(ENOENT, "c44's parent is not in deps");
	tap_ok(luo_kmsg_has("child 44: its parent is not preserved in session 'deps'") &&
	       luo_kmsg_has("session 'deps': a file cannot freeze"),
	       "the log names the child, its session and the freeze that failed");
	expect_log("F:p11 F:p33 F:c22 F:c44 Z:c22 Z:p33 Z:p11",
		   "freeze in preservation order, the frozen ones unfrozen in reverse");

	cross = luo_create_session(dev, "cross");
	c91 = child(0x91, p11);
	ok = !luo_preserve_fd(deps, p55, 5) && cross >= 0 && c91 >= 0 &&
	     !luo_preserve_fd(cross, c91, 9);
	tap_ok(ok, "deps: preserve p55; cross: preserve c91, a child of p11 of deps");
	take_log();
	kexec_refused(ENOENT, "c91's parent is in another session");
	expect_log(ALL_FROZEN " " ALL_UNFROZEN,
		   "every session frozen, then unfrozen in reverse");
	close(cross);
	expect_log("U:c91", "closing cross unpreserves c91");
	tap_ok(preserve_chain(dev), "chain: a parent and %d children, each of the one before",
	       CHAIN_LEN - 1);
	if (tap_exit_code())
		return 1;
	luo_kexec();
}

/* The value of the parent of the child file @fd, or -errno. */
static int64_t parent_value(int fd)
{
	uint64_t v;

	if (ioctl(fd, LUO_TEST_FTYPE_LINK_VALUE, &v))
		return -errno;
	return (int64_t)v;
}

/* A chain deeper than LUO nests retrieves: ELOOP, never a crash. */
static void check_chain(int dev)
{
	int s = luo_retrieve_session(dev, "chain");
	int last, again, near, fd;
	int64_t pv;

	last = s >= 0 ? luo_retrieve_fd(s, CHAIN_TOKEN + CHAIN_LEN - 1) : s;
	again = s >= 0 ? luo_retrieve_fd(s, CHAIN_TOKEN + CHAIN_LEN - 1) : s;
	tap_ok(last == -ELOOP && again == -ELOOP,
	       "chain: retrieving the last of %d fails with ELOOP, remembered (%s, %s)",
	       CHAIN_LEN, last < 0 ? strerror(-last) : "retrieved",
	       again < 0 ? strerror(-again) : "retrieved");
	take_log();
	near = s >= 0 ? luo_retrieve_fd(s, CHAIN_TOKEN + 3) : s;
	pv = near >= 0 ? parent_value(near) : near;
	tap_ok(pv == CHAIN_VALUE + 2,
	       "chain: the fourth file comes back, with its parent (%#llx)",
	       (long long)pv);
	fd = s >= 0 ? luo_retrieve_fd(s, CHAIN_TOKEN) : s;
	tap_ok(fd >= 0, "chain: userspace gets the first file (%s)",
	       fd < 0 ? strerror(-fd) : "ok");
	tap_ok(s >= 0 && !luo_finish(s), "chain: FINISH works");
	take_log();
	if (near >= 0)
		close(near);
	if (fd >= 0)
		close(fd);
	if (s >= 0)
		close(s);
}

static int stage2(void)
{
	int dev, deps, other, c22, p11, c82;
	uint64_t v = 0;
	int64_t pv;

	tap_plan(14);
	tap_ok(!luo_insmod(LUO_FTYPE_MOD, "") && !luo_insmod(DEPS_MOD, ""),
	       "insmod %s %s", LUO_FTYPE_MOD, DEPS_MOD);
	dev = luo_open_device();
	deps = dev >= 0 ? luo_retrieve_session(dev, "deps") : -EBADF;
	other = dev >= 0 ? luo_retrieve_session(dev, "other") : -EBADF;
	if (!tap_ok(deps >= 0 && other >= 0, "retrieve sessions deps and other"))
		return 1;
	take_log();

	c22 = luo_retrieve_fd(deps, 2);
	pv = c22 >= 0 ? parent_value(c22) : c22;
	tap_ok(c22 >= 0 && !luo_ftype_value(c22, &v) && v == 0x22 && pv == 0x11,
	       "c22 comes back (%#llx) and sees its parent's value (%#llx)",
	       (unsigned long long)v, (long long)pv);
	expect_log("R:c22 R:p11", "retrieving c22 retrieved p11 on demand");
	p11 = luo_retrieve_fd(deps, 1);
	v = 0;
	if (p11 >= 0)
		luo_ftype_value(p11, &v);
	tap_ok(v == 0x11, "userspace gets p11 (%#llx)", (unsigned long long)v);
	expect_log("", "p11 was not retrieved a second time");

	c82 = luo_retrieve_fd(other, 2);
	pv = c82 >= 0 ? parent_value(c82) : c82;
	tap_ok(pv == 0x81,
	       "c82 of other gets p81, token 1 of its own session, not p11 (%#llx)",
	       (long long)pv);
	take_log();

	tap_ok(!luo_finish(deps), "FINISH deps");
	expect_log("C:p11 C:p33 C:c22 C:c44 C:p55 X:p55 X:c44 X:c22 X:p33 X:p11",
		   "every can_finish first, then finish in reverse (p33 never retrieved)");
	check_chain(dev);
	close(c22);
	close(p11);
	close(c82);
	close(deps);
	close(other);
	tap_ok(!luo_rmmod(DEPS_MOD) && !luo_rmmod(LUO_FTYPE_MOD),
	       "nothing pins the modules once the sessions are finished");
	return tap_exit_code();
}

int main(int argc, char **argv)
{
	if (luo_parse_args(argc, argv, NULL) == 1)
		return stage1();
	return stage2();
}
