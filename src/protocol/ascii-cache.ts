// The packet decoders' cache of short ASCII strings (names, locales, hint actions and parameter keys repeat from
// packet to packet): a string read before is found by a hash of its bytes and compared byte by byte, which is
// cheaper than building it again one character at a time. Only printable ASCII (0x20-0x7e) of at most 64 characters
// is kept, so equal bytes are that string, and a string found here is also a valid identifier (record.ts).

const SLOTS = 256;
const MAX_LENGTH = 64;
const known: string[] = new Array<string>(SLOTS).fill('');

function slotOf(buf: Uint8Array, at: number, len: number): number {
  return len > 0 && len <= MAX_LENGTH ? (len * 31 + buf[at]! * 7 + buf[at + len - 1]!) & (SLOTS - 1) : -1;
}

/** The string whose bytes are buf[at, at + len), when it was remembered; else null. */
export function knownAscii(buf: Uint8Array, at: number, len: number): string | null {
  const slot = slotOf(buf, at, len);
  if (slot < 0) return null;
  const k = known[slot]!;
  if (k.length !== len) return null;
  for (let j = 0; j < len; j++) if (k.charCodeAt(j) !== buf[at + j]) return null;
  return k;
}

/** Remembers `s`, which the caller read as the printable ASCII bytes buf[at, at + len) (0x20-0x7e only). */
export function rememberAscii(buf: Uint8Array, at: number, len: number, s: string): void {
  const slot = slotOf(buf, at, len);
  if (slot >= 0) known[slot] = s;
}
