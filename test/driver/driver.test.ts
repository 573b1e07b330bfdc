// Driver: malformed and oversized input counted with field and packet named, a flood at 10x capacity keeps
// memory bounded with losses counted, StatsD lines from the real hot-shots client become Tags, and the
// signature database keeps only the signatures that concern the driver.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatsD } from 'hot-shots';
import { InProcessBus } from '../../src/bus/in-process.ts';
import { SUBJECTS, type RecordBatch } from '../../src/bus/messages.ts';
import type { Signature } from '../../src/engine/signature.ts';
import { Driver, SignatureDb, parseStatsdLine } from '../../src/driver/index.ts';
import { encodeBatch } from '../../src/protocol/wire.ts';
import { createTagger } from '../../src/sdk/index.ts';

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function sendUdp(port: number, packets: Uint8Array[]): Promise<void> {
  const s = createSocket('udp4');
  return new Promise((resolve) => {
    let left = packets.length;
    for (const p of packets) {
      s.send(p, port, '127.0.0.1', () => {
        if (--left === 0) s.close(() => resolve());
      });
    }
  });
}

test('malformed and oversized packets are rejected, counted and named; good ones still flow', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-drv-'));
  const socket = join(dir, 'd.sock');
  const bus = new InProcessBus();
  const got: RecordBatch[] = [];
  bus.subscribe<RecordBatch>(SUBJECTS.records, (b) => got.push(b));
  const driver = new Driver({ id: 'd1', locales: ['h1'], bus, socketPath: socket, udpPort: 0, forwarder: { batchIntervalMs: 5 } });
  await driver.start();
  try {
    const good = encodeBatch(1, 'app', [{ time: 1_000_000, kind: 'tag', name: 'MG', value: 3 }]);
    const badMagic = Uint8Array.from(good);
    badMagic[0] = 0;
    const badVersion = Uint8Array.from(good);
    badVersion[2] = 9;
    const truncated = good.subarray(0, good.length - 5);
    const nan = encodeBatch(2, 'app', [{ time: 1_000_000, kind: 'tag', name: 'MG', value: 1 }]);
    new DataView(nan.buffer).setFloat64(nan.length - 16, Number.NaN, true);
    const badIndex = encodeBatch(3, 'app', [{ time: 1_000_000, kind: 'tag', name: 'MG', value: 1 }]);
    new DataView(badIndex.buffer).setUint16(badIndex.length - 8, 7, true);
    const ctrlName = encodeBatch(4, 'app', [{ time: 1_000_000, kind: 'tag', name: 'M\u0007G', value: 1 }]);
    const garbage = new TextEncoder().encode('hey');
    const oversized = new Uint8Array(65_100);
    await sendUdp(driver.udpPort!, [badMagic, badVersion, truncated, nan, badIndex, ctrlName, garbage, oversized, good]);
    await until(() => driver.counters.rejected === 8 && driver.counters.tagsReceived === 1, 3000, 'rejects counted');
    assert.equal(driver.counters.rejectedByReason.malformed, 7);
    assert.equal(driver.counters.rejectedByReason.oversized, 1);
    const msgs = driver.counters.recentRejects.join('\n');
    for (const field of ['field magic', 'field version', 'field recordCount', 'field records[0].value', 'field records[0].name', 'field names[0]', 'field header']) {
      assert.ok(msgs.includes(field), `a reject names ${field}:\n${msgs}`);
    }
    assert.match(msgs, /packet \d+/);
    assert.match(msgs, /65100 bytes exceeds/);

    // A stream frame announcing more than the limit closes that connection; the driver keeps serving others.
    const c = connect(socket);
    await new Promise<void>((r) => c.once('connect', () => r()));
    const huge = Buffer.alloc(8);
    huge.writeUInt32LE(10_000_000, 0);
    c.write(huge);
    await new Promise<void>((r) => c.once('close', () => r()));
    assert.equal(driver.counters.rejectedByReason.oversized, 2);
    assert.match(driver.counters.recentRejects.at(-1)!, /frame length 10000000 exceeds/);
    const t = createTagger({ endpoint: socket, locale: 'app2' });
    await until(() => t.connected, 3000, 'connection');
    t.tag('AFTER');
    t.flush();
    await until(() => got.some((b) => b.records.some((r) => r.name === 'AFTER')), 3000, 'a good tag after the bad input');
    await t.close();
  } finally {
    await driver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gaps in an app\'s UDP packet sequence are counted as lost in transit', async () => {
  const bus = new InProcessBus();
  const driver = new Driver({ id: 'd1', locales: ['h1'], bus, udpPort: 0 });
  await driver.start();
  try {
    const rec = [{ time: 1_000_000, kind: 'tag' as const, name: 'MG', value: 1 }];
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    for (const seq of [7, 8, 11, 12, 20]) await new Promise<void>((r) => s.send(encodeBatch(seq, 'app', rec), driver.udpPort!, '127.0.0.1', () => r()));
    await until(() => driver.counters.tagsReceived === 5, 3000, 'five packets');
    assert.equal(driver.counters.packetsLostInTransit, 2 + 7);
    await new Promise<void>((r) => s.close(() => r()));
  } finally {
    await driver.stop();
  }
});

test('a flood at 10x the driver capacity keeps memory bounded and counts every loss', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-drv-'));
  const socket = join(dir, 'd.sock');
  const bus = new InProcessBus();
  let published = 0;
  bus.subscribe<RecordBatch>(SUBJECTS.records, (b) => {
    published += b.records.length;
  });
  const capacity = 2_000; // records per second the driver forwards
  const driver = new Driver({ id: 'd1', locales: ['h1'], bus, socketPath: socket, forwarder: { maxRecordsPerSecond: capacity, maxQueuedRecords: 10_000, batchIntervalMs: 5 } });
  await driver.start();
  const taggers = [0, 1].map((i) => createTagger({ endpoint: socket, locale: `app${i}`, capacity: 4096 }));
  try {
    await until(() => taggers.every((t) => t.connected), 3000, 'connections');
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    // 2 apps x 200 tags per event-loop turn (>= 1 ms) for 1.5 s: at least 10x the capacity.
    const start = performance.now();
    while (performance.now() - start < 1500) {
      for (const t of taggers) for (let i = 0; i < 200; i++) t.tag('FLOOD', i);
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 1));
    }
    for (const t of taggers) t.flush();
    const tagged = taggers.reduce((s, t) => s + t.stats.tagged, 0);
    const sdkDropped = () => taggers.reduce((s, t) => s + t.stats.droppedFull + t.stats.droppedSlowDriver + t.stats.droppedNoDriver, 0);
    await until(() => driver.counters.tagsReceived + sdkDropped() === tagged, 5000, 'the driver to read every tag the apps sent');
    driver.flush();
    const heapAfter = process.memoryUsage().heapUsed;
    const c = driver.counters;
    const elapsedS = (performance.now() - start) / 1000;
    assert.ok(tagged / elapsedS >= 10 * capacity, `the flood produced ${tagged} tags in ${elapsedS} s`);
    assert.equal(published + c.dropped, c.tagsReceived, 'every received tag is published or counted as dropped');
    assert.ok(c.droppedByReason['rate-limit']! > 0.5 * c.tagsReceived, `most of the flood is shed: ${JSON.stringify(c.droppedByReason)}`);
    assert.ok(published <= capacity * (elapsedS + 1.5), `published ${published} within the capacity over ${elapsedS.toFixed(1)} s`);
    assert.ok(driver.queuedRecords <= 10_000);
    console.log(`flood: ${tagged} tagged, ${sdkDropped()} dropped at the SDK, ${c.tagsReceived} received, ${published} published, ${c.dropped} dropped at the driver in ${elapsedS.toFixed(2)} s, heap +${((heapAfter - heapBefore) / 1e6).toFixed(1)} MB`);
    assert.ok(heapAfter - heapBefore < 64 * 1024 * 1024, `heap grew by ${((heapAfter - heapBefore) / 1e6).toFixed(1)} MB`);
  } finally {
    for (const t of taggers) await t.close();
    await driver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('StatsD lines from the hot-shots client become Tags with their locale', async () => {
  const bus = new InProcessBus();
  const got: RecordBatch[] = [];
  bus.subscribe<RecordBatch>(SUBJECTS.records, (b) => got.push(b));
  const driver = new Driver({ id: 'd1', locales: ['h1'], bus, statsdPort: 0, forwarder: { batchIntervalMs: 5 } });
  await driver.start();
  const client = new StatsD({ host: '127.0.0.1', port: driver.statsdPort!, protocol: 'udp', maxBufferSize: 0 });
  try {
    client.gauge('MG', 40, { locale: 'memc-client-1' });
    client.increment('PUT', 2, { locale: 'memc-client-1' }); // (hot-shots samples client-side with a rate < 1)
    client.timing('QCT', 12.5);
    const raw = createSocket('udp4');
    await new Promise<void>((r) => raw.send('bad line\nok:1|g|#locale:x\nnum:abc|g\nset:1|s', driver.statsdPort!, '127.0.0.1', () => raw.close(() => r())));
    const records = () => got.flatMap((b) => b.records);
    await until(() => records().length === 4, 3000, 'four StatsD tags');
    const byName = new Map(records().map((r) => [r.name, r]));
    assert.deepEqual({ ...byName.get('MG'), time: 0 }, { time: 0, locale: 'memc-client-1', kind: 'tag', name: 'MG', value: 40 });
    assert.equal(byName.get('PUT')!.value, 2);
    assert.equal(byName.get('QCT')!.locale, 'h1', 'no locale tag: the driver stamps its own');
    assert.equal(byName.get('ok')!.locale, 'x');
    assert.equal(driver.counters.rejectedByReason.statsd, 3);
    assert.match(driver.counters.recentRejects.join('\n'), /line 3: field value/);
  } finally {
    await new Promise<void>((r) => client.close(() => r()));
    await driver.stop();
  }
  assert.deepEqual(parseStatsdLine('a.b:2|ms|@0.1|#env:x,locale:h'), { ok: true, name: 'a.b', value: 2, locale: 'h' });
  assert.deepEqual(parseStatsdLine('c:3|c|@0.5'), { ok: true, name: 'c', value: 6, locale: null }, 'a counter is scaled by its sample rate');
  assert.equal(parseStatsdLine('a:1|c|@0').ok, false);
});

test('the signature database keeps what concerns the driver and ignores stale generations', () => {
  const sig = (name: string, locale: string) => ({ tag: { name, locale }, event: { name: 'drop', locale: 'sw' } }) as Signature;
  const db = new SignatureDb(['h1', 'rack2/*']);
  const doc = (signatures: Signature[]) => ({ version: 1, params: {}, signatures });
  assert.equal(db.update({ generation: 2, doc: doc([sig('MG', 'h1'), sig('MG', 'h9'), sig('MG', 'rack2/h3'), sig('MG', '*'), sig('PUT', 'other')]) }), true);
  assert.equal(db.size, 3);
  assert.equal(db.lookup('h1', 'MG')!.length, 2, 'own and pooled');
  assert.equal(db.lookup('rack2/h3', 'MG')!.length, 2);
  assert.equal(db.lookup('h9', 'MG')!.length, 1, 'pooled only');
  assert.equal(db.lookup('h1', 'PUT'), undefined);
  db.addLocale('other');
  assert.equal(db.lookup('other', 'PUT')!.length, 1, 'a newly announced locale is re-selected');
  assert.equal(db.update({ generation: 1, doc: doc([]) }), false);
  assert.equal(db.size, 4);
  assert.equal(db.update({ generation: 3, doc: doc([]) }), true);
  assert.equal(db.size, 0);
});
