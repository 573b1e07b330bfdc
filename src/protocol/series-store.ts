// Columnar, append-only storage of records grouped by series (kind, name, locale): what readers fill and
// the learner reads. Per-series growable Float64Arrays keep memory near 16 bytes per record.

import type { Kind, SmartRecord } from './record.ts';

export interface SeriesKey {
  kind: Kind;
  name: string;
  locale: string;
}

/** One series after `finish()`: times ascending (ties keep arrival order), values aligned. */
export interface Series {
  id: number;
  key: SeriesKey;
  times: Float64Array;
  values: Float64Array;
}

export function seriesKeyString(k: SeriesKey): string {
  return `${k.kind}\u0000${k.name}\u0000${k.locale}`;
}

export class SeriesStore {
  readonly keys: SeriesKey[] = [];
  private readonly index = new Map<string, number>();
  private times: Float64Array[] = [];
  private values: Float64Array[] = [];
  private lengths: number[] = [];
  private sorted: boolean[] = [];
  private total = 0;

  /** Number of records appended. */
  get size(): number {
    return this.total;
  }

  /** Id of a series, created on first use. */
  seriesId(kind: Kind, name: string, locale: string): number {
    const k = `${kind}\u0000${name}\u0000${locale}`;
    let id = this.index.get(k);
    if (id === undefined) {
      id = this.keys.length;
      this.index.set(k, id);
      this.keys.push({ kind, name, locale });
      this.times.push(new Float64Array(16));
      this.values.push(new Float64Array(16));
      this.lengths.push(0);
      this.sorted.push(true);
    }
    return id;
  }

  append(id: number, time: number, value: number): void {
    let n = this.lengths[id]!;
    let t = this.times[id]!;
    if (n === t.length) {
      const bigger = new Float64Array(n * 2);
      bigger.set(t);
      this.times[id] = t = bigger;
      const v = new Float64Array(n * 2);
      v.set(this.values[id]!);
      this.values[id] = v;
    }
    if (n > 0 && t[n - 1]! > time) this.sorted[id] = false;
    t[n] = time;
    this.values[id]![n] = value;
    this.lengths[id] = n + 1;
    this.total++;
  }

  add(r: SmartRecord): void {
    this.append(this.seriesId(r.kind, r.name, r.locale), r.time, r.value);
  }

  /** Trimmed, time-sorted series. The store stays usable (appending after finish starts new buffers). */
  finish(): Series[] {
    const out: Series[] = [];
    for (let id = 0; id < this.keys.length; id++) {
      const n = this.lengths[id]!;
      let times: Float64Array = this.times[id]!.slice(0, n);
      let values: Float64Array = this.values[id]!.slice(0, n);
      if (!this.sorted[id]) [times, values] = sortByTime(times, values);
      out.push({ id, key: this.keys[id]!, times, values });
    }
    return out;
  }
}

function sortByTime(times: Float64Array, values: Float64Array): [Float64Array<ArrayBuffer>, Float64Array<ArrayBuffer>] {
  const order = new Uint32Array(times.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => times[a]! - times[b]! || a - b);
  const t = new Float64Array(times.length);
  const v = new Float64Array(times.length);
  for (let i = 0; i < order.length; i++) {
    t[i] = times[order[i]!]!;
    v[i] = values[order[i]!]!;
  }
  return [t, v];
}
