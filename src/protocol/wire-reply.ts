// The binary body of a reply packet (driver -> waiting app, the hint path's hot packet): a fixed layout written
// and read without JSON either side. All numbers little-endian; str = u16 byte length + UTF-8 bytes.
//
//   requestId u32, status u8, flags u8 (1 reply, 2 message, 4 standing), [message str],
//   hintsOnlyInReply: count u16, index u16 each,
//   [reply] tag: time f64, value f64, kind u8 (0 tag, 1 event), locale str, name str;
//           rules: count u16, each: id str, action str, target str, expiresAt f64, status u8 (0 applied,
//                  1 refused, 2 dry-run), hasReason u8, [reason str], params;
//           hints: count u16, each: locale str, tag str, action str, expiresAt f64, params.
//   params: count u16, each: key str, type u8 (0 number f64, 1 string str, 2 false, 3 true, 4 other: JSON str).

import { knownAscii, rememberAscii } from './ascii-cache.ts';
import type { ReplyBody, WireActionReply, WireHint, WireRuleDecision } from './wire.ts';

const FLAG_REPLY = 1;
const FLAG_MESSAGE = 2;
const FLAG_STANDING = 4;
const RULE_STATUSES: readonly WireRuleDecision['status'][] = ['applied', 'refused', 'dry-run'];
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

const NO_BYTES = Buffer.alloc(0);
const NO_VIEW = new DataView(NO_BYTES.buffer, 0, 0);

// Writing: one synchronous pass into the caller's buffer, bounded by `end`.
let out: Buffer = NO_BYTES;
let o = 0;
let start = 0;
let end = 0;

/** Writes `body` into `buffer` from `at`; returns where it ends. Throws RangeError when it would pass `limit`. */
export function writeReplyBody(buffer: Buffer, at: number, limit: number, body: ReplyBody): number {
  out = buffer;
  o = start = at;
  end = limit;
  const r = body.reply;
  room(6);
  out.writeUInt32LE(body.requestId >>> 0, o);
  out[o + 4] = body.status;
  out[o + 5] = (r ? FLAG_REPLY : 0) | (body.message !== undefined ? FLAG_MESSAGE : 0) | (r?.standing === true ? FLAG_STANDING : 0);
  o += 6;
  if (body.message !== undefined) str(body.message);
  const only = body.hintsOnlyInReply;
  const n = only ? only.length : 0;
  room(2 + 2 * n);
  out.writeUInt16LE(n, o);
  o += 2;
  for (let i = 0; i < n; i++, o += 2) out.writeUInt16LE(only![i]!, o);
  if (r) writeActionReply(r);
  out = NO_BYTES;
  return o;
}

function writeActionReply(r: WireActionReply): void {
  const t = r.tag;
  room(17);
  out.writeDoubleLE(t.time, o);
  out.writeDoubleLE(t.value, o + 8);
  out[o + 16] = t.kind === 'event' ? 1 : 0;
  o += 17;
  str(t.locale);
  str(t.name);
  room(2);
  out.writeUInt16LE(r.rules.length, o);
  o += 2;
  for (const d of r.rules) {
    str(d.id);
    str(d.action);
    str(d.target);
    room(10);
    out.writeDoubleLE(d.expiresAt, o);
    const status = RULE_STATUSES.indexOf(d.status);
    if (status < 0) throw new RangeError(`rule ${d.id}: status ${JSON.stringify(d.status)} is none of ${RULE_STATUSES.join(', ')}`);
    out[o + 8] = status;
    out[o + 9] = d.reason !== undefined ? 1 : 0;
    o += 10;
    if (d.reason !== undefined) str(d.reason);
    params(d.params);
  }
  room(2);
  out.writeUInt16LE(r.hints.length, o);
  o += 2;
  for (const h of r.hints) {
    str(h.locale);
    str(h.tag);
    str(h.action);
    room(8);
    out.writeDoubleLE(h.expiresAt, o);
    o += 8;
    params(h.params);
  }
}

function params(p: Record<string, unknown>): void {
  room(2);
  const at = o;
  o += 2;
  let n = 0;
  for (const k in p) {
    const v = p[k];
    if (v === undefined || typeof v === 'function') continue;
    n++;
    str(k);
    room(1);
    if (typeof v === 'number') {
      room(9);
      out[o] = 0;
      out.writeDoubleLE(v, o + 1);
      o += 9;
    } else if (typeof v === 'string') {
      out[o++] = 1;
      str(v);
    } else if (typeof v === 'boolean') out[o++] = v ? 3 : 2;
    else {
      out[o++] = 4;
      str(JSON.stringify(v) ?? 'null');
    }
  }
  out.writeUInt16LE(n, at);
}

/** A string: ASCII copied byte by byte, anything else encoded by Buffer. */
function str(s: string): void {
  const len = s.length;
  room(2 + len);
  let i = 0;
  for (; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    out[o + 2 + i] = c;
  }
  let bytes = len;
  if (i < len) {
    bytes = Buffer.byteLength(s, 'utf8');
    room(2 + bytes);
    out.write(s, o + 2, bytes, 'utf8');
  }
  out.writeUInt16LE(bytes, o);
  o += 2 + bytes;
}

function room(bytes: number): void {
  if (o + bytes > end) {
    out = NO_BYTES;
    throw new RangeError(`reply body does not fit its packet (more than ${end - start} bytes)`);
  }
}

// Reading: validates every field; `fail` names the field (with list indexes) and its byte offset.
type Fail = (field: string, offset: number, reason: string) => never;
let buf: Uint8Array = NO_BYTES;
let view: DataView = NO_VIEW;
let fail: Fail = () => {
  throw new Error('unreachable');
};
/** The list being read ("reply.rules" or "reply.hints") and the item's index, for error field names. */
let list = '';
let item = -1;

/** Reads the reply body that fills `packet` (seen through `packetView`) from `at`. */
export function readReplyBody(packet: Uint8Array, packetView: DataView, at: number, onFail: Fail): ReplyBody {
  buf = packet;
  view = packetView;
  fail = onFail;
  o = at;
  list = '';
  item = -1;
  try {
    need(6, 'requestId');
    const requestId = view.getUint32(o, true);
    if (requestId === 0) fail('requestId', o, 'not a positive integer: 0');
    const status = buf[o + 4]!;
    if (status > 2) fail('status', o + 4, `unknown reply status ${status}`);
    const flags = buf[o + 5]!;
    if ((flags & ~(FLAG_REPLY | FLAG_MESSAGE | FLAG_STANDING)) !== 0) fail('flags', o + 5, `unknown flags 0x${flags.toString(16)}`);
    o += 6;
    const body: ReplyBody = { requestId, status: status as ReplyBody['status'] };
    if (flags & FLAG_MESSAGE) body.message = readStr('message');
    need(2, 'hintsOnlyInReply');
    const n = view.getUint16(o, true);
    const onlyAt = o;
    o += 2;
    need(2 * n, 'hintsOnlyInReply');
    let only: number[] | undefined;
    if (n > 0) {
      only = new Array<number>(n);
      for (let i = 0; i < n; i++, o += 2) only[i] = view.getUint16(o, true);
    }
    if (flags & FLAG_REPLY) body.reply = readActionReply((flags & FLAG_STANDING) !== 0);
    else if (flags & FLAG_STANDING) fail('flags', at + 5, 'standing without a reply');
    if (only) {
      const hints = body.reply ? body.reply.hints.length : 0;
      for (const i of only) if (i >= hints) fail('hintsOnlyInReply', onlyAt, `index ${i} outside the ${hints} hints of the reply`);
      body.hintsOnlyInReply = only;
    }
    if (o !== buf.length) fail('length', o, `${buf.length - o} bytes after the reply`);
    return body;
  } finally {
    buf = NO_BYTES;
    view = NO_VIEW;
  }
}

function readActionReply(standing: boolean): WireActionReply {
  need(17, 'reply.tag');
  const time = view.getFloat64(o, true);
  const value = view.getFloat64(o + 8, true);
  const kind = buf[o + 16]!;
  if (kind > 1) fail('reply.tag.kind', o + 16, `unknown kind ${kind}`);
  o += 17;
  const locale = readStr('reply.tag.locale');
  const name = readStr('reply.tag.name');
  const tag = { time, locale, kind: kind === 1 ? ('event' as const) : ('tag' as const), name, value };
  need(2, 'reply.rules');
  const nRules = view.getUint16(o, true);
  o += 2;
  const rules: WireRuleDecision[] = new Array(nRules);
  list = 'reply.rules';
  for (item = 0; item < nRules; item++) {
    const id = readStr('id');
    const action = readStr('action');
    const target = readStr('target');
    need(10, 'expiresAt');
    const expiresAt = view.getFloat64(o, true);
    const status = RULE_STATUSES[buf[o + 8]!];
    if (status === undefined) fail(field('status'), o + 8, `unknown rule status ${buf[o + 8]}`);
    const hasReason = buf[o + 9]!;
    if (hasReason > 1) fail(field('hasReason'), o + 9, `not 0 or 1: ${hasReason}`);
    o += 10;
    const reason = hasReason ? readStr('reason') : undefined;
    const d: WireRuleDecision = { id, action, target, params: readParams(), expiresAt, status: status! };
    if (reason !== undefined) d.reason = reason;
    rules[item] = d;
  }
  need(2, 'reply.hints');
  const nHints = view.getUint16(o, true);
  o += 2;
  const hints: WireHint[] = new Array(nHints);
  list = 'reply.hints';
  for (item = 0; item < nHints; item++) {
    const hl = readStr('locale');
    const ht = readStr('tag');
    const action = readStr('action');
    need(8, 'expiresAt');
    const expiresAt = view.getFloat64(o, true);
    o += 8;
    hints[item] = { locale: hl, tag: ht, action, params: readParams(), expiresAt };
  }
  list = '';
  item = -1;
  return standing ? { tag, rules, hints, standing: true } : { tag, rules, hints };
}

function readParams(): Record<string, unknown> {
  need(2, 'params');
  const n = view.getUint16(o, true);
  o += 2;
  const p: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const k = readStr('params');
    need(1, 'params.', k);
    const type = buf[o++]!;
    if (type === 0) {
      need(8, 'params.', k);
      p[k] = view.getFloat64(o, true);
      o += 8;
    } else if (type === 1) p[k] = readStr('params.', k);
    else if (type === 2 || type === 3) p[k] = type === 3;
    else if (type === 4) {
      const at = o;
      const json = readStr('params.', k);
      try {
        p[k] = JSON.parse(json);
      } catch (err) {
        fail(field('params.', k), at, `not JSON: ${(err as Error).message}`);
      }
    } else fail(field('params.', k), o - 1, `unknown value type ${type}`);
  }
  return p;
}

/** A string: one read before from `knownAscii`, else ASCII read byte by byte, anything else through the strict UTF-8 decoder. */
function readStr(name: string, key = ''): string {
  need(2, name, key);
  const len = view.getUint16(o, true);
  o += 2;
  need(len, name, key);
  const stop = o + len;
  const k = knownAscii(buf, o, len);
  if (k !== null) {
    o = stop;
    return k;
  }
  let s = '';
  let i = o;
  let printable = true;
  for (; i < stop; i++) {
    const c = buf[i]!;
    if (c >= 0x80) break;
    if (c < 0x20 || c === 0x7f) printable = false;
    s += String.fromCharCode(c);
  }
  if (i < stop) {
    try {
      s = utf8Strict.decode(buf.subarray(o, stop));
    } catch {
      fail(field(name, key), o, 'invalid UTF-8');
    }
  } else if (printable) rememberAscii(buf, o, len, s);
  o = stop;
  return s;
}

function need(bytes: number, name: string, key = ''): void {
  if (o + bytes > buf.length) fail(field(name, key), o, `needs ${bytes} bytes, packet ends at ${buf.length}`);
}

/** The field's name for an error: `name` + `key` (a params key), inside the list item being read. */
function field(name: string, key = ''): string {
  return item >= 0 ? `${list}[${item}].${name}${key}` : name + key;
}
