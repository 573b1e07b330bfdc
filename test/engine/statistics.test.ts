import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benjaminiHochberg, binomialG, erfc, hitTest, pFromG } from '../../src/engine/significance.ts';
import { binOf, makeLagBins } from '../../src/engine/lag-bins.ts';
import { LagBinner, addFirstLags, firstLagScore } from '../../src/engine/screen-stats.ts';
import { advance, lowerBound, TimeIndex } from '../../src/engine/sorted-search.ts';
import { computeExtent, fitLogistic, theilSen } from '../../src/engine/extent.ts';
import { leadTimeQuantiles } from '../../src/engine/lead-time.ts';
import { resolveParams } from '../../src/engine/params.ts';
import { anchorShift, baselineShifts } from '../../src/engine/baseline-shift.ts';
import { ALL_TIME } from '../../src/engine/time-range.ts';
import { rng } from './scenario-fixture.ts';

test('erfc and one-sided p-values match known values', () => {
  assert.ok(Math.abs(erfc(0) - 1) < 1e-7);
  assert.ok(Math.abs(erfc(1) - 0.157299207) < 1e-7);
  assert.ok(Math.abs(erfc(-1) - 1.842700793) < 1e-7);
  assert.ok(Math.abs(erfc(3) / 2.209049699858544e-5 - 1) < 1e-6);
  // G = z^2 for a one-sided z test: z = 1.96 gives p = 0.025.
  assert.ok(Math.abs(pFromG(1.959964 ** 2) - 0.025) < 1e-6);
  assert.equal(pFromG(0), 1);
});

test('binomial G is 0 at or below the baseline and grows with the excess', () => {
  assert.equal(binomialG(10, 100, 0.1), 0);
  assert.equal(binomialG(5, 100, 0.1), 0);
  assert.ok(binomialG(20, 100, 0.1) > binomialG(15, 100, 0.1));
  assert.ok(binomialG(100, 100, 0.5) > 0);
  // Overdispersed shifted sets lower the score of the same hit count.
  const calm = hitTest(30, 200, [10, 11, 9, 10, 10, 10]);
  const wild = hitTest(30, 200, [0, 30, 1, 25, 2, 2]);
  assert.ok(wild.dispersion > 2 && calm.dispersion === 1);
  assert.ok(wild.p > calm.p);
});

test('Benjamini-Hochberg q-values', () => {
  const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.5]);
  const want = [0.04, (0.04 * 4) / 3, (0.04 * 4) / 3, 0.5];
  q.forEach((x, i) => assert.ok(Math.abs(x - want[i]!) < 1e-12, `${i}: ${x} vs ${want[i]}`));
  assert.deepEqual(benjaminiHochberg([1, 1]), [1, 1]);
});

test('lag bins: geometric edges, the O(1) binner agrees with binary search on every integer lag', () => {
  const { edges } = makeLagBins(10, 1_000_000, 1.5);
  assert.equal(edges[0], 0);
  assert.equal(edges[1], 10);
  assert.equal(edges[edges.length - 1], 1_000_000);
  const b = new LagBinner(edges);
  for (let x = 0; x < 1_000_000; x += x < 5000 ? 1 : 7) assert.equal(b.bin(x), binOf(edges, x), `lag ${x}`);
  assert.throws(() => makeLagBins(1, 1e12, 3), /exceed 32/);
  assert.throws(() => makeLagBins(0, 10, 1), /minLag/);
});

test('sorted search: galloping advance equals lower bound', () => {
  const r = rng(7);
  const a = Float64Array.from({ length: 5000 }, () => Math.floor(r() * 1e6)).sort();
  let p = 0;
  for (let x = -10; x < 1.1e6; x += Math.floor(r() * 3000)) {
    p = advance(a, p, x);
    assert.equal(p, lowerBound(a, x));
  }
});

test('first-lag screen: forward excess after a cause, none for an independent tag', () => {
  const r = rng(3);
  const tags = Float64Array.from({ length: 2000 }, (_, i) => i * 1e6 + Math.floor(r() * 5e5));
  const noise = Array.from({ length: 3000 }, () => Math.floor(r() * 2e9));
  const caused = Array.from(tags).filter(() => r() < 0.5).map((t) => t + 3000);
  const events = Float64Array.from([...noise, ...caused]).sort();
  const { edges } = makeLagBins(10, 1e6, 1.5);
  const B = edges.length - 1;
  const out = new Float64Array(2 * B);
  addFirstLags(tags, events, ALL_TIME, new LagBinner(edges), out, 0);
  assert.ok(firstLagScore(out, 0, B) > 20);
  const indep = new Float64Array(2 * B);
  addFirstLags(tags, Float64Array.from(noise).sort(), ALL_TIME, new LagBinner(edges), indep, 0);
  assert.ok(firstLagScore(indep, 0, B) < 4);
});

test('extent helpers: Theil-Sen ignores an outlier, logistic recovers its parameters, threshold from bins', () => {
  assert.equal(theilSen([1, 2, 3, 4, 5], [2, 4, 6, 8, 100]), 2);
  assert.equal(theilSen([1, 1], [1, 2]), 0);
  const xs = [2, 6, 10, 14, 18, 22, 26, 30];
  const ys = xs.map((x) => 1 / (1 + Math.exp(-(-3 + 0.2 * x))));
  const fit = fitLogistic(xs, ys, xs.map(() => 100))!;
  assert.ok(Math.abs(fit.a + 3) < 1e-3 && Math.abs(fit.b - 0.2) < 1e-4, JSON.stringify(fit));
  assert.equal(fitLogistic([5, 5], [0.1, 0.9], [10, 10]), null);
  const e = computeExtent(
    [
      { lo: 1, hi: 10, tags: 100, hits: 10, eventValueSum: 20, tagValueSum: 500 },
      { lo: 10, hi: 20, tags: 100, hits: 60, eventValueSum: 300, tagValueSum: 1500 },
      { lo: 20, hi: 30, tags: 100, hits: 95, eventValueSum: 950, tagValueSum: 2500 },
    ],
    0.05,
  );
  assert.equal(e.threshold, 10);
  assert.ok(e.bins[0]!.probability < 0.1 && e.bins[2]!.probability > 0.9);
  assert.ok(e.sizeSlope > 0);
});

test('lead-time quantiles interpolate inside the excess histogram', () => {
  const edges = Float64Array.from([100, 200, 400, 800]);
  const lt = leadTimeQuantiles(edges, Float64Array.from([0, 10, 0]));
  assert.equal(lt.min, 200);
  assert.equal(lt.p50, Math.round(200 * Math.SQRT2));
  assert.ok(lt.p05 < lt.p50 && lt.p50 < lt.p95 && lt.p95 <= 400);
});

test('params: defaults, validation names the field, shifts are deterministic and outside the horizon', () => {
  const p = resolveParams({});
  assert.throws(() => resolveParams({ fdr: 2 }), /params\.fdr/);
  assert.throws(() => resolveParams({ shifts: 3 }), /params\.shifts/);
  assert.throws(() => resolveParams({ horizon: -1 }), /params\.horizon/);
  assert.throws(() => resolveParams({ shiftMin: 10 }), /params\.shiftMin/);
  assert.throws(() => resolveParams({ window: 5 } as never), /params\.window: unknown parameter/);
  assert.throws(() => resolveParams({ pool: 'yes' } as never), /params\.pool: must be true or false/);
  // On a recording longer than shiftMin + shiftMax the configured range applies as it is.
  const b = baselineShifts(p, { from: 0, to: 600e6 });
  assert.deepEqual([b.min, b.max], [p.shiftMin, p.shiftMax]);
  for (let i = 0; i < 1000; i++) {
    for (let s = 1; s <= p.shifts; s++) {
      const d = anchorShift(b, i, s);
      assert.equal(d, anchorShift(b, i, s));
      assert.ok(Math.abs(d) >= p.shiftMin && Math.abs(d) <= p.shiftMax);
      assert.equal(Math.sign(d), s % 2 === 1 ? -1 : 1);
    }
  }
});

test('time index lower bound equals binary search, inside, before and after the data', () => {
  const r = rng(11);
  const a = Float64Array.from({ length: 3000 }, () => Math.floor(r() * 1e7)).sort();
  for (const width of [1, 1000, 1e5, 1e9]) {
    const idx = new TimeIndex(a, width);
    for (let x = -5e5; x < 1.1e7; x += 1 + Math.floor(r() * 20000)) assert.equal(idx.lowerBound(x), lowerBound(a, x), `width ${width} x ${x}`);
    assert.equal(idx.lowerBound(a[a.length - 1]!), lowerBound(a, a[a.length - 1]!));
  }
  assert.equal(new TimeIndex(new Float64Array(0), 10).lowerBound(5), 0);
});
