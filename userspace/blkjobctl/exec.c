// SPDX-License-Identifier: GPL-2.0
/*
 * Running a parsed request against the kernel.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "blkjobctl.h"

volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Stop poll() loops cleanly on ^C or SIGTERM. */
void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* "Error: <message>." on stderr; iproute2 adds the period too. */
void report(const char *msg, const char *extra)
{
	size_t n = strlen(msg);

	fprintf(stderr, "Error: %s%s%s\n", msg, extra ? extra : "",
		n && msg[n - 1] == '.' && !extra ? "" : ".");
}

/* A failed request: the kernel's extack message, else strerror(). */
int fail(struct blkjob_ctx *ctx, int err)
{
	const char *msg = ctx ? blkjob_errmsg(ctx) : "";
	const char *name = ctx ? blkjob_err_attr_name(ctx) : NULL;
	unsigned int nest = 0;
	char extra[96] = "";

	if (name) {
		blkjob_err_attr(ctx, &nest);
		snprintf(extra, sizeof(extra), " (attribute '%s'%s)", name,
			 nest ? " of a txn job" : "");
	}
	report(*msg ? msg : strerror(-err), *extra ? extra : NULL);
	return EXIT_FAIL;
}

struct blkjob_ctx *open_ctx(void)
{
	struct blkjob_ctx *ctx = blkjob_open();

	if (ctx)
		return ctx;
	if (errno == ENOENT)
		report("generic netlink family 'blkjob' not found (is the blkjob module loaded?)",
		       NULL);
	else
		report(strerror(errno), NULL);
	return NULL;
}

/* ------------------------------------------------------------------ */

static int list_one(const struct blkjob_job *job, void *arg)
{
	print_job(arg, job, VIEW_LINE);
	return 0;
}

static int cmd_list(struct blkjob_ctx *ctx, struct printer *p)
{
	int err;

	pr_open_arr(p, NULL);
	err = blkjob_job_dump(ctx, list_one, p);
	pr_close_arr(p);
	return err ? fail(ctx, err) : EXIT_OK;
}

static int cmd_show(struct blkjob_ctx *ctx, struct printer *p,
		    const char *id)
{
	struct blkjob_job *job = malloc(sizeof(*job));
	int err;

	if (!job)
		return fail(NULL, -ENOMEM);
	err = blkjob_job_get(ctx, id, job);
	if (!err)
		print_job(p, job, VIEW_FULL);
	free(job);
	return err ? fail(ctx, err) : EXIT_OK;
}

/* JSON has to say something for commands the kernel only ACKs. */
static void print_ack(struct printer *p, const struct request *req)
{
	pr_open_obj(p, NULL);
	pr_string(p, PR_JSON, "command", NULL, command_name(req->cmd));
	if (req->id)
		pr_string(p, PR_JSON, "id", NULL, req->id);
	pr_close_obj(p);
}

static int cmd_verb(struct blkjob_ctx *ctx, struct printer *p,
		    const struct request *req)
{
	const char *id = req->id;
	int err;

	switch (req->cmd) {
	case CMD_PAUSE:
		err = blkjob_job_pause(ctx, id);
		break;
	case CMD_RESUME:
		err = blkjob_job_resume(ctx, id);
		break;
	case CMD_CANCEL:
		err = blkjob_job_cancel(ctx, id, req->force);
		break;
	case CMD_COMPLETE:
		err = blkjob_job_complete(ctx, id);
		break;
	case CMD_FINALIZE:
		err = blkjob_job_finalize(ctx, id);
		break;
	case CMD_DISMISS:
		err = blkjob_job_dismiss(ctx, id);
		break;
	case CMD_SET_SPEED:
		err = blkjob_job_set_speed(ctx, id, req->speed);
		break;
	case CMD_CHANGE:
		err = blkjob_job_change(ctx, id, req->copy_mode);
		break;
	default:
		return EXIT_USAGE;
	}
	if (err)
		return fail(ctx, err);
	print_ack(p, req);
	return EXIT_OK;
}

static int cmd_txn(struct blkjob_ctx *ctx, struct printer *p,
		   const struct request *req)
{
	unsigned int i;
	int err;

	err = blkjob_txn_new(ctx, req->completion_mode, req->jobs,
			     req->njobs);
	if (err)
		return fail(ctx, err);
	pr_open_obj(p, NULL);
	pr_string(p, PR_JSON, "command", NULL, "txn");
	pr_open_arr(p, "jobs");
	for (i = 0; i < req->njobs; i++)
		pr_string(p, PR_JSON, NULL, NULL, req->jobs[i].id);
	pr_close_arr(p);
	pr_close_obj(p);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* copy without an id: the first free "copyN"                          */
/* ------------------------------------------------------------------ */

struct id_scan {
	const char *prefix;	/* "copy", "mirror", "backup" */
	unsigned long used[4];	/* bitmap of N in use, N < 256 */
};

static int note_id(const struct blkjob_job *job, void *arg)
{
	struct id_scan *s = arg;
	size_t plen = strlen(s->prefix);
	char *end;
	unsigned long n;

	if (strncmp(job->id, s->prefix, plen) || !job->id[plen])
		return 0;
	n = strtoul(job->id + plen, &end, 10);
	if (!*end && n < 256)
		s->used[n / 64] |= 1UL << (n % 64);
	return 0;
}

int new_job(struct blkjob_ctx *ctx, struct request *req,
	    struct blkjob_job *reply)
{
	struct id_scan scan = { .prefix = blkjob_job_type_str(req->params.type) };
	static char id[16];
	unsigned int n;
	int err;

	if (req->params.id)
		return blkjob_job_new(ctx, &req->params, reply);
	err = blkjob_job_dump(ctx, note_id, &scan);
	if (err)
		return err;
	/* Someone may take our pick in between: try the next one. */
	for (n = 0; n < 256; n++) {
		if (scan.used[n / 64] & (1UL << (n % 64)))
			continue;
		snprintf(id, sizeof(id), "%s%u", scan.prefix, n);
		req->params.id = req->id = id;
		err = blkjob_job_new(ctx, &req->params, reply);
		if (err != -EEXIST)
			return err;
	}
	return -EEXIST;
}

/* ------------------------------------------------------------------ */
/* wait                                                                */
/* ------------------------------------------------------------------ */

/* The progress bar's state. */
struct bar {
	const char *id;
	bool drawn;
	double last_t, rate;
	uint64_t last_off;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fmt_eta(char *buf, size_t len, double secs)
{
	unsigned long s = secs;

	if (secs < 0 || secs > 359999)
		snprintf(buf, len, "--:--");
	else if (s >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60,
			 s % 60);
	else
		snprintf(buf, len, "%lu:%02lu", s / 60, s % 60);
}

/* Redraw "id status [####    ] 45% 28.8M/64M 50.0M/s ETA 0:07". */
static void draw_bar(const struct blkjob_job *j, void *arg)
{
	char done[32], total[32], rate[40], eta[24], bar[31];
	struct bar *b = arg;
	double t = now(), frac, dt;
	int i, fill;

	if (!b->drawn)
		b->last_off = j->offset;
	b->drawn = true;
	dt = t - b->last_t;
	if (dt >= 0.2) {
		double inst = (j->offset - b->last_off) / dt;

		/* Smooth it: rate limiting makes bursts at slice edges. */
		b->rate = b->rate ? 0.7 * b->rate + 0.3 * inst : inst;
		b->last_t = t;
		b->last_off = j->offset;
	}
	frac = j->len ? (double)j->offset / j->len : 0;
	if (frac > 1)
		frac = 1;
	fill = frac * 30;
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : ' ';
	bar[30] = '\0';
	blkjob_format_size(rate, sizeof(rate) - 2, (uint64_t)b->rate);
	strcat(rate, "/s");
	fmt_eta(eta, sizeof(eta), b->rate > 0 ?
		(j->len - j->offset) / b->rate : -1);
	printf("\r\033[K%s %s [%s] %3d%% %s/%s %s ETA %s", b->id,
	       blkjob_job_status_str(j->status) ?: "?", bar,
	       (int)(frac * 100),
	       blkjob_format_size(done, sizeof(done), j->offset),
	       blkjob_format_size(total, sizeof(total), j->len), rate, eta);
	fflush(stdout);
}

int wait_job(struct blkjob_ctx *ctx, struct wait_opts *o,
	     struct blkjob_job *last)
{
	struct bar b = { .id = o->id, .last_t = now() };
	struct blkjob_wait_opts wo = {
		.status = o->status, .timeout = o->timeout, .stop = &interrupted,
	};
	enum blkjob_wait_end end;
	int err;

	if (o->bar && isatty(STDOUT_FILENO)) {
		wo.progress = draw_bar;
		wo.arg = &b;
		wo.tick_ms = 500;
	}
	o->over = false;
	catch_signals();
	err = blkjob_job_wait(ctx, o->id, &wo, last, &end);
	if (b.drawn)
		putchar('\n');
	if (err)
		return fail(ctx, err);
	o->over = end != BLKJOB_WAIT_STOPPED && end != BLKJOB_WAIT_TIMEOUT;
	switch (end) {
	case BLKJOB_WAIT_REACHED:
	case BLKJOB_WAIT_DONE:
		return EXIT_OK;
	case BLKJOB_WAIT_EARLY:
		fprintf(stderr, "Error: job '%s' ended before reaching status '%s'.\n",
			o->id, blkjob_job_status_str(o->status));
		break;
	case BLKJOB_WAIT_CANCELLED:
		fprintf(stderr, "Error: job '%s' was cancelled.\n", o->id);
		break;
	case BLKJOB_WAIT_FAILED:
		fprintf(stderr, "Error: job '%s' failed: %s.\n", o->id,
			last ? last->error : "see its status");
		break;
	case BLKJOB_WAIT_STOPPED:
	case BLKJOB_WAIT_TIMEOUT:
		report(end == BLKJOB_WAIT_STOPPED ? "interrupted" : "timed out",
		       NULL);
		break;
	}
	return EXIT_FAIL;
}

static int cmd_wait(struct blkjob_ctx *ctx, struct printer *p,
		    const struct request *req)
{
	struct wait_opts o = {
		.id = req->id, .status = req->wait_status,
		.timeout = req->timeout, .bar = !req->json && !req->quiet,
	};
	struct blkjob_job *job = malloc(sizeof(*job));
	int code;

	if (!job)
		return fail(NULL, -ENOMEM);
	code = wait_job(ctx, &o, job);
	/* Interrupted or timed out: nothing final worth printing. */
	if (!req->quiet && o.over)
		print_job(p, job, VIEW_LINE);
	free(job);
	return code;
}

static int cmd_new(struct blkjob_ctx *ctx, struct printer *p,
		   struct request *req)
{
	struct blkjob_job *job = malloc(sizeof(*job));
	int err;

	if (!job)
		return fail(NULL, -ENOMEM);
	err = new_job(ctx, req, job);
	if (!err && !req->wait && !req->quiet)
		print_job(p, job, VIEW_FULL);
	free(job);
	if (err)
		return fail(ctx, err);
	if (req->wait) {
		req->wait_status = -1;
		return cmd_wait(ctx, p, req);
	}
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* monitor                                                             */
/* ------------------------------------------------------------------ */

struct mon_state {
	struct printer *p;
	bool timestamp;
};

static void timestamp(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	size_t n;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06ld", (long)tv.tv_usec);
}

static int on_mon_event(const struct blkjob_event *ev, void *arg)
{
	struct mon_state *ms = arg;
	char ts[48];

	if (ms->timestamp)
		timestamp(ts, sizeof(ts));
	print_event(ms->p, ev, ms->timestamp ? ts : NULL);
	return 0;
}

static int cmd_monitor(struct printer *p, const struct request *req)
{
	struct mon_state ms = { .p = p, .timestamp = req->timestamp };
	struct blkjob_monitor *mon = blkjob_monitor_open();
	struct pollfd pfd;
	int err;

	if (!mon) {
		if (errno == ENOENT)
			report("generic netlink family 'blkjob' not found (is the blkjob module loaded?)",
			       NULL);
		else
			report(strerror(errno), NULL);
		return EXIT_FAIL;
	}
	catch_signals();
	pfd.fd = blkjob_monitor_fd(mon);
	pfd.events = POLLIN;
	while (!interrupted) {
		if (poll(&pfd, 1, -1) < 0)
			continue;	/* EINTR: check the flag */
		err = blkjob_monitor_read(mon, on_mon_event, &ms);
		if (err == -ENOBUFS) {
			fprintf(stderr, "Warning: events were lost (receive buffer overrun).\n");
		} else if (err < 0) {
			blkjob_monitor_close(mon);
			return fail(NULL, err);
		}
	}
	blkjob_monitor_close(mon);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */

int run_request(struct request *req)
{
	struct blkjob_ctx *ctx;
	struct printer p;
	int code;

	pr_init(&p, stdout, req->json, req->pretty);
	/* -q: keep errors and exit codes, drop what success prints. */
	if (req->quiet)
		p.fp = fopen("/dev/null", "w") ?: stdout;
	if (req->cmd == CMD_MONITOR)
		return cmd_monitor(&p, req);
	/* udev runs it before the module may be loaded: no netlink. */
	if (req->cmd == CMD_META && req->meta_verb == META_PROBE)
		return cmd_meta_probe(req);
	if (req->cmd == CMD_MIRROR || req->cmd == CMD_BACKUP ||
	    req->cmd == CMD_WRAP || req->cmd == CMD_RESTORE ||
	    req->cmd == CMD_ACTIVATE) {
		code = run_dm_request(req, &p);
		goto out;
	}
	ctx = open_ctx();
	if (!ctx)
		return EXIT_FAIL;
	switch (req->cmd) {
	case CMD_NEW:
	case CMD_COPY:
		code = cmd_new(ctx, &p, req);
		break;
	case CMD_LIST:
		code = cmd_list(ctx, &p);
		break;
	case CMD_SHOW:
		code = cmd_show(ctx, &p, req->id);
		break;
	case CMD_TXN:
		code = cmd_txn(ctx, &p, req);
		break;
	case CMD_WAIT:
		code = cmd_wait(ctx, &p, req);
		break;
	case CMD_META:
		code = cmd_meta(ctx, &p, req);
		break;
	default:
		code = cmd_verb(ctx, &p, req);
		break;
	}
	blkjob_close(ctx);
out:
	if (p.fp != stdout)
		fclose(p.fp);
	return code;
}
