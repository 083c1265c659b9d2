#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# blkjob.ko loads and unloads cleanly (scripts/vm fails the run on any
# kernel report, so a clean log is checked too).
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
ko=$top/build/${BLKJOB_KLINE:-6.12}/blkjob.ko
ctl=$top/userspace/blkjobctl/blkjobctl

loaded() { [ -d /sys/module/blkjob ]; }

test_loaded_at_boot() {
	loaded || die "blkjob is not loaded"
	grep -q '^blkjob ' /proc/modules || die "not in /proc/modules"
}

test_unload() {
	rmmod blkjob || die "rmmod failed"
	! loaded || die "still loaded after rmmod"
}

test_reload_cycles() {
	local i
	for i in 1 2 3; do
		insmod "$ko" || die "insmod $i failed"
		loaded || die "not loaded after insmod $i"
		rmmod blkjob || die "rmmod $i failed"
	done
	insmod "$ko" || die "final insmod failed"
}

test_genl_family_registered() {
	# The generic netlink controller lists every registered family.
	python3 - <<'PY' || die "family blkjob is not registered"
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
name = b"blkjob\0"
attr = struct.pack("HH", 4 + len(name), 2) + name
attr += b"\0" * (-len(attr) % 4)
hdr = struct.pack("BBxx", 3, 1)  # CTRL_CMD_GETFAMILY, version 1
msg = hdr + attr
s.send(struct.pack("IHHII", 16 + len(msg), 16, 1, 1, 0) + msg)
data = s.recv(65536)
_, typ = struct.unpack("IH", data[:6])
sys.exit(0 if typ == 16 else 1)
PY
}

# Installed as make install does (into extra/, then depmod) and not
# loaded: blkjobctl's first request has the kernel load it through the
# module's genl family alias. The guest's own /lib/modules, which the
# kernel's modprobe reads, is the chroot's when the host has one, else
# under /run/blkjob-vm-modules (scripts/vm-init).
test_autoload() {
	local base=/ rel out rc=0 ok=0
	rel=$(uname -r)
	[ -d "/lib/modules/$rel" ] || base=/run/blkjob-vm-modules
	modinfo -F alias "$ko" | grep -qx 'net-pf-16-proto-16-family-blkjob' ||
		die "blkjob.ko has no genl family alias"
	mkdir -p "$base/lib/modules/$rel/extra" &&
		cp "$ko" "$base/lib/modules/$rel/extra/blkjob.ko" &&
		depmod -b "$base" "$rel" ||
		die "cannot install blkjob.ko under $base/lib/modules/$rel" ||
		return 1
	if loaded; then rmmod blkjob || die "rmmod failed"; fi
	out=$("$ctl" list 2>&1) || rc=$?
	loaded && ok=1
	rm -f "$base/lib/modules/$rel/extra/blkjob.ko"
	depmod -b "$base" "$rel"
	loaded || insmod "$ko" || die "insmod after the test failed"
	expect_eq "$rc" 0 "blkjobctl list with the module not loaded: $out" ||
		return 1
	[ "$ok" -eq 1 ] || die "blkjobctl's request did not load blkjob"
}

ktap_plan 5
ktap_run "module loaded at boot" test_loaded_at_boot
ktap_run "module unloads" test_unload
ktap_run "module reloads three times" test_reload_cycles
ktap_run "blkjobctl's first request loads an installed module" test_autoload
if grep -q genl_register_family "$top/kernel/"*.c 2>/dev/null; then
	ktap_run "genl family blkjob registered" test_genl_family_registered
else
	ktap_skip "genl family blkjob registered" "no netlink family yet"
fi
ktap_finish
