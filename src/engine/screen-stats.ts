// Pass 1 (every candidate, cheap): event counts in a few coarse lag bins after each tag and after the two
// nearest shifted anchors. Sums, so slices merge by addition; a z score decides who gets the full scan.

import type { Series } from '../protocol/series-store.ts';
import { anchorIndices, sweepAnchors, type TimeRange } from './anchor-sweep.ts';
import type { Candidate } from './candidates.ts';

/** Coarse edges: every `step`-th lag edge plus the horizon. */
export function coarseEdges(edges: Float64Array, step: number): Float64Array {
  const out: number[] = [];
  for (let k = 0; k < edges.length - 1; k += step) out.push(edges[k]!);
  out.push(edges[edges.length - 1]!);
  return Float64Array.from(out);
}

/** Layout per candidate: [tag counts per coarse bin | baseline counts per coarse bin (sum of 2 sets)]. */
export function screenWidth(coarse: Float64Array): number {
  return 2 * (coarse.length - 1);
}

export function screenStats(
  series: readonly Series[],
  candidates: readonly Candidate[],
  coarse: Float64Array,
  baselineOffsets: readonly number[],
  range: TimeRange,
): Float64Array {
  const nb = coarse.length - 1;
  const width = 2 * nb;
  const out = new Float64Array(candidates.length * width);
  for (const c of candidates) {
    const base = c.index * width;
    for (const m of c.members) {
      const tag = series[m.tag]!.times;
      const ev = series[m.event]!.times;
      const [i0, i1] = anchorIndices(tag, range);
      sweepAnchors(tag, ev, i0, i1, 0, coarse, (_i, ptr) => {
        for (let k = 0; k < nb; k++) out[base + k]! += ptr[k + 1]! - ptr[k]!;
      });
      for (const off of baselineOffsets) {
        sweepAnchors(tag, ev, i0, i1, off, coarse, (_i, ptr) => {
          for (let k = 0; k < nb; k++) out[base + nb + k]! += ptr[k + 1]! - ptr[k]!;
        });
      }
    }
  }
  return out;
}

/** Largest z over coarse intervals of tag counts against the baseline mean (Poisson, baseline noise included). */
export function screenScore(stats: Float64Array, offset: number, nb: number, baselineSets: number): number {
  let best = 0;
  for (let i = 0; i < nb; i++) {
    let o = 0;
    let b = 0;
    for (let j = i; j < nb; j++) {
      o += stats[offset + j]!;
      b += stats[offset + nb + j]!;
      const e = b / baselineSets;
      const z = (o - e) / Math.sqrt(e * (1 + 1 / baselineSets) + 1);
      if (z > best) best = z;
    }
  }
  return best;
}
