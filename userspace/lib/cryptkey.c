// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libblkjob: the volume key of a LUKS2 mapping opened the cryptsetup way,
 * with the key in the kernel keyring only while the table was loaded. A
 * move beneath loads that table again (onto blkjob's device, then onto the
 * destination), and dm-crypt looks the key up in the caller's keyrings:
 * put it back into this thread's keyring, unlocked from the LUKS header
 * with a key file. It lives there as long as the thread does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/keyctl.h>

#include <libcryptsetup.h>

#include "libblkjob.h"
#include "why.h"
#include "dmtask.h"

/* cryptsetup reads a key file up to 8 MiB; a passphrase file is small. */
#define KEY_FILE_MAX	(64 << 10)

int blkjob_crypt_keyring_desc(const char *params, char *type, char *desc,
			      size_t len)
{
	const char *key = params + strcspn(params, " ");
	unsigned int size;
	int n = 0;

	/* ":<size>:<type>:<description>" */
	if (*key != ' ' || key[1] != ':' ||
	    sscanf(key + 1, ":%u:%15[^:]:%n", &size, type, &n) != 2 || !n)
		return -ENOENT;
	key += 1 + n;
	n = strcspn(key, " ");
	if (!n || (size_t)n >= len)
		return -ENAMETOOLONG;
	memcpy(desc, key, n);
	desc[n] = '\0';
	return 0;
}

bool blkjob_crypt_key_present(const char *type, const char *desc)
{
	return syscall(SYS_request_key, type, desc, NULL, 0) >= 0;
}

static int read_key_file(const char *path, char *buf, size_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -errno;
	*n = 0;
	while (*n < KEY_FILE_MAX && (r = read(fd, buf + *n,
					      KEY_FILE_MAX - *n)) > 0)
		*n += r;
	close(fd);
	return *n ? 0 : -ENODATA;
}

/* Unlock @name's volume key with @key_file into this thread's keyring. */
static int load_one(const char *name, const char *type, const char *desc,
		    const char *key_file, char *why, size_t len)
{
	struct crypt_device *cd = NULL;
	char *pass = NULL, *vk = NULL;
	size_t npass = 0, nvk;
	int r;

	r = crypt_init_by_name(&cd, name);
	if (r < 0)
		return say(why, len, r, "%s: cryptsetup cannot read its LUKS header: %s",
			   name, strerror(-r));
	r = crypt_get_volume_key_size(cd);
	nvk = r > 0 ? (size_t)r : 0;
	pass = malloc(KEY_FILE_MAX);
	vk = malloc(nvk ? nvk : 1);
	if (!pass || !vk) {
		r = -ENOMEM;
		goto out;
	}
	r = read_key_file(key_file, pass, &npass);
	if (r) {
		say(why, len, r, "%s: %s", key_file, strerror(-r));
		goto out;
	}
	r = crypt_volume_key_get(cd, CRYPT_ANY_SLOT, vk, &nvk, pass, npass);
	if (r < 0) {
		say(why, len, r, "%s: %s opens no key slot of its LUKS header",
		    name, key_file);
		goto out;
	}
	if (syscall(SYS_add_key, type, desc, vk, nvk,
		    KEY_SPEC_THREAD_KEYRING) < 0) {
		r = -errno;
		say(why, len, r, "%s: cannot put its key in the keyring: %s",
		    name, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (pass)
		explicit_bzero(pass, KEY_FILE_MAX);
	if (vk)
		explicit_bzero(vk, nvk);
	free(pass);
	free(vk);
	crypt_free(cd);
	return r;
}

/* Each crypt segment of @name with a keyring key not at hand: load it. */
static int load_for(const char *name, const char *key_file, char *why,
		    size_t len)
{
	char type[16], desc[256];
	struct bjdm_table t;
	unsigned int i;
	int r = 0, n = 0;

	if (bjdm_get_lines(name, DM_DEVICE_TABLE, false, &t))
		return say(why, len, -EIO, "%s: cannot read its table", name);
	for (i = 0; !r && i < t.n; i++) {
		if (strcmp(t.seg[i].type, "crypt") ||
		    blkjob_crypt_keyring_desc(t.seg[i].params, type, desc,
					      sizeof(desc)) ||
		    blkjob_crypt_key_present(type, desc))
			continue;
		r = load_one(name, type, desc, key_file, why, len);
		n += !r;
	}
	bjdm_table_free(&t);
	return r ? r : n;
}

int blkjob_crypt_keys_load(dev_t dev, const char *key_file, char *why,
			   size_t len)
{
	struct blkjob_holders h;
	char name[DM_NAME_LEN];
	unsigned int i;
	int r, n = 0;

	if (dm_is_dm_major(major(dev)) &&
	    !bjdm_name_of_devno(dev, name, sizeof(name))) {
		r = load_for(name, key_file, why, len);
		if (r < 0)
			return r;
		n += r;
	}
	r = blkjob_holders_get(dev, &h, why, len);
	if (r)
		return r;
	for (i = 0; i < h.n && r >= 0; i++) {
		r = load_for(h.names[i], key_file, why, len);
		n += r > 0 ? r : 0;
	}
	blkjob_holders_free(&h);
	return r < 0 ? r : n;
}
