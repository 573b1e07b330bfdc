// The engine service's bounded record window: a columnar ring holding at most `capacity` records no
// older than `spanUs` behind the newest; what falls out is counted. Snapshots feed the learner.

import type { SmartRecord } from '../protocol/record.ts';
import { SeriesStore, type SeriesKey } from '../protocol/series-store.ts';

export interface WindowStats {
  /** Records dropped because the window was full. */
  evictedByCount: number;
  /** Records dropped because they fell out of the time span. */
  evictedByTime: number;
  /** Records refused because their series would exceed the series limit. */
  refusedSeries: number;
}

export class RecordWindow {
  readonly stats: WindowStats = { evictedByCount: 0, evictedByTime: 0, refusedSeries: 0 };
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private readonly sids: Int32Array;
  private readonly keys: SeriesKey[] = [];
  private readonly index = new Map<string, number>();
  private head = 0;
  private count = 0;
  private newest = -Infinity;

  constructor(
    readonly capacity: number,
    /** Time span kept behind the newest record, microseconds. */
    readonly spanUs: number,
    /** Most distinct (kind, name, locale) series kept. */
    readonly maxSeries = 100_000,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`window capacity must be a positive integer, got ${capacity}`);
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.sids = new Int32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  get seriesCount(): number {
    return this.keys.length;
  }

  /** The key of series `sid` (as `add` returned it). */
  key(sid: number): SeriesKey {
    return this.keys[sid]!;
  }

  /** Adds a valid record; returns its series id, or -1 when refused (series limit). */
  add(r: SmartRecord): number {
    const k = `${r.kind}\u0000${r.name}\u0000${r.locale}`;
    let sid = this.index.get(k);
    if (sid === undefined) {
      if (this.keys.length >= this.maxSeries) {
        this.stats.refusedSeries++;
        return -1;
      }
      sid = this.keys.length;
      this.index.set(k, sid);
      this.keys.push({ kind: r.kind, name: r.name, locale: r.locale });
    }
    if (this.count === this.capacity) {
      this.head = (this.head + 1) % this.capacity;
      this.count--;
      this.stats.evictedByCount++;
    }
    const at = (this.head + this.count) % this.capacity;
    this.times[at] = r.time;
    this.values[at] = r.value;
    this.sids[at] = sid;
    this.count++;
    if (r.time > this.newest) this.newest = r.time;
    this.evictOld();
    return sid;
  }

  private evictOld(): void {
    const limit = this.newest - this.spanUs;
    while (this.count > 0 && this.times[this.head]! < limit) {
      this.head = (this.head + 1) % this.capacity;
      this.count--;
      this.stats.evictedByTime++;
    }
  }

  /** A SeriesStore holding a copy of the window's records (series sorted by time on `finish()`). */
  snapshot(): SeriesStore {
    const store = new SeriesStore();
    const ids = new Int32Array(this.keys.length).fill(-1);
    for (let i = 0; i < this.count; i++) {
      const at = (this.head + i) % this.capacity;
      const sid = this.sids[at]!;
      let id = ids[sid]!;
      if (id < 0) {
        const key = this.keys[sid]!;
        id = ids[sid] = store.seriesId(key.kind, key.name, key.locale);
      }
      store.append(id, this.times[at]!, this.values[at]!);
    }
    return store;
  }
}
