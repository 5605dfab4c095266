#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make check gate: DKMS builds kipc.ko from the tree that make dkms-source
# installs, for the newest Debian 6.1 and 6.12 cloud headers, in a
# private DKMS tree (BUILD/dkms): nothing on the host changes, not even
# DKMS's signing key.  Each module is checked (version, vermagic,
# signature) and left, uncompressed, at BUILD/dkms/MAJOR.MINOR/kipc.ko,
# where a VM lane can boot it (scripts/vm-lane.sh, KIPC_KMOD=).
#
#   check-dkms.sh [HEADERS_DIR...]    default: /usr/src/linux-headers-{6.1,6.12}.*-cloud-amd64
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${BUILD:-$top/build}")
ver=$(sed -n 's/^VERSION := *//p' "$top/Makefile")
d=$build/dkms

if [ $# -eq 0 ]; then
	for series in 6.1 6.12; do
		h=$(ls -d /usr/src/linux-headers-"$series".*-cloud-amd64 2>/dev/null | sort -V | tail -1)
		[ -n "$h" ] || { echo "check-dkms: no linux-headers-$series.*-cloud-amd64 (make deps)"; exit 1; }
		set -- "$@" "$h"
	done
fi

rm -rf "$d"
mkdir -p "$d/tree" "$d/src"
make -s -C "$top" DESTDIR="$d/src" DKMSDIR="/kipc-$ver" dkms-source
dk=(dkms --dkmstree "$d/tree" --sourcetree "$d/src" -m kipc -v "$ver")
# DKMS signs what it builds; with a key of its own here, not the host's.
export mok_signing_key=$d/mok.key mok_certificate=$d/mok.der
"${dk[@]}" add >/dev/null

rc=0
for h in "$@"; do
	krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$h/include/generated/utsrelease.h")
	series=$(echo "$krel" | cut -d. -f1-2)
	if ! "${dk[@]}" build -k "$krel" --kernelsourcedir "$h" > "$d/build-$krel.log" 2>&1; then
		tail -5 "$d/build-$krel.log"
		grep -m10 -E 'error|warning' "$d/tree/kipc/$ver/build/make.log" || true
		echo "check-dkms: dkms build for $krel FAILED"
		rc=1
		continue
	fi
	# DKMS compresses the module as the kernel's own modules are.
	ko=$(ls "$d/tree/kipc/$ver/$krel"/*/module/kipc.ko* 2>/dev/null | head -1)
	[ -n "$ko" ] || { echo "check-dkms: $krel: no kipc.ko in the DKMS tree"; rc=1; continue; }
	info=$(modinfo "$ko")
	grep -q "^version: *$ver\$" <<<"$info" || { echo "check-dkms: $krel: no version $ver"; rc=1; }
	grep -q "^vermagic: *$krel " <<<"$info" || { echo "check-dkms: $krel: wrong vermagic"; rc=1; }
	grep -q '^signer: *DKMS module signing key' <<<"$info" || { echo "check-dkms: $krel: not signed"; rc=1; }
	mkdir -p "$d/$series"
	case "$ko" in
	*.xz) xz -dc "$ko" ;;
	*.zst) zstd -dc "$ko" ;;
	*.gz) gzip -dc "$ko" ;;
	*) cat "$ko" ;;
	esac > "$d/$series/kipc.ko"
	echo "check-dkms: $krel: built, $d/$series/kipc.ko"
done
exit $rc
