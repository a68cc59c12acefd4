#include "test.h"
#include <fcntl.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "# %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
	_exit(1);
}

struct oio_ctx *test_ctx_new(struct t *t, unsigned uring_entries)
{
	struct oio_ctx_opts o = { .backend = t->backend, .uring_entries = uring_entries };

	return test_ctx_new_opts(t, &o);
}

struct oio_ctx *test_ctx_new_opts(struct t *t, const struct oio_ctx_opts *opts)
{
	struct oio_ctx_opts o = *opts;
	char why[256] = "";
	o.backend = t->backend;
	int err = 0;
	struct oio_ctx *ctx = oio_ctx_new(&t->loop.base, &o, &err, why, sizeof(why));

	if (!ctx)
		test_fail(__FILE__, __LINE__, "oio_ctx_new: %d %s", err, why);
	return ctx;
}

void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->token_order_ok = true;
	r->partial_token = UINT64_MAX;
}

void rec_fini(struct rec *r)
{
	free(r->buf);
	r->buf = NULL;
}

static void rec_append(struct rec *r, const uint8_t *d, size_t n)
{
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		while (cap < r->len + n)
			cap *= 2;
		r->buf = realloc(r->buf, cap);
		if (!r->buf)
			abort();
		r->cap = cap;
	}
	memcpy(r->buf + r->len, d, n);
	r->len += n;
}

static void rec_read(struct oio_fd *iofd, int res, const uint8_t *data, size_t len, const struct oio_rxinfo *info)
{
	struct rec *r = oio_fd_user(iofd);

	if (oio_fd_mode(iofd) == OIO_MODE_ACCEPT) {
		if (res >= 0 && r->naccepted < 64)
			r->accepted[r->naccepted++] = res;
		else if (res < 0)
			r->nerr++, r->last_err = res;
		return;
	}
	if (res > 0) {
		if (len != (size_t)res && oio_fd_mode(iofd) != OIO_MODE_READ_WRITE)
			test_fail(__FILE__, __LINE__, "datagram res %d len %zu", res, len);
		r->nreads++;
		if (!r->nconnected)
			r->reads_before_connected++;
		if (r->nmsg < REC_MAX_EV)
			r->msglen[r->nmsg] = len;
		r->nmsg++;
		rec_append(r, data, len);
		if (info && info->from) {
			r->had_from = true;
			memcpy(&r->from, info->from, info->fromlen < sizeof(r->from) ? info->fromlen : sizeof(r->from));
		}
	} else if (res == 0) {
		if (len != 0)
			test_fail(__FILE__, __LINE__, "EOF with len %zu", len);
		r->neof++;
	} else {
		r->nerr++;
		r->last_err = res;
		r->last_err_len = len;
	}
	if (r->free_in_read) {
		oio_fd_free(iofd);
		r->iofd = NULL;
	} else if (r->unregister_in_read) {
		oio_fd_unregister(iofd);
	}
}

static void rec_write(struct oio_fd *iofd, int res, uint64_t token, bool done)
{
	struct rec *r = oio_fd_user(iofd);

	if (res < 0) {
		r->nwerr++;
		r->last_werr = res;
		if (!done)
			test_fail(__FILE__, __LINE__, "error write cb with done=false");
	} else {
		r->wbytes += (uint64_t)res;
	}
	if (!done) {
		if (token != r->next_token)
			r->token_order_ok = false;
		r->nwpartial++;
		r->partial_token = token;
		return;
	}
	if (r->partial_token != UINT64_MAX) {
		if (r->partial_token == token)
			r->partial_then_done++;
		else
			r->token_order_ok = false;
		r->partial_token = UINT64_MAX;
	}
	if (token != r->next_token) {
		if (r->token_order_ok && getenv("REC_DEBUG"))
			fprintf(stderr, "write done: token %llu, expected %llu, res %d\n", (unsigned long long)token,
				(unsigned long long)r->next_token, res);
		r->token_order_ok = false;
	}
	r->next_token = token + 1;
	r->nwdone++;
}

static void rec_connected(struct oio_fd *iofd, int res)
{
	struct rec *r = oio_fd_user(iofd);
	r->nconnected++;
	r->connect_res = res;
}

const struct oio_cbs rec_cbs = { .read = rec_read, .write = rec_write, .connected = rec_connected };

struct oio_fd *rec_fd(struct t *t, struct oio_ctx *ctx, struct rec *r, int fd, enum oio_mode mode)
{
	(void)t;
	r->iofd = oio_fd_new(ctx, fd, mode, &rec_cbs, r);
	CHECK(r->iofd);
	return r->iofd;
}

bool cond_bytes(void *arg)
{
	struct want *w = arg;
	return w->r->len >= w->n;
}

bool cond_flag(void *arg)
{
	return *(int *)arg != 0;
}

void make_pattern(uint8_t *p, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
}

double test_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void *test_write_later(void *arg)
{
	struct late_write *w = arg;
	usleep(w->delay_ms * 1000);
	if (write(w->fd, "ping", 4) != 4)
		abort();
	return NULL;
}

void socketpair_nb(int type, int sv[2])
{
	if (socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		test_fail(__FILE__, __LINE__, "socketpair: %s", strerror(errno));
}

size_t drain_fd(int fd, struct rec *r)
{
	uint8_t b[65536];
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, b, sizeof(b))) > 0) {
		rec_append(r, b, (size_t)n);
		total += (size_t)n;
	}
	return total;
}

void set_nofile(unsigned n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur >= n)
		return;
	rl.rlim_cur = n <= rl.rlim_max ? n : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}
