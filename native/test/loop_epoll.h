/* A tiny level-triggered epoll event loop implementing struct oio_loop, for the C unit tests. */
#ifndef TEST_LOOP_EPOLL_H
#define TEST_LOOP_EPOLL_H

#include "oio.h"

#define TEST_LOOP_MAX_EVENTS 256
#define TEST_LOOP_MAX_ALWAYS 64

struct test_loop {
	struct oio_loop base;          /* must be first */
	int epfd;
	struct oio_ctx *ctx;           /* flushed before every wait; set by the test */
	unsigned flush_requests;
	/* the batch being dispatched: entries are cleared when their watch goes away */
	struct oio_watch *batch[TEST_LOOP_MAX_EVENTS];
	unsigned batch_ev[TEST_LOOP_MAX_EVENTS];
	int batch_n;
	/* fds epoll refuses (regular files) are always ready, as poll(2) reports them */
	struct oio_watch *always[TEST_LOOP_MAX_ALWAYS];
	int nalways;
	/* the backend's fatal report */
	int nfatal, fatal_err;
};

int test_loop_init(struct test_loop *l);
void test_loop_close(struct test_loop *l);
/* Run one iteration: flush, wait up to timeout_ms, dispatch. Returns the number of events. */
int test_loop_run_once(struct test_loop *l, int timeout_ms);
/* Run until cond(arg) is true (0) or timeout_ms passed (-ETIMEDOUT). cond may be NULL (run for timeout). */
int test_loop_run_until(struct test_loop *l, bool (*cond)(void *arg), void *arg, int timeout_ms);

#endif
