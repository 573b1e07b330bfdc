// The client's scheduling of one query: the byte window of a SmartTags window hint (requests split by predicted
// bytes, never more than the window outstanding, one request always goes, every request answered once), and the
// requests sent a few at a time while the controller's advice is pending.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkParts, leadWhilePending, remainingParts, runByteWindow, type PlannedQuery } from '../../src/testbed/memcached-workload.ts';

test('chunkParts splits every server part into requests of at most requestBytes predicted bytes, in order', () => {
  const q: PlannedQuery = { large: true, parts: [{ server: 0, keys: [0, 1, 2, 3, 4] }, { server: 3, keys: [7] }] };
  assert.deepEqual(chunkParts(q, 4096, 9564), [
    { server: 0, keys: [0, 1] },
    { server: 0, keys: [2, 3] },
    { server: 0, keys: [4] },
    { server: 3, keys: [7] },
  ]);
  // A request smaller than one key still carries one key.
  assert.deepEqual(chunkParts(q, 4096, 100).length, 6);
});

test('runByteWindow keeps at most the window outstanding and completes every request', async () => {
  const sizes = [8192, 8192, 8192, 8192, 4096, 20000, 8192];
  let outstanding = 0;
  let peak = 0;
  const order: number[] = [];
  const received = await runByteWindow(sizes, 20_000, async (i) => {
    outstanding += sizes[i]!;
    peak = Math.max(peak, outstanding);
    order.push(i);
    // Later requests finish sooner, so completions interleave with issues.
    await new Promise((r) => setTimeout(r, 2 * (sizes.length - i)));
    outstanding -= sizes[i]!;
    return { bytes: sizes[i]! };
  });
  assert.equal(received, sizes.reduce((a, b) => a + b, 0));
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6]);
  // 20000 exceeds the window alone: it goes only when nothing else is outstanding.
  assert.equal(peak, 20_000);
  await assert.rejects(runByteWindow([1, 1], 10, async (i) => {
    if (i === 1) throw new Error('server gone');
    return { bytes: 1 };
  }), /server gone/);
});

test('leadWhilePending sends requests until the advice arrives, none if it is already there', async () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const log: string[] = [];
  let outstanding = 0;
  let peak = 0;
  const sendOne = async (i: number) => {
    outstanding++;
    peak = Math.max(peak, outstanding);
    log.push(`send ${i}`);
    await sleep(30);
    outstanding--;
    log.push(`answered ${i}`);
  };
  const advice = sleep(45).then(() => {
    log.push('advice');
    return 'clamp';
  });
  const led = await leadWhilePending(advice, 5, sendOne);
  // One at a time: requests 0 and 1 went before the advice at 45 ms; the lead ends with it, request 1 still out.
  assert.equal(led.value, 'clamp');
  assert.equal(led.sent, 2);
  assert.deepEqual(log, ['send 0', 'answered 0', 'send 1', 'advice']);
  await led.answered;
  assert.deepEqual(log.slice(4), ['answered 1']);
  assert.equal(peak, 1);

  // An advice answered locally (already resolved, behind a few promise hops) sends nothing ahead.
  const local = Promise.resolve('window').then((v) => v).then((v) => v);
  assert.equal((await leadWhilePending(local, 5, sendOne)).sent, 0);

  // At most `outstanding` unanswered at once; an advice that comes late finds every request sent.
  peak = 0;
  const late = await leadWhilePending(sleep(250).then(() => 'late'), 12, sendOne, 3);
  assert.equal(late.sent, 12);
  assert.equal(peak, 3);

  // A failed advice rejects once the outstanding requests are answered.
  const failed = sleep(10).then(() => Promise.reject(new Error('controller gone')));
  await assert.rejects(leadWhilePending(failed, 3, sendOne), /controller gone/);
  assert.equal(outstanding, 0);

  // A request that fails stops the lead; `answered` rejects with it.
  const broken = await leadWhilePending(sleep(40).then(() => 'pace'), 10, async (i) => {
    await sleep(5);
    if (i === 2) throw new Error('server gone');
  }, 2);
  assert.ok(broken.sent <= 4, `sent ${broken.sent}`);
  await assert.rejects(broken.answered, /server gone/);
});

test('remainingParts drops the keys a lead fetched, in part order', () => {
  const q: PlannedQuery = { large: true, parts: [{ server: 0, keys: [0, 1, 2] }, { server: 1, keys: [0, 1, 2] }, { server: 2, keys: [5] }] };
  assert.deepEqual(remainingParts(q, 0), q.parts);
  assert.deepEqual(remainingParts(q, 4), [{ server: 1, keys: [1, 2] }, { server: 2, keys: [5] }]);
  assert.deepEqual(remainingParts(q, 3), [{ server: 1, keys: [0, 1, 2] }, { server: 2, keys: [5] }]);
  assert.deepEqual(remainingParts(q, 7), []);
});
