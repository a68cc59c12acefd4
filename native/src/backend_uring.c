/*
 * The io_uring backend. One ring per context; its eventfd is the only fd the embedding loop watches.
 * Each registered iofd keeps its read operation(s) armed and one write in flight (a datagram socket up to
 * OIO_DGRAM_WRITES sends); SQEs are batched and submitted by oio_ctx_flush() once per loop iteration (or at once
 * when the SQ is full or in immediate mode). On kernels without IORING_FEAT_NODROP in-flight operations are
 * capped at the CQ size so that no completion is dropped; iofds that find no room wait on a backlog. Cancelled
 * operations keep their buffers until their own CQE arrives.
 * Stream sockets with the default read size receive with one multishot receive into a buffer ring shared by
 * the context: armed once, it completes for every chunk without a new SQE or poll arming per read. Datagram
 * sockets likewise keep one multishot recvmsg armed, into buffer groups sized for their messages.
 */
#include "internal.h"
#include "bufring.h"
#include "ring.h"
#include <sys/socket.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define DEFAULT_ENTRIES 4096

/* The multishot receive buffer ring: buffers of the default read size, so reads keep their upstream size */
#define BUFRING_BGID 0
#define BUFRING_ENTRIES 1024

/*
 * Datagram sockets: one multishot recvmsg each instead of num_sqes receives (one SQE per datagram, and every
 * armed receive is woken for each datagram). Each buffer holds a struct io_uring_recvmsg_out, the source address,
 * the control bytes and the payload of the iofd's read size; iofds of the same buffer size share a group of the
 * context. Buffers go back as soon as a message is delivered or held (copied), so a group only needs to hold what
 * arrives between two drains; when it runs dry the receive ends with -ENOBUFS (the datagrams stay in the socket)
 * and is armed again.
 */
#define DGRAM_BGID_BASE 1                  /* group i is DGRAM_BGID_BASE + i */
#define DGRAM_GROUP_BYTES (2u << 20)       /* at most about this much per group: 128 buffers of the default size */
#define DGRAM_MAX_ENTRIES 256
#define DGRAM_MIN_ENTRIES 16
#define DGRAM_NAMELEN ((sizeof(union oio_sockaddr) + 7) & ~(size_t)7) /* keeps the control bytes aligned */

static void drain(struct oio_ctx *ctx);
static void cancel(struct oio_ctx *ctx, struct oio_uop *op);

/*
 * An enter that fails for another reason than a signal, a full CQ or a timeout will fail the same way every
 * time (EBADF: the ring fd was closed under us; EFAULT, ENXIO: the ring is gone): retrying would spin the loop
 * at 100 % CPU, so the backend stops watching and reports it once.
 */
static int check_enter(struct oio_ctx *ctx, int rc)
{
	if (rc >= 0 || rc == -EINTR || rc == -EAGAIN || rc == -EBUSY || rc == -ETIME)
		return rc;
	if (!ctx->fatal) {
		ctx->loop->unwatch(ctx->loop, &ctx->u.uring.watch);
		oio_ctx_fail(ctx, rc, "io_uring_enter");
	}
	return rc;
}

/* A loop that sleeps in the ring (oio_ctx_sleep()) never waits for the eventfd: from its first sleep on, the eventfd
 * stays quiet. Else its signals would only wake libuv's epoll fd, and with it the ring's poll on that fd (the
 * sleep's sign that libuv has work), for completions the next sleep takes anyway. */
static void eventfd_quiet(struct oio_uring_ctx *st, bool quiet)
{
	if (!st->ring_sleeps)
		oio_ring_eventfd_quiet(&st->ring, quiet);
}

/*
 * With DEFER_TASKRUN a GETEVENTS enter posts the completions it runs, and every posting signals our eventfd:
 * the loop would wake once more for work it has just taken (an epoll_wait, an eventfd read and an enter per
 * round). The eventfd is quiet during such calls; work that arrives meanwhile still sets IORING_SQ_TASKRUN,
 * and every caller drains and checks that flag afterwards. Only our own enters post CQEs in this mode.
 *
 * EINTR, one rule for both enters: the ring helpers return it as the kernel gave it, and their callers here
 * decide. enter() never waits (min_complete 0), so it retries at once: an interrupted submit would otherwise
 * leave its SQEs for the next flush. An interrupted enter_wait() is an early wake-up, as epoll_wait's EINTR is to
 * libuv: it reports "not min_complete yet" (what it submitted was consumed before the wait) and its caller drains
 * what is there. Neither is a failure (check_enter()). uring_exit()'s bounded wait counts one as a round.
 */
static int enter(struct oio_ctx *ctx, bool getevents)
{
	struct oio_uring_ctx *st = &ctx->u.uring;
	bool quiet = getevents && st->defer;
	int rc;

	if (ctx->fatal)
		return ctx->fatal;
	ctx->stats.syscalls++;
	if (oio_ring_unsubmitted(&st->ring))
		st->submits++;
	if (quiet)
		eventfd_quiet(st, true);
	do {
		rc = oio_ring_enter(&st->ring, getevents, 0);
	} while (rc == -EINTR);
	if (quiet)
		eventfd_quiet(st, false);
	return check_enter(ctx, rc);
}

static bool enter_wait(struct oio_ctx *ctx, unsigned min_complete, unsigned min_wait_us, unsigned timeout_us)
{
	struct oio_uring_ctx *st = &ctx->u.uring;
	int rc;

	if (ctx->fatal)
		return false;
	ctx->stats.syscalls++;
	if (oio_ring_unsubmitted(&st->ring))
		st->submits++;
	if (st->defer)
		eventfd_quiet(st, true);
	rc = oio_ring_enter_wait(&st->ring, min_complete, min_wait_us, (uint64_t)timeout_us * 1000u);
	if (st->defer)
		eventfd_quiet(st, false);
	/* An enter that also submitted returns the submitted count even when the wait ran out: it still paid for
	 * itself (the submissions needed an enter anyway), so it counts as worth waiting. Only a wait that carried
	 * nothing and ran out is false (-ETIME; -EINTR: see enter()). Measured: counting such waits as lost made the
	 * loop back off under saturation, +35 % system calls per NS PDU, +10 % per TCP echo. */
	return check_enter(ctx, rc) >= 0;
}

/* An SQE for a new operation, or NULL when the in-flight cap is reached. */
static struct io_uring_sqe *get_sqe(struct oio_ctx *ctx, bool is_cancel)
{
	struct oio_uring_ctx *st = &ctx->u.uring;
	struct io_uring_sqe *sqe;

	/* Without IORING_FEAT_NODROP a full CQ loses completions: cap in-flight operations at its size. With it
	 * (5.5+) the kernel keeps overflowed CQEs, and a cap would let idle reads starve every write. */
	if (!is_cancel && !(st->ring.features & IORING_FEAT_NODROP) && st->inflight >= st->ring.cq_entries)
		return NULL;
	sqe = oio_ring_get_sqe(&st->ring);
	if (!sqe) {
		enter(ctx, false); /* the SQ is full: submit what is there */
		sqe = oio_ring_get_sqe(&st->ring);
	}
	if (sqe) {
		st->inflight++;
		ctx->stats.uring_sqes++;
	}
	return sqe;
}

static void to_backlog(struct oio_fd *iofd)
{
	struct oio_ctx *ctx = iofd->ctx;
	struct oio_uring_ctx *st = &ctx->u.uring;

	if (iofd->flags & F_BACKLOG)
		return;
	iofd->flags |= F_BACKLOG;
	iofd->u.uring.backlog_next = NULL;
	if (st->backlog_tail)
		st->backlog_tail->u.uring.backlog_next = iofd;
	else
		st->backlog_head = iofd;
	st->backlog_tail = iofd;
	ctx->stats.uring_backlog++;
	if (ctx->loop->flush_needed)
		ctx->loop->flush_needed(ctx->loop);
}

/* Reads kept armed. Several readers of one byte stream could complete out of order and reorder the bytes, so a
 * stream socket has one (a multishot receive when it can); datagram sockets and files may have num_sqes. */
static unsigned reads_wanted(const struct oio_fd *iofd)
{
	/* only datagrams may have several readers: a byte stream or ordered messages (SOCK_STREAM in any mode,
	 * SOCK_SEQPACKET) could be reordered by receives completing out of order */
	bool many = iofd->sotype == SOCK_DGRAM || !(iofd->flags & F_IS_SOCKET);
	return iofd->mode == OIO_MODE_ACCEPT || (iofd->flags & F_STREAM) || !many ? 1 : iofd->num_sqes;
}

static int ensure_read_slots(struct oio_fd *iofd)
{
	unsigned want = reads_wanted(iofd);

	if (iofd->u.uring.rd_cap >= want)
		return 0;
	struct oio_uop *rd = realloc(iofd->u.uring.rd, want * sizeof(*rd));
	if (!rd)
		return -ENOMEM;
	memset(rd + iofd->u.uring.rd_cap, 0, (want - iofd->u.uring.rd_cap) * sizeof(*rd));
	for (unsigned i = iofd->u.uring.rd_cap; i < want; i++) {
		rd[i].iofd = iofd;
		rd[i].kind = UOP_READ;
	}
	iofd->u.uring.rd = rd;
	iofd->u.uring.rd_cap = want;
	return 0;
}

/* Multishot receive for this iofd? Stream sockets in read/write mode reading the default size. */
static bool use_multishot(struct oio_fd *iofd)
{
	struct oio_uring_ctx *st = &iofd->ctx->u.uring;

	if (iofd->mode != OIO_MODE_READ_WRITE || !(iofd->flags & F_STREAM) ||
	    oio_fd_read_len(iofd) != OIO_DEFAULT_ALLOC_SIZE || st->bufring_state == BUFRING_UNAVAILABLE)
		return false;
	if (st->bufring_state == BUFRING_UNTRIED) {
		/* first use: kernels before 5.19 (no buffer rings) or 6.0 (no multishot receive) refuse, we fall back */
		iofd->ctx->stats.syscalls++;
		st->bufring_state = oio_bufring_init(&st->bufring, &st->ring, BUFRING_BGID, BUFRING_ENTRIES,
						     OIO_DEFAULT_ALLOC_SIZE) == 0 ? BUFRING_READY : BUFRING_UNAVAILABLE;
	}
	return st->bufring_state == BUFRING_READY;
}

static bool is_dgram(const struct oio_fd *iofd)
{
	return (iofd->flags & F_IS_SOCKET) && iofd->sotype == SOCK_DGRAM;
}

static size_t dgram_clen(const struct oio_fd *iofd)
{
	return iofd->mode == OIO_MODE_RECVMSG_SENDMSG ? (iofd->cmsg_size + 7) & ~(size_t)7 : 0;
}

/* The buffer group of a datagram socket's multishot recvmsg, or NULL: receives of its own (one per datagram). */
static struct oio_bufring *dgram_group(struct oio_fd *iofd)
{
	struct oio_uring_ctx *st = &iofd->ctx->u.uring;
	struct oio_bufring *free_slot = NULL;
	size_t size;
	unsigned entries;

	if ((iofd->mode != OIO_MODE_RECVFROM_SENDTO && iofd->mode != OIO_MODE_RECVMSG_SENDMSG) || !is_dgram(iofd) ||
	    st->dgram_state == BUFRING_UNAVAILABLE || st->bufring_state == BUFRING_UNAVAILABLE)
		return NULL;
	size = sizeof(struct io_uring_recvmsg_out) + DGRAM_NAMELEN + dgram_clen(iofd) + oio_fd_read_len(iofd);
	size = (size + 63) & ~(size_t)63; /* buffers start aligned: the address and control messages are read in place */
	for (unsigned i = 0; i < OIO_DGRAM_GROUPS; i++) {
		struct oio_bufring *g = &st->dgram[i];
		if (g->mem && g->size == size)
			return g;
		if (!g->mem && !free_slot)
			free_slot = g;
	}
	if (!free_slot || size > UINT32_MAX)
		return NULL; /* as many buffer sizes in use as groups: this one reads per datagram */
	entries = DGRAM_MAX_ENTRIES;
	while (entries > DGRAM_MIN_ENTRIES && (size_t)entries * size > DGRAM_GROUP_BYTES)
		entries /= 2;
	iofd->ctx->stats.syscalls++;
	int rc = oio_bufring_init(free_slot, &st->ring, (uint16_t)(DGRAM_BGID_BASE + (free_slot - st->dgram)), entries,
				  (unsigned)size);
	if (rc < 0) {
		/* before 5.19 there are no buffer rings: never try again; else (no memory) this iofd reads per datagram */
		if (st->dgram_state == BUFRING_UNTRIED && rc != -ENOMEM)
			st->dgram_state = BUFRING_UNAVAILABLE;
		return NULL;
	}
	st->dgram_state = BUFRING_READY;
	return free_slot;
}

/* Arm a multishot recvmsg into buffer group g: every datagram completes with the buffer holding a struct
 * io_uring_recvmsg_out, the source address (DGRAM_NAMELEN bytes reserved), the control bytes and the payload. */
static void prep_dgram_multishot(struct oio_fd *iofd, struct oio_uop *op, struct io_uring_sqe *sqe,
				 struct oio_bufring *g)
{
	memset(&op->msg, 0, sizeof(op->msg));
	op->msg.msg_namelen = DGRAM_NAMELEN;
	op->msg.msg_controllen = dgram_clen(iofd);
	op->ms_clen = (uint32_t)op->msg.msg_controllen;
	op->ms_paylen = (uint32_t)oio_fd_read_len(iofd);
	op->dgram_ms = true;
	op->mshot = false;
	op->br = g;
	sqe->fd = iofd->fd;
	sqe->user_data = (uintptr_t)op;
	sqe->opcode = IORING_OP_RECVMSG;
	sqe->addr = (uintptr_t)&op->msg;
	sqe->len = 1;
	sqe->msg_flags = (uint32_t)oio_fd_recv_flags(iofd); /* MSG_TRUNC: payloadlen is the datagram's full size */
	sqe->ioprio = IORING_RECV_MULTISHOT;
	sqe->flags = IOSQE_BUFFER_SELECT;
	sqe->buf_group = (uint16_t)(DGRAM_BGID_BASE + (g - iofd->ctx->u.uring.dgram));
}

static bool prep_read(struct oio_fd *iofd, struct oio_uop *op, struct io_uring_sqe *sqe)
{
	bool mshot = use_multishot(iofd);
	size_t len = iofd->mode == OIO_MODE_ACCEPT || mshot ? 0 : oio_fd_read_len(iofd);
	size_t clen = iofd->mode == OIO_MODE_RECVMSG_SENDMSG ? iofd->cmsg_size : 0;

	if (op->buflen < len) {
		uint8_t *b = realloc(op->buf, len);
		if (!b)
			return false;
		op->buf = b;
		op->buflen = len;
	}
	if (op->ctrllen < clen) {
		uint8_t *c = realloc(op->ctrl, clen);
		if (!c)
			return false;
		op->ctrl = c;
		op->ctrllen = clen;
	}
	sqe->fd = iofd->fd;
	sqe->user_data = (uintptr_t)op;
	op->mshot = mshot;
	op->dgram_ms = false;
	op->br = mshot ? &iofd->ctx->u.uring.bufring : NULL;
	switch (iofd->mode) {
	case OIO_MODE_READ_WRITE:
		if (mshot) {
			sqe->opcode = IORING_OP_RECV;
			sqe->ioprio = IORING_RECV_MULTISHOT;
			sqe->flags = IOSQE_BUFFER_SELECT;
			sqe->buf_group = BUFRING_BGID;
		} else if (iofd->flags & F_IS_SOCKET) {
			sqe->opcode = IORING_OP_RECV;
			sqe->addr = (uintptr_t)op->buf;
			sqe->len = (uint32_t)len;
			/* A link usually re-arms a drained socket: wait for data first instead of a receive attempt that
			 * only finds nothing (kernels without the flag ignore it) */
			if (!op->sock_nonempty)
				sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
		} else {
			op->iov[0].iov_base = op->buf;
			op->iov[0].iov_len = len;
			sqe->opcode = IORING_OP_READV;
			sqe->addr = (uintptr_t)op->iov;
			sqe->len = 1;
			sqe->off = (uint64_t)-1; /* the file position, like read(2) */
		}
		break;
	case OIO_MODE_RECVFROM_SENDTO:
	case OIO_MODE_RECVMSG_SENDMSG:
		op->iov[0].iov_base = op->buf;
		op->iov[0].iov_len = len;
		memset(&op->msg, 0, sizeof(op->msg));
		op->msg.msg_name = &op->name;
		op->msg.msg_namelen = sizeof(op->name);
		op->msg.msg_iov = op->iov;
		op->msg.msg_iovlen = 1;
		op->msg.msg_control = clen ? op->ctrl : NULL;
		op->msg.msg_controllen = clen;
		sqe->opcode = IORING_OP_RECVMSG;
		sqe->addr = (uintptr_t)&op->msg;
		sqe->len = 1;
		sqe->msg_flags = oio_fd_recv_flags(iofd);
		break;
	case OIO_MODE_ACCEPT:
		op->msg.msg_namelen = sizeof(op->name);
		sqe->opcode = IORING_OP_ACCEPT;
		sqe->addr = (uintptr_t)&op->name;
		sqe->addr2 = (uintptr_t)&op->msg.msg_namelen;
		sqe->accept_flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
		break;
	}
	return true;
}

static void prep_write(struct oio_fd *iofd, struct oio_uop *op, struct io_uring_sqe *sqe)
{
	struct oio_txent *e = op->ents[0];

	sqe->fd = iofd->fd;
	sqe->user_data = (uintptr_t)op;
	if (iofd->flags & F_IS_SOCKET) {
		memset(&op->msg, 0, sizeof(op->msg));
		op->msg.msg_name = e->addrlen ? &e->addr : NULL;
		op->msg.msg_namelen = e->addrlen;
		op->msg.msg_iov = op->iov;
		op->msg.msg_iovlen = op->nents;
		op->msg.msg_control = e->ctrllen ? e->ctrl : NULL;
		op->msg.msg_controllen = e->ctrllen;
		sqe->opcode = IORING_OP_SENDMSG;
		sqe->addr = (uintptr_t)&op->msg;
		sqe->len = 1;
		sqe->msg_flags = (uint32_t)(e->flags | MSG_NOSIGNAL);
	} else {
		sqe->opcode = IORING_OP_WRITEV;
		sqe->addr = (uintptr_t)op->iov;
		sqe->len = op->nents;
		sqe->off = (uint64_t)-1;
	}
}

static void armed(struct oio_fd *iofd, struct oio_uop *op)
{
	op->busy = true;
	op->cancelling = false;
	op->gen = iofd->gen;
	op->fdgen = iofd->fdgen;
	iofd->u.uring.inflight++;
	if (op->kind == UOP_WRITE)
		iofd->ctx->u.uring.writes++;
}

static struct oio_uop *write_slot(struct oio_fd *iofd, unsigned k)
{
	return k == 0 ? &iofd->u.uring.wr : &iofd->u.uring.wrx[k - 1];
}

/*
 * A datagram socket keeps up to OIO_DGRAM_WRITES sends in flight, one message each: with one, every message would
 * wait for the previous one's completion, i.e. a loop iteration, and a busy UDP endpoint could not send faster than
 * its loop turns. Sends are armed in queue order and submitted together; the kernel issues each at once, in that
 * order (linking them would make each wait for a task-work run of ours). They go with MSG_DONTWAIT: sends that
 * waited for socket memory together would be woken and sent newest first. One that finds no room completes with
 * -EAGAIN and stays queued (so do the rest of its submission, which find none either), and the iofd sends one
 * message at a time, allowed to wait, until one went out (F_WRITE_BLOCKED). Sends of a later submission could
 * overtake one of an earlier submission that is not complete yet: so more are armed only while every send in
 * flight is still in the SQ (the batch grows until it is submitted, also from oio_ctx_flush() for messages queued
 * since), and after a submission when all of it completed. A full window is submitted at once, so that its
 * completions come back in this drain and a burst of messages queued by read callbacks need not wait for the
 * next loop turn. False: no SQE (backlog).
 */
static bool kick_dgram_writes(struct oio_fd *iofd)
{
	struct oio_ctx *ctx = iofd->ctx;
	struct oio_uring_ctx *st = &ctx->u.uring;
	struct oio_txent *e = iofd->txq.head;
	unsigned armed_now = 0, busy = 0;
	bool blocked = iofd->flags & F_WRITE_BLOCKED;

	if (!iofd->u.uring.wrx) {
		iofd->u.uring.wrx = calloc(OIO_DGRAM_WRITES - 1, sizeof(*iofd->u.uring.wrx));
		if (!iofd->u.uring.wrx)
			return true; /* one send at a time, then */
	}
	for (unsigned k = 0; k < OIO_DGRAM_WRITES; k++) {
		struct oio_uop *op = write_slot(iofd, k);
		if (!op->busy)
			continue;
		if (op->sub_seq != st->submits)
			return true; /* submitted: wait until the whole submission completed */
		busy++;
	}
	while (e && e->inflight)
		e = e->next; /* the batch armed so far: the head of the queue */
	if (blocked && busy)
		return true; /* the one send allowed to wait is armed */
	for (unsigned k = 0; e && k < (blocked ? 1u : OIO_DGRAM_WRITES); k++) {
		struct oio_uop *op = write_slot(iofd, k);
		struct io_uring_sqe *sqe;
		if (op->busy)
			continue;
		if (!(sqe = get_sqe(ctx, false)))
			return false;
		op->iofd = iofd;
		op->kind = UOP_WRITE;
		op->iov[0].iov_base = e->data + e->off;
		op->iov[0].iov_len = e->len - e->off;
		op->ents[0] = e;
		op->nents = 1;
		e->inflight = true;
		prep_write(iofd, op, sqe);
		if (!blocked)
			sqe->msg_flags |= MSG_DONTWAIT;
		op->blocking = blocked;
		op->dgram_send = true;
		st->dgram_sends++;
		st->nowait_sends += !blocked;
		armed(iofd, op);
		op->sub_seq = st->submits;
		armed_now++;
		e = e->next;
	}
	if (e && !blocked && busy + armed_now == OIO_DGRAM_WRITES)
		enter(ctx, false); /* the window is full and more wait: send it now */
	else if (armed_now && !st->growing && !(iofd->flags & F_DIRTY)) {
		/* messages queued before the next submission join this batch */
		iofd->flags |= F_DIRTY;
		iofd->u.uring.grow_next = st->grow_head;
		st->grow_head = iofd;
		if (ctx->loop->flush_needed)
			ctx->loop->flush_needed(ctx->loop);
	}
	return true;
}

/* Submit every operation the iofd wants and has no SQE for yet. */
static void kick(struct oio_fd *iofd)
{
	struct oio_ctx *ctx = iofd->ctx;
	struct io_uring_sqe *sqe;

	if (!(iofd->flags & F_REGISTERED) || (iofd->flags & (F_CLOSED | F_TO_FREE)))
		return;
	if ((iofd->flags & F_NOTIFY_CONNECTED) && !iofd->u.uring.conn.busy) {
		if (!(sqe = get_sqe(ctx, false)))
			goto full;
		iofd->u.uring.conn.iofd = iofd;
		iofd->u.uring.conn.kind = UOP_CONNECT;
		sqe->opcode = IORING_OP_POLL_ADD;
		sqe->fd = iofd->fd;
		sqe->poll32_events = POLLOUT;
		sqe->user_data = (uintptr_t)&iofd->u.uring.conn;
		armed(iofd, &iofd->u.uring.conn);
	}
	if (oio_fd_can_deliver(iofd)) { /* (not while reads are held: oio_fd_resume() kicks when they are out) */
		if (ensure_read_slots(iofd) < 0)
			return;
		unsigned want = reads_wanted(iofd);
		/* a datagram multishot receive uses the first slot alone */
		struct oio_bufring *g = dgram_group(iofd);
		struct oio_uop *ms = &iofd->u.uring.rd[0];
		if (ms->busy && ms->dgram_ms && !ms->cancelling &&
		    (ms->br != g || ms->ms_paylen != oio_fd_read_len(iofd) || ms->ms_clen != dgram_clen(iofd)))
			cancel(ctx, ms); /* the read size changed: armed again with it when this one ended */
		for (unsigned i = 0; i < want; i++) {
			struct oio_uop *op = &iofd->u.uring.rd[i];
			if (op->busy || op->delivering || (g && i > 0))
				continue; /* armed, or its buffer is still being delivered (re-armed when that ends) */
			if (!(sqe = get_sqe(ctx, false)))
				goto full;
			if (g) {
				prep_dgram_multishot(iofd, op, sqe, g);
				armed(iofd, op);
				continue;
			}
			if (!prep_read(iofd, op, sqe)) {
				/* no memory for the buffer: give the SQE back as a no-op */
				sqe->opcode = IORING_OP_NOP;
				sqe->user_data = 0;
				break;
			}
			armed(iofd, op);
		}
	}
	/* writes wait for a pending connect notification too: a send on a refused socket would take its error */
	if (iofd->txq.len && !(iofd->flags & F_NOTIFY_CONNECTED)) {
		if (is_dgram(iofd)) {
			if (!kick_dgram_writes(iofd))
				goto full;
		} else if (!iofd->u.uring.wr.busy && !(iofd->txq.head && iofd->txq.head->inflight)) {
			struct oio_uop *op = &iofd->u.uring.wr;
			if (!(sqe = get_sqe(ctx, false)))
				goto full;
			op->iofd = iofd;
			op->kind = UOP_WRITE;
			op->nents = oio_fd_tx_iov(iofd, op->iov, op->ents, iofd->io_write_buffers);
			for (unsigned i = 0; i < op->nents; i++)
				op->ents[i]->inflight = true;
			prep_write(iofd, op, sqe);
			armed(iofd, op);
		}
	}
	if (ctx->u.uring.immediate && !ctx->u.uring.draining)
		enter(ctx, false);
	return;
full:
	to_backlog(iofd);
}

static void cancel(struct oio_ctx *ctx, struct oio_uop *op)
{
	struct io_uring_sqe *sqe = get_sqe(ctx, true);

	if (!sqe) {
		enter(ctx, false);
		sqe = get_sqe(ctx, true);
		if (!sqe)
			return; /* cannot happen after a submit; the operation then simply completes */
	}
	sqe->opcode = IORING_OP_ASYNC_CANCEL;
	sqe->addr = (uintptr_t)op;
	sqe->user_data = 0;
	op->cancelling = true;
}

/* A completed read (a multishot stream chunk at `data`), delivered now or, when it cannot be, held: copied into the
 * core's held reads (held.c), so that the buffer can be re-armed. */
static void complete_read(struct oio_fd *iofd, struct oio_uop *op, int res, const uint8_t *data, bool hold)
{
	struct oio_rxinfo info = { 0 };
	size_t len = res > 0 ? (size_t)res : 0;

	if (iofd->mode == OIO_MODE_READ_WRITE) {
		if (hold)
			oio_held_add_raw(iofd, res, data, len, NULL);
		else
			oio_fd_handle_read(iofd, res, data, len, NULL);
		return;
	}
	if (res >= 0) {
		info.from = iofd->mode == OIO_MODE_ACCEPT || op->msg.msg_namelen ? &op->name : NULL;
		info.fromlen = op->msg.msg_namelen;
	}
	if (iofd->mode == OIO_MODE_ACCEPT) {
		if (hold)
			oio_held_add_raw(iofd, res, NULL, 0, &info);
		else
			oio_fd_handle_read(iofd, res, NULL, 0, &info);
		return;
	}
	info.control = op->ctrl;
	if (res >= 0) {
		info.controllen = op->msg.msg_controllen;
		info.flags = op->msg.msg_flags;
	}
	if (!hold) {
		oio_fd_handle_dgram(iofd, res, op->buf, op->iov[0].iov_len, &info);
		return;
	}
	if (len > op->iov[0].iov_len)
		len = op->iov[0].iov_len; /* cut: res > len tells it at delivery (-EMSGSIZE) */
	oio_held_add_raw(iofd, res, op->buf, len, &info);
}

/* One datagram from a multishot recvmsg buffer of n bytes (clen control bytes reserved, read size paylen): whole,
 * or -EMSGSIZE when it was larger than the read size, exactly as a receive of its own would; `hold`: it cannot be
 * delivered now, it goes to the held reads (copied: the buffer goes back to its group). */
static void deliver_dgram(struct oio_fd *iofd, const uint8_t *p, size_t n, uint32_t clen, uint32_t paylen, bool hold)
{
	struct io_uring_recvmsg_out o;
	size_t hdr = sizeof(o) + DGRAM_NAMELEN + clen;
	struct oio_rxinfo info;

	if (n < hdr)
		return; /* not a message the kernel would post */
	memcpy(&o, p, sizeof(o));
	memset(&info, 0, sizeof(info));
	if (o.namelen) {
		info.from = (const union oio_sockaddr *)(p + sizeof(o));
		info.fromlen = o.namelen < sizeof(union oio_sockaddr) ? o.namelen : sizeof(union oio_sockaddr);
	}
	if (clen) {
		info.control = p + sizeof(o) + DGRAM_NAMELEN;
		info.controllen = o.controllen < clen ? o.controllen : clen;
	}
	info.flags = (int)o.flags;
	int res = o.payloadlen > INT32_MAX ? INT32_MAX : (int)o.payloadlen;
	if (hold) /* the bytes it has: a larger res tells at delivery that it was cut */
		oio_held_add_raw(iofd, res, p + hdr, o.payloadlen < paylen ? o.payloadlen : paylen, &info);
	else
		oio_fd_handle_dgram(iofd, res, p + hdr, paylen, &info);
}

/* A completion of a datagram multishot recvmsg. `data`: its buffer. */
static void dgram_ms_cqe(struct oio_ctx *ctx, struct oio_uop *op, int res, const uint8_t *data)
{
	struct oio_fd *iofd = op->iofd;

	if (res == -EINVAL && !data && ctx->u.uring.dgram_state != BUFRING_UNAVAILABLE) {
		ctx->u.uring.dgram_state = BUFRING_UNAVAILABLE; /* 5.19 has buffer rings but no multishot recvmsg: a receive per datagram */
		return;
	}
	if (res == -ENOBUFS) {
		/* the group ran dry; the datagrams wait in the socket. Armed again by kick() below, submitted with the
		 * next batch, after this drain gave back every buffer it delivered */
		ctx->stats.uring_nobufs++;
		return;
	}
	if (res < 0 && res != -ECANCELED && res != -EINTR && res != -EAGAIN &&
	    (iofd->flags & F_NOTIFY_CONNECTED) && op->fdgen == iofd->fdgen)
		iofd->conn_err = res; /* for the connect notification: SO_ERROR is gone now */
	if (op->fdgen != iofd->fdgen || (iofd->flags & (F_CLOSED | F_TO_FREE)) || res == -ECANCELED ||
	    res == -EINTR || res == -EAGAIN)
		return; /* (a datagram of a closed fd must not reach the next one) */
	/* datagrams held earlier go first, this one (or its error) behind them; with reading off only datagrams are
	 * kept (an error comes again) */
	bool hold = !oio_fd_can_deliver(iofd);
	if (hold && !data && !oio_fd_can_read(iofd))
		return;
	op->delivering = true;
	if (data) {
		deliver_dgram(iofd, data, (size_t)res, op->ms_clen, op->ms_paylen, hold);
	} else {
		struct oio_rxinfo info;
		memset(&info, 0, sizeof(info));
		if (hold)
			oio_held_add_raw(iofd, res, NULL, 0, &info);
		else
			oio_fd_handle_dgram(iofd, res, NULL, 0, &info);
	}
	op->delivering = false;
}

/* One completion. `data`: where a multishot receive put its bytes (else the op's own buffer); `more`: the
 * operation stays armed (IORING_CQE_F_MORE). */
static void handle_cqe(struct oio_ctx *ctx, struct oio_uop *op, int res, const uint8_t *data, bool more)
{
	struct oio_fd *iofd = op->iofd;
	bool stale = op->gen != iofd->gen || (iofd->flags & (F_CLOSED | F_TO_FREE));

	if (!more) {
		op->busy = false;
		iofd->u.uring.inflight--;
	}
	oio_fd_enter_cb(iofd);
	switch (op->kind) {
	case UOP_READ:
		if (op->dgram_ms) {
			dgram_ms_cqe(ctx, op, res, data);
			break;
		}
		if (!data)
			data = op->buf;
		/* A read that completed with data after unregister / read disable (the cancel came too late) is
		 * held and delivered when reading is on again: dropping it would lose stream bytes. Only reads of
		 * a closed fd are dropped. -ENOBUFS: the buffer ring ran dry, the receive is simply armed again. */
		if (res == -EINVAL && op->mshot) {
			/* 5.19 has buffer rings but no multishot receive: read per SQE */
			ctx->u.uring.bufring_state = BUFRING_UNAVAILABLE;
			break;
		}
		if (res < 0 && res != -ECANCELED && res != -EINTR && res != -EAGAIN && res != -ENOBUFS &&
		    (iofd->flags & F_NOTIFY_CONNECTED) && op->fdgen == iofd->fdgen)
			iofd->conn_err = res; /* for the connect notification: SO_ERROR is gone now */
		if (op->fdgen != iofd->fdgen || (iofd->flags & (F_CLOSED | F_TO_FREE)) || res == -ECANCELED ||
		    res == -EINTR || res == -EAGAIN || (res == -ENOBUFS && op->mshot))
			break;
		/* reads held earlier go first: this one (e.g. a later chunk of a multishot receive) queues behind them,
		 * its EOF or error too; with reading off only data is kept (an error or EOF comes again) */
		if (!oio_fd_can_deliver(iofd)) {
			if (res > 0 || (res == 0 && iofd->mode == OIO_MODE_ACCEPT) || oio_fd_can_read(iofd))
				complete_read(iofd, op, res, data, true);
			break;
		}
		/* callbacks may re-register or resize reads: this buffer must not be re-armed or freed under us */
		op->delivering = true;
		complete_read(iofd, op, res, data, false);
		op->delivering = false;
		break;
	case UOP_WRITE: {
		unsigned n = op->nents;
		op->nents = 0;
		ctx->u.uring.writes--;
		if (op->dgram_send) {
			op->dgram_send = false;
			ctx->u.uring.dgram_sends--;
			ctx->u.uring.nowait_sends -= !op->blocking;
		}
		if (n && is_dgram(iofd) && op->fdgen == iofd->fdgen) {
			if (res == -EAGAIN)
				iofd->flags |= F_WRITE_BLOCKED; /* see kick_dgram_writes() */
			else if (op->blocking && res >= 0)
				iofd->flags &= ~F_WRITE_BLOCKED;
		}
		if (res == -ECANCELED || res == -EINTR) {
			for (unsigned i = 0; i < n; i++) {
				op->ents[i]->inflight = false;
				if (op->ents[i]->orphan)
					oio_txent_put(ctx, op->ents[i]);
			}
			break;
		}
		oio_fd_handle_write(iofd, op->ents, n, res);
		break;
	}
	case UOP_CONNECT:
		if (!stale && res != -ECANCELED && (iofd->flags & F_NOTIFY_CONNECTED))
			oio_fd_handle_connected(iofd);
		break;
	}
	kick(iofd);
	oio_fd_leave_cb(iofd); /* a freed iofd whose last operation this was goes now */
}

/* An iofd taken off a waiting list (backlog, send batches): its operations now, or its release when it was freed
 * while it waited. */
static void kick_waiting(struct oio_fd *iofd)
{
	if (iofd->flags & F_TO_FREE) {
		oio_fd_maybe_release(iofd);
		return;
	}
	oio_fd_enter_cb(iofd);
	kick(iofd);
	oio_fd_leave_cb(iofd);
}

/* Give the iofds that found no room their operations, in the order they waited. */
static void serve_backlog(struct oio_ctx *ctx)
{
	struct oio_uring_ctx *st = &ctx->u.uring;
	struct oio_fd *list = st->backlog_head;

	st->backlog_head = st->backlog_tail = NULL;
	while (list) {
		struct oio_fd *iofd = list;
		list = iofd->u.uring.backlog_next;
		iofd->flags &= ~F_BACKLOG;
		kick_waiting(iofd);
	}
}

/*
 * A datagram multishot receive posts a completion for every datagram that came, however many: a loop round
 * delivers DRAIN_BUDGET of them (the receives armed before took at most their number), the rest waits in the CQ
 * for the next round, which the loop reaches without sleeping. Datagram sends that completed meanwhile are taken
 * first, though the CQ may have them behind receives: the tx queue then has room for the answers to the receives
 * of this round (an echo whose queue only empties a round later would refuse a burst; below upstream's default
 * tx queue length, 128, an NS echo meets no full queue at 20k/s here). A round is a flush and the eventfd
 * callback after it. Other completions (streams) are not counted and keep their order.
 */
#define DRAIN_BUDGET 96

static bool counted(const struct io_uring_cqe *cqe)
{
	const struct oio_uop *op = (const struct oio_uop *)(uintptr_t)cqe->user_data;
	return op && op->kind == UOP_READ && op->dgram_ms;
}

/* Handle the datagram send completions among the unhandled ones from `from` on (and those that a send window
 * submitted meanwhile), in their order. */
static void take_dgram_sends(struct oio_ctx *ctx, unsigned from)
{
	struct oio_ring *r = &ctx->u.uring.ring;

	for (unsigned to = oio_ring_cq_ready(r); from < to; to = oio_ring_cq_ready(r)) {
		for (unsigned i = from; i < to; i++) {
			struct io_uring_cqe *cqe = oio_ring_cqe(r, i);
			struct oio_uop *op = (struct oio_uop *)(uintptr_t)cqe->user_data;
			if (!op || op->kind != UOP_WRITE || !op->dgram_send)
				continue;
			cqe->user_data = 0; /* taken: drain() passes it as it passes a cancel request's */
			handle_cqe(ctx, op, cqe->res, NULL, false);
		}
		from = to;
	}
}

static void drain(struct oio_ctx *ctx)
{
	struct oio_uring_ctx *st = &ctx->u.uring;
	struct oio_ring *r = &st->ring;
	bool cut = false;

	st->draining = true;
	for (int round = 0; round < 64 && !cut; round++) {
		unsigned n = oio_ring_cq_ready(r), i;
		if (!n) {
			if (oio_ring_cq_overflowed(r)) {
				enter(ctx, true);
				continue;
			}
			break;
		}
		/* (both only where datagram sockets are: a stream-only context pays no pass over its completions) */
		if (st->budget_on && n > 1 && st->dgram_sends)
			take_dgram_sends(ctx, 0);
		for (i = 0; i < n; i++) {
			struct io_uring_cqe *cqe = oio_ring_cqe(r, i);
			if (st->budget_on && st->dgram_state == BUFRING_READY && counted(cqe)) {
				if (!st->budget) {
					cut = true; /* this one and the rest: next round */
					break;
				}
				st->budget--;
			}
			/* hundreds of links: the next operations and iofds are cold in the cache, fetch them early */
			if (i + 2 < n)
				__builtin_prefetch((void *)(uintptr_t)oio_ring_cqe(r, i + 2)->user_data);
			if (i + 1 < n && oio_ring_cqe(r, i + 1)->user_data)
				__builtin_prefetch(((struct oio_uop *)(uintptr_t)oio_ring_cqe(r, i + 1)->user_data)->iofd);
			struct oio_uop *op = (struct oio_uop *)(uintptr_t)cqe->user_data; /* NULL: a cancel request */
			int res = cqe->res;
			unsigned fl = cqe->flags, bid = fl >> IORING_CQE_BUFFER_SHIFT;
			bool more = fl & IORING_CQE_F_MORE;
			/* consume this CQE before running callbacks that may submit and drain again */
			if (!more)
				st->inflight--;
			if (op && op->kind == UOP_LOOP_POLL) {
				op->busy = false; /* the loop's poller is readable: armed again at the next sleep */
			} else if (op) {
				/* the group it was armed with: a final CQE may re-arm the slot with another */
				struct oio_bufring *br = (fl & IORING_CQE_F_BUFFER) ? op->br : NULL;
				op->sock_nonempty = fl & IORING_CQE_F_SOCK_NONEMPTY;
				handle_cqe(ctx, op, res, br ? oio_bufring_data(br, bid) : NULL, more);
				if (br)
					oio_bufring_put(br, bid); /* its bytes were delivered or copied */
			}
		}
		oio_ring_cq_advance(r, i);
	}
	st->draining = false;
	serve_backlog(ctx); /* room in the ring again */
	if (st->immediate && oio_ring_unsubmitted(r))
		enter(ctx, false);
}

/* Deferred completions the kernel holds for us (IORING_SETUP_TASKRUN_FLAG marks them in the SQ flags). */
static bool pending_task_work(struct oio_uring_ctx *st)
{
	return st->defer && oio_ring_taskrun_pending(&st->ring);
}

/* ... that must be taken before the loop blocks in its own poller. A loop that sleeps in the ring (oio_ctx_sleep())
 * never blocks there: its next sleep runs them, and a stale flag costs it nothing. */
static bool must_take_task_work(struct oio_uring_ctx *st)
{
	return !st->ring_sleeps && pending_task_work(st);
}

static void ring_cb(struct oio_watch *w, unsigned revents)
{
	struct oio_ctx *ctx = container_of(w, struct oio_ctx, u.uring.watch);
	struct oio_uring_ctx *st = &ctx->u.uring;
	uint64_t v;

	(void)revents;
	ctx->stats.wakeups++;
	ctx->stats.syscalls++;
	if (read(st->watch.fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	if (st->defer || oio_ring_unsubmitted(&st->ring))
		enter(ctx, true);
	/* what the last flush left of the round's budget: a loop turn flushes, waits, runs this and then hands the
	 * completions of both to its callbacks at once */
	st->budget_on = ctx->loop->flush_needed != NULL; /* else nothing would come back for the rest */
	drain(ctx);
	st->budget_on = false;
	/* more than one GETEVENTS takes, or completions left for the next round: continue before sleeping */
	if ((must_take_task_work(st) || oio_ring_cq_ready(&st->ring)) && ctx->loop->flush_needed)
		ctx->loop->flush_needed(ctx->loop);
}

int oio_uring_probe(char *why, size_t whylen)
{
	struct oio_ring r;
	unsigned flags = 0;
	int rc = oio_ring_init(&r, 4, &flags, 1);

	if (rc == 0) {
		oio_ring_exit(&r);
		return 0;
	}
	if (why && whylen) {
		int disabled = -1;
		FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
		if (f) {
			if (fscanf(f, "%d", &disabled) != 1)
				disabled = -1;
			fclose(f);
		}
		if (rc == -ENOSYS)
			snprintf(why, whylen, "io_uring_setup: ENOSYS (kernel without io_uring or blocked by seccomp)");
		else if (rc == -EPERM && disabled > 0)
			snprintf(why, whylen, "io_uring_setup: EPERM (kernel.io_uring_disabled=%d)", disabled);
		else if (rc == -EPERM)
			snprintf(why, whylen, "io_uring_setup: EPERM (blocked by seccomp or a security policy)");
		else
			snprintf(why, whylen, "io_uring_setup: %s", strerror(-rc));
	}
	return rc;
}

static int uring_init(struct oio_ctx *ctx, const struct oio_ctx_opts *opts, char *why, size_t whylen)
{
	struct oio_uring_ctx *st = &ctx->u.uring;
	unsigned sets[3], n = 0;
	unsigned entries = opts->uring_entries ? opts->uring_entries : DEFAULT_ENTRIES;
	int rc, efd;

	if (!opts->uring_no_defer) {
		/* TASKRUN_FLAG is required with DEFER_TASKRUN here: the kernel marks deferred work it left over in the
		 * SQ flags (IORING_SQ_TASKRUN), which is how we see it without a system call */
		sets[n++] = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
	}
	/* Not COOP_TASKRUN: it queues task work without waking a task asleep in epoll_wait, so completions would
	 * wait for an unrelated wakeup. Without DEFER_TASKRUN the default notification interrupts the wait. */
	sets[n++] = IORING_SETUP_SINGLE_ISSUER;
	sets[n++] = 0;
	rc = oio_ring_init(&st->ring, entries, sets, n);
	if (rc < 0) {
		oio_uring_probe(why, whylen);
		return rc;
	}
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0 || (rc = oio_ring_register_eventfd(&st->ring, efd)) < 0) {
		rc = efd < 0 ? -errno : rc;
		if (why && whylen)
			snprintf(why, whylen, "io_uring eventfd: %s", strerror(-rc));
		if (efd >= 0)
			close(efd);
		oio_ring_exit(&st->ring);
		return rc;
	}
	st->defer = st->ring.setup_flags & IORING_SETUP_DEFER_TASKRUN;
	st->bufring_state = opts->uring_no_multishot ? BUFRING_UNAVAILABLE : BUFRING_UNTRIED;
	st->dgram_state = opts->uring_no_multishot ? BUFRING_UNAVAILABLE : BUFRING_UNTRIED;
	st->budget = DRAIN_BUDGET;
	st->immediate = opts->uring_immediate;
	ctx->stats.uring_entries = st->ring.sq_entries;
	ctx->stats.uring_flags = st->ring.setup_flags;
	st->watch.cb = ring_cb;
	st->watch.fd = efd;
	rc = ctx->loop->watch(ctx->loop, &st->watch, OIO_EV_READ);
	if (rc < 0) {
		close(efd);
		oio_ring_exit(&st->ring);
		return rc;
	}
	return 0;
}

static void uring_exit(struct oio_ctx *ctx)
{
	struct oio_uring_ctx *st = &ctx->u.uring;

	/* wait for cancelled operations so their buffers are not freed under the kernel, bounded in time (at most
	 * ~200 ms): an operation that never completes must not keep the process from exiting. What is left is
	 * cancelled by the kernel when the ring goes. */
	if (st->loop_poll.busy && !ctx->fatal)
		cancel(ctx, &st->loop_poll);
	for (int i = 0; i < 200 && st->inflight && !ctx->fatal; i++) {
		ctx->stats.syscalls++;
		if (st->ring.features & IORING_FEAT_EXT_ARG)
			oio_ring_enter_wait(&st->ring, 1, 0, 1000000);
		else
			oio_ring_enter(&st->ring, true, 0);
		drain(ctx);
	}
	ctx->loop->unwatch(ctx->loop, &st->watch);
	close(st->watch.fd);
	oio_ring_exit(&st->ring);
	oio_bufring_free(&st->bufring);
	for (unsigned i = 0; i < OIO_DGRAM_GROUPS; i++)
		oio_bufring_free(&st->dgram[i]);
}

static int uring_register(struct oio_fd *iofd)
{
	int fl;

	/* io_uring waits by itself; an O_NONBLOCK fd could complete with -EAGAIN on some kernels */
	iofd->ctx->stats.syscalls += 2;
	fl = fcntl(iofd->fd, F_GETFL);
	if (fl < 0 || ((fl & O_NONBLOCK) && fcntl(iofd->fd, F_SETFL, fl & ~O_NONBLOCK) < 0))
		return -errno;
	iofd->u.uring.wr.iofd = iofd;
	iofd->u.uring.wr.kind = UOP_WRITE;
	iofd->u.uring.conn.iofd = iofd;
	iofd->u.uring.conn.kind = UOP_CONNECT;
	iofd->flags &= ~F_STREAM;
	if (iofd->sotype == SOCK_STREAM && iofd->mode == OIO_MODE_READ_WRITE)
		iofd->flags |= F_STREAM;
	return 0;
}

static void uring_unregister(struct oio_fd *iofd)
{
	struct oio_ctx *ctx = iofd->ctx;

	/* SQEs still waiting for submission name the fd by number: submit them while the number still means
	 * this file, or a socket that reuses it after close() would be read by our stale operation */
	if (oio_ring_unsubmitted(&ctx->u.uring.ring))
		enter(ctx, false);
	for (unsigned i = 0; i < iofd->u.uring.rd_cap; i++)
		if (iofd->u.uring.rd[i].busy)
			cancel(ctx, &iofd->u.uring.rd[i]);
	for (unsigned k = 0; k < (iofd->u.uring.wrx ? OIO_DGRAM_WRITES : 1); k++)
		if (write_slot(iofd, k)->busy)
			cancel(ctx, write_slot(iofd, k));
	if (iofd->u.uring.conn.busy)
		cancel(ctx, &iofd->u.uring.conn);
	/* A request in flight holds the file: closed now, a listening socket would still take (and then reset)
	 * connections until the cancellations run. With DEFER_TASKRUN they run in our own enter: do it now. */
	if ((iofd->flags & F_CLOSED) && iofd->u.uring.inflight && ctx->u.uring.defer) {
		enter(ctx, true);
		return;
	}
	if (ctx->loop->flush_needed && oio_ring_unsubmitted(&ctx->u.uring.ring))
		ctx->loop->flush_needed(ctx->loop);
}

static void uring_release_fd(struct oio_fd *iofd)
{
	struct oio_uring_fd *u = &iofd->u.uring;

	/* operations a dead ring never completed (context teardown): their entries were orphaned at close */
	for (unsigned k = 0; k < (u->wrx ? OIO_DGRAM_WRITES : 1); k++) {
		struct oio_uop *w = write_slot(iofd, k);
		for (unsigned i = 0; i < w->nents; i++)
			if (w->ents[i]->orphan)
				oio_txent_put(iofd->ctx, w->ents[i]);
		w->nents = 0;
	}
	for (unsigned i = 0; i < u->rd_cap; i++) {
		free(u->rd[i].buf);
		free(u->rd[i].ctrl);
	}
	free(u->rd);
	free(u->wrx);
}

static void uring_read_disable(struct oio_fd *iofd)
{
	for (unsigned i = 0; i < iofd->u.uring.rd_cap; i++)
		if (iofd->u.uring.rd[i].busy)
			cancel(iofd->ctx, &iofd->u.uring.rd[i]);
}

static void uring_kick(struct oio_fd *iofd)
{
	kick(iofd);
	if (iofd->ctx->loop->flush_needed && oio_ring_unsubmitted(&iofd->ctx->u.uring.ring))
		iofd->ctx->loop->flush_needed(iofd->ctx->loop);
}

/*
 * IORING_SQ_TASKRUN can stay set while the kernel has no deferred work to run (seen for up to ~200 ms at a time:
 * thousands of enters that ran nothing). Entering again at once would spin; sleeping in epoll could strand work
 * that came during our eventfd-quiet enter (the eventfd only speaks when the kernel's work list goes from empty to
 * non-empty). So wait in the kernel, briefly: it runs and wakes for real work, and the loop's other handles get
 * their turn after at most STALE_TASKRUN_WAIT_US.
 */
#define STALE_TASKRUN_WAIT_US 1000

static void wait_out_stale_taskrun(struct oio_ctx *ctx)
{
	struct oio_uring_ctx *st = &ctx->u.uring;

	if (!(st->ring.features & IORING_FEAT_EXT_ARG))
		return;
	ctx->stats.uring_stale_waits++;
	enter_wait(ctx, 1, 0, STALE_TASKRUN_WAIT_US);
	drain(ctx);
}

/* Datagram sockets whose batch of sends is not submitted yet: add what was queued since (kick_dgram_writes). */
static void grow_batches(struct oio_ctx *ctx)
{
	struct oio_fd *list = ctx->u.uring.grow_head;

	ctx->u.uring.grow_head = NULL;
	ctx->u.uring.growing = true;
	while (list) {
		struct oio_fd *iofd = list;
		list = iofd->u.uring.grow_next;
		iofd->flags &= ~F_DIRTY;
		kick_waiting(iofd);
	}
	ctx->u.uring.growing = false;
}

static bool uring_flush(struct oio_ctx *ctx, unsigned min_complete, unsigned timeout_us)
{
	struct oio_uring_ctx *st = &ctx->u.uring;
	bool got = false;

	if (st->grow_head)
		grow_batches(ctx);
	st->budget_on = ctx->loop->flush_needed != NULL; /* else nothing would come back for the rest */
	st->budget = DRAIN_BUDGET;
	if (st->inflight < st->ring.cq_entries)
		serve_backlog(ctx);
	if (timeout_us && (st->ring.features & IORING_FEAT_EXT_ARG)) {
		/* the kernel counts CQEs we have not consumed: take those first */
		if (oio_ring_cq_ready(&st->ring))
			drain(ctx);
		/* min_complete counts arrivals; the writes in flight complete meanwhile too (mostly at once), and an echo
		 * would otherwise fill half of every batch with its own send completions */
		got = enter_wait(ctx, min_complete + st->writes, 0, timeout_us);
		drain(ctx);
	} else if (oio_ring_unsubmitted(&st->ring) || pending_task_work(st)) {
		/* one enter both submits and, when the kernel holds deferred completions, runs them */
		enter(ctx, pending_task_work(st));
	}
	/*
	 * The loop may sleep on the eventfd next, which only speaks for work queued after it was last
	 * reset. Work that is already there must be taken now: CQEs posted inline while we submitted, and
	 * deferred task work the kernel left over (it runs at most a few dozen items per GETEVENTS and does not
	 * signal the eventfd again for the rest). Whatever that produces is handled in the next iteration,
	 * which the loop then reaches without sleeping.
	 */
	if (oio_ring_cq_ready(&st->ring) || oio_ring_cq_overflowed(&st->ring) || pending_task_work(st)) {
		bool ran = true;

		if (pending_task_work(st) || oio_ring_cq_overflowed(&st->ring)) {
			unsigned before = oio_ring_cq_ready(&st->ring);
			enter(ctx, true);
			ran = oio_ring_cq_ready(&st->ring) != before;
		}
		drain(ctx);
		/* not while completions are left for the next round (DRAIN_BUDGET): that round comes at once anyway,
		 * and the wait would return at once */
		if (!ran && must_take_task_work(st) && !oio_ring_unsubmitted(&st->ring) && !oio_ring_cq_ready(&st->ring))
			wait_out_stale_taskrun(ctx);
		if ((oio_ring_unsubmitted(&st->ring) || oio_ring_cq_ready(&st->ring) || must_take_task_work(st)) &&
		    ctx->loop->flush_needed)
			ctx->loop->flush_needed(ctx->loop);
	}
	st->budget_on = false;
	return got;
}

/*
 * oio_ctx_sleep(): one enter submits what is prepared and waits for a completion or for the loop's poller fd, which
 * joins the ring as a poll. The poll stays armed across sleeps until it fires; the next sleep arms it again, in the
 * same enter. Without DEFER_TASKRUN the kernel posts completions from our own task and the eventfd wakes the loop
 * in time. Coalescing (IORING_FEAT_MIN_TIMEOUT): for coalesce_us the wait holds out for a batch, then one
 * completion is enough; traffic sparser than that is not delayed at all.
 */
#define SLEEP_BATCH 64

static int uring_sleep(struct oio_ctx *ctx, int loop_fd, int timeout_ms, unsigned coalesce_us)
{
	struct oio_uring_ctx *st = &ctx->u.uring;
	struct oio_uop *lp = &st->loop_poll;

	if (!st->defer || !(st->ring.features & IORING_FEAT_EXT_ARG) || loop_fd < 0)
		return -EOPNOTSUPP;
	/* a flush's preparation, for callers that dispatched since their last flush (both cheap when nothing is
	 * there); what is left then (completions, a backlog the ring has no room for) wants a flush, not a sleep.
	 * Deferred task work the kernel holds is no reason: the enter runs it first, and a stale IORING_SQ_TASKRUN
	 * would keep the loop from ever sleeping. */
	if (st->grow_head)
		grow_batches(ctx);
	if (st->backlog_head && st->inflight < st->ring.cq_entries)
		serve_backlog(ctx);
	if (oio_ring_cq_ready(&st->ring) || oio_ring_cq_overflowed(&st->ring) || st->backlog_head || st->grow_head)
		return 0;
	if (!lp->busy) {
		struct io_uring_sqe *sqe = get_sqe(ctx, false);
		if (!sqe)
			return 0;
		sqe->opcode = IORING_OP_POLL_ADD;
		sqe->fd = loop_fd;
		sqe->poll32_events = POLLIN;
		sqe->user_data = (uintptr_t)lp;
		lp->kind = UOP_LOOP_POLL;
		lp->busy = true;
	}
	if (!(st->ring.features & IORING_FEAT_MIN_TIMEOUT))
		coalesce_us = 0;
	if (!st->ring_sleeps) {
		oio_ring_eventfd_quiet(&st->ring, true); /* for good: see eventfd_quiet() */
		st->ring_sleeps = true;
	}
	ctx->stats.uring_sleeps++;
	/* the datagram sends this enter submits complete in it (MSG_DONTWAIT, never parked): they are no reason to wake
	 * up, or an echo would wake twice per message, once for the arrival and once for the sends of its answers */
	enter_wait(ctx, coalesce_us ? SLEEP_BATCH + st->writes : 1 + st->nowait_sends, coalesce_us,
		   timeout_ms < 0 || timeout_ms > 3600000 ? 3600000000u : (unsigned)timeout_ms * 1000u);
	drain(ctx);
	/* completions left for the next round (DRAIN_BUDGET), SQEs the drain's callbacks prepared */
	if ((oio_ring_unsubmitted(&st->ring) || oio_ring_cq_ready(&st->ring)) && ctx->loop->flush_needed)
		ctx->loop->flush_needed(ctx->loop);
	return lp->busy ? 1 : 2;
}

static bool uring_owns_fd(const struct oio_ctx *ctx, int fd)
{
	return fd == ctx->u.uring.ring.fd || fd == ctx->u.uring.watch.fd;
}

static bool uring_flush_pending(const struct oio_ctx *ctx)
{
	return ctx->u.uring.backlog_head || ctx->u.uring.grow_head;
}

static bool uring_busy(const struct oio_fd *iofd)
{
	return iofd->u.uring.inflight || (iofd->flags & (F_BACKLOG | F_DIRTY));
}

const struct oio_backend_ops oio_backend_uring_ops = {
	.name = "io_uring",
	.init = uring_init,
	.exit = uring_exit,
	.register_fd = uring_register,
	.unregister_fd = uring_unregister,
	.read_enable = uring_kick,
	.read_disable = uring_read_disable,
	.write_enable = uring_kick,
	.notify_connected = uring_kick,
	.flush = uring_flush,
	.busy = uring_busy,
	.owns_fd = uring_owns_fd,
	.flush_pending = uring_flush_pending,
	.release_fd = uring_release_fd,
	.sleep = uring_sleep,
};
