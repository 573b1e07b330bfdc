// Driver -> app writes: a hint the controller publishes while deciding on a Tag an app waits for reaches that app
// inside the reply (one packet, one wake-up), other apps of the locale as a hint packet; a hint the reply does not
// carry (or a failed decision) leaves as a hint packet in the same write, before the reply.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessBus } from '../../src/bus/in-process.ts';
import { SUBJECTS, type ActionReply, type ActionRequest, type Hint } from '../../src/bus/messages.ts';
import type { Signature } from '../../src/engine/signature.ts';
import { Driver } from '../../src/driver/index.ts';
import { FrameReader, PacketType, ReplyStatus, decodePacket, encodeBatch, FRAME_PREFIX_BYTES, type DecodedPacket } from '../../src/protocol/wire.ts';

const signature: Signature = {
  tag: { name: 'MG', locale: 'app-r' }, event: { name: 'qdisc_drop', locale: 'sw1/p1' }, relation: '1-hop',
  probability: 0.9, hitRate: 0.95, baselineRate: 0.05, lift: 19, pValue: 1e-9, qValue: 1e-8, support: 100, hits: 95,
  leadTime: { min: 500, p05: 800, p50: 1500, p95: 3000 }, window: { start: 500, end: 5000 },
  extent: { bins: [], threshold: null, sizeSlope: 0, logistic: null },
};

/** A raw app connection: sends framed packets, collects what it reads (one entry per read), act-above tables aside. */
async function rawApp(socketPath: string, locale: string): Promise<{ reads: DecodedPacket[][]; send(p: Uint8Array): void; close(): void }> {
  const client = connect(socketPath);
  await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
  const reads: DecodedPacket[][] = [];
  let packetNo = 0;
  const reader = new FrameReader();
  client.on('data', (chunk: Buffer) => {
    const packets: DecodedPacket[] = [];
    reader.push(chunk, (p) => {
      const d = decodePacket(p, ++packetNo);
      if (d.type !== PacketType.thresholds) packets.push(d); // act-above tables arrive on announce; not under test here
    });
    if (packets.length > 0) reads.push(packets);
  });
  const send = (packet: Uint8Array) => {
    const framed = Buffer.alloc(FRAME_PREFIX_BYTES + packet.length);
    framed.writeUInt32LE(packet.length, 0);
    framed.set(packet, FRAME_PREFIX_BYTES);
    client.write(framed);
  };
  send(encodeBatch(0, locale, [])); // announces the locale: the driver takes its signature and hints
  return { reads, send, close: () => client.destroy() };
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('the waiting app gets the hint its Tag triggered inside the reply, in one read; another app of the locale as a hint packet', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-replies-'));
  const socketPath = join(dir, 'driver.sock');
  const bus = new InProcessBus();
  const driver = new Driver({ id: 'd1', locales: ['host-a'], bus, socketPath });
  // Round 1: the decision carries the hint; 2: a hint published but not in the reply; 3: the decision fails after it.
  bus.respond<ActionRequest, ActionReply>(SUBJECTS.action, async (req) => {
    const hint: Hint = { locale: req.tag.locale, tag: req.tag.name, action: 'stagger', params: { slotUs: 700 + req.tag.value }, expiresAt: req.tag.time + 5000 };
    bus.publish(SUBJECTS.hint(req.tag.locale), hint);
    await Promise.resolve();
    if (req.tag.value === 3) throw new Error('no actuator today');
    return { tag: req.tag, rules: [], hints: req.tag.value === 1 ? [hint] : [] };
  });
  await driver.start();
  bus.publish(SUBJECTS.signatures, { generation: 1, doc: { version: 1, params: {}, signatures: [signature] } });
  const waiting = await rawApp(socketPath, 'app-r');
  const other = await rawApp(socketPath, 'app-r');
  try {
    // Each announce is answered with the locale's act-above table.
    await waitFor(() => driver.signatures.size === 1 && driver.counters.thresholdTablesSent === 2, 'both apps announcing their locale');
    for (let round = 1; round <= 3; round++) {
      const before = waiting.reads.length;
      waiting.send(encodeBatch(round, 'app-r', [{ time: Date.now() * 1000, kind: 'tag', name: 'MG', value: round, requestId: round }]));
      await waitFor(() => waiting.reads.flat().filter((p) => p.type === PacketType.reply).length === round, `reply ${round}`);
      await waitFor(() => other.reads.length === round, `hint ${round} at the other app`);
      const got = waiting.reads.slice(before);
      assert.equal(got.length, 1, `round ${round}: one read, got ${got.length}`);
      const packets = got[0]!;
      const reply = packets.at(-1)!;
      assert.ok(reply.type === PacketType.reply && reply.reply.requestId === round, `round ${round}: the reply comes last`);
      if (round === 1) {
        assert.equal(packets.length, 1, 'round 1: the reply alone');
        assert.deepEqual(reply.reply.hintsOnlyInReply, [0]);
        assert.equal(reply.reply.reply?.hints[0]?.params.slotUs, 701);
      } else {
        assert.equal(packets.length, 2, `round ${round}: a hint packet, then the reply`);
        const hint = packets[0]!;
        assert.ok(hint.type === PacketType.hint && hint.hint.params.slotUs === 700 + round, `round ${round}: the hint packet first`);
        assert.equal(reply.reply.hintsOnlyInReply, undefined);
        assert.equal(reply.reply.status, round === 3 ? ReplyStatus.failed : ReplyStatus.decided);
      }
      const seen = other.reads[round - 1]!;
      assert.ok(seen.length === 1 && seen[0]!.type === PacketType.hint && seen[0]!.hint.params.slotUs === 700 + round, `round ${round}: the other app's hint packet`);
    }
    assert.equal(driver.counters.hintsDelivered, 6);
    assert.equal(driver.counters.hintsUndeliverable, 0);
    assert.equal(driver.counters.repliesSent, 3);
  } finally {
    waiting.close();
    other.close();
    await driver.stop();
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
