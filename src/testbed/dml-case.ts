// The parameter-server case (paper 4.2) end to end: 6 workers behind a switch reach the server over two
// routed paths; the second also carries a paced background flow. Runs no action, always-split (k workers
// moved) and reactive reroute, and summarises iteration time, drops per iteration and background goodput.

import { run, sleep } from './exec.ts';
import { newRunPrefix } from './names.ts';
import { ScriptSession, runScript, startDaemon, type ScriptRun } from './ns-process.ts';
import { assertPreflight } from './preflight.ts';
import { Registry } from './registry.ts';
import { PolicyReroute } from './reroute.ts';
import { dist, medianOf, round, spread, type Dist, type Spread } from './stats.ts';
import { qdiscDrops, TcBatch } from './tc-batch.ts';
import { Topology, type TopologySpec } from './topology.ts';
import { planSplit, type SplitPlan } from './dml-plan.ts';
import { IPERF_PORT } from './bulk.ts';
import { SmartTagsHarness } from './smarttags-harness.ts';
import type { SignaturesDoc } from '../engine/signature.ts';

/** Share of each path's capacity SmartTags plans the paced senders to fill. */
const PLAN_UTILISATION = 0.95;
/** Tables and priorities of the controller's reroute rules at the worker switch (the baselines use 100). */
const CONTROLLER_TABLE = 110;

export const PS_PORT = 7000;
export const PS_ADDRESS = '10.255.0.1';

export interface DmlCaseOptions {
  workers: number;
  rateMbit: number;
  bufferBytes: number;
  paramBytes: number;
  gradBytes: number;
  computeMs: number;
  iterations: number;
  reps: number;
  backgroundMbit: number;
  congestionControl: string;
  sweeps: { splitWorkers: number[]; reactiveHoldMs: number[] };
  /** The mode families to run (DML_FAMILIES); null runs them all. No action always runs: its first run is the identification phase. */
  families: string[] | null;
  log: (line: string) => void;
}

export function defaultDmlOptions(quick: boolean): DmlCaseOptions {
  return {
    workers: 6,
    rateMbit: 200,
    // Shallow switch buffers: 32 KB is 1.3 ms at the port rate (the MemCached case's 30 KB at 100 Mbit/s).
    bufferBytes: 32_000,
    // ResNet-18 (11.7 M float32 parameters, 47 MB) scaled from 10 Gbit/s to 200 Mbit/s, 1/50: ~1 MB, so
    // a transfer takes as long as at full scale; the compute time is not scaled: 40 ms, about one
    // forward/backward pass of ResNet-18 on a CIFAR-sized batch of 128 on one datacenter GPU.
    paramBytes: 1_000_000,
    gradBytes: 1_000_000,
    computeMs: 40,
    // 100 iterations (~25 s) give identification enough rpc_sync Tags against a chance rate near 0.8.
    iterations: quick ? 100 : 150,
    reps: quick ? 1 : 3,
    // The other traffic on path 2: an eighth of its capacity.
    backgroundMbit: 25,
    congestionControl: 'reno',
    sweeps: quick ? { splitWorkers: [2, 3], reactiveHoldMs: [100] } : { splitWorkers: [1, 2, 3], reactiveHoldMs: [50, 100, 300] },
    families: null,
    log: () => undefined,
  };
}

export interface DmlModeSpec {
  family: string;
  param: number | null;
  /** Workers moved to the second path for the whole run. */
  split: number;
  reactive: { holdMs: number; move: number } | null;
  /** SmartTags action phase: rpc_sync Tags, the controller reroutes on the learned signature. */
  smarttags?: boolean;
}

export interface DmlMetrics {
  iterationMs: Dist;
  dropsPerIteration: number;
  backgroundMbps: number;
}

export interface DmlModeReport extends DmlMetrics {
  param: number | null;
  reps: number;
  spread: { iterationMean: Spread; dropsPerIteration: Spread; backgroundMbps: Spread };
}

export interface DmlReport {
  case: 'dml';
  /** SmartTags identification: what the engine learned from the first no-action run's Tags and Events. */
  identification: { tags: number; events: number; learnMs: number; signatures: SignaturesDoc | null };
  modes: Record<string, DmlModeReport>;
  sweeps: Record<string, DmlModeReport[]>;
  /** Iteration times of the first repetition per configuration, for figures. */
  samples: Record<string, number[]>;
  /** What SmartTags acts with: workers per path and pacing rates (planSplit over the path capacities). */
  plan: SplitPlan;
  /**
   * Lower bounds on the iteration time, ms, not counting the pull: compute plus the push of every gradient
   * with whole workers per path (`split`), and with the bytes spread over both paths as a fluid (`fluid`).
   */
  bound: { splitIterationMs: number; fluidIterationMs: number };
  params: Omit<DmlCaseOptions, 'log'>;
  seconds: number;
}

export function dmlLabel(m: DmlModeSpec): string {
  return m.param === null ? m.family : `${m.family}=${m.param}`;
}

/** The mode families of the case, in the order they run (read off its full set of configurations). */
export const DML_FAMILIES: readonly string[] = [...new Set(allDmlModes(defaultDmlOptions(false)).map((m) => m.family))];

/** The configurations to run: every swept one of each family in o.families (all when null), no action first. */
export function dmlModes(o: DmlCaseOptions): DmlModeSpec[] {
  return allDmlModes(o).filter((m) => m.family === 'none' || o.families === null || o.families.includes(m.family));
}

function allDmlModes(o: DmlCaseOptions): DmlModeSpec[] {
  const half = Math.floor(o.workers / 2);
  return [
    { family: 'none', param: null, split: 0, reactive: null },
    ...o.sweeps.splitWorkers.map((k) => ({ family: 'split', param: k, split: k, reactive: null })),
    ...o.sweeps.reactiveHoldMs.map((h) => ({ family: 'reactive', param: h, split: 0, reactive: { holdMs: h, move: half } })),
    { family: 'smarttags', param: null, split: 0, reactive: null, smarttags: true },
  ];
}

export function dmlTopology(o: Pick<DmlCaseOptions, 'workers' | 'rateMbit' | 'bufferBytes' | 'congestionControl'>): TopologySpec {
  const workers = Array.from({ length: o.workers }, (_, i) => `w${i + 1}`);
  const shape = { rateMbit: o.rateMbit, bufferBytes: o.bufferBytes };
  return {
    congestionControl: o.congestionControl,
    nodes: [
      { name: 'ps', kind: 'host', service: PS_ADDRESS },
      { name: 'sa', kind: 'switch' },
      { name: 'r1', kind: 'router' },
      { name: 'r2', kind: 'router' },
      { name: 'bg', kind: 'host' },
      ...workers.map((name) => ({ name, kind: 'host' as const })),
    ],
    links: [
      // Path 1 (default) and path 2; each router's port towards the server is the shaped bottleneck.
      { a: 'sa', b: 'r1' },
      { a: 'sa', b: 'r2' },
      { a: 'r1', b: 'ps', shapeA: shape },
      { a: 'r2', b: 'ps', shapeA: shape },
      { a: 'bg', b: 'r2' },
      ...workers.map((w) => ({ a: 'sa', b: w })),
    ],
  };
}

export class DmlBed {
  readonly registry = new Registry(newRunPrefix());
  readonly topo: Topology;
  private server: ScriptSession | null = null;
  private readonly workerRuns: ScriptRun[] = [];
  private readonly r1 = { tc: null as TcBatch | null, dev: '', queue: '' };
  private readonly r2 = { tc: null as TcBatch | null, dev: '', queue: '' };
  reroute: PolicyReroute | null = null;
  workerAddresses: string[] = [];
  harness: SmartTagsHarness | null = null;

  constructor(readonly o: DmlCaseOptions) {
    this.topo = new Topology(dmlTopology(o), this.registry);
  }

  async start(): Promise<void> {
    assertPreflight(['ip', 'tc', 'iperf3']);
    await this.topo.build();
    for (const [side, node] of [[this.r1, 'r1'], [this.r2, 'r2']] as const) {
      const p = this.topo.shapedPort(node, 'ps');
      side.tc = new TcBatch(p.ns);
      side.dev = p.dev;
      side.queue = p.queues['default']!;
    }
    this.reroute = new PolicyReroute(this.topo, 'sa', PS_ADDRESS, 'r2');
    await this.reroute.install();
    this.workerAddresses = Array.from({ length: this.o.workers }, (_, i) => this.topo.address(`w${i + 1}`));
    this.harness = new SmartTagsHarness({
      prefix: this.registry.prefix,
      appLocale: 'ps',
      eventPorts: (['r1', 'r2'] as const).map((node) => {
        const p = this.topo.shapedPort(node, 'ps');
        return { ns: p.ns, devices: [p.dev], locale: (dev: string) => `${node}/${dev}` };
      }),
      samplePeriodMs: 2,
      learn: {},
      controller: { maxActionsPerSec: 10_000, policies: this.smarttagsPolicies() },
    });
    // The driver's socket and the controller's journal live in /tmp: removed with the namespaces, Ctrl-C too.
    this.registry.addFile(this.harness.socketPath);
    this.registry.addFile(this.harness.journalPath);
    await this.harness.start();
    const tagging = { endpoint: this.harness.socketPath, locale: 'ps' };
    this.server = new ScriptSession(this.topo, 'ps', 'dml-server-main.ts', { address: PS_ADDRESS, port: PS_PORT, workers: this.o.workers, tagging });
    for (let i = 1; i <= this.o.workers; i++) {
      this.workerRuns.push(runScript(this.topo, `w${i}`, 'dml-worker-main.ts', { server: PS_ADDRESS, port: PS_PORT, name: `w${i}` }));
    }
    await this.server.next<{ ready: string[] }>(60_000);
    // The other traffic on path 2: a paced TCP flow from bg to the server's namespace, running throughout.
    // Socket pacing (--fq-rate) spreads its packets; -b alone sends each 1 ms timer's share as one burst.
    await startDaemon(this.topo, 'ps', 'iperf3-server-ps', ['iperf3', '-s', '-B', PS_ADDRESS, '-p', String(IPERF_PORT)]);
    await sleep(300);
    await startDaemon(this.topo, 'bg', 'iperf3-background', ['iperf3', '-c', PS_ADDRESS, '-p', String(IPERF_PORT), '-b', `${this.o.backgroundMbit}M`, '--fq-rate', `${this.o.backgroundMbit}M`, '-t', '86400']);
    await sleep(1000);
  }

  /**
   * The path capacities the operator configures: the first path's port rate, and the second path's port
   * rate less the rate provisioned for its other traffic.
   */
  pathCapacitiesBps(): [number, number] {
    return [this.o.rateMbit * 1e6, Math.max(0, this.o.rateMbit - this.o.backgroundMbit) * 1e6];
  }

  /**
   * The split SmartTags acts with: workers per path and each worker's pacing rate (see planSplit), planned
   * at PLAN_UTILISATION of the capacities: pacers at exactly the port rate let the queue random-walk into
   * a shallow buffer.
   */
  smarttagsPlan(): SplitPlan {
    return planSplit(this.o.workers, this.pathCapacitiesBps().map((c) => c * PLAN_UTILISATION) as [number, number], this.o.gradBytes);
  }

  /**
   * The operator's policies: when a learned signature predicts qdisc drops after a Tag, move the planned
   * workers (by source address) onto the second path at the worker switch, and pace every worker at its
   * planned rate (planSplit), for the signature's window plus twice the planned push time (drops start
   * with the push, so the push ends about one push time after the window; the second is for a push that
   * starts late or runs slower than planned: a rule that ends mid-push lets the rest burst, ~190 drops and
   * a retransmission timeout, and with 1.5 push times iterations a quarter over plan on a loaded machine
   * did that). Each next Tag extends the rules, so a slack margin costs only a later removal once the job
   * stops. Which Tag and when come from the signature; how many move and how fast each sends come from
   * the capacities.
   */
  smarttagsPolicies(): Record<string, unknown>[] {
    const plan = this.smarttagsPlan();
    const alt = this.topo.port('sa', 'r2');
    const stay = this.workerAddresses.slice(0, plan.senders[0]).map((_, i) => `w${i + 1}`);
    const moved = this.workerAddresses.slice(plan.senders[0]);
    const movedNodes = moved.map((_, i) => `w${plan.senders[0] + i + 1}`);
    const common = {
      match: { event: 'qdisc_drop', maxQValue: 0.05 },
      expiration: { marginUs: Math.ceil(plan.pushSeconds * 2e6) },
    };
    const pace = (name: string, nodes: string[], perWorkerBps: number) => ({
      ...common,
      name,
      action: 'pace',
      targets: nodes.map((w) => {
        const p = this.topo.port(w, 'sa');
        return { netns: p.ns, dev: p.dev };
      }),
      derive: { bottleneckBps: perWorkerBps * nodes.length, responders: nodes.length },
    });
    const out: Record<string, unknown>[] = [];
    if (moved.length) {
      out.push({
        ...common,
        name: 'sync-reroute',
        action: 'reroute',
        targets: moved.map((addr, i) => ({ netns: alt.ns, table: CONTROLLER_TABLE + i, priority: CONTROLLER_TABLE + i, from: `${addr}/32`, dst: `${PS_ADDRESS}/32`, via: alt.peerAddress, dev: alt.dev })),
      });
      out.push(pace('sync-pace-path2', movedNodes, plan.rateBps[1]));
    }
    if (stay.length) out.push(pace('sync-pace-path1', stay, plan.rateBps[0]));
    return out;
  }

  async drops(): Promise<number> {
    return (await qdiscDrops(this.r1.tc!, this.r1.dev, this.r1.queue)) + (await qdiscDrops(this.r2.tc!, this.r2.dev, this.r2.queue));
  }

  /** Bytes the background host has sent so far. */
  async backgroundBytes(): Promise<number> {
    const out = await run(['ip', '-n', this.topo.ns('bg'), '-s', '-j', 'link', 'show', 'dev', this.topo.port('bg', 'r2').dev]);
    const j = JSON.parse(out) as { stats64?: { tx?: { bytes?: number } } }[];
    const b = j[0]?.stats64?.tx?.bytes;
    if (typeof b !== 'number') throw new Error('bg link: no stats64.tx.bytes in ip -s -j output');
    return b;
  }

  async runMode(m: DmlModeSpec, tag = false): Promise<{ metrics: DmlMetrics; iterationMs: number[]; syncs: number[] }> {
    const o = this.o;
    await this.reroute!.set(this.workerAddresses.slice(o.workers - m.split));
    let stop = false;
    const reactive = m.reactive ? this.reactiveLoop(m.reactive, () => stop) : Promise.resolve();
    try {
      const d0 = await this.drops();
      const b0 = await this.backgroundBytes();
      const t0 = performance.now();
      const r = await this.server!.request<{ syncs: number[]; iterationMs: number[] }>({ iterations: o.iterations, paramBytes: o.paramBytes, gradBytes: o.gradBytes, computeMs: o.computeMs, tag }, 30_000 + o.iterations * 5000);
      const secs = (performance.now() - t0) / 1000;
      const b1 = await this.backgroundBytes();
      const d1 = await this.drops();
      const metrics: DmlMetrics = {
        iterationMs: dist(r.iterationMs),
        dropsPerIteration: round((d1 - d0) / o.iterations),
        backgroundMbps: round(((b1 - b0) * 8) / secs / 1e6),
      };
      return { metrics, iterationMs: r.iterationMs, syncs: r.syncs };
    } finally {
      stop = true;
      await reactive;
      await this.reroute!.set([]);
      if (m.smarttags) await this.harness!.settle();
    }
  }

  /** Reactive reroute: when the first path drops packets, move half the workers until no drops for holdMs. */
  private async reactiveLoop(r: { holdMs: number; move: number }, stopped: () => boolean): Promise<void> {
    const moved = this.workerAddresses.slice(this.o.workers - r.move);
    let last = await qdiscDrops(this.r1.tc!, this.r1.dev, this.r1.queue);
    let lastDropAt = -Infinity;
    let active = false;
    while (!stopped()) {
      const d = await qdiscDrops(this.r1.tc!, this.r1.dev, this.r1.queue);
      const now = performance.now();
      if (d > last) {
        lastDropAt = now;
        if (!active) {
          active = true;
          await this.reroute!.set(moved);
        }
      } else if (active && now - lastDropAt > r.holdMs) {
        active = false;
        await this.reroute!.set([]);
      }
      last = d;
      await sleep(1);
    }
  }

  async close(): Promise<void> {
    await this.server?.close().catch(() => undefined);
    await Promise.all(this.workerRuns.map((w) => w.done.catch(() => undefined)));
    await this.r1.tc?.close();
    await this.r2.tc?.close();
    await this.harness?.stop();
    await this.registry.teardown();
  }
}

export async function runDmlCase(o: DmlCaseOptions): Promise<DmlReport> {
  const t0 = performance.now();
  const bed = new DmlBed(o);
  const per = new Map<string, { spec: DmlModeSpec; reps: DmlMetrics[] }>();
  const samples: Record<string, number[]> = {};
  let identification: DmlReport['identification'] = { tags: 0, events: 0, learnMs: 0, signatures: null };
  try {
    await bed.start();
    const harness = bed.harness!;
    for (let rep = 0; rep < o.reps; rep++) {
      for (const m of dmlModes(o)) {
        const label = dmlLabel(m);
        // The first no-action run carries rpc_sync Tags (identification); the smarttags runs carry them to act.
        const identify = m.family === 'none' && rep === 0;
        const { metrics, iterationMs } = await bed.runMode(m, identify || m.smarttags === true);
        if (identify) {
          await sleep(100);
          const t = performance.now();
          const doc = await harness.learn();
          identification = { tags: harness.seen.tags, events: harness.seen.events, learnMs: round(performance.now() - t), signatures: doc };
          o.log(`dml identification: ${harness.seen.tags} tags, ${harness.seen.events} events, ${doc?.signatures.length ?? 0} signatures (${doc?.signatures.map((g) => `${g.tag.name}@${g.tag.locale}->${g.event.name}@${g.event.locale} p=${round(g.probability)} lead=${round(g.leadTime.p50 / 1000)}ms window=${round(g.window.start / 1000)}-${round(g.window.end / 1000)}ms`).join(', ') ?? ''})`);
        }
        if (m.smarttags) {
          const c = harness.controller.counters;
          o.log(`dml smarttags rep ${rep + 1}: controller applied ${c.applied} coalesced ${c.coalesced} skipped ${c.skipped} refused ${c.refused} errors ${c.errors}`);
        }
        const e = per.get(label) ?? { spec: m, reps: [] };
        e.reps.push(metrics);
        per.set(label, e);
        if (rep === 0) samples[label] = iterationMs.map((x) => round(x));
        o.log(`dml rep ${rep + 1}/${o.reps} ${label}: iteration mean ${metrics.iterationMs.mean} ms p99 ${metrics.iterationMs.p99}, drops/iteration ${metrics.dropsPerIteration}, background ${metrics.backgroundMbps} Mbit/s`);
      }
    }
  } finally {
    await bed.close();
  }
  const sweeps: Record<string, DmlModeReport[]> = {};
  for (const { spec, reps } of per.values()) {
    (sweeps[spec.family] ??= []).push({
      ...medianOf(reps),
      param: spec.param,
      reps: reps.length,
      spread: {
        iterationMean: spread(reps.map((r) => r.iterationMs.mean)),
        dropsPerIteration: spread(reps.map((r) => r.dropsPerIteration)),
        backgroundMbps: spread(reps.map((r) => r.backgroundMbps)),
      },
    });
  }
  const modes: Record<string, DmlModeReport> = {};
  for (const [family, list] of Object.entries(sweeps)) modes[family] = [...list].sort((a, b) => a.iterationMs.mean - b.iterationMs.mean)[0]!;
  const { log: _log, ...params } = o;
  const caps = bed.pathCapacitiesBps();
  const bound = {
    splitIterationMs: round(o.computeMs + planSplit(o.workers, caps, o.gradBytes).pushSeconds * 1000),
    fluidIterationMs: round(o.computeMs + ((o.workers * o.gradBytes * 8) / (caps[0] + caps[1])) * 1000),
  };
  return { case: 'dml', modes, sweeps, identification, samples, plan: bed.smarttagsPlan(), bound, params, seconds: round((performance.now() - t0) / 1000, 1) };
}
