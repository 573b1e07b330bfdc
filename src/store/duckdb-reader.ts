// Reads the `records` table of a SmartTags DuckDB file into a SeriesStore, so `smarttags learn x.duckdb`
// learns from what a running engine persisted. Streams chunks; never loads all rows as objects.

import { existsSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { SeriesStore } from '../protocol/series-store.ts';
import { isKind } from '../protocol/record.ts';
import { copyTablesToParquet } from './duckdb-file.ts';
import { latestGeneration, type StoredGeneration } from './duckdb-store.ts';

export interface DuckdbReadOptions {
  /** Only records with time >= from (epoch microseconds). */
  from?: number;
  /** Only records with time < to (epoch microseconds). */
  to?: number;
}

/** True for inputs this reader handles: a `duckdb:` spec or a `.duckdb` file name. */
export function isDuckdbSpec(spec: string): boolean {
  return spec.startsWith('duckdb:') || spec.endsWith('.duckdb');
}

function pathOf(spec: string): string {
  return spec.startsWith('duckdb:') ? spec.slice('duckdb:'.length) : spec;
}

/** Runs `use` on a read-only connection to the DuckDB file of `spec`. */
async function withReadOnly<T>(spec: string, use: (conn: DuckDBConnection, path: string) => Promise<T>): Promise<T> {
  const path = pathOf(spec);
  if (!existsSync(path)) throw new Error(`${path}: no such DuckDB file`);
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  } catch (err) {
    throw new Error(`${path}: cannot open read-only (a running engine holds the write lock; stop it or export Parquet): ${(err as Error).message}`);
  }
  const conn = await instance.connect();
  try {
    return await use(conn, path);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** The latest signature generation stored in the DuckDB file of `spec`, or null when none. */
export function readLatestSignatures(spec: string): Promise<StoredGeneration | null> {
  return withReadOnly(spec, async (conn, path) => {
    try {
      return await latestGeneration(async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]);
    } catch (err) {
      throw new Error(`${path}: not a SmartTags database (no signature tables?): ${(err as Error).message}`);
    }
  });
}

/** Fills `store` (a new one when omitted) from the records of the DuckDB file named by `spec`. */
export function readDuckdbRecords(spec: string, opts: DuckdbReadOptions = {}, store = new SeriesStore()): Promise<SeriesStore> {
  return withReadOnly(spec, async (conn, path) => {
    const where: string[] = [];
    if (opts.from !== undefined) where.push(`time >= ${Math.trunc(opts.from)}`);
    if (opts.to !== undefined) where.push(`time < ${Math.trunc(opts.to)}`);
    const sql = `SELECT CAST(time AS DOUBLE) AS t, locale, kind, name, value FROM records${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY time`;
    let result;
    try {
      result = await conn.stream(sql);
    } catch (err) {
      throw new Error(`${path}: not a SmartTags database (no records table?): ${(err as Error).message}`);
    }
    let row = 0;
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      const [times, locales, kinds, names, values] = chunk.getColumns() as [number[], string[], string[], string[], number[]];
      for (let i = 0; i < times.length; i++, row++) {
        const kind = kinds[i]!;
        if (!isKind(kind)) throw new Error(`${path}: records row ${row + 1}: field kind: must be "tag" or "event", got ${JSON.stringify(kind)}`);
        store.append(store.seriesId(kind, names[i]!, locales[i]!), times[i]!, values[i]!);
      }
    }
    return store;
  });
}

/** Rows of a read-only SQL query on the DuckDB file of `spec` (BIGINT as bigint). */
export function queryDuckdb(spec: string, sql: string): Promise<Record<string, unknown>[]> {
  return withReadOnly(spec, async (conn) => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]);
}

/** Exports every table of the DuckDB file of `spec` as `<dir>/<table>.parquet`. */
export function exportDuckdbParquet(spec: string, dir: string): Promise<string[]> {
  return withReadOnly(spec, (conn) => copyTablesToParquet(async (sql) => void (await conn.run(sql)), dir));
}
