// SPDX-License-Identifier: GPL-2.0
/*
 * The backup job: a point-in-time copy of a live device, reached through a
 * blkjob dm target instance, onto the instance's destination leg.
 *
 * Copy-before-write: a write through the target to a granule not yet
 * copied is parked; a worker reads the granule's old data from the source,
 * writes it to the destination, marks the granule copied, and only then
 * lets the write go to the source. Meanwhile the kthread copies every other
 * granule in the background under the rate limit. A granule is copied by
 * one of them at a time (@busy), and only once (@copied), so the
 * destination ends equal to the source as it was when the job attached.
 *
 * The copy-before-write worker is not the kthread, so that parked writes
 * move on while the job is paused (by the user or by a dm suspend, which
 * waits for them). It copies one granule at a time, synchronously, into a
 * buffer of its own. If it fails, the job fails (it is no longer a point
 * in time) and writes go straight to the source: a backup never fails the
 * device's own writes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "blkjob.h"
#include "chunk.h"
#include "dm-target.h"

/**
 * struct backup - the backup job's state
 * @job: the job
 * @dm: the target instance, until detached
 * @src: the source leg
 * @dst: the destination leg
 * @len: bytes to copy (the mapped length)
 * @shift: log2 of the granularity
 * @nbits: granules
 * @pool: the background copy buffers
 * @wq: runs @cbw
 * @cbw: the copy-before-write worker
 * @cbw_pages: its buffer, one granule
 * @busy_wq: the worker waits here for a background copy of a granule
 * @lock: protects @copied, @nr_copied, @busy, @held, @stopping,
 *	@cbw_error, @cbw_pos; taken from map (any context)
 * @copied: granules on the destination
 * @nr_copied: bits set in @copied
 * @busy: granules being copied
 * @held: writes waiting for their granules to be copied
 * @stopping: no more copy-before-write: writes go straight through
 * @cbw_error: the worker's first error
 * @cbw_pos: where it happened
 * @kick: the worker copied something; lockless
 * @cursor: where the copier looks next; kthread only
 * @error: the error that ends the job; kthread only
 */
struct backup {
	struct blkjob *job;
	struct blkjob_dm *dm;
	struct block_device *src;
	struct block_device *dst;
	u64 len;
	unsigned int shift;
	unsigned long nbits;
	struct blkjob_pool pool;
	struct workqueue_struct *wq;
	struct work_struct cbw;
	struct page **cbw_pages;
	wait_queue_head_t busy_wq;

	spinlock_t lock;
	unsigned long *copied;
	unsigned long nr_copied;
	unsigned long *busy;
	struct bio_list held;
	bool stopping;
	int cbw_error;
	u64 cbw_pos;

	bool kick;
	unsigned long cursor;
	int error;
};

static u32 backup_granule_len(struct backup *b, unsigned long g)
{
	return min_t(u64, 1ULL << b->shift, b->len - ((u64)g << b->shift));
}

static int backup_map(void *priv, struct blkjob_dm_io *io, struct bio *bio)
{
	struct backup *b = priv;
	unsigned long first, last, flags;
	bool hold;

	blkjob_dm_remap(b->dm, bio, false);
	if (!io->sectors || !op_is_write(bio_op(bio)))
		return DM_MAPIO_REMAPPED;
	io->kind = BLKJOB_DM_WRITE;
	blkjob_granules(b->len, b->shift, io->sector, io->sectors, &first,
			&last);
	spin_lock_irqsave(&b->lock, flags);
	hold = !b->stopping &&
	       find_next_zero_bit(b->copied, last + 1, first) <= last;
	if (hold)
		bio_list_add(&b->held, bio);
	spin_unlock_irqrestore(&b->lock, flags);
	if (!hold)
		return DM_MAPIO_REMAPPED;
	queue_work(b->wq, &b->cbw);
	return DM_MAPIO_SUBMITTED;
}

static void backup_end_io(void *priv, struct blkjob_dm_io *io,
			  blk_status_t *status)
{
}

static const struct blkjob_dm_hooks backup_hooks = {
	.map	= backup_map,
	.end_io	= backup_end_io,
};

/* A granule is on the destination (or given up on, with @ok false). */
static void backup_done(struct backup *b, unsigned long g, bool ok)
{
	spin_lock_irq(&b->lock);
	__clear_bit(g, b->busy);
	if (ok) {
		__set_bit(g, b->copied);
		b->nr_copied++;
	}
	spin_unlock_irq(&b->lock);
	wake_up(&b->busy_wq);
	if (ok)
		blkjob_progress(b->job, backup_granule_len(b, g));
}

/* Copy granule @g before a write; false once copy-before-write is over. */
static bool backup_cbw_granule(struct backup *b, unsigned long g)
{
	u64 pos = (u64)g << b->shift;
	u32 len = backup_granule_len(b, g);
	int err;

	for (;;) {
		spin_lock_irq(&b->lock);
		if (b->stopping || test_bit(g, b->copied)) {
			spin_unlock_irq(&b->lock);
			return !b->stopping;
		}
		if (!test_bit(g, b->busy))
			break;
		spin_unlock_irq(&b->lock);
		/* The kthread is copying it: its completion wakes us. */
		wait_event(b->busy_wq, !test_bit(g, b->busy) ||
				       READ_ONCE(b->stopping));
	}
	__set_bit(g, b->busy);
	spin_unlock_irq(&b->lock);

	err = blkjob_rw_sync(b->src, b->cbw_pages, pos, len, REQ_OP_READ);
	if (!err)
		err = blkjob_rw_sync(b->dst, b->cbw_pages, pos, len,
				     REQ_OP_WRITE);
	if (err) {
		spin_lock_irq(&b->lock);
		if (!b->cbw_error) {
			b->cbw_error = err;
			b->cbw_pos = pos;
		}
		b->stopping = true;
		spin_unlock_irq(&b->lock);
	}
	backup_done(b, g, !err);
	WRITE_ONCE(b->kick, true);
	wake_up(&b->job->wq);
	return !err;
}

/* The worker: copy each parked write's granules, then send it on. */
static void backup_cbw_work(struct work_struct *work)
{
	struct backup *b = container_of(work, struct backup, cbw);
	unsigned long first, last, g;
	struct bio *bio;

	for (;;) {
		spin_lock_irq(&b->lock);
		bio = bio_list_pop(&b->held);
		spin_unlock_irq(&b->lock);
		if (!bio)
			return;
		/* Remapped but not submitted: the iterator is the request. */
		blkjob_granules(b->len, b->shift, bio->bi_iter.bi_sector,
				bio_sectors(bio), &first, &last);
		for (g = first; g <= last; g++)
			if (!backup_cbw_granule(b, g))
				break;
		blkjob_dm_submit(bio);
	}
}

static bool backup_stopping(struct backup *b)
{
	return b->error || blkjob_is_cancelled(b->job);
}

static bool backup_event(struct blkjob *job)
{
	struct backup *b = job->priv;

	return blkjob_pool_has_done(&b->pool) || READ_ONCE(b->kick);
}

static void backup_wait_io(struct backup *b)
{
	wait_event_interruptible_timeout(b->job->wq,
					 blkjob_pool_has_done(&b->pool), HZ);
}

/* A granule neither copied nor being copied, from the cursor on. */
static unsigned long backup_pick(struct backup *b)
{
	unsigned long g;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		g = find_next_zero_bit(b->copied, b->nbits, b->cursor);
		while (g < b->nbits && test_bit(g, b->busy))
			g = find_next_zero_bit(b->copied, b->nbits, g + 1);
		if (g < b->nbits)
			return g;
		b->cursor = 0;
	}
	return b->nbits;
}

static u32 backup_start(struct backup *b)
{
	struct blkjob_chunk *ch;
	unsigned long g;

	ch = blkjob_chunk_get(&b->pool);
	if (!ch)
		return 0;
	spin_lock_irq(&b->lock);
	g = backup_pick(b);
	if (g < b->nbits)
		__set_bit(g, b->busy);
	spin_unlock_irq(&b->lock);
	if (g >= b->nbits) {
		blkjob_chunk_put(ch);
		return 0;
	}
	b->cursor = g + 1;
	ch->index = g;
	ch->pos = (u64)g << b->shift;
	ch->len = backup_granule_len(b, g);
	blkjob_chunk_submit(ch, b->src, false);
	return ch->len;
}

static void backup_failed(struct backup *b, struct blkjob_chunk *ch)
{
	enum blkjob_io_operation op = ch->writing ? BLKJOB_IO_OPERATION_WRITE :
						    BLKJOB_IO_OPERATION_READ;

	switch (blkjob_error_action(b->job, op, ch->error)) {
	case BLKJOB_ERROR_ACTION_IGNORE:
		backup_done(b, ch->index, true);
		return;
	case BLKJOB_ERROR_ACTION_STOP:
		/* The job pauses; the granule is copied again after. */
		break;
	default:
		if (!b->error) {
			b->error = ch->error;
			blkjob_set_error(b->job, "%s error at offset %llu: %d",
					 ch->writing ? "write" : "read",
					 ch->pos, ch->error);
		}
		break;
	}
	backup_done(b, ch->index, false);
}

static void backup_reap(struct backup *b)
{
	struct blkjob_chunk *ch, *tmp;
	LIST_HEAD(done);

	blkjob_pool_reap(&b->pool, &done);
	list_for_each_entry_safe(ch, tmp, &done, list) {
		list_del(&ch->list);
		if (ch->error)
			backup_failed(b, ch);
		else if (!ch->writing && !backup_stopping(b)) {
			blkjob_chunk_submit(ch, b->dst, true);
			continue;
		} else {
			backup_done(b, ch->index, ch->writing);
		}
		blkjob_chunk_put(ch);
	}
	if (!b->error && READ_ONCE(b->cbw_error)) {
		b->error = b->cbw_error;
		blkjob_set_error(b->job,
				 "copy-before-write error at offset %llu: %d",
				 b->cbw_pos, b->cbw_error);
	}
}

/* End copy-before-write, release parked writes, let go of the target. */
static void backup_detach(struct backup *b)
{
	spin_lock_irq(&b->lock);
	b->stopping = true;
	spin_unlock_irq(&b->lock);
	wake_up(&b->busy_wq);
	flush_work(&b->cbw);
	blkjob_dm_detach(b->dm, false);
	b->dm = NULL;
}

static int backup_run(struct blkjob *job)
{
	struct backup *b = job->priv;
	u64 deadline = 0;
	int ret = 0;
	u32 n;

	for (;;) {
		WRITE_ONCE(b->kick, false);
		backup_reap(b);
		if (backup_stopping(b) || blkjob_pause_requested(job)) {
			if (b->pool.in_flight) {
				backup_wait_io(b);
				continue;
			}
			if (backup_stopping(b))
				break;
			blkjob_pause_point(job);
			continue;
		}
		if (deadline) {
			blkjob_wait(job, &deadline, backup_event);
			continue;
		}
		n = backup_start(b);
		if (n) {
			deadline = blkjob_ratelimit(job, n);
			continue;
		}
		if (!b->pool.in_flight && READ_ONCE(b->nr_copied) == b->nbits)
			break;
		blkjob_wait(job, &deadline, backup_event);
	}

	if (b->error)
		ret = b->error;
	else
		ret = blkjob_flush(job, b->dst);
	backup_detach(b);
	return ret;
}

static void backup_free_state(struct backup *b)
{
	unsigned int i;

	if (b->wq)
		destroy_workqueue(b->wq);
	if (b->cbw_pages)
		for (i = 0; i < b->pool.pages_per_chunk; i++)
			if (b->cbw_pages[i])
				__free_page(b->cbw_pages[i]);
	kvfree(b->cbw_pages);
	blkjob_pool_destroy(&b->pool);
	kvfree(b->copied);
	kvfree(b->busy);
	kfree(b);
}

static int backup_alloc(struct backup *b, unsigned int nr_chunks,
			struct netlink_ext_ack *extack)
{
	u32 gran = b->job->granularity;
	size_t longs;
	unsigned int i;

	b->nbits = DIV_ROUND_UP_ULL(b->len, gran);
	longs = BITS_TO_LONGS(b->nbits);
	b->copied = kvcalloc(longs, sizeof(long), GFP_KERNEL);
	b->busy = kvcalloc(longs, sizeof(long), GFP_KERNEL);
	if (!b->copied || !b->busy ||
	    blkjob_pool_init(&b->pool, b->job, gran, nr_chunks))
		goto nomem;
	b->cbw_pages = kvcalloc(b->pool.pages_per_chunk,
				sizeof(*b->cbw_pages), GFP_KERNEL);
	if (!b->cbw_pages)
		goto nomem;
	for (i = 0; i < b->pool.pages_per_chunk; i++) {
		b->cbw_pages[i] = alloc_page(GFP_KERNEL);
		if (!b->cbw_pages[i])
			goto nomem;
	}
	/* Reclaim may wait for the writes it parks. */
	b->wq = alloc_workqueue("blkjob-cbw", WQ_MEM_RECLAIM, 1);
	if (!b->wq)
		goto nomem;
	return 0;

nomem:
	blkjob_errmsg(extack, NULL,
		      "cannot allocate %llu bytes of buffers and a %zu-byte bitmap",
		      b->job->buf_size, 2 * longs * sizeof(long));
	return -ENOMEM;
}

static int backup_create(struct blkjob *job, const struct blkjob_params *p,
			 struct netlink_ext_ack *extack)
{
	unsigned int nr_chunks;
	struct backup *b;
	int err;

	if (p->sync != BLKJOB_SYNC_MODE_FULL) {
		blkjob_errmsg(extack, NULL, "backup takes sync full only");
		return -EINVAL;
	}
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->job = job;
	spin_lock_init(&b->lock);
	bio_list_init(&b->held);
	init_waitqueue_head(&b->busy_wq);
	INIT_WORK(&b->cbw, backup_cbw_work);

	b->dm = blkjob_dm_attach(job, p, extack);
	if (IS_ERR(b->dm)) {
		err = PTR_ERR(b->dm);
		goto free;
	}
	b->src = blkjob_dm_bdev(b->dm, false);
	b->dst = blkjob_dm_bdev(b->dm, true);
	b->len = blkjob_dm_bytes(b->dm);
	err = blkjob_chunk_sizing(job, p, b->src, b->dst,
				  BLKJOB_DEFAULT_GRANULARITY, &nr_chunks, extack);
	if (err)
		goto detach;
	b->shift = ilog2(job->granularity);
	err = backup_alloc(b, nr_chunks, extack);
	if (err)
		goto detach;

	blkjob_set_len(job, b->len);
	job->priv = b;
	/* The point in time: from here on writes copy before they write. */
	blkjob_dm_set_hooks(b->dm, &backup_hooks, b);
	return 0;

detach:
	blkjob_dm_detach(b->dm, false);
free:
	backup_free_state(b);
	return err;
}

/* Only for a job that never ran: a run detaches before it returns. */
static void backup_release(struct blkjob *job)
{
	struct backup *b = job->priv;

	if (b && b->dm)
		backup_detach(b);
}

static void backup_free(struct blkjob *job)
{
	backup_free_state(job->priv);
	job->priv = NULL;
}

const struct blkjob_driver blkjob_backup_driver = {
	.type		= BLKJOB_JOB_TYPE_BACKUP,
	.name		= "backup",
	.create		= backup_create,
	.run		= backup_run,
	.release	= backup_release,
	.free		= backup_free,
};
