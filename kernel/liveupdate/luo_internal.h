/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Live Update Orchestrator: what the parts of LUO share with each other.
 */
#ifndef _KERNEL_LIVEUPDATE_LUO_INTERNAL_H
#define _KERNEL_LIVEUPDATE_LUO_INTERNAL_H

#include <linux/kho_block.h>
#include <linux/liveupdate.h>
#include <linux/module.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct file;
struct seq_file;

/*
 * Layers, top first. A file calls only into the files below it; what they
 * share upwards is data declared here (the locks luo_core.c owns), never
 * a call.
 *
 *  luo_core.c     boot, /dev/liveupdate, liveupdate_reboot(), debugfs
 *  luo_session.c  sessions, their fds, the ioctl dispatcher of both kinds
 *                 of fd
 *  luo_file.c     the files of a session; the registry of file handlers,
 *                 and which FLBs serve a handler (the public FLB attach
 *                 and detach)
 *  luo_flb.c      FLBs: their state across the live update, get and put
 *  luo_ser.c      whether LUO is on; the handover format: the reader of
 *                 the previous kernel's memory, chain walks, string checks
 *
 * luo_corrupt.c (a test hook, called by luo_core.c) and the KUnit tests
 * (tests/, included at the end of the file they test) stand aside.
 */

/*
 * Lock hierarchy, outermost first. A lock may be taken while holding only
 * locks above it.
 *
 *  luo_state_rwsem        luo_core.c. Read: the part of a command that
 *                         changes or reads sessions, and the closing of a
 *                         session; never across a copy to or from
 *                         userspace or the installing of an fd, so that a
 *                         caller stalled there (a userfaultfd) stalls no
 *                         one else. Write: liveupdate_reboot(), which
 *                         thus excludes every change to sessions while it
 *                         freezes and serializes them (its callbacks run
 *                         under this and each session's file-set lock
 *                         only), and the rebuild of the incoming sessions
 *                         at the first open that has one to do.
 *  luo_session_set.lock   luo_session.c, one per direction. The set's
 *                         table, list, count and block chain; the lookup
 *                         of a session by name; each session's state.
 *                         Never held across a handler callback.
 *  luo_file_set.lock      luo_file.c. One session's files; held across
 *                         that session's handler callbacks only.
 *  luo_register_rwlock    luo_core.c. The registries of file handlers and
 *                         FLBs, and which FLB serves which handler. Read:
 *                         walks and lookups; write: (un)registration.
 *                         Held across no callback but can_preserve: the
 *                         modules a file needs are pinned under it, and
 *                         FLB callbacks run after it is dropped.
 *  luo_flb_private.lock,  luo_flb.c. One FLB's outgoing or incoming state
 *  luo_flb_incoming.lock  and its callbacks; a lockdep class per FLB, so
 *                         one FLB's callbacks may take another FLB's lock.
 *                         Never held across a get and its put.
 *  luo_flb_active_lock    luo_flb.c. The list of FLBs that preserved files
 *                         depend on, which the live update hands over.
 *  luo_flb_init_lock      luo_flb.c, a spinlock. Lazy init of an FLB's
 *                         private state; nothing sleeps under it.
 *
 * luo_target_lock (luo_target.c) is taken by SET_TARGET only, under
 * luo_state_rwsem for read and above the session set locks; the target it
 * replaces is read under RCU, so the lookups take no lock.
 *
 * luo_file_ids (an xarray of every file preserved in any session) uses
 * its own internal lock only.
 *
 * Names follow XArray's convention: __name() expects its caller to hold
 * the lock that name(), or the public function it serves, takes; it says
 * which in its Context: line and asserts it. Two sets of functions run
 * under one lock as a whole, said once here instead of by prefix: the
 * file-set functions (luo_file_*()) under the owning session's
 * luo_file_set.lock, and what liveupdate_reboot() and the rebuild of the
 * incoming sessions (luo_session_deserialize()) call under luo_state_rwsem
 * held for write. The ioctl commands take luo_state_rwsem themselves.
 */
extern struct rw_semaphore luo_state_rwsem;
extern struct rw_semaphore luo_register_rwlock;

/**
 * luo_module_get_live() - Pin a module that finished its init.
 * @mod: The module, or NULL (built in).
 *
 * try_module_get() also pins a module still in its init, whose init may
 * then fail: the loader frees such a module whatever its refcount. A
 * handler or FLB is bound to a file only once its module is live, which
 * also means its init attached every FLB it attaches.
 *
 * Context: Any context.
 * Return: true with a reference on @mod, false (no reference) if it is
 * coming or going.
 */
static inline bool luo_module_get_live(struct module *mod)
{
	if (!try_module_get(mod))
		return false;
	if (mod && module_is_coming(mod)) {
		module_put(mod);
		return false;
	}
	return true;
}

/*
 * Highest number of blocks in one chain: the next kernel's kho_block limit.
 * It bounds the walk of a chain that comes from the previous kernel.
 */
#define LUO_MAX_BLOCKS		10000

/* Entries that fit in one block of a chain. */
#define LUO_BLOCK_ENTRIES(type)						\
	((KHO_BLOCK_SIZE - sizeof(struct kho_block_header_ser)) / sizeof(type))

/**
 * luo_block_set_rewind() - Make an outgoing chain ready to be written again.
 * @bs:   The chain.
 * @lock: The lock of the set that owns @bs (asserted).
 *
 * Only the counts are reset: the entries are rewritten in order and a
 * reader stops at a block's count, so the bytes of an earlier serialization
 * need no clearing (clearing every block cost most of the reboot time with
 * thousands of sessions).
 *
 * Context: The lock of the set that owns @bs.
 */
static inline void luo_block_set_rewind(struct kho_block_set *bs,
					struct mutex *lock)
{
	struct kho_block *block;

	lockdep_assert_held(lock);
	list_for_each_entry(block, &bs->blocks, list)
		block->ser->count = 0;
}

/**
 * struct luo_ser_reader - Access to memory from the previous kernel.
 * @map:     Return the page at @pa, or NULL if @pa is not a page the
 *           previous kernel preserved (or it was given back already).
 * @release: Give a page back once its content is consumed.
 * @claimed: The pages claimed so far, by PFN; each entry's value is the
 *           @owner that claimed it.
 * @owner:   Who claims now: 0 for the session chain, a session's index
 *           plus one for its file chain. A page claimed twice by one owner
 *           is a loop; by two owners, a page shared across the handover.
 *
 * The kernel's reader accepts only pages KHO preserved and frees them with
 * KHO; KUnit feeds plain buffers through its own reader. See luo_ser.c.
 */
struct luo_ser_reader {
	const void *(*map)(struct luo_ser_reader *r, u64 pa);
	void (*release)(struct luo_ser_reader *r, u64 pa);
	struct xarray claimed;
	unsigned long owner;
};

/**
 * struct luo_limit - A limit of the handover, shown as a parameter of luo.
 * @val: The limit now.
 * @max: The most it can be: the next kernel's own limit.
 *
 * The parameter (luo_limit_ops) is readable always; in test kernels
 * (CONFIG_LIVEUPDATE_CORRUPT_TEST) it can be lowered, so that tests reach
 * the limit.
 */
struct luo_limit {
	unsigned long val;
	unsigned long max;
};

extern const struct kernel_param_ops luo_limit_ops;
#define LUO_LIMIT_PERM	(IS_ENABLED(CONFIG_LIVEUPDATE_CORRUPT_TEST) ? 0644 : 0444)

static inline unsigned long luo_limit(const struct luo_limit *l)
{
	return READ_ONCE(l->val);
}

/* The handover format (luo_ser.c), the bottom layer. */
void luo_disable(void);
void luo_ser_reader_init(struct luo_ser_reader *r,
			 const void *(*map)(struct luo_ser_reader *r, u64 pa),
			 void (*release)(struct luo_ser_reader *r, u64 pa));
void luo_kho_reader_init(struct luo_ser_reader *r);
const void *luo_ser_claim(struct luo_ser_reader *r, u64 pa);
void luo_ser_release_all(struct luo_ser_reader *r);
void luo_ser_unclaim_all(struct luo_ser_reader *r);
bool luo_ser_string_valid(const char *s, size_t size);

typedef int (*luo_chain_fn)(const void *entry, void *arg);
long luo_chain_walk(struct luo_ser_reader *r, u64 head_pa, size_t entry_size,
		    luo_chain_fn fn, void *arg);

/* The record and the declared target (luo_target.c), beside luo_ser.c. */
struct luo_target;
extern const struct liveupdate_record_entry __start_liveupdate_features[];
extern const struct liveupdate_record_entry __stop_liveupdate_features[];
struct luo_target *luo_target_parse(const void *buf, size_t len);
void luo_target_free(struct luo_target *t);
void luo_target_lock_acquire(void);
void luo_target_lock_release(void);
void __luo_target_set(struct luo_target *t);
bool luo_target_declared(void);
bool luo_target_refuses(const char *name);
bool luo_target_refuses_abi(void);
bool luo_record_has(const char *name);

/* Sessions and the ioctl dispatcher of both kinds of fd (luo_session.c). */
/* The kinds of file an ioctl may come on; a command accepts a mask. */
#define LUO_FD_DEVICE		BIT(0)
#define LUO_FD_OUTGOING		BIT(1)
#define LUO_FD_INCOMING		BIT(2)
#define LUO_FD_SESSION		(LUO_FD_OUTGOING | LUO_FD_INCOMING)
long luo_ioctl(struct file *file, unsigned int cmd, unsigned long arg,
	       unsigned int kind);
int luo_session_init(void);
int luo_session_serialize(u64 *sessions_pa, long *nr_sessions, long *nr_files,
			  s64 *freeze_ns);
void luo_session_unfreeze(void);
bool luo_session_frozen(void);
int luo_session_deserialize(struct luo_ser_reader *r, u64 sessions_pa);
int luo_session_check_claimed(void);
long luo_session_count_refused(void);
extern const struct file_operations luo_sessions_fops;
void luo_session_phases(u64 *first_retrieve_ns, u64 *last_finish_ns);

/**
 * struct luo_file_set - The files of one session.
 * @lock:   Protects the files (see the hierarchy above).
 * @tokens: The files by token.
 * @files:  The files in the order they were preserved.
 * @count:  Number of files.
 * @blocks: Outgoing only: the block chain they are serialized into, grown
 *          as files are preserved so that the live update allocates
 *          nothing.
 * @unbound: Incoming only: files whose handler was not registered when
 *          they were rebuilt; each is bound when it is retrieved or the
 *          session finishes, or given up at the finish.
 *
 * @session: The session the files belong to, for the handlers'
 *          &liveupdate_file_op_args.session (NULL in KUnit tests).
 * @depth:  How many handler retrieves of this set are running, one
 *          inside the other (dependent files); bounded.
 *
 * An outgoing session gets its set with its first preserved file, an
 * incoming one when it handed files over (see luo_session_files()).
 */
struct luo_file_set {
	struct mutex lock;		/* see the hierarchy above */
	struct xarray tokens;
	struct list_head files;
	long count;
	struct kho_block_set blocks;
	long unbound;
	struct liveupdate_session *session;
	unsigned int depth;
};

/* Files (luo_file.c). Each names the set's lock it needs in Context. */
void luo_file_set_init(struct luo_file_set *fs,
		       struct liveupdate_session *session);
void luo_file_set_destroy(struct luo_file_set *fs);
struct luo_file_set *luo_file_set_new(struct liveupdate_session *session);
void luo_file_set_free(struct luo_file_set *fs);
long luo_file_set_count(struct luo_file_set *fs);
long luo_file_set_unbound(struct luo_file_set *fs);
int luo_file_preserve(struct luo_file_set *fs, u64 token, int fd,
		      const char *session);
void luo_file_unpreserve_all(struct luo_file_set *fs);
int luo_file_freeze_all(struct luo_file_set *fs);
void luo_file_unfreeze_all(struct luo_file_set *fs);
void luo_file_serialize(struct luo_file_set *fs, struct luo_file_set_ser *ser);
bool luo_file_set_ser_none(const struct luo_file_set_ser *ser);
int luo_file_deserialize(struct luo_file_set *fs, struct luo_ser_reader *r,
			 const struct luo_file_set_ser *ser);
void luo_file_discard_all(struct luo_file_set *fs);
int luo_file_token(struct luo_file_set *fs, struct file *file, u64 *tokenp);
int luo_file_retrieve(struct luo_file_set *fs, u64 token, struct file **filep,
		      const char *session);
int luo_file_finish_all(struct luo_file_set *fs, const char *session);
void __luo_file_show_registry(struct seq_file *m);
void luo_file_show(struct seq_file *m, struct luo_file_set *fs, bool incoming);
long luo_file_count_refused(struct luo_file_set *fs, const char *session,
			    bool all);
long luo_file_check_record(void);

/**
 * struct luo_flb_deps - The FLBs one preserved file depends on.
 * @flbs:  The FLBs, as attached to the file's handler when the file was
 *         preserved or deserialized.
 * @count: Number of entries in @flbs.
 */
struct luo_flb_deps {
	struct liveupdate_flb **flbs;
	unsigned int count;
};

/* FLBs (luo_flb.c). */
int __luo_flb_deps_pin(struct liveupdate_file_handler *fh,
		       struct luo_flb_deps *deps, bool incoming);
void luo_flb_deps_unpin(struct luo_flb_deps *deps);
int luo_flb_file_preserve(struct luo_flb_deps *deps);
void luo_flb_file_unpreserve(struct luo_flb_deps *deps);
void luo_flb_file_deserialize(struct luo_flb_deps *deps);
void luo_flb_file_finish(struct luo_flb_deps *deps);
void luo_flb_file_discard(struct luo_flb_deps *deps);
struct luo_flb_link;
struct luo_flb_link *luo_flb_link_new(struct liveupdate_flb *flb);
void luo_flb_link_free(struct luo_flb_link *link);
int __luo_flb_attach(struct liveupdate_file_handler *fh,
		     struct luo_flb_link *link);
void __luo_flb_detach(struct liveupdate_file_handler *fh,
		      struct liveupdate_flb *flb);
void __luo_flb_detach_all(struct liveupdate_file_handler *fh);
int luo_flb_outgoing_init(void);
int luo_flb_serialize(u64 *flbs_pa);

int luo_flb_parse_incoming(struct luo_ser_reader *r, u64 flbs_pa);
void luo_flb_incoming_end_all(void);
long luo_flb_count_refused(bool all);
long __luo_flb_check_record(void);
void __luo_flb_show_registry(struct seq_file *m);

#ifdef CONFIG_LIVEUPDATE_TEST
void liveupdate_test_register(struct liveupdate_file_handler *fh);
#else
static inline void liveupdate_test_register(struct liveupdate_file_handler *fh)
{
}
#endif

/* A file for the session tests (tests/luo_file-kunit.h), in KUnit only. */
#ifdef CONFIG_LIVEUPDATE_KUNIT_TEST
struct kunit;
struct file *luo_test_file_add(struct kunit *test, struct luo_file_set *fs,
			       u64 token, bool outgoing);
#endif

/* The corruption test hook (luo_corrupt.c), in test kernels only. */
struct luo_ser;
#ifdef CONFIG_LIVEUPDATE_CORRUPT_TEST
void luo_corrupt_test(struct luo_ser *root);
#else
static inline void luo_corrupt_test(struct luo_ser *root)
{
}
#endif

#endif /* _KERNEL_LIVEUPDATE_LUO_INTERNAL_H */
