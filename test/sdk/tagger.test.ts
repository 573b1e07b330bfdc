// SDK tagger: never throws or blocks without a driver (drops counted), batches reach a real driver over the
// Unix socket and UDP, locales are stamped, tagAndWait resolves with the controller's reply or times out, hints arrive.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessBus } from '../../src/bus/in-process.ts';
import { SUBJECTS, type ActionReply, type ActionRequest, type Hint, type RecordBatch } from '../../src/bus/messages.ts';
import type { Signature } from '../../src/engine/signature.ts';
import { Driver } from '../../src/driver/index.ts';
import { createTagger, nowMicros, type Tagger } from '../../src/sdk/index.ts';

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function signature(tagName: string, tagLocale: string): Signature {
  return {
    tag: { name: tagName, locale: tagLocale }, event: { name: 'qdisc_drop', locale: 'sw1/p1' }, relation: '1-hop',
    probability: 0.9, hitRate: 0.95, baselineRate: 0.05, lift: 19, pValue: 1e-9, qValue: 1e-8, support: 100, hits: 95,
    leadTime: { min: 500, p05: 800, p50: 1500, p95: 3000 }, window: { start: 500, end: 5000 },
    extent: { bins: [], threshold: null, sizeSlope: 0, logistic: null },
  };
}

async function withDriver(fn: (ctx: { bus: InProcessBus; driver: Driver; socket: string; batches: RecordBatch[] }) => Promise<void>, udp = false): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'st-sdk-'));
  const socket = join(dir, 'driver.sock');
  const bus = new InProcessBus();
  const batches: RecordBatch[] = [];
  bus.subscribe<RecordBatch>(SUBJECTS.records, (b) => batches.push(b));
  const driver = new Driver({ id: 'd1', locales: ['host-a'], bus, socketPath: socket, udpPort: udp ? 0 : undefined, forwarder: { batchIntervalMs: 5 } });
  await driver.start();
  try {
    await fn({ bus, driver, socket, batches });
  } finally {
    await driver.stop();
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('without a driver, tag() never throws or blocks and counts what it drops', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-sdk-'));
  const t = createTagger({ endpoint: join(dir, 'nobody.sock'), locale: 'app', capacity: 1024 });
  try {
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) t.tag('MG', i);
    t.tag('', 1);
    t.tag('bad\u0001name', 1);
    t.tag('x'.repeat(300), 1);
    t.tag('MG', Number.NaN);
    t.tag(undefined as unknown as string);
    t.tag('MG', 'seven' as unknown as number);
    const elapsed = performance.now() - t0;
    assert.ok(elapsed < 2000, `100k tags took ${elapsed} ms`);
    assert.equal(t.stats.tagged, 1024, 'the ring holds its capacity');
    assert.equal(t.stats.droppedNoDriver, 100_000 - 1024);
    assert.equal(t.stats.rejected, 6);
    assert.equal(t.connected, false);
    const r = await t.tagAndWait('MG', 1, { timeoutMs: 50 });
    assert.equal(r.status, 'no-driver');
    t.flush();
  } finally {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => createTagger({ locale: '' }), /locale empty/);
  assert.throws(() => createTagger({ endpoint: 'udp://10.0.0.1:9' }), /loopback only/);
});

test('batches arrive at a real driver over the Unix socket, with locale, names, values and times', async () => {
  await withDriver(async ({ socket, batches, driver }) => {
    const t = createTagger({ endpoint: socket, locale: 'app:web-1', batchSize: 100 });
    const anon = createTagger({ endpoint: socket });
    try {
      await until(() => t.connected && anon.connected, 3000, 'connection');
      const before = nowMicros();
      for (let i = 0; i < 5000; i++) t.tag(i % 2 ? 'MG' : 'PUT', i);
      anon.tag('BOOT');
      t.flush();
      anon.flush();
      const records = () => batches.flatMap((b) => b.records);
      await until(() => records().length === 5001, 5000, '5001 records');
      const after = nowMicros();
      const mine = records().filter((r) => r.locale === 'app:web-1');
      assert.equal(mine.length, 5000);
      assert.deepEqual(mine.map((r) => r.value), Array.from({ length: 5000 }, (_, i) => i));
      assert.ok(mine.every((r, i) => r.kind === 'tag' && r.name === (i % 2 ? 'MG' : 'PUT')));
      assert.ok(mine.every((r) => r.time >= before && r.time <= after && Number.isInteger(r.time)));
      const boot = records().find((r) => r.name === 'BOOT');
      assert.equal(boot?.locale, 'host-a', 'a tag without locale gets the driver default');
      assert.deepEqual(batches.map((b) => b.seq), batches.map((_, i) => i + 1), 'batches numbered without gaps');
      assert.equal(t.stats.sent, 5000);
      assert.equal(driver.counters.tagsReceived, 5001);
      assert.equal(driver.counters.rejected, 0);
    } finally {
      await t.close();
      await anon.close();
    }
  });
});

test('a lone tag leaves by the flush timer, which the next tag re-arms after an idle pause', async () => {
  await withDriver(async ({ driver, socket }) => {
    const t = createTagger({ endpoint: socket, locale: 'app-idle', flushIntervalMs: 20 });
    try {
      await until(() => t.connected, 3000, 'connect');
      for (let round = 1; round <= 3; round++) {
        t.tag('LONE', round); // far below batchSize: only the timer sends it
        await until(() => driver.counters.tagsReceived === round, 3000, `lone tag ${round}`);
        assert.equal(t.stats.sent, round);
        await new Promise((r) => setTimeout(r, 60)); // idle: the timer fired and is not re-armed until the next tag
      }
    } finally {
      await t.close();
    }
  });
});

test('tag times: a burst may share a clock reading, a lone tag and every new event-loop turn read the clock again', async () => {
  await withDriver(async ({ socket, batches }) => {
    const shared = createTagger({ endpoint: socket, locale: 'reuse' });
    const exact = createTagger({ endpoint: socket, locale: 'exact', clockReuse: 0 });
    const lone = createTagger({ endpoint: socket, locale: 'lone' });
    try {
      await until(() => shared.connected && exact.connected && lone.connected, 3000, 'connections');
      const busy = (ms: number) => {
        const end = performance.now() + ms;
        while (performance.now() < end);
      };
      for (const t of [shared, exact]) {
        for (let i = 0; i < 20; i++) t.tag('A0'); // a burst
        t.tag('A');
        busy(3); // the same synchronous run
        t.tag('B');
      }
      lone.tag('A');
      busy(3); // the same run, but A came alone: its reading is not shared
      lone.tag('B');
      await new Promise((r) => setTimeout(r, 5)); // a new turn
      shared.tag('C');
      for (const t of [shared, exact, lone]) t.flush();
      const rec = () => batches.flatMap((b) => b.records);
      await until(() => rec().length === 47, 3000, 'all tags');
      const at = (locale: string, name: string) => rec().find((r) => r.locale === locale && r.name === name)!.time;
      assert.equal(at('reuse', 'B'), at('reuse', 'A'), 'a reused reading within one synchronous run');
      assert.ok(at('exact', 'B') - at('exact', 'A') >= 2900, 'clockReuse 0 reads the clock for every tag');
      assert.ok(at('lone', 'B') - at('lone', 'A') >= 2900, 'a lone tag lets no later tag share its reading');
      assert.ok(at('reuse', 'C') - at('reuse', 'B') >= 4000, 'the next turn reads the clock again');
    } finally {
      await shared.close();
      await exact.close();
      await lone.close();
    }
  });
});

test('UDP loopback transport delivers batches, and hints reach the app', async () => {
  await withDriver(async ({ bus, driver, batches }) => {
    const t = createTagger({ endpoint: `udp://127.0.0.1:${driver.udpPort}`, locale: 'app-u' });
    try {
      await until(() => t.connected, 3000, 'UDP bind');
      for (let i = 0; i < 300; i++) t.tag('Q', i);
      t.flush();
      await until(() => batches.flatMap((b) => b.records).length === 300, 5000, '300 records over UDP');
      const hints: Hint[] = [];
      const stop = t.onHint((h) => hints.push(h));
      const hint: Hint = { locale: 'app-u', tag: 'Q', action: 'stagger', params: { slotUs: 800 }, expiresAt: nowMicros() + 1e6 };
      bus.publish(SUBJECTS.hint('app-u'), hint);
      await until(() => hints.length === 1, 3000, 'hint');
      assert.deepEqual(hints[0], hint);
      assert.equal(driver.counters.hintsDelivered, 1);
      // With no handler left, a hint is still counted (its body is not decoded) and reaches nobody.
      stop();
      bus.publish(SUBJECTS.hint('app-u'), hint);
      await until(() => t.stats.hints === 2, 3000, 'the unread hint counted');
      assert.deepEqual({ delivered: hints.length, bad: t.stats.badPackets }, { delivered: 1, bad: 0 });
    } finally {
      await t.close();
    }
  }, true);
});

test('tagAndWait resolves with the controller decision, says when no signature applies, and times out cleanly', async () => {
  await withDriver(async ({ bus, socket, driver }) => {
    bus.publish(SUBJECTS.signatures, { generation: 1, doc: { version: 1, params: {}, signatures: [signature('MG', 'app:client'), signature('SLOW', 'app:client')] } });
    assert.equal(driver.signatures.size, 0, 'no app of locale app:client yet');
    const requests: ActionRequest[] = [];
    bus.respond<ActionRequest, ActionReply>(SUBJECTS.action, async (req) => {
      requests.push(req);
      if (req.tag.name === 'SLOW') await new Promise((r) => setTimeout(r, 400));
      return {
        tag: req.tag,
        rules: [{ id: 'r1', action: 'pace', target: 'veth0', params: { rateBps: 20e6 }, expiresAt: req.tag.time + 5000, status: 'applied' }],
        hints: [{ locale: req.tag.locale, tag: req.tag.name, action: 'stagger', params: { slotUs: 1000 }, expiresAt: req.tag.time + 5000 }],
      };
    });
    const t: Tagger = createTagger({ endpoint: socket, locale: 'app:client' });
    try {
      await until(() => driver.signatures.size === 2, 3000, 'the app announcing its locale');
      const r = await t.tagAndWait('MG', 5, { timeoutMs: 2000 });
      assert.equal(r.status, 'decided');
      assert.ok(r.status === 'decided' && r.reply.rules[0]!.action === 'pace' && r.reply.hints[0]!.params.slotUs === 1000);
      assert.equal(requests[0]!.tag.value, 5);
      assert.equal(requests[0]!.signatures[0]!.event.name, 'qdisc_drop');

      const none = await t.tagAndWait('OTHER', 1, { timeoutMs: 2000 });
      assert.equal(none.status, 'no-signature');

      const slow = await t.tagAndWait('SLOW', 1, { timeoutMs: 100 });
      assert.equal(slow.status, 'timeout');
      assert.ok(slow.waitedUs >= 90_000 && slow.waitedUs < 1_000_000, `timed out after ${slow.waitedUs} us`);
      await until(() => driver.counters.actionsDecided === 2 && driver.counters.repliesSent === 3, 3000, 'the late reply'); // ...which the tagger ignores
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(t.stats.replies, 2);
    } finally {
      await t.close();
    }
  });
});

test('a hint decided on the app\'s own Tag reaches its onHint once, from the reply; another app of the locale gets it too', async () => {
  await withDriver(async ({ bus, driver, socket }) => {
    bus.publish(SUBJECTS.signatures, { generation: 1, doc: { version: 1, params: {}, signatures: [signature('MG', 'app:h')] } });
    bus.respond<ActionRequest, ActionReply>(SUBJECTS.action, (req) => {
      const hint: Hint = { locale: req.tag.locale, tag: req.tag.name, action: 'stagger', params: { slotUs: 900 }, expiresAt: req.tag.time + 5000 };
      bus.publish(SUBJECTS.hint(req.tag.locale), hint);
      return { tag: req.tag, rules: [], hints: [hint] };
    });
    const asking = createTagger({ endpoint: socket, locale: 'app:h' });
    const other = createTagger({ endpoint: socket, locale: 'app:h' });
    try {
      const heard: Hint[] = [];
      const heardByOther: Hint[] = [];
      asking.onHint((h) => heard.push(h));
      other.onHint((h) => heardByOther.push(h));
      await until(() => driver.signatures.size === 1 && driver.counters.thresholdTablesSent === 2, 3000, 'both apps announcing their locale');
      const r = await asking.tagAndWait('MG', 3, { timeoutMs: 2000 });
      assert.equal(heard.length, 1, 'heard before the wait resolved');
      assert.ok(r.status === 'decided' && r.reply.hints.length === 1);
      await until(() => heardByOther.length === 1, 3000, 'the hint at the other app');
      await new Promise((res) => setTimeout(res, 50));
      assert.deepEqual(heard, r.reply.hints, 'heard once');
      assert.deepEqual(heardByOther, r.reply.hints);
      assert.deepEqual([asking.stats.hints, other.stats.hints, driver.counters.hintsDelivered], [1, 1, 2]);
    } finally {
      await asking.close();
      await other.close();
    }
  });
});

test('the tagger reconnects to a restarted driver and resumes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-sdk-'));
  const socket = join(dir, 'driver.sock');
  const bus = new InProcessBus();
  const got: string[] = [];
  bus.subscribe<RecordBatch>(SUBJECTS.records, (b) => got.push(...b.records.map((r) => r.name)));
  let driver = new Driver({ id: 'd1', locales: ['h'], bus, socketPath: socket, forwarder: { batchIntervalMs: 5 } });
  await driver.start();
  const t = createTagger({ endpoint: socket, locale: 'a', reconnectMs: 50 });
  try {
    await until(() => t.connected, 3000, 'connection');
    t.tag('ONE');
    t.flush();
    await until(() => got.includes('ONE'), 3000, 'ONE');
    await driver.stop();
    await until(() => !t.connected, 3000, 'disconnect');
    t.tag('TWO'); // kept in the ring while the driver is away
    driver = new Driver({ id: 'd1', locales: ['h'], bus, socketPath: socket, forwarder: { batchIntervalMs: 5 } });
    await driver.start();
    await until(() => got.includes('TWO'), 5000, 'TWO after reconnection');
    assert.equal(t.stats.droppedNoDriver, 0);
  } finally {
    await t.close();
    await driver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an app whose last work is `await tagger.close()` delivers its tags and exits normally', async () => {
  await withDriver(async ({ socket, batches }) => {
    const sdk = new URL('../../src/sdk/index.ts', import.meta.url).pathname;
    const code = `import { createTagger } from ${JSON.stringify(sdk)};
      const t = createTagger({ endpoint: ${JSON.stringify(socket)}, locale: 'app:last' });
      await new Promise((r) => setTimeout(r, 300));
      t.tag('LAST', 7);
      await t.close();
      process.stdout.write('closed\\n');`;
    const { execFile } = await import('node:child_process');
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { timeout: 20_000 }, (err, stdout) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
      );
      child.stdin?.end();
    });
    assert.equal(out.code, 0, 'the app exits with code 0, not 13 (unsettled close)');
    assert.equal(out.stdout, 'closed\n');
    await until(() => batches.some((b) => b.records.some((r) => r.name === 'LAST' && r.value === 7)), 3000, 'the last tag');
  });
});
