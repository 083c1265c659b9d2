// SPDX-License-Identifier: GPL-2.0
/*
 * The mirror job: a live device, reached through a blkjob dm target
 * instance, copied onto the instance's destination leg while it is in use;
 * then, on job-complete, the instance pivots to the destination.
 *
 * A dirty bitmap (one bit per granule) says what the destination lacks:
 * sync=full starts with every bit set, sync=none with none. Writes through
 * the target set bits when they complete; the copier clears a granule's
 * bit before reading it from the source and writes it to the destination.
 *
 * Why a write's bit is set at its completion, not at its start: the
 * copier clears a bit (under @lock) before it submits the read. Take a
 * write W to that granule. If W's completion sets the bit before the
 * copier clears it, W's data was on the source before the read was
 * submitted, so the read sees it. If W's completion sets the bit after the
 * clear, the granule is copied again later, whatever the read saw. Either
 * way the destination ends with W. (Setting the bit at W's start would be
 * wrong: the copier could clear it and read before W reaches the source.)
 * The copier never copies a granule twice at once (it is on @copying): two
 * writes of one granule in flight to the destination could land in either
 * order. A list of at most BLKJOB_MAX_CHUNKS, not a second bitmap: the job
 * then costs one bit per granule.
 *
 * Write-blocking writes go to both legs and set no bit when both succeed.
 * That alone would race with a copy of the same granule: the copy may read
 * the old data before W reaches the source and write it after W reached
 * the destination, and W's completion may come after the copy's, when
 * nothing is busy any more. So every copy that overlaps a write-blocking
 * write in time is tainted, and a tainted copy sets its bit again when it
 * is over: W taints the copies in flight on its granules when it is
 * mapped, a copy is tainted when it starts while such a write is in flight
 * (@active). A copy that neither overlaps is either wholly before W (W
 * overwrites both legs) or wholly after (it reads W's data).
 *
 * Ready: bitmap clean, no copy in flight, destination flushed. After that
 * the job keeps copying what writes dirty. job-complete (and a soft cancel
 * once ready) quiesces the device: new bios are parked by the target,
 * those in flight drain; what is still dirty is copied, the destination is
 * flushed, and the target pivots (complete) or lets go (cancel); parked
 * bios then go to the leg that now serves the device.
 *
 * With auto-finalize off, job-complete pivots but the job keeps the source
 * until job-finalize: the destination serves the device, and every write
 * also goes to the source, synchronously, so that job-cancel in pending
 * can go back to the source with nothing lost (mirror_unpivot()). The
 * hooks stay attached for that and the bitmap is no longer used: both legs
 * get every write. A failed write (or flush) of the source makes it stale;
 * from then on it gets nothing, and a cancel keeps the destination.
 *
 * Held granules (the table's "hold", blkjob_dm_hold_bytes()) are where a
 * device's identity lives. The destination gets none of them before the
 * pivot: the copier skips them, writes to them go to the source alone and
 * dirty them, and ready does not wait for them. job-complete and a soft
 * cancel copy them with the rest while every bio is held, so the
 * destination takes on the identity only once it is a whole copy: at the
 * pivot, or as the point-in-time copy a soft cancel leaves (QEMU's).
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
 * struct mirror - the mirror job's state
 * @job: the job
 * @dm: the target instance, until detached
 * @src: the source leg
 * @dst: the destination leg
 * @len: bytes mirrored (the mapped length)
 * @shift: log2 of the granularity
 * @nbits: granules
 * @pool: the copy buffers
 * @lock: protects @dirty, @nr_dirty, @copying, @active; taken
 *	from bio completions
 * @dirty: granules the destination lacks
 * @nr_dirty: bits set in @dirty
 * @copying: copies in flight (their chunks' @node)
 * @active: write-blocking writes in flight (their per-bio @node)
 * @write_blocking: copy-mode; changed under @lock, read locklessly by map
 * @kick: new dirty bits since the kthread last looked; lockless
 * @complete: job-complete was requested; lockless
 * @reversible: auto-finalize off: job-complete keeps the source in sync
 *	until job-finalize or job-cancel
 * @pivoted: pivoted with the source kept in sync, still attached; set
 *	with every bio held, read locklessly by map
 * @stale: a write or flush of the source failed since (under @lock, read
 *	locklessly by map): the source gets nothing more
 * @stale_err: that failure's error (under @lock)
 * @stale_flush: it was a flush (under @lock)
 * @stale_work: says so on the job and raises a dm event, in process context
 * @nheld: granules the destination gets only at the end
 * @release: finishing (pivot or soft cancel): the copier takes the held
 *	granules too; kthread only
 * @cursor: where the copier looks for dirty granules next; kthread only
 * @ready: the job became ready; kthread only
 * @failures: copies that failed; kthread only
 * @error: the error that ends the job; kthread only
 */
struct mirror {
	struct blkjob *job;
	struct blkjob_dm *dm;
	struct block_device *src;
	struct block_device *dst;
	u64 len;
	unsigned int shift;
	unsigned long nbits;
	struct blkjob_pool pool;

	spinlock_t lock;
	unsigned long *dirty;
	unsigned long nr_dirty;
	struct list_head copying;
	struct list_head active;
	bool write_blocking;

	bool kick;
	bool complete;
	bool reversible;
	bool pivoted;
	bool stale;
	int stale_err;
	bool stale_flush;
	struct work_struct stale_work;

	unsigned long nheld;
	bool release;
	unsigned long cursor;
	bool ready;
	unsigned int failures;
	int error;
};

static void mirror_range(struct mirror *m, struct blkjob_dm_io *io,
			 unsigned long *first, unsigned long *last)
{
	blkjob_granules(m->len, m->shift, io->sector, io->sectors, first,
			last);
}

/* Set dirty bits, @lock held; wakes the kthread when any is new. */
static void mirror_set_dirty(struct mirror *m, unsigned long first,
			     unsigned long last)
{
	unsigned long g, n = 0;

	lockdep_assert_held(&m->lock);
	for (g = first; g <= last; g++)
		if (!__test_and_set_bit(g, m->dirty))
			n++;
	if (!n)
		return;
	m->nr_dirty += n;
	WRITE_ONCE(m->kick, true);
	wake_up(&m->job->wq);
}

/* The write reaches a held granule. */
static bool mirror_held(struct mirror *m, struct blkjob_dm_io *io)
{
	unsigned long first, last;

	mirror_range(m, io, &first, &last);
	return first < m->nheld;
}

static bool mirror_overlaps(struct mirror *m, struct blkjob_dm_io *io,
			    unsigned long g)
{
	unsigned long first, last;

	mirror_range(m, io, &first, &last);
	return g >= first && g <= last;
}

/*
 * Pivoted, the source kept in sync: reads go to the destination, writes
 * to both legs (acknowledged once both completed, with the destination's
 * status), flushes to both (dm sends one per leg). A stale source gets
 * nothing: its flush goes to the destination twice.
 */
static int mirror_map_pivoted(struct mirror *m, struct blkjob_dm_io *io,
			      struct bio *bio)
{
	bool stale = READ_ONCE(m->stale);
	bool dest;

	if (!io->sectors) {
		dest = stale || blkjob_dm_flush_to_dest(bio);
		blkjob_dm_remap(m->dm, bio, dest);
		if (!dest)
			io->kind = BLKJOB_DM_SOURCE;
		return DM_MAPIO_REMAPPED;
	}
	blkjob_dm_remap(m->dm, bio, true);
	if (!op_is_write(bio_op(bio)) || stale)
		return DM_MAPIO_REMAPPED;
	/* Discards and write-zeroes too: the legs must read the same. */
	io->kind = BLKJOB_DM_SOURCE;
	blkjob_dm_clone_write(m->dm, bio, false);
	return DM_MAPIO_REMAPPED;
}

static int mirror_map(void *priv, struct blkjob_dm_io *io, struct bio *bio)
{
	struct mirror *m = priv;
	struct blkjob_chunk *ch;
	unsigned long flags;

	if (READ_ONCE(m->pivoted))
		return mirror_map_pivoted(m, io, bio);
	if (!io->sectors) {
		/* An empty flush; dm sends one per leg. */
		blkjob_dm_remap(m->dm, bio, blkjob_dm_flush_to_dest(bio));
		return DM_MAPIO_REMAPPED;
	}
	blkjob_dm_remap(m->dm, bio, false);
	if (!op_is_write(bio_op(bio)))
		return DM_MAPIO_REMAPPED;
	io->kind = BLKJOB_DM_WRITE;
	/* Discards, write-zeroes and held granules: only dirty their range. */
	if (bio_op(bio) != REQ_OP_WRITE || !READ_ONCE(m->write_blocking) ||
	    mirror_held(m, io))
		return DM_MAPIO_REMAPPED;

	io->kind = BLKJOB_DM_ACTIVE;
	spin_lock_irqsave(&m->lock, flags);
	list_add_tail(&io->node, &m->active);
	list_for_each_entry(ch, &m->copying, node)
		if (mirror_overlaps(m, io, ch->index))
			ch->tainted = true;
	spin_unlock_irqrestore(&m->lock, flags);
	blkjob_dm_clone_write(m->dm, bio, true);
	return DM_MAPIO_REMAPPED;
}

/*
 * A write or flush of the source kept in sync failed: the source is stale
 * and the move can no longer be undone. The first failure is the one
 * reported. Any context.
 */
static void mirror_source_failed(struct mirror *m, int err, bool flush)
{
	unsigned long flags;
	bool first;

	spin_lock_irqsave(&m->lock, flags);
	first = !m->stale;
	if (first) {
		m->stale_err = err;
		m->stale_flush = flush;
		WRITE_ONCE(m->stale, true);
	}
	spin_unlock_irqrestore(&m->lock, flags);
	if (!first)
		return;
	blkjob_dm_desync(m->dm);
	schedule_work(&m->stale_work);
}

/*
 * The job's error says the source is stale while it is pending; the dm
 * event tells watchers of the status line, which now shows `destination`.
 * Nothing once the job let go (finalized or cancelled, under the mutex).
 */
static void mirror_stale_work(struct work_struct *work)
{
	struct mirror *m = container_of(work, struct mirror, stale_work);

	mutex_lock(&blkjob_mutex);
	if (m->dm) {
		pr_warn("job '%s': source %s error %d: the move can no longer be undone\n",
			m->job->id, m->stale_flush ? "flush" : "write",
			m->stale_err);
		blkjob_set_note(m->job,
				"source %s error %d: the move cannot be undone",
				m->stale_flush ? "flush" : "write",
				m->stale_err);
		blkjob_dm_event(m->dm);
	}
	mutex_unlock(&blkjob_mutex);
}

/* Any context: a write's completion dirties what it wrote (see above). */
static void mirror_end_io(void *priv, struct blkjob_dm_io *io,
			  blk_status_t *status)
{
	struct mirror *m = priv;
	unsigned long first, last, flags;

	if (io->kind == BLKJOB_DM_OTHER)
		return;
	if (io->kind == BLKJOB_DM_SOURCE) {
		if (!io->sectors && *status) {
			/* The source's flush: not the device's business. */
			mirror_source_failed(m, blk_status_to_errno(*status),
					     true);
			*status = BLK_STS_OK;
		} else if (io->clone_status) {
			mirror_source_failed(m,
					     blk_status_to_errno(io->clone_status),
					     false);
		}
		return;
	}
	mirror_range(m, io, &first, &last);
	spin_lock_irqsave(&m->lock, flags);
	if (io->kind == BLKJOB_DM_ACTIVE) {
		list_del(&io->node);
		if (!*status && !io->clone_status)
			goto unlock;
		WRITE_ONCE(m->job->actively_synced, false);
	}
	mirror_set_dirty(m, first, last);
unlock:
	spin_unlock_irqrestore(&m->lock, flags);
}

static const struct blkjob_dm_hooks mirror_hooks = {
	.map	= mirror_map,
	.end_io	= mirror_end_io,
};

static bool mirror_stopping(struct mirror *m)
{
	return m->error || blkjob_is_cancelled(m->job);
}

/* job-complete, or a soft cancel (only possible once ready). */
static bool mirror_finishing(struct mirror *m)
{
	struct blkjob *job = m->job;

	return READ_ONCE(m->complete) ||
	       (m->ready && READ_ONCE(job->cancelled) &&
		!READ_ONCE(job->force_cancel));
}

static bool mirror_event(struct blkjob *job)
{
	struct mirror *m = job->priv;

	return blkjob_pool_has_done(&m->pool) || READ_ONCE(m->kick) ||
	       mirror_finishing(m);
}

/* Wait for the copies in flight only. */
static void mirror_wait_io(struct mirror *m)
{
	wait_event_interruptible_timeout(m->job->wq,
					 blkjob_pool_has_done(&m->pool), HZ);
}

/* Dirty granules the copier may take now: held ones only to pivot. */
static unsigned long mirror_left(struct mirror *m)
{
	unsigned long n;

	spin_lock_irq(&m->lock);
	n = m->nr_dirty;
	if (!m->release)
		n -= bitmap_weight(m->dirty, m->nheld);
	spin_unlock_irq(&m->lock);
	return n;
}

/* Work left: dirty granules and copies in flight. */
static void mirror_account(struct mirror *m)
{
	unsigned long n;

	n = mirror_left(m) + m->pool.in_flight;
	blkjob_set_remaining(m->job, min_t(u64, (u64)n << m->shift, m->len));
}

/* Is granule @g being copied? @lock held. */
static bool mirror_copying(struct mirror *m, unsigned long g)
{
	struct blkjob_chunk *ch;

	list_for_each_entry(ch, &m->copying, node)
		if (ch->index == g)
			return true;
	return false;
}

/* A dirty granule not being copied, from the cursor on; @lock held. */
static unsigned long mirror_pick(struct mirror *m)
{
	unsigned long lo = m->release ? 0 : m->nheld, g;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		g = find_next_bit(m->dirty, m->nbits, max(m->cursor, lo));
		while (g < m->nbits && mirror_copying(m, g))
			g = find_next_bit(m->dirty, m->nbits, g + 1);
		if (g < m->nbits)
			return g;
		m->cursor = lo;
	}
	return m->nbits;
}

/* Start copying a dirty granule; returns its length, 0 if none started. */
static u32 mirror_start(struct mirror *m)
{
	struct blkjob_dm_io *io;
	struct blkjob_chunk *ch;
	unsigned long g;

	ch = blkjob_chunk_get(&m->pool);
	if (!ch)
		return 0;
	spin_lock_irq(&m->lock);
	g = mirror_pick(m);
	if (g >= m->nbits) {
		spin_unlock_irq(&m->lock);
		blkjob_chunk_put(ch);
		return 0;
	}
	__clear_bit(g, m->dirty);
	m->nr_dirty--;
	ch->index = g;
	ch->tainted = false;
	list_add_tail(&ch->node, &m->copying);
	list_for_each_entry(io, &m->active, node)
		if (mirror_overlaps(m, io, g))
			ch->tainted = true;
	spin_unlock_irq(&m->lock);

	m->cursor = g + 1;
	ch->pos = (u64)g << m->shift;
	ch->len = min_t(u64, 1ULL << m->shift, m->len - ch->pos);
	blkjob_chunk_submit(ch, m->src, false);
	return ch->len;
}

/* A copy failed: its granule is dirty again; the error policy decides. */
static void mirror_failed(struct mirror *m, struct blkjob_chunk *ch)
{
	enum blkjob_io_operation op = ch->writing ? BLKJOB_IO_OPERATION_WRITE :
						    BLKJOB_IO_OPERATION_READ;

	m->failures++;
	if (blkjob_error_action(m->job, op, ch->error) !=
	    BLKJOB_ERROR_ACTION_REPORT || m->error)
		return;
	m->error = ch->error;
	blkjob_set_error(m->job, "%s error at offset %llu: %d",
			 ch->writing ? "write" : "read", ch->pos, ch->error);
}

/* Take in completed copies: write what was read, retire what was written. */
static void mirror_reap(struct mirror *m)
{
	struct blkjob_chunk *ch, *tmp;
	LIST_HEAD(done);

	blkjob_pool_reap(&m->pool, &done);
	list_for_each_entry_safe(ch, tmp, &done, list) {
		list_del(&ch->list);
		if (!ch->error && !ch->writing && !mirror_stopping(m)) {
			blkjob_chunk_submit(ch, m->dst, true);
			continue;
		}
		spin_lock_irq(&m->lock);
		list_del_init(&ch->node);
		if (ch->error || ch->tainted || !ch->writing)
			mirror_set_dirty(m, ch->index, ch->index);
		spin_unlock_irq(&m->lock);
		if (ch->error)
			mirror_failed(m, ch);
		else if (ch->writing)
			blkjob_progress(m->job, ch->len);
		blkjob_chunk_put(ch);
	}
}

/* Flushing the destination failed. */
static bool mirror_flush_failed(struct mirror *m, int err)
{
	switch (blkjob_error_action(m->job, BLKJOB_IO_OPERATION_WRITE, err)) {
	case BLKJOB_ERROR_ACTION_IGNORE:
		return false;
	case BLKJOB_ERROR_ACTION_REPORT:
		if (!m->error) {
			m->error = err;
			blkjob_set_error(m->job, "flush error: %d", err);
		}
		break;
	default:
		break;
	}
	m->failures++;
	return true;
}

/*
 * The pivot could not be recorded on the metadata device: whatever the
 * error policy, the job cannot complete (a pivot that a reboot forgets
 * would lose every write after it), so it fails.
 */
static void mirror_record_failed(struct mirror *m, int err)
{
	if (!m->error) {
		m->error = err;
		blkjob_set_error(m->job,
				 "cannot record the pivot on the metadata device: %d",
				 err);
	}
	m->failures++;
}

/* Another device writes to the source alone: the pivot would lose that. */
static bool mirror_bypassed(struct mirror *m)
{
	if (!blkjob_dm_src_shared(m->dm))
		return false;
	if (!m->error) {
		m->error = -EBUSY;
		/* A table reloaded onto the source bypasses the move. */
		blkjob_set_error(m->job,
				 "another device holds the source: not pivoting");
	}
	m->failures++;
	return true;
}

/* Clean with nothing in flight: ready the first time. */
static void mirror_converged(struct mirror *m)
{
	int err;

	if (m->ready) {
		if (READ_ONCE(m->write_blocking))
			WRITE_ONCE(m->job->actively_synced, true);
		return;
	}
	err = blkdev_issue_flush(m->dst);
	if (err && mirror_flush_failed(m, err))
		return;
	/* Before the ready event, so that whoever sees it sees this. */
	if (READ_ONCE(m->write_blocking))
		WRITE_ONCE(m->job->actively_synced, true);
	m->ready = true;
	blkjob_set_ready(m->job);
	blkjob_dm_event(m->dm);
}

/*
 * Quiesce, copy what is dirty, flush, then pivot (job-complete) or let go
 * (soft cancel). Returns 0 when done, -EAGAIN when an error, a pause
 * or a force cancel sent the job back to its main loop (bios flow again).
 */
static int mirror_finish(struct mirror *m)
{
	unsigned int failures = m->failures;
	bool pivot = READ_ONCE(m->complete);
	int err;

	blkjob_dm_hold(m->dm);
	/* Before the held granules reach the destination. */
	if (pivot && mirror_bypassed(m))
		goto again;
	m->release = true;
	for (;;) {
		mirror_reap(m);
		mirror_account(m);
		if (m->failures != failures || mirror_stopping(m)) {
			if (m->pool.in_flight) {
				mirror_wait_io(m);
				continue;
			}
			goto again;
		}
		if (mirror_start(m))
			continue;
		if (!m->pool.in_flight && !mirror_left(m))
			break;
		mirror_wait_io(m);
	}
	err = blkdev_issue_flush(m->dst);
	if (err && mirror_flush_failed(m, err))
		goto again;
	/* A holder's table loaded since: its writes never came through us. */
	if (pivot && mirror_bypassed(m))
		goto again;
	/* No bio goes to the destination alone before the record says so. */
	err = pivot ? blkjob_dm_record_pivot(m->dm) : 0;
	if (err) {
		mirror_record_failed(m, err);
		goto again;
	}
	if (pivot && m->reversible) {
		/* Before the held bios are mapped again: they go to both. */
		WRITE_ONCE(m->pivoted, true);
		blkjob_dm_pivot_synced(m->dm);
		blkjob_dm_unhold(m->dm);
		return 0;
	}
	blkjob_dm_detach(m->dm, pivot);
	m->dm = NULL;
	return 0;

again:
	/*
	 * Held granules copied already stay on the destination: a retry
	 * copies the rest at the next pivot, and a power cut before it finds
	 * an identity there (as before the hold existed).
	 */
	m->release = false;
	blkjob_dm_unhold(m->dm);
	return -EAGAIN;
}

static int mirror_run(struct blkjob *job)
{
	struct mirror *m = job->priv;
	u64 deadline = 0;
	u32 n;

	for (;;) {
		WRITE_ONCE(m->kick, false);
		mirror_reap(m);
		mirror_account(m);
		if (mirror_stopping(m) || blkjob_pause_requested(job)) {
			/* Progress must not move once stopped or paused. */
			if (m->pool.in_flight) {
				mirror_wait_io(m);
				continue;
			}
			if (mirror_stopping(m))
				break;
			blkjob_pause_point(job);
			continue;
		}
		if (mirror_finishing(m)) {
			if (!mirror_finish(m))
				return 0;
			continue;
		}
		if (deadline) {
			blkjob_wait(job, &deadline, mirror_event);
			continue;
		}
		n = mirror_start(m);
		if (n) {
			deadline = blkjob_ratelimit(job, n);
			continue;
		}
		if (!m->pool.in_flight && !mirror_left(m))
			mirror_converged(m);
		blkjob_wait(job, &deadline, mirror_event);
	}

	blkjob_dm_detach(m->dm, false);
	m->dm = NULL;
	return m->error ?: -ECANCELED;
}

static int mirror_alloc(struct mirror *m, const struct blkjob_params *p,
			unsigned int nr_chunks, struct netlink_ext_ack *extack)
{
	size_t longs;

	m->nbits = DIV_ROUND_UP_ULL(m->len, m->job->granularity);
	longs = BITS_TO_LONGS(m->nbits);
	m->dirty = kvcalloc(longs, sizeof(long), GFP_KERNEL);
	if (!m->dirty ||
	    blkjob_pool_init(&m->pool, m->job, m->job->granularity,
			     nr_chunks)) {
		blkjob_errmsg(extack, NULL,
			      "cannot allocate %llu bytes of buffers and a %zu-byte bitmap",
			      m->job->buf_size, longs * sizeof(long));
		return -ENOMEM;
	}
	if (p->sync == BLKJOB_SYNC_MODE_FULL) {
		bitmap_set(m->dirty, 0, m->nbits);
		m->nr_dirty = m->nbits;
	}
	return 0;
}

static void mirror_free_state(struct mirror *m)
{
	flush_work(&m->stale_work);
	blkjob_pool_destroy(&m->pool);
	kvfree(m->dirty);
	kfree(m);
}

static int mirror_create(struct blkjob *job, const struct blkjob_params *p,
			 struct netlink_ext_ack *extack)
{
	unsigned int nr_chunks;
	struct mirror *m;
	int err;

	if (p->sync != BLKJOB_SYNC_MODE_FULL &&
	    p->sync != BLKJOB_SYNC_MODE_NONE) {
		blkjob_errmsg(extack, NULL, "mirror takes sync full or none");
		return -EINVAL;
	}
	if (p->copy_mode != BLKJOB_COPY_MODE_BACKGROUND &&
	    p->copy_mode != BLKJOB_COPY_MODE_WRITE_BLOCKING) {
		blkjob_errmsg(extack, NULL, "unknown copy-mode %u",
			      p->copy_mode);
		return -EINVAL;
	}
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->job = job;
	m->reversible = !p->auto_finalize;
	INIT_WORK(&m->stale_work, mirror_stale_work);
	spin_lock_init(&m->lock);
	INIT_LIST_HEAD(&m->copying);
	INIT_LIST_HEAD(&m->active);
	m->write_blocking = p->copy_mode == BLKJOB_COPY_MODE_WRITE_BLOCKING;

	m->dm = blkjob_dm_attach(job, p, extack);
	if (IS_ERR(m->dm)) {
		err = PTR_ERR(m->dm);
		goto free;
	}
	m->src = blkjob_dm_bdev(m->dm, false);
	m->dst = blkjob_dm_bdev(m->dm, true);
	m->len = blkjob_dm_bytes(m->dm);
	err = blkjob_chunk_sizing(job, p, m->src, m->dst,
				  BLKJOB_DEFAULT_GRANULARITY, &nr_chunks, extack);
	if (err)
		goto detach;
	m->shift = ilog2(job->granularity);
	m->nheld = DIV_ROUND_UP_ULL(blkjob_dm_hold_bytes(m->dm),
				    job->granularity);
	err = mirror_alloc(m, p, nr_chunks, extack);
	if (err)
		goto detach;

	blkjob_set_len(job, (u64)m->nr_dirty ? m->len : 0);
	job->priv = m;
	/* From here on every write through the target is tracked. */
	blkjob_dm_set_hooks(m->dm, &mirror_hooks, m);
	return 0;

detach:
	blkjob_dm_detach(m->dm, false);
free:
	mirror_free_state(m);
	return err;
}

static void mirror_complete(struct blkjob *job)
{
	struct mirror *m = job->priv;

	WRITE_ONCE(m->complete, true);
	wake_up(&job->wq);
}

static int mirror_change(struct blkjob *job, enum blkjob_copy_mode mode,
			 struct netlink_ext_ack *extack)
{
	struct mirror *m = job->priv;

	if (mode == job->copy_mode)
		return 0;
	if (mode != BLKJOB_COPY_MODE_WRITE_BLOCKING) {
		blkjob_errmsg(extack, NULL,
			      "copy-mode can only change from background to write-blocking");
		return -EINVAL;
	}
	spin_lock_irq(&m->lock);
	WRITE_ONCE(m->write_blocking, true);
	spin_unlock_irq(&m->lock);
	job->copy_mode = mode;
	return 0;
}

/* job-finalize: a job still attached lets go of the source, pivot kept. */
static void mirror_commit(struct blkjob *job)
{
	struct mirror *m = job->priv;

	if (!m->dm)
		return;
	blkjob_dm_detach(m->dm, true);
	m->dm = NULL;
}

/*
 * job-cancel (or a failed transaction) while pivoted with the source kept
 * in sync: back to the source, nothing lost. Every bio is held and those
 * in flight drain, so the source has every write the destination has; the
 * source is flushed, and a metadata record says "moving" again, before any
 * bio goes to the source alone. A stale source, or a record that cannot be
 * written (a reboot would map the device onto the destination), keeps the
 * destination instead, and the job's error says so.
 */
static void mirror_unpivot(struct mirror *m)
{
	struct blkjob_dm *dm = m->dm;
	int err;

	blkjob_dm_hold(dm);
	/* Drained: @stale and its error no longer change. */
	if (!m->stale) {
		err = blkdev_issue_flush(m->src);
		if (err)
			mirror_source_failed(m, err, true);
	}
	if (m->stale) {
		blkjob_set_note(m->job,
				"source %s error %d: cancel keeps the destination",
				m->stale_flush ? "flush" : "write",
				m->stale_err);
		blkjob_dm_detach(dm, true);
		return;
	}
	err = blkjob_dm_record_unpivot(dm);
	if (err) {
		blkjob_set_note(m->job,
				"cannot record the way back (%d): kept the destination",
				err);
		blkjob_dm_detach(dm, true);
		return;
	}
	blkjob_dm_detach(dm, false);
}

static void mirror_abort(struct blkjob *job)
{
	struct mirror *m = job->priv;

	if (!m->dm)
		return;
	mirror_unpivot(m);
	m->dm = NULL;
}

/*
 * A run detaches before it returns, except after a pivot with the source
 * kept in sync, which commit or abort ends first: so only for a job that
 * never ran (or, should it ever get here still pivoted, the pivot stays:
 * the destination has everything).
 */
static void mirror_release(struct blkjob *job)
{
	struct mirror *m = job->priv;

	if (m && m->dm) {
		blkjob_dm_detach(m->dm, m->pivoted);
		m->dm = NULL;
	}
}

static void mirror_free(struct blkjob *job)
{
	mirror_free_state(job->priv);
	job->priv = NULL;
}

const struct blkjob_driver blkjob_mirror_driver = {
	.type		= BLKJOB_JOB_TYPE_MIRROR,
	.name		= "mirror",
	.create		= mirror_create,
	.run		= mirror_run,
	.complete	= mirror_complete,
	.change		= mirror_change,
	.commit		= mirror_commit,
	.abort		= mirror_abort,
	.release	= mirror_release,
	.free		= mirror_free,
};
