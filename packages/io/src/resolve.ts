/**
 * Host names the way Node's `net` takes them: an IP literal (IPv6 with or without brackets) is used as it is, a name
 * goes through `dns.lookup` (so /etc/hosts, nsswitch and the `family` option behave as for `net.connect`).
 * A failed lookup rejects with the dns error itself: code 'ENOTFOUND' (or 'EAI_AGAIN' ...), `hostname`,
 * `syscall: 'getaddrinfo'` - what Node and curl report.
 */
import dns from 'node:dns';
import net from 'node:net';
import { errnoName } from './errno.js';
import { OsmoIoSystemError, OsmoIoTypeError } from './errors.js';

/** 0 = any (default), 4 = IPv4 only, 6 = IPv6 only - as `net.connect`'s `family`. */
export type LookupFamily = 0 | 4 | 6;
export interface LookupAddress { address: string; family: 4 | 6 }

/** A resolver with dns.lookup's signature (as net.connect's `lookup` option), called with `all: true`. */
export type LookupFunction = (hostname: string, options: { family: LookupFamily; all: true },
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) => void;

/** A Node-style system error (`err.code`, negative `err.errno`, `err.syscall`, and where it applies the address). */
export interface NetError extends Error {
  code: string;
  errno: number;
  syscall: string;
  hostname?: string;
  address?: string;
  port?: number;
}

/** '[::1]' -> '::1'; anything else unchanged. */
export function stripBrackets(host: string): string {
  return host.length >= 2 && host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Validate a `family` option (undefined = 0). */
export function checkFamily(f: unknown): LookupFamily {
  if (f === undefined || f === 0 || f === 4 || f === 6) return (f ?? 0) as LookupFamily;
  throw new OsmoIoTypeError('ERR_INVALID_ARG_VALUE', `family must be 0, 4 or 6; received ${String(f)}`);
}

/** `host:port` for messages; IPv6 literals in brackets. */
export function formatHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Every address of `host` (in the resolver's order), or the literal itself. Rejects with the dns error (ENOTFOUND
 * with `hostname`) when a name does not resolve, and with ERR_INVALID_ARG_VALUE for an empty host.
 */
export function lookupHost(host: string, family: LookupFamily = 0, lookup: LookupFunction = dns.lookup as LookupFunction): Promise<LookupAddress[]> {
  const h = stripBrackets(host);
  const lit = net.isIP(h);
  if (lit !== 0) return Promise.resolve([{ address: h, family: lit as 4 | 6 }]);
  if (h === '') {
    return Promise.reject(new OsmoIoTypeError('ERR_INVALID_ARG_VALUE', 'empty host name'));
  }
  return new Promise((resolve, reject) => {
    lookup(h, { family, all: true }, (err, addrs) => {
      if (err) reject(err);
      else if (!Array.isArray(addrs) || addrs.length === 0) reject(notFound(h));
      else resolve(addrs.map((a) => ({ address: a.address, family: net.isIPv6(a.address) ? 6 : 4 })));
    });
  });
}

function notFound(hostname: string): NetError {
  // libuv's UV_ENOTFOUND (-3008), as dns.lookup reports it
  return new OsmoIoSystemError('ENOTFOUND', -3008, 'getaddrinfo', `getaddrinfo ENOTFOUND ${hostname}`, { hostname });
}

/** The error Node's net would raise for a failed connect to address:port (`res` = -errno). */
export function connectError(res: number, address: string, port: number): NetError {
  const code = errnoName(res);
  return new OsmoIoSystemError(code, -Math.abs(res), 'connect', `connect ${code} ${formatHostPort(address, port)}`,
                               { address, port });
}
