// Summary statistics used by both cases: mean, nearest-rank percentiles, medians with spread over
// repetitions, and paired differences between two modes' repetitions with a Student t interval.

export interface Dist {
  mean: number;
  p50: number;
  p99: number;
}

export function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** Nearest-rank percentile, p in [0, 100]. */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1]!;
}

export function dist(xs: number[]): Dist {
  return { mean: round(mean(xs)), p50: round(percentile(xs, 50)), p99: round(percentile(xs, 99)) };
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Number.isFinite(x) ? Math.round(x * f) / f : x;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(xs: number[]): Spread {
  return { median: round(percentile(xs, 50)), min: round(Math.min(...xs)), max: round(Math.max(...xs)) };
}

/** Median across repetitions of every numeric leaf of same-shaped objects (lower median for even counts). */
export function medianOf<T>(reps: T[]): T {
  const first = reps[0];
  if (typeof first === 'number') return round(percentile(reps as number[], 50)) as T;
  if (first && typeof first === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(first)) out[k] = medianOf(reps.map((r) => (r as Record<string, unknown>)[k]));
    return out as T;
  }
  return first as T;
}

/** A paired comparison over repetitions: a − b per repetition, their mean and its 95% confidence interval. */
export interface Paired {
  perRep: number[];
  mean: number;
  /** Student's t interval of the mean difference; null with fewer than 2 repetitions. */
  ci95: [number, number] | null;
}

/** Two-sided 97.5% quantiles of Student's t for 1 to 30 degrees of freedom. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** The 97.5% quantile of Student's t with df degrees of freedom (a table to 30, Cornish-Fisher beyond). */
export function t975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`t975: degrees of freedom must be a positive integer, got ${df}`);
  if (df <= T975.length) return T975[df - 1]!;
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

/** a[i] − b[i] for each repetition i (the two lists are the same repetitions in the same order). */
export function paired(a: number[], b: number[]): Paired {
  if (a.length !== b.length || a.length === 0) throw new RangeError(`paired: needs the same repetitions on both sides, got ${a.length} and ${b.length}`);
  const d = a.map((x, i) => x - b[i]!);
  const m = mean(d);
  if (d.length < 2) return { perRep: d.map((x) => round(x)), mean: round(m), ci95: null };
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / (d.length - 1));
  const half = (t975(d.length - 1) * sd) / Math.sqrt(d.length);
  return { perRep: d.map((x) => round(x)), mean: round(m), ci95: [round(m - half), round(m + half)] };
}
