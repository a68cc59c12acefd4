/* Transmit: backpressure and partial writes, queue limit, txqueue_clear, close with operations in flight. */
#include "test.h"
#include <sys/socket.h>
#include <unistd.h>

#define NMSG 300

static size_t msg_size(int i) { return (size_t)(100 + (i * 7919) % 20000); }

struct bp {
	struct t *t;
	struct rec *a, *b;
	int peer;
	uint8_t *data;
	size_t *offs;
	int queued, enospc;
};

/* Queue as much as the queue takes; read a little at the peer each round (a slow reader). */
static bool bp_cond(void *arg)
{
	struct bp *s = arg;
	uint8_t tmp[8192];

	while (s->queued < NMSG) {
		int rc = oio_fd_write(s->a->iofd, s->data + s->offs[s->queued], msg_size(s->queued), (uint64_t)s->queued);
		if (rc == -ENOSPC) {
			s->enospc++;
			break;
		}
		if (rc < 0)
			test_fail(__FILE__, __LINE__, "oio_fd_write: %d", rc);
		s->queued++;
	}
	ssize_t n = read(s->peer, tmp, sizeof(tmp));
	if (n > 0) {
		struct want w = { s->b, 0 };
		(void)w;
		if (s->b->len + (size_t)n > s->b->cap) {
			s->b->cap = (s->b->len + (size_t)n) * 2;
			s->b->buf = realloc(s->b->buf, s->b->cap);
		}
		memcpy(s->b->buf + s->b->len, tmp, (size_t)n);
		s->b->len += (size_t)n;
	}
	return s->a->nwdone == NMSG && s->b->len == s->offs[NMSG];
}

TEST(backpressure_partial_writes_fifo)
{
	struct rec a, b;
	int sv[2], sz = 4096;
	size_t offs[NMSG + 1];
	uint8_t *data;

	offs[0] = 0;
	for (int i = 0; i < NMSG; i++)
		offs[i + 1] = offs[i] + msg_size(i);
	data = malloc(offs[NMSG]);
	CHECK(data);
	make_pattern(data, offs[NMSG], 7);
	socketpair_nb(SOCK_STREAM, sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	rec_init(&a);
	rec_init(&b);
	rec_fd(t, t->ctx, &a, sv[0], OIO_MODE_READ_WRITE);
	oio_fd_set_read_enabled(a.iofd, false);
	CHECK_OK(oio_fd_set_io_buffers(a.iofd, OIO_OP_WRITE, 8));
	oio_fd_set_txqueue_max(a.iofd, 16);
	CHECK_OK(oio_fd_register(a.iofd, -1));
	struct bp s = { t, &a, &b, sv[1], data, offs, 0, 0 };
	CHECK_OK(test_loop_run_until(&t->loop, bp_cond, &s, 20000));
	CHECK(s.enospc > 0);
	CHECK(a.token_order_ok);
	CHECK_EQ(a.nwdone, NMSG);
	CHECK_EQ(a.nwerr, 0);
	CHECK(a.nwpartial > 0);
	CHECK_EQ(a.partial_then_done, a.nwpartial > 0 ? a.partial_then_done : 0);
	CHECK_EQ(a.wbytes, offs[NMSG]);
	CHECK_EQ(b.len, offs[NMSG]);
	CHECK(memcmp(b.buf, data, offs[NMSG]) == 0);
	CHECK_EQ(oio_fd_txqueue_len(a.iofd), 0);
	CHECK_EQ(oio_fd_txqueue_bytes(a.iofd), 0);
	oio_fd_free(a.iofd);
	close(sv[1]);
	free(data);
	rec_fini(&a);
	rec_fini(&b);
}

TEST(txqueue_clear_with_writes_queued)
{
	static uint8_t big[20000];
	struct rec a;
	int sv[2], sz = 4096;

	socketpair_nb(SOCK_STREAM, sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	rec_init(&a);
	rec_fd(t, t->ctx, &a, sv[0], OIO_MODE_READ_WRITE);
	oio_fd_set_read_enabled(a.iofd, false);
	CHECK_OK(oio_fd_register(a.iofd, -1));
	make_pattern(big, sizeof(big), 8);
	for (int i = 0; i < 10; i++)
		CHECK_OK(oio_fd_write(a.iofd, big, sizeof(big), (uint64_t)i));
	CHECK_OK(oio_fd_write(a.iofd, "small", 5, 10)); /* an inline entry too */
	test_loop_run_until(&t->loop, NULL, NULL, 30); /* partly written; io_uring: one write in flight */
	int done = a.nwdone, partial = a.nwpartial;
	CHECK(oio_fd_txqueue_len(a.iofd) > 0);
	/* the queue counts what is not written yet, partial writes included */
	CHECK_EQ(oio_fd_txqueue_bytes(a.iofd), 10 * sizeof(big) + 5 - (size_t)a.wbytes);
	oio_fd_txqueue_clear(a.iofd);
	CHECK_EQ(oio_fd_txqueue_len(a.iofd), 0);
	CHECK_EQ(oio_fd_txqueue_bytes(a.iofd), 0);
	/* let the peer drain so an in-flight write completes */
	struct rec sink;
	rec_init(&sink);
	for (int i = 0; i < 20; i++) {
		drain_fd(sv[1], &sink);
		test_loop_run_once(&t->loop, 5);
	}
	CHECK_EQ(a.nwdone, done);
	CHECK_EQ(a.nwpartial, partial);
	CHECK_EQ(a.nwerr, 0);
	/* the iofd still works */
	CHECK_OK(oio_fd_write(a.iofd, "after", 5, 100));
	for (int i = 0; i < 50 && a.nwdone == done; i++) {
		drain_fd(sv[1], &sink);
		test_loop_run_once(&t->loop, 5);
	}
	CHECK_EQ(a.nwdone, done + 1);
	oio_fd_free(a.iofd);
	close(sv[1]);
	rec_fini(&a);
	rec_fini(&sink);
}

TEST(txqueue_limit_enospc)
{
	struct rec a;
	int sv[2];

	socketpair_nb(SOCK_STREAM, sv);
	rec_init(&a);
	rec_fd(t, t->ctx, &a, sv[0], OIO_MODE_READ_WRITE);
	oio_fd_set_txqueue_max(a.iofd, 3);
	/* not registered: messages wait in the queue */
	CHECK_OK(oio_fd_write(a.iofd, "a", 1, 0));
	CHECK_OK(oio_fd_write(a.iofd, "b", 1, 1));
	CHECK_OK(oio_fd_write(a.iofd, "c", 1, 2));
	CHECK_EQ(oio_fd_write(a.iofd, "d", 1, 3), -ENOSPC);
	CHECK_EQ(oio_fd_write(a.iofd, "", 0, 3), -EINVAL);
	CHECK_EQ(oio_fd_txqueue_len(a.iofd), 3);
	CHECK_OK(oio_fd_register(a.iofd, -1));
	struct rec sink;
	rec_init(&sink);
	for (int i = 0; i < 50 && a.nwdone < 3; i++) {
		test_loop_run_once(&t->loop, 5);
		drain_fd(sv[1], &sink);
	}
	drain_fd(sv[1], &sink);
	CHECK_EQ(a.nwdone, 3);
	CHECK(a.token_order_ok);
	CHECK_EQ(sink.len, 3);
	CHECK(memcmp(sink.buf, "abc", 3) == 0);
	oio_fd_free(a.iofd);
	close(sv[1]);
	rec_fini(&a);
	rec_fini(&sink);
}

TEST(close_with_reads_and_writes_in_flight)
{
	static uint8_t big[65536];
	struct oio_ctx *ctx = test_ctx_new(t, 0);
	struct rec a[4];
	int sv[4][2], sz = 4096;

	t->loop.ctx = ctx;
	make_pattern(big, sizeof(big), 9);
	for (int k = 0; k < 4; k++) {
		socketpair_nb(SOCK_STREAM, sv[k]);
		setsockopt(sv[k][0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		rec_init(&a[k]);
		rec_fd(t, ctx, &a[k], sv[k][0], OIO_MODE_READ_WRITE);
		if (t->backend == OIO_BACKEND_IO_URING)
			CHECK_OK(oio_fd_set_sqes(a[k].iofd, OIO_OP_READ, 8));
		CHECK_OK(oio_fd_set_io_buffers(a[k].iofd, OIO_OP_WRITE, 4));
		CHECK_OK(oio_fd_register(a[k].iofd, -1));
		for (int i = 0; i < 6; i++)
			CHECK_OK(oio_fd_write(a[k].iofd, big, sizeof(big), (uint64_t)i));
	}
	test_loop_run_until(&t->loop, NULL, NULL, 30); /* reads armed, writes blocked in the kernel */
	/* k=0: free, then ctx free at once; k=1: close then free; k=2: unregister then free; k=3 stays until ctx end */
	oio_fd_free(a[0].iofd);
	oio_fd_close(a[1].iofd);
	oio_fd_free(a[1].iofd);
	oio_fd_unregister(a[2].iofd);
	oio_fd_free(a[2].iofd);
	oio_fd_free(a[3].iofd);
	/* the peers keep talking: nothing may land in freed buffers */
	for (int k = 0; k < 4; k++)
		if (write(sv[k][1], "late data", 9) < 0) {}
	oio_ctx_free(ctx);
	t->loop.ctx = t->ctx;
	for (int k = 0; k < 4; k++) {
		CHECK_EQ(a[k].nreads, 0);
		CHECK_EQ(a[k].nwerr, 0);
		close(sv[k][1]);
		rec_fini(&a[k]);
	}
}
