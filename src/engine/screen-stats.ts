// Screening (every candidate, one pointer per tag): the lag from each tag to the first event after it and
// to the last event before it. For a tag independent of the events the two lags have the same distribution
// (also under bursts and slow load cycles); a cause shows as an excess of short forward lags. Histograms
// are sums, so slices merge by addition.

import { anchorIndices, type TimeRange } from './time-range.ts';
import { advance, lowerBound } from './sorted-search.ts';

/**
 * Maps an integer lag (µs) to its bin in O(1): octave from clz32, 16 sub-steps per octave from the next
 * bits, a table lookup giving the lowest possible bin, then at most a few comparisons against the edges.
 */
export class LagBinner {
  readonly bins: number;
  readonly horizon: number;
  private readonly table: Int32Array;
  constructor(readonly edges: Float64Array) {
    this.bins = edges.length - 1;
    this.horizon = edges[this.bins]!;
    if (!(this.horizon < 2 ** 31)) throw new Error(`horizon: must be below 2^31 µs (~35 min), got ${this.horizon}`);
    this.table = new Int32Array(32 * 16);
    for (let oct = 0; oct < 32; oct++) {
      for (let sub = 0; sub < 16; sub++) {
        // Smallest lag with this (octave, sub-step) key.
        const lo = oct < 4 ? (oct === 0 ? 0 : (1 << oct) + ((sub << oct) >>> 4)) : 2 ** oct + sub * 2 ** (oct - 4);
        let k = 0;
        while (k < this.bins - 1 && lo >= edges[k + 1]!) k++;
        this.table[oct * 16 + sub] = k;
      }
    }
  }
  /** Bin of an integer lag in [0, horizon). */
  bin(lag: number): number {
    const x = lag | 0;
    const oct = 31 - Math.clz32(x);
    const sub = oct >= 4 ? (x >>> (oct - 4)) & 15 : oct > 0 ? ((x - (1 << oct)) << 4) >>> oct : 0;
    let k = this.table[(oct < 0 ? 0 : oct) * 16 + sub]!;
    const e = this.edges;
    const last = this.bins - 1;
    while (k < last && lag >= e[k + 1]!) k++;
    return k;
  }
}

/**
 * Adds forward first-lag counts to out[at .. at+B) and backward last-lag counts to out[at+B .. at+2B),
 * for every `stride`-th tag (global index multiple of stride, so slices agree with one pass).
 */
export function addFirstLags(tagTimes: Float64Array, eventTimes: Float64Array, range: TimeRange, binner: LagBinner, out: Float64Array, at: number, stride = 1): void {
  let [i0, i1] = anchorIndices(tagTimes, range);
  i0 = Math.ceil(i0 / stride) * stride;
  const n = eventTimes.length;
  if (i0 >= i1 || n === 0) return;
  const B = binner.bins;
  const horizon = binner.horizon;
  let p = lowerBound(eventTimes, tagTimes[i0]!);
  for (let i = i0; i < i1; i += stride) {
    const t = tagTimes[i]!;
    p = advance(eventTimes, p, t);
    if (p < n) {
      const lag = eventTimes[p]! - t;
      if (lag < horizon) out[at + binner.bin(lag)]!++;
    }
    if (p > 0) {
      const lag = t - eventTimes[p - 1]!;
      if (lag < horizon) out[at + B + binner.bin(lag)]!++;
    }
  }
}

/** Largest z over lag-bin intervals of forward against backward counts (two-sample Poisson). */
export function firstLagScore(stats: Float64Array, at: number, B: number): number {
  let best = 0;
  for (let i = 0; i < B; i++) {
    let f = 0;
    let b = 0;
    for (let j = i; j < B; j++) {
      f += stats[at + j]!;
      b += stats[at + B + j]!;
      const z = (f - b) / Math.sqrt(f + b + 1);
      if (z > best) best = z;
    }
  }
  return best;
}
