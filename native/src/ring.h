/* A minimal io_uring driven through the raw kernel ABI (no liburing): setup, mmap, SQE/CQE access. */
#ifndef OIO_RING_H
#define OIO_RING_H

#include <linux/io_uring.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The one place for flag values newer than some distributions' <linux/io_uring.h> (the values are kernel ABI).
 * Everything including the ring uses these; the buffer-ring structures still need 5.19 headers. */
#ifndef IORING_SQ_CQ_OVERFLOW
#define IORING_SQ_CQ_OVERFLOW (1U << 1)
#endif
#ifndef IORING_SQ_TASKRUN
#define IORING_SQ_TASKRUN (1U << 2)          /* 5.19 */
#endif
#ifndef IORING_SETUP_TASKRUN_FLAG
#define IORING_SETUP_TASKRUN_FLAG (1U << 9)  /* 5.19 */
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12) /* 6.0 */
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13) /* 6.1 */
#endif
#ifndef IORING_FEAT_MIN_TIMEOUT
#define IORING_FEAT_MIN_TIMEOUT (1U << 15)    /* 6.12: io_uring_getevents_arg.min_wait_usec (older headers: pad) */
#endif

struct oio_ring {
	int fd;
	unsigned setup_flags;
	unsigned features;
	/* submission queue */
	unsigned *sq_head, *sq_tail, *sq_mask, *sq_flags, *sq_array;
	unsigned sq_entries;
	unsigned sq_local_tail;      /* SQEs handed out, published to the kernel at submit */
	struct io_uring_sqe *sqes;
	/* completion queue */
	unsigned *cq_head, *cq_tail, *cq_mask, *cq_flags;
	unsigned cq_entries;
	struct io_uring_cqe *cqes;
	/* mappings */
	void *sq_map, *cq_map;
	size_t sq_map_len, cq_map_len, sqes_len;
};

/* Set up a ring with `entries` SQEs, trying each flag set in order. Returns 0 or -errno. */
int oio_ring_init(struct oio_ring *r, unsigned entries, const unsigned *flag_sets, unsigned nsets);
void oio_ring_exit(struct oio_ring *r);
int oio_ring_register_eventfd(struct oio_ring *r, int efd);
/* Next free SQE (zeroed) or NULL when the SQ is full. */
struct io_uring_sqe *oio_ring_get_sqe(struct oio_ring *r);
/* SQEs handed out but not yet consumed by the kernel. */
unsigned oio_ring_unsubmitted(const struct oio_ring *r);
/* io_uring_enter: submit what is queued; `getevents` also runs deferred task work. Returns the count
 * submitted or -errno. Both enters return -EINTR to the caller (see enter() in backend_uring.c). */
int oio_ring_enter(struct oio_ring *r, bool getevents, unsigned min_complete);
/* As oio_ring_enter(getevents) but sleeps until min_complete completions are posted or timeout_ns passes
 * (IORING_FEAT_EXT_ARG, Linux 5.11+). min_wait_us (IORING_FEAT_MIN_TIMEOUT, else 0): once that much passed, one
 * completion is enough. */
int oio_ring_enter_wait(struct oio_ring *r, unsigned min_complete, unsigned min_wait_us, uint64_t timeout_ns);
/* Completions: oio_ring_cq_ready() entries are valid from oio_ring_cqe(r, i); then oio_ring_cq_advance(). */
unsigned oio_ring_cq_ready(const struct oio_ring *r);
struct io_uring_cqe *oio_ring_cqe(const struct oio_ring *r, unsigned i);
void oio_ring_cq_advance(struct oio_ring *r, unsigned n);
bool oio_ring_cq_overflowed(const struct oio_ring *r);
/* Suppress (true) or restore (false) the registered eventfd's signals (IORING_CQ_EVENTFD_DISABLED, 5.8+;
 * no effect without it). Restoring is a full barrier: flags read after it see what the kernel set before. */
void oio_ring_eventfd_quiet(struct oio_ring *r, bool quiet);
/* SQEs are needed before the kernel posts pending task work (DEFER_TASKRUN). */
bool oio_ring_taskrun_pending(const struct oio_ring *r);

#endif
