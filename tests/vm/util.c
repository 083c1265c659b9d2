// SPDX-License-Identifier: GPL-2.0
/* Helpers for the VM tests; see util.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/loop.h>

#include "util.h"

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int fill(const char *file, uint64_t size, bool random)
{
	static char buf[1 << 20];
	uint64_t done = 0;
	int fd, ufd = -1;

	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -errno;
	if (random)
		ufd = open("/dev/urandom", O_RDONLY);
	memset(buf, 0, sizeof(buf));
	while (done < size) {
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);

		if (ufd >= 0 && read(ufd, buf, n) != (ssize_t)n)
			break;
		if (write(fd, buf, n) != (ssize_t)n)
			break;
		done += n;
	}
	if (ufd >= 0)
		close(ufd);
	close(fd);
	return done == size ? 0 : -EIO;
}

/*
 * Attach @file to a free loop device, as losetup -f does, without
 * starting a process (a second or two each under TCG).
 */
static int loop_attach(const char *file, char *path, size_t len)
{
	int ctl, fd, lfd, n, err = 0;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	fd = open(file, O_RDWR | O_CLOEXEC);
	if (ctl < 0 || fd < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			err = -errno;
			break;
		}
		snprintf(path, len, "/dev/loop%d", n);
		lfd = open(path, O_RDWR | O_CLOEXEC);
		if (lfd < 0) {
			err = -errno;
			break;
		}
		err = ioctl(lfd, LOOP_SET_FD, fd) ? -errno : 0;
		close(lfd);
		if (err != -EBUSY)	/* else another process took it */
			break;
	}
out:
	if (err)
		path[0] = 0;
	if (fd >= 0)
		close(fd);
	if (ctl >= 0)
		close(ctl);
	return err;
}

int tdev_create(struct tdev *d, uint64_t size, bool random)
{
	static int seq;
	int err;

	mkdir("/tmp/blkjob-tests", 0700);
	snprintf(d->file, sizeof(d->file), "/tmp/blkjob-tests/dev-%d-%d",
		 getpid(), seq++);
	d->size = size;
	err = fill(d->file, size, random);
	if (err)
		return err;
	return loop_attach(d->file, d->path, sizeof(d->path));
}

void tdev_destroy(struct tdev *d)
{
	int fd;

	if (d->path[0]) {
		/* losetup -d: detached now, or when its last user closes it. */
		fd = open(d->path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ioctl(fd, LOOP_CLR_FD);
			close(fd);
		}
	}
	if (d->file[0])
		unlink(d->file);
	d->path[0] = d->file[0] = 0;
}

int64_t tdev_cmp(const char *a, const char *b, uint64_t len)
{
	const size_t chunk = 1 << 20;
	int64_t ret = 0;
	uint64_t off;
	char *ba = NULL, *bb = NULL;
	int fa, fb;

	fa = open(a, O_RDONLY | O_DIRECT);
	fb = open(b, O_RDONLY | O_DIRECT);
	if (fa < 0 || fb < 0 || posix_memalign((void **)&ba, 4096, chunk) ||
	    posix_memalign((void **)&bb, 4096, chunk)) {
		ret = -errno;
		goto out;
	}
	for (off = 0; off < len && !ret; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		size_t i;

		if (pread(fa, ba, n, off) != (ssize_t)n ||
		    pread(fb, bb, n, off) != (ssize_t)n) {
			ret = -EIO;
			break;
		}
		if (!memcmp(ba, bb, n))
			continue;
		for (i = 0; i < n; i += 512)
			if (memcmp(ba + i, bb + i, 512)) {
				ret = (off + i) / 512 + 1;
				break;
			}
	}
out:
	free(ba);
	free(bb);
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return ret;
}

const char *test_id(const char *prefix)
{
	static char ids[64][BLKJOB_ID_LEN];
	static int n;
	char *id = ids[n % 64];

	snprintf(id, BLKJOB_ID_LEN, "%s-%d-%d", prefix, getpid(), n);
	n++;
	return id;
}

void copy_params(struct blkjob_job_params *p, const char *id,
		 const char *src, const char *dst, uint64_t speed)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->type = BLKJOB_JOB_TYPE_COPY;
	p->source = src;
	p->target = dst;
	if (speed) {
		p->speed = speed;
		p->present |= BLKJOB_F(BLKJOB_A_JOB_SPEED);
	}
}

int job_status(struct blkjob_ctx *ctx, const char *id)
{
	struct blkjob_job job;
	int err;

	err = blkjob_job_get(ctx, id, &job);
	if (err == -ENOENT)
		return BLKJOB_JOB_STATUS_NULL;
	return err ? err : (int)job.status;
}

int wait_status(struct blkjob_ctx *ctx, const char *id, int status, int ms)
{
	uint64_t end = now_ms() + ms;

	do {
		if (job_status(ctx, id) == status)
			return 0;
		usleep(10000);
	} while (now_ms() < end);
	return -ETIMEDOUT;
}

void job_cleanup(struct blkjob_ctx *ctx, const char *id)
{
	uint64_t end = now_ms() + 5000;
	int st;

	blkjob_job_cancel(ctx, id, true);
	while ((st = job_status(ctx, id)) != BLKJOB_JOB_STATUS_NULL &&
	       now_ms() < end) {
		if (st == BLKJOB_JOB_STATUS_PENDING)
			blkjob_job_finalize(ctx, id);
		if (st == BLKJOB_JOB_STATUS_CONCLUDED)
			blkjob_job_dismiss(ctx, id);
		usleep(10000);
	}
}

struct collect {
	struct evlog *log;
	const char *id;
	int until_cmd;
	bool done;
};

static int collect_one(const struct blkjob_event *ev, void *arg)
{
	struct collect *c = arg;

	if (c->log->n < (int)(sizeof(c->log->ev) / sizeof(c->log->ev[0])))
		c->log->ev[c->log->n++] = *ev;
	if (c->until_cmd && ev->cmd == c->until_cmd &&
	    !strcmp(ev->job.id, c->id))
		c->done = true;
	return 0;
}

int evlog_collect(struct blkjob_monitor *mon, struct evlog *log,
		  const char *id, int ms, int until_cmd)
{
	struct collect c = { log, id, until_cmd, false };
	uint64_t end = now_ms() + ms;
	struct pollfd pfd = { .fd = blkjob_monitor_fd(mon), .events = POLLIN };

	while (!c.done) {
		int64_t left = end - now_ms();

		if (left <= 0)
			break;
		if (poll(&pfd, 1, left) > 0)
			blkjob_monitor_read(mon, collect_one, &c);
	}
	return c.done || !until_cmd ? 0 : -ETIMEDOUT;
}

const char *evlog_statuses(const struct evlog *log, const char *id)
{
	static char buf[1024];
	int i;

	buf[0] = 0;
	for (i = 0; i < log->n; i++) {
		const struct blkjob_event *ev = &log->ev[i];
		const char *name;

		if (ev->cmd != BLKJOB_CMD_JOB_STATUS_NTF ||
		    strcmp(ev->job.id, id))
			continue;
		name = blkjob_job_status_str(ev->job.status);
		if (buf[0])
			strncat(buf, ",", sizeof(buf) - strlen(buf) - 1);
		strncat(buf, name ? name : "?", sizeof(buf) - strlen(buf) - 1);
	}
	return buf;
}

int evlog_count(const struct evlog *log, const char *id, int cmd)
{
	int i, n = 0;

	for (i = 0; i < log->n; i++)
		if (log->ev[i].cmd == cmd && !strcmp(log->ev[i].job.id, id))
			n++;
	return n;
}

struct regcheck {
	char *why;
	size_t len;
	int n;
	bool bad;
};

static bool id_ok(const char *id)
{
	size_t i, n = strnlen(id, BLKJOB_ID_LEN);

	if (!n || n >= BLKJOB_ID_LEN ||
	    !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z')))
		return false;
	for (i = 1; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-", id[i]))
			return false;
	return true;
}

static int regcheck_one(const struct blkjob_job *j, void *arg)
{
	static const unsigned int need[] = {
		BLKJOB_A_JOB_ID, BLKJOB_A_JOB_TYPE, BLKJOB_A_JOB_STATUS,
		BLKJOB_A_JOB_SOURCE, BLKJOB_A_JOB_TARGET, BLKJOB_A_JOB_LEN,
		BLKJOB_A_JOB_OFFSET, BLKJOB_A_JOB_SPEED,
		BLKJOB_A_JOB_GRANULARITY, BLKJOB_A_JOB_BUF_SIZE,
		BLKJOB_A_JOB_IO_STATUS, BLKJOB_A_JOB_READY,
	};
	struct regcheck *rc = arg;
	const char *bad = NULL;
	unsigned int i;
	bool ready;

	rc->n++;
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!BLKJOB_HAS(j->present, need[i]))
			bad = "attribute missing";
	ready = j->status == BLKJOB_JOB_STATUS_READY ||
		j->status == BLKJOB_JOB_STATUS_STANDBY;
	if (bad)
		;
	else if (!id_ok(j->id))
		bad = "invalid id";
	else if (j->type > BLKJOB_JOB_TYPE_BACKUP)
		bad = "type";
	else if (j->status < BLKJOB_JOB_STATUS_CREATED ||
		 j->status > BLKJOB_JOB_STATUS_CONCLUDED)
		bad = "status";
	else if (j->offset > j->len)
		bad = "offset > len";
	else if (j->granularity < 512 || j->granularity > 64 * MiB ||
		 (j->granularity & (j->granularity - 1)))
		bad = "granularity";
	else if (j->buf_size < j->granularity)
		bad = "buf-size < granularity";
	else if (j->speed > INT64_MAX)
		bad = "speed";
	else if (j->io_status > BLKJOB_IO_STATUS_NOSPACE)
		bad = "io-status";
	else if (j->on_source_error > BLKJOB_ERROR_POLICY_ENOSPC ||
		 j->on_target_error > BLKJOB_ERROR_POLICY_ENOSPC)
		bad = "error policy";
	else if (j->copy_mode > BLKJOB_COPY_MODE_WRITE_BLOCKING ||
		 j->sync > BLKJOB_SYNC_MODE_NONE)
		bad = "copy-mode or sync";
	else if (j->ready != ready)
		bad = "ready does not match the status";
	else if (!j->source[0] || !j->target[0])
		bad = "empty source or target";
	if (bad && !rc->bad) {
		rc->bad = true;
		snprintf(rc->why, rc->len, "job '%.63s' (%s): %s", j->id,
			 blkjob_job_status_str(j->status) ?: "?", bad);
	}
	return 0;
}

int registry_check(struct blkjob_ctx *ctx, char *why, size_t len)
{
	struct regcheck rc = { why, len, 0, false };
	int err;

	why[0] = 0;
	err = blkjob_job_dump(ctx, regcheck_one, &rc);
	if (err) {
		snprintf(why, len, "job-get dump: %s", strerror(-err));
		return -1;
	}
	return rc.bad ? -1 : rc.n;
}

struct regclear {
	struct blkjob_ctx *ctx;
	int n;
};

static int regclear_one(const struct blkjob_job *j, void *arg)
{
	struct regclear *rc = arg;

	rc->n++;
	/* Another socket: this one is busy with the dump. */
	if (j->status == BLKJOB_JOB_STATUS_PENDING)
		blkjob_job_finalize(rc->ctx, j->id);
	else if (j->status == BLKJOB_JOB_STATUS_CONCLUDED)
		blkjob_job_dismiss(rc->ctx, j->id);
	else
		blkjob_job_cancel(rc->ctx, j->id, true);
	return 0;
}

int registry_clear(struct blkjob_ctx *ctx, int ms)
{
	uint64_t end = now_ms() + ms;
	struct blkjob_ctx *op = blkjob_open();
	struct regclear rc = { op, 0 };

	if (!op)
		return -errno;
	do {
		rc.n = 0;
		if (blkjob_job_dump(ctx, regclear_one, &rc) == 0 && !rc.n)
			break;
		usleep(20000);
	} while (now_ms() < end);
	blkjob_close(op);
	return rc.n ? -ETIMEDOUT : 0;
}

int dev_claimable(const char *path)
{
	int fd = open(path, O_RDWR | O_EXCL);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}
