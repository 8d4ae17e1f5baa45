#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# harness-selftest.sh: the harness must report what happened. Feed the real
# parsers (results.sh), qemu-run.sh (with a fake QEMU), check-log.sh (with
# fake guest logs), the checkers' wrapper (checker_results) and the
# checkers themselves (hygiene.sh with a broken checkpatch or no files,
# docs.sh without a tree or with nothing to check, conformance.sh compare
# with a broken document or a case list that does not match, patches.sh's
# checkpatch that cannot run, a patch's kernel taken for the overlay's
# without proof), build-tests.sh and the selftests Makefile
# inputs that must fail, the test programs' luo_parse_args() (compiled on
# the host) given an unknown argument, kexec result files cut short, the
# checkers' result files of a run killed in the background, negative controls
# that pass, a fail-nth reboot sweep that ends on an absorbed fault, or
# with no kexec refused at a site it names,
# mktree.sh bringing a base file back with its old time, leaving ours
# older than a copy of the reference's build or running while another
# build holds the lock, mkinitramfs.sh leaving the last run's initramfs
# when it fails, counts that shrink below the ones pinned in the tree
# (scripts/pinned-counts), a config option that did not stick, an object
# of a deleted source kept from the seed, a build of another base kept;
# and check that they fail; and a good input that
# must pass, so that a parser that fails everything is caught too.
# One "ok - harness: ..." or "not ok - harness: ..." line per check (their
# number is pinned in check.sh); takes a few seconds. Exit status 1 if any
# check failed.
. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/results.sh"
# No pipefail: in "cmd | grep -q", grep may exit at the first match and
# cmd die of SIGPIPE, which must not count.
set +e +o pipefail

T=$(mktemp -d "${TMPDIR:-/tmp}/luo-harness.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
nchecks=0
check() {
	local what=$1
	shift
	nchecks=$((nchecks + 1))
	if "$@" >"$T/last.out" 2>&1; then echo "ok - harness: $what"; else
		fails=$((fails + 1))
		echo "not ok - harness: $what"
		sed 's/^/#   /' "$T/last.out" | head -10
	fi
}
# Output of a parser: how many "not ok" lines, and whether @pattern is one.
nfail() { grep -c '^not ok' "$1"; }
has() { grep -q -- "$2" "$1" || { echo "no line matching '$2' in:"; cat "$1"; false; }; }
clean() { [ "$(nfail "$1")" = 0 ] && grep -q '^ok' "$1" || { echo "expected only ok lines:"; cat "$1"; false; }; }

# A guest log: host timestamp, then what the guest printed.
glog() {
	local f=$1
	shift
	printf '%s\n' "$@" | sed 's/^/[100.000000] /' >"$f"
}

# ---- TAP from the guest ------------------------------------------------
glog "$T/good.log" "[    1.000000] Linux version x" "luo-init: test=kexec:t stage=1" \
	"TAP version 13" "1..2" "ok 1 - a" "ok 2 - b" \
	"[    2.000000]     ok 1 kernel_ktap_line_is_not_userspace" \
	"TAP version 13" "1..1" "ok 1 - c" "# 1 passed, 0 failed" "LUO-DONE rc=0"
tap_results "$T/good.log" t 2 >"$T/good.out"
check "TAP: a complete log passes" clean "$T/good.out"
check "TAP: kernel lines are not counted" eval '[ "$(grep -c ^ok "$T/good.out")" = 3 ]'

glog "$T/skip.log" "1..2" "ok 1 - a" "ok 2 liveupdate.device_open # SKIP /dev/liveupdate does not exist"
tap_results "$T/skip.log" t 1 >"$T/skip.out"
check "TAP: a skipped test fails" has "$T/skip.out" '^not ok - t: 2 liveupdate.device_open.*(skipped)$'
check "TAP: a skip is not also a pass" eval '[ "$(grep -c ^ok "$T/skip.out")" = 1 ]'

glog "$T/short.log" "1..3" "ok 1 - a" "ok 2 - b"
tap_results "$T/short.log" t 1 >"$T/short.out"
check "TAP: a program that dies mid-way (plan not met) fails" has "$T/short.out" '^not ok - t: TAP run 1 planned 3 results, printed 2'

glog "$T/stage.log" "1..2" "ok 1 - a" "ok 2 - b" "LUO-DONE rc=0"
tap_results "$T/stage.log" t 2 >"$T/stage.out"
check "TAP: a missing program (stage 2 never ran) fails" has "$T/stage.out" '^not ok - t: 1 of 2 TAP programs'

glog "$T/none.log" "luo-init: running liveupdate" "sh: /luo/bin/liveupdate: not found"
tap_results "$T/none.log" t 1 >"$T/none.out"
check "TAP: no TAP at all fails" has "$T/none.out" '^not ok - t: 0 of 1 TAP programs'

: >"$T/empty.log"
tap_results "$T/empty.log" t 1 >"$T/empty.out"
tap_results "$T/no-such.log" t 1 >"$T/nolog.out"
check "TAP: an empty guest log fails" has "$T/empty.out" '^not ok - t: no guest log'
check "TAP: a missing guest log fails" has "$T/nolog.out" '^not ok - t: no guest log'

glog "$T/bail.log" "1..3" "ok 1 - a" "Bail out! reboot(LINUX_REBOOT_CMD_KEXEC): Invalid argument"
tap_results "$T/bail.log" t 1 >"$T/bail.out"
check "TAP: Bail out! fails" has "$T/bail.out" '^not ok - t: Bail out!'

glog "$T/zero.log" "1..0 # SKIP no /dev/liveupdate"
tap_results "$T/zero.log" t 1 >"$T/zero.out"
check "TAP: a plan of no tests fails" has "$T/zero.out" '^not ok - t: TAP run 1 plans no tests'

glog "$T/orphan.log" "ok 1 - a" "1..1" "ok 1 - b"
tap_results "$T/orphan.log" t 1 >"$T/orphan.out"
check "TAP: results before a plan fail" has "$T/orphan.out" '^not ok - t: 1 result lines outside a TAP plan'

glog "$T/fail.log" "1..1" "not ok 1 - a"
tap_results "$T/fail.log" t 1 >"$T/fail.out"
check "TAP: not ok fails" has "$T/fail.out" '^not ok - t: 1 - a'

# ---- KUnit: the real kunit.py of the base tree, then kunit_results -------
kunitpy=
for d in "$TREE_DIR" "$SRC_DIR"; do
	[ -f "$d/tools/testing/kunit/kunit.py" ] && { kunitpy=$d/tools/testing/kunit/kunit.py; break; }
done
ktap() {
	local f=$1 skip=$2 n=$3
	{
		echo "KTAP version 1"; echo "1..1"
		echo "    KTAP version 1"; echo "    # Subtest: liveupdate"; echo "    1..3"
		echo "    ok 1 luo_test_names"
		[ "$n" -ge 2 ] && echo "    ok 2 luo_test_round_trip$skip"
		[ "$n" -ge 3 ] && { echo "    ok 3 luo_test_flb_page"; echo "ok 1 liveupdate"; }
	} | sed 's/^/[    1.000000] /' >"$f"
}
kunit_parse() {
	python3 "$kunitpy" parse "$1" >"$2" 2>&1
	kunit_results "$2" liveupdate >"$3"
}
if [ -n "$kunitpy" ]; then
	ktap "$T/k-good.ktap" "" 3
	kunit_parse "$T/k-good.ktap" "$T/k-good.txt" "$T/k-good.out"
	check "KUnit: a complete run passes" clean "$T/k-good.out"
	ktap "$T/k-skip.ktap" " # SKIP KHO is off" 3
	kunit_parse "$T/k-skip.ktap" "$T/k-skip.txt" "$T/k-skip.out"
	check "KUnit: a skipped case fails" has "$T/k-skip.out" '^not ok - kunit: luo_test_round_trip (KHO is off) (skipped)'
	check "KUnit: a skip fails though kunit.py's verdict passes it" eval \
		'python3 "$kunitpy" parse "$T/k-skip.ktap" >/dev/null 2>&1 && [ "$(nfail "$T/k-skip.out")" = 1 ]'
	ktap "$T/k-short.ktap" "" 2
	kunit_parse "$T/k-short.ktap" "$T/k-short.txt" "$T/k-short.out"
	check "KUnit: a run that stops mid-way fails" has "$T/k-short.out" '^not ok - kunit: .*missing'
	: >"$T/k-empty.ktap"
	kunit_parse "$T/k-empty.ktap" "$T/k-empty.txt" "$T/k-empty.out"
	check "KUnit: no KTAP at all fails" has "$T/k-empty.out" '^not ok - kunit: suite liveupdate did not pass'
	ktap "$T/k-other.ktap" "" 3
	sed -i 's/liveupdate/other_suite/' "$T/k-other.ktap"
	kunit_parse "$T/k-other.ktap" "$T/k-other.txt" "$T/k-other.out"
	check "KUnit: another suite does not stand in for ours" has "$T/k-other.out" '^not ok - kunit: suite liveupdate did not pass'
	kunit_results "$T/k-good.txt" liveupdate liveupdate_flb >"$T/k-two.out"
	check "KUnit: every suite asked for must pass" has "$T/k-two.out" '^not ok - kunit: suite liveupdate_flb did not pass'
	kunit_results "$T/k-good.txt" liveupdate=4 >"$T/k-pin4.out"
	check "KUnit: a suite with fewer cases than pinned fails" has "$T/k-pin4.out" \
		'^not ok - kunit: suite liveupdate ran 3 cases, 4 expected'
	kunit_results "$T/k-good.txt" liveupdate=3 >"$T/k-pin3.out"
	check "KUnit: a suite with its pinned number of cases passes" clean "$T/k-pin3.out"
else
	nchecks=$((nchecks + 1))
	fails=$((fails + 1))
	echo "not ok - harness: KUnit: no kunit.py in $TREE_DIR or $SRC_DIR"
fi
kunit_results "$T/k-none.txt" liveupdate >"$T/k-none.out"
check "KUnit: no parser output fails" has "$T/k-none.out" '^not ok - kunit: no output'

# ---- test lists -----------------------------------------------------------
printf '# only a comment\n\n' >"$T/list-empty.txt"
printf '# c\nprog_a\nprog_b -n,2\n' >"$T/list.txt"
check "test list: an empty list fails" eval '! test_list "$T/list-empty.txt" | grep -q "^ok"'
check "test list: a missing list fails" eval '! test_list "$T/no-list.txt" | grep -q "^ok"'
check "test list: entries without comments" eval '[ "$(test_list_entries "$T/list.txt" | tr "\n" ";")" = "prog_a;prog_b -n,2;" ]'

# ---- counts pinned in the tree (scripts/pinned-counts) ---------------------
# A list, or a TAP program's plan, that shrinks fails though what is left
# passes; so does a test that nobody pinned.
check "pinned: a list of its pinned number of tests passes (control)" eval \
	'test_list "$T/list.txt" 2 | grep -q "^ok"'
check "pinned: a list with fewer tests than pinned fails" eval \
	'test_list "$T/list.txt" 3 >"$T/pin-list.out"; has "$T/pin-list.out" "^not ok - test list list.txt: 2 tests, 3 pinned"'
tap_results "$T/good.log" t 2 "2 1" >"$T/pin-good.out"
tap_results "$T/good.log" t 2 "2 2" >"$T/pin-less.out"
tap_results "$T/good.log" t 2 "" >"$T/pin-none.out"
check "pinned: TAP programs with their pinned plans pass (control)" clean "$T/pin-good.out"
check "pinned: a TAP program that plans fewer tests than pinned fails" has "$T/pin-less.out" \
	'^not ok - t: TAP run 2 plans 1 tests, 2 pinned'
check "pinned: a test whose plans nobody pinned fails" has "$T/pin-none.out" '^not ok - t: no plans pinned'
# The tree's own: every test of the lists pinned, a plan per stage.
pinned_tree() {
	local l prog args w nst n bad=0 STL=$ROOT/tools/testing/selftests/liveupdate
	for l in kexec_tests.txt interop_tests.txt; do
		n=$(test_list_entries "$STL/$l" | wc -l)
		[ "$n" = "$(pinned_list "$l")" ] || { echo "$l: $n tests, $(pinned_list "$l") pinned"; bad=1; }
		while read -r prog args; do
			nst=2
			for w in $args; do case $w in @luostages=*) nst=${w#@luostages=} ;; esac; done
			n=$(pinned_plans "$(echo $prog $args)" | wc -w)
			[ "$n" = "$nst" ] || { echo "$prog $args: $n plans pinned, $nst stages"; bad=1; }
		done < <(test_list_entries "$STL/$l")
	done
	n=$(make -pn -C "$STL" OUTPUT=/x 2>/dev/null | sed -n 's/^SELFTEST_PROGS := //p' | wc -w)
	[ "$n" = "$(pinned_list selftests)" ] && [ "$(pinned_plans selftests | wc -w)" = "$n" ] ||
		{ echo "selftests: $n programs, $(pinned_list selftests) pinned, $(pinned_plans selftests | wc -w) plans"; bad=1; }
	return $bad
}
check "pinned: every test of the lists, and every selftest program, has its plans pinned" pinned_tree

# ---- qemu-run.sh with a fake QEMU ---------------------------------------
fakeq() {
	printf '#!/bin/sh\n%s\n' "$2" >"$T/$1"
	chmod +x "$T/$1"
}
fakeq q-good 'printf "luo-init: x\r\nLUO-DONE rc=0\r\nreboot: Restarting system\r\n"'
fakeq q-hang-after-done 'echo "LUO-DONE rc=0"; exec sleep 600'
fakeq q-hang 'echo "Linux version x"; exec sleep 600'
fakeq q-panic 'echo "LUO-DONE rc=0"; echo "[    3.0] Kernel panic - not syncing: Attempted to kill init!"'
fakeq q-rc1 'echo "LUO-DONE rc=1"'
fakeq q-status 'echo "LUO-DONE rc=0"; exit 3'
qrun() { LUO_QEMU=$T/$1 QEMU_DONE_GRACE=2 "$ROOT/scripts/qemu-run.sh" /k /i "$T/$1.log" "$2" ""; }
check "qemu-run: a guest that reports success and powers off passes" qrun q-good 20
check "qemu-run: a guest that hangs after LUO-DONE rc=0 fails as a hang" eval \
	'! qrun q-hang-after-done 20 && grep -q "no power-off within 2 s of LUO-DONE" "$T/q-hang-after-done.log"'
check "qemu-run: a guest that hangs before LUO-DONE fails at the timeout" eval \
	'! qrun q-hang 2 && grep -q "timeout after 2 s" "$T/q-hang.log"'
check "qemu-run: Kernel panic fails" eval '! qrun q-panic 20'
check "qemu-run: LUO-DONE rc=1 fails" eval '! qrun q-rc1 20'
check "qemu-run: QEMU's own failure fails" eval '! qrun q-status 20'

# ---- hygiene.sh with a checkpatch that cannot run -------------------------
# break_checkpatch HOW FILE: make FILE a checkpatch.pl that cannot run:
# missing, needing a perl module that is not there, or failing silently.
break_checkpatch() {
	case $1 in
	missing) rm -f "$2" ;;
	module) echo 'use No::Such::Module;' >"$2" ;;
	silent) echo 'exit 1;' >"$2" ;;
	esac
}

mkdir -p "$T/hy/O" "$T/hy/src/scripts" "$T/hy/W"
ln -s "$T/hy/src" "$T/hy/O/source"
printf '.DEFAULT: ; @:\n' >"$T/hy/src/Makefile"
printf '#!/bin/sh\nexit 0\n' >"$T/hy/src/scripts/kernel-doc"
chmod +x "$T/hy/src/scripts/kernel-doc"
for v in missing module silent; do
	break_checkpatch $v "$T/hy/src/scripts/checkpatch.pl"
	"$ROOT/scripts/hygiene.sh" "$T/hy/O" "$T/hy/W" >"$T/hy-$v.out" 2>&1
	check "hygiene: checkpatch that cannot run ($v) fails" eval \
		'grep -q "^not ok - checkpatch cannot run" "$T/hy-$v.out" && ! grep -q "^ok - checkpatch --strict" "$T/hy-$v.out"'
done

# ---- build-tests.sh and the selftests Makefile ------------------------------
mkdir -p "$T/bt/O/usr/include/linux" "$T/bt/bin" "$T/bt/src"
ln -s "$T/bt/src" "$T/bt/O/source"
printf '.DEFAULT: ; @:\n' >"$T/bt/src/Makefile"
echo '#error the selftest build fails here' >"$T/bt/O/usr/include/linux/liveupdate.h"
echo stale >"$T/bt/bin/liveupdate"
LUO_NO_BUILD_LOCK=1 "$ROOT/scripts/build-tests.sh" "$T/bt/O" "$T/bt/bin" >"$T/bt.out" 2>&1
bt_rc=$?
check "build-tests: a failed build fails" eval '[ $bt_rc != 0 ]'
check "build-tests: no stale binary survives a failed build" eval '[ ! -e "$T/bt/bin/liveupdate" ]'

STL=$ROOT/tools/testing/selftests/liveupdate
mk() { make -n -C "$STL" OUTPUT="$T/mk" KHDR_INCLUDES="-isystem $T/mk-inc" SELFTESTS=/nonexistent 2>/dev/null; }
mkdir -p "$T/mk" "$T/mk-inc/linux"
touch -d '-1 hour' "$T/mk-inc/linux/liveupdate.h"
for p in $(make -pn -C "$STL" OUTPUT=/x 2>/dev/null | sed -n 's/^PROGS := //p') selftests; do
	touch "$T/mk/$p"
done
check "Makefile: up-to-date programs are not rebuilt (control)" eval '! mk | grep -q -- "-o $T/mk/"'
touch -d '+1 minute' "$T/mk-inc/linux/liveupdate.h"
check "Makefile: a newer uAPI header rebuilds the programs" eval 'mk | grep -q -- "-o $T/mk/liveupdate "'

# ---- mkinitramfs.sh: a run that fails leaves no initramfs ------------------
# (guests would boot the last run's programs and kernels)
mkdir -p "$T/mi/cache" "$T/mi/bin"
echo kernel >"$T/mi/bzImage"
mi() { LUO_CACHE=$T/mi/cache "$ROOT/scripts/mkinitramfs.sh" "$T/mi/initramfs.cpio" "$T/mi/bin" "$@" >"$T/mi.out" 2>&1; }
check "mkinitramfs: a run that succeeds writes the initramfs (control)" eval \
	'mi ours="$T/mi/bzImage" && cpio -it --quiet <"$T/mi/initramfs.cpio" | grep -qx boot/ours.bzImage'
echo stale >"$T/mi/initramfs.cpio"
check "mkinitramfs: a run that fails (a kernel missing) leaves no initramfs, not even the last run's" eval \
	'! mi ours="$T/mi/no-bzImage" && [ ! -e "$T/mi/initramfs.cpio" ] &&
	 [ -z "$(ls "$T/mi" | grep "^initramfs.cpio.")" ]'

# ---- luo_parse_args(): the test programs' arguments ----------------------
# Compiled on the host (the uAPI header of this repository, kselftest.h of
# the base tree) with a main that prints what it returned: an unknown
# argument ("--rebuid" for "--rebuild") must not run another test.
ksft=
for d in "$TREE_DIR" "$SRC_DIR"; do
	[ -f "$d/tools/testing/selftests/kselftest.h" ] && { ksft=$d/tools/testing/selftests; break; }
done
mkdir -p "$T/pa/inc/linux"
cp "$ROOT/include/uapi/linux/liveupdate.h" "$T/pa/inc/linux/"
printf '%s\n' '#include <stdio.h>' '#include <stdlib.h>' '#include "luo_test_utils.h"' \
	'int main(int argc, char **argv)' '{' '	long n = 0;' \
	'	int stage = luo_parse_args(argc, argv, getenv("LUO_N") ? &n : NULL);' '' \
	'	printf("stage %d n %ld\n", stage, n);' '	return 0;' '}' >"$T/pa/main.c"
gcc -D_GNU_SOURCE -isystem "$T/pa/inc" -I"${ksft:-/nonexistent}" -I"$STL" -o "$T/pa/t" \
	"$T/pa/main.c" "$STL/luo_test_utils.c" >"$T/pa/cc.log" 2>&1
pa() { "$T/pa/t" "$@" >"$T/pa.out" 2>&1; echo "status $?" >>"$T/pa.out"; }
check "luo_parse_args: --stage N and -n N are taken (control)" eval \
	'{ [ -x "$T/pa/t" ] || { cat "$T/pa/cc.log"; false; }; } &&
	 pa --stage 1 && has "$T/pa.out" "^stage 1 n 0" && has "$T/pa.out" "^status 0" &&
	 LUO_N=1 pa --stage=2 -n 7 && has "$T/pa.out" "^stage 2 n 7"'
check "luo_parse_args: an unknown argument (--rebuid) fails with the usage, status 2" eval \
	'pa --stage 1 --rebuid && has "$T/pa.out" "unknown argument .--rebuid." &&
	 has "$T/pa.out" "^usage: " && has "$T/pa.out" "^status 2" && ! grep -q "^stage" "$T/pa.out"'
check "luo_parse_args: -n to a program that takes no count fails" eval \
	'pa --stage 1 -n 5 && has "$T/pa.out" "^status 2"'

# ---- check-log.sh: kernel splats in a guest log ------------------------
# A kernel line: host timestamp, then the guest's printk time.
klog() {
	local f=$1
	shift
	printf '%s\n' "$@" | sed 's/^/[100.000000] [    5.000000] /' >"$f"
}
# splat LOG PATTERN: check-log.sh must fail LOG with a line matching PATTERN.
splat() {
	"$ROOT/scripts/check-log.sh" "$1" >"$1.out" 2>&1 && { echo "check-log.sh passed:"; cat "$1"; return 1; }
	has "$1.out" "$2"
}
nosplat() { "$ROOT/scripts/check-log.sh" "$1" >"$1.out" 2>&1 || { cat "$1.out"; false; }; }
boot="Linux version 7.2.0 (luo@luo)"
# fault injection's dump, then (verbose=2) warn_alloc()'s for the failed allocation
fi_dump=("FAULT_INJECTION: forcing a failure."
	"name fail_page_alloc, interval 1, probability 0, space 0, times 1"
	"CPU: 1 UID: 0 PID: 80 Comm: luo_fail_nth Not tainted 7.2.0 #1"
	"Call Trace:" " <TASK>" " dump_stack_lvl+0x5d/0x80" " should_fail_ex+0x1c0/0x1d0" " </TASK>")
alloc_dump() {
	printf '%s\n' "$1: $2 order:${3:-0}, mode:0xcc0(GFP_KERNEL), nodemask=(null)" \
		"CPU: 1 UID: 0 PID: 80 Comm: $1 Not tainted 7.2.0 #1" \
		"Call Trace:" " <TASK>" " warn_alloc+0x1a0/0x220" " </TASK>" "Mem-Info:"
}
mapfile -t pa_dump < <(alloc_dump luo_fail_nth "page allocation failure:")
mapfile -t va_dump < <(alloc_dump luo_fail_nth "vmalloc error: size 8192, failed to allocate pages,")
klog "$T/cl-good.log" "$boot" "luo-init: x" "${fi_dump[@]}" "${pa_dump[@]}" "${fi_dump[@]}" "${va_dump[@]}"
check "check-log: fault injection's dumps and the allocation failures they cause pass" nosplat "$T/cl-good.log"
klog "$T/cl-rcu1.log" "$boot" "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:"
check "check-log: an RCU stall (detected stalls) fails" splat "$T/cl-rcu1.log" 'detected stalls'
klog "$T/cl-rcu2.log" "$boot" "rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 1-... } 21003 jiffies"
check "check-log: an expedited RCU stall fails" splat "$T/cl-rcu2.log" 'detected expedited stalls'
klog "$T/cl-rcu3.log" "$boot" "rcu: INFO: rcu_sched self-detected stall on CPU"
check "check-log: an RCU self-detected stall fails" splat "$T/cl-rcu3.log" 'self-detected stall'
klog "$T/cl-rcu4.log" "$boot" "rcu: rcu_preempt kthread starved for 10502 jiffies! g3541 f0x0 RCU_GP_WAIT_FQS(5)"
check "check-log: a starved RCU kthread fails" splat "$T/cl-rcu4.log" 'kthread starved'
klog "$T/cl-slub.log" "$boot" "=============================================================================" \
	"BUG kmalloc-64 (Not tainted): Poison overwritten" \
	"-----------------------------------------------------------------------------"
check "check-log: SLUB's BUG kmalloc-64 (...) report fails" splat "$T/cl-slub.log" '^kernel splat: BUG kmalloc-64 (Not tainted)'
mapfile -t pa_other < <(alloc_dump luo_kexec_multi "page allocation failure:")
klog "$T/cl-alloc.log" "$boot" "${pa_other[@]}"
check "check-log: an allocation failure without fault injection fails" splat "$T/cl-alloc.log" 'luo_kexec_multi: page allocation failure'
klog "$T/cl-alloc2.log" "$boot" "${fi_dump[@]}" "${pa_other[@]}"
check "check-log: an allocation failure of another task than the faulted one fails" splat "$T/cl-alloc2.log" 'luo_kexec_multi: page allocation failure'
klog "$T/cl-kexec.log" "$boot" "${fi_dump[@]:0:6}" "$boot" "CPU: 0 UID: 0 PID: 1 Comm: init Not tainted 7.2.0 #1" \
	"Call Trace:" " <TASK>" " dump_stack_lvl+0x5d/0x80" " </TASK>"
check "check-log: a fault injection dump cut by a kexec exempts nothing in the next kernel" splat "$T/cl-kexec.log" '^kernel splat: Call Trace:'
klog "$T/cl-kexec2.log" "$boot" "${fi_dump[@]}" "$boot" "${pa_dump[@]}"
check "check-log: a fault injected before a kexec does not excuse an allocation failure after it" splat "$T/cl-kexec2.log" 'luo_fail_nth: page allocation failure'
# Only the dump of the fault's own allocation failure is exempt: right
# after the fault's dump, and after a fault that fails allocations.
fault_dump() {
	printf '%s\n' "FAULT_INJECTION: forcing a failure." "name $1, interval 1, probability 0, space 0, times 1" \
		"CPU: 1 UID: 0 PID: 80 Comm: luo_fail_nth Not tainted 7.2.0 #1" \
		"Call Trace:" " <TASK>" " dump_stack_lvl+0x5d/0x80" " should_fail_ex+0x1c0/0x1d0" " </TASK>"
}
mapfile -t fs_dump < <(fault_dump failslab)
mapfile -t uc_dump < <(fault_dump fail_usercopy)
mapfile -t pa10_dump < <(alloc_dump luo_fail_nth "page allocation failure:" 10)
mapfile -t vs_dump < <(alloc_dump luo_fail_nth "vmalloc error: size 8192, vm_struct allocation failed,")
klog "$T/cl-slab.log" "$boot" "${fs_dump[@]}" "${pa10_dump[@]}"
check "check-log: a real allocation failure after a failslab fault of the same task fails" \
	splat "$T/cl-slab.log" 'luo_fail_nth: page allocation failure: order:10'
klog "$T/cl-ucopy.log" "$boot" "${uc_dump[@]}" "${pa10_dump[@]}"
check "check-log: a real allocation failure after a usercopy fault of the same task fails" \
	splat "$T/cl-ucopy.log" 'luo_fail_nth: page allocation failure: order:10'
klog "$T/cl-later.log" "$boot" "${fi_dump[@]}" "liveupdate: session s-1: preserve failed: -12" "${pa_dump[@]}"
check "check-log: an allocation failure not right after the fault's dump fails" \
	splat "$T/cl-later.log" 'luo_fail_nth: page allocation failure'
klog "$T/cl-vmslab.log" "$boot" "${fs_dump[@]}" "${vs_dump[@]}"
check "check-log: a failslab fault and the vmalloc error it causes pass (control)" nosplat "$T/cl-vmslab.log"
# The hung-task and soft-lockup detectors and UBSAN are in the debug
# kernel (configs/debug.config): each of their reports fails.
klog "$T/cl-hung.log" "$boot" "INFO: task luo_kexec_simple:80 blocked for more than 122 seconds."
check "check-log: a blocked task fails (DETECT_HUNG_TASK)" splat "$T/cl-hung.log" 'INFO: task luo_kexec_simple:80 blocked'
klog "$T/cl-ubsan.log" "$boot" "UBSAN: array-index-out-of-bounds in kernel/liveupdate/luo_session.c:100:5"
check "check-log: a UBSAN report fails (UBSAN)" splat "$T/cl-ubsan.log" 'UBSAN: array-index-out-of-bounds'
klog "$T/cl-soft.log" "$boot" "watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [luo_kexec_stress:80]"
check "check-log: a soft lockup fails (SOFTLOCKUP_DETECTOR)" splat "$T/cl-soft.log" 'soft lockup'

# ---- the checkers: their exit status and their number of results ---------
fakecheck() { printf '#!/bin/sh\n%s\n' "$2" >"$T/$1"; chmod +x "$T/$1"; }
fakecheck ck-good 'echo "ok - a"; echo "ok - b"'
fakecheck ck-died 'echo "ok - a"; echo "ok - b"; exit 3'
fakecheck ck-silent 'exit 0'
checker_results c 2 "$T/ck-good" >"$T/ck-good.out"
check "checker: a checker that ends well with its pinned count passes" clean "$T/ck-good.out"
checker_results c "" "$T/ck-died" >"$T/ck-died.out"
check "checker: a checker that exits non-zero after only ok lines fails" has "$T/ck-died.out" \
	'^not ok - c: exited with status 3, and reported no failure'
checker_results c "" "$T/ck-silent" >"$T/ck-silent.out"
check "checker: a checker that reports no result fails" has "$T/ck-silent.out" '^not ok - c: reported no result'
checker_results c 3 "$T/ck-good" >"$T/ck-pin.out"
check "checker: a checker with fewer results than pinned fails" has "$T/ck-pin.out" '^not ok - c: 2 results, 3 expected'
checker_results docs.sh "" env LUO_CACHE="$T/no-cache" LUO_OUT="$T/docs-out" \
	"$ROOT/scripts/docs.sh" --tree-ready >"$T/ck-docs.out" 2>&1
check "checker: docs.sh that dies at its first cp (no tree) fails" eval \
	'has "$T/ck-docs.out" "^not ok - docs.sh: exited with status 1" && has "$T/ck-docs.out" "^not ok - docs.sh: reported no result"'
# A checker in the background (check.sh: the harness self-test, hygiene):
# its file ends with an end line, and wait's status must be 0.
run_to "$T/bg-good.txt" checker_results c 2 "$T/ck-good" &
wait $!
background_results "$T/bg-good.txt" $? >"$T/bg-good.out"
check "background: a run that ends well, with its end line, passes" eval \
	'clean "$T/bg-good.out" && [ "$(grep -c . "$T/bg-good.out")" = 2 ]'
# killed mid-way: its parent, the run in the background, dies at once
# (in a subshell whose stderr takes bash's "Killed")
fakecheck ck-killed 'echo "ok - a"; kill -KILL $PPID'
(
	run_to "$T/bg-killed.txt" "$T/ck-killed" &
	wait $!
) 2>/dev/null
background_results "$T/bg-killed.txt" $? >"$T/bg-killed.out"
check "background: a run killed mid-way (no end line, killed) fails" eval \
	'has "$T/bg-killed.out" "^not ok - bg-killed.txt: 0 end lines" &&
	 has "$T/bg-killed.out" "^not ok - bg-killed.txt: the run in the background ended with status 137"'
run_to "$T/bg-died.txt" "$T/ck-died" &
wait $!
background_results "$T/bg-died.txt" $? >"$T/bg-died.out"
check "background: a run that ends with a non-zero status fails" has "$T/bg-died.out" \
	'^not ok - bg-died.txt: the run in the background ended with status 3'
# hygiene.sh where git ls-files finds nothing: a copy in an empty repository
mkdir -p "$T/hyr/scripts"
cp "$ROOT/scripts/hygiene.sh" "$ROOT/scripts/lib.sh" "$T/hyr/scripts/"
git init -q "$T/hyr"
printf 'print "x.c:3: WARNING:SPACING: space prohibited before semicolon\\n"; exit 1;\n' >"$T/hy/src/scripts/checkpatch.pl"
checker_results hygiene.sh "" "$T/hyr/scripts/hygiene.sh" "$T/hy/O" "$T/hy/W" >"$T/ck-hy.out" 2>&1
check "hygiene: no files to check (git ls-files finds none) fails" eval \
	'has "$T/ck-hy.out" "^ok - checkpatch runs" && has "$T/ck-hy.out" "^not ok - hygiene: no kernel files"'

# ---- conformance.sh compare ------------------------------------------------
glog "$T/c-ref.log" "CASE 1.a 0" "CASE 1.b ENOTTY" "1..2" "CASE 2.c 0" "1..1"
glog "$T/c-ours.log" "CASE 1.a 0" "CASE 1.b EINVAL" "1..2" "CASE 2.c 0" "1..1"
printf '%s\n' "Deliberate deviations" "=====================" "" "=====  =========  ======" \
	"case   reference  ours" "=====  =========  ======" "1.b    ENOTTY     EINVAL" "=====  =========  ======" >"$T/c-doc.rst"
printf '%s\n' "Deliberate deviations" "=====================" "" "=====  =========" \
	"case   reference" "=====  =========" "1.b    ENOTTY" "=====  =========" >"$T/c-doc2.rst"
printf '# pinned\n1.a\n1.b\n2.c\n' >"$T/c.cases"
printf '1.a\n1.b\n2.c\n2.d\n' >"$T/c-more.cases"
printf '1.a\n1.b\n' >"$T/c-less.cases"
conform() { LUO_DEVIATIONS_DOC=$1 LUO_CONFORM_CASES=$2 "$ROOT/scripts/conformance.sh" compare "$T/c-ref.log" "$T/c-ours.log" 2>&1; }
check "conformance: the pinned cases, differing only as the table says, pass" eval \
	'conform "$T/c-doc.rst" "$T/c.cases" >"$T/c-good.out" && clean "$T/c-good.out"'
conform "$T/no-doc.rst" "$T/c.cases" >"$T/c-nodoc.out"
check "conformance: a missing deviations document fails, and the difference is still reported" eval \
	'has "$T/c-nodoc.out" "^not ok - conformance: deliberate-deviations table .*cannot read" &&
	 has "$T/c-nodoc.out" "^not ok - conformance: undocumented difference 1.b"'
conform "$T/c-doc2.rst" "$T/c.cases" >"$T/c-doc2.out"
check "conformance: a deviations table it cannot parse fails" eval \
	'has "$T/c-doc2.out" "^not ok - conformance: deliberate-deviations table .*2 columns" &&
	 has "$T/c-doc2.out" "^not ok - conformance: undocumented difference 1.b"'
conform "$T/c-doc.rst" "$T/c-more.cases" >"$T/c-more.out"
check "conformance: a pinned case that a run did not print fails" has "$T/c-more.out" \
	'^not ok - conformance: ours run printed the 4 pinned cases (3 printed; missing: 2.d)'
conform "$T/c-doc.rst" "$T/c-less.cases" >"$T/c-less.out"
check "conformance: a case that is not pinned fails" has "$T/c-less.out" '^not ok - conformance: ours run .*not pinned: 2.c'
conform "$T/c-doc.rst" "$T/no.cases" >"$T/c-nopin.out"
check "conformance: no pinned case list fails" has "$T/c-nopin.out" '^not ok - conformance: pinned case list'

# ---- kexec result files: one end line each ------------------------------
printf 'ok - kexec: a\nok - kexec: b\n#luo-run-end\n' >"$T/rr-good.txt"
printf 'ok - kexec: a\n' >"$T/rr-cut.txt"
: >"$T/rr-empty.txt"
printf 'ok - kexec: a\n#luo-run-end\nok - kexec: a\n#luo-run-end\n' >"$T/rr-twice.txt"
for v in good cut empty twice; do run_results "$T/rr-$v.txt" >"$T/rr-$v.out"; done
check "kexec results: a file with its end line passes" eval \
	'clean "$T/rr-good.out" && [ "$(grep -c . "$T/rr-good.out")" = 2 ]'
check "kexec results: an empty file (a run killed at once) fails" has "$T/rr-empty.out" '^not ok - rr-empty.txt: 0 end lines'
check "kexec results: a file without its end line (a run killed mid-way) fails" has "$T/rr-cut.out" '^not ok - rr-cut.txt: 0 end lines'
check "kexec results: a file with two end lines fails" has "$T/rr-twice.out" '^not ok - rr-twice.txt: 2 end lines'

# ---- the negative control: a kexec test whose stage 2 must fail -------------
ctl() {
	local f=$1 s2=$2
	shift 2
	glog "$f" "TAP version 13" "1..2" "ok 1 - a" "ok 2 - b" "[    9.000000] kexec_core: Starting new kernel" \
		"TAP version 13" "1..3" "$@" "LUO-DONE rc=$s2"
}
ctl "$T/ctl-good.log" 1 "not ok 1 - open fails" "ok 2 - second open" "not ok 3 - log"
ctl "$T/ctl-passed.log" 0 "ok 1 - open fails" "ok 2 - second open" "ok 3 - log"
ctl "$T/ctl-one.log" 1 "not ok 1 - open fails" "ok 2 - second open" "ok 3 - log"
ctl "$T/ctl-short.log" 1 "not ok 1 - open fails" "not ok 2 - second open"
glog "$T/ctl-nostage2.log" "TAP version 13" "1..2" "ok 1 - a" "ok 2 - b" "LUO-DONE rc=1"
for v in good passed one short nostage2; do control_results "$T/ctl-$v.log" ctl 2 >"$T/ctl-$v.out"; done
check "control: a stage 2 that fails as it must passes" clean "$T/ctl-good.out"
check "control: a stage 2 that passes fails" has "$T/ctl-passed.out" '^not ok - ctl: stage 2 failed 0 of 3 tests, expected 2'
check "control: a stage 2 that fails fewer checks than it must fails" has "$T/ctl-one.out" '^not ok - ctl: stage 2 failed 1 of 3'
check "control: a stage 2 that dies mid-way fails" has "$T/ctl-short.out" '^not ok - ctl: results 2 and 2 for plans 2 and 3'
check "control: no stage 2 at all fails" has "$T/ctl-nostage2.out" '^not ok - ctl: 1 TAP programs, expected 2'

# ---- luo_fail_nth's reboot sweep: it ends on a kexec that reached no fault ---
fi_line="[   41.000000] FAULT_INJECTION: forcing a failure."
kx=("[   41.100000] liveupdate: reboot: serialized 67 sessions and 351 files in 4163 us"
	"[   41.200000] kexec_core: Starting new kernel" "[    0.000000] Linux version 7.2.13 (luo@luo)")
rs_sites="# reboot sweep sites: luo_a>kho_x luo_b"
rs_ref() { printf '%s\n' "# kexec -e with fault N=$1" "$fi_line" "[   41.000000] liveupdate: reboot: live update cancelled: -12" \
	"# kexec -e with fault N=$1 refused (Cannot allocate memory), fault at $2"; }
mapfile -t rs_two < <(rs_ref 1 "luo_a>kho_x.part.0"; rs_ref 2 luo_b)
glog "$T/rs-good.log" "[    0.000000] Linux version 7.2.13 (luo@luo)" "$rs_sites" "${rs_two[@]}" \
	"# kexec -e with fault N=3" "${kx[@]}" "$fi_line"
glog "$T/rs-absorbed.log" "$rs_sites" "# kexec -e with fault N=1" "$fi_line" "${kx[@]}"
glog "$T/rs-stuck.log" "$rs_sites" "# kexec -e with fault N=1" "$fi_line" "Bail out! the kexec did not happen"
glog "$T/rs-none.log" "${kx[@]}"
glog "$T/rs-first.log" "$rs_sites" "# kexec -e with fault N=1" "${kx[@]}"
glog "$T/rs-site.log" "$rs_sites" "${rs_two[@]:0:4}" "# kexec -e with fault N=2" "${kx[@]}"
glog "$T/rs-unnamed.log" "${rs_two[@]}" "# kexec -e with fault N=3" "${kx[@]}"
for v in good absorbed stuck none first site unnamed; do reboot_sweep_results "$T/rs-$v.log" rs >"$T/rs-$v.out"; done
check "reboot sweep: refusals at the sites named, then a kexec that reached no fault, passes" eval \
	'clean "$T/rs-good.out" && has "$T/rs-good.out" "fault N=3 went through without reaching it (2 refused before)"'
check "reboot sweep: a kexec that went through at the first try (no fault refused one) fails" has "$T/rs-first.out" \
	'^not ok - rs: reboot sweep: no fault refused a kexec (N=1 went through)'
check "reboot sweep: no refusal at a site the test names fails" has "$T/rs-site.out" \
	'^not ok - rs: reboot sweep: no kexec refused by a fault at luo_b$'
check "reboot sweep: a log that names no sites fails" has "$T/rs-unnamed.out" \
	'^not ok - rs: reboot sweep: no line names the sites'
check "reboot sweep: a kexec that went through with a fault injected fails" has "$T/rs-absorbed.out" \
	'^not ok - rs: reboot sweep: the kexec with fault N=1 went through with 1 faults injected'
check "reboot sweep: no kexec went through fails" has "$T/rs-stuck.out" '^not ok - rs: reboot sweep: no kexec went through'
check "reboot sweep: no kexec with a fault armed fails" has "$T/rs-none.out" '^not ok - rs: reboot sweep: no kexec -e with a fault armed'

# ---- mktree.sh: a path whose content changed is newer than the build --------
# A repository of ours with a copy of the scripts, and a base tree: our
# x.h shadows the base's, then goes; the base's comes back with its old
# time, older than the objects built from ours.
mkdir -p "$T/mt/repo/scripts" "$T/mt/repo/kernel/liveupdate" "$T/mt/repo/include/linux"
mtb=$T/mt/cache/src/linux-source-$KBASE
mtt=$T/mt/cache/tree-$KBASE
mkdir -p "$mtb/include/linux"
cp "$ROOT/scripts/mktree.sh" "$ROOT/scripts/lib.sh" "$ROOT/scripts/fetch-base.sh" "$T/mt/repo/scripts/"
touch "$mtb/.extracted"
echo base >"$mtb/include/linux/x.h"
touch -d '-1 day' "$mtb/include/linux/x.h"
echo ours >"$T/mt/repo/include/linux/x.h"
echo core >"$T/mt/repo/kernel/liveupdate/luo_core.c"
git init -q "$T/mt/repo" && git -C "$T/mt/repo" add -A
mt() { LUO_CACHE=$T/mt/cache "$T/mt/repo/scripts/mktree.sh" "$@" >"$T/mt.out" 2>&1 || { cat "$T/mt.out"; false; }; }
mt
core_t=$(stat -c %.9Y "$mtt/kernel/liveupdate/luo_core.c")
touch -d '-10 seconds' "$T/mt/obj"	# the build, after the first tree
rm "$T/mt/repo/include/linux/x.h"
check "mktree: a base file that comes back when ours goes is newer than the objects built from ours" eval \
	'mt && [ "$(cat "$mtt/include/linux/x.h")" = base ] && [ "$mtt/include/linux/x.h" -nt "$T/mt/obj" ]'
check "mktree: ... and stays newer on the next run" eval 'mt && [ "$mtt/include/linux/x.h" -nt "$T/mt/obj" ]'
check "mktree: the base tree's own file keeps its content and time (no write through a hard link)" eval \
	'[ "$(cat "$mtb/include/linux/x.h")" = base ] && [ "$mtb/include/linux/x.h" -ot "$T/mt/obj" ]'
check "mktree: an unchanged file keeps its time (control)" eval \
	'[ "$(stat -c %.9Y "$mtt/kernel/liveupdate/luo_core.c")" = "$core_t" ]'

# ---- mktree.sh --touch-changed: ours newer than a copy of the reference's build
# Our y.h shadows the base's; then the reference is built (its objects,
# from the base's y.h, are newer than every file of the tree) and ours is
# to start from a copy of that build (build-kernel.sh).
echo base-y >"$mtb/include/linux/y.h"
touch -d '-1 day' "$mtb/include/linux/y.h"
echo ours-y >"$T/mt/repo/include/linux/y.h"
git -C "$T/mt/repo" add -A
mt
sleep 0.05
touch "$T/mt/refobj"
check "mktree: a file of ours unchanged since the last tree is older than the reference's build (control)" \
	eval 'mt && [ "$mtt/include/linux/y.h" -ot "$T/mt/refobj" ]'
check "mktree --touch-changed: every file of ours that differs from the base's is newer than it" \
	eval 'mt --touch-changed && [ "$mtt/include/linux/y.h" -nt "$T/mt/refobj" ] &&
	 [ "$mtt/kernel/liveupdate/luo_core.c" -nt "$T/mt/refobj" ]'
check "mktree --touch-changed: a base file the overlay gave back keeps its time (control)" \
	eval '[ "$mtt/include/linux/x.h" -ot "$T/mt/refobj" ] && [ "$mtb/include/linux/y.h" -ot "$T/mt/refobj" ]'
check "mktree --touch-changed: ... and the next tree keeps ours newer" \
	eval 'mt && [ "$mtt/include/linux/y.h" -nt "$T/mt/refobj" ]'

# ---- mktree.sh under the build lock ----------------------------------------
# While another build holds the lock, mktree.sh waits (its rsync would give
# the tree the base's files back under a compiler's feet); run by a script
# that holds it (build-kernel.sh), it must not wait for its own caller.
exec {mtlock}>"$T/mt/cache/build-$KBASE.lock"
flock "$mtlock"
env -u LUO_NO_BUILD_LOCK LUO_CACHE="$T/mt/cache" timeout 2 "$T/mt/repo/scripts/mktree.sh" >"$T/mt-wait.out" 2>&1
mt_rc=$?
exec {mtlock}>&-
check "mktree: it waits while another build holds the lock" eval \
	'[ $mt_rc = 124 ] && has "$T/mt-wait.out" "waiting for another build"'
check "mktree: run by a script that holds the lock (build-kernel.sh), it does not wait for it" eval \
	'( CACHE=$T/mt/cache; unset LUO_NO_BUILD_LOCK; build_lock
	   LUO_CACHE=$T/mt/cache timeout 20 "$T/mt/repo/scripts/mktree.sh" ) >"$T/mt-held.out" 2>&1 ||
	 { cat "$T/mt-held.out"; false; }'

# ---- build-kernel.sh: the options of the fragments stuck ---------------
printf 'CONFIG_A=y\nCONFIG_B=n\n# CONFIG_C is not set\n' >"$T/frag.config"
printf 'CONFIG_A=y\n# CONFIG_B is not set\n' >"$T/good.config"
printf '# CONFIG_A is not set\nCONFIG_B=y\n' >"$T/bad.config"
check "config: a config with every option of the fragments passes (control)" \
	config_unstuck "$T/good.config" "$T/frag.config"
check "config: an option dropped and an option that should be off fail" eval \
	'! config_unstuck "$T/bad.config" "$T/frag.config" >"$T/cfg.out" &&
	 has "$T/cfg.out" "^CONFIG_A=y did not stick (# CONFIG_A is not set)" &&
	 has "$T/cfg.out" "^CONFIG_B=n did not stick (CONFIG_B=y)"'

# ---- build-kernel.sh: no object of a deleted source from the seed --------
# Our build starts from a copy of the reference's: the objects of base
# files that the overlay deletes come along, and kbuild's saved
# dependencies would keep them (linked if a Makefile still names them).
ob=$T/ob/tree/.luo-build-ours-x
mkdir -p "$T/ob/tree/kernel" "$ob/kernel" "$ob/tools/objtool"
echo a >"$T/ob/tree/kernel/a.c"
for o in a:../kernel/a.c gone:../kernel/gone.c gen:kernel/gen.c; do
	echo obj >"$ob/kernel/${o%%:*}.o"
	printf 'savedcmd_kernel/%s.o := gcc\n\nsource_kernel/%s.o := %s\n' "${o%%:*}" "${o%%:*}" "${o#*:}" \
		>"$ob/kernel/.${o%%:*}.o.cmd"
done
echo obj >"$ob/tools/objtool/s.o"
printf 'source_%s := ../lib/s.c\n' "$ob/tools/objtool/s.o" >"$ob/tools/objtool/.s.o.cmd"
drop_orphan_objects "$ob" >"$T/ob.out" 2>&1
check "seed: the object of a source the overlay deleted goes, with its saved command" eval \
	'[ ! -e "$ob/kernel/gone.o" ] && [ ! -e "$ob/kernel/.gone.o.cmd" ] && has "$T/ob.out" "^kernel/gone.o$"'
check "seed: objects of existing, generated and tools sources stay (control)" eval \
	'[ -e "$ob/kernel/a.o" ] && [ -e "$ob/kernel/gen.o" ] && [ -e "$ob/tools/objtool/s.o" ] &&
	 [ "$(grep -c . "$T/ob.out")" = 1 ]'

# ---- build-kernel.sh: a build of another base starts again ----------------
# The base tree records its package (fetch-base.sh, in .extracted); our
# build directory the base it was built from.
bc=$T/bc/src/linux-source-$KBASE
mkdir -p "$bc" "$T/bc/dl"
: >"$bc/.extracted"
: >"$T/bc/dl/linux-source-${KBASE}_${KBASE}.99-1_all.deb"
LUO_CACHE=$T/bc "$ROOT/scripts/fetch-base.sh" >"$T/bc.out" 2>&1
check "base: a tree extracted without its package's name gets it (fetch-base.sh)" eval \
	'[ "$(cat "$bc/.extracted")" = "linux-source-${KBASE}_${KBASE}.99-1_all.deb" ] || { cat "$T/bc.out"; false; }'
bcheck() {
	mkdir -p "$T/bc/O"
	if [ -n "$1" ]; then echo "$1" >"$T/bc/O/.luo-base"; else rm -f "$T/bc/O/.luo-base"; fi
	(SRC_DIR=$bc; base_check "$T/bc/O") >/dev/null 2>&1
	[ ! -e "$T/bc/O" ]
}
check "base: a build of the same base stays (control)" eval '! bcheck "linux-source-${KBASE}_${KBASE}.99-1_all.deb"'
check "base: a build of another base goes (it is built again)" bcheck "linux-source-${KBASE}_${KBASE}.13-1_all.deb"
check "base: a build that records no base goes" bcheck ""

# ---- patches.sh: checkpatch that cannot run --------------------------------
printf '%s\n' "diff --git a/a.c b/a.c" "new file mode 100644" "--- /dev/null" "+++ b/a.c" \
	"@@ -0,0 +1 @@" "+int a;" >"$T/p1.patch"
mkdir -p "$T/pt/scripts"
for v in missing module silent; do
	break_checkpatch $v "$T/pt/scripts/checkpatch.pl"
	"$ROOT/scripts/patches.sh" --checkpatch "$T/pt" "$T/p1.patch" >"$T/pt-$v.out" 2>&1
	check "patches: checkpatch that cannot run ($v) fails" eval \
		'grep -q "^not ok - patches: checkpatch cannot run" "$T/pt-$v.out" &&
		 grep -q "^not ok - patches: p1 checkpatch --strict" "$T/pt-$v.out" &&
		 ! grep -q "^ok - patches: p1 checkpatch" "$T/pt-$v.out"'
done

# ---- patches.sh: a patch's kernel taken for the overlay's -----------------
# The series check does not build a patch whose kernel is proven the
# overlay's own debug build (check.sh's): not while a path outside
# Documentation/ and the selftests is still to come, nor for a build of
# other config fragments, nor without one.
mkdir -p "$T/sk/arch/x86/boot"
: >"$T/sk/arch/x86/boot/bzImage"
skfr=("$ROOT/configs/base.config" "$ROOT/configs/debug.config")
config_id "${skfr[@]}" >"$T/sk/.config-frags"
sk() { printf '%s\n' "${@:2}" "#luo-paths-end" | "$ROOT/scripts/patches.sh" --same-kernel "$1" "${skfr[@]}"; }
check "patches: only documentation and selftests to come: the overlay's build (control)" \
	sk "$T/sk" Documentation/core-api/liveupdate.rst tools/testing/selftests/liveupdate/liveupdate.c
check "patches: a kernel source still to come needs a build" eval \
	'! sk "$T/sk" Documentation/core-api/liveupdate.rst kernel/liveupdate/luo_core.c'
check "patches: a Kconfig still to come needs a build" eval '! sk "$T/sk" kernel/liveupdate/Kconfig'
check "patches: an overlay build of other config fragments needs a build" eval \
	'! printf "%s\n" Documentation/x.rst "#luo-paths-end" | "$ROOT/scripts/patches.sh" --same-kernel "$T/sk" \
		"$ROOT/configs/base.config" "$ROOT/configs/fast.config"'
check "patches: no overlay build named needs a build" eval '! sk "" Documentation/x.rst'
# It fails closed: the list of paths comes from a git diff, which may fail.
check "patches: nothing still to come (the end line alone): the overlay's build (control)" eval \
	'echo "#luo-paths-end" | "$ROOT/scripts/patches.sh" --same-kernel "$T/sk" "${skfr[@]}"'
check "patches: an empty list of paths (a git diff that failed) needs a build" eval \
	'! "$ROOT/scripts/patches.sh" --same-kernel "$T/sk" "${skfr[@]}" </dev/null'
check "patches: a list of paths cut short (no end line) needs a build" eval \
	'! echo Documentation/x.rst | "$ROOT/scripts/patches.sh" --same-kernel "$T/sk" "${skfr[@]}"'
rm "$T/sk/arch/x86/boot/bzImage"
check "patches: an overlay build without a kernel needs a build" eval '! sk "$T/sk" Documentation/x.rst'

# ---- docs.sh: finding nothing to check is a failure ----------------------
for p in core-api userspace-api; do
	mkdir -p "$T/dc/tree-$KBASE/Documentation/$p"
	printf 'Title\n=====\n\nNo kernel-doc here.\n' >"$T/dc/tree-$KBASE/Documentation/$p/liveupdate.rst"
done
LUO_CACHE=$T/dc LUO_OUT=$T/dc-out "$ROOT/scripts/docs.sh" --tree-ready >"$T/dc.out" 2>&1
check "docs: pages that name no DOC: block fail" has "$T/dc.out" '^not ok - docs: the pages name no DOC: block'
check "docs: no documented liveupdate_*() function found fails" has "$T/dc.out" \
	'^not ok - docs: found no documented liveupdate_\*() function'

# ---- tools/liveupdate/liveupdate-record: the record of a kernel image ------
# On the debug builds of check.sh (ours has the record, the reference has
# none), on fake bzImages of each compression made here from our vmlinux,
# on modules and malformed records made here with binutils. A missing
# input fails its checks. LUO_RECORD_TOOL runs another tool (to see the
# checks fail).
LR=${LUO_RECORD_TOOL:-$ROOT/tools/liveupdate/liveupdate-record}
lr_vmlinux=$BUILD_ROOT/ours-debug/vmlinux
lr_bz=$BUILD_ROOT/ours-debug/arch/x86/boot/bzImage
lr_ref=$BUILD_ROOT/ref-debug/arch/x86/boot/bzImage
L=$T/lr
mkdir -p "$L/mods/kernel/a" "$L/mods/kernel/b" "$L/bad-mods"
# lr NAME ARG...: run the tool; NAME.out, NAME.err, NAME.rc in $L.
lr() {
	local n=$1
	shift
	"$LR" "$@" >"$L/$n.out" 2>"$L/$n.err"
	echo $? >"$L/$n.rc"
}
# lr_input FILE...: the inputs are there (a missing one fails the check).
lr_input() {
	local f
	for f; do [ -s "$f" ] || { echo "input missing: $f (built by make check)"; return 1; }; done
}
# lr_text NAME: status 0, no message, a first line "# liveupdate record
# v1, N entries" and N entry lines.
lr_text() {
	local n
	if [ "$(cat "$L/$1.rc")" != 0 ] || [ -s "$L/$1.err" ]; then
		echo "status $(cat "$L/$1.rc"):"; cat "$L/$1.err"; return 1
	fi
	n=$(lr_n "$1")
	if [ -z "$n" ] || [ "$(grep -vc '^#' "$L/$1.out")" != "$n" ]; then
		echo "not a record:"; cat "$L/$1.out"; return 1
	fi
}
# lr_fails NAME PATTERN: status 1, nothing on stdout, a message matching PATTERN.
lr_fails() {
	if [ "$(cat "$L/$1.rc")" != 1 ] || [ -s "$L/$1.out" ]; then
		echo "status $(cat "$L/$1.rc"), stdout:"; head -c 300 "$L/$1.out"; return 1
	fi
	has "$L/$1.err" "$2"
}
# lr_raw NAME N: a header (magic "LVUP", version 1) and N entries.
lr_raw() {
	[ "$(cat "$L/$1.rc")" = 0 ] || { cat "$L/$1.err"; return 1; }
	if [ "$(od -An -tx1 -N 8 "$L/$1.out" | tr -d ' \n')" != 5055564c01000000 ] ||
	   [ "$(wc -c <"$L/$1.out")" != $((8 + 80 * $2)) ]; then
		echo "not a header and $2 entries:"; od -An -tx1 -N 16 "$L/$1.out"; wc -c <"$L/$1.out"; return 1
	fi
}
lr_n() { sed -n '1s/^# liveupdate record v1, \([0-9][0-9]*\) entries$/\1/p' "$L/$1.out"; }
# lr_entry NAME: an 80-byte entry, supported=0x1 required=0x0 active=0x1
# (the name cut at 48 bytes).
lr_entry() {
	local z=$((48 - ${#1}))
	printf '%s' "$1" | head -c 48
	[ $z -le 0 ] || head -c $z /dev/zero
	printf '\001\0\0\0\0\0\0\0'
	head -c 8 /dev/zero
	printf '\001\0\0\0\0\0\0\0'
	head -c 8 /dev/zero
}
lr_hdr() { printf '\120\125\126\114\001\000\000\000'; }
# lr_obj BYTES OUT [exec]: a relocatable object (a module) whose section
# .liveupdate_features holds BYTES; linked into an executable (a vmlinux)
# with "exec".
: | as -o "$L/empty.o"
lr_obj() {
	objcopy --add-section ".liveupdate_features=$1" \
		--set-section-flags .liveupdate_features=alloc,load,readonly,data,contents "$L/empty.o" "$2.o" &&
		if [ "${3:-}" = exec ]; then ld -e 0 -o "$2" "$2.o"; else mv "$2.o" "$2"; fi
}

lr vm-text "$lr_vmlinux"
lr vm-raw --raw "$lr_vmlinux"
objcopy -O binary --only-section=.liveupdate_features "$lr_vmlinux" "$L/vm-objcopy.bin" 2>/dev/null
check "liveupdate-record: our vmlinux: luo-v5 and memfd-v2, one line per entry" eval \
	'lr_input "$lr_vmlinux" && lr_text vm-text &&
	 has "$L/vm-text.out" "^luo-v5 supported=0x1 required=0x0 active=0x1$" &&
	 has "$L/vm-text.out" "^memfd-v2 supported=0x1 required=0x0 active=0x1$"'
check "liveupdate-record: our vmlinux --raw: magic, 8 + 80*N bytes, the section as objcopy extracts it" eval \
	'lr_input "$lr_vmlinux" && lr_raw vm-raw "$(lr_n vm-text)" && cmp "$L/vm-raw.out" "$L/vm-objcopy.bin"'
lr bz-text "$lr_bz"
lr bz-raw --raw "$lr_bz"
check "liveupdate-record: our bzImage (its lz4 payload): the record of its vmlinux, text and --raw" eval \
	'lr_input "$lr_bz" "$lr_vmlinux" && lr_text bz-text && cmp "$L/bz-text.out" "$L/vm-text.out" &&
	 lr_raw bz-raw "$(lr_n bz-text)" && cmp "$L/bz-raw.out" "$L/vm-raw.out"'
lr ref "$lr_ref"
lr ref-raw --raw "$lr_ref"
check "liveupdate-record: the reference bzImage (a stock kernel) fails: no live update record" eval \
	'lr_input "$lr_ref" && lr_fails ref "no live update record: a kernel without this LUO?" &&
	 lr_fails ref-raw "no live update record"'
# A fake bzImage: junk with the magic of each format in it (streams that
# do not unpack), our vmlinux compressed, the 4-byte size x86 appends.
lr_junk() {
	printf 'MZ junk \037\213\010 junk \3757zXZ\000 junk \002!L\030 junk (\265/\375 junk'
	head -c 4000 /dev/zero | tr '\0' J
}
for c in "gzip -1" "xz -0 --threads=1" "lz4 -l -1" "zstd -1 -q"; do
	f=${c%% *}
	[ -s "$lr_vmlinux" ] && { lr_junk; $c -c <"$lr_vmlinux"; printf '\1\2\3\4'; } >"$L/fake.$f" 2>"$L/fake.$f.err"
	lr "fake-$f" "$L/fake.$f"
	check "liveupdate-record: a payload in $f behind junk: the record of our vmlinux" eval \
		'lr_input "$lr_vmlinux" && { [ ! -s "$L/fake.$f.err" ] || { cat "$L/fake.$f.err"; false; }; } &&
		 lr_text "fake-$f" && cmp "$L/fake-$f.out" "$L/vm-text.out"'
done
# A module alone: its entries, a header made for --raw.
lr_entry test-a-v1 >"$L/a.ent"
lr_obj "$L/a.ent" "$L/mods/kernel/a/t1.ko"
lr ko-text "$L/mods/kernel/a/t1.ko"
lr ko-raw --raw "$L/mods/kernel/a/t1.ko"
check "liveupdate-record: a module (.ko): its entry; --raw with a header" eval \
	'lr_text ko-text && has "$L/ko-text.out" "^# module .*t1.ko$" &&
	 has "$L/ko-text.out" "^test-a-v1 supported=0x1 required=0x0 active=0x1$" &&
	 lr_raw ko-raw 1 && cmp "$L/ko-raw.out" <(lr_hdr; cat "$L/a.ent")'
# A module directory as Debian's: compressed modules, one without a record.
for m in b:kernel/b/t2.ko.xz:"xz -0" c:kernel/c.ko.zst:"zstd -q" d:d.ko.gz:gzip; do
	IFS=: read -r n p z <<<"$m"
	lr_entry "test-$n-v1" >"$L/$n.ent"
	lr_obj "$L/$n.ent" "$L/$n.ko"
	$z -c "$L/$n.ko" >"$L/mods/$p"
done
cp "$L/empty.o" "$L/mods/kernel/plain.ko"
echo "not a module" >"$L/mods/modules.order"
lr dir-text "$lr_vmlinux" "$L/mods"
lr dir-raw --raw "$lr_vmlinux" "$L/mods"
check "liveupdate-record: vmlinux and a module directory (.ko, .ko.xz, .ko.zst, .ko.gz): every module's entries added" eval \
	'lr_input "$lr_vmlinux" && lr_text dir-text && [ "$(lr_n dir-text)" = $(($(lr_n vm-text) + 4)) ] &&
	 has "$L/dir-text.out" "^# module .*/kernel/b/t2.ko.xz$" && has "$L/dir-text.out" "^test-c-v1 " &&
	 lr_raw dir-raw "$(lr_n dir-text)" &&
	 cmp "$L/dir-raw.out" <(cat "$L/vm-raw.out" "$L/d.ent" "$L/a.ent" "$L/b.ent" "$L/c.ent")'
# Malformed records, in a vmlinux (header and entries) or a module.
lr_mal() {
	local n=$1 kind=$2
	shift 2
	"$@" >"$L/$n.bin"
	lr_obj "$L/$n.bin" "$L/$n.elf" "$kind" && lr "$n" "$L/$n.elf"
}
lr_mal good exec eval 'lr_hdr; lr_entry luo-v5'
check "liveupdate-record: a record made here passes (control of the malformed ones)" eval \
	'lr_text good && has "$L/good.out" "^luo-v5 supported=0x1 required=0x0 active=0x1$"'
lr_mal magic exec eval 'printf "LVUQ\1\0\0\0"; lr_entry luo-v5'
check "liveupdate-record: a bad magic fails" lr_fails magic "malformed record: bad magic 5155564c (expected 4c565550"
lr_mal version exec eval 'printf "PUVL\2\0\0\0"; lr_entry luo-v5'
check "liveupdate-record: another version fails" lr_fails version "malformed record: version 2"
lr_mal trunc exec eval 'lr_hdr; lr_entry luo-v5; lr_entry memfd-v2 | head -c 40'
lr_mal trunc-ko rel eval 'lr_entry luo-v5; lr_entry memfd-v2 | head -c 79'
check "liveupdate-record: a truncated entry fails (vmlinux, module)" eval \
	'lr_fails trunc "malformed record: 128 bytes is not a header and whole 80-byte entries" &&
	 lr_fails trunc-ko "malformed record: 159 bytes of entries is not a whole number"'
lr_mal unterm exec eval 'lr_hdr; lr_entry luo-v5; lr_entry memfd-v2-with-a-name-of-forty-eight-bytes-not-ended'
check "liveupdate-record: an unterminated name fails" lr_fails unterm "entry 1: name not terminated within 48 bytes"
lr_mal empty rel eval 'lr_entry ""'
check "liveupdate-record: an empty name fails" lr_fails empty "entry 0: empty name"
lr_mal hdronly exec eval 'printf "PUVL"'
check "liveupdate-record: a record shorter than its header fails" lr_fails hdronly "shorter than its 8-byte header"
cp "$L/mods/kernel/a/t1.ko" "$L/bad-mods/x.ko"
lr_entry unterminated-name-of-forty-eight-bytes-exactly-yes >"$L/u.ent"
lr_obj "$L/u.ent" "$L/bad-mods/y.ko"
lr baddir "$L/good.elf" "$L/bad-mods"
check "liveupdate-record: a malformed module in a module directory fails" eval \
	'lr_fails baddir "bad-mods/y.ko: malformed record: entry 0: name not terminated"'
lr notdir "$L/good.elf" "$L/mods/kernel/a/t1.ko"
mkdir -p "$L/nomods"
lr nomods "$L/good.elf" "$L/nomods"
check "liveupdate-record: a module directory that is not one, or has no module, fails" eval \
	'lr_fails notdir "not a directory of modules" && lr_fails nomods "no modules"'
# Not an image.
printf 'Linux kernel, honest\n' >"$L/text"
lr text "$L/text"
[ -s "$lr_bz" ] && head -c 1000000 "$lr_bz" >"$L/bz-cut"
lr bz-cut "$L/bz-cut"
check "liveupdate-record: a file that is not an image fails" lr_fails text "not an image this tool understands"
check "liveupdate-record: a bzImage cut short fails" eval \
	'lr_input "$lr_bz" && lr_fails bz-cut "a bzImage whose lz4 payload does not unpack to an ELF vmlinux"'
lr noarg
lr badopt --rwa "$lr_vmlinux"
check "liveupdate-record: no image or an unknown option: usage, status 2" eval \
	'[ "$(cat "$L/noarg.rc")" = 2 ] && has "$L/noarg.err" "^usage: " &&
	 [ "$(cat "$L/badopt.rc")" = 2 ] && has "$L/badopt.err" "unknown option .--rwa."'

echo "# harness: $nchecks checks, $fails failed"
[ $fails = 0 ]
