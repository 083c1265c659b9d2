// SPDX-License-Identifier: GPL-2.0
/*
 * blkjobctl: control block jobs of the blkjob kernel module.
 */
#include <inttypes.h>
#include <stdio.h>

#include "blkjobctl.h"

#ifndef BLKJOBCTL_VERSION
#define BLKJOBCTL_VERSION "0.1"
#endif

int main(int argc, char **argv)
{
	static struct request req;	/* txn jobs make it large */
	struct printer p;

	if (parse_cmdline(argc, argv, &req)) {
		fprintf(stderr, "blkjobctl: %s\nTry 'blkjobctl help'.\n",
			req.err);
		return EXIT_USAGE;
	}
	switch (req.cmd) {
	case CMD_HELP:
		if (req.help_cmd)
			print_cmd_usage(stdout, req.help_cmd);
		else
			print_usage(stdout);
		return EXIT_OK;
	case CMD_VERSION:
		pr_init(&p, stdout, req.json, req.pretty);
		pr_open_obj(&p, NULL);
		pr_string(&p, PR_ANY, "version", "blkjobctl %s",
			  BLKJOBCTL_VERSION);
		pr_u64(&p, PR_ANY, "family-version",
		       " (blkjob netlink family version %" PRIu64 ")\n",
		       BLKJOB_FAMILY_VERSION);
		pr_close_obj(&p);
		return EXIT_OK;
	default:
		return run_request(&req);
	}
}
