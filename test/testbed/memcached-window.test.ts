// The client's byte-window scheduling of one query (a SmartTags window hint): requests split by predicted
// bytes, never more than the window outstanding (one request always goes), every request answered once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkParts, runByteWindow, type PlannedQuery } from '../../src/testbed/memcached-workload.ts';

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
