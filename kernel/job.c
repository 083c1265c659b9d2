// SPDX-License-Identifier: GPL-2.0
/*
 * The job core: QEMU's job state machine kept as data, the registry of
 * jobs by id, the lifecycle verbs and the kthread that runs each job.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/ctype.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait_bit.h>

#include "blkjob.h"

DEFINE_MUTEX(blkjob_mutex);

/* Registered jobs (created up to concluded), in serial order; blkjob_mutex. */
static LIST_HEAD(blkjob_list);
/* Next registration serial, the dump cursor; blkjob_mutex. */
static u64 blkjob_next_serial;
/* Module unload began: no new jobs, concluded jobs go away; blkjob_mutex. */
static bool blkjob_shutting_down;
/* Job objects not yet freed; module unload waits for zero. */
static atomic_t blkjob_nr_jobs = ATOMIC_INIT(0);
/* Frees jobs, so that the last put may happen anywhere, the kthread too. */
static struct workqueue_struct *blkjob_wq;

/*
 * QEMU's transition table, [from][to]. Columns, like rows:
 * undefined created running paused ready standby waiting pending aborting
 * concluded null.
 */
static const bool blkjob_transitions[BLKJOB_NR_STATUS][BLKJOB_NR_STATUS] = {
	/* U */ { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	/* C */ { 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1 },
	/* R */ { 0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0 },
	/* P */ { 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 },
	/* Y */ { 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0 },
	/* S */ { 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 },
	/* W */ { 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0 },
	/* D */ { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0 },
	/* X */ { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0 },
	/* E */ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	/* N */ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
};

/* QEMU's verb table, [verb][status], same columns. */
static const bool blkjob_verbs[BLKJOB_VERB_MAX][BLKJOB_NR_STATUS] = {
	[BLKJOB_VERB_CANCEL]	= { 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 },
	[BLKJOB_VERB_PAUSE]	= { 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0 },
	[BLKJOB_VERB_RESUME]	= { 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0 },
	[BLKJOB_VERB_SET_SPEED]	= { 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0 },
	[BLKJOB_VERB_COMPLETE]	= { 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0 },
	[BLKJOB_VERB_FINALIZE]	= { 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 },
	[BLKJOB_VERB_DISMISS]	= { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 },
	[BLKJOB_VERB_CHANGE]	= { 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0 },
};

/* Names as in the YNL spec, for messages. */
static const char * const blkjob_status_names[BLKJOB_NR_STATUS] = {
	"undefined", "created", "running", "paused", "ready", "standby",
	"waiting", "pending", "aborting", "concluded", "null",
};

static const char * const blkjob_verb_names[BLKJOB_VERB_MAX] = {
	[BLKJOB_VERB_CANCEL]	= "cancel",
	[BLKJOB_VERB_PAUSE]	= "pause",
	[BLKJOB_VERB_RESUME]	= "resume",
	[BLKJOB_VERB_SET_SPEED]	= "set-speed",
	[BLKJOB_VERB_COMPLETE]	= "complete",
	[BLKJOB_VERB_FINALIZE]	= "finalize",
	[BLKJOB_VERB_DISMISS]	= "dismiss",
	[BLKJOB_VERB_CHANGE]	= "change",
};

static const char * const blkjob_type_names[] = {
	[BLKJOB_JOB_TYPE_COPY]		= "copy",
	[BLKJOB_JOB_TYPE_MIRROR]	= "mirror",
	[BLKJOB_JOB_TYPE_BACKUP]	= "backup",
};

static const struct blkjob_driver *blkjob_drivers[] = {
	[BLKJOB_JOB_TYPE_COPY]		= &blkjob_copy_driver,
	[BLKJOB_JOB_TYPE_MIRROR]	= &blkjob_mirror_driver,
	[BLKJOB_JOB_TYPE_BACKUP]	= &blkjob_backup_driver,
};

/**
 * blkjob_transition_allowed() - may a job move between two statuses?
 * @from: the current status
 * @to: the new status
 *
 * Context: any.
 * Return: true when QEMU's transition table allows it.
 */
bool blkjob_transition_allowed(enum blkjob_job_status from,
			       enum blkjob_job_status to)
{
	return from < BLKJOB_NR_STATUS && to < BLKJOB_NR_STATUS &&
	       blkjob_transitions[from][to];
}

/**
 * blkjob_verb_allowed() - may a job in a status accept a verb?
 * @verb: the verb
 * @status: the job's status
 *
 * Context: any.
 * Return: true when QEMU's verb table allows it.
 */
bool blkjob_verb_allowed(enum blkjob_verb verb, enum blkjob_job_status status)
{
	return verb < BLKJOB_VERB_MAX && status < BLKJOB_NR_STATUS &&
	       blkjob_verbs[verb][status];
}

/**
 * blkjob_status_name() - a job status as the spec spells it
 * @status: the status
 *
 * Context: any.
 * Return: the name, "?" for a value out of range.
 */
const char *blkjob_status_name(enum blkjob_job_status status)
{
	return status < BLKJOB_NR_STATUS ? blkjob_status_names[status] : "?";
}

/**
 * blkjob_type_name() - a job type as the spec spells it
 * @type: the type
 *
 * Context: any.
 * Return: the name, "?" for a value out of range.
 */
const char *blkjob_type_name(enum blkjob_job_type type)
{
	return type < ARRAY_SIZE(blkjob_type_names) ? blkjob_type_names[type] :
						       "?";
}

/**
 * blkjob_id_valid() - check QEMU's id rules
 * @id: NUL-terminated id
 *
 * Context: any.
 * Return: true for a letter followed by letters, digits, '.', '_' or '-'.
 */
bool blkjob_id_valid(const char *id)
{
	/* ASCII only: the kernel's ctype also takes Latin-1 letters. */
	if (!isascii(*id) || !isalpha(*id))
		return false;
	while (*++id)
		if (!isascii(*id) || (!isalnum(*id) && !strchr("._-", *id)))
			return false;
	return true;
}

static struct blkjob *blkjob_find_locked(const char *id)
{
	struct blkjob *job;

	lockdep_assert_held(&blkjob_mutex);
	list_for_each_entry(job, &blkjob_list, node)
		if (!strcmp(job->id, id))
			return job;
	return NULL;
}

/**
 * blkjob_find() - look a job up by id
 * @id: the job id
 *
 * Context: process; takes blkjob_mutex.
 * Return: the job with a reference the caller must drop with blkjob_put(),
 * or NULL.
 */
struct blkjob *blkjob_find(const char *id)
{
	struct blkjob *job;

	mutex_lock(&blkjob_mutex);
	job = blkjob_find_locked(id);
	if (job)
		blkjob_get(job);
	mutex_unlock(&blkjob_mutex);
	return job;
}

/**
 * blkjob_get() - take a reference on a job
 * @job: the job
 *
 * Context: any; the caller already holds a reference or blkjob_mutex.
 */
void blkjob_get(struct blkjob *job)
{
	kref_get(&job->ref);
}

static void blkjob_free_work(struct work_struct *work)
{
	struct blkjob *job = container_of(work, struct blkjob, free_work);

	/* The thread dropped its reference: it is gone or about to be. */
	if (job->task) {
		kthread_stop(job->task);
		put_task_struct(job->task);
	}
	if (job->priv) {
		job->drv->release(job);
		job->drv->free(job);
	}
	if (job->txn) {
		mutex_lock(&blkjob_mutex);
		list_del(&job->txn_node);
		mutex_unlock(&blkjob_mutex);
		blkjob_txn_put(job->txn);
	}
	kfree(job->source);
	kfree(job->target);
	kfree(job);
	if (atomic_dec_and_test(&blkjob_nr_jobs))
		wake_up_var(&blkjob_nr_jobs);
}

static void blkjob_release(struct kref *ref)
{
	struct blkjob *job = container_of(ref, struct blkjob, ref);

	queue_work(blkjob_wq, &job->free_work);
}

/**
 * blkjob_put() - drop a reference on a job
 * @job: the job
 *
 * The job is freed from a workqueue, so the last reference may be dropped
 * anywhere, blkjob_mutex held or in the job's own kthread.
 *
 * Context: any.
 */
void blkjob_put(struct blkjob *job)
{
	kref_put(&job->ref, blkjob_release);
}

static const char *blkjob_errno_text(int err)
{
	switch (err) {
	case -ECANCELED:
		return "Operation canceled";
	case -EIO:
		return "Input/output error";
	case -ENOSPC:
		return "No space left on device";
	case -ENOMEM:
		return "Cannot allocate memory";
	case -ENODEV:
		return "No such device";
	case -ENXIO:
		return "No such device or address";
	case -EROFS:
		return "Read-only file system";
	case -EOPNOTSUPP:
		return "Operation not supported";
	default:
		return NULL;
	}
}

/**
 * blkjob_set_error() - say why a job failed
 * @job: the job
 * @fmt: printf format
 *
 * Context: the job's kthread, before its run returns.
 */
void blkjob_set_error(struct blkjob *job, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(job->error, sizeof(job->error), fmt, args);
	va_end(args);
}

/**
 * blkjob_set_note() - say what a finished job can no longer do
 * @job: the job, whose run returns success and sets no error any more
 * @fmt: printf format
 *
 * The text becomes the job's error, shown once the run is over while the
 * job waits for its transaction or for job-finalize (a pending mirror
 * whose source went stale: its move can no longer be undone), and kept if
 * the job then aborts; a job that concludes successfully has no error.
 * The job type's @abort may also set it, to say how the abort ended.
 *
 * Context: process; blkjob_mutex held.
 */
void blkjob_set_note(struct blkjob *job, const char *fmt, ...)
{
	va_list args;

	lockdep_assert_held(&blkjob_mutex);
	va_start(args, fmt);
	vsnprintf(job->error, sizeof(job->error), fmt, args);
	va_end(args);
}

/**
 * blkjob_set_status() - move a job to a new status
 * @job: the job
 * @status: the new status
 *
 * Only a real change is announced. An illegal transition is a bug.
 *
 * Context: process; blkjob_mutex held.
 */
void blkjob_set_status(struct blkjob *job, enum blkjob_job_status status)
{
	lockdep_assert_held(&blkjob_mutex);
	WARN_ONCE(!blkjob_transition_allowed(job->status, status),
		  "blkjob: job '%s': illegal transition %s -> %s\n", job->id,
		  blkjob_status_name(job->status), blkjob_status_name(status));
	if (job->status == status)
		return;
	job->status = status;
	blkjob_nl_notify(job, BLKJOB_CMD_JOB_STATUS_NTF);
}

static int blkjob_verb_check(struct blkjob *job, enum blkjob_verb verb,
			     struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&blkjob_mutex);
	if (blkjob_verb_allowed(verb, job->status))
		return 0;
	blkjob_errmsg(extack, NULL,
		      "job '%s' in state '%s' cannot accept command verb '%s'",
		      job->id, blkjob_status_name(job->status),
		      blkjob_verb_names[verb]);
	return -EPERM;
}

static bool blkjob_cancelled_locked(struct blkjob *job)
{
	return job->cancelled && job->force_cancel;
}

/**
 * blkjob_is_cancelled() - should the job stop now?
 * @job: the job
 *
 * A soft cancel of a ready job does not count: that job finishes instead.
 *
 * Context: any; lockless, so the answer may be stale by one wake-up.
 * Return: true after a force cancel.
 */
bool blkjob_is_cancelled(struct blkjob *job)
{
	return READ_ONCE(job->cancelled) && READ_ONCE(job->force_cancel);
}

/**
 * blkjob_pause_requested() - should the job stop at its next pause point?
 * @job: the job
 *
 * Context: any; lockless.
 * Return: true while some pause is held and the job is not cancelled.
 */
bool blkjob_pause_requested(struct blkjob *job)
{
	return READ_ONCE(job->pause_count) && !blkjob_is_cancelled(job);
}

static bool blkjob_may_leave_pause(struct blkjob *job)
{
	return !READ_ONCE(job->pause_count) || blkjob_is_cancelled(job);
}

/**
 * blkjob_pause_point() - pause here if a pause is requested
 * @job: the job
 *
 * running becomes paused, ready becomes standby, until every pause is
 * released or the job is cancelled; then the job returns to the status it
 * left. The caller must have no I/O in flight, so progress stays frozen.
 *
 * Context: the job's kthread; sleeps.
 */
void blkjob_pause_point(struct blkjob *job)
{
	enum blkjob_job_status resume_to;

	mutex_lock(&blkjob_mutex);
	if (!job->pause_count || blkjob_cancelled_locked(job)) {
		mutex_unlock(&blkjob_mutex);
		return;
	}
	resume_to = job->status;
	blkjob_set_status(job, resume_to == BLKJOB_JOB_STATUS_READY ?
			       BLKJOB_JOB_STATUS_STANDBY :
			       BLKJOB_JOB_STATUS_PAUSED);
	WRITE_ONCE(job->busy, false);
	mutex_unlock(&blkjob_mutex);

	/* Interruptible only to keep a long pause off the hung-task radar. */
	while (wait_event_interruptible(job->wq, blkjob_may_leave_pause(job)))
		;

	mutex_lock(&blkjob_mutex);
	WRITE_ONCE(job->busy, true);
	blkjob_set_status(job, resume_to);
	mutex_unlock(&blkjob_mutex);
}

/**
 * blkjob_set_len() - set the total amount of work
 * @job: the job
 * @len: bytes
 *
 * Context: process.
 */
void blkjob_set_len(struct blkjob *job, u64 len)
{
	spin_lock(&job->lock);
	job->len = len;
	spin_unlock(&job->lock);
}

/**
 * blkjob_progress() - account work done
 * @job: the job
 * @done: bytes just finished
 *
 * Context: process.
 */
void blkjob_progress(struct blkjob *job, u64 done)
{
	spin_lock(&job->lock);
	job->offset += done;
	spin_unlock(&job->lock);
}

/**
 * blkjob_set_remaining() - set the work left; the total follows
 * @job: the job
 * @remaining: bytes still to do
 *
 * For jobs whose work grows (a live mirror): len becomes offset plus
 * @remaining, so offset only grows and len may grow or shrink.
 *
 * Context: process.
 */
void blkjob_set_remaining(struct blkjob *job, u64 remaining)
{
	spin_lock(&job->lock);
	job->len = job->offset + remaining;
	spin_unlock(&job->lock);
}

/**
 * blkjob_set_ready() - the job may now be completed (mirror)
 * @job: the job
 *
 * Context: the job's kthread; takes blkjob_mutex.
 */
void blkjob_set_ready(struct blkjob *job)
{
	mutex_lock(&blkjob_mutex);
	blkjob_set_status(job, BLKJOB_JOB_STATUS_READY);
	blkjob_nl_notify(job, BLKJOB_CMD_JOB_READY_NTF);
	mutex_unlock(&blkjob_mutex);
}

/**
 * blkjob_error_action() - apply the error policy to an I/O error
 * @job: the job
 * @op: read (source) or write (target)
 * @err: the -errno of the failed I/O
 *
 * stop pauses the job as if the user had paused it and sets its io-status;
 * job-resume clears both and the caller retries the failed I/O. The error
 * is announced in every case.
 *
 * Context: the job's kthread; takes blkjob_mutex.
 * Return: what the caller must do: ignore, report (fail the job) or stop.
 */
enum blkjob_error_action blkjob_error_action(struct blkjob *job,
					     enum blkjob_io_operation op,
					     int err)
{
	enum blkjob_error_policy policy;
	enum blkjob_error_action action;

	policy = op == BLKJOB_IO_OPERATION_READ ? job->on_source_error :
						  job->on_target_error;
	switch (policy) {
	case BLKJOB_ERROR_POLICY_IGNORE:
		action = BLKJOB_ERROR_ACTION_IGNORE;
		break;
	case BLKJOB_ERROR_POLICY_STOP:
		action = BLKJOB_ERROR_ACTION_STOP;
		break;
	case BLKJOB_ERROR_POLICY_ENOSPC:
		action = err == -ENOSPC ? BLKJOB_ERROR_ACTION_STOP :
					  BLKJOB_ERROR_ACTION_REPORT;
		break;
	default:
		action = BLKJOB_ERROR_ACTION_REPORT;
		break;
	}

	if (action == BLKJOB_ERROR_ACTION_STOP) {
		mutex_lock(&blkjob_mutex);
		if (!job->user_paused) {
			job->user_paused = true;
			WRITE_ONCE(job->pause_count, job->pause_count + 1);
		}
		job->io_status = err == -ENOSPC ? BLKJOB_IO_STATUS_NOSPACE :
						  BLKJOB_IO_STATUS_FAILED;
		mutex_unlock(&blkjob_mutex);
	}
	blkjob_nl_notify_error(job, op, action);
	return action;
}

/**
 * blkjob_flush() - the final flush of a job's target, under its policy
 * @job: the job
 * @bdev: the target
 *
 * A failed flush is a failed write: on-target-error decides. ignore goes
 * on, stop pauses the job and flushes again once it is resumed, report
 * fails it.
 *
 * Context: the job's kthread, with no I/O in flight; sleeps.
 * Return: 0, -ECANCELED, or the flush's error.
 */
int blkjob_flush(struct blkjob *job, struct block_device *bdev)
{
	int err;

	for (;;) {
		if (blkjob_is_cancelled(job))
			return -ECANCELED;
		err = blkdev_issue_flush(bdev);
		if (!err)
			return 0;
		switch (blkjob_error_action(job, BLKJOB_IO_OPERATION_WRITE,
					    err)) {
		case BLKJOB_ERROR_ACTION_IGNORE:
			return 0;
		case BLKJOB_ERROR_ACTION_STOP:
			blkjob_pause_point(job);
			break;
		default:
			blkjob_set_error(job, "flush error: %d", err);
			return err;
		}
	}
}

static void blkjob_completed(struct blkjob *job, int ret);

/* The job's kthread: the job type's work, then the end of the lifecycle. */
static int blkjob_thread(void *data)
{
	struct blkjob *job = data;
	int ret;

	WRITE_ONCE(job->busy, true);
	ret = job->drv->run(job);
	WRITE_ONCE(job->busy, false);

	mutex_lock(&blkjob_mutex);
	blkjob_completed(job, ret);
	mutex_unlock(&blkjob_mutex);
	blkjob_put(job);
	return 0;
}

/**
 * blkjob_alloc() - create a job object and its job type's state
 * @p: the caller's parameters, already validated as far as netlink can
 * @extack: for the job type's error messages
 *
 * The job is not registered and its kthread not started; undo with
 * blkjob_discard().
 *
 * Context: process; sleeps (opens devices).
 * Return: the job, with one reference, or an ERR_PTR.
 */
struct blkjob *blkjob_alloc(const struct blkjob_params *p,
			    struct netlink_ext_ack *extack)
{
	const struct blkjob_driver *drv = NULL;
	struct task_struct *task;
	struct blkjob *job;
	int err;

	if (p->type < ARRAY_SIZE(blkjob_drivers))
		drv = blkjob_drivers[p->type];
	if (!drv) {
		blkjob_errmsg(extack, NULL, "job type '%s' is not supported",
			      blkjob_type_name(p->type));
		return ERR_PTR(-EOPNOTSUPP);
	}

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return ERR_PTR(-ENOMEM);
	atomic_inc(&blkjob_nr_jobs);
	kref_init(&job->ref);
	INIT_LIST_HEAD(&job->node);
	INIT_LIST_HEAD(&job->txn_node);
	init_waitqueue_head(&job->wq);
	INIT_WORK(&job->free_work, blkjob_free_work);
	spin_lock_init(&job->lock);
	job->drv = drv;
	strscpy(job->id, p->id, sizeof(job->id));
	job->status = BLKJOB_JOB_STATUS_UNDEFINED;
	job->auto_finalize = p->auto_finalize;
	job->auto_dismiss = p->auto_dismiss;
	job->on_source_error = p->on_source_error;
	job->on_target_error = p->on_target_error;
	job->copy_mode = p->copy_mode;
	job->sync = p->sync;
	job->speed = p->speed;
	blkjob_ratelimit_set_speed(&job->rl, p->speed);

	job->source = kstrdup(p->source, GFP_KERNEL);
	job->target = kstrdup(p->target, GFP_KERNEL);
	if (!job->source || !job->target) {
		err = -ENOMEM;
		goto put;
	}

	err = drv->create(job, p, extack);
	if (err)
		goto put;

	task = kthread_create(blkjob_thread, job, "blkjob/%s", job->id);
	if (IS_ERR(task)) {
		err = PTR_ERR(task);
		goto release;
	}
	get_task_struct(task);
	job->task = task;
	return job;

release:
	drv->release(job);
put:
	blkjob_put(job);
	return ERR_PTR(err);
}

/**
 * blkjob_discard() - undo blkjob_alloc() for a job that never registered
 * @job: the job
 *
 * The devices are given back now, so that the failed command's caller can
 * use them as soon as it has its answer.
 *
 * Context: process; sleeps.
 */
void blkjob_discard(struct blkjob *job)
{
	job->drv->release(job);
	blkjob_put(job);
}

/**
 * blkjob_register() - make a job visible under its id, in status created
 * @job: the job, from blkjob_alloc()
 * @txn: its transaction
 * @extack: for the error message
 *
 * Context: process; blkjob_mutex held.
 * Return: 0, -EEXIST for an id in use, -ESHUTDOWN while the module unloads.
 */
int blkjob_register(struct blkjob *job, struct blkjob_txn *txn,
		    struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&blkjob_mutex);
	if (blkjob_shutting_down) {
		blkjob_errmsg(extack, NULL, "blkjob is unloading");
		return -ESHUTDOWN;
	}
	if (blkjob_find_locked(job->id)) {
		blkjob_errmsg(extack, NULL, "job ID '%s' already in use",
			      job->id);
		return -EEXIST;
	}
	blkjob_get(job);
	list_add_tail(&job->node, &blkjob_list);
	job->serial = blkjob_next_serial++;
	blkjob_txn_get(txn);
	job->txn = txn;
	list_add_tail(&job->txn_node, &txn->jobs);
	txn->running++;
	blkjob_set_status(job, BLKJOB_JOB_STATUS_CREATED);
	return 0;
}

/* Registration is over for good: null, out of the registry. */
static void blkjob_do_dismiss(struct blkjob *job)
{
	lockdep_assert_held(&blkjob_mutex);
	blkjob_set_status(job, BLKJOB_JOB_STATUS_NULL);
	list_del_init(&job->node);
	if (list_empty(&blkjob_list))
		wake_up_var(&blkjob_list);
	blkjob_put(job);
}

/**
 * blkjob_unregister() - take back a created job whose creation failed
 * @job: the job, registered but never started
 *
 * created goes to null, as in QEMU; the caller then discards the job.
 *
 * Context: process; blkjob_mutex held.
 */
void blkjob_unregister(struct blkjob *job)
{
	lockdep_assert_held(&blkjob_mutex);
	job->txn->running--;
	blkjob_do_dismiss(job);
}

/**
 * blkjob_start() - run a created job
 * @job: the job
 *
 * Context: process; blkjob_mutex held.
 */
void blkjob_start(struct blkjob *job)
{
	lockdep_assert_held(&blkjob_mutex);
	job->started = true;
	blkjob_set_status(job, BLKJOB_JOB_STATUS_RUNNING);
	blkjob_get(job);	/* the thread's, dropped when it ends */
	wake_up_process(job->task);
}

/*
 * The job's run is over (or never happened): record the result and let the
 * transaction decide what comes next. QEMU's job_completed().
 */
static void blkjob_completed(struct blkjob *job, int ret)
{
	lockdep_assert_held(&blkjob_mutex);
	job->finished = true;
	job->txn->running--;
	if (!ret && blkjob_cancelled_locked(job))
		ret = -ECANCELED;
	job->ret = ret;
	if (ret) {
		const char *text = blkjob_errno_text(ret);

		if (!job->error[0] && text)
			strscpy(job->error, text, sizeof(job->error));
		else if (!job->error[0])
			snprintf(job->error, sizeof(job->error), "error %d",
				 ret);
		blkjob_set_status(job, BLKJOB_JOB_STATUS_ABORTING);
	}
	blkjob_txn_completed(job);
}

/**
 * blkjob_cancel_async() - ask a job to stop
 * @job: the job
 * @force: stop now and end cancelled (else: a ready job finishes)
 *
 * A user pause is released so that the job can wind down.
 *
 * Context: process; blkjob_mutex held.
 */
void blkjob_cancel_async(struct blkjob *job, bool force)
{
	lockdep_assert_held(&blkjob_mutex);
	if (job->user_paused) {
		job->user_paused = false;
		job->io_status = BLKJOB_IO_STATUS_OK;
		WRITE_ONCE(job->pause_count, job->pause_count - 1);
	}
	WRITE_ONCE(job->force_cancel, job->force_cancel || force);
	WRITE_ONCE(job->cancelled, true);
	wake_up(&job->wq);
}

/**
 * blkjob_finalize_one() - end a finished job: commit or abort, conclude
 * @job: the job, finished, its transaction decided
 *
 * Context: process; blkjob_mutex held.
 */
void blkjob_finalize_one(struct blkjob *job)
{
	const struct blkjob_driver *drv = job->drv;

	lockdep_assert_held(&blkjob_mutex);
	if (!job->ret && blkjob_cancelled_locked(job)) {
		job->ret = -ECANCELED;
		strscpy(job->error, blkjob_errno_text(-ECANCELED),
			sizeof(job->error));
	}
	if (job->ret) {
		blkjob_set_status(job, BLKJOB_JOB_STATUS_ABORTING);
		if (drv->abort)
			drv->abort(job);
	} else {
		/* A note (blkjob_set_note()) does not outlive success. */
		job->error[0] = '\0';
		if (drv->commit)
			drv->commit(job);
	}
	drv->release(job);

	/* A job that never started ends quietly, as in QEMU. */
	if (job->started)
		blkjob_nl_notify(job, blkjob_cancelled_locked(job) ?
				      BLKJOB_CMD_JOB_CANCELLED_NTF :
				      BLKJOB_CMD_JOB_COMPLETED_NTF);
	blkjob_set_status(job, BLKJOB_JOB_STATUS_CONCLUDED);
	if (job->auto_dismiss || !job->started || blkjob_shutting_down)
		blkjob_do_dismiss(job);
}

/* job-cancel, with blkjob_mutex held. QEMU's job_cancel(). */
static void blkjob_cancel_locked(struct blkjob *job, bool force)
{
	bool ready = job->status == BLKJOB_JOB_STATUS_READY ||
		     job->status == BLKJOB_JOB_STATUS_STANDBY;

	/* Only a ready job with a completion step has a soft cancel. */
	if (!ready || !job->drv->complete)
		force = true;
	blkjob_cancel_async(job, force);
	if (!job->started)
		blkjob_completed(job, -ECANCELED);
	else if (job->finished)
		blkjob_txn_abort(job);
}

/**
 * blkjob_cancel() - job-cancel
 * @job: the job
 * @force: the force flag
 * @extack: for the error message
 *
 * Context: process; takes blkjob_mutex.
 * Return: 0 or -EPERM.
 */
int blkjob_cancel(struct blkjob *job, bool force,
		  struct netlink_ext_ack *extack)
{
	int err;

	mutex_lock(&blkjob_mutex);
	err = blkjob_verb_check(job, BLKJOB_VERB_CANCEL, extack);
	if (!err)
		blkjob_cancel_locked(job, force);
	mutex_unlock(&blkjob_mutex);
	return err;
}

/**
 * blkjob_pause() - job-pause
 * @job: the job
 * @extack: for the error message
 *
 * Context: process; takes blkjob_mutex.
 * Return: 0 or -EPERM.
 */
int blkjob_pause(struct blkjob *job, struct netlink_ext_ack *extack)
{
	int err;

	mutex_lock(&blkjob_mutex);
	err = blkjob_verb_check(job, BLKJOB_VERB_PAUSE, extack);
	if (err)
		goto out;
	if (job->user_paused) {
		blkjob_errmsg(extack, NULL, "job is already paused");
		err = -EPERM;
		goto out;
	}
	job->user_paused = true;
	WRITE_ONCE(job->pause_count, job->pause_count + 1);
	/* Cut a rate-limit sleep short: pause at the next pause point. */
	wake_up(&job->wq);
out:
	mutex_unlock(&blkjob_mutex);
	return err;
}

/**
 * blkjob_resume() - job-resume
 * @job: the job
 * @extack: for the error message
 *
 * Also clears the io-status left by the stop error policy.
 *
 * Context: process; takes blkjob_mutex.
 * Return: 0 or -EPERM.
 */
int blkjob_resume(struct blkjob *job, struct netlink_ext_ack *extack)
{
	int err;

	mutex_lock(&blkjob_mutex);
	err = blkjob_verb_check(job, BLKJOB_VERB_RESUME, extack);
	if (err)
		goto out;
	if (!job->user_paused) {
		blkjob_errmsg(extack, NULL,
			      "can't resume a job that was not paused");
		err = -EPERM;
		goto out;
	}
	job->user_paused = false;
	job->io_status = BLKJOB_IO_STATUS_OK;
	WRITE_ONCE(job->pause_count, job->pause_count - 1);
	wake_up(&job->wq);
out:
	mutex_unlock(&blkjob_mutex);
	return err;
}

/**
 * blkjob_complete() - job-complete
 * @job: the job
 * @extack: for the error message
 *
 * Context: process; takes blkjob_mutex.
 * Return: 0, -EPERM, or -EOPNOTSUPP for a job type without completion.
 */
int blkjob_complete(struct blkjob *job, struct netlink_ext_ack *extack)
{
	int err;

	mutex_lock(&blkjob_mutex);
	err = blkjob_verb_check(job, BLKJOB_VERB_COMPLETE, extack);
	if (err)
		goto out;
	if (job->cancelled) {
		blkjob_errmsg(extack, NULL, "job '%s' is being cancelled",
			      job->id);
		err = -EPERM;
		goto out;
	}
	if (!job->drv->complete) {
		blkjob_errmsg(extack, NULL,
			      "job type '%s' has no completion step",
			      job->drv->name);
		err = -EOPNOTSUPP;
		goto out;
	}
	job->drv->complete(job);
out:
	mutex_unlock(&blkjob_mutex);
	return err;
}

/**
 * blkjob_finalize() - job-finalize: finalize the job's whole transaction
 * @job: the job
 * @extack: for the error message
 *
 * Context: process; takes blkjob_mutex.
 * Return: 0 or -EPERM.
 */
int blkjob_finalize(struct blkjob *job, struct netlink_ext_ack *extack)
{
	int err;

	mutex_lock(&blkjob_mutex);
	err = blkjob_verb_check(job, BLKJOB_VERB_FINALIZE, extack);
	if (!err)
		blkjob_txn_finalize(job->txn);
	mutex_unlock(&blkjob_mutex);
	return err;
}

/**
 * blkjob_dismiss() - job-dismiss
 * @job: the job
 * @extack: for the error message
 *
 * Context: process; takes blkjob_mutex.
 * Return: 0 or -EPERM.
 */
int blkjob_dismiss(struct blkjob *job, struct netlink_ext_ack *extack)
{
	int err;

	mutex_lock(&blkjob_mutex);
	err = blkjob_verb_check(job, BLKJOB_VERB_DISMISS, extack);
	if (!err)
		blkjob_do_dismiss(job);
	mutex_unlock(&blkjob_mutex);
	return err;
}

/**
 * blkjob_set_speed() - job-set-speed
 * @job: the job
 * @speed: bytes per second, 0 for unlimited
 * @extack: for the error message
 *
 * A raised speed wakes a job sleeping for the rate limit, so that it takes
 * effect at once; a lowered one waits for the current sleep to end.
 *
 * Context: process; takes blkjob_mutex.
 * Return: 0 or -EPERM.
 */
int blkjob_set_speed(struct blkjob *job, u64 speed,
		     struct netlink_ext_ack *extack)
{
	bool raised;
	int err;

	mutex_lock(&blkjob_mutex);
	err = blkjob_verb_check(job, BLKJOB_VERB_SET_SPEED, extack);
	if (err)
		goto out;
	spin_lock(&job->lock);
	raised = job->speed && (!speed || speed > job->speed);
	job->speed = speed;
	blkjob_ratelimit_set_speed(&job->rl, speed);
	if (raised)
		WRITE_ONCE(job->speed_gen, job->speed_gen + 1);
	spin_unlock(&job->lock);
	if (raised)
		wake_up(&job->wq);
out:
	mutex_unlock(&blkjob_mutex);
	return err;
}

/**
 * blkjob_change() - job-change
 * @job: the job
 * @mode: the requested copy mode
 * @extack: for the error message
 *
 * Context: process; takes blkjob_mutex.
 * Return: 0, -EPERM, -EOPNOTSUPP, or the job type's error.
 */
int blkjob_change(struct blkjob *job, enum blkjob_copy_mode mode,
		  struct netlink_ext_ack *extack)
{
	int err;

	mutex_lock(&blkjob_mutex);
	err = blkjob_verb_check(job, BLKJOB_VERB_CHANGE, extack);
	if (err)
		goto out;
	if (!job->drv->change) {
		blkjob_errmsg(extack, NULL,
			      "job type '%s' has no options to change",
			      job->drv->name);
		err = -EOPNOTSUPP;
		goto out;
	}
	err = job->drv->change(job, mode, extack);
out:
	mutex_unlock(&blkjob_mutex);
	return err;
}

/**
 * blkjob_pause_internal() - pause a job on behalf of the kernel
 * @job: the job
 *
 * Counted with the user's pause: the job runs again only once every pause
 * is released. The job stops at its next pause point.
 *
 * Context: process; takes blkjob_mutex.
 */
void blkjob_pause_internal(struct blkjob *job)
{
	mutex_lock(&blkjob_mutex);
	WRITE_ONCE(job->pause_count, job->pause_count + 1);
	wake_up(&job->wq);
	mutex_unlock(&blkjob_mutex);
}

/**
 * blkjob_resume_internal() - release a blkjob_pause_internal()
 * @job: the job
 *
 * Context: process; takes blkjob_mutex.
 */
void blkjob_resume_internal(struct blkjob *job)
{
	mutex_lock(&blkjob_mutex);
	if (!WARN_ON_ONCE(!job->pause_count))
		WRITE_ONCE(job->pause_count, job->pause_count - 1);
	wake_up(&job->wq);
	mutex_unlock(&blkjob_mutex);
}

/**
 * blkjob_cancel_internal() - force-cancel a job on behalf of the kernel
 * @job: the job, registered or not yet
 *
 * Unlike job-cancel this needs no particular status: one not yet started
 * ends as soon as it starts. A job whose run is over but which waits for
 * its transaction or for job-finalize is aborted now, as job-cancel would
 * (a pending mirror with auto-finalize off still holds its dm instance
 * until its abort); a job that is aborting or concluded is left alone.
 *
 * Context: process; takes blkjob_mutex.
 */
void blkjob_cancel_internal(struct blkjob *job)
{
	mutex_lock(&blkjob_mutex);
	if (!job->finished)
		blkjob_cancel_async(job, true);
	else if (job->status == BLKJOB_JOB_STATUS_WAITING ||
		 job->status == BLKJOB_JOB_STATUS_PENDING)
		blkjob_cancel_locked(job, true);
	mutex_unlock(&blkjob_mutex);
}

/**
 * blkjob_init_core() - set up the job core
 *
 * Context: module init.
 * Return: 0 or -ENOMEM.
 */
int blkjob_init_core(void)
{
	blkjob_wq = alloc_workqueue("blkjob", 0, 0);
	return blkjob_wq ? 0 : -ENOMEM;
}

/* The next job shutdown must act on, or NULL when none is left. */
static struct blkjob *blkjob_shutdown_next(void)
{
	struct blkjob *job;

	list_for_each_entry(job, &blkjob_list, node) {
		if (job->status == BLKJOB_JOB_STATUS_CONCLUDED)
			return job;
		if (!blkjob_cancelled_locked(job) &&
		    blkjob_verb_allowed(BLKJOB_VERB_CANCEL, job->status))
			return job;
	}
	return NULL;
}

/**
 * blkjob_shutdown() - force-cancel every job and wait until none is left
 *
 * Concluded jobs are dismissed; every other job is force-cancelled (a ready
 * mirror too) and dismissed once concluded. No job can be created after.
 *
 * Context: module exit, before the netlink family goes away; sleeps.
 */
void blkjob_shutdown(void)
{
	struct blkjob *job;

	mutex_lock(&blkjob_mutex);
	blkjob_shutting_down = true;
	/* Acting on one job may conclude others: look again every time. */
	while ((job = blkjob_shutdown_next())) {
		if (job->status == BLKJOB_JOB_STATUS_CONCLUDED)
			blkjob_do_dismiss(job);
		else
			blkjob_cancel_locked(job, true);
	}
	mutex_unlock(&blkjob_mutex);

	wait_var_event(&blkjob_list, list_empty_careful(&blkjob_list));
}

/**
 * blkjob_exit_core() - wait for every job object to be freed
 *
 * Context: module exit, after blkjob_shutdown() and once no netlink
 * handler can run; sleeps.
 */
void blkjob_exit_core(void)
{
	wait_var_event(&blkjob_nr_jobs, !atomic_read(&blkjob_nr_jobs));
	destroy_workqueue(blkjob_wq);
}

/**
 * blkjob_id_in_use() - is an id taken by a registered job?
 * @id: the id
 *
 * Context: process; blkjob_mutex held.
 * Return: true when a job not yet null has this id.
 */
bool blkjob_id_in_use(const char *id)
{
	return blkjob_find_locked(id);
}

/**
 * blkjob_next() - walk the registry for a dump
 * @prev: the job returned last time, or NULL to start
 * @serial: the lowest serial wanted
 *
 * Context: process; blkjob_mutex held across the whole walk.
 * Return: the next registered job with a serial of at least @serial, or
 * NULL at the end.
 */
struct blkjob *blkjob_next(struct blkjob *prev, u64 serial)
{
	struct blkjob *job;

	lockdep_assert_held(&blkjob_mutex);
	job = prev ? list_next_entry(prev, node) :
		     list_first_entry(&blkjob_list, struct blkjob, node);
	list_for_each_entry_from(job, &blkjob_list, node)
		if (job->serial >= serial)
			return job;
	return NULL;
}
