// SPDX-License-Identifier: GPL-2.0
/*
 * Rate limiting with QEMU's slice algorithm: time is cut into 100 ms
 * slices, each allowed speed / 10 bytes; a chunk that overshoots the
 * quota is paid back by stretching the slice, so that over time the job
 * moves speed bytes per second however large its chunks are.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>

#include "blkjob.h"

#define BLKJOB_SLICE_NS (100 * NSEC_PER_MSEC)

/**
 * blkjob_ratelimit_set_speed() - set the rate
 * @rl: the limiter
 * @speed: bytes per second, 0 for unlimited
 *
 * The current slice is kept, so an overshoot already accounted is
 * re-priced at the new rate on the next chunk.
 *
 * Context: any; the caller serialises access to @rl.
 */
void blkjob_ratelimit_set_speed(struct blkjob_ratelimit *rl, u64 speed)
{
	u64 quota = 0;

	if (speed)
		quota = max_t(u64, mul_u64_u64_div_u64(speed, BLKJOB_SLICE_NS,
						       NSEC_PER_SEC), 1);
	rl->slice_quota = quota;
}

/**
 * blkjob_ratelimit_delay() - account a chunk, say how long to wait
 * @rl: the limiter
 * @now: the current time in ns (monotonic)
 * @n: bytes about to be moved
 *
 * Context: any; the caller serialises access to @rl.
 * Return: ns to wait before the next chunk, 0 for none.
 */
u64 blkjob_ratelimit_delay(struct blkjob_ratelimit *rl, u64 now, u64 n)
{
	if (!rl->slice_quota)
		return 0;

	if (rl->slice_end < now) {
		/*
		 * A job that kept up starts its next slice where the last one
		 * ended, not when it woke: a late wake-up is not lost at every
		 * slice. After an idle gap there is no credit beyond a slice.
		 */
		rl->slice_start = now - rl->slice_end < BLKJOB_SLICE_NS ?
				  rl->slice_end : now;
		rl->slice_end = rl->slice_start + BLKJOB_SLICE_NS;
		rl->dispatched = 0;
	}
	rl->dispatched += n;
	if (rl->dispatched < rl->slice_quota)
		return 0;

	/* Stretch the slice to cover what was dispatched, overshoot included. */
	rl->slice_end = rl->slice_start +
			mul_u64_u64_div_u64(rl->dispatched, BLKJOB_SLICE_NS,
					    rl->slice_quota);
	return rl->slice_end > now ? rl->slice_end - now : 0;
}

/**
 * blkjob_ratelimit() - account a chunk against the job's speed
 * @job: the job
 * @bytes: bytes about to be moved
 *
 * Context: process.
 * Return: the time (monotonic ns) before which the next chunk must not
 * start, or 0 when it may start at once.
 */
u64 blkjob_ratelimit(struct blkjob *job, u64 bytes)
{
	u64 now = ktime_get_ns();
	u64 delay;

	spin_lock(&job->lock);
	delay = blkjob_ratelimit_delay(&job->rl, now, bytes);
	job->rl_gen = job->speed_gen;
	spin_unlock(&job->lock);
	return delay ? now + delay : 0;
}

/* What ends a wait besides the job type's own event. */
static bool blkjob_wait_over(struct blkjob *job)
{
	return blkjob_is_cancelled(job) || blkjob_pause_requested(job) ||
	       READ_ONCE(job->speed_gen) != job->rl_gen;
}

/**
 * blkjob_wait() - wait for an event, or for a rate-limit delay to pass
 * @job: the job
 * @deadline: in: the rate-limit deadline from blkjob_ratelimit(), or 0;
 *	out: 0 once it has passed, or once the speed was raised (the next
 *	chunk is then priced anew)
 * @event: the job type's own wake-up condition (I/O completed), called
 *	locklessly
 *
 * Returns on @event, a cancel, a pause request, a raised speed or the
 * deadline, whichever comes first. Nothing else cuts a rate-limit delay
 * short: a caller that comes back with the deadline still set keeps
 * waiting for it.
 *
 * Context: the job's kthread; sleeps.
 */
void blkjob_wait(struct blkjob *job, u64 *deadline,
		 bool (*event)(struct blkjob *job))
{
	/* A safety net only: waits are event driven. */
	u64 timeout = NSEC_PER_SEC;
	u64 now;

	/* Without a delay to cut short, only later raises are news. */
	if (!*deadline)
		job->rl_gen = READ_ONCE(job->speed_gen);
	if (*deadline) {
		now = ktime_get_ns();
		if (now >= *deadline ||
		    READ_ONCE(job->speed_gen) != job->rl_gen) {
			*deadline = 0;
			return;
		}
		timeout = *deadline - now;
		WRITE_ONCE(job->busy, false);
	}
	/*
	 * An hrtimer, not jiffies: waking a tick late at every slice would
	 * cost a few percent of the speed, as a late wake-up starts the next
	 * slice late.
	 */
	wait_event_interruptible_hrtimeout(job->wq,
					   event(job) || blkjob_wait_over(job),
					   ns_to_ktime(timeout));
	WRITE_ONCE(job->busy, true);
	if (*deadline && (ktime_get_ns() >= *deadline ||
			  READ_ONCE(job->speed_gen) != job->rl_gen))
		*deadline = 0;
}
