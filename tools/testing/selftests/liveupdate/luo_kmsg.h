/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel log, as the LUO kexec tests read it: what the new kernel said
 * about the state the previous one handed over.
 */
#ifndef LUO_KMSG_H
#define LUO_KMSG_H

#include <stdbool.h>

/*
 * How many records of /dev/kmsg (from the start of the log) contain
 * @needle, or -1 if the log cannot be read. The printk.devkmsg=on of the
 * test guests lets every reader see every record.
 */
int luo_kmsg_count(const char *needle);

/* Whether a record of the kernel log contains @needle. */
bool luo_kmsg_has(const char *needle);

#endif /* LUO_KMSG_H */
