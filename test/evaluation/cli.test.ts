import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/smarttags.mjs', import.meta.url));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('synth writes a scenario; eval runs the crude method on it and scores saved signatures alike', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smarttags-eval-'));
  try {
    const synth = await cli(['synth', '--scenario', 'coexist', '--seed', '3', '--duration', '120s', '--out', dir]);
    assert.equal(synth.code, 0, synth.stderr);
    assert.match(synth.stdout, /coexist seed 3: \d+ records over 120s/);
    for (const f of ['records.csv', 'topology.json', 'truth.json']) assert.ok(existsSync(join(dir, f)), f);
    assert.equal(readFileSync(join(dir, 'records.csv'), 'utf8').split('\n', 1)[0], 'time,locale,kind,name,value');

    const files = ['--records', join(dir, 'records.csv'), '--topology', join(dir, 'topology.json'), '--truth', join(dir, 'truth.json')];
    const crude = await cli(['eval', '--method', 'crude', '--td', '20ms', ...files, '--save-signatures', join(dir, 'crude.json'), '--json']);
    assert.equal(crude.code, 0, crude.stderr);
    const score = JSON.parse(crude.stdout);
    assert.equal(score.truthPairs, 10);
    assert.ok(score.truePositives > 0 && score.falseDiscoveries > 0, 'crude finds some pairs and credits companions');
    const saved = JSON.parse(readFileSync(join(dir, 'crude.json'), 'utf8'));
    assert.equal(saved.params.method, 'crude');
    assert.equal(saved.params.td, 20_000);

    const rescored = await cli(['eval', '--signatures', join(dir, 'crude.json'), '--truth', join(dir, 'truth.json'), '--json']);
    assert.equal(rescored.code, 0, rescored.stderr);
    assert.deepEqual(JSON.parse(rescored.stdout), score);

    const text = await cli(['eval', '--signatures', join(dir, 'crude.json'), '--truth', join(dir, 'truth.json')]);
    assert.match(text.stdout, /precision\s+\d\.\d{3}/);
    assert.match(text.stdout, /false discoveries by reason: .*companion/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('eval --compare prints one row per method and td', async () => {
  const r = await cli(['eval', '--compare', '--no-learn', '--scenarios', 'norelation', '--seeds', '1,2', '--td', '1ms,1s', '--duration', '60s', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.rows.length, 4);
  assert.deepEqual(
    out.summary.map((s: { td: number; seeds: number }) => [s.td, s.seeds]),
    [
      [1000, 2],
      [1_000_000, 2],
    ],
  );
});

test('bad arguments exit with code 2 and name the option', async () => {
  const cases: [string[], RegExp][] = [
    [['synth', '--scenario', 'bogus', '--out', '/nonexistent/x'], /--scenario/],
    [['synth', '--scenario', 'coexist'], /--out: required/],
    [['eval', '--method', 'crude', '--td', '10 parsecs', '--records', 'r', '--topology', 't', '--truth', '/nonexistent/truth.json'], /truth\.json/],
    [['eval', '--compare', '--td', 'soon'], /--td: not a duration/],
    [['eval', '--compare', '--scenarios', 'mars'], /--scenarios: unknown scenario "mars"/],
    [['eval', '--truth', 'x.json', '--threshold', '3'], /--threshold/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
  }
  assert.equal((await cli(['eval', '--compare', '--td', 'soon'])).code, 2);
});
