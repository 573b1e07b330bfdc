// Small inline-SVG chart helpers (line, scatter, CDF, histogram, grouped bars) with axes, ticks, labels and
// a legend. Output is a self-contained <svg> string: no scripts, no external resources, all text escaped.

import { escapeHtml, formatNumber } from './format.ts';
import { makeScale, type Scale, type ScaleKind } from './scale.ts';

export interface AxisSpec {
  label: string;
  scale?: ScaleKind;
  /** Fixed domain ends; otherwise taken from the data. */
  min?: number;
  max?: number;
  /** Tick label format (default: formatNumber). */
  format?: (v: number) => string;
}

export interface FrameSpec {
  title: string;
  width?: number;
  height?: number;
  x: AxisSpec;
  y: AxisSpec;
}

export interface XYSeries {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
  color?: string;
}

/** A shaded x-range, e.g. the chosen window [start, end]. */
export interface Band {
  from: number;
  to: number;
  label?: string;
  color?: string;
}

/** A vertical line at an x value, e.g. a threshold. */
export interface Marker {
  at: number;
  label?: string;
  color?: string;
}

export interface Decorations {
  bands?: Band[];
  markers?: Marker[];
}

export interface CountSeries {
  name: string;
  counts: readonly number[];
  color?: string;
}

export interface BarSeries {
  name: string;
  values: readonly number[];
  color?: string;
}

export interface BarChartSpec {
  title: string;
  width?: number;
  height?: number;
  xLabel: string;
  y: AxisSpec;
  /** Lines drawn across the categories on the same y axis (null leaves a gap). */
  overlay?: { name: string; values: readonly (number | null)[]; color?: string }[];
}

export const PALETTE = ['#c0392b', '#2471a3', '#27ae60', '#8e44ad', '#d68910', '#17a589', '#5d6d7e', '#a04000', '#1b2631', '#d4ac0d'];
const BAND_COLOR = '#f7dc6f';
const MARKER_COLOR = '#1c2833';
const CHAR_WIDTH = 6.2;

interface Layout {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  /** Where each legend entry starts (wrapped into rows that fit the width). */
  legend: { x: number; y: number }[];
}

interface LegendEntry {
  name: string;
  color: string;
  shape: 'box' | 'line';
}

const px = (v: number): string => String(Math.round(v * 10) / 10);

function legendWidth(name: string): number {
  return 26 + name.length * CHAR_WIDTH;
}

function layout(width = 560, height = 300, legend: readonly LegendEntry[] = [], bottomExtra = 0): Layout {
  const left = 64;
  const positions: { x: number; y: number }[] = [];
  let x = left;
  let row = 0;
  for (const e of legend) {
    if (x > left && x + legendWidth(e.name) > width - 8) {
      row++;
      x = left;
    }
    positions.push({ x, y: 32 + row * 15 });
    x += legendWidth(e.name);
  }
  const top = legend.length > 0 ? 46 + row * 15 : 28;
  return { width, height, left, right: width - 24, top, bottom: height - 44 - bottomExtra, legend: positions };
}

/** Domain of an axis from data values (explicit min/max win; log axes ignore values <= 0). */
export function axisDomain(values: Iterable<number>, axis: AxisSpec, includeZero: boolean): [number, number] {
  const log = axis.scale === 'log';
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) [lo, hi] = log ? [1, 10] : [0, 1];
  if (includeZero && !log) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  // Bars on a log axis cannot start at 0: whole decades around the data, so the smallest bar still shows.
  if (includeZero && log) {
    lo = 10 ** Math.floor(Math.log10(lo) + 1e-9);
    hi = 10 ** Math.ceil(Math.log10(hi) - 1e-9);
  }
  if (!log && hi > lo && axis.max === undefined) hi += (hi - lo) * 0.05;
  if (hi === lo) [lo, hi] = log ? [lo / 2, hi * 2] : lo === 0 ? [0, 1] : [lo - Math.abs(lo) / 2, hi + Math.abs(hi) / 2];
  return [axis.min ?? lo, axis.max ?? hi];
}

function svgOpen(l: Layout, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${l.width}" height="${l.height}" viewBox="0 0 ${l.width} ${l.height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>`
    + `<rect x="0" y="0" width="${l.width}" height="${l.height}" fill="#ffffff"/>`
    + `<text class="chart-title" x="${px(l.width / 2)}" y="17" text-anchor="middle" font-size="13" font-weight="bold">${escapeHtml(title)}</text>`;
}

function legendSvg(l: Layout, entries: LegendEntry[]): string {
  if (entries.length === 0) return '';
  let out = '<g class="legend" font-size="11">';
  for (const [i, e] of entries.entries()) {
    const { x, y } = l.legend[i]!;
    out += e.shape === 'box'
      ? `<rect x="${px(x)}" y="${y - 9}" width="10" height="10" fill="${e.color}"/>`
      : `<line x1="${px(x)}" y1="${y - 4}" x2="${px(x + 12)}" y2="${y - 4}" stroke="${e.color}" stroke-width="2"/>`;
    out += `<text x="${px(x + 15)}" y="${y}">${escapeHtml(e.name)}</text>`;
  }
  return out + '</g>';
}

function yAxisSvg(l: Layout, y: Scale, axis: AxisSpec): string {
  const fmt = axis.format ?? formatNumber;
  let out = '<g class="y-axis" font-size="11">';
  for (const t of y.ticks(5)) {
    const py = y.at(t);
    out += `<line x1="${l.left}" y1="${px(py)}" x2="${l.right}" y2="${px(py)}" stroke="#e5e8e8"/>`;
    out += `<text x="${l.left - 5}" y="${px(py + 4)}" text-anchor="end">${escapeHtml(fmt(t))}</text>`;
  }
  const midY = (l.top + l.bottom) / 2;
  out += `<text x="14" y="${px(midY)}" text-anchor="middle" transform="rotate(-90 14 ${px(midY)})">${escapeHtml(axis.label)}</text>`;
  out += `<line x1="${l.left}" y1="${l.top}" x2="${l.left}" y2="${l.bottom}" stroke="#566573"/>`;
  return out + '</g>';
}

function xAxisSvg(l: Layout, x: Scale, axis: AxisSpec): string {
  const fmt = axis.format ?? formatNumber;
  let out = '<g class="x-axis" font-size="11">';
  const ticks = x.ticks(Math.max(2, Math.floor((l.right - l.left) / 80)));
  for (const t of ticks) {
    const p = x.at(t);
    out += `<line x1="${px(p)}" y1="${l.bottom}" x2="${px(p)}" y2="${l.bottom + 4}" stroke="#566573"/>`;
    const label = fmt(t);
    const anchor = p + label.length * CHAR_WIDTH / 2 > l.width ? 'end' : 'middle';
    out += `<text x="${px(p)}" y="${l.bottom + 16}" text-anchor="${anchor}">${escapeHtml(label)}</text>`;
  }
  out += `<line x1="${l.left}" y1="${l.bottom}" x2="${l.right}" y2="${l.bottom}" stroke="#566573"/>`;
  out += `<text x="${px((l.left + l.right) / 2)}" y="${l.bottom + 34}" text-anchor="middle">${escapeHtml(axis.label)}</text>`;
  return out + '</g>';
}

function decorationsSvg(l: Layout, x: Scale, d: Decorations): string {
  let out = '';
  for (const b of d.bands ?? []) {
    const x0 = x.at(Math.min(b.from, b.to));
    const x1 = x.at(Math.max(b.from, b.to));
    out += `<rect class="band" x="${px(x0)}" y="${l.top}" width="${px(Math.max(1, x1 - x0))}" height="${px(l.bottom - l.top)}" fill="${b.color ?? BAND_COLOR}" fill-opacity="0.45">`
      + (b.label ? `<title>${escapeHtml(b.label)}</title>` : '') + '</rect>';
    if (b.label) out += `<text x="${px(x0 + 3)}" y="${l.top + 12}" font-size="10" fill="#7d6608">${escapeHtml(b.label)}</text>`;
  }
  for (const m of d.markers ?? []) {
    const p = x.at(m.at);
    out += `<line class="marker" x1="${px(p)}" y1="${l.top}" x2="${px(p)}" y2="${l.bottom}" stroke="${m.color ?? MARKER_COLOR}" stroke-dasharray="4 3"/>`;
    if (m.label) out += `<text x="${px(p + 3)}" y="${l.bottom - 6}" font-size="10">${escapeHtml(m.label)}</text>`;
  }
  return out;
}

function scales(l: Layout, spec: FrameSpec, xs: number[], ys: number[], yZero: boolean): { x: Scale; y: Scale } {
  return {
    x: makeScale(spec.x.scale ?? 'linear', axisDomain(xs, spec.x, false), [l.left, l.right]),
    y: makeScale(spec.y.scale ?? 'linear', axisDomain(ys, spec.y, yZero), [l.bottom, l.top]),
  };
}

function usable(s: Scale, v: number): boolean {
  return Number.isFinite(v) && (s.kind !== 'log' || v > 0);
}

function colorOf(i: number, c?: string): string {
  return c ?? PALETTE[i % PALETTE.length]!;
}

function xyChart(series: XYSeries[], spec: FrameSpec & Decorations, mode: 'line' | 'step' | 'points'): string {
  const legend = series.length > 1 ? series.map((s, i) => ({ name: s.name, color: colorOf(i, s.color), shape: mode === 'points' ? 'box' as const : 'line' as const })) : [];
  const l = layout(spec.width, spec.height, legend);
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  for (const b of spec.bands ?? []) xs.push(b.from, b.to);
  for (const m of spec.markers ?? []) xs.push(m.at);
  const { x, y } = scales(l, spec, xs, series.flatMap((s) => s.points.map((p) => p[1])), spec.y.scale !== 'log');
  let body = decorationsSvg(l, x, spec);
  series.forEach((s, i) => {
    const color = colorOf(i, s.color);
    const pts = s.points.filter((p) => usable(x, p[0]) && usable(y, p[1]));
    if (mode === 'points') {
      body += `<g class="series" fill="${color}">`;
      for (const [a, b] of pts) body += `<circle cx="${px(x.at(a))}" cy="${px(y.at(b))}" r="3"><title>${escapeHtml(`${s.name}: (${formatNumber(a)}, ${formatNumber(b)})`)}</title></circle>`;
      body += '</g>';
      return;
    }
    if (pts.length === 0) return;
    let d = `M${px(x.at(pts[0]![0]))} ${px(y.at(pts[0]![1]))}`;
    for (let k = 1; k < pts.length; k++) {
      const [a, b] = pts[k]!;
      d += mode === 'step' ? `H${px(x.at(a))}V${px(y.at(b))}` : `L${px(x.at(a))} ${px(y.at(b))}`;
    }
    body += `<path class="series" d="${d}" fill="none" stroke="${color}" stroke-width="2"><title>${escapeHtml(s.name)}</title></path>`;
  });
  return svgOpen(l, spec.title) + yAxisSvg(l, y, spec.y) + body + xAxisSvg(l, x, spec.x) + legendSvg(l, legend) + '</svg>';
}

/** Lines through (x, y) points, in the order given. */
export function lineChart(series: XYSeries[], spec: FrameSpec & Decorations & { step?: boolean }): string {
  return xyChart(series, spec, spec.step ? 'step' : 'line');
}

/** One dot per (x, y) point. */
export function scatterChart(series: XYSeries[], spec: FrameSpec & Decorations): string {
  return xyChart(series, spec, 'points');
}

/** Empirical CDF of each sample (large samples are drawn at 2,000 quantiles). */
export function cdfChart(samples: { name: string; values: ArrayLike<number>; color?: string }[], spec: Omit<FrameSpec, 'y'> & Decorations & { y?: Partial<AxisSpec> }): string {
  const series: XYSeries[] = samples.map((s) => {
    const v = Float64Array.from(s.values as ArrayLike<number>).filter((a) => Number.isFinite(a)).sort();
    const n = v.length;
    const k = Math.min(n, 2000);
    const points: [number, number][] = [];
    for (let j = 0; j < k; j++) {
      const i = k === n ? j : Math.round((j * (n - 1)) / (k - 1));
      points.push([v[i]!, (i + 1) / n]);
    }
    return { name: s.name, color: s.color, points };
  });
  return xyChart(series, { ...spec, y: { label: 'fraction ≤ x', min: 0, max: 1, ...spec.y } }, 'step');
}

/** Grouped bars over numeric bins [edges[i], edges[i+1]]; on a log x axis bins starting at or below 0 start at the axis minimum. */
export function histogramChart(edges: readonly number[], series: CountSeries[], spec: FrameSpec & Decorations): string {
  const bins = edges.length - 1;
  if (bins < 1) throw new RangeError(`histogram needs at least 2 edges, got ${edges.length}`);
  for (const s of series) {
    if (s.counts.length !== bins) throw new RangeError(`histogram series "${s.name}": ${s.counts.length} counts for ${bins} bins`);
  }
  const legend = series.length > 1 ? series.map((s, i) => ({ name: s.name, color: colorOf(i, s.color), shape: 'box' as const })) : [];
  const l = layout(spec.width, spec.height, legend);
  const log = spec.x.scale === 'log';
  const positive = edges.filter((e) => e > 0);
  const xAxis: AxisSpec = log && spec.x.min === undefined && edges[0]! <= 0 && positive.length >= 2
    ? { ...spec.x, min: positive[0]! * (positive[0]! / positive[1]!) }
    : spec.x;
  const { x, y } = scales(l, { ...spec, x: xAxis }, [...edges], series.flatMap((s) => [...s.counts]), true);
  let body = decorationsSvg(l, x, spec);
  const base = y.at(y.kind === 'log' ? y.domain[0] : 0);
  series.forEach((s, si) => {
    const color = colorOf(si, s.color);
    body += `<g class="series" fill="${color}">`;
    for (let i = 0; i < bins; i++) {
      const c = s.counts[i]!;
      if (!usable(y, c) || c === 0) continue;
      const x0 = x.at(edges[i]!);
      const w = (x.at(edges[i + 1]!) - x0) / series.length;
      const top = y.at(c);
      body += `<rect x="${px(x0 + si * w + 0.5)}" y="${px(top)}" width="${px(Math.max(0.8, w - 1))}" height="${px(Math.max(0, base - top))}">`
        + `<title>${escapeHtml(`${s.name}: ${formatNumber(c)} in [${(spec.x.format ?? formatNumber)(edges[i]!)}, ${(spec.x.format ?? formatNumber)(edges[i + 1]!)})`)}</title></rect>`;
    }
    body += '</g>';
  });
  return svgOpen(l, spec.title) + yAxisSvg(l, y, spec.y) + body + xAxisSvg(l, x, xAxis) + legendSvg(l, legend) + '</svg>';
}

/** Grouped bars per category, with optional overlay lines on the same y axis. */
export function barChart(categories: readonly string[], series: BarSeries[], spec: BarChartSpec): string {
  for (const s of series) {
    if (s.values.length !== categories.length) throw new RangeError(`bar series "${s.name}": ${s.values.length} values for ${categories.length} categories`);
  }
  const overlay = spec.overlay ?? [];
  const width = spec.width ?? 560;
  const legend: LegendEntry[] = series.length + overlay.length > 1
    ? [...series.map((s, i) => ({ name: s.name, color: colorOf(i, s.color), shape: 'box' as const })), ...overlay.map((o, i) => ({ name: o.name, color: colorOf(series.length + i, o.color), shape: 'line' as const }))]
    : [];
  // Labels turn when the longest would not fit its category's share of the plot's width.
  const flat = layout(width, spec.height, legend, 0);
  const band = (flat.right - flat.left) / Math.max(1, categories.length);
  const longest = Math.max(0, ...categories.map((c) => c.length));
  const rotate = longest * CHAR_WIDTH > band - 12;
  const l = rotate ? layout(width, spec.height, legend, Math.min(80, longest * CHAR_WIDTH * 0.6)) : flat;
  const values = [...series.flatMap((s) => [...s.values]), ...overlay.flatMap((o) => o.values.filter((v): v is number => v !== null))];
  const y = makeScale(spec.y.scale ?? 'linear', axisDomain(values, spec.y, true), [l.bottom, l.top]);
  const step = (l.right - l.left) / Math.max(1, categories.length);
  const base = y.at(y.kind === 'log' ? y.domain[0] : 0);
  let body = '';
  series.forEach((s, si) => {
    const color = colorOf(si, s.color);
    const w = (step * 0.8) / series.length;
    body += `<g class="series" fill="${color}">`;
    s.values.forEach((v, ci) => {
      if (!usable(y, v)) return;
      const top = y.at(v);
      body += `<rect x="${px(l.left + ci * step + step * 0.1 + si * w)}" y="${px(top)}" width="${px(Math.max(0.8, w - 1))}" height="${px(Math.max(0, base - top))}">`
        + `<title>${escapeHtml(`${s.name} @ ${categories[ci]}: ${formatNumber(v)}`)}</title></rect>`;
    });
    body += '</g>';
  });
  overlay.forEach((o, oi) => {
    const color = colorOf(series.length + oi, o.color);
    let d = '';
    let pen = false;
    o.values.forEach((v, ci) => {
      if (v === null || !usable(y, v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${px(l.left + (ci + 0.5) * step)} ${px(y.at(v))}`;
      pen = true;
    });
    if (d) body += `<path class="series" d="${d}" fill="none" stroke="${color}" stroke-width="2"><title>${escapeHtml(o.name)}</title></path>`;
  });
  let xAxis = `<g class="x-axis" font-size="11"><line x1="${l.left}" y1="${l.bottom}" x2="${l.right}" y2="${l.bottom}" stroke="#566573"/>`;
  categories.forEach((c, ci) => {
    const cx = l.left + (ci + 0.5) * step;
    xAxis += rotate
      ? `<text x="${px(cx)}" y="${l.bottom + 12}" text-anchor="end" transform="rotate(-35 ${px(cx)} ${l.bottom + 12})">${escapeHtml(c)}</text>`
      : `<text x="${px(cx)}" y="${l.bottom + 16}" text-anchor="middle">${escapeHtml(c)}</text>`;
  });
  xAxis += `<text x="${px((l.left + l.right) / 2)}" y="${(spec.height ?? 300) - 6}" text-anchor="middle">${escapeHtml(spec.xLabel)}</text></g>`;
  return svgOpen(l, spec.title) + yAxisSvg(l, y, spec.y) + body + xAxis + legendSvg(l, legend) + '</svg>';
}
