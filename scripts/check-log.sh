#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-log.sh LOG: the verdict on one guest log, apart from "did the test
# pass". Prints one line per problem on stdout; exit status 1 if any.
#
# Kernel splats: a panic, BUG (also SLUB's "BUG kmalloc-64 (...): ..."),
# Oops, WARNING, KASAN or UBSAN report, a lockdep report, an RCU stall, a
# blocked task, an allocation failure, or a stack trace. Two kinds of
# stack trace are expected and not splats: the one fault injection prints
# for every fault it injects (verbose=2, "FAULT_INJECTION: forcing a
# failure") and the one warn_alloc() prints for the allocation such a
# fault fails ("page allocation failure:", "vmalloc error:"). The latter
# is exempt only as the dump of the fault's own allocation failure: on the
# line right after the fault's dump (its "</TASK>"), of the same task, in
# the same kernel, and after a fault that fails such an allocation
# (fail_page_alloc; failslab only a vmalloc's, whose vm_struct is a slab
# object; fail_usercopy none). Any other allocation failure is a splat,
# such as a real one that comes after a failslab or usercopy fault, or
# anywhere later than right after a fault. Only the lines of such a dump are
# exempt, up to its "</TASK>" or the next kernel's "Linux version" (a
# kexec), and only from the "Call Trace:" rule: any other splat keyword
# counts, even inside one. The debug config enables the hung-task and
# soft-lockup detectors and UBSAN, so their rules are live.
#
# kmemleak: a kernel with kmemleak prints "kmemleak: Kernel memory leak
# detector initialized" when it boots, and the guest scans before it ends
# (scripts/guest/init), printing the report between "LUO-KMEMLEAK begin"
# and "LUO-KMEMLEAK end" (a kexec test's earlier stages do not scan, for
# time: see luo_kexec()). A run whose kernels have kmemleak needs at least
# that final scan, kmemleak must not have turned itself
# off, and no reported object may name LUO: any line of its report (the
# allocating task, whose name is that of a LUO test program, or a frame of
# its backtrace) matching luo_, liveupdate, kho_ or kexec_handover, which
# covers memfd_luo and the test modules luo_test_handler/luo_test_ftype.
# Other objects are counted and printed on stderr, not failed: a leak
# elsewhere in the kernel, or a kmemleak false positive (an object only
# referenced through a physical address, as KHO does), is not ours and
# would make every run flaky.
set -uo pipefail

log=${1:?log}

perl -ne '
	# $exempt: in a dump whose "Call Trace:" is expected. $fi: 1 in the
	# dump of an injected fault ($fi_name: its attribute, $fi_comm: its
	# task), 2 on the line right after its "</TASK>", 0 otherwise.
	BEGIN { $bad = 0; $exempt = 0; $fi = 0; $fi_name = $fi_comm = ""; }
	s/^\[[0-9.]+\] //;
	my $klog = s/^\[ *[0-9]+\.[0-9]+\] //;
	my $splat = 0;
	# the one line an injected fault whose dump has just ended may excuse
	my $after = $fi == 2;
	$fi = 0 if $after;
	if (/Linux version/) {
		# a new kernel: nothing of the last one carries over
		$exempt = 0;
		$fi = 0;
	}
	if ($klog && /FAULT_INJECTION: forcing a failure/) {
		$exempt = 1;
		$fi = 1;
		$fi_name = $fi_comm = "";
	} elsif ($klog && /^(.*?): (page allocation failure:|vmalloc error:)/) {
		# the fault that failed this allocation: of the same task, its
		# dump right before, and of a kind that fails allocations
		# (fail_usercopy fails none; failslab no page allocation)
		my ($comm, $kind) = ($1, $2);
		if ($after && $fi_comm eq $comm &&
		    ($fi_name eq "fail_page_alloc" ||
		     ($fi_name eq "failslab" && $kind eq "vmalloc error:"))) {
			$exempt = 1;
		} else {
			$splat = 1;
		}
	} elsif ($fi == 1 && $fi_name eq "" && /^name (\S+), interval/) {
		$fi_name = $1;
	} elsif ($fi == 1 && $fi_comm eq "" && /\bComm: (\S+)/) {
		$fi_comm = $1;
	}
	$splat ||= /Kernel panic|BUG:|BUG \S+ \([^)]*\): |Oops|WARNING:|KASAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|lock held when returning|suspicious RCU usage|detected (expedited )?stalls|self-detected stall|kthread starved|INFO: task .* blocked|general protection fault/;
	$splat ||= (/Call Trace:/ && !$exempt);
	if (/<\/TASK>/) {
		$exempt = 0;
		$fi = 2 if $fi == 1;
	}
	if ($splat && !$bad++) {
		chomp;
		print "kernel splat: ", substr($_, 0, 200), "\n";
	}
	END { exit($bad ? 1 : 0); }
' "$log"
rc=$?

# Only the last kernel of a run scans (a kexec test into the reference
# kernel, which has no kmemleak, has nothing to scan).
last=$(grep -n 'Linux version' "$log" | tail -n 1 | cut -d: -f1)
boots=$(tail -n +"${last:-1}" "$log" | grep -c 'kmemleak: Kernel memory leak detector initialized')
scans=$(tail -n +"${last:-1}" "$log" | grep -c '^\[[0-9.]*\] LUO-KMEMLEAK end')
if [ "$boots" -gt 0 ] && [ "$scans" -lt 1 ]; then
	echo "kmemleak: the last kernel has kmemleak and did not scan"
	rc=1
fi
# A fault injected into kmemleak's own allocations is fine ("Cannot
# allocate a scan area" only makes it scan a whole object) unless kmemleak
# then turns itself off.
off='kmemleak: Kernel memory leak detector disabled|kmemleak: Cannot allocate a kmemleak_object|LUO-KMEMLEAK error'
if grep -Eq "$off" "$log"; then
	echo "kmemleak: $(grep -Em1 "$off" "$log" | cut -c1-200)"
	rc=1
fi
sed -n 's/^\[[0-9.]*\] //p' "$log" | awk '
	function flush() {
		if (obj == "")
			return
		total++
		if (obj ~ /luo_|liveupdate|kho_|kexec_handover/) {
			luo++
			if (first == "")
				first = obj
		}
		obj = ""
	}
	/^LUO-KMEMLEAK begin/ { inrep = 1; next }
	/^LUO-KMEMLEAK end/ { flush(); inrep = 0; next }
	!inrep { next }
	/^unreferenced object/ { flush(); obj = $0; next }
	obj != "" { obj = obj "\n" $0 }
	END {
		flush()
		if (luo) {
			printf "kmemleak: %d of %d unreferenced objects name LUO; the first:\n%s\n", luo, total, first
			exit 1
		}
		if (total)
			printf "note: kmemleak: %d unreferenced objects, none names LUO\n", total > "/dev/stderr"
	}
' || rc=1
exit $rc
