// SPDX-License-Identifier: GPL-2.0
/*
 * The copy job: data copied byte for byte, the status sequence and events
 * of a successful run, progress, pause, force cancel and the rate limit.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

FIXTURE(copy) {
	struct blkjob_ctx *ctx;
	struct blkjob_monitor *mon;
	struct tdev src, dst;
	const char *id;
};

FIXTURE_VARIANT(copy) {
	uint64_t src_size;
	uint64_t dst_size;
	uint32_t granularity;	/* 0: default */
};

/* Sizes that are not a multiple of the chunk, and a larger target. */
FIXTURE_VARIANT_ADD(copy, odd_size) {
	.src_size = 3 * MiB + 12 * KiB + 512, .dst_size = 3 * MiB + 12 * KiB + 512,
};
FIXTURE_VARIANT_ADD(copy, one_sector) {
	.src_size = 512, .dst_size = 512,
};
FIXTURE_VARIANT_ADD(copy, big_chunk_odd) {
	.src_size = 5 * MiB + 4 * KiB, .dst_size = 6 * MiB,
	.granularity = 1 << 20,
};
FIXTURE_VARIANT_ADD(copy, small_chunk) {
	.src_size = 2 * MiB - 512, .dst_size = 2 * MiB,
	.granularity = 4096,
};

FIXTURE_SETUP(copy)
{
	self->ctx = blkjob_open();
	ASSERT_NE(NULL, self->ctx);
	self->mon = blkjob_monitor_open();
	ASSERT_NE(NULL, self->mon);
	ASSERT_EQ(0, tdev_create(&self->src, variant->src_size, true));
	ASSERT_EQ(0, tdev_create(&self->dst, variant->dst_size, false));
	self->id = test_id("copy");
}

FIXTURE_TEARDOWN(copy)
{
	job_cleanup(self->ctx, self->id);
	tdev_destroy(&self->src);
	tdev_destroy(&self->dst);
	blkjob_monitor_close(self->mon);
	blkjob_close(self->ctx);
}

static int start(struct __test_metadata *_metadata, FIXTURE_DATA(copy) *self,
		 const FIXTURE_VARIANT(copy) *variant, uint64_t speed,
		 bool auto_dismiss)
{
	struct blkjob_job_params p;
	struct blkjob_job reply;
	int err;

	copy_params(&p, self->id, self->src.path, self->dst.path, speed);
	if (variant->granularity) {
		p.granularity = variant->granularity;
		p.present |= BLKJOB_F(BLKJOB_A_JOB_GRANULARITY);
	}
	p.auto_dismiss = auto_dismiss;
	p.present |= BLKJOB_F(BLKJOB_A_JOB_AUTO_DISMISS);
	err = blkjob_job_new(self->ctx, &p, &reply);
	if (err)
		TH_LOG("job-new: %s (%s)", strerror(-err),
		       blkjob_errmsg(self->ctx));
	else
		EXPECT_STREQ(self->id, reply.id);
	return err;
}

/* The whole source lands on the target; the rest of the target is intact. */
TEST_F(copy, data_and_lifecycle)
{
	struct blkjob_job job;
	struct evlog log = { 0 };

	ASSERT_EQ(0, start(_metadata, self, variant, 0, false));
	ASSERT_EQ(0, evlog_collect(self->mon, &log, self->id, 20000,
				   BLKJOB_CMD_JOB_COMPLETED_NTF));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_CONCLUDED, 5000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_EQ(variant->src_size, job.len);
	EXPECT_EQ(variant->src_size, job.offset);
	EXPECT_EQ(BLKJOB_IO_STATUS_OK, job.io_status);
	EXPECT_FALSE(BLKJOB_HAS(job.present, BLKJOB_A_JOB_ERROR));
	EXPECT_EQ(0, tdev_cmp(self->src.path, self->dst.path,
			      variant->src_size));
	if (variant->dst_size > variant->src_size) {
		/* Nothing past the source's end was written: still zero. */
		EXPECT_EQ(0, sh("cmp -s -n %llu -i %llu %s /dev/zero",
				(unsigned long long)(variant->dst_size -
						     variant->src_size),
				(unsigned long long)variant->src_size,
				self->dst.path));
	}
	ASSERT_EQ(0, blkjob_job_dismiss(self->ctx, self->id));
	EXPECT_EQ(BLKJOB_JOB_STATUS_NULL, job_status(self->ctx, self->id));
	evlog_collect(self->mon, &log, self->id, 200, 0);
	EXPECT_STREQ("running,waiting,pending,concluded,null",
		     evlog_statuses(&log, self->id) +
		     (strncmp(evlog_statuses(&log, self->id), "created,", 8) ?
		      0 : 8));
	EXPECT_EQ(1, evlog_count(&log, self->id, BLKJOB_CMD_JOB_COMPLETED_NTF));
	EXPECT_EQ(0, evlog_count(&log, self->id, BLKJOB_CMD_JOB_CANCELLED_NTF));
	EXPECT_EQ(0, evlog_count(&log, self->id, BLKJOB_CMD_JOB_PENDING_NTF));
	EXPECT_EQ(0, evlog_count(&log, self->id, BLKJOB_CMD_JOB_READY_NTF));
}

/* Auto-dismiss (the default) takes the job to null by itself. */
TEST_F(copy, auto_dismiss)
{
	ASSERT_EQ(0, start(_metadata, self, variant, 0, true));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_NULL, 20000));
	EXPECT_EQ(0, tdev_cmp(self->src.path, self->dst.path,
			      variant->src_size));
}

FIXTURE(slow) {
	struct blkjob_ctx *ctx;
	struct blkjob_monitor *mon;
	struct tdev src, dst;
	const char *id;
};

FIXTURE_SETUP(slow)
{
	self->ctx = blkjob_open();
	ASSERT_NE(NULL, self->ctx);
	self->mon = blkjob_monitor_open();
	ASSERT_NE(NULL, self->mon);
	ASSERT_EQ(0, tdev_create(&self->src, 64 * MiB, true));
	ASSERT_EQ(0, tdev_create(&self->dst, 64 * MiB, false));
	self->id = test_id("slow");
}

FIXTURE_TEARDOWN(slow)
{
	job_cleanup(self->ctx, self->id);
	tdev_destroy(&self->src);
	tdev_destroy(&self->dst);
	blkjob_monitor_close(self->mon);
	blkjob_close(self->ctx);
}

static uint64_t offset_of(struct blkjob_ctx *ctx, const char *id)
{
	struct blkjob_job job;

	if (blkjob_job_get(ctx, id, &job))
		return ~0ULL;
	return job.offset;
}

static int start_slow(FIXTURE_DATA(slow) *self, uint64_t speed)
{
	struct blkjob_job_params p;

	copy_params(&p, self->id, self->src.path, self->dst.path, speed);
	p.auto_dismiss = false;
	p.present |= BLKJOB_F(BLKJOB_A_JOB_AUTO_DISMISS);
	return blkjob_job_new(self->ctx, &p, NULL);
}

/* Paused, the job's progress does not move; resumed, it does. */
TEST_F(slow, pause_freezes_progress)
{
	struct blkjob_job job;
	uint64_t a, b;

	ASSERT_EQ(0, start_slow(self, 4 * MiB));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_RUNNING, 2000));
	usleep(300000);
	ASSERT_EQ(0, blkjob_job_pause(self->ctx, self->id));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_PAUSED, 2000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_TRUE(job.paused);
	a = offset_of(self->ctx, self->id);
	usleep(1000000);
	b = offset_of(self->ctx, self->id);
	EXPECT_EQ(a, b);
	ASSERT_EQ(0, blkjob_job_resume(self->ctx, self->id));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_RUNNING, 2000));
	usleep(1000000);
	EXPECT_GT(offset_of(self->ctx, self->id), b);
}

/* A force cancel ends the job within a second, with a cancelled event. */
TEST_F(slow, force_cancel_within_1s)
{
	struct evlog log = { 0 };
	struct blkjob_job job;
	uint64_t t0, t;

	/* Slow enough that each chunk waits on the rate limit. */
	ASSERT_EQ(0, start_slow(self, 128 * KiB));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_RUNNING, 2000));
	usleep(500000);
	t0 = now_ms();
	ASSERT_EQ(0, blkjob_job_cancel(self->ctx, self->id, true));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_CONCLUDED, 3000));
	t = now_ms() - t0;
	TH_LOG("force cancel took %llu ms", (unsigned long long)t);
	EXPECT_LE(t, 1000);
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_LT(job.offset, job.len);
	evlog_collect(self->mon, &log, self->id, 300, 0);
	EXPECT_EQ(1, evlog_count(&log, self->id,
				 BLKJOB_CMD_JOB_CANCELLED_NTF));
	EXPECT_EQ(0, evlog_count(&log, self->id,
				 BLKJOB_CMD_JOB_COMPLETED_NTF));
	EXPECT_NE(NULL, strstr(evlog_statuses(&log, self->id),
			       "aborting,concluded"));
}

/* Progress over 5 s is within 5 % of the set speed. */
TEST_F_TIMEOUT(slow, set_speed_accuracy, 60)
{
	const uint64_t speeds[] = { 2 * MiB, 5 * MiB };
	unsigned int i;

	ASSERT_EQ(0, start_slow(self, 1 * MiB));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_RUNNING, 2000));
	for (i = 0; i < 2; i++) {
		uint64_t a, b, t0, t1;
		double rate, ratio;

		ASSERT_EQ(0, blkjob_job_set_speed(self->ctx, self->id,
						  speeds[i]));
		usleep(500000);
		t0 = now_ms();
		a = offset_of(self->ctx, self->id);
		usleep(5000000);
		t1 = now_ms();
		b = offset_of(self->ctx, self->id);
		rate = (double)(b - a) * 1000.0 / (double)(t1 - t0);
		ratio = rate / (double)speeds[i];
		TH_LOG("speed %llu: achieved %.0f B/s (ratio %.3f)",
		       (unsigned long long)speeds[i], rate, ratio);
		EXPECT_GE(ratio, 0.95);
		EXPECT_LE(ratio, 1.05);
	}
}

/* Raising the speed wakes a job sleeping on the rate limit. */
TEST_F(slow, raised_speed_wakes_job)
{
	uint64_t t0;

	/* 64 KiB chunks at 16 KiB/s: each chunk sleeps about 4 s. */
	ASSERT_EQ(0, start_slow(self, 16 * KiB));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_RUNNING, 2000));
	usleep(500000);
	t0 = now_ms();
	ASSERT_EQ(0, blkjob_job_set_speed(self->ctx, self->id, 0));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_CONCLUDED, 20000));
	TH_LOG("finished %llu ms after set-speed 0",
	       (unsigned long long)(now_ms() - t0));
	EXPECT_LT(now_ms() - t0, 3500);
	EXPECT_EQ(0, tdev_cmp(self->src.path, self->dst.path, 64 * MiB));
}

TEST_HARNESS_MAIN
