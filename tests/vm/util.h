/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the VM tests: scratch block devices (loop over tmpfs files),
 * byte-exact comparison, and waiting for job states and events.
 */
#ifndef BLKJOB_TEST_UTIL_H
#define BLKJOB_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include "libblkjob.h"

/*
 * The harness kills a test after 30 s by default. On the debug kernel
 * (make check-debug) everything runs several times slower: a test's own
 * waits bound it, this only has to catch a hang.
 */
#ifdef TEST_TIMEOUT_DEFAULT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300
#endif

#define MiB (1024ULL * 1024)
#define KiB 1024ULL

/* A loop device over a file in /tmp. */
struct tdev {
	char path[64];		/* /dev/loopN */
	char file[128];
	uint64_t size;
};

/* Create a device of @size bytes, filled with random data or zeroes. */
int tdev_create(struct tdev *d, uint64_t size, bool random);
void tdev_destroy(struct tdev *d);

/*
 * Compare the first @len bytes of two devices, read with O_DIRECT so no
 * stale page cache can hide a difference. Returns 0 when equal, the
 * 1-based offset of the first differing 512-byte sector otherwise, or -errno.
 */
int64_t tdev_cmp(const char *a, const char *b, uint64_t len);

/* A job id unique to this process: "<prefix>-<pid>-<n>". */
const char *test_id(const char *prefix);

/* Copy job parameters with the given speed; other fields default. */
void copy_params(struct blkjob_job_params *p, const char *id,
		 const char *src, const char *dst, uint64_t speed);

/* The job's status, BLKJOB_JOB_STATUS_NULL when it is gone, or -errno. */
int job_status(struct blkjob_ctx *ctx, const char *id);

/* Wait up to @ms for @id to reach @status. 0, or -ETIMEDOUT. */
int wait_status(struct blkjob_ctx *ctx, const char *id, int status, int ms);

/* Force-cancel @id, dismiss it if it stays concluded, wait for it to go. */
void job_cleanup(struct blkjob_ctx *ctx, const char *id);

/* Events received on a monitor socket. */
struct evlog {
	int n;
	struct blkjob_event ev[512];
};

/* Read events for @id into @log for up to @ms, or until @until_cmd (if
 * non-zero) arrives for @id. Returns 0 when @until_cmd came (or was not
 * asked for), -ETIMEDOUT otherwise. */
int evlog_collect(struct blkjob_monitor *mon, struct evlog *log,
		  const char *id, int ms, int until_cmd);

/* The sequence of statuses in @log's job-status-ntf events for @id,
 * as names joined by ','. */
const char *evlog_statuses(const struct evlog *log, const char *id);

/* Number of events @cmd for @id in @log. */
int evlog_count(const struct evlog *log, const char *id, int cmd);

/* Run a shell command; its exit status, or -1. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

uint64_t now_ms(void);

#endif

/*
 * The job registry, as a job-get dump shows it. registry_check() checks
 * every job's attributes for sanity (valid id and enums, offset <= len,
 * granularity a power of two, ready matching the status ...); it returns
 * the number of jobs, or -1 with the first problem in @why.
 * registry_clear() force-cancels every job, finalizes and dismisses what
 * waits for it, until the dump is empty or @ms passed: 0, or -ETIMEDOUT.
 */
int registry_check(struct blkjob_ctx *ctx, char *why, size_t len);
int registry_clear(struct blkjob_ctx *ctx, int ms);

/* 0 when @path can be opened O_RDWR | O_EXCL (nobody claims it), else -errno. */
int dev_claimable(const char *path);
