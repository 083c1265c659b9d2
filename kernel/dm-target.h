/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The blkjob device-mapper target, as seen by the live job types (mirror,
 * backup) that attach to one of its instances. See dm-target.c and
 * Documentation/blkjob/dm-target.md.
 */
#ifndef _BLKJOB_DM_TARGET_H
#define _BLKJOB_DM_TARGET_H

#include <linux/blk_types.h>
#include <linux/list.h>
#include <linux/types.h>

struct bio;
struct blkjob;
struct blkjob_dm;
struct blkjob_params;
struct netlink_ext_ack;

/* What a bio was to the attached job, for its completion. */
enum blkjob_dm_kind {
	BLKJOB_DM_OTHER,	/* read, flush: nothing to track */
	BLKJOB_DM_WRITE,	/* changes the source only */
	BLKJOB_DM_ACTIVE,	/* a write also cloned to the destination */
	BLKJOB_DM_SOURCE,	/* pivoted: a write cloned to, or a flush of, the source */
};

/**
 * struct blkjob_dm_io - the target's per-bio data
 * @hooks: the job's hooks that mapped this bio, NULL when none did
 * @priv: their job's state
 * @node: for the job (mirror: its list of active writes)
 * @sector: first sector (the bio's iterator has moved on at completion)
 * @sectors: length in sectors
 * @kind: &enum blkjob_dm_kind, set by the job's map hook
 * @clone_status: how the clone to the other leg (blkjob_dm_clone_write())
 *	ended, BLK_STS_OK when there was none
 */
struct blkjob_dm_io {
	const struct blkjob_dm_hooks *hooks;
	void *priv;
	struct list_head node;
	sector_t sector;
	unsigned int sectors;
	u8 kind;
	blk_status_t clone_status;
};

/**
 * struct blkjob_dm_hooks - how an attached job sees the device's bios
 * @map: route a bio (blkjob_dm_remap(), blkjob_dm_clone_write()) and
 *	return DM_MAPIO_REMAPPED, or keep it and return DM_MAPIO_SUBMITTED
 *	(then resubmit it with blkjob_dm_submit()). Process context, may
 *	sleep in GFP_NOIO allocations only; never waits for other bios.
 * @end_io: the bio completed with *@status; any context. The hook may
 *	clear *@status: a failure of a leg that does not serve the device
 *	(a flush of the source kept in sync after a pivot) is the job's
 *	business, not the device's.
 *
 * Both run without the target's locks. The job's state stays valid until
 * every bio its @map saw has gone through @end_io: blkjob_dm_detach()
 * waits for that.
 */
struct blkjob_dm_hooks {
	int (*map)(void *priv, struct blkjob_dm_io *io, struct bio *bio);
	void (*end_io)(void *priv, struct blkjob_dm_io *io,
		       blk_status_t *status);
};

struct blkjob_dm *blkjob_dm_attach(struct blkjob *job,
				   const struct blkjob_params *p,
				   struct netlink_ext_ack *extack);
void blkjob_dm_set_hooks(struct blkjob_dm *dm,
			 const struct blkjob_dm_hooks *hooks, void *priv);
void blkjob_dm_detach(struct blkjob_dm *dm, bool pivot);
void blkjob_dm_pivot_synced(struct blkjob_dm *dm);
void blkjob_dm_desync(struct blkjob_dm *dm);
int blkjob_dm_record_pivot(struct blkjob_dm *dm);
bool blkjob_dm_src_shared(struct blkjob_dm *dm);
int blkjob_dm_record_unpivot(struct blkjob_dm *dm);
struct block_device *blkjob_dm_bdev(struct blkjob_dm *dm, bool dest);
u64 blkjob_dm_bytes(struct blkjob_dm *dm);
u64 blkjob_dm_hold_bytes(struct blkjob_dm *dm);
void blkjob_dm_hold(struct blkjob_dm *dm);
void blkjob_dm_unhold(struct blkjob_dm *dm);
void blkjob_dm_event(struct blkjob_dm *dm);
void blkjob_dm_remap(struct blkjob_dm *dm, struct bio *bio, bool dest);
void blkjob_dm_clone_write(struct blkjob_dm *dm, struct bio *bio, bool dest);
void blkjob_dm_submit(struct bio *bio);
bool blkjob_dm_flush_to_dest(struct bio *bio);

int blkjob_dm_init(void);
void blkjob_dm_exit(void);

#endif /* _BLKJOB_DM_TARGET_H */
