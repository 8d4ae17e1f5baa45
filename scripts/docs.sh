#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# docs.sh [--tree-ready]: build our documentation pages, and only those, with
# Sphinx and the kernel's kernel-doc extension, from the overlay tree, into
# out/docs-$KBASE/html. Prints "ok - ..."/"not ok - ..." lines; any Sphinx
# warning fails. --tree-ready skips remaking the overlay tree.
. "$(dirname "$0")/lib.sh"

PAGES="core-api/liveupdate userspace-api/liveupdate"

[ "${1:-}" = --tree-ready ] || "$ROOT/scripts/mktree.sh" >/dev/null
D=$OUT/docs-$KBASE
rm -rf "$D"
mkdir -p "$D/src"

for p in $PAGES; do
	mkdir -p "$D/src/$(dirname "$p")"
	cp "$TREE_DIR/Documentation/$p.rst" "$D/src/$p.rst"
done

# The kernel's conf.py builds the whole Documentation/ tree; ours loads the
# same kernel-doc extension and knows the kernel's C attributes, nothing else.
cat >"$D/src/conf.py" <<'EOF'
import os
import sys

srctree = os.environ["srctree"]
sys.path.insert(0, os.path.join(srctree, "Documentation/sphinx"))
project = "Live Update Orchestrator"
root_doc = master_doc = "index"
extensions = ["kerneldoc"]
kerneldoc_srctree = srctree
primary_domain = "c"
highlight_language = "none"
html_theme = "alabaster"
c_id_attributes = ["__init", "__exit", "__user", "__rcu", "__iomem",
                   "__must_check", "__always_inline", "noinline",
                   "__printf", "__aligned", "__packed", "__weak"]
c_paren_attributes = ["__printf", "__aligned", "__attribute__"]
EOF
{
	echo "Live Update Orchestrator"
	echo "========================"
	echo
	echo ".. toctree::"
	echo "   :maxdepth: 2"
	echo
	for p in $PAGES; do echo "   $p"; done
} >"$D/src/index.rst"

# Debian's Sphinx is a module of the system python3 (not of any other
# python3 on PATH).
# (A failure is a result, not the end of this script.)
st=0
srctree=$TREE_DIR /usr/bin/python3 -m sphinx -b html -q -w "$D/warnings.log" \
	"$D/src" "$D/html" >"$D/sphinx.log" 2>&1 || st=$?
nw=$(cat "$D/warnings.log" 2>/dev/null | grep -c . || true)
if [ $st = 0 ] && [ "$nw" = 0 ]; then
	echo "ok - docs: $PAGES build with Sphinx, 0 warnings"
else
	sed 's/^/#   /' "$D/warnings.log" "$D/sphinx.log" | head -30
	echo "not ok - docs: Sphinx build (exit $st, $nw warning lines; $D/warnings.log)"
fi

# A kernel-doc directive that selects nothing renders nothing, silently:
# every DOC: block a page names must exist, and every public function with
# kernel-doc (liveupdate_*() in kernel/liveupdate/) must render somewhere.
# Finding none of either proves nothing: that fails too.
bad=""
ndoc=0
for p in $PAGES; do
	while IFS='|' read -r file doc; do
		ndoc=$((ndoc + 1))
		grep -q "^ \* DOC: $doc\$" "$TREE_DIR/$file" || bad+=" $p:$file:'$doc'"
	done < <(awk '/^\.\. kernel-doc::/ { f = $3 } /^   :doc:/ { sub(/^   :doc: */, ""); print f "|" $0 }' \
		"$D/src/$p.rst")
done
if [ -n "$bad" ]; then echo "not ok - docs: DOC: blocks that do not exist:$bad"
elif [ $ndoc = 0 ]; then echo "not ok - docs: the pages name no DOC: block"
else echo "ok - docs: all $ndoc DOC: blocks the pages name exist"; fi
missing=""
n=0
for f in "$TREE_DIR"/kernel/liveupdate/*.c; do
	[ -f "$f" ] || continue
	for fn in $(sed -n 's/^ \* \(liveupdate_[a-z0-9_]*\)\(()\)\? - .*/\1/p' "$f"); do
		n=$((n + 1))
		grep -q "id=\"c\.$fn\"" "$D"/html/*/*.html || missing+=" $fn()"
	done
done
if [ -n "$missing" ]; then echo "not ok - docs: documented but never rendered:$missing"
elif [ $n = 0 ]; then echo "not ok - docs: found no documented liveupdate_*() function in $TREE_DIR/kernel/liveupdate"
else echo "ok - docs: all $n documented liveupdate_*() functions render"; fi
