// Lead time from the fine first-lag histograms: the excess of lags after tags over the shifted baseline,
// its smallest lag and quantiles (geometric interpolation inside a bin).

export interface LeadTime {
  min: number;
  p05: number;
  p50: number;
  p95: number;
}

/** Excess per fine bin: tag counts minus the mean of the shifted sets, never below 0. */
export function excessHistogram(tag: Float64Array, baseSum: Float64Array, sets: number): Float64Array {
  const out = new Float64Array(tag.length);
  for (let k = 0; k < tag.length; k++) out[k] = Math.max(0, tag[k]! - baseSum[k]! / sets);
  return out;
}

export function leadTimeQuantiles(edges: Float64Array, excess: Float64Array): LeadTime {
  let total = 0;
  for (const x of excess) total += x;
  const start = edges[0]!;
  if (!(total > 0)) return { min: start, p05: start, p50: start, p95: start };
  const q = (p: number): number => {
    const target = p * total;
    let acc = 0;
    for (let k = 0; k < excess.length; k++) {
      const x = excess[k]!;
      if (acc + x >= target && x > 0) {
        const f = (target - acc) / x;
        const lo = edges[k]!;
        const hi = edges[k + 1]!;
        return Math.round(lo > 0 ? lo * Math.pow(hi / lo, f) : hi * f);
      }
      acc += x;
    }
    return edges[edges.length - 1]!;
  };
  let first = 0;
  while (first < excess.length && !(excess[first]! > 0)) first++;
  return { min: Math.round(edges[first]!), p05: q(0.05), p50: q(0.5), p95: q(0.95) };
}
