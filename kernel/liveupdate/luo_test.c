// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the Live Update Orchestrator: what can be tested without a
 * kexec. The previous kernel's memory is simulated by a reader over plain
 * buffers, so that malformed state can be fed to the real parsers.
 */

#include <kunit/test.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/lockdep.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "luo_internal.h"

#define LUO_TEST_PAGES	8
#define LUO_TEST_PA(i)	(0x100000ULL + (u64)(i) * KHO_BLOCK_SIZE)

/*
 * A fake "previous kernel": LUO_TEST_PAGES pages at fake addresses. Each
 * release is counted per page, so that a page given back twice shows.
 */
struct luo_test_mem {
	struct luo_ser_reader r;
	void *page[LUO_TEST_PAGES];
	int released;
	int released_twice;
	bool gone[LUO_TEST_PAGES];
};

static const void *luo_test_map(struct luo_ser_reader *r, u64 pa)
{
	struct luo_test_mem *mem = container_of(r, struct luo_test_mem, r);
	u64 i = (pa - LUO_TEST_PA(0)) / KHO_BLOCK_SIZE;

	if (pa < LUO_TEST_PA(0) || !IS_ALIGNED(pa, KHO_BLOCK_SIZE) ||
	    i >= LUO_TEST_PAGES || mem->gone[i])
		return NULL;
	return mem->page[i];
}

static void luo_test_release(struct luo_ser_reader *r, u64 pa)
{
	struct luo_test_mem *mem = container_of(r, struct luo_test_mem, r);
	u64 i = (pa - LUO_TEST_PA(0)) / KHO_BLOCK_SIZE;

	mem->released++;
	if (mem->gone[i])
		mem->released_twice++;
	mem->gone[i] = true;
}

static struct luo_test_mem *luo_test_mem_new(struct kunit *test)
{
	struct luo_test_mem *mem;
	int i;

	mem = kunit_kzalloc(test, sizeof(*mem), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mem);
	luo_ser_reader_init(&mem->r, luo_test_map, luo_test_release);
	for (i = 0; i < LUO_TEST_PAGES; i++) {
		mem->page[i] = kunit_kzalloc(test, KHO_BLOCK_SIZE, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, mem->page[i]);
	}
	return mem;
}

/* Block @i of the fake memory holds @count entries and links to @next. */
static void *luo_test_block(struct luo_test_mem *mem, int i, u64 count,
			    u64 next)
{
	struct kho_block_header_ser *hdr = mem->page[i];

	hdr->count = count;
	hdr->next = next;
	return hdr + 1;
}

static void luo_test_names(struct kunit *test)
{
	u8 name[LIVEUPDATE_SESSION_NAME_LENGTH] = {};

	KUNIT_EXPECT_FALSE(test, luo_session_name_valid(name));
	name[0] = 'a';
	KUNIT_EXPECT_TRUE(test, luo_session_name_valid(name));
	memset(name, 'x', sizeof(name) - 1);
	KUNIT_EXPECT_TRUE(test, luo_session_name_valid(name));
	name[sizeof(name) - 1] = 'x';
	KUNIT_EXPECT_FALSE(test, luo_session_name_valid(name));
}

static int luo_test_count_entry(const void *entry, void *arg)
{
	const struct luo_session_ser *ser = entry;
	long *seen = arg;
	long index;

	/* Entries must come in chain order: names are "s<index>". */
	if (ser->name[0] != 's' || kstrtol(ser->name + 1, 10, &index) ||
	    index != *seen)
		return -EILSEQ;
	(*seen)++;
	return 0;
}

static void luo_test_fill_sessions(struct luo_session_ser *ser, long first,
				   long n)
{
	long i;

	for (i = 0; i < n; i++)
		snprintf(ser[i].name, sizeof(ser[i].name), "s%ld", first + i);
}

static void luo_test_chain_ok(struct kunit *test)
{
	u64 per = LUO_BLOCK_ENTRIES(struct luo_session_ser);
	struct luo_test_mem *mem = luo_test_mem_new(test);
	long seen = 0;

	KUNIT_ASSERT_EQ(test, per, 51);
	luo_test_fill_sessions(luo_test_block(mem, 0, per, LUO_TEST_PA(3)), 0, per);
	luo_test_fill_sessions(luo_test_block(mem, 3, 2, 0), per, 2);
	KUNIT_EXPECT_EQ(test, luo_chain_walk(&mem->r, LUO_TEST_PA(0),
					     sizeof(struct luo_session_ser),
					     luo_test_count_entry, &seen),
			(long)per + 2);
	KUNIT_EXPECT_EQ(test, seen, (long)per + 2);

	luo_ser_release_all(&mem->r);
	KUNIT_EXPECT_EQ(test, mem->released, 2);
	KUNIT_EXPECT_EQ(test, mem->released_twice, 0);

	seen = 0;
	KUNIT_EXPECT_EQ(test, luo_chain_walk(&mem->r, 0,
					     sizeof(struct luo_session_ser),
					     luo_test_count_entry, &seen), 0);
	KUNIT_EXPECT_EQ(test, seen, 0);
}

/* Walk a fake chain as @owner, then forget the claims. */
static long luo_test_walk(struct luo_test_mem *mem, u64 head, long *seen)
{
	long n;

	n = luo_chain_walk(&mem->r, head, sizeof(struct luo_session_ser),
			   luo_test_count_entry, seen);
	luo_ser_unclaim_all(&mem->r);
	return n;
}

/* Every malformed chain is refused before any entry is visited. */
static void luo_test_chain_bad(struct kunit *test)
{
	u64 per = LUO_BLOCK_ENTRIES(struct luo_session_ser);
	struct luo_test_mem *mem = luo_test_mem_new(test);
	long seen = 0;

	/* Truncated: the second block is not memory of the old kernel. */
	luo_test_block(mem, 0, per, LUO_TEST_PA(LUO_TEST_PAGES));
	KUNIT_EXPECT_EQ(test, luo_test_walk(mem, LUO_TEST_PA(0), &seen), -EINVAL);
	/* Misaligned link. */
	luo_test_block(mem, 0, per, LUO_TEST_PA(1) + 8);
	KUNIT_EXPECT_EQ(test, luo_test_walk(mem, LUO_TEST_PA(0), &seen), -EINVAL);
	/* A loop: 0 -> 1 -> 0. */
	luo_test_block(mem, 0, 1, LUO_TEST_PA(1));
	luo_test_block(mem, 1, 1, LUO_TEST_PA(0));
	KUNIT_EXPECT_EQ(test, luo_test_walk(mem, LUO_TEST_PA(0), &seen), -EINVAL);
	/* A block that points to itself. */
	luo_test_block(mem, 2, 1, LUO_TEST_PA(2));
	KUNIT_EXPECT_EQ(test, luo_test_walk(mem, LUO_TEST_PA(2), &seen), -EINVAL);
	/* More entries than a block holds, and an empty block. */
	luo_test_block(mem, 0, per + 1, 0);
	KUNIT_EXPECT_EQ(test, luo_test_walk(mem, LUO_TEST_PA(0), &seen), -EINVAL);
	luo_test_block(mem, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, luo_test_walk(mem, LUO_TEST_PA(0), &seen), -EINVAL);
	KUNIT_EXPECT_EQ(test, seen, 0);
	KUNIT_EXPECT_EQ(test, mem->released, 0);
}

/*
 * A page may be used once across the handover: a second chain that shares
 * a block with the first is refused, and every page is given back once.
 */
static void luo_test_chain_shared(struct kunit *test)
{
	struct luo_test_mem *mem = luo_test_mem_new(test);
	long seen = 0;

	/* Chain A: 0 -> 1. Chain B: 2 -> 1. */
	luo_test_fill_sessions(luo_test_block(mem, 0, 1, LUO_TEST_PA(1)), 0, 1);
	luo_test_fill_sessions(luo_test_block(mem, 1, 1, 0), 1, 1);
	luo_test_block(mem, 2, 1, LUO_TEST_PA(1));
	mem->r.owner = 1;
	KUNIT_EXPECT_EQ(test, luo_chain_walk(&mem->r, LUO_TEST_PA(0),
					     sizeof(struct luo_session_ser),
					     luo_test_count_entry, &seen), 2);
	mem->r.owner = 2;
	seen = 0;
	KUNIT_EXPECT_EQ(test, luo_chain_walk(&mem->r, LUO_TEST_PA(2),
					     sizeof(struct luo_session_ser),
					     luo_test_count_entry, &seen), -EADDRINUSE);
	KUNIT_EXPECT_EQ(test, seen, 0);
	/* Chain A's head, given as another chain's head. */
	KUNIT_EXPECT_EQ(test, luo_chain_walk(&mem->r, LUO_TEST_PA(0),
					     sizeof(struct luo_session_ser),
					     luo_test_count_entry, &seen), -EADDRINUSE);
	KUNIT_EXPECT_PTR_EQ(test, luo_ser_claim(&mem->r, LUO_TEST_PA(1)),
			    ERR_PTR(-EADDRINUSE));
	KUNIT_EXPECT_EQ(test, PTR_ERR(luo_ser_claim(&mem->r, LUO_TEST_PA(LUO_TEST_PAGES))),
			-EINVAL);

	/* Pages 0, 1 and 2 were claimed: each goes back exactly once. */
	luo_ser_release_all(&mem->r);
	KUNIT_EXPECT_EQ(test, mem->released, 3);
	KUNIT_EXPECT_EQ(test, mem->released_twice, 0);
	luo_ser_release_all(&mem->r);
	KUNIT_EXPECT_EQ(test, mem->released, 3);
}

/* This kernel's own pages, for chains it wrote itself. */
static const void *luo_test_phys_map(struct luo_ser_reader *r, u64 pa)
{
	return phys_to_virt(pa);
}

/* Write a chain with kho_block, as the live update does, and read it back. */
static void luo_test_round_trip(struct kunit *test)
{
	struct kho_block_set bs = KHO_BLOCK_SET_INIT(bs, sizeof(struct luo_session_ser));
	struct luo_ser_reader phys;
	const long n = 3 * 51 + 7;
	struct kho_block_set_it it;
	struct luo_session_ser *ser;
	long i, seen = 0;

	if (!kho_is_enabled())
		kunit_skip(test, "KHO is off");
	KUNIT_ASSERT_EQ(test, kho_block_set_grow(&bs, n), 0);
	KUNIT_EXPECT_EQ(test, bs.nblocks, 4);
	kho_block_set_it_init(&it, &bs);
	for (i = 0; i < n; i++) {
		ser = kho_block_set_it_reserve_entry(&it);
		KUNIT_ASSERT_NOT_NULL(test, ser);
		snprintf(ser->name, sizeof(ser->name), "s%ld", i);
	}

	luo_ser_reader_init(&phys, luo_test_phys_map, NULL);
	KUNIT_EXPECT_EQ(test, luo_chain_walk(&phys, kho_block_set_head_pa(&bs),
					     sizeof(*ser), luo_test_count_entry,
					     &seen), n);
	KUNIT_EXPECT_EQ(test, seen, n);
	luo_ser_unclaim_all(&phys);
	kho_block_set_destroy(&bs);
}

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
	mutex_destroy(&fs.lock);
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
	/* An unterminated handler name, then an unknown handler. */
	memset(f[1].compatible, 'm', sizeof(f[1].compatible));
	KUNIT_EXPECT_EQ(test, luo_test_files(mem, LUO_TEST_PA(0), 2), -EINVAL);
	strscpy(f[1].compatible, "no-such-handler-v1");
	KUNIT_EXPECT_EQ(test, luo_test_files(mem, LUO_TEST_PA(0), 2), -ENOPKG);
	KUNIT_EXPECT_EQ(test, mem->released, 0);
}

/* A handler that preserves nothing, with FLBs that count their calls. */
struct luo_test_counts {
	int preserve, unpreserve;
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

/* A handler without finish is refused, like one without retrieve. */
static const struct liveupdate_file_ops luo_test_file_ops_nofinish = {
	.can_preserve	= luo_test_can_preserve,
	.preserve	= luo_test_file_preserve,
	.unpreserve	= luo_test_file_unpreserve,
	.retrieve	= luo_test_file_preserve,
};

static struct liveupdate_flb luo_test_flbs[2];

static int luo_test_flb_preserve(struct liveupdate_flb_op_args *args)
{
	luo_test_counts[args->flb - luo_test_flbs].preserve++;
	args->obj = args->flb;
	return 0;
}

static void luo_test_flb_unpreserve(struct liveupdate_flb_op_args *args)
{
	luo_test_counts[args->flb - luo_test_flbs].unpreserve++;
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
	scoped_guard(rwsem_read, &luo_register_rwlock) {
		KUNIT_EXPECT_EQ(test, luo_flb_file_preserve(&luo_test_fh[0], &deps[0]), 0);
		KUNIT_EXPECT_EQ(test, luo_flb_file_preserve(&luo_test_fh[1], &deps[1]), 0);
		KUNIT_EXPECT_EQ(test, luo_flb_file_preserve(&luo_test_fh[1], &deps[2]), 0);
	}
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
		KUNIT_EXPECT_FALSE(test, luo_file_handler_registered(&luo_test_fh[0]));
		KUNIT_EXPECT_FALSE(test, luo_file_handler_registered(&luo_test_fh[1]));
	}
	/* Unregistering twice is harmless. */
	liveupdate_unregister_file_handler(&luo_test_fh[0]);
	liveupdate_unregister_flb(&luo_test_fh[0], &luo_test_flbs[0]);
}

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
	scoped_guard(rwsem_read, &luo_register_rwlock)
		KUNIT_ASSERT_EQ(test, luo_flb_file_preserve(&luo_test_fh[0], &deps), 0);

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

	liveupdate_unregister_file_handler(&luo_test_fh[0]);
}

static struct kunit_case luo_test_cases[] = {
	KUNIT_CASE(luo_test_names),
	KUNIT_CASE(luo_test_chain_ok),
	KUNIT_CASE(luo_test_chain_bad),
	KUNIT_CASE(luo_test_chain_shared),
	KUNIT_CASE(luo_test_round_trip),
	KUNIT_CASE(luo_test_flb_page),
	KUNIT_CASE(luo_test_file_set_bad),
	KUNIT_CASE(luo_test_flb_refcounts),
	KUNIT_CASE(luo_test_flb_get_put),
	{}
};

static struct kunit_suite luo_test_suite = {
	.name = "liveupdate",
	.test_cases = luo_test_cases,
};

kunit_test_suite(luo_test_suite);

MODULE_DESCRIPTION("KUnit tests of the Live Update Orchestrator");
MODULE_LICENSE("GPL");
