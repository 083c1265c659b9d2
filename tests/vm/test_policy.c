// SPDX-License-Identifier: GPL-2.0
/*
 * Error policies of the copy job, against a target whose table can be
 * switched live between dm-error (every I/O fails) and linear (healed).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

#define SIZE (4 * MiB)

FIXTURE(policy) {
	struct blkjob_ctx *ctx;
	struct blkjob_monitor *mon;
	struct tdev src, backing;
	char name[64], path[128];
	struct blkjob_job_params p;
	const char *id;
};

/* Swap the dm device's table: "error", or "linear" onto the backing. */
static int set_table(FIXTURE_DATA(policy) *self, bool healed)
{
	char table[160];

	if (healed)
		snprintf(table, sizeof(table), "0 %llu linear %s 0",
			 SIZE / 512, self->backing.path);
	else
		snprintf(table, sizeof(table), "0 %llu error", SIZE / 512);
	return sh("dmsetup load %s --table '%s' && dmsetup suspend %s && "
		  "dmsetup resume %s", self->name, table, self->name,
		  self->name);
}

FIXTURE_SETUP(policy)
{
	self->ctx = blkjob_open();
	ASSERT_NE(NULL, self->ctx);
	self->mon = blkjob_monitor_open();
	ASSERT_NE(NULL, self->mon);
	ASSERT_EQ(0, tdev_create(&self->src, SIZE, true));
	ASSERT_EQ(0, tdev_create(&self->backing, SIZE, false));
	snprintf(self->name, sizeof(self->name), "blkjob-pol-%d", getpid());
	snprintf(self->path, sizeof(self->path), "/dev/mapper/%s", self->name);
	ASSERT_EQ(0, sh("dmsetup create %s --table '0 %llu error' && "
			"dmsetup mknodes %s", self->name, SIZE / 512,
			self->name));
	self->id = test_id("pol");
	copy_params(&self->p, self->id, self->src.path, self->path, 0);
	self->p.auto_dismiss = false;
	self->p.present |= BLKJOB_F(BLKJOB_A_JOB_AUTO_DISMISS);
}

FIXTURE_TEARDOWN(policy)
{
	job_cleanup(self->ctx, self->id);
	sh("dmsetup remove %s", self->name);
	tdev_destroy(&self->src);
	tdev_destroy(&self->backing);
	blkjob_monitor_close(self->mon);
	blkjob_close(self->ctx);
}

static void on_target_error(FIXTURE_DATA(policy) *self,
			    enum blkjob_error_policy policy)
{
	self->p.on_target_error = policy;
	self->p.present |= BLKJOB_F(BLKJOB_A_JOB_ON_TARGET_ERROR);
}

/* The event log's first job-error-ntf for the job, or NULL. */
static const struct blkjob_event *first_error(const struct evlog *log,
					       const char *id)
{
	int i;

	for (i = 0; i < log->n; i++)
		if (log->ev[i].cmd == BLKJOB_CMD_JOB_ERROR_NTF &&
		    !strcmp(log->ev[i].job.id, id))
			return &log->ev[i];
	return NULL;
}

/* report (the default): the job fails with the error, after an event. */
TEST_F(policy, report)
{
	const struct blkjob_event *ev;
	struct evlog log = { 0 };
	struct blkjob_job job;

	ASSERT_EQ(0, blkjob_job_new(self->ctx, &self->p, NULL));
	ASSERT_EQ(0, evlog_collect(self->mon, &log, self->id, 10000,
				   BLKJOB_CMD_JOB_COMPLETED_NTF));
	ev = first_error(&log, self->id);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(BLKJOB_IO_OPERATION_WRITE, ev->job.operation);
	EXPECT_EQ(BLKJOB_ERROR_ACTION_REPORT, ev->job.action);
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_CONCLUDED, 2000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_TRUE(BLKJOB_HAS(job.present, BLKJOB_A_JOB_ERROR));
	TH_LOG("error: %s", job.error);
}

/* ignore: events, and the job goes on to complete. */
TEST_F(policy, ignore)
{
	const struct blkjob_event *ev;
	struct evlog log = { 0 };
	struct blkjob_job job;

	on_target_error(self, BLKJOB_ERROR_POLICY_IGNORE);
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &self->p, NULL));
	ASSERT_EQ(0, evlog_collect(self->mon, &log, self->id, 10000,
				   BLKJOB_CMD_JOB_COMPLETED_NTF));
	ev = first_error(&log, self->id);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(BLKJOB_ERROR_ACTION_IGNORE, ev->job.action);
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_CONCLUDED, 2000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_FALSE(BLKJOB_HAS(job.present, BLKJOB_A_JOB_ERROR));
	EXPECT_EQ(SIZE, job.offset);
}

/*
 * stop: the job pauses with io-status failed; resuming retries; once the
 * target heals the job finishes and the copy is exact.
 */
TEST_F(policy, stop_then_heal)
{
	const struct blkjob_event *ev;
	struct evlog log = { 0 };
	struct blkjob_job job;

	on_target_error(self, BLKJOB_ERROR_POLICY_STOP);
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &self->p, NULL));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_PAUSED, 5000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_EQ(BLKJOB_IO_STATUS_FAILED, job.io_status);
	EXPECT_TRUE(job.paused);
	evlog_collect(self->mon, &log, self->id, 300, 0);
	ev = first_error(&log, self->id);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(BLKJOB_ERROR_ACTION_STOP, ev->job.action);

	/* Still broken: resuming stops it again. */
	ASSERT_EQ(0, blkjob_job_resume(self->ctx, self->id));
	usleep(300000);
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_PAUSED, 5000));

	ASSERT_EQ(0, set_table(self, true));
	ASSERT_EQ(0, blkjob_job_resume(self->ctx, self->id));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_CONCLUDED, 10000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_FALSE(BLKJOB_HAS(job.present, BLKJOB_A_JOB_ERROR));
	EXPECT_EQ(BLKJOB_IO_STATUS_OK, job.io_status);
	EXPECT_EQ(0, tdev_cmp(self->src.path, self->path, SIZE));
}

/* enospc: an error other than ENOSPC is reported. */
TEST_F(policy, enospc_reports_other_errors)
{
	struct blkjob_job job;

	on_target_error(self, BLKJOB_ERROR_POLICY_ENOSPC);
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &self->p, NULL));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_CONCLUDED, 5000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_TRUE(BLKJOB_HAS(job.present, BLKJOB_A_JOB_ERROR));
}

/* A source read error goes by on-source-error, with operation read. */
TEST_F(policy, source_error_stop)
{
	struct evlog log = { 0 };
	struct blkjob_job job;

	/* Read from the failing device, write to a healthy one. */
	self->p.source = self->path;
	self->p.target = self->backing.path;
	self->p.on_source_error = BLKJOB_ERROR_POLICY_STOP;
	self->p.present |= BLKJOB_F(BLKJOB_A_JOB_ON_SOURCE_ERROR);
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &self->p, NULL));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_PAUSED, 5000));
	evlog_collect(self->mon, &log, self->id, 300, 0);
	ASSERT_NE(NULL, first_error(&log, self->id));
	EXPECT_EQ(BLKJOB_IO_OPERATION_READ,
		  first_error(&log, self->id)->job.operation);
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_EQ(BLKJOB_IO_STATUS_FAILED, job.io_status);
	ASSERT_EQ(0, blkjob_job_cancel(self->ctx, self->id, true));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_CONCLUDED, 2000));
}

TEST_HARNESS_MAIN
