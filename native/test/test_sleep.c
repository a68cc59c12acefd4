/* oio_ctx_sleep(): on io_uring the loop sleeps in the ring, woken by a completion or by its own poller fd becoming
 * readable, and what came is handled by the same call; the poll backend does not sleep there. */
#include "test.h"
#include "internal.h"
#include "ring.h"
#include <linux/io_uring.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

/* One sleep that a thread's write to write_fd after delay_ms may end. Returns oio_ctx_sleep()'s result > 0;
 * *took: how long the sleep lasted (ms). */
static bool sleep_with_write(struct t *t, int loop_fd, int write_fd, unsigned delay_ms, unsigned coalesce_us,
			     double *took)
{
	struct late_write w = { write_fd, delay_ms };
	pthread_t th;
	bool slept;

	if (pthread_create(&th, NULL, test_write_later, &w) != 0)
		abort();
	*took = test_now_ms();
	slept = oio_ctx_sleep(t->ctx, loop_fd, 5000, coalesce_us) > 0;
	*took = test_now_ms() - *took;
	pthread_join(th, NULL);
	return slept;
}

/* A registered reader on sv[1] (its peer sv[0] writes) and a pipe standing in for the loop's poller fd. */
static void reader_and_loop_fd(struct t *t, struct rec *r, int sv[2], int pfd[2])
{
	socketpair_nb(SOCK_STREAM, sv);
	CHECK_EQ(pipe(pfd), 0);
	rec_init(r);
	rec_fd(t, t->ctx, r, sv[1], OIO_MODE_READ_WRITE);
	CHECK_OK(oio_fd_register(r->iofd, -1));
	oio_ctx_flush(t->ctx);
}

static void reader_and_loop_fd_free(struct rec *r, int sv[2], int pfd[2])
{
	oio_fd_free(r->iofd);
	close(sv[0]);
	close(pfd[0]);
	close(pfd[1]);
	rec_fini(r);
}

static bool sleeps_in_ring(struct t *t)
{
	return t->backend == OIO_BACKEND_IO_URING && (oio_ctx_stats(t->ctx)->uring_flags & IORING_SETUP_DEFER_TASKRUN);
}

TEST(sleep_in_the_ring_ends_on_a_completion_or_the_loop_fd)
{
	struct rec r;
	int sv[2], pfd[2];
	double took;

	reader_and_loop_fd(t, &r, sv, pfd);
	bool ring = sleeps_in_ring(t);

	/* a completion ends it, and is handled by the same call */
	CHECK_EQ(sleep_with_write(t, pfd[0], sv[0], 20, 0, &took), ring);
	if (ring) {
		CHECK_EQ(r.nreads, 1);
		CHECK(took < 4000);
	}

	/* the loop's own fd ends it (the poll stays armed across sleeps and fires now) */
	CHECK_EQ(sleep_with_write(t, pfd[0], pfd[1], 20, 0, &took), ring);
	if (ring)
		CHECK(took < 4000);

	/* nothing comes: it sleeps out its timeout */
	char drain[8];
	CHECK_EQ(read(pfd[0], drain, sizeof(drain)), 4);
	took = test_now_ms();
	CHECK_EQ(oio_ctx_sleep(t->ctx, pfd[0], 30, 0) > 0, ring);
	took = test_now_ms() - took;
	if (ring)
		CHECK(took >= 25);

	/* the loop delivers what comes afterwards, and what a sleep did not take (poll) */
	CHECK_EQ(write(sv[0], "pong", 4), 4);
	struct want want = { &r, 8 };
	CHECK_OK(test_loop_run_until(&t->loop, cond_bytes, &want, 2000));
	CHECK(memcmp(r.buf + r.len - 4, "pong", 4) == 0);
	reader_and_loop_fd_free(&r, sv, pfd);
}

/* Coalescing (IORING_FEAT_MIN_TIMEOUT, Linux 6.12; older kernels: no coalescing): a message early in the sleep
 * waits for the window to end, one after it is delivered at once. */
TEST(coalescing_sleep_holds_out_only_inside_its_window)
{
	struct rec r;
	int sv[2], pfd[2];
	double took;

	if (!sleeps_in_ring(t))
		return;
	reader_and_loop_fd(t, &r, sv, pfd);

	CHECK(sleep_with_write(t, pfd[0], sv[0], 5, 60 * 1000, &took));
	CHECK_EQ(r.nreads, 1);
	if (t->ctx->u.uring.ring.features & IORING_FEAT_MIN_TIMEOUT)
		CHECK(took >= 50); /* held out for the 60 ms window */
	CHECK(took < 4000);

	CHECK(sleep_with_write(t, pfd[0], sv[0], 120, 60 * 1000, &took));
	CHECK_EQ(r.nreads, 2);
	CHECK(took < 1000); /* the window had passed: delivered when it came, not at the 5 s timeout */

	reader_and_loop_fd_free(&r, sv, pfd);
}
