#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make install into a DESTDIR installs exactly the expected files (the
# module for the first pinned kernel, no test module, no depmod output),
# they work (blkjobctl runs, man pages render, libblkjob.pc builds a
# program), PREFIX moves them, and make uninstall removes every one; the
# module of each other pinned kernel installs and uninstalls too. Runs in a
# copy of the tree so that build/ (which VM runs may be using) is left
# alone.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/src root=$tmp/root
kline=$("$top/scripts/kernels" lines | head -n 1)
pkgver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
mk() { nice -n 10 make --no-print-directory -j"$(nproc)" -C "$src" "$@"; }

copy_tree() {
	mkdir -p "$src"
	# Tracked and new files, not build products or the git link.
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$top" && git ls-files -co --exclude-standard -z |
			xargs -0 cp --parents -t "$src")
	else
		tar -C "$top" --exclude=./build --exclude=./.git -cf - . |
			tar -C "$src" -xf -
	fi
}

expected() { # PREFIX [RELEASE]: the files make install puts there
	local p=$1
	printf '%s\n' "$p/sbin/blkjobctl" "$p/lib/libblkjob.a" \
		"$p/lib/libblkjob.so" "$p/lib/libblkjob.so.0" \
		"$p/lib/libblkjob.so.$pkgver" \
		"$p/include/blkjob/libblkjob.h" \
		"$p/include/blkjob/linux/blkjob.h" \
		"$p/lib/pkgconfig/libblkjob.pc" \
		"$p/share/man/man8/blkjobctl.8" "$p/share/man/man4/blkjob.4" \
		"$p/share/bash-completion/completions/blkjobctl" \
		"$p/lib/udev/rules.d/69-blkjob.rules" \
		"$p/lib/systemd/system/blkjob-activate.service"
	[ -z "${2:-}" ] || echo "/lib/modules/$2/extra/blkjob.ko$(ko_suffix)"
}

# modules_install compresses as the kernel's configuration says (6.12: xz).
ko_suffix() { # [LINE]
	local config
	config=$("$top/scripts/kernels" kdir "${1:-$kline}")/.config
	grep -q '^CONFIG_MODULE_COMPRESS_ALL=y' "$config" || return 0
	if grep -q '^CONFIG_MODULE_COMPRESS_XZ=y' "$config"; then echo .xz
	elif grep -q '^CONFIG_MODULE_COMPRESS_GZIP=y' "$config"; then echo .gz
	elif grep -q '^CONFIG_MODULE_COMPRESS_ZSTD=y' "$config"; then echo .zst
	fi
}

files_in() { (cd "$1" && find . ! -type d | sed 's/^\.//' | sort); }

same_files() { # DIR EXPECTED-LIST
	local got
	got=$(files_in "$1")
	[ "$got" = "$(sort <<<"$2")" ] ||
		die "installed files differ:$(diff <(sort <<<"$2") <(echo "$got") |
			grep '^[<>]' | sed 's/^/ /')"
}

install_files() {
	local rel out
	rel=$("$top/scripts/kernels" release "$kline") || return 1
	out=$(mk install DESTDIR="$root" KVER="$kline" 2>&1) ||
		die "make install failed: $(tail -n 20 <<<"$out")" || return 1
	grep -q "not running depmod" <<<"$out" ||
		die "make install ran depmod into a DESTDIR" || return 1
	same_files "$root" "$(expected /usr/local "$rel")" || return 1
	[ -x "$root/usr/local/sbin/blkjobctl" ] || die "blkjobctl not executable"
	modinfo -F vermagic "$root/lib/modules/$rel/extra/blkjob.ko$(ko_suffix)" |
		grep -q "^$rel " || die "blkjob.ko is not built for $rel"
}

installed_work() {
	local p=$root/usr/local m out
	"$p/sbin/blkjobctl" -V | grep -q '^blkjobctl ' || die "blkjobctl -V"
	for m in "$p/share/man/man8/blkjobctl.8" "$p/share/man/man4/blkjob.4"; do
		out=$(groff -man -Tutf8 -ww -z "$m" 2>&1)
		[ -z "$out" ] || die "$m: $out" || return 1
	done
	bash -c ". '$p/share/bash-completion/completions/blkjobctl' &&
		complete -p blkjobctl" | grep -q '_blkjobctl blkjobctl$' ||
		die "the completion does not register for blkjobctl" || return 1
	# The boot integration runs the blkjobctl that was installed with it.
	grep -qF '="/usr/local/sbin/blkjobctl meta probe $devnode"' \
		"$p/lib/udev/rules.d/69-blkjob.rules" ||
		die "the udev rule does not run /usr/local/sbin/blkjobctl" ||
		return 1
	grep -qx 'ExecStart=/usr/local/sbin/blkjobctl activate' \
		"$p/lib/systemd/system/blkjob-activate.service" ||
		die "the unit does not run /usr/local/sbin/blkjobctl"
}

pkg_config_builds() {
	local p=$root/usr/local flags
	# The .pc file names /usr/local; the sysroot points it at DESTDIR.
	flags=$(PKG_CONFIG_SYSROOT_DIR=$root \
		PKG_CONFIG_PATH=$p/lib/pkgconfig \
		pkg-config --cflags --libs libblkjob) ||
		die "pkg-config libblkjob failed" || return 1
	grep -q -- "-I$p/include/blkjob" <<<"$flags" ||
		die "no -I for the headers in: $flags" || return 1
	cat >"$tmp/prog.c" <<-'EOF'
	#include <stdio.h>
	#include <libblkjob.h>

	int main(void)
	{
		struct blkjob_wipe_result r;
		char buf[32];
		uint64_t v;
		int rc;

		if (blkjob_parse_speed("50M/s", &v))
			return 1;
		/* Links libblkid through the .pc file; refused: -EINVAL. */
		rc = blkjob_wipe("/dev/null", NULL, BLKJOB_WIPE_DRY_RUN, &r);
		blkjob_wipe_result_free(&r);
		printf("%s %s %d %d\n", blkjob_format_size(buf, sizeof(buf), v),
		       BLKJOB_FAMILY_NAME, BLKJOB_FAMILY_VERSION, rc);
		return 0;
	}
	EOF
	# shellcheck disable=SC2086 # flags are words
	gcc -Wall -Werror -o "$tmp/prog" "$tmp/prog.c" $flags ||
		die "a program using libblkjob does not build" || return 1
	readelf -d "$tmp/prog" | grep -q 'NEEDED.*\[libblkjob\.so\.0\]' ||
		die "not linked against libblkjob.so.0" || return 1
	expect_eq "$(LD_LIBRARY_PATH=$p/lib "$tmp/prog")" "50M blkjob 1 -22" ||
		return 1
	# Statically, with the dependencies pkg-config --static names.
	flags=$(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$p/lib/pkgconfig \
		pkg-config --static --cflags --libs libblkjob) || return 1
	# shellcheck disable=SC2086 # flags are words
	gcc -Wall -Werror -o "$tmp/prog-static" "$tmp/prog.c" \
		${flags/-lblkjob/$p/lib/libblkjob.a} ||
		die "a static link of libblkjob fails" || return 1
	expect_eq "$("$tmp/prog-static")" "50M blkjob 1 -22"
}

prefix_moves() {
	local r=$tmp/root-usr
	mk install-userspace DESTDIR="$r" PREFIX=/usr >/dev/null 2>&1 ||
		die "make install-userspace PREFIX=/usr failed" || return 1
	same_files "$r" "$(expected /usr)" || return 1
	grep -qx 'prefix=/usr' "$r/usr/lib/pkgconfig/libblkjob.pc" ||
		die "libblkjob.pc does not say prefix=/usr"
}

uninstall_all() {
	local out
	out=$(mk uninstall DESTDIR="$root" KVER="$kline" 2>&1) ||
		die "make uninstall failed: $(tail -n 20 <<<"$out")" || return 1
	out=$(files_in "$root")
	[ -z "$out" ] || die "left after make uninstall: $out" || return 1
	# Its own directories (include/blkjob/) go too.
	[ ! -e "$root/usr/local/include/blkjob" ] ||
		die "include/blkjob/ left behind"
}

# Debian's 6.1 headers name a release in include/config/kernel.release
# that is not the one modules_install uses: uninstall must find the module.
other_kernels() {
	local l rel out r=$tmp/root-mod ko
	for l in $("$top/scripts/kernels" lines | tail -n +2); do
		rel=$("$top/scripts/kernels" release "$l") || return 1
		out=$(mk install-module DESTDIR="$r" KVER="$l" 2>&1) ||
			die "make install-module KVER=$l failed: $(
				tail -n 20 <<<"$out")" || return 1
		ko=/lib/modules/$rel/extra/blkjob.ko$(ko_suffix "$l")
		same_files "$r" "$ko" || return 1
		out=$(mk uninstall-module DESTDIR="$r" KVER="$l" 2>&1) ||
			die "make uninstall-module KVER=$l failed: $out" ||
			return 1
		out=$(files_in "$r")
		[ -z "$out" ] || die "left after uninstall-module: $out" ||
			return 1
	done
}

ktap_plan 6
copy_tree
ktap_run "install: make install DESTDIR= installs the expected files" \
	install_files
ktap_run "install: blkjobctl runs, man pages render, completion loads" \
	installed_work
ktap_run "install: libblkjob.pc builds and links a program" pkg_config_builds
ktap_run "install: PREFIX=/usr moves everything under /usr" prefix_moves
ktap_run "install: make uninstall removes every file" uninstall_all
ktap_run "install: the other kernels' modules install and uninstall" \
	other_kernels
ktap_finish
