/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Live Update Orchestrator: the in-kernel API.
 *
 * Subsystems that can keep a kind of file alive across a kexec register a
 * file handler; state shared by many such files (a driver's global state,
 * say) is a File-Lifecycle-Bound object (FLB) attached to the handler.
 * See Documentation/core-api/liveupdate.rst.
 */
#ifndef _LINUX_LIVEUPDATE_H
#define _LINUX_LIVEUPDATE_H

#include <linux/compiler.h>
#include <linux/kho/abi/luo.h>
#include <linux/list.h>
#include <linux/lockdep_types.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <uapi/linux/liveupdate.h>

struct file;
struct module;
struct liveupdate_file_handler;
struct liveupdate_flb;
struct liveupdate_session;

/**
 * struct liveupdate_file_op_args - Arguments of the file handler callbacks.
 * @handler:         The handler called.
 * @session:         The session the file belongs to, for the lookups of
 *                   files it depends on (liveupdate_get_token_outgoing(),
 *                   liveupdate_get_file_incoming()).
 * @retrieve_status: 0 if retrieve was not called yet, a positive value after
 *                   a successful retrieve, the negative errno of a retrieve
 *                   that failed (input to finish and can_finish).
 * @file:            The file (input to preserve, unpreserve, freeze and
 *                   unfreeze; output of retrieve).
 * @serialized_data: The handler's handle for the file: output of preserve
 *                   (freeze may update it), input to everything after.
 * @private_data:    For the handler's use, kept from call to call.
 */
struct liveupdate_file_op_args {
	struct liveupdate_file_handler *handler;
	struct liveupdate_session *session;
	int retrieve_status;
	struct file *file;
	u64 serialized_data;
	void *private_data;
};

/**
 * struct liveupdate_file_ops - What a file handler does.
 * @can_preserve: Whether @file is of the kind this handler preserves.
 *                Called under a read lock of the handler registry: no
 *                side effects, no sleeping for long.
 * @preserve:     Start preserving a file; set @serialized_data.
 * @unpreserve:   Undo @preserve (the session is closed before the update).
 * @freeze:       Optional. The live update is starting: last chance to
 *                update @serialized_data. May fail, which cancels the
 *                live update.
 * @unfreeze:     Optional. Undo @freeze when the live update is cancelled.
 * @retrieve:     In the new kernel: rebuild the file from
 *                @serialized_data and set @file.
 * @can_finish:   Optional. Whether the file may finish now.
 * @finish:       In the new kernel: release what the handover kept. Called
 *                whether or not @retrieve ran or succeeded (see
 *                @retrieve_status).
 * @get_id:       Optional. An identity for the preserved object, so that
 *                one object cannot be preserved twice through different
 *                files. Defaults to the &struct file itself.
 * @owner:        The module that implements these callbacks. LUO holds a
 *                reference on it while a session uses the handler.
 *
 * The locks each callback runs under, what a callback must not call, who
 * owns the file @retrieve returns, and why @serialized_data must be
 * checked: "Writing a file handler" in Documentation/core-api/liveupdate.rst.
 */
struct liveupdate_file_ops {
	bool (*can_preserve)(struct liveupdate_file_handler *handler,
			     struct file *file);
	int (*preserve)(struct liveupdate_file_op_args *args);
	void (*unpreserve)(struct liveupdate_file_op_args *args);
	int (*freeze)(struct liveupdate_file_op_args *args);
	void (*unfreeze)(struct liveupdate_file_op_args *args);
	int (*retrieve)(struct liveupdate_file_op_args *args);
	bool (*can_finish)(struct liveupdate_file_op_args *args);
	void (*finish)(struct liveupdate_file_op_args *args);
	unsigned long (*get_id)(struct file *file);
	struct module *owner;
};

/**
 * struct liveupdate_file_handler - A kind of file LUO can preserve.
 * @ops:        The callbacks.
 * @compatible: Names the handler and the format of its @serialized_data;
 *              the next kernel finds the handler by this string.
 */
struct liveupdate_file_handler {
	const struct liveupdate_file_ops *ops;
	const char compatible[LIVEUPDATE_HNDL_COMPAT_LENGTH];

	/* private: owned by LUO, under luo_register_rwlock */
	struct list_head __private list;
	struct list_head __private flb_list;
};

/**
 * struct liveupdate_flb_op_args - Arguments of the FLB callbacks.
 * @flb:  The FLB called.
 * @data: The FLB's handle: output of preserve, input to retrieve.
 * @obj:  The FLB's live object: output of preserve and retrieve, input to
 *        unpreserve and finish; what the get functions return.
 */
struct liveupdate_flb_op_args {
	struct liveupdate_flb *flb;
	u64 data;
	void *obj;
};

/**
 * struct liveupdate_flb_ops - What an FLB does.
 * @preserve:   The first file that depends on the FLB is being preserved.
 * @unpreserve: The last such file was unpreserved before the live update.
 * @retrieve:   In the new kernel, on first demand: rebuild @obj from @data.
 * @finish:     In the new kernel: the last dependent file has finished.
 * @owner:      The module that implements these callbacks.
 */
struct liveupdate_flb_ops {
	int (*preserve)(struct liveupdate_flb_op_args *argp);
	void (*unpreserve)(struct liveupdate_flb_op_args *argp);
	int (*retrieve)(struct liveupdate_flb_op_args *argp);
	void (*finish)(struct liveupdate_flb_op_args *argp);
	struct module *owner;
};

/*
 * struct luo_flb_private - LUO's part of an FLB in this kernel. It is
 * initialised on first use, because FLBs are usually static and name only
 * their ops and compatible string. The FLB as handed over by the previous
 * kernel is tracked by LUO itself, by compatible string, so that it
 * outlives a module that is unloaded and loaded again.
 * @lock:     Serialises the outgoing callbacks and the fields below it;
 *            never held when an LUO function returns to the caller.
 * @users:    Preserved files that depend on the FLB.
 * @refs:     @users plus the references liveupdate_flb_get_outgoing()
 *            handed out: the object exists while this is not zero.
 * @data:     Its handle (see &struct liveupdate_flb_op_args).
 * @obj:      Its live object.
 * @list:     On the registry's list of FLBs (luo_register_rwlock).
 * @active:   On the list of FLBs in use, which the live update hands over
 *            whether or not the FLB is still registered.
 * @handlers: Number of handlers it is attached to (luo_register_rwlock).
 * @ready:    Initialised (set once, under the FLB init spinlock).
 * @key:      The lockdep class of @lock, one per statically allocated FLB,
 *            so that one FLB's callbacks may use another FLB.
 */
struct luo_flb_private {
	struct mutex lock;		/* see @lock above */
	long users;
	long refs;
	u64 data;
	void *obj;
	struct list_head list;
	struct list_head active;
	int handlers;
	bool ready;
	struct lock_class_key key;
};

/**
 * struct liveupdate_flb - A File-Lifecycle-Bound object.
 * @ops:        The callbacks.
 * @compatible: Names the FLB and the format of its handle.
 *
 * An FLB is preserved while at least one file that depends on it is, and
 * lives in the new kernel until the last such file has finished.
 */
struct liveupdate_flb {
	const struct liveupdate_flb_ops *ops;
	const char compatible[LIVEUPDATE_FLB_COMPAT_LENGTH];

	/* private: */
	struct luo_flb_private __private private;
};

/**
 * LIVEUPDATE_RECORD_ENTRY() - Declare a handover format in the kernel's record.
 * @id:     A C identifier, unique in the file.
 * @compat: The compatible string of the handler or FLB, a string literal.
 *
 * Put next to the definition of a file handler or an FLB, so that the
 * record of the image (the section ``.liveupdate_features``, see "The
 * target record" in include/uapi/linux/liveupdate.h) names every format the
 * kernel, or the module, accepts. The feature words are
 * %LIVEUPDATE_FEATURE_BASE: the format as its compatible string says.
 * Without CONFIG_LIVEUPDATE it declares nothing.
 */
#ifdef CONFIG_LIVEUPDATE
#define LIVEUPDATE_RECORD_ENTRY(id, compat)				\
	static_assert(sizeof(compat) <= LIVEUPDATE_RECORD_NAME_LENGTH,	\
		      "compatible string too long for the record");	\
	static const struct liveupdate_record_entry			\
	__liveupdate_record_##id __used __aligned(8)			\
	__section(".liveupdate_features") = {				\
		.name = compat,						\
		.supported = LIVEUPDATE_FEATURE_BASE,			\
		.active = LIVEUPDATE_FEATURE_BASE,			\
	}
#else
#define LIVEUPDATE_RECORD_ENTRY(id, compat)				\
	static_assert(sizeof(compat) <= LIVEUPDATE_RECORD_NAME_LENGTH,	\
		      "compatible string too long for the record: " #id)
#endif

#ifdef CONFIG_LIVEUPDATE

bool liveupdate_enabled(void);
int liveupdate_reboot(void);

int liveupdate_register_file_handler(struct liveupdate_file_handler *fh);
void liveupdate_unregister_file_handler(struct liveupdate_file_handler *fh);

int liveupdate_register_flb(struct liveupdate_file_handler *fh,
			    struct liveupdate_flb *flb);
void liveupdate_unregister_flb(struct liveupdate_file_handler *fh,
			       struct liveupdate_flb *flb);

int liveupdate_flb_get_incoming(struct liveupdate_flb *flb, void **objp);
void liveupdate_flb_put_incoming(struct liveupdate_flb *flb);
int liveupdate_flb_get_outgoing(struct liveupdate_flb *flb, void **objp);
void liveupdate_flb_put_outgoing(struct liveupdate_flb *flb);

const char *liveupdate_session_name(struct liveupdate_session *s);
int liveupdate_get_token_outgoing(struct liveupdate_session *s,
				  struct file *file, u64 *tokenp);
int liveupdate_get_file_incoming(struct liveupdate_session *s, u64 token,
				 struct file **filep);

#else /* CONFIG_LIVEUPDATE */

static inline bool liveupdate_enabled(void)
{
	return false;
}

static inline int liveupdate_reboot(void)
{
	return 0;
}

static inline int liveupdate_register_file_handler(struct liveupdate_file_handler *fh)
{
	return -EOPNOTSUPP;
}

static inline void liveupdate_unregister_file_handler(struct liveupdate_file_handler *fh)
{
}

static inline int liveupdate_register_flb(struct liveupdate_file_handler *fh,
					  struct liveupdate_flb *flb)
{
	return -EOPNOTSUPP;
}

static inline void liveupdate_unregister_flb(struct liveupdate_file_handler *fh,
					     struct liveupdate_flb *flb)
{
}

static inline int liveupdate_flb_get_incoming(struct liveupdate_flb *flb,
					      void **objp)
{
	return -EOPNOTSUPP;
}

static inline void liveupdate_flb_put_incoming(struct liveupdate_flb *flb)
{
}

static inline int liveupdate_flb_get_outgoing(struct liveupdate_flb *flb,
					      void **objp)
{
	return -EOPNOTSUPP;
}

static inline void liveupdate_flb_put_outgoing(struct liveupdate_flb *flb)
{
}

static inline const char *liveupdate_session_name(struct liveupdate_session *s)
{
	return NULL;
}

static inline int liveupdate_get_token_outgoing(struct liveupdate_session *s,
						struct file *file, u64 *tokenp)
{
	return -EOPNOTSUPP;
}

static inline int liveupdate_get_file_incoming(struct liveupdate_session *s,
					       u64 token, struct file **filep)
{
	return -EOPNOTSUPP;
}

#endif /* CONFIG_LIVEUPDATE */
#endif /* _LINUX_LIVEUPDATE_H */
