#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# qemu-run.sh KERNEL INITRD LOG TIMEOUT "EXTRA CMDLINE"
# Boot KERNEL under QEMU (TCG, 2 vCPUs) with the serial console captured to
# LOG, each line prefixed with the host's time in seconds. A guest that does
# not finish within TIMEOUT seconds, or that does not power off soon after
# its "LUO-DONE" line, is killed. Exit status: 0 if the guest reported
# "LUO-DONE rc=0", powered off, and the log has no kernel splat and no
# kmemleak report that names LUO (scripts/check-log.sh); 1 otherwise (the
# reason and the tail of the log go to stderr).
# LUO_QEMU replaces qemu-system-x86_64 (the harness self-test uses a fake).
. "$(dirname "$0")/lib.sh"

kernel=$1 initrd=$2 log=$3 tmo=$4 extra=$5
# 1 GiB: a debug kernel's kmemleak scan and its boot take time in
# proportion to the memory: the final kmemleak scan of a KUnit run takes
# 10.5 s at 2 GiB and 22.5 s at 4 GiB, the boot to init 8 s and 11 s; six
# kexec tests, two at a time, took 8 % less CPU at 1 GiB than at 2.
mem=${QEMU_MEM:-1G}
# KHO's scratch areas (lowmem, global, per node), where the next kernel
# boots: an eighth of the memory each (a debug kernel's KASAN shadow is
# another eighth), at most 512 MiB.
case $mem in
*G) scratch=$(( ${mem%G} * 128 )) ;;
*M) scratch=$(( ${mem%M} / 8 )) ;;
*) die "QEMU_MEM: give the size in M or G, not $mem" ;;
esac
[ "$scratch" -le 512 ] || scratch=512
cmdline="console=ttyS0 panic=-1 oops=panic liveupdate=on"
cmdline+=" kho_scratch=${scratch}M,${scratch}M,${scratch}M"
cmdline+=" printk.devkmsg=on loglevel=7"
# The soft-lockup detector (debug kernels) fires after 2 x 30 s, not 2 x 10 s.
cmdline+=" watchdog_thresh=30"
# Under TCG the guest reads the host's TSC, but calibrating it against the
# PIT often fails on a cold boot, and a tiny kernel has no other reference:
# the guest then keeps time in 10 ms jiffies. Give it the host's frequency
# when the host's TSC is constant.
if grep -qw constant_tsc /proc/cpuinfo; then
	khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
	[ -n "$khz" ] && cmdline+=" tsc_early_khz=$khz"
fi
cmdline+=" $extra"

# The console goes through a small perl supervisor that runs QEMU, stamps
# each line with the host's time, and kills QEMU when the guest hangs: after
# TIMEOUT seconds in all, or when it does not power off within
# QEMU_DONE_GRACE seconds of printing "LUO-DONE" (a deadlock in the final
# reboot). Its exit status is QEMU's, or 124 for a hang, 125 for a guest
# that never powered off after LUO-DONE. (A shell pipeline with "|| true"
# would lose QEMU's status: PIPESTATUS then describes "true".)
grace=${QEMU_DONE_GRACE:-30}
rc=0
st=0
perl -MTime::HiRes=time -MIO::Select -e '
	my ($tmo, $grace, @cmd) = @ARGV;
	$| = 1;
	my $pid = open(my $q, "-|") // die "fork: $!\n";
	if (!$pid) {
		open(STDERR, ">&", \*STDOUT);
		open(STDIN, "<", "/dev/null");
		exec(@cmd) or die "exec $cmd[0]: $!\n";
	}
	my $sel = IO::Select->new($q);
	my ($buf, $done, $why) = ("", 0, 0);
	my $deadline = time + $tmo;
	sub out { my $l = shift; $l =~ s/\r//g; printf "[%.6f] %s\n", time, $l; }
	while (1) {
		my $left = $deadline - time;
		if ($left <= 0) { $why = $done ? 125 : 124; last; }
		next unless $sel->can_read($left);
		my $n = sysread($q, my $chunk, 65536);
		last if !$n;
		$buf .= $chunk;
		while ($buf =~ s/^(.*?)\n//) {
			my $l = $1;
			out($l);
			if (!$done && $l =~ /LUO-DONE rc=/) {
				$done = 1;
				$deadline = time + $grace if time + $grace < $deadline;
			}
		}
	}
	out($buf) if length $buf;
	if ($why) {
		out($why == 125 ? "qemu-run: no power-off within $grace s of LUO-DONE, killing QEMU"
				: "qemu-run: timeout after $tmo s, killing QEMU");
		kill("TERM", $pid);
		for (1 .. 50) { last if waitpid($pid, 1) > 0; select(undef, undef, undef, 0.1); }
		kill("KILL", $pid);
		close($q);
		exit($why);
	}
	close($q);
	exit($? & 127 ? 128 + ($? & 127) : $? >> 8);
' "$tmo" "$grace" "${LUO_QEMU:-qemu-system-x86_64}" -machine pc -smp 2 -m "$mem" \
	-nographic -no-reboot -monitor none -serial stdio -nodefaults \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" >"$log" || st=$?

fail() { echo "FAIL($(basename "$log")): $*" >&2; tail -n 25 "$log" | sed 's/^/    /' >&2; rc=1; }
case $st in
0) ;;
124) fail "guest hung: killed after $tmo s" ;;
125) fail "guest hung: it printed LUO-DONE but did not power off within $grace s" ;;
*) fail "QEMU exited with status $st" ;;
esac
# Kernel splats and kmemleak reports (see check-log.sh).
if ! why=$("$ROOT/scripts/check-log.sh" "$log"); then
	fail "$why"
fi
if ! grep -q 'LUO-DONE rc=0' "$log" && [ $rc = 0 ]; then
	fail "guest did not report success ($(grep -o 'LUO-DONE rc=[0-9]*' "$log" | tail -1))"
fi
exit $rc
