// Parser of JSON Lines records `{"time":..,"locale":..,"kind":..,"name":..,"value":..}` from Buffer chunks;
// `value` may be absent or null (=> 1), `time` a number or a decimal string in the file's unit. Plain lines
// are scanned from bytes; escapes, exponents, unknown keys and errors go through JSON.parse.

import { identifierProblem, isKind, type Kind } from './record.ts';
import type { RecordSink } from './record-sink.ts';
import { parseTimeText } from './number-text.ts';
import type { ProblemLog } from './problems.ts';
import { ByteKeyTable } from './byte-key-table.ts';
import { decimalTimeAt, plainDecimalAt, scanEnd } from './byte-number.ts';

const NL = 10;
const CR = 13;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const LBRACE = 123;
const RBRACE = 125;
const FIELD_TIME = 0;
const FIELD_LOCALE = 1;
const FIELD_KIND = 2;
const FIELD_NAME = 3;
const FIELD_VALUE = 4;
/** Names of at most 2^21 distinct values are combined with locale ids into one numeric series key. */
const MAX_NAMES = 1 << 21;
const KINDS: readonly Kind[] = ['tag', 'event'];
/** The source text of a numeric top-level `time` (JSON.parse would round its decimal digits to a double). */
const TIME_NUMBER = /"time"\s*:\s*(-?[0-9][0-9.eE+-]*)/;

export class JsonlChunkParser {
  line = 0;
  accepted = 0;
  private readonly locales = new ByteKeyTable();
  private readonly localeText: string[] = [];
  private readonly names = new ByteKeyTable();
  private readonly nameText: string[] = [];
  /** (locale id, name id, kind) -> series id. */
  private readonly series = new Map<number, number>();

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
      if (lineEnd > p && !this.fastLine(buf, p, lineEnd)) this.parseLine(buf.toString('utf8', p, lineEnd));
      p = nl + 1;
    }
  }

  /** Accepts a plain record line in buf[p, end) from its bytes; false (nothing done) sends it to JSON.parse. */
  private fastLine(buf: Buffer, p: number, end: number): boolean {
    p = skipSpace(buf, p, end);
    if (buf[p] !== LBRACE) return false;
    let time = -1;
    let value = 1;
    let kind = -1;
    let localeStart = -1;
    let localeEnd = 0;
    let localeHash = 0;
    let nameStart = -1;
    let nameEnd = 0;
    let nameHash = 0;
    let seen = 0;
    for (;;) {
      p = skipSpace(buf, p + 1, end);
      if (buf[p] !== QUOTE) return false;
      const keyStart = p + 1;
      p = keyStart;
      while (p < end && buf[p] !== QUOTE) p++;
      const field = fieldOf(buf, keyStart, p);
      if (field < 0 || seen & (1 << field)) return false;
      seen |= 1 << field;
      p = skipSpace(buf, p + 1, end);
      if (buf[p] !== COLON) return false;
      p = skipSpace(buf, p + 1, end);
      if (field === FIELD_TIME) {
        time = decimalTimeAt(buf, p, this.unitExponent);
        if (time < 0) return false;
        p = scanEnd.at;
      } else if (field === FIELD_VALUE) {
        if (buf[p] === 110 && buf[p + 1] === 117 && buf[p + 2] === 108 && buf[p + 3] === 108) p += 4; // null
        else {
          value = plainDecimalAt(buf, p);
          if (value !== value) return false;
          p = scanEnd.at;
        }
      } else {
        if (buf[p] !== QUOTE) return false;
        const start = ++p;
        let h = ByteKeyTable.SEED;
        for (;;) {
          if (p >= end) return false;
          const c = buf[p];
          if (c === QUOTE) break;
          if (c === BACKSLASH || c < 0x20) return false;
          h = Math.imul(h ^ c, 16777619);
          p++;
        }
        if (field === FIELD_LOCALE) {
          localeStart = start;
          localeEnd = p;
          localeHash = h;
        } else if (field === FIELD_NAME) {
          nameStart = start;
          nameEnd = p;
          nameHash = h;
        } else if (p - start === 3 && buf[start] === 116 && buf[start + 1] === 97 && buf[start + 2] === 103) kind = 0;
        else if (p - start === 5 && sameBytes(buf, start, EVENT)) kind = 1;
        else return false;
        p++;
      }
      p = skipSpace(buf, p, end);
      if (buf[p] === COMMA) continue;
      if (buf[p] !== RBRACE) return false;
      break;
    }
    if (skipSpace(buf, p + 1, end) !== end || time < 0 || localeStart < 0 || nameStart < 0) return false;
    const fileKind = this.kind === null ? -1 : this.kind === 'tag' ? 0 : 1;
    if (kind < 0) kind = fileKind;
    if (kind < 0 || (fileKind >= 0 && kind !== fileKind)) return false;
    const locale = this.intern(this.locales, this.localeText, buf, localeStart, localeEnd, localeHash);
    const name = this.intern(this.names, this.nameText, buf, nameStart, nameEnd, nameHash);
    if (locale < 0 || name < 0 || name >= MAX_NAMES) return false;
    const key = (locale * MAX_NAMES + name) * 2 + kind;
    let id = this.series.get(key);
    if (id === undefined) {
      id = this.sink.seriesId(KINDS[kind]!, this.nameText[name]!, this.localeText[locale]!);
      this.series.set(key, id);
    }
    this.sink.append(id, time, value);
    this.accepted++;
    return true;
  }

  /** Id of a valid identifier's bytes, or -1 when it is not a valid identifier (the slow path reports it). */
  private intern(table: ByteKeyTable, texts: string[], buf: Buffer, start: number, end: number, hash: number): number {
    let id = table.lookup(buf, start, end, hash);
    if (id >= 0) return id;
    const text = buf.toString('utf8', start, end);
    if (identifierProblem(text)) return -1;
    id = texts.length;
    texts.push(text);
    table.insert(buf, start, end, hash, id);
    return id;
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
      const t = parseTimeText(typeof r.time === 'number' ? numberSource(text, r.time) : r.time, this.unitExponent);
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

/** The digits of the top-level numeric `time` as written, when they can be found; else its shortest form. */
function numberSource(line: string, time: number): string {
  const raw = TIME_NUMBER.exec(line)?.[1];
  return raw !== undefined && Number(raw) === time ? raw : String(time);
}

function skipSpace(buf: Buffer, p: number, end: number): number {
  while (p < end) {
    const c = buf[p];
    if (c !== 32 && c !== 9) break;
    p++;
  }
  return p;
}

const FIELD_NAMES = ['time', 'locale', 'kind', 'name', 'value'].map((f) => Buffer.from(f));
const EVENT = Buffer.from('event');

/** Which record field the key bytes buf[start, end) name, or -1. */
function fieldOf(buf: Buffer, start: number, end: number): number {
  const len = end - start;
  const c = buf[start];
  const field =
    len === 4 && c === 116 ? FIELD_TIME : len === 6 ? FIELD_LOCALE : len === 4 && c === 107 ? FIELD_KIND : len === 4 && c === 110 ? FIELD_NAME : len === 5 ? FIELD_VALUE : -1;
  return field >= 0 && sameBytes(buf, start, FIELD_NAMES[field]!) ? field : -1;
}

function sameBytes(buf: Buffer, start: number, text: Buffer): boolean {
  for (let i = 0; i < text.length; i++) if (buf[start + i] !== text[i]) return false;
  return true;
}
