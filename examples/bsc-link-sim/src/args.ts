/**
 * Command line values of bsc-link-sim: strict numbers (an integer option takes no "1.5", a negative number gets our
 * message instead of parseArgs' "ambiguous"), HOST:PORT with IPv6 in brackets, and host names resolved as
 * net.connect does (dns.lookup). No import of the I/O addon here: --help and usage errors work without it.
 */
import dns from 'node:dns';
import net from 'node:net';

import { ArgError } from './errors.js';

export { joinNegativeValues } from '@osmo/ctrl/cli-args';

/** An integer option in [min, max]; `undefined` -> dflt. */
export function intArg(v: string | undefined, dflt: number, name: string, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) throw new ArgError(`invalid --${name} ${v}: an integer from ${min} to ${max}`);
  return n;
}

/** A decimal option in [min, max] (e.g. seconds, a rate); `undefined` -> dflt. */
export function numArg(v: string | undefined, dflt: number, name: string, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = /^-?(\d+(\.\d*)?|\.\d+)$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) throw new ArgError(`invalid --${name} ${v}: a number from ${min} to ${max}`);
  return n;
}

/**
 * `HOST:PORT`, `[IPV6]:PORT`, or (with `portOnly`) just `PORT`. The host is returned without brackets, not resolved.
 * The port must lie in [minPort, 65535].
 */
export function parseHostPort(v: string, name: string, opts: { portOnly?: boolean; minPort?: number } = {}): { host: string | null; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(v);
  let host: string | null, portStr: string;
  if (m) { host = m[1] ?? m[2]!; portStr = m[3]!; } else if (opts.portOnly && /^[^:]*$/.test(v)) { host = null; portStr = v; } else {
    throw new ArgError(`invalid --${name} ${v}: ${opts.portOnly ? '[HOST:]PORT' : 'HOST:PORT'} (IPv6 in brackets: [::1]:3002)`);
  }
  if (host === '') throw new ArgError(`invalid --${name} ${v}: empty host`);
  const min = opts.minPort ?? 1;
  const port = /^\d{1,5}$/.test(portStr) ? Number(portStr) : NaN;
  if (!(port >= min && port <= 65535)) throw new ArgError(`invalid --${name} ${v}: port must be ${min}..65535`);
  return { host, port };
}

/** `host:port` for messages (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The first address of `host` (a literal as it is, a name through dns.lookup); throws the dns error (ENOTFOUND). */
export async function resolveHost(host: string): Promise<string> {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (net.isIP(h)) return h;
  return (await dns.promises.lookup(h)).address;
}
