// The DuckDB side of the store, run in the store's worker thread (store-worker.ts): one connection, record
// rows written by data chunks in one transaction with their new series and the drivers' sequence state
// (a failed write is kept and committed with the next one), signatures, SQL, Parquet export.

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import type { Kind } from '../protocol/record.ts';
import type { SignaturesDoc } from '../engine/signature.ts';
import type { DriverSeqState } from '../engine/service-seq.ts';
import { ensureSchema } from './duckdb-schema.ts';
import { ChunkWriter, type RowBlock } from './pending-rows.ts';

export interface SeriesRow {
  id: number;
  kind: Kind;
  name: string;
  locale: string;
}

/** One write: rows, the series first used by them, the drivers' sequence state they reach. */
export interface RowsWrite {
  blocks: RowBlock[];
  series: SeriesRow[];
  seqs: [string, DriverSeqState][];
}

export class DuckdbFile {
  /** A write that failed, committed with the next one. */
  private retry: RowsWrite = { blocks: [], series: [], seqs: [] };
  private readonly writer = new ChunkWriter();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private appender: DuckDBAppender,
    private readonly upsertSeq: DuckDBPreparedStatement,
    /** The series stored when opened. */
    readonly series: SeriesRow[],
  ) {}

  static async open(path: string): Promise<DuckdbFile> {
    // One DuckDB thread: this worker plus the engine's event loop already fill a 2-core machine.
    const instance = await DuckDBInstance.create(path, { threads: '1' });
    try {
      const conn = await instance.connect();
      await ensureSchema(conn);
      const rows = (await conn.runAndReadAll('SELECT id, kind, name, locale FROM series ORDER BY id')).getRowObjectsJS();
      const series = rows.map((r) => ({ id: Number(r.id), kind: r.kind as Kind, name: String(r.name), locale: String(r.locale) }));
      if (series.some((s, i) => s.id !== i)) throw new Error('table series: ids are not 0..n-1');
      const upsertSeq = await conn.prepare('INSERT OR REPLACE INTO driver_seq (driver, seq, gaps, boot) VALUES ($1, $2, $3, $4)');
      return new DuckdbFile(instance, conn, await conn.createAppender('record_rows'), upsertSeq, series);
    } catch (err) {
      instance.closeSync();
      throw err;
    }
  }

  /** Commits `w` (after a failed write kept from before); returns the rows committed. */
  async write(w: RowsWrite): Promise<number> {
    const all: RowsWrite = {
      blocks: [...this.retry.blocks, ...w.blocks],
      series: [...this.retry.series, ...w.series],
      seqs: [...new Map([...this.retry.seqs, ...w.seqs])],
    };
    if (all.blocks.length === 0 && all.series.length === 0 && all.seqs.length === 0) return 0;
    let rows = 0;
    await this.conn.run('BEGIN TRANSACTION');
    try {
      if (all.series.length) await this.insertSeries(all.series);
      for (const b of all.blocks) rows += this.writer.write(this.appender, b);
      this.appender.flushSync();
      if (all.seqs.length) await this.upsertSeqs(all.seqs);
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
      this.retry = all;
      throw err;
    }
    this.retry = { blocks: [], series: [], seqs: [] };
    return rows;
  }

  /** Rows kept from a failed write. */
  get retained(): number {
    let n = 0;
    for (const b of this.retry.blocks) n += b.length;
    return n;
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

  private async upsertSeqs(seqs: readonly [string, DriverSeqState][]): Promise<void> {
    for (const [driver, st] of seqs) {
      this.upsertSeq.bind([driver, BigInt(st.last), JSON.stringify(st.gaps), st.boot]);
      await this.upsertSeq.run();
    }
  }

  async saveSignatures(generation: number, learnedAt: number, doc: SignaturesDoc): Promise<void> {
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

  async query(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  }

  exportParquet(dir: string): Promise<string[]> {
    return copyTablesToParquet(async (sql) => void (await this.conn.run(sql)), dir);
  }

  close(): void {
    this.upsertSeq.destroySync();
    this.appender.closeSync();
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** What `smarttags store --parquet` and `exportParquet` write: `records` is the readable view. */
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
