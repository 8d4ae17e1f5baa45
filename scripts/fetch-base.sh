#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Download Debian's linux-source-$KBASE with a private apt state and extract it
# once into .cache/src. Never touches the machine's apt configuration.
. "$(dirname "$0")/lib.sh"

case $KBASE in
7.2) suites="sid forky trixie-backports"; pin=7.2.13-1 ;;
7.3) suites="trixie-backports experimental sid"; pin=7.3.4-1~bpo13+1 ;;
*) die "KBASE=$KBASE is not supported (use 7.2 or 7.3)" ;;
esac
pkg=linux-source-$KBASE

# .extracted holds the name of the package the tree came from (base_id in
# lib.sh; build-kernel.sh starts our builds again when it changes). A tree
# extracted before it did gets the name of the one package downloaded.
if [ -f "$SRC_DIR/.extracted" ]; then
	if [ ! -s "$SRC_DIR/.extracted" ] && [ "$(ls "$CACHE"/dl/${pkg}_*.deb 2>/dev/null | wc -l)" = 1 ]; then
		basename "$CACHE"/dl/${pkg}_*.deb >"$SRC_DIR/.extracted"
	fi
	exit 0
fi

APT=$CACHE/apt
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$CACHE/dl" "$CACHE/src"
: >"$APT/sources.list"
for s in $suites; do
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $s main" >>"$APT/sources.list"
done
aptopts=(-o Dir::Etc::SourceList="$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null
	 -o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache"
	 -o Debug::NoLocking=1 -o APT::Sandbox::User=root)

deb=$(ls "$CACHE"/dl/${pkg}_*.deb 2>/dev/null | head -n1 || true)
if [ -z "$deb" ]; then
	say "fetching the package lists for: $suites (private apt state in $APT)"
	apt-get "${aptopts[@]}" -qq update || die "apt-get update failed for suites: $suites"
	cd "$CACHE/dl"
	say "downloading $pkg=$pin"
	if ! apt-get "${aptopts[@]}" -qq download "$pkg=$pin" 2>/dev/null; then
		say "$pkg=$pin is not available; trying any version of $pkg"
		apt-get "${aptopts[@]}" -qq download "$pkg" ||
			die "no $pkg in suites: $suites (tried $pin, then any version)"
	fi
	deb=$(ls "$CACHE"/dl/${pkg}_*.deb | head -n1)
fi

say "extracting $(basename "$deb")"
rm -rf "$SRC_DIR.tmp"
mkdir -p "$SRC_DIR.tmp"
dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards '*/linux-source-*.tar.xz' |
	tar -xJ -C "$SRC_DIR.tmp" --strip-components=1
rm -rf "$SRC_DIR"
mv "$SRC_DIR.tmp" "$SRC_DIR"
basename "$deb" >"$SRC_DIR/.extracted"
say "base tree ready: $SRC_DIR"
