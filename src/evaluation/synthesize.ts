// The scenario generator's public API: synthesize(options) gives the topology, the truth and a streaming,
// time-ordered record sequence (chunks of columns, SmartRecords, or straight into a SeriesStore), produced
// slice by slice so that memory stays bounded whatever the scenario size.

import type { SmartRecord } from '../protocol/record.ts';
import { SeriesStore, type SeriesKey } from '../protocol/series-store.ts';
import { planScenario, type ResolvedOptions, type ScenarioOptions, type ScenarioPlan } from './scenario.ts';
import type { LeafSpineDoc } from './topology.ts';
import type { TruthDoc } from './truth.ts';

export { SCENARIOS, type ScenarioName, type ScenarioOptions } from './scenario.ts';

/** A time-ordered run of records as columns; `series[i]` indexes `Scenario.series`. Times are absolute µs. */
export interface RecordChunk {
  length: number;
  times: Float64Array;
  series: Int32Array;
  values: Float64Array;
}

/** Records buffered per slice before they are sorted and released (sets the slice length). */
export const TARGET_RECORDS_PER_SLICE = 200_000;

export class Scenario {
  readonly options: ResolvedOptions;
  readonly topology: LeafSpineDoc;
  readonly truth: TruthDoc;
  readonly series: readonly SeriesKey[];
  /** Expected number of records (the realised count differs by sampling noise). */
  readonly expectedRecords: number;
  private used = false;

  constructor(private readonly plan: ScenarioPlan) {
    this.options = plan.options;
    this.topology = plan.topology;
    this.truth = plan.truth;
    this.series = plan.series;
    this.expectedRecords = Math.round((plan.expectedRate * plan.options.durationUs) / 1e6);
  }

  /** The records in time order (ties in generation order), chunk by chunk. A scenario can be read once. */
  *chunks(): Generator<RecordChunk> {
    if (this.used) throw new Error('scenario records were already read; call synthesize() again for a second pass');
    this.used = true;
    const { sources } = this.plan;
    const duration = this.options.durationUs;
    const start = this.options.startUs;
    const { clockOffset, polled, pollUs } = this.plan.observation;
    const maxBack = sources.reduce((m, s) => Math.max(m, s.maxBack), 0) + this.options.clockSkewUs;
    const slice = Math.max(250e3, maxBack * 2, Math.min(600e6, Math.round((TARGET_RECORDS_PER_SLICE / Math.max(1, this.plan.expectedRate)) * 1e6)));
    const pending = new PendingRecords();
    const emit = (t: number, s: number, v: number) => {
      let at = t + clockOffset[s]!;
      if (pollUs > 0 && polled[s] === 1) at = Math.ceil(at / pollUs) * pollUs;
      if (at >= 0 && at < duration) pending.push(at, s, v);
    };
    for (let d = 0; d < duration; d += slice) {
      const end = Math.min(duration, d + slice);
      for (const src of sources) src.generate(d, end, emit);
      const chunk = pending.release(end >= duration ? Infinity : end - maxBack, start, pollUs > 0 ? polled : null);
      if (chunk.length > 0) yield chunk;
    }
  }

  *records(): Generator<SmartRecord> {
    for (const c of this.chunks()) {
      for (let i = 0; i < c.length; i++) {
        const k = this.series[c.series[i]!]!;
        yield { time: c.times[i]!, locale: k.locale, kind: k.kind, name: k.name, value: c.values[i]! };
      }
    }
  }

  /** Appends every record to a SeriesStore (a new one unless given); returns it. */
  fillStore(store = new SeriesStore()): SeriesStore {
    const ids = this.series.map((k) => store.seriesId(k.kind, k.name, k.locale));
    for (const c of this.chunks()) {
      for (let i = 0; i < c.length; i++) store.append(ids[c.series[i]!]!, c.times[i]!, c.values[i]!);
    }
    return store;
  }
}

export function synthesize(options: ScenarioOptions): Scenario {
  return new Scenario(planScenario(options));
}

/** Generated-but-unreleased records (times relative to the scenario start), released in time order. */
class PendingRecords {
  private times = new Float64Array(1024);
  private series = new Int32Array(1024);
  private values = new Float64Array(1024);
  private n = 0;

  push(t: number, s: number, v: number): void {
    if (this.n === this.times.length) this.grow();
    this.times[this.n] = t;
    this.series[this.n] = s;
    this.values[this.n] = v;
    this.n++;
  }

  private grow(): void {
    const size = this.times.length * 2;
    const t = new Float64Array(size);
    t.set(this.times);
    const s = new Int32Array(size);
    s.set(this.series);
    const v = new Float64Array(size);
    v.set(this.values);
    this.times = t;
    this.series = s;
    this.values = v;
  }

  /** Removes and returns, sorted by time (stable), every record with time < cutoff, shifted by `offset`.
   *  Records of a `merged` series at the same instant become one record with the summed value. */
  release(cutoff: number, offset: number, merged: Uint8Array | null): RecordChunk {
    const out = new Int32Array(this.n);
    let count = 0;
    let keep = 0;
    let base = Infinity;
    let top = -Infinity;
    for (let i = 0; i < this.n; i++) {
      const t = this.times[i]!;
      if (t < cutoff) {
        out[count++] = i;
        if (t < base) base = t;
        if (t > top) top = t;
      }
    }
    const order = this.sortedOrder(out.subarray(0, count), base, top);
    const chunk: RecordChunk = { length: 0, times: new Float64Array(count), series: new Int32Array(count), values: new Float64Array(count) };
    let n = 0;
    if (merged === null) {
      for (let j = 0; j < count; j++) {
        const i = order[j]!;
        chunk.times[j] = this.times[i]! + offset;
        chunk.series[j] = this.series[i]!;
        chunk.values[j] = this.values[i]!;
      }
      n = count;
    } else {
      const atInstant = new Map<number, number>();
      for (let j = 0; j < count; j++) {
        const i = order[j]!;
        const t = this.times[i]! + offset;
        const s = this.series[i]!;
        if (n > 0 && chunk.times[n - 1] !== t) atInstant.clear();
        const same = merged[s] === 1 ? atInstant.get(s) : undefined;
        if (same !== undefined) {
          chunk.values[same] += this.values[i]!;
          continue;
        }
        if (merged[s] === 1) atInstant.set(s, n);
        chunk.times[n] = t;
        chunk.series[n] = s;
        chunk.values[n] = this.values[i]!;
        n++;
      }
    }
    chunk.length = n;
    for (let i = 0; i < this.n; i++) {
      if (this.times[i]! >= cutoff) {
        this.times[keep] = this.times[i]!;
        this.series[keep] = this.series[i]!;
        this.values[keep] = this.values[i]!;
        keep++;
      }
    }
    this.n = keep;
    return chunk;
  }

  /** Indices ordered by (time, index): a stable LSD radix sort of the integer µs offsets from `base` on
   *  16-bit digits (two passes at most); a comparison sort only if the slice spans 2^32 µs or more. */
  private sortedOrder(idx: Int32Array, base: number, top: number): ArrayLike<number> {
    if (!(top - base < 2 ** 32)) return [...idx].sort((a, b) => this.times[a]! - this.times[b]! || a - b);
    let src: Int32Array = idx;
    let dst: Int32Array = new Int32Array(idx.length);
    const count = new Int32Array(0x10001);
    for (let shift = 0; shift < 32; shift += 16) {
      if (shift > 0 && top - base < 0x10000) break;
      count.fill(0);
      for (let j = 0; j < src.length; j++) count[(((this.times[src[j]!]! - base) >>> shift) & 0xffff) + 1]!++;
      for (let d = 1; d < count.length; d++) count[d]! += count[d - 1]!;
      for (let j = 0; j < src.length; j++) dst[count[((this.times[src[j]!]! - base) >>> shift) & 0xffff]!++] = src[j]!;
      [src, dst] = [dst, src];
    }
    return src;
  }

}
