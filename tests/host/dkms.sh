#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DKMS builds blkjob.ko from what 'make dkms-source' stages, with our
# dkms.conf, against the cached headers of each pinned kernel. Everything
# happens in a private DKMS tree (--dkmstree, --sourcetree,
# --kernelsourcedir): the system's /usr/src, /var/lib/dkms and /lib/modules
# are checked to be left as they were.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"

lines=$("$top/scripts/kernels" lines)
n=$(($(wc -w <<<"$lines") + 2))
ktap_plan "$n"
skip_all() {
	local l
	ktap_skip "dkms: make dkms-source stages the module's sources" "$1"
	for l in $lines; do ktap_skip "dkms: builds blkjob.ko for $l" "$1"; done
	ktap_skip "dkms: the system's DKMS and module trees untouched" "$1"
	ktap_finish
}
command -v dkms >/dev/null || skip_all "dkms not installed (scripts/deps test)"
# dkms refuses to add or build for anyone else.
[ "$(id -u)" -eq 0 ] || skip_all "dkms needs root"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stamp=$tmp/stamp
touch "$stamp"
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
srcdir=$tmp/usr/src/blkjob-$version

# dkms signs with a key it creates in /var/lib/dkms when it finds the
# kernel's sign-file; point it (and the key) away from the system.
export sign_file=$tmp/no-sign-file mok_signing_key=$tmp/mok.key
export mok_certificate=$tmp/mok.pub
dk() {
	dkms "$@" --dkmstree "$tmp/dkms" --sourcetree "$tmp/usr/src"
}

stage() {
	local got
	make --no-print-directory -s -C "$top" dkms-source DESTDIR="$tmp" ||
		die "make dkms-source failed" || return 1
	[ -f "$srcdir/dkms.conf" ] && [ -f "$srcdir/Kbuild" ] &&
		[ -f "$srcdir/kernel/main.c" ] &&
		[ -f "$srcdir/include/uapi/linux/blkjob.h" ] ||
		die "missing sources in $srcdir" || return 1
	got=$(cd "$srcdir" && find . -path ./tests -o -name '*.o' | head -n 3)
	[ -z "$got" ] || die "not sources: $got" || return 1
	mkdir -p "$tmp/dkms"
	dk add -m blkjob -v "$version" >"$tmp/add.log" 2>&1 ||
		die "dkms add: $(cat "$tmp/add.log")"
}

build() {
	local line=$1 kdir rel ko t0 out
	kdir=$("$top/scripts/kernels" kdir "$line") || return 1
	rel=$("$top/scripts/kernels" release "$line") || return 1
	t0=$SECONDS
	out=$(dk build -m blkjob -v "$version" -k "$rel" \
		--kernelsourcedir "$kdir" 2>&1) ||
		die "dkms build for $rel failed: $(tail -n 20 <<<"$out") $(
			tail -n 20 "$tmp/dkms/blkjob/$version/build/make.log" \
			2>/dev/null)" || return 1
	echo "dkms build for $rel: $((SECONDS - t0)) s"
	ko=$tmp/dkms/blkjob/$version/$rel/$(uname -m)/module/blkjob.ko
	[ -f "$ko" ] || die "no $ko" || return 1
	modinfo -F vermagic "$ko" | grep -q "^$rel " ||
		die "$ko is not built for $rel" || return 1
	dk status -m blkjob -v "$version" -k "$rel" | grep -q ': built$' ||
		die "dkms status: $(dk status)"
}

untouched() {
	local changed
	changed=$(find /usr/src -maxdepth 2 -newer "$stamp" 2>/dev/null
		find /var/lib/dkms -newer "$stamp" 2>/dev/null
		find /lib/modules -maxdepth 3 -newer "$stamp" 2>/dev/null) || true
	[ -z "$changed" ] || die "changed on the system: $changed" || return 1
	[ ! -e "$tmp/mok.key" ] || die "dkms made a signing key"
}

ktap_run "dkms: make dkms-source stages the module's sources" stage
for l in $lines; do
	ktap_run "dkms: builds blkjob.ko for $l" build "$l"
done
ktap_run "dkms: the system's DKMS and module trees untouched" untouched
ktap_finish
