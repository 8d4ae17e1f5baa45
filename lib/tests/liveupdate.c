// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel test of File-Lifecycle-Bound objects (CONFIG_LIVEUPDATE_TEST).
 *
 * Every file handler that registers gets the same set of test FLBs attached.
 * Preserving any file of such a handler therefore preserves the test FLBs:
 * test FLB i hands over the handle LIVEUPDATE_TEST_FLB_HANDLE(i) and nothing
 * else, the handle that every kernel's test FLB hands over, so that a live
 * update between two kernels with this test passes it in both directions.
 * In the next kernel, a late initcall retrieves every test FLB that the
 * previous kernel handed over and checks its handle; the verdict goes to
 * the kernel log as one line per FLB:
 *
 *   liveupdate_test: flb liveupdate-test-flb-v0: handle ok
 *
 * or "handle BAD" with what was wrong. The kexec selftests look for these
 * lines.
 */

#define pr_fmt(fmt) "liveupdate_test: " fmt

#include <linux/err.h>
#include <linux/init.h>
#include <linux/kho/abi/luo.h>
#include <linux/liveupdate.h>

#include "../../kernel/liveupdate/luo_internal.h"

static int luo_test_flb_preserve(struct liveupdate_flb_op_args *args);
static void luo_test_flb_unpreserve(struct liveupdate_flb_op_args *args);
static int luo_test_flb_retrieve(struct liveupdate_flb_op_args *args);
static void luo_test_flb_finish(struct liveupdate_flb_op_args *args);

static const struct liveupdate_flb_ops luo_test_flb_ops = {
	.preserve	= luo_test_flb_preserve,
	.unpreserve	= luo_test_flb_unpreserve,
	.retrieve	= luo_test_flb_retrieve,
	.finish		= luo_test_flb_finish,
	.owner		= THIS_MODULE,
};

#define LUO_TEST_FLB(i) {						\
	.ops = &luo_test_flb_ops,					\
	.compatible = LIVEUPDATE_TEST_FLB_COMPATIBLE(i),		\
}

static struct liveupdate_flb luo_test_flbs[] = {
	LUO_TEST_FLB(0),
	LUO_TEST_FLB(1),
	LUO_TEST_FLB(2),
};

LIVEUPDATE_RECORD_ENTRY(flb0, LIVEUPDATE_TEST_FLB_COMPATIBLE(0));
LIVEUPDATE_RECORD_ENTRY(flb1, LIVEUPDATE_TEST_FLB_COMPATIBLE(1));
LIVEUPDATE_RECORD_ENTRY(flb2, LIVEUPDATE_TEST_FLB_COMPATIBLE(2));

static long luo_test_flb_index(struct liveupdate_flb *flb)
{
	return flb - luo_test_flbs;
}

static int luo_test_flb_preserve(struct liveupdate_flb_op_args *args)
{
	args->data = LIVEUPDATE_TEST_FLB_HANDLE(luo_test_flb_index(args->flb));
	return 0;
}

/* Nothing to give back: the handle is a number, not memory. */
static void luo_test_flb_unpreserve(struct liveupdate_flb_op_args *args)
{
}

/* Check the handle the previous kernel handed over for this FLB. */
static int luo_test_flb_retrieve(struct liveupdate_flb_op_args *args)
{
	long index = luo_test_flb_index(args->flb);

	if (args->data != LIVEUPDATE_TEST_FLB_HANDLE(index)) {
		pr_err("flb %s: handle BAD (%llx, expected %llx)\n",
		       args->flb->compatible, args->data,
		       LIVEUPDATE_TEST_FLB_HANDLE(index));
		return -EINVAL;
	}
	return 0;
}

static void luo_test_flb_finish(struct liveupdate_flb_op_args *args)
{
	pr_info("flb %s: finished\n", args->flb->compatible);
}

/**
 * liveupdate_test_register - Attach the test FLBs to a file handler.
 * @fh: The file handler that has just registered.
 *
 * Context: Called by LUO after @fh is registered, without LUO locks held.
 */
void liveupdate_test_register(struct liveupdate_file_handler *fh)
{
	int i, err;

	for (i = 0; i < ARRAY_SIZE(luo_test_flbs); i++) {
		err = liveupdate_register_flb(fh, &luo_test_flbs[i]);
		if (err)
			pr_err("cannot attach %s to %s: %pe\n",
			       luo_test_flbs[i].compatible, fh->compatible,
			       ERR_PTR(err));
	}
}

/* In the kernel after a live update: retrieve and check every test FLB. */
static int __init luo_test_check_incoming(void)
{
	int i, err;
	void *obj;

	if (!liveupdate_enabled())
		return 0;

	for (i = 0; i < ARRAY_SIZE(luo_test_flbs); i++) {
		err = liveupdate_flb_get_incoming(&luo_test_flbs[i], &obj);
		if (err == -ENODATA || err == -ENOENT)
			continue;
		if (err) {
			pr_err("flb %s: handle BAD: %pe\n",
			       luo_test_flbs[i].compatible, ERR_PTR(err));
			continue;
		}
		pr_info("flb %s: handle ok\n", luo_test_flbs[i].compatible);
		liveupdate_flb_put_incoming(&luo_test_flbs[i]);
	}
	return 0;
}
late_initcall_sync(luo_test_check_incoming);
