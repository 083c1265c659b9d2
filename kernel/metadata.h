/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The metadata device: state of recorded devices that outlives the host.
 * On-disk format and commit protocol: Documentation/blkjob/metadata.md.
 */
#ifndef _BLKJOB_METADATA_H
#define _BLKJOB_METADATA_H

#include <linux/types.h>

struct block_device;
struct blkjob_md;

#define BLKJOB_MD_NAME_LEN	128	/* dm name, NUL included */
#define BLKJOB_MD_UUID_LEN	136	/* dm uuid (129), NUL included */
#define BLKJOB_MD_ID_LEN	112	/* a member's stable identity */

/**
 * struct blkjob_md_dev - one recorded device, decoded
 * @name: its dm name
 * @dm_uuid: its dm uuid, the record's key
 * @sectors: its size in 512-byte sectors
 * @state: &enum blkjob_meta_state
 * @source_id: stable identity of the device it maps onto before a move
 * @dest_id: of the move's destination, empty when none
 */
struct blkjob_md_dev {
	char name[BLKJOB_MD_NAME_LEN];
	char dm_uuid[BLKJOB_MD_UUID_LEN];
	u64 sectors;
	u32 state;
	char source_id[BLKJOB_MD_ID_LEN];
	char dest_id[BLKJOB_MD_ID_LEN];
};

/**
 * struct blkjob_md_info - what a metadata device says about itself
 * @uuid: the metadata device's uuid, made at format
 * @generation: of the committed slot
 * @nr_devs: records in use
 * @capacity: records it can hold
 */
struct blkjob_md_info {
	u8 uuid[16];
	u64 generation;
	u32 nr_devs;
	u32 capacity;
};

int blkjob_md_format(const char *path, struct blkjob_md_info *info,
		     const char **why);
struct blkjob_md *blkjob_md_open(const char *path, const char **why);
struct blkjob_md *blkjob_md_get(struct block_device *bdev, const char **why);
void blkjob_md_put(struct blkjob_md *md);

void blkjob_md_info(struct blkjob_md *md, struct blkjob_md_info *info);
int blkjob_md_dev_at(struct blkjob_md *md, u32 index,
		     struct blkjob_md_dev *dev);
int blkjob_md_find(struct blkjob_md *md, const char *dm_uuid,
		   struct blkjob_md_dev *dev);
int blkjob_md_set(struct blkjob_md *md, const struct blkjob_md_dev *dev);
int blkjob_md_del(struct blkjob_md *md, const char *dm_uuid);

#endif /* _BLKJOB_METADATA_H */
