// A benchmark application process for `bench runtime`: connects a tagger to the driver, says "ready", then runs the
// steps read from stdin: floods or paces Tags (ingest), or times tagAndWait round trips, each after a 64-byte echo
// (the machine's floor, interleaved so both see the same load), reading a sample of htb rules back with tc.

import { execFileSync } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { createTagger, type WaitResult } from '../sdk/index.ts';
import { nowMicros } from '../sdk/clock.ts';

export interface AppArgs {
  mode: 'ingest' | 'latency';
  /** latency: an echo server's Unix socket path; each round trip is then preceded by a timed 64-byte echo. */
  echo?: string;
  /** latency: a 1 ms pause after each round trip (default); false = back to back (a warm-up for the JIT). */
  paced?: boolean;
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
  /** latency: after every `every`-th applied rule (outside the timed round trip), read the htb class back. */
  verify?: { netns: string; dev: string; classid: string; every: number };
}

export interface IngestResult {
  tagged: number;
  sent: number;
  dropped: number;
  unsent: number;
}

export interface LatencyResult {
  /** Every timed round trip, the ones that did not end with the action in place included (at their wait). */
  waitedUs: number[];
  /** With `echo`: the echo before each round trip, under the same conditions (empty without). */
  floorUs: number[];
  /** Round trips that ended with a rule applied or a hint decided. */
  inPlace: number;
  statuses: Record<string, number>;
  /** With `verify`: applied rules whose class rate was read back, how many showed the rule's rate, the first misses. */
  verified?: { checked: number; matched: number; misses: string[] };
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
  const before = { tagged: tagger.stats.tagged, sent: tagger.stats.sent, dropped: dropped() };
  const start = performance.now();
  let i = 0;
  while (performance.now() - start < durationMs) {
    if (rate === 0) {
      for (let k = 0; k < 2048; k++) tagger.tag('INGEST', i++);
      await new Promise((r) => setImmediate(r));
    } else {
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      while (i < due) tagger.tag('INGEST', i++);
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  tagger.flush();
  await waitFor(() => tagger.stats.sent + dropped() === tagger.stats.tagged, 2000);
  const s = tagger.stats;
  const tagged = s.tagged - before.tagged;
  const sent = s.sent - before.sent;
  const lost = dropped() - before.dropped;
  return { tagged, sent, dropped: lost, unsent: tagged - sent - lost };
}

function dropped(): number {
  const s = tagger.stats;
  return s.droppedFull + s.droppedNoDriver + s.droppedSlowDriver;
}

async function latency(): Promise<LatencyResult> {
  const count = args.count ?? 1000;
  const paced = args.paced ?? true;
  const echo = args.echo ? await EchoClient.connect(args.echo) : null;
  const waitedUs: number[] = new Array(count);
  const floorUs: number[] = echo ? new Array(count) : [];
  const statuses: Record<string, number> = {};
  let inPlace = 0;
  const v = args.verify;
  const verified = v ? { checked: 0, matched: 0, misses: [] as string[] } : undefined;
  for (let i = 0; i < count; i++) {
    if (echo) {
      floorUs[i] = await echo.roundTrip();
      if (paced) await pause();
    }
    const r: WaitResult = await tagger.tagAndWait(args.tag ?? 'ACT', 1 + (i % 10), { timeoutMs: args.timeoutMs ?? 1000 });
    waitedUs[i] = r.waitedUs;
    // Tallied after the clock stopped, and the reply is not kept (as an app would not keep it): a round trip that
    // did not put the action in place (a refused rule, a failure, a timeout) stays in waitedUs at the time it took.
    // Keys read e.g. "decided/applied" (a kernel rule in place), "decided/hint", or "timeout".
    const key = r.status === 'decided' ? `decided/${r.reply.rules.map((x) => x.status).join('+') || (r.reply.hints.length ? 'hint' : 'nothing')}` : r.status;
    statuses[key] = (statuses[key] ?? 0) + 1;
    if (r.status === 'decided' && (r.reply.rules.some((x) => x.status === 'applied') || r.reply.hints.length > 0)) inPlace++;
    const applied = r.status === 'decided' ? r.reply.rules.find((x) => x.status === 'applied') : undefined;
    if (v && verified && applied && i % v.every === 0) {
      verified.checked++;
      const want = Number(applied.params.rate);
      const shown = classRate(v.netns, v.dev, v.classid);
      if (shown !== null && Math.abs(shown - want) <= want * 0.005) verified.matched++;
      else if (verified.misses.length < 5) verified.misses.push(`round trip ${i}: rule rate ${want} bit/s, tc shows ${shown ?? 'no class'}`);
    }
    if (paced) await pause();
  }
  echo?.close();
  return { waitedUs, floorUs, inPlace, statuses, verified };
}

/** The pacing between round trips: one 1 ms timer, so each round trip starts from an idle process as a real one does. */
function pause(): Promise<void> {
  return new Promise((res) => setTimeout(res, 1));
}

/** The rate of an htb class as `tc class show` prints it (e.g. "33333Kbit"), in bit/s; null when absent. */
function classRate(netns: string, dev: string, classid: string): number | null {
  const out = execFileSync('tc', ['-n', netns, 'class', 'show', 'dev', dev, 'classid', classid], { encoding: 'utf8' });
  const m = /\brate (\d+(?:\.\d+)?)([KMG]?)bit\b/.exec(out);
  if (!m) return null;
  return Number(m[1]) * ({ '': 1, K: 1e3, M: 1e6, G: 1e9 } as Record<string, number>)[m[2]!]!;
}

/** What the machine allows: a 64-byte message echoed by another process over a Unix socket, nothing else. */
class EchoClient {
  private readonly message = Buffer.alloc(64, 1);
  private got = 0;
  private done: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.got += d.length;
      if (this.got >= this.message.length) {
        this.got -= this.message.length;
        this.done?.();
      }
    });
  }

  static async connect(path: string): Promise<EchoClient> {
    const socket = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new EchoClient(socket);
  }

  /** One echo, in microseconds. */
  async roundTrip(): Promise<number> {
    const start = nowMicros();
    await new Promise<void>((resolve) => {
      this.done = resolve;
      this.socket.write(this.message);
    });
    return nowMicros() - start;
  }

  close(): void {
    this.socket.destroy();
  }
}

async function main(): Promise<void> {
  if (!(await waitFor(() => tagger.connected, 5000))) {
    process.stdout.write(JSON.stringify({ error: `no driver at ${args.endpoint}` }) + '\n');
    process.exitCode = 1;
    return;
  }
  process.stdout.write('ready\n');
  // Each stdin line is a step: {"ratePerSec", "durationMs"} (ingest) or {"count"} (latency); "exit" ends.
  let input = '';
  const queue: string[] = [];
  let wake: (() => void) | null = null;
  const onData = (d: Buffer) => {
    input += d.toString();
    let nl: number;
    while ((nl = input.indexOf('\n')) >= 0) {
      queue.push(input.slice(0, nl).trim());
      input = input.slice(nl + 1);
    }
    wake?.();
  };
  process.stdin.on('data', onData);
  for (;;) {
    while (queue.length === 0) await new Promise<void>((r) => (wake = r));
    const line = queue.shift()!;
    if (line === 'exit' || line === '') break;
    Object.assign(args, JSON.parse(line) as Partial<AppArgs>);
    const result = args.mode === 'ingest' ? await ingest() : await latency();
    process.stdout.write(JSON.stringify(result) + '\n');
  }
  process.stdin.off('data', onData);
  process.stdin.destroy();
  await tagger.close();
}

// The tagger's socket and timers do not hold the process open; this does, until the last step is done.
const keepAlive = setInterval(() => undefined, 1000);
await main();
clearInterval(keepAlive);
