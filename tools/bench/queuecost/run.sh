#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# CPU cost per message of the kmod queue's SEND/RECV/SENDV/RECVV against
# POSIX mq, measured in the stock-kernel VM (the module cannot load on
# the host).  Needs `make userspace` first.
# Usage: tools/bench/queuecost/run.sh [BUILD_DIR [ROUNDS]]
set -eu
cd "$(dirname "$0")/../../.."
build=${1:-build}
rounds=${2:-30}
cc -O2 -std=gnu11 -Wall -Wextra -Werror -Iinclude/uapi -o "$build/tools/queuecost" \
	tools/bench/queuecost/queuecost.c -lrt
trap 'rm -f "$build/tools/queuecost"' EXIT
scripts/vm-lane.sh stock "$build" sh -c \
	"/kipc/bin/queuecost $rounds; /kipc/bin/queuecost $rounds" | grep -a '^queuecost'
