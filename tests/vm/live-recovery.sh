#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Interrupted plumbing never leaves a device unusable: blkjobctl is killed
# (SIGKILL, through its BLKJOBCTL_TEST_KILL_AT hook) after each step of
# setting up and of retiring the blkjob target under a mounted ext4, and
# 'blkjobctl restore' brings the device back from what the dm tables say,
# with its data intact; a reload the kernel refuses is rolled back. First
# on a linear device (the helper keeps its table), then on the same device
# pinned, as 'wrap' makes it (no helper, a reload refused with a job on).
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/live.sh"
trap live_cleanup EXIT
MB=32
SECTORS=$((MB * 2048))
vol=bjr$$
mnt=$live_dir/mnt
# The disk the volume is on and the spare one. Tests run in subshells, so
# they live in files: a retire test swaps them.
disks() { read -r disk_a disk_b <"$live_dir/disks"; }
# The device's table at rest, on DEV: linear, or pinned once pin_vol ran.
home() {
	if [ -e "$live_dir/pinned" ]; then
		pinned $SECTORS "$1"
	else
		echo "0 $SECTORS linear $(devno "$1") 0"
	fi
}

# The filesystem works: what was written reads back, new writes land.
fs_ok() {
	local n
	echo 3 >/proc/sys/vm/drop_caches
	verify_manifest >/dev/null || return 1
	n=$(wc -l <"$live_dir/manifest")
	head -c 65536 /dev/urandom >"$live_dir/buf"
	dd if="$live_dir/buf" of="$mnt/new$n" bs=64k conv=fsync status=none ||
		die "cannot write to the filesystem" || return 1
	echo "$(sha256sum <"$live_dir/buf" | cut -d' ' -f1)  $mnt/new$n" \
		>>"$live_dir/manifest"
}

not_suspended() {
	dmsetup info "$vol" | grep -q '^State: *ACTIVE' ||
		die "$vol is not active: $(dmsetup info "$vol" | grep State)"
}

setup() {
	disk_a=$(mkloop $MB) && disk_b=$(mkloop $MB) || return 1
	echo "$disk_a $disk_b" >"$live_dir/disks"
	dmsetup create "$vol" --table "$(home "$disk_a")" || return 1
	live_dm "$vol"
	dmsetup mknodes "$vol"
	mkfs_mount "/dev/mapper/$vol" "$mnt" || return 1
	writer_start "$mnt" 50 0
	sleep 1
	writer_stop
}

# kill_at STEP ARGS...: blkjobctl ARGS dies of SIGKILL right after STEP.
kill_at() {
	local step=$1 rc
	shift
	BLKJOBCTL_TEST_KILL_AT=$step "$ctl" -q "$@" && rc=0 || rc=$?
	expect_eq "$rc" 137 "blkjobctl $* killed after $step"
}

# Killed while setting up: restore gives back the original mapping.
setup_step() {
	local step=$1 out rc disk_a disk_b
	disks
	kill_at "$step" mirror "/dev/mapper/$vol" "$disk_b" id r-$step \
		speed 1M || return 1
	case $step in
	helper)
		dmsetup info "$vol-blkjob-real" >/dev/null ||
			die "no helper after step helper" || return 1
		;;
	load)
		dmsetup info "$vol" | grep -q '^Tables present: *LIVE & INACTIVE' ||
			die "no inactive table after step load" || return 1
		# As if it died inside the resume's suspend, too.
		dmsetup suspend --nolockfs "$vol" || return 1
		;;
	resume)
		dmsetup table "$vol" | grep -q ' blkjob ' ||
			die "not through blkjob after step resume" || return 1
		;;
	job)
		"$ctl" -q show r-$step || die "no job after step job" ||
			return 1
		out=$("$ctl" restore "$vol" 2>&1) && rc=0 || rc=$?
		expect_eq "$rc" 1 "restore with a running job" || return 1
		grep -q "job 'r-job' is still .* use 'restore $vol force'" <<<"$out" ||
			die "message: $out" || return 1
		;;
	esac
	echo "after $step: $(dmsetup ls | grep -c "$vol") device(s), $(dmsetup table "$vol")"
	"$ctl" -q restore "$vol" force || return 1
	expect_table "$vol" "$(home "$disk_a")" || return 1
	expect_no_blkjob "$vol" || return 1
	not_suspended || return 1
	fs_ok || return 1
	# Twice is harmless.
	out=$("$ctl" -j restore "$vol") || return 1
	expect_eq "$out" "{\"command\":\"restore\",\"device\":\"$vol\",\"mapping\":\"unchanged\"}"
}

# Killed while retiring a completed mirror: restore maps onto the new disk.
retire_step() {
	local step=$1 disk_a disk_b
	disks
	kill_at "$step" mirror "/dev/mapper/$vol" "$disk_b" id r-$step \
		wait complete || return 1
	echo "after $step: $(dmsetup table "$vol")"
	"$ctl" -q restore "$vol" || return 1
	expect_table "$vol" "$(home "$disk_b")" || return 1
	expect_no_blkjob "$vol" || return 1
	not_suspended || return 1
	fs_ok || return 1
	# Next round goes the other way.
	echo "$disk_b $disk_a" >"$live_dir/disks"
}

# A destination with 4 KiB logical blocks under a 512-byte source: refused
# before anything changes, saying why; and without that check (a test
# hook), the kernel refuses the table, its reason is carried back, and the
# device is rolled back at once, nothing left behind.
refused_reload() {
	local big out rc disk_a disk_b
	disks
	big=$(mkloop $MB 4096) || return 1
	out=$("$ctl" mirror "/dev/mapper/$vol" "$big" 2>&1) && rc=0 || rc=$?
	echo "$out"
	expect_eq "$rc" 1 "mirror onto a 4K-sector disk" || return 1
	grep -q "^Error: $big has 4096-byte logical blocks, larger than .*'s 512 bytes" <<<"$out" ||
		die "message" || return 1
	expect_table "$vol" "$(home "$disk_a")" || return 1
	out=$(BLKJOBCTL_TEST_NO_PRECHECK=1 "$ctl" mirror "/dev/mapper/$vol" "$big" 2>&1) &&
		rc=0 || rc=$?
	echo "$out"
	expect_eq "$rc" 1 "mirror onto a 4K-sector disk, unchecked" || return 1
	grep -q "^Error: $vol: the kernel refused the blkjob table: blkjob-pinned: Destination logical block size exceeds the source's" <<<"$out" ||
		die "message" || return 1
	expect_table "$vol" "$(home "$disk_a")" || return 1
	expect_no_blkjob "$vol" || return 1
	fs_ok
}

# The mounted device becomes what 'wrap' makes: blkjob-pinned on its disk.
pin_vol() {
	local disk_a disk_b
	disks
	touch "$live_dir/pinned"
	dmsetup load "$vol" --table "$(home "$disk_a")" &&
		dmsetup resume "$vol" || return 1
	expect_table "$vol" "$(home "$disk_a")"
}

final_fsck() {
	umount "$mnt" || return 1
	fsck.ext4 -fn "/dev/mapper/$vol" >"$live_dir/fsck" 2>&1 ||
		{ cat "$live_dir/fsck"; die "not clean"; }
}

ktap_plan 10
setup || { echo "Bail out! setup failed"; exit 1; }
for s in helper load resume job; do
	ktap_run "killed after setup step '$s': restore brings the device back" \
		setup_step "$s"
done
pin_vol || { echo "Bail out! cannot pin $vol"; exit 1; }
for s in load job; do
	ktap_run "pinned, killed after setup step '$s': restore brings it back" \
		setup_step "$s"
done
for s in retire-load retire-resume; do
	ktap_run "killed after retire step '$s': restore maps onto the new disk" \
		retire_step "$s"
done
ktap_run "a reload the kernel refuses is rolled back" refused_reload
ktap_run "the filesystem is clean after all of it" final_fsck
ktap_finish
