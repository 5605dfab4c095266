#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The kernels of the test bed: three flavours on two series.
#
#   kernels.sh kdir  LANE [BUILD]   headers/build tree to build kipc.ko against
#   kernels.sh image LANE BUILD     a bootable bzImage (fetched or built)
#   kernels.sh krel  LANE           the kernel release string
#   kernels.sh ksrc  LANE           the series' linux-source tarball
#
# LANE is FLAVOUR or FLAVOUR-SERIES; the series is 6.1 (Debian 12) unless
# named, so stock, rt and debug are the 6.1 lanes:
#
# stock[-S]: Debian linux-image-S*-cloud-amd64 (+ linux-headers-S*-cloud-amd64)
# rt[-S]:    Debian linux-image-S*-rt-amd64    (+ linux-headers-S*-rt-amd64)
# debug[-S]: Debian linux-source-S built with tools/vm/debug.config, in
#            BUILD/kernel-debug (6.1) or BUILD/kernel-debug-S
#
# Each lane is pinned to its series: installing newer headers never moves
# a lane to another kernel.  Images are taken out of the .deb with
# dpkg-deb, so nothing is installed in /boot and no initramfs is generated
# on the host.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
what=${1:?usage: kernels.sh kdir|image|krel|ksrc LANE [BUILD]}
lane=${2:?lane: stock, rt or debug, optionally -6.12}
build=$(realpath -m "${3:-$here/../../build}")

flv=${lane%%-*}
series=6.1
[ "$flv" = "$lane" ] || series=${lane#*-}
case "$flv" in
stock | rt | debug) ;;
*) echo "kernels.sh: unknown lane $lane" >&2; exit 2 ;;
esac
case "$series" in
6.1 | 6.12) ;;
*) echo "kernels.sh: unknown series in lane $lane (6.1 or 6.12)" >&2; exit 2 ;;
esac
debugdir=$build/kernel-debug
[ "$series" = 6.1 ] || debugdir=$build/kernel-debug-$series
tarball=/usr/src/linux-source-$series.tar.xz

flavour() {
	case "$flv" in
	stock) echo cloud-amd64 ;;
	*) echo "$flv"-amd64 ;;
	esac
}

# The newest installed headers of the lane's series and flavour
# ("6.1." does not match 6.12.x).
krel() {
	local fl d
	fl=$(flavour)
	d=$(ls -d /usr/src/linux-headers-"$series".*-"$fl" 2>/dev/null | sort -V | tail -1)
	[ -n "$d" ] || { echo "kernels.sh: no linux-headers-$series.*-$fl (make deps)" >&2; exit 1; }
	basename "$d" | sed 's/^linux-headers-//'
}

case "$what:$flv" in
ksrc:*)
	echo "$tarball" ;;
kdir:debug)
	echo "$debugdir/obj" ;;
kdir:*)
	echo "/usr/src/linux-headers-$(krel)" ;;
krel:debug)
	cat "$debugdir/obj/include/config/kernel.release" ;;
krel:*)
	krel ;;
image:debug)
	LINUX_TARBALL=$tarball "$here/build-debug-kernel.sh" "$debugdir" >&2
	echo "$debugdir/obj/arch/x86/boot/bzImage" ;;
image:*)
	r=$(krel)
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
