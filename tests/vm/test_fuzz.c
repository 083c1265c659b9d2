// SPDX-License-Identifier: GPL-2.0
/*
 * A netlink fuzzer for the blkjob family. Messages are built by hand with
 * raw libnl (genlmsg_put with the family id, nla_put of any type and
 * length, nests, corrupted bytes), so they can be what libblkjob never
 * sends: wrong types, missing and repeated attributes, oversized and
 * unterminated strings, absurd sizes and speeds, ids at the length limits,
 * garbage nested in txn-new, unknown commands and flags.
 *
 * Every message must get an error (a sane errno, a well-formed extack) or
 * a valid reply; every reply and every job of a periodic job-get dump must
 * be sane. At the end every job is cancelled and dismissed, the dump must
 * be empty and every device the fuzzer used must be claimable again. The
 * same messages go to the family from a caller without any capability
 * (every mutating op is EPERM) and from one without CAP_SYS_ADMIN only
 * (no mutating op succeeds); neither changes the registry.
 *
 * The messages are a function of the seed alone:
 *   test_fuzz [--seed N] [--count N] [harness options]
 * (or BLKJOB_FUZZ_SEED, BLKJOB_FUZZ_COUNT in the environment).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "kselftest_harness.h"
#include "util.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

static uint64_t fuzz_seed;
static long fuzz_count = 10000;

/* Devices the fuzzer may name; tiny, so accidental jobs finish quickly. */
#define NR_LOOPS 9
#define LOOP_SIZE (1 * MiB)

/* ------------------------------------------------------------------ */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	/* splitmix64: any seed, 0 included, gives a good stream. */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int below(struct rng *r, unsigned int n)
{
	return rnd(r) % n;
}

static bool chance(struct rng *r, unsigned int pct)
{
	return below(r, 100) < pct;
}

/* ------------------------------------------------------------------ */

struct fuzz {
	struct nl_sock *sk;
	int family;
	uint8_t *buf;
	size_t buflen;
	struct rng rng;
	char devs[NR_LOOPS + 2][128];	/* loops, the blkjob dm device, "" */
	int ndevs;
	/* Caller's privilege: 2 full, 1 without CAP_SYS_ADMIN, 0 none. */
	int priv;
	/* Results. */
	long sent, errors, replies, acks;
	long created;			/* job-new/txn-new that succeeded */
	bool cut;			/* sent without its whole genl header */
	long by_errno[200];
	char fail[512];			/* first problem, or "" */
};

static void fail(struct fuzz *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct fuzz *f, const char *fmt, ...)
{
	va_list ap;

	if (f->fail[0])
		return;
	va_start(ap, fmt);
	vsnprintf(f->fail, sizeof(f->fail), fmt, ap);
	va_end(ap);
}

static const uint16_t job_new_attrs[] = {
	BLKJOB_A_JOB_ID, BLKJOB_A_JOB_TYPE, BLKJOB_A_JOB_SOURCE,
	BLKJOB_A_JOB_TARGET, BLKJOB_A_JOB_SPEED, BLKJOB_A_JOB_GRANULARITY,
	BLKJOB_A_JOB_BUF_SIZE, BLKJOB_A_JOB_AUTO_FINALIZE,
	BLKJOB_A_JOB_AUTO_DISMISS, BLKJOB_A_JOB_ON_SOURCE_ERROR,
	BLKJOB_A_JOB_ON_TARGET_ERROR, BLKJOB_A_JOB_COPY_MODE,
	BLKJOB_A_JOB_SYNC,
};

/* Ids: a few the fuzzer's jobs live under, then the edge cases. */
#define NR_GOOD_IDS 6
static char id_63[64], id_64[65], id_long[300];

static const char *pick_id(struct fuzz *f, size_t *len)
{
	static const char *const good[NR_GOOD_IDS] = {
		"fz0", "fz1", "Fz.2", "fz_3-x", "z", id_63,
	};
	static const char *const bad[] = {
		"", "1abc", "-x", "a b", "a/b", "\xc3\xa9", "a\nb", ".", id_64,
		id_long,
	};
	unsigned int r = below(&f->rng, 100);
	const char *s;

	if (r < 80)
		s = good[below(&f->rng, NR_GOOD_IDS)];
	else
		s = bad[below(&f->rng, sizeof(bad) / sizeof(bad[0]))];
	*len = strlen(s) + 1;
	if (chance(&f->rng, 5) && *len > 1)
		(*len)--;		/* not terminated */
	return s;
}

static char path_4095[4096], path_4096[4097];

static const char *pick_path(struct fuzz *f, size_t *len)
{
	static const char *const odd[] = {
		"", "/", "/tmp", "/dev/null", "/dev/zero", "/dev/no-such-dev",
		"relative/path", "/dev/loop-control", "/proc/self/fd/0",
		"/dev/mapper/control", "/dev/../dev/null", path_4095, path_4096,
	};
	const char *s;

	if (chance(&f->rng, 75))
		s = f->devs[below(&f->rng, f->ndevs)];
	else
		s = odd[below(&f->rng, sizeof(odd) / sizeof(odd[0]))];
	*len = strlen(s) + 1;
	if (chance(&f->rng, 4) && *len > 1)
		(*len)--;
	return s;
}

static uint64_t pick_u64(struct fuzz *f)
{
	static const uint64_t v[] = {
		0, 1, 511, 512, 4096, 65536, 1 << 20, 1ULL << 30, 1ULL << 40,
		INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX, UINT32_MAX,
		(uint64_t)UINT32_MAX + 1,
	};

	if (chance(&f->rng, 20))
		return rnd(&f->rng);
	return v[below(&f->rng, sizeof(v) / sizeof(v[0]))];
}

static uint32_t pick_u32(struct fuzz *f, unsigned int nvalues)
{
	static const uint32_t v[] = {
		0, 1, 2, 3, 4, 5, 10, 255, 256, 511, 512, 4096, 3 * 4096,
		65536, 64 << 20, 128 << 20, 0x7fffffff, 0x80000000, UINT32_MAX,
	};
	unsigned int r = below(&f->rng, 100);

	if (nvalues && r < 70)
		return below(&f->rng, nvalues);
	if (r < 90)
		return v[below(&f->rng, sizeof(v) / sizeof(v[0]))];
	return rnd(&f->rng);
}

/* Random bytes of a random, sometimes large, length. */
static void put_garbage(struct fuzz *f, struct nl_msg *m, int type)
{
	static uint8_t g[8192];
	size_t len, i;

	switch (below(&f->rng, 6)) {
	case 0:
		len = 0;
		break;
	case 1:
		len = 1 + below(&f->rng, 8);
		break;
	case 2:
		len = 1 + below(&f->rng, 64);
		break;
	case 3:
		len = below(&f->rng, 600);
		break;
	default:
		len = below(&f->rng, sizeof(g));
		break;
	}
	for (i = 0; i < len; i++)
		g[i] = rnd(&f->rng);
	nla_put(m, type, len, g);
}

/* One job attribute, usually of the right type, sometimes not. */
static void put_job_attr(struct fuzz *f, struct nl_msg *m, int type)
{
	unsigned int r = below(&f->rng, 100);
	const char *s;
	size_t len;
	uint64_t v64;
	uint32_t v32;
	uint8_t v8;

	if (r < 6) {
		put_garbage(f, m, type);
		return;
	}
	if (r < 10) {			/* a right value in the wrong width */
		v64 = pick_u64(f);
		nla_put(m, type, 1 << below(&f->rng, 4), &v64);
		return;
	}
	switch (type) {
	case BLKJOB_A_JOB_ID:
		s = pick_id(f, &len);
		nla_put(m, type, len, s);
		break;
	case BLKJOB_A_JOB_SOURCE:
	case BLKJOB_A_JOB_TARGET:
	case BLKJOB_A_JOB_ERROR:
		s = pick_path(f, &len);
		nla_put(m, type, len, s);
		break;
	case BLKJOB_A_JOB_TYPE:
		nla_put_u32(m, type, pick_u32(f, 3));
		break;
	case BLKJOB_A_JOB_STATUS:
		nla_put_u32(m, type, pick_u32(f, 11));
		break;
	case BLKJOB_A_JOB_IO_STATUS:
	case BLKJOB_A_JOB_OPERATION:
	case BLKJOB_A_JOB_ACTION:
		nla_put_u32(m, type, pick_u32(f, 3));
		break;
	case BLKJOB_A_JOB_ON_SOURCE_ERROR:
	case BLKJOB_A_JOB_ON_TARGET_ERROR:
		nla_put_u32(m, type, pick_u32(f, 4));
		break;
	case BLKJOB_A_JOB_COPY_MODE:
	case BLKJOB_A_JOB_SYNC:
		nla_put_u32(m, type, pick_u32(f, 2));
		break;
	case BLKJOB_A_JOB_GRANULARITY:
		v32 = chance(&f->rng, 50) ? 512u << below(&f->rng, 20) :
					    pick_u32(f, 0);
		nla_put_u32(m, type, v32);
		break;
	case BLKJOB_A_JOB_SPEED:
		/* Mostly slow: the jobs that get created stay small. */
		v64 = chance(&f->rng, 60) ? 4096 << below(&f->rng, 6) :
					    pick_u64(f);
		nla_put_u64(m, type, v64);
		break;
	case BLKJOB_A_JOB_LEN:
	case BLKJOB_A_JOB_OFFSET:
	case BLKJOB_A_JOB_BUF_SIZE:
		nla_put_u64(m, type, pick_u64(f));
		break;
	case BLKJOB_A_JOB_FORCE:
		if (chance(&f->rng, 80))
			nla_put_flag(m, type);
		else
			put_garbage(f, m, type);
		break;
	case BLKJOB_A_JOB_PAD:
		put_garbage(f, m, type);
		break;
	default:			/* the u8 ones, and unknown types */
		if (type > BLKJOB_A_JOB_MAX || chance(&f->rng, 20)) {
			put_garbage(f, m, type);
			break;
		}
		v8 = chance(&f->rng, 80) ? below(&f->rng, 2) : rnd(&f->rng);
		nla_put_u8(m, type, v8);
		break;
	}
}

/* A random attribute type: mostly the set's, sometimes beyond it. */
static int pick_type(struct fuzz *f)
{
	unsigned int r = below(&f->rng, 100);

	if (r < 85)
		return 1 + below(&f->rng, BLKJOB_A_JOB_MAX);
	if (r < 90)
		return 0;
	if (r < 95)
		return BLKJOB_A_JOB_MAX + 1 + below(&f->rng, 8);
	/* The nested and byte-order flags, and absurd types. */
	return (rnd(&f->rng) & 0x3fff) | (rnd(&f->rng) & 0xc000);
}

/*
 * A job-new that could succeed: good id, two pool devices, valid options,
 * slow. Fuzzing needs jobs to exist for the verbs to reach them.
 */
static void put_job_new_valid(struct fuzz *f, struct nl_msg *m)
{
	static const char *const ids[] = { "fz0", "fz1", "Fz.2", "fz_3-x", "z" };
	const char *id = below(&f->rng, 6) ? ids[below(&f->rng, 5)] : id_63;
	unsigned int s = below(&f->rng, f->ndevs - 1);
	unsigned int t = below(&f->rng, f->ndevs - 1);
	uint32_t type = BLKJOB_JOB_TYPE_COPY;

	if (s == NR_LOOPS - 2 && chance(&f->rng, 70)) {
		s = NR_LOOPS;		/* the blkjob dm device: live jobs */
		t = NR_LOOPS - 1;
		type = 1 + below(&f->rng, 2);
	}
	nla_put_string(m, BLKJOB_A_JOB_ID, id);
	nla_put_u32(m, BLKJOB_A_JOB_TYPE, type);
	nla_put_string(m, BLKJOB_A_JOB_SOURCE, f->devs[s]);
	nla_put_string(m, BLKJOB_A_JOB_TARGET, f->devs[t]);
	if (chance(&f->rng, 90))
		nla_put_u64(m, BLKJOB_A_JOB_SPEED, 4096 << below(&f->rng, 8));
	if (chance(&f->rng, 30))
		nla_put_u32(m, BLKJOB_A_JOB_GRANULARITY,
			    4096 << below(&f->rng, 6));
	if (chance(&f->rng, 30))
		nla_put_u64(m, BLKJOB_A_JOB_BUF_SIZE, 4096 << below(&f->rng, 10));
	if (chance(&f->rng, 30))
		nla_put_u8(m, BLKJOB_A_JOB_AUTO_FINALIZE, below(&f->rng, 2));
	if (chance(&f->rng, 30))
		nla_put_u8(m, BLKJOB_A_JOB_AUTO_DISMISS, below(&f->rng, 2));
	if (chance(&f->rng, 30))
		nla_put_u32(m, BLKJOB_A_JOB_ON_SOURCE_ERROR, below(&f->rng, 4));
	if (chance(&f->rng, 30))
		nla_put_u32(m, BLKJOB_A_JOB_ON_TARGET_ERROR, below(&f->rng, 4));
	if (chance(&f->rng, 30))
		nla_put_u32(m, BLKJOB_A_JOB_COPY_MODE, below(&f->rng, 2));
	if (chance(&f->rng, 20))
		nla_put_u32(m, BLKJOB_A_JOB_SYNC, below(&f->rng, 2));
}

/* The attributes of a job-new (top level or one txn member). */
static void put_job_new(struct fuzz *f, struct nl_msg *m, int depth)
{
	unsigned int i, n;

	if (chance(&f->rng, 30)) {
		put_job_new_valid(f, m);
		if (chance(&f->rng, 60))
			return;
	}

	for (i = 0; i < sizeof(job_new_attrs) / sizeof(job_new_attrs[0]);
	     i++) {
		/* The four required ones are usually there. */
		if (chance(&f->rng, i < 4 ? 94 : 30))
			put_job_attr(f, m, job_new_attrs[i]);
		if (chance(&f->rng, 2))		/* repeated */
			put_job_attr(f, m, job_new_attrs[i]);
	}
	n = chance(&f->rng, 15) ? 1 + below(&f->rng, 4) : 0;
	for (i = 0; i < n; i++) {
		int type = pick_type(f);

		if (depth < 3 && chance(&f->rng, 15)) {
			struct nlattr *nest = nla_nest_start(m, type & 0x3fff);

			put_job_new(f, m, depth + 1);
			if (nest)
				nla_nest_end(m, nest);
		} else {
			put_job_attr(f, m, type);
		}
	}
}

static void put_txn(struct fuzz *f, struct nl_msg *m)
{
	unsigned int i, n;

	if (chance(&f->rng, 50))
		nla_put_u32(m, BLKJOB_A_TXN_COMPLETION_MODE, pick_u32(f, 2));
	switch (below(&f->rng, 10)) {
	case 0:
		n = 0;
		break;
	case 1:
		n = 60 + below(&f->rng, 10);	/* around the limit of 64 */
		break;
	default:
		n = 1 + below(&f->rng, 4);
		break;
	}
	for (i = 0; i < n; i++) {
		unsigned int r = below(&f->rng, 100);
		struct nlattr *nest;

		if (r < 8) {			/* a "nest" of garbage */
			put_garbage(f, m, BLKJOB_A_TXN_JOB);
			continue;
		}
		if (r < 12) {			/* another txn attribute */
			put_job_attr(f, m, pick_type(f) & 0x7);
			continue;
		}
		nest = nla_nest_start(m, BLKJOB_A_TXN_JOB);
		if (!nest)
			break;
		if (r < 20) {
			unsigned int k = below(&f->rng, 6);

			while (k--)
				put_job_attr(f, m, pick_type(f));
		} else {
			put_job_new(f, m, 1);
		}
		nla_nest_end(m, nest);
	}
}

/* The attributes of one of the other do operations. */
static void put_verb(struct fuzz *f, struct nl_msg *m, int cmd)
{
	unsigned int i, n;

	if (chance(&f->rng, 93))
		put_job_attr(f, m, BLKJOB_A_JOB_ID);
	if (chance(&f->rng, 3))
		put_job_attr(f, m, BLKJOB_A_JOB_ID);
	if (cmd == BLKJOB_CMD_JOB_CANCEL && chance(&f->rng, 50))
		put_job_attr(f, m, BLKJOB_A_JOB_FORCE);
	if (cmd == BLKJOB_CMD_JOB_SET_SPEED && chance(&f->rng, 90))
		put_job_attr(f, m, BLKJOB_A_JOB_SPEED);
	if (cmd == BLKJOB_CMD_JOB_CHANGE && chance(&f->rng, 90))
		put_job_attr(f, m, BLKJOB_A_JOB_COPY_MODE);
	n = chance(&f->rng, 15) ? 1 + below(&f->rng, 4) : 0;
	for (i = 0; i < n; i++)
		put_job_attr(f, m, pick_type(f));
}

/* Flip, zero or overwrite bytes of the attribute area (nla_len too). */
static void corrupt(struct fuzz *f, struct nl_msg *m)
{
	struct nlmsghdr *h = nlmsg_hdr(m);
	uint8_t *p = (uint8_t *)h + NLMSG_HDRLEN + GENL_HDRLEN;
	size_t len = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	unsigned int i, n = 1 + below(&f->rng, 4);

	if (!len)
		return;
	for (i = 0; i < n; i++) {
		size_t at = below(&f->rng, len);

		switch (below(&f->rng, 3)) {
		case 0:
			p[at] ^= 1 << below(&f->rng, 8);
			break;
		case 1:
			p[at] = 0;
			break;
		default:
			p[at] = rnd(&f->rng);
			break;
		}
	}
	/* Cut the message short, never below the netlink header. */
	if (chance(&f->rng, 20))
		h->nlmsg_len = NLMSG_HDRLEN + below(&f->rng, h->nlmsg_len -
						     NLMSG_HDRLEN + 1);
	f->cut = h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN;
}

/* ------------------------------------------------------------------ */

static const struct {
	uint16_t minlen;		/* 0: a string */
	uint16_t maxlen;
} job_attr_len[BLKJOB_A_JOB_MAX + 1] = {
	[BLKJOB_A_JOB_TYPE] = { 4, 4 },
	[BLKJOB_A_JOB_STATUS] = { 4, 4 },
	[BLKJOB_A_JOB_LEN] = { 8, 8 },
	[BLKJOB_A_JOB_OFFSET] = { 8, 8 },
	[BLKJOB_A_JOB_SPEED] = { 8, 8 },
	[BLKJOB_A_JOB_GRANULARITY] = { 4, 4 },
	[BLKJOB_A_JOB_BUF_SIZE] = { 8, 8 },
	[BLKJOB_A_JOB_BUSY] = { 1, 1 },
	[BLKJOB_A_JOB_PAUSED] = { 1, 1 },
	[BLKJOB_A_JOB_READY] = { 1, 1 },
	[BLKJOB_A_JOB_IO_STATUS] = { 4, 4 },
	[BLKJOB_A_JOB_AUTO_FINALIZE] = { 1, 1 },
	[BLKJOB_A_JOB_AUTO_DISMISS] = { 1, 1 },
	[BLKJOB_A_JOB_ON_SOURCE_ERROR] = { 4, 4 },
	[BLKJOB_A_JOB_ON_TARGET_ERROR] = { 4, 4 },
	[BLKJOB_A_JOB_COPY_MODE] = { 4, 4 },
	[BLKJOB_A_JOB_SYNC] = { 4, 4 },
	[BLKJOB_A_JOB_ACTIVELY_SYNCED] = { 1, 1 },
	[BLKJOB_A_JOB_PAD] = { 0, 0xffff },
};

static bool str_ok(const struct nlattr *a, size_t max)
{
	const char *s = nla_data(a);
	int n = nla_len(a);

	return n >= 1 && n <= (int)max && s[n - 1] == 0 &&
	       strlen(s) == (size_t)n - 1;
}

/* A job reply (job-new, job-get do or dump): every attribute sane. */
static void check_job_reply(struct fuzz *f, struct nlmsghdr *h, int cmd)
{
	struct genlmsghdr *g = nlmsg_data(h);
	struct nlattr *tb[BLKJOB_A_JOB_MAX + 1] = { 0 };
	struct nlattr *a;
	int rem, type;
	uint32_t st;

	if (h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) {
		fail(f, "short reply to cmd %d", cmd);
		return;
	}
	if (g->cmd != cmd) {
		fail(f, "reply cmd %u to cmd %d", g->cmd, cmd);
		return;
	}
	nla_for_each_attr(a, (struct nlattr *)((uint8_t *)g + GENL_HDRLEN),
			  h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, rem) {
		type = nla_type(a);
		if (type < 1 || type > BLKJOB_A_JOB_MAX) {
			fail(f, "reply to cmd %d: attribute type %d", cmd,
			     type);
			return;
		}
		if (tb[type] && type != BLKJOB_A_JOB_PAD) {
			fail(f, "reply to cmd %d: attribute %d twice", cmd,
			     type);
			return;
		}
		tb[type] = a;
		if (job_attr_len[type].maxlen &&
		    (nla_len(a) < job_attr_len[type].minlen ||
		     nla_len(a) > job_attr_len[type].maxlen)) {
			fail(f, "reply to cmd %d: attribute %d of %d bytes",
			     cmd, type, nla_len(a));
			return;
		}
	}
	if (rem) {
		fail(f, "reply to cmd %d: %d trailing bytes", cmd, rem);
		return;
	}
	if (!tb[BLKJOB_A_JOB_ID] || !str_ok(tb[BLKJOB_A_JOB_ID], 64) ||
	    !tb[BLKJOB_A_JOB_SOURCE] || !str_ok(tb[BLKJOB_A_JOB_SOURCE], 4096) ||
	    !tb[BLKJOB_A_JOB_TARGET] || !str_ok(tb[BLKJOB_A_JOB_TARGET], 4096) ||
	    !tb[BLKJOB_A_JOB_STATUS] || !tb[BLKJOB_A_JOB_TYPE] ||
	    !tb[BLKJOB_A_JOB_LEN] || !tb[BLKJOB_A_JOB_OFFSET] ||
	    (tb[BLKJOB_A_JOB_ERROR] && !str_ok(tb[BLKJOB_A_JOB_ERROR], 4096))) {
		fail(f, "reply to cmd %d: id, paths, status, type, len or offset missing or bad",
		     cmd);
		return;
	}
	st = nla_get_u32(tb[BLKJOB_A_JOB_STATUS]);
	if (st < BLKJOB_JOB_STATUS_CREATED || st > BLKJOB_JOB_STATUS_NULL ||
	    nla_get_u32(tb[BLKJOB_A_JOB_TYPE]) > BLKJOB_JOB_TYPE_BACKUP ||
	    nla_get_u64(tb[BLKJOB_A_JOB_OFFSET]) >
		    nla_get_u64(tb[BLKJOB_A_JOB_LEN]))
		fail(f, "reply to cmd %d: job '%s' status %u type %u offset %llu len %llu",
		     cmd, (char *)nla_data(tb[BLKJOB_A_JOB_ID]), st,
		     nla_get_u32(tb[BLKJOB_A_JOB_TYPE]),
		     (unsigned long long)nla_get_u64(tb[BLKJOB_A_JOB_OFFSET]),
		     (unsigned long long)nla_get_u64(tb[BLKJOB_A_JOB_LEN]));
}

/* The extack of an error: a terminated message, an offset inside. */
static void check_extack(struct fuzz *f, struct nlmsghdr *h, int cmd)
{
	struct nlmsgerr *e = nlmsg_data(h);
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	struct nlattr *a;
	int rem;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (off > h->nlmsg_len) {
		fail(f, "cmd %d: ack of %u bytes shorter than its request",
		     cmd, h->nlmsg_len);
		return;
	}
	nla_for_each_attr(a, (struct nlattr *)((uint8_t *)h + off),
			  h->nlmsg_len - off, rem) {
		if (nla_type(a) == NLMSGERR_ATTR_MSG && !str_ok(a, 1024))
			fail(f, "cmd %d: extack message not a string", cmd);
		if (nla_type(a) == NLMSGERR_ATTR_OFFS &&
		    (nla_len(a) != 4 || nla_get_u32(a) >= e->msg.nlmsg_len))
			fail(f, "cmd %d: extack offset out of the request",
			     cmd);
	}
}

static bool mutating(int cmd)
{
	return cmd != BLKJOB_CMD_JOB_GET && cmd >= BLKJOB_CMD_JOB_NEW &&
	       cmd <= BLKJOB_CMD_TXN_NEW;
}

/*
 * Read the answer to the message with sequence number @seq: an ack or an
 * error, after a reply or a dump. 0 when it came, -1 on a socket error.
 */
static int receive(struct fuzz *f, uint32_t seq, int cmd, bool dump)
{
	for (;;) {
		ssize_t n = recv(nl_socket_get_fd(f->sk), f->buf, f->buflen,
				 MSG_TRUNC);
		struct nlmsghdr *h;
		int len;

		if (n < 0) {
			fail(f, "cmd %d: recv: %s (no answer?)", cmd,
			     strerror(errno));
			return -1;
		}
		if ((size_t)n > f->buflen) {
			fail(f, "cmd %d: answer of %zd bytes", cmd, n);
			return -1;
		}
		len = n;
		for (h = (struct nlmsghdr *)f->buf; nlmsg_ok(h, len);
		     h = nlmsg_next(h, &len)) {
			if (h->nlmsg_seq != seq)
				continue;	/* a late answer */
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = nlmsg_data(h);
				int err = -e->error;

				if (e->error > 0 || err > 4095) {
					fail(f, "cmd %d: error %d", cmd,
					     e->error);
					return 0;
				}
				check_extack(f, h, cmd);
				if (err) {
					f->errors++;
					f->by_errno[err < 199 ? err : 199]++;
				} else {
					f->acks++;
				}
				if (!err && f->priv < 2 && mutating(cmd))
					fail(f, "cmd %d succeeded without CAP_SYS_ADMIN",
					     cmd);
				if (!err && (cmd == BLKJOB_CMD_JOB_NEW ||
					     cmd == BLKJOB_CMD_TXN_NEW))
					f->created++;
				/* Only a dump flag fails before the check. */
				if (f->priv == 0 && mutating(cmd) && !f->cut &&
				    err != EPERM && !(dump && err == EOPNOTSUPP))
					fail(f, "cmd %d without capabilities: %s, not EPERM",
					     cmd, strerror(err));
				return 0;
			}
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type != f->family) {
				fail(f, "cmd %d: answer of type %u", cmd,
				     h->nlmsg_type);
				continue;
			}
			f->replies++;
			if (cmd != BLKJOB_CMD_JOB_NEW &&
			    cmd != BLKJOB_CMD_JOB_GET)
				fail(f, "cmd %d: a reply", cmd);
			else
				check_job_reply(f, h, cmd);
			if (f->priv < 2 && cmd == BLKJOB_CMD_JOB_NEW)
				fail(f, "job-new replied without CAP_SYS_ADMIN");
			/* A dump ends with DONE; a do reply with the ack. */
		}
	}
}

/* Build, send and check one message. */
static void fuzz_one(struct fuzz *f)
{
	unsigned int r = below(&f->rng, 100);
	struct nl_msg *m;
	int cmd, flags = 0, version = BLKJOB_FAMILY_VERSION;
	uint32_t seq;
	bool dump;

	if (r < 92)
		cmd = 1 + below(&f->rng, BLKJOB_CMD_TXN_NEW);
	else if (r < 96)
		cmd = BLKJOB_CMD_JOB_STATUS_NTF +
		      below(&f->rng, BLKJOB_CMD_JOB_PENDING_NTF -
				     BLKJOB_CMD_JOB_STATUS_NTF + 1);
	else
		cmd = below(&f->rng, 256);
	/* job-new and txn-new more often: they have the most to parse. */
	if (r < 20)
		cmd = BLKJOB_CMD_JOB_NEW;
	else if (r < 30)
		cmd = BLKJOB_CMD_TXN_NEW;
	dump = cmd == BLKJOB_CMD_JOB_GET ? chance(&f->rng, 30) :
					    chance(&f->rng, 2);
	if (dump)
		flags |= NLM_F_DUMP;
	if (chance(&f->rng, 2))
		version = below(&f->rng, 256);

	f->cut = false;
	m = nlmsg_alloc_size(65536);
	if (!m) {
		fail(f, "nlmsg_alloc_size");
		return;
	}
	genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, f->family, 0, flags, cmd,
		    version);
	if (cmd == BLKJOB_CMD_JOB_NEW)
		put_job_new(f, m, 0);
	else if (cmd == BLKJOB_CMD_TXN_NEW)
		put_txn(f, m);
	else if (chance(&f->rng, 95))
		put_verb(f, m, cmd);
	else
		put_job_new(f, m, 0);
	if (chance(&f->rng, 10))
		corrupt(f, m);

	/* Sent whole: nl_complete_msg() adds REQUEST, ACK, port and seq. */
	nl_complete_msg(f->sk, m);
	seq = nlmsg_hdr(m)->nlmsg_seq;
	if (nl_sendto(f->sk, nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len) < 0)
		fail(f, "cmd %d: send failed", cmd);
	else
		receive(f, seq, cmd, dump);
	nlmsg_free(m);
	f->sent++;
}

static int fuzz_init(struct fuzz *f, uint64_t seed, int priv)
{
	struct timeval tv = { .tv_sec = 20 };
	int one = 1, fd;

	memset(id_63, 'a', 63);
	memset(id_64, 'b', 64);
	memset(id_long, 'c', sizeof(id_long) - 1);
	memset(path_4095, '/', 4095);
	memset(path_4096, '/', 4096);
	f->rng.s = seed;
	f->priv = priv;
	f->buflen = 1 << 20;
	f->buf = malloc(f->buflen);
	f->sk = nl_socket_alloc();
	if (!f->buf || !f->sk || genl_connect(f->sk))
		return -1;
	f->family = genl_ctrl_resolve(f->sk, BLKJOB_FAMILY_NAME);
	if (f->family < 0)
		return -1;
	fd = nl_socket_get_fd(f->sk);
	/* Answers carry extack; a lost answer is a hang, not a wait. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	nl_socket_set_buffer_size(f->sk, 1 << 20, 1 << 20);
	return 0;
}

static void fuzz_fini(struct fuzz *f)
{
	nl_socket_free(f->sk);
	free(f->buf);
}

static void fuzz_report(struct __test_metadata *_metadata, struct fuzz *f)
{
	char line[512];
	size_t n = 0;
	int i;

	TH_LOG("%ld messages: %ld acks, %ld replies, %ld errors, %ld jobs or txns created",
	       f->sent, f->acks, f->replies, f->errors, f->created);
	line[0] = 0;
	for (i = 1; i < 200 && n < sizeof(line) - 32; i++)
		if (f->by_errno[i])
			n += snprintf(line + n, sizeof(line) - n, " %s:%ld",
				      i < 199 ? strerrorname_np(i) ?: "?" :
						"other",
				      f->by_errno[i]);
	TH_LOG("errors:%s", line);
}

/* ------------------------------------------------------------------ */

/*
 * The devices, made once for all the tests (each one a fork of this
 * process): setting up loop and dm devices takes seconds under TCG.
 */
static struct tdev loops[NR_LOOPS];
static char dmname[64];
static char devs[NR_LOOPS + 1][128];

static int devs_create(void)
{
	int i;

	for (i = 0; i < NR_LOOPS; i++)
		if (tdev_create(&loops[i], i == 0 ? LOOP_SIZE / 2 : LOOP_SIZE,
				i & 1))
			return -1;
	/* A blkjob dm device over the last two, for mirror and backup. */
	snprintf(dmname, sizeof(dmname), "bjfz-%d", getpid());
	if (sh("dmsetup create %s --table '0 %llu blkjob %s %s' && "
	       "dmsetup mknodes %s", dmname, LOOP_SIZE >> 9,
	       loops[NR_LOOPS - 2].path, loops[NR_LOOPS - 1].path, dmname))
		return -1;
	for (i = 0; i < NR_LOOPS; i++)
		strcpy(devs[i], loops[i].path);
	snprintf(devs[i], sizeof(devs[i]), "/dev/mapper/%s", dmname);
	return 0;
}

/* Reload the dm device's table: a pivot by the fuzzer is undone. */
static int dm_reset(void)
{
	return sh("dmsetup load %s --table '0 %llu blkjob %s %s' && "
		  "dmsetup suspend %s && dmsetup resume %s", dmname,
		  LOOP_SIZE >> 9, loops[NR_LOOPS - 2].path,
		  loops[NR_LOOPS - 1].path, dmname, dmname);
}

static void devs_destroy(void)
{
	int i;

	if (dmname[0])
		sh("dmsetup remove --retry %s 2>/dev/null", dmname);
	for (i = 0; i < NR_LOOPS; i++)
		tdev_destroy(&loops[i]);
}

FIXTURE(fuzz) {
	struct blkjob_ctx *ctx;
	struct tdev *loops;
	struct fuzz f;
};

FIXTURE_SETUP(fuzz)
{
	int i;

	self->ctx = blkjob_open();
	ASSERT_NE(NULL, self->ctx);
	ASSERT_EQ(0, registry_clear(self->ctx, 10000));
	ASSERT_NE(0, devs[NR_LOOPS][0]);
	self->loops = loops;
	for (i = 0; i <= NR_LOOPS; i++)
		strcpy(self->f.devs[i], devs[i]);
	self->f.ndevs = NR_LOOPS + 1;
	TH_LOG("seed %" PRIu64 ", %ld messages (--seed %" PRIu64
	       " --count %ld to repeat)", fuzz_seed, fuzz_count, fuzz_seed,
	       fuzz_count);
}

FIXTURE_TEARDOWN(fuzz)
{
	registry_clear(self->ctx, 10000);
	blkjob_close(self->ctx);
}

/* The registry after the run: sane, then empty, every device free. */
static void check_registry_end(struct __test_metadata *_metadata,
			       FIXTURE_DATA(fuzz) *self)
{
	uint64_t t0 = now_ms();
	char why[256];
	int i, err;

	EXPECT_LE(0, registry_check(self->ctx, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, registry_clear(self->ctx, 20000));
	EXPECT_EQ(0, registry_check(self->ctx, why, sizeof(why)));
	TH_LOG("registry cleared in %llu ms",
	       (unsigned long long)(now_ms() - t0));
	/* The dm device's legs are the table's; the device itself is free. */
	for (i = 0; i < self->f.ndevs; i++) {
		if (i == NR_LOOPS - 2 || i == NR_LOOPS - 1)
			continue;
		err = dev_claimable(self->f.devs[i]);
		EXPECT_EQ(0, err);
		if (err)
			TH_LOG("%s is still claimed", self->f.devs[i]);
	}
}

TEST_F_TIMEOUT(fuzz, messages, 24 * 3600)
{
	struct fuzz *f = &self->f;
	uint64_t t0 = now_ms(), last = t0;
	char why[256];
	long i;

	ASSERT_EQ(0, fuzz_init(f, fuzz_seed, 2));
	for (i = 0; i < fuzz_count && !f->fail[0]; i++) {
		fuzz_one(f);
		/* Now and then: the registry is sane; sometimes, clean. */
		if (i % 256 == 255 &&
		    registry_check(self->ctx, why, sizeof(why)) < 0)
			fail(f, "after message %ld: %s", i, why);
		if (i % 2048 == 2047 && registry_clear(self->ctx, 20000))
			fail(f, "after message %ld: jobs do not go away", i);
		if (i % 32768 == 32767 && dm_reset())
			fail(f, "after message %ld: cannot reload %s", i,
			     dmname);
		if (now_ms() - last > 60000) {
			last = now_ms();
			TH_LOG("%ld messages, %.0f/s", i + 1,
			       (i + 1) * 1000.0 / (last - t0));
		}
	}
	fuzz_report(_metadata, f);
	TH_LOG("%.1f s, %.0f messages/s", (now_ms() - t0) / 1000.0,
	       f->sent * 1000.0 / (now_ms() - t0 + 1));
	EXPECT_STREQ("", f->fail);
	if (f->fail[0])
		TH_LOG("message %ld (seed %" PRIu64 ")", f->sent, fuzz_seed);
	check_registry_end(_metadata, self);
	fuzz_fini(f);
}

/* Drop CAP_SYS_ADMIN, or every capability, from the calling process. */
static int drop_caps(bool all)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (all)
		return setgid(65534) || setuid(65534) ? -1 : 0;
	if (syscall(SYS_capget, &h, d))
		return -1;
	d[0].effective &= ~(1u << CAP_SYS_ADMIN);
	d[0].permitted &= ~(1u << CAP_SYS_ADMIN);
	d[0].inheritable &= ~(1u << CAP_SYS_ADMIN);
	return syscall(SYS_capset, &h, d);
}

/*
 * The same fuzzing from a caller without privilege, with jobs of the
 * fuzzer's ids running: no mutating op succeeds (without any capability,
 * each is EPERM) and the jobs are as they were.
 */
static void unprivileged(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fuzz) *self, bool all)
{
	static const char *const ids[] = { "fz0", "fz1", "Fz.2", "z" };
	struct blkjob_job_params p;
	struct blkjob_job before[4], after;
	long count = fuzz_count / 4 ?: 1;
	unsigned int i;
	char why[256];
	int status;
	pid_t pid;

	ASSERT_EQ(0, dm_reset());
	/*
	 * 1 byte/s: after its first chunk each job waits for hours, so it
	 * is still there after a million messages on the debug kernel.
	 */
	for (i = 0; i < 4; i++) {
		if (i < 3)
			copy_params(&p, ids[i], self->loops[1 + 2 * i].path,
				    self->loops[2 + 2 * i].path, 1);
		else
			copy_params(&p, ids[i], "", "", 1);
		if (i == 3) {	/* the dm device: a mirror */
			p.type = BLKJOB_JOB_TYPE_MIRROR;
			p.source = self->f.devs[NR_LOOPS];
			p.target = self->loops[NR_LOOPS - 1].path;
		}
		if (i == 2) {
			p.auto_finalize = false;
			p.speed = 0;
			p.present |= BLKJOB_F(BLKJOB_A_JOB_AUTO_FINALIZE);
			p.present &= ~BLKJOB_F(BLKJOB_A_JOB_SPEED);
		}
		ASSERT_EQ(0, blkjob_job_new(self->ctx, &p, NULL))
			TH_LOG("%s: %s", ids[i], blkjob_errmsg(self->ctx));
	}
	ASSERT_EQ(0, wait_status(self->ctx, "Fz.2", BLKJOB_JOB_STATUS_PENDING,
				 10000));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, blkjob_job_get(self->ctx, ids[i], &before[i]));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct fuzz *f = &self->f;
		long n;

		if (drop_caps(all) || fuzz_init(f, fuzz_seed + 1, all ? 0 : 1))
			_exit(100);
		for (n = 0; n < count && !f->fail[0]; n++)
			fuzz_one(f);
		fuzz_report(_metadata, f);
		if (f->fail[0])
			TH_LOG("%s (message %ld)", f->fail, f->sent);
		_exit(f->fail[0] ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(4, registry_check(self->ctx, why, sizeof(why)))
		TH_LOG("%s", why);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, blkjob_job_get(self->ctx, ids[i], &after));
		/* Same job: never paused, its speed as set. */
		EXPECT_EQ(before[i].speed, after.speed);
		EXPECT_FALSE(after.paused);
		EXPECT_EQ(before[i].copy_mode, after.copy_mode);
		EXPECT_TRUE(after.status == before[i].status ||
			    after.status == BLKJOB_JOB_STATUS_RUNNING ||
			    after.status == BLKJOB_JOB_STATUS_READY);
	}
	check_registry_end(_metadata, self);
}

TEST_F_TIMEOUT(fuzz, no_capabilities, 24 * 3600)
{
	unprivileged(_metadata, self, true);
}

TEST_F_TIMEOUT(fuzz, no_cap_sys_admin, 24 * 3600)
{
	unprivileged(_metadata, self, false);
}

/* --seed and --count, taken out before the harness sees the options. */
int main(int argc, char **argv)
{
	const char *e;
	int i, n = 1;

	fuzz_seed = (uint64_t)time(NULL) * 1000003 ^ getpid();
	e = getenv("BLKJOB_FUZZ_SEED");
	if (e)
		fuzz_seed = strtoull(e, NULL, 0);
	e = getenv("BLKJOB_FUZZ_COUNT");
	if (e)
		fuzz_count = strtol(e, NULL, 0);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			fuzz_seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			fuzz_count = strtol(argv[++i], NULL, 0);
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	printf("# test_fuzz: seed %" PRIu64 ", count %ld\n", fuzz_seed,
	       fuzz_count);
	if (devs_create())
		printf("# cannot set up the devices\n");
	n = test_harness_run(n, argv);
	devs_destroy();
	return n;
}
