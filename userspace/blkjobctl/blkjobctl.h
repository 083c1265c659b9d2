/* SPDX-License-Identifier: GPL-2.0 */
/*
 * blkjobctl internals. The command line is parsed into a struct request
 * (parse.c, no kernel needed, unit tested), then executed (exec.c). All
 * output goes through one printer (print.c) that writes text or JSON.
 */
#ifndef BLKJOBCTL_H
#define BLKJOBCTL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "libblkjob.h"

/* Exit codes, documented in blkjobctl help and blkjobctl(8). */
#define EXIT_OK		0
#define EXIT_FAIL	1	/* the kernel refused, or the job failed */
#define EXIT_USAGE	2	/* bad command line */

/* ---- printer (print.c) ---- */

/* Who sees a field: both formats, text only, or JSON only. */
enum pr_vis { PR_ANY, PR_TEXT, PR_JSON };

#define PR_MAX_DEPTH 8

struct printer {
	FILE *fp;
	bool json;
	bool pretty;
	int depth;
	bool first[PR_MAX_DEPTH];	/* no member yet at this depth */
};

void pr_init(struct printer *p, FILE *fp, bool json, bool pretty);
/* Objects and arrays are JSON structure only; @key NULL in an array. */
void pr_open_obj(struct printer *p, const char *key);
void pr_close_obj(struct printer *p);
void pr_open_arr(struct printer *p, const char *key);
void pr_close_arr(struct printer *p);
/*
 * A field: JSON gets "key": value, text gets @fmt (one conversion: %s for
 * strings, sizes and booleans, PRIu64 for numbers) formatted with it.
 */
void pr_string(struct printer *p, enum pr_vis vis, const char *key,
	       const char *fmt, const char *val);
void pr_u64(struct printer *p, enum pr_vis vis, const char *key,
	    const char *fmt, uint64_t val);
/* Text shows "on"/"off"; JSON true/false. */
void pr_bool(struct printer *p, enum pr_vis vis, const char *key,
	     const char *fmt, bool val);
/* Text shows "64K"; JSON the raw number of bytes. */
void pr_size(struct printer *p, enum pr_vis vis, const char *key,
	     const char *fmt, uint64_t val);
/* Text shows "50M/s" or "unlimited"; JSON bytes per second. */
void pr_speed(struct printer *p, enum pr_vis vis, const char *key,
	      const char *fmt, uint64_t val);
/* Text-only literal text (separators, newlines). */
void pr_text(struct printer *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- job and event output (output.c) ---- */

enum job_view {
	VIEW_LINE,	/* one line (list) */
	VIEW_FULL,	/* every attribute (show, new) */
};
void print_job(struct printer *p, const struct blkjob_job *job,
	       enum job_view view);
/* The same, as member @key of an enclosing JSON object. */
void print_job_member(struct printer *p, const char *key,
		      const struct blkjob_job *job, enum job_view view);
/* One line (or one JSON object) per event; @ts NULL for none. */
void print_event(struct printer *p, const struct blkjob_event *ev,
		 const char *ts);
/* Short event name: "status", "ready", ... ("unknown" otherwise). */
const char *event_name(unsigned int cmd);

/* ---- request (parse.c) ---- */

enum command {
	CMD_NONE,
	CMD_HELP,
	CMD_VERSION,
	CMD_NEW,
	CMD_COPY,
	CMD_LIST,
	CMD_SHOW,
	CMD_PAUSE,
	CMD_RESUME,
	CMD_CANCEL,
	CMD_COMPLETE,
	CMD_FINALIZE,
	CMD_DISMISS,
	CMD_SET_SPEED,
	CMD_CHANGE,
	CMD_TXN,
	CMD_MONITOR,
	CMD_WAIT,
	CMD_MIRROR,	/* live, through the dm target (dm.c) */
	CMD_BACKUP,
	CMD_WRAP,
	CMD_RESTORE,
	CMD_META,	/* meta format|show METADEV */
	CMD_ACTIVATE,
};

enum meta_verb { META_FORMAT = 1, META_SHOW, META_PROBE };

#define MAX_METAS	16

#define MAX_TXN_JOBS	64

struct request {
	enum command cmd;
	enum command help_cmd;			/* help CMD, CMD help */
	/* global options */
	bool json;
	bool pretty;
	bool quiet;
	bool timestamp;
	/* arguments */
	const char *id;
	struct blkjob_job_params params;	/* new, copy */
	bool wait;				/* new/copy ... wait */
	bool complete;				/* mirror ... complete */
	bool below_lvm;				/* mirror ... below-lvm */
	const char *wipe_backup;		/* mirror, restore */
	const char *key_file;		/* mirror, restore */
	bool force;				/* cancel, restore */
	const char *dev;			/* wrap DEV, restore SRC */
	const char *name;			/* wrap DEV NAME */
	const char *meta;			/* wrap ... meta, meta VERB */
	enum meta_verb meta_verb;		/* meta */
	unsigned int nmetas;			/* activate [METADEV...] */
	const char *metas[MAX_METAS];
	uint64_t speed;				/* set-speed */
	uint32_t copy_mode;			/* change */
	uint32_t completion_mode;		/* txn */
	bool has_completion_mode;
	unsigned int njobs;			/* txn */
	struct blkjob_job_params jobs[MAX_TXN_JOBS];
	int wait_status;			/* wait: -1 = until the end */
	unsigned int timeout;			/* wait: seconds, 0 = none */
	char err[256];				/* usage error message */
};

/*
 * Parse argv (argv[0] is the program) into @req. Returns 0, or -1 with a
 * message in req->err (a usage error: exit code 2). Pointers in @req point
 * into argv.
 */
int parse_cmdline(int argc, char **argv, struct request *req);
/* Name of a command as typed ("set-speed"). */
const char *command_name(enum command cmd);
void print_usage(FILE *fp);
/* One command's usage (help.c). */
void print_cmd_usage(FILE *fp, enum command cmd);

/* ---- metadata devices (meta.c) ---- */

int cmd_meta(struct blkjob_ctx *ctx, struct printer *p,
	     const struct request *req);
/* For udev: BLKJOB_META=1 and 0 when METADEV has a label, else 1. */
int cmd_meta_probe(const struct request *req);
int cmd_activate(struct blkjob_ctx *ctx, struct printer *p,
		 const struct request *req);

/* ---- execution (exec.c) ---- */

/* Run a parsed request; returns the exit code. */
int run_request(struct request *req);

/* Shared with dm.c and meta.c. */
extern volatile sig_atomic_t interrupted;
void catch_signals(void);
/* "Error: <msg><extra>." on stderr. */
void report(const char *msg, const char *extra);
/* Report a failed libblkjob call (extack message or strerror); EXIT_FAIL. */
int fail(struct blkjob_ctx *ctx, int err);
struct blkjob_ctx *open_ctx(void);
/* job-new of req->params; without an id, the first free "<type>N". */
int new_job(struct blkjob_ctx *ctx, struct request *req,
	    struct blkjob_job *reply);

struct wait_opts {
	const char *id;
	int status;		/* status to wait for, -1 for the end */
	unsigned int timeout;	/* seconds, 0 for none */
	bool bar;		/* progress bar (only on a terminal) */
	bool over;		/* out: the job reached @status or ended */
};
/*
 * Wait for a job as 'blkjobctl wait' does, printing nothing but the bar
 * and errors. *@last gets the job's last known state. Returns the exit
 * code; interrupted (^C) or timed out: EXIT_FAIL with o->over false.
 */
int wait_job(struct blkjob_ctx *ctx, struct wait_opts *o,
	     struct blkjob_job *last);

/* ---- device-mapper plumbing (dm.c) ---- */

int run_dm_request(struct request *req, struct printer *p);

#endif /* BLKJOBCTL_H */
