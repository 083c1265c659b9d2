// SPDX-License-Identifier: GPL-2.0
/*
 * blkjob: QEMU-style block jobs (copy, mirror, backup) on host block
 * devices, driven over generic netlink.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/init.h>

static int __init blkjob_init(void)
{
	pr_info("loaded\n");
	return 0;
}

static void __exit blkjob_exit(void)
{
	pr_info("unloaded\n");
}

module_init(blkjob_init);
module_exit(blkjob_exit);

MODULE_DESCRIPTION("QEMU-style block jobs on host block devices");
MODULE_AUTHOR("The blkjob developers");
MODULE_LICENSE("GPL");
