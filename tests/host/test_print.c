// SPDX-License-Identifier: GPL-2.0
/*
 * The printer: exact text, and JSON that a real parser (python3's json)
 * accepts with the expected values, for jobs, lists, events.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "blkjobctl.h"

#define A(x) BLKJOB_A_JOB_##x

FIXTURE(out) {
	char *buf;
	size_t len;
	FILE *fp;
	struct printer p;
	struct blkjob_job job;
};

static void start(FIXTURE_DATA(out) *self, bool json, bool pretty)
{
	if (self->fp)
		fclose(self->fp);
	free(self->buf);
	self->buf = NULL;
	self->fp = open_memstream(&self->buf, &self->len);
	pr_init(&self->p, self->fp, json, pretty);
}

static const char *text(FIXTURE_DATA(out) *self)
{
	fflush(self->fp);
	return self->buf;
}

FIXTURE_SETUP(out)
{
	struct blkjob_job *j = &self->job;

	memset(self, 0, sizeof(*self));
	strcpy(j->id, "mig0");
	j->type = BLKJOB_JOB_TYPE_COPY;
	j->status = BLKJOB_JOB_STATUS_RUNNING;
	strcpy(j->source, "/dev/ram0");
	strcpy(j->target, "/dev/\"odd\"\\name\t");
	j->len = 64 << 20;
	j->offset = 16 << 20;
	j->speed = 50 << 20;
	j->granularity = 65536;
	j->buf_size = 16 << 20;
	j->busy = true;
	j->auto_finalize = true;
	j->auto_dismiss = false;
	j->on_source_error = BLKJOB_ERROR_POLICY_STOP;
	j->io_status = BLKJOB_IO_STATUS_OK;
	j->present = BLKJOB_F(A(ID)) | BLKJOB_F(A(TYPE)) |
		BLKJOB_F(A(STATUS)) | BLKJOB_F(A(SOURCE)) |
		BLKJOB_F(A(TARGET)) | BLKJOB_F(A(LEN)) | BLKJOB_F(A(OFFSET)) |
		BLKJOB_F(A(SPEED)) | BLKJOB_F(A(GRANULARITY)) |
		BLKJOB_F(A(BUF_SIZE)) | BLKJOB_F(A(BUSY)) |
		BLKJOB_F(A(AUTO_FINALIZE)) | BLKJOB_F(A(AUTO_DISMISS)) |
		BLKJOB_F(A(ON_SOURCE_ERROR)) | BLKJOB_F(A(IO_STATUS));
	start(self, false, false);
}

FIXTURE_TEARDOWN(out)
{
	fclose(self->fp);
	free(self->buf);
}

/*
 * Parse @json with python3 and evaluate @check on it (bound to d).
 * Returns 0 when both succeed, 4 when python3 is missing.
 */
static int py_check(const char *json, const char *check)
{
	char path[64], cmd[1024];
	FILE *fp;
	int rc;

	if (system("command -v python3 >/dev/null"))
		return 4;
	snprintf(path, sizeof(path), "/tmp/blkjob-json.%d", getpid());
	fp = fopen(path, "w");
	if (!fp)
		return 1;
	fputs(json, fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c \"import json, sys\n"
		 "d = json.load(open(sys.argv[1]))\n"
		 "sys.exit(0 if (%s) else 1)\" %s", check, path);
	rc = system(cmd);
	unlink(path);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
}

TEST_F(out, text_fields)
{
	pr_string(&self->p, PR_ANY, "k", "a %s", "x");
	pr_u64(&self->p, PR_ANY, "n", " n %" PRIu64, 42);
	pr_bool(&self->p, PR_ANY, "b", " b %s", true);
	pr_size(&self->p, PR_ANY, "s", " s %s", 3 << 20);
	pr_speed(&self->p, PR_ANY, "v", " v %s", 0);
	pr_speed(&self->p, PR_ANY, "w", " w %s", 1536);
	pr_string(&self->p, PR_JSON, "hidden", "HIDDEN", "x");
	pr_text(&self->p, "\n");
	EXPECT_STREQ("a x n 42 b on s 3M v unlimited w 1.5K/s\n",
		     text(self));
}

TEST_F(out, json_compact_exact)
{
	start(self, true, false);
	pr_open_obj(&self->p, NULL);
	pr_string(&self->p, PR_ANY, "s", "%s", "q\"b\\n\n\x01");
	pr_u64(&self->p, PR_ANY, "n", "%" PRIu64, UINT64_MAX);
	pr_bool(&self->p, PR_ANY, "b", "%s", false);
	pr_size(&self->p, PR_ANY, "sz", "%s", 65536);
	pr_string(&self->p, PR_TEXT, "t", "TEXT", "x");
	pr_text(&self->p, "TEXT");
	pr_open_arr(&self->p, "a");
	pr_string(&self->p, PR_JSON, NULL, NULL, "x");
	pr_string(&self->p, PR_JSON, NULL, NULL, "y");
	pr_close_arr(&self->p);
	pr_open_arr(&self->p, "e");
	pr_close_arr(&self->p);
	pr_close_obj(&self->p);
	EXPECT_STREQ("{\"s\":\"q\\\"b\\\\n\\n\\u0001\","
		     "\"n\":18446744073709551615,\"b\":false,\"sz\":65536,"
		     "\"a\":[\"x\",\"y\"],\"e\":[]}\n", text(self));
}

TEST_F(out, job_text_full)
{
	print_job(&self->p, &self->job, VIEW_FULL);
	EXPECT_STREQ("mig0: type copy status running\n"
		     "    source /dev/ram0 target /dev/\"odd\"\\name\t\n"
		     "    progress 16M/64M (25%) speed 50M/s\n"
		     "    granularity 64K buf-size 16M\n"
		     "    auto-finalize on auto-dismiss off on-source-error stop\n"
		     "    busy on io-status ok\n", text(self));
}

TEST_F(out, job_text_line)
{
	print_job(&self->p, &self->job, VIEW_LINE);
	EXPECT_STREQ("mig0: type copy status running progress 16M/64M (25%) "
		     "speed 50M/s source /dev/ram0 target /dev/\"odd\"\\name\t\n",
		     text(self));
}

TEST_F(out, job_json)
{
	int rc;

	start(self, true, false);
	print_job(&self->p, &self->job, VIEW_FULL);
	rc = py_check(text(self),
		      "d['id'] == 'mig0' and d['type'] == 'copy' and "
		      "d['status'] == 'running' and d['len'] == 64 << 20 and "
		      "d['offset'] == 16 << 20 and d['speed'] == 50 << 20 and "
		      "d['granularity'] == 65536 and d['busy'] is True and "
		      "d['auto-dismiss'] is False and "
		      "d['on-source-error'] == 'stop' and "
		      "d['target'] == '/dev/\\\"odd\\\"\\\\\\\\name\\t' and "
		      "'copy-mode' not in d and len(d) == 15");
	if (rc == 4)
		SKIP(return, "python3 not available");
	EXPECT_EQ(0, rc) TH_LOG("%s", text(self));
}

TEST_F(out, list_json_pretty_and_empty)
{
	int rc;

	start(self, true, true);
	pr_open_arr(&self->p, NULL);
	print_job(&self->p, &self->job, VIEW_LINE);
	strcpy(self->job.id, "mig1");
	self->job.status = BLKJOB_JOB_STATUS_CONCLUDED;
	strcpy(self->job.error, "Input/output error");
	self->job.present |= BLKJOB_F(A(ERROR));
	print_job(&self->p, &self->job, VIEW_LINE);
	pr_close_arr(&self->p);
	EXPECT_NE(NULL, strstr(text(self), "[\n    {\n        \"id\": "));
	rc = py_check(text(self),
		      "isinstance(d, list) and len(d) == 2 and "
		      "d[1]['id'] == 'mig1' and d[1]['status'] == 'concluded' "
		      "and d[1]['error'] == 'Input/output error' and "
		      "d[0]['len'] == 64 << 20 and 'error' not in d[0]");
	if (rc == 4)
		SKIP(return, "python3 not available");
	EXPECT_EQ(0, rc) TH_LOG("%s", text(self));

	start(self, true, false);
	pr_open_arr(&self->p, NULL);
	pr_close_arr(&self->p);
	EXPECT_STREQ("[]\n", text(self));
}

TEST_F(out, events)
{
	struct blkjob_event ev = { .cmd = BLKJOB_CMD_JOB_STATUS_NTF };
	int rc;

	ev.job = self->job;
	print_event(&self->p, &ev, NULL);
	ev.cmd = BLKJOB_CMD_JOB_ERROR_NTF;
	memset(&ev.job, 0, sizeof(ev.job));
	strcpy(ev.job.id, "mig0");
	ev.job.operation = BLKJOB_IO_OPERATION_WRITE;
	ev.job.action = BLKJOB_ERROR_ACTION_STOP;
	ev.job.present = BLKJOB_F(A(ID)) | BLKJOB_F(A(OPERATION)) |
		BLKJOB_F(A(ACTION));
	print_event(&self->p, &ev, "2026-01-01T00:00:00.000000");
	EXPECT_STREQ("status mig0 status running\n"
		     "[2026-01-01T00:00:00.000000] error mig0 operation write "
		     "action stop\n", text(self));

	/* JSON: one object per line, each parseable on its own. */
	start(self, true, false);
	print_event(&self->p, &ev, "T");
	rc = py_check(text(self),
		      "d == {'time': 'T', 'event': 'error', 'id': 'mig0', "
		      "'operation': 'write', 'action': 'stop'}");
	if (rc == 4)
		SKIP(return, "python3 not available");
	EXPECT_EQ(0, rc) TH_LOG("%s", text(self));
	EXPECT_EQ(1, (int)(strchr(text(self), '\n') - text(self) + 1 ==
			   (long)strlen(text(self))));
}

TEST_F(out, unknown_enum_value_prints_number)
{
	self->job.status = 99;
	self->job.present = BLKJOB_F(A(ID)) | BLKJOB_F(A(STATUS));
	print_job(&self->p, &self->job, VIEW_LINE);
	EXPECT_STREQ("mig0: status 99\n", text(self));
}

TEST_HARNESS_MAIN
