/*
 * The completion batch: the core's callbacks append fixed-size records to an Int32Array shared with JS and
 * copy payloads into a slab; once per loop iteration (or when the batch is full) JS gets one call with the
 * count and a fresh Buffer of the slab, inside a callback scope so promises and nextTicks run after it.
 */
#include "addon.h"
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

int32_t slab_put(struct env *e, const void *data, size_t len)
{
	if (e->slab_len + len > e->slab_cap) {
		size_t cap = e->slab_cap ? e->slab_cap : 65536;
		while (cap < e->slab_len + len)
			cap *= 2;
		uint8_t *p = realloc(e->slab, cap);
		if (!p)
			return -1;
		e->slab = p;
		e->slab_cap = cap;
	}
	int32_t off = (int32_t)e->slab_len;
	if (len)
		memcpy(e->slab + off, data, len);
	e->slab_len += len;
	return off;
}

/*
 * Records are kept in C and copied into the shared array at dispatch, EV_CAPACITY at a time: however many
 * events one iteration produces (a 1 KiB read of 3-byte frames makes hundreds), JS is never called from inside
 * the core, where a read callback closing or re-registering its iofd would pull the read buffer from under the
 * segmentation loop. The array only grows (no allocation per message).
 */
int32_t *ev_push(struct env *e, struct nfd *n, int type, int res)
{
	if (e->nev == e->rec_cap) {
		uint32_t cap = e->rec_cap ? e->rec_cap * 2 : EV_CAPACITY;
		int32_t *p = realloc(e->rec, (size_t)cap * EV_SIZE * sizeof(*p));
		if (!p) {
			ev_fail(e, -ENOMEM, "event batch");
			return NULL;
		}
		e->rec = p;
		e->rec_cap = cap;
	}
	int32_t *r = e->rec + (size_t)e->nev++ * EV_SIZE;
	memset(r, 0, EV_SIZE * sizeof(*r));
	r[EV_SLOT] = (int32_t)n->slot;
	r[EV_GEN] = (int32_t)oio_fd_generation(n->iofd);
	r[EV_TYPE] = type;
	r[EV_RES] = res;
	r[EV_AOFF] = r[EV_COFF] = -1;
	return r;
}

/*
 * Parked reads. A read record reaches JS in a batch; when an earlier callback of that batch turned reading off or
 * unregistered the iofd, JS hands the record back (park()) and the glue keeps it, with its bytes, until reading is
 * on again: then it goes back into the batch ahead of anything the core delivers later, so nothing is lost or
 * reordered. (Reads the core completes while reading is off are parked in the core itself.) Rare: one allocation
 * per parked record.
 */
int ev_hold(struct env *e, struct nfd *n, uint32_t b)
{
	const int32_t *r = e->ev + b;
	uint32_t len = r[EV_LEN] > 0 ? (uint32_t)r[EV_LEN] : 0;
	uint32_t alen = r[EV_AOFF] >= 0 && r[EV_ALEN] > 0 ? (uint32_t)r[EV_ALEN] : 0;
	uint32_t clen = r[EV_COFF] >= 0 && r[EV_CLEN] > 0 ? (uint32_t)r[EV_CLEN] : 0;
	struct held *h;

	if ((size_t)r[EV_OFF] + len > e->slab_len || (alen && (size_t)r[EV_AOFF] + alen > e->slab_len) ||
	    (clen && (size_t)r[EV_COFF] + clen > e->slab_len))
		return -EINVAL;
	h = malloc(sizeof(*h) + len + alen + clen);
	if (!h)
		return -ENOMEM;
	memcpy(h->rec, r, sizeof(h->rec));
	h->len = len;
	h->alen = alen;
	h->clen = clen;
	if (len)
		memcpy(h->data, e->slab + r[EV_OFF], len);
	if (alen)
		memcpy(h->data + len, e->slab + r[EV_AOFF], alen);
	if (clen)
		memcpy(h->data + len + alen, e->slab + r[EV_COFF], clen);
	h->next = NULL;
	if (!n->held)
		n->held_tail = &n->held;
	*n->held_tail = h;
	n->held_tail = &h->next;
	n->nheld++;
	e->fdst[(size_t)n->slot * FS_SIZE + FS_HELD] = (int32_t)n->nheld;
	return 0;
}

static void release_now(struct nfd *n)
{
	struct env *e = n->env;
	struct held *h = n->held;

	n->held = NULL;
	n->nheld = 0;
	e->fdst[(size_t)n->slot * FS_SIZE + FS_HELD] = 0;
	while (h) {
		struct held *next = h->next;
		int32_t *r = ev_push(e, n, EVT_READ, h->rec[EV_RES]);
		if (r) {
			r[EV_OFF] = slab_put(e, h->data, h->len);
			r[EV_LEN] = h->rec[EV_LEN];
			if (h->alen) {
				r[EV_AOFF] = slab_put(e, h->data + h->len, h->alen);
				r[EV_ALEN] = (int32_t)h->alen;
			}
			if (h->clen) {
				r[EV_COFF] = slab_put(e, h->data + h->len + h->alen, h->clen);
				r[EV_CLEN] = (int32_t)h->clen;
			}
			r[EV_FLAGS] = h->rec[EV_FLAGS];
		}
		free(h);
		h = next;
	}
}

/* Reading may be on again: the held reads go back into the batch. During a dispatch they wait until it ends, so
 * that a later record of the running batch cannot overtake them (JS parks those too while FS_HELD is set). */
void ev_release_held(struct nfd *n)
{
	struct env *e = n->env;

	if (!n->nheld)
		return;
	if (!e->dispatching) {
		release_now(n);
		return;
	}
	if (n->release_queued)
		return;
	n->release_queued = true;
	n->release_next = e->release;
	e->release = n;
}

void ev_drop_held(struct nfd *n)
{
	struct env *e = n->env;

	while (n->held) {
		struct held *h = n->held;
		n->held = h->next;
		free(h);
	}
	n->nheld = 0;
	if (n->release_queued) {
		for (struct nfd **pp = &e->release; *pp; pp = &(*pp)->release_next) {
			if (*pp == n) {
				*pp = n->release_next;
				break;
			}
		}
		n->release_queued = false;
	}
	if (e->fdst)
		e->fdst[(size_t)n->slot * FS_SIZE + FS_HELD] = 0;
}

void ev_fail(struct env *e, int err, const char *what)
{
	if (e->fatal_err)
		return;
	e->fatal_err = err;
	snprintf(e->fatal_what, sizeof(e->fatal_what), "%s", what);
	uv_idle_start(&e->idle, ev_idle_noop); /* reach the check phase, where JS hears of it */
}

static void on_read(struct oio_fd *iofd, int res, const uint8_t *data, size_t len, const struct oio_rxinfo *info)
{
	struct nfd *n = oio_fd_user(iofd);
	struct env *e = n->env;
	int32_t *r = ev_push(e, n, EVT_READ, res);

	if (!r)
		return;
	r[EV_OFF] = slab_put(e, data, len);
	r[EV_LEN] = (int32_t)len;
	if (info) {
		if (info->from && info->fromlen) {
			r[EV_AOFF] = slab_put(e, info->from, info->fromlen);
			r[EV_ALEN] = (int32_t)info->fromlen;
		}
		if (info->control && info->controllen) {
			r[EV_COFF] = slab_put(e, info->control, info->controllen);
			r[EV_CLEN] = (int32_t)info->controllen;
		}
		r[EV_FLAGS] = info->flags;
	}
}

static void on_write(struct oio_fd *iofd, int res, uint64_t token, bool done)
{
	struct nfd *n = oio_fd_user(iofd);
	int32_t *r = ev_push(n->env, n, EVT_WRITE, res);

	if (r) {
		r[EV_FLAGS] = done;
		r[EV_TOKEN] = (int32_t)token; /* names the message: completions cannot shift */
	}
	nfd_sync(n);
}

static void on_connected(struct oio_fd *iofd, int res)
{
	struct nfd *n = oio_fd_user(iofd);

	ev_push(n->env, n, EVT_CONNECTED, res);
}

/* A JS segmentation callback, called synchronously with a copy of the accumulated bytes. */
static int on_segment(struct oio_fd *iofd, const uint8_t *data, size_t len)
{
	struct nfd *n = oio_fd_user(iofd);
	napi_env env = n->env->napi;
	napi_handle_scope hs;
	napi_value fn, buf, global, ret;
	void *p;
	int32_t r = -EINVAL;
	bool pending = false;

	if (!n->seg_fn || napi_open_handle_scope(env, &hs) != napi_ok)
		return -EINVAL;
	if (napi_get_reference_value(env, n->seg_fn, &fn) == napi_ok && fn &&
	    napi_create_buffer_copy(env, len, data, &p, &buf) == napi_ok && napi_get_global(env, &global) == napi_ok) {
		if (napi_call_function(env, global, fn, 1, &buf, &ret) == napi_ok) {
			double d;
			if (napi_get_value_double(env, ret, &d) == napi_ok && d == d)
				r = d > INT32_MAX ? INT32_MAX : d < INT32_MIN ? INT32_MIN : (int32_t)d;
		}
		napi_is_exception_pending(env, &pending);
		if (pending) {
			napi_value err;
			napi_get_and_clear_last_exception(env, &err);
			napi_fatal_exception(env, err);
			r = -EINVAL;
		}
	}
	napi_close_handle_scope(env, hs);
	return r;
}

const struct oio_cbs nfd_cbs = {
	.read = on_read,
	.write = on_write,
	.connected = on_connected,
	.segment = on_segment,
};

static void call_js(napi_env env, napi_value fn, uint32_t n, napi_value slab, napi_value fatal)
{
	napi_value args[3], recv, ret;

	napi_create_uint32(env, n, &args[0]);
	args[1] = slab;
	args[2] = fatal;
	napi_get_undefined(env, &recv);
	if (napi_call_function(env, recv, fn, 3, args, &ret) != napi_ok) {
		bool pending = false;
		napi_is_exception_pending(env, &pending);
		if (pending) {
			napi_value err;
			napi_get_and_clear_last_exception(env, &err);
			napi_fatal_exception(env, err);
		}
	}
}

/* { errno, syscall } of a backend failure for JS to throw, or undefined. */
static napi_value fatal_value(struct env *e)
{
	napi_env env = e->napi;
	napi_value v;

	if (!e->fatal_err || e->fatal_told) {
		napi_get_undefined(env, &v);
		return v;
	}
	e->fatal_told = true;
	napi_create_object(env, &v);
	napi_set_named_property(env, v, "errno", js_int(env, e->fatal_err));
	napi_value what;
	napi_create_string_utf8(env, e->fatal_what, NAPI_AUTO_LENGTH, &what);
	napi_set_named_property(env, v, "syscall", what);
	return v;
}

void ev_dispatch(struct env *e)
{
	napi_env env = e->napi;
	napi_handle_scope hs;
	napi_callback_scope cs;
	napi_value fn, resource, slab, undef;
	void *p;

	if ((!e->nev && (!e->fatal_err || e->fatal_told)) || e->dispatching)
		return;
	if (napi_open_handle_scope(env, &hs) != napi_ok)
		return;
	e->dispatching = true;
	if (napi_get_reference_value(env, e->resource, &resource) == napi_ok &&
	    napi_open_callback_scope(env, resource, e->actx, &cs) == napi_ok) {
		uint32_t total = e->nev;
		napi_get_reference_value(env, e->on_events, &fn);
		napi_get_undefined(env, &undef);
		napi_create_buffer_copy(env, e->slab_len, e->slab_len ? (void *)e->slab : (void *)"", &p, &slab);
		for (uint32_t done = 0; done < total;) {
			uint32_t k = total - done < EV_CAPACITY ? total - done : EV_CAPACITY;
			memcpy(e->ev, e->rec + (size_t)done * EV_SIZE, (size_t)k * EV_SIZE * sizeof(*e->ev));
			call_js(env, fn, k, slab, undef);
			done += k;
		}
		/* reads released during the batch follow it (as if produced while JS ran), oldest first per iofd */
		while (e->release) {
			struct nfd *n = e->release;
			e->release = n->release_next;
			n->release_queued = false;
			release_now(n);
		}
		if (e->nev > total) {
			/* produced while JS ran (not expected): keep them, and the slab their offsets point into */
			memmove(e->rec, e->rec + (size_t)total * EV_SIZE, (size_t)(e->nev - total) * EV_SIZE * sizeof(*e->rec));
			e->nev -= total;
		} else {
			e->nev = 0;
			e->slab_len = 0;
		}
		if (e->fatal_err && !e->fatal_told)
			call_js(env, fn, 0, slab, fatal_value(e));
		e->dispatching = false;
		napi_close_callback_scope(env, cs);
	} else {
		e->dispatching = false;
	}
	napi_close_handle_scope(env, hs);
}
