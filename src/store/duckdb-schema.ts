// The SmartTags DuckDB schema: records as (time, series id, value) rows plus a `series` dictionary, read
// through the `records` view (time, locale, kind, name, value); signatures; the drivers' batch sequence
// state. Creates it, and moves a store of the earlier layout (`records` as a table) into it once.

import type { DuckDBConnection } from '@duckdb/node-api';

const TABLES_SQL = [
  `CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, name VARCHAR NOT NULL, locale VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS record_rows (time BIGINT NOT NULL, series INTEGER NOT NULL, value DOUBLE NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS signature_generations (generation INTEGER PRIMARY KEY, learned_at BIGINT NOT NULL, signature_count INTEGER NOT NULL, params_json VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS signatures (generation INTEGER NOT NULL, learned_at BIGINT NOT NULL, idx INTEGER NOT NULL,
     tag_name VARCHAR, tag_locale VARCHAR, event_name VARCHAR, event_locale VARCHAR, relation VARCHAR,
     probability DOUBLE, lift DOUBLE, q_value DOUBLE, support INTEGER, hits INTEGER,
     lead_p50 DOUBLE, window_start DOUBLE, window_end DOUBLE, json VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS driver_seq (driver VARCHAR PRIMARY KEY, seq BIGINT NOT NULL, gaps VARCHAR NOT NULL, boot VARCHAR)`,
  // A store written before drivers had boot ids.
  `ALTER TABLE driver_seq ADD COLUMN IF NOT EXISTS boot VARCHAR`,
];

const RECORDS_VIEW = `CREATE VIEW IF NOT EXISTS records AS
  SELECT r.time, s.locale, s.kind, s.name, r.value FROM record_rows r JOIN series s ON s.id = r.series`;

/** Moves rows of an earlier store's `records` table into series + record_rows, then replaces it by the view. */
const MIGRATE_SQL = [
  `INSERT INTO series SELECT (row_number() OVER (ORDER BY kind, name, locale) - 1)::INTEGER, kind, name, locale
     FROM (SELECT DISTINCT kind, name, locale FROM records)`,
  `INSERT INTO record_rows SELECT r.time, s.id, r.value FROM records r JOIN series s USING (kind, name, locale) ORDER BY r.time`,
  `DROP TABLE records`,
];

/** Creates the schema (migrating an earlier layout in one transaction); throws with the failing statement. */
export async function ensureSchema(conn: DuckDBConnection): Promise<void> {
  const old = await conn.runAndReadAll(`SELECT 1 FROM information_schema.tables WHERE table_name = 'records' AND table_type = 'BASE TABLE'`);
  const statements = [...TABLES_SQL, ...(old.currentRowCount > 0 ? MIGRATE_SQL : []), RECORDS_VIEW];
  await conn.run('BEGIN TRANSACTION');
  try {
    for (const sql of statements) await conn.run(sql);
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK');
    throw err;
  }
}
