// SPDX-License-Identifier: GPL-2.0
/*
 * What 'blkjobctl help' prints: the whole grammar, or one command's usage
 * ('blkjobctl help CMD', 'blkjobctl CMD help'). blkjobctl(8) says the
 * rest.
 */
#include <stdio.h>

#include "blkjobctl.h"

#define JOB_OPTS \
"JOB-OPTS := [speed SPEED] [granularity SIZE] [buf-size SIZE]\n" \
"            [auto-finalize on|off] [auto-dismiss on|off]\n" \
"            [on-source-error POLICY] [on-target-error POLICY]\n" \
"            [copy-mode background|write-blocking] [sync full|none]\n" \
"POLICY   := report | ignore | stop | enospc\n"

#define UNITS \
"SIZE     := NUMBER[UNIT]; K M G T (also KiB MiB ...) are binary,\n" \
"            kB MB GB TB decimal: 64K = 65536 bytes, 64kB = 64000\n" \
"SPEED    := SIZE[/s], bytes per second; 0 means unlimited\n"

static const char *const usage[] = {
	[CMD_NEW] =
"new ID TYPE SOURCE TARGET [JOB-OPTS] [wait]\n"
"\n"
"Create job ID of TYPE (copy, mirror, backup) from SOURCE onto TARGET.\n"
"With wait, show its progress until it ends.\n\n" JOB_OPTS UNITS,
	[CMD_COPY] =
"copy SOURCE TARGET [id ID] [JOB-OPTS] [wait]\n"
"\n"
"Copy the whole of SOURCE, which nothing uses, onto TARGET.\n\n"
JOB_OPTS UNITS,
	[CMD_LIST] =
"list\n"
"\n"
"One line per job: id, type, status, progress.\n",
	[CMD_SHOW] =
"show ID\n"
"\n"
"Everything about job ID: devices, progress, speed, settings, error.\n",
	[CMD_PAUSE] =
"pause ID\n"
"\n"
"Pause job ID at its next pause point (resume goes on).\n",
	[CMD_RESUME] =
"resume ID\n"
"\n"
"Undo one pause of job ID.\n",
	[CMD_CANCEL] =
"cancel ID [force]\n"
"\n"
"Cancel job ID. A ready mirror without force finishes as an exact copy\n"
"without pivoting; force stops at once.\n",
	[CMD_COMPLETE] =
"complete ID\n"
"\n"
"Complete ready mirror ID: the device pivots onto the destination.\n",
	[CMD_FINALIZE] =
"finalize ID\n"
"\n"
"Finalize pending job ID (auto-finalize off).\n",
	[CMD_DISMISS] =
"dismiss ID\n"
"\n"
"Remove concluded job ID (auto-dismiss off).\n",
	[CMD_SET_SPEED] =
"set-speed ID SPEED\n"
"\n"
"Change job ID's rate limit.\n\n" UNITS,
	[CMD_CHANGE] =
"change ID copy-mode background|write-blocking\n"
"\n"
"Switch mirror ID's copy mode while it runs.\n",
	[CMD_TXN] =
"txn [completion-mode individual|grouped]\n"
"    job ID TYPE SOURCE TARGET [JOB-OPTS] [job ...]\n"
"\n"
"Create several jobs at once: all or none. grouped: one failing or\n"
"cancelled cancels the others.\n\n" JOB_OPTS UNITS,
	[CMD_MONITOR] =
"monitor [-t]\n"
"\n"
"Print every job event as it happens (-t: with a timestamp).\n",
	[CMD_WAIT] =
"wait ID [status STATUS] [timeout SECONDS]\n"
"\n"
"Wait until job ID ends (or reaches STATUS), showing its progress. Exit\n"
"status 1 if it failed or was cancelled.\n",
	[CMD_MIRROR] =
"mirror SRC DST [id ID] [JOB-OPTS] [wait] [complete] [below-lvm]\n"
"       [wipe-backup DIR] [key-file FILE]\n"
"\n"
"Move SRC onto DST while it is in use. SRC is a dm device (one made with\n"
"wrap, an LVM LV with below-lvm), a device under dm devices (a PV, a LUKS\n"
"container: moved from beneath them) or an unused device. complete pivots\n"
"once ready and retires the old disk; key-file unlocks a LUKS2 key.\n\n"
JOB_OPTS UNITS,
	[CMD_BACKUP] =
"backup SRC DST [id ID] [JOB-OPTS] [wait]\n"
"\n"
"Copy SRC as it is at this instant onto DST while it stays in use.\n\n"
JOB_OPTS UNITS,
	[CMD_WRAP] =
"wrap DEV NAME [meta METADEV]\n"
"\n"
"Create /dev/mapper/NAME, a blkjob-pinned device over the whole of DEV\n"
"(which nothing may use), so that it can be moved live later. meta\n"
"records it on METADEV: its moves survive reboots and power cuts.\n",
	[CMD_RESTORE] =
"restore SRC [wait] [force] [wipe-backup DIR] [key-file FILE]\n"
"\n"
"Take the blkjob plumbing out of SRC's stack, from whatever state it is\n"
"in: onto the destination after a pivot, else back as it was.\n",
	[CMD_META] =
"meta { format METADEV [force] | show METADEV | probe DEV }\n"
"\n"
"Format a metadata device, show its records, or say whether DEV is one.\n",
	[CMD_ACTIVATE] =
"activate [METADEV...]\n"
"\n"
"Bring back every device recorded on METADEV (all found, if none given),\n"
"on the disk it was last moved to. Run at boot.\n",
	[CMD_HELP] =
"help [COMMAND]\n"
"\n"
"The whole grammar, or COMMAND's usage.\n",
	[CMD_VERSION] =
"version\n"
"\n"
"blkjobctl's version and the netlink family's it speaks.\n",
};

void print_usage(FILE *fp)
{
	fputs(
"Usage: blkjobctl [OPTIONS] COMMAND [ARGS]\n"
"\n"
"OPTIONS := { -j|--json | -p|--pretty | -q|--quiet | -t|--timestamp |\n"
"             -V|--version | -h|--help }\n"
"\n"
"COMMAND := { new ID TYPE SOURCE TARGET [JOB-OPTS] [wait]\n"
"           | copy SOURCE TARGET [id ID] [JOB-OPTS] [wait]\n"
"           | list | show ID\n"
"           | pause ID | resume ID | cancel ID [force]\n"
"           | complete ID | finalize ID | dismiss ID\n"
"           | set-speed ID SPEED | change ID copy-mode MODE\n"
"           | txn [completion-mode individual|grouped]\n"
"                 job ID TYPE SOURCE TARGET [JOB-OPTS] [job ...]\n"
"           | monitor [-t]\n"
"           | wait ID [status STATUS] [timeout SECONDS]\n"
"           | mirror SRC DST [id ID] [JOB-OPTS] [wait] [complete] [below-lvm]\n"
"                    [wipe-backup DIR] [key-file FILE]\n"
"           | backup SRC DST [id ID] [JOB-OPTS] [wait]\n"
"           | wrap DEV NAME [meta METADEV]\n"
"           | restore SRC [wait] [force] [wipe-backup DIR] [key-file FILE]\n"
"           | meta { format METADEV [force] | show METADEV | probe DEV }\n"
"           | activate [METADEV...]\n"
"           | help [COMMAND] | version }\n"
"\n"
JOB_OPTS
"TYPE     := copy | mirror | backup\n"
UNITS
"Keywords may also be written as long options: --speed 50M, --wait.\n"
"'blkjobctl help COMMAND' or 'blkjobctl COMMAND help': one command.\n"
"\n"
"mirror and backup work live through the blkjob device-mapper target: SRC\n"
"is a dm device (an LVM LV, or one made with 'wrap') or an unused device.\n"
"restore undoes the plumbing from any state (see blkjobctl(8)).\n"
"A device wrapped with a metadata device is recorded there: its moves are\n"
"permanent, and activate (run at boot) brings it back where it was.\n"
"\n"
"Exit status: 0 success, 1 the command failed (kernel refused it, or the\n"
"job failed for wait), 2 usage error.\n", fp);
}

void print_cmd_usage(FILE *fp, enum command cmd)
{
	const char *u = (size_t)cmd < sizeof(usage) / sizeof(usage[0]) ?
			usage[cmd] : NULL;

	if (!u) {
		print_usage(fp);
		return;
	}
	fprintf(fp, "Usage: blkjobctl [OPTIONS] %s\nSee blkjobctl(8).\n", u);
}
