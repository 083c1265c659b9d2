#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# libblkjob.so.0: its soname, and exactly the functions libblkjob.h
# declares exported, each under the version node LIBBLKJOB_0 of
# libblkjob.map (nothing internal: bjdm_*, blkjob_nl_*, blkjob_why); a
# program links against it and runs.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
. "$top/tests/lib/abi.sh"
lib=$top/userspace/lib
so=$lib/libblkjob.so.0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

soname() {
	[ -e "$so" ] || die "no $so (make -C userspace)" || return 1
	readelf -d "$so" | grep -q 'SONAME.*\[libblkjob\.so\.0\]' ||
		die "soname: $(readelf -d "$so" | grep SONAME)"
}

only_declared() {
	local want
	want=$(abi_declared)
	abi_check "$so" || return 1
	# The map lists them too, so that it is kept with the header.
	expect_eq "$(grep -oE '^\s+blkjob_[a-z0-9_]+;' "$lib/libblkjob.map" |
		tr -d ' \t;' | sort)" "$want" "libblkjob.map's list"
}

links_and_runs() {
	cat >"$tmp/prog.c" <<-'EOF'
	#include <stdio.h>
	#include <libblkjob.h>

	int main(void)
	{
		uint64_t v;

		if (blkjob_parse_size("64kB", &v))
			return 1;
		printf("%llu %s\n", (unsigned long long)v,
		       blkjob_job_status_str(BLKJOB_JOB_STATUS_READY));
		return 0;
	}
	EOF
	gcc -Wall -Werror -I"$lib" -I"$top/include/uapi" -o "$tmp/prog" \
		"$tmp/prog.c" -L"$lib" -lblkjob ||
		die "does not link against libblkjob.so" || return 1
	readelf -d "$tmp/prog" | grep -q 'NEEDED.*\[libblkjob\.so\.0\]' ||
		die "not linked against libblkjob.so.0" || return 1
	expect_eq "$(LD_LIBRARY_PATH=$lib "$tmp/prog")" "64000 ready"
}

ktap_plan 3
ktap_run "abi: libblkjob.so.0 has its soname" soname
ktap_run "abi: it exports what libblkjob.h declares, versioned, and nothing else" \
	only_declared
ktap_run "abi: a program links against it and runs" links_and_runs
ktap_finish
