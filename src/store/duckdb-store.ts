// DuckDB persistence of the engine's records and signature generations (embedded file or ':memory:').
// Records queue up here, columnar, and go to the store's worker thread (store-worker.ts), which commits
// them in one transaction with the drivers' batch sequence state they reach (so a batch redelivered after
// a crash is recognised: exactly once). Appends, commits and checkpoints never run on this event loop.

import { Worker } from 'node:worker_threads';
import type { Kind, SmartRecord } from '../protocol/record.ts';
import type { SignaturesDoc } from '../engine/signature.ts';
import type { DriverSeqState } from '../engine/service-seq.ts';
import type { RowsWrite, SeriesRow } from './duckdb-file.ts';
import { PendingRows } from './pending-rows.ts';
import type { StoreReply, StoreRequest } from './store-protocol.ts';

export interface StoredGeneration {
  generation: number;
  /** Epoch microseconds. */
  learnedAt: number;
  doc: SignaturesDoc;
}

/** What a write commits with the rows it takes: the drivers' sequence state those rows reach. */
export type ProgressSource = () => ReadonlyMap<string, DriverSeqState>;

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

const WORKER_URL = new URL('./store-worker.ts', import.meta.url).href;

/** Starts the worker through tsx's loader so it runs the TypeScript sources whatever the parent's flags. */
function spawnWorker(path: string): Worker {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL)}); });`;
  return new Worker(boot, { eval: true, execArgv: [], workerData: { path } });
}

export class DuckdbStore {
  /** Rows queued since open (a monotonic mark; see `whenCommitted`). */
  appendedRows = 0;
  /** Rows committed since open. */
  committedRows = 0;
  /** Transactions that committed records. */
  commits = 0;
  private readonly pending = new PendingRows();
  /** Rows handed to the worker and not committed yet (in a write under way, or kept from a failed one). */
  private inWorker = 0;
  private readonly seriesIds = new Map<string, number>();
  private readonly series: SeriesRow[] = [];
  /** Series with index >= this were not handed to the worker yet. */
  private seriesSent: number;
  private progress: ProgressSource | null = null;
  private waiters: Array<{ mark: number; resolve: () => void }> = [];
  private readonly requests = new Map<number, Pending>();
  private nextId = 1;
  private gone: Error | null = null;
  private closing: Promise<void> | null = null;

  private constructor(
    readonly path: string,
    private readonly worker: Worker,
    series: SeriesRow[],
  ) {
    for (const s of series) {
      this.series[s.id] = s;
      this.seriesIds.set(seriesKey(s.kind, s.name, s.locale), s.id);
    }
    this.seriesSent = this.series.length;
    worker.on('message', (m: StoreReply) => this.answer(m));
    const fail = (err: Error) => {
      this.gone ??= err;
      for (const p of this.requests.values()) p.reject(err);
      this.requests.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the store's worker thread exited (code ${code})`)));
    worker.unref();
  }

  /** Opens (creating or migrating when needed) the database file `path`, or an in-memory one for ':memory:'. */
  static async open(path: string): Promise<DuckdbStore> {
    const worker = spawnWorker(path);
    let onMessage!: (m: StoreReply) => void;
    let onError!: (err: Error) => void;
    let onExit!: (code: number) => void;
    const first = await new Promise<StoreReply>((resolve, reject) => {
      onMessage = resolve;
      onError = reject;
      onExit = (code) => reject(new Error(`worker exited with code ${code}`));
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    }).catch((err: Error) => ({ id: 0, ok: false as const, error: err.message }));
    worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    if (!first.ok) {
      await worker.terminate();
      throw new Error(`cannot open DuckDB store ${path}: ${first.error}`);
    }
    return new DuckdbStore(path, worker, first.value as SeriesRow[]);
  }

  private answer(m: StoreReply): void {
    const p = this.requests.get(m.id);
    if (!p) return;
    this.requests.delete(m.id);
    if (this.requests.size === 0) this.worker.unref();
    if (m.ok) p.resolve(m.value);
    else p.reject(new Error(m.error));
  }

  private request<T>(req: StoreRequest, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.gone) return Promise.reject(this.gone);
    return new Promise<T>((resolve, reject) => {
      this.requests.set(req.id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.ref();
      this.worker.postMessage(req, transfer);
    });
  }

  /** The store's id of a series, assigned now when new (committed with the next write). */
  seriesId(kind: Kind, name: string, locale: string): number {
    const key = seriesKey(kind, name, locale);
    let id = this.seriesIds.get(key);
    if (id === undefined) {
      id = this.series.length;
      this.series.push({ id, kind, name, locale });
      this.seriesIds.set(key, id);
    }
    return id;
  }

  /** Queues one row of series `sid` (from `seriesId`); visible to queries after the next flush. */
  appendRow(time: number, sid: number, value: number): void {
    if (this.closing) throw new Error('store is closed');
    this.pending.push(time, sid, value);
    this.appendedRows++;
  }

  /** Queues valid records; visible to queries after the next flush. */
  appendRecords(records: readonly SmartRecord[]): void {
    for (const r of records) this.appendRow(r.time, this.seriesId(r.kind, r.name, r.locale), r.value);
  }

  /** Rows queued and not committed yet. */
  get unflushed(): number {
    return this.pending.size + this.inWorker;
  }

  /** Called at every write to get the drivers' sequence state the queued rows reach (the engine sets it). */
  trackProgress(source: ProgressSource): void {
    this.progress = source;
  }

  /** Pending `whenCommitted` promises. */
  get commitWaiters(): number {
    return this.waiters.length;
  }

  /** Resolves once the rows queued up to `mark` (an `appendedRows` value) are committed. */
  whenCommitted(mark = this.appendedRows): Promise<void> {
    if (mark <= this.committedRows) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ mark, resolve }));
  }

  /**
   * Hands the queued rows, new series and sequence state to the worker, which commits them in one
   * transaction; a failed write is kept there and committed with the next one.
   */
  async flush(): Promise<void> {
    const seqs = [...(this.progress?.() ?? [])];
    const blocks = this.pending.take();
    const series = this.series.slice(this.seriesSent);
    this.seriesSent = this.series.length;
    let sent = 0;
    for (const b of blocks) sent += b.length;
    this.inWorker += sent;
    const write: RowsWrite = { blocks, series, seqs };
    const transfer = blocks.flatMap((b) => [b.times.buffer as ArrayBuffer, b.sids.buffer as ArrayBuffer, b.values.buffer as ArrayBuffer]);
    const rows = await this.request<number>({ id: this.nextId++, op: 'write', write }, transfer);
    this.inWorker -= rows;
    this.committedRows += rows;
    if (rows) this.commits++;
    const done = this.waiters.filter((w) => w.mark <= this.committedRows);
    this.waiters = this.waiters.filter((w) => w.mark > this.committedRows);
    for (const w of done) w.resolve();
  }

  /** Saves a signature generation (after the records queued before it). */
  saveSignatures(generation: number, learnedAt: number, doc: SignaturesDoc): Promise<void> {
    return this.request({ id: this.nextId++, op: 'saveSignatures', generation, learnedAt, doc });
  }

  async loadDriverSeqs(): Promise<Map<string, DriverSeqState>> {
    const rows = await this.query('SELECT driver, seq, gaps, boot FROM driver_seq');
    return new Map(rows.map((r) => [String(r.driver), { last: Number(r.seq), gaps: JSON.parse(String(r.gaps)) as number[], boot: r.boot === null ? null : String(r.boot) }]));
  }

  /** The newest stored generation, or null when none was saved. */
  latestSignatures(): Promise<StoredGeneration | null> {
    return latestGeneration((sql) => this.query(sql));
  }

  /** Runs SQL and returns rows as plain objects (BIGINT as bigint). Commits queued records first. */
  async query(sql: string): Promise<Record<string, unknown>[]> {
    const written = this.flush();
    const rows = this.request<Record<string, unknown>[]>({ id: this.nextId++, op: 'query', sql });
    await written.catch(() => undefined);
    return rows;
  }

  /** Writes every table as `<dir>/<table>.parquet`; returns the file paths. Commits queued records first. */
  async exportParquet(dir: string): Promise<string[]> {
    const written = this.flush();
    const files = this.request<string[]>({ id: this.nextId++, op: 'exportParquet', dir });
    await written.catch(() => undefined);
    return files;
  }

  /** Commits what is queued (a failure is thrown after closing), closes the database and ends the worker. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const written = this.flush();
      const closed = this.request({ id: this.nextId++, op: 'close' });
      try {
        await written;
      } finally {
        await closed.catch(() => undefined);
        await this.worker.terminate();
      }
    })();
    return this.closing;
  }
}

function seriesKey(kind: string, name: string, locale: string): string {
  return `${kind}\u0000${name}\u0000${locale}`;
}

export type RowQuery = (sql: string) => Promise<Record<string, unknown>[]>;

/** The newest generation of the signature tables behind `query`, or null when none was saved. */
export async function latestGeneration(query: RowQuery): Promise<StoredGeneration | null> {
  const gen = await query('SELECT generation, learned_at, params_json FROM signature_generations ORDER BY generation DESC LIMIT 1');
  if (gen.length === 0) return null;
  const row = gen[0]!;
  const generation = Number(row.generation);
  const sigs = await query(`SELECT json FROM signatures WHERE generation = ${generation} ORDER BY idx`);
  const head = JSON.parse(String(row.params_json)) as Pick<SignaturesDoc, 'version' | 'params'>;
  return {
    generation,
    learnedAt: Number(row.learned_at),
    doc: { version: head.version, params: head.params, signatures: sigs.map((r) => JSON.parse(String(r.json))) },
  };
}

