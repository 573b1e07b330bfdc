import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { parseConfig } from '../../src/system/config.ts';
import { startSystem, type SystemStatus } from '../../src/system/system.ts';
import { createLogger } from '../../src/system/logger.ts';
import { formatStatus } from '../../src/system/status-client.ts';
import { createTagger } from '../../src/sdk/index.ts';
import type { SmartRecord } from '../../src/protocol/record.ts';
import { SUBJECTS, type RecordBatch } from '../../src/bus/messages.ts';
import { fixture } from '../engine/scenario-fixture.ts';
import { scrape, tempDir, waitFor } from './helpers.ts';

function sendUdp(port: number, payloads: Buffer[]): Promise<void> {
  const sock = createSocket('udp4');
  return new Promise((resolve, reject) => {
    let left = payloads.length;
    for (const p of payloads)
      sock.send(p, port, '127.0.0.1', (err) => {
        if (err) reject(err);
        if (--left === 0) sock.close(() => resolve());
      });
  });
}

test('one process: tags reach the engine, signatures reach the driver, an actionable tag gets an expiring rule, bad input is counted in /metrics', async () => {
  const tmp = tempDir('st-up-');
  const config = parseConfig(
    `store: { path: ":memory:" }
engine: { learnIntervalSec: 3600 }
controller:
  journal: ${tmp.path('rules.jsonl')}
  policies:
    - name: mg-log
      action: dry-run
      match: { tag: MG, eventLocale: "sw1:p1" }
      expiration: { fixedUs: 400000 }
drivers:
  - id: d1
    locales: [h1, h2]
    socket: ${tmp.path('driver.sock')}
    udpPort: 0
    statsdPort: 0
    collectors: []
http: { port: 0 }
`,
    'test.yaml',
  );
  const sys = await startSystem(config, { logger: createLogger('silent') });
  const tagger = createTagger({ locale: 'h1', endpoint: tmp.path('driver.sock') });
  try {
    const driver = sys.drivers[0]!;
    const engine = sys.engine!;
    // History from a seeded scenario: tags through the driver's Tag Monitor, events as a collector emits them.
    const history: SmartRecord[] = [];
    for (const s of fixture({ seed: 11, durationS: 240, causal: true }).finish())
      for (let i = 0; i < s.times.length; i++) history.push({ time: s.times[i]!, locale: s.key.locale, kind: s.key.kind, name: s.key.name, value: s.values[i]! });
    for (let i = 0; i < history.length; i += 5000) {
      const chunk = history.slice(i, i + 5000);
      driver.ingestTags(chunk.filter((r) => r.kind === 'tag'));
      driver.ingestEvents(chunk.filter((r) => r.kind === 'event'));
    }
    await waitFor('the engine has the history', () => engine.stats.tags + engine.stats.events === history.length);
    assert.equal(await engine.learnNow(), 'published');
    await waitFor('the driver has the signatures', () => driver.signatures.size > 0);

    // The app asks for the decision on an actionable tag: the rule is in place when tagAndWait resolves.
    const res = await tagger.tagAndWait('MG', 30, { timeoutMs: 5000 });
    assert.equal(res.status, 'decided', JSON.stringify(res));
    assert.ok(res.status === 'decided' && res.reply.rules.some((r) => r.action === 'dry-run' && r.status === 'dry-run'));
    assert.equal(sys.status().controller!.activeRules.length, 1);
    assert.match(formatStatus(sys.status(), Date.now() * 1000), /MG@h1 -> drop@sw1:p1/);
    await waitFor('the rule expires', () => sys.controller!.rulesActive === 0, 5000);

    // Plain tags flow to the engine.
    const before = engine.stats.tags;
    for (let i = 0; i < 100; i++) tagger.tag('page', i);
    tagger.flush();
    await waitFor('100 app tags at the engine', () => engine.stats.tags >= before + 100);

    // Bad input on the UDP and StatsD ports.
    await sendUdp(driver.udpPort!, [Buffer.from('not a packet'), Buffer.alloc(65_100, 1)]);
    await sendUdp(driver.statsdPort!, [Buffer.from('MG:abc|g'), Buffer.from('MG:5|g|#locale:h2')]);
    await waitFor('rejects counted', () => driver.counters.rejected >= 3);

    const m = await scrape(sys.http!.url);
    assert.ok(m('smarttags_records_rejected_total', { component: 'driver', reason: 'malformed' }) >= 1);
    assert.ok(m('smarttags_records_rejected_total', { component: 'driver', reason: 'oversized' }) >= 1);
    assert.ok(m('smarttags_records_rejected_total', { component: 'driver', reason: 'statsd' }) >= 1);
    assert.ok(m('smarttags_tags_received_total', { component: 'engine' }) >= before + 100);
    assert.ok(m('smarttags_events_received_total', { component: 'driver' }) > 0);
    assert.ok(m('smarttags_rules_applied_total') >= 1);
    assert.ok(m('smarttags_rules_expired_total') >= 1);
    assert.equal(m('smarttags_rules_active'), 0);
    assert.equal(m('smarttags_learn_runs_total', { result: 'ok' }), 1);
    assert.equal(m('smarttags_signatures_generation'), 1);
    const status = (await (await fetch(new URL('/status', sys.http!.url))).json()) as SystemStatus;
    assert.equal(status.signatures?.generation, 1);
    assert.equal(status.drivers[0]?.id, 'd1');
  } finally {
    await tagger.close();
    await sys.stop();
    tmp.remove();
  }
  assert.ok(!existsSync(tmp.path('driver.sock')));
});

test('a flood at 10x the driver capacity keeps memory bounded and counts drops; nothing accepted is lost on the way to the engine', async () => {
  const tmp = tempDir('st-flood-');
  const capacity = 20_000;
  const config = parseConfig(
    `store: { path: ":memory:" }
engine: { learnIntervalSec: 3600, windowRecords: 200000 }
controller: { journal: ${tmp.path('rules.jsonl')} }
drivers:
  - id: d1
    locales: [app]
    socket: ${tmp.path('driver.sock')}
    maxRecordsPerSecond: ${capacity}
    maxQueuedRecords: 20000
    collectors: []
http: { port: 0 }
`,
    'flood.yaml',
  );
  const sys = await startSystem(config, { logger: createLogger('silent') });
  const tagger = createTagger({ locale: 'app', endpoint: tmp.path('driver.sock') });
  try {
    await waitFor('the tagger connects', () => tagger.connected);
    const driver = sys.drivers[0]!;
    const engine = sys.engine!;
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let rssMax = rss0;
    // 2 s at >= 10x capacity: 2000 tags per event-loop turn.
    const t0 = Date.now();
    let offered = 0;
    while (Date.now() - t0 < 2000) {
      for (let i = 0; i < 2000; i++) tagger.tag('flood', offered++);
      await new Promise((r) => setImmediate(r));
      if (offered % 100_000 === 0) rssMax = Math.max(rssMax, process.memoryUsage().rss);
    }
    const seconds = (Date.now() - t0) / 1000;
    assert.ok(offered / seconds >= 10 * capacity, `offered ${(offered / seconds).toFixed(0)}/s`);
    tagger.flush();
    await waitFor('the driver forwarded everything it accepted', () => driver.queuedRecords === 0 && engine.stats.tags === driver.counters.recordsPublished, 10_000);
    rssMax = Math.max(rssMax, process.memoryUsage().rss);

    const c = driver.counters;
    const sdk = tagger.stats;
    // Every offered tag is accounted for: sent by the SDK or dropped and counted there; received by the
    // driver or lost in transit; forwarded or dropped (rate limit / queue) and counted.
    assert.equal(sdk.tagged + sdk.rejected, offered);
    assert.equal(sdk.sent + sdk.droppedFull + sdk.droppedSlowDriver + sdk.droppedNoDriver, sdk.tagged);
    assert.ok(c.dropped > 0, 'drops counted at the driver');
    assert.equal(c.tagsReceived, c.recordsPublished + c.dropped);
    assert.equal(engine.stats.tags, c.recordsPublished);
    // Forwarding held to the capacity (token bucket starts full: allow one second of burst).
    assert.ok(c.recordsPublished <= capacity * (seconds + 1.5), `published ${c.recordsPublished} in ${seconds} s`);
    const m = await scrape(sys.http!.url);
    assert.equal(m('smarttags_records_dropped_total', { component: 'driver' }), c.dropped);
    assert.ok(rssMax - rss0 < 200 * 1024 * 1024, `RSS grew ${((rssMax - rss0) / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await tagger.close();
    await sys.stop();
    tmp.remove();
  }
});

test('the store section sets the engine store queue bound and commit period', async () => {
  const config = parseConfig('store: { path: ":memory:", maxQueuedRecords: 50000, commitIntervalMs: 60000 }\nengine: { learnIntervalSec: 3600 }\n', 'store.yaml');
  const sys = await startSystem(config, { roles: ['engine'], http: false, logger: createLogger('silent') });
  const engine = sys.engine!;
  const batch = (seq: number, n: number): RecordBatch => {
    const t0 = Date.now() * 1000;
    return { driver: 'd1', seq, boot: 'b1', records: Array.from({ length: n }, (_, i) => ({ time: t0 + i, locale: 'sw', kind: 'event' as const, name: 'qdisc_drop', value: 1 })) };
  };
  try {
    // Three batches of 20,000 in one turn: the third does not fit a 50,000-record queue (the default holds 1M).
    for (let seq = 1; seq <= 3; seq++) sys.bus.publish(SUBJECTS.records, batch(seq, 20_000));
    assert.equal(engine.stats.events, 60_000);
    assert.equal(engine.stats.persistDropped, 20_000);
    // A quarter of the queue starts a commit at once.
    await waitFor('the early commit', () => engine.stats.persisted === 40_000, 10_000);
    // Below that, records wait for the 60 s period (the default commits every 50 ms).
    sys.bus.publish(SUBJECTS.records, batch(4, 100));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(engine.stats.persisted, 40_000);
    assert.equal(engine.stats.persistQueued, 100);
    assert.equal((await sys.store!.query('SELECT count(*) AS n FROM records'))[0]!.n, 40_100n);
  } finally {
    await sys.stop();
  }
});
