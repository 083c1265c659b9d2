// SPDX-License-Identifier: GPL-2.0
/*
 * The metadata device (Documentation/blkjob/metadata.md): a label, two
 * superblock slots and two record tables. A commit writes the new table
 * into the area the committed slot does not use, then that slot's twin
 * with a flush before and FUA after; loading picks the valid slot with the
 * highest generation. A torn commit therefore leaves the previous one.
 *
 * One object per metadata device, shared by every table that names it and
 * by the netlink requests that read or change it: only this file writes
 * the device while the module holds it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/crc32.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uuid.h>

#include <uapi/linux/blkjob.h>

#include "compat.h"
#include "metadata.h"

#define MD_BLOCK		4096
#define MD_MAGIC		"BLKJOBMD"
#define MD_SLOT_MAGIC		"BJMDSLOT"
#define MD_MAJOR		1
#define MD_MINOR		0
#define MD_TABLE_BLOCKS		16
#define MD_REC_SIZE		512
#define MD_REC_DEVICE		1
#define MD_MIN_BYTES		(1024 * 1024)

/* Block 0, written at format only. */
struct md_label {
	char magic[8];
	__le32 major;
	__le32 minor;
	__le64 incompat;
	__le64 ro_compat;
	__le64 compat;
	u8 uuid[16];
	__le32 block_size;
	__le32 table_blocks;
	__le64 slot_block[2];
	__le64 table_block[2];
	__le64 data_block;
	__le64 nr_blocks;
	__le64 format_time;
	u8 pad[MD_BLOCK - 124];
	__le32 crc;
} __packed;

/* Blocks 1 and 2: generation g lives in slot g % 2, with table g % 2. */
struct md_slot {
	char magic[8];
	u8 uuid[16];
	__le64 generation;
	__le64 commit_time;
	__le32 index;
	__le32 nr_records;
	__le32 table_crc;
	u8 pad[MD_BLOCK - 56];
	__le32 crc;
} __packed;

struct md_rec {
	__le32 type;
	__le32 state;
	__le64 sectors;
	char name[BLKJOB_MD_NAME_LEN];
	char dm_uuid[BLKJOB_MD_UUID_LEN];
	char source_id[BLKJOB_MD_ID_LEN];
	char dest_id[BLKJOB_MD_ID_LEN];
	u8 reserved[8];
} __packed;

#define MD_CAPACITY	(MD_TABLE_BLOCKS * MD_BLOCK / MD_REC_SIZE)

/**
 * struct blkjob_md - an open metadata device
 * @node: in md_list; md_list_mutex
 * @refs: md_list_mutex
 * @bdev: the device (a table's, or @own's)
 * @own: our own exclusive open, when no table had it
 * @lock: serialises commits; protects everything below
 * @uuid: from the label
 * @slot_block: where the slots are
 * @table_block: where their tables are
 * @generation: of the committed slot
 * @nr: records in use
 * @devs: the committed records, @nr of MD_CAPACITY
 * @next: scratch for the records being committed
 * @buf: scratch for I/O, one table long
 */
struct blkjob_md {
	struct list_head node;
	unsigned int refs;
	struct block_device *bdev;
	struct blkjob_bdev own;
	struct mutex lock;
	u8 uuid[16];
	u64 slot_block[2];
	u64 table_block[2];
	u64 generation;
	u32 nr;
	struct blkjob_md_dev *devs;
	struct blkjob_md_dev *next;
	void *buf;
};

/* Every open metadata device, by its bdev. */
static DEFINE_MUTEX(md_list_mutex);
static LIST_HEAD(md_list);

static u32 md_crc(const void *p, size_t len)
{
	return crc32_le(~0U, p, len) ^ ~0U;
}

/* Synchronous I/O of whole blocks from or to a kmalloc'ed buffer. */
static int md_io(struct block_device *bdev, blk_opf_t opf, u64 block,
		 void *buf, unsigned int blocks)
{
	unsigned int pages = blocks * (MD_BLOCK / PAGE_SIZE);
	struct bio *bio;
	unsigned int i;
	int err;

	bio = bio_alloc(bdev, pages, opf | REQ_SYNC | REQ_META, GFP_KERNEL);
	bio->bi_iter.bi_sector = block * (MD_BLOCK >> SECTOR_SHIFT);
	for (i = 0; i < pages; i++)
		__bio_add_page(bio, virt_to_page(buf + i * PAGE_SIZE),
			       PAGE_SIZE, 0);
	err = submit_bio_wait(bio);
	bio_put(bio);
	return err;
}

static bool md_str_ok(const char *s, size_t len)
{
	return memchr(s, '\0', len);
}

static int md_decode(struct blkjob_md *md, u32 nr, const char **why)
{
	const struct md_rec *r = md->buf;
	struct blkjob_md_dev *d;
	u32 i;

	for (i = 0; i < nr; i++, r++) {
		d = &md->devs[i];
		if (le32_to_cpu(r->type) != MD_REC_DEVICE ||
		    le32_to_cpu(r->state) > BLKJOB_META_STATE_RETIRED ||
		    !md_str_ok(r->name, sizeof(r->name)) ||
		    !md_str_ok(r->dm_uuid, sizeof(r->dm_uuid)) ||
		    !md_str_ok(r->source_id, sizeof(r->source_id)) ||
		    !md_str_ok(r->dest_id, sizeof(r->dest_id))) {
			*why = "A record on the metadata device is damaged";
			return -EUCLEAN;
		}
		strscpy(d->name, r->name, sizeof(d->name));
		strscpy(d->dm_uuid, r->dm_uuid, sizeof(d->dm_uuid));
		strscpy(d->source_id, r->source_id, sizeof(d->source_id));
		strscpy(d->dest_id, r->dest_id, sizeof(d->dest_id));
		d->sectors = le64_to_cpu(r->sectors);
		d->state = le32_to_cpu(r->state);
	}
	md->nr = nr;
	return 0;
}

static unsigned int md_table_blocks(u32 nr)
{
	return DIV_ROUND_UP(nr * MD_REC_SIZE, MD_BLOCK);
}

/* Read slot @i and its table; 0 and its generation if both are sound. */
static int md_read_slot(struct blkjob_md *md, unsigned int i, u64 *gen,
			u32 *nr)
{
	struct md_slot *s = md->buf;
	u32 n;

	if (md_io(md->bdev, REQ_OP_READ, md->slot_block[i], s, 1))
		return -EIO;
	if (memcmp(s->magic, MD_SLOT_MAGIC, 8))
		return -ENODATA;
	if (md_crc(s, offsetof(struct md_slot, crc)) != le32_to_cpu(s->crc) ||
	    memcmp(s->uuid, md->uuid, 16) || le32_to_cpu(s->index) != i ||
	    le64_to_cpu(s->generation) % 2 != i)
		return -EUCLEAN;
	*gen = le64_to_cpu(s->generation);
	n = le32_to_cpu(s->nr_records);
	if (n > MD_CAPACITY)
		return -EUCLEAN;
	*nr = n;
	if (!n)
		return le32_to_cpu(s->table_crc) == md_crc(md->buf, 0) ?
		       0 : -EUCLEAN;
	n = le32_to_cpu(s->table_crc);
	if (md_io(md->bdev, REQ_OP_READ, md->table_block[i], md->buf,
		  md_table_blocks(*nr)))
		return -EIO;
	return md_crc(md->buf, *nr * MD_REC_SIZE) == n ? 0 : -EUCLEAN;
}

static int md_check_label(struct blkjob_md *md, const char **why)
{
	struct md_label *l = md->buf;
	unsigned int i;

	if (md_io(md->bdev, REQ_OP_READ, 0, l, 1)) {
		*why = "Cannot read the metadata device";
		return -EIO;
	}
	if (memcmp(l->magic, MD_MAGIC, 8)) {
		*why = "Not a blkjob metadata device (no label; format it first)";
		return -EMEDIUMTYPE;
	}
	if (md_crc(l, offsetof(struct md_label, crc)) != le32_to_cpu(l->crc)) {
		*why = "The metadata device's label is damaged";
		return -EUCLEAN;
	}
	if (le32_to_cpu(l->major) != MD_MAJOR || l->incompat) {
		*why = "The metadata device has a format this module does not know";
		return -EOPNOTSUPP;
	}
	if (le32_to_cpu(l->block_size) != MD_BLOCK ||
	    le32_to_cpu(l->table_blocks) != MD_TABLE_BLOCKS) {
		*why = "The metadata device's geometry is not one this module knows";
		return -EOPNOTSUPP;
	}
	memcpy(md->uuid, l->uuid, 16);
	for (i = 0; i < 2; i++) {
		md->slot_block[i] = le64_to_cpu(l->slot_block[i]);
		md->table_block[i] = le64_to_cpu(l->table_block[i]);
	}
	return 0;
}

static int md_load(struct blkjob_md *md, const char **why)
{
	u64 gen[2] = { 0, 0 };
	int err[2];
	u32 nr[2];
	unsigned int i, best;

	if (bdev_logical_block_size(md->bdev) > MD_BLOCK) {
		*why = "The metadata device's logical block size exceeds 4096";
		return -EINVAL;
	}
	err[0] = md_check_label(md, why);
	if (err[0])
		return err[0];
	for (i = 0; i < 2; i++)
		err[i] = md_read_slot(md, i, &gen[i], &nr[i]);
	if (err[0] && err[1]) {
		*why = "The metadata device has no valid superblock slot";
		return err[0] == -EIO || err[1] == -EIO ? -EIO : -EUCLEAN;
	}
	best = err[0] || (!err[1] && gen[1] > gen[0]) ? 1 : 0;
	/* A slot never written has no magic; a damaged one is news. */
	if (err[best ^ 1] && err[best ^ 1] != -ENODATA)
		pr_notice("metadata %pg: slot %u is damaged; generation %llu in use\n",
			  md->bdev, best ^ 1, gen[best]);
	/* Slot 1 was read last: slot 0's table is no longer in the buffer. */
	if (best == 0 && md_read_slot(md, 0, &gen[0], &nr[0])) {
		*why = "Cannot read the metadata device";
		return -EIO;
	}
	md->generation = gen[best];
	return md_decode(md, nr[best], why);
}

static void md_encode(struct blkjob_md *md, const struct blkjob_md_dev *devs,
		      u32 nr)
{
	struct md_rec *r = md->buf;
	u32 i;

	memset(md->buf, 0, MD_TABLE_BLOCKS * MD_BLOCK);
	for (i = 0; i < nr; i++, r++) {
		r->type = cpu_to_le32(MD_REC_DEVICE);
		r->state = cpu_to_le32(devs[i].state);
		r->sectors = cpu_to_le64(devs[i].sectors);
		strscpy(r->name, devs[i].name, sizeof(r->name));
		strscpy(r->dm_uuid, devs[i].dm_uuid, sizeof(r->dm_uuid));
		strscpy(r->source_id, devs[i].source_id, sizeof(r->source_id));
		strscpy(r->dest_id, devs[i].dest_id, sizeof(r->dest_id));
	}
}

static void md_fill_slot(struct md_slot *s, const u8 *uuid, u64 gen, u32 nr,
			 u32 table_crc)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->magic, MD_SLOT_MAGIC, 8);
	memcpy(s->uuid, uuid, 16);
	s->generation = cpu_to_le64(gen);
	s->commit_time = cpu_to_le64(ktime_get_real_seconds());
	s->index = cpu_to_le32(gen % 2);
	s->nr_records = cpu_to_le32(nr);
	s->table_crc = cpu_to_le32(table_crc);
	s->crc = cpu_to_le32(md_crc(s, offsetof(struct md_slot, crc)));
}

/*
 * Commit @nr records of @md->next as the next generation: its table into
 * the area the committed slot does not use, then its slot, after a flush
 * (the table is durable before the slot that points at it) and with FUA
 * (the commit is durable when this returns). On failure nothing changes
 * in memory, and on disk the previous generation still wins.
 */
static int md_commit(struct blkjob_md *md, u32 nr)
{
	u64 gen = md->generation + 1;
	unsigned int i = gen % 2;
	u32 crc;
	int err;

	lockdep_assert_held(&md->lock);
	md_encode(md, md->next, nr);
	crc = md_crc(md->buf, nr * MD_REC_SIZE);
	if (nr) {
		err = md_io(md->bdev, REQ_OP_WRITE, md->table_block[i],
			    md->buf, md_table_blocks(nr));
		if (err)
			return err;
	}
	md_fill_slot(md->buf, md->uuid, gen, nr, crc);
	err = md_io(md->bdev, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA,
		    md->slot_block[i], md->buf, 1);
	if (err)
		return err;
	md->generation = gen;
	md->nr = nr;
	swap(md->devs, md->next);
	return 0;
}

static struct blkjob_md *md_alloc(struct block_device *bdev)
{
	struct blkjob_md *md;

	BUILD_BUG_ON(sizeof(struct md_label) != MD_BLOCK);
	BUILD_BUG_ON(sizeof(struct md_slot) != MD_BLOCK);
	BUILD_BUG_ON(sizeof(struct md_rec) != MD_REC_SIZE);
	md = kzalloc(sizeof(*md), GFP_KERNEL);
	if (!md)
		return NULL;
	md->devs = kcalloc(MD_CAPACITY, sizeof(*md->devs), GFP_KERNEL);
	md->next = kcalloc(MD_CAPACITY, sizeof(*md->next), GFP_KERNEL);
	md->buf = kzalloc(MD_TABLE_BLOCKS * MD_BLOCK, GFP_KERNEL);
	if (!md->devs || !md->next || !md->buf) {
		kfree(md->devs);
		kfree(md->next);
		kfree(md->buf);
		kfree(md);
		return NULL;
	}
	md->bdev = bdev;
	md->refs = 1;
	mutex_init(&md->lock);
	INIT_LIST_HEAD(&md->node);
	return md;
}

static void md_free(struct blkjob_md *md)
{
	blkjob_bdev_close(&md->own);
	kfree(md->devs);
	kfree(md->next);
	kfree(md->buf);
	kfree(md);
}

static struct blkjob_md *md_lookup(dev_t devt)
{
	struct blkjob_md *md;

	lockdep_assert_held(&md_list_mutex);
	list_for_each_entry(md, &md_list, node) {
		if (md->bdev->bd_dev == devt) {
			md->refs++;
			return md;
		}
	}
	return NULL;
}

/* Load @md and publish it; md_list_mutex held. */
static struct blkjob_md *md_publish(struct blkjob_md *md, const char **why)
{
	int err = md_load(md, why);

	if (err) {
		md_free(md);
		return ERR_PTR(err);
	}
	list_add(&md->node, &md_list);
	return md;
}

/**
 * blkjob_md_get() - the metadata object of a device a table opened
 * @bdev: the metadata device, held open by the caller until the put
 * @why: set to a message for the user on failure
 *
 * Context: process; sleeps (reads the device the first time).
 * Return: the object (put it with blkjob_md_put()), or an ERR_PTR:
 * -EMEDIUMTYPE not formatted, -EUCLEAN damaged, -EOPNOTSUPP unknown
 * format, -EIO, -ENOMEM.
 */
struct blkjob_md *blkjob_md_get(struct block_device *bdev, const char **why)
{
	struct blkjob_md *md;

	mutex_lock(&md_list_mutex);
	md = md_lookup(bdev->bd_dev);
	if (!md) {
		md = md_alloc(bdev);
		md = md ? md_publish(md, why) : ERR_PTR(-ENOMEM);
	}
	mutex_unlock(&md_list_mutex);
	if (IS_ERR(md) && PTR_ERR(md) == -ENOMEM)
		*why = "Cannot allocate the metadata object";
	return md;
}

static int md_open_own(struct blkjob_bdev *own, const char *path,
		       const char **why)
{
	int err = blkjob_bdev_open(own, path, true, &md_list);

	if (err == -EBUSY)
		*why = "The metadata device is in use";
	else if (err)
		*why = "Cannot open the metadata device";
	return err;
}

/**
 * blkjob_md_open() - the metadata object of a device named by path
 * @path: the metadata device
 * @why: set to a message for the user on failure
 *
 * Uses the object of a table that holds the device, else opens the device
 * exclusively until the put.
 *
 * Context: process; sleeps.
 * Return: the object, or an ERR_PTR as blkjob_md_get() returns, or the
 * open's error (-EBUSY: someone else holds the device).
 */
struct blkjob_md *blkjob_md_open(const char *path, const char **why)
{
	struct blkjob_bdev own = { };
	struct blkjob_md *md;
	dev_t devt;
	int err;

	err = lookup_bdev(path, &devt);
	if (err) {
		*why = "No such block device";
		return ERR_PTR(err);
	}
	mutex_lock(&md_list_mutex);
	md = md_lookup(devt);
	if (md)
		goto out;
	err = md_open_own(&own, path, why);
	if (err) {
		md = ERR_PTR(err);
		goto out;
	}
	md = md_alloc(own.bdev);
	if (!md) {
		blkjob_bdev_close(&own);
		*why = "Cannot allocate the metadata object";
		md = ERR_PTR(-ENOMEM);
		goto out;
	}
	md->own = own;
	md = md_publish(md, why);
out:
	mutex_unlock(&md_list_mutex);
	return md;
}

/**
 * blkjob_md_put() - drop a reference from get or open
 * @md: the object
 *
 * Context: process.
 */
void blkjob_md_put(struct blkjob_md *md)
{
	mutex_lock(&md_list_mutex);
	if (--md->refs) {
		mutex_unlock(&md_list_mutex);
		return;
	}
	list_del(&md->node);
	mutex_unlock(&md_list_mutex);
	md_free(md);
}

static void md_fill_label(struct md_label *l, u64 bytes)
{
	unsigned int i;

	memset(l, 0, sizeof(*l));
	memcpy(l->magic, MD_MAGIC, 8);
	l->major = cpu_to_le32(MD_MAJOR);
	l->minor = cpu_to_le32(MD_MINOR);
	generate_random_uuid(l->uuid);
	l->block_size = cpu_to_le32(MD_BLOCK);
	l->table_blocks = cpu_to_le32(MD_TABLE_BLOCKS);
	for (i = 0; i < 2; i++) {
		l->slot_block[i] = cpu_to_le64(1 + i);
		l->table_block[i] = cpu_to_le64(3 + i * MD_TABLE_BLOCKS);
	}
	l->data_block = cpu_to_le64(3 + 2 * MD_TABLE_BLOCKS);
	l->nr_blocks = cpu_to_le64(bytes / MD_BLOCK);
	l->format_time = cpu_to_le64(ktime_get_real_seconds());
	l->crc = cpu_to_le32(md_crc(l, offsetof(struct md_label, crc)));
}

/* Label, an invalid slot 0, then generation 1 in slot 1, flushed. */
static int md_write_new(struct block_device *bdev, void *buf, u8 *uuid)
{
	u64 bytes = bdev_nr_bytes(bdev);
	int err;

	md_fill_label(buf, bytes);
	memcpy(uuid, ((struct md_label *)buf)->uuid, 16);
	err = md_io(bdev, REQ_OP_WRITE, 0, buf, 1);
	if (err)
		return err;
	memset(buf, 0, MD_BLOCK);
	err = md_io(bdev, REQ_OP_WRITE, 1, buf, 1);
	if (err)
		return err;
	md_fill_slot(buf, uuid, 1, 0, md_crc(buf, 0));
	return md_io(bdev, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA, 2, buf, 1);
}

/**
 * blkjob_md_format() - write an empty metadata device
 * @path: the device, which nothing may hold
 * @info: what it says about itself afterwards
 * @why: set to a message for the user on failure
 *
 * Context: process; sleeps.
 * Return: 0, -EBUSY (in use), -EINVAL (too small, blocks too large), or
 * an I/O or open error.
 */
int blkjob_md_format(const char *path, struct blkjob_md_info *info,
		     const char **why)
{
	struct blkjob_bdev own = { };
	struct blkjob_md *md;
	dev_t devt;
	void *buf;
	int err;

	err = lookup_bdev(path, &devt);
	if (err) {
		*why = "No such block device";
		return err;
	}
	mutex_lock(&md_list_mutex);
	md = md_lookup(devt);
	if (md) {
		md->refs--;
		*why = "The metadata device is in use by blkjob";
		err = -EBUSY;
		goto unlock;
	}
	err = md_open_own(&own, path, why);
	if (err)
		goto unlock;
	err = -EINVAL;
	if (bdev_nr_bytes(own.bdev) < MD_MIN_BYTES) {
		*why = "A metadata device needs at least 1 MiB";
		goto close;
	}
	if (bdev_logical_block_size(own.bdev) > MD_BLOCK) {
		*why = "The metadata device's logical block size exceeds 4096";
		goto close;
	}
	err = -ENOMEM;
	buf = kzalloc(MD_BLOCK, GFP_KERNEL);
	if (!buf) {
		*why = "Cannot allocate a block";
		goto close;
	}
	memset(info, 0, sizeof(*info));
	err = md_write_new(own.bdev, buf, info->uuid);
	kfree(buf);
	if (err) {
		*why = "Cannot write the metadata device";
		goto close;
	}
	info->generation = 1;
	info->capacity = MD_CAPACITY;
close:
	blkjob_bdev_close(&own);
unlock:
	mutex_unlock(&md_list_mutex);
	return err;
}

/**
 * blkjob_md_info() - what the committed state says
 * @md: the object
 * @info: filled in
 *
 * Context: process.
 */
void blkjob_md_info(struct blkjob_md *md, struct blkjob_md_info *info)
{
	mutex_lock(&md->lock);
	memcpy(info->uuid, md->uuid, 16);
	info->generation = md->generation;
	info->nr_devs = md->nr;
	info->capacity = MD_CAPACITY;
	mutex_unlock(&md->lock);
}

/**
 * blkjob_md_dev_at() - the committed record at @index
 * @md: the object
 * @index: from 0
 * @dev: filled in
 *
 * Context: process.
 * Return: 0, or -ENOENT past the last record.
 */
int blkjob_md_dev_at(struct blkjob_md *md, u32 index,
		     struct blkjob_md_dev *dev)
{
	int err = -ENOENT;

	mutex_lock(&md->lock);
	if (index < md->nr) {
		*dev = md->devs[index];
		err = 0;
	}
	mutex_unlock(&md->lock);
	return err;
}

static int md_index(struct blkjob_md *md, const char *dm_uuid)
{
	u32 i;

	for (i = 0; i < md->nr; i++)
		if (!strcmp(md->devs[i].dm_uuid, dm_uuid))
			return i;
	return -ENOENT;
}

/**
 * blkjob_md_find() - the committed record of a device
 * @md: the object
 * @dm_uuid: the device's dm uuid
 * @dev: filled in
 *
 * Context: process.
 * Return: 0 or -ENOENT.
 */
int blkjob_md_find(struct blkjob_md *md, const char *dm_uuid,
		   struct blkjob_md_dev *dev)
{
	int i;

	mutex_lock(&md->lock);
	i = md_index(md, dm_uuid);
	if (i >= 0)
		*dev = md->devs[i];
	mutex_unlock(&md->lock);
	return i < 0 ? i : 0;
}

/**
 * blkjob_md_set() - add or replace a device's record, and commit
 * @md: the object
 * @dev: the record; its dm uuid is the key
 *
 * Context: process; sleeps until the commit is durable.
 * Return: 0, -ENOSPC (no free record), or the commit's I/O error (then
 * the committed state is unchanged).
 */
int blkjob_md_set(struct blkjob_md *md, const struct blkjob_md_dev *dev)
{
	u32 nr;
	int i, err;

	mutex_lock(&md->lock);
	nr = md->nr;
	memcpy(md->next, md->devs, nr * sizeof(*dev));
	i = md_index(md, dev->dm_uuid);
	if (i < 0) {
		err = -ENOSPC;
		if (nr == MD_CAPACITY)
			goto unlock;
		i = nr++;
	}
	md->next[i] = *dev;
	err = md_commit(md, nr);
unlock:
	mutex_unlock(&md->lock);
	return err;
}

/**
 * blkjob_md_del() - remove a device's record, and commit
 * @md: the object
 * @dm_uuid: the device's dm uuid
 *
 * Context: process; sleeps until the commit is durable.
 * Return: 0, -ENOENT, or the commit's I/O error.
 */
int blkjob_md_del(struct blkjob_md *md, const char *dm_uuid)
{
	u32 nr;
	int i, err;

	mutex_lock(&md->lock);
	i = md_index(md, dm_uuid);
	err = i;
	if (i < 0)
		goto unlock;
	nr = md->nr;
	memcpy(md->next, md->devs, nr * sizeof(*md->devs));
	memmove(&md->next[i], &md->next[i + 1],
		(nr - i - 1) * sizeof(*md->devs));
	err = md_commit(md, nr - 1);
unlock:
	mutex_unlock(&md->lock);
	return err;
}

