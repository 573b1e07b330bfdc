import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { Signature } from '../../src/engine/signature.ts';
import { createTagger, type Tagger } from '../../src/sdk/index.ts';
import { DuckdbStore } from '../../src/store/duckdb-store.ts';
import { fetchStatus } from '../../src/system/status-client.ts';
import { haveIproute, htbClass, makeNetns, removeNetns, rootQdisc } from '../controller/fixtures.ts';
import { killAll, startUp, stopChild } from './child.ts';
import { tempDir, waitFor } from './helpers.ts';

function signature(tag: string, eventLocale: string): Signature {
  return {
    tag: { name: tag, locale: 'app' }, event: { name: 'drop', locale: eventLocale }, relation: 'any',
    probability: 0.8, hitRate: 0.8, baselineRate: 0.01, lift: 80, pValue: 1e-9, qValue: 1e-8, support: 200, hits: 160,
    leadTime: { min: 500, p05: 800, p50: 2000, p95: 4000 }, window: { start: 1000, end: 5000 },
    extent: { bins: [], threshold: null, sizeSlope: 0, logistic: null },
  };
}

test('smarttags up: a kernel rule is removed at its expiration, and one left by a kill -9 is removed by the restart', { skip: haveIproute() ? false : 'ip/tc (Debian package iproute2) are not installed', timeout: 60_000 }, async () => {
  const tmp = tempDir('st-kfault-');
  const namespaces: string[] = [];
  let tagger: Tagger | null = null;
  try {
    const ns = makeNetns(namespaces);
    // Signatures the engine learned earlier, stored in its DuckDB file: the restarted engine republishes them.
    const db = tmp.path('st.duckdb');
    const store = await DuckdbStore.open(db);
    await store.saveSignatures(1, Date.now() * 1000, { version: 1, params: {}, signatures: [signature('SHORT', 'sw:v1'), signature('LONG', 'sw:v0')] });
    await store.close();
    const cfg = tmp.path('smarttags.yaml');
    writeFileSync(
      cfg,
      `store: { path: ${db} }
engine: { learnIntervalSec: 3600 }
controller:
  journal: ${tmp.path('rules.jsonl')}
  linkBps: 1000000000
  locales:
    "sw:v0": { netns: ${ns}, dev: v0 }
    "sw:v1": { netns: ${ns}, dev: v1 }
  policies:
    - name: pace-short
      action: pace
      match: { tag: SHORT }
      targets: [{ locale: $event }]
      params: { rate: 20000000 }
      expiration: { fixedUs: 500000 }
    - name: pace-long
      action: pace
      match: { tag: LONG }
      targets: [{ locale: $event }]
      params: { rate: 30000000 }
      expiration: { fixedUs: 60000000 }
drivers:
  - id: d1
    locales: [app]
    socket: ${tmp.path('d1.sock')}
    collectors: []
http: { port: 0 }
`,
    );
    let up = startUp(['--config', cfg]);
    let url = await up.url;
    await waitFor('the driver has the stored signatures', async () => (await fetchStatus(url)).drivers[0]!.counters.signatures === 2);
    tagger = createTagger({ locale: 'app', endpoint: tmp.path('d1.sock'), reconnectMs: 50 });
    await waitFor('the tagger connects', () => tagger!.connected);

    // A rule with a 0.5 s lifetime: in the kernel when tagAndWait resolves, gone soon after its expiration.
    const short = await tagger.tagAndWait('SHORT', 5, { timeoutMs: 5000 });
    assert.equal(short.status, 'decided', JSON.stringify(short));
    const rule = short.status === 'decided' ? short.reply.rules[0]! : null;
    assert.equal(rule?.status, 'applied');
    assert.deepEqual(htbClass(ns, 'v1', '1:1'), { rate: '20Mbit', ceil: '20Mbit' });
    await waitFor('the short rule is reverted', () => htbClass(ns, 'v1', '1:1')?.rate === '1Gbit', 5000);
    const lateMs = Date.now() - rule!.expiresAt / 1000;
    assert.ok(lateMs < 1000, `reverted ${lateMs} ms after its expiration`);
    assert.equal((await fetchStatus(url)).controller!.counters.expired, 1);

    // A long rule, then kill -9: the rule stays in the kernel until the restarted system recovers it.
    const long = await tagger.tagAndWait('LONG', 5, { timeoutMs: 5000 });
    assert.equal(long.status, 'decided', JSON.stringify(long));
    assert.deepEqual(htbClass(ns, 'v0', '1:1'), { rate: '30Mbit', ceil: '30Mbit' });
    up.proc.kill('SIGKILL');
    await up.exited;
    assert.deepEqual(htbClass(ns, 'v0', '1:1'), { rate: '30Mbit', ceil: '30Mbit' }, 'left in the kernel by the killed process');
    up = startUp(['--config', cfg]);
    url = await up.url;
    const status = await fetchStatus(url);
    assert.equal(status.controller!.counters.recovered >= 2, true, `recovered ${status.controller!.counters.recovered}`);
    assert.equal(rootQdisc(ns, 'v0'), 'noqueue', 'the rule and the htb root it needed are gone');
    assert.equal(rootQdisc(ns, 'v1'), 'noqueue');
    await tagger.close();
    tagger = null;
    assert.equal(await stopChild(up), 0);
  } finally {
    await tagger?.close();
    await killAll();
    removeNetns(namespaces);
    tmp.remove();
  }
});
