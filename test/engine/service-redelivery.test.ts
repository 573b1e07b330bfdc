// The engine on the NATS bus while its DuckDB store is stalled (its worker blocked on a query that reads a
// FIFO): the server sends each unacknowledged batch again every ackWait, and those copies add no waiter;
// once the store resumes, every batch is acknowledged and stored exactly once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { NatsBus } from '../../src/bus/nats.ts';
import { SUBJECTS, type RecordBatch } from '../../src/bus/messages.ts';
import { EngineService } from '../../src/engine/service.ts';
import { DuckdbStore } from '../../src/store/duckdb-store.ts';
import { killAll, startNats } from '../system/child.ts';
import { tempDir, waitFor } from '../system/helpers.ts';

const skip = spawnSync('nats-server', ['--version']).status === 0 ? false : 'nats-server binary missing (Debian package nats-server)';

function batch(seq: number, n: number): RecordBatch {
  const t0 = Date.now() * 1000;
  return { driver: 'd1', seq, boot: 'b1', records: Array.from({ length: n }, (_, i) => ({ time: t0 + i, locale: 'h1', kind: 'tag' as const, name: 'MG', value: seq * 1000 + i })) };
}

test('NATS redeliveries while the store is stalled: one waiter per batch however often it comes, each stored once after the store resumes', { skip, timeout: 60_000 }, async () => {
  const tmp = tempDir('st-redeliver-');
  const fifo = tmp.path('stall.csv');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  // Writing a line and closing the FIFO ends the query the store's worker is blocked in.
  const resume = () => {
    try {
      const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      writeSync(fd, '1\n');
      closeSync(fd);
    } catch {
      // nobody reads it (not stalled, or resumed already)
    }
  };
  const nats = await startNats(tmp.path('js'));
  const driverBus = await NatsBus.connect({ servers: nats.url });
  // No in-progress marks: the server sends every unacknowledged batch again each ackWait (300 ms).
  const engineBus = await NatsBus.connect({ servers: nats.url, ackWaitMs: 300, workingIntervalMs: 0 });
  const store = await DuckdbStore.open(tmp.path('st.duckdb'));
  const engine = new EngineService(engineBus, { learnIntervalMs: 3_600_000, windowMs: 3_600_000, windowRecords: 100_000, minRecords: 1, learn: {}, store, backPressure: true, persistIntervalMs: 20 });
  try {
    await engine.start();
    const stall = store.query(`SELECT count(*)::INTEGER AS n FROM read_csv('${fifo}', header = false, columns = {'a': 'INTEGER'})`);
    const batches = 40;
    for (let seq = 1; seq <= batches; seq++) driverBus.publish(SUBJECTS.records, batch(seq, 100));
    assert.equal(await driverBus.flushDurable(10_000), true);
    await waitFor('the engine took every batch', () => engine.stats.batches === batches, 10_000);
    const waiting = () => [engineBus.pendingDeliveries, engine.stats.persistWaitingBatches, store.commitWaiters];
    await waitFor('5 copies of each batch', () => engineBus.counters.redeliveriesAbsorbed >= 5 * batches, 20_000);
    assert.deepEqual(waiting(), [batches, batches, batches]);
    await waitFor('10 copies of each batch', () => engineBus.counters.redeliveriesAbsorbed >= 10 * batches, 20_000);
    assert.deepEqual(waiting(), [batches, batches, batches], 'no waiter per copy');
    assert.equal(store.committedRows, 0, 'the store is stalled');
    assert.equal(engine.stats.batches, batches);
    assert.equal(engine.stats.duplicateBatches, 0, 'copies are not handed to the engine');

    resume();
    assert.deepEqual(await stall, [{ n: 1 }]);
    await waitFor('every batch acknowledged', () => waiting().every((n) => n === 0), 10_000);
    // Copies already on their way when the acknowledgements left are duplicates, acknowledged at once.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(waiting(), [0, 0, 0]);
    assert.equal(engine.stats.batches, batches);
    assert.deepEqual(await store.query('SELECT count(*)::INTEGER AS n, count(DISTINCT value)::INTEGER AS d FROM records'), [{ n: batches * 100, d: batches * 100 }]);
    assert.deepEqual(await store.query('SELECT seq::INTEGER AS seq, gaps, boot FROM driver_seq'), [{ seq: batches, gaps: '[]', boot: 'b1' }]);
    const copies = engineBus.counters.redeliveriesAbsorbed;
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(engineBus.counters.redeliveriesAbsorbed, copies, 'nothing is sent again after the acknowledgements');
  } finally {
    resume();
    await engine.stop();
    await store.close();
    await engineBus.close();
    await driverBus.close();
    await killAll();
    tmp.remove();
  }
});
