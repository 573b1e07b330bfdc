// Extent (paper Figure 8a): per tag-value bin, the background-corrected probability of the event and its
// mean size; the threshold value where the event becomes likely, a logistic fit of probability against
// value, and a Theil-Sen slope of event size against value.

import type { Extent, ExtentBin } from './signature.ts';

export interface ValueBinStats {
  lo: number;
  hi: number;
  tags: number;
  hits: number;
  eventValueSum: number;
  tagValueSum: number;
}

/** Share of tags followed by the event beyond the chance rate b: P(hit) = p + (1 - p) b  =>  p = (h - b) / (1 - b). */
export function correctedProbability(hitRate: number, baselineRate: number): number {
  if (baselineRate >= 1) return 0;
  return Math.min(1, Math.max(0, (hitRate - baselineRate) / (1 - baselineRate)));
}

export function computeExtent(bins: readonly ValueBinStats[], baselineRate: number): Extent {
  const used = bins.filter((b) => b.tags > 0);
  const out: ExtentBin[] = used.map((b) => ({
    lo: b.lo,
    hi: b.hi,
    tags: b.tags,
    hits: b.hits,
    probability: correctedProbability(b.hits / b.tags, baselineRate),
    meanEventValue: b.hits > 0 ? b.eventValueSum / b.hits : 0,
  }));
  const threshold = out.find((b) => b.probability >= 0.5)?.lo ?? null;
  const xs = used.map((b) => b.tagValueSum / b.tags);
  const logistic = fitLogistic(xs, out.map((b) => b.probability), used.map((b) => b.tags));
  const sized = out.map((b, k) => ({ x: xs[k]!, y: b.meanEventValue, ok: b.hits > 0 })).filter((p) => p.ok);
  return { bins: out, threshold, sizeSlope: theilSen(sized.map((p) => p.x), sized.map((p) => p.y)), logistic };
}

/** Median of pairwise slopes; 0 with fewer than two distinct x. */
export function theilSen(xs: readonly number[], ys: readonly number[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      const dx = xs[j]! - xs[i]!;
      if (dx !== 0) slopes.push((ys[j]! - ys[i]!) / dx);
    }
  }
  if (slopes.length === 0) return 0;
  slopes.sort((a, b) => a - b);
  const m = slopes.length >> 1;
  return slopes.length % 2 ? slopes[m]! : (slopes[m - 1]! + slopes[m]!) / 2;
}

/**
 * Weighted logistic regression of proportions y (weights w) on x by Newton's method with a tiny ridge;
 * null when x does not vary or the fit does not converge.
 */
export function fitLogistic(xs: readonly number[], ys: readonly number[], ws: readonly number[]): { a: number; b: number } | null {
  if (xs.length < 2 || Math.min(...xs) === Math.max(...xs)) return null;
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const scale = Math.max(...xs.map((x) => Math.abs(x - mean))) || 1;
  const zs = xs.map((x) => (x - mean) / scale);
  let a = 0;
  let b = 0;
  const ridge = 1e-6;
  for (let it = 0; it < 100; it++) {
    let ga = 0;
    let gb = -ridge * b;
    let haa = 0;
    let hab = 0;
    let hbb = ridge;
    for (let k = 0; k < zs.length; k++) {
      const p = 1 / (1 + Math.exp(-(a + b * zs[k]!)));
      const r = ws[k]! * (ys[k]! - p);
      const v = ws[k]! * p * (1 - p) + 1e-12;
      ga += r;
      gb += r * zs[k]!;
      haa += v;
      hab += v * zs[k]!;
      hbb += v * zs[k]! * zs[k]!;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) return null;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a += da;
    b += db;
    if (!Number.isFinite(a) || !Number.isFinite(b) || Math.abs(b) > 1e4) return null;
    if (Math.abs(da) < 1e-9 && Math.abs(db) < 1e-9) {
      // Back to the original value scale: a + b z = a + b (x - mean) / scale.
      return { a: a - (b * mean) / scale, b: b / scale };
    }
  }
  return null;
}
