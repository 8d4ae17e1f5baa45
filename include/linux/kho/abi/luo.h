/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Live Update Orchestrator: the state handed from one kernel to the next.
 */

/**
 * DOC: LUO handover ABI (luo-v5)
 *
 * The outgoing kernel registers one KHO subtree named ``LUO`` whose blob is
 * a &struct luo_ser. Every address in it is a physical address of memory
 * preserved with KHO; zero means "none".
 *
 * Sessions are a chain of KHO serialization blocks (see
 * ``include/linux/kho/abi/block.h``): each page starts with a
 * &struct kho_block_header_ser and holds up to 51 &struct luo_session_ser.
 * Each session points at its own chain of blocks of &struct luo_file_ser
 * (up to 63 per page). A block in a chain is never empty, and a file set's
 * @files is zero exactly when its @count is zero.
 *
 * File-Lifecycle-Bound objects (FLBs) are not part of the session chain:
 * &luo_ser.flbs_pa points at one page, a &struct luo_flb_header_ser followed
 * by at most 63 &struct luo_flb_ser.
 *
 * Every string is NUL-terminated within its array. The next kernel treats
 * all of it as untrusted and checks every address, count and string.
 *
 * The layout is a contract between kernels: any change to it needs a new
 * %LUO_ABI_COMPATIBLE string.
 */
#ifndef _LINUX_KHO_ABI_LUO_H
#define _LINUX_KHO_ABI_LUO_H

#include <linux/align.h>
#include <linux/kho/abi/block.h>
#include <uapi/linux/liveupdate.h>

/* Name of the KHO subtree that carries &struct luo_ser. */
#define LUO_KHO_ENTRY_NAME	"LUO"

/* Version of this layout; the next kernel refuses any other. */
#define LUO_ABI_COMPATIBLE	"luo-v5"
#define LUO_ABI_COMPAT_LEN	ALIGN(sizeof(LUO_ABI_COMPATIBLE), 8)

/**
 * struct luo_ser - Root of the handed-over state.
 * @compatible:     %LUO_ABI_COMPATIBLE, NUL-padded.
 * @liveupdate_num: The number of this live update, counting from 1 since
 *                  the last cold boot.
 * @sessions_pa:    First block of the session chain, or 0 without sessions.
 * @flbs_pa:        The FLB page, or 0.
 */
struct luo_ser {
	char compatible[LUO_ABI_COMPAT_LEN];
	u64 liveupdate_num;
	u64 sessions_pa;
	u64 flbs_pa;
} __packed;

/*
 * A second KHO subtree, ``LUO-phases``, tells the next kernel how the live
 * update went in the kernel that wrote it: a &struct luo_phases_ser in one
 * page. It is not part of %LUO_ABI_COMPATIBLE and has its own version: a
 * kernel that does not know it ignores it, and one that finds another
 * version, a short blob or memory KHO did not preserve ignores it too.
 */
#define LUO_PHASES_KHO_ENTRY_NAME	"LUO-phases"
#define LUO_PHASES_COMPATIBLE		"luo-phases-v1"

/**
 * struct luo_phases_ser - How the live update went in the previous kernel.
 * @compatible:  %LUO_PHASES_COMPATIBLE, NUL-padded.
 * @reboot_ns:   Duration of liveupdate_reboot(): freeze and serialize.
 * @freeze_ns:   The part of it spent in the handlers' freeze.
 * @boot_ns:     CLOCK_BOOTTIME when liveupdate_reboot() returned.
 * @realtime_ns: CLOCK_REALTIME at the same moment.
 * @nr_sessions: Sessions handed over.
 * @nr_files:    Files handed over.
 */
struct luo_phases_ser {
	char compatible[16];
	u64 reboot_ns;
	u64 freeze_ns;
	u64 boot_ns;
	u64 realtime_ns;
	u64 nr_sessions;
	u64 nr_files;
} __packed;

/* Length of a file handler's compatible string, NUL included. */
#define LIVEUPDATE_HNDL_COMPAT_LENGTH	48

/**
 * struct luo_file_ser - One preserved file.
 * @compatible: Compatible string of the handler that preserved it.
 * @data:       The handler's own handle for the file (opaque to LUO).
 * @token:      The token userspace gave the file.
 */
struct luo_file_ser {
	char compatible[LIVEUPDATE_HNDL_COMPAT_LENGTH];
	u64 data;
	u64 token;
} __packed;

/**
 * struct luo_file_set_ser - The files of one session.
 * @files: First block of the session's file chain, or 0 when @count is 0.
 * @count: Number of files in the chain.
 */
struct luo_file_set_ser {
	u64 files;
	u64 count;
} __packed;

/**
 * struct luo_session_ser - One session.
 * @name:         The session's name, NUL-terminated.
 * @file_set_ser: Its files.
 */
struct luo_session_ser {
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	struct luo_file_set_ser file_set_ser;
} __packed;

/* Length of an FLB's compatible string, NUL included. */
#define LIVEUPDATE_FLB_COMPAT_LENGTH	48

/**
 * struct luo_flb_header_ser - Start of the FLB page.
 * @pgcnt: Number of pages of the FLB area (always 1).
 * @count: Number of &struct luo_flb_ser that follow.
 */
struct luo_flb_header_ser {
	u64 pgcnt;
	u64 count;
} __packed;

/**
 * struct luo_flb_ser - One FLB that had users at the live update.
 * @name:  The FLB's compatible string.
 * @data:  The FLB's own handle (opaque to LUO).
 * @count: Number of preserved files that depended on it.
 */
struct luo_flb_ser {
	char name[LIVEUPDATE_FLB_COMPAT_LENGTH];
	u64 data;
	u64 count;
} __packed;

#ifdef CONFIG_LIVEUPDATE_TEST
/*
 * The in-kernel test FLBs (lib/tests/liveupdate.c): test FLB @i hands over
 * the handle LIVEUPDATE_TEST_FLB_HANDLE(@i) under this compatible string.
 * Both are part of the handover: a kernel whose test FLB hands over
 * anything else under the same string fails the other kernel's check.
 */
#define LIVEUPDATE_TEST_FLB_COMPATIBLE(i)	"liveupdate-test-flb-v" #i
#define LIVEUPDATE_TEST_FLB_HANDLE(i)		(0xFEEDF00DCAFEBEE0ULL + (i))
#endif

#endif /* _LINUX_KHO_ABI_LUO_H */
