#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The metadata device (Documentation/blkjob/metadata.md): refused when it
# is not one (zeroed, foreign, damaged), a torn commit falls back to the
# previous generation, a wrapped device is recorded and activate brings it
# back (idempotently), and a recorded mirror commits its pivot so that
# activate maps the device onto the destination afterwards.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/live.sh"
trap live_cleanup EXIT

# refused_show METADEV WANT: meta show fails, saying WANT.
refused_show() {
	local out rc
	out=$("$ctl" meta show "$1" 2>&1) && rc=0 || rc=$?
	echo "$out"
	expect_eq "$rc" 1 "exit status of meta show" || return 1
	grep -qF -- "$2" <<<"$out" || die "message lacks '$2'"
}

test_zeroed_and_foreign_refused() {
	local m out rc
	m=$(mkloop 4) || return 1
	refused_show "$m" "Not a blkjob metadata device" || return 1
	mkfs.ext4 -q -F "$m" || return 1
	refused_show "$m" "Not a blkjob metadata device" || return 1
	out=$("$ctl" meta format "$m" 2>&1) && rc=0 || rc=$?
	echo "$out"
	expect_eq "$rc" 1 "format over ext4 without force" || return 1
	grep -qF "carries a ext4 signature" <<<"$out" || die "message: $out"
	# Nothing was written: still ext4.
	expect_eq "$(blkid -p -s TYPE -o value "$m")" ext4 "type"
}

test_format() {
	local m out rc
	m=$(mkloop 4) || return 1
	"$ctl" meta format "$m" || return 1
	expect_eq "$(show_field "$m" generation)" 1 "generation" || return 1
	expect_eq "$(show_field "$m" nr-devs)" 0 "devices" || return 1
	expect_eq "$(show_field "$m" capacity)" 128 "capacity" || return 1
	out=$("$ctl" meta format "$m" 2>&1) && rc=0 || rc=$?
	expect_eq "$rc" 1 "second format without force" || return 1
	grep -qF "already a blkjob metadata device" <<<"$out" ||
		die "message: $out"
	"$ctl" -q meta format "$m" force || return 1
	expect_eq "$(show_field "$m" generation)" 1 "generation" || return 1
}

test_too_small_refused() {
	local f m out rc
	f=$(mktemp "$live_dir/small.XXXX")
	truncate -s 512K "$f"
	m=$(losetup -f --show "$f") || return 1
	echo "$m" >>"$live_dir/loops"
	out=$("$ctl" meta format "$m" 2>&1) && rc=0 || rc=$?
	echo "$out"
	expect_eq "$rc" 1 "exit status" || return 1
	grep -qF "at least 1 MiB" <<<"$out" || die "message lacks the reason"
}

# Two wraps: generations 2 and 3. Slot 1 (block 2) holds generation 3.
test_torn_slot_falls_back() {
	local m a b
	m=$(mkloop 4) && a=$(member bjm-ta 8) && b=$(member bjm-tb 8) ||
		return 1
	"$ctl" -q meta format "$m" || return 1
	"$ctl" -q wrap "$a" bjm-wa meta "$m" || return 1
	live_dm bjm-wa
	"$ctl" -q wrap "$b" bjm-wb meta "$m" || return 1
	live_dm bjm-wb
	expect_eq "$(show_field "$m" generation)" 3 "generation" || return 1
	expect_eq "$(show_field "$m" nr-devs)" 2 "devices" || return 1
	# A torn write of the newest slot: half of it new, half garbage.
	dd if=/dev/urandom of="$m" bs=2048 count=1 seek=$((2 * 2 + 1)) \
		conv=notrunc oflag=direct status=none || return 1
	expect_eq "$(show_field "$m" generation)" 2 "generation after the tear" ||
		return 1
	expect_eq "$(show_field "$m" nr-devs)" 1 "devices after the tear" ||
		return 1
	expect_eq "$(show_field "$m" name)" bjm-wa "the surviving record" ||
		return 1
	# Both slots gone: refused, not guessed.
	dd if=/dev/zero of="$m" bs=4096 count=1 seek=1 conv=notrunc \
		oflag=direct status=none || return 1
	refused_show "$m" "no valid superblock slot" || return 1
	# A damaged label is refused too.
	dd if=/dev/urandom of="$m" bs=1 count=4 seek=100 conv=notrunc \
		status=none || return 1
	refused_show "$m" "label is damaged"
}

# A bad record table (its slot intact) fails the slot's table checksum.
test_torn_table_falls_back() {
	local m a b
	m=$(mkloop 4) && a=$(member bjm-ua 8) && b=$(member bjm-ub 8) ||
		return 1
	"$ctl" -q meta format "$m" || return 1
	"$ctl" -q wrap "$a" bjm-xa meta "$m" || return 1
	live_dm bjm-xa
	"$ctl" -q wrap "$b" bjm-xb meta "$m" || return 1
	live_dm bjm-xb
	# Generation 3 uses table 1, blocks 19-34: its first record.
	dd if=/dev/urandom of="$m" bs=512 count=1 seek=$((19 * 8)) \
		conv=notrunc oflag=direct status=none || return 1
	expect_eq "$(show_field "$m" generation)" 2 "generation" || return 1
	expect_eq "$(show_field "$m" nr-devs)" 1 "devices"
}

test_wrap_records_and_activate() {
	local m a uuid out
	m=$(mkloop 4) && a=$(member bjm-aa 8) || return 1
	"$ctl" -q meta format "$m" || return 1
	dd if=/dev/urandom of="$a" bs=1M count=8 oflag=direct status=none
	"$ctl" wrap "$a" bjm-wc meta "$m" || return 1
	live_dm bjm-wc
	uuid=$(dmsetup info -c --noheadings -o uuid bjm-wc)
	expect_eq "$(show_field "$m" dm-uuid)" "$uuid" "recorded uuid" ||
		return 1
	expect_eq "$(show_field "$m" source-id)" "dm-uuid:TEST-bjm-aa" \
		"recorded identity" || return 1
	expect_eq "$(show_field "$m" state)" source "state" || return 1
	out=$("$ctl" activate "$m") || return 1
	echo "$out"
	grep -q "^bjm-wc: unchanged" <<<"$out" || die "not unchanged"
	# As after a reboot: gone, then back with its name, uuid and table.
	dmsetup remove bjm-wc || return 1
	out=$("$ctl" activate) || return 1
	echo "$out"
	grep -q "^bjm-wc: created" <<<"$out" || die "not created"
	expect_eq "$(dmsetup info -c --noheadings -o uuid bjm-wc)" "$uuid" \
		"uuid" || return 1
	expect_table bjm-wc "$(pinned 16384 "$a")" || return 1
	cmp "$a" /dev/mapper/bjm-wc || die "data differs"
}

test_activate_refuses_missing_member() {
	local m a out rc
	m=$(mkloop 4) && a=$(member bjm-ma 8) || return 1
	"$ctl" -q meta format "$m" || return 1
	"$ctl" -q wrap "$a" bjm-wm meta "$m" || return 1
	dmsetup remove bjm-wm bjm-ma || return 1
	out=$("$ctl" activate "$m" 2>&1) && rc=0 || rc=$?
	echo "$out"
	expect_eq "$rc" 1 "exit status" || return 1
	grep -qF "dm-uuid:TEST-bjm-ma: no such device" <<<"$out" ||
		die "message lacks the identity"
	! dmsetup info bjm-wm >/dev/null 2>&1 || die "created anyway"
}

# A recorded mirror under a writer: the pivot is committed; activate then
# maps the device onto the destination.
test_recorded_mirror_pivots() {
	local m a d out
	m=$(mkloop 4) && a=$(member bjm-ma2 64) && d=$(member bjm-md2 64) ||
		return 1
	"$ctl" -q meta format "$m" || return 1
	"$ctl" -q wrap "$a" bjm-wp meta "$m" || return 1
	live_dm bjm-wp
	mkfs_mount /dev/mapper/bjm-wp "$live_dir/mnt-p" || return 1
	writer_start "$live_dir/mnt-p" 100
	out=$("$ctl" mirror /dev/mapper/bjm-wp "$d" id bjm-p wait complete) ||
		{ echo "$out"; return 1; }
	echo "$out"
	grep -qF "move to $d recorded on $m" <<<"$out" || die "not recorded"
	writer_stop || return 1
	grep -qF "bjm-wp: the old disk's ext4 signature erased" <<<"$out" ||
		die "no wipe reported"
	grep -qF "bjm-wp: the old disk is retired" <<<"$out" ||
		die "not retired"
	expect_eq "$(show_field "$m" state)" retired "state" || return 1
	expect_eq "$(show_field "$m" dest-id)" "dm-uuid:TEST-bjm-md2" \
		"destination identity" || return 1
	expect_eq "$(show_field "$m" generation)" 5 \
		"generations: format, wrap, moving, pivoted, retired" || return 1
	# The old copy is no longer found by its UUID; the new one is.
	expect_eq "$(blkid -p -s UUID -o value "$a")" "" "old disk's UUID" ||
		return 1
	[ -n "$(blkid -p -s UUID -o value "$d")" ] || die "new disk's UUID"
	verify_manifest || return 1
	umount "$live_dir/mnt-p" || return 1
	dmsetup remove bjm-wp || return 1
	out=$("$ctl" activate "$m") || return 1
	echo "$out"
	expect_table bjm-wp "$(pinned 131072 "$d")" || return 1
	fsck.ext4 -fn /dev/mapper/bjm-wp || die "fsck"
}

# Cancelled: back on the source, and the record says so.
test_recorded_mirror_cancelled() {
	local m a d
	m=$(mkloop 4) && a=$(member bjm-ca 16) && d=$(member bjm-cd 16) ||
		return 1
	"$ctl" -q meta format "$m" || return 1
	"$ctl" -q wrap "$a" bjm-wq meta "$m" || return 1
	live_dm bjm-wq
	"$ctl" -q mirror /dev/mapper/bjm-wq "$d" id bjm-q || return 1
	expect_eq "$(show_field "$m" state)" moving "state while moving" ||
		return 1
	dmsetup table bjm-wq | grep -q " meta $(devno "$m") hold 16384\$" ||
		die "the blkjob table does not name the metadata device"
	"$ctl" -q wait bjm-q status ready timeout 60 || return 1
	"$ctl" -q cancel bjm-q || return 1
	"$ctl" -q restore bjm-wq wait || return 1
	expect_table bjm-wq "$(pinned 32768 "$a")" || return 1
	expect_eq "$(show_field "$m" state)" source "state" || return 1
	expect_eq "$(show_field "$m" dest-id)" "" "destination" || return 1
}

# The kernel takes a recorded move's table only while the record says
# "moving", for a device of the recorded size.
test_target_needs_moving_record() {
	local m a d out rc
	m=$(mkloop 4) && a=$(member bjm-ka 8) && d=$(member bjm-kd 8) ||
		return 1
	"$ctl" -q meta format "$m" || return 1
	out=$(dmsetup create bjm-k --uuid BLKJOB-test-k --table \
		"0 16384 blkjob $(devno "$a") $(devno "$d") meta $(devno "$m")" 2>&1) &&
		rc=0 || rc=$?
	echo "$out"
	live_dm bjm-k
	[ "$rc" -ne 0 ] || die "a table without a record was taken"
	dmesg | tail -n 5 | grep -qF "has no record of this device" ||
		die "dmesg lacks the reason"
	! dmsetup table bjm-k 2>/dev/null | grep -q blkjob ||
		die "the table is live"
	dmsetup remove bjm-k 2>/dev/null
	# Recorded, but not moving: refused too.
	"$ctl" -q wrap "$a" bjm-kw meta "$m" || return 1
	live_dm bjm-kw
	dmsetup suspend bjm-kw || return 1
	out=$(dmsetup load bjm-kw --table \
		"0 16384 blkjob-pinned $(devno "$a") $(devno "$d") meta $(devno "$m")" 2>&1) &&
		rc=0 || rc=$?
	dmsetup resume bjm-kw
	echo "$out"
	[ "$rc" -ne 0 ] || die "a table over a record in state source was taken"
	dmesg | tail -n 5 | grep -qF "does not say a move is under way" ||
		die "dmesg lacks the reason"
	expect_table bjm-kw "$(pinned 16384 "$a")"
}

# The metadata device fails before complete: the pivot cannot be recorded,
# so it does not happen; the device stays on its source, nothing lost.
test_pivot_not_recorded_no_pivot() {
	local m ml a d out rc
	ml=$(mkloop 4) && a=$(member bjm-fa 16) && d=$(member bjm-fd 16) ||
		return 1
	dmsetup create bjm-fm --table "0 8192 linear $(devno "$ml") 0" ||
		return 1
	live_dm bjm-fm
	dmsetup mknodes bjm-fm
	m=/dev/mapper/bjm-fm
	"$ctl" -q meta format "$m" || return 1
	"$ctl" -q wrap "$a" bjm-wf meta "$m" || return 1
	live_dm bjm-wf
	dd if=/dev/urandom of=/dev/mapper/bjm-wf bs=1M count=16 \
		oflag=direct status=none || return 1
	"$ctl" -q mirror /dev/mapper/bjm-wf "$d" id bjm-f \
		auto-dismiss off || return 1
	"$ctl" -q wait bjm-f status ready timeout 60 || return 1
	dmsetup suspend bjm-fm && dmsetup load bjm-fm --table "0 8192 error" &&
		dmsetup resume bjm-fm || return 1
	dd if=/dev/urandom of=/dev/mapper/bjm-wf bs=1M count=1 seek=3 \
		oflag=direct status=none || return 1
	"$ctl" -q complete bjm-f || return 1
	out=$("$ctl" wait bjm-f timeout 60 2>&1) && rc=0 || rc=$?
	echo "$out"
	expect_eq "$rc" 1 "the job's outcome" || return 1
	grep -qF "cannot record the pivot on the metadata device" \
		<<<"$("$ctl" show bjm-f)" || die "job error"
	expect_eq "$(bj_status bjm-wf | cut -d' ' -f1)" source "leg" || return 1
	"$ctl" -q dismiss bjm-f || return 1
	"$ctl" -q restore bjm-wf 2>&1
	expect_table bjm-wf "$(pinned 32768 "$a")" || return 1
	dmsetup suspend bjm-fm && dmsetup load bjm-fm \
		--table "0 8192 linear $(devno "$ml") 0" &&
		dmsetup resume bjm-fm || return 1
	# "moving" or "source": activation maps either onto the source.
	case $(show_field "$m" state) in
	moving|source) ;;
	*) die "state $(show_field "$m" state)" ;;
	esac
}

ktap_plan 11
ktap_run zeroed_and_foreign_refused test_zeroed_and_foreign_refused
ktap_run format test_format
ktap_run too_small_refused test_too_small_refused
ktap_run torn_slot_falls_back test_torn_slot_falls_back
ktap_run torn_table_falls_back test_torn_table_falls_back
ktap_run wrap_records_and_activate test_wrap_records_and_activate
ktap_run activate_refuses_missing_member test_activate_refuses_missing_member
ktap_run recorded_mirror_pivots test_recorded_mirror_pivots
ktap_run recorded_mirror_cancelled test_recorded_mirror_cancelled
ktap_run target_needs_moving_record test_target_needs_moving_record
ktap_run pivot_not_recorded_no_pivot test_pivot_not_recorded_no_pivot
ktap_finish
