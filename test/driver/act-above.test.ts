// The act-above value from a signature's extent (logistic, bins, none) and its wire packet's validation.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actAboveOf, actAboveValue, eventProbabilityAt } from '../../src/engine/extent-eval.ts';
import type { Extent, Signature } from '../../src/engine/signature.ts';
import { PacketType, WireError, decodePacket, encodeThresholds } from '../../src/protocol/wire.ts';

function sig(extent: Extent, probability = 0.3): Signature {
  return {
    tag: { name: 'MG', locale: 'a' }, event: { name: 'drop', locale: 'b' }, relation: 'any', probability, hitRate: 0.3,
    baselineRate: 0, lift: 1, pValue: 0, qValue: 0, support: 10, hits: 3, leadTime: { min: 0, p05: 0, p50: 0, p95: 0 },
    window: { start: 0, end: 10 }, extent,
  };
}
const base: Extent = { bins: [], threshold: null, sizeSlope: 0, logistic: null };

test('logistic extent: act-above is where p crosses the probability; below it p is under, at it p reaches it', () => {
  const s = sig({ ...base, logistic: { a: -5, b: 0.05 } });
  for (const p of [0.5, 0.8]) {
    const t = actAboveValue(s, p)!;
    assert.ok(eventProbabilityAt(s, t - 1e-6) < p && eventProbabilityAt(s, t + 1e-6) >= p, `p=${p} at ${t}`);
  }
  assert.ok(Math.abs(actAboveValue(s, 0.5)! - 100) < 1e-9);
  assert.equal(actAboveValue(sig({ ...base, logistic: { a: 2, b: -0.1 } }), 0.5), null, 'likely at small values: always ask');
  assert.equal(actAboveValue(sig({ ...base, logistic: { a: 1, b: 0 } }), 0.5), null);
  assert.throws(() => actAboveValue(s, 1), /minP/);
});

test('binned extent: the lowest bin reaching the probability; none when the signature itself is likely or has no bins', () => {
  const bins = [
    { lo: 0, hi: 9, tags: 5, hits: 0, probability: 0.1, meanEventValue: 0 },
    { lo: 10, hi: 19, tags: 5, hits: 3, probability: 0.6, meanEventValue: 1 },
    { lo: 20, hi: 29, tags: 5, hits: 5, probability: 0.9, meanEventValue: 2 },
  ];
  assert.equal(actAboveValue(sig({ ...base, bins }), 0.5), 10);
  assert.equal(actAboveValue(sig({ ...base, bins }), 0.7), 20);
  assert.equal(actAboveValue(sig({ ...base, bins }, 0.6), 0.5), null, 'values outside the bins take the signature probability');
  assert.equal(actAboveValue(sig(base, 0.1), 0.5), null, 'no usable extent');
  assert.equal(actAboveValue(sig({ ...base, bins: bins.slice(0, 1) }), 0.5), null, 'never likely: still asks');
  assert.equal(actAboveOf([sig({ ...base, bins }), sig({ ...base, logistic: { a: -5, b: 1 } })], 0.5), 5, 'the smallest over signatures');
  assert.equal(actAboveOf([sig({ ...base, bins }), sig(base)], 0.5), null, 'any signature without a bound: always ask');
});

test('thresholds packets round-trip and bad ones name the field', () => {
  const body = { locale: 'app-r', generation: 3, thresholds: [{ name: 'MG', actAbove: 100 }, { name: 'GET', actAbove: null }] };
  const d = decodePacket(encodeThresholds(7, body), 1);
  assert.ok(d.type === PacketType.thresholds);
  assert.deepEqual(d.thresholds, body);
  const bad = encodeThresholds(8, { ...body, thresholds: [{ name: 'MG', actAbove: 'x' as unknown as number }] });
  assert.throws(() => decodePacket(bad, 2), (e: unknown) => e instanceof WireError && e.field === 'thresholds[0].actAbove');
});
