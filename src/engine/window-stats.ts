// Pass 3 (significant candidates, window fixed): hits of the window after tags and after each shifted
// anchor set, a fine histogram of the first in-window lag (lead time), event pairs and a fine histogram of
// every lag inside the tag's influence range and one lag bin past it (the attribution kernel's support
// lies inside), and per tag-value bin hits and event sizes (extent). Sums: slices merge by addition.

import type { Series } from '../protocol/series-store.ts';
import { anchorIndices, type TimeRange } from './time-range.ts';
import type { Candidate } from './candidates.ts';
import type { ShiftedAnchor } from './baseline-shift.ts';
import { binOf } from './lag-bins.ts';
import { advance, lowerBound, TimeIndex } from './sorted-search.ts';

/** What pass 3 needs to know about one candidate, fixed from the merged pass-2 statistics. */
export interface WindowPlan {
  candidate: Candidate;
  /** The window [start, end). */
  start: number;
  end: number;
  /** End of the tag's influence range found on the lag bins (the window's end or later); default: the fine edges' end. */
  reach?: number;
  /** Fine lag edges covering the influence range and one lag bin past it: the attribution kernel's support lies inside. */
  fine: Float64Array;
  /** Shifted sets of the candidate's baseline; default: the pass's. */
  sets?: number;
  /** Tag-value bin lower edges (ascending); a value belongs to the last edge <= it (first bin takes less). */
  valueEdges: Float64Array;
}

/** Offsets into a candidate's pass-3 vector. */
export function windowLayout(plan: WindowPlan, shifts: number) {
  const F = plan.fine.length - 1;
  const V = plan.valueEdges.length;
  const hits = 1;
  const pairs = hits + 1 + shifts;
  const fineTag = pairs + 2;
  const fineBase = fineTag + F;
  const pairTag = fineBase + F;
  const pairBase = pairTag + F;
  const value = pairBase + F;
  return { anchors: 0, hits, pairs, fineTag, fineBase, pairTag, pairBase, value, F, V, width: value + 4 * V };
}

/** Value bin of v: index of the last edge <= v, 0 when v is below every edge. */
export function valueBin(edges: Float64Array, v: number): number {
  const k = lowerBound(edges, v);
  if (k < edges.length && edges[k] === v) return k;
  return Math.max(0, k - 1);
}

/** Up to `bins` quantile edges of the values (distinct, ascending). */
export function quantileEdges(values: Float64Array, bins: number): Float64Array {
  const sorted = Float64Array.from(values).sort();
  const edges: number[] = [];
  for (let k = 0; k < bins; k++) {
    const v = sorted[Math.floor((k * sorted.length) / bins)]!;
    if (edges.length === 0 || v > edges[edges.length - 1]!) edges.push(v);
  }
  return Float64Array.from(edges);
}

export function windowStats(series: readonly Series[], plans: readonly WindowPlan[], shifted: ShiftedAnchor, shifts: number, range: TimeRange): Float64Array[] {
  return plans.map((plan) => {
    const K = plan.sets ?? shifts;
    const L = windowLayout(plan, K);
    const out = new Float64Array(L.width);
    const from = plan.fine[0]!;
    const to = plan.fine[plan.fine.length - 1]!;
    for (const m of plan.candidate.members) {
      const tag = series[m.tag]!;
      const ev = series[m.event]!;
      const [i0, i1] = anchorIndices(tag.times, range);
      if (i0 >= i1) continue;
      out[L.anchors]! += i1 - i0;
      const index = new TimeIndex(ev.times, to);
      for (let s = 0; s <= K; s++) {
        // Events [kp, kq) lie in the influence range [from, to) after the anchor, [p, q) in the window.
        let kp = lowerBound(ev.times, tag.times[i0]! + from);
        let kq = kp;
        for (let i = i0; i < i1; i++) {
          let a = tag.times[i]!;
          if (s === 0) {
            kp = advance(ev.times, kp, a + from);
            kq = advance(ev.times, Math.max(kp, kq), a + to);
          } else {
            a = shifted(a, i, s);
            kp = index.lowerBound(a + from);
            kq = advance(ev.times, kp, a + to);
          }
          const p = advance(ev.times, kp, a + plan.start);
          const q = advance(ev.times, p, a + plan.end);
          if (s === 0) {
            const vb = valueBin(plan.valueEdges, tag.values[i]!);
            out[L.value + 4 * vb]!++;
            out[L.value + 4 * vb + 3]! += tag.values[i]!;
          }
          if (kq > kp) {
            out[L.pairs + (s === 0 ? 0 : 1)]! += kq - kp;
            addPairLags(plan.fine, ev.times, kp, kq, a, out, s === 0 ? L.pairTag : L.pairBase);
          }
          if (q <= p) continue;
          out[L.hits + s]!++;
          const fb = binOf(plan.fine, ev.times[p]! - a);
          if (fb >= 0) out[(s === 0 ? L.fineTag : L.fineBase) + fb]!++;
          if (s === 0) {
            const vb = valueBin(plan.valueEdges, tag.values[i]!);
            out[L.value + 4 * vb + 1]!++;
            out[L.value + 4 * vb + 2]! += ev.values[p]!;
          }
        }
      }
    }
    return out;
  });
}

/**
 * Adds the lags of the events [p, q) after anchor `a`, all inside the fine edges' range, to the fine
 * histogram at `at`. Lags ascend, so the bin only moves forward; every event is counted (rounding at the
 * range's edges falls into the first or last bin).
 */
function addPairLags(fine: Float64Array, times: Float64Array, p: number, q: number, a: number, out: Float64Array, at: number): void {
  const last = fine.length - 2;
  let b = Math.max(0, binOf(fine, times[p]! - a));
  for (let e = p; e < q; e++) {
    const lag = times[e]! - a;
    while (b < last && lag >= fine[b + 1]!) b++;
    out[at + b]!++;
  }
}
