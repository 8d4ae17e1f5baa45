// SPDX-License-Identifier: GPL-2.0
/*
 * luo_kexec_hostile - the next kernel against a corrupt handover.
 *
 * The test kernel's hook (kernel/liveupdate/luo_corrupt.c, built with
 * CONFIG_LIVEUPDATE_CORRUPT_TEST) damages the state that the live update
 * hands over, in the way /sys/module/luo/parameters/corrupt names, right
 * before the kexec. Each class must end as the failure policy in
 * Documentation/core-api/liveupdate.rst says:
 *
 *   ignored      the root is bad: the first open of /dev/liveupdate works,
 *                with no incoming session
 *   refused      the whole handover is refused: the first open fails with
 *                EIO, the second works, with no incoming session
 *   victim       only the session "victim" is refused: its retrieve fails
 *                with EIO, the other sessions come back intact
 *   file         only the last file of "victim" is refused: its
 *                RETRIEVE_FD fails with EIO, the victim's other file and
 *                the other sessions come back intact, and finishing the
 *                victim gives the bad file up
 *
 * and in every case new sessions work and the kernel log names what was
 * wrong. A splat or a hang fails the run (the harness scans the log).
 *
 * Stage 1: sessions "good-0", "good-1" and "victim" with two memfds each,
 * and 55 empty sessions so that the session chain has two blocks; write
 * the class; kexec. Stage 2: check the outcome of the class.
 *
 * With --control, stage 1 leaves the handover intact: stage 2 must then
 * fail, which proves that its checks can. make check runs one such
 * negative control (scripts/check.sh, kexec_control) and requires it to
 * fail exactly the checks of its class.
 *
 * Usage: luo_kexec_hostile --stage 1|2 --class CLASS [--control]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "luo_kmsg.h"
#include "luo_test_utils.h"

#define CORRUPT_PARAM	"/sys/module/luo/parameters/corrupt"
#define NR_PAD		55
#define NR_FILES	2

enum policy { IGNORED, REFUSED, VICTIM, FILE_ONLY };

static const char * const policy_name[] = {
	[IGNORED] = "ignored", [REFUSED] = "refused", [VICTIM] = "victim",
	[FILE_ONLY] = "file",
};

/* What the new kernel must log for each policy. */
static const char * const policy_log[] = {
	[IGNORED] = "ignoring the previous kernel's state",
	[REFUSED] = "refusing the previous kernel's sessions",
	[VICTIM] = "session 'victim' is refused: its files are malformed",
	[FILE_ONLY] = "session 'victim': file 101 given up: its entry was malformed",
};

static const struct hostile_class {
	const char *name;
	enum policy policy;
	const char *log;	/* and what it must say about the class */
} classes[] = {
	{ "abi", IGNORED, "the previous kernel speaks 'luo-v4'" },
	{ "blocks-over", REFUSED, "has 52 entries (1..51)" },
	{ "blocks-zero", REFUSED, "has 0 entries (1..51)" },
	{ "loop", REFUSED, "is used twice in one chain" },
	{ "sessions-unpreserved", REFUSED, "is not a page the previous kernel preserved" },
	{ "name", REFUSED, "a session name is empty or unterminated: 'xxxx" },
	{ "shared", REFUSED, "is shared by two parts of the handover" },
	{ "files-on-sessions", REFUSED, "is shared by two parts of the handover" },
	{ "flb-on-sessions", REFUSED, "the FLB page is malformed" },
	{ "flb-count", REFUSED, "the FLB page says 1 pages and 64 FLBs" },
	{ "compat", FILE_ONLY, "a file's handler name is empty or unterminated" },
	{ "unpreserved", VICTIM, "is not a page the previous kernel preserved" },
	{ "unmapped", VICTIM, "is not a page the previous kernel preserved" },
	/* The root and the FLB page were given back at boot. */
	{ "files-on-flb", VICTIM, "is not a page the previous kernel preserved" },
	{ "files-on-root", VICTIM, "is not a page the previous kernel preserved" },
	{ "file-count", VICTIM, "a session says 3 files, its chain has 2" },
};

static const char * const named[] = { "good-0", "good-1", "victim" };
#define NR_NAMED	((int)ARRAY_SIZE(named))

static size_t file_size(int s, int f)
{
	return 5000 + 4096 * f + 777 * s;
}

static uint64_t file_seed(int s, int f)
{
	return (uint64_t)(s + 1) << 32 | f;
}

static const struct hostile_class *find_class(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
		if (!strcmp(classes[i].name, name))
			return &classes[i];
	return NULL;
}

/* Ask the test kernel to corrupt the next handover; read it back. */
static bool set_class(const char *name)
{
	char back[64] = "";
	bool ok;
	FILE *p;

	if (luo_write_file(CORRUPT_PARAM, name))
		return false;
	p = fopen(CORRUPT_PARAM, "re");
	if (!p)
		return false;
	ok = fgets(back, sizeof(back), p) && !strncmp(back, name, strlen(name));
	fclose(p);
	return ok;
}

static int stage1(const struct hostile_class *c, bool control)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int dev, s, fd, f, i, n, bad = 0;

	tap_plan(3 + NR_NAMED);
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s", LUO_DEVICE))
		return 1;
	for (i = 0; i < NR_NAMED; i++) {
		s = luo_create_session(dev, named[i]);
		n = 0;
		for (f = 0; s >= 0 && f < NR_FILES; f++) {
			fd = luo_make_memfd(named[i], 0, file_size(i, f),
					    file_seed(i, f), file_size(i, f) / 3);
			n += fd >= 0 && !luo_preserve_fd(s, fd, 100 + f);
		}
		tap_ok(n == NR_FILES, "session %s with %d memfds", named[i],
		       NR_FILES);
		/* The empty sessions go between the named ones and "victim". */
		for (int j = 0; i == 1 && j < NR_PAD; j++) {
			snprintf(name, sizeof(name), "pad-%02d", j);
			bad += luo_create_session(dev, name) < 0;
		}
	}
	tap_ok(!bad, "%d empty sessions", NR_PAD);
	if (control)
		tap_note("control run: the handover stays intact");
	tap_ok(control || set_class(c->name), "the next live update corrupts: %s",
	       control ? "nothing (control)" : c->name);
	if (tap_exit_code())
		return 1;
	luo_kexec();
}

/* Every memfd of session @i is back, intact. */
static void check_session(int dev, int i)
{
	char why[128];
	int s, f, fd;
	bool ok;

	s = luo_retrieve_session(dev, named[i]);
	tap_ok(s >= 0, "retrieve %s (%s)", named[i],
	       s < 0 ? strerror(-s) : "ok");
	for (f = 0; f < NR_FILES; f++) {
		fd = s >= 0 ? luo_retrieve_fd(s, 100 + f) : -EBADF;
		ok = fd >= 0 && luo_check_memfd(fd, file_size(i, f),
						file_seed(i, f),
						file_size(i, f) / 3, why);
		tap_ok(ok, "%s: memfd %d intact%s%s", named[i], f,
		       fd < 0 ? ": " : ok ? "" : ": ",
		       fd < 0 ? strerror(-fd) : why);
		if (fd >= 0)
			close(fd);
	}
	tap_ok(s >= 0 && !luo_finish(s), "finish %s", named[i]);
	if (s >= 0)
		close(s);
}

/*
 * The victim's last file (token 101) has a malformed entry: it alone is
 * refused, every time; the other file comes back; the finish gives it up.
 */
static void check_victim_file(int dev)
{
	int v = NR_NAMED - 1, s, fd, i;
	char why[128];
	bool ok;

	s = luo_retrieve_session(dev, "victim");
	tap_ok(s >= 0, "retrieve victim (%s)", s < 0 ? strerror(-s) : "ok");
	fd = s >= 0 ? luo_retrieve_fd(s, 100) : -EBADF;
	ok = fd >= 0 && luo_check_memfd(fd, file_size(v, 0), file_seed(v, 0),
					file_size(v, 0) / 3, why);
	tap_ok(ok, "victim: memfd 0 intact%s%s", ok ? "" : ": ",
	       ok ? "" : fd < 0 ? strerror(-fd) : why);
	if (fd >= 0)
		close(fd);
	for (i = 0; i < 2; i++) {
		fd = s >= 0 ? luo_retrieve_fd(s, 101) : -EBADF;
		tap_ok(fd == -EIO, "victim: the malformed file fails with EIO (%s)",
		       fd < 0 ? strerror(-fd) : "retrieved");
		if (fd >= 0)
			close(fd);
	}
	tap_ok(s >= 0 && !luo_finish(s), "finish victim");
	if (s >= 0)
		close(s);
}

static void check_gone(int dev, const char *name)
{
	int s = luo_retrieve_session(dev, name);

	tap_ok(s == -ENOENT, "no incoming session %s (%s)", name,
	       s < 0 ? strerror(-s) : "retrieved");
	if (s >= 0)
		close(s);
}

static int stage2(const struct hostile_class *c)
{
	int dev, s, fd, i;

	tap_plan(c->policy == FILE_ONLY ? 9 + 2 * (NR_FILES + 2) :
		 c->policy == VICTIM ? 6 + 2 * (NR_FILES + 2) :
		 c->policy == REFUSED ? 5 + NR_NAMED : 4 + NR_NAMED);
	tap_note("class %s: the policy says %s", c->name,
		 policy_name[c->policy]);
	dev = luo_open_device();
	if (c->policy == REFUSED) {
		tap_ok(dev == -EIO, "the first open fails with EIO (%s)",
		       dev < 0 ? strerror(-dev) : "opened");
		if (dev >= 0)
			close(dev);
		dev = luo_open_device();
		tap_ok(dev >= 0, "the second open works (%s)",
		       dev < 0 ? strerror(-dev) : "ok");
	} else {
		tap_ok(dev >= 0, "the first open works (%s)",
		       dev < 0 ? strerror(-dev) : "ok");
	}
	if (dev < 0)
		return tap_exit_code() | 1;

	if (c->policy == VICTIM) {
		for (i = 0; i < 2; i++) {
			s = luo_retrieve_session(dev, "victim");
			tap_ok(s == -EIO, "retrieve victim fails with EIO (%s)",
			       s < 0 ? strerror(-s) : "retrieved");
		}
		for (i = 0; i < NR_NAMED - 1; i++)
			check_session(dev, i);
	} else if (c->policy == FILE_ONLY) {
		check_victim_file(dev);
		for (i = 0; i < NR_NAMED - 1; i++)
			check_session(dev, i);
	} else {
		for (i = 0; i < NR_NAMED; i++)
			check_gone(dev, named[i]);
	}

	s = luo_create_session(dev, "after");
	fd = luo_make_memfd("after", 0, 4096, 7, 0);
	tap_ok(s >= 0 && fd >= 0 && !luo_preserve_fd(s, fd, 1),
	       "a new session works");
	tap_ok(luo_kmsg_has(c->log), "the kernel log says: %s", c->log);
	tap_ok(luo_kmsg_has(policy_log[c->policy]), "the kernel log says: %s",
	       policy_log[c->policy]);
	return tap_exit_code();
}

int main(int argc, char **argv)
{
	const struct hostile_class *c = NULL;
	bool control = false;
	int stage = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--control"))
			control = true;
		else if (!strcmp(argv[i], "--stage") && i + 1 < argc)
			stage = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--class") && i + 1 < argc)
			c = find_class(argv[++i]);
	}
	if (!c || (stage != 1 && stage != 2)) {
		fprintf(stderr, "usage: %s --stage 1|2 --class CLASS [--control]\n",
			argv[0]);
		return 2;
	}
	return stage == 1 ? stage1(c, control) : stage2(c);
}
