// SPDX-License-Identifier: GPL-2.0
/*
 * A test module whose only job is to WARN when loaded: tests/rig uses it to
 * prove that scripts/vm fails a run whose guest kernel warned.
 */
#include <linux/module.h>
#include <linux/init.h>

static int __init blkjob_test_warn_init(void)
{
	WARN(1, "blkjob_test_warn: deliberate warning\n");
	return 0;
}

static void __exit blkjob_test_warn_exit(void)
{
}

module_init(blkjob_test_warn_init);
module_exit(blkjob_test_warn_exit);

MODULE_DESCRIPTION("Deliberately WARNs at load (blkjob VM rig self-test)");
MODULE_LICENSE("GPL");
MODULE_INFO(test, "Y");
