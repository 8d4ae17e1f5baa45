// SPDX-License-Identifier: GPL-2.0
/*
 * luo_kexec_systemd - use LUO the way systemd's PID 1 carries fd stores.
 *
 * systemd keeps the file descriptor stores of its services across a kexec
 * with LUO: PID 1 owns a session called "systemd", preserves every stored
 * fd in it, and writes a sealed memfd at token 0 that maps tokens to fd
 * names. A service may also own a LUO session of its own and put that
 * session's fd in its fd store. A session fd cannot be preserved inside
 * another session, so PID 1 must recognise it and record its name
 * instead; after the kexec the service retrieves its session by that
 * name. PID 1 recognises a session fd only when fstatfs() reports
 * ANON_INODE_FS_MAGIC and /proc/self/fd/N reads
 * "anon_inode:[luo_session] <session name>".
 *
 * Stage 1: a forked "service" opens /dev/liveupdate, creates session
 * "demo.service", preserves a memfd in it at token 7, closes the device and
 * hands its session fd and two memfds to "PID 1" (an fd store, with fd
 * names). PID 1 adds two memfds of its own, opens the
 * device, creates "systemd", classifies every stored fd (the session fd
 * must be recognised, no memfd may be), checks that preserving the session
 * fd fails, preserves the memfds at tokens 1.., writes the JSON mapping to
 * a memfd, seals it and preserves it at token 0; kexec.
 *
 * Stage 2: retrieve "systemd" (it must be recognised as a session too),
 * read and parse the mapping, retrieve and check every memfd, retrieve the
 * service's session by the recorded name and check its memfd, finish both.
 *
 * Usage: luo_kexec_systemd --stage 1|2
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#include "luo_test_utils.h"

#define PID1_SESSION	"systemd"
#define SVC_SESSION	"demo.service"
#define SVC_TOKEN	7
#define LINK_PREFIX	"anon_inode:[luo_session] "
#define MAX_STORE	8
#define MAP_MAX		4096

/* ------------------------------------------------------------------ */
/* What systemd does */

/*
 * Is @fd a LUO session? If so, copy its name to @name. This is the test
 * systemd makes: the anonymous-inode file system, and the link name.
 */
static bool luo_session_name(int fd, char *name)
{
	char path[64], link[256];
	struct statfs sfs;
	ssize_t n;

	if (fstatfs(fd, &sfs) || sfs.f_type != ANON_INODE_FS_MAGIC)
		return false;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	if (strncmp(link, LINK_PREFIX, strlen(LINK_PREFIX)) ||
	    !link[strlen(LINK_PREFIX)] ||
	    strlen(link + strlen(LINK_PREFIX)) >= LIVEUPDATE_SESSION_NAME_LENGTH)
		return false;
	strcpy(name, link + strlen(LINK_PREFIX));
	return true;
}

static void describe_fd(int fd, char *buf, size_t len)
{
	char path[64], link[256];
	struct statfs sfs;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = '\0';
	if (fstatfs(fd, &sfs))
		sfs.f_type = 0;
	snprintf(buf, len, "link \"%s\", f_type %#llx", link,
		 (unsigned long long)sfs.f_type);
}

/* Contents of a stored memfd, derived from its fd name. */
static uint64_t name_seed(const char *fdname)
{
	return luo_fnv1a(LUO_FNV_INIT, fdname, strlen(fdname));
}

static size_t name_size(const char *fdname)
{
	return 1000 + name_seed(fdname) % 20000;
}

static int stored_memfd(const char *fdname)
{
	return luo_make_memfd(fdname, 0, name_size(fdname), name_seed(fdname),
			      0);
}

static bool check_stored(int fd, const char *fdname, char *why)
{
	return luo_check_memfd(fd, name_size(fdname), name_seed(fdname), 0, why);
}

/* ------------------------------------------------------------------ */
/* The fd store: fds with names, handed from the service to PID 1 */

/*
 * systemd's services hand fds to PID 1 over the notify socket; a tiny test
 * kernel has no AF_UNIX, so the service here announces each fd's number
 * and name on a pipe and PID 1 takes a copy with pidfd_getfd(), while the
 * service waits.
 */
struct stored_fd {
	char name[60];
	int fd;
};

static int announce_fd(int pipefd, const char *fdname, int fd)
{
	struct stored_fd sf = { .fd = fd };

	snprintf(sf.name, sizeof(sf.name), "%s", fdname);
	return write(pipefd, &sf, sizeof(sf)) == sizeof(sf) ? 0 : -EIO;
}

/*
 * The service: its own session with a memfd, and an fd store of its
 * session fd and two memfds. Runs in a child; the exit status says how far
 * it got (0: all done). It waits on @hold until PID 1 took its fds.
 */
static int service(int announce, int hold)
{
	int dev, s, m, m2, err;
	char c;

	dev = luo_open_device();
	if (dev < 0)
		return 10;
	s = luo_create_session(dev, SVC_SESSION);
	if (s < 0)
		return 11;
	m = stored_memfd("svc-private");
	if (m < 0 || luo_preserve_fd(s, m, SVC_TOKEN))
		return 12;
	close(m);
	/* the session outlives the device fd it was created with */
	close(dev);
	m = stored_memfd("svc-cache");
	m2 = stored_memfd("svc-state");
	if (m < 0 || m2 < 0)
		return 13;
	err = announce_fd(announce, "svc-session", s);
	err = err ?: announce_fd(announce, "svc-cache", m);
	err = err ?: announce_fd(announce, "svc-state", m2);
	close(announce);
	if (err)
		return 14;
	/* PID 1 closes @hold once it has copied the fds */
	if (read(hold, &c, 1) < 0)
		return 15;
	return 0;
}

/* PID 1 takes the fds the service announced. Returns how many. */
static int receive_store(pid_t pid, int announce, struct stored_fd *store,
			 int max)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), n = 0;
	struct stored_fd sf;

	if (pidfd < 0) {
		tap_note("pidfd_open: %s", strerror(errno));
		return 0;
	}
	while (n < max && read(announce, &sf, sizeof(sf)) == sizeof(sf)) {
		store[n] = sf;
		store[n].fd = syscall(SYS_pidfd_getfd, pidfd, sf.fd, 0);
		if (store[n].fd < 0) {
			tap_note("pidfd_getfd %s: %s", sf.name, strerror(errno));
			break;
		}
		n++;
	}
	close(pidfd);
	return n;
}

/* ------------------------------------------------------------------ */
/* The mapping: a small JSON document */

static const char *const store_memfds[] = {
	"svc-cache", "svc-state", "pid1-journal", "pid1-notify",
};

#define NR_MEMFDS	((int)ARRAY_SIZE(store_memfds))

static void json_str(char *buf, size_t len, const char *s)
{
	size_t o = strlen(buf);

	o += snprintf(buf + o, len - o, "\"");
	for (; *s && o + 8 < len; s++) {
		if (*s == '"' || *s == '\\')
			o += snprintf(buf + o, len - o, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			o += snprintf(buf + o, len - o, "\\u%04x", *s);
		else
			buf[o++] = *s;
		buf[o] = '\0';
	}
	snprintf(buf + o, len - o, "\"");
}

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
	enum jtype type;
	char *key;		/* member name inside an object */
	char *str;
	long long num;
	struct jnode *child;	/* first element or member */
	struct jnode *next;
};

static const char *jp;

static void jskip(void)
{
	while (*jp == ' ' || *jp == '\n' || *jp == '\t' || *jp == '\r')
		jp++;
}

static char *jstring(void)
{
	char *out, *o;

	if (*jp != '"')
		return NULL;
	out = calloc(1, strlen(jp) + 1);
	if (!out)
		return NULL;
	o = out;
	for (jp++; *jp && *jp != '"'; jp++) {
		if (*jp != '\\') {
			*o++ = *jp;
			continue;
		}
		jp++;
		if (*jp == 'u') {
			unsigned int c;

			if (sscanf(jp + 1, "%4x", &c) != 1 || c > 0x7f)
				goto bad;
			*o++ = c;
			jp += 4;
		} else if (*jp == 'n') {
			*o++ = '\n';
		} else if (*jp == '"' || *jp == '\\' || *jp == '/') {
			*o++ = *jp;
		} else {
			goto bad;
		}
	}
	if (*jp != '"')
		goto bad;
	jp++;
	return out;
bad:
	free(out);
	return NULL;
}

static struct jnode *jvalue(void);

static struct jnode *jlist(struct jnode *n, char close, bool members)
{
	struct jnode **tail = &n->child;

	jp++;
	jskip();
	if (*jp == close) {
		jp++;
		return n;
	}
	for (;;) {
		char *key = NULL;
		struct jnode *v;

		jskip();
		if (members) {
			key = jstring();
			jskip();
			if (!key || *jp++ != ':')
				return NULL;
		}
		v = jvalue();
		if (!v)
			return NULL;
		v->key = key;
		*tail = v;
		tail = &v->next;
		jskip();
		if (*jp == close) {
			jp++;
			return n;
		}
		if (*jp++ != ',')
			return NULL;
	}
}

static struct jnode *jvalue(void)
{
	struct jnode *n = calloc(1, sizeof(*n));
	char *end;

	if (!n)
		return NULL;
	jskip();
	if (*jp == '{') {
		n->type = J_OBJ;
		return jlist(n, '}', true);
	}
	if (*jp == '[') {
		n->type = J_ARR;
		return jlist(n, ']', false);
	}
	if (*jp == '"') {
		n->type = J_STR;
		n->str = jstring();
		return n->str ? n : NULL;
	}
	if (!strncmp(jp, "null", 4) || !strncmp(jp, "true", 4)) {
		n->type = *jp == 'n' ? J_NULL : J_BOOL;
		n->num = *jp == 't';
		jp += 4;
		return n;
	}
	if (!strncmp(jp, "false", 5)) {
		n->type = J_BOOL;
		jp += 5;
		return n;
	}
	n->type = J_NUM;
	n->num = strtoll(jp, &end, 10);
	if (end == jp)
		return NULL;
	jp = end;
	return n;
}

static struct jnode *json_parse(const char *text)
{
	struct jnode *root;

	jp = text;
	root = jvalue();
	if (!root)
		return NULL;
	jskip();
	return *jp ? NULL : root;
}

static struct jnode *jget(struct jnode *obj, const char *key)
{
	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (struct jnode *m = obj->child; m; m = m->next)
		if (m->key && !strcmp(m->key, key))
			return m;
	return NULL;
}

static const char *jget_str(struct jnode *obj, const char *key)
{
	struct jnode *v = jget(obj, key);

	return v && v->type == J_STR ? v->str : NULL;
}

/* The fd-store entry of @fdname in the mapping's "fdstore" array. */
static struct jnode *find_entry(struct jnode *root, const char *fdname)
{
	struct jnode *arr = jget(root, "fdstore");

	if (!arr || arr->type != J_ARR)
		return NULL;
	for (struct jnode *e = arr->child; e; e = e->next) {
		const char *n = jget_str(e, "fdname");

		if (n && !strcmp(n, fdname))
			return e;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Stage 1: PID 1 before the kexec */

#define MAP_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* Start a new array element of @map; returns where it goes. */
static size_t map_sep(char *map)
{
	size_t o = strlen(map);

	if (o && map[o - 1] != '[' && o + 1 < MAP_MAX) {
		map[o++] = ',';
		map[o] = '\0';
	}
	return o;
}

/* Classify and preserve one stored fd; append its entry to @map. */
static void store_one(int sys, struct stored_fd *sf, uint64_t *token,
		      char *map)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH], got[LIVEUPDATE_SESSION_NAME_LENGTH];
	char what[320];
	bool is_session = luo_session_name(sf->fd, name);
	size_t o;
	int r;

	describe_fd(sf->fd, what, sizeof(what));
	if (strcmp(sf->name, "svc-session")) {
		tap_ok(!is_session, "%s: not taken for a session (%s)",
		       sf->name, what);
		r = luo_preserve_fd(sys, sf->fd, *token);
		tap_ok(!r, "%s: preserved at token %llu (%s)", sf->name,
		       (unsigned long long)*token, r ? strerror(-r) : "ok");
		o = map_sep(map);
		snprintf(map + o, MAP_MAX - o,
			 "{\"token\":%llu,\"kind\":\"memfd\",\"fdname\":",
			 (unsigned long long)*token);
		json_str(map, MAP_MAX, sf->name);
		strncat(map, "}", MAP_MAX - strlen(map) - 1);
		(*token)++;
		return;
	}
	tap_ok(is_session && !strcmp(name, SVC_SESSION),
	       "%s: recognised as LUO session \"%s\" (%s)", sf->name,
	       SVC_SESSION, what);
	tap_ok(!luo_get_name(sf->fd, got) && !strcmp(got, SVC_SESSION),
	       "%s: GET_NAME agrees", sf->name);
	r = luo_preserve_fd(sys, sf->fd, 1000);
	tap_ok(r < 0, "%s: a session fd cannot be preserved in a session: %s",
	       sf->name, r < 0 ? strerrorname_np(-r) : "it was accepted");
	o = map_sep(map);
	snprintf(map + o, MAP_MAX - o, "{\"kind\":\"luo-session\",\"fdname\":");
	json_str(map, MAP_MAX, sf->name);
	strncat(map, ",\"session\":", MAP_MAX - strlen(map) - 1);
	json_str(map, MAP_MAX, is_session ? name : "");
	strncat(map, "}", MAP_MAX - strlen(map) - 1);
}

static int stage1(void)
{
	struct stored_fd store[MAX_STORE];
	char name[LIVEUPDATE_SESSION_NAME_LENGTH], what[320];
	static char map[MAP_MAX];
	int ann[2], hold[2], status = -1, n, dev, sys, m;
	uint64_t token = 1;
	pid_t pid;

	tap_plan(8 + 2 * NR_MEMFDS + 3);
	if (pipe2(ann, O_CLOEXEC) || pipe2(hold, O_CLOEXEC))
		return 1;
	pid = fork();
	if (pid == 0) {
		close(ann[0]);
		close(hold[1]);
		_exit(service(ann[1], hold[0]));
	}
	close(ann[1]);
	close(hold[0]);
	n = pid > 0 ? receive_store(pid, ann[0], store, 3) : 0;
	close(hold[1]);
	if (pid > 0 && waitpid(pid, &status, 0) != pid)
		status = -1;
	tap_ok(pid > 0 && WIFEXITED(status) && !WEXITSTATUS(status),
	       "service: own session \"%s\" with a memfd, fd store handed over (status %#x)",
	       SVC_SESSION, status);
	tap_ok(n == 3, "PID 1 took the service's fd store (%d of 3)", n);
	for (int i = 2; i < NR_MEMFDS && n < MAX_STORE; i++) {
		store[n].fd = stored_memfd(store_memfds[i]);
		snprintf(store[n].name, sizeof(store[n].name), "%s",
			 store_memfds[i]);
		if (store[n].fd >= 0)
			n++;
	}
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "PID 1: open %s", LUO_DEVICE))
		return tap_exit_code();
	sys = luo_create_session(dev, PID1_SESSION);
	if (!tap_ok(sys >= 0, "PID 1: create session \"%s\"", PID1_SESSION))
		return tap_exit_code();
	describe_fd(sys, what, sizeof(what));
	tap_ok(luo_session_name(sys, name) && !strcmp(name, PID1_SESSION),
	       "PID 1's own session is recognised (%s)", what);

	snprintf(map, sizeof(map), "{\"version\":1,\"fdstore\":[");
	for (int i = 0; i < n; i++)
		store_one(sys, &store[i], &token, map);
	strncat(map, "]}", sizeof(map) - strlen(map) - 1);
	tap_note("mapping: %s", map);

	m = memfd_create("systemd-luo-map", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	tap_ok(m >= 0 && write(m, map, strlen(map)) == (ssize_t)strlen(map) &&
	       !fcntl(m, F_ADD_SEALS, MAP_SEALS),
	       "mapping written to a sealed memfd (%zu bytes)", strlen(map));
	tap_ok(m >= 0 && !luo_preserve_fd(sys, m, 0),
	       "mapping preserved at token 0");
	tap_ok(n == 1 + NR_MEMFDS, "fd store of %d entries", n);
	if (tap_exit_code())
		return 1;
	/* every fd, sessions included, stays open up to the kexec */
	luo_kexec();
}

/* ------------------------------------------------------------------ */
/* Stage 2: PID 1 and the service after the kexec */

static char *read_map(int fd)
{
	static char buf[MAP_MAX + 1];
	ssize_t n = pread(fd, buf, MAP_MAX, 0);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* The service takes its session back by the name PID 1 recorded. */
static void stage2_service(int dev, struct jnode *root)
{
	struct jnode *e = find_entry(root, "svc-session");
	const char *kind = jget_str(e, "kind"), *sname = jget_str(e, "session");
	char name[LIVEUPDATE_SESSION_NAME_LENGTH], what[320], why[128];
	int s, fd, r;
	bool ok;

	tap_ok(kind && !strcmp(kind, "luo-session") && sname &&
	       !strcmp(sname, SVC_SESSION),
	       "mapping records the service's session as \"%s\"",
	       sname ? sname : "(none)");
	s = luo_retrieve_session(dev, sname ? sname : SVC_SESSION);
	if (!tap_ok(s >= 0, "service: retrieve its session by the recorded name (%s)",
		    s < 0 ? strerror(-s) : "ok")) {
		tap_ok(false, "service: session recognised");
		tap_ok(false, "service: its memfd");
		tap_ok(false, "service: finish");
		return;
	}
	describe_fd(s, what, sizeof(what));
	tap_ok(luo_session_name(s, name) && !strcmp(name, SVC_SESSION),
	       "service: retrieved session recognised (%s)", what);
	fd = luo_retrieve_fd(s, SVC_TOKEN);
	ok = fd >= 0 && check_stored(fd, "svc-private", why);
	tap_ok(ok, "service: memfd at token %d intact (%s)", SVC_TOKEN,
	       fd < 0 ? strerror(-fd) : ok ? "ok" : why);
	r = luo_finish(s);
	tap_ok(!r, "service: finish its session (%s)", r ? strerror(-r) : "ok");
	if (fd >= 0)
		close(fd);
	close(s);
}

static int stage2(void)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH], what[320], why[128];
	int dev, sys, m, r, fds[NR_MEMFDS];
	struct jnode *root = NULL;
	char *text = NULL;
	bool ok;

	tap_plan(7 + 2 * NR_MEMFDS + 5 + 2);
	dev = luo_open_device();
	if (!tap_ok(dev >= 0, "PID 1: open %s after kexec", LUO_DEVICE))
		return tap_exit_code();
	sys = luo_retrieve_session(dev, PID1_SESSION);
	if (!tap_ok(sys >= 0, "PID 1: retrieve session \"%s\" (%s)",
		    PID1_SESSION, sys < 0 ? strerror(-sys) : "ok"))
		return tap_exit_code();
	describe_fd(sys, what, sizeof(what));
	tap_ok(luo_session_name(sys, name) && !strcmp(name, PID1_SESSION),
	       "the retrieved session is recognised (%s)", what);
	m = luo_retrieve_fd(sys, 0);
	tap_ok(m >= 0, "mapping retrieved from token 0 (%s)",
	       m < 0 ? strerror(-m) : "ok");
	r = m >= 0 ? fcntl(m, F_GET_SEALS) : -1;
	tap_ok(r == MAP_SEALS, "mapping still sealed (seals %#x)", r);
	if (m >= 0)
		text = read_map(m);
	if (text)
		root = json_parse(text);
	tap_ok(root, "mapping parses: %s", text ? text : "(unreadable)");
	tap_ok(jget(root, "version") && jget(root, "version")->num == 1,
	       "mapping version 1");

	for (int i = 0; i < NR_MEMFDS; i++) {
		struct jnode *e = find_entry(root, store_memfds[i]);
		struct jnode *tok = jget(e, "token");
		const char *kind = jget_str(e, "kind");

		fds[i] = -1;
		tap_ok(tok && tok->type == J_NUM && tok->num > 0 && kind &&
		       !strcmp(kind, "memfd"), "%s: in the mapping at token %lld",
		       store_memfds[i], tok ? tok->num : -1LL);
		if (tok && tok->type == J_NUM)
			fds[i] = luo_retrieve_fd(sys, tok->num);
		ok = fds[i] >= 0 && check_stored(fds[i], store_memfds[i], why);
		tap_ok(ok, "%s: retrieved and intact (%s)", store_memfds[i],
		       fds[i] < 0 ? strerror(-fds[i]) : ok ? "ok" : why);
	}

	stage2_service(dev, root);

	r = luo_finish(sys);
	tap_ok(!r, "PID 1: finish \"%s\" (%s)", PID1_SESSION,
	       r ? strerror(-r) : "ok");
	ok = true;
	for (int i = 0; i < NR_MEMFDS; i++)
		ok = ok && fds[i] >= 0 &&
		     check_stored(fds[i], store_memfds[i], why);
	tap_ok(ok, "every memfd intact after finish");
	for (int i = 0; i < NR_MEMFDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (m >= 0)
		close(m);
	close(sys);
	close(dev);
	return tap_exit_code();
}

int main(int argc, char **argv)
{
	if (luo_parse_args(argc, argv, NULL) == 1)
		return stage1();
	return stage2();
}
