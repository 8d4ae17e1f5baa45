// SPDX-License-Identifier: GPL-2.0
/*
 * Live Update Orchestrator: File-Lifecycle-Bound objects (FLBs).
 */

/**
 * DOC: LUO File-Lifecycle-Bound objects
 *
 * Some state belongs to no single file but must live exactly as long as
 * any file that needs it: the global state of a driver whose devices are
 * preserved, for instance. Such state is an FLB, attached to one or more
 * file handlers with liveupdate_register_flb(). Every file those handlers
 * preserve depends on the FLBs attached at that moment.
 *
 * - Before the live update, the FLB's @preserve runs when the first file
 *   that depends on it is preserved (in any session), and @unpreserve when
 *   the last one is unpreserved and no reference from
 *   liveupdate_flb_get_outgoing() is left.
 * - At the live update, the handle and number of users of every FLB that
 *   preserved files depend on are written to the FLB page (at most 63
 *   FLBs), registered or not: an FLB unregistered while files still need
 *   it is handed over all the same.
 * - In the new kernel, the FLB page is read at early boot. @retrieve runs
 *   once, at the first liveupdate_flb_get_incoming() or, failing that,
 *   when the last dependent file finishes; a failed retrieve is remembered.
 *   @finish runs once the last file that depends on it has finished and
 *   every reference from liveupdate_flb_get_incoming() is put.
 *
 * The get functions take a reference and return with no lock held; the
 * matching put drops it, from any process context. LUO holds a reference
 * on the FLB's module while preserved files depend on it, and in the new
 * kernel from its rebuilt files or its successful retrieve until finish.
 * An FLB's &struct luo_flb_private is initialised on first use under a
 * spinlock, because FLBs are usually static and nothing else initialises
 * them. The incoming state lives in LUO, not in the FLB, so a
 * module unloaded and loaded again finds it unchanged.
 *
 * Unregistering a file handler unregisters the FLBs attached to it.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/cleanup.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include <asm/sections.h>

#include "luo_internal.h"

/* How many FLBs fit in the FLB page. */
#define LUO_FLB_MAX							\
	((KHO_BLOCK_SIZE - sizeof(struct luo_flb_header_ser)) /		\
	 sizeof(struct luo_flb_ser))

/**
 * struct luo_flb_incoming - An FLB as the previous kernel handed it over.
 * @name:     Its compatible string.
 * @data:     Its handle.
 * @lock:     Serialises its callbacks and the fields below; only held
 *            inside LUO's functions, never across a get and its put.
 * @key:      The lockdep class of @lock, one per FLB.
 * @users:    Rebuilt files that depend on it and have not finished.
 * @gets:     References from liveupdate_flb_get_incoming() not yet put.
 * @obj:      What retrieve made of @data.
 * @status:   0 before retrieve, 1 after a successful one, or its errno.
 * @finish_pending: The last file that depended on it finished; it finishes
 *            once @gets is zero.
 * @finished: Its finish ran: it is gone.
 * @owner:    The module LUO holds a reference on for it.
 * @pinned:   Whether LUO holds that reference.
 */
struct luo_flb_incoming {
	char name[LIVEUPDATE_FLB_COMPAT_LENGTH];
	u64 data;
	struct mutex lock;		/* see @lock above */
	struct lock_class_key key;
	long users;
	long gets;
	void *obj;
	int status;
	bool finish_pending;
	bool finished;
	struct module *owner;
	bool pinned;
};

/**
 * struct luo_flb_link - One FLB attached to one handler.
 * @node: In the handler's flb_list.
 * @flb:  The FLB.
 */
struct luo_flb_link {
	struct list_head node;
	struct liveupdate_flb *flb;
};

/* Lazy initialisation of FLB private state; see the hierarchy. */
static DEFINE_SPINLOCK(luo_flb_init_lock);

/* Every FLB attached to at least one handler (luo_register_rwlock). */
static LIST_HEAD(luo_flb_list);

/*
 * Every FLB that preserved files depend on (luo_flb_private.users > 0),
 * registered or not. Taken inside an FLB's lock.
 */
static DEFINE_MUTEX(luo_flb_active_lock);
static LIST_HEAD(luo_flb_active);

/* The FLB page for the next kernel, prepared at boot. */
static struct luo_flb_header_ser *luo_flb_out_page;

/* The FLBs the previous kernel handed over; fixed after early boot. */
static struct luo_flb_incoming *luo_flb_in;
static unsigned int luo_flb_in_count;

static struct luo_flb_private *luo_flb_private(struct liveupdate_flb *flb)
{
	struct luo_flb_private *priv = &ACCESS_PRIVATE(flb, private);

	/* Pairs with the release below: a ready FLB is fully initialised. */
	if (smp_load_acquire(&priv->ready))
		return priv;

	spin_lock(&luo_flb_init_lock);
	if (!priv->ready) {
		mutex_init(&priv->lock);
		/* A class per FLB where its key is static, as FLBs are. */
		if (is_kernel_core_data((unsigned long)&priv->key) ||
		    is_module_address((unsigned long)&priv->key))
			lockdep_set_class(&priv->lock, &priv->key);
		INIT_LIST_HEAD(&priv->list);
		INIT_LIST_HEAD(&priv->active);
		/* Publish the initialised fields before the flag. */
		smp_store_release(&priv->ready, true);
	}
	spin_unlock(&luo_flb_init_lock);
	return priv;
}

static struct liveupdate_flb *luo_flb_of(struct luo_flb_private *priv)
{
	return container_of(priv, struct liveupdate_flb, private);
}

static struct luo_flb_incoming *luo_flb_incoming_find(const char *compatible)
{
	unsigned int i;

	for (i = 0; i < luo_flb_in_count; i++)
		if (!strncmp(luo_flb_in[i].name, compatible,
			     LIVEUPDATE_FLB_COMPAT_LENGTH))
			return &luo_flb_in[i];
	return NULL;
}

static struct liveupdate_flb *__luo_flb_find(const char *compatible)
{
	struct luo_flb_private *priv;

	lockdep_assert_held(&luo_register_rwlock);
	list_for_each_entry(priv, &luo_flb_list, list)
		if (!strncmp(luo_flb_of(priv)->compatible, compatible,
			     LIVEUPDATE_FLB_COMPAT_LENGTH))
			return luo_flb_of(priv);
	return NULL;
}

static bool luo_flb_ops_valid(const struct liveupdate_flb_ops *ops)
{
	return ops && ops->preserve && ops->unpreserve && ops->retrieve &&
	       ops->finish;
}

/**
 * luo_flb_link_new - Check an FLB and prepare its attachment to a handler.
 * @flb: The FLB; its ops and compatible string must be set.
 *
 * Context: Process context.
 * Return: the link for __luo_flb_attach(); ERR_PTR(-EINVAL) for missing
 * ops (a caller's bug, with a warning) or a bad compatible string;
 * ERR_PTR(-ENOMEM).
 */
struct luo_flb_link *luo_flb_link_new(struct liveupdate_flb *flb)
{
	struct luo_flb_link *link;

	/* An FLB without its callbacks is a caller's bug: WARN, -EINVAL. */
	if (WARN_ON(!luo_flb_ops_valid(flb->ops)) ||
	    !luo_ser_string_valid(flb->compatible, sizeof(flb->compatible)))
		return ERR_PTR(-EINVAL);
	link = kzalloc_obj(*link);
	if (!link)
		return ERR_PTR(-ENOMEM);
	link->flb = flb;
	return link;
}

/**
 * luo_flb_link_free - Free a link that was not attached.
 * @link: What luo_flb_link_new() returned.
 */
void luo_flb_link_free(struct luo_flb_link *link)
{
	kfree(link);
}

/**
 * __luo_flb_attach - Attach an FLB to a registered handler.
 * @fh:   The handler.
 * @link: What luo_flb_link_new() returned for the FLB; attached on
 *        success, the caller's to free on failure.
 *
 * Context: luo_register_rwlock held for write; @fh is registered.
 * Return: 0, or -EEXIST if the FLB is attached to @fh already or another
 * FLB has its compatible string.
 */
int __luo_flb_attach(struct liveupdate_file_handler *fh,
		     struct luo_flb_link *link)
{
	struct liveupdate_flb *flb = link->flb, *other;
	struct luo_flb_private *priv = luo_flb_private(flb);
	struct luo_flb_link *it;

	lockdep_assert_held_write(&luo_register_rwlock);
	list_for_each_entry(it, &ACCESS_PRIVATE(fh, flb_list), node)
		if (it->flb == flb)
			return -EEXIST;
	other = __luo_flb_find(flb->compatible);
	if (other && other != flb)
		return -EEXIST;

	list_add_tail(&link->node, &ACCESS_PRIVATE(fh, flb_list));
	if (!priv->handlers++)
		list_add_tail(&priv->list, &luo_flb_list);
	return 0;
}

static void __luo_flb_unlink(struct luo_flb_link *link)
{
	struct luo_flb_private *priv = luo_flb_private(link->flb);

	lockdep_assert_held_write(&luo_register_rwlock);
	list_del(&link->node);
	if (!--priv->handlers)
		list_del_init(&priv->list);
	kfree(link);
}

/**
 * __luo_flb_detach - Detach an FLB from a registered handler.
 * @fh:  The handler.
 * @flb: The FLB; nothing happens if it is not attached to @fh.
 *
 * Context: luo_register_rwlock held for write; @fh is registered.
 */
void __luo_flb_detach(struct liveupdate_file_handler *fh,
		      struct liveupdate_flb *flb)
{
	struct luo_flb_link *link;

	lockdep_assert_held_write(&luo_register_rwlock);
	list_for_each_entry(link, &ACCESS_PRIVATE(fh, flb_list), node) {
		if (link->flb == flb) {
			__luo_flb_unlink(link);
			return;
		}
	}
}

/**
 * __luo_flb_detach_all - Detach every FLB from a handler.
 * @fh: The handler being unregistered.
 *
 * Context: luo_register_rwlock held for write.
 */
void __luo_flb_detach_all(struct liveupdate_file_handler *fh)
{
	struct luo_flb_link *link, *tmp;

	lockdep_assert_held_write(&luo_register_rwlock);
	list_for_each_entry_safe(link, tmp, &ACCESS_PRIVATE(fh, flb_list), node)
		__luo_flb_unlink(link);
}

/* Collect the FLBs attached to @fh. */
static int __luo_flb_deps_init(struct liveupdate_file_handler *fh,
			       struct luo_flb_deps *deps, bool incoming)
{
	struct luo_flb_link *link;
	unsigned int n = 0;

	lockdep_assert_held(&luo_register_rwlock);
	deps->flbs = NULL;
	deps->count = 0;
	list_for_each_entry(link, &ACCESS_PRIVATE(fh, flb_list), node)
		n++;
	if (!n)
		return 0;
	deps->flbs = kzalloc_objs(*deps->flbs, n);
	if (!deps->flbs)
		return -ENOMEM;
	list_for_each_entry(link, &ACCESS_PRIVATE(fh, flb_list), node) {
		if (incoming && !luo_flb_incoming_find(link->flb->compatible))
			continue;
		deps->flbs[deps->count++] = link->flb;
	}
	return 0;
}

/* Drop one reference on an outgoing FLB: unpreserve it after the last. */
static void __luo_flb_out_drop(struct liveupdate_flb *flb,
			       struct luo_flb_private *priv)
{
	struct liveupdate_flb_op_args args = { .flb = flb };

	lockdep_assert_held(&priv->lock);
	if (WARN_ON_ONCE(priv->refs <= 0) || --priv->refs)
		return;
	args.data = priv->data;
	args.obj = priv->obj;
	flb->ops->unpreserve(&args);
	priv->data = 0;
	priv->obj = NULL;
	module_put(flb->ops->owner);
}

/* A file starts depending on @flb: preserve it if it is the first. */
static int luo_flb_get_out(struct liveupdate_flb *flb)
{
	struct luo_flb_private *priv = luo_flb_private(flb);
	struct liveupdate_flb_op_args args = { .flb = flb };
	int err;

	guard(mutex)(&priv->lock);
	if (!priv->refs) {
		if (!try_module_get(flb->ops->owner))
			return -ENODEV;
		err = flb->ops->preserve(&args);
		if (err) {
			module_put(flb->ops->owner);
			return err;
		}
		priv->data = args.data;
		priv->obj = args.obj;
	}
	priv->refs++;
	if (!priv->users++) {
		guard(mutex)(&luo_flb_active_lock);
		list_add_tail(&priv->active, &luo_flb_active);
	}
	return 0;
}

/* A file stops depending on @flb: unpreserve it if it was the last. */
static void luo_flb_put_out(struct liveupdate_flb *flb)
{
	struct luo_flb_private *priv = luo_flb_private(flb);

	guard(mutex)(&priv->lock);
	if (WARN_ON_ONCE(priv->users <= 0))
		return;
	if (!--priv->users) {
		guard(mutex)(&luo_flb_active_lock);
		list_del_init(&priv->active);
	}
	__luo_flb_out_drop(flb, priv);
}

/**
 * __luo_flb_file_preserve - A file of @fh is being preserved.
 * @fh:   Its handler.
 * @deps: Out: the FLBs it now depends on.
 *
 * Context: Process context, luo_register_rwlock held.
 * Return: 0, -ENOMEM, -ENODEV if an FLB's module is going away, or what an
 * FLB's preserve returned (nothing is left taken).
 */
int __luo_flb_file_preserve(struct liveupdate_file_handler *fh,
			    struct luo_flb_deps *deps)
{
	unsigned int i;
	int err;

	lockdep_assert_held(&luo_register_rwlock);
	err = __luo_flb_deps_init(fh, deps, false);
	if (err)
		return err;
	for (i = 0; i < deps->count; i++) {
		err = luo_flb_get_out(deps->flbs[i]);
		if (err)
			goto err_put;
	}
	return 0;

err_put:
	while (i--)
		luo_flb_put_out(deps->flbs[i]);
	kfree(deps->flbs);
	deps->flbs = NULL;
	deps->count = 0;
	return err;
}

/**
 * luo_flb_file_unpreserve - A preserved file is unpreserved.
 * @deps: The FLBs it depends on; emptied.
 *
 * Context: Process context.
 */
void luo_flb_file_unpreserve(struct luo_flb_deps *deps)
{
	while (deps->count)
		luo_flb_put_out(deps->flbs[--deps->count]);
	kfree(deps->flbs);
	deps->flbs = NULL;
}

/* Hold @owner for an incoming FLB until it finishes; @owner is live. */
static void __luo_flb_in_pin(struct luo_flb_incoming *in, struct module *owner)
{
	lockdep_assert_held(&in->lock);
	if (in->pinned)
		return;
	__module_get(owner);
	in->owner = owner;
	in->pinned = true;
}

static void __luo_flb_in_unpin(struct luo_flb_incoming *in)
{
	lockdep_assert_held(&in->lock);
	if (!in->pinned)
		return;
	in->pinned = false;
	module_put(in->owner);
}

/**
 * __luo_flb_file_deserialize - A file of @fh is rebuilt in the new kernel.
 * @fh:   Its handler.
 * @deps: Out: the incoming FLBs it depends on.
 *
 * Context: Process context, luo_register_rwlock held.
 * Return: 0, -ENOMEM, or -ENOENT if an FLB's module is going away.
 */
int __luo_flb_file_deserialize(struct liveupdate_file_handler *fh,
			       struct luo_flb_deps *deps)
{
	struct luo_flb_incoming *in;
	struct module *owner;
	unsigned int i;
	int err;

	lockdep_assert_held(&luo_register_rwlock);
	err = __luo_flb_deps_init(fh, deps, true);
	if (err)
		return err;
	for (i = 0; i < deps->count; i++) {
		owner = deps->flbs[i]->ops->owner;
		if (!try_module_get(owner)) {
			deps->count = i;
			luo_flb_file_discard(deps);
			return -ENOENT;
		}
		in = luo_flb_incoming_find(deps->flbs[i]->compatible);
		scoped_guard(mutex, &in->lock) {
			__luo_flb_in_pin(in, owner);
			in->users++;
		}
		module_put(owner);
	}
	return 0;
}

/* Run retrieve once; its result is remembered. @flb's module is live. */
static void __luo_flb_retrieve(struct luo_flb_incoming *in,
			       struct liveupdate_flb *flb)
{
	struct liveupdate_flb_op_args args = { .flb = flb, .data = in->data };
	int err;

	lockdep_assert_held(&in->lock);
	if (in->status)
		return;
	err = flb->ops->retrieve(&args);
	if (err) {
		pr_err("flb %s: retrieve failed: %pe\n", flb->compatible,
		       ERR_PTR(err));
		in->status = err;
		return;
	}
	in->obj = args.obj;
	in->status = 1;
	__luo_flb_in_pin(in, flb->ops->owner);
}

/*
 * Finish an incoming FLB once its last file has finished and nobody holds
 * a reference from liveupdate_flb_get_incoming().
 */
static void __luo_flb_in_try_finish(struct luo_flb_incoming *in,
				    struct liveupdate_flb *flb)
{
	struct liveupdate_flb_op_args args = { .flb = flb };

	lockdep_assert_held(&in->lock);
	if (!in->finish_pending || in->gets || in->finished)
		return;
	__luo_flb_retrieve(in, flb);
	if (in->status > 0) {
		args.data = in->data;
		args.obj = in->obj;
		flb->ops->finish(&args);
	}
	in->obj = NULL;
	in->finished = true;
	__luo_flb_in_unpin(in);
}

/* A rebuilt file that depends on @flb is finished or forgotten. */
static void luo_flb_put_in(struct liveupdate_flb *flb, bool finish)
{
	struct luo_flb_incoming *in = luo_flb_incoming_find(flb->compatible);

	guard(mutex)(&in->lock);
	if (WARN_ON_ONCE(in->users <= 0) || --in->users)
		return;
	if (finish) {
		in->finish_pending = true;
		__luo_flb_in_try_finish(in, flb);
	} else if (in->status <= 0 && !in->gets) {
		/* Nothing was retrieved: the module may go. */
		__luo_flb_in_unpin(in);
	}
}

/**
 * luo_flb_file_finish - A rebuilt file finished.
 * @deps: The incoming FLBs it depends on; emptied.
 *
 * Context: Process context.
 */
void luo_flb_file_finish(struct luo_flb_deps *deps)
{
	while (deps->count)
		luo_flb_put_in(deps->flbs[--deps->count], true);
	kfree(deps->flbs);
	deps->flbs = NULL;
}

/**
 * luo_flb_file_discard - A rebuilt file is forgotten (failed rebuild).
 * @deps: The incoming FLBs it depends on; emptied.
 *
 * Context: Process context.
 */
void luo_flb_file_discard(struct luo_flb_deps *deps)
{
	while (deps->count)
		luo_flb_put_in(deps->flbs[--deps->count], false);
	kfree(deps->flbs);
	deps->flbs = NULL;
}

/* Take a reference on an incoming FLB, retrieving it first if need be. */
static int luo_flb_in_get(struct luo_flb_incoming *in,
			  struct liveupdate_flb *flb, void **objp)
{
	guard(mutex)(&in->lock);
	if (in->finished)
		return -ENOENT;
	__luo_flb_retrieve(in, flb);
	if (in->status < 0)
		return in->status;
	in->gets++;
	*objp = in->obj;
	return 0;
}

/**
 * liveupdate_flb_get_incoming - Get the object of an incoming FLB.
 * @flb:  The FLB.
 * @objp: Out: its object.
 *
 * Retrieves the FLB if nobody did yet, and takes a reference that
 * liveupdate_flb_put_incoming() drops: the FLB does not finish in between.
 * No lock is held on return, so the reference may be kept across contexts.
 * A successful retrieve pins the FLB's module until the FLB finishes.
 *
 * Context: Process context; may sleep.
 * Return: 0; -EOPNOTSUPP if live update is off; -ENODATA if the previous
 * kernel handed over no FLB at all; -ENOENT if it did not hand this one
 * over, or it has finished; -ENODEV if its module is going away; or the
 * errno of its retrieve, now or the first time.
 */
int liveupdate_flb_get_incoming(struct liveupdate_flb *flb, void **objp)
{
	struct luo_flb_incoming *in;
	int err;

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;
	if (!luo_flb_in_count)
		return -ENODATA;
	in = luo_flb_incoming_find(flb->compatible);
	if (!in)
		return -ENOENT;
	if (!try_module_get(flb->ops->owner))
		return -ENODEV;
	err = luo_flb_in_get(in, flb, objp);
	module_put(flb->ops->owner);
	return err;
}
EXPORT_SYMBOL_GPL(liveupdate_flb_get_incoming);

/**
 * liveupdate_flb_put_incoming - Drop a reference liveupdate_flb_get_incoming() took.
 * @flb: The FLB.
 *
 * Runs the FLB's finish if its last file has finished meanwhile.
 *
 * Context: Process context, after a successful get; may sleep.
 */
void liveupdate_flb_put_incoming(struct liveupdate_flb *flb)
{
	struct luo_flb_incoming *in = luo_flb_incoming_find(flb->compatible);

	if (WARN_ON_ONCE(!in))
		return;
	guard(mutex)(&in->lock);
	if (WARN_ON_ONCE(in->gets <= 0))
		return;
	in->gets--;
	__luo_flb_in_try_finish(in, flb);
}
EXPORT_SYMBOL_GPL(liveupdate_flb_put_incoming);

/**
 * liveupdate_flb_get_outgoing - Get the object of an FLB in use.
 * @flb:  The FLB.
 * @objp: Out: the object its preserve made.
 *
 * Takes a reference that liveupdate_flb_put_outgoing() drops: the FLB is
 * not unpreserved in between. No lock is held on return.
 *
 * Context: Process context; may sleep.
 * Return: 0; -EOPNOTSUPP if live update is off; -ENOENT if no preserved
 * file depends on @flb (it has no object).
 */
int liveupdate_flb_get_outgoing(struct liveupdate_flb *flb, void **objp)
{
	struct luo_flb_private *priv;

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;
	priv = luo_flb_private(flb);
	guard(mutex)(&priv->lock);
	if (!priv->refs)
		return -ENOENT;
	priv->refs++;
	*objp = priv->obj;
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_flb_get_outgoing);

/**
 * liveupdate_flb_put_outgoing - Drop a reference liveupdate_flb_get_outgoing() took.
 * @flb: The FLB.
 *
 * Unpreserves the FLB if no file depends on it any more.
 *
 * Context: Process context, after a successful get; may sleep.
 */
void liveupdate_flb_put_outgoing(struct liveupdate_flb *flb)
{
	struct luo_flb_private *priv = luo_flb_private(flb);

	guard(mutex)(&priv->lock);
	__luo_flb_out_drop(flb, priv);
}
EXPORT_SYMBOL_GPL(liveupdate_flb_put_outgoing);

/**
 * luo_flb_outgoing_init - Prepare the FLB page for the next kernel.
 *
 * Context: Boot.
 * Return: 0 or a negative errno.
 */
int luo_flb_outgoing_init(void)
{
	struct luo_flb_header_ser *page = kho_alloc_preserve(KHO_BLOCK_SIZE);

	if (IS_ERR(page))
		return PTR_ERR(page);
	luo_flb_out_page = page;
	return 0;
}

/**
 * luo_flb_serialize - Write every FLB in use to the FLB page.
 * @flbs_pa: Out: the page.
 *
 * Context: luo_state_rwsem held for write (liveupdate_reboot()).
 * Return: 0, or -ENOSPC if more FLBs are in use than the page holds.
 */
int luo_flb_serialize(u64 *flbs_pa)
{
	struct luo_flb_ser *entry = (void *)(luo_flb_out_page + 1);
	struct luo_flb_private *priv;
	u64 n = 0;

	/* Files are neither preserved nor unpreserved: @users is stable. */
	lockdep_assert_held_write(&luo_state_rwsem);
	guard(mutex)(&luo_flb_active_lock);
	list_for_each_entry(priv, &luo_flb_active, active) {
		if (n == LUO_FLB_MAX)
			return -ENOSPC;
		memcpy(entry[n].name, luo_flb_of(priv)->compatible,
		       sizeof(entry[n].name));
		entry[n].data = priv->data;
		entry[n].count = priv->users;
		n++;
	}
	luo_flb_out_page->pgcnt = 1;
	luo_flb_out_page->count = n;
	*flbs_pa = virt_to_phys(luo_flb_out_page);
	return 0;
}

/**
 * luo_flb_parse - Read and check an FLB page from the previous kernel.
 * @r:       How to reach the previous kernel's memory; the page is claimed
 *           through it.
 * @flbs_pa: The page, or 0.
 * @flbsp:   Out: an array of the FLBs it names (kfree() it), or NULL.
 * @countp:  Out: its length.
 *
 * Context: Process context.
 * Return: 0; -EINVAL if the page is not preserved memory, its counts are
 * out of bounds, or a name is empty, unterminated or repeated; -ENOMEM.
 */
static int luo_flb_parse(struct luo_ser_reader *r, u64 flbs_pa,
			 struct luo_flb_incoming **flbsp,
			 unsigned int *countp)
{
	const struct luo_flb_header_ser *hdr;
	const struct luo_flb_ser *entry;
	struct luo_flb_incoming *in;
	u64 i, j, count, pgcnt;

	*flbsp = NULL;
	*countp = 0;
	if (!flbs_pa)
		return 0;
	hdr = luo_ser_claim(r, flbs_pa);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	pgcnt = READ_ONCE(hdr->pgcnt);
	count = READ_ONCE(hdr->count);
	if (pgcnt != 1 || count > LUO_FLB_MAX) {
		pr_err("the FLB page says %llu pages and %llu FLBs (1 and at most %zu)\n",
		       pgcnt, count, LUO_FLB_MAX);
		return -EINVAL;
	}
	if (!count)
		return 0;

	entry = (const void *)(hdr + 1);
	in = kzalloc_objs(*in, count);
	if (!in)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		if (!luo_ser_string_valid(entry[i].name, sizeof(entry[i].name)))
			goto err_free;
		for (j = 0; j < i; j++)
			if (!strcmp(in[j].name, entry[i].name))
				goto err_free;
		memcpy(in[i].name, entry[i].name, sizeof(in[i].name));
		in[i].data = entry[i].data;
	}
	*flbsp = in;
	*countp = count;
	return 0;

err_free:
	pr_err("FLB %llu has a bad or repeated name: '%.*s'\n", i,
	       (int)sizeof(entry[i].name), entry[i].name);
	kfree(in);
	return -EINVAL;
}

/**
 * luo_flb_parse_incoming - Take note of the previous kernel's FLBs.
 * @r:       How to reach the previous kernel's memory.
 * @flbs_pa: The FLB page, or 0.
 *
 * Context: Early boot, before any FLB is registered.
 * Return: 0 or a negative errno (see luo_flb_parse()).
 */
int luo_flb_parse_incoming(struct luo_ser_reader *r, u64 flbs_pa)
{
	unsigned int i;
	int err;

	err = luo_flb_parse(r, flbs_pa, &luo_flb_in, &luo_flb_in_count);
	if (err)
		return err;
	/* A lock class per FLB: one FLB's retrieve may get another FLB. */
	for (i = 0; i < luo_flb_in_count; i++) {
		mutex_init(&luo_flb_in[i].lock);
		lockdep_register_key(&luo_flb_in[i].key);
		lockdep_set_class(&luo_flb_in[i].lock, &luo_flb_in[i].key);
	}
	return 0;
}

/**
 * __luo_flb_show_registry - List the FLBs (debugfs).
 * @m: Where to print.
 *
 * Context: luo_register_rwlock held.
 */
void __luo_flb_show_registry(struct seq_file *m)
{
	struct luo_flb_private *priv;

	lockdep_assert_held(&luo_register_rwlock);
	list_for_each_entry(priv, &luo_flb_list, list)
		seq_printf(m, "flb %s handlers=%d users=%ld\n",
			   luo_flb_of(priv)->compatible, priv->handlers,
			   READ_ONCE(priv->users));
}

#ifdef CONFIG_LIVEUPDATE_KUNIT_TEST
#include "tests/luo_flb-kunit.h"
#endif
