// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libblkjob: stable identities of block devices. What a metadata device
 * records must find the same disk after a reboot, when kernel names
 * (sdb, vdc, dm-3) may have moved; so members are named by what the device
 * says about itself in sysfs, as LVM's devices file does: a dm uuid, a
 * WWID, a serial, and for a partition its disk's identity and number.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "libblkjob.h"

/* The first line of a sysfs attribute, trimmed; "" if absent. */
static void read_attr(const char *dir, const char *attr, char *buf,
		      size_t len)
{
	char path[PATH_MAX];
	size_t n;
	FILE *fp;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	fp = fopen(path, "re");
	if (!fp)
		return;
	if (!fgets(buf, len, fp))
		buf[0] = '\0';
	fclose(fp);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	n = strspn(buf, " ");
	memmove(buf, buf + n, strlen(buf + n) + 1);
}

static int put_id(char *id, size_t len, const char *kind, const char *val)
{
	size_t i, n;

	n = (size_t)snprintf(id, len, "%s:%s", kind, val);
	if (n >= len || n >= BLKJOB_META_ID_LEN)
		return -ENAMETOOLONG;
	/* Records and dmsetup-like output are space-separated. */
	for (i = 0; i < n; i++)
		if (id[i] == ' ' || id[i] == '\t')
			id[i] = '_';
	return 0;
}

static int ident_of_sysdir(const char *dir, char *id, size_t len);

static int ident_of_partition(const char *dir, const char *partno,
			      char *id, size_t len)
{
	char parent[PATH_MAX], disk[BLKJOB_META_ID_LEN];
	int err;

	snprintf(parent, sizeof(parent), "%s/..", dir);
	err = ident_of_sysdir(parent, disk, sizeof(disk));
	if (err)
		return err;
	return put_id(id, len, disk, partno) ? -ENAMETOOLONG : 0;
}

/* @dir: a device's sysfs directory. */
static int ident_of_sysdir(const char *dir, char *id, size_t len)
{
	static const char *const attrs[][2] = {
		{ "wwid", "wwid" }, { "device/wwid", "wwid" },
		{ "serial", "serial" }, { "device/serial", "serial" },
	};
	char val[256];
	unsigned int i;

	read_attr(dir, "dm/uuid", val, sizeof(val));
	if (val[0])
		return put_id(id, len, "dm-uuid", val);
	read_attr(dir, "partition", val, sizeof(val));
	if (val[0])
		return ident_of_partition(dir, val, id, len);
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		read_attr(dir, attrs[i][0], val, sizeof(val));
		if (val[0])
			return put_id(id, len, attrs[i][1], val);
	}
	return -ENOENT;
}

int blkjob_ident_of(const char *dev, char *id, size_t len)
{
	char dir[64];
	struct stat st;

	if (stat(dev, &st))
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u",
		 major(st.st_rdev), minor(st.st_rdev));
	return ident_of_sysdir(dir, id, len);
}

int blkjob_ident_find(const char *id, char *dev, size_t len)
{
	char dir[PATH_MAX], cur[BLKJOB_META_ID_LEN];
	struct dirent *de;
	int found = 0;
	DIR *d;

	d = opendir("/sys/class/block");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "/sys/class/block/%s", de->d_name);
		if (ident_of_sysdir(dir, cur, sizeof(cur)) || strcmp(cur, id))
			continue;
		/* Two disks with one serial: naming either could be wrong. */
		if (found++)
			break;
		snprintf(dev, len, "/dev/%s", de->d_name);
	}
	closedir(d);
	return found == 1 ? 0 : found ? -EEXIST : -ENOENT;
}
