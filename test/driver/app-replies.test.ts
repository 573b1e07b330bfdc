// Driver -> app writes: a hint the controller publishes while deciding on a Tag and the reply to that Tag leave
// in one write as soon as the reply exists, hint first, so the waiting app is woken once and sees both.

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
import { FrameReader, PacketType, decodePacket, encodeBatch, FRAME_PREFIX_BYTES, type DecodedPacket } from '../../src/protocol/wire.ts';

const signature: Signature = {
  tag: { name: 'MG', locale: 'app-r' }, event: { name: 'qdisc_drop', locale: 'sw1/p1' }, relation: '1-hop',
  probability: 0.9, hitRate: 0.95, baselineRate: 0.05, lift: 19, pValue: 1e-9, qValue: 1e-8, support: 100, hits: 95,
  leadTime: { min: 500, p05: 800, p50: 1500, p95: 3000 }, window: { start: 500, end: 5000 },
  extent: { bins: [], threshold: null, sizeSlope: 0, logistic: null },
};

test('a hint published while deciding and the reply reach the app in one read, hint first', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-replies-'));
  const socketPath = join(dir, 'driver.sock');
  const bus = new InProcessBus();
  const driver = new Driver({ id: 'd1', locales: ['host-a'], bus, socketPath });
  bus.respond<ActionRequest, ActionReply>(SUBJECTS.action, async (req) => {
    const hint: Hint = { locale: req.tag.locale, tag: req.tag.name, action: 'stagger', params: { slotUs: 700 }, expiresAt: req.tag.time + 5000 };
    bus.publish(SUBJECTS.hint(req.tag.locale), hint);
    await Promise.resolve();
    return { tag: req.tag, rules: [], hints: [hint] };
  });
  await driver.start();
  bus.publish(SUBJECTS.signatures, { generation: 1, doc: { version: 1, params: {}, signatures: [signature] } });
  const client = connect(socketPath);
  try {
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
      if (packets.length === 0) return;
      reads.push(packets);
    });
    const send = (packet: Uint8Array) => {
      const framed = Buffer.alloc(FRAME_PREFIX_BYTES + packet.length);
      framed.writeUInt32LE(packet.length, 0);
      framed.set(packet, FRAME_PREFIX_BYTES);
      client.write(framed);
    };
    send(encodeBatch(0, 'app-r', [])); // announces the locale: the driver takes its signature and hints
    const deadline = Date.now() + 5000;
    while (driver.signatures.size !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(driver.signatures.size, 1, 'the app announced its locale');
    for (let round = 1; round <= 3; round++) {
      const before = reads.length;
      send(encodeBatch(round, 'app-r', [{ time: Date.now() * 1000, kind: 'tag', name: 'MG', value: round, requestId: round }]));
      const until = Date.now() + 5000;
      while (reads.flat().filter((p) => p.type === PacketType.reply).length < round && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      const got = reads.slice(before);
      assert.equal(got.length, 1, `round ${round}: hint and reply in one read, got ${got.length} reads`);
      const [hint, reply] = got[0]!;
      assert.ok(hint?.type === PacketType.hint && hint.hint.params.slotUs === 700, `round ${round}: the hint comes first`);
      assert.ok(reply?.type === PacketType.reply && reply.reply.requestId === round && reply.reply.reply?.hints.length === 1, `round ${round}: then the reply`);
    }
    assert.equal(driver.counters.hintsDelivered, 3);
    assert.equal(driver.counters.repliesSent, 3);
  } finally {
    client.destroy();
    await driver.stop();
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
