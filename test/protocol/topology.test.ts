import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Topology, TopologyError, relationLabel } from '../../src/protocol/topology.ts';
import { countCandidatePairs, forEachCandidatePair, candidateBoundProblem, MAX_CANDIDATE_PAIRS } from '../../src/protocol/candidates.ts';
import type { SeriesKey } from '../../src/protocol/series-store.ts';

// h1 - tor1 - spine - tor2 - h2, plus h3 on tor1 and an island node
const doc = {
  nodes: [
    { id: 'h1', kind: 'host' },
    { id: 'h2', kind: 'host' },
    { id: 'h3', kind: 'host' },
    { id: 'tor1', kind: 'switch' },
    { id: 'tor2', kind: 'switch' },
    { id: 'spine', kind: 'switch' },
    { id: 'island', kind: 'host' },
  ],
  links: [
    { a: 'h1', b: 'tor1' },
    { a: 'h3', b: 'tor1' },
    { a: 'tor1', b: 'spine' },
    { a: 'spine', b: 'tor2' },
    { a: 'tor2', b: 'h2' },
  ],
  locales: { memcached: 'h1', 'tor1:p1': 'tor1', client: 'h2' },
};

test('hops, related and relation labels between locales', () => {
  const t = Topology.fromDoc(doc);
  assert.equal(t.hops('memcached', 'h1'), 0);
  assert.equal(t.hops('memcached', 'tor1:p1'), 1);
  assert.equal(t.hops('h3', 'memcached'), 2);
  assert.equal(t.hops('h1', 'h2'), 4);
  assert.equal(t.hops('client', 'spine'), 2);
  assert.equal(t.hops('h1', 'island'), Infinity);
  assert.equal(t.related('h3', 'memcached'), true);
  assert.equal(t.related('h1', 'h2'), false);
  assert.equal(t.related('h1', 'h2', 4), true);
  assert.equal(relationLabel(t.hops('memcached', 'h1')), 'same');
  assert.equal(relationLabel(t.hops('h1', 'tor1')), '1-hop');
  assert.equal(relationLabel(t.hops('h1', 'spine')), '2-hop');
  assert.equal(relationLabel(t.hops('h1', 'island')), 'unrelated');
  assert.deepEqual(t.relatedLocales('memcached', 1).sort(), ['h1', 'memcached', 'tor1', 'tor1:p1']);
  assert.deepEqual(t.relatedLocales('h2', 2).sort(), ['client', 'h2', 'spine', 'tor2']);
  assert.deepEqual(t.relatedLocales('island', 10), ['island']);
  assert.equal(t.nodeOf('tor1:p1'), 'tor1');
});

test('unknown locales are unrelated to everything and reported once', () => {
  const t = Topology.fromDoc(doc);
  const reported: string[] = [];
  t.onUnknownLocale = (l) => reported.push(l);
  assert.equal(t.hops('ghost', 'h1'), Infinity);
  assert.equal(t.hops('ghost', 'ghost'), Infinity);
  assert.equal(t.related('h1', 'ghost', 100), false);
  assert.deepEqual(t.relatedLocales('ghost'), []);
  assert.equal(t.nodeOf('phantom'), null);
  assert.deepEqual(reported, ['ghost', 'phantom']);
  assert.deepEqual(t.unknownLocales, ['ghost', 'phantom']);
});

test('validation names the JSON path of the problem', () => {
  const bad = (patch: Record<string, unknown>, message: RegExp) =>
    assert.throws(() => Topology.fromDoc({ ...doc, ...patch }, 'net.json'), (e: unknown) => e instanceof TopologyError && message.test((e as Error).message));
  bad({ links: [...doc.links, { a: 'h1', b: 'sw9' }] }, /^net\.json: links\[5\]\.b: unknown node "sw9"$/);
  bad({ nodes: [...doc.nodes, { id: 'tor2', kind: 'switch' }] }, /^net\.json: nodes\[7\]\.id: duplicate node id "tor2" \(also nodes\[4\]\)$/);
  bad({ locales: { app: 'h9' } }, /^net\.json: locales\["app"\]: unknown node "h9"$/);
  bad({ locales: { h1: 'h2' } }, /locales\["h1"\]: "h1" is a node id/);
  bad({ nodes: [{ id: 'a' }] }, /nodes\[0\]\.kind: missing/);
  bad({ nodes: 'x' }, /nodes: expected an array/);
  bad({ links: [{ a: 'h1', b: 'h1' }] }, /links\[0\]: links node "h1" to itself/);
  assert.throws(() => Topology.parse('{"nodes": [', 'net.json'), /^Error: net\.json: not JSON/);
  assert.throws(() => Topology.fromDoc([]), /\(top level\): expected an object/);
  const t = Topology.parse(JSON.stringify(doc));
  assert.deepEqual(Topology.fromDoc(JSON.parse(JSON.stringify(t))).hops('client', 'memcached'), 4);
});

test('candidate pairs: all pairs without topology, related ones with it, and the bound', () => {
  const keys: SeriesKey[] = [
    { kind: 'tag', name: 'MG', locale: 'memcached' },
    { kind: 'tag', name: 'MG', locale: 'h2' },
    { kind: 'event', name: 'drop', locale: 'tor1:p1' },
    { kind: 'event', name: 'drop', locale: 'tor2' },
    { kind: 'event', name: 'queue', locale: 'h1' },
    { kind: 'event', name: 'drop', locale: 'ghost' },
  ];
  assert.equal(countCandidatePairs(keys, null), 8);
  const t = Topology.fromDoc(doc);
  const pairs: string[] = [];
  forEachCandidatePair(keys, t, (a, b, rel) => pairs.push(`${keys[a]!.locale}>${keys[b]!.locale}:${rel}`));
  assert.deepEqual(pairs.sort(), ['h2>tor2:1-hop', 'memcached>h1:same', 'memcached>tor1:p1:1-hop']);
  assert.equal(countCandidatePairs(keys, t), 3);
  assert.equal(countCandidatePairs(keys, t, 4), 6);
  let n = 0;
  forEachCandidatePair(keys, null, (_a, _b, rel) => {
    n++;
    assert.equal(rel, 'any');
  });
  assert.equal(n, 8);
  assert.equal(candidateBoundProblem(MAX_CANDIDATE_PAIRS, false), null);
  assert.match(candidateBoundProblem(MAX_CANDIDATE_PAIRS + 1, false)!, /2,000,001 candidate .* give a topology/);
});
