// SPDX-License-Identifier: GPL-2.0
/*
 * Which device-mapper stacks a live move can take. The mirror plumbing puts
 * the blkjob target in front of a device's whole table and, at the pivot,
 * replaces it with one linear map onto the destination: right for a table
 * that only maps one device linearly, wrong for any other. Above a crypt
 * target the destination would receive the plaintext and the pivot would
 * drop the encryption; above striped, raid, thin or snapshot targets the
 * layer's own semantics would be gone. Until the move can interpose beneath
 * such a layer, it must refuse, naming what it found.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libblkjob.h"

/* The device of a linear target's "DEV OFFSET" parameters, or NULL. */
static const char *linear_dev(const char *params, char *buf, size_t len)
{
	size_t n = strcspn(params, " ");

	if (!n || n >= len || !params[n])
		return NULL;
	memcpy(buf, params, n);
	buf[n] = '\0';
	return buf;
}

int blkjob_dm_movable(const char *name, const struct blkjob_dm_seg *segs,
		      unsigned int n, char *why, size_t len)
{
	char first[64] = "", dev[64];
	unsigned int i;

	if (!n) {
		snprintf(why, len, "%s has an empty table", name);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(segs[i].type, "linear")) {
			snprintf(why, len,
				 "%s: its table has a '%s' target (segment %u, '%s'); a mirror would move the data this target presents and the pivot would replace the target with a linear map, dropping the layer (for crypt: the destination would hold the plaintext). Only tables that map one device linearly can be moved",
				 name, segs[i].type, i, segs[i].params);
			return -EOPNOTSUPP;
		}
		if (!linear_dev(segs[i].params, dev, sizeof(dev))) {
			snprintf(why, len, "%s: cannot read the linear target's parameters '%s'",
				 name, segs[i].params);
			return -EINVAL;
		}
		if (!first[0]) {
			snprintf(first, sizeof(first), "%s", dev);
		} else if (strcmp(first, dev)) {
			snprintf(why, len,
				 "%s: its table spans several devices (%s and %s); a mirror would gather them onto one disk and change the stack beneath. Move each device instead",
				 name, first, dev);
			return -EXDEV;
		}
	}
	return 0;
}
