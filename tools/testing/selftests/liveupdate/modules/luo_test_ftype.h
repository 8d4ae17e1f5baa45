/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The file type of the LUO module tests (luo_test_ftype.ko): every open of
 * /dev/luo_test_ftype is a file that holds one 64-bit value, set by write()
 * and read back by read(). luo_test_handler.ko preserves such files.
 */
#ifndef LUO_TEST_FTYPE_H
#define LUO_TEST_FTYPE_H

#include <linux/types.h>

struct file;

bool luo_test_ftype_is_file(struct file *file);
u64 luo_test_ftype_value(struct file *file);
struct file *luo_test_ftype_new_file(u64 value);

#endif /* LUO_TEST_FTYPE_H */
