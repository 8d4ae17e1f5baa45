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
# ccache keeps its cache where it always does (~/.cache/ccache unless
# CCACHE_DIR says otherwise): shared by every clone, so that a fresh clone
# (CI's) does not compile two kernels from nothing.

# build_lock: hold the build lock until the calling script exits. make
# check, make bench and make demo share the overlay tree and some build
# directories (the reference build, ours-fast): one of them builds at a time.
# LUO_NO_BUILD_LOCK=1 is for builds in private directories (the self-test).
build_lock() {
	[ -z "${LUO_NO_BUILD_LOCK:-}" ] || return 0
	mkdir -p "$CACHE"
	exec 9>"$CACHE/build-$KBASE.lock"
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

# config_id FRAGMENT...: the id of a set of config fragments, as a build
# directory records it in .config-frags (build-kernel.sh).
config_id() { cat "$@" | sha1sum | cut -c1-16; }

# The paths of the base tree that we own (see README "Overlay contract").
owned_base_files() {
	local t=$1
	(cd "$t" && ls kernel/liveupdate/luo_* 2>/dev/null || true)
}
