/* N-API glue of @osmo/io: shared declarations. */
#ifndef OSMO_IO_ADDON_H
#define OSMO_IO_ADDON_H

#include <node_api.h>
#include <uv.h>
#include "oio.h"

/* The JS side reads every name below from the addon's `layout` object (addon.c): this is their one definition. */

/* One event record in the Int32Array shared with JS. EV_GEN: the core's fd generation when the event was made. */
enum { EV_SLOT, EV_GEN, EV_TYPE, EV_RES, EV_OFF, EV_LEN, EV_AOFF, EV_ALEN, EV_COFF, EV_CLEN, EV_FLAGS, EV_TOKEN, EV_SIZE };
enum { EVT_READ = 1, EVT_WRITE = 2, EVT_CONNECTED = 3 };
#define EV_CAPACITY 8192

/* Per-slot state the glue copies from the core after every call that may change it (fdState(): an Int32Array,
 * FS_SIZE values per slot), so JS reads the core's facts without a call: its fd generation, the tx queue's length,
 * unsent bytes and limit, whether it is registered, and how many of its reads the glue holds (FS_HELD, see park()). */
enum { FS_GEN, FS_TXLEN, FS_TXBYTES, FS_TXMAX, FS_REGISTERED, FS_HELD, FS_SIZE };

/* setSegmentation() kinds */
enum { SEG_NONE = 0, SEG_LENPREFIX = 1, SEG_JS = 2 };

/* A read record JS could not deliver (reading off or unregistered when its batch ran), with its bytes. */
struct held {
	struct held *next;
	int32_t rec[EV_SIZE];
	uint32_t len, alen, clen;
	uint8_t data[];
};

struct nfd {
	struct oio_fd *iofd;
	struct env *env;
	uint32_t slot;
	napi_ref seg_fn;     /* JS segmentation callback, if any */
	bool ref;            /* keeps the loop alive while registered */
	bool counted;        /* contributes to env->refs */
	struct held *held, **held_tail; /* parked reads, oldest first: delivered again before anything newer */
	uint32_t nheld;
	struct nfd *release_next;       /* on env->release: held reads go back into the batch when dispatch ends */
	bool release_queued;
};

struct uv_watch;

struct env {
	napi_env napi;
	uv_loop_t *uv;
	struct oio_loop loop;
	struct oio_ctx *ctx;
	uv_prepare_t prepare;
	uv_check_t check;
	uv_idle_t idle;
	bool prepare_ref;
	struct uv_watch *always_ready;
	bool flush_wanted;
	napi_ref on_events;
	napi_ref resource;
	napi_async_context actx;
	napi_ref ev_ref;
	int32_t *ev;                 /* the Int32Array shared with JS: EV_CAPACITY records */
	int32_t *rec;                /* this iteration's records, copied into ev at dispatch */
	uint32_t nev, rec_cap;
	int fatal_err;               /* the backend failed for good (-errno); JS throws it once */
	bool fatal_told;
	char fatal_what[32];
	unsigned batch_wait_us;      /* io_uring: see on_check() */
	unsigned wait_backoff, wait_skip;
	uint8_t *slab;
	size_t slab_len, slab_cap;
	bool dispatching;
	int refs;
	struct nfd **slots;
	uint32_t nslots, slot_cap;
	uint32_t *free_slots;
	uint32_t nfree;
	int32_t *fdst;               /* FS_SIZE values per slot, in an ArrayBuffer JS holds (fdst_ref) */
	napi_ref fdst_ref;
	uint32_t fdst_cap;           /* slots it has room for */
	struct nfd *release;         /* iofds whose held reads are released at the end of the running dispatch */
};

/* uv_loop.c */
void loop_adapter_init(struct env *e);
void loop_update_ref(struct env *e);
/* events.c */
int32_t *ev_push(struct env *e, struct nfd *n, int type, int res);
int32_t slab_put(struct env *e, const void *data, size_t len);
void ev_dispatch(struct env *e);
void ev_fail(struct env *e, int err, const char *what);
void ev_idle_noop(uv_idle_t *h);
int ev_hold(struct env *e, struct nfd *n, uint32_t b);
void ev_release_held(struct nfd *n);
void ev_drop_held(struct nfd *n);
extern const struct oio_cbs nfd_cbs;
/* bindings */
napi_value iofd_bindings(napi_env env, napi_value exports);
napi_value sock_bindings(napi_env env, napi_value exports);
struct env *env_get(napi_env env);
struct nfd *nfd_get(napi_env env, napi_value slot);
void nfd_set_ref(struct nfd *n);
void nfd_sync(struct nfd *n);

/* helpers */
#define NAPI_OK(call) do { if ((call) != napi_ok) return NULL; } while (0)
napi_value js_int(napi_env env, int64_t v);
int32_t arg_i32(napi_env env, napi_value v, int32_t dflt);
napi_value throw_errno(napi_env env, int err, const char *syscall);
int sockaddr_from_js(napi_env env, napi_value v, union oio_sockaddr *sa);
napi_value layout_object(napi_env env);

#endif
