# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# kipc top-level build.  Everything goes to $(BUILD); the source tree
# stays clean.
#
#   make              module (stock kernel), libkipc, tools, selftests
#   make demo         boot the test VM and run producer/consumer through /dev/kipc
#   make check        every gate: sparse, checkpatch, host tests, VM on 3 kernels
#   make check-quick  the same with the stock kernel lane only
#   make fuzz         the race fuzzer on the debug kernel (FUZZ_SECONDS=600)
#   make bench        kipc-bench natively (BENCH_ARGS=...); bench-vm in the VM
#   make deps         install the Debian packages the above need
#   make install      libkipc, header, pkg-config file, tools, man pages

BUILD ?= $(CURDIR)/build
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

VERSION := 1.0.0
SOMAJOR := 1

# Kernel headers for the default module build: the stock Debian cloud
# kernel that the test bed boots (make deps installs them).
KDIR ?= $(shell tools/vm/kernels.sh kdir stock 2>/dev/null)

CC ?= cc
CFLAGS ?= -O2 -g
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
LINK_KIPC := -L$(BUILD)/lib -lkipc -Wl,-rpath,'$$ORIGIN/../lib' $(SAN_LDFLAGS)
LIBS_EXTRA := -lpthread

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
EXAMPLES := $(EXAMPLE_SRCS:examples/%.c=$(BUILD)/examples/%)

LIBSO := $(BUILD)/lib/libkipc.so.$(VERSION)

all: userspace module

userspace: lib tools selftests examples

lib: $(LIBSO) $(BUILD)/lib/libkipc.a $(BUILD)/lib/libkipc.pc
tools: $(TOOLS)
selftests: $(TESTS)
examples: $(EXAMPLES)

$(BUILD)/obj/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KIPC_CFLAGS) $(PIC) -c -o $@ $<

$(LIBSO): $(LIB_OBJS) lib/libkipc.map
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KIPC_CFLAGS) $(LIB_LDFLAGS) -o $@ $(LIB_OBJS) $(LIBS_EXTRA) $(SAN_LDFLAGS)
	ln -sf libkipc.so.$(VERSION) $(BUILD)/lib/libkipc.so.$(SOMAJOR)
	ln -sf libkipc.so.$(SOMAJOR) $(BUILD)/lib/libkipc.so

$(BUILD)/lib/libkipc.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/lib/libkipc.pc: lib/libkipc.pc.in Makefile
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

$(BUILD)/tools/%: tools/%.c $(LIBSO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KIPC_CFLAGS) -o $@ $< $(LINK_KIPC) $(LIBS_EXTRA) -lrt

# kipc-bench is the one multi-file tool: its parts live in tools/bench/.
BENCH_SRCS := $(wildcard tools/bench/*.c)
BENCH_OBJS := $(BENCH_SRCS:tools/bench/%.c=$(BUILD)/obj/tools/bench/%.o)

$(BUILD)/obj/tools/bench/%.o: tools/bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KIPC_CFLAGS) -Itools/bench -c -o $@ $<

$(BUILD)/tools/kipc-bench: tools/kipc-bench.c $(BENCH_OBJS) $(LIBSO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KIPC_CFLAGS) -Itools/bench -o $@ $< $(BENCH_OBJS) $(LINK_KIPC) $(LIBS_EXTRA) -lrt -lm

$(BUILD)/examples/%: examples/%.c $(LIBSO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KIPC_CFLAGS) -o $@ $< $(LINK_KIPC) $(LIBS_EXTRA) \
		$(if $(findstring uring,$<),-luring)

# kselftest_harness.h and checkpatch.pl come from Debian's linux-source
# package, unpacked here at build time; they are never copied into the
# repository.
KSRC_STAMP := $(BUILD)/ksrc/.stamp
$(KSRC_STAMP):
	tools/vm/ksrc.sh $(BUILD)/ksrc
	@touch $@

$(BUILD)/obj/selftests/common/%.o: selftests/common/%.c $(KSRC_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KIPC_CFLAGS) -isystem $(KSFT) -Iselftests/common -c -o $@ $<

define test_rule
$(BUILD)/selftests/$(notdir $(1:.c=)): $(1) $(LIBSO) $(KSRC_STAMP) $(TEST_HELPER_OBJS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $$(KIPC_CFLAGS) -isystem $$(KSFT) -Iselftests/common -o $$@ $(1) \
		$$(TEST_HELPER_OBJS) $$(LINK_KIPC) $$(LIBS_EXTRA) -lrt $$(if $$(findstring uring,$(1))$$(findstring conformance,$(1))$$(findstring race_fuzz,$(1)),-luring)
endef
$(foreach t,$(TEST_SRCS),$(eval $(call test_rule,$(t))))

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------------
# Kernel module, one build directory per kernel lane.

LANE ?= stock
module:
	$(MAKE) -C kmod KDIR=$(KDIR) OUT=$(BUILD)/kmod-stock

module-lane:
	$(MAKE) -C kmod KDIR=$$(tools/vm/kernels.sh kdir $(LANE) $(BUILD)) OUT=$(BUILD)/kmod-$(LANE)

sparse:
	$(MAKE) -C kmod KDIR=$(KDIR) OUT=$(BUILD)/kmod-sparse check

style: $(KSRC_STAMP)
	$(MAKE) -C kmod CHECKPATCH=$(BUILD)/ksrc/scripts/checkpatch.pl style

# ---------------------------------------------------------------------
# Tests.

deps:
	scripts/deps.sh

host-test: userspace
	tools/../selftests/run_selftests.sh -d $(BUILD)/selftests $(HOST_TESTS)

host-test-asan:
	$(MAKE) BUILD=$(BUILD)/asan SANITIZE=1 userspace
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
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

# The race fuzzer alone on the debug lane, longer than make check runs it.
FUZZ_SECONDS ?= 600
fuzz:
	scripts/fuzz.sh $(BUILD) $(FUZZ_SECONDS)

demo:
	BUILD=$(BUILD) scripts/demo.sh

# ---------------------------------------------------------------------

install: lib tools
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR)
	install -m 0755 $(LIBSO) $(DESTDIR)$(LIBDIR)/
	ln -sf libkipc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libkipc.so.$(SOMAJOR)
	ln -sf libkipc.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libkipc.so
	install -m 0644 $(BUILD)/lib/libkipc.a $(DESTDIR)$(LIBDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    lib/libkipc.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libkipc.pc
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/libkipc.pc
	install -m 0644 include/kipc.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 0755 $(TOOLS) $(DESTDIR)$(BINDIR)/
	for s in 1 3 7 8; do \
		if ls man/*.$$s >/dev/null 2>&1; then \
			install -d $(DESTDIR)$(MANDIR)/man$$s; \
			install -m 0644 man/*.$$s $(DESTDIR)$(MANDIR)/man$$s/; \
		fi; \
	done

clean:
	rm -rf $(BUILD)/obj $(BUILD)/lib $(BUILD)/tools $(BUILD)/selftests \
		$(BUILD)/examples $(BUILD)/asan $(BUILD)/kmod-* $(BUILD)/vm

distclean:
	rm -rf $(BUILD)

.PHONY: all userspace lib tools selftests examples fuzz module module-lane sparse \
	style deps host-test host-test-asan vm-test bench bench-vm check check-quick demo \
	install clean distclean
