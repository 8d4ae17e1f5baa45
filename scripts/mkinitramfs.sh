#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mkinitramfs.sh OUT BINDIR [NAME=BZIMAGE ...] [--extra DIR]
# Build the guest initramfs: static busybox, kexec-tools with its shared
# libraries, our static test programs from BINDIR, the kernels to kexec into
# (installed as /boot/NAME.bzImage), and the init script.
# OUT goes first: a run that fails leaves none, never the last run's, whose
# programs and kernels every guest would then run. It is written to a
# temporary file, renamed once complete.
. "$(dirname "$0")/lib.sh"

out=${1:?out}; bindir=${2:?bindir}; shift 2
rm -f "$out"
mkdir -p "$CACHE"
stage=$(mktemp -d "$CACHE/initramfs.XXXXXX")
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -rf "$stage" "$tmp"' EXIT

mkdir -p "$stage"/{bin,sbin,proc,sys,dev,tmp,boot,luo/bin,lib,lib64,etc}
cp /bin/busybox "$stage/bin/busybox"
# kexec-tools installs /usr/sbin/kexec, which is not on a normal user's PATH.
kexec=$(PATH=$PATH:/usr/sbin:/sbin command -v kexec) ||
	die "kexec not found (package kexec-tools; looked in PATH, /usr/sbin, /sbin)"
cp "$kexec" "$stage/sbin/kexec"
ldd "$kexec" | awk '/=>/ {print $3} /ld-linux/ {print $1}' | while read -r lib; do
	[ -f "$lib" ] || continue
	mkdir -p "$stage$(dirname "$lib")"
	cp -L "$lib" "$stage$lib"
done
install -m 0755 "$ROOT/scripts/guest/init" "$stage/init"
if [ -d "$bindir" ]; then
	cp -a "$bindir"/. "$stage/luo/bin/"
	[ -f "$bindir/selftests" ] && mv "$stage/luo/bin/selftests" "$stage/luo/selftests"
fi
for kv in "$@"; do
	case $kv in
	*=*) cp "${kv#*=}" "$stage/boot/${kv%%=*}.bzImage" ;;
	*) cp -a "$kv"/. "$stage/" ;;
	esac
done
# busybox's applet links, made here rather than by every boot's init, and
# last: a file copied in above is never replaced, nor written through one.
mkdir -p "$stage/usr/bin" "$stage/usr/sbin"
/bin/busybox --list-full | while read -r a; do
	[ -e "$stage/$a" ] || [ -L "$stage/$a" ] || ln -s /bin/busybox "$stage/$a"
done
[ -L "$stage/bin/sh" ] || die "busybox --list-full made no /bin/sh"
(cd "$stage" && find . | cpio -o -H newc --quiet) >"$tmp"
chmod 0644 "$tmp"
mv "$tmp" "$out"
