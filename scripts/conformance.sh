#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The differential conformance test: the same uAPI cases (luo_conform) on
# the reference kernel and on ours, each across a kexec into the same kind
# of kernel, compared case by case.
#
# make check boots both kernels (reference -> reference, ours -> ours) in its
# queue of guest runs (scripts/check.sh, conform_run), then:
#   conformance.sh compare REF_LOG OURS_LOG
#       compare two guest logs that hold luo_conform's output
#   conformance.sh pin OURS_LOG
#       write the names of the cases of a clean run into the pinned list
#       (scripts/conformance.cases; when luo_conform gains or loses a case)
#
# luo_conform prints "CASE <stage>.<case> <result>" per case. A case whose
# result differs is fine only if it is a row of the "Deliberate deviations"
# table in Documentation/core-api/liveupdate.rst with the same two results;
# a row whose case does not differ (or differs otherwise) is stale and fails
# too. Each run must print exactly the cases of the pinned list, so that a
# luo_conform that stops early on both kernels, or loses cases, fails. A
# document or a table that cannot be read fails, and every difference is
# still reported. Prints "ok - ..."/"not ok - ..." lines (for check.sh's
# tally), each failure with both results; the exit status is non-zero on
# any failure.
. "$(dirname "$0")/lib.sh"
set +e

DOC=${LUO_DEVIATIONS_DOC:-$ROOT/Documentation/core-api/liveupdate.rst}
CASES=${LUO_CONFORM_CASES:-$ROOT/scripts/conformance.cases}

compare() {
	python3 - "$1" "$2" "$DOC" "$CASES" <<'EOF'
import re
import sys

ref_log, ours_log, doc, pinfile = sys.argv[1:5]
fails = 0


def say(ok, msg):
    global fails
    if not ok:
        fails += 1
    print(('ok' if ok else 'not ok') + ' - conformance: ' + msg)


def cases(log):
    """CASE lines of a guest log, in order; the host prefixes a timestamp."""
    out, dups, ends = {}, [], 0
    try:
        f = open(log, errors='replace')
    except OSError as e:
        say(False, 'cannot read the guest log: %s' % e)
        return out, dups, ends
    with f:
        for line in f:
            line = line.rstrip('\n')
            m = re.match(r'^\[[0-9.]+\] CASE (\S+) ?(.*)$', line)
            if m:
                name, res = m.group(1), m.group(2).rstrip()
                if name in out:
                    dups.append(name)
                out[name] = res
            elif re.match(r'^\[[0-9.]+\] 1\.\.[0-9]+$', line):
                ends += 1
    return out, dups, ends


def deviations(path):
    """Rows of the simple table under the 'Deliberate deviations' heading,
    or a string that says why there is no table."""
    try:
        lines = open(path).read().split('\n')
    except OSError as e:
        return 'cannot read it: %s' % e
    start = None
    for i, l in enumerate(lines[:-1]):
        if l.startswith('Deliberate deviations') and \
           re.match(r'^[=\-~^]{5,}$', lines[i + 1]):
            start = i + 2
            break
    if start is None:
        return 'no "Deliberate deviations" heading'
    border = re.compile(r'^\s*=+( +=+)+\s*$')
    borders = [i for i in range(start, len(lines)) if border.match(lines[i])]
    if len(borders) < 3:
        return 'no simple table under the heading'
    b = lines[borders[0]]
    cols = [m.start() for m in re.finditer(r'=+', b)]
    if len(cols) < 3:
        return 'the table has %d columns, not case, reference, ours' % len(cols)
    rows = {}
    for l in lines[borders[1] + 1:borders[2]]:
        if not l.strip() or not l[cols[0]:cols[1]].strip():
            continue            # blank, or a continuation of the reason
        cell = [l[cols[i]:(cols[i + 1] if i + 1 < len(cols) else None)]
                .strip().strip('`').strip() for i in range(len(cols))]
        rows[cell[0]] = (cell[1], cell[2])
    return rows


ref, ref_dups, ref_ends = cases(ref_log)
ours, ours_dups, ours_ends = cases(ours_log)
say(ref_ends >= 2 and len(ref) > 0,
    'reference run printed %d cases in %d stages' % (len(ref), ref_ends))
say(ours_ends >= 2 and len(ours) > 0,
    'ours run printed %d cases in %d stages' % (len(ours), ours_ends))
say(not ref_dups and not ours_dups,
    'every case name is unique (%s)' % (' '.join(ref_dups + ours_dups) or 'yes'))
notrun = [n for n, r in list(ref.items()) + list(ours.items())
          if r.startswith('NOTRUN')]
say(not notrun, 'every case ran on both kernels (%s)' %
    (' '.join(notrun) or 'yes'))

# The pinned list of case names: every run prints exactly these.
try:
    with open(pinfile) as f:
        pinned = [l.strip() for l in f
                  if l.strip() and not l.startswith('#')]
except OSError as e:
    pinned = None
    say(False, 'pinned case list %s: %s (make it from a clean run: '
        'conformance.sh pin OURS_LOG)' % (pinfile.split('/')[-1], e))
if pinned is not None:
    pinset = set(pinned)
    for who, got in (('reference', ref), ('ours', ours)):
        missing = [n for n in pinned if n not in got]
        extra = [n for n in got if n not in pinset]
        detail = ''
        if missing:
            detail += '; missing: ' + ' '.join(missing[:10]) + \
                (' ...' if len(missing) > 10 else '')
        if extra:
            detail += '; not pinned: ' + ' '.join(extra[:10]) + \
                (' ...' if len(extra) > 10 else '') + \
                ' (new cases: conformance.sh pin OURS_LOG)'
        say(not missing and not extra,
            '%s run printed the %d pinned cases (%d printed%s)' %
            (who, len(pinned), len(got), detail))

table = deviations(doc)
say(isinstance(table, dict),
    'deliberate-deviations table found in %s (%s)' %
    (doc.split('/')[-1], '%d rows' % len(table) if isinstance(table, dict)
     else table))
if not isinstance(table, dict):
    table = {}

same = 0
names = list(ref) + [n for n in ours if n not in ref]
for n in names:
    a, b = ref.get(n, '(missing)'), ours.get(n, '(missing)')
    if a == b:
        same += 1
        continue
    if n in table:
        up, us = table[n]
        say((up, us) == (a, b),
            'deliberate deviation %s: reference %s, ours %s%s' %
            (n, a, b, '' if (up, us) == (a, b) else
             ' (the table says reference %s, ours %s)' % (up, us)))
    else:
        say(False, 'undocumented difference %s: reference %s, ours %s' %
            (n, a, b))
for n in table:
    if ref.get(n, '(missing)') == ours.get(n, '(missing)'):
        say(False, 'stale row %s in the deviations table: both kernels give %s'
            % (n, ref.get(n, '(missing)')))
say(True, '%d cases compared, %d identical, %d differ' %
    (len(names), same, len(names) - same))
sys.exit(1 if fails else 0)
EOF
}

# pin LOG: the case names of a clean run of both stages, in order.
pin() {
	local log=$1 names
	names=$(sed -n 's/^\[[0-9.]*\] CASE \([^ ]*\).*/\1/p' "$log")
	[ "$(grep -c '^\[[0-9.]*\] 1\.\.[0-9]*$' "$log")" = 2 ] ||
		die "$log: not two stages of luo_conform"
	[ -n "$names" ] || die "$log: no CASE lines"
	! grep -q '^\[[0-9.]*\] CASE [^ ]* NOTRUN' "$log" || die "$log: cases that did not run"
	[ -z "$(sort <<<"$names" | uniq -d)" ] || die "$log: duplicate case names"
	{
		echo "# The cases of luo_conform, pinned: scripts/conformance.sh fails a run"
		echo "# that prints other cases. Remake with: conformance.sh pin OURS_LOG"
		echo "$names"
	} >"$CASES.tmp" && mv "$CASES.tmp" "$CASES"
	say "$CASES: $(wc -l <<<"$names") cases"
}

case ${1:-} in
compare)
	compare "${2:?ref log}" "${3:?ours log}"
	;;
pin)
	pin "${2:?ours log}"
	;;
*)
	die "usage: conformance.sh compare REF_LOG OURS_LOG | pin OURS_LOG"
	;;
esac
