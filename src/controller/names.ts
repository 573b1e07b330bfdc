// Validation of every name and value the controller hands to `ip` and `tc`: namespaces and devices (from
// src/linux/names.ts), addresses, prefixes, routing tables, rule priorities, marks, htb class ids and rates.
// Nothing reaches a command line unless it passed one of these checks.

import { isIP } from 'node:net';
import { NameError, str } from '../linux/names.ts';

export { NameError, devName, netnsName } from '../linux/names.ts';

const CLASSID_RE = /^[0-9a-f]{1,4}:[0-9a-f]{1,4}$/;
const RATE_TEXT_RE = /^[0-9]+(\.[0-9]+)?([KMGT]i?)?bit$/i;
/** What a token of a batch line may contain: no whitespace, quotes, backslash or '#'. */
const TOKEN_RE = /^[A-Za-z0-9_.:/+-]+$/;

export function ipAddress(field: string, v: unknown): string {
  const s = str(field, v);
  if (isIP(s) === 0) throw new NameError(field, `not an IPv4/IPv6 address: ${JSON.stringify(s)}`);
  return s;
}

/** An address or an address/prefix-length; "default" is not accepted (be explicit: 0.0.0.0/0). */
export function ipPrefix(field: string, v: unknown): string {
  const s = str(field, v);
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const family = isIP(addr);
  if (family === 0) throw new NameError(field, `not an address or prefix: ${JSON.stringify(s)}`);
  if (slash >= 0) {
    const len = s.slice(slash + 1);
    const max = family === 4 ? 32 : 128;
    if (!/^[0-9]{1,3}$/.test(len) || Number(len) > max) throw new NameError(field, `bad prefix length in ${JSON.stringify(s)} (0-${max})`);
  }
  return s;
}

/** Routing table ids 1-252 and 256-2^31-1 (253-255 are default, main and local: never ours to fill). */
export function tableId(field: string, v: unknown): number {
  const n = integer(field, v, 1, 2 ** 31 - 1);
  if (n >= 253 && n <= 255) throw new NameError(field, `table ${n} is reserved (default/main/local)`);
  return n;
}

/** `ip rule` priorities strictly between the local (0) and main (32766) rules. */
export function rulePriority(field: string, v: unknown): number {
  return integer(field, v, 1, 32765);
}

export function fwmark(field: string, v: unknown): number {
  return integer(field, v, 1, 2 ** 32 - 1);
}

export function classId(field: string, v: unknown): string {
  const s = str(field, v).toLowerCase();
  if (!CLASSID_RE.test(s)) throw new NameError(field, `not an htb class id MAJOR:MINOR in hex: ${JSON.stringify(s)}`);
  return s;
}

/** A rate in bit/s as a number (>= 8 bit/s), returned as tc text "<n>bit". */
export function rateBits(field: string, v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 8 || v > 1e13) throw new NameError(field, `must be a rate in bit/s between 8 and 1e13, got ${JSON.stringify(v)}`);
  return `${Math.round(v)}bit`;
}

/** A rate as tc prints it ("10Mbit", "1.5Gbit"), accepted back verbatim to restore a previous rate. */
export function rateText(field: string, v: unknown): string {
  const s = str(field, v);
  if (!RATE_TEXT_RE.test(s)) throw new NameError(field, `not a tc rate: ${JSON.stringify(s)}`);
  return s;
}

export function integer(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new NameError(field, `must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

/** Every token of a command line (argv element or batch-line word) must pass this. */
export function commandToken(field: string, v: unknown): string {
  const s = str(field, v);
  if (!TOKEN_RE.test(s)) throw new NameError(field, `unsafe command token ${JSON.stringify(s)}`);
  return s;
}
