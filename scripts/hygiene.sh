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

for f in $kfiles $ufiles; do
	out=$(perl "$src/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f "$f" 2>&1 |
		grep -E ': (ERROR|WARNING|CHECK):')
	if [ -z "$out" ]; then echo "ok - checkpatch --strict: $f"; else
		echo "not ok - checkpatch --strict: $f"; echo "$out" | sed 's/^/#   /' | head -20; fi
done

for f in $kfiles; do
	out=$("$src/scripts/kernel-doc" -none -Wall "$f" 2>&1)
	if [ -z "$out" ]; then echo "ok - kernel-doc -Wall: $f"; else
		echo "not ok - kernel-doc -Wall: $f"; echo "$out" | sed 's/^/#   /' | head -20; fi
done

objs=$(for f in $kfiles; do case $f in *.c) echo "${f%.c}.o" ;; esac; done)
[ -n "$objs" ] || exit 0
make -C "$src" O="$O" ARCH=x86_64 CC="ccache gcc" W=1 -j"$JOBS" $objs >"$W/w1.log" 2>&1
st=$?
warn=$(grep -E 'warning:|error:' "$W/w1.log")
if [ $st = 0 ] && [ -z "$warn" ]; then echo "ok - W=1 build: $(echo $objs | wc -w) objects, no warnings"; else
	echo "not ok - W=1 build (exit $st)"; echo "$warn" | sed 's/^/#   /' | head -20; fi
