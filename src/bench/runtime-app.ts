// A benchmark application process for `bench runtime`: connects a tagger to the driver, says "ready", waits
// for "go" on stdin, then either floods or paces Tags for a while (ingest) or times tagAndWait round trips
// (latency), and prints one JSON result line.

import { createTagger, type WaitResult } from '../sdk/index.ts';

export interface AppArgs {
  mode: 'ingest' | 'latency';
  endpoint: string;
  locale: string;
  /** ingest: how long to send. */
  durationMs?: number;
  /** ingest: tags per second, 0 = as fast as possible. */
  ratePerSec?: number;
  /** latency: round trips to time, and the tag name that has a signature. */
  count?: number;
  tag?: string;
  timeoutMs?: number;
}

export interface IngestResult {
  tagged: number;
  sent: number;
  dropped: number;
  unsent: number;
}

export interface LatencyResult {
  waitedUs: number[];
  statuses: Record<string, number>;
}

const args = JSON.parse(process.argv[2] ?? '{}') as AppArgs;
const tagger = createTagger({ endpoint: args.endpoint, locale: args.locale, capacity: 1 << 16, batchSize: 1024, flushIntervalMs: 2 });

function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  return new Promise((resolve) => {
    const tick = () => (cond() ? resolve(true) : Date.now() > deadline ? resolve(false) : setTimeout(tick, 2));
    tick();
  });
}

async function ingest(): Promise<IngestResult> {
  const durationMs = args.durationMs ?? 2000;
  const rate = args.ratePerSec ?? 0;
  const start = performance.now();
  let due = 0;
  let i = 0;
  while (performance.now() - start < durationMs) {
    if (rate === 0) {
      for (let k = 0; k < 2048; k++) tagger.tag('INGEST', i++);
      await new Promise((r) => setImmediate(r));
    } else {
      due = Math.floor(((performance.now() - start) / 1000) * rate);
      while (i < due) tagger.tag('INGEST', i++);
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  tagger.flush();
  await waitFor(() => tagger.stats.sent + dropped() === tagger.stats.tagged, 2000);
  const s = tagger.stats;
  return { tagged: s.tagged, sent: s.sent, dropped: dropped(), unsent: s.tagged - s.sent - dropped() };
}

function dropped(): number {
  const s = tagger.stats;
  return s.droppedFull + s.droppedNoDriver + s.droppedSlowDriver;
}

async function latency(): Promise<LatencyResult> {
  const waitedUs: number[] = [];
  const statuses: Record<string, number> = {};
  for (let i = 0; i < (args.count ?? 1000); i++) {
    const r: WaitResult = await tagger.tagAndWait(args.tag ?? 'ACT', 1 + (i % 10), { timeoutMs: args.timeoutMs ?? 1000 });
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status === 'decided') waitedUs.push(r.waitedUs);
    await new Promise((res) => setTimeout(res, 1));
  }
  return { waitedUs, statuses };
}

async function main(): Promise<void> {
  if (!(await waitFor(() => tagger.connected, 5000))) {
    process.stdout.write(JSON.stringify({ error: `no driver at ${args.endpoint}` }) + '\n');
    process.exitCode = 1;
    return;
  }
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => {
    let input = '';
    const onData = (d: Buffer) => {
      input += d.toString();
      if (input.includes('go\n')) {
        process.stdin.off('data', onData);
        process.stdin.destroy();
        resolve();
      }
    };
    process.stdin.on('data', onData);
  });
  const result = args.mode === 'ingest' ? await ingest() : await latency();
  await tagger.close();
  process.stdout.write(JSON.stringify(result) + '\n');
}

// The tagger's socket and timers do not hold the process open; this does, until the result is printed.
const keepAlive = setInterval(() => undefined, 1000);
await main();
clearInterval(keepAlive);
