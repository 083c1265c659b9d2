/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels blkjob builds on (6.1 and 6.12)
 * lives here, so that the rest of the code has no version checks.
 */
#ifndef _BLKJOB_COMPAT_H
#define _BLKJOB_COMPAT_H

#include <linux/blkdev.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/string.h>
#include <linux/version.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
#define BLKJOB_BDEV_FILE 1
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#error "blkjob supports Linux 6.1 to 6.4 and 6.9 onwards"
#endif

/* The write bit of an open mode, as dm_table_get_mode() returns it. */
#ifdef BLKJOB_BDEV_FILE
#define BLKJOB_MODE_WRITE BLK_OPEN_WRITE
#else
#define BLKJOB_MODE_WRITE FMODE_WRITE
#endif

/**
 * struct blkjob_bdev - a block device opened exclusively by a job
 * @bdev: the device
 * @file: the open file (6.9+)
 * @mode: the open mode (before 6.5)
 */
struct blkjob_bdev {
	struct block_device *bdev;
#ifdef BLKJOB_BDEV_FILE
	struct file *file;
#else
	fmode_t mode;
#endif
};

/*
 * Open @path exclusively with @holder, read-only or read-write. Returns 0
 * or the open's -errno (-EBUSY: someone else holds it exclusively; -EACCES:
 * write to a read-only device).
 */
static inline int blkjob_bdev_open(struct blkjob_bdev *b, const char *path,
				   bool write, void *holder)
{
#ifdef BLKJOB_BDEV_FILE
	blk_mode_t mode = BLK_OPEN_READ | (write ? BLK_OPEN_WRITE : 0);
	struct file *file;

	file = bdev_file_open_by_path(path, mode, holder, NULL);
	if (IS_ERR(file))
		return PTR_ERR(file);
	b->file = file;
	b->bdev = file_bdev(file);
#else
	fmode_t mode = FMODE_READ | FMODE_EXCL | (write ? FMODE_WRITE : 0);
	struct block_device *bdev;

	bdev = blkdev_get_by_path(path, mode, holder);
	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	b->bdev = bdev;
	b->mode = mode;
#endif
	return 0;
}

/* Release the device and its exclusive claim, synchronously; idempotent. */
static inline void blkjob_bdev_close(struct blkjob_bdev *b)
{
	if (!b->bdev)
		return;
#ifdef BLKJOB_BDEV_FILE
	bdev_fput(b->file);
	b->file = NULL;
#else
	blkdev_put(b->bdev, b->mode);
#endif
	b->bdev = NULL;
}

/*
 * Report a formatted extack message that must outlive the handler. Where
 * the extack has its own buffer (6.2+) and the message fits, use it;
 * otherwise return false and let the caller keep the text elsewhere.
 */
static inline bool blkjob_extack_copy(struct netlink_ext_ack *extack,
				      const char *msg)
{
#ifdef NETLINK_MAX_FMTMSG_LEN
	if (strlen(msg) < NETLINK_MAX_FMTMSG_LEN) {
		NL_SET_ERR_MSG_FMT(extack, "%s", msg);
		return true;
	}
#endif
	return false;
}

/* The attributes of a dump request, parsed with the op's policy. */
static inline struct nlattr **blkjob_dump_attrs(struct netlink_callback *cb)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	return genl_dumpit_info(cb)->info.attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

#endif /* _BLKJOB_COMPAT_H */
