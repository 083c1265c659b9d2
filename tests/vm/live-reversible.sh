#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A mirror with auto-finalize off is reversible until job-finalize
# (Documentation/blkjob/dm-target.md): job-complete pivots and the job
# pends with the old disk kept in sync; job-cancel goes back to it with
# nothing lost, job-finalize lets go of it; a recorded move's record
# follows (activation finds the device where it is); a source that fails
# while pending makes the move final, and a cancel then keeps the
# destination.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/live.sh"
trap live_cleanup EXIT
MB=32
SECTORS=$((MB * 2048))

# Direct reads, so no page cache stands between the comparison and the disk.
sum_dev() { dd if="$1" iflag=direct bs=1M count=$MB status=none | sha256sum | cut -c1-64; }

# The leg in NAME's target status: source, destination, destination+source.
leg() { bj_status "$1" | cut -d' ' -f1; }

# pend VOL DST ID [OPTS...]: 'mirror ... auto-finalize off wait complete'
# returns once the job pends, the device on DST with the source in sync.
pend() {
	local vol=$1 dst=$2 id=$3 out rc
	shift 3
	out=$("$ctl" mirror "/dev/mapper/$vol" "$dst" id "$id" "$@" \
		auto-finalize off wait complete 2>&1) && rc=0 || rc=$?
	tr '\r' '\n' <<<"$out" | grep -v '^\s*$' | tail -n 3
	expect_eq "$rc" 0 "mirror ... auto-finalize off wait complete" ||
		return 1
	grep -q "^$id: pending; $vol now runs on $dst, with .* kept in sync" <<<"$out" ||
		die "no 'pending; $vol now runs on $dst'" || return 1
	expect_eq "$(job_field "$id" status)" pending "job status" || return 1
	expect_eq "$(bj_status "$vol" | cut -d' ' -f1-3)" \
		"destination+source $id pending" "dm status while pending"
}

# The writer goes on while pending: at least 2 more files.
keep_writing() {
	local n0 n
	n0=$(wc -l <"$live_dir/manifest")
	for _ in $(seq 120); do
		sleep 0.5
		n=$(wc -l <"$live_dir/manifest")
		[ $((n - n0)) -lt 2 ] || break
	done
	echo "$((n - n0)) files written $1"
	[ $((n - n0)) -ge 2 ] || die "the writer did not write $1"
}

# Stop writes at a known point: nothing reaches the device while frozen.
quiesce() {
	writer_hold || return 1
	sync
	fsfreeze -f "$1"
}

thaw() {
	fsfreeze -u "$1"
	writer_release
}

# Every file as the writer last wrote it, read from VOL's disk after
# unmounting; fsck clean.
check_files() {
	local vol=$1 mnt=$2
	writer_stop || return 1
	umount "$mnt" || return 1
	fsck.ext4 -fn "/dev/mapper/$vol" >"$live_dir/fsck" 2>&1 ||
		{ cat "$live_dir/fsck"; die "fsck.ext4 -fn is not clean"; } ||
		return 1
	mount -o ro,noatime "/dev/mapper/$vol" "$mnt" || return 1
	verify_manifest || { umount "$mnt"; return 1; }
	umount "$mnt"
}

# ext4 under a writer; complete, pending, cancel: back on the source, which
# has every write made while pending.
test_cancel_goes_back() {
	local vol=bjr-c id=rc src dst mnt=$live_dir/mnt-c out rc sum
	src=$(mkloop $MB) && dst=$(mkloop $MB) || return 1
	"$ctl" -q wrap "$src" "$vol" || return 1
	live_dm "$vol"
	mkfs_mount "/dev/mapper/$vol" "$mnt" || return 1
	writer_start "$mnt" 100 0.02
	sleep 1
	pend "$vol" "$dst" "$id" || return 1
	expect_table "$vol" "$(pinned $SECTORS "$src") $(devno "$dst") hold 16384" ||
		return 1
	# Still attached: restore refuses without force.
	out=$("$ctl" restore "$vol" 2>&1) && rc=0 || rc=$?
	expect_eq "$rc" 1 "restore of a pending mirror" || return 1
	grep -q "job '$id' is pending on $vol" <<<"$out" ||
		die "message: $out" || return 1
	keep_writing "while pending" || return 1
	quiesce "$mnt" || return 1
	sum=$(sum_dev "$dst")
	expect_eq "$(sum_dev "$src")" "$sum" \
		"source vs destination while pending" || { thaw "$mnt"; return 1; }
	"$ctl" cancel "$id" || { thaw "$mnt"; return 1; }
	expect_eq "$(bj_status "$vol")" "source - - 0/0" "dm status after cancel" ||
		{ thaw "$mnt"; return 1; }
	expect_eq "$(sum_dev "/dev/mapper/$vol")" "$sum" "the device after cancel" ||
		{ thaw "$mnt"; return 1; }
	thaw "$mnt"
	keep_writing "after cancel" || return 1
	# Now the source alone: the destination keeps the moment of the cancel.
	expect_eq "$(sum_dev "$dst")" "$sum" "destination after cancel" ||
		return 1
	out=$("$ctl" -j restore "$vol") || return 1
	echo "$out"
	grep -q '"mapping":"original"' <<<"$out" ||
		die "restore did not map onto the source" || return 1
	expect_table "$vol" "$(pinned $SECTORS "$src")" || return 1
	expect_no_blkjob "$vol" || return 1
	check_files "$vol" "$mnt"
}

# Same, finalize: the device stays on the destination, the source is let go.
test_finalize_keeps_destination() {
	local vol=bjr-f id=rf src dst mnt=$live_dir/mnt-f out sum
	src=$(mkloop $MB) && dst=$(mkloop $MB) || return 1
	"$ctl" -q wrap "$src" "$vol" || return 1
	live_dm "$vol"
	mkfs_mount "/dev/mapper/$vol" "$mnt" || return 1
	writer_start "$mnt" 100 0.02
	sleep 1
	pend "$vol" "$dst" "$id" || return 1
	keep_writing "while pending" || return 1
	quiesce "$mnt" || return 1
	"$ctl" finalize "$id" || { thaw "$mnt"; return 1; }
	expect_eq "$(bj_status "$vol")" "destination - - 0/0" \
		"dm status after finalize" || { thaw "$mnt"; return 1; }
	sum=$(sum_dev "$src")
	expect_eq "$(sum_dev "$dst")" "$sum" "destination vs source at finalize" ||
		{ thaw "$mnt"; return 1; }
	thaw "$mnt"
	keep_writing "after finalize" || return 1
	sync
	expect_eq "$(sum_dev "$src")" "$sum" "the source after finalize" ||
		return 1
	out=$("$ctl" -j restore "$vol") || return 1
	echo "$out"
	grep -q '"mapping":"destination"' <<<"$out" ||
		die "restore did not map onto the destination" || return 1
	expect_table "$vol" "$(pinned $SECTORS "$dst")" || return 1
	expect_no_blkjob "$vol" || return 1
	check_files "$vol" "$mnt"
}

# A recorded move: pivoted while pending, "moving" again after the cancel
# (committed by the kernel before the source serves alone), so that
# activation after a crash right then maps the device onto the source.
test_recorded_cancel() {
	local m a d vol=bjr-m id=rm mnt=$live_dir/mnt-m out
	m=$(mkloop 4) && a=$(member bjr-ma $MB) && d=$(member bjr-md $MB) ||
		return 1
	"$ctl" -q meta format "$m" || return 1
	"$ctl" -q wrap "$a" "$vol" meta "$m" || return 1
	live_dm "$vol"
	mkfs_mount "/dev/mapper/$vol" "$mnt" || return 1
	writer_start "$mnt" 100 0.02
	sleep 1
	pend "$vol" "$d" "$id" || return 1
	expect_eq "$(show_field "$m" state)" pivoted "record while pending" ||
		return 1
	keep_writing "while pending" || return 1
	quiesce "$mnt" || return 1
	"$ctl" cancel "$id" || { thaw "$mnt"; return 1; }
	expect_eq "$(leg "$vol")" source "leg after cancel" ||
		{ thaw "$mnt"; return 1; }
	expect_eq "$(show_field "$m" state)" moving "record after cancel" ||
		{ thaw "$mnt"; return 1; }
	thaw "$mnt"
	writer_stop || return 1
	umount "$mnt" || return 1
	# As after a crash right after the cancel: the devices are gone,
	# activate finds the record and maps the device onto its source.
	dmsetup remove "$vol" || return 1
	out=$("$ctl" activate "$m") || return 1
	echo "$out"
	grep -q "^$vol: created" <<<"$out" || die "not created" || return 1
	expect_table "$vol" "$(pinned $SECTORS "$a")" || return 1
	fsck.ext4 -fn "/dev/mapper/$vol" >"$live_dir/fsck" 2>&1 ||
		{ cat "$live_dir/fsck"; die "fsck.ext4 -fn is not clean"; } ||
		return 1
	mount -o ro,noatime "/dev/mapper/$vol" "$mnt" || return 1
	verify_manifest || return 1
	umount "$mnt"
}

# The source disk fails while pending: the device goes on (the destination
# serves it), the job says the move cannot be undone, and a cancel keeps
# the destination.
test_stale_source_keeps_destination() {
	local s d vol=bjr-s id=rs mnt=$live_dir/mnt-s out
	s=$(member bjr-sa $MB) && d=$(mkloop $MB) || return 1
	"$ctl" -q wrap "$s" "$vol" || return 1
	live_dm "$vol"
	mkfs_mount "/dev/mapper/$vol" "$mnt" || return 1
	writer_start "$mnt" 100 0.02
	sleep 1
	pend "$vol" "$d" "$id" auto-dismiss off || return 1
	dmsetup suspend bjr-sa && dmsetup load bjr-sa --table "0 $SECTORS error" &&
		dmsetup resume bjr-sa || return 1
	keep_writing "with the source failed" || return 1
	expect_eq "$(bj_status "$vol" | cut -d' ' -f1-3)" \
		"destination $id pending" "dm status with a stale source" ||
		return 1
	out=$("$ctl" show "$id")
	echo "$out"
	grep -q 'error "source .* error -5: the move cannot be undone"' <<<"$out" ||
		die "the job's error does not say so" || return 1
	"$ctl" cancel "$id" || return 1
	expect_eq "$(bj_status "$vol")" "destination - - 0/0" \
		"dm status after cancel" || return 1
	out=$("$ctl" show "$id")
	echo "$out"
	grep -q 'error "source .* error -5: cancel keeps the destination"' <<<"$out" ||
		die "the job's error does not say the cancel kept the destination" ||
		return 1
	"$ctl" -q dismiss "$id" || return 1
	out=$("$ctl" -j restore "$vol") || return 1
	grep -q '"mapping":"destination"' <<<"$out" ||
		die "restore: $out" || return 1
	expect_table "$vol" "$(pinned $SECTORS "$d")" || return 1
	check_files "$vol" "$mnt"
}

# 'restore force' of a pending mirror cancels it: back on the source. So
# does a table reload by hand (the kernel aborts the pending job on dtr),
# which only a device that is not pinned takes: a linear one here.
test_restore_force_cancels() {
	local src dst vol=bjr-r id=rr out sum
	src=$(mkloop $MB) && dst=$(mkloop $MB) || return 1
	dmsetup create "$vol" --table "0 $SECTORS linear $(devno "$src") 0" ||
		return 1
	dmsetup mknodes "$vol"
	live_dm "$vol"
	dd if=/dev/urandom of="/dev/mapper/$vol" bs=1M count=$MB \
		oflag=direct status=none || return 1
	pend "$vol" "$dst" "$id" || return 1
	dd if=/dev/urandom of="/dev/mapper/$vol" bs=1M count=4 seek=8 \
		oflag=direct status=none || return 1
	sum=$(sum_dev "/dev/mapper/$vol")
	out=$("$ctl" restore "$vol" force) || return 1
	echo "$out"
	grep -q "original mapping restored" <<<"$out" ||
		die "restore force did not go back to the source" || return 1
	expect_table "$vol" "0 $SECTORS linear $(devno "$src") 0" || return 1
	expect_eq "$(sum_dev "/dev/mapper/$vol")" "$sum" "the device" ||
		return 1
	expect_eq "$(sum_dev "$dst")" "$sum" "the destination" || return 1

	pend "$vol" "$dst" "$id" || return 1
	dd if=/dev/urandom of="/dev/mapper/$vol" bs=1M count=4 seek=16 \
		oflag=direct status=none || return 1
	sum=$(sum_dev "/dev/mapper/$vol")
	dmsetup load "$vol" --table "0 $SECTORS linear $(devno "$src") 0" ||
		return 1
	# In the background, off the test's output pipe: a dtr that waits for
	# ever must fail the test, not hang it (the task cannot be killed).
	dmsetup resume "$vol" >"$live_dir/resume.out" 2>&1 </dev/null &
	for _ in $(seq 120); do
		kill -0 $! 2>/dev/null || break
		sleep 0.5
	done
	! kill -0 $! 2>/dev/null ||
		die "the table reload under a pending mirror did not finish" ||
		return 1
	wait $! || die "dmsetup resume failed" || return 1
	expect_eq "$(job_field "$id" status)" "" "the job after the reload" ||
		return 1
	expect_eq "$(sum_dev "$src")" "$sum" "the source after the reload" ||
		return 1
	"$ctl" -q restore "$vol" || return 1
	expect_no_blkjob "$vol"
}

ktap_plan 5
ktap_run "complete with auto-finalize off pends; cancel goes back to the source with every write" \
	test_cancel_goes_back
ktap_run "finalize keeps the destination and lets go of the source" \
	test_finalize_keeps_destination
ktap_run "a recorded move: pivoted while pending, moving after cancel, activated onto the source" \
	test_recorded_cancel
ktap_run "a source failing while pending: the move cannot be undone, cancel keeps the destination" \
	test_stale_source_keeps_destination
ktap_run "restore force, or a table reload, of a pending mirror cancels it" \
	test_restore_force_cancels
ktap_finish
