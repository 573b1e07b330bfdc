// The paper's crude signature method (NAI'22 3.3), kept as the baseline: group tags and events by related
// locale, count tags followed by the event within a fixed td, probability = hits / tags, keep the pairs
// above a fixed probability threshold. No baseline correction, no significance test, no lag search.

import type { Series } from '../protocol/series-store.ts';
import type { LocaleRelations } from './candidates.ts';
import { recordedSpan } from './time-range.ts';
import { SIGNATURES_VERSION, type ExtentBin, type Signature, type SignaturesDoc } from './signature.ts';

export interface CrudeOptions {
  /** The fixed window after each tag, µs. */
  td: number;
  /** Smallest hits / tags kept (default 0.3). */
  threshold?: number;
  /** Fewest tags of a pair (default 10). */
  minSupport?: number;
  /** Tag-value bins of the extent table (default 5). */
  extentBins?: number;
}

export const CRUDE_DEFAULTS = { threshold: 0.3, minSupport: 10, extentBins: 5 };

/** Crude signatures for every (tag series, event series) pair the topology relates (all pairs without one). */
export function crudeSignatures(series: readonly Series[], topology: LocaleRelations | null, opts: CrudeOptions): SignaturesDoc {
  const td = opts.td;
  const threshold = opts.threshold ?? CRUDE_DEFAULTS.threshold;
  const minSupport = opts.minSupport ?? CRUDE_DEFAULTS.minSupport;
  const extentBins = opts.extentBins ?? CRUDE_DEFAULTS.extentBins;
  if (!(Number.isFinite(td) && td > 0)) throw new Error(`td: must be a positive number of microseconds, got ${td}`);
  if (!(threshold >= 0 && threshold <= 1)) throw new Error(`threshold: must be in [0, 1], got ${threshold}`);
  if (!(Number.isSafeInteger(minSupport) && minSupport >= 1)) throw new Error(`minSupport: must be a positive integer, got ${minSupport}`);
  if (!(Number.isSafeInteger(extentBins) && extentBins >= 1)) throw new Error(`extentBins: must be a positive integer, got ${extentBins}`);

  const tags = series.filter((s) => s.key.kind === 'tag' && s.times.length >= minSupport);
  const events = series.filter((s) => s.key.kind === 'event' && s.times.length > 0);
  const span = recordedSpan(series);
  const first = span ? span.from : Infinity;
  const last = span ? span.to - 1 : -Infinity;
  const baselines = new Map<number, number>();
  const signatures: Signature[] = [];
  let candidates = 0;
  for (const t of tags) {
    for (const e of events) {
      const relation = topology ? topology.relation(t.key.locale, e.key.locale) : 'any';
      if (relation === null) continue;
      candidates++;
      const lags = new Float64Array(t.times.length).fill(NaN);
      const sizes = new Float64Array(t.times.length).fill(NaN);
      let hits = 0;
      let j = 0;
      for (let i = 0; i < t.times.length; i++) {
        const at = t.times[i]!;
        while (j < e.times.length && e.times[j]! < at) j++;
        if (j < e.times.length && e.times[j]! <= at + td) {
          lags[i] = e.times[j]! - at;
          sizes[i] = e.values[j]!;
          hits++;
        }
      }
      const probability = hits / t.times.length;
      if (probability < threshold || hits === 0) continue;
      let baselineRate = baselines.get(e.id);
      if (baselineRate === undefined) baselines.set(e.id, (baselineRate = coveredShare(e.times, td, first, last)));
      const hitLags = [...lags].filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
      signatures.push({
        tag: { name: t.key.name, locale: t.key.locale },
        event: { name: e.key.name, locale: e.key.locale },
        relation,
        probability,
        hitRate: probability,
        baselineRate,
        lift: baselineRate > 0 ? probability / baselineRate : Number.MAX_VALUE,
        pValue: 1,
        qValue: 1,
        support: t.times.length,
        hits,
        leadTime: { min: hitLags[0]!, p05: quantile(hitLags, 0.05), p50: quantile(hitLags, 0.5), p95: quantile(hitLags, 0.95) },
        window: { start: 0, end: td },
        extent: crudeExtent(t.values, lags, sizes, extentBins),
      });
    }
  }
  signatures.sort((a, b) => b.probability - a.probability || a.tag.name.localeCompare(b.tag.name) || a.tag.locale.localeCompare(b.tag.locale));
  return {
    version: SIGNATURES_VERSION,
    params: {
      method: 'crude',
      td,
      threshold,
      minSupport,
      candidates,
      note: 'paper 3.3 baseline: probability = raw hit rate within td; no baseline correction and no significance test (pValue and qValue are 1, untested); baselineRate is reported, not used',
    },
    signatures,
  };
}

/** Share of instants in [first, last] that have an event within the next td (a random window's hit rate). */
function coveredShare(times: Float64Array, td: number, first: number, last: number): number {
  const span = last - first;
  if (!(span > 0)) return 1;
  // Union of the intervals [event - td, event], clipped to [first, last].
  let covered = 0;
  let openFrom = first;
  let openTo = first;
  for (let i = 0; i < times.length; i++) {
    const from = Math.max(first, times[i]! - td);
    const to = Math.min(last, times[i]!);
    if (to <= from) continue;
    if (from > openTo) {
      covered += openTo - openFrom;
      openFrom = from;
    }
    openTo = Math.max(openTo, to);
  }
  covered += openTo - openFrom;
  return Math.min(1, covered / span);
}

/** Value-quantile bins of hit rates; sizeSlope is the median of event size / tag value over hits. */
function crudeExtent(values: Float64Array, lags: Float64Array, sizes: Float64Array, binCount: number) {
  const order = [...values.keys()].sort((a, b) => values[a]! - values[b]!);
  const bins: ExtentBin[] = [];
  let from = 0;
  for (let b = 1; b <= binCount; b++) {
    // Cut at the value quantile, moved past equal values so that no value straddles two bins.
    let to = Math.floor((b * order.length) / binCount);
    while (to > 0 && to < order.length && values[order[to]!] === values[order[to - 1]!]) to++;
    if (to <= from) continue;
    const members = order.slice(from, to);
    from = to;
    const hitSizes = members.filter((i) => !Number.isNaN(lags[i]!)).map((i) => sizes[i]!);
    bins.push({
      lo: values[members[0]!]!,
      hi: values[members[members.length - 1]!]!,
      tags: members.length,
      hits: hitSizes.length,
      probability: hitSizes.length / members.length,
      meanEventValue: hitSizes.length ? hitSizes.reduce((sum, x) => sum + x, 0) / hitSizes.length : 0,
    });
  }
  const ratios: number[] = [];
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(lags[i]!) && values[i]! !== 0) ratios.push(sizes[i]! / values[i]!);
  ratios.sort((a, b) => a - b);
  return { bins, threshold: bins.find((b) => b.probability >= 0.5)?.lo ?? null, sizeSlope: ratios.length ? quantile(ratios, 0.5) : 0, logistic: null };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
