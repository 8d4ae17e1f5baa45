// SPDX-License-Identifier: GPL-2.0
/*
 * Two live-update handlers whose files depend on each other, for the tests
 * of LUO's calls for dependent files.
 *
 * They preserve files of luo_test_ftype.ko. A file that depends on no other
 * is a parent ("luo-test-parent-v1"); one that depends on another
 * (LUO_TEST_FTYPE_LINK) is a child ("luo-test-child-v1"). A child looks its
 * parent up in its own session when it freezes
 * (liveupdate_get_token_outgoing()) and records the parent's token; its
 * freeze fails if the parent is not preserved there. After the kexec, its
 * retrieve gets the parent back (liveupdate_get_file_incoming()), which
 * retrieves the parent first if userspace has not, and the new child
 * depends on it.
 *
 * Handles: a parent's is its value; a child's is its value in the low 32
 * bits and its parent's token above them (the tests use small numbers).
 *
 * Every callback appends a word "OP:KVALUE" to the text in
 * /sys/kernel/debug/luo_test_deps/log: OP is P preserve, U unpreserve,
 * F freeze, Z unfreeze, R retrieve, C can_finish, X finish; K is p for a
 * parent, c for a child; VALUE is the file's value in hex. Writing to the
 * file empties it. The tests read the order of the calls there.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/liveupdate.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>

#include "luo_test_ftype.h"

#define LUO_TEST_DEPS_LOG	4096

static DEFINE_MUTEX(luo_test_deps_lock);	/* callbacks run in parallel */
static char luo_test_deps_log[LUO_TEST_DEPS_LOG];
static size_t luo_test_deps_len;
static struct dentry *luo_test_deps_dir;

static void luo_test_deps_note(char op, char kind, u64 value)
{
	guard(mutex)(&luo_test_deps_lock);
	luo_test_deps_len += scnprintf(luo_test_deps_log + luo_test_deps_len,
				       LUO_TEST_DEPS_LOG - luo_test_deps_len,
				       "%s%c:%c%llx", luo_test_deps_len ? " " : "",
				       op, kind, value);
}

/* The value a child's or a parent's handle carries. */
static u64 luo_test_deps_value(u64 data)
{
	return data & 0xffffffff;
}

/* Parents */

static bool luo_test_parent_can_preserve(struct liveupdate_file_handler *fh,
					 struct file *file)
{
	return luo_test_ftype_is_file(file) && !luo_test_ftype_link(file);
}

static int luo_test_parent_preserve(struct liveupdate_file_op_args *args)
{
	args->serialized_data = luo_test_ftype_value(args->file);
	luo_test_deps_note('P', 'p', args->serialized_data);
	return 0;
}

static void luo_test_parent_unpreserve(struct liveupdate_file_op_args *args)
{
	luo_test_deps_note('U', 'p', args->serialized_data);
}

static int luo_test_parent_freeze(struct liveupdate_file_op_args *args)
{
	luo_test_deps_note('F', 'p', args->serialized_data);
	return 0;
}

static void luo_test_parent_unfreeze(struct liveupdate_file_op_args *args)
{
	luo_test_deps_note('Z', 'p', args->serialized_data);
}

static int luo_test_parent_retrieve(struct liveupdate_file_op_args *args)
{
	struct file *file;

	luo_test_deps_note('R', 'p', args->serialized_data);
	file = luo_test_ftype_new_file(args->serialized_data);
	if (IS_ERR(file))
		return PTR_ERR(file);
	args->file = file;
	return 0;
}

static bool luo_test_parent_can_finish(struct liveupdate_file_op_args *args)
{
	luo_test_deps_note('C', 'p', args->serialized_data);
	return true;
}

static void luo_test_parent_finish(struct liveupdate_file_op_args *args)
{
	luo_test_deps_note('X', 'p', args->serialized_data);
}

static const struct liveupdate_file_ops luo_test_parent_ops = {
	.can_preserve	= luo_test_parent_can_preserve,
	.preserve	= luo_test_parent_preserve,
	.unpreserve	= luo_test_parent_unpreserve,
	.freeze		= luo_test_parent_freeze,
	.unfreeze	= luo_test_parent_unfreeze,
	.retrieve	= luo_test_parent_retrieve,
	.can_finish	= luo_test_parent_can_finish,
	.finish		= luo_test_parent_finish,
	.owner		= THIS_MODULE,
};

static struct liveupdate_file_handler luo_test_parent_fh = {
	.ops		= &luo_test_parent_ops,
	.compatible	= "luo-test-parent-v1",
};

LIVEUPDATE_RECORD_ENTRY(parent, "luo-test-parent-v1");

/* Children */

static bool luo_test_child_can_preserve(struct liveupdate_file_handler *fh,
					struct file *file)
{
	return luo_test_ftype_is_file(file) && luo_test_ftype_link(file);
}

static int luo_test_child_preserve(struct liveupdate_file_op_args *args)
{
	args->serialized_data = luo_test_ftype_value(args->file) & 0xffffffff;
	luo_test_deps_note('P', 'c', args->serialized_data);
	return 0;
}

static void luo_test_child_unpreserve(struct liveupdate_file_op_args *args)
{
	luo_test_deps_note('U', 'c', luo_test_deps_value(args->serialized_data));
}

/* Record the parent's token; fail if the parent is not in the session. */
static int luo_test_child_freeze(struct liveupdate_file_op_args *args)
{
	u64 value = luo_test_deps_value(args->serialized_data);
	struct file *parent = luo_test_ftype_link(args->file);
	u64 token;
	int err;

	luo_test_deps_note('F', 'c', value);
	err = liveupdate_get_token_outgoing(args->session, parent, &token);
	if (err) {
		pr_warn("child %llx: its parent is not preserved in session '%s': %d\n",
			value, liveupdate_session_name(args->session), err);
		return err;
	}
	args->serialized_data = token << 32 | value;
	return 0;
}

static void luo_test_child_unfreeze(struct liveupdate_file_op_args *args)
{
	luo_test_deps_note('Z', 'c', luo_test_deps_value(args->serialized_data));
}

static int luo_test_child_retrieve(struct liveupdate_file_op_args *args)
{
	u64 value = luo_test_deps_value(args->serialized_data);
	struct file *parent, *file;
	int err;

	luo_test_deps_note('R', 'c', value);
	err = liveupdate_get_file_incoming(args->session,
					   args->serialized_data >> 32, &parent);
	if (err) {
		pr_warn("child %llx: no parent in session '%s': %d\n", value,
			liveupdate_session_name(args->session), err);
		return err;
	}
	/* The new child keeps the reference on its parent. */
	file = luo_test_ftype_new_linked(value, parent);
	if (IS_ERR(file))
		return PTR_ERR(file);
	args->file = file;
	return 0;
}

static bool luo_test_child_can_finish(struct liveupdate_file_op_args *args)
{
	luo_test_deps_note('C', 'c', luo_test_deps_value(args->serialized_data));
	return true;
}

static void luo_test_child_finish(struct liveupdate_file_op_args *args)
{
	luo_test_deps_note('X', 'c', luo_test_deps_value(args->serialized_data));
}

static const struct liveupdate_file_ops luo_test_child_ops = {
	.can_preserve	= luo_test_child_can_preserve,
	.preserve	= luo_test_child_preserve,
	.unpreserve	= luo_test_child_unpreserve,
	.freeze		= luo_test_child_freeze,
	.unfreeze	= luo_test_child_unfreeze,
	.retrieve	= luo_test_child_retrieve,
	.can_finish	= luo_test_child_can_finish,
	.finish		= luo_test_child_finish,
	.owner		= THIS_MODULE,
};

static struct liveupdate_file_handler luo_test_child_fh = {
	.ops		= &luo_test_child_ops,
	.compatible	= "luo-test-child-v1",
};

LIVEUPDATE_RECORD_ENTRY(child, "luo-test-child-v1");

/* The log */

static int luo_test_deps_log_show(struct seq_file *m, void *v)
{
	guard(mutex)(&luo_test_deps_lock);
	seq_printf(m, "%s\n", luo_test_deps_log);
	return 0;
}

static int luo_test_deps_log_open(struct inode *inode, struct file *file)
{
	return single_open(file, luo_test_deps_log_show, NULL);
}

static ssize_t luo_test_deps_log_write(struct file *file,
				       const char __user *ubuf, size_t len,
				       loff_t *ppos)
{
	guard(mutex)(&luo_test_deps_lock);
	luo_test_deps_log[0] = '\0';
	luo_test_deps_len = 0;
	return len;
}

static const struct file_operations luo_test_deps_log_fops = {
	.owner		= THIS_MODULE,
	.open		= luo_test_deps_log_open,
	.read		= seq_read,
	.write		= luo_test_deps_log_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static int __init luo_test_deps_init(void)
{
	int err;

	err = liveupdate_register_file_handler(&luo_test_parent_fh);
	if (err)
		return err;
	err = liveupdate_register_file_handler(&luo_test_child_fh);
	if (err) {
		liveupdate_unregister_file_handler(&luo_test_parent_fh);
		return err;
	}
	luo_test_deps_dir = debugfs_create_dir("luo_test_deps", NULL);
	debugfs_create_file("log", 0600, luo_test_deps_dir, NULL,
			    &luo_test_deps_log_fops);
	return 0;
}
module_init(luo_test_deps_init);

static void __exit luo_test_deps_exit(void)
{
	debugfs_remove(luo_test_deps_dir);
	liveupdate_unregister_file_handler(&luo_test_child_fh);
	liveupdate_unregister_file_handler(&luo_test_parent_fh);
}
module_exit(luo_test_deps_exit);

MODULE_DESCRIPTION("Live-update handlers of files that depend on each other, for the LUO tests");
MODULE_LICENSE("GPL");
