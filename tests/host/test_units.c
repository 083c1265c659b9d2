// SPDX-License-Identifier: GPL-2.0
/*
 * Sizes and speeds: units (K binary, kB decimal, as GNU coreutils),
 * overflow, garbage, formatting round trips.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "kselftest_harness.h"
#include "libblkjob.h"

static const struct {
	const char *in;
	uint64_t want;
} good[] = {
	{ "0", 0 },
	{ "1", 1 },
	{ "512", 512 },
	{ "512B", 512 },
	{ "64K", 65536 },
	{ "64k", 65536 },
	{ "64KiB", 65536 },
	{ "64kiB", 65536 },
	{ "64KB", 64000 },
	{ "64kB", 64000 },
	{ "50M", 50ULL << 20 },
	{ "50MiB", 50ULL << 20 },
	{ "50MB", 50000000 },
	{ "1GB", 1000000000 },
	{ "1GiB", 1ULL << 30 },
	{ "2TB", 2000000000000ULL },
	{ "18EB", 18000000000000000000ULL },
	{ "1G", 1ULL << 30 },
	{ "2T", 2ULL << 40 },
	{ "3P", 3ULL << 50 },
	{ "15E", 15ULL << 60 },
	{ "18446744073709551615", UINT64_MAX },
	{ "007", 7 },
};

static const char *const garbage[] = {
	"", "-1", "+1", " 1", "1 ", "K", "1X", "1KK", "1Ki", "1iB", "0x10",
	"1.5G", "1e3", "1K/s", "abc", "1 K", "512b", "1Mb", "1kb", "1Kib",
	"1KiBB", "1BB", "1KBi",
};

TEST(parse_good)
{
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		EXPECT_EQ(0, blkjob_parse_size(good[i].in, &v))
			TH_LOG("'%s'", good[i].in);
		EXPECT_EQ(good[i].want, v) TH_LOG("'%s'", good[i].in);
	}
}

TEST(parse_garbage)
{
	uint64_t v = 42;
	size_t i;

	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
		EXPECT_EQ(-EINVAL, blkjob_parse_size(garbage[i], &v))
			TH_LOG("garbage[%zu]", i);
	/* A failed parse leaves the output alone. */
	EXPECT_EQ(42ULL, v);
	EXPECT_EQ(-EINVAL, blkjob_parse_size(NULL, &v));
}

TEST(parse_overflow)
{
	uint64_t v;

	EXPECT_EQ(-ERANGE, blkjob_parse_size("18446744073709551616", &v));
	EXPECT_EQ(-ERANGE, blkjob_parse_size("99999999999999999999999", &v));
	EXPECT_EQ(-ERANGE, blkjob_parse_size("16E", &v));
	EXPECT_EQ(-ERANGE, blkjob_parse_size("19EB", &v));
	EXPECT_EQ(-ERANGE, blkjob_parse_size("16777216T", &v));
	EXPECT_EQ(0, blkjob_parse_size("16777215T", &v));
	EXPECT_EQ(16777215ULL << 40, v);
}

TEST(parse_speed)
{
	uint64_t v;

	EXPECT_EQ(0, blkjob_parse_speed("50M", &v));
	EXPECT_EQ(50ULL << 20, v);
	EXPECT_EQ(0, blkjob_parse_speed("50M/s", &v));
	EXPECT_EQ(50ULL << 20, v);
	EXPECT_EQ(0, blkjob_parse_speed("0", &v));
	EXPECT_EQ(0ULL, v);
	EXPECT_EQ(-EINVAL, blkjob_parse_speed("/s", &v));
	EXPECT_EQ(-EINVAL, blkjob_parse_speed("50M/", &v));
	EXPECT_EQ(-EINVAL, blkjob_parse_speed("50M/s/s", &v));
	EXPECT_EQ(-EINVAL, blkjob_parse_speed("-5M/s", &v));
}

TEST(format)
{
	char buf[32];

	EXPECT_STREQ("0", blkjob_format_size(buf, sizeof(buf), 0));
	EXPECT_STREQ("1023", blkjob_format_size(buf, sizeof(buf), 1023));
	EXPECT_STREQ("1K", blkjob_format_size(buf, sizeof(buf), 1024));
	EXPECT_STREQ("64K", blkjob_format_size(buf, sizeof(buf), 65536));
	EXPECT_STREQ("1.5K", blkjob_format_size(buf, sizeof(buf), 1536));
	EXPECT_STREQ("16M", blkjob_format_size(buf, sizeof(buf), 16 << 20));
	EXPECT_STREQ("1.5G",
		     blkjob_format_size(buf, sizeof(buf), 3ULL << 29));
	EXPECT_STREQ("15E",
		     blkjob_format_size(buf, sizeof(buf), 15ULL << 60));
	EXPECT_STREQ("16.0E",
		     blkjob_format_size(buf, sizeof(buf), UINT64_MAX));
	/* Truncation is safe. */
	EXPECT_STREQ("1", blkjob_format_size(buf, 2, 1536));
}

TEST(format_parse_round_trip)
{
	uint64_t v, back;
	char buf[32];
	int shift, mult;

	for (shift = 0; shift <= 60; shift += 10)
		for (mult = 1; mult < 1024; mult += 37) {
			v = (uint64_t)mult << shift;
			if (shift == 60 && mult > 15)
				break;
			blkjob_format_size(buf, sizeof(buf), v);
			ASSERT_EQ(0, blkjob_parse_size(buf, &back))
				TH_LOG("%s", buf);
			EXPECT_EQ(v, back) TH_LOG("%s", buf);
		}
}

TEST_HARNESS_MAIN
