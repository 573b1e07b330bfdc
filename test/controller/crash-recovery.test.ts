// Crash recovery: a controller process holding kernel rules is SIGKILLed; the rules stay in the kernel
// until a new controller starts on the same journal and reverts them.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { InProcessBus } from '../../src/bus/in-process.ts';
import { ACTIONS, Controller, PaceActuator, parsePolicies, RerouteActuator } from '../../src/controller/index.ts';
import { haveIproute, htbClass, ipRules, makeNetns, removeNetns, rootQdisc, tableRoutes } from './fixtures.ts';

const created: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'st-crash-'));
after(() => {
  removeNetns(created);
  rmSync(dir, { recursive: true, force: true });
});
const skip = haveIproute() ? false : 'iproute2 (ip, tc) is not installed';

test('a SIGKILLed controller leaves rules; the restart on its journal removes them from the kernel', { skip, timeout: 30_000 }, async () => {
  const ns = makeNetns(created);
  const journal = join(dir, 'rules.jsonl');
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./crash-child.ts', import.meta.url)), ns, journal], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  try {
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', () => reject(new Error('child exited before it was ready')));
    });
    assert.deepEqual(JSON.parse(first), { ready: true, statuses: ['applied', 'applied'] });
  } finally {
    child.kill('SIGKILL');
  }
  assert.equal(await exited, 'SIGKILL');

  // What the dead controller left in the kernel.
  assert.deepEqual(htbClass(ns, 'v0', '1:1'), { rate: '25Mbit', ceil: '25Mbit' });
  assert.ok(ipRules(ns).some((r) => r.priority === 1500 && r.table === '150'));
  assert.match(tableRoutes(ns, 150), /10\.66\.0\.0\/16 via 10\.77\.0\.2/);

  // A damaged line (e.g. torn write) and a tampered command are skipped and reported, never run.
  writeFileSync(journal, readFileSync(journal, 'utf8') + '{"op":"applied","id":"evil","kind":"rule","action":"x","target":"x","undo":[{"tool":"ip","netns":null,"args":["link","del","v0;reboot"]}]}\n{"op":"appl');

  const c = new Controller({ bus: new InProcessBus(), actuators: [new PaceActuator(1e9), new RerouteActuator()], policies: parsePolicies([], ACTIONS), journalPath: journal, limits: { maxRules: 8, maxActionsPerSec: 100 } });
  const report = await c.start();
  await c.close();
  assert.equal(report.recovered, 3, 'the pace rule, the reroute rule and the root htb setup');
  assert.deepEqual(report.errors, []);
  assert.equal(report.problems.length, 2);
  assert.match(report.problems[0]!, /rules\.jsonl:\d+: undo\[0\]\.args\[2\]: unsafe command token "v0;reboot"/);
  assert.equal(rootQdisc(ns, 'v0'), 'noqueue', 'root htb removed');
  assert.ok(!ipRules(ns).some((r) => r.priority === 1500), 'ip rule removed');
  assert.equal(tableRoutes(ns, 150), '', 'route removed');
  assert.equal(readFileSync(journal, 'utf8'), '', 'journal compacted: nothing outstanding');
});
