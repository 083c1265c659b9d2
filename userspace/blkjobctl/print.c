// SPDX-License-Identifier: GPL-2.0
/*
 * One printer for text and JSON. Callers describe each field once (key,
 * text format, value) and the printer decides how it looks, so the two
 * formats can't drift apart.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "blkjobctl.h"

void pr_init(struct printer *p, FILE *fp, bool json, bool pretty)
{
	memset(p, 0, sizeof(*p));
	p->fp = fp;
	p->json = json;
	p->pretty = json && pretty;
	p->first[0] = true;
}

static void json_escaped(FILE *fp, const char *s)
{
	const unsigned char *c = (const unsigned char *)s;

	fputc('"', fp);
	for (; *c; c++) {
		switch (*c) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (*c < 0x20 || *c == 0x7f)
				fprintf(fp, "\\u%04x", *c);
			else
				fputc(*c, fp);
		}
	}
	fputc('"', fp);
}

static void indent(struct printer *p)
{
	int i;

	if (!p->pretty)
		return;
	fputc('\n', p->fp);
	for (i = 0; i < p->depth; i++)
		fputs("    ", p->fp);
}

/* Separator, indentation and key before a JSON value. */
static void json_member(struct printer *p, const char *key)
{
	if (!p->first[p->depth])
		fputc(',', p->fp);
	p->first[p->depth] = false;
	if (p->depth)
		indent(p);
	if (key) {
		json_escaped(p->fp, key);
		fputs(p->pretty ? ": " : ":", p->fp);
	}
}

static void json_open(struct printer *p, const char *key, char c)
{
	if (!p->json)
		return;
	json_member(p, key);
	fputc(c, p->fp);
	if (p->depth + 1 < PR_MAX_DEPTH)
		p->depth++;
	p->first[p->depth] = true;
}

static void json_close(struct printer *p, char c)
{
	bool empty;

	if (!p->json || !p->depth)
		return;
	empty = p->first[p->depth];
	p->depth--;
	if (!empty)
		indent(p);
	fputc(c, p->fp);
	/* A finished top-level value ends its line (one per event). */
	if (!p->depth) {
		fputc('\n', p->fp);
		p->first[0] = true;
		fflush(p->fp);
	}
}

void pr_open_obj(struct printer *p, const char *key)
{
	json_open(p, key, '{');
}

void pr_close_obj(struct printer *p)
{
	json_close(p, '}');
}

void pr_open_arr(struct printer *p, const char *key)
{
	json_open(p, key, '[');
}

void pr_close_arr(struct printer *p)
{
	json_close(p, ']');
}

static void json_u64(struct printer *p, const char *key, uint64_t val)
{
	json_member(p, key);
	fprintf(p->fp, "%" PRIu64, val);
}

static bool text_wants(const struct printer *p, enum pr_vis vis)
{
	return !p->json && vis != PR_JSON;
}

static bool json_wants(const struct printer *p, enum pr_vis vis)
{
	return p->json && vis != PR_TEXT;
}

/* Format strings come from our own callers, never from input. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void pr_string(struct printer *p, enum pr_vis vis, const char *key,
	       const char *fmt, const char *val)
{
	if (text_wants(p, vis)) {
		fprintf(p->fp, fmt, val);
	} else if (json_wants(p, vis)) {
		json_member(p, key);
		if (val)
			json_escaped(p->fp, val);
		else
			fputs("null", p->fp);
	}
}

void pr_u64(struct printer *p, enum pr_vis vis, const char *key,
	    const char *fmt, uint64_t val)
{
	if (text_wants(p, vis)) {
		fprintf(p->fp, fmt, val);
	} else if (json_wants(p, vis)) {
		json_u64(p, key, val);
	}
}

void pr_bool(struct printer *p, enum pr_vis vis, const char *key,
	     const char *fmt, bool val)
{
	if (text_wants(p, vis)) {
		fprintf(p->fp, fmt, val ? "on" : "off");
	} else if (json_wants(p, vis)) {
		json_member(p, key);
		fputs(val ? "true" : "false", p->fp);
	}
}

void pr_size(struct printer *p, enum pr_vis vis, const char *key,
	     const char *fmt, uint64_t val)
{
	char buf[32];

	if (text_wants(p, vis))
		fprintf(p->fp, fmt, blkjob_format_size(buf, sizeof(buf), val));
	else if (json_wants(p, vis))
		json_u64(p, key, val);
}

void pr_speed(struct printer *p, enum pr_vis vis, const char *key,
	      const char *fmt, uint64_t val)
{
	char buf[40];

	if (text_wants(p, vis)) {
		if (val) {
			blkjob_format_size(buf, sizeof(buf) - 2, val);
			strcat(buf, "/s");
		} else {
			strcpy(buf, "unlimited");
		}
		fprintf(p->fp, fmt, buf);
	} else if (json_wants(p, vis)) {
		json_u64(p, key, val);
	}
}

void pr_text(struct printer *p, const char *fmt, ...)
{
	va_list ap;

	if (p->json)
		return;
	va_start(ap, fmt);
	vfprintf(p->fp, fmt, ap);
	va_end(ap);
}

#pragma GCC diagnostic pop
