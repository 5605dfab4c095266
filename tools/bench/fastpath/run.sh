#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# Instructions per 64 B message (send + receive), by callgrind: the
# difference between 1200 and 200 rounds of 32 messages, so start-up
# costs cancel.  Needs `make userspace` first and valgrind.
# Usage: tools/bench/fastpath/run.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/../../.."
build=${1:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -g -Iinclude -Iinclude/uapi -Itools/bench -o "$out/fastpath" \
	tools/bench/fastpath/fastpath.c "$build"/obj/tools/bench/*.o \
	"$build/lib/libkipc.a" -lrt -lm -lpthread
ir() {
	valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
		"$out/fastpath" "$1" "$2" 2>&1 |
		sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
for m in shm-futex kipc-shm shm-futex-batch kipc-shm-batch; do
	a=$(ir "$m" 200)
	b=$(ir "$m" 1200)
	echo "$m $(( (b - a) * 10 / 32000 ))" |
		awk '{ printf "%-16s %5.1f instructions/message\n", $1, $2 / 10 }'
done
