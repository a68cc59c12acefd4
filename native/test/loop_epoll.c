/* The test event loop: epoll, level-triggered (like libuv's uv_poll), oio_ctx_flush() before each wait. */
#include "loop_epoll.h"
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define ADDED ((void *)(uintptr_t)1)
#define ALWAYS ((void *)(uintptr_t)2)

static void forget(struct test_loop *l, struct oio_watch *w)
{
	for (int i = 0; i < l->batch_n; i++)
		if (l->batch[i] == w)
			l->batch[i] = NULL;
	for (int i = 0; i < l->nalways; i++)
		if (l->always[i] == w) {
			l->always[i] = l->always[--l->nalways];
			break;
		}
}

static int lw_watch(struct oio_loop *base, struct oio_watch *w, unsigned events)
{
	struct test_loop *l = (struct test_loop *)base;
	struct epoll_event ev = { .data.ptr = w };

	if (events & OIO_EV_READ)
		ev.events |= EPOLLIN;
	if (events & OIO_EV_WRITE)
		ev.events |= EPOLLOUT;
	w->events = events;
	if (w->loop_data == ALWAYS) {
		if (!events)
			forget(l, w), w->loop_data = NULL;
		return 0;
	}
	if (!events) {
		if (w->loop_data == ADDED)
			epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
		w->loop_data = NULL;
		forget(l, w);
		return 0;
	}
	if (w->loop_data == ADDED)
		return epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0 ? -errno : 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, w->fd, &ev) == 0) {
		w->loop_data = ADDED;
		return 0;
	}
	if (errno == EPERM && l->nalways < TEST_LOOP_MAX_ALWAYS) {
		w->loop_data = ALWAYS;
		l->always[l->nalways++] = w;
		return 0;
	}
	return -errno;
}

static void lw_unwatch(struct oio_loop *base, struct oio_watch *w)
{
	struct test_loop *l = (struct test_loop *)base;

	if (w->loop_data == ADDED)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->loop_data = NULL;
	forget(l, w);
}

static void lw_fatal(struct oio_loop *base, int err, const char *what)
{
	struct test_loop *l = (struct test_loop *)base;

	(void)what;
	l->nfatal++;
	l->fatal_err = err;
}

static void lw_flush_needed(struct oio_loop *base)
{
	((struct test_loop *)base)->flush_requests++;
}

int test_loop_init(struct test_loop *l)
{
	memset(l, 0, sizeof(*l));
	l->base.watch = lw_watch;
	l->base.unwatch = lw_unwatch;
	l->base.flush_needed = lw_flush_needed;
	l->base.fatal = lw_fatal;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void test_loop_close(struct test_loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int test_loop_run_once(struct test_loop *l, int timeout_ms)
{
	struct epoll_event evs[TEST_LOOP_MAX_EVENTS];
	int n;

	unsigned requests = l->flush_requests;
	if (l->ctx)
		oio_ctx_flush(l->ctx);
	/* the core asked for another flush before sleeping (work already there): poll without blocking, as the
	 * Node adapter does */
	if (l->nalways || l->flush_requests != requests)
		timeout_ms = 0;
	n = epoll_wait(l->epfd, evs, TEST_LOOP_MAX_EVENTS, timeout_ms);
	if (n < 0)
		n = 0;
	for (int i = 0; i < n; i++) {
		unsigned r = 0;
		if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
			r |= OIO_EV_READ;
		if (evs[i].events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
			r |= OIO_EV_WRITE;
		l->batch[i] = evs[i].data.ptr;
		l->batch_ev[i] = r;
	}
	int na = l->nalways;
	for (int i = 0; i < na && n < TEST_LOOP_MAX_EVENTS; i++) {
		l->batch[n] = l->always[i];
		l->batch_ev[n++] = l->always[i]->events;
	}
	l->batch_n = n;
	for (int i = 0; i < n; i++) {
		struct oio_watch *w = l->batch[i];
		if (!w)
			continue; /* unwatched (maybe freed) by an earlier callback of this batch */
		unsigned r = l->batch_ev[i] & (w->events | (w->loop_data == ADDED ? OIO_EV_READ | OIO_EV_WRITE : 0));
		/* like libuv: only report what is watched (HUP/ERR wake the watched directions) */
		r &= w->events;
		if (r)
			w->cb(w, r);
	}
	l->batch_n = 0;
	return n;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

int test_loop_run_until(struct test_loop *l, bool (*cond)(void *arg), void *arg, int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	for (;;) {
		if (cond && cond(arg))
			return 0;
		long left = end - now_ms();
		if (left <= 0)
			return cond ? -ETIMEDOUT : 0;
		test_loop_run_once(l, left > 20 ? 20 : (int)left);
	}
}
