// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "blkjob": request parsing, replies and
 * notifications. The lifecycle itself lives in job.c and txn.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>

/*
 * The policies and the ops table are generated from the YNL spec. For a
 * per-op (genetlink-legacy) family ynl-gen emits the multicast group array
 * static and no family struct, so its output cannot be an object of its
 * own: it is compiled as part of this file, which adds the family.
 */
#include "blkjob-nl.c"

#include "blkjob.h"
#include "compat.h"

/* Most jobs a txn-new may create. */
#define BLKJOB_TXN_MAX_JOBS 64

struct genl_family blkjob_nl_family __ro_after_init = {
	.name		= BLKJOB_FAMILY_NAME,
	.version	= BLKJOB_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= blkjob_nl_ops,
	.n_ops		= ARRAY_SIZE(blkjob_nl_ops),
	/* Strict validation for every op, as a new family should. */
	.resv_start_op	= 0,
	.mcgrps		= blkjob_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(blkjob_nl_mcgrps),
};

/*
 * Formatted extack messages. extack->_msg is read when the ack is built,
 * after the handler returned and after it dropped its job reference, so
 * the text can live neither on the stack nor in the job (a concurrent
 * dismiss may free it first). Where the extack carries its own buffer and
 * the text fits, it goes there. Otherwise it goes into a ring of static
 * slots: always valid memory (module data outlives every handler, since
 * unregistering the family waits for them), overwritten only after
 * BLKJOB_ERRMSG_SLOTS later messages, far more than can be formatted
 * between a handler's return and its ack.
 */
#define BLKJOB_ERRMSG_SLOTS	64
#define BLKJOB_ERRMSG_LEN	192

static char blkjob_errmsg_ring[BLKJOB_ERRMSG_SLOTS][BLKJOB_ERRMSG_LEN];
static atomic_t blkjob_errmsg_next = ATOMIC_INIT(0);

/**
 * blkjob_errmsg() - set a formatted extack message
 * @extack: the extack, may be NULL
 * @attr: the offending attribute, or NULL
 * @fmt: printf format
 *
 * Context: process.
 */
void blkjob_errmsg(struct netlink_ext_ack *extack, const struct nlattr *attr,
		   const char *fmt, ...)
{
	char buf[BLKJOB_ERRMSG_LEN];
	unsigned int slot;
	va_list args;

	if (!extack)
		return;
	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);

	if (!blkjob_extack_copy(extack, buf)) {
		slot = (unsigned int)atomic_inc_return(&blkjob_errmsg_next) %
		       BLKJOB_ERRMSG_SLOTS;
		strscpy(blkjob_errmsg_ring[slot], buf, BLKJOB_ERRMSG_LEN);
		extack->_msg = blkjob_errmsg_ring[slot];
	}
	if (attr)
		NL_SET_BAD_ATTR(extack, attr);
}

static size_t blkjob_nl_size(struct blkjob *job)
{
	return nla_total_size(strlen(job->id) + 1) +
	       nla_total_size(strlen(job->source) + 1) +
	       nla_total_size(strlen(job->target) + 1) +
	       nla_total_size(sizeof(job->error)) +
	       5 * nla_total_size_64bit(sizeof(u64)) +
	       16 * nla_total_size(sizeof(u32));
}

/* The job's attributes; blkjob_mutex held for a consistent picture. */
static int blkjob_nl_fill(struct sk_buff *skb, struct blkjob *job)
{
	bool ready = job->status == BLKJOB_JOB_STATUS_READY ||
		     job->status == BLKJOB_JOB_STATUS_STANDBY;
	u64 len, offset, speed;

	lockdep_assert_held(&blkjob_mutex);
	spin_lock(&job->lock);
	len = job->len;
	offset = job->offset;
	speed = job->speed;
	spin_unlock(&job->lock);

	if (nla_put_string(skb, BLKJOB_A_JOB_ID, job->id) ||
	    nla_put_u32(skb, BLKJOB_A_JOB_TYPE, job->drv->type) ||
	    nla_put_u32(skb, BLKJOB_A_JOB_STATUS, job->status) ||
	    nla_put_string(skb, BLKJOB_A_JOB_SOURCE, job->source) ||
	    nla_put_string(skb, BLKJOB_A_JOB_TARGET, job->target) ||
	    nla_put_u64_64bit(skb, BLKJOB_A_JOB_LEN, len, BLKJOB_A_JOB_PAD) ||
	    nla_put_u64_64bit(skb, BLKJOB_A_JOB_OFFSET, offset,
			      BLKJOB_A_JOB_PAD) ||
	    nla_put_u64_64bit(skb, BLKJOB_A_JOB_SPEED, speed,
			      BLKJOB_A_JOB_PAD) ||
	    nla_put_u32(skb, BLKJOB_A_JOB_GRANULARITY, job->granularity) ||
	    nla_put_u64_64bit(skb, BLKJOB_A_JOB_BUF_SIZE, job->buf_size,
			      BLKJOB_A_JOB_PAD) ||
	    nla_put_u8(skb, BLKJOB_A_JOB_BUSY, READ_ONCE(job->busy)) ||
	    nla_put_u8(skb, BLKJOB_A_JOB_PAUSED, job->pause_count > 0) ||
	    nla_put_u8(skb, BLKJOB_A_JOB_READY, ready) ||
	    nla_put_u32(skb, BLKJOB_A_JOB_IO_STATUS, job->io_status) ||
	    nla_put_u8(skb, BLKJOB_A_JOB_AUTO_FINALIZE, job->auto_finalize) ||
	    nla_put_u8(skb, BLKJOB_A_JOB_AUTO_DISMISS, job->auto_dismiss) ||
	    nla_put_u32(skb, BLKJOB_A_JOB_ON_SOURCE_ERROR,
			job->on_source_error) ||
	    nla_put_u32(skb, BLKJOB_A_JOB_ON_TARGET_ERROR,
			job->on_target_error) ||
	    nla_put_u32(skb, BLKJOB_A_JOB_COPY_MODE, job->copy_mode) ||
	    nla_put_u32(skb, BLKJOB_A_JOB_SYNC, job->sync) ||
	    nla_put_u8(skb, BLKJOB_A_JOB_ACTIVELY_SYNCED,
		       READ_ONCE(job->actively_synced)))
		return -EMSGSIZE;
	/*
	 * Set once the run is over, if it failed; a job waiting or pending
	 * may carry a note (blkjob_set_note()), cleared if it then succeeds.
	 */
	if (job->finished && job->error[0] &&
	    nla_put_string(skb, BLKJOB_A_JOB_ERROR, job->error))
		return -EMSGSIZE;
	return 0;
}

/**
 * blkjob_nl_notify() - multicast a job's attributes on the monitor group
 * @job: the job
 * @cmd: the notification (BLKJOB_CMD_JOB_*_NTF)
 *
 * Context: process; blkjob_mutex held.
 */
void blkjob_nl_notify(struct blkjob *job, u8 cmd)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&blkjob_nl_family, &init_net,
				BLKJOB_NLGRP_MONITOR))
		return;
	msg = genlmsg_new(blkjob_nl_size(job), GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &blkjob_nl_family, 0, cmd);
	if (!hdr || blkjob_nl_fill(msg, job))
		goto free;
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&blkjob_nl_family, msg, 0, BLKJOB_NLGRP_MONITOR,
			  GFP_KERNEL);
	return;
free:
	nlmsg_free(msg);
}

/**
 * blkjob_nl_notify_error() - multicast job-error-ntf
 * @job: the job
 * @op: the failed operation
 * @action: what the job does about it
 *
 * Context: process.
 */
void blkjob_nl_notify_error(struct blkjob *job, enum blkjob_io_operation op,
			    enum blkjob_error_action action)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&blkjob_nl_family, &init_net,
				BLKJOB_NLGRP_MONITOR))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &blkjob_nl_family, 0,
			  BLKJOB_CMD_JOB_ERROR_NTF);
	if (!hdr || nla_put_string(msg, BLKJOB_A_JOB_ID, job->id) ||
	    nla_put_u32(msg, BLKJOB_A_JOB_OPERATION, op) ||
	    nla_put_u32(msg, BLKJOB_A_JOB_ACTION, action))
		goto free;
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&blkjob_nl_family, msg, 0, BLKJOB_NLGRP_MONITOR,
			  GFP_KERNEL);
	return;
free:
	nlmsg_free(msg);
}

/* Reply to a do request with the job's attributes. */
static int blkjob_nl_reply(struct genl_info *info, struct blkjob *job)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(blkjob_nl_size(job), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &blkjob_nl_family, 0,
				info->genlhdr->cmd);
	if (!hdr) {
		err = -EMSGSIZE;
		goto free;
	}
	mutex_lock(&blkjob_mutex);
	err = blkjob_nl_fill(msg, job);
	mutex_unlock(&blkjob_mutex);
	if (err)
		goto free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
free:
	nlmsg_free(msg);
	return err;
}

/*
 * GENL_ADMIN_PERM (admin-perm in the spec) only checks CAP_NET_ADMIN;
 * acting on block devices takes CAP_SYS_ADMIN.
 */
int blkjob_nl_admin(struct sk_buff *skb, struct genl_info *info)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	GENL_SET_ERR_MSG(info, "CAP_SYS_ADMIN required");
	return -EPERM;
}

static const char * const blkjob_nl_attr_names[] = {
	[BLKJOB_A_JOB_ID]	= "id",
	[BLKJOB_A_JOB_TYPE]	= "type",
	[BLKJOB_A_JOB_SOURCE]	= "source",
	[BLKJOB_A_JOB_TARGET]	= "target",
	[BLKJOB_A_JOB_SPEED]	= "speed",
};

/* A required attribute, in @tb (of @nest, NULL at the top level). */
static int blkjob_nl_require(struct netlink_ext_ack *extack,
			     const struct nlattr *nest, struct nlattr **tb,
			     unsigned int type)
{
	if (!NL_REQ_ATTR_CHECK(extack, nest, tb, type))
		return 0;
	blkjob_errmsg(extack, NULL, "missing attribute '%s'",
		      type < ARRAY_SIZE(blkjob_nl_attr_names) ?
		      blkjob_nl_attr_names[type] : "?");
	return -EINVAL;
}

/* The job named by the request's id, with a reference. */
static struct blkjob *blkjob_nl_job(struct genl_info *info)
{
	struct nlattr *attr = info->attrs[BLKJOB_A_JOB_ID];
	struct blkjob *job;

	if (blkjob_nl_require(info->extack, NULL, info->attrs,
			      BLKJOB_A_JOB_ID))
		return ERR_PTR(-EINVAL);
	job = blkjob_find(nla_data(attr));
	if (!job) {
		blkjob_errmsg(info->extack, attr, "job '%s' not found",
			      (char *)nla_data(attr));
		return ERR_PTR(-ENOENT);
	}
	return job;
}

static u32 blkjob_nl_u32(struct nlattr **tb, unsigned int type, u32 dflt)
{
	return tb[type] ? nla_get_u32(tb[type]) : dflt;
}

static bool blkjob_nl_bool(struct nlattr **tb, unsigned int type, bool dflt)
{
	return tb[type] ? !!nla_get_u8(tb[type]) : dflt;
}

/* job-new attributes (top level or one txn member) into @p. */
static int blkjob_nl_parse(struct netlink_ext_ack *extack,
			   const struct nlattr *nest, struct nlattr **tb,
			   struct blkjob_params *p)
{
	static const unsigned int required[] = {
		BLKJOB_A_JOB_ID, BLKJOB_A_JOB_TYPE, BLKJOB_A_JOB_SOURCE,
		BLKJOB_A_JOB_TARGET,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(required); i++)
		if (blkjob_nl_require(extack, nest, tb, required[i]))
			return -EINVAL;

	memset(p, 0, sizeof(*p));
	p->id = nla_data(tb[BLKJOB_A_JOB_ID]);
	if (!blkjob_id_valid(p->id)) {
		blkjob_errmsg(extack, tb[BLKJOB_A_JOB_ID],
			      "invalid job id '%s': a letter, then letters, digits, '.', '_' or '-'",
			      p->id);
		return -EINVAL;
	}
	p->type = nla_get_u32(tb[BLKJOB_A_JOB_TYPE]);
	p->source = nla_data(tb[BLKJOB_A_JOB_SOURCE]);
	p->target = nla_data(tb[BLKJOB_A_JOB_TARGET]);
	p->attr_source = tb[BLKJOB_A_JOB_SOURCE];
	p->attr_target = tb[BLKJOB_A_JOB_TARGET];

	if (tb[BLKJOB_A_JOB_SPEED]) {
		p->speed = nla_get_u64(tb[BLKJOB_A_JOB_SPEED]);
		if (p->speed > S64_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, tb[BLKJOB_A_JOB_SPEED],
					    "speed must not be negative");
			return -EINVAL;
		}
	}
	if (tb[BLKJOB_A_JOB_GRANULARITY]) {
		p->granularity = nla_get_u32(tb[BLKJOB_A_JOB_GRANULARITY]);
		p->attr_granularity = tb[BLKJOB_A_JOB_GRANULARITY];
		/* The policy checks the minimum only (see the spec). */
		if (!is_power_of_2(p->granularity) ||
		    p->granularity > BLKJOB_MAX_GRANULARITY) {
			blkjob_errmsg(extack, p->attr_granularity,
				      "granularity %u is not a power of two from 512 to %u",
				      p->granularity, BLKJOB_MAX_GRANULARITY);
			return -EINVAL;
		}
	}
	if (tb[BLKJOB_A_JOB_BUF_SIZE]) {
		p->buf_size = nla_get_u64(tb[BLKJOB_A_JOB_BUF_SIZE]);
		p->attr_buf_size = tb[BLKJOB_A_JOB_BUF_SIZE];
	}
	p->auto_finalize = blkjob_nl_bool(tb, BLKJOB_A_JOB_AUTO_FINALIZE, true);
	p->auto_dismiss = blkjob_nl_bool(tb, BLKJOB_A_JOB_AUTO_DISMISS, true);
	p->on_source_error = blkjob_nl_u32(tb, BLKJOB_A_JOB_ON_SOURCE_ERROR,
					   BLKJOB_ERROR_POLICY_REPORT);
	p->on_target_error = blkjob_nl_u32(tb, BLKJOB_A_JOB_ON_TARGET_ERROR,
					   BLKJOB_ERROR_POLICY_REPORT);
	p->copy_mode = blkjob_nl_u32(tb, BLKJOB_A_JOB_COPY_MODE,
				     BLKJOB_COPY_MODE_BACKGROUND);
	p->sync = blkjob_nl_u32(tb, BLKJOB_A_JOB_SYNC, BLKJOB_SYNC_MODE_FULL);
	return 0;
}

int blkjob_nl_job_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct blkjob_params p;
	struct blkjob *job;
	int err;

	err = blkjob_nl_admin(skb, info);
	if (err)
		return err;
	err = blkjob_nl_parse(info->extack, NULL, info->attrs, &p);
	if (err)
		return err;
	err = blkjob_txn_create(&p, 1, BLKJOB_COMPLETION_MODE_INDIVIDUAL, &job,
				info->extack);
	if (err)
		return err;
	err = blkjob_nl_reply(info, job);
	blkjob_put(job);
	return err;
}

int blkjob_nl_txn_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[BLKJOB_A_JOB_SYNC + 1];
	struct blkjob_params *params;
	enum blkjob_completion_mode mode;
	unsigned int n = 0;
	struct nlattr *nest;
	int err, rem;

	err = blkjob_nl_admin(skb, info);
	if (err)
		return err;
	nlmsg_for_each_attr(nest, info->nlhdr, GENL_HDRLEN, rem)
		if (nla_type(nest) == BLKJOB_A_TXN_JOB)
			n++;
	if (!n || n > BLKJOB_TXN_MAX_JOBS) {
		blkjob_errmsg(info->extack, NULL,
			      "a transaction takes 1 to %d jobs, not %u",
			      BLKJOB_TXN_MAX_JOBS, n);
		return -EINVAL;
	}
	mode = blkjob_nl_u32(info->attrs, BLKJOB_A_TXN_COMPLETION_MODE,
			     BLKJOB_COMPLETION_MODE_INDIVIDUAL);

	params = kcalloc(n, sizeof(*params), GFP_KERNEL);
	if (!params)
		return -ENOMEM;
	n = 0;
	nlmsg_for_each_attr(nest, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(nest) != BLKJOB_A_TXN_JOB)
			continue;
		err = nla_parse_nested(tb, BLKJOB_A_JOB_SYNC, nest,
				       blkjob_txn_job_nl_policy, info->extack);
		if (!err)
			err = blkjob_nl_parse(info->extack, nest, tb,
					      &params[n++]);
		if (err)
			goto free;
	}
	err = blkjob_txn_create(params, n, mode, NULL, info->extack);
free:
	kfree(params);
	return err;
}

int blkjob_nl_job_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct blkjob *job;
	int err;

	job = blkjob_nl_job(info);
	if (IS_ERR(job))
		return PTR_ERR(job);
	err = blkjob_nl_reply(info, job);
	blkjob_put(job);
	return err;
}

/*
 * Jobs are listed in registration order; cb->args[0] is the serial of the
 * next job to send. A dump returns skb->len (6.1 takes an error as the end).
 */
int blkjob_nl_job_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct blkjob *job;
	void *hdr;
	int err;

	mutex_lock(&blkjob_mutex);
	job = NULL;
	while ((job = blkjob_next(job, cb->args[0]))) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &blkjob_nl_family,
				  NLM_F_MULTI, BLKJOB_CMD_JOB_GET);
		if (!hdr)
			break;
		err = blkjob_nl_fill(skb, job);
		if (err) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = job->serial + 1;
	}
	mutex_unlock(&blkjob_mutex);
	return skb->len;
}

/* The verbs: look the job up, check the caller, hand over to job.c. */
static int blkjob_nl_verb(struct sk_buff *skb, struct genl_info *info,
			  enum blkjob_verb verb)
{
	struct nlattr **tb = info->attrs;
	struct blkjob *job;
	u64 speed;
	int err;

	err = blkjob_nl_admin(skb, info);
	if (err)
		return err;
	job = blkjob_nl_job(info);
	if (IS_ERR(job))
		return PTR_ERR(job);

	switch (verb) {
	case BLKJOB_VERB_PAUSE:
		err = blkjob_pause(job, info->extack);
		break;
	case BLKJOB_VERB_RESUME:
		err = blkjob_resume(job, info->extack);
		break;
	case BLKJOB_VERB_CANCEL:
		err = blkjob_cancel(job, nla_get_flag(tb[BLKJOB_A_JOB_FORCE]),
				    info->extack);
		break;
	case BLKJOB_VERB_COMPLETE:
		err = blkjob_complete(job, info->extack);
		break;
	case BLKJOB_VERB_FINALIZE:
		err = blkjob_finalize(job, info->extack);
		break;
	case BLKJOB_VERB_DISMISS:
		err = blkjob_dismiss(job, info->extack);
		break;
	case BLKJOB_VERB_SET_SPEED:
		err = blkjob_nl_require(info->extack, NULL, tb,
					BLKJOB_A_JOB_SPEED);
		if (err)
			break;
		speed = nla_get_u64(tb[BLKJOB_A_JOB_SPEED]);
		if (speed > S64_MAX) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    tb[BLKJOB_A_JOB_SPEED],
					    "speed must not be negative");
			err = -EINVAL;
			break;
		}
		err = blkjob_set_speed(job, speed, info->extack);
		break;
	case BLKJOB_VERB_CHANGE:
		if (!tb[BLKJOB_A_JOB_COPY_MODE]) {
			NL_SET_ERR_MSG(info->extack, "nothing to change");
			err = -EINVAL;
			break;
		}
		err = blkjob_change(job, nla_get_u32(tb[BLKJOB_A_JOB_COPY_MODE]),
				    info->extack);
		break;
	default:
		err = -EOPNOTSUPP;
		break;
	}
	blkjob_put(job);
	return err;
}

int blkjob_nl_job_pause_doit(struct sk_buff *skb, struct genl_info *info)
{
	return blkjob_nl_verb(skb, info, BLKJOB_VERB_PAUSE);
}

int blkjob_nl_job_resume_doit(struct sk_buff *skb, struct genl_info *info)
{
	return blkjob_nl_verb(skb, info, BLKJOB_VERB_RESUME);
}

int blkjob_nl_job_cancel_doit(struct sk_buff *skb, struct genl_info *info)
{
	return blkjob_nl_verb(skb, info, BLKJOB_VERB_CANCEL);
}

int blkjob_nl_job_complete_doit(struct sk_buff *skb, struct genl_info *info)
{
	return blkjob_nl_verb(skb, info, BLKJOB_VERB_COMPLETE);
}

int blkjob_nl_job_finalize_doit(struct sk_buff *skb, struct genl_info *info)
{
	return blkjob_nl_verb(skb, info, BLKJOB_VERB_FINALIZE);
}

int blkjob_nl_job_dismiss_doit(struct sk_buff *skb, struct genl_info *info)
{
	return blkjob_nl_verb(skb, info, BLKJOB_VERB_DISMISS);
}

int blkjob_nl_job_set_speed_doit(struct sk_buff *skb, struct genl_info *info)
{
	return blkjob_nl_verb(skb, info, BLKJOB_VERB_SET_SPEED);
}

int blkjob_nl_job_change_doit(struct sk_buff *skb, struct genl_info *info)
{
	return blkjob_nl_verb(skb, info, BLKJOB_VERB_CHANGE);
}

/**
 * blkjob_nl_register() - register the family
 *
 * Context: module init.
 * Return: 0 or -errno.
 */
int blkjob_nl_register(void)
{
	return genl_register_family(&blkjob_nl_family);
}

/**
 * blkjob_nl_unregister() - unregister the family
 *
 * Returns once no handler runs any more.
 *
 * Context: module exit.
 */
void blkjob_nl_unregister(void)
{
	genl_unregister_family(&blkjob_nl_family);
}
