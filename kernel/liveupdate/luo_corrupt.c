// SPDX-License-Identifier: GPL-2.0
/*
 * Live Update Orchestrator: a test hook that corrupts the outgoing handover.
 */

/**
 * DOC: LUO corruption test hook
 *
 * Built only with ``CONFIG_LIVEUPDATE_CORRUPT_TEST``, for test kernels and
 * never for production: it breaks live updates on purpose. When the
 * parameter ``luo.corrupt`` names a class (on the kernel command line, or
 * written to ``/sys/module/luo/parameters/corrupt`` before the kexec), the
 * state that liveupdate_reboot() has just written for the next kernel is
 * damaged in that way, and ``liveupdate: corrupt-test: <class>`` is logged.
 * The next kernel must then end as the failure policy in
 * ``Documentation/core-api/liveupdate.rst`` says; the kexec tests check it.
 *
 * Classes that damage one session damage the session named ``victim``;
 * ``shared`` gives it the file chain of the first other session that has
 * files. The parameter may name several such classes, separated by
 * commas, to damage several sessions in one handover: each class then
 * damages the session named ``victim-<class>``. Every page is this
 * kernel's own, reached from the root with phys_to_virt().
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kho/abi/luo.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "luo_internal.h"

static char luo_corrupt_class[128];
module_param_string(corrupt, luo_corrupt_class, sizeof(luo_corrupt_class), 0600);
MODULE_PARM_DESC(corrupt, "Test only: corrupt the outgoing handover this way");

#define LUO_CORRUPT_VICTIM	"victim"

/* The outgoing state, as liveupdate_reboot() left it. */
struct luo_corrupt {
	struct luo_ser *root;
	struct kho_block_header_ser *head;	/* first session block */
	struct kho_block_header_ser *tail;	/* last session block */
	struct luo_session_ser *victim;		/* of the class being applied */
	struct luo_session_ser *other;		/* another session with files */
};

static void *luo_corrupt_va(u64 pa)
{
	return pa ? phys_to_virt(pa) : NULL;
}

/*
 * Find the chain's ends, the session named @victim (the victim of the
 * class about to be applied) and another one that has files. Called again
 * for each class, after the previous one damaged the chain: a class that
 * breaks the chain itself comes alone.
 */
static void luo_corrupt_find(struct luo_corrupt *c, const char *victim)
{
	struct kho_block_header_ser *hdr;
	struct luo_session_ser *s;
	u64 i;

	c->victim = NULL;
	c->other = NULL;
	c->head = luo_corrupt_va(c->root->sessions_pa);
	for (hdr = c->head; hdr; hdr = luo_corrupt_va(hdr->next)) {
		c->tail = hdr;
		s = (struct luo_session_ser *)(hdr + 1);
		for (i = 0; i < hdr->count; i++, s++) {
			if (!strcmp(s->name, victim))
				c->victim = s;
			else if (!c->other && s->file_set_ser.count &&
				 strncmp(s->name, LUO_CORRUPT_VICTIM,
					 strlen(LUO_CORRUPT_VICTIM)))
				c->other = s;
		}
	}
}

/* The last file entry of @s's chain, or NULL. */
static struct luo_file_ser *luo_corrupt_last_file(struct luo_session_ser *s)
{
	struct kho_block_header_ser *hdr, *last = NULL;

	for (hdr = luo_corrupt_va(s->file_set_ser.files); hdr;
	     hdr = luo_corrupt_va(hdr->next))
		last = hdr;
	if (!last || !last->count)
		return NULL;
	return (struct luo_file_ser *)(last + 1) + last->count - 1;
}

/* A page of this kernel that the next one was never told about. */
static u64 luo_corrupt_unpreserved_page(void)
{
	struct kho_block_header_ser *hdr;
	struct page *page;

	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!page)
		return 0;
	/* It looks like a block, so that only its origin gives it away. */
	hdr = page_address(page);
	hdr->count = 1;
	return page_to_phys(page);
}

/* Apply @class; return false if it is unknown or has nothing to damage. */
static bool luo_corrupt_apply(struct luo_corrupt *c, const char *class)
{
	struct luo_flb_header_ser *flbs = luo_corrupt_va(c->root->flbs_pa);
	struct luo_session_ser *v = c->victim;
	struct luo_file_ser *file;
	u64 pa;

	if (sysfs_streq(class, "abi")) {
		strscpy_pad(c->root->compatible, "luo-v4");
	} else if (sysfs_streq(class, "blocks-over") && c->head) {
		c->head->count = 1 + LUO_BLOCK_ENTRIES(struct luo_session_ser);
	} else if (sysfs_streq(class, "blocks-zero") && c->head) {
		c->head->count = 0;
	} else if (sysfs_streq(class, "loop") && c->tail) {
		c->tail->next = c->root->sessions_pa;
	} else if (sysfs_streq(class, "sessions-unpreserved") && c->head) {
		pa = luo_corrupt_unpreserved_page();
		if (!pa)
			return false;
		c->tail->next = pa;
	} else if (sysfs_streq(class, "name") && v) {
		memset(v->name, 'x', sizeof(v->name));
	} else if (sysfs_streq(class, "compat") && v) {
		file = luo_corrupt_last_file(v);
		if (!file)
			return false;
		memset(file->compatible, 'c', sizeof(file->compatible));
	} else if (sysfs_streq(class, "unpreserved") && v) {
		pa = luo_corrupt_unpreserved_page();
		if (!pa)
			return false;
		v->file_set_ser.files = pa;
	} else if (sysfs_streq(class, "unmapped") && v) {
		v->file_set_ser.files = PFN_PHYS(max_pfn) + SZ_1G;
	} else if (sysfs_streq(class, "shared") && v && c->other) {
		v->file_set_ser = c->other->file_set_ser;
	} else if (sysfs_streq(class, "files-on-sessions") && v) {
		v->file_set_ser.files = c->root->sessions_pa;
	} else if (sysfs_streq(class, "files-on-flb") && v && flbs) {
		v->file_set_ser.files = c->root->flbs_pa;
	} else if (sysfs_streq(class, "files-on-root") && v) {
		v->file_set_ser.files = virt_to_phys(c->root);
	} else if (sysfs_streq(class, "flb-on-sessions") && c->head) {
		c->root->flbs_pa = c->root->sessions_pa;
	} else if (sysfs_streq(class, "flb-count") && flbs) {
		flbs->count = (PAGE_SIZE - sizeof(*flbs)) /
			      sizeof(struct luo_flb_ser) + 1;
	} else if (sysfs_streq(class, "file-count") && v) {
		v->file_set_ser.count++;
	} else {
		return false;
	}
	return true;
}

/**
 * luo_corrupt_test - Damage the outgoing handover as ``luo.corrupt`` says.
 * @root: The root this kernel hands over, fully written.
 *
 * Called at the very end of a successful liveupdate_reboot(); does nothing
 * unless the parameter names a class.
 *
 * Context: Process context, luo_state_rwsem held for write.
 */
void luo_corrupt_test(struct luo_ser *root)
{
	char victim[LIVEUPDATE_SESSION_NAME_LENGTH];
	char list[sizeof(luo_corrupt_class)];
	struct luo_corrupt c = { .root = root };
	char *rest = list, *class;
	bool several;

	lockdep_assert_held_write(&luo_state_rwsem);
	strscpy(list, strim(luo_corrupt_class));
	if (!list[0])
		return;
	several = strchr(list, ',');
	while ((class = strsep(&rest, ","))) {
		if (several)
			snprintf(victim, sizeof(victim), "%s-%s",
				 LUO_CORRUPT_VICTIM, class);
		else
			strscpy(victim, LUO_CORRUPT_VICTIM);
		luo_corrupt_find(&c, victim);
		if (luo_corrupt_apply(&c, class))
			pr_warn("corrupt-test: %s\n", class);
		else
			pr_err("corrupt-test: %s: unknown class or nothing to corrupt\n",
			       class);
	}
}
