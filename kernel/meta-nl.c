// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink requests on metadata devices (meta-* in the YNL spec); the
 * metadata layer itself is metadata.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/err.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "blkjob-nl.h"
#include "blkjob.h"
#include "compat.h"
#include "metadata.h"

static int meta_nl_path(struct genl_info *info, const char **path)
{
	struct nlattr *attr = info->attrs[BLKJOB_A_META_PATH];

	if (!attr) {
		NL_SET_ERR_MSG(info->extack, "missing attribute 'path'");
		return -EINVAL;
	}
	*path = nla_data(attr);
	return 0;
}

static struct blkjob_md *meta_nl_open(struct genl_info *info)
{
	const char *path, *why = "";
	struct blkjob_md *md;
	int err;

	err = meta_nl_path(info, &path);
	if (err)
		return ERR_PTR(err);
	md = blkjob_md_open(path, &why);
	if (IS_ERR(md))
		blkjob_errmsg(info->extack, info->attrs[BLKJOB_A_META_PATH],
			      "%s: %s", path, why);
	return md;
}

static int meta_nl_put_info(struct sk_buff *skb, const char *path,
			    const struct blkjob_md_info *mi)
{
	if (nla_put_string(skb, BLKJOB_A_META_PATH, path) ||
	    nla_put(skb, BLKJOB_A_META_UUID, sizeof(mi->uuid), mi->uuid) ||
	    nla_put_u64_64bit(skb, BLKJOB_A_META_GENERATION, mi->generation,
			      BLKJOB_A_META_PAD) ||
	    nla_put_u32(skb, BLKJOB_A_META_NR_DEVS, mi->nr_devs) ||
	    nla_put_u32(skb, BLKJOB_A_META_CAPACITY, mi->capacity))
		return -EMSGSIZE;
	return 0;
}

static int meta_nl_put_dev(struct sk_buff *skb, const struct blkjob_md_dev *d)
{
	struct nlattr *nest = nla_nest_start(skb, BLKJOB_A_META_DEV);

	if (!nest ||
	    nla_put_string(skb, BLKJOB_A_META_DEV_NAME, d->name) ||
	    nla_put_string(skb, BLKJOB_A_META_DEV_DM_UUID, d->dm_uuid) ||
	    nla_put_u64_64bit(skb, BLKJOB_A_META_DEV_SECTORS, d->sectors,
			      BLKJOB_A_META_DEV_PAD) ||
	    nla_put_u32(skb, BLKJOB_A_META_DEV_STATE, d->state) ||
	    nla_put_string(skb, BLKJOB_A_META_DEV_SOURCE_ID, d->source_id) ||
	    (d->dest_id[0] &&
	     nla_put_string(skb, BLKJOB_A_META_DEV_DEST_ID, d->dest_id)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* Reply to @info with the metadata device's own attributes. */
static int meta_nl_reply_info(struct genl_info *info, const char *path,
			      const struct blkjob_md_info *mi)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &blkjob_nl_family, 0,
				info->genlhdr->cmd);
	if (!hdr || meta_nl_put_info(msg, path, mi)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

int blkjob_nl_meta_format_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct blkjob_md_info mi;
	const char *path, *why = "";
	int err;

	err = blkjob_nl_admin(skb, info) ?: meta_nl_path(info, &path);
	if (err)
		return err;
	err = blkjob_md_format(path, &mi, &why);
	if (err) {
		blkjob_errmsg(info->extack, info->attrs[BLKJOB_A_META_PATH],
			      "%s: %s", path, why);
		return err;
	}
	pr_info("formatted %s as a metadata device\n", path);
	return meta_nl_reply_info(info, path, &mi);
}

int blkjob_nl_meta_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct blkjob_md_info mi;
	struct blkjob_md *md;
	int err;

	err = blkjob_nl_admin(skb, info);
	if (err)
		return err;
	md = meta_nl_open(info);
	if (IS_ERR(md))
		return PTR_ERR(md);
	blkjob_md_info(md, &mi);
	err = meta_nl_reply_info(info,
				 nla_data(info->attrs[BLKJOB_A_META_PATH]), &mi);
	blkjob_md_put(md);
	return err;
}

/* The dev nest of a request, parsed (the policy validated it). */
static int meta_nl_dev_attrs(struct genl_info *info, struct nlattr **tb)
{
	struct nlattr *nest = info->attrs[BLKJOB_A_META_DEV];
	int err;

	if (!nest) {
		NL_SET_ERR_MSG(info->extack, "missing attribute 'dev'");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, BLKJOB_A_META_DEV_MAX, nest,
			       blkjob_meta_dev_nl_policy, info->extack);
	if (err)
		return err;
	if (!tb[BLKJOB_A_META_DEV_DM_UUID] ||
	    !*(char *)nla_data(tb[BLKJOB_A_META_DEV_DM_UUID])) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "missing attribute 'dm-uuid'");
		return -EINVAL;
	}
	return 0;
}

static int meta_nl_reply_dev(struct genl_info *info, u64 generation,
			     const struct blkjob_md_dev *d)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &blkjob_nl_family, 0,
				BLKJOB_CMD_META_DEV_GET);
	if (!hdr ||
	    nla_put_string(msg, BLKJOB_A_META_PATH,
			   nla_data(info->attrs[BLKJOB_A_META_PATH])) ||
	    nla_put_u64_64bit(msg, BLKJOB_A_META_GENERATION, generation,
			      BLKJOB_A_META_PAD) ||
	    meta_nl_put_dev(msg, d)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

int blkjob_nl_meta_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[BLKJOB_A_META_DEV_MAX + 1];
	struct blkjob_md_info mi;
	struct blkjob_md_dev d;
	struct blkjob_md *md;
	const char *uuid;
	int err;

	err = blkjob_nl_admin(skb, info) ?: meta_nl_dev_attrs(info, tb);
	if (err)
		return err;
	md = meta_nl_open(info);
	if (IS_ERR(md))
		return PTR_ERR(md);
	uuid = nla_data(tb[BLKJOB_A_META_DEV_DM_UUID]);
	err = blkjob_md_find(md, uuid, &d);
	blkjob_md_info(md, &mi);
	blkjob_md_put(md);
	if (err) {
		blkjob_errmsg(info->extack, tb[BLKJOB_A_META_DEV_DM_UUID],
			      "no record of '%s' on this metadata device", uuid);
		return err;
	}
	return meta_nl_reply_dev(info, mi.generation, &d);
}

/*
 * cb->args[0]: index of the next record to send. The device is opened
 * again for each part of the dump; the generation in every message lets a
 * reader see that a commit came in between.
 */
int blkjob_nl_meta_dev_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct nlattr **tb = blkjob_dump_attrs(cb);
	const char *path, *why = "";
	struct blkjob_md_info mi;
	struct blkjob_md_dev d;
	struct blkjob_md *md;
	void *hdr;

	if (!netlink_capable(cb->skb, CAP_SYS_ADMIN))
		return -EPERM;
	if (!tb[BLKJOB_A_META_PATH]) {
		NL_SET_ERR_MSG(cb->extack, "missing attribute 'path'");
		return -EINVAL;
	}
	path = nla_data(tb[BLKJOB_A_META_PATH]);
	md = blkjob_md_open(path, &why);
	if (IS_ERR(md)) {
		blkjob_errmsg(cb->extack, tb[BLKJOB_A_META_PATH], "%s: %s",
			      path, why);
		return PTR_ERR(md);
	}
	blkjob_md_info(md, &mi);
	while (!blkjob_md_dev_at(md, cb->args[0], &d)) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &blkjob_nl_family,
				  NLM_F_MULTI, BLKJOB_CMD_META_DEV_GET);
		if (!hdr)
			break;
		if (nla_put_string(skb, BLKJOB_A_META_PATH, path) ||
		    nla_put_u64_64bit(skb, BLKJOB_A_META_GENERATION,
				      mi.generation, BLKJOB_A_META_PAD) ||
		    meta_nl_put_dev(skb, &d)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0]++;
	}
	blkjob_md_put(md);
	return skb->len;
}

static void meta_nl_str(char *dst, size_t len, struct nlattr *attr)
{
	if (attr)
		nla_strscpy(dst, attr, len);
	else
		dst[0] = '\0';
}

/* A record from a request: what a move's steps need is there. */
static int meta_nl_parse_dev(struct genl_info *info, struct nlattr **tb,
			     struct blkjob_md_dev *d)
{
	struct nlattr *nest = info->attrs[BLKJOB_A_META_DEV];

	memset(d, 0, sizeof(*d));
	meta_nl_str(d->name, sizeof(d->name), tb[BLKJOB_A_META_DEV_NAME]);
	meta_nl_str(d->dm_uuid, sizeof(d->dm_uuid),
		    tb[BLKJOB_A_META_DEV_DM_UUID]);
	meta_nl_str(d->source_id, sizeof(d->source_id),
		    tb[BLKJOB_A_META_DEV_SOURCE_ID]);
	meta_nl_str(d->dest_id, sizeof(d->dest_id),
		    tb[BLKJOB_A_META_DEV_DEST_ID]);
	if (tb[BLKJOB_A_META_DEV_SECTORS])
		d->sectors = nla_get_u64(tb[BLKJOB_A_META_DEV_SECTORS]);
	if (tb[BLKJOB_A_META_DEV_STATE])
		d->state = nla_get_u32(tb[BLKJOB_A_META_DEV_STATE]);
	if (!d->name[0] || !d->source_id[0] || !d->sectors) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "a record needs name, sectors and source-id");
		return -EINVAL;
	}
	if (d->state != BLKJOB_META_STATE_SOURCE && !d->dest_id[0]) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "a record past 'source' needs dest-id");
		return -EINVAL;
	}
	return 0;
}

int blkjob_nl_meta_dev_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[BLKJOB_A_META_DEV_MAX + 1];
	struct blkjob_md_dev d;
	struct blkjob_md *md;
	int err;

	err = blkjob_nl_admin(skb, info) ?: meta_nl_dev_attrs(info, tb) ?:
	      meta_nl_parse_dev(info, tb, &d);
	if (err)
		return err;
	md = meta_nl_open(info);
	if (IS_ERR(md))
		return PTR_ERR(md);
	err = blkjob_md_set(md, &d);
	blkjob_md_put(md);
	if (err == -ENOSPC)
		NL_SET_ERR_MSG(info->extack,
			       "the metadata device has no free record");
	else if (err)
		NL_SET_ERR_MSG(info->extack,
			       "cannot commit to the metadata device");
	return err;
}

int blkjob_nl_meta_dev_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[BLKJOB_A_META_DEV_MAX + 1];
	struct blkjob_md *md;
	const char *uuid;
	int err;

	err = blkjob_nl_admin(skb, info) ?: meta_nl_dev_attrs(info, tb);
	if (err)
		return err;
	md = meta_nl_open(info);
	if (IS_ERR(md))
		return PTR_ERR(md);
	uuid = nla_data(tb[BLKJOB_A_META_DEV_DM_UUID]);
	err = blkjob_md_del(md, uuid);
	blkjob_md_put(md);
	if (err == -ENOENT)
		blkjob_errmsg(info->extack, tb[BLKJOB_A_META_DEV_DM_UUID],
			      "no record of '%s' on this metadata device", uuid);
	else if (err)
		NL_SET_ERR_MSG(info->extack,
			       "cannot commit to the metadata device");
	return err;
}
