/* oio_ctx_sleep(): on io_uring the loop sleeps in the ring, woken by a completion or by its own poller fd becoming
 * readable, and what came is handled by the same call; the poll backend does not sleep there. */
#include "test.h"
#include "internal.h"
#include "ring.h"
#include <linux/io_uring.h>
#include <pthread.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

/* One sleep that a thread's write to write_fd after delay_ms may end. Returns oio_ctx_sleep()'s result;
 * *took: how long the sleep lasted (ms). */
static int sleep_with_write(struct t *t, int loop_fd, int write_fd, unsigned delay_ms, unsigned coalesce_us,
			    double *took)
{
	struct late_write w = { write_fd, delay_ms };
	pthread_t th;
	int rc;

	if (pthread_create(&th, NULL, test_write_later, &w) != 0)
		abort();
	*took = test_now_ms();
	rc = oio_ctx_sleep(t->ctx, loop_fd, 5000, coalesce_us);
	*took = test_now_ms() - *took;
	pthread_join(th, NULL);
	return rc;
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

/* reader_and_loop_fd() where the loop sleeps in the ring; false (nothing set up) elsewhere */
static bool ring_reader_and_loop_fd(struct t *t, struct rec *r, int sv[2], int pfd[2])
{
	if (!sleeps_in_ring(t))
		return false;
	reader_and_loop_fd(t, r, sv, pfd);
	return true;
}

TEST(sleep_in_the_ring_ends_on_a_completion_or_the_loop_fd)
{
	struct rec r;
	int sv[2], pfd[2];
	double took;

	reader_and_loop_fd(t, &r, sv, pfd);
	bool ring = sleeps_in_ring(t);

	/* a completion ends it, and is handled by the same call */
	CHECK_EQ(sleep_with_write(t, pfd[0], sv[0], 20, 0, &took), ring ? 1 : -EOPNOTSUPP);
	if (ring) {
		CHECK_EQ(r.nreads, 1);
		CHECK(took < 4000);
	}

	/* the loop's own fd ends it (the poll stays armed across sleeps and fires now), and says so */
	CHECK_EQ(sleep_with_write(t, pfd[0], pfd[1], 20, 0, &took), ring ? 2 : -EOPNOTSUPP);
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

	if (!ring_reader_and_loop_fd(t, &r, sv, pfd))
		return;

	CHECK_EQ(sleep_with_write(t, pfd[0], sv[0], 5, 60 * 1000, &took), 1);
	CHECK_EQ(r.nreads, 1);
	if (t->ctx->u.uring.ring.features & IORING_FEAT_MIN_TIMEOUT)
		CHECK(took >= 50); /* held out for the 60 ms window */
	CHECK(took < 4000);

	CHECK_EQ(sleep_with_write(t, pfd[0], sv[0], 120, 60 * 1000, &took), 1);
	CHECK_EQ(r.nreads, 2);
	CHECK(took < 1000); /* the window had passed: delivered when it came, not at the 5 s timeout */

	reader_and_loop_fd_free(&r, sv, pfd);
}

/* A loop may dispatch and sleep again without a flush between: the sleep submits what was queued since, and the
 * datagram sends it submits, which complete in the same call, do not end it. A send parked for room in the peer's
 * queue, which may not complete for long, does not keep an arrival from ending it either. */
TEST(sleep_submits_datagram_sends_and_wakes_for_arrivals_only)
{
	struct rec r;
	int sv[2], pfd[2];
	double took;
	char b[8];

	if (!sleeps_in_ring(t))
		return;
	socketpair_nb(SOCK_DGRAM, sv);
	int small = 4096; /* a few datagrams in flight fill it (a socketpair's peer queue has no length limit) */
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	CHECK_EQ(pipe(pfd), 0);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, sv[1], OIO_MODE_READ_WRITE);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	oio_ctx_flush(t->ctx);

	CHECK_OK(oio_fd_write(r.iofd, "out", 3, 0));
	CHECK_EQ(sleep_with_write(t, pfd[0], sv[0], 40, 0, &took), 1);
	CHECK(took >= 30); /* its own send's completion did not end it */
	CHECK(took < 4000);
	CHECK_EQ(r.nwdone, 1);
	CHECK_EQ(r.nreads, 1);
	CHECK_EQ(recv(sv[0], b, sizeof(b), MSG_DONTWAIT), 3);

	/* fill the peer's queue (nobody reads sv[0]) until a send waits for room */
	struct oio_uring_ctx *st = &t->ctx->u.uring;
	enum { FILL = 64 };
	for (int i = 1; i <= FILL; i++)
		CHECK_OK(oio_fd_write(r.iofd, "fill", 4, (uint64_t)i));
	for (int turn = 0; turn < 200 && !(st->dgram_sends == 1 && st->nowait_sends == 0); turn++)
		test_loop_run_once(&t->loop, 1);
	CHECK_EQ(st->dgram_sends, 1);
	CHECK_EQ(st->nowait_sends, 0);
	int done = r.nwdone;
	CHECK(done < 1 + FILL);

	CHECK_EQ(sleep_with_write(t, pfd[0], sv[0], 20, 0, &took), 1);
	CHECK(took < 4000); /* the arrival ended it, not the 5 s timeout */
	CHECK_EQ(r.nreads, 2);

	/* the peer reads: every parked send goes out, in order */
	for (int turn = 0; turn < 2000 && r.nwdone < 1 + FILL; turn++) {
		while (recv(sv[0], b, sizeof(b), MSG_DONTWAIT) > 0)
			;
		test_loop_run_once(&t->loop, 1);
	}
	CHECK_EQ(r.nwdone, 1 + FILL);
	CHECK(r.token_order_ok);
	reader_and_loop_fd_free(&r, sv, pfd);
}

/* From the first sleep on the eventfd stays quiet: the loop sleeps in the ring only, and a signal would just wake
 * its poller (and so the ring's poll on it) for completions the next sleep takes anyway. */
TEST(eventfd_stays_quiet_once_the_loop_sleeps_in_the_ring)
{
	struct rec r;
	int sv[2], pfd[2];
	double took;

	if (!ring_reader_and_loop_fd(t, &r, sv, pfd))
		return;
	struct pollfd efd = { .fd = t->ctx->u.uring.watch.fd, .events = POLLIN };

	CHECK_EQ(sleep_with_write(t, pfd[0], sv[0], 5, 0, &took), 1);
	CHECK_EQ(r.nreads, 1);
	CHECK_EQ(write(sv[0], "late", 4), 4);
	CHECK_EQ(poll(&efd, 1, 50), 0);
	CHECK_EQ(r.nreads, 1);
	/* the next sleep takes it at once */
	CHECK_EQ(oio_ctx_sleep(t->ctx, pfd[0], 5000, 0), 1);
	CHECK_EQ(r.nreads, 2);
	reader_and_loop_fd_free(&r, sv, pfd);
}
