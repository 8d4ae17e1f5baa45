// SPDX-License-Identifier: GPL-2.0
/*
 * luo_fail_nth - fail every allocation of every LUO call, one at a time.
 *
 * For each call below, the sweep makes the Nth fault-injection point of the
 * call fail (/proc/thread-self/fail-nth: slab and page allocations, with
 * GFP_KERNEL and order-0 pages included, and user copies), for N = 1, 2, ...
 * until the call runs without reaching its Nth point. After every call
 * that failed it checks that the failure changed nothing: the fd count is
 * the same, what existed still works, what the call would have created is
 * not there (the name or token is free, the module holds no new
 * reference), and the same call without a fault then succeeds.
 *
 * Fault injection prints the stack of every fault (verbose=2); the sweep
 * reads them from /dev/kmsg and counts, per call, the innermost function of
 * LUO or of a handler on the stack (its "site"), and whether the call then
 * failed or succeeded, so the report shows which paths the faults reached
 * and what each did with its fault. Every sweep names the sites where a
 * fault must have made the call fail (struct sweep's @needles): a sweep
 * whose faults all land in generic code, or are all swallowed, fails. A
 * fault at a site of LUO or of a handler must make the call fail: a call
 * that succeeds anyway fails its sweep, unless its site is in absorbers[],
 * which says why that site may go on without its allocation. (A fault
 * that printed no stack, a __GFP_NOWARN allocation, cannot be placed; the
 * report counts them apart.)
 *
 * Stage 1: open /dev/liveupdate, create a session, preserve a memfd and a
 * file of the test handler (luo_test_handler.ko, whose FLB is preserved
 * with the first file), get a session's name; then the reboot path: the
 * test handler's freeze fails on demand (module parameter fail_freeze),
 * and kexec -e must be refused with every session unfrozen and usable;
 * then kexec -e with the Nth fault, N = 1, 2, ..., until the kexec goes
 * through. Each refused attempt leaves a session "reboot-N" behind,
 * created after the refusal, which stage 2 checks, and prints the site of
 * its fault; the harness (scripts/results.sh, reboot_sweep_results)
 * requires a refusal at each site the line "# reboot sweep sites:" names.
 *
 * Stage 2: retrieve a session (closing a retrieved session finishes it, so
 * every attempt takes a session of its own, "ret-N"), retrieve memfds and test files (a file
 * whose retrieve failed in its handler stays failed: the call must then
 * fail again with the same errno), get a name, finish sessions.
 *
 * With --rebuild, stage 1 only sets up the sessions and kexecs, and stage 2
 * sweeps the first open of /dev/liveupdate, which rebuilds the incoming
 * sessions: an open that failed must leave every session to the next one.
 *
 * Usage: luo_fail_nth --stage 1|2 [--rebuild]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>
#include <linux/reboot.h>

#include "luo_test_utils.h"

/* Highest N tried for one call: far more points than any LUO call has. */
#define SWEEP_MAX	400
#define SWEEP_PASSES	3

/* Files preserved for the sweeps of stage 2; each sweep step uses one up. */
#define POOL_MEMFDS	160
#define POOL_TESTS	64
#define POOL_FIN	24
#define POOL_RET	40

/*
 * The sweep of the rebuild fails every allocation of the rebuild in turn,
 * and each failed open redoes the rebuild up to its fault: its cost grows
 * with the square of the files handed over. It gets small pools (still
 * every kind of session and file), the other sweeps the full ones.
 */
static bool small_pools;
#define NR_MEMFDS	(small_pools ? 2 : POOL_MEMFDS)
#define NR_TESTS	(small_pools ? 2 : POOL_TESTS)
#define NR_FIN		(small_pools ? 3 : POOL_FIN)
#define NR_RET		(small_pools ? 1 : POOL_RET)
#define KEEP_PAGES	3

#define DEBUGFS		"/sys/kernel/debug"
#define HANDLER_PARAM	"/sys/module/" LUO_HANDLER_MOD "/parameters/fail_freeze"

static int dev = -1;
static int nth_fd = -1;
static int kmsg_fd = -1;

/* ---- fault injection ---- */

/*
 * Fail nothing at random (probability 0) and only in a marked task:
 * fail-nth alone decides. Print every injected fault with its stack, and
 * do not rate-limit those prints, or the counts would miss faults.
 */
static int fault_setup(bool cache_filter)
{
	static const char * const attrs[] = {
		"failslab", "fail_page_alloc", "fail_usercopy",
	};
	static const char * const knobs[][2] = {
		{ "probability", "0" }, { "interval", "1" }, { "times", "-1" },
		{ "space", "0" }, { "verbose", "2" }, { "task-filter", "Y" },
		{ "verbose_ratelimit_interval_ms", "0" },
	};
	static const char * const extra[][2] = {
		{ "failslab/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "fail_page_alloc/min-order", "0" },
	};
	char path[128];
	size_t i, j;
	int err;

	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		for (j = 0; j < ARRAY_SIZE(knobs); j++) {
			snprintf(path, sizeof(path), DEBUGFS "/%s/%s",
				 attrs[i], knobs[j][0]);
			err = luo_write_file(path, knobs[j][1]);
			if (err) {
				tap_note("%s: %s", path, strerror(-err));
				return err;
			}
		}
	}
	for (i = 0; i < ARRAY_SIZE(extra); i++) {
		snprintf(path, sizeof(path), DEBUGFS "/%s", extra[i][0]);
		err = luo_write_file(path, extra[i][1]);
		if (err) {
			tap_note("%s: %s", path, strerror(-err));
			return err;
		}
	}
	if (cache_filter) {
		err = luo_write_file(DEBUGFS "/failslab/cache-filter", "Y");
		/*
		 * No page allocation either: KASAN's and kmemleak's records
		 * of every allocation get pages silently (__GFP_NOWARN) and
		 * go on without them, which would end the sweep as well.
		 * The rebuild itself allocates from the slab only.
		 */
		err = err ?: luo_write_file(DEBUGFS "/fail_page_alloc/min-order", "11");
		if (err)
			return err;
	}
	err = luo_write_file("/proc/thread-self/make-it-fail", "1");
	if (err)
		return err;
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nth_fd < 0)
		return -errno;
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd < 0)
		return -errno;
	lseek(kmsg_fd, 0, SEEK_END);
	return 0;
}

/* Make the @n-th fault-injection point of this thread from now on fail. */
static void nth_arm(int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (pwrite(nth_fd, buf, len, 0) != len) {
		printf("Bail out! cannot write fail-nth: %s\n", strerror(errno));
		exit(1);
	}
}

/*
 * Disarm, and tell whether the fault was injected: the counter is at 0
 * once it fired. Reading and writing fail-nth copy from and to userspace,
 * which are fault-injection points themselves: a read that fails with
 * -EFAULT found the counter at 1, so the call did not reach its Nth point.
 */
static bool nth_disarm(void)
{
	char buf[16] = "";
	bool injected;
	ssize_t n;

	n = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	injected = n > 0 && buf[0] == '0';
	if (pwrite(nth_fd, "0", 1, 0) != 1 && pwrite(nth_fd, "0", 1, 0) != 1) {
		printf("Bail out! cannot clear fail-nth: %s\n", strerror(errno));
		exit(1);
	}
	return injected;
}

/* ---- where the faults landed ---- */

static int sweep_errors;
static __printf(2, 3) void sweep_bad(int *bad, const char *fmt, ...);

struct site {
	char call[24];
	char where[160];
	int count;	/* faults injected here */
	int failed;	/* ... after which the call failed */
};

static struct site sites[512];
static int nr_sites;
static int total_faults;
static int total_calls;

static void site_count(const char *call, const char *where, bool failed)
{
	int i;

	for (i = 0; i < nr_sites; i++)
		if (!strcmp(sites[i].call, call) && !strcmp(sites[i].where, where))
			break;
	if (i == nr_sites) {
		if (nr_sites == (int)ARRAY_SIZE(sites))
			return;
		snprintf(sites[i].call, sizeof(sites[i].call), "%s", call);
		snprintf(sites[i].where, sizeof(sites[i].where), "%s", where);
		nr_sites++;
	}
	sites[i].count++;
	sites[i].failed += failed;
}

static bool is_luo_symbol(const char *sym)
{
	return !strncmp(sym, "luo_", 4) || !strncmp(sym, "liveupdate_", 11) ||
	       !strncmp(sym, "memfd_luo_", 10);
}

/* The site of the last fault kmsg_collect() read. */
static char last_where[160];

/*
 * Read the kernel log that appeared since the last call, and count each
 * injected fault's stack under @call (NULL: just skip the log), as one
 * after which the call failed if @failed. The place is the innermost frame
 * of LUO or of a handler, with the innermost KHO frame below it if there
 * is one.
 */
static int kmsg_collect(const char *call, bool failed)
{
	static char luo[64], kho[64];
	static bool in_dump;
	char rec[2048], where[160], sym[64];
	int dumps = 0;
	ssize_t n;

	for (;;) {
		char *msg, *p;

		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten */
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		p = strchr(msg, '\n');
		if (p)
			*p = '\0';
		if (strstr(msg, "FAULT_INJECTION: forcing a failure")) {
			in_dump = true;
			luo[0] = '\0';
			kho[0] = '\0';
			continue;
		}
		if (!in_dump)
			continue;
		if (strstr(msg, "</TASK>")) {
			in_dump = false;
			if (!call)
				continue;
			dumps++;
			if (!luo[0])
				snprintf(where, sizeof(where), "(not in LUO)");
			else if (kho[0])
				snprintf(where, sizeof(where), "%s>%s", luo, kho);
			else
				snprintf(where, sizeof(where), "%s", luo);
			site_count(call, where, failed);
			snprintf(last_where, sizeof(last_where), "%s", where);
			continue;
		}
		p = msg;
		while (*p == ' ' || *p == '?')
			p++;
		if (sscanf(p, "%63[A-Za-z0-9_.]+0x", sym) != 1 || luo[0])
			continue;
		if (is_luo_symbol(sym))
			snprintf(luo, sizeof(luo), "%s", sym);
		else if (!strncmp(sym, "kho_", 4) && !kho[0])
			snprintf(kho, sizeof(kho), "%s", sym);
	}
	return dumps;
}

/* How many injected faults of @call landed in LUO or a handler and failed it. */
static int sites_in_luo(const char *call)
{
	int i, n = 0;

	for (i = 0; i < nr_sites; i++)
		if (!strcmp(sites[i].call, call) && sites[i].where[0] != '(')
			n += sites[i].failed;
	return n;
}

/* Faults of @call whose place contains @needle and that made it fail. */
static int sites_matching(const char *call, const char *needle)
{
	int i, n = 0;

	for (i = 0; i < nr_sites; i++)
		if (!strcmp(sites[i].call, call) &&
		    strstr(sites[i].where, needle))
			n += sites[i].failed;
	return n;
}

/*
 * A sweep whose faults all landed in generic code (the ioctl's copy-in, the
 * fd table) proves nothing about LUO's unwinding, and neither does a fault
 * that LUO swallowed: require that faults of @call made it fail at each of
 * the sites in @needles (a place contains the needle: "f" is a fault in f,
 * ">kho_block_add" one in the growth of a block chain, "(not in LUO)" one
 * outside LUO and its handlers).
 */
static bool sites_reached(const char *call, const char *const *needles)
{
	int i;

	for (i = 0; needles[i]; i++)
		if (!sites_matching(call, needles[i]))
			return false;
	return true;
}

static void require_sites(const char *call, const char *const *needles)
{
	char got[256] = "";
	size_t len = 0;
	int i;

	for (i = 0; needles[i]; i++)
		len += snprintf(got + len, len < sizeof(got) ? sizeof(got) - len : 0,
				"%s%s %d", i ? ", " : "", needles[i],
				sites_matching(call, needles[i]));
	tap_ok(sites_reached(call, needles),
	       "sweep %s made the call fail at each site named: %s", call, got);
}

/* The needles of @needles and how many failed calls each reached, in @got. */
static void sites_got(const char *call, const char *const *needles,
		      char *got, size_t size)
{
	size_t len = 0;
	int i;

	got[0] = '\0';
	for (i = 0; needles && needles[i]; i++)
		len += snprintf(got + len, len < size ? size - len : 0,
				"%s%s %d", i ? ", " : "", needles[i],
				sites_matching(call, needles[i]));
}

/*
 * The sites of LUO or of a handler where a fault may leave the call
 * succeeding, and why. Anything else that succeeds with a fault injected
 * at a site of LUO swallowed an error.
 */
struct absorber {
	const char *call;	/* a sweep's name */
	const char *where;	/* a place that contains this */
	const char *why;
};

/*
 * memfd_luo_finish: a handler's finish returns nothing (struct
 * liveupdate_file_ops): memfd's (mm/memfd_luo.c), for a memfd never
 * retrieved, cannot read its folio list back (kho_restore_vmalloc()) and
 * leaves those folios unfreed, and FINISH finishes all the same.
 */
#define MEMFD_FINISH_WHY \
	"a handler's finish returns nothing: memfd's leaves the folios of a memfd never retrieved unfreed when it cannot read their list back, and FINISH finishes all the same"

static const struct absorber absorbers[] = {
	{ "finish", "memfd_luo_finish", MEMFD_FINISH_WHY },
	{ NULL, NULL, NULL }
};

static const struct absorber *absorber_of(const char *call, const char *where)
{
	const struct absorber *a;

	for (a = absorbers; a->call; a++)
		if (!strcmp(a->call, call) && strstr(where, a->where))
			return a;
	return NULL;
}

/*
 * Faults of @call that the call absorbed (it succeeded): at a site of
 * LUO or a handler, each must be listed in absorbers[]; returns the
 * number of faults absorbed there without a reason, and counts the rest
 * in @nostack (no stack), @outside (not in LUO) and @listed.
 */
static int absorbed_unlisted(const char *call, int *nostack, int *outside,
			     int *listed)
{
	const struct absorber *a;
	int i, n, bad = 0;

	*nostack = *outside = *listed = 0;
	for (i = 0; i < nr_sites; i++) {
		if (strcmp(sites[i].call, call))
			continue;
		n = sites[i].count - sites[i].failed;
		if (!n)
			continue;
		if (!strncmp(sites[i].where, "(no stack", 9)) {
			*nostack += n;
			continue;
		}
		if (sites[i].where[0] == '(') {
			*outside += n;
			continue;
		}
		a = absorber_of(call, sites[i].where);
		if (a) {
			*listed += n;
			tap_note("%s: %d faults at %s absorbed, as listed: %s",
				 call, n, sites[i].where, a->why);
			continue;
		}
		bad += n;
		sweep_bad(&sweep_errors,
			  "%s: %d faults at %s and the call succeeded anyway (an error swallowed?)",
			  call, n, sites[i].where);
	}
	return bad;
}

static void print_sites(void)
{
	int i;

	tap_note("where the injected faults landed: call, innermost frame of LUO or a handler");
	tap_note("(with the innermost KHO frame below it after '>'), faults, calls failed");
	for (i = 0; i < nr_sites; i++)
		tap_note("  %-18s %-52s %4d %4d", sites[i].call, sites[i].where,
			 sites[i].count, sites[i].failed);
}

/* ---- the sweep ---- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory itself */
}

/*
 * One call under test. @call returns >= 0 on success or -errno, @done is
 * run after a success (to put the state back, or to move on to a fresh
 * object), @check after a failure with the errno: it checks that nothing
 * changed and that the same call then succeeds, writing what was wrong to
 * @why. @prepare and @snap (optional) run before each try, unfaulted.
 * A failed call must fail with -ENOMEM or -EFAULT, unless @handler_errno:
 * then @check judges the errno, because handlers have their own.
 * @needles name the sites where a fault must have made the call fail
 * (see sites_reached()).
 */
struct sweep {
	const char *name;
	int (*prepare)(void);
	void (*snap)(void);
	int (*call)(void);
	void (*done)(int ret);
	bool (*check)(int err, char *why);
	bool handler_errno;
	const char *const *needles;
};

static __printf(2, 3) void sweep_bad(int *bad, const char *fmt, ...)
{
	va_list ap;

	if (++*bad > 5)
		return;		/* the first few are enough */
	va_start(ap, fmt);
	tap_vnote(fmt, ap);
	va_end(ap);
}

static const struct sweep *cur_sweep;
/* What went wrong in the current sweep (sweep_errors), @done and @check included. */

/* Faults, failed calls and absorbed faults of a sweep, over its passes. */
struct sweep_count {
	int faults, failed, survived;
};

/* One pass: N = 1, 2, ... until a call runs without reaching its fault. */
static void sweep_pass(const struct sweep *s, struct sweep_count *c)
{
	int n, ret, fds, dumps;
	bool clean = false, injected;
	char why[256];

	for (n = 1; n <= SWEEP_MAX; n++) {
		if (s->prepare && s->prepare()) {
			sweep_bad(&sweep_errors, "%s N=%d: cannot prepare", s->name, n);
			break;
		}
		if (s->snap)
			s->snap();
		fds = count_fds();
		kmsg_collect(NULL, false);
		nth_arm(n);
		ret = s->call();
		injected = nth_disarm();
		/*
		 * A call that did not reach its fault leaves fail-nth at 1:
		 * the read of nth_disarm() takes the fault, not the call.
		 */
		dumps = kmsg_collect(injected ? s->name : NULL, ret < 0);
		total_calls++;
		if (!injected) {
			if (ret < 0)
				sweep_bad(&sweep_errors, "%s failed without a fault: %s",
					  s->name, strerror(-ret));
			else
				s->done(ret);
			clean = true;
			break;
		}
		c->faults++;
		total_faults++;
		if (!dumps)
			site_count(s->name, "(no stack: a __GFP_NOWARN allocation)",
				   ret < 0);
		if (ret >= 0) {
			c->survived++;
			s->done(ret);
			continue;
		}
		c->failed++;
		if (ret != -ENOMEM && ret != -EFAULT && !s->handler_errno)
			sweep_bad(&sweep_errors, "%s N=%d: failed with %s, not ENOMEM or EFAULT",
				  s->name, n, strerror(-ret));
		if (count_fds() != fds)
			sweep_bad(&sweep_errors, "%s N=%d: %d fds before, %d after the failed call",
				  s->name, n, fds, count_fds());
		why[0] = '\0';
		if (!s->check(ret, why))
			sweep_bad(&sweep_errors, "%s N=%d (%s): %s", s->name, n,
				  strerror(-ret), why);
	}
	if (!clean)
		sweep_bad(&sweep_errors, "%s: no clean call within %d tries", s->name,
			  SWEEP_MAX);
}

static bool sites_reached(const char *call, const char *const *needles);

/*
 * Sweep @s. The Nth allocation of a call is not always the same one: the
 * debug kernel's own bookkeeping (KASAN's stack depot, kmemleak) allocates
 * now and then in the same task, so a pass can step over a site. The sweep
 * runs again, up to SWEEP_PASSES times, until a fault made the call fail
 * at every site of @needles. It passes if nothing went wrong, every site
 * was reached, and no fault at a site of LUO or a handler was absorbed
 * but those absorbers[] lists.
 */
static bool run_sweep(const struct sweep *s)
{
	struct sweep_count c = { 0 };
	int pass = 0, nostack, outside, listed, bad;
	char got[256];

	cur_sweep = s;
	sweep_errors = 0;
	do {
		sweep_pass(s, &c);
		pass++;
	} while (!sweep_errors && pass < SWEEP_PASSES &&
		 !sites_reached(s->name, s->needles));
	bad = absorbed_unlisted(s->name, &nostack, &outside, &listed);
	sites_got(s->name, s->needles, got, sizeof(got));
	return tap_ok(!sweep_errors && c.faults > 0 &&
		      sites_reached(s->name, s->needles),
		      "sweep %s: %d faults injected, %d calls failed and changed nothing, %d succeeded anyway (%d without a stack, %d outside LUO, %d where listed, %d elsewhere in LUO)%s; failed at the sites named: %s",
		      s->name, c.faults, c.failed, c.survived, nostack, outside,
		      listed, bad, pass > 1 ? " (in more than one pass)" : "", got);
}

/* ---- shared state and checks ---- */

static int keep = -1;			/* the session "keep" */
static int sweep_session = -1;		/* a session the current sweep uses */
static int sweep_file = -1;		/* a file the current sweep preserves */
static uint64_t sweep_token = 1000;
static long long snap_refcnt, snap_flb, snap_preserve;

static const char *file_kind = "memfd";	/* "memfd" or "test" */

static int make_file(uint64_t token)
{
	if (!strcmp(file_kind, "test"))
		return luo_ftype_open(token * 7);
	return luo_make_memfd("sweep", 0, 4096, token, 0);
}

/* Something that existed before the call still works. */
static bool keep_works(char *why)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int err = luo_get_name(keep, name);

	if (err || strcmp(name, "keep")) {
		snprintf(why, 256, "session keep: get name %s '%s'",
			 strerror(-err), err ? "" : name);
		return false;
	}
	return true;
}

/* open /dev/liveupdate */

static int call_open(void)
{
	return luo_open_device();
}

static void done_close(int fd)
{
	close(fd);
}

static bool check_open(int err, char *why)
{
	int fd = luo_open_device();

	(void)err;
	if (fd < 0) {
		snprintf(why, 256, "the next open failed: %s", strerror(-fd));
		return false;
	}
	close(fd);
	return true;
}

/* create a session */

static int call_create(void)
{
	return luo_create_session(dev, "sweep-create");
}

static bool check_create(int err, char *why)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int fd = luo_create_session(dev, "sweep-create");

	if (fd < 0) {
		snprintf(why, 256, "the name is not free again: create %s",
			 strerror(-fd));
		return false;
	}
	err = luo_get_name(fd, name);
	close(fd);
	if (err || strcmp(name, "sweep-create")) {
		snprintf(why, 256, "the new session has no name: %s",
			 strerror(-err));
		return false;
	}
	return keep < 0 || keep_works(why);
}

/* preserve the first file of a session (its chain and FLBs start) */

static int prepare_preserve(void)
{
	if (sweep_session < 0) {
		sweep_session = luo_create_session(dev, "sweep-preserve");
		if (sweep_session < 0)
			return sweep_session;
	}
	if (sweep_file < 0) {
		sweep_file = make_file(++sweep_token);
		if (sweep_file < 0)
			return sweep_file;
	}
	return 0;
}

static void snap_handler(void)
{
	snap_refcnt = luo_module_refcnt(LUO_HANDLER_MOD);
	snap_flb = luo_test_stat("flb_preserve") - luo_test_stat("flb_unpreserve");
	snap_preserve = luo_test_stat("preserve") - luo_test_stat("unpreserve");
}

static int call_preserve(void)
{
	return luo_preserve_fd(sweep_session, sweep_file, sweep_token);
}

/* Closing the session unpreserves the file and ends the FLB's use. */
static void done_preserve_first(int ret)
{
	(void)ret;
	close(sweep_session);
	close(sweep_file);
	sweep_session = -1;
	sweep_file = -1;
}

static bool handler_unchanged(char *why)
{
	long long refcnt = luo_module_refcnt(LUO_HANDLER_MOD);
	long long flb = luo_test_stat("flb_preserve") - luo_test_stat("flb_unpreserve");
	long long pres = luo_test_stat("preserve") - luo_test_stat("unpreserve");

	if (refcnt != snap_refcnt || flb != snap_flb || pres != snap_preserve) {
		snprintf(why, 256,
			 "left behind: module refcnt %lld->%lld, FLBs preserved %lld->%lld, files preserved %lld->%lld",
			 snap_refcnt, refcnt, snap_flb, flb, snap_preserve, pres);
		return false;
	}
	return true;
}

static bool check_preserve(int err, char *why)
{
	if (!handler_unchanged(why))
		return false;
	err = luo_preserve_fd(sweep_session, sweep_file, sweep_token);
	if (err) {
		snprintf(why, 256, "the same preserve then failed: %s (token or file not free)",
			 strerror(-err));
		return false;
	}
	cur_sweep->done(0);
	return keep < 0 || keep_works(why);
}

/* preserve one more file in the session "keep" */

static int prepare_preserve_keep(void)
{
	if (sweep_file < 0) {
		sweep_file = make_file(++sweep_token);
		if (sweep_file < 0)
			return sweep_file;
	}
	sweep_session = keep;
	return 0;
}

static void done_preserve_keep(int ret)
{
	(void)ret;
	close(sweep_file);
	sweep_file = -1;
}

/* get a session's name */

static char got_name[LIVEUPDATE_SESSION_NAME_LENGTH];

static int call_get_name(void)
{
	return luo_get_name(keep, got_name);
}

static void done_get_name(int ret)
{
	(void)ret;
}

static bool check_get_name(int err, char *why)
{
	(void)err;
	return keep_works(why);
}

/* ---- stage 1 ---- */

static int session_fds[POOL_FIN + 8];
static int ret_fds[POOL_RET];

static int preserve_new(int session, const char *kind, uint64_t token)
{
	int fd, err;

	if (!strcmp(kind, "test"))
		fd = luo_ftype_open(token * 7);
	else
		fd = luo_make_memfd(kind, 0, 4096, token, 0);
	if (fd < 0)
		return fd;
	err = luo_preserve_fd(session, fd, token);
	close(fd);
	return err;
}

/* The sessions stage 2 sweeps; every file's content follows from its token. */
static bool setup_pools(void)
{
	int pm, pt, fd, i, err = 0;
	char name[32];

	keep = luo_create_session(dev, "keep");
	pm = luo_create_session(dev, "pool-memfd");
	pt = luo_create_session(dev, "pool-test");
	if (keep < 0 || pm < 0 || pt < 0)
		return false;
	fd = luo_make_memfd("keep", 0, KEEP_PAGES * 4096, 1, 123);
	err = fd < 0 ? fd : luo_preserve_fd(keep, fd, 1);
	err = err ?: preserve_new(keep, "test", 2);
	for (i = 1; i <= NR_MEMFDS && !err; i++)
		err = preserve_new(pm, "memfd", i);
	for (i = 1; i <= NR_TESTS && !err; i++)
		err = preserve_new(pt, "test", i);
	for (i = 0; i < NR_FIN && !err; i++) {
		snprintf(name, sizeof(name), "fin-%d", i);
		session_fds[i] = luo_create_session(dev, name);
		err = session_fds[i] < 0 ? session_fds[i] : 0;
		err = err ?: preserve_new(session_fds[i], "memfd", 1);
		err = err ?: preserve_new(session_fds[i], "test", 2);
	}
	for (i = 0; i < NR_RET && !err; i++) {
		snprintf(name, sizeof(name), "ret-%d", i);
		ret_fds[i] = luo_create_session(dev, name);
		err = ret_fds[i] < 0 ? ret_fds[i] : 0;
		err = err ?: preserve_new(ret_fds[i], "memfd", 1);
	}
	if (err)
		tap_note("setting up the pools: %s", strerror(-err));
	return !err;
}

/* Everything that a refused live update must leave usable. */
static bool usable_after_refusal(char *why)
{
	int fd, err;

	if (!keep_works(why))
		return false;
	err = preserve_new(keep, "memfd", ++sweep_token);
	err = err ?: preserve_new(keep, "test", ++sweep_token);
	if (err) {
		snprintf(why, 256, "cannot preserve into keep: %s", strerror(-err));
		return false;
	}
	fd = luo_create_session(dev, "after-refusal");
	if (fd < 0) {
		snprintf(why, 256, "cannot create a session: %s", strerror(-fd));
		return false;
	}
	err = preserve_new(fd, "memfd", 1);
	close(fd);
	if (err) {
		snprintf(why, 256, "cannot preserve into a new session: %s",
			 strerror(-err));
		return false;
	}
	return true;
}

/* kexec -e with the test handler's @nth freeze from now failing. */
static bool freeze_fails(int nth)
{
	long long fr = luo_test_stat("freeze"), un = luo_test_stat("unfreeze");
	long long failed = luo_test_stat("freeze_failed");
	char param[16], why[256] = "";
	int ret;

	snprintf(param, sizeof(param), "%d", nth);
	if (luo_write_file(HANDLER_PARAM, param))
		return tap_ok(false, "set %s", HANDLER_PARAM);
	sync();
	ret = reboot(LINUX_REBOOT_CMD_KEXEC) ? -errno : 0;
	luo_write_file(HANDLER_PARAM, "0");
	fr = luo_test_stat("freeze") - fr;
	un = luo_test_stat("unfreeze") - un;
	failed = luo_test_stat("freeze_failed") - failed;
	return tap_ok(ret == -EIO && failed == 1 && fr == nth - 1 && un == fr &&
		      usable_after_refusal(why),
		      "kexec -e with freeze %d failing: refused (%s), %lld froze, %lld unfroze, sessions usable %s",
		      nth, strerror(-ret), fr, un, why);
}

/*
 * The sites where each sweep's faults must make the call fail (see
 * sites_reached()). Open and get-name allocate nothing of LUO's: their
 * faults are the VFS's and the copies of the ioctl's arguments. Neither
 * does finish past the copy of its arguments (luo_ioctl): its handlers'
 * finish cannot fail (see absorbers[]).
 */
static const char *const open_sites[] = { "(not in LUO)", NULL };

static const char *const create_sites[] = {
	"luo_session_alloc", "luo_session_open", NULL
};

static const char *const preserve_1st_memfd_sites[] = {
	"luo_file_set_new", "luo_file_preserve", "luo_file_preserve>kho_block_add",
	"memfd_luo_preserve", NULL
};

static const char *const preserve_1st_test_sites[] = {
	"luo_file_set_new", "luo_file_preserve>kho_block_add",
	"luo_test_flb_preserve", NULL
};

static const char *const preserve_memfd_sites[] = {
	"luo_file_preserve", "memfd_luo_preserve", NULL
};

static const char *const preserve_test_sites[] = { "luo_file_preserve", NULL };

static const char *const get_name_sites[] = { "luo_ucmd_respond", NULL };

static const char *const reboot_sites[] = {
	"luo_session_serialize>kho_alloc_preserve",
	"luo_session_serialize>kho_block_add", NULL
};

static const char *const retrieve_sites[] = { "luo_session_open", NULL };
static const char *const retrieve_memfd_sites[] = { "memfd_luo_retrieve", NULL };
static const char *const retrieve_test_sites[] = { "luo_test_ftype_new_file", NULL };
static const char *const finish_sites[] = { "luo_ioctl", NULL };

/*
 * kexec -e with the Nth fault, until the kexec goes through. A refused
 * kexec must leave everything usable; the session "reboot-N" created
 * after it tells stage 2 how many were refused.
 */
static void reboot_sweep(void)
{
	char why[256], name[32];
	bool injected;
	int n, ret, fd, i;

	printf("# reboot sweep sites:");
	for (i = 0; reboot_sites[i]; i++)
		printf(" %s", reboot_sites[i]);
	printf("\n");
	for (n = 1; n <= SWEEP_MAX; n++) {
		printf("# kexec -e with fault N=%d\n", n);
		fflush(stdout);
		sync();
		kmsg_collect(NULL, false);
		nth_arm(n);
		ret = reboot(LINUX_REBOOT_CMD_KEXEC) ? -errno : 0;
		injected = nth_disarm();
		strcpy(last_where, "(no stack: a __GFP_NOWARN allocation)");
		if (!kmsg_collect("reboot", true))
			site_count("reboot", last_where, true);
		/* The harness reads this line (reboot_sweep_results). */
		if (injected)
			printf("# kexec -e with fault N=%d refused (%s), fault at %s\n",
			       n, strerror(-ret), last_where);
		why[0] = '\0';
		if (!injected || !usable_after_refusal(why)) {
			tap_ok(false, "kexec -e with fault N=%d: refused (%s), %s",
			       n, strerror(-ret),
			       injected ? why : "without any fault injected");
			break;
		}
		/* Its one memfd's token is the errno of the refusal. */
		snprintf(name, sizeof(name), "reboot-%d", n);
		fd = luo_create_session(dev, name);
		if (fd < 0 || preserve_new(fd, "memfd", -ret)) {
			tap_ok(false, "kexec -e with fault N=%d: cannot record it", n);
			break;
		}
	}
	print_sites();
	printf("Bail out! the kexec did not happen\n");
	exit(1);
}

/*
 * Every slab allocation is followed by one of kmemleak's own, for its
 * metadata, which fails silently (it falls back to a pool). Such a fault
 * lets the open go on, and the rebuild, which runs once, then runs without
 * one: the sweep of the rebuild would end before reaching it. So the next
 * kernel marks every cache but kmemleak's for failslab, and the sweep of
 * the rebuild fails only allocations of marked caches (cache-filter).
 * The same goes for XArray nodes: xa_store() first tries a silent
 * GFP_NOWAIT allocation and, if that fails, retries with the caller's
 * flags, so a fault there is absorbed and ends the sweep too; the node
 * cache is left out as well (an -ENOMEM of the claim of a page takes the
 * same way out of the rebuild as any other allocation of it).
 */
#define REBUILD_CMDLINE	"slab_debug=A;-,kmemleak_object,kmemleak_scan_area,radix_tree_node"

/* Load the next kernel again, as the guest init did, with REBUILD_CMDLINE. */
static int reload_kexec(void)
{
	char cmdline[2048], cmd[4096], next[64] = "ours", *p;
	FILE *f = fopen("/proc/cmdline", "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(cmdline, 1, sizeof(cmdline) - 1, f);
	fclose(f);
	cmdline[n] = '\0';
	p = strchr(cmdline, '\n');
	if (p)
		*p = '\0';
	p = strstr(cmdline, "luonext=");
	if (p)
		sscanf(p + 8, "%63[^ ]", next);
	snprintf(cmd, sizeof(cmd),
		 "kexec -s -l /boot/%s.bzImage --initrd=/tmp/next.cpio --command-line='%s luostage=2 %s'",
		 next, cmdline, REBUILD_CMDLINE);
	return system(cmd) ? -EIO : 0;
}

static int stage1(bool rebuild_only)
{
	struct sweep s_open = {
		.name = "open",
		.call = call_open,
		.done = done_close,
		.check = check_open,
		.needles = open_sites,
	};
	struct sweep s_create = {
		.name = "create",
		.call = call_create,
		.done = done_close,
		.check = check_create,
		.needles = create_sites,
	};
	struct sweep s_preserve_memfd = {
		.name = "preserve-memfd-1st",
		.prepare = prepare_preserve,
		.snap = snap_handler,
		.call = call_preserve,
		.done = done_preserve_first,
		.check = check_preserve,
		.needles = preserve_1st_memfd_sites,
	};
	struct sweep s_preserve_test = {
		.name = "preserve-test-1st",
		.prepare = prepare_preserve,
		.snap = snap_handler,
		.call = call_preserve,
		.done = done_preserve_first,
		.check = check_preserve,
		.needles = preserve_1st_test_sites,
	};
	struct sweep s_keep_memfd = {
		.name = "preserve-memfd",
		.prepare = prepare_preserve_keep,
		.snap = snap_handler,
		.call = call_preserve,
		.done = done_preserve_keep,
		.check = check_preserve,
		.needles = preserve_memfd_sites,
	};
	struct sweep s_keep_test = {
		.name = "preserve-test",
		.prepare = prepare_preserve_keep,
		.snap = snap_handler,
		.call = call_preserve,
		.done = done_preserve_keep,
		.check = check_preserve,
		.needles = preserve_test_sites,
	};
	struct sweep s_name = {
		.name = "get-name",
		.call = call_get_name,
		.done = done_get_name,
		.check = check_get_name,
		.needles = get_name_sites,
	};

	tap_plan(rebuild_only ? 5 : 16);
	tap_ok(!luo_insmod(LUO_FTYPE_MOD, "") &&
	       !luo_insmod(LUO_HANDLER_MOD, "cookie=7"),
	       "insmod %s %s", LUO_FTYPE_MOD, LUO_HANDLER_MOD);
	if (!tap_ok(!fault_setup(false), "fault injection set up (fail-nth, verbose stacks)"))
		return 1;
	if (rebuild_only) {
		small_pools = true;
		dev = luo_open_device();
		tap_ok(dev >= 0, "open %s", LUO_DEVICE);
		tap_ok(setup_pools(), "sessions keep, pool-memfd, pool-test, fin-0..%d, ret-0..%d",
		       NR_FIN - 1, NR_RET - 1);
		tap_ok(!reload_kexec(), "kexec image reloaded: %s", REBUILD_CMDLINE);
		luo_kexec();
	}

	run_sweep(&s_open);
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s", LUO_DEVICE))
		return 1;
	run_sweep(&s_create);
	run_sweep(&s_preserve_memfd);
	file_kind = "test";
	run_sweep(&s_preserve_test);
	file_kind = "memfd";
	if (!tap_ok(setup_pools(), "sessions keep, pool-memfd, pool-test, fin-0..%d, ret-0..%d",
		    NR_FIN - 1, NR_RET - 1))
		return 1;
	run_sweep(&s_keep_memfd);
	file_kind = "test";
	run_sweep(&s_keep_test);
	file_kind = "memfd";
	run_sweep(&s_name);

	snap_handler();
	tap_ok(snap_refcnt == snap_preserve + 1 && snap_flb == 1,
	       "%s is pinned once per preserved test file (%lld) and once for its FLB (%lld)",
	       LUO_HANDLER_MOD, snap_preserve, snap_refcnt);
	freeze_fails(1);
	freeze_fails(POOL_TESTS / 2);
	freeze_fails(POOL_TESTS + POOL_FIN);
	tap_ok(total_faults > 0, "%d calls swept, %d faults injected in stage 1",
	       total_calls, total_faults);
	print_sites();
	luo_kmemleak_scan("before the reboot sweep");
	reboot_sweep();
	return 1;
}

/* ---- stage 2 ---- */

static int cur_session = -1;
static int cur_token;
static int cur_max;
static int remembered;
static int handler_errors[256];	/* by errno, of failed handler retrieves */

/*
 * retrieve a session: closing a retrieved session finishes it, so every
 * attempt takes the next session of the pool "ret-N"
 */

static int ret_index;
static int ret_wrong;		/* sessions whose memfd did not come over */
static char ret_name[32];

static int prepare_retrieve(void)
{
	if (ret_index >= POOL_RET)
		return -ENOSPC;
	snprintf(ret_name, sizeof(ret_name), "ret-%d", ret_index);
	return 0;
}

static int call_retrieve(void)
{
	return luo_retrieve_session(dev, ret_name);
}

/* The session and its memfd came over; closing it finishes it. */
static void done_retrieve(int fd)
{
	char why[256] = "";
	int f = luo_retrieve_fd(fd, 1);

	if (f < 0 || !luo_check_memfd(f, 4096, 1, 0, why)) {
		tap_note("%s: its memfd: %s %s", ret_name,
			 f < 0 ? strerror(-f) : "wrong content", why);
		ret_wrong++;
	}
	if (f >= 0)
		close(f);
	close(fd);
	ret_index++;
}

static bool check_retrieve(int err, char *why)
{
	int fd = luo_retrieve_session(dev, ret_name);

	(void)err;
	if (fd < 0) {
		snprintf(why, 256, "%s: the next retrieve failed: %s", ret_name,
			 strerror(-fd));
		return false;
	}
	done_retrieve(fd);
	return true;
}

/* retrieve a file */

static bool file_ok(int fd, int token, char *why)
{
	uint64_t v;

	if (!strcmp(file_kind, "test")) {
		if (luo_ftype_value(fd, &v) || v != (uint64_t)token * 7) {
			snprintf(why, 256, "token %d: wrong value", token);
			return false;
		}
		return true;
	}
	return luo_check_memfd(fd, 4096, token, 0, why);
}

static int prepare_retrieve_fd(void)
{
	return cur_token <= cur_max ? 0 : -ENOSPC;
}

static int call_retrieve_fd(void)
{
	return luo_retrieve_fd(cur_session, cur_token);
}

/* A retrieved file is retrieved for good: move on to the next one. */
static void done_retrieve_fd(int fd)
{
	char why[256];

	if (!file_ok(fd, cur_token, why))
		sweep_bad(&sweep_errors, "%s token %d: retrieved a wrong file: %s",
			  cur_sweep->name, cur_token, why);
	close(fd);
	cur_token++;
}

/*
 * Either the fault came before the handler ran, and the file is still
 * there, or the handler's retrieve failed, and that is final: the same
 * errno again, without calling the handler.
 */
static bool check_retrieve_fd(int err, char *why)
{
	int fd = luo_retrieve_fd(cur_session, cur_token);

	if (fd >= 0) {
		bool ok = file_ok(fd, cur_token, why);

		close(fd);
		cur_token++;
		if (err != -ENOMEM && err != -EFAULT) {
			snprintf(why, 256, "LUO failed with %s, not ENOMEM or EFAULT",
				 strerror(-err));
			return false;
		}
		return ok && keep_works(why);
	}
	if (fd != err) {
		snprintf(why, 256, "the next retrieve failed with %s", strerror(-fd));
		return false;
	}
	if (luo_retrieve_fd(cur_session, cur_token) != err) {
		snprintf(why, 256, "a failed retrieve was not remembered");
		return false;
	}
	remembered++;
	handler_errors[-err < 256 ? -err : 0]++;
	cur_token++;
	return keep_works(why);
}

/* finish a session */

static int fin_index;

static int prepare_finish(void)
{
	char name[32];
	int fd;

	if (cur_session >= 0)
		return 0;
	if (fin_index >= POOL_FIN)
		return -ENOSPC;
	snprintf(name, sizeof(name), "fin-%d", fin_index);
	cur_session = luo_retrieve_session(dev, name);
	if (cur_session < 0)
		return cur_session;
	/* One file retrieved, one not: both kinds of finish. */
	fd = luo_retrieve_fd(cur_session, 2);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static int call_finish(void)
{
	return luo_finish(cur_session);
}

/* A finished session is gone once closed; the next step takes another. */
static void done_finish(int ret)
{
	char name[32];
	int fd;

	(void)ret;
	close(cur_session);
	cur_session = -1;
	snprintf(name, sizeof(name), "fin-%d", fin_index++);
	fd = luo_retrieve_session(dev, name);
	if (fd != -ENOENT)
		sweep_bad(&sweep_errors, "%s is still there after it finished: %s",
			  name, fd < 0 ? strerror(-fd) : "retrieved again");
	if (fd >= 0)
		close(fd);
}

static bool check_finish(int err, char *why)
{
	err = luo_finish(cur_session);
	if (err) {
		snprintf(why, 256, "the next finish failed: %s", strerror(-err));
		return false;
	}
	done_finish(0);
	return keep_works(why);
}

/*
 * The sessions that stage 1 created after each refused kexec; @wrong counts
 * those whose refusal was not -ENOMEM (their memfd's token is the errno).
 */
static int count_refused(int *wrong)
{
	char name[32];
	int n, fd, f;

	*wrong = 0;
	for (n = 1; n <= SWEEP_MAX; n++) {
		snprintf(name, sizeof(name), "reboot-%d", n);
		fd = luo_retrieve_session(dev, name);
		if (fd < 0)
			break;
		f = luo_retrieve_fd(fd, ENOMEM);
		if (f < 0) {
			tap_note("%s: the refusal was not -ENOMEM", name);
			(*wrong)++;
		} else {
			close(f);
		}
		luo_finish(fd);
		close(fd);
	}
	return n - 1;
}

static bool all_sessions_there(char *why)
{
	static const char * const names[] = { "keep", "pool-memfd", "pool-test" };
	char name[32];
	int i, fd;

	for (i = 0; i < 3 + NR_FIN; i++) {
		if (i < 3)
			snprintf(name, sizeof(name), "%s", names[i]);
		else
			snprintf(name, sizeof(name), "fin-%d", i - 3);
		fd = luo_retrieve_session(dev, name);
		if (fd < 0) {
			snprintf(why, 256, "session %s: %s", name, strerror(-fd));
			return false;
		}
		close(fd);
	}
	return true;
}

/* The first open after the kexec rebuilds the sessions: sweep it. */
static int stage2_rebuild(void)
{
	int n, dumps, faults = 0, failed = 0;
	char why[256] = "";
	bool injected;

	small_pools = true;
	tap_plan(6);
	tap_ok(!luo_insmod(LUO_FTYPE_MOD, "") &&
	       !luo_insmod(LUO_HANDLER_MOD, "cookie=7"),
	       "insmod %s %s", LUO_FTYPE_MOD, LUO_HANDLER_MOD);
	if (!tap_ok(!fault_setup(true), "fault injection set up, kmemleak's caches left out"))
		return 1;
	for (n = 1; n <= SWEEP_MAX; n++) {
		kmsg_collect(NULL, false);
		nth_arm(n);
		dev = luo_open_device();
		injected = nth_disarm();
		dumps = kmsg_collect(injected ? "rebuild" : NULL, dev < 0);
		total_calls++;
		if (!injected)
			break;
		faults++;
		total_faults++;
		if (!dumps)
			site_count("rebuild", "(no stack: a __GFP_NOWARN allocation)",
				   dev < 0);
		if (dev >= 0) {
			tap_note("the open with fault N=%d succeeded", n);
			break;
		}
		failed++;
	}
	print_sites();
	/* An open that absorbed its fault is not the clean end of a sweep. */
	tap_ok(dev >= 0 && faults > 0 && failed == faults,
	       "sweep rebuild: %d faults injected, %d opens failed, then an open succeeded",
	       faults, failed);
	tap_ok(sites_in_luo("rebuild") > 0,
	       "the sweep reached the rebuild: %d faults landed in LUO or a handler",
	       sites_in_luo("rebuild"));
	require_sites("rebuild", (const char *const []){ "luo_session_alloc",
		      "luo_chain_walk", "luo_file_deserialize_one", NULL });
	if (dev < 0)
		dev = luo_open_device();
	return tap_ok(dev >= 0 && all_sessions_there(why),
		      "every session was rebuilt after the failed opens %s", why) ?
	       tap_exit_code() : 1;
}

static int stage2(void)
{
	struct sweep s_retrieve = {
		.name = "retrieve",
		.prepare = prepare_retrieve,
		.call = call_retrieve,
		.done = done_retrieve,
		.check = check_retrieve,
		.needles = retrieve_sites,
	};
	struct sweep s_retrieve_memfd = {
		.name = "retrieve-memfd",
		.prepare = prepare_retrieve_fd,
		.call = call_retrieve_fd,
		.done = done_retrieve_fd,
		.check = check_retrieve_fd,
		.handler_errno = true,
		.needles = retrieve_memfd_sites,
	};
	struct sweep s_retrieve_test = {
		.name = "retrieve-test",
		.prepare = prepare_retrieve_fd,
		.call = call_retrieve_fd,
		.done = done_retrieve_fd,
		.check = check_retrieve_fd,
		.handler_errno = true,
		.needles = retrieve_test_sites,
	};
	struct sweep s_name = {
		.name = "get-name",
		.call = call_get_name,
		.done = done_get_name,
		.check = check_get_name,
		.needles = get_name_sites,
	};
	struct sweep s_finish = {
		.name = "finish",
		.prepare = prepare_finish,
		.call = call_finish,
		.done = done_finish,
		.check = check_finish,
		.needles = finish_sites,
	};
	int fd, pm, pt, refused, wrong, i, err;
	char why[256] = "";

	tap_plan(15);
	tap_ok(!luo_insmod(LUO_FTYPE_MOD, "") &&
	       !luo_insmod(LUO_HANDLER_MOD, "cookie=7"),
	       "insmod %s %s", LUO_FTYPE_MOD, LUO_HANDLER_MOD);
	if (!tap_ok(!fault_setup(false), "fault injection set up"))
		return 1;
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s (rebuilds the sessions)", LUO_DEVICE))
		return 1;

	run_sweep(&s_retrieve);
	tap_ok(ret_index > 0 && !ret_wrong,
	       "%d sessions retrieved in the sweep, each with its memfd intact (%d not)",
	       ret_index, ret_wrong);
	keep = luo_retrieve_session(dev, "keep");
	fd = keep < 0 ? keep : luo_retrieve_fd(keep, 1);
	tap_ok(fd >= 0 && luo_check_memfd(fd, KEEP_PAGES * 4096, 1, 123, why),
	       "keep: the memfd is intact %s", why);
	if (fd >= 0)
		close(fd);
	run_sweep(&s_name);

	pm = luo_retrieve_session(dev, "pool-memfd");
	pt = luo_retrieve_session(dev, "pool-test");
	cur_session = pm;
	cur_token = 1;
	cur_max = POOL_MEMFDS;
	run_sweep(&s_retrieve_memfd);
	file_kind = "test";
	cur_session = pt;
	cur_token = 1;
	cur_max = POOL_TESTS;
	run_sweep(&s_retrieve_test);
	tap_note("%d files failed in their handler's retrieve and stayed failed:",
		 remembered);
	for (i = 0; i < 256; i++)
		if (handler_errors[i])
			tap_note("  %d with %s", handler_errors[i],
				 i ? strerror(i) : "another errno");
	cur_session = -1;
	run_sweep(&s_finish);

	/*
	 * Whether the kexec that went through reached no fault (the sweep's
	 * clean end) only the old kernel's log can tell: the harness checks
	 * it (scripts/results.sh, reboot_sweep_results).
	 */
	refused = count_refused(&wrong);
	tap_ok(!wrong,
	       "stage 1: kexec -e refused %d times by a fault (%d not with -ENOMEM), usable after each, then done",
	       refused, wrong);
	for (err = 0; fin_index < POOL_FIN && !err; fin_index++) {
		snprintf(why, sizeof(why), "fin-%d", fin_index);
		fd = luo_retrieve_session(dev, why);
		err = fd < 0 ? fd : luo_finish(fd);
		if (fd >= 0)
			close(fd);
	}
	why[0] = '\0';
	tap_ok(!err && !luo_finish(keep) && !luo_finish(pm) && !luo_finish(pt),
	       "finish keep, pool-memfd, pool-test and the sessions fin-* left");
	close(keep);
	close(pm);
	close(pt);
	tap_ok(luo_test_stat("flb_retrieve") == 1 && luo_test_stat("flb_finish") == 1,
	       "the test FLB was retrieved once (%lld) and finished once (%lld)",
	       luo_test_stat("flb_retrieve"), luo_test_stat("flb_finish"));
	tap_ok(luo_module_refcnt(LUO_HANDLER_MOD) == 0 &&
	       !luo_rmmod(LUO_HANDLER_MOD) && !luo_rmmod(LUO_FTYPE_MOD),
	       "nothing pins the test modules any more; both unload");
	tap_ok(total_faults > 0, "%d calls swept, %d faults injected in stage 2",
	       total_calls, total_faults);
	print_sites();
	return tap_exit_code();
}

int main(int argc, char **argv)
{
	bool rebuild = false;
	int i, j, stage;

	/* --rebuild is ours; the rest goes to the common parser. */
	for (i = j = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rebuild"))
			rebuild = true;
		else
			argv[j++] = argv[i];
	}
	argc = j;
	stage = luo_parse_args(argc, argv, NULL);
	luo_raise_nofile(4096);
	if (stage == 1)
		return stage1(rebuild);
	return rebuild ? stage2_rebuild() : stage2();
}
