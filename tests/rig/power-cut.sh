#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Power-cut boot pairs (scripts/vm --disk, blkjob-power-cut), on 6.12 and
# 6.1: boot 1 writes a pattern to /dev/vda with O_DIRECT and O_SYNC, a
# second one through the page cache without a sync, and cuts the power;
# scripts/vm exits 0. Boot 2, over the same image files, finds the first
# pattern byte for byte and not the second (the cut synced nothing), and the
# same serials. A guest that powers off without blkjob-power-cut's mark,
# whose kernel warned before the cut, or crashed after it saved the log,
# fails the run (125). Runs on the host; each case but the first boots a
# VM (one vCPU, as the rest of the rig). The guest's half is this script
# with --guest.
top=$(cd "$(dirname "$0")/../.." && pwd)
self=$top/tests/rig/power-cut.sh MiB=1048576

# In the guest (boot 1 and boot 2 of a pair); $2 is the pair's directory.
if [ "${1:-}" = --guest ]; then
	d=$3
	for v in vda vdb vdc; do
		cat "/sys/block/$v/serial" && echo
	done >"$d/serials.$2"
	case $2 in
	1)
		# Periodic writeback an hour away: the unsynced pattern stays in
		# the page cache until the cut. (0 would not do: the first dirty
		# page would wake the flusher at once, and it wrote the pattern.)
		echo 360000 >/proc/sys/vm/dirty_writeback_centisecs
		echo 360000 >/proc/sys/vm/dirty_expire_centisecs
		dd if="$d/synced.pat" of=/dev/vda bs=$MiB oflag=direct,sync \
			conv=notrunc status=none || exit 1
		# The last close of a block device writes its page cache back:
		# hold it open across the cut.
		exec 3</dev/vda
		dd if="$d/unsynced.pat" of=/dev/vda bs=$MiB seek=4 conv=notrunc \
			status=none || exit 1
		cmp -n $MiB -i 0:$((4 * MiB)) "$d/unsynced.pat" /dev/vda ||
			{ echo "guest: the unsynced pattern did not reach the page cache"; exit 1; }
		blkjob-power-cut
		;;
	2)
		cmp -n $MiB "$d/synced.pat" /dev/vda ||
			{ echo "guest: the synced pattern did not come back"; exit 1; }
		cmp -n $MiB -i 0:$((4 * MiB)) /dev/zero /dev/vda ||
			{ echo "guest: the unsynced region is not zeros: the cut synced it"; exit 1; }
		echo "guest: synced pattern back, unsynced region still zeros"
		;;
	esac
	exit
fi

. "$top/tests/lib/ktap.sh"
dir=$top/build/rig/power-cut
rm -rf "$dir"
mkdir -p "$dir"
trap 'rm -rf "$dir"; rmdir "$top/build/rig" 2>/dev/null' EXIT
long=a-disk-image-with-a-long-name.img
long_serial=a-disk-imag-77fac0d4

# vm ARGS...: scripts/vm with one vCPU, its output in $dir/vm.log; its
# exit status in $rc, its time in $took.
rc=0 took=0
vm() {
	local t0=$SECONDS
	"$top/scripts/vm" --cpus 1 --timeout 300 "$@" >"$dir/vm.log" 2>&1 &&
		rc=0 || rc=$?
	took=$((SECONDS - t0))
}
show_log() { grep -avE '^\[ *[0-9]+\.[0-9]+\] ' "$dir/vm.log" | tail -n 20; }
expect_vm() { # rc message
	[ "$rc" -eq "$1" ] || { show_log; die "scripts/vm exited $rc, want $1"; return 1; }
	grep -q "^vm: $2" "$dir/vm.log" || { show_log; die "scripts/vm did not say '$2'"; }
}

pair_disks() { # kernel line
	local d=$dir/$1
	echo "--disk $d/vda.img --disk $d/vdb.img,serial=explicit-$1 --disk $d/$long"
}

test_disk_usage() {
	local f=$dir/usage.img
	truncate -s 1M "$f"
	vm --disk "$dir/none.img" -- true
	[ "$rc" -eq 2 ] || die "a missing image: exit $rc, want 2"
	vm --disk "$f,serial=123456789012345678901" -- true
	[ "$rc" -eq 2 ] || die "a 21-character serial: exit $rc, want 2"
	vm --disk "$f,serial=a:b" -- true
	[ "$rc" -eq 2 ] || die "a serial with ':': exit $rc, want 2"
	vm --disk "$f" --disk "$f,serial=usage.img" -- true
	[ "$rc" -eq 2 ] || die "a serial taken twice: exit $rc, want 2"
}

test_cut() { # kernel line
	local d=$dir/$1
	mkdir -p "$d"
	truncate -s 16M "$d/vda.img" "$d/vdb.img" "$d/$long"
	head -c $MiB /dev/urandom >"$d/synced.pat"
	head -c $MiB /dev/urandom >"$d/unsynced.pat"
	# shellcheck disable=SC2046
	vm --kernel "$1" $(pair_disks "$1") -- "$self" --guest 1 "$d"
	echo "boot 1 ($1): $took s"
	expect_vm 0 "the guest cut the power on purpose"
}

test_back() { # kernel line
	local d=$dir/$1
	# shellcheck disable=SC2046
	vm --kernel "$1" $(pair_disks "$1") -- "$self" --guest 2 "$d"
	echo "boot 2 ($1): $took s"
	grep -a '^guest:' "$dir/vm.log"
	[ "$rc" -eq 0 ] || { show_log; die "boot 2 exited $rc"; return 1; }
	expect_eq "$(cat "$d/serials.2")" "vda.img
explicit-$1
$long_serial" "serials of vda, vdb, vdc" || return 1
	cmp "$d/serials.1" "$d/serials.2" || die "serials changed between boots"
}

test_unmarked() {
	vm -- sh -c 'env -u BLKJOB_VM blkjob-power-cut; echo "refused: $?"
		echo o >/proc/sysrq-trigger; sleep 60'
	echo "boot: $took s"
	grep -aq '^refused: 2' "$dir/vm.log" ||
		die "blkjob-power-cut did not refuse without BLKJOB_VM=1"
	expect_vm 125 "the guest did not finish"
}

test_warn_then_cut() {
	vm -- sh -c 'insmod build/6.12/tests/kmod/blkjob_test_warn.ko
		blkjob-power-cut'
	echo "boot: $took s"
	expect_vm 125 "the guest kernel reported problems"
}

# A crash between the saved log and the power going off: the mark is
# there, qemu exits 0 (panic=-1, -no-reboot), only the console has the
# panic.
test_crash_after_mark() {
	vm -- sh -c 'r=/run/blkjob-vm; dmesg >$r/dmesg; echo crash >$r/power-cut
		echo c >/proc/sysrq-trigger; sleep 60'
	echo "boot: $took s"
	expect_vm 125 "the guest kernel reported problems"
}

cd "$top" || exit 1
ktap_plan 8
ktap_run "power-cut: --disk refuses a missing image, a bad or taken serial" \
	test_disk_usage
for kl in 6.12 6.1; do
	ktap_run "power-cut: $kl: boot 1 writes and cuts the power, vm exits 0" \
		test_cut "$kl"
	ktap_run "power-cut: $kl: boot 2 finds the synced data, not the unsynced, same serials" \
		test_back "$kl"
done
ktap_run "power-cut: a power-off without the mark fails the run" test_unmarked
ktap_run "power-cut: a kernel warning before the cut fails the run" \
	test_warn_then_cut
ktap_run "power-cut: a crash after the mark, the log saved, fails the run" \
	test_crash_after_mark
ktap_finish
