#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Moves from beneath: the device under a crypt mapping, or a PV under
# mounted LVs, moves to another disk while written, and every holder keeps
# its own target and parameters, now on the destination. The destination
# receives what the device held (ciphertext for crypt); the identity on it
# (LUKS header, LVM label) moves with the data and is wiped from the old
# disk, so cryptsetup and LVM find the destination alone.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/live.sh"
key=$live_dir/key
marker=BLKJOB-PLAINTEXT-MARKER-$$
beneath_cleanup() {
	local m l d v
	stop_bg
	while read -r m; do umount "$m" 2>/dev/null; done < <(tac "$live_dir/mounts")
	for l in $(dmsetup ls 2>/dev/null | awk '/^blkjob-/ {print $1}'); do
		"$ctl" -q restore "$l" force 2>/dev/null
	done
	for v in $(cat "$live_dir/vgs" 2>/dev/null); do
		vgchange -an "$v" >/dev/null 2>&1
	done
	for d in bjb-crypt bjb-crypt2 bjb-luks bjb-luksk bjb-other bjb-kill; do
		cryptsetup close "$d" 2>/dev/null
		dmsetup remove "$d" 2>/dev/null
	done
	for v in $(cat "$live_dir/vgs" 2>/dev/null); do
		vgremove -f "$v" >/dev/null 2>&1
	done
	live_cleanup
}
trap beneath_cleanup EXIT

lvm_sandbox
head -c 32 /dev/urandom >"$key"
hexkey=$(od -An -tx1 "$key" | tr -d ' \n')

# Field N of NAME's table (one segment).
table_field() { dmsetup table "$1" | awk -v n="$2" '{ print $n }'; }

# A file of marker lines on the mounted plaintext, on the disk for sure.
plant_marker() {
	yes "$marker" | head -c 1M >"$1/marker" && sync "$1/marker"
}

no_blkjob_dev() {
	[ -z "$(dmsetup ls | awk '/^blkjob-/')" ] ||
		die "left over: $(dmsetup ls | awk '/^blkjob-/')"
}

# No blkjob device left, and nothing holds the old disk.
expect_retired() {
	no_blkjob_dev || return 1
	[ -z "$(ls "/sys/class/block/$(basename "$1")/holders")" ] ||
		die "old disk still held: $(ls "/sys/class/block/$(basename "$1")/holders")"
}

# crypt_move NAME DEV DST: NAME (crypt on DEV) mounted and written, moved.
crypt_move() {
	local name=$1 dev=$2 dst=$3 mnt=$live_dir/mnt-$1 before rc
	stop_bg	# a failed test's writer
	mkfs_mount "/dev/mapper/$name" "$mnt" || return 1
	plant_marker "$mnt" || return 1
	grep -qaF "$marker" "/dev/mapper/$name" ||
		die "the marker is not in the plaintext" || return 1
	writer_start "$mnt" 50 0.02
	sleep 1
	before=$(dmsetup table --showkeys "$name")
	"$ctl" mirror "/dev/mapper/$name" "$dst" id "m-$name" wait complete \
		>"$live_dir/out" 2>&1 && rc=0 || rc=$?
	tr '\r' '\n' <"$live_dir/out" | grep -v '^\s*$' | tail -n 6
	expect_eq "$rc" 0 "blkjobctl mirror /dev/mapper/$name" || return 1
	writer_stop || return 1
	# Still crypt, same cipher and key, now on DST.
	expect_eq "$(dmsetup table --showkeys "$name")" \
		"${before/ $(devno "$dev") / $(devno "$dst") }" "$name's table" ||
		return 1
	expect_retired "$dev" || return 1
	! grep -qaF "$marker" "$dst" ||
		die "the plaintext reached the destination" || return 1
	grep -qaF "$marker" "$mnt/marker" || die "marker file lost" || return 1
	verify_manifest || return 1
	umount "$mnt" || return 1
	fsck.ext4 -fn "/dev/mapper/$name" >/dev/null 2>&1 || die "fsck"
}

# Plain dm-crypt (the key in the table) on a raw disk.
test_crypt() {
	local dev dst sz
	dev=$(mkloop 32) && dst=$(mkloop 32) || return 1
	sz=$(blockdev --getsz "$dev")
	dmsetup create bjb-crypt --table "0 $sz crypt aes-xts-plain64 $hexkey 0 $(devno "$dev") 0" ||
		return 1
	dmsetup mknodes bjb-crypt
	crypt_move bjb-crypt "$dev" "$dst" || return 1
	dmsetup remove bjb-crypt
}

# luks_format DEV: a LUKS2 header (16 MiB with its keyslots), formatted
# once and copied: the tests need containers, not distinct ones.
luks_format() {
	local t=$live_dir/luks.img
	if [ ! -e "$t.hdr" ]; then
		truncate -s 32M "$t" &&
			cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 \
				--pbkdf-force-iterations 1000 --key-file "$key" \
				"$t" &&
			dd if="$t" of="$t.hdr" bs=1M count=16 status=none ||
			return 1
	fi
	dd if="$t.hdr" of="$1" bs=1M oflag=direct status=none
}

# cryptsetup's default for LUKS2 keeps the key in the keyring, then drops
# it: the table cannot be loaded again, so the move is refused untouched;
# with key-file, blkjobctl unlocks the key from the header into its own
# keyring and the move goes through.
test_luks_keyring() {
	local dev dst before out rc sum mnt=$live_dir/mnt-kr
	dev=$(mkloop 32) && dst=$(mkloop 32) || return 1
	luks_format "$dev" || return 1
	cryptsetup open --key-file "$key" "$dev" bjb-luksk || return 1
	before=$(dmsetup table bjb-luksk)
	echo "table: $before"
	grep -q ' :[0-9]*:logon:' <<<"$before" ||
		die "cryptsetup did not use the keyring" || return 1
	sum=$(sha256sum <"$dst")
	out=$("$ctl" mirror /dev/mapper/bjb-luksk "$dst" id kr 2>&1) &&
		rc=0 || rc=$?
	echo "$out"
	expect_eq "$rc" 1 "exit status" || return 1
	grep -qF "bjb-luksk: its crypt target keeps the volume key in the kernel keyring" <<<"$out" &&
		grep -qF "key-file FILE" <<<"$out" || die "message" || return 1
	expect_eq "$(dmsetup table bjb-luksk)" "$before" "table" || return 1
	no_blkjob_dev || return 1
	expect_eq "$(sha256sum <"$dst")" "$sum" "destination" || return 1
	# A wrong passphrase opens no key slot: refused, nothing changed.
	head -c 32 /dev/urandom >"$live_dir/wrong"
	out=$("$ctl" mirror /dev/mapper/bjb-luksk "$dst" id kr \
		key-file "$live_dir/wrong" 2>&1) && rc=0 || rc=$?
	echo "$out"
	expect_eq "$rc" 1 "exit status, wrong key file" || return 1
	grep -qF "opens no key slot" <<<"$out" || die "message" || return 1
	no_blkjob_dev || return 1
	mkfs_mount /dev/mapper/bjb-luksk "$mnt" || return 1
	plant_marker "$mnt" || return 1
	"$ctl" mirror /dev/mapper/bjb-luksk "$dst" id kr key-file "$key" \
		wait complete >"$live_dir/out" 2>&1 && rc=0 || rc=$?
	tr '\r' '\n' <"$live_dir/out" | grep -v '^\s*$' | tail -n 6
	expect_eq "$rc" 0 "mirror with key-file" || return 1
	expect_eq "$(table_field bjb-luksk 7)" "$(devno "$dst")" \
		"bjb-luksk's device" || return 1
	grep -q ' :[0-9]*:logon:' <<<"$(dmsetup table bjb-luksk)" ||
		die "the table lost its keyring key" || return 1
	! grep -qaF "$marker" "$dst" || die "plaintext on the destination" ||
		return 1
	expect_retired "$dev" || return 1
	! cryptsetup isLuks "$dev" || die "the old disk is still LUKS" ||
		return 1
	[ -z "$(blkid -p -o value -s TYPE "$dev")" ] ||
		die "old disk: $(blkid -p "$dev")" || return 1
	umount "$mnt" && cryptsetup close bjb-luksk || return 1
	cryptsetup open --key-file "$key" "$dst" bjb-luksk &&
		fsck.ext4 -fn /dev/mapper/bjb-luksk >/dev/null 2>&1 ||
		die "the destination does not open clean" || return 1
	cryptsetup close bjb-luksk
}

# Moving the device under a crypt mapping would move its other holders.
test_shared_bottom_refused() {
	local dev dst sz out rc
	dev=$(mkloop 32) && dst=$(mkloop 32) || return 1
	sz=$(($(blockdev --getsz "$dev") / 2))
	dmsetup create bjb-crypt2 --table "0 $sz crypt aes-xts-plain64 $hexkey 0 $(devno "$dev") 0" ||
		return 1
	dmsetup create bjb-other --table "0 $sz linear $(devno "$dev") $sz" ||
		return 1
	dmsetup mknodes bjb-crypt2
	out=$("$ctl" mirror /dev/mapper/bjb-crypt2 "$dst" id sh 2>&1) &&
		rc=0 || rc=$?
	echo "$out"
	expect_eq "$rc" 1 "exit status" || return 1
	grep -qF "bjb-crypt2 sits on $(devno "$dev"), which bjb-other also holds" <<<"$out" ||
		die "message" || return 1
	[ -z "$(dmsetup ls | awk '/^blkjob-/')" ] || die "a blkjob device" ||
		return 1
	dmsetup remove bjb-other && dmsetup remove bjb-crypt2
}

# make_vg VG PV: two LVs, mounted; b holds a file that is not written again.
make_vg() {
	vg=$1
	shift
	echo "$vg" >>"$live_dir/vgs"
	stop_bg	# a failed test's writer
	pvcreate -q "$1" >/dev/null && vgcreate -q "$vg" "$1" >/dev/null &&
		lvcreate -q -y -L 12M -n a "$vg" >/dev/null &&
		lvcreate -q -y -L 12M -n b "$vg" >/dev/null || return 1
	mkfs_mount "/dev/$vg/a" "$live_dir/mnt-a" &&
		mkfs_mount "/dev/$vg/b" "$live_dir/mnt-b" || return 1
	head -c 2M /dev/urandom >"$live_dir/still" &&
		cp "$live_dir/still" "$live_dir/mnt-b/still" && sync
}

# A PV under two mounted LVs moves; LVM then finds the VG on DST alone.
# Mid-move, 'lvchange --refresh' reloads an LV onto the device LVM prefers
# for the PV, the one the LVs use (ours): the job goes on, exactly.
test_pv() {
	local pv dst ta tb rc
	pv=$(mkloop 32) && dst=$(mkloop 32) || return 1
	make_vg bjbvg$$pv "$pv" || return 1
	ta=$(dmsetup table "$vg-a") tb=$(dmsetup table "$vg-b")
	writer_start "$live_dir/mnt-a" 50 0.02
	"$ctl" -q mirror "$pv" "$dst" id pvm speed 4M || return 1
	sleep 1
	lvchange -q --refresh "$vg/a" 2>&1 | grep -v WARNING
	expect_eq "$(table_field "$vg-a" 4)" "$(dmsetup info -c --noheadings \
		-o major,minor --separator : "blkjob-$(basename "$pv")")" \
		"$vg-a's device after the refresh" || return 1
	# The identity reaches DST at the pivot only: no second PV till then.
	cmp -n 8M "$dst" /dev/zero || die "DST's first 8 MiB written" ||
		return 1
	"$ctl" set-speed pvm 0 && "$ctl" -q wait pvm status ready timeout 120 ||
		return 1
	[ -z "$(blkid -p -o value -s TYPE "$dst")" ] ||
		die "DST is a PV before the pivot: $(blkid -p "$dst")" ||
		return 1
	"$ctl" complete pvm || return 1
	"$ctl" restore "$pv" wait >"$live_dir/out" 2>&1 && rc=0 || rc=$?
	cat "$live_dir/out"
	expect_eq "$rc" 0 "blkjobctl restore $pv wait" || return 1
	writer_stop || return 1
	expect_table "$vg-a" "${ta/ $(devno "$pv") / $(devno "$dst") }" &&
		expect_table "$vg-b" "${tb/ $(devno "$pv") / $(devno "$dst") }" ||
		return 1
	expect_retired "$pv" || return 1
	grep -q "^$pv: the old disk's LVM2_member signature erased" "$live_dir/out" ||
		die "no word of the wipe" || return 1
	[ -z "$(blkid -p -o value -s TYPE "$pv")" ] ||
		die "old disk: $(blkid -p "$pv")" || return 1
	verify_manifest || return 1
	umount "$live_dir/mnt-a" && umount "$live_dir/mnt-b" || return 1
	# LVM's own view from now on: the VG lives on DST.
	vgchange -q -an "$vg" >/dev/null && vgchange -q -ay "$vg" >/dev/null ||
		return 1
	expect_table "$vg-a" "${ta/ $(devno "$pv") / $(devno "$dst") }" ||
		return 1
	expect_eq "$(pvs --noheadings -o pv_name,vg_name | awk -v v="$vg" '$2 == v { print $1 }')" \
		"$dst" "the VG's PV" || return 1
	fsck.ext4 -fn "/dev/$vg/a" >/dev/null 2>&1 &&
		fsck.ext4 -fn "/dev/$vg/b" >/dev/null 2>&1 || die "fsck" ||
		return 1
	mount -o ro "/dev/$vg/a" "$live_dir/mnt-a" && verify_manifest &&
		umount "$live_dir/mnt-a" || return 1
	mount -o ro "/dev/$vg/b" "$live_dir/mnt-b" &&
		cmp "$live_dir/still" "$live_dir/mnt-b/still" &&
		umount "$live_dir/mnt-b" || return 1
	vgchange -q -an "$vg" >/dev/null && vgremove -q -f "$vg" >/dev/null
}

# With LVM's devices file in use, the PV's new disk is listed in it and
# the old one dropped: LVM activates the VG from the new disk.
test_pv_devicesfile() {
	local pv dst rc vg=bjbvg$$df
	pv=$(mkloop 32) && dst=$(mkloop 32) || return 1
	echo "$vg" >>"$live_dir/vgs"
	stop_bg
	LVM_SYSTEM_DIR=$live_dir/lvmdf
	mkdir -p "$LVM_SYSTEM_DIR/devices"
	sed 's/use_devicesfile = 0/use_devicesfile = 1/' \
		"$live_dir/lvm/lvm.conf" >"$LVM_SYSTEM_DIR/lvm.conf"
	lvm lvmdevices -q --yes --adddev "$pv" || return 1
	pvcreate -q "$pv" >/dev/null && vgcreate -q "$vg" "$pv" >/dev/null &&
		lvcreate -q -y -L 12M -n a "$vg" >/dev/null || return 1
	mkfs_mount "/dev/$vg/a" "$live_dir/mnt-df" || return 1
	head -c 4M /dev/urandom >"$live_dir/still" &&
		cp "$live_dir/still" "$live_dir/mnt-df/still" && sync || return 1
	"$ctl" mirror "$pv" "$dst" id pvdf wait complete >"$live_dir/out" 2>&1 &&
		rc=0 || rc=$?
	tr '\r' '\n' <"$live_dir/out" | grep -v '^\s*$' | tail -n 8
	expect_eq "$rc" 0 "blkjobctl mirror $pv $dst" || return 1
	grep -q "^$dst: added to LVM's devices file" "$live_dir/out" &&
		grep -q "^$pv: dropped from LVM's devices file" "$live_dir/out" ||
		die "the devices file was not updated" || return 1
	lvm lvmdevices 2>/dev/null | grep -q "DEVNAME=$dst " &&
		! lvm lvmdevices 2>/dev/null | grep -q "DEVNAME=$pv " ||
		die "devices file: $(lvm lvmdevices 2>&1)" || return 1
	umount "$live_dir/mnt-df" || return 1
	vgchange -q -an "$vg" >/dev/null && vgchange -q -ay "$vg" >/dev/null ||
		return 1
	expect_eq "$(table_field "$vg-a" 4)" "$(devno "$dst")" "$vg-a's device" ||
		return 1
	mount -o ro "/dev/$vg/a" "$live_dir/mnt-df" &&
		cmp "$live_dir/still" "$live_dir/mnt-df/still" &&
		umount "$live_dir/mnt-df" || return 1
	vgchange -q -an "$vg" >/dev/null && vgremove -q -f "$vg" >/dev/null
}

# An LV reloaded onto the PV itself during the move writes there alone:
# the job refuses to pivot, the LVs go back onto the PV, nothing is wiped.
test_bypass_not_pivoted() {
	local pv dst ta rc out
	pv=$(mkloop 32) && dst=$(mkloop 32) || return 1
	make_vg bjbvg$$by "$pv" || return 1
	ta=$(dmsetup table "$vg-a")
	writer_start "$live_dir/mnt-a" 50 0.02
	"$ctl" -q mirror "$pv" "$dst" id byp auto-dismiss off wait ||
		return 1
	dmsetup reload "$vg-a" --table "$ta" && dmsetup resume "$vg-a" ||
		return 1
	sleep 1
	"$ctl" complete byp || return 1
	out=$("$ctl" wait byp 2>&1) && rc=0 || rc=$?
	echo "$out"
	expect_eq "$rc" 1 "wait byp" || return 1
	grep -qF "another device holds the source" <<<"$out" ||
		die "error: $out" || return 1
	"$ctl" dismiss byp || return 1
	"$ctl" restore "$pv" || return 1
	writer_stop || return 1
	expect_table "$vg-a" "$ta" || return 1
	expect_eq "$(table_field "$vg-b" 4)" "$(devno "$pv")" "$vg-b's device" ||
		return 1
	no_blkjob_dev || return 1
	expect_eq "$(blkid -p -o value -s TYPE "$pv")" LVM2_member \
		"the PV's label" || return 1
	# The copy would be a second PV with the same UUID: wiped.
	[ -z "$(blkid -p -o value -s TYPE "$dst")" ] ||
		die "destination: $(blkid -p "$dst")" || return 1
	verify_manifest || return 1
	umount "$live_dir/mnt-a" && umount "$live_dir/mnt-b" || return 1
	fsck.ext4 -fn "/dev/$vg/a" >/dev/null 2>&1 || die "fsck" || return 1
	vgchange -q -an "$vg" >/dev/null && vgremove -q -f "$vg" >/dev/null
}

# blkjobctl killed after each step of a move beneath a LUKS mapping:
# 'restore TOP' finds the move from the mapping alone and finishes it, on
# the destination if it pivoted, else on the source; the copy nobody uses
# is wiped, and the data is what was written.
test_killed() {
	local step dev dst sum rc want other args
	for step in resume holders job lift; do
		echo "# killed after $step"
		dev=$(mkloop 32) && dst=$(mkloop 32) || return 1
		luks_format "$dev" || return 1
		cryptsetup open --disable-keyring --key-file "$key" "$dev" \
			bjb-kill || return 1
		dd if=/dev/urandom of=/dev/mapper/bjb-kill bs=1M count=2 \
			oflag=direct status=none || return 1
		sum=$(sha256sum </dev/mapper/bjb-kill)
		args=(mirror /dev/mapper/bjb-kill "$dst" id "k-$step")
		[ "$step" = lift ] && args+=(wait complete)
		BLKJOBCTL_TEST_KILL_AT=$step "$ctl" -q "${args[@]}" && rc=0 ||
			rc=$?
		expect_eq "$rc" 137 "blkjobctl killed after $step" || return 1
		if [ "$step" = job ]; then
			# Copying goes on in the kernel, all but the header.
			sleep 1
			! cryptsetup isLuks "$dst" ||
				die "a second container before the pivot" ||
				return 1
		fi
		"$ctl" restore /dev/mapper/bjb-kill force || return 1
		want=$dev other=$dst
		[ "$step" = lift ] && want=$dst other=$dev
		expect_eq "$(table_field bjb-kill 7)" "$(devno "$want")" \
			"bjb-kill's device after $step" || return 1
		no_blkjob_dev || return 1
		"$ctl" show "k-$step" >/dev/null 2>&1 && die "job left" &&
			return 1
		expect_eq "$(sha256sum </dev/mapper/bjb-kill)" "$sum" \
			"data after $step" || return 1
		! cryptsetup isLuks "$other" ||
			die "$other is still LUKS after $step" || return 1
		"$ctl" -q restore /dev/mapper/bjb-kill || return 1
		cryptsetup close bjb-kill || return 1
	done
}

ktap_plan 7
ktap_run "dm-crypt's disk moves beneath it: ciphertext only, crypt kept" \
	test_crypt
ktap_run "LUKS2, key in the keyring: refused untouched, moved with key-file" \
	test_luks_keyring
ktap_run "a crypt whose disk has another holder: refused" \
	test_shared_bottom_refused
ktap_run "a PV under two mounted LVs moves, refreshed; LVM finds the new disk" \
	test_pv
ktap_run "LVM's devices file follows the PV onto its new disk" \
	test_pv_devicesfile
ktap_run "an LV reloaded onto the PV mid-move: no pivot, nothing lost" \
	test_bypass_not_pivoted
ktap_run "killed at each step of a move beneath: restore TOP finishes it" \
	test_killed
ktap_finish
