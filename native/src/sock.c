/* Socket creation in the spirit of osmo_sock_init2: bind and/or connect (non-blocking), listen. */
#include "internal.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <unistd.h>

int oio_sockaddr_from_ip(union oio_sockaddr *sa, const char *ip, uint16_t port)
{
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, ip, &sa->sin.sin_addr) == 1) {
		sa->sin.sin_family = AF_INET;
		sa->sin.sin_port = htons(port);
		return sizeof(sa->sin);
	}
	/* IPv6, with an optional zone: "fe80::1%lo" or "fe80::1%2" (sin6_scope_id) */
	char addr[INET6_ADDRSTRLEN];
	const char *zone = strchr(ip, '%');
	size_t alen = zone ? (size_t)(zone - ip) : strlen(ip);
	unsigned scope = 0;

	if (alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, ip, alen);
	addr[alen] = 0;
	if (inet_pton(AF_INET6, addr, &sa->sin6.sin6_addr) != 1)
		return -EINVAL;
	if (zone) {
		char *end;
		unsigned long v = strtoul(zone + 1, &end, 10);
		if (zone[1] && !*end && v <= UINT32_MAX)
			scope = (unsigned)v;
		else if (!(scope = if_nametoindex(zone + 1)))
			return -EINVAL; /* no such interface */
	}
	sa->sin6.sin6_family = AF_INET6;
	sa->sin6.sin6_port = htons(port);
	sa->sin6.sin6_scope_id = scope;
	return sizeof(sa->sin6);
}

int oio_sockaddr_from_path(union oio_sockaddr *sa, const char *path)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	if (n == 0 || n >= sizeof(sa->sun.sun_path))
		return -EINVAL;
	sa->sun.sun_family = AF_UNIX;
	memcpy(sa->sun.sun_path, path, n);
	return (int)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

int oio_sock_init(int family, int type, int proto, const union oio_sockaddr *local, socklen_t locallen,
		  const union oio_sockaddr *remote, socklen_t remotelen, unsigned flags, int backlog,
		  const char **failed_call)
{
	int fd, on = 1, rc;
	const char *call = "socket";

	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0)
		goto fail_errno;
	if ((flags & OIO_SOCK_REUSEADDR) && family != AF_UNIX) {
		call = "setsockopt";
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
			goto fail_errno;
	}
	if ((flags & OIO_SOCK_NODELAY) && proto == IPPROTO_TCP) {
		call = "setsockopt";
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) < 0)
			goto fail_errno;
	}
	if (local && locallen) {
		call = "bind";
		if (bind(fd, &local->sa, locallen) < 0)
			goto fail_errno;
	}
	if (remote && remotelen) {
		call = "connect";
		if (connect(fd, &remote->sa, remotelen) < 0 && errno != EINPROGRESS)
			goto fail_errno;
	}
	if (flags & OIO_SOCK_LISTEN) {
		call = "listen";
		if (listen(fd, backlog > 0 ? backlog : 128) < 0)
			goto fail_errno;
	}
	return fd;

fail_errno:
	rc = -errno;
	if (fd >= 0)
		close(fd);
	if (failed_call)
		*failed_call = call;
	return rc;
}

int oio_sock_accept(int fd, union oio_sockaddr *peer, socklen_t *peerlen)
{
	int nfd;

	do {
		nfd = accept4(fd, peer ? &peer->sa : NULL, peerlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	} while (nfd < 0 && errno == EINTR);
	if (nfd < 0)
		return (errno == EWOULDBLOCK) ? -EAGAIN : -errno;
	return nfd;
}
