// SPDX-License-Identifier: GPL-2.0
/*
 * The "blkjob" device-mapper target: <source_dev> <dest_dev>.
 *
 * device-mapper holds its table's devices exclusively, so a job cannot
 * open a device that sits under a dm table. The target owns both legs
 * instead, and a live job (mirror, backup) attaches to an instance of it:
 * job-new names the dm device as source and the destination leg as target.
 * With no job attached the target behaves like linear onto the source; an
 * attached job sees every bio through its hooks; once a mirror pivots,
 * every bio goes to the destination (and, while a mirror with auto-finalize
 * off is pending, its writes to the source as well, through its hooks).
 *
 * Instances are found by the dev_t of their mapped device. A device may
 * have two tables at once (live and inactive); job-new attaches to the
 * one that has been resumed and not yet destroyed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "blkjob.h"
#include "compat.h"
#include "dm-target.h"
#include "metadata.h"

#define BLKJOB_DM_NAME "blkjob"
#define BLKJOB_DM_PINNED_NAME "blkjob-pinned"

/**
 * struct blkjob_dm - one instance of the target
 * @node: in blkjob_dm_list, under blkjob_dm_mutex
 * @ti: the dm target
 * @src: the source leg
 * @dst: the destination leg
 * @meta_dev: the metadata device, or NULL
 * @meta: its object, whose record of this device a pivot updates
 * @held_front: leading sectors a mirror gives the destination only at
 *	the pivot
 * @devt: the mapped device's dev_t, the registry key
 * @bs: bioset for clones of writes to the destination
 * @wq: detach waits for @users here, dtr for @job
 * @resumed: resumed at least once (it is, or was, the live table);
 *	blkjob_dm_mutex
 * @dying: the destructor runs; blkjob_dm_mutex
 * @paused_job: the job our postsuspend paused; process context only
 *	(dm serialises suspend, resume and dtr)
 * @lock: protects the fields below; taken from bio completions
 * @job: the attached job, until it has fully let go
 * @hooks: the attached job's hooks while it sees bios
 * @priv: their state
 * @pivoted: the destination serves the device: every bio goes there
 * @synced: pivoted, and the attached job keeps the source in sync (a
 *	mirror pending with auto-finalize off); for the status line
 * @suspended: between presuspend and resume
 * @hold: new bios are parked on @held
 * @held: bios parked while @hold
 * @users: bios seen by @hooks whose completion has not run
 */
struct blkjob_dm {
	struct list_head node;
	struct dm_target *ti;
	struct dm_dev *src;
	struct dm_dev *dst;
	struct dm_dev *meta_dev;
	struct blkjob_md *meta;
	sector_t held_front;
	dev_t devt;
	struct bio_set bs;
	wait_queue_head_t wq;
	bool resumed;
	bool dying;
	struct blkjob *paused_job;

	spinlock_t lock;
	struct blkjob *job;
	const struct blkjob_dm_hooks *hooks;
	void *priv;
	bool pivoted;
	bool synced;
	bool suspended;
	bool hold;
	struct bio_list held;
	unsigned int users;
};

/* Live instances; protects their @node, @resumed and @dying. */
static DEFINE_MUTEX(blkjob_dm_mutex);
static LIST_HEAD(blkjob_dm_list);

static struct blkjob_dm_io *blkjob_dm_io(struct bio *bio)
{
	return dm_per_bio_data(bio, sizeof(struct blkjob_dm_io));
}

/**
 * blkjob_dm_remap() - send a bio to one leg
 * @dm: the instance
 * @bio: the bio, as given to the map hook
 * @dest: to the destination (else the source)
 *
 * Context: any.
 */
void blkjob_dm_remap(struct blkjob_dm *dm, struct bio *bio, bool dest)
{
	bio_set_dev(bio, dest ? dm->dst->bdev : dm->src->bdev);
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = dm_target_offset(dm->ti,
						bio->bi_iter.bi_sector);
}

/**
 * blkjob_dm_flush_to_dest() - which leg an empty flush is for
 * @bio: an empty flush given to the map hook
 *
 * The target asks dm for two flush bios: one per leg.
 *
 * Context: any.
 * Return: true for the destination's.
 */
bool blkjob_dm_flush_to_dest(struct bio *bio)
{
	return dm_bio_get_target_bio_nr(bio) == 1;
}

static void blkjob_dm_clone_end_io(struct bio *clone)
{
	struct bio *bio = clone->bi_private;

	if (clone->bi_status)
		blkjob_dm_io(bio)->clone_status = clone->bi_status;
	bio_put(clone);
	/* Drops the count taken by bio_inc_remaining(). */
	bio_endio(bio);
}

/**
 * blkjob_dm_clone_write() - write a bio to the other leg as well
 * @dm: the instance
 * @bio: a write (or discard, write-zeroes) already remapped to one leg
 * @dest: the clone goes to the destination (else the source)
 *
 * The bio completes once both writes have; its status is that of the leg
 * it was remapped to, a failed clone only sets the per-bio @clone_status.
 *
 * Context: the map hook (process); may sleep in a GFP_NOIO allocation.
 */
void blkjob_dm_clone_write(struct blkjob_dm *dm, struct bio *bio, bool dest)
{
	struct bio *clone;

	clone = bio_alloc_clone(dest ? dm->dst->bdev : dm->src->bdev, bio,
				GFP_NOIO, &dm->bs);
	clone->bi_end_io = blkjob_dm_clone_end_io;
	clone->bi_private = bio;
	bio_inc_remaining(bio);
	submit_bio_noacct(clone);
}

/*
 * Route a bio as things stand now. Returns a DM_MAPIO_* value; with
 * DM_MAPIO_SUBMITTED the bio was parked or kept by the job.
 */
static int blkjob_dm_route(struct blkjob_dm *dm, struct bio *bio)
{
	struct blkjob_dm_io *io = blkjob_dm_io(bio);
	const struct blkjob_dm_hooks *hooks;
	unsigned long flags;
	void *priv;

	io->hooks = NULL;
	spin_lock_irqsave(&dm->lock, flags);
	if (dm->hold) {
		bio_list_add(&dm->held, bio);
		spin_unlock_irqrestore(&dm->lock, flags);
		return DM_MAPIO_SUBMITTED;
	}
	hooks = dm->hooks;
	priv = dm->priv;
	if (!hooks) {
		bool dest = dm->pivoted;

		spin_unlock_irqrestore(&dm->lock, flags);
		blkjob_dm_remap(dm, bio, dest);
		return DM_MAPIO_REMAPPED;
	}
	dm->users++;
	spin_unlock_irqrestore(&dm->lock, flags);

	io->hooks = hooks;
	io->priv = priv;
	io->kind = BLKJOB_DM_OTHER;
	io->clone_status = BLK_STS_OK;
	io->sector = bio->bi_iter.bi_sector;
	io->sectors = bio_sectors(bio);
	INIT_LIST_HEAD(&io->node);
	return hooks->map(priv, io, bio);
}

/**
 * blkjob_dm_submit() - send on a bio that was kept (DM_MAPIO_SUBMITTED)
 * @bio: the bio, remapped
 *
 * Context: process.
 */
void blkjob_dm_submit(struct bio *bio)
{
	submit_bio_noacct(bio);
}

/* Route parked bios again, now that things changed. */
static void blkjob_dm_release(struct blkjob_dm *dm, struct bio_list *bios)
{
	struct bio *bio;

	while ((bio = bio_list_pop(bios)))
		if (blkjob_dm_route(dm, bio) == DM_MAPIO_REMAPPED)
			submit_bio_noacct(bio);
}

static int blkjob_dm_map(struct dm_target *ti, struct bio *bio)
{
	return blkjob_dm_route(ti->private, bio);
}

static int blkjob_dm_end_io(struct dm_target *ti, struct bio *bio,
			    blk_status_t *error)
{
	struct blkjob_dm_io *io = blkjob_dm_io(bio);
	struct blkjob_dm *dm = ti->private;
	unsigned long flags;

	if (!io->hooks)
		return DM_ENDIO_DONE;
	io->hooks->end_io(io->priv, io, error);
	/* After this the job's state may go away: nothing of it is used. */
	spin_lock_irqsave(&dm->lock, flags);
	if (!--dm->users)
		wake_up(&dm->wq);
	spin_unlock_irqrestore(&dm->lock, flags);
	return DM_ENDIO_DONE;
}

/* Wait until the attached job's hooks have seen every completion. */
static void blkjob_dm_wait_users(struct blkjob_dm *dm)
{
	wait_event(dm->wq, !READ_ONCE(dm->users));
}

/**
 * blkjob_dm_hold() - park every new bio, wait for those in flight
 * @dm: the instance
 *
 * Used by a mirror to quiesce the device before its final copy, and
 * before it goes back to its source. Parked bios count as in flight for
 * dm, so a dm suspend waits for them: the caller must go on to
 * blkjob_dm_unhold() or blkjob_dm_detach() without waiting for anything
 * but its own I/O.
 *
 * Context: process (the job's kthread, or its abort hook); sleeps.
 */
void blkjob_dm_hold(struct blkjob_dm *dm)
{
	spin_lock_irq(&dm->lock);
	dm->hold = true;
	spin_unlock_irq(&dm->lock);
	blkjob_dm_wait_users(dm);
}

/**
 * blkjob_dm_unhold() - route the parked bios and the new ones again
 * @dm: the instance
 *
 * Context: the job's kthread.
 */
void blkjob_dm_unhold(struct blkjob_dm *dm)
{
	struct bio_list held;

	spin_lock_irq(&dm->lock);
	dm->hold = false;
	held = dm->held;
	bio_list_init(&dm->held);
	spin_unlock_irq(&dm->lock);
	blkjob_dm_release(dm, &held);
}

/**
 * blkjob_dm_event() - raise a dm event (dmsetup wait)
 * @dm: the instance
 *
 * Context: process.
 */
void blkjob_dm_event(struct blkjob_dm *dm)
{
	dm_table_event(dm->ti->table);
}

/**
 * blkjob_dm_bdev() - one leg's block device, for the job's own I/O
 * @dm: the instance
 * @dest: the destination (else the source)
 *
 * Context: any; valid while attached.
 * Return: the device.
 */
struct block_device *blkjob_dm_bdev(struct blkjob_dm *dm, bool dest)
{
	return dest ? dm->dst->bdev : dm->src->bdev;
}

/**
 * blkjob_dm_bytes() - the mapped length
 * @dm: the instance
 *
 * Context: any.
 * Return: bytes.
 */
u64 blkjob_dm_bytes(struct blkjob_dm *dm)
{
	return (u64)dm->ti->len << SECTOR_SHIFT;
}

/**
 * blkjob_dm_hold_bytes() - what a mirror keeps off the destination
 * @dm: the instance
 *
 * The table's "hold" (blkjobctl sets it for a move beneath LVM or
 * cryptsetup): the leading bytes where a device's identity lives (LVM
 * label, LUKS headers, superblocks). Until the pivot the destination has
 * none of it, so a power cut during the move leaves no second device that
 * LVM or a UUID lookup could take for the source.
 *
 * Context: any.
 * Return: bytes, at most the mapped length.
 */
u64 blkjob_dm_hold_bytes(struct blkjob_dm *dm)
{
	return (u64)min_t(sector_t, dm->held_front, dm->ti->len) << SECTOR_SHIFT;
}

/* Say what is wrong with a device path given to job-new. */
static int blkjob_dm_lookup(const char *path, dev_t *devt, const char *what,
			    const struct nlattr *attr,
			    struct netlink_ext_ack *extack)
{
	int err = lookup_bdev(path, devt);

	if (err)
		blkjob_errmsg(extack, attr, "%s '%s' is not a block device (%d)",
			      what, path, err);
	return err;
}

/* The instance a job may attach to; blkjob_dm_mutex held. */
static struct blkjob_dm *blkjob_dm_find(dev_t devt)
{
	struct blkjob_dm *dm;

	lockdep_assert_held(&blkjob_dm_mutex);
	list_for_each_entry(dm, &blkjob_dm_list, node)
		if (dm->devt == devt && dm->resumed && !dm->dying)
			return dm;
	return NULL;
}

static int blkjob_dm_check(struct blkjob_dm *dm, const struct blkjob_params *p,
			   dev_t target, struct netlink_ext_ack *extack)
{
	if (!dm->dst) {
		blkjob_errmsg(extack, p->attr_source,
			      "'%s' has one leg and no destination; load a table with one",
			      p->source);
		return -EINVAL;
	}
	if (target != dm->dst->bdev->bd_dev) {
		blkjob_errmsg(extack, p->attr_target,
			      "target '%s' is not the destination leg (%s) of '%s'",
			      p->target, dm->dst->name, p->source);
		return -EINVAL;
	}
	if (dm->job) {
		blkjob_errmsg(extack, p->attr_source,
			      "'%s' already has job '%s'", p->source,
			      dm->job->id);
		return -EBUSY;
	}
	if (dm->pivoted) {
		blkjob_errmsg(extack, p->attr_source,
			      "'%s' has pivoted to its destination; reload its table",
			      p->source);
		return -EINVAL;
	}
	if (dm->suspended) {
		blkjob_errmsg(extack, p->attr_source, "'%s' is suspended",
			      p->source);
		return -EBUSY;
	}
	if (!(dm_table_get_mode(dm->ti->table) & BLKJOB_MODE_WRITE)) {
		blkjob_errmsg(extack, p->attr_source, "'%s' is read-only",
			      p->source);
		return -EACCES;
	}
	return 0;
}

/**
 * blkjob_dm_attach() - reserve the instance behind p->source for a job
 * @job: the job
 * @p: job-new's parameters: source the dm device, target its destination
 * @extack: for the error message
 *
 * The source is looked up by device number, not opened: device-mapper
 * holds it. The job sees no bio until blkjob_dm_set_hooks(); the
 * instance stays until the job has detached.
 *
 * Context: process; sleeps.
 * Return: the instance, or an ERR_PTR: -ENODEV (not a blkjob dm device),
 * -EINVAL (target not the destination leg), -EBUSY (a job is attached).
 */
struct blkjob_dm *blkjob_dm_attach(struct blkjob *job,
				   const struct blkjob_params *p,
				   struct netlink_ext_ack *extack)
{
	dev_t source, target;
	struct blkjob_dm *dm;
	int err;

	err = blkjob_dm_lookup(p->source, &source, "source", p->attr_source,
			       extack);
	if (!err)
		err = blkjob_dm_lookup(p->target, &target, "target",
				       p->attr_target, extack);
	if (err)
		return ERR_PTR(err);

	mutex_lock(&blkjob_dm_mutex);
	dm = blkjob_dm_find(source);
	if (!dm) {
		blkjob_errmsg(extack, p->attr_source,
			      "source '%s' is not a device-mapper device with a '%s' target",
			      p->source, BLKJOB_DM_NAME);
		err = -ENODEV;
		goto unlock;
	}
	spin_lock_irq(&dm->lock);
	err = blkjob_dm_check(dm, p, target, extack);
	if (!err)
		dm->job = job;
	spin_unlock_irq(&dm->lock);
unlock:
	mutex_unlock(&blkjob_dm_mutex);
	if (err)
		return ERR_PTR(err);
	blkjob_dm_event(dm);
	return dm;
}

/**
 * blkjob_dm_set_hooks() - start showing the device's bios to the job
 * @dm: the instance, attached
 * @hooks: the job's hooks
 * @priv: the job's state, given to @hooks
 *
 * Context: process.
 */
void blkjob_dm_set_hooks(struct blkjob_dm *dm,
			 const struct blkjob_dm_hooks *hooks, void *priv)
{
	spin_lock_irq(&dm->lock);
	dm->priv = priv;
	dm->hooks = hooks;
	spin_unlock_irq(&dm->lock);
}

/**
 * blkjob_dm_detach() - let go of the instance
 * @dm: the instance
 * @pivot: from now on every bio goes to the destination (else the source)
 *
 * Parked bios are routed again (to the destination after a pivot, else to
 * the source); then wait until the hooks have seen the last completion.
 * The job must not use @dm afterwards. Only a job that pivoted with
 * blkjob_dm_pivot_synced() may detach with @pivot false after a pivot,
 * and only with every bio held: it goes back to the source.
 *
 * Context: process; sleeps.
 */
void blkjob_dm_detach(struct blkjob_dm *dm, bool pivot)
{
	struct bio_list held;

	spin_lock_irq(&dm->lock);
	dm->hooks = NULL;
	dm->priv = NULL;
	dm->pivoted = pivot;
	dm->synced = false;
	dm->hold = false;
	held = dm->held;
	bio_list_init(&dm->held);
	spin_unlock_irq(&dm->lock);
	blkjob_dm_release(dm, &held);
	blkjob_dm_wait_users(dm);
	blkjob_dm_event(dm);

	/* Wake under the lock: dtr frees @dm once it has seen the change. */
	spin_lock_irq(&dm->lock);
	dm->job = NULL;
	wake_up(&dm->wq);
	spin_unlock_irq(&dm->lock);
}

/**
 * blkjob_dm_pivot_synced() - pivot, the job staying attached
 * @dm: the instance, attached, every bio held (blkjob_dm_hold())
 *
 * The destination serves the device from now on, as after a pivot, but
 * the job's hooks keep seeing every bio: a mirror with auto-finalize off
 * sends its writes to the source too, until job-finalize (detach, pivot
 * kept) or job-cancel (detach without the pivot) decides. The status line
 * says `destination+source` until blkjob_dm_desync() or the detach. The
 * caller releases the held bios with blkjob_dm_unhold().
 *
 * Context: process.
 */
void blkjob_dm_pivot_synced(struct blkjob_dm *dm)
{
	spin_lock_irq(&dm->lock);
	dm->pivoted = true;
	dm->synced = true;
	spin_unlock_irq(&dm->lock);
	blkjob_dm_event(dm);
}

/**
 * blkjob_dm_desync() - the source is no longer kept in sync
 * @dm: the instance, pivoted with blkjob_dm_pivot_synced()
 *
 * Only the status line changes (to `destination`); no dm event is raised
 * here, as dm_table_event() sleeps: the caller raises one from process
 * context.
 *
 * Context: any (the job's end_io hook).
 */
void blkjob_dm_desync(struct blkjob_dm *dm)
{
	unsigned long flags;

	spin_lock_irqsave(&dm->lock, flags);
	dm->synced = false;
	spin_unlock_irqrestore(&dm->lock, flags);
}

/* Two different devices, no overlap (one the whole disk of the other). */
static bool blkjob_dm_overlap(struct block_device *a, struct block_device *b)
{
	if (a == b)
		return true;
	return a->bd_disk == b->bd_disk &&
	       (!bdev_is_partition(a) || !bdev_is_partition(b));
}

static int blkjob_dm_ctr_check(struct dm_target *ti, struct blkjob_dm *dm)
{
	struct block_device *src = dm->src->bdev, *dst;

	if (ti->begin) {
		ti->error = "The blkjob target must start at sector 0";
		return -EINVAL;
	}
	if (ti->len > bdev_nr_sectors(src)) {
		ti->error = "Source is smaller than the target";
		return -EINVAL;
	}
	if (!dm->dst)
		return 0;
	dst = dm->dst->bdev;
	if (blkjob_dm_overlap(src, dst)) {
		ti->error = "Source and destination are the same device";
		return -EINVAL;
	}
	if (ti->len > bdev_nr_sectors(dst)) {
		ti->error = "Destination is smaller than the target";
		return -EINVAL;
	}
	if (bdev_logical_block_size(dst) > bdev_logical_block_size(src)) {
		ti->error = "Destination logical block size exceeds the source's";
		return -EINVAL;
	}
	return 0;
}

/*
 * A move recorded on a metadata device: the device's record (by its dm
 * uuid) must say a move is under way, so that the pivot can say where the
 * device went before any bio goes there alone.
 */
static int blkjob_dm_ctr_meta(struct dm_target *ti, struct blkjob_dm *dm,
			      const char *path)
{
	struct mapped_device *md = dm_table_get_md(ti->table);
	char uuid[DM_UUID_LEN];
	struct blkjob_md_dev rec;
	const char *why;
	int err;

	err = dm_get_device(ti, path, dm_table_get_mode(ti->table),
			    &dm->meta_dev);
	if (err) {
		ti->error = "Cannot get the metadata device";
		return err;
	}
	dm->meta = blkjob_md_get(dm->meta_dev->bdev, &why);
	if (IS_ERR(dm->meta)) {
		/* dm only ever prints ti->error. */
		ti->error = (char *)why;
		err = PTR_ERR(dm->meta);
		dm->meta = NULL;
		goto put;
	}
	err = -EINVAL;
	if (dm_copy_name_and_uuid(md, NULL, uuid) || !uuid[0]) {
		ti->error = "A device recorded on a metadata device needs a dm uuid";
		goto put;
	}
	if (blkjob_md_find(dm->meta, uuid, &rec)) {
		ti->error = "The metadata device has no record of this device";
		goto put;
	}
	if (rec.state != BLKJOB_META_STATE_MOVING) {
		ti->error = "The device's record does not say a move is under way";
		goto put;
	}
	if (rec.sectors != ti->len) {
		ti->error = "The device's record has another size";
		goto put;
	}
	return 0;
put:
	if (dm->meta)
		blkjob_md_put(dm->meta);
	dm->meta = NULL;
	dm_put_device(ti, dm->meta_dev);
	dm->meta_dev = NULL;
	return err;
}

static void blkjob_dm_put_meta(struct dm_target *ti, struct blkjob_dm *dm)
{
	if (!dm->meta)
		return;
	blkjob_md_put(dm->meta);
	dm_put_device(ti, dm->meta_dev);
}

/* Commit @state to the device's record, if the table has one. */
static int blkjob_dm_record(struct blkjob_dm *dm, u32 state)
{
	struct mapped_device *md = dm_table_get_md(dm->ti->table);
	char uuid[DM_UUID_LEN];
	struct blkjob_md_dev rec;
	int err;

	if (!dm->meta)
		return 0;
	err = dm_copy_name_and_uuid(md, NULL, uuid) ?:
	      blkjob_md_find(dm->meta, uuid, &rec);
	if (err)
		return err;
	rec.state = state;
	return blkjob_md_set(dm->meta, &rec);
}

/**
 * blkjob_dm_record_pivot() - make a pivot durable before it happens
 * @dm: the instance, quiesced (every bio held)
 *
 * Context: process; sleeps until the commit is durable.
 * Return: 0 (or no metadata device), or the commit's error: then the
 * instance must not pivot.
 */
int blkjob_dm_record_pivot(struct blkjob_dm *dm)
{
	return blkjob_dm_record(dm, BLKJOB_META_STATE_PIVOTED);
}

/**
 * blkjob_dm_src_shared() - whether another mapped device holds the source
 * @dm: the instance, quiesced (every bio held)
 *
 * A move beneath dm devices (a PV's LVs, a crypt mapping) reloads each of
 * them onto this device. One reloaded since onto the source itself (a
 * 'dmsetup reload', 'lvchange --refresh') writes there alone, and the
 * destination lacks those writes: pivoting would lose them. dm claims a
 * device once per mapped device, so a second claim is such a bypass. A
 * claim counts once in a partition's bd_holders and twice in a whole
 * device's (the claim of the whole and of itself, block/bdev.c).
 *
 * Context: any. A snapshot: a holder that comes after it writes to the
 * source alone, which is why userspace wipes a retired source only when
 * nothing holds it any more.
 * Return: true when the source has another holder.
 */
bool blkjob_dm_src_shared(struct blkjob_dm *dm)
{
	struct block_device *bdev = dm->src->bdev;

	return READ_ONCE(bdev->bd_holders) > (bdev_is_partition(bdev) ? 1 : 2);
}

/**
 * blkjob_dm_record_unpivot() - make a way back to the source durable
 * @dm: the instance, pivoted with blkjob_dm_pivot_synced(), every bio held
 *
 * The record goes back to `moving`, which activation maps onto the source,
 * before any bio goes to the source alone: a reboot after the way back
 * must not find the device on a destination that lacks what came after.
 *
 * Context: process; sleeps until the commit is durable.
 * Return: 0 (or no metadata device), or the commit's error: then the
 * instance must stay on the destination.
 */
int blkjob_dm_record_unpivot(struct blkjob_dm *dm)
{
	return blkjob_dm_record(dm, BLKJOB_META_STATE_MOVING);
}

/*
 * A reload while a job is attached would force-cancel it at the swap:
 * hours of copying thrown away by a 'dmsetup reload'. Refuse it instead;
 * the job goes on (complete or cancel it first). A new table of another
 * type never reaches us: dm gives the live table no say over it. Only the
 * pinned type's DM_TARGET_IMMUTABLE has dm refuse those (dm-target.md).
 */
static int blkjob_dm_ctr_busy(struct dm_target *ti, dev_t devt)
{
	struct blkjob_dm *live;
	bool busy = false;

	mutex_lock(&blkjob_dm_mutex);
	list_for_each_entry(live, &blkjob_dm_list, node) {
		if (live->devt != devt || live->dying)
			continue;
		spin_lock_irq(&live->lock);
		busy |= !!live->job;
		spin_unlock_irq(&live->lock);
	}
	mutex_unlock(&blkjob_dm_mutex);
	if (!busy)
		return 0;
	ti->error = "A job is attached to this device; complete or cancel it first";
	return -EBUSY;
}

#define BLKJOB_DM_USAGE \
	"Expected <source_dev> [<dest_dev> [meta <metadata_dev>] [hold <sectors>]]"

/* The optional "meta" and "hold" arguments, in this order. */
static int blkjob_dm_ctr_opts(struct dm_target *ti, struct blkjob_dm *dm,
			      unsigned int argc, char **argv)
{
	unsigned long long hold;
	unsigned int i = 0;
	int err;

	if (argc % 2) {
		ti->error = BLKJOB_DM_USAGE;
		return -EINVAL;
	}
	if (i < argc && !strcmp(argv[i], "meta")) {
		err = blkjob_dm_ctr_meta(ti, dm, argv[i + 1]);
		if (err)
			return err;
		i += 2;
	}
	if (i < argc && !strcmp(argv[i], "hold")) {
		if (kstrtoull(argv[i + 1], 10, &hold)) {
			ti->error = "Invalid hold (sectors)";
			goto bad;
		}
		dm->held_front = hold;
		i += 2;
	}
	if (i == argc)
		return 0;
	ti->error = BLKJOB_DM_USAGE;
bad:
	blkjob_dm_put_meta(ti, dm);
	return -EINVAL;
}

/*
 * <source_dev> [<dest_dev> [meta <metadata_dev>] [hold <sectors>]]
 *
 * One leg is a pass-through that no job can attach to: what a pinned
 * device maps onto between moves.
 */
static int blkjob_dm_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct mapped_device *md = dm_table_get_md(ti->table);
	struct blkjob_dm *dm;
	int err;

	if (argc < 1) {
		ti->error = BLKJOB_DM_USAGE;
		return -EINVAL;
	}
	dm = kzalloc(sizeof(*dm), GFP_KERNEL);
	if (!dm) {
		ti->error = "Cannot allocate the target";
		return -ENOMEM;
	}
	dm->ti = ti;
	dm->devt = disk_devt(dm_disk(md));
	err = blkjob_dm_ctr_busy(ti, dm->devt);
	if (err)
		goto free;
	spin_lock_init(&dm->lock);
	init_waitqueue_head(&dm->wq);
	bio_list_init(&dm->held);
	INIT_LIST_HEAD(&dm->node);

	err = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table),
			    &dm->src);
	if (err) {
		ti->error = "Cannot get the source device";
		goto free;
	}
	if (argc > 1) {
		err = dm_get_device(ti, argv[1], dm_table_get_mode(ti->table),
				    &dm->dst);
		if (err) {
			ti->error = "Cannot get the destination device";
			goto put_src;
		}
	}
	err = blkjob_dm_ctr_check(ti, dm);
	if (err)
		goto put_dst;
	err = argc > 2 ? blkjob_dm_ctr_opts(ti, dm, argc - 2, argv + 2) : 0;
	if (err)
		goto put_dst;
	err = bioset_init(&dm->bs, BIO_POOL_SIZE, 0, 0);
	if (err) {
		ti->error = "Cannot allocate the bioset";
		goto put_meta;
	}

	/* Flushes: one per leg. Discards and write-zeroes: source only. */
	ti->num_flush_bios = dm->dst ? 2 : 1;
	ti->num_discard_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct blkjob_dm_io);
	ti->private = dm;

	mutex_lock(&blkjob_dm_mutex);
	list_add_tail(&dm->node, &blkjob_dm_list);
	mutex_unlock(&blkjob_dm_mutex);
	return 0;

put_meta:
	blkjob_dm_put_meta(ti, dm);
put_dst:
	if (dm->dst)
		dm_put_device(ti, dm->dst);
put_src:
	dm_put_device(ti, dm->src);
free:
	kfree(dm);
	return err;
}

/* Undo our postsuspend's pause, if any. */
static void blkjob_dm_unpause(struct blkjob_dm *dm)
{
	if (!dm->paused_job)
		return;
	blkjob_resume_internal(dm->paused_job);
	blkjob_put(dm->paused_job);
	dm->paused_job = NULL;
}

/*
 * Table reload or removal: force-cancel an attached job and wait until it
 * has let go (it drains its own I/O to the legs, which stay ours until we
 * return). dm destroys a table only once no bio of it is in flight.
 */
static void blkjob_dm_dtr(struct dm_target *ti)
{
	struct blkjob_dm *dm = ti->private;
	struct blkjob *job;

	mutex_lock(&blkjob_dm_mutex);
	dm->dying = true;
	list_del(&dm->node);
	mutex_unlock(&blkjob_dm_mutex);

	spin_lock_irq(&dm->lock);
	job = dm->job;
	if (job)
		blkjob_get(job);
	spin_unlock_irq(&dm->lock);
	if (job) {
		blkjob_cancel_internal(job);
		wait_event(dm->wq, !READ_ONCE(dm->job));
		/* Pairs with the wake-up under the lock in detach. */
		spin_lock_irq(&dm->lock);
		spin_unlock_irq(&dm->lock);
		blkjob_put(job);
	}
	blkjob_dm_unpause(dm);

	bioset_exit(&dm->bs);
	blkjob_dm_put_meta(ti, dm);
	if (dm->dst)
		dm_put_device(ti, dm->dst);
	dm_put_device(ti, dm->src);
	kfree(dm);
}

static void blkjob_dm_presuspend(struct dm_target *ti)
{
	struct blkjob_dm *dm = ti->private;

	spin_lock_irq(&dm->lock);
	dm->suspended = true;
	spin_unlock_irq(&dm->lock);
}

static void blkjob_dm_presuspend_undo(struct dm_target *ti)
{
	struct blkjob_dm *dm = ti->private;

	spin_lock_irq(&dm->lock);
	dm->suspended = false;
	spin_unlock_irq(&dm->lock);
}

/*
 * dm has drained the device's bios: pause the attached job too (counted
 * with the user's pause), so that nothing moves on the legs until resume.
 * The job stops at its next pause point, once its own I/O has drained.
 */
static void blkjob_dm_postsuspend(struct dm_target *ti)
{
	struct blkjob_dm *dm = ti->private;
	struct blkjob *job;

	if (dm->paused_job)
		return;
	spin_lock_irq(&dm->lock);
	job = dm->job;
	if (job)
		blkjob_get(job);
	spin_unlock_irq(&dm->lock);
	if (!job)
		return;
	blkjob_pause_internal(job);
	dm->paused_job = job;
}

static void blkjob_dm_resume(struct dm_target *ti)
{
	struct blkjob_dm *dm = ti->private;

	blkjob_dm_unpause(dm);
	spin_lock_irq(&dm->lock);
	dm->suspended = false;
	spin_unlock_irq(&dm->lock);
	mutex_lock(&blkjob_dm_mutex);
	dm->resumed = true;
	mutex_unlock(&blkjob_dm_mutex);
}

static void blkjob_dm_status(struct dm_target *ti, status_type_t type,
			     unsigned int status_flags, char *result,
			     unsigned int maxlen)
{
	struct blkjob_dm *dm = ti->private;
	enum blkjob_job_status status = 0;
	u64 offset = 0, len = 0;
	struct blkjob *job;
	unsigned int sz = 0;
	bool pivoted, synced;

	switch (type) {
	case STATUSTYPE_INFO:
		spin_lock_irq(&dm->lock);
		pivoted = dm->pivoted;
		synced = dm->synced;
		job = dm->job;
		if (job)
			blkjob_get(job);
		spin_unlock_irq(&dm->lock);
		if (job) {
			/* A snapshot; job->lock nests in no irq-safe lock. */
			status = READ_ONCE(job->status);
			spin_lock(&job->lock);
			offset = job->offset;
			len = job->len;
			spin_unlock(&job->lock);
		}
		DMEMIT("%s ", !pivoted ? "source" :
			      synced ? "destination+source" : "destination");
		if (job)
			DMEMIT("%s %s %llu/%llu", job->id,
			       blkjob_status_name(status),
			       offset >> SECTOR_SHIFT, len >> SECTOR_SHIFT);
		else
			DMEMIT("- - 0/0");
		if (job)
			blkjob_put(job);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s", dm->src->name);
		if (dm->dst)
			DMEMIT(" %s", dm->dst->name);
		if (dm->meta_dev)
			DMEMIT(" meta %s", dm->meta_dev->name);
		if (dm->held_front)
			DMEMIT(" hold %llu", (unsigned long long)dm->held_front);
		break;
	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

static int blkjob_dm_iterate_devices(struct dm_target *ti,
				     iterate_devices_callout_fn fn, void *data)
{
	struct blkjob_dm *dm = ti->private;
	int ret;

	ret = fn(ti, dm->src, 0, ti->len, data);
	if (!ret && dm->dst)
		ret = fn(ti, dm->dst, 0, ti->len, data);
	return ret;
}

/* What blkjobctl swaps in front of a device for one job, and out again. */
static struct target_type blkjob_dm_target = {
	.name		 = BLKJOB_DM_NAME,
	.version	 = {1, 1, 0},
	.features	 = DM_TARGET_SINGLETON,
	.module		 = THIS_MODULE,
	.ctr		 = blkjob_dm_ctr,
	.dtr		 = blkjob_dm_dtr,
	.map		 = blkjob_dm_map,
	.end_io		 = blkjob_dm_end_io,
	.presuspend	 = blkjob_dm_presuspend,
	.presuspend_undo = blkjob_dm_presuspend_undo,
	.postsuspend	 = blkjob_dm_postsuspend,
	.resume		 = blkjob_dm_resume,
	.status		 = blkjob_dm_status,
	.iterate_devices = blkjob_dm_iterate_devices,
};

/*
 * The same target, for a device that is a blkjob device for life (a
 * wrapped one): while it is live, dm refuses a table of any other type
 * but dm-error, so 'lvchange --refresh' or 'dmsetup reload ... linear'
 * cannot cancel a move by replacing it, and a reload of this type with a
 * job attached is refused by blkjob_dm_ctr_busy(). Filled in from
 * blkjob_dm_target at init.
 */
static struct target_type blkjob_dm_pinned_target;

/**
 * blkjob_dm_init() - register the target type
 *
 * Context: module init.
 * Return: 0 or -errno.
 */
int blkjob_dm_init(void)
{
	int err;

	blkjob_dm_pinned_target = blkjob_dm_target;
	blkjob_dm_pinned_target.name = BLKJOB_DM_PINNED_NAME;
	blkjob_dm_pinned_target.features |= DM_TARGET_IMMUTABLE;
	err = dm_register_target(&blkjob_dm_target);
	if (err)
		return err;
	err = dm_register_target(&blkjob_dm_pinned_target);
	if (err)
		dm_unregister_target(&blkjob_dm_target);
	return err;
}

/**
 * blkjob_dm_exit() - unregister the target type
 *
 * dm holds a module reference per table using the target, so no instance
 * is left here.
 *
 * Context: module exit.
 */
void blkjob_dm_exit(void)
{
	dm_unregister_target(&blkjob_dm_pinned_target);
	dm_unregister_target(&blkjob_dm_target);
}
