/*
 * The io_uring ring over the kernel ABI. Memory ordering follows the kernel's contract: the application
 * reads the kernel-written indices (sq head, cq tail) with acquire and publishes its own (sq tail, cq head)
 * with release.
 */
#include "ring.h"
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static int sys_setup(unsigned entries, struct io_uring_params *p)
{
	long r = syscall(__NR_io_uring_setup, entries, p);
	return r < 0 ? -errno : (int)r;
}

static int sys_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags, void *arg, size_t argsz)
{
	long r = syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, arg, argsz);
	return r < 0 ? -errno : (int)r;
}

static int sys_register(int fd, unsigned op, void *arg, unsigned nr)
{
	long r = syscall(__NR_io_uring_register, fd, op, arg, nr);
	return r < 0 ? -errno : (int)r;
}

static int map_rings(struct oio_ring *r, const struct io_uring_params *p)
{
	r->sq_map_len = p->sq_off.array + p->sq_entries * sizeof(unsigned);
	r->cq_map_len = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_map_len > r->sq_map_len)
			r->sq_map_len = r->cq_map_len;
		r->cq_map_len = r->sq_map_len;
	}
	r->sq_map = mmap(NULL, r->sq_map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
			 IORING_OFF_SQ_RING);
	if (r->sq_map == MAP_FAILED)
		return -errno;
	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		r->cq_map = r->sq_map;
	} else {
		r->cq_map = mmap(NULL, r->cq_map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
				 IORING_OFF_CQ_RING);
		if (r->cq_map == MAP_FAILED)
			return -errno;
	}
	r->sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED) {
		r->sqes = NULL;
		return -errno;
	}

	char *sq = r->sq_map, *cq = r->cq_map;
	r->sq_head = (unsigned *)(sq + p->sq_off.head);
	r->sq_tail = (unsigned *)(sq + p->sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p->sq_off.ring_mask);
	r->sq_flags = (unsigned *)(sq + p->sq_off.flags);
	r->sq_array = (unsigned *)(sq + p->sq_off.array);
	r->sq_entries = p->sq_entries;
	r->cq_head = (unsigned *)(cq + p->cq_off.head);
	r->cq_tail = (unsigned *)(cq + p->cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p->cq_off.ring_mask);
	r->cq_flags = p->cq_off.flags ? (unsigned *)(cq + p->cq_off.flags) : NULL;
	r->cq_entries = p->cq_entries;
	r->cqes = (struct io_uring_cqe *)(cq + p->cq_off.cqes);
	/* identity mapping of SQ array slots to SQEs */
	for (unsigned i = 0; i < r->sq_entries; i++)
		r->sq_array[i] = i;
	r->sq_local_tail = *r->sq_tail;
	return 0;
}

int oio_ring_init(struct oio_ring *r, unsigned entries, const unsigned *flag_sets, unsigned nsets)
{
	int rc = -EINVAL;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	for (unsigned i = 0; i < nsets; i++) {
		struct io_uring_params p;
		memset(&p, 0, sizeof(p));
		p.flags = flag_sets[i];
		rc = sys_setup(entries, &p);
		if (rc == -EINVAL && i + 1 < nsets)
			continue; /* flags unknown to this kernel: try the next set */
		if (rc < 0)
			return rc;
		r->fd = rc;
		r->setup_flags = p.flags;
		r->features = p.features;
		rc = map_rings(r, &p);
		if (rc < 0) {
			oio_ring_exit(r);
			return rc;
		}
		return 0;
	}
	return rc;
}

void oio_ring_exit(struct oio_ring *r)
{
	if (r->sqes)
		munmap(r->sqes, r->sqes_len);
	if (r->cq_map && r->cq_map != r->sq_map && r->cq_map != MAP_FAILED)
		munmap(r->cq_map, r->cq_map_len);
	if (r->sq_map && r->sq_map != MAP_FAILED)
		munmap(r->sq_map, r->sq_map_len);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

int oio_ring_register_eventfd(struct oio_ring *r, int efd)
{
	return sys_register(r->fd, IORING_REGISTER_EVENTFD, &efd, 1);
}

struct io_uring_sqe *oio_ring_get_sqe(struct oio_ring *r)
{
	unsigned head = load_acquire(r->sq_head);
	struct io_uring_sqe *sqe;

	if (r->sq_local_tail - head >= r->sq_entries)
		return NULL;
	sqe = &r->sqes[r->sq_local_tail & *r->sq_mask];
	r->sq_local_tail++;
	memset(sqe, 0, sizeof(*sqe));
	return sqe;
}

unsigned oio_ring_unsubmitted(const struct oio_ring *r)
{
	return r->sq_local_tail - load_acquire(r->sq_head);
}

int oio_ring_enter(struct oio_ring *r, bool getevents, unsigned min_complete)
{
	unsigned n = r->sq_local_tail - load_acquire(r->sq_head);

	store_release(r->sq_tail, r->sq_local_tail);
	return sys_enter(r->fd, n, min_complete, getevents ? IORING_ENTER_GETEVENTS : 0, NULL, 0);
}

int oio_ring_enter_wait(struct oio_ring *r, unsigned min_complete, unsigned min_wait_us, uint64_t timeout_ns)
{
	struct __kernel_timespec ts = { .tv_sec = (long long)(timeout_ns / 1000000000u),
					.tv_nsec = (long long)(timeout_ns % 1000000000u) };
	/* `pad` is min_wait_usec in 6.12+ headers */
	struct io_uring_getevents_arg arg = { .pad = min_wait_us, .ts = (uint64_t)(uintptr_t)&ts };
	unsigned n = r->sq_local_tail - load_acquire(r->sq_head);

	store_release(r->sq_tail, r->sq_local_tail);
	return sys_enter(r->fd, n, min_complete, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof(arg));
}

unsigned oio_ring_cq_ready(const struct oio_ring *r)
{
	return load_acquire(r->cq_tail) - *r->cq_head;
}

struct io_uring_cqe *oio_ring_cqe(const struct oio_ring *r, unsigned i)
{
	return &r->cqes[(*r->cq_head + i) & *r->cq_mask];
}

void oio_ring_cq_advance(struct oio_ring *r, unsigned n)
{
	store_release(r->cq_head, *r->cq_head + n);
}

bool oio_ring_cq_overflowed(const struct oio_ring *r)
{
	return load_acquire(r->sq_flags) & IORING_SQ_CQ_OVERFLOW;
}

void oio_ring_eventfd_quiet(struct oio_ring *r, bool quiet)
{
	if (!r->cq_flags)
		return;
	if (quiet) {
		__atomic_fetch_or(r->cq_flags, IORING_CQ_EVENTFD_DISABLED, __ATOMIC_SEQ_CST);
	} else {
		__atomic_fetch_and(r->cq_flags, ~(unsigned)IORING_CQ_EVENTFD_DISABLED, __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
}

bool oio_ring_taskrun_pending(const struct oio_ring *r)
{
	return load_acquire(r->sq_flags) & IORING_SQ_TASKRUN;
}
