// The paper's windowed method (NAI'22 3.3) as DuckDB SQL, the baseline of `bench learn`: load the record CSV
// with read_csv, relate (tag locale, event locale) pairs from the topology, find for every tag the first event
// after it in each related event series (ASOF JOIN), count hits within td, probability = hits / tags per pair.

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Topology } from '../protocol/topology.ts';
import { relationLabel } from '../protocol/topology.ts';

export interface DuckdbWindowOptions {
  /** CSV with header time,locale,kind,name,value (µs). */
  records: string;
  /** topology.json of the scenario. */
  topology: string;
  /** The fixed window after each tag, µs. */
  td: number;
  maxHops: number;
  /** DuckDB worker threads (default: DuckDB's choice, the number of cores). */
  threads?: number;
  /** Where DuckDB may spill (default: its own choice). */
  tempDir?: string;
  /** DuckDB memory_limit, e.g. "6GB" (default: DuckDB's, 80% of RAM); beyond it DuckDB spills or fails. */
  memoryLimit?: string;
  /** DuckDB max_temp_directory_size: most bytes it may spill, e.g. "20GB"; beyond it the query fails. */
  spillLimit?: string;
  /** Also return every pair with at least one hit. */
  collectPairs?: boolean;
}

export interface DuckdbPairResult {
  tagName: string;
  tagLocale: string;
  eventName: string;
  eventLocale: string;
  relation: string;
  tags: number;
  hits: number;
  probability: number;
}

export interface DuckdbWindowResult {
  /** read_csv into a table. */
  loadMs: number;
  /** Distinct locales, related pairs from the topology, appended as a table. */
  pairsMs: number;
  /** The ASOF join and aggregation. */
  queryMs: number;
  totalMs: number;
  records: number;
  relatedLocalePairs: number;
  /** (tag series, related event series) pairs evaluated. */
  candidates: number;
  /** Tag occurrences times related event series: rows the ASOF JOIN probes. */
  probes: number;
  pairsWithHits: number;
  maxProbability: number;
  pairs?: DuckdbPairResult[];
}

const SIZE = /^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;
const UNITS: Record<string, number> = { kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** Bytes of a DuckDB size setting such as "20GB" or "6GiB"; throws naming `field` when malformed. */
export function parseSize(field: string, value: string): number {
  const m = value.match(/^(\d+(?:\.\d+)?)\s*([a-z]+)$/i);
  if (!SIZE.test(value) || !m) throw new Error(`${field}: expected a size such as 6GB, got ${JSON.stringify(value)}`);
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

const WINDOW_SQL = (td: number) => `
CREATE TEMP TABLE window_hits AS
WITH tags AS (SELECT time, locale, name FROM records WHERE kind = 'tag'),
events AS (SELECT time, locale, name FROM records WHERE kind = 'event'),
event_series AS (SELECT DISTINCT locale, name FROM events),
probes AS (
  SELECT t.time, t.locale AS tag_locale, t.name AS tag_name, s.locale AS event_locale, s.name AS event_name, r.relation
  FROM tags t JOIN related r ON r.tag_locale = t.locale JOIN event_series s ON s.locale = r.event_locale),
firsts AS (
  SELECT p.*, e.time - p.time AS lag
  FROM probes p ASOF LEFT JOIN events e ON e.locale = p.event_locale AND e.name = p.event_name AND e.time >= p.time)
SELECT tag_name, tag_locale, event_name, event_locale, relation,
       count(*) AS tags, count(*) FILTER (WHERE lag <= ${td}) AS hits,
       count(*) FILTER (WHERE lag <= ${td}) / count(*) AS probability
FROM firsts GROUP BY tag_name, tag_locale, event_name, event_locale, relation`;

async function scalarRows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

/** Runs the windowed method in an embedded in-memory DuckDB; times each phase. */
export async function duckdbWindowedMethod(opts: DuckdbWindowOptions): Promise<DuckdbWindowResult> {
  if (!(Number.isFinite(opts.td) && opts.td > 0)) throw new Error(`td: must be a positive number of microseconds, got ${opts.td}`);
  if (!(Number.isSafeInteger(opts.maxHops) && opts.maxHops >= 0)) throw new Error(`maxHops: must be a non-negative integer, got ${opts.maxHops}`);
  const config: Record<string, string> = { preserve_insertion_order: 'false' };
  if (opts.threads !== undefined) config.threads = String(opts.threads);
  if (opts.tempDir !== undefined) config.temp_directory = opts.tempDir;
  for (const [field, setting, value] of [['memoryLimit', 'memory_limit', opts.memoryLimit], ['spillLimit', 'max_temp_directory_size', opts.spillLimit]] as const) {
    if (value === undefined) continue;
    parseSize(field, value);
    config[setting] = value;
  }
  const t0 = performance.now();
  const topology = await Topology.load(opts.topology);
  const instance = await DuckDBInstance.create(':memory:', config);
  try {
    const conn = await instance.connect();
    try {
      await conn.run(`CREATE TABLE records AS SELECT * FROM read_csv(${sqlString(opts.records)}, header = true, auto_detect = false,
        columns = {'time': 'BIGINT', 'locale': 'VARCHAR', 'kind': 'VARCHAR', 'name': 'VARCHAR', 'value': 'DOUBLE'})`);
      const t1 = performance.now();

      const locales = await scalarRows(conn, `SELECT DISTINCT locale, kind FROM records`);
      const eventLocales = new Set(locales.filter((r) => r.kind === 'event').map((r) => String(r.locale)));
      await conn.run('CREATE TEMP TABLE related (tag_locale VARCHAR, event_locale VARCHAR, relation VARCHAR)');
      const appender = await conn.createAppender('related');
      let relatedLocalePairs = 0;
      for (const r of locales) {
        if (r.kind !== 'tag') continue;
        const tagLocale = String(r.locale);
        for (const other of topology.relatedLocales(tagLocale, opts.maxHops)) {
          if (!eventLocales.has(other)) continue;
          appender.appendVarchar(tagLocale);
          appender.appendVarchar(other);
          appender.appendVarchar(relationLabel(topology.hops(tagLocale, other)));
          appender.endRow();
          relatedLocalePairs++;
        }
      }
      appender.closeSync();
      const t2 = performance.now();

      await conn.run(WINDOW_SQL(opts.td));
      const [summary] = await scalarRows(conn, `SELECT count(*) AS candidates, coalesce(sum(tags), 0) AS probes,
        count(*) FILTER (WHERE hits > 0) AS with_hits, coalesce(max(probability), 0) AS max_p,
        (SELECT count(*) FROM records) AS records FROM window_hits`);
      const t3 = performance.now();
      const result: DuckdbWindowResult = {
        loadMs: t1 - t0,
        pairsMs: t2 - t1,
        queryMs: t3 - t2,
        totalMs: t3 - t0,
        records: Number(summary!.records),
        relatedLocalePairs,
        candidates: Number(summary!.candidates),
        probes: Number(summary!.probes),
        pairsWithHits: Number(summary!.with_hits),
        maxProbability: Number(summary!.max_p),
      };
      if (opts.collectPairs) {
        const rows = await scalarRows(conn, `SELECT * FROM window_hits WHERE hits > 0 ORDER BY tag_name, tag_locale, event_name, event_locale`);
        result.pairs = rows.map((r) => ({
          tagName: String(r.tag_name),
          tagLocale: String(r.tag_locale),
          eventName: String(r.event_name),
          eventLocale: String(r.event_locale),
          relation: String(r.relation),
          tags: Number(r.tags),
          hits: Number(r.hits),
          probability: Number(r.probability),
        }));
      }
      return result;
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
