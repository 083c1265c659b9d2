#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rmmod with jobs in every state a job can be held in: while a blkjob dm
# device exists (ready and standby mirrors attached), the module is in use
# and rmmod is refused, changing nothing; once those devices are removed,
# rmmod force-cancels the rest (running, paused, waiting, pending,
# concluded), waits for them, and leaves no device claimed.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
ctl=$top/userspace/blkjobctl/blkjobctl
ko=$top/build/${BLKJOB_KLINE:-6.12}/blkjob.ko
tmp=$(mktemp -d)
devs=()
for i in $(seq 0 15); do
	truncate -s 16M "$tmp/d$i"
	devs+=("$(losetup -f --show "$tmp/d$i")")
done

# No python per poll: under TCG its start-up costs a second or more.
status() { $ctl -j show "$1" | sed -n 's/^{[^}]*"status":"\([a-z]*\)".*/\1/p'; }

wait_for() { # id status
	local i
	for i in $(seq 300); do
		[ "$(status "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	die "$1 never reached $2 (is $(status "$1"))"
}

test_jobs_in_every_state() {
	$ctl new running copy "${devs[0]}" "${devs[1]}" speed 16K || return 1
	$ctl new paused copy "${devs[2]}" "${devs[3]}" speed 16K || return 1
	wait_for paused running && $ctl pause paused || return 1
	$ctl new pending copy "${devs[4]}" "${devs[5]}" auto-finalize off ||
		return 1
	$ctl new concluded copy "${devs[6]}" "${devs[7]}" auto-dismiss off ||
		return 1
	# grouped: the quick one waits for the slow one.
	$ctl txn completion-mode grouped \
		job waiting copy "${devs[8]}" "${devs[9]}" \
		job slow copy "${devs[10]}" "${devs[11]}" speed 16K || return 1
	mirror ready "${devs[12]}" "${devs[13]}" &&
		mirror standby "${devs[14]}" "${devs[15]}" || return 1
	wait_for paused paused && wait_for pending pending &&
		wait_for concluded concluded && wait_for waiting waiting &&
		wait_for ready ready && $ctl pause standby &&
		wait_for standby standby
}

# A mirror job ID attached to a blkjob dm device bju-ID over SRC and DST.
mirror() {
	local sz
	sz=$(blockdev --getsz "$2")
	dmsetup create "bju-$1" --table "0 $sz blkjob $2 $3" &&
		dmsetup mknodes "bju-$1" &&
		$ctl new "$1" mirror "/dev/mapper/bju-$1" "$3"
}

states() {
	local id out=
	for id in running paused waiting slow pending concluded ready standby; do
		out+="$id=$(status $id) "
	done
	echo "$out"
}

test_rmmod_in_use() {
	local before
	before=$(states)
	! rmmod blkjob 2>/dev/null || die "rmmod succeeded with blkjob dm devices"
	[ -d /sys/module/blkjob ] || die "unloaded"
	[ "$(states)" = "$before" ] || die "jobs changed: $before -> $(states)"
	# Removing a blkjob device force-cancels its mirror.
	dmsetup remove bju-ready && dmsetup remove bju-standby ||
		die "cannot remove the blkjob dm devices"
	$ctl -j list | python3 -c 'import json, sys
ids = [j["id"] for j in json.load(sys.stdin)]
sys.exit("ready" in ids or "standby" in ids)' ||
		die "mirror jobs left: $($ctl list)"
}

test_rmmod() {
	local t0=$SECONDS
	rmmod blkjob || die "rmmod failed"
	[ $((SECONDS - t0)) -le 5 ] || die "rmmod took $((SECONDS - t0)) s"
	[ ! -d /sys/module/blkjob ] || die "still loaded"
}

test_no_claims_left() {
	python3 -c 'import os, sys
for d in sys.argv[1:]:
    try:
        os.close(os.open(d, os.O_RDWR | os.O_EXCL))
    except OSError as e:
        sys.exit(f"{d} is still claimed: {e}")' "${devs[@]}"
}

test_reload() {
	insmod "$ko" || die "insmod failed"
	[ "$($ctl -j list)" = "[]" ] || die "jobs survived the reload: $($ctl -j list)"
}

ktap_plan 5
ktap_run "jobs held running, paused, waiting, pending, concluded, ready and standby" \
	test_jobs_in_every_state
ktap_run "rmmod refused while blkjob dm devices exist, nothing changed" \
	test_rmmod_in_use
ktap_run "rmmod force-cancels the rest promptly" test_rmmod
ktap_run "no device claim is left" test_no_claims_left
ktap_run "module reloads with no jobs" test_reload
dmsetup remove bju-ready 2>/dev/null
dmsetup remove bju-standby 2>/dev/null
for d in "${devs[@]}"; do losetup -d "$d"; done
rm -rf "$tmp"
ktap_finish
