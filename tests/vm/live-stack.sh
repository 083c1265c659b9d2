#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A mirror takes a dm device whose table maps one device linearly, and goes
# beneath one whose targets present their device's bytes as stored (crypt:
# live-beneath.sh). Any other would move what the target presents and pivot
# to a linear map, dropping the layer, or lose its state. Refused before
# anything changes: the message names the device and the target, the table
# is as it was, no helper device, the destination untouched and free.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/live.sh"
trap live_cleanup EXIT

# refused NAME TABLE WANT: create NAME with TABLE; mirroring it fails with
# a message containing WANT and changes nothing.
refused() {
	local name=$1 table=$2 want=$3 dst out rc before
	dst=$(mkloop 16) || return 1
	dd if=/dev/urandom of="$dst" bs=1M count=16 oflag=direct status=none
	before=$(sha256sum <"$dst")
	dmsetup create "$name" --table "$table" || return 1
	live_dm "$name"
	dmsetup mknodes "$name"
	out=$("$ctl" mirror "/dev/mapper/$name" "$dst" id "st-$name" 2>&1) &&
		rc=0 || rc=$?
	echo "$out"
	expect_eq "$rc" 1 "exit status" || return 1
	grep -qF -- "$want" <<<"$out" || die "message lacks '$want'"
	grep -qF -- "$name: " <<<"$out" || die "message lacks the device"
	expect_table "$name" "$table" || return 1
	expect_no_blkjob "$name" || return 1
	! "$ctl" show "st-$name" >/dev/null 2>&1 || die "a job was created"
	expect_eq "$(sha256sum <"$dst")" "$before" "destination" || return 1
	[ -z "$(ls "/sys/class/block/$(basename "$dst")/holders")" ] ||
		die "destination held: $(ls "/sys/class/block/$(basename "$dst")/holders")"
}

# One device under a target that keeps state about it elsewhere.
test_single_device_target() {
	local d
	d=$(mkloop 16) || return 1
	refused bjs-origin "0 32768 snapshot-origin $(devno "$d")" \
		"'snapshot-origin' target"
}

test_striped() {
	local a b
	a=$(mkloop 8) && b=$(mkloop 8) || return 1
	refused bjs-striped "0 32768 striped 2 128 $(devno "$a") 0 $(devno "$b") 0" \
		"'striped' target"
}

test_two_devices() {
	local a b
	a=$(mkloop 8) && b=$(mkloop 8) || return 1
	refused bjs-span "0 16384 linear $(devno "$a") 0
16384 16384 linear $(devno "$b") 0" "spans several devices"
}

# Linear in two segments of one device: moved, byte for byte.
test_segments_one_device() {
	local d dst
	d=$(mkloop 16) && dst=$(mkloop 16) || return 1
	dd if=/dev/urandom of="$d" bs=1M count=16 oflag=direct status=none
	dmsetup create bjs-seg --table "0 16384 linear $(devno "$d") 16384
16384 16384 linear $(devno "$d") 0" || return 1
	live_dm bjs-seg
	dmsetup mknodes bjs-seg
	"$ctl" -q mirror /dev/mapper/bjs-seg "$dst" id st-seg wait complete ||
		return 1
	expect_table bjs-seg "0 32768 linear $(devno "$dst") 0" || return 1
	cmp /dev/mapper/bjs-seg "$dst" || die "the device does not show DST"
	cmp <(dd if="$d" bs=1M skip=8 count=8 status=none) \
		<(dd if="$dst" bs=1M count=8 status=none) ||
		die "first segment differs"
	cmp <(dd if="$d" bs=1M count=8 status=none) \
		<(dd if="$dst" bs=1M skip=8 count=8 status=none) ||
		die "second segment differs"
}

ktap_plan 4
ktap_run "mirror refuses a stateful single-device target (snapshot-origin)" \
	test_single_device_target
ktap_run "mirror refuses a striped table" test_striped
ktap_run "mirror refuses a table that spans two devices" test_two_devices
ktap_run "mirror moves linear segments of one device" test_segments_one_device
ktap_finish
