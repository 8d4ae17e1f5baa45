#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The whole test suite: builds, a self-test of the harness, KUnit, uAPI
# selftests, kexec tests (ours -> ours and both interop directions with the
# reference), hygiene checks.
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
# Where the time went: phase NAME starts a phase (and says so); the
# summary prints one "# NAME  SECONDS" line per phase before its last line.
phase_name= phase_start=$(date +%s) times=()
check_start=$phase_start
phase() {
	local now
	now=$(date +%s)
	[ -n "$phase_name" ] &&
		times+=("$(printf '%-40s %5d s' "$phase_name" $((now - phase_start)))")
	phase_name=$* phase_start=$now
	[ -z "$*" ] || say "$*"
}
summary() {
	phase ""
	echo "# where the time went"
	printf '#   %s\n' "${times[@]}"
	printf '#   %-40s %5d s\n' total $(($(date +%s) - check_start))
	echo "$npass passed, $nfail failed"
	[ $nfail = 0 ]
	exit $?
}
STL=$ROOT/tools/testing/selftests/liveupdate

# The parsers of guest output (TAP, KUnit, test lists) live in results.sh,
# where the harness self-test feeds them broken logs.
. "$ROOT/scripts/results.sh"
# checker_results runs a checker (a script that prints its own result
# lines) and adds a "not ok" when it exits non-zero, reports nothing, or
# reports another number of results than pinned. Pinned: the number of
# checks of the harness self-test (raise it with every check added).
HARNESS_CHECKS=152
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

phase "building kernels (base $KBASE)"
# The reference first: ours starts from a copy of its build (the same
# config but for our options), compiling only what our files change.
O_REF=$("$ROOT/scripts/build-kernel.sh" ref debug); result $? "build: reference (base LUO, the same debug layer, the in-kernel FLB test)"
O_OURS=$("$ROOT/scripts/build-kernel.sh" ours debug); result $? "build: ours (debug layer: lockdep, KASAN, our KUnit suites)"
[ -f "$O_OURS/arch/x86/boot/bzImage" ] && [ -f "$O_REF/arch/x86/boot/bzImage" ] || summary

# Does the harness itself fail when it should? It needs the base tree's
# kunit.py, hence after the builds. It runs beside the test programs'
# build (its lines come after theirs): each leaves a CPU idle about half
# of the time (measured: 31 s and 61 s alone, 78 s together). Its file
# ends with an end line (run_to), and is tallied with the status wait
# gives (background_results): a run killed mid-way fails. So is hygiene's.
phase "harness self-test, building test programs"
run_to "$W/harness-selftest.txt" checker_results "harness self-test" "$HARNESS_CHECKS" \
	"$ROOT/scripts/harness-selftest.sh" & pid_harness=$!
"$ROOT/scripts/build-tests.sh" "$O_OURS" "$W/bin" >"$W/build-tests.log" 2>&1
result $? "build: selftest programs" || { tail -20 "$W/build-tests.log"; }
# The record of the target image (ours and its test modules), which
# luo_kexec_target declares before its live update: read from the image by
# the tool an agent uses.
"$ROOT/tools/liveupdate/liveupdate-record" --raw "$O_OURS/arch/x86/boot/bzImage" \
	"$W/bin/modules" >"$W/bin/target-record.bin"
result $? "liveupdate-record: the record of our image and its test modules"
"$ROOT/tools/liveupdate/liveupdate-record" "$O_REF/arch/x86/boot/bzImage" >/dev/null 2>"$W/record-ref.err"
[ $? = 1 ] && grep -q "no live update record" "$W/record-ref.err"
result $? "liveupdate-record: a stock (reference) image has no record, said so, exit 1"
"$ROOT/scripts/mkinitramfs.sh" "$W/initramfs.cpio" "$W/bin" \
	ours="$O_OURS/arch/x86/boot/bzImage" ref="$O_REF/arch/x86/boot/bzImage"
result $? "build: initramfs"
wait $pid_harness
st=$?
tally < <(background_results "$W/harness-selftest.txt" $st)
K_OURS=$O_OURS/arch/x86/boot/bzImage
K_REF=$O_REF/arch/x86/boot/bzImage

# KUnit: the suites run while the debug kernel boots.
kunit_run() {
	"$ROOT/scripts/qemu-run.sh" "$K_OURS" "$W/initramfs.cpio" "$W/kunit.log" 900 \
		"luotest=kunit kunit.enable=1" </dev/null
	result $? "kunit: boot log clean"
	sed -n 's/^\[[0-9.]*\] //p' "$W/kunit.log" >"$W/kunit.ktap"
	python3 "$TREE_DIR/tools/testing/kunit/kunit.py" parse "$W/kunit.ktap" >"$W/kunit.txt" 2>&1
	result $? "kunit: kunit.py parse verdict"
	# One suite per file under test (kernel/liveupdate/tests/), each with
	# its number of cases pinned: a suite that loses a case fails (a new
	# case needs its number raised here).
	kunit_results "$W/kunit.txt" liveupdate_ser=4 liveupdate_session=2 liveupdate_file=5 liveupdate_flb=3 liveupdate_target=3
}
# The uAPI selftests: one TAP program per line of the list the guest runs
# (bin/selftests), as many as pinned, each with its plan pinned
# (scripts/pinned-counts).
selftests_run() {
	local nsel
	"$ROOT/scripts/qemu-run.sh" "$K_OURS" "$W/initramfs.cpio" "$W/selftests.log" 1200 \
		"luotest=selftests" </dev/null
	result $? "selftests: guest run clean"
	nsel=$(grep -c . "$W/bin/selftests" 2>/dev/null)
	[ "${nsel:-0}" -gt 0 ] || notok "selftests: no list of selftest programs ($W/bin/selftests)"
	[ "${nsel:-0}" = "$(pinned_list selftests)" ]
	result $? "selftests: ${nsel:-0} programs, $(pinned_list selftests) pinned (scripts/pinned-counts)"
	tap_results "$W/selftests.log" selftests "${nsel:-1}" "$(pinned_plans selftests)"
}
# One guest of the conformance pair (compared once both have run).
conform_run() {
	local k=$1 img=$K_OURS
	[ "$k" = ref ] && img=$K_REF
	"$ROOT/scripts/qemu-run.sh" "$img" "$W/initramfs.cpio" "$W/conform-$k-$k.log" 900 \
		"luotest=kexec:luo_conform luonext=$k" </dev/null
	result $? "conformance: luo_conform $k -> $k: both stages clean"
}

# kexec tests: "prog [args]" per line; ours -> ours, and the interop set also
# reference -> ours and ours -> reference.
kexec_run() {
	local prog=$1 from=$2 to=$3 args=$4 k w pargs= kcmd= name=$1 want=3 nst=2
	# Words "@key=value" of a test line go to the kernel command line.
	for w in $args; do
		case $w in @*) kcmd+=" ${w#@}" ;; *) pargs+="${pargs:+,}$w" ;; esac
	done
	# Several lines of one program: the last argument tells their logs apart.
	[ -n "$pargs" ] && name+="-${pargs##*,}"
	local log=$W/kexec-$name-$from-$to.log
	if [ "$from" = ours ]; then k=$K_OURS; else k=$K_REF; fi
	# one TAP program per stage (luostages=N: N stages, else two)
	case $kcmd in *luostages=*) nst=${kcmd##*luostages=}; nst=${nst%% *} ;; esac
	"$ROOT/scripts/qemu-run.sh" "$k" "$W/initramfs.cpio" "$log" 1800 \
		"luotest=kexec:$prog luonext=$to${pargs:+ luoargs=$pargs}$kcmd" </dev/null
	result $? "kexec: $name $from -> $to: every stage clean and passed"
	# Each stage's plan is pinned under the test's line (words single-spaced).
	tally < <(tap_results "$log" "kexec $name $from->$to" "$nst" \
		"$(pinned_plans "$(echo $prog $args)")")
	# luo_fail_nth's reboot sweep must end on a kexec that reached no fault.
	[ "$prog$pargs" = luo_fail_nth ] && tally < <(reboot_sweep_results "$log" "kexec $name $from->$to")
	# The in-kernel FLB test (lib/tests/liveupdate.c, in both kernels) rode
	# along with every preserved memfd; each of its FLBs must come back, in
	# every kernel after the first, unless the test corrupted them. Ours
	# says "handle ok" or "handle BAD"; the reference finds the handle when
	# the last file that needs it finishes, or reports an ERROR.
	case $kcmd in *luostages=3*) want=6 ;; esac
	if ! grep -q 'liveupdate: corrupt-test:' "$log"; then
		local good bad
		if [ "$to" = ours ]; then
			good=$(grep -c 'liveupdate_test: flb liveupdate-test-flb-v[0-9]*: handle ok' "$log")
			bad=$(grep -c 'liveupdate_test: .*\(BAD\|cannot attach\)' "$log")
		else
			good=$(grep -c 'liveupdate-test-flb-v[0-9]*: found flb data from the previous boot' "$log")
			bad=$(grep -c 'liveupdate-test-flb-v[0-9]*: ERROR' "$log")
		fi
		[ "$good" = $want ] && [ "$bad" = 0 ]
		result $? "kexec: $name $from -> $to: in-kernel test FLBs handed over ($good of $want ok, $bad bad)"
	fi
}
# A negative control: luo_kexec_hostile --control leaves the handover
# intact, so stage 2's checks of the class "loop" (refused as a whole) must
# fail: the first open (it works), the three sessions (they come back) and
# the two log lines (nothing to log), 6 of its 8 tests. It must fail in
# those and in nothing else: the log clean, stage 1 passed, LUO-DONE rc=1.
kexec_control() {
	local log=$W/kexec-control-hostile-loop.log
	"$ROOT/scripts/qemu-run.sh" "$K_OURS" "$W/initramfs.cpio" "$log" 1800 \
		"luotest=kexec:luo_kexec_hostile luonext=ours luoargs=--class,loop,--control" \
		</dev/null 2>"$log.stderr"
	"$ROOT/scripts/check-log.sh" "$log" >>"$log.stderr" && grep -q 'LUO-DONE rc=[1-9]' "$log"
	result $? "kexec control: hostile --control ran both stages, no splat, and failed"
	control_results "$log" "kexec control: luo_kexec_hostile --class loop --control" 6
}
# A guest is mostly one busy vCPU, so QEMU_JOBS guests (default: one per
# host CPU) run at once; each run's lines go to its own file, ending with
# one line "#luo-run-end" (see run_results), and are tallied in the order
# of the queue once all have ended. guest_queue N CMD [ARGS...].
guest_queue() {
	local n=$1; shift
	while [ "$(jobs -rp | wc -l)" -ge "${QEMU_JOBS:-$JOBS}" ]; do
		wait -n
	done
	{ "$@"; echo "#luo-run-end"; } >"$W/guest-result-$(printf %03d "$n").txt" &
}
# Every guest run, two at a time (QEMU_JOBS), in one queue: the longest
# first, so that the last ones to end are short. Their lines are tallied
# in the order of the queue once all have ended.
phase "guest runs: KUnit, selftests, kexec tests, conformance (two at a time)"
rm -f "$W"/guest-result-*.txt
tally < <(test_list "$STL/kexec_tests.txt" "$(pinned_list kexec_tests.txt)")
tally < <(test_list "$STL/interop_tests.txt" "$(pinned_list interop_tests.txt)")
n=0
guest_queue $((n += 1)) selftests_run
while read -r prog args; do
	guest_queue $((n += 1)) kexec_run "$prog" ours ours "$args"
done < <(test_list_entries "$STL/kexec_tests.txt")
guest_queue $((n += 1)) kexec_control
guest_queue $((n += 1)) conform_run ours
while read -r prog args; do
	guest_queue $((n += 1)) kexec_run "$prog" ref ours "$args"
	guest_queue $((n += 1)) kexec_run "$prog" ours ref "$args"
done < <(test_list_entries "$STL/interop_tests.txt")
guest_queue $((n += 1)) kunit_run
guest_queue $((n += 1)) conform_run ref
wait
for f in "$W"/guest-result-*.txt; do
	[ -f "$f" ] && tally < <(run_results "$f")
done
[ "$(ls "$W"/guest-result-*.txt 2>/dev/null | wc -l)" = "$n" ]
result $? "guest runs: all $n reported"

# The same uAPI cases on the reference and on ours, compared case by case
# (differences allowed only where the document's deviations table says).
# (The cases each run must print are pinned in scripts/conformance.cases.)
phase "conformance: the comparison"
tally < <(checker_results "conformance.sh" "" "$ROOT/scripts/conformance.sh" compare \
	"$W/conform-ref-ref.log" "$W/conform-ours-ours.log")

# Hygiene beside the documentation and the patch series: they run one
# process at a time most of the time (checkpatch, kernel-doc, Sphinx, git),
# and neither writes what the other reads: hygiene's W=1 build rewrites
# only LUO's objects in our build, from which the series takes the uAPI
# headers and the module symbols, and the series leaves the overlay tree
# as it is (LUO_TREE_READY). Hygiene's lines come after the series'.
phase "hygiene, documentation, patch series (side by side)"
run_to "$W/hygiene.txt" checker_results "hygiene.sh" "" "$ROOT/scripts/hygiene.sh" "$O_OURS" "$W" \
	& pid_hygiene=$!
tally < <(checker_results "docs.sh" "" "$ROOT/scripts/docs.sh" --tree-ready)
tally < <(LUO_TREE_READY=1 LUO_OVERLAY_BUILD=$O_OURS checker_results "patches.sh" "" \
	"$ROOT/scripts/patches.sh" --check)
wait $pid_hygiene
st=$?
tally < <(background_results "$W/hygiene.txt" $st)
summary
