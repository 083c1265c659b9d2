// SPDX-License-Identifier: GPL-2.0
/*
 * Which dm tables a live move takes: one device mapped linearly, in one
 * segment or several; everything else refused, naming the device and the
 * target (crypt above all: its plaintext must never reach the destination).
 * And which it can go beneath (blkjob_dm_bottom()), swapping the device
 * under a table for another (blkjob_dm_swap_dev()).
 */
#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>

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

static int bottom(const struct blkjob_dm_seg *s, unsigned int n, dev_t *d)
{
	why[0] = '\0';
	return blkjob_dm_bottom("vol", s, n, d, why, sizeof(why));
}

/* A crypt mapping with its key in the table (plain dm-crypt, LUKS1). */
TEST(beneath_crypt)
{
	const struct blkjob_dm_seg s[] = {
		{ "crypt", "aes-xts-plain64 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff 0 8:16 4096" },
	};
	dev_t d = 0;

	EXPECT_EQ(0, bottom(s, N(s), &d));
	EXPECT_EQ(makedev(8, 16), d);
}

TEST(beneath_test_targets_and_linear)
{
	const struct blkjob_dm_seg s[] = {
		{ "linear", "253:4 0" },
		{ "delay", "253:4 8 100 253:4 8 200" },
		{ "flakey", "253:4 16 5 5 1 drop_writes" },
	};
	dev_t d = 0;

	EXPECT_EQ(0, bottom(s, N(s), &d));
	EXPECT_EQ(makedev(253, 4), d);
}

/* cryptsetup unlinks the key once the table is live: no second load. */
TEST(beneath_keyring_key_refused)
{
	const struct blkjob_dm_seg s[] = {
		{ "crypt", "aes-xts-plain64 :64:logon:cryptsetup:0a1b-d0 0 8:16 32768 1 allow_discards" },
	};
	dev_t d = 0;

	EXPECT_EQ(-ENOKEY, bottom(s, N(s), &d));
	EXPECT_NE(NULL, strstr(why, "vol: its crypt target keeps the volume key in the kernel keyring"));
	EXPECT_NE(NULL, strstr(why, "--disable-keyring"));
}

TEST(beneath_refuses_stateful_targets)
{
	static const char *const types[] = {
		"snapshot-origin", "integrity", "thin", "cache", "era", "raid",
		"striped", "mirror", "multipath", "verity",
	};
	unsigned int i;
	dev_t d = 0;

	for (i = 0; i < N(types); i++) {
		const struct blkjob_dm_seg s[] = { { types[i], "8:16 0" } };
		char want[64];

		EXPECT_EQ(-EOPNOTSUPP, bottom(s, N(s), &d)) TH_LOG("%s", types[i]);
		snprintf(want, sizeof(want), "vol: its table has a '%s' target",
			 types[i]);
		EXPECT_NE(NULL, strstr(why, want)) TH_LOG("%s", why);
	}
}

/* delay's write leg on another device: two devices, not one. */
TEST(beneath_two_devices_refused)
{
	const struct blkjob_dm_seg s[] = {
		{ "delay", "8:16 0 100 8:32 0 100" },
	};
	dev_t d = 0;

	EXPECT_EQ(-EXDEV, bottom(s, N(s), &d));
	EXPECT_NE(NULL, strstr(why, "spans several devices (8:16 and 8:32)"));
}

TEST(beneath_no_device)
{
	const struct blkjob_dm_seg s[] = { { "linear", "garbage 0" } };
	dev_t d = 0;

	EXPECT_EQ(-EINVAL, bottom(s, N(s), &d));
	EXPECT_EQ(-EINVAL, bottom(s, 0, &d));
}

TEST(swap_dev_every_word_and_only_words)
{
	char out[256];

	/* 8:1 inside 18:16 or a key is not the device. */
	EXPECT_EQ(2, blkjob_dm_swap_dev("8:1 0 100 8:1 7 18:16 x8:1", makedev(8, 1),
					makedev(253, 12), out, sizeof(out)));
	EXPECT_STREQ("253:12 0 100 253:12 7 18:16 x8:1", out);
	EXPECT_EQ(0, blkjob_dm_swap_dev("aes 8:10 0", makedev(8, 1),
					makedev(9, 9), out, sizeof(out)));
	EXPECT_STREQ("aes 8:10 0", out);
	EXPECT_EQ(-ENAMETOOLONG,
		  blkjob_dm_swap_dev("8:1 0", makedev(8, 1),
				     makedev(253, 1000), out, 6));
}

TEST_HARNESS_MAIN
