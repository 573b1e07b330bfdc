// Plans a synthetic datacenter scenario from its options: the leaf-spine topology, where each application
// runs, its causal pair (tag -> event at a switch port), companions, noise, host-level tags, bursty
// background events on every port, the shared load cycle, and the truth that results.

import type { SeriesKey } from '../protocol/series-store.ts';
import type { Kind } from '../protocol/record.ts';
import { Rng } from './rng.ts';
import { CausalApp, Episodes, LoadCycle, PointProcess, type Source, type ValueRange } from './sources.ts';
import { relationLabel, Topology } from '../protocol/topology.ts';
import { appLocale, hostId, hostPort, leafId, leafSpine, spinePort, uplinkPort, type LeafSpineDoc } from './topology.ts';
import { lagQuantile } from './lag-quantiles.ts';
import { TRUTH_VERSION, type TruthDecoy, type TruthDoc, type TruthPair } from './truth.ts';

export const SCENARIOS = ['coexist', 'norelation', 'extent', 'bench'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioOptions {
  scenario: ScenarioName;
  seed?: number;
  /** Number of co-existing applications. */
  apps?: number;
  /** Simulated time, µs. For `bench` it is derived from `records` unless given. */
  durationUs?: number;
  /** Approximate number of records (bench only; sets the duration). */
  records?: number;
  /** Time of the first instant, µs since the Unix epoch. */
  startUs?: number;
  spines?: number;
  leaves?: number;
  hostsPerLeaf?: number;
  /** Range of the causal probability Prob(event | tag) drawn per application (default [0.35, 0.9]; not extent). */
  probabilityRange?: [number, number];
  /** Host clocks are off by up to ± this many µs (uniform per host; switches keep true time). Default 0. */
  clockSkewUs?: number;
  /** Switch events are polled counters: reported at the next multiple of this many µs, merged per poll
   *  (values summed). Default 0: every event reported when it happens. */
  pollUs?: number;
}

export interface ResolvedOptions extends Required<Omit<ScenarioOptions, 'records'>> {
  records: number | null;
}

/** How records are observed: per-series clock offset (µs) and whether the series is a polled counter. */
export interface Observation {
  clockOffset: Float64Array;
  polled: Uint8Array;
  pollUs: number;
}

export interface ScenarioPlan {
  options: ResolvedOptions;
  topology: LeafSpineDoc;
  truth: TruthDoc;
  /** Series index -> key; sources emit series indices. */
  series: SeriesKey[];
  sources: Source[];
  /** Mean records per second over all sources (before polling merges events). */
  expectedRate: number;
  observation: Observation;
}

/** 2026-01-01T00:00:00Z in µs. */
export const DEFAULT_START_US = 1_767_225_600_000_000;

const DEFAULTS: Record<ScenarioName, Omit<ResolvedOptions, 'scenario' | 'seed' | 'startUs' | 'probabilityRange' | 'clockSkewUs' | 'pollUs'>> = {
  coexist: { apps: 10, durationUs: 600e6, records: null, spines: 2, leaves: 4, hostsPerLeaf: 8 },
  norelation: { apps: 10, durationUs: 600e6, records: null, spines: 2, leaves: 4, hostsPerLeaf: 8 },
  extent: { apps: 4, durationUs: 600e6, records: null, spines: 2, leaves: 4, hostsPerLeaf: 8 },
  bench: { apps: 50, durationUs: 0, records: 10_000_000, spines: 8, leaves: 40, hostsPerLeaf: 24 },
};

type Target = 'host-port' | 'uplink' | 'spine-port';

/** Rack congestion episodes: mean ON and OFF durations, µs. */
const EPISODE = { meanOnUs: 3e6, meanOffUs: 90e6 };

/** What an application of each kind looks like (tag names after the paper's MemCached and DML cases). */
interface AppKind {
  kind: string;
  tag: string;
  companion: string;
  noise: [string, string];
  event: 'drop' | 'ecn_mark' | 'backlog';
  target: Target;
  /** Range of the lag median, ms, and its log-spread. */
  lagMs: [number, number];
  sigma: number;
  driver: { kind: 'poisson'; ratePerS: [number, number] } | { kind: 'periodic'; periodMs: [number, number] };
  values: ValueRange;
  sizeSlope: [number, number];
}

const APP_KINDS: AppKind[] = [
  { kind: 'memcached', tag: 'MultiGet', companion: 'ReqLog', noise: ['cache_miss', 'set_batch'], event: 'drop', target: 'host-port', lagMs: [0.5, 3], sigma: 0.2, driver: { kind: 'poisson', ratePerS: [2, 5] }, values: { lo: 1, hi: 40 }, sizeSlope: [0.3, 1] },
  { kind: 'dml', tag: 'rpc_sync', companion: 'grad_ready', noise: ['epoch_end', 'ckpt_write'], event: 'drop', target: 'spine-port', lagMs: [5, 40], sigma: 0.25, driver: { kind: 'periodic', periodMs: [400, 1200] }, values: { lo: 2, hi: 16 }, sizeSlope: [1, 3] },
  { kind: 'storage', tag: 'flush', companion: 'wal_sync', noise: ['fsync', 'open_file'], event: 'backlog', target: 'uplink', lagMs: [30, 180], sigma: 0.15, driver: { kind: 'poisson', ratePerS: [0.4, 1] }, values: { lo: 1, hi: 64 }, sizeSlope: [4, 16] },
  { kind: 'web', tag: 'fanout_call', companion: 'auth_check', noise: ['http_req', 'gc_pause'], event: 'ecn_mark', target: 'host-port', lagMs: [0.4, 1.5], sigma: 0.2, driver: { kind: 'poisson', ratePerS: [3, 6] }, values: { lo: 2, hi: 30 }, sizeSlope: [0.5, 2] },
  { kind: 'shuffle', tag: 'map_done', companion: 'spill', noise: ['task_start', 'heartbeat'], event: 'drop', target: 'uplink', lagMs: [2, 20], sigma: 0.25, driver: { kind: 'poisson', ratePerS: [0.5, 2] }, values: { lo: 1, hi: 20 }, sizeSlope: [0.5, 2] },
];

/** Background event processes on every switch port: name, ON-OFF rates (per second), values. */
const BACKGROUND: { name: string; offRate: number; onRate: number; meanOnS: number; meanOffS: number; values: ValueRange }[] = [
  { name: 'drop', offRate: 0.05, onRate: 3, meanOnS: 2, meanOffS: 60, values: { lo: 1, hi: 20 } },
  { name: 'ecn_mark', offRate: 0.5, onRate: 10, meanOnS: 1, meanOffS: 40, values: { lo: 1, hi: 50 } },
  { name: 'backlog', offRate: 0.1, onRate: 5, meanOnS: 1, meanOffS: 50, values: { lo: 16, hi: 512 } },
];

export function resolveOptions(o: ScenarioOptions): ResolvedOptions {
  if (!SCENARIOS.includes(o.scenario)) throw new Error(`scenario: must be one of ${SCENARIOS.join(', ')}, got ${JSON.stringify(o.scenario)}`);
  const d = DEFAULTS[o.scenario];
  const r: ResolvedOptions = {
    scenario: o.scenario,
    seed: o.seed ?? 1,
    apps: o.apps ?? d.apps,
    durationUs: o.durationUs ?? d.durationUs,
    records: o.scenario === 'bench' ? (o.records ?? (o.durationUs === undefined ? d.records : null)) : null,
    startUs: o.startUs ?? DEFAULT_START_US,
    spines: o.spines ?? d.spines,
    leaves: o.leaves ?? d.leaves,
    hostsPerLeaf: o.hostsPerLeaf ?? d.hostsPerLeaf,
    probabilityRange: o.probabilityRange ?? [0.35, 0.9],
    clockSkewUs: o.clockSkewUs ?? 0,
    pollUs: o.pollUs ?? 0,
  };
  const [pLo, pHi] = r.probabilityRange;
  if (!(pLo > 0 && pLo <= pHi && pHi <= 1)) throw new Error(`probabilityRange: needs 0 < lo <= hi <= 1, got [${pLo}, ${pHi}]`);
  if (!(Number.isFinite(r.clockSkewUs) && r.clockSkewUs >= 0 && r.clockSkewUs <= 1e6)) throw new Error(`clockSkew: must be between 0 and 1s, got ${r.clockSkewUs}us`);
  if (!(Number.isFinite(r.pollUs) && r.pollUs >= 0 && r.pollUs <= 10e6)) throw new Error(`poll: must be between 0 and 10s, got ${r.pollUs}us`);
  if (o.records !== undefined && o.scenario !== 'bench') throw new Error('records: only the bench scenario is sized by record count (use duration)');
  for (const f of ['seed', 'apps', 'startUs', 'spines', 'leaves', 'hostsPerLeaf'] as const) {
    const v = r[f];
    if (!Number.isSafeInteger(v) || v < (f === 'apps' || f === 'seed' || f === 'startUs' ? 0 : 1)) throw new Error(`${f}: must be a ${f === 'seed' || f === 'startUs' ? 'non-negative' : 'positive'} integer, got ${v}`);
  }
  if (r.apps < 1) throw new Error(`apps: must be at least 1, got ${r.apps}`);
  if (r.records !== null && !(Number.isSafeInteger(r.records) && r.records >= 1000)) throw new Error(`records: must be an integer >= 1000, got ${r.records}`);
  if (r.records === null && !(r.durationUs >= 1e6)) throw new Error(`duration: must be at least 1s, got ${r.durationUs}us`);
  if (r.hostsPerLeaf < 2) throw new Error(`hostsPerLeaf: must be at least 2 (apps have a client and a server in a rack), got ${r.hostsPerLeaf}`);
  return r;
}

export function planScenario(options: ScenarioOptions): ScenarioPlan {
  const o = resolveOptions(options);
  const topology = leafSpine({ spines: o.spines, leaves: o.leaves, hostsPerLeaf: o.hostsPerLeaf });
  const hostCount = o.leaves * o.hostsPerLeaf;
  const series: SeriesKey[] = [];
  const seriesIndex = new Map<string, number>();
  const sid = (kind: Kind, name: string, locale: string): number => {
    const k = `${kind}\u0000${name}\u0000${locale}`;
    let i = seriesIndex.get(k);
    if (i === undefined) {
      i = series.length;
      seriesIndex.set(k, i);
      series.push({ kind, name, locale });
    }
    return i;
  };
  const layout = new Rng(o.seed, 'layout');
  const cycle = new LoadCycle(0.5, o.scenario === 'bench' ? 600e6 : 300e6, layout.uniform(0, 2 * Math.PI));
  // Rack congestion episodes: while one lasts, every port of the leaf and the bursty tags of the rack's
  // hosts are ON together -- a hidden common cause that correlates noise tags with drops.
  const episodes = Array.from({ length: o.leaves }, (_, l) => new Episodes(new Rng(o.seed, `episodes:${l}`), EPISODE.meanOnUs, EPISODE.meanOffUs));
  const rackOf = (host: number) => Math.floor(host / o.hostsPerLeaf);
  const sources: Source[] = [];
  const pairs: TruthPair[] = [];
  const decoys: TruthDecoy[] = [];
  const hostsWithApps = new Set<number>();
  const clients: number[] = [];

  for (let a = 0; a < o.apps; a++) {
    const kind = APP_KINDS[a % APP_KINDS.length]!;
    const app = `app${a}`;
    const rng = new Rng(o.seed, `app:${a}`);
    // About a third of the applications share a client host with an earlier one, so their events meet at one port.
    const sharesHost = a > 0 && rng.chance(0.3);
    const earlier = rng.int(0, Math.max(0, a - 1));
    const client = sharesHost ? clients[earlier]! : rng.int(0, hostCount - 1);
    clients.push(client);
    const leaf = Math.floor(client / o.hostsPerLeaf);
    const rackSlot = client % o.hostsPerLeaf;
    const server = leaf * o.hostsPerLeaf + ((rackSlot + rng.int(1, o.hostsPerLeaf - 1)) % o.hostsPerLeaf);
    hostsWithApps.add(client).add(server);
    const tagLocale = appLocale(app, client);
    topology.locales[tagLocale] = hostId(client);
    const spine = rng.int(0, o.spines - 1);
    const eventLocale = kind.target === 'host-port' ? hostPort(leaf, rackSlot) : kind.target === 'uplink' ? uplinkPort(leaf, spine) : spinePort(spine, leaf);

    const lag = { medianUs: 1e3 * rng.uniform(kind.lagMs[0], kind.lagMs[1]), sigma: kind.sigma, truncate: 2.5 };
    const sizeSlope = rng.uniform(kind.sizeSlope[0], kind.sizeSlope[1]);
    const { lo, hi } = kind.values;
    let probability: (v: number) => number;
    let logistic: { a: number; b: number } | null = null;
    if (o.scenario === 'extent') {
      const mid = lo + (hi - lo) * rng.uniform(0.35, 0.65);
      const scale = Math.max(0.5, (hi - lo) * rng.uniform(0.05, 0.12));
      logistic = { a: -mid / scale, b: 1 / scale };
      const { a: la, b: lb } = logistic;
      probability = (v) => 1 / (1 + Math.exp(-(la + lb * v)));
    } else {
      const p = rng.uniform(o.probabilityRange[0], o.probabilityRange[1]);
      probability = () => p;
    }
    const driver =
      kind.driver.kind === 'poisson'
        ? { kind: 'poisson' as const, ratePerS: rng.uniform(kind.driver.ratePerS[0], kind.driver.ratePerS[1]) }
        : { kind: 'periodic' as const, periodUs: 1e3 * rng.uniform(kind.driver.periodMs[0], kind.driver.periodMs[1]), jitter: 0.1 };
    // Companions fire around the causal tag (mostly just before it); odd apps log them on the server side.
    const companionLocale = a % 2 === 0 ? tagLocale : appLocale(app, server);
    topology.locales[companionLocale] = hostId(a % 2 === 0 ? client : server);
    const companion = { series: sid('tag', kind.companion, companionLocale), share: rng.uniform(0.6, 0.85), shiftUs: { lo: -0.3 * lag.medianUs, hi: 0.1 * lag.medianUs }, values: { lo: 1, hi: 8 } };
    const tagSeries = sid('tag', kind.tag, tagLocale);
    const causes = o.scenario !== 'norelation';
    const eventSeries = causes ? sid('event', kind.event, eventLocale) : null;
    sources.push(new CausalApp(rng, { tagSeries, tagValues: kind.values, driver, eventSeries, probability, lag, sizeSlope, companion }, cycle));
    decoys.push({ tag: { name: kind.companion, locale: companionLocale }, role: 'companion', travelsWith: { name: kind.tag, locale: tagLocale } });

    if (!causes) decoys.push({ tag: { name: kind.tag, locale: tagLocale }, role: 'inert' });
    else {
      let meanP = 0;
      let threshold: number | null = null;
      for (let v = lo; v <= hi; v++) {
        const p = probability(v);
        meanP += p / (hi - lo + 1);
        if (threshold === null && p >= 0.5) threshold = v;
      }
      pairs.push({
        app,
        tag: { name: kind.tag, locale: tagLocale },
        event: { name: kind.event, locale: eventLocale },
        relation: '',
        probability: meanP,
        leadTime: { min: lagQuantile(0, lag), p05: lagQuantile(0.05, lag), p50: lag.medianUs, p95: lagQuantile(0.95, lag), max: lagQuantile(1, lag) },
        window: { start: lagQuantile(0, lag), end: lagQuantile(1, lag) },
        extent: { threshold, logistic, sizeSlope },
      });
    }

    // Noise tags: one load-modulated Poisson, one bursty (ON-OFF) series per application.
    const [steady, bursty] = kind.noise;
    sources.push(PointProcess.poisson(new Rng(o.seed, `noise:${a}:0`), sid('tag', steady, tagLocale), rng.uniform(1, 4), cycle, { lo: 1, hi: 100 }));
    sources.push(new PointProcess(new Rng(o.seed, `noise:${a}:1`), sid('tag', bursty, tagLocale), { offRate: 0.2, onRate: 8, meanOnUs: 1e6, meanOffUs: 30e6 }, cycle, { lo: 1, hi: 50 }, episodes[leaf]));
    decoys.push({ tag: { name: steady, locale: tagLocale }, role: 'noise' }, { tag: { name: bursty, locale: tagLocale }, role: 'noise' });
  }

  // Host-level tags (CPU pressure, bursty) on every host that runs an application.
  for (const h of [...hostsWithApps].sort((x, y) => x - y)) {
    sources.push(new PointProcess(new Rng(o.seed, `host:${h}`), sid('tag', 'cpu_high', hostId(h)), { offRate: 0.02, onRate: 2, meanOnUs: 5e6, meanOffUs: 60e6 }, cycle, { lo: 80, hi: 100 }, episodes[rackOf(h)]));
    decoys.push({ tag: { name: 'cpu_high', locale: hostId(h) }, role: 'host' });
  }

  // Bursty, load-modulated background events on every switch port (including the causal ones).
  const ports = Object.keys(topology.locales).filter((l) => l.includes(':'));
  const leafNumber = new Map(Array.from({ length: o.leaves }, (_, l) => [leafId(l), l] as const));
  for (const port of ports) {
    for (const b of BACKGROUND) {
      const rate = { offRate: b.offRate, onRate: b.onRate, meanOnUs: b.meanOnS * 1e6, meanOffUs: b.meanOffS * 1e6 };
      sources.push(new PointProcess(new Rng(o.seed, `bg:${port}:${b.name}`), sid('event', b.name, port), rate, cycle, b.values, leafNumber.has(topology.locales[port]!) ? episodes[leafNumber.get(topology.locales[port]!)!] : null));
    }
  }

  const graph = Topology.fromDoc(topology, 'generated topology');
  for (const p of pairs) p.relation = relationLabel(graph.hops(p.tag.locale, p.event.locale));
  const expectedRate = sources.reduce((s, src) => s + src.expectedRate(), 0);
  const observation = observe(o, series, topology);
  if (o.records !== null) o.durationUs = Math.max(1e6, Math.round((o.records / expectedRate) * 1e6));
  cycle.periodUs = o.durationUs / Math.max(1, Math.round(o.durationUs / cycle.periodUs));
  const truth: TruthDoc = {
    version: TRUTH_VERSION,
    scenario: o.scenario,
    params: { ...o, loadCycle: { amplitude: cycle.amplitude, periodUs: cycle.periodUs, phase: cycle.phase }, rackEpisodes: EPISODE, observation: { clockSkewUs: o.clockSkewUs, pollUs: o.pollUs }, expectedRecords: Math.round((expectedRate * o.durationUs) / 1e6), scoring: POOLED_SCORING_NOTE },
    pairs,
    decoys,
  };
  return { options: o, topology, truth, series, sources, expectedRate, observation };
}

/** Clock offsets of host-side series (one uniform draw per host) and the polled switch-event series. */
function observe(o: ResolvedOptions, series: readonly SeriesKey[], topology: LeafSpineDoc): Observation {
  const clockOffset = new Float64Array(series.length);
  const polled = new Uint8Array(series.length);
  const hostOffset = new Map<string, number>();
  series.forEach((k, i) => {
    const node = topology.locales[k.locale]!;
    if (k.kind === 'event') polled[i] = o.pollUs > 0 ? 1 : 0;
    else if (o.clockSkewUs > 0) {
      let off = hostOffset.get(node);
      if (off === undefined) hostOffset.set(node, (off = Math.round(new Rng(o.seed, `clock:${node}`).uniform(-o.clockSkewUs, o.clockSkewUs))));
      clockOffset[i] = off;
    }
  });
  return { clockOffset, polled, pollUs: o.pollUs };
}

export const POOLED_SCORING_NOTE =
  'A pooled signature (tag or event locale "*") is correct when some truth pair has the same tag and event names, matching non-"*" locales and the same relation ("any" matches every relation); it recalls every such pair. Lead time, calibration and extent are scored on exact-locale signatures only.';
