#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# blkjob's KUnit suites (kernel/*-test.c) ran when blkjob.ko loaded, and
# passed: one result here per KUnit test case, read from the suites'
# KTAP in /sys/kernel/debug/kunit/. Skipped on kernels without KUnit built
# in (Debian's); on the debug kernel of make check-debug they must be there.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
ko=$top/build/${BLKJOB_KLINE:-6.12}/blkjob.ko
suites="blkjob-job blkjob-ratelimit"
dir=/sys/kernel/debug/kunit

if [ ! -d "$dir" ]; then
	ktap_plan 1
	ktap_skip "KUnit suites" "the kernel has no KUnit (debugfs $dir)"
	ktap_finish
fi
[ -d /sys/module/blkjob ] || insmod "$ko" || {
	ktap_plan 1
	ktap_not_ok "blkjob.ko loads"
	ktap_finish
}

# Each suite's results file: its KTAP, the test cases indented one level
# deeper than the suite's own result line.
results=()
for s in $suites; do
	f=$dir/$s/results
	if [ ! -r "$f" ]; then
		results+=("not ok - suite $s: missing (blkjob.ko built without KUnit?)")
		continue
	fi
	while IFS= read -r l; do
		results+=("$l")
	done < <(sed 's/^/# /' "$f"; awk -v s="$s" '
		/^[ \t]*(not )?ok [0-9]+ / {
			line = $0; sub(/^[ \t]+/, "", line)
			bad = line ~ /^not ok/
			sub(/^(not )?ok [0-9]+ /, "", line)
			if (line == s) next
			print (bad ? "not ok" : "ok") " - " s ": " line
		}' "$f")
done

n=$(printf '%s\n' "${results[@]}" | grep -c -E '^(not )?ok - ')
ktap_plan "$n"
for l in "${results[@]}"; do
	case $l in
	"ok - "*) ktap_ok "${l#ok - }" ;;
	"not ok - "*) ktap_not_ok "${l#not ok - }" ;;
	*) echo "$l" ;;
	esac
done
ktap_finish
