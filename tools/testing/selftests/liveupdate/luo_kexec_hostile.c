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
 * Classes whose policy is victim or file damage one session each, so
 * several of them can share one handover: "--class a+b" names them, each
 * damages its own victim "victim-a", "victim-b", and each outcome is
 * checked (make check runs them so, one kexec instead of six).
 *
 * With --control, stage 1 leaves the handover intact: stage 2 must then
 * fail, which proves that its checks can. make check runs one such
 * negative control (scripts/check.sh, kexec_control) and requires it to
 * fail exactly the checks of its class.
 *
 * Usage: luo_kexec_hostile --stage 1|2 --class CLASS[+CLASS...] [--control]
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

/* What the new kernel must log for each policy (%s: the victim's name). */
static const char * const policy_log[] = {
	[IGNORED] = "ignoring the previous kernel's state",
	[REFUSED] = "refusing the previous kernel's sessions",
	[VICTIM] = "session '%s' is refused: its files are malformed",
	[FILE_ONLY] = "session '%s': file 101 given up: its entry was malformed",
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

#define NR_GOOD		2
#define MAX_CLASSES	8

/* The classes of this run: one, or several that damage one session each. */
static const struct hostile_class *run[MAX_CLASSES];
static int nr_run;

/* Session @i: "good-0", "good-1", then one victim per class. */
static int nr_named(void)
{
	return NR_GOOD + nr_run;
}

static const char *named(int i)
{
	static char names[NR_GOOD + MAX_CLASSES][LIVEUPDATE_SESSION_NAME_LENGTH];

	if (i < NR_GOOD)
		snprintf(names[i], sizeof(names[i]), "good-%d", i);
	else if (nr_run == 1)
		snprintf(names[i], sizeof(names[i]), "victim");
	else
		snprintf(names[i], sizeof(names[i]), "victim-%s",
			 run[i - NR_GOOD]->name);
	return names[i];
}

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

/* "a+b+c": the classes of this run; several only if each has a victim. */
static bool parse_classes(char *list)
{
	char *tok;

	for (tok = strtok(list, "+"); tok; tok = strtok(NULL, "+")) {
		if (nr_run == MAX_CLASSES)
			return false;
		run[nr_run] = find_class(tok);
		if (!run[nr_run])
			return false;
		nr_run++;
	}
	for (int i = 0; nr_run > 1 && i < nr_run; i++)
		if (run[i]->policy != VICTIM && run[i]->policy != FILE_ONLY)
			return false;
	return nr_run > 0;
}

/* The classes as the kernel's parameter takes them: "a,b,c". */
static const char *class_param(void)
{
	static char param[128];

	param[0] = '\0';
	for (int i = 0; i < nr_run; i++)
		snprintf(param + strlen(param), sizeof(param) - strlen(param),
			 "%s%s", i ? "," : "", run[i]->name);
	return param;
}

/* Ask the test kernel to corrupt the next handover; read it back. */
static bool set_class(const char *name)
{
	char back[160] = "";
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

static int stage1(bool control)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int dev, s, fd, f, i, n, bad = 0;

	tap_plan(3 + nr_named());
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s", LUO_DEVICE))
		return 1;
	for (i = 0; i < nr_named(); i++) {
		s = luo_create_session(dev, named(i));
		n = 0;
		for (f = 0; s >= 0 && f < NR_FILES; f++) {
			fd = luo_make_memfd(named(i), 0, file_size(i, f),
					    file_seed(i, f), file_size(i, f) / 3);
			n += fd >= 0 && !luo_preserve_fd(s, fd, 100 + f);
		}
		tap_ok(n == NR_FILES, "session %s with %d memfds", named(i),
		       NR_FILES);
		/* The empty sessions go between the good ones and the victims. */
		for (int j = 0; i == 1 && j < NR_PAD; j++) {
			snprintf(name, sizeof(name), "pad-%02d", j);
			bad += luo_create_session(dev, name) < 0;
		}
	}
	tap_ok(!bad, "%d empty sessions", NR_PAD);
	if (control)
		tap_note("control run: the handover stays intact");
	tap_ok(control || set_class(class_param()),
	       "the next live update corrupts: %s",
	       control ? "nothing (control)" : class_param());
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

	s = luo_retrieve_session(dev, named(i));
	tap_ok(s >= 0, "retrieve %s (%s)", named(i),
	       s < 0 ? strerror(-s) : "ok");
	for (f = 0; f < NR_FILES; f++) {
		fd = s >= 0 ? luo_retrieve_fd(s, 100 + f) : -EBADF;
		ok = fd >= 0 && luo_check_memfd(fd, file_size(i, f),
						file_seed(i, f),
						file_size(i, f) / 3, why);
		tap_ok(ok, "%s: memfd %d intact%s%s", named(i), f,
		       fd < 0 ? ": " : ok ? "" : ": ",
		       fd < 0 ? strerror(-fd) : why);
		if (fd >= 0)
			close(fd);
	}
	tap_ok(s >= 0 && !luo_finish(s), "finish %s", named(i));
	if (s >= 0)
		close(s);
}

/*
 * The last file (token 101) of victim @v has a malformed entry: it alone
 * is refused, every time; the other file comes back; the finish gives it
 * up.
 */
static void check_victim_file(int dev, int v)
{
	const char *name = named(v);
	int s, fd, i;
	char why[128];
	bool ok;

	s = luo_retrieve_session(dev, name);
	tap_ok(s >= 0, "retrieve %s (%s)", name, s < 0 ? strerror(-s) : "ok");
	fd = s >= 0 ? luo_retrieve_fd(s, 100) : -EBADF;
	ok = fd >= 0 && luo_check_memfd(fd, file_size(v, 0), file_seed(v, 0),
					file_size(v, 0) / 3, why);
	tap_ok(ok, "%s: memfd 0 intact%s%s", name, ok ? "" : ": ",
	       ok ? "" : fd < 0 ? strerror(-fd) : why);
	if (fd >= 0)
		close(fd);
	for (i = 0; i < 2; i++) {
		fd = s >= 0 ? luo_retrieve_fd(s, 101) : -EBADF;
		tap_ok(fd == -EIO, "%s: the malformed file fails with EIO (%s)",
		       name, fd < 0 ? strerror(-fd) : "retrieved");
		if (fd >= 0)
			close(fd);
	}
	tap_ok(s >= 0 && !luo_finish(s), "finish %s", name);
	if (s >= 0)
		close(s);
}

/* Victim @v is refused, every time. */
static void check_victim(int dev, int v)
{
	int i, s;

	for (i = 0; i < 2; i++) {
		s = luo_retrieve_session(dev, named(v));
		tap_ok(s == -EIO, "retrieve %s fails with EIO (%s)", named(v),
		       s < 0 ? strerror(-s) : "retrieved");
		if (s >= 0)
			close(s);
	}
}

/* The number of checks of stage 2. */
static int stage2_plan(void)
{
	enum policy p = run[0]->policy;
	int n = 1 + 1 + 2 * nr_run;	/* open, new session, two log lines each */

	if (p == REFUSED)
		return n + 1 + nr_named();
	if (p == IGNORED)
		return n + nr_named();
	n += NR_GOOD * (NR_FILES + 2);
	for (int i = 0; i < nr_run; i++)
		n += run[i]->policy == FILE_ONLY ? 5 : 2;
	return n;
}

static void check_log(const char *fmt, const char *name)
{
	char want[256];

	snprintf(want, sizeof(want), fmt, name);
	tap_ok(luo_kmsg_has(want), "the kernel log says: %s", want);
}

static void check_gone(int dev, const char *name)
{
	int s = luo_retrieve_session(dev, name);

	tap_ok(s == -ENOENT, "no incoming session %s (%s)", name,
	       s < 0 ? strerror(-s) : "retrieved");
	if (s >= 0)
		close(s);
}

static int stage2(void)
{
	const struct hostile_class *c = run[0];
	int dev, s, fd, i;

	tap_plan(stage2_plan());
	for (i = 0; i < nr_run; i++)
		tap_note("class %s: the policy says %s", run[i]->name,
			 policy_name[run[i]->policy]);
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

	if (c->policy == VICTIM || c->policy == FILE_ONLY) {
		for (i = 0; i < nr_run; i++) {
			if (run[i]->policy == VICTIM)
				check_victim(dev, NR_GOOD + i);
			else
				check_victim_file(dev, NR_GOOD + i);
		}
		for (i = 0; i < NR_GOOD; i++)
			check_session(dev, i);
	} else {
		for (i = 0; i < nr_named(); i++)
			check_gone(dev, named(i));
	}

	s = luo_create_session(dev, "after");
	fd = luo_make_memfd("after", 0, 4096, 7, 0);
	tap_ok(s >= 0 && fd >= 0 && !luo_preserve_fd(s, fd, 1),
	       "a new session works");
	for (i = 0; i < nr_run; i++) {
		check_log("%s", run[i]->log);
		check_log(policy_log[run[i]->policy], named(NR_GOOD + i));
	}
	return tap_exit_code();
}

int main(int argc, char **argv)
{
	bool control = false, classes_ok = false;
	int stage = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--control"))
			control = true;
		else if (!strcmp(argv[i], "--stage") && i + 1 < argc)
			stage = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--class") && i + 1 < argc)
			classes_ok = parse_classes(argv[++i]);
	}
	if (!classes_ok || (stage != 1 && stage != 2)) {
		fprintf(stderr, "usage: %s --stage 1|2 --class CLASS[+CLASS...] [--control]\n"
			"(several classes only where each damages one session)\n",
			argv[0]);
		return 2;
	}
	return stage == 1 ? stage1(control) : stage2();
}
