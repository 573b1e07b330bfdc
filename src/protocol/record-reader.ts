// Record file readers (paper 3.2): stream CSV / 4-field CSV / JSON Lines files, gzip or plain (detected by
// magic bytes), into a SeriesStore or as SmartRecords; malformed lines are reported, counted and skipped.

import { open, stat } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { Kind, SmartRecord } from './record.ts';
import type { SeriesKey } from './series-store.ts';
import { SeriesStore } from './series-store.ts';
import type { RecordSink } from './record-sink.ts';
import { CsvChunkParser } from './csv-chunk-parser.ts';
import { JsonlChunkParser } from './jsonl-chunk-parser.ts';
import { detectRecordFormat, parseRecordSpec, type RecordFileSpec } from './record-format.ts';
import { ProblemLog, RecordFormatError, type Problem, DEFAULT_KEPT_PROBLEMS } from './problems.ts';
import { timeUnitExponent, type TimeUnit } from './time-unit.ts';

export interface ReadOptions {
  /** Unit of the `time` field in the files (default 'us'); decimals are rounded to whole microseconds. */
  timeUnit?: TimeUnit;
  /** Throw a RecordInputError at the first malformed line instead of skipping it. */
  strict?: boolean;
  /** Store to append to (default: a new one). */
  store?: SeriesStore;
  /** Called after each chunk with the raw (possibly compressed) bytes read so far and the total file size. */
  onProgress?(bytesRead: number, totalBytes: number): void;
  /** Called for every malformed line (after counting it). */
  onProblem?(p: Problem): void;
  /** How many problem messages to keep for a summary (default 20). */
  maxProblems?: number;
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number;
}

export interface ReadResult {
  store: SeriesStore;
  /** Records appended to the store. */
  accepted: number;
  /** Malformed lines skipped. */
  rejected: number;
  /** The first `maxProblems` malformed lines. */
  problems: Problem[];
}

/** Longest line carried from one chunk to the next; a longer one is reported and skipped (bounds memory). */
export const MAX_LINE_BYTES = 1 << 20;
const DEFAULT_CHUNK = 1 << 20;
const NL = 10;

/** Reads record files given as specs (`path`, `tag:path`, `event:path`) into a SeriesStore. */
export async function readRecordFiles(specs: string[], opts: ReadOptions = {}): Promise<ReadResult> {
  const store = opts.store ?? new SeriesStore();
  const problems = new ProblemLog(opts.strict ?? false, opts.maxProblems ?? DEFAULT_KEPT_PROBLEMS, opts.onProblem);
  const parsed = specs.map(parseRecordSpec);
  // sizes of regular files; pipes and standard input count as they are read
  const sizes = await Promise.all(parsed.map(async (s) => (s.path === '-' ? 0 : ((st) => (st.isFile() ? st.size : 0))(await stat(s.path)))));
  let totalBytes = sizes.reduce((a, b) => a + b, 0);
  let done = 0;
  let accepted = 0;
  for (let i = 0; i < parsed.length; i++) {
    const feeder = new LineFeeder(store, problems, parsed[i]!, timeUnitExponent(opts.timeUnit ?? 'us'));
    let fileBytes = 0;
    const progress = (n: number) => {
      totalBytes += Math.max(0, n - Math.max(fileBytes, sizes[i]!));
      fileBytes = Math.max(fileBytes, n);
      opts.onProgress?.(done + n, totalBytes);
    };
    for await (const chunk of fileChunks(parsed[i]!.path, opts.chunkSize ?? DEFAULT_CHUNK, progress)) feeder.push(chunk);
    feeder.end();
    accepted += feeder.accepted;
    done += fileBytes;
  }
  return { store, accepted, rejected: problems.count, problems: problems.kept };
}

/** The records of the files in file order, for small tools; malformed lines go to `onProblem` (or throw if strict). */
export async function* iterateRecordFiles(specs: string[], opts: Omit<ReadOptions, 'store'> = {}): AsyncGenerator<SmartRecord> {
  const problems = new ProblemLog(opts.strict ?? false, opts.maxProblems ?? DEFAULT_KEPT_PROBLEMS, opts.onProblem);
  for (const spec of specs.map(parseRecordSpec)) {
    const sink = new BatchSink();
    const feeder = new LineFeeder(sink, problems, spec, timeUnitExponent(opts.timeUnit ?? 'us'));
    for await (const chunk of fileChunks(spec.path, opts.chunkSize ?? DEFAULT_CHUNK, () => {})) {
      feeder.push(chunk);
      yield* sink.take();
    }
    feeder.end();
    yield* sink.take();
  }
}

export interface BufferReadOptions extends Omit<ReadOptions, 'onProgress' | 'chunkSize'> {
  /** Name used in problem messages (default "<buffer>"). */
  file?: string;
  /** The kind of a 4-field input (as a tag:/event: prefix would give). */
  kind?: Kind;
}

/** Reads records from an in-memory file image (gzip detected by magic bytes). */
export function readRecordsFromBuffer(input: Buffer | string, opts: BufferReadOptions = {}): ReadResult {
  let buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  if (isGzip(buf)) buf = gunzipSync(buf);
  const store = opts.store ?? new SeriesStore();
  const problems = new ProblemLog(opts.strict ?? false, opts.maxProblems ?? DEFAULT_KEPT_PROBLEMS, opts.onProblem);
  const feeder = new LineFeeder(store, problems, { path: opts.file ?? '<buffer>', kind: opts.kind ?? null }, timeUnitExponent(opts.timeUnit ?? 'us'));
  feeder.push(buf);
  feeder.end();
  return { store, accepted: feeder.accepted, rejected: problems.count, problems: problems.kept };
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * Decompressed chunks of a file (or pipe); `onRaw(bytes)` reports raw bytes read so far. Plain input is read
 * into two reused buffers (the next read runs while the consumer parses the current chunk, which it must
 * not keep); gzip input (magic bytes 1f 8b) goes through a streaming gunzip.
 */
async function* fileChunks(path: string, chunkSize: number, onRaw: (bytes: number) => void): AsyncGenerator<Buffer> {
  try {
    yield* rawFileChunks(path, chunkSize, onRaw);
  } catch (err) {
    if (err instanceof RecordFormatError || !(err instanceof Error) || err.message.includes(path)) throw err;
    throw new Error(`${path}: ${err.message}`, { cause: err });
  }
}

async function* rawFileChunks(path: string, chunkSize: number, onRaw: (bytes: number) => void): AsyncGenerator<Buffer> {
  if (path === '-') {
    yield* streamChunks(path, process.stdin, chunkSize, onRaw);
    return;
  }
  const fh = await open(path, 'r');
  try {
    const buffers = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
    let { bytesRead } = await fh.read(buffers[0]!, 0, chunkSize, null);
    let total = bytesRead;
    if (isGzip(buffers[0]!.subarray(0, bytesRead))) {
      const first = Buffer.from(buffers[0]!.subarray(0, bytesRead));
      async function* raw(): AsyncGenerator<Buffer> {
        yield first;
        for (;;) {
          const buf = Buffer.allocUnsafe(chunkSize);
          const { bytesRead } = await fh.read(buf, 0, chunkSize, null);
          if (bytesRead === 0) return;
          total += bytesRead;
          yield buf.subarray(0, bytesRead);
        }
      }
      yield* gunzipChunks(path, raw(), chunkSize, () => onRaw(total));
      return;
    }
    let which = 0;
    while (bytesRead > 0) {
      const current = buffers[which]!.subarray(0, bytesRead);
      which ^= 1;
      const next = fh.read(buffers[which]!, 0, chunkSize, null);
      onRaw(total);
      try {
        yield current;
      } finally {
        ({ bytesRead } = await next);
      }
      total += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/** Chunks of a stream (standard input), gunzipped when it starts with the gzip magic bytes. */
async function* streamChunks(path: string, stream: NodeJS.ReadableStream, chunkSize: number, onRaw: (bytes: number) => void): AsyncGenerator<Buffer> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let total = 0;
  const first = await it.next();
  if (first.done) return;
  total += first.value.length;
  async function* rest(): AsyncGenerator<Buffer> {
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      total += r.value.length;
      yield r.value;
    }
  }
  if (isGzip(first.value)) {
    async function* raw(): AsyncGenerator<Buffer> {
      yield first.value;
      yield* rest();
    }
    yield* gunzipChunks(path, raw(), chunkSize, () => onRaw(total));
    return;
  }
  onRaw(total);
  yield first.value;
  for await (const chunk of rest()) {
    onRaw(total);
    yield chunk;
  }
}

/** The decompressed chunks of gzip data arriving as `raw` chunks; `progress()` after each one. */
async function* gunzipChunks(path: string, raw: AsyncIterable<Buffer>, chunkSize: number, progress: () => void): AsyncGenerator<Buffer> {
  const source = Readable.from(raw, { objectMode: false });
  const gunzip = createGunzip({ chunkSize: Math.max(chunkSize >> 2, 1 << 14) });
  pipeline(source, gunzip, () => {});
  try {
    for await (const chunk of gunzip) {
      progress();
      yield chunk as Buffer;
    }
  } catch (err) {
    throw new RecordFormatError(`${path}: gzip: ${(err as Error).message}`);
  } finally {
    source.destroy();
    await finished(source).catch(() => {});
  }
}

/** Collects the records of one chunk as SmartRecord objects. */
class BatchSink implements RecordSink {
  private readonly keys: SeriesKey[] = [];
  private readonly index = new Map<string, number>();
  private batch: SmartRecord[] = [];

  seriesId(kind: Kind, name: string, locale: string): number {
    const k = `${kind}\u0000${name}\u0000${locale}`;
    let id = this.index.get(k);
    if (id === undefined) {
      id = this.keys.length;
      this.index.set(k, id);
      this.keys.push({ kind, name, locale });
    }
    return id;
  }

  append(id: number, time: number, value: number): void {
    const k = this.keys[id]!;
    this.batch.push({ time, locale: k.locale, kind: k.kind, name: k.name, value });
  }

  take(): SmartRecord[] {
    const b = this.batch;
    this.batch = [];
    return b;
  }
}

/**
 * Cuts a file's chunks into whole lines (carrying a partial last line to the next chunk), detects the
 * format from the first non-blank line and hands complete lines to the format's chunk parser.
 */
class LineFeeder {
  private parser: CsvChunkParser | JsonlChunkParser | null = null;
  private carry: Buffer | null = null;
  private atFileStart = true;
  private skippingLongLine = false;
  /** Lines consumed before the format was known (blank lines). */
  private linesBefore = 0;

  constructor(
    private readonly sink: RecordSink,
    private readonly problems: ProblemLog,
    private readonly spec: RecordFileSpec,
    private readonly unitExponent: number,
  ) {}

  get accepted(): number {
    return this.parser?.accepted ?? 0;
  }

  push(chunk: Buffer): void {
    let start = 0;
    if (this.skippingLongLine) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) return;
      this.skippingLongLine = false;
      start = nl + 1;
    } else if (this.carry) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.carry = Buffer.concat([this.carry, chunk]);
        this.checkLongLine();
        return;
      }
      if (this.carry.length + nl > MAX_LINE_BYTES) this.skipLongLine();
      else {
        const line = Buffer.concat([this.carry, chunk.subarray(0, nl + 1)]);
        this.carry = null;
        this.feed(line, 0, line.length);
      }
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(NL);
    if (last >= start) {
      this.feed(chunk, start, last + 1);
      start = last + 1;
    }
    if (start < chunk.length) {
      this.carry = Buffer.from(chunk.subarray(start));
      this.checkLongLine();
    }
  }

  end(): void {
    if (this.carry && this.carry.length > 0) {
      const line = Buffer.concat([this.carry, Buffer.from([NL])]);
      this.carry = null;
      this.feed(line, 0, line.length);
    }
  }

  private checkLongLine(): void {
    if (this.carry!.length <= MAX_LINE_BYTES) return;
    this.skipLongLine();
    this.skippingLongLine = true;
  }

  /** Reports the line being carried as too long and drops it. */
  private skipLongLine(): void {
    this.carry = null;
    const line = (this.parser ? this.parser.line : this.linesBefore) + 1;
    if (this.parser) this.parser.line++;
    else this.linesBefore++;
    this.problems.report(this.spec.path, line, null, `line longer than ${MAX_LINE_BYTES} bytes`);
  }

  /** buf[start, end) holds complete lines. */
  private feed(buf: Buffer, start: number, end: number): void {
    if (this.atFileStart) {
      this.atFileStart = false;
      if (buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
    }
    if (!this.parser) {
      // skip blank lines, then detect the format from the first non-blank one
      for (;;) {
        if (start >= end) return;
        const nl = buf.indexOf(NL, start);
        const text = buf.toString('utf8', start, nl).replace(/\r$/, '');
        if (text.trim() !== '') {
          this.parser = this.makeParser(text, this.linesBefore + 1);
          this.parser.line = this.linesBefore;
          break;
        }
        this.linesBefore++;
        start = nl + 1;
      }
    }
    this.parser.parse(buf, start, end);
  }

  private makeParser(firstLine: string, lineNo: number): CsvChunkParser | JsonlChunkParser {
    const f = detectRecordFormat(firstLine, lineNo, this.spec.kind, this.spec.path);
    if (f.format === 'jsonl') return new JsonlChunkParser(this.sink, this.problems, this.spec.path, f.kind, this.unitExponent);
    return new CsvChunkParser(this.sink, this.problems, this.spec.path, f.layout, this.unitExponent);
  }
}
