// Reads the `records` table of a SmartTags DuckDB file into a SeriesStore, so `smarttags learn x.duckdb`
// learns from what a running engine persisted. Streams chunks; never loads all rows as objects.

import { existsSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { SeriesStore } from '../protocol/series-store.ts';
import { isKind } from '../protocol/record.ts';

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

/** Fills `store` (a new one when omitted) from the records of the DuckDB file named by `spec`. */
export async function readDuckdbRecords(spec: string, opts: DuckdbReadOptions = {}, store = new SeriesStore()): Promise<SeriesStore> {
  const path = spec.startsWith('duckdb:') ? spec.slice('duckdb:'.length) : spec;
  if (!existsSync(path)) throw new Error(`${path}: no such DuckDB file`);
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  } catch (err) {
    throw new Error(`${path}: cannot open read-only (a running engine holds the write lock; stop it or export Parquet): ${(err as Error).message}`);
  }
  const conn = await instance.connect();
  try {
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
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
