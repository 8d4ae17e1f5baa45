// SPDX-License-Identifier: GPL-2.0
/*
 * Live Update Orchestrator: the record of what a kernel accepts, and the
 * declared target of the next live update.
 */

/**
 * DOC: LUO target record
 *
 * A live update into a kernel that cannot take the preserved state (no
 * handler for a file's compatible string, another handover ABI, an FLB it
 * does not know) used to be found out only in the new kernel, when the old
 * one is gone. Every kernel image built with this LUO therefore carries a
 * record of the handover formats it accepts, in its section
 * ``.liveupdate_features`` (layout and rules in
 * include/uapi/linux/liveupdate.h): LUO's own ABI and phases subtree are
 * declared here, every handler and FLB next to its definition with
 * LIVEUPDATE_RECORD_ENTRY().
 *
 * An agent reads the record from the image it is about to load and
 * declares it with %LIVEUPDATE_IOCTL_SET_TARGET. The record is untrusted:
 * its length, magic, version and every name are checked before it is
 * kept. While a target is declared, the outgoing state is checked against
 * it: SET_TARGET counts and logs what the target would refuse,
 * PRESERVE_FD logs a file the target would refuse (and the debugfs list
 * marks it), and liveupdate_reboot() refuses, before anything is frozen,
 * a live update whose state the target would refuse. Without a declared
 * target nothing changes, as upstream.
 *
 * The target is read under RCU (it is looked up from under the locks of
 * sessions and files) and replaced under luo_target_lock, which only
 * SET_TARGET takes, after luo_state_rwsem for read.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/cleanup.h>
#include <linux/err.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "luo_internal.h"

static_assert(sizeof(struct liveupdate_record_header) == 8);
static_assert(sizeof(struct liveupdate_record_entry) == 80);
static_assert(sizeof(struct liveupdate_ioctl_set_target) == 32);

/* The header of this kernel's record; the linker script puts it first. */
static const struct liveupdate_record_header luo_record_header
	__used __aligned(8) __section(".liveupdate_features.header") = {
	.magic		= LIVEUPDATE_RECORD_MAGIC,
	.version	= LIVEUPDATE_RECORD_VERSION,
};

LIVEUPDATE_RECORD_ENTRY(luo_abi, LUO_ABI_COMPATIBLE);
LIVEUPDATE_RECORD_ENTRY(luo_phases, LUO_PHASES_COMPATIBLE);

/**
 * struct luo_target - A declared target's record.
 * @rcu:     Frees it after the readers of the one it replaced are gone.
 * @count:   Number of entries.
 * @entries: The entries, names checked.
 */
struct luo_target {
	struct rcu_head rcu;
	size_t count;
	struct liveupdate_record_entry entries[];
};

/* The declared target, or NULL; replaced under luo_target_lock. */
static struct luo_target __rcu *luo_target;
static DEFINE_MUTEX(luo_target_lock);

/* The feature bits this kernel writes for every format it hands over. */
#define LUO_TARGET_ACTIVE	LIVEUPDATE_FEATURE_BASE

/**
 * luo_target_parse - Check a record and keep a copy of its entries.
 * @buf: The record, as the agent gave it.
 * @len: Its length.
 *
 * Context: Process context.
 * Return: the target; ERR_PTR(-E2BIG) if @len is over
 * %LIVEUPDATE_RECORD_MAX; ERR_PTR(-EINVAL) for a length that is not a
 * header and whole entries, a bad magic or version, or an empty or
 * unterminated name; ERR_PTR(-ENOMEM).
 */
struct luo_target *luo_target_parse(const void *buf, size_t len)
{
	const struct liveupdate_record_header *hdr = buf;
	const struct liveupdate_record_entry *entry = (const void *)(hdr + 1);
	struct luo_target *t;
	size_t i, count;

	if (len > LIVEUPDATE_RECORD_MAX)
		return ERR_PTR(-E2BIG);
	if (len < sizeof(*hdr) || (len - sizeof(*hdr)) % sizeof(*entry))
		return ERR_PTR(-EINVAL);
	if (hdr->magic != LIVEUPDATE_RECORD_MAGIC ||
	    hdr->version != LIVEUPDATE_RECORD_VERSION)
		return ERR_PTR(-EINVAL);
	count = (len - sizeof(*hdr)) / sizeof(*entry);
	for (i = 0; i < count; i++)
		if (!luo_ser_string_valid(entry[i].name, sizeof(entry[i].name)))
			return ERR_PTR(-EINVAL);
	t = kvmalloc(struct_size(t, entries, count), GFP_KERNEL_ACCOUNT);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->count = count;
	memcpy(t->entries, entry, count * sizeof(*entry));
	return t;
}

/**
 * luo_target_free - Free a target luo_target_parse() made.
 * @t: The target, or NULL.
 *
 * Context: Process context.
 */
void luo_target_free(struct luo_target *t)
{
	kvfree(t);
}

static void luo_target_free_rcu(struct rcu_head *rcu)
{
	kvfree(container_of(rcu, struct luo_target, rcu));
}

/**
 * luo_target_lock_acquire - Begin replacing the target.
 *
 * SET_TARGET holds it while it replaces the target and counts what the new
 * one refuses, so that two of them do not mix.
 *
 * Context: Process context, luo_state_rwsem held for read.
 */
void luo_target_lock_acquire(void)
{
	mutex_lock(&luo_target_lock);
}

/**
 * luo_target_lock_release - End what luo_target_lock_acquire() began.
 *
 * Context: Process context, luo_target_lock held.
 */
void luo_target_lock_release(void)
{
	mutex_unlock(&luo_target_lock);
}

/**
 * __luo_target_set - Declare a new target, or none.
 * @t: The target (taken over), or NULL to clear it.
 *
 * Context: luo_target_lock held.
 */
void __luo_target_set(struct luo_target *t)
{
	struct luo_target *old;

	lockdep_assert_held(&luo_target_lock);
	old = rcu_replace_pointer(luo_target, t,
				  lockdep_is_held(&luo_target_lock));
	if (old)
		call_rcu(&old->rcu, luo_target_free_rcu);
}

/* Whether @t accepts the format @name, as this kernel writes it. */
static bool luo_target_has(const struct luo_target *t, const char *name)
{
	const struct liveupdate_record_entry *e;
	size_t i;

	for (i = 0; i < t->count; i++) {
		e = &t->entries[i];
		if (strncmp(e->name, name, sizeof(e->name)))
			continue;
		return !(LUO_TARGET_ACTIVE & ~e->supported) &&
		       !(e->required & ~LUO_TARGET_ACTIVE);
	}
	return false;
}

/**
 * luo_target_declared - Whether a target is declared.
 *
 * Context: Any context.
 * Return: true if SET_TARGET declared a target that was not cleared.
 */
bool luo_target_declared(void)
{
	return rcu_access_pointer(luo_target);
}

/**
 * luo_target_refuses - Whether the declared target would refuse a format.
 * @name: A compatible string: of a file's handler, of an FLB, or LUO's ABI.
 *
 * Context: Any context.
 * Return: true if a target is declared and it does not accept @name (see
 * "The target record" in the uAPI header); false without a target.
 */
bool luo_target_refuses(const char *name)
{
	const struct luo_target *t;

	guard(rcu)();
	t = rcu_dereference(luo_target);
	return t && !luo_target_has(t, name);
}

/**
 * luo_target_refuses_abi - Whether the declared target speaks another ABI.
 *
 * Then it refuses every session, file and FLB.
 *
 * Context: Any context.
 * Return: true if a target is declared without %LUO_ABI_COMPATIBLE.
 */
bool luo_target_refuses_abi(void)
{
	return luo_target_refuses(LUO_ABI_COMPATIBLE);
}

/**
 * luo_record_has - Whether this kernel's own record names a format.
 * @name: A compatible string.
 *
 * The record of the image: the built-in handlers and FLBs and LUO's own
 * formats (a module's are in its own section).
 *
 * Context: Any context.
 * Return: true if the record has an entry named @name.
 */
bool luo_record_has(const char *name)
{
	const struct liveupdate_record_header *hdr =
		(const void *)__start_liveupdate_features;
	const struct liveupdate_record_entry *e = (const void *)(hdr + 1);

	if (hdr->magic != LIVEUPDATE_RECORD_MAGIC)
		return false;
	for (; e < __stop_liveupdate_features; e++)
		if (!strncmp(e->name, name, sizeof(e->name)))
			return true;
	return false;
}

#ifdef CONFIG_LIVEUPDATE_KUNIT_TEST
#include "tests/luo_target-kunit.h"
#endif
