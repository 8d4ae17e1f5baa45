// SPDX-License-Identifier: GPL-2.0
/*
 * luo_kexec_module - a loadable handler and its FLB across a live update.
 *
 * Stage 1: load modules/luo_test_ftype.ko and modules/luo_test_handler.ko
 * (with a cookie that the FLB hands over), preserve three files of the test
 * file type in two sessions and a memfd that carries the cookie, check that
 * the FLB was preserved once and that LUO holds one module reference per
 * file and one for the FLB; kexec.
 *
 * Stage 2: load both modules again before /dev/liveupdate is opened (LUO
 * rebuilds the sessions at that first open), check that the rebuilt files
 * pin the handler's module, retrieve every file and its value, check that
 * the FLB was retrieved once with its handle intact, take a reference on
 * the incoming FLB (liveupdate_flb_get_incoming() from a write), finish
 * both sessions: the FLB must not finish while that reference is held, and
 * the module must stay pinned between the FLB's retrieve and its finish;
 * put the reference from a workqueue: the FLB finishes once, then unload
 * the modules.
 *
 * Usage: luo_kexec_module --stage 1|2
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "luo_test_utils.h"

#define NR_FILES	3
#define COOKIE_TOKEN	99

/* Files 0 and 1 go to session "mod-a", file 2 to "mod-b". */
static const char *session_of(int i)
{
	return i < 2 ? "mod-a" : "mod-b";
}

static uint64_t value_of(uint64_t cookie, int i)
{
	return cookie * 3 + i;
}

static int stage1(void)
{
	int dev, sa, sb, fd, m, i;
	uint64_t cookie;
	char params[64];

	tap_plan(9 + NR_FILES);
	cookie = ((uint64_t)time(NULL) << 16 ^ getpid()) & ((1ULL << 60) - 1);
	tap_ok(!luo_insmod(LUO_FTYPE_MOD, ""), "insmod %s", LUO_FTYPE_MOD);
	snprintf(params, sizeof(params), "cookie=%llu",
		 (unsigned long long)cookie);
	tap_ok(!luo_insmod(LUO_HANDLER_MOD, params), "insmod %s %s",
	       LUO_HANDLER_MOD, params);
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s", LUO_DEVICE))
		return 1;
	sa = luo_create_session(dev, "mod-a");
	sb = luo_create_session(dev, "mod-b");
	if (!tap_ok(sa >= 0 && sb >= 0, "create sessions mod-a and mod-b"))
		return 1;
	for (i = 0; i < NR_FILES; i++) {
		fd = luo_ftype_open(value_of(cookie, i));
		tap_ok(fd >= 0 && !luo_preserve_fd(i < 2 ? sa : sb, fd, i + 1),
		       "preserve test file %d in %s", i, session_of(i));
	}
	m = luo_make_memfd("cookie", 0, sizeof(cookie), 0, 0);
	tap_ok(m >= 0 && pwrite(m, &cookie, sizeof(cookie), 0) == sizeof(cookie) &&
	       !luo_preserve_fd(sa, m, COOKIE_TOKEN),
	       "preserve a memfd holding the cookie");
	tap_ok(luo_test_stat("preserve") == NR_FILES,
	       "handler preserve ran %d times (%lld)", NR_FILES,
	       luo_test_stat("preserve"));
	tap_ok(luo_test_stat("flb_preserve") == 1,
	       "FLB preserve ran once (%lld)", luo_test_stat("flb_preserve"));
	tap_ok(luo_module_refcnt(LUO_HANDLER_MOD) == NR_FILES + 1,
	       "LUO holds %d references on %s (%ld)", NR_FILES + 1,
	       LUO_HANDLER_MOD, luo_module_refcnt(LUO_HANDLER_MOD));
	tap_ok(luo_rmmod(LUO_HANDLER_MOD) == -EAGAIN,
	       "rmmod %s is refused while its files are preserved",
	       LUO_HANDLER_MOD);
	if (tap_exit_code())
		return 1;
	tap_note("kexec with cookie %llu", (unsigned long long)cookie);
	luo_kexec();
}

static int retrieve_session(int dev, const char *name, int *s)
{
	*s = luo_retrieve_session(dev, name);
	return tap_ok(*s >= 0, "retrieve session %s (%s)", name,
		      *s < 0 ? strerror(-*s) : "ok");
}

static int stage2(void)
{
	int dev, sa, sb, m, fd[NR_FILES], i;
	uint64_t cookie = 0, v;
	bool ok;

	tap_plan(23 + 2 * NR_FILES);
	/* Before the first open of /dev/liveupdate: nothing is rebuilt yet. */
	tap_ok(!luo_insmod(LUO_FTYPE_MOD, ""), "insmod %s", LUO_FTYPE_MOD);
	tap_ok(!luo_insmod(LUO_HANDLER_MOD, "cookie=1"), "insmod %s",
	       LUO_HANDLER_MOD);
	tap_ok(luo_module_refcnt(LUO_HANDLER_MOD) == 0,
	       "no reference on %s before /dev/liveupdate is opened (%ld)",
	       LUO_HANDLER_MOD, luo_module_refcnt(LUO_HANDLER_MOD));
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s", LUO_DEVICE))
		return 1;
	tap_ok(luo_module_refcnt(LUO_HANDLER_MOD) == NR_FILES + 1,
	       "the rebuilt files and FLB hold %d references (%ld)",
	       NR_FILES + 1, luo_module_refcnt(LUO_HANDLER_MOD));
	tap_ok(luo_test_stat("flb_retrieve") == 0,
	       "the FLB is not retrieved before it is needed");
	if (!retrieve_session(dev, "mod-a", &sa) ||
	    !retrieve_session(dev, "mod-b", &sb))
		return 1;

	m = luo_retrieve_fd(sa, COOKIE_TOKEN);
	ok = m >= 0 && pread(m, &cookie, sizeof(cookie), 0) == sizeof(cookie);
	tap_ok(ok, "read the cookie %llu from the memfd",
	       (unsigned long long)cookie);
	for (i = 0; i < NR_FILES; i++) {
		fd[i] = luo_retrieve_fd(i < 2 ? sa : sb, i + 1);
		tap_ok(fd[i] >= 0, "retrieve test file %d from %s", i,
		       session_of(i));
		v = 0;
		ok = fd[i] >= 0 && !luo_ftype_value(fd[i], &v);
		tap_ok(ok && v == value_of(cookie, i),
		       "test file %d holds %llu (%llu)", i,
		       (unsigned long long)value_of(cookie, i),
		       (unsigned long long)v);
	}
	tap_ok(luo_test_stat("retrieve") == NR_FILES,
	       "handler retrieve ran %d times", NR_FILES);
	tap_ok(luo_test_stat("flb_retrieve") == 1 &&
	       luo_test_stat("flb_missing") == 0,
	       "the FLB was retrieved once (%lld), for every file",
	       luo_test_stat("flb_retrieve"));
	tap_ok(luo_test_stat("in_ok") == 1 &&
	       (uint64_t)luo_test_stat("in_cookie") == cookie,
	       "the FLB's handle is intact: cookie %lld",
	       luo_test_stat("in_cookie"));

	tap_ok(!luo_write_file(LUO_TEST_FLB_HOLD, "get") &&
	       luo_test_stat("flb_held") == 1,
	       "take a reference on the incoming FLB and keep it");

	tap_ok(!luo_finish(sa), "finish mod-a");
	tap_ok(luo_test_stat("flb_finish") == 0,
	       "the FLB outlives mod-a: mod-b still depends on it");
	tap_ok(!luo_finish(sb), "finish mod-b");
	tap_ok(luo_test_stat("finish") == NR_FILES &&
	       luo_test_stat("flb_finish") == 0,
	       "every file finished (%lld), the held FLB did not (%lld)",
	       luo_test_stat("finish"), luo_test_stat("flb_finish"));
	tap_ok(luo_module_refcnt(LUO_HANDLER_MOD) == 1 &&
	       luo_rmmod(LUO_HANDLER_MOD) == -EAGAIN,
	       "the retrieved, unfinished FLB pins %s (%ld), rmmod refused",
	       LUO_HANDLER_MOD, luo_module_refcnt(LUO_HANDLER_MOD));
	tap_ok(!luo_write_file(LUO_TEST_FLB_HOLD, "put") &&
	       luo_test_stat("flb_held") == 0,
	       "put the reference from a workqueue");
	tap_ok(luo_test_stat("flb_finish") == 1,
	       "the FLB finished once, at the last put (%lld)",
	       luo_test_stat("flb_finish"));
	tap_ok(luo_module_refcnt(LUO_HANDLER_MOD) == 0,
	       "no reference left on %s", LUO_HANDLER_MOD);
	close(sa);
	close(sb);
	tap_ok(!luo_rmmod(LUO_HANDLER_MOD) &&
	       luo_registry_count(LUO_TEST_HANDLER) == 0 &&
	       luo_registry_count(LUO_TEST_FLB) == 0,
	       "rmmod %s leaves nothing in the registry", LUO_HANDLER_MOD);
	for (i = 0; i < NR_FILES; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	tap_ok(!luo_rmmod(LUO_FTYPE_MOD), "rmmod %s", LUO_FTYPE_MOD);
	return tap_exit_code();
}

int main(int argc, char **argv)
{
	if (luo_parse_args(argc, argv, NULL) == 1)
		return stage1();
	return stage2();
}
