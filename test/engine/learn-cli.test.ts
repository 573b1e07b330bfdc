import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fixture } from './scenario-fixture.ts';
import type { SignaturesDoc } from '../../src/engine/signature.ts';

const run = promisify(execFile);
const bin = new URL('../../bin/smarttags.mjs', import.meta.url).pathname;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'smarttags-learn-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeCsv(path: string, extraLines: string[] = []): Promise<void> {
  const lines = ['time,locale,kind,name,value'];
  for (const s of fixture({ seed: 2, durationS: 200, causal: true }).finish()) {
    for (let i = 0; i < s.times.length; i++) lines.push(`${s.times[i]},${s.key.locale},${s.key.kind},${s.key.name},${s.values[i]}`);
  }
  lines.push(...extraLines);
  await writeFile(path, lines.join('\n') + '\n');
}

test('smarttags learn writes signatures.json with the documented fields; bad lines are counted, not fatal', async () => {
  await withDir(async (dir) => {
    const records = join(dir, 'records.csv');
    await writeCsv(records, ['12x,h1,tag,MG,1', '5,h1,bogus,MG,1']);
    const topology = join(dir, 'topology.json');
    await writeFile(
      topology,
      JSON.stringify({ nodes: [{ id: 'h1', kind: 'host' }, { id: 'h2', kind: 'host' }, { id: 'sw1', kind: 'switch' }], links: [{ a: 'h1', b: 'sw1' }, { a: 'h2', b: 'sw1' }], locales: { 'sw1:p1': 'sw1', 'sw1:p2': 'sw1' } }),
    );
    const out = join(dir, 'sig.json');
    const report = join(dir, 'report.html');
    const { stderr } = await run(process.execPath, [bin, 'learn', records, '--topology', topology, '--out', out, '--report', report]);
    const html = await readFile(report, 'utf8');
    assert.match(html, /rpc_sync/);
    assert.match(stderr, /learned 2 signatures/);
    assert.match(stderr, /\(2 rejected\)/);
    assert.match(stderr, /records\.csv:\d+: field "time"/);
    const doc = JSON.parse(await readFile(out, 'utf8')) as SignaturesDoc;
    assert.equal(doc.version, 1);
    assert.equal(doc.params.fdr, 0.05);
    const keys = doc.signatures.map((s) => `${s.tag.name}@${s.tag.locale}->${s.event.name}@${s.event.locale} ${s.relation}`).sort();
    assert.deepEqual(keys, ['MG@h1->drop@sw1:p1 1-hop', 'rpc_sync@h2->drop@sw1:p2 1-hop']);
    for (const s of doc.signatures) {
      for (const f of ['probability', 'hitRate', 'baselineRate', 'lift', 'pValue', 'qValue', 'support', 'hits'] as const) assert.equal(typeof s[f], 'number', f);
      assert.deepEqual(Object.keys(s.leadTime).sort(), ['min', 'p05', 'p50', 'p95']);
      assert.ok(s.window.end > s.window.start);
      assert.ok(Array.isArray(s.extent.bins));
    }
  });
});

test('smarttags learn: usage errors exit 2 and name the option; a missing file names the path', async () => {
  await withDir(async (dir) => {
    await assert.rejects(run(process.execPath, [bin, 'learn']), (e: { code: number; stderr: string }) => e.code === 2 && /no record files/.test(e.stderr));
    await assert.rejects(run(process.execPath, [bin, 'learn', 'x.csv', '--fdr', 'lots']), (e: { code: number; stderr: string }) => e.code === 2 && /--fdr/.test(e.stderr));
    const missing = join(dir, 'missing.csv');
    await assert.rejects(run(process.execPath, [bin, 'learn', missing, '--out', join(dir, 'o.json')]), (e: { code: number; stderr: string }) => e.code === 1 && e.stderr.includes(missing));
  });
});

test('smarttags learn --strict stops at the first malformed line; --time-unit converts decimal seconds', async () => {
  await withDir(async (dir) => {
    const records = join(dir, 'records.csv');
    await writeCsv(records, ['12x,h1,tag,MG,1']);
    await assert.rejects(
      run(process.execPath, [bin, 'learn', records, '--strict', '--out', join(dir, 'o.json')]),
      (e: { code: number; stderr: string }) => e.code === 1 && /records\.csv:\d+: field "time"/.test(e.stderr),
    );
    const seconds = join(dir, 'seconds.csv');
    const lines = ['time,locale,kind,name,value'];
    for (let i = 0; i < 400; i++) {
      lines.push(`${(1000 + i * 0.5).toFixed(6)},h1,tag,MG,5`);
      lines.push(`${(1000 + i * 0.5 + 0.0123).toFixed(6)},h1,event,drop,2`);
      lines.push(`${(1000 + i * 0.5 + 0.25 + (i % 7) * 0.01).toFixed(6)},h1,event,drop,1`);
    }
    await writeFile(seconds, lines.join('\n') + '\n');
    const out = join(dir, 's.json');
    await run(process.execPath, [bin, 'learn', seconds, '--time-unit', 's', '--out', out]);
    const doc = JSON.parse(await readFile(out, 'utf8')) as SignaturesDoc;
    const sig = doc.signatures.find((s) => s.tag.name === 'MG' && s.event.name === 'drop');
    assert.ok(sig, 'MG -> drop learned from second-resolution times');
    assert.ok(Math.abs(sig.leadTime.p50 - 12_300) < 2_000, `lead time ${sig.leadTime.p50} µs near 12.3 ms`);
    await assert.rejects(run(process.execPath, [bin, 'learn', seconds, '--time-unit', 'min']), (e: { code: number; stderr: string }) => e.code === 2 && /--time-unit/.test(e.stderr));
  });
});
