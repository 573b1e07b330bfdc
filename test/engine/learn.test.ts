import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learnSignatures, makeContext, screenPass, intervalPass, sliceRanges, mergeInto } from '../../src/engine/learn.ts';
import { resolveParams } from '../../src/engine/params.ts';
import { ALL_TIME } from '../../src/engine/time-range.ts';
import { intervalStats } from '../../src/engine/interval-stats.ts';
import { learnSignaturesParallel } from '../../src/engine/learn-parallel.ts';
import type { Signature } from '../../src/engine/signature.ts';
import { fixture, MG_LAG_MEDIAN, RPC_LAG_MEDIAN } from './scenario-fixture.ts';

const key = (s: { tag: { name: string; locale: string }; event: { name: string; locale: string } }) => `${s.tag.name}@${s.tag.locale}->${s.event.name}@${s.event.locale}`;

test('finds both causal pairs; companion, noise and reverse-direction tags are not signatures', () => {
  for (const seed of [1, 2, 3]) {
    const res = learnSignatures(fixture({ seed, durationS: 300, causal: true }).finish(), null);
    const found = res.doc.signatures.map(key).sort();
    assert.deepEqual(found, ['MG@h1->drop@sw1:p1', 'rpc_sync@h2->drop@sw1:p2'], `seed ${seed}`);
    const mg = res.doc.signatures.find((s) => s.tag.name === 'MG')!;
    const rpc = res.doc.signatures.find((s) => s.tag.name === 'rpc_sync')!;
    for (const [s, median, p] of [[mg, MG_LAG_MEDIAN, 0.7], [rpc, RPC_LAG_MEDIAN, 0.8]] as [Signature, number, number][]) {
      assert.ok(Math.abs(s.leadTime.p50 - median) / median < 0.1, `seed ${seed} ${key(s)} lead time ${s.leadTime.p50} vs ${median}`);
      assert.ok(s.window.start <= median && median < s.window.end, `window [${s.window.start}, ${s.window.end}) holds the median lag`);
      assert.ok(s.leadTime.min <= s.leadTime.p05 && s.leadTime.p05 <= s.leadTime.p50 && s.leadTime.p50 <= s.leadTime.p95);
      assert.ok(Math.abs(s.probability - p) < 0.15, `${key(s)} probability ${s.probability} vs ${p}`);
      assert.ok(s.qValue < 1e-6 && s.pValue < 1e-6 && s.lift > 10);
      assert.ok(s.hitRate > s.baselineRate && s.hits <= s.support);
      assert.equal(s.lags!.edges.length, s.lags!.tag.length + 1);
      assert.equal(s.lags!.random.length, s.lags!.tag.length);
    }
    // The companion travels with MG and the retransmit tag follows drops: both are tested, neither kept.
    const companion = res.candidates.find((c) => c.tag.name === 'ReqLog' && c.event.locale === 'sw1:p1')!;
    assert.notEqual(companion.stage, 'signature');
    assert.ok(res.candidates.filter((c) => c.stage === 'signature').length === 2);
  }
});

test('no relation: no false discovery on three seeds', () => {
  for (const seed of [1, 2, 3]) {
    const res = learnSignatures(fixture({ seed, durationS: 300, causal: false }).finish(), null);
    assert.deepEqual(res.doc.signatures.map(key), [], `seed ${seed}`);
    assert.equal(res.stats.candidates, 6 * 3);
  }
});

test('--all writes scanned candidates with their statistics, explained-away ones included', () => {
  const res = learnSignatures(fixture({ seed: 1, durationS: 300, causal: true }).finish(), null, { all: true });
  const keys = res.doc.signatures.map(key);
  assert.ok(keys.includes('ReqLog@h1->drop@sw1:p1'));
  const companion = res.doc.signatures.find((s) => s.tag.name === 'ReqLog' && s.event.locale === 'sw1:p1')!;
  assert.ok(companion.credit! < 0.5, `companion credit ${companion.credit}`);
  assert.ok(res.doc.signatures.length > 2);
});

test('statistics merge exactly: per-slice passes add up to one pass, and the learned document is identical', () => {
  const series = fixture({ seed: 4, durationS: 200, causal: true }).finish();
  const ctx = makeContext(series, null, resolveParams({}));
  const ranges = sliceRanges(series, 7);
  assert.equal(ranges.length, 7);
  const whole = screenPass(ctx, ctx.candidates, ALL_TIME);
  const merged = ranges.map((r) => screenPass(ctx, ctx.candidates, r)).reduce((a, b) => mergeInto(a, b));
  assert.deepEqual(merged, whole);
  const someCandidates = ctx.candidates.slice(0, 6);
  const wholeI = intervalPass(ctx, someCandidates, ALL_TIME);
  const mergedI = ranges.map((r) => intervalPass(ctx, someCandidates, r)).reduce((a, b) => mergeInto(a, b));
  assert.deepEqual(mergedI, wholeI);
  assert.ok(wholeI.some((x) => x > 0));

  const one = learnSignatures(series, null, { slices: 1 });
  const many = learnSignatures(series, null, { slices: 5 });
  assert.equal(one.doc.signatures.length, 2);
  assert.deepEqual({ ...many.doc, params: { ...many.doc.params, slices: 1 } }, one.doc);
});

test('extent: probability and size grow with the tag value', () => {
  const res = learnSignatures(fixture({ seed: 5, durationS: 400, causal: true, extent: true }).finish(), null);
  const mg = res.doc.signatures.find((s) => s.tag.name === 'MG' && s.event.locale === 'sw1:p1')!;
  assert.ok(mg, 'MG -> drop found');
  const { bins, threshold, logistic, sizeSlope } = mg.extent;
  assert.ok(bins.length >= 5);
  assert.ok(bins[0]!.probability < 0.2 && bins[bins.length - 1]!.probability > 0.8, JSON.stringify(bins.map((b) => b.probability)));
  assert.ok(threshold !== null && threshold >= 15 && threshold <= 25, `threshold ${threshold}`);
  assert.ok(logistic && logistic.b > 0.15 && logistic.b < 0.8, `logistic ${JSON.stringify(logistic)}`);
  assert.ok(Math.abs(-logistic!.a / logistic!.b - 20) < 4, `midpoint ${-logistic!.a / logistic!.b}`);
  assert.ok(sizeSlope > 0.35 && sizeSlope < 0.65, `size slope ${sizeSlope}`);
});

test('--pool writes type-level signatures with locale "*"; --all-pairs finds tag-to-tag relations', () => {
  const series = fixture({ seed: 6, durationS: 300, causal: true }).finish();
  const pooled = learnSignatures(series, null, { pool: true });
  const drops = pooled.doc.signatures.filter((s) => s.event.name === 'drop' && s.tag.locale === '*' && s.event.locale === '*');
  assert.deepEqual(drops.map((s) => s.tag.name).sort(), ['MG', 'rpc_sync']);

  const all = learnSignatures(series, null, { allPairs: true });
  const keys = all.doc.signatures.map(key);
  // Drops cause retransmit tags 5 ms later: an event -> tag relation only --all-pairs can see.
  assert.ok(keys.includes('drop@sw1:p1->retx@h1'), keys.join(', '));
  const retx = all.doc.signatures.find((s) => key(s) === 'drop@sw1:p1->retx@h1')!;
  assert.ok(Math.abs(retx.leadTime.p50 - 5000) < 500, `retx lag ${retx.leadTime.p50}`);
  assert.ok(keys.includes('MG@h1->drop@sw1:p1'));
});

test('topology limits candidates to related locales and names the relation', () => {
  const series = fixture({ seed: 1, durationS: 200, causal: true }).finish();
  const hops: Record<string, number> = { 'h1|sw1:p1': 1, 'h2|sw1:p2': 1 };
  const res = learnSignatures(series, { relation: (a, b) => (hops[`${a}|${b}`] === undefined ? null : `${hops[`${a}|${b}`]}-hop`) });
  assert.equal(res.stats.candidates, 4 * 2 + 2 * 1);
  assert.deepEqual(res.doc.signatures.map((s) => `${key(s)} ${s.relation}`).sort(), ['MG@h1->drop@sw1:p1 1-hop', 'rpc_sync@h2->drop@sw1:p2 1-hop']);
});

test('counting events per lag bin by walking or by galloping across edges gives identical statistics', () => {
  // 40 events per second against a 1 s horizon: the automatic choice gallops; both must agree exactly.
  const store = fixture({ seed: 8, durationS: 120, causal: true });
  for (let t = 0; t < 120e6; t += 25_000) store.add({ time: 1_767_225_600_000_000 + t + 7, locale: 'sw1:p9', kind: 'event', name: 'tick', value: 1 });
  const series = store.finish();
  const res = learnSignatures(series, null);
  assert.ok(!res.doc.signatures.some((s) => s.event.name === 'tick'), 'a steady tick follows no tag');
  assert.equal(res.doc.signatures.length, 2);
  const ctx = makeContext(series, null, resolveParams({}));
  const some = ctx.candidates.filter((c) => c.eventName === 'tick' || c.tagName === 'MG');
  const walk = intervalStats(ctx.series, some, ctx.binner, ctx.shifted, some.map(ctx.sets), ALL_TIME, 'walk');
  const gallop = intervalStats(ctx.series, some, ctx.binner, ctx.shifted, some.map(ctx.sets), ALL_TIME, 'gallop');
  assert.deepEqual(walk, gallop);
  assert.deepEqual(intervalPass(ctx, some, ALL_TIME), walk);
  assert.ok(walk.some((x) => x > 0));
});

test('parallel learning (group screen split with a worker thread over shared memory) equals one thread', async () => {
  const series = fixture({ seed: 9, durationS: 200, causal: true }).finish();
  const relations = { relation: () => 'any' };
  const one = learnSignatures(series, relations, { screenGroup: 2 });
  const two = await learnSignaturesParallel(series, relations, { screenGroup: 2 }, undefined, 2);
  assert.deepEqual(two.doc, one.doc);
  assert.deepEqual(two.candidates, one.candidates);
  assert.equal(one.doc.signatures.length, 2);
  await assert.rejects(learnSignaturesParallel(series, null, {}, undefined, 0), /threads/);
});
