// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Name tables: enum values, attributes and commands, by their YNL names.
 *
 * Tables are indexed with the uapi constants (designated initialisers) so a
 * renumbering in the generated header can't silently shift a name; the host
 * tests compare every table with the spec itself.
 */
#include <errno.h>
#include <string.h>

#include "libblkjob.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const job_type_names[] = {
	[BLKJOB_JOB_TYPE_COPY]		= "copy",
	[BLKJOB_JOB_TYPE_MIRROR]	= "mirror",
	[BLKJOB_JOB_TYPE_BACKUP]	= "backup",
};

static const char *const job_status_names[] = {
	[BLKJOB_JOB_STATUS_UNDEFINED]	= "undefined",
	[BLKJOB_JOB_STATUS_CREATED]	= "created",
	[BLKJOB_JOB_STATUS_RUNNING]	= "running",
	[BLKJOB_JOB_STATUS_PAUSED]	= "paused",
	[BLKJOB_JOB_STATUS_READY]	= "ready",
	[BLKJOB_JOB_STATUS_STANDBY]	= "standby",
	[BLKJOB_JOB_STATUS_WAITING]	= "waiting",
	[BLKJOB_JOB_STATUS_PENDING]	= "pending",
	[BLKJOB_JOB_STATUS_ABORTING]	= "aborting",
	[BLKJOB_JOB_STATUS_CONCLUDED]	= "concluded",
	[BLKJOB_JOB_STATUS_NULL]	= "null",
};

static const char *const io_status_names[] = {
	[BLKJOB_IO_STATUS_OK]		= "ok",
	[BLKJOB_IO_STATUS_FAILED]	= "failed",
	[BLKJOB_IO_STATUS_NOSPACE]	= "nospace",
};

static const char *const error_policy_names[] = {
	[BLKJOB_ERROR_POLICY_REPORT]	= "report",
	[BLKJOB_ERROR_POLICY_IGNORE]	= "ignore",
	[BLKJOB_ERROR_POLICY_STOP]	= "stop",
	[BLKJOB_ERROR_POLICY_ENOSPC]	= "enospc",
};

static const char *const copy_mode_names[] = {
	[BLKJOB_COPY_MODE_BACKGROUND]		= "background",
	[BLKJOB_COPY_MODE_WRITE_BLOCKING]	= "write-blocking",
};

static const char *const sync_mode_names[] = {
	[BLKJOB_SYNC_MODE_FULL]		= "full",
	[BLKJOB_SYNC_MODE_NONE]		= "none",
};

static const char *const completion_mode_names[] = {
	[BLKJOB_COMPLETION_MODE_INDIVIDUAL]	= "individual",
	[BLKJOB_COMPLETION_MODE_GROUPED]	= "grouped",
};

static const char *const io_operation_names[] = {
	[BLKJOB_IO_OPERATION_READ]	= "read",
	[BLKJOB_IO_OPERATION_WRITE]	= "write",
};

static const char *const error_action_names[] = {
	[BLKJOB_ERROR_ACTION_IGNORE]	= "ignore",
	[BLKJOB_ERROR_ACTION_REPORT]	= "report",
	[BLKJOB_ERROR_ACTION_STOP]	= "stop",
};

static const char *const meta_state_names[] = {
	[BLKJOB_META_STATE_SOURCE]	= "source",
	[BLKJOB_META_STATE_MOVING]	= "moving",
	[BLKJOB_META_STATE_PIVOTED]	= "pivoted",
	[BLKJOB_META_STATE_RETIRED]	= "retired",
};

static const char *name_of(const char *const *names, unsigned int n,
			   unsigned int v)
{
	return v < n ? names[v] : NULL;
}

static int value_of(const char *const *names, unsigned int n, const char *s)
{
	unsigned int i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return i;
	return -EINVAL;
}

#define ENUM_FUNCS(fn, tbl)						\
const char *blkjob_##fn##_str(unsigned int v)				\
{									\
	return name_of(tbl, ARRAY_SIZE(tbl), v);			\
}									\
int blkjob_##fn##_parse(const char *s)					\
{									\
	return value_of(tbl, ARRAY_SIZE(tbl), s);			\
}

ENUM_FUNCS(job_type, job_type_names)
ENUM_FUNCS(job_status, job_status_names)
ENUM_FUNCS(io_status, io_status_names)
ENUM_FUNCS(error_policy, error_policy_names)
ENUM_FUNCS(copy_mode, copy_mode_names)
ENUM_FUNCS(sync_mode, sync_mode_names)
ENUM_FUNCS(completion_mode, completion_mode_names)
ENUM_FUNCS(io_operation, io_operation_names)
ENUM_FUNCS(error_action, error_action_names)
ENUM_FUNCS(meta_state, meta_state_names)

#define ENUM_ENTRY(spec, tbl) { spec, tbl, ARRAY_SIZE(tbl) }

static const struct blkjob_enum blkjob_enums[] = {
	ENUM_ENTRY("job-type", job_type_names),
	ENUM_ENTRY("job-status", job_status_names),
	ENUM_ENTRY("io-status", io_status_names),
	ENUM_ENTRY("error-policy", error_policy_names),
	ENUM_ENTRY("copy-mode", copy_mode_names),
	ENUM_ENTRY("sync-mode", sync_mode_names),
	ENUM_ENTRY("completion-mode", completion_mode_names),
	ENUM_ENTRY("io-operation", io_operation_names),
	ENUM_ENTRY("error-action", error_action_names),
	ENUM_ENTRY("meta-state", meta_state_names),
};

const struct blkjob_enum *blkjob_enum_at(unsigned int i)
{
	return i < ARRAY_SIZE(blkjob_enums) ? &blkjob_enums[i] : NULL;
}

const struct blkjob_enum *blkjob_enum_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(blkjob_enums); i++)
		if (!strcmp(blkjob_enums[i].name, name))
			return &blkjob_enums[i];
	return NULL;
}

static const char *const job_attr_names[] = {
	[BLKJOB_A_JOB_ID]		= "id",
	[BLKJOB_A_JOB_TYPE]		= "type",
	[BLKJOB_A_JOB_STATUS]		= "status",
	[BLKJOB_A_JOB_SOURCE]		= "source",
	[BLKJOB_A_JOB_TARGET]		= "target",
	[BLKJOB_A_JOB_LEN]		= "len",
	[BLKJOB_A_JOB_OFFSET]		= "offset",
	[BLKJOB_A_JOB_SPEED]		= "speed",
	[BLKJOB_A_JOB_GRANULARITY]	= "granularity",
	[BLKJOB_A_JOB_BUF_SIZE]		= "buf-size",
	[BLKJOB_A_JOB_BUSY]		= "busy",
	[BLKJOB_A_JOB_PAUSED]		= "paused",
	[BLKJOB_A_JOB_READY]		= "ready",
	[BLKJOB_A_JOB_IO_STATUS]	= "io-status",
	[BLKJOB_A_JOB_AUTO_FINALIZE]	= "auto-finalize",
	[BLKJOB_A_JOB_AUTO_DISMISS]	= "auto-dismiss",
	[BLKJOB_A_JOB_ON_SOURCE_ERROR]	= "on-source-error",
	[BLKJOB_A_JOB_ON_TARGET_ERROR]	= "on-target-error",
	[BLKJOB_A_JOB_COPY_MODE]	= "copy-mode",
	[BLKJOB_A_JOB_SYNC]		= "sync",
	[BLKJOB_A_JOB_ACTIVELY_SYNCED]	= "actively-synced",
	[BLKJOB_A_JOB_FORCE]		= "force",
	[BLKJOB_A_JOB_ERROR]		= "error",
	[BLKJOB_A_JOB_OPERATION]	= "operation",
	[BLKJOB_A_JOB_ACTION]		= "action",
	[BLKJOB_A_JOB_PAD]		= "pad",
};

static const char *const txn_attr_names[] = {
	[BLKJOB_A_TXN_COMPLETION_MODE]	= "completion-mode",
	[BLKJOB_A_TXN_JOB]		= "job",
};

static const char *const meta_attr_names[] = {
	[BLKJOB_A_META_PATH]		= "path",
	[BLKJOB_A_META_UUID]		= "uuid",
	[BLKJOB_A_META_GENERATION]	= "generation",
	[BLKJOB_A_META_NR_DEVS]		= "nr-devs",
	[BLKJOB_A_META_CAPACITY]	= "capacity",
	[BLKJOB_A_META_DEV]		= "dev",
	[BLKJOB_A_META_PAD]		= "pad",
};

static const char *const meta_dev_attr_names[] = {
	[BLKJOB_A_META_DEV_NAME]	= "name",
	[BLKJOB_A_META_DEV_DM_UUID]	= "dm-uuid",
	[BLKJOB_A_META_DEV_SECTORS]	= "sectors",
	[BLKJOB_A_META_DEV_STATE]	= "state",
	[BLKJOB_A_META_DEV_SOURCE_ID]	= "source-id",
	[BLKJOB_A_META_DEV_DEST_ID]	= "dest-id",
	[BLKJOB_A_META_DEV_PAD]		= "pad",
};

static const char *const cmd_names[] = {
	[BLKJOB_CMD_JOB_NEW]		= "job-new",
	[BLKJOB_CMD_JOB_GET]		= "job-get",
	[BLKJOB_CMD_JOB_PAUSE]		= "job-pause",
	[BLKJOB_CMD_JOB_RESUME]		= "job-resume",
	[BLKJOB_CMD_JOB_CANCEL]		= "job-cancel",
	[BLKJOB_CMD_JOB_COMPLETE]	= "job-complete",
	[BLKJOB_CMD_JOB_FINALIZE]	= "job-finalize",
	[BLKJOB_CMD_JOB_DISMISS]	= "job-dismiss",
	[BLKJOB_CMD_JOB_SET_SPEED]	= "job-set-speed",
	[BLKJOB_CMD_JOB_CHANGE]		= "job-change",
	[BLKJOB_CMD_TXN_NEW]		= "txn-new",
	[BLKJOB_CMD_JOB_STATUS_NTF]	= "job-status-ntf",
	[BLKJOB_CMD_JOB_READY_NTF]	= "job-ready-ntf",
	[BLKJOB_CMD_JOB_COMPLETED_NTF]	= "job-completed-ntf",
	[BLKJOB_CMD_JOB_CANCELLED_NTF]	= "job-cancelled-ntf",
	[BLKJOB_CMD_JOB_ERROR_NTF]	= "job-error-ntf",
	[BLKJOB_CMD_JOB_PENDING_NTF]	= "job-pending-ntf",
	[BLKJOB_CMD_META_FORMAT]	= "meta-format",
	[BLKJOB_CMD_META_GET]		= "meta-get",
	[BLKJOB_CMD_META_DEV_GET]	= "meta-dev-get",
	[BLKJOB_CMD_META_DEV_SET]	= "meta-dev-set",
	[BLKJOB_CMD_META_DEV_DEL]	= "meta-dev-del",
};

const char *blkjob_job_attr_str(unsigned int attr)
{
	return name_of(job_attr_names, ARRAY_SIZE(job_attr_names), attr);
}

const char *blkjob_txn_attr_str(unsigned int attr)
{
	return name_of(txn_attr_names, ARRAY_SIZE(txn_attr_names), attr);
}

const char *blkjob_meta_attr_str(unsigned int attr)
{
	return name_of(meta_attr_names, ARRAY_SIZE(meta_attr_names), attr);
}

const char *blkjob_meta_dev_attr_str(unsigned int attr)
{
	return name_of(meta_dev_attr_names, ARRAY_SIZE(meta_dev_attr_names),
		       attr);
}

const char *blkjob_cmd_str(unsigned int cmd)
{
	return name_of(cmd_names, ARRAY_SIZE(cmd_names), cmd);
}
