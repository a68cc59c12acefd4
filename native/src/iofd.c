/* The iofd: lifecycle, configuration, the tx API and completion handling shared by both backends. */
#include "internal.h"
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void release_fd(struct oio_fd *iofd);

static void remember_file(struct oio_fd *iofd)
{
	struct stat st;

	iofd->st_dev = 0;
	iofd->st_ino = 0;
	if (iofd->fd >= 0 && fstat(iofd->fd, &st) == 0) {
		iofd->st_dev = st.st_dev;
		iofd->st_ino = st.st_ino;
	}
}

/* Is fd still the file it was when given to us (not closed behind our back and its number reused)? */
static bool same_file(const struct oio_fd *iofd, const struct stat *st)
{
	return st->st_dev == iofd->st_dev && st->st_ino == iofd->st_ino;
}

/* The iofd's file changes without a close: what was read from the old one and not delivered yet (held reads,
 * half a segment) is not the new one's, and records of it still on their way are stale. */
static void drop_undelivered(struct oio_fd *iofd)
{
	oio_seg_reset(&iofd->seg);
	oio_held_drop(iofd, true);
	iofd->fdgen++;
}

bool oio_fd_forget_if_stale(struct oio_fd *iofd)
{
	struct stat st;

	if (iofd->fd < 0 || (fstat(iofd->fd, &st) == 0 && same_file(iofd, &st)))
		return false;
	release_fd(iofd);
	drop_undelivered(iofd);
	iofd->fd = -1;
	return true;
}

struct oio_fd *oio_fd_new(struct oio_ctx *ctx, int fd, enum oio_mode mode, const struct oio_cbs *cbs, void *user)
{
	struct oio_fd *iofd;

	if (mode > OIO_MODE_ACCEPT || !cbs || !cbs->read || (fd >= 0 && ctx->ops->owns_fd(ctx, fd)))
		return NULL; /* the core's own ring or eventfd is never an iofd's: freeing it would close the ring */
	iofd = calloc(1, sizeof(*iofd));
	if (!iofd)
		return NULL;
	iofd->ctx = ctx;
	iofd->fd = fd;
	iofd->mode = mode;
	iofd->cbs = *cbs;
	iofd->user = user;
	iofd->flags = F_CLOSED | F_READ_ENABLED;
	iofd->gen = 1;
	/* datagrams are delivered whole or reported (-EMSGSIZE): read jumbo-sized ones by default */
	iofd->alloc_size = mode == OIO_MODE_RECVFROM_SENDTO || mode == OIO_MODE_RECVMSG_SENDMSG ?
			   OIO_DEFAULT_DGRAM_ALLOC_SIZE : OIO_DEFAULT_ALLOC_SIZE;
	iofd->headroom = OIO_DEFAULT_HEADROOM;
	iofd->io_read_buffers = iofd->io_write_buffers = 1;
	iofd->num_sqes = mode == OIO_MODE_ACCEPT ? 1 : ctx->read_sqes;
	iofd->txq.max = OIO_DEFAULT_TXQUEUE_MAX;
	oio_held_init(iofd);
	remember_file(iofd);
	iofd->all_next = ctx->all;
	if (ctx->all)
		ctx->all->all_prev = iofd;
	ctx->all = iofd;
	return iofd;
}

void *oio_fd_user(const struct oio_fd *iofd) { return iofd->user; }
int oio_fd_get_fd(const struct oio_fd *iofd) { return iofd->fd; }
enum oio_mode oio_fd_mode(const struct oio_fd *iofd) { return iofd->mode; }
bool oio_fd_registered(const struct oio_fd *iofd) { return iofd->flags & F_REGISTERED; }

/* One registered iofd per fd number: two would read the same socket and split its bytes between them. */
static int claim_fd(struct oio_fd *iofd)
{
	struct oio_ctx *ctx = iofd->ctx;
	unsigned fd = (unsigned)iofd->fd;

	if (fd >= ctx->fd_owner_cap) {
		unsigned cap = ctx->fd_owner_cap ? ctx->fd_owner_cap : 256;
		while (cap <= fd)
			cap *= 2;
		struct oio_fd **o = realloc(ctx->fd_owner, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		memset(o + ctx->fd_owner_cap, 0, (cap - ctx->fd_owner_cap) * sizeof(*o));
		ctx->fd_owner = o;
		ctx->fd_owner_cap = cap;
	}
	struct oio_fd *owner = ctx->fd_owner[fd];
	if (owner && owner != iofd && owner->st_dev == iofd->st_dev && owner->st_ino == iofd->st_ino)
		return -EBUSY;
	/* else the owner's fd was closed behind its back and the number now names another file */
	ctx->fd_owner[fd] = iofd;
	return 0;
}

static void release_fd(struct oio_fd *iofd)
{
	struct oio_ctx *ctx = iofd->ctx;

	if (iofd->fd >= 0 && (unsigned)iofd->fd < ctx->fd_owner_cap && ctx->fd_owner[iofd->fd] == iofd)
		ctx->fd_owner[iofd->fd] = NULL;
}

size_t oio_fd_read_len(const struct oio_fd *iofd)
{
	return (size_t)iofd->alloc_size * iofd->io_read_buffers;
}

int oio_fd_register(struct oio_fd *iofd, int fd)
{
	const struct oio_backend_ops *ops = iofd->ctx->ops;
	struct stat st;
	int rc;

	if (iofd->flags & F_TO_FREE)
		return -EBADF;
	if (iofd->flags & F_REGISTERED)
		return (fd < 0 || fd == iofd->fd) ? 0 : -ENOTSUP;
	if (iofd->ctx->fatal)
		return -EIO;
	if (fd >= 0 && ops->owns_fd(iofd->ctx, fd))
		return -EBUSY; /* the core's own ring or eventfd: closing it through an iofd would break the backend */
	if (iofd->fd < 0 && fd < 0)
		return -EBADF;
	iofd->ctx->stats.syscalls++;
	if (fstat(fd >= 0 ? fd : iofd->fd, &st) < 0)
		return -errno;
	/* another file than the one read before (a new number, or the old number now names another file) */
	if (!(iofd->flags & F_CLOSED) && iofd->fd >= 0 && ((fd >= 0 && fd != iofd->fd) || !same_file(iofd, &st)))
		drop_undelivered(iofd);
	if (fd >= 0)
		iofd->fd = fd;
	iofd->st_dev = st.st_dev;
	iofd->st_ino = st.st_ino;
	iofd->sotype = 0;
	iofd->flags &= ~F_IS_SOCKET;
	if (S_ISSOCK(st.st_mode)) {
		socklen_t tlen = sizeof(iofd->sotype);
		iofd->flags |= F_IS_SOCKET;
		iofd->ctx->stats.syscalls++;
		if (getsockopt(iofd->fd, SOL_SOCKET, SO_TYPE, &iofd->sotype, &tlen) < 0)
			iofd->sotype = 0;
	}
	if ((rc = claim_fd(iofd)) < 0)
		return rc;
	rc = ops->register_fd(iofd);
	if (rc < 0) {
		release_fd(iofd);
		return rc;
	}
	iofd->flags &= ~(F_CLOSED | F_EOF);
	iofd->flags |= F_REGISTERED;
	if (iofd->flags & F_NOTIFY_CONNECTED)
		ops->notify_connected(iofd);
	if (iofd->flags & F_READ_ENABLED)
		ops->read_enable(iofd);
	if (iofd->txq.len)
		ops->write_enable(iofd);
	oio_ctx_queue_resume(iofd);
	return 0;
}

int oio_fd_unregister(struct oio_fd *iofd)
{
	if (!(iofd->flags & F_REGISTERED))
		return 0;
	iofd->ctx->ops->unregister_fd(iofd);
	iofd->flags &= ~(F_REGISTERED | F_WRITE_BLOCKED);
	iofd->gen++;
	release_fd(iofd);
	return 0;
}

int oio_fd_close(struct oio_fd *iofd)
{
	int fd = iofd->fd;

	if ((iofd->flags & F_CLOSED) && fd < 0)
		return 0;
	iofd->flags |= F_CLOSED;
	iofd->flags &= ~F_NOTIFY_CONNECTED;
	oio_fd_txqueue_clear(iofd);
	oio_seg_reset(&iofd->seg);
	oio_held_drop(iofd, true); /* reads of this fd must not reach the next one */
	oio_fd_unregister(iofd);
	iofd->fdgen++;
	iofd->fd = -1;
	if (fd >= 0) {
		iofd->ctx->stats.syscalls++;
		if (close(fd) < 0)
			return -errno;
	}
	return 0;
}

static void release(struct oio_fd *iofd)
{
	struct oio_ctx *ctx = iofd->ctx;

	ctx->ops->release_fd(iofd);
	oio_held_drop(iofd, false); /* (close dropped them; the user may be gone: no callback) */
	free(iofd->seg.pending);
	if (iofd->all_prev)
		iofd->all_prev->all_next = iofd->all_next;
	else
		ctx->all = iofd->all_next;
	if (iofd->all_next)
		iofd->all_next->all_prev = iofd->all_prev;
	free(iofd);
}

void oio_fd_release_all_freed(struct oio_ctx *ctx)
{
	struct oio_fd *next;

	for (struct oio_fd *iofd = ctx->all; iofd; iofd = next) {
		next = iofd->all_next;
		if (iofd->flags & F_TO_FREE)
			release(iofd); /* (io_uring: operations a dead ring never completed give back their entries) */
	}
}

/* Freed, out of every callback, and nothing in the kernel or on the resume list still names it. */
static bool releasable(const struct oio_fd *iofd)
{
	return (iofd->flags & (F_TO_FREE | F_RESUME)) == F_TO_FREE && !iofd->cbdepth && !iofd->ctx->ops->busy(iofd);
}

void oio_fd_maybe_release(struct oio_fd *iofd)
{
	if (releasable(iofd))
		release(iofd);
}

void oio_fd_free(struct oio_fd *iofd)
{
	if (!iofd || (iofd->flags & F_TO_FREE))
		return;
	if (iofd->flags & F_RESUME) {
		/* nothing left to resume: off the context's list, so it can be released */
		struct oio_fd **pp = &iofd->ctx->resume_head;
		while (*pp && *pp != iofd)
			pp = &(*pp)->resume_next;
		if (*pp)
			*pp = iofd->resume_next;
		iofd->flags &= ~F_RESUME;
	}
	oio_fd_close(iofd);
	iofd->flags |= F_TO_FREE;
	oio_fd_maybe_release(iofd);
}

void oio_fd_enter_cb(struct oio_fd *iofd)
{
	iofd->cbdepth++;
}

bool oio_fd_leave_cb(struct oio_fd *iofd)
{
	iofd->cbdepth--;
	if (releasable(iofd)) {
		release(iofd);
		return false;
	}
	return true;
}

/* ---- configuration -------------------------------------------------------------------------- */

void oio_fd_set_read_enabled(struct oio_fd *iofd, bool on)
{
	bool was = iofd->flags & F_READ_ENABLED;

	if (on)
		iofd->flags |= F_READ_ENABLED;
	else
		iofd->flags &= ~F_READ_ENABLED;
	if (!(iofd->flags & F_REGISTERED) || was == on)
		return;
	if (on) {
		iofd->ctx->ops->read_enable(iofd);
		oio_ctx_queue_resume(iofd);
	} else {
		iofd->ctx->ops->read_disable(iofd);
	}
}

void oio_fd_set_segmentation(struct oio_fd *iofd, const struct oio_lenprefix *lp, bool use_cb)
{
	iofd->seg.use_lp = lp != NULL;
	if (lp)
		iofd->seg.lp = *lp;
	iofd->seg.use_cb = !lp && use_cb && iofd->cbs.segment;
}

int oio_fd_set_alloc_info(struct oio_fd *iofd, unsigned size, unsigned headroom)
{
	if (size == 0 || size + headroom > OIO_MAX_SEGMENT)
		return -EINVAL;
	iofd->alloc_size = size;
	iofd->headroom = headroom;
	return 0;
}

int oio_fd_set_io_buffers(struct oio_fd *iofd, enum oio_op op, int n)
{
	if (iofd->mode != OIO_MODE_READ_WRITE || n < 0 || n > OIO_MAX_IO_BUFFERS)
		return -EINVAL;
	if (n == 0)
		return OIO_MAX_IO_BUFFERS;
	if (op == OIO_OP_READ)
		iofd->io_read_buffers = (unsigned)n;
	else if (op == OIO_OP_WRITE)
		iofd->io_write_buffers = (unsigned)n;
	else
		return -EINVAL;
	return 0;
}

int oio_fd_set_sqes(struct oio_fd *iofd, enum oio_op op, int n)
{
	/* upstream allows this in read_write mode only; datagram modes gain most from it (several receives
	 * armed), and message boundaries keep it safe there */
	if (iofd->mode == OIO_MODE_ACCEPT || iofd->ctx->backend != OIO_BACKEND_IO_URING ||
	    op != OIO_OP_READ || n < 1 ||
	    n > (iofd->mode == OIO_MODE_READ_WRITE ? OIO_MAX_READ_SQES : OIO_MAX_DGRAM_READ_SQES))
		return -EINVAL;
	/* (io_uring only, checked above) */
	if ((unsigned)n > iofd->u.uring.rd_cap && (iofd->u.uring.inflight || iofd->cbdepth))
		return -EBUSY; /* the read slots (armed or being delivered) must not move: set it before register() */
	iofd->num_sqes = (unsigned)n;
	return 0;
}

int oio_fd_set_cmsg_size(struct oio_fd *iofd, size_t size)
{
	if (iofd->mode != OIO_MODE_RECVMSG_SENDMSG || size > 65536)
		return -EINVAL;
	iofd->cmsg_size = size;
	return 0;
}

void oio_fd_notify_connected(struct oio_fd *iofd)
{
	if (iofd->mode != OIO_MODE_READ_WRITE && iofd->mode != OIO_MODE_RECVMSG_SENDMSG)
		return;
	iofd->flags |= F_NOTIFY_CONNECTED;
	iofd->conn_err = 0;
	if (iofd->flags & F_REGISTERED) {
		/* registered first: reads armed since would take the connect error; they stop until the notification */
		iofd->ctx->ops->read_disable(iofd);
		iofd->ctx->ops->notify_connected(iofd);
	}
}

/* ---- transmit ------------------------------------------------------------------------------- */

static int enqueue(struct oio_fd *iofd, const void *data, size_t len, int flags, const union oio_sockaddr *dst,
		   socklen_t dstlen, const void *ctrl, size_t ctrllen, uint64_t token)
{
	struct oio_txent *e;

	if (len == 0 || len > UINT32_MAX || dstlen > sizeof(union oio_sockaddr) || (iofd->flags & F_TO_FREE))
		return -EINVAL;
	if (iofd->txq.len >= iofd->txq.max)
		return -ENOSPC;
	e = oio_txent_get(iofd->ctx, len, ctrllen);
	if (!e)
		return -ENOMEM;
	memcpy(e->data, data, len);
	if (ctrllen)
		memcpy(e->ctrl, ctrl, ctrllen);
	if (dst && dstlen) {
		memcpy(&e->addr, dst, dstlen);
		e->addrlen = dstlen;
	}
	e->flags = flags;
	e->token = token;
	oio_txq_push(&iofd->txq, e);
	if (iofd->txq.len == 1 && (iofd->flags & F_REGISTERED))
		iofd->ctx->ops->write_enable(iofd);
	return 0;
}

int oio_fd_write(struct oio_fd *iofd, const void *data, size_t len, uint64_t token)
{
	if (iofd->mode != OIO_MODE_READ_WRITE)
		return -EINVAL;
	return enqueue(iofd, data, len, 0, NULL, 0, NULL, 0, token);
}

int oio_fd_sendto(struct oio_fd *iofd, const void *data, size_t len, int flags, const union oio_sockaddr *dst,
		  socklen_t dstlen, uint64_t token)
{
	if (iofd->mode != OIO_MODE_RECVFROM_SENDTO)
		return -EINVAL;
	return enqueue(iofd, data, len, flags, dst, dstlen, NULL, 0, token);
}

int oio_fd_sendmsg(struct oio_fd *iofd, const void *data, size_t len, int flags, const union oio_sockaddr *dst,
		   socklen_t dstlen, const void *control, size_t controllen, uint64_t token)
{
	if (iofd->mode != OIO_MODE_RECVMSG_SENDMSG)
		return -EINVAL;
	return enqueue(iofd, data, len, flags, dst, dstlen, control, controllen, token);
}

unsigned oio_fd_txqueue_len(const struct oio_fd *iofd) { return iofd->txq.len; }
size_t oio_fd_txqueue_bytes(const struct oio_fd *iofd) { return iofd->txq.bytes; }
uint32_t oio_fd_generation(const struct oio_fd *iofd) { return iofd->fdgen; }
void oio_fd_set_txqueue_max(struct oio_fd *iofd, unsigned max) { iofd->txq.max = max; }

void oio_fd_txqueue_clear(struct oio_fd *iofd)
{
	oio_txq_clear(iofd->ctx, &iofd->txq);
	iofd->flags &= ~F_WRITE_BLOCKED;
}

unsigned oio_fd_tx_iov(struct oio_fd *iofd, struct iovec *iov, struct oio_txent **ents, unsigned max)
{
	unsigned n = 0;

	for (struct oio_txent *e = iofd->txq.head; e && n < max; e = e->next) {
		iov[n].iov_base = e->data + e->off;
		iov[n].iov_len = e->len - e->off;
		ents[n++] = e;
		/* addressed and control-carrying messages go out one per operation */
		if (iofd->mode != OIO_MODE_READ_WRITE)
			break;
	}
	return n;
}

/* ---- completions ---------------------------------------------------------------------------- */

void oio_fd_handle_read(struct oio_fd *iofd, int res, const uint8_t *data, size_t len,
			const struct oio_rxinfo *info)
{
	iofd->ctx->stats.reads++;
	/* 0 is the end of a connection (not an empty datagram) on stream and seqpacket sockets in the datagram
	 * modes too: stop reading until registered again, or the EOF would be reported in a tight loop */
	if (res == 0 && iofd->mode != OIO_MODE_READ_WRITE && iofd->mode != OIO_MODE_ACCEPT &&
	    (iofd->flags & F_IS_SOCKET) && iofd->sotype != SOCK_DGRAM)
		iofd->flags |= F_EOF;
	if (iofd->mode == OIO_MODE_READ_WRITE &&
	    (res <= 0 || oio_seg_active(iofd) || iofd->io_read_buffers > 1 || iofd->seg.pending_len)) {
		/* more than one callback per read, or bytes kept from earlier: segment.c delivers in order */
		oio_seg_feed(iofd, res, data, len);
		return;
	}
	iofd->cbs.read(iofd, res, data, res > 0 ? len : 0, info);
}

int oio_fd_recv_flags(const struct oio_fd *iofd)
{
	return iofd->sotype == SOCK_DGRAM ? MSG_TRUNC : 0;
}

void oio_fd_handle_dgram(struct oio_fd *iofd, int res, const uint8_t *data, size_t buflen,
			 const struct oio_rxinfo *info)
{
	if (res > 0 && ((size_t)res > buflen || (info->flags & MSG_TRUNC))) {
		iofd->ctx->stats.truncated++;
		res = -EMSGSIZE;
	}
	oio_fd_handle_read(iofd, res, data, res > 0 ? (size_t)res : 0, info);
}

bool oio_fd_handle_write(struct oio_fd *iofd, struct oio_txent **ents, unsigned n, int res)
{
	struct oio_ctx *ctx = iofd->ctx;
	struct oio_txent *done[OIO_MAX_IO_BUFFERS];
	int dres[OIO_MAX_IO_BUFFERS];
	unsigned ndone = 0;
	struct oio_txent *partial = NULL;
	int pres = 0;

	for (unsigned i = 0; i < n; i++)
		ents[i]->inflight = false;
	if (n == 0)
		return true;
	if (ents[0]->orphan) {
		/* cleared (txqueue_clear / close) while the kernel owned them: nobody waits for these */
		for (unsigned i = 0; i < n; i++)
			oio_txent_put(ctx, ents[i]);
		return !(iofd->flags & (F_CLOSED | F_TO_FREE));
	}
	if (res == -EAGAIN)
		return true; /* stays at the head of the queue */
	ctx->stats.writes++;
	/* Detach the entries first so that a callback may clear or close freely. They are the head unless several
	 * datagram sends are in flight and completed out of order. */
	for (unsigned i = 0; i < n; i++)
		oio_txq_remove(&iofd->txq, ents[i]);
	if (res < 0) {
		for (unsigned i = 0; i < n; i++) {
			done[ndone] = ents[i];
			dres[ndone++] = res;
		}
	} else {
		size_t left = (size_t)res;
		for (unsigned i = 0; i < n; i++) {
			struct oio_txent *e = ents[i];
			size_t want = e->len - e->off;
			size_t w = left < want ? left : want;
			left -= w;
			e->off += (uint32_t)w;
			if (e->off == e->len) {
				done[ndone] = e;
				dres[ndone++] = (int)w;
			} else {
				/* partial (or not reached): back to the front, in order */
				if (!partial && w > 0) {
					partial = e;
					pres = (int)w;
				}
			}
		}
		for (unsigned i = n; i-- > 0;) {
			if (ents[i]->off != ents[i]->len)
				oio_txq_push_front(&iofd->txq, ents[i]);
		}
	}
	oio_fd_enter_cb(iofd);
	for (unsigned i = 0; i < ndone; i++) {
		if (iofd->cbs.write && !(iofd->flags & (F_CLOSED | F_TO_FREE)))
			iofd->cbs.write(iofd, dres[i], done[i]->token, true);
		oio_txent_put(ctx, done[i]);
	}
	if (partial && iofd->cbs.write && !(iofd->flags & (F_CLOSED | F_TO_FREE)) && !partial->orphan)
		iofd->cbs.write(iofd, pres, partial->token, false);
	bool alive = !(iofd->flags & (F_CLOSED | F_TO_FREE));
	if (!oio_fd_leave_cb(iofd))
		return false;
	return alive;
}

/* Writable after a non-blocking connect: tell success from failure. SO_ERROR holds the failure unless a read
 * armed before the notification collected it: then that read's error (conn_err), else ENOTCONN if there is no peer. */
void oio_fd_handle_connected(struct oio_fd *iofd)
{
	int res = 0;

	iofd->flags &= ~F_NOTIFY_CONNECTED;
	if (iofd->flags & F_IS_SOCKET) {
		int err = 0;
		socklen_t len = sizeof(err);
		union oio_sockaddr peer;
		socklen_t plen = sizeof(peer);

		iofd->ctx->stats.syscalls++;
		if (getsockopt(iofd->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err) {
			res = -err;
		} else if (iofd->conn_err) {
			res = iofd->conn_err; /* a receive armed before the notification took it */
		} else {
			iofd->ctx->stats.syscalls++;
			if (getpeername(iofd->fd, &peer.sa, &plen) < 0 && errno == ENOTCONN)
				res = -ENOTCONN;
		}
	}
	iofd->conn_err = 0;
	if (iofd->cbs.connected)
		iofd->cbs.connected(iofd, res);
	oio_ctx_queue_resume(iofd); /* reads completed while the notification was pending were held */
}
