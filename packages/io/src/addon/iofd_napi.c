/* N-API bindings of the iofd: setup/register/close, configuration, and the batched submit of writes. */
#include "addon.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ARGS(n) size_t argc = n; napi_value argv[n]; \
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL; \
	for (size_t i_ = argc; i_ < n; i_++) napi_get_undefined(env, &argv[i_])

static struct nfd *nfd_at(struct env *e, uint32_t s)
{
	return s < e->nslots ? e->slots[s] : NULL;
}

struct nfd *nfd_get(napi_env env, napi_value slot)
{
	uint32_t s;

	if (napi_get_value_uint32(env, slot, &s) != napi_ok)
		return NULL;
	return nfd_at(env_get(env), s);
}

void nfd_set_ref(struct nfd *n)
{
	bool want = n->ref && n->iofd && oio_fd_registered(n->iofd);

	if (want == n->counted)
		return;
	n->counted = want;
	n->env->refs += want ? 1 : -1;
	loop_update_ref(n->env);
}

/* Copy the core's per-fd facts into the state array JS reads (see FS_* in addon.h). */
void nfd_sync(struct nfd *n)
{
	int32_t *s = n->env->fdst + (size_t)n->slot * FS_SIZE;
	size_t bytes;

	if (!n->iofd)
		return;
	bytes = oio_fd_txqueue_bytes(n->iofd);
	s[FS_GEN] = (int32_t)oio_fd_generation(n->iofd);
	s[FS_TXLEN] = (int32_t)oio_fd_txqueue_len(n->iofd);
	s[FS_TXBYTES] = bytes > INT32_MAX ? INT32_MAX : (int32_t)bytes;
	s[FS_REGISTERED] = oio_fd_registered(n->iofd);
}

/* Room for cap slots in the state array: a new ArrayBuffer (JS fetches it again with fdState()). */
static int fdst_grow(napi_env env, struct env *e, uint32_t cap)
{
	napi_value ab;
	void *data;

	if (cap <= e->fdst_cap)
		return 0;
	if (napi_create_arraybuffer(env, (size_t)cap * FS_SIZE * sizeof(int32_t), &data, &ab) != napi_ok)
		return -ENOMEM;
	memset(data, 0, (size_t)cap * FS_SIZE * sizeof(int32_t));
	if (e->fdst)
		memcpy(data, e->fdst, (size_t)e->fdst_cap * FS_SIZE * sizeof(int32_t));
	if (e->fdst_ref)
		napi_delete_reference(env, e->fdst_ref);
	if (napi_create_reference(env, ab, 1, &e->fdst_ref) != napi_ok) {
		e->fdst_ref = NULL;
		e->fdst = NULL;
		e->fdst_cap = 0;
		return -ENOMEM;
	}
	e->fdst = data;
	e->fdst_cap = cap;
	return 0;
}

/* fdState() -> Int32Array: FS_SIZE values per slot; replaced when setup() needs more slots than it has. */
static napi_value n_fd_state(napi_env env, napi_callback_info info)
{
	struct env *e = env_get(env);
	napi_value ab, r;
	(void)info;

	if (fdst_grow(env, e, 64) < 0)
		return throw_errno(env, ENOMEM, "fdState");
	NAPI_OK(napi_get_reference_value(env, e->fdst_ref, &ab));
	NAPI_OK(napi_create_typedarray(env, napi_int32_array, (size_t)e->fdst_cap * FS_SIZE, ab, 0, &r));
	return r;
}

static napi_value n_setup(napi_env env, napi_callback_info info)
{
	ARGS(2);
	struct env *e = env_get(env);
	int32_t mode = arg_i32(env, argv[0], -1), fd = arg_i32(env, argv[1], -1);
	struct nfd *n;
	uint32_t slot;

	if (!e->ctx) {
		napi_throw_error(env, "ERR_OSMO_IO_INTERNAL", "not initialised");
		return NULL;
	}
	if (fd >= 0 && fd == uv_backend_fd(e->uv))
		return throw_errno(env, EBUSY, "setup"); /* libuv's own epoll fd */
	n = calloc(1, sizeof(*n));
	if (!n)
		return throw_errno(env, ENOMEM, "setup");
	n->iofd = oio_fd_new(e->ctx, fd, (enum oio_mode)mode, &nfd_cbs, n);
	if (!n->iofd) {
		free(n);
		return throw_errno(env, mode >= 0 && mode <= OIO_MODE_ACCEPT && fd >= 0 ? EBUSY : EINVAL, "setup");
	}
	if (fdst_grow(env, e, 64) < 0) {
		oio_fd_free(n->iofd);
		free(n);
		return throw_errno(env, ENOMEM, "setup");
	}
	if (e->nfree) {
		slot = e->free_slots[--e->nfree];
	} else {
		if (e->nslots == e->slot_cap) {
			uint32_t cap = e->slot_cap ? e->slot_cap * 2 : 64;
			struct nfd **s = realloc(e->slots, cap * sizeof(*s));
			uint32_t *f = realloc(e->free_slots, cap * sizeof(*f));
			if (s)
				e->slots = s;
			if (f)
				e->free_slots = f;
			if (!s || !f || fdst_grow(env, e, cap) < 0) {
				oio_fd_free(n->iofd);
				free(n);
				return throw_errno(env, ENOMEM, "setup");
			}
			e->slot_cap = cap;
		}
		slot = e->nslots++;
	}
	e->slots[slot] = n;
	n->env = e;
	n->slot = slot;
	n->ref = true;
	e->fdst[(size_t)slot * FS_SIZE + FS_TXMAX] = OIO_DEFAULT_TXQUEUE_MAX;
	nfd_sync(n);
	return js_int(env, slot);
}

static napi_value n_register(napi_env env, napi_callback_info info)
{
	ARGS(2);
	struct nfd *n = nfd_get(env, argv[0]);
	if (!n)
		return js_int(env, -EBADF);
	int fd = arg_i32(env, argv[1], -1);
	if ((fd >= 0 ? fd : oio_fd_get_fd(n->iofd)) == uv_backend_fd(n->env->uv))
		return js_int(env, -EBUSY); /* libuv's own epoll fd: closing it through an iofd would break the loop */
	ev_release_held(n); /* ahead of what the core reads from now on */
	int rc = oio_fd_register(n->iofd, fd);
	nfd_set_ref(n);
	nfd_sync(n);
	return js_int(env, rc);
}

static napi_value n_unregister(napi_env env, napi_callback_info info)
{
	ARGS(1);
	struct nfd *n = nfd_get(env, argv[0]);
	if (!n)
		return js_int(env, -EBADF);
	int rc = oio_fd_unregister(n->iofd);
	nfd_set_ref(n);
	nfd_sync(n);
	return js_int(env, rc);
}

/* close(slot): the core bumps the fd generation, so events of the old fd still in this batch are told apart */
static napi_value n_close(napi_env env, napi_callback_info info)
{
	ARGS(1);
	struct nfd *n = nfd_get(env, argv[0]);
	if (!n)
		return js_int(env, -EBADF);
	int rc = oio_fd_close(n->iofd);
	ev_drop_held(n); /* reads of the closed fd */
	nfd_set_ref(n);
	nfd_sync(n);
	return js_int(env, rc);
}

static napi_value n_free(napi_env env, napi_callback_info info)
{
	ARGS(1);
	struct nfd *n = nfd_get(env, argv[0]);
	struct env *e = env_get(env);
	if (!n)
		return NULL;
	/* from the finalizer: the fd may have been closed elsewhere and its number reused: never close that one */
	if (!oio_fd_registered(n->iofd))
		oio_fd_forget_if_stale(n->iofd);
	bool was_open = oio_fd_get_fd(n->iofd) >= 0;
	ev_drop_held(n);
	oio_fd_free(n->iofd);
	n->iofd = NULL;
	nfd_set_ref(n);
	if (n->seg_fn)
		napi_delete_reference(env, n->seg_fn);
	e->slots[n->slot] = NULL;
	e->free_slots[e->nfree++] = n->slot;
	/* a new iofd may take the slot (its generation starts over): events of this one not dispatched yet go */
	for (uint32_t i = 0; i < e->nev; i++)
		if (e->rec[(size_t)i * EV_SIZE + EV_SLOT] == (int32_t)n->slot)
			e->rec[(size_t)i * EV_SIZE + EV_SLOT] = -1;
	memset(e->fdst + (size_t)n->slot * FS_SIZE, 0, FS_SIZE * sizeof(int32_t));
	free(n);
	napi_value r;
	napi_get_boolean(env, was_open, &r);
	return r; /* true: the fd was closed here (the JS object was collected without close()) */
}

static napi_value n_get_fd(napi_env env, napi_callback_info info)
{
	ARGS(1);
	struct nfd *n = nfd_get(env, argv[0]);
	return js_int(env, n ? oio_fd_get_fd(n->iofd) : -1);
}

static napi_value n_set_read_enabled(napi_env env, napi_callback_info info)
{
	ARGS(2);
	struct nfd *n = nfd_get(env, argv[0]);
	bool on = false;
	napi_get_value_bool(env, argv[1], &on);
	if (!n)
		return NULL;
	if (on)
		ev_release_held(n); /* ahead of what the core delivers from now on */
	oio_fd_set_read_enabled(n->iofd, on);
	return NULL;
}

/* park(slot, b): the read record at b of the running batch cannot be delivered now (reading off / unregistered):
 * the glue keeps it until reading is on again. 0 or -errno. */
static napi_value n_park(napi_env env, napi_callback_info info)
{
	ARGS(2);
	struct nfd *n = nfd_get(env, argv[0]);
	struct env *e = env_get(env);
	uint32_t b = (uint32_t)arg_i32(env, argv[1], -1);

	if (!n || !e->dispatching || b > (EV_CAPACITY - 1) * EV_SIZE || e->ev[b + EV_SLOT] != (int32_t)n->slot ||
	    e->ev[b + EV_TYPE] != EVT_READ)
		return js_int(env, -EINVAL);
	return js_int(env, ev_hold(e, n, b));
}

/* setSegmentation(slot, kind SEG_NONE | SEG_LENPREFIX | SEG_JS, fn, headerLen, lenOff, lenBytes, bigEndian,
 * adjust, maxLen) */
static napi_value n_set_segmentation(napi_env env, napi_callback_info info)
{
	ARGS(9);
	struct nfd *n = nfd_get(env, argv[0]);
	int kind = arg_i32(env, argv[1], 0);
	if (!n)
		return NULL;
	if (n->seg_fn) {
		napi_delete_reference(env, n->seg_fn);
		n->seg_fn = NULL;
	}
	if (kind == SEG_LENPREFIX) {
		bool be = true;
		napi_get_value_bool(env, argv[6], &be);
		struct oio_lenprefix lp = {
			.header_len = (uint16_t)arg_i32(env, argv[3], 0),
			.len_offset = (uint16_t)arg_i32(env, argv[4], 0),
			.len_bytes = (uint8_t)arg_i32(env, argv[5], 2),
			.big_endian = be,
			.adjust = arg_i32(env, argv[7], 0),
			.max_len = (uint32_t)arg_i32(env, argv[8], 0),
		};
		oio_fd_set_segmentation(n->iofd, &lp, false);
	} else if (kind == SEG_JS) {
		napi_create_reference(env, argv[2], 1, &n->seg_fn);
		oio_fd_set_segmentation(n->iofd, NULL, true);
	} else {
		oio_fd_set_segmentation(n->iofd, NULL, false);
	}
	return NULL;
}

static napi_value n_set_alloc_info(napi_env env, napi_callback_info info)
{
	ARGS(3);
	struct nfd *n = nfd_get(env, argv[0]);
	if (!n)
		return js_int(env, -EBADF);
	return js_int(env, oio_fd_set_alloc_info(n->iofd, (unsigned)arg_i32(env, argv[1], 0),
						 (unsigned)arg_i32(env, argv[2], 0)));
}

static napi_value n_set_io_buffers(napi_env env, napi_callback_info info)
{
	ARGS(3);
	struct nfd *n = nfd_get(env, argv[0]);
	if (!n)
		return js_int(env, -EBADF);
	return js_int(env, oio_fd_set_io_buffers(n->iofd, (enum oio_op)arg_i32(env, argv[1], 0), arg_i32(env, argv[2], -1)));
}

static napi_value n_set_sqes(napi_env env, napi_callback_info info)
{
	ARGS(3);
	struct nfd *n = nfd_get(env, argv[0]);
	if (!n)
		return js_int(env, -EBADF);
	return js_int(env, oio_fd_set_sqes(n->iofd, (enum oio_op)arg_i32(env, argv[1], 0), arg_i32(env, argv[2], -1)));
}

static napi_value n_set_cmsg_size(napi_env env, napi_callback_info info)
{
	ARGS(2);
	struct nfd *n = nfd_get(env, argv[0]);
	if (!n)
		return js_int(env, -EBADF);
	return js_int(env, oio_fd_set_cmsg_size(n->iofd, (size_t)arg_i32(env, argv[1], -1)));
}

static napi_value n_notify_connected(napi_env env, napi_callback_info info)
{
	ARGS(1);
	struct nfd *n = nfd_get(env, argv[0]);
	if (n)
		oio_fd_notify_connected(n->iofd);
	return NULL;
}

static napi_value n_txqueue_clear(napi_env env, napi_callback_info info)
{
	ARGS(1);
	struct nfd *n = nfd_get(env, argv[0]);
	if (n) {
		oio_fd_txqueue_clear(n->iofd);
		nfd_sync(n);
	}
	return NULL;
}

/* setTxqueueMax(slot, n): the core refuses messages beyond n with -ENOSPC */
static napi_value n_set_txqueue_max(napi_env env, napi_callback_info info)
{
	ARGS(2);
	struct nfd *n = nfd_get(env, argv[0]);
	int32_t max = arg_i32(env, argv[1], OIO_DEFAULT_TXQUEUE_MAX);
	if (!n)
		return js_int(env, -EBADF);
	if (max < 0)
		return js_int(env, -EINVAL);
	oio_fd_set_txqueue_max(n->iofd, (unsigned)max);
	n->env->fdst[(size_t)n->slot * FS_SIZE + FS_TXMAX] = max;
	return js_int(env, 0);
}

static napi_value n_set_ref(napi_env env, napi_callback_info info)
{
	ARGS(2);
	struct nfd *n = nfd_get(env, argv[0]);
	bool on = true;
	napi_get_value_bool(env, argv[1], &on);
	if (n) {
		n->ref = on;
		nfd_set_ref(n);
	}
	return NULL;
}

/* submit(slots: Int32Array, bufs: Buffer[], n, dests?: (SockAddr|null)[], flags?: Int32Array, ctls?: (Buffer|null)[],
 *        tokens: Int32Array, rcs: Int32Array)
 * Queues n messages in one call (the JS layer batches writes per tick); each carries its token, which its
 * write completion names. rcs[i]: 0 or the -errno that refused message i. Returns the number refused. */
static napi_value n_submit(napi_env env, napi_callback_info info)
{
	ARGS(8);
	napi_typedarray_type tt;
	size_t len, off;
	void *sdata, *fdata = NULL;
	napi_value ab;
	uint32_t n = 0, failed = 0;
	napi_valuetype t;

	NAPI_OK(napi_get_typedarray_info(env, argv[0], &tt, &len, &sdata, &ab, &off));
	napi_get_value_uint32(env, argv[2], &n);
	if (n > len)
		n = (uint32_t)len;
	napi_typeof(env, argv[4], &t);
	if (t == napi_object)
		napi_get_typedarray_info(env, argv[4], &tt, &len, &fdata, &ab, &off);
	napi_valuetype dt, ct;
	napi_typeof(env, argv[3], &dt);
	napi_typeof(env, argv[5], &ct);
	void *tdata, *rdata;
	size_t tlen, rlen;
	NAPI_OK(napi_get_typedarray_info(env, argv[6], &tt, &tlen, &tdata, &ab, &off));
	NAPI_OK(napi_get_typedarray_info(env, argv[7], &tt, &rlen, &rdata, &ab, &off));
	if (tlen < n || rlen < n)
		n = (uint32_t)(tlen < rlen ? tlen : rlen);
	const int32_t *slots = sdata;
	const int32_t *flags = fdata;
	const int32_t *tokens = tdata;
	int32_t *rcs = rdata;
	struct env *e = env_get(env);
	for (uint32_t i = 0; i < n; i++) {
		napi_value v;
		struct nfd *nf;
		void *data;
		size_t dlen;
		int rc;

		uint64_t token = (uint32_t)tokens[i];
		nf = slots[i] >= 0 ? nfd_at(e, (uint32_t)slots[i]) : NULL;
		if (!nf || !nf->iofd || napi_get_element(env, argv[1], i, &v) != napi_ok ||
		    napi_get_buffer_info(env, v, &data, &dlen) != napi_ok) {
			rcs[i] = -EBADF;
			failed++;
			continue;
		}
		enum oio_mode mode = oio_fd_mode(nf->iofd);
		if (mode == OIO_MODE_READ_WRITE) {
			rc = oio_fd_write(nf->iofd, data, dlen, token);
		} else {
			union oio_sockaddr sa;
			int salen = 0;
			void *cdata = NULL;
			size_t clen = 0;
			if (dt == napi_object) {
				napi_value d;
				napi_valuetype vt;
				napi_get_element(env, argv[3], i, &d);
				napi_typeof(env, d, &vt);
				if (vt == napi_object)
					salen = sockaddr_from_js(env, d, &sa);
			}
			if (ct == napi_object) {
				napi_value c;
				bool isbuf = false;
				napi_get_element(env, argv[5], i, &c);
				napi_is_buffer(env, c, &isbuf);
				if (isbuf)
					napi_get_buffer_info(env, c, &cdata, &clen);
			}
			if (salen < 0) {
				rcs[i] = salen;
				failed++;
				continue;
			}
			int fl = flags ? flags[i] : 0;
			if (mode == OIO_MODE_RECVFROM_SENDTO)
				rc = oio_fd_sendto(nf->iofd, data, dlen, fl, salen ? &sa : NULL, (socklen_t)salen, token);
			else
				rc = oio_fd_sendmsg(nf->iofd, data, dlen, fl, salen ? &sa : NULL, (socklen_t)salen,
						    cdata, clen, token);
		}
		rcs[i] = rc < 0 ? rc : 0;
		if (rc < 0)
			failed++;
		else
			nfd_sync(nf);
	}
	return js_int(env, failed);
}

napi_value iofd_bindings(napi_env env, napi_value exports)
{
	napi_property_descriptor p[] = {
#define F(name, fn) { name, NULL, fn, NULL, NULL, NULL, napi_default, NULL }
		F("setup", n_setup), F("register", n_register), F("unregister", n_unregister),
		F("close", n_close), F("free", n_free), F("getFd", n_get_fd),
		F("setReadEnabled", n_set_read_enabled), F("setSegmentation", n_set_segmentation),
		F("setAllocInfo", n_set_alloc_info), F("setIoBuffers", n_set_io_buffers), F("setSqes", n_set_sqes),
		F("setCmsgSize", n_set_cmsg_size), F("notifyConnected", n_notify_connected),
		F("txqueueClear", n_txqueue_clear), F("setRef", n_set_ref), F("submit", n_submit),
		F("setTxqueueMax", n_set_txqueue_max), F("fdState", n_fd_state), F("park", n_park),
#undef F
	};
	napi_define_properties(env, exports, sizeof(p) / sizeof(p[0]), p);
	return exports;
}
