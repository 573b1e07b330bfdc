// tagAndWait's fast paths: the driver pushes an act-above value per tag name from the signatures' extent; a Tag
// below it resolves 'no-action' in the app without a request to the driver, above it goes to the controller. A
// controller reply of value- and time-independent hints only stands for the tag name: the SDK answers later
// waits on that name itself until the next act-above table (real driver, real controller).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessBus } from '../../src/bus/in-process.ts';
import { SUBJECTS, type ActionReply, type ActionRequest, type SignaturesUpdate } from '../../src/bus/messages.ts';
import type { Extent, Signature } from '../../src/engine/signature.ts';
import { Driver } from '../../src/driver/index.ts';
import { createController, parseControllerConfig } from '../../src/controller/index.ts';
import { createTagger } from '../../src/sdk/index.ts';

function signature(name: string, extent: Extent): Signature {
  return {
    tag: { name, locale: 'app-r' }, event: { name: 'qdisc_drop', locale: 'sw1/p1' }, relation: '1-hop',
    probability: 0.3, hitRate: 0.35, baselineRate: 0.05, lift: 7, pValue: 1e-9, qValue: 1e-8, support: 100, hits: 35,
    leadTime: { min: 500, p05: 800, p50: 1500, p95: 3000 }, window: { start: 500, end: 5000 }, extent,
  };
}
/** Logistic extent crossing p = 0.5 at value 100. */
const at100: Extent = { bins: [], threshold: 100, sizeSlope: 0, logistic: { a: -5, b: 0.05 } };
const noExtent: Extent = { bins: [], threshold: null, sizeSlope: 0, logistic: null };

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

test('tagAndWait below the act-above value resolves no-action without asking; above it goes to the controller; the table follows signature updates', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-fast-'));
  const socketPath = join(dir, 'driver.sock');
  const bus = new InProcessBus();
  const driver = new Driver({ id: 'd1', locales: ['host-a'], bus, socketPath });
  const asked: number[] = [];
  bus.respond<ActionRequest, ActionReply>(SUBJECTS.action, async (req) => {
    asked.push(req.tag.value);
    return { tag: req.tag, rules: [], hints: [] };
  });
  await driver.start();
  const publish = (generation: number, sigs: Signature[]) => bus.publish<SignaturesUpdate>(SUBJECTS.signatures, { generation, doc: { version: 1, params: {}, signatures: sigs } });
  publish(1, [signature('MG', at100), signature('GET', noExtent)]);
  const t = createTagger({ endpoint: socketPath, locale: 'app-r', flushIntervalMs: 1 });
  try {
    await until(() => t.stats.thresholdTables >= 1, 'the act-above table on announce');
    assert.deepEqual(driver.thresholdsFor('app-r').thresholds.sort((x, y) => x.name.localeCompare(y.name)).map((e) => [e.name, e.actAbove === null ? null : Math.round(e.actAbove * 1e9) / 1e9]), [['GET', null], ['MG', 100]]);

    assert.deepEqual([t.actsOn('MG', 5), t.actsOn('MG', 500), t.actsOn('GET', 1), t.actsOn('unknown', 1)], [false, true, true, true]);
    const repliesBefore = driver.counters.repliesSent;
    const small = await t.tagAndWait('MG', 5);
    assert.equal(small.status, 'no-action');
    assert.equal(t.stats.noAction, 1);
    await until(() => driver.counters.tagsReceived >= 1, 'the small Tag still reaching the driver for identification');
    assert.equal(driver.counters.repliesSent, repliesBefore, 'no request was answered for the small Tag');

    const big = await t.tagAndWait('MG', 500);
    assert.equal(big.status, 'decided');
    assert.ok(asked.includes(500), 'the large Tag reached the controller');

    const noExt = await t.tagAndWait('GET', 1);
    assert.equal(noExt.status, 'decided', 'a signature without extent keeps asking');

    // Generation 2 moves MG's threshold to 50% at value 2 (a = -1, b = 0.5): 5 now asks.
    const tables = t.stats.thresholdTables;
    publish(2, [signature('MG', { ...at100, logistic: { a: -1, b: 0.5 } })]);
    await until(() => t.stats.thresholdTables > tables, 'the table after the signature update');
    const again = await t.tagAndWait('MG', 5);
    assert.equal(again.status, 'decided');
    assert.equal(t.stats.noAction, 1);
    assert.equal(t.actsOn('MG', 5), true, 'actsOn follows the new table');
    const tiny = await t.tagAndWait('MG', 1);
    assert.equal(tiny.status, 'no-action');
    // GET lost its signature: the driver answers no-signature as before.
    assert.equal((await t.tagAndWait('GET', 1)).status, 'no-signature');
  } finally {
    await t.close();
    await driver.stop();
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a hint-only decision stands: later waits on the name are answered in the app until the next table; a kernel rule never stands', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-standing-'));
  const socketPath = join(dir, 'driver.sock');
  const bus = new InProcessBus();
  const controller = createController(bus, parseControllerConfig({
    journal: join(dir, 'rules.jsonl'),
    dryRun: true,
    policies: [
      { name: 'window', match: { tag: 'MG', event: 'qdisc_drop' }, action: 'hint', targets: [{ locale: '$tag' }], derive: { bufferBytes: 30_000, bottleneckBps: 80e6 } },
      { name: 'pace', match: { tag: 'PS', event: 'qdisc_drop' }, action: 'pace', targets: [{ dev: 'eth0' }], params: { rate: 10e6 } },
    ],
  }));
  await controller.start();
  const driver = new Driver({ id: 'd1', locales: ['host-a'], bus, socketPath });
  await driver.start();
  const publish = (generation: number, sigs: Signature[]) => bus.publish<SignaturesUpdate>(SUBJECTS.signatures, { generation, doc: { version: 1, params: {}, signatures: sigs } });
  publish(1, [signature('MG', at100), signature('PS', at100)]);
  const t = createTagger({ endpoint: socketPath, locale: 'app-r', flushIntervalMs: 1 });
  try {
    await until(() => t.stats.thresholdTables >= 1, 'the act-above table');

    const first = await t.tagAndWait('MG', 800);
    assert.equal(first.status, 'decided');
    assert.ok(first.status === 'decided' && first.reply.standing === true && !first.local, 'the first answer comes from the controller and stands');
    const hint = first.status === 'decided' ? first.reply.hints[0]! : null;
    assert.equal(hint?.action, 'window');
    assert.ok(Number(hint?.params['windowBytes']) > 0);

    const replies = driver.counters.repliesSent;
    const second = await t.tagAndWait('MG', 400);
    assert.ok(second.status === 'decided' && second.local === true, 'the second is answered in the app');
    assert.deepEqual(second.status === 'decided' ? second.reply.hints.map((h) => h.params) : null, first.status === 'decided' ? first.reply.hints.map((h) => h.params) : null);
    assert.equal(second.status === 'decided' ? second.reply.tag.value : null, 400);
    assert.equal(t.stats.standing, 1);
    assert.equal(driver.counters.repliesSent, replies, 'no round trip for the standing answer');
    // Below the act-above value it is still no-action, and the Tag still reaches the driver.
    assert.equal((await t.tagAndWait('MG', 5)).status, 'no-action');

    // A kernel rule (pace, dry run here) never stands: every wait asks.
    for (let i = 0; i < 2; i++) {
      const r = await t.tagAndWait('PS', 800);
      assert.ok(r.status === 'decided' && !r.local && r.reply.standing === undefined && r.reply.rules.length === 1, `PS wait ${i}`);
    }

    // New signatures, new table: the standing decision is dropped and the next wait asks again.
    const tables = t.stats.thresholdTables;
    publish(2, [signature('MG', at100)]);
    await until(() => t.stats.thresholdTables > tables, 'the table after the update');
    const third = await t.tagAndWait('MG', 800);
    assert.ok(third.status === 'decided' && !third.local && third.reply.standing === true, 'asked again after the new table');
    assert.equal(t.stats.standing, 1);
  } finally {
    await t.close();
    await driver.stop();
    await controller.close();
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
