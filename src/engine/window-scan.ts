// The window scan over merged pass-2 statistics: every bin interval [i..j] is scored (tag hits against the
// shifted anchor sets, binomial likelihood ratio); the best interval becomes the window [t1, td]. Its
// p-value adds the shifted sets' overdispersion and a Bonferroni factor for the intervals scanned.

import { hitMatrices, intervalHits } from './interval-stats.ts';
import { hitTest, type HitTest } from './significance.ts';

export interface ScanResult {
  /** Chosen bins [i..j]; window = [edges[i], edges[j+1]). */
  i: number;
  j: number;
  anchors: number;
  hits: number;
  test: HitTest;
  /** p-value of the best interval times the number of intervals (capped at 1). */
  pValue: number;
}

export function scanWindow(stats: Float64Array, at: number, B: number, K: number, minHits: number): ScanResult | null {
  const n = stats[at]!;
  if (n <= 0) return null;
  const m = hitMatrices(stats, at, B, K);
  let best: ScanResult | null = null;
  const shifted = new Array<number>(K);
  let intervals = 0;
  for (let i = 0; i < B; i++) {
    for (let j = i; j < B; j++) {
      intervals++;
      const h = intervalHits(m, B, 0, i, j);
      if (h < minHits) continue;
      for (let s = 0; s < K; s++) shifted[s] = intervalHits(m, B, s + 1, i, j);
      const test = hitTest(h, n, shifted, false);
      if (!best || test.g > best.test.g) best = { i, j, anchors: n, hits: h, test, pValue: 1 };
    }
  }
  if (!best) return null;
  for (let s = 0; s < K; s++) shifted[s] = intervalHits(m, B, s + 1, best.i, best.j);
  best.test = hitTest(best.hits, n, shifted, true);
  best.pValue = Math.min(1, best.test.p * intervals);
  return best;
}
