#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# build-debug-kernel.sh OUTDIR
#
# Build the kipc "debug" VM kernel (KASAN, lockdep, kmemleak, UBSAN, KFENCE...)
# from the Debian linux-source tarball:
#
#   OUTDIR/src          extracted kernel source (extracted once, kept pristine)
#   OUTDIR/obj          O= build directory: .config, bzImage, Module.symvers;
#                       build out-of-tree modules with
#                         make -C OUTDIR/obj M=/path/to/module modules
#   OUTDIR/build.log    output of the last configure/build run
#   OUTDIR/.stamp       cache key of the last successful build
#
# The config is `make ARCH=x86_64 tinyconfig` + tools/vm/debug.config, merged
# with scripts/kconfig/merge_config.sh and resolved with olddefconfig.  Every
# assignment in the fragment is then checked against the final .config, since
# kconfig silently drops options whose dependencies are not met.  The one
# exception is an option that the kernel version does not define at all
# (e.g. UBSAN_SANITIZE_ALL, gone in 6.9, or SLUB_TINY, new in 6.4): it is
# left out of the merge and the check, and the log names it.
#
# If OUTDIR/.stamp matches (sha256 of the fragment, this script, the source
# tarball's version and the compiler version) and bzImage exists, exit 0 at
# once.  Otherwise (re)configure and build incrementally in OUTDIR/obj.
#
# Environment: LINUX_TARBALL (default /usr/src/linux-source-6.1.tar.xz),
#              JOBS (default: nproc).
#
# Needs: make gcc flex bison bc xz tar libelf-dev libssl-dev (Debian names).

set -euo pipefail

log() { printf '[debug-kernel] %s\n' "$*"; }
die() { printf '[debug-kernel] ERROR: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
FRAGMENT=$(dirname "$SCRIPT")/debug.config
LINUX_TARBALL=${LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
JOBS=${JOBS:-$(nproc)}

mkdir -p "$1"
OUTDIR=$(readlink -f "$1")
SRC=$OUTDIR/src
OBJ=$OUTDIR/obj
LOG=$OUTDIR/build.log
STAMP=$OUTDIR/.stamp
BZIMAGE=$OBJ/arch/x86/boot/bzImage

[ -f "$FRAGMENT" ] || die "config fragment not found: $FRAGMENT"
[ -f "$LINUX_TARBALL" ] || die "kernel source not found: $LINUX_TARBALL (apt-get install linux-source-6.1)"

# Version of the source tarball: the Debian package version when dpkg owns the
# file (cheap), else size+mtime of the tarball.
tarball_version() {
	local pkg ver
	if pkg=$(dpkg-query -S "$LINUX_TARBALL" 2>/dev/null | head -n1 | cut -d: -f1) &&
	   [ -n "$pkg" ] &&
	   ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) && [ -n "$ver" ]; then
		echo "$pkg $ver"
	else
		stat -c '%n %s %Y' "$LINUX_TARBALL"
	fi
}

TARBALL_VERSION=$(tarball_version)
CC_VERSION=$( (gcc --version 2>/dev/null || echo "no gcc") | head -n1)
cache_key() {
	{
		sha256sum <"$FRAGMENT"
		sha256sum <"$SCRIPT"
		echo "$TARBALL_VERSION"
		echo "$CC_VERSION"
	} | sha256sum | cut -d' ' -f1
}
KEY=$(cache_key)

# Serialise concurrent runs on the same OUTDIR.
exec 9>"$OUTDIR/.lock"
flock 9

if [ -f "$STAMP" ] && [ -f "$BZIMAGE" ] && [ "$(cat "$STAMP")" = "$KEY" ]; then
	log "up to date: $BZIMAGE ($(cat "$OBJ/include/config/kernel.release" 2>/dev/null || echo '?'))"
	exit 0
fi
rm -f "$STAMP"

# --- preflight --------------------------------------------------------------
missing=()
for tool in make gcc ld flex bison bc xz tar perl sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ -e /usr/include/gelf.h ] || missing+=("libelf-dev(gelf.h)")
[ -e /usr/include/openssl/opensslv.h ] || missing+=("libssl-dev(openssl headers)")
[ ${#missing[@]} -eq 0 ] || die "missing build dependencies: ${missing[*]}"

: >"$LOG"
START=$(date +%s)

on_fail() {
	local rc=$?
	trap - EXIT
	if [ "$rc" -ne 0 ]; then
		printf '[debug-kernel] FAILED (exit %s); last lines of %s:\n' "$rc" "$LOG" >&2
		tail -n 60 "$LOG" >&2 || true
	fi
	exit "$rc"
}
trap on_fail EXIT

# Run a command with all its output appended to build.log.
run() {
	echo "+ $*" >>"$LOG"
	"$@" >>"$LOG" 2>&1
}

# --- source -------------------------------------------------------------------
# The source is re-extracted (and the object dir wiped: tar keeps the old file
# mtimes, so make would not notice changed sources) only if the tarball changed.
if [ ! -f "$SRC/.kipc-extracted" ] || [ "$(cat "$SRC/.kipc-extracted")" != "$TARBALL_VERSION" ]; then
	log "extracting $LINUX_TARBALL -> $SRC"
	rm -rf "$SRC" "$SRC.tmp" "$OBJ"
	mkdir -p "$SRC.tmp"
	run tar -xf "$LINUX_TARBALL" -C "$SRC.tmp" --strip-components=1
	[ -f "$SRC.tmp/Makefile" ] && [ -f "$SRC.tmp/scripts/kconfig/merge_config.sh" ] ||
		die "$LINUX_TARBALL does not look like a kernel source tarball"
	echo "$TARBALL_VERSION" >"$SRC.tmp/.kipc-extracted"
	mv "$SRC.tmp" "$SRC"
else
	log "using source in $SRC ($TARBALL_VERSION)"
fi
mkdir -p "$OBJ"

# LOCALVERSION= (set, empty): never append a "+" from scripts/setlocalversion.
MAKE=(make -C "$SRC" O="$OBJ" LOCALVERSION=)

# --- configure ------------------------------------------------------------------
log "configuring: tinyconfig (x86_64) + $(basename "$FRAGMENT")"
run "${MAKE[@]}" ARCH=x86_64 tinyconfig
# The fragment without the options this kernel version does not know.
grep -rhoE --include='Kconfig*' '^[[:space:]]*(menu)?config [A-Za-z0-9_]+' "$SRC" |
	awk '{print "CONFIG_" $2}' | sort -u >"$OBJ/kipc-kconfig-symbols"
FRAG=$OBJ/kipc-debug.config
: >"$FRAG"
unknown=()
while IFS= read -r line; do
	sym=
	if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)= ]] ||
	   [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		sym=${BASH_REMATCH[1]}
	fi
	if [ -n "$sym" ] && ! grep -qxF "$sym" "$OBJ/kipc-kconfig-symbols"; then
		unknown+=("$sym")
		continue
	fi
	printf '%s\n' "$line" >>"$FRAG"
done <"$FRAGMENT"
[ ${#unknown[@]} -eq 0 ] || log "not defined by this kernel, left out: ${unknown[*]}"
run "$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" "$FRAG"
run "${MAKE[@]}" olddefconfig

log "verifying the fragment against $OBJ/.config"
bad=()
while IFS= read -r line; do
	if [[ $line =~ ^CONFIG_[A-Za-z0-9_]+= ]]; then
		grep -qxF -- "$line" "$OBJ/.config" && continue
		sym=${line%%=*}
		got=$(grep -E "^$sym=|^# $sym is not set" "$OBJ/.config" || true)
		bad+=("$line (got: ${got:-absent, dependencies not met})")
	elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		sym=${BASH_REMATCH[1]}
		got=$(grep -E "^$sym=" "$OBJ/.config" || true)
		[ -z "$got" ] || bad+=("$line (got: $got)")
	fi
done <"$FRAG"
if [ ${#bad[@]} -ne 0 ]; then
	printf '[debug-kernel] ERROR: %d option(s) of %s did not survive olddefconfig:\n' \
		"${#bad[@]}" "$FRAGMENT" >&2
	printf '[debug-kernel]   %s\n' "${bad[@]}" >&2
	trap - EXIT
	exit 1
fi
log "all $(grep -cE '^(CONFIG_|# CONFIG_.* is not set$)' "$FRAG") fragment lines present"

# --- build --------------------------------------------------------------------
# `modules` (which implies modules_prepare) also writes Module.symvers, which
# out-of-tree builds (make -C OUTDIR/obj M=...) need to resolve symbols.
log "building bzImage + modules with -j$JOBS (log: $LOG)"
run "${MAKE[@]}" -j"$JOBS" bzImage modules_prepare modules

[ -f "$BZIMAGE" ] || die "build finished but $BZIMAGE is missing"
[ -f "$OBJ/Module.symvers" ] || die "build finished but $OBJ/Module.symvers is missing"

echo "$KEY" >"$STAMP"
trap - EXIT
log "done in $(( $(date +%s) - START ))s: $BZIMAGE ($(cat "$OBJ/include/config/kernel.release"))"
