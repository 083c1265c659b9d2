// SPDX-License-Identifier: GPL-2.0
/*
 * blkjobctl's command line: each command with valid arguments fills the
 * request as expected; invalid ones are usage errors with a message.
 */
#include <string.h>

#include "kselftest_harness.h"
#include "blkjobctl.h"

static struct request req;

/* parse_cmdline() over a NULL-terminated list of words. */
#define PARSE(...) ({							\
	char *argv[] = { "blkjobctl", __VA_ARGS__, NULL };		\
	parse_cmdline(sizeof(argv) / sizeof(argv[0]) - 1, argv, &req); \
})

/* A usage error whose message contains @needle. */
#define EXPECT_USAGE(needle, ...) do {					\
	EXPECT_EQ(-1, PARSE(__VA_ARGS__));				\
	EXPECT_NE(NULL, strstr(req.err, needle))			\
		TH_LOG("message: '%s'", req.err);			\
} while (0)

#define HAS(p, a) BLKJOB_HAS((p)->present, BLKJOB_A_JOB_##a)

TEST(global_options)
{
	ASSERT_EQ(0, PARSE("-jp", "list"));
	EXPECT_TRUE(req.json);
	EXPECT_TRUE(req.pretty);
	EXPECT_FALSE(req.quiet);
	EXPECT_EQ(CMD_LIST, req.cmd);
	ASSERT_EQ(0, PARSE("--json", "--quiet", "-t", "list"));
	EXPECT_TRUE(req.json);
	EXPECT_TRUE(req.quiet);
	EXPECT_TRUE(req.timestamp);
	ASSERT_EQ(0, PARSE("-V"));
	EXPECT_EQ(CMD_VERSION, req.cmd);
	ASSERT_EQ(0, PARSE("--help"));
	EXPECT_EQ(CMD_HELP, req.cmd);
	ASSERT_EQ(0, PARSE("help"));
	EXPECT_EQ(CMD_HELP, req.cmd);
	ASSERT_EQ(0, PARSE("--", "list"));
	EXPECT_EQ(CMD_LIST, req.cmd);
	EXPECT_USAGE("unknown option '-x'", "-jx", "list");
	EXPECT_USAGE("unknown option '--bogus'", "--bogus", "list");
	EXPECT_USAGE("unknown command 'frobnicate'", "frobnicate");
	EXPECT_USAGE("no command", "-j");
	EXPECT_USAGE("unexpected argument 'extra'", "list", "extra");
	EXPECT_USAGE("unknown command 'me'", "help", "me");
	EXPECT_USAGE("unexpected argument 'extra'", "help", "wrap", "extra");
}

/* One command's usage: "help CMD", "CMD help", "CMD -h", "CMD --help". */
TEST(command_help)
{
	ASSERT_EQ(0, PARSE("help"));
	EXPECT_EQ(CMD_NONE, req.help_cmd);
	ASSERT_EQ(0, PARSE("help", "mirror"));
	EXPECT_EQ(CMD_HELP, req.cmd);
	EXPECT_EQ(CMD_MIRROR, req.help_cmd);
	ASSERT_EQ(0, PARSE("set-speed", "help"));
	EXPECT_EQ(CMD_HELP, req.cmd);
	EXPECT_EQ(CMD_SET_SPEED, req.help_cmd);
	/* The rest is not parsed: help is what was asked for. */
	ASSERT_EQ(0, PARSE("wrap", "-h", "bogus", "words"));
	EXPECT_EQ(CMD_WRAP, req.help_cmd);
	ASSERT_EQ(0, PARSE("-j", "meta", "--help"));
	EXPECT_EQ(CMD_META, req.help_cmd);
	/* Not in the first place: an argument like any other. */
	EXPECT_USAGE("unexpected argument 'help'", "show", "j1", "help");
}

TEST(new_full)
{
	const struct blkjob_job_params *p = &req.params;

	ASSERT_EQ(0, PARSE("new", "mig0", "mirror", "/dev/a", "/dev/b",
			   "speed", "50M", "granularity", "64K",
			   "buf-size", "16M", "auto-finalize", "off",
			   "auto-dismiss", "on", "on-source-error", "stop",
			   "on-target-error", "enospc", "copy-mode",
			   "write-blocking", "sync", "none"));
	EXPECT_EQ(CMD_NEW, req.cmd);
	EXPECT_STREQ("mig0", p->id);
	EXPECT_EQ(BLKJOB_JOB_TYPE_MIRROR, p->type);
	EXPECT_STREQ("/dev/a", p->source);
	EXPECT_STREQ("/dev/b", p->target);
	EXPECT_TRUE(HAS(p, SPEED));
	EXPECT_EQ(50ULL << 20, p->speed);
	EXPECT_EQ(65536, p->granularity);
	EXPECT_EQ(16ULL << 20, p->buf_size);
	EXPECT_TRUE(HAS(p, AUTO_FINALIZE));
	EXPECT_FALSE(p->auto_finalize);
	EXPECT_TRUE(p->auto_dismiss);
	EXPECT_EQ(BLKJOB_ERROR_POLICY_STOP, p->on_source_error);
	EXPECT_EQ(BLKJOB_ERROR_POLICY_ENOSPC, p->on_target_error);
	EXPECT_EQ(BLKJOB_COPY_MODE_WRITE_BLOCKING, p->copy_mode);
	EXPECT_EQ(BLKJOB_SYNC_MODE_NONE, p->sync);
	EXPECT_FALSE(req.wait);
}

TEST(new_minimal_sends_only_required)
{
	ASSERT_EQ(0, PARSE("new", "j1", "copy", "/dev/a", "/dev/b", "wait"));
	/* Unset options stay absent so the kernel picks its defaults. */
	EXPECT_EQ(0ULL, req.params.present);
	EXPECT_TRUE(req.wait);
	ASSERT_EQ(0, PARSE("new", "j1", "copy", "a", "b", "speed", "0"));
	EXPECT_TRUE(HAS(&req.params, SPEED));
	EXPECT_EQ(0ULL, req.params.speed);
}

TEST(new_errors)
{
	EXPECT_USAGE("needs a job id", "new");
	EXPECT_USAGE("needs ID TYPE SOURCE TARGET", "new", "j", "copy", "a");
	EXPECT_USAGE("invalid job type 'move' (expected copy, mirror or backup)",
		     "new", "j", "move", "a", "b");
	EXPECT_USAGE("invalid job id '9lives'", "new", "9lives", "copy", "a",
		     "b");
	EXPECT_USAGE("invalid job id 'a b'", "new", "a b", "copy", "a", "b");
	EXPECT_USAGE("longer than 63",
		     "new", "a123456789012345678901234567890123456789012345678901234567890123",
		     "copy", "a", "b");
	EXPECT_USAGE("'speed' given twice", "new", "j", "copy", "a", "b",
		     "speed", "1M", "speed", "2M");
	EXPECT_USAGE("'speed' needs a value", "new", "j", "copy", "a", "b",
		     "speed");
	EXPECT_USAGE("invalid speed 'fast'", "new", "j", "copy", "a", "b",
		     "speed", "fast");
	EXPECT_USAGE("speed '99999999999T' is too large", "new", "j", "copy",
		     "a", "b", "speed", "99999999999T");
	EXPECT_USAGE("granularity '8G' is too large", "new", "j", "copy",
		     "a", "b", "granularity", "8G");
	EXPECT_USAGE("'auto-dismiss' takes on or off, not 'yes'", "new", "j",
		     "copy", "a", "b", "auto-dismiss", "yes");
	EXPECT_USAGE("expected report, ignore, stop or enospc", "new", "j",
		     "copy", "a", "b", "on-source-error", "panic");
	EXPECT_USAGE("invalid copy-mode 'active'", "new", "j", "copy", "a",
		     "b", "copy-mode", "active");
	EXPECT_USAGE("unexpected argument 'bogus'", "new", "j", "copy", "a",
		     "b", "bogus", "1");
	EXPECT_USAGE("'wait' given twice", "new", "j", "copy", "a", "b",
		     "wait", "wait");
}

TEST(copy_shortcut)
{
	ASSERT_EQ(0, PARSE("copy", "/dev/a", "/dev/b"));
	EXPECT_EQ(CMD_COPY, req.cmd);
	EXPECT_EQ(BLKJOB_JOB_TYPE_COPY, req.params.type);
	EXPECT_EQ(NULL, req.params.id);	/* generated at run time */
	ASSERT_EQ(0, PARSE("copy", "/dev/a", "/dev/b", "speed", "1G",
			   "id", "c1", "wait"));
	EXPECT_STREQ("c1", req.params.id);
	EXPECT_EQ(1ULL << 30, req.params.speed);
	EXPECT_TRUE(req.wait);
	EXPECT_USAGE("copy needs SOURCE TARGET", "copy", "/dev/a");
	EXPECT_USAGE("'id' given twice", "copy", "a", "b", "id", "x", "id",
		     "y");
	EXPECT_USAGE("invalid job id", "copy", "a", "b", "id", "-x");
	EXPECT_USAGE("unexpected argument 'mirror'", "copy", "a", "b",
		     "mirror");
}

TEST(id_verbs)
{
	static const struct {
		const char *word;
		enum command cmd;
	} verbs[] = {
		{ "show", CMD_SHOW }, { "pause", CMD_PAUSE },
		{ "resume", CMD_RESUME }, { "complete", CMD_COMPLETE },
		{ "finalize", CMD_FINALIZE }, { "dismiss", CMD_DISMISS },
		{ "cancel", CMD_CANCEL },
	};
	unsigned int i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		char *w = (char *)verbs[i].word;

		ASSERT_EQ(0, PARSE(w, "job.1"));
		EXPECT_EQ(verbs[i].cmd, req.cmd);
		EXPECT_STREQ("job.1", req.id);
		EXPECT_USAGE("needs a job id", w);
		EXPECT_USAGE("unexpected argument 'now'", w, "j", "now");
	}
	ASSERT_EQ(0, PARSE("cancel", "j"));
	EXPECT_FALSE(req.force);
	ASSERT_EQ(0, PARSE("cancel", "j", "force"));
	EXPECT_TRUE(req.force);
}

TEST(set_speed_and_change)
{
	ASSERT_EQ(0, PARSE("set-speed", "j", "50M/s"));
	EXPECT_EQ(CMD_SET_SPEED, req.cmd);
	EXPECT_EQ(50ULL << 20, req.speed);
	ASSERT_EQ(0, PARSE("set-speed", "j", "0"));
	EXPECT_EQ(0ULL, req.speed);
	EXPECT_USAGE("set-speed needs ID SPEED", "set-speed", "j");
	EXPECT_USAGE("invalid speed '-1'", "set-speed", "j", "-1");
	ASSERT_EQ(0, PARSE("change", "j", "copy-mode", "write-blocking"));
	EXPECT_EQ(CMD_CHANGE, req.cmd);
	EXPECT_EQ(BLKJOB_COPY_MODE_WRITE_BLOCKING, req.copy_mode);
	EXPECT_USAGE("change needs ID copy-mode MODE", "change", "j",
		     "speed", "1");
	EXPECT_USAGE("'copy-mode' needs a value", "change", "j",
		     "copy-mode");
}

TEST(txn)
{
	ASSERT_EQ(0, PARSE("txn", "completion-mode", "grouped",
			   "job", "a", "copy", "/dev/a", "/dev/b",
			   "speed", "1M",
			   "job", "b", "backup", "/dev/c", "/dev/d",
			   "sync", "full"));
	EXPECT_EQ(CMD_TXN, req.cmd);
	EXPECT_TRUE(req.has_completion_mode);
	EXPECT_EQ(BLKJOB_COMPLETION_MODE_GROUPED, req.completion_mode);
	ASSERT_EQ(2, req.njobs);
	EXPECT_STREQ("a", req.jobs[0].id);
	EXPECT_EQ(1ULL << 20, req.jobs[0].speed);
	EXPECT_FALSE(HAS(&req.jobs[0], SYNC));
	EXPECT_STREQ("b", req.jobs[1].id);
	EXPECT_EQ(BLKJOB_JOB_TYPE_BACKUP, req.jobs[1].type);
	EXPECT_STREQ("/dev/d", req.jobs[1].target);
	EXPECT_TRUE(HAS(&req.jobs[1], SYNC));
	EXPECT_FALSE(HAS(&req.jobs[1], SPEED));

	ASSERT_EQ(0, PARSE("txn", "job", "a", "copy", "s", "t"));
	EXPECT_FALSE(req.has_completion_mode);
	EXPECT_EQ(BLKJOB_COMPLETION_MODE_INDIVIDUAL, req.completion_mode);

	EXPECT_USAGE("txn needs at least one", "txn");
	EXPECT_USAGE("txn needs at least one", "txn", "completion-mode",
		     "individual");
	EXPECT_USAGE("job needs ID TYPE SOURCE TARGET", "txn", "job", "a",
		     "copy");
	EXPECT_USAGE("invalid completion-mode 'together'", "txn",
		     "completion-mode", "together", "job", "a", "copy", "s",
		     "t");
	EXPECT_USAGE("'completion-mode' given twice", "txn",
		     "completion-mode", "grouped", "completion-mode",
		     "grouped");
	EXPECT_USAGE("unexpected argument 'wait'", "txn", "job", "a", "copy",
		     "s", "t", "wait");
}

TEST(monitor_and_wait)
{
	ASSERT_EQ(0, PARSE("monitor"));
	EXPECT_EQ(CMD_MONITOR, req.cmd);
	EXPECT_FALSE(req.timestamp);
	ASSERT_EQ(0, PARSE("monitor", "-t"));
	EXPECT_TRUE(req.timestamp);
	EXPECT_USAGE("unexpected argument 'all'", "monitor", "all");

	ASSERT_EQ(0, PARSE("wait", "j"));
	EXPECT_EQ(CMD_WAIT, req.cmd);
	EXPECT_EQ(-1, req.wait_status);
	EXPECT_EQ(0U, req.timeout);
	ASSERT_EQ(0, PARSE("wait", "j", "status", "ready", "timeout", "30"));
	EXPECT_EQ(BLKJOB_JOB_STATUS_READY, req.wait_status);
	EXPECT_EQ(30U, req.timeout);
	ASSERT_EQ(0, PARSE("wait", "j", "status", "null"));
	EXPECT_EQ(BLKJOB_JOB_STATUS_NULL, req.wait_status);
	EXPECT_USAGE("invalid status 'done'", "wait", "j", "status", "done");
	EXPECT_USAGE("invalid timeout '10s'", "wait", "j", "timeout", "10s");
	EXPECT_USAGE("invalid timeout '1K'", "wait", "j", "timeout", "1K");
	EXPECT_USAGE("'timeout' needs a value", "wait", "j", "timeout");
	EXPECT_USAGE("unexpected argument 'status'", "wait", "j", "status",
		     "ready", "status", "ready");
}

TEST(mirror_and_backup)
{
	const struct blkjob_job_params *p = &req.params;

	ASSERT_EQ(0, PARSE("mirror", "/dev/vg/lv", "/dev/sdc"));
	EXPECT_EQ(CMD_MIRROR, req.cmd);
	EXPECT_EQ(BLKJOB_JOB_TYPE_MIRROR, p->type);
	EXPECT_STREQ("/dev/vg/lv", req.dev);
	EXPECT_STREQ("/dev/vg/lv", p->source);
	EXPECT_STREQ("/dev/sdc", p->target);
	EXPECT_EQ(NULL, p->id);		/* "mirrorN" at run time */
	EXPECT_EQ(0ULL, p->present);
	EXPECT_FALSE(req.wait);
	EXPECT_FALSE(req.complete);

	/* Keywords in any order, JOB-OPTS among them. */
	ASSERT_EQ(0, PARSE("mirror", "vg-lv", "/dev/sdc", "complete",
			   "copy-mode", "write-blocking", "id", "mv1",
			   "speed", "20M", "wait", "granularity", "1M"));
	EXPECT_STREQ("mv1", p->id);
	EXPECT_TRUE(req.complete);
	EXPECT_TRUE(req.wait);
	EXPECT_EQ(BLKJOB_COPY_MODE_WRITE_BLOCKING, p->copy_mode);
	EXPECT_EQ(20ULL << 20, p->speed);
	EXPECT_EQ(1U << 20, p->granularity);
	ASSERT_EQ(0, PARSE("mirror", "a", "b", "complete"));
	EXPECT_TRUE(req.complete);
	EXPECT_FALSE(req.wait);	/* complete implies waiting at run time */

	ASSERT_EQ(0, PARSE("backup", "/dev/mapper/db", "/dev/sdd", "wait",
			   "sync", "full", "id", "bk"));
	EXPECT_EQ(CMD_BACKUP, req.cmd);
	EXPECT_EQ(BLKJOB_JOB_TYPE_BACKUP, p->type);
	EXPECT_STREQ("bk", p->id);
	EXPECT_TRUE(req.wait);
	EXPECT_EQ(BLKJOB_SYNC_MODE_FULL, p->sync);

	EXPECT_USAGE("mirror needs SRC DST", "mirror", "a");
	EXPECT_USAGE("backup needs SRC DST", "backup");
	EXPECT_USAGE("'complete' given twice", "mirror", "a", "b",
		     "complete", "complete");
	EXPECT_USAGE("unexpected argument 'complete' for 'backup'", "backup",
		     "a", "b", "complete");
	EXPECT_USAGE("unexpected argument 'complete' for 'copy'", "copy",
		     "a", "b", "complete");
	EXPECT_USAGE("'wait' given twice", "mirror", "a", "b", "wait",
		     "complete", "wait");
	EXPECT_USAGE("invalid job id", "mirror", "a", "b", "id", "1x");
	EXPECT_USAGE("invalid copy-mode", "mirror", "a", "b", "copy-mode",
		     "fast");
	EXPECT_USAGE("unexpected argument 'force'", "mirror", "a", "b",
		     "force");
}

TEST(wrap_and_restore)
{
	ASSERT_EQ(0, PARSE("wrap", "/dev/sdb", "data"));
	EXPECT_EQ(CMD_WRAP, req.cmd);
	EXPECT_STREQ("/dev/sdb", req.dev);
	EXPECT_STREQ("data", req.name);
	EXPECT_USAGE("wrap needs DEV NAME", "wrap", "/dev/sdb");
	EXPECT_USAGE("invalid device-mapper name 'a/b'", "wrap", "/dev/sdb",
		     "a/b");
	EXPECT_USAGE("invalid device-mapper name '..'", "wrap", "/dev/sdb",
		     "..");
	EXPECT_USAGE("longer than 115",
		     "wrap", "/dev/sdb",
		     "n1234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345");
	EXPECT_USAGE("unexpected argument 'x'", "wrap", "/dev/sdb", "d", "x");
	EXPECT_EQ(NULL, req.meta);
	ASSERT_EQ(0, PARSE("wrap", "/dev/sdb", "data", "meta", "/dev/sdm"));
	EXPECT_STREQ("/dev/sdm", req.meta);
	EXPECT_USAGE("meta needs METADEV", "wrap", "/dev/sdb", "d", "meta");
	EXPECT_USAGE("unexpected argument 'meta'", "wrap", "/dev/sdb", "d",
		     "meta", "/dev/a", "meta", "/dev/b");

	ASSERT_EQ(0, PARSE("meta", "format", "/dev/sdm"));
	EXPECT_EQ(CMD_META, req.cmd);
	EXPECT_EQ(META_FORMAT, req.meta_verb);
	EXPECT_STREQ("/dev/sdm", req.meta);
	EXPECT_FALSE(req.force);
	ASSERT_EQ(0, PARSE("meta", "format", "/dev/sdm", "force"));
	EXPECT_TRUE(req.force);
	ASSERT_EQ(0, PARSE("meta", "show", "/dev/sdm"));
	EXPECT_EQ(META_SHOW, req.meta_verb);
	ASSERT_EQ(0, PARSE("meta", "probe", "/dev/sdm"));
	EXPECT_EQ(META_PROBE, req.meta_verb);
	EXPECT_USAGE("meta needs format, show or probe", "meta");
	EXPECT_USAGE("meta needs format, show or probe", "meta", "wipe",
		     "/dev/a");
	EXPECT_USAGE("meta show needs METADEV", "meta", "show");
	EXPECT_USAGE("unexpected argument 'force'", "meta", "show", "/dev/a",
		     "force");
	EXPECT_USAGE("unexpected argument 'force'", "meta", "format", "/dev/a",
		     "force", "force");

	ASSERT_EQ(0, PARSE("activate"));
	EXPECT_EQ(CMD_ACTIVATE, req.cmd);
	EXPECT_EQ(0, req.nmetas);
	ASSERT_EQ(0, PARSE("activate", "/dev/a", "/dev/b"));
	EXPECT_EQ(2, req.nmetas);
	EXPECT_STREQ("/dev/b", req.metas[1]);

	ASSERT_EQ(0, PARSE("restore", "vg-lv"));
	EXPECT_EQ(CMD_RESTORE, req.cmd);
	EXPECT_STREQ("vg-lv", req.dev);
	EXPECT_FALSE(req.force);
	EXPECT_FALSE(req.wait);
	ASSERT_EQ(0, PARSE("restore", "/dev/vg/lv", "force"));
	EXPECT_TRUE(req.force);
	ASSERT_EQ(0, PARSE("restore", "vg-lv", "wipe-backup", "/root/bk",
			   "force"));
	EXPECT_STREQ("/root/bk", req.wipe_backup);
	EXPECT_USAGE("wipe-backup needs DIR", "restore", "d", "wipe-backup");
	EXPECT_USAGE("'wipe-backup' given twice", "restore", "d",
		     "wipe-backup", "a", "wipe-backup", "b");
	ASSERT_EQ(0, PARSE("mirror", "a", "b", "wipe-backup", "/root/bk",
			   "complete"));
	EXPECT_STREQ("/root/bk", req.wipe_backup);
	EXPECT_TRUE(req.complete);
	EXPECT_USAGE("unexpected argument 'wipe-backup'", "backup", "a", "b",
		     "wipe-backup", "/x");
	ASSERT_EQ(0, PARSE("mirror", "/dev/mapper/c", "b", "key-file", "/k",
			   "wipe-backup", "/root/bk", "complete"));
	EXPECT_STREQ("/k", req.key_file);
	EXPECT_STREQ("/root/bk", req.wipe_backup);
	ASSERT_EQ(0, PARSE("restore", "c", "key-file", "/k", "force"));
	EXPECT_STREQ("/k", req.key_file);
	EXPECT_TRUE(req.force);
	EXPECT_USAGE("key-file needs FILE", "mirror", "a", "b", "key-file");
	EXPECT_USAGE("'key-file' given twice", "restore", "d", "key-file",
		     "a", "key-file", "b");
	EXPECT_USAGE("unexpected argument 'key-file'", "backup", "a", "b",
		     "key-file", "/k");
	ASSERT_EQ(0, PARSE("restore", "vg-lv", "wait", "force"));
	EXPECT_TRUE(req.wait);
	EXPECT_TRUE(req.force);
	EXPECT_USAGE("unexpected argument 'wait'", "restore", "d", "wait",
		     "wait");
	EXPECT_USAGE("restore needs SRC", "restore");
	EXPECT_USAGE("unexpected argument 'now'", "restore", "d", "now");
	EXPECT_USAGE("unexpected argument 'x'", "restore", "d", "force", "x");
	EXPECT_USAGE("unexpected argument 'force'", "restore", "d", "force",
		     "force");
}

/* Every command keyword may also be spelled as a long option. */
TEST(keywords_as_long_options)
{
	const struct blkjob_job_params *p = &req.params;

	ASSERT_EQ(0, PARSE("copy", "/dev/a", "/dev/b", "--speed", "50M",
			   "--id", "c1", "--auto-dismiss", "off", "--wait"));
	EXPECT_EQ(50ULL << 20, p->speed);
	EXPECT_STREQ("c1", req.id);
	EXPECT_TRUE(HAS(p, AUTO_DISMISS));
	EXPECT_FALSE(p->auto_dismiss);
	EXPECT_TRUE(req.wait);
	ASSERT_EQ(0, PARSE("mirror", "/dev/a", "/dev/b", "--complete"));
	EXPECT_TRUE(req.complete);
	ASSERT_EQ(0, PARSE("cancel", "j", "--force"));
	EXPECT_TRUE(req.force);
	ASSERT_EQ(0, PARSE("wait", "j", "--status", "ready", "--timeout",
			   "5"));
	EXPECT_EQ(BLKJOB_JOB_STATUS_READY, req.wait_status);
	EXPECT_EQ(5, req.timeout);
	ASSERT_EQ(0, PARSE("txn", "--completion-mode", "grouped", "--job",
			   "a", "copy", "/dev/a", "/dev/b", "--speed", "1M"));
	EXPECT_EQ(1, req.njobs);
	EXPECT_EQ(1ULL << 20, req.jobs[0].speed);
	ASSERT_EQ(0, PARSE("restore", "vg-lv", "--wait", "--force"));
	EXPECT_TRUE(req.wait);
	EXPECT_TRUE(req.force);
	/* Both spellings are the same keyword. */
	EXPECT_USAGE("'speed' given twice", "copy", "/dev/a", "/dev/b",
		     "speed", "1M", "--speed", "2M");
	EXPECT_USAGE("unexpected argument '--frobnicate'", "cancel", "j",
		     "--frobnicate");
	/* Before the command, only the global options are options. */
	EXPECT_USAGE("unknown option '--speed'", "--speed", "1M", "list");
}

TEST_HARNESS_MAIN
