/* Lifecycle and scale: register / unregister / re-register, 1000 iofds, a ring far smaller than the load. */
#include "test.h"
#include <sys/socket.h>
#include <unistd.h>

TEST(register_unregister_reregister)
{
	struct rec r;
	int sv[2], sv2[2];

	socketpair_nb(SOCK_STREAM, sv);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, sv[0], OIO_MODE_READ_WRITE);
	CHECK(!oio_fd_registered(r.iofd));
	CHECK_OK(oio_fd_register(r.iofd, -1));
	CHECK(oio_fd_registered(r.iofd));
	CHECK_OK(oio_fd_register(r.iofd, -1)); /* again: no-op */
	CHECK_EQ(write(sv[1], "one", 3), 3);
	struct want w = { &r, 3 };
	CHECK_OK(test_loop_run_until(&t->loop, cond_bytes, &w, 2000));
	CHECK_OK(oio_fd_unregister(r.iofd));
	CHECK(!oio_fd_registered(r.iofd));
	CHECK_EQ(write(sv[1], "two", 3), 3);
	test_loop_run_until(&t->loop, NULL, NULL, 50);
	CHECK_EQ(r.len, 3);
	/* writes queued while unregistered go out after register */
	CHECK_OK(oio_fd_write(r.iofd, "out", 3, 0));
	test_loop_run_until(&t->loop, NULL, NULL, 20);
	CHECK_EQ(r.nwdone, 0);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	w.n = 6;
	CHECK_OK(test_loop_run_until(&t->loop, cond_bytes, &w, 2000));
	CHECK(memcmp(r.buf, "onetwo", 6) == 0);
	for (int i = 0; i < 100 && r.nwdone == 0; i++)
		test_loop_run_once(&t->loop, 5);
	CHECK_EQ(r.nwdone, 1);
	char tmp[8];
	CHECK_EQ(read(sv[1], tmp, sizeof(tmp)), 3);
	/* close: the object stays and takes a new fd */
	CHECK_OK(oio_fd_close(r.iofd));
	CHECK(!oio_fd_registered(r.iofd));
	close(sv[1]);
	socketpair_nb(SOCK_STREAM, sv2);
	CHECK_OK(oio_fd_register(r.iofd, sv2[0]));
	CHECK_EQ(oio_fd_get_fd(r.iofd), sv2[0]);
	CHECK_EQ(write(sv2[1], "three", 5), 5);
	w.n = 11;
	test_loop_run_until(&t->loop, NULL, NULL, 100);
	CHECK_OK(test_loop_run_until(&t->loop, cond_bytes, &w, 2000));
	CHECK(memcmp(r.buf, "onetwothree", 11) == 0);
	CHECK_EQ(r.neof + r.nerr, 0);
	oio_fd_free(r.iofd);
	close(sv2[1]);
	rec_fini(&r);
}

struct many {
	int n;
	struct rec *tx, *rx;
	size_t each;
};

static bool many_done(void *arg)
{
	struct many *m = arg;

	for (int i = 0; i < m->n; i++)
		if (m->rx[i].len < m->each || m->tx[i].nwdone < (int)(m->each / 100))
			return false;
	return true;
}

static void pairs(struct t *t, struct oio_ctx *ctx, int n, int msgs)
{
	struct many m = { n, calloc((size_t)n, sizeof(struct rec)), calloc((size_t)n, sizeof(struct rec)), (size_t)msgs * 100 };
	uint8_t msg[100];

	CHECK(m.tx && m.rx);
	set_nofile((unsigned)(2 * n + 64));
	for (int i = 0; i < n; i++) {
		int sv[2];
		socketpair_nb(SOCK_STREAM, sv);
		rec_init(&m.tx[i]);
		rec_init(&m.rx[i]);
		rec_fd(t, ctx, &m.tx[i], sv[0], OIO_MODE_READ_WRITE);
		rec_fd(t, ctx, &m.rx[i], sv[1], OIO_MODE_READ_WRITE);
		oio_fd_set_read_enabled(m.tx[i].iofd, false);
		CHECK_OK(oio_fd_register(m.tx[i].iofd, -1));
		CHECK_OK(oio_fd_register(m.rx[i].iofd, -1));
		for (int k = 0; k < msgs; k++) {
			make_pattern(msg, sizeof(msg), (unsigned)(i * 1000 + k));
			CHECK_OK(oio_fd_write(m.tx[i].iofd, msg, sizeof(msg), (uint64_t)k));
		}
	}
	if (test_loop_run_until(&t->loop, many_done, &m, 15000) < 0) {
		int bad = 0;
		for (int i = 0; i < n; i++)
			if (m.rx[i].len < m.each || m.tx[i].nwdone < msgs) {
				if (bad++ < 5)
					fprintf(stderr, "# pair %d: rx %zu/%zu bytes, tx %d/%d done, txq %u\n", i, m.rx[i].len, m.each,
						m.tx[i].nwdone, msgs, oio_fd_txqueue_len(m.tx[i].iofd));
			}
		const struct oio_stats *st = oio_ctx_stats(ctx);
		test_fail(__FILE__, __LINE__, "%d of %d pairs incomplete (reads %llu writes %llu backlog %llu)", bad, n,
			  (unsigned long long)st->reads, (unsigned long long)st->writes, (unsigned long long)st->uring_backlog);
	}
	for (int i = 0; i < n; i++) {
		CHECK_EQ(m.rx[i].len, m.each);
		for (int k = 0; k < msgs; k++) {
			make_pattern(msg, sizeof(msg), (unsigned)(i * 1000 + k));
			CHECK(memcmp(m.rx[i].buf + (size_t)k * 100, msg, 100) == 0);
		}
		CHECK(m.tx[i].token_order_ok);
		CHECK_EQ(m.tx[i].nwerr, 0);
		oio_fd_free(m.tx[i].iofd);
		oio_fd_free(m.rx[i].iofd);
		rec_fini(&m.tx[i]);
		rec_fini(&m.rx[i]);
	}
	free(m.tx);
	free(m.rx);
}

TEST(thousand_iofds)
{
	pairs(t, t->ctx, 500, 2); /* 1000 iofds (both ends of 500 socketpairs) */
}

TEST(thousand_socketpairs_one_iofd_each_side)
{
	pairs(t, t->ctx, 1000, 1); /* 2000 iofds */
}

TEST(ring_far_smaller_than_load)
{
	struct oio_ctx *ctx = test_ctx_new(t, 8);

	t->loop.ctx = ctx;
	if (t->backend == OIO_BACKEND_IO_URING)
		CHECK(oio_ctx_stats(ctx)->uring_entries <= 8);
	pairs(t, ctx, 200, 20);
	oio_ctx_free(ctx);
	t->loop.ctx = t->ctx;
}
