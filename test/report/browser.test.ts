// The written report opened in headless Chromium: the DOM shows the top signature first, names stay text,
// and the SVG charts really paint (the bar colours appear in a screenshot).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeReport } from '../../src/report/index.ts';
import { BASELINE_LAG_COLOR, TAG_LAG_COLOR } from '../../src/report/signature-figures.ts';
import { chromiumMissing, runChromium } from './chromium.ts';
import { fixtureDoc } from './fixture.ts';
import { countColor, decodePng } from './png.ts';

test('the report renders in headless Chromium and shows the top signature', { skip: chromiumMissing(), timeout: 90_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smarttags-report-'));
  try {
    const file = join(dir, 'report.html');
    await writeReport(fixtureDoc(), file);
    const url = pathToFileURL(file).href;

    const dom = await runChromium(['--dump-dom'], url);
    const top = dom.match(/<strong id="top-signature">([^<]*)<\/strong>/);
    assert.equal(top?.[1], 'MG@client-7 → drop@tor-2:port3');
    const firstRow = dom.match(/<tbody>\s*<tr class="top">(.*?)<\/tr>/s);
    assert.ok(firstRow, 'ranked table has a highlighted first row');
    assert.match(firstRow[1]!, /<td class="tag">MG@client-7<\/td><td class="event">drop@tor-2:port3<\/td>/);
    assert.equal((dom.match(/<svg\b/g) ?? []).length, 3, 'lag histogram and two extent charts');
    assert.ok((dom.match(/<rect\b/g) ?? []).length > 20, 'bars rendered as rects');
    assert.ok(!/<script\b/i.test(dom), 'the name "<script>..." stayed text');
    assert.ok(dom.includes('&lt;script&gt;alert("x")&lt;/script&gt;@app&amp;co'), 'escaped name is shown as text');

    const png = join(dir, 'shot.png');
    await runChromium(['--window-size=1300,1400', `--screenshot=${png}`], url);
    const img = decodePng(await readFile(png));
    assert.equal(img.width, 1300);
    assert.ok(countColor(img, TAG_LAG_COLOR) > 2000, 'tag-conditioned lag bars painted');
    assert.ok(countColor(img, BASELINE_LAG_COLOR) > 500, 'random-sampling baseline bars painted');
    assert.ok(countColor(img, '#27ae60') > 2000, 'extent size bars painted');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
