// SPDX-License-Identifier: GPL-2.0
/*
 * mirror, backup, wrap, restore and activate: the commands of live moves.
 * The moves themselves are libblkjob's (libblkjob.h, "Live moves"); this
 * file creates and waits for the job, and says what happened.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "blkjobctl.h"

struct live {
	struct request *req;
	struct printer *p;
	struct blkjob_ctx *ctx;
	struct blkjob_move *m;
	struct blkjob_job job;
};

/* Notices: errors as every error, steps in the text output only. */
static void on_notice(enum blkjob_notice_kind kind, const char *text,
		      void *arg)
{
	struct live *l = arg;

	switch (kind) {
	case BLKJOB_NOTICE_ERROR:
		report(text, NULL);
		break;
	case BLKJOB_NOTICE_WARNING:
		fprintf(stderr, "Warning: %s\n", text);
		break;
	case BLKJOB_NOTICE_HINT:
		fprintf(stderr, "Hint: %s\n", text);
		break;
	case BLKJOB_NOTICE_NOTE:
		fprintf(stderr, "%s\n", text);
		break;
	case BLKJOB_NOTICE_STEP:
		pr_text(l->p, "%s\n", text);
		break;
	case BLKJOB_NOTICE_DETAIL:
		if (l->req->quiet)
			break;
		/* fall through */
	case BLKJOB_NOTICE_INFO:
		printf("%s\n", text);
		break;
	}
}

/* The final (or only) output of mirror and backup. */
static void print_live(struct live *l, enum blkjob_mapping out, bool full)
{
	struct printer *p = l->p;

	pr_open_obj(p, NULL);
	pr_string(p, PR_JSON, "command", NULL, command_name(l->req->cmd));
	pr_string(p, PR_JSON, "device", NULL, blkjob_move_device(l->m));
	if (blkjob_move_helper(l->m))
		pr_string(p, PR_JSON, "helper", NULL,
			  out == BLKJOB_MAPPING_BLKJOB ?
			  blkjob_move_helper(l->m) : NULL);
	pr_string(p, PR_JSON, "id", NULL, l->req->params.id);
	pr_string(p, PR_JSON, "mapping", NULL, blkjob_mapping_str(out));
	if (l->job.present)
		print_job_member(p, "job", &l->job,
				 full ? VIEW_FULL : VIEW_LINE);
	pr_close_obj(p);
}

/* Retire the plumbing after the job ended, and say so. */
static int finish_live(struct live *l, int code)
{
	enum blkjob_mapping out;

	if (blkjob_move_finish(l->m, &out))
		return EXIT_FAIL;
	if (!l->req->quiet)
		print_live(l, out, false);
	return code;
}

/* Interrupted while waiting: the job goes on in the kernel. */
static int left_running(struct live *l)
{
	const char *id = l->req->params.id, *dev = blkjob_move_device(l->m);

	fprintf(stderr,
		"%s keeps running on %s: 'blkjobctl wait %s', 'complete %s' or 'cancel %s', then 'blkjobctl restore %s'.\n",
		id, dev, id, id, id, dev);
	return EXIT_FAIL;
}

/*
 * Completed with auto-finalize off: the job is pending, the device runs
 * on DST, the old disk is kept in sync. The plumbing stays for finalize
 * or cancel.
 */
static int say_pending(struct live *l)
{
	const char *id = l->req->params.id;
	char src[PATH_MAX];

	blkjob_move_kept_source(l->m, src, sizeof(src));
	pr_text(l->p, "%s: pending; %s now runs on %s, with %s kept in sync. 'blkjobctl finalize %s' retires %s, 'blkjobctl cancel %s' goes back to it; then 'blkjobctl restore %s'\n",
		id, blkjob_move_device(l->m), blkjob_move_destination(l->m),
		src, id, src, id, blkjob_move_device(l->m));
	if (!l->req->quiet) {
		/* The job as it is now, not as it was when ready. */
		blkjob_job_get(l->ctx, id, &l->job);
		print_live(l, BLKJOB_MAPPING_BLKJOB, false);
	}
	return EXIT_OK;
}

/* mirror ... auto-finalize off: complete pivots, the job then pends. */
static bool pends(const struct request *req)
{
	return BLKJOB_HAS(req->params.present, BLKJOB_A_JOB_AUTO_FINALIZE) &&
	       !req->params.auto_finalize;
}

static int wait_live(struct live *l)
{
	struct request *req = l->req;
	struct wait_opts o = {
		.id = req->params.id, .status = -1,
		.bar = !req->json && !req->quiet,
	};
	bool mirror = req->cmd == CMD_MIRROR;
	int code, err;

	if (mirror)
		o.status = BLKJOB_JOB_STATUS_READY;
	code = wait_job(l->ctx, &o, &l->job);
	if (!o.over)
		return left_running(l);
	if (!mirror || code != EXIT_OK)
		return finish_live(l, code);
	/* Ready. */
	if (!req->complete) {
		pr_text(l->p, "%s: ready; %s is mirrored onto %s. 'blkjobctl complete %s' pivots, then 'blkjobctl restore %s'\n",
			o.id, blkjob_move_device(l->m),
			blkjob_move_destination(l->m), o.id,
			blkjob_move_device(l->m));
		if (!req->quiet)
			print_live(l, BLKJOB_MAPPING_BLKJOB, false);
		return EXIT_OK;
	}
	err = blkjob_job_complete(l->ctx, o.id);
	if (err) {
		fail(l->ctx, err);
		return left_running(l);
	}
	/*
	 * Completing, the job may end and be dismissed before a job-get
	 * could see it: follow the target's status, which shows the job
	 * until it detaches, then the leg tells whether it pivoted.
	 */
	catch_signals();
	if (blkjob_move_follow(l->m, pends(req)))
		return left_running(l);
	if (pends(req) && blkjob_move_pending(l->m))
		return say_pending(l);
	return finish_live(l, blkjob_move_pivoted(l->m) ? EXIT_OK : EXIT_FAIL);
}

static int cmd_live(struct live *l)
{
	struct request *req = l->req;
	int err;

	blkjob_move_set_wipe_backup(l->m, req->wipe_backup);
	blkjob_move_set_key_file(l->m, req->key_file);
	blkjob_move_set_below_lvm(l->m, req->below_lvm);
	if (blkjob_move_setup(l->m, req->dev, req->params.target,
			      req->cmd == CMD_MIRROR))
		return EXIT_FAIL;
	req->params.source = blkjob_move_source(l->m);
	req->params.target = blkjob_move_destination(l->m);
	err = new_job(l->ctx, req, &l->job);
	if (err) {
		fail(l->ctx, err);
		blkjob_move_abort(l->m);
		return EXIT_FAIL;
	}
	blkjob_move_started(l->m);
	if (!req->wait && !req->complete) {
		if (!req->quiet)
			print_live(l, BLKJOB_MAPPING_BLKJOB, true);
		return EXIT_OK;
	}
	return wait_live(l);
}

static int cmd_wrap(struct live *l)
{
	struct request *req = l->req;
	struct printer *p = l->p;
	char uuid[BLKJOB_META_UUID_LEN];

	if (blkjob_move_wrap(l->m, req->dev, req->name, req->meta, uuid,
			     sizeof(uuid)))
		return EXIT_FAIL;
	pr_open_obj(p, NULL);
	pr_string(p, PR_JSON, "command", NULL, "wrap");
	pr_string(p, PR_JSON, "device", NULL, req->name);
	pr_string(p, PR_JSON, "source", NULL, req->dev);
	if (req->meta) {
		pr_string(p, PR_JSON, "metadata", NULL, req->meta);
		pr_string(p, PR_JSON, "dm-uuid", NULL, uuid);
	}
	pr_close_obj(p);
	return EXIT_OK;
}

static int cmd_restore(struct live *l)
{
	struct request *req = l->req;
	struct printer *p = l->p;
	enum blkjob_mapping out;

	blkjob_move_set_wipe_backup(l->m, req->wipe_backup);
	blkjob_move_set_key_file(l->m, req->key_file);
	/* A wait, or the cancel of a pending job, follows the target. */
	catch_signals();
	if (blkjob_move_restore(l->m, req->dev, req->force, req->wait, &out))
		return EXIT_FAIL;
	pr_open_obj(p, NULL);
	pr_string(p, PR_JSON, "command", NULL, "restore");
	pr_string(p, PR_JSON, "device", NULL, blkjob_move_device(l->m));
	pr_string(p, PR_JSON, "mapping", NULL, blkjob_mapping_str(out));
	pr_close_obj(p);
	return EXIT_OK;
}

int run_dm_request(struct request *req, struct printer *p)
{
	struct live l = { .req = req, .p = p };
	int code;

	/* restore and wrap without metadata need no module. */
	if (req->cmd != CMD_RESTORE && (req->cmd != CMD_WRAP || req->meta)) {
		l.ctx = open_ctx();
		if (!l.ctx)
			return EXIT_FAIL;
	}
	l.m = blkjob_move_new(l.ctx, on_notice, &l);
	if (!l.m) {
		code = fail(NULL, -ENOMEM);
		goto out;
	}
	blkjob_move_set_stop(l.m, &interrupted);
	switch (req->cmd) {
	case CMD_WRAP:
		code = cmd_wrap(&l);
		break;
	case CMD_RESTORE:
		code = cmd_restore(&l);
		break;
	case CMD_ACTIVATE:
		code = cmd_activate(l.ctx, p, req);
		break;
	default:
		code = cmd_live(&l);
		break;
	}
	blkjob_move_free(l.m);
out:
	if (l.ctx)
		blkjob_close(l.ctx);
	return code;
}
