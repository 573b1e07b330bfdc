// Candidate (tag series -> event series) pairs: which series act as tags and events, which locale pairs the
// topology relates, and grouping into type-level candidates pooled across locales (`--pool`).

import type { Series } from '../protocol/series-store.ts';

/** Relates two locales: "same", "1-hop", ... or null when they cannot interact. */
export interface LocaleRelations {
  relation(tagLocale: string, eventLocale: string): string | null;
}

export interface Candidate {
  index: number;
  tagName: string;
  eventName: string;
  /** A locale, or "*" when pooled. */
  tagLocale: string;
  eventLocale: string;
  relation: string;
  /** (tag series id, event series id) pairs whose statistics add up to this candidate's. */
  members: { tag: number; event: number }[];
}

export interface CandidateOptions {
  allPairs: boolean;
  pool: boolean;
}

/** Enumerates candidates; without topology every tag series pairs with every event series ("any"). */
export function enumerateCandidates(series: readonly Series[], topology: LocaleRelations | null, opt: CandidateOptions): Candidate[] {
  const tags = series.filter((s) => s.times.length > 0 && (opt.allPairs || s.key.kind === 'tag'));
  const events = series.filter((s) => s.times.length > 0 && (opt.allPairs || s.key.kind === 'event'));
  const eventsByLocale = new Map<string, Series[]>();
  for (const e of events) {
    const list = eventsByLocale.get(e.key.locale);
    if (list) list.push(e);
    else eventsByLocale.set(e.key.locale, [e]);
  }
  const out: Candidate[] = [];
  const pooled = new Map<string, Candidate>();
  const relationCache = new Map<string, Map<string, string | null>>();
  for (const t of tags) {
    let rel = relationCache.get(t.key.locale);
    if (!rel) {
      rel = new Map();
      for (const loc of eventsByLocale.keys()) rel.set(loc, topology ? topology.relation(t.key.locale, loc) : 'any');
      relationCache.set(t.key.locale, rel);
    }
    for (const [loc, list] of eventsByLocale) {
      const relation = rel.get(loc);
      if (relation === null || relation === undefined) continue;
      for (const e of list) {
        if (e.id === t.id) continue;
        if (!opt.pool) {
          out.push({ index: out.length, tagName: t.key.name, eventName: e.key.name, tagLocale: t.key.locale, eventLocale: e.key.locale, relation, members: [{ tag: t.id, event: e.id }] });
          continue;
        }
        const key = `${t.key.kind}\u0000${t.key.name}\u0000${e.key.kind}\u0000${e.key.name}\u0000${relation}`;
        let c = pooled.get(key);
        if (!c) {
          c = { index: out.length, tagName: t.key.name, eventName: e.key.name, tagLocale: '*', eventLocale: '*', relation, members: [] };
          pooled.set(key, c);
          out.push(c);
        }
        c.members.push({ tag: t.id, event: e.id });
      }
    }
  }
  return out;
}
