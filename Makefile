# SPDX-License-Identifier: GPL-2.0
#
# blkjob top-level Makefile.
#
#   make                 module for the running kernel + userspace; never
#                        installs or downloads anything: a missing package or
#                        kernel headers is an error naming what to install
#   make KVER=6.1        module against Debian's 6.1 headers (6.12 too),
#                        downloaded into ~/.cache/blkjob on first use
#   make KDIR=/path      module against any kernel build tree
#   make install         module (modules_install + depmod), blkjobctl,
#                        libblkjob, man pages, bash completion; honours
#                        DESTDIR and PREFIX (default /usr/local), and KVER/KDIR
#   make uninstall       remove what make install installed
#   make install-userspace, uninstall-userspace: all but the module
#   make dkms-source     copy the module's sources to /usr/src/blkjob-VERSION
#   make deb             the Debian packages (debian/) from a clean export,
#                        with dpkg-buildpackage, into build/deb/
#   make check           everything the CI runs (see README)
#   make check-debug     the VM suite on a KASAN/lockdep/kmemleak/KUnit
#                        kernel built from linux-source-6.12 (slow; not CI)
#   make KVER=debug      module against that kernel (once built)
#   make demo            boot a VM and show blkjob working
#   make bench           blkjob against dd, dm-mirror and qemu-img (results/bench/)
#   make mutants         plant each defect of scripts/mutants.list, run the
#                        tests that must catch it (MUTANTS="ID..." a subset)
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
  # Fetching a kernel's headers is asked for with KVER, never implied.
  KNAME := host
  KDIR :=
endif

# Each kernel gets its own build tree of symlinks to the sources, so builds
# for several kernels can sit side by side.
BUILD := $(TOP)/build/$(KNAME)
KSRCS := Kbuild tests/kmod/Kbuild $(shell find kernel include tests/kmod -name '*.[ch]' 2>/dev/null)

.PHONY: all module userspace tests check check-debug demo bench fuzz mutants deps \
	deps-build kdir clean install install-module install-userspace uninstall \
	uninstall-module uninstall-userspace dkms-source deb

all: module userspace

$(BUILD)/.tree: $(KSRCS)
	@mkdir -p $(BUILD)
	@for f in $(KSRCS); do \
		mkdir -p $(BUILD)/$$(dirname $$f); \
		ln -sf $(TOP)/$$f $(BUILD)/$$f; \
	done
	@touch $@

module: deps-build kdir $(BUILD)/.tree
	$(MAKE) -C $(KDIR) M=$(BUILD) $(KFLAGS) modules

kdir:
	@[ -n "$(KDIR)" ] || { \
		echo "No kernel headers for $$(uname -r) (/lib/modules/$$(uname -r)/build)."; \
		echo "Install them (Debian: apt-get install linux-headers-$$(uname -r)),"; \
		echo "or build against Debian's with KVER=6.12 or KVER=6.1 (downloaded"; \
		echo "into ~/.cache/blkjob), or name a kernel build tree with KDIR=PATH."; \
		exit 1; } >&2

userspace: deps-build
	$(MAKE) -C userspace

# The test programs (host and VM); scripts/check runs them.
tests: userspace
	$(MAKE) -C userspace tests
	$(MAKE) -C tests/vm

# ---- installation ----------------------------------------------------

PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
# Under /lib/modules/<release>/; DKMS uses updates/dkms, so the two never
# overwrite each other.
INSTALL_MOD_DIR ?= extra
# The release the kernel reports (uname -r, vermagic): Debian's headers
# override KERNELRELEASE (.kernelvariables), so include/config/kernel.release
# can disagree with where modules_install puts the module.
KRELEASE = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
# A distribution's headers carry no signing key: modules_install's attempt
# to sign would only print OpenSSL errors. A tree with its key signs.
NOSIGN = $(if $(wildcard $(KDIR)/certs/signing_key.pem),,CONFIG_MODULE_SIG_ALL=)
MODFILES = $(foreach s,.ko .ko.xz .ko.gz .ko.zst, \
	$(DESTDIR)/lib/modules/$(KRELEASE)/$(INSTALL_MOD_DIR)/blkjob$(s))
# Into a DESTDIR (a package being built) depmod is the package's job, at
# its installation; otherwise it is ours.
DEPMOD_CMD = $(if $(DESTDIR),@echo "DESTDIR set: not running depmod", \
	depmod -a $(KRELEASE))
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
DKMS_SRC = $(DESTDIR)/usr/src/blkjob-$(DKMS_VERSION)

install: install-module install-userspace

# Everything but the module (for DKMS users).
install-userspace: deps-build
	$(MAKE) -C userspace install
	install -d $(DESTDIR)$(MANDIR)/man4
	install -m 644 Documentation/blkjob/blkjob.4 $(DESTDIR)$(MANDIR)/man4/

# The test modules stay out (BLKJOB_TEST_MODULES=n, see Kbuild); kbuild's
# own depmod (DEPMOD=true) would only half run against headers.
install-module: deps-build kdir $(BUILD)/.tree
	@[ -n "$(KRELEASE)" ] || { echo "no kernel release in $(KDIR)" >&2; exit 1; }
	@[ "$(KRELEASE)" = "$$(uname -r)" ] || \
		echo "note: installing for kernel $(KRELEASE), not the running $$(uname -r)"
	$(MAKE) -C $(KDIR) M=$(BUILD) BLKJOB_TEST_MODULES=n modules
	$(MAKE) -C $(KDIR) M=$(BUILD) BLKJOB_TEST_MODULES=n $(NOSIGN) \
		INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		DEPMOD=true modules_install
	$(DEPMOD_CMD)

uninstall: uninstall-module uninstall-userspace

uninstall-userspace:
	$(MAKE) -C userspace uninstall
	rm -f $(DESTDIR)$(MANDIR)/man4/blkjob.4

uninstall-module:
	@[ -n "$(KRELEASE)" ] || { echo "no kernel release in $(KDIR)" >&2; exit 1; }
	rm -f $(MODFILES)
	$(DEPMOD_CMD)

# What DKMS builds from: the module's sources and dkms.conf, nothing else.
dkms-source:
	@[ -n "$(DKMS_VERSION)" ] || \
		{ echo "no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)
	cp --parents dkms.conf COPYING $(filter-out tests/%,$(KSRCS)) $(DKMS_SRC)/

deb:
	$(SCRIPTS)/deb

# Plain make only checks: 'make deps' (or make check, make demo) installs.
deps-build:
	@$(SCRIPTS)/deps --quiet --check build

deps:
	$(SCRIPTS)/deps all

check:
	$(SCRIPTS)/check

check-debug:
	$(SCRIPTS)/check-debug

demo:
	$(SCRIPTS)/demo

bench:
	$(SCRIPTS)/bench

mutants: deps-build
	$(SCRIPTS)/kernels fetch 6.12
	$(SCRIPTS)/mutants $(MUTANTS)

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
