#!/usr/bin/env python3
"""An SCTP peer that is not our code: Python's socket.sendmsg/recvmsg with hand-packed SCTP cmsgs.
Listens on 127.0.0.1 (port printed as 'port N'), accepts one association, and for each received message prints
a JSON line {data, ppid, stream} and answers with ppid+1 / stream+1 and the data reversed. Exits after 'bye'."""
import json, socket, struct, sys

IPPROTO_SCTP = 132
SCTP_RECVRCVINFO, SCTP_SNDINFO, SCTP_RCVINFO, SCTP_INITMSG = 32, 2, 3, 2

ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_SCTP)
ls.setsockopt(IPPROTO_SCTP, SCTP_INITMSG, struct.pack('=HHHH', 8, 8, 0, 0))
ls.bind(('127.0.0.1', 0))
ls.listen(1)
print('port', ls.getsockname()[1], flush=True)
s, _ = ls.accept()
s.setsockopt(IPPROTO_SCTP, SCTP_RECVRCVINFO, 1)
while True:
    data, anc, flags, _ = s.recvmsg(65536, socket.CMSG_SPACE(28))
    if not data:
        break
    info = None
    for level, typ, cdata in anc:
        if level == IPPROTO_SCTP and typ == SCTP_RCVINFO:
            sid, ssn, fl, ppid, tsn, cumtsn, ctx, assoc = struct.unpack('=HHHxxIIIIi', cdata[:28])
            info = {'stream': sid, 'ppid': socket.ntohl(ppid)}
    print(json.dumps({'data': data.decode(), **(info or {})}), flush=True)
    if data == b'bye':
        break
    snd = struct.pack('=HHIIi', info['stream'] + 1, 0, socket.htonl(info['ppid'] + 1), 0, 0)
    s.sendmsg([data[::-1]], [(IPPROTO_SCTP, SCTP_SNDINFO, snd)])
s.close()
