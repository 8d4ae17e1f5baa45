/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A file handler and two FLBs for LUO's KUnit tests; the FLBs count their
 * calls.
 *
 * Shared by the tests of luo_file.c and luo_flb.c.
 */
#ifndef _LUO_TEST_HANDLERS_H
#define _LUO_TEST_HANDLERS_H

#include <linux/liveupdate.h>

/*
 * Calls per FLB; @locked counts callbacks made with the registry locked,
 * which must be none; a non-zero @fail is what the next preserve returns.
 */
struct luo_test_counts {
	int preserve, unpreserve, locked, fail;
};

static struct luo_test_counts luo_test_counts[2];

static bool luo_test_can_preserve(struct liveupdate_file_handler *fh,
				  struct file *file)
{
	return false;
}

static int luo_test_file_preserve(struct liveupdate_file_op_args *args)
{
	return -EOPNOTSUPP;
}

static void luo_test_file_unpreserve(struct liveupdate_file_op_args *args)
{
}

static const struct liveupdate_file_ops luo_test_file_ops = {
	.can_preserve	= luo_test_can_preserve,
	.preserve	= luo_test_file_preserve,
	.unpreserve	= luo_test_file_unpreserve,
	.retrieve	= luo_test_file_preserve,
	.finish		= luo_test_file_unpreserve,
};

static struct liveupdate_flb luo_test_flbs[2];

static int luo_test_flb_preserve(struct liveupdate_flb_op_args *args)
{
	struct luo_test_counts *c = &luo_test_counts[args->flb - luo_test_flbs];

	c->locked += rwsem_is_locked(&luo_register_rwlock);
	if (c->fail)
		return c->fail;
	c->preserve++;
	args->obj = args->flb;
	return 0;
}

static void luo_test_flb_unpreserve(struct liveupdate_flb_op_args *args)
{
	struct luo_test_counts *c = &luo_test_counts[args->flb - luo_test_flbs];

	c->locked += rwsem_is_locked(&luo_register_rwlock);
	c->unpreserve++;
}

static int luo_test_flb_retrieve(struct liveupdate_flb_op_args *args)
{
	return -EOPNOTSUPP;
}

static void luo_test_flb_finish(struct liveupdate_flb_op_args *args)
{
}

static const struct liveupdate_flb_ops luo_test_flb_ops = {
	.preserve	= luo_test_flb_preserve,
	.unpreserve	= luo_test_flb_unpreserve,
	.retrieve	= luo_test_flb_retrieve,
	.finish		= luo_test_flb_finish,
};

static struct liveupdate_flb luo_test_flbs[2] = {
	{ .ops = &luo_test_flb_ops, .compatible = "luo-kunit-flb-a" },
	{ .ops = &luo_test_flb_ops, .compatible = "luo-kunit-flb-b" },
};

static struct liveupdate_file_handler luo_test_fh[2] = {
	{ .ops = &luo_test_file_ops, .compatible = "luo-kunit-handler-a" },
	{ .ops = &luo_test_file_ops, .compatible = "luo-kunit-handler-b" },
};

/* What luo_file_bind() does for the FLBs of a file of @fh it preserves. */
static int luo_test_flb_preserve_file(struct liveupdate_file_handler *fh,
				      struct luo_flb_deps *deps)
{
	int err;

	scoped_guard(rwsem_read, &luo_register_rwlock)
		err = __luo_flb_deps_pin(fh, deps, false);
	return err ?: luo_flb_file_preserve(deps);
}

#endif /* _LUO_TEST_HANDLERS_H */
