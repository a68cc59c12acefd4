/* Internal structures of the oio core: shared by iofd.c, the tx queue, segmentation and the backends. */
#ifndef OIO_INTERNAL_H
#define OIO_INTERNAL_H

#include "oio.h"
#include "bufring.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>

/* The structure that embeds `ptr` as its `member` (callbacks get the embedded watch, not its owner). */
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define OIO_INLINE_DATA 256
#define OIO_INLINE_CTRL 64
#define OIO_ENT_POOL_MAX 4096
/* io_uring: sends in flight per datagram socket (one message each). A full window costs one submission: at 16 an
 * NS echo at saturation made 0.08 system calls per PDU, at 64 0.04. ~29 KiB of slots, allocated on a socket's
 * first send. */
#define OIO_DGRAM_WRITES 64
#define OIO_DGRAM_GROUPS 4      /* io_uring: buffer sizes of datagram multishot receives per context */

/* One queued message. Pooled per context so steady-state writes allocate nothing. */
struct oio_txent {
	struct oio_txent *next;
	uint8_t *data;            /* inline_data or a heap copy for large messages */
	uint8_t *ctrl;            /* inline_ctrl or a heap copy */
	uint32_t len, off;        /* off: bytes already written */
	uint32_t ctrllen;
	uint64_t token;
	int flags;
	socklen_t addrlen;
	bool inflight;            /* the kernel owns it (io_uring write in flight) */
	bool orphan;              /* cleared while in flight: free on completion, no callback */
	union oio_sockaddr addr;
	uint8_t inline_ctrl[OIO_INLINE_CTRL] __attribute__((aligned(8)));
	uint8_t inline_data[OIO_INLINE_DATA];
};

struct oio_txqueue {
	struct oio_txent *head, *tail;
	unsigned len, max;
	size_t bytes;             /* unsent bytes of the queued entries (len - off each) */
};

struct oio_segmenter {
	bool use_cb;
	bool use_lp;
	struct oio_lenprefix lp;
	uint8_t *pending;          /* bytes not delivered yet: an incomplete message, or the rest of a stopped run */
	size_t pending_len, pending_cap;
	uint32_t gen;              /* bumped by oio_seg_reset(): a running delivery stops touching the segmenter */
	bool end_pending;          /* EOF / read error waiting behind the kept bytes */
	int end_res;
};

/* An io_uring operation slot; its address is the SQE user_data. */
enum oio_uop_kind { UOP_READ = 1, UOP_WRITE, UOP_CONNECT, UOP_LOOP_POLL };
struct oio_uop {
	struct oio_fd *iofd;
	uint8_t kind;
	bool busy;                /* submitted, CQE not yet seen */
	uint32_t gen;             /* iofd generation at submission; stale completions are dropped */
	uint32_t fdgen;           /* iofd fd generation at submission: reads of a closed fd are dropped */
	bool sock_nonempty;       /* read: the last receive left data in the socket (IORING_CQE_F_SOCK_NONEMPTY) */
	bool delivering;          /* read: its buffer is being delivered; not re-armed until that ends */
	bool mshot;               /* read: a multishot receive into the context's buffer ring */
	bool dgram_ms;            /* read: a datagram multishot recvmsg (see backend_uring.c) */
	struct oio_bufring *br;   /* read: the buffer group a multishot receive picks from */
	bool cancelling;          /* a cancellation was requested since it was armed */
	uint32_t ms_clen;         /* dgram_ms: control bytes reserved per message */
	uint32_t ms_paylen;       /* dgram_ms: the iofd's read size when armed (larger datagrams: -EMSGSIZE) */
	uint32_t sub_seq;         /* write: the context's submission count when armed (not submitted while equal) */
	bool blocking;            /* write: a datagram send that may wait for socket memory (F_WRITE_BLOCKED) */
	bool dgram_send;          /* write: a datagram send (counted in the context's dgram_sends until it completes) */
	uint8_t *buf;             /* read buffer (size * io_buffers) */
	size_t buflen;
	uint8_t *ctrl;            /* read control buffer */
	size_t ctrllen;
	union oio_sockaddr name;
	struct iovec iov[OIO_MAX_IO_BUFFERS];
	struct msghdr msg;
	struct oio_txent *ents[OIO_MAX_IO_BUFFERS]; /* entries of an in-flight write */
	unsigned nents;
};

/* The poll backend's part of an iofd. */
struct oio_poll_fd {
	struct oio_watch watch;       /* the fd in the embedding loop */
	struct oio_fd *dirty_next;    /* the context's flush list */
};

/* The io_uring backend's part of an iofd. */
struct oio_uring_fd {
	struct oio_uop *rd;           /* num_sqes read slots */
	unsigned rd_cap;
	struct oio_uop wr;
	struct oio_uop *wrx;          /* datagram sockets: more sends in flight (OIO_DGRAM_WRITES - 1 slots) */
	struct oio_uop conn;          /* waits for a connect to finish (POLL_ADD) */
	unsigned inflight;            /* operations whose CQE is outstanding */
	struct oio_fd *backlog_next;  /* the context's backlog */
	struct oio_fd *grow_next;     /* the context's list of send batches to grow (F_DIRTY) */
};

enum {
	F_REGISTERED = 1 << 0,
	F_CLOSED = 1 << 1,
	F_TO_FREE = 1 << 2,
	F_NOTIFY_CONNECTED = 1 << 3,
	F_READ_ENABLED = 1 << 4,
	F_IS_SOCKET = 1 << 5,
	F_WRITE_BLOCKED = 1 << 6,  /* poll: waiting for POLLOUT */
	F_DIRTY = 1 << 7,          /* on the context's flush list (poll: writes; io_uring: a send batch to grow) */
	F_BACKLOG = 1 << 8,        /* io_uring: waiting for ring room */
	F_EOF = 1 << 9,            /* stream EOF seen: no more reads until registered again */
	F_STREAM = 1 << 10,        /* io_uring: a SOCK_STREAM socket in read/write mode (one reader, may be multishot) */
	F_RESUME = 1 << 11,        /* on the context's resume list: kept bytes or held reads to deliver */
	F_HELD = 1 << 12,          /* reads are held (held.c): newer ones queue behind them */
};

/* A read kept for later (held.c): a delivery handed back (oio_fd_hold()) or a completion read while reading was
 * off (raw: still to be segmented). Rare, so one allocation each. */
struct oio_held {
	struct oio_held *next;
	bool raw;
	int res;
	int flags;                /* msg_flags */
	socklen_t fromlen;
	uint32_t len, ctrllen;
	union oio_sockaddr from;
	uint8_t data[];           /* len bytes, then ctrllen bytes */
};

/* Held reads in stream order: hand-backs (delivered once already) first, then raw completions. */
struct oio_heldq {
	struct oio_held *head, **tail;
	struct oio_held **ins;    /* where the next hand-back goes: after those handed back since the last release */
	unsigned n;
};

struct oio_fd {
	struct oio_ctx *ctx;
	int fd;
	enum oio_mode mode;
	unsigned flags;
	int conn_err;               /* a connect error a receive took while the notification was pending */
	int sotype;                 /* SO_TYPE of a socket (SOCK_STREAM, SOCK_DGRAM ...), 0 otherwise */
	dev_t st_dev;               /* identity of the file behind fd when it was given to us: a number closed */
	ino_t st_ino;               /* behind our back and reused names another file */
	uint32_t gen;
	uint32_t fdgen;             /* bumped when the fd is closed */
	struct oio_cbs cbs;
	void *user;
	unsigned alloc_size, headroom;
	unsigned io_read_buffers, io_write_buffers;
	unsigned num_sqes;
	size_t cmsg_size;
	struct oio_txqueue txq;
	struct oio_segmenter seg;
	struct oio_fd *resume_next; /* context resume list */
	struct oio_fd *all_prev, *all_next; /* every iofd of the context */
	unsigned cbdepth;
	union {                     /* the backend's own state (zeroed at oio_fd_new()) */
		struct oio_poll_fd poll;
		struct oio_uring_fd uring;
	} u;
	struct oio_heldq held;      /* reads held for later (held.c); last: off the hot fields' cache lines */
};

struct oio_backend_ops {
	const char *name;
	int (*init)(struct oio_ctx *ctx, const struct oio_ctx_opts *opts, char *why, size_t whylen);
	void (*exit)(struct oio_ctx *ctx);
	int (*register_fd)(struct oio_fd *iofd);
	void (*unregister_fd)(struct oio_fd *iofd);
	void (*read_enable)(struct oio_fd *iofd);
	void (*read_disable)(struct oio_fd *iofd);
	void (*write_enable)(struct oio_fd *iofd);   /* the tx queue became non-empty */
	void (*notify_connected)(struct oio_fd *iofd);
	/* push out batched work; io_uring: with timeout_us, wait that long at most for min_complete completions
	 * (true if they came) */
	bool (*flush)(struct oio_ctx *ctx, unsigned min_complete, unsigned timeout_us);
	bool (*busy)(const struct oio_fd *iofd);      /* kernel still owns buffers of this iofd */
	bool (*owns_fd)(const struct oio_ctx *ctx, int fd); /* one of the backend's own fds (ring, eventfd) */
	bool (*flush_pending)(const struct oio_ctx *ctx); /* work is queued for flush() */
	void (*release_fd)(struct oio_fd *iofd); /* the iofd goes: free its state (the kernel holds none of it) */
	int (*sleep)(struct oio_ctx *ctx, int loop_fd, int timeout_ms, unsigned coalesce_us); /* see oio_ctx_sleep() */
};

/* The poll backend's part of a context. */
struct oio_poll_ctx {
	struct oio_fd *dirty_head;    /* iofds with writes to attempt at flush */
	uint8_t *scratch;             /* read buffer shared by all iofds */
	size_t scratch_len;
	uint8_t *scratch_ctrl;
	size_t scratch_ctrl_len;
};

/* The io_uring backend's part of a context. */
enum oio_bufring_state {
	BUFRING_UNTRIED,     /* set up on first use */
	BUFRING_READY,
	BUFRING_UNAVAILABLE, /* refused by the kernel, or multishot receives disabled */
};
struct oio_uring_ctx {
	struct oio_ring ring;
	struct oio_watch watch;      /* the ring's eventfd, the only fd the embedding loop watches */
	bool immediate;              /* submit every SQE at once (oio_ctx_opts.uring_immediate) */
	bool defer;                  /* DEFER_TASKRUN: completions need io_uring_enter(GETEVENTS) */
	bool draining;
	unsigned inflight;           /* operations whose CQE is outstanding (incl. cancels) */
	enum oio_bufring_state bufring_state;
	struct oio_bufring bufring;
	struct oio_fd *backlog_head, *backlog_tail; /* iofds waiting for ring room */
	/* datagram multishot recvmsg: buffer groups by buffer size (backend_uring.c) */
	enum oio_bufring_state dgram_state;
	struct oio_bufring dgram[OIO_DGRAM_GROUPS];
	uint32_t submits;            /* enters that handed SQEs to the kernel */
	struct oio_fd *grow_head;    /* datagram sockets whose send batch is not submitted yet (F_DIRTY) */
	bool growing;                /* grow_head is being walked */
	bool budget_on;              /* drain() takes at most `budget` more completions (a loop round's share) */
	unsigned budget;
	unsigned dgram_sends;        /* datagram sends in flight: drain() looks for their completions only when some are */
	unsigned nowait_sends;       /* ... of which MSG_DONTWAIT ones: they complete in the enter that submits them */
	unsigned writes;             /* writes and sends in flight (armed, submitted or not) */
	struct oio_uop loop_poll;    /* oio_ctx_sleep(): a poll on the embedding loop's poller fd (busy while armed) */
	bool ring_sleeps;            /* the loop sleeps in the ring (oio_ctx_sleep()), never blocking in its own poller */
};

struct oio_ctx {
	struct oio_loop *loop;
	const struct oio_backend_ops *ops;
	enum oio_backend backend;
	struct oio_stats stats;
	struct oio_txent *ent_pool;
	unsigned ent_pool_len;
	struct oio_fd *resume_head;   /* iofds with kept bytes to deliver at the next flush */
	struct oio_fd **fd_owner;     /* registered iofd per fd number: one iofd per fd */
	unsigned fd_owner_cap;
	int fatal;                    /* -errno once the backend failed for good (a broken ring) */
	struct oio_fd *all;           /* every iofd not yet released */
	unsigned read_sqes;           /* default num_sqes of new iofds */
	union {                       /* the backend's own state: ops->init() sets up its member */
		struct oio_poll_ctx poll;
		struct oio_uring_ctx uring;
	} u;
};

extern const struct oio_backend_ops oio_backend_poll_ops;
extern const struct oio_backend_ops oio_backend_uring_ops;

/* tx queue (txqueue.c) */
struct oio_txent *oio_txent_get(struct oio_ctx *ctx, size_t len, size_t ctrllen);
void oio_txent_put(struct oio_ctx *ctx, struct oio_txent *e);
void oio_txq_push(struct oio_txqueue *q, struct oio_txent *e);
void oio_txq_remove(struct oio_txqueue *q, struct oio_txent *e);
void oio_txq_push_front(struct oio_txqueue *q, struct oio_txent *e);
void oio_txq_clear(struct oio_ctx *ctx, struct oio_txqueue *q);

/* segmentation (segment.c) */
void oio_seg_feed(struct oio_fd *iofd, int res, const uint8_t *data, size_t len);
void oio_seg_reset(struct oio_segmenter *seg);
bool oio_seg_active(const struct oio_fd *iofd);
/* Deliver what a stopped delivery kept, now that reading is on again. */
void oio_seg_resume(struct oio_fd *iofd);
bool oio_seg_has_pending(const struct oio_fd *iofd);

/* held reads (held.c) */
void oio_held_init(struct oio_fd *iofd);
/* Keep a completion that cannot be delivered now (reading off, or reads held before it); the backend calls it
 * with what it would have given oio_fd_handle_read() / oio_fd_handle_dgram() (len: the bytes in the buffer). */
void oio_held_add_raw(struct oio_fd *iofd, int res, const uint8_t *data, size_t len, const struct oio_rxinfo *info);
/* Free every held read, closing accepted fds; `tell`: report the new count (not while the iofd is released). */
void oio_held_drop(struct oio_fd *iofd, bool tell);
/* Reading may be on again: hand-backs, then the segmenter's kept bytes, then raw completions, until a callback
 * stops reading (the rest stays, in order). From oio_ctx_flush() only. */
void oio_fd_resume(struct oio_fd *iofd);
/* shared completion handling (iofd.c) */
void oio_fd_handle_read(struct oio_fd *iofd, int res, const uint8_t *data, size_t len,
			const struct oio_rxinfo *info);
/* A received datagram (recvfrom / recvmsg modes): res is its full length (MSG_TRUNC), a cut one is reported as
 * -EMSGSIZE, never delivered short. */
void oio_fd_handle_dgram(struct oio_fd *iofd, int res, const uint8_t *data, size_t buflen,
			 const struct oio_rxinfo *info);
/* recvmsg flags: MSG_TRUNC on datagram sockets, so the result tells a datagram larger than the buffer */
int oio_fd_recv_flags(const struct oio_fd *iofd);
/* Report progress of a write of n entries; res bytes went out in total or -errno. Returns true if the
 * iofd is still usable (not closed/unregistered by a callback). */
bool oio_fd_handle_write(struct oio_fd *iofd, struct oio_txent **ents, unsigned n, int res);
void oio_fd_handle_connected(struct oio_fd *iofd);
void oio_fd_enter_cb(struct oio_fd *iofd);
/* Returns false if the iofd was freed (do not touch it any more). */
bool oio_fd_leave_cb(struct oio_fd *iofd);
void oio_fd_maybe_release(struct oio_fd *iofd);
/* At context teardown, after the backend's exit: the kernel holds nothing any more. */
void oio_fd_release_all_freed(struct oio_ctx *ctx);
/* Queue oio_fd_resume() for the next flush (the caller may be inside a delivery of this iofd). */
void oio_ctx_queue_resume(struct oio_fd *iofd);
/* The backend cannot go on (e.g. its ring fd was closed under it): stop and tell the embedding loop. */
void oio_ctx_fail(struct oio_ctx *ctx, int err, const char *what);
size_t oio_fd_read_len(const struct oio_fd *iofd);
/* Build iovecs for up to `max` queued entries starting at the head; returns how many. */
unsigned oio_fd_tx_iov(struct oio_fd *iofd, struct iovec *iov, struct oio_txent **ents, unsigned max);

/* Reads wait for a pending connect notification: a receive would collect the connect error (SO_ERROR) that
 * the notification must report. */
static inline bool oio_fd_can_read(const struct oio_fd *iofd)
{
	return (iofd->flags & (F_REGISTERED | F_READ_ENABLED | F_CLOSED | F_TO_FREE | F_EOF | F_NOTIFY_CONNECTED)) ==
	       (F_REGISTERED | F_READ_ENABLED);
}

/* New reads go to the application now: it can read and nothing held waits ahead of them (one flag test, as
 * oio_fd_can_read()). */
static inline bool oio_fd_can_deliver(const struct oio_fd *iofd)
{
	return (iofd->flags & (F_REGISTERED | F_READ_ENABLED | F_CLOSED | F_TO_FREE | F_EOF | F_NOTIFY_CONNECTED |
			       F_HELD)) == (F_REGISTERED | F_READ_ENABLED);
}

#endif
