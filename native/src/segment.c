/*
 * Delivery of a read_write byte stream, with osmo_io's segmentation contract: the callback sees all
 * accumulated bytes and returns the first message's length, -EAGAIN (or more than it has) for "need more",
 * or -errno. A partial message waits in `pending`, which never grows beyond 0xffff - headroom bytes for one
 * message: a message that would need more is reported as -EPROTO.
 *
 * Any callback may close, unregister, re-register, disable reading or change the allocation size while a read
 * is being cut into messages. Three rules keep that safe and lossless:
 *  - a run never writes `pending` behind the back of a reset: oio_seg_reset() (close) bumps `gen`, and a run
 *    that sees it changed stops touching the segmenter at once (close drops what was not delivered);
 *  - bytes not delivered because reading stopped are kept in `pending`, in order, and handed over by
 *    oio_seg_resume() once reading is possible again (the caller queues it: the read buffer is not ours);
 *  - the read buffer itself is owned by the backend until the run ends (io_uring does not re-arm it).
 * Without segmentation the same path cuts reads of several buffers into alloc_size pieces.
 */
#include "internal.h"

int oio_lenprefix_segment(const struct oio_lenprefix *lp, const uint8_t *d, size_t len)
{
	uint32_t v = 0;
	int64_t total;

	if (len < lp->header_len || len < (size_t)lp->len_offset + lp->len_bytes)
		return -EAGAIN;
	for (unsigned i = 0; i < lp->len_bytes; i++) {
		unsigned idx = lp->big_endian ? i : lp->len_bytes - 1 - i;
		v = (v << 8) | d[lp->len_offset + idx];
	}
	total = (int64_t)v + lp->adjust;
	if (total < (int64_t)lp->header_len || total <= 0)
		return -EPROTO;
	if (lp->max_len && total > lp->max_len)
		return -EMSGSIZE;
	if (total > INT32_MAX)
		return -EMSGSIZE;
	return (int)total;
}

void oio_seg_reset(struct oio_segmenter *seg)
{
	seg->pending_len = 0;
	seg->end_pending = false;
	seg->gen++;
}

bool oio_seg_active(const struct oio_fd *iofd)
{
	return iofd->seg.use_cb || iofd->seg.use_lp;
}

/* Length of the first message in d[0..n), -EAGAIN for more, or -errno. */
static int seg_call(struct oio_fd *iofd, const uint8_t *d, size_t n)
{
	if (iofd->seg.use_lp)
		return oio_lenprefix_segment(&iofd->seg.lp, d, n);
	if (iofd->seg.use_cb)
		return iofd->cbs.segment(iofd, d, n);
	/* no segmentation: one piece per read buffer, as with several msgbs upstream */
	if (iofd->io_read_buffers > 1 && n > iofd->alloc_size)
		return (int)iofd->alloc_size;
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

static size_t seg_limit(const struct oio_fd *iofd)
{
	return OIO_MAX_SEGMENT - iofd->headroom;
}

enum run_end {
	RUN_NEED_MORE, /* everything consumed up to an incomplete message */
	RUN_STOPPED,   /* a callback stopped reading (unregister, disable, EOF): keep the rest */
	RUN_RESET,     /* the segmenter was reset (close): touch nothing */
	RUN_DROPPED,   /* a framing error was delivered with the rest of the bytes: nothing to keep */
};

/*
 * Deliver the messages of d[0..n); *used: bytes consumed. res: the read's result, given to segmented
 * messages as upstream does (0 for bytes handed over later: then each message gets its own length).
 */
static enum run_end seg_run(struct oio_fd *iofd, int res, const uint8_t *d, size_t n, size_t *used)
{
	struct oio_segmenter *seg = &iofd->seg;
	uint32_t gen = seg->gen;
	bool segmenting = oio_seg_active(iofd);
	size_t done = 0;

	*used = 0;
	while (done < n) {
		size_t avail = n - done;
		int r = seg_call(iofd, d + done, avail);

		if (seg->gen != gen)
			return RUN_RESET; /* the segmentation callback closed the iofd */
		if (segmenting && r > 0 && (size_t)r > seg_limit(iofd))
			r = -EPROTO; /* a message cannot exceed the 16-bit segment limit */
		else if (r == -EAGAIN || (r > 0 && (size_t)r > avail)) {
			if (avail < seg_limit(iofd))
				break;
			r = -EPROTO; /* cannot fit the 16-bit segment limit */
		}
		if (r <= 0) {
			/* the stream framing is lost: pass the bytes on with the error */
			iofd->cbs.read(iofd, r < 0 ? r : -EINVAL, d + done, avail, NULL);
			*used = n;
			return seg->gen != gen ? RUN_RESET : RUN_DROPPED;
		}
		iofd->cbs.read(iofd, segmenting && res > 0 ? res : r, d + done, (size_t)r, NULL);
		done += (size_t)r;
		*used = done;
		if (seg->gen != gen)
			return RUN_RESET;
		if (!oio_fd_can_read(iofd))
			return done < n ? RUN_STOPPED : RUN_NEED_MORE;
	}
	return RUN_NEED_MORE;
}

static int pending_reserve(struct oio_segmenter *seg, size_t need)
{
	if (need <= seg->pending_cap)
		return 0;
	size_t cap = seg->pending_cap ? seg->pending_cap : 256;
	while (cap < need)
		cap *= 2;
	uint8_t *p = realloc(seg->pending, cap);
	if (!p)
		return -ENOMEM;
	seg->pending = p;
	seg->pending_cap = cap;
	return 0;
}

/* Keep d[0..n) (not inside pending) after what pending holds. */
static void pending_append(struct oio_fd *iofd, const uint8_t *d, size_t n)
{
	struct oio_segmenter *seg = &iofd->seg;

	if (!n)
		return;
	if (pending_reserve(seg, seg->pending_len + n) < 0) {
		/* out of memory: report it instead of losing bytes silently */
		uint32_t gen = seg->gen;
		iofd->cbs.read(iofd, -ENOMEM, d, n, NULL);
		if (seg->gen == gen)
			oio_seg_reset(seg);
		return;
	}
	memcpy(seg->pending + seg->pending_len, d, n);
	seg->pending_len += n;
}

/* Run over pending and keep what was not consumed. */
static enum run_end run_pending(struct oio_fd *iofd, int res)
{
	struct oio_segmenter *seg = &iofd->seg;
	size_t used;
	enum run_end end = seg_run(iofd, res, seg->pending, seg->pending_len, &used);

	switch (end) {
	case RUN_RESET:
		break;
	case RUN_DROPPED:
		seg->pending_len = 0;
		break;
	case RUN_NEED_MORE:
	case RUN_STOPPED:
		/* nobody else writes pending during a run (reset only bumps gen), so this is still our buffer */
		if (used) {
			memmove(seg->pending, seg->pending + used, seg->pending_len - used);
			seg->pending_len -= used;
		}
		break;
	}
	return end;
}

/* The end of the stream (0) or a read error, after every complete message before it. */
static void deliver_end(struct oio_fd *iofd, int res)
{
	iofd->seg.end_pending = false;
	if (res == 0)
		iofd->flags |= F_EOF; /* re-arming reads after EOF would spin: the user closes or re-registers */
	iofd->cbs.read(iofd, res, NULL, 0, NULL);
}

void oio_seg_feed(struct oio_fd *iofd, int res, const uint8_t *data, size_t len)
{
	struct oio_segmenter *seg = &iofd->seg;
	size_t used;

	if (res <= 0) {
		/* EOF or error, after the complete messages still kept; an incomplete one is dropped at close */
		if (seg->pending_len) {
			enum run_end end = run_pending(iofd, 0);
			if (end == RUN_RESET)
				return;
			if (end == RUN_STOPPED) {
				seg->end_pending = true; /* delivered by oio_seg_resume() after the rest */
				seg->end_res = res;
				return;
			}
		}
		deliver_end(iofd, res);
		return;
	}
	if (seg->pending_len) {
		/* bytes kept from earlier reads go first */
		pending_append(iofd, data, len);
		if (seg->pending_len)
			run_pending(iofd, res);
		return;
	}
	uint32_t gen = seg->gen;
	enum run_end end = seg_run(iofd, res, data, len, &used);
	if (end == RUN_RESET || end == RUN_DROPPED || seg->gen != gen)
		return;
	pending_append(iofd, data + used, len - used);
}

void oio_seg_resume(struct oio_fd *iofd)
{
	struct oio_segmenter *seg = &iofd->seg;

	if (!oio_fd_can_read(iofd))
		return;
	if (seg->pending_len) {
		enum run_end end = run_pending(iofd, 0);
		if (end == RUN_RESET || end == RUN_STOPPED)
			return;
	}
	if (seg->end_pending && oio_fd_can_read(iofd))
		deliver_end(iofd, seg->end_res);
}

bool oio_seg_has_pending(const struct oio_fd *iofd)
{
	return iofd->seg.pending_len || iofd->seg.end_pending;
}
