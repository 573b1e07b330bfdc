import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runEngineBench } from '../../src/bench/engine.ts';

test('bench engine: every mode takes every record into the window, the store modes commit them all', { timeout: 60_000 }, async () => {
  const r = await runEngineBench(40_000, null);
  assert.deepEqual(r.modes.map((m) => m.mode), ['window', 'duckdb-file', 'duckdb-file-acked']);
  for (const m of r.modes) {
    assert.equal(m.accepted, 40_000, m.mode);
    assert.ok(m.recordsPerSec > 0 && m.ms > 0, m.mode);
  }
  for (const m of r.modes.slice(1)) {
    assert.equal(m.persisted, 40_000, m.mode);
    assert.equal(m.persistDropped, 0, m.mode);
    assert.ok(m.commits >= 1 && m.persistedPerSec! > 0, m.mode);
  }
  assert.equal(r.modes[0]!.persistedPerSec, null);
  assert.ok(r.ratioFile > 0 && r.ratioAcked > 0);
});
