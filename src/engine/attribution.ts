// Attribution among co-travelling tags and the background (a Hawkes-like EM fit per event series): each
// event's intensity is a piecewise-constant background plus, for every significant candidate, alpha times
// its lag kernel at each preceding tag. Events are credited in proportion; a tag that merely travels with
// a cause, or rides the same load, ends up with little credit and is explained away.

import type { Series } from '../protocol/series-store.ts';

export interface AttributionInput {
  /** Tag series id and event series id (one locale pair). */
  tag: number;
  event: number;
  start: number;
  end: number;
  /** Kernel: lag density over fine bins (edges), integrating to 1 over [start, end). */
  edges: Float64Array;
  density: Float64Array;
}

export interface AttributionResult {
  /** Events per tag attributed to the candidate (alpha). */
  alpha: number;
  /** Events credited to the candidate. */
  credited: number;
}

/** Kernel density from an excess-lag histogram: smoothed [1 2 1], floored at 1% of its peak, normalised. */
export function kernelFromExcess(edges: Float64Array, excess: Float64Array): Float64Array {
  const F = excess.length;
  const smooth = new Float64Array(F);
  for (let k = 0; k < F; k++) {
    const l = excess[Math.max(0, k - 1)]!;
    const r = excess[Math.min(F - 1, k + 1)]!;
    smooth[k] = (l + 2 * excess[k]! + r) / 4;
  }
  let peak = 0;
  for (let k = 0; k < F; k++) peak = Math.max(peak, smooth[k]!);
  let total = 0;
  for (let k = 0; k < F; k++) {
    smooth[k] = Math.max(smooth[k]!, peak * 0.01, 1e-9);
    total += smooth[k]!;
  }
  const density = new Float64Array(F);
  for (let k = 0; k < F; k++) density[k] = smooth[k]! / total / (edges[k + 1]! - edges[k]!);
  return density;
}

function densityAt(edges: Float64Array, density: Float64Array, lag: number): number {
  if (lag < edges[0]! || lag >= edges[edges.length - 1]!) return 0;
  let lo = 0;
  let hi = edges.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! <= lag) lo = mid;
    else hi = mid;
  }
  return density[lo]!;
}

/** Fits the EM for candidates sharing one event series; results in input order. Stops early once converged. */
export function attributeEventSeries(series: readonly Series[], inputs: readonly AttributionInput[], bucket: number, iterations: number): AttributionResult[] {
  const ev = series[inputs[0]!.event]!.times;
  const nEv = ev.length;
  const C = inputs.length;
  if (nEv === 0) return inputs.map(() => ({ alpha: 0, credited: 0 }));
  const t0 = ev[0]!;
  const nb = Math.floor((ev[nEv - 1]! - t0) / bucket) + 1;
  // Sparse kernel sums phi_c(e) = sum over tags j of c of kernel_c(t_e - t_j), for events with any.
  const rowStart: number[] = [0];
  const rowBucketList: number[] = [];
  const colList: number[] = [];
  const phiList: number[] = [];
  const ptrLo = new Int32Array(C);
  const ptrHi = new Int32Array(C);
  const bgOnly = new Float64Array(nb);
  for (let e = 0; e < nEv; e++) {
    const t = ev[e]!;
    const before = colList.length;
    for (let c = 0; c < C; c++) {
      const inp = inputs[c]!;
      const tags = series[inp.tag]!.times;
      // Tags with t - end < tag <= t - start.
      let lo = ptrLo[c]!;
      while (lo < tags.length && tags[lo]! <= t - inp.end) lo++;
      ptrLo[c] = lo;
      let hi = Math.max(ptrHi[c]!, lo);
      while (hi < tags.length && tags[hi]! <= t - inp.start) hi++;
      ptrHi[c] = hi;
      let phi = 0;
      for (let j = lo; j < hi; j++) phi += densityAt(inp.edges, inp.density, t - tags[j]!);
      if (phi > 0) {
        colList.push(c);
        phiList.push(phi);
      }
    }
    const b = Math.floor((t - t0) / bucket);
    if (colList.length > before) {
      rowBucketList.push(b);
      rowStart.push(colList.length);
    } else bgOnly[b]!++;
  }
  const rows = rowBucketList.length;
  const rowBucket = Int32Array.from(rowBucketList);
  const starts = Int32Array.from(rowStart);
  const cols = Int32Array.from(colList);
  const phis = Float64Array.from(phiList);
  const nTags = inputs.map((inp) => Math.max(1, series[inp.tag]!.times.length));
  const mu = new Float64Array(nb);
  for (let e = 0; e < nEv; e++) mu[Math.floor((ev[e]! - t0) / bucket)]! += 1 / bucket;
  const alpha = new Float64Array(C).fill(0.5);
  const credit = new Float64Array(C);
  const bgResp = new Float64Array(nb);
  for (let it = 0; it < iterations; it++) {
    credit.fill(0);
    bgResp.set(bgOnly);
    for (let r = 0; r < rows; r++) {
      const b = rowBucket[r]!;
      const x0 = starts[r]!;
      const x1 = starts[r + 1]!;
      let lambda = mu[b]!;
      for (let x = x0; x < x1; x++) lambda += alpha[cols[x]!]! * phis[x]!;
      if (!(lambda > 0)) continue;
      bgResp[b]! += mu[b]! / lambda;
      for (let x = x0; x < x1; x++) credit[cols[x]!]! += (alpha[cols[x]!]! * phis[x]!) / lambda;
    }
    let change = 0;
    for (let c = 0; c < C; c++) {
      const a = credit[c]! / nTags[c]!;
      change = Math.max(change, Math.abs(a - alpha[c]!) / Math.max(a, 1e-6));
      alpha[c] = a;
    }
    for (let b = 0; b < nb; b++) mu[b] = bgResp[b]! / bucket;
    if (change < 1e-4) break;
  }
  return inputs.map((_, c) => ({ alpha: alpha[c]!, credited: credit[c]! }));
}
