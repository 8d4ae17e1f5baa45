/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of the target record: the parser on good, malformed and
 * oversized records, what a target accepts, and this kernel's own record
 * against its registry.
 *
 * Included at the end of luo_target.c, so that it can test the file's
 * static functions too.
 */
#ifndef _LUO_TARGET_KUNIT_H
#define _LUO_TARGET_KUNIT_H

#include <kunit/test.h>

/* A record of @n entries named "fmt-0", "fmt-1", ... in a new buffer. */
static void *luo_test_record(struct kunit *test, size_t n, size_t *lenp)
{
	struct liveupdate_record_header *hdr;
	struct liveupdate_record_entry *e;
	size_t i, len = sizeof(*hdr) + n * sizeof(*e);

	hdr = kunit_kzalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, hdr);
	hdr->magic = LIVEUPDATE_RECORD_MAGIC;
	hdr->version = LIVEUPDATE_RECORD_VERSION;
	e = (void *)(hdr + 1);
	for (i = 0; i < n; i++) {
		snprintf(e[i].name, sizeof(e[i].name), "fmt-%zu", i);
		e[i].supported = LIVEUPDATE_FEATURE_BASE;
		e[i].active = LIVEUPDATE_FEATURE_BASE;
	}
	*lenp = len;
	return hdr;
}

/* The errno luo_target_parse() gives @buf, 0 on success. */
static int luo_test_parse(const void *buf, size_t len)
{
	struct luo_target *t = luo_target_parse(buf, len);

	if (IS_ERR(t))
		return PTR_ERR(t);
	luo_target_free(t);
	return 0;
}

static void luo_test_target_parse(struct kunit *test)
{
	struct liveupdate_record_header *hdr;
	struct liveupdate_record_entry *e;
	size_t len;

	hdr = luo_test_record(test, 3, &len);
	e = (void *)(hdr + 1);
	KUNIT_EXPECT_EQ(test, luo_test_parse(hdr, len), 0);
	KUNIT_EXPECT_EQ(test, luo_test_parse(hdr, sizeof(*hdr)), 0);
	KUNIT_EXPECT_EQ(test, luo_test_parse(hdr, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, luo_test_parse(hdr, sizeof(*hdr) - 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, luo_test_parse(hdr, len - 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, luo_test_parse(hdr, LIVEUPDATE_RECORD_MAX + 8),
			-E2BIG);

	hdr->magic = 0x4c565551;
	KUNIT_EXPECT_EQ(test, luo_test_parse(hdr, len), -EINVAL);
	hdr->magic = LIVEUPDATE_RECORD_MAGIC;
	hdr->version = 2;
	KUNIT_EXPECT_EQ(test, luo_test_parse(hdr, len), -EINVAL);
	hdr->version = LIVEUPDATE_RECORD_VERSION;

	/* An unterminated name, then an empty one. */
	memset(e[1].name, 'x', sizeof(e[1].name));
	KUNIT_EXPECT_EQ(test, luo_test_parse(hdr, len), -EINVAL);
	memset(e[1].name, 0, sizeof(e[1].name));
	KUNIT_EXPECT_EQ(test, luo_test_parse(hdr, len), -EINVAL);
	strscpy(e[1].name, "fmt-1");
	KUNIT_EXPECT_EQ(test, luo_test_parse(hdr, len), 0);
}

static void luo_test_target_accepts(struct kunit *test)
{
	struct liveupdate_record_entry *e;
	struct luo_target *t;
	size_t len;
	void *buf;

	buf = luo_test_record(test, 3, &len);
	e = buf + sizeof(struct liveupdate_record_header);
	/* fmt-1 requires a feature this kernel does not write. */
	e[1].required = BIT_ULL(5);
	/* fmt-2 does not read the base format. */
	e[2].supported = BIT_ULL(1);
	t = luo_target_parse(buf, len);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	KUNIT_EXPECT_TRUE(test, luo_target_has(t, "fmt-0"));
	KUNIT_EXPECT_FALSE(test, luo_target_has(t, "fmt-1"));
	KUNIT_EXPECT_FALSE(test, luo_target_has(t, "fmt-2"));
	KUNIT_EXPECT_FALSE(test, luo_target_has(t, "fmt-3"));
	KUNIT_EXPECT_FALSE(test, luo_target_has(t, "fmt"));
	luo_target_free(t);
}

/* Every built-in handler and FLB registered is in the image's record. */
static void luo_test_target_own_record(struct kunit *test)
{
	if (!liveupdate_enabled())
		kunit_skip(test, "live update is off");
	KUNIT_EXPECT_TRUE(test, luo_record_has(LUO_ABI_COMPATIBLE));
	KUNIT_EXPECT_TRUE(test, luo_record_has(LUO_PHASES_COMPATIBLE));
	KUNIT_EXPECT_FALSE(test, luo_record_has("no-such-format-v1"));
	KUNIT_EXPECT_EQ(test, luo_file_check_record(), 0);
}

static struct kunit_case luo_target_test_cases[] = {
	KUNIT_CASE(luo_test_target_parse),
	KUNIT_CASE(luo_test_target_accepts),
	KUNIT_CASE(luo_test_target_own_record),
	{}
};

static struct kunit_suite luo_target_test_suite = {
	.name = "liveupdate_target",
	.test_cases = luo_target_test_cases,
};

kunit_test_suite(luo_target_test_suite);

#endif /* _LUO_TARGET_KUNIT_H */
