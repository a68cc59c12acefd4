/*
 * Held reads: the one place that keeps reads the application cannot take now, for both backends and the glue.
 *
 * Two kinds, one FIFO per iofd, in stream order:
 *  - hand-backs (oio_fd_hold()): deliveries the read callback was given but the application could not take (a
 *    record of an event batch whose iofd an earlier callback turned off). Already messages: on release they go
 *    straight to the read callback.
 *  - raw completions (oio_held_add_raw()): reads the backend completed while the iofd could not read (a cancel that
 *    came too late, a multishot receive still armed), or while reads were held before them. On release they take
 *    the normal path (segmentation for streams).
 * Hand-backs were delivered once, so they are older than the segmenter's kept bytes, which are older than any raw
 * completion: the queue is always [hand-backs][raw], and release runs hand-backs, then oio_seg_resume(), then raw.
 * While anything is held (F_HELD) newer completions queue behind it instead of overtaking, and the backends arm or
 * watch no new reads. Release runs from oio_ctx_flush() only (the resume list), never from inside
 * set_read_enabled() / register(), which a callback may call mid-delivery.
 */
#include "internal.h"
#include <unistd.h>

void oio_held_init(struct oio_fd *iofd)
{
	iofd->held.head = NULL;
	iofd->held.tail = iofd->held.ins = &iofd->held.head;
	iofd->held.n = 0;
}

unsigned oio_fd_held(const struct oio_fd *iofd)
{
	return iofd->held.n;
}

static void count(struct oio_fd *iofd, int delta)
{
	iofd->held.n += (unsigned)delta;
	if (iofd->held.n)
		iofd->flags |= F_HELD;
	else
		iofd->flags &= ~F_HELD;
	if (iofd->cbs.held)
		iofd->cbs.held(iofd, iofd->held.n);
}

static struct oio_held *entry(bool raw, int res, const void *data, size_t len,
			      const struct oio_rxinfo *info)
{
	size_t clen = info && info->control ? info->controllen : 0;
	socklen_t flen = info && info->from ? info->fromlen : 0;
	struct oio_held *h;

	if (len > UINT32_MAX || clen > UINT32_MAX || flen > sizeof(h->from))
		return NULL;
	h = malloc(sizeof(*h) + len + clen);
	if (!h)
		return NULL;
	h->next = NULL;
	h->raw = raw;
	h->res = res;
	h->flags = info ? info->flags : 0;
	h->fromlen = flen;
	h->len = (uint32_t)len;
	h->ctrllen = (uint32_t)clen;
	if (flen)
		memcpy(&h->from, info->from, flen);
	if (len)
		memcpy(h->data, data, len);
	if (clen)
		memcpy(h->data + len, info->control, clen);
	return h;
}

/* An accepted fd nobody will take */
static void discard(struct oio_fd *iofd, struct oio_held *h)
{
	if (iofd->mode == OIO_MODE_ACCEPT && h->res >= 0)
		close(h->res);
	free(h);
}

int oio_fd_hold(struct oio_fd *iofd, int res, const void *data, size_t len, const struct oio_rxinfo *info)
{
	struct oio_held *h;

	if (iofd->flags & (F_CLOSED | F_TO_FREE))
		return -EBADF;
	if ((len && !data) || (info && info->from && info->fromlen > sizeof(union oio_sockaddr)))
		return -EINVAL;
	if (!(h = entry(false, res, data, len, info)))
		return -ENOMEM;
	/* after the hand-backs since the last release, ahead of everything never delivered */
	h->next = *iofd->held.ins;
	*iofd->held.ins = h;
	if (iofd->held.tail == iofd->held.ins)
		iofd->held.tail = &h->next;
	iofd->held.ins = &h->next;
	count(iofd, 1);
	oio_ctx_queue_resume(iofd); /* reading may be on (the batch's iofd was turned off and on again) */
	return 0;
}

void oio_held_add_raw(struct oio_fd *iofd, int res, const uint8_t *data, size_t len, const struct oio_rxinfo *info)
{
	struct oio_held *h = entry(true, res, data, len, info);

	if (!h) {
		/* out of memory: lost, as a failed read would lose it; an accepted fd is closed, not leaked */
		if (iofd->mode == OIO_MODE_ACCEPT && res >= 0)
			close(res);
		return;
	}
	*iofd->held.tail = h;
	iofd->held.tail = &h->next;
	count(iofd, 1);
	if (oio_fd_can_read(iofd))
		oio_ctx_queue_resume(iofd);
}

void oio_held_drop(struct oio_fd *iofd, bool tell)
{
	struct oio_held *h = iofd->held.head;

	if (!h)
		return;
	oio_held_init(iofd);
	iofd->flags &= ~F_HELD;
	while (h) {
		struct oio_held *next = h->next;
		discard(iofd, h);
		h = next;
	}
	if (tell && iofd->cbs.held)
		iofd->cbs.held(iofd, 0);
}

/* Off the front; what is handed back while it is delivered goes ahead of the rest. */
static struct oio_held *pop(struct oio_fd *iofd)
{
	struct oio_held *h = iofd->held.head;

	iofd->held.head = h->next;
	if (!h->next)
		iofd->held.tail = &iofd->held.head;
	iofd->held.ins = &iofd->held.head;
	count(iofd, -1);
	return h;
}

/* The application takes reads: hand-backs need no more (an EOF or a pending connect notification only stop new
 * reads, and a hand-back may be that EOF) */
static bool app_reads(const struct oio_fd *iofd)
{
	return (iofd->flags & (F_REGISTERED | F_READ_ENABLED | F_CLOSED | F_TO_FREE)) == (F_REGISTERED | F_READ_ENABLED);
}

static void deliver(struct oio_fd *iofd, struct oio_held *h)
{
	struct oio_rxinfo info = {
		.from = h->fromlen ? &h->from : NULL,
		.fromlen = h->fromlen,
		.control = h->ctrllen ? h->data + h->len : NULL,
		.controllen = h->ctrllen,
		.flags = h->flags,
	};
	bool rw = iofd->mode == OIO_MODE_READ_WRITE;

	if (!h->raw)
		iofd->cbs.read(iofd, h->res, h->data, h->len, rw ? NULL : &info);
	else if (rw || iofd->mode == OIO_MODE_ACCEPT)
		oio_fd_handle_read(iofd, h->res, h->data, h->len, rw ? NULL : &info);
	else
		oio_fd_handle_dgram(iofd, h->res, h->data, h->len, &info); /* res > len: it was cut (-EMSGSIZE) */
}

void oio_fd_resume(struct oio_fd *iofd)
{
	struct oio_held *h;
	bool had = iofd->held.n;

	while ((h = iofd->held.head) && !h->raw) {
		if (!app_reads(iofd))
			return;
		pop(iofd);
		deliver(iofd, h);
		free(h); /* (an accepted fd is the application's now) */
	}
	oio_seg_resume(iofd);
	while ((h = iofd->held.head) && oio_fd_can_read(iofd)) {
		pop(iofd);
		deliver(iofd, h);
		free(h);
	}
	/* nothing holds new reads back any more: arm / watch them again */
	if (had && !iofd->held.n && oio_fd_can_read(iofd))
		iofd->ctx->ops->read_enable(iofd);
}
