#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scripts/accel: KVM only after a probe boot worked, TCG otherwise (a probe
# that fails or hangs), the verdict cached, BLKJOB_ACCEL forcing either, and
# scripts/vm saying which it used. Runs on the host, on machines with and
# without a working /dev/kvm: a writable file stands in for /dev/kvm, and
# extra qemu arguments make the probe hang (-S: the vCPU never starts) or
# succeed whatever the machine (-accel tcg after -accel kvm: qemu falls back
# to TCG when KVM cannot start, and the last -cpu wins).
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/ktap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export BLKJOB_ACCEL_CACHE=$tmp/verdicts BLKJOB_KVM_PROBE_TIMEOUT=10
unset BLKJOB_ACCEL BLKJOB_KVM_PROBE_ARGS
fake_kvm=$tmp/kvm
touch "$fake_kvm"

pick() { "$top/scripts/accel" pick 2>"$tmp/err"; }

test_probe_boots() {
	"$top/scripts/accel" probe -accel tcg 2>&1 ||
		die "a TCG probe boot did not reach the shell"
}

test_probe_hang() {
	local t0=$SECONDS
	! "$top/scripts/accel" probe -accel tcg -S 2>&1 ||
		die "a probe whose vCPU never runs passed"
	[ $((SECONDS - t0)) -le 20 ] ||
		die "the hung probe took $((SECONDS - t0)) s (timeout 10 s)"
}

test_no_device() {
	expect_eq "$(BLKJOB_KVM_DEVICE=$tmp/none pick)" tcg || return 1
	[ ! -d "$BLKJOB_ACCEL_CACHE" ] || die "probed without a device"
}

test_failed_probe_gives_tcg() {
	local t0=$SECONDS
	rm -rf "$BLKJOB_ACCEL_CACHE"
	expect_eq "$(BLKJOB_KVM_DEVICE=$fake_kvm BLKJOB_KVM_PROBE_ARGS=-S pick)" \
		tcg "verdict of a hung probe" || { cat "$tmp/err"; return 1; }
	cat "$tmp/err"
	grep -q 'probed' "$tmp/err" || die "no probe was run"
	[ $((SECONDS - t0)) -le 20 ] || die "pick took $((SECONDS - t0)) s"
	# The verdict is cached: the second pick does not probe.
	expect_eq "$(BLKJOB_KVM_DEVICE=$fake_kvm BLKJOB_KVM_PROBE_ARGS=-S pick)" \
		tcg "cached verdict" || return 1
	! grep -q 'probed' "$tmp/err" || die "probed again"
}

test_working_probe_gives_kvm() {
	rm -rf "$BLKJOB_ACCEL_CACHE"
	expect_eq "$(BLKJOB_KVM_DEVICE=$fake_kvm \
		BLKJOB_KVM_PROBE_ARGS='-accel tcg -cpu max' pick)" kvm \
		"verdict of a probe that boots" || { cat "$tmp/err"; return 1; }
	cat "$tmp/err"
}

test_forced() {
	expect_eq "$(BLKJOB_ACCEL=kvm BLKJOB_KVM_DEVICE=$tmp/none pick)" kvm ||
		return 1
	expect_eq "$(BLKJOB_ACCEL=tcg BLKJOB_KVM_DEVICE=$fake_kvm pick)" tcg ||
		return 1
	! BLKJOB_ACCEL=fast pick || die "BLKJOB_ACCEL=fast accepted"
}

test_vm_says() {
	BLKJOB_ACCEL=tcg "$top/scripts/vm" --cpus 1 -- true >/dev/null 2>"$tmp/vm" ||
		die "scripts/vm -- true failed"
	grep -q '^vm: -accel tcg' "$tmp/vm" ||
		die "scripts/vm did not say it used TCG: $(cat "$tmp/vm")"
}

cd "$top" || exit 1
ktap_plan 7
ktap_run "accel: a probe boot reaches the shell" test_probe_boots
ktap_run "accel: a hung probe fails within its timeout" test_probe_hang
ktap_run "accel: no device, no probe: tcg" test_no_device
ktap_run "accel: a device whose probe hangs gives tcg, cached" \
	test_failed_probe_gives_tcg
ktap_run "accel: a device whose probe boots gives kvm" \
	test_working_probe_gives_kvm
ktap_run "accel: BLKJOB_ACCEL forces tcg or kvm, rejects others" test_forced
ktap_run "accel: scripts/vm says which accelerator it used" test_vm_says
ktap_finish
