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
 *   @finish runs once, when every file the previous kernel handed over
 *   with the FLB is finished or given up and every reference from
 *   liveupdate_flb_get_incoming() is put. The count of those files comes
 *   from the FLB page, not from the files bound so far: files of several
 *   sessions share the FLB, and a session may bind its files (its handler's
 *   module loading late) long after another finished its own. The count
 *   is the previous kernel's word, so it is not trusted alone: the FLB
 *   never finishes while a file of this kernel is bound to it, and once
 *   every incoming session is finished (or refused) every FLB left is
 *   finished, or given up if no handler of this kernel serves it.
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
 * enum luo_flb_in_state - Where an incoming FLB is in its life.
 * @LUO_FLB_IN_HANDED:    Handed over; retrieve has not run.
 * @LUO_FLB_IN_RETRIEVED: retrieve succeeded: the FLB has its object.
 * @LUO_FLB_IN_FAILED:    retrieve failed; its errno is remembered.
 * @LUO_FLB_IN_FINISHING: Retrieved, its last file finished; finish runs
 *                        when the last reference is put.
 * @LUO_FLB_IN_FINISHED:  Gone: finish ran, or its last file finished
 *                        after a failed retrieve.
 *
 * The first liveupdate_flb_get_incoming() moves HANDED to RETRIEVED or
 * FAILED. The finish of the last file that depends on the FLB retrieves it
 * first if need be, then moves RETRIEVED to FINISHED (running finish) or,
 * while references are held, to FINISHING; FAILED goes to FINISHED. The
 * put of the last reference moves FINISHING to FINISHED, running finish.
 */
enum luo_flb_in_state {
	LUO_FLB_IN_HANDED,
	LUO_FLB_IN_RETRIEVED,
	LUO_FLB_IN_FAILED,
	LUO_FLB_IN_FINISHING,
	LUO_FLB_IN_FINISHED,
};

/* What the debugfs registry calls each state. */
static const char *const luo_flb_in_state_names[] = {
	[LUO_FLB_IN_HANDED]	= "handed",
	[LUO_FLB_IN_RETRIEVED]	= "retrieved",
	[LUO_FLB_IN_FAILED]	= "failed",
	[LUO_FLB_IN_FINISHING]	= "finishing",
	[LUO_FLB_IN_FINISHED]	= "finished",
};

/**
 * struct luo_flb_incoming - An FLB as the previous kernel handed it over.
 * @name:   Its compatible string.
 * @data:   Its handle.
 * @lock:   Serialises its callbacks and the fields below; only held
 *          inside LUO's functions, never across a get and its put.
 * @key:    The lockdep class of @lock, one per FLB.
 * @state:  See &enum luo_flb_in_state.
 * @err:    The errno of a failed retrieve (%LUO_FLB_IN_FAILED).
 * @users:  Rebuilt files bound to it (their handler serves it) that have
 *          not finished.
 * @pending: Files the previous kernel handed over with it that are neither
 *          finished nor given up; from the FLB page (see the DOC above).
 * @refs:   References from liveupdate_flb_get_incoming() not yet put.
 * @obj:    What retrieve made of @data.
 * @flb:    The FLB whose retrieve made @obj; valid while @owner is held.
 * @owner:  The module LUO holds a reference on for it, or NULL: held while
 *          @users is non-zero and from a successful retrieve until finish.
 */
struct luo_flb_incoming {
	char name[LIVEUPDATE_FLB_COMPAT_LENGTH];
	u64 data;
	struct mutex lock;		/* see @lock above */
	struct lock_class_key key;
	enum luo_flb_in_state state;
	int err;
	long users;
	u64 pending;
	long refs;
	void *obj;
	struct liveupdate_flb *flb;
	struct module *owner;
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

/*
 * The FLB attached to a handler under @compatible, or NULL.
 * Context: luo_register_rwlock held.
 */
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

/*
 * An FLB other than @flb that preserved files depend on under @flb's name:
 * one detached from every handler while its files stay preserved.
 * Context: luo_flb_active_lock held.
 */
static struct luo_flb_private *__luo_flb_active_other(struct liveupdate_flb *flb)
{
	struct luo_flb_private *priv;

	lockdep_assert_held(&luo_flb_active_lock);
	list_for_each_entry(priv, &luo_flb_active, active)
		if (luo_flb_of(priv) != flb &&
		    !strncmp(luo_flb_of(priv)->compatible, flb->compatible,
			     LIVEUPDATE_FLB_COMPAT_LENGTH))
			return priv;
	return NULL;
}

/**
 * __luo_flb_attach - Attach an FLB to a registered handler.
 * @fh:   The handler.
 * @link: What luo_flb_link_new() returned for the FLB; attached on
 *        success, the caller's to free on failure.
 *
 * A name stands for one FLB in a handover: another FLB object of the same
 * name is refused while the first is attached, and also while files
 * still depend on it after it was detached (the handover would carry the
 * name twice, and the next kernel refuses such an FLB page).
 *
 * Context: luo_register_rwlock held for write; @fh is registered. Takes
 * luo_flb_active_lock.
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
	scoped_guard(mutex, &luo_flb_active_lock)
		if (__luo_flb_active_other(flb))
			return -EEXIST;

	list_add_tail(&link->node, &ACCESS_PRIVATE(fh, flb_list));
	if (!priv->handlers++)
		list_add_tail(&priv->list, &luo_flb_list);
	return 0;
}

/*
 * Detach the FLB of @link from its handler and free @link.
 * Context: luo_register_rwlock held for write.
 */
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

/**
 * __luo_flb_deps_pin - Collect the FLBs a file of @fh depends on.
 * @fh:       The file's handler.
 * @deps:     Out: the FLBs attached to @fh (for an incoming file, those
 *            the previous kernel handed over), each with a reference on
 *            its module that luo_flb_file_preserve(),
 *            luo_flb_file_deserialize() or luo_flb_deps_unpin() takes over.
 * @incoming: Whether the file is being rebuilt rather than preserved.
 *
 * Only the collection needs the registry: the FLB callbacks then run with
 * no registry lock held, so a slow FLB stalls no registration.
 *
 * Context: luo_register_rwlock held.
 * Return: 0, -ENOMEM, or -ENODEV if an FLB's module is going away.
 */
int __luo_flb_deps_pin(struct liveupdate_file_handler *fh,
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
		if (!luo_module_get_live(link->flb->ops->owner)) {
			luo_flb_deps_unpin(deps);
			return -ENODEV;
		}
		deps->flbs[deps->count++] = link->flb;
	}
	return 0;
}

/**
 * luo_flb_deps_unpin - Drop what __luo_flb_deps_pin() took.
 * @deps: The FLBs; emptied.
 *
 * Context: Process context.
 */
void luo_flb_deps_unpin(struct luo_flb_deps *deps)
{
	while (deps->count)
		module_put(deps->flbs[--deps->count]->ops->owner);
	kfree(deps->flbs);
	deps->flbs = NULL;
}

/*
 * Drop a reference on an outgoing FLB: unpreserve it after the last.
 * Context: @priv->lock held.
 */
static void __luo_flb_out_unref(struct liveupdate_flb *flb,
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

/*
 * Make @flb one of the FLBs the live update hands over, unless another FLB
 * of its name is there already: a file bound to @flb before it was
 * detached may get here after a new FLB of the name was attached.
 * Context: @flb's lock held.
 */
static int __luo_flb_activate(struct liveupdate_flb *flb,
			      struct luo_flb_private *priv)
{
	lockdep_assert_held(&priv->lock);
	guard(mutex)(&luo_flb_active_lock);
	if (__luo_flb_active_other(flb)) {
		pr_warn("flb %s: another FLB of this name is in use\n",
			flb->compatible);
		return -EEXIST;
	}
	list_add_tail(&priv->active, &luo_flb_active);
	return 0;
}

/*
 * A file starts depending on @flb, whose module the caller pinned: preserve
 * it if it is the first. The pin becomes the FLB's own module reference,
 * or is dropped; the FLB keeps one reference while it is preserved.
 */
static int luo_flb_out_use(struct liveupdate_flb *flb)
{
	struct luo_flb_private *priv = luo_flb_private(flb);
	struct liveupdate_flb_op_args args = { .flb = flb };
	int err;

	guard(mutex)(&priv->lock);
	if (!priv->users) {
		err = __luo_flb_activate(flb, priv);
		if (err) {
			module_put(flb->ops->owner);
			return err;
		}
	}
	if (priv->refs) {
		module_put(flb->ops->owner);
	} else {
		err = flb->ops->preserve(&args);
		if (err) {
			if (!priv->users) {
				guard(mutex)(&luo_flb_active_lock);
				list_del_init(&priv->active);
			}
			module_put(flb->ops->owner);
			return err;
		}
		priv->data = args.data;
		priv->obj = args.obj;
	}
	priv->refs++;
	priv->users++;
	return 0;
}

/* A file stops depending on @flb: unpreserve it if it was the last. */
static void luo_flb_out_unuse(struct liveupdate_flb *flb)
{
	struct luo_flb_private *priv = luo_flb_private(flb);

	guard(mutex)(&priv->lock);
	if (WARN_ON_ONCE(priv->users <= 0))
		return;
	if (!--priv->users) {
		guard(mutex)(&luo_flb_active_lock);
		list_del_init(&priv->active);
	}
	__luo_flb_out_unref(flb, priv);
}

/**
 * luo_flb_file_preserve - A file is being preserved.
 * @deps: The FLBs it depends on, from __luo_flb_deps_pin(); its pins are
 *        taken over in every case, and @deps is emptied on failure.
 *
 * Runs the preserve of each FLB no other preserved file uses yet.
 *
 * Context: Process context; no registry lock held.
 * Return: 0, or what an FLB's preserve returned (nothing is left taken).
 */
int luo_flb_file_preserve(struct luo_flb_deps *deps)
{
	unsigned int i, j;
	int err;

	lockdep_assert_not_held(&luo_register_rwlock);
	for (i = 0; i < deps->count; i++) {
		err = luo_flb_out_use(deps->flbs[i]);
		if (err)
			goto err_unuse;
	}
	return 0;

err_unuse:
	/* The failed FLB dropped its pin; drop those not reached. */
	for (j = i + 1; j < deps->count; j++)
		module_put(deps->flbs[j]->ops->owner);
	deps->count = i;
	luo_flb_file_unpreserve(deps);
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
		luo_flb_out_unuse(deps->flbs[--deps->count]);
	kfree(deps->flbs);
	deps->flbs = NULL;
}

/**
 * luo_flb_file_deserialize - A file is rebuilt in the new kernel.
 * @deps: The incoming FLBs it depends on, from __luo_flb_deps_pin(); the
 *        FLBs keep their module pins until the file finishes or is
 *        discarded.
 *
 * Context: Process context; no registry lock held.
 */
void luo_flb_file_deserialize(struct luo_flb_deps *deps)
{
	struct luo_flb_incoming *in;
	struct module *owner;
	unsigned int i;

	for (i = 0; i < deps->count; i++) {
		owner = deps->flbs[i]->ops->owner;
		in = luo_flb_incoming_find(deps->flbs[i]->compatible);
		guard(mutex)(&in->lock);
		in->users++;
		if (in->owner)
			module_put(owner);
		else
			in->owner = owner;
	}
}

/*
 * Drop LUO's reference on an incoming FLB's module.
 * Context: @in->lock held.
 */
static void __luo_flb_in_unpin(struct luo_flb_incoming *in)
{
	lockdep_assert_held(&in->lock);
	module_put(in->owner);
	in->owner = NULL;
}

/*
 * Run retrieve if it has not run; its result is remembered. A successful
 * retrieve pins @flb's module until finish. @flb's module is live.
 * Context: @in->lock held.
 */
static void __luo_flb_retrieve(struct luo_flb_incoming *in,
			       struct liveupdate_flb *flb)
{
	struct liveupdate_flb_op_args args = { .flb = flb, .data = in->data };
	int err;

	lockdep_assert_held(&in->lock);
	if (in->state != LUO_FLB_IN_HANDED)
		return;
	err = flb->ops->retrieve(&args);
	if (err) {
		pr_err("flb %s: retrieve failed: %pe\n", flb->compatible,
		       ERR_PTR(err));
		in->state = LUO_FLB_IN_FAILED;
		in->err = err;
		return;
	}
	in->obj = args.obj;
	in->flb = flb;
	in->state = LUO_FLB_IN_RETRIEVED;
	if (!in->owner) {
		__module_get(flb->ops->owner);
		in->owner = flb->ops->owner;
	}
}

/* Whether a retrieved object holds the FLB's module (until finish). */
static bool luo_flb_in_has_obj(struct luo_flb_incoming *in)
{
	return in->state == LUO_FLB_IN_RETRIEVED ||
	       in->state == LUO_FLB_IN_FINISHING;
}

/*
 * Finish an incoming FLB: its last file has finished (%LUO_FLB_IN_FINISHING
 * or earlier) and no reference is held. @flb's module is live.
 * Context: @in->lock held.
 */
static void __luo_flb_in_finish(struct luo_flb_incoming *in,
				struct liveupdate_flb *flb)
{
	struct liveupdate_flb_op_args args = { .flb = flb };

	lockdep_assert_held(&in->lock);
	if (luo_flb_in_has_obj(in)) {
		args.data = in->data;
		args.obj = in->obj;
		flb->ops->finish(&args);
	}
	in->obj = NULL;
	in->flb = NULL;
	in->state = LUO_FLB_IN_FINISHED;
	if (in->owner)
		__luo_flb_in_unpin(in);
}

/*
 * No file needs the FLB any more: retrieve it if nobody did (its finish
 * releases what it preserved), then finish it, or let the put of the last
 * reference finish it. @flb's module is live.
 * Context: @in->lock held.
 */
static void __luo_flb_in_end(struct luo_flb_incoming *in,
			     struct liveupdate_flb *flb)
{
	lockdep_assert_held(&in->lock);
	if (in->state == LUO_FLB_IN_FINISHING ||
	    in->state == LUO_FLB_IN_FINISHED)
		return;
	__luo_flb_retrieve(in, flb);
	if (in->refs)
		in->state = LUO_FLB_IN_FINISHING;
	else
		__luo_flb_in_finish(in, flb);
}

/*
 * A rebuilt file that depends on @flb is finished, or forgotten (@finish
 * false: a rebuild undone, to be done again). The FLB ends with the last
 * file the previous kernel handed over with it, not with the last one
 * bound so far. While files are bound to it, the FLB pins its module.
 */
static void luo_flb_in_unuse(struct liveupdate_flb *flb, bool finish)
{
	struct luo_flb_incoming *in = luo_flb_incoming_find(flb->compatible);

	guard(mutex)(&in->lock);
	if (WARN_ON_ONCE(in->users <= 0))
		return;
	in->users--;
	if (finish && in->pending)
		in->pending--;
	if (in->users)
		return;
	if (finish && !in->pending) {
		__luo_flb_in_end(in, flb);
		return;
	}
	/* No bound file and no object need the module any more. */
	if (!luo_flb_in_has_obj(in) && in->owner)
		__luo_flb_in_unpin(in);
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
		luo_flb_in_unuse(deps->flbs[--deps->count], true);
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
		luo_flb_in_unuse(deps->flbs[--deps->count], false);
	kfree(deps->flbs);
	deps->flbs = NULL;
}

/*
 * End an incoming FLB whose files are all finished or given up, with @flb
 * (pinned by the caller, or NULL if no handler of this kernel serves the
 * FLB). Without a retrieved object or @flb, it is given up.
 */
static void luo_flb_in_end_orphan(struct luo_flb_incoming *in,
				  struct liveupdate_flb *flb)
{
	guard(mutex)(&in->lock);
	/* A bound file keeps it: cannot be, every session is done. */
	if (in->users || in->state == LUO_FLB_IN_FINISHED)
		return;
	in->pending = 0;
	if (luo_flb_in_has_obj(in))
		flb = in->flb;	/* pinned by @in->owner */
	if (flb) {
		__luo_flb_in_end(in, flb);
		return;
	}
	pr_warn("flb '%.*s' given up: no handler of this kernel serves it\n",
		(int)sizeof(in->name), in->name);
	in->state = LUO_FLB_IN_FINISHED;
}

/**
 * luo_flb_incoming_end_all - End the FLBs once every incoming session is done.
 *
 * Every incoming session is finished or refused, so every file the
 * previous kernel handed over is finished or given up: each incoming FLB
 * that has not finished yet (files given up without their handler never
 * counted down) is finished now, or given up if no registered handler
 * serves it.
 *
 * Context: Process context, no LUO lock held. Takes luo_register_rwlock
 * for read, then each FLB's lock.
 */
void luo_flb_incoming_end_all(void)
{
	struct liveupdate_flb *flb;
	unsigned int i;

	for (i = 0; i < luo_flb_in_count; i++) {
		scoped_guard(rwsem_read, &luo_register_rwlock) {
			flb = __luo_flb_find(luo_flb_in[i].name);
			if (flb && !luo_module_get_live(flb->ops->owner))
				flb = NULL;
		}
		luo_flb_in_end_orphan(&luo_flb_in[i], flb);
		if (flb)
			module_put(flb->ops->owner);
	}
}

/* Take a reference on an incoming FLB, retrieving it first if need be. */
static int luo_flb_in_ref(struct luo_flb_incoming *in,
			  struct liveupdate_flb *flb, void **objp)
{
	guard(mutex)(&in->lock);
	__luo_flb_retrieve(in, flb);
	if (in->state == LUO_FLB_IN_FAILED)
		return in->err;
	if (!luo_flb_in_has_obj(in))
		return -ENOENT;
	in->refs++;
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
	/* Not only live: a module may get its FLB from its own init. */
	if (!try_module_get(flb->ops->owner))
		return -ENODEV;
	err = luo_flb_in_ref(in, flb, objp);
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
	if (WARN_ON_ONCE(in->refs <= 0))
		return;
	if (!--in->refs && in->state == LUO_FLB_IN_FINISHING)
		__luo_flb_in_finish(in, flb);
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
	__luo_flb_out_unref(flb, priv);
}
EXPORT_SYMBOL_GPL(liveupdate_flb_put_outgoing);

/**
 * luo_flb_count_refused - What the declared target would refuse of the FLBs.
 * @all: The target refuses everything (another handover ABI).
 *
 * Logs each FLB in use that the target would refuse.
 *
 * Context: Process context. Takes luo_flb_active_lock.
 * Return: the number of FLBs in use the target would refuse.
 */
long luo_flb_count_refused(bool all)
{
	struct luo_flb_private *priv;
	const char *name;
	long n = 0;

	guard(mutex)(&luo_flb_active_lock);
	list_for_each_entry(priv, &luo_flb_active, active) {
		name = luo_flb_of(priv)->compatible;
		if (!all && !luo_target_refuses(name))
			continue;
		pr_err("flb %s: the declared target would refuse it\n", name);
		n++;
	}
	return n;
}

/**
 * __luo_flb_check_record - Check the registered FLBs against the record.
 *
 * Context: luo_register_rwlock held.
 * Return: the number of built-in FLBs missing from the kernel's record,
 * each logged.
 */
long __luo_flb_check_record(void)
{
	struct liveupdate_flb *flb;
	struct luo_flb_private *priv;
	long n = 0;

	lockdep_assert_held(&luo_register_rwlock);
	list_for_each_entry(priv, &luo_flb_list, list) {
		flb = luo_flb_of(priv);
		if (flb->ops->owner || luo_record_has(flb->compatible))
			continue;
		pr_err("flb %s is not in the kernel's record\n", flb->compatible);
		n++;
	}
	return n;
}

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

/* Copy @count FLB entries to @in; false if a name is bad or repeated. */
static bool luo_flb_copy_entries(struct luo_flb_incoming *in,
				 const struct luo_flb_ser *entry, u64 count)
{
	u64 i, j;

	for (i = 0; i < count; i++) {
		if (!luo_ser_string_valid(entry[i].name, sizeof(entry[i].name)))
			goto err;
		for (j = 0; j < i; j++)
			if (!strcmp(in[j].name, entry[i].name))
				goto err;
		memcpy(in[i].name, entry[i].name, sizeof(in[i].name));
		in[i].data = entry[i].data;
		/* Untrusted: it only delays the end (see the DOC above). */
		in[i].pending = entry[i].count;
	}
	return true;

err:
	pr_err("FLB %llu has a bad or repeated name: '%.*s'\n", i,
	       (int)sizeof(entry[i].name), entry[i].name);
	return false;
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
	u64 count, pgcnt;

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
	if (!luo_flb_copy_entries(in, entry, count)) {
		kfree(in);
		return -EINVAL;
	}
	*flbsp = in;
	*countp = count;
	return 0;
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

	struct luo_flb_incoming *in;
	enum luo_flb_in_state state;
	long users, refs;
	u64 pending;
	unsigned int i;

	lockdep_assert_held(&luo_register_rwlock);
	list_for_each_entry(priv, &luo_flb_list, list)
		seq_printf(m, "flb %s handlers=%d users=%ld\n",
			   luo_flb_of(priv)->compatible, priv->handlers,
			   READ_ONCE(priv->users));
	for (i = 0; i < luo_flb_in_count; i++) {
		in = &luo_flb_in[i];
		/* Unlocked, not to wait on a callback: a view of a moment. */
		state = data_race(in->state);
		/* As above. */
		users = data_race(in->users);
		/* As above. */
		refs = data_race(in->refs);
		/* As above. */
		pending = data_race(in->pending);
		seq_printf(m, "flb-incoming %s users=%ld pending=%llu refs=%ld ",
			   luo_flb_in_state_names[state], users, pending, refs);
		seq_escape(m, in->name, " \t\n\\");
		seq_putc(m, '\n');
	}
}

#ifdef CONFIG_LIVEUPDATE_KUNIT_TEST
#include "tests/luo_flb-kunit.h"
#endif
