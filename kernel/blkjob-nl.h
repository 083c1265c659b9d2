/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/blkjob.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_BLKJOB_GEN_H
#define _LINUX_BLKJOB_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/blkjob.h>

/* Common nested types */
extern const struct nla_policy blkjob_meta_dev_nl_policy[BLKJOB_A_META_DEV_PAD + 1];
extern const struct nla_policy blkjob_txn_job_nl_policy[BLKJOB_A_JOB_SYNC + 1];

extern const struct nla_policy blkjob_job_new_nl_policy[BLKJOB_A_JOB_SYNC + 1];

extern const struct nla_policy blkjob_job_get_nl_policy[BLKJOB_A_JOB_ID + 1];

extern const struct nla_policy blkjob_job_pause_nl_policy[BLKJOB_A_JOB_ID + 1];

extern const struct nla_policy blkjob_job_resume_nl_policy[BLKJOB_A_JOB_ID + 1];

extern const struct nla_policy blkjob_job_cancel_nl_policy[BLKJOB_A_JOB_FORCE + 1];

extern const struct nla_policy blkjob_job_complete_nl_policy[BLKJOB_A_JOB_ID + 1];

extern const struct nla_policy blkjob_job_finalize_nl_policy[BLKJOB_A_JOB_ID + 1];

extern const struct nla_policy blkjob_job_dismiss_nl_policy[BLKJOB_A_JOB_ID + 1];

extern const struct nla_policy blkjob_job_set_speed_nl_policy[BLKJOB_A_JOB_SPEED + 1];

extern const struct nla_policy blkjob_job_change_nl_policy[BLKJOB_A_JOB_COPY_MODE + 1];

extern const struct nla_policy blkjob_txn_new_nl_policy[BLKJOB_A_TXN_JOB + 1];

extern const struct nla_policy blkjob_meta_format_nl_policy[BLKJOB_A_META_PATH + 1];

extern const struct nla_policy blkjob_meta_get_nl_policy[BLKJOB_A_META_PATH + 1];

extern const struct nla_policy blkjob_meta_dev_get_nl_policy[BLKJOB_A_META_DEV + 1];

extern const struct nla_policy blkjob_meta_dev_set_nl_policy[BLKJOB_A_META_DEV + 1];

extern const struct nla_policy blkjob_meta_dev_del_nl_policy[BLKJOB_A_META_DEV + 1];

/* Ops table for blkjob */
extern const struct genl_ops blkjob_nl_ops[16];

int blkjob_nl_job_new_doit(struct sk_buff *skb, struct genl_info *info);
int blkjob_nl_job_get_doit(struct sk_buff *skb, struct genl_info *info);
int blkjob_nl_job_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int blkjob_nl_job_pause_doit(struct sk_buff *skb, struct genl_info *info);
int blkjob_nl_job_resume_doit(struct sk_buff *skb, struct genl_info *info);
int blkjob_nl_job_cancel_doit(struct sk_buff *skb, struct genl_info *info);
int blkjob_nl_job_complete_doit(struct sk_buff *skb, struct genl_info *info);
int blkjob_nl_job_finalize_doit(struct sk_buff *skb, struct genl_info *info);
int blkjob_nl_job_dismiss_doit(struct sk_buff *skb, struct genl_info *info);
int blkjob_nl_job_set_speed_doit(struct sk_buff *skb, struct genl_info *info);
int blkjob_nl_job_change_doit(struct sk_buff *skb, struct genl_info *info);
int blkjob_nl_txn_new_doit(struct sk_buff *skb, struct genl_info *info);
int blkjob_nl_meta_format_doit(struct sk_buff *skb, struct genl_info *info);
int blkjob_nl_meta_get_doit(struct sk_buff *skb, struct genl_info *info);
int blkjob_nl_meta_dev_get_doit(struct sk_buff *skb, struct genl_info *info);
int blkjob_nl_meta_dev_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb);
int blkjob_nl_meta_dev_set_doit(struct sk_buff *skb, struct genl_info *info);
int blkjob_nl_meta_dev_del_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	BLKJOB_NLGRP_MONITOR,
};

#endif /* _LINUX_BLKJOB_GEN_H */
