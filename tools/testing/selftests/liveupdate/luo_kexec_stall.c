// SPDX-License-Identifier: GPL-2.0
/*
 * luo_kexec_stall - one caller stalled in a copy to userspace, or in a
 * handler's preserve or finish, stalls no other caller and does not stop
 * the live update; a live update stalled in a handler's freeze stalls no
 * reader of fdinfo or of the debugfs list of sessions.
 *
 * How a call is stalled: its ioctl struct sits on a page that userfaultfd
 * write-protects (UFFDIO_REGISTER_MODE_WP), so the kernel's copy of the
 * answer back into it waits until the test lifts the protection. The uffd
 * reports the fault (UFFD_PAGEFAULT_FLAG_WP): the test knows the call is
 * stalled without guessing from time. A handler's finish, freeze or
 * preserve is stalled with the finish_block, freeze_block or
 * preserve_block parameter of modules/luo_test_handler.ko, whose stats say
 * when one is waiting.
 *
 * Meanwhile, every other call runs in a thread of its own and must complete
 * within STALL_DEADLINE seconds (hang detection, not a timing test) with
 * the right result. One that does not is reported "not ok" and left
 * behind; the stall is released at the end of each case all the same.
 *
 * Stage 1:
 * - CREATE_SESSION "stall-create" stalled: creating another session,
 *   preserving a memfd into another, closing another outgoing session and
 *   GET_NAME of another complete; once released, the stalled create
 *   returns an fd of session "stall-create".
 * - GET_NAME of session "gn-stall" stalled: creating, preserving into and
 *   closing other sessions complete; once released, it returns the name.
 * - A live update (reboot(LINUX_REBOOT_CMD_KEXEC), the kexec image loaded
 *   by the guest's init) stalled in the handler's freeze of the file of
 *   "fz-block", after the memfd of "fz-mem" froze: reading the fdinfo of
 *   fz-block's fd and the debugfs list of sessions (which shows fz-mem's
 *   file frozen) complete, and the freeze still waits once they did.
 *   Once released, that freeze fails (fail_freeze): reboot returns EIO,
 *   nothing is frozen any more and the sessions are usable.
 * - PRESERVE_FD of a test-handler file into "pv-block" stalled in the
 *   handler's preserve: closing /dev/liveupdate and opening it again
 *   complete (a reopen waits for no command), and then creating,
 *   preserving into and closing other sessions through the new fd
 *   complete, and the preserve still waits once they did; once released,
 *   the PRESERVE_FD returns 0. The rest of the stage uses the new fd.
 * - The sessions stage 2 needs: memfds of known content in "keep-1" to
 *   "keep-3" and in the sessions of its cases; files of the test handler
 *   in "slow-close" and "slow-finish".
 * - A child process stalls CREATE_SESSION "stalled-at-kexec" and never lets
 *   it go; then the live update starts. It must go ahead: stage 2 running
 *   is the proof. If it has not gone ahead within KEXEC_DEADLINE seconds,
 *   the test says so ("Bail out!") and kills the child, which ends the
 *   stall, so that a broken kernel fails quickly instead of hanging.
 *
 * Stage 2:
 * - "stalled-at-kexec" is not in the handover (ENOENT): a session whose
 *   create never completed is wholly out of it. "keep-1" to "keep-3" come
 *   back intact; the fdinfo of "keep-1"'s fd says incoming, retrieved, one
 *   file, then finished, no file.
 * - RETRIEVE_SESSION of "ret-stall" stalled, then RETRIEVE_FD of the file
 *   of "fd-stall" stalled: meanwhile another session is retrieved, its
 *   file retrieved, and it is finished and closed, and a session retrieved
 *   before the stall has its file retrieved and is finished and closed.
 *   Once released, the stalled call returns its fd; the file is intact.
 * - The handler's finish stalled: while closing "slow-close" waits in it,
 *   then while FINISH of "slow-finish" does, the same work on other
 *   sessions completes; once released, the close and the FINISH complete.
 * - Every session is finished and closed: none is left to retrieve.
 *
 * Usage: luo_kexec_stall --stage 1|2
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/reboot.h>
#include <linux/userfaultfd.h>

#include "luo_test_utils.h"

/* How long a call may take before it counts as hung, in seconds. */
#define STALL_DEADLINE	60
/* How long the live update may take to start with a caller stalled. */
#define KEXEC_DEADLINE	120
/*
 * The longest the handler's finish, freeze or preserve waits for its
 * release, in seconds.
 */
#define BLOCK_SECS	"600"

#define HANDLER_PARAM(p)	"/sys/module/" LUO_HANDLER_MOD "/parameters/" p
#define FINISH_BLOCK_PARAM	HANDLER_PARAM("finish_block")
#define FREEZE_BLOCK_PARAM	HANDLER_PARAM("freeze_block")
#define PRESERVE_BLOCK_PARAM	HANDLER_PARAM("preserve_block")
#define FAIL_FREEZE_PARAM	HANDLER_PARAM("fail_freeze")
#define FINISH_RELEASE		"/sys/kernel/debug/luo_test/finish_release"
#define FREEZE_RELEASE		"/sys/kernel/debug/luo_test/freeze_release"
#define PRESERVE_RELEASE	"/sys/kernel/debug/luo_test/preserve_release"

/* The value a test-handler file of token @t holds. */
#define TEST_VALUE(t)	(0x5107000000ULL + (t))

/* A session handed over to stage 2, and what it holds. */
struct handover {
	const char *name;
	bool test_file;		/* a file of the test handler, else a memfd */
	uint64_t token;		/* also the seed of the memfd's content */
	size_t size;		/* of the memfd */
	int fd;			/* the session's fd in this stage, or -1 */
	struct job *job;	/* the last call on it that ran in a thread */
};

#define MEMFD(_name, _token, _size) \
	{ .name = _name, .token = _token, .size = _size, .fd = -1 }
#define TEST_FILE(_name, _token) \
	{ .name = _name, .test_file = true, .token = _token, .fd = -1 }

static struct handover handovers[] = {
	MEMFD("keep-1", 1, 4096),
	MEMFD("keep-2", 2, 3 * 4096 + 17),
	MEMFD("keep-3", 3, 1 << 20),
	MEMFD("ret-stall", 11, 5000),
	MEMFD("ret-other", 12, 5001),
	MEMFD("ret-pre", 13, 5002),
	MEMFD("fd-stall", 21, 6000),
	MEMFD("fd-other", 22, 6001),
	MEMFD("fd-pre", 23, 6002),
	TEST_FILE("slow-close", 31),
	MEMFD("sc-other", 32, 7001),
	MEMFD("sc-pre", 33, 7002),
	TEST_FILE("slow-finish", 41),
	MEMFD("sf-other", 42, 8001),
	MEMFD("sf-pre", 43, 8002),
};

#define NR_HANDOVERS	((int)ARRAY_SIZE(handovers))

static struct handover *handover(const char *name)
{
	for (int i = 0; i < NR_HANDOVERS; i++)
		if (!strcmp(handovers[i].name, name))
			return &handovers[i];
	fprintf(stderr, "%s is not in the table\n", name);
	exit(2);
}

/*
 * A page whose writes wait while userfaultfd write-protects it.
 */
struct stall {
	int uffd;
	void *page;
	size_t len;
};

static void stall_destroy(struct stall *st)
{
	if (st->page != MAP_FAILED)
		munmap(st->page, st->len);
	if (st->uffd >= 0)
		close(st->uffd);
	st->page = MAP_FAILED;
	st->uffd = -1;
}

/* Set up a populated page registered for write-protect faults: 0 or -errno. */
static int stall_init(struct stall *st)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_PAGEFAULT_FLAG_WP,
	};
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	int err;

	st->len = sysconf(_SC_PAGESIZE);
	st->page = MAP_FAILED;
	st->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (st->uffd < 0)
		return -errno;
	if (ioctl(st->uffd, UFFDIO_API, &api))
		goto err;
	st->page = mmap(NULL, st->len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (st->page == MAP_FAILED)
		goto err;
	/* Only a present page takes a write-protect fault. */
	memset(st->page, 0, st->len);
	reg.range.start = (unsigned long)st->page;
	reg.range.len = st->len;
	if (ioctl(st->uffd, UFFDIO_REGISTER, &reg))
		goto err;
	return 0;

err:
	err = -errno;
	stall_destroy(st);
	return err;
}

/*
 * stall_init(), or a failed check that says why: the page to put the
 * ioctl's struct on, or NULL.
 */
static void *stall_page(struct stall *st)
{
	int err = stall_init(st);

	if (err) {
		tap_ok(false, "set up a page write-protected by userfaultfd: %s",
		       strerror(-err));
		return NULL;
	}
	return st->page;
}

/* Write-protect the page (@on), or lift it and wake the stalled writer. */
static int stall_protect(struct stall *st, bool on)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = (unsigned long)st->page, .len = st->len },
		.mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(st->uffd, UFFDIO_WRITEPROTECT, &wp) ? -errno : 0;
}

/*
 * Wait for the write-protect fault of a write to the page: 0 once a copy
 * to it is stalled, -ETIMEDOUT, or another -errno.
 */
static int stall_wait_fault(struct stall *st, int secs)
{
	struct pollfd pfd = { .fd = st->uffd, .events = POLLIN };
	struct uffd_msg msg;
	int n;

	n = poll(&pfd, 1, secs * 1000);
	if (n < 0)
		return -errno;
	if (!n)
		return -ETIMEDOUT;
	if (read(st->uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -EIO;
	if (msg.event != UFFD_EVENT_PAGEFAULT ||
	    !(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) ||
	    msg.arg.pagefault.address - (unsigned long)st->page >= st->len)
		return -EPROTO;
	return 0;
}

/*
 * One call run in a thread of its own, so that the test goes on if it
 * hangs. A job is never freed: a thread left behind may still finish.
 */
struct job {
	char what[96];
	int (*fn)(struct job *j);
	int dev;		/* /dev/liveupdate */
	int fd;			/* the session fd the call is made on */
	int file;		/* a file to preserve */
	const char *name;	/* a session name */
	struct handover *h;	/* the handover session it works on */
	unsigned long cmd;	/* the stalled ioctl: command and struct */
	void *arg;
	/* written by the thread before @done */
	int ret;
	bool ok;
	char why[160];
	bool done;
	bool late;		/* it did not complete in time */
};

static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_cond;
#define MAX_JOBS	128
static struct job *jobs[MAX_JOBS];
static int nr_jobs;

/* Record whether the call gave the right result and why; returns @ret. */
__printf(4, 5)
static int job_result(struct job *j, bool ok, int ret, const char *fmt, ...)
{
	va_list ap;

	j->ok = ok;
	va_start(ap, fmt);
	vsnprintf(j->why, sizeof(j->why), fmt, ap);
	va_end(ap);
	return ret;
}

static void *job_main(void *p)
{
	struct job *j = p;
	int ret = j->fn(j);

	pthread_mutex_lock(&job_lock);
	j->ret = ret;
	j->done = true;
	pthread_cond_broadcast(&job_cond);
	pthread_mutex_unlock(&job_lock);
	return NULL;
}

static void job_init(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&job_cond, &attr);
	pthread_condattr_destroy(&attr);
}

/* A job of @fn described as @fmt; the caller fills in its inputs. */
__printf(2, 3)
static struct job *job_new(int (*fn)(struct job *j), const char *fmt, ...)
{
	struct job *j = calloc(1, sizeof(*j));
	va_list ap;

	if (!j) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	j->fn = fn;
	j->fd = -1;
	j->file = -1;
	va_start(ap, fmt);
	vsnprintf(j->what, sizeof(j->what), fmt, ap);
	va_end(ap);
	return j;
}

static struct job *job_start(struct job *j)
{
	pthread_attr_t attr;
	pthread_t th;
	int err;

	if (j->h)
		j->h->job = j;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&th, &attr, job_main, j);
	pthread_attr_destroy(&attr);
	if (err) {
		j->ret = job_result(j, false, -err, "pthread_create: %s",
				    strerror(err));
		j->done = true;
		return j;
	}
	if (nr_jobs < MAX_JOBS)
		jobs[nr_jobs++] = j;
	return j;
}

/* Wait until @j is done, for @secs at most: whether it is. */
static bool job_wait(struct job *j, int secs)
{
	struct timespec until;
	bool done;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += secs;
	pthread_mutex_lock(&job_lock);
	while (!j->done &&
	       pthread_cond_timedwait(&job_cond, &job_lock, &until) != ETIMEDOUT)
		;
	done = j->done;
	pthread_mutex_unlock(&job_lock);
	return done;
}

static bool job_done(struct job *j)
{
	bool done;

	pthread_mutex_lock(&job_lock);
	done = !j || j->done;
	pthread_mutex_unlock(&job_lock);
	return done;
}

/*
 * Two results for a call made while another is stalled: it completed in
 * time, and it gave the right result. Returns whether it completed.
 */
static bool job_report(struct job *j, const char *during)
{
	bool done = job_wait(j, STALL_DEADLINE);

	j->late = !done;
	tap_ok(done, "%s completes while %s", j->what, during);
	tap_ok(done && j->ok, "%s: %s", j->what,
	       done ? j->why : "no result, it still waits");
	return done;
}

/* The two results of a call that could not be made. */
static void job_skip(const char *what, const char *during, const char *why)
{
	tap_ok(false, "%s completes while %s (not run: %s)", what, during, why);
	tap_ok(false, "%s: not run", what);
}

/* Wait for the calls that were late, now that the stall is released. */
static void job_reap(void)
{
	for (int i = 0; i < nr_jobs; i++) {
		if (!jobs[i]->late)
			continue;
		jobs[i]->late = false;
		if (job_wait(jobs[i], STALL_DEADLINE))
			tap_note("%s completed only after the release (%s)",
				 jobs[i]->what, jobs[i]->why);
		else
			tap_note("%s still waits after the release",
				 jobs[i]->what);
	}
}

/*
 * Wait until a call of the test handler waits, as its stat @waiting
 * ("finish_waiting", ...) says, while @j runs: whether one does.
 */
static bool handler_waits(const char *waiting, struct job *j)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (luo_test_stat(waiting) == 1)
			return true;
		if (job_done(j))
			return false;
		usleep(10000);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - t0.tv_sec < STALL_DEADLINE);
	return false;
}

static int do_create(struct job *j)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH] = "";
	int fd = luo_create_session(j->dev, j->name);

	if (fd < 0)
		return job_result(j, false, fd, "CREATE_SESSION failed: %s",
				  strerror(-fd));
	luo_get_name(fd, name);
	return job_result(j, !strcmp(name, j->name), fd,
			  "fd %d, GET_NAME \"%s\"", fd, name);
}

static int do_preserve(struct job *j)
{
	int err = luo_preserve_fd(j->fd, j->file, 1);

	return job_result(j, !err, err, "%s", err ? strerror(-err) : "preserved");
}

static int do_close(struct job *j)
{
	int err = close(j->fd) ? -errno : 0;

	if (!err && j->h)
		j->h->fd = -1;
	return job_result(j, !err, err, "%s", err ? strerror(-err) : "closed");
}

static int do_get_name(struct job *j)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH] = "";
	int err = luo_get_name(j->fd, name);

	return job_result(j, !err && !strcmp(name, j->name), err,
			  "\"%s\" (%s)", name, err ? strerror(-err) : "ok");
}

/* The stalled call; the caller judges its result. */
static int do_ioctl(struct job *j)
{
	int ret = ioctl(j->fd, j->cmd, j->arg) ? -errno : 0;

	return job_result(j, !ret, ret, "%s", ret ? strerror(-ret) : "returned");
}

/* Open /dev/liveupdate; the fd is the result. */
static int do_open(struct job *j)
{
	int fd = luo_open_device();

	return job_result(j, fd >= 0, fd, "%s", fd < 0 ? strerror(-fd) : "opened");
}

/* Read the fdinfo of @j->fd: an open outgoing session @j->name, one file. */
static int do_fdinfo(struct job *j)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH] = "", st[16] = "";
	char nf[16] = "";
	int err;

	err = luo_fdinfo(j->fd, "name", name, sizeof(name));
	if (!err)
		err = luo_fdinfo(j->fd, "state", st, sizeof(st));
	if (!err)
		err = luo_fdinfo(j->fd, "files", nf, sizeof(nf));
	return job_result(j, !err && !strcmp(name, j->name) &&
			  !strcmp(st, "open") && !strcmp(nf, "1"), err,
			  "name %s, state %s, files %s (%s)", name, st, nf,
			  err ? strerror(-err) : "ok");
}

/*
 * Read the debugfs list of sessions: it must list session @j->name and
 * hold a line that starts with @j->arg.
 */
static int do_list(struct job *j)
{
	char *text = luo_read_text(LUO_DEBUGFS_SESSIONS);
	char session[LIVEUPDATE_SESSION_NAME_LENGTH + 2], line[64];
	bool listed, holds;

	if (!text)
		return job_result(j, false, -errno, "cannot read it: %s",
				  strerror(errno));
	snprintf(session, sizeof(session), " %s\n", j->name);
	snprintf(line, sizeof(line), "\n%s", (char *)j->arg);
	listed = strstr(text, session);
	holds = strstr(text, line);
	free(text);
	return job_result(j, listed && holds, 0, "%s %s, %s a line \"%s\"",
			  listed ? "lists" : "does not list", j->name,
			  holds ? "holds" : "does not hold", (char *)j->arg);
}

/* A live update that must be refused with EIO. */
static int do_kexec(struct job *j)
{
	int err = reboot(LINUX_REBOOT_CMD_KEXEC) ? -errno : 0;

	return job_result(j, err == -EIO, err, "%s",
			  err ? strerror(-err) : "returned 0");
}

/* Check the file of @h (a memfd or a test file); if it differs, say why. */
static bool check_file(struct handover *h, int file, char *why)
{
	uint64_t v = 0;

	if (!h->test_file)
		return luo_check_memfd(file, h->size, h->token, 0, why);
	if (luo_ftype_value(file, &v) || v != TEST_VALUE(h->token)) {
		sprintf(why, "holds %#llx, expected %#llx",
			(unsigned long long)v,
			(unsigned long long)TEST_VALUE(h->token));
		return false;
	}
	return true;
}

static int do_retrieve(struct job *j)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH] = "";
	int fd = luo_retrieve_session(j->dev, j->h->name);

	if (fd < 0)
		return job_result(j, false, fd, "RETRIEVE_SESSION failed: %s",
				  strerror(-fd));
	j->h->fd = fd;
	luo_get_name(fd, name);
	return job_result(j, !strcmp(name, j->h->name), fd,
			  "fd %d, GET_NAME \"%s\"", fd, name);
}

static int do_retrieve_fd(struct job *j)
{
	int file = luo_retrieve_fd(j->h->fd, j->h->token);
	char why[128];
	bool ok;

	if (file < 0)
		return job_result(j, false, file, "RETRIEVE_FD failed: %s",
				  strerror(-file));
	ok = check_file(j->h, file, why);
	close(file);
	return job_result(j, ok, 0, "%s", ok ? "the file is intact" : why);
}

static int do_finish(struct job *j)
{
	int err = luo_finish(j->h->fd);

	return job_result(j, !err, err, "%s", err ? strerror(-err) : "finished");
}

/*
 * One call on handover session @h in a thread, if @go: two results.
 * Returns whether it completed.
 */
static bool step(int dev, struct handover *h, int (*fn)(struct job *j),
		 const char *what, bool go, const char *during)
{
	struct job *j;

	if (!go) {
		char desc[96];

		snprintf(desc, sizeof(desc), "%s %s", what, h->name);
		job_skip(desc, during, "an earlier call on it failed");
		return false;
	}
	j = job_new(fn, "%s %s", what, h->name);
	j->dev = dev;
	j->fd = h->fd;
	j->h = h;
	return job_report(job_start(j), during);
}

#define WORK_CHECKS	14
/*
 * The work other callers do while one is stalled: retrieve @other, its
 * file, FINISH it and close it; retrieve the file of @pre, which was
 * retrieved before the stall, FINISH it and close it. WORK_CHECKS results.
 */
static void work_elsewhere(int dev, struct handover *other,
			   struct handover *pre, const char *during)
{
	bool go;

	go = step(dev, other, do_retrieve, "RETRIEVE_SESSION", true, during) &&
	     other->fd >= 0;
	go = step(dev, other, do_retrieve_fd, "RETRIEVE_FD of", go, during);
	go = step(dev, other, do_finish, "FINISH", go, during);
	step(dev, other, do_close, "close", go, during);

	go = pre->fd >= 0;
	go = step(dev, pre, do_retrieve_fd, "RETRIEVE_FD of", go, during);
	go = step(dev, pre, do_finish, "FINISH", go, during);
	step(dev, pre, do_close, "close", go, during);
}

/* Create sessions @names[0..n-1] into @fds; whether all were created. */
static bool create_sessions(int dev, const char * const *names, int *fds,
			    int n)
{
	bool ok = true;

	for (int i = 0; i < n; i++) {
		fds[i] = luo_create_session(dev, names[i]);
		ok &= fds[i] >= 0;
	}
	return ok;
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * The create of session @other, a preserve into @preserve_into and the
 * close of @to_close, while @during: six results. The create's job goes
 * to @created, the close's to @closed.
 */
static void create_elsewhere(int dev, const char *other, int preserve_into,
			     int to_close, struct job **created,
			     struct job **closed, const char *during)
{
	struct job *j;
	int m;

	j = job_new(do_create, "CREATE_SESSION %s", other);
	j->dev = dev;
	j->name = other;
	*created = j;
	job_report(job_start(j), during);

	m = luo_make_memfd("stall", 0, 4096, 5, 0);
	j = job_new(do_preserve, "PRESERVE_FD of a memfd into another session");
	j->fd = preserve_into;
	j->file = m;
	job_report(job_start(j), during);

	j = job_new(do_close, "close of another outgoing session");
	j->fd = to_close;
	*closed = j;
	job_report(job_start(j), during);
}

/* Report the stalled call once released: it completes, and returns 0. */
static bool release_report(struct stall *st, struct job *stalled,
			   const char *what)
{
	bool done;

	if (!stalled) {
		tap_ok(false, "the stalled %s completes once released (it never started)",
		       what);
		return false;
	}
	stall_protect(st, false);
	done = job_wait(stalled, STALL_DEADLINE);
	tap_ok(done, "the stalled %s completes once released", what);
	return done && !stalled->ret;
}

/* What became of a stalled call, for a result line. */
static const char *stalled_why(struct job *stalled)
{
	if (!stalled)
		return "it never started";
	return job_done(stalled) ? stalled->why : "it still waits";
}

/* Stall @cmd on @fd with its struct @arg, set up on @st's page. */
static struct job *stall_start(struct stall *st, int fd, unsigned long cmd,
			       const char *what)
{
	struct job *j;
	int err;

	err = stall_protect(st, true);
	if (err) {
		tap_ok(false, "%s waits in its copy back (UFFDIO_WRITEPROTECT: %s)",
		       what, strerror(-err));
		return NULL;
	}
	j = job_new(do_ioctl, "the stalled %s", what);
	j->fd = fd;
	j->cmd = cmd;
	j->arg = st->page;
	job_start(j);
	err = stall_wait_fault(st, STALL_DEADLINE);
	tap_ok(!err, "%s waits in its copy back to a write-protected page (%s)",
	       what, err ? strerror(-err) : "uffd reported the fault");
	return j;
}

#define CREATE_STALL_CHECKS	13
static void create_stall(int dev)
{
	static const char * const names[] = { "cs-preserve", "cs-closer", "cs-name" };
	const char *during = "CREATE_SESSION stall-create is stalled";
	struct liveupdate_ioctl_create_session *arg = NULL;
	char name[LIVEUPDATE_SESSION_NAME_LENGTH] = "";
	struct job *stalled = NULL, *created, *closed, *j;
	int fds[3], fd = -1;
	struct stall st;

	tap_ok(create_sessions(dev, names, fds, 3),
	       "create sessions cs-preserve, cs-closer and cs-name");
	arg = stall_page(&st);
	if (arg) {
		arg->size = sizeof(*arg);
		arg->fd = -1;
		strcpy((char *)arg->name, "stall-create");
		stalled = stall_start(&st, dev, LIVEUPDATE_IOCTL_CREATE_SESSION,
				      "CREATE_SESSION stall-create");
	}

	create_elsewhere(dev, "cs-other", fds[0], fds[1], &created, &closed,
			 during);
	j = job_new(do_get_name, "GET_NAME of another session");
	j->fd = fds[2];
	j->name = names[2];
	job_report(job_start(j), during);

	if (release_report(&st, stalled, "CREATE_SESSION")) {
		fd = arg->fd;
		luo_get_name(fd, name);
	}
	tap_ok(fd >= 0 && !strcmp(name, "stall-create"),
	       "the stalled CREATE_SESSION returns fd %d of session \"%s\" (%s)",
	       fd, name, stalled_why(stalled));
	job_reap();
	if (fd >= 0)
		close(fd);

	/* The closed session is gone: its name can be taken again. */
	fd = job_done(closed) ? luo_create_session(dev, names[1]) : -EBUSY;
	tap_ok(fd >= 0, "the closed session's name can be created again (%s)",
	       fd < 0 ? strerror(-fd) : "ok");
	if (fd >= 0)
		close(fd);
	if (job_done(created) && created->ret >= 0)
		close(created->ret);
	fds[1] = -1;
	close_fds(fds, 3);
	stall_destroy(&st);
}

#define GET_NAME_STALL_CHECKS	10
static void get_name_stall(int dev)
{
	static const char * const names[] = { "gn-stall", "gn-pre", "gn-closer" };
	const char *during = "GET_NAME of gn-stall is stalled";
	struct liveupdate_session_get_name *arg = NULL;
	struct job *stalled = NULL, *created, *closed;
	int fds[3];
	struct stall st;
	bool ok = false;

	tap_ok(create_sessions(dev, names, fds, 3),
	       "create sessions gn-stall, gn-pre and gn-closer");
	arg = stall_page(&st);
	if (arg) {
		arg->size = sizeof(*arg);
		stalled = stall_start(&st, fds[0], LIVEUPDATE_SESSION_GET_NAME,
				      "GET_NAME of gn-stall");
	}

	create_elsewhere(dev, "gn-other", fds[1], fds[2], &created, &closed,
			 during);

	if (release_report(&st, stalled, "GET_NAME"))
		ok = arg && !strcmp((char *)arg->name, "gn-stall");
	tap_ok(ok, "the stalled GET_NAME returns \"%s\" (%s)",
	       arg ? (char *)arg->name : "", stalled_why(stalled));
	job_reap();
	if (job_done(created) && created->ret >= 0)
		close(created->ret);
	fds[2] = -1;
	close_fds(fds, 3);
	stall_destroy(&st);
}

#define FREEZE_STALL_CHECKS	13
/*
 * A live update whose freeze waits in the handler (freeze_block), then
 * fails (fail_freeze): fdinfo and the debugfs list of sessions are read
 * meanwhile, and the refused live update leaves everything usable.
 */
static void freeze_stall(int dev)
{
	const char *during = "the live update waits in the handler's freeze";
	long long failed = luo_test_stat("freeze_failed");
	struct job *kexec, *j;
	int fds[2], mem, mem2, file, err, fd;
	char name[LIVEUPDATE_SESSION_NAME_LENGTH] = "";
	char *text;
	bool ok;

	/* fz-mem first: its memfd freezes before fz-block's file waits. */
	fds[0] = luo_create_session(dev, "fz-mem");
	fds[1] = luo_create_session(dev, "fz-block");
	mem = luo_make_memfd("fz-mem", 0, 4096, 51, 0);
	file = luo_ftype_open(TEST_VALUE(52));
	tap_ok(fds[0] >= 0 && fds[1] >= 0 && mem >= 0 && file >= 0 &&
	       !luo_preserve_fd(fds[0], mem, 51) &&
	       !luo_preserve_fd(fds[1], file, 52),
	       "session fz-mem holds a memfd, then fz-block a test-handler file");
	err = luo_write_file(FAIL_FREEZE_PARAM, "1");
	if (!err)
		err = luo_write_file(FREEZE_BLOCK_PARAM, BLOCK_SECS);
	tap_ok(!err, "make the next freeze wait, then fail (freeze_block=%s, fail_freeze=1: %s)",
	       BLOCK_SECS, err ? strerror(-err) : "ok");

	kexec = job_new(do_kexec, "reboot(LINUX_REBOOT_CMD_KEXEC)");
	job_start(kexec);
	ok = handler_waits("freeze_waiting", kexec);
	tap_ok(ok, "%s (freeze_waiting %lld)", during,
	       luo_test_stat("freeze_waiting"));

	j = job_new(do_fdinfo, "reading the fdinfo of fz-block's fd");
	j->fd = fds[1];
	j->name = "fz-block";
	job_report(job_start(j), during);
	j = job_new(do_list, "reading %s", LUO_DEBUGFS_SESSIONS);
	j->name = "fz-block";
	j->arg = (void *)"file 51 frozen ";
	job_report(job_start(j), during);
	/* Not a timing test: they completed while the freeze still waited. */
	tap_ok(luo_test_stat("freeze_waiting") == 1 && !job_done(kexec),
	       "once they returned, the freeze still waits (freeze_waiting %lld, reboot %s)",
	       luo_test_stat("freeze_waiting"),
	       job_done(kexec) ? "returned" : "waits");

	luo_write_file(FREEZE_RELEASE, "1");
	ok = job_wait(kexec, STALL_DEADLINE);
	tap_ok(ok, "reboot completes once the freeze is released");
	tap_ok(ok && kexec->ok &&
	       luo_test_stat("freeze_failed") == failed + 1 &&
	       !luo_test_stat("freeze_timeout"),
	       "reboot returns EIO (%s): the released freeze failed (%lld), not timed out (%lld)",
	       ok ? kexec->why : "no result",
	       luo_test_stat("freeze_failed") - failed,
	       luo_test_stat("freeze_timeout"));
	err = luo_write_file(FREEZE_BLOCK_PARAM, "0");
	tap_ok(!err, "freeze no longer waits (freeze_block=0: %s)",
	       err ? strerror(-err) : "ok");
	job_reap();

	text = luo_read_text(LUO_DEBUGFS_SESSIONS);
	tap_ok(text && !strstr(text, " frozen ") &&
	       strstr(text, "\nfile 51 preserved ") &&
	       strstr(text, "\nfile 52 preserved "),
	       "no file is frozen any more: both are listed preserved");
	free(text);
	mem2 = luo_make_memfd("fz-mem-2", 0, 4096, 53, 0);
	err = mem2 >= 0 && fds[0] >= 0 ? luo_preserve_fd(fds[0], mem2, 53) :
					  -EBADF;
	if (!err)
		err = luo_get_name(fds[1], name);
	fd = err ? err : luo_create_session(dev, "fz-after");
	tap_ok(fd >= 0 && !strcmp(name, "fz-block"),
	       "the sessions are usable: PRESERVE_FD into fz-mem, GET_NAME of fz-block, CREATE_SESSION (%s)",
	       fd < 0 ? strerror(-fd) : "ok");
	if (fd >= 0)
		close(fd);
	close_fds(fds, 2);
	close_fds((int []){ mem, mem2, file }, 3);
}

#define PRESERVE_STALL_CHECKS	(3 + 4 + 6 + 4)
/*
 * PRESERVE_FD into "pv-block" waits in the handler's preserve
 * (preserve_block): /dev/liveupdate @dev is closed and opened again, and
 * other sessions are created (through the new fd), preserved into and
 * closed meanwhile. Returns the device fd open now, or -1.
 */
static int preserve_stall(int dev)
{
	static const char * const names[] = { "pv-block", "pv-into", "pv-closer" };
	const char *during = "PRESERVE_FD into pv-block waits in the handler's preserve";
	long long preserved = luo_test_stat("preserve");
	struct job *stalled, *opened, *created, *closed, *j;
	int fds[3], file, err, ndev = -1;
	bool ok;

	ok = create_sessions(dev, names, fds, 3);
	file = luo_ftype_open(TEST_VALUE(61));
	tap_ok(ok && file >= 0,
	       "create sessions pv-block, pv-into and pv-closer, open a test-handler file");
	err = luo_write_file(PRESERVE_BLOCK_PARAM, BLOCK_SECS);
	tap_ok(!err, "make the handler's preserve wait (preserve_block=%s: %s)",
	       BLOCK_SECS, err ? strerror(-err) : "ok");

	stalled = job_new(do_preserve, "PRESERVE_FD into pv-block");
	stalled->fd = fds[0];
	stalled->file = file;
	job_start(stalled);
	ok = handler_waits("preserve_waiting", stalled);
	tap_ok(ok, "%s (preserve_waiting %lld)", during,
	       luo_test_stat("preserve_waiting"));

	j = job_new(do_close, "close of %s", LUO_DEVICE);
	j->fd = dev;
	job_report(job_start(j), during);
	opened = job_new(do_open, "open of %s again", LUO_DEVICE);
	if (job_report(job_start(opened), during) && opened->ret >= 0)
		ndev = opened->ret;
	else
		tap_note("no %s to create a session through", LUO_DEVICE);
	create_elsewhere(ndev, "pv-other", fds[1], fds[2], &created, &closed,
			 during);
	/* Not a timing test: they completed while the preserve still waited. */
	tap_ok(luo_test_stat("preserve_waiting") == 1 && !job_done(stalled),
	       "once they returned, the preserve still waits (preserve_waiting %lld)",
	       luo_test_stat("preserve_waiting"));

	luo_write_file(PRESERVE_RELEASE, "1");
	ok = job_wait(stalled, STALL_DEADLINE);
	tap_ok(ok, "%s completes once the preserve is released", stalled->what);
	tap_ok(ok && stalled->ok &&
	       luo_test_stat("preserve") == preserved + 1 &&
	       !luo_test_stat("preserve_timeout"),
	       "%s: %s, preserve ran once (%lld), not timed out (%lld)",
	       stalled->what, ok ? stalled->why : "no result",
	       luo_test_stat("preserve") - preserved,
	       luo_test_stat("preserve_timeout"));
	err = luo_write_file(PRESERVE_BLOCK_PARAM, "0");
	tap_ok(!err, "preserve no longer waits (preserve_block=0: %s)",
	       err ? strerror(-err) : "ok");
	job_reap();
	/* An open that was late may have completed since. */
	if (ndev < 0 && job_done(opened) && opened->ret >= 0)
		ndev = opened->ret;
	if (job_done(created) && created->ret >= 0)
		close(created->ret);
	fds[2] = -1;
	close_fds(fds, 3);
	if (file >= 0)
		close(file);
	return ndev;
}

/* Create session @h and preserve its file; whether it worked. */
static bool prepare_handover(int dev, struct handover *h)
{
	int file;

	h->fd = luo_create_session(dev, h->name);
	if (h->fd < 0)
		return false;
	if (h->test_file)
		file = luo_ftype_open(TEST_VALUE(h->token));
	else
		file = luo_make_memfd(h->name, 0, h->size, h->token, 0);
	/* Both stay open until the kexec. */
	return file >= 0 && !luo_preserve_fd(h->fd, file, h->token);
}

/* /dev/liveupdate in the child. */
static int child_dev;

/* The child's stalled call, with its struct @arg. */
static void *stalled_create(void *arg)
{
	ioctl(child_dev, LIVEUPDATE_IOCTL_CREATE_SESSION, arg);
	return NULL;
}

/*
 * The child: stall CREATE_SESSION "stalled-at-kexec" in a thread of its
 * own, tell the parent through @wfd once it is stalled ('S', or 'F' if it
 * could not be), and never let it go.
 */
static __noreturn void kexec_staller(int dev, int wfd)
{
	struct liveupdate_ioctl_create_session *arg;
	struct stall st;
	pthread_t th;
	char c = 'F';

	if (!stall_init(&st)) {
		arg = st.page;
		arg->size = sizeof(*arg);
		arg->fd = -1;
		strcpy((char *)arg->name, "stalled-at-kexec");
		child_dev = dev;
		if (!stall_protect(&st, true) &&
		    !pthread_create(&th, NULL, stalled_create, arg) &&
		    !stall_wait_fault(&st, STALL_DEADLINE))
			c = 'S';
	}
	if (write(wfd, &c, 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

static pid_t kexec_child;

/* Started with the live update: end the stall of @arg's child if it hangs. */
static void *kexec_watchdog(void *arg)
{
	pid_t child = *(pid_t *)arg;

	sleep(KEXEC_DEADLINE);
	printf("Bail out! no live update %d s after it started, with a CREATE_SESSION\n",
	       KEXEC_DEADLINE);
	printf("# stalled in another process; killing that process to end the stall\n");
	fflush(stdout);
	kill(child, SIGKILL);
	return NULL;
}

/* Fork the child that stalls a CREATE_SESSION; whether it did. */
static bool stall_in_child(int dev)
{
	struct pollfd pfd;
	int p[2];
	char c = 0;

	if (pipe(p))
		return false;
	fflush(stdout);
	kexec_child = fork();
	if (kexec_child < 0)
		return false;
	if (!kexec_child) {
		close(p[0]);
		kexec_staller(dev, p[1]);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, (STALL_DEADLINE + 5) * 1000) == 1 &&
	    read(p[0], &c, 1) != 1)
		c = 0;
	close(p[0]);
	return c == 'S';
}

static int stage1(void)
{
	bool ready = true;
	pthread_t th;
	int dev;

	tap_plan(2 + CREATE_STALL_CHECKS + GET_NAME_STALL_CHECKS +
		 FREEZE_STALL_CHECKS + PRESERVE_STALL_CHECKS + NR_HANDOVERS + 1);
	tap_ok(!luo_insmod(LUO_FTYPE_MOD, "") && !luo_insmod(LUO_HANDLER_MOD, ""),
	       "insmod %s and %s", LUO_FTYPE_MOD, LUO_HANDLER_MOD);
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s", LUO_DEVICE))
		return tap_exit_code();

	create_stall(dev);
	get_name_stall(dev);
	freeze_stall(dev);
	dev = preserve_stall(dev);
	if (dev < 0) {
		printf("Bail out! no %s after the reopen\n", LUO_DEVICE);
		return 1;
	}

	for (int i = 0; i < NR_HANDOVERS; i++) {
		struct handover *h = &handovers[i];

		ready &= tap_ok(prepare_handover(dev, h),
				"session %s holds %s with token %llu", h->name,
				h->test_file ? "a test-handler file" : "a memfd",
				(unsigned long long)h->token);
	}
	tap_ok(stall_in_child(dev),
	       "CREATE_SESSION stalled-at-kexec waits in its copy back in another process");
	if (tap_exit_code())
		tap_note("some checks failed; the live update goes ahead all the same");
	if (!ready)
		return 1;
	tap_note("kexec while CREATE_SESSION stalled-at-kexec is stalled");
	if (kexec_child <= 0 ||
	    pthread_create(&th, NULL, kexec_watchdog, &kexec_child))
		tap_note("no watchdog: a live update that hangs is caught by the harness");
	luo_kexec();
}

/* Retrieve @h, its file, check it, FINISH and close it; why it failed. */
static bool claim(int dev, struct handover *h, char *why)
{
	int file, err;

	if (h->fd < 0) {
		h->fd = luo_retrieve_session(dev, h->name);
		if (h->fd < 0) {
			sprintf(why, "RETRIEVE_SESSION: %s", strerror(-h->fd));
			return false;
		}
	}
	file = luo_retrieve_fd(h->fd, h->token);
	if (file < 0) {
		sprintf(why, "RETRIEVE_FD: %s", strerror(-file));
		return false;
	}
	if (!check_file(h, file, why)) {
		close(file);
		return false;
	}
	close(file);
	err = luo_finish(h->fd);
	if (err) {
		sprintf(why, "FINISH: %s", strerror(-err));
		return false;
	}
	err = close(h->fd) ? -errno : 0;
	h->fd = -1;
	if (err) {
		sprintf(why, "close: %s", strerror(-err));
		return false;
	}
	strcpy(why, "intact, finished and closed");
	return true;
}

/* Retrieve @h and check its file, in the main thread; fd or -errno. */
static int retrieve_checked(int dev, struct handover *h)
{
	char why[128];
	int file;

	h->fd = luo_retrieve_session(dev, h->name);
	if (h->fd < 0)
		return h->fd;
	file = luo_retrieve_fd(h->fd, h->token);
	if (file < 0)
		return file;
	if (!check_file(h, file, why)) {
		tap_note("%s: %s", h->name, why);
		close(file);
		return -EIO;
	}
	close(file);
	return h->fd;
}

#define RETRIEVE_STALL_CHECKS	(2 + WORK_CHECKS + 2)
static void retrieve_stall(int dev)
{
	const char *during = "RETRIEVE_SESSION ret-stall is stalled";
	struct handover *h = handover("ret-stall"), *pre = handover("ret-pre");
	struct liveupdate_ioctl_retrieve_session *arg = NULL;
	char name[LIVEUPDATE_SESSION_NAME_LENGTH] = "", why[160] = "";
	struct job *stalled = NULL;
	struct stall st;
	int fd = -1;

	pre->fd = luo_retrieve_session(dev, pre->name);
	tap_ok(pre->fd >= 0, "retrieve ret-pre before the stall");
	arg = stall_page(&st);
	if (arg) {
		arg->size = sizeof(*arg);
		arg->fd = -1;
		strcpy((char *)arg->name, h->name);
		stalled = stall_start(&st, dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION,
				      "RETRIEVE_SESSION ret-stall");
	}

	work_elsewhere(dev, handover("ret-other"), pre, during);

	if (release_report(&st, stalled, "RETRIEVE_SESSION")) {
		fd = arg->fd;
		luo_get_name(fd, name);
		h->fd = fd;
	}
	if (fd < 0)
		snprintf(why, sizeof(why), "%s", stalled_why(stalled));
	tap_ok(fd >= 0 && !strcmp(name, h->name) && claim(dev, h, why),
	       "the stalled RETRIEVE_SESSION returns fd %d of \"%s\": %s", fd,
	       name, why);
	job_reap();
	stall_destroy(&st);
}

#define RETRIEVE_FD_STALL_CHECKS	(2 + WORK_CHECKS + 2)
static void retrieve_fd_stall(int dev)
{
	const char *during = "RETRIEVE_FD of fd-stall's file is stalled";
	struct handover *h = handover("fd-stall"), *pre = handover("fd-pre");
	struct liveupdate_session_retrieve_fd *arg = NULL;
	struct job *stalled = NULL;
	char why[160] = "";
	struct stall st;
	bool ok = false;

	h->fd = luo_retrieve_session(dev, h->name);
	pre->fd = luo_retrieve_session(dev, pre->name);
	tap_ok(h->fd >= 0 && pre->fd >= 0,
	       "retrieve fd-stall and fd-pre before the stall");
	arg = stall_page(&st);
	if (arg) {
		arg->size = sizeof(*arg);
		arg->fd = -1;
		arg->token = h->token;
		stalled = stall_start(&st, h->fd, LIVEUPDATE_SESSION_RETRIEVE_FD,
				      "RETRIEVE_FD of fd-stall's file");
	}

	work_elsewhere(dev, handover("fd-other"), pre, during);

	if (release_report(&st, stalled, "RETRIEVE_FD")) {
		ok = arg->fd >= 0 && check_file(h, arg->fd, why);
		if (arg->fd >= 0)
			close(arg->fd);
	} else {
		snprintf(why, sizeof(why), "%s", stalled_why(stalled));
	}
	if (ok && luo_finish(h->fd)) {
		strcpy(why, "FINISH of fd-stall failed");
		ok = false;
	}
	tap_ok(ok, "the stalled RETRIEVE_FD returns the file, intact%s%s",
	       ok ? "" : ": ", why);
	if (job_done(stalled)) {
		close(h->fd);
		h->fd = -1;
	}
	job_reap();
	stall_destroy(&st);
}

#define SLOW_CHECKS	(3 + WORK_CHECKS + 2)
/*
 * The handler's finish waits (finish_block): in the close of "slow-close"
 * (@by_close), or in FINISH of "slow-finish".
 */
static void slow_finish(int dev, bool by_close)
{
	const char *during = by_close ?
		"closing slow-close waits in the handler's finish" :
		"FINISH of slow-finish waits in the handler's finish";
	struct handover *h = handover(by_close ? "slow-close" : "slow-finish");
	struct handover *pre = handover(by_close ? "sc-pre" : "sf-pre");
	long long finished = luo_test_stat("finish");
	struct job *j;
	int err;
	bool ok;

	ok = retrieve_checked(dev, h) >= 0;
	pre->fd = luo_retrieve_session(dev, pre->name);
	tap_ok(ok && pre->fd >= 0, "retrieve %s (its test file intact) and %s",
	       h->name, pre->name);
	err = luo_write_file(FINISH_BLOCK_PARAM, BLOCK_SECS);
	tap_ok(!err, "make the handler's finish wait (finish_block=%s: %s)",
	       BLOCK_SECS, err ? strerror(-err) : "ok");

	j = job_new(by_close ? do_close : do_finish, "%s %s",
		    by_close ? "close" : "FINISH", h->name);
	j->fd = h->fd;
	j->h = h;
	job_start(j);
	ok = handler_waits("finish_waiting", j);
	tap_ok(ok, "%s (finish_waiting %lld)", during,
	       luo_test_stat("finish_waiting"));

	work_elsewhere(dev, handover(by_close ? "sc-other" : "sf-other"), pre,
		       during);

	luo_write_file(FINISH_RELEASE, "1");
	ok = job_wait(j, STALL_DEADLINE);
	tap_ok(ok, "%s completes once the finish is released", j->what);
	tap_ok(ok && j->ok && luo_test_stat("finish") == finished + 1 &&
	       !luo_test_stat("finish_timeout"),
	       "%s: %s, finish ran once (%lld), released, not timed out (%lld)",
	       j->what, ok ? j->why : "no result", luo_test_stat("finish") - finished,
	       luo_test_stat("finish_timeout"));
	job_reap();
	/* A finished session: its close calls no finish. */
	if (!by_close && job_done(j) && h->fd >= 0) {
		close(h->fd);
		h->fd = -1;
	}
}

/*
 * claim() of @h, with the fdinfo of its session fd checked once retrieved
 * and once finished (a dup keeps the session open after claim() closes
 * its fd).
 */
static void fdinfo_claim(int dev, struct handover *h)
{
	char dir[16] = "", st[16] = "", nf[16] = "";
	char fst[16] = "", fnf[16] = "", why[128];
	int keep = -1;

	h->fd = luo_retrieve_session(dev, h->name);
	if (h->fd >= 0) {
		luo_fdinfo(h->fd, "direction", dir, sizeof(dir));
		luo_fdinfo(h->fd, "state", st, sizeof(st));
		luo_fdinfo(h->fd, "files", nf, sizeof(nf));
		keep = dup(h->fd);
	}
	tap_ok(!strcmp(dir, "incoming") && !strcmp(st, "retrieved") &&
	       !strcmp(nf, "1"),
	       "fdinfo of retrieved %s: direction %s, state %s, files %s",
	       h->name, dir, st, nf);
	tap_ok(claim(dev, h, why), "%s: %s", h->name, why);
	if (keep >= 0) {
		luo_fdinfo(keep, "state", fst, sizeof(fst));
		luo_fdinfo(keep, "files", fnf, sizeof(fnf));
		close(keep);
	}
	tap_ok(!strcmp(fst, "finished") && !strcmp(fnf, "0"),
	       "fdinfo of finished %s: state %s, files %s", h->name, fst, fnf);
}

static int stage2(void)
{
	char why[128];
	int dev, r, left = 0;

	tap_plan(3 + 3 + 2 + RETRIEVE_STALL_CHECKS + RETRIEVE_FD_STALL_CHECKS +
		 2 * SLOW_CHECKS + 3);
	/* Before the first open, which rebuilds the sessions. */
	tap_ok(!luo_insmod(LUO_FTYPE_MOD, "") && !luo_insmod(LUO_HANDLER_MOD, ""),
	       "insmod %s and %s", LUO_FTYPE_MOD, LUO_HANDLER_MOD);
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "open %s after the live update (%s)", LUO_DEVICE,
		    dev < 0 ? strerror(-dev) : "ok"))
		return tap_exit_code();
	r = luo_retrieve_session(dev, "stalled-at-kexec");
	tap_ok(r == -ENOENT, "stalled-at-kexec is not in the handover: ENOENT (%s)",
	       r < 0 ? strerror(-r) : "retrieved");
	if (r >= 0)
		close(r);
	fdinfo_claim(dev, handover("keep-1"));
	for (int i = 2; i <= 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "keep-%d", i);
		tap_ok(claim(dev, handover(name), why), "%s: %s", name, why);
	}

	retrieve_stall(dev);
	retrieve_fd_stall(dev);
	slow_finish(dev, true);
	slow_finish(dev, false);

	r = luo_write_file(FINISH_BLOCK_PARAM, "0");
	tap_ok(!r, "finish no longer waits (finish_block=0: %s)",
	       r ? strerror(-r) : "ok");
	/* Claim what a failed check left; a call still stuck keeps its session. */
	for (int i = 0; i < NR_HANDOVERS; i++) {
		struct handover *h = &handovers[i];

		if (!job_done(h->job)) {
			tap_note("%s: a call on it still waits", h->name);
			left++;
			continue;
		}
		if (h->fd < 0) {
			h->fd = luo_retrieve_session(dev, h->name);
			if (h->fd == -ENOENT)
				continue;
		}
		tap_note("%s: left open or unclaimed by its case", h->name);
		left++;
		if (h->fd >= 0) {
			luo_finish(h->fd);
			close(h->fd);
			h->fd = -1;
		}
	}
	tap_ok(!left, "every session was claimed by its case (%d left)", left);
	left = 0;
	for (int i = 0; i < NR_HANDOVERS; i++) {
		r = luo_retrieve_session(dev, handovers[i].name);
		if (r != -ENOENT) {
			tap_note("%s: %s", handovers[i].name,
				 r >= 0 ? "still there" : strerror(-r));
			left++;
		}
		if (r >= 0)
			close(r);
	}
	tap_ok(!left, "no session is left to retrieve (%d)", left);
	close(dev);
	return tap_exit_code();
}

int main(int argc, char **argv)
{
	job_init();
	if (luo_parse_args(argc, argv, NULL) == 1)
		return stage1();
	return stage2();
}
