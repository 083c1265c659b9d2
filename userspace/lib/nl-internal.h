/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libblkjob's own request plumbing (nl.c), shared by the files that build
 * requests; not part of the library's interface.
 */
#ifndef LIBBLKJOB_NL_INTERNAL_H
#define LIBBLKJOB_NL_INTERNAL_H

#include <stdint.h>
#include <netlink/msg.h>

struct blkjob_ctx;

/* A request of @cmd with @flags (NLM_F_DUMP), NULL when out of memory. */
struct nl_msg *blkjob_nl_new_msg(struct blkjob_ctx *ctx, uint8_t cmd,
				 int flags);

/*
 * Send @msg (consumed) and process replies until the ACK, the end of a
 * dump or an error, calling @parse for each reply. Returns 0, the
 * kernel's negative errno (its extack message in blkjob_errmsg()), or
 * what @parse returned.
 */
int blkjob_nl_transact(struct blkjob_ctx *ctx, struct nl_msg *msg,
		       int (*parse)(struct nl_msg *, void *), void *arg);

#endif /* LIBBLKJOB_NL_INTERNAL_H */
