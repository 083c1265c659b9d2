// SPDX-License-Identifier: GPL-2.0
/*
 * rate ID SKIP WINDOW: the speed job ID achieves, in bytes per second: its
 * offset is read SKIP seconds from now and again WINDOW seconds later, each
 * read timestamped where it happens (one netlink round trip, not a process
 * start), so the window is measured to well under a millisecond.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "libblkjob.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The job's offset, and when it was read (the round trip's midpoint). */
static int sample(struct blkjob_ctx *ctx, const char *id, double *t,
		  double *off)
{
	struct blkjob_job job;
	double t0 = now();
	int err = blkjob_job_get(ctx, id, &job);

	*t = (t0 + now()) / 2;
	*off = job.offset;
	return err;
}

int main(int argc, char **argv)
{
	struct blkjob_ctx *ctx;
	double t1, t2, o1, o2;

	if (argc != 4) {
		fprintf(stderr, "usage: rate ID SKIP WINDOW\n");
		return 2;
	}
	ctx = blkjob_open();
	if (!ctx)
		return 1;
	usleep(atof(argv[2]) * 1e6);
	if (sample(ctx, argv[1], &t1, &o1))
		return 1;
	usleep(atof(argv[3]) * 1e6);
	if (sample(ctx, argv[1], &t2, &o2))
		return 1;
	printf("%.0f\n", (o2 - o1) / (t2 - t1));
	blkjob_close(ctx);
	return 0;
}
