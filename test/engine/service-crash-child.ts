// Child process of service-crash.test.ts: an engine with a DuckDB file store commits the first batches, queues
// the rest without committing them, then kills itself with SIGKILL (no shutdown code runs).
// argv: <db file> <batches> <batches committed before the kill>

import { InProcessBus } from '../../src/bus/in-process.ts';
import { EngineService } from '../../src/engine/service.ts';
import { DuckdbStore } from '../../src/store/duckdb-store.ts';
import { crashBatches } from './service-crash-batches.ts';

const [db, total, committed] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const store = await DuckdbStore.open(db);
const engine = new EngineService(new InProcessBus(), {
  learnIntervalMs: 3_600_000, windowMs: 3_600_000, windowRecords: 1_000_000, minRecords: 1, learn: {}, store, backPressure: true, persistIntervalMs: 3_600_000,
});
await engine.start();
const batches = crashBatches(total);
const acks = batches.slice(0, committed).map((b) => engine.ingest(b));
await engine.persistNow();
await Promise.all(acks);
for (const b of batches.slice(committed)) void engine.ingest(b);
process.stdout.write(JSON.stringify({ persisted: engine.stats.persisted, queued: engine.stats.persistQueued }) + '\n', () => process.kill(process.pid, 'SIGKILL'));
