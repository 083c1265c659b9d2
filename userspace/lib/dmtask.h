/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libblkjob's device-mapper helpers over libdevmapper (dmtask.c): tables
 * and the ioctls that create, load, resume and remove devices. Internal
 * to libblkjob and blkjobctl for now, not part of the library's interface.
 */
#ifndef LIBBLKJOB_DMTASK_H
#define LIBBLKJOB_DMTASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libdevmapper.h>
#include <linux/dm-ioctl.h>

struct bjdm_seg {
	uint64_t start, len;
	char type[DM_MAX_TYPE_NAME];
	char *params;
};

struct bjdm_table {
	unsigned int n;
	struct bjdm_seg *seg;
};

void bjdm_table_free(struct bjdm_table *t);
int bjdm_table_add(struct bjdm_table *t, uint64_t start, uint64_t len,
		   const char *type, const char *params);
/* Sectors the table covers; 0 when it is not contiguous from sector 0. */
uint64_t bjdm_table_size(const struct bjdm_table *t);
bool bjdm_table_eq(const struct bjdm_table *a, const struct bjdm_table *b);

struct dm_task *bjdm_task_for(int type, const char *name);
/* Run a task that creates, resumes or removes a node, waiting for udev. */
bool bjdm_run_synced(struct dm_task *dmt);
/* info of @name; info->exists is 0 when there is no such device. */
int bjdm_get_info(const char *name, struct dm_info *info, char *uuid,
		  size_t uuid_len);
/* The name of the dm device @devno, or -ENODEV. */
int bjdm_name_of_devno(dev_t devno, char *name, size_t len);
/* @name's table (DM_DEVICE_TABLE) or status lines; the inactive table too. */
int bjdm_get_lines(const char *name, int type, bool inactive,
		   struct bjdm_table *t);
struct dm_task *bjdm_task_with_table(int type, const char *name,
				     const struct bjdm_table *t, bool ro);
/* Create (and resume) @name with table @t. */
bool bjdm_create_dev(const char *name, const char *uuid,
		     const struct bjdm_table *t, bool ro);
/* Load @t as @name's inactive table. */
bool bjdm_load(const char *name, const struct bjdm_table *t, bool ro);
/*
 * Why the kernel refused the last table bjdm_create_dev() or bjdm_load()
 * gave it, from its log ("blkjob: Source is smaller than the target
 * (-EINVAL)"), into @buf, once: false if it said nothing (or /dev/kmsg
 * cannot be read), or was asked already.
 */
bool bjdm_take_kernel_reason(char *buf, size_t len);
/* DM_DEVICE_RESUME (skipping lockfs), DM_DEVICE_CLEAR or DM_DEVICE_REMOVE. */
bool bjdm_simple(int type, const char *name);

#endif /* LIBBLKJOB_DMTASK_H */
