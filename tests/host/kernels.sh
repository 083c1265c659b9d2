#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scripts/kernels: which packages it takes for a line, on archives recorded
# with `scripts/kernels apt-snapshot LINE` (tests/host/data/apt/) and on
# drifts made from them; then a fetch of both lines from an empty cache,
# from the archive as it is today.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
data=$top/tests/host/data/apt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '6.12 6.12.117+deb12\n6.1 6.1.0-56\n' >"$tmp/pin"

# resolve LINE FIXTURE: what scripts/kernels would download.
resolve() {
	BLKJOB_KERNELS_PIN=$tmp/pin BLKJOB_APT_FIXTURE=$2 \
		"$top/scripts/kernels" resolve "$1" 2>"$tmp/log"
}

# expect LINE FIXTURE ABI VERSION KBUILD-VERSION
expect() {
	local got want
	got=$(resolve "$1" "$2") || { cat "$tmp/log"; die "resolve $1 failed"; return 1; }
	cat "$tmp/log"
	if [ "$1" = 6.1 ]; then kb=linux-kbuild-6.1; else kb=linux-kbuild-$3; fi
	want="$3 linux-image-$3-amd64-unsigned=$4 linux-headers-$3-amd64=$4"
	want+=" linux-headers-$3-common=$4 $kb=$5"
	expect_eq "$got" "$want"
}

# Today's 6.1: kbuild rebuilt alone (6.1.192-3) beside 6.1.0-56's 6.1.192-2.
test_today_61() {
	expect 6.1 "$data/6.1-2026-12-07.madison" 6.1.0-56 6.1.192-2 6.1.192-3 ||
		return 1
	grep -q 'linux-kbuild-6.1 6.1.192-2 is not served; using 6.1.192-3' \
		"$tmp/log" || die "the substitution was not logged"
}

test_today_612() {
	expect 6.12 "$data/6.12-2026-12-07.madison" 6.12.117+deb12 \
		6.12.117-1~deb12u1 6.12.117-1~deb12u1
}

# Before the drift both revisions of kbuild were served: the exact one wins.
test_exact_kbuild() {
	{ cat "$data/6.1-2026-12-07.madison"
	  echo "linux-kbuild-6.1 |  6.1.192-2 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages"
	} >"$tmp/a"
	expect 6.1 "$tmp/a" 6.1.0-56 6.1.192-2 6.1.192-2
}

# The pinned ABI gone, or served without its common headers: the newest
# whole one.
test_pin_gone() {
	grep -v -- '-6\.1\.0-56-' "$data/6.1-2026-12-07.madison" >"$tmp/a"
	expect 6.1 "$tmp/a" 6.1.0-57 6.1.192-3 6.1.192-3 || return 1
	grep -q 'pinned 6.1 kernel 6.1.0-56 is not served whole; using 6.1.0-57' \
		"$tmp/log" || die "the change of ABI was not logged"
	grep -v -- '-6\.1\.0-56-common' "$data/6.1-2026-12-07.madison" >"$tmp/a"
	expect 6.1 "$tmp/a" 6.1.0-57 6.1.192-3 6.1.192-3
}

# No kbuild of the pinned upstream version: the newest ABI that has one.
test_kbuild_gone() {
	grep -v 'linux-kbuild-6.1 |  6.1.192' "$data/6.1-2026-12-07.madison" \
		>"$tmp/a"
	expect 6.1 "$tmp/a" 6.1.0-50 6.1.176-1 6.1.176-1
}

# Nothing whole: fail, saying what the archive has.
test_nothing_whole() {
	grep -v 'linux-kbuild' "$data/6.1-2026-12-07.madison" >"$tmp/a"
	! resolve 6.1 "$tmp/a" >/dev/null || die "resolved without any kbuild"
	cat "$tmp/log"
	grep -q 'cannot fetch the 6.1 kernel' "$tmp/log" || die "no error"
	grep -q 'linux-image-6.1.0-56-amd64-unsigned 6.1.192-2' "$tmp/log" ||
		die "the error does not list what is served"
}

# Today's archive, an empty cache: both lines fetched, what was taken
# recorded, the headers usable.
test_fetch_empty_cache() {
	local c=$tmp/cache l d
	mkdir "$c"
	BLKJOB_CACHE=$c "$top/scripts/kernels" fetch 2>&1 ||
		die "fetch into an empty cache failed"
	for l in $("$top/scripts/kernels" lines); do
		d=$(BLKJOB_CACHE=$c "$top/scripts/kernels" root "$l") ||
			die "no $l kernel after the fetch"
		echo "$l: $(cat "$d/.release"): $(cat "$d/.packages")"
		[ -f "$d/boot/vmlinuz-$(cat "$d/.release")" ] ||
			die "$l: no vmlinuz"
		d=$(BLKJOB_CACHE=$c "$top/scripts/kernels" kdir "$l")
		make -s -C "$d" kernelrelease >/dev/null ||
			die "$l: the headers in $d do not work"
	done
}

ktap_plan 7
ktap_run "kernels: today's 6.1: pinned ABI, kbuild of the same upstream" \
	test_today_61
ktap_run "kernels: today's 6.12: pinned ABI, one revision" test_today_612
ktap_run "kernels: the exact kbuild revision when served" test_exact_kbuild
ktap_run "kernels: pinned ABI gone or incomplete: the newest whole one" \
	test_pin_gone
ktap_run "kernels: no kbuild of the pinned version: an older whole ABI" \
	test_kbuild_gone
ktap_run "kernels: nothing whole: a clear error" test_nothing_whole
ktap_run "kernels: fetch from an empty cache" test_fetch_empty_cache
ktap_finish
