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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
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

static int count_job(const struct blkjob_job *job, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

/*
 * In a child without CAP_SYS_ADMIN (@all: without any capability, as
 * nobody): every mutating op is EPERM with a message, reading works.
 * The child's exit status is a bitmask of the ops that were not refused.
 */
static int unprivileged_ops(FIXTURE_DATA(inputs) *self, bool all)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	struct blkjob_job_params txn[2];
	struct blkjob_ctx *ctx;
	struct blkjob_job job;
	int bad = 0, n = 0, i = 0;

	if (all) {
		/* setuid to nobody drops every capability. */
		if (setgid(65534) || setuid(65534))
			return 0xff;
	} else {
		if (syscall(SYS_capget, &h, d))
			return 0xff;
		d[0].effective &= ~(1u << CAP_SYS_ADMIN);
		d[0].permitted &= ~(1u << CAP_SYS_ADMIN);
		if (syscall(SYS_capset, &h, d))
			return 0xff;
	}
	ctx = blkjob_open();
	if (!ctx)
		return 0xfe;
	/* genl refuses a caller without CAP_NET_ADMIN with no message. */
#define REFUSED(call) \
	(bad |= ((call) != -EPERM || \
		 (!all && !strlen(blkjob_errmsg(ctx)))) << (i++ % 24))
	REFUSED(blkjob_job_pause(ctx, self->id));
	REFUSED(blkjob_job_resume(ctx, self->id));
	REFUSED(blkjob_job_cancel(ctx, self->id, true));
	REFUSED(blkjob_job_cancel(ctx, self->id, false));
	REFUSED(blkjob_job_complete(ctx, self->id));
	REFUSED(blkjob_job_finalize(ctx, self->id));
	REFUSED(blkjob_job_dismiss(ctx, self->id));
	REFUSED(blkjob_job_set_speed(ctx, self->id, 0));
	REFUSED(blkjob_job_change(ctx, self->id,
				  BLKJOB_COPY_MODE_WRITE_BLOCKING));
	/* Also for an id that does not exist: no ENOENT oracle. */
	REFUSED(blkjob_job_pause(ctx, "no-such-job"));
	self->p.id = "unpriv";
	self->p.target = self->small.path;
	REFUSED(blkjob_job_new(ctx, &self->p, NULL));
	txn[0] = self->p;
	txn[1] = self->p;
	txn[1].id = "unpriv2";
	REFUSED(blkjob_txn_new(ctx, BLKJOB_COMPLETION_MODE_GROUPED, txn, 2));
#undef REFUSED
	bad |= (blkjob_job_get(ctx, self->id, &job) != 0) << 30;
	bad |= (blkjob_job_dump(ctx, count_job, &n) || n < 1) << 29;
	blkjob_close(ctx);
	return bad;
}

/* Without CAP_SYS_ADMIN nothing can be created or changed; reading works. */
static void unprivileged(struct __test_metadata *_metadata,
			 FIXTURE_DATA(inputs) *self, bool all)
{
	struct blkjob_job before, after;
	int status, pipefd[2], bad = -1;
	pid_t pid;

	self->p.speed = 64 * KiB;
	self->p.present |= BLKJOB_F(BLKJOB_A_JOB_SPEED);
	ASSERT_EQ(0, blkjob_job_new(self->ctx, &self->p, NULL));
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &before));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		bad = unprivileged_ops(self, all);
		_exit(write(pipefd[1], &bad, sizeof(bad)) != sizeof(bad));
	}
	close(pipefd[1]);
	ASSERT_EQ(sizeof(bad), read(pipefd[0], &bad, sizeof(bad)));
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, bad)
		TH_LOG("ops not refused (bits in call order): %#x", bad);
	ASSERT_EQ(0, blkjob_job_get(self->ctx, self->id, &after));
	EXPECT_EQ(BLKJOB_JOB_STATUS_RUNNING, after.status);
	EXPECT_FALSE(after.paused);
	EXPECT_EQ(before.speed, after.speed);
	EXPECT_EQ(before.copy_mode, after.copy_mode);
	EXPECT_EQ(BLKJOB_JOB_STATUS_NULL, job_status(self->ctx, "unpriv"));
	EXPECT_EQ(BLKJOB_JOB_STATUS_NULL, job_status(self->ctx, "unpriv2"));
}

TEST_F(inputs, unprivileged)
{
	unprivileged(_metadata, self, true);
}

/* Root with only CAP_SYS_ADMIN dropped: CAP_NET_ADMIN is not enough. */
TEST_F(inputs, without_cap_sys_admin)
{
	unprivileged(_metadata, self, false);
}

TEST_HARNESS_MAIN
