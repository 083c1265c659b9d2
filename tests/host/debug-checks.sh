#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check-debug's kmemleak verdict (tests/debug/kernel-checks.sh) without
# the debug kernel: like debugfs files, proc files report size 0 whatever
# they hold, so a check of the size could never fail. The verdict must read
# the content: a size-0 file with content fails it, an empty one passes.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
BLKJOB_KERNEL_CHECKS_LIB=1 . "$top/tests/debug/kernel-checks.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

test_size0_with_content() {
	[ ! -s /proc/version ] || die "/proc/version has a size: pick another file"
	[ -n "$(cat /proc/version)" ] || die "/proc/version is empty"
	# What kmemleak prints, in a file of size 0 with content.
	! no_suspects /proc/version >/dev/null ||
		die "a size-0 file with content passed as no suspects"
}

test_empty() {
	: >"$tmp/empty"
	no_suspects "$tmp/empty" || die "an empty file failed"
}

ktap_plan 2
ktap_run "kmemleak verdict: a size-0 file with content fails" \
	test_size0_with_content
ktap_run "kmemleak verdict: an empty file passes" test_empty
ktap_finish
