// Streaming record writers: 5-field CSV with header, 4-field CSV of one kind, or JSON Lines, optionally
// gzip; records are formatted into large byte buffers and handed to the stream with backpressure.

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { identifierProblem, type Kind, type SmartRecord } from './record.ts';
import { quoteCsvField } from './csv-fields.ts';
import { timeUnitExponent, type TimeUnit } from './time-unit.ts';

/** 'csv': `time,locale,kind,name,value` with header; 'csv4': `time,locale,name,value` of one kind; 'jsonl'. */
export type RecordFormat = 'csv' | 'csv4' | 'jsonl';

export const RECORD_FORMATS: readonly RecordFormat[] = ['csv', 'csv4', 'jsonl'];

export interface WriterOptions {
  format?: RecordFormat;
  /** Kind of every record of a 'csv4' file (required for 'csv4'). */
  kind?: Kind;
  /** Write the header line (CSV formats; default true). */
  header?: boolean;
  /** Unit of the written time field (default 'us'); s and ms are written as exact decimals. */
  timeUnit?: TimeUnit;
  /** Compress: true for level 6, or a zlib level 1-9. */
  gzip?: boolean | number;
}

const BUFFER_BYTES = 1 << 20;
/** Room for one record apart from its locale and name: time, value, kind, punctuation. */
const RECORD_OVERHEAD = 160;
const STRING_CACHE_LIMIT = 100_000;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6];
/** "00".."99" as bytes, two per number: the digits of a pair at once. */
const DIGIT_PAIRS = Buffer.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''), 'latin1');
const JSON_TIME = Buffer.from('{"time":');
const JSON_LOCALE = Buffer.from(',"locale":');
const JSON_KIND = Buffer.from(',"kind":');
const JSON_NAME = Buffer.from(',"name":');
const JSON_VALUE = Buffer.from(',"value":');

export class RecordWriter {
  private buf = Buffer.allocUnsafe(BUFFER_BYTES);
  private pos = 0;
  private count = 0;
  private needDrain = false;
  private readonly strings = new Map<string, Buffer>();
  private readonly format: RecordFormat;
  private readonly unitExponent: number;
  private readonly kindBytes: Record<Kind, Buffer>;
  private readonly sink: Writable;
  private readonly done: Promise<void>;
  private closed = false;
  private error: Error | null = null;

  /** Writes to `out` (a gzip stream is put in front of it when `gzip` is set). */
  constructor(
    private readonly out: Writable,
    private readonly opts: WriterOptions = {},
  ) {
    this.format = opts.format ?? 'csv';
    if (!RECORD_FORMATS.includes(this.format)) throw new Error(`unknown record format ${JSON.stringify(this.format)}`);
    if (this.format === 'csv4' && !opts.kind) throw new Error('the csv4 format needs the kind of its records');
    this.unitExponent = timeUnitExponent(opts.timeUnit ?? 'us');
    this.kindBytes = this.format === 'jsonl' ? { tag: Buffer.from('"tag"'), event: Buffer.from('"event"') } : { tag: Buffer.from('tag'), event: Buffer.from('event') };
    // the first error of the gzip stage or the destination ends the writer: waiters wake, close() rejects
    const fail = (err: Error) => {
      this.error ??= err;
      this.sink.emit('drain');
      out.destroy();
      if (this.sink !== out) this.sink.destroy();
    };
    if (opts.gzip) {
      const gz = createGzip({ level: opts.gzip === true ? 6 : opts.gzip });
      gz.on('error', fail);
      gz.pipe(out);
      this.sink = gz;
    } else this.sink = out;
    out.on('error', fail);
    this.done = new Promise<void>((resolve, reject) => {
      out.once('finish', resolve);
      out.once('close', () => (this.error ? reject(this.error) : resolve()));
    });
    this.done.catch(() => {});
    if (opts.header ?? true) {
      if (this.format === 'csv') this.ascii('time,locale,kind,name,value\n');
      else if (this.format === 'csv4') this.ascii('time,locale,name,value\n');
    }
  }

  /** A writer to a new file at `path`. */
  static toFile(path: string, opts: WriterOptions = {}): RecordWriter {
    return new RecordWriter(createWriteStream(path), opts);
  }

  /** Records written so far. */
  get written(): number {
    return this.count;
  }

  /** Buffers one record; false when the stream is full and the caller should `await ready()`. */
  write(r: SmartRecord): boolean {
    if (this.closed) throw new Error('write after close');
    if (this.error) throw this.error;
    if (!Number.isSafeInteger(r.time) || r.time < 0) throw new Error(`record ${this.count}: field "time": not a non-negative integer of microseconds: ${r.time}`);
    if (!Number.isFinite(r.value)) throw new Error(`record ${this.count}: field "value": not a finite number: ${r.value}`);
    if (r.kind !== 'tag' && r.kind !== 'event') throw new Error(`record ${this.count}: field "kind": must be "tag" or "event", got ${JSON.stringify(r.kind)}`);
    if (this.format === 'csv4' && r.kind !== this.opts.kind) throw new Error(`record ${this.count}: field "kind": "${r.kind}" in a ${this.opts.kind} file`);
    const locale = this.encoded(r.locale, 'locale');
    const name = this.encoded(r.name, 'name');
    if (this.pos + RECORD_OVERHEAD + locale.length + name.length > this.buf.length) this.flush();
    if (this.format === 'jsonl') {
      this.bytes(JSON_TIME);
      this.time(r.time);
      this.bytes(JSON_LOCALE);
      this.bytes(locale);
      this.bytes(JSON_KIND);
      this.bytes(this.kindBytes[r.kind]);
      this.bytes(JSON_NAME);
      this.bytes(name);
      this.bytes(JSON_VALUE);
      this.number(r.value);
      this.buf[this.pos++] = 0x7d;
    } else {
      this.time(r.time);
      this.buf[this.pos++] = 0x2c;
      this.bytes(locale);
      this.buf[this.pos++] = 0x2c;
      if (this.format === 'csv') {
        this.bytes(this.kindBytes[r.kind]);
        this.buf[this.pos++] = 0x2c;
      }
      this.bytes(name);
      this.buf[this.pos++] = 0x2c;
      this.number(r.value);
    }
    this.buf[this.pos++] = 0x0a;
    this.count++;
    return !this.needDrain;
  }

  /** Resolves when the stream can take more. */
  async ready(): Promise<void> {
    if (this.needDrain && !this.error) await once(this.sink, 'drain');
    this.needDrain = false;
    if (this.error) throw this.error;
  }

  /** Flushes, ends the stream and waits until everything is written. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      if (!this.error) {
        this.flush();
        this.sink.end();
      } else this.out.destroy();
    }
    await this.done;
    if (this.error) throw this.error;
  }

  private flush(): void {
    if (this.pos === 0) return;
    const chunk = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(BUFFER_BYTES);
    this.pos = 0;
    if (!this.sink.write(chunk)) this.needDrain = true;
  }

  /** The bytes of a locale or name as written (CSV-quoted or JSON string), cached. */
  private encoded(s: string, field: string): Buffer {
    let b = this.strings.get(s);
    if (b === undefined) {
      const problem = identifierProblem(s);
      if (problem) throw new Error(`record ${this.count}: field "${field}": ${problem}`);
      if (this.strings.size >= STRING_CACHE_LIMIT) this.strings.clear();
      b = Buffer.from(this.format === 'jsonl' ? JSON.stringify(s) : quoteCsvField(s), 'utf8');
      this.strings.set(s, b);
    }
    return b;
  }

  private bytes(b: Buffer): void {
    const buf = this.buf;
    let p = this.pos;
    if (b.length > 24) {
      b.copy(buf, p);
      this.pos = p + b.length;
      return;
    }
    for (let i = 0; i < b.length; i++) buf[p++] = b[i]!;
    this.pos = p;
  }

  private ascii(s: string): void {
    if (this.pos + s.length > this.buf.length) this.flush();
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Time in the writer's unit: microseconds scaled exactly (decimal point for s and ms, trailing zeros cut). */
  private time(us: number): void {
    const e = this.unitExponent;
    if (e === 0) return this.integer(us);
    if (e < 0) {
      this.integer(us);
      for (let i = 0; i < -e; i++) this.buf[this.pos++] = 0x30;
      return;
    }
    const scale = POW10[e]!;
    const whole = Math.floor(us / scale);
    let frac = us - whole * scale;
    if (frac === 0) return this.integer(whole);
    let decimals = e;
    while (frac % 10 === 0) {
      frac /= 10;
      decimals--;
    }
    this.fixed(whole * POW10[decimals]! + frac, decimals);
  }

  /** A finite number as the shortest decimal that reads back to it (fixed point up to 6 decimals without strings). */
  private number(v: number): void {
    if (v < 0) {
      this.buf[this.pos++] = 0x2d;
      v = -v;
    }
    if (Number.isSafeInteger(v)) return this.integer(v);
    if (v < 9e9) {
      for (let k = 1; k <= 6; k++) {
        const scale = POW10[k]!;
        const scaled = Math.round(v * scale);
        if (scaled / scale === v) return this.fixed(scaled, k);
      }
    }
    this.ascii(String(v));
  }

  /** `scaled / 10^decimals` in fixed point: integer digits, a point, exactly `decimals` digits. */
  private fixed(scaled: number, decimals: number): void {
    const scale = POW10[decimals]!;
    const whole = Math.floor(scaled / scale);
    let frac = scaled - whole * scale;
    this.integer(whole);
    this.buf[this.pos++] = 0x2e;
    this.digits(frac, decimals);
  }

  /** A non-negative safe integer in decimal, written in base-1e8 parts so digits come from int32 arithmetic. */
  private integer(n: number): void {
    if (n < 1e8) return this.digits(n, 0);
    const hi = Math.floor(n / 1e8);
    this.integer(hi);
    this.digits(n - hi * 1e8, 8);
  }

  /** An integer below 1e8, left-padded with zeros to `width` digits. */
  private digits(n: number, width: number): void {
    let count = n < 10 ? 1 : n < 100 ? 2 : n < 1e3 ? 3 : n < 1e4 ? 4 : n < 1e5 ? 5 : n < 1e6 ? 6 : n < 1e7 ? 7 : 8;
    if (count < width) count = width;
    const buf = this.buf;
    const start = this.pos;
    let p = start + count;
    this.pos = p;
    let x = n | 0; // int32 arithmetic: division by a constant becomes a multiply
    while (p - start >= 2) {
      const q = (x / 100) | 0;
      const pair = (x - q * 100) * 2;
      buf[--p] = DIGIT_PAIRS[pair + 1]!;
      buf[--p] = DIGIT_PAIRS[pair]!;
      x = q;
    }
    if (p > start) buf[--p] = 48 + x;
  }
}

/** Writes all `records` to `path` (awaiting backpressure) and returns how many were written. */
export async function writeRecordFile(path: string, records: Iterable<SmartRecord> | AsyncIterable<SmartRecord>, opts: WriterOptions = {}): Promise<number> {
  const w = RecordWriter.toFile(path, opts);
  try {
    for await (const r of records) if (!w.write(r)) await w.ready();
  } finally {
    await w.close();
  }
  return w.written;
}
