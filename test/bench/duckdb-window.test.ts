// The DuckDB windowed-method SQL against an independent implementation of the same method (the engine's
// crude fixed-td pass): the same related pairs, the same tags per pair and the same hits within td.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../../src/evaluation/synthesize.ts';
import { writeScenario } from '../../src/evaluation/write-scenario.ts';
import { readRecordFiles } from '../../src/protocol/record-reader.ts';
import { Topology } from '../../src/protocol/topology.ts';
import { topologyRelations } from '../../src/engine/candidates.ts';
import { crudeSignatures } from '../../src/engine/crude.ts';
import { duckdbWindowedMethod } from '../../src/bench/duckdb-window.ts';

test('DuckDB ASOF windowed method matches the fixed-td method pair by pair', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smarttags-duckdb-window-'));
  try {
    const scenario = synthesize({ scenario: 'bench', records: 15_000, seed: 7, apps: 4, spines: 2, leaves: 2, hostsPerLeaf: 4 });
    const { files } = await writeScenario(scenario, dir);
    const td = 5_000;
    const duck = await duckdbWindowedMethod({ records: files.records, topology: files.topology, td, maxHops: 2, threads: 2, collectPairs: true });

    const read = await readRecordFiles([files.records]);
    const topology = await Topology.load(files.topology);
    const crude = crudeSignatures(read.store.finish(), topologyRelations(topology, 2), { td, threshold: 0, minSupport: 1 });

    assert.equal(duck.records, read.accepted);
    assert.equal(duck.candidates, crude.params.candidates, 'same related (tag series, event series) pairs');
    const key = (t: string, tl: string, e: string, el: string) => `${t}@${tl} -> ${e}@${el}`;
    const expected = new Map(crude.signatures.map((s) => [key(s.tag.name, s.tag.locale, s.event.name, s.event.locale), { tags: s.support, hits: s.hits, relation: s.relation }]));
    const actual = new Map(duck.pairs!.map((p) => [key(p.tagName, p.tagLocale, p.eventName, p.eventLocale), { tags: p.tags, hits: p.hits, relation: p.relation }]));
    assert.ok(expected.size > 20, `enough pairs with hits to compare (${expected.size})`);
    assert.deepEqual(actual, expected);
    assert.equal(duck.pairsWithHits, expected.size);
    for (const p of duck.pairs!) assert.equal(p.probability, p.hits / p.tags);
    assert.ok(duck.probes >= read.accepted / 10, 'every tag probes each related event series');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('DuckDB windowed method rejects a bad td or hop limit before starting', async () => {
  await assert.rejects(duckdbWindowedMethod({ records: 'x.csv', topology: 't.json', td: 0, maxHops: 2 }), /td: must be a positive number/);
  await assert.rejects(duckdbWindowedMethod({ records: 'x.csv', topology: 't.json', td: 10, maxHops: 1.5 }), /maxHops: must be a non-negative integer/);
});
