#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The test library and runner judge as they must: a shell test case fails
# when any of its checks fails, even if it carries on; tests/run holds each
# program's KTAP plan against its results and its exit status.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A shell test file whose single case runs BODY; prints its KTAP result.
one_case() {
	cat >"$tmp/t.sh" <<EOT
. "$top/tests/lib/ktap.sh"
t() { $1
}
ktap_plan 1
ktap_run "case" t
ktap_finish
EOT
	bash "$tmp/t.sh" | grep -E '^(not )?ok 1 '
}

test_carry_on() {
	expect_eq "$(one_case 'die "first check"; true')" "not ok 1 case" \
		"die, then a passing last command" || return 1
	expect_eq "$(one_case 'expect_eq a b; return 0')" "not ok 1 case" \
		"expect_eq failed, then return 0" || return 1
	expect_eq "$(one_case '( die in a subshell ); echo | { die in a pipe; }; :')" \
		"not ok 1 case" "die in a subshell and a pipeline" || return 1
	expect_eq "$(one_case 'false || true; expect_eq a a')" "ok 1 case" \
		"a case whose checks pass" || return 1
	expect_eq "$(one_case 'return 3')" "not ok 1 case" "return 3"
}

# run PROGRAM-BODY: tests/run's verdict line for a program.
run() {
	printf '#!/bin/bash\n%s\n' "$1" >"$tmp/prog"
	chmod +x "$tmp/prog"
	"$top/tests/run" --name r "$tmp/prog" | tail -n 1
}

test_plans() {
	expect_eq "$(run 'echo 1..2; echo ok 1 a; echo ok 2 b')" \
		"r: 2 passed, 0 failed, 0 skipped" "a whole run" || return 1
	expect_eq "$(run 'echo 1..5; echo ok 1 a; echo ok 2 b; exit 1')" \
		"r: 2 passed, 3 failed, 0 skipped" "died after 2 of 5" || return 1
	expect_eq "$(run 'echo 1..5; echo ok 1 a; echo ok 2 b')" \
		"r: 2 passed, 3 failed, 0 skipped" "2 of 5, exit 0" || return 1
	expect_eq "$(run 'echo ok 1 a')" \
		"r: 1 passed, 1 failed, 0 skipped" "no plan" || return 1
	expect_eq "$(run 'echo 1..1; echo ok 1 a; echo ok 2 b')" \
		"r: 2 passed, 1 failed, 0 skipped" "more results than planned" ||
		return 1
	expect_eq "$(run 'echo 1..1; echo ok 1 a; exit 2')" \
		"r: 1 passed, 1 failed, 0 skipped" "all ok, exit 2" || return 1
	expect_eq "$(run 'echo 1..0; exit 4')" \
		"r: 0 passed, 0 failed, 1 skipped" "KSFT_SKIP" || return 1
	expect_eq "$(run 'echo 1..2; echo ok 1 a; echo "ok 2 b # SKIP why"')" \
		"r: 1 passed, 0 failed, 1 skipped" "a skipped case"
}

ktap_plan 2
ktap_run "ktap: a case fails when any check fails" test_carry_on
ktap_run "run: plans, results and exit statuses" test_plans
ktap_finish
