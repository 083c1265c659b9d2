#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Live mirror through the blkjob dm target, driven by blkjobctl: a mounted
# ext4 under a writer moves to another disk in both copy modes (with pause,
# resume and speed changes), write-blocking converges under a saturating
# writer, a soft cancel after ready leaves an exact copy, and plain devices.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/live.sh"
trap live_cleanup EXIT
MB=64
SECTORS=$((MB * 2048))

# Pause (paused, or standby if already ready), change the speed while
# paused (so the job cannot end under our feet), resume. A background
# job's offset is frozen while paused.
check_pause() {
	local id=$1 o1 o2 st
	"$ctl" pause "$id" || return 1
	for _ in $(seq 60); do
		st=$(job_field "$id" status)
		[ "$st" = paused ] || [ "$st" = standby ] && break
		sleep 0.5
	done
	[ "$st" = paused ] || [ "$st" = standby ] ||
		die "$id did not pause: $st" || return 1
	o1=$(job_field "$id" offset)
	sleep 1
	o2=$(job_field "$id" offset)
	echo "$st at offset $o1"
	[ "$2" = write-blocking ] || expect_eq "$o2" "$o1" "offset while paused" ||
		return 1
	check_speed "$id" 16M $((16 << 20)) || return 1
	check_speed "$id" 0 0 || return 1
	# Back to a limit: unlimited, the job could end (and be dismissed)
	# before it is seen resumed.
	check_speed "$id" 4M $((4 << 20)) || return 1
	"$ctl" resume "$id" || return 1
	expect_eq "$(job_field "$id" paused)" false "paused after resume"
}

check_speed() {
	"$ctl" set-speed "$1" "$2" || return 1
	expect_eq "$(job_field "$1" speed)" "$3" "speed after set-speed $2"
}

# After the move: fsck clean, every file as written, NAME pinned onto DST.
check_moved() {
	local vol=$1 dst=$2 mnt=$3
	writer_stop || return 1
	umount "$mnt" || return 1
	fsck.ext4 -fn "/dev/mapper/$vol" >"$live_dir/fsck" 2>&1 ||
		{ cat "$live_dir/fsck"; die "fsck.ext4 -fn is not clean"; } ||
		return 1
	mount -o ro,noatime "/dev/mapper/$vol" "$mnt" || return 1
	verify_manifest || return 1
	umount "$mnt" || return 1
	expect_table "$vol" "$(pinned $SECTORS "$dst")" || return 1
	expect_no_blkjob "$vol"
}

mirror_fs() {
	local mode=$1 vol=bjm-$1 id=mv-$1 src dst out pid rc
	local mnt=$live_dir/mnt-$1
	src=$(mkloop $MB) && dst=$(mkloop $MB) || return 1
	"$ctl" -q wrap "$src" "$vol" || return 1
	live_dm "$vol"
	expect_table "$vol" "$(pinned $SECTORS "$src")" || return 1
	mkfs_mount "/dev/mapper/$vol" "$mnt" || return 1
	writer_start "$mnt" 300 0.02
	sleep 1
	if [ "$mode" = background ]; then
		# Step by step, as an admin would.
		"$ctl" -q mirror "/dev/mapper/$vol" "$dst" id "$id" \
			copy-mode "$mode" speed 4M || return 1
		expect_table "$vol" "$(pinned $SECTORS "$src") $(devno "$dst") hold 16384" ||
			return 1
		check_reloads_refused "$vol" "$src" || return 1
		echo "status: $(bj_status "$vol")"
		[ "$(bj_status "$vol" | cut -d' ' -f1-2)" = "source $id" ] ||
			die "dm status does not show the job" || return 1
		check_pause "$id" "$mode" || return 1
		# Unlimited from here: re-copies are rate limited too, and a
		# writer on a fast (KVM) guest can dirty 4 MiB/s on its own, so
		# at 4M the mirror might never converge.
		check_speed "$id" 0 0 || return 1
		"$ctl" -q wait "$id" status ready timeout 120 ||
			die "not ready in 120 s" || return 1
		# The identity reaches DST at the pivot only: after a power
		# cut now, nothing would find the partial copy by UUID.
		cmp -n 8M "$dst" /dev/zero && [ -z "$(blkid -p -o value -s UUID "$dst")" ] ||
			die "DST has the filesystem before the pivot" || return 1
		"$ctl" complete "$id" || return 1
		# The job may be gone (auto-dismiss) by the time anyone asks:
		# 'restore ... wait' follows the target's status instead.
		out=$("$ctl" -j restore "$vol" wait) || return 1
		echo "$out"
		grep -q '"mapping":"destination"' <<<"$out" ||
			die "restore did not map onto the destination" ||
			return 1
	else
		# All in one command, changed from outside while it runs.
		"$ctl" mirror "/dev/mapper/$vol" "$dst" id "$id" \
			copy-mode "$mode" speed 4M wait complete \
			>"$live_dir/out" 2>&1 &
		pid=$!
		for _ in $(seq 100); do
			"$ctl" -q show "$id" 2>/dev/null && break
			sleep 0.1
		done
		check_pause "$id" "$mode" || return 1
		wait $pid && rc=0 || rc=$?
		tr '\r' '\n' <"$live_dir/out" | grep -v '^\s*$' | tail -n 4
		expect_eq "$rc" 0 "blkjobctl mirror ... wait complete" || return 1
		grep -q "now maps onto $dst" "$live_dir/out" ||
			die "no 'now maps onto'" || return 1
	fi
	check_moved "$vol" "$dst" "$mnt" || return 1
	# The old disk is free again.
	losetup -d "$src" || die "cannot detach the old disk $src"
}

test_mirror_background() { mirror_fs background; }
test_mirror_write_blocking() { mirror_fs write-blocking; }

# dd in a loop, O_DIRECT, 8 MiB at random places: as fast as the VM goes.
hammer_start() {
	head -c 8M /dev/urandom >"$live_dir/rand"
	rm -f "$live_dir/hstop"
	(
		while [ ! -e "$live_dir/hstop" ]; do
			dd if="$live_dir/rand" of="$1" bs=1M oflag=direct \
				conv=notrunc seek=$((RANDOM % (MB - 8))) \
				status=none || exit 1
		done
	) >"$live_dir/hammer.log" 2>&1 </dev/null &
	hammer_pid=$!
	echo "$hammer_pid" >"$live_dir/hammer.pid"
}

hammer_stop() {
	touch "$live_dir/hstop"
	wait "$hammer_pid"
	rm -f "$live_dir/hammer.pid"
}

# A move on wrapped device NAME over SRC: the reloads that would cancel it
# (another type's table, as 'lvchange --refresh' loads; a resize) are
# refused and the table stays (dm-target.md, "pinned").
check_reloads_refused() {
	local vol=$1 src=$2 t0 n
	t0=$(dmsetup table "$vol")
	n=$(dmesg | grep -c "can't replace immutable target type blkjob-pinned")
	! dmsetup reload "$vol" --table "0 $SECTORS linear $(devno "$src") 0" \
		2>/dev/null || die "a linear table was loaded" || return 1
	expect_eq "$(dmesg | grep -c "can't replace immutable target type blkjob-pinned")" \
		$((n + 1)) "dm's refusals of another type" || return 1
	n=$(dmesg | grep -c "A job is attached to this device")
	! dmsetup reload "$vol" --table "0 $((SECTORS / 2)) blkjob-pinned $(devno "$src")" \
		2>/dev/null || die "a resize was loaded" || return 1
	expect_eq "$(dmesg | grep -c "A job is attached to this device")" \
		$((n + 1)) "the kernel's refusals with a job attached" || return 1
	expect_table "$vol" "$t0"
}

# Soft cancel a ready mirror; once it has ended, retire the target.
cancel_and_restore() {
	"$ctl" cancel "$1" || return 1
	"$ctl" -q restore "$2" wait
}

test_saturated() {
	local vol=bjm-sat src dst t0 t1 rc
	src=$(mkloop $MB) && dst=$(mkloop $MB) || return 1
	"$ctl" -q wrap "$src" "$vol" || return 1
	live_dm "$vol"
	hammer_start "/dev/mapper/$vol"
	sleep 1
	t0=$(date +%s)
	"$ctl" -q mirror "/dev/mapper/$vol" "$dst" id sat-wb \
		copy-mode write-blocking || return 1
	"$ctl" -q wait sat-wb status ready timeout 120 && rc=0 || rc=1
	t1=$(date +%s)
	[ $rc -eq 0 ] || { hammer_stop; die "write-blocking not ready in 120 s under load"; } ||
		return 1
	echo "write-blocking: ready after $((t1 - t0)) s under a saturating writer"
	expect_eq "$(job_field sat-wb actively-synced)" true "actively-synced" ||
		{ hammer_stop; return 1; }
	# Converged means in sync: once the writer stops, a soft cancel leaves
	# the destination equal to the source.
	hammer_stop
	cancel_and_restore sat-wb "$vol" || return 1
	expect_eq "$(sum_dev "$dst")" "$(sum_dev "$src")" \
		"destination vs source after write-blocking under load" || return 1

	# Background under the same load: report whether it converges.
	hammer_start "/dev/mapper/$vol"
	sleep 1
	t0=$(date +%s)
	"$ctl" -q mirror "/dev/mapper/$vol" "$dst" id sat-bg \
		copy-mode background || { hammer_stop; return 1; }
	if "$ctl" -q wait sat-bg status ready timeout 20 2>/dev/null; then
		echo "background: converged after $(($(date +%s) - t0)) s under the same load"
	else
		echo "background: did not converge within 20 s under the same load ($(bj_status "$vol"))"
	fi
	# Switching to write-blocking makes it converge.
	"$ctl" change sat-bg copy-mode write-blocking ||
		{ hammer_stop; return 1; }
	"$ctl" -q wait sat-bg status ready timeout 120 ||
		{ hammer_stop; die "not ready after change to write-blocking"; } ||
		return 1
	echo "background -> write-blocking: ready $(($(date +%s) - t0)) s after start"
	hammer_stop
	cancel_and_restore sat-bg "$vol" || return 1
	expect_eq "$(sum_dev "$dst")" "$(sum_dev "$src")" \
		"destination vs source after background -> write-blocking" ||
		return 1
	expect_table "$vol" "$(pinned $SECTORS "$src")" || return 1
	expect_no_blkjob "$vol"
}

# Direct reads, so no page cache stands between the comparison and the disk.
sum_dev() { dd if="$1" iflag=direct bs=1M count=$MB status=none | sha256sum | cut -c1-64; }

test_soft_cancel() {
	local vol=bjm-sc src dst mnt=$live_dir/mnt-sc s_src s_dst s_after
	src=$(mkloop $MB) && dst=$(mkloop $MB) || return 1
	"$ctl" -q wrap "$src" "$vol" || return 1
	live_dm "$vol"
	mkfs_mount "/dev/mapper/$vol" "$mnt" || return 1
	writer_start "$mnt" 300 0.02
	sleep 1
	"$ctl" -q mirror "/dev/mapper/$vol" "$dst" id sc auto-dismiss off ||
		return 1
	sleep 1
	# Stop writes at a known point: nothing reaches the device while frozen.
	writer_hold || return 1
	sync
	fsfreeze -f "$mnt" || return 1
	"$ctl" -q wait sc status ready timeout 120 || die "not ready" ||
		{ fsfreeze -u "$mnt"; return 1; }
	"$ctl" cancel sc || { fsfreeze -u "$mnt"; return 1; }
	"$ctl" wait sc || die "soft cancel did not complete" ||
		{ fsfreeze -u "$mnt"; return 1; }
	"$ctl" dismiss sc || { fsfreeze -u "$mnt"; return 1; }
	[ "$(bj_status "$vol" | cut -d' ' -f1)" = source ] ||
		die "pivoted on soft cancel: $(bj_status "$vol")" || return 1
	s_src=$(sum_dev "/dev/mapper/$vol")
	s_dst=$(sum_dev "$dst")
	expect_eq "$s_dst" "$s_src" "destination vs source after soft cancel" ||
		{ fsfreeze -u "$mnt"; return 1; }
	expect_eq "$(sum_dev "$src")" "$s_src" "source disk" ||
		{ fsfreeze -u "$mnt"; return 1; }
	# The source keeps serving: thaw, write, read back.
	fsfreeze -u "$mnt" || return 1
	writer_release
	sleep 1
	head -c 1M /dev/urandom >"$live_dir/after"
	cp "$live_dir/after" "$mnt/after" && sync || die "cannot write" ||
		return 1
	echo 3 >/proc/sys/vm/drop_caches
	cmp "$live_dir/after" "$mnt/after" || die "read back differs" ||
		return 1
	# The destination stays the copy of the moment it converged.
	s_after=$(sum_dev "$dst")
	expect_eq "$s_after" "$s_dst" "destination after later writes" ||
		return 1
	"$ctl" -q restore "$vol" || return 1
	expect_table "$vol" "$(pinned $SECTORS "$src")" || return 1
	expect_no_blkjob "$vol" || return 1
	writer_stop || return 1
	umount "$mnt" || return 1
	fsck.ext4 -fn "/dev/mapper/$vol" >/dev/null 2>&1 || die "fsck" ||
		return 1
	mount -o ro "/dev/mapper/$vol" "$mnt" && verify_manifest &&
		umount "$mnt"
}

# A plain device nobody uses gets a temporary dm device; one in use is refused.
test_plain_devices() {
	local src dst out rc
	src=$(mkloop 16) && dst=$(mkloop 16) || return 1
	dd if=/dev/urandom of="$src" bs=1M count=16 oflag=direct status=none
	out=$("$ctl" mirror "$src" "$dst" id pl wait complete 2>&1) || {
		echo "$out"; return 1; }
	tr '\r' '\n' <<<"$out" | grep -v '^\s*$' | tail -n 2
	cmp "$src" "$dst" || die "plain mirror: copy differs" || return 1
	expect_no_blkjob "blkjob-$(basename "$src")" || return 1
	! dmsetup info "blkjob-$(basename "$src")" >/dev/null 2>&1 ||
		die "temporary device left" || return 1
	mkfs_mount "$src" "$live_dir/mnt-plain" || return 1
	out=$("$ctl" mirror "$src" "$dst" 2>&1) && rc=0 || rc=$?
	expect_eq "$rc" 1 "mirror of a mounted plain device" || return 1
	grep -q "plain device in use; put a dm device in front of it with 'blkjobctl wrap' next time" <<<"$out" ||
		die "message: $out" || return 1
	umount "$live_dir/mnt-plain"
}

test_wrap() {
	local d vol=bjm-wrap out rc
	d=$(mkloop 8) || return 1
	out=$("$ctl" -j wrap "$d" "$vol") || return 1
	live_dm "$vol"
	expect_eq "$out" "{\"command\":\"wrap\",\"device\":\"$vol\",\"source\":\"$d\"}" ||
		return 1
	expect_table "$vol" "$(pinned 16384 "$d")" || return 1
	[ -b "/dev/mapper/$vol" ] || die "no /dev/mapper/$vol" || return 1
	# Pinned for life: no other type's table, even with no job.
	! dmsetup reload "$vol" --table "0 16384 linear $(devno "$d") 0" \
		2>/dev/null || die "a linear table was loaded" || return 1
	out=$("$ctl" wrap "$d" "$vol" 2>&1) && rc=0 || rc=$?
	expect_eq "$rc" 1 "wrap onto an existing name" || return 1
	grep -q "^Error: device-mapper device $vol already exists.$" <<<"$out" ||
		die "message: $out" || return 1
	out=$("$ctl" wrap "$d" "$vol-2" 2>&1) && rc=0 || rc=$?
	expect_eq "$rc" 1 "wrap of a device in use" || return 1
	grep -q "is in use" <<<"$out" || die "message: $out" || return 1
	out=$("$ctl" restore "$vol") || return 1
	grep -q "nothing to do" <<<"$out" || die "restore: $out" || return 1
	dmsetup remove "$vol"
}

ktap_plan 6
ktap_run "wrap puts a pinned blkjob device in front of a disk" test_wrap
ktap_run "live mirror of a mounted ext4 under a writer, background, step by step" \
	test_mirror_background
ktap_run "live mirror of a mounted ext4 under a writer, write-blocking, wait complete" \
	test_mirror_write_blocking
ktap_run "write-blocking converges under a saturating writer" test_saturated
ktap_run "soft cancel after ready leaves an exact copy, the source keeps serving" \
	test_soft_cancel
ktap_run "plain devices: unused ones are mirrored, mounted ones refused" \
	test_plain_devices
ktap_finish
