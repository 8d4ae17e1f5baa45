#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build-kernel.sh ours|ref PROFILE: configure and build one kernel with
# configs/PROFILE.config (debug, fast, tracing; PROFILE-notrace below) and
# configs/ours-PROFILE.config for ours if there is one (lib.sh: kernel_frags).
# ours is the overlay tree (mktree.sh), ref the base tree as Debian ships it.
# Prints the build directory on stdout.
. "$(dirname "$0")/lib.sh"

variant=${1:?ours|ref}
profile=${2:?debug|fast}
build_lock
case $variant in
ours) src=$TREE_DIR ;;
ref) src=$SRC_DIR; "$ROOT/scripts/fetch-base.sh" ;;
*) die "unknown variant $variant" ;;
esac
L=$BUILD_ROOT/$variant-$profile		# the name the other scripts use
O=$src/$BUILD_PREFIX$variant-$profile	# where kbuild builds (lib.sh)
mapfile -t frags < <(kernel_frags "$variant" "$profile")
want=$(config_id "${frags[@]}")

# Our kernel's first build starts from a copy of the reference's build of
# the same profile when there is one: the sources and the command lines
# are the same but for our files and our options, so kbuild recompiles
# only what includes our files or tests our options (its per-option
# dependencies). First every file of ours that differs from the base's is
# made newer than the copied objects (mktree.sh --touch-changed), then the
# copy is made: an interrupted copy is never taken for a build.
R=$SRC_DIR/${BUILD_PREFIX}ref-$profile
# A build of ours of another base starts again (base_check): the base
# comes first (mktree.sh runs fetch-base.sh), then whether to seed. The
# reference's builds are inside the base tree, which a new base replaces.
[ "$variant" = ref ] || { "$ROOT/scripts/mktree.sh" >/dev/null; base_check "$O" || true; }
seed=
if [ "$variant" = ours ] && [ ! -f "$O/.config" ] && [ -f "$R/arch/x86/boot/bzImage" ] &&
	[ "$(cat "$R/.config-frags" 2>/dev/null)" = "$(config_id $(kernel_frags ref "$profile"))" ] &&
	[ "$(cat "$R/.luo-base" 2>/dev/null)" = "$(base_id)" ]; then
	seed=1
fi
[ -z "$seed" ] || "$ROOT/scripts/mktree.sh" --touch-changed >/dev/null
mkdir -p "$BUILD_ROOT"
# A build directory of the layout before this one: a directory, not a link.
[ -L "$L" ] || rm -rf "$L"
if [ -n "$seed" ]; then
	say "starting $variant-$profile from a copy of the reference's build"
	rm -rf "$O" "$O.tmp"
	cp -a "$R" "$O.tmp" && rm -f "$O.tmp/.config-frags" && mv "$O.tmp" "$O" ||
		die "cannot copy $R"
	# The objects of base files the overlay deleted must not be linked.
	dropped=$(drop_orphan_objects "$O" | wc -l)
	[ "$dropped" = 0 ] || say "dropped $dropped objects of the reference's build whose source is not in our tree"
fi
mkdir -p "$O"
[ -f "$O/.luo-base" ] || base_id >"$O/.luo-base"
ln -sfn "$O" "$L"

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
case $profile in
*-notrace)
	kmake+=(CFLAGS_luo_core.o=-DNOTRACE CFLAGS_luo_file.o=-DNOTRACE
		CFLAGS_luo_session.o=-DNOTRACE)
	;;
esac
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

if [ -n "$seed" ] && ! objtool_from_copy "$R" "$O" "${kmake[@]}" >"$O/objtool.log" 2>&1; then
	say "objtool is not the reference's: every object rebuilds (log: $O/objtool.log)"
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
echo "$L"
