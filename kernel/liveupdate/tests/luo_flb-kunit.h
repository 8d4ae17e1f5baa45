/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of FLBs: the FLB page on good and corrupt input, and the
 * get/put contract.
 *
 * Included at the end of luo_flb.c, so that it can test the file's static
 * functions too.
 */
#ifndef _LUO_FLB_KUNIT_H
#define _LUO_FLB_KUNIT_H

#include <kunit/test.h>
#include <linux/lockdep.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "luo_test_mem.h"
#include "luo_test_handlers.h"

/* Parse a fake FLB page, then forget the claim. */
static int luo_test_flb(struct luo_test_mem *mem, u64 pa,
			struct luo_flb_incoming **in, unsigned int *count)
{
	int err = luo_flb_parse(&mem->r, pa, in, count);

	luo_ser_unclaim_all(&mem->r);
	return err;
}

static void luo_test_flb_page(struct kunit *test)
{
	struct luo_test_mem *mem = luo_test_mem_new(test);
	struct luo_flb_header_ser *hdr = mem->page[0];
	struct luo_flb_ser *entry = (void *)(hdr + 1);
	struct luo_flb_incoming *in;
	unsigned int count;

	hdr->pgcnt = 1;
	hdr->count = 2;
	strscpy(entry[0].name, "flb-a");
	entry[0].data = 0x1000;
	strscpy(entry[1].name, "flb-b");
	KUNIT_ASSERT_EQ(test, luo_flb_parse(&mem->r, LUO_TEST_PA(0), &in, &count), 0);
	KUNIT_EXPECT_EQ(test, count, 2);
	KUNIT_EXPECT_STREQ(test, in[0].name, "flb-a");
	KUNIT_EXPECT_EQ(test, in[0].data, 0x1000);
	luo_ser_release_all(&mem->r);
	KUNIT_EXPECT_EQ(test, mem->released, 1);
	kfree(in);
	/* Given back, the page is no longer the previous kernel's. */
	KUNIT_EXPECT_EQ(test, luo_test_flb(mem, LUO_TEST_PA(0), &in, &count), -EINVAL);
	mem->gone[0] = false;

	/* Duplicate names, unterminated names, bad counts, bad address. */
	strscpy(entry[1].name, "flb-a");
	KUNIT_EXPECT_EQ(test, luo_test_flb(mem, LUO_TEST_PA(0), &in, &count), -EINVAL);
	memset(entry[1].name, 'x', sizeof(entry[1].name));
	KUNIT_EXPECT_EQ(test, luo_test_flb(mem, LUO_TEST_PA(0), &in, &count), -EINVAL);
	hdr->count = 64;
	KUNIT_EXPECT_EQ(test, luo_test_flb(mem, LUO_TEST_PA(0), &in, &count), -EINVAL);
	hdr->count = 1;
	hdr->pgcnt = 2;
	KUNIT_EXPECT_EQ(test, luo_test_flb(mem, LUO_TEST_PA(0), &in, &count), -EINVAL);
	KUNIT_EXPECT_EQ(test, luo_test_flb(mem, LUO_TEST_PA(LUO_TEST_PAGES), &in, &count),
			-EINVAL);
	KUNIT_EXPECT_NULL(test, in);
	KUNIT_EXPECT_EQ(test, mem->released, 1);
}

/* A handler without finish is refused, like one without retrieve. */
static const struct liveupdate_file_ops luo_test_file_ops_nofinish = {
	.can_preserve	= luo_test_can_preserve,
	.preserve	= luo_test_file_preserve,
	.unpreserve	= luo_test_file_unpreserve,
	.retrieve	= luo_test_file_preserve,
};

static bool luo_test_flb_locked(struct liveupdate_flb *flb)
{
	return mutex_is_locked(&ACCESS_PRIVATE(flb, private).lock);
}

struct luo_test_put_work {
	struct work_struct work;
	struct liveupdate_flb *flb;
};

static void luo_test_put_fn(struct work_struct *work)
{
	struct luo_test_put_work *w = container_of(work, typeof(*w), work);

	liveupdate_flb_put_outgoing(w->flb);
}

/*
 * The get/put contract: a get takes a reference and returns with no lock
 * held, so two FLBs can be held at once and a reference can be put from
 * another context; the FLB is unpreserved only after the last file and the
 * last reference are gone.
 */
static void luo_test_flb_get_put(struct kunit *test)
{
	struct luo_test_put_work w = { .flb = &luo_test_flbs[0] };
	struct liveupdate_file_handler fh = {
		.ops = &luo_test_file_ops_nofinish,
		.compatible = "luo-kunit-handler-c",
	};
	struct luo_flb_deps deps;
	void *obj0, *obj1;

	if (!liveupdate_enabled())
		kunit_skip(test, "live update is off");
	memset(luo_test_counts, 0, sizeof(luo_test_counts));
	KUNIT_EXPECT_EQ(test, liveupdate_register_file_handler(&fh), -EINVAL);

	KUNIT_ASSERT_EQ(test, liveupdate_register_file_handler(&luo_test_fh[0]), 0);
	KUNIT_ASSERT_EQ(test, liveupdate_register_flb(&luo_test_fh[0], &luo_test_flbs[0]), 0);
	KUNIT_ASSERT_EQ(test, liveupdate_register_flb(&luo_test_fh[0], &luo_test_flbs[1]), 0);
	KUNIT_ASSERT_EQ(test, luo_test_flb_preserve_file(&luo_test_fh[0], &deps), 0);

	/* Both held at once, and no lock is held on return. */
	KUNIT_ASSERT_EQ(test, liveupdate_flb_get_outgoing(&luo_test_flbs[0], &obj0), 0);
	KUNIT_ASSERT_EQ(test, liveupdate_flb_get_outgoing(&luo_test_flbs[1], &obj1), 0);
	KUNIT_EXPECT_PTR_EQ(test, obj0, (void *)&luo_test_flbs[0]);
	KUNIT_EXPECT_PTR_EQ(test, obj1, (void *)&luo_test_flbs[1]);
	KUNIT_EXPECT_FALSE(test, luo_test_flb_locked(&luo_test_flbs[0]));
	KUNIT_EXPECT_FALSE(test, luo_test_flb_locked(&luo_test_flbs[1]));
	KUNIT_EXPECT_EQ(test, lockdep_depth(current), 0);

	/* The file goes; the references keep the objects. */
	luo_flb_file_unpreserve(&deps);
	KUNIT_EXPECT_EQ(test, luo_test_counts[0].unpreserve, 0);
	KUNIT_EXPECT_EQ(test, luo_test_counts[1].unpreserve, 0);

	/* A put from a workqueue releases the first FLB. */
	INIT_WORK_ONSTACK(&w.work, luo_test_put_fn);
	schedule_work(&w.work);
	flush_work(&w.work);
	destroy_work_on_stack(&w.work);
	KUNIT_EXPECT_EQ(test, luo_test_counts[0].unpreserve, 1);
	KUNIT_EXPECT_EQ(test, luo_test_counts[1].unpreserve, 0);
	liveupdate_flb_put_outgoing(&luo_test_flbs[1]);
	KUNIT_EXPECT_EQ(test, luo_test_counts[1].unpreserve, 1);
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_outgoing(&luo_test_flbs[0], &obj0), -ENOENT);
	KUNIT_EXPECT_EQ(test, luo_test_counts[0].preserve, 1);
	KUNIT_EXPECT_EQ(test, luo_test_counts[1].preserve, 1);
	/* No FLB callback runs with the registry locked. */
	KUNIT_EXPECT_EQ(test, luo_test_counts[0].locked, 0);
	KUNIT_EXPECT_EQ(test, luo_test_counts[1].locked, 0);

	liveupdate_unregister_file_handler(&luo_test_fh[0]);
}

/*
 * A file depends on two FLBs and the second one's preserve fails: the
 * first is unpreserved again and the file depends on nothing.
 */
static void luo_test_flb_preserve_fails(struct kunit *test)
{
	struct luo_flb_deps deps;
	void *obj;

	if (!liveupdate_enabled())
		kunit_skip(test, "live update is off");
	memset(luo_test_counts, 0, sizeof(luo_test_counts));
	luo_test_counts[1].fail = -EIO;
	KUNIT_ASSERT_EQ(test, liveupdate_register_file_handler(&luo_test_fh[0]), 0);
	KUNIT_ASSERT_EQ(test, liveupdate_register_flb(&luo_test_fh[0], &luo_test_flbs[0]), 0);
	KUNIT_ASSERT_EQ(test, liveupdate_register_flb(&luo_test_fh[0], &luo_test_flbs[1]), 0);

	KUNIT_EXPECT_EQ(test, luo_test_flb_preserve_file(&luo_test_fh[0], &deps), -EIO);
	KUNIT_EXPECT_EQ(test, deps.count, 0);
	KUNIT_EXPECT_PTR_EQ(test, deps.flbs, NULL);
	KUNIT_EXPECT_EQ(test, luo_test_counts[0].preserve, 1);
	KUNIT_EXPECT_EQ(test, luo_test_counts[0].unpreserve, 1);
	KUNIT_EXPECT_EQ(test, luo_test_counts[1].preserve, 0);
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_outgoing(&luo_test_flbs[0], &obj), -ENOENT);
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_outgoing(&luo_test_flbs[1], &obj), -ENOENT);

	/* Once the FLB can preserve, the same file can. */
	luo_test_counts[1].fail = 0;
	KUNIT_EXPECT_EQ(test, luo_test_flb_preserve_file(&luo_test_fh[0], &deps), 0);
	KUNIT_EXPECT_EQ(test, luo_test_counts[0].preserve, 2);
	KUNIT_EXPECT_EQ(test, luo_test_counts[1].preserve, 1);
	luo_flb_file_unpreserve(&deps);
	KUNIT_EXPECT_EQ(test, luo_test_counts[0].unpreserve, 2);
	KUNIT_EXPECT_EQ(test, luo_test_counts[1].unpreserve, 1);
	KUNIT_EXPECT_EQ(test, luo_test_counts[0].locked + luo_test_counts[1].locked, 0);

	liveupdate_unregister_file_handler(&luo_test_fh[0]);
}

static struct kunit_case luo_flb_test_cases[] = {
	KUNIT_CASE(luo_test_flb_page),
	KUNIT_CASE(luo_test_flb_get_put),
	KUNIT_CASE(luo_test_flb_preserve_fails),
	{}
};

static struct kunit_suite luo_flb_test_suite = {
	.name = "liveupdate_flb",
	.test_cases = luo_flb_test_cases,
};

kunit_test_suite(luo_flb_test_suite);

#endif /* _LUO_FLB_KUNIT_H */
