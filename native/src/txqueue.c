/* The per-iofd transmit queue and the context's entry pool (no allocation per message in steady state). */
#include "internal.h"

struct oio_txent *oio_txent_get(struct oio_ctx *ctx, size_t len, size_t ctrllen)
{
	struct oio_txent *e = ctx->ent_pool;

	if (e) {
		ctx->ent_pool = e->next;
		ctx->ent_pool_len--;
	} else {
		e = malloc(sizeof(*e));
		if (!e)
			return NULL;
	}
	e->next = NULL;
	e->data = len <= OIO_INLINE_DATA ? e->inline_data : malloc(len);
	e->ctrl = ctrllen <= OIO_INLINE_CTRL ? e->inline_ctrl : malloc(ctrllen);
	if (!e->data || !e->ctrl) {
		e->len = 0;
		oio_txent_put(ctx, e);
		return NULL;
	}
	e->len = (uint32_t)len;
	e->off = 0;
	e->ctrllen = (uint32_t)ctrllen;
	e->token = 0;
	e->flags = 0;
	e->addrlen = 0;
	e->inflight = false;
	e->orphan = false;
	return e;
}

void oio_txent_put(struct oio_ctx *ctx, struct oio_txent *e)
{
	if (e->data && e->data != e->inline_data)
		free(e->data);
	if (e->ctrl && e->ctrl != e->inline_ctrl)
		free(e->ctrl);
	e->data = e->ctrl = NULL;
	if (ctx->ent_pool_len >= OIO_ENT_POOL_MAX) {
		free(e);
		return;
	}
	e->next = ctx->ent_pool;
	ctx->ent_pool = e;
	ctx->ent_pool_len++;
}

void oio_txq_push(struct oio_txqueue *q, struct oio_txent *e)
{
	e->next = NULL;
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	q->len++;
	q->bytes += e->len - e->off;
}

static struct oio_txent *txq_pop(struct oio_txqueue *q)
{
	struct oio_txent *e = q->head;

	if (!e)
		return NULL;
	q->head = e->next;
	if (!q->head)
		q->tail = NULL;
	q->len--;
	q->bytes -= e->len - e->off;
	e->next = NULL;
	return e;
}

/* Take e out of the queue (normally its head: completions usually come in order). */
void oio_txq_remove(struct oio_txqueue *q, struct oio_txent *e)
{
	struct oio_txent *prev = NULL;

	if (q->head == e) {
		txq_pop(q);
		return;
	}
	for (struct oio_txent *x = q->head; x; prev = x, x = x->next) {
		if (x != e)
			continue;
		prev->next = e->next;
		if (q->tail == e)
			q->tail = prev;
		q->len--;
		q->bytes -= e->len - e->off;
		e->next = NULL;
		return;
	}
}

void oio_txq_push_front(struct oio_txqueue *q, struct oio_txent *e)
{
	e->next = q->head;
	q->head = e;
	if (!q->tail)
		q->tail = e;
	q->len++;
	q->bytes += e->len - e->off;
}

/* Drop every queued entry; one the kernel still reads from is orphaned and freed on its completion. */
void oio_txq_clear(struct oio_ctx *ctx, struct oio_txqueue *q)
{
	struct oio_txent *e;

	while ((e = txq_pop(q))) {
		if (e->inflight)
			e->orphan = true;
		else
			oio_txent_put(ctx, e);
	}
}
