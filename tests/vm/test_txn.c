// SPDX-License-Identifier: GPL-2.0
/*
 * Transactions: created all or nothing; grouped members complete together,
 * and one failure or cancel force-cancels the rest.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

FIXTURE(txn) {
	struct blkjob_ctx *ctx;
	struct blkjob_monitor *mon;
	struct tdev a_src, a_dst, b_src, b_dst, small;
	struct blkjob_job_params p[2];
	const char *a, *b;
	char errdev[64];
};

FIXTURE_SETUP(txn)
{
	self->ctx = blkjob_open();
	ASSERT_NE(NULL, self->ctx);
	self->mon = blkjob_monitor_open();
	ASSERT_NE(NULL, self->mon);
	ASSERT_EQ(0, tdev_create(&self->a_src, 1 * MiB, true));
	ASSERT_EQ(0, tdev_create(&self->a_dst, 1 * MiB, false));
	ASSERT_EQ(0, tdev_create(&self->b_src, 16 * MiB, true));
	ASSERT_EQ(0, tdev_create(&self->b_dst, 16 * MiB, false));
	ASSERT_EQ(0, tdev_create(&self->small, 512 * KiB, false));
	self->a = test_id("a");
	self->b = test_id("b");
	copy_params(&self->p[0], self->a, self->a_src.path, self->a_dst.path,
		    0);
	/* b is slow, so a is done first. */
	copy_params(&self->p[1], self->b, self->b_src.path, self->b_dst.path,
		    2 * MiB);
}

FIXTURE_TEARDOWN(txn)
{
	job_cleanup(self->ctx, self->a);
	job_cleanup(self->ctx, self->b);
	if (self->errdev[0])
		sh("dmsetup remove %s", self->errdev);
	tdev_destroy(&self->a_src);
	tdev_destroy(&self->a_dst);
	tdev_destroy(&self->b_src);
	tdev_destroy(&self->b_dst);
	tdev_destroy(&self->small);
	blkjob_monitor_close(self->mon);
	blkjob_close(self->ctx);
}

static void keep_concluded(struct blkjob_job_params *p)
{
	p->auto_dismiss = false;
	p->present |= BLKJOB_F(BLKJOB_A_JOB_AUTO_DISMISS);
}

TEST_F(txn, grouped_success)
{
	struct evlog log = { 0 };

	keep_concluded(&self->p[0]);
	keep_concluded(&self->p[1]);
	ASSERT_EQ(0, blkjob_txn_new(self->ctx, BLKJOB_COMPLETION_MODE_GROUPED,
				    self->p, 2));
	/* a is done but waits for b. */
	ASSERT_EQ(0, wait_status(self->ctx, self->a,
				 BLKJOB_JOB_STATUS_WAITING, 5000));
	EXPECT_EQ(BLKJOB_JOB_STATUS_RUNNING, job_status(self->ctx, self->b));
	ASSERT_EQ(0, evlog_collect(self->mon, &log, self->b, 30000,
				   BLKJOB_CMD_JOB_COMPLETED_NTF));
	ASSERT_EQ(0, wait_status(self->ctx, self->a,
				 BLKJOB_JOB_STATUS_CONCLUDED, 2000));
	ASSERT_EQ(0, wait_status(self->ctx, self->b,
				 BLKJOB_JOB_STATUS_CONCLUDED, 2000));
	evlog_collect(self->mon, &log, self->a, 200, 0);
	EXPECT_EQ(1, evlog_count(&log, self->a, BLKJOB_CMD_JOB_COMPLETED_NTF));
	EXPECT_EQ(0, tdev_cmp(self->a_src.path, self->a_dst.path, 1 * MiB));
	EXPECT_EQ(0, tdev_cmp(self->b_src.path, self->b_dst.path, 16 * MiB));
}

TEST_F(txn, grouped_cancel_cancels_all)
{
	struct evlog log = { 0 };

	keep_concluded(&self->p[0]);
	keep_concluded(&self->p[1]);
	ASSERT_EQ(0, blkjob_txn_new(self->ctx, BLKJOB_COMPLETION_MODE_GROUPED,
				    self->p, 2));
	ASSERT_EQ(0, wait_status(self->ctx, self->a,
				 BLKJOB_JOB_STATUS_WAITING, 5000));
	ASSERT_EQ(0, blkjob_job_cancel(self->ctx, self->b, true));
	ASSERT_EQ(0, wait_status(self->ctx, self->a,
				 BLKJOB_JOB_STATUS_CONCLUDED, 3000));
	ASSERT_EQ(0, wait_status(self->ctx, self->b,
				 BLKJOB_JOB_STATUS_CONCLUDED, 3000));
	evlog_collect(self->mon, &log, self->a, 300, 0);
	EXPECT_EQ(1, evlog_count(&log, self->a, BLKJOB_CMD_JOB_CANCELLED_NTF));
	EXPECT_EQ(1, evlog_count(&log, self->b, BLKJOB_CMD_JOB_CANCELLED_NTF));
	EXPECT_EQ(0, evlog_count(&log, self->a, BLKJOB_CMD_JOB_COMPLETED_NTF));
}

TEST_F(txn, grouped_failure_cancels_rest)
{
	struct blkjob_job job;
	struct evlog log = { 0 };

	/* a writes to a device whose every I/O fails. */
	snprintf(self->errdev, sizeof(self->errdev), "blkjob-err-%d",
		 getpid());
	/* No udev in the VM: dmsetup makes the node itself. */
	ASSERT_EQ(0, sh("dmsetup create %s --table '0 %llu error' && "
			"dmsetup mknodes %s", self->errdev, 1 * MiB / 512,
			self->errdev));
	char path[128];

	snprintf(path, sizeof(path), "/dev/mapper/%s", self->errdev);
	self->p[0].target = path;
	keep_concluded(&self->p[0]);
	keep_concluded(&self->p[1]);
	ASSERT_EQ(0, blkjob_txn_new(self->ctx, BLKJOB_COMPLETION_MODE_GROUPED,
				    self->p, 2));
	ASSERT_EQ(0, wait_status(self->ctx, self->a,
				 BLKJOB_JOB_STATUS_CONCLUDED, 5000));
	ASSERT_EQ(0, wait_status(self->ctx, self->b,
				 BLKJOB_JOB_STATUS_CONCLUDED, 5000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->a, &job));
	EXPECT_TRUE(BLKJOB_HAS(job.present, BLKJOB_A_JOB_ERROR));
	TH_LOG("a failed with: %s", job.error);
	evlog_collect(self->mon, &log, self->a, 300, 0);
	EXPECT_LE(1, evlog_count(&log, self->a, BLKJOB_CMD_JOB_ERROR_NTF));
	EXPECT_EQ(1, evlog_count(&log, self->a, BLKJOB_CMD_JOB_COMPLETED_NTF));
	EXPECT_EQ(1, evlog_count(&log, self->b, BLKJOB_CMD_JOB_CANCELLED_NTF));
}

TEST_F(txn, individual_failure_spares_rest)
{
	struct blkjob_job job;

	snprintf(self->errdev, sizeof(self->errdev), "blkjob-err-%d",
		 getpid());
	/* No udev in the VM: dmsetup makes the node itself. */
	ASSERT_EQ(0, sh("dmsetup create %s --table '0 %llu error' && "
			"dmsetup mknodes %s", self->errdev, 1 * MiB / 512,
			self->errdev));
	char path[128];

	snprintf(path, sizeof(path), "/dev/mapper/%s", self->errdev);
	self->p[0].target = path;
	self->p[1].speed = 0;
	keep_concluded(&self->p[0]);
	keep_concluded(&self->p[1]);
	ASSERT_EQ(0, blkjob_txn_new(self->ctx,
				    BLKJOB_COMPLETION_MODE_INDIVIDUAL,
				    self->p, 2));
	ASSERT_EQ(0, wait_status(self->ctx, self->b,
				 BLKJOB_JOB_STATUS_CONCLUDED, 20000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->b, &job));
	EXPECT_FALSE(BLKJOB_HAS(job.present, BLKJOB_A_JOB_ERROR));
	EXPECT_EQ(0, tdev_cmp(self->b_src.path, self->b_dst.path, 16 * MiB));
}

/* A member that cannot be created means no member is. */
TEST_F(txn, all_or_nothing)
{
	self->p[1].target = self->small.path;
	EXPECT_EQ(-EINVAL, blkjob_txn_new(self->ctx,
					  BLKJOB_COMPLETION_MODE_GROUPED,
					  self->p, 2));
	EXPECT_NE(0, strlen(blkjob_errmsg(self->ctx)));
	EXPECT_EQ(BLKJOB_JOB_STATUS_NULL, job_status(self->ctx, self->a));
	EXPECT_EQ(BLKJOB_JOB_STATUS_NULL, job_status(self->ctx, self->b));
	/* Duplicate ids inside one transaction. */
	self->p[1] = self->p[0];
	self->p[1].target = self->b_dst.path;
	EXPECT_EQ(-EEXIST, blkjob_txn_new(self->ctx,
					  BLKJOB_COMPLETION_MODE_GROUPED,
					  self->p, 2));
	EXPECT_EQ(BLKJOB_JOB_STATUS_NULL, job_status(self->ctx, self->a));
}

/* With auto-finalize off, members wait in pending; finalizing one
 * finalizes the transaction. */
TEST_F(txn, finalize_one_finalizes_all)
{
	struct evlog log = { 0 };
	int i;

	self->p[1].speed = 0;
	for (i = 0; i < 2; i++) {
		keep_concluded(&self->p[i]);
		self->p[i].auto_finalize = false;
		self->p[i].present |= BLKJOB_F(BLKJOB_A_JOB_AUTO_FINALIZE);
	}
	ASSERT_EQ(0, blkjob_txn_new(self->ctx, BLKJOB_COMPLETION_MODE_GROUPED,
				    self->p, 2));
	ASSERT_EQ(0, wait_status(self->ctx, self->a,
				 BLKJOB_JOB_STATUS_PENDING, 20000));
	ASSERT_EQ(0, wait_status(self->ctx, self->b,
				 BLKJOB_JOB_STATUS_PENDING, 20000));
	ASSERT_EQ(0, blkjob_job_finalize(self->ctx, self->b));
	EXPECT_EQ(0, wait_status(self->ctx, self->a,
				 BLKJOB_JOB_STATUS_CONCLUDED, 2000));
	EXPECT_EQ(0, wait_status(self->ctx, self->b,
				 BLKJOB_JOB_STATUS_CONCLUDED, 2000));
	evlog_collect(self->mon, &log, self->a, 300, 0);
	EXPECT_EQ(1, evlog_count(&log, self->a, BLKJOB_CMD_JOB_PENDING_NTF));
}

TEST_HARNESS_MAIN
