// SPDX-License-Identifier: GPL-2.0
/*
 * Transactions: jobs created all or nothing, and with completion-mode
 * grouped, jobs that wait for each other and fail together. A single
 * job-new is a transaction of one, as in QEMU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "blkjob.h"

/**
 * blkjob_txn_alloc() - a new, empty transaction
 * @mode: completion mode
 *
 * Context: process.
 * Return: the transaction with one reference, or NULL.
 */
struct blkjob_txn *blkjob_txn_alloc(enum blkjob_completion_mode mode)
{
	struct blkjob_txn *txn;

	txn = kzalloc(sizeof(*txn), GFP_KERNEL);
	if (!txn)
		return NULL;
	kref_init(&txn->ref);
	INIT_LIST_HEAD(&txn->jobs);
	txn->mode = mode;
	return txn;
}

/**
 * blkjob_txn_get() - take a reference on a transaction
 * @txn: the transaction
 *
 * Context: any; the caller holds a reference already.
 */
void blkjob_txn_get(struct blkjob_txn *txn)
{
	kref_get(&txn->ref);
}

static void blkjob_txn_release(struct kref *ref)
{
	kfree(container_of(ref, struct blkjob_txn, ref));
}

/**
 * blkjob_txn_put() - drop a reference on a transaction
 * @txn: the transaction
 *
 * Context: any.
 */
void blkjob_txn_put(struct blkjob_txn *txn)
{
	kref_put(&txn->ref, blkjob_txn_release);
}

/**
 * blkjob_txn_finalize() - conclude every member of a successful transaction
 * @txn: the transaction, every member pending
 *
 * Context: process; blkjob_mutex held.
 */
void blkjob_txn_finalize(struct blkjob_txn *txn)
{
	struct blkjob *job;

	lockdep_assert_held(&blkjob_mutex);
	list_for_each_entry(job, &txn->jobs, txn_node)
		if (job->status == BLKJOB_JOB_STATUS_PENDING)
			blkjob_finalize_one(job);
}

/**
 * blkjob_txn_abort() - a member failed or was cancelled: fail them all
 * @cause: the member that failed or was cancelled
 *
 * Every other member is force-cancelled, so it ends cancelled while @cause
 * keeps its own result. Once no member runs any more, each is rolled back
 * and concluded. Members still running get here again from their own
 * completion.
 *
 * Context: process; blkjob_mutex held.
 */
void blkjob_txn_abort(struct blkjob *cause)
{
	struct blkjob_txn *txn = cause->txn;
	struct blkjob *job;

	lockdep_assert_held(&blkjob_mutex);
	if (!txn->aborting) {
		txn->aborting = true;
		list_for_each_entry(job, &txn->jobs, txn_node)
			if (job != cause)
				blkjob_cancel_async(job, true);
	}
	if (txn->running)
		return;
	list_for_each_entry(job, &txn->jobs, txn_node)
		if (job->status != BLKJOB_JOB_STATUS_CONCLUDED &&
		    job->status != BLKJOB_JOB_STATUS_NULL)
			blkjob_finalize_one(job);
}

/**
 * blkjob_txn_completed() - a member's run is over
 * @job: the member; its result is in @job->ret
 *
 * On success the job waits for the rest of the transaction; once all wait,
 * all become pending and, unless one of them wants job-finalize, conclude.
 *
 * Context: process; blkjob_mutex held.
 */
void blkjob_txn_completed(struct blkjob *job)
{
	struct blkjob_txn *txn = job->txn;
	struct blkjob *other;
	bool manual = false;

	lockdep_assert_held(&blkjob_mutex);
	if (job->ret || txn->aborting) {
		blkjob_txn_abort(job);
		return;
	}

	blkjob_set_status(job, BLKJOB_JOB_STATUS_WAITING);
	list_for_each_entry(other, &txn->jobs, txn_node)
		if (other->status != BLKJOB_JOB_STATUS_WAITING)
			return;

	list_for_each_entry(other, &txn->jobs, txn_node) {
		blkjob_set_status(other, BLKJOB_JOB_STATUS_PENDING);
		if (!other->auto_finalize) {
			blkjob_nl_notify(other, BLKJOB_CMD_JOB_PENDING_NTF);
			manual = true;
		}
	}
	if (!manual)
		blkjob_txn_finalize(txn);
}

/* Refuse ids in use before opening any device, for a clear answer. */
static int blkjob_txn_check_ids(struct blkjob_params *params, unsigned int n,
				struct netlink_ext_ack *extack)
{
	unsigned int i, j;
	int err = 0;

	mutex_lock(&blkjob_mutex);
	for (i = 0; i < n && !err; i++) {
		bool dup = blkjob_id_in_use(params[i].id);

		for (j = 0; j < i && !dup; j++)
			dup = !strcmp(params[i].id, params[j].id);
		if (dup) {
			blkjob_errmsg(extack, NULL,
				      "job ID '%s' already in use",
				      params[i].id);
			err = -EEXIST;
		}
	}
	mutex_unlock(&blkjob_mutex);
	return err;
}

/* Register and start every job, or none. Owns @txn's reference. */
static int blkjob_txn_start(struct blkjob **jobs, unsigned int n,
			    struct blkjob_txn *txn,
			    struct netlink_ext_ack *extack)
{
	unsigned int i, done;
	int err = 0;

	mutex_lock(&blkjob_mutex);
	for (done = 0; done < n; done++) {
		struct blkjob_txn *own = txn;

		/* Individual completion: each job is a transaction of one. */
		if (!own) {
			own = blkjob_txn_alloc(BLKJOB_COMPLETION_MODE_INDIVIDUAL);
			if (!own) {
				err = -ENOMEM;
				break;
			}
		}
		err = blkjob_register(jobs[done], own, extack);
		if (!txn)
			blkjob_txn_put(own);
		if (err)
			break;
	}
	if (err) {
		for (i = 0; i < done; i++)
			blkjob_unregister(jobs[i]);
	} else {
		for (i = 0; i < n; i++)
			blkjob_start(jobs[i]);
	}
	mutex_unlock(&blkjob_mutex);
	return err;
}

/**
 * blkjob_txn_create() - create and start jobs, all or nothing
 * @params: one entry per job
 * @n: number of jobs, at least one
 * @mode: completion mode
 * @first: if not NULL, gets the first job with a reference, for a reply
 * @extack: for the error message
 *
 * Context: process; sleeps (opens devices); takes blkjob_mutex.
 * Return: 0, or -errno with no job left behind.
 */
int blkjob_txn_create(struct blkjob_params *params, unsigned int n,
		      enum blkjob_completion_mode mode,
		      struct blkjob **first, struct netlink_ext_ack *extack)
{
	struct blkjob_txn *txn = NULL;
	struct blkjob **jobs;
	unsigned int i, made;
	int err;

	err = blkjob_txn_check_ids(params, n, extack);
	if (err)
		return err;

	jobs = kcalloc(n, sizeof(*jobs), GFP_KERNEL);
	if (!jobs)
		return -ENOMEM;
	if (mode == BLKJOB_COMPLETION_MODE_GROUPED) {
		txn = blkjob_txn_alloc(mode);
		if (!txn) {
			err = -ENOMEM;
			goto free;
		}
	}

	for (made = 0; made < n; made++) {
		jobs[made] = blkjob_alloc(&params[made], extack);
		if (IS_ERR(jobs[made])) {
			err = PTR_ERR(jobs[made]);
			goto discard;
		}
	}

	err = blkjob_txn_start(jobs, n, txn, extack);
	if (err)
		goto discard;

	for (i = 0; i < n; i++) {
		if (first && i == 0)
			*first = jobs[0];
		else
			blkjob_put(jobs[i]);
	}
	goto put_txn;

discard:
	for (i = 0; i < made; i++)
		blkjob_discard(jobs[i]);
put_txn:
	if (txn)
		blkjob_txn_put(txn);
free:
	kfree(jobs);
	return err;
}
