// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel test of File-Lifecycle-Bound objects (CONFIG_LIVEUPDATE_TEST).
 *
 * Every file handler that registers gets the same set of test FLBs attached.
 * Preserving any file of such a handler therefore preserves the test FLBs:
 * each one hands over one page that records a magic number, its own index and
 * its compatible string. In the next kernel, a late initcall retrieves every
 * test FLB that the previous kernel handed over and checks that page; the
 * verdict goes to the kernel log as one line per FLB:
 *
 *   liveupdate_test: flb liveupdate-test-flb-v0: handle ok
 *
 * or "handle BAD" followed by what was wrong. The kexec selftests look for
 * these lines. Finishing the last dependent file releases the page.
 */

#define pr_fmt(fmt) "liveupdate_test: " fmt

#include <linux/err.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/luo.h>
#include <linux/liveupdate.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "../../kernel/liveupdate/luo_internal.h"

#define LUO_TEST_MAGIC	0x4c554f54455354ULL	/* "LUOTEST" */

/* What one test FLB hands over: a page that identifies it. */
struct luo_test_flb_ser {
	u64 magic;
	u64 index;
	char compatible[LIVEUPDATE_FLB_COMPAT_LENGTH];
} __packed;

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

static long luo_test_flb_index(struct liveupdate_flb *flb)
{
	return flb - luo_test_flbs;
}

static int luo_test_flb_preserve(struct liveupdate_flb_op_args *args)
{
	struct luo_test_flb_ser *ser;

	ser = kho_alloc_preserve(sizeof(*ser));
	if (IS_ERR(ser))
		return PTR_ERR(ser);

	ser->magic = LUO_TEST_MAGIC;
	ser->index = luo_test_flb_index(args->flb);
	strscpy_pad(ser->compatible, args->flb->compatible);
	args->data = virt_to_phys(ser);
	args->obj = ser;
	return 0;
}

static void luo_test_flb_unpreserve(struct liveupdate_flb_op_args *args)
{
	kho_unpreserve_free(args->obj);
}

/* Check the page the previous kernel handed over for this FLB. */
static int luo_test_flb_retrieve(struct liveupdate_flb_op_args *args)
{
	struct luo_test_flb_ser *ser;
	long index = luo_test_flb_index(args->flb);

	if (!args->data || !PAGE_ALIGNED(args->data))
		return -EINVAL;

	ser = phys_to_virt(args->data);
	if (ser->magic != LUO_TEST_MAGIC || ser->index != index ||
	    strncmp(ser->compatible, args->flb->compatible,
		    LIVEUPDATE_FLB_COMPAT_LENGTH)) {
		pr_err("flb %s: handle BAD (magic %llx index %llu)\n",
		       args->flb->compatible, ser->magic, ser->index);
		return -EINVAL;
	}
	args->obj = ser;
	return 0;
}

static void luo_test_flb_finish(struct liveupdate_flb_op_args *args)
{
	pr_info("flb %s: finished\n", args->flb->compatible);
	kho_restore_free(args->obj);
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
