// Event collectors against the real kernel: host A -> switch R -> host B in three network namespaces, R's port
// towards B an htb class with a small bfifo; a UDP flood makes the bfifo drop (qdisc_drop, backlog events at R)
// and a TCP transfer through it retransmits (tcp_retrans in A). Namespaces are unique per run and removed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { SmartRecord } from '../../src/protocol/record.ts';
import { InProcessBus } from '../../src/bus/in-process.ts';
import { SUBJECTS, type RecordBatch } from '../../src/bus/messages.ts';
import { Driver, InterfaceCollector, QdiscCollector, TcpCollector, createCollector, parseProcNetCounters } from '../../src/driver/index.ts';

const hasTools = spawnSync('ip', ['-V']).status === 0 && spawnSync('tc', ['-V']).status === 0;
const skip = hasTools ? false : 'iproute2 (ip, tc) missing';

const tag = `h5c${process.pid % 100000}`;
const NS_A = `st-${tag}-a`;
const NS_R = `st-${tag}-r`;
const NS_B = `st-${tag}-b`;
const created: string[] = [];

function run(argv: string[]): string {
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function cleanup(): void {
  for (const ns of created.splice(0)) spawnSync('ip', ['netns', 'del', ns]);
}
process.on('exit', cleanup);

function setup(): void {
  for (const ns of [NS_A, NS_R, NS_B]) {
    run(['ip', 'netns', 'add', ns]);
    created.push(ns);
    run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }
  run(['ip', '-n', NS_A, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'ra', 'netns', NS_R]);
  run(['ip', '-n', NS_R, 'link', 'add', 'rb', 'type', 'veth', 'peer', 'name', 'vb', 'netns', NS_B]);
  // MTU-sized packets, or the byte-limited bfifo sees 64 KB super-packets.
  run(['ip', '-n', NS_A, 'link', 'set', 'va', 'gso_max_segs', '1']);
  run(['ip', '-n', NS_R, 'link', 'set', 'rb', 'gso_max_segs', '1']);
  run(['ip', '-n', NS_A, 'addr', 'add', '10.251.7.1/24', 'dev', 'va']);
  run(['ip', '-n', NS_R, 'addr', 'add', '10.251.7.254/24', 'dev', 'ra']);
  run(['ip', '-n', NS_R, 'addr', 'add', '10.251.8.254/24', 'dev', 'rb']);
  run(['ip', '-n', NS_B, 'addr', 'add', '10.251.8.2/24', 'dev', 'vb']);
  for (const [ns, dev] of [[NS_A, 'va'], [NS_R, 'ra'], [NS_R, 'rb'], [NS_B, 'vb']] as const) run(['ip', '-n', ns, 'link', 'set', dev, 'up']);
  run(['ip', '-n', NS_A, 'route', 'add', 'default', 'via', '10.251.7.254']);
  run(['ip', '-n', NS_B, 'route', 'add', 'default', 'via', '10.251.8.254']);
  run(['ip', 'netns', 'exec', NS_R, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  // Reno fills the small bfifo (bbr would pace below it), so the transfer retransmits.
  run(['ip', 'netns', 'exec', NS_A, 'sysctl', '-q', '-w', 'net.ipv4.tcp_congestion_control=reno']);
  run(['tc', '-n', NS_R, 'qdisc', 'add', 'dev', 'rb', 'root', 'handle', '1:', 'htb', 'default', '1']);
  run(['tc', '-n', NS_R, 'class', 'add', 'dev', 'rb', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '20mbit', 'quantum', '1514']);
  run(['tc', '-n', NS_R, 'qdisc', 'add', 'dev', 'rb', 'parent', '1:1', 'handle', '10:', 'bfifo', 'limit', '15000']);
}

/** Runs a node script inside a namespace and waits for it (bounded). */
function nodeIn(ns: string, script: string, timeoutMs = 15_000): Promise<string> {
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`script in ${ns} did not finish: ${out}`));
    }, timeoutMs);
    p.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`script in ${ns} exited ${code}: ${out}`));
    });
  });
}

const UDP_FLOOD = `
const s = require('node:dgram').createSocket('udp4');
const buf = Buffer.alloc(1200);
let n = 0;
function burst() { for (let i = 0; i < 100; i++) s.send(buf, 9999, '10.251.8.2'); if (++n < 40) setTimeout(burst, 2); else setTimeout(() => s.close(), 50); }
burst();`;

const TCP_SERVER = `
const net = require('node:net');
const srv = net.createServer((c) => { let n = 0; c.on('data', (d) => { n += d.length; }); c.on('end', () => { c.end(String(n)); srv.close(); }); });
srv.listen(5001, '10.251.8.2', () => console.log('listening'));
setTimeout(() => process.exit(3), 12000).unref();`;

const TCP_CLIENT = `
const c = require('node:net').connect(5001, '10.251.8.2', () => { c.end(Buffer.alloc(1_500_000)); });
c.on('data', (d) => console.log('received', String(d)));`;

test('qdisc collector reports bfifo drops and backlog at a switch namespace; tcp collector reports sender retransmits', { skip, timeout: 60_000 }, async () => {
  try {
    setup();
    const events: SmartRecord[] = [];
    const qdisc = new QdiscCollector({ netns: NS_R, devices: ['rb'], periodMs: 2, backlogThresholdBytes: 5000 });
    const tcp = new TcpCollector({ netns: NS_A, periodMs: 10 });
    const iface = new InterfaceCollector({ netns: NS_A, devices: ['va'], periodMs: 20 });
    await qdisc.start((e) => events.push(...e));
    await tcp.start((e) => events.push(...e));
    await iface.start((e) => events.push(...e));
    try {
      await nodeIn(NS_A, UDP_FLOOD);
      await new Promise((r) => setTimeout(r, 100));
      const stats = JSON.parse(run(['tc', '-n', NS_R, '-s', '-j', 'qdisc', 'show', 'dev', 'rb'])) as { root?: boolean; drops: number }[];
      const drops = stats.find((q) => q.root)!.drops;
      assert.ok(drops > 100, `the bfifo dropped ${drops} packets`);
      const dropEvents = events.filter((e) => e.name === 'qdisc_drop');
      assert.equal(dropEvents.reduce((s, e) => s + e.value, 0), drops, 'qdisc_drop events add up to the kernel counter');
      assert.ok(dropEvents.length >= 1 && dropEvents.every((e) => e.locale === `${NS_R}/rb` && e.kind === 'event'));
      const backlog = events.filter((e) => e.name === 'backlog');
      assert.ok(backlog.length >= 1 && backlog.every((e) => e.value > 5000), `backlog events: ${JSON.stringify(backlog)}`);

      const server = nodeIn(NS_B, TCP_SERVER);
      await new Promise((r) => setTimeout(r, 300));
      const out = await nodeIn(NS_A, TCP_CLIENT);
      assert.match(out, /received 1500000/);
      await server;
      await new Promise((r) => setTimeout(r, 100));
      const retrans = events.filter((e) => e.name === 'tcp_retrans');
      assert.ok(retrans.length >= 1 && retrans.every((e) => e.locale === NS_A), `retransmit events: ${JSON.stringify(retrans)}`);
      assert.equal(qdisc.counters.errors, 0, qdisc.counters.lastError ?? '');
      assert.equal(tcp.counters.errors, 0, tcp.counters.lastError ?? '');
      assert.equal(iface.counters.errors, 0, iface.counters.lastError ?? '');
      assert.ok(qdisc.counters.samples > 50 && iface.counters.samples > 5);
    } finally {
      await qdisc.stop();
      await tcp.stop();
      await iface.stop();
    }
    const helpers = spawnSync('ip', ['netns', 'pids', NS_A], { encoding: 'utf8' }).stdout.trim();
    assert.equal(helpers, '', 'no helper process is left in the namespace');
  } finally {
    cleanup();
  }
  assert.equal(existsSync(`/run/netns/${NS_A}`), false);
});

test('qdisc collector per queue: on an htb port each class\'s bfifo reports its own drops, the root their sum', { skip, timeout: 60_000 }, async () => {
  const nsA = `st-${tag}-qa`;
  const nsB = `st-${tag}-qb`;
  try {
    for (const ns of [nsA, nsB]) {
      run(['ip', 'netns', 'add', ns]);
      created.push(ns);
    }
    run(['ip', '-n', nsA, 'link', 'add', 'qa', 'type', 'veth', 'peer', 'name', 'qb', 'netns', nsB]);
    run(['ip', '-n', nsA, 'addr', 'add', '10.251.9.1/24', 'dev', 'qa']);
    run(['ip', '-n', nsB, 'addr', 'add', '10.251.9.2/24', 'dev', 'qb']);
    run(['ip', '-n', nsA, 'link', 'set', 'qa', 'up']);
    run(['ip', '-n', nsB, 'link', 'set', 'qb', 'up']);
    // The testbed's port: htb default class 1:10 and a bulk class 1:11 (UDP to port 9998), each with a bfifo.
    run(['tc', '-n', nsA, 'qdisc', 'add', 'dev', 'qa', 'root', 'handle', '1:', 'htb', 'default', '10']);
    run(['tc', '-n', nsA, 'class', 'add', 'dev', 'qa', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '2mbit', 'quantum', '1514']);
    for (const minor of ['10', '11']) {
      run(['tc', '-n', nsA, 'class', 'add', 'dev', 'qa', 'parent', '1:1', 'classid', `1:${minor}`, 'htb', 'rate', '1mbit', 'ceil', '2mbit', 'quantum', '1514']);
      run(['tc', '-n', nsA, 'qdisc', 'add', 'dev', 'qa', 'parent', `1:${minor}`, 'handle', `${minor}:`, 'bfifo', 'limit', '6000']);
    }
    run(['tc', '-n', nsA, 'filter', 'add', 'dev', 'qa', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dport', '9998', '0xffff', 'flowid', '1:11']);

    const events: SmartRecord[] = [];
    const byQueue = new QdiscCollector({ netns: nsA, devices: ['qa'], periodMs: 2, queues: ['root', 'leaves'], backlogThresholdBytes: 4000 });
    const byId = createCollector('qdisc', { devices: ['qa'], periodMs: 5, queues: ['10:', '1:11'] }, { namespace: nsA });
    const picked: SmartRecord[] = [];
    const unknown = new QdiscCollector({ netns: nsA, devices: ['qa'], queues: ['1:99'] });
    await assert.rejects(unknown.start(() => undefined), /no qdisc under class 1:99 on qa \(qdisc@/);
    await unknown.stop();
    await byQueue.start((e) => events.push(...e));
    await byId.start((e) => picked.push(...e));
    try {
      // 40 datagrams to the default class, 300 to the bulk class, in bursts far above 2 Mbit/s.
      await nodeIn(nsA, `
const s = require('node:dgram').createSocket('udp4');
const buf = Buffer.alloc(1200);
let n = 0;
function burst() { for (let i = 0; i < 30; i++) s.send(buf, 9998, '10.251.9.2'); if (n < 4) for (let i = 0; i < 10; i++) s.send(buf, 9999, '10.251.9.2'); if (++n < 10) setTimeout(burst, 2); else setTimeout(() => s.close(), 50); }
burst();`);
      await new Promise((r) => setTimeout(r, 100));
      const kernel = JSON.parse(run(['tc', '-n', nsA, '-s', '-j', 'qdisc', 'show', 'dev', 'qa'])) as { handle: string; drops: number }[];
      const drops = (h: string) => kernel.find((q) => q.handle === h)!.drops;
      assert.ok(drops('10:') > 0 && drops('11:') > drops('10:'), `drops: default ${drops('10:')}, bulk ${drops('11:')}`);
      assert.equal(drops('1:'), drops('10:') + drops('11:'), 'the htb root counts its leaves\' drops');
      const sum = (list: SmartRecord[], locale: string, name = 'qdisc_drop') => list.filter((e) => e.name === name && e.locale === locale).reduce((a, e) => a + e.value, 0);
      assert.equal(sum(events, `${nsA}/qa`), drops('1:'), 'root: the port total, under the device locale as before');
      assert.equal(sum(events, `${nsA}/qa/1:10`), drops('10:'), 'the default class\'s queue');
      assert.equal(sum(events, `${nsA}/qa/1:11`), drops('11:'), 'the bulk class\'s queue');
      assert.deepEqual(new Set(events.map((e) => e.locale)), new Set([`${nsA}/qa`, `${nsA}/qa/1:10`, `${nsA}/qa/1:11`]));
      assert.ok(events.some((e) => e.name === 'backlog' && e.locale === `${nsA}/qa/1:11` && e.value > 4000), 'backlog per queue');
      // By qdisc handle and by class id: the same queues, no root.
      assert.equal(sum(picked, `${nsA}/qa/1:10`), drops('10:'));
      assert.equal(sum(picked, `${nsA}/qa/1:11`), drops('11:'));
      assert.equal(picked.filter((e) => e.locale === `${nsA}/qa`).length, 0);
      assert.equal(byQueue.counters.errors, 0, byQueue.counters.lastError ?? '');
      assert.equal(byId.counters.errors, 0, byId.counters.lastError ?? '');

      // The bulk class's qdisc removed: a listed class missing fails the sample; `leaves` follows what is left.
      run(['tc', '-n', nsA, 'qdisc', 'del', 'dev', 'qa', 'parent', '1:11', 'handle', '11:']);
      const deadline = Date.now() + 5000;
      while (byId.counters.errors === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.match(byId.counters.lastError ?? '', /no qdisc under class 1:11 on qa/);
      assert.equal(byQueue.counters.errors, 0, byQueue.counters.lastError ?? '');
    } finally {
      await byQueue.stop();
      await byId.stop();
    }
    assert.equal(spawnSync('ip', ['netns', 'pids', nsA], { encoding: 'utf8' }).stdout.trim(), '', 'no tc process is left in the namespace');
  } finally {
    cleanup();
  }
});

test('a driver forwards collector events to the engine and counts failing samples (a watched device removed)', { skip, timeout: 30_000 }, async () => {
  const ns = `st-${tag}-d`;
  const bus = new InProcessBus();
  const batches: RecordBatch[] = [];
  bus.subscribe<RecordBatch>(SUBJECTS.records, (b) => batches.push(b));
  try {
    const missing = new Driver({ id: 'sw', locales: ['sw'], bus, collectors: [new QdiscCollector({ netns: `${ns}-none` })] });
    await assert.rejects(missing.start(), new RegExp(`collector qdisc@${ns}-none cannot start: .*${ns}-none`));
    await missing.stop();

    run(['ip', 'netns', 'add', ns]);
    created.push(ns);
    run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    run(['tc', '-n', ns, 'qdisc', 'add', 'dev', 'lo', 'root', 'bfifo', 'limit', '1']);
    run(['ip', '-n', ns, 'link', 'add', 'dx0', 'type', 'veth', 'peer', 'name', 'dx1']);
    run(['tc', '-n', ns, 'qdisc', 'add', 'dev', 'dx0', 'root', 'bfifo', 'limit', '10000']);
    const driver = new Driver({ id: 'sw', locales: ['sw'], bus, collectors: [new QdiscCollector({ netns: ns, devices: ['lo', 'dx0'], periodMs: 5 })], forwarder: { batchIntervalMs: 5 } });
    await driver.start();
    try {
      // A 1-byte bfifo drops every packet on lo: datagrams sent inside the namespace are qdisc drops.
      await nodeIn(ns, "const s=require('node:dgram').createSocket('udp4');for(let i=0;i<20;i++)s.send(Buffer.alloc(100),9,'127.0.0.1');setTimeout(()=>s.close(),50);");
      const events = () => batches.flatMap((b) => b.records).filter((r) => r.kind === 'event' && r.name === 'qdisc_drop');
      const deadline = Date.now() + 5000;
      while (events().reduce((s, e) => s + e.value, 0) < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(events().reduce((s, e) => s + e.value, 0), 20, 'each dropped datagram reaches the engine as qdisc_drop');
      assert.ok(events().every((e) => e.locale === `${ns}/lo`));
      assert.equal(driver.counters.eventsReceived, events().length);
      assert.equal(driver.counters.collectorErrors, 0);
      run(['ip', '-n', ns, 'link', 'del', 'dx0']);
      const until = Date.now() + 5000;
      while (driver.counters.collectorErrors === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.ok(driver.counters.collectorErrors > 0, 'samples missing a watched device are counted as errors');
    } finally {
      await driver.stop();
    }
  } finally {
    cleanup();
  }
});

test('collector configuration is validated with the field named', () => {
  assert.throws(() => createCollector('qdisk', {}), /kind: unknown collector "qdisk"/);
  assert.throws(() => createCollector('qdisc', { period: 5 }), /period: unknown option/);
  assert.throws(() => createCollector('qdisc', { periodMs: 0.5 }), /periodMs: expected a number in \[1,/);
  assert.throws(() => createCollector('qdisc', { devices: ['eth0; rm -rf /'] }), /devices\[0\]: not a valid interface name/);
  assert.throws(() => createCollector('qdisc', { devices: ['p1'], queues: ['root', '1:1:1'] }), /queues\[1\]: "1:1:1" is not root, leaves, a qdisc handle such as 10: or a class id such as 1:10$/);
  assert.throws(() => createCollector('qdisc', { queues: ['10:'] }), /queues\[0\]: a qdisc handle or class id needs the devices it is on$/);
  assert.throws(() => createCollector('qdisc', { queues: [] }), /queues: empty/);
  assert.throws(() => createCollector('qdisc', { queues: 'leaves' }), /queues: expected a list of strings/);
  assert.equal(createCollector('qdisc', { queues: ['leaves'] }).name, 'qdisc@host');
  assert.throws(() => createCollector('tcp', { netns: '../etc' }), /netns: not a valid network namespace name/);
  assert.throws(() => createCollector('tcp', { counters: { 'Tcp RetransSegs': 'x' } }), /counters: not a Section.Counter key/);
  assert.equal(createCollector('interface', { periodMs: 50 }, { namespace: 'ns1' }).name, 'interface@ns1');
  const parsed = parseProcNetCounters('TcpExt: SyncookiesSent TCPTimeouts\nTcpExt: 0 17\nIpExt: InNoRoutes\nIpExt: 4\n');
  assert.equal(parsed.get('TcpExt.TCPTimeouts'), 17);
  assert.equal(parsed.get('IpExt.InNoRoutes'), 4);
});
