#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Make the tree we build (the overlay contract, see README):
#   base tree
#   - the base's own files at every path we own (once our luo_core.c exists)
#   + our files under kernel/ include/ lib/ mm/ Documentation/ and
#     tools/testing/selftests/liveupdate/
#   + patches/*.patch applied with patch -p1
# Unchanged files keep their timestamps, so an unchanged tree rebuilds nothing.
. "$(dirname "$0")/lib.sh"

"$ROOT/scripts/fetch-base.sh"

mkdir -p "$TREE_DIR"
rsync -a --delete --link-dest="$SRC_DIR" --exclude=/.extracted "$SRC_DIR/" "$TREE_DIR/"

ours_active() { [ -f "$ROOT/kernel/liveupdate/luo_core.c" ]; }

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
		done
	done
fi
echo "$TREE_DIR"
