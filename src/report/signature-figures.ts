// The per-signature pictures: the lag histogram against the random-sampling baseline with the chosen window
// shaded (paper Figure 3), and the extent plots (probability and mean event size per tag-value bin).

import type { Signature } from '../engine/signature.ts';
import { barChart, histogramChart } from './charts.ts';
import { formatMicros, formatNumber } from './format.ts';

export const TAG_LAG_COLOR = '#c0392b';
export const BASELINE_LAG_COLOR = '#5d6d7e';

export interface Figure {
  /** An <svg> string from the chart helpers (trusted markup). */
  svg: string;
  /** Plain text, escaped when rendered. */
  caption?: string;
}

export function endpointLabel(e: { name: string; locale: string }): string {
  return `${e.name}@${e.locale}`;
}

/**
 * Lag histogram (tag-conditioned vs random instants) on a log time axis, or null without `lags`. Bars are
 * densities, events per millisecond of lag, so that the log-spaced bins compare: random sampling stays flat,
 * a predictive tag stands out in its window.
 */
export function lagFigure(sig: Signature): Figure | null {
  const lags = sig.lags;
  if (!lags || lags.edges.length < 2) return null;
  const positive = lags.edges.filter((e) => e > 0).length;
  const perMs = (counts: readonly number[]) => counts.map((c, i) => c / ((lags.edges[i + 1]! - lags.edges[i]!) / 1000));
  const svg = histogramChart(
    lags.edges,
    [
      { name: `after ${sig.tag.name} tags`, counts: perMs(lags.tag), color: TAG_LAG_COLOR },
      { name: 'after random instants (baseline)', counts: perMs(lags.random), color: BASELINE_LAG_COLOR },
    ],
    {
      title: `Lag ${endpointLabel(sig.tag)} → ${endpointLabel(sig.event)}`,
      x: { label: 'time after tag', scale: positive >= 2 ? 'log' : 'linear', format: formatMicros },
      y: { label: `${sig.event.name} events per ms of lag`, scale: 'log' },
      bands: [{ from: sig.window.start, to: sig.window.end, label: 'window' }],
    },
  );
  const tagTotal = lags.tag.reduce((a, b) => a + b, 0);
  const randomTotal = lags.random.reduce((a, b) => a + b, 0);
  return {
    svg,
    caption: `Events per millisecond of lag after ${formatNumber(sig.support)} tags (${formatNumber(tagTotal)} in all bins) against the same number of random instants (${formatNumber(randomTotal)}); shaded: the chosen window [${formatMicros(sig.window.start)}, ${formatMicros(sig.window.end)}].`,
  };
}

function binLabel(lo: number, hi: number): string {
  return lo === hi ? formatNumber(lo) : `${formatNumber(lo)}–${formatNumber(hi)}`;
}

/** Probability and mean event size per tag-value bin, or [] when the extent has no bins. */
export function extentFigures(sig: Signature): Figure[] {
  const bins = sig.extent?.bins ?? [];
  if (bins.length === 0) return [];
  const categories = bins.map((b) => binLabel(b.lo, b.hi));
  const logistic = sig.extent.logistic;
  const fit = logistic ? bins.map((b) => 1 / (1 + Math.exp(-(logistic.a + logistic.b * ((b.lo + b.hi) / 2))))) : null;
  const threshold = sig.extent.threshold;
  const probability = barChart(
    categories,
    [{ name: 'P(event | tag value)', values: bins.map((b) => b.probability), color: TAG_LAG_COLOR }],
    {
      title: `Extent: probability of ${sig.event.name} by ${sig.tag.name} value`,
      xLabel: `${sig.tag.name} value`,
      y: { label: 'probability', min: 0, max: 1 },
      overlay: fit ? [{ name: 'logistic fit', values: fit, color: '#2471a3' }] : [],
    },
  );
  const size = barChart(
    categories,
    [{ name: 'mean event size', values: bins.map((b) => b.meanEventValue), color: '#27ae60' }],
    { title: `Extent: ${sig.event.name} size by ${sig.tag.name} value`, xLabel: `${sig.tag.name} value`, y: { label: 'mean event value' } },
  );
  const tags = bins.reduce((a, b) => a + b.tags, 0);
  return [
    {
      svg: probability,
      caption: `${formatNumber(tags)} tags in ${bins.length} value bins. ${threshold === null ? 'The event never becomes likely (p ≥ 0.5).' : `Likely (p ≥ 0.5) from value ${formatNumber(threshold)}.`}`,
    },
    { svg: size, caption: `Theil-Sen slope of event size against tag value: ${formatNumber(sig.extent.sizeSlope)}.` },
  ];
}
