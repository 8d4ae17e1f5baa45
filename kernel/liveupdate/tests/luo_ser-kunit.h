/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of the handover reader: chains on good and corrupt input,
 * pages shared by two chains, a round trip through kho_block.
 *
 * Included at the end of luo_ser.c, so that it can test the file's static
 * functions too.
 */
#ifndef _LUO_SER_KUNIT_H
#define _LUO_SER_KUNIT_H

#include <kunit/test.h>
#include <linux/kexec_handover.h>

#include "luo_test_mem.h"

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

/* Count every entry the walk hands over, whatever it holds. */
static int luo_test_visit(const void *entry, void *arg)
{
	long *visits = arg;

	(*visits)++;
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

/* Walk a fake chain, counting the entries visited, then forget the claims. */
static long luo_test_walk(struct luo_test_mem *mem, u64 head, long *visits)
{
	long n;

	n = luo_chain_walk(&mem->r, head, sizeof(struct luo_session_ser),
			   luo_test_visit, visits);
	luo_ser_unclaim_all(&mem->r);
	return n;
}

/* Every malformed chain is refused before any entry is visited. */
static void luo_test_chain_bad(struct kunit *test)
{
	u64 per = LUO_BLOCK_ENTRIES(struct luo_session_ser);
	struct luo_test_mem *mem = luo_test_mem_new(test);
	long visits = 0;

	/* Truncated: the second block is not memory of the old kernel. */
	luo_test_block(mem, 0, per, LUO_TEST_PA(LUO_TEST_PAGES));
	KUNIT_EXPECT_EQ(test, luo_test_walk(mem, LUO_TEST_PA(0), &visits), -EINVAL);
	/* Misaligned link. */
	luo_test_block(mem, 0, per, LUO_TEST_PA(1) + 8);
	KUNIT_EXPECT_EQ(test, luo_test_walk(mem, LUO_TEST_PA(0), &visits), -EINVAL);
	/* A loop: 0 -> 1 -> 0. */
	luo_test_block(mem, 0, 1, LUO_TEST_PA(1));
	luo_test_block(mem, 1, 1, LUO_TEST_PA(0));
	KUNIT_EXPECT_EQ(test, luo_test_walk(mem, LUO_TEST_PA(0), &visits), -EINVAL);
	/* A block that points to itself. */
	luo_test_block(mem, 2, 1, LUO_TEST_PA(2));
	KUNIT_EXPECT_EQ(test, luo_test_walk(mem, LUO_TEST_PA(2), &visits), -EINVAL);
	/* More entries than a block holds, and an empty block. */
	luo_test_block(mem, 0, per + 1, 0);
	KUNIT_EXPECT_EQ(test, luo_test_walk(mem, LUO_TEST_PA(0), &visits), -EINVAL);
	luo_test_block(mem, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, luo_test_walk(mem, LUO_TEST_PA(0), &visits), -EINVAL);
	KUNIT_EXPECT_EQ(test, visits, 0);
	KUNIT_EXPECT_EQ(test, mem->released, 0);
}

/*
 * A page may be used once across the handover: a second chain that shares
 * a block with the first is refused, and every page is given back once.
 */
static void luo_test_chain_shared(struct kunit *test)
{
	struct luo_test_mem *mem = luo_test_mem_new(test);
	long visits = 0;

	/* Chain A: 0 -> 1. Chain B: 2 -> 1. */
	luo_test_fill_sessions(luo_test_block(mem, 0, 1, LUO_TEST_PA(1)), 0, 1);
	luo_test_fill_sessions(luo_test_block(mem, 1, 1, 0), 1, 1);
	luo_test_block(mem, 2, 1, LUO_TEST_PA(1));
	mem->r.owner = 1;
	KUNIT_EXPECT_EQ(test, luo_chain_walk(&mem->r, LUO_TEST_PA(0),
					     sizeof(struct luo_session_ser),
					     luo_test_visit, &visits), 2);
	KUNIT_EXPECT_EQ(test, visits, 2);
	/* Refused before any of its entries is visited. */
	mem->r.owner = 2;
	visits = 0;
	KUNIT_EXPECT_EQ(test, luo_chain_walk(&mem->r, LUO_TEST_PA(2),
					     sizeof(struct luo_session_ser),
					     luo_test_visit, &visits), -EADDRINUSE);
	KUNIT_EXPECT_EQ(test, visits, 0);
	/* Chain A's head, given as another chain's head. */
	KUNIT_EXPECT_EQ(test, luo_chain_walk(&mem->r, LUO_TEST_PA(0),
					     sizeof(struct luo_session_ser),
					     luo_test_visit, &visits), -EADDRINUSE);
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

static struct kunit_case luo_ser_test_cases[] = {
	KUNIT_CASE(luo_test_chain_ok),
	KUNIT_CASE(luo_test_chain_bad),
	KUNIT_CASE(luo_test_chain_shared),
	KUNIT_CASE(luo_test_round_trip),
	{}
};

static struct kunit_suite luo_ser_test_suite = {
	.name = "liveupdate_ser",
	.test_cases = luo_ser_test_cases,
};

kunit_test_suite(luo_ser_test_suite);

#endif /* _LUO_SER_KUNIT_H */
