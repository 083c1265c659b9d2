// SPDX-License-Identifier: GPL-2.0
/*
 * The copy job: a whole source block device onto a target block device,
 * both held exclusively by the job (nobody else writes them meanwhile).
 *
 * A pool of chunk buffers is allocated once when the job is created. Each
 * chunk reads granularity bytes of the source into its pages, then writes
 * the same pages to the target; up to buf-size / granularity chunks are in
 * flight. Bio completions run in interrupt context and only queue the
 * chunk and wake the kthread, which submits the write, accounts progress,
 * applies the error policies, rate-limits new reads and honours pauses
 * and cancels. The target is flushed at the end.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "blkjob.h"
#include "compat.h"

/* Most chunks in flight: bounds the pool for small granularities. */
#define COPY_MAX_CHUNKS 256

/**
 * struct copy_chunk - one buffer of the pool
 * @list: on the free, retry or done list
 * @c: the copy job
 * @pages: the buffer, granularity bytes
 * @pos: source and target offset in bytes
 * @len: bytes, granularity but for the device's tail
 * @writing: the I/O in flight, or that failed, is the write
 * @bios: bios still in flight for this chunk
 * @error: the first bio error, set from bio completions
 */
struct copy_chunk {
	struct list_head list;
	struct copy *c;
	struct page **pages;
	u64 pos;
	u32 len;
	bool writing;
	atomic_t bios;
	int error;
};

/**
 * struct copy - the copy job's state
 * @job: the job
 * @src: the source device
 * @dst: the target device
 * @len: bytes to copy (the source's size)
 * @nr_chunks: chunks in the pool
 * @pages_per_chunk: pages per chunk
 * @chunks: the pool
 * @pages: every page of the pool
 * @free: idle chunks; kthread only
 * @retry: chunks whose I/O failed under the stop policy; kthread only
 * @in_flight: chunks with I/O in flight; kthread only
 * @next_pos: next offset to read; kthread only
 * @error: the error that ends the job; kthread only
 * @done_lock: protects @done; taken from bio completions
 * @done: chunks whose I/O completed
 */
struct copy {
	struct blkjob *job;
	struct blkjob_bdev src;
	struct blkjob_bdev dst;
	u64 len;
	unsigned int nr_chunks;
	unsigned int pages_per_chunk;
	struct copy_chunk *chunks;
	struct page **pages;

	struct list_head free;
	struct list_head retry;
	unsigned int in_flight;
	u64 next_pos;
	int error;

	spinlock_t done_lock;
	struct list_head done;
};

/* Interrupt context: record, queue, wake; nothing else. */
static void copy_end_io(struct bio *bio)
{
	struct copy_chunk *ch = bio->bi_private;
	struct copy *c = ch->c;
	unsigned long flags;

	if (bio->bi_status)
		cmpxchg(&ch->error, 0, blk_status_to_errno(bio->bi_status));
	bio_put(bio);
	if (!atomic_dec_and_test(&ch->bios))
		return;

	/*
	 * Wake under done_lock: once the kthread has taken the chunk off
	 * @done under that lock, this function no longer touches the job.
	 */
	spin_lock_irqsave(&c->done_lock, flags);
	list_add_tail(&ch->list, &c->done);
	wake_up(&c->job->wq);
	spin_unlock_irqrestore(&c->done_lock, flags);
}

/* Read the chunk from the source, or write it to the target. */
static void copy_submit(struct copy *c, struct copy_chunk *ch, bool write)
{
	struct block_device *bdev = write ? c->dst.bdev : c->src.bdev;
	blk_opf_t opf = write ? REQ_OP_WRITE : REQ_OP_READ;
	unsigned int npages = DIV_ROUND_UP(ch->len, PAGE_SIZE);
	unsigned int nbios = DIV_ROUND_UP(npages, BIO_MAX_VECS);
	sector_t sector = ch->pos >> SECTOR_SHIFT;
	unsigned int page = 0;
	u32 left = ch->len;

	ch->writing = write;
	ch->error = 0;
	atomic_set(&ch->bios, nbios);
	c->in_flight++;

	while (nbios--) {
		unsigned int n = min_t(unsigned int, npages - page,
				       BIO_MAX_VECS);
		struct bio *bio;

		/* Never fails: GFP_NOIO may wait on the bio_set's mempool. */
		bio = bio_alloc(bdev, n, opf, GFP_NOIO);
		bio->bi_iter.bi_sector = sector;
		bio->bi_end_io = copy_end_io;
		bio->bi_private = ch;
		for (; n; n--, page++) {
			u32 seg = min_t(u32, left, PAGE_SIZE);

			if (WARN_ON_ONCE(bio_add_page(bio, ch->pages[page],
						      seg, 0) != seg))
				cmpxchg(&ch->error, 0, -EIO);
			left -= seg;
			sector += seg >> SECTOR_SHIFT;
		}
		submit_bio(bio);
	}
}

static bool copy_stopping(struct copy *c)
{
	return c->error || blkjob_is_cancelled(c->job);
}

/* A chunk's I/O failed: what its error policy says. */
static void copy_failed(struct copy *c, struct copy_chunk *ch)
{
	enum blkjob_io_operation op = ch->writing ? BLKJOB_IO_OPERATION_WRITE :
						    BLKJOB_IO_OPERATION_READ;

	switch (blkjob_error_action(c->job, op, ch->error)) {
	case BLKJOB_ERROR_ACTION_IGNORE:
		blkjob_progress(c->job, ch->len);
		list_add(&ch->list, &c->free);
		break;
	case BLKJOB_ERROR_ACTION_STOP:
		/* The job pauses; resume retries this very I/O. */
		list_add_tail(&ch->list, &c->retry);
		break;
	default:
		if (!c->error) {
			c->error = ch->error;
			blkjob_set_error(c->job, "%s error at offset %llu: %d",
					 ch->writing ? "write" : "read",
					 ch->pos, ch->error);
		}
		list_add(&ch->list, &c->free);
		break;
	}
}

/* Take in completed chunks: write what was read, account what was written. */
static void copy_reap(struct copy *c)
{
	struct copy_chunk *ch, *tmp;
	LIST_HEAD(done);

	spin_lock_irq(&c->done_lock);
	list_splice_init(&c->done, &done);
	spin_unlock_irq(&c->done_lock);

	list_for_each_entry_safe(ch, tmp, &done, list) {
		list_del(&ch->list);
		c->in_flight--;
		if (copy_stopping(c))
			list_add(&ch->list, &c->free);
		else if (ch->error)
			copy_failed(c, ch);
		else if (!ch->writing)
			copy_submit(c, ch, true);
		else {
			blkjob_progress(c->job, ch->len);
			list_add(&ch->list, &c->free);
		}
	}
}

static bool copy_io_done(struct blkjob *job)
{
	struct copy *c = job->priv;

	return !list_empty_careful(&c->done);
}

/* Wait for in-flight I/O only: draining before a pause or the end. */
static void copy_wait_io(struct copy *c)
{
	wait_event_interruptible_timeout(c->job->wq, copy_io_done(c->job), HZ);
}

/* Start reading the next chunk of the source; returns its length. */
static u32 copy_read_next(struct copy *c)
{
	struct copy_chunk *ch;

	ch = list_first_entry(&c->free, struct copy_chunk, list);
	list_del(&ch->list);
	ch->pos = c->next_pos;
	ch->len = min_t(u64, c->job->granularity, c->len - c->next_pos);
	c->next_pos += ch->len;
	copy_submit(c, ch, false);
	return ch->len;
}

static int copy_run(struct blkjob *job)
{
	struct copy *c = job->priv;
	struct copy_chunk *ch;
	u64 deadline = 0;

	for (;;) {
		copy_reap(c);
		if (copy_stopping(c) || blkjob_pause_requested(job)) {
			/* Progress must not move once stopped or paused. */
			if (c->in_flight) {
				copy_wait_io(c);
				continue;
			}
			if (copy_stopping(c))
				break;
			blkjob_pause_point(job);
			continue;
		}
		if (!list_empty(&c->retry)) {
			ch = list_first_entry(&c->retry, struct copy_chunk,
					      list);
			list_del(&ch->list);
			copy_submit(c, ch, ch->writing);
			continue;
		}
		if (c->next_pos < c->len && !list_empty(&c->free)) {
			if (deadline) {
				blkjob_wait(job, &deadline, copy_io_done);
				continue;
			}
			deadline = blkjob_ratelimit(job, copy_read_next(c));
			continue;
		}
		if (!c->in_flight)
			break;
		blkjob_wait(job, &deadline, copy_io_done);
	}

	if (c->error)
		return c->error;
	return blkjob_flush(job, c->dst.bdev);
}

/* Say why a device could not be opened, in words a user can act on. */
static void copy_open_error(struct netlink_ext_ack *extack,
			    const struct nlattr *attr, const char *what,
			    const char *path, int err)
{
	switch (err) {
	case -EBUSY:
		blkjob_errmsg(extack, attr, "%s '%s' is busy (in use)", what,
			      path);
		break;
	case -EACCES:
	case -EROFS:
		blkjob_errmsg(extack, attr, "%s '%s' is read-only", what, path);
		break;
	case -ENOENT:
		blkjob_errmsg(extack, attr, "%s '%s' does not exist", what,
			      path);
		break;
	case -ENOTBLK:
		blkjob_errmsg(extack, attr, "%s '%s' is not a block device",
			      what, path);
		break;
	default:
		blkjob_errmsg(extack, attr, "cannot open %s '%s': error %d",
			      what, path, err);
		break;
	}
}

/* Source and target must not share a single byte. */
static bool copy_overlap(struct block_device *a, struct block_device *b)
{
	if (a == b)
		return true;
	return a->bd_disk == b->bd_disk &&
	       (!bdev_is_partition(a) || !bdev_is_partition(b));
}

/* The devices' sizes and block sizes, and the chunking asked for. */
static int copy_check(struct blkjob *job, struct copy *c,
		      const struct blkjob_params *p,
		      struct netlink_ext_ack *extack)
{
	struct block_device *src = c->src.bdev, *dst = c->dst.bdev;
	unsigned int slbs = bdev_logical_block_size(src);
	unsigned int tlbs = bdev_logical_block_size(dst);
	u64 tlen = bdev_nr_bytes(dst);
	u32 gran;
	u64 buf;

	if (copy_overlap(src, dst)) {
		blkjob_errmsg(extack, p->attr_target,
			      "source and target are the same device");
		return -EINVAL;
	}
	if (bdev_read_only(dst)) {
		copy_open_error(extack, p->attr_target, "target", p->target,
				-EACCES);
		return -EACCES;
	}
	c->len = bdev_nr_bytes(src);
	if (tlen < c->len) {
		blkjob_errmsg(extack, p->attr_target,
			      "target is smaller than source (%llu < %llu bytes)",
			      tlen, c->len);
		return -EINVAL;
	}
	if (tlbs > slbs) {
		blkjob_errmsg(extack, p->attr_target,
			      "target logical block size %u exceeds the source's %u",
			      tlbs, slbs);
		return -EINVAL;
	}

	gran = p->granularity ?: BLKJOB_DEFAULT_GRANULARITY;
	/* A power of two, as is slbs, itself a multiple of tlbs. */
	if (gran % slbs) {
		blkjob_errmsg(extack, p->attr_granularity,
			      "granularity %u is not a multiple of the logical block size %u",
			      gran, slbs);
		return -EINVAL;
	}
	buf = p->buf_size ?: BLKJOB_DEFAULT_BUF_SIZE;
	if (buf > BLKJOB_MAX_BUF_SIZE) {
		blkjob_errmsg(extack, p->attr_buf_size,
			      "buf-size %llu exceeds %u", buf,
			      BLKJOB_MAX_BUF_SIZE);
		return -EINVAL;
	}
	c->nr_chunks = min_t(u64, DIV_ROUND_UP_ULL(buf, gran), COPY_MAX_CHUNKS);
	c->pages_per_chunk = DIV_ROUND_UP(gran, PAGE_SIZE);
	job->granularity = gran;
	job->buf_size = (u64)c->nr_chunks * gran;
	return 0;
}

static void copy_free_pool(struct copy *c)
{
	unsigned int i;

	if (c->pages)
		for (i = 0; i < c->nr_chunks * c->pages_per_chunk; i++)
			if (c->pages[i])
				__free_page(c->pages[i]);
	kvfree(c->pages);
	kvfree(c->chunks);
}

/* Every buffer the job will use, allocated once, up front. */
static int copy_alloc_pool(struct copy *c)
{
	unsigned int i, nr_pages = c->nr_chunks * c->pages_per_chunk;

	c->pages = kvcalloc(nr_pages, sizeof(*c->pages), GFP_KERNEL);
	c->chunks = kvcalloc(c->nr_chunks, sizeof(*c->chunks), GFP_KERNEL);
	if (!c->pages || !c->chunks)
		return -ENOMEM;
	for (i = 0; i < nr_pages; i++) {
		c->pages[i] = alloc_page(GFP_KERNEL);
		if (!c->pages[i])
			return -ENOMEM;
	}
	for (i = 0; i < c->nr_chunks; i++) {
		struct copy_chunk *ch = &c->chunks[i];

		ch->c = c;
		ch->pages = &c->pages[i * c->pages_per_chunk];
		list_add_tail(&ch->list, &c->free);
	}
	return 0;
}

static int copy_create(struct blkjob *job, const struct blkjob_params *p,
		       struct netlink_ext_ack *extack)
{
	struct copy *c;
	int err;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->job = job;
	INIT_LIST_HEAD(&c->free);
	INIT_LIST_HEAD(&c->retry);
	INIT_LIST_HEAD(&c->done);
	spin_lock_init(&c->done_lock);

	/* The job is the holder: nobody else may open them exclusively. */
	err = blkjob_bdev_open(&c->src, p->source, false, job);
	if (err) {
		copy_open_error(extack, p->attr_source, "source", p->source,
				err);
		goto free;
	}
	err = blkjob_bdev_open(&c->dst, p->target, true, job);
	if (err) {
		copy_open_error(extack, p->attr_target, "target", p->target,
				err);
		goto close;
	}
	err = copy_check(job, c, p, extack);
	if (err)
		goto close;
	err = copy_alloc_pool(c);
	if (err) {
		blkjob_errmsg(extack, NULL, "cannot allocate %llu bytes of buffers",
			      job->buf_size);
		goto pool;
	}

	blkjob_set_len(job, c->len);
	job->priv = c;
	return 0;

pool:
	copy_free_pool(c);
close:
	blkjob_bdev_close(&c->dst);
	blkjob_bdev_close(&c->src);
free:
	kfree(c);
	return err;
}

static void copy_release(struct blkjob *job)
{
	struct copy *c = job->priv;

	if (!c)
		return;
	blkjob_bdev_close(&c->dst);
	blkjob_bdev_close(&c->src);
}

static void copy_free(struct blkjob *job)
{
	struct copy *c = job->priv;

	copy_free_pool(c);
	kfree(c);
	job->priv = NULL;
}

const struct blkjob_driver blkjob_copy_driver = {
	.type		= BLKJOB_JOB_TYPE_COPY,
	.name		= "copy",
	.create		= copy_create,
	.run		= copy_run,
	.release	= copy_release,
	.free		= copy_free,
};
