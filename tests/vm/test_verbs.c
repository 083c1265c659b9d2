// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU's verb table: every verb tried in every state a copy job can be
 * held in. Allowed verbs succeed (or fail for a reason of their own, never
 * the verb table's); forbidden ones fail with EPERM and QEMU's message.
 * A copy job has no ready/standby (mirror's tests cover those) and is in
 * created and aborting only transiently.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

enum verb { CANCEL, PAUSE, RESUME, SET_SPEED, COMPLETE, FINALIZE, DISMISS,
	    CHANGE, NR_VERBS };

static const char *const verb_name[NR_VERBS] = {
	"cancel", "pause", "resume", "set-speed", "complete", "finalize",
	"dismiss", "change",
};

/* QEMU's table, columns R P W D E (see qemu-job-model.md). */
static const bool allowed[NR_VERBS][5] = {
	[CANCEL]    = { 1, 1, 1, 1, 0 },
	[PAUSE]     = { 1, 1, 0, 0, 0 },
	[RESUME]    = { 1, 1, 0, 0, 0 },
	[SET_SPEED] = { 1, 1, 0, 0, 0 },
	[COMPLETE]  = { 0, 0, 0, 0, 0 },
	[FINALIZE]  = { 0, 0, 0, 1, 0 },
	[DISMISS]   = { 0, 0, 0, 0, 1 },
	[CHANGE]    = { 1, 1, 0, 0, 0 },
};

static const int state_of[5] = {
	BLKJOB_JOB_STATUS_RUNNING, BLKJOB_JOB_STATUS_PAUSED,
	BLKJOB_JOB_STATUS_WAITING, BLKJOB_JOB_STATUS_PENDING,
	BLKJOB_JOB_STATUS_CONCLUDED,
};

static int apply(struct blkjob_ctx *ctx, enum verb v, const char *id)
{
	switch (v) {
	case CANCEL: return blkjob_job_cancel(ctx, id, false);
	case PAUSE: return blkjob_job_pause(ctx, id);
	case RESUME: return blkjob_job_resume(ctx, id);
	case SET_SPEED: return blkjob_job_set_speed(ctx, id, 1 << 20);
	case COMPLETE: return blkjob_job_complete(ctx, id);
	case FINALIZE: return blkjob_job_finalize(ctx, id);
	case DISMISS: return blkjob_job_dismiss(ctx, id);
	case CHANGE:
		return blkjob_job_change(ctx, id,
					 BLKJOB_COPY_MODE_BACKGROUND);
	default: return -EINVAL;
	}
}

FIXTURE(verbs) {
	struct blkjob_ctx *ctx;
	struct tdev src, dst, small_src, small_dst;
	const char *id, *peer;
};

FIXTURE_VARIANT(verbs) {
	int col;	/* index into state_of */
};
FIXTURE_VARIANT_ADD(verbs, running) { .col = 0 };
FIXTURE_VARIANT_ADD(verbs, paused) { .col = 1 };
FIXTURE_VARIANT_ADD(verbs, waiting) { .col = 2 };
FIXTURE_VARIANT_ADD(verbs, pending) { .col = 3 };
FIXTURE_VARIANT_ADD(verbs, concluded) { .col = 4 };

FIXTURE_SETUP(verbs)
{
	self->ctx = blkjob_open();
	ASSERT_NE(NULL, self->ctx);
	ASSERT_EQ(0, tdev_create(&self->src, 32 * MiB, true));
	ASSERT_EQ(0, tdev_create(&self->dst, 32 * MiB, false));
	ASSERT_EQ(0, tdev_create(&self->small_src, 1 * MiB, true));
	ASSERT_EQ(0, tdev_create(&self->small_dst, 1 * MiB, false));
}

FIXTURE_TEARDOWN(verbs)
{
	if (self->id)
		job_cleanup(self->ctx, self->id);
	if (self->peer)
		job_cleanup(self->ctx, self->peer);
	tdev_destroy(&self->src);
	tdev_destroy(&self->dst);
	tdev_destroy(&self->small_src);
	tdev_destroy(&self->small_dst);
	blkjob_close(self->ctx);
}

/* A fresh job held in the variant's state; returns its id. */
static const char *hold(struct __test_metadata *_metadata,
			FIXTURE_DATA(verbs) *self, int status)
{
	struct blkjob_job_params p[2];
	const char *id = test_id("verb");
	int err;

	self->id = id;
	switch (status) {
	case BLKJOB_JOB_STATUS_RUNNING:
	case BLKJOB_JOB_STATUS_PAUSED:
		copy_params(&p[0], id, self->src.path, self->dst.path,
			    256 * KiB);
		err = blkjob_job_new(self->ctx, &p[0], NULL);
		if (!err && status == BLKJOB_JOB_STATUS_PAUSED) {
			wait_status(self->ctx, id, BLKJOB_JOB_STATUS_RUNNING,
				    2000);
			err = blkjob_job_pause(self->ctx, id);
		}
		break;
	case BLKJOB_JOB_STATUS_WAITING:
		/* A fast member waits for a slow one of its group. */
		self->peer = test_id("peer");
		copy_params(&p[0], id, self->small_src.path,
			    self->small_dst.path, 0);
		copy_params(&p[1], self->peer, self->src.path,
			    self->dst.path, 256 * KiB);
		err = blkjob_txn_new(self->ctx,
				     BLKJOB_COMPLETION_MODE_GROUPED, p, 2);
		break;
	default:
		copy_params(&p[0], id, self->small_src.path,
			    self->small_dst.path, 0);
		p[0].auto_finalize = status != BLKJOB_JOB_STATUS_PENDING;
		p[0].auto_dismiss = false;
		p[0].present |= BLKJOB_F(BLKJOB_A_JOB_AUTO_FINALIZE) |
				BLKJOB_F(BLKJOB_A_JOB_AUTO_DISMISS);
		err = blkjob_job_new(self->ctx, &p[0], NULL);
		break;
	}
	if (err)
		TH_LOG("setting up %s: %s", id, blkjob_errmsg(self->ctx));
	EXPECT_EQ(0, err);
	EXPECT_EQ(0, wait_status(self->ctx, id, status, 10000));
	return id;
}

TEST_F_TIMEOUT(verbs, table, 120)
{
	int status = state_of[variant->col];
	const char *sname = blkjob_job_status_str(status);
	int v;

	for (v = 0; v < NR_VERBS; v++) {
		const char *id = hold(_metadata, self, status);
		char want[256];
		int err;

		ASSERT_EQ(status, job_status(self->ctx, id));
		err = apply(self->ctx, v, id);
		snprintf(want, sizeof(want),
			 "job '%s' in state '%s' cannot accept command verb '%s'",
			 id, sname, verb_name[v]);
		if (!allowed[v][variant->col]) {
			EXPECT_EQ(-EPERM, err);
			EXPECT_STREQ(want, blkjob_errmsg(self->ctx));
		} else if (err) {
			/* Allowed by the table; refused for its own reason. */
			TH_LOG("%s in %s: %s (%s)", verb_name[v], sname,
			       strerror(-err), blkjob_errmsg(self->ctx));
			EXPECT_STRNE(want, blkjob_errmsg(self->ctx));
			/* Only resume of a job nobody paused, pause of a
			 * paused one, and change of a job type with no
			 * options (copy) may refuse here. */
			EXPECT_TRUE((v == RESUME && status !=
				     BLKJOB_JOB_STATUS_PAUSED) ||
				    (v == PAUSE && status ==
				     BLKJOB_JOB_STATUS_PAUSED) ||
				    (v == CHANGE && err == -EOPNOTSUPP));
		}
		job_cleanup(self->ctx, id);
		if (self->peer)
			job_cleanup(self->ctx, self->peer);
		self->id = self->peer = NULL;
	}
}

/* A job that is gone (null) is unknown to every verb. */
TEST_F(verbs, null_is_enoent)
{
	const char *id = test_id("gone");
	int v;

	for (v = 0; v < NR_VERBS; v++) {
		EXPECT_EQ(-ENOENT, apply(self->ctx, v, id));
		EXPECT_NE(0, strlen(blkjob_errmsg(self->ctx)));
	}
}

/* Pause is counted against the user's own pause: no double pause, no
 * resume of an unpaused job. */
TEST_F(verbs, user_pause_rules)
{
	const char *id = hold(_metadata, self, BLKJOB_JOB_STATUS_RUNNING);

	EXPECT_NE(0, blkjob_job_resume(self->ctx, id));
	EXPECT_STREQ("can't resume a job that was not paused",
		     blkjob_errmsg(self->ctx));
	ASSERT_EQ(0, blkjob_job_pause(self->ctx, id));
	EXPECT_NE(0, blkjob_job_pause(self->ctx, id));
	EXPECT_STREQ("job is already paused", blkjob_errmsg(self->ctx));
	ASSERT_EQ(0, blkjob_job_resume(self->ctx, id));
	EXPECT_EQ(0, wait_status(self->ctx, id, BLKJOB_JOB_STATUS_RUNNING,
				 2000));
}

/* Cancelling a user-paused job resumes it so it can wind down. */
TEST_F(verbs, cancel_paused)
{
	const char *id = hold(_metadata, self, BLKJOB_JOB_STATUS_PAUSED);

	ASSERT_EQ(0, blkjob_job_cancel(self->ctx, id, false));
	EXPECT_EQ(0, wait_status(self->ctx, id, BLKJOB_JOB_STATUS_NULL,
				 3000));
}

TEST_HARNESS_MAIN
