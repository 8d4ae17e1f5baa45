/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/**
 * DOC: Live Update uAPI
 *
 * A process that wants resources to survive a kexec-based kernel update
 * opens ``/dev/liveupdate``, creates named sessions and preserves file
 * descriptors into them under 64-bit tokens of its choice. After the kexec,
 * the new kernel rebuilds the sessions; userspace retrieves them by name,
 * retrieves each file by token, and finishes the session once it has taken
 * back what it needs.
 *
 * ``/dev/liveupdate`` has one open file at a time (dup(), fork() and
 * SCM_RIGHTS share it; they do not open it again). open() fails with:
 *
 * - ``-EBUSY`` while that open file exists;
 * - ``-EIO`` at the first open after a live update if the sessions the
 *   previous kernel handed over cannot be rebuilt: if its state is
 *   malformed, that open fails, they are refused for good and later opens
 *   succeed without them (the kernel log says why); if memory is short,
 *   nothing changes and the next open tries again.
 *
 * Every command is _IO(LIVEUPDATE_IOCTL_TYPE, nr) and takes a pointer to a
 * struct whose first member, @size, is the size userspace knows. The kernel
 * treats the structs as extensible: a @size smaller than the struct it
 * knows is ``-EINVAL``; a larger @size is accepted when the bytes the kernel
 * does not know are zero and is ``-E2BIG`` otherwise. Reserved members must
 * be zero (``-EINVAL``).
 *
 * Errors shared by every command:
 *
 * - ``-EFAULT``: the argument cannot be read or written;
 * - ``-EINVAL``: @size too small, a reserved member set, or the command
 *   does not apply to this kind of session;
 * - ``-E2BIG``: @size larger than known with non-zero trailing bytes;
 * - ``-EBUSY``: a live update is in progress (the sessions are frozen);
 * - ``-ENOTTY``: not a command of this file descriptor;
 * - ``-ENOMEM``: out of memory.
 *
 * The live update itself, reboot(LINUX_REBOOT_CMD_KEXEC) after a kexec
 * image is loaded, fails and leaves every session as it was with:
 *
 * - ``-EBUSY`` if an incoming session is not finished (closing a retrieved
 *   session finishes it, unless a file cannot finish yet; a session never
 *   retrieved counts too; a session refused as malformed does not), the
 *   log names each; or if ``/dev/liveupdate`` was never opened after a
 *   live update that handed sessions over: their files would be lost (the
 *   log says so: the sessions were never rebuilt, so it cannot name them);
 * - ``-ENOEXEC`` if a target is declared (%LIVEUPDATE_IOCTL_SET_TARGET)
 *   and it would refuse a session, file or FLB (the log names each);
 * - ``-ENOSPC`` if the preserved files depend on more than 63
 *   File-Lifecycle-Bound objects (FLBs), the most one handover carries;
 * - what a file's handler returns when it cannot freeze the file.
 */
#ifndef _UAPI_LIVEUPDATE_H
#define _UAPI_LIVEUPDATE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define LIVEUPDATE_IOCTL_TYPE		0xBA

/* Session names, including the terminating NUL. */
#define LIVEUPDATE_SESSION_NAME_LENGTH	64

/* Command numbers of /dev/liveupdate. */
enum {
	LIVEUPDATE_CMD_BASE = 0x00,
	LIVEUPDATE_CMD_CREATE_SESSION = LIVEUPDATE_CMD_BASE,
	LIVEUPDATE_CMD_RETRIEVE_SESSION = 0x01,
	LIVEUPDATE_CMD_SET_TARGET = 0x02,
};

/* Command numbers of a session file descriptor. */
enum {
	LIVEUPDATE_CMD_SESSION_BASE = 0x40,
	LIVEUPDATE_CMD_SESSION_PRESERVE_FD = LIVEUPDATE_CMD_SESSION_BASE,
	LIVEUPDATE_CMD_SESSION_RETRIEVE_FD = 0x41,
	LIVEUPDATE_CMD_SESSION_FINISH = 0x42,
	LIVEUPDATE_CMD_SESSION_GET_NAME = 0x43,
};

/**
 * struct liveupdate_ioctl_create_session - LIVEUPDATE_IOCTL_CREATE_SESSION
 * @size: sizeof(struct liveupdate_ioctl_create_session).
 * @fd:   out: the new session's file descriptor (close-on-exec).
 * @name: in: the session's name, 1 to 63 bytes followed by a NUL.
 *
 * Creates an outgoing session: the files preserved in it are handed over
 * at the next live update. Closing the descriptor before the live update
 * gives every file back (unpreserves them) and deletes the session.
 *
 * Errors: -EINVAL for an empty or unterminated name, -EEXIST if an
 * outgoing session with that name exists, -EMFILE if the process has no
 * free file descriptor, -ENOSPC beyond about 510,000 outgoing sessions
 * (10,000 blocks of 51), -ENOMEM.
 */
struct liveupdate_ioctl_create_session {
	__u32		size;
	__s32		fd;
	__u8		name[LIVEUPDATE_SESSION_NAME_LENGTH];
};

#define LIVEUPDATE_IOCTL_CREATE_SESSION					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_CREATE_SESSION)

/**
 * struct liveupdate_ioctl_retrieve_session - LIVEUPDATE_IOCTL_RETRIEVE_SESSION
 * @size: sizeof(struct liveupdate_ioctl_retrieve_session).
 * @fd:   out: the session's file descriptor (close-on-exec).
 * @name: in: the name the session had in the previous kernel.
 *
 * Takes an incoming session, one that the previous kernel handed over.
 * While its descriptor is open, nobody else can take it. A file whose
 * handler is not registered (a module not loaded yet) does not keep the
 * session from being retrieved: only that file's
 * %LIVEUPDATE_SESSION_RETRIEVE_FD fails, with -ENOPKG.
 *
 * Errors: -EINVAL for a session already retrieved (its descriptor still
 * open), -ENOENT if no incoming session has that name (also for an empty
 * or unterminated name), -EIO if the previous kernel handed over its chain
 * of files malformed, -EMFILE if the process has no free file descriptor, -ENOMEM.
 */
struct liveupdate_ioctl_retrieve_session {
	__u32		size;
	__s32		fd;
	__u8		name[LIVEUPDATE_SESSION_NAME_LENGTH];
};

#define LIVEUPDATE_IOCTL_RETRIEVE_SESSION				\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_RETRIEVE_SESSION)

/**
 * struct liveupdate_session_preserve_fd - LIVEUPDATE_SESSION_PRESERVE_FD
 * @size:  sizeof(struct liveupdate_session_preserve_fd).
 * @fd:    in: the file descriptor to preserve.
 * @token: in: the caller's name for the file, unique within the session.
 *
 * Preserves a file in an outgoing session. The session keeps a reference
 * to the file until it is unpreserved (the session is closed) or the live
 * update happens.
 *
 * Errors: -EBADF for a bad @fd, -EEXIST if @token is in use in this
 * session, -EBUSY if the file is preserved already (in any session),
 * -ENOENT if no handler can preserve this kind of file, -EINVAL on an
 * incoming session, -ENOSPC beyond about 630,000 files in the session
 * (10,000 blocks of 63), or what the file's handler or one of its FLBs
 * returns.
 */
struct liveupdate_session_preserve_fd {
	__u32		size;
	__s32		fd;
	__aligned_u64	token;
};

#define LIVEUPDATE_SESSION_PRESERVE_FD					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_PRESERVE_FD)

/**
 * struct liveupdate_session_retrieve_fd - LIVEUPDATE_SESSION_RETRIEVE_FD
 * @size:  sizeof(struct liveupdate_session_retrieve_fd).
 * @fd:    out: a new descriptor of the retrieved file (close-on-exec).
 * @token: in: the token the file was preserved with.
 *
 * Gives back a file of an incoming session. Retrieving the same token again
 * gives another descriptor of the same file; a retrieve that failed fails
 * again with the same error.
 *
 * Errors: -ENOENT for an unknown token or on a finished session (finishing
 * drops every file), -EINVAL on an outgoing session, -EIO if the previous
 * kernel handed over this file's own entry malformed (the session's other
 * files are not affected), -ENOPKG while the file's handler is not
 * registered (a module not loaded yet; not remembered: retry once it is),
 * -EMFILE if the process has no free file descriptor, or what the file's
 * handler returned.
 */
struct liveupdate_session_retrieve_fd {
	__u32		size;
	__s32		fd;
	__aligned_u64	token;
};

#define LIVEUPDATE_SESSION_RETRIEVE_FD					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_RETRIEVE_FD)

/**
 * struct liveupdate_session_finish - LIVEUPDATE_SESSION_FINISH
 * @size:     sizeof(struct liveupdate_session_finish).
 * @reserved: must be zero.
 *
 * Ends an incoming session: every file's handler releases what it kept
 * for the handover (files already retrieved stay usable, files never
 * retrieved are discarded). Nothing happens unless every file can finish.
 * Finishing a finished session again succeeds and does nothing.
 * Closing a retrieved session that is not finished finishes it. A file
 * whose handler never registered is given up: the kernel log names it
 * (session, token, handler), and the memory it preserved stays reserved
 * until the next boot.
 *
 * Errors: -EBUSY if a file cannot finish yet, -EINVAL on an outgoing
 * session.
 */
struct liveupdate_session_finish {
	__u32		size;
	__u32		reserved;
};

#define LIVEUPDATE_SESSION_FINISH					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_FINISH)

/**
 * struct liveupdate_session_get_name - LIVEUPDATE_SESSION_GET_NAME
 * @size:     sizeof(struct liveupdate_session_get_name).
 * @reserved: must be zero.
 * @name:     out: the session's name, NUL-terminated and zero-padded.
 */
struct liveupdate_session_get_name {
	__u32		size;
	__u32		reserved;
	__u8		name[LIVEUPDATE_SESSION_NAME_LENGTH];
};

#define LIVEUPDATE_SESSION_GET_NAME					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_GET_NAME)

/**
 * DOC: The target record
 *
 * Every kernel built with this LUO carries, in its vmlinux section
 * ``.liveupdate_features``, a record of the handover formats it accepts:
 * a &struct liveupdate_record_header followed by &struct
 * liveupdate_record_entry, one per format: the handover ABI (``luo-v5``),
 * the phases subtree (``luo-phases-v1``), each built-in file handler and
 * each built-in FLB, by compatible string. A loadable module carries
 * entries of its own handlers and FLBs in its section
 * ``.liveupdate_features`` (entries only: the tools add a header). Tools
 * read the record from the image of the kernel a live update will kexec
 * into (tools/liveupdate/liveupdate-record), and an agent declares it with
 * %LIVEUPDATE_IOCTL_SET_TARGET before the live update.
 *
 * Each entry has three words of feature bits; in version 1 the only bit is
 * %LIVEUPDATE_FEATURE_BASE, the format as its name says. A target accepts
 * an item of the outgoing state if it has an entry of the item's name that
 * supports every bit this kernel writes for it and requires no bit this
 * kernel does not write. New features are additive: a kernel ships a bit
 * as supported first, and requires it only once the kernels it updates
 * from write it.
 */

#define LIVEUPDATE_RECORD_MAGIC		0x4c565550	/* "LVUP" */
#define LIVEUPDATE_RECORD_VERSION	1
/* The length of an entry's name, including the terminating NUL. */
#define LIVEUPDATE_RECORD_NAME_LENGTH	48
/* The format as its compatible string says. */
#define LIVEUPDATE_FEATURE_BASE		(1ULL << 0)
/* The longest record %LIVEUPDATE_IOCTL_SET_TARGET takes, in bytes. */
#define LIVEUPDATE_RECORD_MAX		65536

/**
 * struct liveupdate_record_header - The start of a target record.
 * @magic:   %LIVEUPDATE_RECORD_MAGIC.
 * @version: %LIVEUPDATE_RECORD_VERSION.
 */
struct liveupdate_record_header {
	__u32		magic;
	__u32		version;
};

/**
 * struct liveupdate_record_entry - One handover format a kernel accepts.
 * @name:      Its compatible string, NUL-terminated and NUL-padded.
 * @supported: Feature bits the kernel reads.
 * @required:  Feature bits the kernel needs the previous kernel to write.
 * @active:    Feature bits the kernel writes when it hands over.
 * @reserved:  Zero.
 */
struct liveupdate_record_entry {
	char		name[LIVEUPDATE_RECORD_NAME_LENGTH];
	__aligned_u64	supported;
	__aligned_u64	required;
	__aligned_u64	active;
	__aligned_u64	reserved;
};

/**
 * struct liveupdate_ioctl_set_target - LIVEUPDATE_IOCTL_SET_TARGET
 * @size:       sizeof(struct liveupdate_ioctl_set_target).
 * @flags:      Zero.
 * @record:     in: user pointer to the target's record (see "The target
 *              record"), or 0 with @record_len 0 to clear the target.
 * @record_len: in: its length in bytes.
 * @nr_refused: out: how many preserved files, FLBs and sessions the target
 *              would refuse now (0: it accepts everything).
 * @reserved:   Zero.
 *
 * Declares the kernel the next live update will kexec into. From then on,
 * until the target is cleared or replaced, a live update whose state the
 * target would refuse is itself refused, before anything is frozen, with
 * -ENOEXEC and a log line naming each item the target lacks; the state
 * stays as it was. A file the target would refuse can still be preserved
 * (the agent may change the target): the log and the debugfs list say so.
 * Each refused item is logged (session name, token and compatible string).
 * A record of another handover ABI refuses every session, file and FLB.
 * This command is LUO's own: upstream has no equivalent.
 *
 * Errors: -EINVAL for flags or reserved bits set, a record whose magic or
 * version is not the one above, whose length is not a header followed by
 * whole entries, or with an entry whose name is empty or unterminated;
 * -E2BIG for a record longer than %LIVEUPDATE_RECORD_MAX; -EFAULT;
 * -ENOMEM.
 */
struct liveupdate_ioctl_set_target {
	__u32		size;
	__u32		flags;
	__aligned_u64	record;
	__aligned_u64	record_len;
	__u32		nr_refused;
	__u32		reserved;
};

#define LIVEUPDATE_IOCTL_SET_TARGET					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SET_TARGET)

#endif /* _UAPI_LIVEUPDATE_H */
