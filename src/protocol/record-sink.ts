// Where parsed records go: a series registry plus columnar append (SeriesStore implements it), so parsers
// resolve each distinct (kind, name, locale) once and then append plain numbers.

import type { Kind } from './record.ts';

export interface RecordSink {
  seriesId(kind: Kind, name: string, locale: string): number;
  append(id: number, time: number, value: number): void;
}
