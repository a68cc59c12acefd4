/* The per-thread (per Node environment) context: backend choice, flush, statistics, teardown. */
#include "internal.h"

struct oio_ctx *oio_ctx_new(struct oio_loop *loop, const struct oio_ctx_opts *opts, int *err, char *why, size_t whylen)
{
	struct oio_ctx *ctx = calloc(1, sizeof(*ctx));
	int rc;

	if (!ctx) {
		*err = -ENOMEM;
		return NULL;
	}
	ctx->loop = loop;
	ctx->backend = opts->backend;
	ctx->read_sqes = opts->read_sqes ? opts->read_sqes : 1;
	ctx->ops = opts->backend == OIO_BACKEND_IO_URING ? &oio_backend_uring_ops : &oio_backend_poll_ops;
	rc = ctx->ops->init(ctx, opts, why, whylen);
	if (rc < 0) {
		*err = rc;
		free(ctx);
		return NULL;
	}
	*err = 0;
	return ctx;
}

void oio_ctx_flush(struct oio_ctx *ctx)
{
	ctx->ops->flush(ctx, 0, 0);
}

bool oio_ctx_flush_wait(struct oio_ctx *ctx, unsigned min_complete, unsigned timeout_us)
{
	return ctx->ops->flush(ctx, min_complete, timeout_us);
}

bool oio_ctx_flush_pending(const struct oio_ctx *ctx)
{
	if (ctx->dirty_head)
		return true;
	return ctx->backend == OIO_BACKEND_IO_URING && ctx->backlog_head;
}

void oio_ctx_mark_dirty(struct oio_fd *iofd)
{
	struct oio_ctx *ctx = iofd->ctx;

	if (iofd->flags & F_DIRTY)
		return;
	iofd->flags |= F_DIRTY;
	iofd->dirty_next = ctx->dirty_head;
	ctx->dirty_head = iofd;
	if (ctx->loop->flush_needed)
		ctx->loop->flush_needed(ctx->loop);
}

void oio_ctx_free(struct oio_ctx *ctx)
{
	struct oio_txent *e;

	if (!ctx)
		return;
	ctx->ops->exit(ctx);
	while ((e = ctx->ent_pool)) {
		ctx->ent_pool = e->next;
		free(e);
	}
	free(ctx->scratch);
	free(ctx->scratch_ctrl);
	free(ctx);
}

enum oio_backend oio_ctx_backend(const struct oio_ctx *ctx) { return ctx->backend; }
const struct oio_stats *oio_ctx_stats(const struct oio_ctx *ctx) { return &ctx->stats; }
