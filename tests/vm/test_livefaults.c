// SPDX-License-Identifier: GPL-2.0
/*
 * Faults under the live jobs, mirror and backup, attached to a blkjob dm
 * device whose legs are the fault rig's dm devices (faultdev.h):
 *  - a leg that fails and heals: the job stops (on-*-error stop), resumes,
 *    and the pivot (mirror) or the point-in-time copy (backup) is still
 *    byte-exact;
 *  - the device written while the destination fails: the write succeeds;
 *    a backup breaks its snapshot (the job fails), a mirror copies the
 *    range again and still pivots to an exact copy;
 *  - a leg removed under the job (dmsetup remove --force);
 *  - the blkjob device itself suspended for longer than twice the
 *    hung-task timeout.
 * Each ends in a defined state with no device claimed.
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

FIXTURE(live) {
	struct blkjob_ctx *ctx;
	char name[64], path[96];	/* the blkjob dm device */
	const char *id;
	uint8_t *snap;			/* the device as the job started */
	int hung;			/* hung-task timeout to restore */
};

FIXTURE_VARIANT(live) {
	enum blkjob_job_type type;
};

FIXTURE_VARIANT_ADD(live, mirror) { .type = BLKJOB_JOB_TYPE_MIRROR };
FIXTURE_VARIANT_ADD(live, backup) { .type = BLKJOB_JOB_TYPE_BACKUP };

FIXTURE_SETUP(live)
{
	self->ctx = blkjob_open();
	ASSERT_NE(NULL, self->ctx);
	self->id = test_id("lf");
	self->hung = -1;
	snprintf(self->name, sizeof(self->name), "bjl-%d", getpid());
	snprintf(self->path, sizeof(self->path), "/dev/mapper/%s",
		 self->name);
	ASSERT_EQ(0, sh("dmsetup create %s --table '0 %llu blkjob %s %s' && "
			"dmsetup mknodes %s", self->name, FD_SECTORS,
			g_dmpath[SRC], g_dmpath[TGT], self->name));
}

FIXTURE_TEARDOWN(live)
{
	job_cleanup(self->ctx, self->id);
	sh("dmsetup resume %s 2>/dev/null; dmsetup remove --retry %s 2>/dev/null",
	   self->name, self->name);
	restore_dm(SRC);
	restore_dm(TGT);
	if (self->hung >= 0)
		hung_task_timeout(self->hung);
	free(self->snap);
	blkjob_close(self->ctx);
}

/*
 * Start the variant's job at @speed with @policy on @side's errors (stop,
 * unless told), kept after it concludes; the device's content is kept in
 * self->snap first: what a backup must produce.
 */
static void start(struct __test_metadata *_metadata,
		  FIXTURE_DATA(live) *self, const FIXTURE_VARIANT(live) *variant,
		  uint64_t speed, enum side side, int policy, int copy_mode)
{
	struct blkjob_job_params p;

	self->snap = read_all(self->path, SIZE);
	ASSERT_NE(NULL, self->snap);
	copy_params(&p, self->id, self->path, g_dmpath[TGT], speed);
	p.type = variant->type;
	p.auto_dismiss = false;
	p.present |= BLKJOB_F(BLKJOB_A_JOB_AUTO_DISMISS);
	if (side == SRC) {
		p.on_source_error = policy;
		p.present |= BLKJOB_F(BLKJOB_A_JOB_ON_SOURCE_ERROR);
	} else {
		p.on_target_error = policy;
		p.present |= BLKJOB_F(BLKJOB_A_JOB_ON_TARGET_ERROR);
	}
	if (variant->type == BLKJOB_JOB_TYPE_MIRROR) {
		p.copy_mode = copy_mode;
		p.present |= BLKJOB_F(BLKJOB_A_JOB_COPY_MODE);
	}
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &p, NULL))
		TH_LOG("%s", blkjob_errmsg(self->ctx));
}

/*
 * From a healthy state on: full speed, one more write through the device,
 * then the end a user wants. A mirror is completed: it pivots and the
 * destination holds exactly what the device held. A backup concludes: the
 * destination holds exactly what the device held when the job started.
 */
static void finish_exact(struct __test_metadata *_metadata,
			 FIXTURE_DATA(live) *self,
			 const FIXTURE_VARIANT(live) *variant)
{
	bool mirror = variant->type == BLKJOB_JOB_TYPE_MIRROR;
	struct blkjob_job job;
	uint8_t *want, *got;
	char why[256];

	/*
	 * A backup's write goes in while the job still crawls, so that it
	 * lands ahead of the copy and takes the copy-before-write path
	 * however fast the guest is.
	 */
	if (!mirror)
		ASSERT_EQ(0, write_random(self->path, SIZE / 2, 128 * KiB));
	ASSERT_EQ(0, blkjob_job_set_speed(self->ctx, self->id, 0));
	if (mirror) {
		ASSERT_EQ(0, resume_until(self->ctx, self->id,
					  BLKJOB_JOB_STATUS_READY, 30000));
		ASSERT_EQ(0, write_random(self->path, SIZE / 2, 128 * KiB));
	}
	if (mirror) {
		want = read_all(self->path, SIZE);
		ASSERT_NE(NULL, want);
		ASSERT_EQ(0, blkjob_job_complete(self->ctx, self->id));
	} else {
		want = self->snap;
		self->snap = NULL;
	}
	ASSERT_EQ(0, resume_until(self->ctx, self->id,
				  BLKJOB_JOB_STATUS_CONCLUDED, 30000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_FALSE(BLKJOB_HAS(job.present, BLKJOB_A_JOB_ERROR))
		TH_LOG("error: %s", job.error);
	EXPECT_EQ(BLKJOB_IO_STATUS_OK, job.io_status);
	got = read_all(g_dmpath[TGT], SIZE);
	ASSERT_NE(NULL, got);
	EXPECT_EQ(0, memcmp(want, got, SIZE));
	free(got);
	if (mirror) {
		EXPECT_EQ(0, sh("dmsetup status %s | grep -q ' destination '",
				self->name));
		got = read_all(self->path, SIZE);
		ASSERT_NE(NULL, got);
		EXPECT_EQ(0, memcmp(want, got, SIZE));
		free(got);
	}
	free(want);
	ASSERT_EQ(0, blkjob_job_dismiss(self->ctx, self->id));
	ASSERT_EQ(0, sh("dmsetup remove %s", self->name));
	EXPECT_EQ(0, faultdev_free(self->ctx, why, sizeof(why)))
		TH_LOG("%s", why);
}

/* @side fails under the running job: it stops; healed, resumed, exact. */
static void leg_fails_then_heals(struct __test_metadata *_metadata,
				 FIXTURE_DATA(live) *self,
				 const FIXTURE_VARIANT(live) *variant,
				 enum side side)
{
	struct blkjob_job job;

	start(_metadata, self, variant, 256 * KiB, side,
	      BLKJOB_ERROR_POLICY_STOP, BLKJOB_COPY_MODE_BACKGROUND);
	usleep(500 * 1000);
	ASSERT_EQ(0, set_table(side, "error"));
	EXPECT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_PAUSED, 20000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	ASSERT_EQ(BLKJOB_JOB_STATUS_PAUSED, job.status)
		TH_LOG("%s, offset %llu/%llu, io-status %s, error '%s'",
		       blkjob_job_status_str(job.status),
		       (unsigned long long)job.offset,
		       (unsigned long long)job.len,
		       blkjob_io_status_str(job.io_status), job.error);
	EXPECT_EQ(BLKJOB_IO_STATUS_FAILED, job.io_status);
	EXPECT_GT(SIZE, job.offset);
	/* A stopped mirror still tracks writes (to the source only). */
	if (variant->type == BLKJOB_JOB_TYPE_MIRROR && side == TGT) {
		ASSERT_EQ(0, write_random(self->path, 0, 256 * KiB));
		ASSERT_EQ(0, write_random(self->path, SIZE - 64 * KiB,
					  64 * KiB));
	}
	ASSERT_EQ(0, set_table(side, "linear"));
	finish_exact(_metadata, self, variant);
}

TEST_F_TIMEOUT(live, target_fails_then_heals, 300)
{
	leg_fails_then_heals(_metadata, self, variant, TGT);
}

TEST_F_TIMEOUT(live, source_fails_then_heals, 300)
{
	leg_fails_then_heals(_metadata, self, variant, SRC);
}

/*
 * The device is written while the destination fails (the job paused so
 * that only the device's write meets the fault). The write succeeds
 * either way. A write-blocking mirror marks the range dirty and copies it
 * again once healed; a backup's copy-before-write fails, which breaks the
 * snapshot: the job fails, and later writes go straight through.
 */
TEST_F_TIMEOUT(live, write_while_target_fails, 300)
{
	bool mirror = variant->type == BLKJOB_JOB_TYPE_MIRROR;
	uint64_t off = SIZE - 64 * KiB;
	struct blkjob_job job;
	uint8_t *before, *after;

	start(_metadata, self, variant, 256 * KiB, TGT,
	      BLKJOB_ERROR_POLICY_STOP, BLKJOB_COPY_MODE_WRITE_BLOCKING);
	ASSERT_EQ(0, blkjob_job_pause(self->ctx, self->id));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_PAUSED, 20000));
	ASSERT_EQ(0, set_table(TGT, "error"));
	before = read_all(self->path, SIZE);
	ASSERT_NE(NULL, before);
	ASSERT_EQ(0, write_random(self->path, off, 64 * KiB));
	after = read_all(self->path, SIZE);
	ASSERT_NE(NULL, after);
	EXPECT_NE(0, memcmp(before + off, after + off, 64 * KiB));
	free(before);
	free(after);
	if (mirror) {
		ASSERT_EQ(0, set_table(TGT, "linear"));
		ASSERT_EQ(0, blkjob_job_resume(self->ctx, self->id));
		finish_exact(_metadata, self, variant);
		return;
	}
	ASSERT_EQ(0, blkjob_job_resume(self->ctx, self->id));
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_CONCLUDED, 20000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	EXPECT_NE(NULL, strstr(job.error, "copy-before-write"))
		TH_LOG("error: '%s'", job.error);
	ASSERT_EQ(0, blkjob_job_dismiss(self->ctx, self->id));
	/* No job: the device is the source again, written through. */
	ASSERT_EQ(0, write_random(self->path, 0, 64 * KiB));
	EXPECT_EQ(0, tdev_cmp(self->path, g_src.path, SIZE));
}

/*
 * dmsetup remove --force on a leg under the job: the leg's table becomes
 * "error" (the device stays while the blkjob table holds it). The job
 * fails and lets go; without a target the device goes on serving the
 * source, without a source its I/O fails; then everything can be removed.
 */
static void leg_removed(struct __test_metadata *_metadata,
			FIXTURE_DATA(live) *self,
			const FIXTURE_VARIANT(live) *variant, enum side side)
{
	struct blkjob_job job;
	uint8_t *buf;
	char why[256];

	start(_metadata, self, variant, 256 * KiB, side,
	      BLKJOB_ERROR_POLICY_REPORT, BLKJOB_COPY_MODE_BACKGROUND);
	usleep(500 * 1000);
	sh("dmsetup remove --force %s 2>/dev/null", g_dm[side]);
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_CONCLUDED, 20000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	TH_LOG("error: %s", job.error);
	EXPECT_TRUE(BLKJOB_HAS(job.present, BLKJOB_A_JOB_ERROR));
	ASSERT_EQ(0, blkjob_job_dismiss(self->ctx, self->id));
	if (side == TGT) {
		ASSERT_EQ(0, write_random(self->path, SIZE / 4, 64 * KiB));
		EXPECT_EQ(0, tdev_cmp(self->path, g_src.path, SIZE));
	} else {
		buf = read_all(self->path, 4096);
		EXPECT_EQ(NULL, buf);
		free(buf);
	}
	EXPECT_EQ(0, sh("dmsetup remove %s", self->name));
	EXPECT_EQ(0, remove_dm(side));
	EXPECT_EQ(0, dev_claimable(g_dmpath[!side]));
	EXPECT_EQ(0, registry_check(self->ctx, why, sizeof(why)))
		TH_LOG("%s", why);
}

TEST_F_TIMEOUT(live, target_removed, 300)
{
	leg_removed(_metadata, self, variant, TGT);
}

TEST_F_TIMEOUT(live, source_removed, 300)
{
	leg_removed(_metadata, self, variant, SRC);
}

/*
 * The blkjob device suspended for more than twice the hung-task timeout
 * while its job runs: the job is paused with it (no task of ours blocks),
 * the verbs keep answering, a user's pause during the suspend outlasts the
 * resume, and the job then finishes exactly.
 */
TEST_F_TIMEOUT(live, device_suspended_past_hung_task, 300)
{
	struct blkjob_job job;
	uint64_t t0, off;

	self->hung = hung_task_timeout(10);
	ASSERT_LE(0, self->hung);
	start(_metadata, self, variant, 256 * KiB, TGT,
	      BLKJOB_ERROR_POLICY_REPORT, BLKJOB_COPY_MODE_BACKGROUND);
	usleep(500 * 1000);
	ASSERT_EQ(0, sh("dmsetup suspend %s", self->name));
	t0 = now_ms();
	ASSERT_EQ(0, wait_status(self->ctx, self->id,
				 BLKJOB_JOB_STATUS_PAUSED, 10000));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
	off = job.offset;
	EXPECT_GT(SIZE, off);
	EXPECT_EQ(0, blkjob_job_pause(self->ctx, self->id));
	while (now_ms() < t0 + 22000) {
		uint64_t t1 = now_ms();

		ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &job));
		EXPECT_EQ(BLKJOB_JOB_STATUS_PAUSED, job.status);
		EXPECT_EQ(off, job.offset);
		EXPECT_EQ(0, blkjob_job_set_speed(self->ctx, self->id,
						  256 * KiB));
		EXPECT_GT(1000, now_ms() - t1);
		sleep(2);
	}
	ASSERT_EQ(0, sh("dmsetup resume %s", self->name));
	usleep(500 * 1000);
	EXPECT_EQ(BLKJOB_JOB_STATUS_PAUSED, job_status(self->ctx, self->id));
	ASSERT_EQ(0, blkjob_job_resume(self->ctx, self->id));
	finish_exact(_metadata, self, variant);
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
