#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build-kernel.sh ours|ref PROFILE: configure and build one kernel with
# configs/PROFILE.config (debug, fast, interop, tracing; PROFILE-notrace
# below).
# ours is the overlay tree (mktree.sh), ref the base tree as Debian ships it.
# Prints the build directory on stdout.
. "$(dirname "$0")/lib.sh"

variant=${1:?ours|ref}
profile=${2:?debug|fast}
build_lock
case $variant in
ours) src=$TREE_DIR; "$ROOT/scripts/mktree.sh" >/dev/null ;;
ref) src=$SRC_DIR; "$ROOT/scripts/fetch-base.sh" ;;
*) die "unknown variant $variant" ;;
esac
O=$BUILD_ROOT/$variant-$profile
mkdir -p "$O"

export CCACHE_BASEDIR=$CACHE CCACHE_NOHASHDIR=1 CCACHE_SLOPPINESS=time_macros,include_file_mtime
# ccache's depend mode: a miss compiles once, without a preprocessor pass
# for the hash (the compiler's own -MMD list of headers makes the key).
# Measured on 40 files with an empty cache: 52 s instead of 61 to 70 s.
export CCACHE_DEPEND=1
export KBUILD_BUILD_TIMESTAMP="2026-01-01 00:00:00 UTC" KBUILD_BUILD_USER=luo KBUILD_BUILD_HOST=luo
kmake=(make -C "$src" O="$O" ARCH=x86_64 CC="ccache gcc" -j"$JOBS")

# PROFILE-notrace: PROFILE's config with LUO's own tracepoints compiled
# out (NOTRACE on its objects turns every trace_*() call into nothing), to
# measure what they cost while tracing is off (make bench
# BENCH_PROFILE=tracing against BENCH_PROFILE=tracing-notrace).
config=$profile
case $profile in
*-notrace)
	config=${profile%-notrace}
	kmake+=(CFLAGS_luo_core.o=-DNOTRACE CFLAGS_luo_file.o=-DNOTRACE
		CFLAGS_luo_session.o=-DNOTRACE)
	;;
esac
frags=("$ROOT/configs/base.config" "$ROOT/configs/$config.config")
want=$(config_id "${frags[@]}")
if [ "$(cat "$O/.config-frags" 2>/dev/null)" != "$want" ] || [ ! -f "$O/.config" ]; then
	say "configuring $variant-$profile (tinyconfig + ${frags[*]##*/})"
	"${kmake[@]}" -s tinyconfig >/dev/null
	KCONFIG_CONFIG=$O/.config "$src/scripts/kconfig/merge_config.sh" -m -O "$O" \
		"$O/.config" "${frags[@]}" >"$O/merge.log" 2>&1
	"${kmake[@]}" -s olddefconfig >/dev/null
	# Every option we asked for must have stuck.
	bad=$(config_unstuck "$O/.config" "${frags[@]}") || die "$variant-$profile: $bad"
	echo "$want" >"$O/.config-frags"
fi

say "building $variant-$profile kernel in $O (log: $O/build.log)"
start=$(date +%s)
# Progress: one line every 500 build steps (make's quiet "  CC file" lines).
if ! "${kmake[@]}" bzImage modules 2>&1 | tee "$O/build.log" |
	awk '/^  [A-Z]/ { if (++n % 500 == 0) { printf "    ... %d build steps\n", n > "/dev/stderr" } }'; then
	tail -40 "$O/build.log" >&2
	die "kernel build failed: $variant-$profile"
fi
# And still after the build: kbuild configures again on its own when a
# Kconfig file changed, and drops an option whose dependencies went away.
# (Configure from the fragments again next time.)
if ! bad=$(config_unstuck "$O/.config" "${frags[@]}"); then
	rm -f "$O/.config-frags"
	die "$variant-$profile: the build changed the config: $bad"
fi
say "built $variant-$profile in $(($(date +%s) - start)) s"
echo "$O"
