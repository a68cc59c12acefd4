/* The oio loop adapter over libuv: one uv_poll_t per watched fd, a prepare handle that flushes batched
 * submissions before the loop blocks, a check handle that hands the iteration's events to JS. */
#include "addon.h"
#include <stdlib.h>

void ev_idle_noop(uv_idle_t *h)
{
	(void)h; /* exists only to keep the loop from blocking while events wait for JS */
}

struct uv_watch {
	uv_poll_t handle;
	struct oio_watch *w;
	bool always;              /* epoll refuses the fd (a regular file): it is always ready, as poll(2) says */
	struct uv_watch *next;    /* on env->always_ready */
};

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct uv_watch *uw = h->data;
	struct oio_watch *w = uw->w;
	unsigned rev = 0;

	if (!w)
		return;
	if (status < 0) {
		/* libuv stopped the handle (POLLERR): report everything watched and let the core re-arm */
		rev = w->events;
		w->events = 0;
	} else {
		if (events & (UV_READABLE | UV_DISCONNECT))
			rev |= OIO_EV_READ;
		if (events & UV_WRITABLE)
			rev |= OIO_EV_WRITE;
	}
	w->cb(w, rev);
}

static int adapter_watch(struct oio_loop *loop, struct oio_watch *w, unsigned events)
{
	struct env *e = (struct env *)((char *)loop - offsetof(struct env, loop));
	struct uv_watch *uw = w->loop_data;
	int rc, uvev = 0;

	if (!uw) {
		uw = calloc(1, sizeof(*uw));
		if (!uw)
			return -ENOMEM;
		rc = uv_poll_init(e->uv, &uw->handle, w->fd);
		if (rc == UV_EPERM) {
			uw->always = true;
			uw->next = e->always_ready;
			e->always_ready = uw;
		} else if (rc < 0) {
			free(uw);
			return rc;
		} else {
			uv_unref((uv_handle_t *)&uw->handle);
			uw->handle.data = uw;
		}
		uw->w = w;
		w->loop_data = uw;
	}
	w->events = events;
	if (uw->always) {
		if (events)
			uv_idle_start(&e->idle, ev_idle_noop);
		return 0;
	}
	if (events & OIO_EV_READ)
		uvev |= UV_READABLE;
	if (events & OIO_EV_WRITE)
		uvev |= UV_WRITABLE;
	if (!uvev)
		return uv_poll_stop(&uw->handle);
	return uv_poll_start(&uw->handle, uvev, on_poll);
}

static void free_watch(uv_handle_t *h)
{
	free(h->data);
}

static void adapter_unwatch(struct oio_loop *loop, struct oio_watch *w)
{
	struct uv_watch *uw = w->loop_data;

	(void)loop;
	if (!uw)
		return;
	uw->w = NULL;
	w->loop_data = NULL;
	w->events = 0;
	if (uw->always)
		return; /* unlinked and freed by run_always_ready() */
	uv_close((uv_handle_t *)&uw->handle, free_watch);
}

void loop_update_ref(struct env *e)
{
	bool want = e->refs > 0 || e->flush_wanted;

	if (want == e->prepare_ref)
		return;
	e->prepare_ref = want;
	if (want)
		uv_ref((uv_handle_t *)&e->prepare);
	else
		uv_unref((uv_handle_t *)&e->prepare);
}

static void adapter_flush_needed(struct oio_loop *loop)
{
	struct env *e = (struct env *)((char *)loop - offsetof(struct env, loop));

	if (!e->flush_wanted) {
		e->flush_wanted = true;
		loop_update_ref(e);
	}
}


/* Report readiness of the always-ready fds once per iteration; drop the ones no longer watched. */
static bool run_always_ready(struct env *e)
{
	struct uv_watch **pp = &e->always_ready;
	bool active = false;

	for (struct uv_watch *uw = *pp; uw; uw = *pp) {
		if (uw->w && uw->w->events) {
			struct oio_watch *w = uw->w;
			w->cb(w, w->events);
		}
		if (!uw->w) {
			*pp = uw->next;
			free(uw);
			continue;
		}
		active |= uw->w->events != 0;
		pp = &uw->next;
	}
	return active;
}

static bool flush(struct env *e, unsigned min_complete, unsigned timeout_us)
{
	bool got;

	e->flush_wanted = false;
	got = oio_ctx_flush_wait(e->ctx, min_complete, timeout_us);
	if (oio_ctx_flush_pending(e->ctx))
		e->flush_wanted = true;
	loop_update_ref(e);
	return got;
}

static void on_prepare(uv_prepare_t *h)
{
	struct env *e = h->data;
	bool busy = e->always_ready && run_always_ready(e);

	if (e->ctx)
		flush(e, 0, 0);
	if (e->nev || e->flush_wanted || busy)
		uv_idle_start(&e->idle, ev_idle_noop);
}

/* Dispatch rounds per check phase: bounded so Node's own handles and timers still get their turn. */
#define CHECK_ROUNDS 8
/* A round that handled two or more events means a stream of them: the next round's system call waits (at most
 * batch_wait_us) until as many completions are there again, so rounds stay as large as the traffic allows instead
 * of shrinking to a system call per message. A lone request/response exchange never waits. A wait that runs out
 * (traffic too slow to batch: sleeping costs more than it saves) suspends waiting for 1, 2, 4 ... WAIT_BACKOFF_MAX
 * loop iterations. */
#define BATCH_MAX 64
#define WAIT_BACKOFF_MAX 64

/* One round's flush: waits for a batch while that keeps paying off. True if it did (worth another round). */
static bool flush_round(struct env *e, unsigned n)
{
	if (!e->batch_wait_us || n < 2 || e->wait_skip) {
		flush(e, 0, 0);
		return false;
	}
	if (flush(e, n < BATCH_MAX ? n : BATCH_MAX, e->batch_wait_us)) {
		e->wait_backoff = 0;
		return true;
	}
	e->wait_backoff = e->wait_backoff ? e->wait_backoff * 2 : 1;
	if (e->wait_backoff > WAIT_BACKOFF_MAX)
		e->wait_backoff = WAIT_BACKOFF_MAX;
	e->wait_skip = e->wait_backoff;
	return false;
}

static void on_check(uv_check_t *h)
{
	struct env *e = h->data;

	uv_idle_stop(&e->idle);
	if (e->wait_skip)
		e->wait_skip--;
	/* After each dispatch, what JS just sent is submitted and the completions that came in meanwhile are taken
	 * in the same system call: a busy loop costs one io_uring_enter per round instead of a whole loop iteration
	 * (epoll_pwait, eventfd read, enter) per batch. */
	for (int round = 0, more = 1;; round++) {
		unsigned n = e->nev;

		ev_dispatch(e);
		if (!more || round + 1 >= CHECK_ROUNDS || !e->ctx || e->dispatching)
			break;
		/* without a batch that came, the events this flush took are the last of this iteration: rounds of
		 * one or two events would each cost a system call */
		more = flush_round(e, n);
		if (!e->nev)
			break;
	}
}

static void adapter_fatal(struct oio_loop *loop, int err, const char *what)
{
	ev_fail((struct env *)((char *)loop - offsetof(struct env, loop)), err, what);
}

void loop_adapter_init(struct env *e)
{
	e->loop.fatal = adapter_fatal;
	e->loop.watch = adapter_watch;
	e->loop.unwatch = adapter_unwatch;
	e->loop.flush_needed = adapter_flush_needed;
	uv_prepare_init(e->uv, &e->prepare);
	uv_check_init(e->uv, &e->check);
	uv_idle_init(e->uv, &e->idle);
	e->prepare.data = e->check.data = e->idle.data = e;
	uv_prepare_start(&e->prepare, on_prepare);
	uv_check_start(&e->check, on_check);
	uv_unref((uv_handle_t *)&e->prepare);
	uv_unref((uv_handle_t *)&e->check);
	uv_unref((uv_handle_t *)&e->idle);
}
