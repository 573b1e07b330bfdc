// Summary statistics used by both cases: mean, nearest-rank percentiles, and medians with spread over
// repetitions.

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
