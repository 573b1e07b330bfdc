// Measures, on this machine, the controller's tag-to-htb-change latency (ActionRequest on the in-process
// bus to the reply after the class change, each request changing the rate) and how late expired rules are
// reverted (revert done minus expiresAt), in a namespace it creates and removes.
// Run: node --import tsx src/controller/measure-latency.ts [changes=2000] [expiries=200]

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessBus } from '../bus/in-process.ts';
import { SUBJECTS, type ActionReply, type ActionRequest } from '../bus/messages.ts';
import type { Signature } from '../engine/signature.ts';
import { Controller } from './controller.ts';
import { ACTIONS } from './config.ts';
import { PaceActuator } from './actuators/pace.ts';
import { parsePolicies } from './policy.ts';

/** Epoch microseconds with sub-millisecond resolution. */
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const changes = Number(process.argv[2] ?? 2000);
const expiries = Number(process.argv[3] ?? 200);
const ns = `st-measure-${process.pid}-${randomBytes(2).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'st-measure-'));

const sig: Signature = {
  tag: { name: 'MG', locale: 'app' },
  event: { name: 'drop', locale: 'sw' },
  relation: 'any',
  probability: 0.9,
  hitRate: 0.9,
  baselineRate: 0.05,
  lift: 18,
  pValue: 1e-9,
  qValue: 1e-8,
  support: 100,
  hits: 90,
  leadTime: { min: 1000, p05: 1000, p50: 5000, p95: 9000 },
  window: { start: 1000, end: 10_000 },
  extent: { bins: [], threshold: null, sizeSlope: 0, logistic: null },
};

function quantiles(xs: number[]): { p50: number; p99: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (f: number) => Math.round(s[Math.min(s.length - 1, Math.floor(f * s.length))]!);
  return { p50: q(0.5), p99: q(0.99), n: s.length };
}

execFileSync('ip', ['netns', 'add', ns]);
try {
  execFileSync('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
  const bus = new InProcessBus();
  const reverted = new Map<string, number>();
  const c = new Controller({
    bus,
    actuators: [new PaceActuator(1e9)],
    policies: parsePolicies(
      [
        { name: 'steady', match: { tag: 'MG' }, action: 'pace', targets: [{ netns: ns, dev: 'v0' }], derive: { bottleneckBps: 100e6 }, expiration: { fixedUs: 600e6, maxUs: 600e6 } },
        { name: 'short', match: { tag: 'RS' }, action: 'pace', targets: [{ netns: ns, dev: 'v1' }], params: { rate: 5e6 }, expiration: { fixedUs: 20_000 } },
      ],
      ACTIONS,
    ),
    journalPath: join(dir, 'journal.jsonl'),
    limits: { maxRules: 16, maxActionsPerSec: 1e6 },
    clock: nowUs,
    onRule: (what, d) => {
      if (what === 'reverted') reverted.set(d.id, nowUs());
    },
  });
  await c.start();
  const ask = (name: string, value: number) => bus.request<ActionRequest, ActionReply>(SUBJECTS.action, { driver: 'm', tag: { time: nowUs(), locale: 'app', kind: 'tag', name, value }, signatures: [{ ...sig, tag: { name, locale: 'app' } }] }, 5000);

  await ask('MG', 2); // installs the root htb once
  const tagToHtb: number[] = [];
  for (let i = 0; i < changes; i++) {
    const t0 = process.hrtime.bigint();
    const r = await ask('MG', 3 + (i % 2));
    tagToHtb.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (!/strength changed/.test(r.rules[0]?.reason ?? '')) throw new Error(`expected a rate change, got ${JSON.stringify(r.rules[0])}`);
  }

  const lag: number[] = [];
  for (let i = 0; i < expiries; i++) {
    const r = await ask('RS', 1);
    const d = r.rules[0]!;
    if (d.status !== 'applied') throw new Error(`expected an applied rule, got ${JSON.stringify(d)}`);
    while (!reverted.has(d.id)) await new Promise((res) => setTimeout(res, 1));
    lag.push(reverted.get(d.id)! - d.expiresAt);
  }
  await c.close();
  process.stdout.write(JSON.stringify({ tagToHtbUs: quantiles(tagToHtb), revertLagUs: quantiles(lag), counters: c.counters }) + '\n');
} finally {
  execFileSync('ip', ['netns', 'del', ns]);
  rmSync(dir, { recursive: true, force: true });
}
