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

struct waiter {
	const char *id;
	int want;			/* status, or -1 for the end */
	struct blkjob_job job;		/* what we know, merged */
	bool cancelled;			/* job-cancelled-ntf seen */
	bool ended;			/* concluded/null/completed seen */
	/* progress */
	bool bar;
	double t0, last_t, rate;
	uint64_t last_off;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Fold what an event or job-get said into w->job: attributes it carried
 * replace ours, the others (an event carries fewer) stay.
 */
static void merge(struct waiter *w, const struct blkjob_job *j)
{
	struct blkjob_job *m = &w->job;
	uint64_t had = m->present;
	char error[sizeof(m->error)];
	bool note;

	/*
	 * A job waiting or pending may carry an error that is only a note
	 * (a pending mirror whose source went stale); it goes if the job
	 * then moves on without one (finalized).
	 */
	note = BLKJOB_HAS(had, BLKJOB_A_JOB_STATUS) &&
	       (m->status == BLKJOB_JOB_STATUS_WAITING ||
		m->status == BLKJOB_JOB_STATUS_PENDING) &&
	       BLKJOB_HAS(j->present, BLKJOB_A_JOB_STATUS) &&
	       j->status != m->status;
	memcpy(error, m->error, sizeof(error));
	if (j->present == (j->present | had)) {
		*m = *j;	/* carries everything we knew: take it all */
	} else {
#define TAKE(A, f) do {						\
		if (BLKJOB_HAS(j->present, BLKJOB_A_JOB_##A))		\
			m->f = j->f;					\
	} while (0)
		TAKE(STATUS, status);
		TAKE(LEN, len);
		TAKE(OFFSET, offset);
		TAKE(SPEED, speed);
		TAKE(IO_STATUS, io_status);
		TAKE(PAUSED, paused);
		TAKE(READY, ready);
		TAKE(BUSY, busy);
#undef TAKE
		m->present |= j->present & (BLKJOB_F(BLKJOB_A_JOB_STATUS) |
			BLKJOB_F(BLKJOB_A_JOB_LEN) |
			BLKJOB_F(BLKJOB_A_JOB_OFFSET) |
			BLKJOB_F(BLKJOB_A_JOB_SPEED) |
			BLKJOB_F(BLKJOB_A_JOB_IO_STATUS) |
			BLKJOB_F(BLKJOB_A_JOB_PAUSED) |
			BLKJOB_F(BLKJOB_A_JOB_READY) |
			BLKJOB_F(BLKJOB_A_JOB_BUSY));
	}
	/* Once failed, a job stays failed whatever later messages omit. */
	if (BLKJOB_HAS(j->present, BLKJOB_A_JOB_ERROR)) {
		memcpy(m->error, j->error, sizeof(m->error));
		m->present |= BLKJOB_F(BLKJOB_A_JOB_ERROR);
	} else if (error[0] && !note) {
		memcpy(m->error, error, sizeof(m->error));
		m->present |= BLKJOB_F(BLKJOB_A_JOB_ERROR);
	} else if (note) {
		m->error[0] = '\0';
		had &= ~BLKJOB_F(BLKJOB_A_JOB_ERROR);
	}
	m->present |= had;
	if (BLKJOB_HAS(j->present, BLKJOB_A_JOB_STATUS) &&
	    (j->status == BLKJOB_JOB_STATUS_CONCLUDED ||
	     j->status == BLKJOB_JOB_STATUS_NULL))
		w->ended = true;
}

static int on_wait_event(const struct blkjob_event *ev, void *arg)
{
	struct waiter *w = arg;

	if (strcmp(ev->job.id, w->id))
		return 0;
	if (ev->cmd == BLKJOB_CMD_JOB_ERROR_NTF)
		return 0;	/* its attributes are not the job's state */
	merge(w, &ev->job);
	if (ev->cmd == BLKJOB_CMD_JOB_CANCELLED_NTF)
		w->cancelled = true;
	if (ev->cmd == BLKJOB_CMD_JOB_COMPLETED_NTF ||
	    ev->cmd == BLKJOB_CMD_JOB_CANCELLED_NTF)
		w->ended = true;
	return 0;
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
static void draw_bar(struct waiter *w)
{
	const struct blkjob_job *j = &w->job;
	char done[32], total[32], rate[40], eta[24], bar[31];
	double t = now(), frac, dt;
	int i, fill;

	dt = t - w->last_t;
	if (dt >= 0.2) {
		double inst = (j->offset - w->last_off) / dt;

		/* Smooth it: rate limiting makes bursts at slice edges. */
		w->rate = w->rate ? 0.7 * w->rate + 0.3 * inst : inst;
		w->last_t = t;
		w->last_off = j->offset;
	}
	frac = j->len ? (double)j->offset / j->len : 0;
	if (frac > 1)
		frac = 1;
	fill = frac * 30;
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : ' ';
	bar[30] = '\0';
	blkjob_format_size(rate, sizeof(rate) - 2, (uint64_t)w->rate);
	strcat(rate, "/s");
	fmt_eta(eta, sizeof(eta), w->rate > 0 ?
		(j->len - j->offset) / w->rate : -1);
	printf("\r\033[K%s %s [%s] %3d%% %s/%s %s ETA %s", w->id,
	       blkjob_job_status_str(j->status) ?: "?", bar,
	       (int)(frac * 100),
	       blkjob_format_size(done, sizeof(done), j->offset),
	       blkjob_format_size(total, sizeof(total), j->len), rate, eta);
	fflush(stdout);
}

/*
 * A cancelled job concludes with QEMU's error for -ECANCELED; a waiter that
 * started after the cancel sees only that, not the cancelled event.
 */
#define CANCELED_ERROR "Operation canceled"

/* 1 when the wait is over (result in *code), 0 to keep waiting. */
static int wait_done(struct waiter *w, int *code)
{
	const struct blkjob_job *j = &w->job;

	if (w->want >= 0 && BLKJOB_HAS(j->present, BLKJOB_A_JOB_STATUS) &&
	    (int)j->status == w->want) {
		*code = EXIT_OK;
		return 1;
	}
	if (!w->ended)
		return 0;
	if (w->want >= 0 && w->want != BLKJOB_JOB_STATUS_CONCLUDED &&
	    w->want != BLKJOB_JOB_STATUS_NULL) {
		fprintf(stderr, "Error: job '%s' ended before reaching status '%s'.\n",
			w->id, blkjob_job_status_str(w->want));
		*code = EXIT_FAIL;
	} else if (w->cancelled || !strcmp(j->error, CANCELED_ERROR)) {
		fprintf(stderr, "Error: job '%s' was cancelled.\n", w->id);
		*code = EXIT_FAIL;
	} else if (j->error[0]) {
		fprintf(stderr, "Error: job '%s' failed: %s.\n", w->id,
			j->error);
		*code = EXIT_FAIL;
	} else {
		*code = EXIT_OK;
	}
	return 1;
}

/* Re-read the job; a vanished job has ended (auto-dismiss). */
static int refresh(struct blkjob_ctx *ctx, struct waiter *w,
		   struct blkjob_job *tmp)
{
	int err = blkjob_job_get(ctx, w->id, tmp);

	if (!err) {
		merge(w, tmp);
		return 0;
	}
	if (err == -ENOENT && w->job.present) {
		w->ended = true;
		return 0;
	}
	return err;
}

static int do_wait(struct blkjob_ctx *ctx, struct blkjob_monitor *mon,
		   struct wait_opts *o, struct blkjob_job *last)
{
	struct waiter *w = calloc(1, sizeof(*w));
	struct blkjob_job *tmp = malloc(sizeof(*tmp));
	struct pollfd pfd = { .fd = blkjob_monitor_fd(mon), .events = POLLIN };
	double deadline = o->timeout ? now() + o->timeout : 0;
	int code = EXIT_FAIL, err, ms;

	if (!w || !tmp) {
		code = fail(NULL, -ENOMEM);
		goto out;
	}
	w->id = o->id;
	w->want = o->status;
	w->bar = o->bar && isatty(STDOUT_FILENO);
	w->t0 = w->last_t = now();
	/* Subscribed before this first read, so no change slips through. */
	err = refresh(ctx, w, tmp);
	if (err) {
		code = fail(ctx, err);
		goto out;
	}
	w->last_off = w->job.offset;
	for (;;) {
		if (w->bar)
			draw_bar(w);
		if (wait_done(w, &code)) {
			o->over = true;
			break;
		}
		if (interrupted || (deadline && now() >= deadline)) {
			if (w->bar)
				putchar('\n');
			w->bar = false;
			report(interrupted ? "interrupted" : "timed out", NULL);
			code = EXIT_FAIL;
			break;
		}
		/* Events drive the state; the poll timeout the progress. */
		ms = w->bar ? 500 : 1000;
		if (deadline && (deadline - now()) * 1000 < ms)
			ms = (deadline - now()) * 1000 + 1;
		poll(&pfd, 1, ms);
		err = blkjob_monitor_read(mon, on_wait_event, w);
		if (err < 0 && err != -ENOBUFS) {
			code = fail(NULL, err);
			goto out;
		}
		if (!w->ended) {
			err = refresh(ctx, w, tmp);
			if (err) {
				code = fail(ctx, err);
				goto out;
			}
			/*
			 * Gone (auto-dismiss): its last events were sent
			 * before it went; read them to learn how it ended.
			 */
			if (w->ended)
				blkjob_monitor_read(mon, on_wait_event, w);
		}
	}
	if (w->bar)
		putchar('\n');
	if (last)
		*last = w->job;
out:
	free(tmp);
	free(w);
	return code;
}

int wait_job(struct blkjob_ctx *ctx, struct wait_opts *o,
	     struct blkjob_job *last)
{
	struct blkjob_monitor *mon = blkjob_monitor_open();
	int code;

	o->over = false;
	if (last)
		memset(last, 0, sizeof(*last));
	if (!mon) {
		report(strerror(errno), NULL);
		return EXIT_FAIL;
	}
	catch_signals();
	code = do_wait(ctx, mon, o, last);
	blkjob_monitor_close(mon);
	return code;
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
