// Plain-text and markdown tables for scores and method comparisons (what `smarttags eval` prints).

import { formatDuration } from './duration.ts';
import type { CompareSummary } from './compare.ts';
import type { Score } from './score.ts';

const num = (x: number | null, digits = 2) => (x === null ? 'n/a' : x.toFixed(digits));
const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);

/** Aligned text table; the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

export function markdownTable(rows: string[][]): string {
  const [head, ...body] = rows;
  return [`| ${head!.join(' | ')} |`, `|${head!.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function formatScore(s: Score): string {
  const lines = [
    table([
      ['metric', 'value'],
      ['signatures', String(s.signatures)],
      ['true positives', String(s.truePositives)],
      ['false discoveries', String(s.falseDiscoveries)],
      ['truth pairs recalled', `${s.recalled} / ${s.truthPairs}`],
      ['precision', num(s.precision, 3)],
      ['recall', num(s.recall, 3)],
      ['F1', num(s.f1, 3)],
      ['lead time p50, median rel. error', `${pct(s.leadTime.medianRelativeError)} (${s.leadTime.scored} scored)`],
      ['probability, mean |error|', `${num(s.calibration.meanAbsError, 3)} (${s.calibration.scored} scored)`],
      ['probability, bias (predicted - true)', num(s.calibration.bias, 3)],
      ['extent size slope, median rel. error', `${pct(s.extent.sizeSlopeMedianRelativeError)} (${s.extent.sizeSlopeScored} scored)`],
      ['extent threshold, median |error|', `${num(s.extent.thresholdMedianAbsError, 1)} (${s.extent.thresholdScored} scored)`],
    ]),
    '',
    'reliability (exact-locale signatures; true probability 0 for false discoveries):',
    table([['predicted', 'signatures', 'mean predicted', 'mean true'], ...s.calibration.reliability.map((r) => [`[${r.lo.toFixed(1)}, ${r.hi.toFixed(1)}${r.hi >= 1 ? ']' : ')'}`, String(r.signatures), num(r.meanPredicted, 3), num(r.meanTrue, 3)])]),
  ];
  if (s.matched.length > 0) {
    lines.push('', 'true positives (exact locales):');
    lines.push(
      table([
        ['app', 'tag -> event', 'probability', 'truth', 'lead time p50', 'truth'],
        ...s.matched.map((m) => [m.app, `${m.tag.name}@${m.tag.locale} -> ${m.event.name}@${m.event.locale}`, m.probability.toFixed(3), m.truthProbability.toFixed(3), formatDuration(m.leadTimeP50), formatDuration(m.truthLeadTimeP50)]),
      ]),
    );
  }
  if (s.falseDiscoveries > 0) {
    lines.push('', `false discoveries by reason: ${Object.entries(s.falseDiscoveryReasons).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    for (const f of s.falseDiscoveryList.slice(0, 20)) lines.push(`  ${f.tag.name}@${f.tag.locale} -> ${f.event.name}@${f.event.locale}  p=${f.probability.toFixed(3)}  (${f.reason})`);
    if (s.falseDiscoveryList.length > 20) lines.push(`  ... ${s.falseDiscoveryList.length - 20} more`);
  }
  if (s.missed.length > 0) {
    lines.push('', 'missed truth pairs:');
    for (const m of s.missed) lines.push(`  ${m.app}: ${m.tag.name}@${m.tag.locale} -> ${m.event.name}@${m.event.locale}  p=${m.probability.toFixed(3)}`);
  }
  return lines.join('\n');
}

export function comparisonRows(summary: readonly CompareSummary[]): string[][] {
  return [
    ['scenario', 'method', 'td', 'seeds', 'precision', 'recall', 'F1', 'false disc. (total / max per seed)', 'lead-time err (median)', 'prob. |err| (mean)', 'prob. bias', 'time/run'],
    ...summary.map((s) => [
      s.scenario,
      s.method,
      s.td === null ? 'learned' : formatDuration(s.td),
      String(s.seeds),
      num(s.meanPrecision),
      num(s.meanRecall),
      num(s.meanF1),
      `${s.falseDiscoveries} / ${s.maxFalseDiscoveries}`,
      pct(s.medianLeadTimeError),
      num(s.meanCalibrationError, 3),
      num(s.meanCalibrationBias, 3),
      `${(s.meanMillis / 1000).toFixed(2)}s`,
    ]),
  ];
}
