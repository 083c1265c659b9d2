#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages, as a distribution builds them: dpkg-buildpackage
# -us -uc -b from a clean export (scripts/deb) gives the four packages,
# lintian finds no error in them, each holds its own files, libblkjob0 the
# ABI the header documents; DKMS builds blkjob-dkms's sources for every
# pinned kernel and signs the module with its own key, as on a Secure Boot
# host. DKMS works in a private tree (--dkmstree, --sourcetree,
# --kernelsourcedir, its key in the test's directory): the system's
# /usr/src, /var/lib/dkms and /lib/modules are checked to be left as they
# were. tests/vm/deb.sh installs the packages in a VM.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/abi.sh"

lines=$("$top/scripts/kernels" lines)
n=$(($(wc -w <<<"$lines") + 6))
ktap_plan "$n"
skip_all() {
	local l
	for l in "built from a clean export" "lintian: no errors" \
		"each package holds its own files" "libblkjob0's ABI" \
		"the DKMS sources are make dkms-source's"; do
		ktap_skip "deb: $l" "$1"
	done
	for l in $lines; do ktap_skip "deb: DKMS builds blkjob.ko for $l, signed" "$1"; done
	ktap_skip "deb: the system's DKMS and module trees untouched" "$1"
	ktap_finish
}
for c in dpkg-buildpackage dh_dkms lintian dkms; do
	command -v $c >/dev/null || skip_all "$c not installed (scripts/deps test)"
done
# dkms refuses to add or build for anyone else.
[ "$(id -u)" -eq 0 ] || skip_all "dkms needs root"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stamp=$tmp/stamp
touch "$stamp"
debout=$tmp/deb
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
deb() { echo "$debout/${1}_${version}_$2.deb"; }
dkms_deb=$(deb blkjob-dkms all)
# What blkjob-dkms puts under /usr/src, unpacked.
pkgsrc=$tmp/pkgroot/usr/src/blkjob-$version

build() {
	local p a
	"$top/scripts/deb" "$debout" || return 1
	for p in blkjobctl:$arch libblkjob0:$arch libblkjob-dev:$arch \
		blkjob-dkms:all; do
		a=${p#*:}
		[ -f "$(deb "${p%:*}" "$a")" ] || die "no ${p%:*} package" || return 1
	done
	echo "$(ls "$debout"/*.deb | wc -l) .debs (with the dbgsym ones)"
}

lint() {
	local res
	ls "$debout"/*.changes >/dev/null || die "nothing built" || return 1
	res=$(lintian --tag-display-limit 0 "$debout"/*.changes 2>&1 |
		grep -v 'running with root privileges') || true
	[ -z "$res" ] || echo "$res"
	! grep -q '^E:' <<<"$res" || die "lintian reports errors"
}

# files PKG ARCH: the files and links a package holds, without its docs.
files() {
	dpkg-deb -c "$(deb "$1" "$2")" | awk '$1 !~ /^d/ { print $6 }' |
		sed 's|^\./|/|' | grep -v '^/usr/share/doc/' | sort
}

expect_files() {
	local got
	got=$(files "$1" "$2")
	[ "$got" = "$3" ] || die "$1 holds:$(diff <(echo "$3") \
		<(echo "$got") | grep '^[<>]' | sed 's/^/ /')"
}

contents() {
	local L=/usr/lib/$multiarch d
	expect_files blkjobctl "$arch" "$(sort <<-EOF
	/lib/systemd/system/blkjob-activate.service
	/lib/udev/rules.d/69-blkjob.rules
	/usr/sbin/blkjobctl
	/usr/share/bash-completion/completions/blkjobctl
	/usr/share/man/man8/blkjobctl.8.gz
	EOF
	)" || return 1
	expect_files libblkjob0 "$arch" "$(sort <<-EOF
	$L/libblkjob.so.0
	$L/libblkjob.so.$version
	EOF
	)" || return 1
	expect_files libblkjob-dev "$arch" "$(sort <<-EOF
	/usr/include/blkjob/libblkjob.h
	/usr/include/blkjob/linux/blkjob.h
	$L/libblkjob.a
	$L/libblkjob.so
	$L/pkgconfig/libblkjob.pc
	EOF
	)" || return 1
	# The module's sources: only in blkjob-dkms, with the man page.
	[ "$(files blkjob-dkms all | grep -v "^/usr/src/blkjob-$version/")" = \
		/usr/share/man/man4/blkjob.4.gz ] ||
		die "blkjob-dkms: $(files blkjob-dkms all | grep -v ^/usr/src/)" ||
		return 1
	# What runs at boot runs the packaged command; the library's users
	# are pointed at the multiarch directory.
	dpkg-deb -x "$(deb blkjobctl "$arch")" "$tmp/ctl"
	grep -qx 'ExecStart=/usr/sbin/blkjobctl activate' \
		"$tmp/ctl/lib/systemd/system/blkjob-activate.service" ||
		die "the unit does not run /usr/sbin/blkjobctl" || return 1
	grep -qF '="/usr/sbin/blkjobctl meta probe $devnode"' \
		"$tmp/ctl/lib/udev/rules.d/69-blkjob.rules" ||
		die "the udev rule does not run /usr/sbin/blkjobctl" || return 1
	# blkjobctl runs on libblkjob0's library, found by the loader alone.
	dpkg-deb -f "$(deb blkjobctl "$arch")" Depends |
		grep -q "libblkjob0 (>= $version)" ||
		die "blkjobctl does not depend on libblkjob0" || return 1
	readelf -d "$tmp/ctl/usr/sbin/blkjobctl" |
		grep -q 'NEEDED.*\[libblkjob\.so\.0\]' ||
		die "blkjobctl is not linked against libblkjob.so.0" || return 1
	! readelf -d "$tmp/ctl/usr/sbin/blkjobctl" | grep -Eq 'RPATH|RUNPATH' ||
		die "the packaged blkjobctl has a runpath" || return 1
	dpkg-deb -x "$(deb libblkjob-dev "$arch")" "$tmp/dev"
	grep -qx "libdir=$L" "$tmp/dev/$L/pkgconfig/libblkjob.pc" ||
		die "libblkjob.pc: $(grep libdir= "$tmp/dev/$L/pkgconfig/libblkjob.pc")" ||
		return 1
	# DKMS's maintainer scripts, and nothing of DKMS anywhere else.
	dpkg-deb -I "$dkms_deb" postinst | grep -q 'common.postinst' ||
		die "blkjob-dkms has no DKMS postinst" || return 1
	for d in blkjobctl libblkjob0 libblkjob-dev; do
		! dpkg-deb -f "$(deb $d "$arch")" Depends | grep -q dkms ||
			die "$d depends on dkms" || return 1
	done
}

abi() {
	local so L=/usr/lib/$multiarch
	dpkg-deb -x "$(deb libblkjob0 "$arch")" "$tmp/lib"
	so=$tmp/lib/$L/libblkjob.so.0
	readelf -d "$so" | grep -q 'SONAME.*\[libblkjob\.so\.0\]' ||
		die "soname: $(readelf -d "$so" | grep SONAME)" || return 1
	abi_check "$so" || return 1
	# Programs built against it depend on a version that has them all.
	dpkg-deb -I "$(deb libblkjob0 "$arch")" symbols |
		grep -q "^ blkjob_job_new@LIBBLKJOB_0 $version" ||
		die "no symbols file with blkjob_job_new" || return 1
}

# The package's /usr/src tree is what make dkms-source stages for
# non-Debian installs: one list of the module's sources.
staged() {
	dpkg-deb -x "$dkms_deb" "$tmp/pkgroot" || return 1
	make --no-print-directory -s -C "$top" dkms-source \
		DESTDIR="$tmp/staged" || die "make dkms-source failed" ||
		return 1
	diff -r "$tmp/staged/usr/src/blkjob-$version" "$pkgsrc" ||
		die "the package's sources differ from make dkms-source's"
}

# dkms signs with a key it creates when it finds the kernel's sign-file:
# the headers' own (Debian's linux-kbuild), a key in $tmp.
export mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub
dk() {
	dkms "$@" --dkmstree "$tmp/dkms" --sourcetree "$tmp/pkgroot/usr/src"
}

dkms_build() {
	local line=$1 kdir rel ko t0 res signer
	[ -f "$pkgsrc/dkms.conf" ] || die "no packaged sources" || return 1
	if [ ! -d "$tmp/dkms/blkjob" ]; then
		mkdir -p "$tmp/dkms"
		res=$(dk add -m blkjob -v "$version" 2>&1) ||
			die "dkms add: $res" || return 1
	fi
	kdir=$("$top/scripts/kernels" kdir "$line") || return 1
	rel=$("$top/scripts/kernels" release "$line") || return 1
	t0=$SECONDS
	res=$(sign_file=$kdir/scripts/sign-file dk build -m blkjob \
		-v "$version" -k "$rel" --kernelsourcedir "$kdir" 2>&1) ||
		die "dkms build for $rel failed: $(tail -n 20 <<<"$res") $(
			tail -n 20 "$tmp/dkms/blkjob/$version/build/make.log" \
			2>/dev/null)" || return 1
	echo "dkms build for $rel: $((SECONDS - t0)) s"
	ko=$tmp/dkms/blkjob/$version/$rel/$(uname -m)/module/blkjob.ko
	[ -f "$ko" ] || die "no $ko" || return 1
	modinfo -F vermagic "$ko" | grep -q "^$rel " ||
		die "$ko is not built for $rel" || return 1
	dk status -m blkjob -v "$version" -k "$rel" | grep -q ': built$' ||
		die "dkms status: $(dk status)" || return 1
	# Signed by the key DKMS made, whose certificate mokutil would enrol.
	signer=$(modinfo -F signer "$ko")
	expect_eq "$signer" "DKMS module signing key" "modinfo -F signer" ||
		return 1
	openssl x509 -inform DER -in "$mok_certificate" -noout -subject |
		grep -q 'CN = DKMS module signing key' ||
		die "no DKMS certificate in $mok_certificate"
}

untouched() {
	local changed
	changed=$(find /usr/src -maxdepth 2 -newer "$stamp" 2>/dev/null
		find /var/lib/dkms -newer "$stamp" 2>/dev/null
		find /lib/modules -maxdepth 3 -newer "$stamp" 2>/dev/null) || true
	[ -z "$changed" ] || die "changed on the system: $changed"
}

ktap_run "deb: built from a clean export" build
ktap_run "deb: lintian: no errors" lint
ktap_run "deb: each package holds its own files" contents
ktap_run "deb: libblkjob0's ABI" abi
ktap_run "deb: the DKMS sources are make dkms-source's" staged
for l in $lines; do
	ktap_run "deb: DKMS builds blkjob.ko for $l, signed" dkms_build "$l"
done
ktap_run "deb: the system's DKMS and module trees untouched" untouched
ktap_finish
