// Forwards records to the engine: a bounded queue with a token-bucket rate limit, flushed as RecordBatch
// messages on SUBJECTS.records (with a per-driver sequence number) by size and by timer. Drops are counted.

import { randomBytes } from 'node:crypto';
import type { Bus } from '../bus/bus.ts';
import { SUBJECTS, type RecordBatch } from '../bus/messages.ts';
import type { SmartRecord } from '../protocol/record.ts';
import { countDrop, type DriverCounters } from './counters.ts';

export interface ForwarderOptions {
  driver: string;
  /** Records per RecordBatch (default 2000). */
  batchMaxRecords?: number;
  /** Longest a record waits before its batch leaves (default 20 ms). */
  batchIntervalMs?: number;
  /** Records queued at most; beyond, new records are dropped and counted (default 100000). */
  maxQueuedRecords?: number;
  /** Sustained records per second forwarded; beyond, dropped and counted (default 5,000,000). */
  maxRecordsPerSecond?: number;
}

export class RecordForwarder {
  private queue: SmartRecord[] = [];
  private seq = 0;
  /** This start's boot id: the engine counts seqs within it (RecordBatch.boot). */
  private readonly boot = randomBytes(6).toString('hex');
  private readonly batchMax: number;
  private readonly maxQueued: number;
  private readonly rate: number;
  private tokens: number;
  private lastRefill = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly bus: Bus,
    private readonly counters: DriverCounters,
    private readonly opts: ForwarderOptions,
  ) {
    this.batchMax = Math.max(1, opts.batchMaxRecords ?? 2000);
    this.maxQueued = Math.max(this.batchMax, opts.maxQueuedRecords ?? 100_000);
    this.rate = opts.maxRecordsPerSecond ?? 5_000_000;
    this.tokens = this.rate;
    this.timer = setInterval(() => this.flush(), Math.max(1, opts.batchIntervalMs ?? 20));
    this.timer.unref();
  }

  /** Queues records for the engine; returns how many were accepted. */
  push(records: readonly SmartRecord[]): number {
    let n = records.length;
    if (n === 0) return 0;
    const allowed = this.takeTokens(n);
    if (allowed < n) countDrop(this.counters, 'rate-limit', n - allowed);
    const room = this.maxQueued - this.queue.length;
    n = Math.min(allowed, room);
    if (n < allowed) countDrop(this.counters, 'queue-full', allowed - n);
    for (let i = 0; i < n; i++) this.queue.push(records[i]!);
    if (this.queue.length >= this.batchMax) this.flush();
    return n;
  }

  flush(): void {
    while (this.queue.length > 0) {
      const records = this.queue.length <= this.batchMax ? this.queue : this.queue.slice(0, this.batchMax);
      this.queue = records === this.queue ? [] : this.queue.slice(this.batchMax);
      const batch: RecordBatch = { driver: this.opts.driver, seq: ++this.seq, boot: this.boot, records };
      try {
        this.bus.publish(SUBJECTS.records, batch);
        this.counters.recordsPublished += records.length;
        this.counters.batchesPublished++;
      } catch {
        countDrop(this.counters, 'bus', records.length);
      }
    }
  }

  get queued(): number {
    return this.queue.length;
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }

  private takeTokens(n: number): number {
    if (!Number.isFinite(this.rate)) return n;
    const now = performance.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.lastRefill) / 1000) * this.rate);
    this.lastRefill = now;
    const take = Math.min(n, Math.floor(this.tokens));
    this.tokens -= take;
    return take;
  }
}
