#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The whole test suite: builds, KUnit, uAPI selftests, kexec tests (ours ->
# ours and both interop directions with the reference), hygiene checks.
# Every result is one line "ok - ..." or "not ok - ..."; the last line is
# "N passed, N failed" and the exit status is non-zero if anything failed.
. "$(dirname "$0")/lib.sh"
set +e

W=$OUT/check-$KBASE
mkdir -p "$W"
rm -f "$W"/*.log
npass=0
nfail=0
ok() { npass=$((npass + 1)); echo "ok - $*"; }
notok() { nfail=$((nfail + 1)); echo "not ok - $*"; }
result() { if [ "$1" = 0 ]; then ok "$2"; else notok "$2"; fi; }
summary() { echo "$npass passed, $nfail failed"; [ $nfail = 0 ]; exit $?; }
STL=$ROOT/tools/testing/selftests/liveupdate

# Count the TAP lines that userspace printed in a guest log: they follow the
# host timestamp directly (kernel lines carry the printk time first).
tap_count() {
	local log=$1 what=$2
	sed -n 's/^\[[0-9.]*\] //p' "$log" | grep -E '^(not )?ok [0-9]+' |
	while IFS= read -r l; do
		case $l in
		"not ok"*) echo "not ok - $what: ${l#not ok }" ;;
		*) echo "ok - $what: ${l#ok }" ;;
		esac
	done
}
tally() {
	local line
	while IFS= read -r line; do
		echo "$line"
		case $line in
		"not ok"*) nfail=$((nfail + 1)) ;;
		ok*) npass=$((npass + 1)) ;;
		esac
	done
}

say "building kernels (base $KBASE)"
O_OURS=$("$ROOT/scripts/build-kernel.sh" ours debug); result $? "build: ours (debug layer: lockdep, KASAN)"
O_REF=$("$ROOT/scripts/build-kernel.sh" ref fast); result $? "build: reference (base LUO, no debug layer)"
[ -f "$O_OURS/arch/x86/boot/bzImage" ] && [ -f "$O_REF/arch/x86/boot/bzImage" ] || summary

say "building test programs"
"$ROOT/scripts/build-tests.sh" "$O_OURS" "$W/bin" >"$W/build-tests.log" 2>&1
result $? "build: selftest programs" || { tail -20 "$W/build-tests.log"; }
"$ROOT/scripts/mkinitramfs.sh" "$W/initramfs.cpio" "$W/bin" \
	ours="$O_OURS/arch/x86/boot/bzImage" ref="$O_REF/arch/x86/boot/bzImage"
result $? "build: initramfs"
K_OURS=$O_OURS/arch/x86/boot/bzImage
K_REF=$O_REF/arch/x86/boot/bzImage

# KUnit runs while the debug kernel boots.
say "KUnit"
"$ROOT/scripts/qemu-run.sh" "$K_OURS" "$W/initramfs.cpio" "$W/kunit.log" 300 "luotest=kunit kunit.enable=1"
result $? "kunit: boot log clean"
sed -n 's/^\[[0-9.]*\] //p' "$W/kunit.log" >"$W/kunit.ktap"
python3 "$TREE_DIR/tools/testing/kunit/kunit.py" parse "$W/kunit.ktap" >"$W/kunit.txt" 2>&1
kr=$?
grep -E '^\[[A-Z]+\] |\[(PASSED|FAILED|SKIPPED|CRASHED)\]' "$W/kunit.txt" >/dev/null
sed -n 's/.*\[\(PASSED\|FAILED\|SKIPPED\|CRASHED\)\] \(.*\)/\1 \2/p' "$W/kunit.txt" |
	awk '{st=$1; $1=""; sub(/^ /,""); sub(/ =+$/,""); print (st=="PASSED"||st=="SKIPPED" ? "ok" : "not ok") " - kunit: " $0}' >"$W/kunit.res"
tally <"$W/kunit.res"
[ -s "$W/kunit.res" ] || notok "kunit: no KUnit results in the log"
result $kr "kunit: kunit.py parse verdict"

say "uAPI selftests"
"$ROOT/scripts/qemu-run.sh" "$K_OURS" "$W/initramfs.cpio" "$W/selftests.log" 600 "luotest=selftests"
result $? "selftests: guest run clean"
tally < <(tap_count "$W/selftests.log" selftests)

# kexec tests: "prog [args]" per line; ours -> ours, and the interop set also
# reference -> ours and ours -> reference.
kexec_run() {
	local prog=$1 from=$2 to=$3 args=$4 k
	local log=$W/kexec-$prog-$from-$to.log
	if [ "$from" = ours ]; then k=$K_OURS; else k=$K_REF; fi
	"$ROOT/scripts/qemu-run.sh" "$k" "$W/initramfs.cpio" "$log" 900 \
		"luotest=kexec:$prog luonext=$to${args:+ luoargs=$args}"
	result $? "kexec: $prog $from -> $to: both stages clean and passed"
	tally < <(tap_count "$log" "kexec $prog $from->$to")
	# ours -> ours: the in-kernel FLB test (lib/tests/liveupdate.c) rode
	# along with every preserved memfd; each of its FLBs must come back.
	if [ "$from$to" = oursours ]; then
		local good bad
		good=$(grep -c 'liveupdate_test: flb liveupdate-test-flb-v[0-9]*: handle ok' "$log")
		bad=$(grep -c 'liveupdate_test: .*\(BAD\|cannot attach\)' "$log")
		[ "$good" = 3 ] && [ "$bad" = 0 ]
		result $? "kexec: $prog: in-kernel test FLBs handed over ($good of 3 ok, $bad bad)"
	fi
}
say "kexec tests"
while read -r prog args; do
	case $prog in ''|'#'*) continue ;; esac
	kexec_run "$prog" ours ours "$args"
done <"$STL/kexec_tests.txt"
while read -r prog args; do
	case $prog in ''|'#'*) continue ;; esac
	kexec_run "$prog" ref ours "$args"
	kexec_run "$prog" ours ref "$args"
done <"$STL/interop_tests.txt"

say "hygiene"
tally < <("$ROOT/scripts/hygiene.sh" "$O_OURS" "$W")

say "documentation and the patch series"
tally < <("$ROOT/scripts/docs.sh" --tree-ready)
tally < <("$ROOT/scripts/patches.sh" --check)
summary
