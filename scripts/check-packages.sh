#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make check gate: the Debian packages.  Builds them (make deb, lintian
# included), installs them on this host with apt-get, then checks what a
# user gets: the headers, the man pages, libkipc.pc, an example program
# compiled with "pkg-config --cflags --libs libkipc" (and once linked
# statically with --static) that runs (on the shm backend when the module
# is not loaded), the tools, and the DKMS registration.  Finally it purges
# the packages and checks that nothing is left: none of the files they
# listed, no /usr/src/kipc-*, nothing in DKMS, no kipc.ko under
# /lib/modules.  The packages are purged whatever happens.
#
# Installing kipc-dkms makes DKMS build the module for the kernels that
# have headers installed; kernels without headers are skipped with a line.
#
#   check-packages.sh        (root, or sudo; the kipc packages must not be installed)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${BUILD:-$top/build}")
ver=$(sed -n 's/^VERSION := *//p' "$top/Makefile")
debs=$build/deb
work=$build/pkgtest
pkgs=(kipc-dkms libkipc1 libkipc-dev kipc-tools)
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

fail() {
	echo "check-packages: $*"
	exit 1
}

installed() {	# the kipc packages dpkg knows in any state
	dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${pkgs[@]}" 2>/dev/null |
		awk '$2 != "un" && $2 != "pn" { print $1 }' || true
}

[ -z "$(installed)" ] || fail "already installed: $(installed | tr '\n' ' ')"
make -s -C "$top" BUILD="$build" deb
rm -rf "$work"
mkdir -p "$work"

# DKMS makes its signing key on first use, and its depmod writes module
# indexes for kernels that had none (headers without the image): what
# this test made that way goes again.
mok_made=
[ -e /var/lib/dkms/mok.key ] || mok_made=1
find /lib/modules -mindepth 1 -maxdepth 2 | sort > "$work/modules.before"

purge() {
	local k
	[ -n "$(installed)" ] && $SUDO apt-get purge -y -q "${pkgs[@]}" > "$work/purge.log" 2>&1
	[ -n "$mok_made" ] && $SUDO rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
	for k in /lib/modules/*; do
		grep -qx "$k/modules.dep" "$work/modules.before" || $SUDO rm -f "$k"/modules.*
	done
	return 0
}
trap purge EXIT

echo "check-packages: installing ${pkgs[*]}"
(cd "$debs" && $SUDO apt-get install -y -q --no-install-recommends \
	./kipc-dkms_"$ver"_all.deb ./libkipc1_"$ver"_*.deb \
	./libkipc-dev_"$ver"_*.deb ./kipc-tools_"$ver"_*.deb) > "$work/install.log" 2>&1 || {
	tail -30 "$work/install.log"
	fail "apt-get install failed (log: $work/install.log)"
}
grep -E '^(Building for|Building initial|Module build for|Done\.|Skipped)' "$work/install.log" || true
for p in "${pkgs[@]}"; do
	dpkg-query -L "$p" > "$work/$p.list"
done

for f in /usr/include/kipc.h /usr/include/linux/kipc.h "/usr/src/kipc-$ver/dkms.conf" \
	/usr/share/doc/kipc-dkms/examples/modprobe.d/kipc.conf; do
	[ -f "$f" ] || fail "$f missing"
done
for m in kipc.7 kipc_send.3 kipc_open.3 kipcctl.8 kipc-bench.1; do
	man -w "${m%.*}" >/dev/null 2>&1 || fail "no man page $m"
done
[ "$(pkg-config --modversion libkipc)" = "$ver" ] || fail "pkg-config libkipc is not $ver"
grep -q "^kipc/$ver" <<<"$(dkms status -m kipc -v "$ver")" || fail "kipc $ver not in dkms status"

ex=/usr/share/doc/libkipc-dev/examples/producer_consumer.c
# shellcheck disable=SC2046 # pkg-config prints several words
cc -Wall -Werror -o "$work/pc" "$ex" $(pkg-config --cflags --libs libkipc) ||
	fail "cannot build $ex with pkg-config"
# shellcheck disable=SC2046
cc -Wall -Werror -static -o "$work/pc-static" "$ex" $(pkg-config --static --cflags --libs libkipc) ||
	fail "cannot link $ex statically with pkg-config --static"
for prog in "$work/pc" "$work/pc-static"; do
	out=$("$prog" 1000) || fail "$prog failed: $out"
	echo "check-packages: $(basename "$prog"): $(echo "$out" | tr '\n' ' ')"
done
grep -qE "libkipc.so.1 => (/usr)?/lib/" <<<"$(ldd "$work/pc")" || fail "pc does not use the installed libkipc"
kipcctl info > "$work/kipcctl.out" || fail "kipcctl info failed"
grep -q "^libkipc: *${ver%.*}" "$work/kipcctl.out" || fail "kipcctl info: $(cat "$work/kipcctl.out")"
kipc-bench --help > /dev/null 2>&1 || fail "kipc-bench --help failed"

echo "check-packages: purging"
trap - EXIT
purge
[ -z "$(installed)" ] || fail "still known to dpkg: $(installed | tr '\n' ' ')"
left=$(cat "$work"/*.list | while read -r f; do
	[ -e "$f" ] || [ -L "$f" ] || continue
	[ -d "$f" ] && [ ! -L "$f" ] && continue	# shared directories stay
	echo "$f"
done)
[ -z "$left" ] || fail "left behind: $left"
[ -z "$(ls -d /usr/src/kipc-* /var/lib/dkms/kipc 2>/dev/null)" ] || fail "DKMS sources left behind"
[ -z "$(dkms status -m kipc 2>/dev/null)" ] || fail "dkms still knows kipc: $(dkms status -m kipc)"
[ -z "$(find /lib/modules -name 'kipc.ko*' 2>/dev/null)" ] || fail "kipc.ko left in /lib/modules"
find /lib/modules -mindepth 1 -maxdepth 2 | sort > "$work/modules.after"
left=$(comm -13 "$work/modules.before" "$work/modules.after")
[ -z "$left" ] || fail "left in /lib/modules: $left"
echo "check-packages: installed, used and purged cleanly"
