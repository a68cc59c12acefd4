// Bindings for sockets: creation (bind / non-blocking connect / listen), accept, addresses, options. Stateless:
// they need no Addon.
#include "addon.hh"

#include <net/if.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

namespace osmo_io {

// {address, port} or {path} -> sockaddr; returns its length, 0 for none, -EINVAL
int SockaddrFromJs(napi_env env, napi_value v, union oio_sockaddr *sa)
{
	char buf[sizeof(sa->sun.sun_path) + 1];
	size_t len;
	bool has;

	if (TypeOf(env, v) != napi_object)
		return 0;
	Check(env, napi_has_named_property(env, v, "path", &has));
	if (has) {
		napi_value p;
		Check(env, napi_get_named_property(env, v, "path", &p));
		napi_status s = napi_get_value_string_utf8(env, p, buf, sizeof(buf), &len);
		if (s == napi_string_expected)
			return -EINVAL;
		Check(env, s);
		if (len >= sizeof(buf) - 1)
			return -EINVAL;
		return oio_sockaddr_from_path(sa, buf);
	}
	napi_value a, po;
	char ip[INET6_ADDRSTRLEN + IF_NAMESIZE + 2]; // with a zone: "fe80::1%eth0"
	Check(env, napi_get_named_property(env, v, "address", &a));
	napi_status s = napi_get_value_string_utf8(env, a, ip, sizeof(ip), &len);
	if (s == napi_string_expected)
		return -EINVAL;
	Check(env, s);
	if (len >= sizeof(ip) - 1)
		return -EINVAL;
	Check(env, napi_get_named_property(env, v, "port", &po));
	uint32_t port = ArgU32(env, po, 0);
	if (port > 65535)
		return -EINVAL;
	return oio_sockaddr_from_ip(sa, ip, (uint16_t)port);
}

// sockInit(domain, type, proto, local|null, remote|null, flags, backlog) -> fd (throws on error)
static Napi::Value SockInit(Napi::Env env, const napi_value *argv)
{
	union oio_sockaddr local, remote;
	int llen = SockaddrFromJs(env, argv[3], &local);
	int rlen = SockaddrFromJs(env, argv[4], &remote);
	const char *call = "socket";

	if (llen < 0 || rlen < 0) {
		Napi::TypeError e = Napi::TypeError::New(env, "invalid socket address");
		e.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_VALUE"));
		throw e;
	}
	int fd = oio_sock_init(ArgI32(env, argv[0], AF_INET), ArgI32(env, argv[1], SOCK_STREAM), ArgI32(env, argv[2], 0),
			       llen ? &local : nullptr, (socklen_t)llen, rlen ? &remote : nullptr, (socklen_t)rlen,
			       (unsigned)ArgI32(env, argv[5], 0), ArgI32(env, argv[6], 128), &call);
	if (fd < 0)
		ThrowErrno(env, fd, call);
	return Int(env, fd);
}

static Napi::Value Accept(Napi::Env env, const napi_value *argv)
{
	return Int(env, oio_sock_accept(ArgI32(env, argv[0], -1), nullptr, nullptr));
}

static Napi::Value AddrOf(Napi::Env env, const napi_value *argv, bool peer)
{
	union oio_sockaddr sa;
	socklen_t len = sizeof(sa);
	int fd = ArgI32(env, argv[0], -1);
	int rc = peer ? getpeername(fd, &sa.sa, &len) : getsockname(fd, &sa.sa, &len);
	if (rc < 0) {
		if (peer && errno == ENOTCONN)
			return env.Null();
		ThrowErrno(env, errno, peer ? "getpeername" : "getsockname");
	}
	// the raw struct sockaddr bytes: sockaddr.ts decodes them, as it does for the addresses in event records
	return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t *>(&sa), len);
}

static Napi::Value LocalAddress(Napi::Env env, const napi_value *argv) { return AddrOf(env, argv, false); }
static Napi::Value PeerAddress(Napi::Env env, const napi_value *argv) { return AddrOf(env, argv, true); }

static Napi::Value Setsockopt(Napi::Env env, const napi_value *argv)
{
	int fd = ArgI32(env, argv[0], -1), level = ArgI32(env, argv[1], 0), name = ArgI32(env, argv[2], 0);
	int rc;

	if (IsBuffer(env, argv[3])) {
		void *d;
		size_t l;
		Check(env, napi_get_buffer_info(env, argv[3], &d, &l));
		rc = setsockopt(fd, level, name, d, (socklen_t)l);
	} else {
		int v = ArgI32(env, argv[3], 0);
		rc = setsockopt(fd, level, name, &v, sizeof(v));
	}
	if (rc < 0)
		ThrowErrno(env, errno, "setsockopt");
	return Napi::Value();
}

static Napi::Value Getsockopt(Napi::Env env, const napi_value *argv)
{
	int v = 0;
	socklen_t l = sizeof(v);
	if (getsockopt(ArgI32(env, argv[0], -1), ArgI32(env, argv[1], 0), ArgI32(env, argv[2], 0), &v, &l) < 0)
		ThrowErrno(env, errno, "getsockopt");
	return Int(env, v);
}

static Napi::Value CloseFd(Napi::Env env, const napi_value *argv)
{
	return Int(env, close(ArgI32(env, argv[0], -1)) < 0 ? -errno : 0);
}

static Napi::Value Shutdown(Napi::Env env, const napi_value *argv)
{
	return Int(env, shutdown(ArgI32(env, argv[0], -1), ArgI32(env, argv[1], SHUT_RDWR)) < 0 ? -errno : 0);
}

static Napi::Value Socketpair(Napi::Env env, const napi_value *argv)
{
	int sv[2];
	if (socketpair(AF_UNIX, ArgI32(env, argv[0], SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		ThrowErrno(env, errno, "socketpair");
	Napi::Array arr = Napi::Array::New(env, 2);
	try {
		arr.Set(0u, Int(env, sv[0]));
		arr.Set(1u, Int(env, sv[1]));
	} catch (...) {
		close(sv[0]);
		close(sv[1]);
		throw;
	}
	return arr;
}

// sockListen(fd, backlog) -> 0 | -errno (sockets built step by step, e.g. SCTP: options before listen)
static Napi::Value SockListen(Napi::Env env, const napi_value *argv)
{
	return Int(env, listen(ArgI32(env, argv[0], -1), ArgI32(env, argv[1], 128)) < 0 ? -errno : 0);
}

// sockoptBuf(fd, level, name, buf, get) -> setsockopt's return value / getsockopt's optlen, or -errno.
// The buffer is in/out for get: SCTP passes arguments in (peeloff's assoc id, SCTP_STATUS's assoc id) and
// reads results back; setsockopt(SCTP_SOCKOPT_CONNECTX) returns the association id. Never throws, so that
// EINPROGRESS and a kernel refusing one option are ordinary results.
static Napi::Value SockoptBuf(Napi::Env env, const napi_value *argv)
{
	int fd = ArgI32(env, argv[0], -1), level = ArgI32(env, argv[1], 0), name = ArgI32(env, argv[2], 0);
	void *d = nullptr;
	size_t l = 0;
	int rc;

	if (!IsBuffer(env, argv[3]))
		return Int(env, -EINVAL);
	Check(env, napi_get_buffer_info(env, argv[3], &d, &l));
	if (ArgBool(env, argv[4], false)) {
		socklen_t ol = (socklen_t)l;
		rc = getsockopt(fd, level, name, d, &ol);
		return Int(env, rc < 0 ? -errno : (int)ol);
	}
	rc = setsockopt(fd, level, name, d, (socklen_t)l);
	return Int(env, rc < 0 ? -errno : rc);
}

void DefineSockBindings(Napi::Env env, Napi::Object exports)
{
	napi_property_descriptor p[] = {
#define F(name, n, fn) { name, nullptr, Static<n, fn>, nullptr, nullptr, nullptr, napi_default, nullptr }
		F("sockInit", 7, SockInit), F("accept", 1, Accept), F("localAddress", 1, LocalAddress),
		F("peerAddress", 1, PeerAddress), F("setsockopt", 4, Setsockopt), F("getsockopt", 3, Getsockopt),
		F("closeFd", 1, CloseFd), F("shutdown", 2, Shutdown), F("socketpair", 1, Socketpair),
		F("sockListen", 2, SockListen), F("sockoptBuf", 5, SockoptBuf),
#undef F
	};
	Check(env, napi_define_properties(env, exports, sizeof(p) / sizeof(p[0]), p));
	Napi::Object c = Napi::Object::New(env);
#define C(x) c.Set(#x, Int(env, x))
	C(AF_INET); C(AF_INET6); C(AF_UNIX); C(SOCK_STREAM); C(SOCK_DGRAM); C(SOCK_SEQPACKET);
	C(IPPROTO_TCP); C(IPPROTO_UDP); C(IPPROTO_IP); C(IPPROTO_IPV6); C(SOL_SOCKET);
	C(SO_REUSEADDR); C(SO_SNDBUF); C(SO_RCVBUF); C(SO_KEEPALIVE); C(SO_ERROR); C(SO_BROADCAST);
	C(SO_RCVBUFFORCE); C(SO_SNDBUFFORCE); C(TCP_NODELAY); C(IP_PKTINFO); C(IP_TOS); C(IPV6_RECVPKTINFO);
	C(SCM_RIGHTS); C(MSG_DONTWAIT); C(MSG_NOSIGNAL); C(MSG_TRUNC); C(MSG_CTRUNC); C(MSG_EOR);
	C(MSG_PEEK); C(MSG_OOB); C(SHUT_RD); C(SHUT_WR); C(SHUT_RDWR);
	c.Set("IPPROTO_SCTP", Int(env, 132));
	c.Set("SOL_SCTP", Int(env, 132));
	C(EINPROGRESS);
	C(OIO_SOCK_LISTEN); C(OIO_SOCK_REUSEADDR); C(OIO_SOCK_NODELAY);
#undef C
	exports.Set("constants", c);
}

} // namespace osmo_io
