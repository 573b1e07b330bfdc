// Log-spaced lag bins after an anchor: [0, minLag), then bins growing by 2^(1/binsPerOctave) up to the
// horizon. Shared by every statistic so that histograms from slices and workers line up and add.

export interface LagBins {
  /** Edges in µs, ascending, edges[0] = 0, last = horizon; bins = edges.length - 1. */
  edges: Float64Array;
}

/** At most 32 bins so that a bin-occupancy set fits in one 32-bit mask. */
export const MAX_LAG_BINS = 32;

export function makeLagBins(minLag: number, horizon: number, binsPerOctave: number): LagBins {
  if (!(minLag > 0)) throw new Error(`minLag: must be positive, got ${minLag}`);
  if (!(horizon > minLag)) throw new Error(`horizon: must exceed minLag (${minLag}), got ${horizon}`);
  if (!(binsPerOctave > 0)) throw new Error(`binsPerOctave: must be positive, got ${binsPerOctave}`);
  const n = Math.ceil(Math.log2(horizon / minLag) * binsPerOctave);
  if (n + 1 > MAX_LAG_BINS) throw new Error(`lag bins: ${n + 1} bins exceed ${MAX_LAG_BINS}; lower binsPerOctave or widen minLag`);
  const edges = new Float64Array(n + 2);
  edges[0] = 0;
  for (let k = 0; k <= n; k++) edges[k + 1] = k === n ? horizon : Math.round(minLag * Math.pow(horizon / minLag, k / n));
  return { edges };
}

export function binCount(b: LagBins): number {
  return b.edges.length - 1;
}

/** Geometric (log-spaced) fine edges covering [start, end] with `perOctave` bins per doubling. */
export function fineEdges(start: number, end: number, floor: number, perOctave: number): Float64Array {
  const lo = Math.max(start, floor);
  const n = Math.max(1, Math.ceil(Math.log2(end / lo) * perOctave));
  const out = new Float64Array(n + 2);
  out[0] = start;
  for (let k = 0; k <= n; k++) out[k + 1] = lo * Math.pow(end / lo, k / n);
  if (lo === start) return out.subarray(1);
  return out;
}

/** Index of the bin of `edges` containing x (edges[k] <= x < edges[k+1]); -1 outside. */
export function binOf(edges: Float64Array, x: number): number {
  if (x < edges[0]! || x >= edges[edges.length - 1]!) return -1;
  let lo = 0;
  let hi = edges.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! <= x) lo = mid;
    else hi = mid;
  }
  return lo;
}
