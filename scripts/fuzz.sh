#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The race fuzzer on the debug lane (KASAN, lockdep, KCOV): a fixed set
# of seeds, FUZZ_SECONDS of fuzzing split between them, then the share of
# the module's KCOV sites the fuzzer reached.  Any kernel report, hang or
# unexpected errno fails it.
#
#   fuzz.sh BUILD [SECONDS] [SEED...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:?usage: fuzz.sh BUILD [SECONDS] [SEED...]}")
secs=${2:-120}
shift $(( $# >= 2 ? 2 : 1 ))
[ $# -gt 0 ] || set -- 0x72616365 0x6b697063

# The module the lane boots, built first so its KCOV sites can be counted:
# each instrumented basic block calls __sanitizer_cov_trace_pc once.
kdir=$("$top/tools/vm/kernels.sh" kdir debug "$build")
make -s -C "$top/kmod" KDIR="$kdir" OUT="$build/kmod-debug" > "$build/kmod-debug.log" 2>&1 || {
	tail -40 "$build/kmod-debug.log"
	exit 1
}
sites=$(objdump -dr "$build/kmod-debug/kipc.ko" | grep -c '__sanitizer_cov_trace_pc' || true)

per=$(( secs / $# ))
[ "$per" -ge 10 ] || per=10
cmd="rc=0"
for s in "$@"; do
	cmd="$cmd; env KIPC_TIMEOUT_SCALE=4 KIPC_FUZZ_SEED=$s KIPC_FUZZ_SECONDS=$per"
	cmd="$cmd KIPC_FUZZ_KCOV_SITES=$sites /kipc/run-selftests.sh race_fuzz_test || rc=1"
done
cmd="$cmd; exit \$rc"

mkdir -p "$build/results"
rc=0
"$top/scripts/vm-lane.sh" debug "$build" sh -c "$cmd" || rc=$?
grep -a 'race_fuzz_test.c.*\(seed\|programs\|kcov\)' "$build/vm/debug.log" |
	sed 's/^.*fuzz:/race fuzz: /' | tee "$build/results/fuzz.txt"
echo "[fuzz] $# seeds x ${per} s, $sites KCOV sites in kipc.ko (vm exit $rc)"
exit $rc
