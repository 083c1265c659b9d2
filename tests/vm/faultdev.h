/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fault rig of test_faults and test_livefaults: a source and a target
 * loop device, each under a dm device ("-s", "-t") whose table a test
 * swaps between linear, error, flakey and delay, or removes.
 */
#ifndef BLKJOB_TEST_FAULTDEV_H
#define BLKJOB_TEST_FAULTDEV_H

#include "util.h"

#define FD_SIZE (4 * MiB)
#define FD_SECTORS (FD_SIZE >> 9)

enum side { SRC, TGT };

extern struct tdev g_src, g_dst;
extern char g_dm[2][64], g_dmpath[2][96];

/*
 * Tables for set_table() and create_dm():
 *   linear  the loop itself
 *   error   every I/O fails
 *   flakey  up 1 s, then down 1 s (reads and writes fail while down)
 *   down    always down: flushes fail too
 *   delay   300 ms each way
 */
int set_table(enum side side, const char *kind);
int create_dm(enum side side);
/* Back to linear, re-created when a test removed it. */
void restore_dm(enum side side);

/* Made once per program, before the tests (each a fork of it). */
int faultdev_setup(void);
void faultdev_teardown(void);

/*
 * Remove @side's dm device unless it is gone already (dmsetup remove
 * --force removes it itself when nothing holds it by then): 0 once it is
 * gone.
 */
int remove_dm(enum side side);

/*
 * No job left, and both dm devices claimable (O_EXCL): 0, or -1 with
 * what is wrong in @why.
 */
int faultdev_free(struct blkjob_ctx *ctx, char *why, size_t len);

/* Wait for @status, resuming the job whenever it stopped. */
int resume_until(struct blkjob_ctx *ctx, const char *id, int status, int ms);

/* @len random bytes at @off, O_DIRECT; 0 or -1. */
int write_random(const char *path, uint64_t off, size_t len);

/* The first @len bytes of @path, read O_DIRECT into a new buffer. */
uint8_t *read_all(const char *path, size_t len);

/*
 * Set the hung-task timeout to @secs: the previous value, or -1. A task
 * blocked for twice the timeout is reported for sure (the detector looks
 * once per timeout); the VM's default is 30 s (scripts/vm-init).
 */
int hung_task_timeout(int secs);

/* The first job-error-ntf for @id in @log: how many there were. */
int first_error(const struct evlog *log, const char *id, int *op,
		int *action);

#endif
