/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libblkjob's live moves, internal: the state of a device's plumbing as
 * its dm tables tell it (plumb.c) and a move in progress (move.c).
 * Documentation/blkjob/dm-target.md is the contract.
 */
#ifndef LIBBLKJOB_MOVE_H
#define LIBBLKJOB_MOVE_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "dmtask.h"
#include "libblkjob.h"

#define TARGET_TYPE	"blkjob"
#define TARGET_PINNED	"blkjob-pinned"	/* a wrapped device's, for life */
#define HELPER_SUFFIX	"-blkjob-real"
#define TMP_PREFIX	"blkjob-"
#define UUID_REAL	"BLKJOB-REAL-"
#define UUID_TMP	"BLKJOB-TMP-"
#define UUID_BENEATH	UUID_TMP "BENEATH-"	/* a tmp with holders moved */

struct blkjob_move;

struct plumb {
	struct blkjob_move *m;		/* whose notices and errors */
	char name[DM_NAME_LEN];		/* the user's dm device, or ours */
	char helper[DM_NAME_LEN];	/* NAME-blkjob-real */
	char uuid[DM_UUID_LEN];
	bool tmp;			/* our device in front of a plain one */
	bool beneath;			/* tmp, made to move holders */
	struct blkjob_holders holders;	/* tmp: the dm devices on it */
	struct dm_info info, hinfo;
	struct bjdm_table live;
	bool blkjob;			/* the live table is our target,
					   with two legs */
	bool pinned;			/* it is TARGET_PINNED: no helper,
					   it stays that type */
	dev_t pin_dev;			/* pinned, one leg: that leg */
	dev_t src_dev, dst_dev;		/* its legs */
	char leg[24];			/* "source", "destination" or
					   "destination+source" */
	char job_id[BLKJOB_ID_LEN];	/* "-" when none */
	char job_status[32];
	uint64_t done, total;
	bool has_meta;			/* the live table names one: */
	dev_t meta_dev;
	bool recorded;			/* a move this run recorded on: */
	char meta[PATH_MAX];
	struct blkjob_meta_dev rec;
	const char *wipe_backup;	/* where the retired source's go */
};

struct blkjob_move {
	blkjob_notice_fn notice_fn;
	void *notice_arg;
	char err[1024];			/* the last error */
	struct blkjob_ctx *ctx;		/* the caller's, or NULL */
	const volatile sig_atomic_t *stop;
	const char *key_file;
	bool below_lvm;
	bool mirror;			/* else a backup */
	struct plumb pl;
	char dev[PATH_MAX];		/* as the caller named it */
	char src_path[PATH_MAX];	/* the dm device, for job-new */
	char under[PATH_MAX];		/* the device a move goes beneath */
	char dst_path[PATH_MAX];
	dev_t dst;
	uint64_t dst_bytes;
	char job_id[BLKJOB_ID_LEN];
};

/*
 * What the caller named: a dm device (@name), or a plain block device
 * (@plain), which may also be a dm device a mirror goes beneath.
 */
struct src {
	char name[DM_NAME_LEN];
	bool plain;
	dev_t devno;
	char kname[64];			/* plain: "loop3" */
	char path[PATH_MAX];		/* plain: as given, or /dev/dm-3 */
};

/* Notices and errors (move.c). Errors return -1. */
void mv_notice(struct blkjob_move *m, enum blkjob_notice_kind kind,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int mv_err(struct blkjob_move *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same, with the kernel's and libdevmapper's reasons appended. */
int mv_dm_err(struct blkjob_move *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The holders of a move beneath went onto @where: say so (move.c). */
void mv_say_holders(struct blkjob_move *m, const char *where);
/* A netlink context: the caller's, or one opened for the call (closed). */
struct blkjob_ctx *mv_ctx(struct blkjob_move *m, bool *own);
/* Test hook: BLKJOBCTL_TEST_KILL_AT=<step> kills the process there. */
void mv_kill_point(const char *step);

/* The plumbing (plumb.c). Each returns 0, or -1 with the error noticed. */
bool plumb_our_type(const char *type);
void plumb_free(struct plumb *pl);
bool plumb_parse_devno(const char *s, dev_t *out);
int plumb_read(struct plumb *pl, const char *name);
bool plumb_job_active(const struct plumb *pl);
bool plumb_job_pending(const struct plumb *pl);
bool plumb_is_lvm(const struct plumb *pl);
int plumb_restore(struct plumb *pl, bool force,
		  enum blkjob_mapping *out);
int plumb_settle_and_restore(struct plumb *pl, enum blkjob_mapping *out);
/* Until the attached job ended (or, with @pending, pends). */
int plumb_follow_job(struct plumb *pl, bool pending);

/* Setting a move up (setup.c). Each returns 0, or -1 with the error noticed. */
int setup_move(struct blkjob_move *m, const char *dev, const char *dst);
void setup_roll_back(struct blkjob_move *m);
int setup_resolve_src(struct blkjob_move *m, const char *arg,
		      struct src *s);
int setup_load_keys(struct blkjob_move *m, dev_t dev);
int setup_bottom_of(const char *name, dev_t *bottom, char *why, size_t len);
bool setup_tmp_devno(dev_t d);
int setup_dm_path(const struct plumb *pl, char *buf, size_t len);
int setup_bdev_size(const char *path, uint64_t *bytes);
bool setup_bdev_busy(const char *path);

#endif /* LIBBLKJOB_MOVE_H */
