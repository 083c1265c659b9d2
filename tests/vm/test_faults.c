// SPDX-License-Identifier: GPL-2.0
/*
 * Faults that test_policy (dm-error on the target) and unload.sh do not
 * cover: intermittent I/O errors from dm-flakey on the source and on the
 * target under each error policy, a real ENOSPC from a dm-thin pool
 * running out of space under each policy (enospc and stop then heal by
 * growing the pool), slow I/O from dm-delay and a force cancel through it,
 * a target and a source removed under a copy (dmsetup remove --force), a
 * loop device detached under a copy, a target suspended for longer than
 * the hung-task timeout. Each ends in a defined state and leaves no device
 * claimed. Faults under mirror and backup jobs: test_livefaults.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "faultdev.h"

#define SIZE FD_SIZE
#define SECTORS FD_SECTORS

/* No job, every device free. */
static void check_free(struct __test_metadata *_metadata,
		       struct blkjob_ctx *ctx)
{
	char why[256];

	EXPECT_EQ(0, faultdev_free(ctx, why, sizeof(why)))
		TH_LOG("%s", why);
}

/* ------------------------------------------------------------------ */
/* dm-flakey on either side, under each policy                          */

FIXTURE(flakey) {
	struct blkjob_ctx *ctx;
	struct blkjob_monitor *mon;
	const char *id;
};

FIXTURE_VARIANT(flakey) {
	enum side side;
	enum blkjob_error_policy policy;
};

#define FLAKEY(s, p) \
	FIXTURE_VARIANT_ADD(flakey, s##_##p) { \
		.side = s == 0 ? SRC : TGT, \
		.policy = BLKJOB_ERROR_POLICY_##p, \
	}
#define source 0
#define target 1
FLAKEY(source, REPORT);
FLAKEY(source, IGNORE);
FLAKEY(source, STOP);
FLAKEY(source, ENOSPC);
FLAKEY(target, REPORT);
FLAKEY(target, IGNORE);
FLAKEY(target, STOP);
FLAKEY(target, ENOSPC);
#undef source
#undef target

FIXTURE_SETUP(flakey)
{
	self->ctx = blkjob_open();
	ASSERT_NE(NULL, self->ctx);
	self->mon = blkjob_monitor_open();
	ASSERT_NE(NULL, self->mon);
	self->id = test_id("fl");
}

FIXTURE_TEARDOWN(flakey)
{
	job_cleanup(self->ctx, self->id);
	set_table(variant->side, "linear");
	blkjob_monitor_close(self->mon);
	blkjob_close(self->ctx);
}

TEST_F_TIMEOUT(flakey, copy, 300)
{
	const char *side = variant->side == SRC ? "source" : "target";
	struct blkjob_job_params p;
	struct evlog log = { 0 };
	struct blkjob_job job;
	int op = -1, action = -1;

	/* 4 MiB at 1 MiB/s: I/O in both the up and the down seconds. */
	copy_params(&p, self->id, g_dmpath[SRC], g_dmpath[TGT], 1 * MiB);
	p.auto_dismiss = false;
	p.present |= BLKJOB_F(BLKJOB_A_JOB_AUTO_DISMISS);
	if (variant->side == SRC) {
		p.on_source_error = variant->policy;
		p.present |= BLKJOB_F(BLKJOB_A_JOB_ON_SOURCE_ERROR);
	} else {
		p.on_target_error = variant->policy;
		p.present |= BLKJOB_F(BLKJOB_A_JOB_ON_TARGET_ERROR);
	}
	ASSERT_EQ(0, set_table(variant->side, "flakey"));
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &p, NULL))
		TH_LOG("%s", blkjob_errmsg(self->ctx));

	switch (variant->policy) {
	case BLKJOB_ERROR_POLICY_STOP:
		/* Stops; still flakey, resume; then healed, it finishes. */
		ASSERT_EQ(0, wait_status(self->ctx, self->id,
					 BLKJOB_JOB_STATUS_PAUSED, 20000));
		ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
		EXPECT_EQ(BLKJOB_IO_STATUS_FAILED, job.io_status);
		EXPECT_EQ(0, blkjob_job_resume(self->ctx, self->id));
		usleep(500000);
		ASSERT_EQ(0, set_table(variant->side, "linear"));
		/* An error from before the heal may still stop it. */
		ASSERT_EQ(0, resume_until(self->ctx, self->id,
					  BLKJOB_JOB_STATUS_CONCLUDED, 30000));
		ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
		EXPECT_FALSE(BLKJOB_HAS(job.present, BLKJOB_A_JOB_ERROR));
		EXPECT_EQ(BLKJOB_IO_STATUS_OK, job.io_status);
		EXPECT_EQ(0, tdev_cmp(g_src.path, g_dst.path, SIZE));
		break;
	case BLKJOB_ERROR_POLICY_IGNORE:
		ASSERT_EQ(0, wait_status(self->ctx, self->id,
					 BLKJOB_JOB_STATUS_CONCLUDED, 30000));
		ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
		EXPECT_FALSE(BLKJOB_HAS(job.present, BLKJOB_A_JOB_ERROR))
			TH_LOG("error: %s", job.error);
		EXPECT_EQ(SIZE, job.offset);
		break;
	default:	/* report; enospc reports an EIO */
		ASSERT_EQ(0, wait_status(self->ctx, self->id,
					 BLKJOB_JOB_STATUS_CONCLUDED, 30000));
		ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
		EXPECT_TRUE(BLKJOB_HAS(job.present, BLKJOB_A_JOB_ERROR));
		TH_LOG("error: %s", job.error);
		EXPECT_LT(job.offset, SIZE);
		break;
	}
	evlog_collect(self->mon, &log, self->id, 200, 0);
	ASSERT_LE(1, first_error(&log, self->id, &op, &action))
		TH_LOG("no job-error-ntf for the %s's errors", side);
	EXPECT_EQ(variant->side == SRC ? BLKJOB_IO_OPERATION_READ :
					 BLKJOB_IO_OPERATION_WRITE, op);
	EXPECT_EQ(variant->policy == BLKJOB_ERROR_POLICY_IGNORE ?
		  BLKJOB_ERROR_ACTION_IGNORE :
		  variant->policy == BLKJOB_ERROR_POLICY_STOP ?
		  BLKJOB_ERROR_ACTION_STOP : BLKJOB_ERROR_ACTION_REPORT,
		  action);
	EXPECT_EQ(0, blkjob_job_dismiss(self->ctx, self->id));
	check_free(_metadata, self->ctx);
}

/* ------------------------------------------------------------------ */
/* dm-delay: slow, not failing; a force cancel gets through            */

FIXTURE(delay) {
	struct blkjob_ctx *ctx;
	const char *id;
};

FIXTURE_SETUP(delay)
{
	self->ctx = blkjob_open();
	ASSERT_NE(NULL, self->ctx);
	self->id = test_id("dl");
}

FIXTURE_TEARDOWN(delay)
{
	job_cleanup(self->ctx, self->id);
	set_table(TGT, "linear");
	set_table(SRC, "linear");
	blkjob_close(self->ctx);
}

TEST_F_TIMEOUT(delay, slow_legs_then_force_cancel, 300)
{
	struct blkjob_job_params p;
	struct blkjob_job job;
	uint64_t t0;

	ASSERT_EQ(0, set_table(SRC, "delay"));
	ASSERT_EQ(0, set_table(TGT, "delay"));
	copy_params(&p, self->id, g_dmpath[SRC], g_dmpath[TGT], 1 * MiB);
	p.auto_dismiss = false;
	p.present |= BLKJOB_F(BLKJOB_A_JOB_AUTO_DISMISS);
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &p, NULL));
	usleep(1500 * 1000);
	/* Verbs answer at once even with I/O stuck in the delay. */
	t0 = now_ms();
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_EQ(BLKJOB_JOB_STATUS_RUNNING, job.status);
	EXPECT_LT(0, job.offset);
	EXPECT_GT(SIZE, job.offset);
	ASSERT_EQ(0, blkjob_job_cancel(self->ctx, self->id, true));
	EXPECT_GT(500, now_ms() - t0);
	/* The job waits for what is in flight: a delay or two. */
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_CONCLUDED, 5000));
	TH_LOG("concluded %llu ms after the cancel",
	       (unsigned long long)(now_ms() - t0));
	ASSERT_EQ(0, blkjob_job_dismiss(self->ctx, self->id));
	check_free(_metadata, self->ctx);
}

/* Slow but healthy: the copy completes, byte for byte. */
TEST_F_TIMEOUT(delay, slow_target_completes, 300)
{
	struct blkjob_job_params p;

	ASSERT_EQ(0, set_table(TGT, "delay"));
	copy_params(&p, self->id, g_dmpath[SRC], g_dmpath[TGT], 0);
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &p, NULL));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_NULL, 60000));
	EXPECT_EQ(0, tdev_cmp(g_src.path, g_dst.path, SIZE));
	check_free(_metadata, self->ctx);
}

/*
 * The final flush of the target is a write like the others: with
 * on-target-error ignore, a target that fails every write and every flush
 * still ends in a completed job.
 */
TEST_F_TIMEOUT(delay, failing_flush_ignored, 300)
{
	struct blkjob_job_params p;
	struct blkjob_job job;

	copy_params(&p, self->id, g_dmpath[SRC], g_dmpath[TGT], 0);
	p.auto_dismiss = false;
	p.on_target_error = BLKJOB_ERROR_POLICY_IGNORE;
	p.present |= BLKJOB_F(BLKJOB_A_JOB_AUTO_DISMISS) |
		     BLKJOB_F(BLKJOB_A_JOB_ON_TARGET_ERROR);
	ASSERT_EQ(0, set_table(TGT, "down"));
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &p, NULL));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_CONCLUDED, 30000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_FALSE(BLKJOB_HAS(job.present, BLKJOB_A_JOB_ERROR))
		TH_LOG("error: %s", job.error);
	EXPECT_EQ(SIZE, job.offset);
	EXPECT_EQ(0, blkjob_job_dismiss(self->ctx, self->id));
	check_free(_metadata, self->ctx);
}

/* ------------------------------------------------------------------ */
/* A target suspended for over twice the hung-task timeout (set to 10 s) */

FIXTURE(suspend) {
	struct blkjob_ctx *ctx;
	const char *id;
	int hung;
};

FIXTURE_SETUP(suspend)
{
	self->ctx = blkjob_open();
	ASSERT_NE(NULL, self->ctx);
	self->id = test_id("sp");
	self->hung = -1;
}

FIXTURE_TEARDOWN(suspend)
{
	sh("dmsetup resume %s", g_dm[TGT]);
	job_cleanup(self->ctx, self->id);
	if (self->hung >= 0)
		hung_task_timeout(self->hung);
	blkjob_close(self->ctx);
}

TEST_F_TIMEOUT(suspend, target_suspended_past_hung_task, 300)
{
	struct blkjob_job_params p;
	struct blkjob_job job;
	uint64_t t0, off;

	self->hung = hung_task_timeout(10);
	ASSERT_LE(0, self->hung);
	copy_params(&p, self->id, g_dmpath[SRC], g_dmpath[TGT], 512 * KiB);
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &p, NULL));
	usleep(1000 * 1000);
	ASSERT_EQ(0, sh("dmsetup suspend %s", g_dm[TGT]));
	t0 = now_ms();
	usleep(2000 * 1000);
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	off = job.offset;
	EXPECT_GT(SIZE, off);
	/* The job is stuck on I/O; the verbs are not. */
	while (now_ms() < t0 + 22000) {
		uint64_t t1 = now_ms();

		ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
		EXPECT_EQ(off, job.offset);
		EXPECT_EQ(0, blkjob_job_set_speed(self->ctx, self->id,
						  512 * KiB));
		EXPECT_GT(1000, now_ms() - t1);
		sleep(2);
	}
	EXPECT_EQ(0, blkjob_job_pause(self->ctx, self->id));
	EXPECT_EQ(0, blkjob_job_resume(self->ctx, self->id));
	ASSERT_EQ(0, sh("dmsetup resume %s", g_dm[TGT]));
	/* Its whole buffer was queued in the device: it may be done. */
	blkjob_job_set_speed(self->ctx, self->id, 0);
	ASSERT_EQ(0, wait_status(self->ctx, self->id, BLKJOB_JOB_STATUS_NULL,
				 30000));
	EXPECT_EQ(0, tdev_cmp(g_src.path, g_dst.path, SIZE));
	check_free(_metadata, self->ctx);
}

/* ------------------------------------------------------------------ */
/* A real ENOSPC: a thin volume bigger than its pool                    */

FIXTURE(thin) {
	struct blkjob_ctx *ctx;
	struct tdev meta, data;
	char pool[64], thin[64], thinpath[96];
	const char *id;
};

FIXTURE_VARIANT(thin) {
	enum blkjob_error_policy policy;
};

FIXTURE_VARIANT_ADD(thin, enospc) { .policy = BLKJOB_ERROR_POLICY_ENOSPC };
FIXTURE_VARIANT_ADD(thin, stop) { .policy = BLKJOB_ERROR_POLICY_STOP };
FIXTURE_VARIANT_ADD(thin, report) { .policy = BLKJOB_ERROR_POLICY_REPORT };
FIXTURE_VARIANT_ADD(thin, ignore) { .policy = BLKJOB_ERROR_POLICY_IGNORE };

/* A pool of @data_size bytes, error_if_no_space: ENOSPC at once. */
static int pool_table(FIXTURE_DATA(thin) *self, const char *cmd,
		      uint64_t data_size)
{
	return sh("dmsetup %s %s --table '0 %llu thin-pool %s %s 128 0 1 error_if_no_space'",
		  cmd, self->pool, (unsigned long long)data_size >> 9,
		  self->meta.path, self->data.path);
}

FIXTURE_SETUP(thin)
{
	self->ctx = blkjob_open();
	ASSERT_NE(NULL, self->ctx);
	self->id = test_id("th");
	/* Zeroed metadata; 1 MiB of data for a 4 MiB volume. */
	ASSERT_EQ(0, tdev_create(&self->meta, 4 * MiB, false));
	ASSERT_EQ(0, tdev_create(&self->data, SIZE, false));
	snprintf(self->pool, sizeof(self->pool), "bjf-%d-pool", getpid());
	snprintf(self->thin, sizeof(self->thin), "bjf-%d-thin", getpid());
	snprintf(self->thinpath, sizeof(self->thinpath), "/dev/mapper/%s",
		 self->thin);
	ASSERT_EQ(0, pool_table(self, "create", 1 * MiB));
	ASSERT_EQ(0, sh("dmsetup mknodes %s", self->pool));
	ASSERT_EQ(0, sh("dmsetup message %s 0 'create_thin 0' && "
			"dmsetup create %s --table '0 %llu thin /dev/mapper/%s 0' && "
			"dmsetup mknodes %s", self->pool, self->thin, SECTORS,
			self->pool, self->thin));
}

FIXTURE_TEARDOWN(thin)
{
	job_cleanup(self->ctx, self->id);
	sh("dmsetup remove --retry %s; dmsetup remove --retry %s",
	   self->thin, self->pool);
	tdev_destroy(&self->meta);
	tdev_destroy(&self->data);
	blkjob_close(self->ctx);
}

TEST_F_TIMEOUT(thin, out_of_space, 300)
{
	struct blkjob_job_params p;
	struct blkjob_job job;
	bool stops = variant->policy == BLKJOB_ERROR_POLICY_ENOSPC ||
		     variant->policy == BLKJOB_ERROR_POLICY_STOP;

	copy_params(&p, self->id, g_dmpath[SRC], self->thinpath, 0);
	p.auto_dismiss = false;
	p.on_target_error = variant->policy;
	p.present |= BLKJOB_F(BLKJOB_A_JOB_AUTO_DISMISS) |
		     BLKJOB_F(BLKJOB_A_JOB_ON_TARGET_ERROR);
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &p, NULL))
		TH_LOG("%s", blkjob_errmsg(self->ctx));
	if (!stops) {
		ASSERT_EQ(0, wait_status(self->ctx, self->id,
					 BLKJOB_JOB_STATUS_CONCLUDED, 30000));
		ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
		TH_LOG("offset %llu, io-status %s, error '%s'",
		       (unsigned long long)job.offset,
		       blkjob_io_status_str(job.io_status), job.error);
		if (variant->policy == BLKJOB_ERROR_POLICY_REPORT) {
			EXPECT_NE(NULL, strstr(job.error, ": -28"));
		} else {
			EXPECT_EQ(SIZE, job.offset);
			EXPECT_FALSE(BLKJOB_HAS(job.present,
						BLKJOB_A_JOB_ERROR));
		}
		ASSERT_EQ(0, blkjob_job_dismiss(self->ctx, self->id));
		EXPECT_EQ(0, dev_claimable(self->thinpath));
		return;
	}

	/* Stops with io-status nospace; grow the pool, resume, done. */
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_PAUSED, 30000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_EQ(BLKJOB_IO_STATUS_NOSPACE, job.io_status);
	EXPECT_GT(SIZE, job.offset);
	TH_LOG("stopped at %llu", (unsigned long long)job.offset);
	ASSERT_EQ(0, pool_table(self, "load", SIZE));
	ASSERT_EQ(0, sh("dmsetup resume %s", self->pool));
	ASSERT_EQ(0, resume_until(self->ctx, self->id,
				  BLKJOB_JOB_STATUS_CONCLUDED, 30000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_FALSE(BLKJOB_HAS(job.present, BLKJOB_A_JOB_ERROR));
	EXPECT_EQ(BLKJOB_IO_STATUS_OK, job.io_status);
	EXPECT_EQ(0, tdev_cmp(g_src.path, self->thinpath, SIZE));
	ASSERT_EQ(0, blkjob_job_dismiss(self->ctx, self->id));
	EXPECT_EQ(0, dev_claimable(self->thinpath));
}

/* ------------------------------------------------------------------ */
/* Devices that go away under a copy                                    */

FIXTURE(gone) {
	struct blkjob_ctx *ctx;
	const char *id;
};

FIXTURE_SETUP(gone)
{
	self->ctx = blkjob_open();
	ASSERT_NE(NULL, self->ctx);
	self->id = test_id("gn");
}

FIXTURE_TEARDOWN(gone)
{
	job_cleanup(self->ctx, self->id);
	restore_dm(SRC);
	restore_dm(TGT);
	blkjob_close(self->ctx);
}

/*
 * dmsetup remove --force: the table becomes "error" at once; the device
 * itself stays while the job holds it. The job fails (report), lets go,
 * and then the device can be removed.
 */
static void removed_under_copy(struct __test_metadata *_metadata,
			       FIXTURE_DATA(gone) *self, enum side side)
{
	struct blkjob_job_params p;
	struct blkjob_job job;

	/* 16 s at this speed: dmsetup is slow on the debug kernel. */
	copy_params(&p, self->id, g_dmpath[SRC], g_dmpath[TGT], 256 * KiB);
	p.auto_dismiss = false;
	p.present |= BLKJOB_F(BLKJOB_A_JOB_AUTO_DISMISS);
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &p, NULL));
	usleep(500 * 1000);
	sh("dmsetup remove --force %s", g_dm[side]);
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_CONCLUDED, 20000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	TH_LOG("error: %s", job.error);
	EXPECT_TRUE(BLKJOB_HAS(job.present, BLKJOB_A_JOB_ERROR));
	ASSERT_EQ(0, blkjob_job_dismiss(self->ctx, self->id));
	/* Nothing holds it any more: it goes. */
	EXPECT_EQ(0, remove_dm(side));
	EXPECT_EQ(0, dev_claimable(g_dmpath[!side]));
}

TEST_F_TIMEOUT(gone, target_removed, 300)
{
	removed_under_copy(_metadata, self, TGT);
}

TEST_F_TIMEOUT(gone, source_removed, 300)
{
	removed_under_copy(_metadata, self, SRC);
}

/*
 * A loop device detached under a copy: the detach is deferred until its
 * last user (the job) closes it; the copy completes, then the loop goes.
 */
TEST_F_TIMEOUT(gone, source_loop_detached, 300)
{
	struct blkjob_job_params p;
	struct tdev src, dst;
	char cmd[128];
	int i;

	/*
	 * 8 s at 512 KiB/s: the detach (losetup takes 1-2 s to start under
	 * TCG) lands mid-copy on any accelerator.
	 */
	ASSERT_EQ(0, tdev_create(&src, 4 * MiB, true));
	ASSERT_EQ(0, tdev_create(&dst, 4 * MiB, false));
	copy_params(&p, self->id, src.path, dst.path, 512 * KiB);
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &p, NULL));
	usleep(500 * 1000);
	snprintf(cmd, sizeof(cmd), "losetup -d %s", src.path);
	EXPECT_EQ(0, sh("%s", cmd));
	EXPECT_EQ(BLKJOB_JOB_STATUS_RUNNING, job_status(self->ctx, self->id));
	ASSERT_EQ(0, wait_status(self->ctx, self->id, BLKJOB_JOB_STATUS_NULL,
				 30000));
	EXPECT_EQ(0, sh("cmp -s %s %s", src.file, dst.path));
	/*
	 * Detached now that the job let go; the job's last close of the
	 * source may be deferred past its end (an fput from a kernel thread
	 * goes through the delayed-fput work), so allow it 2 s.
	 */
	for (i = 0; i < 20; i++) {
		if (sh("losetup %s 2>/dev/null | grep -q %s", src.path,
		       src.file))
			break;
		usleep(100 * 1000);
	}
	EXPECT_GT(20, i);
	EXPECT_EQ(0, dev_claimable(dst.path));
	src.path[0] = 0;
	tdev_destroy(&src);
	tdev_destroy(&dst);
}

int main(int argc, char **argv)
{
	int ret;

	if (faultdev_setup()) {
		printf("# cannot set up the devices\n");
		faultdev_teardown();
		return 1;
	}
	ret = test_harness_run(argc, argv);
	faultdev_teardown();
	return ret;
}
