/* Provided-buffer ring: see bufring.h. The kernel reads the tail with acquire semantics; we publish it with
 * release after filling the entry. */
#include "bufring.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static void add(struct oio_bufring *b, unsigned bid)
{
	struct io_uring_buf *e = &b->br->bufs[b->tail & (b->entries - 1)];

	e->addr = (uintptr_t)oio_bufring_data(b, bid);
	e->len = b->size;
	e->bid = (uint16_t)bid;
	b->tail++;
}

int oio_bufring_init(struct oio_bufring *b, struct oio_ring *r, uint16_t bgid, unsigned entries, unsigned size)
{
	struct io_uring_buf_reg reg;
	long rc;

	memset(b, 0, sizeof(*b));
	if (!entries || (entries & (entries - 1)) || entries > 32768)
		return -EINVAL;
	b->br_len = entries * sizeof(struct io_uring_buf);
	b->br = mmap(NULL, b->br_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->br == MAP_FAILED) {
		b->br = NULL;
		return -errno;
	}
	b->mem = malloc((size_t)entries * size);
	if (!b->mem) {
		oio_bufring_free(b);
		return -ENOMEM;
	}
	b->entries = entries;
	b->size = size;
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uintptr_t)b->br;
	reg.ring_entries = entries;
	reg.bgid = bgid;
	rc = syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_PBUF_RING, &reg, 1);
	if (rc < 0) {
		rc = -errno;
		oio_bufring_free(b);
		return (int)rc;
	}
	for (unsigned i = 0; i < entries; i++)
		add(b, i);
	__atomic_store_n(&b->br->tail, b->tail, __ATOMIC_RELEASE);
	return 0;
}

void oio_bufring_free(struct oio_bufring *b)
{
	if (b->br)
		munmap(b->br, b->br_len);
	free(b->mem);
	memset(b, 0, sizeof(*b));
}

void oio_bufring_put(struct oio_bufring *b, unsigned bid)
{
	add(b, bid);
	__atomic_store_n(&b->br->tail, b->tail, __ATOMIC_RELEASE);
}
