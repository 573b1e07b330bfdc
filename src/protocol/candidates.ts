// Candidate (tag series, event series) pairs for learning: every pair without a topology, else pairs whose
// locales are within maxHops; with the bound above which the learner refuses or warns.

import type { SeriesKey } from './series-store.ts';
import { DEFAULT_MAX_HOPS, relationLabel, type Topology } from './topology.ts';

/** Most candidate pairs the learner tests before refusing (or warning and asking for a topology). */
export const MAX_CANDIDATE_PAIRS = 2_000_000;

/** The relation label of a pair when no topology is given. */
export const NO_TOPOLOGY_RELATION = 'any';

/** Calls `fn(tagIndex, eventIndex, relation)` for each candidate pair of `keys` (indexes into `keys`). */
export function forEachCandidatePair(
  keys: readonly SeriesKey[],
  topology: Topology | null,
  fn: (tag: number, event: number, relation: string) => void,
  maxHops = DEFAULT_MAX_HOPS,
): void {
  const { tags, eventsByLocale, events } = split(keys);
  if (!topology) {
    for (const t of tags) for (const e of events) fn(t, e, NO_TOPOLOGY_RELATION);
    return;
  }
  for (const t of tags) {
    const locale = keys[t]!.locale;
    for (const other of topology.relatedLocales(locale, maxHops)) {
      const at = eventsByLocale.get(other);
      if (!at) continue;
      const relation = relationLabel(topology.hops(locale, other));
      for (const e of at) fn(t, e, relation);
    }
  }
}

/** Number of candidate pairs forEachCandidatePair would visit, without visiting them. */
export function countCandidatePairs(keys: readonly SeriesKey[], topology: Topology | null, maxHops = DEFAULT_MAX_HOPS): number {
  const { tags, eventsByLocale, events } = split(keys);
  if (!topology) return tags.length * events.length;
  const perLocale = new Map<string, number>();
  let total = 0;
  for (const t of tags) {
    const locale = keys[t]!.locale;
    let n = perLocale.get(locale);
    if (n === undefined) {
      n = 0;
      for (const other of topology.relatedLocales(locale, maxHops)) n += eventsByLocale.get(other)?.length ?? 0;
      perLocale.set(locale, n);
    }
    total += n;
  }
  return total;
}

/** null when `pairs` is within the bound, else a message saying what to do. */
export function candidateBoundProblem(pairs: number, haveTopology: boolean, limit = MAX_CANDIDATE_PAIRS): string | null {
  if (pairs <= limit) return null;
  const advice = haveTopology ? 'lower the hop limit or restrict the input' : 'give a topology (--topology) to relate only nearby locales';
  return `${pairs.toLocaleString('en-US')} candidate (tag, event) pairs exceed the limit of ${limit.toLocaleString('en-US')}: ${advice}`;
}

function split(keys: readonly SeriesKey[]) {
  const tags: number[] = [];
  const events: number[] = [];
  const eventsByLocale = new Map<string, number[]>();
  keys.forEach((k, i) => {
    if (k.kind === 'tag') tags.push(i);
    else {
      events.push(i);
      const list = eventsByLocale.get(k.locale);
      if (list) list.push(i);
      else eventsByLocale.set(k.locale, [i]);
    }
  });
  return { tags, events, eventsByLocale };
}
