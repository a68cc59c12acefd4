// Bindings of the iofd: setup/register/close, configuration, and the batched submit of writes.
#include "addon.hh"

#include <cerrno>
#include <climits>
#include <cstring>

namespace osmo_io {

Nfd *Addon::NfdAt(napi_value slot)
{
	uint32_t s;
	napi_status st = napi_get_value_uint32(env_, slot, &s);

	if (st == napi_number_expected)
		return nullptr;
	Check(env_, st);
	return NfdAt(s);
}

// Copy the core's per-fd facts into the state array JS reads (see FS_* in addon.hh).
void Addon::NfdSync(Nfd *n) noexcept
{
	int32_t *s = fdst_ + (size_t)n->slot * FS_SIZE;

	if (!n->iofd || !fdst_)
		return;
	size_t bytes = oio_fd_txqueue_bytes(n->iofd);
	s[FS_GEN] = (int32_t)oio_fd_generation(n->iofd);
	s[FS_TXLEN] = (int32_t)oio_fd_txqueue_len(n->iofd);
	s[FS_TXBYTES] = bytes > INT32_MAX ? INT32_MAX : (int32_t)bytes;
	s[FS_REGISTERED] = oio_fd_registered(n->iofd);
}

// Room for cap slots in the state array: a new ArrayBuffer (JS fetches it again with fdState()).
void Addon::FdStateGrow(uint32_t cap)
{
	if (cap <= fdst_cap_)
		return;
	Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env_, (size_t)cap * FS_SIZE * sizeof(int32_t));
	int32_t *data = static_cast<int32_t *>(ab.Data());
	memset(data, 0, (size_t)cap * FS_SIZE * sizeof(int32_t));
	if (fdst_)
		memcpy(data, fdst_, (size_t)fdst_cap_ * FS_SIZE * sizeof(int32_t));
	fdst_ref_ = Napi::Persistent(ab); // the old one is released
	fdst_ = data;
	fdst_cap_ = cap;
}

// fdState() -> Int32Array: FS_SIZE values per slot; replaced when setup() needs more slots than it has.
Napi::Value Addon::FdState(const napi_value *)
{
	FdStateGrow(64);
	Napi::ArrayBuffer ab = fdst_ref_.Value();
	return Napi::Int32Array::New(env_, (size_t)fdst_cap_ * FS_SIZE, ab, 0);
}

Napi::Value Addon::Setup(const napi_value *argv)
{
	napi_env env = env_;
	int32_t mode = ArgI32(env, argv[0], -1), fd = ArgI32(env, argv[1], -1);

	if (!ctx_) {
		Napi::Error e = Napi::Error::New(env, "not initialised");
		e.Set("code", Napi::String::New(env, "ERR_OSMO_IO_INTERNAL"));
		throw e;
	}
	if (fd >= 0 && fd == uv_backend_fd(uv_))
		ThrowErrno(env, EBUSY, "setup"); // libuv's own epoll fd
	// room first, so that nothing needs undoing after the core took the fd; free_slots_ grows with slots_, so
	// Free() never allocates
	if (free_slots_.empty() && slots_.size() == slots_.capacity()) {
		size_t cap = slots_.capacity() ? slots_.capacity() * 2 : 64;
		slots_.reserve(cap);
		free_slots_.reserve(cap);
	}
	FdStateGrow(slots_.capacity() > 64 ? (uint32_t)slots_.capacity() : 64);
	Nfd *n = new Nfd;
	n->iofd = oio_fd_new(ctx_, fd, (enum oio_mode)mode, &nfd_cbs, n);
	if (!n->iofd) {
		delete n;
		ThrowErrno(env, mode >= 0 && mode <= OIO_MODE_ACCEPT && fd >= 0 ? EBUSY : EINVAL, "setup");
	}
	uint32_t slot;
	if (!free_slots_.empty()) {
		slot = free_slots_.back();
		free_slots_.pop_back();
		slots_[slot] = n;
	} else {
		slot = (uint32_t)slots_.size();
		slots_.push_back(n); // reserved above: cannot throw
	}
	n->addon = this;
	n->slot = slot;
	fdst_[(size_t)slot * FS_SIZE + FS_TXMAX] = OIO_DEFAULT_TXQUEUE_MAX;
	NfdSync(n);
	return Int(env, slot);
}

Napi::Value Addon::Register(const napi_value *argv)
{
	Nfd *n = NfdAt(argv[0]);
	if (!n || !n->iofd)
		return Int(env_, -EBADF);
	int fd = ArgI32(env_, argv[1], -1);
	if ((fd >= 0 ? fd : oio_fd_get_fd(n->iofd)) == uv_backend_fd(uv_))
		return Int(env_, -EBUSY); // libuv's own epoll fd: closing it through an iofd would break the loop
	// (held reads follow at the next flush, ahead of newer ones; registered with another file, the core drops them)
	int rc = oio_fd_register(n->iofd, fd);
	NfdSetRef(n);
	NfdSync(n);
	return Int(env_, rc);
}

Napi::Value Addon::Unregister(const napi_value *argv)
{
	Nfd *n = NfdAt(argv[0]);
	if (!n || !n->iofd)
		return Int(env_, -EBADF);
	int rc = oio_fd_unregister(n->iofd);
	NfdSetRef(n);
	NfdSync(n);
	return Int(env_, rc);
}

// close(slot): the core bumps the fd generation, so events of the old fd still in this batch are told apart
Napi::Value Addon::Close(const napi_value *argv)
{
	Nfd *n = NfdAt(argv[0]);
	if (!n || !n->iofd)
		return Int(env_, -EBADF);
	int rc = oio_fd_close(n->iofd); // (drops the reads held of the closed fd)
	NfdSetRef(n);
	NfdSync(n);
	return Int(env_, rc);
}

Napi::Value Addon::Free(const napi_value *argv)
{
	Nfd *n = NfdAt(argv[0]);
	if (!n)
		return Napi::Value();
	// from the finalizer: the fd may have been closed elsewhere and its number reused: never close that one
	if (!oio_fd_registered(n->iofd))
		oio_fd_forget_if_stale(n->iofd);
	bool was_open = oio_fd_get_fd(n->iofd) >= 0;
	Napi::FunctionReference seg = std::move(n->seg);
	oio_fd_free(n->iofd);
	n->iofd = nullptr;
	NfdSetRef(n);
	slots_[n->slot] = nullptr;
	free_slots_.push_back(n->slot); // within the capacity Setup() reserved
	// a new iofd may take the slot (its generation starts over): events of this one not dispatched yet go
	for (uint32_t i = 0; i < nev_; i++)
		if (rec_[(size_t)i * EV_SIZE + EV_SLOT] == (int32_t)n->slot)
			rec_[(size_t)i * EV_SIZE + EV_SLOT] = -1;
	memset(fdst_ + (size_t)n->slot * FS_SIZE, 0, FS_SIZE * sizeof(int32_t));
	delete n;
	seg.Reset();
	return Napi::Boolean::New(env_, was_open); // true: the fd was closed here (collected without close())
}

Napi::Value Addon::GetFd(const napi_value *argv)
{
	Nfd *n = NfdAt(argv[0]);
	return Int(env_, n && n->iofd ? oio_fd_get_fd(n->iofd) : -1);
}

Napi::Value Addon::SetReadEnabled(const napi_value *argv)
{
	Nfd *n = NfdAt(argv[0]);
	bool on = ArgBool(env_, argv[1], false);
	if (!n || !n->iofd)
		return Napi::Value();
	oio_fd_set_read_enabled(n->iofd, on); // (held reads follow at the next flush, ahead of newer ones)
	return Napi::Value();
}

// park(slot, b): the read record at b of the running batch cannot be delivered now (reading off / unregistered):
// the core holds it (oio_fd_hold()) until reading is on again. 0 or -errno.
Napi::Value Addon::Park(const napi_value *argv)
{
	Nfd *n = NfdAt(argv[0]);
	int32_t b = ArgI32(env_, argv[1], -1);

	if (!n || !n->iofd || !dispatching_ || b < 0 || (uint32_t)b > (EV_CAPACITY - 1) * EV_SIZE ||
	    ev_[b + EV_SLOT] != (int32_t)n->slot || ev_[b + EV_TYPE] != EVT_READ)
		return Int(env_, -EINVAL);
	const int32_t *r = ev_ + b;
	uint32_t len = r[EV_LEN] > 0 ? (uint32_t)r[EV_LEN] : 0;
	uint32_t alen = r[EV_AOFF] >= 0 && r[EV_ALEN] > 0 ? (uint32_t)r[EV_ALEN] : 0;
	uint32_t clen = r[EV_COFF] >= 0 && r[EV_CLEN] > 0 ? (uint32_t)r[EV_CLEN] : 0;
	// the record's offsets point into this batch's slab (JS got a copy of it)
	if ((len && (r[EV_OFF] < 0 || (size_t)r[EV_OFF] + len > slab_len_)) ||
	    (alen && (size_t)r[EV_AOFF] + alen > slab_len_) || (clen && (size_t)r[EV_COFF] + clen > slab_len_) ||
	    alen > sizeof(oio_sockaddr))
		return Int(env_, -EINVAL);
	oio_rxinfo info{};
	info.from = alen ? reinterpret_cast<const oio_sockaddr *>(slab_ + r[EV_AOFF]) : nullptr;
	info.fromlen = alen;
	info.control = clen ? slab_ + r[EV_COFF] : nullptr;
	info.controllen = clen;
	info.flags = r[EV_FLAGS];
	return Int(env_, oio_fd_hold(n->iofd, r[EV_RES], len ? slab_ + r[EV_OFF] : nullptr, len, &info));
}

// setSegmentation(slot, kind SEG_NONE | SEG_LENPREFIX | SEG_JS, fn, headerLen, lenOff, lenBytes, bigEndian,
// adjust, maxLen)
Napi::Value Addon::SetSegmentation(const napi_value *argv)
{
	napi_env env = env_;
	Nfd *n = NfdAt(argv[0]);
	int kind = ArgI32(env, argv[1], 0);
	if (!n || !n->iofd)
		return Napi::Value();
	if (kind == SEG_LENPREFIX) {
		oio_lenprefix lp{};
		lp.header_len = (uint16_t)ArgI32(env, argv[3], 0);
		lp.len_offset = (uint16_t)ArgI32(env, argv[4], 0);
		lp.len_bytes = (uint8_t)ArgI32(env, argv[5], 2);
		lp.big_endian = ArgBool(env, argv[6], true);
		lp.adjust = ArgI32(env, argv[7], 0);
		lp.max_len = (uint32_t)ArgI32(env, argv[8], 0);
		n->seg.Reset();
		oio_fd_set_segmentation(n->iofd, &lp, false);
	} else if (kind == SEG_JS) {
		if (TypeOf(env, argv[2]) != napi_function)
			throw Napi::TypeError::New(env, "the segmentation callback must be a function");
		n->seg = Napi::Persistent(Napi::Function(env, argv[2]));
		oio_fd_set_segmentation(n->iofd, nullptr, true);
	} else {
		n->seg.Reset();
		oio_fd_set_segmentation(n->iofd, nullptr, false);
	}
	return Napi::Value();
}

Napi::Value Addon::SetAllocInfo(const napi_value *argv)
{
	Nfd *n = NfdAt(argv[0]);
	if (!n || !n->iofd)
		return Int(env_, -EBADF);
	return Int(env_, oio_fd_set_alloc_info(n->iofd, (unsigned)ArgI32(env_, argv[1], 0), (unsigned)ArgI32(env_, argv[2], 0)));
}

Napi::Value Addon::SetIoBuffers(const napi_value *argv)
{
	Nfd *n = NfdAt(argv[0]);
	if (!n || !n->iofd)
		return Int(env_, -EBADF);
	return Int(env_, oio_fd_set_io_buffers(n->iofd, (enum oio_op)ArgI32(env_, argv[1], 0), ArgI32(env_, argv[2], -1)));
}

Napi::Value Addon::SetSqes(const napi_value *argv)
{
	Nfd *n = NfdAt(argv[0]);
	if (!n || !n->iofd)
		return Int(env_, -EBADF);
	return Int(env_, oio_fd_set_sqes(n->iofd, (enum oio_op)ArgI32(env_, argv[1], 0), ArgI32(env_, argv[2], -1)));
}

Napi::Value Addon::SetCmsgSize(const napi_value *argv)
{
	Nfd *n = NfdAt(argv[0]);
	if (!n || !n->iofd)
		return Int(env_, -EBADF);
	return Int(env_, oio_fd_set_cmsg_size(n->iofd, (size_t)ArgI32(env_, argv[1], -1)));
}

Napi::Value Addon::NotifyConnected(const napi_value *argv)
{
	Nfd *n = NfdAt(argv[0]);
	if (n && n->iofd)
		oio_fd_notify_connected(n->iofd);
	return Napi::Value();
}

Napi::Value Addon::TxqueueClear(const napi_value *argv)
{
	Nfd *n = NfdAt(argv[0]);
	if (n && n->iofd) {
		oio_fd_txqueue_clear(n->iofd);
		NfdSync(n);
	}
	return Napi::Value();
}

// setTxqueueMax(slot, n): the core refuses messages beyond n with -ENOSPC
Napi::Value Addon::SetTxqueueMax(const napi_value *argv)
{
	Nfd *n = NfdAt(argv[0]);
	int32_t max = ArgI32(env_, argv[1], OIO_DEFAULT_TXQUEUE_MAX);
	if (!n || !n->iofd)
		return Int(env_, -EBADF);
	if (max < 0)
		return Int(env_, -EINVAL);
	oio_fd_set_txqueue_max(n->iofd, (unsigned)max);
	fdst_[(size_t)n->slot * FS_SIZE + FS_TXMAX] = max;
	return Int(env_, 0);
}

Napi::Value Addon::SetRef(const napi_value *argv)
{
	Nfd *n = NfdAt(argv[0]);
	bool on = ArgBool(env_, argv[1], true);
	if (n) {
		n->ref = on;
		NfdSetRef(n);
	}
	return Napi::Value();
}

// An Int32Array argument's elements and length (a plain array or anything else is refused). One N-API call.
static int32_t *I32Array(napi_env env, napi_value v, size_t *len)
{
	napi_typedarray_type tt;
	void *data;
	napi_status s = napi_get_typedarray_info(env, v, &tt, len, &data, nullptr, nullptr);

	if (s != napi_invalid_arg) // invalid_arg: not a typed array
		Check(env, s);
	if (s != napi_ok || tt != napi_int32_array) {
		Napi::TypeError e = Napi::TypeError::New(env, "an Int32Array is expected");
		e.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
		throw e;
	}
	return static_cast<int32_t *>(data);
}

// submit(slots: Int32Array, bufs: Buffer[], n, dests?: (SockAddr|null)[], flags?: Int32Array, ctls?: (Buffer|null)[],
//        tokens: Int32Array, rcs: Int32Array)
// Queues n messages in one call (the JS layer batches writes per tick); each carries its token, which its write
// completion names. rcs[i]: 0 or the -errno that refused message i. Returns the number refused. Per message:
// two N-API calls (element, buffer info), more only for a destination or control data; no allocation.
Napi::Value Addon::Submit(const napi_value *argv)
{
	napi_env env = env_;
	size_t slen, tlen, rlen, flen = 0;
	const int32_t *slots = I32Array(env, argv[0], &slen);
	uint32_t n = ArgU32(env, argv[2], 0);
	const int32_t *flags = TypeOf(env, argv[4]) == napi_object ? I32Array(env, argv[4], &flen) : nullptr;
	bool has_dests = TypeOf(env, argv[3]) == napi_object;
	bool has_ctls = TypeOf(env, argv[5]) == napi_object;
	const int32_t *tokens = I32Array(env, argv[6], &tlen);
	int32_t *rcs = I32Array(env, argv[7], &rlen);
	uint32_t failed = 0;

	if (n > slen)
		n = (uint32_t)slen;
	if (n > tlen)
		n = (uint32_t)tlen;
	if (n > rlen)
		n = (uint32_t)rlen;
	if (flags && n > flen)
		n = (uint32_t)flen;
	for (uint32_t i = 0; i < n; i++) {
		napi_value v;
		void *data;
		size_t dlen;
		int rc;

		uint64_t token = (uint32_t)tokens[i];
		Nfd *nf = slots[i] >= 0 ? NfdAt((uint32_t)slots[i]) : nullptr;
		if (!nf || !nf->iofd) {
			rcs[i] = -EBADF;
			failed++;
			continue;
		}
		Check(env, napi_get_element(env, argv[1], i, &v));
		napi_status st = napi_get_buffer_info(env, v, &data, &dlen);
		if (st == napi_invalid_arg) { // not a Buffer
			rcs[i] = -EBADF;
			failed++;
			continue;
		}
		Check(env, st);
		enum oio_mode mode = oio_fd_mode(nf->iofd);
		if (mode == OIO_MODE_READ_WRITE) {
			rc = oio_fd_write(nf->iofd, data, dlen, token);
		} else {
			union oio_sockaddr sa;
			int salen = 0;
			void *cdata = nullptr;
			size_t clen = 0;
			if (has_dests) {
				napi_value d;
				Check(env, napi_get_element(env, argv[3], i, &d));
				if (TypeOf(env, d) == napi_object)
					salen = SockaddrFromJs(env, d, &sa);
			}
			if (has_ctls) {
				napi_value c;
				Check(env, napi_get_element(env, argv[5], i, &c));
				if (IsBuffer(env, c))
					Check(env, napi_get_buffer_info(env, c, &cdata, &clen));
			}
			if (salen < 0) {
				rcs[i] = salen;
				failed++;
				continue;
			}
			int fl = flags ? flags[i] : 0;
			if (mode == OIO_MODE_RECVFROM_SENDTO)
				rc = oio_fd_sendto(nf->iofd, data, dlen, fl, salen ? &sa : nullptr, (socklen_t)salen, token);
			else
				rc = oio_fd_sendmsg(nf->iofd, data, dlen, fl, salen ? &sa : nullptr, (socklen_t)salen,
						    cdata, clen, token);
		}
		rcs[i] = rc < 0 ? rc : 0;
		if (rc < 0)
			failed++;
		else
			NfdSync(nf);
	}
	return Int(env, failed);
}

void DefineIofdBindings(Napi::Env env, Napi::Object exports)
{
	napi_property_descriptor p[] = {
#define F(name, n, fn) { name, nullptr, Method<n, &Addon::fn>, nullptr, nullptr, nullptr, napi_default, nullptr }
		F("setup", 2, Setup), F("register", 2, Register), F("unregister", 1, Unregister),
		F("close", 1, Close), F("free", 1, Free), F("getFd", 1, GetFd),
		F("setReadEnabled", 2, SetReadEnabled), F("setSegmentation", 9, SetSegmentation),
		F("setAllocInfo", 3, SetAllocInfo), F("setIoBuffers", 3, SetIoBuffers), F("setSqes", 3, SetSqes),
		F("setCmsgSize", 2, SetCmsgSize), F("notifyConnected", 1, NotifyConnected),
		F("txqueueClear", 1, TxqueueClear), F("setRef", 2, SetRef), F("submit", 8, Submit),
		F("setTxqueueMax", 2, SetTxqueueMax), F("fdState", 0, FdState), F("park", 2, Park),
#undef F
	};
	Check(env, napi_define_properties(env, exports, sizeof(p) / sizeof(p[0]), p));
}

} // namespace osmo_io
