/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of files: the rebuild of a file set from corrupt input, and
 * the registries of handlers and FLBs.
 *
 * Included at the end of luo_file.c, so that it can test the file's static
 * functions too.
 */
#ifndef _LUO_FILE_KUNIT_H
#define _LUO_FILE_KUNIT_H

#include <kunit/test.h>
#include <linux/kho/abi/memfd.h>

#include "luo_test_mem.h"
#include "luo_test_handlers.h"

/*
 * Rebuild one file set from fake memory; return what luo_file_deserialize
 * says, or -ENOPKG if files wait for their handler.
 */
static int luo_test_files(struct luo_test_mem *mem, u64 files, u64 count)
{
	struct luo_file_set_ser ser = { .files = files, .count = count };
	struct luo_file_set fs;
	int err;

	luo_file_set_init(&fs);
	mutex_lock(&fs.lock);
	err = luo_file_deserialize(&fs, &mem->r, &ser);
	luo_ser_unclaim_all(&mem->r);
	if (!err && fs.unbound)
		err = -ENOPKG;
	luo_file_discard_all(&fs);
	mutex_unlock(&fs.lock);
	luo_file_set_destroy(&fs);
	return err;
}

static void luo_test_file_set_bad(struct kunit *test)
{
	struct luo_test_mem *mem = luo_test_mem_new(test);
	struct luo_file_ser *f = luo_test_block(mem, 0, 2, 0);

	if (!liveupdate_enabled())
		kunit_skip(test, "live update is off");

	strscpy(f[0].compatible, MEMFD_LUO_FH_COMPATIBLE);
	strscpy(f[1].compatible, MEMFD_LUO_FH_COMPATIBLE);
	f[0].token = 1;
	f[1].token = 2;
	KUNIT_EXPECT_EQ(test, luo_test_files(mem, LUO_TEST_PA(0), 2), 0);

	/* Counts that do not match the chain; files without a chain. */
	KUNIT_EXPECT_EQ(test, luo_test_files(mem, LUO_TEST_PA(0), 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, luo_test_files(mem, 0, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, luo_test_files(mem, LUO_TEST_PA(0), 0), -EINVAL);
	/* The same token twice. */
	f[1].token = 1;
	KUNIT_EXPECT_EQ(test, luo_test_files(mem, LUO_TEST_PA(0), 2), -EINVAL);
	f[1].token = 2;
	/* An unknown handler (an unterminated name: luo_test_file_give_up). */
	strscpy(f[1].compatible, "no-such-handler-v1");
	KUNIT_EXPECT_EQ(test, luo_test_files(mem, LUO_TEST_PA(0), 2), -ENOPKG);
	KUNIT_EXPECT_EQ(test, mem->released, 0);
}

/*
 * A file whose handler never registers, and one whose handler name is
 * unterminated: each alone fails its retrieve, with -ENOPKG and -EIO, again
 * and again, and finishing the set gives them up.
 */
static void luo_test_file_give_up(struct kunit *test)
{
	struct luo_test_mem *mem = luo_test_mem_new(test);
	struct luo_file_ser *f = luo_test_block(mem, 0, 2, 0);
	struct luo_file_set_ser ser = { .files = LUO_TEST_PA(0), .count = 2 };
	struct luo_file_set fs;
	struct file *file;

	if (!liveupdate_enabled())
		kunit_skip(test, "live update is off");

	strscpy(f[0].compatible, "no-such-handler-v1");
	memset(f[1].compatible, 'm', sizeof(f[1].compatible));
	f[0].token = 1;
	f[1].token = 2;
	luo_file_set_init(&fs);
	mutex_lock(&fs.lock);
	KUNIT_ASSERT_EQ(test, luo_file_deserialize(&fs, &mem->r, &ser), 0);
	luo_ser_unclaim_all(&mem->r);
	KUNIT_EXPECT_EQ(test, luo_file_set_count(&fs), 2);
	KUNIT_EXPECT_EQ(test, luo_file_set_unbound(&fs), 1);
	KUNIT_EXPECT_EQ(test, luo_file_bind_pending(&fs), 0);
	KUNIT_EXPECT_EQ(test, luo_file_retrieve(&fs, 1, &file, "kunit"), -ENOPKG);
	KUNIT_EXPECT_EQ(test, luo_file_retrieve(&fs, 1, &file, "kunit"), -ENOPKG);
	KUNIT_EXPECT_EQ(test, luo_file_retrieve(&fs, 2, &file, "kunit"), -EIO);
	KUNIT_EXPECT_EQ(test, luo_file_retrieve(&fs, 2, &file, "kunit"), -EIO);
	KUNIT_EXPECT_EQ(test, luo_file_retrieve(&fs, 3, &file, "kunit"), -ENOENT);
	KUNIT_EXPECT_EQ(test, luo_file_finish_all(&fs, "kunit"), 0);
	KUNIT_EXPECT_EQ(test, luo_file_set_count(&fs), 0);
	KUNIT_EXPECT_EQ(test, luo_file_set_unbound(&fs), 0);
	KUNIT_EXPECT_EQ(test, luo_file_retrieve(&fs, 1, &file, "kunit"), -ENOENT);
	mutex_unlock(&fs.lock);
	luo_file_set_destroy(&fs);
	KUNIT_EXPECT_EQ(test, mem->released, 0);
}

static int luo_test_flb_handlers(struct liveupdate_flb *flb)
{
	guard(rwsem_read)(&luo_register_rwlock);
	return ACCESS_PRIVATE(flb, private).handlers;
}

static void luo_test_flb_refcounts(struct kunit *test)
{
	struct luo_flb_deps deps[3];
	void *obj;
	int i;

	if (!liveupdate_enabled())
		kunit_skip(test, "live update is off");
	memset(luo_test_counts, 0, sizeof(luo_test_counts));

	KUNIT_ASSERT_EQ(test, liveupdate_register_file_handler(&luo_test_fh[0]), 0);
	KUNIT_EXPECT_EQ(test, liveupdate_register_file_handler(&luo_test_fh[0]), -EEXIST);
	KUNIT_ASSERT_EQ(test, liveupdate_register_file_handler(&luo_test_fh[1]), 0);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&luo_test_fh[0], &luo_test_flbs[0]), 0);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&luo_test_fh[0], &luo_test_flbs[0]), -EEXIST);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&luo_test_fh[1], &luo_test_flbs[0]), 0);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&luo_test_fh[1], &luo_test_flbs[1]), 0);
	KUNIT_EXPECT_EQ(test, luo_test_flb_handlers(&luo_test_flbs[0]), 2);
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_outgoing(&luo_test_flbs[0], &obj), -ENOENT);

	/* Three files: preserve runs once per FLB, unpreserve after the last. */
	KUNIT_EXPECT_EQ(test, luo_test_flb_preserve_file(&luo_test_fh[0], &deps[0]), 0);
	KUNIT_EXPECT_EQ(test, luo_test_flb_preserve_file(&luo_test_fh[1], &deps[1]), 0);
	KUNIT_EXPECT_EQ(test, luo_test_flb_preserve_file(&luo_test_fh[1], &deps[2]), 0);
	KUNIT_EXPECT_EQ(test, luo_test_counts[0].preserve, 1);
	KUNIT_EXPECT_EQ(test, luo_test_counts[1].preserve, 1);
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_outgoing(&luo_test_flbs[0], &obj), 0);
	KUNIT_EXPECT_PTR_EQ(test, obj, (void *)&luo_test_flbs[0]);
	liveupdate_flb_put_outgoing(&luo_test_flbs[0]);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, luo_test_counts[0].unpreserve, 0);
		luo_flb_file_unpreserve(&deps[i]);
	}
	KUNIT_EXPECT_EQ(test, luo_test_counts[0].unpreserve, 1);
	KUNIT_EXPECT_EQ(test, luo_test_counts[1].unpreserve, 1);

	/* Unregistering a handler unregisters its FLBs. */
	liveupdate_unregister_file_handler(&luo_test_fh[1]);
	KUNIT_EXPECT_EQ(test, luo_test_flb_handlers(&luo_test_flbs[0]), 1);
	KUNIT_EXPECT_EQ(test, luo_test_flb_handlers(&luo_test_flbs[1]), 0);
	liveupdate_unregister_flb(&luo_test_fh[0], &luo_test_flbs[0]);
	KUNIT_EXPECT_EQ(test, luo_test_flb_handlers(&luo_test_flbs[0]), 0);
	liveupdate_unregister_file_handler(&luo_test_fh[0]);
	scoped_guard(rwsem_read, &luo_register_rwlock) {
		KUNIT_EXPECT_FALSE(test, __luo_file_handler_registered(&luo_test_fh[0]));
		KUNIT_EXPECT_FALSE(test, __luo_file_handler_registered(&luo_test_fh[1]));
	}
	/* Unregistering twice is harmless. */
	liveupdate_unregister_file_handler(&luo_test_fh[0]);
	liveupdate_unregister_flb(&luo_test_fh[0], &luo_test_flbs[0]);
}

static struct kunit_case luo_file_test_cases[] = {
	KUNIT_CASE(luo_test_file_set_bad),
	KUNIT_CASE(luo_test_file_give_up),
	KUNIT_CASE(luo_test_flb_refcounts),
	{}
};

static struct kunit_suite luo_file_test_suite = {
	.name = "liveupdate_file",
	.test_cases = luo_file_test_cases,
};

kunit_test_suite(luo_file_test_suite);

#endif /* _LUO_FILE_KUNIT_H */
