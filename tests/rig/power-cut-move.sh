#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A recorded live move across a power cut, on 6.12 and 6.1. Boot 1: a
# disk (vda) wrapped with a metadata device (vdc), ext4 mounted on it and
# written (every file fsync'ed, then its checksum appended to a manifest on
# the host), moved with a mirror onto vdb; the power is cut at one step of
# the move. Boot 2 over the same image files: 'blkjobctl activate' brings
# the volume back on the disk the step implies, every file of the manifest
# matches, fsck is clean after the journal replay, a second activate
# changes nothing. Steps:
#   copying  the mirror still copies (rate limited): back on the source
#   pivoted  the kernel pivoted, blkjobctl has not retired the plumbing:
#            on the destination (files written after the pivot are there),
#            and activate finishes the retire: no UUID on the old disk
#   retired  the move is over, the old disk's signatures wiped, and the
#            volume written to since: on the destination, and blkid -p
#            finds no filesystem UUID on the old disk
# The retired pair also moves disks from beneath, with no metadata device:
# the identity on a disk moves with the data, and the existing tools find
# the destination. vdd is a PV under two mounted LVs, moved onto vde; vdf
# a LUKS2 container open and mounted, moved onto vdg; all three written
# after. vdh, a PV under a mounted LV, is still being copied onto vdi at
# the cut. After it LVM activates the first VG from vde, vdg opens with
# the key, the second VG activates from vdh with no duplicate (vdi got no
# label: the target's hold), every file matches (a manifest of their
# own), fsck is clean, vdd has no LVM label and vdf is no container.
# Runs on the host; the guest's halves are this script with --guest.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/lvm.sh"
self=$top/tests/rig/power-cut-move.sh
ctl=$top/userspace/blkjobctl/blkjobctl

# --- in the guest ----------------------------------------------------------

# write_files DIR FIRST N [MANIFEST]: files of 64 KiB, fsync'ed, then in
# the manifest ($d/manifest unless given).
write_files() {
	local i
	for i in $(seq "$2" $(($2 + $3 - 1))); do
		head -c 65536 /dev/urandom >/tmp/buf
		dd if=/tmp/buf of="$1/f$i" bs=64k conv=fsync status=none ||
			return 1
		echo "$(sha256sum </tmp/buf | cut -d' ' -f1)  f$i" \
			>>"${4:-$d/manifest}"
	done
}

leg_of_status() { dmsetup status vol | awk '$3 ~ /^blkjob(-pinned)?$/ { print $4 }'; }

# The moves from beneath: LVs a and b on the PV vdd, a LUKS container on
# vdf and LV c on the PV vdh, mounted at /tmp/v0 to v3.
beneath_vols() { echo /dev/bjpc/a /dev/bjpc/b /dev/mapper/bjl /dev/bjcp/c; }

beneath_boot1() {
	local i=0 v
	lvm_conf /tmp/lvm
	pvcreate -q /dev/vdd >/dev/null && vgcreate -q bjpc /dev/vdd >/dev/null &&
		lvcreate -q -y -L 12M -n a bjpc >/dev/null &&
		lvcreate -q -y -L 12M -n b bjpc >/dev/null || return 1
	pvcreate -q /dev/vdh >/dev/null && vgcreate -q bjcp /dev/vdh >/dev/null &&
		lvcreate -q -y -L 24M -n c bjcp >/dev/null || return 1
	head -c 32 /dev/urandom >"$d/key"
	cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 --key-file "$d/key" /dev/vdf &&
		cryptsetup open --disable-keyring --key-file "$d/key" \
			/dev/vdf bjl || return 1
	: >"$d/manifest.b"
	for v in $(beneath_vols); do
		mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$v" &&
			mkdir -p "/tmp/v$i" && mount -o noatime "$v" "/tmp/v$i" &&
			write_files "/tmp/v$i" $((i * 100)) 10 "$d/manifest.b" || return 1
		i=$((i + 1))
	done
	"$ctl" mirror /dev/vdd /dev/vde id pv wait complete &&
		"$ctl" mirror /dev/mapper/bjl /dev/vdg id luks wait complete &&
		"$ctl" -q mirror /dev/vdh /dev/vdi id copying speed 1M ||
		return 1
	i=0
	for v in $(beneath_vols); do
		write_files "/tmp/v$i" $((i * 100 + 10)) 10 "$d/manifest.b" || return 1
		i=$((i + 1))
	done
}

beneath_boot2() {
	local i=0 v
	lvm_conf /tmp/lvm
	vgchange -q -ay bjpc >/dev/null || return 1
	# The move cut while copying: one PV with that UUID, the source.
	vgchange -q -ay bjcp >/tmp/vgc 2>&1 || { cat /tmp/vgc; return 1; }
	! grep -Ei "duplicate|not using device" /tmp/vgc ||
		{ echo "guest: LVM saw a second copy of vdh"; return 1; }
	[ "$(pvs --noheadings -o pv_name,vg_name | awk '$2 == "bjcp" { print $1 }')" = /dev/vdh ] ||
		{ echo "guest: bjcp is not on vdh: $(pvs)"; return 1; }
	[ -z "$(blkid -p -o value -s TYPE /dev/vdi)" ] ||
		{ echo "guest: vdi: $(blkid -p /dev/vdi)"; return 1; }
	[ "$(pvs --noheadings -o pv_name,vg_name | awk '$2 == "bjpc" { print $1 }')" = /dev/vde ] ||
		{ echo "guest: the VG is not on vde: $(pvs)"; return 1; }
	[ -z "$(blkid -p -o value -s TYPE /dev/vdd)" ] ||
		{ echo "guest: vdd: $(blkid -p /dev/vdd)"; return 1; }
	! cryptsetup isLuks /dev/vdf ||
		{ echo "guest: vdf is still LUKS"; return 1; }
	cryptsetup open --key-file "$d/key" /dev/vdg bjl || return 1
	# Mounting replays the journal; then the files, then fsck.
	for v in $(beneath_vols); do
		mkdir -p "/tmp/v$i" && mount -o noatime "$v" "/tmp/v$i" ||
			return 1
		i=$((i + 1))
	done
	(cd /tmp && tac "$d/manifest.b" | awk '!seen[$2]++' |
		sed 's|  f\([0-9]*\)$|  \1|' |
		awk '{ n = $2; printf "%s  v%d/f%d\n", $1, int(n / 100), n }' |
		sha256sum --quiet -c -) ||
		{ echo "guest: files differ from the manifest"; return 1; }
	echo "guest: $(wc -l <"$d/manifest.b") files match"
	i=0
	for v in $(beneath_vols); do
		umount "/tmp/v$i" && fsck.ext4 -fn "$v" ||
			{ echo "guest: fsck $v"; return 1; }
		i=$((i + 1))
	done
}

guest_boot1() {
	"$ctl" -q meta format /dev/vdc || return 1
	"$ctl" -q wrap /dev/vda vol meta /dev/vdc || return 1
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 \
		/dev/mapper/vol || return 1
	mkdir -p /tmp/vol
	mount -o noatime /dev/mapper/vol /tmp/vol || return 1
	: >"$d/manifest"
	write_files /tmp/vol 0 20 || return 1
	case $step in
	copying)
		"$ctl" -q mirror /dev/mapper/vol /dev/vdb id mv speed 4M ||
			return 1
		write_files /tmp/vol 20 20 || return 1
		[ "$(leg_of_status)" = source ] ||
			{ echo "guest: not copying any more"; return 1; }
		;;
	pivoted)
		"$ctl" -q mirror /dev/mapper/vol /dev/vdb id mv || return 1
		"$ctl" -q wait mv status ready timeout 300 || return 1
		write_files /tmp/vol 20 10 || return 1
		"$ctl" -q complete mv || return 1
		for _ in $(seq 300); do
			[ "$(leg_of_status)" = destination ] && break
			sleep 0.1
		done
		[ "$(leg_of_status)" = destination ] ||
			{ echo "guest: no pivot"; return 1; }
		write_files /tmp/vol 30 10 || return 1
		;;
	retired)
		"$ctl" -q mirror /dev/mapper/vol /dev/vdb id mv wait complete ||
			return 1
		dmsetup table vol | grep -q " blkjob-pinned $(cat /sys/block/vdb/dev)\$" ||
			{ echo "guest: not retired onto vdb"; return 1; }
		write_files /tmp/vol 20 20 || return 1
		beneath_boot1 || return 1
		;;
	esac
	"$ctl" meta show /dev/vdc >"$d/meta.before"
	blkjob-power-cut
}

guest_boot2() {
	local want out
	case $step in
	copying) want=vda ;;
	*) want=vdb ;;
	esac
	out=$("$ctl" activate) || { echo "$out"; return 1; }
	echo "$out"
	grep -q "^vol: created" <<<"$out" || { echo "guest: not created"; return 1; }
	# Cut between the pivot and the retire: activation finishes the retire.
	if [ "$step" = pivoted ]; then
		grep -q "^vol: created (retired, .*: the old disk .* retired ([1-9][0-9]* signatures\? erased)" <<<"$out" ||
			{ echo "guest: the retire was not finished"; return 1; }
	fi
	dmsetup table vol | grep -q "^0 [0-9]* blkjob-pinned $(cat /sys/block/$want/dev)\$" ||
		{ echo "guest: vol maps '$(dmsetup table vol)', not onto $want"; return 1; }
	mkdir -p /tmp/vol
	mount -o noatime /dev/mapper/vol /tmp/vol || return 1
	(cd /tmp/vol && tac "$d/manifest" | awk '!seen[$2]++' |
		sha256sum --quiet -c -) ||
		{ echo "guest: files differ from the manifest"; return 1; }
	echo "guest: $(wc -l <"$d/manifest") files match"
	umount /tmp/vol || return 1
	fsck.ext4 -fn /dev/mapper/vol || { echo "guest: fsck"; return 1; }
	out=$("$ctl" activate) || return 1
	grep -q "^vol: unchanged" <<<"$out" ||
		{ echo "guest: second activate: $out"; return 1; }
	# The stale copy must not be found by UUID once the move is over.
	if [ "$step" != copying ] && [ -n "$(blkid -p -s UUID -o value /dev/vda)" ]; then
		echo "guest: the old disk still shows a filesystem UUID"
		return 1
	fi
	[ "$step" != retired ] || beneath_boot2
}

if [ "${1:-}" = --guest ]; then
	boot=$2 step=$3 d=$4
	"guest_boot$boot"
	exit
fi

# --- on the host -----------------------------------------------------------

. "$top/tests/lib/ktap.sh"
base=$top/build/rig/power-cut-move
rm -rf "$base"
trap 'rm -rf "$base"; rmdir "$top/build/rig" 2>/dev/null' EXIT

# pair KLINE STEP: both boots; their logs in $base/KLINE-STEP/vm.N.log.
pair() {
	local d=$base/$1-$2 rc i
	mkdir -p "$d"
	truncate -s 32M "$d/src.img" "$d/dst.img"
	truncate -s 4M "$d/meta.img"
	disks=(--disk "$d/src.img,serial=bjsrc" --disk "$d/dst.img,serial=bjdst"
		--disk "$d/meta.img,serial=bjmeta")
	if [ "$2" = retired ]; then
		for i in 1 2 3; do
			truncate -s 32M "$d/bsrc$i.img" "$d/bdst$i.img"
			disks+=(--disk "$d/bsrc$i.img,serial=bjbsrc$i"
				--disk "$d/bdst$i.img,serial=bjbdst$i")
		done
	fi
	"$top/scripts/vm" --kernel "$1" --cpus 1 --timeout 600 "${disks[@]}" \
		-- "$self" --guest 1 "$2" "$d" >"$d/vm.1.log" 2>&1 && rc=0 || rc=$?
	[ "$rc" -eq 0 ] || { echo "boot 1 exited $rc"; return 1; }
	"$top/scripts/vm" --kernel "$1" --cpus 1 --timeout 600 "${disks[@]}" \
		-- "$self" --guest 2 "$2" "$d" >"$d/vm.2.log" 2>&1 && rc=0 || rc=$?
	[ "$rc" -eq 0 ] || { echo "boot 2 exited $rc"; return 1; }
}

# The two kernels' pairs side by side (one vCPU each, two cores).
steps=${BLKJOB_PCM_STEPS:-copying pivoted retired}
lines=${BLKJOB_PCM_LINES:-$("$top/scripts/kernels" lines)}
mkdir -p "$base"
for kl in $lines; do
	(for s in $steps; do
		pair "$kl" "$s" >"$base/$kl-$s.out" 2>&1
		echo $? >"$base/$kl-$s.rc"
	done) &
done
wait

result() { # KLINE STEP
	local f=$base/$1-$2
	cat "$f.out" "$f/vm.1.log" "$f/vm.2.log" 2>/dev/null |
		grep -v '^\[ *[0-9.]*\] ' | tail -n 30
	[ "$(cat "$f.rc" 2>/dev/null)" = 0 ]
}

ktap_plan $(($(wc -w <<<"$lines") * $(wc -w <<<"$steps")))
for kl in $lines; do
	for s in $steps; do
		ktap_run "power cut while $s, $kl" result "$kl" "$s"
	done
done
ktap_finish
