/* Held reads (held.c): reads the application cannot take now are kept in one FIFO per iofd and delivered, in
 * order, from a flush once reading is on; close drops them. */
#include "test.h"
#include "internal.h" /* oio_held_add_raw(): plays a backend's part where the kernel's timing would decide */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static char *tmpname(char *buf, size_t n)
{
	snprintf(buf, n, "/tmp/oio-held-%d.bin", (int)getpid());
	return buf;
}

static bool cond_eof(void *arg) { return ((struct rec *)arg)->neof > 0 || ((struct rec *)arg)->nerr > 0; }

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	CHECK(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A read that completes while reading is off (io_uring: a regular file's read completes while it is submitted, ahead
 * of its cancel) is held, and delivered first once reading is on. Poll reads nothing while off. */
TEST(held_read_completed_while_off_is_delivered_first)
{
	char path[64];
	uint8_t data[5000];
	struct rec r;
	int fd;

	make_pattern(data, sizeof(data), 3);
	fd = open(tmpname(path, sizeof(path)), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	unlink(path);
	CHECK_EQ(write(fd, data, sizeof(data)), sizeof(data));
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, fd, OIO_MODE_READ_WRITE);
	CHECK_OK(oio_fd_set_alloc_info(r.iofd, 700, 0));
	CHECK_OK(oio_fd_register(r.iofd, -1));
	oio_fd_set_read_enabled(r.iofd, false); /* the read is armed, not submitted yet */
	test_loop_run_until(&t->loop, NULL, NULL, 50);
	CHECK_EQ(r.len, 0);
	if (t->backend == OIO_BACKEND_IO_URING)
		CHECK_EQ(oio_fd_held(r.iofd), 1);
	else
		CHECK_EQ(oio_fd_held(r.iofd), 0);
	oio_fd_set_read_enabled(r.iofd, true);
	CHECK_EQ(r.len, 0); /* never from inside set_read_enabled(): from the next flush */
	CHECK_OK(test_loop_run_until(&t->loop, cond_eof, &r, 3000));
	CHECK_EQ(r.nerr, 0);
	CHECK_EQ(r.neof, 1);
	CHECK_EQ(r.len, sizeof(data));
	CHECK(memcmp(r.buf, data, sizeof(data)) == 0);
	CHECK_EQ(oio_fd_held(r.iofd), 0);
	oio_fd_free(r.iofd);
	rec_fini(&r);
}

/* Datagrams received while reading is off (io_uring: a multishot recvmsg or several receives, completing at
 * submission) come in the order they were sent, ahead of those sent after reading is on again. */
TEST(held_datagrams_keep_their_order)
{
	struct rec r;
	int sv[2];
	char m[16];

	socketpair_nb(SOCK_DGRAM, sv);
	for (int i = 0; i < 6; i++) {
		int n = snprintf(m, sizeof(m), "d%02d", i);
		CHECK_EQ(write(sv[1], m, (size_t)n), n);
	}
	rec_init(&r);
	rec_fd(t, t->ctx, &r, sv[0], OIO_MODE_RECVFROM_SENDTO);
	if (t->backend == OIO_BACKEND_IO_URING)
		CHECK_OK(oio_fd_set_sqes(r.iofd, OIO_OP_READ, 4));
	CHECK_OK(oio_fd_register(r.iofd, -1));
	oio_fd_set_read_enabled(r.iofd, false);
	test_loop_run_until(&t->loop, NULL, NULL, 50);
	CHECK_EQ(r.nmsg, 0);
	if (t->backend == OIO_BACKEND_IO_URING)
		CHECK(oio_fd_held(r.iofd) >= 4); /* one per armed receive, or each datagram a multishot recvmsg took */
	for (int i = 6; i < 10; i++) {
		int n = snprintf(m, sizeof(m), "d%02d", i);
		CHECK_EQ(write(sv[1], m, (size_t)n), n);
	}
	oio_fd_set_read_enabled(r.iofd, true);
	struct want w = { &r, 30 };
	CHECK_OK(test_loop_run_until(&t->loop, cond_bytes, &w, 3000));
	CHECK_EQ(r.nmsg, 10);
	CHECK_EQ(r.len, 30);
	CHECK(memcmp(r.buf, "d00d01d02d03d04d05d06d07d08d09", 30) == 0);
	oio_fd_free(r.iofd);
	close(sv[1]);
	rec_fini(&r);
}

/* ---- a miniature of the N-API glue: deliveries are recorded into a batch, the "application" takes them later
 * and hands back (oio_fd_hold) what it cannot take because reading is off ---- */

#define MSG_MAX 64
struct ev { int res; size_t len; uint8_t data[64]; };
struct batch {
	struct ev ev[64];
	int n;
	uint8_t out[4096];   /* what the application took, in order */
	size_t outlen;
	int off_after;       /* a read callback turns reading off after this many more deliveries (0: never) */
	unsigned held_cb;    /* the last count the held callback reported */
	int held_calls;
};

static void b_read(struct oio_fd *iofd, int res, const uint8_t *data, size_t len, const struct oio_rxinfo *info)
{
	struct batch *b = oio_fd_user(iofd);

	(void)info;
	CHECK(b->n < 64 && len <= MSG_MAX);
	b->ev[b->n].res = res;
	b->ev[b->n].len = len;
	memcpy(b->ev[b->n].data, data, len);
	b->n++;
	if (b->off_after && --b->off_after == 0)
		oio_fd_set_read_enabled(iofd, false);
}

static void b_held(struct oio_fd *iofd, unsigned n)
{
	struct batch *b = oio_fd_user(iofd);
	b->held_cb = n;
	b->held_calls++;
}

static const struct oio_cbs batch_cbs = { .read = b_read, .held = b_held };

static void take(struct batch *b, int i)
{
	memcpy(b->out + b->outlen, b->ev[i].data, b->ev[i].len);
	b->outlen += b->ev[i].len;
}

/* The application takes the first `ntake` records of the batch, then turns reading off and hands the rest back. */
static void dispatch(struct oio_fd *iofd, struct batch *b, int ntake)
{
	for (int i = 0; i < b->n; i++) {
		if (i < ntake) {
			take(b, i);
			continue;
		}
		if (i == ntake)
			oio_fd_set_read_enabled(iofd, false);
		CHECK_OK(oio_fd_hold(iofd, b->ev[i].res, b->ev[i].data, b->ev[i].len, NULL));
	}
	b->n = 0;
}

/* Message i: a 1-byte length header (the payload's length), then i + 3 bytes of value i. */
static size_t msg(uint8_t *p, int i)
{
	p[0] = (uint8_t)(i + 3);
	memset(p + 1, 'a' + i, (size_t)i + 3);
	return (size_t)i + 4;
}

static size_t msgs(uint8_t *p, int from, int to)
{
	size_t n = 0;
	for (int i = from; i < to; i++)
		n += msg(p + n, i);
	return n;
}

static struct oio_fd *batch_fd(struct t *t, struct batch *b, int fd)
{
	static const struct oio_lenprefix lp = { .header_len = 1, .len_offset = 0, .len_bytes = 1, .adjust = 1 };
	struct oio_fd *iofd = oio_fd_new(t->ctx, fd, OIO_MODE_READ_WRITE, &batch_cbs, b);

	CHECK(iofd);
	memset(b, 0, sizeof(*b));
	oio_fd_set_segmentation(iofd, &lp, false);
	CHECK_OK(oio_fd_register(iofd, -1));
	return iofd;
}

struct want_out { struct batch *b; struct oio_fd *iofd; size_t n; };
/* The application takes whatever reaches it (reading stays on) until it has n bytes. */
static bool cond_out(void *arg)
{
	struct want_out *w = arg;
	dispatch(w->iofd, w->b, 64);
	return w->b->outlen >= w->n;
}

/* Hand-backs and raw completions interleaved: hand-backs go ahead of everything not delivered yet, raw
 * completions are segmented on release, and data the socket got meanwhile comes last. */
TEST(held_handbacks_and_raw_completions_keep_order)
{
	uint8_t all[512], raw[512];
	struct batch b;
	int sv[2];
	size_t n;

	socketpair_nb(SOCK_STREAM, sv);
	struct oio_fd *iofd = batch_fd(t, &b, sv[0]);
	size_t total = msgs(all, 0, 9);
	n = msgs(all, 0, 3);
	CHECK_EQ(write(sv[1], all, n), n);
	while (b.n < 3)
		CHECK(test_loop_run_once(&t->loop, 1000) >= 0);
	CHECK_EQ(b.n, 3);
	/* m0 taken; reading off; m1 handed back; a completion (m3, half of m4) held; m2 handed back; another
	 * completion (the rest of m4, m5) held: the FIFO is m1 m2 | raw raw */
	take(&b, 0);
	oio_fd_set_read_enabled(iofd, false);
	CHECK_OK(oio_fd_hold(iofd, b.ev[1].res, b.ev[1].data, b.ev[1].len, NULL));
	size_t r1 = msgs(raw, 3, 4) + 2, r2 = msgs(raw, 3, 6) - r1;
	msgs(raw, 3, 6);
	oio_held_add_raw(iofd, (int)r1, raw, r1, NULL);
	CHECK_OK(oio_fd_hold(iofd, b.ev[2].res, b.ev[2].data, b.ev[2].len, NULL));
	oio_held_add_raw(iofd, (int)r2, raw + r1, r2, NULL);
	b.n = 0;
	CHECK_EQ(oio_fd_held(iofd), 4);
	CHECK_EQ(b.held_cb, 4);
	/* the peer sends m6..m8 meanwhile */
	size_t late = msgs(all + n + r1 + r2, 6, 9);
	CHECK_EQ(write(sv[1], all + n + r1 + r2, late), late);
	test_loop_run_until(&t->loop, NULL, NULL, 30);
	CHECK_EQ(b.n, 0); /* nothing while reading is off */
	oio_fd_set_read_enabled(iofd, true);
	CHECK_EQ(b.n, 0); /* not from inside set_read_enabled() */
	struct want_out w = { &b, iofd, total };
	CHECK_OK(test_loop_run_until(&t->loop, cond_out, &w, 3000));
	CHECK_EQ(b.outlen, total);
	CHECK(memcmp(b.out, all, total) == 0);
	CHECK_EQ(oio_fd_held(iofd), 0);
	CHECK_EQ(b.held_cb, 0);
	oio_fd_free(iofd);
	close(sv[1]);
}

/* A read callback turns reading off again while held reads are released: the release stops at once and keeps the
 * rest, in order; what the application hands back of the released ones goes ahead of that rest. */
TEST(held_release_stops_when_a_callback_turns_reading_off)
{
	uint8_t all[512];
	struct batch b;
	int sv[2];

	socketpair_nb(SOCK_STREAM, sv);
	struct oio_fd *iofd = batch_fd(t, &b, sv[0]);
	size_t total = msgs(all, 0, 8), n = msgs(all, 0, 5);
	CHECK_EQ(write(sv[1], all, n), n);
	while (b.n < 5)
		CHECK(test_loop_run_once(&t->loop, 1000) >= 0);
	dispatch(iofd, &b, 1); /* m0 taken, m1..m4 handed back */
	CHECK_EQ(oio_fd_held(iofd), 4);
	/* m5 and m6 arrive as one completion while reading is off */
	size_t r = msgs(all + n, 5, 7);
	oio_held_add_raw(iofd, (int)r, all + n, r, NULL);
	b.off_after = 2;
	oio_fd_set_read_enabled(iofd, true);
	test_loop_run_until(&t->loop, NULL, NULL, 30);
	CHECK_EQ(b.n, 2);             /* m1 m2, then the callback turned reading off */
	CHECK_EQ(oio_fd_held(iofd), 3); /* m3 m4 | raw */
	/* the application takes m1 and hands m2 back (reading is off): it goes ahead of m3 */
	dispatch(iofd, &b, 1);
	CHECK_EQ(oio_fd_held(iofd), 4);
	size_t late = msgs(all + n + r, 7, 8);
	CHECK_EQ(write(sv[1], all + n + r, late), late);
	oio_fd_set_read_enabled(iofd, true);
	struct want_out w = { &b, iofd, total };
	CHECK_OK(test_loop_run_until(&t->loop, cond_out, &w, 3000));
	CHECK_EQ(b.outlen, total);
	CHECK(memcmp(b.out, all, total) == 0);
	/* unregister / register: the same, held across it */
	size_t n3 = msgs(all, 0, 3);
	CHECK_EQ(write(sv[1], all, n3), n3);
	while (b.n < 3)
		CHECK(test_loop_run_once(&t->loop, 1000) >= 0);
	oio_fd_unregister(iofd);
	for (int i = 0; i < 3; i++)
		CHECK_OK(oio_fd_hold(iofd, b.ev[i].res, b.ev[i].data, b.ev[i].len, NULL));
	b.n = 0;
	CHECK_OK(oio_fd_register(iofd, -1));
	CHECK_EQ(b.n, 0);
	b.outlen = 0;
	struct want_out w2 = { &b, iofd, n3 };
	CHECK_OK(test_loop_run_until(&t->loop, cond_out, &w2, 3000));
	CHECK_EQ(b.outlen, n3);
	CHECK(memcmp(b.out, all, n3) == 0);
	oio_fd_free(iofd);
	close(sv[1]);
}

/* close() drops held reads: their memory (LeakSanitizer checks at exit) and accepted fds nobody took. */
TEST(held_reads_are_dropped_at_close)
{
	struct batch b;
	struct rec r;
	int sv[2], pair[2];

	/* data and raw entries, then close */
	socketpair_nb(SOCK_STREAM, sv);
	struct oio_fd *iofd = batch_fd(t, &b, sv[0]);
	oio_fd_set_read_enabled(iofd, false);
	CHECK_OK(oio_fd_hold(iofd, 5, "hello", 5, NULL));
	oio_held_add_raw(iofd, 3, (const uint8_t *)"abc", 3, NULL);
	CHECK_EQ(oio_fd_held(iofd), 2);
	CHECK_OK(oio_fd_close(iofd));
	CHECK_EQ(oio_fd_held(iofd), 0);
	CHECK_EQ(b.held_cb, 0);
	CHECK_EQ(oio_fd_hold(iofd, 1, "x", 1, NULL), -EBADF); /* reads of a closed fd */
	oio_fd_free(iofd);
	close(sv[1]);

	/* accept mode: accepted fds handed back or held are closed with the listener */
	union oio_sockaddr any;
	socklen_t alen = (socklen_t)oio_sockaddr_from_ip(&any, "127.0.0.1", 0);
	const char *failed = NULL;
	int lfd = oio_sock_init(AF_INET, SOCK_STREAM, 0, &any, alen, NULL, 0, OIO_SOCK_LISTEN, 8, &failed);
	CHECK(lfd >= 0);
	union oio_sockaddr bound;
	socklen_t blen = sizeof(bound);
	CHECK(getsockname(lfd, &bound.sa, &blen) == 0);
	int base = count_fds();
	int cli = oio_sock_init(AF_INET, SOCK_STREAM, 0, NULL, 0, &bound, blen, 0, 0, &failed);
	CHECK(cli >= 0);
	rec_init(&r);
	rec_fd(t, t->ctx, &r, lfd, OIO_MODE_ACCEPT);
	CHECK_OK(oio_fd_register(r.iofd, -1));
	oio_fd_set_read_enabled(r.iofd, false); /* io_uring: the accept completes at submission, and is held */
	test_loop_run_until(&t->loop, NULL, NULL, 50);
	CHECK_EQ(r.naccepted, 0);
	CHECK_EQ(oio_fd_held(r.iofd), t->backend == OIO_BACKEND_IO_URING ? 1 : 0);
	socketpair_nb(SOCK_STREAM, pair);
	CHECK_OK(oio_fd_hold(r.iofd, pair[0], NULL, 0, NULL)); /* a hand-back of an accepted fd */
	oio_fd_free(r.iofd);
	CHECK_EQ(fcntl(pair[0], F_GETFD), -1);
	CHECK_EQ(errno, EBADF);
	close(pair[1]);
	/* the listener and whatever it accepted are gone: the client took the listener's place in the count */
	test_loop_run_until(&t->loop, NULL, NULL, 50);
	CHECK_EQ(count_fds(), base);
	close(cli);
	rec_fini(&r);
}
