#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the harness needs, if any is missing.
. "$(dirname "$0")/lib.sh"

need=(gcc make bc flex bison libelf-dev libssl-dev rsync cpio xz-utils lz4
      ccache qemu-system-x86 busybox-static kexec-tools python3 perl
      dpkg-dev gnuplot-nox python3-sphinx binutils zstd)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
# busybox-static and busybox conflict: installing the static one (which
# the guest needs, it runs without libraries) removes the other. Say so.
note=
if [[ " ${missing[*]} " = *" busybox-static "* ]] &&
   dpkg-query -W -f='${Status}' busybox 2>/dev/null | grep -q 'install ok installed'; then
	note="busybox-static replaces the installed package busybox (they conflict; /bin/busybox stays, statically linked)"
fi
[ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (run as root, or install them)${note:+; note: $note}"
say "installing: ${missing[*]}"
[ -z "$note" ] || say "note: $note"
apt-get -qq update
# Anything else apt would remove is named too, never removed silently.
removed=$(apt-get -s install --no-install-recommends "${missing[@]}" 2>/dev/null | sed -n 's/^Remv \([^ ]*\).*/\1/p' | tr '\n' ' ')
[ -z "$removed" ] || say "apt-get will remove: $removed"
DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends "${missing[@]}" >/dev/null
