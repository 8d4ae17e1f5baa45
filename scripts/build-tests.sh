#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build-tests.sh BUILD_DIR OUTDIR: install the uAPI headers of the kernel
# built in BUILD_DIR and build our selftest programs, statically, into OUTDIR.
. "$(dirname "$0")/lib.sh"

O=${1:?build dir}; outdir=${2:?out dir}
src=$(readlink -f "$O/source")
make -s -C "$src" O="$O" ARCH=x86_64 headers_install >/dev/null
mkdir -p "$outdir"
make -s -C "$ROOT/tools/testing/selftests/liveupdate" OUTPUT="$outdir" \
	KHDR_INCLUDES="-isystem $O/usr/include" SELFTESTS="$SRC_DIR/tools/testing/selftests"
