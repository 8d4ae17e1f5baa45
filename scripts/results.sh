# SPDX-License-Identifier: GPL-2.0
# Turning what a guest printed into result lines. Sourced by check.sh and by
# harness-selftest.sh (which feeds these functions broken logs), not run.
#
# Every function prints one line per result, "ok - ..." or "not ok - ...",
# and nothing else; the caller counts them. A result that was expected and
# is missing, and a test that was skipped, are "not ok": the kernels we
# test always have LUO, so there is nothing legitimate to skip.

# guest_lines LOG: what the guest printed, without the host timestamps.
# Userspace lines then start at once; kernel lines carry the printk time.
guest_lines() {
	sed -n 's/^\[[0-9.]*\] //p' "$1"
}

# tap_results LOG WHAT RUNS [PLANS]: the TAP printed by userspace in a
# guest log. RUNS is how many TAP programs (plan lines) the log must hold:
# one per selftest program, two for a kexec test (stage 1 and stage 2).
# Each program's plan "1..N" must be met by exactly N result lines before
# the next plan; "ok ... # SKIP" is a skip and fails; "Bail out!" fails.
# PLANS, if given, pins the plans: "N1 N2 ...", one per program in the
# order they run (see pinned_plans); another plan fails, and so does an
# empty PLANS (a test whose plans nobody pinned).
tap_results() {
	local log=$1 what=$2 runs=${3:-1} plans=${4-}

	if [ $# -ge 4 ] && [ -z "$plans" ]; then
		echo "not ok - $what: no plans pinned ($(basename "$PINNED_COUNTS"))"
	fi
	if [ ! -s "$log" ]; then
		echo "not ok - $what: no guest log ($log)"
		return 0
	fi
	guest_lines "$log" | awk -v what="$what" -v want="$runs" -v plans="$plans" '
	BEGIN { npins = split(plans, pin, " ") }
	function end_run() {
		if (!inrun)
			return
		if (got != planned)
			printf "not ok - %s: TAP run %d planned %d results, printed %d\n", what, runs, planned, got
		inrun = 0
	}
	/^1\.\.[0-9]+/ {
		end_run()
		runs++
		inrun = 1
		got = 0
		planned = substr($1, 4) + 0
		if (planned == 0)
			printf "not ok - %s: TAP run %d plans no tests (%s)\n", what, runs, $0
		else if (npins && planned != pin[runs] + 0)
			printf "not ok - %s: TAP run %d plans %d tests, %d pinned (scripts/pinned-counts)\n", what, runs, planned, pin[runs]
		next
	}
	/^(not )?ok [0-9]+/ {
		if (inrun)
			got++
		else
			orphans++
		if ($0 ~ /^not ok/) {
			printf "not ok - %s: %s\n", what, substr($0, 8)
		} else if (tolower($0) ~ /#[ \t]*skip/) {
			printf "not ok - %s: %s (skipped)\n", what, substr($0, 4)
		} else {
			printf "ok - %s: %s\n", what, substr($0, 4)
		}
		next
	}
	/^Bail out!/ {
		printf "not ok - %s: %s\n", what, $0
	}
	END {
		end_run()
		if (orphans)
			printf "not ok - %s: %d result lines outside a TAP plan\n", what, orphans
		if (runs < want)
			printf "not ok - %s: %d of %d TAP programs printed a plan\n", what, runs, want
		else if (runs > want)
			printf "not ok - %s: %d TAP programs printed a plan, expected %d\n", what, runs, want
	}'
}

# kunit_results KUNIT_TXT SUITE[=N]...: the output of "kunit.py parse".
# Every case and suite is a result; SKIPPED, CRASHED, FAILED and NO TESTS
# RUN fail, so does every "[ERROR]" of the parser (a plan not met, no KTAP
# at all), and every SUITE must be among the suites that passed. SUITE=N
# pins the suite's size: exactly N cases of it must have passed (a case of
# parameters counts once), so that a suite that loses a case (deleted, or
# compiled out) fails though every case it ran passed.
kunit_results() {
	local txt=$1
	shift
	local suites="$*"

	if [ ! -s "$txt" ]; then
		echo "not ok - kunit: no output from kunit.py parse"
		return 0
	fi
	awk -v suites="$suites" '
	BEGIN {
		n = split(suites, want, " ")
		for (i = 1; i <= n; i++) {
			pin[i] = ""
			if (match(want[i], /=[0-9]+$/)) {
				pin[i] = substr(want[i], RSTART + 1) + 0
				want[i] = substr(want[i], 1, RSTART - 1)
			}
		}
		depth = 0
	}
	{ sub(/^\[[0-9:]+\] /, "") }
	/^\[ERROR\] / { printf "not ok - kunit: %s\n", substr($0, 9); next }
	# "==== suite (N subtests) ====" opens a suite, "==== case ====" a
	# case with parameters one level deeper; "==== [STATUS] name ===="
	# closes either.
	/^=+ / && !/^=+ \[[A-Z ]+\] / {
		line = $0
		sub(/^=+ /, "", line)
		sub(/ *=+$/, "", line)
		sub(/ \([0-9]+ subtests?\)$/, "", line)
		stack[++depth] = line
		next
	}
	{
		wrapped = ($0 ~ /^=+ /)
		line = $0
		sub(/^=+ /, "", line)
		sub(/ =+$/, "", line)
		if (!match(line, /^\[(PASSED|FAILED|SKIPPED|CRASHED|NO TESTS RUN)\]/))
			next
		st = substr(line, 2, RLENGTH - 2)
		name = substr(line, RLENGTH + 2)
		if (name == "")
			name = "(unnamed)"
		if (wrapped && depth > 0 && stack[depth] == name)
			depth--
		# a case: a plain line directly in a suite, or a closed case
		# of parameters
		if (depth == 1 && (!wrapped || name != stack[1]) && st == "PASSED")
			cases[stack[1]]++
		if (st == "PASSED") {
			printf "ok - kunit: %s\n", name
			passed[name] = 1
		} else if (st == "SKIPPED") {
			printf "not ok - kunit: %s (skipped)\n", name
		} else {
			printf "not ok - kunit: %s (%s)\n", name, tolower(st)
		}
	}
	END {
		for (i = 1; i <= n; i++) {
			if (!(want[i] in passed))
				printf "not ok - kunit: suite %s did not pass (not in the log, or not every case passed)\n", want[i]
			else if (pin[i] != "" && cases[want[i]] + 0 != pin[i])
				printf "not ok - kunit: suite %s ran %d cases, %d expected (pinned by the caller)\n", want[i], cases[want[i]], pin[i]
		}
	}' "$txt"
}

# test_list FILE [WANT]: the programs of a kexec_tests.txt-style list,
# "prog [args]" per line, without comments and blank lines. Prints "not
# ok" and fails if the file is missing or lists nothing, so that an empty
# list cannot pass by running nothing, or, if WANT is given, lists other
# than WANT tests (pinned_list), so that a list that shrinks fails.
test_list() {
	local f=$1 want=${2-} n

	if [ ! -r "$f" ]; then
		echo "not ok - test list $(basename "$f"): missing"
		return 1
	fi
	n=$(grep -cEv '^[[:space:]]*(#|$)' "$f")
	if [ "$n" = 0 ]; then
		echo "not ok - test list $(basename "$f"): lists no test"
		return 1
	fi
	if [ $# -ge 2 ] && [ "$n" != "$want" ]; then
		echo "not ok - test list $(basename "$f"): $n tests, ${want:-none} pinned (scripts/pinned-counts)"
		return 1
	fi
	echo "ok - test list $(basename "$f"): $n tests${2:+, as pinned}"
}

# The counts make check compares, kept in the tree and changed only on
# purpose (scripts/pinned-counts; LUO_PINNED_COUNTS: another file).
PINNED_COUNTS=${LUO_PINNED_COUNTS:-$(dirname "${BASH_SOURCE[0]}")/pinned-counts}

# pinned_list NAME: the number of entries pinned for the list NAME
# (kexec_tests.txt, interop_tests.txt, selftests), or nothing.
pinned_list() {
	awk -v n="$1" '$1 == "list" && $2 == n { print $3; exit }' "$PINNED_COUNTS" 2>/dev/null
}

# pinned_plans TEST: the plans pinned for TEST (a line of a test list,
# its words separated by single spaces, or "selftests"), "N1 N2 ...", or
# nothing.
pinned_plans() {
	awk -v t="$1" '
	$1 == "plans" {
		i = index($0, " = ")
		if (i && substr($0, i + 3) == t) {
			print substr($0, 7, i - 7)
			exit
		}
	}' "$PINNED_COUNTS" 2>/dev/null
}

# test_list_entries FILE: the entries themselves, one per line.
test_list_entries() {
	grep -Ev '^[[:space:]]*(#|$)' "$1" || true
}

# checker_results NAME WANT CMD...: run CMD, a checker that prints "ok -
# ..." and "not ok - ..." lines (conformance.sh, hygiene.sh, docs.sh,
# patches.sh, harness-selftest.sh), and pass its lines on as they come.
# A checker that dies can print only "ok" lines, or nothing at all; so
# this adds a "not ok - NAME: ..." line when CMD exits non-zero, when it
# printed no result, and, if WANT is a number, when it printed other than
# WANT results (a pinned count, so that a shrinking checker fails).
checker_results() {
	local name=$1 want=$2
	shift 2
	# The status goes on a line of its own after CMD's last line, which
	# may lack its newline.
	{ "$@"; printf '\n#luo-checker-exit %d\n' $?; } | awk -v name="$name" -v want="$want" '
	/^#luo-checker-exit [0-9]+$/ { st = $2; next }
	# the empty line before the status is ours
	/^$/ { blank++; next }
	{
		for (; blank > 0; blank--)
			print ""
		print
		fflush()
	}
	/^not ok/ { n++; nf++; next }
	/^ok/ { n++ }
	END {
		if (st == "")
			printf "not ok - %s: no exit status (killed?)\n", name
		else if (st != 0 && nf)
			printf "not ok - %s: exited with status %d (%d failures reported)\n", name, st, nf
		else if (st != 0)
			printf "not ok - %s: exited with status %d, and reported no failure (it died)\n", name, st
		if (!n)
			printf "not ok - %s: reported no result\n", name
		else if (want ~ /^[0-9]+$/ && n != want + 0)
			printf "not ok - %s: %d results, %d expected (pinned in scripts/check.sh)\n", name, n, want
	}'
}

# run_results FILE: the result lines that one run in the background (a
# kexec test of check.sh) wrote to FILE, which must end with exactly one
# line "#luo-run-end": a run killed before its end leaves an empty or
# partial file, whose missing results would otherwise pass unnoticed.
run_results() {
	local f=$1 n
	n=$(grep -cx '#luo-run-end' "$f" 2>/dev/null)
	grep -vx '#luo-run-end' "$f" 2>/dev/null
	[ "${n:-0}" = 1 ] ||
		echo "not ok - $(basename "$f"): ${n:-0} end lines, expected 1 (a run killed before its end, or run twice)"
}

# run_to FILE CMD...: run CMD with its output to FILE, then the end line
# "#luo-run-end" of run_results; the status is CMD's. For a checker that
# check.sh runs in the background (run_to FILE CMD... &), whose lines it
# tallies once wait has said how the run ended: background_results.
run_to() {
	local f=$1 st
	shift
	{
		"$@"
		st=$?
		echo "#luo-run-end"
	} >"$f"
	return $st
}

# background_results FILE STATUS: the result lines of a run_to in the
# background, whose status wait returned as STATUS. FILE must end with
# its one end line (run_results), and STATUS must be 0: a run killed, or
# one whose checker failed, left its results incomplete, or none at all
# (an empty file that would read "0 passed, 0 failed").
background_results() {
	local f=$1 st=$2
	run_results "$f"
	[ "$st" = 0 ] ||
		echo "not ok - $(basename "$f"): the run in the background ended with status $st"
}

# control_results LOG WHAT FAILS: a negative control, a two-stage kexec test
# run so that its stage 2 must fail (luo_kexec_hostile --control leaves
# intact the handover that stage 2 expects damaged). One result line: ok
# only if both TAP programs met their plans, with no skip and no Bail out!,
# stage 1 passed, and stage 2 failed exactly FAILS of its tests. A control
# whose checks cannot fail passes nothing, and neither does one that fails
# for another reason.
control_results() {
	local log=$1 what=$2 want=$3

	if [ ! -s "$log" ]; then
		echo "not ok - $what: no guest log ($log)"
		return 0
	fi
	guest_lines "$log" | awk -v what="$what" -v want="$want" '
	/^1\.\.[0-9]+/ { planned[++runs] = substr($1, 4) + 0; next }
	/^(not )?ok [0-9]+/ {
		got[runs + 0]++
		if ($0 ~ /^not ok/)
			failed[runs + 0]++
		else if (tolower($0) ~ /#[ \t]*skip/)
			skipped++
		next
	}
	/^Bail out!/ { bail++ }
	END {
		if (runs != 2)
			why = sprintf("%d TAP programs, expected 2", runs)
		else if (got[0] || got[1] != planned[1] || got[2] != planned[2])
			why = sprintf("results %d and %d for plans %d and %d (%d outside a plan)",
				      got[1], got[2], planned[1], planned[2], got[0])
		else if (skipped || bail)
			why = sprintf("%d skipped, %d Bail out!", skipped, bail)
		else if (failed[1])
			why = sprintf("stage 1 failed %d tests", failed[1])
		else if (failed[2] != want)
			why = sprintf("stage 2 failed %d of %d tests, expected %d",
				      failed[2], planned[2], want)
		if (why == "")
			printf "ok - %s: stage 1 passed, stage 2 failed %d of %d tests as it must\n",
			       what, want, planned[2]
		else
			printf "not ok - %s: %s\n", what, why
	}'
}

# reboot_sweep_results LOG WHAT: luo_fail_nth's reboot sweep tries kexec -e
# with the Nth fault, N = 1, 2, ..., until one goes through; it proves
# something only if that one reached no Nth fault: a kexec that went
# through with a fault injected absorbed it, and the points after it were
# never tried. Stage 2 cannot see that; the log can: the old kernel prints
# the stack of every injected fault (verbose=2; not those of __GFP_NOWARN
# allocations), and none may come between the last "# kexec -e with fault
# N=" line and the next kernel's "Linux version". And it proves nothing
# if no fault refused a kexec: at least one must have ("# kexec -e with
# fault N=n refused (...), fault at SITE"), and one at each site that the
# line "# reboot sweep sites: SITE..." names (a site that contains it).
reboot_sweep_results() {
	local log=$1 what=$2

	guest_lines "$log" 2>/dev/null | awk -v what="$what" '
	/^# reboot sweep sites:/ {
		named = 1
		for (i = 5; i <= NF; i++)
			site[$i] = 0
		next
	}
	n && /^# kexec -e with fault N=[0-9]+ refused .*, fault at / {
		refused++
		place = $0
		sub(/.*, fault at /, "", place)
		for (s in site)
			if (index(place, s))
				site[s]++
		next
	}
	/^# kexec -e with fault N=[0-9]+$/ { n = substr($0, 25) + 0; faults = 0; next }
	n && /FAULT_INJECTION: forcing a failure/ { faults++ }
	n && /Linux version / { booted = 1; exit }
	END {
		if (!n)
			printf "not ok - %s: reboot sweep: no kexec -e with a fault armed\n", what
		else if (!booted)
			printf "not ok - %s: reboot sweep: no kexec went through (last try N=%d)\n", what, n
		else if (faults)
			printf "not ok - %s: reboot sweep: the kexec with fault N=%d went through with %d faults injected (absorbed)\n", what, n, faults
		else if (!refused)
			printf "not ok - %s: reboot sweep: no fault refused a kexec (N=%d went through)\n", what, n
		else
			printf "ok - %s: reboot sweep: the kexec with fault N=%d went through without reaching it (%d refused before)\n", what, n, refused
		if (!named)
			printf "not ok - %s: reboot sweep: no line names the sites its faults must reach\n", what
		for (s in site)
			if (!site[s])
				printf "not ok - %s: reboot sweep: no kexec refused by a fault at %s\n", what, s
	}'
}
