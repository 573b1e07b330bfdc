// Which format a record file has: the `tag:`/`event:` path prefixes (4-field files of that kind) and
// detection from the first line (`{` => JSON Lines, a header with a kind column => 5-field CSV).

import type { Kind } from './record.ts';
import type { CsvLayout } from './csv-chunk-parser.ts';
import { splitCsvLine } from './csv-fields.ts';
import { RecordFormatError } from './problems.ts';

export interface RecordFileSpec {
  /** The file path; `-` is standard input. */
  path: string;
  /** The kind of every record when the spec had a `tag:` or `event:` prefix, else null. */
  kind: Kind | null;
}

export type RecordFileFormat = { format: 'jsonl'; kind: Kind | null } | { format: 'csv'; layout: CsvLayout };

const HEADER5 = 'time,locale,kind,name,value';
const HEADER4 = 'time,locale,name,value';

/** `tag:mg.csv` => {path: 'mg.csv', kind: 'tag'}; `drops.jsonl` => {path: 'drops.jsonl', kind: null}. */
export function parseRecordSpec(spec: string): RecordFileSpec {
  const m = /^(tag|event):(.*)$/.exec(spec);
  if (!m) {
    if (spec === '') throw new RecordFormatError('empty record file path');
    return { path: spec, kind: null };
  }
  if (m[2] === '') throw new RecordFormatError(`record file spec "${spec}" has no path after the ${m[1]}: prefix`);
  return { path: m[2]!, kind: m[1] as Kind };
}

/**
 * Format of a file from its first non-blank line `line` (number `lineNo`, byte-order mark removed) and the
 * kind its spec gave. Throws a RecordFormatError saying what to do when the format cannot be determined.
 */
export function detectRecordFormat(line: string, lineNo: number, kind: Kind | null, file: string): RecordFileFormat {
  if (line.trimStart().startsWith('{')) return { format: 'jsonl', kind };
  const fields = splitCsvLine(line);
  const first = Array.isArray(fields) ? fields[0]!.trim() : '';
  const isHeader = Array.isArray(fields) && !/^[0-9.]/.test(first);
  if (!isHeader) {
    if (kind) return { format: 'csv', layout: { fields: 4, kind, headerLine: 0 } };
    throw new RecordFormatError(
      `${file}: cannot tell whether the records are tags or events: prefix the path with tag: or event: ` +
        `(a 4-field file "${HEADER4}"), or give the file the header "${HEADER5}"`,
    );
  }
  const names = fields.map((f) => f.trim().toLowerCase()).join(',');
  if (names === HEADER5 || names === 'time,locale,kind,name') {
    if (kind) throw new RecordFormatError(`${file}: the file has a kind column; drop the ${kind}: prefix`);
    return { format: 'csv', layout: { fields: 5, kind: null, headerLine: lineNo } };
  }
  if (names === HEADER4 || names === 'time,locale,name') {
    if (kind) return { format: 'csv', layout: { fields: 4, kind, headerLine: lineNo } };
    throw new RecordFormatError(`${file}: a 4-field file ("${names}") needs a tag: or event: prefix on its path to give the kind of its records`);
  }
  throw new RecordFormatError(`${file}:${lineNo}: unrecognised header "${line}": expected "${HEADER5}"${kind ? ` or, with the ${kind}: prefix, "${HEADER4}"` : ''} (value column optional)`);
}
