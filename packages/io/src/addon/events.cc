// The completion batch: the core's callbacks append fixed-size records to an array kept in C and copy payloads
// into a slab; once per loop iteration JS gets the records EV_CAPACITY at a time in the Int32Array it shares
// with us, with one Buffer of the slab, inside a callback scope so promises and nextTicks run after it.
#include "addon.hh"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace osmo_io {

// A JS exception from a callback that C called: Node's uncaughtException path, as if JS had called it. Its own
// handle scope: the caller's was closed by the unwinding (and libuv callbacks run under Node's sealed scope).
static void ReportUncaught(napi_env env, const Napi::Error &e) noexcept
{
	try {
		Napi::HandleScope hs(env);
		if (napi_fatal_exception(env, e.Value()) != napi_ok) {
			// the environment is being torn down (a terminated worker): no JS runs to hear of it
		}
	} catch (const Napi::Error &) {
		// the error object itself is out of reach for the same reason
	}
}

int32_t Addon::SlabPut(const void *data, size_t len) noexcept
{
	if (slab_len_ + len > slab_cap_) {
		size_t cap = slab_cap_ ? slab_cap_ : 65536;
		while (cap < slab_len_ + len)
			cap *= 2;
		uint8_t *p = static_cast<uint8_t *>(realloc(slab_, cap));
		if (!p)
			return -1;
		slab_ = p;
		slab_cap_ = cap;
	}
	int32_t off = (int32_t)slab_len_;
	if (len)
		memcpy(slab_ + off, data, len);
	slab_len_ += len;
	return off;
}

// Records are kept in C however many one iteration produces (a 64 KiB read of 4-byte frames makes 16,384), and
// JS is called only from the check phase, never from inside the core, where a read callback closing or
// re-registering its iofd would pull the read buffer from under the segmentation loop. The array only grows.
int32_t *Addon::Push(Nfd *n, int type, int res) noexcept
{
	if (nev_ == rec_cap_) {
		uint32_t cap = rec_cap_ ? rec_cap_ * 2 : EV_CAPACITY;
		int32_t *p = static_cast<int32_t *>(realloc(rec_, (size_t)cap * EV_SIZE * sizeof(*p)));
		if (!p) {
			Fail(-ENOMEM, "event batch");
			return nullptr;
		}
		rec_ = p;
		rec_cap_ = cap;
	}
	int32_t *r = rec_ + (size_t)nev_++ * EV_SIZE;
	nread_ += type == EVT_READ;
	memset(r, 0, EV_SIZE * sizeof(*r));
	r[EV_SLOT] = (int32_t)n->slot;
	r[EV_GEN] = n->iofd ? (int32_t)oio_fd_generation(n->iofd) : 0;
	r[EV_TYPE] = type;
	r[EV_RES] = res;
	r[EV_AOFF] = r[EV_COFF] = -1;
	return r;
}

// Parked reads: a read record whose iofd an earlier callback of its batch turned off or unregistered is handed
// back by JS (park()) to the core, which holds it (held.c) with the reads it completed while reading was off, and
// delivers them again, in order, from a flush once reading is on. JS keeps parking the later records of the running
// batch while FS_HELD says reads are held, so none overtakes them. The count reaches FS_HELD from here.
void Addon::NfdHeld(Nfd *n, unsigned held) noexcept
{
	if (fdst_)
		fdst_[(size_t)n->slot * FS_SIZE + FS_HELD] = (int32_t)held;
}

void Addon::Fail(int err, const char *what) noexcept
{
	if (fatal_err_)
		return;
	fatal_err_ = err;
	snprintf(fatal_what_, sizeof(fatal_what_), "%s", what);
	if (h_)
		uv_idle_start(&h_->idle, [](uv_idle_t *) {}); // reach the check phase, where JS hears of it
}

static Nfd *NfdOf(oio_fd *iofd)
{
	return static_cast<Nfd *>(oio_fd_user(iofd));
}

static void OnRead(oio_fd *iofd, int res, const uint8_t *data, size_t len, const oio_rxinfo *info) noexcept
{
	Nfd *n = NfdOf(iofd);
	Addon *a = n->addon;
	int32_t *r = a->Push(n, EVT_READ, res);

	if (!r)
		return;
	r[EV_OFF] = a->SlabPut(data, len);
	r[EV_LEN] = (int32_t)len;
	if (info) {
		if (info->from && info->fromlen) {
			r[EV_AOFF] = a->SlabPut(info->from, info->fromlen);
			r[EV_ALEN] = (int32_t)info->fromlen;
		}
		if (info->control && info->controllen) {
			r[EV_COFF] = a->SlabPut(info->control, info->controllen);
			r[EV_CLEN] = (int32_t)info->controllen;
		}
		r[EV_FLAGS] = info->flags;
	}
}

static void OnWrite(oio_fd *iofd, int res, uint64_t token, bool done) noexcept
{
	Nfd *n = NfdOf(iofd);
	int32_t *r = n->addon->Push(n, EVT_WRITE, res);

	if (r) {
		r[EV_FLAGS] = done;
		r[EV_TOKEN] = (int32_t)token; // names the message: completions cannot shift
	}
	n->addon->NfdSync(n);
}

static void OnConnected(oio_fd *iofd, int res) noexcept
{
	Nfd *n = NfdOf(iofd);
	n->addon->Push(n, EVT_CONNECTED, res);
}

// A JS segmentation callback, called synchronously with a copy of the accumulated bytes (the one place the
// core calls JS: it needs the answer to go on). A throw is reported as uncaught and counts as invalid data.
static int OnSegment(oio_fd *iofd, const uint8_t *data, size_t len) noexcept
{
	Nfd *n = NfdOf(iofd);
	napi_env env = n->addon->env();

	if (n->seg.IsEmpty())
		return -EINVAL;
	try {
		Napi::HandleScope hs(env);
		napi_value buf, global, ret;
		void *p;
		Check(env, napi_create_buffer_copy(env, len, data, &p, &buf));
		Check(env, napi_get_global(env, &global));
		Check(env, napi_call_function(env, global, n->seg.Value(), 1, &buf, &ret));
		double d;
		napi_status s = napi_get_value_double(env, ret, &d);
		if (s == napi_number_expected || std::isnan(d))
			return -EINVAL;
		Check(env, s);
		return d > INT32_MAX ? INT32_MAX : d < INT32_MIN ? INT32_MIN : (int32_t)d;
	} catch (const Napi::Error &e) {
		ReportUncaught(env, e);
	}
	return -EINVAL;
}

static void OnHeld(oio_fd *iofd, unsigned held) noexcept
{
	Nfd *n = NfdOf(iofd);
	n->addon->NfdHeld(n, held);
}

const oio_cbs nfd_cbs = {
	OnRead,
	OnWrite,
	OnConnected,
	OnSegment,
	OnHeld,
};

void Addon::CallJs(napi_value fn, uint32_t n, napi_value slab, napi_value fatal) noexcept
{
	try {
		napi_value args[3], recv, ret;
		Check(env_, napi_create_uint32(env_, n, &args[0]));
		args[1] = slab;
		args[2] = fatal;
		Check(env_, napi_get_undefined(env_, &recv));
		Check(env_, napi_call_function(env_, recv, fn, 3, args, &ret));
	} catch (const Napi::Error &e) {
		ReportUncaught(env_, e); // and go on with the next chunk, as libuv's callers of JS do
	}
}

// { errno, syscall } of a backend failure for JS to throw, or undefined.
napi_value Addon::FatalValue()
{
	if (!fatal_err_ || fatal_told_)
		return env_.Undefined();
	Napi::Object v = Napi::Object::New(env_);
	v.Set("errno", Int(env_, fatal_err_));
	v.Set("syscall", Napi::String::New(env_, fatal_what_));
	fatal_told_ = true;
	return v;
}

// A callback scope on the environment's resource: closing it runs the microtasks and nextTicks JS queued.
class CallbackScope {
public:
	CallbackScope(napi_env env, napi_value resource, napi_async_context ctx) : env_(env)
	{
		Check(env, napi_open_callback_scope(env, resource, ctx, &scope_));
	}
	~CallbackScope()
	{
		if (napi_close_callback_scope(env_, scope_) != napi_ok)
			napi_fatal_error("osmo_io", NAPI_AUTO_LENGTH, "callback scope mismatch", NAPI_AUTO_LENGTH);
	}
	CallbackScope(const CallbackScope &) = delete;
	CallbackScope &operator=(const CallbackScope &) = delete;

private:
	napi_env env_;
	napi_callback_scope scope_;
};

void Addon::Dispatch() noexcept
{
	if ((!nev_ && (!fatal_err_ || fatal_told_)) || dispatching_ || cleaned_)
		return;
	dispatching_ = true;
	try {
		Napi::HandleScope hs(env_);
		CallbackScope cs(env_, resource_.Value(), actx_);
		// ends the dispatch before the scope closes: the microtasks that closing runs are no longer inside it
		// (park() refuses them: they have no batch record to hand back)
		struct Ending {
			bool &dispatching;
			~Ending() { dispatching = false; }
		} ending{dispatching_};
		napi_value fn = on_events_.Value();
		napi_value undef = env_.Undefined();
		napi_value slab;
		void *p;
		Check(env_, napi_create_buffer_copy(env_, slab_len_, slab_len_ ? (void *)slab_ : (void *)"", &p, &slab));
		uint32_t total = nev_;
		for (uint32_t done = 0; done < total;) {
			uint32_t k = total - done < EV_CAPACITY ? total - done : EV_CAPACITY;
			memcpy(ev_, rec_ + (size_t)done * EV_SIZE, (size_t)k * EV_SIZE * sizeof(*ev_));
			dispatches_++;
			CallJs(fn, k, slab, undef);
			done += k;
		}
		if (nev_ > total) {
			// produced while JS ran (not expected): keep them, and the slab their offsets point into
			memmove(rec_, rec_ + (size_t)total * EV_SIZE, (size_t)(nev_ - total) * EV_SIZE * sizeof(*rec_));
			nev_ -= total;
		} else {
			nev_ = 0;
			slab_len_ = 0;
		}
		if (fatal_err_ && !fatal_told_)
			CallJs(fn, 0, slab, FatalValue());
	} catch (const Napi::Error &e) {
		ReportUncaught(env_, e);
	}
	dispatching_ = false;
}

} // namespace osmo_io
