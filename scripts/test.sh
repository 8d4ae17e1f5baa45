#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test.sh TEST: build what TEST needs and run that one test in QEMU, the
# way make check runs it; for working on one test (minutes, not the whole
# suite). TEST is "kunit", "selftests", or a line of kexec_tests.txt:
#   scripts/test.sh luo_kexec_handler --mode,shared
#   scripts/test.sh "luo_kexec_twice @luostages=3"
# LUONEXT=ref kexecs into the reference kernel instead of ours. The log
# goes to out/test-$KBASE/; the last line is "ok - ..." or "not ok - ...".
. "$(dirname "$0")/lib.sh"
set +e

[ $# -gt 0 ] || die "usage: $0 kunit|selftests|PROGRAM [ARGS] (a line of kexec_tests.txt)"
W=$OUT/test-$KBASE
mkdir -p "$W"
. "$ROOT/scripts/results.sh"
O_REF=$("$ROOT/scripts/build-kernel.sh" ref debug) || die "reference build failed"
O_OURS=$("$ROOT/scripts/build-kernel.sh" ours debug) || die "our build failed"
"$ROOT/scripts/build-tests.sh" "$O_OURS" "$W/bin" >"$W/build-tests.log" 2>&1 ||
	{ tail -20 "$W/build-tests.log"; die "test programs failed to build"; }
"$ROOT/tools/liveupdate/liveupdate-record" --raw "$O_OURS/arch/x86/boot/bzImage" \
	"$W/bin/modules" >"$W/bin/target-record.bin" || die "liveupdate-record failed"
rm -f "$W/initramfs.cpio"
"$ROOT/scripts/mkinitramfs.sh" "$W/initramfs.cpio" "$W/bin" \
	ours="$O_OURS/arch/x86/boot/bzImage" ref="$O_REF/arch/x86/boot/bzImage" ||
	die "initramfs failed"
K=$O_OURS/arch/x86/boot/bzImage

set -- $*
line="$*"
prog=$1; shift
case $prog in
kunit) cmd="luotest=kunit kunit.enable=1" nst=0 ;;
selftests) cmd="luotest=selftests" nst=0 ;;
*)
	pargs= kcmd= nst=2
	for w in "$@"; do
		case $w in @*) kcmd+=" ${w#@}" ;; *) pargs+="${pargs:+,}$w" ;; esac
	done
	case $kcmd in *luostages=*) nst=${kcmd##*luostages=}; nst=${nst%% *} ;; esac
	cmd="luotest=kexec:$prog luonext=${LUONEXT:-ours}${pargs:+ luoargs=$pargs}$kcmd"
	;;
esac
log=$W/$prog.log
say "running $prog ($cmd), log: $log"
"$ROOT/scripts/qemu-run.sh" "$K" "$W/initramfs.cpio" "$log" 1800 "$cmd" </dev/null
rc=$?
grep -E '^\[[0-9.]+\] (not )?ok |^\[[0-9.]+\] # ' "$log" | sed 's/^\[[0-9.]*\] //' | grep -v '^# trace' | tail -60
if [ "$nst" != 0 ]; then
	# As make check: the plans pinned (scripts/pinned-counts), and the
	# end of luo_fail_nth's reboot sweep.
	tap_results "$log" "$prog" "$nst" "$(pinned_plans "$line")" >"$W/$prog.results"
	[ "$line" != luo_fail_nth ] || reboot_sweep_results "$log" "$prog" >>"$W/$prog.results"
	cat "$W/$prog.results"
	! grep -q '^not ok' "$W/$prog.results" || rc=1
fi
# KUnit and the selftests print KTAP/TAP with nested plans: any "not ok"
# line fails the run here (make check counts them with kunit.py).
if [ "$nst" = 0 ] && grep -q '^\[[0-9.]*\] \(\[ *[0-9.]*\] \)\?\( *\)not ok' "$log"; then
	grep '^\[[0-9.]*\] \(\[ *[0-9.]*\] \)\?\( *\)not ok' "$log" | head -20
	rc=1
fi
if [ $rc = 0 ]; then echo "ok - $prog"; else echo "not ok - $prog (see $log)"; fi
exit $rc
