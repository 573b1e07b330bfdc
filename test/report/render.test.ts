// The report renderer without a browser: ranking, escaping, offline-only markup, extra sections, chart
// helpers, signatures.json validation and the `smarttags report` command.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cdfChart, histogramChart, lagFigure, lineChart, parseSignaturesDoc, rankSignatures, renderReport, scatterChart, barChart,
} from '../../src/report/index.ts';
import { logTicks, linearTicks } from '../../src/report/scale.ts';
import { formatMicros, formatNumber, formatProbabilityValue } from '../../src/report/format.ts';
import { run as reportCommand } from '../../src/cli/commands/report.ts';
import { fixtureDoc } from './fixture.ts';

test('signatures rank by q-value, then lift', () => {
  const doc = fixtureDoc();
  assert.deepEqual(rankSignatures(doc.signatures).map((s) => s.tag.name), ['MG', '<script>alert("x")</script>', 'RS']);
  const tie = doc.signatures.map((s) => ({ ...s, qValue: 0.001 }));
  assert.deepEqual(rankSignatures(tie).map((s) => s.lift), [47.5, 6, 3]);
});

test('the report is one offline file: no scripts, no external references, names escaped', () => {
  const html = renderReport(fixtureDoc(), { generatedAt: '2026-11-25T00:00:00Z' });
  assert.ok(html.startsWith('<!doctype html>'));
  assert.ok(!/<script\b/i.test(html));
  assert.ok(!/\bsrc=/i.test(html));
  for (const m of html.matchAll(/href="([^"]*)"/g)) assert.ok(m[1]!.startsWith('#'), `local link only: ${m[1]}`);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;@app&amp;co'));
  assert.ok(html.includes('queue&quot;len@sw&#39;1'));
  // Top signature first in the table and figures only for signatures that carry lags/extent.
  assert.match(html, /<tr class="top"><td class="num"><a href="#sig-1">1<\/a><\/td><td class="tag">MG@client-7<\/td>/);
  assert.equal((html.match(/<svg\b/g) ?? []).length, 3);
  assert.equal((html.match(/class="band"/g) ?? []).length, 1, 'the chosen window is shaded');
  assert.ok(html.includes('generated 2026-11-25T00:00:00Z'));
});

test('maxFigures and maxTableRows limit the report and say so', () => {
  const html = renderReport(fixtureDoc(), { maxFigures: 1, maxTableRows: 2 });
  assert.ok(html.includes('Showing the best 2 of 3 signatures.'));
  assert.ok(html.includes('(best 1 of 3)'));
  assert.equal((html.match(/class="signature"/g) ?? []).length, 1);
  assert.equal((html.match(/<tr( class="top")?><td class="num">/g) ?? []).length, 2);
});

test('extra sections go after the ranking or at the end, text escaped', () => {
  const fig = { svg: lineChart([{ name: 'qct', points: [[1, 2], [2, 3]] }], { title: 'QCT', x: { label: 'run' }, y: { label: 'ms' } }), caption: 'a<b' };
  const html = renderReport(fixtureDoc(), {
    sections: [
      { title: 'Testbed <end>', text: ['x & y'], figures: [fig] },
      { title: 'Summary', html: '<p id="raw">trusted</p>', placement: 'after-ranking' },
    ],
  });
  const ranking = html.indexOf('id="ranking"');
  const summary = html.indexOf('<h2>Summary</h2>');
  const details = html.indexOf('id="signatures"');
  const testbed = html.indexOf('<h2>Testbed &lt;end&gt;</h2>');
  assert.ok(ranking < summary && summary < details && details < testbed, `order ${ranking} ${summary} ${details} ${testbed}`);
  assert.ok(html.includes('<p>x &amp; y</p>'));
  assert.ok(html.includes('<figcaption>a&lt;b</figcaption>'));
  assert.ok(html.includes('<p id="raw">trusted</p>'));
});

test('an empty document renders a report saying so', () => {
  const html = renderReport({ version: 1, params: {}, signatures: [] });
  assert.ok(html.includes('<p>No signatures.</p>'));
  assert.ok(html.includes('0 signatures'));
});

test('axis ticks are round numbers inside the domain', () => {
  assert.deepEqual(linearTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(logTicks(5, 200_000, 8), [10, 100, 1000, 10000, 100000]);
  assert.deepEqual(logTicks(3, 40, 8), [5, 10, 20]);
  assert.equal(formatMicros(1500), '1.5 ms');
  assert.equal(formatMicros(2_000_000), '2 s');
});

test('chart helpers draw one mark per datum and reject inconsistent input', () => {
  const hist = histogramChart([0, 10, 100, 1000], [{ name: 'a', counts: [1, 0, 3] }, { name: 'b', counts: [2, 2, 2] }], {
    title: 't', x: { label: 'lag', scale: 'log' }, y: { label: 'n' },
  });
  assert.equal((hist.match(/<rect x=/g) ?? []).length, 1 + 5 + 2, 'background, 5 non-zero bars, 2 legend swatches');
  assert.throws(() => histogramChart([0, 1], [{ name: 'a', counts: [1, 2] }], { title: 't', x: { label: 'x' }, y: { label: 'y' } }), /series "a": 2 counts for 1 bins/);
  assert.throws(() => barChart(['a', 'b'], [{ name: 's', values: [1] }], { title: 't', xLabel: 'x', y: { label: 'y' } }), /1 values for 2 categories/);
  const scatter = scatterChart([{ name: 's', points: [[1, 1], [0, 2], [10, 3]] }], { title: 't', x: { label: 'x', scale: 'log' }, y: { label: 'y' } });
  assert.equal((scatter.match(/<circle/g) ?? []).length, 2, 'log axis drops x <= 0');
  const many = lineChart(Array.from({ length: 8 }, (_, i) => ({ name: `configuration number ${i}`, points: [[0, i], [1, i + 1]] as [number, number][] })), {
    title: 'wide legend', x: { label: 'x' }, y: { label: 'y' },
  });
  const legend = many.match(/<g class="legend"[^>]*>(.*?)<\/g>/)![1]!;
  const texts = [...legend.matchAll(/<text x="([\d.]+)" y="([\d.]+)">([^<]*)<\/text>/g)];
  assert.equal(texts.length, 8);
  assert.ok(new Set(texts.map((t) => t[2])).size >= 3, 'legend wraps into rows');
  for (const t of texts) assert.ok(Number(t[1]) + t[3]!.length * 6.2 <= 560, `legend entry "${t[3]}" inside the chart`);
  const cdf = cdfChart([{ name: 'q', values: [3, 1, 2, 2] }], { title: 'cdf', x: { label: 'ms' } });
  const path = cdf.match(/<path class="series" d="([^"]*)"/)![1]!;
  assert.equal((path.match(/V/g) ?? []).length, 3, 'a step per remaining sample');
  const ys = [...path.matchAll(/V([\d.]+)/g)].map((m) => Number(m[1]));
  for (let i = 1; i < ys.length; i++) assert.ok(ys[i]! <= ys[i - 1]!, 'CDF rises (smaller pixel y)');
});

test('bad signatures files are rejected naming the field', () => {
  const good = fixtureDoc();
  assert.throws(() => parseSignaturesDoc('{', 'x.json'), /^SignaturesFileError: x.json: not JSON/);
  assert.throws(() => parseSignaturesDoc(JSON.stringify({ ...good, version: 9 }), 'x.json'), /x.json: version: expected 1, got 9/);
  const badLags = structuredClone(good);
  badLags.signatures[2]!.lags!.tag.pop();
  assert.throws(() => parseSignaturesDoc(JSON.stringify(badLags), 'x.json'), /signatures\[2\]\.lags: 14 edges need 13 tag and random counts, got 12 and 13/);
  const badWindow = structuredClone(good) as unknown as { signatures: { window: unknown }[] };
  badWindow.signatures[1]!.window = { start: 5, end: 1 };
  assert.throws(() => parseSignaturesDoc(JSON.stringify(badWindow), 'x.json'), /signatures\[1\]\.window: needs numbers start <= end/);
  const infinite = structuredClone(good);
  infinite.signatures[0]!.lift = Infinity;
  assert.equal(parseSignaturesDoc(JSON.stringify(infinite), 'x.json').signatures[0]!.lift, Infinity);
});

test('smarttags report writes the HTML file and reports bad input', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smarttags-report-cli-'));
  try {
    const sig = join(dir, 'signatures.json');
    const out = join(dir, 'out', 'report.html');
    await writeFile(sig, JSON.stringify(fixtureDoc()));
    const stdout = process.stdout.write;
    process.stdout.write = () => true;
    let code;
    try {
      code = await reportCommand(['--signatures', sig, '--out', out, '--title', 'Run <1>']);
    } finally {
      process.stdout.write = stdout;
    }
    assert.equal(code, 0);
    const html = await readFile(out, 'utf8');
    assert.ok(html.includes('<title>Run &lt;1&gt;</title>'));
    await assert.rejects(reportCommand(['--signatures', sig]), /--out is required/);
    await assert.rejects(reportCommand(['--signatures', sig, '--out', out, '--max-figures=-1']), /--max-figures: must be a non-negative integer/);
    await writeFile(sig, JSON.stringify({ version: 1, signatures: [{}] }));
    await assert.rejects(reportCommand(['--signatures', sig, '--out', out]), /signatures\[0\]\.tag: needs string name and locale/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('p- and q-values that underflowed to 0 read as "< 1e-300", not as an exact 0', () => {
  const doc = fixtureDoc();
  doc.signatures[0]!.pValue = 0;
  doc.signatures[0]!.qValue = 0;
  const html = renderReport(doc);
  assert.match(html, /&lt; 1e-300 \/ &lt; 1e-300/);
  assert.equal(formatProbabilityValue(0.0123), '0.0123');
});

test('the lag figure draws events per ms of lag, so that log-spaced bins compare', () => {
  const top = fixtureDoc().signatures[2]!;
  const f = lagFigure(top)!;
  assert.match(f.svg, />drop events per ms of lag</);
  const edges = top.lags!.edges;
  top.lags!.tag.forEach((c, i) => {
    if (c === 0) return;
    const density = c / ((edges[i + 1]! - edges[i]!) / 1000);
    assert.ok(f.svg.includes(`after MG tags: ${formatNumber(density)} in [${formatMicros(edges[i]!)}, ${formatMicros(edges[i + 1]!)})`), `tag bin ${i}`);
  });
  // 120 events in [100 µs, 200 µs) and 45 in [50 ms, 100 ms): 1200 and 0.9 per ms.
  assert.ok(f.svg.includes(`after MG tags: ${formatNumber(1200)} in`));
  assert.ok(f.svg.includes(`after random instants (baseline): ${formatNumber(0.9)} in`));
  assert.match(f.caption!, /per millisecond of lag/);
});
