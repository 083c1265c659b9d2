// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Sizes and speeds. Units follow GNU coreutils: K, M, G ... and KiB, MiB,
 * GiB ... are binary (QEMU's and iproute2's K and M), kB, KB, MB, GB ...
 * decimal. A lowercase 'b' (bits? dd's 512-byte blocks?) is refused.
 * Parsing is strict: a typo in a rate limit must be an error, never a
 * silently different number.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "libblkjob.h"

static const char units[] = "KMGTPE";

/* Power (1 for K, 2 for M, ...) of unit letter @c, or -1. */
static int unit_power(char c)
{
	const char *u;

	if (c == 'k')
		c = 'K';
	u = c ? strchr(units, c) : NULL;
	return u ? (int)(u - units + 1) : -1;
}

/* The multiplier of the unit suffix at @s (may be empty), or 0. */
static uint64_t parse_suffix(const char *s)
{
	uint64_t m = 1;
	int i, power;

	if (!*s || !strcmp(s, "B"))
		return 1;
	power = unit_power(*s++);
	if (power < 0)
		return 0;
	if (!*s || !strcmp(s, "iB")) {
		for (i = 0; i < power; i++)
			m <<= 10;
		return m;
	}
	if (strcmp(s, "B"))
		return 0;
	for (i = 0; i < power; i++)
		m *= 1000;
	return m;
}

int blkjob_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, m;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;	/* strtoull would take "-1" and " 1" */
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned int d = *s - '0';

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	m = parse_suffix(s);
	if (!m)
		return -EINVAL;
	if (v > UINT64_MAX / m)
		return -ERANGE;
	*out = v * m;
	return 0;
}

int blkjob_parse_speed(const char *s, uint64_t *out)
{
	char buf[32];
	size_t n;

	if (!s)
		return -EINVAL;
	n = strlen(s);
	if (n > 2 && !strcmp(s + n - 2, "/s")) {
		if (n - 2 >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, s, n - 2);
		buf[n - 2] = '\0';
		s = buf;
	}
	return blkjob_parse_size(s, out);
}

char *blkjob_format_size(char *buf, size_t len, uint64_t v)
{
	int i = -1;

	/* i: index of the largest unit v reaches, -1 for none. */
	while (i + 1 < (int)sizeof(units) - 1 &&
	       v >= (1ULL << (10 * (i + 2))))
		i++;
	if (i < 0)
		snprintf(buf, len, "%" PRIu64, v);
	else if (!(v & ((1ULL << (10 * (i + 1))) - 1)))
		snprintf(buf, len, "%" PRIu64 "%c", v >> (10 * (i + 1)),
			 units[i]);
	else
		snprintf(buf, len, "%.1f%c",
			 (double)v / (double)(1ULL << (10 * (i + 1))), units[i]);
	return buf;
}
