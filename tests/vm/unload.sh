#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rmmod with jobs in every state a copy job can be held in force-cancels
# them, waits for them, and leaves no device claimed.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
ctl=$top/userspace/blkjobctl/blkjobctl
ko=$top/build/${BLKJOB_KLINE:-6.12}/blkjob.ko
tmp=$(mktemp -d)
devs=()
for i in 0 1 2 3 4 5 6 7; do
	truncate -s 16M "$tmp/d$i"
	devs+=("$(losetup -f --show "$tmp/d$i")")
done

status() { $ctl -j show "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }

wait_for() { # id status
	local i
	for i in $(seq 100); do
		[ "$(status "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	die "$1 never reached $2 (is $(status "$1"))"
}

test_jobs_in_every_state() {
	$ctl new running copy "${devs[0]}" "${devs[1]}" speed 64K || return 1
	$ctl new paused copy "${devs[2]}" "${devs[3]}" speed 64K || return 1
	wait_for paused running && $ctl pause paused || return 1
	$ctl new pending copy "${devs[4]}" "${devs[5]}" auto-finalize off ||
		return 1
	$ctl new concluded copy "${devs[6]}" "${devs[7]}" auto-dismiss off ||
		return 1
	wait_for paused paused && wait_for pending pending &&
		wait_for concluded concluded
}

test_rmmod() {
	local t0=$SECONDS
	rmmod blkjob || die "rmmod failed"
	[ $((SECONDS - t0)) -le 5 ] || die "rmmod took $((SECONDS - t0)) s"
	[ ! -d /sys/module/blkjob ] || die "still loaded"
}

test_no_claims_left() {
	local d
	for d in "${devs[@]}"; do
		python3 -c 'import os,sys; os.close(os.open(sys.argv[1], os.O_RDWR | os.O_EXCL))' "$d" ||
			die "$d is still claimed"
	done
}

test_reload() {
	insmod "$ko" || die "insmod failed"
	[ "$($ctl -j list)" = "[]" ] || die "jobs survived the reload: $($ctl -j list)"
}

ktap_plan 4
ktap_run "jobs held running, paused, pending and concluded" test_jobs_in_every_state
ktap_run "rmmod force-cancels them promptly" test_rmmod
ktap_run "no device claim is left" test_no_claims_left
ktap_run "module reloads with no jobs" test_reload
for d in "${devs[@]}"; do losetup -d "$d"; done
rm -rf "$tmp"
ktap_finish
