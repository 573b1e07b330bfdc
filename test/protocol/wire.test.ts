// Wire format: identifiers decode the same by the printable-ASCII fast path and the strict UTF-8 path, and every
// bad identifier is named by field; binary replies come back as they were sent, and a damaged one names its field.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketType, ReplyStatus, WireError, decodePacket, encodeBatch, encodeReply, frameReply, type ReplyBody } from '../../src/protocol/wire.ts';

const rec = (name: string) => ({ time: 1_000_000, kind: 'tag' as const, name, value: 2 });

/** What decodePacket says about a packet: "field: reason", or "decoded". */
function field(packet: Uint8Array): string {
  try {
    decodePacket(packet, 9);
  } catch (e) {
    assert.ok(e instanceof WireError, String(e));
    return `${e.field}: ${e.reason}`;
  }
  return 'decoded';
}

test('locales and names decode whether ASCII or not; bad ones are named by field', () => {
  for (const [locale, name] of [['app:web-1', 'MG'], ['', 'x'], ['café/東京', 'naïve'], ['a'.repeat(256), 'b'.repeat(256)]]) {
    const d = decodePacket(encodeBatch(1, locale!, [rec(name!), rec('MG')]), 1);
    assert.ok(d.type === PacketType.batch);
    assert.equal(d.batch.locale, locale);
    assert.deepEqual(d.batch.records.map((r) => r.name), [name, 'MG']);
  }
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

const hint = { locale: 'app', tag: 'MG', action: 'stagger', params: { slotUs: 5, responders: 3 }, expiresAt: 1_000_900 };
const full: ReplyBody = {
  requestId: 4,
  status: ReplyStatus.decided,
  reply: {
    tag: { time: 1_000_000, locale: 'app', kind: 'tag', name: 'MG', value: 2.5 },
    rules: [
      { id: 'r1-a', action: 'pace', target: 'ns1/veth0 1:1', params: { rate: 33_333_333, dev: 'veth0', burst: null, nested: { a: [1, 'x'] }, on: true, off: false }, expiresAt: 1_005_000, status: 'applied' },
      { id: 'r1-b', action: 'delay', target: 'östlich/网', params: {}, expiresAt: 1_006_000, status: 'refused', reason: 'limit: 16 rules active (maxRules) — ünïcode' },
      { id: 'r1-c', action: 'reroute', target: 't', params: { table: 7 }, expiresAt: 0, status: 'dry-run' },
    ],
    hints: [hint, { ...hint, locale: 'other', params: { windowBytes: 28_700, kind: 'window', negative: -0.25 } }],
  },
  hintsOnlyInReply: [0],
};

test('a binary reply comes back as it was sent: rules, hints, every kind of parameter, standing, message', () => {
  const bodies: ReplyBody[] = [
    full,
    { ...full, reply: { ...full.reply!, rules: [], hints: [hint], standing: true }, hintsOnlyInReply: undefined },
    { requestId: 0xffffffff, status: ReplyStatus.failed, message: 'request on smarttags.action timed out after 1000 ms' },
    { requestId: 1, status: ReplyStatus.noSignature },
  ];
  for (const body of bodies) {
    const d = decodePacket(encodeReply(7, body), 1);
    assert.ok(d.type === PacketType.reply && d.seq === 7);
    const want = JSON.parse(JSON.stringify(body)) as ReplyBody; // what JSON kept: no undefined fields
    assert.deepEqual(d.reply, want);
    const framed = frameReply(7, body);
    assert.equal(framed.readUInt32LE(0), framed.length - 4);
    assert.deepEqual(decodePacket(framed.subarray(4), 2), d);
  }
  assert.throws(() => encodeReply(1, { ...full, reply: { ...full.reply!, hints: [{ ...hint, params: { big: 'x'.repeat(70_000) } }] } }), RangeError);
});

test('strings that share a decoder cache slot (same length, first and last byte) each decode to themselves', () => {
  const names = ['stagger', 'stXgger', 'stäg-er', 'stagger', 'sta\u00e9ger', 'stXgger'];
  for (const action of [...names, ...names]) {
    const body: ReplyBody = { ...full, reply: { ...full.reply!, hints: [{ ...hint, action, params: { [action]: action } }] }, hintsOnlyInReply: undefined };
    const d = decodePacket(encodeReply(1, body), 1);
    assert.ok(d.type === PacketType.reply);
    assert.equal(d.reply.reply!.hints[0]!.action, action);
    assert.deepEqual(d.reply.reply!.hints[0]!.params, { [action]: action });
  }
  // A reply may carry control characters (it is not made of identifiers); a name of the same bytes is still refused.
  for (const bad of ['A\u007f', 'AB\u0001C']) {
    const body: ReplyBody = { ...full, reply: { ...full.reply!, hints: [{ ...hint, tag: bad, action: bad }] }, hintsOnlyInReply: undefined };
    const d = decodePacket(encodeReply(1, body), 1);
    assert.ok(d.type === PacketType.reply && d.reply.reply!.hints[0]!.tag === bad);
    assert.match(field(encodeBatch(1, 'app', [rec(bad)])), /^names\[0\]: contains control character/);
  }
});

test('a damaged reply names its field', () => {
  const good = encodeReply(3, full);
  const at = (s: string) => Buffer.from(good).indexOf(s);
  const patched = (offset: number, bytes: number[]) => {
    const p = Uint8Array.from(good);
    p.set(bytes, offset);
    return p;
  };
  assert.equal(field(good), 'decoded');
  assert.equal(field(encodeReply(3, { ...full, hintsOnlyInReply: [2] })), 'hintsOnlyInReply: index 2 outside the 2 hints of the reply');
  assert.equal(field(patched(8, [0, 0, 0, 0])), 'requestId: not a positive integer: 0');
  assert.equal(field(patched(12, [9])), 'status: unknown reply status 9');
  assert.equal(field(patched(13, [0x81])), 'flags: unknown flags 0x81');
  assert.equal(field(patched(at('stagger'), [0xc3, 0x28])), 'reply.hints[0].action: invalid UTF-8');
  assert.equal(field(patched(at('r1-c') + 4 + 2 + 7 + 2 + 1 + 8, [5])), 'reply.rules[2].status: unknown rule status 5');
  assert.equal(field(good.subarray(0, good.length - 3)), 'reply.hints[1].params.negative: needs 8 bytes, packet ends at ' + (good.length - 3));
  assert.equal(field(Uint8Array.from([...good, 0])), `length: 1 bytes after the reply`);
});
