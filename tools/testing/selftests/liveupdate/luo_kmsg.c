// SPDX-License-Identifier: GPL-2.0
/*
 * Search the kernel log for the LUO kexec tests (see luo_kmsg.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "luo_kmsg.h"

int luo_kmsg_count(const char *needle)
{
	char rec[8192];
	int fd, n = 0;
	ssize_t len;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		printf("# open /dev/kmsg: %s\n", strerror(errno));
		return -1;
	}
	/* One record per read; EPIPE when records were overwritten. */
	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;
		if (len <= 0)
			break;
		rec[len] = '\0';
		n += !!strstr(rec, needle);
	}
	close(fd);
	return n;
}

bool luo_kmsg_has(const char *needle)
{
	return luo_kmsg_count(needle) > 0;
}
