// Child-process side of `bench learn`: runs one contender (our learner end to end, or the DuckDB SQL) or its
// idle baseline (same modules loaded, no work) and prints one JSON line with its timings and peak RSS.
// Usage: node --import tsx learn-child.ts <ours|duckdb|ours-baseline|duckdb-baseline> '<json options>'

import { writeFileSync } from 'node:fs';
import { memoryFigures } from './peak-memory.ts';

export type ChildMode = 'ours' | 'duckdb' | 'ours-baseline' | 'duckdb-baseline';

export interface OursChildOptions {
  records: string;
  topology: string;
  maxHops: number;
  /** Where the learned signatures.json goes. */
  out: string;
}

export interface DuckdbChildOptions {
  records: string;
  topology: string;
  td: number;
  maxHops: number;
  tempDir: string;
  memoryLimit: string;
  spillLimit: string;
}

export interface OursChildReport {
  mode: 'ours';
  totalMs: number;
  phases: { topologyMs: number; readMs: number; finishMs: number; learnMs: number; writeMs: number };
  /** The learner's own phase split (LearnStats.millis). */
  learnPhases: Record<string, number>;
  /** Resident set after each phase, bytes. */
  rssAfter: { read: number | null; finish: number | null; learn: number | null };
  records: number;
  rejected: number;
  series: number;
  candidates: number;
  signatures: number;
  peakRssBytes: number | null;
  /** User + system CPU time of the measured work (all threads), ms: less noisy than wall time on a shared machine. */
  cpuMs: number;
}

/** CPU ms (user + system, all threads) since `from`. */
function cpuMsSince(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
}

async function runOurs(o: OursChildOptions): Promise<OursChildReport> {
  const { Topology } = await import('../protocol/topology.ts');
  const { readRecordFiles } = await import('../protocol/record-reader.ts');
  const { learnSignatures } = await import('../engine/learn.ts');
  const { topologyRelations } = await import('../engine/candidates.ts');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const topology = await Topology.load(o.topology);
  const t1 = performance.now();
  const read = await readRecordFiles([o.records]);
  const t2 = performance.now();
  const rssRead = memoryFigures().rssBytes;
  const series = read.store.finish();
  const t3 = performance.now();
  const rssFinish = memoryFigures().rssBytes;
  const result = learnSignatures(series, topologyRelations(topology, o.maxHops));
  const t4 = performance.now();
  const rssLearn = memoryFigures().rssBytes;
  writeFileSync(o.out, JSON.stringify(result.doc));
  const t5 = performance.now();
  const cpuMs = cpuMsSince(cpu0);
  return {
    mode: 'ours',
    totalMs: t5 - t0,
    phases: { topologyMs: t1 - t0, readMs: t2 - t1, finishMs: t3 - t2, learnMs: t4 - t3, writeMs: t5 - t4 },
    learnPhases: { ...result.stats.millis },
    rssAfter: { read: rssRead, finish: rssFinish, learn: rssLearn },
    records: read.accepted,
    rejected: read.rejected,
    series: series.length,
    candidates: result.stats.candidates,
    signatures: result.doc.signatures.length,
    peakRssBytes: memoryFigures().peakRssBytes,
    cpuMs,
  };
}

async function runDuckdb(o: DuckdbChildOptions) {
  const { duckdbWindowedMethod } = await import('./duckdb-window.ts');
  const cpu0 = process.cpuUsage();
  const r = await duckdbWindowedMethod({ records: o.records, topology: o.topology, td: o.td, maxHops: o.maxHops, tempDir: o.tempDir, memoryLimit: o.memoryLimit, spillLimit: o.spillLimit });
  return { mode: 'duckdb' as const, ...r, peakRssBytes: memoryFigures().peakRssBytes, cpuMs: cpuMsSince(cpu0) };
}

async function runBaseline(mode: 'ours-baseline' | 'duckdb-baseline') {
  if (mode === 'ours-baseline') {
    await import('../protocol/topology.ts');
    await import('../protocol/record-reader.ts');
    await import('../engine/learn.ts');
    await import('../engine/candidates.ts');
  } else {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    (await instance.connect()).closeSync();
    instance.closeSync();
  }
  return { mode, peakRssBytes: memoryFigures().peakRssBytes };
}

async function main(argv: string[]): Promise<void> {
  const [mode, json] = argv;
  const options = JSON.parse(json ?? '{}');
  let report: unknown;
  if (mode === 'ours') report = await runOurs(options as OursChildOptions);
  else if (mode === 'duckdb') report = await runDuckdb(options as DuckdbChildOptions);
  else if (mode === 'ours-baseline' || mode === 'duckdb-baseline') report = await runBaseline(mode);
  else throw new Error(`mode: must be ours, duckdb, ours-baseline or duckdb-baseline, got ${JSON.stringify(mode)}`);
  process.stdout.write(JSON.stringify(report) + '\n');
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`bench learn child: ${(err as Error).message ?? err}\n`);
  process.exitCode = 1;
});
