// Module entry of @osmo/io: the per-environment Addon (main thread and each worker), init, stats, helpers.
#include "addon.hh"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace osmo_io {

// ---- helpers -------------------------------------------------------------------------------------------

void ThrowPending(napi_env env, const Napi::Error &e) noexcept
{
	try {
		e.ThrowAsJavaScriptException();
	} catch (...) {
		// napi_throw itself failed: the environment is being torn down and runs no JS to throw to
	}
}

void ThrowNoMemory(napi_env env) noexcept
{
	if (napi_throw_error(env, "ENOMEM", "out of memory") != napi_ok) {
		// nothing left to report with: the environment runs no JS any more
	}
}

int32_t ArgI32(napi_env env, napi_value v, int32_t dflt)
{
	int32_t r;
	napi_status s = napi_get_value_int32(env, v, &r);
	if (s == napi_number_expected)
		return dflt;
	Check(env, s);
	return r;
}

uint32_t ArgU32(napi_env env, napi_value v, uint32_t dflt)
{
	uint32_t r;
	napi_status s = napi_get_value_uint32(env, v, &r);
	if (s == napi_number_expected)
		return dflt;
	Check(env, s);
	return r;
}

bool ArgBool(napi_env env, napi_value v, bool dflt)
{
	bool r;
	napi_status s = napi_get_value_bool(env, v, &r);
	if (s == napi_boolean_expected)
		return dflt;
	Check(env, s);
	return r;
}

bool IsBuffer(napi_env env, napi_value v)
{
	bool r;
	Check(env, napi_is_buffer(env, v, &r));
	return r;
}

napi_valuetype TypeOf(napi_env env, napi_value v)
{
	napi_valuetype t;
	Check(env, napi_typeof(env, v, &t));
	return t;
}

Napi::Value Int(napi_env env, int64_t v)
{
	napi_value r;
	Check(env, napi_create_int64(env, v, &r));
	return Napi::Value(env, r);
}

void ThrowErrno(napi_env env, int err, const char *syscall)
{
	char msg[256];

	if (err < 0)
		err = -err;
	const char *name = uv_err_name(-err); // libuv knows every errno name (EBUSY, ENOTCONN ...)
	snprintf(msg, sizeof(msg), "%s %s (%s)", syscall, name, strerror(err));
	Napi::Error e = Napi::Error::New(env, msg);
	e.Set("code", Napi::String::New(env, name));
	e.Set("errno", Int(env, -err));
	e.Set("syscall", Napi::String::New(env, syscall));
	throw e;
}

// ---- the per-environment state -------------------------------------------------------------------------

Addon::Addon(Napi::Env env) : env_(env)
{
	Check(env, napi_get_uv_event_loop(env, &uv_));
	core_loop_.addon = this;
	LoopInit();
}

static void CleanupHook(void *arg) noexcept
{
	static_cast<Addon *>(arg)->Cleanup();
}

Addon::~Addon()
{
	if (!cleaned_) {
		// finalised before the cleanup hook ran (not Node's order today, but nothing promises it): the hook
		// must not run on freed memory
		if (napi_remove_env_cleanup_hook(env_, CleanupHook, this) != napi_ok)
			napi_fatal_error("osmo_io", NAPI_AUTO_LENGTH, "cannot remove the cleanup hook", NAPI_AUTO_LENGTH);
		Cleanup();
	}
}

// Drops a reference at teardown. A failure cannot be reported: the environment runs no more JS.
template <typename R>
static void Drop(R &ref) noexcept
{
	try {
		ref.Reset();
	} catch (const Napi::Error &) {
		ref.SuppressDestruct();
	}
}

// The environment goes away (a worker exits, the main thread ends): free its iofds, its ctx (ring, eventfd)
// and close its libuv handles. Runs before the instance data's finaliser.
void Addon::Cleanup() noexcept
{
	if (cleaned_)
		return;
	cleaned_ = true;
	fdst_ = nullptr; // nothing is synced for JS any more
	for (Nfd *n : slots_)
		if (n && n->iofd) {
			oio_fd_free(n->iofd); // (drops its held reads)
			n->iofd = nullptr;
		}
	if (ctx_)
		oio_ctx_free(ctx_); // may still call back for in-flight operations: the Nfds live until after it
	ctx_ = nullptr;
	for (Nfd *n : slots_)
		if (n) {
			Drop(n->seg);
			delete n;
		}
	slots_.clear();
	free_slots_.clear();
	FreeAlwaysReady();
	free(rec_);
	free(slab_);
	rec_ = nullptr;
	slab_ = nullptr;
	nev_ = rec_cap_ = 0;
	slab_len_ = slab_cap_ = 0;
	LoopClose();
	Drop(on_events_);
	Drop(resource_);
	Drop(ev_ref_);
	Drop(fdst_ref_);
	fdst_cap_ = 0;
	ev_ = nullptr;
	if (actx_ && napi_async_destroy(env_, actx_) != napi_ok) {
		// the environment is being torn down: its async-hooks state goes with it
	}
	actx_ = nullptr;
}

// ---- bindings ------------------------------------------------------------------------------------------

// init(onEvents, events: Int32Array, backend: 'poll'|'io_uring', uringEntries, immediate, noDefer, readSqes,
//      batchWaitUs, noMultishot)
Napi::Value Addon::Init(const napi_value *argv)
{
	napi_env env = env_;
	char backend[16] = "", why[256] = "";
	size_t blen;
	int err;

	if (ctx_)
		return Napi::Value();
	if (TypeOf(env, argv[0]) != napi_function)
		throw Napi::TypeError::New(env, "onEvents must be a function");
	napi_typedarray_type tt;
	size_t len;
	void *data = nullptr;
	if (TypeOf(env, argv[1]) == napi_object) {
		bool ta;
		Check(env, napi_is_typedarray(env, argv[1], &ta));
		if (!ta)
			tt = napi_int8_array, len = 0;
		else
			Check(env, napi_get_typedarray_info(env, argv[1], &tt, &len, &data, nullptr, nullptr));
	} else {
		tt = napi_int8_array, len = 0;
	}
	if (tt != napi_int32_array || len < EV_CAPACITY * EV_SIZE) {
		Napi::RangeError e = Napi::RangeError::New(env, "event array too small");
		e.Set("code", Napi::String::New(env, "ERR_OSMO_IO_INTERNAL"));
		throw e;
	}
	Check(env, napi_get_value_string_utf8(env, argv[2], backend, sizeof(backend), &blen));
	oio_ctx_opts o{};
	o.backend = strcmp(backend, "io_uring") == 0 ? OIO_BACKEND_IO_URING : OIO_BACKEND_POLL;
	o.uring_entries = ArgU32(env, argv[3], 0);
	o.uring_immediate = ArgBool(env, argv[4], false);
	o.uring_no_defer = ArgBool(env, argv[5], false);
	o.read_sqes = ArgU32(env, argv[6], 0);
	unsigned wait_us = ArgU32(env, argv[7], 0);
	o.uring_no_multishot = ArgBool(env, argv[8], false);
	unsigned coalesce_us = ArgU32(env, argv[9], 0);

	// the JS side first, so that a failure here leaves no ctx behind
	Napi::FunctionReference on_events = Napi::Persistent(Napi::Function(env, argv[0]));
	Napi::Reference<Napi::Int32Array> ev_ref = Napi::Persistent(Napi::Int32Array(env, argv[1]));
	Napi::ObjectReference resource = Napi::Persistent(Napi::Object::New(env));
	napi_async_context actx;
	Check(env, napi_async_init(env, resource.Value(), Napi::String::New(env, "OSMO_IO"), &actx));

	ctx_ = oio_ctx_new(&core_loop_.loop, &o, &err, why, sizeof(why));
	if (!ctx_) {
		if (napi_async_destroy(env, actx) != napi_ok) {
			// the error below is the one to report
		}
		char msg[400];
		snprintf(msg, sizeof(msg), "cannot use the %s backend: %s", backend, why[0] ? why : strerror(-err));
		Napi::Error e = Napi::Error::New(env, msg);
		e.Set("code", Napi::String::New(env, "ERR_OSMO_IO_BACKEND"));
		e.Set("errno", Int(env, err));
		throw e;
	}
	on_events_ = std::move(on_events);
	ev_ref_ = std::move(ev_ref);
	resource_ = std::move(resource);
	actx_ = actx;
	ev_ = static_cast<int32_t *>(data);
	bw_.wait_us = wait_us;
	coalesce_us_ = coalesce_us;
	return Napi::Value();
}

static Napi::Value ProbeUring(Napi::Env env, const napi_value *)
{
	char why[256] = "";
	if (oio_uring_probe(why, sizeof(why)) == 0)
		return env.Null();
	return Napi::String::New(env, why);
}

Napi::Value Addon::Stats(const napi_value *)
{
	Napi::Env env = env_;
	Napi::Object o = Napi::Object::New(env);
	if (!ctx_)
		return o;
	const oio_stats *s = oio_ctx_stats(ctx_);
	o.Set("syscalls", Int(env, (int64_t)s->syscalls));
	o.Set("reads", Int(env, (int64_t)s->reads));
	o.Set("writes", Int(env, (int64_t)s->writes));
	o.Set("wakeups", Int(env, (int64_t)s->wakeups));
	o.Set("uringBacklog", Int(env, (int64_t)s->uring_backlog));
	o.Set("uringSqes", Int(env, (int64_t)s->uring_sqes));
	o.Set("uringStaleWaits", Int(env, (int64_t)s->uring_stale_waits));
	o.Set("truncated", Int(env, (int64_t)s->truncated));
	o.Set("uringNoBufs", Int(env, (int64_t)s->uring_nobufs));
	o.Set("uringSleeps", Int(env, (int64_t)s->uring_sleeps));
	o.Set("uringEntries", Int(env, s->uring_entries));
	o.Set("uringFlags", Int(env, s->uring_flags));
	// the glue's own: event batches handed to JS, records waiting in C right now, and the batch-wait policy
	o.Set("dispatches", Int(env, (int64_t)dispatches_));
	o.Set("sleepDispatches", Int(env, (int64_t)sleep_dispatches_));
	o.Set("eventsQueued", Int(env, nev_));
	o.Set("batchWaits", Int(env, (int64_t)bw_.waits));
	o.Set("batchWaitsFull", Int(env, (int64_t)bw_.waits_full));
	o.Set("batchWaitsOut", Int(env, (int64_t)bw_.waits_out));
	o.Set("batchWaitBackoff", Int(env, bw_.backoff));
	o.Set("batchWaitSkip", Int(env, bw_.skip));
	return o;
}

// batchWaitPolicy(ops: Int32Array, waitUs) -> Int32Array, for tests: runs the batch-wait policy of the dispatch
// rounds (BatchWait) on a script, without a ring or a clock. ops[i] = -1: a new loop iteration (result: the
// iterations still to skip); ops[i] = 2 * n + got: a round that dispatched n events (result: the completions
// the policy waits for, 0 = none; when it waits, got (0/1) says whether they came).
static Napi::Value BatchWaitPolicy(Napi::Env env, const napi_value *argv)
{
	napi_typedarray_type tt;
	size_t len;
	void *data;
	Check(env, napi_get_typedarray_info(env, argv[0], &tt, &len, &data, nullptr, nullptr));
	if (tt != napi_int32_array)
		throw Napi::TypeError::New(env, "ops must be an Int32Array");
	const int32_t *ops = static_cast<const int32_t *>(data);
	Napi::Int32Array out = Napi::Int32Array::New(env, len);
	BatchWait bw;
	bw.wait_us = ArgU32(env, argv[1], 50);
	for (size_t i = 0; i < len; i++) {
		if (ops[i] < 0) {
			bw.iteration();
			out[i] = (int32_t)bw.skip;
			continue;
		}
		unsigned k = bw.want((unsigned)ops[i] >> 1);
		out[i] = (int32_t)k;
		if (k)
			bw.waited(ops[i] & 1);
	}
	return out;
}

// The names of the JS <-> native seam (event record, event types, per-slot state, modes, ops, segmentation
// kinds), exported once: TS reads them from here instead of writing the numbers again.
static Napi::Object Layout(Napi::Env env)
{
	static const struct {
		const char *name;
		int32_t v;
	} k[] = {
#define K(x) { #x, x }
		K(EV_SLOT), K(EV_GEN), K(EV_TYPE), K(EV_RES), K(EV_OFF), K(EV_LEN), K(EV_AOFF), K(EV_ALEN), K(EV_COFF),
		K(EV_CLEN), K(EV_FLAGS), K(EV_TOKEN), K(EV_SIZE), K(EV_CAPACITY),
		K(EVT_READ), K(EVT_WRITE), K(EVT_CONNECTED),
		K(FS_GEN), K(FS_TXLEN), K(FS_TXBYTES), K(FS_TXMAX), K(FS_REGISTERED), K(FS_HELD), K(FS_SIZE),
		K(SEG_NONE), K(SEG_LENPREFIX), K(SEG_JS),
#undef K
		{ "MODE_READ_WRITE", OIO_MODE_READ_WRITE }, { "MODE_RECVFROM_SENDTO", OIO_MODE_RECVFROM_SENDTO },
		{ "MODE_RECVMSG_SENDMSG", OIO_MODE_RECVMSG_SENDMSG }, { "MODE_ACCEPT", OIO_MODE_ACCEPT },
		{ "OP_READ", OIO_OP_READ }, { "OP_WRITE", OIO_OP_WRITE },
		{ "TXQUEUE_MAX_DEFAULT", OIO_DEFAULT_TXQUEUE_MAX },
	};
	Napi::Object o = Napi::Object::New(env);
	for (const auto &e : k)
		o.Set(e.name, Int(env, e.v));
	o.Freeze();
	return o;
}

static napi_value InitModule(napi_env env, napi_value exports) noexcept
{
	Addon *a = nullptr;
	try {
		a = new Addon(Napi::Env(env));
		Check(env, napi_set_instance_data(
				   env, a, [](napi_env, void *data, void *) { delete static_cast<Addon *>(data); }, nullptr));
	} catch (const Napi::Error &e) {
		delete a;
		ThrowPending(env, e);
		return nullptr;
	} catch (const std::bad_alloc &) {
		delete a;
		ThrowNoMemory(env);
		return nullptr;
	}
	// from here the instance data owns a
	try {
		Check(env, napi_add_env_cleanup_hook(env, CleanupHook, a));
		Napi::Object ex(env, exports);
		napi_property_descriptor p[] = {
#define F(name, fn) { name, nullptr, fn, nullptr, nullptr, nullptr, napi_default, nullptr }
			F("init", (Method<10, &Addon::Init>)),
			F("probeUring", (Static<0, ProbeUring>)),
			F("stats", (Method<0, &Addon::Stats>)),
			F("batchWaitPolicy", (Static<2, BatchWaitPolicy>)),
#undef F
		};
		Check(env, napi_define_properties(env, exports, sizeof(p) / sizeof(p[0]), p));
		DefineIofdBindings(ex.Env(), ex);
		DefineSockBindings(ex.Env(), ex);
		ex.Set("layout", Layout(ex.Env()));
	} catch (const Napi::Error &e) {
		ThrowPending(env, e);
		return nullptr;
	} catch (const std::bad_alloc &) {
		ThrowNoMemory(env);
		return nullptr;
	}
	return exports;
}

} // namespace osmo_io

NAPI_MODULE_INIT()
{
	return osmo_io::InitModule(env, exports);
}
