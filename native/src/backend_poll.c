/*
 * The readiness backend: one watch per registered fd through the embedding loop (libuv's uv_poll_t in Node).
 * One read per readiness event in read/write and recvmsg mode, as osmo_io's poll backend does; recvfrom mode
 * takes up to DGRAMS_PER_WAKEUP datagrams and accept mode up to ACCEPT_BATCH connections per event (as libuv
 * does). Writes are attempted when the context is flushed (once per loop iteration, before it blocks) and only
 * wait for POLLOUT after EAGAIN or a partial write, which saves the epoll_ctl round trips a "write on POLLOUT"
 * design would need for every message.
 */
#include "internal.h"
#include <fcntl.h>
#include <unistd.h>

#define POLL_SCRATCH (OIO_MAX_SEGMENT + 1)
#define ACCEPT_BATCH 64
#define WRITES_PER_FLUSH 64
#define DGRAMS_PER_WAKEUP 32

static void update_watch(struct oio_fd *iofd)
{
	unsigned ev = 0;

	if (!(iofd->flags & F_REGISTERED))
		return;
	if (oio_fd_can_deliver(iofd)) /* (not while reads are held: they go first, oio_fd_resume() re-watches) */
		ev |= OIO_EV_READ;
	if (iofd->flags & (F_WRITE_BLOCKED | F_NOTIFY_CONNECTED))
		ev |= OIO_EV_WRITE;
	if (ev != iofd->u.poll.watch.events)
		iofd->ctx->loop->watch(iofd->ctx->loop, &iofd->u.poll.watch, ev);
}

/* Queue the iofd's writes for the next flush. */
static void mark_dirty(struct oio_fd *iofd)
{
	struct oio_ctx *ctx = iofd->ctx;

	if (iofd->flags & F_DIRTY)
		return;
	iofd->flags |= F_DIRTY;
	iofd->u.poll.dirty_next = ctx->u.poll.dirty_head;
	ctx->u.poll.dirty_head = iofd;
	if (ctx->loop->flush_needed)
		ctx->loop->flush_needed(ctx->loop);
}

static uint8_t *scratch(struct oio_ctx *ctx, size_t len)
{
	if (ctx->u.poll.scratch_len < len) {
		uint8_t *p = realloc(ctx->u.poll.scratch, len);
		if (!p)
			return NULL;
		ctx->u.poll.scratch = p;
		ctx->u.poll.scratch_len = len;
	}
	return ctx->u.poll.scratch;
}

static uint8_t *scratch_ctrl(struct oio_ctx *ctx, size_t len)
{
	if (ctx->u.poll.scratch_ctrl_len < len) {
		uint8_t *p = realloc(ctx->u.poll.scratch_ctrl, len);
		if (!p)
			return NULL;
		ctx->u.poll.scratch_ctrl = p;
		ctx->u.poll.scratch_ctrl_len = len;
	}
	return ctx->u.poll.scratch_ctrl;
}

static void do_accept(struct oio_fd *iofd)
{
	for (int i = 0; i < ACCEPT_BATCH && oio_fd_can_deliver(iofd); i++) {
		union oio_sockaddr peer;
		socklen_t plen = sizeof(peer);
		struct oio_rxinfo info = { .from = &peer };
		int fd;

		iofd->ctx->stats.syscalls++;
		fd = oio_sock_accept(iofd->fd, &peer, &plen);
		if (fd == -EAGAIN)
			return;
		info.fromlen = fd >= 0 ? plen : 0;
		if (fd < 0)
			info.from = NULL;
		oio_fd_handle_read(iofd, fd, NULL, 0, &info);
		if (fd < 0)
			return;
	}
}

static void do_read(struct oio_fd *iofd)
{
	struct oio_ctx *ctx = iofd->ctx;
	size_t len = oio_fd_read_len(iofd);
	uint8_t *buf = scratch(ctx, len > POLL_SCRATCH ? len : POLL_SCRATCH);
	ssize_t rc;

	if (!buf) {
		oio_fd_handle_read(iofd, -ENOMEM, NULL, 0, NULL);
		return;
	}
	if (iofd->mode == OIO_MODE_ACCEPT) {
		do_accept(iofd);
		return;
	}
	if (iofd->mode == OIO_MODE_READ_WRITE) {
		ctx->stats.syscalls++;
		rc = read(iofd->fd, buf, len);
		if (rc < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		oio_fd_handle_read(iofd, rc < 0 ? -errno : (int)rc, buf, rc > 0 ? (size_t)rc : 0, NULL);
		return;
	}

	/* Datagrams: several per readiness event (as libuv does), each still one message and one callback. */
	for (int i = 0; i < DGRAMS_PER_WAKEUP && oio_fd_can_deliver(iofd); i++) {
		union oio_sockaddr from;
		size_t clen = iofd->mode == OIO_MODE_RECVMSG_SENDMSG ? iofd->cmsg_size : 0;
		uint8_t *ctrl = clen ? scratch_ctrl(ctx, clen) : NULL;
		struct iovec iov = { .iov_base = buf, .iov_len = len };
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctrl, .msg_controllen = ctrl ? clen : 0,
		};
		ctx->stats.syscalls++;
		rc = recvmsg(iofd->fd, &mh, oio_fd_recv_flags(iofd));
		if (rc < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		struct oio_rxinfo info = {
			.from = (rc >= 0 && mh.msg_namelen) ? &from : NULL,
			.fromlen = rc >= 0 ? mh.msg_namelen : 0,
			.control = ctrl,
			.controllen = rc >= 0 ? mh.msg_controllen : 0,
			.flags = rc >= 0 ? mh.msg_flags : 0,
		};
		/* a datagram of 0 bytes is a message, not EOF; osmo_io reports it as res 0 all the same */
		oio_fd_handle_dgram(iofd, rc < 0 ? -errno : (int)rc, buf, len, &info);
		if (rc < 0 || iofd->mode == OIO_MODE_RECVMSG_SENDMSG)
			return; /* an error, or SCTP-style seqpacket where one read per event stays the rule */
	}
}

/* Write what the queue holds until it is empty or the socket is full. */
static void write_some(struct oio_fd *iofd)
{
	struct oio_ctx *ctx = iofd->ctx;

	for (int i = 0; i < WRITES_PER_FLUSH; i++) {
		struct iovec iov[OIO_MAX_IO_BUFFERS];
		struct oio_txent *ents[OIO_MAX_IO_BUFFERS];
		unsigned n;
		ssize_t rc;

		if (!(iofd->flags & F_REGISTERED) || (iofd->flags & (F_CLOSED | F_TO_FREE | F_NOTIFY_CONNECTED)) ||
		    !iofd->txq.len)
			return; /* (writes wait for the connect notification: a send would take the connect error) */
		n = oio_fd_tx_iov(iofd, iov, ents, iofd->io_write_buffers);
		ctx->stats.syscalls++;
		if (iofd->flags & F_IS_SOCKET) {
			struct oio_txent *e = ents[0];
			struct msghdr mh = {
				.msg_name = e->addrlen ? &e->addr : NULL, .msg_namelen = e->addrlen,
				.msg_iov = iov, .msg_iovlen = n,
				.msg_control = e->ctrllen ? e->ctrl : NULL, .msg_controllen = e->ctrllen,
			};
			rc = sendmsg(iofd->fd, &mh, e->flags | MSG_NOSIGNAL);
		} else {
			rc = writev(iofd->fd, iov, (int)n);
		}
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0 && errno == EAGAIN) {
			iofd->flags |= F_WRITE_BLOCKED;
			return;
		}
		size_t want = 0;
		for (unsigned k = 0; k < n; k++)
			want += iov[k].iov_len;
		if (!oio_fd_handle_write(iofd, ents, n, rc < 0 ? -errno : (int)rc))
			return;
		if (rc >= 0 && (size_t)rc < want) {
			iofd->flags |= F_WRITE_BLOCKED; /* the socket buffer is full */
			return;
		}
	}
	if (iofd->txq.len)
		mark_dirty(iofd); /* more next time round: don't starve the others */
}

static void poll_cb(struct oio_watch *w, unsigned revents)
{
	struct oio_fd *iofd = container_of(w, struct oio_fd, u.poll.watch);

	iofd->ctx->stats.wakeups++;
	oio_fd_enter_cb(iofd);
	if ((revents & OIO_EV_READ) && oio_fd_can_deliver(iofd))
		do_read(iofd);
	if ((revents & OIO_EV_WRITE) && (iofd->flags & F_REGISTERED) && !(iofd->flags & (F_CLOSED | F_TO_FREE))) {
		if (iofd->flags & F_NOTIFY_CONNECTED)
			oio_fd_handle_connected(iofd);
		iofd->flags &= ~F_WRITE_BLOCKED;
		write_some(iofd);
	}
	update_watch(iofd);
	oio_fd_leave_cb(iofd);
}

static int poll_init(struct oio_ctx *ctx, const struct oio_ctx_opts *opts, char *why, size_t whylen)
{
	(void)opts;
	(void)why;
	(void)whylen;
	return scratch(ctx, POLL_SCRATCH) ? 0 : -ENOMEM;
}

static void poll_exit(struct oio_ctx *ctx)
{
	free(ctx->u.poll.scratch);
	free(ctx->u.poll.scratch_ctrl);
}

static int poll_register(struct oio_fd *iofd)
{
	int fl;

	iofd->ctx->stats.syscalls += 2;
	fl = fcntl(iofd->fd, F_GETFL);
	if (fl < 0 || fcntl(iofd->fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	iofd->u.poll.watch.cb = poll_cb;
	iofd->u.poll.watch.fd = iofd->fd;
	iofd->u.poll.watch.events = 0;
	return 0;
}

static void poll_unregister(struct oio_fd *iofd)
{
	if (iofd->u.poll.watch.fd >= 0)
		iofd->ctx->loop->unwatch(iofd->ctx->loop, &iofd->u.poll.watch);
	iofd->u.poll.watch.fd = -1;
	iofd->u.poll.watch.events = 0;
}

static void poll_update(struct oio_fd *iofd)
{
	update_watch(iofd);
}

static void poll_write_enable(struct oio_fd *iofd)
{
	if (!(iofd->flags & F_WRITE_BLOCKED))
		mark_dirty(iofd);
}

static bool poll_flush(struct oio_ctx *ctx, unsigned min_complete, unsigned timeout_us)
{
	struct oio_fd *list = ctx->u.poll.dirty_head;

	(void)min_complete; /* readiness, not completions: nothing to wait for */
	(void)timeout_us;
	ctx->u.poll.dirty_head = NULL;
	while (list) {
		struct oio_fd *iofd = list;
		list = iofd->u.poll.dirty_next;
		iofd->flags &= ~F_DIRTY;
		if (iofd->flags & F_TO_FREE) {
			oio_fd_maybe_release(iofd);
			continue;
		}
		oio_fd_enter_cb(iofd);
		if (!(iofd->flags & F_WRITE_BLOCKED))
			write_some(iofd);
		update_watch(iofd);
		oio_fd_leave_cb(iofd);
	}
	return false;
}

static bool poll_owns_fd(const struct oio_ctx *ctx, int fd)
{
	(void)ctx;
	(void)fd;
	return false; /* the embedding loop's own fds are the adapter's to refuse */
}

static bool poll_flush_pending(const struct oio_ctx *ctx)
{
	return ctx->u.poll.dirty_head;
}

static void poll_fd_noop(struct oio_fd *iofd)
{
	(void)iofd; /* nothing kept per fd beyond the watch, which unregister released */
}

static bool poll_busy(const struct oio_fd *iofd)
{
	return iofd->flags & F_DIRTY;
}

const struct oio_backend_ops oio_backend_poll_ops = {
	.name = "poll",
	.init = poll_init,
	.exit = poll_exit,
	.register_fd = poll_register,
	.unregister_fd = poll_unregister,
	.read_enable = poll_update,
	.read_disable = poll_update,
	.write_enable = poll_write_enable,
	.notify_connected = poll_update,
	.flush = poll_flush,
	.busy = poll_busy,
	.owns_fd = poll_owns_fd,
	.flush_pending = poll_flush_pending,
	.release_fd = poll_fd_noop,
};
