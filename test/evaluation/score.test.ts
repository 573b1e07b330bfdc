import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreSignatures } from '../../src/evaluation/score.ts';
import type { Signature, SignaturesDoc } from '../../src/engine/signature.ts';
import type { TruthDoc, TruthPair } from '../../src/evaluation/truth.ts';
import { validateTruth } from '../../src/evaluation/truth.ts';

function pair(app: string, tag: string, tagLocale: string, event: string, eventLocale: string, probability: number, p50: number, sizeSlope = 1, threshold: number | null = null): TruthPair {
  return {
    app,
    tag: { name: tag, locale: tagLocale },
    event: { name: event, locale: eventLocale },
    relation: '1-hop',
    probability,
    leadTime: { min: p50 / 2, p05: p50 * 0.7, p50, p95: p50 * 1.4, max: p50 * 2 },
    window: { start: p50 / 2, end: p50 * 2 },
    extent: { threshold, logistic: threshold === null ? null : { a: -threshold, b: 1 }, sizeSlope },
  };
}

function sig(tag: string, tagLocale: string, event: string, eventLocale: string, probability: number, p50: number, sizeSlope = 1, threshold: number | null = null): Signature {
  return {
    tag: { name: tag, locale: tagLocale },
    event: { name: event, locale: eventLocale },
    relation: '1-hop',
    probability,
    hitRate: probability,
    baselineRate: 0.01,
    lift: probability / 0.01,
    pValue: 1e-9,
    qValue: 1e-8,
    support: 100,
    hits: Math.round(100 * probability),
    leadTime: { min: p50 / 2, p05: p50 * 0.7, p50, p95: p50 * 1.4 },
    window: { start: p50 / 2, end: p50 * 2 },
    extent: { bins: [], threshold, sizeSlope, logistic: null },
  };
}

const truth: TruthDoc = {
  version: 1,
  scenario: 'hand',
  params: {},
  pairs: [pair('app0', 'MultiGet', 'app0@h1', 'drop', 'leaf0:p1', 0.6, 1000, 2, 10), pair('app1', 'MultiGet', 'app1@h2', 'drop', 'leaf0:p2', 0.8, 2000), pair('app2', 'flush', 'app2@h3', 'backlog', 'leaf0:u0', 0.5, 100_000)],
  decoys: [
    { tag: { name: 'ReqLog', locale: 'app0@h1' }, role: 'companion', travelsWith: { name: 'MultiGet', locale: 'app0@h1' } },
    { tag: { name: 'gc_pause', locale: 'app1@h2' }, role: 'noise' },
  ],
};

const doc = (signatures: Signature[]): SignaturesDoc => ({ version: 1, params: {}, signatures });

test('exact matches, false discoveries by reason, precision, recall and F1', () => {
  const s = scoreSignatures(
    doc([
      sig('MultiGet', 'app0@h1', 'drop', 'leaf0:p1', 0.5, 1100, 2.2, 12),
      sig('MultiGet', 'app1@h2', 'drop', 'leaf0:p2', 0.9, 1800),
      sig('ReqLog', 'app0@h1', 'drop', 'leaf0:p1', 0.55, 1200),
      sig('gc_pause', 'app1@h2', 'drop', 'leaf0:p2', 0.3, 50_000),
      sig('MultiGet', 'app0@h1', 'ecn_mark', 'leaf0:p1', 0.3, 900),
      sig('cpu_high', 'h9', 'drop', 'leaf0:p1', 0.3, 900),
    ]),
    truth,
  );
  assert.equal(s.signatures, 6);
  assert.equal(s.truePositives, 2);
  assert.equal(s.falseDiscoveries, 4);
  assert.deepEqual(s.falseDiscoveryReasons, { companion: 1, noise: 1, 'causal-tag-wrong-event': 1, other: 1 });
  assert.equal(s.precision, 2 / 6);
  assert.equal(s.recall, 2 / 3);
  assert.ok(Math.abs(s.f1! - (2 * (1 / 3) * (2 / 3)) / (1 / 3 + 2 / 3)) < 1e-12);
  assert.deepEqual(s.missed.map((m) => m.app), ['app2']);
  // Lead time: relative errors 0.1 and 0.1 -> median 0.1. Calibration: |0.5-0.6|, |0.9-0.8| -> 0.1.
  assert.ok(Math.abs(s.leadTime.medianRelativeError! - 0.1) < 1e-12);
  assert.equal(s.leadTime.scored, 2);
  assert.ok(Math.abs(s.calibration.meanAbsError! - 0.1) < 1e-12);
  assert.ok(Math.abs(s.calibration.bias!) < 1e-12, 'errors -0.1 and +0.1 cancel');
  // Extent: size slope errors 0.1 and 0 -> median 0.05; the threshold is scored only where truth has a logistic.
  assert.ok(Math.abs(s.extent.sizeSlopeMedianRelativeError! - 0.05) < 1e-12);
  assert.equal(s.extent.thresholdScored, 1);
  assert.equal(s.extent.thresholdMedianAbsError, 2);
});

test('reliability table: false discoveries count with true probability 0', () => {
  const s = scoreSignatures(doc([sig('MultiGet', 'app1@h2', 'drop', 'leaf0:p2', 0.9, 2000), sig('gc_pause', 'app1@h2', 'drop', 'leaf0:p2', 0.85, 2000), sig('MultiGet', 'app0@h1', 'drop', 'leaf0:p1', 0.1, 1000)]), truth);
  const top = s.calibration.reliability.at(-1)!;
  assert.equal(top.signatures, 2);
  assert.ok(Math.abs(top.meanPredicted! - 0.875) < 1e-12);
  assert.ok(Math.abs(top.meanTrue! - 0.4) < 1e-12);
  const bottom = s.calibration.reliability[0]!;
  assert.equal(bottom.signatures, 1);
  assert.equal(bottom.meanTrue, 0.6);
  assert.equal(s.calibration.reliability.reduce((n, r) => n + r.signatures, 0), 3);
});

test('pooled signatures recall every pair with the same names and relation and are scored only for detection', () => {
  const twoHop = { ...sig('MultiGet', '*', 'drop', '*', 0.2, 1500), relation: '2-hop' };
  const s = scoreSignatures(doc([sig('MultiGet', '*', 'drop', '*', 0.7, 1500), sig('gc_pause', '*', 'drop', '*', 0.3, 1500), twoHop]), truth);
  assert.equal(s.truePositives, 1);
  assert.equal(s.recalled, 2);
  assert.deepEqual(s.falseDiscoveryReasons, { pooled: 2 });
  assert.equal(s.leadTime.scored, 0);
  assert.equal(s.calibration.scored, 0);
});

test('no-relation truth: every signature is a false discovery; recall and F1 are undefined', () => {
  const none: TruthDoc = { ...truth, pairs: [] };
  const s = scoreSignatures(doc([sig('MultiGet', 'app0@h1', 'drop', 'leaf0:p1', 0.5, 1000)]), none);
  assert.equal(s.falseDiscoveries, 1);
  assert.equal(s.precision, 0);
  assert.equal(s.recall, null);
  assert.equal(s.f1, null);
  const empty = scoreSignatures(doc([]), none);
  assert.equal(empty.falseDiscoveries, 0);
  assert.equal(empty.precision, null);
});

test('truth validation names the bad field', () => {
  assert.throws(() => validateTruth({ version: 2, scenario: 'x', pairs: [], decoys: [] }, 't.json'), /t\.json: version/);
  assert.throws(() => validateTruth({ ...truth, pairs: [{ ...truth.pairs[0], probability: 2 }] }, 't.json'), /pairs\[0\]\.probability/);
  assert.throws(() => validateTruth({ ...truth, pairs: [{ ...truth.pairs[0], tag: { name: 'x' } }] }, 't.json'), /pairs\[0\]\.tag\.locale/);
  assert.equal(validateTruth(JSON.parse(JSON.stringify(truth))).pairs.length, 3);
});
