// SPDX-License-Identifier: GPL-2.0
/*
 * blkjob: QEMU-style block jobs (copy, mirror, backup) on host block
 * devices, driven over generic netlink.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <net/genetlink.h>

#include "blkjob.h"
#include "chunk.h"
#include "dm-target.h"

static int __init blkjob_init(void)
{
	int err;

	err = blkjob_init_core();
	if (err)
		return err;
	err = blkjob_io_init();
	if (err)
		goto exit_core;
	err = blkjob_dm_init();
	if (err)
		goto exit_io;
	err = blkjob_nl_register();
	if (err)
		goto exit_dm;
	pr_info("loaded\n");
	return 0;

exit_dm:
	blkjob_dm_exit();
exit_io:
	blkjob_io_exit();
exit_core:
	blkjob_exit_core();
	return err;
}

/*
 * Jobs first (their last notifications still go out), then the family
 * (which waits for running handlers), then the job objects those handlers
 * may still have held. The dm target goes last: no table can use it any
 * more (dm holds a module reference per table), and no job is left.
 */
static void __exit blkjob_exit(void)
{
	blkjob_shutdown();
	blkjob_nl_unregister();
	blkjob_exit_core();
	blkjob_io_exit();
	blkjob_dm_exit();
	pr_info("unloaded\n");
}

module_init(blkjob_init);
module_exit(blkjob_exit);

MODULE_DESCRIPTION("QEMU-style block jobs on host block devices");
/* dm loads a table's target type on demand as "dm-<name>". */
MODULE_ALIAS("dm-blkjob");
MODULE_ALIAS("dm-blkjob-pinned");
/* genl loads an unregistered family's module on the first lookup by name. */
MODULE_ALIAS_GENL_FAMILY(BLKJOB_FAMILY_NAME);
MODULE_AUTHOR("The blkjob developers");
MODULE_LICENSE("GPL");
