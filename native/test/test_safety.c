/* Callbacks that close, unregister, re-register or resize while a read is delivered; the core's own fds; one
 * iofd per fd; connect errors; datagram sizes. Each runs under ASan/UBSan on both backends. */
#include "test.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* 3-byte IPA-style frames: 2-byte big-endian length + 1 byte, then the payload */
static int ipa_seg(struct oio_fd *iofd, const uint8_t *d, size_t len)
{
	(void)iofd;
	if (len < 3)
		return -EAGAIN;
	return 3 + ((d[0] << 8) | d[1]);
}

/* A stream of n frames, each with a 2-byte sequence number as payload. */
static size_t frames(uint8_t *out, int n)
{
	size_t o = 0;
	for (int i = 0; i < n; i++) {
		out[o++] = 0;
		out[o++] = 2;
		out[o++] = 0xee;
		out[o++] = (uint8_t)(i >> 8);
		out[o++] = (uint8_t)i;
	}
	return o;
}

struct mut {
	struct rec r;
	int action;       /* what the callback does, see below */
	int after;        /* ... after this many messages */
	int seen;
	int next_seq;     /* frames must arrive in order */
	bool order_ok;
	bool acted;
};

enum { ACT_CLOSE_IN_SEG = 1, ACT_REREGISTER, ACT_REREGISTER_BIGGER, ACT_UNREGISTER, ACT_FREE };

static int mut_seg(struct oio_fd *iofd, const uint8_t *d, size_t len)
{
	struct mut *m = oio_fd_user(iofd);
	int r = ipa_seg(iofd, d, len);

	/* close from inside segmentation once a complete frame is seen: the run must stop touching pending */
	if (m->action == ACT_CLOSE_IN_SEG && r > 0 && (size_t)r <= len && m->seen >= m->after && !m->acted) {
		m->acted = true;
		oio_fd_close(iofd);
	}
	return r;
}

static void mut_read(struct oio_fd *iofd, int res, const uint8_t *data, size_t len, const struct oio_rxinfo *info)
{
	struct mut *m = oio_fd_user(iofd);

	(void)info;
	if (res <= 0) {
		m->r.nerr += res < 0;
		m->r.neof += res == 0;
		return;
	}
	if (len == 5) {
		int seq = (data[3] << 8) | data[4];
		if (seq != m->next_seq || data[0] != 0 || data[1] != 2 || data[2] != 0xee)
			m->order_ok = false;
		m->next_seq = seq + 1;
	} else {
		m->order_ok = false;
	}
	m->seen++;
	if (m->seen % (m->after ? m->after : 1) != 0)
		return;
	switch (m->action) {
	case ACT_REREGISTER: /* upstream's flow-control idiom, inside the delivery */
		oio_fd_unregister(iofd);
		CHECK_OK(oio_fd_register(iofd, -1));
		break;
	case ACT_REREGISTER_BIGGER:
		oio_fd_unregister(iofd);
		oio_fd_set_alloc_info(iofd, 4096 + (unsigned)(m->seen % 7) * 512, 0);
		CHECK_OK(oio_fd_register(iofd, -1));
		break;
	case ACT_UNREGISTER:
		if (!m->acted) {
			m->acted = true;
			oio_fd_unregister(iofd);
		}
		break;
	case ACT_FREE:
		if (!m->acted) {
			m->acted = true;
			oio_fd_free(iofd);
		}
		break;
	}
}

static const struct oio_cbs mut_cbs = { .read = mut_read, .segment = mut_seg };

static struct oio_fd *mut_fd(struct t *t, struct mut *m, int fd, int action, int after)
{
	memset(m, 0, sizeof(*m));
	rec_init(&m->r);
	m->action = action;
	m->after = after;
	m->order_ok = true;
	m->r.iofd = oio_fd_new(t->ctx, fd, OIO_MODE_READ_WRITE, &mut_cbs, m);
	CHECK(m->r.iofd);
	oio_fd_set_segmentation(m->r.iofd, NULL, true);
	return m->r.iofd;
}

static bool cond_seen(void *arg)
{
	struct mut *m = arg;
	return m->seen >= m->after;
}

struct want_seen { struct mut *m; int n; };
static bool cond_seen_n(void *arg)
{
	struct want_seen *w = arg;
	return w->m->seen >= w->n;
}

/* The first part of a frame arrives in one read, its rest with thousands of frames behind it in the next: the
 * segmentation callback closes the iofd while the core segments its pending buffer (issue: negative memmove). */
TEST(close_inside_segmentation_of_pending)
{
	static uint8_t s[5 * 9000];
	size_t n = frames(s, 9000);
	struct mut m;
	int sv[2];

	socketpair_nb(SOCK_STREAM, sv);
	mut_fd(t, &m, sv[0], ACT_CLOSE_IN_SEG, 1);
	CHECK_OK(oio_fd_register(m.r.iofd, -1));
	CHECK_EQ(write(sv[1], s, 7), 7); /* one frame and 2 bytes of the next */
	CHECK_OK(test_loop_run_until(&t->loop, cond_seen, &m, 2000));
	CHECK_EQ(write(sv[1], s + 7, n - 7), n - 7);
	test_loop_run_until(&t->loop, NULL, NULL, 100);
	CHECK(m.acted);
	CHECK_EQ(oio_fd_get_fd(m.r.iofd), -1);
	CHECK(m.seen <= 2); /* nothing after close */
	oio_fd_free(m.r.iofd);
	close(sv[1]);
	rec_fini(&m.r);
}

/* unregister + register (and with a bigger read size) inside every 7th read callback while a large batch of
 * small frames is cut out of each read: every frame arrives once, in order, uncorrupted. */
static void reregister_under_load(struct t *t, int action)
{
	enum { N = 20000 };
	static uint8_t s[5 * N];
	size_t n = frames(s, N), off = 0;
	struct mut m;
	int sv[2];

	socketpair_nb(SOCK_STREAM, sv);
	mut_fd(t, &m, sv[0], action, 7);
	CHECK_OK(oio_fd_register(m.r.iofd, -1));
	struct want_seen w = { &m, N };
	for (int i = 0; i < 20000 && m.seen < N; i++) {
		while (off < n) {
			ssize_t k = write(sv[1], s + off, n - off > 3001 ? 3001 : n - off); /* never frame-aligned */
			if (k <= 0)
				break;
			off += (size_t)k;
		}
		test_loop_run_once(&t->loop, 5);
	}
	test_loop_run_until(&t->loop, cond_seen_n, &w, 3000);
	CHECK_EQ(m.seen, N);
	CHECK(m.order_ok);
	CHECK_EQ(m.r.nerr, 0);
	oio_fd_free(m.r.iofd);
	close(sv[1]);
	rec_fini(&m.r);
}

TEST(reregister_inside_read_cb_loses_nothing) { reregister_under_load(t, ACT_REREGISTER); }
TEST(reregister_with_bigger_alloc_inside_read_cb) { reregister_under_load(t, ACT_REREGISTER_BIGGER); }

/* A callback unregisters in the middle of a read full of frames: the rest is kept, and delivered after
 * register() without any new data arriving. */
TEST(unregister_mid_read_keeps_the_rest_for_register)
{
	static uint8_t s[5 * 300];
	size_t n = frames(s, 300);
	struct mut m;
	int sv[2];

	socketpair_nb(SOCK_STREAM, sv);
	mut_fd(t, &m, sv[0], ACT_UNREGISTER, 10);
	CHECK_OK(oio_fd_set_alloc_info(m.r.iofd, 2048, 0));
	CHECK_OK(oio_fd_register(m.r.iofd, -1));
	CHECK_EQ(write(sv[1], s, n), n);
	test_loop_run_until(&t->loop, NULL, NULL, 100);
	CHECK_EQ(m.seen, 10);
	CHECK_OK(oio_fd_register(m.r.iofd, -1));
	struct want_seen w = { &m, 300 };
	CHECK_OK(test_loop_run_until(&t->loop, cond_seen_n, &w, 2000));
	CHECK_EQ(m.seen, 300);
	CHECK(m.order_ok);
	/* EOF comes after the kept frames, not before */
	close(sv[1]);
	test_loop_run_until(&t->loop, NULL, NULL, 50);
	CHECK_EQ(m.r.neof, 1);
	oio_fd_free(m.r.iofd);
	rec_fini(&m.r);
}

TEST(free_mid_read_of_many_frames)
{
	static uint8_t s[5 * 3000];
	size_t n = frames(s, 3000);
	struct mut m;
	int sv[2];

	socketpair_nb(SOCK_STREAM, sv);
	mut_fd(t, &m, sv[0], ACT_FREE, 5);
	CHECK_OK(oio_fd_register(m.r.iofd, -1));
	CHECK_EQ(write(sv[1], s, n), n);
	test_loop_run_until(&t->loop, NULL, NULL, 100);
	CHECK_EQ(m.seen, 5);
	close(sv[1]);
	rec_fini(&m.r);
}

/* The ring fd and the eventfd are the core's own: an iofd on them is refused. */
static int find_ring_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int found = -1;

	CHECK(d);
	while ((de = readdir(d))) {
		char path[300], target[128];
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		ssize_t k = readlink(path, target, sizeof(target) - 1);
		if (k > 0) {
			target[k] = 0;
			if (strstr(target, "io_uring"))
				found = atoi(de->d_name); /* the newest (highest) is the test context's */
		}
	}
	closedir(d);
	return found;
}

TEST(the_ring_fd_is_refused_and_a_broken_ring_is_fatal_not_a_spin)
{
	struct rec r;
	int sv[2];

	if (t->backend != OIO_BACKEND_IO_URING)
		return;
	int rfd = find_ring_fd();
	CHECK(rfd >= 0);
	socketpair_nb(SOCK_STREAM, sv);
	rec_init(&r);
	CHECK(!oio_fd_new(t->ctx, rfd, OIO_MODE_READ_WRITE, &rec_cbs, &r)); /* refused at setup */
	rec_fd(t, t->ctx, &r, -1, OIO_MODE_READ_WRITE);
	CHECK_EQ(oio_fd_register(r.iofd, rfd), -EBUSY); /* and at register */
	oio_fd_free(r.iofd);
	close(rfd); /* an application closing a stale number: every enter now fails with EBADF, reported once */
	rec_fini(&r);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, sv[0], OIO_MODE_READ_WRITE);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	CHECK_OK(oio_fd_write(r.iofd, "x", 1, 0));
	uint64_t before = oio_ctx_stats(t->ctx)->syscalls;
	for (int i = 0; i < 50; i++)
		test_loop_run_once(&t->loop, 1);
	CHECK_EQ(t->loop.nfatal, 1);
	CHECK_EQ(t->loop.fatal_err, -EBADF);
	CHECK(oio_ctx_stats(t->ctx)->syscalls - before < 10);
	struct rec r2;
	rec_init(&r2);
	rec_fd(t, t->ctx, &r2, sv[1], OIO_MODE_READ_WRITE);
	CHECK_EQ(oio_fd_register(r2.iofd, -1), -EIO);
	oio_fd_free(r2.iofd);
	oio_fd_free(r.iofd);
	rec_fini(&r);
	rec_fini(&r2);
}

TEST(one_registered_iofd_per_fd)
{
	struct rec a, b;
	int sv[2];

	socketpair_nb(SOCK_STREAM, sv);
	rec_init(&a);
	rec_init(&b);
	rec_fd(t, t->ctx, &a, sv[0], OIO_MODE_READ_WRITE);
	rec_fd(t, t->ctx, &b, sv[0], OIO_MODE_READ_WRITE);
	CHECK_OK(oio_fd_register(a.iofd, -1));
	CHECK_EQ(oio_fd_register(b.iofd, -1), -EBUSY);
	oio_fd_unregister(a.iofd);
	CHECK_OK(oio_fd_register(b.iofd, -1)); /* free again once the first let go */
	oio_fd_unregister(b.iofd);
	oio_fd_free(a.iofd); /* closes sv[0] */
	oio_fd_free(b.iofd);
	close(sv[1]);
	rec_fini(&a);
	rec_fini(&b);
}

static void refused_connect(struct t *t, int order)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int ls = socket(AF_INET, SOCK_STREAM, 0), fd;
	struct rec r;

	/* a port nobody listens on: bind one, then close it */
	CHECK(ls >= 0);
	CHECK_OK(bind(ls, (struct sockaddr *)&sin, sizeof(sin)));
	CHECK_OK(getsockname(ls, (struct sockaddr *)&sin, &sl));
	close(ls);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(fd >= 0);
	CHECK(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, fd, OIO_MODE_READ_WRITE);
	if (order == 0) {
		oio_fd_notify_connected(r.iofd);
		CHECK_OK(oio_fd_register(r.iofd, -1));
	} else { /* registered first: its armed receive must not cost the notification the errno */
		CHECK_OK(oio_fd_register(r.iofd, -1));
		oio_fd_notify_connected(r.iofd);
	}
	CHECK_OK(test_loop_run_until(&t->loop, cond_flag, &r.nconnected, 2000));
	CHECK_EQ(r.connect_res, -ECONNREFUSED); /* not -ENOTCONN: no receive collected the error first */
	oio_fd_free(r.iofd);
	rec_fini(&r);
}

TEST(refused_connect_reports_econnrefused) { refused_connect(t, 0); }
TEST(refused_connect_after_register_reports_econnrefused) { refused_connect(t, 1); }

/* Datagrams arrive whole or are reported as -EMSGSIZE (counted), never cut. */
TEST(datagrams_whole_or_emsgsize)
{
	static uint8_t big[65507];
	size_t sizes[] = { 1, 1400, 9000, 65507 };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
	int sz = 1 << 20;
	struct rec r;

	CHECK(rx >= 0 && tx >= 0);
	setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	CHECK_OK(bind(rx, (struct sockaddr *)&sin, sizeof(sin)));
	CHECK_OK(getsockname(rx, (struct sockaddr *)&sin, &sl));
	make_pattern(big, sizeof(big), 9);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, rx, OIO_MODE_RECVFROM_SENDTO);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	for (int round = 0; round < 2; round++) {
		if (round == 1) /* upstream's knob: a read size for the largest datagram */
			CHECK_OK(oio_fd_set_alloc_info(r.iofd, 65535, 0));
		uint64_t trunc0 = oio_ctx_stats(t->ctx)->truncated;
		for (int i = 0; i < 4; i++) {
			int nmsg = r.nmsg, nerr = r.nerr;
			CHECK_EQ(sendto(tx, big, sizes[i], 0, (struct sockaddr *)&sin, sizeof(sin)), sizes[i]);
			for (int k = 0; k < 200 && r.nmsg == nmsg && r.nerr == nerr; k++)
				test_loop_run_once(&t->loop, 10);
			if (i < 3 || round == 1) {
				CHECK_EQ(r.nmsg, nmsg + 1);
				CHECK_EQ(r.msglen[nmsg], sizes[i]);
				CHECK(memcmp(r.buf + r.len - sizes[i], big, sizes[i]) == 0);
			} else {
				CHECK_EQ(r.nerr, nerr + 1);
				CHECK_EQ(r.last_err, -EMSGSIZE);
				CHECK_EQ(oio_ctx_stats(t->ctx)->truncated, trunc0 + 1);
			}
		}
	}
	oio_fd_free(r.iofd);
	close(tx);
	rec_fini(&r);
}

TEST(ipv6_zone_in_addresses)
{
	union oio_sockaddr sa;

	(void)t;
	CHECK_EQ(oio_sockaddr_from_ip(&sa, "fe80::1%lo", 5), (int)sizeof(sa.sin6));
	CHECK_EQ(sa.sin6.sin6_scope_id, if_nametoindex("lo"));
	CHECK_EQ(oio_sockaddr_from_ip(&sa, "fe80::1%7", 5), (int)sizeof(sa.sin6));
	CHECK_EQ(sa.sin6.sin6_scope_id, 7);
	CHECK_EQ(oio_sockaddr_from_ip(&sa, "fe80::1%no-such-if", 5), -EINVAL);
	CHECK_EQ(oio_sockaddr_from_ip(&sa, "fe80::1%", 5), -EINVAL);
	CHECK_EQ(oio_sockaddr_from_ip(&sa, "::1", 5), (int)sizeof(sa.sin6));
	CHECK_EQ(sa.sin6.sin6_scope_id, 0);
}

/* A stream socket driven in a datagram mode: 0 is its end, reported once (no EOF spin until the user closes). */
TEST(eof_once_on_a_stream_socket_in_datagram_mode)
{
	struct rec r;
	int sv[2];

	socketpair_nb(SOCK_STREAM, sv);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, sv[0], OIO_MODE_RECVFROM_SENDTO);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	close(sv[1]);
	test_loop_run_until(&t->loop, NULL, NULL, 100);
	CHECK_EQ(r.neof, 1);
	oio_fd_free(r.iofd);
	rec_fini(&r);
}

/* Several receives asked for on a stream socket in a datagram mode: one reader all the same, so unregister /
 * register cycles keep the bytes in order. */
TEST(stream_in_datagram_mode_keeps_order_with_many_sqes)
{
	static uint8_t data[64 * 1024];
	struct rec r;
	int sv[2];
	size_t off = 0;

	make_pattern(data, sizeof(data), 12);
	socketpair_nb(SOCK_STREAM, sv);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, sv[0], OIO_MODE_RECVMSG_SENDMSG);
	if (t->backend == OIO_BACKEND_IO_URING)
		CHECK_OK(oio_fd_set_sqes(r.iofd, OIO_OP_READ, 8));
	CHECK_OK(oio_fd_set_alloc_info(r.iofd, 512, 0));
	CHECK_OK(oio_fd_register(r.iofd, -1));
	for (int i = 0; i < 2000 && r.len < sizeof(data); i++) {
		if (off < sizeof(data)) {
			ssize_t k = write(sv[1], data + off, sizeof(data) - off < 700 ? sizeof(data) - off : 700);
			if (k > 0)
				off += (size_t)k;
		}
		test_loop_run_once(&t->loop, 1);
		if (i % 3 == 0) {
			oio_fd_unregister(r.iofd);
			CHECK_OK(oio_fd_register(r.iofd, -1));
		}
	}
	struct want w = { &r, sizeof(data) };
	CHECK_OK(test_loop_run_until(&t->loop, cond_bytes, &w, 3000));
	CHECK(memcmp(r.buf, data, sizeof(data)) == 0);
	oio_fd_free(r.iofd);
	close(sv[1]);
	rec_fini(&r);
}

/*
 * The connect errors that arrive later (not at connect()): each reaches the notification as it is, on both
 * backends. Each test runs in its own network namespace (the runner forks per test; needs CAP_SYS_ADMIN and
 * iproute2, else it says SKIP) where 203.0.113.0/24 goes nowhere (SYNs vanish: ETIMEDOUT with TCP_SYNCNT 1) and
 * 198.51.100.0/24 is on a link where nobody answers ARP (EHOSTUNREACH when neighbour resolution fails).
 */
#include <netinet/tcp.h>
#include <sched.h>

static bool netns_ready(void)
{
	if (unshare(CLONE_NEWNET) < 0) {
		printf("# SKIP: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return false;
	}
	if (system("ip link set lo up && ip route add 203.0.113.0/24 dev lo && "
		   "ip link add nb0 type veth peer name nb1 && ip link set nb0 up && ip link set nb1 up && "
		   "ip addr add 198.51.100.1/24 dev nb0 >/dev/null 2>&1") != 0) {
		printf("# SKIP: iproute2 setup failed\n");
		return false;
	}
	return true;
}

static void late_connect_error(struct t *t, const char *ip, int want, int syncnt)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9) };
	int one = 1, fd;
	struct rec r;

	if (!netns_ready())
		return;
	inet_pton(AF_INET, ip, &sin.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(fd >= 0);
	one = syncnt;
	CHECK_OK(setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &one, sizeof(one)));
	CHECK(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno == EINPROGRESS);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, fd, OIO_MODE_READ_WRITE);
	oio_fd_notify_connected(r.iofd);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	CHECK_OK(test_loop_run_until(&t->loop, cond_flag, &r.nconnected, 8000));
	CHECK_EQ(r.connect_res, want);
	oio_fd_free(r.iofd);
	rec_fini(&r);
}

/* one SYN retry: the timeout comes after ~3 s */
TEST(connect_timeout_reports_etimedout) { late_connect_error(t, "203.0.113.7", -ETIMEDOUT, 1); }
/* neighbour resolution fails after ~3 s, long before the SYN retries run out */
TEST(connect_unresolved_neighbour_reports_ehostunreach) { late_connect_error(t, "198.51.100.2", -EHOSTUNREACH, 6); }

/* A datagram socket keeps several sends in flight: a burst goes out in far fewer loop turns than messages, every
 * datagram once and in order (the sends armed together are linked). */
TEST(datagram_burst_sends_in_order_with_several_in_flight)
{
	enum { N = 3000 };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
	int sz = 4 << 20, turns = 0;
	union oio_sockaddr dst;
	struct rec r;

	CHECK(rx >= 0 && tx >= 0);
	setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	CHECK_OK(bind(rx, (struct sockaddr *)&sin, sizeof(sin)));
	CHECK_OK(getsockname(rx, (struct sockaddr *)&sin, &sl));
	memcpy(&dst.sin, &sin, sizeof(sin));
	rec_init(&r);
	rec_fd(t, t->ctx, &r, tx, OIO_MODE_RECVFROM_SENDTO);
	oio_fd_set_txqueue_max(r.iofd, N);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	for (uint32_t i = 0; i < N; i++)
		CHECK_OK(oio_fd_sendto(r.iofd, &i, sizeof(i), 0, &dst, sizeof(dst.sin), i));
	while (r.nwdone < N && turns < 5000) {
		test_loop_run_once(&t->loop, 1);
		turns++;
	}
	CHECK_EQ(r.nwdone, N);
	CHECK(r.token_order_ok);
	if (t->backend == OIO_BACKEND_IO_URING)
		CHECK(turns < N / 8); /* several sends per turn (one at a time took one turn or more each) */
	printf("# %d datagrams sent in %d loop turns\n", N, turns);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t v;
		CHECK_EQ(recv(rx, &v, sizeof(v), 0), (ssize_t)sizeof(v));
		CHECK_EQ(v, i);
	}
	oio_fd_free(r.iofd);
	close(rx);
	rec_fini(&r);
}
