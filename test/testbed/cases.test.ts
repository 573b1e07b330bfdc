// End to end on real namespaces (root, iproute2, memcached, iperf3): a short MemCached incast run and a
// short parameter-server run, each leaving no namespace or process behind, and Ctrl-C cleanup of the CLI.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preflightProblems } from '../../src/testbed/preflight.ts';
import { defaultMemcachedOptions, MemcachedBed, modeMetrics, type ModeSpec } from '../../src/testbed/memcached-case.ts';
import { defaultDmlOptions, DmlBed } from '../../src/testbed/dml-case.ts';
import { Registry } from '../../src/testbed/registry.ts';
import { Topology } from '../../src/testbed/topology.ts';
import { newRunPrefix } from '../../src/testbed/names.ts';

const problems = preflightProblems(['ip', 'tc', 'memcached', 'iperf3']);
const skip = problems.length ? `needs ${problems.join('; ')}` : false;

function ourNamespaces(prefix?: string): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.split(' ')[0]!).filter((n) => (prefix ? n.startsWith(prefix) : /^st[0-9a-f]{4}-/.test(n)));
}

/** Whether the process runs (an exited one that its parent has not reaped yet, a zombie, does not). */
function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The processes now running in the given namespaces (`ip netns pids`), with their command lines. */
function namespacePids(namespaces: string[]): { pid: number; args: string }[] {
  const out: { pid: number; args: string }[] = [];
  for (const ns of namespaces) {
    for (const p of execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
      let args = '';
      try {
        args = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').trim();
      } catch {
        // The process ended while we looked.
      }
      out.push({ pid: Number(p), args });
    }
  }
  return out;
}

test('memcached incast: queries complete, pacing cuts drops, teardown leaves nothing', { skip, timeout: 90_000 }, async () => {
  const o = defaultMemcachedOptions(true);
  o.queries = 10;
  o.largeShare = 0.6;
  o.bulkEveryMs = 2000;
  o.bulkBytes = 1_000_000;
  // Small MultiGets read a key set of small values of their own.
  o.smallValueBytes = 300;
  const bed = new MemcachedBed(o);
  let pids: (number | undefined)[] = [];
  try {
    await bed.start();
    assert.equal(ourNamespaces(bed.registry.prefix).length, 3 + o.servers);
    const none: ModeSpec = { family: 'none', param: null, client: { kind: 'none' }, pacingMbit: null };
    const paced: ModeSpec = { family: 'pacing', param: 16, client: { kind: 'none' }, pacingMbit: 16 };
    const a = await bed.runMode(none, 3);
    const b = await bed.runMode(paced, 3);
    pids = bed.registry.processes.map((p) => p.child.pid);
    for (const r of [a, b]) {
      assert.equal(r.results.length, 10);
      for (const q of r.results) {
        assert.ok(q.qctMs > 0 && q.qctMs < 10_000, `qct ${q.qctMs}`);
        assert.equal(q.bytes, q.keys * (q.large ? o.valueBytes : o.smallValueBytes));
      }
      assert.ok(r.bulk.length >= 1 && r.bulk.every((x) => x > 1), `bulk ${r.bulk}`);
    }
    // Same seed, same queries in both modes.
    assert.deepEqual(a.results.map((q) => q.keys), b.results.map((q) => q.keys));
    const ma = modeMetrics(a.results, a.bulk);
    const mb = modeMetrics(b.results, b.bulk);
    assert.ok(ma.incastDropsPerQuery > 0, 'five synchronized 160 KB responses overflow a 30 KB buffer');
    assert.ok(mb.incastDropsPerQuery < ma.incastDropsPerQuery, `paced ${mb.incastDropsPerQuery} vs none ${ma.incastDropsPerQuery}`);
  } finally {
    await bed.close();
  }
  assert.deepEqual(ourNamespaces(bed.registry.prefix), []);
  for (const pid of pids) assert.ok(!alive(pid), `process ${pid} still running`);
});

test('parameter server: iterations complete on one path and split across two', { skip, timeout: 90_000 }, async () => {
  const o = defaultDmlOptions(true);
  o.iterations = 4;
  const bed = new DmlBed(o);
  try {
    await bed.start();
    const one = await bed.runMode({ family: 'none', param: null, split: 0, reactive: null });
    const two = await bed.runMode({ family: 'split', param: 3, split: 3, reactive: null });
    for (const r of [one, two]) {
      assert.equal(r.iterationMs.length, 4);
      // 6 x 1 MB through at most 2 x 200 Mbit/s cannot finish faster than 120 ms.
      for (const ms of r.iterationMs) assert.ok(ms > 100, `iteration ${ms} ms`);
      assert.ok(r.metrics.backgroundMbps > 5, `background ${r.metrics.backgroundMbps}`);
    }
    assert.equal(bed.reroute!.sources.length, 0, 'rules restored after the run');
  } finally {
    await bed.close();
  }
  assert.deepEqual(ourNamespaces(bed.registry.prefix), []);
});

test('a failed build removes the namespaces it had created', { skip }, async () => {
  const reg = new Registry(newRunPrefix());
  // The second link names an interface that ip rejects only after the first namespaces exist.
  const topo = new Topology({ nodes: [{ name: 'a', kind: 'host' }, { name: 'b', kind: 'host' }], links: [{ a: 'a', b: 'b', shapeA: { rateMbit: 10, bufferBytes: 100 } }] }, reg);
  await assert.rejects(() => topo.build().finally(() => reg.teardown()), /bufferBytes >= 1500/);
  assert.deepEqual(ourNamespaces(reg.prefix), []);
});

/** The /tmp files of the runs whose namespaces are given (named after the run prefix, `st1a2b-`). */
function runFiles(namespaces: string[]): string[] {
  const prefixes = new Set(namespaces.map((n) => n.slice(0, 7)));
  return readdirSync(tmpdir()).filter((f) => [...prefixes].some((p) => f.startsWith(`smarttags-${p}`)));
}

/**
 * Runs the CLI, sends SIGINT once stderr matches `ready`, and checks it exits 130 leaving nothing it made: its
 * namespaces, the processes found in them (no process this test did not start is looked at) and its /tmp files.
 */
async function interruptAndCheck(argv: string[], ready: RegExp, whileRunning?: (running: { pid: number; args: string }[]) => void): Promise<void> {
  const repo = new URL('../../', import.meta.url).pathname;
  const before = new Set(ourNamespaces());
  const child = spawn(process.execPath, ['bin/smarttags.mjs', ...argv], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += String(d); });
  const deadline = Date.now() + 60_000;
  while (!ready.test(err) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  const created = ourNamespaces().filter((n) => !before.has(n));
  assert.ok(created.length > 0, `testbed namespaces exist while running; stderr: ${err}`);
  const running = namespacePids(created);
  assert.ok(running.length > 0, 'processes run in the testbed namespaces');
  whileRunning?.(running);
  assert.ok(runFiles(created).length > 0, 'the run has its socket and journal');
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  assert.equal(await exited, 130, `exit status after Ctrl-C; stderr: ${err.slice(-2000)}`);
  assert.deepEqual(ourNamespaces().filter((n) => !before.has(n)), []);
  assert.deepEqual(running.filter((p) => alive(p.pid)), []);
  assert.deepEqual(runFiles(created), []);
}

test('smarttags testbed: JSON output, and Ctrl-C removes everything', { skip, timeout: 200_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-testbed-'));
  const repo = new URL('../../', import.meta.url).pathname;
  try {
    const before = new Set(ourNamespaces());
    execFileSync(process.execPath, ['bin/smarttags.mjs', 'testbed', 'dml', '--quick', '--iterations', '3', '--json', join(dir, 'dml.json'), '--report', join(dir, 'dml.html'), '--figures', join(dir, 'figs')], { cwd: repo, stdio: 'pipe', timeout: 100_000 });
    // The figures drawn again from the JSON the run wrote are the run's own, byte for byte.
    execFileSync(process.execPath, ['bin/smarttags.mjs', 'testbed', 'dml', '--from', join(dir, 'dml.json'), '--figures', join(dir, 'again')], { cwd: repo, stdio: 'pipe', timeout: 30_000 });
    const figs = readdirSync(join(dir, 'figs')).sort();
    assert.ok(figs.includes('dml-iteration-cdf.svg'), figs.join(', '));
    assert.deepEqual(readdirSync(join(dir, 'again')).sort(), figs);
    for (const f of figs) assert.equal(readFileSync(join(dir, 'again', f), 'utf8'), readFileSync(join(dir, 'figs', f), 'utf8'), f);
    const j = JSON.parse(readFileSync(join(dir, 'dml.json'), 'utf8'));
    assert.equal(j.case, 'dml');
    for (const mode of ['none', 'split', 'reactive']) {
      assert.ok(j.modes[mode].iterationMs.mean > 0, mode);
      assert.equal(typeof j.modes[mode].dropsPerIteration, 'number');
      assert.equal(typeof j.modes[mode].backgroundMbps, 'number');
    }
    assert.match(readFileSync(join(dir, 'dml.html'), 'utf8'), /parameter-server training/);
    assert.deepEqual(ourNamespaces().filter((n) => !before.has(n)), []);

    await interruptAndCheck(['testbed', 'memcached', '--quick', '--queries', '50'], /memcached rep 1\/1 none/, (running) => {
      assert.ok(running.some((p) => /memcached -u root/.test(p.args)), `memcached runs in the testbed's namespaces: ${JSON.stringify(running)}`);
    });
    // The parameter-server case, interrupted while its workers run: a worker the teardown stops must not end
    // the process before the teardown is done.
    await interruptAndCheck(['testbed', 'dml', '--quick', '--iterations', '40'], /dml identification/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('identification then action: SDK Tags and switch drop Events teach the engine MG -> qdisc_drop; the controller paces, windows and clamps on it', { skip, timeout: 120_000 }, async () => {
  const o = defaultMemcachedOptions(true);
  o.queries = 60;
  o.largeShare = 0.5;
  o.bulkEveryMs = 60_000;
  o.bulkBytes = 500_000;
  const bed = new MemcachedBed(o);
  let socket = '';
  try {
    await bed.start();
    const h = await bed.startSmartTags();
    socket = h.socketPath;
    const r = await bed.runMode({ family: 'none', param: null, client: { kind: 'none' }, pacingMbit: null }, 5, { endpoint: h.socketPath, locale: 'mc-client', wait: false });
    assert.equal(r.results.length, 60);
    // Two Tags per query (MG at issue, RS when responses start), all delivered through the driver.
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(h.seen.tags, 120);
    assert.ok(h.seen.events > 0, 'the switch driver reported qdisc drops');
    const doc = await h.learn();
    const sig = doc?.signatures.find((s) => s.tag.name === 'MG' && s.event.name === 'qdisc_drop');
    assert.ok(sig, `MG -> qdisc_drop learned; got ${JSON.stringify(doc?.signatures.map((s) => `${s.tag.name}->${s.event.name}`))}`);
    // Learned on the MemCached class's queue (1:10), not the bulk class's (1:11), with every leaf queue sampled.
    assert.equal(sig.event.locale, `sw/${bed.topo.shapedPort('sw', 'c').dev}/1:10`);
    assert.ok(!doc!.signatures.some((s) => s.tag.name === 'MG' && s.event.locale.endsWith('/1:11')), 'no MG signature on the bulk class');
    // The large MultiGets carry the drops: the extent puts the threshold above every small query's value.
    assert.ok(sig.extent.threshold !== null && sig.extent.threshold > 5 * o.valueBytes, `threshold ${sig.extent.threshold}`);

    // Action phase: MG Tags now have a signature, the client waits for the controller's pacing rules.
    await new Promise((res) => setTimeout(res, 100));
    const act = await bed.runMode({ family: 'smarttags-pace', param: null, client: { kind: 'none' }, pacingMbit: null, smarttags: 'pace' }, 6, { endpoint: h.socketPath, locale: 'mc-client', wait: true });
    await h.settle();
    const large = act.results.filter((q) => q.large).length;
    const waits = (act.tagger as { waits: Record<string, number> }).waits;
    // Large MultiGets wait for the controller's decision (on a loaded machine one may exceed the client's
    // 50 ms wait and go ahead); small ones get 'no-action' from the SDK's act-above table, without a round trip.
    const decided = waits['decided'] ?? 0;
    assert.ok(decided + (waits['timeout'] ?? 0) >= large && decided >= large - 2, `waits ${JSON.stringify(waits)} for ${large} large queries`);
    assert.ok((waits['no-action'] ?? 0) > 0, `small MultiGets resolved locally; waits ${JSON.stringify(waits)}`);
    const c = h.controller.counters;
    // One pacing rule per server for each large MultiGet (or its extension), none for the small ones.
    assert.ok(c.applied + c.coalesced >= large * o.servers, `applied ${c.applied} coalesced ${c.coalesced} for ${large} large queries`);
    assert.ok(c.skipped > 0, 'small MultiGets are not acted on');
    assert.equal(c.errors, 0);
    // Every rule expired and was reverted: the servers' classes are back at their unpaced rate.
    const cls = execFileSync('tc', ['-n', bed.servers[0]!.ns, 'class', 'show', 'dev', bed.servers[0]!.dev], { encoding: 'utf8' });
    assert.match(cls, /rate 10Gbit ceil 10Gbit/);

    // Window hint: the controller tells the client, per large MultiGet, how many response bytes the buffer holds.
    await h.useController(bed.controllerSection('window'));
    o.queries = 20;
    const win = await bed.runMode({ family: 'smarttags-window', param: null, client: { kind: 'none' }, pacingMbit: null, smarttags: 'window' }, 5, { endpoint: h.socketPath, locale: 'mc-client', wait: true });
    const cw = h.controller.counters;
    const winLarge = win.results.filter((q) => q.large);
    assert.ok(winLarge.length > 0 && cw.hints >= winLarge.length, `hints ${cw.hints} for ${winLarge.length} large queries`);
    assert.ok(cw.skipped > 0, 'small MultiGets get no hint');
    for (const q of win.results) assert.equal(q.bytes, q.keys * (q.large ? o.valueBytes : o.smallValueBytes));
    // Same seed as the no-action run: its first 20 queries dropped packets, the windowed ones drop fewer.
    const noneDrops = r.results.slice(0, 20).filter((q) => q.large).reduce((a, q) => a + q.drops, 0);
    const winDrops = winLarge.reduce((a, q) => a + q.drops, 0);
    assert.ok(winDrops < noneDrops, `window drops ${winDrops} vs none ${noneDrops}`);

    // Clamp: every server's kernel caps new connections to the client (a route with a locked cwnd, one rule per
    // server, extended by each large MultiGet); the client sends each large fan-out at once over connections
    // opened under the rule, and the servers' TCP keeps the port busy within the buffer.
    o.clampHoldMs = 300;
    await h.useController(bed.controllerSection('clamp'));
    const clamp = await bed.runMode({ family: 'smarttags', param: null, client: { kind: 'none' }, pacingMbit: null, smarttags: 'clamp' }, 5, { endpoint: h.socketPath, locale: 'mc-client', wait: true });
    const cc = h.controller.counters;
    const clampLarge = clamp.results.filter((q) => q.large);
    const clampWaits = (clamp.tagger as { waits: Record<string, number> }).waits;
    assert.ok(cc.applied >= o.servers && cc.applied + cc.coalesced >= clampLarge.length * o.servers, `applied ${cc.applied} coalesced ${cc.coalesced} for ${clampLarge.length} large queries`);
    assert.ok((clampWaits['clamped-ahead'] ?? 0) > 0, `large MultiGets went ahead on the live rule; waits ${JSON.stringify(clampWaits)}`);
    for (const q of clamp.results) assert.equal(q.bytes, q.keys * (q.large ? o.valueBytes : o.smallValueBytes));
    const clampDrops = clampLarge.reduce((a, q) => a + q.drops, 0);
    assert.ok(clampDrops * 10 <= noneDrops, `clamp drops ${clampDrops} vs none ${noneDrops}`);
    await h.settle();
    assert.equal(h.controller.counters.errors, 0);
    const client = bed.topo.address('c');
    for (const s of bed.servers) {
      assert.equal(execFileSync('ip', ['-n', s.ns, 'route', 'show', 'exact', `${client}/32`], { encoding: 'utf8' }).trim(), '', `clamp route removed on ${s.ns}`);
    }
  } finally {
    await bed.close();
  }
  assert.ok(!existsSync(socket), 'driver socket removed');
  assert.deepEqual(ourNamespaces(bed.registry.prefix), []);
});
