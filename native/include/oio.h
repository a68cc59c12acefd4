/*
 * oio: the loop-agnostic osmo_io core.
 *
 * The library, not the application, performs reads and writes on a file descriptor: the application gets
 * completed (optionally segmented) reads and hands over messages to write. Two backends do the I/O: a
 * readiness backend (poll-style, through the embedding loop's fd watches) and an io_uring backend driven
 * through the raw kernel ABI. The embedding event loop is reached only through struct oio_loop.
 *
 * Conventions (libuv style): functions return 0 / a count on success and -errno on failure.
 */
#ifndef OIO_H
#define OIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#ifdef __cplusplus
extern "C" {
#endif

enum oio_mode {
	OIO_MODE_READ_WRITE = 0,
	OIO_MODE_RECVFROM_SENDTO = 1,
	OIO_MODE_RECVMSG_SENDMSG = 2,
	OIO_MODE_ACCEPT = 3, /* listening socket: each "read" is an accepted fd */
};

enum oio_backend { OIO_BACKEND_POLL = 0, OIO_BACKEND_IO_URING = 1 };

enum oio_op { OIO_OP_READ = 0, OIO_OP_WRITE = 1 };

#define OIO_EV_READ 1u
#define OIO_EV_WRITE 2u

#define OIO_DEFAULT_ALLOC_SIZE 1024
#define OIO_DEFAULT_DGRAM_ALLOC_SIZE 9216  /* datagram modes: a jumbo frame's payload fits */
#define OIO_DEFAULT_HEADROOM 128
#define OIO_DEFAULT_TXQUEUE_MAX 1024
#define OIO_MAX_IO_BUFFERS 8
#define OIO_MAX_READ_SQES 32          /* read_write mode (upstream's limit) */
#define OIO_MAX_DGRAM_READ_SQES 256   /* datagram modes: a receive per datagram, no ordering hazard */
#define OIO_MAX_SEGMENT 0xffff

union oio_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
};

/* ---- the embedding loop ---------------------------------------------------------------------- */

struct oio_watch;
typedef void (*oio_watch_cb)(struct oio_watch *w, unsigned revents);

/* One fd watched by the embedding loop. Owned by the core; loop_data belongs to the loop adapter. */
struct oio_watch {
	oio_watch_cb cb;
	int fd;
	unsigned events;
	void *loop_data;
};

struct oio_loop {
	/* Watch w->fd for `events` (OIO_EV_*); 0 stops watching but keeps the adapter's resources. */
	int (*watch)(struct oio_loop *loop, struct oio_watch *w, unsigned events);
	/* Release the adapter's resources for w (the fd is about to be closed or forgotten). */
	void (*unwatch)(struct oio_loop *loop, struct oio_watch *w);
	/* Work is queued that oio_ctx_flush() must push out before the loop blocks (may be NULL). */
	void (*flush_needed)(struct oio_loop *loop);
	/* The backend failed for good (err: -errno of `what`, e.g. io_uring_enter failing with EBADF because the
	 * ring fd was closed): it stopped watching and every operation now fails with -EIO (may be NULL). */
	void (*fatal)(struct oio_loop *loop, int err, const char *what);
};

/* ---- context (one per thread / Node environment) --------------------------------------------- */

struct oio_ctx;

struct oio_ctx_opts {
	enum oio_backend backend;
	unsigned uring_entries;  /* io_uring SQ entries; 0 = default (4096) */
	bool uring_immediate;    /* submit every SQE at once instead of batching until oio_ctx_flush() */
	bool uring_no_defer;     /* don't try IORING_SETUP_DEFER_TASKRUN */
	bool uring_no_multishot; /* stream and datagram sockets: one receive SQE per read instead of a multishot
				  * receive */
	unsigned read_sqes;      /* reads kept armed per new iofd (upstream LIBOSMO_IO_URING_READ_SQE); 0 = 1 */
};

struct oio_stats {
	uint64_t syscalls;       /* system calls made by the core itself */
	uint64_t reads, writes;  /* completed read / write operations */
	uint64_t wakeups;        /* readiness or eventfd callbacks */
	uint64_t uring_backlog;  /* submissions that had to wait for ring room */
	uint64_t uring_sqes;     /* SQEs handed to the kernel */
	uint64_t uring_stale_waits; /* short kernel waits instead of spinning on a stale IORING_SQ_TASKRUN */
	uint64_t truncated;      /* datagrams larger than the read size, reported as -EMSGSIZE */
	uint64_t uring_nobufs;   /* multishot receives that ended because their buffer ring ran dry (armed again) */
	uint64_t uring_sleeps;   /* oio_ctx_sleep() waits in the ring */
	uint32_t uring_entries;  /* ring size in use (0 for poll) */
	uint32_t uring_flags;    /* IORING_SETUP_* flags in use */
};

/* Create a context. On failure returns NULL and stores -errno and a reason in *err / why. */
struct oio_ctx *oio_ctx_new(struct oio_loop *loop, const struct oio_ctx_opts *opts, int *err, char *why, size_t whylen);
/* Submit batched work (io_uring SQEs, queued poll writes). Call once per loop iteration before blocking. */
void oio_ctx_flush(struct oio_ctx *ctx);
/* True while work is queued for oio_ctx_flush(). */
bool oio_ctx_flush_pending(const struct oio_ctx *ctx);
/* oio_ctx_flush(), and on io_uring the same system call then sleeps until min_complete completions are there
 * besides those of the writes in flight, or timeout_us passed, and handles them: batches completions while the
 * loop is busy. True if the wait paid for
 * itself: min_complete completions came before the timeout, or it also submitted work (which needed a system call
 * of its own otherwise). False: it ran out with nothing to submit, or the backend does not wait (poll). */
bool oio_ctx_flush_wait(struct oio_ctx *ctx, unsigned min_complete, unsigned timeout_us);
/*
 * Sleep in the backend instead of in the embedding loop's poller: io_uring waits in its own system call for a
 * completion or for `loop_fd` (the loop's poller, e.g. libuv's epoll fd) to become readable, at most timeout_ms
 * (-1: no limit), and handles what came. The loop then polls without blocking. Why: with DEFER_TASKRUN, work the
 * kernel queues from interrupt context (a packet arriving) signals the eventfd late, milliseconds late; a waiter in
 * the ring is woken at once. coalesce_us (0: off; Linux 6.12+): for that long from the start of the sleep hold
 * out for a batch of completions, then one is enough: a steady stream costs fewer system calls, a message that comes
 * early in the sleep waits up to that long, sparser traffic not at all. It submits what the callbacks queued since
 * the last flush: a loop may dispatch and sleep again without flushing in between. Returns 1 if it slept and only
 * the ring woke it (or the timeout); 2 if it slept and loop_fd is readable (the loop has work of its own); 0 if not
 * now (completions are there: flush, and poll without blocking); -EOPNOTSUPP if this context never sleeps so (poll,
 * or io_uring without DEFER_TASKRUN, whose eventfd is signalled from our own task): the loop blocks in its poller.
 * From the first sleep on the context's watched fd stays quiet: the loop must never block in its poller again,
 * only poll it without waiting and sleep here.
 */
int oio_ctx_sleep(struct oio_ctx *ctx, int loop_fd, int timeout_ms, unsigned coalesce_us);
/* Destroy the context; every iofd must have been freed. Waits for in-flight io_uring operations. */
void oio_ctx_free(struct oio_ctx *ctx);
enum oio_backend oio_ctx_backend(const struct oio_ctx *ctx);
const struct oio_stats *oio_ctx_stats(const struct oio_ctx *ctx);
/* Can io_uring work here? 0, or -errno with a human reason (ENOSYS, EPERM + io_uring_disabled ...). */
int oio_uring_probe(char *why, size_t whylen);

/* ---- iofd ------------------------------------------------------------------------------------ */

struct oio_fd;

struct oio_rxinfo {
	const union oio_sockaddr *from; /* NULL in read_write mode or when the kernel gave none */
	socklen_t fromlen;
	const uint8_t *control;
	size_t controllen;
	int flags;                      /* msg_flags */
};

struct oio_cbs {
	/* Completed read: res > 0 bytes (the read's return value), 0 EOF, < 0 -errno. data is valid during the
	 * call only. With segmentation one call per message. In accept mode res is the accepted fd. */
	void (*read)(struct oio_fd *iofd, int res, const uint8_t *data, size_t len, const struct oio_rxinfo *info);
	/* A write of the message `token` made progress: res bytes of it went out (done: the message is finished
	 * and forgotten), or it failed with res = -errno (done is then true). */
	void (*write)(struct oio_fd *iofd, int res, uint64_t token, bool done);
	/* Connect notification (after oio_fd_notify_connected): the fd became writable (res 0), or the
	 * connect failed (res -errno, e.g. -ECONNREFUSED). */
	void (*connected)(struct oio_fd *iofd, int res);
	/* Segmentation (read_write only): length of the first message in data, -EAGAIN for more, or -errno. */
	int (*segment)(struct oio_fd *iofd, const uint8_t *data, size_t len);
	/* The number of reads the core holds for this iofd (oio_fd_held()) changed (may be NULL). */
	void (*held)(struct oio_fd *iofd, unsigned n);
};

/* Built-in native segmentation: total = header-length-field (at lenoff, lenbytes wide) + adjust. */
struct oio_lenprefix {
	uint16_t header_len;
	uint16_t len_offset;
	uint8_t len_bytes;   /* 1, 2 or 4 */
	bool big_endian;
	int32_t adjust;
	uint32_t max_len;    /* 0 = no limit beyond the 16-bit segment limit */
};
int oio_lenprefix_segment(const struct oio_lenprefix *lp, const uint8_t *data, size_t len);

struct oio_fd *oio_fd_new(struct oio_ctx *ctx, int fd, enum oio_mode mode, const struct oio_cbs *cbs, void *user);
void *oio_fd_user(const struct oio_fd *iofd);
int oio_fd_get_fd(const struct oio_fd *iofd);
enum oio_mode oio_fd_mode(const struct oio_fd *iofd);

int oio_fd_register(struct oio_fd *iofd, int fd);
int oio_fd_unregister(struct oio_fd *iofd);
bool oio_fd_registered(const struct oio_fd *iofd);
/* Changes whenever the fd is closed: a completion produced under another generation belongs to an earlier fd. */
uint32_t oio_fd_generation(const struct oio_fd *iofd);
/* Close the fd (and cancel what is in flight); the object stays and may be registered with a new fd. */
int oio_fd_close(struct oio_fd *iofd);
/* The fd was closed behind the iofd's back and its number now names another file: forget it (true), so that
 * freeing the iofd does not close somebody else's file. */
bool oio_fd_forget_if_stale(struct oio_fd *iofd);
/* Close and free. Safe inside any callback of this iofd; memory lives until in-flight operations end. */
void oio_fd_free(struct oio_fd *iofd);

/* Reading is enabled while registered and enabled (the mode's read callback is set, in osmo_io terms). */
void oio_fd_set_read_enabled(struct oio_fd *iofd, bool on);
void oio_fd_set_segmentation(struct oio_fd *iofd, const struct oio_lenprefix *lp, bool use_cb);
int oio_fd_set_alloc_info(struct oio_fd *iofd, unsigned size, unsigned headroom);
int oio_fd_set_io_buffers(struct oio_fd *iofd, enum oio_op op, int n);
int oio_fd_set_sqes(struct oio_fd *iofd, enum oio_op op, int n);
int oio_fd_set_cmsg_size(struct oio_fd *iofd, size_t size);
void oio_fd_notify_connected(struct oio_fd *iofd);

/* Hand back a read the read callback was given but the application could not take (reading was turned off or the
 * iofd unregistered before it got to it), e.g. from an event batch. The core keeps a copy and gives it to the read
 * callback again, unchanged (not segmented again), once reading is on, ahead of anything it read later; a run of
 * hand-backs keeps its order. Call it outside this iofd's read callback, or with reading off. close() drops what is
 * held (an accepted fd is closed). 0, -EBADF (closed), -EINVAL, -ENOMEM. */
int oio_fd_hold(struct oio_fd *iofd, int res, const void *data, size_t len, const struct oio_rxinfo *info);
/* Reads held for later: handed back, or completed while reading was off. Delivered at the next oio_ctx_flush()
 * once reading is on; while there are any, newer reads queue behind them. */
unsigned oio_fd_held(const struct oio_fd *iofd);

/* Queue a message (copied). 0, -ENOSPC (queue full), -EINVAL (empty or wrong mode). */
int oio_fd_write(struct oio_fd *iofd, const void *data, size_t len, uint64_t token);
int oio_fd_sendto(struct oio_fd *iofd, const void *data, size_t len, int flags,
		  const union oio_sockaddr *dst, socklen_t dstlen, uint64_t token);
int oio_fd_sendmsg(struct oio_fd *iofd, const void *data, size_t len, int flags,
		   const union oio_sockaddr *dst, socklen_t dstlen, const void *control, size_t controllen,
		   uint64_t token);
unsigned oio_fd_txqueue_len(const struct oio_fd *iofd);
/* Bytes of the queued messages not written yet (in-flight ones included). */
size_t oio_fd_txqueue_bytes(const struct oio_fd *iofd);
void oio_fd_txqueue_clear(struct oio_fd *iofd);
void oio_fd_set_txqueue_max(struct oio_fd *iofd, unsigned max);

/* ---- sockets (osmo_sock_init2 in spirit); all fds are O_NONBLOCK | O_CLOEXEC ----------------- */

/* flags of oio_sock_init(); binding and connecting follow from `local` / `remote` being given */
#define OIO_SOCK_LISTEN 4
#define OIO_SOCK_REUSEADDR 8
#define OIO_SOCK_NODELAY 16

/* Returns the fd or -errno; *failed_call names the failing system call. */
int oio_sock_init(int family, int type, int proto, const union oio_sockaddr *local, socklen_t locallen,
		  const union oio_sockaddr *remote, socklen_t remotelen, unsigned flags, int backlog,
		  const char **failed_call);
int oio_sock_accept(int fd, union oio_sockaddr *peer, socklen_t *peerlen);
/* Fill a sockaddr from text; returns its length or -EINVAL. */
int oio_sockaddr_from_ip(union oio_sockaddr *sa, const char *ip, uint16_t port);
int oio_sockaddr_from_path(union oio_sockaddr *sa, const char *path);

#ifdef __cplusplus
}
#endif
#endif
