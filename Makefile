# SPDX-License-Identifier: GPL-2.0
#
# blkjob top-level Makefile.
#
#   make                 module for the running kernel (or the cached 6.12
#                        headers when the running kernel has none) + userspace
#   make KVER=6.1        module against the cached Debian 6.1 headers
#   make KDIR=/path      module against any kernel build tree
#   make check           everything the CI runs (see README)
#   make demo            boot a VM and show blkjob working
#   make fuzz            the netlink fuzzer, 1 000 000 messages, in a 6.12 VM
#                        (FUZZ_COUNT=N, FUZZ_SEED=N)

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

.PHONY: all module userspace tests check demo fuzz deps deps-build clean

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

demo:
	$(SCRIPTS)/demo

# About 2 000 messages/s under TCG: 1M take some ten minutes.
FUZZ_COUNT ?= 1000000
FUZZ_TIMEOUT ?= 14400
fuzz:
	$(MAKE) KVER=6.12 module
	$(MAKE) tests
	$(SCRIPTS)/vm --kernel 6.12 --timeout $(FUZZ_TIMEOUT) -- \
		build/tests/vm/fuzz --count $(FUZZ_COUNT) \
		$(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

clean:
	rm -rf build
	$(MAKE) -C userspace clean
