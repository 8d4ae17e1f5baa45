/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The file type of the LUO module tests (luo_test_ftype.ko): every open of
 * /dev/luo_test_ftype is a file that holds one 64-bit value, set by write()
 * and read back by read(). luo_test_handler.ko preserves such files.
 *
 * A file may depend on another of the type (luo_test_deps.ko preserves
 * such pairs): the ioctl LUO_TEST_FTYPE_LINK with the other file's fd
 * makes it depend on that file, which it keeps a reference on, and
 * LUO_TEST_FTYPE_LINK_VALUE reads the value of the file it depends on.
 */
#ifndef LUO_TEST_FTYPE_H
#define LUO_TEST_FTYPE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define LUO_TEST_FTYPE_LINK		_IO('L', 0x70)
#define LUO_TEST_FTYPE_LINK_VALUE	_IOR('L', 0x71, __u64)

struct file;

bool luo_test_ftype_is_file(struct file *file);
u64 luo_test_ftype_value(struct file *file);
struct file *luo_test_ftype_new_file(u64 value);
struct file *luo_test_ftype_link(struct file *file);
struct file *luo_test_ftype_new_linked(u64 value, struct file *link);

#endif /* LUO_TEST_FTYPE_H */
