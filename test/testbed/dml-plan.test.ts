import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSplit } from '../../src/testbed/dml-plan.ts';

test('six workers over 200 and 150 Mbit/s: two move, all paced so both paths finish in 160 ms', () => {
  const p = planSplit(6, [200e6, 150e6], 1e6);
  assert.deepEqual(p.senders, [4, 2]);
  // Path 1: 200/4 = 50 Mbit/s each; path 2 could give 75 but 50 already finishes with path 1.
  assert.deepEqual(p.rateBps, [50e6, 50e6]);
  assert.ok(Math.abs(p.pushSeconds - 0.16) < 1e-12);
});

test('the sum of a path\'s pacing rates never exceeds its capacity', () => {
  for (let n = 1; n <= 12; n++) {
    for (const caps of [[200e6, 150e6], [100e6, 300e6], [200e6, 0], [50e6, 50e6]] as [number, number][]) {
      const p = planSplit(n, caps, 1e6);
      assert.equal(p.senders[0] + p.senders[1], n);
      p.senders.forEach((k, i) => assert.ok(k * p.rateBps[i]! <= caps[i]! + 1, `n=${n} caps=${caps} path ${i}`));
      // No other split finishes sooner.
      for (let k = 0; k <= n; k++) {
        const t = Math.max(((n - k) * 8e6) / caps[0], k === 0 ? 0 : (k * 8e6) / caps[1]);
        assert.ok(p.pushSeconds <= t * (1 + 1e-9), `n=${n} caps=${caps}: k=${k} finishes in ${t} s, plan ${p.pushSeconds} s`);
      }
    }
  }
});

test('a second path without capacity moves nobody; equal paths split evenly, the extra one staying', () => {
  assert.deepEqual(planSplit(6, [200e6, 0], 1e6).senders, [6, 0]);
  assert.deepEqual(planSplit(5, [100e6, 100e6], 1e6).senders, [3, 2]);
  assert.deepEqual(planSplit(4, [100e6, 100e6], 1e6).senders, [2, 2]);
});

test('bad arguments are refused naming the argument', () => {
  assert.throws(() => planSplit(0, [1e6, 1e6]), /senders/);
  assert.throws(() => planSplit(2, [0, 1e6]), /first path/);
  assert.throws(() => planSplit(2, [1e6, -1]), /capacityBps\[1\]/);
  assert.throws(() => planSplit(2, [1e6, 1e6], 0), /bytesPerSender/);
});
