#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: build our kernel, boot it in QEMU, put 64 MiB of random bytes in
# a memfd, preserve it in a live update session, kexec into the next kernel,
# retrieve the memfd there and compare checksums.
. "$(dirname "$0")/lib.sh"

W=$OUT/demo-$KBASE
mkdir -p "$W"
say "step 1/5: Debian linux-source-$KBASE"
"$ROOT/scripts/fetch-base.sh"
say "step 2/5: building our kernel (tinyconfig + configs/base.config; ccache)"
O=$("$ROOT/scripts/build-kernel.sh" ours fast)
say "step 3/5: building the demo program and the initramfs"
"$ROOT/scripts/build-tests.sh" "$O" "$W/bin" >"$W/build-tests.log" 2>&1 ||
	{ tail -20 "$W/build-tests.log"; die "building the test programs failed"; }
"$ROOT/scripts/mkinitramfs.sh" "$W/initramfs.cpio" "$W/bin" ours="$O/arch/x86/boot/bzImage"
say "step 4/5: booting in QEMU (no KVM: TCG), preserving, live-updating by kexec"
log=$W/demo.log
: >"$log"
rc=0
"$ROOT/scripts/qemu-run.sh" "$O/arch/x86/boot/bzImage" "$W/initramfs.cpio" "$log" 300 \
	"luotest=kexec:luo_demo luonext=ours" &
guest=$!
# Follow the guest's console until the QEMU run ends (tail --pid).
tail -n +1 -F --pid=$guest "$log" 2>/dev/null |
	grep --line-buffered -E 'demo:|luo-init: loaded|Starting new kernel|Linux version' |
	sed -u -e 's/.*\(Linux version\)/\1/' -e 's/^\[[0-9.]*\] //' -e 's/^\[ *[0-9.]*\] //' -e 's/^/    guest: /'
wait $guest || rc=$?
say "step 5/5: result"
before=$(sed -n 's/.*demo: before kexec checksum=\([0-9a-f]*\).*/\1/p' "$log" | head -1)
after=$(sed -n 's/.*demo: after kexec checksum=\([0-9a-f]*\).*/\1/p' "$log" | head -1)
t0=$(sed -n 's/^\[\([0-9.]*\)\] demo: kexec at.*/\1/p' "$log" | head -1)
t1=$(sed -n 's/^\[\([0-9.]*\)\] demo: data available.*/\1/p' "$log" | head -1)
echo "    checksum before kexec: ${before:-?}"
echo "    checksum after kexec:  ${after:-?}"
if [ -n "$t0" ] && [ -n "$t1" ]; then
	echo "    kexec call -> data available in the new kernel: $(echo "($t1 - $t0) * 1000 / 1" | bc) ms (host clock, QEMU TCG)"
fi
if [ $rc = 0 ] && [ -n "$before" ] && [ "$before" = "$after" ]; then
	echo "    the 64 MiB survived the live update (full log: $log)"
else
	die "the demo failed (full log: $log)"
fi
