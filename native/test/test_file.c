/* Regular files and closing from inside the read callback (upstream test_file). */
#include "test.h"
#include <fcntl.h>
#include <unistd.h>

static char *tmpname(char *buf, size_t n)
{
	snprintf(buf, n, "/tmp/oio-test-%d.bin", (int)getpid());
	return buf;
}

struct writes { struct rec *r; int n; };
static bool cond_wdone(void *arg) { struct writes *w = arg; return w->r->nwdone >= w->n; }
static bool cond_eof(void *arg) { return ((struct rec *)arg)->neof > 0 || ((struct rec *)arg)->nerr > 0; }

TEST(file_write_then_read_to_eof)
{
	char path[64];
	uint8_t data[5000];
	struct rec w, r;
	int fd;

	make_pattern(data, sizeof(data), 1);
	rec_init(&w);
	rec_init(&r);
	fd = open(tmpname(path, sizeof(path)), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	rec_fd(t, t->ctx, &w, fd, OIO_MODE_READ_WRITE);
	oio_fd_set_read_enabled(w.iofd, false);
	CHECK_OK(oio_fd_register(w.iofd, -1));
	CHECK_OK(oio_fd_write(w.iofd, data, 1000, 0));
	CHECK_OK(oio_fd_write(w.iofd, data + 1000, 3000, 1));
	CHECK_OK(oio_fd_write(w.iofd, data + 4000, 1000, 2));
	struct writes ww = { &w, 3 };
	CHECK_OK(test_loop_run_until(&t->loop, cond_wdone, &ww, 3000));
	CHECK(w.token_order_ok);
	CHECK_EQ(w.nwerr, 0);
	oio_fd_free(w.iofd);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	unlink(path);
	rec_fd(t, t->ctx, &r, fd, OIO_MODE_READ_WRITE);
	CHECK_OK(oio_fd_set_alloc_info(r.iofd, 700, 0));
	CHECK_OK(oio_fd_register(r.iofd, -1));
	CHECK_OK(test_loop_run_until(&t->loop, cond_eof, &r, 3000));
	CHECK_EQ(r.nerr, 0);
	CHECK_EQ(r.neof, 1);
	CHECK_EQ(r.len, sizeof(data));
	CHECK(memcmp(r.buf, data, sizeof(data)) == 0);
	/* no further reads after EOF */
	test_loop_run_until(&t->loop, NULL, NULL, 50);
	CHECK_EQ(r.neof, 1);
	oio_fd_free(r.iofd);
	rec_fini(&r);
	rec_fini(&w);
}

TEST(file_free_inside_read_cb)
{
	char path[64];
	uint8_t data[4096];
	struct rec r;
	int fd;

	make_pattern(data, sizeof(data), 2);
	fd = open(tmpname(path, sizeof(path)), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	unlink(path);
	CHECK_EQ(write(fd, data, sizeof(data)), sizeof(data));
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	rec_init(&r);
	r.free_in_read = true;
	rec_fd(t, t->ctx, &r, fd, OIO_MODE_READ_WRITE);
	CHECK_OK(oio_fd_set_alloc_info(r.iofd, 100, 0));
	CHECK_OK(oio_fd_register(r.iofd, -1));
	test_loop_run_until(&t->loop, NULL, NULL, 100);
	CHECK_EQ(r.nreads, 1);
	CHECK_EQ(r.len, 100);
	CHECK_EQ(r.neof + r.nerr, 0);
	CHECK(r.iofd == NULL);
	rec_fini(&r);
}

static int seg4(struct oio_fd *iofd, const uint8_t *d, size_t len)
{
	(void)iofd;
	(void)d;
	return len >= 4 ? 4 : -EAGAIN;
}

TEST(socket_free_inside_segmented_read_cb)
{
	struct rec r;
	int sv[2];
	struct oio_cbs cbs = rec_cbs;

	cbs.segment = seg4;
	socketpair_nb(SOCK_STREAM, sv);
	rec_init(&r);
	r.free_in_read = true;
	r.iofd = oio_fd_new(t->ctx, sv[0], OIO_MODE_READ_WRITE, &cbs, &r);
	CHECK(r.iofd);
	oio_fd_set_segmentation(r.iofd, NULL, true);
	if (t->backend == OIO_BACKEND_IO_URING)
		CHECK_OK(oio_fd_set_sqes(r.iofd, OIO_OP_READ, 4));
	CHECK_OK(oio_fd_register(r.iofd, -1));
	CHECK_EQ(write(sv[1], "AAAABBBBCCCCDD", 14), 14);
	test_loop_run_until(&t->loop, NULL, NULL, 50);
	if (write(sv[1], "EEEE", 4) < 0) {} /* the peer is gone: EPIPE is fine */
	test_loop_run_until(&t->loop, NULL, NULL, 50);
	CHECK_EQ(r.nmsg, 1);
	CHECK_EQ(r.len, 4);
	CHECK(memcmp(r.buf, "AAAA", 4) == 0);
	CHECK_EQ(r.neof + r.nerr, 0);
	close(sv[1]);
	rec_fini(&r);
}
