// The SmartTags record (paper 3.2): `time, locale, kind, name, value`, and its validation.
// Times are integer microseconds since the Unix epoch; an absent value means 1.

export type Kind = 'tag' | 'event';

export interface SmartRecord {
  /** Integer microseconds since the Unix epoch. */
  time: number;
  /** Where the record comes from: app, job, flow 5-tuple, host, switch port, or a combination. */
  locale: string;
  kind: Kind;
  /** What happened: a Tag name (e.g. `MG`) or an Event name (e.g. `drop`). */
  name: string;
  /** Extent of the Tag or size of the Event; 1 when the source gives none. */
  value: number;
}

export const KINDS: readonly Kind[] = ['tag', 'event'];

/** Longest locale or name accepted, in UTF-16 code units. */
export const MAX_IDENTIFIER_LENGTH = 256;

export function isKind(s: string): s is Kind {
  return s === 'tag' || s === 'event';
}

/** Why a field of a record is unacceptable, or null when the record is valid. */
export function recordProblem(r: SmartRecord): { field: keyof SmartRecord; reason: string } | null {
  if (!Number.isSafeInteger(r.time) || r.time < 0) return { field: 'time', reason: `not a non-negative integer of microseconds: ${r.time}` };
  const locale = identifierProblem(r.locale);
  if (locale) return { field: 'locale', reason: locale };
  if (!isKind(r.kind)) return { field: 'kind', reason: `must be "tag" or "event", got ${JSON.stringify(r.kind)}` };
  const name = identifierProblem(r.name);
  if (name) return { field: 'name', reason: name };
  if (!Number.isFinite(r.value)) return { field: 'value', reason: `not a finite number: ${r.value}` };
  return null;
}

export function identifierProblem(s: unknown): string | null {
  if (typeof s !== 'string') return `not a string: ${JSON.stringify(s)}`;
  if (s.length === 0) return 'empty';
  if (s.length > MAX_IDENTIFIER_LENGTH) return `longer than ${MAX_IDENTIFIER_LENGTH} characters`;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return `contains control character 0x${c.toString(16)}`;
  }
  return null;
}
