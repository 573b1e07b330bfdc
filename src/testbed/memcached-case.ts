// The MemCached incast case (paper 4.1) end to end: builds the topology (client, switch, N memcached
// servers, a bulk sender), runs every mode (no action, hindsight-swept static baselines, reactive) for
// several repetitions with the same seeded workloads, and summarises QCT, drops, stalls and bulk goodput.

import { bulkLoop, startBulkSink } from './bulk.ts';
import { installPacer, HostPacer } from './host-pacer.ts';
import type { ClientMode, QueryResult, ServerRef, WorkloadConfig } from './memcached-workload.ts';
import { newRunPrefix } from './names.ts';
import { runScript, startDaemon } from './ns-process.ts';
import { assertPreflight } from './preflight.ts';
import { Registry } from './registry.ts';
import { dist, mean, medianOf, paired, round, spread, type Dist, type Paired, type Spread } from './stats.ts';
import { TcBatch } from './tc-batch.ts';
import { Topology, type TopologySpec } from './topology.ts';
import { SmartTagsHarness } from './smarttags-harness.ts';
import { lowestStatic } from './case-targets.ts';
import type { SignaturesDoc } from '../engine/signature.ts';

export const MEMCACHED_PORT = 11211;

/** What every SmartTags policy of this case acts on: a significant drop signature where the extent makes drops likely. */
const ON_LIKELY_INCAST = { match: { event: 'qdisc_drop', maxQValue: 0.05, minLift: 2 }, minEventProbability: 0.5 };

export interface MemcachedCaseOptions {
  servers: number;
  rateMbit: number;
  bufferBytes: number;
  /** Value size of the keys large MultiGets read. */
  valueBytes: number;
  /** Value size of the keys small MultiGets read. */
  smallValueBytes: number;
  largeKeysPerServer: number;
  largeShare: number;
  thinkMs: [number, number];
  /** Schedule slot of a small and of a large query (think time counts from its end; see WorkloadConfig.slotMs). */
  slotMs: [number, number];
  /** How long after the client process is started its schedule begins (it connects and fills the servers first). */
  leadMs: number;
  queries: number;
  reps: number;
  seed: number;
  /** Bulk transfer towards the client: size, period, and its guaranteed share of the client port. */
  bulkBytes: number;
  bulkEveryMs: number;
  bulkShare: number;
  congestionControl: string;
  sweeps: { jitterMs: number[]; window: number[]; pacingFactor: number[]; reactiveHoldMs: number[] };
  /** The mode families to run (MEMCACHED_FAMILIES); null runs them all. No action always runs: its first run is the identification phase. */
  families: string[] | null;
  /** How long a SmartTags pacing rule stays after the signature's window (the policy's expiration margin). */
  smarttagsHoldMs: number;
  /** How long a SmartTags clamp rule stays after the signature's window: a clamp costs nothing while idle. */
  clampHoldMs: number;
  log: (line: string) => void;
}

export function defaultMemcachedOptions(quick: boolean): MemcachedCaseOptions {
  return {
    servers: 5,
    rateMbit: 100,
    bufferBytes: 30_000,
    valueBytes: 4096,
    smallValueBytes: 4096,
    largeKeysPerServer: 40,
    largeShare: 0.4,
    thinkMs: [60, 160],
    slotMs: [2, 75],
    leadMs: 2500,
    queries: quick ? 100 : 200,
    reps: quick ? 1 : 3,
    seed: 1,
    bulkBytes: 4_000_000,
    bulkEveryMs: 2500,
    bulkShare: 0.2,
    congestionControl: 'reno',
    sweeps: quick
      ? { jitterMs: [10, 30, 100], window: [1, 2], pacingFactor: [0.8, 1], reactiveHoldMs: [100] }
      : { jitterMs: [5, 10, 20, 30, 50, 100, 300], window: [1, 2, 3], pacingFactor: [0.6, 0.8, 1, 1.25], reactiveHoldMs: [50, 100, 300] },
    families: null,
    smarttagsHoldMs: 100,
    clampHoldMs: 2000,
    log: () => undefined,
  };
}

/**
 * What the SmartTags controller does on a likely incast: pace the servers, stagger or window the client's
 * requests, or clamp the servers' congestion window towards the client.
 */
export type SmartTagsAction = 'pace' | 'stagger' | 'window' | 'clamp';

/** One configuration to run: a client-side mode plus optional static pacing of every server. */
export interface ModeSpec {
  /** Family: none, jitter, window, pacing, reactive; smarttags (the clamp), smarttags-pace, -stagger, -window. */
  family: string;
  /** The swept parameter's value (ms, requests, or Mbit/s), null for none. */
  param: number | null;
  client: ClientMode;
  pacingMbit: number | null;
  /** SmartTags action phase: Tags through tagAndWait, the controller acts on the learned signature with this action. */
  smarttags?: SmartTagsAction;
}

export interface ModeMetrics {
  incast: { qct: Dist };
  nonIncast: { qct: Dist };
  /** Share of all queries slower than 200 ms. */
  stallShare: number;
  dropsPerQuery: number;
  incastDropsPerQuery: number;
  bulkMbps: number;
  /** Mean QCT over the whole mix, ms. */
  score: number;
}

export interface ModeReport extends ModeMetrics {
  param: number | null;
  reps: number;
  /** stallShare: absent in results written before it was kept. */
  spread: { score: Spread; incastMean: Spread; dropsPerQuery: Spread; bulkMbps: Spread; stallShare?: Spread };
  /**
   * The score of each repetition, in order (seed, seed + 1, ...): any two configurations can be paired. Absent
   * in results written before it was (read back with --from).
   */
  scores?: number[];
}

export interface MemcachedReport {
  case: 'memcached';
  bound: { incastQctMs: number; rateMbit: number; baseRttMs: number };
  modes: Record<string, ModeReport>;
  /** Every configuration tried, per family, with its median score: the hindsight sweep. */
  sweeps: Record<string, ModeReport[]>;
  /**
   * The case's SmartTags mode (the clamp) against the hindsight-best static baseline (the jitter, window or pacing
   * configuration with the lowest median score), score by score in each repetition: negative is SmartTags ahead.
   * Null when either was not run.
   */
  versusBestStatic: { against: string; score: Paired } | null;
  /** SmartTags identification: what the engine learned from the no-action runs' live Tags and switch Events. */
  identification: { tags: number; events: number; learnMs: number; signatures: SignaturesDoc | null };
  /** Per-query results of the first repetition for figures, by configuration label. */
  samples: Record<string, Pick<QueryResult, 'fanout' | 'keys' | 'large' | 'qctMs' | 'drops'>[]>;
  params: Omit<MemcachedCaseOptions, 'log'>;
  seconds: number;
}

export function modeLabel(m: ModeSpec): string {
  return m.param === null ? m.family : `${m.family}=${m.param}`;
}

/** The mode families of the case, in the order they run (read off its full set of configurations). */
export const MEMCACHED_FAMILIES: readonly string[] = [...new Set(allMemcachedModes(defaultMemcachedOptions(false)).map((m) => m.family))];

/** The configurations to run: every swept one of each family in o.families (all when null), no action first. */
export function memcachedModes(o: MemcachedCaseOptions): ModeSpec[] {
  return allMemcachedModes(o).filter((m) => m.family === 'none' || o.families === null || o.families.includes(m.family));
}

function allMemcachedModes(o: MemcachedCaseOptions): ModeSpec[] {
  const fair = o.rateMbit / o.servers;
  return [
    { family: 'none', param: null, client: { kind: 'none' }, pacingMbit: null },
    ...o.sweeps.jitterMs.map((j) => ({ family: 'jitter', param: j, client: { kind: 'jitter', maxMs: j } as ClientMode, pacingMbit: null })),
    ...o.sweeps.window.map((w) => ({ family: 'window', param: w, client: { kind: 'window', outstanding: w } as ClientMode, pacingMbit: null })),
    ...o.sweeps.pacingFactor.map((f) => ({ family: 'pacing', param: round(fair * f), client: { kind: 'none' } as ClientMode, pacingMbit: round(fair * f) })),
    ...o.sweeps.reactiveHoldMs.map((h) => ({ family: 'reactive', param: h, client: { kind: 'reactive', rateMbit: fair, holdMs: h } as ClientMode, pacingMbit: null })),
    // SmartTags with each action; `smarttags` is the case's own (the clamp: zero loss at the line-rate bound).
    { family: 'smarttags-pace', param: null, client: { kind: 'none' }, pacingMbit: null, smarttags: 'pace' },
    { family: 'smarttags-stagger', param: null, client: { kind: 'none' }, pacingMbit: null, smarttags: 'stagger' },
    { family: 'smarttags-window', param: null, client: { kind: 'none' }, pacingMbit: null, smarttags: 'window' },
    { family: 'smarttags', param: null, client: { kind: 'none' }, pacingMbit: null, smarttags: 'clamp' },
  ];
}

export function memcachedTopology(o: Pick<MemcachedCaseOptions, 'servers' | 'rateMbit' | 'bufferBytes' | 'bulkShare' | 'congestionControl'>): TopologySpec {
  const servers = Array.from({ length: o.servers }, (_, i) => `s${i + 1}`);
  return {
    congestionControl: o.congestionControl,
    nodes: [{ name: 'c', kind: 'host' }, { name: 'sw', kind: 'switch' }, { name: 'b', kind: 'host' }, ...servers.map((name) => ({ name, kind: 'host' as const }))],
    links: [
      { a: 'sw', b: 'c', shapeA: { rateMbit: o.rateMbit, bufferBytes: o.bufferBytes, classes: [{ name: 'bulk', fromNodes: ['b'], share: o.bulkShare }] } },
      { a: 'sw', b: 'b' },
      ...servers.map((s) => ({ a: 'sw', b: s })),
    ],
  };
}

/** A built MemCached testbed: topology, servers, pacers and bulk sink, ready to run modes. */
export class MemcachedBed {
  readonly registry = new Registry(newRunPrefix());
  readonly topo: Topology;
  readonly servers: ServerRef[] = [];
  private readonly pacerTcs: TcBatch[] = [];
  readonly pacers: HostPacer[] = [];
  harness: SmartTagsHarness | null = null;

  constructor(readonly o: MemcachedCaseOptions) {
    this.topo = new Topology(memcachedTopology(o), this.registry);
  }

  /**
   * Starts the SmartTags parts: the client's SDK reaches the host driver, the switch driver samples every leaf
   * queue of sw-c (the MemCached class 1:10 and the bulk class 1:11 apart: which one the MultiGets fill is learned).
   */
  async startSmartTags(): Promise<SmartTagsHarness> {
    const port = this.topo.shapedPort('sw', 'c');
    this.harness = new SmartTagsHarness({
      prefix: this.registry.prefix,
      appLocale: 'mc-client',
      eventPorts: [{ ns: port.ns, devices: [port.dev], locale: (dev) => `sw/${dev}`, queues: ['leaves'] }],
      samplePeriodMs: 2,
      // The learner on its defaults: nothing about the workload (which tag, which value, which lag) is given.
      learn: {},
      controller: this.controllerSection('pace'),
    });
    // The driver's socket and the controller's journal live in /tmp: removed with the namespaces, Ctrl-C too.
    this.registry.addFile(this.harness.socketPath);
    this.registry.addFile(this.harness.journalPath);
    await this.harness.start();
    return this.harness;
  }

  async start(): Promise<void> {
    assertPreflight(['ip', 'tc', 'memcached', 'iperf3']);
    await this.topo.build();
    for (let i = 1; i <= this.o.servers; i++) {
      const node = `s${i}`;
      const { ns, dev } = await installPacer(this.topo, node, 'sw');
      const tc = new TcBatch(ns);
      this.pacerTcs.push(tc);
      this.pacers.push(new HostPacer(tc, dev));
      const address = this.topo.address(node);
      await startDaemon(this.topo, node, `memcached-${node}`, ['memcached', '-u', 'root', '-l', address, '-p', String(MEMCACHED_PORT), '-U', '0', '-m', '64', '-t', '1']);
      this.servers.push({ address, port: MEMCACHED_PORT, ns, dev });
    }
    await startBulkSink(this.topo, 'c');
  }

  /** The rate the client port guarantees the MemCached class (the port rate minus the bulk class's share). */
  classRateBps(): number {
    return this.o.rateMbit * (1 - this.o.bulkShare) * 1e6;
  }

  /**
   * The operator's policy: pace every server at its fair share of the MemCached class when a learned signature
   * predicts qdisc drops and the extent makes them likely at the Tag's value. Which Tag, which values and
   * when come from the signature; the rule lives for the signature's window plus smarttagsHoldMs.
   */
  pacingPolicy(): Record<string, unknown> {
    return {
      name: 'incast-pacing',
      ...ON_LIKELY_INCAST,
      action: 'pace',
      targets: this.servers.map((s) => ({ netns: s.ns, dev: s.dev })),
      derive: { bottleneckBps: this.classRateBps(), responders: this.o.servers },
      expiration: { marginUs: this.o.smarttagsHoldMs * 1000 },
    };
  }

  /**
   * The alternative policy: an application hint telling the client to stagger its per-server requests by
   * one slot (a server's share of a large response at the port rate, bytesPerResponder = largest response
   * per server the operator sizes for).
   */
  staggerPolicy(): Record<string, unknown> {
    return {
      name: 'incast-stagger',
      ...ON_LIKELY_INCAST,
      action: 'hint',
      targets: [{ locale: '$tag' }],
      params: { kind: 'stagger' },
      derive: { bottleneckBps: this.classRateBps(), responders: this.o.servers, bytesPerResponder: this.o.largeKeysPerServer * this.o.valueBytes },
    };
  }

  /**
   * The byte-window policy: an application hint telling the client, for this query only, to keep at most the
   * response bytes the client port's buffer holds outstanding (bufferBytes, an operator fact), in requests of
   * a third of that; the hint lives for the query's predicted transfer at the MemCached class's rate. Which Tag and which values (only those the extent makes drops likely at) come from the signature.
   */
  windowPolicy(): Record<string, unknown> {
    return {
      name: 'incast-window',
      ...ON_LIKELY_INCAST,
      action: 'hint',
      targets: [{ locale: '$tag' }],
      derive: { bufferBytes: this.o.bufferBytes, bottleneckBps: this.classRateBps() },
    };
  }

  /**
   * The clamp policy: every server's kernel caps new connections to the client at the full-size frames the
   * client port's buffer holds shared by the servers (bufferBytes and the server count, operator facts), so a
   * fan-out sent at once fills at most the buffer and the servers' TCP, clocked by the client's ACKs, keeps the
   * port busy. Which Tag and which values (only those the extent makes drops likely at) come from the
   * signature; the rule is held clampHoldMs past the signature's window and extended by every Tag it acts on.
   */
  clampPolicy(): Record<string, unknown> {
    const client = this.topo.address('c');
    return {
      name: 'incast-clamp',
      ...ON_LIKELY_INCAST,
      action: 'clamp',
      targets: this.servers.map((_, i) => {
        const port = this.topo.port(`s${i + 1}`, 'sw');
        return { netns: port.ns, dev: port.dev, via: port.peerAddress, dst: client };
      }),
      derive: { bufferBytes: this.o.bufferBytes, responders: this.o.servers, bottleneckBps: this.classRateBps() },
      expiration: { marginUs: this.o.clampHoldMs * 1000 },
    };
  }

  /**
   * The controller section of a SmartTags action mode: pace every server at rate/N, window the client's
   * requests of a likely incast by the buffer size, or stagger the requests
   * by one slot and pace every server at the port rate (so a lone response's slow start queues at its
   * sender, not in the switch buffer).
   */
  controllerSection(action: SmartTagsAction): Record<string, unknown> {
    if (action === 'pace') return { maxActionsPerSec: 10_000, policies: [this.pacingPolicy()] };
    if (action === 'window') return { maxActionsPerSec: 10_000, policies: [this.windowPolicy()] };
    if (action === 'clamp') return { maxActionsPerSec: 10_000, policies: [this.clampPolicy()] };
    const atPortRate = { ...this.pacingPolicy(), name: 'sender-port-rate', params: { rate: this.o.rateMbit * 1e6 } };
    return { maxActionsPerSec: 10_000, policies: [this.staggerPolicy(), atPortRate] };
  }

  /** Runs one configuration once; returns its per-query results and bulk goodputs. */
  async runMode(m: ModeSpec, seed: number, tagging?: WorkloadConfig['tagging']): Promise<{ results: QueryResult[]; bulk: number[]; tagger: Record<string, unknown> | null }> {
    const o = this.o;
    const cfg: WorkloadConfig = {
      servers: this.servers,
      seed,
      queries: o.queries,
      valueBytes: o.valueBytes,
      smallValueBytes: o.smallValueBytes,
      largeKeysPerServer: o.largeKeysPerServer,
      largeShare: o.largeShare,
      thinkMs: o.thinkMs,
      startAtMs: Date.now() + o.leadMs,
      slotMs: o.slotMs,
      switchNs: this.topo.ns('sw'),
      switchDev: this.topo.shapedPort('sw', 'c').dev,
      switchQueue: this.topo.shapedPort('sw', 'c').queues['default']!,
      mode: m.client,
      tagging,
    };
    await Promise.all(this.pacers.map((p) => p.set(m.pacingMbit)));
    let stop = false;
    // The bulk transfers keep the same wall-clock schedule as the queries: every mode meets them at the same queries.
    const bulk = bulkLoop(this.topo, 'b', 'c', o.bulkBytes, o.bulkEveryMs, cfg.startAtMs + o.bulkEveryMs / 2, () => stop);
    try {
      const out = await runScript(this.topo, 'c', 'memcached-workload-main.ts', cfg, { timeoutMs: 60_000 + o.queries * 2000 }).done;
      const { results, tagger } = JSON.parse(out) as { results: QueryResult[]; tagger: Record<string, unknown> | null };
      const late = (results[0]?.startMs ?? 0) - cfg.startAtMs - o.thinkMs[1];
      if (late > 10) o.log(`memcached ${m.family}: the client was ready ${Math.round(late)} ms after its schedule's start; the bulk transfers meet other queries`);
      return { results, bulk: await stopBulk(), tagger };
    } finally {
      await stopBulk().catch(() => undefined);
      await Promise.all(this.pacers.map((p) => p.set(null)));
    }
    async function stopBulk(): Promise<number[]> {
      stop = true;
      return bulk;
    }
  }

  async close(): Promise<void> {
    await this.harness?.stop();
    for (const tc of this.pacerTcs) await tc.close();
    await this.registry.teardown();
  }
}

export function modeMetrics(results: QueryResult[], bulk: number[]): ModeMetrics {
  const large = results.filter((r) => r.large);
  const small = results.filter((r) => !r.large);
  return {
    incast: { qct: dist(large.map((r) => r.qctMs)) },
    nonIncast: { qct: dist(small.map((r) => r.qctMs)) },
    stallShare: round(results.filter((r) => r.qctMs > 200).length / results.length, 4),
    dropsPerQuery: round(mean(results.map((r) => r.drops))),
    incastDropsPerQuery: round(mean(large.map((r) => r.drops))),
    bulkMbps: round(mean(bulk)),
    score: round(mean(results.map((r) => r.qctMs))),
  };
}

/** The line-rate bound of a large query: its bytes on the wire at the port rate plus one small-query RTT. */
export function incastBound(o: Pick<MemcachedCaseOptions, 'servers' | 'largeKeysPerServer' | 'valueBytes' | 'rateMbit'>, baseRttMs: number): number {
  const keys = o.servers * o.largeKeysPerServer;
  // memcached framing ("VALUE key flags bytes\r\n...\r\n") and TCP/IP headers per 1448-byte segment.
  const payload = keys * (o.valueBytes + 32) + o.servers * 5;
  const wire = payload * (1500 / 1448);
  return round((wire * 8) / (o.rateMbit * 1000) + baseRttMs);
}

/**
 * The `smarttags` mode against the static configuration (jitter, window, pacing) with the lowest median score,
 * paired by repetition; null when either was not run. `runs` maps configuration labels to their repetitions.
 */
export function versusBestStaticOf(runs: ReadonlyMap<string, { spec: Pick<ModeSpec, 'family'>; reps: Pick<ModeMetrics, 'score'>[] }>): MemcachedReport['versusBestStatic'] {
  const best = lowestStatic([...runs.entries()].map(([label, e]) => ({ label, family: e.spec.family, medianScore: medianOf(e.reps.map((r) => r.score)), reps: e.reps })));
  const clamp = runs.get('smarttags');
  return best && clamp ? { against: best.label, score: paired(clamp.reps.map((r) => r.score), best.reps.map((r) => r.score)) } : null;
}

export async function runMemcachedCase(o: MemcachedCaseOptions): Promise<MemcachedReport> {
  const t0 = performance.now();
  const bed = new MemcachedBed(o);
  const perMode = new Map<string, { spec: ModeSpec; reps: ModeMetrics[] }>();
  const samples: MemcachedReport['samples'] = {};
  let baseRtts: number[] = [];
  let identification: MemcachedReport['identification'] = { tags: 0, events: 0, learnMs: 0, signatures: null };
  try {
    await bed.start();
    const harness = await bed.startSmartTags();
    const tagging = { endpoint: harness.socketPath, locale: 'mc-client', wait: false };
    const modes = memcachedModes(o);
    for (let rep = 0; rep < o.reps; rep++) {
      for (const m of modes) {
        const label = modeLabel(m);
        // The first no-action run carries Tags: SmartTags' identification phase (Tags change nothing before a
        // signature exists). The smarttags runs wait on each MG Tag until the controller's rules are in place.
        const identify = m.family === 'none' && rep === 0;
        if (m.smarttags) await harness.useController(bed.controllerSection(m.smarttags));
        const { results, bulk, tagger } = await bed.runMode(m, o.seed + rep, identify ? tagging : m.smarttags ? { ...tagging, wait: true } : undefined);
        if (m.smarttags) {
          await harness.settle();
          const c = harness.controller.counters;
          o.log(`memcached ${label} rep ${rep + 1}: tag waits ${JSON.stringify(tagger?.waits ?? {})}, controller applied ${c.applied} coalesced ${c.coalesced} hints ${c.hints} skipped ${c.skipped} refused ${c.refused} errors ${c.errors}`);
        }
        const metrics = modeMetrics(results, bulk);
        if (m.family === 'none') baseRtts = baseRtts.concat(results.filter((r) => r.fanout === 1 && !r.large).map((r) => r.qctMs));
        const entry = perMode.get(label) ?? { spec: m, reps: [] };
        entry.reps.push(metrics);
        perMode.set(label, entry);
        if (rep === 0) samples[label] = results.map((r) => ({ fanout: r.fanout, keys: r.keys, large: r.large, qctMs: round(r.qctMs), drops: r.drops }));
        if (identify) {
          const t = performance.now();
          const doc = await harness.learn();
          identification = { tags: harness.seen.tags, events: harness.seen.events, learnMs: round(performance.now() - t), signatures: doc };
          o.log(`memcached identification: ${harness.seen.tags} tags, ${harness.seen.events} events, ${doc?.signatures.length ?? 0} signatures (${doc?.signatures.map((g) => `${g.tag.name}@${g.tag.locale}->${g.event.name}@${g.event.locale} p=${round(g.probability)} lead=${round(g.leadTime.p50 / 1000)}ms`).join(', ') ?? ''})`);
        }
        o.log(`memcached rep ${rep + 1}/${o.reps} ${label}: score ${metrics.score} ms, incast mean ${metrics.incast.qct.mean} ms, drops/query ${metrics.dropsPerQuery}, stalls ${metrics.stallShare}, bulk ${metrics.bulkMbps} Mbit/s`);
      }
    }
  } finally {
    await bed.close();
  }
  const sweeps: Record<string, ModeReport[]> = {};
  for (const { spec, reps } of perMode.values()) {
    const med = medianOf(reps);
    const report: ModeReport = {
      ...med,
      param: spec.param,
      reps: reps.length,
      spread: {
        score: spread(reps.map((r) => r.score)),
        incastMean: spread(reps.map((r) => r.incast.qct.mean)),
        dropsPerQuery: spread(reps.map((r) => r.dropsPerQuery)),
        bulkMbps: spread(reps.map((r) => r.bulkMbps)),
        stallShare: spread(reps.map((r) => r.stallShare)),
      },
      scores: reps.map((r) => r.score),
    };
    (sweeps[spec.family] ??= []).push(report);
  }
  const modes: Record<string, ModeReport> = {};
  for (const [family, list] of Object.entries(sweeps)) modes[family] = [...list].sort((a, b) => a.score - b.score)[0]!;
  const versusBestStatic = versusBestStaticOf(perMode);
  const baseRttMs = round(baseRtts.length ? Math.min(...baseRtts) : 0);
  const { log: _log, ...params } = o;
  return {
    case: 'memcached',
    bound: { incastQctMs: incastBound(o, baseRttMs), rateMbit: o.rateMbit, baseRttMs },
    modes,
    sweeps,
    versusBestStatic,
    identification,
    samples,
    params,
    seconds: round((performance.now() - t0) / 1000, 1),
  };
}
