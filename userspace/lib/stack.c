// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which device-mapper stacks a live move can take. The mirror plumbing puts
 * the blkjob target in front of a device's whole table and, at the pivot,
 * replaces it with one linear map onto the destination: right for a table
 * that only maps one device linearly, wrong for any other. Above a crypt
 * target the destination would receive the plaintext and the pivot would
 * drop the encryption; above striped, raid, thin or snapshot targets the
 * layer's own semantics would be gone. Such a table is moved from beneath
 * instead (blkjob_dm_bottom()): the device under it moves, and the table
 * keeps its target on the destination. What cannot go either way is
 * refused, naming what was found.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

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

/*
 * Targets a move can go beneath: each keeps what it presents as a pure
 * function of the device under it, so its table with another device holding
 * the same bytes presents the same data. Others (snapshot-origin, thin,
 * cache, era, raid, ...) keep state about their device elsewhere, or are
 * many devices at once.
 */
static const char *const beneath_types[] = {
	"linear", "crypt", "delay", "flakey",
};

static bool beneath_type(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(beneath_types) / sizeof(beneath_types[0]); i++)
		if (!strcmp(type, beneath_types[i]))
			return true;
	return false;
}

/* dm prints every device of a table as "major:minor", alone as a word. */
static bool dev_token(const char *tok, size_t n, dev_t *dev)
{
	unsigned int ma, mi;
	char buf[32], end;

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, tok, n);
	buf[n] = '\0';
	if (sscanf(buf, "%u:%u%c", &ma, &mi, &end) != 2 ||
	    strspn(buf, "0123456789:") != n)
		return false;
	*dev = makedev(ma, mi);
	return true;
}

/*
 * A crypt table's key is the second word: hex, or ":<size>:<type>:<desc>"
 * for a key in the kernel keyring, which cryptsetup (LUKS2's default)
 * unlinks once the table is live. A reload can then not name it again,
 * unless the key is back in our keyrings (blkjob_crypt_keys_load()).
 */
static bool keyring_key_missing(const char *params)
{
	char type[16], desc[256];

	return !blkjob_crypt_keyring_desc(params, type, desc, sizeof(desc)) &&
	       !blkjob_crypt_key_present(type, desc);
}

int blkjob_dm_bottom(const char *name, const struct blkjob_dm_seg *segs,
		     unsigned int n, dev_t *bottom, char *why, size_t len)
{
	const char *p;
	unsigned int i;
	bool found = false;
	dev_t d;
	size_t w;

	for (i = 0; i < n; i++) {
		if (!beneath_type(segs[i].type)) {
			snprintf(why, len,
				 "%s: its table has a '%s' target (segment %u, '%s'); a move can only go beneath linear, crypt, delay and flakey targets, which present their device's bytes as they are stored",
				 name, segs[i].type, i, segs[i].params);
			return -EOPNOTSUPP;
		}
		if (!strcmp(segs[i].type, "crypt") &&
		    keyring_key_missing(segs[i].params)) {
			snprintf(why, len,
				 "%s: its crypt target keeps the volume key in the kernel keyring, which cryptsetup empties once the device is open (LUKS2's default), so its table cannot be loaded again onto another device. Give the passphrase with 'key-file FILE' (it unlocks the key from the LUKS header), or open it with 'cryptsetup open --disable-keyring'",
				 name);
			return -ENOKEY;
		}
		for (p = segs[i].params; *p; p += w) {
			p += strspn(p, " ");
			w = strcspn(p, " ");
			if (!dev_token(p, w, &d))
				continue;
			if (found && d != *bottom) {
				snprintf(why, len,
					 "%s: its table spans several devices (%u:%u and %u:%u); a move takes one device beneath it. Move each device instead",
					 name, major(*bottom), minor(*bottom),
					 major(d), minor(d));
				return -EXDEV;
			}
			*bottom = d;
			found = true;
		}
	}
	if (!found) {
		snprintf(why, len, "%s: its table maps no device", name);
		return -EINVAL;
	}
	return 0;
}

int blkjob_dm_swap_dev(const char *params, dev_t from, dev_t to, char *out,
		       size_t len)
{
	size_t w, used = 0;
	const char *p;
	int hits = 0, r;
	dev_t d;

	out[0] = '\0';
	for (p = params; *p; p += w) {
		w = strspn(p, " ");
		if (w) {
			r = snprintf(out + used, len - used, "%.*s", (int)w, p);
			if (r < 0 || (size_t)r >= len - used)
				return -ENAMETOOLONG;
			used += r;
			continue;
		}
		w = strcspn(p, " ");
		if (dev_token(p, w, &d) && d == from) {
			r = snprintf(out + used, len - used, "%u:%u",
				     major(to), minor(to));
			hits++;
		} else {
			r = snprintf(out + used, len - used, "%.*s", (int)w, p);
		}
		if (r < 0 || (size_t)r >= len - used)
			return -ENAMETOOLONG;
		used += r;
	}
	return hits;
}
