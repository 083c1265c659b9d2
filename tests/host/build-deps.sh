#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Plain make installs and downloads nothing: with a build dependency
# missing (a dpkg-query that says so) it fails naming the package, and
# without kernel headers for the running kernel it fails saying how to get
# some; apt-get and sudo (stubs that leave a mark) are never run.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Stubs first in PATH: apt-get and sudo mark that they ran; dpkg-query
# reports $MISSING as not installed and asks the real one otherwise.
mkdir "$tmp/bin"
for c in apt-get sudo; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/ran"\nexit 1\n' "$c" "$tmp" \
		>"$tmp/bin/$c"
done
real=$(command -v dpkg-query)
cat >"$tmp/bin/dpkg-query" <<EOF
#!/bin/sh
for a; do p=\$a; done
[ "\$p" = "\$MISSING" ] && { echo "unknown ok not-installed"; exit 1; }
exec $real "\$@"
EOF
chmod +x "$tmp/bin/"*

mk() { PATH=$tmp/bin:$PATH make --no-print-directory -C "$top" "$@" 2>&1; }

missing_package() {
	local out rc
	out=$(MISSING=libnl-genl-3-dev mk userspace) && rc=0 || rc=$?
	echo "$out" | head -n 5
	[ "$rc" -ne 0 ] || die "make succeeded without libnl-genl-3-dev" ||
		return 1
	grep -q "needs these Debian packages: libnl-genl-3-dev" <<<"$out" &&
		grep -q "make deps" <<<"$out" ||
		die "the message does not name the package and 'make deps'" ||
		return 1
	[ ! -e "$tmp/ran" ] || die "ran: $(cat "$tmp/ran")"
}

no_headers() {
	local out rc
	[ -e "/lib/modules/$(uname -r)/build/Makefile" ] &&
		{ echo "headers for $(uname -r) installed here"; return 0; }
	out=$(mk module) && rc=0 || rc=$?
	echo "$out" | head -n 5
	[ "$rc" -ne 0 ] || die "make module succeeded without headers" ||
		return 1
	grep -q "No kernel headers for $(uname -r)" <<<"$out" &&
		grep -q "KVER=6.12" <<<"$out" ||
		die "the message does not say how to get headers" || return 1
	[ ! -e "$tmp/ran" ] || die "ran: $(cat "$tmp/ran")"
}

ktap_plan 2
ktap_run "build: a missing package is named, nothing installed" missing_package
ktap_run "build: no kernel headers is an error, nothing downloaded" no_headers
ktap_finish
