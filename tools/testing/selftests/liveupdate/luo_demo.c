// SPDX-License-Identifier: GPL-2.0
/*
 * luo_demo - the program behind "make demo".
 *
 * Stage 1: fill a 64 MiB memfd with random bytes, preserve it in session
 * "demo" with token 1, print its checksum and kexec.
 * Stage 2: retrieve the session and the memfd, print the checksum again,
 * FINISH the session. Exit 0 if the two checksums are equal.
 *
 * The host script parses the "demo:" lines (and times the gap between
 * "kexec at" and "data available"), so every line is flushed at once.
 *
 * Usage: luo_demo --stage 1|2
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "luo_test_utils.h"

#define DEMO_SESSION	"demo"
#define DEMO_TOKEN	1
#define DEMO_SIZE	(64UL << 20)
/* a second memfd carries the checksum of stage 1 over to stage 2 */
#define SUM_TOKEN	2

static __printf(1, 2) void say(const char *fmt, ...)
{
	va_list ap;

	printf("demo: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static __noreturn void fail(const char *what, int err)
{
	say("FAILED: %s: %s", what, strerror(err));
	exit(1);
}

static int stage1(void)
{
	uint64_t sum;
	int dev, s, fd, sfd, r;
	int rnd;
	char *p;
	struct timespec ts;

	dev = luo_open_device();
	if (dev < 0)
		fail("open " LUO_DEVICE, -dev);
	fd = memfd_create("demo", 0);
	if (fd < 0 || ftruncate(fd, DEMO_SIZE))
		fail("memfd", errno);
	p = mmap(NULL, DEMO_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		fail("mmap", errno);
	rnd = open("/dev/urandom", O_RDONLY);
	if (rnd < 0)
		fail("/dev/urandom", errno);
	for (size_t off = 0; off < DEMO_SIZE; ) {
		ssize_t n = read(rnd, p + off, DEMO_SIZE - off);

		if (n <= 0)
			fail("read /dev/urandom", n ? errno : EIO);
		off += n;
	}
	close(rnd);
	munmap(p, DEMO_SIZE);
	say("created a 64 MiB memfd of random data");

	s = luo_create_session(dev, DEMO_SESSION);
	if (s < 0)
		fail("create session", -s);
	r = luo_preserve_fd(s, fd, DEMO_TOKEN);
	if (r)
		fail("preserve", -r);
	say("preserved it in session \"%s\" with token %d", DEMO_SESSION,
	    DEMO_TOKEN);
	r = luo_file_checksum(fd, &sum);
	if (r)
		fail("checksum", -r);
	say("before kexec checksum=%016llx", (unsigned long long)sum);
	sfd = memfd_create("demo-sum", 0);
	if (sfd < 0 || pwrite(sfd, &sum, sizeof(sum), 0) != sizeof(sum))
		fail("checksum memfd", errno);
	r = luo_preserve_fd(s, sfd, SUM_TOKEN);
	if (r)
		fail("preserve the checksum memfd", -r);

	clock_gettime(CLOCK_MONOTONIC, &ts);
	say("kexec at %lld.%06ld (guest monotonic)", (long long)ts.tv_sec,
	    ts.tv_nsec / 1000);
	luo_kexec();
}

static int stage2(void)
{
	uint64_t sum, before;
	int dev, s, fd, sfd, r;

	dev = luo_open_device();
	if (dev < 0)
		fail("open " LUO_DEVICE, -dev);
	s = luo_retrieve_session(dev, DEMO_SESSION);
	if (s < 0)
		fail("retrieve session", -s);
	fd = luo_retrieve_fd(s, DEMO_TOKEN);
	if (fd < 0)
		fail("retrieve the memfd", -fd);
	say("data available (retrieved the memfd)");
	r = luo_file_checksum(fd, &sum);
	if (r)
		fail("checksum", -r);
	say("after kexec checksum=%016llx", (unsigned long long)sum);
	sfd = luo_retrieve_fd(s, SUM_TOKEN);
	if (sfd < 0)
		fail("retrieve the checksum memfd", -sfd);
	if (pread(sfd, &before, sizeof(before), 0) != sizeof(before))
		fail("read the checksum memfd", EIO);
	r = luo_finish(s);
	if (r)
		fail("finish", -r);
	say("finished session \"%s\"", DEMO_SESSION);
	if (before != sum) {
		say("FAILED: checksum %016llx before, %016llx after",
		    (unsigned long long)before, (unsigned long long)sum);
		return 1;
	}
	say("the checksums match");
	close(sfd);
	close(fd);
	close(s);
	close(dev);
	return 0;
}

int main(int argc, char **argv)
{
	if (luo_parse_args(argc, argv, NULL) == 1)
		return stage1();
	return stage2();
}
