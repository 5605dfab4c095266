#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make demo: install what is missing, build, boot the stock-kernel VM
# with kipc.ko loaded, and run tools/vm/demo-guest.sh in it (a producer
# and a consumer as separate programs through a named ring, then a short
# kipc-bench table).  Exits non-zero when the transfer fails.
#
#   BUILD=DIR scripts/demo.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath -m "${BUILD:-$top/build}")

"$top/scripts/deps.sh"
make -C "$top" -s BUILD="$BUILD" userspace
KIPC_VM_TIMEOUT=${KIPC_VM_TIMEOUT:-1200} \
	exec "$top/scripts/vm-lane.sh" stock "$BUILD" /kipc/demo.sh
