// SPDX-License-Identifier: GPL-2.0
/*
 * Live Update Orchestrator: sessions.
 */

/**
 * DOC: LUO sessions
 *
 * A session is a named group of preserved files, handed to userspace as an
 * anonymous-inode file descriptor. There are two sets of sessions:
 *
 * - Outgoing sessions are created with %LIVEUPDATE_IOCTL_CREATE_SESSION.
 *   Files are preserved into them until the live update. Closing an
 *   outgoing session before the live update unpreserves its files and
 *   deletes it.
 * - Incoming sessions are those the previous kernel handed over. They are
 *   rebuilt at the first open of ``/dev/liveupdate``, taken with
 *   %LIVEUPDATE_IOCTL_RETRIEVE_SESSION, their files are taken with
 *   %LIVEUPDATE_SESSION_RETRIEVE_FD, and they are ended with
 *   %LIVEUPDATE_SESSION_FINISH (a second finish does nothing more).
 *   Closing a retrieved session finishes it if it is not finished yet and
 *   deletes it (programs rely on it); only if a file refuses to finish
 *   (its @can_finish) does the session stay, to be retrieved again.
 *   An incoming session that is not finished (never retrieved, retrieved
 *   and open, or closed while a file could not finish) makes the next
 *   live update fail with -EBUSY (see luo_session_check_claimed()): it is
 *   never dropped silently. A session refused as malformed does not.
 *
 * The two sets are separate name spaces. In each, a session is found by
 * name in a hash table, so creating, retrieving and deleting a session
 * cost the same with ten sessions or a hundred thousand. Each outgoing
 * session keeps the block chain its files serialize into sized to its
 * files. The chain of the sessions themselves is sized when the live
 * update starts, so that a session costs no handover memory before: that
 * is the one allocation of the live update, which is refused with -ENOMEM
 * if it fails, before anything is frozen. The live update walks every
 * session and file twice (once to freeze them all, once to write them
 * out).
 *
 * One caller never waits on another's copy to userspace, and a command
 * never waits on a handler of another session: the locks of a set of
 * sessions are held only to look a session up or change its state, and a
 * command copies its answer back and installs its fd with no lock held. A
 * session's handlers run under that session's own lock. The exception is
 * the live update itself: liveupdate_reboot() holds luo_state_rwsem for
 * write across every freeze, so commands wait for the whole freeze, and
 * it waits for the commands in progress (a FINISH or a close that runs its
 * handlers' finish holds that lock for read). fdinfo and the debugfs list
 * wait for neither. A live update that runs while a
 * %LIVEUPDATE_IOCTL_CREATE_SESSION waits in its copy back does not hand
 * that session over (the call never completed; see
 * &enum luo_session_state); one that runs while a
 * %LIVEUPDATE_IOCTL_RETRIEVE_SESSION waits is refused like any live update
 * with an incoming session not finished.
 *
 * Every command of LUO's uAPI is a session command, so the one ioctl
 * dispatcher, for ``/dev/liveupdate`` and for session fds alike, is here:
 * a table keyed by command number gives each command's handler, the sizes
 * of its struct and the kinds of fd it accepts, checked once.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/anon_inodes.h>
#include <linux/cleanup.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jhash.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/rhashtable.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "luo_internal.h"

#include <trace/events/liveupdate.h>

/**
 * struct luo_session_set - All the sessions of one direction.
 * @lock:     Protects everything below (see luo_internal.h).
 * @table:    The sessions by name.
 * @list:     The sessions in the order they were created or handed over.
 * @count:    Number of sessions in @list.
 * @reserved: Number of sessions in @table: those of @list and those
 *            being created.
 * @blocks:   Outgoing: the chain the sessions are serialized into, sized
 *            when a live update starts (luo_session_serialize()).
 * @next_seq: The @seq of the next session added to @list.
 * @incoming: Whether this is the set of incoming sessions.
 */
struct luo_session_set {
	struct mutex lock;		/* see the hierarchy in luo_internal.h */
	struct rhashtable table;
	struct list_head list;
	long count;
	long reserved;
	struct kho_block_set blocks;
	u64 next_seq;
	bool incoming;
};

/**
 * enum luo_session_state - Where a session is in its life.
 * @LUO_SESSION_CREATING:  Outgoing, being created: its name is taken, but
 *                         its fd is not given yet and it is not in the
 *                         set's list, so a live update does not hand it
 *                         over. Becomes @LUO_SESSION_OUTGOING once the fd
 *                         is given, or is removed if that fails.
 * @LUO_SESSION_OUTGOING:  Outgoing and created; removed when its fd is
 *                         closed.
 * @LUO_SESSION_WAITING:   Incoming, not retrieved (again). Becomes
 *                         @LUO_SESSION_RETRIEVED when a retrieve claims it.
 * @LUO_SESSION_RETRIEVED: Incoming, claimed by a retrieve: its fd is being
 *                         given or is open. Back to @LUO_SESSION_WAITING if
 *                         the fd cannot be given, or if it is closed while
 *                         a file cannot finish; @LUO_SESSION_FINISHED on
 *                         FINISH; removed when it is closed and every file
 *                         finishes.
 * @LUO_SESSION_FINISHED:  Incoming, finished, its fd still open; removed
 *                         when the fd is closed.
 * @LUO_SESSION_BROKEN:    Incoming, its files were malformed in the
 *                         handover: refused at retrieve, for good.
 *
 * The outgoing states come first: a session is incoming from
 * %LUO_SESSION_WAITING on.
 */
enum luo_session_state {
	LUO_SESSION_CREATING,
	LUO_SESSION_OUTGOING,
	LUO_SESSION_WAITING,
	LUO_SESSION_RETRIEVED,
	LUO_SESSION_FINISHED,
	LUO_SESSION_BROKEN,
};

/**
 * struct liveupdate_session - One session.
 * @node:  In its set's table, keyed by @name.
 * @list:  In its set's list (not while %LUO_SESSION_CREATING).
 * @state: See &enum luo_session_state; under its set's lock.
 * @incoming: Whether it is incoming, which says its set (see
 *         luo_session_set()); never changes.
 * @seq:   Its place in its set's list: increasing along the list.
 * @files: Its files, under their own lock (@files->lock); NULL until it
 *         has one (see luo_session_files()).
 * @name:  Its name, NUL-terminated, as long as it is: most names are short,
 *         and a session with one of up to 15 characters fits in 64 bytes.
 */
struct liveupdate_session {
	struct rhash_head node;
	struct list_head list;
	enum luo_session_state state;
	bool incoming;
	u64 seq;
	struct luo_file_set *files;
	char name[];
};

/* The hash of a session name: a lookup's key is the name itself. */
static u32 luo_session_hashfn(const void *key, u32 len, u32 seed)
{
	return jhash(key, strlen(key), seed);
}

static u32 luo_session_obj_hashfn(const void *obj, u32 len, u32 seed)
{
	const struct liveupdate_session *session = obj;

	return luo_session_hashfn(session->name, len, seed);
}

static int luo_session_obj_cmpfn(struct rhashtable_compare_arg *arg,
				 const void *obj)
{
	const struct liveupdate_session *session = obj;

	return strcmp(arg->key, session->name);
}

static const struct rhashtable_params luo_session_params = {
	.head_offset		= offsetof(struct liveupdate_session, node),
	.hashfn			= luo_session_hashfn,
	.obj_hashfn		= luo_session_obj_hashfn,
	.obj_cmpfn		= luo_session_obj_cmpfn,
	.automatic_shrinking	= true,
};

/*
 * The most outgoing sessions a handover carries: the next kernel's limit
 * on a block chain. CREATE_SESSION refuses more with -ENOSPC, counting the
 * sessions being created, so that the live update never fails for it (the
 * chain is allocated only then). Test kernels may lower it, to reach it.
 */
#define LUO_MAX_SESSIONS						\
	(LUO_MAX_BLOCKS * LUO_BLOCK_ENTRIES(struct luo_session_ser))

static struct luo_limit luo_max_sessions = {
	LUO_MAX_SESSIONS, LUO_MAX_SESSIONS
};
module_param_cb(max_sessions, &luo_limit_ops, &luo_max_sessions,
		LUO_LIMIT_PERM);
MODULE_PARM_DESC(max_sessions, "The most outgoing sessions");

static struct luo_session_set luo_outgoing = {
	.lock	= __MUTEX_INITIALIZER(luo_outgoing.lock),
	.list	= LIST_HEAD_INIT(luo_outgoing.list),
	.blocks	= KHO_BLOCK_SET_INIT(luo_outgoing.blocks,
				     sizeof(struct luo_session_ser)),
};

/*
 * Set once the live update has serialized the sessions: from then on they
 * belong to it, and every ioctl fails. Under luo_state_rwsem.
 */
static bool luo_frozen;

static struct luo_session_set luo_incoming = {
	.lock		= __MUTEX_INITIALIZER(luo_incoming.lock),
	.list		= LIST_HEAD_INIT(luo_incoming.list),
	.incoming	= true,
};

/* The set session @s belongs to. */
static struct luo_session_set *luo_session_set(struct liveupdate_session *s)
{
	return s->incoming ? &luo_incoming : &luo_outgoing;
}

/*
 * The phases of the live update in this kernel, for the log and debugfs:
 * when (CLOCK_BOOTTIME) the first incoming session was retrieved, and the
 * last one finished (the end of the handover); 0 until then. Under
 * luo_incoming.lock.
 */
static u64 luo_first_retrieve_ns;
static u64 luo_last_finish_ns;
static long luo_unfinished;	/* incoming, neither finished nor broken */

/*
 * One more incoming session is finished: log when it is the last.
 * Context: luo_incoming.lock held.
 * Return: true if it was the last; the caller then ends the incoming FLBs
 * (luo_flb_incoming_end_all()) once it has dropped the lock.
 */
static bool __luo_session_finished(void)
{
	lockdep_assert_held(&luo_incoming.lock);
	if (--luo_unfinished)
		return false;
	luo_last_finish_ns = ktime_get_boottime_ns();
	pr_info("every session of the previous kernel is finished, %llu ns after boot\n",
		luo_last_finish_ns);
	return true;
}

/**
 * luo_session_phases - When the handover reached its last two phases.
 * @first_retrieve_ns: Out: the first incoming session retrieved, or 0.
 * @last_finish_ns:    Out: the last incoming session finished, or 0.
 *
 * Both are CLOCK_BOOTTIME.
 *
 * Context: Process context.
 */
void luo_session_phases(u64 *first_retrieve_ns, u64 *last_finish_ns)
{
	guard(mutex)(&luo_incoming.lock);
	*first_retrieve_ns = luo_first_retrieve_ns;
	*last_finish_ns = luo_last_finish_ns;
}

/**
 * luo_session_init - Prepare the session tables.
 *
 * Context: Boot, before any other session function.
 * Return: 0 or -ENOMEM.
 */
int luo_session_init(void)
{
	int err;

	err = rhashtable_init(&luo_outgoing.table, &luo_session_params);
	if (err)
		return err;
	err = rhashtable_init(&luo_incoming.table, &luo_session_params);
	if (err)
		rhashtable_destroy(&luo_outgoing.table);
	return err;
}

/**
 * luo_session_name_valid - Check a session name from userspace.
 * @name: %LIVEUPDATE_SESSION_NAME_LENGTH bytes.
 *
 * Context: Any context.
 * Return: true if @name is 1 to 63 bytes followed by a NUL.
 */
static bool luo_session_name_valid(const u8 *name)
{
	return luo_ser_string_valid(name, LIVEUPDATE_SESSION_NAME_LENGTH);
}

/* A name from userspace for a tracepoint: "-" if it is not a string. */
static const char *luo_trace_name(const u8 *name)
{
	return luo_session_name_valid(name) ? (const char *)name : "-";
}

/* A session named @name, a valid name (see luo_session_name_valid()). */
static struct liveupdate_session *
luo_session_alloc(const char *name, enum luo_session_state state)
{
	size_t len = strlen(name);
	struct liveupdate_session *session;

	session = kzalloc_flex(*session, name, len + 1, GFP_KERNEL_ACCOUNT);
	if (!session)
		return NULL;
	memcpy(session->name, name, len + 1);
	INIT_LIST_HEAD(&session->list);
	session->state = state;
	session->incoming = state >= LUO_SESSION_WAITING;
	return session;
}

static void luo_session_free(struct liveupdate_session *session)
{
	luo_file_set_free(session->files);
	kfree(session);
}

/*
 * The file set of session @s, or NULL while it has never had a file. Most
 * sessions of a large handover hold few files or none: a session gets its
 * set with its first file (luo_session_files_get()) and keeps it until it
 * is freed, which keeps an empty session at half the size.
 */
static struct luo_file_set *luo_session_files(struct liveupdate_session *s)
{
	/* Pairs with the cmpxchg() that publishes the set. */
	return smp_load_acquire(&s->files);
}

/* The file set of @session, allocated if it has none; NULL if that fails. */
static struct luo_file_set *
luo_session_files_get(struct liveupdate_session *session)
{
	struct luo_file_set *fs = luo_session_files(session), *old;

	if (fs)
		return fs;
	fs = luo_file_set_new(session);
	if (!fs)
		return NULL;
	/* Two first preserves may race: one set wins. */
	old = cmpxchg(&session->files, NULL, fs);
	if (old) {
		luo_file_set_free(fs);
		return old;
	}
	return fs;
}

/*
 * Run @op on the files of @session, under their lock. A session that never
 * had a file has nothing to run it on.
 */
static void luo_session_files_apply(struct liveupdate_session *session,
				    void (*op)(struct luo_file_set *fs))
{
	struct luo_file_set *fs = luo_session_files(session);

	if (!fs)
		return;
	guard(mutex)(&fs->lock);
	op(fs);
}

/* The number of files of @session, read without its lock (for views). */
static long luo_session_nr_files(struct liveupdate_session *session)
{
	struct luo_file_set *fs = luo_session_files(session);

	/* The count changes under the file set's lock: a moment old is fine. */
	return fs ? data_race(luo_file_set_count(fs)) : 0;
}

/**
 * liveupdate_session_name - The name of a session.
 * @s: The session, from &liveupdate_file_op_args.session.
 *
 * Context: A callback of a file of @s: the session outlives its files.
 * Return: its name, a NUL-terminated string.
 */
const char *liveupdate_session_name(struct liveupdate_session *s)
{
	return s->name;
}
EXPORT_SYMBOL_GPL(liveupdate_session_name);

/**
 * liveupdate_get_token_outgoing - The token of a file preserved in a session.
 * @s:      An outgoing session, from &liveupdate_file_op_args.session.
 * @file:   The file.
 * @tokenp: Out: its token; NULL to ask only whether @file is preserved in @s.
 *
 * For a handler whose file depends on other files of its own session: it
 * records their tokens from its @preserve or @freeze. The lookup never
 * crosses sessions.
 *
 * Context: A callback of a file of @s, which holds the lock of the
 * session's files (asserted); it is not taken again.
 * Return: 0; -ENOENT if @file is not preserved in @s or @s is incoming;
 * -EINVAL without a session or file.
 */
int liveupdate_get_token_outgoing(struct liveupdate_session *s,
				  struct file *file, u64 *tokenp)
{
	struct luo_file_set *fs;

	if (!s || !file)
		return -EINVAL;
	fs = luo_session_files(s);
	if (!fs || s->incoming)
		return -ENOENT;
	return luo_file_token(fs, file, tokenp);
}
EXPORT_SYMBOL_GPL(liveupdate_get_token_outgoing);

/**
 * liveupdate_get_file_incoming - A file of a session after the live update.
 * @s:     An incoming session, from &liveupdate_file_op_args.session.
 * @token: The file's token, as liveupdate_get_token_outgoing() gave it.
 * @filep: Out: the file, with a reference for the caller to fput().
 *
 * Retrieves the file first if userspace has not: its handler's @retrieve
 * runs once, whoever asks first, and every later call (and userspace's
 * %LIVEUPDATE_SESSION_RETRIEVE_FD) gets the same file. A failed retrieve
 * is remembered: its errno comes back on every call. The file is finished
 * with its session like any other. The lookup never crosses sessions.
 *
 * Context: A callback of a file of @s (@retrieve, @finish, @can_finish),
 * which holds the lock of the session's files (asserted); it is not taken
 * again.
 * Return: 0; -ENOENT for a token not in @s, or if @s is outgoing;
 * -ENOPKG if the file's handler is not registered; -EIO for a malformed
 * entry; -EDEADLK if the file is being retrieved (a dependency cycle);
 * -EINVAL without a session or @filep; or the errno of its retrieve.
 */
int liveupdate_get_file_incoming(struct liveupdate_session *s, u64 token,
				 struct file **filep)
{
	struct luo_file_set *fs;

	if (!s || !filep)
		return -EINVAL;
	fs = luo_session_files(s);
	if (!fs || !s->incoming)
		return -ENOENT;
	return luo_file_retrieve(fs, token, filep, s->name);
}
EXPORT_SYMBOL_GPL(liveupdate_get_file_incoming);

/**
 * luo_state_enter - Begin a command that changes or reads sessions.
 *
 * Takes luo_state_rwsem for read, so that a live update cannot freeze the
 * sessions while the command runs. Never held across a copy to or from
 * userspace or the giving of an fd: only what the live update must not
 * see half done happens between this and luo_state_exit().
 *
 * Context: Process context.
 * Return: 0, or -EBUSY once the live update has serialized the sessions
 * (then nothing is held).
 */
static int luo_state_enter(void)
{
	down_read(&luo_state_rwsem);
	if (luo_frozen) {
		up_read(&luo_state_rwsem);
		return -EBUSY;
	}
	return 0;
}

static void luo_state_exit(void)
{
	up_read(&luo_state_rwsem);
}

/* @err, or -EBUSY once the live update has serialized the sessions. */
static int luo_frozen_errno(int err)
{
	guard(rwsem_read)(&luo_state_rwsem);
	return luo_frozen ? -EBUSY : err;
}

/*
 * Take @session's name in @set; it is not in the set's list yet. The
 * outgoing set holds at most luo_max_sessions (-ENOSPC).
 * Context: @set->lock held.
 */
static int __luo_session_reserve(struct luo_session_set *set,
				 struct liveupdate_session *session)
{
	int err;

	lockdep_assert_held(&set->lock);
	if (!set->incoming && set->reserved >= luo_limit(&luo_max_sessions))
		return -ENOSPC;
	err = rhashtable_lookup_insert_key(&set->table, session->name,
					   &session->node, luo_session_params);
	if (!err)
		set->reserved++;
	return err;
}

/*
 * Give back the name of a session that never joined the list.
 * Context: the lock of @session's set held.
 */
static void __luo_session_unreserve(struct liveupdate_session *session)
{
	lockdep_assert_held(&luo_session_set(session)->lock);
	rhashtable_remove_fast(&luo_session_set(session)->table, &session->node,
			       luo_session_params);
	luo_session_set(session)->reserved--;
}

/*
 * Put a reserved session in its set's list.
 * Context: @set->lock held.
 */
static void __luo_session_link(struct liveupdate_session *session)
{
	struct luo_session_set *set = luo_session_set(session);

	lockdep_assert_held(&set->lock);
	list_add_tail(&session->list, &set->list);
	session->seq = set->next_seq++;
	set->count++;
}

/*
 * Take a listed session out of its set: table and list.
 * Context: @set->lock held.
 */
static void __luo_session_remove(struct liveupdate_session *session)
{
	struct luo_session_set *set = luo_session_set(session);

	lockdep_assert_held(&set->lock);
	__luo_session_unreserve(session);
	list_del_init(&session->list);
	set->count--;
}

/*
 * The session named @name (a valid name) in @set, or NULL.
 * Context: @set->lock held.
 */
static struct liveupdate_session *
__luo_session_find(struct luo_session_set *set, const u8 *name)
{
	lockdep_assert_held(&set->lock);
	return rhashtable_lookup_fast(&set->table, name, luo_session_params);
}

static enum luo_session_state
luo_session_read_state(struct liveupdate_session *session)
{
	guard(mutex)(&luo_session_set(session)->lock);
	return session->state;
}

static void luo_session_set_state(struct liveupdate_session *session,
				  enum luo_session_state state)
{
	guard(mutex)(&luo_session_set(session)->lock);
	session->state = state;
}

/*
 * Closing an outgoing session unpreserves its files and deletes it. One
 * whose creation failed has no files and only gives its name back.
 */
static void luo_session_destroy(struct liveupdate_session *session)
{
	luo_session_files_apply(session, luo_file_unpreserve_all);
	scoped_guard(mutex, &luo_outgoing.lock) {
		if (session->state == LUO_SESSION_CREATING)
			__luo_session_unreserve(session);
		else
			__luo_session_remove(session);
	}
	luo_session_free(session);
}

/*
 * Finish the files of an incoming session, once: FINISH and the close that
 * finishes both end here. The handlers run under the session's own lock
 * only, so other sessions go on meanwhile.
 */
static int luo_session_finish_files(struct liveupdate_session *session)
{
	struct luo_file_set *fs = luo_session_files(session);
	bool last = false;
	int err = 0;

	if (luo_session_read_state(session) == LUO_SESSION_FINISHED)
		return 0;
	if (fs) {
		guard(mutex)(&fs->lock);
		err = luo_file_finish_all(fs, session->name);
	}
	trace_liveupdate_session_finish(session->name, err);
	if (err)
		return err;
	scoped_guard(mutex, &luo_incoming.lock) {
		/* Two FINISH calls may race: the session finishes once. */
		if (session->state != LUO_SESSION_FINISHED) {
			session->state = LUO_SESSION_FINISHED;
			last = __luo_session_finished();
		}
	}
	/* Files given up without their handler never counted their FLBs down. */
	if (last)
		luo_flb_incoming_end_all();
	return 0;
}

/*
 * Closing an incoming session finishes it, then deletes it. A session whose
 * files cannot finish yet stays, to be retrieved again.
 */
static void luo_session_close_incoming(struct liveupdate_session *session)
{
	int err = luo_session_finish_files(session);

	scoped_guard(mutex, &luo_incoming.lock) {
		if (err)
			session->state = LUO_SESSION_WAITING;
		else
			__luo_session_remove(session);
	}
	if (err) {
		pr_warn("session '%s' closed, but a file cannot finish yet: %pe\n",
			session->name, ERR_PTR(err));
		return;
	}
	luo_session_free(session);
}

/**
 * struct luo_ucmd - One ioctl call, as the handlers see it.
 * @file:      The file descriptor the ioctl came on.
 * @ubuffer:   The user's struct.
 * @user_size: Its size, as the user gave it.
 * @cmd:       The kernel's copy of the struct, zero-extended.
 * @size:      Size of the kernel's struct.
 */
struct luo_ucmd {
	struct file *file;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
	size_t size;
};

/**
 * luo_ucmd_respond - Copy an ioctl's struct back to userspace.
 * @ucmd: The call.
 *
 * Copies as much as both sides know of the struct. The copy may wait on a
 * page fault for as long as userspace wants (userfaultfd), so the caller
 * holds no lock that another caller may need.
 *
 * Context: Process context, no LUO lock held.
 * Return: 0, or -EFAULT.
 */
static int luo_ucmd_respond(struct luo_ucmd *ucmd)
{
	lockdep_assert_not_held(&luo_state_rwsem);
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->size, ucmd->user_size)))
		return -EFAULT;
	return 0;
}

static int luo_session_release(struct inode *inode, struct file *file)
{
	struct liveupdate_session *session = file->private_data;

	guard(rwsem_read)(&luo_state_rwsem);
	/*
	 * Once frozen, the sessions belong to the live update; one that was
	 * being created is not among them.
	 */
	if (luo_frozen && luo_session_read_state(session) != LUO_SESSION_CREATING)
		return 0;
	trace_liveupdate_session_close(session->name, 0);
	if (session->incoming)
		luo_session_close_incoming(session);
	else
		luo_session_destroy(session);
	return 0;
}

static long luo_session_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct liveupdate_session *session = file->private_data;

	return luo_ioctl(file, cmd, arg, session->incoming ?
			 LUO_FD_INCOMING : LUO_FD_OUTGOING);
}

/* What fdinfo calls each state a session fd can be in. */
static const char *const luo_session_state_names[] = {
	[LUO_SESSION_CREATING]	= "creating",
	[LUO_SESSION_OUTGOING]	= "open",
	[LUO_SESSION_WAITING]	= "waiting",
	[LUO_SESSION_RETRIEVED]	= "retrieved",
	[LUO_SESSION_FINISHED]	= "finished",
	[LUO_SESSION_BROKEN]	= "broken",
};

/*
 * /proc/PID/fdinfo/FD of a session fd, so that a program can recognise a
 * session fd and an operator can see what it holds. The format is in
 * Documentation/userspace-api/liveupdate.rst. Only the set lock is taken,
 * which is never held across a callback or a copy (the live update's
 * freeze included): reading fdinfo never waits on a handler.
 */
static void luo_session_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct liveupdate_session *session = file->private_data;
	enum luo_session_state state = luo_session_read_state(session);
	long files = luo_session_nr_files(session);

	/* Escaped: a name may hold a newline, which would forge a line. */
	seq_puts(m, "name:\t");
	seq_escape(m, session->name, "\t\n\\");
	seq_putc(m, '\n');
	seq_printf(m, "direction:\t%s\n",
		   session->incoming ? "incoming" : "outgoing");
	seq_printf(m, "state:\t%s\n", luo_session_state_names[state]);
	seq_printf(m, "files:\t%ld\n", files);
}

static const struct file_operations luo_session_fops = {
	.owner		= THIS_MODULE,
	.show_fdinfo	= luo_session_show_fdinfo,
	.release	= luo_session_release,
	.unlocked_ioctl	= luo_session_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/*
 * Make a file for @session and tell userspace its fd number; the caller
 * installs it. The number is copied before the file exists, so that a
 * failure of the copy leaves no file to take back.
 */
static struct file *luo_session_open(struct luo_ucmd *ucmd,
				     struct liveupdate_session *session, s32 *fdp)
{
	/* The link name "[luo_session] NAME" is ABI: userspace parses it. */
	char name[sizeof("[luo_session] ") + LIVEUPDATE_SESSION_NAME_LENGTH];
	struct file *file;
	int fd, err;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return ERR_PTR(fd);
	*fdp = fd;
	err = luo_ucmd_respond(ucmd);
	if (err)
		goto err_put_fd;
	snprintf(name, sizeof(name), "[luo_session] %s", session->name);
	file = anon_inode_getfile(name, &luo_session_fops, session, O_RDWR);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_put_fd;
	}
	return file;

err_put_fd:
	put_unused_fd(fd);
	return ERR_PTR(err);
}

/* The locked first half of CREATE_SESSION: a new session takes its name. */
static struct liveupdate_session *luo_session_reserve(const u8 *name)
{
	struct liveupdate_session *session;
	int err;

	if (!luo_session_name_valid(name))
		return ERR_PTR(luo_frozen_errno(-EINVAL));
	session = luo_session_alloc(name, LUO_SESSION_CREATING);
	if (!session)
		return ERR_PTR(luo_frozen_errno(-ENOMEM));
	err = luo_state_enter();
	if (!err) {
		scoped_guard(mutex, &luo_outgoing.lock)
			err = __luo_session_reserve(&luo_outgoing, session);
		luo_state_exit();
	}
	if (err) {
		luo_session_free(session);
		return ERR_PTR(err);
	}
	return session;
}

/* The locked second half: the session joins the set the live update sees. */
static int luo_session_commit(struct liveupdate_session *session)
{
	int err;

	err = luo_state_enter();
	if (err)
		return err;
	scoped_guard(mutex, &luo_outgoing.lock) {
		__luo_session_link(session);
		session->state = LUO_SESSION_OUTGOING;
	}
	luo_state_exit();
	return 0;
}

/* CREATE_SESSION itself; see luo_session_create(). */
static int luo_session_do_create(struct luo_ucmd *ucmd)
{
	struct liveupdate_ioctl_create_session *arg = ucmd->cmd;
	struct liveupdate_session *session;
	struct file *file;
	int err;

	session = luo_session_reserve(arg->name);
	if (IS_ERR(session))
		return PTR_ERR(session);
	file = luo_session_open(ucmd, session, &arg->fd);
	if (IS_ERR(file)) {
		luo_session_destroy(session);
		return PTR_ERR(file);
	}
	err = luo_session_commit(session);
	if (err) {
		/* Its release gives the name back (luo_session_destroy()). */
		put_unused_fd(arg->fd);
		fput(file);
		return err;
	}
	fd_install(arg->fd, file);
	return 0;
}

/**
 * luo_session_create - %LIVEUPDATE_IOCTL_CREATE_SESSION.
 * @ucmd: The call.
 *
 * The session takes its name first, then its fd number is copied to
 * userspace with no lock held, and only then does it join the sessions a
 * live update hands over. A live update that runs while the copy waits
 * does not hand the session over: the call never completed.
 *
 * Context: Process context. Takes luo_state_rwsem for read, twice.
 * Return: 0, -EBUSY once the live update has serialized the sessions,
 * -EINVAL for a bad name, -EEXIST for a name in use, -ENOSPC beyond the
 * most sessions a handover carries (counting those being created),
 * -ENOMEM, -EMFILE or -EFAULT.
 */
static int luo_session_create(struct luo_ucmd *ucmd)
{
	struct liveupdate_ioctl_create_session *arg = ucmd->cmd;
	int err = luo_session_do_create(ucmd);

	if (trace_liveupdate_session_create_enabled())
		trace_liveupdate_session_create(luo_trace_name(arg->name), err);
	return err;
}

/*
 * The locked first half of RETRIEVE_SESSION: claim the session, so that no
 * other retrieve takes it. Files whose handler came late are bound where
 * they are used: at their RETRIEVE_FD, or at the finish.
 */
static struct liveupdate_session *luo_session_claim(const u8 *name)
{
	struct liveupdate_session *session;
	int err;

	err = luo_state_enter();
	if (err)
		return ERR_PTR(err);
	scoped_guard(mutex, &luo_incoming.lock) {
		session = __luo_session_find(&luo_incoming, name);
		if (!session)
			err = -ENOENT;
		else if (session->state == LUO_SESSION_BROKEN)
			err = -EIO;
		else if (session->state != LUO_SESSION_WAITING)
			err = -EINVAL;	/* the ABI's errno for a second retrieve */
		else
			session->state = LUO_SESSION_RETRIEVED;
		if (!err && !luo_first_retrieve_ns) {
			luo_first_retrieve_ns = ktime_get_boottime_ns();
			pr_info("first session of the previous kernel retrieved, %llu ns after boot\n",
				luo_first_retrieve_ns);
		}
	}
	luo_state_exit();
	return err ? ERR_PTR(err) : session;
}

/* RETRIEVE_SESSION itself; see luo_session_retrieve(). */
static int luo_session_do_retrieve(struct luo_ucmd *ucmd)
{
	struct liveupdate_ioctl_retrieve_session *arg = ucmd->cmd;
	struct liveupdate_session *session;
	struct file *file;

	if (!luo_session_name_valid(arg->name))
		return luo_frozen_errno(-ENOENT);
	session = luo_session_claim(arg->name);
	if (IS_ERR(session))
		return PTR_ERR(session);
	file = luo_session_open(ucmd, session, &arg->fd);
	if (IS_ERR(file)) {
		luo_session_set_state(session, LUO_SESSION_WAITING);
		return PTR_ERR(file);
	}
	fd_install(arg->fd, file);
	return 0;
}

/**
 * luo_session_retrieve - %LIVEUPDATE_IOCTL_RETRIEVE_SESSION.
 * @ucmd: The call.
 *
 * The session is claimed under the locks, then its fd number is copied to
 * userspace with no lock held. While it is claimed, a live update is
 * refused (the session is not finished).
 *
 * Context: Process context. Takes luo_state_rwsem for read.
 * Return: 0, -EBUSY once the live update has serialized the sessions,
 * -EINVAL for a session retrieved already, -ENOENT if there is no incoming
 * session of that name (also for an empty or unterminated name), -EIO if
 * its files were malformed in the handover, -ENOMEM, -EMFILE or -EFAULT.
 * A file whose handler is not registered does not fail it (see
 * luo_file_retrieve()).
 */
static int luo_session_retrieve(struct luo_ucmd *ucmd)
{
	struct liveupdate_ioctl_retrieve_session *arg = ucmd->cmd;
	int err = luo_session_do_retrieve(ucmd);

	if (trace_liveupdate_session_retrieve_enabled())
		trace_liveupdate_session_retrieve(luo_trace_name(arg->name), err);
	return err;
}

/* The record SET_TARGET declares, checked; NULL to clear the target. */
static struct luo_target *luo_target_from_user(u64 record, u64 len)
{
	struct luo_target *t;
	void *buf;

	if (!record && !len)
		return NULL;
	if (len > LIVEUPDATE_RECORD_MAX)
		return ERR_PTR(-E2BIG);
	buf = vmemdup_user(u64_to_user_ptr(record), len);
	if (IS_ERR(buf))
		return buf;
	t = luo_target_parse(buf, len);
	kvfree(buf);
	return t;
}

/**
 * luo_session_set_target - %LIVEUPDATE_IOCTL_SET_TARGET.
 * @ucmd: The call.
 *
 * The record is copied and checked with no lock held; the target is
 * replaced and what it refuses counted under luo_state_rwsem (read) and
 * luo_target_lock, and the count copied back with no lock held.
 *
 * Context: Process context. Takes luo_state_rwsem for read.
 * Return: 0; -EBUSY once the live update has serialized the sessions;
 * -EINVAL for flags or reserved bits set or a malformed record; -E2BIG
 * for a record over %LIVEUPDATE_RECORD_MAX; -EFAULT; -ENOMEM.
 */
static int luo_session_set_target(struct luo_ucmd *ucmd)
{
	struct liveupdate_ioctl_set_target *arg = ucmd->cmd;
	struct luo_target *t;
	long n = 0;
	int err;

	if (arg->flags || arg->reserved)
		return -EINVAL;
	t = luo_target_from_user(arg->record, arg->record_len);
	if (IS_ERR(t))
		return PTR_ERR(t);
	err = luo_state_enter();
	if (err) {
		luo_target_free(t);
		return err;
	}
	luo_target_lock_acquire();
	__luo_target_set(t);
	if (t)
		n = luo_session_count_refused();
	luo_target_lock_release();
	luo_state_exit();
	if (t)
		pr_info("target declared: it would refuse %ld sessions, files and FLBs\n",
			n);
	arg->nr_refused = min_t(long, n, U32_MAX);
	return luo_ucmd_respond(ucmd);
}

static struct liveupdate_session *luo_ucmd_session(struct luo_ucmd *ucmd)
{
	return ucmd->file->private_data;
}

/**
 * luo_session_preserve_fd - %LIVEUPDATE_SESSION_PRESERVE_FD.
 * @ucmd: The call.
 *
 * Nothing is copied back, so it runs under the locks as a whole: the
 * handler's preserve runs under this session's lock only.
 *
 * Context: Process context. Takes luo_state_rwsem for read.
 * Return: 0, -EBUSY once the live update has serialized the sessions, or
 * what luo_file_preserve() returns. The dispatcher refuses it on an
 * incoming session.
 */
static int luo_session_preserve_fd(struct luo_ucmd *ucmd)
{
	struct liveupdate_session_preserve_fd *arg = ucmd->cmd;
	struct liveupdate_session *session = luo_ucmd_session(ucmd);
	struct luo_file_set *fs;
	int err;

	err = luo_state_enter();
	if (err)
		return err;
	/* A session gets its files with its first one. */
	fs = luo_session_files_get(session);
	if (fs) {
		guard(mutex)(&fs->lock);
		err = luo_file_preserve(fs, arg->token, arg->fd, session->name);
	} else {
		err = -ENOMEM;
	}
	luo_state_exit();
	return err;
}

/* The locked part of RETRIEVE_FD: the file of @token, with a reference. */
static int luo_session_retrieve_file(struct liveupdate_session *session,
				     u64 token, struct file **filep)
{
	struct luo_file_set *fs = luo_session_files(session);
	int err;

	err = luo_state_enter();
	if (err)
		return err;
	if (fs) {
		scoped_guard(mutex, &fs->lock)
			err = luo_file_retrieve(fs, token, filep, session->name);
	} else {
		/* A session that handed over no file. */
		err = -ENOENT;
		trace_liveupdate_file_retrieve(session->name, token, "-", err);
	}
	luo_state_exit();
	return err;
}

/**
 * luo_session_retrieve_fd - %LIVEUPDATE_SESSION_RETRIEVE_FD.
 * @ucmd: The call.
 *
 * The fd number is copied to userspace with no lock held, before the
 * file is retrieved; a failed copy retrieves nothing.
 *
 * Context: Process context. Takes luo_state_rwsem for read.
 * Return: 0, -EBUSY once the live update has serialized the sessions,
 * -EMFILE, -EFAULT, or what luo_file_retrieve() returns (-ENOENT once the
 * session is finished). The dispatcher refuses it on an outgoing session.
 */
static int luo_session_retrieve_fd(struct luo_ucmd *ucmd)
{
	struct liveupdate_session_retrieve_fd *arg = ucmd->cmd;
	struct liveupdate_session *session = luo_ucmd_session(ucmd);
	struct file *file;
	int fd, err;

	err = luo_frozen_errno(0);
	if (err)
		return err;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	arg->fd = fd;
	err = luo_ucmd_respond(ucmd);
	if (err)
		goto err_put_fd;
	err = luo_session_retrieve_file(session, arg->token, &file);
	if (err)
		goto err_put_fd;
	fd_install(fd, file);
	return 0;

err_put_fd:
	put_unused_fd(fd);
	return err;
}

/**
 * luo_session_finish - %LIVEUPDATE_SESSION_FINISH.
 * @ucmd: The call.
 *
 * The handlers' can_finish and finish run under this session's lock only.
 *
 * Context: Process context. Takes luo_state_rwsem for read.
 * Return: 0 (also if the session is finished already), -EBUSY once the
 * live update has serialized the sessions, -EINVAL for a reserved field
 * set, -EBUSY if a file cannot finish yet. The dispatcher refuses it on an
 * outgoing session.
 */
static int luo_session_finish(struct luo_ucmd *ucmd)
{
	struct liveupdate_session_finish *arg = ucmd->cmd;
	struct liveupdate_session *session = luo_ucmd_session(ucmd);
	int err;

	err = luo_state_enter();
	if (err)
		return err;
	err = arg->reserved ? -EINVAL : luo_session_finish_files(session);
	luo_state_exit();
	return err;
}

/**
 * luo_session_get_name - %LIVEUPDATE_SESSION_GET_NAME.
 * @ucmd: The call.
 *
 * A session's name never changes: no lock is needed to read it.
 *
 * Context: Process context, no LUO lock held.
 * Return: 0, -EBUSY once the live update has serialized the sessions,
 * -EINVAL for a reserved field set, or -EFAULT.
 */
static int luo_session_get_name(struct luo_ucmd *ucmd)
{
	struct liveupdate_session_get_name *arg = ucmd->cmd;
	struct liveupdate_session *session = luo_ucmd_session(ucmd);
	int err;

	lockdep_assert_not_held(&luo_state_rwsem);
	err = luo_frozen_errno(0);
	if (err)
		return err;
	if (arg->reserved)
		return -EINVAL;
	strscpy_pad((char *)arg->name, session->name, sizeof(arg->name));
	return luo_ucmd_respond(ucmd);
}

union luo_ucmd_buffer {
	struct liveupdate_ioctl_create_session create;
	struct liveupdate_ioctl_retrieve_session retrieve;
	struct liveupdate_session_preserve_fd preserve;
	struct liveupdate_session_retrieve_fd retrieve_fd;
	struct liveupdate_session_finish finish;
	struct liveupdate_session_get_name get_name;
	struct liveupdate_ioctl_set_target set_target;
};

/* One ioctl command: its handler, struct sizes and the fd kinds it is for. */
struct luo_ioctl_op {
	int (*fn)(struct luo_ucmd *ucmd);
	u32 size;
	u32 min_size;
	unsigned int kinds;
};

/* Every struct must fit the buffer the dispatcher copies it into. */
#define LUO_IOCTL_OP(_nr, _fn, _struct, _last, _kinds)			\
	[_nr] = {							\
		.fn = _fn,						\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(_struct) >		\
					  sizeof(union luo_ucmd_buffer)), \
		.min_size = offsetofend(_struct, _last),		\
		.kinds = _kinds,					\
	}

static const struct luo_ioctl_op luo_ioctl_ops[] = {
	LUO_IOCTL_OP(LIVEUPDATE_CMD_CREATE_SESSION, luo_session_create,
		     struct liveupdate_ioctl_create_session, name,
		     LUO_FD_DEVICE),
	LUO_IOCTL_OP(LIVEUPDATE_CMD_SET_TARGET, luo_session_set_target,
		     struct liveupdate_ioctl_set_target, reserved,
		     LUO_FD_DEVICE),
	LUO_IOCTL_OP(LIVEUPDATE_CMD_RETRIEVE_SESSION, luo_session_retrieve,
		     struct liveupdate_ioctl_retrieve_session, name,
		     LUO_FD_DEVICE),
	LUO_IOCTL_OP(LIVEUPDATE_CMD_SESSION_PRESERVE_FD, luo_session_preserve_fd,
		     struct liveupdate_session_preserve_fd, token,
		     LUO_FD_OUTGOING),
	LUO_IOCTL_OP(LIVEUPDATE_CMD_SESSION_RETRIEVE_FD, luo_session_retrieve_fd,
		     struct liveupdate_session_retrieve_fd, token,
		     LUO_FD_INCOMING),
	LUO_IOCTL_OP(LIVEUPDATE_CMD_SESSION_FINISH, luo_session_finish,
		     struct liveupdate_session_finish, reserved,
		     LUO_FD_INCOMING),
	LUO_IOCTL_OP(LIVEUPDATE_CMD_SESSION_GET_NAME, luo_session_get_name,
		     struct liveupdate_session_get_name, name,
		     LUO_FD_SESSION),
};

/*
 * Whether @op is a command of an fd of @kind. A session command is one of
 * every session fd, so that the wrong kind of session gets -EINVAL, not
 * -ENOTTY.
 */
static bool luo_ioctl_op_of(const struct luo_ioctl_op *op, unsigned int kind)
{
	if (kind & LUO_FD_SESSION)
		return op->kinds & LUO_FD_SESSION;
	return op->kinds & kind;
}

/**
 * luo_ioctl - The one ioctl dispatcher of LUO.
 * @file: The file descriptor the ioctl came on.
 * @cmd:  The command.
 * @arg:  The user's struct.
 * @kind: What @file is: %LUO_FD_DEVICE, %LUO_FD_OUTGOING or
 *        %LUO_FD_INCOMING.
 *
 * A session command on the other kind of session is refused after the
 * size is read and before the struct is: that order of errnos is ABI.
 * The struct is copied in with no lock held; each command takes
 * luo_state_rwsem for read only around its own work, never across a copy
 * to userspace (see luo_state_enter()).
 *
 * Context: Process context, no LUO lock held.
 * Return: what the command returns; -ENOTTY for a command that is not one
 * of @file's; -EINVAL for a session command on the other kind of session;
 * -EFAULT, -EINVAL or -E2BIG for a bad struct size; -EBUSY once the live
 * update has serialized the sessions.
 */
long luo_ioctl(struct file *file, unsigned int cmd, unsigned long arg,
	       unsigned int kind)
{
	unsigned int nr = _IOC_NR(cmd);
	union luo_ucmd_buffer buffer;
	const struct luo_ioctl_op *op;
	struct luo_ucmd ucmd = {
		.file = file,
		.ubuffer = (void __user *)arg,
		.cmd = &buffer,
	};
	int err;

	lockdep_assert_not_held(&luo_state_rwsem);
	if (cmd != _IO(LIVEUPDATE_IOCTL_TYPE, nr) || nr >= ARRAY_SIZE(luo_ioctl_ops))
		return -ENOTTY;
	op = &luo_ioctl_ops[array_index_nospec(nr, ARRAY_SIZE(luo_ioctl_ops))];
	if (!op->fn)
		return -ENOTTY;
	if (!luo_ioctl_op_of(op, kind))
		return -ENOTTY;

	/*
	 * The order of errnos is ABI: the size is read first, then a command
	 * for the other kind of session is refused, then the struct is
	 * checked.
	 */
	if (get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer))
		return -EFAULT;
	if (!(op->kinds & kind))
		return -EINVAL;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	ucmd.size = op->size;
	err = copy_struct_from_user(ucmd.cmd, ucmd.size, ucmd.ubuffer,
				    ucmd.user_size);
	if (err)
		return err;
	return op->fn(&ucmd);
}

/**
 * luo_session_count_refused - What the declared target would refuse.
 *
 * Walks the outgoing sessions, their files and the FLBs in use, and logs
 * each one the target would refuse: with a target of another handover
 * ABI, every one of them. It waits for no handler but a PRESERVE_FD in
 * progress, whose session's files it reads under their lock.
 *
 * Context: Process context; luo_state_rwsem held, for read with
 * luo_target_lock (SET_TARGET) or for write (liveupdate_reboot()).
 * Return: the number of sessions, files and FLBs refused.
 */
long luo_session_count_refused(void)
{
	bool all = luo_target_refuses_abi();
	struct liveupdate_session *session;
	struct luo_file_set *fs;
	long n;

	lockdep_assert_held(&luo_state_rwsem);
	if (all)
		pr_err("the declared target speaks another handover ABI than %s: it would refuse every session, file and FLB\n",
		       LUO_ABI_COMPATIBLE);
	n = luo_flb_count_refused(all);
	guard(mutex)(&luo_outgoing.lock);
	list_for_each_entry(session, &luo_outgoing.list, list) {
		if (all) {
			pr_err("session '%s': the declared target would refuse it\n",
			       session->name);
			n++;
		}
		fs = luo_session_files(session);
		if (!fs)
			continue;
		scoped_guard(mutex, &fs->lock)
			n += luo_file_count_refused(fs, session->name, all);
	}
	return n;
}

/*
 * Unfreeze the outgoing sessions before @last (all of them if NULL), in
 * reverse order: the undoing of a freeze mirrors it. The live update owns
 * the sessions (no command changes the list while it holds luo_state_rwsem
 * for write), so the handlers run without the set's lock, which fdinfo
 * and the debugfs list take.
 * Context: luo_state_rwsem held for write.
 */
static void __luo_session_unfreeze_until(struct liveupdate_session *last)
{
	struct liveupdate_session *session;

	lockdep_assert_held_write(&luo_state_rwsem);
	session = list_prepare_entry(last, &luo_outgoing.list, list);
	list_for_each_entry_continue_reverse(session, &luo_outgoing.list, list)
		luo_session_files_apply(session, luo_file_unfreeze_all);
}

/*
 * Freeze the files of every outgoing session, in order. If one cannot
 * freeze, the sessions before it are unfrozen again. As for the unfreeze,
 * the handlers run under each session's own lock only.
 * Context: luo_state_rwsem held for write.
 * Return: 0, or the errno of the freeze that failed.
 */
static int __luo_session_freeze_all(void)
{
	struct liveupdate_session *session;
	struct luo_file_set *fs;
	int err = 0;

	lockdep_assert_held_write(&luo_state_rwsem);
	list_for_each_entry(session, &luo_outgoing.list, list) {
		fs = luo_session_files(session);
		if (!fs)
			continue;
		scoped_guard(mutex, &fs->lock)
			err = luo_file_freeze_all(fs);
		if (err) {
			pr_err("session '%s': a file cannot freeze: %pe\n",
			       session->name, ERR_PTR(err));
			__luo_session_unfreeze_until(session);
			return err;
		}
	}
	return 0;
}

/*
 * Write every outgoing session, frozen, to the session chain, which has
 * room for each.
 * Context: luo_outgoing.lock held.
 * Return: the number of files written.
 */
static long __luo_session_write_all(void)
{
	struct liveupdate_session *session;
	struct kho_block_set_it it;
	struct luo_session_ser *ser;
	struct luo_file_set *fs;
	long nr_files = 0;

	lockdep_assert_held(&luo_outgoing.lock);
	luo_block_set_rewind(&luo_outgoing.blocks, &luo_outgoing.lock);
	kho_block_set_it_init(&it, &luo_outgoing.blocks);
	list_for_each_entry(session, &luo_outgoing.list, list) {
		ser = kho_block_set_it_reserve_entry(&it);
		strscpy_pad(ser->name, session->name);
		fs = luo_session_files(session);
		if (!fs) {
			ser->file_set_ser.files = 0;
			ser->file_set_ser.count = 0;
			continue;
		}
		guard(mutex)(&fs->lock);
		luo_file_serialize(fs, &ser->file_set_ser);
		nr_files += luo_file_set_count(fs);
	}
	return nr_files;
}

/**
 * luo_session_serialize - Freeze every outgoing session and write it out.
 * @sessions_pa: Out: the head of the session chain (0 without sessions).
 * @nr_sessions: Out: number of sessions.
 * @nr_files:    Out: number of files.
 * @freeze_ns:   Out: how long freezing the files (and, after a freeze
 *               failed, unfreezing them) took.
 *
 * Context: luo_state_rwsem held for write (liveupdate_reboot()).
 * Return: 0; -ENOMEM without memory for the session chain (nothing is
 * frozen); or the errno of a freeze that failed, in which case every
 * session is unfrozen again.
 */
int luo_session_serialize(u64 *sessions_pa, long *nr_sessions, long *nr_files,
			  s64 *freeze_ns)
{
	ktime_t start = ktime_get();
	int err;

	lockdep_assert_held_write(&luo_state_rwsem);
	/*
	 * The session chain is sized now rather than as sessions come and
	 * go, so that a session costs no handover memory until a live
	 * update starts (each entry is as large as a session). Without the
	 * memory the live update is refused before anything is frozen.
	 */
	scoped_guard(mutex, &luo_outgoing.lock) {
		kho_block_set_shrink(&luo_outgoing.blocks, luo_outgoing.count);
		err = kho_block_set_grow(&luo_outgoing.blocks,
					 luo_outgoing.count);
	}
	if (err) {
		pr_err("no memory to hand over %ld sessions: %pe\n",
		       luo_outgoing.count, ERR_PTR(err));
		*freeze_ns = 0;
		return err;
	}

	/* The handlers' freeze runs without the set's lock. */
	err = __luo_session_freeze_all();
	*freeze_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	guard(mutex)(&luo_outgoing.lock);
	if (err) {
		kho_block_set_shrink(&luo_outgoing.blocks, 0);
		return err;
	}
	*nr_files += __luo_session_write_all();
	*nr_sessions = luo_outgoing.count;
	*sessions_pa = kho_block_set_head_pa(&luo_outgoing.blocks);
	luo_frozen = true;
	return 0;
}

/**
 * luo_session_unfreeze - Undo luo_session_serialize().
 *
 * Context: luo_state_rwsem held for write (liveupdate_reboot()).
 */
void luo_session_unfreeze(void)
{
	lockdep_assert_held_write(&luo_state_rwsem);
	__luo_session_unfreeze_until(NULL);
	guard(mutex)(&luo_outgoing.lock);
	kho_block_set_shrink(&luo_outgoing.blocks, 0);
	luo_frozen = false;
}

/**
 * luo_session_frozen - Whether the live update has serialized the sessions.
 *
 * Context: luo_state_rwsem held.
 * Return: true once luo_session_serialize() succeeded and was not undone.
 */
bool luo_session_frozen(void)
{
	lockdep_assert_held(&luo_state_rwsem);
	return luo_frozen;
}

/**
 * luo_session_check_claimed - Refuse a live update that would lose sessions.
 *
 * Every incoming session must be claimed before the next live update:
 * finished, or retrieved and closed. Sessions refused as malformed cannot
 * be claimed and do not count.
 *
 * Context: luo_state_rwsem held for write (liveupdate_reboot()).
 * Return: 0, or -EBUSY if a session is not claimed (each is logged).
 */
int luo_session_check_claimed(void)
{
	struct liveupdate_session *session;
	long n = 0;

	lockdep_assert_held_write(&luo_state_rwsem);
	guard(mutex)(&luo_incoming.lock);
	list_for_each_entry(session, &luo_incoming.list, list) {
		if (session->state == LUO_SESSION_FINISHED ||
		    session->state == LUO_SESSION_BROKEN)
			continue;
		pr_err("session '%s' of the previous kernel is neither finished nor closed\n",
		       session->name);
		n++;
	}
	return n ? -EBUSY : 0;
}

/**
 * struct luo_session_iter - A reader of the debugfs list of sessions.
 * @set:  The set of the session where the next read resumes.
 * @name: Its name.
 * @seq:  Its &liveupdate_session.seq.
 * @pos:  Its position in the file.
 *
 * The list is read a buffer at a time, and each read resumes at the
 * session it stopped at, found by name in O(1): reading every session
 * costs O(n), whatever the size of the reads. If that session was deleted
 * meanwhile, the read resumes at the first session after it in the list
 * (by @seq), so a session that stays is listed exactly once. The set's
 * lock is held for one read only, never across the copy to userspace.
 */
struct luo_session_iter {
	struct luo_session_set *set;
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	u64 seq;
	loff_t pos;
};

/* @session, or the first session of the next set; NULL at the end. */
static struct liveupdate_session *
luo_session_iter_here(struct luo_session_iter *it, struct list_head *node)
{
	lockdep_assert_held(&it->set->lock);
	if (node != &it->set->list)
		return list_entry(node, struct liveupdate_session, list);
	if (it->set != &luo_outgoing)
		return NULL;
	mutex_unlock(&it->set->lock);
	it->set = &luo_incoming;
	mutex_lock(&it->set->lock);
	return luo_session_iter_here(it, it->set->list.next);
}

/* Remember @session as the place to resume; NULL at the end. */
static void *luo_session_iter_at(struct luo_session_iter *it,
				 struct liveupdate_session *session, loff_t pos)
{
	if (!session)
		return NULL;
	strscpy(it->name, session->name);
	it->seq = session->seq;
	it->pos = pos;
	return session;
}

static void *luo_session_seq_start(struct seq_file *m, loff_t *pos)
{
	struct luo_session_iter *it = m->private;
	struct liveupdate_session *session;

	if (!*pos) {
		it->set = &luo_outgoing;
		mutex_lock(&it->set->lock);
		session = luo_session_iter_here(it, it->set->list.next);
		return luo_session_iter_at(it, session, 0);
	}
	/* Locked whatever start returns: stop unlocks. */
	mutex_lock(&it->set->lock);
	if (*pos != it->pos)	/* the end was reached */
		return NULL;
	session = __luo_session_find(it->set, (const u8 *)it->name);
	if (session && !list_empty(&session->list) && session->seq == it->seq)
		return session;
	/* It was deleted: resume at the first session added after it. */
	list_for_each_entry(session, &it->set->list, list)
		if (session->seq > it->seq)
			return luo_session_iter_at(it, session, *pos);
	return luo_session_iter_at(it, luo_session_iter_here(it, &it->set->list),
				   *pos);
}

static void *luo_session_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct luo_session_iter *it = m->private;
	struct liveupdate_session *session = v;

	++*pos;
	session = luo_session_iter_here(it, session->list.next);
	return luo_session_iter_at(it, session, *pos);
}

static void luo_session_seq_stop(struct seq_file *m, void *v)
{
	struct luo_session_iter *it = m->private;

	mutex_unlock(&it->set->lock);
}

/* One session and its files; the format is in the userspace-api page. */
static int luo_session_seq_show(struct seq_file *m, void *v)
{
	struct liveupdate_session *session = v;
	struct luo_session_iter *it = m->private;
	struct luo_file_set *fs = luo_session_files(session);

	lockdep_assert_held(&it->set->lock);
	seq_printf(m, "session %s %s %ld ",
		   session->incoming ? "incoming" : "outgoing",
		   luo_session_state_names[session->state],
		   luo_session_nr_files(session));
	seq_escape(m, session->name, " \t\n\\");
	seq_putc(m, '\n');
	if (fs)
		luo_file_show(m, fs, session->incoming);
	return 0;
}

static const struct seq_operations luo_session_seq_ops = {
	.start	= luo_session_seq_start,
	.next	= luo_session_seq_next,
	.stop	= luo_session_seq_stop,
	.show	= luo_session_seq_show,
};

static int luo_sessions_open(struct inode *inode, struct file *file)
{
	return seq_open_private(file, &luo_session_seq_ops,
				sizeof(struct luo_session_iter));
}

/* The debugfs file "sessions": every session, outgoing and incoming. */
const struct file_operations luo_sessions_fops = {
	.owner		= THIS_MODULE,
	.open		= luo_sessions_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= seq_release_private,
};

/**
 * struct luo_session_build - The rebuild of the incoming sessions.
 * @r:     The reader of the previous kernel's memory.
 * @index: Sessions rebuilt so far; each session's file chain is claimed
 *         under its own owner (@r->owner), its index plus one.
 */
struct luo_session_build {
	struct luo_ser_reader *r;
	unsigned long index;
};

/*
 * Rebuild the files of an incoming session. Malformed files refuse the
 * session alone: it stays, marked broken.
 */
static int luo_session_deserialize_files(struct liveupdate_session *session,
					 struct luo_ser_reader *r,
					 const struct luo_file_set_ser *ser)
{
	struct luo_file_set *fs;
	int err;

	lockdep_assert_held(&luo_incoming.lock);
	if (luo_file_set_ser_none(ser))
		return 0;
	fs = luo_session_files_get(session);
	if (!fs)
		return -ENOMEM;
	guard(mutex)(&fs->lock);
	err = luo_file_deserialize(fs, r, ser);
	if (err == -EINVAL) {
		pr_err("session '%s' is refused: its files are malformed\n",
		       session->name);
		luo_file_discard_all(fs);
		session->state = LUO_SESSION_BROKEN;
		luo_unfinished--;
		return 0;
	}
	if (!err && luo_file_set_unbound(fs))
		pr_warn("session '%s': %ld files wait for their handler\n",
			session->name, luo_file_set_unbound(fs));
	return err;
}

/*
 * Rebuild one incoming session and its files. A session whose own files
 * are malformed is kept, marked broken; a malformed session entry, a page
 * shared with another chain, or want of memory fails the whole rebuild.
 */
static int luo_session_deserialize_one(const void *entry, void *arg)
{
	const struct luo_session_ser *ser = entry;
	struct luo_session_build *build = arg;
	struct liveupdate_session *session;
	int err;

	if (!luo_session_name_valid(ser->name)) {
		pr_err("a session name is empty or unterminated: '%.*s'\n",
		       (int)sizeof(ser->name), ser->name);
		return -EINVAL;
	}
	session = luo_session_alloc(ser->name, LUO_SESSION_WAITING);
	if (!session)
		return -ENOMEM;
	err = __luo_session_reserve(&luo_incoming, session);
	if (!err)
		__luo_session_link(session);
	if (err) {
		if (err == -EEXIST)
			pr_err("session '%s' is handed over twice\n",
			       session->name);
		luo_session_free(session);
		return err == -EEXIST ? -EINVAL : err;
	}
	luo_unfinished++;
	build->r->owner = ++build->index;
	return luo_session_deserialize_files(session, build->r,
					     &ser->file_set_ser);
}

/*
 * Forget every incoming session without calling any handler.
 * Context: luo_incoming.lock held.
 */
static void __luo_session_discard_incoming(void)
{
	struct liveupdate_session *session, *tmp;

	lockdep_assert_held(&luo_incoming.lock);
	list_for_each_entry_safe(session, tmp, &luo_incoming.list, list) {
		luo_session_files_apply(session, luo_file_discard_all);
		__luo_session_remove(session);
		luo_session_free(session);
	}
	luo_unfinished = 0;
}

/**
 * luo_session_deserialize - Rebuild the previous kernel's sessions.
 * @r:           How to reach the previous kernel's memory; every page read
 *               is claimed through it.
 * @sessions_pa: The head of the session chain (0 without sessions).
 *
 * All or nothing: on failure no incoming session exists and no handler was
 * called, so that a later call can try again. A session whose own files
 * are malformed does not fail the rebuild: it is refused at retrieve.
 * Files whose handler is not registered wait for it (see
 * luo_file_retrieve()).
 *
 * Context: Process context, luo_state_rwsem held for write.
 * Return: 0; -EINVAL or -EADDRINUSE for a malformed handover; -ENOMEM.
 */
int luo_session_deserialize(struct luo_ser_reader *r, u64 sessions_pa)
{
	struct luo_session_build build = { .r = r };
	long n;

	lockdep_assert_held_write(&luo_state_rwsem);
	guard(mutex)(&luo_incoming.lock);
	r->owner = 0;
	n = luo_chain_walk(r, sessions_pa, sizeof(struct luo_session_ser),
			   luo_session_deserialize_one, &build);
	if (n < 0) {
		__luo_session_discard_incoming();
		return n;
	}
	return 0;
}

#ifdef CONFIG_LIVEUPDATE_KUNIT_TEST
#include "tests/luo_session-kunit.h"
#endif
