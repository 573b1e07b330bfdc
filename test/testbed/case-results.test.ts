// Reading a case's JSON results back (--from) and its figures as files (--figures): field checks that name
// the bad field, the figure set per case, and the testbed command on a results file (no root needed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caseResultsProblem, readCaseResults } from '../../src/testbed/case-results-file.ts';
import { dmlFigures, memcachedFigures, memcachedSection, versusBestStaticText } from '../../src/testbed/report-sections.ts';
import { run as testbedCommand } from '../../src/cli/commands/testbed.ts';
import { defaultMemcachedOptions, MEMCACHED_FAMILIES, memcachedModes, modeLabel, versusBestStaticOf, type MemcachedReport } from '../../src/testbed/memcached-case.ts';
import { defaultDmlOptions, DML_FAMILIES, dmlLabel, dmlModes, type DmlReport } from '../../src/testbed/dml-case.ts';
import { fixtureDoc } from '../report/fixture.ts';
import { bestStatic, dmlTargets, memcachedTargets, targetLines } from '../../src/testbed/case-targets.ts';

const dist = (mean: number) => ({ mean, p50: mean, p99: mean * 2 });
const spread = { min: 1, median: 1.5, max: 2 };

function mcMode(param: number | null, score: number) {
  return {
    param, reps: 1, score, incast: { qct: dist(score * 3) }, nonIncast: { qct: dist(1) }, stallShare: 0, dropsPerQuery: score / 10,
    incastDropsPerQuery: score / 4, bulkMbps: 77, spread: { score: spread, incastMean: spread, dropsPerQuery: spread, bulkMbps: spread }, scores: [score],
  };
}

function memcachedDoc(): MemcachedReport {
  const none = mcMode(null, 40);
  const jitter = [mcMode(10, 38), mcMode(30, 45)];
  return {
    case: 'memcached',
    bound: { incastQctMs: 68.7, rateMbit: 100, baseRttMs: 0.3 },
    modes: { none, jitter: jitter[0]!, smarttags: mcMode(null, 27) },
    sweeps: { none: [none], jitter, smarttags: [mcMode(null, 27)] },
    versusBestStatic: { against: 'jitter=10', score: { perRep: [-11], mean: -11, ci95: null } },
    identification: { tags: 100, events: 900, learnMs: 12, signatures: fixtureDoc() },
    samples: {
      none: [{ fanout: 5, keys: 200, large: true, qctMs: 90, drops: 20 }, { fanout: 1, keys: 1, large: false, qctMs: 1, drops: 0 }],
      smarttags: [{ fanout: 5, keys: 200, large: true, qctMs: 70, drops: 0 }],
    },
    params: { servers: 5, largeKeysPerServer: 40, valueBytes: 4096, reps: 1, queries: 2 } as unknown as MemcachedReport['params'],
    seconds: 10,
  };
}

function dmlDoc(): DmlReport {
  const mode = (param: number | null, mean: number) => ({ param, reps: 1, iterationMs: dist(mean), dropsPerIteration: 1, backgroundMbps: 26, spread: { iterationMean: spread, dropsPerIteration: spread, backgroundMbps: spread } });
  return {
    case: 'dml',
    identification: { tags: 3, events: 0, learnMs: 1, signatures: null },
    modes: { none: mode(null, 340), smarttags: mode(null, 214) },
    sweeps: { none: [mode(null, 340)], smarttags: [mode(null, 214)] },
    samples: { none: [340, 341], smarttags: [214, 215] },
    plan: { senders: [3, 3], rateBps: [55e6, 55e6], pushSeconds: 0.145 },
    bound: { splitIterationMs: 177, fluidIterationMs: 168 },
    params: { workers: 6, gradBytes: 1e6, computeMs: 40, rateMbit: 200, bufferBytes: 32000, backgroundMbit: 25, iterations: 2, reps: 1 } as unknown as DmlReport['params'],
    seconds: 5,
  };
}

test('results files are checked field by field, naming the first bad one', () => {
  assert.equal(caseResultsProblem(memcachedDoc(), 'memcached'), null);
  assert.equal(caseResultsProblem(dmlDoc(), 'dml'), null);
  assert.equal(caseResultsProblem(memcachedDoc(), 'dml'), 'case: expected "dml", got "memcached"');
  assert.equal(caseResultsProblem([], 'dml'), 'top level: not an object');
  const bad = (mutate: (d: any) => void, which: 'memcached' | 'dml' = 'memcached') => {
    const d: any = which === 'memcached' ? memcachedDoc() : dmlDoc();
    mutate(d);
    return caseResultsProblem(d, which);
  };
  assert.equal(bad((d) => { d.modes.none.incast.qct.p99 = 'slow'; }), 'modes.none.incast.qct.p99: not a finite number');
  assert.equal(bad((d) => { d.modes = {}; }), 'modes: not an object with at least one mode');
  assert.equal(bad((d) => { d.sweeps.jitter[1].param = 'ten'; }), 'sweeps.jitter[1].param: not a number or null');
  assert.equal(bad((d) => { delete d.samples.none[1].large; }), 'samples.none[1]: needs boolean large and numbers keys, qctMs, drops');
  assert.equal(bad((d) => { d.identification.signatures.version = 0; }), `identification.signatures.version: expected ${fixtureDoc().version}, got 0`);
  assert.equal(bad((d) => { delete d.bound.incastQctMs; }), 'bound.incastQctMs: not a finite number');
  assert.equal(bad((d) => { d.sweeps.jitter[1].scores = [45, 'x']; }), 'sweeps.jitter[1].scores: not a list of finite numbers');
  assert.equal(bad((d) => { delete d.modes.none.scores; }), null, 'files written before per-repetition scores');
  assert.equal(bad((d) => { d.versusBestStatic.score.perRep = []; }), 'versusBestStatic.score.perRep: not a list of finite numbers');
  assert.equal(bad((d) => { d.versusBestStatic.score.ci95 = [1]; }), 'versusBestStatic.score.ci95: not null or two finite numbers');
  assert.equal(bad((d) => { d.versusBestStatic.score.mean = 'ahead'; }), 'versusBestStatic.score.mean: not a finite number');
  // Runs written before the comparison existed have none.
  assert.equal(bad((d) => { delete d.versusBestStatic; }), null);
  assert.equal(bad((d) => { d.plan.senders = [3]; }, 'dml'), 'plan.senders.1: not a finite number');
  assert.equal(bad((d) => { d.samples.none[0] = null; }, 'dml'), 'samples.none[0]: not a number');
  assert.equal(bad((d) => { d.modes.smarttags.dropsPerIteration = null; }, 'dml'), 'modes.smarttags.dropsPerIteration: not a finite number');
  assert.equal(bad((d) => { d.modes.smarttags.spread.stallShare = { median: 0, min: 0, max: 'x' }; }), 'modes.smarttags.spread.stallShare.max: not a finite number');
  assert.equal(bad((d) => { d.modes.smarttags.spread.stallShare = { median: 0, min: 0, max: 0.01 }; }), null);
});

test('the targets are checked against no action, the line-rate bound and the best static baseline, with their numbers', () => {
  const mc = memcachedDoc();
  const verdicts = (r: MemcachedReport) => Object.fromEntries(memcachedTargets(r).map((c) => [c.target, c.met]));
  // The fixture's smarttags: incast mean 81 ms (1.18x the bound), 2.7 drops per query against 4, score 27 against 38.
  assert.deepEqual(verdicts(mc), {
    'incast QCT mean within 1.15x the line-rate bound': false,
    'no query over 200 ms': true,
    'drops per query at least 95% below no action': false,
    'non-incast queries at most 5% worse than no action': true,
    'bulk transfers at most 5% worse than no action': true,
    'score at least as good as the best hindsight-tuned static baseline (medians)': true,
  });
  assert.equal(bestStatic(mc)?.label, 'jitter=10');
  assert.ok((memcachedSection(mc).text ?? []).includes('target no query over 200 ms: met, share over 200 ms 0, the median of the repetitions'));
  // The report says when the small MultiGets read values of another size (runs before that read the large ones' size).
  assert.ok(!(memcachedSection(mc).text ?? []).some((t) => t.startsWith('Small MultiGets')));
  mc.params.smallValueBytes = 256;
  assert.ok((memcachedSection(mc).text ?? []).includes('Small MultiGets read values of 256 B.'));
  const s = mc.modes['smarttags']!;
  s.incast.qct.mean = 78;
  s.dropsPerQuery = 0.2;
  s.nonIncast.qct.mean = 1.06;
  s.bulkMbps = 73;
  // A repetition with a slow query fails the target even when the median share is 0.
  s.spread.stallShare = { median: 0, min: 0, max: 0.01 };
  mc.sweeps['window'] = [{ ...mcMode(1, 26.9) }];
  assert.deepEqual(Object.values(verdicts(mc)), [true, false, true, false, false, false]);
  const lines = targetLines(memcachedTargets(mc));
  assert.equal(lines[0], 'target incast QCT mean within 1.15x the line-rate bound: met, 78 ms, 1.14x the bound of 68.7 ms');
  assert.equal(lines[1], 'target no query over 200 ms: NOT met, share over 200 ms 0.01 in the worst repetition');
  assert.equal(lines[3], 'target non-incast queries at most 5% worse than no action: NOT met, mean 1.06 against 1 ms (+6%)');
  assert.equal(lines[5], 'target score at least as good as the best hindsight-tuned static baseline (medians): NOT met, 27 against 26.9 ms for window=1');
  // Without no action the comparisons with it are not checked.
  delete mc.modes['none'];
  assert.equal(memcachedTargets(mc).filter((c) => c.met === null).length, 3);

  const dml = dmlDoc();
  assert.deepEqual(dmlTargets(dml).map((c) => c.met), [true, false, true]);
  assert.equal(targetLines(dmlTargets(dml))[0], 'target iteration time at least 35% below no action: met, mean 214 against 340 ms (-37.1%)');
  dml.modes['smarttags']!.iterationMs.mean = 230;
  dml.modes['smarttags']!.dropsPerIteration = 0;
  dml.modes['smarttags']!.backgroundMbps = 23;
  assert.deepEqual(dmlTargets(dml).map((c) => c.met), [false, true, false]);
  delete dml.modes['smarttags'];
  assert.deepEqual(dmlTargets(dml).map((c) => c.met), [null, null, null]);
});

test('each case has its named figures, standalone SVG; the learned signature gives Figure 3 and the extent', () => {
  const mc = memcachedFigures(memcachedDoc());
  assert.deepEqual(mc.map((f) => f.name), ['fig3-lag', 'extent', 'qct-cdf', 'fig8a-drops-vs-keys', 'fig8b-qct-vs-delay', 'fig8b-drops-vs-delay']);
  for (const f of mc) assert.match(f.svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, f.name);
  // Figure 3 is drawn for the top-ranked signature (the fixture lists it last).
  assert.match(mc[0]!.svg, /Lag MG@client-7/);
  // Figure 8b starts at no action (delay 0), then the jitter sweep in order of delay.
  assert.match(mc.find((f) => f.name === 'fig8b-qct-vs-delay')!.svg, /QCT vs static random delay/);
  assert.deepEqual(dmlFigures(dmlDoc()).map((f) => f.name), ['iteration-cdf'], 'no signature learned: no Figure 3');
});

test('smarttags testbed --from reads a results file and writes the figures without running anything', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'st-figures-'));
  const out = process.stdout.write;
  let printed = '';
  process.stdout.write = ((s: string) => { printed += s; return true; }) as typeof process.stdout.write;
  try {
    await writeFile(join(dir, 'mc.json'), JSON.stringify(memcachedDoc()));
    assert.equal(await testbedCommand(['memcached', '--from', join(dir, 'mc.json'), '--figures', join(dir, 'figs'), '--report', join(dir, 'mc.html')]), 0);
    const files = (await readdir(join(dir, 'figs'))).sort();
    assert.deepEqual(files, ['memcached-extent.svg', 'memcached-fig3-lag.svg', 'memcached-fig8a-drops-vs-keys.svg', 'memcached-fig8b-drops-vs-delay.svg', 'memcached-fig8b-qct-vs-delay.svg', 'memcached-qct-cdf.svg']);
    assert.match(printed, /smarttags\s+param -\s+score 27 ms/);
    assert.match(printed, /hindsight-best static baseline jitter=10, score difference per repetition -11\.00 ms; mean -11\.00 ms \(one repetition: no interval\)/);
    assert.match(printed, /target score at least as good as the best hindsight-tuned static baseline \(medians\): met, 27 against 38 ms for jitter=10\n/);
    assert.match(await readFile(join(dir, 'mc.html'), 'utf8'), /target incast QCT mean within 1\.15x the line-rate bound: NOT met/);
    // A file without the comparison reads as null.
    const { versusBestStatic: _v, ...older } = memcachedDoc();
    await writeFile(join(dir, 'older.json'), JSON.stringify(older));
    assert.equal((await readCaseResults(join(dir, 'older.json'), 'memcached') as MemcachedReport).versusBestStatic, null);
    assert.match(await readFile(join(dir, 'mc.html'), 'utf8'), /MemCached incast/);
    // A results file that is not what it claims: the field is named, nothing is written.
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ ...memcachedDoc(), samples: { none: [1] } }));
    await assert.rejects(testbedCommand(['memcached', '--from', join(dir, 'bad.json'), '--figures', join(dir, 'bad')]), /bad\.json: field samples\.none\[0\]: needs boolean large/);
    await assert.rejects(readdir(join(dir, 'bad')), /ENOENT/);
    await writeFile(join(dir, 'broken.json'), '{"case": "dml",');
    await assert.rejects(readCaseResults(join(dir, 'broken.json'), 'dml'), /broken\.json: .*JSON/);
    await assert.rejects(testbedCommand(['dml', '--from', join(dir, 'mc.json'), '--quick']), /--quick configures a run; --from reads one/);
    await assert.rejects(testbedCommand(['memcached', '--from', join(dir, 'mc.json'), '--modes', 'window']), /--modes configures a run; --from reads one/);
  } finally {
    process.stdout.write = out;
    await rm(dir, { recursive: true, force: true });
  }
});

test('the figures the README shows are what the committed results draw today', async () => {
  const repo = new URL('../../', import.meta.url).pathname;
  for (const which of ['memcached', 'dml'] as const) {
    const r = await readCaseResults(join(repo, 'docs/results', `${which}-quick.json`), which);
    const figures = which === 'memcached' ? memcachedFigures(r as MemcachedReport) : dmlFigures(r as DmlReport);
    for (const f of figures) {
      const file = join(repo, 'docs/figures', `${which}-${f.name}.svg`);
      assert.equal(await readFile(file, 'utf8'), f.svg + '\n', `${file} is stale: npx smarttags testbed ${which} --from docs/results/${which}-quick.json --figures docs/figures`);
    }
  }
  const readme = await readFile(join(repo, 'README.md'), 'utf8');
  for (const m of readme.matchAll(/\]\((docs\/[^)]+)\)/g)) await readFile(join(repo, m[1]!));
});

test('--modes runs some families, no action always first; unknown families are refused by name', async () => {
  const mc = { ...defaultMemcachedOptions(true), families: ['window', 'smarttags'] };
  assert.deepEqual(memcachedModes(mc).map(modeLabel), ['none', 'window=1', 'window=2', 'smarttags']);
  assert.equal(memcachedModes(defaultMemcachedOptions(true)).length, 13);
  // What --modes accepts is every family the case runs, in its order.
  assert.deepEqual([...new Set(memcachedModes(defaultMemcachedOptions(false)).map((m) => m.family))], [...MEMCACHED_FAMILIES]);
  assert.deepEqual([...new Set(dmlModes(defaultDmlOptions(false)).map((m) => m.family))], [...DML_FAMILIES]);
  assert.deepEqual(dmlModes({ ...defaultDmlOptions(true), families: ['smarttags'] }).map(dmlLabel), ['none', 'smarttags']);
  await assert.rejects(testbedCommand(['memcached', '--modes', 'window,clamp']), /--modes: unknown mode family "clamp"; this case has none, jitter, window/);
  await assert.rejects(testbedCommand(['dml', '--modes', 'window']), /--modes: unknown mode family "window"; this case has none, split, reactive, smarttags/);
  await assert.rejects(testbedCommand(['dml', '--modes', ',']), /--modes: names no mode family/);
  // The workload's sizes are checked before anything runs.
  await assert.rejects(testbedCommand(['memcached', '--large-keys', '0']), /--large-keys: must be a positive integer, got 0/);
  await assert.rejects(testbedCommand(['memcached', '--large-keys', '5000']), /--large-keys: at most 1000 per server, got 5000/);
  await assert.rejects(testbedCommand(['memcached', '--small-value-bytes', '600000']), /--small-value-bytes: at most 524288/);
});

test('SmartTags is paired with the static configuration of lowest median score, repetition by repetition', () => {
  const run = (family: string, ...scores: number[]) => ({ spec: { family }, reps: scores.map((score) => ({ score })) });
  const runs = new Map([
    ['none', run('none', 40, 41, 39)],
    ['window=1', run('window', 27.1, 27.2, 36.1)],
    ['window=2', run('window', 26.7, 27.0, 36.1)],
    ['pacing=16', run('pacing', 32, 33, 42)],
    // Reactive is not static: never the one compared with, however low its score.
    ['reactive=100', run('reactive', 20, 20, 20)],
    ['smarttags', run('smarttags', 26.7, 27.1, 36.0)],
  ]);
  const v = versusBestStaticOf(runs);
  assert.equal(v?.against, 'window=2');
  assert.deepEqual(v?.score.perRep, [0, 0.1, -0.1]);
  assert.equal(v?.score.mean, 0);
  assert.deepEqual(v?.score.ci95, [-0.25, 0.25]);
  assert.equal(
    versusBestStaticText(v!),
    'smarttags against the hindsight-best static baseline window=2, score difference per repetition 0.00, +0.10, -0.10 ms; mean 0.00 ms, 95% confidence interval [-0.25, +0.25] ms (negative: SmartTags ahead).',
  );
  runs.delete('smarttags');
  assert.equal(versusBestStaticOf(runs), null);
});
