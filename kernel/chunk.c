// SPDX-License-Identifier: GPL-2.0
/*
 * The chunk engine of every job type (copy, mirror, backup). A pool of
 * buffers is allocated once when the job is created, so that the hot path
 * allocates only bios. A chunk is read from one device into its pages and
 * then written from the same pages to another; a chunk larger than
 * BIO_MAX_VECS pages goes out as several bios counted down by the chunk.
 * Bio completions run in interrupt context and only queue the chunk and
 * wake the job's kthread, which decides what comes next: submit_bio() may
 * sleep for a tag, so it is never called from a completion.
 *
 * A write whose buffer is all zeros goes out as one REQ_OP_WRITE_ZEROES
 * where the device takes them, unmap allowed: the destination reads the
 * same zeros, and a thin or sparse one (a loop device over a file, NVMe
 * with deallocation) stays thin. A device that refuses it (NOTSUPP: a
 * limit that changed under us, a dm table swapped) gets the buffer
 * written after all, before the chunk completes.
 *
 * The kthread does not submit bios itself: it queues each chunk's I/O on
 * an unbound workqueue. With devices that do their work in submit_bio()
 * (brd, zram, a stack of dm targets over them) the data moves in the
 * submitter, and one kthread would copy every byte on one CPU; workers
 * spread reads and writes over every CPU (Documentation/blkjob/bench.md).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "blkjob.h"
#include "chunk.h"

/*
 * WQ_MEM_RECLAIM: a mirror may sit under the filesystem that reclaim
 * writes back through, so its I/O must progress without new workers.
 */
static struct workqueue_struct *blkjob_io_wq;

static void blkjob_chunk_work(struct work_struct *work);

/**
 * blkjob_io_init() - create the workqueue chunk I/O is submitted from
 *
 * Context: module init.
 * Return: 0 or -ENOMEM.
 */
int blkjob_io_init(void)
{
	blkjob_io_wq = alloc_workqueue("blkjob_io", WQ_UNBOUND | WQ_MEM_RECLAIM,
				       0);
	return blkjob_io_wq ? 0 : -ENOMEM;
}

/**
 * blkjob_io_exit() - destroy it; no job may be left
 *
 * Context: module exit.
 */
void blkjob_io_exit(void)
{
	destroy_workqueue(blkjob_io_wq);
}

/**
 * blkjob_chunk_sizing() - check and settle granularity and buf-size
 * @job: the job; gets its granularity and buf-size
 * @p: job-new's parameters
 * @src: the source device
 * @dst: the destination device
 * @def_gran: the granularity when @p has none
 * @nr_chunks: gets the number of chunks for the pool
 * @extack: for the error message
 *
 * Context: process.
 * Return: 0 or -EINVAL.
 */
int blkjob_chunk_sizing(struct blkjob *job, const struct blkjob_params *p,
			struct block_device *src, struct block_device *dst,
			u32 def_gran, unsigned int *nr_chunks,
			struct netlink_ext_ack *extack)
{
	unsigned int lbs = max(bdev_logical_block_size(src),
			       bdev_logical_block_size(dst));
	u32 gran = p->granularity ?: def_gran;
	u64 buf = p->buf_size ?: BLKJOB_DEFAULT_BUF_SIZE;

	/* Powers of two: a multiple, or smaller. */
	if (gran % lbs) {
		blkjob_errmsg(extack, p->attr_granularity,
			      "granularity %u is not a multiple of the logical block size %u",
			      gran, lbs);
		return -EINVAL;
	}
	if (buf > BLKJOB_MAX_BUF_SIZE) {
		blkjob_errmsg(extack, p->attr_buf_size,
			      "buf-size %llu exceeds %u", buf,
			      BLKJOB_MAX_BUF_SIZE);
		return -EINVAL;
	}
	*nr_chunks = min_t(u64, DIV_ROUND_UP_ULL(buf, gran), BLKJOB_MAX_CHUNKS);
	job->granularity = gran;
	job->buf_size = (u64)*nr_chunks * gran;
	return 0;
}

/**
 * blkjob_pool_init() - allocate a pool of chunk buffers
 * @pool: the pool, zeroed by the caller
 * @job: the job to wake on completions
 * @chunk_size: bytes per chunk
 * @nr_chunks: chunks
 *
 * On failure the caller still calls blkjob_pool_destroy().
 *
 * Context: process; sleeps.
 * Return: 0 or -ENOMEM.
 */
int blkjob_pool_init(struct blkjob_pool *pool, struct blkjob *job,
		     u32 chunk_size, unsigned int nr_chunks)
{
	unsigned int i, nr_pages;

	pool->job = job;
	INIT_LIST_HEAD(&pool->free);
	INIT_LIST_HEAD(&pool->done);
	spin_lock_init(&pool->done_lock);
	pool->pages_per_chunk = DIV_ROUND_UP(chunk_size, PAGE_SIZE);
	nr_pages = nr_chunks * pool->pages_per_chunk;
	pool->pages = kvcalloc(nr_pages, sizeof(*pool->pages), GFP_KERNEL);
	pool->chunks = kvcalloc(nr_chunks, sizeof(*pool->chunks), GFP_KERNEL);
	if (!pool->pages || !pool->chunks)
		return -ENOMEM;
	pool->nr_chunks = nr_chunks;
	for (i = 0; i < nr_pages; i++) {
		pool->pages[i] = alloc_page(GFP_KERNEL);
		if (!pool->pages[i])
			return -ENOMEM;
	}
	for (i = 0; i < nr_chunks; i++) {
		struct blkjob_chunk *ch = &pool->chunks[i];

		ch->pool = pool;
		ch->pages = &pool->pages[i * pool->pages_per_chunk];
		INIT_LIST_HEAD(&ch->node);
		INIT_WORK(&ch->work, blkjob_chunk_work);
		list_add_tail(&ch->list, &pool->free);
	}
	return 0;
}

/**
 * blkjob_pool_destroy() - free a pool; nothing may be in flight
 * @pool: the pool
 *
 * Context: process.
 */
void blkjob_pool_destroy(struct blkjob_pool *pool)
{
	unsigned int i;

	if (pool->pages)
		for (i = 0; i < pool->nr_chunks * pool->pages_per_chunk; i++)
			if (pool->pages[i])
				__free_page(pool->pages[i]);
	kvfree(pool->pages);
	kvfree(pool->chunks);
	pool->pages = NULL;
	pool->chunks = NULL;
}

/**
 * blkjob_chunk_get() - take an idle chunk
 * @pool: the pool
 *
 * Context: the job's kthread.
 * Return: the chunk, counted in flight, or NULL when every chunk is busy.
 */
struct blkjob_chunk *blkjob_chunk_get(struct blkjob_pool *pool)
{
	struct blkjob_chunk *ch;

	ch = list_first_entry_or_null(&pool->free, struct blkjob_chunk, list);
	if (ch) {
		list_del(&ch->list);
		pool->in_flight++;
	}
	return ch;
}

/**
 * blkjob_chunk_put() - give a chunk back to its pool
 * @ch: the chunk, taken by blkjob_chunk_get() or blkjob_pool_reap()
 *
 * Context: the job's kthread.
 */
void blkjob_chunk_put(struct blkjob_chunk *ch)
{
	list_add(&ch->list, &ch->pool->free);
	ch->pool->in_flight--;
}

/* Interrupt context: record, queue, wake; nothing else. */
static void blkjob_chunk_end_io(struct bio *bio)
{
	struct blkjob_chunk *ch = bio->bi_private;
	struct blkjob_pool *pool = ch->pool;
	unsigned long flags;

	if (bio->bi_status == BLK_STS_NOTSUPP && ch->zeroing)
		WRITE_ONCE(ch->no_zeroes, true);
	else if (bio->bi_status)
		cmpxchg(&ch->error, 0, blk_status_to_errno(bio->bi_status));
	bio_put(bio);
	if (!atomic_dec_and_test(&ch->bios))
		return;
	/* Refused zeroes: write the (zero) buffer itself, from the worker. */
	if (ch->zeroing && READ_ONCE(ch->no_zeroes) && !ch->error) {
		queue_work(blkjob_io_wq, &ch->work);
		return;
	}

	/*
	 * Wake under done_lock: once the kthread has taken the chunk off
	 * @done under that lock, this function no longer touches the job.
	 */
	spin_lock_irqsave(&pool->done_lock, flags);
	list_add_tail(&ch->list, &pool->done);
	wake_up(&pool->job->wq);
	spin_unlock_irqrestore(&pool->done_lock, flags);
}

/* Bios over @len bytes of @pages at @pos; @ch NULL for a synchronous I/O. */
static struct bio *blkjob_chunk_bio(struct block_device *bdev,
				    struct page **pages, unsigned int n,
				    blk_opf_t opf, sector_t sector, u32 *left)
{
	struct bio *bio;

	/* Never fails: GFP_NOIO may wait on the bio_set's mempool. */
	bio = bio_alloc(bdev, n, opf, GFP_NOIO);
	bio->bi_iter.bi_sector = sector;
	for (; n; n--, pages++) {
		u32 seg = min_t(u32, *left, PAGE_SIZE);

		if (WARN_ON_ONCE(bio_add_page(bio, *pages, seg, 0) != seg)) {
			bio->bi_status = BLK_STS_IOERR;
			break;
		}
		*left -= seg;
	}
	return bio;
}

/* Is the chunk's buffer all zeros? Data that is not exits early. */
static bool blkjob_chunk_is_zero(struct blkjob_chunk *ch)
{
	unsigned int i, npages = DIV_ROUND_UP(ch->len, PAGE_SIZE);
	u32 left = ch->len;
	bool zero = true;

	for (i = 0; zero && i < npages; i++) {
		u32 seg = min_t(u32, left, PAGE_SIZE);
		void *p = kmap_local_page(ch->pages[i]);

		zero = !memchr_inv(p, 0, seg);
		kunmap_local(p);
		left -= seg;
	}
	return zero;
}

/*
 * A write of an all-zero buffer as one WRITE_ZEROES, when the device
 * takes them (the block layer splits it to the device's limit). Unmap is
 * allowed: what matters is that the range reads as zeros.
 */
static bool blkjob_chunk_zero(struct blkjob_chunk *ch)
{
	struct bio *bio;

	ch->zeroing = ch->writing && !ch->no_zeroes &&
		      bdev_write_zeroes_sectors(ch->bdev) &&
		      blkjob_chunk_is_zero(ch);
	if (!ch->zeroing)
		return false;
	atomic_set(&ch->bios, 1);
	bio = bio_alloc(ch->bdev, 0, REQ_OP_WRITE_ZEROES, GFP_NOIO);
	bio->bi_iter.bi_sector = ch->pos >> SECTOR_SHIFT;
	bio->bi_iter.bi_size = ch->len;
	bio->bi_end_io = blkjob_chunk_end_io;
	bio->bi_private = ch;
	submit_bio(bio);
	return true;
}

/*
 * Workqueue context: build and submit the chunk's bios. The last bio's
 * completion may free the pool (the job ends): @ch is not touched after
 * the last submit_bio().
 */
static void blkjob_chunk_work(struct work_struct *work)
{
	struct blkjob_chunk *ch = container_of(work, struct blkjob_chunk, work);
	blk_opf_t opf = ch->writing ? REQ_OP_WRITE : REQ_OP_READ;
	unsigned int npages = DIV_ROUND_UP(ch->len, PAGE_SIZE);
	unsigned int nbios = DIV_ROUND_UP(npages, BIO_MAX_VECS);
	sector_t sector = ch->pos >> SECTOR_SHIFT;
	struct block_device *bdev = ch->bdev;
	unsigned int page = 0;
	u32 left = ch->len;
	struct blk_plug plug;

	if (blkjob_chunk_zero(ch))
		return;
	atomic_set(&ch->bios, nbios);
	blk_start_plug(&plug);
	while (nbios--) {
		unsigned int n = min_t(unsigned int, npages - page,
				       BIO_MAX_VECS);
		u32 before = left;
		struct bio *bio;

		bio = blkjob_chunk_bio(bdev, &ch->pages[page], n, opf, sector,
				       &left);
		bio->bi_end_io = blkjob_chunk_end_io;
		bio->bi_private = ch;
		page += n;
		sector += (before - left) >> SECTOR_SHIFT;
		if (bio->bi_status)
			bio_endio(bio);
		else
			submit_bio(bio);
	}
	blk_finish_plug(&plug);
}

/**
 * blkjob_chunk_submit() - read or write a chunk asynchronously
 * @ch: the chunk, with @pos and @len set
 * @bdev: the device
 * @write: write the buffer (else read into it)
 *
 * The chunk lands on the pool's done list when its I/O is over.
 *
 * Context: the job's kthread.
 */
void blkjob_chunk_submit(struct blkjob_chunk *ch, struct block_device *bdev,
			 bool write)
{
	ch->writing = write;
	ch->error = 0;
	ch->no_zeroes = false;
	ch->bdev = bdev;
	queue_work(blkjob_io_wq, &ch->work);
}

/**
 * blkjob_pool_reap() - take the chunks whose I/O completed
 * @pool: the pool
 * @done: gets them, in completion order; still counted in flight
 *
 * Context: the job's kthread.
 */
void blkjob_pool_reap(struct blkjob_pool *pool, struct list_head *done)
{
	spin_lock_irq(&pool->done_lock);
	list_splice_tail_init(&pool->done, done);
	spin_unlock_irq(&pool->done_lock);
}

/**
 * blkjob_pool_has_done() - has some chunk's I/O completed?
 * @pool: the pool
 *
 * Context: any; lockless, a wake-up condition.
 * Return: true when blkjob_pool_reap() would find a chunk.
 */
bool blkjob_pool_has_done(struct blkjob_pool *pool)
{
	return !list_empty_careful(&pool->done);
}

/**
 * blkjob_rw_sync() - read or write a buffer synchronously
 * @bdev: the device
 * @pages: the buffer, at least @len bytes
 * @pos: device offset in bytes
 * @len: bytes
 * @opf: REQ_OP_READ or REQ_OP_WRITE, with flags
 *
 * Context: process; sleeps.
 * Return: 0 or -errno.
 */
int blkjob_rw_sync(struct block_device *bdev, struct page **pages, u64 pos,
		   u32 len, blk_opf_t opf)
{
	unsigned int npages = DIV_ROUND_UP(len, PAGE_SIZE);
	sector_t sector = pos >> SECTOR_SHIFT;
	int err = 0;

	while (npages && !err) {
		unsigned int n = min_t(unsigned int, npages, BIO_MAX_VECS);
		u32 before = len;
		struct bio *bio;

		bio = blkjob_chunk_bio(bdev, pages, n, opf, sector, &len);
		err = bio->bi_status ? -EIO : submit_bio_wait(bio);
		bio_put(bio);
		pages += n;
		npages -= n;
		sector += (before - len) >> SECTOR_SHIFT;
	}
	return err;
}
