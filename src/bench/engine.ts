// `smarttags bench engine`: records/s through the engine service's bus handler into its window, alone and
// with the DuckDB file store (the default `smarttags up` setup), and with the store acknowledging batches
// only once committed (a durable bus, at most 1000 unacknowledged batches as JetStream's max_ack_pending).
// Batches of 2000 records arrive one per event-loop turn, as from a bus (or paced at --rate records/s);
// the time ends when every record is in the window and committed.

import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessBus } from '../bus/in-process.ts';
import { SUBJECTS, type RecordBatch } from '../bus/messages.ts';
import { EngineService } from '../engine/service.ts';
import { DuckdbStore } from '../store/duckdb-store.ts';
import { integerOption, parseBenchArgs, positiveOption } from './options.ts';

export const summary = 'engine ingest records/s into the window alone and with the DuckDB file store';

const BATCH = 2000;
const MAX_UNACKED = 1000;

const HELP = `usage: smarttags bench engine [--records N] [--rate R] [--json FILE]

  --records N   records sent through the engine per mode (default 2000000, at least ${BATCH})
  --rate R      offer R records/s (batches paced by the clock) instead of a batch per event-loop turn
  --json FILE   write the figures as JSON

Modes: window (no store), duckdb-file (queue committed on a timer, as with the in-process bus),
duckdb-file-acked (each batch acknowledged after its commit, as with the NATS JetStream bus).`;

export type EngineBenchMode = 'window' | 'duckdb-file' | 'duckdb-file-acked';

export interface EngineModeResult {
  mode: EngineBenchMode;
  records: number;
  /** Offered records/s, or null when unpaced (a batch per event-loop turn). */
  offeredPerSec: number | null;
  /** From the first batch until every record is in the window and, with a store, committed. */
  ms: number;
  /** Records into the window per second of `ms`. */
  recordsPerSec: number;
  /** Records committed to DuckDB per second of `ms` (null without a store). */
  persistedPerSec: number | null;
  /** Until the last batch was handed to the engine. */
  ingestMs: number;
  accepted: number;
  persisted: number;
  persistDropped: number;
  persistDeferredBatches: number;
  commits: number;
  peakQueued: number;
  /** Longest event-loop turn between two batches (how long ingest stood still at most). */
  maxTurnMs: number;
}

export interface EngineBenchResult {
  records: number;
  batchRecords: number;
  loadAverage: number[];
  offeredPerSec: number | null;
  modes: EngineModeResult[];
  /** duckdb-file persisted records/s over window records/s, and the same for duckdb-file-acked. */
  ratioFile: number;
  ratioAcked: number;
}

/** The input, batch by batch: made when sent (as a bus decodes each message), so the heap stays small. */
class Input {
  readonly batches: number;
  private readonly t0: number;

  constructor(readonly records: number) {
    this.batches = Math.ceil(records / BATCH);
    this.t0 = Date.now() * 1000 - records * 10;
  }

  /** Batch `s` (0-based); every call makes the same records. */
  batch(s: number): RecordBatch {
    const records = [];
    for (let i = 0; i < BATCH && s * BATCH + i < this.records; i++) {
      const k = s * BATCH + i;
      records.push({ time: this.t0 + k * 10, locale: `h${k % 50}`, kind: k % 3 ? ('tag' as const) : ('event' as const), name: k % 3 ? 'MG' : 'drop', value: k % 100 });
    }
    return { driver: 'bench', seq: s + 1, records };
  }
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/** Waits for the next turn of the event loop, and with a rate also until batch `next` is due. */
async function paced(start: number, next: number, rate: number | null): Promise<void> {
  await turn();
  if (rate === null) return;
  const due = start + ((next * BATCH) / rate) * 1000;
  while (performance.now() < due) await (due - performance.now() > 2 ? new Promise((r) => setTimeout(r, 1)) : turn());
}

async function runMode(mode: EngineBenchMode, input: Input, dir: string, rate: number | null): Promise<EngineModeResult> {
  const records = input.records;
  const bus = new InProcessBus();
  const store = mode === 'window' ? undefined : await DuckdbStore.open(join(dir, `${mode}.duckdb`));
  const engine = new EngineService(bus, {
    learnIntervalMs: 3_600_000, windowMs: 3_600_000, windowRecords: records, minRecords: 1, learn: {}, store, backPressure: mode === 'duckdb-file-acked',
  });
  await engine.start();
  let peakQueued = 0;
  let maxTurnMs = 0;
  const start = performance.now();
  let last = start;
  const tick = () => {
    const now = performance.now();
    maxTurnMs = Math.max(maxTurnMs, now - last);
    last = now;
    peakQueued = Math.max(peakQueued, engine.stats.persistQueued);
  };
  if (mode === 'duckdb-file-acked') {
    // A durable bus: at most MAX_UNACKED batches delivered and not acknowledged; refused ones come again.
    let unacked = 0;
    const again: RecordBatch[] = [];
    let next = 0;
    while (next < input.batches || again.length || unacked) {
      const fresh = !again.length && unacked < MAX_UNACKED && next < input.batches;
      const b = again.length ? again.shift()! : fresh ? input.batch(next++) : null;
      if (b) {
        unacked++;
        Promise.resolve(engine.ingest(b)).then(
          () => unacked--,
          () => (unacked--, again.push(b)),
        );
      }
      await (rate !== null && fresh ? paced(start, next, rate) : turn());
      tick();
    }
  } else {
    for (let i = 0; i < input.batches; i++) {
      bus.publish(SUBJECTS.records, input.batch(i));
      await paced(start, i + 1, rate);
      tick();
    }
  }
  const ingestMs = performance.now() - start;
  await engine.stop();
  const ms = performance.now() - start;
  await store?.close();
  const s = engine.stats;
  return {
    mode, records, offeredPerSec: rate, ms: Math.round(ms), recordsPerSec: Math.round((records / ms) * 1000), persistedPerSec: store ? Math.round((s.persisted / ms) * 1000) : null, ingestMs: Math.round(ingestMs), accepted: s.tags + s.events,
    persisted: s.persisted, persistDropped: s.persistDropped, persistDeferredBatches: s.persistDeferredBatches, commits: s.persistCommits, peakQueued, maxTurnMs: Math.round(maxTurnMs * 10) / 10,
  };
}

export async function runEngineBench(records: number, rate: number | null, log: (line: string) => void = () => undefined): Promise<EngineBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'smarttags-bench-engine-'));
  try {
    const input = new Input(records);
    const modes: EngineModeResult[] = [];
    for (const mode of ['window', 'duckdb-file', 'duckdb-file-acked'] as const) {
      const r = await runMode(mode, input, dir, rate);
      const persisted = r.persistedPerSec === null ? '' : `, ${r.persistedPerSec.toLocaleString('en-US')} persisted/s`;
      log(`${mode.padEnd(18)} ${r.recordsPerSec.toLocaleString('en-US').padStart(10)} records/s into the window${persisted}  (${r.ms} ms; persisted ${r.persisted}, not persisted ${r.persistDropped}, deferred batches ${r.persistDeferredBatches}, commits ${r.commits}, peak queue ${r.peakQueued}, longest turn ${r.maxTurnMs} ms)`);
      modes.push(r);
    }
    const of = (m: EngineBenchMode) => modes.find((r) => r.mode === m)!;
    const ratio = (m: EngineBenchMode) => Math.round(((of(m).persistedPerSec ?? 0) / of('window').recordsPerSec) * 1000) / 1000;
    return {
      records, batchRecords: BATCH, loadAverage: loadavg().map((l) => Math.round(l * 100) / 100), offeredPerSec: rate, modes,
      ratioFile: ratio('duckdb-file'),
      ratioAcked: ratio('duckdb-file-acked'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(argv: string[]): Promise<number> {
  const v = parseBenchArgs(argv, ['records', 'rate', 'json'], HELP);
  if (!v) return 0;
  const records = integerOption('records', v.records, 2_000_000, BATCH);
  const rate = v.rate === undefined ? null : positiveOption('rate', v.rate, 1);
  const log = (line: string) => process.stdout.write(line + '\n');
  log(`engine ingest, ${records.toLocaleString('en-US')} records in batches of ${BATCH}${rate === null ? '' : ` offered at ${rate.toLocaleString('en-US')}/s`}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const result = await runEngineBench(records, rate, log);
  log(`persisted to the DuckDB file: ${result.ratioFile}x the window-only rate; acknowledged after commit: ${result.ratioAcked}x; load average ${result.loadAverage.join(' ')}`);
  if (v.json) writeFileSync(v.json, JSON.stringify(result, null, 2) + '\n');
  return 0;
}
