import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckdbStore } from '../../src/store/duckdb-store.ts';
import { readDuckdbRecords } from '../../src/store/duckdb-reader.ts';
import { tempDir } from '../system/helpers.ts';

test('a store of the earlier layout (records as a table) is moved into series + record_rows once, keeping every row', async () => {
  const tmp = tempDir('st-store-migrate-');
  try {
    const file = tmp.path('old.duckdb');
    const inst = await DuckDBInstance.create(file);
    const c = await inst.connect();
    await c.run('CREATE TABLE records (time BIGINT NOT NULL, locale VARCHAR NOT NULL, kind VARCHAR NOT NULL, name VARCHAR NOT NULL, value DOUBLE NOT NULL)');
    await c.run(`INSERT INTO records VALUES (1700000000000001, 'h1', 'tag', 'MG', 4), (1700000000000002, 'sw', 'event', 'drop', 2), (1700000000000003, 'h1', 'tag', 'MG', 5)`);
    // The drivers' seq state of that layout had no boot column.
    await c.run('CREATE TABLE driver_seq (driver VARCHAR PRIMARY KEY, seq BIGINT NOT NULL, gaps VARCHAR NOT NULL)');
    await c.run(`INSERT INTO driver_seq VALUES ('d1', 3, '[2]')`);
    c.closeSync();
    inst.closeSync();

    const store = await DuckdbStore.open(file);
    assert.deepEqual(await store.query(`SELECT table_name, table_type FROM information_schema.tables WHERE table_name IN ('records', 'series', 'record_rows') ORDER BY 1`), [
      { table_name: 'record_rows', table_type: 'BASE TABLE' }, { table_name: 'records', table_type: 'VIEW' }, { table_name: 'series', table_type: 'BASE TABLE' },
    ]);
    // New rows reuse the migrated series and get fresh ids for new ones.
    store.appendRecords([{ time: 1_700_000_000_000_010, locale: 'h1', kind: 'tag', name: 'MG', value: 6 }, { time: 1_700_000_000_000_011, locale: 'h2', kind: 'tag', name: 'MG', value: 7 }]);
    assert.deepEqual(await store.query('SELECT count(*)::INTEGER AS n FROM series'), [{ n: 3 }]);
    assert.deepEqual([...(await store.loadDriverSeqs())], [['d1', { last: 3, gaps: [2], boot: null }]]);
    await store.close();
    const again = await DuckdbStore.open(file);
    assert.deepEqual(await again.query('SELECT time, locale, kind, name, value FROM records ORDER BY time'), [
      { time: 1700000000000001n, locale: 'h1', kind: 'tag', name: 'MG', value: 4 },
      { time: 1700000000000002n, locale: 'sw', kind: 'event', name: 'drop', value: 2 },
      { time: 1700000000000003n, locale: 'h1', kind: 'tag', name: 'MG', value: 5 },
      { time: 1700000000000010n, locale: 'h1', kind: 'tag', name: 'MG', value: 6 },
      { time: 1700000000000011n, locale: 'h2', kind: 'tag', name: 'MG', value: 7 },
    ]);
    await again.close();
    const series = (await readDuckdbRecords(file)).finish();
    assert.deepEqual(series.map((s) => `${s.key.kind}:${s.key.name}@${s.key.locale}=${s.times.length}`).sort(), ['event:drop@sw=1', 'tag:MG@h1=3', 'tag:MG@h2=1']);
  } finally {
    tmp.remove();
  }
});

test('rows and the drivers\' sequence state become visible in the same commit', async () => {
  const store = await DuckdbStore.open(':memory:');
  try {
    let seq = 0;
    store.trackProgress(() => new Map([['d1', { last: seq, gaps: [], boot: 'b1' }]]));
    seq = 1;
    store.appendRecords([{ time: 5, locale: 'h1', kind: 'tag', name: 'MG', value: 1 }]);
    const waited = store.whenCommitted();
    assert.equal(store.unflushed, 1);
    await store.flush();
    await waited;
    assert.equal(store.committedRows, 1);
    assert.deepEqual(await store.query('SELECT (SELECT count(*) FROM records)::INTEGER AS n, (SELECT seq FROM driver_seq)::INTEGER AS seq, (SELECT boot FROM driver_seq) AS boot'), [{ n: 1, seq: 1, boot: 'b1' }]);
  } finally {
    await store.close();
  }
});
