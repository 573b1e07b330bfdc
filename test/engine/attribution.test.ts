import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learnSignatures, makeContext, windowPass, intervalPass, sliceRanges, mergeInto } from '../../src/engine/learn.ts';
import { attributeEventSeries, kernelFromExcess } from '../../src/engine/attribution.ts';
import { fineEdges } from '../../src/engine/lag-bins.ts';
import { excessHistogram } from '../../src/engine/lead-time.ts';
import { DEFAULT_PARAMS, resolveParams } from '../../src/engine/params.ts';
import { eventProbabilityAt } from '../../src/engine/extent-eval.ts';
import { ALL_TIME } from '../../src/engine/time-range.ts';
import { windowLayout, type WindowPlan } from '../../src/engine/window-stats.ts';
import { influenceBins, scanWindow } from '../../src/engine/window-scan.ts';
import { periodicFixture, PS, SWITCH_PORT } from './periodic-fixture.ts';

const key = (s: { tag: { name: string }; event: { name: string } }) => `${s.tag.name}->${s.event.name}`;

test('a strictly periodic tag keeps its credit under default params; its companion is explained away, an unrelated periodic tag is not a signature', () => {
  for (const seed of [1, 2, 3]) {
    const res = learnSignatures(periodicFixture({ seed, durationS: 180 }).finish(), null);
    assert.deepEqual(res.doc.signatures.map(key), ['rpc_sync->qdisc_drop'], `seed ${seed}`);
    const sig = res.doc.signatures[0]!;
    assert.ok(sig.credit! > 0.9 && sig.credit! >= DEFAULT_PARAMS.minCredit, `seed ${seed} credit ${sig.credit}`);
    assert.ok(sig.probability > 0.9, `seed ${seed} probability ${sig.probability}`);
    // The controller's default action threshold (minEventProbability 0.5) is met at the Tag's value.
    assert.ok(eventProbabilityAt(sig, 6) >= 0.5, `seed ${seed} event probability at the tag value ${eventProbabilityAt(sig, 6)}`);
    assert.ok(sig.leadTime.p50 >= 105_000 && sig.leadTime.p50 <= 120_000, `lead time ${sig.leadTime.p50}`);
    assert.ok(sig.window.start <= 105_000 && sig.window.end >= 150_000, `window [${sig.window.start}, ${sig.window.end})`);
    const companion = res.candidates.find((c) => c.tag.name === 'push_log')!;
    assert.equal(companion.stage, 'explained-away', `seed ${seed} companion`);
    assert.ok(companion.credit! < 0.3, `seed ${seed} companion credit ${companion.credit}`);
    const heartbeat = res.candidates.find((c) => c.tag.name === 'heartbeat')!;
    assert.ok(heartbeat.stage === 'screened-out' || heartbeat.stage === 'not-significant', `seed ${seed} heartbeat ${heartbeat.stage}`);
  }
});

test('a burst that outlasts the window chosen for its onset is attributed as a whole: the periodic tag keeps its credit, the companion does not', () => {
  for (const seed of [1, 2, 3]) {
    const res = learnSignatures(periodicFixture({ seed, durationS: 180, burst: 'long' }).finish(), null);
    assert.deepEqual(res.doc.signatures.map(key), ['rpc_sync->qdisc_drop'], `seed ${seed}`);
    const sig = res.doc.signatures[0]!;
    // The window is the burst's onset (50-55 ms); the drops go on until 250-290 ms.
    assert.ok(sig.window.end <= 100_000 && sig.leadTime.p50 >= 50_000 && sig.leadTime.p50 <= 56_000, `window [${sig.window.start}, ${sig.window.end}) lead ${sig.leadTime.p50}`);
    assert.ok(sig.credit! > 0.9, `seed ${seed} credit ${sig.credit}`);
    const companion = res.candidates.find((c) => c.tag.name === 'push_log')!;
    assert.equal(companion.stage, 'explained-away', `seed ${seed} companion credit ${companion.credit}`);
  }
});

test('periodic tags with bursts at random times: no signature', () => {
  for (const seed of [1, 2, 3]) {
    for (const burst of ['short', 'long'] as const) {
      const res = learnSignatures(periodicFixture({ seed, durationS: 180, causal: false, burst }).finish(), null);
      assert.deepEqual(res.doc.signatures.map(key), [], `seed ${seed} ${burst} bursts`);
    }
  }
});

test('attribution kernel: every in-window lag counts, the histograms add up over slices, and a first-lag kernel would lose the burst', () => {
  const series = periodicFixture({ seed: 4, durationS: 120 }).finish();
  const p = resolveParams({});
  const ctx = makeContext(series, null, p);
  const cand = ctx.candidates.find((c) => c.tagName === 'rpc_sync' && c.tagLocale === PS && c.eventLocale === SWITCH_PORT)!;
  const [start, end] = [100_000, 160_000];
  const plan: WindowPlan = { candidate: cand, start, end, fine: fineEdges(start, end, p.minLag / 4, 16), valueEdges: Float64Array.of(6) };
  const whole = windowPass(ctx, [plan], ALL_TIME)[0]!;
  const merged = sliceRanges(series, 6).map((r) => windowPass(ctx, [plan], r)[0]!).reduce((a, b) => mergeInto(a, b));
  assert.deepEqual(merged, whole);
  const L = windowLayout(plan, p.shifts);
  const sum = (at: number) => whole.subarray(at, at + L.F).reduce((a, b) => a + b, 0);
  assert.equal(sum(L.pairTag), whole[L.pairs]);
  assert.equal(sum(L.pairBase), whole[L.pairs + 1]);
  assert.equal(sum(L.fineTag), whole[L.hits]);
  assert.ok(whole[L.pairs]! > 15 * whole[L.hits]!, 'bursts of many events per tag');

  // The same EM with the kernel of every in-window lag (as the learner fits) and with the first-lag one:
  // only the former credits the burst to the tag; the latter leaves most of each burst to the background.
  const member = cand.members[0]!;
  const fit = (at: number, baseAt: number) => {
    const density = kernelFromExcess(plan.fine, excessHistogram(whole.subarray(at, at + L.F), whole.subarray(baseAt, baseAt + L.F), p.shifts));
    return attributeEventSeries(ctx.series, [{ tag: member.tag, event: member.event, start, end, edges: plan.fine, density }], p.backgroundBucket, p.emIterations)[0]!;
  };
  const inWindow = whole[L.pairs]!;
  const allLags = fit(L.pairTag, L.pairBase);
  const firstLags = fit(L.fineTag, L.fineBase);
  assert.ok(allLags.credited > 0.95 * inWindow, `all-lag kernel credits ${allLags.credited} of ${inWindow}`);
  assert.ok(firstLags.credited < 0.6 * inWindow, `first-lag kernel credits ${firstLags.credited} of ${inWindow}`);
});

test('influence bins: a window chosen for a long burst\'s onset widens over the burst\'s body; a window holding the whole burst stays', () => {
  const p = resolveParams({});
  for (const burst of ['short', 'long'] as const) {
    const series = periodicFixture({ seed: 4, durationS: 120, burst }).finish();
    const ctx = makeContext(series, null, p);
    const cand = ctx.candidates.find((c) => c.tagName === 'rpc_sync')!;
    const B = ctx.edges.length - 1;
    const stats = intervalPass(ctx, [cand], ALL_TIME);
    const scan = scanWindow(stats, 0, B, p.shifts, p.minHits)!;
    const reach = influenceBins(stats, 0, B, p.shifts, scan, p.influenceAlpha);
    const [window, influence] = [[ctx.edges[scan.i]!, ctx.edges[scan.j + 1]!], [ctx.edges[reach.i]!, ctx.edges[reach.j + 1]!]];
    if (burst === 'short') assert.deepEqual(influence, window);
    else {
      assert.ok(window[1]! <= 100_000, `window ${window}`);
      assert.ok(influence[0] === window[0] && influence[1]! >= 250_000 && influence[1]! < 400_000, `influence ${influence}`);
    }
  }
});
