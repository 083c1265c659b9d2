// SPDX-License-Identifier: GPL-2.0
/*
 * Name tables: every uapi enum value has its YNL name and parses back; the
 * tables match the spec (read with python3-yaml) entry for entry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "libblkjob.h"

struct enum_fns {
	const char *spec;
	const char *(*str)(unsigned int);
	int (*parse)(const char *);
	unsigned int count;	/* from the uapi: last value + 1 */
};

static const struct enum_fns fns[] = {
	{ "job-type", blkjob_job_type_str, blkjob_job_type_parse,
	  BLKJOB_JOB_TYPE_BACKUP + 1 },
	{ "job-status", blkjob_job_status_str, blkjob_job_status_parse,
	  BLKJOB_JOB_STATUS_NULL + 1 },
	{ "io-status", blkjob_io_status_str, blkjob_io_status_parse,
	  BLKJOB_IO_STATUS_NOSPACE + 1 },
	{ "error-policy", blkjob_error_policy_str, blkjob_error_policy_parse,
	  BLKJOB_ERROR_POLICY_ENOSPC + 1 },
	{ "copy-mode", blkjob_copy_mode_str, blkjob_copy_mode_parse,
	  BLKJOB_COPY_MODE_WRITE_BLOCKING + 1 },
	{ "sync-mode", blkjob_sync_mode_str, blkjob_sync_mode_parse,
	  BLKJOB_SYNC_MODE_NONE + 1 },
	{ "completion-mode", blkjob_completion_mode_str,
	  blkjob_completion_mode_parse, BLKJOB_COMPLETION_MODE_GROUPED + 1 },
	{ "io-operation", blkjob_io_operation_str, blkjob_io_operation_parse,
	  BLKJOB_IO_OPERATION_WRITE + 1 },
	{ "error-action", blkjob_error_action_str, blkjob_error_action_parse,
	  BLKJOB_ERROR_ACTION_STOP + 1 },
	{ "meta-state", blkjob_meta_state_str, blkjob_meta_state_parse,
	  BLKJOB_META_STATE_RETIRED + 1 },
};

#define N_FNS (sizeof(fns) / sizeof(fns[0]))

TEST(every_enum_round_trips)
{
	unsigned int i, v;
	const char *s;

	ASSERT_EQ(NULL, blkjob_enum_at(N_FNS));
	for (i = 0; i < N_FNS; i++) {
		ASSERT_NE(NULL, blkjob_enum_at(i));
		EXPECT_STREQ(fns[i].spec, blkjob_enum_at(i)->name);
		EXPECT_EQ(fns[i].count, blkjob_enum_at(i)->count)
			TH_LOG("%s", fns[i].spec);
		for (v = 0; v < fns[i].count; v++) {
			s = fns[i].str(v);
			ASSERT_NE(NULL, s) TH_LOG("%s %u", fns[i].spec, v);
			EXPECT_EQ((int)v, fns[i].parse(s)) TH_LOG("%s", s);
		}
		/* One past the end is unknown, not a crash. */
		EXPECT_EQ(NULL, fns[i].str(fns[i].count));
		EXPECT_EQ(NULL, fns[i].str(~0u));
		EXPECT_EQ(-EINVAL, fns[i].parse("no-such-value"));
		EXPECT_EQ(-EINVAL, fns[i].parse(""));
		EXPECT_EQ(-EINVAL, fns[i].parse(NULL));
	}
}

TEST(pinned_names)
{
	/* The names users type, per the spec: exact, case-sensitive. */
	EXPECT_STREQ("null", blkjob_job_status_str(BLKJOB_JOB_STATUS_NULL));
	EXPECT_STREQ("concluded",
		     blkjob_job_status_str(BLKJOB_JOB_STATUS_CONCLUDED));
	EXPECT_STREQ("write-blocking",
		     blkjob_copy_mode_str(BLKJOB_COPY_MODE_WRITE_BLOCKING));
	EXPECT_STREQ("enospc",
		     blkjob_error_policy_str(BLKJOB_ERROR_POLICY_ENOSPC));
	EXPECT_STREQ("grouped", blkjob_completion_mode_str(
					BLKJOB_COMPLETION_MODE_GROUPED));
	EXPECT_EQ(-EINVAL, blkjob_job_status_parse("Running"));
	EXPECT_STREQ("buf-size", blkjob_job_attr_str(BLKJOB_A_JOB_BUF_SIZE));
	EXPECT_STREQ("job", blkjob_txn_attr_str(BLKJOB_A_TXN_JOB));
	EXPECT_STREQ("job-status-ntf",
		     blkjob_cmd_str(BLKJOB_CMD_JOB_STATUS_NTF));
	EXPECT_EQ(NULL, blkjob_job_attr_str(0));
	EXPECT_EQ(NULL, blkjob_job_attr_str(BLKJOB_A_JOB_MAX + 1));
	EXPECT_EQ(NULL, blkjob_cmd_str(BLKJOB_CMD_MAX + 1));
}

/*
 * python3 prints the spec as lines "kind|set|value|name"; every line must
 * match our tables and every table entry must appear.
 */
static const char spec_dump[] =
	"import sys, yaml\n"
	"s = yaml.safe_load(open(sys.argv[1]))\n"
	"for d in s['definitions']:\n"
	"    if d['type'] != 'enum': continue\n"
	"    for i, e in enumerate(d['entries']):\n"
	"        n = e['name'] if isinstance(e, dict) else e\n"
	"        print('enum|%s|%d|%s' % (d['name'], d.get('value-start', 0) + i, n))\n"
	"for a in s['attribute-sets']:\n"
	"    if 'subset-of' in a: continue\n"
	"    for i, e in enumerate(a['attributes']):\n"
	"        print('attr|%s|%d|%s' % (a['name'], e.get('value', i + 1), e['name']))\n"
	"for i, o in enumerate(s['operations']['list']):\n"
	"    print('op|ops|%d|%s' % (o.get('value', i + 1), o['name']))\n";

static const char *table_name(const char *kind, const char *set,
			      unsigned int v)
{
	const struct blkjob_enum *e;

	if (!strcmp(kind, "attr"))
		return !strcmp(set, "job") ? blkjob_job_attr_str(v) :
		       !strcmp(set, "txn") ? blkjob_txn_attr_str(v) :
		       !strcmp(set, "meta") ? blkjob_meta_attr_str(v) :
		       !strcmp(set, "meta-dev") ?
		       blkjob_meta_dev_attr_str(v) : NULL;
	if (!strcmp(kind, "op"))
		return blkjob_cmd_str(v);
	e = blkjob_enum_find(set);
	return e && v < e->count ? e->values[v] : NULL;
}

TEST(tables_match_spec)
{
	char cmd[4096], path[64], line[512], kind[16], set[64], name[128];
	unsigned int v, enums = 0, attrs = 0, ops = 0, i, want = 0;
	const char *ours;
	FILE *fp, *py;

	if (system("python3 -c 'import yaml' 2>/dev/null"))
		SKIP(return, "python3-yaml not available");
	snprintf(path, sizeof(path), "/tmp/blkjob-spec-dump.%d.py", getpid());
	py = fopen(path, "w");
	ASSERT_NE(NULL, py);
	fputs(spec_dump, py);
	fclose(py);
	snprintf(cmd, sizeof(cmd), "python3 %s "
		 "%s/Documentation/netlink/specs/blkjob.yaml", path, TOP);
	fp = popen(cmd, "r");
	ASSERT_NE(NULL, fp);
	while (fgets(line, sizeof(line), fp)) {
		ASSERT_EQ(4, sscanf(line, "%15[^|]|%63[^|]|%u|%127s", kind,
				    set, &v, name)) TH_LOG("%s", line);
		ours = table_name(kind, set, v);
		EXPECT_NE(NULL, ours) TH_LOG("%s %s %u %s", kind, set, v, name);
		if (ours)
			EXPECT_STREQ(name, ours);
		enums += !strcmp(kind, "enum");
		attrs += !strcmp(kind, "attr");
		ops += !strcmp(kind, "op");
	}
	EXPECT_EQ(0, pclose(fp));
	unlink(path);
	/* And nothing of ours is missing from the spec. */
	for (i = 0; blkjob_enum_at(i); i++)
		want += blkjob_enum_at(i)->count;
	EXPECT_EQ(want, enums);
	EXPECT_EQ((unsigned int)BLKJOB_A_JOB_MAX + BLKJOB_A_TXN_MAX +
		  BLKJOB_A_META_MAX + BLKJOB_A_META_DEV_MAX, attrs);
	EXPECT_EQ((unsigned int)BLKJOB_CMD_MAX, ops);
}

TEST_HARNESS_MAIN
