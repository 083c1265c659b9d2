// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the job core's tables: every transition and every verb
 * against QEMU's own tables (qapi/job.json, job.c), transcribed here in
 * their usual layout independently of job.c, plus job id rules. Built only
 * when the kernel has CONFIG_KUNIT=y; the suites run when blkjob.ko loads.
 */
#include <kunit/test.h>

#include "blkjob.h"

static const char * const status_names[BLKJOB_NR_STATUS] = {
	"undefined", "created", "running", "paused", "ready", "standby",
	"waiting", "pending", "aborting", "concluded", "null",
};

/* QEMU's JobSTT: row = from, column = to. */
static const char * const qemu_transitions[BLKJOB_NR_STATUS] = {
	/*    U C R P Y S W D X E N */
	/* U */ "0 1 0 0 0 0 0 0 0 0 0",
	/* C */ "0 0 1 0 0 0 0 0 1 0 1",
	/* R */ "0 0 0 1 1 0 1 0 1 0 0",
	/* P */ "0 0 1 0 0 0 0 0 0 0 0",
	/* Y */ "0 0 0 0 0 1 1 0 1 0 0",
	/* S */ "0 0 0 0 1 0 0 0 0 0 0",
	/* W */ "0 0 0 0 0 0 0 1 1 0 0",
	/* D */ "0 0 0 0 0 0 0 0 1 1 0",
	/* X */ "0 0 0 0 0 0 0 0 1 1 0",
	/* E */ "0 0 0 0 0 0 0 0 0 0 1",
	/* N */ "0 0 0 0 0 0 0 0 0 0 0",
};

/* QEMU's JobVerbTable: row = verb, column = status. */
static const struct {
	enum blkjob_verb verb;
	const char *name;
	const char *allowed;
} qemu_verbs[] = {
	/*                                    U C R P Y S W D X E N */
	{ BLKJOB_VERB_CANCEL,    "cancel",    "0 1 1 1 1 1 1 1 0 0 0" },
	{ BLKJOB_VERB_PAUSE,     "pause",     "0 1 1 1 1 1 0 0 0 0 0" },
	{ BLKJOB_VERB_RESUME,    "resume",    "0 1 1 1 1 1 0 0 0 0 0" },
	{ BLKJOB_VERB_SET_SPEED, "set-speed", "0 1 1 1 1 1 0 0 0 0 0" },
	{ BLKJOB_VERB_COMPLETE,  "complete",  "0 0 0 0 1 1 0 0 0 0 0" },
	{ BLKJOB_VERB_FINALIZE,  "finalize",  "0 0 0 0 0 0 0 1 0 0 0" },
	{ BLKJOB_VERB_DISMISS,   "dismiss",   "0 0 0 0 0 0 0 0 0 1 0" },
	{ BLKJOB_VERB_CHANGE,    "change",    "0 1 1 1 1 1 0 0 0 0 0" },
};

/* Column @col of a row written as "0 1 0 ...". */
static bool cell(const char *row, unsigned int col)
{
	return row[2 * col] == '1';
}

static void blkjob_test_transitions(struct kunit *test)
{
	unsigned int from, to;

	for (from = 0; from < BLKJOB_NR_STATUS; from++)
		for (to = 0; to < BLKJOB_NR_STATUS; to++)
			KUNIT_EXPECT_EQ_MSG(test,
					    blkjob_transition_allowed(from, to),
					    cell(qemu_transitions[from], to),
					    "transition %s -> %s",
					    status_names[from], status_names[to]);
}

static void blkjob_test_transitions_out_of_range(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test,
			   blkjob_transition_allowed(BLKJOB_NR_STATUS,
						     BLKJOB_JOB_STATUS_NULL));
	KUNIT_EXPECT_FALSE(test,
			   blkjob_transition_allowed(BLKJOB_JOB_STATUS_CREATED,
						     BLKJOB_NR_STATUS));
}

/* Every status but undefined is reachable, and every one leads to null. */
static void blkjob_test_transitions_connected(struct kunit *test)
{
	bool reach[BLKJOB_NR_STATUS] = { [BLKJOB_JOB_STATUS_UNDEFINED] = true };
	bool ends[BLKJOB_NR_STATUS] = { [BLKJOB_JOB_STATUS_NULL] = true };
	unsigned int from, to, pass;

	for (pass = 0; pass < BLKJOB_NR_STATUS; pass++)
		for (from = 0; from < BLKJOB_NR_STATUS; from++)
			for (to = 0; to < BLKJOB_NR_STATUS; to++) {
				if (!blkjob_transition_allowed(from, to))
					continue;
				reach[to] |= reach[from];
				ends[from] |= ends[to];
			}
	for (from = 0; from < BLKJOB_NR_STATUS; from++) {
		KUNIT_EXPECT_TRUE_MSG(test, reach[from], "%s is unreachable",
				      status_names[from]);
		KUNIT_EXPECT_TRUE_MSG(test, ends[from], "%s never reaches null",
				      status_names[from]);
	}
}

static void blkjob_test_verbs(struct kunit *test)
{
	unsigned int i, st;

	KUNIT_ASSERT_EQ(test, ARRAY_SIZE(qemu_verbs), BLKJOB_VERB_MAX);
	for (i = 0; i < ARRAY_SIZE(qemu_verbs); i++)
		for (st = 0; st < BLKJOB_NR_STATUS; st++)
			KUNIT_EXPECT_EQ_MSG(test,
					    blkjob_verb_allowed(qemu_verbs[i].verb,
								st),
					    cell(qemu_verbs[i].allowed, st),
					    "verb %s in %s", qemu_verbs[i].name,
					    status_names[st]);
}

static void blkjob_test_verbs_out_of_range(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, blkjob_verb_allowed(BLKJOB_VERB_MAX,
						     BLKJOB_JOB_STATUS_RUNNING));
	KUNIT_EXPECT_FALSE(test, blkjob_verb_allowed(BLKJOB_VERB_CANCEL,
						     BLKJOB_NR_STATUS));
}

static void blkjob_test_status_names(struct kunit *test)
{
	unsigned int st;

	for (st = 0; st < BLKJOB_NR_STATUS; st++)
		KUNIT_EXPECT_STREQ(test, blkjob_status_name(st),
				   status_names[st]);
	KUNIT_EXPECT_STREQ(test, blkjob_status_name(BLKJOB_NR_STATUS), "?");
}

static void blkjob_test_id_valid(struct kunit *test)
{
	static const char * const good[] = {
		"a", "Z", "job0", "a.b_c-d", "mirror-1.2",
	};
	static const char * const bad[] = {
		"", "0job", "_a", "-a", ".a", "a b", "a/b", "a:b",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		KUNIT_EXPECT_TRUE_MSG(test, blkjob_id_valid(good[i]), "'%s'",
				      good[i]);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_FALSE_MSG(test, blkjob_id_valid(bad[i]), "'%s'",
				       bad[i]);
}

static struct kunit_case blkjob_job_cases[] = {
	KUNIT_CASE(blkjob_test_transitions),
	KUNIT_CASE(blkjob_test_transitions_out_of_range),
	KUNIT_CASE(blkjob_test_transitions_connected),
	KUNIT_CASE(blkjob_test_verbs),
	KUNIT_CASE(blkjob_test_verbs_out_of_range),
	KUNIT_CASE(blkjob_test_status_names),
	KUNIT_CASE(blkjob_test_id_valid),
	{}
};

static struct kunit_suite blkjob_job_suite = {
	.name = "blkjob-job",
	.test_cases = blkjob_job_cases,
};

kunit_test_suite(blkjob_job_suite);
