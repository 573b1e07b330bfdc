import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeriesStore } from '../../src/protocol/series-store.ts';
import { recordProblem } from '../../src/protocol/record.ts';

test('series store groups records by series and sorts unsorted input stably', () => {
  const s = new SeriesStore();
  s.add({ time: 30, locale: 'h1', kind: 'tag', name: 'MG', value: 5 });
  s.add({ time: 10, locale: 'h1', kind: 'tag', name: 'MG', value: 7 });
  s.add({ time: 20, locale: 'sw1', kind: 'event', name: 'drop', value: 3 });
  s.add({ time: 10, locale: 'h1', kind: 'tag', name: 'MG', value: 8 });
  for (let i = 0; i < 100; i++) s.add({ time: 1000 + i, locale: 'sw1', kind: 'event', name: 'drop', value: i });
  const series = s.finish();
  assert.equal(s.size, 104);
  assert.equal(series.length, 2);
  const mg = series.find((x) => x.key.name === 'MG')!;
  assert.deepEqual([...mg.times], [10, 10, 30]);
  assert.deepEqual([...mg.values], [7, 8, 5]);
  const drop = series.find((x) => x.key.kind === 'event')!;
  assert.equal(drop.times.length, 101);
  assert.equal(drop.values[100], 99);
});

test('record validation names the offending field', () => {
  const ok = { time: 1, locale: 'h1', kind: 'tag' as const, name: 'MG', value: 1 };
  assert.equal(recordProblem(ok), null);
  assert.equal(recordProblem({ ...ok, time: 1.5 })?.field, 'time');
  assert.equal(recordProblem({ ...ok, locale: '' })?.field, 'locale');
  assert.equal(recordProblem({ ...ok, name: 'a\nb' })?.field, 'name');
  assert.equal(recordProblem({ ...ok, value: NaN })?.field, 'value');
});

test('series store: large series across chunks, disorder at a chunk boundary, finish twice, append after finish', () => {
  const s = new SeriesStore();
  const a = s.seriesId('tag', 'A', 'h1');
  const b = s.seriesId('event', 'B', 'h2');
  const n = 200_000;
  for (let i = 0; i < n; i++) {
    s.append(a, i, i % 13);
    if (i % 4 === 0) s.append(b, n - i, i);
  }
  // the only out-of-order record of A comes last, many chunks later
  s.append(a, 5.5, -1);
  let series = s.finish();
  assert.equal(s.size, n + n / 4 + 1);
  const A = series[a]!;
  assert.equal(A.times.length, n + 1);
  assert.deepEqual([...A.times.subarray(4, 8)], [4, 5, 5.5, 6]);
  assert.equal(A.values[6], -1);
  assert.equal(A.values[n], (n - 1) % 13);
  const B = series[b]!;
  assert.equal(B.times.length, n / 4);
  assert.ok(B.times.every((t, i) => i === 0 || B.times[i - 1]! <= t));
  assert.equal(B.values[0], n - 4);
  // finishing again gives the same content; appending afterwards extends it, keeping order checks
  series = s.finish();
  assert.equal(series[a]!.times.length, n + 1);
  s.append(a, 1.5, 42);
  s.append(a, n + 10, 43);
  series = s.finish();
  const A2 = series[a]!;
  assert.equal(A2.times.length, n + 3);
  assert.deepEqual([...A2.times.subarray(0, 4)], [0, 1, 1.5, 2]);
  assert.equal(A2.values[2], 42);
  assert.equal(A2.times[n + 2], n + 10);
  assert.equal(s.size, n + n / 4 + 3);
  // a record older than its predecessor that starts a new chunk (the first chunk holds 16 records)
  const c = s.seriesId('tag', 'C', 'h3');
  for (let i = 0; i < 16; i++) s.append(c, 100 + i, i);
  s.append(c, 50, 99);
  assert.deepEqual([...s.finish()[c]!.times.subarray(0, 2)], [50, 100]);
});

test('series store: unknown ids are refused; a later finish reports arrays transferred away', () => {
  const s = new SeriesStore();
  assert.throws(() => s.append(0, 1, 1), /unknown series id 0/);
  const id = s.seriesId('tag', 'MG', 'h1');
  s.append(id, 2, 1);
  s.append(id, 1, 1);
  const [series] = s.finish();
  assert.deepEqual([...series!.times], [1, 2]);
  structuredClone(series!.times.buffer, { transfer: [series!.times.buffer as ArrayBuffer] });
  assert.throws(() => s.finish(), /series 0: the arrays of an earlier finish\(\) were transferred/);
});

test('series store keeps every time and value exactly, whether or not they fit the compact int32 log', () => {
  const s = new SeriesStore();
  const a = s.seriesId('tag', 'A', 'h1');
  const b = s.seriesId('event', 'B', 'h1');
  const base = 1_764_000_000_000_000;
  // chunk 1 (1024 records): compact until a far time and a fractional value force doubles midway
  const expectA: [number, number][] = [];
  const expectB: [number, number][] = [];
  for (let i = 0; i < 3000; i++) {
    const far = i === 700 ? 3e9 : i === 2500 ? -5e9 : 0;
    const time = base + i * 1000 + far;
    const value = i === 800 ? 0.5 : i === 900 ? -0 : i === 950 ? 2 ** 31 : i === 960 ? -(2 ** 31) : i % 7;
    const id = i % 3 === 0 ? b : a;
    s.append(id, time, value);
    (id === a ? expectA : expectB).push([time, value]);
  }
  s.append(a, 12.25, 1); // a fractional time
  expectA.push([12.25, 1]);
  const byTime = (x: [number, number], y: [number, number]) => x[0] - y[0];
  const [A, B] = s.finish();
  assert.deepEqual([...A!.times].map((t, i) => [t, A!.values[i]]), expectA.sort(byTime));
  assert.deepEqual([...B!.times].map((t, i) => [t, B!.values[i]]), expectB.sort(byTime));
  assert.ok(Object.is(B!.values[[...B!.times].indexOf(base + 900 * 1000)], -0));
});
