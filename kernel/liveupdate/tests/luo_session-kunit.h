/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of sessions: name checks.
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

static struct kunit_case luo_session_test_cases[] = {
	KUNIT_CASE(luo_test_names),
	{}
};

static struct kunit_suite luo_session_test_suite = {
	.name = "liveupdate_session",
	.test_cases = luo_session_test_cases,
};

kunit_test_suite(luo_session_test_suite);

#endif /* _LUO_SESSION_KUNIT_H */
