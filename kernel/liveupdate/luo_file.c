// SPDX-License-Identifier: GPL-2.0
/*
 * Live Update Orchestrator: file handlers and preserved files.
 */

/**
 * DOC: LUO files
 *
 * A subsystem that can keep a kind of file alive across a live update
 * registers a &struct liveupdate_file_handler. When userspace preserves a
 * file, LUO asks every registered handler, in registration order, whether
 * it can preserve it (@can_preserve); the first that can owns the file
 * from then on. In the next kernel, the file's handler is found again by
 * its compatible string.
 *
 * A handler's lifetime is its module's: it registers in its module's init
 * and unregisters in its exit. Registering pins nothing. LUO takes a
 * reference on the handler's module (@owner) only while a session uses
 * the handler: from the preservation of a file until it is unpreserved or
 * handed over, and in the new kernel from the rebuild of a file until it
 * is finished. A module whose files are in a session therefore cannot be
 * unloaded, and one whose files are not can be. Unregistering a handler
 * also unregisters the FLBs attached to it. The registry is protected by
 * luo_register_rwlock.
 *
 * The life of a preserved file, as its handler sees it::
 *
 *   preserve -> [unpreserve]                          (session closed)
 *   preserve -> freeze -> [unfreeze -> ...]           (live update cancelled)
 *   preserve -> freeze -> kexec -> retrieve -> finish (live update)
 *
 * In the new kernel, retrieve runs when userspace first asks for the file;
 * its result is remembered, and a failed retrieve fails again with the same
 * errno without calling the handler. Finish runs for every file of a
 * session when the session is finished, whether or not the file was
 * retrieved (the handler sees which through @retrieve_status).
 *
 * A file (or the object behind it, as told by @get_id) can be in one
 * session only, once; within a session, tokens are unique. Both are
 * looked up in XArrays.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/cleanup.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/list_private.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "luo_internal.h"

#include <trace/events/liveupdate.h>

/**
 * enum luo_file_state - Where a file is in its life.
 * @LUO_FILE_PRESERVED:  Outgoing, preserved.
 * @LUO_FILE_FROZEN:     Outgoing, its freeze succeeded: a live update is
 *                       under way.
 * @LUO_FILE_MALFORMED:  Incoming, its entry was malformed: it has neither a
 *                       handler nor the name of one. Refused (-EIO), given
 *                       up at the finish.
 * @LUO_FILE_UNBOUND:    Incoming, its handler (@compatible) is not
 *                       registered yet.
 * @LUO_FILE_BOUND:      Incoming, bound to its handler, not retrieved.
 * @LUO_FILE_RETRIEVING: Incoming, its handler's retrieve is running (a
 *                       dependent asking for it from there is a cycle).
 * @LUO_FILE_RETRIEVED:  Incoming, retrieved: @file is the new file.
 * @LUO_FILE_FAILED:     Incoming, its retrieve failed; @retrieve_err is
 *                       remembered and returned again.
 *
 * Transitions: PRESERVED -> FROZEN (freeze) -> PRESERVED (unfreeze); a
 * preserved file is freed when unpreserved, a frozen one when handed over.
 * Incoming files start UNBOUND, BOUND or MALFORMED; UNBOUND -> BOUND when
 * its handler registers (at its retrieve or the finish); BOUND ->
 * RETRIEVING -> RETRIEVED or FAILED. Every incoming file is freed at the
 * finish of its session (an UNBOUND or MALFORMED one is given up), or
 * discarded by a rebuild that fails.
 */
enum luo_file_state {
	LUO_FILE_PRESERVED,
	LUO_FILE_FROZEN,
	LUO_FILE_MALFORMED,
	LUO_FILE_UNBOUND,
	LUO_FILE_BOUND,
	LUO_FILE_RETRIEVING,
	LUO_FILE_RETRIEVED,
	LUO_FILE_FAILED,
};

/* What the debugfs list of sessions calls each state. */
static const char *const luo_file_state_names[] = {
	[LUO_FILE_PRESERVED]	= "preserved",
	[LUO_FILE_FROZEN]	= "frozen",
	[LUO_FILE_MALFORMED]	= "malformed",
	[LUO_FILE_UNBOUND]	= "unbound",
	[LUO_FILE_BOUND]	= "bound",
	[LUO_FILE_RETRIEVING]	= "retrieving",
	[LUO_FILE_RETRIEVED]	= "retrieved",
	[LUO_FILE_FAILED]	= "failed",
};

/**
 * struct luo_file - A file in a session.
 * @state:           See &enum luo_file_state.
 * @fh:              Its handler; NULL while %LUO_FILE_UNBOUND or
 *                   %LUO_FILE_MALFORMED.
 * @compatible:      %LUO_FILE_UNBOUND only: the handler it waits for.
 * @file:            The file: the preserved one, or the retrieved one.
 * @token:           Its token.
 * @serialized_data: The handler's handle.
 * @private_data:    The handler's private pointer.
 * @retrieve_err:    %LUO_FILE_FAILED only: the errno of its retrieve.
 * @id:              Its key in luo_file_ids: outgoing from its preservation,
 *                   incoming from its retrieval until it finishes.
 * @deps:            The FLBs it depends on.
 * @list:            In its session's list.
 */
struct luo_file {
	enum luo_file_state state;
	struct liveupdate_file_handler *fh;
	char *compatible;
	struct file *file;
	u64 token;
	u64 serialized_data;
	void *private_data;
	int retrieve_err;
	unsigned long id;
	struct luo_flb_deps deps;
	struct list_head list;
};

/*
 * What the handler sees of a retrieve (&liveupdate_file_op_args): 0 not
 * attempted, 1 retrieved, the errno of a failed one.
 */
static int luo_file_retrieve_status(struct luo_file *lf)
{
	switch (lf->state) {
	case LUO_FILE_RETRIEVED:
		return 1;
	case LUO_FILE_FAILED:
		return lf->retrieve_err;
	default:
		return 0;
	}
}

/*
 * The most files one session can hand over: the next kernel's limit on a
 * block chain. PRESERVE_FD refuses more with -ENOSPC, so that the live
 * update never fails for it. Test kernels may lower it, to reach it.
 */
#define LUO_MAX_FILES	(LUO_MAX_BLOCKS * LUO_BLOCK_ENTRIES(struct luo_file_ser))

static struct luo_limit luo_max_files = { LUO_MAX_FILES, LUO_MAX_FILES };
module_param_cb(max_files, &luo_limit_ops, &luo_max_files, LUO_LIMIT_PERM);
MODULE_PARM_DESC(max_files, "The most files in one session");

/*
 * How deep the retrieves of files that depend on each other may nest
 * (liveupdate_get_file_incoming() from a handler's retrieve or finish):
 * each level is a handler's stack frame, and the chain comes from the
 * previous kernel's data. Known dependencies are two or three deep
 * (iommufd on memfd, guest_memfd on a VM's fd).
 */
#define LUO_FILE_MAX_DEPTH	8

/* The registered handlers, in order (luo_register_rwlock). */
static LIST_HEAD(luo_file_handlers);

/*
 * Every file preserved in any session, and every file retrieved from a
 * session that is not finished, by id: neither can be preserved again.
 */
static DEFINE_XARRAY(luo_file_ids);

/* Fill the handler's arguments from @lf, a file of @fs. */
static void luo_file_to_args(struct luo_file_set *fs, struct luo_file *lf,
			     struct liveupdate_file_op_args *args)
{
	*args = (struct liveupdate_file_op_args) {
		.handler = lf->fh,
		.session = fs->session,
		.retrieve_status = luo_file_retrieve_status(lf),
		.file = lf->file,
		.serialized_data = lf->serialized_data,
		.private_data = lf->private_data,
	};
}

/* Copy back from a callback's arguments what the handler may change. */
static void luo_file_from_args(struct luo_file *lf,
			       struct liveupdate_file_op_args *args)
{
	lf->serialized_data = args->serialized_data;
	lf->private_data = args->private_data;
}

/*
 * The registered handler named @compatible, or NULL.
 * Context: luo_register_rwlock held.
 */
static struct liveupdate_file_handler *__luo_file_handler_find(const char *compatible)
{
	struct liveupdate_file_handler *fh;

	lockdep_assert_held(&luo_register_rwlock);
	list_private_for_each_entry(fh, &luo_file_handlers, list)
		if (!strncmp(fh->compatible, compatible,
			     LIVEUPDATE_HNDL_COMPAT_LENGTH))
			return fh;
	return NULL;
}

/**
 * __luo_file_handler_registered - Whether @fh is in the registry.
 * @fh: The handler.
 *
 * Context: luo_register_rwlock held.
 * Return: true if @fh is registered.
 */
static bool __luo_file_handler_registered(struct liveupdate_file_handler *fh)
{
	struct liveupdate_file_handler *it;

	lockdep_assert_held(&luo_register_rwlock);
	list_private_for_each_entry(it, &luo_file_handlers, list)
		if (it == fh)
			return true;
	return false;
}

static bool luo_file_ops_valid(const struct liveupdate_file_ops *ops)
{
	return ops && ops->can_preserve && ops->preserve && ops->unpreserve &&
	       ops->retrieve && ops->finish;
}

/**
 * liveupdate_register_file_handler - Register a file handler.
 * @fh: The handler; its ops and compatible string must be set.
 *
 * Context: Process context. Takes luo_register_rwlock for write.
 * Return: 0; -EOPNOTSUPP if live update is off; -EINVAL if one of
 * @can_preserve, @preserve, @unpreserve, @retrieve and @finish is missing
 * or the compatible string is bad; -EEXIST if a handler with this
 * compatible string is registered.
 */
int liveupdate_register_file_handler(struct liveupdate_file_handler *fh)
{
	if (!liveupdate_enabled())
		return -EOPNOTSUPP;
	if (!luo_file_ops_valid(fh->ops) ||
	    !luo_ser_string_valid(fh->compatible, sizeof(fh->compatible)))
		return -EINVAL;

	scoped_guard(rwsem_write, &luo_register_rwlock) {
		if (__luo_file_handler_find(fh->compatible))
			return -EEXIST;
		INIT_LIST_HEAD(&ACCESS_PRIVATE(fh, flb_list));
		list_add_tail(&ACCESS_PRIVATE(fh, list), &luo_file_handlers);
	}
	/* It registers FLBs itself: call it without the lock. */
	liveupdate_test_register(fh);
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_register_file_handler);

/**
 * liveupdate_unregister_file_handler - Unregister a file handler.
 * @fh: The handler.
 *
 * Also unregisters every FLB attached to @fh. A handler whose module is
 * pinned by a session cannot get here through module unload; a built-in
 * handler must not unregister while its files are preserved.
 *
 * Context: Process context. Takes luo_register_rwlock for write.
 */
void liveupdate_unregister_file_handler(struct liveupdate_file_handler *fh)
{
	if (!liveupdate_enabled())
		return;

	guard(rwsem_write)(&luo_register_rwlock);
	if (!__luo_file_handler_registered(fh))
		return;
	__luo_flb_detach_all(fh);
	list_del_init(&ACCESS_PRIVATE(fh, list));
}
EXPORT_SYMBOL_GPL(liveupdate_unregister_file_handler);

/**
 * liveupdate_register_flb - Attach an FLB to a file handler.
 * @fh:  A registered file handler.
 * @flb: The FLB; its ops and compatible string must be set.
 *
 * An FLB may serve several handlers. Files @fh preserves from now on depend
 * on @flb.
 *
 * Context: Process context. Takes luo_register_rwlock for write.
 * Return: 0; -EOPNOTSUPP if live update is off; -EINVAL for missing ops or
 * a bad compatible string; -ENOENT if @fh is not registered; -EEXIST if
 * @flb is attached to @fh already or another FLB has its compatible
 * string; -ENOMEM.
 */
int liveupdate_register_flb(struct liveupdate_file_handler *fh,
			    struct liveupdate_flb *flb)
{
	struct luo_flb_link *link;
	int err = -ENOENT;

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;
	link = luo_flb_link_new(flb);
	if (IS_ERR(link))
		return PTR_ERR(link);

	scoped_guard(rwsem_write, &luo_register_rwlock) {
		if (__luo_file_handler_registered(fh))
			err = __luo_flb_attach(fh, link);
	}
	if (err)
		luo_flb_link_free(link);
	return err;
}
EXPORT_SYMBOL_GPL(liveupdate_register_flb);

/**
 * liveupdate_unregister_flb - Detach an FLB from a file handler.
 * @fh:  The file handler.
 * @flb: The FLB.
 *
 * Files preserved before keep their dependency on @flb until they are
 * unpreserved or finished.
 *
 * Context: Process context. Takes luo_register_rwlock for write.
 */
void liveupdate_unregister_flb(struct liveupdate_file_handler *fh,
			       struct liveupdate_flb *flb)
{
	if (!liveupdate_enabled())
		return;

	guard(rwsem_write)(&luo_register_rwlock);
	if (__luo_file_handler_registered(fh))
		__luo_flb_detach(fh, flb);
}
EXPORT_SYMBOL_GPL(liveupdate_unregister_flb);

/**
 * __luo_file_show_registry - List the handlers (debugfs).
 * @m: Where to print.
 *
 * Context: luo_register_rwlock held.
 */
void __luo_file_show_registry(struct seq_file *m)
{
	struct liveupdate_file_handler *fh;

	lockdep_assert_held(&luo_register_rwlock);
	list_private_for_each_entry(fh, &luo_file_handlers, list)
		seq_printf(m, "handler %s\n", fh->compatible);
}

/* The name of @lf's handler, bound or awaited; "-" for a malformed entry. */
static const char *luo_file_handler_name(struct luo_file *lf)
{
	return lf->fh ? lf->fh->compatible : lf->compatible ?: "-";
}

/**
 * luo_file_show - List the files of a session (debugfs).
 * @m:        Where to print.
 * @fs:       The session's files.
 * @incoming: Whether the session is incoming.
 *
 * Never waits: while the session is in a callback (its lock is taken),
 * one line says "busy" instead.
 *
 * Context: Process context; the caller (the debugfs list) holds the lock
 * of the session's set, which keeps @fs alive; @fs->lock is only tried.
 */
void luo_file_show(struct seq_file *m, struct luo_file_set *fs, bool incoming)
{
	struct luo_file *lf;

	if (!mutex_trylock(&fs->lock)) {
		seq_puts(m, "busy\n");
		return;
	}
	list_for_each_entry(lf, &fs->files, list) {
		seq_printf(m, "file %llu %s ", lf->token,
			   luo_file_state_names[lf->state]);
		seq_escape(m, luo_file_handler_name(lf), " \t\n\\");
		if (!incoming && luo_target_refuses(lf->fh->compatible))
			seq_puts(m, " target-refuses");
		seq_putc(m, '\n');
	}
	mutex_unlock(&fs->lock);
}

/**
 * luo_file_count_refused - What the declared target would refuse of a set.
 * @fs:      An outgoing session's files.
 * @session: The session's name, for the log.
 * @all:     The target refuses everything (another handover ABI).
 *
 * Logs each file refused: session, token and handler.
 *
 * Context: Process context, @fs->lock held.
 * Return: the number of files the target would refuse.
 */
long luo_file_count_refused(struct luo_file_set *fs, const char *session,
			    bool all)
{
	struct luo_file *lf;
	long n = 0;

	lockdep_assert_held(&fs->lock);
	list_for_each_entry(lf, &fs->files, list) {
		if (!all && !luo_target_refuses(lf->fh->compatible))
			continue;
		pr_err("session '%s': file %llu (%s): the declared target would refuse it\n",
		       session, lf->token, lf->fh->compatible);
		n++;
	}
	return n;
}

/**
 * luo_file_check_record - Check the registry against this kernel's record.
 *
 * Every built-in handler must be named in the record of the image (a
 * module's are in its own): a handler without its entry would make a
 * target built from this source look as if it refused that handler's
 * files. Each one missing is logged.
 *
 * Context: Process context. Takes luo_register_rwlock for read.
 * Return: the number of built-in handlers and FLBs missing from the record.
 */
long luo_file_check_record(void)
{
	struct liveupdate_file_handler *fh;
	long n = 0;

	guard(rwsem_read)(&luo_register_rwlock);
	list_private_for_each_entry(fh, &luo_file_handlers, list) {
		if (fh->ops->owner || luo_record_has(fh->compatible))
			continue;
		pr_err("handler %s is not in the kernel's record\n",
		       fh->compatible);
		n++;
	}
	return n + __luo_flb_check_record();
}

/**
 * luo_file_set_init - Initialise an empty file set.
 * @fs:      The set.
 * @session: The session it belongs to.
 *
 * Context: Any context.
 */
void luo_file_set_init(struct luo_file_set *fs,
		       struct liveupdate_session *session)
{
	mutex_init(&fs->lock);
	xa_init(&fs->tokens);
	INIT_LIST_HEAD(&fs->files);
	fs->count = 0;
	kho_block_set_init(&fs->blocks, sizeof(struct luo_file_ser));
	fs->unbound = 0;
	fs->depth = 0;
	fs->session = session;
}

/**
 * luo_file_set_destroy - Tear down a file set that has no files left.
 * @fs: The set: unpreserved, finished or discarded to the last file.
 *
 * Context: Process context, @fs->lock not held.
 */
void luo_file_set_destroy(struct luo_file_set *fs)
{
	lockdep_assert_not_held(&fs->lock);
	WARN_ON_ONCE(fs->count || !list_empty(&fs->files));
	xa_destroy(&fs->tokens);
	kho_block_set_destroy(&fs->blocks);
	mutex_destroy(&fs->lock);
}

/**
 * luo_file_set_new - Allocate an empty file set.
 * @session: The session it belongs to.
 *
 * Context: Process context.
 * Return: the set, or NULL without memory.
 */
struct luo_file_set *luo_file_set_new(struct liveupdate_session *session)
{
	struct luo_file_set *fs = kmalloc_obj(*fs, GFP_KERNEL_ACCOUNT);

	if (fs)
		luo_file_set_init(fs, session);
	return fs;
}

/**
 * luo_file_set_free - Tear down and free a set from luo_file_set_new().
 * @fs: The set, with no files left, or NULL.
 *
 * Context: Process context, @fs->lock not held.
 */
void luo_file_set_free(struct luo_file_set *fs)
{
	if (!fs)
		return;
	luo_file_set_destroy(fs);
	kfree(fs);
}

/**
 * luo_file_set_count - The number of files in a set.
 * @fs: The set.
 *
 * Context: Any. Exact under @fs->lock, or while the live update holds
 * luo_state_rwsem for write; a view of a moment otherwise (fdinfo and the
 * debugfs list read it so, to wait on no callback), so nothing is asserted.
 * Return: the number of files.
 */
long luo_file_set_count(struct luo_file_set *fs)
{
	return fs->count;
}

/**
 * luo_file_set_unbound - The files of an incoming set still without handler.
 * @fs: The set.
 *
 * Context: @fs->lock held.
 * Return: the number of files whose handler has not registered yet.
 */
long luo_file_set_unbound(struct luo_file_set *fs)
{
	lockdep_assert_held(&fs->lock);
	return fs->unbound;
}

/*
 * The first handler, in registration order, that can preserve @file.
 * Context: luo_register_rwlock held.
 */
static struct liveupdate_file_handler *__luo_file_handler_for(struct file *file)
{
	struct liveupdate_file_handler *fh;

	lockdep_assert_held(&luo_register_rwlock);
	list_private_for_each_entry(fh, &luo_file_handlers, list)
		if (fh->ops->can_preserve(fh, file))
			return fh;
	return NULL;
}

/*
 * Bind @lf to its handler and take what the file needs: the handler's
 * module and the FLBs attached to it. A rebuilt file names its handler
 * (@compatible); a file being preserved takes the first that can preserve
 * it (@compatible NULL). The registry is only read here: FLB callbacks run
 * after it is dropped, with every module they need pinned. Only a live
 * module binds (see luo_module_get_live()): by then its init has attached
 * its FLBs, so a file never binds to a handler without them.
 * Return: 0; -ENOENT if no handler is registered (or its module is still
 * in its init, or going away); -ENODEV if an FLB's module is going away;
 * -ENOMEM; or what an FLB's preserve returned.
 */
static int luo_file_bind(struct luo_file *lf, const char *compatible)
{
	struct liveupdate_file_handler *fh;
	int err;

	scoped_guard(rwsem_read, &luo_register_rwlock) {
		fh = compatible ? __luo_file_handler_find(compatible) :
				  __luo_file_handler_for(lf->file);
		if (!fh || !luo_module_get_live(fh->ops->owner))
			return -ENOENT;
		err = __luo_flb_deps_pin(fh, &lf->deps, compatible);
		if (err) {
			module_put(fh->ops->owner);
			return err;
		}
	}
	if (compatible) {
		luo_flb_file_deserialize(&lf->deps);
	} else {
		err = luo_flb_file_preserve(&lf->deps);
		if (err) {
			module_put(fh->ops->owner);
			return err;
		}
	}
	lf->fh = fh;
	return 0;
}

static unsigned long luo_file_id(struct luo_file *lf)
{
	if (lf->fh->ops->get_id)
		return lf->fh->ops->get_id(lf->file);
	return (unsigned long)lf->file;
}

/*
 * Make room for a file being preserved: its id (a file is preserved once),
 * its token, and its entry in the set's block chain.
 * Context: @fs->lock held.
 */
static int __luo_file_index(struct luo_file_set *fs, struct luo_file *lf)
{
	int err;

	lockdep_assert_held(&fs->lock);
	lf->id = luo_file_id(lf);
	err = xa_insert(&luo_file_ids, lf->id, lf, GFP_KERNEL);
	if (err)
		return err;
	err = xa_insert(&fs->tokens, lf->token, lf, GFP_KERNEL_ACCOUNT);
	if (err)
		goto err_erase_id;
	err = kho_block_set_grow(&fs->blocks, fs->count + 1);
	if (err)
		goto err_erase_token;
	return 0;

err_erase_token:
	xa_erase(&fs->tokens, lf->token);
err_erase_id:
	xa_erase(&luo_file_ids, lf->id);
	return err;
}

/*
 * Undo __luo_file_index() for a file that was not preserved.
 * Context: @fs->lock held.
 */
static void __luo_file_unindex(struct luo_file_set *fs, struct luo_file *lf)
{
	lockdep_assert_held(&fs->lock);
	kho_block_set_shrink(&fs->blocks, fs->count);
	xa_erase(&fs->tokens, lf->token);
	xa_erase(&luo_file_ids, lf->id);
}

/*
 * The handler of the file @token of @fs, for a tracepoint: "-" if there is
 * no such file or its entry was malformed.
 * Context: @fs->lock held.
 */
static const char *__luo_file_handler_name(struct luo_file_set *fs, u64 token)
{
	struct luo_file *lf = NULL;

	lockdep_assert_held(&fs->lock);
	if (token == (unsigned long)token)
		lf = xa_load(&fs->tokens, token);
	return lf ? luo_file_handler_name(lf) : "-";
}

/* A new file for @token, with a reference on the file of @fd. */
static struct luo_file *luo_file_new(u64 token, int fd)
{
	struct luo_file *lf = kzalloc_obj(*lf, GFP_KERNEL_ACCOUNT);

	if (!lf)
		return ERR_PTR(-ENOMEM);
	lf->token = token;
	lf->file = fget(fd);
	if (!lf->file) {
		kfree(lf);
		return ERR_PTR(-EBADF);
	}
	return lf;
}

/*
 * Preserve a file; see luo_file_preserve().
 * Context: @fs->lock held.
 */
static int __luo_file_preserve(struct luo_file_set *fs, u64 token, int fd)
{
	struct liveupdate_file_op_args args;
	struct luo_file *lf;
	int err;

	lockdep_assert_held(&fs->lock);
	if (token != (unsigned long)token)
		return -EINVAL;
	if (xa_load(&fs->tokens, token))
		return -EEXIST;
	if (fs->count >= luo_limit(&luo_max_files))
		return -ENOSPC;
	lf = luo_file_new(token, fd);
	if (IS_ERR(lf))
		return PTR_ERR(lf);

	err = luo_file_bind(lf, NULL);
	if (err)
		goto err_fput;
	err = __luo_file_index(fs, lf);
	if (err)
		goto err_unbind;
	luo_file_to_args(fs, lf, &args);
	err = lf->fh->ops->preserve(&args);
	if (err)
		goto err_unindex;
	luo_file_from_args(lf, &args);
	list_add_tail(&lf->list, &fs->files);
	fs->count++;
	return 0;

err_unindex:
	__luo_file_unindex(fs, lf);
err_unbind:
	luo_flb_file_unpreserve(&lf->deps);
	module_put(lf->fh->ops->owner);
err_fput:
	fput(lf->file);
	kfree(lf);
	return err;
}

/**
 * luo_file_preserve - Preserve a file in an outgoing session.
 * @fs:      The session's files.
 * @token:   The token userspace chose.
 * @fd:      The file descriptor.
 * @session: The session's name, for the tracepoint.
 *
 * Context: Process context, @fs->lock held.
 * Return: 0; -EEXIST for a token in use; -ENOSPC if the session holds the
 * most files a handover carries; -EBADF; -ENOENT if no handler can
 * preserve the file; -EBUSY if it is preserved already; -ENOMEM; or what
 * the handler or an FLB returned.
 */
int luo_file_preserve(struct luo_file_set *fs, u64 token, int fd,
		      const char *session)
{
	int err;

	lockdep_assert_held(&fs->lock);
	err = __luo_file_preserve(fs, token, fd);
	/* Preserved all the same: the agent may declare another target. */
	if (!err && luo_target_declared() &&
	    luo_target_refuses(__luo_file_handler_name(fs, token)))
		pr_warn("session '%s': file %llu (%s) is preserved, but the declared target would refuse it\n",
			session, token, __luo_file_handler_name(fs, token));

	if (trace_liveupdate_file_preserve_enabled())
		trace_liveupdate_file_preserve(session, token, err ? "-" :
					       __luo_file_handler_name(fs, token),
					       err);
	return err;
}

/**
 * luo_file_token - The token of a preserved file.
 * @fs:     An outgoing session's files.
 * @file:   The file.
 * @tokenp: Out: its token, if not NULL.
 *
 * A walk of the set's files: a handler looks up the few files it depends
 * on, when it preserves or freezes its own.
 *
 * Context: Process context, @fs->lock held.
 * Return: 0, or -ENOENT if @file is not preserved in @fs.
 */
int luo_file_token(struct luo_file_set *fs, struct file *file, u64 *tokenp)
{
	struct luo_file *lf;

	lockdep_assert_held(&fs->lock);
	list_for_each_entry(lf, &fs->files, list) {
		if (lf->file != file)
			continue;
		if (tokenp)
			*tokenp = lf->token;
		return 0;
	}
	return -ENOENT;
}

/*
 * Drop a file from its set; whatever the handler kept is dealt with.
 * Context: @fs->lock held.
 */
static void __luo_file_free(struct luo_file_set *fs, struct luo_file *lf)
{
	lockdep_assert_held(&fs->lock);
	/* Only if it is this file's: an incoming file may have no id. */
	xa_cmpxchg(&luo_file_ids, lf->id, lf, NULL, 0);
	list_del(&lf->list);
	xa_erase(&fs->tokens, lf->token);
	fs->count--;
	if (lf->fh)
		module_put(lf->fh->ops->owner);
	else if (lf->state == LUO_FILE_UNBOUND)
		fs->unbound--;
	kfree(lf->compatible);
	if (lf->file)
		fput(lf->file);
	kfree(lf);
}

/**
 * luo_file_unpreserve_all - Give back every file of an outgoing session.
 * @fs: The session's files.
 *
 * In reverse preservation order, dependents before what they depend on.
 *
 * Context: Process context, @fs->lock held.
 */
void luo_file_unpreserve_all(struct luo_file_set *fs)
{
	struct liveupdate_file_op_args args;
	struct luo_file *lf, *tmp;

	lockdep_assert_held(&fs->lock);
	list_for_each_entry_safe_reverse(lf, tmp, &fs->files, list) {
		luo_file_to_args(fs, lf, &args);
		lf->fh->ops->unpreserve(&args);
		luo_flb_file_unpreserve(&lf->deps);
		__luo_file_free(fs, lf);
	}
	kho_block_set_shrink(&fs->blocks, 0);
}

/**
 * luo_file_unfreeze_all - Undo the freeze of every file that froze.
 * @fs: The session's files.
 *
 * In reverse preservation order: a file is unfrozen before the files it
 * depends on.
 *
 * Context: Process context, @fs->lock held.
 */
void luo_file_unfreeze_all(struct luo_file_set *fs)
{
	struct liveupdate_file_op_args args;
	struct luo_file *lf;

	lockdep_assert_held(&fs->lock);
	list_for_each_entry_reverse(lf, &fs->files, list) {
		if (lf->state != LUO_FILE_FROZEN)
			continue;
		lf->state = LUO_FILE_PRESERVED;
		if (!lf->fh->ops->unfreeze)
			continue;
		luo_file_to_args(fs, lf, &args);
		lf->fh->ops->unfreeze(&args);
		luo_file_from_args(lf, &args);
	}
}

/**
 * luo_file_freeze_all - Freeze every file of an outgoing session.
 * @fs: The session's files.
 *
 * In preservation order: a file is frozen after the files preserved
 * before it, which are the ones it can depend on.
 *
 * Context: Process context, @fs->lock held.
 * Return: 0, or the errno of the first freeze that failed, in which case
 * the files of @fs are unfrozen again.
 */
int luo_file_freeze_all(struct luo_file_set *fs)
{
	struct liveupdate_file_op_args args;
	struct luo_file *lf;
	int err;

	lockdep_assert_held(&fs->lock);
	list_for_each_entry(lf, &fs->files, list) {
		if (lf->fh->ops->freeze) {
			luo_file_to_args(fs, lf, &args);
			err = lf->fh->ops->freeze(&args);
			if (err) {
				luo_file_unfreeze_all(fs);
				return err;
			}
			luo_file_from_args(lf, &args);
		}
		lf->state = LUO_FILE_FROZEN;
	}
	return 0;
}

/**
 * luo_file_serialize - Write the files of a frozen session.
 * @fs:  The session's files.
 * @ser: Out: where the chain is.
 *
 * Context: Process context, @fs->lock held.
 */
void luo_file_serialize(struct luo_file_set *fs, struct luo_file_set_ser *ser)
{
	struct kho_block_set_it it;
	struct luo_file_ser *entry;
	struct luo_file *lf;

	lockdep_assert_held(&fs->lock);
	luo_block_set_rewind(&fs->blocks, &fs->lock);
	kho_block_set_it_init(&it, &fs->blocks);
	list_for_each_entry(lf, &fs->files, list) {
		entry = kho_block_set_it_reserve_entry(&it);
		memcpy(entry->compatible, lf->fh->compatible,
		       sizeof(entry->compatible));
		entry->data = lf->serialized_data;
		entry->token = lf->token;
	}
	ser->files = kho_block_set_head_pa(&fs->blocks);
	ser->count = fs->count;
}

/*
 * Whether a rebuilt file that failed to bind (@err) may bind later: its
 * handler is not registered, or a module it needs is going away.
 */
static bool luo_file_bind_later(int err)
{
	return err == -ENOENT || err == -ENODEV;
}

/* Keep a rebuilt file that binds later (@why: luo_file_bind()'s errno). */
static int luo_file_keep_unbound(struct luo_file_set *fs, struct luo_file *lf,
				 const char *compatible, int why)
{
	pr_warn_ratelimited("token %llu: handler '%.*s' %s\n", lf->token,
			    LIVEUPDATE_HNDL_COMPAT_LENGTH, compatible,
			    why == -ENOENT ? "is not registered yet" :
			    "needs an FLB whose module is going away");
	lf->compatible = kstrdup(compatible, GFP_KERNEL);
	if (!lf->compatible)
		return -ENOMEM;
	lf->state = LUO_FILE_UNBOUND;
	fs->unbound++;
	return 0;
}

/*
 * Bind a rebuilt file to the handler @compatible names, or keep it to bind
 * later; a malformed name costs this file only (refused at its retrieve).
 */
static int luo_file_bind_rebuilt(struct luo_file_set *fs, struct luo_file *lf,
				 const char *compatible)
{
	int err;

	if (!luo_ser_string_valid(compatible, LIVEUPDATE_HNDL_COMPAT_LENGTH)) {
		pr_err("token %llu: a file's handler name is empty or unterminated: the file is refused\n",
		       lf->token);
		lf->state = LUO_FILE_MALFORMED;
		return 0;
	}
	err = luo_file_bind(lf, compatible);
	if (!err)
		lf->state = LUO_FILE_BOUND;
	else if (luo_file_bind_later(err))
		err = luo_file_keep_unbound(fs, lf, compatible, err);
	return err;
}

/* Rebuild one file of an incoming session. */
static int luo_file_deserialize_one(const void *entry, void *arg)
{
	const struct luo_file_ser *ser = entry;
	struct luo_file_set *fs = arg;
	struct luo_file *lf;
	int err;

	if (ser->token != (unsigned long)ser->token)
		return -EINVAL;
	lf = kzalloc_obj(*lf);
	if (!lf)
		return -ENOMEM;
	lf->token = ser->token;
	lf->serialized_data = ser->data;
	err = xa_insert(&fs->tokens, lf->token, lf, GFP_KERNEL);
	if (err) {
		if (err == -EBUSY) {
			pr_err("token %llu is handed over twice\n", lf->token);
			err = -EINVAL;
		}
		kfree(lf);
		return err;
	}
	err = luo_file_bind_rebuilt(fs, lf, ser->compatible);
	if (err) {
		xa_erase(&fs->tokens, lf->token);
		kfree(lf);
		return err;
	}
	list_add_tail(&lf->list, &fs->files);
	fs->count++;
	return 0;
}

/**
 * luo_file_set_ser_none - Whether a session handed over no file at all.
 * @ser: The session's file set, as the previous kernel wrote it.
 *
 * Such a session needs no file set. One with a chain but no count, or a
 * count but no chain, is malformed: luo_file_deserialize() refuses it.
 *
 * Return: true if @ser has neither a chain nor a count.
 */
bool luo_file_set_ser_none(const struct luo_file_set_ser *ser)
{
	return !ser->files && !ser->count;
}

/**
 * luo_file_deserialize - Rebuild the files of an incoming session.
 * @fs:  The session's files, empty.
 * @r:   How to reach the previous kernel's memory.
 * @ser: The session's file set, as the previous kernel wrote it.
 *
 * No handler is called: files are retrieved on demand. A file whose
 * handler is not registered is kept unbound (@fs->unbound).
 *
 * Context: Process context, @fs->lock held.
 * Return: 0; -EINVAL for malformed state; -EADDRINUSE if the chain shares a
 * page with another; -ENOMEM. On failure the caller discards @fs.
 */
int luo_file_deserialize(struct luo_file_set *fs, struct luo_ser_reader *r,
			 const struct luo_file_set_ser *ser)
{
	long n;

	lockdep_assert_held(&fs->lock);
	if (!ser->files != !ser->count)
		return -EINVAL;
	n = luo_chain_walk(r, ser->files, sizeof(struct luo_file_ser),
			   luo_file_deserialize_one, fs);
	if (n < 0)
		return n;
	if (n != ser->count) {
		pr_err("a session says %llu files, its chain has %ld\n",
		       ser->count, n);
		return -EINVAL;
	}
	return 0;
}

/*
 * Bind @lf, a file whose handler was not registered when it was rebuilt.
 * Return: 0 once bound, or the errno of luo_file_bind().
 */
static int luo_file_bind_late(struct luo_file_set *fs, struct luo_file *lf)
{
	int err;

	lockdep_assert_held(&fs->lock);
	err = luo_file_bind(lf, lf->compatible);
	if (err)
		return err;
	kfree(lf->compatible);
	lf->compatible = NULL;
	lf->state = LUO_FILE_BOUND;
	fs->unbound--;
	return 0;
}

/*
 * Bind the files whose handler registered late, before the finish. A file
 * that still cannot bind stays unbound (and is given up). Returns 0, or
 * -ENOMEM.
 */
static int luo_file_bind_pending(struct luo_file_set *fs)
{
	struct luo_file *lf;
	int err;

	lockdep_assert_held(&fs->lock);
	if (!fs->unbound)
		return 0;
	list_for_each_entry(lf, &fs->files, list) {
		if (lf->state != LUO_FILE_UNBOUND)
			continue;
		err = luo_file_bind_late(fs, lf);
		if (err && !luo_file_bind_later(err))
			return err;
	}
	return 0;
}

/**
 * luo_file_discard_all - Forget the files of an incoming session.
 * @fs: The session's files.
 *
 * For a rebuild that failed: no handler is called.
 *
 * Context: Process context, @fs->lock held.
 */
void luo_file_discard_all(struct luo_file_set *fs)
{
	struct luo_file *lf, *tmp;

	lockdep_assert_held(&fs->lock);
	list_for_each_entry_safe(lf, tmp, &fs->files, list) {
		luo_flb_file_discard(&lf->deps);
		__luo_file_free(fs, lf);
	}
}

/*
 * Run the handler's retrieve, the first time; its result is remembered.
 * The handler may retrieve the files it depends on from there
 * (liveupdate_get_file_incoming()), which comes back here for them.
 * Context: @fs->lock held.
 */
static void __luo_file_retrieve_first(struct luo_file_set *fs,
				      struct luo_file *lf)
{
	struct liveupdate_file_op_args args;
	int err;

	lockdep_assert_held(&fs->lock);
	luo_file_to_args(fs, lf, &args);
	lf->state = LUO_FILE_RETRIEVING;
	fs->depth++;
	err = lf->fh->ops->retrieve(&args);
	fs->depth--;
	if (WARN_ONCE(err > 0 || (!err && !args.file),
		      "liveupdate: handler %s: retrieve returned %d and file %p\n",
		      lf->fh->compatible, err, args.file)) {
		if (!err && args.file)
			fput(args.file);
		err = -EINVAL;
	}
	if (err) {
		lf->retrieve_err = err;
		lf->state = LUO_FILE_FAILED;
		return;
	}
	luo_file_from_args(lf, &args);
	lf->file = args.file;
	lf->state = LUO_FILE_RETRIEVED;
	/* Until it finishes, it cannot be preserved (-EBUSY). */
	lf->id = luo_file_id(lf);
	if (xa_insert(&luo_file_ids, lf->id, lf, GFP_KERNEL))
		pr_warn("token %llu: retrieved file not registered\n",
			lf->token);
}

/*
 * Retrieve a file; see luo_file_retrieve().
 * Context: @fs->lock held.
 */
static int __luo_file_retrieve(struct luo_file_set *fs, u64 token,
			       struct file **filep)
{
	struct luo_file *lf;
	int err;

	lockdep_assert_held(&fs->lock);
	if (token != (unsigned long)token)
		return -ENOENT;
	lf = xa_load(&fs->tokens, token);
	if (!lf)
		return -ENOENT;
	if (lf->state == LUO_FILE_MALFORMED)
		return -EIO;
	if (lf->state == LUO_FILE_UNBOUND) {
		/* Nothing is faked: without its handler, the file waits. */
		err = luo_file_bind_late(fs, lf);
		if (err)
			return luo_file_bind_later(err) ? -ENOPKG : err;
	}
	/* A file whose retrieve asks for itself, through its dependencies. */
	if (lf->state == LUO_FILE_RETRIEVING)
		return -EDEADLK;
	if (lf->state == LUO_FILE_BOUND) {
		/* Its handler is not called: not remembered (not attempted). */
		if (fs->depth >= LUO_FILE_MAX_DEPTH)
			return -ELOOP;
		__luo_file_retrieve_first(fs, lf);
	}
	if (lf->state == LUO_FILE_FAILED)
		return lf->retrieve_err;
	*filep = get_file(lf->file);
	return 0;
}

/**
 * luo_file_retrieve - Get a file of an incoming session.
 * @fs:      The session's files.
 * @token:   The file's token.
 * @filep:   Out: the file, with a reference for the caller.
 * @session: The session's name, for the tracepoint.
 *
 * Context: Process context, @fs->lock held. Takes luo_register_rwlock
 * for a file whose handler registered late.
 * Return: 0; -ENOENT for an unknown token; -EIO if the file's entry was
 * malformed in the handover; -ENOPKG while the file's handler is not
 * registered (not remembered: the same call succeeds once it is); -ELOOP
 * if retrieving it would nest deeper than %LUO_FILE_MAX_DEPTH retrieves of
 * files that depend on each other (not remembered: its handler was not
 * called, and the same call from less deep succeeds); or the errno of the
 * handler's retrieve, now or the first time (-EINVAL for a handler that
 * returned no file).
 */
int luo_file_retrieve(struct luo_file_set *fs, u64 token, struct file **filep,
		      const char *session)
{
	int err;

	lockdep_assert_held(&fs->lock);
	err = __luo_file_retrieve(fs, token, filep);

	if (trace_liveupdate_file_retrieve_enabled())
		trace_liveupdate_file_retrieve(session, token,
					       __luo_file_handler_name(fs, token),
					       err);
	return err;
}

/*
 * Give up a file that cannot be finished, saying so in the log: its handler
 * never registered, or its entry was malformed.
 */
static void luo_file_give_up(struct luo_file_set *fs, struct luo_file *lf,
			     const char *session)
{
	lockdep_assert_held(&fs->lock);
	if (lf->state == LUO_FILE_MALFORMED)
		pr_warn("session '%s': file %llu given up: its entry was malformed; the memory it preserved (handle %#llx) stays reserved until the next boot\n",
			session, lf->token, lf->serialized_data);
	else
		pr_warn("session '%s': file %llu given up: its handler '%s' never registered; the memory it preserved (handle %#llx) stays reserved until the next boot\n",
			session, lf->token, lf->compatible, lf->serialized_data);
	__luo_file_free(fs, lf);
}

/**
 * luo_file_finish_all - Finish every file of an incoming session.
 * @fs:      The session's files.
 * @session: The session's name, for the log.
 *
 * Nothing is finished unless every file can finish: every @can_finish is
 * asked first, then the files finish in reverse preservation order, each
 * before the files it depends on. A file whose handler
 * registered late is bound first; one whose handler is still missing is
 * given up: it is forgotten with a line in the log, and the memory it
 * preserved cannot be released without its handler.
 *
 * Context: Process context, @fs->lock held. Takes luo_register_rwlock
 * to bind files whose handler registered late.
 * Return: 0, -EBUSY if a file cannot finish yet, or the errno of a late
 * file's FLB deserialization.
 */
int luo_file_finish_all(struct luo_file_set *fs, const char *session)
{
	struct liveupdate_file_op_args args;
	struct luo_file *lf, *tmp;
	int err;

	lockdep_assert_held(&fs->lock);
	err = luo_file_bind_pending(fs);
	if (err)
		return err;
	list_for_each_entry(lf, &fs->files, list) {
		if (!lf->fh || !lf->fh->ops->can_finish)
			continue;
		luo_file_to_args(fs, lf, &args);
		if (!lf->fh->ops->can_finish(&args))
			return -EBUSY;
	}
	list_for_each_entry_safe_reverse(lf, tmp, &fs->files, list) {
		trace_liveupdate_file_finish(session, lf->token,
					     luo_file_handler_name(lf),
					     lf->fh ? 0 : lf->compatible ?
					     -ENOPKG : -EIO);
		if (!lf->fh) {
			luo_file_give_up(fs, lf, session);
			continue;
		}
		luo_file_to_args(fs, lf, &args);
		lf->fh->ops->finish(&args);
		luo_flb_file_finish(&lf->deps);
		__luo_file_free(fs, lf);
	}
	return 0;
}

#ifdef CONFIG_LIVEUPDATE_KUNIT_TEST
#include "tests/luo_file-kunit.h"
#endif
