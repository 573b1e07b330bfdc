// Pass 2 (screened candidates): full lag-bin statistics after tags and after every shifted anchor set —
// per-bin event counts and, for every window start bin i, the first occupied bin >= i, so that the number
// of anchors with an event in any bin interval [i..j] follows exactly. Sums: slices merge by addition.

import type { Series } from '../protocol/series-store.ts';
import { anchorIndices, sweepAnchors, type TimeRange } from './anchor-sweep.ts';
import type { Candidate } from './candidates.ts';

/**
 * Layout per candidate (B bins, K shifted sets): [0] anchors (tags) seen; [1, 1+B) event counts per bin
 * after tags; [1+B, 1+2B) summed over shifted sets; then 1+K matrices B×B (tags, then each shifted set):
 * M[i*B+k] = anchors whose first event at lag >= edges[i] (below the horizon) lies in bin k.
 */
export function intervalWidth(bins: number, shifts: number): number {
  return 1 + 2 * bins + (1 + shifts) * bins * bins;
}

export function intervalStats(
  series: readonly Series[],
  candidates: readonly Candidate[],
  edges: Float64Array,
  shift: (i: number, set: number) => number,
  K: number,
  range: TimeRange,
): Float64Array {
  const B = edges.length - 1;
  const width = intervalWidth(B, K);
  const out = new Float64Array(candidates.length * width);
  candidates.forEach((c, slot) => {
    const base = slot * width;
    for (const m of c.members) {
      const tag = series[m.tag]!.times;
      const ev = series[m.event]!.times;
      const [i0, i1] = anchorIndices(tag, range);
      out[base]! += i1 - i0;
      for (let s = 0; s <= K; s++) {
        const pairsAt = base + 1 + (s === 0 ? 0 : B);
        const matrixAt = base + 1 + 2 * B + s * B * B;
        sweepAnchors(tag, ev, i0, i1, s === 0 ? null : (i) => shift(i, s), edges, (_i, ptr) => {
          let next = -1;
          for (let k = B - 1; k >= 0; k--) {
            const n = ptr[k + 1]! - ptr[k]!;
            if (n > 0) {
              out[pairsAt + k]! += n;
              next = k;
            }
            if (next >= 0) out[matrixAt + k * B + next]!++;
          }
        });
      }
    }
  });
  return out;
}

/** Anchors with an event in bins [i..j] for matrix `set` (0 = tags, 1.. = shifted sets). */
export function intervalHits(stats: Float64Array, at: number, B: number, set: number, i: number, j: number): number {
  const row = at + 1 + 2 * B + set * B * B + i * B;
  let h = 0;
  for (let k = i; k <= j; k++) h += stats[row + k]!;
  return h;
}
