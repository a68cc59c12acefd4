/* Module entry of @osmo/io: per-environment state (main thread and each worker), init, stats, helpers. */
#include "addon.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

napi_value js_int(napi_env env, int64_t v)
{
	napi_value r;
	napi_create_int64(env, v, &r);
	return r;
}

int32_t arg_i32(napi_env env, napi_value v, int32_t dflt)
{
	int32_t r;
	return napi_get_value_int32(env, v, &r) == napi_ok ? r : dflt;
}

napi_value throw_errno(napi_env env, int err, const char *syscall)
{
	char msg[256];
	napi_value m, code, e;
	const char *name = NULL;

	if (err < 0)
		err = -err;
	name = uv_err_name(-err); /* libuv knows every errno name (EBUSY, ENOTCONN ...) */
	snprintf(msg, sizeof(msg), "%s %s (%s)", syscall, name, strerror(err));
	napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
	napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
	napi_create_error(env, code, m, &e);
	napi_set_named_property(env, e, "errno", js_int(env, -err));
	napi_value sc;
	napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
	napi_set_named_property(env, e, "syscall", sc);
	napi_throw(env, e);
	return NULL;
}

static void env_cleanup(void *arg)
{
	struct env *e = arg;

	e->fdst = NULL; /* the ArrayBuffer may be gone already */
	for (uint32_t i = 0; i < e->nslots; i++) {
		if (e->slots[i]) {
			ev_drop_held(e->slots[i]);
			oio_fd_free(e->slots[i]->iofd);
			free(e->slots[i]);
		}
	}
	free(e->slots);
	free(e->free_slots);
	free(e->rec);
	free(e->slab);
	e->rec = NULL;
	e->slab = NULL;
	e->nev = e->rec_cap = 0;
	if (e->ctx)
		oio_ctx_free(e->ctx);
	e->ctx = NULL;
	uv_close((uv_handle_t *)&e->prepare, NULL);
	uv_close((uv_handle_t *)&e->check, NULL);
	uv_close((uv_handle_t *)&e->idle, NULL);
	/* the handles live in *e: keep it (a few hundred bytes once per environment) since their close
	 * callbacks may run after this hook */
}

struct env *env_get(napi_env env)
{
	struct env *e = NULL;
	napi_get_instance_data(env, (void **)&e);
	return e;
}

/* init(onEvents, events: Int32Array, backend: 'poll'|'io_uring', uringEntries, immediate, noDefer, readSqes,
 *      batchWaitUs, noMultishot) */
static napi_value n_init(napi_env env, napi_callback_info info)
{
	size_t argc = 9;
	napi_value argv[9], name;
	struct env *e = env_get(env);
	char backend[16] = "", why[256] = "";
	size_t blen;
	int err;

	NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (e->ctx)
		return NULL;
	napi_typedarray_type tt;
	size_t len;
	void *data;
	napi_value ab;
	size_t off;
	NAPI_OK(napi_get_typedarray_info(env, argv[1], &tt, &len, &data, &ab, &off));
	if (tt != napi_int32_array || len < EV_CAPACITY * EV_SIZE) {
		napi_throw_range_error(env, "ERR_OSMO_IO_INTERNAL", "event array too small");
		return NULL;
	}
	NAPI_OK(napi_create_reference(env, argv[0], 1, &e->on_events));
	NAPI_OK(napi_create_reference(env, argv[1], 1, &e->ev_ref));
	e->ev = data;
	napi_get_value_string_utf8(env, argv[2], backend, sizeof(backend), &blen);
	struct oio_ctx_opts o = {
		.backend = strcmp(backend, "io_uring") == 0 ? OIO_BACKEND_IO_URING : OIO_BACKEND_POLL,
		.uring_entries = (unsigned)arg_i32(env, argv[3], 0),
	};
	bool b = false;
	napi_get_value_bool(env, argv[4], &b);
	o.uring_immediate = b;
	b = false;
	napi_get_value_bool(env, argv[5], &b);
	o.uring_no_defer = b;
	o.read_sqes = (unsigned)arg_i32(env, argv[6], 0);
	e->batch_wait_us = (unsigned)arg_i32(env, argv[7], 0);
	b = false;
	napi_get_value_bool(env, argv[8], &b);
	o.uring_no_multishot = b;
	e->ctx = oio_ctx_new(&e->loop, &o, &err, why, sizeof(why));
	if (!e->ctx) {
		napi_value m, code, ex;
		char msg[400];
		snprintf(msg, sizeof(msg), "cannot use the %s backend: %s", backend, why[0] ? why : strerror(-err));
		napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
		napi_create_string_utf8(env, "ERR_OSMO_IO_BACKEND", NAPI_AUTO_LENGTH, &code);
		napi_create_error(env, code, m, &ex);
		napi_set_named_property(env, ex, "errno", js_int(env, err));
		napi_throw(env, ex);
		return NULL;
	}
	napi_value resource;
	napi_create_object(env, &resource);
	napi_create_reference(env, resource, 1, &e->resource);
	napi_create_string_utf8(env, "OSMO_IO", NAPI_AUTO_LENGTH, &name);
	napi_async_init(env, resource, name, &e->actx);
	return NULL;
}

static napi_value n_probe_uring(napi_env env, napi_callback_info info)
{
	char why[256] = "";
	napi_value r;
	(void)info;
	if (oio_uring_probe(why, sizeof(why)) == 0)
		napi_get_null(env, &r);
	else
		napi_create_string_utf8(env, why, NAPI_AUTO_LENGTH, &r);
	return r;
}

static napi_value n_stats(napi_env env, napi_callback_info info)
{
	struct env *e = env_get(env);
	napi_value o;
	(void)info;
	napi_create_object(env, &o);
	if (!e->ctx)
		return o;
	const struct oio_stats *s = oio_ctx_stats(e->ctx);
	napi_set_named_property(env, o, "syscalls", js_int(env, (int64_t)s->syscalls));
	napi_set_named_property(env, o, "reads", js_int(env, (int64_t)s->reads));
	napi_set_named_property(env, o, "writes", js_int(env, (int64_t)s->writes));
	napi_set_named_property(env, o, "wakeups", js_int(env, (int64_t)s->wakeups));
	napi_set_named_property(env, o, "uringBacklog", js_int(env, (int64_t)s->uring_backlog));
	napi_set_named_property(env, o, "uringSqes", js_int(env, (int64_t)s->uring_sqes));
	napi_set_named_property(env, o, "uringStaleWaits", js_int(env, (int64_t)s->uring_stale_waits));
	napi_set_named_property(env, o, "truncated", js_int(env, (int64_t)s->truncated));
	napi_set_named_property(env, o, "uringNoBufs", js_int(env, (int64_t)s->uring_nobufs));
	napi_set_named_property(env, o, "uringEntries", js_int(env, s->uring_entries));
	napi_set_named_property(env, o, "uringFlags", js_int(env, s->uring_flags));
	return o;
}

/* The names of the JS <-> native seam (event record, event types, per-slot state, modes, ops, segmentation kinds),
 * exported once: TS reads them from here instead of writing the numbers again. */
napi_value layout_object(napi_env env)
{
	static const struct { const char *name; int32_t v; } k[] = {
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
	napi_value o;

	NAPI_OK(napi_create_object(env, &o));
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		NAPI_OK(napi_set_named_property(env, o, k[i].name, js_int(env, k[i].v)));
	NAPI_OK(napi_object_freeze(env, o));
	return o;
}

static napi_value init_module(napi_env env, napi_value exports)
{
	struct env *e = calloc(1, sizeof(*e));
	napi_property_descriptor props[] = {
		{ "init", NULL, n_init, NULL, NULL, NULL, napi_default, NULL },
		{ "probeUring", NULL, n_probe_uring, NULL, NULL, NULL, napi_default, NULL },
		{ "stats", NULL, n_stats, NULL, NULL, NULL, napi_default, NULL },
	};

	if (!e)
		return NULL;
	e->napi = env;
	napi_get_uv_event_loop(env, &e->uv);
	loop_adapter_init(e);
	napi_set_instance_data(env, e, NULL, NULL);
	napi_add_env_cleanup_hook(env, env_cleanup, e);
	napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
	iofd_bindings(env, exports);
	sock_bindings(env, exports);
	napi_value layout = layout_object(env);
	if (!layout)
		return NULL;
	napi_set_named_property(env, exports, "layout", layout);
	return exports;
}

NAPI_MODULE_INIT()
{
	return init_module(env, exports);
}
