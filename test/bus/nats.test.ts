// NATS bus against a real nats-server (JetStream, temp store): core pub/sub and request/reply, and durable
// records that survive an engine restart and a server restart without loss or duplicates.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsBus, type NatsBusOptions } from '../../src/bus/nats.ts';
import { SUBJECTS, type RecordBatch } from '../../src/bus/messages.ts';

const hasNats = spawnSync('nats-server', ['--version']).status === 0;
const skip = hasNats ? false : 'nats-server binary missing (Debian package nats-server)';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startNats(port: number, storeDir: string): Promise<ChildProcess> {
  const p = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server not ready in 10 s: ${log}`)), 10_000);
    p.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    p.once('exit', (code) => reject(new Error(`nats-server exited ${code}: ${log}`)));
  });
  return p;
}

async function stopNats(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
  });
}

/** A nats-server with JetStream on a free loopback port and a temporary store, restartable on that store. */
class NatsFixture {
  private constructor(readonly dir: string, readonly port: number, private server: ChildProcess) {}

  static async start(): Promise<NatsFixture> {
    const dir = mkdtempSync(join(tmpdir(), 'st-nats-'));
    const port = await freePort();
    return new NatsFixture(dir, port, await startNats(port, dir));
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Stops the server and starts it again on the same port and store. */
  async restart(): Promise<void> {
    await stopNats(this.server);
    this.server = await startNats(this.port, this.dir);
  }

  async close(): Promise<void> {
    await stopNats(this.server);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Runs `body` against a fresh nats-server with one bus connected per entry of `connections` (options beyond the
 * server's address), then closes every bus and the server, however the body ends.
 */
async function withNats(connections: Omit<NatsBusOptions, 'servers'>[], body: (nats: NatsFixture, buses: NatsBus[]) => Promise<void>): Promise<void> {
  const nats = await NatsFixture.start();
  const buses: NatsBus[] = [];
  try {
    for (const c of connections) buses.push(await NatsBus.connect({ servers: nats.url, ...c }));
    await body(nats, buses);
  } finally {
    for (const b of buses) await b.close();
    await nats.close();
  }
}

function batch(seq: number): RecordBatch {
  return { driver: 'd1', seq, records: [{ time: 1_700_000_000_000_000 + seq, locale: 'h1', kind: 'tag', name: 'MG', value: seq }] };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('NATS bus: core publish/subscribe and request/reply with errors and timeouts', { skip, timeout: 30_000 }, async () => {
  await withNats([{}, {}], async (_nats, [a, b]) => {
    const got: unknown[] = [];
    const unsub = b.subscribe(SUBJECTS.signatures, (m) => got.push(m));
    await new Promise((r) => setTimeout(r, 100));
    a.publish(SUBJECTS.signatures, { generation: 3, doc: { version: 1, params: {}, signatures: [] } });
    await until(() => got.length === 1, 5000, 'signatures message');
    assert.deepEqual(got[0], { generation: 3, doc: { version: 1, params: {}, signatures: [] } });
    unsub();

    b.respond<{ x: number }, { y: number }>(SUBJECTS.action, (q) => {
      if (q.x < 0) throw new Error('negative x');
      return { y: q.x * 2 };
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await a.request(SUBJECTS.action, { x: 21 }, 2000), { y: 42 });
    await assert.rejects(a.request(SUBJECTS.action, { x: -1 }, 2000), /negative x/);
    await assert.rejects(a.request('smarttags.nobody', {}, 300), /no responder|timed out/);
    assert.throws(() => b.respond(SUBJECTS.action, () => 1), /exists already/);
  });
});

test('NATS bus: records survive an engine restart and a server restart, no loss, no duplicates', { skip, timeout: 60_000 }, async () => {
  await withNats([{}], async (nats, [driverBus]) => {
    const url = nats.url;
    let engine: NatsBus | null = null;
    try {
      // Published before any engine exists: JetStream keeps them.
      for (let s = 1; s <= 100; s++) driverBus.publish(SUBJECTS.records, batch(s));
      assert.equal(await driverBus.flushDurable(10_000), true);

      const seen: number[] = [];
      engine = await NatsBus.connect({ servers: url, consumerName: 'engine' });
      engine.subscribe<RecordBatch>(SUBJECTS.records, (b) => seen.push(b.seq));
      await until(() => seen.length >= 100, 10_000, 'the first 100 batches');
      await engine.close();
      engine = null;

      // The engine is down: the driver keeps publishing.
      for (let s = 101; s <= 200; s++) driverBus.publish(SUBJECTS.records, batch(s));
      assert.equal(await driverBus.flushDurable(10_000), true);

      // The server restarts on its store; the durable consumer resumes where the engine left off.
      await driverBus.close();
      await nats.restart();
      engine = await NatsBus.connect({ servers: url, consumerName: 'engine' });
      engine.subscribe<RecordBatch>(SUBJECTS.records, (b) => seen.push(b.seq));
      await until(() => seen.length >= 200, 10_000, 'batches 101-200');
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(seen, Array.from({ length: 200 }, (_, i) => i + 1));
      assert.equal(engine.counters.badMessages, 0);
    } finally {
      await engine?.close();
    }
  });
});

test('NATS bus: a durable handler\'s promise defers the ack until it resolves; a rejection brings the message again; a copy sent while it is pending is not handed over', { skip, timeout: 60_000 }, async () => {
  // No in-progress marks: the server sends every pending message again each ackWait (1 s).
  await withNats([{}, { consumerName: 'engine', ackWaitMs: 1000, workingIntervalMs: 0 }], async (_nats, [driverBus, engine]) => {
    for (let s = 1; s <= 3; s++) driverBus.publish(SUBJECTS.records, batch(s));
    assert.equal(await driverBus.flushDurable(10_000), true);
    // Batch 2 is refused the first time (a full store queue) and comes again a second later; 1 and 3 are
    // not acknowledged while their promise is pending: the server sends them again after ackWait, and the
    // bus answers those copies with the pending delivery instead of calling the handler again.
    const seen: number[] = [];
    let release!: () => void;
    const committed = new Promise<void>((r) => (release = r));
    const count = (seq: number) => seen.filter((s) => s === seq).length;
    engine.subscribe<RecordBatch>(SUBJECTS.records, (b) => {
      seen.push(b.seq);
      if (b.seq === 2 && count(2) === 1) return Promise.reject(new Error('store queue full'));
      return committed;
    });
    await until(() => count(2) === 2 && engine.counters.redeliveriesAbsorbed >= 6, 15_000, 'redeliveries of the unacknowledged batches');
    assert.equal(engine.counters.redeliveries, 1);
    assert.deepEqual([count(1), count(2), count(3)], [1, 2, 1], `handed over: ${seen.join(',')}`);
    assert.equal(engine.pendingDeliveries, 3);
    release();
    // Once the promises resolve the newest copies are acknowledged: nothing more comes, even past ackWait.
    await until(() => engine.pendingDeliveries === 0, 5000, 'the acknowledgements');
    await new Promise((r) => setTimeout(r, 1000));
    const settled = [seen.length, engine.counters.redeliveriesAbsorbed];
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual([seen.length, engine.counters.redeliveriesAbsorbed], settled, `came again after the acks: ${seen.join(',')}`);
  });
});

test('NATS bus: a message whose handler is still working is marked in progress, so the server does not send it again', { skip, timeout: 60_000 }, async () => {
  await withNats([{}, { consumerName: 'engine', ackWaitMs: 1000 }], async (_nats, [driverBus, engine]) => {
    for (let s = 1; s <= 3; s++) driverBus.publish(SUBJECTS.records, batch(s));
    assert.equal(await driverBus.flushDurable(10_000), true);
    const seen: number[] = [];
    let release!: () => void;
    const committed = new Promise<void>((r) => (release = r));
    engine.subscribe<RecordBatch>(SUBJECTS.records, (b) => {
      seen.push(b.seq);
      return committed;
    });
    await until(() => seen.length === 3, 5000, 'the three batches');
    // Four times ackWait with the handlers pending: marked in progress every 500 ms, never sent again.
    await new Promise((r) => setTimeout(r, 4000));
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(engine.counters.redeliveriesAbsorbed, 0);
    assert.equal(engine.pendingDeliveries, 3);
    release();
    await until(() => engine.pendingDeliveries === 0, 5000, 'the acknowledgements');
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(engine.counters.redeliveriesAbsorbed, 0);
  });
});
