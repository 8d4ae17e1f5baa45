#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# hygiene.sh BUILD_DIR WORKDIR: checkpatch --strict, kernel-doc and W=1 on
# our own kernel files. Prints one "ok - ..."/"not ok - ..." line per check.
. "$(dirname "$0")/lib.sh"
set +e

O=${1:?build dir}; W=${2:?work dir}
src=$(readlink -f "$O/source")
cd "$ROOT"
kfiles=$(git ls-files --cached --others --exclude-standard -- 'kernel/*.[ch]' 'include/*.h' 'lib/*.[ch]' 'mm/*.[ch]')
ufiles=$(git ls-files --cached --others --exclude-standard -- 'tools/testing/selftests/liveupdate/*.[ch]')
# An empty list (git ls-files failed, or the paths moved) would check
# nothing and pass.
[ -n "$kfiles" ] || echo "not ok - hygiene: no kernel files to check (git ls-files in $ROOT found none)"
[ -n "$ufiles" ] || echo "not ok - hygiene: no selftest files to check (git ls-files in $ROOT found none)"

cpargs=(--strict --no-tree --terse --show-types --ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG)
checkpatch() { perl "$src/scripts/checkpatch.pl" "${cpargs[@]}" -f "$1" 2>&1; }

# A checkpatch that cannot run (no such file, a perl module missing, ...)
# prints no findings: first make sure it finds a known defect.
canary=$(mktemp --suffix=.c)
trap 'rm -f "$canary"' EXIT
printf 'int f(void)\n{\n\treturn 0 ;\n}\n' >"$canary"
out=$(checkpatch "$canary")
if grep -q 'WARNING:SPACING' <<<"$out"; then echo "ok - checkpatch runs and finds a known defect"; else
	echo "not ok - checkpatch cannot run: it did not flag a known defect"; echo "$out" | sed 's/^/#   /' | head -5; fi

for f in $kfiles $ufiles; do
	out=$(checkpatch "$f")
	st=$?
	issues=$(grep -E ': (ERROR|WARNING|CHECK):' <<<"$out")
	if [ $st = 0 ] && [ -z "$issues" ]; then echo "ok - checkpatch --strict: $f"
	elif [ -n "$issues" ]; then
		echo "not ok - checkpatch --strict: $f"; echo "$issues" | sed 's/^/#   /' | head -20
	else
		echo "not ok - checkpatch --strict: $f (checkpatch failed, exit $st)"; echo "$out" | sed 's/^/#   /' | head -5
	fi
done

for f in $kfiles; do
	out=$("$src/scripts/kernel-doc" -none -Wall "$f" 2>&1)
	st=$?
	if [ $st = 0 ] && [ -z "$out" ]; then echo "ok - kernel-doc -Wall: $f"; else
		echo "not ok - kernel-doc -Wall: $f (exit $st)"; echo "$out" | sed 's/^/#   /' | head -20; fi
done

objs=$(for f in $kfiles; do case $f in *.c) echo "${f%.c}.o" ;; esac; done)
if [ -z "$objs" ]; then echo "not ok - W=1 build: no objects to build"; exit 0; fi
make -C "$src" O="$O" ARCH=x86_64 CC="ccache gcc" W=1 -j"$JOBS" $objs >"$W/w1.log" 2>&1
st=$?
warn=$(grep -E 'warning:|error:' "$W/w1.log")
if [ $st = 0 ] && [ -z "$warn" ]; then echo "ok - W=1 build: $(echo $objs | wc -w) objects, no warnings"; else
	echo "not ok - W=1 build (exit $st)"; echo "$warn" | sed 's/^/#   /' | head -20; fi
