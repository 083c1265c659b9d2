// SPDX-License-Identifier: GPL-2.0
/*
 * Command line -> struct request. Nothing here talks to the kernel, so
 * every usage error is caught (and unit tested) before a socket exists.
 *
 * Grammar: global options are dashed (-j, --json) and come before the
 * command; command arguments are iproute2-style keywords followed by their
 * value ("speed 50M"), which may also be spelled as long options
 * ("--speed 50M", "--wait").
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "blkjobctl.h"

static const struct {
	const char *name;
	enum command cmd;
} commands[] = {
	{ "new", CMD_NEW },
	{ "copy", CMD_COPY },
	{ "list", CMD_LIST },
	{ "show", CMD_SHOW },
	{ "pause", CMD_PAUSE },
	{ "resume", CMD_RESUME },
	{ "cancel", CMD_CANCEL },
	{ "complete", CMD_COMPLETE },
	{ "finalize", CMD_FINALIZE },
	{ "dismiss", CMD_DISMISS },
	{ "set-speed", CMD_SET_SPEED },
	{ "change", CMD_CHANGE },
	{ "txn", CMD_TXN },
	{ "monitor", CMD_MONITOR },
	{ "wait", CMD_WAIT },
	{ "mirror", CMD_MIRROR },
	{ "backup", CMD_BACKUP },
	{ "wrap", CMD_WRAP },
	{ "restore", CMD_RESTORE },
	{ "meta", CMD_META },
	{ "activate", CMD_ACTIVATE },
	{ "help", CMD_HELP },
	{ "version", CMD_VERSION },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *command_name(enum command cmd)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (commands[i].cmd == cmd)
			return commands[i].name;
	return "?";
}

/* Record a usage error; always returns -1. */
static int __attribute__((format(printf, 2, 3)))
usage_err(struct request *req, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(req->err, sizeof(req->err), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Is @w the command keyword @kw, spelled "kw" or "--kw"? getopt habits
 * ("--speed 50M") then work too, with the same meaning.
 */
static bool is_kw(const char *w, const char *kw)
{
	if (!w)
		return false;
	if (w[0] == '-' && w[1] == '-')
		w += 2;
	return !strcmp(w, kw);
}

/* Argument cursor over argv. */
struct args {
	int argc;
	char **argv;
	int i;
};

static const char *peek(const struct args *a)
{
	return a->i < a->argc ? a->argv[a->i] : NULL;
}

static const char *next(struct args *a)
{
	return a->i < a->argc ? a->argv[a->i++] : NULL;
}

/* The value after keyword @kw, or NULL with a usage error. */
static const char *value_of(struct request *req, struct args *a,
			    const char *kw)
{
	const char *v = next(a);

	if (!v)
		usage_err(req, "'%s' needs a value", kw);
	return v;
}

/* Library parsers write their message into req->err: a usage error. */
static int parse_enum(struct request *req, const char *what, const char *spec,
		      const char *s, uint32_t *out)
{
	return blkjob_parse_enum_value(what, spec, s, out, req->err,
				       sizeof(req->err)) ? -1 : 0;
}

static int parse_size_arg(struct request *req, const char *kw, const char *s,
			  uint64_t *out, bool speed)
{
	return blkjob_parse_size_value(kw, s, speed, out, req->err,
				       sizeof(req->err)) ? -1 : 0;
}

static int check_id(struct request *req, const char *id)
{
	return blkjob_job_id_check(id, req->err, sizeof(req->err)) ? -1 : 0;
}

static int need_id(struct request *req, struct args *a)
{
	const char *id = next(a);

	if (!id)
		return usage_err(req, "'%s' needs a job id",
				 command_name(req->cmd));
	req->id = id;
	return check_id(req, id);
}

/*
 * One JOB-OPTS keyword (libblkjob's job parameters) at the cursor.
 * Returns 1 when consumed, 0 when the word is not a job option, -1 on
 * error.
 */
static int parse_job_opt(struct request *req, struct args *a,
			 struct blkjob_job_params *p)
{
	const char *kw = peek(a), *v;

	if (kw && kw[0] == '-' && kw[1] == '-')
		kw += 2;
	if (!kw || !blkjob_job_param_known(kw))
		return 0;
	a->i++;
	v = value_of(req, a, kw);
	if (!v || blkjob_job_param_set(p, kw, v, req->err, sizeof(req->err)))
		return -1;
	return 1;
}

/* ID TYPE SOURCE TARGET, as new and txn's job take them. */
static int parse_job_head(struct request *req, struct args *a,
			  struct blkjob_job_params *p, const char *what)
{
	const char *type, *src, *dst;

	if (need_id(req, a))
		return -1;
	p->id = req->id;
	type = next(a);
	src = next(a);
	dst = next(a);
	if (!dst)
		return usage_err(req, "%s needs ID TYPE SOURCE TARGET", what);
	if (parse_enum(req, "job type", "job-type", type, &p->type))
		return -1;
	p->source = src;
	p->target = dst;
	return 0;
}

static int unknown_arg(struct request *req, const char *arg)
{
	return usage_err(req, "unexpected argument '%s' for '%s'", arg,
			 command_name(req->cmd));
}

/* JOB-OPTS and (if @wait_ok) "wait", up to the end or a word not ours. */
static int parse_job_opts(struct request *req, struct args *a,
			  struct blkjob_job_params *p, bool wait_ok)
{
	int ret;

	while (peek(a)) {
		if (wait_ok && is_kw(peek(a), "wait")) {
			if (req->wait)
				return usage_err(req, "'wait' given twice");
			req->wait = true;
			a->i++;
			continue;
		}
		ret = parse_job_opt(req, a, p);
		if (ret < 0)
			return -1;
		if (!ret)
			break;
	}
	return 0;
}

static int parse_new(struct request *req, struct args *a)
{
	if (parse_job_head(req, a, &req->params, "new"))
		return -1;
	if (parse_job_opts(req, a, &req->params, true))
		return -1;
	return peek(a) ? unknown_arg(req, peek(a)) : 0;
}

/*
 * "wipe-backup DIR": where the signatures a retired source loses go;
 * "key-file FILE": what unlocks a LUKS2 mapping whose key cryptsetup took
 * out of the kernel keyring.
 */
static int parse_path_opt(struct request *req, struct args *a)
{
	bool wipe = is_kw(peek(a), "wipe-backup");
	const char **v = wipe ? &req->wipe_backup : &req->key_file;

	a->i++;
	if (*v)
		return usage_err(req, "'%s' given twice",
				 wipe ? "wipe-backup" : "key-file");
	*v = next(a);
	if (!*v)
		return usage_err(req, "%s", wipe ? "wipe-backup needs DIR" :
				 "key-file needs FILE");
	return 1;
}

static bool is_path_opt(const char *w)
{
	return is_kw(w, "wipe-backup") || is_kw(w, "key-file");
}

/*
 * Mirror only: "complete" (it implies waiting), "below-lvm" (the
 * acknowledgement that moving an LVM volume leaves LVM's metadata behind),
 * "wipe-backup DIR" and "key-file FILE".
 */
static int parse_mirror_flag(struct request *req, struct args *a)
{
	bool *flag;

	if (req->cmd != CMD_MIRROR || !peek(a))
		return 0;
	if (is_path_opt(peek(a)))
		return parse_path_opt(req, a);
	if (is_kw(peek(a), "complete"))
		flag = &req->complete;
	else if (is_kw(peek(a), "below-lvm"))
		flag = &req->below_lvm;
	else
		return 0;
	if (*flag)
		return usage_err(req, "'%s' given twice", peek(a) +
				 (peek(a)[0] == '-' ? 2 : 0));
	*flag = true;
	a->i++;
	return 1;
}

static bool is_mirror_flag(const struct request *req, const char *w)
{
	return req->cmd == CMD_MIRROR &&
	       (is_kw(w, "complete") || is_kw(w, "below-lvm") ||
		is_path_opt(w));
}

/* copy, mirror, backup: SOURCE TARGET [id ID] [JOB-OPTS] [wait] ... */
static int parse_copy(struct request *req, struct args *a)
{
	struct blkjob_job_params *p = &req->params;
	int ret;

	p->type = req->cmd == CMD_MIRROR ? BLKJOB_JOB_TYPE_MIRROR :
		  req->cmd == CMD_BACKUP ? BLKJOB_JOB_TYPE_BACKUP :
		  BLKJOB_JOB_TYPE_COPY;
	p->source = next(a);
	p->target = next(a);
	if (!p->target)
		return usage_err(req, "%s needs %s", command_name(req->cmd),
				 req->cmd == CMD_COPY ? "SOURCE TARGET" :
				 "SRC DST");
	req->dev = p->source;
	while (peek(a)) {
		if (is_kw(peek(a), "id")) {
			a->i++;
			if (req->id)
				return usage_err(req, "'id' given twice");
			if (need_id(req, a))
				return -1;
			continue;
		}
		ret = parse_mirror_flag(req, a);
		if (ret < 0)
			return -1;
		if (ret)
			continue;
		if (parse_job_opts(req, a, p, true))
			return -1;
		if (peek(a) && !is_kw(peek(a), "id") &&
		    !is_mirror_flag(req, peek(a)))
			return unknown_arg(req, peek(a));
	}
	/* No id: exec picks a free "<type>N". */
	p->id = req->id;
	return 0;
}

/* A device-mapper name: what the DM_NAME_LEN buffer and /dev/mapper take. */
static int check_dm_name(struct request *req, const char *name)
{
	if (!*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return usage_err(req, "invalid device-mapper name '%s'", name);
	/* Leave room for the "-blkjob-real" helper of a later move. */
	if (strlen(name) > 115)
		return usage_err(req,
				 "device-mapper name '%s' is longer than 115 characters",
				 name);
	return 0;
}

static int parse_wrap(struct request *req, struct args *a)
{
	const char *w;

	req->dev = next(a);
	req->name = next(a);
	if (!req->name)
		return usage_err(req, "wrap needs DEV NAME");
	if (check_dm_name(req, req->name))
		return -1;
	while ((w = next(a))) {
		if (is_kw(w, "meta") && !req->meta) {
			req->meta = next(a);
			if (!req->meta)
				return usage_err(req, "meta needs METADEV");
		} else {
			return unknown_arg(req, w);
		}
	}
	return 0;
}

static int parse_meta(struct request *req, struct args *a)
{
	const char *verb = next(a), *w;

	if (is_kw(verb, "format"))
		req->meta_verb = META_FORMAT;
	else if (is_kw(verb, "show"))
		req->meta_verb = META_SHOW;
	else if (is_kw(verb, "probe"))
		req->meta_verb = META_PROBE;
	else
		return usage_err(req, "meta needs format, show or probe");
	req->meta = next(a);
	if (!req->meta)
		return usage_err(req, "meta %s needs METADEV", verb);
	while ((w = next(a))) {
		if (req->meta_verb == META_FORMAT && is_kw(w, "force") &&
		    !req->force)
			req->force = true;
		else
			return unknown_arg(req, w);
	}
	return 0;
}

static int parse_activate(struct request *req, struct args *a)
{
	const char *w;

	while ((w = next(a))) {
		if (req->nmetas == MAX_METAS)
			return usage_err(req, "at most %d metadata devices",
					 MAX_METAS);
		req->metas[req->nmetas++] = w;
	}
	return 0;
}

static int parse_restore(struct request *req, struct args *a)
{
	const char *w;

	req->dev = next(a);
	if (!req->dev)
		return usage_err(req, "restore needs SRC");
	while ((w = peek(a))) {
		if (is_path_opt(w)) {
			if (parse_path_opt(req, a) < 0)
				return -1;
			continue;
		}
		a->i++;
		if (is_kw(w, "force") && !req->force)
			req->force = true;
		else if (is_kw(w, "wait") && !req->wait)
			req->wait = true;
		else
			return unknown_arg(req, w);
	}
	return 0;
}

static int parse_txn(struct request *req, struct args *a)
{
	const char *w;

	while ((w = next(a))) {
		if (is_kw(w, "completion-mode")) {
			if (req->has_completion_mode)
				return usage_err(req,
						 "'completion-mode' given twice");
			w = value_of(req, a, "completion-mode");
			if (!w || parse_enum(req, "completion-mode",
					     "completion-mode", w,
					     &req->completion_mode))
				return -1;
			req->has_completion_mode = true;
		} else if (is_kw(w, "job")) {
			struct blkjob_job_params *p;

			if (req->njobs == MAX_TXN_JOBS)
				return usage_err(req,
						 "at most %d jobs in a transaction",
						 MAX_TXN_JOBS);
			p = &req->jobs[req->njobs++];
			if (parse_job_head(req, a, p, "job") ||
			    parse_job_opts(req, a, p, false))
				return -1;
		} else {
			return unknown_arg(req, w);
		}
	}
	if (!req->njobs)
		return usage_err(req, "txn needs at least one 'job ...'");
	return 0;
}

static int parse_wait(struct request *req, struct args *a)
{
	bool has_status = false, has_timeout = false;
	const char *w, *v;
	uint32_t st;
	uint64_t n;

	if (need_id(req, a))
		return -1;
	req->wait_status = -1;
	while ((w = next(a))) {
		if (is_kw(w, "status") && !has_status) {
			v = value_of(req, a, w);
			if (!v || parse_enum(req, "status", "job-status", v,
					     &st))
				return -1;
			req->wait_status = st;
			has_status = true;
		} else if (is_kw(w, "timeout") && !has_timeout) {
			v = value_of(req, a, w);
			if (!v)
				return -1;
			/* Whole seconds: plain digits, no units. */
			if (blkjob_parse_size(v, &n) || strspn(v, "0123456789")
			    != strlen(v) || n > 86400 * 365)
				return usage_err(req,
						 "invalid timeout '%s' (whole seconds)",
						 v);
			req->timeout = n;
			has_timeout = true;
		} else {
			return unknown_arg(req, w);
		}
	}
	return 0;
}

/* Commands of the form "VERB ID" plus their optional extras. */
static int parse_id_cmd(struct request *req, struct args *a)
{
	const char *w, *v;

	if (need_id(req, a))
		return -1;
	switch (req->cmd) {
	case CMD_CANCEL:
		if (is_kw(peek(a), "force")) {
			req->force = true;
			a->i++;
		}
		break;
	case CMD_SET_SPEED:
		v = next(a);
		if (!v)
			return usage_err(req, "set-speed needs ID SPEED");
		if (parse_size_arg(req, "speed", v, &req->speed, true))
			return -1;
		break;
	case CMD_CHANGE:
		w = next(a);
		if (!is_kw(w, "copy-mode"))
			return usage_err(req, "change needs ID copy-mode MODE");
		v = value_of(req, a, "copy-mode");
		if (!v || parse_enum(req, "copy-mode", "copy-mode", v,
				     &req->copy_mode))
			return -1;
		break;
	default:
		break;
	}
	return peek(a) ? unknown_arg(req, peek(a)) : 0;
}

static int parse_monitor(struct request *req, struct args *a)
{
	const char *w;

	while ((w = next(a))) {
		if (!strcmp(w, "-t") || !strcmp(w, "--timestamp"))
			req->timestamp = true;
		else
			return unknown_arg(req, w);
	}
	return 0;
}

/* One global option word (may bundle short flags: -jp). */
static int parse_option(struct request *req, const char *w)
{
	static const struct {
		const char *lng;
		char shrt;
	} opts[] = {
		{ "json", 'j' }, { "pretty", 'p' }, { "quiet", 'q' },
		{ "timestamp", 't' }, { "version", 'V' }, { "help", 'h' },
	};
	size_t i;
	char c;

	if (w[1] == '-') {
		for (i = 0; i < ARRAY_SIZE(opts); i++)
			if (!strcmp(w + 2, opts[i].lng))
				break;
		if (i == ARRAY_SIZE(opts))
			return usage_err(req, "unknown option '%s'", w);
		c = opts[i].shrt;
		w = NULL;
	} else {
		c = *++w;
		if (!c)
			return usage_err(req, "unknown option '-'");
	}
	do {
		switch (c) {
		case 'j':
			req->json = true;
			break;
		case 'p':
			req->pretty = true;
			break;
		case 'q':
			req->quiet = true;
			break;
		case 't':
			req->timestamp = true;
			break;
		case 'V':
			req->cmd = CMD_VERSION;
			break;
		case 'h':
			req->cmd = CMD_HELP;
			break;
		default:
			return usage_err(req, "unknown option '-%c'", c);
		}
	} while (w && (c = *++w));
	return 0;
}

static enum command find_command(const char *w)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(w, commands[i].name))
			return commands[i].cmd;
	return CMD_NONE;
}

/* help [COMMAND] */
static int parse_help(struct request *req, struct args *a)
{
	const char *w = next(a);

	if (!w)
		return 0;
	req->help_cmd = find_command(w);
	if (req->help_cmd == CMD_NONE)
		return usage_err(req, "unknown command '%s'", w);
	return peek(a) ? unknown_arg(req, peek(a)) : 0;
}

/* "CMD help", "CMD -h", "CMD --help": CMD's usage, ignoring the rest. */
static bool wants_help(const char *w)
{
	return w && (!strcmp(w, "help") || !strcmp(w, "-h") ||
		     !strcmp(w, "--help"));
}

static int parse_command(struct request *req, struct args *a)
{
	if (req->cmd != CMD_HELP && wants_help(peek(a))) {
		req->help_cmd = req->cmd;
		req->cmd = CMD_HELP;
		return 0;
	}
	switch (req->cmd) {
	case CMD_NEW:
		return parse_new(req, a);
	case CMD_COPY:
	case CMD_MIRROR:
	case CMD_BACKUP:
		return parse_copy(req, a);
	case CMD_WRAP:
		return parse_wrap(req, a);
	case CMD_RESTORE:
		return parse_restore(req, a);
	case CMD_META:
		return parse_meta(req, a);
	case CMD_ACTIVATE:
		return parse_activate(req, a);
	case CMD_SHOW:
	case CMD_PAUSE:
	case CMD_RESUME:
	case CMD_CANCEL:
	case CMD_COMPLETE:
	case CMD_FINALIZE:
	case CMD_DISMISS:
	case CMD_SET_SPEED:
	case CMD_CHANGE:
		return parse_id_cmd(req, a);
	case CMD_TXN:
		return parse_txn(req, a);
	case CMD_MONITOR:
		return parse_monitor(req, a);
	case CMD_WAIT:
		return parse_wait(req, a);
	case CMD_HELP:
		return parse_help(req, a);
	default:	/* list, version: no arguments */
		return peek(a) ? unknown_arg(req, peek(a)) : 0;
	}
}

int parse_cmdline(int argc, char **argv, struct request *req)
{
	struct args a = { .argc = argc, .argv = argv, .i = 1 };
	const char *w;

	memset(req, 0, sizeof(*req));
	req->wait_status = -1;
	while ((w = peek(&a)) && w[0] == '-' && strcmp(w, "--")) {
		if (parse_option(req, w))
			return -1;
		a.i++;
	}
	if (w && !strcmp(w, "--"))
		a.i++;
	/* -V and -h win over whatever follows, like most tools. */
	if (req->cmd == CMD_VERSION || req->cmd == CMD_HELP)
		return 0;
	w = next(&a);
	if (!w)
		return usage_err(req, "no command given");
	req->cmd = find_command(w);
	if (req->cmd == CMD_NONE)
		return usage_err(req, "unknown command '%s'", w);
	return parse_command(req, &a);
}
