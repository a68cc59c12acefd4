/* oio_ctx_sleep(): on io_uring the loop sleeps in the ring, woken by a completion or by its own poller fd becoming
 * readable, and what came is handled by the same call; the poll backend does not sleep there. */
#include "test.h"
#include "internal.h"
#include "ring.h"
#include <linux/io_uring.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct later { int fd; unsigned delay_ms; };

static void *write_later(void *arg)
{
	struct later *w = arg;
	usleep(w->delay_ms * 1000);
	if (write(w->fd, "ping", 4) != 4)
		abort();
	return NULL;
}

/* A sleep that another thread's write ends: it returns before its timeout, with the bytes delivered. */
static double sleep_until_written(struct t *t, int loop_fd, int write_fd, int timeout_ms, bool *slept)
{
	struct later w = { write_fd, 20 };
	pthread_t th;
	double t0;

	if (pthread_create(&th, NULL, write_later, &w) != 0)
		abort();
	t0 = now_ms();
	*slept = oio_ctx_sleep(t->ctx, loop_fd, timeout_ms, 0) > 0;
	t0 = now_ms() - t0;
	pthread_join(th, NULL);
	return t0;
}

TEST(sleep_in_the_ring_ends_on_a_completion_or_the_loop_fd)
{
	struct rec r;
	int sv[2], pfd[2];
	bool slept;
	double took;

	socketpair_nb(SOCK_STREAM, sv);
	CHECK_EQ(pipe(pfd), 0);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, sv[1], OIO_MODE_READ_WRITE);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	oio_ctx_flush(t->ctx);
	bool ring = t->backend == OIO_BACKEND_IO_URING && (oio_ctx_stats(t->ctx)->uring_flags & IORING_SETUP_DEFER_TASKRUN);

	/* a completion ends it, and is handled by the same call */
	took = sleep_until_written(t, pfd[0], sv[0], 5000, &slept);
	CHECK_EQ(slept, ring);
	if (ring) {
		CHECK_EQ(r.nreads, 1);
		CHECK(took < 4000);
	}

	/* the loop's own fd ends it (the poll stays armed across sleeps and fires now) */
	took = sleep_until_written(t, pfd[0], pfd[1], 5000, &slept);
	CHECK_EQ(slept, ring);
	if (ring)
		CHECK(took < 4000);

	/* nothing comes: it sleeps out its timeout */
	char drain[8];
	CHECK_EQ(read(pfd[0], drain, sizeof(drain)), 4);
	took = now_ms();
	slept = oio_ctx_sleep(t->ctx, pfd[0], 30, 0) > 0;
	took = now_ms() - took;
	CHECK_EQ(slept, ring);
	if (ring)
		CHECK(took >= 25);

	/* the loop delivers what comes afterwards, and what a sleep did not take (poll) */
	CHECK_EQ(write(sv[0], "pong", 4), 4);
	struct want want = { &r, 8 };
	CHECK_OK(test_loop_run_until(&t->loop, cond_bytes, &want, 2000));
	CHECK(memcmp(r.buf + r.len - 4, "pong", 4) == 0);
	oio_fd_free(r.iofd);
	close(sv[0]);
	close(pfd[0]);
	close(pfd[1]);
	rec_fini(&r);
}

static bool test_uring_has_min_timeout(struct t *t)
{
	return t->ctx->u.uring.ring.features & IORING_FEAT_MIN_TIMEOUT; /* Linux 6.12+; older: no coalescing */
}

/* Coalescing (IORING_FEAT_MIN_TIMEOUT): a message early in the sleep waits for the window to end, one after it is
 * delivered at once. */
TEST(coalescing_sleep_holds_out_only_inside_its_window)
{
	struct rec r;
	int sv[2], pfd[2];
	bool slept;
	double took;
	struct later early = { 0, 5 }, late = { 0, 120 };
	pthread_t th;

	if (t->backend != OIO_BACKEND_IO_URING || !(oio_ctx_stats(t->ctx)->uring_flags & IORING_SETUP_DEFER_TASKRUN))
		return;
	socketpair_nb(SOCK_STREAM, sv);
	CHECK_EQ(pipe(pfd), 0);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, sv[1], OIO_MODE_READ_WRITE);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	oio_ctx_flush(t->ctx);

	early.fd = late.fd = sv[0];
	CHECK_EQ(pthread_create(&th, NULL, write_later, &early), 0);
	took = now_ms();
	slept = oio_ctx_sleep(t->ctx, pfd[0], 5000, 60 * 1000) > 0;
	took = now_ms() - took;
	pthread_join(th, NULL);
	CHECK(slept);
	CHECK_EQ(r.nreads, 1);
	if (test_uring_has_min_timeout(t))
		CHECK(took >= 50); /* held out for the 60 ms window */
	CHECK(took < 4000);

	CHECK_EQ(pthread_create(&th, NULL, write_later, &late), 0);
	took = now_ms();
	slept = oio_ctx_sleep(t->ctx, pfd[0], 5000, 60 * 1000) > 0;
	took = now_ms() - took;
	pthread_join(th, NULL);
	CHECK(slept);
	CHECK_EQ(r.nreads, 2);
	CHECK(took < 1000); /* the window had passed: delivered when it came, not at the 5 s timeout */

	oio_fd_free(r.iofd);
	close(sv[0]);
	close(pfd[0]);
	close(pfd[1]);
	rec_fini(&r);
}
