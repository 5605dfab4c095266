#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The three kernels of the test bed.
#
#   kernels.sh kdir  LANE [BUILD]   headers/build tree to build kipc.ko against
#   kernels.sh image LANE BUILD     a bootable bzImage (fetched or built)
#   kernels.sh krel  LANE           the kernel release string
#
# stock: Debian linux-image-cloud-amd64 (+ linux-headers-cloud-amd64)
# rt:    Debian linux-image-rt-amd64    (+ linux-headers-rt-amd64)
# debug: Debian linux-source-6.1 built with tools/vm/debug.config
#
# Images are taken out of the .deb with dpkg-deb, so nothing is installed
# in /boot and no initramfs is generated on the host.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
what=${1:?usage: kernels.sh kdir|image|krel LANE [BUILD]}
lane=${2:?lane: stock, debug or rt}
build=$(realpath -m "${3:-$here/../../build}")

flavour() {
	case "$1" in
	stock) echo cloud-amd64 ;;
	rt) echo rt-amd64 ;;
	*) echo "kernels.sh: unknown lane $1" >&2; exit 2 ;;
	esac
}

krel() {
	local fl d
	fl=$(flavour "$1")
	d=$(ls -d /usr/src/linux-headers-*-"$fl" 2>/dev/null | sort -V | tail -1)
	[ -n "$d" ] || { echo "kernels.sh: no linux-headers-*-$fl (make deps)" >&2; exit 1; }
	basename "$d" | sed 's/^linux-headers-//'
}

case "$what:$lane" in
kdir:debug)
	echo "$build/kernel-debug/obj" ;;
kdir:*)
	echo "/usr/src/linux-headers-$(krel "$lane")" ;;
krel:debug)
	cat "$build/kernel-debug/obj/include/config/kernel.release" ;;
krel:*)
	krel "$lane" ;;
image:debug)
	"$here/build-debug-kernel.sh" "$build/kernel-debug" >&2
	echo "$build/kernel-debug/obj/arch/x86/boot/bzImage" ;;
image:*)
	r=$(krel "$lane")
	dir=$build/kernels/$r
	img=$dir/boot/vmlinuz-$r
	if [ ! -s "$img" ]; then
		mkdir -p "$dir"
		(cd "$build/kernels" && apt-get download -q "linux-image-$r" >&2 2>/dev/null ||
			apt-get download -q "linux-image-$r-unsigned" >&2)
		deb=$( (ls "$build"/kernels/linux-image-"$r"_*.deb "$build"/kernels/linux-image-"$r"-unsigned_*.deb 2>/dev/null || true) | head -1)
		[ -n "$deb" ] || { echo "kernels.sh: cannot download linux-image-$r" >&2; exit 1; }
		dpkg-deb -x "$deb" "$dir"
		rm -rf "$dir/lib/modules"
	fi
	echo "$img" ;;
*)
	echo "kernels.sh: bad request $what $lane" >&2; exit 2 ;;
esac
