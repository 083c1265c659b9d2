// SPDX-License-Identifier: GPL-2.0
/*
 * The blkjob dm target and the live job types: passthrough, status lines,
 * mirror (background and write-blocking) under a concurrent writer up to
 * the pivot, soft cancel, backup as a point in time, suspend/resume, and
 * removal of the table under a running job, and a reload refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

#define DEV_SIZE (16 * MiB)

/* A writer thread: O_DIRECT writes of known data through the dm device. */
struct writer {
	pthread_t thread;
	const char *path;
	uint8_t *shadow;	/* what the device holds, as far as we wrote */
	uint64_t size;
	volatile bool stop;
	unsigned int delay_us;	/* between writes */
	uint64_t writes;
	int error;
	uint64_t seed;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	uint8_t *buf;
	int fd;

	fd = open(w->path, O_WRONLY | O_DIRECT);
	if (fd < 0 || posix_memalign((void **)&buf, 4096, 64 * KiB)) {
		w->error = -errno;
		return NULL;
	}
	while (!w->stop) {
		size_t len = (1 + rnd(&w->seed) % 16) * 4096;
		uint64_t off = (rnd(&w->seed) % (w->size / 4096)) * 4096;
		size_t i;

		if (off + len > w->size)
			len = w->size - off;
		for (i = 0; i < len; i += 8)
			*(uint64_t *)(buf + i) = rnd(&w->seed);
		if (pwrite(fd, buf, len, off) != (ssize_t)len) {
			w->error = -errno;
			break;
		}
		memcpy(w->shadow + off, buf, len);
		w->writes++;
		if (w->delay_us)
			usleep(w->delay_us);
	}
	free(buf);
	close(fd);
	return NULL;
}

/* Read @len bytes of @path with O_DIRECT into @buf. */
static int read_dev(const char *path, uint8_t *buf, uint64_t len)
{
	uint64_t done = 0;
	int fd = open(path, O_RDONLY | O_DIRECT);

	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, done);

		if (n <= 0)
			break;
		done += n;
	}
	close(fd);
	return done == len ? 0 : -EIO;
}

/* 0 when @path holds @want, else the 1-based offset of the first diff. */
static int64_t cmp_dev(const char *path, const uint8_t *want, uint64_t len)
{
	uint8_t *buf;
	int64_t ret = 0;
	uint64_t i;

	if (posix_memalign((void **)&buf, 4096, len))
		return -ENOMEM;
	ret = read_dev(path, buf, len);
	if (!ret && memcmp(buf, want, len))
		for (i = 0; i < len; i++)
			if (buf[i] != want[i]) {
				ret = i + 1;
				break;
			}
	free(buf);
	return ret;
}

static int writer_start(struct writer *w, const char *path, uint64_t size,
			unsigned int delay_us)
{
	memset(w, 0, sizeof(*w));
	w->path = path;
	w->size = size;
	w->delay_us = delay_us;
	w->seed = 0x9e3779b97f4a7c15ULL ^ getpid();
	if (posix_memalign((void **)&w->shadow, 4096, size))
		return -ENOMEM;
	if (read_dev(path, w->shadow, size))
		return -EIO;
	return -pthread_create(&w->thread, NULL, writer_fn, w);
}

static void writer_stop(struct writer *w)
{
	if (!w->shadow)
		return;
	w->stop = true;
	pthread_join(w->thread, NULL);
}

FIXTURE(dm) {
	struct blkjob_ctx *ctx;
	struct blkjob_monitor *mon;
	struct tdev src, dst;
	char name[64];
	char path[96];
	const char *id;
	struct writer w;
};

FIXTURE_SETUP(dm)
{
	self->ctx = blkjob_open();
	ASSERT_NE(NULL, self->ctx);
	self->mon = blkjob_monitor_open();
	ASSERT_NE(NULL, self->mon);
	ASSERT_EQ(0, tdev_create(&self->src, DEV_SIZE, true));
	ASSERT_EQ(0, tdev_create(&self->dst, DEV_SIZE, false));
	snprintf(self->name, sizeof(self->name), "bjt-%d", getpid());
	snprintf(self->path, sizeof(self->path), "/dev/mapper/%s",
		 self->name);
	ASSERT_EQ(0, sh("dmsetup create %s --table '0 %llu blkjob %s %s' && "
			"dmsetup mknodes %s", self->name,
			(unsigned long long)(DEV_SIZE >> 9), self->src.path,
			self->dst.path, self->name));
	self->id = test_id("dm");
}

FIXTURE_TEARDOWN(dm)
{
	writer_stop(&self->w);
	free(self->w.shadow);
	job_cleanup(self->ctx, self->id);
	sh("dmsetup resume %s 2>/dev/null; dmsetup remove --retry %s 2>/dev/null",
	   self->name, self->name);
	tdev_destroy(&self->src);
	tdev_destroy(&self->dst);
	blkjob_monitor_close(self->mon);
	blkjob_close(self->ctx);
}

/* The INFO status line after "<start> <len> blkjob ". */
static const char *dm_status(const char *name)
{
	static char line[256];
	char cmd[128];
	FILE *p;
	char *s;

	line[0] = '\0';
	snprintf(cmd, sizeof(cmd), "dmsetup status %s", name);
	p = popen(cmd, "r");
	if (!p)
		return "";
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	pclose(p);
	line[strcspn(line, "\n")] = '\0';
	s = strstr(line, "blkjob ");
	return s ? s + 7 : line;
}

static int start_job(struct __test_metadata *_metadata,
		     FIXTURE_DATA(dm) *self, uint32_t type, uint64_t speed,
		     uint32_t copy_mode, const char *target)
{
	struct blkjob_job_params p;
	int err;

	copy_params(&p, self->id, self->path, target ?: self->dst.path, speed);
	p.type = type;
	p.copy_mode = copy_mode;
	p.present |= BLKJOB_F(BLKJOB_A_JOB_COPY_MODE);
	err = blkjob_job_new(self->ctx, &p, NULL);
	if (err)
		TH_LOG("job-new: %s (%s)", strerror(-err),
		       blkjob_errmsg(self->ctx));
	return err;
}

/* With no job attached: 300 ms of writes, all on the source as written. */
static void passes_through(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dm) *self)
{
	int err = writer_start(&self->w, self->path, DEV_SIZE, 0);

	EXPECT_EQ(0, err);
	if (err)
		return;
	usleep(300 * 1000);
	writer_stop(&self->w);
	EXPECT_EQ(0, self->w.error);
	EXPECT_LT(0, self->w.writes);
	EXPECT_EQ(0, cmp_dev(self->src.path, self->w.shadow, DEV_SIZE));
}

/* No job: a linear mapping onto the source, byte for byte. */
TEST_F_TIMEOUT(dm, passthrough_and_status, 600)
{
	char want[128];

	EXPECT_EQ(0, tdev_cmp(self->path, self->src.path, DEV_SIZE));
	passes_through(_metadata, self);
	EXPECT_EQ(0, cmp_dev(self->path, self->w.shadow, DEV_SIZE));
	EXPECT_STREQ("source - - 0/0", dm_status(self->name));
	/* The destination was not touched. */
	EXPECT_EQ(0, sh("cmp -s -n %llu %s /dev/zero",
			(unsigned long long)DEV_SIZE, self->dst.path));
	snprintf(want, sizeof(want), "0 %llu blkjob ",
		 (unsigned long long)(DEV_SIZE >> 9));
	EXPECT_EQ(0, sh("dmsetup table %s | grep -q '^%s[0-9]*:[0-9]* [0-9]*:[0-9]*$'",
			self->name, want));
}

/*
 * Writes must land while the first pass copies their granules, on any
 * accelerator: the pass starts at 4 MiB/s (4 s for the device), runs
 * under the writer for a second, then goes on unlimited.
 */
static void race_first_pass(struct __test_metadata *_metadata,
			    FIXTURE_DATA(dm) *self)
{
	struct blkjob_job job;
	uint64_t writes = self->w.writes;

	sleep(1);
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_GT(DEV_SIZE, job.offset);
	EXPECT_LT(writes, self->w.writes);
	ASSERT_EQ(0, blkjob_job_set_speed(self->ctx, self->id, 0));
}

static void mirror_to_pivot(struct __test_metadata *_metadata,
			    FIXTURE_DATA(dm) *self, uint32_t copy_mode,
			    unsigned int delay_us)
{
	struct blkjob_job job;
	char want[128];

	ASSERT_EQ(0, writer_start(&self->w, self->path, DEV_SIZE, delay_us));
	ASSERT_EQ(0, start_job(_metadata, self, BLKJOB_JOB_TYPE_MIRROR,
			       4 * MiB, copy_mode, NULL));
	race_first_pass(_metadata, self);
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_READY, 120000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_TRUE(job.ready);
	EXPECT_EQ(copy_mode == BLKJOB_COPY_MODE_WRITE_BLOCKING,
		  job.actively_synced);
	snprintf(want, sizeof(want), "source %s ready ", self->id);
	EXPECT_EQ(0, strncmp(dm_status(self->name), want, strlen(want)));
	/* The writer keeps going through the quiesce and the pivot. */
	ASSERT_EQ(0, blkjob_job_complete(self->ctx, self->id));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_NULL, 60000));
	usleep(200 * 1000);
	writer_stop(&self->w);
	ASSERT_EQ(0, self->w.error);
	TH_LOG("%llu writes", (unsigned long long)self->w.writes);
	EXPECT_STREQ("destination - - 0/0", dm_status(self->name));
	EXPECT_EQ(0, cmp_dev(self->dst.path, self->w.shadow, DEV_SIZE));
	EXPECT_EQ(0, cmp_dev(self->path, self->w.shadow, DEV_SIZE));

	/* After the pivot, writes land on the destination only. */
	free(self->w.shadow);
	ASSERT_EQ(0, writer_start(&self->w, self->path, DEV_SIZE, 0));
	usleep(200 * 1000);
	writer_stop(&self->w);
	EXPECT_EQ(0, cmp_dev(self->dst.path, self->w.shadow, DEV_SIZE));
	EXPECT_NE(0, cmp_dev(self->src.path, self->w.shadow, DEV_SIZE));
}

TEST_F_TIMEOUT(dm, mirror_background_pivot, 600)
{
	mirror_to_pivot(_metadata, self, BLKJOB_COPY_MODE_BACKGROUND, 2000);
}

/* A writer with no pause at all: write-blocking converges anyway. */
TEST_F_TIMEOUT(dm, mirror_write_blocking_pivot, 600)
{
	mirror_to_pivot(_metadata, self, BLKJOB_COPY_MODE_WRITE_BLOCKING, 0);
}

/* background -> write-blocking only. */
TEST_F_TIMEOUT(dm, mirror_change, 600)
{
	ASSERT_EQ(0, start_job(_metadata, self, BLKJOB_JOB_TYPE_MIRROR,
			       1 * MiB, BLKJOB_COPY_MODE_BACKGROUND, NULL));
	EXPECT_EQ(0, blkjob_job_change(self->ctx, self->id,
				       BLKJOB_COPY_MODE_WRITE_BLOCKING));
	EXPECT_EQ(-EINVAL, blkjob_job_change(self->ctx, self->id,
					     BLKJOB_COPY_MODE_BACKGROUND));
	EXPECT_NE(NULL, strstr(blkjob_errmsg(self->ctx), "write-blocking"));
}

/* Soft cancel once ready: no pivot, the destination is a true copy. */
TEST_F_TIMEOUT(dm, mirror_soft_cancel, 600)
{
	uint8_t *dst_before;

	ASSERT_EQ(0, writer_start(&self->w, self->path, DEV_SIZE, 1000));
	ASSERT_EQ(0, start_job(_metadata, self, BLKJOB_JOB_TYPE_MIRROR,
			       4 * MiB, BLKJOB_COPY_MODE_BACKGROUND, NULL));
	race_first_pass(_metadata, self);
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_READY, 120000));
	writer_stop(&self->w);
	ASSERT_EQ(0, self->w.error);
	ASSERT_EQ(0, blkjob_job_cancel(self->ctx, self->id, false));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_NULL, 30000));
	EXPECT_STREQ("source - - 0/0", dm_status(self->name));
	EXPECT_EQ(0, cmp_dev(self->dst.path, self->w.shadow, DEV_SIZE));
	EXPECT_EQ(0, cmp_dev(self->src.path, self->w.shadow, DEV_SIZE));

	/* The source goes on serving; the destination stays as it was. */
	ASSERT_EQ(0, posix_memalign((void **)&dst_before, 4096, DEV_SIZE));
	memcpy(dst_before, self->w.shadow, DEV_SIZE);
	free(self->w.shadow);
	ASSERT_EQ(0, writer_start(&self->w, self->path, DEV_SIZE, 0));
	usleep(200 * 1000);
	writer_stop(&self->w);
	EXPECT_EQ(0, cmp_dev(self->src.path, self->w.shadow, DEV_SIZE));
	EXPECT_EQ(0, cmp_dev(self->dst.path, dst_before, DEV_SIZE));
	free(dst_before);
}

/* The destination is the source as it was when the job started. */
TEST_F_TIMEOUT(dm, backup_point_in_time, 600)
{
	struct evlog log = { 0 };
	uint8_t *snap;

	ASSERT_EQ(0, posix_memalign((void **)&snap, 4096, DEV_SIZE));
	ASSERT_EQ(0, read_dev(self->src.path, snap, DEV_SIZE));
	ASSERT_EQ(0, start_job(_metadata, self, BLKJOB_JOB_TYPE_BACKUP,
			       8 * MiB, BLKJOB_COPY_MODE_BACKGROUND, NULL));
	ASSERT_EQ(0, writer_start(&self->w, self->path, DEV_SIZE, 0));
	ASSERT_EQ(0, evlog_collect(self->mon, &log, self->id, 60000,
				   BLKJOB_CMD_JOB_COMPLETED_NTF));
	writer_stop(&self->w);
	ASSERT_EQ(0, self->w.error);
	TH_LOG("%llu writes", (unsigned long long)self->w.writes);
	EXPECT_LT(0, self->w.writes);
	EXPECT_EQ(0, cmp_dev(self->dst.path, snap, DEV_SIZE));
	EXPECT_EQ(0, cmp_dev(self->src.path, self->w.shadow, DEV_SIZE));
	EXPECT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_NULL, 5000));
	EXPECT_STREQ("source - - 0/0", dm_status(self->name));
	free(snap);
}

/* Suspend pauses the job, resume lets it finish; nothing is lost. */
TEST_F_TIMEOUT(dm, mirror_suspend_resume, 600)
{
	struct blkjob_job job;

	ASSERT_EQ(0, writer_start(&self->w, self->path, DEV_SIZE, 1000));
	ASSERT_EQ(0, start_job(_metadata, self, BLKJOB_JOB_TYPE_MIRROR,
			       4 * MiB, BLKJOB_COPY_MODE_BACKGROUND, NULL));
	usleep(500 * 1000);
	ASSERT_EQ(0, sh("dmsetup suspend %s", self->name));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_PAUSED, 10000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_TRUE(job.paused);
	ASSERT_EQ(0, sh("dmsetup resume %s", self->name));
	ASSERT_EQ(0, blkjob_job_set_speed(self->ctx, self->id, 0));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_READY, 120000));
	/* A suspend while ready, then complete. */
	ASSERT_EQ(0, sh("dmsetup suspend %s && dmsetup resume %s", self->name,
			self->name));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_READY, 10000));
	ASSERT_EQ(0, blkjob_job_complete(self->ctx, self->id));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_NULL, 60000));
	writer_stop(&self->w);
	ASSERT_EQ(0, self->w.error);
	EXPECT_EQ(0, cmp_dev(self->dst.path, self->w.shadow, DEV_SIZE));
}

/* Both legs can be claimed exclusively: nothing of the job holds them. */
static int legs_free(FIXTURE_DATA(dm) *self)
{
	int a = open(self->src.path, O_RDWR | O_EXCL);
	int b = open(self->dst.path, O_RDWR | O_EXCL);
	int ret = a >= 0 && b >= 0 ? 0 : -1;

	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return ret;
}

/* dmsetup remove under a running job cancels it cleanly. */
TEST_F_TIMEOUT(dm, remove_cancels, 600)
{
	struct evlog log = { 0 };

	ASSERT_EQ(0, start_job(_metadata, self, BLKJOB_JOB_TYPE_MIRROR,
			       1 * MiB, BLKJOB_COPY_MODE_BACKGROUND, NULL));
	usleep(300 * 1000);
	ASSERT_EQ(0, sh("dmsetup remove %s", self->name));
	ASSERT_EQ(0, evlog_collect(self->mon, &log, self->id, 60000,
				   BLKJOB_CMD_JOB_CANCELLED_NTF));
	EXPECT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_NULL, 5000));
	EXPECT_EQ(0, legs_free(self));
}

/*
 * A table reload under a running backup is refused (it would cancel it at
 * the swap) and the backup goes on to an exact copy. Once the job is over
 * the same reload is taken.
 */
TEST_F_TIMEOUT(dm, reload_refused, 600)
{
	/*
	 * Slow enough that the backup is still at work for both reloads: a
	 * write copies its uncopied granule before it, beside the rate
	 * limit, so the writer's pace counts too. At 50 writes/s (64 KiB
	 * granules: 16 MiB in some 5 s) the backup was over before the
	 * checks when four TCG guests shared two cores; 10/s gives it some
	 * 18 s.
	 */
	ASSERT_EQ(0, start_job(_metadata, self, BLKJOB_JOB_TYPE_BACKUP,
			       256 * KiB, BLKJOB_COPY_MODE_BACKGROUND, NULL));
	ASSERT_EQ(0, writer_start(&self->w, self->path, DEV_SIZE, 100000));
	usleep(300 * 1000);
	EXPECT_EQ(75, sh("out=$(dmsetup load %s --table '0 %llu blkjob %s %s' 2>&1) "
			 "|| { echo \"$out\"; echo \"$out\" | grep -q 'Device or resource busy' && exit 75; }",
			 self->name, (unsigned long long)(DEV_SIZE >> 9),
			 self->src.path, self->dst.path));
	EXPECT_EQ(0, sh("dmesg | tail -n 5 | grep -q 'A job is attached to this device'"));
	EXPECT_EQ(0, sh("[ -z \"$(dmsetup table --inactive %s)\" ]",
			self->name));
	/* The backup went on: still attached, and it ends with its copy. */
	EXPECT_EQ(0, strncmp(dm_status(self->name), "source ", 7));
	EXPECT_EQ(NULL, strstr(dm_status(self->name), " - - "));
	writer_stop(&self->w);
	ASSERT_EQ(0, self->w.error);
	EXPECT_EQ(0, blkjob_job_set_speed(self->ctx, self->id, 0));
	EXPECT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_NULL, 60000));
	EXPECT_EQ(0, cmp_dev(self->src.path, self->w.shadow, DEV_SIZE));
	/* Over: the reload is taken, and the new instance takes a job. */
	EXPECT_EQ(0, sh("dmsetup load %s --table '0 %llu blkjob %s %s' && "
			"dmsetup suspend %s && dmsetup resume %s", self->name,
			(unsigned long long)(DEV_SIZE >> 9), self->src.path,
			self->dst.path, self->name, self->name));
	EXPECT_EQ(0, start_job(_metadata, self, BLKJOB_JOB_TYPE_MIRROR, 0,
			       BLKJOB_COPY_MODE_BACKGROUND, NULL));
	EXPECT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_READY, 60000));
}

/* job-new's checks: the target leg, one job per instance, a dm source. */
TEST_F_TIMEOUT(dm, bad_job_new, 600)
{
	const char *first = self->id;

	EXPECT_EQ(-EINVAL, start_job(_metadata, self, BLKJOB_JOB_TYPE_MIRROR,
				     0, BLKJOB_COPY_MODE_BACKGROUND,
				     self->src.path));
	EXPECT_NE(NULL, strstr(blkjob_errmsg(self->ctx), "destination leg"));
	ASSERT_EQ(0, start_job(_metadata, self, BLKJOB_JOB_TYPE_MIRROR,
			       1 * MiB, BLKJOB_COPY_MODE_BACKGROUND, NULL));
	self->id = test_id("dm");
	EXPECT_EQ(-EBUSY, start_job(_metadata, self, BLKJOB_JOB_TYPE_BACKUP,
				    0, BLKJOB_COPY_MODE_BACKGROUND, NULL));
	EXPECT_NE(NULL, strstr(blkjob_errmsg(self->ctx), first));
	job_cleanup(self->ctx, first);
	/* A plain device is no blkjob dm device. */
	EXPECT_EQ(-ENODEV, blkjob_job_new(self->ctx, &(struct blkjob_job_params){
		.id = self->id, .type = BLKJOB_JOB_TYPE_MIRROR,
		.source = self->src.path, .target = self->dst.path }, NULL));
	EXPECT_NE(0, legs_free(self));	/* dm holds them */
}

/*
 * One leg, as a wrapped device at rest: I/O passes through, no job can
 * attach, and dm refuses any other table type (blkjob-pinned is immutable).
 */
TEST_F_TIMEOUT(dm, one_leg_pinned, 600)
{
	unsigned long long sectors = DEV_SIZE >> 9;

	ASSERT_EQ(0, sh("dmsetup remove %s && "
			"dmsetup create %s --table '0 %llu blkjob-pinned %s' && "
			"dmsetup mknodes %s", self->name, self->name, sectors,
			self->src.path, self->name));
	EXPECT_NE(NULL, strstr(dm_status(self->name), "source - - 0/0"));
	passes_through(_metadata, self);
	EXPECT_EQ(-EINVAL, start_job(_metadata, self, BLKJOB_JOB_TYPE_MIRROR,
				     0, BLKJOB_COPY_MODE_BACKGROUND, NULL));
	EXPECT_NE(NULL, strstr(blkjob_errmsg(self->ctx), "one leg"));
	EXPECT_EQ(0, sh("! dmsetup load %s --table '0 %llu linear %s 0' && "
			"dmesg | tail -n 3 | grep -q 'replace immutable target type blkjob-pinned'",
			self->name, sectors, self->src.path));
	EXPECT_EQ(0, sh("[ -z \"$(dmsetup table --inactive %s)\" ]",
			self->name));
}

TEST_HARNESS_MAIN
