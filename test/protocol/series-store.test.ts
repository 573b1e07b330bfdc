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
