// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the Live Update Orchestrator test programs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/reboot.h>

#include "luo_test_utils.h"

int luo_open_device(void)
{
	int fd = open(LUO_DEVICE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int luo_session_ioctl(int dev, unsigned long cmd, const char *name)
{
	struct liveupdate_ioctl_create_session arg;

	/* create and retrieve share one layout */
	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	arg.fd = -1;
	strncpy((char *)arg.name, name, sizeof(arg.name) - 1);
	if (ioctl(dev, cmd, &arg))
		return -errno;
	return arg.fd;
}

int luo_create_session(int dev, const char *name)
{
	return luo_session_ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, name);
}

int luo_retrieve_session(int dev, const char *name)
{
	return luo_session_ioctl(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, name);
}

int luo_preserve_fd(int session, int fd, uint64_t token)
{
	struct liveupdate_session_preserve_fd arg = {
		.size = sizeof(arg),
		.fd = fd,
		.token = token,
	};

	return ioctl(session, LIVEUPDATE_SESSION_PRESERVE_FD, &arg) ? -errno : 0;
}

int luo_retrieve_fd(int session, uint64_t token)
{
	struct liveupdate_session_retrieve_fd arg = {
		.size = sizeof(arg),
		.fd = -1,
		.token = token,
	};

	if (ioctl(session, LIVEUPDATE_SESSION_RETRIEVE_FD, &arg))
		return -errno;
	return arg.fd;
}

int luo_finish(int session)
{
	struct liveupdate_session_finish arg = { .size = sizeof(arg) };

	return ioctl(session, LIVEUPDATE_SESSION_FINISH, &arg) ? -errno : 0;
}

int luo_get_name(int session, char *name)
{
	struct liveupdate_session_get_name arg = { .size = sizeof(arg) };

	if (ioctl(session, LIVEUPDATE_SESSION_GET_NAME, &arg))
		return -errno;
	memcpy(name, arg.name, sizeof(arg.name));
	return 0;
}

int luo_raise_nofile(long n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= (rlim_t)n + 64)
		return 0;
	rl.rlim_cur = n + 64;
	if (rl.rlim_max < rl.rlim_cur)
		rl.rlim_max = rl.rlim_cur;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

/* xorshift64*: small, fast and the same on every kernel. */
uint64_t luo_rand_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

void luo_fill(void *buf, size_t len, uint64_t seed)
{
	uint64_t state = seed * 0x9e3779b97f4a7c15ULL + 1;
	unsigned char *p = buf;
	size_t i = 0;

	while (i < len) {
		uint64_t r = luo_rand_next(&state);
		size_t chunk = len - i < sizeof(r) ? len - i : sizeof(r);

		memcpy(p + i, &r, chunk);
		i += chunk;
	}
}

uint64_t luo_fnv1a(uint64_t hash, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++) {
		hash ^= p[i];
		hash *= 0x100000001b3ULL;
	}
	return hash;
}

int luo_make_memfd(const char *name, unsigned int flags, size_t size,
		   uint64_t seed, off_t pos)
{
	void *buf = NULL;
	int fd, err;

	fd = memfd_create(name, flags);
	if (fd < 0)
		return -errno;
	if (size) {
		buf = malloc(size);
		if (!buf) {
			err = -ENOMEM;
			goto out_close;
		}
		luo_fill(buf, size, seed);
		if (pwrite(fd, buf, size, 0) != (ssize_t)size) {
			err = -EIO;
			goto out_close;
		}
		free(buf);
	}
	if (lseek(fd, pos, SEEK_SET) != pos) {
		err = -errno;
		goto out_close;
	}
	return fd;

out_close:
	free(buf);
	close(fd);
	return err;
}

bool luo_check_memfd(int fd, size_t size, uint64_t seed, off_t pos,
		     char *why)
{
	unsigned char *want = NULL, *got = NULL;
	struct stat st;
	bool ok = false;
	off_t cur;

	why[0] = '\0';
	if (fstat(fd, &st)) {
		sprintf(why, "fstat: %s", strerror(errno));
		return false;
	}
	if ((size_t)st.st_size != size) {
		sprintf(why, "size %lld, expected %zu",
			(long long)st.st_size, size);
		return false;
	}
	cur = lseek(fd, 0, SEEK_CUR);
	if (cur != pos) {
		sprintf(why, "position %lld, expected %lld",
			(long long)cur, (long long)pos);
		return false;
	}
	if (!size)
		return true;
	want = malloc(size);
	got = malloc(size);
	if (!want || !got) {
		sprintf(why, "out of memory");
		goto out;
	}
	if (pread(fd, got, size, 0) != (ssize_t)size) {
		sprintf(why, "short read");
		goto out;
	}
	luo_fill(want, size, seed);
	for (size_t i = 0; i < size; i++) {
		if (want[i] != got[i]) {
			sprintf(why, "content differs at offset %zu", i);
			goto out;
		}
	}
	ok = true;
out:
	free(want);
	free(got);
	return ok;
}

int luo_file_checksum(int fd, uint64_t *sum)
{
	static unsigned char buf[1 << 20];
	uint64_t hash = LUO_FNV_INIT;
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		hash = luo_fnv1a(hash, buf, n);
		off += n;
	}
	if (n < 0)
		return -errno;
	*sum = hash;
	return 0;
}

static int tap_planned;
static int tap_count;
static int tap_failed;

void tap_plan(int n)
{
	tap_planned = n;
	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
}

bool tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

void tap_vnote(const char *fmt, va_list ap)
{
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

void tap_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vnote(fmt, ap);
	va_end(ap);
}

int tap_exit_code(void)
{
	if (tap_count != tap_planned) {
		tap_note("planned %d tests, ran %d", tap_planned, tap_count);
		return 1;
	}
	tap_note("%d passed, %d failed", tap_count - tap_failed, tap_failed);
	return tap_failed ? 1 : 0;
}

int luo_parse_args(int argc, char **argv, long *n)
{
	int stage = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--stage") && i + 1 < argc)
			stage = atoi(argv[++i]);
		else if (!strncmp(argv[i], "--stage=", 8))
			stage = atoi(argv[i] + 8);
		else if (!strcmp(argv[i], "-n") && i + 1 < argc && n)
			*n = atol(argv[++i]);
		else if (!strncmp(argv[i], "-n", 2) && argv[i][2] && n)
			*n = atol(argv[i] + 2);
		else
			break;
	}
	/* a typo ("--rebuid") must not run another test */
	if (i < argc)
		fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], argv[i]);
	if (i < argc || (stage != 1 && stage != 2)) {
		fprintf(stderr, "usage: %s --stage 1|2%s\n", argv[0],
			n ? " [-n N]" : "");
		exit(2);
	}
	return stage;
}

int luo_insmod(const char *name, const char *params)
{
	char path[256];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s.ko", LUO_MODULE_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params, 0))
		err = -errno;
	close(fd);
	return err;
}

int luo_rmmod(const char *name)
{
	if (syscall(SYS_delete_module, name, O_NONBLOCK))
		return -errno;
	return 0;
}

long luo_module_refcnt(const char *name)
{
	char path[256];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%ld", &n) != 1)
		n = -EIO;
	fclose(f);
	return n;
}

int luo_registry_count(const char *compatible)
{
	char line[256], kind[16], name[128];
	int n = 0;
	FILE *f;

	f = fopen("/sys/kernel/debug/liveupdate/registry", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%15s %127s", kind, name) == 2 &&
		    !strcmp(name, compatible))
			n++;
	fclose(f);
	return n;
}

int luo_write_file(const char *path, const char *text)
{
	ssize_t len = strlen(text), n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n != len) {
		int err = n < 0 ? -errno : -EIO;

		close(fd);
		return err;
	}
	return close(fd) ? -errno : 0;
}

int luo_fdinfo(int fd, const char *key, char *val, size_t len)
{
	size_t klen = strlen(key);
	char path[64], line[256];
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':' ||
		    line[klen + 1] != '\t')
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(val, len, "%s", line + klen + 2);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

/* All of @path as a string (free() it), or NULL with errno set. */
char *luo_read_text(const char *path)
{
	size_t len = 0, size = 4096;
	char *buf = malloc(size), *bigger;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf)
		goto err;
	for (;;) {
		if (size - len < 2048) {
			bigger = realloc(buf, size *= 2);
			if (!bigger)
				goto err;
			buf = bigger;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0)
			goto err;
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
err:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/*
 * Mount tracefs if it is not, empty the trace buffer and enable every
 * liveupdate event. Returns 0 or -errno.
 */
int luo_trace_on(void)
{
	int fd;

	if (access(LUO_TRACEFS "/trace", F_OK) &&
	    mount("nodev", LUO_TRACEFS, "tracefs", 0, NULL))
		return -errno;
	/* Opening the trace for writing with O_TRUNC empties it. */
	fd = open(LUO_TRACEFS "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return luo_write_file(LUO_TRACEFS "/events/liveupdate/enable", "1");
}

/* How many lines of @text are exactly @line. */
int luo_count_lines(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p = text;
	int n = 0;

	while (p && *p) {
		if (!strncmp(p, line, len) && (p[len] == '\n' || !p[len]))
			n++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

long long luo_test_stat(const char *key)
{
	char name[64];
	long long v, found = -1;
	FILE *f;

	f = fopen("/sys/kernel/debug/luo_test/stats", "re");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &v) == 2)
		if (!strcmp(name, key))
			found = v;
	fclose(f);
	return found;
}

int luo_ftype_open(uint64_t value)
{
	int fd = open(LUO_FTYPE_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (write(fd, &value, sizeof(value)) != sizeof(value)) {
		int err = -errno;

		close(fd);
		return err ? err : -EIO;
	}
	return fd;
}

int luo_ftype_value(int fd, uint64_t *value)
{
	ssize_t n = read(fd, value, sizeof(*value));

	if (n < 0)
		return -errno;
	return n == sizeof(*value) ? 0 : -EIO;
}

/* Write @cmd to kmemleak's debugfs file; 0 or -errno. */
static int luo_kmemleak_cmd(const char *cmd)
{
	return luo_write_file(LUO_KMEMLEAK, cmd);
}

void luo_kmemleak_scan(const char *where)
{
	struct timespec t0, now;
	char buf[4096];
	ssize_t n;
	int fd;

	if (access(LUO_KMEMLEAK, F_OK))
		return;		/* a kernel without kmemleak */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = luo_kmemleak_cmd("scan");
	/* What the test allocated last must be 5 s old at the second scan. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - t0.tv_sec < 6)
		sleep(6 - (now.tv_sec - t0.tv_sec));
	if (fd || luo_kmemleak_cmd("scan")) {
		printf("LUO-KMEMLEAK error: cannot scan\n");
		fflush(stdout);
		return;
	}
	printf("LUO-KMEMLEAK begin %s\n", where);
	fflush(stdout);
	fd = open(LUO_KMEMLEAK, O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		if (write(STDOUT_FILENO, buf, n) != n)
			break;
	if (fd >= 0)
		close(fd);
	printf("LUO-KMEMLEAK end\n");
	fflush(stdout);
}

void luo_kexec(void)
{
	fflush(stdout);
	fflush(stderr);
	/*
	 * No kmemleak scan here: two scans cost about 30 s of a debug guest
	 * under TCG, per kexec test. The last kernel of every run scans, the
	 * uAPI selftests (which preserve and unpreserve everything this
	 * stage does) scan, and luo_fail_nth scans before its reboot sweep.
	 */
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	printf("Bail out! reboot(LINUX_REBOOT_CMD_KEXEC): %s\n",
	       strerror(errno));
	fflush(stdout);
	exit(1);
}
