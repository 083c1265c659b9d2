// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libblkjob: requests, dumps and the monitor over libnl-genl-3.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "libblkjob.h"
#include "nl-internal.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct blkjob_ctx {
	struct nl_sock *sk;
	int family;
	struct blkjob_ext_ack ea;	/* of the last failed request */
	uint8_t err_cmd;		/* its command */
	unsigned int err_attr;
	unsigned int err_nest;
};

struct blkjob_monitor {
	struct nl_sock *sk;
	char buf[65536];
};

/* Best-effort errno for libnl's own failures (not the kernel's replies). */
static int nlerr_errno(int nlerr)
{
	switch (abs(nlerr)) {
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_OBJ_NOTFOUND:
		return ENOENT;
	case NLE_PERM:
		return EPERM;
	case NLE_AGAIN:
		return EAGAIN;
	case NLE_INVAL:
		return EINVAL;
	case NLE_BAD_SOCK:
		return EBADF;
	case NLE_MSGSIZE:
		return EMSGSIZE;
	case NLE_NOACCESS:
		return EACCES;
	case NLE_PROTO_MISMATCH:
	case NLE_SEQ_MISMATCH:
	case NLE_MSG_TRUNC:
		return EPROTO;
	default:
		return EIO;
	}
}

static int set_opt(struct nl_sock *sk, int opt)
{
	int one = 1;

	return setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, opt, &one,
			  sizeof(one));
}

/* A connected genl socket and the family id, or NULL with errno. */
static struct nl_sock *connect_genl(int *family)
{
	struct nl_sock *sk;
	int err;

	sk = nl_socket_alloc();
	if (!sk) {
		errno = ENOMEM;
		return NULL;
	}
	err = genl_connect(sk);
	if (err < 0)
		goto fail;
	err = genl_ctrl_resolve(sk, BLKJOB_FAMILY_NAME);
	if (err < 0)
		goto fail;
	*family = err;
	return sk;
fail:
	nl_socket_free(sk);
	errno = nlerr_errno(err);
	return NULL;
}

struct blkjob_ctx *blkjob_open(void)
{
	struct blkjob_ctx *ctx;
	int err;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->sk = connect_genl(&ctx->family);
	if (!ctx->sk) {
		err = errno;
		free(ctx);
		errno = err;
		return NULL;
	}
	/*
	 * Extended acks carry the kernel's message; capping keeps the
	 * request out of error replies. Old kernels lack them: not fatal.
	 */
	set_opt(ctx->sk, NETLINK_EXT_ACK);
	set_opt(ctx->sk, NETLINK_CAP_ACK);
	return ctx;
}

void blkjob_close(struct blkjob_ctx *ctx)
{
	if (!ctx)
		return;
	nl_socket_free(ctx->sk);
	free(ctx);
}

const char *blkjob_errmsg(const struct blkjob_ctx *ctx)
{
	return ctx->ea.msg;
}

unsigned int blkjob_err_attr(const struct blkjob_ctx *ctx, unsigned int *nest)
{
	if (nest)
		*nest = ctx->err_nest;
	return ctx->err_attr;
}

const char *blkjob_err_attr_name(const struct blkjob_ctx *ctx)
{
	if (!ctx->err_attr)
		return NULL;
	/* txn-new's top level is the txn set; its nests are job sets. */
	if (ctx->err_cmd == BLKJOB_CMD_TXN_NEW && !ctx->err_nest)
		return blkjob_txn_attr_str(ctx->err_attr);
	/* meta-*: the meta set, whose dev nest is a meta-dev set. */
	if (ctx->err_cmd >= BLKJOB_CMD_META_FORMAT)
		return ctx->err_nest ? blkjob_meta_dev_attr_str(ctx->err_attr) :
		       blkjob_meta_attr_str(ctx->err_attr);
	return blkjob_job_attr_str(ctx->err_attr);
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

static struct nla_policy job_policy[BLKJOB_A_JOB_MAX + 1] = {
	[BLKJOB_A_JOB_ID]		= { .type = NLA_STRING },
	[BLKJOB_A_JOB_TYPE]		= { .type = NLA_U32 },
	[BLKJOB_A_JOB_STATUS]		= { .type = NLA_U32 },
	[BLKJOB_A_JOB_SOURCE]		= { .type = NLA_STRING },
	[BLKJOB_A_JOB_TARGET]		= { .type = NLA_STRING },
	[BLKJOB_A_JOB_LEN]		= { .type = NLA_U64 },
	[BLKJOB_A_JOB_OFFSET]		= { .type = NLA_U64 },
	[BLKJOB_A_JOB_SPEED]		= { .type = NLA_U64 },
	[BLKJOB_A_JOB_GRANULARITY]	= { .type = NLA_U32 },
	[BLKJOB_A_JOB_BUF_SIZE]		= { .type = NLA_U64 },
	[BLKJOB_A_JOB_BUSY]		= { .type = NLA_U8 },
	[BLKJOB_A_JOB_PAUSED]		= { .type = NLA_U8 },
	[BLKJOB_A_JOB_READY]		= { .type = NLA_U8 },
	[BLKJOB_A_JOB_IO_STATUS]	= { .type = NLA_U32 },
	[BLKJOB_A_JOB_AUTO_FINALIZE]	= { .type = NLA_U8 },
	[BLKJOB_A_JOB_AUTO_DISMISS]	= { .type = NLA_U8 },
	[BLKJOB_A_JOB_ON_SOURCE_ERROR]	= { .type = NLA_U32 },
	[BLKJOB_A_JOB_ON_TARGET_ERROR]	= { .type = NLA_U32 },
	[BLKJOB_A_JOB_COPY_MODE]	= { .type = NLA_U32 },
	[BLKJOB_A_JOB_SYNC]		= { .type = NLA_U32 },
	[BLKJOB_A_JOB_ACTIVELY_SYNCED]	= { .type = NLA_U8 },
	[BLKJOB_A_JOB_FORCE]		= { .type = NLA_FLAG },
	[BLKJOB_A_JOB_ERROR]		= { .type = NLA_STRING },
	[BLKJOB_A_JOB_OPERATION]	= { .type = NLA_U32 },
	[BLKJOB_A_JOB_ACTION]		= { .type = NLA_U32 },
};

static void copy_str(char *dst, size_t size, struct nlattr *a)
{
	size_t n = nla_len(a);

	if (n >= size)
		n = size - 1;
	memcpy(dst, nla_data(a), n);
	dst[n] = '\0';
}

int blkjob_parse_job(const struct nlmsghdr *nlh, struct blkjob_job *job)
{
	struct nlattr *tb[BLKJOB_A_JOB_MAX + 1];
	unsigned int i;
	int err;

	memset(job, 0, sizeof(*job));
	err = nlmsg_parse((struct nlmsghdr *)nlh, GENL_HDRLEN, tb,
			  BLKJOB_A_JOB_MAX, job_policy);
	if (err < 0)
		return -EPROTO;
	for (i = 1; i <= BLKJOB_A_JOB_MAX; i++)
		if (tb[i])
			job->present |= BLKJOB_F(i);

#define U32(A, f)	do { if (tb[A]) job->f = nla_get_u32(tb[A]); } while (0)
#define U64(A, f)	do { if (tb[A]) job->f = nla_get_u64(tb[A]); } while (0)
#define BOOL(A, f)	do { if (tb[A]) job->f = !!nla_get_u8(tb[A]); } while (0)
#define STR(A, f)	do {						\
		if (tb[A])						\
			copy_str(job->f, sizeof(job->f), tb[A]);	\
	} while (0)
	STR(BLKJOB_A_JOB_ID, id);
	U32(BLKJOB_A_JOB_TYPE, type);
	U32(BLKJOB_A_JOB_STATUS, status);
	STR(BLKJOB_A_JOB_SOURCE, source);
	STR(BLKJOB_A_JOB_TARGET, target);
	U64(BLKJOB_A_JOB_LEN, len);
	U64(BLKJOB_A_JOB_OFFSET, offset);
	U64(BLKJOB_A_JOB_SPEED, speed);
	U32(BLKJOB_A_JOB_GRANULARITY, granularity);
	U64(BLKJOB_A_JOB_BUF_SIZE, buf_size);
	BOOL(BLKJOB_A_JOB_BUSY, busy);
	BOOL(BLKJOB_A_JOB_PAUSED, paused);
	BOOL(BLKJOB_A_JOB_READY, ready);
	U32(BLKJOB_A_JOB_IO_STATUS, io_status);
	BOOL(BLKJOB_A_JOB_AUTO_FINALIZE, auto_finalize);
	BOOL(BLKJOB_A_JOB_AUTO_DISMISS, auto_dismiss);
	U32(BLKJOB_A_JOB_ON_SOURCE_ERROR, on_source_error);
	U32(BLKJOB_A_JOB_ON_TARGET_ERROR, on_target_error);
	U32(BLKJOB_A_JOB_COPY_MODE, copy_mode);
	U32(BLKJOB_A_JOB_SYNC, sync);
	BOOL(BLKJOB_A_JOB_ACTIVELY_SYNCED, actively_synced);
	job->force = !!tb[BLKJOB_A_JOB_FORCE];
	STR(BLKJOB_A_JOB_ERROR, error);
	U32(BLKJOB_A_JOB_OPERATION, operation);
	U32(BLKJOB_A_JOB_ACTION, action);
#undef U32
#undef U64
#undef BOOL
#undef STR
	return 0;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

struct req_state {
	struct blkjob_ctx *ctx;
	struct nlmsghdr *req;		/* what we sent, for extack offsets */
	int (*parse)(struct nl_msg *msg, void *arg);
	void *arg;
	int error;			/* kernel errno, negative */
	int cb_error;			/* first non-zero parse result */
	bool done;
};

/* Map the extack offset (or missing attribute) to an attribute type. */
static void locate_err_attr(struct req_state *st)
{
	struct blkjob_ext_ack *ea = &st->ctx->ea;
	struct blkjob_ctx *ctx = st->ctx;
	unsigned int outer;

	if (ea->has_offs) {
		ctx->err_attr = blkjob_attr_at(st->req, ea->offs, &outer);
		ctx->err_nest = outer;
	} else if (ea->has_miss_type) {
		/* MISS_NEST points at the nest the attribute is missing in. */
		ctx->err_attr = ea->miss_type;
		if (ea->has_miss_nest)
			ctx->err_nest = blkjob_attr_at(st->req, ea->miss_nest,
						       &outer);
	}
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)err - 1;
	struct req_state *st = arg;

	(void)nla;
	if (blkjob_parse_ext_ack(nlh, &st->ctx->ea) < 0)
		st->ctx->ea.error = err->error;
	st->error = err->error ? err->error : -EPROTO;
	locate_err_attr(st);
	st->done = true;
	return NL_STOP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct req_state *st = arg;

	(void)msg;
	st->done = true;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct req_state *st = arg;
	int ret;

	/* After a parse callback asked to stop, drain what is left. */
	if (!st->parse || st->cb_error)
		return NL_OK;
	ret = st->parse(msg, st->arg);
	if (ret)
		st->cb_error = ret;
	return NL_OK;
}

/*
 * Send @msg (consumed) and process replies until the ACK, the end of a
 * dump or an error. Returns 0, the kernel's negative errno, or what a
 * parse callback returned.
 */
int blkjob_nl_transact(struct blkjob_ctx *ctx, struct nl_msg *msg,
		    int (*parse)(struct nl_msg *, void *), void *arg)
{
	struct req_state st = {
		.ctx = ctx, .parse = parse, .arg = arg,
	};
	struct nl_cb *cb;
	int err;

	memset(&ctx->ea, 0, sizeof(ctx->ea));
	ctx->err_cmd = ((struct genlmsghdr *)nlmsg_data(nlmsg_hdr(msg)))->cmd;
	ctx->err_attr = 0;
	ctx->err_nest = 0;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &st);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &st);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_finish, &st);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &st);

	err = nl_send_auto(ctx->sk, msg);
	if (err < 0) {
		err = -nlerr_errno(err);
		goto out;
	}
	st.req = nlmsg_hdr(msg);
	while (!st.done) {
		err = nl_recvmsgs(ctx->sk, cb);
		if (err < 0 && !st.done) {
			err = -nlerr_errno(err);
			goto out;
		}
	}
	err = st.error ? st.error : st.cb_error;
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	return err;
}

struct nl_msg *blkjob_nl_new_msg(struct blkjob_ctx *ctx, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, ctx->family, 0,
			 flags, cmd, BLKJOB_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* A request whose only attribute is the job id. */
static struct nl_msg *id_msg(struct blkjob_ctx *ctx, uint8_t cmd,
			     const char *id)
{
	struct nl_msg *msg = blkjob_nl_new_msg(ctx, cmd, 0);

	if (msg && nla_put_string(msg, BLKJOB_A_JOB_ID, id) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int parse_one_job(struct nl_msg *msg, void *arg)
{
	return blkjob_parse_job(nlmsg_hdr(msg), arg);
}

static int put_params(struct nl_msg *msg, const struct blkjob_job_params *p)
{
	uint64_t f = p->present;
	int err = 0;

	if (!p->id || !p->source || !p->target)
		return -EINVAL;
	err |= nla_put_string(msg, BLKJOB_A_JOB_ID, p->id);
	err |= nla_put_u32(msg, BLKJOB_A_JOB_TYPE, p->type);
	err |= nla_put_string(msg, BLKJOB_A_JOB_SOURCE, p->source);
	err |= nla_put_string(msg, BLKJOB_A_JOB_TARGET, p->target);
	if (BLKJOB_HAS(f, BLKJOB_A_JOB_SPEED))
		err |= nla_put_u64(msg, BLKJOB_A_JOB_SPEED, p->speed);
	if (BLKJOB_HAS(f, BLKJOB_A_JOB_GRANULARITY))
		err |= nla_put_u32(msg, BLKJOB_A_JOB_GRANULARITY,
				   p->granularity);
	if (BLKJOB_HAS(f, BLKJOB_A_JOB_BUF_SIZE))
		err |= nla_put_u64(msg, BLKJOB_A_JOB_BUF_SIZE, p->buf_size);
	if (BLKJOB_HAS(f, BLKJOB_A_JOB_AUTO_FINALIZE))
		err |= nla_put_u8(msg, BLKJOB_A_JOB_AUTO_FINALIZE,
				  p->auto_finalize);
	if (BLKJOB_HAS(f, BLKJOB_A_JOB_AUTO_DISMISS))
		err |= nla_put_u8(msg, BLKJOB_A_JOB_AUTO_DISMISS,
				  p->auto_dismiss);
	if (BLKJOB_HAS(f, BLKJOB_A_JOB_ON_SOURCE_ERROR))
		err |= nla_put_u32(msg, BLKJOB_A_JOB_ON_SOURCE_ERROR,
				   p->on_source_error);
	if (BLKJOB_HAS(f, BLKJOB_A_JOB_ON_TARGET_ERROR))
		err |= nla_put_u32(msg, BLKJOB_A_JOB_ON_TARGET_ERROR,
				   p->on_target_error);
	if (BLKJOB_HAS(f, BLKJOB_A_JOB_COPY_MODE))
		err |= nla_put_u32(msg, BLKJOB_A_JOB_COPY_MODE, p->copy_mode);
	if (BLKJOB_HAS(f, BLKJOB_A_JOB_SYNC))
		err |= nla_put_u32(msg, BLKJOB_A_JOB_SYNC, p->sync);
	/* nla_put_* only fail for lack of room. */
	return err ? -EMSGSIZE : 0;
}

int blkjob_job_new(struct blkjob_ctx *ctx, const struct blkjob_job_params *p,
		   struct blkjob_job *reply)
{
	struct nl_msg *msg = blkjob_nl_new_msg(ctx, BLKJOB_CMD_JOB_NEW, 0);
	int err;

	if (!msg)
		return -ENOMEM;
	err = put_params(msg, p);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	if (reply)
		memset(reply, 0, sizeof(*reply));
	return blkjob_nl_transact(ctx, msg, reply ? parse_one_job : NULL, reply);
}

int blkjob_job_get(struct blkjob_ctx *ctx, const char *id,
		   struct blkjob_job *job)
{
	struct nl_msg *msg = id_msg(ctx, BLKJOB_CMD_JOB_GET, id);
	int err;

	if (!msg)
		return -ENOMEM;
	memset(job, 0, sizeof(*job));
	err = blkjob_nl_transact(ctx, msg, parse_one_job, job);
	/* A do without a reply would leave an all-zero job: say so. */
	if (!err && !BLKJOB_HAS(job->present, BLKJOB_A_JOB_ID))
		err = -EPROTO;
	return err;
}

struct dump_state {
	blkjob_job_fn fn;
	void *arg;
	struct blkjob_job job;
};

static int parse_dump_job(struct nl_msg *msg, void *arg)
{
	struct dump_state *ds = arg;
	int err;

	err = blkjob_parse_job(nlmsg_hdr(msg), &ds->job);
	return err ? err : ds->fn(&ds->job, ds->arg);
}

int blkjob_job_dump(struct blkjob_ctx *ctx, blkjob_job_fn fn, void *arg)
{
	struct nl_msg *msg = blkjob_nl_new_msg(ctx, BLKJOB_CMD_JOB_GET, NLM_F_DUMP);
	struct dump_state *ds;
	int err;

	if (!msg)
		return -ENOMEM;
	/* A struct blkjob_job is ~8 KiB: keep it off the stack. */
	ds = calloc(1, sizeof(*ds));
	if (!ds) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ds->fn = fn;
	ds->arg = arg;
	err = blkjob_nl_transact(ctx, msg, parse_dump_job, ds);
	free(ds);
	return err;
}

static int id_verb(struct blkjob_ctx *ctx, uint8_t cmd, const char *id)
{
	struct nl_msg *msg = id_msg(ctx, cmd, id);

	return msg ? blkjob_nl_transact(ctx, msg, NULL, NULL) : -ENOMEM;
}

int blkjob_job_pause(struct blkjob_ctx *ctx, const char *id)
{
	return id_verb(ctx, BLKJOB_CMD_JOB_PAUSE, id);
}

int blkjob_job_resume(struct blkjob_ctx *ctx, const char *id)
{
	return id_verb(ctx, BLKJOB_CMD_JOB_RESUME, id);
}

int blkjob_job_complete(struct blkjob_ctx *ctx, const char *id)
{
	return id_verb(ctx, BLKJOB_CMD_JOB_COMPLETE, id);
}

int blkjob_job_finalize(struct blkjob_ctx *ctx, const char *id)
{
	return id_verb(ctx, BLKJOB_CMD_JOB_FINALIZE, id);
}

int blkjob_job_dismiss(struct blkjob_ctx *ctx, const char *id)
{
	return id_verb(ctx, BLKJOB_CMD_JOB_DISMISS, id);
}

int blkjob_job_cancel(struct blkjob_ctx *ctx, const char *id, bool force)
{
	struct nl_msg *msg = id_msg(ctx, BLKJOB_CMD_JOB_CANCEL, id);

	if (!msg)
		return -ENOMEM;
	if (force && nla_put_flag(msg, BLKJOB_A_JOB_FORCE) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return blkjob_nl_transact(ctx, msg, NULL, NULL);
}

int blkjob_job_set_speed(struct blkjob_ctx *ctx, const char *id,
			 uint64_t speed)
{
	struct nl_msg *msg = id_msg(ctx, BLKJOB_CMD_JOB_SET_SPEED, id);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, BLKJOB_A_JOB_SPEED, speed) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return blkjob_nl_transact(ctx, msg, NULL, NULL);
}

int blkjob_job_change(struct blkjob_ctx *ctx, const char *id,
		      uint32_t copy_mode)
{
	struct nl_msg *msg = id_msg(ctx, BLKJOB_CMD_JOB_CHANGE, id);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, BLKJOB_A_JOB_COPY_MODE, copy_mode) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return blkjob_nl_transact(ctx, msg, NULL, NULL);
}

int blkjob_txn_new(struct blkjob_ctx *ctx, uint32_t completion_mode,
		   const struct blkjob_job_params *jobs, size_t n)
{
	struct nl_msg *msg = blkjob_nl_new_msg(ctx, BLKJOB_CMD_TXN_NEW, 0);
	struct nlattr *nest;
	size_t i;
	int err;

	if (!msg)
		return -ENOMEM;
	err = nla_put_u32(msg, BLKJOB_A_TXN_COMPLETION_MODE, completion_mode);
	if (err)
		err = -EMSGSIZE;
	for (i = 0; !err && i < n; i++) {
		/* libnl >= 3.5 sets NLA_F_NESTED, which strict policy needs. */
		nest = nla_nest_start(msg, BLKJOB_A_TXN_JOB);
		if (!nest) {
			err = -EMSGSIZE;
			break;
		}
		err = put_params(msg, &jobs[i]);
		if (!err)
			nla_nest_end(msg, nest);
	}
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return blkjob_nl_transact(ctx, msg, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Monitor                                                             */
/* ------------------------------------------------------------------ */

struct blkjob_monitor *blkjob_monitor_open(void)
{
	struct blkjob_monitor *mon;
	int family, grp, err;

	mon = calloc(1, sizeof(*mon));
	if (!mon)
		return NULL;
	mon->sk = connect_genl(&family);
	if (!mon->sk) {
		err = errno;
		goto fail_free;
	}
	nl_socket_disable_seq_check(mon->sk);
	grp = genl_ctrl_resolve_grp(mon->sk, BLKJOB_FAMILY_NAME,
				    BLKJOB_MCGRP_MONITOR);
	if (grp < 0) {
		err = nlerr_errno(grp);
		goto fail_sock;
	}
	err = nl_socket_add_membership(mon->sk, grp);
	if (err < 0) {
		err = nlerr_errno(err);
		goto fail_sock;
	}
	err = nl_socket_set_nonblocking(mon->sk);
	if (err < 0) {
		err = nlerr_errno(err);
		goto fail_sock;
	}
	/* Room for bursts (a txn of many jobs); overruns are reported. */
	nl_socket_set_buffer_size(mon->sk, 1 << 20, 0);
	return mon;

fail_sock:
	nl_socket_free(mon->sk);
fail_free:
	free(mon);
	errno = err;
	return NULL;
}

void blkjob_monitor_close(struct blkjob_monitor *mon)
{
	if (!mon)
		return;
	nl_socket_free(mon->sk);
	free(mon);
}

int blkjob_monitor_fd(const struct blkjob_monitor *mon)
{
	return nl_socket_get_fd(mon->sk);
}

/*
 * Deliver the events of one datagram. Returns how many; *@stop gets the
 * first non-zero result of @fn, which ends the delivery.
 */
static int monitor_datagram(const char *buf, size_t len, blkjob_event_fn fn,
			    void *arg, struct blkjob_event *ev, int *stop)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct genlmsghdr *gh;
	int n = 0;

	for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE ||
		    nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
			continue;
		gh = NLMSG_DATA(nlh);
		ev->cmd = gh->cmd;
		if (blkjob_parse_job(nlh, &ev->job) < 0)
			continue;
		n++;
		*stop = fn(ev, arg);
		if (*stop)
			break;
	}
	return n;
}

int blkjob_monitor_read(struct blkjob_monitor *mon, blkjob_event_fn fn,
			void *arg)
{
	int fd = nl_socket_get_fd(mon->sk);
	struct blkjob_event *ev;
	int total = 0, ret = 0, stop = 0;
	ssize_t len;

	ev = malloc(sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	for (;;) {
		len = recv(fd, mon->buf, sizeof(mon->buf), MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				ret = -errno;
			break;
		}
		total += monitor_datagram(mon->buf, len, fn, arg, ev, &stop);
		if (stop)
			break;
	}
	free(ev);
	/* A callback's own result wins; then errors; then the count. */
	if (stop)
		return stop;
	return ret ? ret : total;
}
