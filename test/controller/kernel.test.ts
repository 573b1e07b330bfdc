// Controller against the real kernel, in network namespaces this test creates: htb pacing, reroute by
// policy routing, netem detection, limits, coalescing, name validation before any command runs.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessBus } from '../../src/bus/in-process.ts';
import { SUBJECTS, type ActionReply, type ActionRequest } from '../../src/bus/messages.ts';
import { ClampActuator, Controller, DelayActuator, detectNetem, PaceActuator, parsePolicies, ACTIONS, RerouteActuator, SystemRunner, type Command, type CommandRunner } from '../../src/controller/index.ts';
import { haveIproute, htbClass, ipRules, makeNetns, removeNetns, rootQdisc, sh, signature, tableRoutes, tag } from './fixtures.ts';

const created: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'st-controller-'));
after(() => {
  removeNetns(created);
  rmSync(dir, { recursive: true, force: true });
});
const skip = haveIproute() ? false : 'iproute2 (ip, tc) is not installed';
let journals = 0;

/** Counts the commands that reach the real runner. */
class CountingRunner implements CommandRunner {
  readonly seen: Command[] = [];
  constructor(private readonly inner: CommandRunner) {}
  change(c: Command) {
    this.seen.push(c);
    return this.inner.change(c);
  }
  exec(c: Command) {
    this.seen.push(c);
    return this.inner.exec(c);
  }
  close() {
    return this.inner.close();
  }
}

function controller(policies: unknown[], o: { maxRules?: number; maxActionsPerSec?: number; runner?: CommandRunner; bus?: InProcessBus } = {}) {
  const bus = o.bus ?? new InProcessBus();
  const c = new Controller({
    bus,
    actuators: [new PaceActuator(1e9), new RerouteActuator(), new ClampActuator(), new DelayActuator()],
    policies: parsePolicies(policies, ACTIONS),
    journalPath: join(dir, `journal-${++journals}.jsonl`),
    limits: { maxRules: o.maxRules ?? 16, maxActionsPerSec: o.maxActionsPerSec ?? 1000 },
    runner: o.runner,
  });
  return { bus, c };
}

function request(bus: InProcessBus, name: string, locale: string, value: number, sigs = [signature({ tag: name, tagLocale: locale })]): Promise<ActionReply> {
  return bus.request<ActionRequest, ActionReply>(SUBJECTS.action, { driver: 'd1', tag: tag(name, locale, value), signatures: sigs }, 5000);
}

async function until(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('pace: htb rate = bottleneck / fan-out, coalesced, changed, restored at expiry; root removed at shutdown', { skip }, async () => {
  const ns = makeNetns(created);
  const { bus, c } = controller([{ name: 'incast', match: { tag: 'MG' }, action: 'pace', targets: [{ netns: ns, dev: 'v0' }], derive: { bottleneckBps: 100e6 }, expiration: { fixedUs: 1_500_000 } }]);
  await c.start();
  try {
    assert.equal(rootQdisc(ns, 'v0'), 'noqueue');
    const r1 = await request(bus, 'MG', 'app1', 5);
    assert.equal(r1.rules.length, 1);
    assert.equal(r1.rules[0]!.status, 'applied', r1.rules[0]!.reason);
    assert.equal(r1.rules[0]!.params.rate, 20e6);
    assert.equal(rootQdisc(ns, 'v0'), 'htb');
    assert.deepEqual(htbClass(ns, 'v0', '1:1'), { rate: '20Mbit', ceil: '20Mbit' });

    const r2 = await request(bus, 'MG', 'app1', 5);
    assert.match(r2.rules[0]!.reason ?? '', /coalesced with live rule/);
    assert.equal(r2.rules[0]!.id, r1.rules[0]!.id);
    assert.equal(c.rulesActive, 1);

    const r3 = await request(bus, 'MG', 'app1', 4);
    assert.match(r3.rules[0]!.reason ?? '', /strength changed/);
    assert.deepEqual(htbClass(ns, 'v0', '1:1'), { rate: '25Mbit', ceil: '25Mbit' });

    await until('the pacing rule to expire', () => c.counters.expired === 1);
    assert.deepEqual(htbClass(ns, 'v0', '1:1'), { rate: '1Gbit', ceil: '1Gbit' });
    assert.equal(c.rulesActive, 0);
    assert.ok(Date.now() * 1000 >= r3.rules[0]!.expiresAt, 'reverted no earlier than its expiry');
    assert.deepEqual({ applied: c.counters.applied, coalesced: c.counters.coalesced, reverted: c.counters.reverted, errors: c.counters.errors }, { applied: 1, coalesced: 2, reverted: 1, errors: 0 });
  } finally {
    await c.close();
  }
  assert.equal(rootQdisc(ns, 'v0'), 'noqueue', 'the root htb the controller installed is gone after shutdown');
});

test('pace on an existing htb root uses its default class and restores its own rate', { skip }, async () => {
  const ns = makeNetns(created);
  sh('tc', ['-n', ns, 'qdisc', 'add', 'dev', 'v0', 'root', 'handle', '5:', 'htb', 'default', '20', 'r2q', '5']);
  sh('tc', ['-n', ns, 'class', 'add', 'dev', 'v0', 'parent', '5:', 'classid', '5:20', 'htb', 'rate', '300mbit', 'ceil', '400mbit']);
  const { bus, c } = controller([{ name: 'p', match: { tag: 'MG' }, action: 'pace', targets: [{ netns: ns, dev: 'v0' }], params: { rate: 7e6 }, expiration: { fixedUs: 60e6 } }]);
  await c.start();
  const r = await request(bus, 'MG', 'app1', 3);
  assert.equal(r.rules[0]!.status, 'applied', r.rules[0]!.reason);
  assert.deepEqual(htbClass(ns, 'v0', '5:20'), { rate: '7Mbit', ceil: '7Mbit' });
  // The change names the quantum htb derives itself from the root's r2q (7 Mbit/s / 8 / 5), so tc prints no warning.
  assert.match(sh('tc', ['-n', ns, '-d', 'class', 'show', 'dev', 'v0', 'classid', '5:20']), /\bquantum 175000\b/);
  await c.close();
  assert.deepEqual(htbClass(ns, 'v0', '5:20'), { rate: '300Mbit', ceil: '400Mbit' });
  assert.equal(rootQdisc(ns, 'v0'), 'htb', 'a root the controller did not install stays');
});

test('reroute: ip rule and table route present while the rule lives, exactly those removed at expiry', { skip }, async () => {
  const ns = makeNetns(created);
  sh('ip', ['-n', ns, 'route', 'add', '10.99.0.0/16', 'via', '10.77.0.3', 'table', '102']);
  const { bus, c } = controller([
    { name: 'rr', match: { tag: 'rpc_sync' }, action: 'reroute', targets: [{ netns: ns, table: 101, priority: 1200, to: '10.88.0.0/16', dst: '10.88.0.0/16', via: '10.77.0.2' }], expiration: { fixedUs: 1_500_000 } },
    { name: 'busy-table', match: { tag: 'rpc_sync' }, action: 'reroute', targets: [{ netns: ns, table: 102, priority: 1300, fwmark: 7, dst: '10.99.0.0/16', via: '10.77.0.2' }] },
  ]);
  await c.start();
  try {
    const r = await request(bus, 'rpc_sync', 'ps', 6);
    const byTable = (t: number) => r.rules.find((d) => d.target.includes(`table ${t}`))!;
    assert.equal(byTable(101).status, 'applied', byTable(101).reason);
    assert.equal(byTable(102).status, 'refused');
    assert.match(byTable(102).reason!, /table 102 is not empty/);
    const rule = ipRules(ns).find((x) => x.priority === 1200);
    assert.deepEqual({ table: rule?.table, dst: rule?.dst }, { table: '101', dst: '10.88.0.0' });
    assert.match(tableRoutes(ns, 101), /^10\.88\.0\.0\/16 via 10\.77\.0\.2 dev v0/);
    assert.ok(!ipRules(ns).some((x) => x.priority === 1300), 'the refused rule added nothing');

    await until('the reroute rule to expire', () => c.counters.expired === 1);
    assert.ok(!ipRules(ns).some((x) => x.priority === 1200), 'ip rule removed');
    assert.equal(tableRoutes(ns, 101), '', 'route removed');
    assert.match(tableRoutes(ns, 102), /10\.99\.0\.0\/16 via 10\.77\.0\.3/, 'a route of someone else untouched');
  } finally {
    await c.close();
  }
});

/** Runs a Node script inside a namespace; resolves with its stdout when it exits 0. */
function nodeIn(ns: string, script: string): { done: Promise<string>; kill: () => void } {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  const done = new Promise<string>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`node in ${ns} exited ${code}: ${err}`)))));
  return { done, kill: () => child.kill('SIGKILL') };
}

/** The congestion window of the established connections from local port `port`, as `ss -tin` prints it. */
function cwndsFrom(ns: string, port: number): number[] {
  const out = execFileSync('ip', ['netns', 'exec', ns, 'ss', '-tinH', 'state', 'established', `sport = :${port}`], { encoding: 'utf8' });
  return [...out.matchAll(/\bcwnd:(\d+)/g)].map((m) => Number(m[1]));
}

test('clamp: a responder caps new connections to the app at the derived cwnd; route and cached metrics removed at expiry', { skip }, async () => {
  // Responder namespace (v0 10.77.0.1) and app namespace (v1 10.77.0.2).
  const responder = makeNetns(created);
  const app = makeNetns(created);
  sh('ip', ['-n', app, 'link', 'del', 'v0']);
  sh('ip', ['-n', responder, 'link', 'set', 'v1', 'netns', app]);
  sh('ip', ['-n', app, 'addr', 'add', '10.77.0.2/24', 'dev', 'v1']);
  sh('ip', ['-n', app, 'link', 'set', 'v1', 'up']);
  sh('ip', ['-n', app, 'link', 'set', 'lo', 'up']);
  sh('ip', ['-n', responder, 'route', 'add', '10.77.0.3/32', 'dev', 'v0']);
  // Two responders behind a 30 KB buffer: floor(30000 / 1514 / 2) = 9 segments each.
  const { bus, c } = controller([
    { name: 'clamp', match: { tag: 'MG' }, action: 'clamp', targets: [{ netns: responder, dst: '10.77.0.2', dev: 'v0' }], derive: { bufferBytes: 30_000, responders: 2 }, expiration: { fixedUs: 4_000_000 } },
    { name: 'taken', match: { tag: 'MG' }, action: 'clamp', targets: [{ netns: responder, dst: '10.77.0.3', dev: 'v0' }], params: { cwnd: 2 }, expiration: { fixedUs: 4_000_000 } },
  ]);
  const port = 20_000 + (process.pid % 20_000);
  // Each connection gets 4 MB that the app never reads, so the sender stays window-limited by its cwnd.
  const server = nodeIn(responder, `const s=require('net').createServer((c)=>{c.on('error',()=>{});c.write(Buffer.alloc(4<<20));c.on('data',()=>{});});s.listen(${port},'10.77.0.1',()=>console.log('up'));setTimeout(()=>process.exit(0),20000);`);
  await c.start();
  try {
    await until('the responder to listen', () => cwndsFrom(responder, port).length === 0 && /LISTEN/.test(execFileSync('ip', ['netns', 'exec', responder, 'ss', '-tlnH'], { encoding: 'utf8' })));
    const r = await request(bus, 'MG', 'app1', 1);
    assert.equal(r.rules[0]!.status, 'applied', r.rules[0]!.reason);
    assert.equal(r.rules[0]!.params.cwnd, 9);
    assert.match(sh('ip', ['-n', responder, 'route', 'show', 'exact', '10.77.0.2/32']), /proto 157 .*cwnd lock 9/);
    assert.equal(r.rules[1]!.status, 'refused');
    assert.match(r.rules[1]!.reason!, /a route to 10\.77\.0\.3\/32 exists; clamp adds a route of its own and never replaces one/);
    assert.equal(sh('ip', ['-n', responder, 'route', 'show', 'exact', '10.77.0.3/32']).trim(), '10.77.0.3 dev v0 scope link', 'the route of someone else is untouched');
    // The kernel takes a locked cwnd from its TCP metrics cache, which learns the address when a connection closes.
    await nodeIn(app, `const c=require('net').connect(${port},'10.77.0.1',()=>c.end());c.on('data',()=>{});c.on('close',()=>process.exit(0));`).done;
    await until('the metrics cache to hold the clamp', () => /cwnd 9/.test(sh('ip', ['-n', responder, 'tcp_metrics', 'show', 'address', '10.77.0.2'])));
    const reader = nodeIn(app, `const c=require('net').connect(${port},'10.77.0.1');c.pause();setTimeout(()=>process.exit(0),3000);`);
    await until('a clamped connection with data in flight', () => cwndsFrom(responder, port).length === 1);
    await new Promise((res) => setTimeout(res, 300));
    assert.deepEqual(cwndsFrom(responder, port), [9], 'the new connection sends at most 9 segments per round trip');
    await reader.done;

    await until('the clamp rule to expire', () => c.counters.expired === 1);
    assert.equal(sh('ip', ['-n', responder, 'route', 'show', 'exact', '10.77.0.2/32']).trim(), '', 'route removed');
    assert.doesNotMatch(sh('ip', ['-n', responder, 'tcp_metrics', 'show']), /10\.77\.0\.2/, 'cached metrics with the lock removed');
    const after = nodeIn(app, `const c=require('net').connect(${port},'10.77.0.1');c.pause();setTimeout(()=>process.exit(0),1500);`);
    await until('an unclamped connection with data in flight', () => cwndsFrom(responder, port).length === 1);
    await new Promise((res) => setTimeout(res, 300));
    assert.ok(cwndsFrom(responder, port)[0]! > 9, `after expiry a new connection is not clamped (cwnd ${cwndsFrom(responder, port)[0]})`);
    await after.done;
    assert.deepEqual({ applied: c.counters.applied, reverted: c.counters.reverted, refused: c.counters.refused }, { applied: 1, reverted: 1, refused: 1 });
    assert.equal(sh('ip', ['-n', responder, 'route', 'show', 'exact', '10.77.0.3/32']).trim(), '10.77.0.3 dev v0 scope link');
  } finally {
    server.kill();
    await server.done.catch(() => undefined);
    await c.close();
  }
});

test('delay: netem detection matches the kernel and refuses with a clear message where it is absent', { skip }, async () => {
  const ns = makeNetns(created);
  let kernelHasNetem = true;
  try {
    execFileSync('tc', ['-n', ns, 'qdisc', 'add', 'dev', 'v1', 'root', 'netem', 'delay', '1ms'], { stdio: 'ignore' });
  } catch {
    kernelHasNetem = false;
  }
  const runner = new SystemRunner();
  const a = await detectNetem(runner);
  await runner.close();
  assert.equal(a.available, kernelHasNetem);
  assert.ok(!sh('ip', ['netns', 'list']).includes(`st-netem-probe-${process.pid}-`), 'probe namespace removed');
  if (kernelHasNetem) return;
  assert.match(a.message!, /this kernel has no netem qdisc/);
  assert.match(a.message!, /"pace".*"hint"/);

  const { bus, c } = controller([{ name: 'd', match: { tag: 'MG' }, action: 'delay', targets: [{ netns: ns, dev: 'v0' }], derive: { bottleneckBps: 100e6, bytesPerResponder: 100_000 } }]);
  await c.start();
  const r = await request(bus, 'MG', 'app1', 5);
  await c.close();
  assert.equal(r.rules[0]!.status, 'refused');
  assert.match(r.rules[0]!.reason!, /no netem qdisc.*use action "pace"/);
  assert.deepEqual(r.rules[0]!.params, { delayUs: 16000, jitterUs: 16000, netns: ns, dev: 'v0' });
  assert.equal(rootQdisc(ns, 'v0'), 'noqueue');
});

test('limits: maxRules and maxActionsPerSec refuse with a reason and are counted', { skip }, async () => {
  const ns = makeNetns(created);
  const rateLimited = controller([{ name: 'p', match: { tag: 'MG' }, action: 'pace', targets: [{ netns: ns, dev: 'v0' }, { netns: ns, dev: 'v1' }], params: { rate: 5e6 }, expiration: { fixedUs: 60e6 } }], { maxActionsPerSec: 0.5 });
  await rateLimited.c.start();
  const r = await request(rateLimited.bus, 'MG', 'a', 2);
  await rateLimited.c.close();
  assert.deepEqual(r.rules.map((d) => d.status).sort(), ['applied', 'refused']);
  assert.match(r.rules.find((d) => d.status === 'refused')!.reason!, /maxActionsPerSec/);
  assert.equal(rateLimited.c.counters.refused, 1);

  const few = controller([{ name: 'dry', match: { tag: 'MG' }, action: 'pace', dryRun: true, targets: [{ netns: ns, dev: 'v0' }, { netns: ns, dev: 'v1' }, { netns: ns, dev: 'lo' }], params: { rate: 5e6 }, expiration: { fixedUs: 60e6 } }], { maxRules: 2 });
  await few.c.start();
  const r2 = await request(few.bus, 'MG', 'a', 2);
  assert.deepEqual(r2.rules.map((d) => d.status).sort(), ['dry-run', 'dry-run', 'refused']);
  assert.match(r2.rules.find((d) => d.status === 'refused')!.reason!, /limit: 2 rules active \(maxRules\)/);
  assert.equal(few.c.counters.refused, 1);
  assert.equal(few.c.rulesActive, 2);
  await few.c.close();
  assert.equal(rootQdisc(ns, 'v1'), 'noqueue', 'dry run changed nothing');
});

test('bad names and addresses are rejected before any command runs', { skip }, async () => {
  const runner = new CountingRunner(new SystemRunner());
  const { bus, c } = controller(
    [
      { name: 'p1', match: { tag: 'MG' }, action: 'pace', targets: [{ netns: 'x', dev: 'v0;reboot' }], params: { rate: 1e6 } },
      { name: 'p2', match: { tag: 'MG' }, action: 'pace', targets: [{ netns: '../../etc', dev: 'v0' }], params: { rate: 1e6 } },
      { name: 'r1', match: { tag: 'MG' }, action: 'reroute', targets: [{ netns: 'x', table: 100, to: '10.1.0.0/16', dst: '10.1.0.0/16', via: '10.0.0.1 dev eth0' }] },
      { name: 'r2', match: { tag: 'MG' }, action: 'reroute', targets: [{ netns: 'x', table: 254, to: '10.1.0.0/16', dst: '10.1.0.0/16', via: '10.0.0.1' }] },
      { name: 'r3', match: { tag: 'MG' }, action: 'reroute', targets: [{ netns: 'x', table: 100, to: '10.1.0.0/33', dst: '10.1.0.0/16', via: '10.0.0.1' }] },
      { name: 'd1', match: { tag: 'MG' }, action: 'delay', targets: [{ netns: 'x', dev: 'v0', delayUs: -5 }] },
    ],
    { runner },
  );
  await c.start();
  const seenAtStart = runner.seen.length;
  const r = await request(bus, 'MG', 'app1', 5);
  await c.close();
  const reasons = r.rules.map((d) => `${d.status} ${d.reason}`);
  assert.deepEqual(reasons, [
    'refused invalid parameters: pace.dev: not a valid interface name: "v0;reboot" (letters, digits, \'_\', \'.\', \'-\'; at most 15)',
    'refused invalid parameters: pace.netns: not a valid network namespace name: "../../etc" (letters, digits, \'_\', \'.\', \'-\'; at most 63)',
    'refused invalid parameters: reroute.via: not an IPv4/IPv6 address: "10.0.0.1 dev eth0"',
    'refused invalid parameters: reroute.table: table 254 is reserved (default/main/local)',
    'refused invalid parameters: reroute.to: bad prefix length in "10.1.0.0/33" (0-32)',
    'refused invalid parameters: delay.delayUs: must be an integer in [0, 60000000], got -5',
  ]);
  assert.equal(runner.seen.length, seenAtStart, 'no command ran for a bad request');
  assert.equal(c.counters.errors, 6);
});

test('the batch runner reports a failed change with the tool\'s message and keeps going; a missing namespace is named; warming starts a batch early', { skip }, async () => {
  const ns = makeNetns(created);
  const runner = new SystemRunner();
  try {
    await runner.change({ tool: 'tc', netns: ns, args: ['qdisc', 'add', 'dev', 'v0', 'root', 'handle', '1:', 'htb', 'default', '1'] });
    await assert.rejects(runner.change({ tool: 'tc', netns: ns, args: ['class', 'change', 'dev', 'v0', 'classid', '1:9', 'htb', 'rate', '1mbit'] }), new RegExp(`^Error: tc -n ${ns} class change dev v0 classid 1:9 htb rate 1mbit: RTNETLINK answers: No such file or directory$`));
    await runner.change({ tool: 'tc', netns: ns, args: ['class', 'add', 'dev', 'v0', 'parent', '1:', 'classid', '1:9', 'htb', 'rate', '3mbit'] });
    assert.deepEqual(htbClass(ns, 'v0', '1:9'), { rate: '3Mbit', ceil: '3Mbit' });
    await assert.rejects(runner.change({ tool: 'ip', netns: `${ns}-absent`, args: ['rule', 'add', 'fwmark', '1', 'table', '9'] }), /ip batch for .*-absent exited \(\d+\): Cannot open network namespace/);
    await assert.rejects(runner.change({ tool: 'tc', netns: ns, args: ['qdisc', 'show', 'dev', 'v0 # x'] }), /unsafe command token "v0 # x"/);
    // Warming starts a batch ahead of its first change: a good one then serves it, a missing namespace is named
    // at that change (the warm itself never throws for it), an invalid name is refused before anything runs.
    runner.warm('ip', ns);
    await runner.change({ tool: 'ip', netns: ns, args: ['route', 'add', '10.66.0.1/32', 'dev', 'v0'] });
    assert.match(sh('ip', ['-n', ns, 'route', 'show', 'exact', '10.66.0.1/32']), /dev v0/);
    runner.warm('ip', `${ns}-gone`);
    await new Promise((r) => setTimeout(r, 100));
    await assert.rejects(runner.change({ tool: 'ip', netns: `${ns}-gone`, args: ['route', 'add', '10.66.0.2/32', 'dev', 'lo'] }), /ip batch for .*-gone exited \(\d+\): Cannot open network namespace/);
    assert.throws(() => runner.warm('ip', 'bad name'), /netns: not a valid network namespace name/);
  } finally {
    await runner.close();
  }
});

test('at start the controller names each kernel policy target whose namespace or device is missing or misnamed; a Tag still acts on the others', { skip }, async () => {
  const ns = makeNetns(created);
  const { bus, c } = controller([
    { name: 'incast', match: { tag: 'MG' }, action: 'pace', targets: [{ netns: ns, dev: 'v0' }, { netns: `${ns}-absent`, dev: 'v0' }], params: { rate: 10e6 }, expiration: { fixedUs: 1_000_000 } },
    { name: 'typo', match: { tag: 'XX' }, action: 'pace', targets: [{ netns: '../etc', dev: 'v0' }], params: { rate: 10e6 } },
    { name: 'dry', match: { tag: 'XX' }, action: 'pace', dryRun: true, targets: [{ netns: `${ns}-absent`, dev: 'v0' }], params: { rate: 10e6 } },
    { name: 'nodev', match: { tag: 'XX' }, action: 'pace', targets: [{ netns: ns, dev: 'v9' }, { dev: `${ns.slice(0, 8)}x0` }, { netns: ns, dev: 'v0 x' }], params: { rate: 10e6 } },
  ]);
  const report = await c.start();
  try {
    assert.deepEqual(report.targets.slice(0, 2), [
      `policies[0] (incast) targets[1].netns: network namespace "${ns}-absent" does not exist (see ip netns list); its rules are refused until it does`,
      'policies[1] (typo) targets[0].netns: not a valid network namespace name: "../etc" (letters, digits, \'_\', \'.\', \'-\'; at most 63); its rules are refused',
    ]);
    // Devices are looked up in their namespace, or on the host for a target without one (read-only: ip link show).
    assert.equal(report.targets.length, 5, report.targets.join('\n'));
    assert.match(report.targets[2]!, new RegExp(`^policies\\[3\\] \\(nodev\\) targets\\[0\\]\\.dev: no device "v9" in network namespace "${ns}" \\(.*does not exist.*\\); its rules fail until it exists$`));
    assert.match(report.targets[3]!, /^policies\[3\] \(nodev\) targets\[1\]\.dev: no device "\S+x0" on the host \(.*does not exist.*\); its rules fail until it exists$/);
    assert.match(report.targets[4]!, /^policies\[3\] \(nodev\) targets\[2\]\.dev: no device "v0 x" in network namespace .*not a valid/);
    const r = await request(bus, 'MG', 'app1', 5);
    assert.deepEqual(r.rules.map((d) => d.status), ['applied', 'refused']);
    assert.match(r.rules[1]!.reason ?? '', /Cannot open network namespace/);
  } finally {
    await c.close();
  }
});

test('the journal stays bounded over many rules: compacted to what is outstanding', { skip }, async () => {
  const ns = makeNetns(created);
  let now = 20_000_000_000_000;
  const journalPath = join(dir, 'bounded.jsonl');
  const c = new Controller({
    bus: new InProcessBus(),
    actuators: [new PaceActuator(1e9)],
    policies: parsePolicies([{ name: 'p', match: { tag: 'MG' }, action: 'pace', targets: [{ netns: ns, dev: 'v0' }], params: { rate: 4e6 }, expiration: { fixedUs: 1000 } }], ACTIONS),
    journalPath,
    limits: { maxRules: 4, maxActionsPerSec: 1e6 },
    clock: () => now,
    journalCompactLines: 10,
  });
  await c.start();
  const lines = () => readFileSync(journalPath, 'utf8').split('\n').filter(Boolean).length;
  let most = 0;
  for (let i = 0; i < 25; i++) {
    const r = await c.handle({ driver: 'd', tag: tag('MG', 'a', 2, now), signatures: [signature({ tag: 'MG', tagLocale: 'a' })] });
    assert.equal(r.rules[0]!.status, 'applied', r.rules[0]!.reason);
    assert.deepEqual(htbClass(ns, 'v0', '1:1'), { rate: '4Mbit', ceil: '4Mbit' });
    now += 1000;
    await c.expireDue();
    assert.deepEqual(htbClass(ns, 'v0', '1:1'), { rate: '1Gbit', ceil: '1Gbit' });
    most = Math.max(most, lines());
  }
  assert.ok(most <= 10, `journal grew to ${most} lines`);
  assert.deepEqual({ applied: c.counters.applied, expired: c.counters.expired }, { applied: 25, expired: 25 });
  await c.close();
  assert.equal(lines(), 0);
  assert.equal(rootQdisc(ns, 'v0'), 'noqueue');
});
