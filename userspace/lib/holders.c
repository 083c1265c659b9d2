// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libblkjob: the device-mapper devices that hold a block device, and moving
 * them from one device to another (a move "beneath" them). dm prints every
 * device of a table as major:minor; a holder's table with one device's
 * number swapped for another's keeps the holder's targets and parameters.
 * Which holders may be moved at all is stack.c's rule.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "libblkjob.h"
#include "why.h"
#include "dmtask.h"

void blkjob_holders_free(struct blkjob_holders *h)
{
	free(h->names);
	h->names = NULL;
	h->n = 0;
}

/* The dm name of sysfs block device @kname ("dm-3"), or -ENODEV. */
static int dm_name(const char *kname, char *buf, size_t len)
{
	char path[64 + NAME_MAX];
	FILE *fp;
	int err = 0;

	snprintf(path, sizeof(path), "/sys/class/block/%s/dm/name", kname);
	fp = fopen(path, "re");
	if (!fp)
		return errno == ENOENT ? -ENODEV : -errno;
	if (!fgets(buf, len, fp))
		err = -EIO;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(fp);
	return err;
}

int blkjob_holders_get(dev_t dev, struct blkjob_holders *h, char *why,
		       size_t len)
{
	char dir[64];
	struct dirent *de;
	void *grown;
	DIR *d;
	int err = 0;

	memset(h, 0, sizeof(*h));
	snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u/holders", major(dev),
		 minor(dev));
	d = opendir(dir);
	if (!d)
		return say(why, len, -errno, "%u:%u: no holders in sysfs: %s",
			   major(dev), minor(dev), strerror(errno));
	while (!err && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		grown = realloc(h->names, (h->n + 1) * sizeof(*h->names));
		if (!grown) {
			err = -ENOMEM;
			break;
		}
		h->names = grown;
		err = dm_name(de->d_name, h->names[h->n], sizeof(h->names[0]));
		if (err == -ENODEV)
			say(why, len, -EBUSY,
			    "%u:%u is held by %s, which is not a device-mapper device",
			    major(dev), minor(dev), de->d_name);
		else if (err)
			say(why, len, err, "%s: cannot read its dm name: %s",
			    de->d_name, strerror(-err));
		else
			h->n++;
	}
	closedir(d);
	if (err == -ENODEV)
		err = -EBUSY;
	if (err)
		blkjob_holders_free(h);
	return err;
}

/* @name's live table as blkjob_dm_seg views into @t. */
static int table_of(const char *name, struct bjdm_table *t,
		    struct blkjob_dm_seg **segs, char *why, size_t len)
{
	unsigned int i;

	if (bjdm_get_lines(name, DM_DEVICE_TABLE, false, t))
		return say(why, len, -EIO, "%s: cannot read its table", name);
	*segs = calloc(t->n ? t->n : 1, sizeof(**segs));
	if (!*segs) {
		bjdm_table_free(t);
		return -ENOMEM;
	}
	for (i = 0; i < t->n; i++) {
		(*segs)[i].type = t->seg[i].type;
		(*segs)[i].params = t->seg[i].params;
	}
	return 0;
}

/* Holder @name can be moved off @dev: its whole table sits on @dev alone. */
static int check_one(const char *name, dev_t dev, char *why, size_t len)
{
	struct blkjob_dm_seg *segs = NULL;
	struct bjdm_table t;
	struct dm_info info;
	dev_t bottom = 0;
	int err;

	if (bjdm_get_info(name, &info, NULL, 0) || !info.exists)
		return say(why, len, -ENODEV, "%s: cannot query it", name);
	if (info.suspended || info.inactive_table)
		return say(why, len, -EBUSY,
			   "%s is %s; a move beneath it would race with whoever is reloading it",
			   name, info.suspended ? "suspended" :
			   "holding an inactive table");
	err = table_of(name, &t, &segs, why, len);
	if (err)
		return err;
	err = blkjob_dm_bottom(name, segs, t.n, &bottom, why, len);
	if (!err && bottom != dev)
		err = say(why, len, -EXDEV, "%s does not sit on %u:%u", name,
			  major(dev), minor(dev));
	free(segs);
	bjdm_table_free(&t);
	return err;
}

int blkjob_holders_check(dev_t dev, struct blkjob_holders *h, char *why,
			 size_t len)
{
	unsigned int i;
	int err;

	err = blkjob_holders_get(dev, h, why, len);
	for (i = 0; !err && i < h->n; i++)
		err = check_one(h->names[i], dev, why, len);
	if (err)
		blkjob_holders_free(h);
	return err;
}

/* Reload @name's table with @from swapped for @to, and make it live. */
static int swap_one(const char *name, dev_t from, dev_t to, char *why,
		    size_t len)
{
	struct bjdm_table t, moved = { 0 };
	struct dm_info info;
	char *params = NULL, reason[256];
	unsigned int i;
	size_t plen;
	int err = 0;

	if (bjdm_get_info(name, &info, NULL, 0) || !info.exists)
		return say(why, len, -ENODEV, "%s: cannot query it", name);
	/* @to holds @from too when it is the device put in front of it. */
	if (makedev(info.major, info.minor) == to)
		return 0;
	if (bjdm_get_lines(name, DM_DEVICE_TABLE, false, &t))
		return say(why, len, -EIO, "%s: cannot read its table", name);
	for (i = 0; !err && i < t.n; i++) {
		plen = strlen(t.seg[i].params) + 32;
		free(params);
		params = malloc(plen);
		if (!params) {
			err = -ENOMEM;
			break;
		}
		err = blkjob_dm_swap_dev(t.seg[i].params, from, to, params,
					 plen);
		if (err >= 0)
			err = bjdm_table_add(&moved, t.seg[i].start,
					     t.seg[i].len, t.seg[i].type,
					     params);
	}
	free(params);
	bjdm_table_free(&t);
	if (err < 0) {
		bjdm_table_free(&moved);
		return say(why, len, err, "%s: cannot rewrite its table: %s",
			   name, strerror(-err));
	}
	if (!bjdm_load(name, &moved, info.read_only))
		err = say(why, len, -EIO,
			  "%s: the kernel refused its table on %u:%u: %s",
			  name, major(to), minor(to),
			  bjdm_take_kernel_reason(reason, sizeof(reason)) ?
			  reason : "no reason logged");
	else if (!bjdm_simple(DM_DEVICE_RESUME, name))
		err = say(why, len, -EIO,
			  "%s: cannot resume it on %u:%u", name, major(to),
			  minor(to));
	bjdm_table_free(&moved);
	return err;
}

int blkjob_holders_swap(dev_t from, dev_t to, char *why, size_t len)
{
	struct blkjob_holders h;
	unsigned int i;
	int err;

	err = blkjob_holders_get(from, &h, why, len);
	for (i = 0; !err && i < h.n; i++)
		err = swap_one(h.names[i], from, to, why, len);
	if (!err)
		err = h.n;
	blkjob_holders_free(&h);
	return err;
}
