#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Install every Debian package kipc's build, tests, demo and benchmarks
# need.  Idempotent: does nothing when all are present.  Linux 6.12 comes
# from Debian 12's security suite (bookworm-security), which a default
# Debian 12 installation has in its sources.
set -euo pipefail
pkgs=(
	build-essential make gcc sparse bc bison flex libelf-dev libssl-dev
	dwarves cpio xz-utils kmod perl python3 gzip
	linux-headers-cloud-amd64 linux-headers-rt-amd64 linux-source-6.1
	linux-headers-6.12-cloud-amd64 linux-headers-6.12-rt-amd64 linux-source-6.12
	qemu-system-x86 busybox-static liburing-dev
	dkms dh-dkms debhelper dpkg-dev fakeroot lintian pkg-config man-db
	linux-headers-6.12-cloud-amd64
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all packages present"
	exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
