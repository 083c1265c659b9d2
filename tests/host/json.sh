#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# blkjobctl -j as a script consumes it, for every command that runs without
# the kernel: what it prints parses as JSON (python3's parser), and a
# command that fails prints nothing on stdout, so a parser never sees half
# a document. With the module loaded, the job list is parsed instead.
# (The printer's JSON for jobs and events is unit tested in test_print.c.)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
ctl=$top/userspace/blkjobctl/blkjobctl

# json_check PYTHON-EXPR: parse stdin, evaluate EXPR on it (as d).
json_check() {
	python3 -c 'import json, sys
d = json.load(sys.stdin)
sys.exit(0 if eval(sys.argv[1]) else 1)' "$1"
}

version() {
	local opts out
	for opts in "-j version" "--json version" "-jp version" "-j -V" \
		"-p --json --version"; do
		# shellcheck disable=SC2086 # words intended
		out=$("$ctl" $opts) || die "blkjobctl $opts exited $?" || return 1
		json_check 'd["family-version"] == 1 and d["version"]' \
			<<<"$out" || die "blkjobctl $opts: '$out'" || return 1
	done
	# -p indents, one member per line.
	[ "$("$ctl" -jp version | wc -l)" -eq 4 ] || die "-jp is not indented"
}

# Every command that needs the module (mirror, backup, wrap and restore
# need device-mapper too, and stay out).
kernel_cmds=(
	"list" "show j" "pause j" "resume j" "cancel j" "cancel j force"
	"complete j" "finalize j" "dismiss j" "set-speed j 50M"
	"change j copy-mode write-blocking" "wait j" "wait j status ready"
	"new j copy /dev/a /dev/b" "copy /dev/a /dev/b speed 1M"
	"txn job a copy /dev/a /dev/b" "monitor" "-t monitor"
)

failures_print_nothing() {
	local args out opt
	for opt in -j -jp; do
		for args in "${kernel_cmds[@]}"; do
			# shellcheck disable=SC2086 # words intended
			if out=$("$ctl" $opt $args 2>/dev/null); then
				die "blkjobctl $opt $args succeeded without the module"
				return 1
			fi
			[ -z "$out" ] ||
				die "blkjobctl $opt $args printed '$out'" || return 1
		done
	done
}

list_parses() {
	local opt out
	for opt in -j -jp; do
		out=$("$ctl" "$opt" list) || die "blkjobctl $opt list failed" ||
			return 1
		json_check 'isinstance(d, list) and all("id" in j for j in d)' \
			<<<"$out" || die "blkjobctl $opt list: '$out'" || return 1
	done
}

usage_errors_print_nothing() {
	local out
	if out=$("$ctl" -j copy /dev/a /dev/b speed 5Q 2>/dev/null); then
		die "a usage error succeeded"
		return 1
	fi
	[ -z "$out" ] || die "a usage error printed '$out'"
}

ktap_plan 3
ktap_run "json: version parses (-j, --json, -p)" version
if [ -d /sys/module/blkjob ]; then
	ktap_run "json: the job list parses as an array" list_parses
else
	ktap_run "json: without the module every command prints nothing" \
		failures_print_nothing
fi
ktap_run "json: a usage error prints nothing on stdout" \
	usage_errors_print_nothing
ktap_finish
