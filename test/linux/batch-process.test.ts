import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BatchChanges, BatchQueries } from '../../src/linux/batch-process.ts';

function hasIp(): boolean {
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Only reads and refused commands on the host: nothing here changes kernel state.
test('changes: completion and failure are known per command, pipelined; a closed batch refuses', async (t) => {
  if (!hasIp()) return t.skip('ip (iproute2) is not installed');
  const b = new BatchChanges('ip', null);
  try {
    const [ok, bad, ok2] = await Promise.allSettled([b.run(['link', 'show', 'dev', 'lo']), b.run(['link', 'set', 'dev', 'stnosuchdev0', 'up']), b.run(['rule', 'show'])]);
    assert.equal(ok.status, 'fulfilled');
    assert.equal(bad.status, 'rejected');
    assert.match((bad as PromiseRejectedResult).reason.message, /^ip link set dev stnosuchdev0 up: .+/);
    assert.equal(ok2.status, 'fulfilled');
  } finally {
    await b.close();
  }
  await assert.rejects(b.run(['link', 'show']), /closed/);
});

test('queries: the JSON of the last show; a failed command respawns the tool for the next query', async (t) => {
  if (!hasIp()) return t.skip('ip (iproute2) is not installed');
  const q = new BatchQueries('ip', null);
  try {
    const links = (await q.query('link show dev lo')) as { ifname: string; stats64?: unknown }[];
    assert.equal(links[0]?.ifname, 'lo');
    assert.ok(links[0]?.stats64, 'statistics (-s) are asked for');
    await assert.rejects(q.query('link show dev stnosuchdev0'), /ip batch for host exited \(\d+\): .*stnosuchdev0/);
    const again = (await q.query('link show dev lo')) as { ifname: string }[];
    assert.equal(again[0]?.ifname, 'lo');
    await assert.rejects(q.query(), /at least one/);
  } finally {
    await q.close();
  }
});

test('a namespace name that is not one is refused before anything runs', () => {
  assert.throws(() => new BatchQueries('tc', '../etc'), /netns: not a valid network namespace name/);
});

test('a tool that cannot start rejects the request with its reason', async (t) => {
  if (!hasIp()) return t.skip('ip (iproute2) is not installed');
  const b = new BatchChanges('ip', 'stnosuchns0', 5000);
  try {
    await assert.rejects(b.run(['link', 'show']), /ip batch for stnosuchns0 exited \(\d+\): Cannot open network namespace/);
  } finally {
    await b.close();
  }
});
