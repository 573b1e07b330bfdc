// `bench learn` end to end at a small size: both contenders run in child processes, figures are consistent,
// the scenario is reused from --keep, a DuckDB timeout gives a lower-bound speedup, and bad options are named.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatLearnBench, run, runLearnBench, type LearnBenchOptions } from '../../src/bench/learn.ts';
import { run as benchCommand } from '../../src/cli/commands/bench.ts';

const SMALL: LearnBenchOptions = {
  records: 20_000, seed: 3, apps: 4, spines: 2, leaves: 2, hostsPerLeaf: 4,
  td: 200_000, maxHops: 2, duckdbTimeoutMs: 60_000, duckdbMemory: '1GB', duckdbSpill: '1GB', oursTimeoutMs: 60_000, oursRuns: 1,
};

test('bench learn measures both sides on the same file and reuses a kept scenario', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smarttags-bench-learn-test-'));
  try {
    const r = await runLearnBench({ ...SMALL, keep: dir });
    assert.ok(r.generateMs !== null && r.generateMs > 0);
    assert.ok(r.ours.records > 15_000 && r.ours.records < 30_000, `records ${r.ours.records}`);
    assert.equal(r.ours.rejected, 0);
    assert.equal(r.duckdb.status, 'done');
    if (r.duckdb.status !== 'done') return;
    assert.equal(r.duckdb.records, r.ours.records, 'both read the same CSV');
    assert.equal(r.duckdb.candidates, r.ours.candidates, 'both test the same related pairs');
    assert.ok(r.ours.signatures >= 1, 'the causal apps are found');
    const doc = JSON.parse(readFileSync(join(dir, 'signatures.json'), 'utf8'));
    assert.equal(doc.signatures.length, r.ours.signatures);
    assert.ok(!existsSync(join(dir, 'duckdb-spill')), 'DuckDB spill directory removed');
    const phases = r.ours.phases;
    assert.ok(Math.abs(phases.topologyMs + phases.readMs + phases.finishMs + phases.learnMs + phases.writeMs - r.ours.totalMs) < 1);
    assert.ok(r.ours.wallMs > r.ours.totalMs, 'process wall time includes start-up');
    assert.ok(r.ours.cpuMs > 0 && r.duckdb.cpuMs > 0);
    assert.ok(r.ours.peakRssBytes! > r.ours.baselineRssBytes!, 'learning uses memory beyond the idle child');
    assert.equal(r.ours.bytesPerRecord, (r.ours.peakRssBytes! - r.ours.baselineRssBytes!) / r.ours.records);
    assert.equal(r.speedup, r.duckdb.totalMs / r.ours.totalMs);
    assert.equal(r.targets.speedup, r.speedup >= 10);
    assert.ok(r.duckdb.peakRssBytes! > r.duckdb.baselineRssBytes!);
    assert.match(formatLearnBench(r), /^records [\d,]+, \d+ series/);

    const again = await runLearnBench({ ...SMALL, keep: dir, duckdbTimeoutMs: 1, oursRuns: 2 });
    assert.equal(again.ours.runsMs.length, 2);
    assert.equal(again.ours.totalMs, Math.min(...again.ours.runsMs), 'the fastest run is reported');
    assert.equal(again.generateMs, null, 'scenario reused');
    assert.equal(again.ours.records, r.ours.records);
    assert.equal(again.duckdb.status, 'timeout');
    assert.ok(again.speedupIsLowerBound);
    assert.match(formatLearnBench(again), /duckdb {2}did not finish within 0.00 s\nspeedup >= /);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bench learn without --keep leaves no files behind, reports a failing DuckDB; bad options are named', { timeout: 60_000 }, async () => {
  await assert.rejects(run(['--records', '10']), /--records: must be an integer >= 1000, got 10/);
  await assert.rejects(run(['--td', 'x']), /--td: not a number: "x"/);
  await assert.rejects(run(['extra']), /unexpected argument "extra"/);
  await assert.rejects(benchCommand(['nope']), /unknown benchmark "nope"/);
  await assert.rejects(benchCommand(['learn-child']), /unknown benchmark "learn-child"/);
  const logs: string[] = [];
  const r = await runLearnBench({ ...SMALL, records: 2_000, duckdbMemory: 'lots', log: (l) => logs.push(l) });
  assert.equal(r.duckdb.status, 'failed', 'a DuckDB failure is reported, not thrown');
  if (r.duckdb.status === 'failed') assert.match(r.duckdb.error, /memoryLimit: expected a size such as 6GB, got "lots"/);
  assert.equal(r.speedup, null);
  assert.equal(r.targets.speedup, null, 'not measured rather than missed');
  assert.match(formatLearnBench(r), /speedup n\/a \(DuckDB did not finish\) \(target >= 10x: not measured\)/);
  assert.ok(r.ours.signatures >= 0 && r.ours.records > 1000, 'our side still measured');
  const dir = logs.map((l) => l.match(/ into (\S+)$/)?.[1]).find(Boolean);
  assert.ok(dir, 'the generation log names the directory');
  assert.ok(!existsSync(dir), `${dir} removed`);
});

test('a bench child stopped by its guard is killed and the reason reported', { timeout: 30_000 }, async () => {
  const { runBenchChild } = await import('../../src/bench/run-child.ts');
  await assert.rejects(runBenchChild('ours-baseline', {}, 20_000, () => 'spill budget exceeded'), /bench child "ours-baseline" stopped after [\d.]+ s: spill budget exceeded/);
  const fine = await runBenchChild<{ peakRssBytes: number }>('ours-baseline', {}, 20_000, () => null);
  assert.ok(fine.report!.peakRssBytes > 10 * 2 ** 20, 'an idle Node child with the learner loaded');
});
