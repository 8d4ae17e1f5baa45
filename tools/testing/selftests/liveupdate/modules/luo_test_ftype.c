// SPDX-License-Identifier: GPL-2.0
/*
 * A file type of its own for the LUO module tests.
 *
 * It lives in a module apart from the live-update handler on purpose: an
 * open file pins the module of its file operations, so a handler in the
 * same module would be pinned by the preserved file itself and a test could
 * not tell whether LUO pins it. With the handler in luo_test_handler.ko,
 * only LUO holds references on that module.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "luo_test_ftype.h"

/* What one open file holds: a value, and the file it depends on. */
struct luo_test_ftype_file {
	u64 value;
	struct file *link;
};

static ssize_t luo_test_ftype_read(struct file *file, char __user *buf,
				   size_t len, loff_t *pos)
{
	struct luo_test_ftype_file *tf = file->private_data;

	if (len < sizeof(tf->value))
		return -EINVAL;
	if (copy_to_user(buf, &tf->value, sizeof(tf->value)))
		return -EFAULT;
	return sizeof(tf->value);
}

static ssize_t luo_test_ftype_write(struct file *file, const char __user *buf,
				    size_t len, loff_t *pos)
{
	struct luo_test_ftype_file *tf = file->private_data;
	u64 value;

	if (len != sizeof(value))
		return -EINVAL;
	if (copy_from_user(&value, buf, sizeof(value)))
		return -EFAULT;
	WRITE_ONCE(tf->value, value);
	return sizeof(value);
}

static int luo_test_ftype_open(struct inode *inode, struct file *file)
{
	struct luo_test_ftype_file *tf = kzalloc(sizeof(*tf), GFP_KERNEL);

	if (!tf)
		return -ENOMEM;
	file->private_data = tf;
	return 0;
}

static int luo_test_ftype_release(struct inode *inode, struct file *file)
{
	struct luo_test_ftype_file *tf = file->private_data;

	if (tf->link)
		fput(tf->link);
	kfree(tf);
	return 0;
}

static const struct file_operations luo_test_ftype_fops;

/* Make @file depend on the file of @fd, once. */
static long luo_test_ftype_set_link(struct file *file, int fd)
{
	struct luo_test_ftype_file *tf = file->private_data;
	struct file *link = fget(fd);

	if (!link)
		return -EBADF;
	if (link->f_op != &luo_test_ftype_fops || link == file) {
		fput(link);
		return -EINVAL;
	}
	if (cmpxchg(&tf->link, NULL, link)) {
		fput(link);
		return -EBUSY;
	}
	return 0;
}

static long luo_test_ftype_ioctl(struct file *file, unsigned int cmd,
				 unsigned long arg)
{
	struct luo_test_ftype_file *tf = file->private_data;
	struct file *link = READ_ONCE(tf->link);
	u64 value;

	switch (cmd) {
	case LUO_TEST_FTYPE_LINK:
		return luo_test_ftype_set_link(file, (int)arg);
	case LUO_TEST_FTYPE_LINK_VALUE:
		if (!link)
			return -ENOENT;
		value = luo_test_ftype_value(link);
		return copy_to_user((void __user *)arg, &value, sizeof(value)) ?
		       -EFAULT : 0;
	}
	return -ENOTTY;
}

static const struct file_operations luo_test_ftype_fops = {
	.owner		= THIS_MODULE,
	.open		= luo_test_ftype_open,
	.release	= luo_test_ftype_release,
	.read		= luo_test_ftype_read,
	.write		= luo_test_ftype_write,
	.unlocked_ioctl	= luo_test_ftype_ioctl,
};

/**
 * luo_test_ftype_is_file - Whether @file is of this file type.
 * @file: Any file.
 *
 * Return: true if @file was opened from /dev/luo_test_ftype or made by
 * luo_test_ftype_new_file().
 */
bool luo_test_ftype_is_file(struct file *file)
{
	return file->f_op == &luo_test_ftype_fops;
}
EXPORT_SYMBOL_GPL(luo_test_ftype_is_file);

/**
 * luo_test_ftype_value - The value a file of this type holds.
 * @file: A file for which luo_test_ftype_is_file() is true.
 *
 * Return: the value.
 */
u64 luo_test_ftype_value(struct file *file)
{
	struct luo_test_ftype_file *tf = file->private_data;

	return READ_ONCE(tf->value);
}
EXPORT_SYMBOL_GPL(luo_test_ftype_value);

/**
 * luo_test_ftype_new_file - Make a file of this type that holds @value.
 * @value: Its value.
 *
 * Return: the file, or an ERR_PTR().
 */
struct file *luo_test_ftype_new_file(u64 value)
{
	struct luo_test_ftype_file *tf = kzalloc(sizeof(*tf), GFP_KERNEL);
	struct file *file;

	if (!tf)
		return ERR_PTR(-ENOMEM);
	tf->value = value;
	file = anon_inode_getfile("[luo_test_ftype]", &luo_test_ftype_fops, tf,
				  O_RDWR);
	if (IS_ERR(file))
		kfree(tf);
	return file;
}
EXPORT_SYMBOL_GPL(luo_test_ftype_new_file);

/**
 * luo_test_ftype_link - The file @file depends on.
 * @file: A file for which luo_test_ftype_is_file() is true.
 *
 * Return: the file, without a reference of the caller's; or NULL.
 */
struct file *luo_test_ftype_link(struct file *file)
{
	struct luo_test_ftype_file *tf = file->private_data;

	return READ_ONCE(tf->link);
}
EXPORT_SYMBOL_GPL(luo_test_ftype_link);

/**
 * luo_test_ftype_new_linked - Make a file that holds @value and depends on @link.
 * @value: Its value.
 * @link:  The file it depends on; the new file takes over the caller's
 *         reference, also on failure.
 *
 * Return: the file, or an ERR_PTR().
 */
struct file *luo_test_ftype_new_linked(u64 value, struct file *link)
{
	struct file *file = luo_test_ftype_new_file(value);
	struct luo_test_ftype_file *tf;

	if (IS_ERR(file)) {
		fput(link);
		return file;
	}
	tf = file->private_data;
	tf->link = link;
	return file;
}
EXPORT_SYMBOL_GPL(luo_test_ftype_new_linked);

static struct miscdevice luo_test_ftype_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "luo_test_ftype",
	.fops	= &luo_test_ftype_fops,
	.mode	= 0600,
};

static int __init luo_test_ftype_init(void)
{
	return misc_register(&luo_test_ftype_dev);
}
module_init(luo_test_ftype_init);

static void __exit luo_test_ftype_exit(void)
{
	misc_deregister(&luo_test_ftype_dev);
}
module_exit(luo_test_ftype_exit);

MODULE_DESCRIPTION("A file type for the Live Update Orchestrator module tests");
MODULE_LICENSE("GPL");
