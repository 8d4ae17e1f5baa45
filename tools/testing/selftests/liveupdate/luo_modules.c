// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifetime of live-update handlers and FLBs, proven with real
 * modules (modules/luo_test_ftype.ko and modules/luo_test_handler.ko).
 *
 * The handler's module holds no file of its own (the file type lives in
 * luo_test_ftype.ko), so every reference counted in
 * /sys/module/luo_test_handler/refcnt is one LUO took: one per preserved
 * file and one per preserved FLB. LUO's debugfs registry shows what is
 * registered; the module's debugfs stats count its callbacks.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "luo_test_utils.h"

#define RACE_LOADS	100
#define RACE_WORKERS	2

FIXTURE(modules) {
	int dev;
};

FIXTURE_SETUP(modules)
{
	int err;

	self->dev = -1;
	if (access(LUO_MODULE_DIR "/" LUO_HANDLER_MOD ".ko", R_OK))
		SKIP(return, "test modules not installed in %s", LUO_MODULE_DIR);
	err = luo_insmod(LUO_FTYPE_MOD, "");
	ASSERT_TRUE(!err || err == -EEXIST) {
		TH_LOG("insmod %s: %s", LUO_FTYPE_MOD, strerror(-err));
	}
	ASSERT_EQ(-ENOENT, luo_module_refcnt(LUO_HANDLER_MOD));
	self->dev = luo_open_device();
	ASSERT_LE(0, self->dev) {
		TH_LOG("open %s: %s", LUO_DEVICE, strerror(-self->dev));
	}
}

FIXTURE_TEARDOWN(modules)
{
	if (self->dev >= 0)
		close(self->dev);
	luo_rmmod(LUO_HANDLER_MOD);
	luo_rmmod(LUO_FTYPE_MOD);
}

/* Nothing of the test handler or its FLB is left in LUO's registry. */
static bool registry_clean(void)
{
	return luo_registry_count(LUO_TEST_HANDLER) == 0 &&
	       luo_registry_count(LUO_TEST_FLB) == 0;
}

/* Proof 1: registration alone pins nothing. */
TEST_F(modules, register_pins_nothing)
{
	ASSERT_EQ(0, luo_insmod(LUO_HANDLER_MOD, ""));
	EXPECT_EQ(1, luo_registry_count(LUO_TEST_HANDLER));
	EXPECT_EQ(1, luo_registry_count(LUO_TEST_FLB));
	EXPECT_EQ(0, luo_module_refcnt(LUO_HANDLER_MOD));
	ASSERT_EQ(0, luo_rmmod(LUO_HANDLER_MOD));
	EXPECT_EQ(-ENOENT, luo_module_refcnt(LUO_HANDLER_MOD));
	/* The exit function unregisters the handler only: LUO drops the FLB. */
	EXPECT_TRUE(registry_clean());
}

/*
 * Proof 2: a preserved file pins the handler's module until its session is
 * closed; then the module unloads and leaves nothing behind.
 */
TEST_F(modules, preserved_file_pins_module)
{
	int session, fd;

	ASSERT_EQ(0, luo_insmod(LUO_HANDLER_MOD, ""));
	fd = luo_ftype_open(42);
	ASSERT_LE(0, fd);
	session = luo_create_session(self->dev, "pin");
	ASSERT_LE(0, session);
	ASSERT_EQ(0, luo_preserve_fd(session, fd, 1));
	close(fd);	/* LUO holds the file now */

	/* One reference for the file, one for the FLB it depends on. */
	EXPECT_EQ(2, luo_module_refcnt(LUO_HANDLER_MOD));
	EXPECT_EQ(-EAGAIN, luo_rmmod(LUO_HANDLER_MOD));
	EXPECT_EQ(2, luo_module_refcnt(LUO_HANDLER_MOD));
	EXPECT_EQ(1, luo_registry_count(LUO_TEST_HANDLER));

	close(session);
	EXPECT_EQ(0, luo_module_refcnt(LUO_HANDLER_MOD));
	EXPECT_EQ(1, luo_test_stat("unpreserve"));
	EXPECT_EQ(1, luo_test_stat("flb_unpreserve"));
	ASSERT_EQ(0, luo_rmmod(LUO_HANDLER_MOD));
	EXPECT_TRUE(registry_clean());
}

/* A preserve that fails takes no reference. */
TEST_F(modules, failed_preserve_pins_nothing)
{
	int s1, s2, fd;

	ASSERT_EQ(0, luo_insmod(LUO_HANDLER_MOD, ""));
	fd = luo_ftype_open(7);
	ASSERT_LE(0, fd);
	s1 = luo_create_session(self->dev, "first");
	ASSERT_LE(0, s1);
	s2 = luo_create_session(self->dev, "second");
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, luo_preserve_fd(s1, fd, 1));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s2, fd, 1));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s1, fd, 2));
	EXPECT_EQ(2, luo_module_refcnt(LUO_HANDLER_MOD));
	EXPECT_EQ(1, luo_test_stat("preserve"));
	EXPECT_EQ(1, luo_test_stat("flb_preserve"));
	close(s1);
	close(s2);
	close(fd);
	EXPECT_EQ(0, luo_module_refcnt(LUO_HANDLER_MOD));
	EXPECT_EQ(0, luo_rmmod(LUO_HANDLER_MOD));
}

/*
 * Proof 3 (this kernel's half): the FLB is preserved once for many files in
 * many sessions and unpreserved once, when the last of them goes.
 */
TEST_F(modules, flb_preserved_once)
{
	int s1, s2, fd[3], memfd, i;

	ASSERT_EQ(0, luo_insmod(LUO_HANDLER_MOD, ""));
	s1 = luo_create_session(self->dev, "flb-a");
	ASSERT_LE(0, s1);
	s2 = luo_create_session(self->dev, "flb-b");
	ASSERT_LE(0, s2);
	for (i = 0; i < 3; i++) {
		fd[i] = luo_ftype_open(100 + i);
		ASSERT_LE(0, fd[i]);
		ASSERT_EQ(0, luo_preserve_fd(i < 2 ? s1 : s2, fd[i], i));
		close(fd[i]);
	}
	memfd = memfd_create("flb", 0);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, luo_preserve_fd(s1, memfd, 10));

	EXPECT_EQ(3, luo_test_stat("preserve"));
	EXPECT_EQ(1, luo_test_stat("flb_preserve"));
	EXPECT_EQ(4, luo_module_refcnt(LUO_HANDLER_MOD));

	close(s1);
	EXPECT_EQ(2, luo_test_stat("unpreserve"));
	EXPECT_EQ(0, luo_test_stat("flb_unpreserve"));
	EXPECT_EQ(2, luo_module_refcnt(LUO_HANDLER_MOD));

	close(s2);
	EXPECT_EQ(3, luo_test_stat("unpreserve"));
	EXPECT_EQ(1, luo_test_stat("flb_unpreserve"));
	EXPECT_EQ(0, luo_module_refcnt(LUO_HANDLER_MOD));

	/* A new first file preserves the FLB anew. */
	s1 = luo_create_session(self->dev, "flb-c");
	ASSERT_LE(0, s1);
	fd[0] = luo_ftype_open(1);
	ASSERT_LE(0, fd[0]);
	ASSERT_EQ(0, luo_preserve_fd(s1, fd[0], 1));
	EXPECT_EQ(2, luo_test_stat("flb_preserve"));
	close(s1);
	close(fd[0]);
	close(memfd);
	EXPECT_EQ(2, luo_test_stat("flb_unpreserve"));
	EXPECT_EQ(0, luo_rmmod(LUO_HANDLER_MOD));
	EXPECT_TRUE(registry_clean());
}

/* Proof 5: loading and unloading the module races with sessions using it. */
struct race {
	int dev;
	atomic_int stop;
	atomic_int bad;		/* an errno that no interleaving explains */
	atomic_int preserved;	/* test-type files preserved */
	atomic_int missed;	/* ... refused because the module was away */
	atomic_int early;	/* ... refused between the module's two registrations */
	atomic_int seq;		/* session names */
};

static void race_bad(struct race *r, const char *what, int err)
{
	if (atomic_fetch_add(&r->bad, 1) < 5)
		fprintf(stderr, "# race: %s: %s\n", what, strerror(-err));
}

static void *race_worker(void *arg)
{
	struct race *r = arg;
	char name[32];
	int i, err;

	for (i = 0; !atomic_load(&r->stop); i++) {
		int s, mfd, tfd;

		snprintf(name, sizeof(name), "race-%d",
			 atomic_fetch_add(&r->seq, 1));
		s = luo_create_session(r->dev, name);
		if (s < 0) {
			race_bad(r, "create session", s);
			continue;
		}
		mfd = memfd_create("race", 0);
		err = luo_preserve_fd(s, mfd, 1);
		if (err)
			race_bad(r, "preserve memfd", err);
		/* The file type stays loaded; only the handler comes and goes. */
		tfd = luo_ftype_open(i);
		if (tfd < 0) {
			race_bad(r, "open test file", tfd);
		} else {
			err = luo_preserve_fd(s, tfd, 2);
			if (!err)
				atomic_fetch_add(&r->preserved, 1);
			else if (err == -ENOENT)
				atomic_fetch_add(&r->missed, 1);
			/*
			 * The module registers its handler, then its FLB: a
			 * file preserved in between does not depend on the
			 * FLB, and the handler refuses it.
			 */
			else if (err == -ENODATA)
				atomic_fetch_add(&r->early, 1);
			else
				race_bad(r, "preserve test file", err);
			close(tfd);
		}
		close(mfd);
		close(s);	/* unpreserves both */
	}
	return NULL;
}

/* 100 module loads take more than 30 s in a busy TCG guest. */
TEST_F_TIMEOUT(modules, load_unload_race, 300)
{
	struct race r = { .dev = self->dev };
	pthread_t workers[RACE_WORKERS];
	int i, err, loads = 0, busy = 0;

	for (i = 0; i < RACE_WORKERS; i++)
		ASSERT_EQ(0, pthread_create(&workers[i], NULL, race_worker, &r));
	for (i = 0; i < RACE_LOADS; i++) {
		err = luo_insmod(LUO_HANDLER_MOD, "");
		if (err) {
			race_bad(&r, "insmod", err);
			break;
		}
		loads++;
		usleep(1000);
		/* In use by a session for a moment: try again. */
		while ((err = luo_rmmod(LUO_HANDLER_MOD)) == -EAGAIN) {
			busy++;
			usleep(100);
		}
		if (err) {
			race_bad(&r, "rmmod", err);
			break;
		}
	}
	atomic_store(&r.stop, 1);
	for (i = 0; i < RACE_WORKERS; i++)
		pthread_join(workers[i], NULL);

	TH_LOG("%d loads, %d busy unloads; test files: %d preserved, %d refused %s, %d %s",
	       loads, busy, atomic_load(&r.preserved), atomic_load(&r.missed),
	       "while unloaded", atomic_load(&r.early), "while loading");
	EXPECT_EQ(0, atomic_load(&r.bad));
	EXPECT_EQ(RACE_LOADS, loads);
	/* Both interleavings happened, or the race proved nothing. */
	EXPECT_LT(0, atomic_load(&r.preserved));
	EXPECT_LT(0, atomic_load(&r.missed));
	EXPECT_EQ(-ENOENT, luo_module_refcnt(LUO_HANDLER_MOD));
	EXPECT_TRUE(registry_clean());
}

TEST_HARNESS_MAIN
