import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/evaluation/rng.ts';
import { formatDuration, parseDurationUs } from '../../src/evaluation/duration.ts';
import { lagQuantile, normalCdf } from '../../src/evaluation/lag-quantiles.ts';
import { leafSpine } from '../../src/evaluation/topology.ts';
import { Topology } from '../../src/protocol/topology.ts';

test('seeded streams repeat, differ by seed and by stream name, and look uniform', () => {
  const draw = (seed: number, stream: string) => Array.from({ length: 5 }, ((r) => () => r.next())(new Rng(seed, stream)));
  assert.deepEqual(draw(1, 'a'), draw(1, 'a'));
  assert.notDeepEqual(draw(1, 'a'), draw(2, 'a'));
  assert.notDeepEqual(draw(1, 'a'), draw(1, 'b'));
  const r = new Rng(42, 'moments');
  let sum = 0;
  let sumExp = 0;
  let inRange = true;
  for (let i = 0; i < 100_000; i++) {
    const u = r.next();
    inRange &&= u >= 0 && u < 1;
    sum += u;
    sumExp += r.exp(4);
    const z = r.truncatedNormal(2.5);
    inRange &&= Math.abs(z) <= 2.5;
  }
  assert.ok(inRange);
  assert.ok(Math.abs(sum / 100_000 - 0.5) < 0.01);
  assert.ok(Math.abs(sumExp / 100_000 - 0.25) < 0.01);
  assert.throws(() => new Rng(1.5, 'x'), /seed/);
});

test('durations parse with units and format back', () => {
  assert.equal(parseDurationUs('td', '250us'), 250);
  assert.equal(parseDurationUs('td', '10ms'), 10_000);
  assert.equal(parseDurationUs('td', '1.5s'), 1_500_000);
  assert.equal(parseDurationUs('td', '2'), 2_000_000);
  assert.equal(parseDurationUs('td', '10m'), 600_000_000);
  assert.throws(() => parseDurationUs('td', '5 parsecs'), /--td: not a duration/);
  assert.throws(() => parseDurationUs('td', '0ms'), /--td: must be positive/);
  assert.equal(formatDuration(500), '500us');
  assert.equal(formatDuration(2000), '2ms');
  assert.equal(formatDuration(1_500_000), '1.5s');
});

test('lag quantiles of the truncated log-normal', () => {
  assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7);
  assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6);
  const lag = { medianUs: 1000, sigma: 0.2, truncate: 2.5 };
  assert.ok(Math.abs(lagQuantile(0.5, lag) - 1000) < 1e-6);
  assert.ok(Math.abs(lagQuantile(0, lag) - 1000 * Math.exp(-0.5)) < 1e-6);
  assert.ok(Math.abs(lagQuantile(1, lag) - 1000 * Math.exp(0.5)) < 1e-6);
  // The 95th percentile of the truncated normal lies just inside the untruncated 1.645.
  const z95 = Math.log(lagQuantile(0.95, lag) / 1000) / 0.2;
  assert.ok(z95 > 1.55 && z95 < 1.645, String(z95));
});

test('leaf-spine topology: ports map to their switch, hops host -> leaf -> spine', () => {
  const doc = leafSpine({ spines: 2, leaves: 3, hostsPerLeaf: 4 });
  assert.equal(doc.nodes.length, 2 + 3 + 12);
  assert.equal(doc.links.length, 3 * 2 + 12);
  const t = Topology.fromDoc(doc);
  assert.equal(t.nodeOf('leaf2:p3'), 'leaf2');
  assert.equal(t.nodeOf('leaf2:u1'), 'leaf2');
  assert.equal(t.nodeOf('spine1:p2'), 'spine1');
  assert.equal(t.hops('h11', 'leaf2:p3'), 1);
  assert.equal(t.hops('h11', 'spine0:p2'), 2);
  assert.equal(t.hops('h0', 'leaf2:p3'), 3);
  assert.throws(() => leafSpine({ spines: 0, leaves: 1, hostsPerLeaf: 1 }), /topology spines/);
});
