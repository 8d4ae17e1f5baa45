#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# patches.sh: write the overlay as a git format-patch series against the
# pristine base tree into out/patches/ (split as scripts/patches.series says).
# patches.sh --check: git am the series onto a fresh base repository, build
# after every patch, checkpatch --strict every patch, and compare the final
# tree with the overlay tree. Prints "ok - ..."/"not ok - ..." lines.
# patches.sh --checkpatch TREE PATCH...: only checkpatch, as --check runs it.
# patches.sh --same-kernel BUILD FRAGMENT... <PATHS: only whether a patch's
# kernel is proven the overlay's build BUILD, as --check decides it.
#
# Nothing here writes into the shared base tree: the base repository keeps
# its own git directory (.cache/patches-$KBASE/base.git) and reads the tree
# in place; the check works in a hard-linked copy, and git replaces files
# instead of writing into them (the check verifies the base tree afterwards).
. "$(dirname "$0")/lib.sh"

PDIR=$CACHE/patches-$KBASE
BASE_GIT=$PDIR/base.git
SERIES=${LUO_SERIES:-$ROOT/scripts/patches.series}	# another split, to try one
# out/patches for the default base, out/patches-$KBASE for another.
PATCHES=$OUT/patches
[ "$KBASE" = 7.2 ] || PATCHES=$OUT/patches-$KBASE
# Reproducible commits: the same overlay gives the same series.
export GIT_AUTHOR_DATE="2026-01-01 00:00:00 +0000" GIT_COMMITTER_DATE="2026-01-01 00:00:00 +0000"
export GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-$(git -C "$ROOT" config user.name || echo "LUO developers")}
export GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-$(git -C "$ROOT" config user.email || echo "luo@localhost")}
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
# Checkpatch types that an overlay series legitimately trips, and why:
#  FILE_PATH_CHANGES  every new or removed file asks whether MAINTAINERS needs
#                     an update; the LIVE UPDATE entry already covers
#                     kernel/liveupdate/, lib/tests/liveupdate.c, the
#                     selftests and both documents, so it does not.
#  UNDOCUMENTED_DT_STRING  file handlers and FLBs are matched across a kexec
#                     by a ".compatible" string of LUO's own, which
#                     checkpatch takes for a devicetree compatible; they
#                     are not devicetree and have no binding.
CHECKPATCH_IGNORE=FILE_PATH_CHANGES,UNDOCUMENTED_DT_STRING

bgit() { git --git-dir="$BASE_GIT" "$@"; }

# The base repository: one commit "base" of the extracted tree, made once.
# Stat checks are minimal so that hard-linked copies of the tree (same inode
# data, new ctime) match the index without rehashing 90,000 files.
base_repo() {
	"$ROOT/scripts/fetch-base.sh"
	if bgit rev-parse -q --verify refs/heads/base >/dev/null 2>&1; then return; fi
	say "making the base repository $BASE_GIT (once; hashes the whole tree)"
	rm -rf "$BASE_GIT"
	mkdir -p "$PDIR"
	git init -q --bare "$BASE_GIT"
	bgit config core.bare false
	bgit config core.checkStat minimal
	bgit config core.trustctime false
	bgit config gc.auto 0
	GIT_WORK_TREE=$SRC_DIR bgit add -A -f -- . ':(exclude).extracted' ":(exclude)$BUILD_PREFIX*"
	local tree commit
	tree=$(bgit write-tree)
	commit=$(bgit commit-tree -m base "$tree")
	bgit update-ref refs/heads/base "$commit"
}

# The series file, parsed: NP patches, SUBJ[i], GLOBS[i] (space separated),
# BODY[i].
parse_series() {
	NP=0
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		"== "*) NP=$((NP + 1)); SUBJ[NP]=${line#== }; GLOBS[NP]=""; BODY[NP]="" ;;
		"#"*) [ $NP = 0 ] || BODY[NP]+="$line"$'\n' ;;
		"files: "*) [ $NP -gt 0 ] || die "$SERIES: files before the first patch"
			GLOBS[NP]+=" ${line#files: }" ;;
		*) [ $NP = 0 ] || BODY[NP]+="$line"$'\n' ;;
		esac
	done <"$SERIES"
	[ $NP -gt 0 ] || die "$SERIES: no patches"
	local i
	for ((i = 1; i <= NP; i++)); do
		# No blank line between the body and the Signed-off-by.
		BODY[i]=$(printf '%s' "${BODY[i]}" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')$'\n'
	done
}

# Which patch carries PATH: exactly one must match.
patch_of() {
	local path=$1 i g hit found=0 n=0
	for ((i = 1; i <= NP; i++)); do
		hit=0
		for g in ${GLOBS[i]}; do
			case $g in
			!*) [[ $path == ${g#!} ]] && { hit=0; break; } ;;
			*) [[ $path == $g ]] && hit=1 ;;
			esac
		done
		[ $hit = 1 ] && { found=$i; n=$((n + 1)); }
	done
	[ $n = 1 ] || { echo "$path: matched by $n patches" >&2; return 1; }
	echo "$found"
}

# The overlay tree as a git tree object (reads .cache/tree-$KBASE in place).
overlay_tree() {
	local idx=$PDIR/overlay.index
	cp "$BASE_GIT/index" "$idx"
	GIT_INDEX_FILE=$idx GIT_WORK_TREE=$TREE_DIR bgit add -A -f -- . ':(exclude).extracted' \
		":(exclude)$BUILD_PREFIX*"
	GIT_INDEX_FILE=$idx bgit write-tree
}

make_series() {
	set -f		# globs in the series file are patterns, not paths
	parse_series
	set +f
	base_repo
	# LUO_TREE_READY=1: make check has made the tree, and its hygiene
	# check builds from it beside the series (mktree.sh copies our files
	# again, which a compiler must not see half-written).
	[ -n "${LUO_TREE_READY:-}" ] || "$ROOT/scripts/mktree.sh" >/dev/null
	local base otree i p n idx parent tree msg status path
	base=$(bgit rev-parse refs/heads/base)
	otree=$(overlay_tree)
	declare -A owner
	local bad=0
	set -f
	while IFS=$'\t' read -r status path; do
		if ! p=$(patch_of "$path"); then bad=1; continue; fi
		owner[$path]=$p
	done < <(bgit diff-tree -r --no-renames --name-status "$base" "$otree")
	set +f
	[ $bad = 0 ] || die "$SERIES: every changed path must belong to exactly one patch (above)"

	idx=$PDIR/series.index
	rm -f "$idx"
	GIT_INDEX_FILE=$idx bgit read-tree "$base"
	parent=$base
	for ((i = 1; i <= NP; i++)); do
		n=0
		for path in "${!owner[@]}"; do
			[ "${owner[$path]}" = "$i" ] || continue
			n=$((n + 1))
			local ent
			ent=$(bgit ls-tree "$otree" -- "$path")
			if [ -n "$ent" ]; then
				# "mode type sha<TAB>path" -> mode,sha,path
				set -- ${ent%%$'\t'*}
				GIT_INDEX_FILE=$idx bgit update-index --add --cacheinfo "$1,$3,$path"
			else
				GIT_INDEX_FILE=$idx bgit update-index --force-remove -- "$path"
			fi
		done
		[ $n -gt 0 ] || die "patch $i (${SUBJ[i]}) carries no file"
		tree=$(GIT_INDEX_FILE=$idx bgit write-tree)
		msg=$(printf '%s\n\n%s\nSigned-off-by: %s <%s>\n' "${SUBJ[i]}" "${BODY[i]}" \
			"$GIT_AUTHOR_NAME" "$GIT_AUTHOR_EMAIL")
		parent=$(printf '%s\n' "$msg" | bgit commit-tree -p "$parent" "$tree")
	done
	[ "$(bgit rev-parse "$parent^{tree}")" = "$otree" ] || die "the series does not end at the overlay tree"
	bgit update-ref refs/heads/series "$parent"
	echo "$otree" >"$PDIR/overlay.tree"

	rm -rf "$PATCHES"
	mkdir -p "$PATCHES"
	bgit format-patch -q --cover-letter --no-signature --base="$base" \
		-o "$PATCHES" "$base..$parent" >/dev/null
	cover_letter "$PATCHES/0000-cover-letter.patch" "$base" "$parent"
	say "wrote $NP patches and a cover letter to $PATCHES"
}

# The latest benchmark, for the cover letter: the 16,000-file/session rows.
bench_summary() {
	local f=$ROOT/bench/latest.md
	[ -f "$f" ] || { echo "(no benchmark results in bench/latest.md)"; return; }
	printf '  %-20s %12s %10s %9s\n' "phase (N = 16,000)" "reference ms" "ours ms" "ref/ours"
	awk -F'|' '$3 ~ /^ *16000 *$/ {
		for (i = 2; i <= 6; i++) gsub(/^ +| +$/, "", $i)
		printf "  %-20s %12s %10s %9s\n", $2, $4, $5, $6 }' "$f"
}

cover_letter() {
	local f=$1 base=$2 head=$3 blurb
	blurb=$(cat <<EOF
This series replaces the Live Update Orchestrator (LUO) of this tree with a
reworked one. The uAPI, the luo-v5 handover format and the in-kernel API for
file handlers and FLBs do not change: a kernel with the series and one
without it live-update into each other in both directions.

What changes:
- sessions live in a hash table, so creating and retrieving N sessions is
  O(N) instead of O(N^2), and so is the rebuild after the kexec;
- every count, address and string handed over by the previous kernel is
  checked before use;
- loadable file handlers and FLBs pin their module while they are in use,
  and the register functions are exported for them;
- the uAPI header documents the extensible-struct rules and every error;
- every kernel image carries a record of the handover formats it accepts,
  and LIVEUPDATE_IOCTL_SET_TARGET (ours only) lets an agent declare the
  target's record, so that a live update the target would refuse fails
  before the blackout; three small patches to base files serve it and
  the reader (kho_is_preserved(), the linker script, memfd's record line);
- KUnit tests, TAP selftests for the uAPI and module lifetime, and
  two-stage kexec tests;
- the design and the userspace interface are documented.

The kernel builds after every patch that changes it, in the reference
kernel's configuration (tinyconfig with LUO, KHO, the in-kernel FLB test
and the debug layer: lockdep, KASAN, UBSAN, kmemleak); where the series
reaches the tested kernel, also with the KUnit suites and the corruption
test. The selftests and the test modules build after the patches that add
them, and every patch is clean
with checkpatch.pl --strict, except for two types: FILE_PATH_CHANGES (the
LIVE UPDATE entry of MAINTAINERS already covers every file) and
UNDOCUMENTED_DT_STRING (a handler's .compatible string is LUO's own, not a
devicetree compatible).

How it was tested (QEMU, x86_64, no KVM; lockdep and KASAN on):
- KUnit suites liveupdate_ser (the chain reader on good and corrupt
  input, serialize/read round trips), liveupdate_session,
  liveupdate_file (late handlers, dependent files), liveupdate_flb (the
  FLB page, get/put) and liveupdate_target (records, this kernel's own);
- the uAPI and module-lifetime selftests;
- kexec tests from this kernel into itself (including 2,000 sessions and
  4,000 files, and a loadable handler with an FLB), and interop with the
  unpatched kernel in both directions;
- any lockdep report, WARNING, BUG, Oops or KASAN report fails a run.

Latest benchmark (QEMU TCG, 2 vCPUs; medians; the unpatched kernel is the
reference):

$(bench_summary)

Base: Debian linux-source-$KBASE.
EOF
)
	BLURB=$blurb perl -0pi -e '
		s/\*\*\* SUBJECT HERE \*\*\*/liveupdate: a reworked Live Update Orchestrator/;
		s/\*\*\* BLURB HERE \*\*\*/$ENV{BLURB}/;' "$f"
	! grep -q '\*\*\* .* HERE \*\*\*' "$f" || die "cover letter: a placeholder is left"
}


# --check: everything below prints TAP-like lines for check.sh.
npass=0
nfail=0
ok() { npass=$((npass + 1)); echo "ok - patches: $*"; }
notok() { nfail=$((nfail + 1)); echo "not ok - patches: $*"; }

# checkpatch_canary TREE: a checkpatch that cannot run (no such file, a
# perl module missing, ...) prints no findings: TREE's checkpatch.pl must
# first flag a known defect in a patch.
checkpatch_canary() {
	local canary out
	canary=$(mktemp --suffix=.patch)
	printf '%s\n' "diff --git a/canary.c b/canary.c" "new file mode 100644" \
		"--- /dev/null" "+++ b/canary.c" "@@ -0,0 +1,4 @@" \
		"+int f(void)" "+{" "+	return 0 ;" "+}" >"$canary"
	out=$(cd "$1" && perl scripts/checkpatch.pl --strict --terse --show-types "$canary" 2>&1)
	rm -f "$canary"
	if grep -q 'WARNING:SPACING' <<<"$out"; then ok "checkpatch runs and finds a known defect"; else
		echo "$out" | sed 's/^/#   /' | head -5
		notok "checkpatch cannot run: it did not flag a known defect"; fi
}

# checkpatch_patch TREE PATCH: checkpatch --strict of PATCH, run in TREE.
# A finding fails, and so does an exit status that no finding explains.
checkpatch_patch() {
	local name out st issues
	name=$(basename "$2" .patch)
	out=$(cd "$1" && perl scripts/checkpatch.pl --strict --terse --show-types \
		--ignore "$CHECKPATCH_IGNORE" "$2" 2>&1)
	st=$?
	issues=$(grep -E ': (ERROR|WARNING|CHECK):' <<<"$out")
	if [ $st = 0 ] && [ -z "$issues" ]; then ok "$name checkpatch --strict: 0 findings"
	elif [ -n "$issues" ]; then
		echo "$issues" | sed 's/^/#   /' | head -20
		notok "$name checkpatch --strict: $(echo "$issues" | wc -l) findings"
	else
		echo "$out" | sed 's/^/#   /' | head -5
		notok "$name checkpatch --strict: checkpatch failed (exit $st)"
	fi
}

# same_kernel_as_overlay BUILD FRAGMENT... < PATHS: whether a kernel built
# at a patch would be the overlay's own build BUILD, given the PATHS that
# still differ from the overlay (one per line), ended by the line
# "#luo-paths-end" (written once the git diff that lists them succeeded).
# BUILD is a build of the overlay with the config FRAGMENTs that the
# caller has just made and checked (check.sh's debug kernel,
# LUO_OVERLAY_BUILD); when every path still to come is documentation or a
# selftest, building here would repeat that build from the same inputs.
# Status 0 if so. It fails closed: a list without its end line (empty, or
# cut short: the git diff failed) means "build".
same_kernel_as_overlay() {
	local build=$1 f end=0
	shift
	[ -n "$build" ] && [ -f "$build/arch/x86/boot/bzImage" ] || return 1
	[ "$(cat "$build/.config-frags" 2>/dev/null)" = "$(config_id "$@")" ] || return 1
	while IFS= read -r f; do
		[ $end = 0 ] || return 1
		case $f in
		"#luo-paths-end") end=1 ;;
		Documentation/*) ;;
		tools/testing/selftests/*) ;;
		*) return 1 ;;
		esac
	done
	[ $end = 1 ]
}

check_series() {
	set +e
	local final_config=
	local AM=$PDIR/am
	# The series builds in its tree as every kernel does (lib.sh), from a
	# copy of the reference's build: see the builds below.
	local T=$AM/src/linux-source-$KBASE AMGIT=$AM/git
	local O=$T/${BUILD_PREFIX}series R=$SRC_DIR/${BUILD_PREFIX}ref-debug
	local t0 p name log st secs total=0 n=0 out
	t0=$(date +%s)
	mkdir -p "$PDIR"	# a fresh clone has no cache yet
	( make_series ) >"$PDIR/make.log" 2>&1 ||
		{ sed 's/^/#   /' "$PDIR/make.log"; notok "make patches"; return; }
	ok "make patches: $(ls "$PATCHES"/0*.patch | grep -vc 0000-cover) patches and a cover letter"

	# A fresh base repository: the base commit only (objects borrowed from
	# the cached one), its work tree a hard-linked copy of the base tree
	# (without its builds).
	rm -rf "$T" "$AMGIT" "$AM/build-$KBASE" "$AM/tree-$KBASE"
	rm -f "$AM"/*.log
	mkdir -p "$T"
	cp -al "$SRC_DIR/." "$T/" && rm -rf "$T/.extracted" "$T/$BUILD_PREFIX"*
	git init -q --bare "$AMGIT"
	agit() { git --git-dir="$AMGIT" --work-tree="$T" "$@"; }
	agit config core.bare false
	agit config core.checkStat minimal
	agit config core.trustctime false
	agit config gc.auto 0
	echo "$BASE_GIT/objects" >"$AMGIT/objects/info/alternates"
	agit update-ref refs/heads/master "$(bgit rev-parse refs/heads/base)"
	agit symbolic-ref HEAD refs/heads/master
	cp "$BASE_GIT/index" "$AMGIT/index"
	agit diff-files --quiet && agit diff-index --cached --quiet HEAD
	if [ $? != 0 ]; then notok "fresh base repository matches the base tree"; return; fi
	checkpatch_canary "$T"
	if [ -z "${LUO_OVERLAY_BUILD:-}" ]; then
		LUO_OVERLAY_BUILD=$("$ROOT/scripts/build-kernel.sh" ours debug 2>"$AM/overlay-build.log")
		if [ $? = 0 ]; then ok "the overlay's debug build: $LUO_OVERLAY_BUILD"; else
			tail -20 "$AM/overlay-build.log" | sed 's/^/#   /'
			notok "the overlay's debug build (log: $AM/overlay-build.log)"
			return
		fi
	fi

	export CCACHE_BASEDIR=$AM CCACHE_NOHASHDIR=1 CCACHE_SLOPPINESS=time_macros,include_file_mtime
	export CCACHE_DEPEND=1	# as build-kernel.sh builds
	export KBUILD_BUILD_TIMESTAMP="2026-01-01 00:00:00 UTC" KBUILD_BUILD_USER=luo KBUILD_BUILD_HOST=luo
	local kmake=(make -C "$T" O="$O" ARCH=x86_64 CC="ccache gcc" -j"$JOBS")
	local mmake=("${kmake[@]}")
	# Every patch builds with the reference kernel's config (its debug
	# build, which make check has just made), incrementally from a copy of
	# that build: the base tree's files are older than its objects, and
	# every file a patch writes is newer. The first patch compiles only
	# what includes the files it changes. A fresh build directory when
	# there is no reference build (the series checked alone): ccache has
	# most of it. Our own options (configs/ours-debug.config: KUnit, the
	# corruption hook) make the overlay's debug build (check.sh's, or made
	# here when run alone), which the series must reach: the patch after
	# which only documentation and selftests change is proven to build it
	# (same_kernel_as_overlay).
	local frags dfrags
	mapfile -t frags < <(kernel_frags ref debug)
	mapfile -t dfrags < <(kernel_frags ours debug)
	if [ -f "$R/arch/x86/boot/bzImage" ] &&
		[ "$(cat "$R/.config-frags" 2>/dev/null)" = "$(config_id "${frags[@]}")" ]; then
		cp -a "$R" "$O" || { notok "copy the reference's build $R"; return; }
		objtool_from_copy "$R" "$O" "${kmake[@]}" >"$AM/objtool.log" 2>&1 ||
			echo "# objtool is not the reference's: every object rebuilds (log: $AM/objtool.log)"
	fi
	mkdir -p "$O"

	for p in "$PATCHES"/0*.patch; do
		name=$(basename "$p" .patch)
		case $name in 0000-*) continue ;; esac
		n=$((n + 1))
		if ! agit am -q "$p" >"$AM/$name.am.log" 2>&1; then
			sed 's/^/#   /' "$AM/$name.am.log" | head -20
			notok "$name applies with git am"
			agit am --abort >/dev/null 2>&1
			return
		fi
		ok "$name applies with git am"

		checkpatch_patch "$T" "$p"

		# Build what the patch can break: the kernel unless it touches only
		# Documentation/ (built by docs.sh) or the selftests, which are
		# built themselves instead.
		local f kernel=0 tests=0 mods=0
		[ $n = 1 ] && kernel=1
		while IFS= read -r f; do
			case $f in
			Documentation/*) ;;
			tools/testing/selftests/liveupdate/modules/*) mods=1 ;;
			tools/testing/selftests/*) tests=1 ;;
			*) kernel=1 ;;
			esac
		done < <(agit diff --name-only HEAD~1 HEAD)
		log=$AM/$name.build.log
		: >"$log"
		secs=$(date +%s)
		st=0
		local what=""
		if [ $kernel = 1 ] && same_kernel_as_overlay "${LUO_OVERLAY_BUILD:-}" \
			"${dfrags[@]}" < <(agit diff --name-only HEAD "$(cat "$PDIR/overlay.tree")" &&
				echo "#luo-paths-end"); then
			# Proven the same build: skip it (LUO_OVERLAY_BUILD below).
			# No kernel builds here after it: what is still to come
			# is documentation and selftests.
			what+=" kernel (the overlay's sources: built as $LUO_OVERLAY_BUILD)"
			final_config=$LUO_OVERLAY_BUILD/.config
			# Later modules build against that kernel (from here on the
			# kernel's sources are the overlay's, whose tree it was
			# built from); kbuild writes only into the modules' copy.
			mmake=(make -C "$TREE_DIR" O="$LUO_OVERLAY_BUILD" ARCH=x86_64
				CC="ccache gcc" -j"$JOBS")
		elif [ $kernel = 1 ]; then
			what+=" kernel"
			# Configure on the first patch and whenever a Kconfig file
			# changes: a new option takes its value from our fragments,
			# not its default.
			if [ ! -f "$O/.config" ] || agit diff --name-only HEAD~1 HEAD | grep -q 'Kconfig'; then
				"${kmake[@]}" -s tinyconfig >>"$log" 2>&1 &&
				KCONFIG_CONFIG=$O/.config "$T/scripts/kconfig/merge_config.sh" -m -O "$O" \
					"$O/.config" "${frags[@]}" >>"$log" 2>&1 &&
				"${kmake[@]}" -s olddefconfig >>"$log" 2>&1 || st=1
			fi
			[ $st = 0 ] && "${kmake[@]}" bzImage modules >>"$log" 2>&1 || st=1
			config_unstuck "$O/.config" "${frags[@]}" >>"$log" || st=1
		fi
		if [ $st = 0 ] && [ $tests = 1 ]; then
			# Against the uAPI headers of the patch's kernel: once it
			# is proven the overlay's build (above), that build's
			# headers, which make check has installed already (an
			# install from nothing takes 40 s).
			local hdr=$O
			[ -n "$final_config" ] && hdr=$LUO_OVERLAY_BUILD
			what+=" selftests"
			rm -rf "$AM/selftests"
			mkdir -p "$AM/selftests"
			"${mmake[@]}" -s headers_install >>"$log" 2>&1 &&
			make -s -j"$JOBS" -C "$T/tools/testing/selftests/liveupdate" OUTPUT="$AM/selftests" \
				KHDR_INCLUDES="-isystem $hdr/usr/include" \
				SELFTESTS="$T/tools/testing/selftests" >>"$log" 2>&1 || st=1
		fi
		if [ $st = 0 ] && [ $mods = 1 ]; then
			# kbuild writes next to module sources: build a copy.
			what+=" test-modules"
			rm -rf "$AM/modules"
			cp -r "$T/tools/testing/selftests/liveupdate/modules" "$AM/modules" &&
			"${mmake[@]}" W=1 M="$AM/modules" modules >>"$log" 2>&1 || st=1
		fi
		secs=$(($(date +%s) - secs))
		total=$((total + secs))
		[ -n "$what" ] || what=" nothing (documentation only)"
		if [ $st = 0 ]; then ok "$name builds:$what ($secs s)"; else
			grep -E 'error|Error' "$log" | awk '!seen[$0]++' | head -20 | sed 's/^/#   /'
			notok "$name builds:$what ($secs s, log: $log)"
			return
		fi
	done

	# The debug config: the kernel of some patch must have been the
	# overlay's debug build.
	if [ -z "$final_config" ]; then
		notok "no patch's kernel was proven the overlay's debug build ($LUO_OVERLAY_BUILD)"
		return
	fi

	# Every option of our debug fragments must be set in the final build.
	local f line opt bad=""
	for f in "${dfrags[@]}"; do
		while IFS= read -r line; do
			opt=${line%%=*}
			case ${line#*=} in
			n) ! grep -q "^$opt=" "$final_config" || bad+=" $line" ;;
			*) grep -qx "$line" "$final_config" || bad+=" $line" ;;
			esac
		done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$f")
	done
	if [ -z "$bad" ]; then ok "the final build has every option of our config fragments"; else
		notok "the final build lacks:$bad"; fi

	[ "$(agit rev-parse HEAD^{tree})" = "$(cat "$PDIR/overlay.tree")" ] && agit diff-files --quiet &&
		diff -rq -x "$BUILD_PREFIX*" "$T" "$TREE_DIR" >"$AM/diff.log" 2>&1
	st=$?
	sed 's/^/#   /' "$AM/diff.log" | head -20
	if [ $st = 0 ]; then ok "the series ends at the overlay tree (identical)"; else
		notok "the series does not end at the overlay tree"; fi

	GIT_WORK_TREE=$SRC_DIR bgit diff-files --quiet
	if [ $? = 0 ]; then ok "the shared base tree is untouched"; else
		notok "the shared base tree was written to"; fi
	echo "# patches: builds took $total s, the whole check $(($(date +%s) - t0)) s"
}

case ${1:-} in
"") make_series ;;
--check) check_series; [ $nfail = 0 ] ;;
# only the verdict of same_kernel_as_overlay (the harness self-test feeds
# it paths and builds that must not be taken for the overlay's kernel)
--same-kernel)
	same_kernel_as_overlay "${@:2}"
	;;
# only the checkpatch part, on patches already made (the harness self-test
# feeds it a checkpatch that cannot run)
--checkpatch)
	set +e
	checkpatch_canary "${2:?tree}"
	for p in "${@:3}"; do checkpatch_patch "$2" "$p"; done
	[ $nfail = 0 ]
	;;
*) die "usage: patches.sh [--check | --checkpatch TREE PATCH... | --same-kernel BUILD FRAGMENT... <PATHS]" ;;
esac
