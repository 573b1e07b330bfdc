// `smarttags store`: SQL over the DuckDB store of `smarttags up` and Parquet export of its tables (read-only).

import { parseCommandArgs, UsageError } from '../../options/args.ts';
import { exportDuckdbParquet, isDuckdbSpec, queryDuckdb } from '../../store/duckdb-reader.ts';

export const summary = 'query (SQL) or export (Parquet) the DuckDB store written by smarttags up';

const HELP = `usage: smarttags store FILE.duckdb (--sql "SELECT ..." [--json] | --parquet DIR)

Tables: records(time BIGINT µs, locale, kind, name, value DOUBLE), signatures(generation, learned_at, idx,
tag_name, tag_locale, event_name, event_locale, relation, probability, lift, q_value, support, hits, lead_p50,
window_start, window_end, json), signature_generations(generation, learned_at, signature_count, params_json),
driver_seq(driver, seq, gaps). Opens the file read-only: stop the engine that writes it first.`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { sql: { type: 'string' }, parquet: { type: 'string' }, json: { type: 'boolean' } }, HELP);
  if (!args) return 0;
  const [file, ...rest] = args.positionals;
  if (!file || rest.length) throw new UsageError(`one DuckDB file expected\n${HELP}`);
  if (!isDuckdbSpec(file)) throw new UsageError(`${file}: expected a .duckdb file or duckdb:PATH`);
  const { sql, parquet } = args.values;
  if ((sql === undefined) === (parquet === undefined)) throw new UsageError(`give one of --sql and --parquet\n${HELP}`);
  if (parquet !== undefined) {
    for (const f of await exportDuckdbParquet(file, parquet)) process.stdout.write(`${f}\n`);
    return 0;
  }
  const rows = await queryDuckdb(file, sql!);
  const text = (v: unknown) => (typeof v === 'bigint' ? v.toString() : typeof v === 'object' && v !== null ? JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) : String(v));
  if (args.values.json) {
    for (const r of rows) process.stdout.write(JSON.stringify(r, (_k, x) => (typeof x === 'bigint' ? Number(x) : x)) + '\n');
    return 0;
  }
  if (rows.length === 0) return 0;
  const cols = Object.keys(rows[0]!);
  process.stdout.write([cols.join('\t'), ...rows.map((r) => cols.map((c) => text(r[c])).join('\t'))].join('\n') + '\n');
  return 0;
}
