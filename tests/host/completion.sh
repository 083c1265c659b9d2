#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The bash completion of blkjobctl, driven as readline would drive it
# (COMP_WORDS, COMP_CWORD, then COMPREPLY), with a stub blkjobctl on PATH
# that prints a job list like 'blkjobctl -j list' does, or fails like it
# does without the module.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
comp=$top/userspace/blkjobctl/blkjobctl.bash-completion

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/jobs" "$tmp/nomod"
# A source path whose JSON holds an escaped '"id":"' must not yield an id.
cat >"$tmp/jobs/blkjobctl" <<'EOF'
#!/bin/sh
[ "$*" = "-j list" ] || exit 2
echo '[{"id":"mig0","type":"copy","status":"running","source":"/dev/x\"id\":\"bad","target":"/dev/b"},{"id":"mirror1","type":"mirror","status":"ready"},{"id":"b.2","type":"backup","status":"concluded"}]'
EOF
cat >"$tmp/nomod/blkjobctl" <<'EOF'
#!/bin/sh
echo "Error: generic netlink family 'blkjob' not found (is the blkjob module loaded?)." >&2
exit 1
EOF
chmod +x "$tmp/jobs/blkjobctl" "$tmp/nomod/blkjobctl"

# complete STUB WORD...: COMPREPLY for completing the last WORD, one line,
# sorted; anything the completion itself printed fails the test.
complete_words() {
	local stub=$1
	shift
	PATH=$tmp/$stub:$PATH bash -c '
		. "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_blkjobctl
		printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort | xargs >"$0"
	' "$tmp/reply" "$comp" "$@" >"$tmp/noise" 2>&1 ||
		die "the completion failed for '$*'" || return 1
	[ ! -s "$tmp/noise" ] ||
		die "the completion printed: $(cat "$tmp/noise")" || return 1
	cat "$tmp/reply"
}

# check STUB EXPECTED WORD...
check() {
	local stub=$1 want=$2 got
	shift 2
	got=$(complete_words "$stub" "$@") || { echo "$got"; return 1; }
	expect_eq "$got" "$want" "completing '$*'"
}

commands_and_options() {
	local all
	check jobs "pause" blkjobctl pa &&
	check jobs "set-speed show" blkjobctl -j s &&
	check jobs "--json" blkjobctl --j &&
	check jobs "--help --json --pretty --quiet --timestamp --version -V -h -j -p -q -t" \
		blkjobctl - || return 1
	all=$(complete_words jobs blkjobctl "") || return 1
	[ "$(wc -w <<<"$all")" -eq 23 ] || die "not 23 commands: $all"
	check jobs "wait wrap" blkjobctl help w &&
		check jobs "" blkjobctl help wrap ""
}

live_ids() {
	check jobs "b.2 mig0 mirror1" blkjobctl show "" &&
	check jobs "mig0 mirror1" blkjobctl -jp cancel m &&
	check jobs "mirror1" blkjobctl wait mir &&
	check jobs "b.2" blkjobctl set-speed b
}

meta_words() {
	check jobs "format probe show" blkjobctl meta "" &&
	check jobs "force" blkjobctl meta format /dev/a "" &&
	check jobs "" blkjobctl meta show /dev/a "" &&
	check jobs "meta" blkjobctl wrap /dev/a data ""
}

keywords_and_values() {
	check jobs "force" blkjobctl cancel mig0 "" &&
	check jobs "concluded created" blkjobctl wait mig0 status c &&
	check jobs "speed" blkjobctl copy /dev/a /dev/b sp &&
	check jobs "enospc ignore report stop" \
		blkjobctl new j copy /dev/a /dev/b on-source-error "" &&
	check jobs "background write-blocking" \
		blkjobctl mirror /dev/a /dev/b --copy-mode "" &&
	check jobs "complete" blkjobctl mirror /dev/a /dev/b speed 5M com &&
	check jobs "key-file" blkjobctl restore /dev/a ke &&
	check jobs "/dev/null" blkjobctl mirror /dev/a /dev/b key-file /dev/nul &&
	check jobs "backup copy mirror" blkjobctl txn job a "" &&
	check jobs "" blkjobctl copy /dev/a /dev/b speed "" &&
	check jobs "/dev/null" blkjobctl copy /dev/nul &&
	check jobs "--timestamp -t" blkjobctl monitor ""
}

no_module_is_silent() {
	check nomod "" blkjobctl show "" &&
	check nomod "" blkjobctl cancel m &&
	# A missing blkjobctl is no different.
	check nomod "" /nonexistent/blkjobctl show ""
}

ktap_plan 5
ktap_run "completion: commands and global options" commands_and_options
ktap_run "completion: ids of the live jobs" live_ids
ktap_run "completion: meta and wrap ... meta" meta_words
ktap_run "completion: keywords, their values, devices" keywords_and_values
ktap_run "completion: nothing, silently, without the module" \
	no_module_is_silent
ktap_finish
