// SPDX-License-Identifier: GPL-2.0
/*
 * A loadable live-update handler and FLB for the LUO module tests.
 *
 * The handler "luo-test-handler-v1" preserves files of luo_test_ftype.ko:
 * a file's handle is the value it holds. The FLB "luo-test-flb-v1" serves
 * the handler: its handle is one KHO-preserved page that carries a magic
 * number and the module parameter @cookie of the kernel that preserved it.
 *
 * Every callback is counted, and the counts are in
 * /sys/kernel/debug/luo_test/stats as "name value" lines, together with the
 * cookie that the FLB retrieved in this kernel (in_cookie) and whether that
 * page was intact (in_ok). The selftests read them to prove how often LUO
 * runs each callback and that the module is pinned only while used.
 *
 * Writing "get" to /sys/kernel/debug/luo_test/flb_hold takes a reference
 * on the incoming FLB with liveupdate_flb_get_incoming() and keeps it;
 * writing "put" drops every kept reference from a workqueue, i.e. from
 * another context than the get's. Between the two, LUO must not finish the
 * FLB, and must keep this module pinned.
 *
 * Writing anything to /sys/kernel/debug/luo_test/flb_unregister detaches
 * the FLB from the handler (liveupdate_unregister_flb()) while the module
 * stays loaded: files preserved before still depend on it, so LUO must hand
 * it over all the same.
 *
 * Writing anything to /sys/kernel/debug/luo_test/flb_register_other
 * attaches another FLB object under the same compatible string to the
 * handler; the write fails with what liveupdate_register_flb() returned.
 * While files depend on the first FLB, LUO must refuse it (-EEXIST).
 *
 * The module parameter @init_fail (milliseconds) makes the init register
 * the handler and its FLB, wait that long, then unregister them and fail,
 * as a driver whose probe fails late does: a file bound meanwhile would
 * keep a handler whose module the loader frees.
 *
 * The exit function unregisters the handler only: LUO must unregister the
 * FLB with it, which the tests check in LUO's debugfs registry.
 *
 * The module parameter @fail_freeze (writable in sysfs) makes a freeze
 * fail on demand, so that the tests can cancel a live update half-way
 * through liveupdate_reboot() and check that LUO unfreezes everything.
 *
 * The module parameters @finish_block, @freeze_block and @preserve_block
 * (writable in sysfs) make that callback slow on demand: while one is
 * N > 0, every call of its callback waits until it is released, by a write
 * to /sys/kernel/debug/luo_test/finish_release (freeze_release,
 * preserve_release) or by setting the parameter to 0, but for N seconds at
 * most, so that a broken test cannot wedge the kernel. A freeze waits
 * before @fail_freeze is looked at, so that a test can make a waiting
 * freeze fail once released. The stats count the calls waiting now
 * (finish_waiting, freeze_waiting, preserve_waiting) and those whose wait
 * ran out (finish_timeout, freeze_timeout, preserve_timeout), so that a
 * test knows, without guessing from time, that a callback is in progress.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/liveupdate.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "luo_test_ftype.h"

#define LUO_TEST_FLB_MAGIC	0x4c554f464c42ULL	/* "LUOFLB" */

static unsigned long cookie;
module_param(cookie, ulong, 0444);
MODULE_PARM_DESC(cookie, "Value the FLB hands over to the next kernel");

static unsigned int init_fail;
module_param(init_fail, uint, 0444);
MODULE_PARM_DESC(init_fail,
		 "If N > 0, init registers, waits N ms, unregisters and fails");

static int fail_freeze;
module_param(fail_freeze, int, 0644);
MODULE_PARM_DESC(fail_freeze,
		 "If N > 0, the Nth freeze from now fails with -EIO (0: never)");

/* The page the FLB hands over. */
struct luo_test_flb_page {
	u64 magic;
	u64 cookie;
};

enum luo_test_stat {
	STAT_PRESERVE,
	STAT_UNPRESERVE,
	STAT_FREEZE,
	STAT_FREEZE_FAILED,
	STAT_UNFREEZE,
	STAT_RETRIEVE,
	STAT_FINISH,
	STAT_FLB_PRESERVE,
	STAT_FLB_UNPRESERVE,
	STAT_FLB_RETRIEVE,
	STAT_FLB_FINISH,
	STAT_FLB_MISSING,
	STAT_FINISH_TIMEOUT,
	STAT_FREEZE_TIMEOUT,
	STAT_PRESERVE_TIMEOUT,
	STAT_COUNT
};

static const char * const luo_test_stat_names[STAT_COUNT] = {
	[STAT_PRESERVE]		= "preserve",
	[STAT_UNPRESERVE]	= "unpreserve",
	[STAT_FREEZE]		= "freeze",
	[STAT_FREEZE_FAILED]	= "freeze_failed",
	[STAT_UNFREEZE]		= "unfreeze",
	[STAT_RETRIEVE]		= "retrieve",
	[STAT_FINISH]		= "finish",
	[STAT_FLB_PRESERVE]	= "flb_preserve",
	[STAT_FLB_UNPRESERVE]	= "flb_unpreserve",
	[STAT_FLB_RETRIEVE]	= "flb_retrieve",
	[STAT_FLB_FINISH]	= "flb_finish",
	[STAT_FLB_MISSING]	= "flb_missing",
	[STAT_FINISH_TIMEOUT]	= "finish_timeout",
	[STAT_FREEZE_TIMEOUT]	= "freeze_timeout",
	[STAT_PRESERVE_TIMEOUT]	= "preserve_timeout",
};

static atomic_t luo_test_stats[STAT_COUNT];
static atomic_t luo_test_held;
static u64 luo_test_in_cookie;
static bool luo_test_in_ok;
static struct dentry *luo_test_dir;

static void luo_test_count(enum luo_test_stat stat)
{
	atomic_inc(&luo_test_stats[stat]);
}

/* The longest a callback waits for its release, whatever its parameter says. */
#define LUO_TEST_BLOCK_MAX_WAIT	600U

/**
 * struct luo_test_block - A callback that waits on demand.
 * @secs:    Its module parameter: while N > 0, the callback waits until
 *           released, for N seconds at most.
 * @wq:      Where it waits.
 * @gen:     Bumped by every release: a callback waits until it changes.
 * @waiting: The calls waiting now.
 * @timeout: The stat that counts the waits that ran out.
 * @what:    The callback, for the log.
 */
struct luo_test_block {
	unsigned int secs;
	wait_queue_head_t wq;
	atomic_t gen;
	atomic_t waiting;
	enum luo_test_stat timeout;
	const char *what;
};

#define LUO_TEST_BLOCK(_name, _stat, _what) {				\
	.wq		= __WAIT_QUEUE_HEAD_INITIALIZER(_name.wq),	\
	.gen		= ATOMIC_INIT(0),				\
	.waiting	= ATOMIC_INIT(0),				\
	.timeout	= _stat,					\
	.what		= _what,					\
}

static struct luo_test_block luo_test_finish_block =
	LUO_TEST_BLOCK(luo_test_finish_block, STAT_FINISH_TIMEOUT, "finish");
static struct luo_test_block luo_test_freeze_block =
	LUO_TEST_BLOCK(luo_test_freeze_block, STAT_FREEZE_TIMEOUT, "freeze");
static struct luo_test_block luo_test_preserve_block =
	LUO_TEST_BLOCK(luo_test_preserve_block, STAT_PRESERVE_TIMEOUT, "preserve");

/* Wake every call of @b's callback that waits. */
static void luo_test_block_release(struct luo_test_block *b)
{
	atomic_inc(&b->gen);
	wake_up_all(&b->wq);
}

/* Setting a block's parameter to 0 releases the calls that wait. */
static int luo_test_block_set(const char *val, const struct kernel_param *kp)
{
	struct luo_test_block *b = container_of(kp->arg, struct luo_test_block,
						secs);
	int err = param_set_uint(val, kp);

	if (!err && !READ_ONCE(b->secs))
		luo_test_block_release(b);
	return err;
}

static const struct kernel_param_ops luo_test_block_ops = {
	.set	= luo_test_block_set,
	.get	= param_get_uint,
};

module_param_cb(finish_block, &luo_test_block_ops, &luo_test_finish_block.secs,
		0644);
MODULE_PARM_DESC(finish_block,
		 "If N > 0, every finish waits until released, for N seconds at most (0: never)");
module_param_cb(freeze_block, &luo_test_block_ops, &luo_test_freeze_block.secs,
		0644);
MODULE_PARM_DESC(freeze_block,
		 "If N > 0, every freeze waits until released, for N seconds at most (0: never)");
module_param_cb(preserve_block, &luo_test_block_ops,
		&luo_test_preserve_block.secs, 0644);
MODULE_PARM_DESC(preserve_block,
		 "If N > 0, every preserve waits until released, for N seconds at most (0: never)");

/* Wait while @b's parameter asks for it, until released or out of time. */
static void luo_test_block_wait(struct luo_test_block *b)
{
	unsigned int secs = min(READ_ONCE(b->secs), LUO_TEST_BLOCK_MAX_WAIT);
	int gen = atomic_read(&b->gen);
	long left;

	if (!secs)
		return;
	atomic_inc(&b->waiting);
	left = wait_event_timeout(b->wq, atomic_read(&b->gen) != gen,
				  secs * HZ);
	atomic_dec(&b->waiting);
	if (!left) {
		pr_info("%s was not released within %u s, going on\n",
			b->what, secs);
		luo_test_count(b->timeout);
	}
}

static int luo_test_flb_preserve(struct liveupdate_flb_op_args *args)
{
	struct luo_test_flb_page *page;

	page = kho_alloc_preserve(sizeof(*page));
	if (IS_ERR(page))
		return PTR_ERR(page);
	page->magic = LUO_TEST_FLB_MAGIC;
	page->cookie = cookie;
	args->data = virt_to_phys(page);
	args->obj = page;
	luo_test_count(STAT_FLB_PRESERVE);
	return 0;
}

static void luo_test_flb_unpreserve(struct liveupdate_flb_op_args *args)
{
	kho_unpreserve_free(args->obj);
	luo_test_count(STAT_FLB_UNPRESERVE);
}

static int luo_test_flb_retrieve(struct liveupdate_flb_op_args *args)
{
	struct luo_test_flb_page *page;

	if (!args->data || !PAGE_ALIGNED(args->data))
		return -EINVAL;
	page = phys_to_virt(args->data);
	luo_test_in_ok = page->magic == LUO_TEST_FLB_MAGIC;
	luo_test_in_cookie = page->cookie;
	args->obj = page;
	luo_test_count(STAT_FLB_RETRIEVE);
	return 0;
}

static void luo_test_flb_finish(struct liveupdate_flb_op_args *args)
{
	kho_restore_free(args->obj);
	luo_test_count(STAT_FLB_FINISH);
}

static const struct liveupdate_flb_ops luo_test_flb_ops = {
	.preserve	= luo_test_flb_preserve,
	.unpreserve	= luo_test_flb_unpreserve,
	.retrieve	= luo_test_flb_retrieve,
	.finish		= luo_test_flb_finish,
	.owner		= THIS_MODULE,
};

static struct liveupdate_flb luo_test_flb = {
	.ops		= &luo_test_flb_ops,
	.compatible	= "luo-test-flb-v1",
};

LIVEUPDATE_RECORD_ENTRY(flb, "luo-test-flb-v1");

/* Another FLB object of the same name (flb_register_other). */
static struct liveupdate_flb luo_test_flb_other = {
	.ops		= &luo_test_flb_ops,
	.compatible	= "luo-test-flb-v1",
};

static bool luo_test_can_preserve(struct liveupdate_file_handler *fh,
				  struct file *file)
{
	return luo_test_ftype_is_file(file);
}

static int luo_test_preserve(struct liveupdate_file_op_args *args)
{
	void *obj;
	int err;

	luo_test_block_wait(&luo_test_preserve_block);
	/*
	 * The FLB must be preserved before its first file is. It has no
	 * object (-ENOENT) if the file was bound to the handler before the
	 * FLB was registered (module init registers one, then the other):
	 * refuse with -ENODATA, which the tests tell from a missing handler.
	 */
	err = liveupdate_flb_get_outgoing(&luo_test_flb, &obj);
	if (err)
		return err == -ENOENT ? -ENODATA : err;
	liveupdate_flb_put_outgoing(&luo_test_flb);
	args->serialized_data = luo_test_ftype_value(args->file);
	luo_test_count(STAT_PRESERVE);
	return 0;
}

static void luo_test_unpreserve(struct liveupdate_file_op_args *args)
{
	luo_test_count(STAT_UNPRESERVE);
}

/* Whether this freeze is the one @fail_freeze asks to fail. */
static bool luo_test_freeze_fails(void)
{
	int n = READ_ONCE(fail_freeze);

	if (n <= 0)
		return false;
	WRITE_ONCE(fail_freeze, n - 1);
	return n == 1;
}

static int luo_test_freeze(struct liveupdate_file_op_args *args)
{
	luo_test_block_wait(&luo_test_freeze_block);
	if (luo_test_freeze_fails()) {
		luo_test_count(STAT_FREEZE_FAILED);
		return -EIO;
	}
	args->serialized_data = luo_test_ftype_value(args->file);
	luo_test_count(STAT_FREEZE);
	return 0;
}

static void luo_test_unfreeze(struct liveupdate_file_op_args *args)
{
	luo_test_count(STAT_UNFREEZE);
}

static int luo_test_retrieve(struct liveupdate_file_op_args *args)
{
	struct file *file;
	void *obj;

	/* Retrieving a file retrieves its FLB first, once for all files. */
	if (liveupdate_flb_get_incoming(&luo_test_flb, &obj))
		luo_test_count(STAT_FLB_MISSING);
	else
		liveupdate_flb_put_incoming(&luo_test_flb);
	file = luo_test_ftype_new_file(args->serialized_data);
	if (IS_ERR(file))
		return PTR_ERR(file);
	args->file = file;
	luo_test_count(STAT_RETRIEVE);
	return 0;
}

static void luo_test_finish(struct liveupdate_file_op_args *args)
{
	luo_test_block_wait(&luo_test_finish_block);
	luo_test_count(STAT_FINISH);
}

static const struct liveupdate_file_ops luo_test_fops = {
	.can_preserve	= luo_test_can_preserve,
	.preserve	= luo_test_preserve,
	.unpreserve	= luo_test_unpreserve,
	.freeze		= luo_test_freeze,
	.unfreeze	= luo_test_unfreeze,
	.retrieve	= luo_test_retrieve,
	.finish		= luo_test_finish,
	.owner		= THIS_MODULE,
};

static struct liveupdate_file_handler luo_test_fh = {
	.ops		= &luo_test_fops,
	.compatible	= "luo-test-handler-v1",
};

LIVEUPDATE_RECORD_ENTRY(handler, "luo-test-handler-v1");

static int luo_test_stats_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < STAT_COUNT; i++)
		seq_printf(m, "%s %d\n", luo_test_stat_names[i],
			   atomic_read(&luo_test_stats[i]));
	seq_printf(m, "in_ok %d\n", luo_test_in_ok);
	seq_printf(m, "flb_held %d\n", atomic_read(&luo_test_held));
	seq_printf(m, "finish_waiting %d\n",
		   atomic_read(&luo_test_finish_block.waiting));
	seq_printf(m, "freeze_waiting %d\n",
		   atomic_read(&luo_test_freeze_block.waiting));
	seq_printf(m, "preserve_waiting %d\n",
		   atomic_read(&luo_test_preserve_block.waiting));
	seq_printf(m, "in_cookie %llu\n", luo_test_in_cookie);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(luo_test_stats);

/* Drop every reference "get" took, from a worker. */
static void luo_test_put_all(struct work_struct *work)
{
	while (atomic_add_unless(&luo_test_held, -1, 0))
		liveupdate_flb_put_incoming(&luo_test_flb);
}

static DECLARE_WORK(luo_test_put_work, luo_test_put_all);

static ssize_t luo_test_hold_write(struct file *file, const char __user *ubuf,
				   size_t len, loff_t *ppos)
{
	char cmd[8] = {};
	void *obj;
	int err;

	if (copy_from_user(cmd, ubuf, min(len, sizeof(cmd) - 1)))
		return -EFAULT;
	if (sysfs_streq(cmd, "get")) {
		err = liveupdate_flb_get_incoming(&luo_test_flb, &obj);
		if (err)
			return err;
		atomic_inc(&luo_test_held);
	} else if (sysfs_streq(cmd, "put")) {
		queue_work(system_wq, &luo_test_put_work);
		flush_work(&luo_test_put_work);
	} else {
		return -EINVAL;
	}
	return len;
}

static const struct file_operations luo_test_hold_fops = {
	.owner	= THIS_MODULE,
	.write	= luo_test_hold_write,
};

static ssize_t luo_test_unregister_write(struct file *file,
					 const char __user *ubuf, size_t len,
					 loff_t *ppos)
{
	liveupdate_unregister_flb(&luo_test_fh, &luo_test_flb);
	return len;
}

static const struct file_operations luo_test_unregister_fops = {
	.owner	= THIS_MODULE,
	.write	= luo_test_unregister_write,
};

static ssize_t luo_test_register_other_write(struct file *file,
					     const char __user *ubuf,
					     size_t len, loff_t *ppos)
{
	int err = liveupdate_register_flb(&luo_test_fh, &luo_test_flb_other);

	return err ?: len;
}

static const struct file_operations luo_test_register_other_fops = {
	.owner	= THIS_MODULE,
	.write	= luo_test_register_other_write,
};

/* A write to finish_release (freeze_release, ...) releases that block. */
static ssize_t luo_test_release_write(struct file *file,
				      const char __user *ubuf, size_t len,
				      loff_t *ppos)
{
	luo_test_block_release(file->private_data);
	return len;
}

static const struct file_operations luo_test_release_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= luo_test_release_write,
};

static int __init luo_test_handler_init(void)
{
	int err;

	err = liveupdate_register_file_handler(&luo_test_fh);
	if (err)
		return err;
	err = liveupdate_register_flb(&luo_test_fh, &luo_test_flb);
	if (err) {
		liveupdate_unregister_file_handler(&luo_test_fh);
		return err;
	}
	if (init_fail) {
		msleep(init_fail);
		pr_info("init fails on purpose after %u ms\n", init_fail);
		liveupdate_unregister_file_handler(&luo_test_fh);
		return -EAGAIN;
	}
	luo_test_dir = debugfs_create_dir("luo_test", NULL);
	debugfs_create_file("stats", 0400, luo_test_dir, NULL,
			    &luo_test_stats_fops);
	debugfs_create_file("flb_hold", 0200, luo_test_dir, NULL,
			    &luo_test_hold_fops);
	debugfs_create_file("flb_unregister", 0200, luo_test_dir, NULL,
			    &luo_test_unregister_fops);
	debugfs_create_file("flb_register_other", 0200, luo_test_dir, NULL,
			    &luo_test_register_other_fops);
	debugfs_create_file("finish_release", 0200, luo_test_dir,
			    &luo_test_finish_block, &luo_test_release_fops);
	debugfs_create_file("freeze_release", 0200, luo_test_dir,
			    &luo_test_freeze_block, &luo_test_release_fops);
	debugfs_create_file("preserve_release", 0200, luo_test_dir,
			    &luo_test_preserve_block, &luo_test_release_fops);
	return 0;
}
module_init(luo_test_handler_init);

static void __exit luo_test_handler_exit(void)
{
	debugfs_remove(luo_test_dir);
	flush_work(&luo_test_put_work);
	/* Unregisters luo_test_flb as well. */
	liveupdate_unregister_file_handler(&luo_test_fh);
}
module_exit(luo_test_handler_exit);

MODULE_DESCRIPTION("A loadable live-update handler and FLB for the LUO tests");
MODULE_LICENSE("GPL");
