/*
 * Segmentation of a read_write byte stream into messages, with osmo_io's contract: the callback sees all
 * accumulated bytes and returns the first message's length, -EAGAIN (or more than it has) for "need more",
 * or -errno. Partial messages wait in `pending`, which never grows beyond 0xffff - headroom bytes: a message
 * that would need more is reported as -EPROTO.
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
}

static int seg_call(struct oio_fd *iofd, const uint8_t *d, size_t n)
{
	if (iofd->seg.use_lp)
		return oio_lenprefix_segment(&iofd->seg.lp, d, n);
	return iofd->cbs.segment(iofd, d, n);
}

static size_t seg_limit(const struct oio_fd *iofd)
{
	return OIO_MAX_SEGMENT - iofd->headroom;
}

static bool deliver(struct oio_fd *iofd, int res, const uint8_t *d, size_t n)
{
	iofd->cbs.read(iofd, res, d, n, NULL);
	return oio_fd_can_read(iofd);
}

/* Run the segmentation loop over d[0..n); returns bytes consumed (the rest is an incomplete message), or
 * -1 if delivery must stop (the iofd was closed / unregistered / disabled by a callback). */
static ssize_t seg_run(struct oio_fd *iofd, int res, const uint8_t *d, size_t n, bool *dropall)
{
	size_t done = 0;

	*dropall = false;
	while (done < n) {
		size_t avail = n - done;
		int r = seg_call(iofd, d + done, avail);

		if (r == -EAGAIN || (r > 0 && (size_t)r > avail)) {
			if (avail >= seg_limit(iofd)) {
				/* The message cannot fit the 16-bit segment limit: hand over what we have. */
				*dropall = true;
				if (!deliver(iofd, -EPROTO, d + done, avail))
					return -1;
				return (ssize_t)n;
			}
			break;
		}
		if (r <= 0) {
			/* A segmentation error: the stream framing is lost; pass the bytes on with the error. */
			*dropall = true;
			if (!deliver(iofd, r < 0 ? r : -EINVAL, d + done, avail))
				return -1;
			return (ssize_t)n;
		}
		if (!deliver(iofd, res, d + done, (size_t)r)) {
			done += (size_t)r;
			return -(ssize_t)done - 2; /* stopped after consuming `done` */
		}
		done += (size_t)r;
	}
	return (ssize_t)done;
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

static void keep_pending(struct oio_fd *iofd, const uint8_t *d, size_t n)
{
	struct oio_segmenter *seg = &iofd->seg;

	if (n == 0) {
		seg->pending_len = 0;
		return;
	}
	if (d == seg->pending) {
		seg->pending_len = n;
		return;
	}
	if (d > seg->pending && d < seg->pending + seg->pending_cap) {
		memmove(seg->pending, d, n);
		seg->pending_len = n;
		return;
	}
	if (pending_reserve(seg, n) < 0) {
		/* Out of memory: report it instead of losing bytes silently. */
		seg->pending_len = 0;
		iofd->cbs.read(iofd, -ENOMEM, d, n, NULL);
		return;
	}
	memcpy(seg->pending, d, n);
	seg->pending_len = n;
}

void oio_seg_feed(struct oio_fd *iofd, int res, const uint8_t *data, size_t len)
{
	struct oio_segmenter *seg = &iofd->seg;
	bool dropall;
	ssize_t used;

	if (res <= 0) {
		/* EOF or error: reported at once; an incomplete pending message is dropped at close. */
		iofd->cbs.read(iofd, res, data, 0, NULL);
		return;
	}
	while (len > 0) {
		if (seg->pending_len == 0) {
			used = seg_run(iofd, res, data, len, &dropall);
			if (used == -1)
				return;
			if (used < -1) {
				size_t u = (size_t)(-used - 2);
				keep_pending(iofd, data + u, len - u);
				return;
			}
			keep_pending(iofd, data + used, len - (size_t)used);
			return;
		}
		/* Append as much as the segment limit allows; the rest is handled in the next turn. */
		size_t room = seg->pending_len < seg_limit(iofd) ? seg_limit(iofd) - seg->pending_len : 0;
		size_t take = len < room ? len : room;
		if (pending_reserve(seg, seg->pending_len + take) < 0) {
			iofd->cbs.read(iofd, -ENOMEM, data, len, NULL);
			return;
		}
		memcpy(seg->pending + seg->pending_len, data, take);
		seg->pending_len += take;
		data += take;
		len -= take;
		used = seg_run(iofd, res, seg->pending, seg->pending_len, &dropall);
		if (used == -1) {
			/* stopped inside an error delivery: nothing left worth keeping */
			if (dropall)
				seg->pending_len = 0;
			return;
		}
		if (used < -1) {
			size_t u = (size_t)(-used - 2);
			keep_pending(iofd, seg->pending + u, seg->pending_len - u);
			if (len) {
				/* not delivered yet: keep the unread rest too, in order */
				if (pending_reserve(seg, seg->pending_len + len) == 0) {
					memcpy(seg->pending + seg->pending_len, data, len);
					seg->pending_len += len;
				}
			}
			return;
		}
		keep_pending(iofd, seg->pending + used, seg->pending_len - (size_t)used);
	}
}
