// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libblkjob: a device's record on a metadata device through the steps of
 * a move (Documentation/blkjob/metadata.md, "What is committed when").
 * The kernel commits the pivot itself; these are the steps around it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "libblkjob.h"
#include "why.h"

int blkjob_why(char *why, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return err;
}

int blkjob_dev_path(dev_t devno, char *path, size_t len)
{
	char uevent[64], line[256];
	int err = -ENOENT;
	FILE *fp;

	snprintf(uevent, sizeof(uevent), "/sys/dev/block/%u:%u/uevent",
		 major(devno), minor(devno));
	fp = fopen(uevent, "re");
	if (!fp)
		return -errno;
	while (fgets(line, sizeof(line), fp)) {
		if (strncmp(line, "DEVNAME=", 8))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(path, len, "/dev/%s", line + 8);
		err = 0;
		break;
	}
	fclose(fp);
	return err;
}

/* A long enough device that reading it cannot block on a suspend. */
static bool worth_probing(const char *name)
{
	char path[PATH_MAX], buf[32] = "";
	unsigned long long sectors = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/class/block/%s/size", name);
	fp = fopen(path, "re");
	if (!fp)
		return false;
	if (fscanf(fp, "%llu", &sectors) != 1)
		sectors = 0;
	fclose(fp);
	/* Smaller than a metadata device, or an empty dm device (on 6.1 its
	 * I/O can hang: lvm2 issue #136). */
	if (sectors < 2048)
		return false;
	snprintf(path, sizeof(path), "/sys/class/block/%s/dm/suspended", name);
	fp = fopen(path, "re");
	if (!fp)
		return true;
	if (!fgets(buf, sizeof(buf), fp))
		buf[0] = '\0';
	fclose(fp);
	return buf[0] != '1';
}

int blkjob_meta_scan(blkjob_path_fn fn, void *arg)
{
	char path[PATH_MAX];
	struct dirent *de;
	int ret = 0;
	DIR *d;

	d = opendir("/sys/class/block");
	if (!d)
		return -errno;
	while (!ret && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !worth_probing(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		if (blkjob_meta_probe(path) == 1)
			ret = fn(path, arg);
	}
	closedir(d);
	return ret;
}

struct find_state {
	struct blkjob_ctx *ctx;
	const char *dm_uuid;
	char *meta;
	size_t len;
	struct blkjob_meta_dev *rec;
};

static int find_in(const char *path, void *arg)
{
	struct find_state *fs = arg;

	if (blkjob_meta_dev_get(fs->ctx, path, fs->dm_uuid, fs->rec))
		return 0;
	snprintf(fs->meta, fs->len, "%s", path);
	return 1;
}

int blkjob_meta_find(struct blkjob_ctx *ctx, const char *dm_uuid,
		     char *meta, size_t len, struct blkjob_meta_dev *rec)
{
	struct find_state fs = {
		.ctx = ctx, .dm_uuid = dm_uuid, .meta = meta, .len = len,
		.rec = rec,
	};
	int ret;

	if (!dm_uuid[0])
		return -ENOENT;
	ret = blkjob_meta_scan(find_in, &fs);
	return ret == 1 ? 0 : ret < 0 ? ret : -ENOENT;
}

/* The identity of the leg a record says the device maps onto now. */
static const char *current_leg(const struct blkjob_meta_dev *rec)
{
	return rec->state >= BLKJOB_META_STATE_PIVOTED ? rec->dest_id :
	       rec->source_id;
}

int blkjob_record_move(struct blkjob_ctx *ctx, const char *meta,
		       struct blkjob_meta_dev *rec, const char *leg,
		       const char *dst, char *why, size_t len)
{
	char leg_id[BLKJOB_META_ID_LEN], dst_id[BLKJOB_META_ID_LEN];
	int err;

	err = blkjob_ident_of(leg, leg_id, sizeof(leg_id));
	if (err)
		return say(why, len, err, "%s: cannot tell its identity: %s",
			   leg, strerror(-err));
	/* A move under way was interrupted: its destination is no leg yet. */
	if (rec->state != BLKJOB_META_STATE_MOVING &&
	    strcmp(leg_id, current_leg(rec)))
		return say(why, len, -ESTALE,
			   "%s maps onto %s (%s) but its record on %s says %s",
			   rec->name, leg, leg_id, meta, current_leg(rec));
	err = blkjob_ident_of(dst, dst_id, sizeof(dst_id));
	if (err == -ENOENT)
		return say(why, len, err,
			   "%s has no stable identity (no WWID, serial or dm uuid), so a reboot could not find it: put a dm device with a uuid in front of it",
			   dst);
	if (err)
		return say(why, len, err, "%s: cannot tell its identity: %s",
			   dst, strerror(-err));
	snprintf(rec->source_id, sizeof(rec->source_id), "%s", leg_id);
	snprintf(rec->dest_id, sizeof(rec->dest_id), "%s", dst_id);
	rec->state = BLKJOB_META_STATE_MOVING;
	err = blkjob_meta_dev_set(ctx, meta, rec);
	if (err)
		return say(why, len, err, "%s: cannot record the move: %s",
			   meta, blkjob_errmsg(ctx)[0] ? blkjob_errmsg(ctx) :
			   strerror(-err));
	return 0;
}

int blkjob_record_back(struct blkjob_ctx *ctx, const char *meta,
		       struct blkjob_meta_dev *rec, char *why, size_t len)
{
	int err;

	if (rec->state != BLKJOB_META_STATE_MOVING)
		return 0;
	rec->state = BLKJOB_META_STATE_SOURCE;
	rec->dest_id[0] = '\0';
	err = blkjob_meta_dev_set(ctx, meta, rec);
	if (err)
		return say(why, len, err, "%s: cannot record the outcome: %s",
			   meta, blkjob_errmsg(ctx)[0] ? blkjob_errmsg(ctx) :
			   strerror(-err));
	return 0;
}

int blkjob_record_retire(struct blkjob_ctx *ctx, const char *meta,
			 struct blkjob_meta_dev *rec, const char *backup_dir,
			 struct blkjob_wipe_result *res, char *why, size_t len)
{
	char src[PATH_MAX], dst[PATH_MAX];
	struct stat a, b;
	int err;

	memset(res, 0, sizeof(*res));
	if (rec->state != BLKJOB_META_STATE_PIVOTED)
		return 0;
	err = blkjob_ident_find(rec->source_id, src, sizeof(src));
	if (err)
		return say(why, len, err, "the old disk %s: %s", rec->source_id,
			   err == -ENOENT ? "not found" :
			   err == -EEXIST ? "found twice" : strerror(-err));
	/* Never the disk the device now lives on, whatever sysfs says. */
	if (!blkjob_ident_find(rec->dest_id, dst, sizeof(dst)) &&
	    !stat(src, &a) && !stat(dst, &b) && a.st_rdev == b.st_rdev)
		return say(why, len, -EINVAL,
			   "%s is both the old and the new disk", src);
	err = blkjob_wipe(src, backup_dir, 0, res);
	if (err)
		return say(why, len, err, "%s", res->errmsg);
	rec->state = BLKJOB_META_STATE_RETIRED;
	err = blkjob_meta_dev_set(ctx, meta, rec);
	if (err)
		return say(why, len, err, "%s: cannot record the retired source: %s",
			   meta, blkjob_errmsg(ctx)[0] ? blkjob_errmsg(ctx) :
			   strerror(-err));
	return 0;
}
