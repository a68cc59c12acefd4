/* Datagram sends: several in flight on io_uring, every message once and in queue order, also when sends must wait
 * for the peer (a full AF_UNIX datagram queue makes the kernel park them until it drains). */
#include "test.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

struct slow_reader {
	int fd;
	uint32_t next;      /* the number the next datagram must carry */
	bool in_order;
	unsigned got, per_turn;
};

/* Called once per loop turn: takes a few datagrams from the receiving end, so the sender keeps hitting a full
 * queue and waiting for room. Done when everything arrived. */
static bool read_some(void *arg)
{
	struct slow_reader *s = arg;
	uint32_t v;

	for (unsigned i = 0; i < s->per_turn && recv(s->fd, &v, sizeof(v), MSG_DONTWAIT) == (ssize_t)sizeof(v); i++) {
		if (v != s->next) {
			if (getenv("REORDER_DEBUG"))
				fprintf(stderr, "got %u want %u\n", v, s->next);
			s->in_order = false;
		}
		s->next = v + 1;
		s->got++;
	}
	return false;
}

TEST(dgram_sends_waiting_for_the_peer_keep_queue_order)
{
	enum { N = 3000 };
	struct slow_reader s = { .in_order = true, .per_turn = 7 };
	struct rec r;
	int sv[2], small = 4096, turns = 0;

	socketpair_nb(SOCK_DGRAM, sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	s.fd = sv[1];
	rec_init(&r);
	rec_fd(t, t->ctx, &r, sv[0], OIO_MODE_RECVFROM_SENDTO);
	oio_fd_set_txqueue_max(r.iofd, N);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	/* in several bursts: some queued while earlier sends wait in the kernel */
	for (uint32_t i = 0; i < N; i++) {
		CHECK_OK(oio_fd_sendto(r.iofd, &i, sizeof(i), 0, NULL, 0, i));
		if (i % 500 == 499)
			for (int k = 0; k < 3; k++) {
				test_loop_run_once(&t->loop, 0);
				read_some(&s);
			}
	}
	while ((s.got < N || r.nwdone < N) && turns < 20000) {
		test_loop_run_once(&t->loop, 1);
		read_some(&s);
		turns++;
	}
	CHECK_EQ(s.got, N);
	CHECK(s.in_order);
	CHECK_EQ(r.nwdone, N);
	CHECK_EQ(r.nwerr, 0);
	CHECK(r.token_order_ok);
	oio_fd_free(r.iofd);
	close(sv[1]);
	rec_fini(&r);
}

/* A read callback that answers every datagram (an echo): a burst larger than the send window goes back whole and
 * in order within the same loop turns, without the tx queue filling up. */
static void echo_read(struct oio_fd *iofd, int res, const uint8_t *data, size_t len, const struct oio_rxinfo *info)
{
	struct rec *r = oio_fd_user(iofd);

	rec_cbs.read(iofd, res, data, len, info);
	if (res > 0) {
		int rc = oio_fd_sendto(iofd, data, len, 0, info->from, info->fromlen, (uint64_t)r->nmsg - 1);
		if (rc < 0)
			test_fail(__FILE__, __LINE__, "echo refused: %d", rc);
	}
}

TEST(dgram_echo_burst_keeps_order)
{
	enum { N = 3000, BURST = 200 };
	struct oio_cbs cbs = rec_cbs;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int srv = socket(AF_INET, SOCK_DGRAM, 0), cli = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int big = 4 << 20;
	uint32_t sent = 0, got = 0, v;
	bool in_order = true;
	struct rec r;

	CHECK(srv >= 0 && cli >= 0);
	setsockopt(srv, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(cli, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	CHECK_OK(bind(srv, (struct sockaddr *)&sin, sizeof(sin)));
	CHECK_OK(getsockname(srv, (struct sockaddr *)&sin, &sl));
	cbs.read = echo_read;
	rec_init(&r);
	r.iofd = oio_fd_new(t->ctx, srv, OIO_MODE_RECVFROM_SENDTO, &cbs, &r);
	CHECK(r.iofd);
	oio_fd_set_txqueue_max(r.iofd, BURST + 1);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	for (int turn = 0; got < N && turn < 20000; turn++) {
		/* the next burst once the previous one came back: more than one submission of sends carries */
		if (got == sent && sent < N)
			for (unsigned i = 0; i < BURST; i++, sent++)
				CHECK_EQ(sendto(cli, &sent, sizeof(sent), 0, (struct sockaddr *)&sin, sizeof(sin)),
					 (ssize_t)sizeof(sent));
		test_loop_run_once(&t->loop, 1);
		while (recv(cli, &v, sizeof(v), MSG_DONTWAIT) == (ssize_t)sizeof(v)) {
			if (v != got)
				in_order = false;
			got++;
		}
	}
	CHECK_EQ(got, N);
	CHECK(in_order);
	CHECK(r.token_order_ok);
	CHECK_EQ(r.nwdone, N);
	oio_fd_free(r.iofd);
	close(cli);
	rec_fini(&r);
}
