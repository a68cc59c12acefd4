/* io_uring: stream sockets receive with one multishot receive into the context's buffer ring. */
#include "test.h"
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

/* Sends n small chunks one loop iteration apart; returns the SQEs the context handed to the kernel meanwhile. */
static uint64_t sqes_for_chunks(struct t *t, struct oio_ctx *ctx, unsigned alloc_size, unsigned n)
{
	struct rec r;
	int sv[2];
	uint64_t before;

	t->loop.ctx = ctx; /* the loop flushes this context before it sleeps */
	socketpair_nb(SOCK_STREAM, sv);
	rec_init(&r);
	rec_fd(t, ctx, &r, sv[1], OIO_MODE_READ_WRITE);
	CHECK_OK(oio_fd_set_alloc_info(r.iofd, alloc_size, 0));
	CHECK_OK(oio_fd_register(r.iofd, -1));
	oio_ctx_flush(ctx);
	before = oio_ctx_stats(ctx)->uring_sqes;
	for (unsigned i = 0; i < n; i++) {
		CHECK_EQ(write(sv[0], "0123456789", 10), 10);
		struct want w = { &r, 10 * (i + 1) };
		CHECK_OK(test_loop_run_until(&t->loop, cond_bytes, &w, 2000));
	}
	uint64_t used = oio_ctx_stats(ctx)->uring_sqes - before;
	CHECK_EQ(r.len, 10 * n);
	oio_fd_free(r.iofd);
	close(sv[0]);
	rec_fini(&r);
	t->loop.ctx = t->ctx;
	return used;
}

TEST(multishot_receive_needs_no_sqe_per_read)
{
	struct oio_ctx_opts single = { .uring_no_multishot = true };
	struct oio_ctx *ctx = test_ctx_new_opts(t, &single);

	if (t->backend != OIO_BACKEND_IO_URING) {
		oio_ctx_free(ctx);
		return; /* readiness, not receives: nothing to count on poll */
	}
	/* armed once for every chunk; one receive per chunk without it, or with a read size of its own */
	CHECK(sqes_for_chunks(t, t->ctx, OIO_DEFAULT_ALLOC_SIZE, 20) <= 2);
	CHECK(sqes_for_chunks(t, ctx, OIO_DEFAULT_ALLOC_SIZE, 20) >= 20);
	CHECK(sqes_for_chunks(t, t->ctx, 4096, 20) >= 20);
	oio_ctx_free(ctx);
}

struct bulk { int fd; size_t n; };

static void *write_bulk(void *arg)
{
	struct bulk *b = arg;
	uint8_t *p = malloc(b->n);
	size_t off = 0;

	make_pattern(p, b->n, 7);
	while (off < b->n) {
		ssize_t k = write(b->fd, p + off, b->n - off);
		if (k > 0)
			off += (size_t)k;
		else if (k < 0 && errno != EAGAIN)
			abort();
		else
			usleep(100);
	}
	free(p);
	return NULL;
}

/* More bytes than the whole buffer ring holds, as fast as the sender can: the receive re-arms whenever the
 * ring runs dry (-ENOBUFS) and every byte arrives in order. Also the reads of a disabled iofd are kept. */
TEST(multishot_bulk_and_read_disable_lose_nothing)
{
	struct rec r;
	int sv[2];
	pthread_t th;
	struct bulk b = { 0, 4u << 20 };

	socketpair_nb(SOCK_STREAM, sv);
	b.fd = sv[0];
	rec_init(&r);
	rec_fd(t, t->ctx, &r, sv[1], OIO_MODE_READ_WRITE);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	CHECK_EQ(pthread_create(&th, NULL, write_bulk, &b), 0);
	/* switch reading off and on while the data streams in */
	for (int i = 0; i < 20; i++) {
		struct want w = { &r, b.n * (size_t)(i + 1) / 40 };
		CHECK_OK(test_loop_run_until(&t->loop, cond_bytes, &w, 5000));
		oio_fd_set_read_enabled(r.iofd, false);
		test_loop_run_once(&t->loop, 1);
		oio_fd_set_read_enabled(r.iofd, true);
	}
	struct want all = { &r, b.n };
	CHECK_OK(test_loop_run_until(&t->loop, cond_bytes, &all, 10000));
	pthread_join(th, NULL);
	CHECK_EQ(r.len, b.n);
	uint8_t *p = malloc(b.n);
	make_pattern(p, b.n, 7);
	CHECK(memcmp(r.buf, p, b.n) == 0);
	free(p);
	oio_fd_free(r.iofd);
	close(sv[0]);
	rec_fini(&r);
}
