import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCidr, checkIfName, checkName, formatIPv4, isRunPrefix, newRunPrefix, parseIPv4 } from '../../src/testbed/names.ts';
import { dist, medianOf, paired, percentile, t975 } from '../../src/testbed/stats.ts';
import { planQueries } from '../../src/testbed/memcached-workload.ts';
import { Registry } from '../../src/testbed/registry.ts';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFrame, FrameReader, GRAD, PARAMS, type FrameHeader } from '../../src/testbed/ps-protocol.ts';

test('run prefixes are unique-looking and validated', () => {
  const p = newRunPrefix();
  assert.ok(isRunPrefix(p), p);
  assert.ok(!isRunPrefix('h6x2'));
  assert.ok(!isRunPrefix('st12345-'));
});

test('names and addresses are validated before reaching ip/tc', () => {
  assert.equal(checkIfName('sw-s1'), 'sw-s1');
  assert.throws(() => checkIfName('a-very-long-interface'), /interface/);
  assert.throws(() => checkName('namespace', 'x; rm -rf /'), /invalid namespace/);
  assert.throws(() => checkName('node', 'Upper'), /invalid node/);
  assert.equal(formatIPv4(parseIPv4('10.0.3.2')), '10.0.3.2');
  assert.throws(() => parseIPv4('10.0.300.1'), /octet/);
  assert.throws(() => checkCidr('192.168.1.0/24'), /outside 10\.0\.0\.0\/8/);
  assert.throws(() => checkCidr('10.0.0.0/40'), /CIDR/);
});

test('percentiles and medians over repetitions', () => {
  assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10);
  assert.deepEqual(dist([1, 2, 3]), { mean: 2, p50: 2, p99: 3 });
  assert.deepEqual(medianOf([{ a: 1, b: { c: 9 } }, { a: 3, b: { c: 7 } }, { a: 2, b: { c: 8 } }]), { a: 2, b: { c: 8 } });
});

test('a run\'s files carry its prefix and go with its teardown, also the exit-time one', () => {
  const reg = new Registry(newRunPrefix());
  const mine = join(tmpdir(), `smarttags-${reg.prefix}app.sock`);
  writeFileSync(mine, '');
  assert.throws(() => reg.addFile(join(tmpdir(), 'smarttags-other.sock')), /lacks the run prefix/);
  reg.addFile(mine);
  reg.teardownSync();
  assert.equal(existsSync(mine), false);
});

test('paired differences over repetitions, with a Student t interval of their mean', () => {
  // Differences 2, 3, 4: mean 3, standard deviation 1, t(2) = 4.303, half width 4.303 / sqrt(3).
  assert.deepEqual(paired([3, 5, 7], [1, 2, 3]), { perRep: [2, 3, 4], mean: 3, ci95: [0.52, 5.48] });
  assert.deepEqual(paired([27.1], [26.97]), { perRep: [0.13], mean: 0.13, ci95: null });
  assert.equal(t975(1), 12.706);
  assert.ok(Math.abs(t975(40) - 2.021) < 0.002, String(t975(40)));
  assert.ok(Math.abs(t975(1000) - 1.962) < 0.001, String(t975(1000)));
  assert.throws(() => paired([1, 2], [1]), /same repetitions on both sides, got 2 and 1/);
  assert.throws(() => t975(0), /positive integer/);
});

test('the query mix is seeded: same seed, same plan; large queries fan out to every server', () => {
  const servers = Array.from({ length: 5 }, () => ({ address: '10.0.0.1', port: 1, ns: 'x', dev: 'y' }));
  const a = planQueries({ seed: 7, queries: 200, largeShare: 0.4, largeKeysPerServer: 40, servers });
  const b = planQueries({ seed: 7, queries: 200, largeShare: 0.4, largeKeysPerServer: 40, servers });
  assert.deepEqual(a, b);
  const large = a.filter((q) => q.large);
  assert.ok(large.length > 50 && large.length < 110, `large share ${large.length}/200`);
  for (const q of large) assert.equal(q.parts.length, 5);
  for (const q of a.filter((x) => !x.large)) assert.ok(q.parts.every((p) => p.keys.length === 1));
});

test('parameter-server frames survive arbitrary chunking', () => {
  const frames: FrameHeader[] = [
    { type: PARAMS, iter: 1, payload: 3000, gradBytes: 5000, computeMs: 20 },
    { type: GRAD, iter: 1, payload: 0, gradBytes: 0, computeMs: 0 },
    { type: GRAD, iter: 2, payload: 17, gradBytes: 0, computeMs: 0 },
  ];
  const wire = Buffer.concat(frames.map(encodeFrame));
  const got: FrameHeader[] = [];
  const r = new FrameReader('t', (h) => got.push(h));
  for (let i = 0; i < wire.length; i += 7) r.push(wire.subarray(i, i + 7));
  assert.deepEqual(got, frames);
  assert.throws(() => new FrameReader('t', () => undefined).push(Buffer.alloc(17, 9)), /frame type 9 unknown/);
});
