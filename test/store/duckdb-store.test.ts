import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckdbStore } from '../../src/store/duckdb-store.ts';
import { readDuckdbRecords, readLatestSignatures, isDuckdbSpec, queryDuckdb, exportDuckdbParquet } from '../../src/store/duckdb-reader.ts';
import type { SmartRecord } from '../../src/protocol/record.ts';
import type { Signature, SignaturesDoc } from '../../src/engine/signature.ts';

function sig(tag: string, event: string, p: number): Signature {
  return {
    tag: { name: tag, locale: 'h1' }, event: { name: event, locale: 'sw1' }, relation: '1-hop',
    probability: p, hitRate: p, baselineRate: 0.01, lift: p / 0.01, pValue: 1e-6, qValue: 1e-5,
    support: 100, hits: Math.round(100 * p),
    leadTime: { min: 100, p05: 200, p50: 1000, p95: 5000 }, window: { start: 100, end: 6000 },
    extent: { bins: [], threshold: null, sizeSlope: 0, logistic: null },
  };
}

test('records and signature generations round-trip through a DuckDB file, SQL and Parquet', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-store-'));
  try {
    const file = join(dir, 'st.duckdb');
    const store = await DuckdbStore.open(file);
    const recs: SmartRecord[] = [];
    for (let i = 0; i < 5000; i++) {
      recs.push({ time: 1_700_000_000_000_000 + i * 10, locale: i % 2 ? 'h1' : 'sw1', kind: i % 2 ? 'tag' : 'event', name: i % 2 ? 'MG' : 'drop', value: i });
    }
    store.appendRecords(recs.slice(0, 2500));
    store.appendRecords(recs.slice(2500));
    assert.equal(store.unflushed, 5000);
    const counts = await store.query("SELECT kind, count(*) AS n, max(time) AS tmax FROM records GROUP BY kind ORDER BY kind");
    assert.equal(store.unflushed, 0);
    assert.deepEqual(counts.map((r) => [r.kind, Number(r.n)]), [['event', 2500], ['tag', 2500]]);
    assert.equal(BigInt(counts[1]!.tmax as bigint), 1_700_000_000_000_000n + 4999n * 10n);

    assert.equal(await store.latestSignatures(), null);
    const doc1: SignaturesDoc = { version: 1, params: { minSupport: 5 }, signatures: [sig('MG', 'drop', 0.8)] };
    const doc2: SignaturesDoc = { version: 1, params: { minSupport: 5 }, signatures: [sig('MG', 'drop', 0.7), sig('PUSH', 'drop', 0.4)] };
    await store.saveSignatures(1, 1_700_000_000_000_000, doc1);
    await store.saveSignatures(2, 1_700_000_001_000_000, doc2);
    const latest = await store.latestSignatures();
    assert.equal(latest?.generation, 2);
    assert.equal(latest?.learnedAt, 1_700_000_001_000_000);
    assert.deepEqual(latest?.doc, doc2);
    const flat = await store.query('SELECT generation, tag_name, event_locale, probability FROM signatures ORDER BY generation, idx');
    assert.deepEqual(flat.map((r) => [r.generation, r.tag_name, r.event_locale, r.probability]), [
      [1, 'MG', 'sw1', 0.8], [2, 'MG', 'sw1', 0.7], [2, 'PUSH', 'sw1', 0.4],
    ]);

    const files = await store.exportParquet(join(dir, 'pq'));
    for (const f of files) assert.ok(existsSync(f) && statSync(f).size > 0, f);
    const fromParquet = await store.query(`SELECT count(*) AS n, sum(value) AS s FROM '${join(dir, 'pq', 'records.parquet')}'`);
    assert.equal(Number(fromParquet[0]!.n), 5000);
    assert.equal(fromParquet[0]!.s, (4999 * 5000) / 2);
    await store.close();

    assert.ok(isDuckdbSpec(file) && isDuckdbSpec('duckdb:/x/y') && !isDuckdbSpec('a.csv'));
    const series = await readDuckdbRecords(`duckdb:${file}`);
    assert.equal(series.size, 5000);
    const finished = series.finish();
    const mg = finished.find((s) => s.key.kind === 'tag' && s.key.name === 'MG')!;
    assert.equal(mg.key.locale, 'h1');
    assert.equal(mg.times.length, 2500);
    assert.equal(mg.times[0], 1_700_000_000_000_010);
    assert.equal(mg.values[2499], 4999);
    assert.deepEqual((await readLatestSignatures(file))?.doc, doc2);
    assert.deepEqual(await queryDuckdb(file, "SELECT count(*)::INTEGER AS n FROM records WHERE name = 'MG'"), [{ n: 2500 }]);
    const exported = await exportDuckdbParquet(`duckdb:${file}`, join(dir, 'pq2'));
    assert.equal(exported.length, 4);
    assert.deepEqual(await queryDuckdb(file, `SELECT count(*)::INTEGER AS n FROM '${join(dir, 'pq2', 'signatures.parquet')}'`), [{ n: 3 }]);
    const windowed = await readDuckdbRecords(file, { from: 1_700_000_000_000_000 + 1000, to: 1_700_000_000_000_000 + 2000 });
    assert.equal(windowed.size, 100);

    // Reopening keeps what was stored.
    const again = await DuckdbStore.open(file);
    assert.equal((await again.latestSignatures())?.generation, 2);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the reader names the problem for a missing file and a database without records', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-store-'));
  try {
    await assert.rejects(readDuckdbRecords(join(dir, 'none.duckdb')), /no such DuckDB file/);
    // The store's worker thread reports a file it cannot open, and ends.
    await assert.rejects(DuckdbStore.open(join(dir, 'no', 'such', 'x.duckdb')), /cannot open DuckDB store .*x\.duckdb/);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const other = join(dir, 'other.duckdb');
    const inst = await DuckDBInstance.create(other);
    const c = await inst.connect();
    await c.run('CREATE TABLE t (x INTEGER)');
    c.closeSync();
    inst.closeSync();
    await assert.rejects(readDuckdbRecords(other), /not a SmartTags database/);
    await assert.rejects(readLatestSignatures(other), /not a SmartTags database/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
