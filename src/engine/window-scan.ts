// The window scan over merged pass-2 statistics: every bin interval [i..j] is scored (tag hits against the
// shifted anchor sets, binomial likelihood ratio); the best interval becomes the window [t1, td]. Its
// p-value adds the shifted sets' overdispersion and a Bonferroni factor for the intervals scanned. The
// influence bins widen the window over adjacent bins where the tag still raises the events (attribution).

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

/**
 * Bins [i..j] of the tag's influence: the window's bins widened, one bin at a time on each side, while the
 * neighbouring bin is occupied after significantly more tags than after the shifted anchors (one-sided
 * p < `alpha`, overdispersion included) and holds more events after tags than after them. A burst that
 * outlasts a window chosen for its onset is then attributed as a whole instead of left to the background.
 */
export function influenceBins(stats: Float64Array, at: number, B: number, K: number, scan: ScanResult, alpha: number): { i: number; j: number } {
  const n = stats[at]!;
  const m = hitMatrices(stats, at, B, K);
  const shifted = new Array<number>(K);
  const raised = (k: number): boolean => {
    if (stats[at + 1 + k]! <= stats[at + 1 + B + k]! / K) return false;
    for (let s = 0; s < K; s++) shifted[s] = intervalHits(m, B, s + 1, k, k);
    return hitTest(intervalHits(m, B, 0, k, k), n, shifted, true).p < alpha;
  };
  let i = scan.i;
  let j = scan.j;
  while (i > 0 && raised(i - 1)) i--;
  while (j + 1 < B && raised(j + 1)) j++;
  return { i, j };
}
