// `smarttags bench runtime --json FILE`: the cost of the running system measured in one run — tag() against an
// OpenTelemetry span (JS SDK 2.x, batch processor), driver ingest from 4 app processes (capacity with losses
// counted, and nothing lost below capacity), and tag-to-action latency through the real controller: a hint, and an
// htb rate change by its pace actuator in a network namespace (a sample read back with tc), beside the bare socket
// round trip of the same pacing; and how late the controller reverts rules that expire.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, getPriority, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { InProcessBus } from '../bus/in-process.ts';
import { SUBJECTS, type ActionReply, type ActionRequest, type RecordBatch } from '../bus/messages.ts';
import { integerOption, parseBenchArgs } from './options.ts';
import { UsageError } from '../options/args.ts';
import { Driver } from '../driver/driver.ts';
import type { Signature } from '../engine/signature.ts';
import { createTagger } from '../sdk/index.ts';
import { nowMicros } from '../sdk/clock.ts';
import type { AppArgs, IngestResult, LatencyResult } from './runtime-app.ts';
import { BenchNamespace } from './bench-namespace.ts';
import { ACTIONS, Controller, HintActuator, PaceActuator, parsePolicies } from '../controller/index.ts';

export const summary = 'tag() vs OpenTelemetry span, driver ingest from 4 apps, tag-to-action latency';

const HELP = `usage: smarttags bench runtime [--json FILE] [--apps N] [--ingest-ms MS] [--samples N] [--warmup N] [--expiries N] [--no-kernel]

  --json FILE     write the results as JSON
  --apps N        app processes for the ingest measurement (default 4)
  --ingest-ms MS  length of each ingest step (default 1500); steps offer 250k, 500k, 1M, 2M, 4M tags/s, then a flood
  --samples N     tag-to-action round trips per path (default 2000)
  --warmup N      untimed back-to-back round trips per path before them, for the JIT (default 3000)
  --expiries N    htb rules of 20 ms whose revert lateness is timed (default 100)
  --no-kernel     skip the htb (kernel) path and the expiries`;

/** Every how many applied kernel rules the bench app reads the htb class back with \`tc class show\`. */
const VERIFY_EVERY = 20;
/** Untimed paced round trips after the back-to-back warm-up, at most. */
const WARMUP_PACED = 200;
/** Life of the rules whose revert lateness is timed. */
const EXPIRY_US = 20_000;

/** Untimed round trips before the timed ones: back to back (for the JIT), then paced like the timed ones. */
interface Warmup {
  backToBack: number;
  paced: number;
}

/** How the numbers are taken, written into the JSON beside them. */
const measurementNotes = ({ backToBack, paced }: Warmup): string[] => [
  'tag-to-action: tagAndWait in a separate app process, from before the Tag is written to the reply in hand; a 1 ms timer after each round trip; every round trip counts, also those that did not put the action in place',
  `warm-up, not timed: ${backToBack} round trips back to back (V8 optimizes the path only after a few thousand calls; a running daemon is past that) then ${paced} paced`,
  'floorUs / socketRoundTripFloorUs: a 64-byte echo by the driver\'s process over a Unix socket, timed before each round trip (interleaved, same pacing)',
  `kernel: each Tag's value sets a new htb rate; after every ${VERIFY_EVERY}th applied rule, outside the timed round trip, the app reads the class back with tc class show and compares the rate (kernel.verified)`,
  `ruleRevertLateUs: rules of ${EXPIRY_US / 1000} ms requested from the controller one at a time; lateness = revert done (after tc answered) - expiresAt`,
  `since the previous README numbers: the echo floor is interleaved with the round trips instead of measured before them; the warm-up adds ${backToBack} back-to-back round trips (it was 200 paced, during which V8 had not optimized the path: it compiled ~50 functions during the timed run); the bench app tallies each reply at once instead of keeping all of them (an app keeps no replies)`,
];

/** One ingest step: all apps together offer `offeredPerSec` (0 = as fast as they can) for `seconds`. */
export interface IngestStep {
  offeredPerSec: number;
  seconds: number;
  tagged: number;
  received: number;
  receivedPerSec: number;
  /** Drops counted by the SDKs (slow driver) and by the driver after receiving. */
  droppedCounted: number;
  /** tagged - received - SDK drops: tags lost between app and driver without being counted (must be 0). */
  unaccounted: number;
}

export interface RuntimeBench {
  sdkTagNs: number;
  otelSpanNs: number;
  /** otelSpanNs / sdkTagNs. */
  spanOverTag: number;
  /** sdkTagNs and otelSpanNs are the p10 of per-round costs; the median is shown beside it. */
  costs: { tag: CallCost; span: CallCost; statistic: string };
  /** One tag() and one span, each the first call after the app slept (a sporadic app's cost per call). */
  afterIdle: AfterIdleCost;
  /** Tags per second the driver received while the apps flooded it. */
  driverIngestPerSec: number;
  /** Tags lost (tagged but never received, counted or not) in the steps offering at most half the capacity. */
  driverIngestLost: number;
  driverIngest: { apps: number; steps: IngestStep[] };
  /**
   * A 64-byte echo between the same two processes over a Unix socket, before each hint round trip (interleaved, same
   * pacing): what this machine's scheduling allows any tag-to-action path at best. Each path also has its own floorUs.
   */
  socketRoundTripFloorUs: { p50: number; p99: number; n: number };
  tagToActionUs: {
    hint: ActionLatency;
    kernel: (ActionLatency & { actuator: string; verified: NonNullable<LatencyResult['verified']> }) | { skipped: string };
  };
  /** How late the controller reverts expiring htb rules: revert done (tc answered) minus expiresAt. */
  ruleRevertLateUs: { p50: number; p99: number; max: number; n: number } | { skipped: string };
  targets: Record<string, { target: string; value: number | null; met: boolean | null }>;
  measurement: string[];
  /**
   * loadAvg1: the 1-minute load average when the run ended (2 cores are shared with other work); nice: the bench
   * process's (driver and controller) scheduling priority, its apps inherit it; no scheduling option is applied.
   */
  environment: { node: string; cpus: number; cpuModel: string; loadAvg1: number; nice: number; at: string };
}

/**
 * tagAndWait round trips after a warm-up: p50/p99 over all `n` of them (those that did not end with the action
 * in place count at the time they took; `inPlace` says how many did), with the 1-minute load average around it.
 */
export interface ActionLatency {
  p50: number;
  p99: number;
  n: number;
  /** The echo interleaved with these round trips. */
  floorUs: { p50: number; p99: number; n: number };
  inPlace: number;
  warmup: number;
  statuses: Record<string, number>;
  loadAvg1: { before: number; after: number };
}

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '..', '..');

export async function run(argv: string[]): Promise<number> {
  const values = parseBenchArgs(argv, ['json', 'apps', 'ingest-ms', 'samples', 'warmup', 'expiries'], HELP, ['no-kernel']);
  if (!values) return 0;
  const apps = integerOption('apps', values.apps, 4, 1);
  const ingestMs = integerOption('ingest-ms', values['ingest-ms'], 1500, 200);
  const samples = integerOption('samples', values.samples, 2000, 10);
  const expiries = integerOption('expiries', values.expiries, 100, 1);
  const warm: Warmup = { backToBack: integerOption('warmup', values.warmup, 3000, 0), paced: Math.min(WARMUP_PACED, samples) };
  if (apps > 64) throw new UsageError('--apps: an integer in 1-64');

  const dir = mkdtempSync(join(tmpdir(), 'st-bench-'));
  try {
    const log = (s: string) => process.stderr.write(`bench runtime: ${s}\n`);
    log('tag() and span cost');
    const costs = await measureCosts(join(dir, 'cost.sock'));
    const sdkTagNs = costs.tag.p10;
    const otelSpanNs = costs.span.p10;
    log(`tag() ${sdkTagNs.toFixed(1)} ns, span ${otelSpanNs.toFixed(1)} ns; after ${IDLE_SLEEP_MS} ms asleep ${costs.afterIdle.tagUs.p50} and ${costs.afterIdle.spanUs.p50} us; driver ingest from ${apps} apps`);
    const ingest = await measureIngest(join(dir, 'ingest.sock'), apps, ingestMs);
    const driverIngestPerSec = Math.max(...ingest.steps.map((st) => st.receivedPerSec));
    const calm = ingest.steps.filter((st) => st.offeredPerSec > 0 && st.offeredPerSec <= driverIngestPerSec / 2);
    log(`ingest up to ${driverIngestPerSec} tags/s; tag-to-action latency`);
    const { verified: _v, revertLate: _r, ...hint } = await measureAction(join(dir, 'hint'), samples, warm, null, 0);
    let kernel: RuntimeBench['tagToActionUs']['kernel'] = { skipped: '--no-kernel' };
    let ruleRevertLateUs: RuntimeBench['ruleRevertLateUs'] = { skipped: '--no-kernel' };
    if (values['no-kernel'] !== 'true') {
      const made = BenchNamespace.create();
      if ('reason' in made) kernel = ruleRevertLateUs = { skipped: made.reason };
      else {
        try {
          const { verified, revertLate, ...measured } = await measureAction(join(dir, 'kernel'), samples, warm, made.space, expiries);
          if (!verified || verified.checked === 0 || verified.matched !== verified.checked) {
            throw new Error(`kernel path: htb class read back with tc does not show the rules' rates: ${JSON.stringify(verified)}`);
          }
          kernel = { ...measured, verified, actuator: 'controller pace actuator: htb class rate change, each request a new rate' };
          ruleRevertLateUs = revertLate!;
        } finally {
          made.space.close();
        }
      }
    }
    const result: RuntimeBench = {
      sdkTagNs: round(sdkTagNs, 1),
      otelSpanNs: round(otelSpanNs, 1),
      spanOverTag: round(otelSpanNs / sdkTagNs, 1),
      costs: { tag: roundCost(costs.tag), span: roundCost(costs.span), statistic: '10th percentile of per-round cost (p50 beside it)' },
      afterIdle: costs.afterIdle,
      driverIngestPerSec,
      driverIngestLost: calm.reduce((sum, st) => sum + st.tagged - st.received, 0),
      driverIngest: ingest,
      socketRoundTripFloorUs: hint.floorUs,
      tagToActionUs: { hint, kernel },
      ruleRevertLateUs,
      targets: {},
      measurement: measurementNotes(warm),
      environment: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', loadAvg1: round(loadavg()[0]!, 2), nice: getPriority(), at: new Date().toISOString() },
    };
    const k = 'p99' in kernel ? kernel.p99 : null;
    result.targets = {
      sdkTagNs: { target: '<= 100', value: result.sdkTagNs, met: result.sdkTagNs <= 100 },
      spanOverTag: { target: '>= 30', value: result.spanOverTag, met: result.spanOverTag >= 30 },
      driverIngestPerSec: { target: '>= 1000000', value: driverIngestPerSec, met: driverIngestPerSec >= 1_000_000 },
      driverIngestLost: { target: '0 below capacity, losses counted above', value: result.driverIngestLost, met: calm.length > 0 && result.driverIngestLost === 0 && ingest.steps.every((st) => st.unaccounted === 0) },
      hintP99Us: { target: '<= 200', value: hint.p99, met: hint.p99 <= 200 },
      kernelP99Us: { target: '<= 2000', value: k, met: k === null ? null : k <= 2000 },
    };
    const json = JSON.stringify(result, null, 2);
    if (values.json) writeFileSync(values.json, json + '\n');
    process.stdout.write(json + '\n');
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Per-call cost from timed rounds: the 10th percentile (rounds no other process interrupted) and the median. */
interface CallCost {
  p10: number;
  p50: number;
  rounds: number;
  perRound: number;
}

/**
 * tag() with a live driver draining the socket, against a span start/end with a batch processor whose exporter
 * discards; both in short rounds separated by a timer turn (the driver reads, the batch processor exports), so
 * neither queue overflows: every span is exported (checked), every tag is sent.
 */
async function measureCosts(socket: string): Promise<{ tag: CallCost; span: CallCost; afterIdle: AfterIdleCost; spansExported: number; tagsSent: number }> {
  const bus = new InProcessBus();
  const driver = new Driver({ id: 'bench', locales: ['bench-host'], bus, socketPath: socket });
  await driver.start();
  const tagger = createTagger({ endpoint: socket, locale: 'bench-app', capacity: 1 << 16, batchSize: 1024 });
  const timeRounds = async (rounds: number, perRound: number, call: (i: number) => void): Promise<CallCost> => {
    const ns: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      for (let i = 0; i < perRound; i++) call(i);
      ns.push(((performance.now() - t0) * 1e6) / perRound);
      await new Promise((res) => setTimeout(res, 0));
    }
    const sorted = ns.sort((x, y) => x - y);
    return { p10: percentile(sorted, 0.1), p50: percentile(sorted, 0.5), rounds, perRound };
  };
  try {
    await until(() => tagger.connected, 5000, 'the tagger to connect');
    const tagCall = (i: number) => tagger.tag('MG', i);
    await timeRounds(20, 5000, tagCall);
    const tag = await timeRounds(200, 5000, tagCall);
    tagger.flush();
    const tagsSent = tagger.stats.sent;
    if (tagger.stats.tagged !== tagsSent) throw new Error(`tag cost run: ${tagger.stats.tagged - tagsSent} tags not sent`);
    let spansExported = 0;
    const exporter: SpanExporter = {
      export: (spans: ReadableSpan[], done) => {
        spansExported += spans.length;
        done({ code: 0 });
      },
      shutdown: async () => undefined,
    };
    const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
    const tracer = provider.getTracer('smarttags-bench');
    const spanCall = (i: number) => tracer.startSpan('MG', { attributes: { value: i } }).end();
    await timeRounds(20, 500, spanCall);
    const span = await timeRounds(400, 500, spanCall);
    const afterIdle = await measureAfterIdle(tagCall, spanCall);
    await provider.forceFlush();
    await provider.shutdown();
    const spans = 420 * 500 + IDLE_SAMPLES;
    if (spansExported !== spans) throw new Error(`span cost run: ${spans - spansExported} spans not exported (batch queue overflow)`);
    return { tag, span, afterIdle, spansExported, tagsSent };
  } finally {
    await tagger.close();
    await driver.stop();
    await bus.close();
  }
}

/** Samples of one call after the app slept, and how long it slept before each. */
const IDLE_SAMPLES = 100;
const IDLE_SLEEP_MS = 20;

/** One call timed as the first thing the app does after sleeping, as in an app that tags now and then. */
interface AfterIdleCost {
  sleepMs: number;
  samples: number;
  tagUs: { p50: number; p90: number };
  spanUs: { p50: number; p90: number };
  /** spanUs.p50 / tagUs.p50. */
  spanOverTag: number;
}

/**
 * A tag() and a span, each timed alone as the first call after IDLE_SLEEP_MS asleep (alternating, so both meet the
 * same machine): caches and branch predictors have cooled, so this is what a sporadic app pays per call.
 */
async function measureAfterIdle(tagCall: (i: number) => void, spanCall: (i: number) => void): Promise<AfterIdleCost> {
  const tagUs: number[] = [];
  const spanUs: number[] = [];
  const timeOne = async (call: (i: number) => void, i: number, into: number[]) => {
    await new Promise((res) => setTimeout(res, IDLE_SLEEP_MS));
    const t0 = performance.now();
    call(i);
    into.push((performance.now() - t0) * 1000);
  };
  for (let i = 0; i < IDLE_SAMPLES; i++) {
    await timeOne(tagCall, i, tagUs);
    await timeOne(spanCall, i, spanUs);
  }
  const stats = (us: number[]) => {
    const sorted = us.sort((x, y) => x - y);
    return { p50: round(percentile(sorted, 0.5), 1), p90: round(percentile(sorted, 0.9), 1) };
  };
  const tag = stats(tagUs);
  const span = stats(spanUs);
  return { sleepMs: IDLE_SLEEP_MS, samples: IDLE_SAMPLES, tagUs: tag, spanUs: span, spanOverTag: round(span.p50 / tag.p50, 1) };
}

const INGEST_STEPS = [250_000, 500_000, 1_000_000, 2_000_000, 4_000_000, 0];

/** One driver, `apps` app processes, offered load stepped up to a flood; each step accounted for separately. */
async function measureIngest(socket: string, apps: number, ms: number): Promise<RuntimeBench['driverIngest']> {
  const bus = new InProcessBus();
  let published = 0;
  bus.subscribe<RecordBatch>(SUBJECTS.records, (b) => {
    published += b.records.length;
  });
  const driver = new Driver({ id: 'bench', locales: ['bench-host'], bus, socketPath: socket, forwarder: { maxQueuedRecords: 1_000_000, maxRecordsPerSecond: Number.POSITIVE_INFINITY } });
  await driver.start();
  const children: AppProcess[] = [];
  const steps: IngestStep[] = [];
  try {
    for (let i = 0; i < apps; i++) children.push(startApp({ mode: 'ingest', endpoint: socket, locale: `bench-app-${i}` }));
    await Promise.all(children.map((c) => c.ready));
    for (const offered of INGEST_STEPS) {
      const receivedBefore = driver.counters.tagsReceived;
      const droppedBefore = driver.counters.dropped;
      const t0 = performance.now();
      const results = (await Promise.all(children.map((c) => c.step({ ratePerSec: Math.ceil(offered / apps), durationMs: ms })))) as IngestResult[];
      const sent = results.reduce((s, r) => s + r.sent, 0);
      await until(() => driver.counters.tagsReceived - receivedBefore >= sent, 5000, 'the driver to read what the apps sent').catch(() => undefined);
      const seconds = (performance.now() - t0) / 1000;
      driver.flush();
      const tagged = results.reduce((s, r) => s + r.tagged, 0);
      const received = driver.counters.tagsReceived - receivedBefore;
      const sdkDropped = results.reduce((s, r) => s + r.dropped, 0);
      const droppedCounted = sdkDropped + driver.counters.dropped - droppedBefore;
      steps.push({ offeredPerSec: offered, seconds: round(seconds, 3), tagged, received, receivedPerSec: Math.round(received / seconds), droppedCounted, unaccounted: tagged - received - sdkDropped });
    }
    if (published + driver.counters.dropped !== driver.counters.tagsReceived) {
      throw new Error(`driver published ${published} + dropped ${driver.counters.dropped} != received ${driver.counters.tagsReceived}`);
    }
    return { apps, steps };
  } finally {
    for (const c of children) await c.close();
    await driver.stop();
    await bus.close();
  }
}

/**
 * tagAndWait round trips from an app process through driver and the real controller: a hint policy (the reply
 * carries the stagger hint), or a pace policy whose htb class rate changes with every Tag's value (a sample read
 * back), followed by `expiries` short rules on the namespace's other port whose revert lateness is timed.
 */
async function measureAction(
  dir: string,
  samples: number,
  warm: Warmup,
  space: BenchNamespace | null,
  expiries: number,
): Promise<ActionLatency & { verified?: LatencyResult['verified']; revertLate?: RuntimeBench['ruleRevertLateUs'] }> {
  mkdirSync(dir);
  const echoPath = join(dir, 'echo.sock');
  const echo = createServer((c) => c.on('data', (d) => c.write(d)).on('error', () => undefined));
  await new Promise<void>((resolve) => echo.listen(echoPath, resolve));
  const socket = join(dir, 'driver.sock');
  const bus = new InProcessBus();
  const driver = new Driver({ id: 'bench', locales: ['bench-host'], bus, socketPath: socket });
  const policies = space
    ? [
        { name: 'pace-bench', match: { tag: 'ACT' }, action: 'pace', targets: [{ netns: space.ns, dev: space.device }], derive: { bottleneckBps: 100e6 }, expiration: { fixedUs: 600e6, maxUs: 600e6 } },
        { name: 'expiry-bench', match: { tag: 'EXP' }, action: 'pace', targets: [{ netns: space.ns, dev: space.peer }], params: { rate: 5e6 }, expiration: { fixedUs: EXPIRY_US } },
      ]
    : [{ name: 'hint-bench', match: { tag: 'ACT' }, action: 'hint', targets: [{ locale: '$tag' }], derive: { bottleneckBps: 100e6, bytesPerResponder: 100_000 }, expiration: { maxUs: 60e6 } }];
  const revertedAt = new Map<string, number>();
  const controller = new Controller({
    bus,
    actuators: space ? [new PaceActuator(1e9)] : [new HintActuator(bus)],
    policies: parsePolicies(policies, ACTIONS),
    journalPath: join(dir, 'journal.jsonl'),
    limits: { maxRules: 16, maxActionsPerSec: 1e6 },
    // The SDK's microsecond clock (the default reads Date.now(), in whole milliseconds), so revert lateness resolves µs.
    clock: nowMicros,
    onRule: (what, d) => {
      if (what === 'reverted') revertedAt.set(d.id, nowMicros());
    },
  });
  await controller.start();
  await driver.start();
  bus.publish(SUBJECTS.signatures, { generation: 1, doc: { version: 1, params: {}, signatures: [benchSignature()] } });
  const app = startApp({ mode: 'latency', endpoint: socket, locale: 'bench-app', tag: 'ACT', timeoutMs: 1000 });
  try {
    await app.ready;
    await until(() => driver.signatures.size === 1, 5000, 'the signature to reach the driver');
    // Warm-up (and the root htb installed once): back to back for the JIT, then paced like the timed round trips.
    if (warm.backToBack > 0) await app.step({ mode: 'latency', count: warm.backToBack, paced: false, echo: echoPath });
    await app.step({ mode: 'latency', count: warm.paced, paced: true, echo: echoPath });
    const before = round(loadavg()[0]!, 2);
    const verify = space ? { netns: space.ns, dev: space.device, classid: '1:1', every: VERIFY_EVERY } : undefined;
    const r = (await app.step({ mode: 'latency', count: samples, paced: true, echo: echoPath, verify })) as LatencyResult;
    const after = round(loadavg()[0]!, 2);
    const sorted = [...r.waitedUs].sort((a, b) => a - b);
    const f = [...r.floorUs].sort((a, b) => a - b);
    const floorUs = { p50: percentile(f, 0.5), p99: percentile(f, 0.99), n: f.length };
    const revertLate = space ? await measureRevertLateness(bus, revertedAt, expiries) : undefined;
    const warmup = warm.backToBack + warm.paced;
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), n: sorted.length, floorUs, inPlace: r.inPlace, warmup, statuses: r.statuses, loadAvg1: { before, after }, verified: r.verified, revertLate };
  } finally {
    await app.close();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
    await driver.stop();
    await controller.close();
    await bus.close();
  }
}

/**
 * Asks the controller for `count` rules of EXPIRY_US one at a time and waits for each to be reverted: how late the
 * revert is done (its tc change answered) after the rule's expiresAt.
 */
async function measureRevertLateness(bus: InProcessBus, revertedAt: Map<string, number>, count: number): Promise<RuntimeBench['ruleRevertLateUs']> {
  const late: number[] = [];
  const signature = benchSignature('EXP');
  for (let i = 0; i < count; i++) {
    const tag = { time: nowMicros(), locale: 'bench-app', kind: 'tag' as const, name: 'EXP', value: 1 };
    const reply = await bus.request<ActionRequest, ActionReply>(SUBJECTS.action, { driver: 'bench', tag, signatures: [signature] }, 5000);
    const rule = reply.rules[0];
    if (rule?.status !== 'applied') throw new Error(`revert lateness: expected an applied rule, got ${JSON.stringify(rule)}`);
    await until(() => revertedAt.has(rule.id), 5000, `rule ${rule.id} to be reverted`);
    late.push(revertedAt.get(rule.id)! - rule.expiresAt);
  }
  const sorted = late.sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1)!, n: sorted.length };
}

function benchSignature(name = 'ACT'): Signature {
  return {
    tag: { name, locale: 'bench-app' }, event: { name: 'qdisc_drop', locale: 'bench-host' }, relation: 'same',
    probability: 0.9, hitRate: 0.92, baselineRate: 0.02, lift: 46, pValue: 1e-12, qValue: 1e-11, support: 1000, hits: 920,
    leadTime: { min: 1000, p05: 2000, p50: 5000, p95: 9000 }, window: { start: 1000, end: 10_000 },
    extent: { bins: [], threshold: null, sizeSlope: 0, logistic: null },
  };
}

interface AppProcess {
  ready: Promise<void>;
  /** Sends one step (merged into the app's arguments) and resolves with its JSON result line. */
  step(cmd: Partial<AppArgs>): Promise<unknown>;
  /** Ends the app (asks, then kills after 3 s). */
  close(): Promise<void>;
}

function startApp(args: AppArgs): AppProcess {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', join(here, 'runtime-app.ts'), JSON.stringify(args)], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let buf = '';
  let err = '';
  const waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  let exited: Error | null = null;
  let readyResolve!: () => void;
  let readyReject!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  ready.catch(() => undefined);
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === 'ready') readyResolve();
      else if (line.startsWith('{')) {
        const parsed = JSON.parse(line) as { error?: string };
        if (parsed.error) readyReject(new Error(`bench app ${args.locale}: ${parsed.error}`));
        else waiting.shift()?.resolve(parsed);
      }
    }
  });
  const done = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = new Error(`bench app ${args.locale} exited (${code ?? signal}): ${err.trim()}`);
      readyReject(exited);
      for (const w of waiting.splice(0)) w.reject(exited);
      resolve();
    });
  });
  return {
    ready,
    step: (cmd) =>
      exited
        ? Promise.reject(exited)
        : new Promise((resolve, reject) => {
            waiting.push({ resolve, reject });
            child.stdin.write(JSON.stringify(cmd) + '\n');
          }),
    close: async () => {
      if (exited) return;
      child.stdin.write('exit\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await done;
      clearTimeout(timer);
    },
  };
}

function roundCost(c: CallCost): CallCost {
  return { ...c, p10: round(c.p10, 1), p50: round(c.p50, 1) };
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
