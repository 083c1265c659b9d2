// SPDX-License-Identifier: GPL-2.0
/*
 * Live mirror and backup through the blkjob device-mapper target, and the
 * plumbing around it (Documentation/blkjob/dm-target.md is the contract).
 *
 * For a dm device NAME (an LVM LV, or any table):
 *
 *   1. create NAME-blkjob-real with NAME's live table (the "helper");
 *   2. load NAME's inactive table: 0 <size> blkjob <helper> <DST>;
 *   3. resume NAME: the kernel suspends it, swaps the tables, resumes it;
 *   4. job-new, source NAME, target DST.
 *
 * Retiring it (restore_plumbing()) reloads NAME onto DST when the target
 * pivoted, else onto the helper's table, then removes the helper. Every
 * state a killed blkjobctl can leave behind is recognised from the dm tables
 * alone (NAME's live and inactive tables, its suspended flag, the helper's
 * existence), so 'blkjobctl restore' can always finish the job, and running
 * it twice is harmless.
 *
 * A plain device nobody holds gets a temporary dm device in front of it,
 * "blkjob-<kernel name>" (uuid BLKJOB-TMP-...), that maps through the target
 * directly; retiring it removes that device. A device that dm devices hold
 * (a PV under LVs, a LUKS container under its crypt mapping) is moved
 * beneath them: the temporary device goes in front of it and every
 * holder's table is reloaded onto it, the holders keeping their targets;
 * retiring it reloads them onto the destination (pivoted) or the source,
 * and removes it. Sysfs's holders of the temporary device say how far
 * that got. A plain device otherwise in use (mounted) is refused.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>

#include <libdevmapper.h>
#include <linux/dm-ioctl.h>

#include "blkjobctl.h"
#include "dmtask.h"

#define TARGET_TYPE	"blkjob"
#define TARGET_PINNED	"blkjob-pinned"	/* a wrapped device's, for life */
#define HELPER_SUFFIX	"-blkjob-real"
#define TMP_PREFIX	"blkjob-"
#define UUID_REAL	"BLKJOB-REAL-"
#define UUID_TMP	"BLKJOB-TMP-"
#define UUID_BENEATH	UUID_TMP "BENEATH-"	/* a tmp with holders moved */

/* ------------------------------------------------------------------ */
/* libdevmapper's messages: kept for our own "Error:" line              */
/* ------------------------------------------------------------------ */

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

/*
 * "Error: <what>: <the kernel's reason> (<libdevmapper's message>).";
 * returns EXIT_FAIL.
 */
static int __attribute__((format(printf, 1, 2)))
dm_fail(const char *fmt, ...)
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
	report(what, NULL);
	dm_msg[0] = '\0';
	return EXIT_FAIL;
}

static int __attribute__((format(printf, 1, 2)))
err_msg(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(msg, NULL);
	return EXIT_FAIL;
}

/*
 * Test hook: BLKJOBCTL_TEST_KILL_AT=<step> makes blkjobctl SIGKILL itself
 * right after that plumbing step, as a crash or a kill -9 would, so the
 * tests can show that 'restore' recovers from every intermediate state.
 */
static void kill_point(const char *step)
{
	const char *at = getenv("BLKJOBCTL_TEST_KILL_AT");

	if (at && !strcmp(at, step)) {
		fflush(NULL);
		raise(SIGKILL);
	}
}

/* ------------------------------------------------------------------ */
/* The state of a device, as its tables tell it                        */
/* ------------------------------------------------------------------ */

struct plumb {
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

static bool our_type(const char *type)
{
	return !strcmp(type, TARGET_TYPE) || !strcmp(type, TARGET_PINNED);
}

static void plumb_free(struct plumb *pl)
{
	bjdm_table_free(&pl->live);
	blkjob_holders_free(&pl->holders);
}

/* A table's device: "major:minor", as dm prints them, or a path. */
static bool parse_devno(const char *s, dev_t *out)
{
	unsigned int ma, mi;
	struct stat st;
	char end;

	if (sscanf(s, "%u:%u%c", &ma, &mi, &end) == 2) {
		*out = makedev(ma, mi);
		return true;
	}
	if (stat(s, &st) || !S_ISBLK(st.st_mode))
		return false;
	*out = st.st_rdev;
	return true;
}

/* The blkjob target's table and status lines (dm-target.md). */
static int read_blkjob(struct plumb *pl)
{
	char src[64], dst[64], meta[64], leg[24], id[BLKJOB_ID_LEN], st[32];
	struct bjdm_table s;
	int n, ret;

	n = sscanf(pl->live.seg[0].params, "%63s %63s meta %63s", src, dst,
		   meta);
	if (n < 2 || !parse_devno(src, &pl->src_dev) ||
	    !parse_devno(dst, &pl->dst_dev) ||
	    (n == 3 && !parse_devno(meta, &pl->meta_dev)))
		return err_msg("%s: unexpected blkjob table '%s'", pl->name,
			       pl->live.seg[0].params);
	ret = bjdm_get_lines(pl->name, DM_DEVICE_STATUS, false, &s);
	if (ret)
		return dm_fail("%s: cannot read its status", pl->name);
	ret = 0;
	if (s.n != 1 || !our_type(s.seg[0].type) ||
	    sscanf(s.seg[0].params, "%23s %63s %31s %" SCNu64 "/%" SCNu64,
		   leg, id, st, &pl->done, &pl->total) != 5)
		ret = err_msg("%s: unexpected blkjob status '%s'", pl->name,
			      s.n ? s.seg[0].params : "");
	bjdm_table_free(&s);
	if (ret)
		return ret;
	pl->has_meta = n == 3;
	snprintf(pl->leg, sizeof(pl->leg), "%s", leg);
	snprintf(pl->job_id, sizeof(pl->job_id), "%s", id);
	snprintf(pl->job_status, sizeof(pl->job_status), "%s", st);
	return 0;
}

/*
 * Read everything about @name (which may not exist) and its helper.
 * Returns 0 or EXIT_FAIL (reported).
 */
static int plumb_read(struct plumb *pl, const char *name)
{
	char huuid[DM_UUID_LEN], why[256];

	plumb_free(pl);
	snprintf(pl->name, sizeof(pl->name), "%s", name);
	snprintf(pl->helper, sizeof(pl->helper), "%s" HELPER_SUFFIX, name);
	pl->blkjob = false;
	pl->pinned = false;
	pl->has_meta = false;
	if (bjdm_get_info(name, &pl->info, pl->uuid, sizeof(pl->uuid)) ||
	    bjdm_get_info(pl->helper, &pl->hinfo, huuid, sizeof(huuid)))
		return dm_fail("cannot query device-mapper");
	pl->tmp = !strncmp(pl->uuid, UUID_TMP, strlen(UUID_TMP));
	pl->beneath = !strncmp(pl->uuid, UUID_BENEATH, strlen(UUID_BENEATH));
	if (!pl->info.exists)
		return 0;
	if (pl->tmp && blkjob_holders_get(makedev(pl->info.major,
						  pl->info.minor),
					  &pl->holders, why, sizeof(why)))
		return err_msg("%s", why);
	if (!pl->info.live_table)
		return 0;
	if (bjdm_get_lines(name, DM_DEVICE_TABLE, false, &pl->live))
		return dm_fail("%s: cannot read its table", name);
	if (pl->live.n != 1 || !our_type(pl->live.seg[0].type))
		return 0;
	pl->pinned = !strcmp(pl->live.seg[0].type, TARGET_PINNED);
	/* One leg: a pinned device between moves, as idle as a linear one. */
	if (!strchr(pl->live.seg[0].params, ' '))
		return parse_devno(pl->live.seg[0].params, &pl->pin_dev) ? 0 :
		       err_msg("%s: unexpected table '%s'", name,
			       pl->live.seg[0].params);
	pl->blkjob = true;
	return read_blkjob(pl);
}

/* A job is attached and has not concluded yet. */
static bool job_active(const struct plumb *pl)
{
	return pl->blkjob && strcmp(pl->job_id, "-") &&
	       strcmp(pl->job_status, "concluded") &&
	       strcmp(pl->job_status, "null");
}

/*
 * A mirror with auto-finalize off, completed: NAME runs on DST and the job
 * keeps SRC in sync until it is finalized or cancelled. It is still
 * attached (active) and only the job can let go.
 */
static bool job_pending(const struct plumb *pl)
{
	return job_active(pl) && !strcmp(pl->job_status, "pending");
}

/* ------------------------------------------------------------------ */
/* Devices given on the command line                                  */
/* ------------------------------------------------------------------ */

static bool dm_devno(dev_t d)
{
	return dm_is_dm_major(major(d));
}

/* The kernel's name of a block device ("loop3"), from sysfs. */
static int kernel_name(dev_t d, char *buf, size_t len)
{
	char path[64], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(d),
		 minor(d));
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	snprintf(buf, len, "%s", basename(link));
	return 0;
}

static int bdev_size(const char *path, uint64_t *bytes)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKGETSIZE64, bytes))
		ret = -errno;
	close(fd);
	return ret;
}

/* Held by someone (mounted, a dm table, an exclusive opener)? */
static bool bdev_busy(const char *path)
{
	int fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);

	if (fd < 0)
		return errno == EBUSY;
	close(fd);
	return false;
}

/*
 * What SRC names: a dm device (@name), or a plain block device (@plain),
 * which may also be a dm device a mirror goes beneath.
 */
struct src {
	char name[DM_NAME_LEN];
	bool plain;
	dev_t devno;
	char kname[64];			/* plain: "loop3" */
	char path[PATH_MAX];		/* plain: as given, or /dev/dm-3 */
};

static int resolve_src(const char *arg, struct src *s)
{
	struct stat st;
	struct dm_info info;

	memset(s, 0, sizeof(*s));
	if (!stat(arg, &st)) {
		if (!S_ISBLK(st.st_mode))
			return err_msg("%s is not a block device", arg);
		s->devno = st.st_rdev;
		if (dm_devno(st.st_rdev)) {
			if (bjdm_name_of_devno(st.st_rdev, s->name, sizeof(s->name)))
				return err_msg("%s: no such device-mapper device",
					       arg);
			return 0;
		}
		s->plain = true;
		if (kernel_name(st.st_rdev, s->kname, sizeof(s->kname)))
			return err_msg("%s: not found in /sys/dev/block", arg);
		snprintf(s->name, sizeof(s->name), TMP_PREFIX "%s", s->kname);
		snprintf(s->path, sizeof(s->path), "%s", arg);
		return 0;
	}
	/* A bare dm name ("vg-lv"), as dmsetup takes it. */
	if (!strchr(arg, '/') && strlen(arg) < DM_NAME_LEN &&
	    !bjdm_get_info(arg, &info, NULL, 0) && info.exists) {
		snprintf(s->name, sizeof(s->name), "%s", arg);
		s->devno = makedev(info.major, info.minor);
		return 0;
	}
	return err_msg("%s: %s", arg, strerror(ENOENT));
}

/* Is @d our temporary device (a move already under way beneath)? */
static bool tmp_devno(dev_t d)
{
	char name[DM_NAME_LEN], uuid[DM_UUID_LEN];
	struct dm_info info;

	return dm_devno(d) && !bjdm_name_of_devno(d, name, sizeof(name)) &&
	       !bjdm_get_info(name, &info, uuid, sizeof(uuid)) &&
	       !strncmp(uuid, UUID_TMP, strlen(UUID_TMP));
}

/*
 * The one device beneath dm device @name, when a move can go beneath it;
 * else -errno with @why.
 */
static int bottom_of(const char *name, dev_t *bottom, char *why, size_t len)
{
	struct blkjob_dm_seg *segs;
	struct bjdm_table t;
	unsigned int i;
	int err;

	if (bjdm_get_lines(name, DM_DEVICE_TABLE, false, &t)) {
		snprintf(why, len, "%s: cannot read its table", name);
		return -EIO;
	}
	segs = calloc(t.n ? t.n : 1, sizeof(*segs));
	if (!segs) {
		bjdm_table_free(&t);
		return -ENOMEM;
	}
	for (i = 0; i < t.n; i++) {
		segs[i].type = t.seg[i].type;
		segs[i].params = t.seg[i].params;
	}
	err = blkjob_dm_bottom(name, segs, t.n, bottom, why, len);
	free(segs);
	bjdm_table_free(&t);
	return err;
}

/* @s becomes the device @d, as a plain device: a move goes beneath. */
static int src_of_devno(struct src *s, dev_t d)
{
	int err;

	s->plain = true;
	s->devno = d;
	if (kernel_name(d, s->kname, sizeof(s->kname)))
		return err_msg("%u:%u: not found in /sys/dev/block", major(d),
			       minor(d));
	snprintf(s->name, sizeof(s->name), TMP_PREFIX "%s", s->kname);
	err = blkjob_dev_path(d, s->path, sizeof(s->path));
	return err ? err_msg("%u:%u: no device node: %s", major(d), minor(d),
			     strerror(-err)) : 0;
}

/*
 * A mirror of a dm device whose table is not all linear (crypt) moves the
 * device beneath it; the table keeps its targets, on the destination.
 * Only when it is that device's one holder: moving the device moves every
 * holder, and the others were not asked for.
 */
static int src_beneath(struct src *s, const struct request *req)
{
	struct blkjob_holders h;
	struct bjdm_table t;
	bool linear = true;
	unsigned int i;
	char why[1024];
	dev_t bottom = 0;
	int err;

	if (req->cmd != CMD_MIRROR || s->plain)
		return 0;
	if (bjdm_get_lines(s->name, DM_DEVICE_TABLE, false, &t))
		return dm_fail("%s: cannot read its table", s->name);
	for (i = 0; i < t.n; i++)
		linear &= !strcmp(t.seg[i].type, "linear");
	/* Empty, or our own: check_dm_src() says so. */
	if (!t.n || our_type(t.seg[0].type))
		linear = true;
	bjdm_table_free(&t);
	if (linear)
		return 0;
	if (bottom_of(s->name, &bottom, why, sizeof(why)))
		return err_msg("%s", why);
	if (tmp_devno(bottom))
		return err_msg("%s is already being moved (it sits on blkjob's device %u:%u); wait for the job or run 'blkjobctl restore %s'",
			       s->name, major(bottom), minor(bottom), s->name);
	err = blkjob_holders_get(bottom, &h, why, sizeof(why));
	if (err)
		return err_msg("%s", why);
	err = h.n > 1;
	if (err)
		err_msg("%s sits on %u:%u, which %s also holds; moving that device would move both. Mirror it instead to move all its holders",
			s->name, major(bottom), minor(bottom),
			strcmp(h.names[0], s->name) ? h.names[0] : h.names[1]);
	blkjob_holders_free(&h);
	return err ? EXIT_FAIL : src_of_devno(s, bottom);
}

/* A path to dm device @name for job-new: /dev/mapper/NAME or /dev/dm-N. */
static int dm_path(const struct plumb *pl, char *buf, size_t len)
{
	dev_t want = makedev(pl->info.major, pl->info.minor);
	struct stat st;

	snprintf(buf, len, "/dev/mapper/%s", pl->name);
	if (!stat(buf, &st) && S_ISBLK(st.st_mode) && st.st_rdev == want)
		return 0;
	snprintf(buf, len, "/dev/dm-%u", pl->info.minor);
	if (!stat(buf, &st) && S_ISBLK(st.st_mode) && st.st_rdev == want)
		return 0;
	return err_msg("%s: no device node in /dev/mapper or /dev", pl->name);
}

/* ------------------------------------------------------------------ */
/* Retiring the plumbing                                              */
/* ------------------------------------------------------------------ */

enum outcome {
	OUT_NONE,		/* nothing of blkjob was there */
	OUT_ORIGINAL,		/* the original mapping is back */
	OUT_DESTINATION,	/* the device maps straight onto DST */
	OUT_REMOVED,		/* our temporary device is gone */
	OUT_BLKJOB,		/* still through the target (job at work) */
	OUT_CURRENT,		/* kept its table; a stray helper removed */
};

static const char *outcome_str(enum outcome o)
{
	static const char *const s[] = {
		[OUT_NONE] = "unchanged", [OUT_ORIGINAL] = "original",
		[OUT_DESTINATION] = "destination", [OUT_REMOVED] = "removed",
		[OUT_BLKJOB] = "blkjob", [OUT_CURRENT] = "current",
	};
	return s[o];
}

/* The table that replaces the blkjob target when it is retired. */
static int retired_table(const struct plumb *pl, struct bjdm_table *t,
			 enum outcome *out)
{
	uint64_t len = pl->live.seg[0].len;
	char params[64];
	dev_t d;

	memset(t, 0, sizeof(*t));
	if (pl->pinned) {
		/* Its own legs, no helper: it stays a pinned device. */
		*out = strcmp(pl->leg, "destination") ? OUT_ORIGINAL :
		       OUT_DESTINATION;
		d = *out == OUT_DESTINATION ? pl->dst_dev : pl->src_dev;
		snprintf(params, sizeof(params), "%u:%u", major(d), minor(d));
		return bjdm_table_add(t, 0, len, TARGET_PINNED, params) ?
		       EXIT_FAIL : 0;
	}
	if (!strcmp(pl->leg, "destination")) {
		/* Pivoted: the data lives on DST now, whatever was before. */
		snprintf(params, sizeof(params), "%u:%u 0",
			 major(pl->dst_dev), minor(pl->dst_dev));
		*out = OUT_DESTINATION;
		return bjdm_table_add(t, 0, len, "linear", params) ? EXIT_FAIL : 0;
	}
	*out = OUT_ORIGINAL;
	if (pl->hinfo.exists && pl->hinfo.live_table &&
	    makedev(pl->hinfo.major, pl->hinfo.minor) == pl->src_dev) {
		if (bjdm_get_lines(pl->helper, DM_DEVICE_TABLE, false, t))
			return dm_fail("%s: cannot read its table",
				       pl->helper);
		if (bjdm_table_size(t) == len)
			return 0;
		bjdm_table_free(t);
	}
	/*
	 * No usable helper (removed by hand?): the source leg itself is what
	 * the device showed, so a linear map onto it is the same data.
	 */
	snprintf(params, sizeof(params), "%u:%u 0", major(pl->src_dev),
		 minor(pl->src_dev));
	return bjdm_table_add(t, 0, len, "linear", params) ? EXIT_FAIL : 0;
}

/* Replace the live blkjob table of pl->name by what retires it. */
static int swap_out_target(struct plumb *pl, enum outcome *out)
{
	struct bjdm_table t;
	int ret;

	ret = retired_table(pl, &t, out);
	if (ret)
		return ret;
	if (!bjdm_load(pl->name, &t, pl->info.read_only)) {
		bjdm_table_free(&t);
		return dm_fail("%s: cannot load its %s table", pl->name,
			       outcome_str(*out));
	}
	bjdm_table_free(&t);
	kill_point("retire-load");
	if (!bjdm_simple(DM_DEVICE_RESUME, pl->name))
		return dm_fail("%s: cannot resume it with its %s table",
			       pl->name, outcome_str(*out));
	kill_point("retire-resume");
	return 0;
}

/* The helper holds the table pl->name has now. */
static bool helper_matches(const struct plumb *pl)
{
	struct bjdm_table t;
	bool same;

	if (bjdm_get_lines(pl->helper, DM_DEVICE_TABLE, false, &t))
		return false;
	same = bjdm_table_eq(&t, &pl->live);
	bjdm_table_free(&t);
	return same;
}

/* A blkjob table loaded but not live (killed before the resume): drop it. */
static int drop_inactive(struct plumb *pl)
{
	struct bjdm_table t;
	bool ours;

	if (bjdm_get_lines(pl->name, DM_DEVICE_TABLE, true, &t))
		return dm_fail("%s: cannot read its inactive table", pl->name);
	/* A pinned device's own one-leg table is not a half-done step. */
	ours = t.n && our_type(t.seg[0].type) &&
	       strchr(t.seg[0].params, ' ');
	bjdm_table_free(&t);
	if (ours && !bjdm_simple(DM_DEVICE_CLEAR, pl->name))
		return dm_fail("%s: cannot clear its inactive table", pl->name);
	return 0;
}

/* Say what the wipe of the old disk erased. */
static void say_wiped(const struct plumb *pl,
		      const struct blkjob_wipe_result *res)
{
	unsigned int i;

	for (i = 0; i < res->n; i++)
		printf("%s: the old disk's %s signature erased (offset %" PRIu64 ", %" PRIu64 " bytes%s%s)\n",
		       pl->name, res->sigs[i].type, res->sigs[i].offset,
		       res->sigs[i].len, res->sigs[i].backup[0] ?
		       "; saved in " : "", res->sigs[i].backup);
}

/*
 * The plumbing is retired. A recorded move that pivoted (the kernel
 * committed that) retires its source: its signatures are wiped, so that
 * nothing finds the stale copy by UUID, and the record says so. One that
 * did not goes back to "source". Failures lose nothing: "pivoted" and
 * "moving" are activated as they should be; they are reported.
 */
static void record_outcome(struct plumb *pl, enum outcome out)
{
	struct blkjob_wipe_result res = { 0 };
	struct blkjob_meta_dev rec;
	struct blkjob_ctx *ctx;
	char meta[PATH_MAX], why[512];
	int err;

	if ((out != OUT_ORIGINAL && out != OUT_DESTINATION) ||
	    (!pl->recorded && !pl->has_meta))
		return;
	ctx = blkjob_open();
	if (!ctx)
		return;
	if (pl->recorded)
		snprintf(meta, sizeof(meta), "%s", pl->meta);
	err = pl->recorded ? 0 : blkjob_dev_path(pl->meta_dev, meta,
						  sizeof(meta));
	/* The kernel may have changed it since we read it: read it again. */
	if (!err)
		err = blkjob_meta_dev_get(ctx, meta, pl->uuid, &rec);
	if (err)
		snprintf(why, sizeof(why), "cannot read %s's record: %s",
			 pl->name, strerror(-err));
	else if (out == OUT_ORIGINAL)
		err = blkjob_record_back(ctx, meta, &rec, why, sizeof(why));
	else
		err = blkjob_record_retire(ctx, meta, &rec, pl->wipe_backup,
					   &res, why, sizeof(why));
	say_wiped(pl, &res);
	blkjob_wipe_result_free(&res);
	if (err && out == OUT_ORIGINAL)
		fprintf(stderr, "Warning: %s (activation still maps %s onto its source).\n",
			why, pl->name);
	else if (err)
		fprintf(stderr, "Warning: %s; the old disk may still be found by its UUID (activation maps %s onto the new one).\n",
			why, pl->name);
	else if (out == OUT_DESTINATION && rec.state == BLKJOB_META_STATE_RETIRED)
		printf("%s: the old disk is retired (recorded on %s)\n",
		       pl->name, meta);
	blkjob_close(ctx);
}

/*
 * Our device beneath dm holders: they go onto the destination when the
 * target pivoted, else back onto the source, keeping their targets.
 */
static int lift_holders(struct plumb *pl, enum outcome *out)
{
	dev_t self = makedev(pl->info.major, pl->info.minor);
	bool pivoted;
	char why[512];
	int n;

	if (!pl->blkjob)
		return err_msg("%s holds %s but has no blkjob table; reload them onto their device by hand",
			       pl->name, pl->holders.names[0]);
	pivoted = !strcmp(pl->leg, "destination");
	n = blkjob_holders_swap(self, pivoted ? pl->dst_dev : pl->src_dev,
				why, sizeof(why));
	if (n < 0)
		return err_msg("%s", why);
	*out = pivoted ? OUT_DESTINATION : OUT_ORIGINAL;
	kill_point("lift");
	return 0;
}

/*
 * LVM's devices file, if in use, follows a PV onto @new (added before the
 * old disk is wiped) and off @old (after). Failures are reported.
 */
static void lvm_devices(bool add, const char *path)
{
	char why[512];
	int r;

	r = add ? blkjob_lvm_devices_add(path, why, sizeof(why)) :
	      blkjob_lvm_devices_del(path, why, sizeof(why));
	if (r > 0)
		printf("%s: %s LVM's devices file\n", path,
		       add ? "added to" : "dropped from");
	else if (r < 0)
		fprintf(stderr, "Warning: %s; check LVM's devices file (lvmdevices) lists the PV's new disk and not its old one.\n",
			why);
}

/* libblkid finds an LVM label on @path. */
static bool is_pv(const char *path)
{
	struct blkjob_wipe_result res = { 0 };
	unsigned int i;
	bool pv = false;

	if (blkjob_wipe(path, NULL, BLKJOB_WIPE_DRY_RUN, &res))
		return false;
	for (i = 0; i < res.n; i++)
		pv |= !strcmp(res.sigs[i].type, "LVM2_member");
	blkjob_wipe_result_free(&res);
	return pv;
}

/* The old disk about to be wiped is a PV: list the destination first. */
static void lvm_devices_follow(struct plumb *pl, const char *old)
{
	char dst[PATH_MAX];

	if (is_pv(old) && !blkjob_dev_path(pl->dst_dev, dst, sizeof(dst)))
		lvm_devices(true, dst);
}

/*
 * A move beneath ended: one of its two disks holds a copy nobody uses any
 * more, with the same LVM label, LUKS header or filesystem UUID as the
 * live one. LVM refuses to work on a VG with duplicate PVs, and lookups by
 * UUID may pick either, so that copy's signatures are wiped: the old disk
 * after a pivot (@what "old disk"), the destination after a move that did
 * not pivot ("destination"; its partial copy was scratch). A failure loses
 * nothing and is reported.
 */
static void wipe_copy(struct plumb *pl, dev_t dev, const char *what)
{
	struct blkjob_wipe_result res = { 0 };
	struct blkjob_holders h;
	char path[PATH_MAX], why[256];
	unsigned int i;
	int err;

	/* Reloaded onto it behind our back: it is someone's data again. */
	err = blkjob_holders_get(dev, &h, why, sizeof(why));
	if (!err && h.n) {
		fprintf(stderr, "Warning: %s holds the %s %u:%u; not wiping it.\n",
			h.names[0], what, major(dev), minor(dev));
		blkjob_holders_free(&h);
		return;
	}
	if (!err)
		err = blkjob_dev_path(dev, path, sizeof(path));
	if (!err && dev == pl->src_dev)
		lvm_devices_follow(pl, path);
	if (!err)
		err = blkjob_wipe(path, pl->wipe_backup, 0, &res);
	for (i = 0; i < res.n; i++) {
		printf("%s: the %s's %s signature erased (offset %" PRIu64 ", %" PRIu64 " bytes%s%s)\n",
		       path, what, res.sigs[i].type, res.sigs[i].offset,
		       res.sigs[i].len, res.sigs[i].backup[0] ?
		       "; saved in " : "", res.sigs[i].backup);
		if (!strcmp(res.sigs[i].type, "LVM2_member") &&
		    dev == pl->src_dev)
			lvm_devices(false, path);
	}
	blkjob_wipe_result_free(&res);
	if (err)
		fprintf(stderr, "Warning: cannot wipe the %s %u:%u: %s; it may still be found by its UUID.\n",
			what, major(dev), minor(dev), strerror(-err));
}

static int wait_detached(struct plumb *pl);

/*
 * 'restore force' of a pending mirror: a table reload would put NAME on a
 * leg chosen from a status line that may be stale by then (the source can
 * go stale at any moment), so cancel the job instead: it goes back to the
 * source if the source is complete, else stays on the destination, and
 * the leg it leaves decides the retired table. @force: any other job on
 * a pinned device, whose table the kernel does not let go with a job
 * attached.
 */
static int cancel_job(struct plumb *pl, bool force)
{
	struct blkjob_ctx *ctx;
	int err;

	ctx = blkjob_open();
	if (!ctx)
		return err_msg("cannot reach the blkjob module: %s",
			       strerror(errno));
	err = blkjob_job_cancel(ctx, pl->job_id, force);
	if (err && err != -ENOENT) {
		err_msg("cannot cancel job '%s': %s", pl->job_id,
			blkjob_errmsg(ctx)[0] ? blkjob_errmsg(ctx) :
			strerror(-err));
		blkjob_close(ctx);
		return EXIT_FAIL;
	}
	blkjob_close(ctx);
	return wait_detached(pl);
}

/*
 * Bring pl->name back to a mapping with no blkjob in it, from whatever
 * state the plumbing is in. @force: even with a job still at work (the
 * table reload force-cancels it; a pending mirror is cancelled first).
 */
static int restore_plumbing(struct plumb *pl, bool force,
			    enum outcome *out)
{
	bool touched = false;
	int ret;

	*out = OUT_NONE;
	if (pl->blkjob && job_pending(pl) && !force) {
		*out = OUT_BLKJOB;
		return err_msg("job '%s' is pending on %s, which runs on its destination with the source kept in sync; 'blkjobctl finalize %s' keeps the destination, 'blkjobctl cancel %s' goes back (or use 'restore %s force', which cancels)",
			       pl->job_id, pl->name, pl->job_id, pl->job_id,
			       pl->name);
	}
	if (pl->blkjob && job_pending(pl)) {
		ret = cancel_job(pl, false);
		if (ret)
			return ret;
	}
	if (pl->blkjob && job_active(pl) && !force) {
		*out = OUT_BLKJOB;
		return err_msg("job '%s' is still %s on %s; wait for it, cancel it, or use 'restore %s force'",
			       pl->job_id, pl->job_status, pl->name,
			       pl->name);
	}
	if (pl->blkjob && pl->pinned && job_active(pl)) {
		ret = cancel_job(pl, true);
		if (ret)
			return ret;
	}
	if (pl->info.exists && pl->tmp) {
		*out = OUT_REMOVED;
		if (pl->holders.n) {
			ret = lift_holders(pl, out);
			if (ret)
				return ret;
		} else if (pl->beneath && pl->blkjob) {
			/* Killed after the lift: the leg still says where. */
			*out = strcmp(pl->leg, "destination") ? OUT_ORIGINAL :
			       OUT_DESTINATION;
		}
		/* Ours from start to end: the device itself goes. */
		if (!bjdm_simple(DM_DEVICE_REMOVE, pl->name))
			return dm_fail("%s: cannot remove it", pl->name);
		if (*out == OUT_DESTINATION)
			wipe_copy(pl, pl->src_dev, "old disk");
		else if (*out == OUT_ORIGINAL)
			wipe_copy(pl, pl->dst_dev, "destination");
		return 0;
	}
	if (pl->blkjob) {
		ret = swap_out_target(pl, out);
		if (ret)
			return ret;
		touched = true;
	} else if (pl->info.exists && pl->info.inactive_table) {
		ret = drop_inactive(pl);
		if (ret)
			return ret;
	}
	if (pl->info.exists && !touched && pl->info.suspended) {
		/* Killed inside a suspend: the device must serve again. */
		if (!bjdm_simple(DM_DEVICE_RESUME, pl->name))
			return dm_fail("%s: cannot resume it", pl->name);
		touched = true;
	}
	if (pl->hinfo.exists) {
		/* Killed after the last swap: is that the original table? */
		if (*out == OUT_NONE && !touched)
			*out = helper_matches(pl) ? OUT_ORIGINAL : OUT_CURRENT;
		if (!bjdm_simple(DM_DEVICE_REMOVE, pl->helper))
			return dm_fail("%s: cannot remove it", pl->helper);
		touched = true;
	}
	if (touched && *out == OUT_NONE)
		*out = OUT_ORIGINAL;
	record_outcome(pl, *out);
	return 0;
}

/* Re-read pl and retire it once its job stopped being active. */
static int settle_and_restore(struct plumb *pl, enum outcome *out)
{
	char name[DM_NAME_LEN];
	int tries, ret;

	snprintf(name, sizeof(name), "%s", pl->name);
	/* The job's last events come a moment before the target sees it go. */
	for (tries = 0; tries < 100; tries++) {
		ret = plumb_read(pl, name);
		if (ret)
			return ret;
		if (!job_active(pl))
			break;
		usleep(50000);
	}
	return restore_plumbing(pl, false, out);
}

/* ------------------------------------------------------------------ */
/* Setting it up                                                      */
/* ------------------------------------------------------------------ */

static int helper_uuid(const struct plumb *pl, char *buf, size_t len)
{
	const char *base = pl->uuid[0] ? pl->uuid : pl->name;

	buf[0] = '\0';
	if (strlen(UUID_REAL) + strlen(base) < len)
		snprintf(buf, len, UUID_REAL "%s", base);
	return 0;
}

/* NAME can be put through the target: nothing of ours or anyone's half done. */
static int check_dm_src(struct plumb *pl)
{
	if (!pl->info.live_table)
		return err_msg("%s has no table", pl->name);
	if (pl->blkjob)
		return err_msg("%s already maps through blkjob (job '%s'); wait for it or run 'blkjobctl restore %s'",
			       pl->name, pl->job_id, pl->name);
	if (pl->info.suspended)
		return err_msg("%s is suspended", pl->name);
	if (pl->info.inactive_table)
		return err_msg("%s has an inactive table loaded (an interrupted reload?); run 'blkjobctl restore %s' or 'dmsetup clear %s'",
			       pl->name, pl->name, pl->name);
	if (!bjdm_table_size(&pl->live))
		return err_msg("%s: its table does not start at 0 or has holes",
			       pl->name);
	return 0;
}

/* LVM names its LVs' dm devices with uuids "LVM-<vg uuid><lv uuid>". */
static bool is_lvm(const struct plumb *pl)
{
	return !strncmp(pl->uuid, "LVM-", 4);
}

/*
 * A completed mirror changes the mapping under LVM, whose metadata keeps the
 * LV on its old extents: the next activation or refresh maps the old, stale
 * data back under a filesystem that has moved on. Only on request. The
 * permanent move is the PV's, from beneath all its LVs.
 */
static int check_lvm(const struct plumb *pl, const struct request *req)
{
	char pv[PATH_MAX] = "its PV", w[64];
	dev_t d;

	if (req->cmd != CMD_MIRROR || !is_lvm(pl) || req->below_lvm)
		return 0;
	if (pl->live.n && sscanf(pl->live.seg[0].params, "%63s", w) == 1 &&
	    parse_devno(w, &d) && blkjob_dev_path(d, pv, sizeof(pv)))
		snprintf(pv, sizeof(pv), "its PV");
	return err_msg("%s is an LVM logical volume: a mirror moves it below LVM, whose metadata would still place it on its old disk, so a later activation or 'lvchange --refresh' maps the stale data back. Mirror %s instead to move every LV on it for good, use pvmove to move this LV alone, or add 'below-lvm' to move it anyway (see blkjobctl(8), LVM)",
		       pl->name, pv);
}

/*
 * A mirror replaces NAME's whole table with a linear map onto DST at the
 * pivot: only a table that maps one device linearly survives that as what
 * it was (libblkjob's blkjob_dm_movable() says why others do not). A
 * backup changes no mapping and copies what NAME shows.
 */
static int check_movable(const struct plumb *pl, const struct request *req)
{
	struct blkjob_dm_seg *segs;
	char why[1024];
	unsigned int i;
	int err;

	if (req->cmd != CMD_MIRROR)
		return 0;
	segs = calloc(pl->live.n ? pl->live.n : 1, sizeof(*segs));
	if (!segs)
		return err_msg("out of memory");
	for (i = 0; i < pl->live.n; i++) {
		segs[i].type = pl->live.seg[i].type;
		segs[i].params = pl->live.seg[i].params;
	}
	err = blkjob_dm_movable(pl->name, segs, pl->live.n, why, sizeof(why));
	free(segs);
	return err ? err_msg("%s", why) : 0;
}

/* Step 1: the helper keeps NAME's current table. Reused if it is that. */
static int make_helper(struct plumb *pl)
{
	char uuid[DM_UUID_LEN];
	struct bjdm_table t;
	bool same;

	if (pl->hinfo.exists) {
		if (bjdm_get_lines(pl->helper, DM_DEVICE_TABLE, false, &t))
			return dm_fail("%s: cannot read its table",
				       pl->helper);
		same = bjdm_table_eq(&t, &pl->live);
		bjdm_table_free(&t);
		if (!same)
			return err_msg("%s exists and is not a copy of %s's table; run 'blkjobctl restore %s'",
				       pl->helper, pl->name, pl->name);
	} else {
		helper_uuid(pl, uuid, sizeof(uuid));
		if (!bjdm_create_dev(pl->helper, uuid, &pl->live,
				   pl->info.read_only))
			return dm_fail("cannot create %s", pl->helper);
		if (bjdm_get_info(pl->helper, &pl->hinfo, NULL, 0) ||
		    !pl->hinfo.exists)
			return dm_fail("%s vanished", pl->helper);
	}
	kill_point("helper");
	return 0;
}

/*
 * A mirror gives the destination the identity at the pivot only
 * (dm-target.md, "hold"): the first 8 MiB hold the LVM label and metadata,
 * the LUKS2 headers (libblkid looks for the second one up to 4 MiB in)
 * and filesystem superblocks. Until then nothing finds the partial copy
 * by UUID, after a power cut too. A backup's copy is the point of it.
 */
#define IDENTITY_HOLD_SECTORS	(8U << 11)

/*
 * @meta: the metadata device recording the move, 0 when none; @hold:
 * leading sectors the destination gets at the pivot only.
 */
static int blkjob_table(struct bjdm_table *t, const char *type, uint64_t len,
			dev_t src, dev_t dst, dev_t meta, unsigned int hold)
{
	char params[128];
	int n;

	memset(t, 0, sizeof(*t));
	n = snprintf(params, sizeof(params), "%u:%u %u:%u", major(src),
		     minor(src), major(dst), minor(dst));
	if (meta)
		n += snprintf(params + n, sizeof(params) - n, " meta %u:%u",
			      major(meta), minor(meta));
	if (hold)
		snprintf(params + n, sizeof(params) - n, " hold %u", hold);
	return bjdm_table_add(t, 0, len, type, params) ? EXIT_FAIL : 0;
}

/* Steps 2 and 3: NAME goes through the target, live. */
static int route_through_target(struct plumb *pl, dev_t dst,
				unsigned int hold)
{
	/* A pinned device's own leg; else the helper with its old table. */
	dev_t src = pl->pinned ? pl->pin_dev :
		    makedev(pl->hinfo.major, pl->hinfo.minor);
	struct bjdm_table t;
	struct stat st;
	dev_t meta = 0;
	bool ok;

	if (pl->recorded) {
		if (stat(pl->meta, &st))
			return err_msg("%s: %s", pl->meta, strerror(errno));
		meta = st.st_rdev;
	}
	if (blkjob_table(&t, pl->pinned ? TARGET_PINNED : TARGET_TYPE,
			 bjdm_table_size(&pl->live), src, dst, meta, hold))
		return EXIT_FAIL;
	ok = bjdm_load(pl->name, &t, pl->info.read_only);
	bjdm_table_free(&t);
	if (!ok)
		return dm_fail("%s: the kernel refused the blkjob table",
			       pl->name);
	kill_point("load");
	/* The resume suspends (freezing a mounted fs), swaps and resumes. */
	if (!bjdm_simple(DM_DEVICE_RESUME, pl->name))
		return dm_fail("%s: cannot resume it through blkjob",
			       pl->name);
	kill_point("resume");
	return 0;
}

/*
 * Whether SRC, busy, can be moved from beneath its holders: every holder a
 * dm device whose table sits on it alone. Held by nothing, it is mounted
 * or opened exclusively, and nothing can be re-routed.
 */
static int check_beneath(const struct src *s, const char *arg,
			 bool *beneath)
{
	struct blkjob_holders h;
	char why[1024];
	int err;

	*beneath = false;
	if (!bdev_busy(arg))
		return 0;
	err = blkjob_holders_check(s->devno, &h, why, sizeof(why));
	if (err)
		return err_msg("%s", why);
	*beneath = h.n > 0;
	blkjob_holders_free(&h);
	if (!*beneath)
		return err_msg("%s is a plain device in use; put a dm device in front of it with 'blkjobctl wrap' next time",
			       arg);
	return 0;
}

/*
 * A plain SRC: our own device in front of it, straight through; and when
 * dm devices hold SRC, they are reloaded onto ours.
 */
static int make_tmp(struct plumb *pl, const struct src *s, const char *arg,
		    dev_t dst, uint64_t dst_bytes, unsigned int hold)
{
	char uuid[DM_UUID_LEN], name[DM_NAME_LEN], why[512];
	struct bjdm_table t;
	struct dm_info info;
	uint64_t bytes;
	bool ok, beneath;
	int n;

	if (check_beneath(s, arg, &beneath))
		return EXIT_FAIL;
	if (bdev_size(arg, &bytes))
		return err_msg("%s: cannot read its size: %s", arg,
			       strerror(errno));
	if (dst_bytes < bytes)
		return err_msg("the destination is smaller than %s (%" PRIu64 " < %" PRIu64 " bytes)",
			       arg, dst_bytes, bytes);
	if (blkjob_table(&t, TARGET_TYPE, bytes >> 9, s->devno, dst, 0,
			 hold))
		return EXIT_FAIL;
	snprintf(uuid, sizeof(uuid), "%s%s", beneath ? UUID_BENEATH : UUID_TMP,
		 s->kname);
	ok = bjdm_create_dev(pl->name, uuid, &t, false);
	bjdm_table_free(&t);
	if (!ok)
		return dm_fail("cannot create %s through blkjob",
			       pl->name);
	kill_point("resume");
	if (beneath) {
		if (bjdm_get_info(pl->name, &info, NULL, 0) || !info.exists)
			return dm_fail("%s vanished", pl->name);
		n = blkjob_holders_swap(s->devno,
					makedev(info.major, info.minor), why,
					sizeof(why));
		if (n < 0)
			return err_msg("%s", why);
		kill_point("holders");
	}
	/* plumb_read() rewrites pl->name: give it a copy. */
	snprintf(name, sizeof(name), "%s", pl->name);
	return plumb_read(pl, name);
}

/* ------------------------------------------------------------------ */
/* Commands                                                           */
/* ------------------------------------------------------------------ */

struct live {
	struct request *req;
	struct printer *p;
	struct blkjob_ctx *ctx;
	struct plumb pl;
	struct blkjob_job job;
	char src_path[PATH_MAX];	/* the dm device, for job-new */
	char under[PATH_MAX];		/* the device a move goes beneath */
	char dst_path[PATH_MAX];
	dev_t dst;
	uint64_t dst_bytes;
};

static int resolve_dst(struct live *l, const char *arg)
{
	struct stat st;

	if (stat(arg, &st))
		return err_msg("%s: %s", arg, strerror(errno));
	if (!S_ISBLK(st.st_mode))
		return err_msg("%s is not a block device", arg);
	if (!realpath(arg, l->dst_path))
		return err_msg("%s: %s", arg, strerror(errno));
	l->dst = st.st_rdev;
	if (bdev_size(arg, &l->dst_bytes))
		return err_msg("%s: cannot read its size: %s", arg,
			       strerror(errno));
	if (bdev_busy(arg))
		return err_msg("%s is in use", arg);
	return 0;
}

/* The final (or only) output of mirror and backup. */
static void print_live(struct live *l, enum outcome out, bool full)
{
	struct printer *p = l->p;
	const char *id = l->req->params.id;

	pr_open_obj(p, NULL);
	pr_string(p, PR_JSON, "command", NULL, command_name(l->req->cmd));
	pr_string(p, PR_JSON, "device", NULL, l->pl.name);
	if (!l->pl.tmp)
		pr_string(p, PR_JSON, "helper", NULL,
			  out == OUT_BLKJOB ? l->pl.helper : NULL);
	pr_string(p, PR_JSON, "id", NULL, id);
	pr_string(p, PR_JSON, "mapping", NULL, outcome_str(out));
	if (l->job.present)
		print_job_member(p, "job", &l->job,
				 full ? VIEW_FULL : VIEW_LINE);
	pr_close_obj(p);
}

/* Where the holders of a move beneath went. */
static void say_holders(struct printer *p, const struct plumb *pl,
			const char *where)
{
	unsigned int i;

	for (i = 0; i < pl->holders.n; i++)
		pr_text(p, "%s: now on %s, its table otherwise as it was\n",
			pl->holders.names[i], where);
	if (pl->holders.n)
		pr_text(p, "%s: removed; blkjob retired\n", pl->name);
	else
		pr_text(p, "%s: removed (its holders were already on %s); blkjob retired\n",
			pl->name, where);
}

static void say_outcome(struct live *l, enum outcome out)
{
	struct printer *p = l->p;

	if (l->pl.beneath && (out == OUT_DESTINATION || out == OUT_ORIGINAL)) {
		say_holders(p, &l->pl, out == OUT_DESTINATION ? l->dst_path :
			    l->under);
		return;
	}
	switch (out) {
	case OUT_DESTINATION:
		pr_text(p, "%s: now maps %sonto %s; blkjob retired\n",
			l->pl.name, l->pl.pinned ? "" : "linear ",
			l->dst_path);
		if (is_lvm(&l->pl))
			fprintf(stderr,
				"Warning: LVM's metadata still places %s on its old disk; do not deactivate or refresh it (see blkjobctl(8), LVM).\n",
				l->pl.name);
		break;
	case OUT_ORIGINAL:
		pr_text(p, "%s: original mapping restored; blkjob retired\n",
			l->pl.name);
		break;
	case OUT_REMOVED:
		pr_text(p, "%s: removed (it only stood in front of %s)\n",
			l->pl.name, l->req->dev);
		break;
	default:
		break;
	}
}

static int wait_detached(struct plumb *pl);
static int wait_pending(struct plumb *pl);

/* Retire the plumbing after the job ended, and say so. */
static int finish_live(struct live *l, int code)
{
	enum outcome out = OUT_NONE;
	int ret;

	ret = settle_and_restore(&l->pl, &out);
	if (ret) {
		fprintf(stderr,
			"Hint: run 'blkjobctl restore %s' to retire the blkjob plumbing.\n",
			l->pl.name);
		return EXIT_FAIL;
	}
	say_outcome(l, out);
	if (!l->req->quiet)
		print_live(l, out, false);
	return code;
}

/* Interrupted while waiting: the job goes on in the kernel. */
static int left_running(struct live *l)
{
	const char *id = l->req->params.id;

	fprintf(stderr,
		"%s keeps running on %s: 'blkjobctl wait %s', 'complete %s' or 'cancel %s', then 'blkjobctl restore %s'.\n",
		id, l->pl.name, id, id, id, l->pl.name);
	return EXIT_FAIL;
}

/*
 * Completed with auto-finalize off: the job is pending, NAME runs on DST,
 * the old disk is kept in sync. The plumbing stays for finalize or cancel.
 */
static int say_pending(struct live *l)
{
	const char *id = l->req->params.id;
	char src[PATH_MAX];

	/* The helper by its name, not as /dev/dm-N. */
	if (l->pl.hinfo.exists &&
	    makedev(l->pl.hinfo.major, l->pl.hinfo.minor) == l->pl.src_dev)
		snprintf(src, sizeof(src), "/dev/mapper/%s", l->pl.helper);
	else if (blkjob_dev_path(l->pl.src_dev, src, sizeof(src)))
		snprintf(src, sizeof(src), "%u:%u", major(l->pl.src_dev),
			 minor(l->pl.src_dev));
	pr_text(l->p, "%s: pending; %s now runs on %s, with %s kept in sync. 'blkjobctl finalize %s' retires %s, 'blkjobctl cancel %s' goes back to it; then 'blkjobctl restore %s'\n",
		id, l->pl.name, l->dst_path, src, id, src, id, l->pl.name);
	if (!l->req->quiet) {
		/* The job as it is now, not as it was when ready. */
		blkjob_job_get(l->ctx, id, &l->job);
		print_live(l, OUT_BLKJOB, false);
	}
	return EXIT_OK;
}

/* mirror ... auto-finalize off: complete pivots, the job then pends. */
static bool pends(const struct request *req)
{
	return BLKJOB_HAS(req->params.present, BLKJOB_A_JOB_AUTO_FINALIZE) &&
	       !req->params.auto_finalize;
}

static int wait_live(struct live *l)
{
	struct request *req = l->req;
	struct wait_opts o = {
		.id = req->params.id, .status = -1,
		.bar = !req->json && !req->quiet,
	};
	bool mirror = req->cmd == CMD_MIRROR;
	int code, err;

	if (mirror)
		o.status = BLKJOB_JOB_STATUS_READY;
	code = wait_job(l->ctx, &o, &l->job);
	if (!o.over)
		return left_running(l);
	if (!mirror || code != EXIT_OK)
		return finish_live(l, code);
	/* Ready. */
	if (!req->complete) {
		pr_text(l->p, "%s: ready; %s is mirrored onto %s. 'blkjobctl complete %s' pivots, then 'blkjobctl restore %s'\n",
			o.id, l->pl.name, l->dst_path, o.id, l->pl.name);
		if (!req->quiet)
			print_live(l, OUT_BLKJOB, false);
		return EXIT_OK;
	}
	err = blkjob_job_complete(l->ctx, o.id);
	if (err) {
		fail(l->ctx, err);
		return left_running(l);
	}
	/*
	 * Completing, the job may end and be dismissed before a job-get
	 * could see it: follow the target's status, which shows the job
	 * until it detaches, then the leg tells whether it pivoted.
	 */
	if (pends(req)) {
		if (wait_pending(&l->pl))
			return left_running(l);
		if (job_pending(&l->pl))
			return say_pending(l);
		/* It ended instead (the pivot failed): retire as usual. */
	} else if (wait_detached(&l->pl)) {
		return left_running(l);
	}
	return finish_live(l, strcmp(l->pl.leg, "destination") ?
			      EXIT_FAIL : EXIT_OK);
}

/* Undo a half-made setup after a failure; the failure is already reported. */
static void roll_back(struct live *l)
{
	enum outcome out;
	char name[DM_NAME_LEN];

	snprintf(name, sizeof(name), "%s", l->pl.name);
	if (plumb_read(&l->pl, name) ||
	    restore_plumbing(&l->pl, true, &out)) {
		fprintf(stderr, "Hint: run 'blkjobctl restore %s'.\n", name);
		return;
	}
	if (out != OUT_NONE)
		fprintf(stderr, "%s: %s\n", name,
			out == OUT_REMOVED ? "removed again" :
			"original mapping restored");
}

/*
 * A mirror of a device recorded on a metadata device: commit "moving" to
 * DST before the target comes in, so that the target can commit the pivot
 * (Documentation/blkjob/metadata.md). A device recorded nowhere moves as
 * before, for as long as the host stays up.
 */
static int record_move(struct live *l)
{
	struct plumb *pl = &l->pl;
	char leg[PATH_MAX], why[512];
	unsigned int ma, mi;
	uint64_t off;
	int err;

	/*
	 * Only 'wrap ... meta' records devices, with uuid BLKJOB-<uuid>: the
	 * scan opens every block device, so others are spared it.
	 */
	if (l->req->cmd != CMD_MIRROR || strncmp(pl->uuid, "BLKJOB-", 7) ||
	    !strncmp(pl->uuid, UUID_REAL, strlen(UUID_REAL)) ||
	    !strncmp(pl->uuid, UUID_TMP, strlen(UUID_TMP)))
		return 0;
	err = blkjob_meta_find(l->ctx, pl->uuid, pl->meta, sizeof(pl->meta),
			       &pl->rec);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err_msg("cannot look for %s's metadata device: %s",
			       pl->name, strerror(-err));
	if (pl->pinned) {
		ma = major(pl->pin_dev);
		mi = minor(pl->pin_dev);
	} else if (pl->live.n != 1 || strcmp(pl->live.seg[0].type, "linear") ||
		   sscanf(pl->live.seg[0].params, "%u:%u %" SCNu64, &ma, &mi,
			  &off) != 3 || off) {
		return err_msg("%s is recorded on %s but does not map onto one whole device",
			       pl->name, pl->meta);
	}
	err = blkjob_dev_path(makedev(ma, mi), leg, sizeof(leg));
	if (err)
		return err_msg("%u:%u: %s", ma, mi, strerror(-err));
	err = blkjob_record_move(l->ctx, pl->meta, &pl->rec, leg, l->dst_path,
				 why, sizeof(why));
	if (err)
		return err_msg("%s", why);
	pl->recorded = true;
	pr_text(l->p, "%s: move to %s recorded on %s\n", pl->name,
		l->dst_path, pl->meta);
	return 0;
}

static int setup_live(struct live *l, const struct src *s)
{
	struct request *req = l->req;
	unsigned int hold = req->cmd == CMD_MIRROR ? IDENTITY_HOLD_SECTORS : 0;
	uint64_t len;
	int ret;

	ret = plumb_read(&l->pl, s->name);
	if (ret)
		return ret;
	if (s->plain) {
		if (l->pl.info.exists)
			return err_msg("%s already exists (left over?); run 'blkjobctl restore %s'",
				       l->pl.name, l->pl.name);
		if (l->pl.hinfo.exists)
			return err_msg("%s exists; run 'blkjobctl restore %s'",
				       l->pl.helper, l->pl.name);
		ret = make_tmp(&l->pl, s, s->path, l->dst, l->dst_bytes,
			       hold);
		if (ret)
			roll_back(l);
		return ret;
	}
	ret = check_dm_src(&l->pl);
	/* A pinned device maps one device as it is: movable, never LVM's. */
	if (!ret && !l->pl.pinned)
		ret = check_movable(&l->pl, req);
	if (!ret && !l->pl.pinned)
		ret = check_lvm(&l->pl, req);
	if (ret)
		return ret;
	len = bjdm_table_size(&l->pl.live);
	if (l->dst_bytes < len << 9)
		return err_msg("%s is smaller than %s (%" PRIu64 " < %" PRIu64 " bytes)",
			       l->dst_path, l->pl.name, l->dst_bytes,
			       len << 9);
	if (l->dst == s->devno)
		return err_msg("source and destination are the same device");
	ret = record_move(l);
	if (ret)
		return ret;
	ret = l->pl.pinned ? 0 : make_helper(&l->pl);
	if (!ret)
		ret = route_through_target(&l->pl, l->dst, hold);
	if (ret) {
		roll_back(l);
		return ret;
	}
	return plumb_read(&l->pl, s->name);
}

/*
 * 'key-file FILE': the LUKS2 keys that the reloads of a move beneath need
 * and cryptsetup took out of the kernel keyring go back into ours, for as
 * long as blkjobctl runs (libblkjob's cryptkey.c): those of @dev if it is
 * a crypt device, and of the crypt devices holding it.
 */
static int load_keys(const struct request *req, dev_t dev)
{
	char why[512];
	int n;

	if (!req->key_file)
		return 0;
	n = blkjob_crypt_keys_load(dev, req->key_file, why, sizeof(why));
	if (n < 0)
		return err_msg("%s", why);
	if (n && !req->quiet)
		printf("%d volume key%s unlocked with %s\n", n,
		       n > 1 ? "s" : "", req->key_file);
	return 0;
}

/* @path's logical block size, 0 if it cannot be read. */
static unsigned int logical_block_size(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), lbs = 0;

	if (fd < 0)
		return 0;
	if (ioctl(fd, BLKSSZGET, &lbs))
		lbs = 0;
	close(fd);
	return lbs > 0 ? lbs : 0;
}

/*
 * What the kernel would refuse the table for, said before anything
 * changes (its own reason reaches us only through its log).
 * BLKJOBCTL_TEST_NO_PRECHECK=1 skips it, so that tests see the kernel's.
 */
static int check_block_size(dev_t devno, const char *dst)
{
	unsigned int s = 0, d = logical_block_size(dst);
	char src[PATH_MAX];

	if (!blkjob_dev_path(devno, src, sizeof(src)))
		s = logical_block_size(src);
	if (getenv("BLKJOBCTL_TEST_NO_PRECHECK") || !s || d <= s)
		return 0;
	return err_msg("%s has %u-byte logical blocks, larger than %s's %u bytes: it could not take every write the device takes",
		       dst, d, src, s);
}

static int cmd_live(struct live *l)
{
	struct request *req = l->req;
	struct src s;
	bool waiting = req->wait || req->complete;
	int ret, err;

	ret = resolve_dst(l, req->params.target);
	if (!ret)
		ret = resolve_src(req->dev, &s);
	if (ret)
		return ret;
	if (s.devno == l->dst)
		return err_msg("source and destination are the same device");
	ret = load_keys(req, s.devno);
	if (!ret)
		ret = src_beneath(&s, req);
	if (ret)
		return ret;
	if (s.devno == l->dst)
		return err_msg("%s sits on the destination", req->dev);
	ret = check_block_size(s.devno, l->dst_path);
	if (ret)
		return ret;
	snprintf(l->under, sizeof(l->under), "%s", s.path);
	ret = setup_live(l, &s);
	if (ret)
		return ret;
	ret = dm_path(&l->pl, l->src_path, sizeof(l->src_path));
	if (ret) {
		roll_back(l);
		return ret;
	}
	req->params.source = l->src_path;
	req->params.target = l->dst_path;
	err = new_job(l->ctx, req, &l->job);
	if (err) {
		ret = fail(l->ctx, err);
		roll_back(l);
		return ret;
	}
	kill_point("job");
	if (l->pl.pinned)
		pr_text(l->p, "%s: now maps through blkjob onto its disk and %s\n",
			l->pl.name, l->dst_path);
	else if (!l->pl.tmp)
		pr_text(l->p, "%s: now maps through blkjob (original table kept in %s)\n",
			l->pl.name, l->pl.helper);
	else if (l->pl.holders.n)
		pr_text(l->p, "%s: now beneath %s%s, in front of %s\n",
			l->pl.name, l->pl.holders.names[0],
			l->pl.holders.n > 1 ? " and the other holders" : "",
			s.path);
	else
		pr_text(l->p, "%s: stands in front of %s, through blkjob\n",
			l->pl.name, req->dev);
	if (!waiting) {
		if (!req->quiet)
			print_live(l, OUT_BLKJOB, true);
		return EXIT_OK;
	}
	return wait_live(l);
}

static int cmd_wrap(struct request *req, struct printer *p)
{
	struct blkjob_ctx *ctx = NULL;
	char uuid[DM_UUID_LEN] = "";
	struct dm_info info;
	int ret;
	struct bjdm_table t = { 0 };
	char params[64];
	struct stat st;
	uint64_t bytes;
	bool ok;

	if (stat(req->dev, &st))
		return err_msg("%s: %s", req->dev, strerror(errno));
	if (!S_ISBLK(st.st_mode))
		return err_msg("%s is not a block device", req->dev);
	if (bjdm_get_info(req->name, &info, NULL, 0))
		return dm_fail("cannot query device-mapper");
	if (info.exists)
		return err_msg("device-mapper device %s already exists",
			       req->name);
	if (bdev_busy(req->dev))
		return err_msg("%s is in use (mounted or held); wrap it while nothing uses it",
			       req->dev);
	if (bdev_size(req->dev, &bytes) || bytes < 512)
		return err_msg("%s: cannot read its size", req->dev);
	snprintf(params, sizeof(params), "%u:%u", major(st.st_rdev),
		 minor(st.st_rdev));
	if (bjdm_table_add(&t, 0, bytes >> 9, TARGET_PINNED, params))
		return err_msg("%s", strerror(ENOMEM));
	/* Recorded before it exists: a crash leaves a record, not a stray. */
	if (req->meta) {
		ctx = open_ctx();
		ret = ctx ? wrap_record(ctx, req, bytes >> 9, uuid,
					sizeof(uuid)) : EXIT_FAIL;
		if (ret) {
			bjdm_table_free(&t);
			if (ctx)
				blkjob_close(ctx);
			return ret;
		}
	}
	ok = bjdm_create_dev(req->name, uuid, &t, false);
	bjdm_table_free(&t);
	if (!ok && ctx)
		blkjob_meta_dev_del(ctx, req->meta, uuid);
	if (ctx)
		blkjob_close(ctx);
	if (!ok)
		return dm_fail("cannot create %s", req->name);
	pr_text(p, "/dev/mapper/%s maps onto %s (%s)\n", req->name, req->dev,
		TARGET_PINNED);
	if (req->meta)
		pr_text(p, "%s: recorded on %s as %s\n", req->name, req->meta,
			uuid);
	pr_open_obj(p, NULL);
	pr_string(p, PR_JSON, "command", NULL, "wrap");
	pr_string(p, PR_JSON, "device", NULL, req->name);
	pr_string(p, PR_JSON, "source", NULL, req->dev);
	if (req->meta) {
		pr_string(p, PR_JSON, "metadata", NULL, req->meta);
		pr_string(p, PR_JSON, "dm-uuid", NULL, uuid);
	}
	pr_close_obj(p);
	return EXIT_OK;
}

/*
 * Until the attached job has ended (or, with @pending, pends), from the
 * target's status (the job itself may be dismissed before anyone can ask
 * it).
 */
static int follow_job(struct plumb *pl, bool pending)
{
	char name[DM_NAME_LEN];
	int ret = 0;

	snprintf(name, sizeof(name), "%s", pl->name);
	catch_signals();
	/* What we last read may predate the job: read the status afresh. */
	ret = plumb_read(pl, name);
	while (!ret && job_active(pl) && !(pending && job_pending(pl))) {
		if (interrupted)
			return err_msg("interrupted; job '%s' goes on",
				       pl->job_id);
		usleep(100000);
		ret = plumb_read(pl, name);
	}
	return ret;
}

/* restore ... wait: until the attached job has ended. */
static int wait_detached(struct plumb *pl)
{
	return follow_job(pl, false);
}

/* mirror ... auto-finalize off wait complete: until it pends, or ends. */
static int wait_pending(struct plumb *pl)
{
	return follow_job(pl, true);
}

/* One line of sysfs dm attribute @attr of block device @kname. */
static bool dm_attr(const char *kname, const char *attr, char *buf,
		    size_t len)
{
	char path[64 + NAME_MAX];
	bool ok;
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/block/%s/dm/%s", kname, attr);
	fp = fopen(path, "re");
	if (!fp)
		return false;
	ok = fgets(buf, len, fp);
	fclose(fp);
	buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/*
 * Block device @kname is our device for a move beneath, with a leg on
 * @dev: its dm name into @name.
 */
static bool beneath_on(const char *kname, dev_t dev, char *name, size_t len)
{
	char uuid[DM_UUID_LEN], dm[DM_NAME_LEN], src[64], dst[64];
	struct bjdm_table t;
	dev_t s = 0, d = 0;
	bool on;

	if (!dm_attr(kname, "uuid", uuid, sizeof(uuid)) ||
	    strncmp(uuid, UUID_BENEATH, strlen(UUID_BENEATH)) ||
	    !dm_attr(kname, "name", dm, sizeof(dm)) ||
	    bjdm_get_lines(dm, DM_DEVICE_TABLE, false, &t))
		return false;
	on = t.n == 1 && !strcmp(t.seg[0].type, TARGET_TYPE) &&
	     sscanf(t.seg[0].params, "%63s %63s", src, dst) == 2 &&
	     parse_devno(src, &s) && parse_devno(dst, &d) &&
	     (s == dev || d == dev);
	bjdm_table_free(&t);
	if (on)
		snprintf(name, len, "%s", dm);
	return on;
}

/*
 * 'restore TOP' of a device moved from beneath restores that move: the
 * blkjob device TOP sits on, or the one with a leg on TOP's device (killed
 * before the holders moved onto it, or after they left it).
 */
static int restore_beneath(struct src *s)
{
	struct dirent *de;
	dev_t bottom = 0;
	char why[1024];
	DIR *d;

	if (s->plain || bottom_of(s->name, &bottom, why, sizeof(why)))
		return 0;
	if (tmp_devno(bottom))
		return bjdm_name_of_devno(bottom, s->name, sizeof(s->name)) ?
		       err_msg("%u:%u: no such dm device", major(bottom),
			       minor(bottom)) : 0;
	d = opendir("/sys/block");
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "dm-", 3) &&
		    beneath_on(de->d_name, bottom, s->name, sizeof(s->name)))
			break;
	closedir(d);
	return 0;
}

/* What 'restore' did, in words. */
static void say_restored(struct printer *p, const struct plumb *pl,
			 bool plain, enum outcome out)
{
	char where[32];
	dev_t d = out == OUT_DESTINATION ? pl->dst_dev : pl->src_dev;

	if (pl->beneath && (out == OUT_DESTINATION || out == OUT_ORIGINAL)) {
		snprintf(where, sizeof(where), "%u:%u", major(d), minor(d));
		say_holders(p, pl, where);
		return;
	}
	switch (out) {
	case OUT_NONE:
		if (!plain)
			pr_text(p, "%s: no blkjob plumbing; nothing to do\n",
				pl->name);
		break;
	case OUT_DESTINATION:
		pr_text(p, "%s: now maps %sonto %u:%u (the mirror had pivoted)\n",
			pl->name, pl->pinned ? "" : "linear ", major(d),
			minor(d));
		break;
	case OUT_ORIGINAL:
		pr_text(p, "%s: original mapping restored\n", pl->name);
		break;
	case OUT_REMOVED:
		pr_text(p, "%s: removed\n", pl->name);
		break;
	case OUT_CURRENT:
		pr_text(p, "%s: keeps its current table; %s removed\n",
			pl->name, pl->helper);
		break;
	default:
		break;
	}
}

static int cmd_restore(struct request *req, struct printer *p)
{
	struct dm_info info;
	struct plumb pl = { 0 };
	enum outcome out;
	struct src s;
	int ret;

	pl.wipe_backup = req->wipe_backup;
	ret = resolve_src(req->dev, &s);
	if (!ret)
		ret = restore_beneath(&s);
	if (!ret && req->key_file && !bjdm_get_info(s.name, &info, NULL, 0) &&
	    info.exists)
		ret = load_keys(req, makedev(info.major, info.minor));
	if (!ret)
		ret = plumb_read(&pl, s.name);
	if (!ret && req->wait && !req->force)
		ret = wait_detached(&pl);
	if (!ret && s.plain && !pl.info.exists && !pl.hinfo.exists)
		pr_text(p, "%s: no blkjob plumbing in front of it\n",
			req->dev);
	if (!ret)
		ret = restore_plumbing(&pl, req->force, &out);
	if (!ret) {
		say_restored(p, &pl, s.plain, out);
		pr_open_obj(p, NULL);
		pr_string(p, PR_JSON, "command", NULL, "restore");
		pr_string(p, PR_JSON, "device", NULL, pl.name);
		pr_string(p, PR_JSON, "mapping", NULL, outcome_str(out));
		pr_close_obj(p);
	}
	plumb_free(&pl);
	return ret;
}

/* No udev (a VM, a rescue shell): libdevmapper makes the nodes itself. */
static void dm_init(void)
{
	dm_log_with_errno_init(dm_logger);
	if (access("/run/udev/control", F_OK))
		dm_udev_set_sync_support(0);
}

int run_dm_request(struct request *req, struct printer *p)
{
	struct live *l;
	int code;

	dm_init();
	switch (req->cmd) {
	case CMD_WRAP:
		code = cmd_wrap(req, p);
		break;
	case CMD_RESTORE:
		code = cmd_restore(req, p);
		break;
	case CMD_ACTIVATE:
		l = calloc(1, sizeof(*l));
		if (!l)
			return fail(NULL, -ENOMEM);
		l->ctx = open_ctx();
		code = l->ctx ? cmd_activate(l->ctx, p, req) : EXIT_FAIL;
		if (l->ctx)
			blkjob_close(l->ctx);
		free(l);
		break;
	default:
		l = calloc(1, sizeof(*l));
		if (!l)
			return fail(NULL, -ENOMEM);
		l->req = req;
		l->p = p;
		l->pl.wipe_backup = req->wipe_backup;
		l->ctx = open_ctx();
		code = l->ctx ? cmd_live(l) : EXIT_FAIL;
		if (l->ctx)
			blkjob_close(l->ctx);
		plumb_free(&l->pl);
		free(l);
		break;
	}
	dm_lib_release();
	return code;
}
