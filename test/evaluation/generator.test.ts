import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize, TARGET_RECORDS_PER_SLICE, type RecordChunk } from '../../src/evaluation/synthesize.ts';
import { writeScenario } from '../../src/evaluation/write-scenario.ts';
import { Topology } from '../../src/protocol/topology.ts';
import { readTruth } from '../../src/evaluation/truth.ts';
import { readRecordFiles } from '../../src/protocol/record-reader.ts';
import { recordProblem } from '../../src/protocol/record.ts';
import type { Series } from '../../src/protocol/series-store.ts';

const SHORT = 200e6; // 200 s of simulated time keeps each scenario under ~25k records

function collect(chunks: Iterable<RecordChunk>): { times: number[]; series: number[]; values: number[]; chunks: number } {
  const out = { times: [] as number[], series: [] as number[], values: [] as number[], chunks: 0 };
  for (const c of chunks) {
    out.chunks++;
    for (let i = 0; i < c.length; i++) {
      out.times.push(c.times[i]!);
      out.series.push(c.series[i]!);
      out.values.push(c.values[i]!);
    }
  }
  return out;
}

function byKey(series: Series[]): Map<string, Series> {
  return new Map(series.map((s) => [`${s.key.kind}|${s.key.name}|${s.key.locale}`, s]));
}

test('the same seed gives the same records; another seed gives others', () => {
  const a = collect(synthesize({ scenario: 'coexist', seed: 7, durationUs: SHORT }).chunks());
  const b = collect(synthesize({ scenario: 'coexist', seed: 7, durationUs: SHORT }).chunks());
  const c = collect(synthesize({ scenario: 'coexist', seed: 8, durationUs: SHORT }).chunks());
  assert.ok(a.times.length > 10_000);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.times.slice(0, 100), c.times.slice(0, 100));
});

test('records are valid, time-ordered, inside the run, and a scenario can be read only once', () => {
  const s = synthesize({ scenario: 'coexist', seed: 3, durationUs: SHORT, startUs: 5_000_000 });
  let last = -Infinity;
  let n = 0;
  for (const r of s.records()) {
    assert.equal(recordProblem(r), null, JSON.stringify(r));
    assert.ok(r.time >= last, `record ${n} goes back in time`);
    assert.ok(r.time >= 5_000_000 && r.time < 5_000_000 + SHORT);
    last = r.time;
    n++;
  }
  assert.ok(Math.abs(n - s.expectedRecords) < 0.1 * s.expectedRecords, `${n} records, expected about ${s.expectedRecords}`);
  assert.throws(() => s.chunks().next(), /already read/);
});

test('topology is leaf-spine and truth pairs are related 1 or 2 hops apart with the documented lags', () => {
  const s = synthesize({ scenario: 'coexist', seed: 1, durationUs: SHORT });
  const t = s.topology;
  assert.equal(t.nodes.filter((n) => n.kind === 'spine').length, 2);
  assert.equal(t.nodes.filter((n) => n.kind === 'leaf').length, 4);
  assert.equal(t.nodes.filter((n) => n.kind === 'host').length, 32);
  assert.equal(t.links.length, 4 * 2 + 32);
  const ids = new Set(t.nodes.map((n) => n.id));
  for (const k of s.series) assert.ok(ids.has(t.locales[k.locale]!), `locale ${k.locale} maps to a node`);
  assert.equal(s.truth.pairs.length, 10);
  const graph = Topology.fromDoc(t);
  for (const p of s.truth.pairs) {
    assert.equal(p.relation, `${graph.hops(p.tag.locale, p.event.locale)}-hop`);
    assert.ok(['1-hop', '2-hop'].includes(p.relation));
    assert.ok(p.window.start >= 200 && p.window.end <= 300_000, `lead time within 200us..300ms: ${JSON.stringify(p.window)}`);
    assert.ok(p.window.start < p.leadTime.p05 && p.leadTime.p05 < p.leadTime.p50 && p.leadTime.p50 < p.leadTime.p95 && p.leadTime.p95 < p.window.end);
    assert.ok(p.probability > 0.3 && p.probability < 0.95);
  }
  // Co-existing applications: several kinds of tags and events, and decoys of every role.
  assert.ok(new Set(s.truth.pairs.map((p) => p.tag.name)).size >= 5);
  for (const role of ['companion', 'noise', 'host']) assert.ok(s.truth.decoys.some((d) => d.role === role), role);
});

test('caused events follow their tags with the truth probability and lead time; norelation differs only by them', () => {
  const coexist = synthesize({ scenario: 'coexist', seed: 5 });
  const truth = coexist.truth;
  const withCause = byKey(coexist.fillStore().finish());
  const without = byKey(synthesize({ scenario: 'norelation', seed: 5 }).fillStore().finish());
  const groups = new Map<string, typeof truth.pairs>();
  for (const p of truth.pairs) {
    const key = `event|${p.event.name}|${p.event.locale}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  // Co-located applications: at least two causal pairs share one event series here.
  assert.ok([...groups.values()].some((g) => g.length > 1));
  for (const [key, group] of groups) {
    const all = withCause.get(key)!;
    const background = new Set(without.get(key)!.times);
    const caused = [...all.times].filter((t) => !background.has(t));
    // Caused events within binomial noise (4 standard deviations) of sum(probability * tags).
    let expected = 0;
    let variance = 0;
    for (const p of group) {
      const n = withCause.get(`tag|${p.tag.name}|${p.tag.locale}`)!.times.length;
      expected += p.probability * n;
      variance += p.probability * (1 - p.probability) * n;
    }
    assert.ok(Math.abs(caused.length - expected) < 4 * Math.sqrt(variance) + 2, `${key}: ${caused.length} caused events vs ${expected} expected`);
    if (group.length > 1) continue;
    // Every caused event has a tag inside the truth window before it; the median lag matches p50.
    const p = group[0]!;
    const tags = withCause.get(`tag|${p.tag.name}|${p.tag.locale}`)!.times;
    const lags: number[] = [];
    let j = 0;
    for (const e of caused) {
      while (j + 1 < tags.length && tags[j + 1]! <= e - p.window.start) j++;
      let k = j;
      while (k >= 0 && e - tags[k]! < p.window.start) k--;
      assert.ok(k >= 0 && e - tags[k]! <= p.window.end + 1, `${p.app}: event at ${e} has no tag in its window`);
      lags.push(e - tags[k]!);
    }
    lags.sort((a, b) => a - b);
    const med = lags[lags.length >> 1]!;
    assert.ok(Math.abs(med - p.leadTime.p50) / p.leadTime.p50 < 0.1, `${p.app}: median lag ${med} vs truth ${p.leadTime.p50}`);
  }
  // Everything else is identical: the same tags and the same background events.
  for (const [key, s] of without) {
    if (groups.has(key)) continue;
    assert.deepEqual(withCause.get(key)!.times, s.times, key);
  }
  assert.equal(synthesize({ scenario: 'norelation', seed: 5 }).truth.pairs.length, 0);
});

test('companions travel with their causal tag; a shared load cycle, ON-OFF bursts and rack episodes shape the rates', () => {
  const s = synthesize({ scenario: 'coexist', seed: 2 });
  const truth = s.truth;
  const cycle = truth.params.loadCycle as { amplitude: number; periodUs: number; phase: number };
  const start = s.options.startUs;
  const series = byKey(s.fillStore().finish());
  for (const d of truth.decoys.filter((x) => x.role === 'companion')) {
    const comp = series.get(`tag|${d.tag.name}|${d.tag.locale}`)!.times;
    const causal = series.get(`tag|${d.travelsWith!.name}|${d.travelsWith!.locale}`)!.times;
    const pair = truth.pairs.find((p) => p.tag.name === d.travelsWith!.name && p.tag.locale === d.travelsWith!.locale)!;
    const reach = 0.3 * pair.leadTime.p50 + 1;
    let j = 0;
    for (const c of comp) {
      while (j < causal.length && causal[j]! < c - reach) j++;
      assert.ok(j < causal.length && causal[j]! <= c + reach, `companion ${d.tag.name} at ${c} without its causal tag`);
    }
    assert.ok(comp.length > 0.5 * causal.length && comp.length < 0.9 * causal.length);
  }
  // Load cycle: noise tags and background events are denser where the shared multiplier is above 1.
  const high = (t: number) => Math.sin((2 * Math.PI * (t - start)) / cycle.periodUs + cycle.phase) > 0;
  let hi = 0;
  let lo = 0;
  for (const d of truth.decoys.filter((x) => x.role === 'noise')) for (const t of series.get(`tag|${d.tag.name}|${d.tag.locale}`)!.times) (high(t) ? hi++ : lo++);
  assert.ok(hi > 1.5 * lo, `noise tags at high load ${hi} vs low ${lo}`);
  // Bursts: per-second counts of background drops are over-dispersed (a Poisson process gives var/mean 1).
  const drops = [...series.values()].filter((x) => x.key.kind === 'event' && x.key.name === 'drop');
  const perSecond = new Float64Array(600);
  for (const d of drops) for (const t of d.times) perSecond[Math.floor((t - start) / 1e6)]!++;
  const mean = perSecond.reduce((a, b) => a + b, 0) / perSecond.length;
  const variance = perSecond.reduce((a, b) => a + (b - mean) ** 2, 0) / perSecond.length;
  assert.ok(variance / mean > 3, `index of dispersion ${variance / mean}`);
  // Rack congestion episodes: per-second host CPU tags of a rack and events at its leaf ports rise together.
  const rackTags = new Float64Array(600);
  const rackEvents = new Float64Array(600);
  for (const x of series.values()) {
    const node = s.topology.locales[x.key.locale]!;
    const inRack0 = x.key.kind === 'tag' ? x.key.name === 'cpu_high' && Number(node.slice(1)) < s.options.hostsPerLeaf : node === 'leaf0';
    if (!inRack0) continue;
    for (const t of x.times) (x.key.kind === 'tag' ? rackTags : rackEvents)[Math.floor((t - start) / 1e6)]!++;
  }
  assert.ok(correlation(rackTags, rackEvents) > 0.3, `rack correlation ${correlation(rackTags, rackEvents)}`);
});

function correlation(a: Float64Array, b: Float64Array): number {
  const ma = a.reduce((x, y) => x + y, 0) / a.length;
  const mb = b.reduce((x, y) => x + y, 0) / b.length;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

test('extent scenario: event probability and size grow with the tag value', () => {
  const s = synthesize({ scenario: 'extent', seed: 4 });
  assert.equal(s.truth.pairs.length, 4);
  const coexist = byKey(s.fillStore().finish());
  for (const p of s.truth.pairs) {
    assert.ok(p.extent.logistic && p.extent.logistic.b > 0 && p.extent.threshold !== null);
    const events = coexist.get(`event|${p.event.name}|${p.event.locale}`)!;
    const tags = coexist.get(`tag|${p.tag.name}|${p.tag.locale}`)!;
    // Tags above the threshold are followed (inside the window) far more often than those below.
    const share = (pick: (v: number) => boolean) => {
      let n = 0;
      let hit = 0;
      let j = 0;
      for (let i = 0; i < tags.times.length; i++) {
        if (!pick(tags.values[i]!)) continue;
        const t = tags.times[i]!;
        while (j < events.times.length && events.times[j]! < t + p.window.start) j++;
        n++;
        if (j < events.times.length && events.times[j]! <= t + p.window.end) hit++;
      }
      return hit / n;
    };
    const th = p.extent.threshold!;
    assert.ok(share((v) => v >= th + 3) > share((v) => v < th - 3) + 0.3, `${p.app}: extent`);
  }
});

test('bench scenario streams 1000+ locales to CSV and reads back identically', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smarttags-synth-'));
  try {
    const s = synthesize({ scenario: 'bench', seed: 1, records: 100_000 });
    const locales = new Set(s.series.map((k) => k.locale));
    assert.ok(locales.size >= 1000, `${locales.size} locales`);
    assert.equal(s.truth.pairs.length, 50);
    const result = await writeScenario(s, dir);
    assert.ok(Math.abs(result.records - 100_000) < 5_000, `${result.records} records`);
    const back = byKey((await readRecordFiles([result.files.records], { strict: true })).store.finish());
    const again = synthesize({ scenario: 'bench', seed: 1, records: 100_000 });
    const direct = byKey(again.fillStore().finish().filter((x) => x.times.length > 0));
    assert.equal(back.size, direct.size);
    for (const [key, d] of direct) {
      assert.deepEqual(back.get(key)!.times, d.times, key);
      assert.deepEqual(back.get(key)!.values, d.values, key);
    }
    assert.deepEqual((await Topology.load(result.files.topology)).toJSON().locales, Topology.fromDoc(s.topology).toJSON().locales);
    assert.deepEqual(readTruth(result.files.truth).pairs, s.truth.pairs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('records are released in bounded chunks (streaming), not all at once', () => {
  const s = synthesize({ scenario: 'bench', seed: 2, records: 400_000 });
  let chunks = 0;
  let largest = 0;
  let total = 0;
  for (const c of s.chunks()) {
    chunks++;
    largest = Math.max(largest, c.length);
    total += c.length;
  }
  // Memory is bounded by the slice, not the scenario: no chunk much above the per-slice target.
  assert.ok(chunks >= 2 && largest < 1.5 * TARGET_RECORDS_PER_SLICE, `${chunks} chunks, largest ${largest} of ${total}`);
});

test('clock skew shifts the tags of each host by one constant; polling merges switch events per poll instant', () => {
  const opts = { scenario: 'coexist' as const, seed: 6, durationUs: SHORT };
  const exact = byKey(synthesize(opts).fillStore().finish());
  const skewed = byKey(synthesize({ ...opts, clockSkewUs: 1000 }).fillStore().finish());
  const offsets = new Set<number>();
  for (const [key, s] of exact) {
    const k = skewed.get(key)!;
    if (s.key.kind === 'event') {
      assert.deepEqual(k.times, s.times, key);
      continue;
    }
    // Records shifted out of [0, duration) are dropped at the edges; compare the common middle.
    if (s.times.length < 30) continue;
    const d = k.times[10]! - s.times[10]!;
    assert.ok(Math.abs(d) <= 1000, `${key}: offset ${d}`);
    for (let i = 10; i < s.times.length - 10; i++) assert.equal(k.times[i]! - s.times[i]!, d, key);
    offsets.add(d);
  }
  assert.ok(offsets.size > 5, 'hosts have different offsets');

  const start = synthesize(opts).options.startUs;
  const polled = byKey(synthesize({ ...opts, pollUs: 10_000 }).fillStore().finish());
  let merged = 0;
  for (const [key, s] of exact) {
    const p = polled.get(key)!;
    if (s.key.kind === 'tag') {
      assert.deepEqual(p.times, s.times, key);
      continue;
    }
    for (let i = 0; i < p.times.length; i++) {
      assert.equal((p.times[i]! - start) % 10_000, 0, `${key}: not at a poll instant`);
      if (i > 0) assert.ok(p.times[i]! > p.times[i - 1]!, `${key}: two reports at one poll instant`);
    }
    const sum = (x: Series, pick: (t: number) => boolean) => x.values.reduce((acc, v, i) => acc + (pick(x.times[i]!) ? v : 0), 0);
    const cut = start + SHORT - 10_000;
    const reportedAt = (t: number) => start + Math.ceil((t - start) / 10_000) * 10_000;
    assert.equal(sum(p, (t) => t < cut), sum(s, (t) => reportedAt(t) < cut), key);
    merged += s.times.length - p.times.length;
  }
  assert.ok(merged > 0, 'some events were merged');
});

test('bad options are rejected with the field named', () => {
  assert.throws(() => synthesize({ scenario: 'nope' as never }), /scenario: must be one of/);
  assert.throws(() => synthesize({ scenario: 'coexist', apps: 0 }), /apps/);
  assert.throws(() => synthesize({ scenario: 'coexist', seed: 1.5 }), /seed/);
  assert.throws(() => synthesize({ scenario: 'coexist', records: 5000 }), /records: only the bench scenario/);
  assert.throws(() => synthesize({ scenario: 'coexist', hostsPerLeaf: 1 }), /hostsPerLeaf/);
  assert.throws(() => synthesize({ scenario: 'coexist', durationUs: 10 }), /duration/);
  assert.throws(() => synthesize({ scenario: 'coexist', probabilityRange: [0.5, 0.2] }), /probabilityRange/);
  assert.throws(() => synthesize({ scenario: 'coexist', clockSkewUs: -1 }), /clockSkew/);
  assert.throws(() => synthesize({ scenario: 'coexist', pollUs: NaN }), /poll/);
});
