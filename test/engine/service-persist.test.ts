import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessBus } from '../../src/bus/in-process.ts';
import { SUBJECTS, type RecordBatch } from '../../src/bus/messages.ts';
import { EngineService } from '../../src/engine/service.ts';
import { DuckdbStore } from '../../src/store/duckdb-store.ts';

function batch(seq: number, n: number): RecordBatch {
  return { driver: 'd1', seq, records: Array.from({ length: n }, (_, i) => ({ time: 1_000_000 + seq * 1000 + i, locale: 'h1', kind: 'tag' as const, name: 'MG', value: i })) };
}

const base = { learnIntervalMs: 3_600_000, windowMs: 3_600_000, windowRecords: 100_000, minRecords: 1, learn: {}, persistQueueRecords: 1000, persistIntervalMs: 3_600_000 };

test('a full store queue without redelivery: the window still takes the batch, its records are not persisted and counted', async () => {
  const bus = new InProcessBus();
  const store = await DuckdbStore.open(':memory:');
  const engine = new EngineService(bus, { ...base, store });
  try {
    await engine.start();
    for (let seq = 1; seq <= 3; seq++) bus.publish(SUBJECTS.records, batch(seq, 500));
    assert.equal(engine.stats.windowSize, 1500);
    assert.equal(engine.stats.persistQueued, 1000);
    assert.equal(engine.stats.persistDropped, 500);
    await engine.persistNow();
    assert.equal(engine.stats.persisted, 1000);
    assert.equal(engine.stats.persistQueued, 0);
    bus.publish(SUBJECTS.records, batch(4, 500));
    assert.equal(engine.stats.persistDropped, 500, 'room again after the commit');
    assert.deepEqual(await store.query('SELECT count(*)::INTEGER AS n FROM records'), [{ n: 1500 }]);
  } finally {
    await engine.stop();
    await store.close();
  }
});

test('a full store queue on a durable bus: the batch is refused for redelivery, acknowledgements wait for the commit', async () => {
  const store = await DuckdbStore.open(':memory:');
  const engine = new EngineService(new InProcessBus(), { ...base, store, backPressure: true });
  try {
    await engine.start();
    // Each acknowledgement notes how many records were committed when it came.
    const acked: [number, number][] = [];
    const ack = (seq: number) => Promise.resolve(engine.ingest(batch(seq, 500))).then(() => void acked.push([seq, store.committedRows]));
    const first = [ack(1), ack(2)];
    await assert.rejects(ack(3), /store queue full/);
    assert.equal(engine.stats.persistDeferredBatches, 1);
    assert.equal(engine.stats.windowSize, 1000, 'the refused batch is not taken: it comes again');
    assert.equal(store.committedRows, 0);
    await engine.persistNow();
    await Promise.all(first);
    assert.deepEqual(acked, [[1, 1000], [2, 1000]], 'acknowledged once committed');
    // The redelivered batch is taken now; a copy of a committed batch is acknowledged without storing it again.
    const again = ack(3);
    const copy = ack(2);
    await engine.persistNow();
    await Promise.all([again, copy]);
    assert.equal(engine.stats.duplicateBatches, 1);
    assert.deepEqual(await store.query('SELECT count(*)::INTEGER AS n, count(DISTINCT time)::INTEGER AS d FROM records'), [{ n: 1500, d: 1500 }]);
    assert.deepEqual(await store.query('SELECT seq::INTEGER AS seq, gaps FROM driver_seq'), [{ seq: 3, gaps: '[]' }]);
  } finally {
    await engine.stop();
    await store.close();
  }
});

test('on a durable bus, copies of a batch waiting for its commit share its acknowledgement (no waiter each); a copy of a committed batch is acknowledged at once', async () => {
  const store = await DuckdbStore.open(':memory:');
  const engine = new EngineService(new InProcessBus(), { ...base, store, backPressure: true });
  try {
    await engine.start();
    const first = engine.ingest({ ...batch(1, 100), boot: 'b1' });
    assert.ok(first instanceof Promise);
    for (let i = 0; i < 1000; i++) assert.equal(engine.ingest({ ...batch(1, 100), boot: 'b1' }), first);
    // The same seq of another boot is another batch.
    const other = engine.ingest({ ...batch(1, 100), boot: 'b2' });
    assert.notEqual(other, first);
    assert.equal(engine.stats.duplicateBatches, 1000);
    assert.equal(engine.stats.persistWaitingBatches, 2);
    assert.equal(store.commitWaiters, 2);
    await engine.persistNow();
    await Promise.all([first, other]);
    assert.equal(engine.stats.persistWaitingBatches, 0);
    assert.equal(engine.ingest({ ...batch(1, 100), boot: 'b2' }), undefined, 'committed: nothing to wait for');
    assert.equal(store.commitWaiters, 0);
    assert.deepEqual(await store.query('SELECT count(*)::INTEGER AS n FROM records'), [{ n: 200 }]);
  } finally {
    await engine.stop();
    await store.close();
  }
});
