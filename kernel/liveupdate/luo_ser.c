// SPDX-License-Identifier: GPL-2.0
/*
 * Live Update Orchestrator: the bottom layer. Whether LUO is on at all, and
 * reading what the previous kernel handed over.
 */

/**
 * DOC: LUO handover reader
 *
 * Everything the previous kernel wrote is untrusted: a bug or a corruption
 * there must end in an errno and a log line here, never in a crash, a
 * page freed twice, or a page of this kernel read as if it were handed
 * over. This file is the bottom layer that every reader of the handover
 * (sessions, files, FLBs) goes through:
 *
 * - A page is used only if KHO preserved it (order 0, as all of LUO's
 *   pages are) and has not restored it yet, as kho_is_preserved() tells
 *   without decoding KHO's own marks. A page of this kernel, or a page
 *   that was already given back, is refused.
 * - A page is used once per handover: every page is claimed when it is
 *   first read, and a second claim is refused: a loop within a chain, or a
 *   page shared by two chains (then nobody can tell which of them owns
 *   it: see the failure policy in the documentation).
 * - A block chain is read once: the first pass claims every block and
 *   copies its count and link, the visit works from that copy only.
 * - Claimed pages are given back to the page allocator together, once the
 *   whole rebuild succeeded; a rebuild that fails for want of memory gives
 *   nothing back, so that the next attempt finds everything as it was.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "luo_internal.h"

/* liveupdate=on; cleared at boot if LUO cannot work. */
static bool luo_enabled __read_mostly;

static int __init luo_parse_param(char *buf)
{
	return kstrtobool(buf, &luo_enabled);
}
early_param("liveupdate", luo_parse_param);

/**
 * liveupdate_enabled - Whether the Live Update Orchestrator is on.
 *
 * Context: Any context.
 * Return: true if ``liveupdate=on`` was given, KHO is enabled, and LUO
 * could prepare the handover at boot.
 */
bool liveupdate_enabled(void)
{
	return luo_enabled;
}
EXPORT_SYMBOL_GPL(liveupdate_enabled);

/* A limit (&struct luo_limit) is set between 1 and its maximum. */
static int luo_limit_set(const char *val, const struct kernel_param *kp)
{
	struct luo_limit *l = kp->arg;
	unsigned long n;
	int err = kstrtoul(val, 0, &n);

	if (err)
		return err;
	if (!n || n > l->max)
		return -EINVAL;
	WRITE_ONCE(l->val, n);
	return 0;
}

static int luo_limit_get(char *buf, const struct kernel_param *kp)
{
	const struct luo_limit *l = kp->arg;

	return sysfs_emit(buf, "%lu\n", luo_limit(l));
}

const struct kernel_param_ops luo_limit_ops = {
	.set	= luo_limit_set,
	.get	= luo_limit_get,
};

/**
 * luo_disable - Turn LUO off for this boot.
 *
 * Context: Boot (initcalls), before /dev/liveupdate exists.
 */
void luo_disable(void)
{
	luo_enabled = false;
}

/* A page of the previous kernel, if KHO preserved it (order 0, as LUO's). */
static const void *luo_kho_map(struct luo_ser_reader *r, u64 pa)
{
	if (!pa || !kho_is_preserved(pa, 0))
		return NULL;
	return phys_to_virt(pa);
}

static void luo_kho_release(struct luo_ser_reader *r, u64 pa)
{
	kho_restore_free(phys_to_virt(pa));
}

/**
 * luo_kho_reader_init - Prepare a reader of the previous kernel's memory.
 * @r: The reader.
 *
 * Context: Any context.
 */
void luo_kho_reader_init(struct luo_ser_reader *r)
{
	luo_ser_reader_init(r, luo_kho_map, luo_kho_release);
}

/**
 * luo_ser_reader_init - Prepare a reader.
 * @r:       The reader.
 * @map:     See &struct luo_ser_reader.
 * @release: See &struct luo_ser_reader.
 *
 * Context: Any context.
 */
void luo_ser_reader_init(struct luo_ser_reader *r,
			 const void *(*map)(struct luo_ser_reader *r, u64 pa),
			 void (*release)(struct luo_ser_reader *r, u64 pa))
{
	r->map = map;
	r->release = release;
	r->owner = 0;
	xa_init(&r->claimed);
}

/**
 * luo_ser_claim - Take a page of the previous kernel for reading.
 * @r:  The reader; @r->owner says who claims.
 * @pa: The page's physical address.
 *
 * Context: Process context; allocates.
 * Return: The page; ERR_PTR(-EINVAL) if it is not a page the previous
 * kernel preserved, or @r->owner claimed it before (a loop);
 * ERR_PTR(-EADDRINUSE) if another owner claimed it (a page shared across
 * the handover); or ERR_PTR(-ENOMEM).
 */
const void *luo_ser_claim(struct luo_ser_reader *r, u64 pa)
{
	const void *page = r->map(r, pa);
	void *prev;

	if (!page) {
		pr_err("%#llx is not a page the previous kernel preserved\n", pa);
		return ERR_PTR(-EINVAL);
	}
	prev = xa_cmpxchg(&r->claimed, PHYS_PFN(pa), NULL,
			  xa_mk_value(r->owner), GFP_KERNEL);
	if (xa_is_err(prev))
		return ERR_PTR(xa_err(prev));
	if (!prev)
		return page;
	if (xa_to_value(prev) == r->owner) {
		pr_err("page %#llx is used twice in one chain\n", pa);
		return ERR_PTR(-EINVAL);
	}
	pr_err("page %#llx is shared by two parts of the handover\n", pa);
	return ERR_PTR(-EADDRINUSE);
}

/**
 * luo_ser_release_all - Give back every page claimed, after a rebuild.
 * @r: The reader.
 *
 * A page that is no longer the previous kernel's (someone else restored
 * it meanwhile) is left alone.
 *
 * Context: Process context.
 */
void luo_ser_release_all(struct luo_ser_reader *r)
{
	unsigned long pfn;
	void *entry;

	xa_for_each(&r->claimed, pfn, entry) {
		if (r->map(r, PFN_PHYS(pfn)))
			r->release(r, PFN_PHYS(pfn));
		else
			pr_err("page %#llx was taken from LUO\n",
			       (u64)PFN_PHYS(pfn));
	}
	xa_destroy(&r->claimed);
}

/**
 * luo_ser_unclaim_all - Forget the claims of a rebuild that failed.
 * @r: The reader.
 *
 * The pages stay as the previous kernel left them, for another attempt.
 *
 * Context: Any context.
 */
void luo_ser_unclaim_all(struct luo_ser_reader *r)
{
	xa_destroy(&r->claimed);
}

/**
 * luo_ser_string_valid - Check a string from the previous kernel.
 * @s:    The array.
 * @size: Its size.
 *
 * Context: Any context.
 * Return: true if @s is not empty and NUL-terminated within @size.
 */
bool luo_ser_string_valid(const char *s, size_t size)
{
	size_t len = strnlen(s, size);

	return len && len < size;
}

/* One block of a chain, as read once. */
struct luo_chain_block {
	const u8 *entries;
	u64 count;
};

/* Claim every block of a chain and keep what the visit needs. */
static long luo_chain_claim(struct luo_ser_reader *r, u64 head_pa,
			    u64 per_block, struct luo_chain_block **blocksp)
{
	struct luo_chain_block *blocks = NULL, *grown;
	const struct kho_block_header_ser *hdr;
	long n = 0, cap = 0;
	u64 pa;

	for (pa = head_pa; pa; pa = READ_ONCE(hdr->next), n++) {
		if (n == LUO_MAX_BLOCKS) {
			pr_err("chain at %#llx is longer than %d blocks\n",
			       head_pa, LUO_MAX_BLOCKS);
			goto err_inval;
		}
		hdr = luo_ser_claim(r, pa);
		if (IS_ERR(hdr)) {
			kfree(blocks);
			return PTR_ERR(hdr);
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			grown = krealloc_array(blocks, cap, sizeof(*blocks),
					       GFP_KERNEL);
			if (!grown) {
				kfree(blocks);
				return -ENOMEM;
			}
			blocks = grown;
		}
		blocks[n].entries = (const u8 *)(hdr + 1);
		blocks[n].count = READ_ONCE(hdr->count);
		if (!blocks[n].count || blocks[n].count > per_block) {
			pr_err("chain block at %#llx has %llu entries (1..%llu)\n",
			       pa, blocks[n].count, per_block);
			goto err_inval;
		}
	}
	*blocksp = blocks;
	return n;

err_inval:
	kfree(blocks);
	return -EINVAL;
}

/**
 * luo_chain_walk - Claim a block chain of the previous kernel, then visit it.
 * @r:          How to reach the previous kernel's memory.
 * @head_pa:    First block, or 0 for an empty chain.
 * @entry_size: Size of one entry.
 * @fn:         Called for every entry, in order; a non-zero return stops
 *              the walk and is returned.
 * @arg:        Passed to @fn.
 *
 * The whole chain is claimed and checked before @fn sees any entry: every
 * block must be a page the previous kernel preserved that nothing else in
 * the handover uses, hold between one and as many entries as fit, and the
 * chain must end within %LUO_MAX_BLOCKS blocks. Each block's header is
 * read once. The blocks stay claimed until luo_ser_release_all() or
 * luo_ser_unclaim_all().
 *
 * Context: Process context.
 * Return: the number of entries, or a negative errno (-EINVAL for a
 * malformed chain, -EADDRINUSE for a block another chain uses, -ENOMEM,
 * or what @fn returned).
 */
long luo_chain_walk(struct luo_ser_reader *r, u64 head_pa, size_t entry_size,
		    luo_chain_fn fn, void *arg)
{
	u64 per_block = (KHO_BLOCK_SIZE - sizeof(struct kho_block_header_ser)) /
			entry_size;
	struct luo_chain_block *blocks;
	long nblocks, b, total = 0;
	int err = 0;
	u64 i;

	nblocks = luo_chain_claim(r, head_pa, per_block, &blocks);
	if (nblocks <= 0)
		return nblocks;
	for (b = 0; b < nblocks && !err; b++) {
		for (i = 0; i < blocks[b].count && !err; i++)
			err = fn(blocks[b].entries + i * entry_size, arg);
		total += blocks[b].count;
	}
	kfree(blocks);
	return err ? err : total;
}

#ifdef CONFIG_LIVEUPDATE_KUNIT_TEST
#include "tests/luo_ser-kunit.h"
#endif
