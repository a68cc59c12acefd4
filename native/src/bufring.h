/* A provided-buffer ring (IORING_REGISTER_PBUF_RING, Linux 5.19+): equal buffers the kernel picks from when a
 * receive completes, so a multishot receive needs no buffer of its own. Buffers go back with oio_bufring_put(). */
#ifndef OIO_BUFRING_H
#define OIO_BUFRING_H

#include "ring.h"

struct oio_bufring {
	struct io_uring_buf_ring *br;
	size_t br_len;
	uint8_t *mem;                 /* entries * size bytes */
	unsigned entries, size;
	uint16_t tail;                /* our copy of the ring's tail */
};

/* Registers `entries` (a power of two) buffers of `size` bytes as group `bgid`. Returns 0 or -errno. */
int oio_bufring_init(struct oio_bufring *b, struct oio_ring *r, uint16_t bgid, unsigned entries, unsigned size);
/* Call after the ring is gone (its exit unregisters the group). */
void oio_bufring_free(struct oio_bufring *b);
static inline uint8_t *oio_bufring_data(const struct oio_bufring *b, unsigned bid)
{
	return b->mem + (size_t)bid * b->size;
}
/* Hands buffer `bid` back to the kernel. */
void oio_bufring_put(struct oio_bufring *b, unsigned bid);

#endif
