// SPDX-License-Identifier: GPL-2.0
/*
 * blkjobctl meta, activate, and wrap's record: thin commands over
 * libblkjob's metadata calls (Documentation/blkjob/metadata.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "blkjobctl.h"

static void print_uuid(char *buf, size_t len, const uint8_t *u)
{
	snprintf(buf, len,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void print_info(struct printer *p, const char *path,
		       const struct blkjob_meta_info *mi)
{
	char uuid[40];

	print_uuid(uuid, sizeof(uuid), mi->uuid);
	pr_string(p, PR_ANY, "path", "%s:", path);
	pr_string(p, PR_ANY, "uuid", " uuid %s", uuid);
	pr_u64(p, PR_ANY, "generation", " generation %" PRIu64,
	       mi->generation);
	pr_u64(p, PR_ANY, "nr-devs", " devices %" PRIu64, mi->nr_devs);
	pr_u64(p, PR_ANY, "capacity", "/%" PRIu64 "\n", mi->capacity);
}

static int print_dev(const struct blkjob_meta_dev *d, void *arg)
{
	struct printer *p = arg;
	const char *state = blkjob_meta_state_str(d->state);

	pr_open_obj(p, NULL);
	pr_string(p, PR_ANY, "name", "  %s", d->name);
	pr_string(p, PR_ANY, "dm-uuid", " uuid %s", d->dm_uuid);
	pr_u64(p, PR_ANY, "sectors", " sectors %" PRIu64, d->sectors);
	pr_string(p, PR_ANY, "state", " state %s", state ? state : "?");
	pr_string(p, PR_ANY, "source-id", " source %s", d->source_id);
	if (d->dest_id[0])
		pr_string(p, PR_ANY, "dest-id", " destination %s",
			  d->dest_id);
	pr_text(p, "\n");
	pr_close_obj(p);
	return 0;
}

static int meta_show(struct blkjob_ctx *ctx, struct printer *p,
		     const char *path)
{
	struct blkjob_meta_info mi;
	int err;

	err = blkjob_meta_get(ctx, path, &mi);
	if (err)
		return fail(ctx, err);
	pr_open_obj(p, NULL);
	print_info(p, path, &mi);
	pr_open_arr(p, "devices");
	err = blkjob_meta_dev_dump(ctx, path, print_dev, p);
	pr_close_arr(p);
	pr_close_obj(p);
	return err ? fail(ctx, err) : EXIT_OK;
}

/* Someone else's data on it (a filesystem, a LUKS header, a PV): say so. */
static bool foreign(const char *path)
{
	struct blkjob_wipe_result res = { 0 };
	char msg[512];
	bool found;

	/* A dry run of the wipe: what libblkid would find, nothing erased. */
	if (blkjob_wipe(path, NULL, BLKJOB_WIPE_DRY_RUN, &res)) {
		blkjob_wipe_result_free(&res);
		return false;	/* the kernel's format says why */
	}
	found = res.n;
	if (found) {
		snprintf(msg, sizeof(msg),
			 "%s carries a %s signature%s%s; 'meta format METADEV force' overwrites it",
			 path, res.sigs[0].type, res.sigs[0].uuid[0] ?
			 " with UUID " : "", res.sigs[0].uuid);
		report(msg, NULL);
	}
	blkjob_wipe_result_free(&res);
	return found;
}

static int meta_format(struct blkjob_ctx *ctx, struct printer *p,
		       const struct request *req)
{
	struct blkjob_meta_info mi;
	int err;

	/* Its records may be all that finds a moved disk after a reboot. */
	if (blkjob_meta_probe(req->meta) == 1 && !req->force) {
		report("already a blkjob metadata device; 'meta format METADEV force' erases its records",
		       NULL);
		return EXIT_FAIL;
	}
	if (!req->force && foreign(req->meta))
		return EXIT_FAIL;
	err = blkjob_meta_format(ctx, req->meta, &mi);
	if (err)
		return fail(ctx, err);
	pr_open_obj(p, NULL);
	print_info(p, req->meta, &mi);
	pr_close_obj(p);
	return EXIT_OK;
}

int cmd_meta_probe(const struct request *req)
{
	if (blkjob_meta_probe(req->meta) != 1)
		return EXIT_FAIL;
	printf("BLKJOB_META=1\n");
	return EXIT_OK;
}

int cmd_meta(struct blkjob_ctx *ctx, struct printer *p,
	     const struct request *req)
{
	if (req->meta_verb == META_FORMAT)
		return meta_format(ctx, p, req);
	return meta_show(ctx, p, req->meta);
}

static const char *const act_words[] = {
	[BLKJOB_ACT_CREATED]	= "created",
	[BLKJOB_ACT_UNCHANGED]	= "unchanged",
	[BLKJOB_ACT_BUSY]	= "busy",
	[BLKJOB_ACT_FAILED]	= "failed",
};

static void print_activation(const struct blkjob_activation *a, void *arg)
{
	struct printer *p = arg;
	const char *state = blkjob_meta_state_str(a->rec->state);

	pr_open_obj(p, NULL);
	pr_string(p, PR_ANY, "name", "%s:", a->rec->name);
	pr_string(p, PR_ANY, "outcome", " %s", act_words[a->outcome]);
	pr_string(p, PR_ANY, "state", " (%s,", state ? state : "?");
	pr_string(p, PR_ANY, "leg", " on %s", a->leg[0] ? a->leg : a->leg_id);
	pr_string(p, PR_ANY, "metadata", " recorded on %s)", a->meta);
	if (a->msg[0])
		pr_string(p, PR_ANY, "message", ": %s", a->msg);
	pr_text(p, "\n");
	pr_close_obj(p);
	if (a->outcome == BLKJOB_ACT_FAILED)
		fprintf(stderr, "Error: %s: %s.\n", a->rec->name, a->msg);
}

struct act_run {
	struct blkjob_ctx *ctx;
	struct printer *p;
	int code;
};

static int activate_meta(const char *path, void *arg)
{
	struct act_run *r = arg;
	int err;

	err = blkjob_activate(r->ctx, path, print_activation, r->p);
	if (err && err != -EIO)
		fail(r->ctx, err);
	if (err)
		r->code = EXIT_FAIL;
	return 0;
}

int cmd_activate(struct blkjob_ctx *ctx, struct printer *p,
		 const struct request *req)
{
	struct act_run r = { .ctx = ctx, .p = p, .code = EXIT_OK };
	unsigned int i;
	int err;

	pr_open_arr(p, NULL);
	if (req->nmetas) {
		for (i = 0; i < req->nmetas; i++)
			activate_meta(req->metas[i], &r);
	} else {
		err = blkjob_meta_scan(activate_meta, &r);
		if (err) {
			report(strerror(-err), " (scanning for metadata devices)");
			r.code = EXIT_FAIL;
		}
	}
	pr_close_arr(p);
	return r.code;
}

