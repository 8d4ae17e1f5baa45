// SPDX-License-Identifier: GPL-2.0
/*
 * luo_kexec_twice - a second live update must not lose unclaimed sessions.
 *
 * Three stages (the guest runs it with luostages=3; every stage but the
 * last finds the next kernel loaded).
 *
 * Stage 1: sessions "claimed" and "later", one memfd each; kexec.
 *
 * Stage 2: a live update is refused with EBUSY, and the log says why,
 * while the incoming sessions are not claimed: before /dev/liveupdate is
 * opened; with "later" not retrieved; with "later" retrieved but neither
 * finished nor closed. "claimed" is retrieved, checked and finished, a new
 * session "next" gets two memfds (one with the contents of "later"'s),
 * "later" is closed after its retrieve, and the live update goes ahead.
 *
 * Stage 3: "next" comes back intact; nothing of the first kernel is left:
 * this is live update number 2, the handover (debugfs "phases") held one
 * session of two files, the debugfs list of sessions holds "next" and its
 * two files and nothing else, "claimed" and "later" cannot be retrieved
 * (ENOENT), and once "next" is finished and closed the list is empty.
 *
 * Usage: luo_kexec_twice --stage 1|2|3
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>
#include <linux/reboot.h>

#include "luo_kmsg.h"
#include "luo_test_utils.h"

#define NEVER_CLAIMED	"the previous kernel's sessions were never claimed"
#define NOT_CLAIMED	"session 'later' of the previous kernel is neither finished nor closed"

/* Memfd @i: 0 in "claimed", 1 in "later", 2 new in "next". */
static size_t size_of(int i)
{
	return 20000 + 3000 * i;
}

static uint64_t seed_of(int i)
{
	return 0x7a11ce00 + i;
}

static int preserve_memfd(int s, int i, uint64_t token)
{
	int fd = luo_make_memfd("twice", 0, size_of(i), seed_of(i), i);

	return fd < 0 ? fd : luo_preserve_fd(s, fd, token);
}

static bool memfd_ok(int s, uint64_t token, int i, const char *what)
{
	int fd = s >= 0 ? luo_retrieve_fd(s, token) : -EBADF;
	char why[128] = "";
	bool ok;

	ok = fd >= 0 && luo_check_memfd(fd, size_of(i), seed_of(i), i, why);
	tap_ok(ok, "%s is intact%s%s", what, ok ? "" : ": ",
	       fd < 0 ? strerror(-fd) : why);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* A live update that must be refused; the log must say why. */
static void kexec_refused(const char *log, int times, const char *when)
{
	int err;

	fflush(stdout);
	sync();
	err = reboot(LINUX_REBOOT_CMD_KEXEC) ? errno : 0;
	tap_ok(err == EBUSY, "kexec %s is refused with EBUSY (%s)", when,
	       err ? strerror(err) : "it went ahead");
	tap_ok(luo_kmsg_count(log) == times, "the log says, %d time(s): %s",
	       times, log);
}

static int stage1(void)
{
	int dev, s0, s1;

	tap_plan(2);
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s", LUO_DEVICE))
		return 1;
	s0 = luo_create_session(dev, "claimed");
	s1 = luo_create_session(dev, "later");
	tap_ok(s0 >= 0 && s1 >= 0 && !preserve_memfd(s0, 0, 10) &&
	       !preserve_memfd(s1, 1, 11),
	       "sessions claimed and later, a memfd each");
	if (tap_exit_code())
		return 1;
	luo_kexec();
}

static int stage2(void)
{
	int dev, s, later, next;

	tap_plan(15);
	kexec_refused(NEVER_CLAIMED, 1, "before /dev/liveupdate is opened");
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s", LUO_DEVICE))
		return 1;
	s = luo_retrieve_session(dev, "claimed");
	tap_ok(s >= 0, "retrieve claimed");
	memfd_ok(s, 10, 0, "claimed's memfd");
	tap_ok(s >= 0 && !luo_finish(s) && !close(s), "finish and close claimed");
	next = luo_create_session(dev, "next");
	tap_ok(next >= 0 && !preserve_memfd(next, 2, 20) &&
	       !preserve_memfd(next, 1, 21),
	       "a new session next with two memfds");

	kexec_refused(NOT_CLAIMED, 1, "with later not retrieved");
	later = luo_retrieve_session(dev, "later");
	tap_ok(later >= 0, "retrieve later");
	kexec_refused(NOT_CLAIMED, 2, "with later retrieved, not finished");
	memfd_ok(later, 11, 1, "later's memfd");
	tap_ok(later >= 0 && !close(later), "close later without finishing it");
	tap_ok(luo_retrieve_session(dev, "claimed") == -ENOENT &&
	       luo_retrieve_session(dev, "later") == -ENOENT,
	       "both incoming sessions are gone");
	if (tap_exit_code())
		return 1;
	tap_note("kexec, now that every incoming session is claimed");
	luo_kexec();
}

/* The lines of @text (each ends with a newline). */
static int nr_lines(const char *text)
{
	int n = 0;

	for (; text && *text; text++)
		n += *text == '\n';
	return n;
}

/*
 * The debugfs list of sessions holds exactly @want lines, @lines[] among
 * them (each once); the list itself goes to the log when it does not.
 */
static bool sessions_list_is(int want, const char *const *lines,
			     const char *what)
{
	char *text = luo_read_text(LUO_DEBUGFS_SESSIONS);
	bool ok = text && nr_lines(text) == want;
	int i;

	for (i = 0; ok && lines[i]; i++)
		ok = luo_count_lines(text, lines[i]) == 1;
	tap_ok(ok, "the debugfs list of sessions %s", what);
	if (!ok)
		tap_note("%s: %s", LUO_DEBUGFS_SESSIONS,
			 text ? text : strerror(errno));
	free(text);
	return ok;
}

static int stage3(void)
{
	static const char *const only_next[] = {
		"session incoming waiting 2 next",
		"file 20 bound memfd-v2", "file 21 bound memfd-v2", NULL
	};
	static const char *const none[] = { NULL };
	char *phases;
	int dev, s;

	tap_plan(10);
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s", LUO_DEVICE))
		return 1;
	tap_ok(luo_kmsg_has("live update number 2"), "this is live update 2");
	/* Nothing of the first kernel is left. */
	phases = luo_read_text(LUO_DEBUGFS "/phases");
	tap_ok(luo_count_lines(phases, "previous-sessions 1") == 1 &&
	       luo_count_lines(phases, "previous-files 2") == 1,
	       "the second kernel handed over one session of two files (%s phases)",
	       LUO_DEBUGFS);
	if (phases && (luo_count_lines(phases, "previous-sessions 1") != 1 ||
		       luo_count_lines(phases, "previous-files 2") != 1))
		tap_note("phases: %s", phases);
	free(phases);
	sessions_list_is(3, only_next,
			 "holds next and its two files, nothing of the first kernel");
	tap_ok(luo_retrieve_session(dev, "claimed") == -ENOENT &&
	       luo_retrieve_session(dev, "later") == -ENOENT,
	       "the first kernel's sessions claimed and later are gone (ENOENT)");
	s = luo_retrieve_session(dev, "next");
	tap_ok(s >= 0, "retrieve next");
	memfd_ok(s, 20, 2, "next's new memfd");
	memfd_ok(s, 21, 1, "next's copy of later's memfd");
	tap_ok(s >= 0 && !luo_finish(s) && !close(s), "finish and close next");
	sessions_list_is(0, none, "is empty once next is finished and closed");
	return tap_exit_code();
}

int main(int argc, char **argv)
{
	int stage = 0;

	for (int i = 1; i + 1 < argc; i += 2)
		if (!strcmp(argv[i], "--stage"))
			stage = atoi(argv[i + 1]);
	switch (stage) {
	case 1:
		return stage1();
	case 2:
		return stage2();
	case 3:
		return stage3();
	}
	fprintf(stderr, "usage: %s --stage 1|2|3\n", argv[0]);
	return 2;
}
