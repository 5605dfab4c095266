#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Run every kipc selftest binary in a directory (default: the one this
# script sits in, or /kipc/tests in the VM), print KTAP, check dmesg for
# kernel reports after each test, and finish with one line:
#   kipc-selftests: pass=N fail=N skip=N
# followed by "N passed, N failed, N skipped".
#
#   run_selftests.sh [-d DIR] [-t SECONDS] [TEST...]

dir=
tmo=${KIPC_TEST_TIMEOUT:-$((1200 * ${KIPC_TIMEOUT_SCALE:-1}))}
while [ $# -gt 0 ]; do
	case "$1" in
	-d) dir=$2; shift 2 ;;
	-t) tmo=$2; shift 2 ;;
	*) break ;;
	esac
done
if [ -z "$dir" ]; then
	if [ -d /kipc/tests ]; then dir=/kipc/tests; else dir=$(dirname "$0"); fi
fi
if [ $# -gt 0 ]; then
	tests="$*"
else
	tests=$(cd "$dir" && ls | grep -E '_test$' | sort)
fi

pattern='BUG:|WARNING:|KASAN|UBSAN|Oops|circular locking|recursive locking|inconsistent lock state|suspicious RCU|general protection fault'
have_dmesg=0
dmesg >/dev/null 2>&1 && have_dmesg=1

# Run test binary $1 into file $2 as the leader of its own session, so
# that the timeout reaches every process it forked (the harness runs each
# test in a child; a fork of a fork must not outlive its binary and skew
# the next test).  TERM at the timeout, KILL 10 s later; and when the
# binary ends, whatever of its process group is left is killed.
run_one() {
	setsid "$1" > "$2" 2>&1 &
	pid=$!
	setsid sh -c "sleep $tmo; kill -TERM -$pid; sleep 10; kill -KILL -$pid" \
		> /dev/null 2>&1 &
	timer=$!
	wait "$pid"
	rc=$?
	kill -KILL -"$timer" 2> /dev/null
	kill -KILL -"$pid" 2> /dev/null
	case $rc in 137|143) echo "# killed at the timeout ($tmo s) or by a signal" >> "$2" ;; esac
	return $rc
}

pass=0 fail=0 skip=0 n=0
set -- $tests
echo "TAP version 13"
echo "1..$#"
for t in "$@"; do
	n=$((n + 1))
	out=$(mktemp)
	[ $have_dmesg = 1 ] && before=$(dmesg | wc -l)
	t0=$(date +%s)
	run_one "$dir/$t" "$out"
	rc=$?
	sed 's/^/# /' "$out"
	echo "# $t: $(( $(date +%s) - t0 )) s"
	# The harness prints "# Totals: pass:P fail:F xfail:X xpass:Y skip:S error:E".
	tot=$(grep -a '# Totals:' "$out" | tail -1)
	if [ -n "$tot" ]; then
		set -- $(echo "$tot" | sed -n 's/.*Totals: pass:\([0-9]*\) fail:\([0-9]*\) xfail:[0-9]* xpass:[0-9]* skip:\([0-9]*\) error:\([0-9]*\).*/\1 \2 \3 \4/p')
		p=${1:-0} f=${2:-1} s=${3:-0} e=${4:-0}
	else
		p=0 f=0 s=0 e=0
		case $rc in
		0) p=1 ;;
		4) s=1 ;;
		*) f=1 ;;
		esac
	fi
	f=$((f + e))
	# A crash or timeout after the last result still fails the binary.
	if [ $rc -ne 0 ] && [ $rc -ne 4 ] && [ "$f" -eq 0 ]; then
		echo "# $t: exit status $rc"
		f=1
	fi
	if [ $have_dmesg = 1 ]; then
		if dmesg | tail -n +$((before + 1)) | grep -E "$pattern" > /dev/null; then
			echo "# $t: kernel report in dmesg:"
			dmesg | tail -n +$((before + 1)) | sed 's/^/#   /' | head -80
			f=$((f + 1))
		fi
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	if [ "$f" -gt 0 ]; then
		echo "not ok $n $t"
	elif [ "$p" -eq 0 ] && [ "$s" -gt 0 ]; then
		echo "ok $n $t # SKIP"
	else
		echo "ok $n $t"
	fi
	rm -f "$out"
done
echo "kipc-selftests: pass=$pass fail=$fail skip=$skip"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
