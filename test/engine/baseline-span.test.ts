import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learnSignatures, makeContext, intervalPass, windowPass, sliceRanges, mergeInto } from '../../src/engine/learn.ts';
import { anchorShift, baselineSets, baselineShifts, shiftedAnchor } from '../../src/engine/baseline-shift.ts';
import { resolveParams } from '../../src/engine/params.ts';
import { ALL_TIME, recordedSpan } from '../../src/engine/time-range.ts';
import { lowerBound } from '../../src/engine/sorted-search.ts';
import type { Series } from '../../src/protocol/series-store.ts';
import { periodicFixture, PS, SWITCH_PORT } from './periodic-fixture.ts';
import { incastFixture, PORT } from './incast-fixture.ts';

/** Share of instants on a fine grid inside the recording followed by an event within [start, end): the chance rate. */
function chanceRate(series: readonly Series[], event: Float64Array, start: number, end: number): number {
  const span = recordedSpan(series)!;
  let hits = 0;
  let n = 0;
  for (let a = span.from; a < span.to - end; a += 1009) {
    n++;
    const p = lowerBound(event, a + start);
    if (p < event.length && event[p]! < a + end) hits++;
  }
  return hits / n;
}

test('the shift range fits the recorded span: at most the span minus the shortest shift, the shortest at most half the span', () => {
  const p = resolveParams({});
  assert.deepEqual(baselineShifts(p, { from: 5, to: 5 + 600e6 }), { from: 5, length: 600e6, min: 1e6, max: 15e6 });
  assert.deepEqual(baselineShifts(p, { from: 0, to: 10e6 }), { from: 0, length: 10e6, min: 1e6, max: 9e6 });
  assert.deepEqual(baselineShifts(p, { from: 0, to: 1.5e6 }), { from: 0, length: 1.5e6, min: 0.75e6, max: 0.75e6 });
  assert.deepEqual(baselineShifts(p, null), { from: 0, length: 1, min: 0, max: 1 });
  assert.throws(() => baselineShifts(p, { from: 0, to: 0 }), /recorded span/);
  // Shifted anchors stay inside the span and at least `min` from their tag both ways around the circle.
  for (const length of [20e6, 10e6, 2.5e6]) {
    const b = baselineShifts(p, { from: 1e9, to: 1e9 + length });
    for (let i = 0; i < 400; i++) {
      const t = 1e9 + ((i * 7919) % 400) * (length / 400);
      for (let s = 1; s <= p.shifts; s++) {
        const a = shiftedAnchor(b, t, i, s);
        assert.ok(a >= b.from && a < b.from + b.length, `anchor ${a} outside the span`);
        const ahead = (((a - t) % length) + length) % length;
        assert.ok(ahead >= b.min && length - ahead >= b.min, `anchor ${a} within ${b.min} of its tag ${t}`);
        assert.ok(Math.abs(anchorShift(b, i, s)) <= b.max);
      }
    }
  }
});

test('candidates with few tags get more shifted sets (even, at most 4 x shifts), others the default', () => {
  const p = resolveParams({});
  assert.deepEqual([60, 100, 200, 250, 400, 1e6].map((n) => baselineSets(p, n)), [24, 16, 8, 6, 6, 6]);
  assert.equal(baselineSets(p, 0), 24);
  assert.equal(baselineSets(resolveParams({ baselineAnchors: 1 }), 10), 6);
  assert.throws(() => resolveParams({ baselineAnchors: 0 }), /params\.baselineAnchors/);
});

test('short recording (20 s): the baseline rate with default params equals the chance rate inside the data', () => {
  for (const seed of [1, 2, 3]) {
    const series = periodicFixture({ seed, durationS: 20 }).finish();
    const res = learnSignatures(series, null, { all: true });
    const sig = res.doc.signatures.find((s) => s.tag.name === 'rpc_sync' && s.event.locale === SWITCH_PORT)!;
    assert.ok(sig, `seed ${seed}: rpc_sync -> qdisc_drop scanned`);
    const drops = series.find((s) => s.key.name === 'qdisc_drop' && s.key.locale === SWITCH_PORT)!.times;
    const chance = chanceRate(series, drops, sig.window.start, sig.window.end);
    // Before the shifted anchors wrapped around the span, a third of them fell outside it (0.16-0.20 here).
    assert.ok(Math.abs(sig.baselineRate - chance) < 0.05, `seed ${seed}: baseline ${sig.baselineRate} vs chance ${chance}`);
    assert.equal(res.candidates.find((c) => c.tag.name === 'rpc_sync' && c.tag.locale === PS)!.stage, 'signature');
  }
});

test('no relation on a short recording (20 s): no signature, and no candidate significant even with the screen off', () => {
  for (const seed of [1, 2, 3]) {
    const series = periodicFixture({ seed, durationS: 20, causal: false }).finish();
    assert.deepEqual(learnSignatures(series, null).doc.signatures, [], `seed ${seed}`);
    // Without the screen the window scan's baseline alone must reject (it gave q ~1e-6 while biased low).
    const res = learnSignatures(series, null, { screenZ: 0 });
    assert.deepEqual(res.doc.signatures, [], `seed ${seed}`);
    assert.ok(res.stats.scanned > 0);
    for (const c of res.candidates) assert.ok(c.qValue > 0.05, `seed ${seed}: ${c.tag.name} -> ${c.event.name} q ${c.qValue}`);
  }
});

test('MemCached-like short recordings (10-20 s, Tags every 60-160 ms, lags 1-5 ms): defaults find MG -> drop against the chance rate, nothing without a relation', () => {
  for (const [seed, durationS] of [[1, 10], [2, 15], [3, 20]] as const) {
    const series = incastFixture({ seed, durationS }).finish();
    const res = learnSignatures(series, null);
    assert.deepEqual(res.doc.signatures.map((s) => `${s.tag.name}->${s.event.name}`), ['MG->qdisc_drop'], `seed ${seed}`);
    const sig = res.doc.signatures[0]!;
    assert.ok(sig.leadTime.p50 >= 1000 && sig.leadTime.p50 <= 5000, `lead time ${sig.leadTime.p50}`);
    const drops = series.find((s) => s.key.name === 'qdisc_drop' && s.key.locale === PORT)!.times;
    const chance = chanceRate(series, drops, sig.window.start, sig.window.end);
    // The chance rate is ~0.02 here; anchors shifted outside the data made the baseline 44-70 % too low.
    assert.ok(Math.abs(sig.baselineRate - chance) < 0.35 * chance, `seed ${seed}: baseline ${sig.baselineRate} vs chance ${chance}`);
    assert.deepEqual(learnSignatures(incastFixture({ seed, durationS, causal: false }).finish(), null).doc.signatures, [], `seed ${seed} no relation`);
  }
});

test('short recording: wrapped baseline statistics still merge exactly across time slices', () => {
  const series = periodicFixture({ seed: 4, durationS: 20 }).finish();
  const ctx = makeContext(series, null, resolveParams({}));
  const ranges = sliceRanges(series, 6);
  const whole = intervalPass(ctx, ctx.candidates, ALL_TIME);
  assert.deepEqual(ranges.map((r) => intervalPass(ctx, ctx.candidates, r)).reduce((a, b) => mergeInto(a, b)), whole);
  const one = learnSignatures(series, null, { slices: 1, all: true });
  const many = learnSignatures(series, null, { slices: 6, all: true });
  assert.ok(one.doc.signatures.length > 0);
  assert.deepEqual({ ...many.doc, params: { ...many.doc.params, slices: 1 } }, one.doc);
  const plan = { candidate: ctx.candidates[0]!, start: 100_000, end: 158_489, fine: Float64Array.from([50_000, 100_000, 158_489, 300_000]), valueEdges: Float64Array.from([1]) };
  const w = windowPass(ctx, [plan], ALL_TIME)[0]!;
  assert.deepEqual(ranges.map((r) => windowPass(ctx, [plan], r)[0]!).reduce((a, b) => mergeInto(a, b)), w);
});
