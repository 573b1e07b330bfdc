// Turns case results into sections of the HTML report (src/report) and into named figures that stand alone
// as SVG files: per-mode tables, QCT and iteration-time distributions, drops against fan-out (paper Figure
// 8a), QCT/drops against static delay (Figure 8b), and the learned signature's lag against random sampling
// (Figure 3) with its extent.

import { barChart, cdfChart, extentFigures, htmlTable, lagFigure, lineChart, rankSignatures, type Figure, type ReportSection } from '../report/index.ts';
import type { DmlReport } from './dml-case.ts';
import type { MemcachedReport } from './memcached-case.ts';
import { mean, round } from './stats.ts';
import { dmlTargets, memcachedTargets, targetLines } from './case-targets.ts';
import type { SignaturesDoc } from '../engine/signature.ts';

/** One line on what the identification phase learned. */
function identificationText(i: { tags: number; events: number; signatures: SignaturesDoc | null }): string {
  const sigs = i.signatures?.signatures ?? [];
  const list = sigs.map((g) => `${g.tag.name}@${g.tag.locale} -> ${g.event.name}@${g.event.locale} (probability ${round(g.probability)}, lift ${round(g.lift)}, lead p50 ${round(g.leadTime.p50 / 1000)} ms, window ${round(g.window.start / 1000)}-${round(g.window.end / 1000)} ms, extent threshold ${g.extent.threshold ?? 'none'})`);
  return `Identification (first no-action run): ${i.tags} Tags and ${i.events} switch Events reached the engine; learned ${sigs.length ? list.join('; ') : 'no signature, so the SmartTags modes took no action'}.`;
}

/** One line on SmartTags against the hindsight-best static baseline, repetition by repetition. */
export function versusBestStaticText(v: NonNullable<MemcachedReport['versusBestStatic']>): string {
  const signed = (x: number) => `${x > 0 ? '+' : ''}${x.toFixed(2)}`;
  const ci = v.score.ci95 ? `, 95% confidence interval [${signed(v.score.ci95[0])}, ${signed(v.score.ci95[1])}] ms` : ' (one repetition: no interval)';
  return `smarttags against the hindsight-best static baseline ${v.against}, score difference per repetition ${v.score.perRep.map(signed).join(', ')} ms; mean ${signed(v.score.mean)} ms${ci} (negative: SmartTags ahead).`;
}

/** A figure with a file-name stem (`<case>-<name>.svg`). */
export interface CaseFigure extends Figure {
  name: string;
}

/** Figure 3 (lag after the Tag against random instants) and the extent of the top learned signature, if any. */
function signatureFigures(i: { signatures: SignaturesDoc | null }): CaseFigure[] {
  const top = rankSignatures(i.signatures?.signatures ?? [])[0];
  if (!top) return [];
  const lag = lagFigure(top);
  const [extent] = extentFigures(top);
  return [...(lag ? [{ ...lag, name: 'fig3-lag' }] : []), ...(extent ? [{ ...extent, name: 'extent' }] : [])];
}

/** The MemCached case's figures: the section's four, preceded by the learned signature's (see signatureFigures). */
export function memcachedFigures(r: MemcachedReport): CaseFigure[] {
  return [...signatureFigures(r.identification), ...memcachedCaseFigures(r)];
}

function memcachedCaseFigures(r: MemcachedReport): CaseFigure[] {
  const names = Object.keys(r.modes);
  const bestLabels = names.map((n) => (r.modes[n]!.param === null ? n : `${n}=${r.modes[n]!.param}`));
  const cdf = cdfChart(
    bestLabels.filter((l) => r.samples[l]).map((l) => ({ name: l, values: r.samples[l]!.filter((q) => q.large).map((q) => q.qctMs) })),
    { title: 'Incast query QCT distribution per mode (first repetition)', x: { label: 'QCT (ms)', scale: 'log' } },
  );
  // Figure 8a: drops against the size of the MultiGet (keys requested), no action.
  const none = r.samples['none'] ?? [];
  const keyCounts = [...new Set(none.map((q) => q.keys))].sort((a, b) => a - b);
  const dropsVsKeys = barChart(keyCounts.map(String), [{ name: 'drops per query', values: keyCounts.map((k) => mean(none.filter((q) => q.keys === k).map((q) => q.drops))) }], {
    title: 'Drops vs MultiGet size, no action (paper Fig. 8a)', xLabel: 'keys in the MultiGet', y: { label: 'drops per query' },
  });
  // Figure 8b: QCT and drops against the static delay (jitter sweep), with no action at 0.
  const jitter = [...(r.sweeps['jitter'] ?? [])].sort((a, b) => (a.param ?? 0) - (b.param ?? 0));
  const noneMode = r.modes['none'];
  const pts = (f: (m: { score: number; dropsPerQuery: number }) => number) => [...(noneMode ? [[0, f(noneMode)] as const] : []), ...jitter.map((m) => [m.param ?? 0, f(m)] as const)];
  const delayQct = lineChart([{ name: 'mean QCT (ms)', points: pts((m) => m.score) }], { title: 'QCT vs static random delay (paper Fig. 8b)', x: { label: 'max delay (ms)' }, y: { label: 'mean QCT (ms)' } });
  const delayDrops = lineChart([{ name: 'drops per query', points: pts((m) => m.dropsPerQuery) }], { title: 'Drops vs static random delay (paper Fig. 8b)', x: { label: 'max delay (ms)' }, y: { label: 'drops per query' } });
  return [
    { name: 'qct-cdf', svg: cdf, caption: 'CDF of incast-prone query completion times.' },
    { name: 'fig8a-drops-vs-keys', svg: dropsVsKeys, caption: 'Mean switch drops per query by MultiGet size without any action.' },
    // Without the jitter sweep (a run of some families only) Figure 8b would be a single point.
    ...(jitter.length
      ? [
          { name: 'fig8b-qct-vs-delay', svg: delayQct, caption: 'Static random issue delay per server request (0 = no action).' },
          { name: 'fig8b-drops-vs-delay', svg: delayDrops, caption: 'Drops per query against the same static delay.' },
        ]
      : []),
  ];
}

export function memcachedSection(r: MemcachedReport): ReportSection {
  const names = Object.keys(r.modes);
  const table = htmlTable(
    ['mode', 'best param', 'score (mean QCT) ms', 'incast mean', 'incast p50', 'incast p99', 'other mean', 'other p99', 'over 200 ms', 'drops/query', 'bulk Mbit/s', 'reps'],
    names.map((n) => {
      const m = r.modes[n]!;
      return [n, m.param === null ? '-' : String(m.param), m.score, m.incast.qct.mean, m.incast.qct.p50, m.incast.qct.p99, m.nonIncast.qct.mean, m.nonIncast.qct.p99, m.stallShare, m.dropsPerQuery, m.bulkMbps, m.reps];
    }),
  );
  const sweepRows = Object.entries(r.sweeps).flatMap(([family, list]) => list.map((m) => [family, m.param === null ? '-' : String(m.param), m.score, m.incast.qct.mean, m.dropsPerQuery, m.stallShare]));
  const sweepTable = htmlTable(['family', 'param', 'score ms', 'incast mean ms', 'drops/query', 'over 200 ms'], sweepRows);
  return {
    title: 'Testbed: MemCached incast (paper 4.1)',
    text: [
      `Line-rate bound of an incast query: ${r.bound.incastQctMs} ms (${r.params.servers} servers x ${r.params.largeKeysPerServer} keys x ${r.params.valueBytes} B at ${r.bound.rateMbit} Mbit/s plus the smallest single-key RTT ${r.bound.baseRttMs} ms).`,
      `Each baseline is its best swept configuration by score (mean QCT over the whole mix); medians over ${r.params.reps} repetition(s) of ${r.params.queries} queries; run took ${r.seconds} s.`,
      // Runs before small MultiGets had a key set of their own read values of the large ones' size.
      ...(r.params.smallValueBytes !== undefined && r.params.smallValueBytes !== r.params.valueBytes ? [`Small MultiGets read values of ${r.params.smallValueBytes} B.`] : []),
      ...(r.versusBestStatic ? [versusBestStaticText(r.versusBestStatic)] : []),
      ...targetLines(memcachedTargets(r)),
      identificationText(r.identification),
    ],
    html: table + '<h3>Hindsight sweep</h3>' + sweepTable,
    figures: memcachedCaseFigures(r),
  };
}

/** The parameter-server case's figures: the learned signature's (see signatureFigures) and the iteration-time CDF. */
export function dmlFigures(r: DmlReport): CaseFigure[] {
  return [...signatureFigures(r.identification), ...dmlCaseFigures(r)];
}

function dmlCaseFigures(r: DmlReport): CaseFigure[] {
  const labels = Object.keys(r.modes).map((n) => (r.modes[n]!.param === null ? n : `${n}=${r.modes[n]!.param}`));
  const cdf = cdfChart(labels.filter((l) => r.samples[l]).map((l) => ({ name: l, values: r.samples[l]! })), { title: 'Iteration time distribution per mode (first repetition)', x: { label: 'iteration time (ms)' } });
  return [{ name: 'iteration-cdf', svg: cdf, caption: 'CDF of iteration times.' }];
}

export function dmlSection(r: DmlReport): ReportSection {
  const names = Object.keys(r.modes);
  const table = htmlTable(
    ['mode', 'best param', 'iteration mean ms', 'p50', 'p99', 'drops/iteration', 'background Mbit/s', 'reps'],
    names.map((n) => {
      const m = r.modes[n]!;
      return [n, m.param === null ? '-' : String(m.param), m.iterationMs.mean, m.iterationMs.p50, m.iterationMs.p99, m.dropsPerIteration, m.backgroundMbps, m.reps];
    }),
  );
  return {
    title: 'Testbed: parameter-server training (paper 4.2)',
    text: [identificationText(r.identification), `${r.params.workers} workers, ${r.params.gradBytes} B gradients, ${r.params.computeMs} ms compute, two ${r.params.rateMbit} Mbit/s paths with ${r.params.bufferBytes} B buffers, ${r.params.backgroundMbit} Mbit/s background on path 2; ${r.params.iterations} iterations x ${r.params.reps} repetition(s); run took ${r.seconds} s.`, `SmartTags' action for the learned window: ${r.plan.senders[1]} of ${r.params.workers} workers rerouted to path 2, workers paced at ${round(r.plan.rateBps[0] / 1e6)} Mbit/s on path 1 and ${round(r.plan.rateBps[1] / 1e6)} Mbit/s on path 2. Iteration lower bounds without the pull: ${r.bound.splitIterationMs} ms with whole workers per path, ${r.bound.fluidIterationMs} ms with the bytes spread as a fluid.`, ...targetLines(dmlTargets(r))],
    html: table,
    figures: dmlCaseFigures(r),
  };
}
