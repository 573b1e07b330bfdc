// Side-by-side evaluation of the paper's crude fixed-td method and the engine's learner on the same
// seeded scenarios, generated in memory: one scored row per (scenario, seed, method, td).

import type { Series } from '../protocol/series-store.ts';
import { topologyRelations } from '../engine/candidates.ts';
import { crudeSignatures } from '../engine/crude.ts';
import { learnSignatures } from '../engine/learn.ts';
import type { SignaturesDoc } from '../engine/signature.ts';
import { scoreSignatures, median, type Score } from './score.ts';
import { synthesize, type ScenarioName, type ScenarioOptions } from './synthesize.ts';
import { DEFAULT_MAX_HOPS, Topology } from '../protocol/topology.ts';

export type Method = { kind: 'crude'; td: number; threshold?: number } | { kind: 'learn' };

export interface CompareOptions {
  scenarios: ScenarioName[];
  seeds: number[];
  methods: Method[];
  /** Scenario options other than the scenario and seed (apps, duration, clock skew, polling, ...). */
  shape?: Omit<ScenarioOptions, 'scenario' | 'seed'>;
  /** Largest hop distance between related locales (default 2: host -> leaf -> spine). */
  maxHops?: number;
  onRow?(row: CompareRow): void;
}

export interface CompareRow {
  scenario: ScenarioName;
  seed: number;
  method: string;
  td: number | null;
  millis: number;
  score: Score;
}

export interface CompareSummary {
  scenario: ScenarioName;
  method: string;
  td: number | null;
  seeds: number;
  meanPrecision: number | null;
  meanRecall: number | null;
  meanF1: number | null;
  /** Sum over seeds. */
  falseDiscoveries: number;
  maxFalseDiscoveries: number;
  medianLeadTimeError: number | null;
  meanCalibrationError: number | null;
  meanCalibrationBias: number | null;
  meanMillis: number;
}

/** Runs one method on a scenario's series; returns its signatures. */
export function runMethod(method: Method, series: readonly Series[], topology: Topology, maxHops = DEFAULT_MAX_HOPS): SignaturesDoc {
  const relations = topologyRelations(topology, maxHops);
  return method.kind === 'crude' ? crudeSignatures(series, relations, { td: method.td, threshold: method.threshold }) : learnSignatures(series, relations).doc;
}

export function methodLabel(m: Method): string {
  return m.kind === 'crude' ? 'crude' : 'learn';
}

export function compareMethods(o: CompareOptions): CompareRow[] {
  const rows: CompareRow[] = [];
  for (const scenario of o.scenarios) {
    for (const seed of o.seeds) {
      const s = synthesize({ ...o.shape, scenario, seed });
      const series = s.fillStore().finish();
      const graph = Topology.fromDoc(s.topology, `${scenario} seed ${seed}`);
      for (const m of o.methods) {
        const started = performance.now();
        const doc = runMethod(m, series, graph, o.maxHops);
        const row: CompareRow = { scenario, seed, method: methodLabel(m), td: m.kind === 'crude' ? m.td : null, millis: performance.now() - started, score: scoreSignatures(doc, s.truth) };
        rows.push(row);
        o.onRow?.(row);
      }
    }
  }
  return rows;
}

/** Aggregates rows over seeds per (scenario, method, td), in first-seen order. */
export function summarize(rows: readonly CompareRow[]): CompareSummary[] {
  const groups = new Map<string, CompareRow[]>();
  for (const r of rows) {
    const k = `${r.scenario}\u0000${r.method}\u0000${r.td}`;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.values()].map((g) => {
    const avg = (xs: (number | null)[]) => {
      const v = xs.filter((x): x is number => x !== null);
      return v.length ? v.reduce((s, x) => s + x, 0) / v.length : null;
    };
    const leadErrors = g.map((r) => r.score.leadTime.medianRelativeError).filter((x): x is number => x !== null);
    return {
      scenario: g[0]!.scenario,
      method: g[0]!.method,
      td: g[0]!.td,
      seeds: g.length,
      meanPrecision: avg(g.map((r) => r.score.precision)),
      meanRecall: avg(g.map((r) => r.score.recall)),
      meanF1: avg(g.map((r) => r.score.f1)),
      falseDiscoveries: g.reduce((s, r) => s + r.score.falseDiscoveries, 0),
      maxFalseDiscoveries: Math.max(...g.map((r) => r.score.falseDiscoveries)),
      medianLeadTimeError: median(leadErrors),
      meanCalibrationError: avg(g.map((r) => r.score.calibration.meanAbsError)),
      meanCalibrationBias: avg(g.map((r) => r.score.calibration.bias)),
      meanMillis: g.reduce((s, r) => s + r.millis, 0) / g.length,
    };
  });
}
