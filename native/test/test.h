/* Test registration, checks and shared helpers for the oio C unit tests. */
#ifndef OIO_TEST_H
#define OIO_TEST_H

#include "loop_epoll.h"
#include "oio.h"
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct t {
	enum oio_backend backend;
	struct test_loop loop;
	struct oio_ctx *ctx;
};

typedef void (*test_fn)(struct t *t);
void test_register(const char *name, test_fn fn);

#define TEST(name)                                                                  \
	static void name(struct t *t);                                              \
	__attribute__((constructor)) static void reg_##name(void) { test_register(#name, name); } \
	static void name(struct t *t)

void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));

#define CHECK(c) do { if (!(c)) test_fail(__FILE__, __LINE__, "CHECK(%s)", #c); } while (0)
#define CHECK_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, _a, _b); } while (0)
#define CHECK_OK(e) do { long long _r = (long long)(e); \
	if (_r < 0) test_fail(__FILE__, __LINE__, "%s: %lld (%s)", #e, _r, strerror((int)-_r)); } while (0)

/* A new context on t's loop with special options (the runner's own is t->ctx). */
struct oio_ctx *test_ctx_new(struct t *t, unsigned uring_entries);
struct oio_ctx *test_ctx_new_opts(struct t *t, const struct oio_ctx_opts *opts); /* backend: t's */

/* What an iofd received. */
#define REC_MAX_EV 4096
struct rec {
	struct oio_fd *iofd;
	uint8_t *buf;
	size_t len, cap;
	int nreads;                 /* read callbacks with res > 0 */
	int neof;                   /* res == 0 */
	int nerr;                   /* res < 0 */
	int last_err;
	size_t last_err_len;
	int nconnected;
	int connect_res;            /* result of the last connect notification */
	int reads_before_connected;
	bool free_in_read;          /* oio_fd_free() from the first read callback */
	bool unregister_in_read;
	int nmsg;                   /* messages (read callbacks with data) */
	size_t msglen[REC_MAX_EV];
	/* writes */
	int nwdone, nwpartial, nwerr, last_werr;
	uint64_t next_token;        /* FIFO: tokens must complete 0, 1, 2, ... */
	bool token_order_ok;
	uint64_t partial_token;     /* token of an outstanding partial write, or UINT64_MAX */
	int partial_then_done;      /* partial writes later completed by done for the same token */
	uint64_t wbytes;
	/* accept */
	int accepted[64];
	int naccepted;
	/* rxinfo */
	bool had_from;
	union oio_sockaddr from;
};

void rec_init(struct rec *r);
void rec_fini(struct rec *r);
extern const struct oio_cbs rec_cbs;  /* read/write/connected, no segmentation cb */

struct oio_fd *rec_fd(struct t *t, struct oio_ctx *ctx, struct rec *r, int fd, enum oio_mode mode);
bool cond_bytes(void *arg);           /* arg: struct want { struct rec *r; size_t n; } */
struct want { struct rec *r; size_t n; };
bool cond_flag(void *arg);            /* arg: int*, true when non-zero */

void make_pattern(uint8_t *p, size_t n, unsigned seed);
void socketpair_nb(int type, int sv[2]);
/* CLOCK_MONOTONIC in milliseconds */
double test_now_ms(void);
/* A thread that writes "ping" to fd after delay_ms (pthread_create(..., test_write_later, &w)). */
struct late_write { int fd; unsigned delay_ms; };
void *test_write_later(void *arg);
/* Read everything the (non-blocking) fd has right now, append to r */
size_t drain_fd(int fd, struct rec *r);
void set_nofile(unsigned n);

#endif
