// Parser of JSON Lines records `{"time":..,"locale":..,"kind":..,"name":..,"value":..}` from Buffer chunks;
// `value` may be absent or null (=> 1), `time` a number or a decimal string in the file's unit.

import { identifierProblem, isKind, type Kind } from './record.ts';
import type { RecordSink } from './record-sink.ts';
import { parseTimeText } from './number-text.ts';
import type { ProblemLog } from './problems.ts';

const NL = 10;
const CR = 13;

export class JsonlChunkParser {
  line = 0;
  accepted = 0;

  /** `kind`: the kind given by a tag:/event: prefix; records may then omit it but must not contradict it. */
  constructor(
    private readonly sink: RecordSink,
    private readonly problems: ProblemLog,
    private readonly file: string,
    private readonly kind: Kind | null,
    private readonly unitExponent: number,
  ) {}

  /** Parses the complete lines of buf[start, end); buf[end - 1] must be a line feed. */
  parse(buf: Buffer, start: number, end: number): void {
    let p = start;
    while (p < end) {
      const nl = buf.indexOf(NL, p);
      this.line++;
      const lineEnd = buf[nl - 1] === CR && nl > p ? nl - 1 : nl;
      if (lineEnd > p) this.parseLine(buf.toString('utf8', p, lineEnd));
      p = nl + 1;
    }
  }

  private parseLine(text: string): void {
    if (text.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (err) {
      this.problems.report(this.file, this.line, null, `not JSON: ${(err as Error).message}`);
      return;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      this.problems.report(this.file, this.line, null, 'not a JSON object');
      return;
    }
    const r = obj as Record<string, unknown>;
    let time: number;
    if (typeof r.time === 'number' || typeof r.time === 'string') {
      const t = parseTimeText(typeof r.time === 'number' ? String(r.time) : r.time, this.unitExponent);
      if (t.reason !== undefined) return this.reject('time', t.reason);
      time = t.value;
    } else return this.reject('time', r.time === undefined ? 'missing' : `not a number: ${JSON.stringify(r.time)}`);
    const localeProblem = identifierProblem(r.locale);
    if (localeProblem) return this.reject('locale', r.locale === undefined ? 'missing' : localeProblem);
    let kind = r.kind;
    if (kind === undefined && this.kind) kind = this.kind;
    if (typeof kind !== 'string' || !isKind(kind)) return this.reject('kind', kind === undefined ? 'missing' : `must be "tag" or "event", got ${JSON.stringify(kind)}`);
    if (this.kind && kind !== this.kind) return this.reject('kind', `"${kind}" in a file given as ${this.kind}:`);
    const nameProblem = identifierProblem(r.name);
    if (nameProblem) return this.reject('name', r.name === undefined ? 'missing' : nameProblem);
    let value = 1;
    if (r.value !== undefined && r.value !== null) {
      if (typeof r.value !== 'number' || !Number.isFinite(r.value)) return this.reject('value', `not a finite number: ${JSON.stringify(r.value)}`);
      value = r.value;
    }
    this.sink.append(this.sink.seriesId(kind, r.name as string, r.locale as string), time, value);
    this.accepted++;
  }

  private reject(field: string, reason: string): void {
    this.problems.report(this.file, this.line, field, reason);
  }
}
