// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * live-move: move a device live onto another disk with libblkjob, the way
 * `blkjobctl mirror DEV DST wait complete` does, in one page.
 *
 *   cc live-move.c $(pkg-config --cflags --libs libblkjob) -o live-move
 *   ./live-move /dev/mapper/vol /dev/sdX
 *
 * DEV is a wrapped device (blkjobctl wrap), any dm device with a movable
 * table, or a disk under dm holders (a PV, a LUKS container). The filesystem
 * on it stays mounted and written throughout. Exit status: 0 when DEV maps
 * onto DST at the end, 1 otherwise.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <libblkjob.h>

static void on_notice(enum blkjob_notice_kind kind, const char *text,
		      void *arg)
{
	static const char *const tag[] = {
		[BLKJOB_NOTICE_ERROR] = "error", [BLKJOB_NOTICE_WARNING] = "warning",
		[BLKJOB_NOTICE_HINT] = "hint", [BLKJOB_NOTICE_NOTE] = "note",
		[BLKJOB_NOTICE_STEP] = "step", [BLKJOB_NOTICE_INFO] = "info",
		[BLKJOB_NOTICE_DETAIL] = "detail",
	};

	(void)arg;
	printf("[%s] %s\n", tag[kind], text);
}

/* Poll the job until it is ready (or has ended): 0 when ready. */
static int wait_ready(struct blkjob_ctx *ctx, const char *id)
{
	struct blkjob_job job;

	for (;;) {
		if (blkjob_job_get(ctx, id, &job))
			return -1;
		printf("%s: %s %llu/%llu\n", id,
		       blkjob_job_status_str(job.status),
		       (unsigned long long)job.offset,
		       (unsigned long long)job.len);
		if (job.status == BLKJOB_JOB_STATUS_READY)
			return 0;
		if (job.status == BLKJOB_JOB_STATUS_CONCLUDED ||
		    job.status == BLKJOB_JOB_STATUS_NULL)
			return -1;
		usleep(200 * 1000);
	}
}

int main(int argc, char **argv)
{
	struct blkjob_job_params p = { .id = "live-move",
				       .type = BLKJOB_JOB_TYPE_MIRROR };
	enum blkjob_mapping out = BLKJOB_MAPPING_UNCHANGED;
	struct blkjob_move *m = NULL;
	struct blkjob_ctx *ctx;
	struct blkjob_job job;
	int ok = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s DEV DST\n", argv[0]);
		return 2;
	}
	ctx = blkjob_open();
	if (ctx)
		m = blkjob_move_new(ctx, on_notice, NULL);
	if (!m) {
		perror("blkjob");
		return 1;
	}
	/* 1. DEV goes through the blkjob target, with DST as its mirror. */
	if (blkjob_move_setup(m, argv[1], argv[2], true))
		goto out;
	/* 2. The job: a mirror from the device the setup made to DST. */
	p.source = blkjob_move_source(m);
	p.target = blkjob_move_destination(m);
	if (blkjob_job_new(ctx, &p, &job)) {
		fprintf(stderr, "job-new: %s\n", blkjob_errmsg(ctx));
		blkjob_move_abort(m);
		goto out;
	}
	blkjob_move_started(m);
	/* 3. Ready: DST holds what DEV holds, and every write goes to both. */
	if (!wait_ready(ctx, p.id) && !blkjob_job_complete(ctx, p.id))
		/* 4. The pivot: follow the target until the job lets go. */
		blkjob_move_follow(m, false);
	/* 5. Retire the plumbing: DEV onto DST, the old disk wiped. */
	ok = !blkjob_move_finish(m, &out) && blkjob_move_pivoted(m);
	printf("%s: %s\n", blkjob_move_device(m), blkjob_mapping_str(out));
out:
	blkjob_move_free(m);
	blkjob_close(ctx);
	return ok ? 0 : 1;
}
