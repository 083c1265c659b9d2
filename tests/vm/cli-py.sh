#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Upstream's YNL CLI (tools/net/ynl/cli.py from linux-source-6.12) drives
# the family from the spec alone: job-new, job-get (do and dump), monitor,
# and an extack error.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
ksrc=$("$top/scripts/kernels" source-dir)
spec=$top/Documentation/netlink/specs/blkjob.yaml
# No --schema: the spec's validation against upstream's genetlink-legacy
# schema happens on the host (scripts/ynl-gen --check, in make check);
# jsonschema under TCG would add seconds to every call.
ynl() {
	python3 "$ksrc/tools/net/ynl/cli.py" --spec "$spec" --no-schema \
		--output-json "$@"
}
tmp=$(mktemp -d)
src=$(losetup -f --show "$(truncate -s 8M "$tmp/src" && echo "$tmp/src")")
dst=$(losetup -f --show "$(truncate -s 8M "$tmp/dst" && echo "$tmp/dst")")
dd if=/dev/urandom of="$src" bs=1M count=8 oflag=direct status=none
id=cli-$$

json_get() { # key: the value of key in the JSON object on stdin
	python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

test_job_new() {
	local out
	out=$(ynl --do job-new --json "{\"id\": \"$id\", \"type\": \"copy\",
		\"source\": \"$src\", \"target\": \"$dst\",
		\"auto-dismiss\": 0}") || die "job-new failed: $out"
	expect_eq "$(echo "$out" | json_get id)" "$id"
	expect_eq "$(echo "$out" | json_get type)" copy
}

test_job_get() {
	local out i
	for i in $(seq 100); do
		out=$(ynl --do job-get --json "{\"id\": \"$id\"}") ||
			die "job-get failed: $out"
		[ "$(echo "$out" | json_get status)" = concluded ] && break
		sleep 0.1
	done
	expect_eq "$(echo "$out" | json_get status)" concluded || return 1
	expect_eq "$(echo "$out" | json_get offset)" 8388608 || return 1
	cmp "$src" "$dst" || die "target differs from source"
}

test_dump() {
	ynl --dump job-get | python3 -c '
import json, sys
jobs = json.load(sys.stdin)
sys.exit(0 if any(j["id"] == sys.argv[1] for j in jobs) else 1)' "$id" ||
		die "job $id not in the dump"
}

test_monitor() {
	local out pid
	"$top/userspace/blkjobctl/blkjobctl" dismiss "$id" ||
		die "job-dismiss failed"
	ynl --subscribe monitor --sleep 8 >"$tmp/ntf" &
	pid=$!
	# cli.py takes seconds to load the spec under TCG and subscribes at
	# an unknown moment: make jobs (blkjobctl starts fast) until it has
	# slept its 8 s and printed what it heard.
	while kill -0 "$pid" 2>/dev/null; do
		"$top/userspace/blkjobctl/blkjobctl" -q copy "$src" "$dst" ||
			die "copy failed"
		sleep 0.5
	done
	wait "$pid" || die "cli.py failed"
	out=$(cat "$tmp/ntf")
	echo "$out" | grep -q "job-status-ntf" ||
		die "no job-status-ntf in: $out"
	echo "$out" | grep -q "job-completed-ntf" ||
		die "no job-completed-ntf in: $out"
	echo "$out" | grep -q "\"null\"" || die "no null status in: $out"
}

test_extack() {
	local out
	out=$(ynl --do job-new --json '{"type": "copy"}' 2>&1) &&
		die "job-new without an id succeeded"
	echo "$out" | grep -qi "missing\|required\|attribute" ||
		die "no extack message in: $out"
	echo "# $out"
}

ktap_plan 5
ktap_run "cli.py: job-new" test_job_new
ktap_run "cli.py: job-get" test_job_get
ktap_run "cli.py: job-get dump" test_dump
ktap_run "cli.py: monitor" test_monitor
ktap_run "cli.py: extack for a missing attribute" test_extack
losetup -d "$src" "$dst"
rm -rf "$tmp"
ktap_finish
