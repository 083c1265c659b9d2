// SPDX-License-Identifier: GPL-2.0
/*
 * Sizes and speeds with binary units. Parsing is strict: a typo in a rate
 * limit must be an error, never a silently different number.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "libblkjob.h"

static const char units[] = "KMGTPE";

/* Shift for unit letter @c, or -1. */
static int unit_shift(char c)
{
	const char *u;

	if (c >= 'a' && c <= 'z')
		c -= 'a' - 'A';
	u = c ? strchr(units, c) : NULL;
	return u ? 10 * (int)(u - units + 1) : -1;
}

/* Parse the unit suffix at @s (may be empty) into a shift. */
static int parse_suffix(const char *s)
{
	int shift;

	if (!*s)
		return 0;
	if (!strcmp(s, "B") || !strcmp(s, "b"))
		return 0;
	shift = unit_shift(*s);
	if (shift < 0)
		return -1;
	s++;
	if (*s == 'i')
		s++;
	if (*s == 'B' || *s == 'b')
		s++;
	else if (s[-1] == 'i')
		return -1;		/* "Ki" alone */
	return *s ? -1 : shift;
}

int blkjob_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int shift;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;	/* strtoull would take "-1" and " 1" */
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned int d = *s - '0';

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	shift = parse_suffix(s);
	if (shift < 0)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
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
