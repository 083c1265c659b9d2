// SPDX-License-Identifier: GPL-2.0
/*
 * The copy job: a whole source block device onto a target block device,
 * both held exclusively by the job (nobody else writes them meanwhile).
 *
 * It runs on the chunk engine (chunk.c): each chunk reads granularity
 * bytes of the source into its pages, then writes the same pages to the
 * target; up to buf-size / granularity chunks are in flight. The kthread
 * submits the write of what was read, accounts progress, applies the error
 * policies, rate-limits new reads and honours pauses and cancels. The
 * target is flushed at the end.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/log2.h>
#include <linux/slab.h>

#include "blkjob.h"
#include "chunk.h"
#include "compat.h"

/**
 * struct copy - the copy job's state
 * @job: the job
 * @src: the source device
 * @dst: the target device
 * @len: bytes to copy (the source's size)
 * @pool: the chunk buffers
 * @retry: chunks whose I/O failed under the stop policy; kthread only
 * @nr_retry: chunks on @retry (the pool counts them in flight)
 * @next_pos: next offset to read; kthread only
 * @error: the error that ends the job; kthread only
 */
struct copy {
	struct blkjob *job;
	struct blkjob_bdev src;
	struct blkjob_bdev dst;
	u64 len;
	struct blkjob_pool pool;
	struct list_head retry;
	unsigned int nr_retry;
	u64 next_pos;
	int error;
};

static void copy_submit(struct copy *c, struct blkjob_chunk *ch, bool write)
{
	blkjob_chunk_submit(ch, write ? c->dst.bdev : c->src.bdev, write);
}

static bool copy_stopping(struct copy *c)
{
	return c->error || blkjob_is_cancelled(c->job);
}

/* A chunk's I/O failed: what its error policy says. */
static void copy_failed(struct copy *c, struct blkjob_chunk *ch)
{
	enum blkjob_io_operation op = ch->writing ? BLKJOB_IO_OPERATION_WRITE :
						    BLKJOB_IO_OPERATION_READ;

	switch (blkjob_error_action(c->job, op, ch->error)) {
	case BLKJOB_ERROR_ACTION_IGNORE:
		blkjob_progress(c->job, ch->len);
		blkjob_chunk_put(ch);
		break;
	case BLKJOB_ERROR_ACTION_STOP:
		/* The job pauses; resume retries this very I/O. */
		list_add_tail(&ch->list, &c->retry);
		c->nr_retry++;
		break;
	default:
		if (!c->error) {
			c->error = ch->error;
			blkjob_set_error(c->job, "%s error at offset %llu: %d",
					 ch->writing ? "write" : "read",
					 ch->pos, ch->error);
		}
		blkjob_chunk_put(ch);
		break;
	}
}

/* Take in completed chunks: write what was read, account what was written. */
static void copy_reap(struct copy *c)
{
	struct blkjob_chunk *ch, *tmp;
	LIST_HEAD(done);

	blkjob_pool_reap(&c->pool, &done);
	list_for_each_entry_safe(ch, tmp, &done, list) {
		list_del(&ch->list);
		if (copy_stopping(c)) {
			blkjob_chunk_put(ch);
		} else if (ch->error) {
			copy_failed(c, ch);
		} else if (!ch->writing) {
			copy_submit(c, ch, true);
		} else {
			blkjob_progress(c->job, ch->len);
			blkjob_chunk_put(ch);
		}
	}
}

static bool copy_io_done(struct blkjob *job)
{
	struct copy *c = job->priv;

	return blkjob_pool_has_done(&c->pool);
}

/* Wait for in-flight I/O only: draining before a pause or the end. */
static void copy_wait_io(struct copy *c)
{
	wait_event_interruptible_timeout(c->job->wq, copy_io_done(c->job), HZ);
}

/*
 * How much the next chunk moves: the granularity, or under a rate limit no
 * more than a slice's worth (but at least 64 KiB), so that a slow job
 * moves steadily rather than in bursts a second apart.
 */
static u32 copy_chunk_len(struct copy *c)
{
	u64 speed = READ_ONCE(c->job->speed);
	u32 len = c->job->granularity;

	if (speed && speed / 10 < len)
		len = max_t(u32, rounddown_pow_of_two(max_t(u64, speed / 10, 1)),
			    min_t(u32, len, BLKJOB_DEFAULT_GRANULARITY));
	return min_t(u64, len, c->len - c->next_pos);
}

/* Start reading the next chunk of the source; returns its length. */
static u32 copy_read_next(struct copy *c, struct blkjob_chunk *ch)
{
	ch->pos = c->next_pos;
	ch->len = copy_chunk_len(c);
	c->next_pos += ch->len;
	copy_submit(c, ch, false);
	return ch->len;
}

static int copy_run(struct blkjob *job)
{
	struct copy *c = job->priv;
	struct blkjob_chunk *ch;
	u64 deadline = 0;

	for (;;) {
		copy_reap(c);
		if (copy_stopping(c) || blkjob_pause_requested(job)) {
			/* Progress must not move once stopped or paused. */
			if (c->pool.in_flight > c->nr_retry) {
				copy_wait_io(c);
				continue;
			}
			if (copy_stopping(c))
				break;
			blkjob_pause_point(job);
			continue;
		}
		if (!list_empty(&c->retry)) {
			ch = list_first_entry(&c->retry, struct blkjob_chunk,
					      list);
			list_del(&ch->list);
			c->nr_retry--;
			copy_submit(c, ch, ch->writing);
			continue;
		}
		ch = c->next_pos < c->len && !deadline ?
		     blkjob_chunk_get(&c->pool) : NULL;
		if (ch) {
			deadline = blkjob_ratelimit(job, copy_read_next(c, ch));
			continue;
		}
		if (!c->pool.in_flight && c->next_pos >= c->len)
			break;
		blkjob_wait(job, &deadline, copy_io_done);
	}

	/* Cancelled while stopped: chunks waiting for a retry go back. */
	while ((ch = list_first_entry_or_null(&c->retry, struct blkjob_chunk,
					      list))) {
		list_del(&ch->list);
		c->nr_retry--;
		blkjob_chunk_put(ch);
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
		      const struct blkjob_params *p, unsigned int *nr_chunks,
		      struct netlink_ext_ack *extack)
{
	struct block_device *src = c->src.bdev, *dst = c->dst.bdev;
	unsigned int slbs = bdev_logical_block_size(src);
	unsigned int tlbs = bdev_logical_block_size(dst);
	u64 tlen = bdev_nr_bytes(dst);

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
	return blkjob_chunk_sizing(job, p, src, dst, BLKJOB_COPY_DEFAULT_CHUNK,
				   nr_chunks, extack);
}

static int copy_create(struct blkjob *job, const struct blkjob_params *p,
		       struct netlink_ext_ack *extack)
{
	unsigned int nr_chunks;
	struct copy *c;
	int err;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->job = job;
	INIT_LIST_HEAD(&c->retry);

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
	err = copy_check(job, c, p, &nr_chunks, extack);
	if (err)
		goto close;
	err = blkjob_pool_init(&c->pool, job, job->granularity, nr_chunks);
	if (err) {
		blkjob_errmsg(extack, NULL, "cannot allocate %llu bytes of buffers",
			      job->buf_size);
		goto pool;
	}

	blkjob_set_len(job, c->len);
	job->priv = c;
	return 0;

pool:
	blkjob_pool_destroy(&c->pool);
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

	blkjob_pool_destroy(&c->pool);
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
