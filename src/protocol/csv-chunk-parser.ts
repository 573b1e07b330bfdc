// Byte-level parser of record CSV (5-field `time,locale,kind,name[,value]` or 4-field `time,locale,name[,value]`
// with the kind given per file) straight from Buffer chunks: numbers parsed from bytes, series keys recognised
// by their raw bytes; anything unusual (quotes in numbers, exponents, errors) goes through an exact slow path.

import { identifierProblem, isKind, type Kind } from './record.ts';
import type { RecordSink } from './record-sink.ts';
import { ByteKeyTable } from './byte-key-table.ts';
import { splitCsvLine } from './csv-fields.ts';
import { parseTimeText, parseValueText } from './number-text.ts';
import type { ProblemLog } from './problems.ts';
import { decimalTimeAt, scanEnd, POW10, DOT } from './byte-number.ts';

const NL = 10;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;
const MINUS = 45;

export interface CsvLayout {
  /** 5: `time,locale,kind,name[,value]`; 4: `time,locale,name[,value]` with `kind` fixed for the file. */
  fields: 4 | 5;
  /** The kind of every record of a 4-field file. */
  kind: Kind | null;
  /** 1-based number of the header line to skip, or 0 when the file has none. */
  headerLine: number;
}

export class CsvChunkParser {
  /** Lines consumed so far (the number of the last line parsed). */
  line = 0;
  accepted = 0;
  private readonly table = new ByteKeyTable();
  private readonly keyFields: number;

  constructor(
    private readonly sink: RecordSink,
    private readonly problems: ProblemLog,
    private readonly file: string,
    private readonly layout: CsvLayout,
    private readonly unitExponent: number,
  ) {
    if (layout.fields === 4 && layout.kind === null) throw new Error('a 4-field CSV layout needs the kind of its records');
    this.keyFields = layout.fields - 2;
  }

  /** Parses the complete lines of buf[start, end); buf[end - 1] must be a line feed. */
  parse(buf: Buffer, start: number, end: number): void {
    const unitExp = this.unitExponent;
    const keyFields = this.keyFields;
    const headerLine = this.layout.headerLine;
    const table = this.table;
    const sink = this.sink;
    let lineNo = this.line;
    let accepted = 0;
    let p = start;
    while (p < end) {
      const lineStart = p;
      lineNo++;
      let c = buf[p];
      if (c === NL || lineNo === headerLine || (c === CR && buf[p + 1] === NL)) {
        p = buf.indexOf(NL, p) + 1;
        continue;
      }
      // time: integer digits (the common case: whole microseconds), else the careful decimal parse
      let m = 0;
      let d = c - 48;
      while (d >= 0 && d <= 9) {
        m = m * 10 + d;
        d = buf[++p] - 48;
      }
      let time = m;
      c = d + 48;
      if (c !== COMMA || p === lineStart || m > Number.MAX_SAFE_INTEGER || unitExp !== 0) {
        time = decimalTimeAt(buf, lineStart, unitExp);
        if (buf[scanEnd.at] !== COMMA) time = -1;
        if (time < 0) {
          this.line = lineNo;
          p = this.slowLine(buf, lineStart);
          continue;
        }
        p = scanEnd.at;
      }
      p++;
      // series key: the raw bytes of `locale,kind,name` (or `locale,name`), quotes allowed
      const keyStart = p;
      let h = ByteKeyTable.SEED;
      let commas = 0;
      let inQuotes = false;
      for (;;) {
        c = buf[p];
        if (c <= COMMA) {
          if (c === COMMA) {
            if (!inQuotes && ++commas === keyFields) break;
          } else if (c === NL) break;
          else if (c === QUOTE) inQuotes = !inQuotes;
          else if (c === CR) {
            p++;
            continue;
          }
        }
        h = Math.imul(h ^ c, 16777619);
        p++;
      }
      let keyEnd = p;
      if (c === NL) {
        if (commas !== keyFields - 1 || inQuotes) {
          this.line = lineNo;
          p = this.slowLine(buf, lineStart);
          continue;
        }
        if (buf[p - 1] === CR) keyEnd--;
      }
      let id = table.lookup(buf, keyStart, keyEnd, h);
      if (id < 0) {
        this.line = lineNo;
        id = this.resolveKey(buf, keyStart, keyEnd, h);
        if (id < 0) {
          p = buf.indexOf(NL, p) + 1;
          continue;
        }
      }
      // value: optional; empty or absent means 1
      let value = 1;
      if (c === COMMA) {
        const valueStart = ++p;
        let negative = false;
        if (buf[p] === MINUS) {
          negative = true;
          p++;
        }
        let vm = 0;
        const digitsStart = p;
        d = buf[p] - 48;
        while (d >= 0 && d <= 9) {
          vm = vm * 10 + d;
          d = buf[++p] - 48;
        }
        let vDigits = p - digitsStart;
        let vFrac = 0;
        if (d === DOT - 48) {
          const fracStart = ++p;
          d = buf[p] - 48;
          while (d >= 0 && d <= 9) {
            vm = vm * 10 + d;
            d = buf[++p] - 48;
          }
          vFrac = p - fracStart;
          vDigits += vFrac;
        }
        c = d + 48;
        if (c === CR) c = buf[++p];
        if (c !== NL || vDigits > 15 || (vDigits === 0 && p - (buf[p - 1] === CR ? 1 : 0) !== valueStart)) {
          this.line = lineNo;
          p = this.slowLine(buf, lineStart);
          continue;
        }
        if (vDigits > 0) {
          value = vFrac === 0 ? vm : vm / POW10[vFrac];
          if (negative) value = -value;
        }
      }
      sink.append(id, time, value);
      accepted++;
      p++;
    }
    this.line = lineNo;
    this.accepted += accepted;
  }

  /** Decodes and validates a series key not seen before; caches it. -1 (problem reported) when invalid. */
  private resolveKey(buf: Buffer, start: number, end: number, hash: number): number {
    const fields = splitCsvLine(buf.toString('utf8', start, end));
    if (!Array.isArray(fields)) {
      this.problems.report(this.file, this.line, null, fields.reason);
      return -1;
    }
    const id = this.seriesOf(fields);
    if (id >= 0) this.table.insert(buf, start, end, hash, id);
    return id;
  }

  /** Series id of the key fields (`locale, kind, name` or `locale, name`), or -1 after reporting a problem. */
  private seriesOf(key: string[]): number {
    if (key.length !== this.keyFields) {
      const names = this.layout.fields === 5 ? 'time,locale,kind,name[,value]' : 'time,locale,name[,value]';
      return this.reject(null, `expected ${this.layout.fields} fields (${names})`);
    }
    const locale = key[0]!;
    const kind = this.layout.fields === 5 ? key[1]! : this.layout.kind!;
    const name = this.layout.fields === 5 ? key[2]! : key[1]!;
    const localeProblem = identifierProblem(locale);
    if (localeProblem) return this.reject('locale', localeProblem);
    if (!isKind(kind)) return this.reject('kind', `must be "tag" or "event", got ${JSON.stringify(kind)}`);
    const nameProblem = identifierProblem(name);
    if (nameProblem) return this.reject('name', nameProblem);
    return this.sink.seriesId(kind, name, locale);
  }

  private reject(field: string | null, reason: string): number {
    this.problems.report(this.file, this.line, field, reason);
    return -1;
  }

  /** Exact parse of the line starting at `start` with full error reporting; returns the next line's start. */
  private slowLine(buf: Buffer, start: number): number {
    const nl = buf.indexOf(NL, start);
    const end = buf[nl - 1] === CR ? nl - 1 : nl;
    const fields = splitCsvLine(buf.toString('utf8', start, end));
    if (!Array.isArray(fields)) {
      this.problems.report(this.file, this.line, null, fields.reason);
      return nl + 1;
    }
    const n = this.layout.fields;
    if (fields.length !== n && fields.length !== n - 1) {
      const names = n === 5 ? 'time,locale,kind,name[,value]' : 'time,locale,name[,value]';
      this.problems.report(this.file, this.line, null, `expected ${n} fields (${names}), got ${fields.length}`);
      return nl + 1;
    }
    const time = parseTimeText(fields[0]!, this.unitExponent);
    if (time.reason !== undefined) {
      this.reject('time', time.reason);
      return nl + 1;
    }
    let value = 1;
    const valueText = fields.length === n ? fields[n - 1]! : '';
    if (valueText !== '') {
      const v = parseValueText(valueText);
      if (v.reason !== undefined) {
        this.reject('value', v.reason);
        return nl + 1;
      }
      value = v.value;
    }
    const id = this.seriesOf(fields.slice(1, n - 1));
    if (id < 0) return nl + 1;
    this.sink.append(id, time.value, value);
    this.accepted++;
    return nl + 1;
  }
}
