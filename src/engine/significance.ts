// Significance: one-sided binomial likelihood-ratio test of a hit count against a baseline rate with an
// overdispersion factor, the window scan over bin intervals (Bonferroni over the intervals scanned), and
// Benjamini-Hochberg q-values across all candidates.

/** Complementary error function, relative error below 1.2e-7 (Chebyshev fit of erfc(x)·exp(x²)). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(poly);
  return x >= 0 ? r : 2 - r;
}

/** Binomial log-likelihood ratio statistic (G) of h hits in n trials against rate b; 0 unless h/n > b. */
export function binomialG(h: number, n: number, b: number): number {
  if (n <= 0 || h <= n * b) return 0;
  const q = h / n;
  let g = h * Math.log(q / b);
  if (h < n) g += (n - h) * Math.log((1 - q) / (1 - b));
  return 2 * g;
}

/** One-sided p-value of a G statistic with one degree of freedom. */
export function pFromG(g: number): number {
  if (!(g > 0)) return 1;
  return 0.5 * erfc(Math.sqrt(g / 2));
}

/** Sample mean and variance (n - 1 denominator) of values. */
export function meanVar(values: readonly number[]): { mean: number; variance: number } {
  const n = values.length;
  let s = 0;
  for (const v of values) s += v;
  const mean = s / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { mean, variance: n > 1 ? ss / (n - 1) : 0 };
}

export interface HitTest {
  /** Baseline hit rate per anchor (mean over shifted sets, floored at half a hit). */
  baseline: number;
  /** Overdispersion of the shifted sets' hit counts relative to binomial, >= 1. */
  dispersion: number;
  g: number;
  p: number;
}

/**
 * Tests h hits of n tags against the shifted sets' hit counts (each also out of n anchors). With
 * `dispersion` false the overdispersion factor is 1 (a stable score for choosing among windows).
 */
export function hitTest(h: number, n: number, shiftedHits: readonly number[], withDispersion = true): HitTest {
  const K = shiftedHits.length;
  const { mean, variance } = meanVar(shiftedHits);
  const baseline = Math.min(1 - 1e-12, Math.max(mean, 0.5 / K) / n);
  const binomialVar = n * baseline * (1 - baseline);
  const dispersion = withDispersion ? Math.max(1, binomialVar > 0 ? variance / binomialVar : 1) : 1;
  const g = binomialG(h, n, baseline) / (dispersion * (1 + 1 / K));
  return { baseline, dispersion, g, p: pFromG(g) };
}

/** Benjamini-Hochberg adjusted p-values (q-values), same order as the input. */
export function benjaminiHochberg(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((_, i) => i).sort((a, b) => p[a]! - p[b]! || a - b);
  const q = new Array<number>(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const i = order[r]!;
    running = Math.min(running, (p[i]! * m) / (r + 1));
    q[i] = running;
  }
  return q;
}
