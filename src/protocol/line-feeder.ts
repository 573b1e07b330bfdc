// Cuts a record file's chunks into whole lines, detects its format from the first non-blank line and feeds
// the lines to the CSV or JSON Lines chunk parser; BatchSink turns parsed records into SmartRecord objects.

import type { Kind, SmartRecord } from './record.ts';
import { SeriesKeys } from './series-store.ts';
import type { RecordSink } from './record-sink.ts';
import { CsvChunkParser } from './csv-chunk-parser.ts';
import { JsonlChunkParser } from './jsonl-chunk-parser.ts';
import { detectRecordFormat, type RecordFileSpec } from './record-format.ts';
import type { ProblemLog } from './problems.ts';

/** Longest line carried from one chunk to the next; a longer one is reported and skipped (bounds memory). */
export const MAX_LINE_BYTES = 1 << 20;
const NL = 10;

/** Collects the records of one chunk as SmartRecord objects. */
export class BatchSink implements RecordSink {
  private readonly series = new SeriesKeys();
  private batch: SmartRecord[] = [];

  seriesId(kind: Kind, name: string, locale: string): number {
    return this.series.id(kind, name, locale);
  }

  append(id: number, time: number, value: number): void {
    const k = this.series.keys[id]!;
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
export class LineFeeder {
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
