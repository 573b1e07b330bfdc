import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crudeSignatures } from '../../src/engine/crude.ts';
import { topologyRelations } from '../../src/engine/candidates.ts';
import { SeriesStore } from '../../src/protocol/series-store.ts';
import { Topology } from '../../src/protocol/topology.ts';
import { compareMethods, summarize } from '../../src/evaluation/compare.ts';
import { Rng } from '../../src/evaluation/rng.ts';

const topology = Topology.fromDoc({
  nodes: [
    { id: 'h1', kind: 'host' },
    { id: 'leaf0', kind: 'leaf' },
    { id: 'spine0', kind: 'spine' },
    { id: 'leaf1', kind: 'leaf' },
    { id: 'h2', kind: 'host' },
  ],
  links: [
    { a: 'h1', b: 'leaf0' },
    { a: 'leaf0', b: 'spine0' },
    { a: 'spine0', b: 'leaf1' },
    { a: 'leaf1', b: 'h2' },
  ],
  locales: { 'app@h1': 'h1', 'leaf0:p1': 'leaf0', 'leaf1:p1': 'leaf1' },
});

/** 1000 MultiGet tags a second apart; 80% followed by a drop 5 ms later; a Poisson background of 2 drops/s. */
function scenario() {
  const rng = new Rng(11, 'crude-test');
  const store = new SeriesStore();
  const tag = store.seriesId('tag', 'MultiGet', 'app@h1');
  const drop = store.seriesId('event', 'drop', 'leaf0:p1');
  const far = store.seriesId('event', 'drop', 'leaf1:p1');
  for (let i = 0; i < 1000; i++) {
    const t = 1_000_000 * (i + 1);
    store.append(tag, t, 1 + (i % 10));
    if (i % 10 < 8) store.append(drop, t + 5000, 2 * (1 + (i % 10)));
  }
  for (let t = rng.exp(2 / 1e6); t < 1001e6; t += rng.exp(2 / 1e6)) store.append(drop, Math.floor(t), 1);
  for (let i = 0; i < 1000; i++) store.append(far, 1_000_000 * (i + 1) + 5000, 1);
  return store.finish();
}

test('the right td finds the relation with probability = hits / tags and the lag as lead time', () => {
  const doc = crudeSignatures(scenario(), topologyRelations(topology, 2), { td: 10_000 });
  assert.equal(doc.signatures.length, 1, 'the leaf1 port is 3 hops away: not a candidate');
  const s = doc.signatures[0]!;
  assert.equal(s.tag.locale, 'app@h1');
  assert.equal(s.event.locale, 'leaf0:p1');
  assert.equal(s.relation, '1-hop');
  // 800 caused hits plus background drops that happen to fall into the other 200 windows (~2%).
  assert.ok(s.probability >= 0.8 && s.probability < 0.82, String(s.probability));
  assert.equal(s.leadTime.p50, 5000);
  assert.deepEqual(s.window, { start: 0, end: 10_000 });
  assert.equal(s.support, 1000);
  assert.ok(s.baselineRate > 0.01 && s.baselineRate < 0.03, String(s.baselineRate));
  // Extent: tags with values 9 and 10 are never followed; the size is twice the value.
  assert.equal(s.extent.sizeSlope, 2);
  assert.ok(s.extent.bins.at(-1)!.probability < 0.1);
  assert.deepEqual(s.extent.bins.map((b) => [b.lo, b.hi, b.tags]), [[1, 2, 200], [3, 4, 200], [5, 6, 200], [7, 8, 200], [9, 10, 200]]);
  assert.equal(s.extent.threshold, 1);
  assert.equal(doc.params.method, 'crude');
});

test('failure modes: too small a td misses, too large a td credits the background', () => {
  const series = scenario();
  const relations = topologyRelations(topology, 2);
  assert.equal(crudeSignatures(series, relations, { td: 1000 }).signatures.length, 0);
  // Without topology every pair is a candidate; td = 1 s then hits the unrelated port after every tag.
  const wide = crudeSignatures(series, null, { td: 1_000_000 });
  assert.deepEqual(wide.signatures.map((s) => s.event.locale).sort(), ['leaf0:p1', 'leaf1:p1']);
  assert.ok(wide.signatures.every((s) => s.relation === 'any'));
  // And with a large td the background alone lifts the hit rate far above the true 0.8.
  const far = crudeSignatures(series, relations, { td: 1_000_000 }).signatures[0]!;
  assert.ok(far.probability > 0.9, String(far.probability));
});

test('bad options are rejected with the field named', () => {
  assert.throws(() => crudeSignatures([], null, { td: 0 }), /td/);
  assert.throws(() => crudeSignatures([], null, { td: 10, threshold: 2 }), /threshold/);
  assert.throws(() => crudeSignatures([], null, { td: 10, minSupport: 0 }), /minSupport/);
});

test('on generated scenarios the crude method misses at small td and invents relations at large td', () => {
  const rows = compareMethods({
    scenarios: ['coexist', 'norelation'],
    seeds: [1],
    shape: { durationUs: 300e6 },
    methods: [
      { kind: 'crude', td: 500 },
      { kind: 'crude', td: 50_000 },
      { kind: 'crude', td: 1_000_000 },
    ],
  });
  const [small, mid, large, noneSmall, , noneLarge] = summarize(rows);
  assert.equal(small!.meanRecall, 0);
  assert.ok(mid!.meanRecall! > 0.5 && mid!.meanPrecision! < 0.8, 'companions are always credited');
  assert.equal(large!.meanRecall, 1);
  assert.ok(large!.falseDiscoveries > 5 * mid!.falseDiscoveries);
  assert.equal(noneSmall!.falseDiscoveries, 0);
  assert.ok(noneLarge!.falseDiscoveries > 20, String(noneLarge!.falseDiscoveries));
});
