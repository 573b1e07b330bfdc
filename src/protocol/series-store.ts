// Columnar, append-only storage of records grouped by series (kind, name, locale): what readers fill and
// the learner reads. Appends go to a sequential log, fast whatever the number of series and compact (12 bytes
// per record while times stay within ±35 minutes of their chunk's first and values are int32, else up to 20);
// finish() distributes it into one time-sorted pair of Float64Arrays per series (16 bytes per record).

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

/** Series ids 0, 1, ... in order of first use of each (kind, name, locale). */
export class SeriesKeys {
  readonly keys: SeriesKey[] = [];
  private readonly index = new Map<string, number>();

  /** Id of a series, created on first use (a new one is `keys.length - 1`). */
  id(kind: Kind, name: string, locale: string): number {
    const k = `${kind}\u0000${name}\u0000${locale}`;
    let id = this.index.get(k);
    if (id === undefined) {
      id = this.keys.length;
      this.index.set(k, id);
      this.keys.push({ kind, name, locale });
    }
    return id;
  }
}

/** One chunk of the append log: times as int32 offsets from `base` or as doubles; values as int32 or doubles. */
class LogChunk {
  readonly ids: Int32Array;
  timeOffsets: Int32Array | null;
  times: Float64Array | null = null;
  valueInts: Int32Array | null;
  values: Float64Array | null = null;
  n = 0;

  constructor(
    size: number,
    readonly base: number,
  ) {
    this.ids = new Int32Array(size);
    this.timeOffsets = new Int32Array(size);
    this.valueInts = new Int32Array(size);
  }

  /** Switches the times to doubles (a time did not fit as an int32 offset). */
  widenTimes(): Float64Array {
    const t = new Float64Array(this.ids.length);
    const offsets = this.timeOffsets!;
    for (let i = 0; i < this.n; i++) t[i] = this.base + offsets[i]!;
    this.timeOffsets = null;
    this.times = t;
    return t;
  }

  /** Switches the values to doubles (a value was not an int32). */
  widenValues(): Float64Array {
    const v = new Float64Array(this.ids.length);
    const ints = this.valueInts!;
    for (let i = 0; i < this.n; i++) v[i] = ints[i]!;
    this.valueInts = null;
    this.values = v;
    return v;
  }
}

export class SeriesStore {
  private readonly series = new SeriesKeys();
  readonly keys: SeriesKey[] = this.series.keys;
  /** Log chunks of records appended since the last finish(); the last one is being filled. */
  private log: LogChunk[] = [];
  private current: LogChunk | null = null;
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
    const id = this.series.id(kind, name, locale);
    if (id === this.doneTimes.length) {
      this.doneTimes.push(null);
      this.doneValues.push(null);
      this.doneCount.push(0);
    }
    return id;
  }

  append(id: number, time: number, value: number): void {
    if (!(id >= 0 && id < this.keys.length)) throw new RangeError(`unknown series id ${id}`);
    let c = this.current;
    if (c === null || c.n === c.ids.length) c = this.nextLogChunk(time);
    const n = c.n;
    c.ids[n] = id;
    const offsets = c.timeOffsets;
    const offset = time - c.base;
    if (offsets !== null && (offset | 0) === offset) offsets[n] = offset;
    else (c.times ?? c.widenTimes())[n] = time;
    const ints = c.valueInts;
    if (ints !== null && (value | 0) === value && (value !== 0 || 1 / value > 0)) ints[n] = value;
    else (c.values ?? c.widenValues())[n] = value;
    c.n = n + 1;
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
    const chunks = this.log;
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
    for (const c of chunks) {
      const { n, ids, base, timeOffsets, times, valueInts, values } = c;
      for (let i = 0; i < n; i++) {
        const id = ids[i]!;
        const p = fill[id]!;
        outTimes[id]![p] = timeOffsets !== null ? base + timeOffsets[i]! : times![i]!;
        outValues[id]![p] = valueInts !== null ? valueInts[i]! : values![i]!;
        fill[id] = p + 1;
      }
    }
    this.log = [];
    this.current = null;
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

  /** Starts the next log chunk (1 Ki records, doubling up to 64 Ki), its time offsets counted from `time`. */
  private nextLogChunk(time: number): LogChunk {
    const size = Math.min(MAX_LOG_CHUNK, Math.max(FIRST_LOG_CHUNK, (this.current?.ids.length ?? 0) * 2));
    const c = new LogChunk(size, Number.isSafeInteger(time) ? time : 0);
    this.log.push(c);
    this.current = c;
    return c;
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
