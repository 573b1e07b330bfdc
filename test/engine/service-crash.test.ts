import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { InProcessBus } from '../../src/bus/in-process.ts';
import { EngineService } from '../../src/engine/service.ts';
import { DuckdbStore } from '../../src/store/duckdb-store.ts';
import { tempDir } from '../system/helpers.ts';
import { crashBatches } from './service-crash-batches.ts';

const CHILD = fileURLToPath(new URL('./service-crash-child.ts', import.meta.url));

test('exactly once across a kill -9: committed batches are recognised when redelivered, uncommitted ones are stored once', { timeout: 60_000 }, async () => {
  const tmp = tempDir('st-engine-crash-');
  try {
    const db = tmp.path('st.duckdb');
    const total = 30;
    const committed = 12;
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db, String(total), String(committed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    assert.equal(signal, 'SIGKILL', `child ended with ${code}: ${err}`);
    assert.deepEqual(JSON.parse(out), { persisted: committed * 100, queued: (total - committed) * 100 });

    const store = await DuckdbStore.open(db);
    const engine = new EngineService(new InProcessBus(), { learnIntervalMs: 3_600_000, windowMs: 3_600_000, windowRecords: 100_000, minRecords: 1, learn: {}, store, backPressure: true });
    try {
      // What the killed engine committed survived with its seq state; nothing it only queued did.
      assert.deepEqual(await store.query('SELECT count(*)::INTEGER AS n FROM records'), [{ n: committed * 100 }]);
      assert.deepEqual(await store.query('SELECT driver, seq::INTEGER AS seq, gaps FROM driver_seq'), [{ driver: 'd1', seq: committed, gaps: '[]' }]);
      await engine.start();
      // The durable bus redelivers what was not acknowledged: the queued batches, and here also every committed
      // one, as if all acknowledgements were lost in the crash (seq 1 included: the boot id tells it from a restart).
      const from = 1;
      const acks = crashBatches(total).slice(from - 1).map((b) => engine.ingest(b));
      await engine.persistNow();
      await Promise.all(acks);
      assert.equal(engine.stats.duplicateBatches, committed - from + 1);
      assert.equal(engine.stats.batches, total - committed);
      const rows = await store.query(`SELECT count(*)::INTEGER AS n, count(DISTINCT (time, locale, kind, name, value))::INTEGER AS distinct_rows,
        min(value)::INTEGER AS lo, max(value)::INTEGER AS hi FROM records`);
      assert.deepEqual(rows, [{ n: total * 100, distinct_rows: total * 100, lo: 0, hi: total * 100 - 1 }]);
      assert.deepEqual(await store.query('SELECT seq::INTEGER AS seq FROM driver_seq'), [{ seq: total }]);
    } finally {
      await engine.stop();
      await store.close();
    }
  } finally {
    tmp.remove();
  }
});
