/* N-API bindings for sockets: creation (bind / non-blocking connect / listen), accept, addresses, options. */
#include "addon.h"
#include <net/if.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARGS(n) size_t argc = n; napi_value argv[n]; \
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL; \
	for (size_t i_ = argc; i_ < n; i_++) napi_get_undefined(env, &argv[i_])

/* {address, port} or {path} -> sockaddr; returns its length, 0 for none, -EINVAL */
int sockaddr_from_js(napi_env env, napi_value v, union oio_sockaddr *sa)
{
	napi_valuetype t;
	napi_value p;
	bool has = false;
	char buf[sizeof(sa->sun.sun_path) + 1];
	size_t len;

	if (napi_typeof(env, v, &t) != napi_ok || t != napi_object)
		return 0;
	if (napi_has_named_property(env, v, "path", &has) == napi_ok && has) {
		napi_get_named_property(env, v, "path", &p);
		if (napi_get_value_string_utf8(env, p, buf, sizeof(buf), &len) != napi_ok || len >= sizeof(buf) - 1)
			return -EINVAL;
		return oio_sockaddr_from_path(sa, buf);
	}
	napi_value a, po;
	uint32_t port = 0;
	char ip[INET6_ADDRSTRLEN + IF_NAMESIZE + 2]; /* with a zone: "fe80::1%eth0" */
	if (napi_get_named_property(env, v, "address", &a) != napi_ok ||
	    napi_get_value_string_utf8(env, a, ip, sizeof(ip), &len) != napi_ok || len >= sizeof(ip) - 1)
		return -EINVAL;
	if (napi_get_named_property(env, v, "port", &po) == napi_ok)
		napi_get_value_uint32(env, po, &port);
	if (port > 65535)
		return -EINVAL;
	return oio_sockaddr_from_ip(sa, ip, (uint16_t)port);
}

napi_value sockaddr_to_js(napi_env env, const union oio_sockaddr *sa, socklen_t len)
{
	napi_value o, s;
	char ip[INET6_ADDRSTRLEN + 12];

	if (len < sizeof(sa_family_t)) {
		napi_get_null(env, &o);
		return o;
	}
	napi_create_object(env, &o);
	switch (sa->sa.sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &sa->sin.sin_addr, ip, sizeof(ip));
		napi_create_string_utf8(env, ip, NAPI_AUTO_LENGTH, &s);
		napi_set_named_property(env, o, "address", s);
		napi_set_named_property(env, o, "port", js_int(env, ntohs(sa->sin.sin_port)));
		napi_create_string_utf8(env, "IPv4", NAPI_AUTO_LENGTH, &s);
		napi_set_named_property(env, o, "family", s);
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &sa->sin6.sin6_addr, ip, sizeof(ip));
		if (sa->sin6.sin6_scope_id) /* the zone, numerically: accepted back as a destination */
			snprintf(ip + strlen(ip), sizeof(ip) - strlen(ip), "%%%u", sa->sin6.sin6_scope_id);
		napi_create_string_utf8(env, ip, NAPI_AUTO_LENGTH, &s);
		napi_set_named_property(env, o, "address", s);
		napi_set_named_property(env, o, "port", js_int(env, ntohs(sa->sin6.sin6_port)));
		napi_create_string_utf8(env, "IPv6", NAPI_AUTO_LENGTH, &s);
		napi_set_named_property(env, o, "family", s);
		break;
	case AF_UNIX: {
		size_t n = len > offsetof(struct sockaddr_un, sun_path) ? len - offsetof(struct sockaddr_un, sun_path) : 0;
		n = strnlen(sa->sun.sun_path, n);
		napi_create_string_utf8(env, sa->sun.sun_path, n, &s);
		napi_set_named_property(env, o, "path", s);
		break;
	}
	default:
		napi_get_null(env, &o);
	}
	return o;
}

/* sockInit(domain, type, proto, local|null, remote|null, flags, backlog) -> fd (throws on error) */
static napi_value n_sock_init(napi_env env, napi_callback_info info)
{
	ARGS(7);
	union oio_sockaddr local, remote;
	int llen = sockaddr_from_js(env, argv[3], &local);
	int rlen = sockaddr_from_js(env, argv[4], &remote);
	const char *call = "socket";

	if (llen < 0 || rlen < 0) {
		napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "invalid socket address");
		return NULL;
	}
	int fd = oio_sock_init(arg_i32(env, argv[0], AF_INET), arg_i32(env, argv[1], SOCK_STREAM),
			       arg_i32(env, argv[2], 0), llen ? &local : NULL, (socklen_t)llen,
			       rlen ? &remote : NULL, (socklen_t)rlen, (unsigned)arg_i32(env, argv[5], 0),
			       arg_i32(env, argv[6], 128), &call);
	if (fd < 0)
		return throw_errno(env, fd, call);
	return js_int(env, fd);
}

static napi_value n_accept(napi_env env, napi_callback_info info)
{
	ARGS(1);
	return js_int(env, oio_sock_accept(arg_i32(env, argv[0], -1), NULL, NULL));
}

static napi_value addr_of(napi_env env, napi_callback_info info, bool peer)
{
	ARGS(1);
	union oio_sockaddr sa;
	socklen_t len = sizeof(sa);
	int fd = arg_i32(env, argv[0], -1);
	int rc = peer ? getpeername(fd, &sa.sa, &len) : getsockname(fd, &sa.sa, &len);
	if (rc < 0) {
		if (peer && errno == ENOTCONN) {
			napi_value n;
			napi_get_null(env, &n);
			return n;
		}
		return throw_errno(env, errno, peer ? "getpeername" : "getsockname");
	}
	return sockaddr_to_js(env, &sa, len);
}

static napi_value n_local_address(napi_env env, napi_callback_info info) { return addr_of(env, info, false); }
static napi_value n_peer_address(napi_env env, napi_callback_info info) { return addr_of(env, info, true); }

static napi_value n_setsockopt(napi_env env, napi_callback_info info)
{
	ARGS(4);
	int fd = arg_i32(env, argv[0], -1), level = arg_i32(env, argv[1], 0), name = arg_i32(env, argv[2], 0);
	bool isbuf = false;
	int rc;

	napi_is_buffer(env, argv[3], &isbuf);
	if (isbuf) {
		void *d;
		size_t l;
		napi_get_buffer_info(env, argv[3], &d, &l);
		rc = setsockopt(fd, level, name, d, (socklen_t)l);
	} else {
		int v = arg_i32(env, argv[3], 0);
		rc = setsockopt(fd, level, name, &v, sizeof(v));
	}
	if (rc < 0)
		return throw_errno(env, errno, "setsockopt");
	return NULL;
}

static napi_value n_getsockopt(napi_env env, napi_callback_info info)
{
	ARGS(3);
	int v = 0;
	socklen_t l = sizeof(v);
	if (getsockopt(arg_i32(env, argv[0], -1), arg_i32(env, argv[1], 0), arg_i32(env, argv[2], 0), &v, &l) < 0)
		return throw_errno(env, errno, "getsockopt");
	return js_int(env, v);
}

static napi_value n_close_fd(napi_env env, napi_callback_info info)
{
	ARGS(1);
	return js_int(env, close(arg_i32(env, argv[0], -1)) < 0 ? -errno : 0);
}

static napi_value n_shutdown(napi_env env, napi_callback_info info)
{
	ARGS(2);
	return js_int(env, shutdown(arg_i32(env, argv[0], -1), arg_i32(env, argv[1], SHUT_RDWR)) < 0 ? -errno : 0);
}

static napi_value n_socketpair(napi_env env, napi_callback_info info)
{
	ARGS(1);
	int sv[2];
	napi_value arr;
	if (socketpair(AF_UNIX, arg_i32(env, argv[0], SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return throw_errno(env, errno, "socketpair");
	napi_create_array_with_length(env, 2, &arr);
	napi_set_element(env, arr, 0, js_int(env, sv[0]));
	napi_set_element(env, arr, 1, js_int(env, sv[1]));
	return arr;
}

/* sockListen(fd, backlog) -> 0 | -errno (sockets built step by step, e.g. SCTP: options before listen) */
static napi_value n_sock_listen(napi_env env, napi_callback_info info)
{
	ARGS(2);
	return js_int(env, listen(arg_i32(env, argv[0], -1), arg_i32(env, argv[1], 128)) < 0 ? -errno : 0);
}

/* sockoptBuf(fd, level, name, buf, get) -> setsockopt's return value / getsockopt's optlen, or -errno.
 * The buffer is in/out for get: SCTP passes arguments in (peeloff's assoc id, SCTP_STATUS's assoc id) and
 * reads results back; setsockopt(SCTP_SOCKOPT_CONNECTX) returns the association id. Never throws, so that
 * EINPROGRESS and a kernel refusing one option are ordinary results. */
static napi_value n_sockopt_buf(napi_env env, napi_callback_info info)
{
	ARGS(5);
	int fd = arg_i32(env, argv[0], -1), level = arg_i32(env, argv[1], 0), name = arg_i32(env, argv[2], 0);
	bool isbuf = false, get = false;
	void *d = NULL;
	size_t l = 0;
	int rc;

	napi_is_buffer(env, argv[3], &isbuf);
	if (!isbuf)
		return js_int(env, -EINVAL);
	napi_get_buffer_info(env, argv[3], &d, &l);
	napi_get_value_bool(env, argv[4], &get);
	if (get) {
		socklen_t ol = (socklen_t)l;
		rc = getsockopt(fd, level, name, d, &ol);
		return js_int(env, rc < 0 ? -errno : (int)ol);
	}
	rc = setsockopt(fd, level, name, d, (socklen_t)l);
	return js_int(env, rc < 0 ? -errno : rc);
}

static void set_const(napi_env env, napi_value o, const char *name, int v)
{
	napi_set_named_property(env, o, name, js_int(env, v));
}

napi_value sock_bindings(napi_env env, napi_value exports)
{
	napi_property_descriptor p[] = {
#define F(name, fn) { name, NULL, fn, NULL, NULL, NULL, napi_default, NULL }
		F("sockInit", n_sock_init), F("accept", n_accept), F("localAddress", n_local_address),
		F("peerAddress", n_peer_address), F("setsockopt", n_setsockopt), F("getsockopt", n_getsockopt),
		F("closeFd", n_close_fd), F("shutdown", n_shutdown), F("socketpair", n_socketpair),
		F("sockListen", n_sock_listen), F("sockoptBuf", n_sockopt_buf),
#undef F
	};
	napi_value c;
	napi_define_properties(env, exports, sizeof(p) / sizeof(p[0]), p);
	napi_create_object(env, &c);
#define C(x) set_const(env, c, #x, x)
	C(AF_INET); C(AF_INET6); C(AF_UNIX); C(SOCK_STREAM); C(SOCK_DGRAM); C(SOCK_SEQPACKET);
	C(IPPROTO_TCP); C(IPPROTO_UDP); C(IPPROTO_IP); C(IPPROTO_IPV6); C(SOL_SOCKET);
	C(SO_REUSEADDR); C(SO_SNDBUF); C(SO_RCVBUF); C(SO_KEEPALIVE); C(SO_ERROR); C(SO_BROADCAST);
	C(SO_RCVBUFFORCE); C(SO_SNDBUFFORCE); C(TCP_NODELAY); C(IP_PKTINFO); C(IP_TOS); C(IPV6_RECVPKTINFO);
	C(SCM_RIGHTS); C(MSG_DONTWAIT); C(MSG_NOSIGNAL); C(MSG_TRUNC); C(MSG_CTRUNC); C(MSG_EOR);
	C(MSG_PEEK); C(MSG_OOB); C(SHUT_RD); C(SHUT_WR); C(SHUT_RDWR);
	set_const(env, c, "IPPROTO_SCTP", 132);
	set_const(env, c, "SOL_SCTP", 132);
	C(EINPROGRESS);
	set_const(env, c, "OIO_SOCK_LISTEN", OIO_SOCK_LISTEN); set_const(env, c, "OIO_SOCK_REUSEADDR", OIO_SOCK_REUSEADDR);
	set_const(env, c, "OIO_SOCK_NODELAY", OIO_SOCK_NODELAY);
#undef C
	napi_set_named_property(env, exports, "constants", c);
	return exports;
}
