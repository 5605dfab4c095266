#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The debug lane's one boot (KASAN, lockdep, KCOV, gcov): the selftest
# suite, then the race fuzzer for a fixed set of seeds (FUZZ_SECONDS
# split between them), then the line coverage of kipc.ko that the suite
# and the fuzzer reached together.  Any failed test, kernel report, hang
# or unexpected errno fails it, and so does a missing coverage report; a
# coverage below the goal is only reported.
#
#   fuzz.sh BUILD [SECONDS] [SEED...]
#
# FUZZ_SUITE=0 skips the suite (the fuzzer's coverage alone).
# Results: BUILD/results/fuzz.txt (the fuzzer's summary lines) and
# BUILD/results/coverage.txt (gcov per function, unexecuted lines).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:?usage: fuzz.sh BUILD [SECONDS] [SEED...]}")
secs=${2:-120}
shift $(( $# >= 2 ? 2 : 1 ))
[ $# -gt 0 ] || set -- 0x72616365 0x6b697063
suite=${FUZZ_SUITE:-1}

# The module the lane boots, with gcov line counters (KIPC_GCOV=y): its
# .gcno files stay beside the objects in $out.  Each KCOV-instrumented
# basic block calls __sanitizer_cov_trace_pc once; the fuzzer reports
# the share of those sites it reached.
kdir=$("$top/tools/vm/kernels.sh" kdir debug "$build")
out=$build/kmod-debug-gcov
rm -rf "$out"
make -s -C "$top/kmod" KDIR="$kdir" OUT="$out" KIPC_WERROR=1 KIPC_GCOV=y \
	> "$build/kmod-debug-gcov.log" 2>&1 || {
	tail -40 "$build/kmod-debug-gcov.log"
	echo "[fuzz] module build FAILED"
	exit 1
}
ls "$out"/*.gcno > /dev/null 2>&1 || { echo "[fuzz] no .gcno in $out"; exit 1; }
sites=$(objdump -dr "$out/kipc.ko" | grep -c '__sanitizer_cov_trace_pc' || true)

per=$(( secs / $# ))
[ "$per" -ge 10 ] || per=10

# The guest script.  The gcov counters are read while the module is
# still loaded: /sys/kernel/debug/gcov mirrors each object's .gcda at
# the absolute path it was built at.  debugfs reports a size of 0 for
# them, so they are copied with cat before tar; the archive crosses the
# console as base64 between two marker lines.
cmd="rc=0"
if [ "$suite" = 1 ]; then
	cmd="$cmd
tests=\$(ls /kipc/tests | grep '_test\$' | grep -v '^race_fuzz_test\$')
$("$top/scripts/vm-lane.sh" --env debug) /kipc/run-selftests.sh \$tests || rc=1"
fi
for s in "$@"; do
	cmd="$cmd
env KIPC_TIMEOUT_SCALE=4 KIPC_FUZZ_SEED=$s KIPC_FUZZ_SECONDS=$per KIPC_FUZZ_KCOV_SITES=$sites /kipc/run-selftests.sh race_fuzz_test || rc=1"
done
cmd="$cmd
mkdir -p /tmp/gcov
cd /sys/kernel/debug/gcov && for f in \$(find . -name '*.gcda'); do
	mkdir -p /tmp/gcov/\${f%/*} && cat \$f > /tmp/gcov/\$f
done
cd /tmp/gcov
echo KIPC-GCOV-BEGIN
tar -czf - . | base64
echo KIPC-GCOV-END
exit \$rc"

mkdir -p "$build/results"
rm -f "$build/results/fuzz.txt" "$build/results/coverage.txt"
rc=0
KIPC_KMOD=$out/kipc.ko "$top/scripts/vm-lane.sh" debug "$build" "$cmd" || rc=$?
log=$build/vm/debug.log
grep -a 'race_fuzz_test.c.*\(seed\|programs\|kcov\)' "$log" |
	sed 's/^.*fuzz:/race fuzz: /' | tee "$build/results/fuzz.txt"
echo "[fuzz] $# seeds x ${per} s, $sites KCOV sites in kipc.ko (vm exit $rc)"

# Coverage: the guest's .gcda beside the .gcno, then gcov on the module's
# own sources (kmod/*.c and *.h; inline code of kernel headers is not
# counted).
cov_ok=0
gdir=$build/vm/gcov
rm -rf "$gdir"
mkdir -p "$gdir"
if sed -n '/^KIPC-GCOV-BEGIN$/,/^KIPC-GCOV-END$/p' "$log" |
	grep -aE '^[A-Za-z0-9+/=]+$' | base64 -d | tar -xzf - -C "$gdir" 2> /dev/null; then
	find "$gdir" -name '*.gcda' -path "*${out}/*" -exec cp {} "$out/" \;
	if ls "$out"/*.gcda > /dev/null 2>&1; then
		srcs=$(cd "$out" && ls ./*.gcno | sed 's/\.gcno$/.c/' | grep -v '\.mod\.c$')
		(cd "$out" && rm -f ./*.gcov && gcov -f $srcs > gcov-summary.txt 2>&1) && cov_ok=1
	fi
fi
if [ $cov_ok = 1 ]; then
	hits=0 total=0
	for g in "$out"/*.gcov; do
		src=$(basename "$g" .gcov)
		[ -f "$top/kmod/$src" ] || { rm -f "$g"; continue; }
		set -- $(awk -F: '$1 ~ /[0-9]\*?$/ { h++ } $1 ~ /#####|=====/ { m++ }
			END { print h + 0, h + m }' "$g")
		hits=$((hits + $1)) total=$((total + $2))
	done
	[ "$total" -gt 0 ] || cov_ok=0
fi
if [ $cov_ok = 1 ]; then
	pct=$(awk -v h=$hits -v t=$total 'BEGIN { printf "%.1f", 100 * h / t }')
	line="kipc coverage: ${pct}% of lines ($hits/$total) in kipc.ko, "
	if [ "$suite" = 1 ]; then line="${line}suite + race fuzzer"; else line="${line}race fuzzer"; fi
	{
		echo "$line"
		echo
		echo "== functions by share of lines run (gcov -f; with the kernel's inline helpers)"
		grep -A1 "^Function '" "$out/gcov-summary.txt" | grep -v '^--$' | paste - - |
			grep -v 'No executable lines' |
			sed "s/^Function '\([^']*\)'[[:space:]]*Lines executed:/\1: /" | sort -t: -k2 -n
		echo
		echo "== files"
		grep -A1 "^File '" "$out/gcov-summary.txt" | grep -v '^--$' | paste - - |
			sed "s/^File '\([^']*\)'[[:space:]]*Lines executed:/\1: /" | grep -F "$out/"
		echo
		echo "== lines never executed (#####)"
		for g in "$out"/*.gcov; do
			awk -F: -v f="$(basename "$g" .gcov)" '$1 ~ /#####|=====/ {
				sub(/^ */, "", $2); l = $0; sub(/^[^:]*:[^:]*:/, "", l)
				print f ":" $2 ":" l }' "$g"
		done
	} > "$build/results/coverage.txt"
	echo "$line"
	echo "[fuzz] coverage report: $build/results/coverage.txt"
else
	echo "[fuzz] coverage report MISSING (no gcov data from the VM)"
	rc=1
fi

# One total for make check: the suite's and every seed's, plus one
# failure for a VM that failed without a failing test (kernel report,
# rmmod, missing coverage).
awk '/^kipc-selftests: / {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); n[kv[1]] += kv[2] }
	}
	END { printf "%d %d %d\n", n["pass"], n["fail"], n["skip"] }' "$log" > "$build/vm/fuzz.tot"
read -r p f s < "$build/vm/fuzz.tot"
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
echo "kipc-selftests: pass=$p fail=$f skip=$s"
exit $rc
