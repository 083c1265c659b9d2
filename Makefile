# SPDX-License-Identifier: GPL-2.0
#
# blkjob top-level Makefile.
#
#   make                 module for the running kernel (or the cached 6.12
#                        headers when the running kernel has none) + userspace
#   make KVER=6.1        module against the cached Debian 6.1 headers
#   make KDIR=/path      module against any kernel build tree
#   make check           everything the CI runs (see README)
#   make check-debug     the VM suite on a KASAN/lockdep/kmemleak/KUnit
#                        kernel built from linux-source-6.12 (slow; not CI)
#   make KVER=debug      module against that kernel (once built)
#   make demo            boot a VM and show blkjob working

TOP := $(CURDIR)
SCRIPTS := $(TOP)/scripts
KLINES := 6.1 6.12

ifneq ($(KDIR),)
  KNAME ?= custom
else ifneq ($(KVER),)
  KNAME := $(KVER)
  KDIR = $(shell $(SCRIPTS)/kernels kdir $(KVER))
else ifneq ($(wildcard /lib/modules/$(shell uname -r)/build/Makefile),)
  KNAME := host
  KDIR := /lib/modules/$(shell uname -r)/build
else
  KNAME := 6.12
  KDIR = $(shell $(SCRIPTS)/kernels kdir 6.12)
endif

# Each kernel gets its own build tree of symlinks to the sources, so builds
# for several kernels can sit side by side.
BUILD := $(TOP)/build/$(KNAME)
KSRCS := Kbuild tests/kmod/Kbuild $(shell find kernel include tests/kmod -name '*.[ch]' 2>/dev/null)

.PHONY: all module userspace tests check check-debug demo deps deps-build \
	clean

all: module userspace

$(BUILD)/.tree: $(KSRCS)
	@mkdir -p $(BUILD)
	@for f in $(KSRCS); do \
		mkdir -p $(BUILD)/$$(dirname $$f); \
		ln -sf $(TOP)/$$f $(BUILD)/$$f; \
	done
	@touch $@

module: deps-build $(BUILD)/.tree
	$(MAKE) -C $(KDIR) M=$(BUILD) $(KFLAGS) modules

userspace: deps-build
	$(MAKE) -C userspace

# The test programs (host and VM); scripts/check runs them.
tests: userspace
	$(MAKE) -C userspace tests
	$(MAKE) -C tests/vm

deps-build:
	@$(SCRIPTS)/deps --quiet build

deps:
	$(SCRIPTS)/deps all

check:
	$(SCRIPTS)/check

check-debug:
	$(SCRIPTS)/check-debug

demo:
	$(SCRIPTS)/demo

clean:
	rm -rf build
	$(MAKE) -C userspace clean
