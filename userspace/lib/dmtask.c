// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libblkjob: device-mapper tables and ioctls over libdevmapper, shared by
 * the library's activation and blkjobctl's live-move plumbing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/sysmacros.h>

#include <linux/dm-ioctl.h>

#include "dmtask.h"

/* ------------------------------------------------------------------ */
/* Tables                                                             */
/* ------------------------------------------------------------------ */

void bjdm_table_free(struct bjdm_table *t)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		free(t->seg[i].params);
	free(t->seg);
	t->seg = NULL;
	t->n = 0;
}

int bjdm_table_add(struct bjdm_table *t, uint64_t start, uint64_t len,
		     const char *type, const char *params)
{
	struct bjdm_seg *s = realloc(t->seg, (t->n + 1) * sizeof(*s));

	if (!s)
		return -ENOMEM;
	t->seg = s;
	s += t->n;
	s->start = start;
	s->len = len;
	snprintf(s->type, sizeof(s->type), "%s", type);
	s->params = strdup(params ? params : "");
	if (!s->params)
		return -ENOMEM;
	t->n++;
	return 0;
}

/* Sectors the table covers; 0 when it is not contiguous from sector 0. */
uint64_t bjdm_table_size(const struct bjdm_table *t)
{
	uint64_t end = 0;
	unsigned int i;

	for (i = 0; i < t->n; i++) {
		if (t->seg[i].start != end)
			return 0;
		end += t->seg[i].len;
	}
	return end;
}

bool bjdm_table_eq(const struct bjdm_table *a, const struct bjdm_table *b)
{
	unsigned int i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->seg[i].start != b->seg[i].start ||
		    a->seg[i].len != b->seg[i].len ||
		    strcmp(a->seg[i].type, b->seg[i].type) ||
		    strcmp(a->seg[i].params, b->seg[i].params))
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* dm ioctls                                                          */
/* ------------------------------------------------------------------ */

struct dm_task *bjdm_task_for(int type, const char *name)
{
	struct dm_task *dmt = dm_task_create(type);

	if (dmt && name && !dm_task_set_name(dmt, name)) {
		dm_task_destroy(dmt);
		return NULL;
	}
	return dmt;
}

/*
 * Run a task that changes a device node's life (create, resume, remove)
 * with a udev cookie, so /dev/mapper is up to date when it returns: udev
 * makes the nodes when it runs, libdevmapper itself when it does not.
 */
bool bjdm_run_synced(struct dm_task *dmt)
{
	uint32_t cookie = 0;
	bool ok;

	if (!dm_task_set_cookie(dmt, &cookie, 0))
		return false;
	ok = dm_task_run(dmt);
	dm_udev_wait(cookie);
	return ok;
}

/* info of @name; info->exists is 0 when there is no such device. */
int bjdm_get_info(const char *name, struct dm_info *info, char *uuid,
		    size_t uuid_len)
{
	struct dm_task *dmt = bjdm_task_for(DM_DEVICE_INFO, name);
	const char *u;
	int ret = -EIO;

	memset(info, 0, sizeof(*info));
	if (uuid)
		uuid[0] = '\0';
	if (!dmt)
		return -ENOMEM;
	if (dm_task_run(dmt) && dm_task_get_info(dmt, info)) {
		u = info->exists ? dm_task_get_uuid(dmt) : NULL;
		if (uuid && u)
			snprintf(uuid, uuid_len, "%s", u);
		ret = 0;
	}
	dm_task_destroy(dmt);
	return ret;
}

/* The name of the dm device @devno, or -ENODEV. */
int bjdm_name_of_devno(dev_t devno, char *name, size_t len)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_INFO);
	struct dm_info info;
	int ret = -ENODEV;

	if (!dmt)
		return -ENOMEM;
	if (dm_task_set_major_minor(dmt, major(devno), minor(devno), 0) &&
	    dm_task_run(dmt) && dm_task_get_info(dmt, &info) && info.exists) {
		snprintf(name, len, "%s", dm_task_get_name(dmt));
		ret = 0;
	}
	dm_task_destroy(dmt);
	return ret;
}

/*
 * @name's table (DM_DEVICE_TABLE) or status (DM_DEVICE_STATUS) lines; the
 * inactive table with @inactive.
 */
int bjdm_get_lines(const char *name, int type, bool inactive,
		     struct bjdm_table *t)
{
	struct dm_task *dmt = bjdm_task_for(type, name);
	uint64_t start, len;
	char *ttype, *params;
	void *it = NULL;
	int ret = -EIO;

	memset(t, 0, sizeof(*t));
	if (!dmt)
		return -ENOMEM;
	if (inactive && !dm_task_query_inactive_table(dmt))
		goto out;
	if (!dm_task_run(dmt))
		goto out;
	ret = 0;
	do {
		it = dm_get_next_target(dmt, it, &start, &len, &ttype,
					&params);
		if (ttype && bjdm_table_add(t, start, len, ttype, params)) {
			ret = -ENOMEM;
			break;
		}
	} while (it);
out:
	dm_task_destroy(dmt);
	if (ret)
		bjdm_table_free(t);
	return ret;
}

struct dm_task *bjdm_task_with_table(int type, const char *name,
				       const struct bjdm_table *t, bool ro)
{
	struct dm_task *dmt = bjdm_task_for(type, name);
	unsigned int i;

	if (!dmt)
		return NULL;
	for (i = 0; i < t->n; i++)
		if (!dm_task_add_target(dmt, t->seg[i].start, t->seg[i].len,
					t->seg[i].type, t->seg[i].params))
			goto bad;
	if (ro && !dm_task_set_ro(dmt))
		goto bad;
	return dmt;
bad:
	dm_task_destroy(dmt);
	return NULL;
}

/* Create (and resume) @name with table @t. */
/* ------------------------------------------------------------------ */
/* Why the kernel refused a table                                     */
/* ------------------------------------------------------------------ */

/*
 * A table load fails with an errno alone: the target's reason (ti->error)
 * goes to the kernel log only. So the log is read from a mark taken just
 * before the ioctl, and dm's first complaint since is kept.
 */
static char kernel_reason[256];

bool bjdm_take_kernel_reason(char *buf, size_t len)
{
	snprintf(buf, len, "%s", kernel_reason);
	kernel_reason[0] = '\0';
	return buf[0];
}

/* /dev/kmsg, past its last record; -1 if it cannot be read. */
static int kmsg_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * "device-mapper: table: 253:0: blkjob: Source is smaller ..." gives
 * "blkjob: Source is smaller ..."; other dm lines lose "device-mapper: ".
 */
static void keep_reason(const char *msg)
{
	static const char dm[] = "device-mapper: ", table[] = "table: ";
	const char *p;

	if (kernel_reason[0] || strncmp(msg, dm, sizeof(dm) - 1))
		return;
	msg += sizeof(dm) - 1;
	if (!strncmp(msg, table, sizeof(table) - 1)) {
		p = strstr(msg + sizeof(table) - 1, ": ");
		if (p)
			msg = p + 2;
	}
	snprintf(kernel_reason, sizeof(kernel_reason), "%s", msg);
}

/* dm's first complaint logged since @fd's mark; closes @fd. */
static void kmsg_collect(int fd)
{
	char rec[1024], *msg;
	ssize_t n;

	if (fd < 0)
		return;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten: read on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		/* "prio,seq,usec,flags;text\n" then " KEY=value" lines. */
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg[1 + strcspn(msg + 1, "\n")] = '\0';
		keep_reason(msg + 1);
	}
	close(fd);
}

/* Run a task that loads a table, keeping the kernel's reason if it fails. */
static bool run_table_task(struct dm_task *dmt, bool synced)
{
	int fd = kmsg_mark();
	bool ok;

	kernel_reason[0] = '\0';
	ok = synced ? bjdm_run_synced(dmt) : dm_task_run(dmt);
	if (ok)
		close(fd);
	else
		kmsg_collect(fd);
	return ok;
}

bool bjdm_create_dev(const char *name, const char *uuid,
			  const struct bjdm_table *t, bool ro)
{
	struct dm_task *dmt = bjdm_task_with_table(DM_DEVICE_CREATE, name, t, ro);
	bool ok;

	if (!dmt)
		return false;
	if (uuid && *uuid && !dm_task_set_uuid(dmt, uuid)) {
		dm_task_destroy(dmt);
		return false;
	}
	ok = run_table_task(dmt, true);
	dm_task_destroy(dmt);
	return ok;
}

/* Load @t as @name's inactive table. */
bool bjdm_load(const char *name, const struct bjdm_table *t, bool ro)
{
	struct dm_task *dmt = bjdm_task_with_table(DM_DEVICE_RELOAD, name, t, ro);
	bool ok;

	if (!dmt)
		return false;
	ok = run_table_task(dmt, false);
	dm_task_destroy(dmt);
	return ok;
}

/* DM_DEVICE_RESUME, DM_DEVICE_CLEAR or DM_DEVICE_REMOVE. */
bool bjdm_simple(int type, const char *name)
{
	struct dm_task *dmt = bjdm_task_for(type, name);
	bool ok;

	if (!dmt)
		return false;
	/* A remove may race with a short-lived opener (blkid, udev). */
	if (type == DM_DEVICE_REMOVE)
		dm_task_retry_remove(dmt);
	/*
	 * Every table swap here keeps the data the device shows (the target
	 * starts and ends as a linear map of it), so the suspend only needs
	 * to drain I/O, not to freeze a mounted filesystem: a freeze writes
	 * to the device, and on 6.1 it fails on a filesystem the user froze.
	 */
	if (type == DM_DEVICE_RESUME)
		dm_task_skip_lockfs(dmt);
	if (type == DM_DEVICE_CLEAR)
		ok = dm_task_run(dmt);
	else
		ok = bjdm_run_synced(dmt);
	dm_task_destroy(dmt);
	return ok;
}

