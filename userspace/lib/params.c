// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * job-new's optional parameters by the spec's attribute names, from values
 * as a person writes them ("50M", "on", "stop"): one rule for every tool
 * that configures jobs, with one wording of what is wrong.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "libblkjob.h"
#include "why.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum kind { K_SPEED, K_SIZE, K_SIZE32, K_ONOFF, K_ENUM };

static const struct param {
	const char *name;
	unsigned int attr;
	enum kind kind;
	size_t off;			/* in struct blkjob_job_params */
	const char *spec;		/* K_ENUM: the spec's enum name */
	int (*parse)(const char *);	/* K_ENUM */
} params[] = {
#define P(f) offsetof(struct blkjob_job_params, f)
#define SIMPLE(n, a, t, f) \
	{ .name = n, .attr = BLKJOB_A_JOB_##a, .kind = t, .off = P(f) }
#define ENUM(n, a, f, s, fn) \
	{ .name = n, .attr = BLKJOB_A_JOB_##a, .kind = K_ENUM, .off = P(f), \
	  .spec = s, .parse = fn }
	SIMPLE("speed", SPEED, K_SPEED, speed),
	SIMPLE("granularity", GRANULARITY, K_SIZE32, granularity),
	SIMPLE("buf-size", BUF_SIZE, K_SIZE, buf_size),
	SIMPLE("auto-finalize", AUTO_FINALIZE, K_ONOFF, auto_finalize),
	SIMPLE("auto-dismiss", AUTO_DISMISS, K_ONOFF, auto_dismiss),
	ENUM("on-source-error", ON_SOURCE_ERROR, on_source_error,
	     "error-policy", blkjob_error_policy_parse),
	ENUM("on-target-error", ON_TARGET_ERROR, on_target_error,
	     "error-policy", blkjob_error_policy_parse),
	ENUM("copy-mode", COPY_MODE, copy_mode, "copy-mode",
	     blkjob_copy_mode_parse),
	ENUM("sync", SYNC, sync, "sync-mode", blkjob_sync_mode_parse),
#undef SIMPLE
#undef ENUM
#undef P
};

static const struct param *find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(params); i++)
		if (!strcmp(params[i].name, name))
			return &params[i];
	return NULL;
}

bool blkjob_job_param_known(const char *name)
{
	return find(name);
}

void blkjob_enum_choices(const char *spec, char *buf, size_t len)
{
	const struct blkjob_enum *e = blkjob_enum_find(spec);
	unsigned int i;
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (i = 0; e && i < e->count && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s",
				 i ? (i + 1 == e->count ? " or " : ", ") : "",
				 e->values[i]);
}

int blkjob_parse_enum_value(const char *what, const char *spec,
			    const char *s, uint32_t *out, char *why,
			    size_t len)
{
	const struct blkjob_enum *e = blkjob_enum_find(spec);
	char choices[160];
	unsigned int i;

	for (i = 0; e && i < e->count; i++)
		if (e->values[i] && !strcmp(e->values[i], s)) {
			*out = i;
			return 0;
		}
	blkjob_enum_choices(spec, choices, sizeof(choices));
	return say(why, len, -EINVAL, "invalid %s '%s' (expected %s)", what,
		   s, choices);
}

int blkjob_parse_size_value(const char *what, const char *s, bool speed,
			    uint64_t *out, char *why, size_t len)
{
	int err = speed ? blkjob_parse_speed(s, out) :
			  blkjob_parse_size(s, out);

	if (err == -ERANGE)
		return say(why, len, err, "%s '%s' is too large", what, s);
	if (err)
		return say(why, len, -EINVAL,
			   "invalid %s '%s' (expected a number with an optional unit K, M, G or T)",
			   what, s);
	return 0;
}

int blkjob_parse_onoff(const char *what, const char *s, bool *out,
		       char *why, size_t len)
{
	if (!strcmp(s, "on") || !strcmp(s, "off")) {
		*out = s[1] == 'n';
		return 0;
	}
	return say(why, len, -EINVAL, "'%s' takes on or off, not '%s'", what,
		   s);
}

int blkjob_job_param_set(struct blkjob_job_params *p, const char *name,
			 const char *value, char *why, size_t len)
{
	const struct param *o = find(name);
	void *field;
	uint64_t n;
	int err;

	if (!o)
		return say(why, len, -ENOENT, "no job parameter '%s'", name);
	if (BLKJOB_HAS(p->present, o->attr))
		/* Last-one-wins would hide typos. */
		return say(why, len, -EEXIST, "'%s' given twice", name);
	field = (char *)p + o->off;
	switch (o->kind) {
	case K_SPEED:
	case K_SIZE:
		err = blkjob_parse_size_value(name, value, o->kind == K_SPEED,
					      field, why, len);
		break;
	case K_SIZE32:
		err = blkjob_parse_size_value(name, value, false, &n, why,
					      len);
		if (!err && n > UINT32_MAX)
			err = say(why, len, -ERANGE, "%s '%s' is too large",
				  name, value);
		if (!err)
			*(uint32_t *)field = n;
		break;
	case K_ONOFF:
		err = blkjob_parse_onoff(name, value, field, why, len);
		break;
	default:
		err = blkjob_parse_enum_value(name, o->spec, value, field,
					      why, len);
		break;
	}
	if (!err)
		p->present |= BLKJOB_F(o->attr);
	return err;
}

int blkjob_job_id_check(const char *id, char *why, size_t len)
{
	const char *c;

	if (strlen(id) >= BLKJOB_ID_LEN)
		return say(why, len, -EINVAL,
			   "job id '%s' is longer than %d characters", id,
			   BLKJOB_ID_LEN - 1);
	if (!isalpha((unsigned char)id[0]))
		goto bad;
	for (c = id; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("._-", *c))
			goto bad;
	return 0;
bad:
	return say(why, len, -EINVAL,
		   "invalid job id '%s' (a letter, then letters, digits, '.', '_' or '-')",
		   id);
}
