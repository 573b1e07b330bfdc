// Candidate (tag series -> event series) pairs: which series act as tags and events, which locale pairs the
// topology relates, type-level candidates pooled across locales (`--pool`), and the screening groups.

import type { Series } from '../protocol/series-store.ts';
import { relationLabel, type Topology } from '../protocol/topology.ts';

/** Relates two locales: "same", "1-hop", ... or null when they cannot interact. */
export interface LocaleRelations {
  relation(tagLocale: string, eventLocale: string): string | null;
}

/** Relations from the protocol topology: locales at most maxHops apart. */
export function topologyRelations(topology: Topology, maxHops: number): LocaleRelations {
  if (!(Number.isSafeInteger(maxHops) && maxHops >= 0)) throw new Error(`maxHops: must be a non-negative integer, got ${maxHops}`);
  return {
    relation(tagLocale, eventLocale) {
      const h = topology.hops(tagLocale, eventLocale);
      return h <= maxHops ? relationLabel(h) : null;
    },
  };
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

/** Candidates screened together: one tag series against the superposition of several event series. */
export interface ScreenGroup {
  tag: number;
  events: number[];
  /** Candidate indices of the members. */
  members: number[];
}

/**
 * Groups per-locale candidates of each tag series by (event name, relation) into chunks of at most `size`
 * event series and at most `maxEvents` merged events (so background does not drown a cause), in locale
 * order so that racks and switches stay together and merged event series repeat across tag series.
 */
export function screenGroups(candidates: readonly Candidate[], size: number, eventCount: (id: number) => number, maxEvents: number): ScreenGroup[] {
  const byTag = new Map<number, Candidate[]>();
  for (const c of candidates) {
    if (c.members.length !== 1) throw new Error('screenGroups: pooled candidates are screened individually');
    const t = c.members[0]!.tag;
    const list = byTag.get(t);
    if (list) list.push(c);
    else byTag.set(t, [c]);
  }
  const out: ScreenGroup[] = [];
  for (const [tag, list] of byTag) {
    list.sort((a, b) => cmp(a.eventName, b.eventName) || cmp(a.relation, b.relation) || cmp(a.eventLocale, b.eventLocale));
    let g: ScreenGroup | null = null;
    let prev: Candidate | null = null;
    let events = 0;
    for (const c of list) {
      const n = eventCount(c.members[0]!.event);
      if (!g || !prev || g.members.length >= size || events + n > maxEvents || prev.eventName !== c.eventName || prev.relation !== c.relation) {
        g = { tag, events: [], members: [] };
        out.push(g);
        events = 0;
      }
      events += n;
      g.events.push(c.members[0]!.event);
      g.members.push(c.index);
      prev = c;
    }
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
