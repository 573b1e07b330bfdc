// Engine service ingest benchmark: records/s through the bus handler into the window, alone and with the
// DuckDB store (memory, file, file flushed per batch as on a durable bus). Run:
//   node --import tsx src/engine/service-bench.ts [records]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessBus } from '../bus/in-process.ts';
import { SUBJECTS, type RecordBatch } from '../bus/messages.ts';
import { DuckdbStore } from '../store/duckdb-store.ts';
import { EngineService } from './service.ts';

const N = Number(process.argv[2] ?? 1_000_000);
const BATCH = 2000;
if (!Number.isSafeInteger(N) || N < BATCH) throw new Error(`records: an integer >= ${BATCH}, got ${process.argv[2]}`);

function batches(): RecordBatch[] {
  const t0 = Date.now() * 1000 - N * 10;
  const out: RecordBatch[] = [];
  for (let s = 0; s * BATCH < N; s++) {
    const records = [];
    for (let i = 0; i < BATCH; i++) {
      const k = s * BATCH + i;
      records.push({ time: t0 + k * 10, locale: `h${k % 50}`, kind: k % 3 ? ('tag' as const) : ('event' as const), name: k % 3 ? 'MG' : 'drop', value: k % 100 });
    }
    out.push({ driver: 'bench', seq: s + 1, records });
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'st-engine-bench-'));
try {
  const input = batches();
  const modes = [
    { mode: 'window only', path: null, flushEveryBatch: false },
    { mode: 'duckdb :memory:', path: ':memory:', flushEveryBatch: false },
    { mode: 'duckdb file', path: join(dir, 'a.duckdb'), flushEveryBatch: false },
    { mode: 'duckdb file, flush per batch', path: join(dir, 'b.duckdb'), flushEveryBatch: true },
  ];
  for (const m of modes) {
    const bus = new InProcessBus();
    const store = m.path ? await DuckdbStore.open(m.path) : undefined;
    const engine = new EngineService(bus, { learnIntervalMs: 3_600_000, windowMs: 3_600_000, windowRecords: N, minRecords: 1, learn: {}, store, flushEveryBatch: m.flushEveryBatch });
    await engine.start();
    const start = performance.now();
    for (const b of input) bus.publish(SUBJECTS.records, b);
    await engine.stop();
    const ms = performance.now() - start;
    await store?.close();
    process.stdout.write(JSON.stringify({ mode: m.mode, records: N, ms: Math.round(ms), recordsPerSec: Math.round((N / ms) * 1000), accepted: engine.stats.tags + engine.stats.events }) + '\n');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
