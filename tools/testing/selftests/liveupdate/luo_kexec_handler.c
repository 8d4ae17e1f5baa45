// SPDX-License-Identifier: GPL-2.0
/*
 * luo_kexec_handler - a handler that is missing after the live update, and
 * an FLB that was unregistered before it.
 *
 * Stage 1, every mode: load modules/luo_test_ftype.ko and
 * modules/luo_test_handler.ko (with a cookie that its FLB hands over),
 * preserve two files of the test file type and a memfd in session "mod",
 * and memfds in sessions "mem-0" (one holds the cookie) and "mem-1"; kexec.
 *
 * --mode late (three stages, as systemd keeps fd stores): stage 1 also
 * preserves a test file in a second session, "mod2". Stage 2 opens
 * /dev/liveupdate before loading any module. The memfd sessions come back
 * intact, new sessions work, and "mod" is retrieved with its handler
 * missing: its memfd comes back intact, and only its two test files are
 * refused, with ENOPKG, every time. FINISH of "mod2" gives its orphan up.
 * Once the modules are loaded, "mod" gives its test files with their
 * values and its FLB's cookie. Stage 3: the next live update went ahead
 * (neither session blocked it): the session created in stage 2 is back.
 *
 * --mode never: as late, but the modules are never loaded: finishing
 * "mod" gives up its two test files, one log line each (session, token,
 * handler), its memfd stays usable, and the session is gone once closed;
 * the log says when the first session was retrieved and when the last one
 * finished. The liveupdate tracepoints are checked in both stages: stage
 * 1 also fails one preserve and has one live update refused by a failing
 * freeze before the kexec goes ahead.
 *
 * --mode flb-unregistered: stage 1 detaches the FLB from the handler
 * (liveupdate_unregister_flb()) after the files were preserved, and checks
 * that it left the registry but was not unpreserved. Stage 2 loads the
 * modules and checks that the FLB was handed over all the same: the
 * handler's retrieve finds it (liveupdate_flb_get_incoming()) with the
 * cookie of stage 1.
 *
 * It also attaches another FLB object of the same name, which LUO must
 * refuse (EEXIST) while files depend on the first, and preserves one more
 * file: the handover must still carry the name once.
 *
 * --mode shared: sessions "sh-1" and "sh-2" hold one test file each, so
 * that both files depend on the one FLB. Stage 2 opens /dev/liveupdate
 * before loading the handler's module. A load whose init registers the
 * handler, waits, then fails: RETRIEVE_FD meanwhile gets ENOPKG (a module
 * in its init is not bound to), and nothing is left of it. Then the module
 * loads: sh-1's file is retrieved and sh-1 finished, which must not finish
 * the FLB (sh-2's file was handed over with it); sh-2's file then finds
 * the FLB, and the FINISH of sh-2 finishes it, once.
 *
 * Usage: luo_kexec_handler --stage 1|2|3
 *        --mode late|never|flb-unregistered|shared
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/reboot.h>

#include "luo_kmsg.h"
#include "luo_test_utils.h"

#define NR_MOD_FILES	2
#define COOKIE_TOKEN	99
#define MEM_TOKEN	1
#define MEM_SIZE	12345
/* The memfd of session "mod", beside the files whose handler is missing. */
#define MOD_MEM_TOKEN	50
#define MOD_MEM_SIZE	5000
#define MOD_MEM_SEED	77
#define FLB_UNREGISTER	"/sys/kernel/debug/luo_test/flb_unregister"

#define FLB_REGISTER_OTHER "/sys/kernel/debug/luo_test/flb_register_other"
/* The extra file of session "mod" in --mode flb-unregistered. */
#define EXTRA_TOKEN	3

enum mode { LATE, NEVER, FLB_UNREGISTERED, SHARED };

/* --mode shared: the values of the files of sh-1 and sh-2, the cookie. */
#define SHARED_VALUE(i)	(1000 + (i))
#define SHARED_COOKIE	4242

static uint64_t value_of(uint64_t cookie, int i)
{
	return cookie * 3 + i;
}

#define FAIL_FREEZE	"/sys/module/" LUO_HANDLER_MOD "/parameters/fail_freeze"

/* Whether the trace has a line with every one of @needles (NULL-ended). */
static bool trace_has(const char *text, const char *const *needles)
{
	const char *line = text;
	int i;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		for (i = 0; needles[i]; i++)
			if (!memmem(line, len, needles[i], strlen(needles[i])))
				break;
		if (!needles[i])
			return true;
		line = end ? end + 1 : NULL;
	}
	return false;
}

/* The value after @key in the first trace line that has @event. */
static long long trace_value(const char *text, const char *event,
			     const char *key)
{
	const char *p = text ? strstr(text, event) : NULL;
	const char *eol = p ? strchr(p, '\n') : NULL;
	long long v;

	p = p ? strstr(p, key) : NULL;
	if (!p || (eol && p > eol) || sscanf(p + strlen(key), "%lld", &v) != 1)
		return -1;
	return v;
}

#define PRESERVE	"liveupdate_file_preserve"
#define RETRIEVE	"liveupdate_file_retrieve"
#define FINISH		"liveupdate_file_finish"
#define TRACE_HAS(text, ...) trace_has(text, (const char *const []){ __VA_ARGS__, NULL })

/* Whether the trace has @event for file @token of @session. */
static bool trace_file(const char *text, const char *event, const char *session,
		       int token, const char *handler, int err)
{
	char line[160];

	snprintf(line, sizeof(line), "%s: session=%s token=%d handler=%s err=%d",
		 event, session, token, handler, err);
	return TRACE_HAS(text, line);
}

/*
 * The tracepoints before the kexec: the sessions and files of stage 1,
 * a preserve that fails, and a live update refused by a failing freeze,
 * with the durations of the freeze and of the whole serialize.
 */
static void stage1_trace(int dev)
{
	char *text;
	bool ok;
	int s, err;

	s = luo_create_session(dev, "bad-fd");
	err = s >= 0 ? luo_preserve_fd(s, -1, 9) : s;
	tap_ok(err == -EBADF && !luo_write_file(FAIL_FREEZE, "1") &&
	       reboot(LINUX_REBOOT_CMD_KEXEC) && errno == EIO,
	       "a failing freeze refuses the live update (%s)", strerror(errno));
	if (s >= 0)
		close(s);
	text = luo_read_text(LUO_TRACEFS "/trace");
	ok = text &&
	     TRACE_HAS(text, "liveupdate_session_create: session=mod err=0") &&
	     trace_file(text, PRESERVE, "mod", 1, LUO_TEST_HANDLER, 0) &&
	     trace_file(text, PRESERVE, "mod", MOD_MEM_TOKEN, "memfd-v2", 0) &&
	     trace_file(text, PRESERVE, "bad-fd", 9, "-", -EBADF) &&
	     TRACE_HAS(text, "liveupdate_session_close: session=bad-fd") &&
	     TRACE_HAS(text, "liveupdate_freeze: sessions=", "err=-5") &&
	     TRACE_HAS(text, "liveupdate_serialize: sessions=", "err=-5") &&
	     trace_value(text, "liveupdate_freeze:", " ns=") > 0 &&
	     trace_value(text, "liveupdate_serialize:", " ns=") >=
	     trace_value(text, "liveupdate_freeze:", " ns=");
	tap_ok(ok, "tracepoints: sessions, files, the refused freeze %lld ns, serialize %lld ns",
	       trace_value(text, "liveupdate_freeze:", " ns="),
	       trace_value(text, "liveupdate_serialize:", " ns="));
	free(text);
}

static int stage1(enum mode mode)
{
	int dev, s, s2, m[2], fd, i, n = 0;
	uint64_t cookie;
	char params[64];

	tap_plan(mode == FLB_UNREGISTERED ? 13 : mode == NEVER ? 11 : 9);
	cookie = ((uint64_t)time(NULL) << 16 ^ getpid()) & ((1ULL << 60) - 1);
	snprintf(params, sizeof(params), "cookie=%llu",
		 (unsigned long long)cookie);
	tap_ok(!luo_insmod(LUO_FTYPE_MOD, "") &&
	       !luo_insmod(LUO_HANDLER_MOD, params), "insmod %s and %s %s",
	       LUO_FTYPE_MOD, LUO_HANDLER_MOD, params);
	if (mode == NEVER)
		tap_ok(!luo_trace_on(), "enable the liveupdate tracepoints");
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s", LUO_DEVICE))
		return 1;
	s = luo_create_session(dev, "mod");
	for (i = 0; s >= 0 && i < NR_MOD_FILES; i++) {
		fd = luo_ftype_open(value_of(cookie, i));
		n += fd >= 0 && !luo_preserve_fd(s, fd, i + 1);
	}
	tap_ok(n == NR_MOD_FILES, "preserve %d test files in session mod",
	       NR_MOD_FILES);
	tap_ok(luo_test_stat("flb_preserve") == 1, "their FLB is preserved");
	if (mode == LATE) {
		s2 = luo_create_session(dev, "mod2");
		fd = luo_ftype_open(value_of(cookie, 9));
		tap_ok(s2 >= 0 && fd >= 0 && !luo_preserve_fd(s2, fd, 1),
		       "preserve a test file in session mod2");
	}
	fd = luo_make_memfd("mod", 0, MOD_MEM_SIZE, MOD_MEM_SEED, 0);
	tap_ok(s >= 0 && fd >= 0 && !luo_preserve_fd(s, fd, MOD_MEM_TOKEN),
	       "preserve a memfd in session mod too");
	for (i = 0; i < 2; i++) {
		char name[16];
		int mfd;

		snprintf(name, sizeof(name), "mem-%d", i);
		m[i] = luo_create_session(dev, name);
		mfd = luo_make_memfd(name, 0, MEM_SIZE + i, i, i);
		tap_ok(m[i] >= 0 && mfd >= 0 &&
		       !luo_preserve_fd(m[i], mfd, MEM_TOKEN),
		       "preserve a memfd in session %s", name);
	}
	fd = luo_make_memfd("cookie", 0, sizeof(cookie), 0, 0);
	tap_ok(fd >= 0 && pwrite(fd, &cookie, sizeof(cookie), 0) == sizeof(cookie) &&
	       !luo_preserve_fd(m[0], fd, COOKIE_TOKEN),
	       "preserve a memfd holding the cookie in mem-0");
	if (mode == FLB_UNREGISTERED) {
		tap_ok(!luo_write_file(FLB_UNREGISTER, "1"),
		       "unregister the FLB while its files are preserved");
		tap_ok(luo_registry_count(LUO_TEST_FLB) == 0 &&
		       luo_registry_count(LUO_TEST_HANDLER) == 1,
		       "the FLB left the registry (%d), the handler did not (%d)",
		       luo_registry_count(LUO_TEST_FLB),
		       luo_registry_count(LUO_TEST_HANDLER));
		tap_ok(luo_test_stat("flb_unpreserve") == 0,
		       "the FLB is still preserved");
		i = luo_write_file(FLB_REGISTER_OTHER, "1");
		tap_ok(i == -EEXIST,
		       "another FLB of its name is refused while files depend on it (%s)",
		       i ? strerror(-i) : "attached");
		fd = luo_ftype_open(value_of(cookie, EXTRA_TOKEN - 1));
		tap_ok(fd >= 0 && !luo_preserve_fd(s, fd, EXTRA_TOKEN),
		       "one more test file is preserved in mod");
	}
	if (mode == NEVER)
		stage1_trace(dev);
	if (tap_exit_code())
		return 1;
	tap_note("kexec with cookie %llu", (unsigned long long)cookie);
	luo_kexec();
}

/* Retrieve the memfd sessions; return the cookie, or 0. */
static uint64_t check_memfds(int dev)
{
	uint64_t cookie = 0;
	char why[128], name[16];
	int s, fd, i;
	bool ok;

	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "mem-%d", i);
		s = luo_retrieve_session(dev, name);
		fd = s >= 0 ? luo_retrieve_fd(s, MEM_TOKEN) : -EBADF;
		ok = fd >= 0 && luo_check_memfd(fd, MEM_SIZE + i, i, i, why);
		tap_ok(ok, "%s comes back intact%s%s", name, ok ? "" : ": ",
		       ok ? "" : fd < 0 ? strerror(-fd) : why);
		if (i == 0) {
			fd = s >= 0 ? luo_retrieve_fd(s, COOKIE_TOKEN) : -EBADF;
			ok = fd >= 0 && pread(fd, &cookie, sizeof(cookie), 0) ==
					sizeof(cookie);
			tap_ok(ok, "read the cookie %llu",
			       (unsigned long long)cookie);
		}
		tap_ok(s >= 0 && !luo_finish(s), "finish %s", name);
	}
	return cookie;
}

/*
 * The files of session "mod" with their handler and FLB in place; @s is
 * the session if it was retrieved already, else -1.
 */
static void check_mod(int dev, int s, uint64_t cookie, int nfiles)
{
	uint64_t v;
	int fd, i;
	bool ok;

	if (s < 0)
		s = luo_retrieve_session(dev, "mod");
	tap_ok(s >= 0, "retrieve mod (%s)", s < 0 ? strerror(-s) : "ok");
	for (i = 0; i < NR_MOD_FILES; i++) {
		v = 0;
		fd = s >= 0 ? luo_retrieve_fd(s, i + 1) : -EBADF;
		ok = fd >= 0 && !luo_ftype_value(fd, &v);
		tap_ok(ok && v == value_of(cookie, i),
		       "test file %d holds %llu (%llu)", i,
		       (unsigned long long)value_of(cookie, i),
		       (unsigned long long)v);
	}
	tap_ok(luo_test_stat("flb_retrieve") == 1 &&
	       luo_test_stat("flb_missing") == 0,
	       "the handler found its FLB: retrieved %lld, missing %lld",
	       luo_test_stat("flb_retrieve"), luo_test_stat("flb_missing"));
	tap_ok(luo_test_stat("in_ok") == 1 &&
	       (uint64_t)luo_test_stat("in_cookie") == cookie,
	       "the FLB's handle is intact: cookie %lld",
	       luo_test_stat("in_cookie"));
	tap_ok(s >= 0 && !luo_finish(s) && luo_test_stat("finish") == nfiles,
	       "finish mod: %d finishes (%lld)", nfiles,
	       luo_test_stat("finish"));
}

/*
 * The second session's test file has no handler either; FINISH gives it
 * up before the modules are loaded, and the session is gone once closed.
 */
static void give_up_mod2(int dev)
{
	int s = luo_retrieve_session(dev, "mod2");

	tap_ok(s >= 0 && !luo_finish(s) && !close(s) &&
	       luo_retrieve_session(dev, "mod2") == -ENOENT,
	       "FINISH gives up mod2's orphan, and mod2 is gone once closed");
	tap_ok(luo_kmsg_has("session 'mod2': file 1 given up: its handler"),
	       "the kernel log names mod2's file given up");
}

/* The value of @key in the debugfs phases, or -1. */
static long long phase(const char *text, const char *key)
{
	const char *p = text;
	char name[64];
	long long v;

	while (p && *p) {
		if (sscanf(p, "%63s %lld", name, &v) == 2 && !strcmp(name, key))
			return v;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/*
 * The whole sequence in one place: the previous kernel's phases (carried
 * over in their own KHO subtree), the blackout, and this kernel's phases,
 * each non-zero and in order.
 */
static void check_phases(void)
{
	char *text = luo_read_text(LUO_DEBUGFS "/phases");
	long long sessions, freeze, reboot, blackout, rebuild, first, last;
	bool ok;

	ok = !!text;
	sessions = ok ? phase(text, "previous-sessions") : -1;
	freeze = ok ? phase(text, "previous-freeze-ns") : -1;
	reboot = ok ? phase(text, "previous-reboot-ns") : -1;
	blackout = ok ? phase(text, "blackout-ns") : -1;
	rebuild = ok ? phase(text, "rebuild-at-ns") : -1;
	first = ok ? phase(text, "first-retrieve-at-ns") : -1;
	last = ok ? phase(text, "last-finish-at-ns") : -1;
	ok = sessions > 0 && freeze >= 0 && reboot > 0 && freeze <= reboot &&
	     blackout > 0 && rebuild > 0 && rebuild <= first && first <= last;
	tap_ok(ok, "debugfs phases: %lld sessions, freeze %lld <= reboot %lld ns, blackout %lld ns",
	       sessions, freeze, reboot, blackout);
	tap_note("rebuilt at %lld <= first retrieve at %lld <= last finish at %lld ns",
		 rebuild, first, last);
	tap_ok(luo_kmsg_has("the previous kernel serialized ") &&
	       luo_kmsg_has(" ns by the wall clock, from then to this first open"),
	       "the kernel log shows the previous kernel's phases and the blackout");
	free(text);
}

/*
 * The tracepoints after the kexec: the rebuild and its duration, the
 * retrieves (an orphan's with ENOPKG), the finish that gives the orphans
 * up, and the close.
 */
static void stage2_trace(void)
{
	char *text = luo_read_text(LUO_TRACEFS "/trace");
	long long ns = trace_value(text, "liveupdate_rebuild:", " ns=");
	bool ok;

	ok = text && ns > 0 && ns < 60000000000LL &&
	     TRACE_HAS(text, "liveupdate_rebuild: ns=", "err=0") &&
	     TRACE_HAS(text, "liveupdate_session_retrieve: session=mod err=0") &&
	     trace_file(text, RETRIEVE, "mod", MOD_MEM_TOKEN, "memfd-v2", 0) &&
	     trace_file(text, RETRIEVE, "mod", 1, LUO_TEST_HANDLER, -ENOPKG) &&
	     trace_file(text, FINISH, "mod", 1, LUO_TEST_HANDLER, -ENOPKG) &&
	     trace_file(text, FINISH, "mod", MOD_MEM_TOKEN, "memfd-v2", 0) &&
	     TRACE_HAS(text, "liveupdate_session_finish: session=mod err=0") &&
	     TRACE_HAS(text, "liveupdate_session_close: session=mod");
	tap_ok(ok, "tracepoints: rebuild %lld ns, retrieves, the finish giving up orphans, close",
	       ns);
	if (!ok && text)
		for (char *p = strtok(text, "\n"); p; p = strtok(NULL, "\n"))
			if (strstr(p, "liveupdate_"))
				printf("# trace: %s\n", p);
	free(text);
}

/*
 * The handler of "mod" never registers: finishing gives up its test
 * files, logged one by one, and keeps the rest; its close ends it.
 */
static void never_loaded(int dev, int s, int mfd)
{
	char why[128], line[160];
	bool ok;
	int i, r;

	tap_ok(s >= 0 && !luo_finish(s), "finish mod without its handler");
	ok = true;
	for (i = 0; i < NR_MOD_FILES; i++) {
		snprintf(line, sizeof(line),
			 "session 'mod': file %d given up: its handler '%s' never registered",
			 i + 1, LUO_TEST_HANDLER);
		ok &= luo_kmsg_has(line);
	}
	tap_ok(ok, "the kernel log names each test file given up");
	ok = mfd >= 0 && luo_check_memfd(mfd, MOD_MEM_SIZE, MOD_MEM_SEED, 0, why);
	tap_ok(ok, "the memfd of mod is still intact after the finish%s%s",
	       ok ? "" : ": ", ok ? "" : why);
	if (s >= 0)
		close(s);
	r = luo_retrieve_session(dev, "mod");
	tap_ok(r == -ENOENT, "mod is gone once closed (%s)",
	       r < 0 ? strerror(-r) : "retrieved");
	/* The phases of the live update in this kernel, in the log. */
	tap_ok(luo_kmsg_has("first session of the previous kernel retrieved, "),
	       "the kernel log says when the first session was retrieved");
	tap_ok(luo_kmsg_has("every session of the previous kernel is finished, "),
	       "the kernel log says when the last session finished");
	check_phases();
	stage2_trace();
}

/* Whether fdinfo of @fd says @val for @key. */
static bool fdinfo_is(int fd, const char *key, const char *val)
{
	char got[80];

	return !luo_fdinfo(fd, key, got, sizeof(got)) && !strcmp(got, val);
}

/*
 * Whether the debugfs list shows session mod in @state, its memfd in
 * @mem_state and each test file unbound (its handler is not registered),
 * among the file lines that follow mod's own line.
 */
static bool debugfs_has_mod(const char *state, const char *mem_state)
{
	char *text = luo_read_text(LUO_DEBUGFS_SESSIONS);
	char line[128], *block, *next;
	bool ok;
	int i;

	snprintf(line, sizeof(line), "session incoming %s %d mod\n", state,
		 NR_MOD_FILES + 1);
	block = text ? strstr(text, line) : NULL;
	if (block && block != text && block[-1] != '\n')
		block = NULL;
	ok = block;
	if (block) {
		/* mod's files: up to the next session line */
		block += strlen(line);
		next = strstr(block, "session ");
		if (next)
			*next = '\0';
	}
	snprintf(line, sizeof(line), "file %d %s memfd-v2", MOD_MEM_TOKEN,
		 mem_state);
	ok = ok && luo_count_lines(block, line) == 1;
	for (i = 1; i <= NR_MOD_FILES; i++) {
		snprintf(line, sizeof(line), "file %d unbound %s", i,
			 LUO_TEST_HANDLER);
		ok = ok && luo_count_lines(block, line) == 1;
	}
	free(text);
	if (ok)
		return true;
	/* Show what the list said (read again: @text was cut). */
	text = luo_read_text(LUO_DEBUGFS_SESSIONS);
	for (char *p = text ? strtok(text, "\n") : NULL; p;
	     p = strtok(NULL, "\n"))
		printf("# debugfs: %s\n", p);
	free(text);
	return false;
}

static int stage2(enum mode mode)
{
	char why[128];
	uint64_t cookie;
	int dev, s, a, fd, mfd, i;
	bool ok;

	tap_plan(mode == FLB_UNREGISTERED ? 13 : mode == LATE ? 27 : 28);
	if (mode == FLB_UNREGISTERED)
		tap_ok(!luo_insmod(LUO_FTYPE_MOD, "") &&
		       !luo_insmod(LUO_HANDLER_MOD, "cookie=1"),
		       "insmod %s and %s", LUO_FTYPE_MOD, LUO_HANDLER_MOD);
	else
		tap_ok(luo_module_refcnt(LUO_HANDLER_MOD) == -ENOENT,
		       "%s is not loaded", LUO_HANDLER_MOD);
	/* Before the first open, which rebuilds the sessions. */
	if (mode == NEVER)
		tap_ok(!luo_trace_on(), "enable the liveupdate tracepoints");
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s (%s)", LUO_DEVICE,
		    dev < 0 ? strerror(-dev) : "ok"))
		return 1;
	cookie = check_memfds(dev);
	if (mode == FLB_UNREGISTERED) {
		check_mod(dev, -1, cookie, NR_MOD_FILES + 1);
		return tap_exit_code();
	}

	tap_ok(debugfs_has_mod("waiting", "bound"),
	       "debugfs lists mod, not retrieved, and its orphan files");

	/* A missing handler costs its own files, not the session. */
	s = luo_retrieve_session(dev, "mod");
	tap_ok(s >= 0, "retrieve mod while its handler is missing (%s)",
	       s < 0 ? strerror(-s) : "ok");
	mfd = s >= 0 ? luo_retrieve_fd(s, MOD_MEM_TOKEN) : -EBADF;
	ok = mfd >= 0 && luo_check_memfd(mfd, MOD_MEM_SIZE, MOD_MEM_SEED, 0, why);
	tap_ok(ok, "the memfd of mod comes back intact%s%s", ok ? "" : ": ",
	       ok ? "" : mfd < 0 ? strerror(-mfd) : why);
	tap_ok(debugfs_has_mod("retrieved", "retrieved"),
	       "debugfs lists mod retrieved, its memfd retrieved");
	tap_ok(s >= 0 && fdinfo_is(s, "direction", "incoming") &&
	       fdinfo_is(s, "state", "retrieved") &&
	       fdinfo_is(s, "files", "3"),
	       "fdinfo of mod: incoming, retrieved, 3 files");
	for (i = 0; i < NR_MOD_FILES + 1; i++) {
		/* token 1, 2, then 1 again: ENOPKG is not remembered */
		int t = i % NR_MOD_FILES + 1;

		fd = s >= 0 ? luo_retrieve_fd(s, t) : -EBADF;
		tap_ok(fd == -ENOPKG, "test file %d of mod fails with ENOPKG (%s)",
		       t, fd < 0 ? strerror(-fd) : "retrieved");
	}
	a = luo_create_session(dev, "after");
	fd = luo_make_memfd("after", 0, 4096, 7, 0);
	tap_ok(a >= 0 && fd >= 0 && !luo_preserve_fd(a, fd, 1),
	       "a new session works");
	tap_ok(luo_kmsg_has("handler 'luo-test-handler-v1' is not registered yet"),
	       "the kernel log names the missing handler");
	tap_ok(luo_kmsg_has("session 'mod': 2 files wait for their handler"),
	       "the kernel log names the waiting session");
	if (mode == NEVER) {
		never_loaded(dev, s, mfd);
		return tap_exit_code();
	}

	give_up_mod2(dev);
	tap_ok(!luo_insmod(LUO_FTYPE_MOD, "") &&
	       !luo_insmod(LUO_HANDLER_MOD, "cookie=1"),
	       "insmod %s and %s, late", LUO_FTYPE_MOD, LUO_HANDLER_MOD);
	check_mod(dev, s, cookie, NR_MOD_FILES);
	/* Neither session blocks the next live update: stage 3. */
	if (tap_exit_code())
		return 1;
	luo_kexec();
}

/* --mode shared, stage 1: one test file in each of sh-1 and sh-2. */
static int stage1_shared(void)
{
	char name[8], params[32];
	int dev, s, fd, i;

	tap_plan(4);
	snprintf(params, sizeof(params), "cookie=%d", SHARED_COOKIE);
	tap_ok(!luo_insmod(LUO_FTYPE_MOD, "") &&
	       !luo_insmod(LUO_HANDLER_MOD, params), "insmod %s and %s %s",
	       LUO_FTYPE_MOD, LUO_HANDLER_MOD, params);
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s", LUO_DEVICE))
		return 1;
	for (i = 1; i <= 2; i++) {
		snprintf(name, sizeof(name), "sh-%d", i);
		s = luo_create_session(dev, name);
		fd = luo_ftype_open(SHARED_VALUE(i));
		tap_ok(s >= 0 && fd >= 0 && !luo_preserve_fd(s, fd, 1),
		       "preserve a test file in session %s", name);
	}
	if (tap_exit_code())
		return 1;
	luo_kexec();
}

/*
 * Load the handler's module with an init that registers, waits and fails;
 * meanwhile the file of @s must not bind to it. Returns whether it did not.
 */
static bool failing_init(int s)
{
	int i, fd = -EBADF, status = 0, seen = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(luo_insmod(LUO_HANDLER_MOD, "init_fail=3000") ? 0 : 1);
	if (pid < 0)
		return false;
	/* Wait until the init has registered the handler. */
	for (i = 0; i < 250 && !seen; i++) {
		seen = luo_registry_count(LUO_TEST_HANDLER) == 1;
		if (!seen)
			usleep(10000);
	}
	if (seen)
		fd = luo_retrieve_fd(s, 1);
	waitpid(pid, &status, 0);
	tap_ok(seen && fd == -ENOPKG,
	       "RETRIEVE_FD while the handler's module is in its init: ENOPKG (%s)",
	       !seen ? "the handler never registered" :
	       fd < 0 ? strerror(-fd) : "bound to it");
	tap_ok(WIFEXITED(status) && !WEXITSTATUS(status) &&
	       luo_registry_count(LUO_TEST_HANDLER) == 0 &&
	       luo_module_refcnt(LUO_HANDLER_MOD) == -ENOENT,
	       "its init failed and left nothing behind");
	if (fd >= 0)
		close(fd);
	return fd == -ENOPKG;
}

/* Retrieve the file of @s and check its value @i; returns the fd. */
static int shared_file(int s, int i)
{
	uint64_t v = 0;
	int fd = s >= 0 ? luo_retrieve_fd(s, 1) : -EBADF;
	bool ok = fd >= 0 && !luo_ftype_value(fd, &v);

	tap_ok(ok && v == (uint64_t)SHARED_VALUE(i),
	       "the test file of sh-%d holds %d (%s, %llu)", i, SHARED_VALUE(i),
	       fd < 0 ? strerror(-fd) : "ok", (unsigned long long)v);
	return fd;
}

/* --mode shared, stage 2: see the top of the file. */
static int stage2_shared(void)
{
	int dev, s1, s2, f1, f2;
	bool ok;

	tap_plan(13);
	tap_ok(luo_module_refcnt(LUO_HANDLER_MOD) == -ENOENT &&
	       !luo_insmod(LUO_FTYPE_MOD, ""),
	       "%s is not loaded; insmod %s", LUO_HANDLER_MOD, LUO_FTYPE_MOD);
	dev = luo_open_device();
	s1 = dev >= 0 ? luo_retrieve_session(dev, "sh-1") : -EBADF;
	s2 = dev >= 0 ? luo_retrieve_session(dev, "sh-2") : -EBADF;
	if (!tap_ok(s1 >= 0 && s2 >= 0, "open %s, retrieve sh-1 and sh-2",
		    LUO_DEVICE))
		return 1;
	if (!failing_init(s1))
		return 1;
	tap_ok(!luo_insmod(LUO_HANDLER_MOD, "cookie=1"), "insmod %s",
	       LUO_HANDLER_MOD);
	f1 = shared_file(s1, 1);
	tap_ok(luo_test_stat("flb_retrieve") == 1 &&
	       luo_test_stat("in_cookie") == SHARED_COOKIE,
	       "the FLB is retrieved with the cookie %d (%lld)", SHARED_COOKIE,
	       luo_test_stat("in_cookie"));
	ok = !luo_finish(s1);
	tap_ok(ok && luo_test_stat("finish") == 1,
	       "FINISH sh-1 finishes its file");
	tap_ok(luo_test_stat("flb_finish") == 0,
	       "the FLB is not finished: sh-2's file was handed over with it (finished %lld)",
	       luo_test_stat("flb_finish"));
	f2 = shared_file(s2, 2);
	tap_ok(luo_test_stat("flb_missing") == 0 &&
	       luo_test_stat("flb_retrieve") == 1,
	       "sh-2's file finds the FLB (missing %lld, retrieved %lld)",
	       luo_test_stat("flb_missing"), luo_test_stat("flb_retrieve"));
	ok = !luo_finish(s2);
	tap_ok(ok && luo_test_stat("finish") == 2 &&
	       luo_test_stat("flb_finish") == 1,
	       "FINISH sh-2 finishes the FLB, once (%lld)",
	       luo_test_stat("flb_finish"));
	close(f1);
	close(f2);
	close(s1);
	close(s2);
	tap_ok(!luo_rmmod(LUO_HANDLER_MOD),
	       "nothing pins %s once both sessions are finished",
	       LUO_HANDLER_MOD);
	return tap_exit_code();
}

/* Stage 3 (late): the live update after the orphans went ahead. */
static int stage3(void)
{
	char why[128];
	int dev, s, fd;
	bool ok;

	tap_plan(2);
	dev = luo_open_device();
	s = dev >= 0 ? luo_retrieve_session(dev, "after") : dev;
	fd = s >= 0 ? luo_retrieve_fd(s, 1) : s;
	ok = fd >= 0 && luo_check_memfd(fd, 4096, 7, 0, why);
	tap_ok(ok, "the next live update went ahead: session after is back%s%s",
	       ok ? "" : ": ", ok ? "" : fd < 0 ? strerror(-fd) : why);
	tap_ok(s >= 0 && !luo_finish(s), "finish after");
	return tap_exit_code();
}

int main(int argc, char **argv)
{
	int stage = 0, mode = -1;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--stage"))
			stage = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--mode"))
			mode = !strcmp(argv[i + 1], "late") ? LATE :
			       !strcmp(argv[i + 1], "never") ? NEVER :
			       !strcmp(argv[i + 1], "flb-unregistered") ?
			       FLB_UNREGISTERED :
			       !strcmp(argv[i + 1], "shared") ? SHARED : -1;
	}
	if (mode < 0 || stage < 1 || stage > 3 || (stage == 3 && mode != LATE)) {
		fprintf(stderr, "usage: %s --stage 1|2|3 --mode %s\n", argv[0],
			"late|never|flb-unregistered|shared");
		return 2;
	}
	if (mode == SHARED)
		return stage == 1 ? stage1_shared() : stage2_shared();
	if (stage == 3)
		return stage3();
	return stage == 1 ? stage1(mode) : stage2(mode);
}
