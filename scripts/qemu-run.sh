#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# qemu-run.sh KERNEL INITRD LOG TIMEOUT "EXTRA CMDLINE"
# Boot KERNEL under QEMU (TCG, 2 vCPUs) with the serial console captured to
# LOG, each line prefixed with the host's time in seconds. A guest that does
# not finish within TIMEOUT seconds is killed. Exit status: 0 if the guest
# reported "LUO-DONE rc=0" and the log has no kernel splat and no kmemleak
# report that names LUO (scripts/check-log.sh), 1 otherwise
# (the reason and the tail of the log go to stderr).
. "$(dirname "$0")/lib.sh"

kernel=$1 initrd=$2 log=$3 tmo=$4 extra=$5
mem=${QEMU_MEM:-4G}
cmdline="console=ttyS0 panic=-1 oops=panic liveupdate=on kho_scratch=512M,512M,512M"
cmdline+=" printk.devkmsg=on loglevel=7"
# Under TCG the guest reads the host's TSC, but calibrating it against the
# PIT often fails on a cold boot, and a tiny kernel has no other reference:
# the guest then keeps time in 10 ms jiffies. Give it the host's frequency
# when the host's TSC is constant.
if grep -qw constant_tsc /proc/cpuinfo; then
	khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
	[ -n "$khz" ] && cmdline+=" tsc_early_khz=$khz"
fi
cmdline+=" $extra"

rc=0
timeout --foreground -k 5 "$tmo" qemu-system-x86_64 -machine pc -smp 2 -m "$mem" \
	-nographic -no-reboot -monitor none -serial stdio -nodefaults \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" </dev/null 2>&1 |
	perl -MTime::HiRes=time -ne '$|=1; s/\r//g; printf "[%.6f] %s", time, $_' >"$log" || true
st=${PIPESTATUS[0]}

fail() { echo "FAIL($(basename "$log")): $*" >&2; tail -n 25 "$log" | sed 's/^/    /' >&2; rc=1; }
if [ "$st" = 124 ] || [ "$st" = 137 ]; then
	fail "guest hung: killed after $tmo s"
fi
# Kernel splats and kmemleak reports (see check-log.sh).
if ! why=$("$ROOT/scripts/check-log.sh" "$log"); then
	fail "$why"
fi
if ! grep -q 'LUO-DONE rc=0' "$log" && [ $rc = 0 ]; then
	fail "guest did not report success ($(grep -o 'LUO-DONE rc=[0-9]*' "$log" | tail -1))"
fi
exit $rc
