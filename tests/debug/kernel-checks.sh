#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The debug kernel's own verdicts at the end of the VM suite (make
# check-debug): kmemleak finds nothing blkjob leaked, once blkjob.ko is
# unloaded, and every run of blkjob's KUnit suites in the kernel log (at
# boot and at each reload by the tests) passed. KASAN, lockdep and the
# other reports need no test here: scripts/vm fails the run on them.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
kml=/sys/kernel/debug/kmemleak
boot=/tmp/blkjob-debug/kmemleak-boot

test_kmemleak_on() {
	[ -r "$kml" ] || die "no $kml: kernel without kmemleak, or no debugfs"
	echo scan >"$kml" || die "kmemleak does not scan (disabled?)"
	[ -f "$boot" ] || die "no record of the boot's suspects"
}

test_no_leak_at_boot() {
	! grep -q blkjob "$boot" || {
		echo "blkjob in kmemleak's suspects at boot:"
		cat "$boot"
		return 1
	}
}

test_no_leak() {
	if [ -d /sys/module/blkjob ]; then
		rmmod blkjob || die "rmmod blkjob failed"
	fi
	# Objects younger than 5 s are never reported; a second scan drops
	# pointers that were only in flight during the first.
	sleep 6
	echo scan >"$kml" && echo scan >"$kml" || die "kmemleak scan failed"
	no_suspects "$kml"
}

# no_suspects FILE: fails, listing them, when kmemleak's FILE names any
# suspect. debugfs files have size 0 whatever they hold ([ -s ] is always
# false): read them. tests/host/debug-checks.sh tries it on a proc file.
no_suspects() {
	local leaks
	leaks=$(cat "$1") || die "cannot read $1" || return 1
	[ -z "$leaks" ] || {
		echo "kmemleak: $(echo "$leaks" | grep -c '^unreferenced object') suspected leaks:"
		echo "$leaks" | head -n 200
		return 1
	}
}

test_kunit_log() {
	local runs
	runs=$(dmesg | grep -cE '^\[[ 0-9.]+\] +ok [0-9]+ blkjob-(job|ratelimit)$')
	echo "$runs passing suite runs in the kernel log"
	if dmesg | grep -E '^\[[ 0-9.]+\] +not ok [0-9]+ '; then
		dmesg | grep -E -B3 'EXPECTATION FAILED|ASSERTION FAILED' | head -n 60
		return 1
	fi
	[ "$runs" -gt 0 ] || die "no run of blkjob's KUnit suites in the kernel log"
}

# Sourced by a test of its functions: define them only.
[ -n "${BLKJOB_KERNEL_CHECKS_LIB:-}" ] && return 0

ktap_plan 4
ktap_run "kmemleak is on" test_kmemleak_on
ktap_run "no kmemleak suspect from blkjob at boot" test_no_leak_at_boot
ktap_run "no kmemleak suspect after the suite and rmmod blkjob" test_no_leak
ktap_run "every KUnit run in the kernel log passed" test_kunit_log
ktap_finish
