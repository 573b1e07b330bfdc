// The engine service (S.E., paper 3.4.2): ingests RecordBatches from drivers (seq checked per driver),
// keeps a bounded window, persists records through a bounded queue (committed with the drivers' seq state,
// so redeliveries after a restart are recognised; on a durable bus one acknowledgement promise per batch
// waiting for its commit, shared by its copies), re-learns periodically in a worker thread and publishes
// the signatures on SUBJECTS.signatures when they changed. Answers SUBJECTS.signaturesCurrent requests.

import type { Bus } from '../bus/bus.ts';
import { SUBJECTS, type RecordBatch, type SignaturesUpdate } from '../bus/messages.ts';
import { recordProblem, type SmartRecord } from '../protocol/record.ts';
import type { DuckdbStore } from '../store/duckdb-store.ts';
import type { Signature, SignaturesDoc } from './signature.ts';
import { RecordWindow } from './service-window.ts';
import { SeqTracker } from './service-seq.ts';
import { RecordPersister, type PersistStats } from './service-persist.ts';
import { LearnWorker } from './worker-client.ts';

export interface EngineServiceOptions {
  /** Re-learn period. */
  learnIntervalMs: number;
  /** The window keeps records no older than this behind the newest one. */
  windowMs: number;
  /** The window keeps at most this many records (oldest dropped and counted). */
  windowRecords: number;
  /** No learning below this many records in the window. */
  minRecords: number;
  /** Parameters passed to the learner as they are. */
  learn: Record<string, unknown>;
  /** Topology file for the learner (locales and links), optional. */
  topology?: string;
  /** Persistence; absent = memory only. */
  store?: DuckdbStore;
  /**
   * For a durable bus (redelivery of unacknowledged messages): the handler's promise resolves once the
   * batch is committed (the bus acknowledges then) and rejects when the store queue is full (redelivery).
   * Without it, records that do not fit the queue are taken into the window but not persisted (counted).
   */
  backPressure?: boolean;
  /** Most records waiting for a store commit (default PERSIST_QUEUE_RECORDS; about 20 bytes each). */
  persistQueueRecords?: number;
  /** Store commit period (default PERSIST_INTERVAL_MS). */
  persistIntervalMs?: number;
  /** Records later than now + this are refused (a bad clock would otherwise empty the window). */
  maxFutureMs?: number;
  /** Batches with more records are refused whole (default MAX_BATCH_RECORDS; drivers send at most a few thousand). */
  maxBatchRecords?: number;
  /** Receives problems worth a log line. */
  onProblem?: (what: string, detail: Record<string, unknown>) => void;
  now?: () => number;
}

export interface EngineStats extends PersistStats {
  batches: number;
  tags: number;
  events: number;
  /** Records refused: invalid fields, too far in the future, series limit. */
  rejected: number;
  /** Batches refused because their shape is not a RecordBatch. */
  rejectedBatches: number;
  /** Batches refused because they hold more than maxBatchRecords records. */
  oversizedBatches: number;
  /** Batches whose (driver, seq) was seen already; their records are dropped. */
  duplicateBatches: number;
  /** Batches taken from a durable bus whose acknowledgement waits for their commit (copies share one). */
  persistWaitingBatches: number;
  /** Batches that came after a higher seq of their driver (redelivered or reordered) and filled a gap. */
  lateBatches: number;
  /** Seqs of drivers not seen yet below their highest one (batches missing now). */
  missingBatches: number;
  /** Drivers seen starting over at seq 1 (a restarted driver). */
  driverRestarts: number;
  /** Records evicted from the window (count or time bound). */
  windowEvicted: number;
  windowSize: number;
  learnRuns: number;
  learnFailures: number;
  /** Timer ticks that found a learn still running or too few records. */
  learnSkipped: number;
  lastLearnMs: number;
  generation: number;
  published: number;
}

/** Default of `maxBatchRecords`: larger batches are refused whole. */
export const MAX_BATCH_RECORDS = 50_000;
/** Default of `persistQueueRecords` (about 20 bytes each). */
export const PERSIST_QUEUE_RECORDS = 1_000_000;
/** Default of `persistIntervalMs`. */
export const PERSIST_INTERVAL_MS = 50;

export type LearnOutcome = 'published' | 'unchanged' | 'too-few' | 'busy' | 'failed';

export class EngineService {
  readonly stats: EngineStats = {
    batches: 0, tags: 0, events: 0, rejected: 0, rejectedBatches: 0, oversizedBatches: 0, duplicateBatches: 0, persistWaitingBatches: 0, lateBatches: 0, missingBatches: 0, driverRestarts: 0,
    windowEvicted: 0, windowSize: 0, learnRuns: 0, learnFailures: 0, learnSkipped: 0, lastLearnMs: 0,
    generation: 0, published: 0, persisted: 0, persistQueued: 0, persistDropped: 0, persistDeferredBatches: 0, persistCommits: 0, persistFailures: 0,
  };
  private readonly window: RecordWindow;
  private readonly worker = new LearnWorker();
  private seqs = new SeqTracker();
  private readonly persister: RecordPersister | null;
  /** Durable bus: the acknowledgement of each batch waiting for its commit, by batchKey. */
  private readonly awaiting = new Map<string, Promise<void>>();
  private current: SignaturesUpdate | null = null;
  private currentKey = '';
  private learning: Promise<LearnOutcome> | null = null;
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: Array<() => void> = [];
  private readonly now: () => number;

  constructor(
    private readonly bus: Bus,
    private readonly opts: EngineServiceOptions,
  ) {
    this.window = new RecordWindow(opts.windowRecords, opts.windowMs * 1000);
    this.now = opts.now ?? (() => Date.now() * 1000);
    const queue = opts.persistQueueRecords ?? PERSIST_QUEUE_RECORDS;
    this.persister = opts.store
      ? new RecordPersister(opts.store, this.stats, {
          maxQueuedRecords: queue,
          flushIntervalMs: opts.persistIntervalMs ?? PERSIST_INTERVAL_MS,
          flushRecords: Math.min(200_000, Math.max(1, Math.floor(queue / 4))),
          onError: (err) => this.opts.onProblem?.('persist failed (kept queued, retried)', { error: err.message }),
        })
      : null;
  }

  /** Restores the last stored generation, subscribes to records and starts the learn timer. */
  async start(): Promise<void> {
    if (this.opts.store) {
      this.seqs = new SeqTracker(await this.opts.store.loadDriverSeqs());
      this.opts.store.trackProgress(() => this.seqs.takeDirty());
    }
    const stored = await this.opts.store?.latestSignatures();
    if (stored) {
      this.current = { generation: stored.generation, doc: stored.doc };
      this.currentKey = signatureSetKey(stored.doc);
      this.stats.generation = stored.generation;
    }
    this.unsubscribe.push(this.bus.subscribe<RecordBatch>(SUBJECTS.records, (b) => this.ingest(b)));
    this.unsubscribe.push(this.bus.respond<unknown, SignaturesUpdate | null>(SUBJECTS.signaturesCurrent, () => this.current));
    if (this.current) this.bus.publish(SUBJECTS.signatures, this.current);
    const learnTimer = setInterval(() => void this.learnNow(), this.opts.learnIntervalMs);
    learnTimer.unref();
    this.timers.push(learnTimer);
    this.persister?.start();
  }

  /** The signatures in force, or null before the first learn. */
  signatures(): SignaturesUpdate | null {
    return this.current;
  }

  /**
   * Handles one RecordBatch from the bus; never throws. With `backPressure` and a store, returns a promise
   * that resolves when the batch is committed and rejects when it was refused for redelivery.
   */
  ingest(batch: RecordBatch): void | Promise<void> {
    if (!isBatchShape(batch)) {
      this.stats.rejectedBatches++;
      this.opts.onProblem?.('rejected batch', { reason: 'not a RecordBatch {driver, seq, records[]}' });
      return;
    }
    if (batch.records.length > (this.opts.maxBatchRecords ?? MAX_BATCH_RECORDS)) {
      this.stats.oversizedBatches++;
      this.opts.onProblem?.('rejected batch', { driver: batch.driver, seq: batch.seq, reason: `oversized: ${batch.records.length} records` });
      return;
    }
    const p = this.persister;
    const durable = p !== null && this.opts.backPressure === true;
    const fits = p?.hasRoom(batch.records.length) ?? false;
    if (durable && !fits) {
      p.deferred();
      if (this.stats.persistDeferredBatches === 1 || this.stats.persistDeferredBatches % 1000 === 0)
        this.opts.onProblem?.('store queue full: batch left for redelivery', { driver: batch.driver, seq: batch.seq, deferred: this.stats.persistDeferredBatches });
      return Promise.reject(new Error('store queue full'));
    }
    const verdict = this.seqs.see(batch.driver, batch.seq, batch.boot ?? null);
    this.stats.missingBatches = this.seqs.missing;
    if (verdict === 'duplicate') {
      this.stats.duplicateBatches++;
      // A copy of a batch still waiting for its commit shares its acknowledgement; one committed already is acknowledged now.
      return durable ? this.awaiting.get(batchKey(batch)) : undefined;
    }
    if (verdict === 'late') this.stats.lateBatches++;
    else if (verdict === 'restart') this.stats.driverRestarts++;
    this.stats.batches++;
    const limit = this.now() + (this.opts.maxFutureMs ?? 60_000) * 1000;
    const key = (sid: number) => this.window.key(sid);
    let notPersisted = 0;
    for (let i = 0; i < batch.records.length; i++) {
      const r = batch.records[i]!;
      const problem = typeof r === 'object' && r !== null ? recordProblem(r) : { field: 'record', reason: 'not an object' };
      if (problem || r.time > limit) {
        this.stats.rejected++;
        if (this.stats.rejected <= 10 || this.stats.rejected % 10_000 === 0)
          this.opts.onProblem?.('rejected record', { driver: batch.driver, seq: batch.seq, index: i, field: problem?.field ?? 'time', reason: problem?.reason ?? 'too far in the future', rejected: this.stats.rejected });
        continue;
      }
      const sid = this.window.add(r);
      if (sid < 0) {
        this.stats.rejected++;
        continue;
      }
      if (r.kind === 'tag') this.stats.tags++;
      else this.stats.events++;
      if (fits) p!.push(sid, key, r.time, r.value);
      else notPersisted++;
    }
    this.stats.windowSize = this.window.size;
    this.stats.windowEvicted = this.window.stats.evictedByCount + this.window.stats.evictedByTime;
    if (p) {
      p.afterBatch(notPersisted);
      if (notPersisted && (this.stats.persistDropped === notPersisted || this.stats.persistDropped % 100_000 < notPersisted))
        this.opts.onProblem?.('store queue full: records kept in the window only', { driver: batch.driver, seq: batch.seq, notPersisted: this.stats.persistDropped });
    }
    return durable ? this.awaitCommit(batchKey(batch), p) : undefined;
  }

  /** The acknowledgement of a batch just queued: resolves with the commit of everything queued so far. */
  private awaitCommit(key: string, p: RecordPersister): Promise<void> {
    const done: Promise<void> = p.committed().then(() => {
      if (this.awaiting.get(key) === done) this.awaiting.delete(key);
      this.stats.persistWaitingBatches = this.awaiting.size;
    });
    this.awaiting.set(key, done);
    this.stats.persistWaitingBatches = this.awaiting.size;
    return done;
  }

  /** Commits the records queued for the store (tests and shutdown; a timer does it while running). */
  async persistNow(): Promise<void> {
    await this.persister?.flushAll();
  }

  /** Learns from the current window now (unless a learn is running) and publishes a changed result. */
  learnNow(): Promise<LearnOutcome> {
    if (this.learning) {
      this.stats.learnSkipped++;
      return Promise.resolve('busy');
    }
    if (this.window.size < this.opts.minRecords) {
      this.stats.learnSkipped++;
      return Promise.resolve('too-few');
    }
    this.learning = this.runLearn().finally(() => {
      this.learning = null;
    });
    return this.learning;
  }

  private async runLearn(): Promise<LearnOutcome> {
    const series = this.window.snapshot().finish();
    this.stats.learnRuns++;
    let doc: SignaturesDoc;
    try {
      const res = await this.worker.learn(series, this.opts.topology ?? null, this.opts.learn);
      doc = res.doc;
      this.stats.lastLearnMs = res.ms;
    } catch (err) {
      this.stats.learnFailures++;
      this.opts.onProblem?.('learn failed', { error: (err as Error).message });
      return 'failed';
    }
    const key = signatureSetKey(doc);
    if (this.current && key === this.currentKey) return 'unchanged';
    const update: SignaturesUpdate = { generation: (this.current?.generation ?? 0) + 1, doc };
    this.current = update;
    this.currentKey = key;
    this.stats.generation = update.generation;
    try {
      await this.opts.store?.saveSignatures(update.generation, this.now(), doc);
    } catch (err) {
      this.stats.persistFailures++;
      this.opts.onProblem?.('saving signatures failed', { error: (err as Error).message });
    }
    this.stats.published++;
    this.bus.publish(SUBJECTS.signatures, update);
    return 'published';
  }

  /** Stops timers and the worker, waits for a running learn, flushes the store (the caller closes it). */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    await this.learning?.catch(() => undefined);
    await this.worker.close();
    await this.persister?.stop();
  }
}

/** A batch's identity: its driver, boot and seq. */
function batchKey(b: RecordBatch): string {
  return `${b.driver}\u0000${b.boot ?? ''}\u0000${b.seq}`;
}

function isBatchShape(b: unknown): b is RecordBatch {
  if (typeof b !== 'object' || b === null) return false;
  const o = b as Record<string, unknown>;
  return typeof o.driver === 'string' && o.driver.length > 0 && Number.isSafeInteger(o.seq) && Array.isArray(o.records)
    && (o.boot === undefined || (typeof o.boot === 'string' && o.boot.length > 0 && o.boot.length <= 64));
}

/** A time in quarter-octave buckets (about 19% wide): closer lead times and windows are the same. */
function timeBucket(us: number): string {
  return us > 0 && Number.isFinite(us) ? String(Math.round(4 * Math.log2(us))) : String(us);
}

/**
 * Identity of a signature set for change detection: which (tag, event, relation) pairs, with their
 * probability in steps of 0.1 and lead time and window in quarter-octaves, so that re-learning on a
 * sliding window does not publish a new generation for noise. Order does not matter.
 */
export function signatureSetKey(doc: SignaturesDoc): string {
  return doc.signatures
    .map((s: Signature) =>
      [s.tag.name, s.tag.locale, s.event.name, s.event.locale, s.relation, Math.round(s.probability * 10), timeBucket(s.leadTime.p50), timeBucket(s.window.start), timeBucket(s.window.end)].join('\u0000'),
    )
    .sort()
    .join('\u0001');
}
