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
#include <linux/anon_inodes.h>
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

	luo_file_set_init(&fs, NULL);
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
	luo_file_set_init(&fs, NULL);
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

/*
 * Files that depend on each other. The "dep" handler writes each call to
 * luo_test_log as a letter and the file's token: F freeze, Z unfreeze,
 * U unpreserve, R retrieve, C can_finish, X finish. A file's handle is its
 * token, with the token of the file it depends on (0: none) above bit 8;
 * its retrieve retrieves that file first, as a handler does through
 * liveupdate_get_file_incoming().
 */
static char luo_test_log[128];
static u64 luo_test_fail_freeze;
static struct luo_file_set *luo_test_dep_fs;

static void luo_test_note(char op, struct liveupdate_file_op_args *args)
{
	size_t len = strlen(luo_test_log);

	snprintf(luo_test_log + len, sizeof(luo_test_log) - len, "%s%c%llu",
		 len ? " " : "", op, args->serialized_data & 0xff);
}

static int luo_test_dep_freeze(struct liveupdate_file_op_args *args)
{
	luo_test_note('F', args);
	return (args->serialized_data & 0xff) == luo_test_fail_freeze ? -EBUSY : 0;
}

static void luo_test_dep_unfreeze(struct liveupdate_file_op_args *args)
{
	luo_test_note('Z', args);
}

static void luo_test_dep_unpreserve(struct liveupdate_file_op_args *args)
{
	luo_test_note('U', args);
}

static const struct file_operations luo_test_dep_fops = {
	.owner = THIS_MODULE,
};

static int luo_test_dep_retrieve(struct liveupdate_file_op_args *args)
{
	u64 parent = args->serialized_data >> 8;
	struct file *file;
	int err;

	luo_test_note('R', args);
	if (parent) {
		err = luo_file_retrieve(luo_test_dep_fs, parent, &file, "kunit");
		if (err)
			return err;
		fput(file);
	}
	file = anon_inode_getfile("[luo-kunit]", &luo_test_dep_fops, NULL,
				  O_RDONLY);
	if (IS_ERR(file))
		return PTR_ERR(file);
	args->file = file;
	return 0;
}

static bool luo_test_dep_can_finish(struct liveupdate_file_op_args *args)
{
	luo_test_note('C', args);
	return true;
}

static void luo_test_dep_finish(struct liveupdate_file_op_args *args)
{
	luo_test_note('X', args);
}

static const struct liveupdate_file_ops luo_test_dep_ops = {
	.can_preserve	= luo_test_can_preserve,
	.preserve	= luo_test_file_preserve,
	.unpreserve	= luo_test_dep_unpreserve,
	.freeze		= luo_test_dep_freeze,
	.unfreeze	= luo_test_dep_unfreeze,
	.retrieve	= luo_test_dep_retrieve,
	.can_finish	= luo_test_dep_can_finish,
	.finish		= luo_test_dep_finish,
};

static struct liveupdate_file_handler luo_test_dep_fh = {
	.ops = &luo_test_dep_ops, .compatible = "luo-kunit-dep",
};

/* Add file @token, depending on @parent: preserved (@outgoing) or handed over. */
static struct luo_file *luo_test_dep_add(struct kunit *test,
					 struct luo_file_set *fs, u64 token,
					 u64 parent, bool outgoing)
{
	/* Not a KUnit allocation: __luo_file_free() frees it. */
	struct luo_file *lf = kzalloc_obj(*lf);

	KUNIT_ASSERT_NOT_NULL(test, lf);
	lf->fh = &luo_test_dep_fh;
	lf->state = outgoing ? LUO_FILE_PRESERVED : LUO_FILE_BOUND;
	lf->token = token;
	lf->serialized_data = parent << 8 | token;
	if (outgoing) {
		lf->file = anon_inode_getfile("[luo-kunit]", &luo_test_dep_fops,
					      NULL, O_RDONLY);
		KUNIT_ASSERT_FALSE(test, IS_ERR(lf->file));
	}
	KUNIT_ASSERT_EQ(test, xa_insert(&fs->tokens, token, lf, GFP_KERNEL), 0);
	list_add_tail(&lf->list, &fs->files);
	fs->count++;
	return lf;
}

/*
 * For the session tests, which cannot reach a struct luo_file: add file
 * @token of the dependency handler to @fs, preserved (@outgoing, its file
 * returned) or handed over and not retrieved yet (NULL returned).
 */
struct file *luo_test_file_add(struct kunit *test, struct luo_file_set *fs,
			       u64 token, bool outgoing)
{
	return luo_test_dep_add(test, fs, token, 0, outgoing)->file;
}

/*
 * An outgoing set of 1, 2 and 3 (2 and 3 depend on 1): tokens are found by
 * file, freeze runs in preservation order and a failed freeze unfreezes in
 * reverse, as do a cancelled live update and unpreserve.
 */
static void luo_test_file_order_out(struct kunit *test)
{
	struct luo_file *lf2;
	struct luo_file_set fs;
	u64 token = 0;

	luo_file_set_init(&fs, NULL);
	mutex_lock(&fs.lock);
	luo_test_dep_add(test, &fs, 1, 0, true);
	lf2 = luo_test_dep_add(test, &fs, 2, 1, true);
	luo_test_dep_add(test, &fs, 3, 1, true);

	KUNIT_EXPECT_EQ(test, luo_file_token(&fs, lf2->file, &token), 0);
	KUNIT_EXPECT_EQ(test, token, 2);
	KUNIT_EXPECT_EQ(test, luo_file_token(&fs, lf2->file, NULL), 0);
	KUNIT_EXPECT_EQ(test, luo_file_token(&fs, NULL, &token), -ENOENT);

	luo_test_log[0] = '\0';
	luo_test_fail_freeze = 3;
	KUNIT_EXPECT_EQ(test, luo_file_freeze_all(&fs), -EBUSY);
	KUNIT_EXPECT_STREQ(test, luo_test_log, "F1 F2 F3 Z2 Z1");

	luo_test_log[0] = '\0';
	luo_test_fail_freeze = 0;
	KUNIT_EXPECT_EQ(test, luo_file_freeze_all(&fs), 0);
	luo_file_unfreeze_all(&fs);
	KUNIT_EXPECT_STREQ(test, luo_test_log, "F1 F2 F3 Z3 Z2 Z1");

	luo_test_log[0] = '\0';
	luo_file_unpreserve_all(&fs);
	KUNIT_EXPECT_STREQ(test, luo_test_log, "U3 U2 U1");
	KUNIT_EXPECT_EQ(test, luo_file_set_count(&fs), 0);
	mutex_unlock(&fs.lock);
	luo_file_set_destroy(&fs);
}

/*
 * A handed-over set of 1, 2 (depends on 1), 4 and 5 (depend on each
 * other): retrieving 2 retrieves 1 once; the cycle fails with -EDEADLK,
 * remembered; every can_finish is asked, then finish runs in reverse.
 */
static void luo_test_file_order_in(struct kunit *test)
{
	struct file *f1, *f2;
	struct luo_file_set fs;

	luo_file_set_init(&fs, NULL);
	luo_test_dep_fs = &fs;
	mutex_lock(&fs.lock);
	luo_test_dep_add(test, &fs, 1, 0, false);
	luo_test_dep_add(test, &fs, 2, 1, false);
	luo_test_dep_add(test, &fs, 4, 5, false);
	luo_test_dep_add(test, &fs, 5, 4, false);

	luo_test_log[0] = '\0';
	KUNIT_ASSERT_EQ(test, luo_file_retrieve(&fs, 2, &f2, "kunit"), 0);
	KUNIT_ASSERT_EQ(test, luo_file_retrieve(&fs, 1, &f1, "kunit"), 0);
	KUNIT_EXPECT_EQ(test, luo_file_retrieve(&fs, 4, &f1, "kunit"), -EDEADLK);
	KUNIT_EXPECT_EQ(test, luo_file_retrieve(&fs, 5, &f1, "kunit"), -EDEADLK);
	KUNIT_EXPECT_STREQ(test, luo_test_log, "R2 R1 R4 R5");
	fput(f1);
	fput(f2);

	luo_test_log[0] = '\0';
	KUNIT_EXPECT_EQ(test, luo_file_finish_all(&fs, "kunit"), 0);
	KUNIT_EXPECT_STREQ(test, luo_test_log, "C1 C2 C4 C5 X5 X4 X2 X1");
	KUNIT_EXPECT_EQ(test, luo_file_set_count(&fs), 0);
	mutex_unlock(&fs.lock);
	luo_file_set_destroy(&fs);
	luo_test_dep_fs = NULL;
}

static struct kunit_case luo_file_test_cases[] = {
	KUNIT_CASE(luo_test_file_set_bad),
	KUNIT_CASE(luo_test_file_give_up),
	KUNIT_CASE(luo_test_flb_refcounts),
	KUNIT_CASE(luo_test_file_order_out),
	KUNIT_CASE(luo_test_file_order_in),
	{}
};

static struct kunit_suite luo_file_test_suite = {
	.name = "liveupdate_file",
	.test_cases = luo_file_test_cases,
};

kunit_test_suite(luo_file_test_suite);

#endif /* _LUO_FILE_KUNIT_H */
