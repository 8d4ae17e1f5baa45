#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build-tests.sh BUILD_DIR OUTDIR: install the uAPI headers of the kernel
# built in BUILD_DIR and build our selftest programs, statically, into OUTDIR.
. "$(dirname "$0")/lib.sh"

O=${1:?build dir}; outdir=${2:?out dir}
src=$(readlink -f "$O/source")
build_lock
# Start from an empty OUTDIR: after a failed build, no binary of an earlier
# build may be packed and run as if it were this one.
rm -rf "$outdir"
make -s -j"$JOBS" -C "$src" O="$O" ARCH=x86_64 headers_install >/dev/null
mkdir -p "$outdir"
make -s -j"$JOBS" -C "$ROOT/tools/testing/selftests/liveupdate" OUTPUT="$outdir" \
	KHDR_INCLUDES="-isystem $O/usr/include" SELFTESTS="$SRC_DIR/tools/testing/selftests"

# The test modules are kernel code: build them against the same kernel,
# with W=1, in a scratch copy (kbuild writes next to the sources), and
# install them as OUTDIR/modules/*.ko (/luo/bin/modules in the guest).
mods=$ROOT/tools/testing/selftests/liveupdate/modules
mb=$outdir.modules
rm -rf "$mb" "$outdir/modules"
cp -r "$mods" "$mb"
make -s -C "$src" O="$O" ARCH=x86_64 CC="ccache gcc" W=1 M="$mb" modules >"$mb.log" 2>&1 ||
	{ cat "$mb.log" >&2; die "test modules failed to build"; }
if grep -E 'warning:|error:' "$mb.log" >&2; then
	die "test modules built with warnings"
fi
mkdir -p "$outdir/modules"
cp "$mb"/*.ko "$outdir/modules/"
