# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# kipc top-level build.  Everything goes to $(BUILD); the source tree
# stays clean.
#
#   make              libkipc, tools, examples, and kipc.ko for the running
#                     kernel when its headers are installed (KDIR=...)
#   make selftests    the kselftest programs (need linux-source-6.1)
#   make demo         boot the test VM and run producer/consumer through /dev/kipc
#   make check        every gate: sparse, checkpatch, DKMS, packages, host tests,
#                     VM on 5 kernels (6.1 stock, rt, debug; 6.12 stock, debug)
#   make check-quick  the same with the stock kernel lane only
#   make check-all    make check and the 6.12 rt lane
#   make fuzz         suite + race fuzzer + kipc.ko line coverage on the debug
#                     kernel, one boot (FUZZ_SECONDS=600)
#   make bench        kipc-bench natively (BENCH_ARGS=...); bench-vm in the VM
#   make deps         install the Debian packages the above need
#   make install      libkipc, headers, pkg-config file, tools, man pages
#   make modules_install   kipc.ko for KDIR into /lib/modules/KREL/extra
#   make dkms-install      module sources into /usr/src/kipc-VERSION, dkms add
#   make deb          the Debian packages, into build/deb

BUILD ?= $(CURDIR)/build
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

VERSION := 1.0.0
SOMAJOR := 1

# Kernel headers for the module: the running kernel's by default.  The
# gates (make sparse, make check) build against the test bed's stock
# kernel instead, GATE_KDIR, whatever kernel the host runs.
KDIR ?= /lib/modules/$(shell uname -r)/build
GATE_KDIR ?= $(shell tools/vm/kernels.sh kdir stock 2>/dev/null)
DKMSDIR ?= /usr/src/kipc-$(VERSION)

CC ?= cc
CFLAGS ?= -O2 -g
CPPFLAGS ?=
LDFLAGS ?=
KSFT := $(BUILD)/ksrc/tools/testing/selftests
KIPC_CFLAGS := -std=gnu11 -Wall -Wextra -Werror \
	-I$(CURDIR)/include -I$(CURDIR)/include/uapi -MMD -MP
ifeq ($(SANITIZE),1)
KIPC_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
SAN_LDFLAGS := -fsanitize=address,undefined
endif
PIC := -fPIC
LIB_LDFLAGS := -shared -Wl,-soname,libkipc.so.$(SOMAJOR) -Wl,-z,defs \
	-Wl,--version-script=$(CURDIR)/lib/libkipc.map
# Programs in $(BUILD) find the library next to them ($(BUILD)/lib, and
# /kipc/lib in the test VM); installed programs are linked again without
# a run path.
LINK_KIPC := -L$(BUILD)/lib -lkipc -Wl,-rpath,'$$ORIGIN/../lib' $(SAN_LDFLAGS)
LIBS_EXTRA := -lpthread
# What a static link of libkipc needs besides libkipc.a (libkipc.pc).
LIBS_PRIVATE := -lpthread

# liburing is optional: without it the io_uring example is skipped.
HAVE_LIBURING := $(shell printf '\043include <liburing.h>\n' | \
	$(CC) -E -x c - >/dev/null 2>&1 && echo 1)

LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:lib/%.c=$(BUILD)/obj/lib/%.o)
TOOL_SRCS := $(wildcard tools/*.c)
TOOLS := $(TOOL_SRCS:tools/%.c=$(BUILD)/tools/%)
TEST_SRCS := $(wildcard selftests/*/*_test.c)
TESTS := $(foreach t,$(TEST_SRCS),$(BUILD)/selftests/$(notdir $(t:.c=)))
HOST_TEST_SRCS := $(wildcard selftests/lib/*_test.c)
HOST_TESTS := $(foreach t,$(HOST_TEST_SRCS),$(notdir $(t:.c=)))
TEST_HELPER_SRCS := $(wildcard selftests/common/*.c)
TEST_HELPER_OBJS := $(TEST_HELPER_SRCS:selftests/common/%.c=$(BUILD)/obj/selftests/common/%.o)
EXAMPLE_SRCS := $(wildcard examples/*.c)
ifneq ($(HAVE_LIBURING),1)
EXAMPLE_SRCS := $(filter-out examples/uring_poll.c,$(EXAMPLE_SRCS))
endif
EXAMPLES := $(EXAMPLE_SRCS:examples/%.c=$(BUILD)/examples/%)

# Installed programs: the user-facing tools.  kipc-queue-pingpong is a
# measurement helper for developers (it flips a module parameter as
# root) and stays in the build tree.
INSTALL_TOOLS := kipcctl kipc-bench

LIBSO := $(BUILD)/lib/libkipc.so.$(VERSION)

# The default build needs only a compiler (and the running kernel's
# headers for the module); the selftests need linux-source and are built
# by make selftests, make userspace and the gates.
all: lib tools examples module-if-headers

userspace: lib tools selftests examples

userspace-6.12:
	$(MAKE) BUILD=$(BUILD)/userspace-6.12 KSRC_SERIES=6.12 userspace

lib: $(LIBSO) $(BUILD)/lib/libkipc.a $(BUILD)/lib/libkipc.pc
tools: $(TOOLS)
selftests: $(TESTS) $(BUILD)/selftests/.uapi_layout_m32
examples: $(EXAMPLES)
ifneq ($(HAVE_LIBURING),1)
	@echo "examples: uring_poll skipped: no <liburing.h> (install liburing-dev)"
endif

$(BUILD)/obj/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(KIPC_CFLAGS) $(PIC) -c -o $@ $<

$(LIBSO): $(LIB_OBJS) lib/libkipc.map
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KIPC_CFLAGS) $(LDFLAGS) $(LIB_LDFLAGS) -o $@ $(LIB_OBJS) $(LIBS_EXTRA) $(SAN_LDFLAGS)
	ln -sf libkipc.so.$(VERSION) $(BUILD)/lib/libkipc.so.$(SOMAJOR)
	ln -sf libkipc.so.$(SOMAJOR) $(BUILD)/lib/libkipc.so

$(BUILD)/lib/libkipc.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# Generated for PREFIX/LIBDIR/INCLUDEDIR as given to this make; make
# install writes it again for its own values.
PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	-e 's|@LIBS_PRIVATE@|$(LIBS_PRIVATE)|'
$(BUILD)/lib/libkipc.pc: lib/libkipc.pc.in Makefile
	@mkdir -p $(dir $@)
	$(PC_SED) $< > $@

$(BUILD)/tools/%: tools/%.c $(LIBSO)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(KIPC_CFLAGS) $(LDFLAGS) -o $@ $< $(LINK_KIPC) $(LIBS_EXTRA) -lrt

# kipc-bench is the one multi-file tool: its parts live in tools/bench/.
BENCH_SRCS := $(wildcard tools/bench/*.c)
BENCH_OBJS := $(BENCH_SRCS:tools/bench/%.c=$(BUILD)/obj/tools/bench/%.o)

$(BUILD)/obj/tools/bench/%.o: tools/bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(KIPC_CFLAGS) -Itools/bench -c -o $@ $<

$(BUILD)/tools/kipc-bench: tools/kipc-bench.c $(BENCH_OBJS) $(LIBSO)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(KIPC_CFLAGS) $(LDFLAGS) -Itools/bench -o $@ $< $(BENCH_OBJS) $(LINK_KIPC) $(LIBS_EXTRA) -lrt -lm

# The installed copies of the tools: the same objects, no run path.
$(BUILD)/inst/bin/kipc-bench: tools/kipc-bench.c $(BENCH_OBJS) $(LIBSO)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(KIPC_CFLAGS) $(LDFLAGS) -Itools/bench -o $@ $< $(BENCH_OBJS) -L$(BUILD)/lib -lkipc $(LIBS_EXTRA) -lrt -lm

$(BUILD)/inst/bin/%: tools/%.c $(LIBSO)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(KIPC_CFLAGS) $(LDFLAGS) -o $@ $< -L$(BUILD)/lib -lkipc $(LIBS_EXTRA) -lrt

$(BUILD)/examples/%: examples/%.c $(LIBSO)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(KIPC_CFLAGS) $(LDFLAGS) -o $@ $< $(LINK_KIPC) $(LIBS_EXTRA) \
		$(if $(findstring uring,$<),-luring)

# kselftest_harness.h and checkpatch.pl come from Debian's linux-source
# package, unpacked here at build time; they are never copied into the
# repository.  KSRC_SERIES picks the kernel series they come from; the
# 6.12 lanes run tests built with 6.12's harness in $(BUILD)/userspace-6.12
# (make userspace-6.12).
KSRC_SERIES ?= 6.1
KSRC_STAMP := $(BUILD)/ksrc/.stamp
$(KSRC_STAMP):
	tools/vm/ksrc.sh $(BUILD)/ksrc $(KSRC_SERIES)
	@touch $@

$(BUILD)/obj/selftests/common/%.o: selftests/common/%.c $(KSRC_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KIPC_CFLAGS) -isystem $(KSFT) -Iselftests/common -c -o $@ $<

# The UAPI layout pinned for 32-bit callers too: a compile-only check of
# selftests/kipc/uapi_layout.h with -m32, which needs gcc's own headers
# and the UAPI only (no 32-bit libc).
$(BUILD)/selftests/.uapi_layout_m32: selftests/kipc/uapi_layout.h include/uapi/linux/kipc.h
	@mkdir -p $(dir $@)
	$(CC) -m32 -std=c11 -Wall -Werror -fsyntax-only -Iinclude/uapi \
		-idirafter /usr/include/$(shell $(CC) -print-multiarch) -x c $<
	@touch $@

define test_rule
$(BUILD)/selftests/$(notdir $(1:.c=)): $(1) $(LIBSO) $(KSRC_STAMP) $(TEST_HELPER_OBJS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $$(KIPC_CFLAGS) -isystem $$(KSFT) -Iselftests/common -o $$@ $(1) \
		$$(TEST_HELPER_OBJS) $$(LINK_KIPC) $$(LIBS_EXTRA) -lrt $$(if $$(findstring uring,$(1))$$(findstring conformance,$(1))$$(findstring race_fuzz,$(1)),-luring)
endef
$(foreach t,$(TEST_SRCS),$(eval $(call test_rule,$(t))))

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------------
# Kernel module, one build directory per kernel.  make module builds for
# KDIR into $(BUILD)/kmod; module-lane for a test-bed lane (LANE=).

# The project's gates build it with warnings fatal (KIPC_WERROR=1).
LANE ?= stock
KREL = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)

module:
	$(MAKE) -C kmod KDIR=$(KDIR) OUT=$(BUILD)/kmod

module-if-headers:
	@if [ -f $(KDIR)/Makefile ]; then \
		$(MAKE) -C kmod KDIR=$(KDIR) OUT=$(BUILD)/kmod; \
	else \
		echo "module: skipped: no kernel headers in $(KDIR) (install linux-headers-$$(uname -r), or make KDIR=...)"; \
	fi

module-lane:
	$(MAKE) -C kmod KDIR=$$(tools/vm/kernels.sh kdir $(LANE) $(BUILD)) OUT=$(BUILD)/kmod-$(LANE) KIPC_WERROR=1

# Into the kernel's extra/ directory, where modprobe finds it after
# depmod; depmod is left to the packager when DESTDIR is set.
modules_install: module
	@[ -n "$(KREL)" ] || { echo "modules_install: no kernel release in $(KDIR)"; exit 1; }
	install -D -m 0644 $(BUILD)/kmod/kipc.ko $(DESTDIR)/lib/modules/$(KREL)/extra/kipc.ko
	$(if $(DESTDIR),,depmod -a $(KREL))

modules_uninstall:
	rm -f $(DESTDIR)/lib/modules/$(KREL)/extra/kipc.ko
	-rmdir --ignore-fail-on-non-empty $(DESTDIR)/lib/modules/$(KREL)/extra
	$(if $(DESTDIR),,depmod -a $(KREL))

sparse:
	$(MAKE) -C kmod KDIR=$(GATE_KDIR) OUT=$(BUILD)/kmod-sparse KIPC_WERROR=1 check

sparse-6.12:
	$(MAKE) -C kmod KDIR=$$(tools/vm/kernels.sh kdir stock-6.12) OUT=$(BUILD)/kmod-sparse-6.12 KIPC_WERROR=1 check

style: $(KSRC_STAMP)
	$(MAKE) -C kmod CHECKPATCH=$(BUILD)/ksrc/scripts/checkpatch.pl style

# ---------------------------------------------------------------------
# DKMS.  The DKMS source tree is the module's part of this tree, laid out
# as here (kmod/ and the UAPI header under include/), plus dkms.conf.

DKMS_FILES := $(wildcard kmod/*.c kmod/*.h) kmod/Kbuild kmod/Makefile \
	include/uapi/linux/kipc.h

dkms-source:
	install -d $(DESTDIR)$(DKMSDIR)/kmod $(DESTDIR)$(DKMSDIR)/include/uapi/linux
	for f in $(DKMS_FILES); do install -m 0644 $$f $(DESTDIR)$(DKMSDIR)/$$f; done
	sed -e 's|@VERSION@|$(VERSION)|' dkms.conf.in > $(DESTDIR)$(DKMSDIR)/dkms.conf
	chmod 0644 $(DESTDIR)$(DKMSDIR)/dkms.conf

# Adds the module to DKMS and builds it for the running kernel when its
# headers exist; DKMS rebuilds it for every kernel installed later.
# With DESTDIR (packagers) only the sources are installed.
dkms-install: dkms-source
ifeq ($(DESTDIR),)
	dkms add -m kipc -v $(VERSION)
	@if [ -e /lib/modules/$$(uname -r)/build/include ]; then \
		dkms install -m kipc -v $(VERSION); \
	else \
		echo "dkms-install: not built for $$(uname -r): no headers (install linux-headers-$$(uname -r))"; \
	fi
endif

dkms-uninstall:
ifeq ($(DESTDIR),)
	-dkms remove -m kipc -v $(VERSION) --all
endif
	rm -rf $(DESTDIR)$(DKMSDIR)

# The Debian packages, out of a copy of the tree so that this one stays
# clean; they land in $(BUILD)/deb.
deb:
	scripts/build-deb.sh $(BUILD)/deb

# ---------------------------------------------------------------------
# Tests.

deps:
	scripts/deps.sh

# make check runs the host suites while the debug kernels build in the
# background, so the per-test watchdogs (hang detectors, not speed
# limits) get the same stretch as on the slow lanes.
HOST_TIMEOUT_SCALE ?= 4

host-test: userspace
	KIPC_TIMEOUT_SCALE=$(HOST_TIMEOUT_SCALE) selftests/run_selftests.sh -d $(BUILD)/selftests $(HOST_TESTS)

host-test-asan:
	$(MAKE) BUILD=$(BUILD)/asan SANITIZE=1 userspace
	KIPC_TIMEOUT_SCALE=$(HOST_TIMEOUT_SCALE) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		selftests/run_selftests.sh -d $(BUILD)/asan/selftests $(HOST_TESTS)

vm-test: userspace
	scripts/vm-lane.sh $(LANE) $(BUILD)

# Benchmarks are programs, not timed tests (Documentation/performance.rst).
# bench: userspace backends and baselines, natively on this machine.
# bench-vm: the same program in the test-bed VM on the stock kernel,
# module loaded, so the kmod paths run too.
BENCH_ARGS ?=
BENCH_VM_ARGS ?= --runs 3
bench: lib tools
	$(BUILD)/tools/kipc-bench $(BENCH_ARGS)

bench-vm: userspace
	scripts/vm-lane.sh stock $(BUILD) /kipc/bin/kipc-bench $(BENCH_VM_ARGS)

check:
	scripts/check.sh

check-quick:
	scripts/check.sh --quick

check-all:
	scripts/check.sh --all

# The debug lane's suite, the race fuzzer (longer than make check runs
# it) and the module's line coverage, in one boot.
FUZZ_SECONDS ?= 600
fuzz:
	scripts/fuzz.sh $(BUILD) $(FUZZ_SECONDS)

demo:
	BUILD=$(BUILD) scripts/demo.sh

# ---------------------------------------------------------------------

INSTALLED_TOOLS := $(INSTALL_TOOLS:%=$(BUILD)/inst/bin/%)
MAN_SECTIONS := 1 3 7 8

install: lib $(INSTALLED_TOOLS)
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/linux $(DESTDIR)$(BINDIR)
	install -m 0644 $(LIBSO) $(DESTDIR)$(LIBDIR)/
	ln -sf libkipc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libkipc.so.$(SOMAJOR)
	ln -sf libkipc.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libkipc.so
	install -m 0644 $(BUILD)/lib/libkipc.a $(DESTDIR)$(LIBDIR)/
	$(PC_SED) lib/libkipc.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libkipc.pc
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/libkipc.pc
	install -m 0644 include/kipc.h include/kipc-uring.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 include/uapi/linux/kipc.h $(DESTDIR)$(INCLUDEDIR)/linux/
	install -m 0755 $(INSTALLED_TOOLS) $(DESTDIR)$(BINDIR)/
	for s in $(MAN_SECTIONS); do \
		install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 man/*.$$s $(DESTDIR)$(MANDIR)/man$$s/; \
	done
	$(if $(DESTDIR),,-ldconfig)

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libkipc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libkipc.so.$(SOMAJOR) \
		$(DESTDIR)$(LIBDIR)/libkipc.so $(DESTDIR)$(LIBDIR)/libkipc.a \
		$(DESTDIR)$(LIBDIR)/pkgconfig/libkipc.pc \
		$(DESTDIR)$(INCLUDEDIR)/kipc.h $(DESTDIR)$(INCLUDEDIR)/kipc-uring.h \
		$(DESTDIR)$(INCLUDEDIR)/linux/kipc.h \
		$(INSTALL_TOOLS:%=$(DESTDIR)$(BINDIR)/%)
	for s in $(MAN_SECTIONS); do \
		for m in man/*.$$s; do rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m#man/}; done; \
	done
	$(if $(DESTDIR),,-ldconfig)

clean:
	rm -rf $(BUILD)/obj $(BUILD)/lib $(BUILD)/tools $(BUILD)/selftests \
		$(BUILD)/examples $(BUILD)/asan $(BUILD)/userspace-6.12 $(BUILD)/kmod $(BUILD)/kmod-* $(BUILD)/vm \
		$(BUILD)/inst $(BUILD)/deb $(BUILD)/dkms $(BUILD)/pkgtest

distclean:
	rm -rf $(BUILD)

.PHONY: all userspace userspace-6.12 lib tools selftests examples fuzz module module-if-headers \
	module-lane modules_install modules_uninstall sparse sparse-6.12 style dkms-source \
	dkms-install dkms-uninstall deb deps host-test host-test-asan vm-test bench \
	bench-vm check check-quick check-all demo install uninstall clean distclean
