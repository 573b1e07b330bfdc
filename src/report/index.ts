// The SmartTags HTML report: one self-contained, offline file (inline CSS and SVG, no scripts, CSP forbids
// any fetch) with a ranked signature table on top, per-signature lag and extent figures, and extra sections.

import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Signature, SignaturesDoc } from '../engine/signature.ts';
import { escapeHtml, formatMicros, formatNumber, formatPercent, formatProbabilityValue } from './format.ts';
import { endpointLabel, extentFigures, lagFigure, type Figure } from './signature-figures.ts';

export * from './charts.ts';
export { escapeHtml, formatMicros, formatNumber, formatPercent, formatProbabilityValue } from './format.ts';
export { lagFigure, extentFigures, endpointLabel, type Figure } from './signature-figures.ts';
export { readSignaturesDoc, parseSignaturesDoc, signaturesDocProblem, SignaturesFileError } from './load.ts';

/** A section other components add (e.g. testbed results). */
export interface ReportSection {
  title: string;
  /** Plain-text paragraphs (escaped). */
  text?: string[];
  figures?: Figure[];
  /** Trusted markup built with this module's helpers (htmlTable, charts); inserted as is. */
  html?: string;
  /** Where the section goes: right after the ranked table, or at the end (default). */
  placement?: 'after-ranking' | 'end';
}

export interface ReportOptions {
  title?: string;
  /** Shown in the header; omitted when absent so that output is reproducible. */
  generatedAt?: string;
  /** Where the signatures came from, shown in the header. */
  source?: string;
  /** Rows of the ranked table (default 500). */
  maxTableRows?: number;
  /** Signatures that get figures, best first (default 50). */
  maxFigures?: number;
  sections?: ReportSection[];
}

/** Best first: smallest q-value, then highest lift, then probability, then support; ties keep input order. */
export function rankSignatures(signatures: readonly Signature[]): Signature[] {
  return signatures
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.qValue - b.s.qValue || liftOrder(b.s.lift) - liftOrder(a.s.lift) || b.s.probability - a.s.probability || b.s.support - a.s.support || a.i - b.i)
    .map((x) => x.s);
}

function liftOrder(lift: number): number {
  return Number.isNaN(lift) ? -Infinity : lift;
}

/** An HTML table with every cell escaped. */
export function htmlTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>, className = 'data'): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td${typeof c === 'number' ? ' class="num"' : ''}>${escapeHtml(typeof c === 'number' ? formatNumber(c) : c)}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${escapeHtml(className)}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export function figureHtml(f: Figure): string {
  return `<figure>${f.svg}${f.caption ? `<figcaption>${escapeHtml(f.caption)}</figcaption>` : ''}</figure>`;
}

function sectionHtml(s: ReportSection, index: number): string {
  const parts = [`<section class="extra" id="extra-${index + 1}"><h2>${escapeHtml(s.title)}</h2>`];
  for (const p of s.text ?? []) parts.push(`<p>${escapeHtml(p)}</p>`);
  if (s.html) parts.push(s.html);
  if (s.figures?.length) parts.push(`<div class="figures">${s.figures.map(figureHtml).join('\n')}</div>`);
  parts.push('</section>');
  return parts.join('\n');
}

function rankingHtml(ranked: Signature[], maxRows: number, withFigures: number): string {
  const rows = ranked.slice(0, maxRows).map((s, i) => {
    const rank = i + 1;
    const cell = (v: string, num = true) => `<td${num ? ' class="num"' : ''}>${escapeHtml(v)}</td>`;
    const link = rank <= withFigures ? `<a href="#sig-${rank}">${rank}</a>` : String(rank);
    return `<tr${rank === 1 ? ' class="top"' : ''}><td class="num">${link}</td>`
      + `<td class="tag">${escapeHtml(endpointLabel(s.tag))}</td><td class="event">${escapeHtml(endpointLabel(s.event))}</td>`
      + cell(s.relation, false) + cell(formatNumber(s.probability)) + cell(formatNumber(s.hitRate)) + cell(formatNumber(s.baselineRate))
      + cell(formatNumber(s.lift)) + cell(formatProbabilityValue(s.qValue)) + cell(formatNumber(s.support)) + cell(formatMicros(s.leadTime.p50))
      + cell(`${formatMicros(s.window.start)} – ${formatMicros(s.window.end)}`) + '</tr>';
  });
  const head = ['#', 'tag', 'event', 'relation', 'probability', 'hit rate', 'baseline', 'lift', 'q-value', 'tags', 'lead p50', 'window']
    .map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const note = ranked.length > maxRows ? `<p class="note">Showing the best ${maxRows} of ${ranked.length} signatures.</p>` : '';
  return `<section id="ranking"><h2>Signatures ranked by q-value, then lift</h2>${note}`
    + `<table class="ranking"><thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></section>`;
}

function signatureHtml(s: Signature, rank: number): string {
  const facts: [string, string][] = [
    ['probability (background-corrected)', formatNumber(s.probability)],
    ['hit rate / baseline', `${formatPercent(s.hitRate)} / ${formatPercent(s.baselineRate)} (lift ${formatNumber(s.lift)})`],
    ['p / q', `${formatProbabilityValue(s.pValue)} / ${formatProbabilityValue(s.qValue)}`],
    ['tags / hits', `${formatNumber(s.support)} / ${formatNumber(s.hits)}`],
    ['lead time min / p05 / p50 / p95', [s.leadTime.min, s.leadTime.p05, s.leadTime.p50, s.leadTime.p95].map(formatMicros).join(' / ')],
    ['window', `[${formatMicros(s.window.start)}, ${formatMicros(s.window.end)}]`],
  ];
  const figures: Figure[] = [];
  const lag = lagFigure(s);
  if (lag) figures.push(lag);
  figures.push(...extentFigures(s));
  const missing: string[] = [];
  if (!lag) missing.push('no lag histogram in the signatures file');
  if (!s.extent?.bins?.length) missing.push('no extent bins (tag values carry no information or were absent)');
  return `<section class="signature" id="sig-${rank}"><h3>#${rank} ${escapeHtml(endpointLabel(s.tag))} → ${escapeHtml(endpointLabel(s.event))} <span class="relation">(${escapeHtml(s.relation)})</span></h3>`
    + `<dl>${facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`
    + (missing.length ? `<p class="note">${escapeHtml(missing.join('; '))}.</p>` : '')
    + `<div class="figures">${figures.map(figureHtml).join('\n')}</div></section>`;
}

const STYLE = `
body{font-family:sans-serif;margin:24px;color:#1c2833;max-width:1300px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d5d8dc}h3{font-size:15px;margin:22px 0 6px}
table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #d5d8dc;padding:3px 6px;text-align:left}th{background:#f2f4f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.top{background:#fdedec;font-weight:bold}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;font-size:13px;margin:4px 0}dt{color:#566573}dd{margin:0}
.figures{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}figcaption{font-size:12px;color:#566573;max-width:560px}
.note{font-size:12px;color:#7d6608}.relation{color:#566573;font-weight:normal}.meta{font-size:13px;color:#566573}
`;

/** The whole report as one HTML string. */
export function renderReport(doc: SignaturesDoc, opts: ReportOptions = {}): string {
  const title = opts.title ?? 'SmartTags signatures';
  const ranked = rankSignatures(doc.signatures);
  const maxRows = Math.max(0, opts.maxTableRows ?? 500);
  const maxFigures = Math.min(ranked.length, Math.max(0, opts.maxFigures ?? 50));
  const sections = opts.sections ?? [];
  const meta: string[] = [`${ranked.length} signature${ranked.length === 1 ? '' : 's'}`];
  if (opts.source) meta.push(`from ${opts.source}`);
  if (opts.generatedAt) meta.push(`generated ${opts.generatedAt}`);
  const params = Object.entries(doc.params ?? {});
  const body = [
    `<header><h1>${escapeHtml(title)}</h1><p class="meta">${escapeHtml(meta.join(' · '))}</p>`
      + (ranked[0] ? `<p>Top signature: <strong id="top-signature">${escapeHtml(endpointLabel(ranked[0].tag))} → ${escapeHtml(endpointLabel(ranked[0].event))}</strong></p>` : '<p>No signatures.</p>')
      + '</header>',
    rankingHtml(ranked, maxRows, maxFigures),
    ...sections.map((s, i) => ({ s, i })).filter((x) => x.s.placement === 'after-ranking').map((x) => sectionHtml(x.s, x.i)),
    maxFigures > 0
      ? `<section id="signatures"><h2>Signature details${maxFigures < ranked.length ? ` (best ${maxFigures} of ${ranked.length})` : ''}</h2>\n${ranked.slice(0, maxFigures).map((s, i) => signatureHtml(s, i + 1)).join('\n')}</section>`
      : '',
    params.length ? `<section id="params"><h2>Learning parameters</h2>${htmlTable(['parameter', 'value'], params.map(([k, v]) => [k, JSON.stringify(v) ?? String(v)]), 'params')}</section>` : '',
    ...sections.map((s, i) => ({ s, i })).filter((x) => x.s.placement !== 'after-ranking').map((x) => sectionHtml(x.s, x.i)),
  ];
  return '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
    + `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`
    + `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>\n<body>\n`
    + body.filter(Boolean).join('\n') + '\n</body></html>\n';
}

/** Renders the report and writes it to `file` (via a temporary file and rename). Returns its size in bytes. */
export async function writeReport(doc: SignaturesDoc, file: string, opts: ReportOptions = {}): Promise<{ bytes: number }> {
  const html = renderReport(doc, opts);
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, html, 'utf8');
  await rename(tmp, file);
  return { bytes: Buffer.byteLength(html) };
}
