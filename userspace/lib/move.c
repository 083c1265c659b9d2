// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Live moves: the small state machine a caller drives (libblkjob.h, "Live
 * moves"), its notices and errors, and wrap. setup.c sets a move up,
 * plumb.c reads and retires the plumbing, restore.c restores it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "move.h"

/* ------------------------------------------------------------------ */
/* Notices and errors                                                  */
/* ------------------------------------------------------------------ */

/* libdevmapper's last error, folded into ours (mv_dm_err()). */
static char dm_msg[256];

static void __attribute__((format(printf, 5, 6)))
dm_logger(int level, const char *file, int line, int dm_errno_or_class,
	  const char *f, ...)
{
	va_list ap;

	(void)file;
	(void)line;
	(void)dm_errno_or_class;
	/* libdevmapper's levels: 2 fatal, 3 error, above that chatter. */
	if ((level & 7) > 3)
		return;
	va_start(ap, f);
	vsnprintf(dm_msg, sizeof(dm_msg), f, ap);
	va_end(ap);
}

static void vnotice(struct blkjob_move *m, enum blkjob_notice_kind kind,
		    const char *fmt, va_list ap)
{
	char text[1024];

	vsnprintf(text, sizeof(text), fmt, ap);
	if (kind == BLKJOB_NOTICE_ERROR)
		snprintf(m->err, sizeof(m->err), "%s", text);
	if (m->notice_fn)
		m->notice_fn(kind, text, m->notice_arg);
}

void mv_notice(struct blkjob_move *m, enum blkjob_notice_kind kind,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnotice(m, kind, fmt, ap);
	va_end(ap);
}

int mv_err(struct blkjob_move *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnotice(m, BLKJOB_NOTICE_ERROR, fmt, ap);
	va_end(ap);
	return -1;
}

/* "<what>: <the kernel's reason> (<libdevmapper's message>)" */
int mv_dm_err(struct blkjob_move *m, const char *fmt, ...)
{
	char what[1024], why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (bjdm_take_kernel_reason(why, sizeof(why))) {
		size_t n = strlen(what);

		snprintf(what + n, sizeof(what) - n, ": %s", why);
	}
	if (dm_msg[0]) {
		size_t n = strlen(what);

		snprintf(what + n, sizeof(what) - n, " (%s)", dm_msg);
	}
	dm_msg[0] = '\0';
	return mv_err(m, "%s", what);
}

struct blkjob_ctx *mv_ctx(struct blkjob_move *m, bool *own)
{
	*own = !m->ctx;
	return m->ctx ? m->ctx : blkjob_open();
}

/*
 * Test hook: BLKJOBCTL_TEST_KILL_AT=<step> SIGKILLs the process right
 * after that plumbing step, as a crash or a kill -9 would, so the tests
 * can show that a restore recovers from every intermediate state.
 */
void mv_kill_point(const char *step)
{
	const char *at = getenv("BLKJOBCTL_TEST_KILL_AT");

	if (at && !strcmp(at, step)) {
		fflush(NULL);
		raise(SIGKILL);
	}
}

const char *blkjob_mapping_str(enum blkjob_mapping o)
{
	static const char *const s[] = {
		[BLKJOB_MAPPING_UNCHANGED] = "unchanged",
		[BLKJOB_MAPPING_ORIGINAL] = "original",
		[BLKJOB_MAPPING_DESTINATION] = "destination",
		[BLKJOB_MAPPING_REMOVED] = "removed",
		[BLKJOB_MAPPING_BLKJOB] = "blkjob",
		[BLKJOB_MAPPING_CURRENT] = "current",
	};
	return (unsigned int)o < sizeof(s) / sizeof(s[0]) ? s[o] : NULL;
}

/* ------------------------------------------------------------------ */
/* The move object                                                    */
/* ------------------------------------------------------------------ */

struct blkjob_move *blkjob_move_new(struct blkjob_ctx *ctx,
				    blkjob_notice_fn fn, void *arg)
{
	struct blkjob_move *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->ctx = ctx;
	m->notice_fn = fn;
	m->notice_arg = arg;
	m->pl.m = m;
	dm_log_with_errno_init(dm_logger);
	/* No udev (a VM, a rescue shell): libdevmapper makes the nodes. */
	if (access("/run/udev/control", F_OK))
		dm_udev_set_sync_support(0);
	return m;
}

void blkjob_move_free(struct blkjob_move *m)
{
	if (!m)
		return;
	plumb_free(&m->pl);
	free(m);
	dm_lib_release();
}

const char *blkjob_move_error(const struct blkjob_move *m)
{
	return m->err;
}

void blkjob_move_set_wipe_backup(struct blkjob_move *m, const char *dir)
{
	m->pl.wipe_backup = dir;
}

void blkjob_move_set_key_file(struct blkjob_move *m, const char *file)
{
	m->key_file = file;
}

void blkjob_move_set_below_lvm(struct blkjob_move *m, bool on)
{
	m->below_lvm = on;
}

void blkjob_move_set_stop(struct blkjob_move *m,
			  const volatile sig_atomic_t *flag)
{
	m->stop = flag;
}

const char *blkjob_move_device(const struct blkjob_move *m)
{
	return m->pl.name;
}

const char *blkjob_move_helper(const struct blkjob_move *m)
{
	return m->pl.tmp ? NULL : m->pl.helper;
}

const char *blkjob_move_source(const struct blkjob_move *m)
{
	return m->src_path;
}

const char *blkjob_move_destination(const struct blkjob_move *m)
{
	return m->dst_path;
}

bool blkjob_move_pending(const struct blkjob_move *m)
{
	return plumb_job_pending(&m->pl);
}

bool blkjob_move_pivoted(const struct blkjob_move *m)
{
	return !strcmp(m->pl.leg, "destination");
}

int blkjob_move_kept_source(const struct blkjob_move *m, char *buf,
			    size_t len)
{
	const struct plumb *pl = &m->pl;

	/* The helper by its name, not as /dev/dm-N. */
	if (pl->hinfo.exists &&
	    makedev(pl->hinfo.major, pl->hinfo.minor) == pl->src_dev) {
		snprintf(buf, len, "/dev/mapper/%s", pl->helper);
		return 0;
	}
	if (!blkjob_dev_path(pl->src_dev, buf, len))
		return 0;
	snprintf(buf, len, "%u:%u", major(pl->src_dev), minor(pl->src_dev));
	return -ENOENT;
}

/* ------------------------------------------------------------------ */
/* The states of a move                                               */
/* ------------------------------------------------------------------ */

int blkjob_move_setup(struct blkjob_move *m, const char *dev,
		      const char *dst, bool mirror)
{
	if (!m->ctx)
		return mv_err(m, "no blkjob context to record the move with");
	m->mirror = mirror;
	snprintf(m->dev, sizeof(m->dev), "%s", dev);
	return setup_move(m, dev, dst);
}

void blkjob_move_abort(struct blkjob_move *m)
{
	setup_roll_back(m);
}

void blkjob_move_started(struct blkjob_move *m)
{
	const struct plumb *pl = &m->pl;

	mv_kill_point("job");
	if (pl->pinned)
		mv_notice(m, BLKJOB_NOTICE_STEP,
			  "%s: now maps through blkjob onto its disk and %s",
			  pl->name, m->dst_path);
	else if (!pl->tmp)
		mv_notice(m, BLKJOB_NOTICE_STEP,
			  "%s: now maps through blkjob (original table kept in %s)",
			  pl->name, pl->helper);
	else if (pl->holders.n)
		mv_notice(m, BLKJOB_NOTICE_STEP,
			  "%s: now beneath %s%s, in front of %s", pl->name,
			  pl->holders.names[0],
			  pl->holders.n > 1 ? " and the other holders" : "",
			  m->under);
	else
		mv_notice(m, BLKJOB_NOTICE_STEP,
			  "%s: stands in front of %s, through blkjob",
			  pl->name, m->dev);
}

int blkjob_move_follow(struct blkjob_move *m, bool pending)
{
	return plumb_follow_job(&m->pl, pending);
}

/* Where the holders of a move beneath went. */
void mv_say_holders(struct blkjob_move *m, const char *where)
{
	const struct plumb *pl = &m->pl;
	unsigned int i;

	for (i = 0; i < pl->holders.n; i++)
		mv_notice(m, BLKJOB_NOTICE_STEP,
			  "%s: now on %s, its table otherwise as it was",
			  pl->holders.names[i], where);
	if (pl->holders.n)
		mv_notice(m, BLKJOB_NOTICE_STEP, "%s: removed; blkjob retired",
			  pl->name);
	else
		mv_notice(m, BLKJOB_NOTICE_STEP,
			  "%s: removed (its holders were already on %s); blkjob retired",
			  pl->name, where);
}

static void say_outcome(struct blkjob_move *m, enum blkjob_mapping out)
{
	const struct plumb *pl = &m->pl;

	if (pl->beneath && (out == BLKJOB_MAPPING_DESTINATION ||
			    out == BLKJOB_MAPPING_ORIGINAL)) {
		mv_say_holders(m, out == BLKJOB_MAPPING_DESTINATION ?
			       m->dst_path : m->under);
		return;
	}
	switch (out) {
	case BLKJOB_MAPPING_DESTINATION:
		mv_notice(m, BLKJOB_NOTICE_STEP,
			  "%s: now maps %sonto %s; blkjob retired", pl->name,
			  pl->pinned ? "" : "linear ", m->dst_path);
		if (plumb_is_lvm(pl))
			mv_notice(m, BLKJOB_NOTICE_WARNING,
				  "LVM's metadata still places %s on its old disk; do not deactivate or refresh it (see blkjobctl(8), LVM).",
				  pl->name);
		break;
	case BLKJOB_MAPPING_ORIGINAL:
		mv_notice(m, BLKJOB_NOTICE_STEP,
			  "%s: original mapping restored; blkjob retired",
			  pl->name);
		break;
	case BLKJOB_MAPPING_REMOVED:
		mv_notice(m, BLKJOB_NOTICE_STEP,
			  "%s: removed (it only stood in front of %s)",
			  pl->name, m->dev);
		break;
	default:
		break;
	}
}

int blkjob_move_finish(struct blkjob_move *m, enum blkjob_mapping *out)
{
	*out = BLKJOB_MAPPING_UNCHANGED;
	if (plumb_settle_and_restore(&m->pl, out)) {
		mv_notice(m, BLKJOB_NOTICE_HINT,
			  "run 'blkjobctl restore %s' to retire the blkjob plumbing.",
			  m->pl.name);
		return -1;
	}
	say_outcome(m, *out);
	return 0;
}

/* ------------------------------------------------------------------ */
/* wrap                                                               */
/* ------------------------------------------------------------------ */

/* A dm uuid for a device blkjob records: ours, random, never reused. */
static int new_uuid(char *buf, size_t len)
{
	uint8_t u[16];
	int fd;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, u, sizeof(u)) != sizeof(u)) {
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	close(fd);
	snprintf(buf, len,
		 "BLKJOB-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
	return 0;
}

/* Record @name over @dev on @meta before it exists; its uuid in @uuid. */
static int wrap_record(struct blkjob_move *m, struct blkjob_ctx *ctx,
		       const char *dev, const char *name, const char *meta,
		       uint64_t sectors, char *uuid, size_t len)
{
	struct blkjob_meta_dev d = { .sectors = sectors };
	int err;

	err = blkjob_ident_of(dev, d.source_id, sizeof(d.source_id));
	if (err == -ENOENT)
		return mv_err(m, "the device has no stable identity (no WWID, serial or dm uuid), so a reboot could not find it");
	if (!err)
		err = new_uuid(uuid, len);
	if (err)
		return mv_err(m, "%s", strerror(-err));
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.dm_uuid, sizeof(d.dm_uuid), "%s", uuid);
	d.state = BLKJOB_META_STATE_SOURCE;
	err = blkjob_meta_dev_set(ctx, meta, &d);
	if (err)
		return mv_err(m, "%s", blkjob_errmsg(ctx)[0] ?
			      blkjob_errmsg(ctx) : strerror(-err));
	return 0;
}

int blkjob_move_wrap(struct blkjob_move *m, const char *dev,
		     const char *name, const char *meta, char *uuid,
		     size_t len)
{
	struct bjdm_table t = { 0 };
	struct blkjob_ctx *ctx = NULL;
	struct dm_info info;
	char params[64];
	struct stat st;
	uint64_t bytes;
	bool ok, own = false;

	uuid[0] = '\0';
	if (stat(dev, &st))
		return mv_err(m, "%s: %s", dev, strerror(errno));
	if (!S_ISBLK(st.st_mode))
		return mv_err(m, "%s is not a block device", dev);
	if (bjdm_get_info(name, &info, NULL, 0))
		return mv_dm_err(m, "cannot query device-mapper");
	if (info.exists)
		return mv_err(m, "device-mapper device %s already exists", name);
	if (setup_bdev_busy(dev))
		return mv_err(m, "%s is in use (mounted or held); wrap it while nothing uses it",
			      dev);
	if (setup_bdev_size(dev, &bytes) || bytes < 512)
		return mv_err(m, "%s: cannot read its size", dev);
	snprintf(params, sizeof(params), "%u:%u", major(st.st_rdev),
		 minor(st.st_rdev));
	if (bjdm_table_add(&t, 0, bytes >> 9, TARGET_PINNED, params))
		return mv_err(m, "%s", strerror(ENOMEM));
	/* Recorded before it exists: a crash leaves a record, not a stray. */
	if (meta) {
		ctx = mv_ctx(m, &own);
		if (!ctx || wrap_record(m, ctx, dev, name, meta, bytes >> 9,
					uuid, len)) {
			if (!ctx)
				mv_err(m, "cannot reach the blkjob module: %s",
				       strerror(errno));
			bjdm_table_free(&t);
			if (ctx && own)
				blkjob_close(ctx);
			return -1;
		}
	}
	ok = bjdm_create_dev(name, uuid, &t, false);
	bjdm_table_free(&t);
	if (!ok && ctx)
		blkjob_meta_dev_del(ctx, meta, uuid);
	if (ctx && own)
		blkjob_close(ctx);
	if (!ok)
		return mv_dm_err(m, "cannot create %s", name);
	mv_notice(m, BLKJOB_NOTICE_STEP, "/dev/mapper/%s maps onto %s (%s)",
		  name, dev, TARGET_PINNED);
	if (meta)
		mv_notice(m, BLKJOB_NOTICE_STEP, "%s: recorded on %s as %s",
			  name, meta, uuid);
	return 0;
}
