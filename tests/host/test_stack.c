// SPDX-License-Identifier: GPL-2.0
/*
 * Which dm tables a live move takes: one device mapped linearly, in one
 * segment or several; everything else refused, naming the device and the
 * target (crypt above all: its plaintext must never reach the destination).
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "libblkjob.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char why[1024];

static int movable(const struct blkjob_dm_seg *s, unsigned int n)
{
	why[0] = '\0';
	return blkjob_dm_movable("vol", s, n, why, sizeof(why));
}

TEST(one_linear)
{
	const struct blkjob_dm_seg s[] = { { "linear", "7:0 0" } };

	EXPECT_EQ(0, movable(s, N(s)));
	EXPECT_STREQ("", why);
}

/* An LV in several extents of one PV. */
TEST(linear_segments_one_device)
{
	const struct blkjob_dm_seg s[] = {
		{ "linear", "8:16 2048" }, { "linear", "8:16 411648" },
	};

	EXPECT_EQ(0, movable(s, N(s)));
}

TEST(crypt_refused)
{
	const struct blkjob_dm_seg s[] = {
		{ "crypt", "aes-xts-plain64 :64:logon:cryptsetup:x 0 8:16 32768" },
	};

	EXPECT_EQ(-EOPNOTSUPP, movable(s, N(s)));
	EXPECT_NE(NULL, strstr(why, "vol: its table has a 'crypt' target"));
	EXPECT_NE(NULL, strstr(why, "plaintext"));
}

TEST(other_single_device_targets_refused)
{
	static const char *const types[] = {
		"integrity", "delay", "flakey", "thin", "snapshot", "error",
	};
	unsigned int i;

	for (i = 0; i < N(types); i++) {
		const struct blkjob_dm_seg s[] = { { types[i], "8:16 0" } };
		char want[64];

		EXPECT_EQ(-EOPNOTSUPP, movable(s, N(s))) TH_LOG("%s", types[i]);
		snprintf(want, sizeof(want), "'%s' target", types[i]);
		EXPECT_NE(NULL, strstr(why, want)) TH_LOG("%s", why);
	}
}

/* A linear first segment does not let a later crypt one through. */
TEST(any_segment_counts)
{
	const struct blkjob_dm_seg s[] = {
		{ "linear", "8:16 0" }, { "striped", "2 128 8:16 0 8:32 0" },
	};

	EXPECT_EQ(-EOPNOTSUPP, movable(s, N(s)));
	EXPECT_NE(NULL, strstr(why, "'striped' target (segment 1"));
}

TEST(several_devices_refused)
{
	const struct blkjob_dm_seg s[] = {
		{ "linear", "8:16 0" }, { "linear", "8:32 0" },
	};

	EXPECT_EQ(-EXDEV, movable(s, N(s)));
	EXPECT_NE(NULL, strstr(why, "spans several devices (8:16 and 8:32)"));
}

TEST(bad_tables)
{
	const struct blkjob_dm_seg s[] = { { "linear", "garbage" } };

	EXPECT_EQ(-EINVAL, movable(s, 0));
	EXPECT_EQ(-EINVAL, movable(s, N(s)));
}

TEST_HARNESS_MAIN
