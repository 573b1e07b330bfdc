// Wire format: identifiers decode the same by the printable-ASCII fast path and the strict UTF-8 path, and every
// bad identifier is named by field; a reply's hintsOnlyInReply must index its hints.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketType, ReplyStatus, WireError, decodePacket, encodeBatch, encodeReply } from '../../src/protocol/wire.ts';

const rec = (name: string) => ({ time: 1_000_000, kind: 'tag' as const, name, value: 2 });

test('locales and names decode whether ASCII or not; bad ones are named by field', () => {
  for (const [locale, name] of [['app:web-1', 'MG'], ['', 'x'], ['café/東京', 'naïve'], ['a'.repeat(256), 'b'.repeat(256)]]) {
    const d = decodePacket(encodeBatch(1, locale!, [rec(name!), rec('MG')]), 1);
    assert.ok(d.type === PacketType.batch);
    assert.equal(d.batch.locale, locale);
    assert.deepEqual(d.batch.records.map((r) => r.name), [name, 'MG']);
  }
  const field = (packet: Uint8Array) => {
    try {
      decodePacket(packet, 9);
    } catch (e) {
      assert.ok(e instanceof WireError, String(e));
      return `${e.field}: ${e.reason}`;
    }
    return 'decoded';
  };
  // Bytes patched into "ZZ" of the second name: DEL, a control character, invalid UTF-8.
  const patched = (bytes: number[]) => {
    const p = encodeBatch(1, 'app', [rec('MG'), rec('ZZ')]);
    const at = Buffer.from(p).indexOf('ZZ');
    p.set(bytes, at);
    return p;
  };
  assert.equal(field(patched([0x41, 0x7f])), 'names[1]: contains control character 0x7f');
  assert.equal(field(patched([0x41, 0x0a])), 'names[1]: contains control character 0xa');
  assert.equal(field(patched([0xc3, 0x28])), 'names[1]: invalid UTF-8');
  assert.equal(field(encodeBatch(1, 'a\u0001b', [rec('MG')])), 'locale: contains control character 0x1');
  const emptyName = encodeBatch(1, 'app', [rec('MG')]);
  emptyName.set([0, 0, 0x4d, 0x47], 8 + 2 + 3 + 2); // names[0] length 0, its bytes then read as the record count
  assert.equal(field(emptyName), 'names[0]: empty');
  assert.equal(field(encodeBatch(1, 'a'.repeat(257), [rec('MG')])), 'locale: longer than 256 characters');
});

test("a reply's hintsOnlyInReply must index its hints", () => {
  const hint = { locale: 'app', tag: 'MG', action: 'stagger', params: { slotUs: 5 }, expiresAt: 9 };
  const reply = (hintsOnlyInReply: unknown) =>
    encodeReply(3, { requestId: 4, status: ReplyStatus.decided, reply: { tag: { ...rec('MG'), locale: 'app' }, rules: [], hints: [hint] }, hintsOnlyInReply: hintsOnlyInReply as number[] });
  const ok = decodePacket(reply([0]), 1);
  assert.ok(ok.type === PacketType.reply && ok.reply.hintsOnlyInReply?.[0] === 0);
  for (const bad of [[1], [-1], [0.5], 'x', {}]) assert.throws(() => decodePacket(reply(bad), 2), (e: unknown) => e instanceof WireError && e.field === 'hintsOnlyInReply');
});
