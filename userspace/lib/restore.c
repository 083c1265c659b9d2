// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Restoring a device's plumbing, whatever state a move left it in: named
 * by the device itself, by its temporary device, or (a move from beneath)
 * by a device above the one that moved.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "move.h"

/* One line of sysfs dm attribute @attr of block device @kname. */
static bool dm_attr(const char *kname, const char *attr, char *buf,
		    size_t len)
{
	char path[64 + NAME_MAX];
	bool ok;
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/block/%s/dm/%s", kname, attr);
	fp = fopen(path, "re");
	if (!fp)
		return false;
	ok = fgets(buf, len, fp);
	fclose(fp);
	buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/*
 * Block device @kname is our device for a move beneath, with a leg on
 * @dev: its dm name into @name.
 */
static bool beneath_on(const char *kname, dev_t dev, char *name, size_t len)
{
	char uuid[DM_UUID_LEN], dm[DM_NAME_LEN], src[64], dst[64];
	struct bjdm_table t;
	dev_t s = 0, d = 0;
	bool on;

	if (!dm_attr(kname, "uuid", uuid, sizeof(uuid)) ||
	    strncmp(uuid, UUID_BENEATH, strlen(UUID_BENEATH)) ||
	    !dm_attr(kname, "name", dm, sizeof(dm)) ||
	    bjdm_get_lines(dm, DM_DEVICE_TABLE, false, &t))
		return false;
	on = t.n == 1 && !strcmp(t.seg[0].type, TARGET_TYPE) &&
	     sscanf(t.seg[0].params, "%63s %63s", src, dst) == 2 &&
	     plumb_parse_devno(src, &s) && plumb_parse_devno(dst, &d) &&
	     (s == dev || d == dev);
	bjdm_table_free(&t);
	if (on)
		snprintf(name, len, "%s", dm);
	return on;
}

/*
 * 'restore TOP' of a device moved from beneath restores that move: the
 * blkjob device TOP sits on, or the one with a leg on TOP's device (killed
 * before the holders moved onto it, or after they left it).
 */
static int restore_beneath(struct blkjob_move *m, struct src *s)
{
	struct dirent *de;
	dev_t bottom = 0;
	char why[1024];
	DIR *d;

	if (s->plain || setup_bottom_of(s->name, &bottom, why, sizeof(why)))
		return 0;
	if (setup_tmp_devno(bottom))
		return bjdm_name_of_devno(bottom, s->name, sizeof(s->name)) ?
		       mv_err(m, "%u:%u: no such dm device", major(bottom),
			       minor(bottom)) : 0;
	d = opendir("/sys/block");
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "dm-", 3) &&
		    beneath_on(de->d_name, bottom, s->name, sizeof(s->name)))
			break;
	closedir(d);
	return 0;
}

/* What a restore did, in words. */
static void say_restored(struct blkjob_move *m, bool plain,
			 enum blkjob_mapping out)
{
	const struct plumb *pl = &m->pl;
	dev_t d = out == BLKJOB_MAPPING_DESTINATION ? pl->dst_dev :
		  pl->src_dev;
	char where[32];

	if (pl->beneath && (out == BLKJOB_MAPPING_DESTINATION ||
			    out == BLKJOB_MAPPING_ORIGINAL)) {
		snprintf(where, sizeof(where), "%u:%u", major(d), minor(d));
		mv_say_holders(m, where);
		return;
	}
	switch (out) {
	case BLKJOB_MAPPING_UNCHANGED:
		if (!plain)
			mv_notice(m, BLKJOB_NOTICE_STEP,
				  "%s: no blkjob plumbing; nothing to do",
				  pl->name);
		break;
	case BLKJOB_MAPPING_DESTINATION:
		mv_notice(m, BLKJOB_NOTICE_STEP,
			  "%s: now maps %sonto %u:%u (the mirror had pivoted)",
			  pl->name, pl->pinned ? "" : "linear ", major(d),
			  minor(d));
		break;
	case BLKJOB_MAPPING_ORIGINAL:
		mv_notice(m, BLKJOB_NOTICE_STEP,
			  "%s: original mapping restored", pl->name);
		break;
	case BLKJOB_MAPPING_REMOVED:
		mv_notice(m, BLKJOB_NOTICE_STEP, "%s: removed", pl->name);
		break;
	case BLKJOB_MAPPING_CURRENT:
		mv_notice(m, BLKJOB_NOTICE_STEP,
			  "%s: keeps its current table; %s removed",
			  pl->name, pl->helper);
		break;
	default:
		break;
	}
}

int blkjob_move_restore(struct blkjob_move *m, const char *dev, bool force,
			bool wait, enum blkjob_mapping *out)
{
	struct plumb *pl = &m->pl;
	struct dm_info info;
	struct src s;
	int ret;

	*out = BLKJOB_MAPPING_UNCHANGED;
	snprintf(m->dev, sizeof(m->dev), "%s", dev);
	ret = setup_resolve_src(m, dev, &s);
	if (!ret)
		ret = restore_beneath(m, &s);
	if (!ret && m->key_file && !bjdm_get_info(s.name, &info, NULL, 0) &&
	    info.exists)
		ret = setup_load_keys(m, makedev(info.major, info.minor));
	if (!ret)
		ret = plumb_read(pl, s.name);
	if (!ret && wait && !force)
		ret = plumb_follow_job(pl, false);
	if (!ret && s.plain && !pl->info.exists && !pl->hinfo.exists)
		mv_notice(m, BLKJOB_NOTICE_STEP,
			  "%s: no blkjob plumbing in front of it", dev);
	if (!ret)
		ret = plumb_restore(pl, force, out);
	if (!ret)
		say_restored(m, s.plain, *out);
	return ret;
}
