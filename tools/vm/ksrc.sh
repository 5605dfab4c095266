#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Unpack the few files kipc uses from Debian's linux-source-SERIES package
# (kselftest_harness.h, kselftest.h, checkpatch.pl and its data files)
# into OUTDIR.  They are used at build time only, never committed.
#
#   ksrc.sh OUTDIR [SERIES]     SERIES: 6.1 (default) or 6.12
set -euo pipefail
out=${1:?usage: ksrc.sh OUTDIR [SERIES]}
series=${2:-6.1}
tarball=$(ls /usr/src/linux-source-"$series".tar.xz 2>/dev/null || true)
[ -n "$tarball" ] || { echo "ksrc.sh: linux-source-$series is not installed (make deps)" >&2; exit 1; }
top=linux-source-$series
mkdir -p "$out"
tar -xJf "$tarball" -C "$out" --strip-components=1 \
	$top/tools/testing/selftests/kselftest_harness.h \
	$top/tools/testing/selftests/kselftest.h \
	$top/scripts/checkpatch.pl \
	$top/scripts/spelling.txt \
	$top/scripts/const_structs.checkpatch
echo "ksrc.sh: unpacked $series harness and checkpatch into $out"
