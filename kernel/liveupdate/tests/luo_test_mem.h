/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fake "previous kernel" of LUO's KUnit tests: a reader over plain
 * buffers, so that malformed state can be fed to the real parsers.
 *
 * Shared by the tests of luo_ser.c, luo_file.c and luo_flb.c.
 */
#ifndef _LUO_TEST_MEM_H
#define _LUO_TEST_MEM_H

#include <kunit/test.h>
#include <linux/slab.h>

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

static inline struct luo_test_mem *luo_test_mem_new(struct kunit *test)
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
static inline void *luo_test_block(struct luo_test_mem *mem, int i,
				   u64 count, u64 next)
{
	struct kho_block_header_ser *hdr = mem->page[i];

	hdr->count = count;
	hdr->next = next;
	return hdr + 1;
}

#endif /* _LUO_TEST_MEM_H */
