#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Point-in-time backup of a mounted ext4 under a concurrent writer, through
# the blkjob dm target: the destination equals the source as it was when
# the job started (compared with a copy taken at that instant), and the
# device ends on its original mapping.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/live.sh"
trap live_cleanup EXIT
MB=32
SECTORS=$((MB * 2048))

snapshot() { dd if="$1" of="$2" iflag=direct bs=1M status=none; }

# Where the first difference is, for the log.
first_diff() {
	cmp "$1" "$2" 2>&1 | head -n 1
}

# Hold the writer and freeze the fs: nothing reaches the device until thaw.
quiesce() {
	writer_hold || return 1
	fsfreeze -f "$1"
}

thaw() {
	fsfreeze -u "$1"
	writer_release
}

backup_fs() {
	local how=$1 vol=bjb-$1 id=bk-$1 src dst mnt=$live_dir/mnt-$1 pid rc out
	src=$(mkloop $MB) && dst=$(mkloop $MB) || return 1
	"$ctl" -q wrap "$src" "$vol" || return 1
	live_dm "$vol"
	mkfs_mount "/dev/mapper/$vol" "$mnt" || return 1
	writer_start "$mnt" 200 0
	sleep 1
	quiesce "$mnt" || return 1
	snapshot "/dev/mapper/$vol" "$live_dir/snap" || return 1
	if [ "$how" = steps ]; then
		# Kept once concluded: on a slow kernel the 8 s job may be
		# over before wait starts.
		"$ctl" -q backup "/dev/mapper/$vol" "$dst" id "$id" \
			speed 4M auto-dismiss off || { thaw "$mnt"; return 1; }
		thaw "$mnt"
		"$ctl" wait "$id" || die "backup failed" || return 1
		"$ctl" dismiss "$id" || return 1
		echo "writes during the backup: $(wc -l <"$live_dir/manifest")"
		# Concluded: the target passes I/O to the source; retire it.
		[ "$(bj_status "$vol" | cut -d' ' -f1)" = source ] ||
			die "backup pivoted?" || return 1
		out=$("$ctl" restore "$vol") || return 1
		echo "$out"
	else
		"$ctl" backup "/dev/mapper/$vol" "$dst" id "$id" speed 4M wait \
			>"$live_dir/out" 2>&1 &
		pid=$!
		# Release the writer once the job exists, not before.
		for _ in $(seq 200); do
			"$ctl" -q show "$id" 2>/dev/null && break
			sleep 0.05
		done
		thaw "$mnt"
		wait $pid && rc=0 || rc=$?
		tr '\r' '\n' <"$live_dir/out" | grep -v '^\s*$' | tail -n 3
		expect_eq "$rc" 0 "blkjobctl backup ... wait" || return 1
		grep -q "original mapping restored" "$live_dir/out" ||
			die "not restored" || return 1
	fi
	expect_table "$vol" "$(pinned $SECTORS "$src")" || return 1
	expect_no_blkjob "$vol" || return 1
	writer_stop || return 1
	# The backup is the source as it was when the job started...
	cmp -n $((MB << 20)) "$live_dir/snap" "$dst" ||
		die "backup differs from the snapshot: $(first_diff "$live_dir/snap" "$dst")" ||
		return 1
	# ...while the source went on changing.
	! cmp -s "$live_dir/snap" "/dev/mapper/$vol" ||
		die "the source did not change during the backup" || return 1
	umount "$mnt" || return 1
	fsck.ext4 -fn "/dev/mapper/$vol" >/dev/null 2>&1 ||
		die "fsck of the source" || return 1
	mount -o ro "/dev/mapper/$vol" "$mnt" && verify_manifest &&
		umount "$mnt"
}

test_backup_steps() { backup_fs steps; }
test_backup_wait() { backup_fs wait; }

# A backup force-cancelled half way: the original mapping comes back.
test_backup_cancel() {
	local vol=bjb-cancel src dst out rc
	src=$(mkloop $MB) && dst=$(mkloop $MB) || return 1
	"$ctl" -q wrap "$src" "$vol" || return 1
	live_dm "$vol"
	"$ctl" -q backup "/dev/mapper/$vol" "$dst" id bk-c speed 1M \
		auto-dismiss off || return 1
	sleep 1
	"$ctl" cancel bk-c force || return 1
	out=$("$ctl" wait bk-c 2>&1) && rc=0 || rc=$?
	expect_eq "$rc" 1 "wait for a cancelled backup" || return 1
	grep -q "was cancelled" <<<"$out" || die "wait: $out" || return 1
	"$ctl" dismiss bk-c || return 1
	"$ctl" -q restore "$vol" || return 1
	expect_table "$vol" "$(pinned $SECTORS "$src")" || return 1
	expect_no_blkjob "$vol"
}

ktap_plan 3
ktap_run "backup under a writer, step by step, equals the source at job start" \
	test_backup_steps
ktap_run "backup ... wait under a writer restores the mapping, equals the source at job start" \
	test_backup_wait
ktap_run "cancelled backup: original mapping back" test_backup_cancel
ktap_finish
