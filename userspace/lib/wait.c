// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Waiting for a job: its events (the monitor group) drive the state, a
 * job-get each tick the progress; a job that vanished (auto-dismiss) has
 * ended, and the events it sent before going say how.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libblkjob.h"

/*
 * A cancelled job concludes with QEMU's error for -ECANCELED; a waiter
 * that started after the cancel sees only that, not the cancelled event.
 */
#define CANCELED_ERROR "Operation canceled"

struct waiter {
	const char *id;
	int want;			/* status, or -1 for the end */
	struct blkjob_job job;		/* what we know, merged */
	bool cancelled;			/* job-cancelled-ntf seen */
	bool ended;			/* concluded/null/completed seen */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Fold what an event or job-get said into w->job: attributes it carried
 * replace ours, the others (an event carries fewer) stay.
 */
static void merge(struct waiter *w, const struct blkjob_job *j)
{
	struct blkjob_job *m = &w->job;
	uint64_t had = m->present;
	char error[sizeof(m->error)];
	bool note;

	/*
	 * A job waiting or pending may carry an error that is only a note
	 * (a pending mirror whose source went stale); it goes if the job
	 * then moves on without one (finalized).
	 */
	note = BLKJOB_HAS(had, BLKJOB_A_JOB_STATUS) &&
	       (m->status == BLKJOB_JOB_STATUS_WAITING ||
		m->status == BLKJOB_JOB_STATUS_PENDING) &&
	       BLKJOB_HAS(j->present, BLKJOB_A_JOB_STATUS) &&
	       j->status != m->status;
	memcpy(error, m->error, sizeof(error));
	if (j->present == (j->present | had)) {
		*m = *j;	/* carries everything we knew: take it all */
	} else {
#define TAKE(A, f) do {						\
		if (BLKJOB_HAS(j->present, BLKJOB_A_JOB_##A))		\
			m->f = j->f;					\
	} while (0)
		TAKE(STATUS, status);
		TAKE(LEN, len);
		TAKE(OFFSET, offset);
		TAKE(SPEED, speed);
		TAKE(IO_STATUS, io_status);
		TAKE(PAUSED, paused);
		TAKE(READY, ready);
		TAKE(BUSY, busy);
#undef TAKE
		m->present |= j->present & (BLKJOB_F(BLKJOB_A_JOB_STATUS) |
			BLKJOB_F(BLKJOB_A_JOB_LEN) |
			BLKJOB_F(BLKJOB_A_JOB_OFFSET) |
			BLKJOB_F(BLKJOB_A_JOB_SPEED) |
			BLKJOB_F(BLKJOB_A_JOB_IO_STATUS) |
			BLKJOB_F(BLKJOB_A_JOB_PAUSED) |
			BLKJOB_F(BLKJOB_A_JOB_READY) |
			BLKJOB_F(BLKJOB_A_JOB_BUSY));
	}
	/* Once failed, a job stays failed whatever later messages omit. */
	if (BLKJOB_HAS(j->present, BLKJOB_A_JOB_ERROR)) {
		memcpy(m->error, j->error, sizeof(m->error));
		m->present |= BLKJOB_F(BLKJOB_A_JOB_ERROR);
	} else if (error[0] && !note) {
		memcpy(m->error, error, sizeof(m->error));
		m->present |= BLKJOB_F(BLKJOB_A_JOB_ERROR);
	} else if (note) {
		m->error[0] = '\0';
		had &= ~BLKJOB_F(BLKJOB_A_JOB_ERROR);
	}
	m->present |= had;
	if (BLKJOB_HAS(j->present, BLKJOB_A_JOB_STATUS) &&
	    (j->status == BLKJOB_JOB_STATUS_CONCLUDED ||
	     j->status == BLKJOB_JOB_STATUS_NULL))
		w->ended = true;
}

static int on_wait_event(const struct blkjob_event *ev, void *arg)
{
	struct waiter *w = arg;

	if (strcmp(ev->job.id, w->id))
		return 0;
	if (ev->cmd == BLKJOB_CMD_JOB_ERROR_NTF)
		return 0;	/* its attributes are not the job's state */
	merge(w, &ev->job);
	if (ev->cmd == BLKJOB_CMD_JOB_CANCELLED_NTF)
		w->cancelled = true;
	if (ev->cmd == BLKJOB_CMD_JOB_COMPLETED_NTF ||
	    ev->cmd == BLKJOB_CMD_JOB_CANCELLED_NTF)
		w->ended = true;
	return 0;
}

/* Re-read the job; a vanished job has ended (auto-dismiss). */
static int refresh(struct blkjob_ctx *ctx, struct waiter *w,
		   struct blkjob_job *tmp)
{
	int err = blkjob_job_get(ctx, w->id, tmp);

	if (!err) {
		merge(w, tmp);
		return 0;
	}
	if (err == -ENOENT && w->job.present) {
		w->ended = true;
		return 0;
	}
	return err;
}

/* Whether the wait is over, and how. */
static bool wait_over(const struct waiter *w, enum blkjob_wait_end *end)
{
	const struct blkjob_job *j = &w->job;

	if (w->want >= 0 && BLKJOB_HAS(j->present, BLKJOB_A_JOB_STATUS) &&
	    (int)j->status == w->want) {
		*end = BLKJOB_WAIT_REACHED;
		return true;
	}
	if (!w->ended)
		return false;
	if (w->want >= 0 && w->want != BLKJOB_JOB_STATUS_CONCLUDED &&
	    w->want != BLKJOB_JOB_STATUS_NULL)
		*end = BLKJOB_WAIT_EARLY;
	else if (w->cancelled || !strcmp(j->error, CANCELED_ERROR))
		*end = BLKJOB_WAIT_CANCELLED;
	else if (j->error[0])
		*end = BLKJOB_WAIT_FAILED;
	else
		*end = BLKJOB_WAIT_DONE;
	return true;
}

static int wait_loop(struct blkjob_ctx *ctx, struct blkjob_monitor *mon,
		     struct waiter *w, const struct blkjob_wait_opts *o,
		     enum blkjob_wait_end *end)
{
	struct blkjob_job *tmp = malloc(sizeof(*tmp));
	struct pollfd pfd = { .fd = blkjob_monitor_fd(mon), .events = POLLIN };
	unsigned int tick = o->tick_ms ? o->tick_ms : 1000;
	double deadline = o->timeout ? now() + o->timeout : 0;
	int err, ms;

	if (!tmp)
		return -ENOMEM;
	/* Subscribed before this first read, so no change slips through. */
	err = refresh(ctx, w, tmp);
	while (!err) {
		if (o->progress)
			o->progress(&w->job, o->arg);
		if (wait_over(w, end))
			break;
		if (o->stop && *o->stop) {
			*end = BLKJOB_WAIT_STOPPED;
			break;
		}
		if (deadline && now() >= deadline) {
			*end = BLKJOB_WAIT_TIMEOUT;
			break;
		}
		ms = tick;
		if (deadline && (deadline - now()) * 1000 < ms)
			ms = (deadline - now()) * 1000 + 1;
		poll(&pfd, 1, ms);
		/* A positive count of events read is no error. */
		err = blkjob_monitor_read(mon, on_wait_event, w);
		if (err > 0 || err == -ENOBUFS)
			err = 0;
		if (err < 0)
			break;
		if (!w->ended) {
			err = refresh(ctx, w, tmp);
			/*
			 * Gone (auto-dismiss): its last events were sent
			 * before it went; read them to learn how it ended.
			 */
			if (!err && w->ended)
				blkjob_monitor_read(mon, on_wait_event, w);
		}
	}
	free(tmp);
	return err < 0 ? err : 0;
}

int blkjob_job_wait(struct blkjob_ctx *ctx, const char *id,
		    const struct blkjob_wait_opts *o, struct blkjob_job *last,
		    enum blkjob_wait_end *end)
{
	struct blkjob_monitor *mon;
	struct waiter *w;
	int err;

	if (last)
		memset(last, 0, sizeof(*last));
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	mon = blkjob_monitor_open();
	if (!mon) {
		err = -errno;
		free(w);
		return err;
	}
	w->id = id;
	w->want = o->status;
	err = wait_loop(ctx, mon, w, o, end);
	if (!err && last)
		*last = w->job;
	blkjob_monitor_close(mon);
	free(w);
	return err;
}
