// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Setting a live move up: what the caller named, whether it can move and
 * how, and the plumbing that puts it through the blkjob target.
 *
 * For a dm device NAME (an LVM LV, or any table):
 *
 *   1. create NAME-blkjob-real with NAME's live table (the "helper");
 *   2. load NAME's inactive table: 0 <size> blkjob <helper> <DST>;
 *   3. resume NAME: the kernel suspends it, swaps the tables, resumes it;
 *   4. job-new, source NAME, target DST (move.c).
 *
 * A wrapped device (blkjob-pinned DISK) needs no helper: its own table
 * gains the destination. A plain device nobody holds gets a temporary dm
 * device in front of it, "blkjob-<kernel name>" (uuid BLKJOB-TMP-...),
 * that maps through the target directly. A device that dm devices hold
 * (a PV under LVs, a LUKS container under its crypt mapping) is moved
 * beneath them: the temporary device goes in front of it and every
 * holder's table is reloaded onto it, the holders keeping their targets.
 * A plain device otherwise in use (mounted) is refused. plumb.c retires
 * each of these.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>

#include "move.h"

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

int setup_bdev_size(const char *path, uint64_t *bytes)
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
bool setup_bdev_busy(const char *path)
{
	int fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);

	if (fd < 0)
		return errno == EBUSY;
	close(fd);
	return false;
}
int setup_resolve_src(struct blkjob_move *m, const char *arg,
		      struct src *s)
{
	struct stat st;
	struct dm_info info;

	memset(s, 0, sizeof(*s));
	if (!stat(arg, &st)) {
		if (!S_ISBLK(st.st_mode))
			return mv_err(m, "%s is not a block device", arg);
		s->devno = st.st_rdev;
		if (dm_devno(st.st_rdev)) {
			if (bjdm_name_of_devno(st.st_rdev, s->name, sizeof(s->name)))
				return mv_err(m, "%s: no such device-mapper device",
					       arg);
			return 0;
		}
		s->plain = true;
		if (kernel_name(st.st_rdev, s->kname, sizeof(s->kname)))
			return mv_err(m, "%s: not found in /sys/dev/block", arg);
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
	return mv_err(m, "%s: %s", arg, strerror(ENOENT));
}

/* Is @d our temporary device (a move already under way beneath)? */
bool setup_tmp_devno(dev_t d)
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
int setup_bottom_of(const char *name, dev_t *bottom, char *why, size_t len)
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
static int src_of_devno(struct blkjob_move *m, struct src *s, dev_t d)
{
	int err;

	s->plain = true;
	s->devno = d;
	if (kernel_name(d, s->kname, sizeof(s->kname)))
		return mv_err(m, "%u:%u: not found in /sys/dev/block", major(d),
			       minor(d));
	snprintf(s->name, sizeof(s->name), TMP_PREFIX "%s", s->kname);
	err = blkjob_dev_path(d, s->path, sizeof(s->path));
	return err ? mv_err(m, "%u:%u: no device node: %s", major(d), minor(d),
			     strerror(-err)) : 0;
}

/*
 * A mirror of a dm device whose table is not all linear (crypt) moves the
 * device beneath it; the table keeps its targets, on the destination.
 * Only when it is that device's one holder: moving the device moves every
 * holder, and the others were not asked for.
 */
static int src_beneath(struct blkjob_move *m, struct src *s)
{
	struct blkjob_holders h;
	struct bjdm_table t;
	bool linear = true;
	unsigned int i;
	char why[1024];
	dev_t bottom = 0;
	int err;

	if (!m->mirror || s->plain)
		return 0;
	if (bjdm_get_lines(s->name, DM_DEVICE_TABLE, false, &t))
		return mv_dm_err(m, "%s: cannot read its table", s->name);
	for (i = 0; i < t.n; i++)
		linear &= !strcmp(t.seg[i].type, "linear");
	/* Empty, or our own: check_dm_src() says so. */
	if (!t.n || plumb_our_type(t.seg[0].type))
		linear = true;
	bjdm_table_free(&t);
	if (linear)
		return 0;
	if (setup_bottom_of(s->name, &bottom, why, sizeof(why)))
		return mv_err(m, "%s", why);
	if (setup_tmp_devno(bottom))
		return mv_err(m, "%s is already being moved (it sits on blkjob's device %u:%u); wait for the job or run 'blkjobctl restore %s'",
			       s->name, major(bottom), minor(bottom), s->name);
	err = blkjob_holders_get(bottom, &h, why, sizeof(why));
	if (err)
		return mv_err(m, "%s", why);
	err = h.n > 1;
	if (err)
		mv_err(m, "%s sits on %u:%u, which %s also holds; moving that device would move both. Mirror it instead to move all its holders",
			s->name, major(bottom), minor(bottom),
			strcmp(h.names[0], s->name) ? h.names[0] : h.names[1]);
	blkjob_holders_free(&h);
	return err ? -1 : src_of_devno(m, s, bottom);
}

/* A path to dm device @name for job-new: /dev/mapper/NAME or /dev/dm-N. */
int setup_dm_path(const struct plumb *pl, char *buf, size_t len)
{
	dev_t want = makedev(pl->info.major, pl->info.minor);
	struct stat st;

	snprintf(buf, len, "/dev/mapper/%s", pl->name);
	if (!stat(buf, &st) && S_ISBLK(st.st_mode) && st.st_rdev == want)
		return 0;
	snprintf(buf, len, "/dev/dm-%u", pl->info.minor);
	if (!stat(buf, &st) && S_ISBLK(st.st_mode) && st.st_rdev == want)
		return 0;
	return mv_err(pl->m, "%s: no device node in /dev/mapper or /dev", pl->name);
}
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
		return mv_err(pl->m, "%s has no table", pl->name);
	if (pl->blkjob)
		return mv_err(pl->m, "%s already maps through blkjob (job '%s'); wait for it or run 'blkjobctl restore %s'",
			       pl->name, pl->job_id, pl->name);
	if (pl->info.suspended)
		return mv_err(pl->m, "%s is suspended", pl->name);
	if (pl->info.inactive_table)
		return mv_err(pl->m, "%s has an inactive table loaded (an interrupted reload?); run 'blkjobctl restore %s' or 'dmsetup clear %s'",
			       pl->name, pl->name, pl->name);
	if (!bjdm_table_size(&pl->live))
		return mv_err(pl->m, "%s: its table does not start at 0 or has holes",
			       pl->name);
	return 0;
}

/*
 * A completed mirror changes the mapping under LVM, whose metadata keeps the
 * LV on its old extents: the next activation or refresh maps the old, stale
 * data back under a filesystem that has moved on. Only on request. The
 * permanent move is the PV's, from beneath all its LVs.
 */
static int check_lvm(const struct plumb *pl)
{
	char pv[PATH_MAX] = "its PV", w[64];
	dev_t d;

	if (!pl->m->mirror || !plumb_is_lvm(pl) || pl->m->below_lvm)
		return 0;
	if (pl->live.n && sscanf(pl->live.seg[0].params, "%63s", w) == 1 &&
	    plumb_parse_devno(w, &d) && blkjob_dev_path(d, pv, sizeof(pv)))
		snprintf(pv, sizeof(pv), "its PV");
	return mv_err(pl->m, "%s is an LVM logical volume: a mirror moves it below LVM, whose metadata would still place it on its old disk, so a later activation or 'lvchange --refresh' maps the stale data back. Mirror %s instead to move every LV on it for good, use pvmove to move this LV alone, or add 'below-lvm' to move it anyway (see blkjobctl(8), LVM)",
		       pl->name, pv);
}

/*
 * A mirror replaces NAME's whole table with a linear map onto DST at the
 * pivot: only a table that maps one device linearly survives that as what
 * it was (libblkjob's blkjob_dm_movable() says why others do not). A
 * backup changes no mapping and copies what NAME shows.
 */
static int check_movable(const struct plumb *pl)
{
	struct blkjob_dm_seg *segs;
	char why[1024];
	unsigned int i;
	int err;

	if (!pl->m->mirror)
		return 0;
	segs = calloc(pl->live.n ? pl->live.n : 1, sizeof(*segs));
	if (!segs)
		return mv_err(pl->m, "out of memory");
	for (i = 0; i < pl->live.n; i++) {
		segs[i].type = pl->live.seg[i].type;
		segs[i].params = pl->live.seg[i].params;
	}
	err = blkjob_dm_movable(pl->name, segs, pl->live.n, why, sizeof(why));
	free(segs);
	return err ? mv_err(pl->m, "%s", why) : 0;
}

/* Step 1: the helper keeps NAME's current table. Reused if it is that. */
static int make_helper(struct plumb *pl)
{
	char uuid[DM_UUID_LEN];
	struct bjdm_table t;
	bool same;

	if (pl->hinfo.exists) {
		if (bjdm_get_lines(pl->helper, DM_DEVICE_TABLE, false, &t))
			return mv_dm_err(pl->m, "%s: cannot read its table",
				       pl->helper);
		same = bjdm_table_eq(&t, &pl->live);
		bjdm_table_free(&t);
		if (!same)
			return mv_err(pl->m, "%s exists and is not a copy of %s's table; run 'blkjobctl restore %s'",
				       pl->helper, pl->name, pl->name);
	} else {
		helper_uuid(pl, uuid, sizeof(uuid));
		if (!bjdm_create_dev(pl->helper, uuid, &pl->live,
				   pl->info.read_only))
			return mv_dm_err(pl->m, "cannot create %s", pl->helper);
		if (bjdm_get_info(pl->helper, &pl->hinfo, NULL, 0) ||
		    !pl->hinfo.exists)
			return mv_dm_err(pl->m, "%s vanished", pl->helper);
	}
	mv_kill_point("helper");
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
	return bjdm_table_add(t, 0, len, type, params) ? -1 : 0;
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
			return mv_err(pl->m, "%s: %s", pl->meta, strerror(errno));
		meta = st.st_rdev;
	}
	if (blkjob_table(&t, pl->pinned ? TARGET_PINNED : TARGET_TYPE,
			 bjdm_table_size(&pl->live), src, dst, meta, hold))
		return -1;
	ok = bjdm_load(pl->name, &t, pl->info.read_only);
	bjdm_table_free(&t);
	if (!ok)
		return mv_dm_err(pl->m, "%s: the kernel refused the blkjob table",
			       pl->name);
	mv_kill_point("load");
	/* The resume suspends (freezing a mounted fs), swaps and resumes. */
	if (!bjdm_simple(DM_DEVICE_RESUME, pl->name))
		return mv_dm_err(pl->m, "%s: cannot resume it through blkjob",
			       pl->name);
	mv_kill_point("resume");
	return 0;
}

/*
 * Whether SRC, busy, can be moved from beneath its holders: every holder a
 * dm device whose table sits on it alone. Held by nothing, it is mounted
 * or opened exclusively, and nothing can be re-routed.
 */
static int check_beneath(struct blkjob_move *m, const struct src *s,
			 const char *arg,
			 bool *beneath)
{
	struct blkjob_holders h;
	char why[1024];
	int err;

	*beneath = false;
	if (!setup_bdev_busy(arg))
		return 0;
	err = blkjob_holders_check(s->devno, &h, why, sizeof(why));
	if (err)
		return mv_err(m, "%s", why);
	*beneath = h.n > 0;
	blkjob_holders_free(&h);
	if (!*beneath)
		return mv_err(m, "%s is a plain device in use; put a dm device in front of it with 'blkjobctl wrap' next time",
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

	if (check_beneath(pl->m, s, arg, &beneath))
		return -1;
	if (setup_bdev_size(arg, &bytes))
		return mv_err(pl->m, "%s: cannot read its size: %s", arg,
			       strerror(errno));
	if (dst_bytes < bytes)
		return mv_err(pl->m, "the destination is smaller than %s (%" PRIu64 " < %" PRIu64 " bytes)",
			       arg, dst_bytes, bytes);
	if (blkjob_table(&t, TARGET_TYPE, bytes >> 9, s->devno, dst, 0,
			 hold))
		return -1;
	snprintf(uuid, sizeof(uuid), "%s%s", beneath ? UUID_BENEATH : UUID_TMP,
		 s->kname);
	ok = bjdm_create_dev(pl->name, uuid, &t, false);
	bjdm_table_free(&t);
	if (!ok)
		return mv_dm_err(pl->m, "cannot create %s through blkjob",
			       pl->name);
	mv_kill_point("resume");
	if (beneath) {
		if (bjdm_get_info(pl->name, &info, NULL, 0) || !info.exists)
			return mv_dm_err(pl->m, "%s vanished", pl->name);
		n = blkjob_holders_swap(s->devno,
					makedev(info.major, info.minor), why,
					sizeof(why));
		if (n < 0)
			return mv_err(pl->m, "%s", why);
		mv_kill_point("holders");
	}
	/* plumb_read() rewrites pl->name: give it a copy. */
	snprintf(name, sizeof(name), "%s", pl->name);
	return plumb_read(pl, name);
}

static int resolve_dst(struct blkjob_move *m, const char *arg)
{
	struct stat st;

	if (stat(arg, &st))
		return mv_err(m, "%s: %s", arg, strerror(errno));
	if (!S_ISBLK(st.st_mode))
		return mv_err(m, "%s is not a block device", arg);
	if (!realpath(arg, m->dst_path))
		return mv_err(m, "%s: %s", arg, strerror(errno));
	m->dst = st.st_rdev;
	if (setup_bdev_size(arg, &m->dst_bytes))
		return mv_err(m, "%s: cannot read its size: %s", arg,
			       strerror(errno));
	if (setup_bdev_busy(arg))
		return mv_err(m, "%s is in use", arg);
	return 0;
}

/*
 * A mirror of a device recorded on a metadata device: commit "moving" to
 * DST before the target comes in, so that the target can commit the pivot
 * (Documentation/blkjob/metadata.md). A device recorded nowhere moves as
 * before, for as long as the host stays up.
 */
static int record_move(struct blkjob_move *m)
{
	struct plumb *pl = &m->pl;
	char leg[PATH_MAX], why[512];
	unsigned int ma, mi;
	uint64_t off;
	int err;

	/*
	 * Only 'wrap ... meta' records devices, with uuid BLKJOB-<uuid>: the
	 * scan opens every block device, so others are spared it.
	 */
	if (!m->mirror || strncmp(pl->uuid, "BLKJOB-", 7) ||
	    !strncmp(pl->uuid, UUID_REAL, strlen(UUID_REAL)) ||
	    !strncmp(pl->uuid, UUID_TMP, strlen(UUID_TMP)))
		return 0;
	err = blkjob_meta_find(m->ctx, pl->uuid, pl->meta, sizeof(pl->meta),
			       &pl->rec);
	if (err == -ENOENT)
		return 0;
	if (err)
		return mv_err(pl->m, "cannot look for %s's metadata device: %s",
			       pl->name, strerror(-err));
	if (pl->pinned) {
		ma = major(pl->pin_dev);
		mi = minor(pl->pin_dev);
	} else if (pl->live.n != 1 || strcmp(pl->live.seg[0].type, "linear") ||
		   sscanf(pl->live.seg[0].params, "%u:%u %" SCNu64, &ma, &mi,
			  &off) != 3 || off) {
		return mv_err(pl->m, "%s is recorded on %s but does not map onto one whole device",
			       pl->name, pl->meta);
	}
	err = blkjob_dev_path(makedev(ma, mi), leg, sizeof(leg));
	if (err)
		return mv_err(pl->m, "%u:%u: %s", ma, mi, strerror(-err));
	err = blkjob_record_move(m->ctx, pl->meta, &pl->rec, leg, m->dst_path,
				 why, sizeof(why));
	if (err)
		return mv_err(pl->m, "%s", why);
	pl->recorded = true;
	mv_notice(m, BLKJOB_NOTICE_STEP, "%s: move to %s recorded on %s", pl->name,
		m->dst_path, pl->meta);
	return 0;
}

static int setup_live(struct blkjob_move *m, const struct src *s)
{
	unsigned int hold = m->mirror ? IDENTITY_HOLD_SECTORS : 0;
	uint64_t len;
	int ret;

	ret = plumb_read(&m->pl, s->name);
	if (ret)
		return ret;
	if (s->plain) {
		if (m->pl.info.exists)
			return mv_err(m, "%s already exists (left over?); run 'blkjobctl restore %s'",
				       m->pl.name, m->pl.name);
		if (m->pl.hinfo.exists)
			return mv_err(m, "%s exists; run 'blkjobctl restore %s'",
				       m->pl.helper, m->pl.name);
		ret = make_tmp(&m->pl, s, s->path, m->dst, m->dst_bytes,
			       hold);
		if (ret)
			setup_roll_back(m);
		return ret;
	}
	ret = check_dm_src(&m->pl);
	/* A pinned device maps one device as it is: movable, never LVM's. */
	if (!ret && !m->pl.pinned)
		ret = check_movable(&m->pl);
	if (!ret && !m->pl.pinned)
		ret = check_lvm(&m->pl);
	if (ret)
		return ret;
	len = bjdm_table_size(&m->pl.live);
	if (m->dst_bytes < len << 9)
		return mv_err(m, "%s is smaller than %s (%" PRIu64 " < %" PRIu64 " bytes)",
			       m->dst_path, m->pl.name, m->dst_bytes,
			       len << 9);
	if (m->dst == s->devno)
		return mv_err(m, "source and destination are the same device");
	ret = record_move(m);
	if (ret)
		return ret;
	ret = m->pl.pinned ? 0 : make_helper(&m->pl);
	if (!ret)
		ret = route_through_target(&m->pl, m->dst, hold);
	if (ret) {
		setup_roll_back(m);
		return ret;
	}
	return plumb_read(&m->pl, s->name);
}

/*
 * 'key-file FILE': the LUKS2 keys that the reloads of a move beneath need
 * and cryptsetup took out of the kernel keyring go back into ours, for as
 * long as blkjobctl runs (libblkjob's cryptkey.c): those of @dev if it is
 * a crypt device, and of the crypt devices holding it.
 */
int setup_load_keys(struct blkjob_move *m, dev_t dev)
{
	char why[512];
	int n;

	if (!m->key_file)
		return 0;
	n = blkjob_crypt_keys_load(dev, m->key_file, why, sizeof(why));
	if (n < 0)
		return mv_err(m, "%s", why);
	if (n)
		mv_notice(m, BLKJOB_NOTICE_DETAIL, "%d volume key%s unlocked with %s", n,
		       n > 1 ? "s" : "", m->key_file);
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
static int check_block_size(struct blkjob_move *m, dev_t devno,
			    const char *dst)
{
	unsigned int s = 0, d = logical_block_size(dst);
	char src[PATH_MAX];

	if (!blkjob_dev_path(devno, src, sizeof(src)))
		s = logical_block_size(src);
	if (getenv("BLKJOBCTL_TEST_NO_PRECHECK") || !s || d <= s)
		return 0;
	return mv_err(m, "%s has %u-byte logical blocks, larger than %s's %u bytes: it could not take every write the device takes",
		       dst, d, src, s);
}

/* Undo a half-made setup after a failure; the failure is already noticed. */
void setup_roll_back(struct blkjob_move *m)
{
	enum blkjob_mapping out;
	char name[DM_NAME_LEN];

	snprintf(name, sizeof(name), "%s", m->pl.name);
	if (plumb_read(&m->pl, name) || plumb_restore(&m->pl, true, &out)) {
		mv_notice(m, BLKJOB_NOTICE_HINT, "run 'blkjobctl restore %s'.",
			  name);
		return;
	}
	if (out != BLKJOB_MAPPING_UNCHANGED)
		mv_notice(m, BLKJOB_NOTICE_NOTE, "%s: %s", name,
			  out == BLKJOB_MAPPING_REMOVED ? "removed again" :
			  "original mapping restored");
}

/*
 * Steps 1 to 3 for @dev onto @dst: checked, then through the target, with
 * m->src_path the device a job reads.
 */
int setup_move(struct blkjob_move *m, const char *dev, const char *dst)
{
	struct src s;
	int ret;

	ret = resolve_dst(m, dst);
	if (!ret)
		ret = setup_resolve_src(m, dev, &s);
	if (ret)
		return ret;
	if (s.devno == m->dst)
		return mv_err(m, "source and destination are the same device");
	ret = setup_load_keys(m, s.devno);
	if (!ret)
		ret = src_beneath(m, &s);
	if (ret)
		return ret;
	if (s.devno == m->dst)
		return mv_err(m, "%s sits on the destination", dev);
	ret = check_block_size(m, s.devno, m->dst_path);
	if (ret)
		return ret;
	snprintf(m->under, sizeof(m->under), "%s", s.path);
	ret = setup_live(m, &s);
	if (ret)
		return ret;
	ret = setup_dm_path(&m->pl, m->src_path, sizeof(m->src_path));
	if (ret)
		setup_roll_back(m);
	return ret;
}
