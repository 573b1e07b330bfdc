// `smarttags bench learn`: generates the bench scenario (~10M records, 1,000+ locales, 50 apps), then in the
// same run learns it end to end with our learner (CSV parsing included) and runs the paper's windowed method
// as DuckDB SQL on the same file; each side runs in its own child process and is measured against an idle
// baseline child for peak RSS. Prints wall times, the ratio, bytes per record, and writes --json.

import { existsSync, readdirSync, readFileSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../evaluation/synthesize.ts';
import { writeScenario } from '../evaluation/write-scenario.ts';
import { DEFAULT_MAX_HOPS } from '../protocol/topology.ts';
import { parseSize, type DuckdbWindowResult } from './duckdb-window.ts';
import type { DuckdbChildOptions, OursChildReport } from './learn-child.ts';
import { integerOption, parseBenchArgs, positiveOption } from './options.ts';
import { runBenchChild } from './run-child.ts';

export const summary = 'learn a ~10M-record scenario end to end, timed against the windowed method as DuckDB SQL';

export const TARGETS = { speedup: 10, seconds: 10, bytesPerRecord: 64 };

export interface LearnBenchOptions {
  records: number;
  seed: number;
  /** Scenario shape; undefined keeps the bench scenario's defaults. */
  apps?: number;
  spines?: number;
  leaves?: number;
  hostsPerLeaf?: number;
  /** The DuckDB method's fixed window, µs. */
  td: number;
  maxHops: number;
  /** Keep the scenario and outputs here (reused when it already holds the same scenario). */
  keep?: string;
  duckdbTimeoutMs: number;
  /** DuckDB memory_limit (it spills to the work directory beyond it). */
  duckdbMemory: string;
  /** Most DuckDB may spill into the work directory. */
  duckdbSpill: string;
  oursTimeoutMs: number;
  /** Runs of our learner (the machine is shared and noisy): the fastest is reported, every time is listed. */
  oursRuns: number;
  log?: (line: string) => void;
}

export interface LearnBenchResult {
  records: number;
  scenario: Record<string, unknown>;
  td: number;
  maxHops: number;
  machine: { cpus: number; node: string };
  generateMs: number | null;
  /** The fastest run; peakRssBytes is the largest peak over all runs. */
  ours: OursChildReport & { wallMs: number; baselineRssBytes: number | null; bytesPerRecord: number | null; runsMs: number[] };
  duckdb:
    | (DuckdbWindowResult & { status: 'done'; wallMs: number; cpuMs: number; peakRssBytes: number | null; baselineRssBytes: number | null; bytesPerRecord: number | null })
    | { status: 'timeout'; wallMs: number; timeoutMs: number }
    | { status: 'failed'; wallMs: number; error: string };
  /** DuckDB time / ours (a lower bound when DuckDB timed out; null when it failed). */
  speedup: number | null;
  speedupIsLowerBound: boolean;
  /** Whether each target is met; speedup is null when DuckDB failed (not measured). */
  targets: { speedup: boolean | null; seconds: boolean; bytesPerRecord: boolean };
}

const HELP = `usage: smarttags bench learn [--records N] [--keep DIR] [--json FILE] [options]

  --records N          approximate records of the bench scenario (default 10000000)
  --keep DIR           keep scenario and signatures in DIR (reused if it holds the same scenario)
  --json FILE          write the figures as JSON
  --seed S             scenario seed (default 1)
  --td D               the DuckDB method's fixed window, µs (default 200000)
  --max-hops N         topology reach of a relation, both sides (default ${DEFAULT_MAX_HOPS})
  --duckdb-timeout S   give up on DuckDB after S seconds; the speedup is then a lower bound (default 1800)
  --duckdb-memory M    DuckDB memory_limit; beyond it DuckDB spills into the work directory (default 6GB)
  --duckdb-spill M     most DuckDB may spill (max_temp_directory_size); beyond it DuckDB fails (default 20GB)
  --ours-timeout S     give up on our learner after S seconds (default 1800)
  --ours-runs N        run our learner N times, report the fastest and list all (default 1)
  --apps N --spines N --leaves N --hosts-per-leaf N   scenario shape (default: the bench scenario's)`;

function mib(bytes: number | null): string {
  return bytes === null ? 'n/a' : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function perRecord(peak: number | null, baseline: number | null, records: number): number | null {
  return peak === null || baseline === null || records <= 0 ? null : Math.max(0, peak - baseline) / records;
}

/** Generates (or reuses) the scenario in `dir`; returns the generation time, null when reused. */
async function prepareScenario(dir: string, o: LearnBenchOptions): Promise<{ ms: number | null; scenario: Record<string, unknown> }> {
  const wanted = { scenario: 'bench', records: o.records, seed: o.seed, apps: o.apps, spines: o.spines, leaves: o.leaves, hostsPerLeaf: o.hostsPerLeaf };
  const marker = join(dir, 'bench-scenario.json');
  if (existsSync(marker) && existsSync(join(dir, 'records.csv')) && readFileSync(marker, 'utf8') === JSON.stringify(wanted)) {
    o.log?.(`reusing the scenario in ${dir}`);
    return { ms: null, scenario: wanted };
  }
  const t0 = performance.now();
  const scenario = synthesize({ scenario: 'bench', records: o.records, seed: o.seed, apps: o.apps, spines: o.spines, leaves: o.leaves, hostsPerLeaf: o.hostsPerLeaf });
  o.log?.(`generating ~${o.records.toLocaleString('en-US')} records (${scenario.series.length} series) into ${dir}`);
  const written = await writeScenario(scenario, dir);
  writeFileSync(marker, JSON.stringify(wanted));
  const ms = performance.now() - t0;
  o.log?.(`generated ${written.records.toLocaleString('en-US')} records in ${(ms / 1000).toFixed(1)} s`);
  return { ms, scenario: wanted };
}

type DuckdbOutcome = LearnBenchResult['duckdb'];

/** Bytes allocated on disk by the files directly in `dir` (0 when it is gone). */
function dirBytes(dir: string): number {
  let total = 0;
  try {
    for (const f of readdirSync(dir)) {
      try {
        total += statSync(join(dir, f)).blocks * 512;
      } catch {
        // Removed meanwhile.
      }
    }
  } catch {
    return 0;
  }
  return total;
}

/** Least free disk space the DuckDB child may leave before it is stopped. */
const MIN_FREE_DISK = 5 * 2 ** 30;

/**
 * Stops DuckDB when its spill outgrows 1.5x the configured limit (DuckDB overshoots its own
 * max_temp_directory_size on ASOF joins) or free disk space falls below 5 GiB.
 */
function spillGuard(dir: string, limit: string): () => string | null {
  const budget = 1.5 * parseSize('duckdbSpill', limit);
  return () => {
    const used = dirBytes(dir);
    if (used > budget) return `spill files reached ${(used / 2 ** 30).toFixed(1)} GiB, over 1.5x --duckdb-spill ${limit}`;
    const fs = statfsSync(dir);
    if (fs.bavail * fs.bsize < MIN_FREE_DISK) return `free disk space below ${MIN_FREE_DISK / 2 ** 30} GiB while spilling ${(used / 2 ** 30).toFixed(1)} GiB`;
    return null;
  };
}

/** The DuckDB child: done, timed out (process group killed) or failed (e.g. out of memory or disk), never thrown. */
async function runDuckdb(options: DuckdbChildOptions, timeoutMs: number): Promise<DuckdbOutcome> {
  const started = performance.now();
  try {
    const guard = spillGuard(options.tempDir, options.spillLimit);
    const r = await runBenchChild<DuckdbWindowResult & { peakRssBytes: number | null; cpuMs: number }>('duckdb', options, timeoutMs, guard);
    if (!r.report) return { status: 'timeout', wallMs: r.wallMs, timeoutMs };
    return { ...r.report, status: 'done', wallMs: r.wallMs, baselineRssBytes: null, bytesPerRecord: null };
  } catch (err) {
    return { status: 'failed', wallMs: performance.now() - started, error: (err as Error).message.split('\n').filter(Boolean).join(' | ').slice(0, 1000) };
  }
}

export async function runLearnBench(o: LearnBenchOptions): Promise<LearnBenchResult> {
  const dir = o.keep ?? (await mkdtemp(join(tmpdir(), 'smarttags-bench-learn-')));
  try {
    await mkdir(dir, { recursive: true });
    const { ms: generateMs, scenario } = await prepareScenario(dir, o);
    const records = join(dir, 'records.csv');
    const topology = join(dir, 'topology.json');
    const spill = join(dir, 'duckdb-spill');
    await mkdir(spill, { recursive: true });

    o.log?.('baselines (idle children with the same modules loaded)');
    const oursBase = await runBenchChild<{ peakRssBytes: number | null }>('ours-baseline', {}, 60_000);
    const duckBase = await runBenchChild<{ peakRssBytes: number | null }>('duckdb-baseline', {}, 60_000);

    const runs: (OursChildReport & { wallMs: number })[] = [];
    for (let i = 0; i < o.oursRuns; i++) {
      o.log?.(`ours: read CSV + learnSignatures (run ${i + 1} of ${o.oursRuns})`);
      const ours = await runBenchChild<OursChildReport>('ours', { records, topology, maxHops: o.maxHops, out: join(dir, 'signatures.json') }, o.oursTimeoutMs);
      if (!ours.report) throw new Error(`our learner did not finish within ${o.oursTimeoutMs / 1000} s`);
      runs.push({ ...ours.report, wallMs: ours.wallMs });
      o.log?.(`ours: ${(ours.report.totalMs / 1000).toFixed(2)} s, peak ${mib(ours.report.peakRssBytes)}`);
    }
    const fastest = runs.reduce((a, b) => (b.totalMs < a.totalMs ? b : a));
    const peaks = runs.map((r) => r.peakRssBytes).filter((p): p is number => p !== null);
    const peak = peaks.length ? Math.max(...peaks) : null;
    const oursBaseline = oursBase.report?.peakRssBytes ?? null;
    const oursResult = {
      ...fastest,
      peakRssBytes: peak,
      baselineRssBytes: oursBaseline,
      bytesPerRecord: perRecord(peak, oursBaseline, fastest.records),
      runsMs: runs.map((r) => r.totalMs),
    };

    o.log?.(`duckdb: read_csv + ASOF JOIN windowed method (td ${o.td} µs, memory ${o.duckdbMemory}, spill ${o.duckdbSpill}, timeout ${o.duckdbTimeoutMs / 1000} s)`);
    const duckdb = await runDuckdb({ records, topology, td: o.td, maxHops: o.maxHops, tempDir: spill, memoryLimit: o.duckdbMemory, spillLimit: o.duckdbSpill }, o.duckdbTimeoutMs);
    // A killed DuckDB leaves its spill files behind; they are never worth keeping.
    await rm(spill, { recursive: true, force: true });
    if (duckdb.status === 'done') duckdb.bytesPerRecord = perRecord(duckdb.peakRssBytes, duckBase.report?.peakRssBytes ?? null, duckdb.records);
    if (duckdb.status === 'done') duckdb.baselineRssBytes = duckBase.report?.peakRssBytes ?? null;
    o.log?.(duckdb.status === 'done' ? `duckdb: ${(duckdb.totalMs / 1000).toFixed(2)} s, peak ${mib(duckdb.peakRssBytes)}` : `duckdb: ${duckdb.status} after ${(duckdb.wallMs / 1000).toFixed(0)} s`);

    const speedup = duckdb.status === 'done' ? duckdb.totalMs / oursResult.totalMs : duckdb.status === 'timeout' ? duckdb.wallMs / oursResult.totalMs : null;
    return {
      records: oursResult.records,
      scenario,
      td: o.td,
      maxHops: o.maxHops,
      machine: { cpus: cpus().length, node: process.version },
      generateMs,
      ours: oursResult,
      duckdb,
      speedup,
      speedupIsLowerBound: duckdb.status === 'timeout',
      targets: {
        speedup: speedup === null ? null : speedup >= TARGETS.speedup,
        seconds: oursResult.totalMs <= TARGETS.seconds * 1000,
        bytesPerRecord: oursResult.bytesPerRecord !== null && oursResult.bytesPerRecord <= TARGETS.bytesPerRecord,
      },
    };
  } finally {
    if (!o.keep) await rm(dir, { recursive: true, force: true });
  }
}

/** The human-readable summary printed by `bench learn`. */
export function formatLearnBench(r: LearnBenchResult): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const ok = (b: boolean | null) => (b === null ? 'not measured' : b ? 'met' : 'MISSED');
  const o = r.ours;
  const lines = [
    `records ${r.records.toLocaleString('en-US')}, ${o.series} series, ${o.candidates.toLocaleString('en-US')} candidate pairs (max ${r.maxHops} hops), ${r.machine.cpus} cpus, node ${r.machine.node}`,
    `ours    ${s(o.totalMs)}${o.runsMs.length > 1 ? ` (fastest of ${o.runsMs.map((m) => s(m)).join(', ')})` : ''}  (topology ${s(o.phases.topologyMs)}, read CSV ${s(o.phases.readMs)}, finish ${s(o.phases.finishMs)}, learn ${s(o.phases.learnMs)}, write ${s(o.phases.writeMs)})`,
    `        learn phases: ${Object.entries(o.learnPhases).map(([k, v]) => `${k} ${s(v)}`).join(', ')}`,
    `        CPU ${s(o.cpuMs)} (user + system); peak RSS ${mib(o.peakRssBytes)} - idle ${mib(o.baselineRssBytes)} = ${o.bytesPerRecord === null ? 'n/a' : o.bytesPerRecord.toFixed(1)} bytes/record; ${o.signatures} signatures`,
  ];
  const d = r.duckdb;
  if (d.status === 'timeout') lines.push(`duckdb  did not finish within ${s(d.timeoutMs)}`);
  else if (d.status === 'failed') lines.push(`duckdb  failed after ${s(d.wallMs)}: ${d.error}`);
  else {
    lines.push(`duckdb  ${s(d.totalMs)}  (read_csv ${s(d.loadMs)}, related pairs ${s(d.pairsMs)}, ASOF query ${s(d.queryMs)}); ${d.probes.toLocaleString('en-US')} probes, ${d.candidates.toLocaleString('en-US')} pairs, td ${r.td} µs`);
    lines.push(`        CPU ${s(d.cpuMs)}; peak RSS ${mib(d.peakRssBytes)} - idle ${mib(d.baselineRssBytes)} = ${d.bytesPerRecord === null ? 'n/a' : d.bytesPerRecord.toFixed(1)} bytes/record`);
  }
  lines.push(`speedup ${r.speedup === null ? 'n/a (DuckDB did not finish)' : `${r.speedupIsLowerBound ? '>= ' : ''}${r.speedup.toFixed(1)}x`} (target >= ${TARGETS.speedup}x: ${ok(r.targets.speedup)}); ours <= ${TARGETS.seconds} s: ${ok(r.targets.seconds)}; <= ${TARGETS.bytesPerRecord} B/record: ${ok(r.targets.bytesPerRecord)}`);
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const v = parseBenchArgs(argv, ['records', 'keep', 'json', 'seed', 'td', 'max-hops', 'duckdb-timeout', 'duckdb-memory', 'duckdb-spill', 'ours-timeout', 'ours-runs', 'apps', 'spines', 'leaves', 'hosts-per-leaf'], HELP);
  if (!v) return 0;
  const optional = (name: string) => (v[name] === undefined ? undefined : integerOption(name, v[name], 0, 1));
  const result = await runLearnBench({
    records: integerOption('records', v.records, 10_000_000, 1000),
    seed: integerOption('seed', v.seed, 1, 0),
    apps: optional('apps'),
    spines: optional('spines'),
    leaves: optional('leaves'),
    hostsPerLeaf: optional('hosts-per-leaf'),
    td: positiveOption('td', v.td, 200_000),
    maxHops: integerOption('max-hops', v['max-hops'], DEFAULT_MAX_HOPS, 0),
    keep: v.keep,
    duckdbTimeoutMs: positiveOption('duckdb-timeout', v['duckdb-timeout'], 1800) * 1000,
    duckdbMemory: v['duckdb-memory'] ?? '6GB',
    duckdbSpill: v['duckdb-spill'] ?? '20GB',
    oursTimeoutMs: positiveOption('ours-timeout', v['ours-timeout'], 1800) * 1000,
    oursRuns: integerOption('ours-runs', v['ours-runs'], 1, 1),
    log: (line) => process.stderr.write(`bench learn: ${line}\n`),
  });
  process.stdout.write(formatLearnBench(result) + '\n');
  if (v.json) writeFileSync(v.json, JSON.stringify(result, null, 2) + '\n');
  return 0;
}
