#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# harness-selftest.sh: the harness must report what happened. Feed the real
# parsers (results.sh), qemu-run.sh (with a fake QEMU), hygiene.sh (with a
# broken checkpatch), build-tests.sh and the selftests Makefile inputs that
# must fail, and check that they do; and a good input that must pass, so
# that a parser that fails everything is caught too. One "ok - harness:
# ..." or "not ok - harness: ..." line per check; takes a few seconds.
. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/results.sh"
# No pipefail: in "cmd | grep -q", grep may exit at the first match and
# cmd die of SIGPIPE, which must not count.
set +e +o pipefail

T=$(mktemp -d "${TMPDIR:-/tmp}/luo-harness.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
check() {
	local what=$1
	shift
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
else
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
mkdir -p "$T/hy/O" "$T/hy/src/scripts" "$T/hy/W"
ln -s "$T/hy/src" "$T/hy/O/source"
printf '.DEFAULT: ; @:\n' >"$T/hy/src/Makefile"
printf '#!/bin/sh\nexit 0\n' >"$T/hy/src/scripts/kernel-doc"
chmod +x "$T/hy/src/scripts/kernel-doc"
for v in missing module silent; do
	case $v in
	missing) rm -f "$T/hy/src/scripts/checkpatch.pl" ;;
	module) echo 'use No::Such::Module;' >"$T/hy/src/scripts/checkpatch.pl" ;;
	silent) echo 'exit 1;' >"$T/hy/src/scripts/checkpatch.pl" ;;
	esac
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

exit 0
