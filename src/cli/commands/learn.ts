// `smarttags learn`: reads record files (and a topology), learns signatures and writes signatures.json,
// optionally the HTML report; progress on stderr when it is a terminal.

import { mkdir, rename, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { topologyRelations } from '../../engine/candidates.ts';
import type { Progress } from '../../engine/learn.ts';
import { learnSignaturesParallel } from '../../engine/learn-parallel.ts';
import { DEFAULT_PARAMS, type LearnParams } from '../../engine/params.ts';
import { countCandidatePairs, candidateBoundProblem } from '../../protocol/candidates.ts';
import { readRecordFiles } from '../../protocol/record-reader.ts';
import type { Series, SeriesKey } from '../../protocol/series-store.ts';
import { isDuckdbSpec, readDuckdbRecords } from '../../store/duckdb-reader.ts';
import { formatProblem } from '../../protocol/problems.ts';
import { parseTimeUnit, type TimeUnit } from '../../protocol/time-unit.ts';
import { DEFAULT_MAX_HOPS, Topology } from '../../protocol/topology.ts';
import { numberOption, parseCommandArgs, UsageError } from '../../options/args.ts';

export const summary = 'learn signatures (tag -> event probability, lead time, window, extent) from record files';

const HELP = `usage: smarttags learn RECORDS... [--topology T] [--out signatures.json] [--report report.html] [options]

  RECORDS              record files: CSV (time,locale,kind,name,value), 4-field CSV given as tag:FILE or
                       event:FILE, or JSON Lines; gzip detected; or the DuckDB store of \`smarttags up\` (x.duckdb, duckdb:PATH)
  --topology T         topology.json; tags and events are related only within --max-hops (default ${DEFAULT_MAX_HOPS});
                       without it every tag series is tried against every event series (relation "any")
  --max-hops N         hop limit of a relation (default ${DEFAULT_MAX_HOPS})
  --out FILE           signatures.json to write (default signatures.json; "-" for stdout)
  --report FILE        also write the HTML report
  --all                write every scanned candidate with its statistics, not only significant ones
  --all-pairs          every record is both a tag and an event (tag-tag and event-event relations)
  --pool               type-level signatures pooled across locales by relation (locale "*")
  --fdr Q              false discovery rate across all candidates (default ${DEFAULT_PARAMS.fdr})
  --horizon US         longest lag considered, µs (default ${DEFAULT_PARAMS.horizon})
  --min-hits N         fewest tags followed by the event for a signature (default ${DEFAULT_PARAMS.minHits})
  --slices N           time slices of the statistics passes (merged exactly; default 1)
  --threads N          threads for the group screen (default 2 from 1M records on with 2+ cores, else 1);
                       a worker thread over shared memory gives the same result
  --time-unit U        unit of the time column: s, ms, us (default) or ns; decimals are accepted
  --strict             stop at the first malformed line (default: skip it, count it and report it)
  --force              learn even when the candidate count exceeds the safety bound`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      topology: { type: 'string' },
      'max-hops': { type: 'string' },
      out: { type: 'string' },
      report: { type: 'string' },
      all: { type: 'boolean' },
      'all-pairs': { type: 'boolean' },
      pool: { type: 'boolean' },
      fdr: { type: 'string' },
      horizon: { type: 'string' },
      'min-hits': { type: 'string' },
      slices: { type: 'string' },
      threads: { type: 'string' },
      force: { type: 'boolean' },
      'time-unit': { type: 'string' },
      strict: { type: 'boolean' },
    },
    HELP,
  );
  if (!args) return 0;
  const v = args.values;
  if (args.positionals.length === 0) throw new UsageError(`no record files given\n${HELP}`);
  const maxHops = numberOption('max-hops', v['max-hops'], DEFAULT_MAX_HOPS);
  if (!(Number.isSafeInteger(maxHops) && maxHops >= 0)) throw new UsageError(`--max-hops: must be a non-negative integer, got ${v['max-hops']}`);
  const params: Partial<LearnParams> = {
    fdr: numberOption('fdr', v.fdr, DEFAULT_PARAMS.fdr),
    horizon: numberOption('horizon', v.horizon, DEFAULT_PARAMS.horizon),
    minHits: numberOption('min-hits', v['min-hits'], DEFAULT_PARAMS.minHits),
    slices: numberOption('slices', v.slices, DEFAULT_PARAMS.slices),
    all: v.all ?? false,
    allPairs: v['all-pairs'] ?? false,
    pool: v.pool ?? false,
  };
  if (params.horizon! >= DEFAULT_PARAMS.shiftMin) params.shiftMin = params.horizon;
  if (params.shiftMin !== undefined && params.shiftMin > DEFAULT_PARAMS.shiftMax) params.shiftMax = params.shiftMin * 15;
  const out = v.out ?? 'signatures.json';
  const tty = process.stderr.isTTY === true;
  const say = (s: string) => process.stderr.write(s);
  const started = performance.now();

  const topology = v.topology ? await Topology.load(v.topology) : null;
  let timeUnit: TimeUnit;
  try {
    timeUnit = parseTimeUnit(v['time-unit'] ?? 'us');
  } catch (err) {
    throw new UsageError(`--time-unit: ${(err as Error).message}`);
  }
  const read = { timeUnit, strict: v.strict ?? false };
  const { series, records, rejected } = await loadSeries(args.positionals, read, tty, (keys) => {
    const pairs = params.allPairs ? keys.length * keys.length : countCandidatePairs(keys, topology, maxHops);
    const bound = candidateBoundProblem(pairs, topology !== null);
    if (bound && !v.force) throw new Error(`${bound} (or pass --force)`);
  });
  const readMs = performance.now() - started;

  const progress: Progress | undefined = tty ? (phase, done, total) => say(`\r${phase} ${done}/${total}          `) : undefined;
  const threads = numberOption('threads', v.threads, records >= 1_000_000 ? Math.min(2, availableParallelism()) : 1);
  if (!(Number.isSafeInteger(threads) && threads >= 1 && threads <= 64)) throw new UsageError(`--threads: must be an integer in [1, 64], got ${v.threads}`);
  const res = await learnSignaturesParallel(series, topology ? topologyRelations(topology, maxHops) : null, params, progress, threads);
  if (tty) say('\r');
  const json = JSON.stringify(res.doc, null, 1) + '\n';
  if (out === '-') process.stdout.write(json);
  else await writeAtomically(out, json);
  if (v.report) {
    const { writeReport } = await import('../../report/index.ts');
    await writeReport(res.doc, v.report, { source: args.positionals.join(' ') });
  }
  const s = res.stats;
  say(
    `learned ${s.signatures} signatures from ${s.records} records (${rejected} rejected), ${s.candidates} candidates, ` +
      `${s.scanned} scanned, ${s.significant} significant; read ${(readMs / 1000).toFixed(2)}s, learn ${(s.millis.total / 1000).toFixed(2)}s` +
      `${out === '-' ? '' : `; wrote ${out}`}${v.report ? `, ${v.report}` : ''}\n`,
  );
  return 0;
}

/**
 * Reads the inputs into per-series arrays. The store is dropped on return so that its growable buffers
 * can be collected before learning (memory per record). `check` sees the series keys before finishing.
 */
async function loadSeries(
  specs: string[],
  opts: { timeUnit: TimeUnit; strict: boolean },
  tty: boolean,
  check: (keys: readonly SeriesKey[]) => void): Promise<{ series: Series[]; records: number; rejected: number }> {
  const say = (s: string) => process.stderr.write(s);
  // A DuckDB store of `smarttags up` (x.duckdb or duckdb:PATH) is read by the store's reader, other specs as record files.
  const read = await readRecordFiles(specs.filter((p) => !isDuckdbSpec(p)), {
    ...opts,
    onProgress: tty ? (done, total) => say(`\rreading ${((100 * done) / Math.max(1, total)).toFixed(0)}%   `) : undefined,
  });
  for (const spec of specs.filter(isDuckdbSpec)) await readDuckdbRecords(spec, {}, read.store);
  if (tty) say('\r');
  for (const p of read.problems) say(`smarttags learn: skipped ${formatProblem(p)}\n`);
  if (read.rejected > read.problems.length) say(`smarttags learn: skipped ${read.rejected} malformed lines in all\n`);
  check(read.store.keys);
  return { series: read.store.finish(), records: read.store.size, rejected: read.rejected };
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, file);
}
