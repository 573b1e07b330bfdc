// Pass 2 (screened candidates): full lag-bin statistics after tags and after every shifted anchor set —
// per-bin event counts and, for every window start bin i, the first occupied bin >= i, so that the number
// of anchors with an event in any bin interval [i..j] follows exactly. Sums: slices merge by addition.

import type { Series } from '../protocol/series-store.ts';
import { anchorIndices, type TimeRange } from './time-range.ts';
import type { Candidate } from './candidates.ts';
import type { ShiftedAnchor } from './baseline-shift.ts';
import type { LagBinner } from './screen-stats.ts';
import { advance, lowerBound, TimeIndex } from './sorted-search.ts';

/**
 * Layout per candidate (B bins, K shifted sets): [0] anchors (tags) seen; [1, 1+B) event counts per bin
 * after tags; [1+B, 1+2B) summed over shifted sets; then 1+K matrices B×B (tags, then each shifted set)
 * in difference form D[k*B+i]: prefix sums over i give M[i][k] = anchors whose first event at lag >=
 * edges[i] (below the horizon) lies in bin k. An anchor costs O(occupied bins), and sums still merge.
 */
export function intervalWidth(bins: number, shifts: number): number {
  return 1 + 2 * bins + (1 + shifts) * bins * bins;
}

/** Start of each candidate's statistics (candidates one after another, K = sets[k]); the last entry is the total. */
export function intervalOffsets(bins: number, sets: readonly number[]): number[] {
  const out = [0];
  for (const K of sets) out.push(out[out.length - 1]! + intervalWidth(bins, K));
  return out;
}

export function intervalStats(
  series: readonly Series[],
  candidates: readonly Candidate[],
  binner: LagBinner,
  shifted: ShiftedAnchor,
  /** Shifted sets of each candidate. */
  sets: readonly number[],
  range: TimeRange,
  /** How events per bin are counted: walking the events within the horizon, galloping across bin edges, or by density. */
  counting: 'auto' | 'walk' | 'gallop' = 'auto',
): Float64Array {
  const B = binner.bins;
  const horizon = binner.horizon;
  const edges = binner.edges;
  const offsets = intervalOffsets(B, sets);
  const out = new Float64Array(offsets[candidates.length]!);
  const counts = new Int32Array(B);
  candidates.forEach((c, slot) => {
    const base = offsets[slot]!;
    const K = sets[slot]!;
    for (const m of c.members) {
      const tag = series[m.tag]!.times;
      const ev = series[m.event]!.times;
      const n = ev.length;
      const [i0, i1] = anchorIndices(tag, range);
      if (i0 >= i1) continue;
      out[base]! += i1 - i0;
      const index = new TimeIndex(ev, horizon);
      const span = n > 1 ? ev[n - 1]! - ev[0]! : 0;
      const dense = counting === 'gallop' || (counting === 'auto' && span > 0 && (n / span) * horizon > 2 * B);
      for (let s = 0; s <= K; s++) {
        const pairsAt = base + 1 + (s === 0 ? 0 : B);
        const matrixAt = base + 1 + 2 * B + s * B * B;
        let p = s === 0 ? lowerBound(ev, tag[i0]!) : 0;
        for (let i = i0; i < i1; i++) {
          // Events within the horizon after the anchor, counted per lag bin.
          const a = s === 0 ? tag[i]! : shifted(tag[i]!, i, s);
          p = s === 0 ? advance(ev, p, a) : index.lowerBound(a);
          let mask = 0;
          if (dense) {
            // Many events per horizon: count per bin by galloping across the bin edges instead.
            let lo = p;
            for (let k = 0; k < B; k++) {
              const hi = advance(ev, lo, a + edges[k + 1]!);
              if (hi > lo) {
                counts[k] = hi - lo;
                mask |= 1 << k;
              }
              lo = hi;
            }
          } else {
            for (let q = p; q < n; q++) {
              const lag = ev[q]! - a;
              if (lag >= horizon) break;
              const k = binner.bin(lag);
              counts[k]!++;
              mask |= 1 << k;
            }
          }
          // Occupied bins o1 < o2 < ...: starts i in (o_{m-1}, o_m] see o_m first.
          let from = 0;
          while (mask !== 0) {
            const k = 31 - Math.clz32(mask & -mask);
            mask &= mask - 1;
            out[pairsAt + k]! += counts[k]!;
            counts[k] = 0;
            out[matrixAt + k * B + from]!++;
            if (k + 1 < B) out[matrixAt + k * B + k + 1]!--;
            from = k + 1;
          }
        }
      }
    }
  });
  return out;
}

/** The 1+K hit matrices of a candidate, M[set*B*B + i*B + k], from their difference form. */
export function hitMatrices(stats: Float64Array, at: number, B: number, K: number): Float64Array {
  const out = new Float64Array((K + 1) * B * B);
  for (let s = 0; s <= K; s++) {
    const d = at + 1 + 2 * B + s * B * B;
    for (let k = 0; k < B; k++) {
      let run = 0;
      for (let i = 0; i < B; i++) {
        run += stats[d + k * B + i]!;
        out[s * B * B + i * B + k] = run;
      }
    }
  }
  return out;
}

/** Anchors with an event in bins [i..j] for matrix `set` (0 = tags, 1.. = shifted sets) of hitMatrices. */
export function intervalHits(m: Float64Array, B: number, set: number, i: number, j: number): number {
  const row = set * B * B + i * B;
  let h = 0;
  for (let k = i; k <= j; k++) h += m[row + k]!;
  return h;
}
