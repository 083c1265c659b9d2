# SPDX-License-Identifier: GPL-2.0
# LVM in the VM (tests/lib/live.sh, tests/rig/power-cut-move.sh's guest).

# lvm_conf DIR: LVM's configuration in DIR (exported as LVM_SYSTEM_DIR),
# its locks there too: no udev in the VM, so lvm makes its own nodes and
# does not wait for udev; no devices file.
lvm_conf() {
	export LVM_SYSTEM_DIR=$1
	mkdir -p "$LVM_SYSTEM_DIR"
	cat >"$LVM_SYSTEM_DIR/lvm.conf" <<-EOF
	activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }
	devices { obtain_device_list_from_udev = 0 use_devicesfile = 0 }
	global { locking_dir = "$1" }
	EOF
}
