// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Erasing the signatures libblkid finds on a device, as `wipefs -a` does.
 *
 * After a permanent live move the source still holds the filesystem, LUKS
 * header or PV label it had, under the same UUID as the destination: blkid,
 * udev's by-uuid links, mount by UUID and LVM could take the old disk for
 * the new one. Zeroing the magic strings makes libblkid, and all that ask
 * it, find nothing there. The data itself stays, so a backup of the few
 * bytes zeroed undoes it.
 */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "libblkjob.h"

/* blkid_do_wipe() zeroes at most this much of one magic string. */
#define MAGIC_MAX	BUFSIZ

/* One blkjob_wipe() call. */
struct wipe {
	const char *path;
	const char *backup_dir;
	bool dry_run;
	bool blkdev;
	bool erased_pt;		/* the kernel must re-read the partitions */
	int fd;
	blkid_probe pr;
	struct blkjob_wipe_result *res;
};

/* Record the first error's message (the cause, not its consequences). */
static int fail(struct wipe *w, int err, const char *fmt, ...)
{
	va_list ap;

	if (!w->res->errmsg[0]) {
		va_start(ap, fmt);
		vsnprintf(w->res->errmsg, sizeof(w->res->errmsg), fmt, ap);
		va_end(ap);
	}
	return err;
}

/*
 * O_EXCL on a block device makes the kernel refuse (EBUSY) one that is
 * mounted, a dm or md member, or open exclusively by a program: all would
 * still be using what we erase. It means nothing for other files without
 * O_CREAT, so it is only asked for a block device; fstat then checks that
 * the path still names what stat saw. A dry run opens read-only, so that
 * closing does not make udev probe the device again for nothing.
 */
static int wipe_open(struct wipe *w)
{
	int flags = (w->dry_run ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat st, fst;

	if (stat(w->path, &st))
		return fail(w, -errno, "%s: %s", w->path, strerror(errno));
	if (S_ISBLK(st.st_mode))
		flags |= O_EXCL;
	else if (!S_ISREG(st.st_mode))
		return fail(w, -EINVAL, "%s is neither a block device nor a regular file",
			    w->path);
	w->fd = open(w->path, flags);
	if (w->fd < 0 && errno == EBUSY)
		return fail(w, -EBUSY, "%s is in use (mounted, held by dm or md, or open exclusively by a program): not wiped",
			    w->path);
	if (w->fd < 0)
		return fail(w, -errno, "%s: %s", w->path, strerror(errno));
	if (fstat(w->fd, &fst) || fst.st_dev != st.st_dev ||
	    fst.st_ino != st.st_ino)
		return fail(w, -EAGAIN, "%s changed while being opened", w->path);
	w->blkdev = S_ISBLK(st.st_mode);
	return 0;
}

/*
 * Superblocks with their magic (what blkid_do_wipe() zeroes), bad checksums
 * included: a half-damaged superblock still makes blkid name the disk.
 * Partition tables with their magic; FORCE_GPT finds a GPT whose protective
 * MBR is gone or hybrid, which some tools would still use.
 */
static int wipe_probe(struct wipe *w)
{
	w->pr = blkid_new_probe();
	if (!w->pr)
		return fail(w, -ENOMEM, "%s: cannot allocate a libblkid probe",
			    w->path);
	if (blkid_probe_set_device(w->pr, w->fd, 0, 0))
		return fail(w, -EIO, "%s: libblkid cannot probe it", w->path);
	blkid_probe_enable_superblocks(w->pr, 1);
	blkid_probe_set_superblocks_flags(w->pr, BLKID_SUBLKS_MAGIC |
		BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE | BLKID_SUBLKS_UUID |
		BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(w->pr, 1);
	blkid_probe_set_partitions_flags(w->pr, BLKID_PARTS_MAGIC |
					 BLKID_PARTS_FORCE_GPT);
	return 0;
}

/* Copy probe value @name into @buf, "" when the probe has none. */
static void value(blkid_probe pr, const char *name, char *buf, size_t len)
{
	const char *v;

	if (blkid_probe_lookup_value(pr, name, &v, NULL))
		v = "";
	snprintf(buf, len, "%s", v);
}

/*
 * Describe the signature the probe stopped at from the same values
 * blkid_do_wipe() reads, so offset and length are what it zeroes. The
 * probe runs over the whole device (no offset): these are absolute.
 */
static int sig_describe(struct wipe *w, struct blkjob_wipe_sig *sig)
{
	const char *off_name = "SBMAGIC_OFFSET", *mag_name = "SBMAGIC";
	const char *off;
	size_t len;

	value(w->pr, "TYPE", sig->type, sizeof(sig->type));
	value(w->pr, "USAGE", sig->usage, sizeof(sig->usage));
	value(w->pr, "UUID", sig->uuid, sizeof(sig->uuid));
	if (!sig->type[0]) {
		off_name = "PTMAGIC_OFFSET";
		mag_name = "PTMAGIC";
		value(w->pr, "PTTYPE", sig->type, sizeof(sig->type));
		value(w->pr, "PTUUID", sig->uuid, sizeof(sig->uuid));
		snprintf(sig->usage, sizeof(sig->usage), "partition table");
	}
	/* Without a magic string blkid_do_wipe() silently does nothing. */
	if (blkid_probe_lookup_value(w->pr, off_name, &off, NULL) ||
	    blkid_probe_lookup_value(w->pr, mag_name, NULL, &len) || !len)
		return fail(w, -EOPNOTSUPP, "%s: libblkid finds a '%s' signature but no magic string to erase",
			    w->path, sig->type[0] ? sig->type : "nameless");
	sig->offset = strtoull(off, NULL, 10);
	sig->len = len > MAGIC_MAX ? MAGIC_MAX : len;
	return 0;
}

/*
 * A signature erased before cannot come back unless the erase did not
 * take: stop rather than loop forever.
 */
static int sig_check_new(struct wipe *w, const struct blkjob_wipe_sig *sig)
{
	unsigned int i;

	for (i = 0; i < w->res->n; i++) {
		const struct blkjob_wipe_sig *s = &w->res->sigs[i];

		if (s->offset == sig->offset && !strcmp(s->type, sig->type))
			return fail(w, -EIO, "%s: the '%s' signature at offset 0x%jx is still found after it was erased",
				    w->path, sig->type, (uintmax_t)sig->offset);
	}
	return 0;
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	while (len) {
		n = pread(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf = (char *)buf + n;
		len -= n;
		off += n;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf = (const char *)buf + n;
		len -= n;
	}
	return 0;
}

/* The backup's name: wipefs --backup's, under our own prefix. */
static int backup_name(struct wipe *w, struct blkjob_wipe_sig *sig)
{
	const char *base = strrchr(w->path, '/');
	int n;

	base = base ? base + 1 : w->path;
	n = snprintf(sig->backup, sizeof(sig->backup),
		     "%s/blkjob-wipe-%s-0x%08jx.bak", w->backup_dir, base,
		     (uintmax_t)sig->offset);
	if (n < 0 || (size_t)n >= sizeof(sig->backup))
		return fail(w, -ENAMETOOLONG, "%s: the backup file name is too long",
			    w->path);
	return 0;
}

/* Write @len bytes of @buf to the new file @name and make them durable. */
static int backup_write(struct wipe *w, const char *name, const void *buf,
			size_t len)
{
	int fd, rc;

	/* O_EXCL: another wipe's backup of that name is never overwritten. */
	fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(w, -errno, "%s: cannot create the backup %s: %s",
			    w->path, name, strerror(errno));
	rc = write_all(fd, buf, len);
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (rc) {
		unlink(name);
		return fail(w, rc, "%s: cannot write the backup %s: %s",
			    w->path, name, strerror(-rc));
	}
	return 0;
}

/* The new directory entry must be durable too, before the erase. */
static int backup_sync_dir(struct wipe *w)
{
	int fd, rc = 0;

	fd = open(w->backup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd))
		rc = -errno;
	if (fd >= 0)
		close(fd);
	if (rc)
		return fail(w, rc, "%s: cannot sync the backup directory %s: %s",
			    w->path, w->backup_dir, strerror(-rc));
	return 0;
}

/*
 * Save the bytes about to be zeroed, read from the device itself rather
 * than from libblkid's copy of the magic, so the backup holds exactly what
 * was there. Done before the erase and made durable: a crash between the
 * two must not lose both.
 */
static int sig_backup(struct wipe *w, struct blkjob_wipe_sig *sig)
{
	char buf[MAGIC_MAX];
	int rc;

	rc = backup_name(w, sig);
	if (rc)
		return rc;
	rc = pread_all(w->fd, buf, sig->len, sig->offset);
	if (rc)
		return fail(w, rc, "%s: cannot read %ju bytes at offset 0x%jx: %s",
			    w->path, (uintmax_t)sig->len,
			    (uintmax_t)sig->offset, strerror(-rc));
	rc = backup_write(w, sig->backup, buf, sig->len);
	if (rc)
		return rc;
	return backup_sync_dir(w);
}

/* Room for one more signature, made before erasing so none goes unlisted. */
static int sigs_reserve(struct wipe *w)
{
	struct blkjob_wipe_sig *s;

	s = realloc(w->res->sigs, (w->res->n + 1) * sizeof(*s));
	if (!s)
		return fail(w, -ENOMEM, "%s: out of memory", w->path);
	w->res->sigs = s;
	return 0;
}

/*
 * Erase the signature the probe stopped at. blkid_do_wipe() zeroes it (in
 * a dry run: hides it in the probe's memory) and steps the probe back, so
 * the next blkid_do_probe() looks again where this one was found: that is
 * how the second LUKS2 header and GPT's backup header come up.
 */
static int wipe_one(struct wipe *w)
{
	struct blkjob_wipe_sig sig = { 0 };
	int rc;

	rc = sig_describe(w, &sig);
	if (!rc)
		rc = sig_check_new(w, &sig);
	if (!rc && w->backup_dir && !w->dry_run)
		rc = sig_backup(w, &sig);
	if (!rc)
		rc = sigs_reserve(w);
	if (rc)
		return rc;
	errno = 0;
	if (blkid_do_wipe(w->pr, w->dry_run))
		return fail(w, errno ? -errno : -EIO,
			    "%s: cannot erase the '%s' signature at offset 0x%jx: %s",
			    w->path, sig.type, (uintmax_t)sig.offset,
			    strerror(errno ? errno : EIO));
	if (!strcmp(sig.usage, "partition table"))
		w->erased_pt = true;
	w->res->sigs[w->res->n++] = sig;
	return 0;
}

/* Erase until the probe finds nothing. */
static int wipe_all(struct wipe *w)
{
	int rc;

	for (;;) {
		errno = 0;
		rc = blkid_do_probe(w->pr);
		if (rc == 1)
			return 0;
		if (rc < 0)
			return fail(w, errno ? -errno : -EIO,
				    "%s: libblkid failed to probe it", w->path);
		rc = wipe_one(w);
		if (rc)
			return rc;
	}
}

/*
 * The old partitions (with their filesystems, UUIDs and by-uuid links)
 * stay in the kernel until it re-reads the table, as wipefs has it do.
 * udev may hold a partition open for a moment after our writes: EBUSY is
 * retried. EINVAL: no partitions of its own to re-read (dm, a partition).
 */
static int reread_pt(struct wipe *w)
{
	int i, err = 0;

	for (i = 0; i < 5; i++) {
		usleep(25000);
		if (!ioctl(w->fd, BLKRRPART))
			return 0;
		err = errno;
		if (err != EBUSY)
			break;
	}
	if (err == EINVAL)
		return 0;
	return fail(w, -err, "%s: its signatures are erased, but the kernel keeps its old partitions (BLKRRPART: %s); run 'blockdev --rereadpt %s' once they are unused",
		    w->path, strerror(err), w->path);
}

/* Make the erases durable, even after a failure half-way. */
static int wipe_finish(struct wipe *w)
{
	if (w->dry_run || !w->res->n)
		return 0;
	if (fsync(w->fd))
		return fail(w, -errno, "%s: fsync: %s", w->path,
			    strerror(errno));
	if (w->erased_pt && w->blkdev)
		return reread_pt(w);
	return 0;
}

int blkjob_wipe(const char *path, const char *backup_dir, unsigned int flags,
		struct blkjob_wipe_result *res)
{
	struct wipe w = {
		.path = path,
		.backup_dir = backup_dir,
		.dry_run = flags & BLKJOB_WIPE_DRY_RUN,
		.fd = -1,
		.res = res,
	};
	int rc, rc2;

	memset(res, 0, sizeof(*res));
	if (flags & ~BLKJOB_WIPE_DRY_RUN)
		return fail(&w, -EINVAL, "%s: unknown wipe flags 0x%x", path,
			    flags);
	rc = wipe_open(&w);
	if (!rc)
		rc = wipe_probe(&w);
	if (!rc)
		rc = wipe_all(&w);
	rc2 = w.fd >= 0 ? wipe_finish(&w) : 0;
	blkid_free_probe(w.pr);
	if (w.fd >= 0)
		close(w.fd);
	return rc ? rc : rc2;
}

void blkjob_wipe_result_free(struct blkjob_wipe_result *res)
{
	free(res->sigs);
	res->sigs = NULL;
	res->n = 0;
}
