// The MemCached client application (paper 4.1) run inside the client namespace: populates the servers,
// then replays a seeded mix of large MultiGet fan-outs (incast-prone) and small ones, one query at a time on a
// seeded wall-clock schedule (so every mode meets the bulk transfers at the same queries), measuring QCT and
// the switch-port drops during each query. Client-side baselines
// (issue jitter, window of outstanding requests) and the reactive pacing baseline live here too.

import { HostPacer } from './host-pacer.ts';
import { MemcachedClient } from './memcached-client.ts';
import { seededRng, uniform } from './rng.ts';
import { qdiscDrops, TcBatch } from './tc-batch.ts';
import { sleep } from './exec.ts';

export interface ServerRef {
  address: string;
  port: number;
  /** Namespace and egress device of the server's pacer (for actions at the sender). */
  ns: string;
  dev: string;
}

export type ClientMode =
  | { kind: 'none' }
  /** Each per-server request is issued after a uniform random delay in [0, maxMs] (static jitter). */
  | { kind: 'jitter'; maxMs: number }
  /** At most `outstanding` per-server requests in flight per query. */
  | { kind: 'window'; outstanding: number }
  /** After drops appear at the switch, pace every server at rateMbit until none for holdMs. */
  | { kind: 'reactive'; rateMbit: number; holdMs: number };

export interface WorkloadConfig {
  servers: ServerRef[];
  seed: number;
  queries: number;
  /** Value size of the keys large queries read. */
  valueBytes: number;
  /** Value size of the keys small queries read (a key set of their own, as many keys per server). */
  smallValueBytes: number;
  /** Keys fetched from every server by a large (incast-prone) query. */
  largeKeysPerServer: number;
  /** Share of queries that are large. */
  largeShare: number;
  thinkMs: [number, number];
  /**
   * The schedule: query i starts at startAtMs (wall clock, ms) plus the think times of queries 0..i plus the
   * slots of queries 0..i-1 (slotMs[0] for a small query, [1] for a large one), or when query i-1 ends if later.
   */
  startAtMs: number;
  slotMs: [number, number];
  /** The switch port towards the client and the handle of the queue (the MemCached class) whose drops count. */
  switchNs: string;
  switchDev: string;
  switchQueue: string;
  mode: ClientMode;
  /** SmartTags instrumentation: Tags through the SDK to the driver at `endpoint`; `wait` uses tagAndWait on MG
   *  and follows a `stagger` or `window` hint in the controller's reply. */
  tagging?: { endpoint: string; locale: string; wait: boolean };
}

export interface QueryResult {
  index: number;
  large: boolean;
  fanout: number;
  keys: number;
  bytes: number;
  /** Wall-clock ms (Date.now()) when issued. */
  startMs: number;
  qctMs: number;
  firstByteMs: number;
  drops: number;
}

export interface PlannedQuery {
  large: boolean;
  /** Server indexes and key indexes per server. */
  parts: { server: number; keys: number[] }[];
}

/** A key of the large-value set (`s0k3`) or of the small-value set (`s0v3`). */
export function keyName(server: number, key: number, large: boolean): string {
  return `s${server}${large ? 'k' : 'v'}${key}`;
}

/** The response bytes a query predicts: its keys times the value size of its key set. */
export function predictedBytes(q: PlannedQuery, cfg: Pick<WorkloadConfig, 'valueBytes' | 'smallValueBytes'>): number {
  return q.parts.reduce((a, p) => a + p.keys.length, 0) * (q.large ? cfg.valueBytes : cfg.smallValueBytes);
}

/** The seeded query mix; identical for every mode with the same seed. */
export function planQueries(cfg: Pick<WorkloadConfig, 'seed' | 'queries' | 'largeShare' | 'largeKeysPerServer' | 'servers'>): PlannedQuery[] {
  const rng = seededRng(cfg.seed);
  const n = cfg.servers.length;
  const out: PlannedQuery[] = [];
  for (let q = 0; q < cfg.queries; q++) {
    const large = rng() < cfg.largeShare;
    if (large) {
      out.push({ large, parts: Array.from({ length: n }, (_, s) => ({ server: s, keys: Array.from({ length: cfg.largeKeysPerServer }, (_, k) => k) })) });
    } else {
      const fanout = 1 + Math.floor(rng() * n);
      const first = Math.floor(rng() * n);
      out.push({ large, parts: Array.from({ length: fanout }, (_, i) => ({ server: (first + i) % n, keys: [Math.floor(rng() * cfg.largeKeysPerServer)] })) });
    }
  }
  return out;
}

/**
 * How to schedule one query's requests (an application hint): a stagger (per-server request i issued
 * i * staggerMs after the first), a byte window (requests of about requestBytes predicted bytes each, at most
 * windowBytes outstanding; one request is always allowed), or the whole fan-out at once over connections opened
 * while the responders clamp new connections to this client (a controller rule that lives until clampedUntilMs,
 * wall-clock ms).
 */
export type IssueAdvice = { staggerMs: number } | { windowBytes: number; requestBytes: number } | { clampedUntilMs: number };

/**
 * Hooks for instrumentation (SmartTags Tags): before a MultiGet is issued (for advice on how to issue it; while an
 * advice returned as a promise is pending, the keys go one per request, a few at a time, over the usual
 * connections), right after the requests that go at once are written (a Tag whose answer the query does not wait
 * for goes here, off the query's path), and when replies start.
 */
export interface WorkloadHooks {
  onIssue?(q: PlannedQuery, predictedBytes: number): void | IssueAdvice | Promise<void | IssueAdvice>;
  afterIssue?(q: PlannedQuery, predictedBytes: number): void;
  onFirstResponse?(q: PlannedQuery): void;
}

/** What a lead did: the value awaited, how many requests it sent, and when those are all answered. */
export interface Lead<T> {
  value: T;
  sent: number;
  /** Resolves when every request the lead sent is answered; rejects with the first that failed. */
  answered: Promise<void>;
}

/**
 * Sends requests 0, 1, ... keeping at most `outstanding` of them unanswered while `pending` is unsettled (none
 * if it settles within the current turn's promise callbacks), and resolves with its value as soon as it settles
 * (rejects with its error). All of them may go while it is pending.
 */
export function leadWhilePending<T>(pending: Promise<T>, count: number, sendOne: (i: number) => Promise<void>, outstanding = 1): Promise<Lead<T>> {
  let settled = false;
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | null = null;
  const pump = () => {
    while (!settled && !failure && sent < count && inFlight.size < outstanding) {
      const p: Promise<void> = sendOne(sent++).then(
        () => {
          inFlight.delete(p);
          pump();
        },
        (error: unknown) => {
          inFlight.delete(p);
          failure ??= { error };
        },
      );
      inFlight.add(p);
    }
  };
  // An advice the SDK answers itself settles within a few promise callbacks: they all run before an immediate.
  setImmediate(pump);
  // Called once `pending` has settled: nothing more is sent, so the requests in flight then are the last.
  const answered = async (): Promise<void> => {
    await Promise.all(inFlight);
    if (failure) throw failure.error;
  };
  return pending.then(
    (value) => {
      settled = true;
      const done = answered();
      // Handled here as well: a request may fail before the caller awaits `answered`.
      done.catch(() => undefined);
      return { value, sent, answered: done };
    },
    async (error: unknown) => {
      settled = true;
      await answered().catch(() => undefined);
      throw error;
    },
  );
}

/** The query's parts without their first `sent` keys (taken in part order): what is left after a lead. */
export function remainingParts(q: PlannedQuery, sent: number): { server: number; keys: number[] }[] {
  const out: { server: number; keys: number[] }[] = [];
  let skip = sent;
  for (const p of q.parts) {
    const keys = p.keys.slice(Math.min(skip, p.keys.length));
    skip = Math.max(0, skip - p.keys.length);
    if (keys.length) out.push({ server: p.server, keys });
  }
  return out;
}

/**
 * Single-key requests a MultiGet keeps unanswered while it waits for the controller's advice: their responses
 * (24 KB of 4 KB values) stay below a shallow switch buffer, and they keep about 70 Mbit/s of a 100 Mbit/s link busy.
 */
const LEAD_OUTSTANDING = 6;

/** Splits each per-server part into requests of at most max(1, floor(requestBytes / bytesPerKey)) keys, in part order. */
export function chunkParts(q: PlannedQuery, bytesPerKey: number, requestBytes: number): { server: number; keys: number[] }[] {
  const per = Math.max(1, Math.floor(requestBytes / Math.max(1, bytesPerKey)));
  const out: { server: number; keys: number[] }[] = [];
  for (const p of q.parts) for (let i = 0; i < p.keys.length; i += per) out.push({ server: p.server, keys: p.keys.slice(i, i + per) });
  return out;
}

/**
 * Runs requests keeping at most `windowBytes` predicted bytes outstanding (one request always goes), issuing
 * the next as soon as one completes; returns the bytes received.
 */
export async function runByteWindow<T extends { bytes: number }>(requests: number[], windowBytes: number, fetch: (i: number) => Promise<T>): Promise<number> {
  let outstanding = 0;
  let inFlight = 0;
  let next = 0;
  let received = 0;
  return new Promise((resolve, reject) => {
    let failed = false;
    const pump = () => {
      if (failed) return;
      if (next === requests.length && inFlight === 0) return resolve(received);
      while (next < requests.length && (inFlight === 0 || outstanding + requests[next]! <= windowBytes)) {
        const i = next++;
        outstanding += requests[i]!;
        inFlight++;
        fetch(i).then(
          (r) => {
            outstanding -= requests[i]!;
            inFlight--;
            received += r.bytes;
            pump();
          },
          (e: unknown) => {
            failed = true;
            reject(e);
          },
        );
      }
    };
    pump();
  });
}

export async function runWorkload(cfg: WorkloadConfig, hooks: WorkloadHooks = {}): Promise<QueryResult[]> {
  const clients = await Promise.all(cfg.servers.map((s) => MemcachedClient.connectWithRetry(s.address, s.port)));
  const clamped = new ClampedPool(cfg.servers);
  const switchTc = new TcBatch(cfg.switchNs);
  const pacerTcs: TcBatch[] = [];
  const reactive = cfg.mode.kind === 'reactive' ? cfg.mode : null;
  let stopReactive = false;
  let reactiveLoop: Promise<void> = Promise.resolve();
  try {
    await populate(clients, cfg);
    const rng = seededRng(cfg.seed ^ 0x5bd1e995);
    const plan = planQueries(cfg);
    if (reactive) {
      const pacers = cfg.servers.map((s) => {
        const tc = new TcBatch(s.ns);
        pacerTcs.push(tc);
        return new HostPacer(tc, s.dev);
      });
      reactiveLoop = reactivePacing(switchTc, cfg.switchDev, cfg.switchQueue, pacers, reactive, () => stopReactive);
    }
    const results: QueryResult[] = [];
    // A client that was not ready in time starts its schedule now rather than running queries back to back.
    let planned = Math.max(cfg.startAtMs, Date.now());
    if (planned > cfg.startAtMs + 10) process.stderr.write(`memcached workload: ready ${planned - cfg.startAtMs} ms after the schedule's start\n`);
    for (const [index, q] of plan.entries()) {
      planned += uniform(rng, cfg.thinkMs[0], cfg.thinkMs[1]);
      await sleep(Math.max(0, planned - Date.now()));
      const jitter = q.parts.map(() => (cfg.mode.kind === 'jitter' ? uniform(rng, 0, cfg.mode.maxMs) : 0));
      const dropsBefore = await qdiscDrops(switchTc, cfg.switchDev, cfg.switchQueue);
      const predicted = predictedBytes(q, cfg);
      // Connections whose clamp rule has expired are closed before the query's clock starts.
      clamped.expire();
      const startMs = Date.now();
      const t0 = performance.now();
      const asked = hooks.onIssue?.(q, predicted);
      const connsFor = async (a: void | IssueAdvice) => (a && 'clampedUntilMs' in a ? clamped.use(a.clampedUntilMs) : clients);
      let firstByte = Infinity;
      const get = async (part: { server: number; keys: number[] }, conns: MemcachedClient[]) => {
        const r = await conns[part.server]!.get(part.keys.map((k) => keyName(part.server, k, q.large)));
        if (r.firstByteAt < firstByte) {
          if (firstByte === Infinity) hooks.onFirstResponse?.(q);
          firstByte = r.firstByteAt;
        }
        if (r.values.size !== part.keys.length) throw new Error(`query ${index}: server ${part.server} returned ${r.values.size} of ${part.keys.length} keys`);
        return r;
      };
      let bytes = 0;
      let advice: void | IssueAdvice;
      let pool = clients;
      // Keys already fetched (while the advice was pending).
      let led = 0;
      // Requests of the lead not yet answered when the advice came.
      let leadAnswered: Promise<void> | null = null;
      if (asked instanceof Promise) {
        // The client does not block on the control plane: while the advice, and the connections it asks for, are
        // pending, the query's keys go one per request over the usual connections, at most LEAD_OUTSTANDING
        // unanswered (responses too few to fill a switch buffer, enough to keep the client's link busy); the rest
        // follow the advice as soon as it is in.
        const keys = q.parts.flatMap((p) => p.keys.map((k) => ({ server: p.server, keys: [k] })));
        const lead = await leadWhilePending(asked.then(async (a) => ({ a, conns: await connsFor(a) })), keys.length, async (i) => {
          const r = await get(keys[i]!, clients);
          bytes += r.bytes;
        }, LEAD_OUTSTANDING);
        ({ a: advice, conns: pool } = lead.value);
        led = lead.sent;
        leadAnswered = lead.answered;
      } else {
        advice = asked;
        pool = await connsFor(advice);
      }
      const parts = led ? remainingParts(q, led) : q.parts;
      const stagger = advice && 'staggerMs' in advice && advice.staggerMs > 0 ? advice.staggerMs : 0;
      const byteWindow = advice && 'windowBytes' in advice && advice.windowBytes > 0 && advice.requestBytes > 0 ? advice : null;
      const delays = parts.map((_, i) => (led ? 0 : jitter[i]!) + i * stagger);
      let send: () => Promise<unknown>;
      if (byteWindow) {
        // The hint applies to this query only: requests sized and windowed so their responses fit the buffer.
        const bytesPerKey = predicted / q.parts.reduce((a, p) => a + p.keys.length, 0);
        const requests = chunkParts({ ...q, parts }, bytesPerKey, byteWindow.requestBytes);
        send = () => runByteWindow(requests.map((r) => r.keys.length * bytesPerKey), byteWindow.windowBytes, (i) => get(requests[i]!, pool)).then((b) => (bytes += b));
      } else {
        const fetch = async (i: number) => {
          if (delays[i]! > 0) await sleep(delays[i]!);
          return (await get(parts[i]!, pool)).bytes;
        };
        const window = cfg.mode.kind === 'window' ? Math.max(1, Math.floor(cfg.mode.outstanding)) : parts.length;
        let next = 0;
        send = () => Promise.all(Array.from({ length: Math.min(window, parts.length) }, async () => {
          while (next < parts.length) {
            const got = await fetch(next++);
            bytes += got;
          }
        }));
      }
      // An advice that budgets the buffer (a byte window; a clamp, whose connections' first windows fill it on their
      // own) starts once a lead's requests are answered: sent together with them, the first large MultiGet dropped
      // packets in most trials and once stalled 225 ms. Otherwise the requests that go at once are written before
      // the first await, and the query also waits for the lead's.
      const budgeted = byteWindow !== null || (advice !== undefined && 'clampedUntilMs' in advice);
      const done = !leadAnswered ? send() : budgeted ? leadAnswered.then(send) : Promise.all([send(), leadAnswered]);
      hooks.afterIssue?.(q, predicted);
      await done;
      const qctMs = performance.now() - t0;
      const drops = (await qdiscDrops(switchTc, cfg.switchDev, cfg.switchQueue)) - dropsBefore;
      planned += cfg.slotMs[q.large ? 1 : 0];
      results.push({ index, large: q.large, fanout: q.parts.length, keys: q.parts.reduce((a, p) => a + p.keys.length, 0), bytes, startMs, qctMs, firstByteMs: firstByte - t0, drops });
    }
    return results;
  } finally {
    stopReactive = true;
    await reactiveLoop.catch(() => undefined);
    for (const c of clients) c.close();
    clamped.close();
    await switchTc.close();
    for (const tc of pacerTcs) await tc.close();
  }
}

/**
 * The connections a clamp advice asks for: opened while the responders' clamp rule lives (so their kernels cap
 * each at the rule's cwnd), used until the rule's expiry, then closed (a clamped connection keeps its cap).
 * Before opening, one connection to each server is opened and closed: the responder's kernel reads the locked
 * cwnd from its TCP metrics for this client, which a new rule has just emptied and a closed connection fills.
 * If any server cannot be reached, the connections opened to the others are closed and the error is thrown.
 */
class ClampedPool {
  private conns: MemcachedClient[] | null = null;
  private untilMs = 0;

  constructor(private readonly servers: ServerRef[]) {}

  async use(untilMs: number): Promise<MemcachedClient[]> {
    this.expire();
    if (!this.conns) {
      // Each server's connection opens as soon as its own open-and-close is done.
      const opened = await Promise.allSettled(this.servers.map(async (s) => {
        await MemcachedClient.touch(s.address, s.port);
        return MemcachedClient.connect(s.address, s.port);
      }));
      const failed = opened.find((o) => o.status === 'rejected');
      if (failed) {
        for (const o of opened) if (o.status === 'fulfilled') o.value.close();
        throw failed.reason;
      }
      this.conns = opened.map((o) => (o as PromiseFulfilledResult<MemcachedClient>).value);
    }
    this.untilMs = Math.max(this.untilMs, untilMs);
    return this.conns;
  }

  /** Closes the connections once the rule they were opened under has expired. */
  expire(): void {
    if (this.conns && Date.now() >= this.untilMs) this.close();
  }

  close(): void {
    for (const c of this.conns ?? []) c.close();
    this.conns = null;
    this.untilMs = 0;
  }
}

async function populate(clients: MemcachedClient[], cfg: WorkloadConfig): Promise<void> {
  await Promise.all(clients.map(async (c, s) => {
    for (let k = 0; k < cfg.largeKeysPerServer; k++) {
      await c.set(keyName(s, k, true), Buffer.alloc(cfg.valueBytes, 97 + ((s + k) % 26)));
      await c.set(keyName(s, k, false), Buffer.alloc(cfg.smallValueBytes, 65 + ((s + k) % 26)));
    }
  }));
}

/** The reactive baseline: poll the switch drop counter each millisecond; pace all servers while drops keep coming. */
async function reactivePacing(tc: TcBatch, dev: string, queue: string, pacers: HostPacer[], m: { rateMbit: number; holdMs: number }, stopped: () => boolean): Promise<void> {
  let last = await qdiscDrops(tc, dev, queue);
  let lastDropAt = -Infinity;
  let pacing = false;
  try {
    while (!stopped()) {
      const d = await qdiscDrops(tc, dev, queue);
      const now = performance.now();
      if (d > last) {
        lastDropAt = now;
        if (!pacing) {
          pacing = true;
          await Promise.all(pacers.map((p) => p.set(m.rateMbit)));
        }
      } else if (pacing && now - lastDropAt > m.holdMs) {
        pacing = false;
        await Promise.all(pacers.map((p) => p.set(null)));
      }
      last = d;
      await sleep(1);
    }
  } finally {
    await Promise.all(pacers.map((p) => p.set(null).catch(() => undefined)));
  }
}
