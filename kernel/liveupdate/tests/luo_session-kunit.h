/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of sessions: name checks, the lookups for dependent files.
 *
 * Included at the end of luo_session.c, so that it can test the file's static
 * functions too.
 */
#ifndef _LUO_SESSION_KUNIT_H
#define _LUO_SESSION_KUNIT_H

#include <kunit/test.h>

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

static const struct file_operations luo_test_session_fops = {
	.owner = THIS_MODULE,
};

/*
 * The lookups for files that depend on each other, on two sessions that
 * are in no set's list, each with file 1 of the dependency handler: each
 * call finds its own direction's file; the other direction, a session
 * without files and a file that is not in the session are -ENOENT; a
 * missing argument is -EINVAL.
 */
static void luo_test_lookups(struct kunit *test)
{
	struct liveupdate_session *out, *in;
	struct file *file, *mine, *got;
	struct luo_file_set *fs;
	u64 token = 0;

	if (!liveupdate_enabled())
		kunit_skip(test, "live update is off");
	file = anon_inode_getfile("[luo-kunit]", &luo_test_session_fops, NULL,
				  O_RDONLY);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	out = luo_session_alloc("kunit-out", LUO_SESSION_OUTGOING);
	in = luo_session_alloc("kunit-in", LUO_SESSION_WAITING);
	KUNIT_ASSERT_NOT_NULL(test, out);
	KUNIT_ASSERT_NOT_NULL(test, in);

	KUNIT_EXPECT_STREQ(test, liveupdate_session_name(out), "kunit-out");
	KUNIT_EXPECT_EQ(test, liveupdate_get_token_outgoing(out, file, &token), -ENOENT);
	KUNIT_EXPECT_EQ(test, liveupdate_get_file_incoming(in, 1, &got), -ENOENT);
	KUNIT_EXPECT_EQ(test, liveupdate_get_token_outgoing(NULL, file, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, liveupdate_get_token_outgoing(out, NULL, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, liveupdate_get_file_incoming(NULL, 1, &got), -EINVAL);
	KUNIT_EXPECT_EQ(test, liveupdate_get_file_incoming(in, 1, NULL), -EINVAL);

	/* Outgoing: found by file; never retrieved as if it were incoming. */
	fs = luo_session_files_get(out);
	KUNIT_ASSERT_NOT_NULL(test, fs);
	KUNIT_EXPECT_PTR_EQ(test, luo_session_files_get(out), fs);
	mutex_lock(&fs->lock);
	mine = luo_test_file_add(test, fs, 1, true);
	KUNIT_EXPECT_EQ(test, liveupdate_get_token_outgoing(out, mine, &token), 0);
	KUNIT_EXPECT_EQ(test, token, 1);
	KUNIT_EXPECT_EQ(test, liveupdate_get_token_outgoing(out, file, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, liveupdate_get_file_incoming(out, 1, &got), -ENOENT);
	luo_file_unpreserve_all(fs);
	mutex_unlock(&fs->lock);

	/* Incoming: retrieved by token; its file is not an outgoing one. */
	fs = luo_session_files_get(in);
	KUNIT_ASSERT_NOT_NULL(test, fs);
	mutex_lock(&fs->lock);
	luo_test_file_add(test, fs, 1, false);
	KUNIT_EXPECT_EQ(test, liveupdate_get_file_incoming(in, 2, &got), -ENOENT);
	KUNIT_ASSERT_EQ(test, liveupdate_get_file_incoming(in, 1, &got), 0);
	KUNIT_EXPECT_EQ(test, liveupdate_get_token_outgoing(in, got, NULL), -ENOENT);
	fput(got);
	KUNIT_EXPECT_EQ(test, luo_file_finish_all(fs, "kunit-in"), 0);
	mutex_unlock(&fs->lock);

	luo_session_free(out);
	luo_session_free(in);
	fput(file);
}

static struct kunit_case luo_session_test_cases[] = {
	KUNIT_CASE(luo_test_names),
	KUNIT_CASE(luo_test_lookups),
	{}
};

static struct kunit_suite luo_session_test_suite = {
	.name = "liveupdate_session",
	.test_cases = luo_session_test_cases,
};

kunit_test_suite(luo_session_test_suite);

#endif /* _LUO_SESSION_KUNIT_H */
