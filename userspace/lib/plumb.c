// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The plumbing of a live move as its dm tables tell it, and retiring it.
 *
 * Every state a killed process can leave behind is recognised from the
 * dm tables alone (the device's live and inactive tables, its suspended
 * flag, the helper's existence, the holders of our temporary device), so
 * a restore can always finish the job, and running it twice is harmless.
 * Documentation/blkjob/dm-target.md is the contract.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "move.h"

bool plumb_our_type(const char *type)
{
	return !strcmp(type, TARGET_TYPE) || !strcmp(type, TARGET_PINNED);
}

void plumb_free(struct plumb *pl)
{
	bjdm_table_free(&pl->live);
	blkjob_holders_free(&pl->holders);
}

/* A table's device: "major:minor", as dm prints them, or a path. */
bool plumb_parse_devno(const char *s, dev_t *out)
{
	unsigned int ma, mi;
	struct stat st;
	char end;

	if (sscanf(s, "%u:%u%c", &ma, &mi, &end) == 2) {
		*out = makedev(ma, mi);
		return true;
	}
	if (stat(s, &st) || !S_ISBLK(st.st_mode))
		return false;
	*out = st.st_rdev;
	return true;
}

/* The blkjob target's table and status lines (dm-target.md). */
static int read_blkjob(struct plumb *pl)
{
	char src[64], dst[64], meta[64], leg[24], id[BLKJOB_ID_LEN], st[32];
	struct bjdm_table s;
	int n, ret;

	n = sscanf(pl->live.seg[0].params, "%63s %63s meta %63s", src, dst,
		   meta);
	if (n < 2 || !plumb_parse_devno(src, &pl->src_dev) ||
	    !plumb_parse_devno(dst, &pl->dst_dev) ||
	    (n == 3 && !plumb_parse_devno(meta, &pl->meta_dev)))
		return mv_err(pl->m, "%s: unexpected blkjob table '%s'", pl->name,
			       pl->live.seg[0].params);
	ret = bjdm_get_lines(pl->name, DM_DEVICE_STATUS, false, &s);
	if (ret)
		return mv_dm_err(pl->m, "%s: cannot read its status", pl->name);
	ret = 0;
	if (s.n != 1 || !plumb_our_type(s.seg[0].type) ||
	    sscanf(s.seg[0].params, "%23s %63s %31s %" SCNu64 "/%" SCNu64,
		   leg, id, st, &pl->done, &pl->total) != 5)
		ret = mv_err(pl->m, "%s: unexpected blkjob status '%s'", pl->name,
			      s.n ? s.seg[0].params : "");
	bjdm_table_free(&s);
	if (ret)
		return ret;
	pl->has_meta = n == 3;
	snprintf(pl->leg, sizeof(pl->leg), "%s", leg);
	snprintf(pl->job_id, sizeof(pl->job_id), "%s", id);
	snprintf(pl->job_status, sizeof(pl->job_status), "%s", st);
	return 0;
}

/*
 * Read everything about @name (which may not exist) and its helper.
 * Returns 0 or -1 (reported).
 */
int plumb_read(struct plumb *pl, const char *name)
{
	char huuid[DM_UUID_LEN], why[256];

	plumb_free(pl);
	snprintf(pl->name, sizeof(pl->name), "%s", name);
	snprintf(pl->helper, sizeof(pl->helper), "%s" HELPER_SUFFIX, name);
	pl->blkjob = false;
	pl->pinned = false;
	pl->has_meta = false;
	if (bjdm_get_info(name, &pl->info, pl->uuid, sizeof(pl->uuid)) ||
	    bjdm_get_info(pl->helper, &pl->hinfo, huuid, sizeof(huuid)))
		return mv_dm_err(pl->m, "cannot query device-mapper");
	pl->tmp = !strncmp(pl->uuid, UUID_TMP, strlen(UUID_TMP));
	pl->beneath = !strncmp(pl->uuid, UUID_BENEATH, strlen(UUID_BENEATH));
	if (!pl->info.exists)
		return 0;
	if (pl->tmp && blkjob_holders_get(makedev(pl->info.major,
						  pl->info.minor),
					  &pl->holders, why, sizeof(why)))
		return mv_err(pl->m, "%s", why);
	if (!pl->info.live_table)
		return 0;
	if (bjdm_get_lines(name, DM_DEVICE_TABLE, false, &pl->live))
		return mv_dm_err(pl->m, "%s: cannot read its table", name);
	if (pl->live.n != 1 || !plumb_our_type(pl->live.seg[0].type))
		return 0;
	pl->pinned = !strcmp(pl->live.seg[0].type, TARGET_PINNED);
	/* One leg: a pinned device between moves, as idle as a linear one. */
	if (!strchr(pl->live.seg[0].params, ' '))
		return plumb_parse_devno(pl->live.seg[0].params, &pl->pin_dev) ? 0 :
		       mv_err(pl->m, "%s: unexpected table '%s'", name,
			       pl->live.seg[0].params);
	pl->blkjob = true;
	return read_blkjob(pl);
}

/* A job is attached and has not concluded yet. */
bool plumb_job_active(const struct plumb *pl)
{
	return pl->blkjob && strcmp(pl->job_id, "-") &&
	       strcmp(pl->job_status, "concluded") &&
	       strcmp(pl->job_status, "null");
}

/*
 * A mirror with auto-finalize off, completed: NAME runs on DST and the job
 * keeps SRC in sync until it is finalized or cancelled. It is still
 * attached (active) and only the job can let go.
 */
bool plumb_job_pending(const struct plumb *pl)
{
	return plumb_job_active(pl) && !strcmp(pl->job_status, "pending");
}

/* LVM names its LVs' dm devices with uuids "LVM-<vg uuid><lv uuid>". */
bool plumb_is_lvm(const struct plumb *pl)
{
	return !strncmp(pl->uuid, "LVM-", 4);
}
/* The table that replaces the blkjob target when it is retired. */
static int retired_table(const struct plumb *pl, struct bjdm_table *t,
			 enum blkjob_mapping *out)
{
	uint64_t len = pl->live.seg[0].len;
	char params[64];
	dev_t d;

	memset(t, 0, sizeof(*t));
	if (pl->pinned) {
		/* Its own legs, no helper: it stays a pinned device. */
		*out = strcmp(pl->leg, "destination") ? BLKJOB_MAPPING_ORIGINAL :
		       BLKJOB_MAPPING_DESTINATION;
		d = *out == BLKJOB_MAPPING_DESTINATION ? pl->dst_dev : pl->src_dev;
		snprintf(params, sizeof(params), "%u:%u", major(d), minor(d));
		return bjdm_table_add(t, 0, len, TARGET_PINNED, params) ?
		       -1 : 0;
	}
	if (!strcmp(pl->leg, "destination")) {
		/* Pivoted: the data lives on DST now, whatever was before. */
		snprintf(params, sizeof(params), "%u:%u 0",
			 major(pl->dst_dev), minor(pl->dst_dev));
		*out = BLKJOB_MAPPING_DESTINATION;
		return bjdm_table_add(t, 0, len, "linear", params) ? -1 : 0;
	}
	*out = BLKJOB_MAPPING_ORIGINAL;
	if (pl->hinfo.exists && pl->hinfo.live_table &&
	    makedev(pl->hinfo.major, pl->hinfo.minor) == pl->src_dev) {
		if (bjdm_get_lines(pl->helper, DM_DEVICE_TABLE, false, t))
			return mv_dm_err(pl->m, "%s: cannot read its table",
				       pl->helper);
		if (bjdm_table_size(t) == len)
			return 0;
		bjdm_table_free(t);
	}
	/*
	 * No usable helper (removed by hand?): the source leg itself is what
	 * the device showed, so a linear map onto it is the same data.
	 */
	snprintf(params, sizeof(params), "%u:%u 0", major(pl->src_dev),
		 minor(pl->src_dev));
	return bjdm_table_add(t, 0, len, "linear", params) ? -1 : 0;
}

/* Replace the live blkjob table of pl->name by what retires it. */
static int swap_out_target(struct plumb *pl, enum blkjob_mapping *out)
{
	struct bjdm_table t;
	int ret;

	ret = retired_table(pl, &t, out);
	if (ret)
		return ret;
	if (!bjdm_load(pl->name, &t, pl->info.read_only)) {
		bjdm_table_free(&t);
		return mv_dm_err(pl->m, "%s: cannot load its %s table", pl->name,
			       blkjob_mapping_str(*out));
	}
	bjdm_table_free(&t);
	mv_kill_point("retire-load");
	if (!bjdm_simple(DM_DEVICE_RESUME, pl->name))
		return mv_dm_err(pl->m, "%s: cannot resume it with its %s table",
			       pl->name, blkjob_mapping_str(*out));
	mv_kill_point("retire-resume");
	return 0;
}

/* The helper holds the table pl->name has now. */
static bool helper_matches(const struct plumb *pl)
{
	struct bjdm_table t;
	bool same;

	if (bjdm_get_lines(pl->helper, DM_DEVICE_TABLE, false, &t))
		return false;
	same = bjdm_table_eq(&t, &pl->live);
	bjdm_table_free(&t);
	return same;
}

/* A blkjob table loaded but not live (killed before the resume): drop it. */
static int drop_inactive(struct plumb *pl)
{
	struct bjdm_table t;
	bool ours;

	if (bjdm_get_lines(pl->name, DM_DEVICE_TABLE, true, &t))
		return mv_dm_err(pl->m, "%s: cannot read its inactive table", pl->name);
	/* A pinned device's own one-leg table is not a half-done step. */
	ours = t.n && plumb_our_type(t.seg[0].type) &&
	       strchr(t.seg[0].params, ' ');
	bjdm_table_free(&t);
	if (ours && !bjdm_simple(DM_DEVICE_CLEAR, pl->name))
		return mv_dm_err(pl->m, "%s: cannot clear its inactive table", pl->name);
	return 0;
}

/* Say what the wipe of the old disk erased. */
static void say_wiped(const struct plumb *pl,
		      const struct blkjob_wipe_result *res)
{
	unsigned int i;

	for (i = 0; i < res->n; i++)
		mv_notice(pl->m, BLKJOB_NOTICE_INFO, "%s: the old disk's %s signature erased (offset %" PRIu64 ", %" PRIu64 " bytes%s%s)",
		       pl->name, res->sigs[i].type, res->sigs[i].offset,
		       res->sigs[i].len, res->sigs[i].backup[0] ?
		       "; saved in " : "", res->sigs[i].backup);
}

/*
 * The plumbing is retired. A recorded move that pivoted (the kernel
 * committed that) retires its source: its signatures are wiped, so that
 * nothing finds the stale copy by UUID, and the record says so. One that
 * did not goes back to "source". Failures lose nothing: "pivoted" and
 * "moving" are activated as they should be; they are reported.
 */
static void record_outcome(struct plumb *pl, enum blkjob_mapping out)
{
	struct blkjob_wipe_result res = { 0 };
	struct blkjob_meta_dev rec;
	struct blkjob_ctx *ctx;
	char meta[PATH_MAX], why[512];
	bool own;
	int err;

	if ((out != BLKJOB_MAPPING_ORIGINAL && out != BLKJOB_MAPPING_DESTINATION) ||
	    (!pl->recorded && !pl->has_meta))
		return;
	ctx = mv_ctx(pl->m, &own);
	if (!ctx)
		return;
	if (pl->recorded)
		snprintf(meta, sizeof(meta), "%s", pl->meta);
	err = pl->recorded ? 0 : blkjob_dev_path(pl->meta_dev, meta,
						  sizeof(meta));
	/* The kernel may have changed it since we read it: read it again. */
	if (!err)
		err = blkjob_meta_dev_get(ctx, meta, pl->uuid, &rec);
	if (err)
		snprintf(why, sizeof(why), "cannot read %s's record: %s",
			 pl->name, strerror(-err));
	else if (out == BLKJOB_MAPPING_ORIGINAL)
		err = blkjob_record_back(ctx, meta, &rec, why, sizeof(why));
	else
		err = blkjob_record_retire(ctx, meta, &rec, pl->wipe_backup,
					   &res, why, sizeof(why));
	say_wiped(pl, &res);
	blkjob_wipe_result_free(&res);
	if (err && out == BLKJOB_MAPPING_ORIGINAL)
		mv_notice(pl->m, BLKJOB_NOTICE_WARNING, "%s (activation still maps %s onto its source).",
			why, pl->name);
	else if (err)
		mv_notice(pl->m, BLKJOB_NOTICE_WARNING, "%s; the old disk may still be found by its UUID (activation maps %s onto the new one).",
			why, pl->name);
	else if (out == BLKJOB_MAPPING_DESTINATION && rec.state == BLKJOB_META_STATE_RETIRED)
		mv_notice(pl->m, BLKJOB_NOTICE_INFO, "%s: the old disk is retired (recorded on %s)",
		       pl->name, meta);
	if (own)
		blkjob_close(ctx);
}

/*
 * Our device beneath dm holders: they go onto the destination when the
 * target pivoted, else back onto the source, keeping their targets.
 */
static int lift_holders(struct plumb *pl, enum blkjob_mapping *out)
{
	dev_t self = makedev(pl->info.major, pl->info.minor);
	bool pivoted;
	char why[512];
	int n;

	if (!pl->blkjob)
		return mv_err(pl->m, "%s holds %s but has no blkjob table; reload them onto their device by hand",
			       pl->name, pl->holders.names[0]);
	pivoted = !strcmp(pl->leg, "destination");
	n = blkjob_holders_swap(self, pivoted ? pl->dst_dev : pl->src_dev,
				why, sizeof(why));
	if (n < 0)
		return mv_err(pl->m, "%s", why);
	*out = pivoted ? BLKJOB_MAPPING_DESTINATION : BLKJOB_MAPPING_ORIGINAL;
	mv_kill_point("lift");
	return 0;
}

/*
 * LVM's devices file, if in use, follows a PV onto @new (added before the
 * old disk is wiped) and off @old (after). Failures are reported.
 */
static void lvm_devices(struct plumb *pl, bool add, const char *path)
{
	char why[512];
	int r;

	r = add ? blkjob_lvm_devices_add(path, why, sizeof(why)) :
	      blkjob_lvm_devices_del(path, why, sizeof(why));
	if (r > 0)
		mv_notice(pl->m, BLKJOB_NOTICE_INFO, "%s: %s LVM's devices file", path,
		       add ? "added to" : "dropped from");
	else if (r < 0)
		mv_notice(pl->m, BLKJOB_NOTICE_WARNING, "%s; check LVM's devices file (lvmdevices) lists the PV's new disk and not its old one.",
			why);
}

/* libblkid finds an LVM label on @path. */
static bool is_pv(const char *path)
{
	struct blkjob_wipe_result res = { 0 };
	unsigned int i;
	bool pv = false;

	if (blkjob_wipe(path, NULL, BLKJOB_WIPE_DRY_RUN, &res))
		return false;
	for (i = 0; i < res.n; i++)
		pv |= !strcmp(res.sigs[i].type, "LVM2_member");
	blkjob_wipe_result_free(&res);
	return pv;
}

/* The old disk about to be wiped is a PV: list the destination first. */
static void lvm_devices_follow(struct plumb *pl, const char *old)
{
	char dst[PATH_MAX];

	if (is_pv(old) && !blkjob_dev_path(pl->dst_dev, dst, sizeof(dst)))
		lvm_devices(pl, true, dst);
}

/*
 * A move beneath ended: one of its two disks holds a copy nobody uses any
 * more, with the same LVM label, LUKS header or filesystem UUID as the
 * live one. LVM refuses to work on a VG with duplicate PVs, and lookups by
 * UUID may pick either, so that copy's signatures are wiped: the old disk
 * after a pivot (@what "old disk"), the destination after a move that did
 * not pivot ("destination"; its partial copy was scratch). A failure loses
 * nothing and is reported.
 */
static void wipe_copy(struct plumb *pl, dev_t dev, const char *what)
{
	struct blkjob_wipe_result res = { 0 };
	struct blkjob_holders h;
	char path[PATH_MAX], why[256];
	unsigned int i;
	int err;

	/* Reloaded onto it behind our back: it is someone's data again. */
	err = blkjob_holders_get(dev, &h, why, sizeof(why));
	if (!err && h.n) {
		mv_notice(pl->m, BLKJOB_NOTICE_WARNING, "%s holds the %s %u:%u; not wiping it.",
			h.names[0], what, major(dev), minor(dev));
		blkjob_holders_free(&h);
		return;
	}
	if (!err)
		err = blkjob_dev_path(dev, path, sizeof(path));
	if (!err && dev == pl->src_dev)
		lvm_devices_follow(pl, path);
	if (!err)
		err = blkjob_wipe(path, pl->wipe_backup, 0, &res);
	for (i = 0; i < res.n; i++) {
		mv_notice(pl->m, BLKJOB_NOTICE_INFO, "%s: the %s's %s signature erased (offset %" PRIu64 ", %" PRIu64 " bytes%s%s)",
		       path, what, res.sigs[i].type, res.sigs[i].offset,
		       res.sigs[i].len, res.sigs[i].backup[0] ?
		       "; saved in " : "", res.sigs[i].backup);
		if (!strcmp(res.sigs[i].type, "LVM2_member") &&
		    dev == pl->src_dev)
			lvm_devices(pl, false, path);
	}
	blkjob_wipe_result_free(&res);
	if (err)
		mv_notice(pl->m, BLKJOB_NOTICE_WARNING, "cannot wipe the %s %u:%u: %s; it may still be found by its UUID.",
			what, major(dev), minor(dev), strerror(-err));
}

/*
 * 'restore force' of a pending mirror: a table reload would put NAME on a
 * leg chosen from a status line that may be stale by then (the source can
 * go stale at any moment), so cancel the job instead: it goes back to the
 * source if the source is complete, else stays on the destination, and
 * the leg it leaves decides the retired table. @force: any other job on
 * a pinned device, whose table the kernel does not let go with a job
 * attached.
 */
static int cancel_job(struct plumb *pl, bool force)
{
	struct blkjob_ctx *ctx;
	bool own;
	int err;

	ctx = mv_ctx(pl->m, &own);
	if (!ctx)
		return mv_err(pl->m, "cannot reach the blkjob module: %s",
			       strerror(errno));
	err = blkjob_job_cancel(ctx, pl->job_id, force);
	if (err && err != -ENOENT) {
		mv_err(pl->m, "cannot cancel job '%s': %s", pl->job_id,
			blkjob_errmsg(ctx)[0] ? blkjob_errmsg(ctx) :
			strerror(-err));
		if (own)
			blkjob_close(ctx);
		return -1;
	}
	if (own)
		blkjob_close(ctx);
	return plumb_follow_job(pl, false);
}

/*
 * Bring pl->name back to a mapping with no blkjob in it, from whatever
 * state the plumbing is in. @force: even with a job still at work (the
 * table reload force-cancels it; a pending mirror is cancelled first).
 */
int plumb_restore(struct plumb *pl, bool force,
			    enum blkjob_mapping *out)
{
	bool touched = false;
	int ret;

	*out = BLKJOB_MAPPING_UNCHANGED;
	if (pl->blkjob && plumb_job_pending(pl) && !force) {
		*out = BLKJOB_MAPPING_BLKJOB;
		return mv_err(pl->m, "job '%s' is pending on %s, which runs on its destination with the source kept in sync; 'blkjobctl finalize %s' keeps the destination, 'blkjobctl cancel %s' goes back (or use 'restore %s force', which cancels)",
			       pl->job_id, pl->name, pl->job_id, pl->job_id,
			       pl->name);
	}
	if (pl->blkjob && plumb_job_pending(pl)) {
		ret = cancel_job(pl, false);
		if (ret)
			return ret;
	}
	if (pl->blkjob && plumb_job_active(pl) && !force) {
		*out = BLKJOB_MAPPING_BLKJOB;
		return mv_err(pl->m, "job '%s' is still %s on %s; wait for it, cancel it, or use 'restore %s force'",
			       pl->job_id, pl->job_status, pl->name,
			       pl->name);
	}
	if (pl->blkjob && pl->pinned && plumb_job_active(pl)) {
		ret = cancel_job(pl, true);
		if (ret)
			return ret;
	}
	if (pl->info.exists && pl->tmp) {
		*out = BLKJOB_MAPPING_REMOVED;
		if (pl->holders.n) {
			ret = lift_holders(pl, out);
			if (ret)
				return ret;
		} else if (pl->beneath && pl->blkjob) {
			/* Killed after the lift: the leg still says where. */
			*out = strcmp(pl->leg, "destination") ? BLKJOB_MAPPING_ORIGINAL :
			       BLKJOB_MAPPING_DESTINATION;
		}
		/* Ours from start to end: the device itself goes. */
		if (!bjdm_simple(DM_DEVICE_REMOVE, pl->name))
			return mv_dm_err(pl->m, "%s: cannot remove it", pl->name);
		if (*out == BLKJOB_MAPPING_DESTINATION)
			wipe_copy(pl, pl->src_dev, "old disk");
		else if (*out == BLKJOB_MAPPING_ORIGINAL)
			wipe_copy(pl, pl->dst_dev, "destination");
		return 0;
	}
	if (pl->blkjob) {
		ret = swap_out_target(pl, out);
		if (ret)
			return ret;
		touched = true;
	} else if (pl->info.exists && pl->info.inactive_table) {
		ret = drop_inactive(pl);
		if (ret)
			return ret;
	}
	if (pl->info.exists && !touched && pl->info.suspended) {
		/* Killed inside a suspend: the device must serve again. */
		if (!bjdm_simple(DM_DEVICE_RESUME, pl->name))
			return mv_dm_err(pl->m, "%s: cannot resume it", pl->name);
		touched = true;
	}
	if (pl->hinfo.exists) {
		/* Killed after the last swap: is that the original table? */
		if (*out == BLKJOB_MAPPING_UNCHANGED && !touched)
			*out = helper_matches(pl) ? BLKJOB_MAPPING_ORIGINAL : BLKJOB_MAPPING_CURRENT;
		if (!bjdm_simple(DM_DEVICE_REMOVE, pl->helper))
			return mv_dm_err(pl->m, "%s: cannot remove it", pl->helper);
		touched = true;
	}
	if (touched && *out == BLKJOB_MAPPING_UNCHANGED)
		*out = BLKJOB_MAPPING_ORIGINAL;
	record_outcome(pl, *out);
	return 0;
}

/* Re-read pl and retire it once its job stopped being active. */
int plumb_settle_and_restore(struct plumb *pl, enum blkjob_mapping *out)
{
	char name[DM_NAME_LEN];
	int tries, ret;

	snprintf(name, sizeof(name), "%s", pl->name);
	/* The job's last events come a moment before the target sees it go. */
	for (tries = 0; tries < 100; tries++) {
		ret = plumb_read(pl, name);
		if (ret)
			return ret;
		if (!plumb_job_active(pl))
			break;
		usleep(50000);
	}
	return plumb_restore(pl, false, out);
}

/*
 * Until the attached job has ended (or, with @pending, pends), from the
 * target's status (the job itself may be dismissed before anyone can ask
 * it).
 */
int plumb_follow_job(struct plumb *pl, bool pending)
{
	char name[DM_NAME_LEN];
	int ret = 0;

	snprintf(name, sizeof(name), "%s", pl->name);
	/* What we last read may predate the job: read the status afresh. */
	ret = plumb_read(pl, name);
	while (!ret && plumb_job_active(pl) && !(pending && plumb_job_pending(pl))) {
		if (pl->m->stop && *pl->m->stop)
			return mv_err(pl->m, "interrupted; job '%s' goes on",
				       pl->job_id);
		usleep(100000);
		ret = plumb_read(pl, name);
	}
	return ret;
}
