#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Build the Debian packages (kipc-dkms, libkipc1, libkipc-dev, kipc-tools)
# with dpkg-buildpackage -us -uc -b, from a copy of the tree so that the
# source tree stays clean, then run lintian on them.
#
#   build-deb.sh OUTDIR      the .deb, .buildinfo and .changes files land here
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:?usage: build-deb.sh OUTDIR}")
ver=$(sed -n 's/^VERSION := *//p' "$top/Makefile")
work=$out/src
src=$work/kipc-$ver

rm -rf "$out"
mkdir -p "$src"
# The files of the tree (tracked or new, not ignored): no build output.
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$top" && git ls-files -co --exclude-standard -z |
		xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' |
		cpio -0 -pdm --quiet "$src")
else
	tar -C "$top" --exclude=./build -cf - . | tar -C "$src" -xf -
fi

(cd "$src" && dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1 || {
	tail -40 "$out/build.log"
	echo "build-deb: dpkg-buildpackage failed (log: $out/build.log)"
	exit 1
}
mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out/"
rm -rf "$work"

# Every tag is an error except the overrides in debian/*.lintian-overrides,
# each documented there.
lintian --fail-on error,warning,info --info "$out"/*.changes
ls "$out"/*.deb
