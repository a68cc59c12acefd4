/*
 * bench/loadgen.c - load generator for `npm run bench` (built by bench/run.js with cc -O2).
 *
 *   loadgen tcp --port P [--host 127.0.0.1] [--conns 400] [--warmup 1] [--seconds 5]
 *               [--rate R]            paced: R messages/s per connection (0 = saturate, the default)
 *               [--connect-timeout 10]
 *   loadgen udp --port P [--host 127.0.0.1] [--seconds 5] [--size 100] [--batch 32]
 *               [--rate R]            paced: R datagrams/s in total (0 = blast, the default)
 *               [--markers 5]
 *
 * tcp: N connections, TCP_NODELAY, one IPA-like frame in flight per connection (saturated mode) or
 * sent on a fixed schedule (paced mode). Frame = 3-byte header (BE16 length 50, proto 0xEE) + 50-byte
 * payload: BE32 connection id, BE64 sequence number, 38 pattern bytes derived from both. Every echo is
 * checked (length, proto, id, sequence, pattern). Warm-up, then a measurement window.
 *
 * udp: connected UDP socket, sendmmsg() batches of `size`-byte datagrams (BE64 sequence + pattern) for
 * a fixed time, then `markers` 4-byte end markers ("ENDM") 20 ms apart.
 *
 * stdout: one JSON object per line, each with an "event" field:
 *   {"event":"connected",...}      tcp: all connections up
 *   {"event":"window_start",...}   start of the measurement window (run.js samples the server here)
 *   {"event":"window_end",...}     end of the window, with the results (run.js samples again)
 *   {"event":"done"}               sockets closed, about to exit
 * Diagnostics go to stderr. Exit status 0 on success (errors in echoes are reported, not fatal),
 * 2 on usage errors, 1 on setup failures (connect failed/timed out).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_PAYLOAD 50
#define FRAME_LEN (3 + FRAME_PAYLOAD)
#define PROTO 0xEE
#define RX_CAP 512
#define HIST_FINE 20000 /* latency histogram: 1 us buckets up to 20 ms, */
#define HIST_COARSE 10000 /* then 1 ms buckets up to ~10 s, then overflow */
#define HIST_N (HIST_FINE + HIST_COARSE + 1)

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void emit(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static void put_be32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static uint32_t get_be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void put_be64(uint8_t *p, uint64_t v) { put_be32(p, v >> 32); put_be32(p + 4, (uint32_t)v); }
static uint64_t get_be64(const uint8_t *p) { return (uint64_t)get_be32(p) << 32 | get_be32(p + 4); }
static uint8_t pattern(uint32_t id, uint64_t seq, int i) { return (uint8_t)(id * 31u + (uint32_t)seq * 7u + (uint32_t)i * 13u); }

/* ---------------------------------------------------------------- options */
struct opts {
	const char *mode, *host;
	int port, conns, size, batch, markers;
	double warmup, seconds, rate, connect_timeout;
};

static void usage(void)
{
	fprintf(stderr, "usage: loadgen tcp|udp --port P [--host H] [--conns N] [--warmup S] [--seconds S] "
			"[--rate R] [--size B] [--batch N] [--markers N] [--connect-timeout S]\n");
	exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1"; o->conns = 400; o->size = 100; o->batch = 32; o->markers = 5;
	o->warmup = 1; o->seconds = 5; o->connect_timeout = 10;
	if (argc < 2) usage();
	o->mode = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *k = argv[i];
		if (i + 1 >= argc) usage();
		const char *v = argv[++i];
		if (!strcmp(k, "--port")) o->port = atoi(v);
		else if (!strcmp(k, "--host")) o->host = v;
		else if (!strcmp(k, "--conns")) o->conns = atoi(v);
		else if (!strcmp(k, "--warmup")) o->warmup = atof(v);
		else if (!strcmp(k, "--seconds")) o->seconds = atof(v);
		else if (!strcmp(k, "--rate")) o->rate = atof(v);
		else if (!strcmp(k, "--size")) o->size = atoi(v);
		else if (!strcmp(k, "--batch")) o->batch = atoi(v);
		else if (!strcmp(k, "--markers")) o->markers = atoi(v);
		else if (!strcmp(k, "--connect-timeout")) o->connect_timeout = atof(v);
		else usage();
	}
	if (o->port <= 0 || o->port > 65535 || o->seconds <= 0 || o->warmup < 0 || o->rate < 0) usage();
	if (o->conns < 1 || o->conns > 60000 || o->batch < 1 || o->batch > 1024 || o->size < 16 || o->size > 65000) usage();
}

static struct sockaddr_in mkaddr(const struct opts *o)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(o->port) };
	if (inet_pton(AF_INET, o->host, &sa.sin_addr) != 1) { fprintf(stderr, "bad host %s\n", o->host); exit(2); }
	/* loopback only: this is a benchmark tool, not a traffic generator */
	if ((ntohl(sa.sin_addr.s_addr) >> 24) != 127) { fprintf(stderr, "loopback (127/8) only\n"); exit(2); }
	return sa;
}

/* ---------------------------------------------------------------- tcp */
struct conn {
	int fd;
	uint32_t id;
	int connected, dead, inflight;
	uint64_t seq_next;   /* sequence number of the next frame to send */
	uint64_t seq_expect; /* sequence number of the next expected echo */
	uint64_t t_sent;
	uint8_t tx[FRAME_LEN];
	int txoff, txlen;
	uint8_t rx[RX_CAP];
	int rxlen;
};

struct tcpstats {
	uint64_t rt, err_len, err_proto, err_id, err_seq, err_data, err_eof, err_io, late, unexpected;
	uint64_t hist[HIST_N];
	uint64_t lat_sum_ns, lat_max_ns;
};

static int g_ep;
static struct tcpstats st;
static int in_window;

static void conn_fail(struct conn *c, uint64_t *ctr)
{
	if (c->dead) return;
	(*ctr)++;
	c->dead = 1;
	epoll_ctl(g_ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
}

static void conn_flush(struct conn *c)
{
	while (c->txoff < c->txlen) {
		ssize_t n = send(c->fd, c->tx + c->txoff, c->txlen - c->txoff, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR) continue;
			if (errno == EAGAIN) {
				struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
				epoll_ctl(g_ep, EPOLL_CTL_MOD, c->fd, &ev);
				return;
			}
			conn_fail(c, &st.err_io);
			return;
		}
		c->txoff += n;
	}
}

static void conn_send(struct conn *c)
{
	uint8_t *f = c->tx;
	f[0] = 0; f[1] = FRAME_PAYLOAD; f[2] = PROTO;
	put_be32(f + 3, c->id);
	put_be64(f + 7, c->seq_next);
	for (int i = 12; i < FRAME_PAYLOAD; i++) f[3 + i] = pattern(c->id, c->seq_next, i);
	c->seq_next++;
	c->txoff = 0; c->txlen = FRAME_LEN;
	c->inflight = 1;
	c->t_sent = now_ns();
	conn_flush(c);
}

/* returns number of complete, valid echoes consumed */
static int conn_parse(struct conn *c, uint64_t t)
{
	int n = 0, off = 0;
	while (c->rxlen - off >= 3) {
		const uint8_t *f = c->rx + off;
		unsigned len = (unsigned)f[0] << 8 | f[1];
		if (len != FRAME_PAYLOAD) { conn_fail(c, &st.err_len); return n; }
		if (f[2] != PROTO) { conn_fail(c, &st.err_proto); return n; }
		if (c->rxlen - off < FRAME_LEN) break;
		if (get_be32(f + 3) != c->id) { conn_fail(c, &st.err_id); return n; }
		uint64_t seq = get_be64(f + 7);
		if (seq != c->seq_expect || !c->inflight) { conn_fail(c, &st.err_seq); return n; }
		for (int i = 12; i < FRAME_PAYLOAD; i++)
			if (f[3 + i] != pattern(c->id, seq, i)) { conn_fail(c, &st.err_data); return n; }
		c->seq_expect++;
		c->inflight = 0;
		if (in_window) {
			uint64_t lat = t - c->t_sent;
			uint64_t us = lat / 1000;
			uint64_t idx = us < HIST_FINE ? us : HIST_FINE + (us - HIST_FINE) / 1000;
			st.hist[idx >= HIST_N ? HIST_N - 1 : idx]++;
			st.lat_sum_ns += lat;
			if (lat > st.lat_max_ns) st.lat_max_ns = lat;
			st.rt++;
		}
		n++;
		off += FRAME_LEN;
	}
	if (off) { memmove(c->rx, c->rx + off, c->rxlen - off); c->rxlen -= off; }
	return n;
}

static double hist_pct(double p, uint64_t total)
{
	if (!total) return 0;
	uint64_t want = (uint64_t)(p * total), acc = 0;
	for (int i = 0; i < HIST_N; i++) {
		acc += st.hist[i];
		if (acc > want) return i < HIST_FINE ? i : HIST_FINE + (double)(i - HIST_FINE) * 1000;
	}
	return HIST_FINE + HIST_COARSE * 1000.0;
}

static int run_tcp(const struct opts *o)
{
	struct sockaddr_in sa = mkaddr(o);
	struct conn *cs = calloc(o->conns, sizeof(*cs));
	struct epoll_event *evs = calloc(1024, sizeof(*evs));
	g_ep = epoll_create1(EPOLL_CLOEXEC);
	if (!cs || !evs || g_ep < 0) { perror("setup"); return 1; }

	for (int i = 0; i < o->conns; i++) {
		struct conn *c = &cs[i];
		c->id = (uint32_t)i + 1;
		c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->fd < 0) { perror("socket"); return 1; }
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
			fprintf(stderr, "connect: %s\n", strerror(errno)); return 1;
		}
		struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
		epoll_ctl(g_ep, EPOLL_CTL_ADD, c->fd, &ev);
	}

	/* phase 1: wait for all connections */
	uint64_t t0 = now_ns(), deadline = t0 + (uint64_t)(o->connect_timeout * 1e9);
	int nconn = 0;
	while (nconn < o->conns) {
		if (now_ns() > deadline) {
			fprintf(stderr, "loadgen: only %d of %d connections after %.1f s\n", nconn, o->conns, o->connect_timeout);
			return 1;
		}
		int n = epoll_wait(g_ep, evs, 1024, 50);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c->connected) continue;
			int err = 0; socklen_t l = sizeof(err);
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
			if (err) { fprintf(stderr, "loadgen: connect: %s\n", strerror(err)); return 1; }
			c->connected = 1;
			nconn++;
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
			epoll_ctl(g_ep, EPOLL_CTL_MOD, c->fd, &ev);
		}
	}
	emit("{\"event\":\"connected\",\"conns\":%d,\"connect_ms\":%.1f}", nconn, (now_ns() - t0) / 1e6);

	/* phase 2: load (warm-up + window) */
	const int paced = o->rate > 0;
	uint64_t t_load = now_ns();
	uint64_t t_win = t_load + (uint64_t)(o->warmup * 1e9);
	uint64_t t_end = t_win + (uint64_t)(o->seconds * 1e9);
	uint64_t interval = paced ? (uint64_t)(1e9 / (o->rate * o->conns)) : 0;
	if (paced && interval == 0) interval = 1;
	uint64_t next_due = t_load, k = 0, sched = 0;
	double cpu0 = 0; uint64_t tw0 = 0;

	if (!paced)
		for (int i = 0; i < o->conns; i++) conn_send(&cs[i]);

	for (;;) {
		uint64_t t = now_ns();
		if (!in_window && t >= t_win) {
			/* window counters start from zero; error counters cover the whole run (warm-up included) */
			st.rt = 0; st.late = 0; st.lat_sum_ns = 0; st.lat_max_ns = 0;
			memset(st.hist, 0, sizeof(st.hist));
			in_window = 1;
			cpu0 = cpu_s(); tw0 = t;
			emit("{\"event\":\"window_start\"}");
		}
		if (t >= t_end) break;
		if (paced) {
			/* global schedule: send k goes to connection k % N at t_load + k*interval */
			if (t > next_due + 200000000ull) { /* > 200 ms behind: drop the backlog, count it */
				uint64_t skip = (t - next_due) / interval;
				if (in_window) st.late += skip;
				next_due += skip * interval; k += skip;
			}
			while (next_due <= t) {
				struct conn *c = &cs[k % o->conns];
				if (!c->dead) {
					if (c->inflight) { if (in_window) st.late++; }
					else { conn_send(c); if (in_window) sched++; }
				}
				k++; next_due += interval;
			}
		}
		int timeout = 10;
		if (paced) { /* ms ticks: never spin (the server shares 2 cores with us) */
			uint64_t now2 = now_ns(), d = next_due > now2 ? next_due - now2 : 0;
			timeout = (int)((d + 999999) / 1000000);
			if (timeout > 10) timeout = 10;
		}
		int n = epoll_wait(g_ep, evs, 1024, timeout);
		uint64_t tr = now_ns();
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c->dead) continue;
			if (evs[i].events & EPOLLOUT) {
				conn_flush(c);
				if (!c->dead && c->txoff == c->txlen) {
					struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
					epoll_ctl(g_ep, EPOLL_CTL_MOD, c->fd, &ev);
				}
			}
			if (c->dead || !(evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) continue;
			ssize_t r = recv(c->fd, c->rx + c->rxlen, RX_CAP - c->rxlen, 0);
			if (r == 0) { conn_fail(c, &st.err_eof); continue; }
			if (r < 0) { if (errno != EAGAIN && errno != EINTR) conn_fail(c, &st.err_io); continue; }
			c->rxlen += r;
			int got = conn_parse(c, tr);
			if (c->dead) continue;
			if (c->rxlen == RX_CAP) { conn_fail(c, &st.unexpected); continue; }
			if (got && !paced) conn_send(c);
		}
	}
	double cpu = cpu_s() - cpu0;
	double win = (now_ns() - tw0) / 1e9;
	int alive = 0;
	for (int i = 0; i < o->conns; i++) alive += !cs[i].dead;
	uint64_t errors = st.err_len + st.err_proto + st.err_id + st.err_seq + st.err_data + st.err_eof + st.err_io + st.unexpected;
	emit("{\"event\":\"window_end\",\"mode\":\"tcp\",\"conns\":%d,\"alive\":%d,\"window_s\":%.6f,\"round_trips\":%llu,"
	     "\"rate\":%.1f,\"errors\":%llu,\"err\":{\"len\":%llu,\"proto\":%llu,\"id\":%llu,\"seq\":%llu,\"data\":%llu,"
	     "\"eof\":%llu,\"io\":%llu,\"overflow\":%llu},\"paced_rate\":%.3f,\"sent_on_schedule\":%llu,\"late\":%llu,"
	     "\"lat_us\":{\"mean\":%.1f,\"p50\":%.0f,\"p99\":%.0f,\"max\":%.0f},\"client_cpu_s\":%.4f}",
	     o->conns, alive, win, (unsigned long long)st.rt, st.rt / win, (unsigned long long)errors,
	     (unsigned long long)st.err_len, (unsigned long long)st.err_proto, (unsigned long long)st.err_id,
	     (unsigned long long)st.err_seq, (unsigned long long)st.err_data, (unsigned long long)st.err_eof,
	     (unsigned long long)st.err_io, (unsigned long long)st.unexpected, o->rate, (unsigned long long)sched,
	     (unsigned long long)st.late, st.rt ? st.lat_sum_ns / 1e3 / st.rt : 0.0, hist_pct(0.5, st.rt),
	     hist_pct(0.99, st.rt), st.lat_max_ns / 1e3, cpu);
	for (int i = 0; i < o->conns; i++) if (!cs[i].dead) close(cs[i].fd);
	close(g_ep);
	emit("{\"event\":\"done\"}");
	free(cs); free(evs);
	return 0;
}

/* ---------------------------------------------------------------- udp */
static int run_udp(const struct opts *o)
{
	struct sockaddr_in sa = mkaddr(o);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) { perror("socket"); return 1; }
	int sz = 8 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) { perror("connect"); return 1; }
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

	const int B = o->batch;
	uint8_t *bufs = calloc((size_t)B, (size_t)o->size);
	struct mmsghdr *mm = calloc(B, sizeof(*mm));
	struct iovec *iov = calloc(B, sizeof(*iov));
	if (!bufs || !mm || !iov) { perror("calloc"); return 1; }
	for (int i = 0; i < B; i++) {
		uint8_t *b = bufs + (size_t)i * o->size;
		for (int j = 8; j < o->size; j++) b[j] = (uint8_t)(j * 13);
		iov[i].iov_base = b; iov[i].iov_len = o->size;
		mm[i].msg_hdr.msg_iov = &iov[i]; mm[i].msg_hdr.msg_iovlen = 1;
	}
	const int paced = o->rate > 0;
	uint64_t seq = 0, eagain = 0, errs = 0;
	double cpu0 = cpu_s();
	uint64_t t0 = now_ns(), t_end = t0 + (uint64_t)(o->seconds * 1e9);
	emit("{\"event\":\"window_start\"}");
	for (;;) {
		uint64_t t = now_ns();
		if (t >= t_end) break;
		int want = B;
		if (paced) {
			uint64_t due = (uint64_t)((t - t0) / 1e9 * o->rate);
			if (due <= seq) {
				uint64_t next = t0 + (uint64_t)((seq + 1) * 1e9 / o->rate);
				struct timespec ts = { 0, (long)(next > t ? next - t : 0) };
				if (ts.tv_nsec > 1000000) ts.tv_nsec = 1000000;
				nanosleep(&ts, NULL);
				continue;
			}
			if (due - seq < (uint64_t)want) want = (int)(due - seq);
		}
		for (int i = 0; i < want; i++) put_be64(bufs + (size_t)i * o->size, seq + i);
		int n = sendmmsg(fd, mm, want, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == ENOBUFS) {
				eagain++;
				struct pollfd p = { .fd = fd, .events = POLLOUT };
				poll(&p, 1, 10);
				continue;
			}
			if (errno == EINTR) continue;
			if (errno == ECONNREFUSED) { errs++; continue; } /* receiver not there (yet/anymore) */
			perror("sendmmsg");
			return 1;
		}
		seq += n;
	}
	double win = (now_ns() - t0) / 1e9;
	double cpu = cpu_s() - cpu0;
	/* end markers: make sure they are not dropped just because our own send buffer is full */
	for (int i = 0; i < o->markers; i++) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		poll(&p, 1, 100);
		if (send(fd, "ENDM", 4, 0) < 0 && errno != ECONNREFUSED) fprintf(stderr, "marker: %s\n", strerror(errno));
		usleep(20000);
	}
	emit("{\"event\":\"window_end\",\"mode\":\"udp\",\"size\":%d,\"window_s\":%.6f,\"sent\":%llu,\"rate\":%.1f,"
	     "\"eagain\":%llu,\"refused\":%llu,\"paced_rate\":%.1f,\"client_cpu_s\":%.4f}",
	     o->size, win, (unsigned long long)seq, seq / win, (unsigned long long)eagain, (unsigned long long)errs,
	     o->rate, cpu);
	close(fd);
	emit("{\"event\":\"done\"}");
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	signal(SIGPIPE, SIG_IGN);
	parse(argc, argv, &o);
	if (!strcmp(o.mode, "tcp")) return run_tcp(&o);
	if (!strcmp(o.mode, "udp")) return run_udp(&o);
	usage();
	return 2;
}
