/* Datagram sockets: io_uring receives with one multishot recvmsg into a buffer ring. The same contract holds on
 * both backends (whole datagrams or -EMSGSIZE, source addresses, control messages, order, nothing lost). */
#include "test.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static bool cond_nmsg(void *arg) { struct want *w = arg; return (size_t)w->r->nmsg >= w->n; }

/* A UDP socket bound to the loopback address of `family`, port chosen by the kernel; its address in *sa. */
static int udp_bound(int family, union oio_sockaddr *sa, socklen_t *len)
{
	int fd = socket(family, SOCK_DGRAM, 0), sz = 4 << 20;

	CHECK(fd >= 0);
	memset(sa, 0, sizeof(*sa));
	if (family == AF_INET) {
		sa->sin.sin_family = AF_INET;
		sa->sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(sa->sin);
	} else {
		sa->sin6.sin6_family = AF_INET6;
		sa->sin6.sin6_addr = in6addr_loopback;
		*len = sizeof(sa->sin6);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	CHECK_OK(bind(fd, &sa->sa, *len));
	CHECK_OK(getsockname(fd, &sa->sa, len));
	return fd;
}

/* n datagrams numbered from first (4-byte payload, padded to len bytes) */
static void send_numbered(int tx, const union oio_sockaddr *to, socklen_t tolen, uint32_t first, unsigned n,
			  size_t len)
{
	uint8_t b[2048] = { 0 };

	for (uint32_t i = first; i < first + n; i++) {
		memcpy(b, &i, sizeof(i));
		CHECK_EQ(sendto(tx, b, len, 0, &to->sa, tolen), (ssize_t)len);
	}
}

/* r received datagrams numbered 0 .. n-1 of len bytes each, in order */
static void check_numbered(const struct rec *r, unsigned n, size_t len)
{
	CHECK_EQ(r->nmsg, n);
	CHECK_EQ(r->len, n * len);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t v;
		memcpy(&v, r->buf + i * len, sizeof(v));
		CHECK_EQ(v, i);
	}
}

/* Whole datagrams from 1 byte to the largest UDP payload, each with one multishot receive armed once. */
TEST(dgram_multishot_whole_datagrams)
{
	static uint8_t big[65507];
	size_t sizes[] = { 1, 1400, 9000, 65507, 1 };
	union oio_sockaddr sa;
	socklen_t sl;
	int rx = udp_bound(AF_INET, &sa, &sl), tx = socket(AF_INET, SOCK_DGRAM, 0);
	struct rec r;
	size_t off = 0;

	CHECK(tx >= 0);
	make_pattern(big, sizeof(big), 3);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, rx, OIO_MODE_RECVFROM_SENDTO);
	CHECK_OK(oio_fd_set_alloc_info(r.iofd, 65507, 0));
	CHECK_OK(oio_fd_register(r.iofd, -1));
	oio_ctx_flush(t->ctx);
	uint64_t sqes = oio_ctx_stats(t->ctx)->uring_sqes;
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		CHECK_EQ(sendto(tx, big, sizes[i], 0, &sa.sa, sl), (ssize_t)sizes[i]);
		struct want w = { &r, i + 1 };
		CHECK_OK(test_loop_run_until(&t->loop, cond_nmsg, &w, 2000));
		CHECK_EQ(r.msglen[i], sizes[i]);
		CHECK(memcmp(r.buf + off, big, sizes[i]) == 0);
		off += sizes[i];
	}
	CHECK_EQ(r.nerr, 0);
	CHECK_EQ(oio_ctx_stats(t->ctx)->truncated, 0);
	if (t->backend == OIO_BACKEND_IO_URING)
		CHECK_EQ(oio_ctx_stats(t->ctx)->uring_sqes, sqes); /* the receive armed at register took them all */
	oio_fd_free(r.iofd);
	close(tx);
	rec_fini(&r);
}

/* A datagram larger than the read size is reported as -EMSGSIZE and counted, never delivered cut; the next one
 * arrives whole. */
TEST(dgram_multishot_truncation_reported)
{
	static uint8_t big[9000];
	union oio_sockaddr sa;
	socklen_t sl;
	int rx = udp_bound(AF_INET, &sa, &sl), tx = socket(AF_INET, SOCK_DGRAM, 0);
	struct rec r;
	/* the read size plus a few bytes: the buffer may hold them (its size is rounded up), the contract not */
	size_t sizes[] = { 1400, 1401, 1460, 9000, 1400, 100 };
	int want_err[] = { 0, 1, 1, 1, 0, 0 };

	CHECK(tx >= 0);
	make_pattern(big, sizeof(big), 4);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, rx, OIO_MODE_RECVFROM_SENDTO);
	CHECK_OK(oio_fd_set_alloc_info(r.iofd, 1400, 0));
	CHECK_OK(oio_fd_register(r.iofd, -1));
	for (unsigned i = 0; i < 6; i++) {
		int nmsg = r.nmsg, nerr = r.nerr;
		uint64_t trunc = oio_ctx_stats(t->ctx)->truncated;
		CHECK_EQ(sendto(tx, big, sizes[i], 0, &sa.sa, sl), (ssize_t)sizes[i]);
		for (int k = 0; k < 200 && r.nmsg == nmsg && r.nerr == nerr; k++)
			test_loop_run_once(&t->loop, 10);
		if (want_err[i]) {
			CHECK_EQ(r.nerr, nerr + 1);
			CHECK_EQ(r.nmsg, nmsg);
			CHECK_EQ(r.last_err, -EMSGSIZE);
			CHECK_EQ(r.last_err_len, 0);
			CHECK_EQ(oio_ctx_stats(t->ctx)->truncated, trunc + 1);
		} else {
			CHECK_EQ(r.nmsg, nmsg + 1);
			CHECK_EQ(r.nerr, nerr);
			CHECK_EQ(r.msglen[nmsg], sizes[i]);
			CHECK(memcmp(r.buf + r.len - sizes[i], big, sizes[i]) == 0);
		}
	}
	oio_fd_free(r.iofd);
	close(tx);
	rec_fini(&r);
}

static void source_addresses(struct t *t, int family, enum oio_mode mode)
{
	union oio_sockaddr sa, from[2];
	socklen_t sl, fl[2];
	int rx = udp_bound(family, &sa, &sl);
	int tx[2] = { udp_bound(family, &from[0], &fl[0]), udp_bound(family, &from[1], &fl[1]) };
	struct rec r;

	rec_init(&r);
	rec_fd(t, t->ctx, &r, rx, mode);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	for (int i = 0; i < 6; i++) {
		CHECK_EQ(sendto(tx[i & 1], "x", 1, 0, &sa.sa, sl), 1);
		struct want w = { &r, (size_t)i + 1 };
		CHECK_OK(test_loop_run_until(&t->loop, cond_nmsg, &w, 2000));
		CHECK(r.had_from);
		CHECK_EQ(r.from.sa.sa_family, family);
		if (family == AF_INET) {
			CHECK_EQ(r.from.sin.sin_port, from[i & 1].sin.sin_port);
			CHECK_EQ(r.from.sin.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
		} else {
			CHECK_EQ(r.from.sin6.sin6_port, from[i & 1].sin6.sin6_port);
			CHECK(memcmp(&r.from.sin6.sin6_addr, &in6addr_loopback, sizeof(in6addr_loopback)) == 0);
		}
		r.had_from = false;
	}
	oio_fd_free(r.iofd);
	close(tx[0]);
	close(tx[1]);
	rec_fini(&r);
}

TEST(dgram_multishot_source_address_ipv4) { source_addresses(t, AF_INET, OIO_MODE_RECVFROM_SENDTO); }
TEST(dgram_multishot_source_address_ipv6) { source_addresses(t, AF_INET6, OIO_MODE_RECVFROM_SENDTO); }
TEST(dgram_multishot_source_address_recvmsg_ipv6) { source_addresses(t, AF_INET6, OIO_MODE_RECVMSG_SENDMSG); }

/* More datagrams than a buffer group holds wait in the socket while reading is off; switched on, they all
 * arrive once and in order, though the ring runs dry (the receive ends with -ENOBUFS and is armed again). */
TEST(dgram_multishot_buffers_exhausted_then_recovered)
{
	enum { N = 1000, LEN = 200 };
	union oio_sockaddr sa;
	socklen_t sl;
	int rx = udp_bound(AF_INET, &sa, &sl), tx = socket(AF_INET, SOCK_DGRAM, 0);
	struct rec r;

	CHECK(tx >= 0);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, rx, OIO_MODE_RECVFROM_SENDTO);
	/* a large read size: its group has few buffers (fewer than one kernel pass receives) */
	CHECK_OK(oio_fd_set_alloc_info(r.iofd, 60000, 0));
	CHECK_OK(oio_fd_register(r.iofd, -1));
	send_numbered(tx, &sa, sl, 0, 1, LEN);
	struct want one = { &r, 1 };
	CHECK_OK(test_loop_run_until(&t->loop, cond_nmsg, &one, 2000));
	oio_fd_set_read_enabled(r.iofd, false);
	test_loop_run_once(&t->loop, 10); /* the cancellation completes */
	send_numbered(tx, &sa, sl, 1, N - 1, LEN);
	for (int i = 0; i < 5; i++)
		test_loop_run_once(&t->loop, 1);
	CHECK_EQ(r.nmsg, 1);
	oio_fd_set_read_enabled(r.iofd, true);
	struct want all = { &r, N };
	CHECK_OK(test_loop_run_until(&t->loop, cond_nmsg, &all, 5000));
	check_numbered(&r, N, LEN);
	CHECK_EQ(r.nerr, 0);
	if (t->backend == OIO_BACKEND_IO_URING)
		CHECK(oio_ctx_stats(t->ctx)->uring_nobufs > 0);
	oio_fd_free(r.iofd);
	close(tx);
	rec_fini(&r);
}

/* Reading switched off from a read callback in the middle of a burst: what the multishot receive completes until
 * its cancellation is kept, whole and in order, ahead of what stays in the socket. */
static int stop_at;
static void stop_read(struct oio_fd *iofd, int res, const uint8_t *data, size_t len, const struct oio_rxinfo *info)
{
	struct rec *r = oio_fd_user(iofd);

	rec_cbs.read(iofd, res, data, len, info);
	if (r->nmsg == stop_at || r->nmsg == stop_at + 3)
		oio_fd_set_read_enabled(iofd, false);
}

TEST(dgram_multishot_read_disabled_in_callback_keeps_order)
{
	enum { N = 300, LEN = 64 };
	struct oio_cbs cbs = rec_cbs;
	union oio_sockaddr sa;
	socklen_t sl;
	int rx = udp_bound(AF_INET, &sa, &sl), tx = socket(AF_INET, SOCK_DGRAM, 0);
	struct rec r;

	CHECK(tx >= 0);
	cbs.read = stop_read;
	stop_at = 5;
	rec_init(&r);
	r.iofd = oio_fd_new(t->ctx, rx, OIO_MODE_RECVMSG_SENDMSG, &cbs, &r);
	CHECK(r.iofd);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	oio_ctx_flush(t->ctx);
	send_numbered(tx, &sa, sl, 0, N, LEN);
	struct want w = { &r, (size_t)stop_at };
	CHECK_OK(test_loop_run_until(&t->loop, cond_nmsg, &w, 2000));
	for (int i = 0; i < 3; i++)
		test_loop_run_once(&t->loop, 1);
	CHECK_EQ(r.nmsg, stop_at);
	oio_fd_set_read_enabled(r.iofd, true); /* parked ones first; the callback stops again 3 later */
	w.n = (size_t)stop_at + 3;
	CHECK_OK(test_loop_run_until(&t->loop, cond_nmsg, &w, 2000));
	for (int i = 0; i < 3; i++)
		test_loop_run_once(&t->loop, 1);
	CHECK_EQ(r.nmsg, stop_at + 3);
	oio_fd_set_read_enabled(r.iofd, true);
	struct want all = { &r, N };
	CHECK_OK(test_loop_run_until(&t->loop, cond_nmsg, &all, 5000));
	check_numbered(&r, N, LEN);
	oio_fd_free(r.iofd);
	close(tx);
	rec_fini(&r);
}

/* Unregistered, closed and freed with the multishot receive armed (and with completions behind the one whose
 * callback frees it): nothing reaches a callback afterwards, the buffers outlive the cancellation (ASan). */
TEST(dgram_multishot_unregister_and_close_while_armed)
{
	enum { LEN = 100 };
	union oio_sockaddr sa;
	socklen_t sl;
	int rx = udp_bound(AF_INET, &sa, &sl), tx = socket(AF_INET, SOCK_DGRAM, 0);
	struct rec r;

	CHECK(tx >= 0);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, rx, OIO_MODE_RECVFROM_SENDTO);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	send_numbered(tx, &sa, sl, 0, 1, LEN);
	struct want w = { &r, 1 };
	CHECK_OK(test_loop_run_until(&t->loop, cond_nmsg, &w, 2000));
	/* unregistered: datagrams wait; registered again, they arrive in order */
	CHECK_OK(oio_fd_unregister(r.iofd));
	send_numbered(tx, &sa, sl, 1, 20, LEN);
	for (int i = 0; i < 5; i++)
		test_loop_run_once(&t->loop, 1);
	CHECK_EQ(r.nmsg, 1);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	send_numbered(tx, &sa, sl, 21, 20, LEN);
	w.n = 41;
	CHECK_OK(test_loop_run_until(&t->loop, cond_nmsg, &w, 2000));
	check_numbered(&r, 41, LEN);
	/* freed from the read callback of a burst: the completions behind it are dropped */
	r.free_in_read = true;
	send_numbered(tx, &sa, sl, 41, 50, LEN);
	w.n = 42;
	CHECK_OK(test_loop_run_until(&t->loop, cond_nmsg, &w, 2000));
	for (int i = 0; i < 5; i++)
		test_loop_run_once(&t->loop, 1);
	CHECK_EQ(r.nmsg, 42);
	CHECK(r.iofd == NULL);
	rec_fini(&r);

	/* closed with the receive armed and datagrams in flight, then the fd number reused: nothing of the old
	 * socket reaches the new one */
	int rx2 = udp_bound(AF_INET, &sa, &sl);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, rx2, OIO_MODE_RECVFROM_SENDTO);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	oio_ctx_flush(t->ctx);
	send_numbered(tx, &sa, sl, 0, 30, LEN);
	CHECK_OK(oio_fd_close(r.iofd));
	union oio_sockaddr sb;
	socklen_t sbl;
	int rx3 = udp_bound(AF_INET, &sb, &sbl);
	CHECK_OK(oio_fd_register(r.iofd, rx3));
	send_numbered(tx, &sb, sbl, 1000, 1, LEN);
	w.n = 1;
	CHECK_OK(test_loop_run_until(&t->loop, cond_nmsg, &w, 2000));
	for (int i = 0; i < 5; i++)
		test_loop_run_once(&t->loop, 1);
	CHECK_EQ(r.nmsg, 1);
	uint32_t v;
	memcpy(&v, r.buf, sizeof(v));
	CHECK_EQ(v, 1000);
	/* freed with the receive armed, and the context right after: the cancellation is waited for */
	send_numbered(tx, &sb, sbl, 0, 10, LEN);
	oio_fd_free(r.iofd);
	close(tx);
	rec_fini(&r);
}

/* recvmsg mode: the control messages come with each datagram (IP_PKTINFO here), sized as the iofd asked. */
static int npktinfo;
static void pktinfo_read(struct oio_fd *iofd, int res, const uint8_t *data, size_t len, const struct oio_rxinfo *info)
{
	if (res > 0) {
		struct msghdr mh = { .msg_control = (void *)info->control, .msg_controllen = info->controllen };
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct in_pktinfo pi;
			if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_PKTINFO)
				continue;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			if (pi.ipi_addr.s_addr == htonl(INADDR_LOOPBACK))
				npktinfo++;
		}
		CHECK(!(info->flags & MSG_CTRUNC));
	}
	rec_cbs.read(iofd, res, data, len, info);
}

TEST(dgram_multishot_recvmsg_cmsg)
{
	enum { N = 20, LEN = 300 };
	union oio_sockaddr sa;
	socklen_t sl;
	int rx = udp_bound(AF_INET, &sa, &sl), tx = socket(AF_INET, SOCK_DGRAM, 0), on = 1;
	struct oio_cbs cbs = rec_cbs;
	struct rec r;

	CHECK(tx >= 0);
	CHECK_OK(setsockopt(rx, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)));
	cbs.read = pktinfo_read;
	npktinfo = 0;
	rec_init(&r);
	r.iofd = oio_fd_new(t->ctx, rx, OIO_MODE_RECVMSG_SENDMSG, &cbs, &r);
	CHECK(r.iofd);
	/* not a multiple of 8: the control bytes of the next buffer start aligned all the same */
	CHECK_OK(oio_fd_set_cmsg_size(r.iofd, CMSG_SPACE(sizeof(struct in_pktinfo)) + 3));
	CHECK_OK(oio_fd_register(r.iofd, -1));
	send_numbered(tx, &sa, sl, 0, N, LEN);
	struct want w = { &r, N };
	CHECK_OK(test_loop_run_until(&t->loop, cond_nmsg, &w, 2000));
	check_numbered(&r, N, LEN);
	CHECK_EQ(npktinfo, N);
	CHECK(r.had_from);
	oio_fd_free(r.iofd);
	close(tx);
	rec_fini(&r);
}

/* Without multishot receives (OSMO_IO_URING_MULTISHOT=0, or kernels before 6.0) a datagram costs a receive SQE;
 * with it, none. */
static uint64_t sqes_for_datagrams(struct t *t, struct oio_ctx *ctx, unsigned n)
{
	union oio_sockaddr sa;
	socklen_t sl;
	int rx = udp_bound(AF_INET, &sa, &sl), tx = socket(AF_INET, SOCK_DGRAM, 0);
	struct rec r;

	CHECK(tx >= 0);
	t->loop.ctx = ctx;
	rec_init(&r);
	rec_fd(t, ctx, &r, rx, OIO_MODE_RECVFROM_SENDTO);
	CHECK_OK(oio_fd_set_sqes(r.iofd, OIO_OP_READ, 8));
	CHECK_OK(oio_fd_register(r.iofd, -1));
	oio_ctx_flush(ctx);
	uint64_t before = oio_ctx_stats(ctx)->uring_sqes;
	for (unsigned i = 0; i < n; i++) {
		send_numbered(tx, &sa, sl, i, 1, 50);
		struct want w = { &r, i + 1 };
		CHECK_OK(test_loop_run_until(&t->loop, cond_nmsg, &w, 2000));
	}
	uint64_t used = oio_ctx_stats(ctx)->uring_sqes - before;
	check_numbered(&r, n, 50);
	oio_fd_free(r.iofd);
	close(tx);
	rec_fini(&r);
	t->loop.ctx = t->ctx;
	return used;
}

TEST(dgram_multishot_needs_no_sqe_per_datagram)
{
	struct oio_ctx_opts single = { .uring_no_multishot = true };
	struct oio_ctx *ctx = test_ctx_new_opts(t, &single);

	if (t->backend != OIO_BACKEND_IO_URING) {
		oio_ctx_free(ctx);
		return; /* readiness, not receives: nothing to count on poll */
	}
	CHECK_EQ(sqes_for_datagrams(t, t->ctx, 20), 0);
	CHECK(sqes_for_datagrams(t, ctx, 20) >= 20);
	oio_ctx_free(ctx);
}

/* A burst that waited in the socket: a loop turn takes a share of it (the receives armed before took at most their
 * number), asks for the next turn at once (no sleep while the rest waits in the ring), and all of it arrives in
 * order. */
TEST(dgram_multishot_burst_spread_over_loop_turns)
{
	enum { N = 600, LEN = 40 };
	union oio_sockaddr sa;
	socklen_t sl;
	int rx = udp_bound(AF_INET, &sa, &sl), tx = socket(AF_INET, SOCK_DGRAM, 0), turns = 0;
	struct rec r;

	CHECK(tx >= 0);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, rx, OIO_MODE_RECVFROM_SENDTO);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	oio_ctx_flush(t->ctx);
	send_numbered(tx, &sa, sl, 0, N, LEN);
	while (r.nmsg < N && turns < 1000) {
		unsigned requests = t->loop.flush_requests;
		int before = r.nmsg;
		test_loop_run_once(&t->loop, 1000);
		turns++;
		if (t->backend == OIO_BACKEND_IO_URING && r.nmsg > before && r.nmsg < N) {
			CHECK(r.nmsg - before < N);                   /* a share per turn */
			CHECK(t->loop.flush_requests != requests);    /* and the next turn does not sleep */
		}
	}
	check_numbered(&r, N, LEN);
	oio_fd_free(r.iofd);
	close(tx);
	rec_fini(&r);
}
