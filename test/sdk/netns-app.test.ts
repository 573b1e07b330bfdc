// An app inside another network namespace reaches the host driver through the Unix socket path (paths are
// not namespaced): the benchmark app process runs under `ip netns exec` and its Tags arrive at the driver.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InProcessBus } from '../../src/bus/in-process.ts';
import { SUBJECTS, type RecordBatch } from '../../src/bus/messages.ts';
import { Driver } from '../../src/driver/index.ts';

const hasIp = spawnSync('ip', ['-V']).status === 0;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

test('an app in a network namespace sends Tags to the host driver over the Unix socket', { skip: hasIp ? false : 'iproute2 (ip) missing', timeout: 30_000 }, async () => {
  const ns = `st-h5s${process.pid % 100000}`;
  const dir = mkdtempSync(join(tmpdir(), 'st-ns-'));
  const socket = join(dir, 'driver.sock');
  const bus = new InProcessBus();
  const got: RecordBatch[] = [];
  bus.subscribe<RecordBatch>(SUBJECTS.records, (b) => got.push(b));
  const driver = new Driver({ id: 'host', locales: ['host'], bus, socketPath: socket, forwarder: { batchIntervalMs: 5 } });
  await driver.start();
  execFileSync('ip', ['netns', 'add', ns]);
  const removeNs = () => spawnSync('ip', ['netns', 'del', ns]);
  process.on('exit', removeNs);
  const app = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'src/bench/runtime-app.ts', JSON.stringify({ mode: 'ingest', endpoint: socket, locale: 'app-in-ns' })], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    let out = '';
    app.stdout.on('data', (d: Buffer) => (out += d.toString()));
    app.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const waitOut = async (re: RegExp) => {
      const deadline = Date.now() + 15_000;
      while (!re.test(out)) {
        if (Date.now() > deadline || app.exitCode !== null) throw new Error(`app output: ${out}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await waitOut(/^ready$/m);
    app.stdin.write(JSON.stringify({ ratePerSec: 2000, durationMs: 300 }) + '\n');
    await waitOut(/^\{"tagged":/m);
    const result = JSON.parse(out.split('\n').find((l) => l.startsWith('{"tagged"'))!) as { tagged: number; sent: number; dropped: number };
    const deadline = Date.now() + 3000;
    const received = () => got.flatMap((b) => b.records).filter((r) => r.locale === 'app-in-ns');
    while (received().length < result.sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(result.tagged > 200, `the app tagged ${result.tagged}`);
    assert.equal(result.dropped, 0);
    assert.equal(received().length, result.tagged);
    app.stdin.write('exit\n');
    await new Promise<void>((r) => (app.exitCode !== null ? r() : app.once('exit', () => r())));
  } finally {
    if (app.exitCode === null) app.kill('SIGKILL');
    await driver.stop();
    removeNs();
    process.off('exit', removeNs);
    rmSync(dir, { recursive: true, force: true });
  }
});
