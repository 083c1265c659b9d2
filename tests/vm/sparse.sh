#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Zeros are not copied as data: a chunk read as all zeros is written as a
# WRITE_ZEROES (unmap allowed) where the destination takes them, so a
# sparse destination stays sparse and the copy stays exact. The
# destination here is a loop device over a file on tmpfs, filled with
# random bytes first (every page allocated, nothing reads as zero by
# chance); the source holds 8 MiB of data in 64 MiB. Checked: the whole
# destination equals the source (cmp) and the file's allocation after the
# copy (du) is at most 1.25 times the data (the mirror's held identity,
# its first 8 MiB, goes through the same copier at the pivot).
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/live.sh"
trap live_cleanup EXIT

MB=64
DATA_MB=8

# A source of $MB MiB with $DATA_MB MiB of random data in 1 MiB pieces
# spread over it, the rest zeros.
mksrc() {
	local dev i
	dev=$(mkloop $MB) || return 1
	for i in $(seq 0 $((DATA_MB - 1))); do
		dd if=/dev/urandom of="$dev" bs=1M seek=$((i * 7 + 1)) count=1 \
			conv=notrunc,fsync status=none || return 1
	done
	echo "$dev"
}

# A destination loop device over a file of random bytes; its file in
# $live_dir/dst.file.
mkdst() {
	local f=$live_dir/dst.file dev
	head -c $((MB << 20)) /dev/urandom >"$f" || return 1
	dev=$(losetup -f --show "$f") || return 1
	echo "$dev" >>"$live_dir/loops"
	echo "$dev"
}

alloc_kib() { du -k "$live_dir/dst.file" | cut -f1; }

# expect_sparse MAX_KIB: the destination file holds at most that much.
expect_sparse() {
	local kib
	kib=$(alloc_kib)
	echo "destination allocates $kib KiB for $((DATA_MB << 10)) KiB of data (at most $1)"
	[ "$kib" -le "$1" ] || die "the destination is not sparse: $kib KiB"
}

test_copy() {
	local src dst
	src=$(mksrc) && dst=$(mkdst) || return 1
	[ "$(alloc_kib)" -ge $((MB << 10)) ] || die "dst not allocated" ||
		return 1
	"$ctl" -q copy "$src" "$dst" id sp-copy wait || return 1
	cmp "$src" "$dst" || die "the copy differs" || return 1
	expect_sparse $((DATA_MB * 1024 * 5 / 4))
}

test_mirror() {
	local src dst vol=bjsp
	src=$(mksrc) && dst=$(mkdst) || return 1
	"$ctl" -q wrap "$src" "$vol" || return 1
	live_dm "$vol"
	"$ctl" -q mirror "/dev/mapper/$vol" "$dst" id sp-mirror \
		wait complete || return 1
	cmp "$src" "$dst" || die "the mirror's destination differs" ||
		return 1
	expect_sparse $((DATA_MB * 1024 * 5 / 4))
}

ktap_plan 2
ktap_run "copy: zero chunks leave a sparse destination sparse, exact" \
	test_copy
ktap_run "mirror: zero chunks leave a sparse destination sparse, exact" \
	test_mirror
ktap_finish
