// DuckDB persistence of the engine's records and signature generations (embedded file or ':memory:'):
// SQL-queryable tables `records`, `signatures`, `signature_generations`, batched appends, Parquet export.

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import type { SmartRecord } from '../protocol/record.ts';
import type { SignaturesDoc } from '../engine/signature.ts';
import type { DriverSeqState } from '../engine/service-seq.ts';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS records (time BIGINT NOT NULL, locale VARCHAR NOT NULL, kind VARCHAR NOT NULL, name VARCHAR NOT NULL, value DOUBLE NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS signature_generations (generation INTEGER PRIMARY KEY, learned_at BIGINT NOT NULL, signature_count INTEGER NOT NULL, params_json VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS signatures (generation INTEGER NOT NULL, learned_at BIGINT NOT NULL, idx INTEGER NOT NULL,
     tag_name VARCHAR, tag_locale VARCHAR, event_name VARCHAR, event_locale VARCHAR, relation VARCHAR,
     probability DOUBLE, lift DOUBLE, q_value DOUBLE, support INTEGER, hits INTEGER,
     lead_p50 DOUBLE, window_start DOUBLE, window_end DOUBLE, json VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS driver_seq (driver VARCHAR PRIMARY KEY, seq BIGINT NOT NULL, gaps VARCHAR NOT NULL)`,
];

export interface StoredGeneration {
  generation: number;
  /** Epoch microseconds. */
  learnedAt: number;
  doc: SignaturesDoc;
}

export class DuckdbStore {
  /** Records appended (buffered or flushed) since open. */
  recordsAppended = 0;
  private pending = 0;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly appender: DuckDBAppender,
  ) {}

  /** Opens (creating when needed) the database file `path`, or an in-memory one for ':memory:'. */
  static async open(path: string): Promise<DuckdbStore> {
    const instance = await DuckDBInstance.create(path);
    try {
      const conn = await instance.connect();
      for (const sql of SCHEMA) await conn.run(sql);
      const appender = await conn.createAppender('records');
      return new DuckdbStore(path, instance, conn, appender);
    } catch (err) {
      instance.closeSync();
      throw new Error(`cannot open DuckDB store ${path}: ${(err as Error).message}`);
    }
  }

  /** Buffers records in the appender; they are visible to queries after `flush()`. */
  appendRecords(records: readonly SmartRecord[]): void {
    if (this.closed) throw new Error('store is closed');
    const a = this.appender;
    for (const r of records) {
      a.appendBigInt(BigInt(r.time));
      a.appendVarchar(r.locale);
      a.appendVarchar(r.kind);
      a.appendVarchar(r.name);
      a.appendDouble(r.value);
      a.endRow();
    }
    this.pending += records.length;
    this.recordsAppended += records.length;
  }

  /** Records appended but not yet flushed. */
  get unflushed(): number {
    return this.pending;
  }

  flush(): void {
    if (this.closed || this.pending === 0) return;
    this.appender.flushSync();
    this.pending = 0;
  }

  async saveSignatures(generation: number, learnedAt: number, doc: SignaturesDoc): Promise<void> {
    this.flush();
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
  }

  /** Records per driver the batch seqs persisted (call after `flush()`), so a restart skips redeliveries. */
  async saveDriverSeqs(seqs: ReadonlyMap<string, DriverSeqState>): Promise<void> {
    if (seqs.size === 0) return;
    const prepared = await this.conn.prepare('INSERT OR REPLACE INTO driver_seq VALUES ($1, $2, $3)');
    for (const [driver, st] of seqs) {
      prepared.bind([driver, BigInt(st.last), JSON.stringify(st.gaps)]);
      await prepared.run();
    }
  }

  async loadDriverSeqs(): Promise<Map<string, DriverSeqState>> {
    const rows = await this.query('SELECT driver, seq, gaps FROM driver_seq');
    return new Map(rows.map((r) => [String(r.driver), { last: Number(r.seq), gaps: JSON.parse(String(r.gaps)) as number[] }]));
  }

  /** The newest stored generation, or null when none was saved. */
  latestSignatures(): Promise<StoredGeneration | null> {
    return latestGeneration((sql) => this.query(sql));
  }

  /** Runs SQL and returns rows as plain objects (BIGINT as bigint). Flushes pending records first. */
  async query(sql: string): Promise<Record<string, unknown>[]> {
    this.flush();
    const reader = await this.conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  /** Writes every table as `<dir>/<table>.parquet`; returns the file paths. */
  async exportParquet(dir: string): Promise<string[]> {
    this.flush();
    return copyTablesToParquet(async (sql) => void (await this.conn.run(sql)), dir);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.appender.closeSync();
    this.conn.closeSync();
    this.instance.closeSync();
  }
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
