# SPDX-License-Identifier: GPL-2.0
# Helpers for the VM tests of live mirror and backup (tests/vm/live-*.sh):
# scratch loop devices on tmpfs, an ext4 filesystem, a writer that records
# what it wrote, and checks of dm tables. Source after tests/lib/ktap.sh.
#
# Everything lives under $live_dir and is torn down by live_cleanup (run
# from an EXIT trap), whatever state a test left behind. ktap_run runs each
# test in a subshell, so what must be cleaned up is noted in files there,
# and background processes never hold the subshell's output pipe.

. "$top/tests/lib/lvm.sh"

ctl=$top/userspace/blkjobctl/blkjobctl
live_dir=/tmp/blkjob-live-$$
mkdir -p "$live_dir"
: >"$live_dir/loops"
: >"$live_dir/mounts"
: >"$live_dir/dms"
writer_pid=

# live_dm NAME: remove this dm device (and its plumbing) at the end.
live_dm() { echo "$1" >>"$live_dir/dms"; }

# mkloop MiB [LOGICAL-BLOCK-SIZE]: a zeroed loop device on tmpfs.
mkloop() {
	local f dev
	f=$(mktemp "$live_dir/disk.XXXX")
	truncate -s "${1}M" "$f"
	dev=$(losetup -f --show ${2:+-b "$2"} "$f") || return 1
	echo "$dev" >>"$live_dir/loops"
	echo "$dev"
}

# member NAME MiB: a dm device with a uuid (a stable identity, which a
# loop device alone lacks) over a fresh loop device; prints its path.
member() {
	local l
	l=$(mkloop "$2") || return 1
	dmsetup create "$1" --uuid "TEST-$1" \
		--table "0 $(($2 * 2048)) linear $(devno "$l") 0" || return 1
	live_dm "$1"
	dmsetup mknodes "$1"
	echo "/dev/mapper/$1"
}

# show_field METADEV FIELD: one scalar of 'blkjobctl -j meta show' (the
# first match).
show_field() {
	"$ctl" -j meta show "$1" |
		sed -n "s/.*\"$2\":\\(\"[^\"]*\"\\|[^,}]*\\).*/\\1/p" |
		head -n 1 | tr -d '"'
}

devno() { printf '%d:%d' "0x$(stat -c %t "$1")" "0x$(stat -c %T "$1")"; }

# lvm_sandbox: LVM's configuration in $live_dir/lvm (tests/lib/lvm.sh).
lvm_sandbox() { lvm_conf "$live_dir/lvm"; }

# mkfs_mount DEV DIR: ext4 that does no lazy background writes.
mkfs_mount() {
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$1" ||
		return 1
	mkdir -p "$2"
	mount -o noatime "$1" "$2" || return 1
	echo "$2" >>"$live_dir/mounts"
}

# The writer: files of 64 KiB of random data, fsync'ed, then their sha256
# appended to $live_dir/manifest (so it only lists complete files). Names
# repeat every $2 files, so later rounds overwrite earlier ones. It stops
# between files when $live_dir/stop exists, or pauses while .../hold does.
writer_start() {
	local dir=$1 names=${2:-200} pause=${3:-0}
	writer_stop >/dev/null 2>&1
	rm -f "$live_dir/stop" "$live_dir/hold" "$live_dir/manifest"
	: >"$live_dir/manifest"
	(
		i=0
		while [ ! -e "$live_dir/stop" ]; do
			if [ -e "$live_dir/hold" ]; then
				touch "$live_dir/held"
				sleep 0.05
				continue
			fi
			rm -f "$live_dir/held"
			f=$dir/f$((i % names))
			head -c 65536 /dev/urandom >"$live_dir/buf"
			dd if="$live_dir/buf" of="$f" bs=64k conv=fsync \
				status=none || exit 1
			echo "$(sha256sum <"$live_dir/buf" | cut -d' ' -f1)  $f" \
				>>"$live_dir/manifest"
			i=$((i + 1))
			[ "$pause" = 0 ] || sleep "$pause"
		done
	) >"$live_dir/writer.log" 2>&1 </dev/null &
	writer_pid=$!
	echo "$writer_pid" >"$live_dir/writer.pid"
}

# Hold the writer between two files; returns once it is held.
writer_hold() {
	local n=0
	rm -f "$live_dir/held"
	touch "$live_dir/hold"
	while [ ! -e "$live_dir/held" ]; do
		sleep 0.05
		n=$((n + 1))
		[ $n -lt 400 ] || { echo "writer does not hold"; return 1; }
	done
}

writer_release() { rm -f "$live_dir/hold"; }

# Stop the writer; fails if it failed (a write error).
writer_stop() {
	local rc=0
	[ -n "$writer_pid" ] || return 0
	rm -f "$live_dir/hold"
	touch "$live_dir/stop"
	wait "$writer_pid" || rc=$?
	writer_pid=
	rm -f "$live_dir/writer.pid"
	[ $rc -eq 0 ] || { echo "writer exited $rc"; cat "$live_dir/writer.log"; }
	return $rc
}

# Every file's content is the last thing the writer recorded for it.
verify_manifest() {
	local n
	n=$(wc -l <"$live_dir/manifest")
	[ "$n" -gt 0 ] || { echo "the writer wrote nothing"; return 1; }
	tac "$live_dir/manifest" | awk '!seen[$2]++' >"$live_dir/last"
	sha256sum --quiet -c "$live_dir/last" ||
		{ echo "checksum mismatch ($n writes)"; return 1; }
	echo "$n files written, $(wc -l <"$live_dir/last") distinct, all checksums match"
}

# expect_table NAME "TABLE": NAME's live table is exactly that.
expect_table() {
	local t
	t=$(dmsetup table "$1") || return 1
	[ "$t" = "$2" ] || { echo "$1: table '$t', expected '$2'"; return 1; }
}

# pinned SECTORS DEV: the table of a wrapped device that maps onto DEV.
pinned() { echo "0 $1 blkjob-pinned $(devno "$2")"; }

# expect_no_blkjob NAME: no helper left for NAME, no blkjob table with a
# destination in it (a wrapped device keeps its one-leg blkjob-pinned).
expect_no_blkjob() {
	! dmsetup info "$1-blkjob-real" >/dev/null 2>&1 ||
		{ echo "left over: $1-blkjob-real"; return 1; }
	! dmsetup table "$1" | grep -Eq ' blkjob(-pinned)? [0-9:]+ [0-9:]+' ||
		{ echo "$1 still maps through blkjob"; return 1; }
}

# The dm status of NAME's blkjob target: "leg id status done/total".
bj_status() {
	dmsetup status "$1" |
		awk '$3 ~ /^blkjob(-pinned)?$/ { print $4, $5, $6, $7 }'
}

# job_field ID FIELD: one scalar of 'blkjobctl -j show' (no python: under
# TCG it takes seconds to start).
job_field() {
	"$ctl" -j show "$1" 2>/dev/null |
		sed -n "s/.*\"$2\":\\(\"[^\"]*\"\\|[^,}]*\\).*/\\1/p" | tr -d '"'
}

# Stop whatever a test left running (it may have been another subshell's).
stop_bg() {
	local f pid
	touch "$live_dir/stop" "$live_dir/hstop"
	for f in "$live_dir"/*.pid; do
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$pid" 2>/dev/null
		rm -f "$f"
	done
}

live_cleanup() {
	local m d l
	stop_bg
	while read -r m; do
		fsfreeze -u "$m" 2>/dev/null
		umount "$m" 2>/dev/null
	done < <(tac "$live_dir/mounts")
	while read -r d; do
		"$ctl" -q restore "$d" force 2>/dev/null
		dmsetup remove "$d" 2>/dev/null
	done < <(tac "$live_dir/dms")
	for l in $(dmsetup ls 2>/dev/null | awk '/-blkjob-real|^blkjob-/ {print $1}'); do
		dmsetup remove "$l" 2>/dev/null
	done
	while read -r l; do
		losetup -d "$l" 2>/dev/null
	done <"$live_dir/loops"
	rm -rf "$live_dir"
}
