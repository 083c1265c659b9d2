// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * NLMSG_ERROR parsing. libnl has no extended-ack API, so this reads the
 * kernel's netlink_ack() layout itself. It works on raw buffers (no libnl
 * types) so the host tests can feed it hand-built messages.
 */
#include <errno.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "libblkjob.h"

/* First attribute of the @len bytes at @p, walking with @fn. */
static const struct nlattr *attr_ok(const void *p, size_t len)
{
	const struct nlattr *a = p;

	if (len < sizeof(*a) || a->nla_len < sizeof(*a) || a->nla_len > len)
		return NULL;
	return a;
}

static size_t attr_step(const struct nlattr *a)
{
	return NLA_ALIGN(a->nla_len);
}

static bool get_u32(const struct nlattr *a, uint32_t *v)
{
	if (a->nla_len < NLA_HDRLEN + sizeof(*v))
		return false;
	memcpy(v, (const char *)a + NLA_HDRLEN, sizeof(*v));
	return true;
}

static void get_msg(const struct nlattr *a, char *buf, size_t size)
{
	size_t n = a->nla_len - NLA_HDRLEN;

	if (n >= size)
		n = size - 1;
	memcpy(buf, (const char *)a + NLA_HDRLEN, n);
	buf[n] = '\0';
	/* Drop the NUL the kernel counted, and anything after it. */
	buf[strnlen(buf, n)] = '\0';
}

static void parse_tlvs(const char *p, size_t len, struct blkjob_ext_ack *ea)
{
	const struct nlattr *a;

	while ((a = attr_ok(p, len))) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG:
			get_msg(a, ea->msg, sizeof(ea->msg));
			break;
		case NLMSGERR_ATTR_OFFS:
			ea->has_offs = get_u32(a, &ea->offs);
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			ea->has_miss_type = get_u32(a, &ea->miss_type);
			break;
		case NLMSGERR_ATTR_MISS_NEST:
			ea->has_miss_nest = get_u32(a, &ea->miss_nest);
			break;
		}
		if (attr_step(a) >= len)
			break;
		p += attr_step(a);
		len -= attr_step(a);
	}
}

int blkjob_parse_ext_ack(const struct nlmsghdr *nlh,
			 struct blkjob_ext_ack *ea)
{
	const struct nlmsgerr *err;
	size_t len, off;

	memset(ea, 0, sizeof(*ea));
	if (nlh->nlmsg_type != NLMSG_ERROR ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*err)))
		return -EINVAL;
	err = NLMSG_DATA(nlh);
	ea->error = err->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;

	/*
	 * The TLVs follow the echoed request: only its header when the
	 * request was capped (NETLINK_CAP_ACK, or always for an ACK),
	 * the whole of it otherwise.
	 */
	len = nlh->nlmsg_len - NLMSG_HDRLEN;
	off = sizeof(*err);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (err->msg.nlmsg_len < NLMSG_HDRLEN)
			return -EINVAL;
		off += err->msg.nlmsg_len - NLMSG_HDRLEN;
	}
	off = NLMSG_ALIGN(off);
	if (off > len)
		return -EINVAL;
	parse_tlvs((const char *)NLMSG_DATA(nlh) + off, len - off, ea);
	return 0;
}

/* The attribute of the @len bytes at @base that starts at @base + @offs. */
static const struct nlattr *attr_containing(const char *base, size_t len,
					    size_t offs)
{
	const struct nlattr *a;
	size_t pos = 0;

	while ((a = attr_ok(base + pos, len - pos))) {
		if (offs >= pos && offs < pos + a->nla_len)
			return a;
		pos += attr_step(a);
		if (pos >= len)
			break;
	}
	return NULL;
}

unsigned int blkjob_attr_at(const struct nlmsghdr *req, uint32_t offs,
			    unsigned int *outer)
{
	const size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;
	const struct nlattr *a, *in;
	const char *base;
	size_t len, rel;

	*outer = 0;
	if (req->nlmsg_len < hdr || offs < hdr || offs >= req->nlmsg_len)
		return 0;
	base = (const char *)req + hdr;
	len = req->nlmsg_len - hdr;
	rel = offs - hdr;
	a = attr_containing(base, len, rel);
	if (!a)
		return 0;
	if ((const char *)a == base + rel)
		return a->nla_type & NLA_TYPE_MASK;
	/* Inside a nest: one level is all blkjob has (txn job). */
	if (!(a->nla_type & NLA_F_NESTED))
		return 0;
	rel -= ((const char *)a - base) + NLA_HDRLEN;
	in = attr_containing((const char *)a + NLA_HDRLEN,
			     a->nla_len - NLA_HDRLEN, rel);
	if (!in || (const char *)in != (const char *)a + NLA_HDRLEN + rel)
		return 0;
	*outer = a->nla_type & NLA_TYPE_MASK;
	return in->nla_type & NLA_TYPE_MASK;
}
