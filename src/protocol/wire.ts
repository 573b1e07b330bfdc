// The binary wire format between applications (SDK) and their local driver: versioned packets with
// bounded sizes, a per-packet name table and fixed 24-byte records, binary replies (wire-reply.ts), and
// JSON-bodied hints and act-above tables.
// The decoder validates every field and reports the field, byte offset and packet number on error.

import { MAX_IDENTIFIER_LENGTH, identifierProblem, type Kind, type SmartRecord } from './record.ts';
import { knownAscii, rememberAscii } from './ascii-cache.ts';
import { readReplyBody, writeReplyBody } from './wire-reply.ts';

export const WIRE_MAGIC = 0x5354; // "ST" little-endian
/** 2: reply bodies are binary (wire-reply.ts); they were JSON in version 1. */
export const WIRE_VERSION = 2;

export const PacketType = { batch: 1, reply: 2, hint: 3, thresholds: 4 } as const;
export type PacketTypeCode = (typeof PacketType)[keyof typeof PacketType];

/** Largest packet (and stream frame body); below the UDP datagram limit. */
export const MAX_PACKET_BYTES = 65_000;
/** Bytes of one record: time f64, value f64, name index u16, flags u8, reserved u8, request id u32. */
export const RECORD_BYTES = 24;
export const HEADER_BYTES = 8; // magic u16, version u8, type u8, packet sequence u32
export const MAX_NAMES_PER_PACKET = 1024;
/** Longest UTF-8 encoding of an identifier (each UTF-16 unit encodes to at most 3 bytes). */
export const MAX_IDENTIFIER_BYTES = MAX_IDENTIFIER_LENGTH * 3;
/** Stream frames carry a u32 little-endian body length before each packet. */
export const FRAME_PREFIX_BYTES = 4;

const FLAG_EVENT = 1;
const KNOWN_FLAGS = FLAG_EVENT;

/** Reply statuses carried by a reply packet. */
export const ReplyStatus = { decided: 0, noSignature: 1, failed: 2 } as const;
export type ReplyStatusCode = (typeof ReplyStatus)[keyof typeof ReplyStatus];

// Wire-level shapes of what the driver sends back to apps; structurally identical to ActionReply, RuleDecision
// and Hint of src/bus/messages.ts (the driver asserts the equivalence at compile time) so the SDK needs
// nothing outside src/protocol/.
export interface WireRuleDecision {
  id: string;
  action: string;
  target: string;
  params: Record<string, unknown>;
  expiresAt: number;
  status: 'applied' | 'refused' | 'dry-run';
  reason?: string;
}
export interface WireHint {
  locale: string;
  tag: string;
  action: string;
  params: Record<string, unknown>;
  expiresAt: number;
}
export interface WireActionReply {
  tag: SmartRecord;
  rules: WireRuleDecision[];
  hints: WireHint[];
  /** The same decision holds for this tag name at every value to act on until the next act-above table. */
  standing?: boolean;
}

/**
 * The driver's act-above table for one app's locale: per tag name with signatures, the Tag value below which no
 * signature triggers an action (the app answers `tagAndWait` itself), or null when the app must always ask.
 * Tag names absent from the table are asked about. Each packet replaces the previous table.
 */
export interface ThresholdsBody {
  locale: string;
  /** The driver's signature generation the table was computed from. */
  generation: number;
  thresholds: { name: string; actAbove: number | null }[];
}

/** A reply to a record that carried a request id (an app waiting in `tagAndWait`). */
export interface ReplyBody {
  requestId: number;
  status: ReplyStatusCode;
  /** Present when status is `decided`. */
  reply?: WireActionReply;
  /** Why, when status is `failed`. */
  message?: string;
  /**
   * Indexes into reply.hints of the hints for this app that the driver sent in this reply only, not also as hint
   * packets (hints the controller published while deciding on the app's own Tag): the SDK hands them to onHint.
   */
  hintsOnlyInReply?: number[];
}

export class WireError extends Error {
  constructor(
    readonly field: string,
    readonly offset: number,
    readonly packet: number,
    readonly reason: string,
  ) {
    super(`packet ${packet}: field ${field} at byte ${offset}: ${reason}`);
  }
}

/** A decoded batch packet: the records it carries plus the request ids of records whose app waits. */
export interface DecodedBatch {
  seq: number;
  /** The sender's locale; "" when the app left it to the driver to stamp. */
  locale: string;
  names: string[];
  records: SmartRecord[];
  /** requestIds[i] is the request id of records[i], 0 when the app does not wait. */
  requestIds: Uint32Array;
}

export type DecodedPacket =
  | { type: typeof PacketType.batch; batch: DecodedBatch }
  | { type: typeof PacketType.reply; seq: number; reply: ReplyBody }
  | { type: typeof PacketType.hint; seq: number; hint: WireHint }
  | { type: typeof PacketType.thresholds; seq: number; thresholds: ThresholdsBody };

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Bytes of a batch packet with these name byte lengths and record count. */
export function batchPacketBytes(localeBytes: number, nameBytes: number[], records: number): number {
  let n = HEADER_BYTES + 2 + localeBytes + 2;
  for (const b of nameBytes) n += 2 + b;
  return n + 2 + records * RECORD_BYTES;
}

/**
 * Writes a batch packet into `out` at `at` (for the SDK's hot flush path: no allocation besides the encoded
 * names it already holds). Returns the number of bytes written. `names` are pre-encoded UTF-8.
 */
export function writeBatchPacket(
  out: Uint8Array,
  at: number,
  seq: number,
  locale: Uint8Array,
  names: readonly Uint8Array[],
  nameCount: number,
  recordCount: number,
  fill: (view: DataView, recordOffset: number, index: number) => void,
): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let o = at;
  view.setUint16(o, WIRE_MAGIC, true);
  view.setUint8(o + 2, WIRE_VERSION);
  view.setUint8(o + 3, PacketType.batch);
  view.setUint32(o + 4, seq >>> 0, true);
  o += HEADER_BYTES;
  view.setUint16(o, locale.length, true);
  out.set(locale, o + 2);
  o += 2 + locale.length;
  view.setUint16(o, nameCount, true);
  o += 2;
  for (let i = 0; i < nameCount; i++) {
    const n = names[i]!;
    view.setUint16(o, n.length, true);
    out.set(n, o + 2);
    o += 2 + n.length;
  }
  view.setUint16(o, recordCount, true);
  o += 2;
  for (let i = 0; i < recordCount; i++, o += RECORD_BYTES) fill(view, o, i);
  return o - at;
}

/** Writes one record at `o`: the layout `fill` of writeBatchPacket must follow. */
export function writeRecord(view: DataView, o: number, time: number, value: number, nameIndex: number, kind: Kind, requestId: number): void {
  view.setFloat64(o, time, true);
  view.setFloat64(o + 8, value, true);
  view.setUint16(o + 16, nameIndex, true);
  view.setUint8(o + 18, kind === 'event' ? FLAG_EVENT : 0);
  view.setUint8(o + 19, 0);
  view.setUint32(o + 20, requestId >>> 0, true);
}

/** Encodes a batch of records (all of one locale, or "" to let the driver stamp it) as one packet. */
export function encodeBatch(seq: number, locale: string, records: readonly { time: number; kind: Kind; name: string; value: number; requestId?: number }[]): Uint8Array {
  const index = new Map<string, number>();
  const names: Uint8Array[] = [];
  for (const r of records) {
    if (!index.has(r.name)) {
      index.set(r.name, names.length);
      names.push(utf8.encode(r.name));
    }
  }
  const loc = utf8.encode(locale);
  checkEncodable(loc.length, names, records.length);
  const out = new Uint8Array(batchPacketBytes(loc.length, names.map((n) => n.length), records.length));
  writeBatchPacket(out, 0, seq, loc, names, names.length, records.length, (view, o, i) => {
    const r = records[i]!;
    writeRecord(view, o, r.time, r.value, index.get(r.name)!, r.kind, r.requestId ?? 0);
  });
  return out;
}

function checkEncodable(localeBytes: number, names: Uint8Array[], records: number): void {
  if (localeBytes > MAX_IDENTIFIER_BYTES) throw new RangeError(`locale longer than ${MAX_IDENTIFIER_BYTES} bytes`);
  if (names.length > MAX_NAMES_PER_PACKET) throw new RangeError(`more than ${MAX_NAMES_PER_PACKET} names in one packet`);
  for (const n of names) if (n.length > MAX_IDENTIFIER_BYTES) throw new RangeError(`name longer than ${MAX_IDENTIFIER_BYTES} bytes`);
  const bytes = batchPacketBytes(localeBytes, names.map((n) => n.length), records);
  if (bytes > MAX_PACKET_BYTES) throw new RangeError(`batch of ${records} records is ${bytes} bytes, over ${MAX_PACKET_BYTES}`);
}

/** A JSON-bodied packet written straight into one buffer, after `prefix` bytes of frame length (0 = unframed). */
function jsonPacket(type: PacketTypeCode, seq: number, body: unknown, prefix: number): Buffer {
  const json = JSON.stringify(body);
  const bodyBytes = Buffer.byteLength(json);
  if (HEADER_BYTES + bodyBytes > MAX_PACKET_BYTES) throw new RangeError(`packet body of ${bodyBytes} bytes over ${MAX_PACKET_BYTES}`);
  const out = Buffer.allocUnsafe(prefix + HEADER_BYTES + bodyBytes);
  if (prefix) out.writeUInt32LE(HEADER_BYTES + bodyBytes, 0);
  out.writeUInt16LE(WIRE_MAGIC, prefix);
  out[prefix + 2] = WIRE_VERSION;
  out[prefix + 3] = type;
  out.writeUInt32LE(seq >>> 0, prefix + 4);
  out.write(json, prefix + HEADER_BYTES, bodyBytes, 'utf8');
  return out;
}

/** Room for the largest packet and its frame prefix: replies are written here, then copied out at their size. */
const scratch = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + MAX_PACKET_BYTES);

/** A reply packet (binary body, see wire-reply.ts) after `prefix` bytes of frame length (0 = unframed). */
function replyPacket(seq: number, reply: ReplyBody, prefix: number): Buffer {
  scratch.writeUInt16LE(WIRE_MAGIC, prefix);
  scratch[prefix + 2] = WIRE_VERSION;
  scratch[prefix + 3] = PacketType.reply;
  scratch.writeUInt32LE(seq >>> 0, prefix + 4);
  const end = writeReplyBody(scratch, prefix + HEADER_BYTES, prefix + MAX_PACKET_BYTES, reply);
  if (prefix) scratch.writeUInt32LE(end - prefix, 0);
  const out = Buffer.allocUnsafe(end);
  scratch.copy(out, 0, 0, end);
  return out;
}

export function encodeReply(seq: number, reply: ReplyBody): Uint8Array {
  return replyPacket(seq, reply, 0);
}

export function encodeHint(seq: number, hint: WireHint): Uint8Array {
  return jsonPacket(PacketType.hint, seq, hint, 0);
}

export function encodeThresholds(seq: number, body: ThresholdsBody): Uint8Array {
  return jsonPacket(PacketType.thresholds, seq, body, 0);
}

/** encodeThresholds already framed for a stream socket. */
export function frameThresholds(seq: number, body: ThresholdsBody): Buffer {
  return jsonPacket(PacketType.thresholds, seq, body, FRAME_PREFIX_BYTES);
}

/** encodeReply already framed for a stream socket (one buffer). */
export function frameReply(seq: number, reply: ReplyBody): Buffer {
  return replyPacket(seq, reply, FRAME_PREFIX_BYTES);
}

/** encodeHint already framed for a stream socket. */
export function frameHint(seq: number, hint: WireHint): Buffer {
  return jsonPacket(PacketType.hint, seq, hint, FRAME_PREFIX_BYTES);
}

/** The packet decodePacket is reading (synchronous, so one at a time), for `fail`: no closure made per packet. */
let decodingPacket = 0;
function fail(field: string, offset: number, reason: string): never {
  throw new WireError(field, offset, decodingPacket, reason);
}

/**
 * Decodes and validates one packet. `packetNo` names the packet in errors (the receiver's count).
 * Throws WireError naming the offending field.
 */
export function decodePacket(buf: Uint8Array, packetNo: number): DecodedPacket {
  decodingPacket = packetNo;
  if (buf.length < HEADER_BYTES) fail('header', 0, `packet of ${buf.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  if (buf.length > MAX_PACKET_BYTES) fail('length', 0, `packet of ${buf.length} bytes exceeds ${MAX_PACKET_BYTES}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint16(0, true) !== WIRE_MAGIC) fail('magic', 0, `not a SmartTags packet (0x${view.getUint16(0, true).toString(16)})`);
  const version = view.getUint8(2);
  if (version !== WIRE_VERSION) fail('version', 2, `unsupported version ${version}, expected ${WIRE_VERSION}`);
  const type = view.getUint8(3);
  const seq = view.getUint32(4, true);
  if (type === PacketType.batch) return { type, batch: decodeBatchBody(buf, view, seq, packetNo) };
  if (type === PacketType.reply) return { type, seq, reply: readReplyBody(buf, view, HEADER_BYTES, fail) };
  if (type === PacketType.hint || type === PacketType.thresholds) {
    let body: unknown;
    try {
      body = JSON.parse(utf8Strict.decode(buf.subarray(HEADER_BYTES)));
    } catch (err) {
      fail('body', HEADER_BYTES, `not UTF-8 JSON: ${(err as Error).message}`);
    }
    if (typeof body !== 'object' || body === null) fail('body', HEADER_BYTES, 'not a JSON object');
    if (type === PacketType.thresholds) return { type, seq, thresholds: checkThresholds(body as ThresholdsBody, (f, r) => fail(f, HEADER_BYTES, r)) };
    const h = body as WireHint;
    if (typeof h.action !== 'string' || typeof h.tag !== 'string' || typeof h.locale !== 'string') fail('hint', HEADER_BYTES, 'needs string locale, tag and action');
    return { type, seq, hint: h };
  }
  return fail('type', 3, `unknown packet type ${type}`);
}

function checkThresholds(t: ThresholdsBody, fail: (field: string, reason: string) => never): ThresholdsBody {
  if (typeof t.locale !== 'string') fail('locale', 'not a string');
  if (!Number.isInteger(t.generation)) fail('generation', `not an integer: ${JSON.stringify(t.generation)}`);
  if (!Array.isArray(t.thresholds)) fail('thresholds', 'not an array');
  t.thresholds.forEach((e, i) => {
    if (typeof e !== 'object' || e === null || typeof e.name !== 'string') fail(`thresholds[${i}].name`, 'not a string');
    if (e.actAbove !== null && !Number.isFinite(e.actAbove)) fail(`thresholds[${i}].actAbove`, `not a finite number or null: ${JSON.stringify(e.actAbove)}`);
  });
  return t;
}

function decodeBatchBody(buf: Uint8Array, view: DataView, seq: number, packetNo: number): DecodedBatch {
  // No closures or TextDecoder calls for the usual packet: every string is read by readIdentifier.
  let o = HEADER_BYTES;
  const locale = readIdentifier(buf, view, o, -1, packetNo);
  o += 2 + view.getUint16(o, true);
  need(buf, o, 2, 'nameCount', packetNo);
  const nameCount = view.getUint16(o, true);
  if (nameCount > MAX_NAMES_PER_PACKET) throw new WireError('nameCount', o, packetNo, `${nameCount} names exceeds ${MAX_NAMES_PER_PACKET}`);
  o += 2;
  const names: string[] = new Array(nameCount);
  for (let i = 0; i < nameCount; i++) {
    names[i] = readIdentifier(buf, view, o, i, packetNo);
    o += 2 + view.getUint16(o, true);
  }
  need(buf, o, 2, 'recordCount', packetNo);
  const count = view.getUint16(o, true);
  o += 2;
  if (o + count * RECORD_BYTES !== buf.length) {
    throw new WireError('recordCount', o - 2, packetNo, `${count} records need ${count * RECORD_BYTES} bytes, packet has ${buf.length - o}`);
  }
  const records: SmartRecord[] = new Array(count);
  const requestIds = new Uint32Array(count);
  for (let i = 0; i < count; i++, o += RECORD_BYTES) {
    const time = view.getFloat64(o, true);
    if (!Number.isSafeInteger(time) || time < 0) throw new WireError(`records[${i}].time`, o, packetNo, `not a non-negative integer of microseconds: ${time}`);
    const value = view.getFloat64(o + 8, true);
    if (!Number.isFinite(value)) throw new WireError(`records[${i}].value`, o + 8, packetNo, `not a finite number: ${value}`);
    const nameIndex = view.getUint16(o + 16, true);
    if (nameIndex >= nameCount) throw new WireError(`records[${i}].name`, o + 16, packetNo, `name index ${nameIndex} outside the ${nameCount}-name table`);
    const flags = view.getUint8(o + 18);
    if ((flags & ~KNOWN_FLAGS) !== 0) throw new WireError(`records[${i}].flags`, o + 18, packetNo, `unknown flags 0x${flags.toString(16)}`);
    requestIds[i] = view.getUint32(o + 20, true);
    records[i] = { time, locale, kind: flags & FLAG_EVENT ? 'event' : 'tag', name: names[nameIndex]!, value };
  }
  return { seq, locale, names, records, requestIds };
}

function need(buf: Uint8Array, o: number, bytes: number, field: string, packetNo: number): void {
  if (o + bytes > buf.length) throw new WireError(field, o, packetNo, `needs ${bytes} bytes, packet ends at ${buf.length}`);
}

/**
 * The length-prefixed identifier at `o`, validated: the locale (name = -1, may be empty) or names[name]. Printable
 * ASCII (the usual case) is valid UTF-8 and a valid identifier as it stands, so it is read byte by byte; anything
 * else goes through the strict UTF-8 decoder and identifierProblem.
 */
function readIdentifier(buf: Uint8Array, view: DataView, o: number, name: number, packetNo: number): string {
  if (o + 2 > buf.length) throw new WireError(`${identifierField(name)}.length`, o, packetNo, `needs 2 bytes, packet ends at ${buf.length}`);
  const len = view.getUint16(o, true);
  if (len > MAX_IDENTIFIER_BYTES) throw new WireError(`${identifierField(name)}.length`, o, packetNo, `${len} bytes exceeds ${MAX_IDENTIFIER_BYTES}`);
  o += 2;
  if (o + len > buf.length) throw new WireError(identifierField(name), o, packetNo, `needs ${len} bytes, packet ends at ${buf.length}`);
  const k = knownAscii(buf, o, len);
  if (k !== null) return k;
  let s = '';
  let ascii = len <= MAX_IDENTIFIER_LENGTH;
  for (let i = o, end = o + len; ascii && i < end; i++) {
    const c = buf[i]!;
    if (c < 0x20 || c >= 0x7f) ascii = false;
    else s += String.fromCharCode(c);
  }
  if (ascii) {
    if (len === 0 && name >= 0) throw new WireError(identifierField(name), o, packetNo, 'empty');
    rememberAscii(buf, o, len, s);
    return s;
  }
  try {
    s = utf8Strict.decode(buf.subarray(o, o + len));
  } catch {
    throw new WireError(identifierField(name), o, packetNo, 'invalid UTF-8');
  }
  const problem = identifierProblem(s);
  if (problem) throw new WireError(identifierField(name), o, packetNo, problem);
  return s;
}

function identifierField(name: number): string {
  return name < 0 ? 'locale' : `names[${name}]`;
}

/**
 * Splits a byte stream of length-prefixed frames into packets. Keeps at most one partial frame; a length
 * over MAX_PACKET_BYTES cannot be resynchronised and is reported so the connection can be closed.
 */
const NO_BYTES = Buffer.alloc(0);
const OK = { ok: true } as const;

export class FrameReader {
  private pending: Buffer = NO_BYTES;

  /** Feeds bytes; calls onPacket per complete frame. Returns false (and stops) on an oversized length. */
  push(chunk: Buffer, onPacket: (packet: Buffer) => void): { ok: true } | { ok: false; length: number } {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let o = 0;
    while (buf.length - o >= FRAME_PREFIX_BYTES) {
      const len = buf.readUInt32LE(o);
      if (len > MAX_PACKET_BYTES) {
        this.pending = NO_BYTES;
        return { ok: false, length: len };
      }
      if (buf.length - o - FRAME_PREFIX_BYTES < len) break;
      onPacket(buf.subarray(o + FRAME_PREFIX_BYTES, o + FRAME_PREFIX_BYTES + len));
      o += FRAME_PREFIX_BYTES + len;
    }
    this.pending = o === buf.length ? NO_BYTES : Buffer.from(buf.subarray(o));
    return OK;
  }
}
