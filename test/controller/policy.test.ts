// Policies and derived parameters without the kernel: validation with field paths, signature matching,
// the formulas (expiration, likelihood skip, pacing rate, stagger slot), hints over the bus, dry-run
// expiry on an injected clock and malformed requests.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessBus } from '../../src/bus/in-process.ts';
import { SUBJECTS, type ActionReply, type ActionRequest, type Hint } from '../../src/bus/messages.ts';
import { ACTIONS, Controller, HintActuator, derivedParams, eventProbabilityAt, expiresAt, globMatch, parseControllerConfig, parsePolicies, PolicyError } from '../../src/controller/index.ts';
import { signature, tag } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'st-policy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('policy validation names the field path', () => {
  const bad: [unknown, RegExp][] = [
    [{ name: 'a', action: 'shape' }, /^policies\[0\]\.action: unknown action "shape" \(known: pace, reroute, clamp, delay, hint, dry-run\)$/],
    [{ action: 'clamp', targets: [{ netns: 'a', dev: 'v0', dst: '10.0.0.2' }] }, /^policies\[0\]\.derive\.bufferBytes: clamp needs params\.cwnd or derive\.bufferBytes/],
    [{ action: 'hint', match: { minProbability: 2 } }, /^policies\[0\]\.match\.minProbability: must be a number in \[0, 1\], got 2$/],
    [{ action: 'hint', match: { tga: 'MG' } }, /^policies\[0\]\.match\.tga: unknown field$/],
    [{ action: 'pace', targets: [{ dev: 'v0' }] }, /^policies\[0\]\.derive\.bottleneckBps: pace needs params\.rate or derive\.bottleneckBps/],
    [{ action: 'hint', derive: { responders: 0 } }, /^policies\[0\]\.derive\.responders: must be "tag-value" or an integer >= 1, got 0$/],
    [{ action: 'hint', targets: [] }, /^policies\[0\]\.targets: must be a list of 1-64 targets$/],
  ];
  for (const [p, re] of bad) assert.throws(() => parsePolicies([p], ACTIONS), (e: unknown) => e instanceof PolicyError && re.test(e.message));
  assert.throws(() => parsePolicies([{ name: 'x', action: 'hint' }, { name: 'x', action: 'hint' }], ACTIONS), /policies\[1\]\.name: duplicate policy name "x"/);
  assert.throws(() => parseControllerConfig({ maxRules: 0 }), /controller\.maxRules: must be an integer in \[1, 1000000\], got 0$/);
  assert.throws(() => parseControllerConfig({ locales: { mc1: { netns: 'a b' } } }), /controller\.locales\.mc1: netns: not a valid network namespace name/);
  assert.throws(() => parseControllerConfig({ polices: [] }), /controller\.polices: unknown field/);
  const cfg = parseControllerConfig({ maxActionsPerSec: 50, policies: [{ name: 'h', action: 'hint' }] });
  assert.deepEqual({ limits: cfg.limits, n: cfg.policies.length, target: cfg.policies[0]!.targets }, { limits: { maxRules: 256, maxActionsPerSec: 50 }, n: 1, target: [{ locale: '$tag' }] });
});

test('glob patterns', () => {
  assert.ok(globMatch('*', 'anything'));
  assert.ok(globMatch('mc*', 'mc12'));
  assert.ok(globMatch('*.port*', 'sw1.port3'));
  assert.ok(!globMatch('mc*', 'xmc1'));
  assert.ok(!globMatch('a*b*c', 'acb'));
  assert.ok(globMatch('a*b*c', 'aXbYc'));
});

test('formulas: expiration from the window, likelihood from the extent, rate and slot from the bottleneck', () => {
  const [p] = parsePolicies([{ name: 'p', action: 'pace', derive: { bottleneckBps: 100e6 } }], ACTIONS);
  const sig = signature({ tag: 'MG', tagLocale: 'a', start: 2000, end: 42_000 });
  const t = tag('MG', 'a', 5, 1_000_000);
  // window.end + max(1 ms, (end - start) / 4) = 42000 + 10000
  assert.equal(expiresAt(p!, [sig], t), 1_000_000 + 52_000);
  assert.deepEqual(derivedParams(p!, t), { rate: 20e6 });
  const [fixed] = parsePolicies([{ name: 'f', action: 'pace', params: { rate: 1e6 }, expiration: { fixedUs: 5e6, maxUs: 2e6 } }], ACTIONS);
  assert.equal(expiresAt(fixed!, [sig], t), 1_000_000 + 2e6, 'capped by maxUs');

  const [h] = parsePolicies([{ name: 'h', action: 'hint', derive: { bottleneckBps: 100e6, bytesPerResponder: 100_000 } }], ACTIONS);
  assert.deepEqual(derivedParams(h!, t), { kind: 'stagger', slotUs: 8000, responders: 5 });
  const [d] = parsePolicies([{ name: 'd', action: 'delay', derive: { bottleneckBps: 100e6, bytesPerResponder: 100_000, responders: 3 } }], ACTIONS);
  assert.deepEqual(derivedParams(d!, t), { delayUs: 8000, jitterUs: 8000 });
  // Byte window: the payload a 30 000 B byte fifo holds as 1514 B frames, asked for in thirds.
  const [w] = parsePolicies([{ name: 'w', action: 'hint', derive: { bufferBytes: 30_000 } }], ACTIONS);
  assert.deepEqual(derivedParams(w!, t), { kind: 'window', windowBytes: 28_692, requestBytes: 9564 });
  assert.throws(() => parsePolicies([{ name: 'w', action: 'hint', derive: { bufferBytes: 0 } }], ACTIONS), /derive\.bufferBytes/);
  // Clamp: the 1514 B frames a 30 000 B fifo holds (19) shared by 5 responders, and never below one segment.
  const [c5] = parsePolicies([{ name: 'c', action: 'clamp', derive: { bufferBytes: 30_000, responders: 5 } }], ACTIONS);
  assert.deepEqual(derivedParams(c5!, t), { cwnd: 3 });
  const [c40] = parsePolicies([{ name: 'c', action: 'clamp', derive: { bufferBytes: 30_000, responders: 40 } }], ACTIONS);
  assert.deepEqual(derivedParams(c40!, t), { cwnd: 1 });
  // With the bottleneck rate it lives for the Tag's predicted transfer (800 000 B at 80 Mbit/s = 80 ms) when longer than the window.
  const [wr] = parsePolicies([{ name: 'wr', action: 'hint', derive: { bufferBytes: 30_000, bottleneckBps: 80e6 } }], ACTIONS);
  assert.equal(expiresAt(wr!, [sig], tag('MG', 'a', 800_000, 1_000_000)), 1_000_000 + 80_000);
  assert.equal(expiresAt(wr!, [sig], tag('MG', 'a', 4096, 1_000_000)), 1_000_000 + 52_000);

  const lg = signature({ tag: 'MG', tagLocale: 'a', logistic: { a: -4, b: 1 } });
  assert.ok(Math.abs(eventProbabilityAt(lg, 4) - 0.5) < 1e-12);
  assert.ok(eventProbabilityAt(lg, 2) < 0.2);
  assert.equal(eventProbabilityAt(signature({ tag: 'MG', tagLocale: 'a', probability: 0.3 }), 9), 0.3);
});

function hintController(clock?: () => number, watchUs = 5e6) {
  const bus = new InProcessBus();
  const c = new Controller({
    bus,
    actuators: [new HintActuator(bus)],
    policies: parsePolicies(
      [
        { name: 'stagger', match: { tag: 'MG', event: 'drop' }, action: 'hint', derive: { bottleneckBps: 100e6, bytesPerResponder: 100_000 } },
        { name: 'watch', match: { tag: 'MG', eventLocale: 'sw*' }, action: 'dry-run', targets: [{ locale: '$event', target: 'switch' }], expiration: { fixedUs: watchUs } },
      ],
      ACTIONS,
    ),
    journalPath: join(dir, `j-${Math.random().toString(36).slice(2)}.jsonl`),
    limits: { maxRules: 4, maxActionsPerSec: 100 },
    clock,
  });
  return { bus, c };
}

test('a hint reaches the subscriber of its locale and the reply; unlikely values are skipped', async () => {
  const { bus, c } = hintController();
  await c.start();
  const got: Hint[] = [];
  bus.subscribe<Hint>(SUBJECTS.hint('app1'), (h) => got.push(h));
  const sig = signature({ tag: 'MG', tagLocale: 'app1', logistic: { a: -3, b: 1 } });
  const t = tag('MG', 'app1', 5);
  const reply = await bus.request<ActionRequest, ActionReply>(SUBJECTS.action, { driver: 'd', tag: t, signatures: [sig] }, 1000);
  assert.equal(got.length, 1);
  assert.deepEqual(got[0], { locale: 'app1', tag: 'MG', action: 'stagger', params: { slotUs: 8000, responders: 5 }, expiresAt: t.time + 50_000 + 12_250 });
  assert.deepEqual(reply.hints, got);
  assert.equal(reply.rules.length, 1);
  assert.equal(reply.rules[0]!.status, 'dry-run');
  assert.equal(reply.rules[0]!.target, 'switch');

  const low = await bus.request<ActionRequest, ActionReply>(SUBJECTS.action, { driver: 'd', tag: tag('MG', 'app1', 1), signatures: [sig] }, 1000);
  assert.deepEqual({ rules: low.rules.length, hints: low.hints.length, skipped: c.counters.skipped }, { rules: 0, hints: 0, skipped: 2 });
  assert.equal(got.length, 1);
  await c.close();
});

test('a Tag that only leads to hints is decided synchronously; one that places a rule returns a promise', async () => {
  const { bus, c } = hintController();
  await c.start();
  const got: Hint[] = [];
  bus.subscribe<Hint>(SUBJECTS.hint('app1'), (h) => got.push(h));
  // Event at h1: only the hint policy matches (the dry-run 'watch' wants sw*), so no rule waits for anything.
  const hintOnly = c.handle({ driver: 'd', tag: tag('MG', 'app1', 5), signatures: [signature({ tag: 'MG', tagLocale: 'app1', eventLocale: 'h1' })] });
  assert.ok(!(hintOnly instanceof Promise), 'the hint path makes no promise');
  assert.equal(hintOnly.hints.length, 1);
  assert.deepEqual(hintOnly.hints[0], got[0], 'published before handle returned');
  const withRule = c.handle({ driver: 'd', tag: tag('MG', 'app1', 5), signatures: [signature({ tag: 'MG', tagLocale: 'app1' })] });
  assert.ok(withRule instanceof Promise, 'a rule is placed under its lock');
  const r = await withRule;
  assert.deepEqual({ rules: r.rules.map((x) => x.status), hints: r.hints.length }, { rules: ['dry-run'], hints: 1 });
  await c.close();
});

test('rules expire on the injected clock; stale tags and malformed requests are refused and counted', async () => {
  let now = 10_000_000_000;
  const { bus, c } = hintController(() => now, 1000);
  await c.start();
  const sig = signature({ tag: 'MG', tagLocale: 'app1' });
  const r = await c.handle({ driver: 'd', tag: tag('MG', 'app1', 5, now), signatures: [sig] });
  assert.equal(r.rules[0]!.expiresAt, now + 1000);
  assert.equal(c.rulesActive, 1);
  now += 999;
  await c.expireDue();
  assert.equal(c.rulesActive, 1);
  now += 1;
  await c.expireDue();
  assert.deepEqual({ active: c.rulesActive, expired: c.counters.expired }, { active: 0, expired: 1 });

  const stale = await c.handle({ driver: 'd', tag: tag('MG', 'app1', 5, now - 5_000_000), signatures: [sig] });
  assert.match(stale.rules[0]!.reason!, /^expired before it could act/);
  assert.equal(stale.hints.length, 0);

  await assert.rejects(bus.request(SUBJECTS.action, { driver: 'd', tag: { ...tag('MG', 'app1', 5), time: -1 }, signatures: [] }, 1000), /bad action request from driver "d": tag\.time: not a non-negative integer/);
  await assert.rejects(bus.request(SUBJECTS.action, { driver: 'd', tag: { ...tag('drop', 'sw1', 5), kind: 'event' }, signatures: [] }, 1000), /tag\.kind: must be "tag"/);
  await assert.rejects(bus.request(SUBJECTS.action, { driver: 'd', tag: tag('MG', 'a', 1), signatures: [{}] }, 1000), /signatures\[0\]: not a signature/);
  assert.equal(c.counters.badRequests, 3);
  await c.close();
});

test('concurrent Tags for one target make one rule; the others coalesce into it', async () => {
  const { c } = hintController();
  await c.start();
  const sig = signature({ tag: 'MG', tagLocale: 'app1' });
  const replies = await Promise.all(Array.from({ length: 10 }, () => c.handle({ driver: 'd', tag: tag('MG', 'app1', 5), signatures: [sig] })));
  const ids = new Set(replies.map((r) => r.rules[0]!.id));
  assert.equal(ids.size, 1);
  assert.deepEqual({ applied: c.counters.applied, coalesced: c.counters.coalesced, active: c.rulesActive, hints: c.counters.hints }, { applied: 1, coalesced: 9, active: 1, hints: 10 });
  await c.close();
  assert.equal(c.rulesActive, 0);
});
