// DuckDB persistence of the engine's records and signature generations (embedded file or ':memory:').
// Records queue up columnar and are written in one transaction per flush together with the drivers' batch
// sequence state they reach (so a batch redelivered after a crash is recognised: exactly once); SQL-queryable
// tables and views (schema in duckdb-schema.ts), Parquet export. One operation at a time on the connection.

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import type { Kind, SmartRecord } from '../protocol/record.ts';
import type { SignaturesDoc } from '../engine/signature.ts';
import type { DriverSeqState } from '../engine/service-seq.ts';
import { ensureSchema } from './duckdb-schema.ts';
import { ChunkWriter, PendingRows } from './pending-rows.ts';

export interface StoredGeneration {
  generation: number;
  /** Epoch microseconds. */
  learnedAt: number;
  doc: SignaturesDoc;
}

/** What a flush commits with the rows it takes: the drivers' sequence state those rows reach. */
export type ProgressSource = () => ReadonlyMap<string, DriverSeqState>;

/** Blocks appended between two appender flushes inside a write (a flush moves them into the transaction). */
const FLUSH_BLOCKS = 4;

interface SeriesRow {
  id: number;
  kind: Kind;
  name: string;
  locale: string;
}

export class DuckdbStore {
  /** Rows queued since open (a monotonic mark; see `whenCommitted`). */
  appendedRows = 0;
  /** Rows committed since open. */
  committedRows = 0;
  /** Transactions that wrote records. */
  commits = 0;
  private readonly pending = new PendingRows();
  private readonly writer = new ChunkWriter();
  private readonly seriesIds = new Map<string, number>();
  private readonly series: SeriesRow[] = [];
  /** Series with index >= this are not committed yet. */
  private seriesCommitted: number;
  /** Sequence state taken for a write that failed, committed with the next one. */
  private retrySeqs = new Map<string, DriverSeqState>();
  private progress: ProgressSource | null = null;
  private waiters: Array<{ mark: number; resolve: () => void }> = [];
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private appender: DuckDBAppender,
    series: SeriesRow[],
  ) {
    for (const s of series) {
      this.series[s.id] = s;
      this.seriesIds.set(seriesKey(s.kind, s.name, s.locale), s.id);
    }
    this.seriesCommitted = this.series.length;
  }

  /** Opens (creating or migrating when needed) the database file `path`, or an in-memory one for ':memory:'. */
  static async open(path: string): Promise<DuckdbStore> {
    const instance = await DuckDBInstance.create(path);
    try {
      const conn = await instance.connect();
      await ensureSchema(conn);
      const rows = (await conn.runAndReadAll('SELECT id, kind, name, locale FROM series ORDER BY id')).getRowObjectsJS();
      const series = rows.map((r) => ({ id: Number(r.id), kind: r.kind as Kind, name: String(r.name), locale: String(r.locale) }));
      if (series.some((s, i) => s.id !== i)) throw new Error('table series: ids are not 0..n-1');
      const appender = await conn.createAppender('record_rows');
      return new DuckdbStore(path, instance, conn, appender, series);
    } catch (err) {
      instance.closeSync();
      throw new Error(`cannot open DuckDB store ${path}: ${(err as Error).message}`);
    }
  }

  /** The store's id of a series, assigned now when new (committed with the next flush). */
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
    if (this.closed) throw new Error('store is closed');
    this.pending.push(time, sid, value);
    this.appendedRows++;
  }

  /** Queues valid records; visible to queries after the next flush. */
  appendRecords(records: readonly SmartRecord[]): void {
    for (const r of records) this.appendRow(r.time, this.seriesId(r.kind, r.name, r.locale), r.value);
  }

  /** Rows queued and not committed yet. */
  get unflushed(): number {
    return this.pending.size;
  }

  /** Called at every write to get the drivers' sequence state the queued rows reach (the engine sets it). */
  trackProgress(source: ProgressSource): void {
    this.progress = source;
  }

  /** Resolves once the rows queued up to `mark` (an `appendedRows` value) are committed. */
  whenCommitted(mark = this.appendedRows): Promise<void> {
    if (mark <= this.committedRows) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ mark, resolve }));
  }

  /** Commits the queued rows, new series and sequence state in one transaction; failures keep them queued. */
  flush(): Promise<void> {
    return this.exclusive(() => this.writePending());
  }

  private async writePending(): Promise<void> {
    if (this.closed) return;
    const seqs = new Map(this.retrySeqs);
    for (const [d, s] of this.progress?.() ?? []) seqs.set(d, s);
    const blocks = this.pending.take();
    const seriesEnd = this.series.length;
    if (blocks.length === 0 && seqs.size === 0 && seriesEnd === this.seriesCommitted) return;
    let rows = 0;
    await this.conn.run('BEGIN TRANSACTION');
    try {
      if (seriesEnd > this.seriesCommitted) await this.insertSeries(this.series.slice(this.seriesCommitted, seriesEnd));
      // A block at a time with a turn of the event loop in between: ingest never waits for more than one.
      for (let i = 0; i < blocks.length; i++) {
        rows += this.writer.write(this.appender, blocks[i]!);
        if (i % FLUSH_BLOCKS === FLUSH_BLOCKS - 1) this.appender.flushSync();
        if (i < blocks.length - 1) await new Promise((r) => setImmediate(r));
      }
      this.appender.flushSync();
      if (seqs.size) await this.upsertSeqs(seqs);
      await this.conn.run('COMMIT');
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      // The appender may hold part of the failed rows; a fresh one starts clean.
      try {
        this.appender.closeSync();
      } catch {
        // already invalid after the failure
      }
      this.appender = await this.conn.createAppender('record_rows');
      this.pending.putBack(blocks);
      this.retrySeqs = seqs;
      throw err;
    }
    this.retrySeqs = new Map();
    this.seriesCommitted = seriesEnd;
    this.committedRows += rows;
    if (rows) this.commits++;
    const done = this.waiters.filter((w) => w.mark <= this.committedRows);
    this.waiters = this.waiters.filter((w) => w.mark > this.committedRows);
    for (const w of done) w.resolve();
  }

  private async insertSeries(rows: readonly SeriesRow[]): Promise<void> {
    const a = await this.conn.createAppender('series');
    try {
      for (const s of rows) {
        a.appendInteger(s.id);
        a.appendVarchar(s.kind);
        a.appendVarchar(s.name);
        a.appendVarchar(s.locale);
        a.endRow();
      }
      a.flushSync();
    } finally {
      a.closeSync();
    }
  }

  private async upsertSeqs(seqs: ReadonlyMap<string, DriverSeqState>): Promise<void> {
    const prepared = await this.conn.prepare('INSERT OR REPLACE INTO driver_seq VALUES ($1, $2, $3)');
    for (const [driver, st] of seqs) {
      prepared.bind([driver, BigInt(st.last), JSON.stringify(st.gaps)]);
      await prepared.run();
    }
  }

  /** Runs `op` after every operation started before it (the connection runs one transaction at a time). */
  private exclusive<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  saveSignatures(generation: number, learnedAt: number, doc: SignaturesDoc): Promise<void> {
    return this.exclusive(async () => {
      await this.conn.run('BEGIN TRANSACTION');
      try {
        await this.conn.run('INSERT INTO signature_generations VALUES ($1, $2, $3, $4)', [
          generation,
          BigInt(learnedAt),
          doc.signatures.length,
          JSON.stringify({ version: doc.version, params: doc.params }),
        ]);
        const prepared = await this.conn.prepare(
          'INSERT INTO signatures VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)',
        );
        for (let i = 0; i < doc.signatures.length; i++) {
          const s = doc.signatures[i]!;
          prepared.bind([
            generation, BigInt(learnedAt), i,
            s.tag.name, s.tag.locale, s.event.name, s.event.locale, s.relation,
            s.probability, s.lift, s.qValue, s.support, s.hits,
            s.leadTime.p50, s.window.start, s.window.end, JSON.stringify(s),
          ]);
          await prepared.run();
        }
        await this.conn.run('COMMIT');
      } catch (err) {
        await this.conn.run('ROLLBACK');
        throw err;
      }
    });
  }

  async loadDriverSeqs(): Promise<Map<string, DriverSeqState>> {
    const rows = await this.query('SELECT driver, seq, gaps FROM driver_seq');
    return new Map(rows.map((r) => [String(r.driver), { last: Number(r.seq), gaps: JSON.parse(String(r.gaps)) as number[] }]));
  }

  /** The newest stored generation, or null when none was saved. */
  latestSignatures(): Promise<StoredGeneration | null> {
    return latestGeneration((sql) => this.query(sql));
  }

  /** Runs SQL and returns rows as plain objects (BIGINT as bigint). Commits queued records first. */
  query(sql: string): Promise<Record<string, unknown>[]> {
    return this.exclusive(async () => {
      await this.writePending();
      const reader = await this.conn.runAndReadAll(sql);
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    });
  }

  /** Writes every table as `<dir>/<table>.parquet`; returns the file paths. */
  exportParquet(dir: string): Promise<string[]> {
    return this.exclusive(async () => {
      await this.writePending();
      return copyTablesToParquet(async (sql) => void (await this.conn.run(sql)), dir);
    });
  }

  /** Commits what is queued (a failure is thrown after closing) and closes the database. */
  close(): Promise<void> {
    return this.exclusive(async () => {
      if (this.closed) return;
      try {
        await this.writePending();
      } finally {
        this.closed = true;
        this.appender.closeSync();
        this.conn.closeSync();
        this.instance.closeSync();
      }
    });
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

export const TABLES = ['records', 'signatures', 'signature_generations', 'driver_seq'] as const;

/** Runs `COPY <table> TO '<dir>/<table>.parquet'` for every table through `run`; returns the file paths. */
export async function copyTablesToParquet(run: (sql: string) => Promise<void>, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (const table of TABLES) {
    const file = resolve(dir, `${table}.parquet`);
    await run(`COPY ${table} TO '${file.replaceAll("'", "''")}' (FORMAT parquet)`);
    out.push(file);
  }
  return out;
}
