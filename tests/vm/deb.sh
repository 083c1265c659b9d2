#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages (scripts/deb, into build/deb) install and work: all
# four are installed with dpkg into an overlay of the guest's root (the
# host's root, read-only, below a tmpfs), their maintainer scripts run,
# and a mounted filesystem under a writer moves live with the installed
# blkjobctl and libblkjob; then they are purged.
#
# The module is the one the VM loaded (the same sources): blkjob-dkms's
# postinst finds no headers for the guest's kernel and builds nothing,
# as on any machine without them; tests/host/deb.sh builds the packaged
# sources with DKMS for both kernels, signed.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/live.sh"
trap 'umount_root; live_cleanup' EXIT

debdir=$top/build/deb
root=$live_dir/root
MB=64
SECTORS=$((MB * 2048))
pkgs="libblkjob0 libblkjob-dev blkjobctl blkjob-dkms"

umount_root() {
	local m
	for m in $(awk -v r="$root" '$2 ~ "^"r { print $2 }' /proc/mounts |
		sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
}

# in_root CMD...: run CMD in the overlay root.
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

mk_root() {
	local d=$live_dir/overlay mods
	mkdir -p "$d/up" "$d/work" "$root" || return 1
	modprobe overlay || return 1
	mount -t overlay overlay \
		-o "lowerdir=/,upperdir=$d/up,workdir=$d/work" "$root" ||
		die "cannot mount an overlay over /" || return 1
	mount --bind /dev "$root/dev" && mount -t proc proc "$root/proc" &&
		mount -t sysfs sys "$root/sys" &&
		mount -t tmpfs tmpfs "$root/tmp" &&
		mount -t tmpfs tmpfs "$root/run" || return 1
	# The guest kernel's modules (vm-init), where DKMS looks for headers.
	mods=/lib/modules
	[ -d "$mods/$(uname -r)" ] || mods=/run/blkjob-vm-modules/lib/modules
	mkdir -p "$root/lib/modules" &&
		mount --bind "$mods" "$root/lib/modules" || return 1
	# man-db's trigger would rebuild its whole index (minutes under TCG).
	rm -f "$root/var/lib/man-db/auto-update"
	mkdir -p "$root/debs" && cp "$debdir"/*.deb "$root/debs/"
}

debs() {
	local p
	for p in $pkgs; do ls "$root"/debs/"${p}"_*.deb; done |
		sed "s|^$root||"
}

test_install() {
	local out rc p st
	mk_root || return 1
	out=$(in_root dpkg -i $(debs) 2>&1) && rc=0 || rc=$?
	echo "$out" | grep -Ev '^(\(Reading|Selecting|Preparing|Unpacking)'
	expect_eq "$rc" 0 "dpkg -i" || return 1
	for p in $pkgs; do
		st=$(in_root dpkg-query -W -f='${Status}' "$p")
		expect_eq "$st" "install ok installed" "$p" || return 1
	done
	# blkjob-dkms's postinst: the sources are DKMS's; no headers here.
	grep -q "kernel headers for this kernel do not seem to be installed" \
		<<<"$out" || die "the DKMS postinst did not look for headers" ||
		return 1
	out=$(in_root dkms status blkjob)
	expect_eq "$out" "blkjob/0.1: added" "dkms status" || return 1
	# The boot unit is enabled, the udev rule runs the packaged command.
	[ -L "$root/etc/systemd/system/sysinit.target.wants/blkjob-activate.service" ] ||
		die "blkjob-activate.service is not enabled" || return 1
	grep -qF '"/usr/sbin/blkjobctl meta probe $devnode"' \
		"$root/lib/udev/rules.d/69-blkjob.rules" ||
		die "the udev rule does not run /usr/sbin/blkjobctl" || return 1
	# libblkjob0's library is where the loader finds it.
	out=$(in_root ldconfig -p)
	# (/lib is /usr/lib on a merged-/usr system, listed first.)
	grep -Eq 'libblkjob\.so\.0 \(libc6,x86-64\) => (/usr)?/lib/x86_64-linux-gnu/libblkjob\.so\.0$' \
		<<<"$out" || die "ldconfig does not know libblkjob.so.0" ||
		return 1
	# The command runs on the packaged library (no runpath of its own).
	out=$(in_root ldd /usr/sbin/blkjobctl)
	grep -Eq 'libblkjob\.so\.0 => (/usr)?/lib/x86_64-linux-gnu/libblkjob\.so\.0 ' \
		<<<"$out" || die "blkjobctl does not load libblkjob.so.0: $out" ||
		return 1
	! readelf -d "$root/usr/sbin/blkjobctl" | grep -Eq 'RPATH|RUNPATH' ||
		die "blkjobctl has a runpath"
}

test_move() {
	local vol=bjdeb src dst id=deb-mv mnt=$live_dir/mnt out
	[ -x "$root/usr/sbin/blkjobctl" ] || die "not installed" || return 1
	# live.sh's helpers run $ctl: the installed one, in the overlay root.
	ctl=$live_dir/ctl
	printf '#!/bin/sh\nexec chroot %s /usr/sbin/blkjobctl "$@"\n' \
		"$root" >"$ctl" && chmod +x "$ctl"
	src=$(mkloop $MB) && dst=$(mkloop $MB) || return 1
	"$ctl" -q wrap "$src" "$vol" || return 1
	live_dm "$vol"
	expect_table "$vol" "$(pinned $SECTORS "$src")" || return 1
	mkfs_mount "/dev/mapper/$vol" "$mnt" || return 1
	writer_start "$mnt" 200 0.02
	sleep 1
	"$ctl" mirror "/dev/mapper/$vol" "$dst" id "$id" wait complete ||
		return 1
	writer_stop || return 1
	expect_table "$vol" "$(pinned $SECTORS "$dst")" || return 1
	verify_manifest || return 1
	umount "$mnt" || return 1
	fsck.ext4 -fn "/dev/mapper/$vol" >/dev/null || die "fsck" || return 1
	out=$("$ctl" -V) || return 1
	grep -q '0\.1' <<<"$out" || die "blkjobctl -V: $out"
}

test_purge() {
	local out rc p f
	[ -x "$root/usr/sbin/blkjobctl" ] || die "not installed" || return 1
	out=$(in_root dpkg --purge $pkgs 2>&1) && rc=0 || rc=$?
	echo "$out" | grep -v '^(Reading'
	expect_eq "$rc" 0 "dpkg --purge" || return 1
	for f in /usr/sbin/blkjobctl /usr/lib/x86_64-linux-gnu/libblkjob.so.0 \
		/usr/src/blkjob-0.1 /var/lib/dkms/blkjob \
		/etc/systemd/system/sysinit.target.wants/blkjob-activate.service; do
		[ ! -e "$root$f" ] && [ ! -L "$root$f" ] ||
			die "left after purge: $f" || return 1
	done
	for p in $pkgs; do
		! in_root dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q installed || die "$p still installed" || return 1
	done
}

ktap_plan 3
if ! ls "$debdir"/blkjobctl_*.deb >/dev/null 2>&1; then
	for t in "dpkg installs the four packages" \
		"a live move with the installed blkjobctl" \
		"dpkg purges them"; do
		ktap_skip "$t" "no packages in build/deb (make deb)"
	done
	ktap_finish
fi
ktap_run "dpkg installs the four packages" test_install
ktap_run "a live move with the installed blkjobctl" test_move
ktap_run "dpkg purges them" test_purge
ktap_finish
