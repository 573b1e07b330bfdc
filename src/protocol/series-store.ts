// Columnar, append-only storage of records grouped by series (kind, name, locale): what readers fill and
// the learner reads. Per-series chunks of Float64Arrays (never copied while growing) keep memory near 16
// bytes per record; finish() joins each series into one sorted pair of arrays.

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
  /** Per series: the chunk being filled and how much of it is used. */
  private times: Float64Array[] = [];
  private values: Float64Array[] = [];
  private lengths: number[] = [];
  /** Per series: full chunks before the current one, and their record count. */
  private fullTimes: Float64Array[][] = [];
  private fullValues: Float64Array[][] = [];
  private fullCount: number[] = [];
  /** Per series: the latest time appended (or, after finish, the largest), to notice unsorted input. */
  private last: number[] = [];
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
      this.times.push(new Float64Array(FIRST_CHUNK));
      this.values.push(new Float64Array(FIRST_CHUNK));
      this.lengths.push(0);
      this.fullTimes.push([]);
      this.fullValues.push([]);
      this.fullCount.push(0);
      this.last.push(-Infinity);
      this.sorted.push(true);
    }
    return id;
  }

  append(id: number, time: number, value: number): void {
    let n = this.lengths[id]!;
    let t = this.times[id]!;
    if (n === t.length) {
      t = this.nextChunk(id);
      n = 0;
    }
    if (time < this.last[id]!) this.sorted[id] = false;
    this.last[id] = time;
    t[n] = time;
    this.values[id]![n] = value;
    this.lengths[id] = n + 1;
    this.total++;
  }

  add(r: SmartRecord): void {
    this.append(this.seriesId(r.kind, r.name, r.locale), r.time, r.value);
  }

  /**
   * Trimmed, time-sorted series. The store stays usable: it keeps the returned arrays as its content
   * (appending after finish starts new chunks; a later finish includes everything).
   */
  finish(): Series[] {
    const out: Series[] = [];
    for (let id = 0; id < this.keys.length; id++) {
      let times = this.concat(this.fullTimes[id]!, this.times[id]!, id);
      let values = this.concat(this.fullValues[id]!, this.values[id]!, id);
      if (!this.sorted[id]) [times, values] = sortByTime(times, values);
      this.sorted[id] = true;
      if (times.length > 0) this.last[id] = times[times.length - 1]!;
      this.fullTimes[id] = [times];
      this.fullValues[id] = [values];
      this.fullCount[id] = times.length;
      this.times[id] = EMPTY;
      this.values[id] = EMPTY;
      this.lengths[id] = 0;
      out.push({ id, key: this.keys[id]!, times, values });
    }
    return out;
  }

  /** Retires the full current chunk of series `id` and starts a new one (about half the series so far). */
  private nextChunk(id: number): Float64Array {
    const n = this.lengths[id]!;
    if (n > 0) {
      this.fullTimes[id]!.push(this.times[id]!);
      this.fullValues[id]!.push(this.values[id]!);
      this.fullCount[id]! += n;
    }
    const size = Math.min(MAX_CHUNK, Math.max(FIRST_CHUNK, this.fullCount[id]! >> 1));
    const t = new Float64Array(size);
    this.times[id] = t;
    this.values[id] = new Float64Array(size);
    this.lengths[id] = 0;
    return t;
  }

  private concat(full: Float64Array[], current: Float64Array, id: number): Float64Array<ArrayBuffer> {
    const n = this.lengths[id]!;
    if (full.length === 1 && n === 0 && full[0]!.length === this.fullCount[id]) return full[0]! as Float64Array<ArrayBuffer>;
    const out = new Float64Array(this.fullCount[id]! + n);
    let at = 0;
    for (const c of full) {
      out.set(c, at);
      at += c.length;
    }
    out.set(current.subarray(0, n), at);
    return out;
  }
}

const FIRST_CHUNK = 16;
/** Largest chunk: 64 Ki records (512 KiB per column), so the unused tail of a series stays small. */
const MAX_CHUNK = 1 << 16;
const EMPTY = new Float64Array(0);

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
