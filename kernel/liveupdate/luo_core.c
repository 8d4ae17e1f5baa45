// SPDX-License-Identifier: GPL-2.0
/*
 * Live Update Orchestrator: boot, /dev/liveupdate and the live update itself.
 */

/**
 * DOC: LUO core
 *
 * LUO is off unless the kernel command line says ``liveupdate=on`` and KHO
 * is enabled. When it is on:
 *
 * - At early boot, LUO looks for the ``LUO`` KHO subtree of the previous
 *   kernel, checks its ABI string and takes note of where the sessions
 *   are; it parses the FLB page at once, so that FLB owners can retrieve
 *   their state during boot.
 * - At late boot, it prepares what the next live update needs (the root
 *   &struct luo_ser, registered with KHO, and the FLB page) and creates
 *   ``/dev/liveupdate``.
 * - The incoming sessions are rebuilt when ``/dev/liveupdate`` is first
 *   opened: by then the file handlers of built-in code have registered,
 *   and userspace has had the chance to load the modules it needs. If the
 *   rebuild fails, that open fails with -EIO. If memory ran short, the
 *   incoming state is left intact and the next open tries again. A file
 *   whose handler is not registered yet does not fail the rebuild: its
 *   session is rebuilt, and binding the file to its handler is tried
 *   again at its %LIVEUPDATE_SESSION_RETRIEVE_FD and at the session's
 *   finish. Incoming state
 *   that is malformed is dropped with an error in the kernel log.
 * - liveupdate_reboot(), called by kexec, freezes and serializes every
 *   outgoing session. If anything fails, everything is unfrozen, the
 *   error is returned and kexec does not happen; nothing is lost.
 *
 * ``/dev/liveupdate`` has mode 0600 and one opener at a time. Its ioctls
 * and those of the session file descriptors go through one dispatcher,
 * which checks the argument's size the way extensible structs are checked.
 * A command takes &luo_state_rwsem for read around its work on the
 * sessions, never across a copy to userspace: a caller whose copy waits
 * (a page under userfaultfd) delays neither other callers nor the live
 * update.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/ktime.h>
#include <linux/liveupdate.h>
#include <linux/memory_hotplug.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "luo_internal.h"

#define CREATE_TRACE_POINTS
#include <trace/events/liveupdate.h>

/* See the lock hierarchy in luo_internal.h. */
DECLARE_RWSEM(luo_state_rwsem);
DECLARE_RWSEM(luo_register_rwlock);

static struct {
	struct luo_ser *out;		/* the root handed to the next kernel */
	u64 liveupdate_num;		/* live updates that led to this kernel */
	u64 in_sessions_pa;		/* incoming sessions, until rebuilt */
	/*
	 * Set at boot, cleared once under luo_state_rwsem held for write,
	 * never set again: read without the lock, false is final.
	 */
	bool in_pending;
	bool in_corrupt;		/* refuse the incoming sessions */
	atomic_t opened;
} luo_global;

/**
 * struct luo_phases - How the live update went, in both kernels.
 * @prev:        The previous kernel's phases, if it handed them over.
 * @have_prev:   Whether it did (and they passed the checks).
 * @blackout_ns: CLOCK_REALTIME from the end of the previous kernel's
 *               liveupdate_reboot() to this kernel's rebuild of the
 *               sessions (the first open of ``/dev/liveupdate``).
 * @rebuild_ns:  Duration of the rebuild.
 * @rebuild_at_ns: CLOCK_BOOTTIME at the end of the rebuild, or 0.
 * @out:         The page the next kernel gets (%LUO_PHASES_KHO_ENTRY_NAME),
 *               or NULL if it could not be prepared.
 *
 * Written once each: @prev at early boot, the rebuild fields under
 * luo_state_rwsem for write, @out's contents by liveupdate_reboot().
 */
static struct luo_phases {
	struct luo_phases_ser prev;
	bool have_prev;
	s64 blackout_ns;
	u64 rebuild_ns;
	u64 rebuild_at_ns;
	struct luo_phases_ser *out;
} luo_phases;

/* Take note of the end of the rebuild, and of the blackout, in the log. */
static void luo_phases_rebuilt(ktime_t start)
{
	struct luo_phases_ser *prev = &luo_phases.prev;

	luo_phases.rebuild_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	luo_phases.rebuild_at_ns = ktime_get_boottime_ns();
	pr_info("deserialized the previous kernel's sessions in %llu ns, %llu ns after boot\n",
		luo_phases.rebuild_ns, luo_phases.rebuild_at_ns);
	if (!luo_phases.have_prev)
		return;
	luo_phases.blackout_ns = ktime_get_real_ns() - prev->realtime_ns;
	pr_info("the previous kernel serialized %llu sessions and %llu files in %llu ns (freeze %llu ns); blackout %lld ns by the wall clock, from then to this first open\n",
		prev->nr_sessions, prev->nr_files, prev->reboot_ns,
		prev->freeze_ns, luo_phases.blackout_ns);
}

/*
 * Rebuild the incoming sessions at the first open that can. Malformed
 * state is refused as a whole (see the failure policy in the
 * documentation) and its pages are left alone; a transient error leaves
 * everything as it was for the next open.
 * Context: luo_state_rwsem held for write.
 */
static int __luo_rebuild_incoming(void)
{
	struct luo_ser_reader r;
	ktime_t start = ktime_get();
	int err;

	lockdep_assert_held_write(&luo_state_rwsem);
	if (!luo_global.in_pending)
		return 0;
	if (luo_global.in_corrupt) {
		WRITE_ONCE(luo_global.in_pending, false);
		pr_err("refusing the previous kernel's sessions: its FLB state is malformed\n");
		return -EIO;
	}

	luo_kho_reader_init(&r);
	err = luo_session_deserialize(&r, luo_global.in_sessions_pa);
	trace_liveupdate_rebuild(ktime_to_ns(ktime_sub(ktime_get(), start)), err);
	if (!err) {
		luo_ser_release_all(&r);
		WRITE_ONCE(luo_global.in_pending, false);
		luo_phases_rebuilt(start);
		return 0;
	}
	luo_ser_unclaim_all(&r);
	if (err == -EINVAL || err == -EADDRINUSE) {
		WRITE_ONCE(luo_global.in_pending, false);
		pr_err("refusing the previous kernel's sessions: malformed handover: %pe\n",
		       ERR_PTR(err));
	} else {
		pr_err("cannot rebuild the previous kernel's sessions yet: %pe\n",
		       ERR_PTR(err));
	}
	return -EIO;
}

static int luo_device_open(struct inode *inode, struct file *file)
{
	int err;

	if (atomic_cmpxchg(&luo_global.opened, 0, 1))
		return -EBUSY;
	/*
	 * Only a rebuild needs the sessions to itself: an open with nothing
	 * pending takes no lock, so it never queues behind a long command
	 * (nor makes every other session's command queue behind it).
	 */
	if (!READ_ONCE(luo_global.in_pending))
		return 0;
	scoped_guard(rwsem_write, &luo_state_rwsem)
		err = __luo_rebuild_incoming();
	if (err)
		atomic_set(&luo_global.opened, 0);
	return err;
}

static int luo_device_release(struct inode *inode, struct file *file)
{
	atomic_set(&luo_global.opened, 0);
	return 0;
}

static long luo_device_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	return luo_ioctl(file, cmd, arg, LUO_FD_DEVICE);
}

static const struct file_operations luo_device_fops = {
	.owner		= THIS_MODULE,
	.open		= luo_device_open,
	.release	= luo_device_release,
	.unlocked_ioctl	= luo_device_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice luo_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "liveupdate",
	.fops	= &luo_device_fops,
	.mode	= 0600,
};

/*
 * Freeze and serialize; on failure everything is as it was.
 * Context: luo_state_rwsem held for write.
 */
static int __luo_reboot(long *nr_sessions, long *nr_files, s64 *freeze_ns)
{
	u64 sessions_pa, flbs_pa;
	int err;

	lockdep_assert_held_write(&luo_state_rwsem);
	if (luo_session_frozen())
		return 0;
	/* Nothing handed over to this kernel may be lost silently. */
	if (luo_global.in_pending && !luo_global.in_corrupt &&
	    luo_global.in_sessions_pa) {
		pr_err("reboot: the previous kernel's sessions were never claimed (/dev/liveupdate was not opened)\n");
		return -EBUSY;
	}
	err = luo_session_check_claimed();
	if (err)
		return err;
	/* A declared target that would refuse the state: before any freeze. */
	if (luo_target_declared() && luo_session_count_refused()) {
		pr_err("reboot: the declared target kernel would refuse the state (each item is logged above)\n");
		return -ENOEXEC;
	}

	err = luo_session_serialize(&sessions_pa, nr_sessions, nr_files,
				    freeze_ns);
	if (err)
		return err;
	err = luo_flb_serialize(&flbs_pa);
	if (err) {
		luo_session_unfreeze();
		return err;
	}
	luo_global.out->sessions_pa = sessions_pa;
	luo_global.out->flbs_pa = flbs_pa;
	/* Test kernels only: damage the handover on request. */
	luo_corrupt_test(luo_global.out);
	return 0;
}

/* Log the phases of liveupdate_reboot() and hand them to the next kernel. */
static void luo_phases_hand_over(long nr_sessions, long nr_files,
				 ktime_t reboot, s64 freeze_ns)
{
	struct luo_phases_ser *out = luo_phases.out;

	pr_info("reboot: serialized %ld sessions and %ld files in %lld ns (freeze %lld ns)\n",
		nr_sessions, nr_files, ktime_to_ns(reboot), freeze_ns);
	if (!out)
		return;
	out->reboot_ns = ktime_to_ns(reboot);
	out->freeze_ns = freeze_ns;
	out->nr_sessions = nr_sessions;
	out->nr_files = nr_files;
	out->boot_ns = ktime_get_boottime_ns();
	out->realtime_ns = ktime_get_real_ns();
}

/**
 * liveupdate_reboot - Freeze and serialize every session for kexec.
 *
 * Called by kexec before it jumps to the next kernel. From the moment this
 * succeeds, every ioctl of LUO fails with -EBUSY.
 *
 * Context: Process context. Takes luo_state_rwsem for write.
 * Return: 0 (also when LUO is off); -EBUSY if an incoming session is
 * neither finished nor closed (it would be lost); -ENOEXEC if the target
 * declared with %LIVEUPDATE_IOCTL_SET_TARGET would refuse a session, file
 * or FLB; or another errno. On
 * failure every session is as it was before the call and kexec must not
 * go ahead.
 */
int liveupdate_reboot(void)
{
	long nr_sessions = 0, nr_files = 0;
	s64 freeze_ns = 0;
	ktime_t start = ktime_get();
	int err;

	if (!liveupdate_enabled())
		return 0;

	scoped_guard(rwsem_write, &luo_state_rwsem)
		err = __luo_reboot(&nr_sessions, &nr_files, &freeze_ns);
	trace_liveupdate_freeze(nr_sessions, nr_files, freeze_ns, err);
	trace_liveupdate_serialize(nr_sessions, nr_files,
				   ktime_to_ns(ktime_sub(ktime_get(), start)),
				   err);
	if (err) {
		pr_err("reboot: live update cancelled: %pe\n", ERR_PTR(err));
		return err;
	}
	luo_phases_hand_over(nr_sessions, nr_files, ktime_sub(ktime_get(), start),
			     freeze_ns);
	return 0;
}

/*
 * Read the root of the previous kernel's state, check its version and
 * read its FLB page; both pages are given back at once.
 */
static int __init luo_parse_root(struct luo_ser_reader *r, phys_addr_t pa)
{
	const struct luo_ser *ser = luo_ser_claim(r, pa);
	int err;

	if (IS_ERR(ser))
		return PTR_ERR(ser);
	if (memcmp(ser->compatible, LUO_ABI_COMPATIBLE, sizeof(LUO_ABI_COMPATIBLE))) {
		pr_err("the previous kernel speaks '%.*s', not '%s'\n",
		       (int)sizeof(ser->compatible), ser->compatible,
		       LUO_ABI_COMPATIBLE);
		return -EPROTO;
	}
	luo_global.liveupdate_num = ser->liveupdate_num;
	luo_global.in_sessions_pa = ser->sessions_pa;
	luo_global.in_pending = true;
	pr_info("live update number %llu\n", luo_global.liveupdate_num);

	r->owner = 1;
	err = luo_flb_parse_incoming(r, ser->flbs_pa);
	if (err) {
		/* Files would come back without their shared state. */
		pr_err("the FLB page is malformed: %pe\n", ERR_PTR(err));
		luo_global.in_corrupt = true;
	}
	return 0;
}

/*
 * Read the previous kernel's phases, if it handed them over. Nothing
 * depends on them: whatever is wrong with them, they are ignored.
 */
static void __init luo_phases_parse(struct luo_ser_reader *r)
{
	const struct luo_phases_ser *ser;
	phys_addr_t pa;
	size_t size;

	if (kho_retrieve_subtree(LUO_PHASES_KHO_ENTRY_NAME, &pa, &size) ||
	    size < sizeof(*ser))
		return;
	ser = luo_ser_claim(r, pa);
	if (IS_ERR(ser))
		return;
	if (memcmp(ser->compatible, LUO_PHASES_COMPATIBLE,
		   sizeof(LUO_PHASES_COMPATIBLE))) {
		pr_warn("ignoring the previous kernel's phases: '%.*s'\n",
			(int)sizeof(ser->compatible), ser->compatible);
		return;
	}
	luo_phases.prev = *ser;
	luo_phases.have_prev = true;
}

static int __init luo_parse_incoming(void)
{
	struct luo_ser_reader r;
	phys_addr_t pa;
	size_t size;
	int err;

	err = kho_retrieve_subtree(LUO_KHO_ENTRY_NAME, &pa, &size);
	if (err == -ENOENT)
		return 0;	/* not a live update, or no LUO before */
	if (err)
		return err;
	if (size < sizeof(struct luo_ser))
		return -EINVAL;

	luo_kho_reader_init(&r);
	err = luo_parse_root(&r, pa);
	if (!err)
		luo_phases_parse(&r);
	luo_ser_release_all(&r);
	return err;
}

static int __init luo_early_init(void)
{
	int err;

	if (!liveupdate_enabled())
		return 0;
	if (!kho_is_enabled()) {
		pr_warn("KHO is off: live update disabled\n");
		luo_disable();
		return 0;
	}
	err = luo_session_init();
	if (err) {
		pr_err("live update disabled: %pe\n", ERR_PTR(err));
		luo_disable();
		return 0;
	}
	err = luo_parse_incoming();
	if (err)
		pr_err("ignoring the previous kernel's state: %pe\n", ERR_PTR(err));
	return 0;
}
early_initcall(luo_early_init);

static int luo_registry_show(struct seq_file *m, void *unused)
{
	guard(rwsem_read)(&luo_register_rwlock);
	__luo_file_show_registry(m);
	__luo_flb_show_registry(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(luo_registry);

/* The whole sequence of the last live update, in both kernels (debugfs). */
static int luo_phases_show(struct seq_file *m, void *unused)
{
	struct luo_phases_ser *prev = &luo_phases.prev;
	u64 first_retrieve_ns, last_finish_ns;

	luo_session_phases(&first_retrieve_ns, &last_finish_ns);
	guard(rwsem_read)(&luo_state_rwsem);
	seq_printf(m, "previous-sessions %llu\n", prev->nr_sessions);
	seq_printf(m, "previous-files %llu\n", prev->nr_files);
	seq_printf(m, "previous-freeze-ns %llu\n", prev->freeze_ns);
	seq_printf(m, "previous-reboot-ns %llu\n", prev->reboot_ns);
	seq_printf(m, "previous-uptime-ns %llu\n", prev->boot_ns);
	seq_printf(m, "blackout-ns %lld\n", luo_phases.blackout_ns);
	seq_printf(m, "rebuild-ns %llu\n", luo_phases.rebuild_ns);
	seq_printf(m, "rebuild-at-ns %llu\n", luo_phases.rebuild_at_ns);
	seq_printf(m, "first-retrieve-at-ns %llu\n", first_retrieve_ns);
	seq_printf(m, "last-finish-at-ns %llu\n", last_finish_ns);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(luo_phases);

/* /sys/kernel/debug/liveupdate/: the registry, sessions and phases. */
static void __init luo_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("liveupdate", NULL);

	debugfs_create_file("registry", 0400, dir, NULL, &luo_registry_fops);
	debugfs_create_file("sessions", 0400, dir, NULL, &luo_sessions_fops);
	debugfs_create_file("phases", 0400, dir, NULL, &luo_phases_fops);
}

/*
 * Prepare the page that tells the next kernel how the live update went.
 * Live update works without it: a failure is only logged.
 */
static void __init luo_phases_init(void)
{
	struct luo_phases_ser *out = kho_alloc_preserve(sizeof(*out));
	int err = PTR_ERR_OR_ZERO(out);

	if (!err) {
		strscpy_pad(out->compatible, LUO_PHASES_COMPATIBLE);
		err = kho_add_subtree(LUO_PHASES_KHO_ENTRY_NAME, out,
				      sizeof(*out));
		if (err)
			kho_unpreserve_free(out);
	}
	if (err) {
		pr_warn("the next kernel will not see this one's phases: %pe\n",
			ERR_PTR(err));
		return;
	}
	luo_phases.out = out;
}

/* Prepare the outgoing root, then open for business. */
static int __init luo_late_init(void)
{
	struct luo_ser *ser;
	int err;

	if (!liveupdate_enabled())
		return 0;

	ser = kho_alloc_preserve(sizeof(*ser));
	err = PTR_ERR_OR_ZERO(ser);
	if (err)
		goto err_disable;
	strscpy_pad(ser->compatible, LUO_ABI_COMPATIBLE);
	ser->liveupdate_num = luo_global.liveupdate_num + 1;
	err = kho_add_subtree(LUO_KHO_ENTRY_NAME, ser, sizeof(*ser));
	if (err)
		goto err_free;
	err = luo_flb_outgoing_init();
	if (err)
		goto err_remove;
	luo_global.out = ser;

	err = misc_register(&luo_miscdev);
	if (err)
		pr_err("cannot create /dev/liveupdate: %pe\n", ERR_PTR(err));

	luo_phases_init();
	luo_debugfs_init();
	return 0;

err_remove:
	kho_remove_subtree(ser);
err_free:
	kho_unpreserve_free(ser);
err_disable:
	pr_err("cannot prepare the handover, live update disabled: %pe\n",
	       ERR_PTR(err));
	luo_disable();
	return err;
}
late_initcall(luo_late_init);
