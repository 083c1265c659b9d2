/* SPDX-License-Identifier: GPL-2.0 */
/*
 * blkjob: the job object, the job-type driver interface and the job core
 * API shared by the job core, the job types and the netlink glue.
 */
#ifndef _BLKJOB_H
#define _BLKJOB_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/netlink.h>

#include <uapi/linux/blkjob.h>

struct blkjob;
struct block_device;
struct blkjob_txn;
struct genl_family;
struct genl_info;
struct sk_buff;
struct task_struct;

/* Defaults chosen where the caller gives no value; see design.md. */
#define BLKJOB_DEFAULT_GRANULARITY	(64 * 1024)
/* A copy has no bitmap: its chunks default to what dd and qemu-img move. */
#define BLKJOB_COPY_DEFAULT_CHUNK	(1024 * 1024)
#define BLKJOB_DEFAULT_BUF_SIZE		(16 * 1024 * 1024)
#define BLKJOB_MAX_GRANULARITY		(64 * 1024 * 1024)
#define BLKJOB_MAX_BUF_SIZE		(256 * 1024 * 1024)

/* The job statuses, indexing the tables in job.c. */
#define BLKJOB_NR_STATUS (BLKJOB_JOB_STATUS_NULL + 1)

/* Lifecycle commands, indexing the verb table in job.c. */
enum blkjob_verb {
	BLKJOB_VERB_CANCEL,
	BLKJOB_VERB_PAUSE,
	BLKJOB_VERB_RESUME,
	BLKJOB_VERB_SET_SPEED,
	BLKJOB_VERB_COMPLETE,
	BLKJOB_VERB_FINALIZE,
	BLKJOB_VERB_DISMISS,
	BLKJOB_VERB_CHANGE,
	BLKJOB_VERB_MAX,
};

/**
 * struct blkjob_params - what a caller asks for when creating a job
 * @id: job id, already checked against QEMU's id rules
 * @type: job type
 * @source: source device path (points into the request; copy it)
 * @target: target device path (points into the request; copy it)
 * @speed: rate limit in bytes per second, 0 for none
 * @granularity: chunk size in bytes, 0 for the job type's default
 * @buf_size: bytes in flight at most, 0 for the job type's default
 * @auto_finalize: finalize without waiting for job-finalize
 * @auto_dismiss: dismiss without waiting for job-dismiss
 * @on_source_error: policy for read errors
 * @on_target_error: policy for write errors
 * @copy_mode: mirror copy mode
 * @sync: sync mode (mirror, backup)
 * @attr_source: the source attribute, for extack
 * @attr_target: the target attribute, for extack
 * @attr_granularity: the granularity attribute, for extack (may be NULL)
 * @attr_buf_size: the buf-size attribute, for extack (may be NULL)
 */
struct blkjob_params {
	const char *id;
	enum blkjob_job_type type;
	const char *source;
	const char *target;
	u64 speed;
	u32 granularity;
	u64 buf_size;
	bool auto_finalize;
	bool auto_dismiss;
	enum blkjob_error_policy on_source_error;
	enum blkjob_error_policy on_target_error;
	enum blkjob_copy_mode copy_mode;
	enum blkjob_sync_mode sync;
	const struct nlattr *attr_source;
	const struct nlattr *attr_target;
	const struct nlattr *attr_granularity;
	const struct nlattr *attr_buf_size;
};

/**
 * struct blkjob_driver - one job type
 * @type: the uapi job type
 * @name: the job type's name, for messages
 * @create: open devices and set up @job->priv; may sleep; must leave
 *	nothing behind on failure. Sets the job's progress length.
 * @run: the kthread body: do the work, honouring blkjob_pause_point(),
 *	blkjob_is_cancelled() and blkjob_ratelimit(). Returns 0 on success
 *	(or after a soft cancel was honoured), -errno on failure.
 * @complete: optional; the job has a completion step (mirror's pivot),
 *	requested by job-complete in ready or standby. Called under the job
 *	mutex; must only flag the request and wake the job.
 * @change: optional; job-change. Called under the job mutex.
 * @commit: optional; the transaction succeeded (from finalize).
 * @abort: optional; the transaction failed or the job was cancelled after
 *	its run (from finalize, or job-cancel in waiting or pending). A job
 *	that keeps something to undo after its run (a mirror pivoted with
 *	auto-finalize off) undoes it here and @commit makes it final.
 * @release: give the devices back; called once the job's run is over,
 *	just before it concludes, and again (harmlessly) before @free.
 * @free: free @job->priv; the job is going away.
 *
 * @commit, @abort and @release run in process context with the job mutex
 * held and must not call back into the job core, except blkjob_set_note()
 * from @abort. They may wait for the job's own I/O, never for anything
 * that takes the job mutex.
 */
struct blkjob_driver {
	enum blkjob_job_type type;
	const char *name;
	int (*create)(struct blkjob *job, const struct blkjob_params *p,
		      struct netlink_ext_ack *extack);
	int (*run)(struct blkjob *job);
	void (*complete)(struct blkjob *job);
	int (*change)(struct blkjob *job, enum blkjob_copy_mode mode,
		      struct netlink_ext_ack *extack);
	void (*commit)(struct blkjob *job);
	void (*abort)(struct blkjob *job);
	void (*release)(struct blkjob *job);
	void (*free)(struct blkjob *job);
};

/**
 * struct blkjob_ratelimit - QEMU's slice rate limiter
 * @slice_quota: bytes per slice, 0 for unlimited
 * @slice_start: start of the current slice (ns)
 * @slice_end: end of the current slice, extended by an overshoot (ns)
 * @dispatched: bytes accounted to the current slice
 */
struct blkjob_ratelimit {
	u64 slice_quota;
	u64 slice_start;
	u64 slice_end;
	u64 dispatched;
};

/**
 * struct blkjob - one job
 * @ref: references: the registry, the kthread, callers in between
 * @node: entry in the registry, under blkjob_mutex
 * @txn_node: entry in @txn's list, under blkjob_mutex
 * @txn: the transaction; a single job-new is a transaction of one
 * @drv: the job type
 * @priv: the job type's state
 * @task: the kthread running @drv->run
 * @wq: the kthread sleeps here: pause, rate limit, I/O completions
 * @free_work: frees the job outside the context of the last put
 * @serial: registration order, the dump cursor
 * @id: the job id
 * @source: source device path
 * @target: target device path
 * @status: QEMU job status
 * @pause_count: user pause plus internal pauses
 * @user_paused: the user (or an error policy) paused the job
 * @cancelled: a cancel was requested
 * @force_cancel: the cancel stops the job now, ending it cancelled
 * @started: the kthread was started
 * @finished: @drv->run returned
 * @ret: the job's result, 0 or -errno
 * @auto_finalize: see &struct blkjob_params
 * @auto_dismiss: see &struct blkjob_params
 * @io_status: set by the stop error policy, cleared on resume
 * @on_source_error: see &struct blkjob_params
 * @on_target_error: see &struct blkjob_params
 * @copy_mode: see &struct blkjob_params
 * @sync: see &struct blkjob_params
 * @granularity: chunk size in bytes
 * @buf_size: bytes in flight at most
 * @error: why the job failed, once concluded
 * @lock: protects @len, @offset, @speed, @speed_gen and @rl; taken from
 *	process context only
 * @len: total work in bytes
 * @offset: work done in bytes; only grows
 * @speed: rate limit in bytes per second, 0 for none
 * @speed_gen: bumped when the speed is raised, to wake a rate-limit sleep
 * @rl: the rate limiter
 * @rl_gen: @speed_gen when the current rate-limit delay was priced; the
 *	kthread's own
 * @busy: the kthread is working (not paused, not sleeping); lockless
 * @actively_synced: a write-blocking mirror has caught up; lockless
 */
struct blkjob {
	struct kref ref;
	struct list_head node;
	struct list_head txn_node;
	struct blkjob_txn *txn;
	const struct blkjob_driver *drv;
	void *priv;
	struct task_struct *task;
	wait_queue_head_t wq;
	struct work_struct free_work;
	u64 serial;
	char id[BLKJOB_ID_LEN];
	char *source;
	char *target;

	/* protected by blkjob_mutex */
	enum blkjob_job_status status;
	unsigned int pause_count;
	bool user_paused;
	bool cancelled;
	bool force_cancel;
	bool started;
	bool finished;
	int ret;
	bool auto_finalize;
	bool auto_dismiss;
	enum blkjob_io_status io_status;
	enum blkjob_error_policy on_source_error;
	enum blkjob_error_policy on_target_error;
	enum blkjob_copy_mode copy_mode;
	enum blkjob_sync_mode sync;
	u32 granularity;
	u64 buf_size;
	char error[64];

	spinlock_t lock;
	u64 len;
	u64 offset;
	u64 speed;
	unsigned int speed_gen;
	struct blkjob_ratelimit rl;
	unsigned int rl_gen;

	bool busy;
	bool actively_synced;
};

/**
 * struct blkjob_txn - jobs that complete together
 * @ref: one reference per member job
 * @jobs: the member jobs, under blkjob_mutex
 * @mode: individual or grouped completion
 * @aborting: a member failed or was cancelled, under blkjob_mutex
 * @running: members whose run has not returned, under blkjob_mutex
 */
struct blkjob_txn {
	struct kref ref;
	struct list_head jobs;
	enum blkjob_completion_mode mode;
	bool aborting;
	unsigned int running;
};

/*
 * The job mutex: protects the registry, every job's lifecycle fields (see
 * struct blkjob) and every transaction. Outermost lock; held while
 * notifications are sent.
 */
extern struct mutex blkjob_mutex;

/* job.c: registry and lifecycle */
bool blkjob_id_valid(const char *id);
bool blkjob_transition_allowed(enum blkjob_job_status from,
			       enum blkjob_job_status to);
bool blkjob_verb_allowed(enum blkjob_verb verb, enum blkjob_job_status status);
const char *blkjob_status_name(enum blkjob_job_status status);
const char *blkjob_type_name(enum blkjob_job_type type);
struct blkjob *blkjob_find(const char *id);
struct blkjob *blkjob_next(struct blkjob *prev, u64 serial);
void blkjob_get(struct blkjob *job);
void blkjob_put(struct blkjob *job);
int blkjob_pause(struct blkjob *job, struct netlink_ext_ack *extack);
int blkjob_resume(struct blkjob *job, struct netlink_ext_ack *extack);
int blkjob_cancel(struct blkjob *job, bool force,
		  struct netlink_ext_ack *extack);
int blkjob_complete(struct blkjob *job, struct netlink_ext_ack *extack);
int blkjob_finalize(struct blkjob *job, struct netlink_ext_ack *extack);
int blkjob_dismiss(struct blkjob *job, struct netlink_ext_ack *extack);
int blkjob_set_speed(struct blkjob *job, u64 speed,
		     struct netlink_ext_ack *extack);
int blkjob_change(struct blkjob *job, enum blkjob_copy_mode mode,
		  struct netlink_ext_ack *extack);
void blkjob_pause_internal(struct blkjob *job);
void blkjob_resume_internal(struct blkjob *job);
void blkjob_cancel_internal(struct blkjob *job);
int blkjob_init_core(void);
void blkjob_shutdown(void);
void blkjob_exit_core(void);

/* job.c: for job types, from the kthread */
bool blkjob_is_cancelled(struct blkjob *job);
bool blkjob_pause_requested(struct blkjob *job);
void blkjob_pause_point(struct blkjob *job);
void blkjob_set_len(struct blkjob *job, u64 len);
void blkjob_progress(struct blkjob *job, u64 done);
void blkjob_set_remaining(struct blkjob *job, u64 remaining);
void blkjob_set_ready(struct blkjob *job);
enum blkjob_error_action blkjob_error_action(struct blkjob *job,
					     enum blkjob_io_operation op,
					     int err);
int blkjob_flush(struct blkjob *job, struct block_device *bdev);
void blkjob_set_error(struct blkjob *job, const char *fmt, ...) __printf(2, 3);
void blkjob_set_note(struct blkjob *job, const char *fmt, ...) __printf(2, 3);

/* job.c: internals for txn.c */
struct blkjob *blkjob_alloc(const struct blkjob_params *p,
			    struct netlink_ext_ack *extack);
void blkjob_discard(struct blkjob *job);
int blkjob_register(struct blkjob *job, struct blkjob_txn *txn,
		    struct netlink_ext_ack *extack);
void blkjob_unregister(struct blkjob *job);
void blkjob_start(struct blkjob *job);
void blkjob_set_status(struct blkjob *job, enum blkjob_job_status status);
void blkjob_cancel_async(struct blkjob *job, bool force);
void blkjob_finalize_one(struct blkjob *job);

/* txn.c */
struct blkjob_txn *blkjob_txn_alloc(enum blkjob_completion_mode mode);
void blkjob_txn_get(struct blkjob_txn *txn);
void blkjob_txn_put(struct blkjob_txn *txn);
int blkjob_txn_create(struct blkjob_params *params, unsigned int n,
		      enum blkjob_completion_mode mode,
		      struct blkjob **first, struct netlink_ext_ack *extack);
void blkjob_txn_completed(struct blkjob *job);
void blkjob_txn_finalize(struct blkjob_txn *txn);
void blkjob_txn_abort(struct blkjob *cause);
bool blkjob_id_in_use(const char *id);

/* ratelimit.c */
void blkjob_ratelimit_set_speed(struct blkjob_ratelimit *rl, u64 speed);
u64 blkjob_ratelimit_delay(struct blkjob_ratelimit *rl, u64 now, u64 n);
u64 blkjob_ratelimit(struct blkjob *job, u64 bytes);
void blkjob_wait(struct blkjob *job, u64 *deadline,
		 bool (*event)(struct blkjob *job));

/* netlink.c */
extern struct genl_family blkjob_nl_family;
int blkjob_nl_register(void);
int blkjob_nl_admin(struct sk_buff *skb, struct genl_info *info);
void blkjob_nl_unregister(void);
void blkjob_nl_notify(struct blkjob *job, u8 cmd);
void blkjob_nl_notify_error(struct blkjob *job, enum blkjob_io_operation op,
			    enum blkjob_error_action action);
void blkjob_errmsg(struct netlink_ext_ack *extack, const struct nlattr *attr,
		   const char *fmt, ...) __printf(3, 4);

/* job types */
extern const struct blkjob_driver blkjob_copy_driver;
extern const struct blkjob_driver blkjob_mirror_driver;
extern const struct blkjob_driver blkjob_backup_driver;

#endif /* _BLKJOB_H */
