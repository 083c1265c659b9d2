// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: 64 concurrent jobs (copies between tiny loop devices, and
 * mirrors on blkjob dm devices), several threads issuing random verbs at
 * random jobs, a thread re-creating the jobs that go away, a thread
 * reloading the dm tables (suspend, reload with the same blkjob table,
 * resume; refused with EBUSY while a mirror is attached) under the mirrors, a dumper checking the registry and a monitor
 * draining events, for BLKJOB_STRESS_SECONDS (default 25). No call may
 * hang (take over BLKJOB_STRESS_MAX_CALL_MS, default 60000: a reload
 * under a mirror once took 24 s on 6.1 in a VM sharing two host cores with
 * three others; the sanitizer kernel sets 120000) or fail with an
 * unexpected errno, the registry stays sane, and at the end it empties and
 * every device can be claimed again.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

#define NR_JOBS 64
#define NR_DM 2			/* mirrors, one per dm device */
#define NR_COPY (NR_JOBS - NR_DM)
#define DEV_SIZE (256 * KiB)
#define NR_VERBERS 4

struct stress {
	struct tdev copy_dev[2 * NR_COPY];
	struct tdev dm_leg[2 * NR_DM];
	char dm_name[NR_DM][64];
	char dm_path[NR_DM][96];
	char ids[NR_JOBS][BLKJOB_ID_LEN];
	volatile bool stop;
	uint64_t deadline;
	uint64_t max_call_ms;
	/* Results, under lock. */
	pthread_mutex_t lock;
	char fail[512];
	uint64_t max_ms;
	char max_what[64];
	unsigned long calls, ok, created, reloads, live_reloads, dumps, events;
};

static void sfail(struct stress *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sfail(struct stress *s, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->lock);
	if (!s->fail[0]) {
		va_start(ap, fmt);
		vsnprintf(s->fail, sizeof(s->fail), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&s->lock);
}

/* Account one call: its latency, and whether it succeeded. */
static void account(struct stress *s, const char *what, uint64_t t0,
		    int err)
{
	uint64_t ms = now_ms() - t0;

	pthread_mutex_lock(&s->lock);
	s->calls++;
	s->ok += !err;
	if (ms > s->max_ms) {
		s->max_ms = ms;
		snprintf(s->max_what, sizeof(s->max_what), "%s", what);
	}
	pthread_mutex_unlock(&s->lock);
	if (ms > s->max_call_ms)
		sfail(s, "%s took %llu ms", what, (unsigned long long)ms);
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* 75 when dm says the device is busy (a reload under a job), else sh()'s. */
static int dm_table(struct stress *s, int i, const char *cmd)
{
	return sh("out=$(dmsetup %s %s --table '0 %llu blkjob %s %s' 2>&1) || "
		  "{ echo \"$out\" >&2; echo \"$out\" | "
		  "grep -q 'Device or resource busy' && exit 75; exit 1; }", cmd,
		  s->dm_name[i], DEV_SIZE >> 9, s->dm_leg[2 * i].path,
		  s->dm_leg[2 * i + 1].path);
}

/* Create job @i (again): a slow copy, or a mirror on its dm device. */
static int create_job(struct stress *s, struct blkjob_ctx *ctx, int i,
		      uint64_t *seed)
{
	struct blkjob_job_params p;
	uint64_t t0 = now_ms();
	int err;

	if (i < NR_COPY) {
		copy_params(&p, s->ids[i], s->copy_dev[2 * i].path,
			    s->copy_dev[2 * i + 1].path,
			    (4 + rnd(seed) % 16) * KiB);
	} else {
		copy_params(&p, s->ids[i], s->dm_path[i - NR_COPY],
			    s->dm_leg[2 * (i - NR_COPY) + 1].path,
			    (4 + rnd(seed) % 16) * KiB);
		p.type = BLKJOB_JOB_TYPE_MIRROR;
		p.copy_mode = rnd(seed) % 2;
		p.present |= BLKJOB_F(BLKJOB_A_JOB_COPY_MODE);
	}
	p.auto_finalize = rnd(seed) % 2;
	p.auto_dismiss = rnd(seed) % 2;
	p.present |= BLKJOB_F(BLKJOB_A_JOB_AUTO_FINALIZE) |
		     BLKJOB_F(BLKJOB_A_JOB_AUTO_DISMISS);
	err = blkjob_job_new(ctx, &p, NULL);
	account(s, "job-new", t0, err);
	/*
	 * EEXIST: a verb thread's job is still there; EBUSY: the device is
	 * still held (its job winding down) or the dm device is suspended;
	 * ENODEV/EINVAL: the dm device is between tables or has pivoted.
	 */
	if (err && err != -EEXIST && err != -EBUSY &&
	    !(i >= NR_COPY && (err == -ENODEV || err == -EINVAL ||
			       err == -ENOENT)))
		sfail(s, "job-new %s: %s (%s)", s->ids[i], strerror(-err),
		      blkjob_errmsg(ctx));
	if (!err) {
		pthread_mutex_lock(&s->lock);
		s->created++;
		pthread_mutex_unlock(&s->lock);
	}
	return err;
}

struct verber {
	struct stress *s;
	pthread_t thread;
	uint64_t seed;
};

static void *verber_fn(void *arg)
{
	static const char *const names[] = {
		"pause", "resume", "cancel", "force-cancel", "set-speed",
		"complete", "finalize", "dismiss", "job-get", "change",
	};
	struct verber *v = arg;
	struct stress *s = v->s;
	struct blkjob_ctx *ctx = blkjob_open();
	struct blkjob_job job;

	if (!ctx) {
		sfail(s, "blkjob_open: %s", strerror(errno));
		return NULL;
	}
	while (!s->stop && now_ms() < s->deadline) {
		const char *id = s->ids[rnd(&v->seed) % NR_JOBS];
		unsigned int verb = rnd(&v->seed) % 10;
		uint64_t t0 = now_ms();
		int err;

		switch (verb) {
		case 0:
			err = blkjob_job_pause(ctx, id);
			break;
		case 1:
			err = blkjob_job_resume(ctx, id);
			break;
		case 2:
			err = blkjob_job_cancel(ctx, id, false);
			break;
		case 3:
			/* Rarer than the rest: it ends the job. */
			err = rnd(&v->seed) % 4 ? blkjob_job_get(ctx, id, &job) :
			      blkjob_job_cancel(ctx, id, true);
			break;
		case 4:
			err = blkjob_job_set_speed(ctx, id,
						   (16 + rnd(&v->seed) % 256) *
						   KiB);
			break;
		case 5:
			err = blkjob_job_complete(ctx, id);
			break;
		case 6:
			err = blkjob_job_finalize(ctx, id);
			break;
		case 7:
			err = blkjob_job_dismiss(ctx, id);
			break;
		case 8:
			err = blkjob_job_get(ctx, id, &job);
			break;
		default:
			err = blkjob_job_change(ctx, id,
						BLKJOB_COPY_MODE_WRITE_BLOCKING);
			break;
		}
		account(s, names[verb], t0, err);
		/*
		 * EPERM: not in this state; EOPNOTSUPP: change of a copy job;
		 * EINVAL: change of a write-blocking mirror.
		 */
		if (err && err != -ENOENT && err != -EPERM && err != -EINVAL &&
		    err != -EOPNOTSUPP)
			sfail(s, "%s %s: %s (%s)", names[verb], id,
			      strerror(-err), blkjob_errmsg(ctx));
		if (err == -EPERM && !strlen(blkjob_errmsg(ctx)))
			sfail(s, "%s %s: EPERM without a message", names[verb],
			      id);
		/* Leave the (two, emulated) CPUs to the jobs now and then. */
		usleep(rnd(&v->seed) % 2000);
	}
	blkjob_close(ctx);
	return NULL;
}

/* Keeps every slot filled: what ended is created again. */
static void *creator_fn(void *arg)
{
	struct stress *s = arg;
	struct blkjob_ctx *ctx = blkjob_open();
	uint64_t seed = 0x1234567;
	int i;

	if (!ctx)
		return NULL;
	while (!s->stop && now_ms() < s->deadline) {
		for (i = 0; i < NR_JOBS && !s->stop; i++)
			if (job_status(ctx, s->ids[i]) ==
			    BLKJOB_JOB_STATUS_NULL)
				create_job(s, ctx, i, &seed);
		usleep(50000);
	}
	blkjob_close(ctx);
	return NULL;
}

/* Reload each dm device with its own blkjob table, over and over. */
static void *reloader_fn(void *arg)
{
	struct stress *s = arg;
	struct blkjob_ctx *ctx = blkjob_open();
	int i = 0;

	if (!ctx)
		return NULL;
	while (!s->stop && now_ms() < s->deadline) {
		uint64_t t0 = now_ms();
		char what[96];
		int err, st;

		/* Give the creator a moment to attach a new mirror. */
		do {
			st = job_status(ctx, s->ids[NR_COPY + i]);
			if (st > 0 && st < BLKJOB_JOB_STATUS_WAITING)
				break;
			usleep(100000);
		} while (now_ms() < t0 + 4000);
		t0 = now_ms();

		snprintf(what, sizeof(what), "reload of %s", s->dm_name[i]);
		err = dm_table(s, i, "load");
		/*
		 * Refused (75: EBUSY) while a mirror is attached, which goes
		 * on; taken otherwise. A job may attach or let go between
		 * our look at its status and the reload: either answer is
		 * right then, anything else is not.
		 */
		if (err == 75)
			s->live_reloads++;
		else if (!err)
			err = sh("dmsetup suspend %s && dmsetup resume %s",
				 s->dm_name[i], s->dm_name[i]);
		account(s, what, t0, err == 75 ? 0 : err);
		if (err && err != 75)
			sfail(s, "%s failed", what);
		pthread_mutex_lock(&s->lock);
		s->reloads++;
		pthread_mutex_unlock(&s->lock);
		i = (i + 1) % NR_DM;
	}
	blkjob_close(ctx);
	return NULL;
}

static void *dumper_fn(void *arg)
{
	struct stress *s = arg;
	struct blkjob_ctx *ctx = blkjob_open();
	char why[256];

	if (!ctx)
		return NULL;
	while (!s->stop && now_ms() < s->deadline) {
		uint64_t t0 = now_ms();
		int n = registry_check(ctx, why, sizeof(why));

		account(s, "job-get dump", t0, n < 0);
		if (n < 0)
			sfail(s, "dump: %s", why);
		if (n > NR_JOBS)
			sfail(s, "dump: %d jobs", n);
		pthread_mutex_lock(&s->lock);
		s->dumps++;
		pthread_mutex_unlock(&s->lock);
		usleep(100000);
	}
	blkjob_close(ctx);
	return NULL;
}

static int count_ev(const struct blkjob_event *ev, void *arg)
{
	(*(unsigned long *)arg)++;
	return 0;
}

static void *monitor_fn(void *arg)
{
	struct stress *s = arg;
	struct blkjob_monitor *mon = blkjob_monitor_open();
	unsigned long n = 0;

	if (!mon)
		return NULL;
	while (!s->stop && now_ms() < s->deadline) {
		struct pollfd pfd = { blkjob_monitor_fd(mon), POLLIN, 0 };
		int err;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		err = blkjob_monitor_read(mon, count_ev, &n);
		if (err < 0 && err != -ENOBUFS)
			sfail(s, "monitor: %s", strerror(-err));
	}
	s->events = n;
	blkjob_monitor_close(mon);
	return NULL;
}

FIXTURE(stress) {
	struct blkjob_ctx *ctx;
	struct stress *s;
};

FIXTURE_SETUP(stress)
{
	struct stress *s;
	int i;

	self->ctx = blkjob_open();
	ASSERT_NE(NULL, self->ctx);
	ASSERT_EQ(0, registry_clear(self->ctx, 10000));
	s = self->s = calloc(1, sizeof(*s));
	ASSERT_NE(NULL, s);
	pthread_mutex_init(&s->lock, NULL);
	for (i = 0; i < 2 * NR_COPY; i++)
		ASSERT_EQ(0, tdev_create(&s->copy_dev[i], DEV_SIZE, !(i & 1)));
	for (i = 0; i < 2 * NR_DM; i++)
		ASSERT_EQ(0, tdev_create(&s->dm_leg[i], DEV_SIZE, !(i & 1)));
	for (i = 0; i < NR_DM; i++) {
		snprintf(s->dm_name[i], sizeof(s->dm_name[i]), "bjst-%d-%d",
			 getpid(), i);
		snprintf(s->dm_path[i], sizeof(s->dm_path[i]),
			 "/dev/mapper/bjst-%d-%d", getpid(), i);
		ASSERT_EQ(0, dm_table(s, i, "create"));
		ASSERT_EQ(0, sh("dmsetup mknodes %s", s->dm_name[i]));
	}
	for (i = 0; i < NR_JOBS; i++)
		snprintf(s->ids[i], BLKJOB_ID_LEN, "st%d", i);
}

FIXTURE_TEARDOWN(stress)
{
	struct stress *s = self->s;
	int i;

	registry_clear(self->ctx, 20000);
	for (i = 0; i < NR_DM; i++)
		sh("dmsetup resume %s 2>/dev/null; dmsetup remove --retry %s",
		   s->dm_name[i], s->dm_name[i]);
	for (i = 0; i < 2 * NR_COPY; i++)
		tdev_destroy(&s->copy_dev[i]);
	for (i = 0; i < 2 * NR_DM; i++)
		tdev_destroy(&s->dm_leg[i]);
	free(s);
	blkjob_close(self->ctx);
}

TEST_F_TIMEOUT(stress, random_verbs_and_reloads, 600)
{
	struct stress *s = self->s;
	struct verber v[NR_VERBERS];
	pthread_t creator, reloader, dumper, monitor;
	const char *e = getenv("BLKJOB_STRESS_SECONDS");
	int secs = e ? atoi(e) : 25;
	const char *m = getenv("BLKJOB_STRESS_MAX_CALL_MS");
	uint64_t seed = 88172645463325252ULL, t0;
	char why[256];
	int i, err;

	s->max_call_ms = m ? strtoull(m, NULL, 0) : 60000;
	/* All 64 at once first. */
	for (i = 0; i < NR_JOBS; i++) {
		err = create_job(s, self->ctx, i, &seed);
		ASSERT_EQ(0, err) TH_LOG("%s: %s", s->ids[i],
					 blkjob_errmsg(self->ctx));
	}
	EXPECT_EQ(NR_JOBS, registry_check(self->ctx, why, sizeof(why)))
		TH_LOG("%s", why);

	t0 = now_ms();
	s->deadline = t0 + secs * 1000ULL;
	for (i = 0; i < NR_VERBERS; i++) {
		v[i].s = s;
		v[i].seed = 0x9e3779b97f4a7c15ULL * (i + 1);
		ASSERT_EQ(0, pthread_create(&v[i].thread, NULL, verber_fn,
					    &v[i]));
	}
	ASSERT_EQ(0, pthread_create(&creator, NULL, creator_fn, s));
	ASSERT_EQ(0, pthread_create(&reloader, NULL, reloader_fn, s));
	ASSERT_EQ(0, pthread_create(&dumper, NULL, dumper_fn, s));
	ASSERT_EQ(0, pthread_create(&monitor, NULL, monitor_fn, s));
	for (i = 0; i < NR_VERBERS; i++)
		pthread_join(v[i].thread, NULL);
	pthread_join(creator, NULL);
	pthread_join(reloader, NULL);
	pthread_join(dumper, NULL);
	pthread_join(monitor, NULL);

	TH_LOG("%.1f s: %lu calls (%lu succeeded), %lu jobs created, %lu dm reloads (%lu refused under a mirror), %lu dumps, %lu events; slowest: %s, %llu ms",
	       (now_ms() - t0) / 1000.0, s->calls, s->ok, s->created,
	       s->reloads, s->live_reloads, s->dumps, s->events, s->max_what,
	       (unsigned long long)s->max_ms);
	EXPECT_STREQ("", s->fail);
	/*
	 * Reloads happened; whether one met an attached mirror is chance:
	 * the verb threads cancel and complete mirrors at random, and a
	 * refused reload needs one attached at that instant. Measured in
	 * make check (2026-12-07): 0 refused of 4 and of 5 reloads in 26 s
	 * (6.1, 6.12), 1 of 3 the run before. test_dm's reload_refused is
	 * the deterministic check of the refusal; here, that no reload hangs
	 * or fails with anything but EBUSY under the load.
	 */
	EXPECT_LE(1, s->reloads);

	/* The end: sane, then empty, every device free. */
	EXPECT_LE(0, registry_check(self->ctx, why, sizeof(why)))
		TH_LOG("%s", why);
	t0 = now_ms();
	ASSERT_EQ(0, registry_clear(self->ctx, 30000));
	TH_LOG("registry cleared in %llu ms",
	       (unsigned long long)(now_ms() - t0));
	EXPECT_EQ(0, registry_check(self->ctx, why, sizeof(why)));
	for (i = 0; i < 2 * NR_COPY; i++) {
		err = dev_claimable(s->copy_dev[i].path);
		EXPECT_EQ(0, err);
		if (err)
			TH_LOG("%s is still claimed", s->copy_dev[i].path);
	}
	for (i = 0; i < NR_DM; i++) {
		EXPECT_EQ(0, dev_claimable(s->dm_path[i]));
		/* No job left attached to the target. */
		EXPECT_EQ(0, sh("dmsetup status %s | grep -Eq ' - - 0/0$'",
				s->dm_name[i]));
	}
}

TEST_HARNESS_MAIN
