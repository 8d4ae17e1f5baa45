/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the Live Update Orchestrator test programs: thin
 * wrappers around the /dev/liveupdate ioctls, deterministic file contents,
 * a tiny TAP writer and the kexec step.
 */
#ifndef LUO_TEST_UTILS_H
#define LUO_TEST_UTILS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/liveupdate.h>

#include "kselftest.h"	/* __noreturn, __printf */

#define LUO_DEVICE "/dev/liveupdate"

/* ioctl wrappers: they return a file descriptor or 0, or -errno. */
int luo_open_device(void);
int luo_create_session(int dev, const char *name);
int luo_retrieve_session(int dev, const char *name);
int luo_preserve_fd(int session, int fd, uint64_t token);
int luo_retrieve_fd(int session, uint64_t token);
int luo_finish(int session);
int luo_get_name(int session, char *name);

/* Raise RLIMIT_NOFILE to at least @n (plus some slack). */
int luo_raise_nofile(long n);

/* Deterministic pseudo-random data. */
uint64_t luo_rand_next(uint64_t *state);
void luo_fill(void *buf, size_t len, uint64_t seed);
uint64_t luo_fnv1a(uint64_t hash, const void *buf, size_t len);
#define LUO_FNV_INIT 0xcbf29ce484222325ULL

/*
 * Create a memfd (memfd_create() @flags) of @size bytes generated from
 * @seed, with its file position set to @pos. Returns the fd or -errno.
 */
int luo_make_memfd(const char *name, unsigned int flags, size_t size,
		   uint64_t seed, off_t pos);

/*
 * Check a memfd against luo_make_memfd(@size, @seed, @pos): size, content
 * and position. Returns true if it matches; on a mismatch, @why (at least
 * 128 bytes) says what differed.
 */
bool luo_check_memfd(int fd, size_t size, uint64_t seed, off_t pos,
		     char *why);

/* Checksum of a whole file from offset 0 (FNV-1a, 64 bit). */
int luo_file_checksum(int fd, uint64_t *sum);

/* A minimal TAP writer; every line is flushed at once. */
void tap_plan(int n);
__printf(2, 3) bool tap_ok(bool cond, const char *fmt, ...);
void tap_vnote(const char *fmt, va_list ap);
__printf(1, 2) void tap_note(const char *fmt, ...);
/* Exit status: 0 if every test passed and the plan was met. */
int tap_exit_code(void);

/*
 * Parse "--stage N" and "-n N" / "-nN" (only if @n). Returns the stage (1
 * or 2); any other argument or stage prints the usage and exits with 2.
 */
int luo_parse_args(int argc, char **argv, long *n);

/*
 * The test modules (modules/): where they are installed in the guest, and
 * helpers around them. Each returns 0 (or a value) or -errno.
 */
#define LUO_MODULE_DIR		"/luo/bin/modules"
#define LUO_FTYPE_MOD		"luo_test_ftype"
#define LUO_HANDLER_MOD		"luo_test_handler"
#define LUO_FTYPE_DEVICE	"/dev/luo_test_ftype"
#define LUO_TEST_HANDLER	"luo-test-handler-v1"
#define LUO_TEST_FLB		"luo-test-flb-v1"
#define LUO_TEST_FLB_HOLD	"/sys/kernel/debug/luo_test/flb_hold"

/* Load LUO_MODULE_DIR/@name.ko with @params (may be ""). */
int luo_insmod(const char *name, const char *params);
/* Unload @name without waiting: -EAGAIN while it is in use. */
int luo_rmmod(const char *name);
/* /sys/module/@name/refcnt, or -errno (-ENOENT when not loaded). */
long luo_module_refcnt(const char *name);
/*
 * Count the lines of /sys/kernel/debug/liveupdate/registry that name
 * @compatible (as "handler NAME" or "flb NAME ..."), or -errno.
 */
int luo_registry_count(const char *compatible);
/* Write @text to the file at @path: 0 or -errno. */
int luo_write_file(const char *path, const char *text);
/* The value of @key in /sys/kernel/debug/luo_test/stats, or -1. */
long long luo_test_stat(const char *key);
/*
 * The value of the "KEY:<TAB>value" line of /proc/self/fdinfo/FD, in @val
 * (at most @len bytes with the NUL): 0, -ENOENT if there is no such line,
 * or -errno.
 */
int luo_fdinfo(int fd, const char *key, char *val, size_t len);

#define LUO_DEBUGFS		"/sys/kernel/debug/liveupdate"
#define LUO_DEBUGFS_SESSIONS	LUO_DEBUGFS "/sessions"
char *luo_read_text(const char *path);

#define LUO_TRACEFS		"/sys/kernel/tracing"
int luo_trace_on(void);
int luo_count_lines(const char *text, const char *line);
/* Open a file of the test file type holding @value; fd or -errno. */
int luo_ftype_open(uint64_t value);
/* Read the value a file of the test file type holds, or -errno. */
int luo_ftype_value(int fd, uint64_t *value);

#define LUO_KMEMLEAK		"/sys/kernel/debug/kmemleak"
/*
 * On a kernel with kmemleak, scan twice (after a pause, so that what the
 * test allocated is old enough to be reported) and print the report
 * between "LUO-KMEMLEAK begin @where" and "LUO-KMEMLEAK end" lines, which
 * scripts/check-log.sh reads. Does nothing on a kernel without kmemleak.
 */
void luo_kmemleak_scan(const char *where);

/* A kmemleak scan, sync() and reboot(LINUX_REBOOT_CMD_KEXEC); never returns. */
__noreturn void luo_kexec(void);

#endif /* LUO_TEST_UTILS_H */
