// SPDX-License-Identifier: GPL-2.0
/*
 * blkjobctl: control block jobs of the blkjob kernel module.
 */
#include <stdio.h>

#include "blkjobctl.h"

#ifndef BLKJOBCTL_VERSION
#define BLKJOBCTL_VERSION "0.1"
#endif

int main(int argc, char **argv)
{
	static struct request req;	/* txn jobs make it large */

	if (parse_cmdline(argc, argv, &req)) {
		fprintf(stderr, "blkjobctl: %s\nTry 'blkjobctl help'.\n",
			req.err);
		return EXIT_USAGE;
	}
	switch (req.cmd) {
	case CMD_HELP:
		print_usage(stdout);
		return EXIT_OK;
	case CMD_VERSION:
		printf("blkjobctl %s (blkjob netlink family version %d)\n",
		       BLKJOBCTL_VERSION, BLKJOB_FAMILY_VERSION);
		return EXIT_OK;
	default:
		return run_request(&req);
	}
}
