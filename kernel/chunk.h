/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The chunk engine shared by the job types (copy, mirror, backup): a pool of
 * buffers allocated when the job is created, each read from one device and
 * written to another asynchronously, completions handed to the job's
 * kthread. See chunk.c.
 */
#ifndef _BLKJOB_CHUNK_H
#define _BLKJOB_CHUNK_H

#include <linux/blkdev.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct blkjob;
struct block_device;
struct page;

/**
 * struct blkjob_chunk - one buffer of a pool
 * @list: on the pool's free or done list; the pool's
 * @node: for the job type (mirror: its list of copies in flight)
 * @pool: the pool
 * @pages: the buffer
 * @pos: device offset in bytes
 * @len: bytes
 * @index: the granule being copied; the job type's
 * @tainted: the job type's flag (mirror: a write overlapped the copy)
 * @writing: the I/O in flight, or that failed, is the write
 * @zeroing: that write goes out as a WRITE_ZEROES (an all-zero buffer)
 * @no_zeroes: the device refused it (NOTSUPP): write the buffer instead
 * @bios: bios still in flight
 * @error: the first bio error, set from bio completions
 * @bdev: the device of the I/O being submitted
 * @work: submits the I/O on blkjob_io_wq
 */
struct blkjob_chunk {
	struct list_head list;
	struct list_head node;
	struct blkjob_pool *pool;
	struct page **pages;
	u64 pos;
	u32 len;
	unsigned long index;
	bool tainted;
	bool writing;
	bool zeroing;
	bool no_zeroes;
	atomic_t bios;
	int error;
	struct block_device *bdev;
	struct work_struct work;
};

/**
 * struct blkjob_pool - the chunk buffers of a job
 * @job: the job, woken when a chunk's I/O completes
 * @nr_chunks: chunks in the pool
 * @pages_per_chunk: pages per chunk
 * @chunks: the chunks
 * @pages: every page of the pool
 * @free: idle chunks; kthread only
 * @in_flight: chunks not idle; kthread only
 * @done_lock: protects @done; taken from bio completions
 * @done: chunks whose I/O completed
 */
struct blkjob_pool {
	struct blkjob *job;
	unsigned int nr_chunks;
	unsigned int pages_per_chunk;
	struct blkjob_chunk *chunks;
	struct page **pages;
	struct list_head free;
	unsigned int in_flight;
	spinlock_t done_lock;
	struct list_head done;
};

struct blkjob_params;
struct netlink_ext_ack;

/* Most chunks in flight: bounds the pool for small granularities. */
#define BLKJOB_MAX_CHUNKS 256

/*
 * The granules [*first, *last] that @sectors (> 0) sectors at @sector
 * touch, for a device of @len bytes cut in granules of 1 << @shift bytes.
 */
static inline void blkjob_granules(u64 len, unsigned int shift,
				   sector_t sector, unsigned int sectors,
				   unsigned long *first, unsigned long *last)
{
	u64 pos = (u64)sector << SECTOR_SHIFT;
	u64 end = min_t(u64, pos + ((u64)sectors << SECTOR_SHIFT), len);

	*first = pos >> shift;
	*last = end > pos ? (end - 1) >> shift : *first;
}

int blkjob_io_init(void);
void blkjob_io_exit(void);
int blkjob_chunk_sizing(struct blkjob *job, const struct blkjob_params *p,
			struct block_device *src, struct block_device *dst,
			u32 def_gran, unsigned int *nr_chunks,
			struct netlink_ext_ack *extack);
int blkjob_pool_init(struct blkjob_pool *pool, struct blkjob *job,
		     u32 chunk_size, unsigned int nr_chunks);
void blkjob_pool_destroy(struct blkjob_pool *pool);
struct blkjob_chunk *blkjob_chunk_get(struct blkjob_pool *pool);
void blkjob_chunk_put(struct blkjob_chunk *ch);
void blkjob_chunk_submit(struct blkjob_chunk *ch, struct block_device *bdev,
			 bool write);
void blkjob_pool_reap(struct blkjob_pool *pool, struct list_head *done);
bool blkjob_pool_has_done(struct blkjob_pool *pool);
int blkjob_rw_sync(struct block_device *bdev, struct page **pages, u64 pos,
		   u32 len, blk_opf_t opf);

#endif /* _BLKJOB_CHUNK_H */
