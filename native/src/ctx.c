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

/* Hand over what deliveries stopped by a callback kept and the reads held for later, in the order the iofds
 * asked. */
static void run_resumes(struct oio_ctx *ctx)
{
	while (ctx->resume_head) {
		struct oio_fd *iofd = ctx->resume_head;
		ctx->resume_head = iofd->resume_next;
		iofd->flags &= ~F_RESUME;
		oio_fd_enter_cb(iofd);
		oio_fd_resume(iofd);
		oio_fd_leave_cb(iofd);
	}
}

void oio_ctx_queue_resume(struct oio_fd *iofd)
{
	struct oio_ctx *ctx = iofd->ctx;

	if ((iofd->flags & (F_RESUME | F_TO_FREE)) || (!iofd->held.n && !oio_seg_has_pending(iofd)))
		return;
	iofd->flags |= F_RESUME;
	iofd->resume_next = ctx->resume_head;
	ctx->resume_head = iofd;
	if (ctx->loop->flush_needed)
		ctx->loop->flush_needed(ctx->loop);
}

void oio_ctx_fail(struct oio_ctx *ctx, int err, const char *what)
{
	if (ctx->fatal)
		return;
	ctx->fatal = err < 0 ? err : -EIO;
	if (ctx->loop->fatal)
		ctx->loop->fatal(ctx->loop, ctx->fatal, what);
}

void oio_ctx_flush(struct oio_ctx *ctx)
{
	oio_ctx_flush_wait(ctx, 0, 0);
}

bool oio_ctx_flush_wait(struct oio_ctx *ctx, unsigned min_complete, unsigned timeout_us)
{
	if (ctx->resume_head)
		run_resumes(ctx);
	if (ctx->fatal)
		return false;
	return ctx->ops->flush(ctx, min_complete, timeout_us);
}

int oio_ctx_sleep(struct oio_ctx *ctx, int loop_fd, int timeout_ms, unsigned coalesce_us)
{
	if (ctx->fatal || !ctx->ops->sleep)
		return -EOPNOTSUPP;
	if (ctx->resume_head)
		return 0;
	return ctx->ops->sleep(ctx, loop_fd, timeout_ms, coalesce_us);
}

bool oio_ctx_flush_pending(const struct oio_ctx *ctx)
{
	return ctx->resume_head || ctx->ops->flush_pending(ctx);
}

void oio_ctx_free(struct oio_ctx *ctx)
{
	struct oio_txent *e;

	if (!ctx)
		return;
	ctx->ops->exit(ctx);
	oio_fd_release_all_freed(ctx);
	while ((e = ctx->ent_pool)) {
		ctx->ent_pool = e->next;
		free(e);
	}
	free(ctx->fd_owner);
	free(ctx);
}

enum oio_backend oio_ctx_backend(const struct oio_ctx *ctx) { return ctx->backend; }
const struct oio_stats *oio_ctx_stats(const struct oio_ctx *ctx) { return &ctx->stats; }
