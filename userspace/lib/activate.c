// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libblkjob: bring back the devices a metadata device records, as they
 * were committed (Documentation/blkjob/metadata.md): each under its own
 * name and dm uuid, pinned onto the leg its state names, which is
 * found by its stable identity. Idempotent: a device already there with
 * that mapping is left alone. A move cut between its pivot and its retire
 * (a power cut) has the retire finished here.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>

#include "dmtask.h"
#include "libblkjob.h"

static int dev_sectors(const char *path, uint64_t *sectors)
{
	uint64_t bytes;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKGETSIZE64, &bytes))
		err = -errno;
	close(fd);
	*sectors = bytes >> 9;
	return err;
}

static int leg_table(struct bjdm_table *t, const char *dev, uint64_t sectors)
{
	char params[64];
	struct stat st;

	if (stat(dev, &st))
		return -errno;
	memset(t, 0, sizeof(*t));
	snprintf(params, sizeof(params), "%u:%u", major(st.st_rdev),
		 minor(st.st_rdev));
	/* What 'wrap' made it: a blkjob device for life (dm-target.md). */
	return bjdm_table_add(t, 0, sectors, "blkjob-pinned", params);
}

/* The device exists: ours and mapped as recorded, or not ours to touch. */
static void check_existing(struct blkjob_activation *a, const char *uuid,
			   const struct bjdm_table *want)
{
	struct bjdm_table live;

	if (strcmp(uuid, a->rec->dm_uuid)) {
		a->outcome = BLKJOB_ACT_FAILED;
		snprintf(a->msg, sizeof(a->msg),
			 "a device named %.127s exists with another dm uuid (%.128s)",
			 a->rec->name, uuid[0] ? uuid : "none");
		return;
	}
	if (bjdm_get_lines(a->rec->name, DM_DEVICE_TABLE, false, &live)) {
		a->outcome = BLKJOB_ACT_FAILED;
		snprintf(a->msg, sizeof(a->msg), "cannot read its table");
		return;
	}
	if (bjdm_table_eq(&live, want)) {
		a->outcome = BLKJOB_ACT_UNCHANGED;
	} else {
		/* A move at work, or a user's reload: never undo either. */
		a->outcome = BLKJOB_ACT_BUSY;
		snprintf(a->msg, sizeof(a->msg),
			 "exists with another table (%s ...); left as it is",
			 live.n ? live.seg[0].type : "none");
	}
	bjdm_table_free(&live);
}

static void activate_one(struct blkjob_activation *a)
{
	const struct blkjob_meta_dev *rec = a->rec;
	char uuid[DM_UUID_LEN];
	struct bjdm_table want;
	struct dm_info info;
	uint64_t sectors = 0;
	int err;

	a->leg_id = rec->state >= BLKJOB_META_STATE_PIVOTED ? rec->dest_id :
		    rec->source_id;
	a->outcome = BLKJOB_ACT_FAILED;
	err = blkjob_ident_find(a->leg_id, a->leg, sizeof(a->leg));
	if (err) {
		snprintf(a->msg, sizeof(a->msg), "%s: %s", a->leg_id,
			 err == -ENOENT ? "no such device" :
			 err == -EEXIST ? "several devices carry it" :
			 strerror(-err));
		return;
	}
	err = dev_sectors(a->leg, &sectors);
	if (err || sectors < rec->sectors) {
		snprintf(a->msg, sizeof(a->msg),
			 "%.200s is smaller than recorded (%" PRIu64 " < %" PRIu64 " sectors)",
			 a->leg, err ? 0 : sectors, rec->sectors);
		return;
	}
	if (leg_table(&want, a->leg, rec->sectors)) {
		snprintf(a->msg, sizeof(a->msg), "%.200s: %s", a->leg,
			 strerror(errno));
		return;
	}
	if (bjdm_get_info(rec->name, &info, uuid, sizeof(uuid))) {
		snprintf(a->msg, sizeof(a->msg), "cannot query device-mapper");
	} else if (info.exists) {
		check_existing(a, uuid, &want);
	} else if (!bjdm_create_dev(rec->name, rec->dm_uuid, &want, false)) {
		snprintf(a->msg, sizeof(a->msg), "cannot create it");
	} else {
		a->outcome = BLKJOB_ACT_CREATED;
	}
	bjdm_table_free(&want);
}

struct act_state {
	struct blkjob_ctx *ctx;
	const char *meta;
	blkjob_activation_fn fn;
	void *arg;
	unsigned int failed;
	struct blkjob_meta_dev *recs;	/* the dump's records */
	unsigned int n;
};

/*
 * The records are taken in full before any is acted on: finishing a
 * retire commits to the metadata device, which the dump's socket cannot
 * carry while the dump is under way.
 */
static int collect_rec(const struct blkjob_meta_dev *rec, void *arg)
{
	struct act_state *st = arg;
	struct blkjob_meta_dev *r;

	r = realloc(st->recs, (st->n + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	st->recs = r;
	st->recs[st->n++] = *rec;
	return 0;
}

/*
 * A pivoted move whose device now runs on its destination alone (made so
 * here, or found so): the crash came between the pivot and the retire, so
 * the old disk still carries the identity (filesystem UUID, LVM label)
 * of a device that has moved on. Finish the retire: wipe it (libblkid,
 * O_EXCL: a disk anyone holds is left alone) and commit "retired". A
 * device found with another table (a move at work) is never touched.
 */
static void finish_retire(struct act_state *st, struct blkjob_activation *a,
			  struct blkjob_meta_dev *rec)
{
	struct blkjob_wipe_result res;
	char why[256];

	if (rec->state != BLKJOB_META_STATE_PIVOTED ||
	    (a->outcome != BLKJOB_ACT_CREATED &&
	     a->outcome != BLKJOB_ACT_UNCHANGED))
		return;
	if (blkjob_record_retire(st->ctx, st->meta, rec, NULL, &res, why,
				 sizeof(why)))
		snprintf(a->msg, sizeof(a->msg),
			 "the old disk is not retired: %s", why);
	else
		snprintf(a->msg, sizeof(a->msg),
			 "the old disk %.200s retired (%u signature%s erased)",
			 rec->source_id, res.n, res.n == 1 ? "" : "s");
	blkjob_wipe_result_free(&res);
}

static void activate_rec(struct act_state *st, struct blkjob_meta_dev *rec)
{
	struct blkjob_activation a = { .meta = st->meta, .rec = rec };

	activate_one(&a);
	finish_retire(st, &a, rec);
	st->failed += a.outcome == BLKJOB_ACT_FAILED;
	if (st->fn)
		st->fn(&a, st->arg);
}

int blkjob_activate(struct blkjob_ctx *ctx, const char *meta,
		    blkjob_activation_fn fn, void *arg)
{
	struct act_state st = { .ctx = ctx, .meta = meta, .fn = fn, .arg = arg };
	unsigned int i;
	int err;

	err = blkjob_meta_dev_dump(ctx, meta, collect_rec, &st);
	for (i = 0; !err && i < st.n; i++)
		activate_rec(&st, &st.recs[i]);
	free(st.recs);
	if (err)
		return err;
	return st.failed ? -EIO : 0;
}
