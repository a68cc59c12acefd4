// The oio loop adapter over libuv: one uv_poll_t per watched fd, a prepare handle that flushes batched
// submissions before the loop blocks, a check handle that hands the iteration's events to JS.
#include "addon.hh"

#include <cerrno>
#include <cstdlib>

namespace osmo_io {

static void IdleNoop(uv_idle_t *)
{
	// exists only to keep the loop from blocking while events wait for JS
}

struct UvWatch {
	uv_poll_t handle;
	oio_watch *w;
	bool always;     // epoll refuses the fd (a regular file): it is always ready, as poll(2) says
	UvWatch *next;   // on Addon::always_ready_
};

static void OnPoll(uv_poll_t *h, int status, int events)
{
	UvWatch *uw = static_cast<UvWatch *>(h->data);
	oio_watch *w = uw->w;
	unsigned rev = 0;

	if (!w)
		return;
	if (status < 0) {
		// libuv stopped the handle (POLLERR): report everything watched and let the core re-arm
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

int Addon::Watch(oio_watch *w, unsigned events) noexcept
{
	UvWatch *uw = static_cast<UvWatch *>(w->loop_data);
	int rc, uvev = 0;

	if (!uw) {
		uw = static_cast<UvWatch *>(calloc(1, sizeof(*uw)));
		if (!uw)
			return -ENOMEM;
		rc = uv_poll_init(uv_, &uw->handle, w->fd);
		if (rc == UV_EPERM) {
			uw->always = true;
			uw->next = always_ready_;
			always_ready_ = uw;
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
		if (events && h_)
			uv_idle_start(&h_->idle, IdleNoop);
		return 0;
	}
	if (events & OIO_EV_READ)
		uvev |= UV_READABLE;
	if (events & OIO_EV_WRITE)
		uvev |= UV_WRITABLE;
	if (!uvev)
		return uv_poll_stop(&uw->handle);
	return uv_poll_start(&uw->handle, uvev, OnPoll);
}

void Addon::Unwatch(oio_watch *w) noexcept
{
	UvWatch *uw = static_cast<UvWatch *>(w->loop_data);

	if (!uw)
		return;
	uw->w = nullptr;
	w->loop_data = nullptr;
	w->events = 0;
	if (uw->always)
		return; // unlinked and freed by RunAlwaysReady() (or FreeAlwaysReady() at teardown)
	uv_close((uv_handle_t *)&uw->handle, [](uv_handle_t *h) { free(h->data); });
}

void Addon::UpdateRef() noexcept
{
	bool want = refs_ > 0 || flush_wanted_;

	if (want == prepare_ref_ || !h_)
		return;
	prepare_ref_ = want;
	if (want)
		uv_ref((uv_handle_t *)&h_->prepare);
	else
		uv_unref((uv_handle_t *)&h_->prepare);
}

void Addon::NfdSetRef(Nfd *n) noexcept
{
	bool want = n->ref && n->iofd && oio_fd_registered(n->iofd);

	if (want == n->counted)
		return;
	n->counted = want;
	refs_ += want ? 1 : -1;
	UpdateRef();
}

void Addon::FlushNeeded() noexcept
{
	if (!flush_wanted_) {
		flush_wanted_ = true;
		UpdateRef();
	}
}

// Report readiness of the always-ready fds once per iteration; drop the ones no longer watched.
bool Addon::RunAlwaysReady() noexcept
{
	UvWatch **pp = &always_ready_;
	bool active = false;

	for (UvWatch *uw = *pp; uw; uw = *pp) {
		if (uw->w && uw->w->events) {
			oio_watch *w = uw->w;
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

void Addon::FreeAlwaysReady() noexcept
{
	while (UvWatch *uw = always_ready_) {
		always_ready_ = uw->next;
		if (uw->w)
			uw->w->loop_data = nullptr;
		free(uw);
	}
}

bool Addon::Flush(unsigned min_complete, unsigned timeout_us) noexcept
{
	bool got;

	flush_wanted_ = false;
	got = oio_ctx_flush_wait(ctx_, min_complete, timeout_us);
	if (oio_ctx_flush_pending(ctx_))
		flush_wanted_ = true;
	UpdateRef();
	return got;
}

// Longest sleep in the ring: a loop run with UV_RUN_NOWAIT (which polls without blocking) still gets its turn.
constexpr int RING_SLEEP_MAX_MS = 1000;
// Wake-ups handed to JS from one prepare phase before libuv gets its turn anyway (see OnPrepare()).
constexpr int PREPARE_ROUNDS = 64;

void Addon::OnPrepare() noexcept
{
	bool busy = always_ready_ && RunAlwaysReady();

	if (ctx_)
		Flush(0, 0);
	if (nev_ || flush_wanted_ || busy) {
		uv_idle_start(&h_->idle, IdleNoop);
		return;
	}
	// While only the ring wakes the loop, each wake-up goes to JS from here and the loop sleeps again in the ring:
	// one system call per wake-up (the sleep also submits what JS sent), where a round through libuv's poll and
	// check phase would add two or three. libuv gets its turn as soon as it has work of its own (its epoll fd,
	// polled in the ring), a timer or an immediate is due (its backend timeout is 0), or after PREPARE_ROUNDS.
	for (int round = 0; ctx_ && !cleaned_; round++) {
		int rc = SleepInRing();
		if (rc < 0)
			return; // this context sleeps in epoll_wait
		if (rc != 1 || round + 1 >= PREPARE_ROUNDS || dispatching_)
			break;
		nread_ = 0;
		sleep_dispatches_ += nev_ != 0;
		Dispatch();
		uv_update_time(uv_); // for the next backend timeout: timers that came due while JS ran end the rounds
		if (nev_)
			break; // made while JS ran (not expected): the check phase hands them over
	}
	// libuv polls without blocking: the ring is where this context sleeps
	if (h_)
		uv_idle_start(&h_->idle, IdleNoop);
}

// io_uring sleeps in the ring, watching libuv's epoll fd there too, instead of in epoll_wait on our eventfd (see
// oio_ctx_sleep()). Only when libuv would block now: it also says 0 while its watcher changes are not applied yet
// (it then polls first, and we sleep in the next iteration). > 0: slept (2: libuv has work); 0: not now; < 0: this
// context never does.
int Addon::SleepInRing() noexcept
{
	if (no_ring_sleep_)
		return -EOPNOTSUPP;
	int timeout = uv_backend_timeout(uv_);
	if (timeout == 0)
		return 0;
	if (timeout < 0 || timeout > RING_SLEEP_MAX_MS)
		timeout = RING_SLEEP_MAX_MS;
	bool wanted = flush_wanted_;
	flush_wanted_ = false; // the sleep submits (and says again what it leaves)
	int rc = oio_ctx_sleep(ctx_, uv_backend_fd(uv_), timeout, coalesce_us_);
	if (rc < 0)
		no_ring_sleep_ = true;
	if (rc <= 0)
		flush_wanted_ |= wanted; // nothing submitted
	else if (oio_ctx_flush_pending(ctx_))
		flush_wanted_ = true;
	UpdateRef();
	coalesced_ = rc > 0 && coalesce_us_;
	return rc;
}

// Dispatch rounds per check phase: bounded so Node's own handles and timers still get their turn.
constexpr int CHECK_ROUNDS = 8;
// A round that handled two or more reads means a stream of them: the next round's system call waits (at most
// wait_us) until as many have come again, so rounds stay as large as the traffic allows instead of
// shrinking to a system call per message. A lone request/response exchange never waits. A wait that runs out
// (traffic too slow to batch: sleeping costs more than it saves) suspends waiting for 1, 2, 4 ... WAIT_BACKOFF_MAX
// loop iterations.
constexpr unsigned BATCH_MAX = 64;
constexpr unsigned WAIT_BACKOFF_MAX = 64;

unsigned BatchWait::want(unsigned n) const
{
	if (!wait_us || n < 2 || skip)
		return 0;
	return n < BATCH_MAX ? n : BATCH_MAX;
}

void BatchWait::waited(bool got)
{
	waits++;
	if (got) {
		waits_full++;
		backoff = 0;
		return;
	}
	waits_out++;
	backoff = backoff ? backoff * 2 : 1;
	if (backoff > WAIT_BACKOFF_MAX)
		backoff = WAIT_BACKOFF_MAX;
	skip = backoff;
}

// One round's flush: waits for a batch while that keeps paying off. True if it did (worth another round).
bool Addon::FlushRound(unsigned n) noexcept
{
	// after a coalescing sleep the batch is what that sleep gathered: waiting again would not pay
	unsigned k = coalesced_ ? 0 : bw_.want(n);

	if (!k) {
		Flush(0, 0);
		return false;
	}
	bool got = Flush(k, bw_.wait_us);
	bw_.waited(got);
	return got;
}

void Addon::OnCheck() noexcept
{
	uv_idle_stop(&h_->idle);
	bw_.iteration();
	struct Reset {
		bool &flag;
		~Reset() { flag = false; }
	} reset{coalesced_};
	// After each dispatch, what JS just sent is submitted and the completions that came in meanwhile are taken in
	// the same system call (while a stream keeps coming it waits for the next batch): a busy loop costs one
	// io_uring_enter per round instead of a whole loop iteration per batch.
	for (int round = 0, more = 1;; round++) {
		unsigned n = nread_; // arrivals: write completions are the round's own (the core waits for those too)

		nread_ = 0;
		Dispatch();
		if (!more || round + 1 >= CHECK_ROUNDS || !ctx_ || dispatching_)
			break;
		// without a batch that came, the events this flush took are the last of this iteration: rounds of
		// one or two events would each cost a system call
		more = FlushRound(n);
		if (!nev_)
			break;
	}
}

static Addon *AddonOf(uv_handle_t *h)
{
	return static_cast<LoopHandles *>(h->data)->addon;
}

void Addon::LoopInit()
{
	core_loop_.loop.watch = [](oio_loop *l, oio_watch *w, unsigned ev) noexcept { return Of(l)->Watch(w, ev); };
	core_loop_.loop.unwatch = [](oio_loop *l, oio_watch *w) noexcept { Of(l)->Unwatch(w); };
	core_loop_.loop.flush_needed = [](oio_loop *l) noexcept { Of(l)->FlushNeeded(); };
	core_loop_.loop.fatal = [](oio_loop *l, int err, const char *what) noexcept { Of(l)->Fail(err, what); };

	LoopHandles *h = new LoopHandles{};
	h->addon = this;
	// these only fill in the structs (libuv documents no failure); a failure would leave handles half linked
	// into the loop, which nothing could undo
	if (uv_prepare_init(uv_, &h->prepare) || uv_check_init(uv_, &h->check) || uv_idle_init(uv_, &h->idle))
		Napi::Error::Fatal("osmo_io", "uv_prepare_init/uv_check_init/uv_idle_init failed");
	h->prepare.data = h->check.data = h->idle.data = h;
	h->open = 3;
	h_ = h;
	uv_prepare_start(&h->prepare, [](uv_prepare_t *p) { if (Addon *a = AddonOf((uv_handle_t *)p)) a->OnPrepare(); });
	uv_check_start(&h->check, [](uv_check_t *c) { if (Addon *a = AddonOf((uv_handle_t *)c)) a->OnCheck(); });
	uv_unref((uv_handle_t *)&h->prepare);
	uv_unref((uv_handle_t *)&h->check);
	uv_unref((uv_handle_t *)&h->idle);
}

// Closes the handles; the last close callback frees them (after the Addon is gone, possibly).
void Addon::LoopClose() noexcept
{
	LoopHandles *h = h_;

	if (!h)
		return;
	h_ = nullptr;
	h->addon = nullptr;
	auto closed = [](uv_handle_t *x) {
		LoopHandles *lh = static_cast<LoopHandles *>(x->data);
		if (--lh->open == 0)
			delete lh;
	};
	uv_close((uv_handle_t *)&h->prepare, closed);
	uv_close((uv_handle_t *)&h->check, closed);
	uv_close((uv_handle_t *)&h->idle, closed);
}

} // namespace osmo_io
