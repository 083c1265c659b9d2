#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scripts/vm itself: exit statuses come back, kernel warnings, a wrapped
# kernel log and timeouts fail the run, blkjob.ko is loaded on both kernels, the tree is writable.
# Runs on the host; each test boots a VM.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
# One vCPU: with two, about one boot in 200 (scripts/boot-loop, testing.md)
# dies of an int3 oops from TCG while the kernel patches its own text,
# before any module is loaded; the rig's own checks need no second CPU.
vm() { "$top/scripts/vm" --cpus 1 "$@" >/dev/null 2>&1; }

expect_rc() { # rc vm-args...
	local want=$1 rc
	shift
	vm "$@" && rc=0 || rc=$?
	[ "$rc" -eq "$want" ] || die "scripts/vm $* exited $rc, want $want"
}

test_true() { expect_rc 0 -- true; }
test_false() { expect_rc 1 -- false; }
test_status() { expect_rc 7 -- sh -c 'exit 7'; }
test_lsmod() { expect_rc 0 --kernel "$1" -- sh -c 'lsmod | grep blkjob'; }
test_warn_fails() {
	expect_rc 125 -- insmod "build/6.12/tests/kmod/blkjob_test_warn.ko"
}
test_user_warning_ok() {
	expect_rc 0 -- sh -c 'echo "sha256sum: WARNING: 1 checksum did NOT match"'
}
# 300 records of 1000 bytes wrap the kernel's own 128 KiB buffer (6.12).
test_wrapped_log_fails() {
	expect_rc 125 --log-buf 0 -- sh -c 'l=$(printf "%01000d" 0)
		for i in $(seq 300); do echo "$l" >/dev/kmsg; done'
}
test_timeout() { expect_rc 124 --timeout 15 -- sleep 600; }
test_writable_tree() {
	local f=build/rig-$$
	rm -f "$f"
	expect_rc 0 -- sh -c "echo from-guest >$f" || return 1
	expect_eq "$(cat "$f" 2>/dev/null)" from-guest || return 1
	rm -f "$f"
}

cd "$top" || exit 1
ktap_plan 10
ktap_run "vm: true exits 0" test_true
ktap_run "vm: false exits 1" test_false
ktap_run "vm: exit status passes through" test_status
ktap_run "vm: blkjob loaded on 6.1" test_lsmod 6.1
ktap_run "vm: blkjob loaded on 6.12" test_lsmod 6.12
ktap_run "vm: a guest WARN fails the run" test_warn_fails
ktap_run "vm: a command's own WARNING output is not a kernel report" \
	test_user_warning_ok
ktap_run "vm: a kernel log that wrapped fails the run" test_wrapped_log_fails
ktap_run "vm: hard timeout" test_timeout
ktap_run "vm: source tree writable from the guest" test_writable_tree
ktap_finish
