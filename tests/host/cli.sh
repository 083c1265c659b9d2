#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# blkjobctl as a user runs it, without the module: exit codes, usage
# messages on stderr, help, version, and the man page.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
ctl=$top/userspace/blkjobctl/blkjobctl
man=$top/userspace/blkjobctl/blkjobctl.8
man4=$top/Documentation/blkjob/blkjob.4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run EXPECTED-RC STDERR-PATTERN ARGS...: exit code and stderr message.
run() {
	local want=$1 pat=$2 err rc
	shift 2
	err=$("$ctl" "$@" 2>&1 >/dev/null) && rc=0 || rc=$?
	expect_eq "$rc" "$want" "blkjobctl $*" || return 1
	[ -z "$pat" ] || grep -q -- "$pat" <<<"$err" ||
		die "blkjobctl $*: stderr '$err' lacks '$pat'"
}

usage_errors() {
	local bad=(
		""
		"frobnicate"
		"-x list"
		"--json --bogus list"
		"list extra"
		"new"
		"new j copy /dev/a"
		"new 9j copy /dev/a /dev/b"
		"new j warp /dev/a /dev/b"
		"new j copy /dev/a /dev/b speed"
		"new j copy /dev/a /dev/b speed 5Q"
		"new j copy /dev/a /dev/b granularity 8G"
		"new j copy /dev/a /dev/b auto-dismiss yes"
		"copy /dev/a"
		"show"
		"pause"
		"resume j k"
		"cancel j now"
		"complete"
		"finalize"
		"dismiss"
		"set-speed j"
		"set-speed j -5"
		"change j"
		"change j copy-mode sideways"
		"txn"
		"txn job a copy s"
		"txn completion-mode sometimes job a copy s t"
		"monitor all"
		"wait"
		"wait j status finished"
		"wait j timeout soon"
		"mirror /dev/a"
		"mirror /dev/a /dev/b complete complete"
		"mirror /dev/a /dev/b force"
		"backup /dev/a /dev/b complete"
		"backup"
		"wrap /dev/a"
		"wrap /dev/a x/y"
		"restore"
		"restore vg-lv now"
	)
	local args
	for args in "${bad[@]}"; do
		# shellcheck disable=SC2086 # word splitting intended
		run 2 "Try 'blkjobctl help'" $args || return 1
	done
	run 2 "invalid job type 'warp' (expected copy, mirror or backup)" \
		new j warp /dev/a /dev/b || return 1
	run 2 "unknown command 'frobnicate'" frobnicate
}

help_and_version() {
	local out
	out=$("$ctl" help) || die "help exited $?" || return 1
	grep -q '^Usage: blkjobctl' <<<"$out" || die "no usage" || return 1
	grep -q 'Exit status: 0 success, 1' <<<"$out" ||
		die "help lacks exit codes" || return 1
	"$ctl" -h | grep -q '^Usage' || die "-h" || return 1
	# Each command's own usage, both ways, and nothing of the others'.
	for c in new copy list show pause resume cancel complete finalize \
		dismiss set-speed change txn monitor wait mirror backup wrap \
		restore meta activate help version; do
		out=$("$ctl" help "$c") || die "help $c exited $?" || return 1
		grep -q "^Usage: blkjobctl \[OPTIONS\] $c\b" <<<"$out" ||
			die "help $c: $out" || return 1
		[ "$(grep -c '^Usage' <<<"$out")" = 1 ] &&
			! grep -q 'COMMAND :=' <<<"$out" ||
			die "help $c prints more than its command" || return 1
		[ "$("$ctl" "$c" help)" = "$out" ] ||
			die "'$c help' differs from 'help $c'" || return 1
	done
	run 2 "unknown command 'nope'" help nope
	"$ctl" -V | grep -q '^blkjobctl .*family version 1' ||
		die "-V" || return 1
	run 0 "" --version
}

no_module() {
	[ -d /sys/module/blkjob ] && { echo "blkjob is loaded here"; return 0; }
	run 1 "^Error: generic netlink family 'blkjob' not found" list &&
	run 1 "^Error: generic netlink family 'blkjob' not found" -j show j &&
	run 1 "^Error: generic netlink family 'blkjob' not found" monitor
}

man_page() {
	local s
	for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS EXAMPLES \
		"EXIT STATUS" "SEE ALSO"; do
		grep -q "^\.SH \"\?$s\"\?\$" "$man" ||
			die "blkjobctl.8 lacks section $s" || return 1
	done
	grep -q 'blkjob.yaml' "$man" || die "SEE ALSO must cite the spec" ||
		return 1
	if command -v groff >/dev/null; then
		local w
		w=$(groff -man -Tutf8 -ww -z "$man" 2>&1)
		[ -z "$w" ] || die "groff warnings: $w"
	fi
}

# blkjob(4): the operator's page for the module and its dm target.
module_man_page() {
	local s w
	for s in NAME SYNOPSIS DESCRIPTION "MODULE PARAMETERS" \
		"DEVICE-MAPPER TARGET" "SEE ALSO"; do
		grep -q "^\.SH \"\?$s\"\?\$" "$man4" ||
			die "blkjob.4 lacks section $s" || return 1
	done
	command -v groff >/dev/null || return 0
	w=$(groff -man -Tutf8 -ww -z "$man4" 2>&1)
	[ -z "$w" ] || die "groff warnings: $w"
}

# udev's question, answered without the module: a label, or not.
meta_probe() {
	local f=$tmp/meta.img out
	truncate -s 1M "$f"
	run 1 "" meta probe "$f" || return 1
	out=$("$ctl" meta probe "$f")
	expect_eq "$out" "" "output without a label" || return 1
	printf BLKJOBMD | dd of="$f" conv=notrunc status=none
	out=$("$ctl" meta probe "$f") || die "no label found" || return 1
	expect_eq "$out" "BLKJOB_META=1" "output for udev" || return 1
	run 1 "" meta probe "$tmp/no-such-device"
}

ktap_plan 6
ktap_run "cli: usage errors exit 2 with a message" usage_errors
ktap_run "cli: help and version" help_and_version
ktap_run "cli: meta probe for udev" meta_probe
if [ -d /sys/module/blkjob ]; then
	ktap_skip "cli: no module gives exit 1 and Error:" "module loaded"
else
	ktap_run "cli: no module gives exit 1 and Error:" no_module
fi
ktap_run "cli: man page sections" man_page
ktap_run "cli: blkjob(4) man page sections" module_man_page
ktap_finish
