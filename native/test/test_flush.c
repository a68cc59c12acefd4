/* oio_ctx_flush_wait(): on io_uring one system call submits, waits for a batch of completions (bounded) and
 * handles them; on poll it is a plain flush. */
#include "test.h"
#include "internal.h"
#include "ring.h"
#include <linux/io_uring.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

TEST(flush_wait_batches_completions)
{
	struct rec r;
	int sv[2];
	double t0, took;

	socketpair_nb(SOCK_STREAM, sv);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, sv[1], OIO_MODE_READ_WRITE);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	oio_ctx_flush(t->ctx); /* io_uring: the read is submitted now */

	/* nothing arrives: io_uring sleeps out the timeout, poll does not wait at all */
	t0 = test_now_ms();
	oio_ctx_flush_wait(t->ctx, 1, 20000);
	took = test_now_ms() - t0;
	CHECK_EQ(r.nreads, 0);
	if (t->backend == OIO_BACKEND_IO_URING)
		CHECK(took >= 15);
	else
		CHECK(took < 15);

	/* data that arrives while it waits ends the wait early and is delivered by the same call */
	if (t->backend == OIO_BACKEND_IO_URING) {
		struct late_write w = { sv[0], 10 };
		pthread_t th;
		CHECK_EQ(pthread_create(&th, NULL, test_write_later, &w), 0);
		t0 = test_now_ms();
		oio_ctx_flush_wait(t->ctx, 1, 5 * 1000 * 1000);
		took = test_now_ms() - t0;
		pthread_join(th, NULL);
		CHECK_EQ(r.nreads, 1);
		CHECK_EQ(r.len, 4);
		CHECK(memcmp(r.buf, "ping", 4) == 0);
		CHECK(took < 4000); /* woken by the completion, not by the 5 s timeout */
	}

	/* either way the loop still delivers everything afterwards */
	CHECK_EQ(write(sv[0], "pong", 4), 4);
	struct want want = { &r, t->backend == OIO_BACKEND_IO_URING ? 8u : 4u };
	CHECK_OK(test_loop_run_until(&t->loop, cond_bytes, &want, 2000));
	CHECK(memcmp(r.buf + r.len - 4, "pong", 4) == 0);
	oio_fd_free(r.iofd);
	close(sv[0]);
	rec_fini(&r);
}

/* The result says whether the wait paid for itself; the loop adapter's batch-wait backoff reads it. A wait that
 * carried submissions did (the kernel returns their count, not -ETIME, when it runs out), one that only ran out did
 * not, one that got its completions did. */
TEST(flush_wait_result_says_whether_the_wait_paid_off)
{
	struct rec r;
	int sv[2];

	if (t->backend != OIO_BACKEND_IO_URING)
		return; /* poll never waits: nothing to time out */
	socketpair_nb(SOCK_STREAM, sv);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, sv[1], OIO_MODE_READ_WRITE);
	CHECK_OK(oio_fd_register(r.iofd, -1)); /* the read's SQE is not submitted yet: the wait submits it */
	CHECK(oio_ctx_flush_wait(t->ctx, 1, 5000));
	CHECK_EQ(r.nreads, 0);
	CHECK(!oio_ctx_flush_wait(t->ctx, 1, 5000)); /* nothing to submit, nothing came */
	CHECK_EQ(write(sv[0], "ping", 4), 4);
	CHECK(oio_ctx_flush_wait(t->ctx, 1, 2 * 1000 * 1000));
	CHECK_EQ(r.nreads, 1);
	oio_fd_free(r.iofd);
	close(sv[0]);
	rec_fini(&r);
}

struct spaced_writes { int fd; unsigned n, gap_us; };

static void *write_spaced(void *arg)
{
	struct spaced_writes *w = arg;
	for (unsigned i = 0; i < w->n; i++) {
		usleep(w->gap_us);
		if (write(w->fd, "0123456789", 10) != 10)
			abort();
	}
	return NULL;
}

/* The completions an io_uring_enter of ours posts do not signal the eventfd again (DEFER_TASKRUN): one wakeup
 * per arrival, not a second one for work already taken. */
TEST(own_completions_do_not_wake_the_loop_again)
{
	enum { N = 40 };
	struct spaced_writes w = { .n = N, .gap_us = 3000 };
	struct rec r;
	int sv[2];
	pthread_t th;

	if (t->backend != OIO_BACKEND_IO_URING || !(oio_ctx_stats(t->ctx)->uring_flags & IORING_SETUP_DEFER_TASKRUN))
		return; /* the poll backend's wakeups are readiness; without deferred task work the kernel posts */
	socketpair_nb(SOCK_STREAM, sv);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, sv[1], OIO_MODE_READ_WRITE);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	oio_ctx_flush(t->ctx);
	uint64_t before = oio_ctx_stats(t->ctx)->wakeups;
	w.fd = sv[0];
	CHECK_EQ(pthread_create(&th, NULL, write_spaced, &w), 0);
	struct want all = { &r, 10 * N };
	CHECK_OK(test_loop_run_until(&t->loop, cond_bytes, &all, 5000));
	pthread_join(th, NULL);
	test_loop_run_once(&t->loop, 20); /* a signal left behind would show as one more wakeup here */
	uint64_t wakeups = oio_ctx_stats(t->ctx)->wakeups - before;
	CHECK(wakeups <= N + N / 4); /* was 2 per arrival */
	oio_fd_free(r.iofd);
	close(sv[0]);
	rec_fini(&r);
}

/* A stale IORING_SQ_TASKRUN (set, but no deferred work in the kernel) must not make the loop spin, and data that
 * comes while it stays set is still delivered. White box: the flag is forged in the shared SQ ring. */
TEST(stale_taskrun_flag_does_not_spin)
{
	struct rec r;
	int sv[2];

	if (t->backend != OIO_BACKEND_IO_URING || !(oio_ctx_stats(t->ctx)->uring_flags & IORING_SETUP_DEFER_TASKRUN))
		return; /* the flag only means something with deferred task work */
	socketpair_nb(SOCK_STREAM, sv);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, sv[1], OIO_MODE_READ_WRITE);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	oio_ctx_flush(t->ctx);
	struct oio_ring *ring = &t->ctx->u.uring.ring;
	uint64_t sys0 = oio_ctx_stats(t->ctx)->syscalls;
	double t0 = test_now_ms();
	while (test_now_ms() - t0 < 50) {
		__atomic_fetch_or(ring->sq_flags, IORING_SQ_TASKRUN, __ATOMIC_SEQ_CST);
		test_loop_run_once(&t->loop, 0);
	}
	uint64_t calls = oio_ctx_stats(t->ctx)->syscalls - sys0;
	/* waiting out the flag costs ~1 ms per round; spinning on it was thousands of enters in 50 ms */
	CHECK(calls < 400);
	CHECK(oio_ctx_stats(t->ctx)->uring_stale_waits > 0);
	/* data arriving while the flag is forged is delivered */
	__atomic_fetch_or(ring->sq_flags, IORING_SQ_TASKRUN, __ATOMIC_SEQ_CST);
	CHECK_EQ(write(sv[0], "0123456789", 10), 10);
	struct want w = { &r, 10 };
	CHECK_OK(test_loop_run_until(&t->loop, cond_bytes, &w, 2000));
	oio_fd_free(r.iofd);
	close(sv[0]);
	rec_fini(&r);
}
