#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: ours against the reference LUO, same config (no debug layer),
# same QEMU. For each N the two kernels alternate, BENCH_RUNS runs each
# (the largest N once: the reference takes minutes there). Writes
# out/bench/results.csv (one row per run and phase), summary.md (medians and
# ratios) and bench.png (time against N). The phases bytes-per-session and
# bytes-per-file are kernel memory in bytes (MemFree deltas), not ms.
. "$(dirname "$0")/lib.sh"

NS=${BENCH_NS:-"1000 4000 16000 64000"}
RUNS=${BENCH_RUNS:-3}
# configs/PROFILE.config: fast (no debug layer), or tracing (the same with
# the tracepoints compiled in, off: what they cost when nobody traces), or
# tracing-notrace (tracing, with LUO's own tracepoints compiled out).
PROFILE=${BENCH_PROFILE:-fast}
B=$OUT/bench
mkdir -p "$B/logs"

say "building both kernels without the debug layer ($PROFILE)"
# The reference first: ours starts from a copy of its build.
O_REF=$("$ROOT/scripts/build-kernel.sh" ref "$PROFILE")
O_OURS=$("$ROOT/scripts/build-kernel.sh" ours "$PROFILE")
"$ROOT/scripts/build-tests.sh" "$O_OURS" "$B/bin" >"$B/build-tests.log" 2>&1 ||
	{ tail -20 "$B/build-tests.log"; die "building the test programs failed"; }
"$ROOT/scripts/mkinitramfs.sh" "$B/initramfs.cpio" "$B/bin" \
	ours="$O_OURS/arch/x86/boot/bzImage" ref="$O_REF/arch/x86/boot/bzImage"

csv=$B/results.csv
echo "kernel,n,run,phase,ms" >"$csv"

# One run: kexec from a kernel into the same kind of kernel.
bench_one() {
	local k=$1 n=$2 run=$3 img log mem=4G
	[ "$n" -gt 20000 ] && mem=8G
	if [ "$k" = ours ]; then img=$O_OURS; else img=$O_REF; fi
	log=$B/logs/$k-$n-$run.log
	QEMU_MEM=$mem "$ROOT/scripts/qemu-run.sh" "$img/arch/x86/boot/bzImage" "$B/initramfs.cpio" \
		"$log" 1800 "luotest=kexec:luo_bench luonext=$k luoargs=-n,$n" ||
		{ say "run $k n=$n #$run failed (log: $log)"; return 1; }
	perl -ne '
		BEGIN { ($k, $n, $r) = @ARGV[0..2]; @ARGV = ($ARGV[3]); }
		if (/^\[([0-9.]+)\] BENCH (\S+) n=\d+ ms=([0-9.]+)/) { print "$k,$n,$r,$2,$3\n"; }
		# Kernel memory per object: a phase of its own, in bytes.
		if (/^\[([0-9.]+)\] BENCH (\S+) n=\d+ bytes=(-?[0-9.]+)/) { print "$k,$n,$r,$2,$3\n"; }
		$t0 = $1 if /^\[([0-9.]+)\] BENCH kexec-call/;
		if (/^\[([0-9.]+)\] luo-init: .*stage=2/ && $t0) { printf "%s,%s,%s,blackout-userspace,%.1f\n", $k, $n, $r, ($1 - $t0) * 1000; }
		if (/^\[([0-9.]+)\] BENCH data-available/ && $t0) { printf "%s,%s,%s,blackout-data,%.1f\n", $k, $n, $r, ($1 - $t0) * 1000; }
		# The reference logs microseconds, ours nanoseconds.
		if (/liveupdate: (?:reboot: )?(serialized|deserialized)\b.*? in (\d+) (us|ns)/) { printf "%s,%s,%s,kernel-%s,%.1f\n", $k, $n, $r, $1, $2 / ($3 eq "ns" ? 1e6 : 1000); }
	' "$k" "$n" "$run" "$log" | tee -a "$csv" | awk -F, '{ printf "    %-6s n=%-6s run %s  %-20s %10.1f ms\n", $1, $2, $3, $4, $5 }'
}

for n in $NS; do
	runs=$RUNS
	[ "$n" -ge 64000 ] && runs=1
	for run in $(seq 1 "$runs"); do
		for k in ref ours; do
			say "N=$n run $run/$runs: $k"
			bench_one "$k" "$n" "$run" || true
		done
	done
done

python3 "$ROOT/scripts/bench-report.py" "$csv" "$B"
