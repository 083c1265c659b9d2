# SPDX-License-Identifier: GPL-2.0
# KTAP output for shell tests, in the kselftest style:
#
#	. tests/lib/ktap.sh
#	ktap_plan 2
#	ktap_run "name" some_function args...	# ok if it returns 0 and
#						# none of its checks failed
#	ktap_skip "name" "reason"
#	ktap_finish				# exits 1 on any failure
ktap_n=0
ktap_pass=0
ktap_fail=0
ktap_nskip=0

ktap_plan() {
	echo "TAP version 13"
	echo "1..$1"
}

ktap_ok() {
	ktap_n=$((ktap_n + 1)) ktap_pass=$((ktap_pass + 1))
	echo "ok $ktap_n $1"
}

ktap_not_ok() {
	ktap_n=$((ktap_n + 1)) ktap_fail=$((ktap_fail + 1))
	echo "not ok $ktap_n $1"
}

ktap_skip() {
	ktap_n=$((ktap_n + 1)) ktap_nskip=$((ktap_nskip + 1))
	echo "ok $ktap_n $1 # SKIP $2"
}

# Run a test; its output becomes KTAP diagnostics. It fails when it returns
# non-zero or when any check in it failed (die, expect_eq), even one whose
# status it went on past: a failed check leaves a line in $ktap_mark, which
# subshells and pipelines inside the test share.
ktap_mark=
ktap_run() {
	local name=$1 out rc marks
	shift
	ktap_mark=$(mktemp)
	out=$("$@" 2>&1) && rc=0 || rc=$?
	marks=$(wc -l <"$ktap_mark")
	rm -f "$ktap_mark"
	ktap_mark=
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
	[ "$rc" -eq 0 ] && [ "$marks" -gt 0 ] &&
		echo "# $marks failed check(s) above, though the test went on"
	if [ "$rc" -eq 0 ] && [ "$marks" -eq 0 ]; then
		ktap_ok "$name"
	else
		ktap_not_ok "$name"
	fi
}

ktap_finish() {
	echo "# Totals: pass:$ktap_pass fail:$ktap_fail xfail:0 xpass:0 skip:$ktap_nskip error:0"
	[ "$ktap_fail" -eq 0 ]
	exit $?
}

# Test helpers: fail with a message; inside ktap_run, the case fails even
# if the caller ignores the status.
die() {
	echo "$*"
	[ -z "$ktap_mark" ] || echo "$*" >>"$ktap_mark"
	return 1
}
expect_eq() { [ "$1" = "$2" ] || die "expected '$2', got '$1'${3:+: $3}"; }
