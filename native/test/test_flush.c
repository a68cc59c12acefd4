/* oio_ctx_flush_wait(): on io_uring one system call submits, waits for a batch of completions (bounded) and
 * handles them; on poll it is a plain flush. */
#include "test.h"
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

struct late_write { int fd; unsigned delay_ms; };

static void *write_later(void *arg)
{
	struct late_write *w = arg;
	usleep(w->delay_ms * 1000);
	if (write(w->fd, "ping", 4) != 4)
		abort();
	return NULL;
}

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
	t0 = now_ms();
	oio_ctx_flush_wait(t->ctx, 1, 20000);
	took = now_ms() - t0;
	CHECK_EQ(r.nreads, 0);
	if (t->backend == OIO_BACKEND_IO_URING)
		CHECK(took >= 15);
	else
		CHECK(took < 15);

	/* data that arrives while it waits ends the wait early and is delivered by the same call */
	if (t->backend == OIO_BACKEND_IO_URING) {
		struct late_write w = { sv[0], 10 };
		pthread_t th;
		CHECK_EQ(pthread_create(&th, NULL, write_later, &w), 0);
		t0 = now_ms();
		oio_ctx_flush_wait(t->ctx, 1, 5 * 1000 * 1000);
		took = now_ms() - t0;
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
