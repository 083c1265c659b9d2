#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Documentation/blkjob/examples/live-move.c, built on libblkjob.so.0 into
# build/examples/ (tests/vm/Makefile), moves a mounted ext4 under a writer
# onto another disk: it says each step, the device ends on the new disk,
# every file and fsck check out, and a bad destination fails cleanly.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/live.sh"
trap live_cleanup EXIT

example=$top/build/examples/live-move
MB=64
SECTORS=$((MB * 2048))

test_move() {
	local vol=bjex src dst mnt=$live_dir/mnt out rc
	src=$(mkloop $MB) && dst=$(mkloop $MB) || return 1
	"$ctl" -q wrap "$src" "$vol" || return 1
	live_dm "$vol"
	mkfs_mount "/dev/mapper/$vol" "$mnt" || return 1
	writer_start "$mnt" 200 0.02
	sleep 1
	out=$("$example" "/dev/mapper/$vol" "$dst" 2>&1) && rc=0 || rc=$?
	writer_stop || return 1
	grep -v '^live-move: running' <<<"$out"
	expect_eq "$rc" 0 "live-move" || return 1
	grep -qx "\[step\] $vol: now maps through blkjob onto its disk and $dst" \
		<<<"$out" || die "no step notice for the start" || return 1
	# Ready with all of it copied (the mirror counts what it copies
	# before the pivot: the device less the held identity).
	grep -Eqx 'live-move: ready ([0-9]+)/\1' <<<"$out" ||
		die "never reported ready" || return 1
	grep -qx "$vol: destination" <<<"$out" || die "mapping" || return 1
	expect_table "$vol" "$(pinned $SECTORS "$dst")" || return 1
	verify_manifest || return 1
	umount "$mnt" || return 1
	fsck.ext4 -fn "/dev/mapper/$vol" >/dev/null || die "fsck"
}

test_refused() {
	local vol=bjex2 src small out rc
	src=$(mkloop $MB) && small=$(mkloop 8) || return 1
	"$ctl" -q wrap "$src" "$vol" || return 1
	live_dm "$vol"
	out=$("$example" "/dev/mapper/$vol" "$small" 2>&1) && rc=0 || rc=$?
	echo "$out"
	expect_eq "$rc" 1 "live-move onto a smaller disk" || return 1
	grep -q "^\[error\] $small is smaller than $vol" <<<"$out" ||
		die "no error notice" || return 1
	expect_table "$vol" "$(pinned $SECTORS "$src")"
}

ktap_plan 2
if [ ! -x "$example" ]; then
	ktap_skip "the example program moves a mounted filesystem" "no $example (make tests)"
	ktap_skip "the example program fails cleanly on a small disk" "no $example"
	ktap_finish
fi
ktap_run "the example program moves a mounted filesystem" test_move
ktap_run "the example program fails cleanly on a small disk" test_refused
ktap_finish
