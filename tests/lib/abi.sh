# SPDX-License-Identifier: GPL-2.0
# libblkjob's ABI as the tests see it (tests/host/abi.sh, deb.sh).

# The functions libblkjob.h declares (not the callback typedefs).
abi_declared() {
	grep -E '^[a-z]' "$top/userspace/lib/libblkjob.h" | grep -v '(\*' |
		grep -oE '\bblkjob_[a-z0-9_]+\(' | tr -d '(' | sort -u
}

# abi_exported SO: its defined, exported functions, as "name version".
abi_exported() {
	objdump -T "$1" | awk '$2 == "g" && $4 == ".text" { print $7, $6 }' |
		sort
}

# abi_check SO: it exports exactly what the header declares, each under
# LIBBLKJOB_0.
abi_check() {
	local want got
	want=$(abi_declared) got=$(abi_exported "$1" | cut -d' ' -f1)
	[ "$(wc -l <<<"$want")" -gt 50 ] || die "header not parsed" || return 1
	[ "$got" = "$want" ] || die "exported vs declared:$(diff \
		<(echo "$want") <(echo "$got") | grep '^[<>]' | sed 's/^/ /')" ||
		return 1
	! abi_exported "$1" | grep -v ' LIBBLKJOB_0$' ||
		die "symbols outside LIBBLKJOB_0"
}
