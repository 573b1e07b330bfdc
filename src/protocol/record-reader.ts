// Record file readers (paper 3.2): stream CSV / 4-field CSV / JSON Lines files, gzip or plain (detected by
// magic bytes), into a SeriesStore or as SmartRecords; malformed lines are reported, counted and skipped.

import { stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { Kind, SmartRecord } from './record.ts';
import { SeriesStore } from './series-store.ts';
import { parseRecordSpec } from './record-format.ts';
import { ProblemLog, type Problem, DEFAULT_KEPT_PROBLEMS } from './problems.ts';
import { fileChunks, isGzip } from './file-chunks.ts';
import { BatchSink, LineFeeder } from './line-feeder.ts';
import { timeUnitExponent, type TimeUnit } from './time-unit.ts';

export { MAX_LINE_BYTES } from './line-feeder.ts';

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

const DEFAULT_CHUNK = 1 << 20;

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

