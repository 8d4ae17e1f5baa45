# SPDX-License-Identifier: GPL-2.0
# Common settings for the harness scripts. Sourced, not run.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KBASE=${KBASE:-7.2}
CACHE=${LUO_CACHE:-$ROOT/.cache}
OUT=${LUO_OUT:-$ROOT/out}
JOBS=${JOBS:-$(nproc)}

# Where the extracted base tree, the overlay tree and the builds live.
SRC_DIR=$CACHE/src/linux-source-$KBASE
TREE_DIR=$CACHE/tree-$KBASE
BUILD_ROOT=$CACHE/build-$KBASE
# A kernel builds in a directory right inside its source tree,
# TREE/$BUILD_PREFIX$VARIANT-$PROFILE ($BUILD_ROOT/$VARIANT-$PROFILE links to
# it): kbuild then names every source relative to it ("../"), so the
# reference's build and ours share command lines, and ours can start from a
# copy of the reference's (build-kernel.sh). Copies of a tree leave these
# directories out.
BUILD_PREFIX=.luo-build-
# ccache keeps its cache where it always does (~/.cache/ccache unless
# CCACHE_DIR says otherwise): shared by every clone, so that a fresh clone
# (CI's) does not compile two kernels from nothing.

# build_lock: hold the build lock until the calling script exits. make
# check, make bench and make demo share the overlay tree and some build
# directories (the reference build, ours-fast): one of them builds, or
# remakes the overlay tree (mktree.sh), at a time.
# LUO_NO_BUILD_LOCK=1 is for builds in private directories (the self-test).
# A script run by one that holds the lock (build-kernel.sh runs mktree.sh)
# has inherited its descriptor 9, and with it the lock: a flock belongs to
# the open file, which both share. Opening the file again would make it
# wait for its own caller, for ever.
build_lock() {
	[ -z "${LUO_NO_BUILD_LOCK:-}" ] || return 0
	local lock=$CACHE/build-$KBASE.lock
	mkdir -p "$CACHE"
	[ "/proc/$BASHPID/fd/9" -ef "$lock" ] || exec 9>"$lock"
	if ! flock -n 9; then
		say "waiting for another build in $CACHE to finish"
		flock 9
	fi
}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# config_unstuck CONFIG FRAGMENT...: the options of the FRAGMENTs that did
# not stick in CONFIG (a .config), one line each; status 1 if there is one.
config_unstuck() {
	local config=$1 f line opt bad=0
	shift
	for f in "$@"; do
		while IFS= read -r line; do
			opt=${line%%=*}
			if [ "${line#*=}" = n ]; then
				! grep -q "^$opt=" "$config" && continue
			else
				grep -qx "$line" "$config" && continue
			fi
			echo "$line did not stick ($(grep "^$opt=\|^# $opt is not set" "$config" || echo "$opt: absent"))"
			bad=1
		done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$f" || true)
	done
	return $bad
}

# kernel_frags VARIANT PROFILE: the config fragments of a kernel, one path
# a line: base, the profile's (PROFILE-notrace: PROFILE's), and the
# variant's own for that profile if there is one (configs/ours-debug.config:
# options only our Kconfig has).
kernel_frags() {
	local profile=${2%-notrace}
	echo "$ROOT/configs/base.config"
	echo "$ROOT/configs/$profile.config"
	[ ! -f "$ROOT/configs/$1-$profile.config" ] || echo "$ROOT/configs/$1-$profile.config"
}

# objtool_from_copy REF_BUILD O MAKE...: after the build directory O was
# copied from REF_BUILD (the reference's build) into another tree, which
# MAKE (make -C TREE O=O ...) builds. The tools build names objtool's
# sources and outputs by absolute path, so it rebuilds objtool in the copy,
# and every object, which depends on the objtool binary, would follow.
# objtool's sources are under tools/, where the overlay and the series
# change nothing but the selftests (checked here against the overlay's
# manifest): build it, then give its files the copied objtool's time,
# older than every object. Status 1 if objtool cannot be taken for the
# reference's (then everything rebuilds).
objtool_from_copy() {
	local ref=$1 o=$2
	shift 2
	[ -f "$ref/tools/objtool/objtool" ] || return 1
	if awk '{ print $3 }' "$CACHE/tree-$KBASE.overlay" 2>/dev/null | grep '^tools/' |
		grep -qv '^tools/testing/selftests/'; then
		return 1
	fi
	"$@" -s tools/objtool || return 1
	find "$o/tools/objtool" -exec touch -h -r "$ref/tools/objtool/objtool" {} +
}

# config_id FRAGMENT...: the id of a set of config fragments, as a build
# directory records it in .config-frags (build-kernel.sh).
config_id() { cat "$@" | sha1sum | cut -c1-16; }

# base_id: the base tree's version, the name of the Debian package it was
# extracted from (fetch-base.sh writes it in .extracted), or "unknown".
base_id() {
	local id=
	[ ! -s "$SRC_DIR/.extracted" ] || id=$(head -n1 "$SRC_DIR/.extracted")
	echo "${id:-unknown}"
}

# base_check O: a build directory records the base it was built from
# (O/.luo-base, base_id); one of another base, or of none recorded, is
# removed: a new base's files keep the tarball's times, which may be older
# than the objects built from the last base's, and nothing would rebuild.
# (The reference's build directories are inside the base tree, which a new
# extraction replaces; ours are not.) Status 0 if O was removed.
base_check() {
	local o=$1 had
	[ -d "$o" ] || return 1
	had=$(cat "$o/.luo-base" 2>/dev/null || echo none)
	[ "$had" != "$(base_id)" ] || return 1
	say "$(basename "$o") was built from base $had, the base is now $(base_id): starting again"
	rm -rf "$o"
}

# drop_orphan_objects O: in the build directory O (right inside its source
# tree), remove every object, and its saved command, whose source in the
# tree ("../path" in its .cmd file's source_ line) does not exist. A build
# directory copied from the reference's (build-kernel.sh) holds the objects
# of base files that the overlay deletes; kbuild's saved dependencies make
# a missing source no reason to rebuild, so a Makefile that still names
# such an object would link the base's object, where a clean build stops
# with "No rule to make target". Prints the objects removed.
drop_orphan_objects() {
	local o=$1 cmd obj src
	while read -r cmd obj src; do
		[ ! -e "$o/$src" ] || continue
		echo "$obj"
		rm -f "$o/$obj" "$cmd"
	done < <(cd "$o" && grep -r --include='.*.cmd' '^source_[^/ ][^ ]* := \.\./' . 2>/dev/null |
		sed -n 's,^\./\(.*\):source_\([^ ]*\) := \(\.\./.*\)$,\1 \2 \3,p' |
		while read -r cmd obj src; do echo "$o/$cmd $obj $src"; done)
}

# The paths of the base tree that we own (see docs/testing.md, "The overlay contract").
owned_base_files() {
	local t=$1
	(cd "$t" && ls kernel/liveupdate/luo_* 2>/dev/null || true)
}
