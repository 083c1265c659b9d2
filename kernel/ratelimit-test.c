// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the rate limiter's arithmetic (QEMU's slice algorithm):
 * quotas, delays, slice expiry and stretching, re-pricing on a speed
 * change, and the long-run rate, on a simulated clock. Built only when the
 * kernel has CONFIG_KUNIT=y; the suite runs when blkjob.ko loads.
 */
#include <kunit/test.h>
#include <linux/time64.h>

#include "blkjob.h"

/* QEMU's slice; any start time but 0 will do. */
#define SLICE (100 * NSEC_PER_MSEC)
#define T0 NSEC_PER_SEC

static void blkjob_test_rl_quota(struct kunit *test)
{
	struct blkjob_ratelimit rl = {};

	blkjob_ratelimit_set_speed(&rl, 0);
	KUNIT_EXPECT_EQ(test, rl.slice_quota, 0);
	blkjob_ratelimit_set_speed(&rl, 1);
	KUNIT_EXPECT_EQ(test, rl.slice_quota, 1);	/* max(0.1, 1) */
	blkjob_ratelimit_set_speed(&rl, 100);
	KUNIT_EXPECT_EQ(test, rl.slice_quota, 10);
	blkjob_ratelimit_set_speed(&rl, 1024 * 1024);
	KUNIT_EXPECT_EQ(test, rl.slice_quota, 104857);
	blkjob_ratelimit_set_speed(&rl, U64_MAX);
	KUNIT_EXPECT_EQ(test, rl.slice_quota, U64_MAX / 10);
}

static void blkjob_test_rl_unlimited(struct kunit *test)
{
	struct blkjob_ratelimit rl = {};

	blkjob_ratelimit_set_speed(&rl, 0);
	KUNIT_EXPECT_EQ(test, blkjob_ratelimit_delay(&rl, T0, 1ULL << 40), 0);
	KUNIT_EXPECT_EQ(test, blkjob_ratelimit_delay(&rl, T0, 1ULL << 40), 0);
}

static void blkjob_test_rl_quota_reached(struct kunit *test)
{
	struct blkjob_ratelimit rl = {};

	blkjob_ratelimit_set_speed(&rl, 10000000);	/* 1 MB a slice */
	KUNIT_EXPECT_EQ(test, blkjob_ratelimit_delay(&rl, T0, 400000), 0);
	KUNIT_EXPECT_EQ(test, rl.slice_start, T0);
	KUNIT_EXPECT_EQ(test, rl.slice_end, T0 + SLICE);
	KUNIT_EXPECT_EQ(test, blkjob_ratelimit_delay(&rl, T0 + 5 * NSEC_PER_MSEC,
						     599999), 0);
	/* The byte that fills the quota waits for the end of the slice. */
	KUNIT_EXPECT_EQ(test, blkjob_ratelimit_delay(&rl, T0 + 10 * NSEC_PER_MSEC,
						     1),
			SLICE - 10 * NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, rl.dispatched, 1000000);
}

static void blkjob_test_rl_overshoot(struct kunit *test)
{
	struct blkjob_ratelimit rl = {};

	blkjob_ratelimit_set_speed(&rl, 10000000);
	/* Three slices' worth at once is paid back over three slices. */
	KUNIT_EXPECT_EQ(test, blkjob_ratelimit_delay(&rl, T0, 3000000),
			3 * SLICE);
	KUNIT_EXPECT_EQ(test, rl.slice_end, T0 + 3 * SLICE);
	/* Back exactly at the end: the stretched slice goes on. */
	KUNIT_EXPECT_EQ(test, blkjob_ratelimit_delay(&rl, T0 + 3 * SLICE,
						     500000), SLICE / 2);
	KUNIT_EXPECT_EQ(test, rl.dispatched, 3500000);
	/*
	 * Back within a slice of its end: the next slice starts where the
	 * last ended, so a late wake-up is not lost; under quota.
	 */
	KUNIT_EXPECT_EQ(test, blkjob_ratelimit_delay(&rl, T0 + 4 * SLICE,
						     500000), 0);
	KUNIT_EXPECT_EQ(test, rl.slice_start, T0 + 3 * SLICE + SLICE / 2);
	KUNIT_EXPECT_EQ(test, rl.dispatched, 500000);
	/* Back after an idle gap: a new slice from now, no credit. */
	KUNIT_EXPECT_EQ(test, blkjob_ratelimit_delay(&rl, T0 + 10 * SLICE,
						     500000), 0);
	KUNIT_EXPECT_EQ(test, rl.slice_start, T0 + 10 * SLICE);
}

static void blkjob_test_rl_late(struct kunit *test)
{
	struct blkjob_ratelimit rl = {};

	blkjob_ratelimit_set_speed(&rl, 10000000);
	KUNIT_EXPECT_EQ(test, blkjob_ratelimit_delay(&rl, T0, 900000), 0);
	/* Within the slice, but the pay-back time is already over. */
	KUNIT_EXPECT_EQ(test, blkjob_ratelimit_delay(&rl, T0 + SLICE, 100000),
			0);
	KUNIT_EXPECT_EQ(test, rl.slice_end, T0 + SLICE);
}

static void blkjob_test_rl_set_speed_reprices(struct kunit *test)
{
	struct blkjob_ratelimit rl = {};

	blkjob_ratelimit_set_speed(&rl, 10000000);
	KUNIT_EXPECT_EQ(test, blkjob_ratelimit_delay(&rl, T0, 3000000),
			3 * SLICE);
	/* Doubling the speed halves what the overshoot still costs. */
	blkjob_ratelimit_set_speed(&rl, 20000000);
	KUNIT_EXPECT_EQ(test, rl.slice_start, T0);
	KUNIT_EXPECT_EQ(test, blkjob_ratelimit_delay(&rl, T0 + NSEC_PER_MSEC,
						     1),
			150000050 - NSEC_PER_MSEC);
	/* Unlimited stops the waits at once. */
	blkjob_ratelimit_set_speed(&rl, 0);
	KUNIT_EXPECT_EQ(test, blkjob_ratelimit_delay(&rl, T0 + NSEC_PER_MSEC,
						     1 << 20), 0);
}

static void blkjob_test_rl_slowest(struct kunit *test)
{
	struct blkjob_ratelimit rl = {};

	/*
	 * 1 B/s rounds up to a byte a slice; a 1 GiB chunk then takes 2^30
	 * slices to pay back, computed without overflow.
	 */
	blkjob_ratelimit_set_speed(&rl, 1);
	KUNIT_EXPECT_EQ(test, blkjob_ratelimit_delay(&rl, T0, 1ULL << 30),
			(1ULL << 30) * SLICE);
}

/*
 * Move @total bytes in @chunk-sized pieces at @speed, each piece taking
 * @work ns, sleeping as told in between; return the time it took.
 */
static u64 simulate(u64 speed, u64 total, u64 chunk, u64 work)
{
	struct blkjob_ratelimit rl = {};
	u64 now = T0, done;

	blkjob_ratelimit_set_speed(&rl, speed);
	for (done = 0; done < total; done += chunk) {
		now += blkjob_ratelimit_delay(&rl, now, chunk);
		now += work;
	}
	return now - T0;
}

/* Within 1 % of the time the bytes take at the speed. */
static void expect_rate(struct kunit *test, u64 elapsed, u64 speed, u64 total)
{
	u64 ideal = div64_u64(total * NSEC_PER_SEC, speed);

	KUNIT_EXPECT_GE_MSG(test, elapsed, ideal - ideal / 100,
			    "%llu bytes at %llu B/s", total, speed);
	KUNIT_EXPECT_LE_MSG(test, elapsed, ideal + ideal / 100,
			    "%llu bytes at %llu B/s", total, speed);
}

static void blkjob_test_rl_long_run(struct kunit *test)
{
	const u64 mib = 1024 * 1024;

	/* Small chunks, chunks larger than a slice, odd chunks. */
	expect_rate(test, simulate(mib, 16 * mib, 64 * 1024, 0), mib,
		    16 * mib);
	expect_rate(test, simulate(mib, 16 * mib, 4 * mib, 0), mib, 16 * mib);
	expect_rate(test, simulate(mib, 16 * mib - 16 * 12345, 12345, 0), mib,
		    16 * mib - 16 * 12345);
	/* Time spent working mostly comes out of the delays. */
	expect_rate(test, simulate(mib, 16 * mib, 64 * 1024, 100000), mib,
		    16 * mib);
	expect_rate(test, simulate(100 * mib, 1024 * mib, mib, 0), 100 * mib,
		    1024 * mib);
}

static struct kunit_case blkjob_ratelimit_cases[] = {
	KUNIT_CASE(blkjob_test_rl_quota),
	KUNIT_CASE(blkjob_test_rl_unlimited),
	KUNIT_CASE(blkjob_test_rl_quota_reached),
	KUNIT_CASE(blkjob_test_rl_overshoot),
	KUNIT_CASE(blkjob_test_rl_late),
	KUNIT_CASE(blkjob_test_rl_set_speed_reprices),
	KUNIT_CASE(blkjob_test_rl_slowest),
	KUNIT_CASE(blkjob_test_rl_long_run),
	{}
};

static struct kunit_suite blkjob_ratelimit_suite = {
	.name = "blkjob-ratelimit",
	.test_cases = blkjob_ratelimit_cases,
};

kunit_test_suite(blkjob_ratelimit_suite);
