// The engine service's path to the DuckDB store: a bounded queue of accepted records (columnar, in the
// store) committed on a timer or when enough is queued, never from the bus handler; what does not fit is
// counted, and on a durable bus refused for redelivery (back-pressure) rather than acknowledged unpersisted.

import type { DuckdbStore } from '../store/duckdb-store.ts';
import type { SeriesKey } from '../protocol/series-store.ts';

export interface PersistOptions {
  /** Most records queued for the store; beyond, batches are refused (back-pressure) or not persisted (counted). */
  maxQueuedRecords: number;
  /** Commit period. */
  flushIntervalMs: number;
  /** A commit starts at once when this many records are queued. */
  flushRecords: number;
  onError: (err: Error) => void;
}

export interface PersistStats {
  /** Records committed to the store. */
  persisted: number;
  /** Records waiting for a commit. */
  persistQueued: number;
  /** Accepted records not persisted because the queue was full (bus without redelivery). */
  persistDropped: number;
  /** Batches refused because the queue was full, to be redelivered by the durable bus. */
  persistDeferredBatches: number;
  persistCommits: number;
  persistFailures: number;
}

export class RecordPersister {
  /** Store series id per window series id, -1 when not looked up yet. */
  private sids = new Int32Array(1024).fill(-1);
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private soon = false;

  constructor(
    readonly store: DuckdbStore,
    /** Updated in place (the engine's stats object). */
    readonly stats: PersistStats,
    private readonly opts: PersistOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs);
    this.timer.unref();
  }

  /** Whether `n` more records fit in the queue. */
  hasRoom(n: number): boolean {
    return this.store.unflushed + n <= this.opts.maxQueuedRecords;
  }

  /** Queues one record of window series `windowSid` (whose key is `key(windowSid)`). */
  push(windowSid: number, key: (sid: number) => SeriesKey, time: number, value: number): void {
    if (windowSid >= this.sids.length) {
      const grown = new Int32Array(Math.max(windowSid + 1, this.sids.length * 2)).fill(-1);
      grown.set(this.sids);
      this.sids = grown;
    }
    let sid = this.sids[windowSid]!;
    if (sid < 0) {
      const k = key(windowSid);
      sid = this.sids[windowSid] = this.store.seriesId(k.kind, k.name, k.locale);
    }
    this.store.appendRow(time, sid, value);
  }

  /** Counts records that did not fit; starts a commit early when the queue is long. */
  afterBatch(dropped: number): void {
    this.stats.persistDropped += dropped;
    this.stats.persistQueued = this.store.unflushed;
    if (this.store.unflushed >= this.opts.flushRecords && !this.flushing && !this.soon) {
      this.soon = true;
      setImmediate(() => {
        this.soon = false;
        void this.flush();
      });
    }
  }

  /** A batch refused for redelivery. */
  deferred(): void {
    this.stats.persistDeferredBatches++;
  }

  /** Resolves when everything queued so far is committed (for acknowledging a batch on a durable bus). */
  committed(): Promise<void> {
    return this.store.whenCommitted();
  }

  /** Commits what is queued (one commit at a time; a failure is counted and retried by the next one). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.store
      .flush()
      .catch((err: Error) => {
        this.stats.persistFailures++;
        this.opts.onError(err);
      })
      .finally(() => {
        this.flushing = null;
        this.stats.persisted = this.store.committedRows;
        this.stats.persistCommits = this.store.commits;
        this.stats.persistQueued = this.store.unflushed;
      });
    return this.flushing;
  }

  /** Commits everything queued up to now (after a running commit). */
  async flushAll(): Promise<void> {
    await this.flushing;
    await this.flush();
  }

  /** Stops the timer and commits what is left. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flushAll();
  }
}
