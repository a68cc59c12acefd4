/* Sockets: connect notification, datagrams with and without addresses, accept mode, peer reset. */
#include "test.h"
#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

static bool cond_connected(void *arg) { return ((struct rec *)arg)->nconnected > 0; }
static bool cond_nmsg(void *arg) { struct want *w = arg; return (size_t)w->r->nmsg >= w->n; }
static bool cond_wdone1(void *arg) { return ((struct rec *)arg)->nwdone > 0; }

TEST(stream_notify_connected_before_data)
{
	struct rec a, b;
	int sv[2];

	socketpair_nb(SOCK_STREAM, sv);
	rec_init(&a);
	rec_init(&b);
	rec_fd(t, t->ctx, &a, sv[0], OIO_MODE_READ_WRITE);
	rec_fd(t, t->ctx, &b, sv[1], OIO_MODE_READ_WRITE);
	oio_fd_notify_connected(a.iofd);
	CHECK_OK(oio_fd_register(a.iofd, -1));
	CHECK_OK(oio_fd_register(b.iofd, -1));
	CHECK_OK(test_loop_run_until(&t->loop, cond_connected, &a, 2000));
	CHECK_EQ(a.nconnected, 1);
	CHECK_EQ(a.nwdone, 0);
	CHECK_OK(oio_fd_write(a.iofd, "hello", 5, 7));
	struct want w = { &b, 5 };
	CHECK_OK(test_loop_run_until(&t->loop, cond_bytes, &w, 2000));
	CHECK(memcmp(b.buf, "hello", 5) == 0);
	CHECK_OK(test_loop_run_until(&t->loop, cond_wdone1, &a, 2000));
	CHECK_EQ(a.nwdone, 1);
	CHECK_EQ(a.nconnected, 1); /* one-off */
	oio_fd_free(a.iofd);
	oio_fd_free(b.iofd);
	rec_fini(&a);
	rec_fini(&b);
}

TEST(dgram_pair_sendto_null_dest)
{
	struct rec a, b;
	int sv[2];

	socketpair_nb(SOCK_DGRAM, sv);
	rec_init(&a);
	rec_init(&b);
	rec_fd(t, t->ctx, &a, sv[0], OIO_MODE_RECVFROM_SENDTO);
	rec_fd(t, t->ctx, &b, sv[1], OIO_MODE_RECVFROM_SENDTO);
	CHECK_OK(oio_fd_register(a.iofd, -1));
	CHECK_OK(oio_fd_register(b.iofd, -1));
	CHECK_EQ(oio_fd_write(a.iofd, "x", 1, 0), -EINVAL); /* wrong mode */
	CHECK_OK(oio_fd_sendto(a.iofd, "one", 3, 0, NULL, 0, 0));
	CHECK_OK(oio_fd_sendto(a.iofd, "second", 6, 0, NULL, 0, 1));
	struct want w = { &b, 2 };
	CHECK_OK(test_loop_run_until(&t->loop, cond_nmsg, &w, 2000));
	CHECK_EQ(b.msglen[0], 3);
	CHECK_EQ(b.msglen[1], 6);
	CHECK(memcmp(b.buf, "onesecond", 9) == 0);
	CHECK(a.token_order_ok);
	oio_fd_free(a.iofd);
	oio_fd_free(b.iofd);
	rec_fini(&a);
	rec_fini(&b);
}

TEST(dgram_unconnected_sendto_address)
{
	struct rec a, b;
	union oio_sockaddr sa, sb;
	char pa[64], pb[64];
	int la, lb, fa, fb;

	/* abstract-namespace addresses: nothing to clean up in the file system */
	snprintf(pa, sizeof(pa), "@oio-test-a-%d", (int)getpid());
	snprintf(pb, sizeof(pb), "@oio-test-b-%d", (int)getpid());
	la = oio_sockaddr_from_path(&sa, pa);
	lb = oio_sockaddr_from_path(&sb, pb);
	CHECK(la > 0 && lb > 0);
	sa.sun.sun_path[0] = 0;
	sb.sun.sun_path[0] = 0;
	la--; /* abstract names are not NUL-terminated */
	lb--;
	const char *call = NULL;
	fa = oio_sock_init(AF_UNIX, SOCK_DGRAM, 0, &sa, la, NULL, 0, 0, 0, &call);
	CHECK_OK(fa);
	fb = oio_sock_init(AF_UNIX, SOCK_DGRAM, 0, &sb, lb, NULL, 0, 0, 0, &call);
	CHECK_OK(fb);
	rec_init(&a);
	rec_init(&b);
	rec_fd(t, t->ctx, &a, fa, OIO_MODE_RECVFROM_SENDTO);
	rec_fd(t, t->ctx, &b, fb, OIO_MODE_RECVFROM_SENDTO);
	CHECK_OK(oio_fd_register(a.iofd, -1));
	CHECK_OK(oio_fd_register(b.iofd, -1));
	CHECK_OK(oio_fd_sendto(a.iofd, "ping", 4, 0, &sb, (socklen_t)lb, 1));
	struct want w = { &b, 1 };
	CHECK_OK(test_loop_run_until(&t->loop, cond_nmsg, &w, 2000));
	CHECK(b.had_from);
	CHECK(memcmp(b.from.sun.sun_path, sa.sun.sun_path, (size_t)la - offsetof(struct sockaddr_un, sun_path)) == 0);
	/* reply to the address we got */
	CHECK_OK(oio_fd_sendto(b.iofd, "pong", 4, 0, &b.from, (socklen_t)lb, 2));
	struct want w2 = { &a, 1 };
	CHECK_OK(test_loop_run_until(&t->loop, cond_nmsg, &w2, 2000));
	CHECK(memcmp(a.buf, "pong", 4) == 0);
	CHECK_EQ(a.nwerr + b.nwerr, 0);
	oio_fd_free(a.iofd);
	oio_fd_free(b.iofd);
	rec_fini(&a);
	rec_fini(&b);
}

static bool cond_accepted3(void *arg) { return ((struct rec *)arg)->naccepted >= 3; }

TEST(accept_mode_tcp_listener)
{
	union oio_sockaddr local, bound;
	socklen_t blen = sizeof(bound);
	const char *call = NULL;
	struct rec r;
	int lfd, cl[3];

	CHECK(oio_sockaddr_from_ip(&local, "127.0.0.1", 0) > 0);
	lfd = oio_sock_init(AF_INET, SOCK_STREAM, IPPROTO_TCP, &local, sizeof(local.sin), NULL, 0,
			    OIO_SOCK_LISTEN | OIO_SOCK_REUSEADDR, 16, &call);
	CHECK_OK(lfd);
	CHECK_OK(getsockname(lfd, &bound.sa, &blen));
	rec_init(&r);
	rec_fd(t, t->ctx, &r, lfd, OIO_MODE_ACCEPT);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	for (int i = 0; i < 3; i++) {
		cl[i] = oio_sock_init(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, &bound, sizeof(bound.sin), 0, 0, &call);
		CHECK_OK(cl[i]);
	}
	CHECK_OK(test_loop_run_until(&t->loop, cond_accepted3, &r, 3000));
	CHECK_EQ(r.naccepted, 3);
	CHECK_EQ(r.nerr, 0);
	for (int i = 0; i < 3; i++) {
		union oio_sockaddr peer;
		socklen_t plen = sizeof(peer);
		CHECK(r.accepted[i] > 2);
		CHECK_OK(getpeername(r.accepted[i], &peer.sa, &plen));
		CHECK_EQ(peer.sin.sin_family, AF_INET);
		close(r.accepted[i]);
		close(cl[i]);
	}
	oio_fd_free(r.iofd);
	rec_fini(&r);
}

static bool cond_werr(void *arg) { return ((struct rec *)arg)->nwerr > 0; }

TEST(peer_reset_mid_write_no_sigpipe)
{
	struct rec a;
	int sv[2], sz = 4096;
	static uint8_t big[32768];

	signal(SIGPIPE, SIG_DFL); /* a SIGPIPE would kill this test */
	socketpair_nb(SOCK_STREAM, sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	rec_init(&a);
	rec_fd(t, t->ctx, &a, sv[0], OIO_MODE_READ_WRITE);
	oio_fd_set_read_enabled(a.iofd, false);
	CHECK_OK(oio_fd_register(a.iofd, -1));
	make_pattern(big, sizeof(big), 3);
	for (int i = 0; i < 8; i++)
		CHECK_OK(oio_fd_write(a.iofd, big, sizeof(big), (uint64_t)i));
	test_loop_run_until(&t->loop, NULL, NULL, 50); /* the socket is full now, writes pending */
	CHECK(oio_fd_txqueue_len(a.iofd) > 0);
	close(sv[1]);
	CHECK_OK(test_loop_run_until(&t->loop, cond_werr, &a, 3000));
	CHECK(a.last_werr == -EPIPE || a.last_werr == -ECONNRESET);
	CHECK(a.token_order_ok);
	oio_fd_free(a.iofd);
	rec_fini(&a);
}
