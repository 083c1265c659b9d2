/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libblkjob: a small C library over libnl-genl-3 for the "blkjob" generic
 * netlink family (Documentation/netlink/specs/blkjob.yaml, the contract).
 *
 * Conventions:
 *  - Every call that talks to the kernel returns 0 on success or a negative
 *    errno, the kernel's own (libnl's error translation is bypassed).
 *  - After a failed call, blkjob_errmsg() holds the kernel's extended ack
 *    message (empty when it sent none) and blkjob_err_attr() the attribute it
 *    pointed at.
 *  - Names of enum values, attributes and events are the YNL names of the
 *    spec, so they read the same in blkjobctl, in JSON and in cli.py.
 *  - Optional fields of the structs below are marked present by a bit in a
 *    "present" mask: BLKJOB_F(BLKJOB_A_JOB_SPEED) and so on.
 *  - libblkjob.so.0 exports exactly the functions declared here, under the
 *    version node LIBBLKJOB_0 (libblkjob.map; tests/host/abi.sh). The
 *    structs are not yet opaque: until they are, a field change means a
 *    new soname.
 */
#ifndef LIBBLKJOB_H
#define LIBBLKJOB_H

#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/blkjob.h>

struct nlmsghdr;

/* Presence bit of attribute @attr (a BLKJOB_A_JOB_* value) in a mask. */
#define BLKJOB_F(attr)		(1ULL << (attr))
#define BLKJOB_HAS(mask, attr)	(!!((mask) & BLKJOB_F(attr)))

#define BLKJOB_ERRMSG_LEN	256
#define BLKJOB_JOB_ERROR_LEN	256

/* --------------------------------------------------------------------- */
/* Enum names                                                            */
/* --------------------------------------------------------------------- */

/*
 * For each enum of the spec: _str() returns the YNL name of a value, or NULL
 * for a value the library does not know (a newer kernel); _parse() returns
 * the value of a name, or -EINVAL.
 */
const char *blkjob_job_type_str(unsigned int v);
int blkjob_job_type_parse(const char *s);
const char *blkjob_job_status_str(unsigned int v);
int blkjob_job_status_parse(const char *s);
const char *blkjob_io_status_str(unsigned int v);
int blkjob_io_status_parse(const char *s);
const char *blkjob_error_policy_str(unsigned int v);
int blkjob_error_policy_parse(const char *s);
const char *blkjob_copy_mode_str(unsigned int v);
int blkjob_copy_mode_parse(const char *s);
const char *blkjob_sync_mode_str(unsigned int v);
int blkjob_sync_mode_parse(const char *s);
const char *blkjob_completion_mode_str(unsigned int v);
int blkjob_completion_mode_parse(const char *s);
const char *blkjob_io_operation_str(unsigned int v);
int blkjob_io_operation_parse(const char *s);
const char *blkjob_error_action_str(unsigned int v);
int blkjob_error_action_parse(const char *s);
const char *blkjob_meta_state_str(unsigned int v);
int blkjob_meta_state_parse(const char *s);

/*
 * The enums by their spec name ("job-status"), for generic code and tests:
 * the @i-th (NULL past the last), or the one named @name (NULL if none).
 */
struct blkjob_enum {
	const char *name;		/* spec name, e.g. "job-status" */
	const char *const *values;	/* indexed by value */
	unsigned int count;
};
const struct blkjob_enum *blkjob_enum_at(unsigned int i);
const struct blkjob_enum *blkjob_enum_find(const char *name);

/* YNL name of a job attribute (BLKJOB_A_JOB_*) or txn attribute. */
const char *blkjob_job_attr_str(unsigned int attr);
const char *blkjob_txn_attr_str(unsigned int attr);
/* Of the "meta" and "meta-dev" sets. */
const char *blkjob_meta_attr_str(unsigned int attr);
const char *blkjob_meta_dev_attr_str(unsigned int attr);

/* YNL name of a command or notification (BLKJOB_CMD_*): "job-status-ntf". */
const char *blkjob_cmd_str(unsigned int cmd);

/* --------------------------------------------------------------------- */
/* Sizes and speeds                                                      */
/* --------------------------------------------------------------------- */

/*
 * Parse a byte count: decimal digits with an optional binary unit K, M, G,
 * T, P or E (any case, optionally followed by "iB" or "B"; "50M" is
 * 50 MiB). A plain "B" suffix is allowed. Returns 0 or -EINVAL (garbage,
 * sign, empty) or -ERANGE (does not fit in 64 bits).
 */
int blkjob_parse_size(const char *s, uint64_t *out);

/* Like blkjob_parse_size(), also accepting a trailing "/s" ("50M/s"). */
int blkjob_parse_speed(const char *s, uint64_t *out);

/*
 * Format a byte count with the largest binary unit it reaches: exact values
 * as "64K", "16M"; others with one decimal, "1.5G"; below 1 KiB plain digits.
 * Exact results parse back to the same value. Returns @buf.
 */
char *blkjob_format_size(char *buf, size_t len, uint64_t v);

/* --------------------------------------------------------------------- */

/* One segment of a device-mapper table, as DM_TABLE_STATUS gives it. */
struct blkjob_dm_seg {
	const char *type;	/* target type: "linear", "crypt", ... */
	const char *params;	/* its parameters */
};

/*
 * Whether a live move (mirror, then pivot) of dm device @name, whose live
 * table is @segs[0..@n), keeps what the device is: only when every segment
 * is linear onto one and the same device. Returns 0; -EOPNOTSUPP when a
 * segment has another target (the move would drop that layer: a crypt
 * target's plaintext would reach the destination); -EXDEV when the table
 * spans several devices; -EINVAL for an empty table or unreadable
 * parameters. On error, @why (of @len bytes) says which and why, naming
 * the device and the target.
 */
int blkjob_dm_movable(const char *name, const struct blkjob_dm_seg *segs,
		      unsigned int n, char *why, size_t len);

/*
 * The one device beneath dm device @name, whose live table is
 * @segs[0..@n), when a move may go beneath it: every segment is linear,
 * crypt, delay or flakey, and every device the table names is the same one
 * (*@bottom). The device moves and the table keeps its targets, now on the
 * destination: a crypt device's destination receives the ciphertext.
 * Returns 0; -EOPNOTSUPP for another target; -EXDEV for a table on several
 * devices; -ENOKEY for a crypt key held in the kernel keyring that this
 * process's keyrings lack (the table cannot be loaded again; see
 * blkjob_crypt_keys_load()); -EINVAL for a table on no device. On error,
 * @why says which, naming the device and the target.
 */
int blkjob_dm_bottom(const char *name, const struct blkjob_dm_seg *segs,
		     unsigned int n, dev_t *bottom, char *why, size_t len);

/*
 * Copy table parameters @params to @out (of @len bytes) with every device
 * word that names @from ("major:minor") replaced by @to. Returns how many
 * were replaced, or -ENAMETOOLONG.
 */
int blkjob_dm_swap_dev(const char *params, dev_t from, dev_t to, char *out,
		       size_t len);

/* The device-mapper devices holding a block device (sysfs "holders"). */
struct blkjob_holders {
	unsigned int n;
	char (*names)[128];		/* dm names */
};

/*
 * Fill @h with the dm names of @dev's holders (none: n == 0). -EBUSY, with
 * @why, when a holder is not a dm device (md, bcache, ...). Release with
 * blkjob_holders_free().
 */
int blkjob_holders_get(dev_t dev, struct blkjob_holders *h, char *why,
		       size_t len);
void blkjob_holders_free(struct blkjob_holders *h);

/*
 * blkjob_holders_get(), and each holder can be moved off @dev: its whole
 * table sits on @dev alone, with targets blkjob_dm_bottom() accepts, and
 * it is neither suspended nor holding an inactive table. Returns 0 or the
 * first refusal's error, with @why.
 */
int blkjob_holders_check(dev_t dev, struct blkjob_holders *h, char *why,
			 size_t len);

/*
 * Reload every dm device holding @from (but @to itself) with @from
 * replaced by @to, and resume each (draining its I/O, without freezing a
 * filesystem on it). Returns how many moved, or the first failure's error with @why: the
 * holders before it are on @to, the rest on @from, as sysfs then shows.
 */
int blkjob_holders_swap(dev_t from, dev_t to, char *why, size_t len);

/*
 * LVM's devices file, when it is in use (lvmconfig's
 * devices/use_devicesfile): list the PV on @path in it (add), or drop
 * @path from it (del), with lvmdevices(8). Returns 1 when done, 0 when the
 * file is not in use (or LVM is not installed), or -errno with @why. A PV
 * moved onto a new disk is added before its old disk is wiped and dropped
 * after: at no point does LVM lose sight of it.
 */
int blkjob_lvm_devices_add(const char *path, char *why, size_t len);
int blkjob_lvm_devices_del(const char *path, char *why, size_t len);

/*
 * A crypt table's key held in the kernel keyring (":<size>:<type>:<desc>",
 * the second word of @params): its key type into @type (16 bytes) and
 * description into @desc (@len bytes). -ENOENT for a key in the table.
 */
int blkjob_crypt_keyring_desc(const char *params, char *type, char *desc,
			      size_t len);

/* Whether this process's keyrings hold that key (request_key(2)). */
bool blkjob_crypt_key_present(const char *type, const char *desc);

/*
 * For dm device @dev and each dm device holding it: a crypt table whose
 * keyring key this process lacks (cryptsetup unlinks a LUKS2 volume key
 * once the table is live) gets it back in the calling thread's keyring,
 * unlocked from the LUKS header with the passphrase in @key_file (read
 * whole, as cryptsetup's --key-file), so that the table can be loaded
 * again. Returns how many keys were loaded, or -errno with @why.
 */
int blkjob_crypt_keys_load(dev_t dev, const char *key_file, char *why,
			   size_t len);

/* --------------------------------------------------------------------- */
/* Wiping signatures (retiring the source of a permanent move)           */
/* --------------------------------------------------------------------- */

#define BLKJOB_WIPE_NAME_LEN	64

/* blkjob_wipe() flags. */
#define BLKJOB_WIPE_DRY_RUN	(1U << 0)	/* report, erase nothing */

/* One signature erased (or, in a dry run, that would be erased). */
struct blkjob_wipe_sig {
	char type[BLKJOB_WIPE_NAME_LEN];	/* libblkid's TYPE or PTTYPE:
						 * "ext4", "crypto_LUKS",
						 * "LVM2_member", "gpt", "PMBR" */
	char usage[BLKJOB_WIPE_NAME_LEN];	/* "filesystem", "crypto",
						 * "raid", "partition table" */
	char uuid[BLKJOB_WIPE_NAME_LEN];	/* UUID or PTUUID, "" if none */
	uint64_t offset;			/* of the erased bytes */
	uint64_t len;				/* how many were zeroed */
	char backup[BLKJOB_PATH_LEN];		/* the backup file, "" if none */
};

/* What blkjob_wipe() did; release with blkjob_wipe_result_free(). */
struct blkjob_wipe_result {
	struct blkjob_wipe_sig *sigs;		/* in the order erased */
	unsigned int n;
	char errmsg[BLKJOB_ERRMSG_LEN];		/* on error: what and why */
};

/**
 * blkjob_wipe() - erase every signature libblkid finds, as `wipefs -a` does
 * @path: a block device or an image file
 * @backup_dir: NULL, or an existing directory to save the erased bytes in
 * @flags: 0 or BLKJOB_WIPE_DRY_RUN
 * @res: filled with what was erased, and the message of an error
 *
 * After a permanent move, so that the source is no longer found by its
 * UUID. Probes @path with libblkid (superblocks, bad checksums included;
 * partition tables, a GPT even without its protective MBR) and zeroes the
 * magic string of what it finds, then probes again, until it finds
 * nothing: filesystems, LUKS headers (both of LUKS2), LVM2 labels,
 * partition tables (GPT's backup header too; also one nested in a
 * partition, which wipefs leaves without --force). Then fsync, and for a
 * block device whose partition table went, BLKRRPART, so that the kernel
 * drops the old partitions. Only magic strings are zeroed, the rest of the
 * data stays; a partition's contents are not probed (wipe the partitions
 * first, as with wipefs).
 *
 * A block device is opened O_EXCL: one mounted, held by dm or md, or open
 * exclusively by a program is refused with -EBUSY, untouched. An image
 * file gets no such check.
 *
 * With @backup_dir, the bytes of each signature are saved, before they are
 * erased, in "<backup_dir>/blkjob-wipe-<basename of @path>-0x%08jx.bak"
 * (the offset), created exclusively (an existing one is never overwritten:
 * -EEXIST) and fsynced. Written back, last one first, they restore @path:
 *	dd if=FILE of=PATH bs=1 seek=$((0xOFFSET)) conv=notrunc
 *
 * BLKJOB_WIPE_DRY_RUN writes nothing (no backup either) and lists what a
 * real run would erase: libblkid hides each signature in memory instead.
 * It opens @path read-only, still O_EXCL: -EBUSY as a real run would.
 *
 * Return: 0, or a negative errno with @res->errmsg naming @path and the
 * cause: -EINVAL for unknown @flags or a path neither a block device nor a
 * regular file; -EBUSY; -EEXIST; -EIO when a signature is found again
 * after its erase; -EOPNOTSUPP for one libblkid gives no magic string for.
 * On error @res->sigs still lists what was erased before. In both cases,
 * release @res with blkjob_wipe_result_free().
 */
int blkjob_wipe(const char *path, const char *backup_dir, unsigned int flags,
		struct blkjob_wipe_result *res);
void blkjob_wipe_result_free(struct blkjob_wipe_result *res);

/* --------------------------------------------------------------------- */
/* Jobs                                                                  */
/* --------------------------------------------------------------------- */

/* Every attribute of the "job" set; @present says which the kernel sent. */
struct blkjob_job {
	uint64_t present;
	char id[BLKJOB_ID_LEN];
	uint32_t type;			/* enum blkjob_job_type */
	uint32_t status;		/* enum blkjob_job_status */
	char source[BLKJOB_PATH_LEN];
	char target[BLKJOB_PATH_LEN];
	uint64_t len;
	uint64_t offset;
	uint64_t speed;
	uint32_t granularity;
	uint64_t buf_size;
	bool busy;
	bool paused;
	bool ready;
	uint32_t io_status;		/* enum blkjob_io_status */
	bool auto_finalize;
	bool auto_dismiss;
	uint32_t on_source_error;	/* enum blkjob_error_policy */
	uint32_t on_target_error;	/* enum blkjob_error_policy */
	uint32_t copy_mode;		/* enum blkjob_copy_mode */
	uint32_t sync;			/* enum blkjob_sync_mode */
	bool actively_synced;
	bool force;
	char error[BLKJOB_JOB_ERROR_LEN];
	uint32_t operation;		/* enum blkjob_io_operation */
	uint32_t action;		/* enum blkjob_error_action */
};

/*
 * What job-new (and each member of txn-new) sends. id, type, source and
 * target are required; any other field is sent only when its bit is set in
 * @present, so the kernel applies its defaults to the rest.
 */
struct blkjob_job_params {
	uint64_t present;
	const char *id;
	uint32_t type;
	const char *source;
	const char *target;
	uint64_t speed;
	uint32_t granularity;
	uint64_t buf_size;
	bool auto_finalize;
	bool auto_dismiss;
	uint32_t on_source_error;
	uint32_t on_target_error;
	uint32_t copy_mode;
	uint32_t sync;
};

/* --------------------------------------------------------------------- */
/* Connection and operations                                             */
/* --------------------------------------------------------------------- */

struct blkjob_ctx;

/*
 * Connect and resolve the family. On failure returns NULL with errno set;
 * ENOENT means the family is not registered (module not loaded).
 */
struct blkjob_ctx *blkjob_open(void);
void blkjob_close(struct blkjob_ctx *ctx);

/* The extack message of the last failed call, "" when none. */
const char *blkjob_errmsg(const struct blkjob_ctx *ctx);
/*
 * The attribute the last failure was about (pointed at by the extack offset,
 * or reported missing), as a BLKJOB_A_* type, or 0. When it sits inside a
 * txn "job" nest, *@nest is BLKJOB_A_TXN_JOB (else 0).
 */
unsigned int blkjob_err_attr(const struct blkjob_ctx *ctx, unsigned int *nest);
/* The YNL name of that attribute ("granularity"), or NULL. */
const char *blkjob_err_attr_name(const struct blkjob_ctx *ctx);

/* job-new. When @reply is not NULL it receives the kernel's reply. */
int blkjob_job_new(struct blkjob_ctx *ctx, const struct blkjob_job_params *p,
		   struct blkjob_job *reply);
/* job-get (do). */
int blkjob_job_get(struct blkjob_ctx *ctx, const char *id,
		   struct blkjob_job *job);

/*
 * job-get (dump): calls @fn for each job. A non-zero return from @fn stops
 * the walk (the rest of the dump is drained) and is returned.
 */
typedef int (*blkjob_job_fn)(const struct blkjob_job *job, void *arg);
int blkjob_job_dump(struct blkjob_ctx *ctx, blkjob_job_fn fn, void *arg);

int blkjob_job_pause(struct blkjob_ctx *ctx, const char *id);
int blkjob_job_resume(struct blkjob_ctx *ctx, const char *id);
int blkjob_job_cancel(struct blkjob_ctx *ctx, const char *id, bool force);
int blkjob_job_complete(struct blkjob_ctx *ctx, const char *id);
int blkjob_job_finalize(struct blkjob_ctx *ctx, const char *id);
int blkjob_job_dismiss(struct blkjob_ctx *ctx, const char *id);
int blkjob_job_set_speed(struct blkjob_ctx *ctx, const char *id,
			 uint64_t speed);
int blkjob_job_change(struct blkjob_ctx *ctx, const char *id,
		      uint32_t copy_mode);

/* txn-new: @n jobs created all or nothing. */
int blkjob_txn_new(struct blkjob_ctx *ctx, uint32_t completion_mode,
		   const struct blkjob_job_params *jobs, size_t n);

/* --------------------------------------------------------------------- */
/* Metadata devices (Documentation/blkjob/metadata.md)                   */
/* --------------------------------------------------------------------- */

#define BLKJOB_META_NAME_LEN	128
#define BLKJOB_META_UUID_LEN	136
#define BLKJOB_META_ID_LEN	112

/* What a metadata device says about itself (meta-format, meta-get). */
struct blkjob_meta_info {
	bool valid;
	uint8_t uuid[16];
	uint64_t generation;	/* of the committed superblock slot */
	uint32_t nr_devs;	/* records in use */
	uint32_t capacity;	/* records it can hold */
};

/* One device record; @dm_uuid is its key. */
struct blkjob_meta_dev {
	char name[BLKJOB_META_NAME_LEN];
	char dm_uuid[BLKJOB_META_UUID_LEN];
	uint64_t sectors;
	uint32_t state;				/* enum blkjob_meta_state */
	char source_id[BLKJOB_META_ID_LEN];	/* see blkjob_ident_of() */
	char dest_id[BLKJOB_META_ID_LEN];	/* "" when none */
	uint64_t generation;			/* of the reply (read only) */
};

/*
 * Write an empty metadata device (the kernel refuses one anything holds).
 * Every call returns 0 or a negative errno with the kernel's message in
 * blkjob_errmsg(): -EMEDIUMTYPE not formatted or foreign, -EUCLEAN
 * damaged, -EOPNOTSUPP unknown format, -ENOENT no such record.
 */
int blkjob_meta_format(struct blkjob_ctx *ctx, const char *path,
		       struct blkjob_meta_info *mi);
int blkjob_meta_get(struct blkjob_ctx *ctx, const char *path,
		    struct blkjob_meta_info *mi);
int blkjob_meta_dev_get(struct blkjob_ctx *ctx, const char *path,
			const char *dm_uuid, struct blkjob_meta_dev *d);
/* Add or replace @d's record, committed when this returns 0. */
int blkjob_meta_dev_set(struct blkjob_ctx *ctx, const char *path,
			const struct blkjob_meta_dev *d);
int blkjob_meta_dev_del(struct blkjob_ctx *ctx, const char *path,
			const char *dm_uuid);
/* Calls @fn per record; a non-zero return stops the walk and is returned. */
typedef int (*blkjob_meta_dev_fn)(const struct blkjob_meta_dev *d,
				  void *arg);
int blkjob_meta_dev_dump(struct blkjob_ctx *ctx, const char *path,
			 blkjob_meta_dev_fn fn, void *arg);
/* 1 if @path starts with a metadata label's magic, 0 if not, or -errno. */
int blkjob_meta_probe(const char *path);

/*
 * The stable identity of block device @dev into @id (at most
 * BLKJOB_META_ID_LEN with the NUL): "dm-uuid:<uuid>" for a dm device,
 * "wwid:<wwid>", else "serial:<serial>" for a disk, "<disk's identity>:<n>"
 * for its partition n. Returns 0, -ENOENT when the device says nothing
 * stable about itself, -ENOTBLK, or -errno.
 */
int blkjob_ident_of(const char *dev, char *id, size_t len);
/*
 * The /dev path of the one device whose identity is @id. Returns 0,
 * -ENOENT (none), -EEXIST (several: naming one could be wrong), -errno.
 */
int blkjob_ident_find(const char *id, char *dev, size_t len);
/* The /dev path of block device @devno (from sysfs, no udev needed). */
int blkjob_dev_path(dev_t devno, char *path, size_t len);

/*
 * Calls @fn with the path of each block device that carries a metadata
 * label (empty dm devices, suspended ones and ones under 1 MiB are not
 * read). A non-zero return of @fn stops the scan and is returned.
 */
typedef int (*blkjob_path_fn)(const char *path, void *arg);
int blkjob_meta_scan(blkjob_path_fn fn, void *arg);
/* The metadata device (into @meta) that records @dm_uuid, and its record. */
int blkjob_meta_find(struct blkjob_ctx *ctx, const char *dm_uuid,
		     char *meta, size_t len, struct blkjob_meta_dev *rec);

/*
 * A move of the recorded device @rec from block device @leg (what it maps
 * onto now, which must be the leg its record names) to @dst starts:
 * commit state moving with both identities. Returns 0, or a negative
 * errno with the reason in @why.
 */
int blkjob_record_move(struct blkjob_ctx *ctx, const char *meta,
		       struct blkjob_meta_dev *rec, const char *leg,
		       const char *dst, char *why, size_t len);
/* The move did not pivot and the device is back on its source: say so. */
int blkjob_record_back(struct blkjob_ctx *ctx, const char *meta,
		       struct blkjob_meta_dev *rec, char *why, size_t len);
struct blkjob_wipe_result;
/*
 * The pivot is durable (state pivoted) and the device maps onto the
 * destination alone: wipe the old disk's signatures (blkjob_wipe(), with
 * @backup_dir if not NULL), so that nothing finds it by UUID any more,
 * then commit state retired. @res says what was erased (free it with
 * blkjob_wipe_result_free()). A record in another state is left alone
 * (returns 0, nothing erased).
 */
int blkjob_record_retire(struct blkjob_ctx *ctx, const char *meta,
			 struct blkjob_meta_dev *rec, const char *backup_dir,
			 struct blkjob_wipe_result *res, char *why, size_t len);

enum blkjob_act_outcome {
	BLKJOB_ACT_CREATED,	/* made, mapped as recorded */
	BLKJOB_ACT_UNCHANGED,	/* already there, mapped as recorded */
	BLKJOB_ACT_BUSY,	/* there with another table: left alone */
	BLKJOB_ACT_FAILED,	/* @msg says why */
};

/* What activation did with one record. */
struct blkjob_activation {
	const char *meta;			/* the metadata device */
	const struct blkjob_meta_dev *rec;
	const char *leg_id;			/* the identity it maps onto */
	char leg[PATH_MAX];			/* and that device, if found */
	enum blkjob_act_outcome outcome;
	char msg[512];
};

typedef void (*blkjob_activation_fn)(const struct blkjob_activation *a,
				     void *arg);
/*
 * Create every device @meta records that is not there yet, blkjob-pinned
 * onto the leg its state names, with its name and dm uuid; calls @fn for
 * each. A record still "pivoted" whose device is (now) on its destination
 * alone has its retire finished: the old disk's signatures wiped, the
 * record "retired" (@msg says so, or why not). Returns 0, -EIO when some
 * record failed, or the dump's error.
 */
int blkjob_activate(struct blkjob_ctx *ctx, const char *meta,
		    blkjob_activation_fn fn, void *arg);

/* --------------------------------------------------------------------- */
/* Monitor                                                               */
/* --------------------------------------------------------------------- */

/* One notification of the "monitor" group. */
struct blkjob_event {
	uint8_t cmd;		/* BLKJOB_CMD_JOB_*_NTF */
	struct blkjob_job job;	/* the attributes it carried */
};

struct blkjob_monitor;

/*
 * A separate, non-blocking socket subscribed to "monitor". NULL with errno
 * on failure.
 */
struct blkjob_monitor *blkjob_monitor_open(void);
void blkjob_monitor_close(struct blkjob_monitor *mon);
/* The fd to poll() for POLLIN. */
int blkjob_monitor_fd(const struct blkjob_monitor *mon);

/*
 * Read what is queued, calling @fn for each event; never blocks. Returns the
 * number of events seen (0 when none), a non-zero return of @fn, or a
 * negative errno; -ENOBUFS means events were lost (the socket overran), the
 * caller should re-read the state it cares about; the socket stays usable.
 */
typedef int (*blkjob_event_fn)(const struct blkjob_event *ev, void *arg);
int blkjob_monitor_read(struct blkjob_monitor *mon, blkjob_event_fn fn,
			void *arg);

/* --------------------------------------------------------------------- */
/* Message parsing (exposed for tests and for other netlink clients)     */
/* --------------------------------------------------------------------- */

/* What an NLMSG_ERROR message carries. */
struct blkjob_ext_ack {
	int error;			/* negative errno, 0 for an ACK */
	char msg[BLKJOB_ERRMSG_LEN];	/* NLMSGERR_ATTR_MSG or "" */
	bool has_offs;
	uint32_t offs;			/* NLMSGERR_ATTR_OFFS */
	bool has_miss_type;
	uint32_t miss_type;		/* NLMSGERR_ATTR_MISS_TYPE */
	bool has_miss_nest;
	uint32_t miss_nest;		/* NLMSGERR_ATTR_MISS_NEST */
};

/*
 * Parse the NLMSG_ERROR message @nlh (of nlmsg_len bytes, as received) into
 * @ea. Handles both capped and echoed requests. Returns 0, or -EINVAL when the
 * message is not a well-formed NLMSG_ERROR.
 */
int blkjob_parse_ext_ack(const struct nlmsghdr *nlh,
			 struct blkjob_ext_ack *ea);

/*
 * Which attribute of the generic netlink request @req (nlmsghdr + genlmsghdr
 * + attributes) starts at byte offset @offs. For an offset inside a nest,
 * *@outer is the nest's type and the return value the inner attribute's.
 * Returns 0 when nothing starts there.
 */
unsigned int blkjob_attr_at(const struct nlmsghdr *req, uint32_t offs,
			    unsigned int *outer);

/* Fill @job from the attributes of the genl message @nlh. */
int blkjob_parse_job(const struct nlmsghdr *nlh, struct blkjob_job *job);

/* --------------------------------------------------------------------- */
/* Job parameters as people write them (params.c)                        */
/* --------------------------------------------------------------------- */

/*
 * These parse what a person typed and, when it is wrong, say why in @why
 * (of @len bytes) in words that name @what: "invalid speed 'x' (expected
 * a number with an optional unit K, M, G or T)". Each returns 0 or a
 * negative errno (EINVAL, ERANGE).
 */
int blkjob_parse_size_value(const char *what, const char *s, bool speed,
			    uint64_t *out, char *why, size_t len);
int blkjob_parse_onoff(const char *what, const char *s, bool *out,
		       char *why, size_t len);
/* A value of the spec's enum @spec ("error-policy") by its name. */
int blkjob_parse_enum_value(const char *what, const char *spec,
			    const char *s, uint32_t *out, char *why,
			    size_t len);
/* The values of the spec's enum @spec as "a, b or c", into @buf. */
void blkjob_enum_choices(const char *spec, char *buf, size_t len);
/* QEMU's job id rule (the kernel checks it too). */
int blkjob_job_id_check(const char *id, char *why, size_t len);

/*
 * job-new's optional parameters by the spec's attribute names ("speed",
 * "granularity", "buf-size", "auto-finalize", "auto-dismiss",
 * "on-source-error", "on-target-error", "copy-mode", "sync"):
 * blkjob_job_param_set() parses @value into @p and marks it present;
 * -ENOENT for a name that is none of them, -EEXIST when @p has it already.
 */
bool blkjob_job_param_known(const char *name);
int blkjob_job_param_set(struct blkjob_job_params *p, const char *name,
			 const char *value, char *why, size_t len);

/* --------------------------------------------------------------------- */
/* Waiting for a job (wait.c)                                            */
/* --------------------------------------------------------------------- */

/* How a wait ended. */
enum blkjob_wait_end {
	BLKJOB_WAIT_REACHED,	/* the job reached the status asked for */
	BLKJOB_WAIT_DONE,	/* it ended successfully */
	BLKJOB_WAIT_EARLY,	/* it ended before reaching that status */
	BLKJOB_WAIT_CANCELLED,	/* it was cancelled */
	BLKJOB_WAIT_FAILED,	/* it failed: the job's error says why */
	BLKJOB_WAIT_STOPPED,	/* *stop was set */
	BLKJOB_WAIT_TIMEOUT,	/* the timeout passed first */
};

/* What the waiter knows of the job, at every tick and change. */
typedef void (*blkjob_progress_fn)(const struct blkjob_job *job, void *arg);

/* Zero-initialise: fields are only ever added at the end. */
struct blkjob_wait_opts {
	int status;			/* a job status, or -1 for the end */
	unsigned int timeout;		/* seconds, 0 for none */
	unsigned int tick_ms;		/* progress period, 0 for 1000 */
	const volatile sig_atomic_t *stop;	/* give up once set */
	blkjob_progress_fn progress;
	void *arg;
};

/*
 * Wait for job @id as @o says, from its events and a job-get each tick;
 * a job that vanished (auto-dismissed) has ended, and its last events say
 * how. *@last gets the job's last known state (every attribute it ever
 * reported, merged), *@end how the wait ended. Returns 0, or a negative
 * errno when the job cannot be read (ENOENT: no such job) or the monitor
 * fails.
 */
int blkjob_job_wait(struct blkjob_ctx *ctx, const char *id,
		    const struct blkjob_wait_opts *o, struct blkjob_job *last,
		    enum blkjob_wait_end *end);

/* --------------------------------------------------------------------- */
/* Live moves (move.c, setup.c, plumb.c, restore.c)                      */
/* --------------------------------------------------------------------- */

/*
 * A live mirror or backup of a device through the blkjob dm target, and
 * everything around it: the plumbing that puts the device through the
 * target (in place for a wrapped device, with a helper for another dm
 * device, beneath the holders of a disk), the checks before any table
 * changes (stacking rules, sizes, block sizes, LVM, keys), the record on
 * a metadata device, and the retire after the job: the device onto the
 * destination (pivoted) or back, the old copy's signatures wiped.
 * Documentation/blkjob/dm-target.md is the contract, blkjobctl(8) the
 * user's view. The states a caller drives:
 *
 *   blkjob_move_setup()      plumbing in place; blkjob_move_source() is
 *                            the device a job reads (on failure, nothing
 *                            changed: it rolled itself back)
 *   (the caller's job-new, source blkjob_move_source(), target
 *   blkjob_move_destination(); on failure blkjob_move_abort())
 *   blkjob_move_started()    the job runs; the caller waits for it
 *                            (blkjob_monitor_*), completes a ready mirror
 *   blkjob_move_follow()     until the job has let go of the target (or,
 *                            auto-finalize off, pends), from the target's
 *                            own status: the job may be dismissed first
 *   blkjob_move_finish()     retired: blkjob_move_pivoted() says where
 *
 * blkjob_move_restore() brings any device back from any state a killed
 * process left (idempotent). Each call returns 0, or -1 after noticing
 * the error (BLKJOB_NOTICE_ERROR; blkjob_move_error() keeps the last
 * one). Notices are whole sentences for a person, phrased for blkjobctl's
 * commands. Creating a move sets libdevmapper's log function, whose
 * errors the notices carry, and, without udev, makes libdevmapper create
 * device nodes itself.
 */
struct blkjob_move;

enum blkjob_notice_kind {
	BLKJOB_NOTICE_ERROR,	/* the call fails */
	BLKJOB_NOTICE_WARNING,	/* nothing lost, but look */
	BLKJOB_NOTICE_HINT,	/* what to run next after a failure */
	BLKJOB_NOTICE_NOTE,	/* what a roll-back did */
	BLKJOB_NOTICE_STEP,	/* a step of the move done */
	BLKJOB_NOTICE_INFO,	/* a change outside the device (a wipe) */
	BLKJOB_NOTICE_DETAIL,	/* a detail a quiet caller may drop */
};

typedef void (*blkjob_notice_fn)(enum blkjob_notice_kind kind,
				 const char *text, void *arg);

/* Where a device maps after a retire or restore. */
enum blkjob_mapping {
	BLKJOB_MAPPING_UNCHANGED,	/* nothing of blkjob was there */
	BLKJOB_MAPPING_ORIGINAL,	/* the original mapping is back */
	BLKJOB_MAPPING_DESTINATION,	/* onto the destination (pivoted) */
	BLKJOB_MAPPING_REMOVED,		/* our temporary device is gone */
	BLKJOB_MAPPING_BLKJOB,		/* still through the target */
	BLKJOB_MAPPING_CURRENT,		/* kept its table; a helper removed */
};
const char *blkjob_mapping_str(enum blkjob_mapping m);

/*
 * @ctx: for job records on metadata devices (setup needs one; restore
 * opens its own when it needs one and @ctx is NULL). @fn gets every
 * notice. NULL when out of memory.
 */
struct blkjob_move *blkjob_move_new(struct blkjob_ctx *ctx,
				    blkjob_notice_fn fn, void *arg);
/* Also releases libdevmapper's cached state (dm_lib_release()). */
void blkjob_move_free(struct blkjob_move *m);
const char *blkjob_move_error(const struct blkjob_move *m);
/* Where wiped signatures are saved (wipefs --backup's files); NULL none. */
void blkjob_move_set_wipe_backup(struct blkjob_move *m, const char *dir);
/* LUKS2 key file unlocking the volume keys a reload needs. */
void blkjob_move_set_key_file(struct blkjob_move *m, const char *file);
/* Move an LVM LV alone, below LVM (temporary by design). */
void blkjob_move_set_below_lvm(struct blkjob_move *m, bool on);
/* blkjob_move_follow() and restore's wait give up once *@flag is set. */
void blkjob_move_set_stop(struct blkjob_move *m,
			  const volatile sig_atomic_t *flag);

/* @dev (a dm device, a disk, a bare dm name) onto @dst; else a backup. */
int blkjob_move_setup(struct blkjob_move *m, const char *dev,
		      const char *dst, bool mirror);
void blkjob_move_abort(struct blkjob_move *m);
void blkjob_move_started(struct blkjob_move *m);
int blkjob_move_follow(struct blkjob_move *m, bool pending);
int blkjob_move_finish(struct blkjob_move *m, enum blkjob_mapping *out);
/* @force: even with a job at work; @wait: until its job has ended. */
int blkjob_move_restore(struct blkjob_move *m, const char *dev, bool force,
			bool wait, enum blkjob_mapping *out);
/*
 * A pinned blkjob device @name in front of unused disk @dev, recorded on
 * @meta (NULL: not recorded) under a new dm uuid, put in @uuid.
 */
int blkjob_move_wrap(struct blkjob_move *m, const char *dev,
		     const char *name, const char *meta, char *uuid,
		     size_t len);

/* The dm device that moves (the caller's, or blkjob's in front of it). */
const char *blkjob_move_device(const struct blkjob_move *m);
/* Its helper holding the original table; NULL when there is none. */
const char *blkjob_move_helper(const struct blkjob_move *m);
const char *blkjob_move_source(const struct blkjob_move *m);
const char *blkjob_move_destination(const struct blkjob_move *m);
/* As of the last follow: the job pends, the target pivoted. */
bool blkjob_move_pending(const struct blkjob_move *m);
bool blkjob_move_pivoted(const struct blkjob_move *m);
/*
 * A pending mirror's old disk, kept in sync, as a path into @buf (as
 * "major:minor" and -ENOENT when it has no device node).
 */
int blkjob_move_kept_source(const struct blkjob_move *m, char *buf,
			    size_t len);

#endif /* LIBBLKJOB_H */
