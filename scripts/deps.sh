#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the harness needs, if any is missing.
. "$(dirname "$0")/lib.sh"

need=(gcc make bc flex bison libelf-dev libssl-dev rsync cpio xz-utils
      ccache qemu-system-x86 busybox-static kexec-tools python3 perl
      dpkg-dev gnuplot-nox python3-sphinx)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (run as root, or install them)"
say "installing: ${missing[*]}"
apt-get -qq update
DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends "${missing[@]}" >/dev/null
