// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/blkjob.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "blkjob-nl.h"

#include <uapi/linux/blkjob.h>

/* Common nested types */
const struct nla_policy blkjob_meta_dev_nl_policy[BLKJOB_A_META_DEV_PAD + 1] = {
	[BLKJOB_A_META_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 127, },
	[BLKJOB_A_META_DEV_DM_UUID] = { .type = NLA_NUL_STRING, .len = 128, },
	[BLKJOB_A_META_DEV_SECTORS] = { .type = NLA_U64, },
	[BLKJOB_A_META_DEV_STATE] = NLA_POLICY_MAX(NLA_U32, 3),
	[BLKJOB_A_META_DEV_SOURCE_ID] = { .type = NLA_NUL_STRING, .len = 111, },
	[BLKJOB_A_META_DEV_DEST_ID] = { .type = NLA_NUL_STRING, .len = 111, },
};

const struct nla_policy blkjob_txn_job_nl_policy[BLKJOB_A_JOB_SYNC + 1] = {
	[BLKJOB_A_JOB_ID] = { .type = NLA_NUL_STRING, .len = 63, },
	[BLKJOB_A_JOB_TYPE] = NLA_POLICY_MAX(NLA_U32, 2),
	[BLKJOB_A_JOB_SOURCE] = { .type = NLA_NUL_STRING, .len = 4095, },
	[BLKJOB_A_JOB_TARGET] = { .type = NLA_NUL_STRING, .len = 4095, },
	[BLKJOB_A_JOB_SPEED] = { .type = NLA_U64, },
	[BLKJOB_A_JOB_GRANULARITY] = NLA_POLICY_MIN(NLA_U32, 512),
	[BLKJOB_A_JOB_BUF_SIZE] = { .type = NLA_U64, },
	[BLKJOB_A_JOB_AUTO_FINALIZE] = { .type = NLA_U8, },
	[BLKJOB_A_JOB_AUTO_DISMISS] = { .type = NLA_U8, },
	[BLKJOB_A_JOB_ON_SOURCE_ERROR] = NLA_POLICY_MAX(NLA_U32, 3),
	[BLKJOB_A_JOB_ON_TARGET_ERROR] = NLA_POLICY_MAX(NLA_U32, 3),
	[BLKJOB_A_JOB_COPY_MODE] = NLA_POLICY_MAX(NLA_U32, 1),
	[BLKJOB_A_JOB_SYNC] = NLA_POLICY_MAX(NLA_U32, 1),
};

/* BLKJOB_CMD_JOB_NEW - do */
const struct nla_policy blkjob_job_new_nl_policy[BLKJOB_A_JOB_SYNC + 1] = {
	[BLKJOB_A_JOB_ID] = { .type = NLA_NUL_STRING, .len = 63, },
	[BLKJOB_A_JOB_TYPE] = NLA_POLICY_MAX(NLA_U32, 2),
	[BLKJOB_A_JOB_SOURCE] = { .type = NLA_NUL_STRING, .len = 4095, },
	[BLKJOB_A_JOB_TARGET] = { .type = NLA_NUL_STRING, .len = 4095, },
	[BLKJOB_A_JOB_SPEED] = { .type = NLA_U64, },
	[BLKJOB_A_JOB_GRANULARITY] = NLA_POLICY_MIN(NLA_U32, 512),
	[BLKJOB_A_JOB_BUF_SIZE] = { .type = NLA_U64, },
	[BLKJOB_A_JOB_AUTO_FINALIZE] = { .type = NLA_U8, },
	[BLKJOB_A_JOB_AUTO_DISMISS] = { .type = NLA_U8, },
	[BLKJOB_A_JOB_ON_SOURCE_ERROR] = NLA_POLICY_MAX(NLA_U32, 3),
	[BLKJOB_A_JOB_ON_TARGET_ERROR] = NLA_POLICY_MAX(NLA_U32, 3),
	[BLKJOB_A_JOB_COPY_MODE] = NLA_POLICY_MAX(NLA_U32, 1),
	[BLKJOB_A_JOB_SYNC] = NLA_POLICY_MAX(NLA_U32, 1),
};

/* BLKJOB_CMD_JOB_GET - do */
const struct nla_policy blkjob_job_get_nl_policy[BLKJOB_A_JOB_ID + 1] = {
	[BLKJOB_A_JOB_ID] = { .type = NLA_NUL_STRING, .len = 63, },
};

/* BLKJOB_CMD_JOB_PAUSE - do */
const struct nla_policy blkjob_job_pause_nl_policy[BLKJOB_A_JOB_ID + 1] = {
	[BLKJOB_A_JOB_ID] = { .type = NLA_NUL_STRING, .len = 63, },
};

/* BLKJOB_CMD_JOB_RESUME - do */
const struct nla_policy blkjob_job_resume_nl_policy[BLKJOB_A_JOB_ID + 1] = {
	[BLKJOB_A_JOB_ID] = { .type = NLA_NUL_STRING, .len = 63, },
};

/* BLKJOB_CMD_JOB_CANCEL - do */
const struct nla_policy blkjob_job_cancel_nl_policy[BLKJOB_A_JOB_FORCE + 1] = {
	[BLKJOB_A_JOB_ID] = { .type = NLA_NUL_STRING, .len = 63, },
	[BLKJOB_A_JOB_FORCE] = { .type = NLA_FLAG, },
};

/* BLKJOB_CMD_JOB_COMPLETE - do */
const struct nla_policy blkjob_job_complete_nl_policy[BLKJOB_A_JOB_ID + 1] = {
	[BLKJOB_A_JOB_ID] = { .type = NLA_NUL_STRING, .len = 63, },
};

/* BLKJOB_CMD_JOB_FINALIZE - do */
const struct nla_policy blkjob_job_finalize_nl_policy[BLKJOB_A_JOB_ID + 1] = {
	[BLKJOB_A_JOB_ID] = { .type = NLA_NUL_STRING, .len = 63, },
};

/* BLKJOB_CMD_JOB_DISMISS - do */
const struct nla_policy blkjob_job_dismiss_nl_policy[BLKJOB_A_JOB_ID + 1] = {
	[BLKJOB_A_JOB_ID] = { .type = NLA_NUL_STRING, .len = 63, },
};

/* BLKJOB_CMD_JOB_SET_SPEED - do */
const struct nla_policy blkjob_job_set_speed_nl_policy[BLKJOB_A_JOB_SPEED + 1] = {
	[BLKJOB_A_JOB_ID] = { .type = NLA_NUL_STRING, .len = 63, },
	[BLKJOB_A_JOB_SPEED] = { .type = NLA_U64, },
};

/* BLKJOB_CMD_JOB_CHANGE - do */
const struct nla_policy blkjob_job_change_nl_policy[BLKJOB_A_JOB_COPY_MODE + 1] = {
	[BLKJOB_A_JOB_ID] = { .type = NLA_NUL_STRING, .len = 63, },
	[BLKJOB_A_JOB_COPY_MODE] = NLA_POLICY_MAX(NLA_U32, 1),
};

/* BLKJOB_CMD_TXN_NEW - do */
const struct nla_policy blkjob_txn_new_nl_policy[BLKJOB_A_TXN_JOB + 1] = {
	[BLKJOB_A_TXN_COMPLETION_MODE] = NLA_POLICY_MAX(NLA_U32, 1),
	[BLKJOB_A_TXN_JOB] = NLA_POLICY_NESTED(blkjob_txn_job_nl_policy),
};

/* BLKJOB_CMD_META_FORMAT - do */
const struct nla_policy blkjob_meta_format_nl_policy[BLKJOB_A_META_PATH + 1] = {
	[BLKJOB_A_META_PATH] = { .type = NLA_NUL_STRING, .len = 4095, },
};

/* BLKJOB_CMD_META_GET - do */
const struct nla_policy blkjob_meta_get_nl_policy[BLKJOB_A_META_PATH + 1] = {
	[BLKJOB_A_META_PATH] = { .type = NLA_NUL_STRING, .len = 4095, },
};

/* BLKJOB_CMD_META_DEV_GET - do */
const struct nla_policy blkjob_meta_dev_get_nl_policy[BLKJOB_A_META_DEV + 1] = {
	[BLKJOB_A_META_PATH] = { .type = NLA_NUL_STRING, .len = 4095, },
	[BLKJOB_A_META_DEV] = NLA_POLICY_NESTED(blkjob_meta_dev_nl_policy),
};

/* BLKJOB_CMD_META_DEV_SET - do */
const struct nla_policy blkjob_meta_dev_set_nl_policy[BLKJOB_A_META_DEV + 1] = {
	[BLKJOB_A_META_PATH] = { .type = NLA_NUL_STRING, .len = 4095, },
	[BLKJOB_A_META_DEV] = NLA_POLICY_NESTED(blkjob_meta_dev_nl_policy),
};

/* BLKJOB_CMD_META_DEV_DEL - do */
const struct nla_policy blkjob_meta_dev_del_nl_policy[BLKJOB_A_META_DEV + 1] = {
	[BLKJOB_A_META_PATH] = { .type = NLA_NUL_STRING, .len = 4095, },
	[BLKJOB_A_META_DEV] = NLA_POLICY_NESTED(blkjob_meta_dev_nl_policy),
};

/* Ops table for blkjob */
const struct genl_ops blkjob_nl_ops[16] = {
	{
		.cmd		= BLKJOB_CMD_JOB_NEW,
		.doit		= blkjob_nl_job_new_doit,
		.policy		= blkjob_job_new_nl_policy,
		.maxattr	= BLKJOB_A_JOB_SYNC,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= BLKJOB_CMD_JOB_GET,
		.doit		= blkjob_nl_job_get_doit,
		.dumpit		= blkjob_nl_job_get_dumpit,
		.policy		= blkjob_job_get_nl_policy,
		.maxattr	= BLKJOB_A_JOB_ID,
	},
	{
		.cmd		= BLKJOB_CMD_JOB_PAUSE,
		.doit		= blkjob_nl_job_pause_doit,
		.policy		= blkjob_job_pause_nl_policy,
		.maxattr	= BLKJOB_A_JOB_ID,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= BLKJOB_CMD_JOB_RESUME,
		.doit		= blkjob_nl_job_resume_doit,
		.policy		= blkjob_job_resume_nl_policy,
		.maxattr	= BLKJOB_A_JOB_ID,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= BLKJOB_CMD_JOB_CANCEL,
		.doit		= blkjob_nl_job_cancel_doit,
		.policy		= blkjob_job_cancel_nl_policy,
		.maxattr	= BLKJOB_A_JOB_FORCE,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= BLKJOB_CMD_JOB_COMPLETE,
		.doit		= blkjob_nl_job_complete_doit,
		.policy		= blkjob_job_complete_nl_policy,
		.maxattr	= BLKJOB_A_JOB_ID,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= BLKJOB_CMD_JOB_FINALIZE,
		.doit		= blkjob_nl_job_finalize_doit,
		.policy		= blkjob_job_finalize_nl_policy,
		.maxattr	= BLKJOB_A_JOB_ID,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= BLKJOB_CMD_JOB_DISMISS,
		.doit		= blkjob_nl_job_dismiss_doit,
		.policy		= blkjob_job_dismiss_nl_policy,
		.maxattr	= BLKJOB_A_JOB_ID,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= BLKJOB_CMD_JOB_SET_SPEED,
		.doit		= blkjob_nl_job_set_speed_doit,
		.policy		= blkjob_job_set_speed_nl_policy,
		.maxattr	= BLKJOB_A_JOB_SPEED,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= BLKJOB_CMD_JOB_CHANGE,
		.doit		= blkjob_nl_job_change_doit,
		.policy		= blkjob_job_change_nl_policy,
		.maxattr	= BLKJOB_A_JOB_COPY_MODE,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= BLKJOB_CMD_TXN_NEW,
		.doit		= blkjob_nl_txn_new_doit,
		.policy		= blkjob_txn_new_nl_policy,
		.maxattr	= BLKJOB_A_TXN_JOB,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= BLKJOB_CMD_META_FORMAT,
		.doit		= blkjob_nl_meta_format_doit,
		.policy		= blkjob_meta_format_nl_policy,
		.maxattr	= BLKJOB_A_META_PATH,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= BLKJOB_CMD_META_GET,
		.doit		= blkjob_nl_meta_get_doit,
		.policy		= blkjob_meta_get_nl_policy,
		.maxattr	= BLKJOB_A_META_PATH,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= BLKJOB_CMD_META_DEV_GET,
		.doit		= blkjob_nl_meta_dev_get_doit,
		.dumpit		= blkjob_nl_meta_dev_get_dumpit,
		.policy		= blkjob_meta_dev_get_nl_policy,
		.maxattr	= BLKJOB_A_META_DEV,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= BLKJOB_CMD_META_DEV_SET,
		.doit		= blkjob_nl_meta_dev_set_doit,
		.policy		= blkjob_meta_dev_set_nl_policy,
		.maxattr	= BLKJOB_A_META_DEV,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= BLKJOB_CMD_META_DEV_DEL,
		.doit		= blkjob_nl_meta_dev_del_doit,
		.policy		= blkjob_meta_dev_del_nl_policy,
		.maxattr	= BLKJOB_A_META_DEV,
		.flags		= GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group blkjob_nl_mcgrps[] = {
	[BLKJOB_NLGRP_MONITOR] = { "monitor", },
};
