// SPDX-License-Identifier: GPL-2.0
/*
 * NLMSG_ERROR and extended-ack parsing on hand-built messages, mapping an
 * extack offset back to the request attribute, and job attribute parsing.
 */
#include <errno.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"
#include "libblkjob.h"

/* A tiny message builder over an aligned buffer. */
struct msgbuf {
	union {
		struct nlmsghdr nlh;
		char raw[8192];
	} u;
	size_t len;
};

static void *put(struct msgbuf *m, const void *data, size_t len)
{
	void *at = m->u.raw + m->len;

	memcpy(at, data, len);
	m->len += NLMSG_ALIGN(len);
	m->u.nlh.nlmsg_len = m->len;
	return at;
}

/* Returns the attribute's offset in the message. */
static size_t put_attr(struct msgbuf *m, int type, const void *data,
		       size_t len)
{
	struct nlattr a = { .nla_len = NLA_HDRLEN + len, .nla_type = type };
	size_t off = m->len;

	memcpy(m->u.raw + m->len, &a, sizeof(a));
	memcpy(m->u.raw + m->len + NLA_HDRLEN, data, len);
	m->len += NLA_ALIGN(a.nla_len);
	m->u.nlh.nlmsg_len = m->len;
	return off;
}

static size_t put_str(struct msgbuf *m, int type, const char *s)
{
	return put_attr(m, type, s, strlen(s) + 1);
}

static size_t put_u32(struct msgbuf *m, int type, uint32_t v)
{
	return put_attr(m, type, &v, sizeof(v));
}

static size_t put_u64(struct msgbuf *m, int type, uint64_t v)
{
	return put_attr(m, type, &v, sizeof(v));
}

/* A genl request header: nlmsghdr + genlmsghdr. */
static void genl_start(struct msgbuf *m, uint16_t family, uint8_t cmd)
{
	struct genlmsghdr g = { .cmd = cmd, .version = 1 };

	memset(m, 0, sizeof(*m));
	m->u.nlh.nlmsg_type = family;
	m->u.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	m->u.nlh.nlmsg_seq = 7;
	m->len = NLMSG_HDRLEN;
	put(m, &g, sizeof(g));
}

/* An error reply to @req; echoes its payload unless @capped. */
static void error_start(struct msgbuf *m, const struct msgbuf *req,
			int error, bool capped, bool tlvs)
{
	struct nlmsgerr e = { .error = error, .msg = req->u.nlh };

	memset(m, 0, sizeof(*m));
	m->u.nlh.nlmsg_type = NLMSG_ERROR;
	m->u.nlh.nlmsg_flags = (capped ? NLM_F_CAPPED : 0) |
			       (tlvs ? NLM_F_ACK_TLVS : 0);
	m->len = NLMSG_HDRLEN;
	put(m, &e, sizeof(e));
	if (!capped) {
		/* nlmsgerr already holds the header; add the payload. */
		m->len -= NLMSG_ALIGN(sizeof(e));
		m->len += sizeof(e);
		put(m, req->u.raw + NLMSG_HDRLEN, req->len - NLMSG_HDRLEN);
	}
}

static const char verb_msg[] =
	"job 'mig0' in state 'concluded' cannot accept command verb 'pause'";

FIXTURE(msgs) {
	struct msgbuf req;
	struct msgbuf err;
	struct blkjob_ext_ack ea;
	size_t id_off, speed_off;
};

FIXTURE_SETUP(msgs)
{
	genl_start(&self->req, 0x20, BLKJOB_CMD_JOB_SET_SPEED);
	self->id_off = put_str(&self->req, BLKJOB_A_JOB_ID, "mig0");
	self->speed_off = put_u64(&self->req, BLKJOB_A_JOB_SPEED, 1 << 20);
}

FIXTURE_TEARDOWN(msgs)
{
}

TEST_F(msgs, capped_with_message_and_offset)
{
	error_start(&self->err, &self->req, -EPERM, true, true);
	put_str(&self->err, NLMSGERR_ATTR_MSG, verb_msg);
	put_u32(&self->err, NLMSGERR_ATTR_OFFS, self->speed_off);
	ASSERT_EQ(0, blkjob_parse_ext_ack(&self->err.u.nlh, &self->ea));
	EXPECT_EQ(-EPERM, self->ea.error);
	EXPECT_STREQ(verb_msg, self->ea.msg);
	EXPECT_TRUE(self->ea.has_offs);
	EXPECT_EQ(self->speed_off, self->ea.offs);
	EXPECT_FALSE(self->ea.has_miss_type);
}

TEST_F(msgs, uncapped_echoes_request_first)
{
	error_start(&self->err, &self->req, -EINVAL, false, true);
	put_str(&self->err, NLMSGERR_ATTR_MSG, "integer out of range");
	put_u32(&self->err, NLMSGERR_ATTR_OFFS, self->speed_off);
	ASSERT_EQ(0, blkjob_parse_ext_ack(&self->err.u.nlh, &self->ea));
	EXPECT_EQ(-EINVAL, self->ea.error);
	EXPECT_STREQ("integer out of range", self->ea.msg);
	EXPECT_EQ(self->speed_off, self->ea.offs);
}

TEST_F(msgs, no_tlvs_keeps_errno)
{
	error_start(&self->err, &self->req, -ENOENT, true, false);
	ASSERT_EQ(0, blkjob_parse_ext_ack(&self->err.u.nlh, &self->ea));
	EXPECT_EQ(-ENOENT, self->ea.error);
	EXPECT_STREQ("", self->ea.msg);
	EXPECT_FALSE(self->ea.has_offs);
}

TEST_F(msgs, missing_attribute)
{
	error_start(&self->err, &self->req, -EINVAL, true, true);
	put_u32(&self->err, NLMSGERR_ATTR_MISS_TYPE, BLKJOB_A_JOB_ID);
	put_u32(&self->err, NLMSGERR_ATTR_MISS_NEST, 20);
	ASSERT_EQ(0, blkjob_parse_ext_ack(&self->err.u.nlh, &self->ea));
	EXPECT_TRUE(self->ea.has_miss_type);
	EXPECT_EQ(BLKJOB_A_JOB_ID, self->ea.miss_type);
	EXPECT_TRUE(self->ea.has_miss_nest);
	EXPECT_EQ(20, self->ea.miss_nest);
}

TEST_F(msgs, long_message_truncated)
{
	char longmsg[600];

	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	error_start(&self->err, &self->req, -EINVAL, true, true);
	put_str(&self->err, NLMSGERR_ATTR_MSG, longmsg);
	ASSERT_EQ(0, blkjob_parse_ext_ack(&self->err.u.nlh, &self->ea));
	EXPECT_EQ(BLKJOB_ERRMSG_LEN - 1, strlen(self->ea.msg));
}

TEST_F(msgs, malformed)
{
	struct nlattr *a;

	/* Not an error message. */
	self->req.u.nlh.nlmsg_type = 0x20;
	EXPECT_EQ(-EINVAL, blkjob_parse_ext_ack(&self->req.u.nlh,
						&self->ea));
	/* Too short for a struct nlmsgerr. */
	error_start(&self->err, &self->req, -EIO, true, false);
	self->err.u.nlh.nlmsg_len = NLMSG_HDRLEN + 2;
	EXPECT_EQ(-EINVAL, blkjob_parse_ext_ack(&self->err.u.nlh,
						&self->ea));
	/* A TLV claiming more than there is is ignored, not read. */
	error_start(&self->err, &self->req, -EIO, true, true);
	a = (struct nlattr *)(self->err.u.raw +
			      put_str(&self->err, NLMSGERR_ATTR_MSG, "abc"));
	a->nla_len = 4000;
	ASSERT_EQ(0, blkjob_parse_ext_ack(&self->err.u.nlh, &self->ea));
	EXPECT_EQ(-EIO, self->ea.error);
	EXPECT_STREQ("", self->ea.msg);
	/* An echoed request longer than the message. */
	error_start(&self->err, &self->req, -EIO, true, true);
	self->err.u.nlh.nlmsg_flags &= ~NLM_F_CAPPED;
	((struct nlmsgerr *)NLMSG_DATA(&self->err.u.nlh))->msg.nlmsg_len =
		60000;
	EXPECT_EQ(-EINVAL, blkjob_parse_ext_ack(&self->err.u.nlh,
						&self->ea));
}

TEST_F(msgs, offset_to_attribute)
{
	unsigned int outer = 99;

	EXPECT_EQ(BLKJOB_A_JOB_SPEED,
		  blkjob_attr_at(&self->req.u.nlh, self->speed_off, &outer));
	EXPECT_EQ(0, outer);
	EXPECT_EQ(BLKJOB_A_JOB_ID,
		  blkjob_attr_at(&self->req.u.nlh, self->id_off, &outer));
	/* Not the start of an attribute, or out of the message. */
	EXPECT_EQ(0, blkjob_attr_at(&self->req.u.nlh, self->id_off + 4,
				    &outer));
	EXPECT_EQ(0, blkjob_attr_at(&self->req.u.nlh, 4, &outer));
	EXPECT_EQ(0, blkjob_attr_at(&self->req.u.nlh, 5000, &outer));
}

TEST(offset_inside_txn_nest)
{
	struct msgbuf m;
	struct nlattr *nest;
	size_t nest_off, gran_off;
	unsigned int outer = 0;

	genl_start(&m, 0x20, BLKJOB_CMD_TXN_NEW);
	put_u32(&m, BLKJOB_A_TXN_COMPLETION_MODE, 1);
	nest_off = put_attr(&m, BLKJOB_A_TXN_JOB | NLA_F_NESTED, "", 0);
	nest = (struct nlattr *)(m.u.raw + nest_off);
	put_str(&m, BLKJOB_A_JOB_ID, "a");
	gran_off = put_u32(&m, BLKJOB_A_JOB_GRANULARITY, 100);
	nest->nla_len = m.len - nest_off;

	EXPECT_EQ(BLKJOB_A_TXN_JOB, blkjob_attr_at(&m.u.nlh, nest_off,
						   &outer));
	EXPECT_EQ(0, outer);
	EXPECT_EQ(BLKJOB_A_JOB_GRANULARITY, blkjob_attr_at(&m.u.nlh, gran_off,
							   &outer));
	EXPECT_EQ(BLKJOB_A_TXN_JOB, outer);
}

TEST(parse_job_attributes)
{
	struct blkjob_job job;
	struct msgbuf m;
	uint8_t one = 1;

	genl_start(&m, 0x20, BLKJOB_CMD_JOB_GET);
	put_str(&m, BLKJOB_A_JOB_ID, "mig0");
	put_u32(&m, BLKJOB_A_JOB_STATUS, BLKJOB_JOB_STATUS_READY);
	put_u64(&m, BLKJOB_A_JOB_LEN, 1ULL << 33);
	put_u64(&m, BLKJOB_A_JOB_OFFSET, 12345);
	put_attr(&m, BLKJOB_A_JOB_READY, &one, 1);
	put_attr(&m, BLKJOB_A_JOB_FORCE, "", 0);
	put_str(&m, BLKJOB_A_JOB_ERROR, "Input/output error");
	/* From a newer kernel: ignored. */
	put_u32(&m, BLKJOB_A_JOB_MAX + 5, 7);
	ASSERT_EQ(0, blkjob_parse_job(&m.u.nlh, &job));
	EXPECT_STREQ("mig0", job.id);
	EXPECT_EQ(BLKJOB_JOB_STATUS_READY, job.status);
	EXPECT_EQ(1ULL << 33, job.len);
	EXPECT_EQ(12345, job.offset);
	EXPECT_TRUE(job.ready);
	EXPECT_TRUE(job.force);
	EXPECT_FALSE(job.busy);
	EXPECT_STREQ("Input/output error", job.error);
	EXPECT_EQ(BLKJOB_F(BLKJOB_A_JOB_ID) | BLKJOB_F(BLKJOB_A_JOB_STATUS) |
		  BLKJOB_F(BLKJOB_A_JOB_LEN) | BLKJOB_F(BLKJOB_A_JOB_OFFSET) |
		  BLKJOB_F(BLKJOB_A_JOB_READY) | BLKJOB_F(BLKJOB_A_JOB_FORCE) |
		  BLKJOB_F(BLKJOB_A_JOB_ERROR), job.present);

	/* A u64 that is too short is a protocol error. */
	genl_start(&m, 0x20, BLKJOB_CMD_JOB_GET);
	put_u32(&m, BLKJOB_A_JOB_LEN, 5);
	EXPECT_EQ(-EPROTO, blkjob_parse_job(&m.u.nlh, &job));
}

TEST_HARNESS_MAIN
