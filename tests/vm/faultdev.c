// SPDX-License-Identifier: GPL-2.0
/* The fault rig shared by test_faults and test_livefaults (faultdev.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faultdev.h"

struct tdev g_src, g_dst;
char g_dm[2][64], g_dmpath[2][96];

static const char *kind_table(enum side side, const char *kind, char *buf,
			      size_t len)
{
	const char *dev = side == SRC ? g_src.path : g_dst.path;

	if (!strcmp(kind, "linear"))
		snprintf(buf, len, "0 %llu linear %s 0", FD_SECTORS, dev);
	else if (!strcmp(kind, "error"))
		snprintf(buf, len, "0 %llu error", FD_SECTORS);
	else if (!strcmp(kind, "flakey"))
		snprintf(buf, len, "0 %llu flakey %s 0 1 1", FD_SECTORS, dev);
	else if (!strcmp(kind, "down"))
		snprintf(buf, len, "0 %llu flakey %s 0 0 1", FD_SECTORS, dev);
	else
		snprintf(buf, len, "0 %llu delay %s 0 300", FD_SECTORS, dev);
	return buf;
}

/* dmsetup resume suspends the device and swaps in the loaded table. */
int set_table(enum side side, const char *kind)
{
	char t[256];

	return sh("dmsetup load %s --table '%s' && dmsetup resume %s",
		  g_dm[side], kind_table(side, kind, t, sizeof(t)), g_dm[side]);
}

int create_dm(enum side side)
{
	char t[256];

	return sh("dmsetup create %s --table '%s' && dmsetup mknodes %s",
		  g_dm[side], kind_table(side, "linear", t, sizeof(t)),
		  g_dm[side]);
}

void restore_dm(enum side side)
{
	sh("dmsetup resume %s 2>/dev/null", g_dm[side]);
	if (sh("dmsetup info %s >/dev/null 2>&1", g_dm[side]))
		create_dm(side);
	else
		set_table(side, "linear");
}

int remove_dm(enum side side)
{
	sh("dmsetup info %s >/dev/null 2>&1 && dmsetup remove --retry %s",
	   g_dm[side], g_dm[side]);
	return sh("dmsetup info %s >/dev/null 2>&1", g_dm[side]) ? 0 : -1;
}

int faultdev_setup(void)
{
	int i;

	if (tdev_create(&g_src, FD_SIZE, true) ||
	    tdev_create(&g_dst, FD_SIZE, false))
		return -1;
	for (i = 0; i < 2; i++) {
		snprintf(g_dm[i], sizeof(g_dm[i]), "bjf-%d-%c", getpid(),
			 "st"[i]);
		snprintf(g_dmpath[i], sizeof(g_dmpath[i]),
			 "/dev/mapper/bjf-%d-%c", getpid(), "st"[i]);
		if (create_dm(i))
			return -1;
	}
	return 0;
}

void faultdev_teardown(void)
{
	int i;

	for (i = 0; i < 2; i++)
		sh("dmsetup resume %s 2>/dev/null; dmsetup remove --retry %s 2>/dev/null",
		   g_dm[i], g_dm[i]);
	tdev_destroy(&g_src);
	tdev_destroy(&g_dst);
}

int faultdev_free(struct blkjob_ctx *ctx, char *why, size_t len)
{
	int i;

	if (registry_check(ctx, why, len))
		return -1;
	for (i = 0; i < 2; i++)
		if (dev_claimable(g_dmpath[i])) {
			snprintf(why, len, "%s still claimed", g_dmpath[i]);
			return -1;
		}
	return 0;
}

int resume_until(struct blkjob_ctx *ctx, const char *id, int status, int ms)
{
	uint64_t end = now_ms() + ms;
	int st;

	do {
		st = job_status(ctx, id);
		if (st == status)
			return 0;
		if (st == BLKJOB_JOB_STATUS_PAUSED ||
		    st == BLKJOB_JOB_STATUS_STANDBY)
			blkjob_job_resume(ctx, id);
		usleep(20000);
	} while (now_ms() < end);
	return -ETIMEDOUT;
}

int write_random(const char *path, uint64_t off, size_t len)
{
	char *buf;
	int fd, ufd, ret = -1;

	if (posix_memalign((void **)&buf, 4096, len))
		return -1;
	ufd = open("/dev/urandom", O_RDONLY);
	fd = open(path, O_WRONLY | O_DIRECT);
	if (fd >= 0 && ufd >= 0 && read(ufd, buf, len) == (ssize_t)len &&
	    pwrite(fd, buf, len, off) == (ssize_t)len)
		ret = 0;
	if (fd >= 0)
		close(fd);
	if (ufd >= 0)
		close(ufd);
	free(buf);
	return ret;
}

uint8_t *read_all(const char *path, size_t len)
{
	uint8_t *buf;
	int fd;

	if (posix_memalign((void **)&buf, 4096, len))
		return NULL;
	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0 || pread(fd, buf, len, 0) != (ssize_t)len) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	close(fd);
	return buf;
}

int first_error(const struct evlog *log, const char *id, int *op, int *action)
{
	int i, n = 0;

	for (i = 0; i < log->n; i++)
		if (log->ev[i].cmd == BLKJOB_CMD_JOB_ERROR_NTF &&
		    !strcmp(log->ev[i].job.id, id) && !n++) {
			*op = log->ev[i].job.operation;
			*action = log->ev[i].job.action;
		}
	return n;
}

int hung_task_timeout(int secs)
{
	const char *file = "/proc/sys/kernel/hung_task_timeout_secs";
	FILE *f = fopen(file, "r");
	int old = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &old) != 1)
		old = -1;
	fclose(f);
	f = fopen(file, "w");
	if (!f)
		return -1;
	if (fprintf(f, "%d\n", secs) < 0)
		old = -1;
	if (fclose(f))
		old = -1;
	return old;
}
