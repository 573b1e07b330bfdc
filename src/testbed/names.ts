// Validation of everything the testbed hands to ip/tc (namespace, interface and host names, IPv4
// addresses and prefixes) and the unique per-run name prefix that marks what this run created.

import { randomBytes } from 'node:crypto';

/** Longest Linux interface name (IFNAMSIZ - 1). */
export const MAX_IFNAME = 15;

const NAME_RE = /^[a-z0-9][a-z0-9-]*$/;

/** A fresh run prefix such as `st3f9a-`: 'st' + 4 hex digits; short so interface names stay under 15 chars. */
export function newRunPrefix(): string {
  return `st${randomBytes(2).toString('hex')}-`;
}

export function isRunPrefix(s: string): boolean {
  return /^st[0-9a-f]{4}-$/.test(s);
}

export function checkName(kind: string, s: string, maxLength = 40): string {
  if (typeof s !== 'string' || !NAME_RE.test(s) || s.length > maxLength) {
    throw new Error(`invalid ${kind} name ${JSON.stringify(s)}: use [a-z0-9-], start with a letter or digit, at most ${maxLength} characters`);
  }
  return s;
}

export function checkIfName(s: string): string {
  return checkName('interface', s, MAX_IFNAME);
}

/** Parses a dotted-quad IPv4 address; throws naming the field on anything else. */
export function parseIPv4(s: string, field = 'address'): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) throw new Error(`${field}: not an IPv4 address: ${JSON.stringify(s)}`);
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw new Error(`${field}: octet above 255 in ${s}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** True for addresses in the private 10/8 range the testbed allocates from. */
export function isTestbedAddress(s: string): boolean {
  return (parseIPv4(s) >>> 24) === 10;
}

/** Validates `a.b.c.d/len` inside 10/8 and returns it unchanged. */
export function checkCidr(s: string, field = 'prefix'): string {
  const [addr, len, ...rest] = s.split('/');
  if (addr === undefined || len === undefined || rest.length || !/^\d{1,2}$/.test(len) || Number(len) > 32) {
    throw new Error(`${field}: not a CIDR prefix: ${JSON.stringify(s)}`);
  }
  if (!isTestbedAddress(addr)) throw new Error(`${field}: ${s} is outside 10.0.0.0/8, the only range the testbed uses`);
  return s;
}

export function checkAddress(s: string, field = 'address'): string {
  if (!isTestbedAddress(s)) throw new Error(`${field}: ${s} is outside 10.0.0.0/8, the only range the testbed uses`);
  return s;
}
