// SPDX-License-Identifier: GPL-2.0
/*
 * luo_kexec_target - a live update checked against the record of the
 * kernel it kexecs into (LIVEUPDATE_IOCTL_SET_TARGET).
 *
 * The host reads the record of the target image (our kernel and the test
 * modules) with tools/liveupdate/liveupdate-record --raw and puts it in the
 * initramfs as /luo/bin/target-record.bin. Edited copies are made here.
 *
 * Stage 1: session "tgt" holds a memfd (token 1) and a file of the test
 * handler (token 2).
 * - The good record: 0 refused.
 * - A copy without memfd's entry: 1 refused, named in the log and marked in
 *   the debugfs list; the live update is refused with ENOEXEC before any
 *   freeze, and the memfd is still intact and the session usable.
 * - A copy that names another handover ABI: every session, file and FLB
 *   refused.
 * - Malformed records (magic, version, length, names), an oversized one,
 *   flags and reserved bits, the struct's size rules: errno, no splat.
 * - Cleared: 0 refused, nothing declared. The good record again: the live
 *   update goes ahead.
 * Stage 2: the memfd and the test file come back intact.
 *
 * Usage: luo_kexec_target --stage 1|2
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <unistd.h>
#include <linux/reboot.h>

#include "luo_kmsg.h"
#include "luo_test_utils.h"

#define RECORD_FILE	"/luo/bin/target-record.bin"
/* The handover ABI (include/linux/kho/abi/luo.h, not a uAPI header). */
#define LUO_ABI_COMPATIBLE	"luo-v5"
#define MEM_SIZE	20000
#define MEM_SEED	31
#define TEST_VALUE	777
#define REFUSED_LINE \
	"session 'tgt': file 1 (memfd-v2): the declared target would refuse it"
#define PRESERVED_LINE \
	"session 'tgt': file 3 (memfd-v2) is preserved, but the declared target would refuse it"

/* The good record, read once. */
static unsigned char *good;
static size_t good_len;

/* The whole file at @path in a new buffer, or NULL. */
static unsigned char *read_all(const char *path, size_t *lenp)
{
	unsigned char *buf = NULL, *nbuf;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	for (;;) {
		if (len == cap) {
			cap = cap ? 2 * cap : 4096;
			nbuf = realloc(buf, cap);
			if (!nbuf)
				break;
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n <= 0) {
			close(fd);
			if (n < 0 || !len) {
				free(buf);
				return NULL;
			}
			*lenp = len;
			return buf;
		}
		len += n;
	}
	close(fd);
	free(buf);
	return NULL;
}

/* How many lines of the debugfs list of sessions contain @needle. */
static int debugfs_count(const char *needle)
{
	char *text = luo_read_text(LUO_DEBUGFS_SESSIONS), *p = text, *eol;
	int n = 0;

	while (p && *p) {
		eol = strchr(p, '\n');
		if (eol)
			*eol = '\0';
		n += !!strstr(p, needle);
		p = eol ? eol + 1 : NULL;
	}
	free(text);
	return n;
}

static int set_target(int dev, const void *rec, size_t len, uint32_t flags,
		      uint32_t *nr)
{
	struct liveupdate_ioctl_set_target arg = {
		.size = sizeof(arg),
		.flags = flags,
		.record = (uintptr_t)rec,
		.record_len = len,
	};

	if (ioctl(dev, LIVEUPDATE_IOCTL_SET_TARGET, &arg))
		return -errno;
	if (nr)
		*nr = arg.nr_refused;
	return 0;
}

static struct liveupdate_record_entry *entries(unsigned char *rec,
					       size_t len, size_t *n)
{
	*n = (len - sizeof(struct liveupdate_record_header)) /
	     sizeof(struct liveupdate_record_entry);
	return (void *)(rec + sizeof(struct liveupdate_record_header));
}

/* A copy of the good record without the entry @name; NULL if it has none. */
static unsigned char *without(const char *name, size_t *lenp)
{
	unsigned char *rec = malloc(good_len);
	struct liveupdate_record_entry *e;
	size_t i, n, k = 0;
	bool found = false;

	if (!rec)
		return NULL;
	memcpy(rec, good, sizeof(struct liveupdate_record_header));
	e = entries(good, good_len, &n);
	for (i = 0; i < n; i++) {
		if (!strcmp(e[i].name, name)) {
			found = true;
			continue;
		}
		memcpy(rec + sizeof(struct liveupdate_record_header) +
		       k++ * sizeof(*e), &e[i], sizeof(*e));
	}
	*lenp = sizeof(struct liveupdate_record_header) + k * sizeof(*e);
	if (!found) {
		free(rec);
		return NULL;
	}
	return rec;
}

/* A copy of the good record, to break. */
static unsigned char *copy(void)
{
	unsigned char *rec = malloc(good_len);

	if (rec)
		memcpy(rec, good, good_len);
	return rec;
}

/* The record names the formats the tests need. */
static bool good_has(const char *name)
{
	struct liveupdate_record_entry *e;
	size_t i, n;

	e = entries(good, good_len, &n);
	for (i = 0; i < n; i++)
		if (!strcmp(e[i].name, name))
			return true;
	return false;
}

static void malformed(int dev)
{
	struct liveupdate_record_header *hdr;
	struct liveupdate_record_entry *e;
	unsigned char *rec = copy(), *big;
	size_t n;
	int r[7];

	hdr = (void *)rec;
	e = entries(rec, good_len, &n);
	hdr->magic ^= 1;
	r[0] = set_target(dev, rec, good_len, 0, NULL);
	hdr->magic ^= 1;
	hdr->version = 2;
	r[1] = set_target(dev, rec, good_len, 0, NULL);
	hdr->version = LIVEUPDATE_RECORD_VERSION;
	r[2] = set_target(dev, rec, good_len - 1, 0, NULL);
	memset(e[0].name, 'x', sizeof(e[0].name));
	r[3] = set_target(dev, rec, good_len, 0, NULL);
	memset(e[0].name, 0, sizeof(e[0].name));
	r[4] = set_target(dev, rec, good_len, 0, NULL);
	big = calloc(1, LIVEUPDATE_RECORD_MAX + 8 + 80);
	if (big)
		memcpy(big, good, good_len);
	r[5] = set_target(dev, big, LIVEUPDATE_RECORD_MAX + 8 + 80, 0, NULL);
	r[6] = set_target(dev, NULL, 8, 0, NULL);
	tap_ok(r[0] == -EINVAL && r[1] == -EINVAL && r[2] == -EINVAL &&
	       r[3] == -EINVAL && r[4] == -EINVAL && r[5] == -E2BIG &&
	       r[6] == -EFAULT,
	       "bad records: magic %d, version %d, length %d, unterminated %d, empty name %d, oversized %d, no buffer %d",
	       r[0], r[1], r[2], r[3], r[4], r[5], r[6]);
	free(big);
	free(rec);
}

/* flags, reserved and the struct's size rules. */
static void struct_rules(int dev)
{
	struct {
		struct liveupdate_ioctl_set_target arg;
		uint64_t tail;
	} big = { .arg.size = sizeof(big) };
	struct liveupdate_ioctl_set_target arg = { .size = sizeof(arg) };
	int r[5];

	r[0] = set_target(dev, good, good_len, 1, NULL);
	arg.reserved = 1;
	r[1] = ioctl(dev, LIVEUPDATE_IOCTL_SET_TARGET, &arg) ? -errno : 0;
	arg.reserved = 0;
	arg.size = offsetof(struct liveupdate_ioctl_set_target, reserved);
	r[2] = ioctl(dev, LIVEUPDATE_IOCTL_SET_TARGET, &arg) ? -errno : 0;
	big.tail = 1;
	r[3] = ioctl(dev, LIVEUPDATE_IOCTL_SET_TARGET, &big) ? -errno : 0;
	big.tail = 0;
	r[4] = ioctl(dev, LIVEUPDATE_IOCTL_SET_TARGET, &big) ? -errno : 0;
	tap_ok(r[0] == -EINVAL && r[1] == -EINVAL && r[2] == -EINVAL &&
	       r[3] == -E2BIG && r[4] == 0,
	       "flags %d, reserved %d, too short %d, tail set %d, tail zero %d",
	       r[0], r[1], r[2], r[3], r[4]);
}

static int kexec_errno(void)
{
	fflush(stdout);
	sync();
	return reboot(LINUX_REBOOT_CMD_KEXEC) ? errno : 0;
}

static int stage1(void)
{
	unsigned char *rec;
	int dev, s, m, t, m2, err;
	char why[128];
	uint32_t nr = ~0U;
	size_t len;
	bool ok;

	tap_plan(16);
	good = read_all(RECORD_FILE, &good_len);
	tap_ok(good && good_len > 8 && good_has(LUO_ABI_COMPATIBLE) &&
	       good_has("memfd-v2") && good_has(LUO_TEST_HANDLER),
	       "the target's record from the image: %zu bytes, luo-v5, memfd-v2, %s",
	       good_len, LUO_TEST_HANDLER);
	if (!good)
		return 1;
	tap_ok(!luo_insmod(LUO_FTYPE_MOD, "") &&
	       !luo_insmod(LUO_HANDLER_MOD, "cookie=5"), "insmod %s and %s",
	       LUO_FTYPE_MOD, LUO_HANDLER_MOD);
	dev = luo_open_device();
	s = dev >= 0 ? luo_create_session(dev, "tgt") : dev;
	m = luo_make_memfd("tgt", 0, MEM_SIZE, MEM_SEED, 0);
	t = luo_ftype_open(TEST_VALUE);
	ok = s >= 0 && m >= 0 && t >= 0 && !luo_preserve_fd(s, m, 1) &&
	     !luo_preserve_fd(s, t, 2);
	if (!tap_ok(ok, "session tgt: a memfd and a test-handler file"))
		return 1;

	err = set_target(dev, good, good_len, 0, &nr);
	tap_ok(!err && nr == 0, "the good record: 0 refused (%d, %u)", err, nr);

	rec = without("memfd-v2", &len);
	err = rec ? set_target(dev, rec, len, 0, &nr) : -ENOENT;
	tap_ok(!err && nr == 1, "a record without memfd-v2: 1 refused (%d, %u)",
	       err, nr);
	free(rec);
	tap_ok(luo_kmsg_has(REFUSED_LINE),
	       "the log names the refused file: session, token, handler");
	tap_ok(debugfs_count("file 1 preserved memfd-v2 target-refuses") == 1 &&
	       debugfs_count("target-refuses") == 1,
	       "the debugfs list marks it, and it only");
	err = kexec_errno();
	tap_ok(err == ENOEXEC, "the live update is refused: %s",
	       err ? strerror(err) : "it went ahead");
	tap_ok(luo_kmsg_has("the declared target kernel would refuse the state"),
	       "the log says why");
	ok = luo_check_memfd(m, MEM_SIZE, MEM_SEED, 0, why);
	tap_ok(ok, "the memfd is still intact%s%s", ok ? "" : ": ", ok ? "" : why);
	m2 = luo_make_memfd("tgt2", 0, 4096, 3, 0);
	tap_ok(m2 >= 0 && !luo_preserve_fd(s, m2, 3) &&
	       luo_kmsg_has(PRESERVED_LINE),
	       "the session is usable: a file the target refuses is preserved, and logged");

	rec = copy();
	if (rec) {
		struct liveupdate_record_entry *e;
		size_t i, n;

		e = entries(rec, good_len, &n);
		for (i = 0; i < n; i++)
			if (!strcmp(e[i].name, LUO_ABI_COMPATIBLE))
				strcpy(e[i].name, "luo-v99");
	}
	err = rec ? set_target(dev, rec, good_len, 0, &nr) : -ENOMEM;
	/* 1 session, 3 files, 4 FLBs: the test handler's and the 3 in-kernel ones */
	tap_ok(!err && nr == 8,
	       "a record of another handover ABI refuses every session, file and FLB (%d, %u)",
	       err, nr);
	free(rec);
	malformed(dev);
	struct_rules(dev);
	err = set_target(dev, NULL, 0, 0, &nr);
	tap_ok(!err && nr == 0 && debugfs_count("target-refuses") == 0,
	       "cleared: nothing is refused (%d, %u)", err, nr);
	err = set_target(dev, good, good_len, 0, &nr);
	tap_ok(!err && nr == 0, "the good record again: 0 refused (%d, %u)",
	       err, nr);
	if (tap_exit_code())
		return 1;
	luo_kexec();
}

static int stage2(void)
{
	int dev, s, m, t;
	uint64_t v = 0;
	char why[128];
	bool ok;

	tap_plan(4);
	tap_ok(!luo_insmod(LUO_FTYPE_MOD, "") &&
	       !luo_insmod(LUO_HANDLER_MOD, "cookie=1"), "insmod %s and %s",
	       LUO_FTYPE_MOD, LUO_HANDLER_MOD);
	dev = luo_open_device();
	s = dev >= 0 ? luo_retrieve_session(dev, "tgt") : dev;
	m = s >= 0 ? luo_retrieve_fd(s, 1) : s;
	ok = m >= 0 && luo_check_memfd(m, MEM_SIZE, MEM_SEED, 0, why);
	tap_ok(ok, "the memfd comes back intact%s%s", ok ? "" : ": ",
	       ok ? "" : m < 0 ? strerror(-m) : why);
	t = s >= 0 ? luo_retrieve_fd(s, 2) : s;
	ok = t >= 0 && !luo_ftype_value(t, &v);
	tap_ok(ok && v == TEST_VALUE, "the test file comes back: %llu",
	       (unsigned long long)v);
	tap_ok(s >= 0 && !luo_finish(s), "finish tgt");
	return tap_exit_code();
}

int main(int argc, char **argv)
{
	if (luo_parse_args(argc, argv, NULL) == 1)
		return stage1();
	return stage2();
}
