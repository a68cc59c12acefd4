// N-API glue of @osmo/io (node-addon-api, C++17): the per-environment state and what the glue files share.
//
// Errors: built with C++ exceptions (NAPI_CPP_EXCEPTIONS). Every node-addon-api call checks its napi_status and
// throws Napi::Error on failure, and every direct napi_* call goes through Check(), so no status can be ignored
// by forgetting an IsExceptionPending() test. A binding's exception becomes a JS exception at its boundary
// (Method<> below). Code that C calls (libuv callbacks, the core's callbacks, the cleanup hook) is noexcept and
// catches what it calls: an exception never unwinds through C frames. The throwing paths cost nothing until
// they throw (zero-cost unwinding), so the hot paths are what they were in C.
#ifndef OSMO_IO_ADDON_HH
#define OSMO_IO_ADDON_HH

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <new>
#include <vector>

#include "oio.h" // C, loop-agnostic; declares itself extern "C"

namespace osmo_io {

// The JS side reads every name below from the addon's `layout` object (addon.cc): this is their one definition.

// One event record in the Int32Array shared with JS. EV_GEN: the core's fd generation when the event was made.
enum { EV_SLOT, EV_GEN, EV_TYPE, EV_RES, EV_OFF, EV_LEN, EV_AOFF, EV_ALEN, EV_COFF, EV_CLEN, EV_FLAGS, EV_TOKEN, EV_SIZE };
enum { EVT_READ = 1, EVT_WRITE = 2, EVT_CONNECTED = 3 };
constexpr uint32_t EV_CAPACITY = 8192;

// Per-slot state the glue copies from the core after every call that may change it (fdState(): an Int32Array,
// FS_SIZE values per slot), so JS reads the core's facts without a call: its fd generation, the tx queue's
// length, unsent bytes and limit, whether it is registered, and how many of its reads the core holds (FS_HELD:
// kept in step by the core's `held` callback; see park()).
enum { FS_GEN, FS_TXLEN, FS_TXBYTES, FS_TXMAX, FS_REGISTERED, FS_HELD, FS_SIZE };

// setSegmentation() kinds
enum { SEG_NONE = 0, SEG_LENPREFIX = 1, SEG_JS = 2 };

class Addon;

// Throws the pending JS exception or the last N-API error of env.
inline void Check(napi_env env, napi_status s)
{
	if (s != napi_ok)
		throw Napi::Error::New(env);
}

// A JS-visible iofd: the core's object plus what the glue keeps for it.
struct Nfd {
	oio_fd *iofd = nullptr;
	Addon *addon = nullptr;
	uint32_t slot = 0;
	Napi::FunctionReference seg; // JS segmentation callback, if any
	bool ref = true;             // keeps the loop alive while registered
	bool counted = false;        // contributes to Addon::refs_
};

// The batch-wait policy of the io_uring dispatch rounds (uv_loop.cc). Plain data and pure decisions, so the
// test binding batchWaitPolicy() runs the very same code.
struct BatchWait {
	unsigned wait_us = 0;  // 0: never wait (poll backend, or OSMO_IO_URING_BATCH_WAIT_US=0)
	unsigned backoff = 0;  // loop iterations skipped after the last wait that ran out
	unsigned skip = 0;     // iterations still to skip
	// counters for stats()
	uint64_t waits = 0, waits_full = 0, waits_out = 0;

	void iteration() { if (skip) skip--; }
	// completions to wait for after a round that dispatched n events; 0: don't wait
	unsigned want(unsigned n) const;
	// the wait for want(n) completions ended: got them (true) or ran out
	void waited(bool got);
};

// The libuv handles of one environment. They outlive the Addon (their close callbacks may run after the
// environment's teardown), so they live apart and free themselves once the last one is closed.
struct LoopHandles {
	uv_prepare_t prepare;
	uv_check_t check;
	uv_idle_t idle;
	Addon *addon;
	int open;
};

struct UvWatch;

// What the core holds of the loop adapter: standard layout, so its oio_loop leads to the Addon.
struct CoreLoop {
	oio_loop loop;
	Addon *addon;
};

// Everything one Node environment (the main thread, each worker) owns: its oio ctx (ring, eventfd), its libuv
// handles, its slots and its event batch. Kept as the environment's instance data; nothing is static.
class Addon {
public:
	explicit Addon(Napi::Env env);
	~Addon();
	Addon(const Addon &) = delete;
	Addon &operator=(const Addon &) = delete;

	static Addon *From(napi_env env) { return Napi::Env(env).GetInstanceData<Addon>(); }
	void Cleanup() noexcept; // the environment's cleanup hook

	Napi::Env env() const { return env_; }
	oio_ctx *ctx() const { return ctx_; }
	uv_loop_t *uv() const { return uv_; }

	// bindings (addon.cc, iofd_napi.cc)
	Napi::Value Init(const napi_value *argv);
	Napi::Value Stats(const napi_value *argv);
	Napi::Value Setup(const napi_value *argv);
	Napi::Value Register(const napi_value *argv);
	Napi::Value Unregister(const napi_value *argv);
	Napi::Value Close(const napi_value *argv);
	Napi::Value Free(const napi_value *argv);
	Napi::Value GetFd(const napi_value *argv);
	Napi::Value SetReadEnabled(const napi_value *argv);
	Napi::Value SetSegmentation(const napi_value *argv);
	Napi::Value SetAllocInfo(const napi_value *argv);
	Napi::Value SetIoBuffers(const napi_value *argv);
	Napi::Value SetSqes(const napi_value *argv);
	Napi::Value SetCmsgSize(const napi_value *argv);
	Napi::Value NotifyConnected(const napi_value *argv);
	Napi::Value TxqueueClear(const napi_value *argv);
	Napi::Value SetTxqueueMax(const napi_value *argv);
	Napi::Value FdState(const napi_value *argv);
	Napi::Value Park(const napi_value *argv);
	Napi::Value SetRef(const napi_value *argv);
	Napi::Value Submit(const napi_value *argv);

	// the event batch (events.cc)
	int32_t *Push(Nfd *n, int type, int res) noexcept;
	int32_t SlabPut(const void *data, size_t len) noexcept;
	void Dispatch() noexcept;
	void Fail(int err, const char *what) noexcept;
	void NfdHeld(Nfd *n, unsigned held) noexcept;

	// the loop adapter (uv_loop.cc)
	void LoopInit();
	void UpdateRef() noexcept;
	void NfdSetRef(Nfd *n) noexcept;
	void NfdSync(Nfd *n) noexcept;

	// libuv and core callbacks (uv_loop.cc); public because C calls them through static trampolines
	void OnPrepare() noexcept;
	int SleepInRing() noexcept;
	void OnCheck() noexcept;
	int Watch(oio_watch *w, unsigned events) noexcept;
	void Unwatch(oio_watch *w) noexcept;
	void FlushNeeded() noexcept;

	static Addon *Of(oio_loop *loop) { return reinterpret_cast<CoreLoop *>(loop)->addon; }

private:
	Nfd *NfdAt(napi_value slot);
	Nfd *NfdAt(uint32_t s) const { return s < slots_.size() ? slots_[s] : nullptr; }
	void CallJs(napi_value fn, uint32_t n, napi_value slab, napi_value fatal) noexcept;
	napi_value FatalValue();
	bool Flush(unsigned min_complete, unsigned timeout_us) noexcept;
	bool FlushRound(unsigned n) noexcept;
	bool RunAlwaysReady() noexcept;
	void FdStateGrow(uint32_t cap);
	void FreeAlwaysReady() noexcept;
	void LoopClose() noexcept;

	Napi::Env env_;
	uv_loop_t *uv_ = nullptr;
	oio_ctx *ctx_ = nullptr;
	CoreLoop core_loop_{};
	LoopHandles *h_ = nullptr;
	bool prepare_ref_ = false;
	bool flush_wanted_ = false;
	UvWatch *always_ready_ = nullptr;
	// JS side of the batch
	Napi::FunctionReference on_events_;
	Napi::ObjectReference resource_;
	Napi::Reference<Napi::Int32Array> ev_ref_;
	napi_async_context actx_ = nullptr;
	int32_t *ev_ = nullptr;       // the Int32Array shared with JS: EV_CAPACITY records
	// this iteration's records (copied into ev_ at dispatch) and payloads; they only grow
	int32_t *rec_ = nullptr;
	uint32_t nev_ = 0, rec_cap_ = 0;
	uint32_t nread_ = 0;          // read records made since the last dispatch round: its arrivals (batch wait)
	uint8_t *slab_ = nullptr;
	size_t slab_len_ = 0, slab_cap_ = 0;
	bool dispatching_ = false;
	uint64_t dispatches_ = 0;     // onEvents calls (stats)
	uint64_t sleep_dispatches_ = 0; // wake-ups of a ring sleep handed to JS from the prepare phase (stats)
	int fatal_err_ = 0;           // the backend failed for good (-errno); JS throws it once
	bool fatal_told_ = false;
	char fatal_what_[32] = "";
	BatchWait bw_;
	unsigned coalesce_us_ = 0;    // OSMO_IO_URING_COALESCE_US: see oio_ctx_sleep()
	bool no_ring_sleep_ = false;  // the context sleeps in libuv's epoll_wait (poll backend, no DEFER_TASKRUN)
	bool coalesced_ = false;      // this iteration's events came from a coalescing sleep (until the check phase ends)
	int refs_ = 0;
	std::vector<Nfd *> slots_;
	std::vector<uint32_t> free_slots_;
	// FS_SIZE values per slot, in an ArrayBuffer JS holds too (fdState())
	int32_t *fdst_ = nullptr;
	uint32_t fdst_cap_ = 0;      // slots it has room for
	Napi::Reference<Napi::ArrayBuffer> fdst_ref_;
	bool cleaned_ = false;
};

// The core's callbacks (events.cc).
extern const oio_cbs nfd_cbs;

// ---- binding helpers ------------------------------------------------------------------------------------

// A binding: its arguments land in a stack array (node-addon-api's CallbackInfo allocates on the heap beyond
// six, and submit() takes eight once per batch), the environment's Addon comes from its instance data, and a
// C++ exception becomes the JS exception.
void ThrowPending(napi_env env, const Napi::Error &e) noexcept;
void ThrowNoMemory(napi_env env) noexcept;

using Binding = Napi::Value (Addon::*)(const napi_value *);
using StaticBinding = Napi::Value (*)(Napi::Env, const napi_value *);

template <size_t N, Binding M>
napi_value Method(napi_env env, napi_callback_info info) noexcept
{
	try {
		napi_value argv[N ? N : 1];
		size_t argc = N;
		Check(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr)); // missing ones: undefined
		return (Addon::From(env)->*M)(argv);
	} catch (const Napi::Error &e) {
		ThrowPending(env, e);
	} catch (const std::bad_alloc &) {
		ThrowNoMemory(env);
	}
	return nullptr;
}

// The same for the stateless socket bindings.
template <size_t N, StaticBinding F>
napi_value Static(napi_env env, napi_callback_info info) noexcept
{
	try {
		napi_value argv[N ? N : 1];
		size_t argc = N;
		Check(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
		return F(Napi::Env(env), argv);
	} catch (const Napi::Error &e) {
		ThrowPending(env, e);
	} catch (const std::bad_alloc &) {
		ThrowNoMemory(env);
	}
	return nullptr;
}

// Argument readers: a value of another type gives the default (the JS layer validated already); any other
// failure throws.
int32_t ArgI32(napi_env env, napi_value v, int32_t dflt);
uint32_t ArgU32(napi_env env, napi_value v, uint32_t dflt);
bool ArgBool(napi_env env, napi_value v, bool dflt);
bool IsBuffer(napi_env env, napi_value v);
napi_valuetype TypeOf(napi_env env, napi_value v);
Napi::Value Int(napi_env env, int64_t v);
[[noreturn]] void ThrowErrno(napi_env env, int err, const char *syscall);

int SockaddrFromJs(napi_env env, napi_value v, union oio_sockaddr *sa);

void DefineIofdBindings(Napi::Env env, Napi::Object exports);
void DefineSockBindings(Napi::Env env, Napi::Object exports);

} // namespace osmo_io

#endif
