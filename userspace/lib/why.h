/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libblkjob's "why" strings: the functions that refuse or fail with a
 * negative errno also say why in a caller's buffer. Internal.
 */
#ifndef LIBBLKJOB_WHY_H
#define LIBBLKJOB_WHY_H

#include <stddef.h>

/* Format into @why (of @len bytes) and return @err. */
int blkjob_why(char *why, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The files that use it say it short. */
#define say blkjob_why

#endif /* LIBBLKJOB_WHY_H */
