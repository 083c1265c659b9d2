// SPDX-License-Identifier: GPL-2.0
/*
 * How jobs and events look. Each attribute has one printing rule
 * (print_attr) used by every view; a view only chooses which attributes the
 * text shows and where lines break. JSON always gets every attribute the
 * kernel sent, under its YNL name.
 */
#include <inttypes.h>
#include <stdio.h>

#include "blkjobctl.h"

#define A(x) BLKJOB_A_JOB_##x

/* The name of an enum value, or its number for one we don't know. */
static const char *enum_str(const char *name, uint32_t v, char *buf,
			    size_t len)
{
	if (name)
		return name;
	snprintf(buf, len, "%" PRIu32, v);
	return buf;
}

static void print_enum(struct printer *p, enum pr_vis vis, unsigned int attr,
		       const char *name, uint32_t v)
{
	char buf[16], fmt[40];

	snprintf(fmt, sizeof(fmt), " %s %%s", blkjob_job_attr_str(attr));
	pr_string(p, vis, blkjob_job_attr_str(attr), fmt,
		  enum_str(name, v, buf, sizeof(buf)));
}

static void print_flag(struct printer *p, enum pr_vis vis, unsigned int attr,
		       bool v)
{
	char fmt[40];

	snprintf(fmt, sizeof(fmt), " %s %%s", blkjob_job_attr_str(attr));
	pr_bool(p, vis, blkjob_job_attr_str(attr), fmt, v);
}

/* Print attribute @attr of @job if the kernel sent it. */
static void print_attr(struct printer *p, enum pr_vis vis,
		       const struct blkjob_job *job, unsigned int attr)
{
	const char *key = blkjob_job_attr_str(attr);

	if (!BLKJOB_HAS(job->present, attr))
		return;
	switch (attr) {
	case A(ID):
		pr_string(p, vis, key, "%s:", job->id);
		break;
	case A(TYPE):
		print_enum(p, vis, attr, blkjob_job_type_str(job->type),
			   job->type);
		break;
	case A(STATUS):
		print_enum(p, vis, attr, blkjob_job_status_str(job->status),
			   job->status);
		break;
	case A(SOURCE):
		pr_string(p, vis, key, " source %s", job->source);
		break;
	case A(TARGET):
		pr_string(p, vis, key, " target %s", job->target);
		break;
	case A(LEN):
		pr_size(p, vis, key, " len %s", job->len);
		break;
	case A(OFFSET):
		pr_size(p, vis, key, " offset %s", job->offset);
		break;
	case A(SPEED):
		pr_speed(p, vis, key, " speed %s", job->speed);
		break;
	case A(GRANULARITY):
		pr_size(p, vis, key, " granularity %s", job->granularity);
		break;
	case A(BUF_SIZE):
		pr_size(p, vis, key, " buf-size %s", job->buf_size);
		break;
	case A(BUSY):
		print_flag(p, vis, attr, job->busy);
		break;
	case A(PAUSED):
		print_flag(p, vis, attr, job->paused);
		break;
	case A(READY):
		print_flag(p, vis, attr, job->ready);
		break;
	case A(IO_STATUS):
		print_enum(p, vis, attr, blkjob_io_status_str(job->io_status),
			   job->io_status);
		break;
	case A(AUTO_FINALIZE):
		print_flag(p, vis, attr, job->auto_finalize);
		break;
	case A(AUTO_DISMISS):
		print_flag(p, vis, attr, job->auto_dismiss);
		break;
	case A(ON_SOURCE_ERROR):
		print_enum(p, vis, attr,
			   blkjob_error_policy_str(job->on_source_error),
			   job->on_source_error);
		break;
	case A(ON_TARGET_ERROR):
		print_enum(p, vis, attr,
			   blkjob_error_policy_str(job->on_target_error),
			   job->on_target_error);
		break;
	case A(COPY_MODE):
		print_enum(p, vis, attr, blkjob_copy_mode_str(job->copy_mode),
			   job->copy_mode);
		break;
	case A(SYNC):
		print_enum(p, vis, attr, blkjob_sync_mode_str(job->sync),
			   job->sync);
		break;
	case A(ACTIVELY_SYNCED):
		print_flag(p, vis, attr, job->actively_synced);
		break;
	case A(FORCE):
		print_flag(p, vis, attr, job->force);
		break;
	case A(ERROR):
		pr_string(p, vis, key, " error \"%s\"", job->error);
		break;
	case A(OPERATION):
		print_enum(p, vis, attr,
			   blkjob_io_operation_str(job->operation),
			   job->operation);
		break;
	case A(ACTION):
		print_enum(p, vis, attr, blkjob_error_action_str(job->action),
			   job->action);
		break;
	}
}

/* "progress 12M/64M (18%)": text only, JSON has len and offset. */
static void print_progress(struct printer *p, const struct blkjob_job *job)
{
	char a[32], b[32];
	unsigned int pct;

	if (!BLKJOB_HAS(job->present, A(LEN)) ||
	    !BLKJOB_HAS(job->present, A(OFFSET)))
		return;
	pct = job->len ? (unsigned int)(100.0 * job->offset / job->len) : 0;
	if (pct > 100)
		pct = 100;
	pr_text(p, " progress %s/%s (%u%%)",
		blkjob_format_size(a, sizeof(a), job->offset),
		blkjob_format_size(b, sizeof(b), job->len), pct);
}

/*
 * Text layout: attributes per line; 0 ends a line, LEN stands for the
 * progress text. Attributes not listed are JSON only.
 */
static const unsigned int full_layout[] = {
	A(ID), A(TYPE), A(STATUS), 0,
	A(SOURCE), A(TARGET), 0,
	A(LEN), A(SPEED), 0,
	A(GRANULARITY), A(BUF_SIZE), A(COPY_MODE), A(SYNC), 0,
	A(AUTO_FINALIZE), A(AUTO_DISMISS), A(ON_SOURCE_ERROR),
	A(ON_TARGET_ERROR), 0,
	A(BUSY), A(PAUSED), A(READY), A(IO_STATUS), A(ACTIVELY_SYNCED), 0,
	A(ERROR), A(OPERATION), A(ACTION), 0,
};

static const unsigned int line_layout[] = {
	A(ID), A(TYPE), A(STATUS), A(LEN), A(SPEED), A(SOURCE), A(TARGET),
	A(ERROR), 0,
};

static void print_layout(struct printer *p, const struct blkjob_job *job,
			 const unsigned int *layout, size_t n)
{
	uint64_t done = 0;
	bool line_used = false, indent = false;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned int attr = layout[i];

		if (!attr) {
			if (line_used)
				pr_text(p, "\n");
			line_used = false;
			continue;
		}
		if (!BLKJOB_HAS(job->present, attr) ||
		    (done & BLKJOB_F(attr)))
			continue;
		if (!line_used && indent)
			pr_text(p, "   ");
		line_used = indent = true;
		if (attr == A(LEN)) {
			print_progress(p, job);
			/* Not both in text, both in JSON. */
			print_attr(p, PR_JSON, job, A(LEN));
			print_attr(p, PR_JSON, job, A(OFFSET));
			done |= BLKJOB_F(A(OFFSET));
		} else {
			print_attr(p, PR_ANY, job, attr);
		}
		done |= BLKJOB_F(attr);
	}
	for (i = 1; i <= BLKJOB_A_JOB_MAX; i++)
		if (i != A(PAD) && !(done & BLKJOB_F(i)))
			print_attr(p, PR_JSON, job, i);
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void print_job(struct printer *p, const struct blkjob_job *job,
	       enum job_view view)
{
	print_job_member(p, NULL, job, view);
}

void print_job_member(struct printer *p, const char *key,
		      const struct blkjob_job *job, enum job_view view)
{
	pr_open_obj(p, key);
	if (view == VIEW_FULL)
		print_layout(p, job, full_layout, ARRAY_SIZE(full_layout));
	else
		print_layout(p, job, line_layout, ARRAY_SIZE(line_layout));
	pr_close_obj(p);
}

const char *event_name(unsigned int cmd)
{
	switch (cmd) {
	case BLKJOB_CMD_JOB_STATUS_NTF:
		return "status";
	case BLKJOB_CMD_JOB_READY_NTF:
		return "ready";
	case BLKJOB_CMD_JOB_COMPLETED_NTF:
		return "completed";
	case BLKJOB_CMD_JOB_CANCELLED_NTF:
		return "cancelled";
	case BLKJOB_CMD_JOB_ERROR_NTF:
		return "error";
	case BLKJOB_CMD_JOB_PENDING_NTF:
		return "pending";
	default:
		return "unknown";
	}
}

/* What the text line of each event shows after its id. */
static const unsigned int *event_layout(unsigned int cmd, size_t *n)
{
	static const unsigned int status[] = { A(STATUS), A(ERROR) };
	static const unsigned int progress[] = { A(LEN), A(SPEED), A(ERROR) };
	static const unsigned int error[] = { A(OPERATION), A(ACTION) };

	switch (cmd) {
	case BLKJOB_CMD_JOB_STATUS_NTF:
		*n = ARRAY_SIZE(status);
		return status;
	case BLKJOB_CMD_JOB_READY_NTF:
	case BLKJOB_CMD_JOB_COMPLETED_NTF:
	case BLKJOB_CMD_JOB_CANCELLED_NTF:
		*n = ARRAY_SIZE(progress);
		return progress;
	case BLKJOB_CMD_JOB_ERROR_NTF:
		*n = ARRAY_SIZE(error);
		return error;
	}
	*n = 0;
	return NULL;
}

void print_event(struct printer *p, const struct blkjob_event *ev,
		 const char *ts)
{
	const struct blkjob_job *job = &ev->job;
	const unsigned int *layout;
	uint64_t done = BLKJOB_F(A(ID));
	size_t i, n;

	pr_open_obj(p, NULL);
	if (ts)
		pr_string(p, PR_ANY, "time", "[%s] ", ts);
	pr_string(p, PR_ANY, "event", "%s", event_name(ev->cmd));
	if (BLKJOB_HAS(job->present, A(ID)))
		pr_string(p, PR_ANY, "id", " %s", job->id);
	layout = event_layout(ev->cmd, &n);
	for (i = 0; i < n; i++) {
		if (layout[i] == A(LEN)) {
			print_progress(p, job);
			done |= BLKJOB_F(A(OFFSET));
			print_attr(p, PR_JSON, job, A(LEN));
			print_attr(p, PR_JSON, job, A(OFFSET));
		} else {
			print_attr(p, PR_ANY, job, layout[i]);
		}
		done |= BLKJOB_F(layout[i]);
	}
	for (i = 1; i <= BLKJOB_A_JOB_MAX; i++)
		if (i != A(PAD) && !(done & BLKJOB_F(i)))
			print_attr(p, PR_JSON, job, i);
	pr_text(p, "\n");
	pr_close_obj(p);
	fflush(p->fp);
}
