// Validation of the Linux names that reach `ip`/`tc` command lines or `ip netns exec`: network namespaces and
// interface (device) names. A bad one is a NameError naming the field.

export class NameError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

const NETNS_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no '/', no whitespace, not "." or "..". */
const DEV_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

export function isNetnsName(s: string): boolean {
  return NETNS_RE.test(s);
}

export function netnsName(field: string, v: unknown): string {
  const s = str(field, v);
  if (!isNetnsName(s)) throw new NameError(field, `not a valid network namespace name: ${JSON.stringify(s)} (letters, digits, '_', '.', '-'; at most 63)`);
  return s;
}

export function devName(field: string, v: unknown): string {
  const s = str(field, v);
  if (!DEV_RE.test(s)) throw new NameError(field, `not a valid interface name: ${JSON.stringify(s)} (letters, digits, '_', '.', '-'; at most 15)`);
  return s;
}

export function str(field: string, v: unknown): string {
  if (typeof v !== 'string') throw new NameError(field, `must be a string, got ${JSON.stringify(v)}`);
  return v;
}
