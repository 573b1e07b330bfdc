// Columnar, append-only storage of records grouped by series (kind, name, locale): what readers fill and
// the learner reads. Appends go to a sequential log (20 bytes per record, fast whatever the number of series);
// finish() distributes the log into one time-sorted pair of Float64Arrays per series (16 bytes per record),
// so memory peaks near 36 bytes per record.

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
  /** Full log chunks of records appended since the last finish(). */
  private logIds: Int32Array[] = [];
  private logTimes: Float64Array[] = [];
  private logValues: Float64Array[] = [];
  /** The log chunk being filled. */
  private ids = new Int32Array(0);
  private times = new Float64Array(0);
  private values = new Float64Array(0);
  private used = 0;
  /** Per series: the arrays of the last finish() (the store's content before the log), or null. */
  private doneTimes: (Float64Array<ArrayBuffer> | null)[] = [];
  private doneValues: (Float64Array<ArrayBuffer> | null)[] = [];
  private doneCount: number[] = [];
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
      this.doneTimes.push(null);
      this.doneValues.push(null);
      this.doneCount.push(0);
    }
    return id;
  }

  append(id: number, time: number, value: number): void {
    if (!(id >= 0 && id < this.keys.length)) throw new RangeError(`unknown series id ${id}`);
    let n = this.used;
    if (n === this.ids.length) n = this.nextLogChunk();
    this.ids[n] = id;
    this.times[n] = time;
    this.values[n] = value;
    this.used = n + 1;
    this.total++;
  }

  add(r: SmartRecord): void {
    this.append(this.seriesId(r.kind, r.name, r.locale), r.time, r.value);
  }

  /**
   * Trimmed, time-sorted series (ties keep arrival order), each with its own buffers. The store stays usable:
   * it keeps the returned arrays as its content, so appending afterwards and finishing again gives everything
   * (unless the arrays were transferred meanwhile, which that later finish() reports).
   */
  finish(): Series[] {
    const S = this.keys.length;
    const chunks = this.logChunks();
    const fill = new Float64Array(S);
    const counts = new Float64Array(S);
    for (let id = 0; id < S; id++) {
      const done = this.doneTimes[id];
      if (done && (done.length !== this.doneCount[id] || this.doneValues[id]!.length !== this.doneCount[id])) {
        throw new Error(`series ${id}: the arrays of an earlier finish() were transferred or replaced`);
      }
      fill[id] = counts[id] = done ? done.length : 0;
    }
    for (const c of chunks) for (let i = 0; i < c.n; i++) counts[c.ids[i]!]++;
    const outTimes: Float64Array<ArrayBuffer>[] = [];
    const outValues: Float64Array<ArrayBuffer>[] = [];
    for (let id = 0; id < S; id++) {
      const t = new Float64Array(counts[id]!);
      const v = new Float64Array(counts[id]!);
      const done = this.doneTimes[id];
      if (done) {
        t.set(done);
        v.set(this.doneValues[id]!);
      }
      outTimes.push(t);
      outValues.push(v);
    }
    for (const { n, ids, times, values } of chunks) {
      for (let i = 0; i < n; i++) {
        const id = ids[i]!;
        const p = fill[id]!;
        outTimes[id]![p] = times[i]!;
        outValues[id]![p] = values[i]!;
        fill[id] = p + 1;
      }
    }
    this.resetLog();
    const out: Series[] = [];
    for (let id = 0; id < S; id++) {
      let times = outTimes[id]!;
      let values = outValues[id]!;
      if (!isSorted(times)) [times, values] = sortByTime(times, values);
      this.doneTimes[id] = times;
      this.doneValues[id] = values;
      this.doneCount[id] = times.length;
      out.push({ id, key: this.keys[id]!, times, values });
    }
    return out;
  }

  /** Retires the full log chunk and starts the next (1 Ki records, doubling up to 64 Ki). */
  private nextLogChunk(): number {
    if (this.used > 0) {
      this.logIds.push(this.ids);
      this.logTimes.push(this.times);
      this.logValues.push(this.values);
    }
    const size = Math.min(MAX_LOG_CHUNK, Math.max(FIRST_LOG_CHUNK, this.ids.length * 2));
    this.ids = new Int32Array(size);
    this.times = new Float64Array(size);
    this.values = new Float64Array(size);
    this.used = 0;
    return 0;
  }

  private logChunks(): { n: number; ids: Int32Array; times: Float64Array; values: Float64Array }[] {
    const out = this.logIds.map((ids, i) => ({ n: ids.length, ids, times: this.logTimes[i]!, values: this.logValues[i]! }));
    if (this.used > 0) out.push({ n: this.used, ids: this.ids, times: this.times, values: this.values });
    return out;
  }

  private resetLog(): void {
    this.logIds = [];
    this.logTimes = [];
    this.logValues = [];
    this.ids = new Int32Array(0);
    this.times = new Float64Array(0);
    this.values = new Float64Array(0);
    this.used = 0;
  }
}

const FIRST_LOG_CHUNK = 1 << 10;
const MAX_LOG_CHUNK = 1 << 16;

function isSorted(times: Float64Array): boolean {
  for (let i = 1; i < times.length; i++) if (times[i - 1]! > times[i]!) return false;
  return true;
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
