#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Make the tree we build (the overlay contract, see docs/testing.md):
#   base tree
#   - the base's own files at every path we own (once our luo_core.c exists)
#   + our files under kernel/ include/ lib/ mm/ Documentation/ and
#     tools/testing/selftests/liveupdate/
#   + patches/*.patch applied with patch -p1
# Unchanged files keep their timestamps, so an unchanged tree rebuilds
# nothing, and a path whose content changed gets the time of this run, so
# that kbuild rebuilds what was built from it. rsync -a and cp -p keep the
# source's time, which is not enough: when a file of ours that shadows a
# base file goes, the base file comes back with its old time, older than
# the objects built from ours.
#
# --touch-changed: also give the time of this run to every path whose
# content differs from the base's, changed or not since the last run. A
# build directory copied from the reference's (build-kernel.sh) holds
# objects built from the base's files, newer than ours: this makes ours
# newer again.
#
# Under the build lock (lib.sh; already held when build-kernel.sh runs it):
# rsync briefly gives every overlaid file the base's content back, and a
# kernel build reading the tree meanwhile would compile base code into an
# object newer than our source.
. "$(dirname "$0")/lib.sh"

touch_changed=
case ${1:-} in
--touch-changed) touch_changed=1 ;;
"") ;;
*) die "usage: mktree.sh [--touch-changed]" ;;
esac
build_lock

"$ROOT/scripts/fetch-base.sh"

mkdir -p "$TREE_DIR"
rsync -a --delete --link-dest="$SRC_DIR" --exclude=/.extracted --exclude="/$BUILD_PREFIX*" \
	"$SRC_DIR/" "$TREE_DIR/"

ours_active() { [ -f "$ROOT/kernel/liveupdate/luo_core.c" ]; }

# Every path the overlay ever changed, as the last complete run left it:
# "sha1 mtime path" per line. A path's previous content is this, or the
# base's if the overlay never changed it.
MANIFEST=$CACHE/tree-$KBASE.overlay
OVERLAID=$(mktemp)
trap 'rm -f "$OVERLAID"' EXIT

# stamp_overlay: compare every path of the manifest and of this run's
# overlay ($OVERLAID) with its previous content. Changed: the time of this
# run. Unchanged: its previous time back (cp -p gave it the source's, and
# rsync the base's to a path the overlay gave up). A file hard-linked to
# the base tree gets an inode of its own first.
stamp_overlay() {
	local sum t path f prev prev_t base
	declare -A msum mtime
	if [ -f "$MANIFEST" ]; then
		while read -r sum t path; do
			msum[$path]=$sum
			mtime[$path]=$t
		done <"$MANIFEST"
	fi
	{ printf '%s\n' "${!msum[@]}"; cat "$OVERLAID"; } | sort -u | while read -r path; do
		f=$TREE_DIR/$path
		[ -n "$path" ] && [ -f "$f" ] || continue
		if [ -n "${msum[$path]:-}" ]; then
			prev=${msum[$path]} prev_t=${mtime[$path]}
		elif [ -f "$SRC_DIR/$path" ]; then
			prev=$(sha1sum <"$SRC_DIR/$path") prev_t=$(stat -c %.9Y "$SRC_DIR/$path")
		else
			prev=none prev_t=
		fi
		sum=$(sha1sum <"$f")
		sum=${sum%% *} prev=${prev%% *}
		if [ -n "$touch_changed" ]; then
			base=none
			[ ! -f "$SRC_DIR/$path" ] || base=$(sha1sum <"$SRC_DIR/$path")
			[ "$sum" = "${base%% *}" ] || prev=changed
		fi
		if [ "$sum" != "$prev" ] || [ "$(stat -c %.9Y "$f")" != "$prev_t" ]; then
			if [ "$(stat -c %h "$f")" != 1 ]; then
				cp "$f" "$f.luo-new" && mv -f "$f.luo-new" "$f"
			fi
			if [ "$sum" != "$prev" ]; then touch "$f"; else touch -d "@$prev_t" "$f"; fi
		fi
		echo "$sum $(stat -c %.9Y "$f") $path"
	done >"$MANIFEST.new.$$"
	mv -f "$MANIFEST.new.$$" "$MANIFEST"
}

if ours_active; then
	# Every base file at a path we own goes before ours are copied.
	rm -f "$TREE_DIR"/kernel/liveupdate/luo_*
	rm -rf "$TREE_DIR/tools/testing/selftests/liveupdate"
	rm -f "$TREE_DIR/lib/tests/liveupdate.c"
	rm -f "$TREE_DIR/Documentation/core-api/liveupdate.rst"
	rm -f "$TREE_DIR/Documentation/userspace-api/liveupdate.rst"
	(cd "$ROOT" && git ls-files --cached --others --exclude-standard -- \
		kernel include lib mm Documentation tools/testing/selftests/liveupdate) |
	while read -r f; do
		[ -f "$ROOT/$f" ] || continue
		mkdir -p "$TREE_DIR/$(dirname "$f")"
		# Never write through a hard link into the base tree.
		cp -p --remove-destination "$ROOT/$f" "$TREE_DIR/$f"
		echo "$f" >>"$OVERLAID"
	done
	for p in "$ROOT"/patches/*.patch; do
		[ -f "$p" ] || continue
		# Break the hard links of the files the patch touches first.
		for f in $(sed -n 's,^+++ [^/]*/\([^\t ]*\).*,\1,p' "$p"); do
			[ -f "$TREE_DIR/$f" ] || continue
			cp -p "$TREE_DIR/$f" "$TREE_DIR/$f.lnk" && mv "$TREE_DIR/$f.lnk" "$TREE_DIR/$f"
		done
		patch -s -p1 -d "$TREE_DIR" <"$p" || die "patch $(basename "$p") does not apply to $KBASE"
		for f in $(sed -n 's,^+++ [^/]*/\([^\t ]*\).*,\1,p' "$p"); do
			touch -r "$p" "$TREE_DIR/$f"
			echo "$f" >>"$OVERLAID"
		done
	done
fi
stamp_overlay
echo "$TREE_DIR"
