// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libblkjob: the meta-* requests (Documentation/blkjob/metadata.md). The
 * kernel alone reads and writes the metadata device's format; this side
 * only speaks netlink, except for blkjob_meta_probe()'s look at the magic.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "libblkjob.h"
#include "nl-internal.h"

static void copy_attr(char *dst, size_t size, struct nlattr *a)
{
	size_t n = a ? (size_t)nla_len(a) : 0;

	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, nla_data(a), n);
	dst[n] = '\0';
}

static int parse_info(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[BLKJOB_A_META_MAX + 1];
	struct blkjob_meta_info *mi = arg;
	int err;

	err = nlmsg_parse(nlmsg_hdr(msg), GENL_HDRLEN, tb, BLKJOB_A_META_MAX,
			  NULL);
	if (err < 0)
		return -EPROTO;
	if (!tb[BLKJOB_A_META_UUID] || !tb[BLKJOB_A_META_GENERATION] ||
	    nla_len(tb[BLKJOB_A_META_UUID]) != sizeof(mi->uuid))
		return -EPROTO;
	memcpy(mi->uuid, nla_data(tb[BLKJOB_A_META_UUID]), sizeof(mi->uuid));
	mi->generation = nla_get_u64(tb[BLKJOB_A_META_GENERATION]);
	if (tb[BLKJOB_A_META_NR_DEVS])
		mi->nr_devs = nla_get_u32(tb[BLKJOB_A_META_NR_DEVS]);
	if (tb[BLKJOB_A_META_CAPACITY])
		mi->capacity = nla_get_u32(tb[BLKJOB_A_META_CAPACITY]);
	mi->valid = true;
	return 0;
}

static int parse_dev(struct nl_msg *msg, struct blkjob_meta_dev *d)
{
	struct nlattr *tb[BLKJOB_A_META_MAX + 1];
	struct nlattr *dt[BLKJOB_A_META_DEV_MAX + 1];
	int err;

	memset(d, 0, sizeof(*d));
	err = nlmsg_parse(nlmsg_hdr(msg), GENL_HDRLEN, tb, BLKJOB_A_META_MAX,
			  NULL);
	if (err < 0 || !tb[BLKJOB_A_META_DEV])
		return -EPROTO;
	if (tb[BLKJOB_A_META_GENERATION])
		d->generation = nla_get_u64(tb[BLKJOB_A_META_GENERATION]);
	if (nla_parse_nested(dt, BLKJOB_A_META_DEV_MAX, tb[BLKJOB_A_META_DEV],
			     NULL) < 0 || !dt[BLKJOB_A_META_DEV_DM_UUID])
		return -EPROTO;
	copy_attr(d->name, sizeof(d->name), dt[BLKJOB_A_META_DEV_NAME]);
	copy_attr(d->dm_uuid, sizeof(d->dm_uuid),
		  dt[BLKJOB_A_META_DEV_DM_UUID]);
	copy_attr(d->source_id, sizeof(d->source_id),
		  dt[BLKJOB_A_META_DEV_SOURCE_ID]);
	copy_attr(d->dest_id, sizeof(d->dest_id),
		  dt[BLKJOB_A_META_DEV_DEST_ID]);
	if (dt[BLKJOB_A_META_DEV_SECTORS])
		d->sectors = nla_get_u64(dt[BLKJOB_A_META_DEV_SECTORS]);
	if (dt[BLKJOB_A_META_DEV_STATE])
		d->state = nla_get_u32(dt[BLKJOB_A_META_DEV_STATE]);
	return 0;
}

static int parse_one_dev(struct nl_msg *msg, void *arg)
{
	return parse_dev(msg, arg);
}

static struct nl_msg *path_msg(struct blkjob_ctx *ctx, uint8_t cmd,
			       int flags, const char *path)
{
	struct nl_msg *msg = blkjob_nl_new_msg(ctx, cmd, flags);

	if (msg && nla_put_string(msg, BLKJOB_A_META_PATH, path) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int info_req(struct blkjob_ctx *ctx, uint8_t cmd, const char *path,
		    struct blkjob_meta_info *mi)
{
	struct nl_msg *msg = path_msg(ctx, cmd, 0, path);
	int err;

	if (!msg)
		return -ENOMEM;
	memset(mi, 0, sizeof(*mi));
	err = blkjob_nl_transact(ctx, msg, parse_info, mi);
	return !err && !mi->valid ? -EPROTO : err;
}

int blkjob_meta_format(struct blkjob_ctx *ctx, const char *path,
		       struct blkjob_meta_info *mi)
{
	return info_req(ctx, BLKJOB_CMD_META_FORMAT, path, mi);
}

int blkjob_meta_get(struct blkjob_ctx *ctx, const char *path,
		    struct blkjob_meta_info *mi)
{
	return info_req(ctx, BLKJOB_CMD_META_GET, path, mi);
}

/* path + a dev nest; the whole record when @d is set, else its uuid. */
static struct nl_msg *dev_msg(struct blkjob_ctx *ctx, uint8_t cmd,
			      const char *path, const char *dm_uuid,
			      const struct blkjob_meta_dev *d)
{
	struct nl_msg *msg = path_msg(ctx, cmd, 0, path);
	struct nlattr *nest;
	int err = 0;

	if (!msg)
		return NULL;
	nest = nla_nest_start(msg, BLKJOB_A_META_DEV);
	if (!nest)
		goto fail;
	err |= nla_put_string(msg, BLKJOB_A_META_DEV_DM_UUID, dm_uuid);
	if (d) {
		err |= nla_put_string(msg, BLKJOB_A_META_DEV_NAME, d->name);
		err |= nla_put_u64(msg, BLKJOB_A_META_DEV_SECTORS, d->sectors);
		err |= nla_put_u32(msg, BLKJOB_A_META_DEV_STATE, d->state);
		err |= nla_put_string(msg, BLKJOB_A_META_DEV_SOURCE_ID,
				      d->source_id);
		if (d->dest_id[0])
			err |= nla_put_string(msg, BLKJOB_A_META_DEV_DEST_ID,
					      d->dest_id);
	}
	if (err)
		goto fail;
	nla_nest_end(msg, nest);
	return msg;
fail:
	nlmsg_free(msg);
	return NULL;
}

int blkjob_meta_dev_get(struct blkjob_ctx *ctx, const char *path,
			const char *dm_uuid, struct blkjob_meta_dev *d)
{
	struct nl_msg *msg = dev_msg(ctx, BLKJOB_CMD_META_DEV_GET, path,
				     dm_uuid, NULL);

	if (!msg)
		return -ENOMEM;
	memset(d, 0, sizeof(*d));
	return blkjob_nl_transact(ctx, msg, parse_one_dev, d);
}

int blkjob_meta_dev_set(struct blkjob_ctx *ctx, const char *path,
			const struct blkjob_meta_dev *d)
{
	struct nl_msg *msg = dev_msg(ctx, BLKJOB_CMD_META_DEV_SET, path,
				     d->dm_uuid, d);

	return msg ? blkjob_nl_transact(ctx, msg, NULL, NULL) : -ENOMEM;
}

int blkjob_meta_dev_del(struct blkjob_ctx *ctx, const char *path,
			const char *dm_uuid)
{
	struct nl_msg *msg = dev_msg(ctx, BLKJOB_CMD_META_DEV_DEL, path,
				     dm_uuid, NULL);

	return msg ? blkjob_nl_transact(ctx, msg, NULL, NULL) : -ENOMEM;
}

struct dev_dump {
	blkjob_meta_dev_fn fn;
	void *arg;
	struct blkjob_meta_dev d;
};

static int parse_dump_dev(struct nl_msg *msg, void *arg)
{
	struct dev_dump *dd = arg;
	int err = parse_dev(msg, &dd->d);

	return err ? err : dd->fn(&dd->d, dd->arg);
}

int blkjob_meta_dev_dump(struct blkjob_ctx *ctx, const char *path,
			 blkjob_meta_dev_fn fn, void *arg)
{
	struct nl_msg *msg = path_msg(ctx, BLKJOB_CMD_META_DEV_GET,
				      NLM_F_DUMP, path);
	struct dev_dump dd = { .fn = fn, .arg = arg };

	return msg ? blkjob_nl_transact(ctx, msg, parse_dump_dev, &dd) :
		     -ENOMEM;
}

#define META_MAGIC "BLKJOBMD"

int blkjob_meta_probe(const char *path)
{
	char magic[sizeof(META_MAGIC) - 1];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, magic, sizeof(magic), 0);
	close(fd);
	if (n < 0)
		return -errno;
	return n == sizeof(magic) && !memcmp(magic, META_MAGIC, n);
}
