// SPDX-License-Identifier: GPL-2.0
/*
 * blkjob_wipe() on image files: each kind of signature is found before
 * (wipefs's listing, blkid -p, and the raw magic bytes), gone after, with
 * every other byte unchanged; a dry run changes nothing; the backups put the
 * image back with dd. Images start as pseudo-random bytes so that a stray
 * write anywhere shows.
 *
 * Not here: the refusal of a busy block device (O_EXCL, EBUSY) and the
 * partition re-read, which need a block device (the VM tests); a real PV,
 * as pvcreate refuses regular files (its case skips saying so, and runs
 * should pvcreate ever take one; a hand-written LVM2 label with a bad
 * checksum stands for the checksum rule only).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libblkjob.h"

#define MiB		(1 << 20)
#define PATHS		"PATH=$PATH:/usr/sbin:/sbin; "

/* A shell command; returns its exit status, -1 when it did not exit. */
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* @len bytes from a fixed xorshift sequence: the same image every run. */
static int fill_random(const char *path, size_t len)
{
	static uint64_t buf[8192];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t i, n;
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	for (; len; len -= n) {
		for (i = 0; i < 8192; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = x;
		}
		n = len < sizeof(buf) ? len : sizeof(buf);
		if (fwrite(buf, 1, n, f) != n)
			break;
	}
	return fclose(f) || len ? -1 : 0;
}

/* The whole file, in a buffer the caller frees. */
static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		close(fd);
		return NULL;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (buf && pread(fd, buf, st.st_size, 0) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*len = st.st_size;
	return buf;
}

/*
 * Whether @path holds @orig's bytes with @r's ranges zeroed (none when @r
 * is NULL). Returns the first differing offset, or -1 when all match.
 */
static long long differs(const char *path, const char *orig,
			 const struct blkjob_wipe_result *r)
{
	size_t alen, blen, i;
	char *a = slurp(path, &alen), *b = slurp(orig, &blen);
	long long at = -1;

	if (!a || !b || alen != blen) {
		at = 0;
		goto out;
	}
	for (i = 0; r && i < r->n; i++)
		memset(b + r->sigs[i].offset, 0, r->sigs[i].len);
	for (i = 0; i < alen && at < 0; i++)
		if (a[i] != b[i])
			at = i;
out:
	free(a);
	free(b);
	return at;
}

/* What wipefs lists (every magic libblkid finds): "type,0xoff,len" lines. */
static void listing(const char *path, char *buf, size_t len)
{
	char cmd[512];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), PATHS "wipefs -i -p -O TYPE,OFFSET,LENGTH '%s'",
		 path);
	p = popen(cmd, "r");
	n = p ? fread(buf, 1, len - 1, p) : 0;
	buf[n] = '\0';
	if (p)
		pclose(p);
}

/* The same lines for what blkjob_wipe() reported. */
static void reported(const struct blkjob_wipe_result *r, char *buf,
		     size_t len)
{
	size_t off = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < r->n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s,0x%jx,%ju\n",
				r->sigs[i].type, (uintmax_t)r->sigs[i].offset,
				(uintmax_t)r->sigs[i].len);
}

/* The types, space-separated, as the variants state them. */
static void types(const char *list, char *buf, size_t len)
{
	size_t off = 0;
	const char *p;

	buf[0] = '\0';
	for (p = list; p && *p && off < len;) {
		off += snprintf(buf + off, len - off, "%s%.*s", off ? " " : "",
				(int)strcspn(p, ","), p);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
}

/* blkid -p's first UUID or PTUUID, "" when none. */
static void blkid_uuid(const char *path, char *buf, size_t len)
{
	char cmd[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 PATHS "blkid -p -o value -s UUID -s PTUUID '%s'", path);
	buf[0] = '\0';
	p = popen(cmd, "r");
	if (p && !fgets(buf, len, p))
		buf[0] = '\0';
	if (p)
		pclose(p);
	buf[strcspn(buf, "\n")] = '\0';
}

/* Raw magic bytes, independent of libblkid: all there, or all gone. */
struct magic {
	long long off;		/* from the end when negative */
	const char *bytes;
	size_t len;
};

#define MAGIC(o, s)	{ (o), (s), sizeof(s) - 1 }
#define MAGICS		4

/* How many of @m are in @path. */
static int magics_present(const char *path, const struct magic *m)
{
	size_t len;
	char *buf = slurp(path, &len);
	int i, n = 0;

	for (i = 0; buf && i < MAGICS && m[i].bytes; i++) {
		size_t at = m[i].off < 0 ? len + m[i].off : (size_t)m[i].off;

		n += !memcmp(buf + at, m[i].bytes, m[i].len);
	}
	free(buf);
	return n;
}

static int magics_count(const struct magic *m)
{
	int n = 0;

	while (n < MAGICS && m[n].bytes)
		n++;
	return n;
}

FIXTURE(img) {
	char dir[256];
	char img[300];		/* the image wiped */
	char copy[300];		/* as it was made */
	char bak[300];		/* the backup directory */
	char before[1024];	/* wipefs's listing of the image as made */
	char uuid[128];		/* blkid -p's UUID or PTUUID of it */
};

FIXTURE_VARIANT(img) {
	size_t size;		/* of the image */
	const char *make;	/* shell command on the image, "$1" */
	const char *needs;	/* a program without which to skip */
	const char *skip_if_refused;	/* when make fails: skip, saying so */
	const char *types;	/* what must be found, in the order erased */
	bool blkid_blind;	/* blkid -p does not find it, wipefs does */
	struct magic magics[MAGICS];
};

FIXTURE_VARIANT_ADD(img, ext4) {
	.size = 8 * MiB,
	.make = "mkfs.ext4 -q -F \"$1\"",
	.needs = "mkfs.ext4",
	.types = "ext4",
	.magics = { MAGIC(0x438, "\x53\xef") },
};

/* Both GPT headers and the protective MBR. */
FIXTURE_VARIANT_ADD(img, gpt) {
	.size = 8 * MiB,
	.make = "printf 'label: gpt\\n,,L\\n' | sfdisk -q \"$1\"",
	.needs = "sfdisk",
	.types = "gpt gpt PMBR",
	.magics = { MAGIC(512, "EFI PART"), MAGIC(-512, "EFI PART"),
		    MAGIC(510, "\x55\xaa") },
};

/*
 * A GPT whose first sector was zeroed, as `dd bs=512 count=1` leaves it:
 * blkid -p and sfdisk no longer see it, but gdisk and wipefs (forcing GPT)
 * do, and a tool may bring it back.
 */
FIXTURE_VARIANT_ADD(img, gpt_no_pmbr) {
	.size = 8 * MiB,
	.make = "printf 'label: gpt\\n,,L\\n' | sfdisk -q \"$1\" && dd if=/dev/zero of=\"$1\" bs=512 count=1 conv=notrunc status=none",
	.needs = "sfdisk",
	.types = "gpt gpt",
	.blkid_blind = true,
	.magics = { MAGIC(512, "EFI PART"), MAGIC(-512, "EFI PART") },
};

FIXTURE_VARIANT_ADD(img, dos) {
	.size = 8 * MiB,
	.make = "printf 'label: dos\\n,,L\\n' | sfdisk -q \"$1\"",
	.needs = "sfdisk",
	.types = "dos",
	.magics = { MAGIC(510, "\x55\xaa") },
};

/* The primary LUKS2 header and its secondary copy at 16K. */
FIXTURE_VARIANT_ADD(img, luks2) {
	.size = 32 * MiB,	/* its default header takes 16M */
	.make = "printf secret >\"$1.key\" && cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file \"$1.key\" \"$1\"",
	.needs = "cryptsetup",
	.types = "crypto_LUKS crypto_LUKS",
	.magics = { MAGIC(0, "LUKS\xba\xbe"), MAGIC(0x4000, "SKUL\xba\xbe") },
};

FIXTURE_VARIANT_ADD(img, lvm2) {
	.size = 8 * MiB,
	.make = "pvcreate -qq -y \"$1\" 2>/dev/null",
	.needs = "pvcreate",
	.skip_if_refused = "pvcreate refuses a regular file; LVM2 labels are left to the VM test",
	.types = "LVM2_member",
	.magics = { MAGIC(0x218, "LVM2 001") },
};

/*
 * An LVM2 label whose checksum fails, written by hand (pvcreate refuses a
 * file): blkid -p passes it over, wipefs and blkjob_wipe() (bad checksums
 * included) do not; LVM's own tools would still show the PV's UUID.
 */
FIXTURE_VARIANT_ADD(img, lvm2_bad_csum) {
	.size = 8 * MiB,
	.make = "printf 'LABELONE\\1\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\40\\0\\0\\0LVM2 001abcdefghijklmnopqrstuvwxyz012345' | dd of=\"$1\" bs=1 seek=512 conv=notrunc status=none",
	.needs = "dd",
	.types = "LVM2_member",
	.blkid_blind = true,
	.magics = { MAGIC(0x218, "LVM2 001") },
};

/*
 * Make the image and check that its signatures are there: found by wipefs
 * (all, in order), by blkid -p, and in the raw bytes. Returns NULL, or why
 * not (*@skip: a missing tool or a refusal foreseen, not a failure).
 */
static const char *make_image(FIXTURE_DATA(img) *self,
			      const FIXTURE_VARIANT(img) *variant, bool *skip)
{
	static char why[512];
	char found[256];
	int rc;

	*skip = true;
	if (sh(PATHS "command -v %s >/dev/null", variant->needs)) {
		snprintf(why, sizeof(why), "%s not installed (scripts/deps test)",
			 variant->needs);
		return why;
	}
	rc = fill_random(self->img, variant->size);
	if (!rc)
		rc = sh(PATHS "set -- '%s'; %s", self->img, variant->make);
	if (rc && variant->skip_if_refused)
		return variant->skip_if_refused;
	*skip = false;
	if (rc || sh("cp '%s' '%s'", self->img, self->copy))
		return "cannot make the image";

	listing(self->img, self->before, sizeof(self->before));
	types(self->before, found, sizeof(found));
	rc = sh(PATHS "blkid -p '%s' >/dev/null", self->img);
	if (strcmp(variant->types, found))
		snprintf(why, sizeof(why), "wipefs finds '%s', not '%s'", found,
			 variant->types);
	else if (rc != (variant->blkid_blind ? 2 : 0))
		snprintf(why, sizeof(why), "blkid -p exits %d", rc);
	else if (magics_present(self->img, variant->magics) !=
		 magics_count(variant->magics))
		snprintf(why, sizeof(why), "%d of %d magic strings in place",
			 magics_present(self->img, variant->magics),
			 magics_count(variant->magics));
	else
		return NULL;
	return why;
}

/* On a skip or failure here the harness runs no teardown: clean up first. */
FIXTURE_SETUP(img)
{
	const char *tmp = getenv("TMPDIR"), *why;
	bool skip = false;

	snprintf(self->dir, sizeof(self->dir), "%s/blkjob-wipe.XXXXXX",
		 tmp ? tmp : "/tmp");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->img, sizeof(self->img), "%s/disk.img", self->dir);
	snprintf(self->copy, sizeof(self->copy), "%s/copy", self->dir);
	snprintf(self->bak, sizeof(self->bak), "%s/bak", self->dir);
	why = mkdir(self->bak, 0700) ? "mkdir" : make_image(self, variant, &skip);
	if (why)
		sh("rm -rf '%s'", self->dir);
	if (why && skip)
		SKIP(return, "%s", why);
	ASSERT_EQ(NULL, why) TH_LOG("%s", why);
	blkid_uuid(self->img, self->uuid, sizeof(self->uuid));
}

FIXTURE_TEARDOWN(img)
{
	if (self->dir[0])
		sh("rm -rf '%s'", self->dir);
}

/* Nothing left for libblkid, nor in the raw bytes; nothing else changed. */
TEST_F(img, wipe_erases_all)
{
	struct blkjob_wipe_result r;
	char got[1024];

	ASSERT_EQ(0, blkjob_wipe(self->img, NULL, 0, &r)) TH_LOG("%s", r.errmsg);
	reported(&r, got, sizeof(got));
	EXPECT_STREQ(self->before, got);
	ASSERT_GT(r.n, 0);
	if (!variant->blkid_blind)
		EXPECT_STREQ(self->uuid, r.sigs[0].uuid);
	EXPECT_STREQ("", r.sigs[0].backup);

	listing(self->img, got, sizeof(got));
	EXPECT_STREQ("", got);
	/* blkid exits 2 when it identifies nothing. */
	EXPECT_EQ(2, sh(PATHS "blkid -p '%s' >/dev/null", self->img));
	EXPECT_EQ(0, magics_present(self->img, variant->magics));
	EXPECT_EQ(-1, differs(self->img, self->copy, &r));
	blkjob_wipe_result_free(&r);

	/* Once more: nothing to do. */
	EXPECT_EQ(0, blkjob_wipe(self->img, NULL, 0, &r));
	EXPECT_EQ(0, r.n);
	blkjob_wipe_result_free(&r);
}

/* The same report as a real run, not one byte written, no backup. */
TEST_F(img, dry_run_changes_nothing)
{
	struct blkjob_wipe_result r;
	char got[1024];

	ASSERT_EQ(0, blkjob_wipe(self->img, self->bak, BLKJOB_WIPE_DRY_RUN, &r))
		TH_LOG("%s", r.errmsg);
	reported(&r, got, sizeof(got));
	EXPECT_STREQ(self->before, got);
	EXPECT_EQ(-1, differs(self->img, self->copy, NULL));
	EXPECT_EQ(0, sh("rmdir '%s'", self->bak));
	blkjob_wipe_result_free(&r);
}

/* One file per signature, named for dd; written back, the exact image. */
TEST_F(img, backup_restores)
{
	struct blkjob_wipe_result r;
	char got[1024], want[512];
	unsigned int i;
	struct stat st;

	ASSERT_EQ(0, blkjob_wipe(self->img, self->bak, 0, &r))
		TH_LOG("%s", r.errmsg);
	reported(&r, got, sizeof(got));
	EXPECT_STREQ(self->before, got);
	for (i = 0; i < r.n; i++) {
		snprintf(want, sizeof(want), "%s/blkjob-wipe-disk.img-0x%08jx.bak",
			 self->bak, (uintmax_t)r.sigs[i].offset);
		EXPECT_STREQ(want, r.sigs[i].backup);
		ASSERT_EQ(0, stat(want, &st));
		EXPECT_EQ(r.sigs[i].len, st.st_size);
	}
	EXPECT_EQ((int)r.n, sh("ls '%s' | wc -l | (read n; exit $n)",
			       self->bak));
	ASSERT_EQ(0, magics_present(self->img, variant->magics));

	/* As a user would: the offset from the file's name, last one first. */
	for (i = r.n; i-- > 0;) {
		const char *name = strrchr(r.sigs[i].backup, '-') + 1;

		ASSERT_EQ(0, sh("dd if='%s' of='%s' bs=1 seek=$((%.*s)) conv=notrunc status=none",
				r.sigs[i].backup, self->img,
				(int)strcspn(name, "."), name));
	}
	EXPECT_EQ(-1, differs(self->img, self->copy, NULL));
	blkjob_wipe_result_free(&r);
}

/* An earlier backup of the same name is kept, and nothing is erased. */
TEST_F(img, backup_never_overwritten)
{
	struct blkjob_wipe_result r;
	char name[512], *got;
	size_t len;

	ASSERT_EQ(0, blkjob_wipe(self->img, NULL, BLKJOB_WIPE_DRY_RUN, &r));
	ASSERT_GT(r.n, 0);
	snprintf(name, sizeof(name), "%s/blkjob-wipe-disk.img-0x%08jx.bak",
		 self->bak, (uintmax_t)r.sigs[0].offset);
	blkjob_wipe_result_free(&r);
	ASSERT_EQ(0, sh("printf earlier >'%s'", name));

	EXPECT_EQ(-EEXIST, blkjob_wipe(self->img, self->bak, 0, &r));
	EXPECT_NE(NULL, strstr(r.errmsg, "cannot create the backup"))
		TH_LOG("%s", r.errmsg);
	EXPECT_EQ(0, r.n);
	EXPECT_EQ(-1, differs(self->img, self->copy, NULL));
	got = slurp(name, &len);
	ASSERT_NE(NULL, got);
	EXPECT_EQ(7, len);
	EXPECT_EQ(0, memcmp(got, "earlier", 7));
	free(got);
	blkjob_wipe_result_free(&r);
}

/* A backup directory that is not there: refused before any erase. */
TEST_F(img, backup_dir_missing)
{
	struct blkjob_wipe_result r;

	ASSERT_EQ(0, rmdir(self->bak));
	EXPECT_EQ(-ENOENT, blkjob_wipe(self->img, self->bak, 0, &r));
	EXPECT_NE(NULL, strstr(r.errmsg, "cannot create the backup"))
		TH_LOG("%s", r.errmsg);
	EXPECT_EQ(0, r.n);
	EXPECT_EQ(-1, differs(self->img, self->copy, NULL));
	blkjob_wipe_result_free(&r);
}

/* Bytes that hold no signature: nothing found, nothing written. */
TEST(no_signature)
{
	char path[] = "/tmp/blkjob-wipe-none.XXXXXX", copy[64];
	struct blkjob_wipe_result r;
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	close(fd);
	snprintf(copy, sizeof(copy), "%s.copy", path);
	ASSERT_EQ(0, fill_random(path, 8 * MiB));
	ASSERT_EQ(0, sh("cp '%s' '%s'", path, copy));
	EXPECT_EQ(0, blkjob_wipe(path, NULL, 0, &r)) TH_LOG("%s", r.errmsg);
	EXPECT_EQ(0, r.n);
	EXPECT_STREQ("", r.errmsg);
	EXPECT_EQ(-1, differs(path, copy, NULL));
	unlink(copy);
	unlink(path);
	blkjob_wipe_result_free(&r);
}

TEST(refusals)
{
	struct blkjob_wipe_result r;

	EXPECT_EQ(-EINVAL, blkjob_wipe("/dev/null", NULL, BLKJOB_WIPE_DRY_RUN,
				       &r));
	EXPECT_STREQ("/dev/null is neither a block device nor a regular file",
		     r.errmsg);
	blkjob_wipe_result_free(&r);

	EXPECT_EQ(-ENOENT, blkjob_wipe("/nonexistent/disk", NULL, 0, &r));
	EXPECT_STREQ("/nonexistent/disk: No such file or directory", r.errmsg);
	blkjob_wipe_result_free(&r);

	EXPECT_EQ(-EINVAL, blkjob_wipe("/dev/null", NULL, 0x80, &r));
	EXPECT_NE(NULL, strstr(r.errmsg, "unknown wipe flags 0x80"));
	blkjob_wipe_result_free(&r);
}

TEST_HARNESS_MAIN
