// `bench runtime` end to end at a small size: every figure (per-call costs hot and after idle) is present and
// consistent, each path's echo floor is interleaved with it, and (as root with iproute2) the htb rates are read
// back and expiring rules are timed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeBench } from '../../src/bench/runtime.ts';

const cli = fileURLToPath(new URL('../../bin/smarttags.mjs', import.meta.url));

test('bench runtime writes tag cost, ingest, both tag-to-action paths with their floors, and revert lateness', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smarttags-bench-runtime-test-'));
  const out = join(dir, 'rt.json');
  try {
    const args = ['bench', 'runtime', '--apps', '1', '--ingest-ms', '200', '--samples', '60', '--warmup', '100', '--expiries', '3', '--json', out];
    const printed = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [cli, ...args], { timeout: 90_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
    );
    const r = JSON.parse(readFileSync(out, 'utf8')) as RuntimeBench;
    assert.deepEqual(JSON.parse(printed), r, 'the JSON printed is the one written');
    assert.ok(r.sdkTagNs > 0 && r.otelSpanNs > r.sdkTagNs);
    const idle = r.afterIdle;
    assert.deepEqual({ sleepMs: idle.sleepMs, samples: idle.samples }, { sleepMs: 20, samples: 100 });
    for (const c of [idle.tagUs, idle.spanUs]) assert.ok(c.p50 > 0 && c.p90 >= c.p50, JSON.stringify(c));
    assert.equal(idle.spanOverTag, Math.round((idle.spanUs.p50 / idle.tagUs.p50) * 10) / 10);
    assert.equal(r.driverIngest.steps.every((s) => s.unaccounted === 0), true, 'every tag received or counted as dropped');
    const hint = r.tagToActionUs.hint;
    assert.deepEqual({ n: hint.n, warmup: hint.warmup }, { n: 60, warmup: 160 });
    // A hint expires 12.25 ms after its Tag (the signature's window): one held up longer on a loaded machine is
    // refused as expired, and still counted at the time it took.
    assert.equal((hint.statuses['decided/hint'] ?? 0) + (hint.statuses['decided/refused'] ?? 0), 60, JSON.stringify(hint.statuses));
    assert.ok(hint.inPlace >= 55, `${hint.inPlace} of 60 hints in place`);
    assert.ok(hint.p50 > 0 && hint.p99 >= hint.p50);
    assert.equal(hint.floorUs.n, 60);
    assert.deepEqual(r.socketRoundTripFloorUs, hint.floorUs);
    assert.deepEqual(Object.keys(r.targets).sort(), ['driverIngestLost', 'driverIngestPerSec', 'hintP99Us', 'kernelP99Us', 'sdkTagNs', 'spanOverTag']);
    assert.equal(r.targets.hintP99Us!.value, hint.p99);
    assert.ok(r.measurement.some((m) => m.includes('100 round trips back to back')));
    const kernel = r.tagToActionUs.kernel;
    if ('skipped' in kernel) {
      // Only without root or iproute2; the bench says which.
      assert.match(kernel.skipped, /iproute2|namespace/);
      assert.deepEqual(r.ruleRevertLateUs, kernel);
      assert.equal(r.targets.kernelP99Us!.value, null);
      return;
    }
    assert.deepEqual({ n: kernel.n, inPlace: kernel.inPlace, statuses: kernel.statuses }, { n: 60, inPlace: 60, statuses: { 'decided/applied': 60 } });
    assert.deepEqual(kernel.verified, { checked: 3, matched: 3, misses: [] }, 'every 20th rate read back with tc');
    assert.equal(r.targets.kernelP99Us!.value, kernel.p99);
    const late = r.ruleRevertLateUs;
    assert.ok(!('skipped' in late));
    assert.equal(late.n, 3);
    assert.ok(late.p50 >= 0 && late.max >= late.p50 && late.max < 1_000_000, `reverted ${late.max} us after expiry`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
