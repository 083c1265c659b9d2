// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input: every rejection has its errno and an extack message, and
 * leaves no job behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/fs.h>

#include "kselftest_harness.h"
#include "util.h"

FIXTURE(inputs) {
	struct blkjob_ctx *ctx;
	struct tdev src, dst, small;
	struct blkjob_job_params p;
	const char *id;
};

FIXTURE_SETUP(inputs)
{
	self->ctx = blkjob_open();
	ASSERT_NE(NULL, self->ctx);
	ASSERT_EQ(0, tdev_create(&self->src, 4 * MiB, true));
	ASSERT_EQ(0, tdev_create(&self->dst, 4 * MiB, false));
	ASSERT_EQ(0, tdev_create(&self->small, 2 * MiB, false));
	self->id = test_id("in");
	copy_params(&self->p, self->id, self->src.path, self->dst.path, 0);
}

FIXTURE_TEARDOWN(inputs)
{
	job_cleanup(self->ctx, self->id);
	tdev_destroy(&self->src);
	tdev_destroy(&self->dst);
	tdev_destroy(&self->small);
	blkjob_close(self->ctx);
}

/* job-new fails with @err, a message, and no job named id exists after. */
static void refused_at(struct __test_metadata *_metadata,
		       FIXTURE_DATA(inputs) *self, int err,
		       const char *msg_part, unsigned int attr)
{
	int got = blkjob_job_new(self->ctx, &self->p, NULL);
	const char *msg = blkjob_errmsg(self->ctx);

	TH_LOG("job-new: %s: \"%s\"", strerror(-got), msg);
	EXPECT_EQ(err, got);
	EXPECT_NE(0, strlen(msg));
	if (msg_part)
		EXPECT_NE(NULL, strstr(msg, msg_part));
	if (attr)
		EXPECT_EQ(attr, blkjob_err_attr(self->ctx, NULL));
	EXPECT_EQ(BLKJOB_JOB_STATUS_NULL, job_status(self->ctx, self->p.id));
}

#define expect_refused(m, s, e, part) refused_at(m, s, e, part, 0)

TEST_F(inputs, unknown_id)
{
	struct blkjob_job job;

	EXPECT_EQ(-ENOENT, blkjob_job_pause(self->ctx, "no-such-job"));
	EXPECT_NE(0, strlen(blkjob_errmsg(self->ctx)));
	EXPECT_EQ(-ENOENT, blkjob_job_get(self->ctx, "no-such-job", &job));
	EXPECT_NE(0, strlen(blkjob_errmsg(self->ctx)));
}

TEST_F(inputs, duplicate_id)
{
	char want[128];

	self->p.speed = 64 * KiB;
	self->p.present |= BLKJOB_F(BLKJOB_A_JOB_SPEED);
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &self->p, NULL));
	self->p.target = self->small.path;
	snprintf(want, sizeof(want), "job ID '%s' already in use", self->id);
	EXPECT_EQ(-EEXIST, blkjob_job_new(self->ctx, &self->p, NULL));
	EXPECT_STREQ(want, blkjob_errmsg(self->ctx));
	/* The first job is untouched. */
	EXPECT_EQ(BLKJOB_JOB_STATUS_RUNNING, job_status(self->ctx, self->id));
}

TEST_F(inputs, id_reusable_after_null)
{
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &self->p, NULL));
	ASSERT_EQ(0, wait_status(self->ctx, self->id, BLKJOB_JOB_STATUS_NULL,
				 10000));
	EXPECT_EQ(0, blkjob_job_new(self->ctx, &self->p, NULL));
}

TEST_F(inputs, bad_ids)
{
	/* Latin-1 letters too: the kernel's isalpha() takes them. */
	static const char *const bad[] = {
		"1abc", "-x", "a b", "a/b", "é", "", "\xe9t\xe9", "a\xff",
		"\xff\xff\xff\xff",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		self->p.id = bad[i];
		expect_refused(_metadata, self, -EINVAL, NULL);
	}
}

TEST_F(inputs, source_is_target)
{
	self->p.target = self->src.path;
	refused_at(_metadata, self, -EINVAL, NULL, BLKJOB_A_JOB_TARGET);
}

TEST_F(inputs, target_too_small)
{
	self->p.target = self->small.path;
	refused_at(_metadata, self, -EINVAL, NULL, BLKJOB_A_JOB_TARGET);
}

TEST_F(inputs, missing_source_device)
{
	self->p.source = "/dev/no-such-device";
	expect_refused(_metadata, self, -ENOENT, NULL);
}

TEST_F(inputs, read_only_target)
{
	int fd = open(self->dst.path, O_RDONLY), ro = 1;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, BLKROSET, &ro));
	close(fd);
	expect_refused(_metadata, self, -EACCES, "read-only");
	ro = 0;
	fd = open(self->dst.path, O_RDONLY);
	ioctl(fd, BLKROSET, &ro);
	close(fd);
}

TEST_F(inputs, busy_target)
{
	/* An exclusive open claims the device, as a mount would. */
	int fd = open(self->dst.path, O_RDWR | O_EXCL);

	ASSERT_LE(0, fd);
	expect_refused(_metadata, self, -EBUSY, NULL);
	close(fd);
}

TEST_F(inputs, bad_granularity)
{
	self->p.granularity = 3 * 4096;	/* in range, not a power of two */
	self->p.present |= BLKJOB_F(BLKJOB_A_JOB_GRANULARITY);
	refused_at(_metadata, self, -EINVAL, "power of two",
		   BLKJOB_A_JOB_GRANULARITY);
	/* Below the spec's minimum: netlink's policy refuses it. */
	self->p.granularity = 256;
	refused_at(_metadata, self, -ERANGE, NULL, BLKJOB_A_JOB_GRANULARITY);
}

TEST_F(inputs, complete_has_no_meaning_for_copy)
{
	self->p.speed = 64 * KiB;
	self->p.present |= BLKJOB_F(BLKJOB_A_JOB_SPEED);
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &self->p, NULL));
	EXPECT_EQ(-EPERM, blkjob_job_complete(self->ctx, self->id));
	EXPECT_NE(0, strlen(blkjob_errmsg(self->ctx)));
}

/* Without CAP_SYS_ADMIN nothing can be created or changed; reading works. */
TEST_F(inputs, unprivileged)
{
	pid_t pid;
	int status;

	self->p.speed = 64 * KiB;
	self->p.present |= BLKJOB_F(BLKJOB_A_JOB_SPEED);
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &self->p, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct blkjob_ctx *ctx;
		struct blkjob_job job;
		int bad = 0;

		/* setuid to nobody drops every capability. */
		if (setgid(65534) || setuid(65534))
			_exit(100);
		ctx = blkjob_open();
		if (!ctx)
			_exit(101);
		bad |= blkjob_job_pause(ctx, self->id) != -EPERM;
		bad |= blkjob_job_cancel(ctx, self->id, true) != -EPERM;
		bad |= blkjob_job_set_speed(ctx, self->id, 0) != -EPERM;
		self->p.id = "unpriv";
		bad |= blkjob_job_new(ctx, &self->p, NULL) != -EPERM;
		bad |= blkjob_job_get(ctx, self->id, &job) != 0;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(BLKJOB_JOB_STATUS_RUNNING, job_status(self->ctx, self->id));
	EXPECT_EQ(BLKJOB_JOB_STATUS_NULL, job_status(self->ctx, "unpriv"));
}

TEST_HARNESS_MAIN
