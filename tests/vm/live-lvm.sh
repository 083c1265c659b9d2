#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# An LVM logical volume (lvm2 from the host) with a mounted ext4 under a
# writer, moved live onto another disk with 'blkjobctl mirror ... complete'.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/live.sh"
vg=bjvg$$
lvm_cleanup() {
	writer_stop >/dev/null 2>&1
	umount "$live_dir/mnt-lvm" 2>/dev/null
	dmsetup remove "$vg-lv" 2>/dev/null
	vgremove -f "$vg" >/dev/null 2>&1
	live_cleanup
}
trap lvm_cleanup EXIT

lvm_sandbox

test_lvm_move() {
	local pv dst mnt=$live_dir/mnt-lvm lvdev out rc size
	pv=$(mkloop 64) && dst=$(mkloop 64) || return 1
	pvcreate -q "$pv" >/dev/null || return 1
	vgcreate -q "$vg" "$pv" >/dev/null || return 1
	lvcreate -q -y -L 48M -n lv "$vg" >/dev/null || return 1
	lvdev=/dev/$vg/lv
	[ -b "$lvdev" ] || die "no $lvdev" || return 1
	size=$(blockdev --getsz "$lvdev")
	echo "$vg/lv: $(dmsetup table "$vg-lv")"
	mkfs_mount "$lvdev" "$mnt" || return 1
	writer_start "$mnt" 200 0.02
	sleep 1
	# Refused unless the user accepts that LVM's metadata stays behind.
	out=$("$ctl" mirror "$lvdev" "$dst" id lvmove 2>&1) && rc=0 || rc=$?
	expect_eq "$rc" 1 "blkjobctl mirror $lvdev without below-lvm" ||
		return 1
	grep -q "is an LVM logical volume: .* Mirror $pv instead .* add 'below-lvm'" <<<"$out" ||
		die "message: $out" || return 1
	expect_table "$vg-lv" "0 $size linear $(devno "$pv") 2048" || return 1
	"$ctl" mirror "$lvdev" "$dst" id lvmove wait complete below-lvm \
		>"$live_dir/out" 2>&1 && rc=0 || rc=$?
	tr '\r' '\n' <"$live_dir/out" | grep -v '^\s*$' | tail -n 4
	expect_eq "$rc" 0 "blkjobctl mirror $lvdev $dst wait complete below-lvm" ||
		return 1
	grep -q "^Warning: LVM's metadata still places $vg-lv on its old disk" \
		"$live_dir/out" || die "no warning about LVM's metadata" ||
		return 1
	writer_stop || return 1
	echo "$vg/lv now: $(dmsetup table "$vg-lv")"
	expect_table "$vg-lv" "0 $size linear $(devno "$dst") 0" || return 1
	expect_no_blkjob "$vg-lv" || return 1
	# The LV's dm device keeps its identity: same name, same uuid.
	dmsetup info -c --noheadings -o uuid "$vg-lv" | grep -q '^LVM-' ||
		die "lost its LVM uuid" || return 1
	umount "$mnt" || return 1
	fsck.ext4 -fn "$lvdev" >/dev/null 2>&1 || die "fsck not clean" ||
		return 1
	mount -o ro "$lvdev" "$mnt" && verify_manifest && umount "$mnt" ||
		return 1
	# The old PV is no longer under the LV.
	! dmsetup deps "$vg-lv" | grep -q "($(devno "$pv" | sed 's/:/, /'))" ||
		die "still on the old PV" || return 1
	lvs --noheadings -o lv_name "$vg" | grep -q lv ||
		die "lvs no longer lists the LV"
}

ktap_plan 1
if ! command -v lvcreate >/dev/null; then
	ktap_skip "LVM LV moved live onto another disk" "no lvm2"
else
	ktap_run "LVM LV moved live onto another disk" test_lvm_move
fi
ktap_finish
