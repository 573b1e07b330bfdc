import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessBus } from '../../src/bus/in-process.ts';
import { SUBJECTS, type RecordBatch, type SignaturesUpdate } from '../../src/bus/messages.ts';
import { EngineService, signatureSetKey } from '../../src/engine/service.ts';
import type { Signature, SignaturesDoc } from '../../src/engine/signature.ts';
import { RecordWindow } from '../../src/engine/service-window.ts';
import { SeqTracker } from '../../src/engine/service-seq.ts';
import { LearnWorker } from '../../src/engine/worker-client.ts';
import type { SmartRecord } from '../../src/protocol/record.ts';
import { DuckdbStore } from '../../src/store/duckdb-store.ts';
import { fixture } from './scenario-fixture.ts';

function scenarioRecords(seed: number, durationS: number): SmartRecord[] {
  const out: SmartRecord[] = [];
  for (const s of fixture({ seed, durationS, causal: true }).finish()) {
    for (let i = 0; i < s.times.length; i++) out.push({ time: s.times[i]!, locale: s.key.locale, kind: s.key.kind, name: s.key.name, value: s.values[i]! });
  }
  return out.sort((a, b) => a.time - b.time);
}

function batches(driver: string, records: SmartRecord[], size: number): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (let i = 0; i < records.length; i += size) out.push({ driver, seq: out.length + 1, records: records.slice(i, i + size) });
  return out;
}

test('the window keeps at most N records and no more than its span behind the newest, counting what it drops', () => {
  const w = new RecordWindow(5, 100);
  for (let i = 0; i < 8; i++) w.add({ time: i, locale: 'h', kind: 'tag', name: 'a', value: i });
  assert.equal(w.size, 5);
  assert.equal(w.stats.evictedByCount, 3);
  w.add({ time: 1000, locale: 'h', kind: 'event', name: 'e', value: 1 });
  assert.equal(w.size, 1);
  assert.equal(w.stats.evictedByCount, 4);
  assert.equal(w.stats.evictedByTime, 4);
  const series = w.snapshot().finish();
  assert.deepEqual(series.map((s) => [s.key.name, s.times.length]), [['e', 1]]);
  const few = new RecordWindow(10, 1e9, 2);
  assert.equal(few.add({ time: 1, locale: 'h', kind: 'tag', name: 'a', value: 1 }), 0);
  assert.equal(few.add({ time: 2, locale: 'h', kind: 'tag', name: 'b', value: 1 }), 1);
  assert.equal(few.add({ time: 3, locale: 'h', kind: 'tag', name: 'c', value: 1 }), -1);
  assert.equal(few.stats.refusedSeries, 1);
});

test('seq tracking: late batches fill gaps, true duplicates are skipped, a driver starting over is recognised, state survives a restart', () => {
  const t = new SeqTracker();
  assert.deepEqual([1, 2, 5, 3, 3, 6, 4].map((q) => t.see('d', q)), ['new', 'new', 'new', 'late', 'duplicate', 'new', 'late']);
  assert.equal(t.missing, 0);
  assert.equal(t.see('d', 9), 'new');
  assert.equal(t.missing, 2);
  const saved = t.takeDirty();
  assert.deepEqual(saved.get('d'), { last: 9, gaps: [7, 8], boot: null });
  const again = new SeqTracker(saved);
  assert.deepEqual([9, 8, 1, 2].map((q) => again.see('d', q)), ['duplicate', 'late', 'restart', 'new']);
  assert.equal(again.see('other', 40), 'new');
});

test('seq tracking with boot ids: a redelivered seq 1 of the same boot is a duplicate, a new boot starts over (its earlier seqs may still come)', () => {
  const t = new SeqTracker();
  assert.deepEqual([1, 2, 3, 1, 2].map((q) => t.see('d', q, 'b1')), ['new', 'new', 'new', 'duplicate', 'duplicate']);
  const again = new SeqTracker(t.takeDirty());
  assert.equal(again.see('d', 1, 'b1'), 'duplicate', 'the boot survives an engine restart');
  assert.deepEqual([2, 1, 2, 3].map((q) => again.see('d', q, 'b2')), ['restart', 'late', 'duplicate', 'new']);
  assert.deepEqual(again.takeDirty().get('d'), { last: 3, gaps: [], boot: 'b2' });
});

test('a new generation needs a changed signature set, not noise in its numbers', () => {
  const sig = (tag: string, p: number, end: number): Signature => ({
    tag: { name: tag, locale: 'h1' }, event: { name: 'drop', locale: 'sw' }, relation: 'any', probability: p, hitRate: p, baselineRate: 0.01, lift: 10,
    pValue: 1e-6, qValue: 1e-5, support: 100, hits: 50, leadTime: { min: 100, p05: 200, p50: 1000, p95: 3000 }, window: { start: 500, end },
    extent: { bins: [], threshold: null, sizeSlope: 0, logistic: null },
  });
  const doc = (...signatures: Signature[]): SignaturesDoc => ({ version: 1, params: {}, signatures });
  const base = signatureSetKey(doc(sig('MG', 0.61, 4000), sig('RS', 0.3, 9000)));
  assert.equal(signatureSetKey(doc(sig('RS', 0.3, 9000), sig('MG', 0.63, 4200))), base);
  assert.notEqual(signatureSetKey(doc(sig('MG', 0.81, 4000), sig('RS', 0.3, 9000))), base);
  assert.notEqual(signatureSetKey(doc(sig('MG', 0.61, 8000), sig('RS', 0.3, 9000))), base);
  assert.notEqual(signatureSetKey(doc(sig('MG', 0.61, 4000))), base);
});

test('engine service: seq checks, rejects, persistence, learning in a worker, publication only on change', async () => {
  const bus = new InProcessBus();
  const store = await DuckdbStore.open(':memory:');
  const engine = new EngineService(bus, { learnIntervalMs: 3_600_000, windowMs: 3_600_000, windowRecords: 1_000_000, minRecords: 100, learn: {}, store });
  const published: SignaturesUpdate[] = [];
  bus.subscribe<SignaturesUpdate>(SUBJECTS.signatures, (u) => published.push(u));
  try {
    await engine.start();
    assert.equal(await bus.request(SUBJECTS.signaturesCurrent, {}, 1000), null);
    assert.equal(await engine.learnNow(), 'too-few');

    const records = scenarioRecords(7, 240);
    const all = batches('d1', records, 500);
    const tags = records.filter((r) => r.kind === 'tag').length;
    // Deliver with one batch duplicated and one missing.
    const missing = all[3]!;
    for (const b of all) if (b !== missing) bus.publish(SUBJECTS.records, b);
    bus.publish(SUBJECTS.records, all[5]);
    bus.publish(SUBJECTS.records, { driver: 'd2', seq: 1, records: [{ time: 1, locale: 'h', kind: 'bogus', name: 'x', value: 1 }, { time: 2, locale: '', kind: 'tag', name: 'x', value: 1 }] });
    bus.publish(SUBJECTS.records, { seq: 'x', records: 3 });
    bus.publish(SUBJECTS.records, { driver: 'd9', seq: 1, records: new Array(50_001).fill(records[0]) });

    const s = engine.stats;
    assert.equal(s.duplicateBatches, 1);
    assert.equal(s.missingBatches, 1);
    assert.equal(s.rejected, 2);
    assert.equal(s.rejectedBatches, 1);
    assert.equal(s.oversizedBatches, 1);
    assert.equal(s.tags + s.events, records.length - missing.records.length);
    assert.equal(s.tags, tags - missing.records.filter((r) => r.kind === 'tag').length);
    assert.equal(s.windowSize, s.tags + s.events);

    // Ingest stays live while the worker learns: batches published during learning are taken at once.
    const learning = engine.learnNow();
    assert.equal(await engine.learnNow(), 'busy');
    bus.publish(SUBJECTS.records, { driver: 'd3', seq: 1, records: [{ time: records.at(-1)!.time, locale: 'h9', kind: 'tag', name: 'late', value: 1 }] });
    assert.equal(s.tags + s.events, records.length - missing.records.length + 1);
    assert.equal(await learning, 'published');
    assert.equal(s.learnRuns, 1);
    assert.equal(published.length, 1);
    const gen1 = published[0]!;
    assert.equal(gen1.generation, 1);
    const mg = gen1.doc.signatures.find((g) => g.tag.name === 'MG' && g.event.locale === 'sw1:p1');
    assert.ok(mg, `MG -> drop@sw1:p1 learned; got ${gen1.doc.signatures.map((g) => `${g.tag.name}@${g.tag.locale}->${g.event.name}@${g.event.locale}`).join(', ')}`);

    // Same window again: same signatures, nothing published.
    assert.equal(await engine.learnNow(), 'unchanged');
    assert.equal(published.length, 1);
    assert.deepEqual(await bus.request(SUBJECTS.signaturesCurrent, {}, 1000), gen1);

    const rows = await store.query('SELECT count(*) AS n FROM records');
    assert.equal(Number(rows[0]!.n), s.tags + s.events);
    assert.equal((await store.latestSignatures())?.generation, 1);
  } finally {
    await engine.stop();
    await store.close();
    await bus.close();
  }
});

test('a restarted engine resumes the stored generation and driver seqs; a restarted driver starts over', async () => {
  const bus = new InProcessBus();
  const store = await DuckdbStore.open(':memory:');
  const doc = { version: 1, params: {}, signatures: [] };
  await store.saveSignatures(4, 1, doc);
  const rec = (time: number): SmartRecord => ({ time, locale: 'h1', kind: 'tag', name: 'MG', value: 1 });
  const opts = { learnIntervalMs: 3_600_000, windowMs: 60_000, windowRecords: 1000, minRecords: 1, learn: {}, store };
  const first = new EngineService(bus, opts);
  await first.start();
  for (let seq = 1; seq <= 3; seq++) bus.publish(SUBJECTS.records, { driver: 'd1', seq, records: [rec(seq)] });
  await first.stop();

  const seen: SignaturesUpdate[] = [];
  bus.subscribe<SignaturesUpdate>(SUBJECTS.signatures, (u) => seen.push(u));
  const engine = new EngineService(bus, opts);
  try {
    await engine.start();
    assert.deepEqual(seen, [{ generation: 4, doc }]);
    assert.equal(engine.stats.generation, 4);
    // Redelivery of what was persisted before the restart is recognised; the next batch is taken.
    bus.publish(SUBJECTS.records, { driver: 'd1', seq: 3, records: [rec(3)] });
    bus.publish(SUBJECTS.records, { driver: 'd1', seq: 4, records: [rec(4)] });
    assert.equal(engine.stats.duplicateBatches, 1);
    assert.equal(engine.stats.tags, 1);
    // The driver restarts: its seq starts over at 1 and is accepted.
    bus.publish(SUBJECTS.records, { driver: 'd1', seq: 1, records: [rec(5)] });
    assert.equal(engine.stats.driverRestarts, 1);
    assert.equal(engine.stats.tags, 2);
    const rows = await store.query('SELECT list(CAST(time AS INTEGER) ORDER BY time) AS t FROM records');
    assert.deepEqual(rows[0]!.t, [1, 2, 3, 4, 5]);
  } finally {
    await engine.stop();
    await store.close();
  }
});

test('learning runs in a worker thread while the main event loop keeps ticking', async () => {
  const worker = new LearnWorker();
  try {
    const series = fixture({ seed: 3, durationS: 600, causal: true }).finish();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    const out = await worker.learn(series, null, {});
    const wall = performance.now() - t0;
    clearInterval(timer);
    assert.notEqual(out.threadId, 0);
    assert.ok(out.doc.signatures.length > 0);
    // The loop was free: a 1 ms timer fired at least once per 20 ms of the learn.
    assert.ok(ticks >= Math.floor(wall / 20), `ticks ${ticks} during ${wall.toFixed(0)} ms`);
    await assert.rejects(worker.learn([], null, { fdr: 7 }), /fdr/);
  } finally {
    await worker.close();
  }
});
