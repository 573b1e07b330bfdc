import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { RecordWriter, writeRecordFile, type WriterOptions } from '../../src/protocol/record-writer.ts';
import { readRecordFiles } from '../../src/protocol/record-reader.ts';
import type { SmartRecord } from '../../src/protocol/record.ts';
import type { TimeUnit } from '../../src/protocol/time-unit.ts';

const dir = mkdtempSync(join(tmpdir(), 'smarttags-writer-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Seeded records with awkward locales and values (quotes, commas, non-ASCII, decimals, exponents). */
function records(n: number, seed: number): SmartRecord[] {
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const locales = ['h1', 'sw1:p3', '10.0.0.1:80,10.0.0.2:9000,tcp', 'app "x"', 'zürich-rack', "it's"];
  const values = () => [1, 0, -3, 0.1, 123.45, 2.5e-9, 1e21, 1 / 3, 99999999.5, Math.round(rand() * 1e6) / 1e3][Math.floor(rand() * 10)]!;
  return Array.from({ length: n }, () => ({
    time: Math.floor(rand() * 1e15) + 1_700_000_000_000_000 * Math.floor(rand() * 2),
    locale: locales[Math.floor(rand() * locales.length)]!,
    kind: rand() < 0.5 ? 'tag' : 'event',
    name: rand() < 0.5 ? 'MG' : 'drop,big',
    value: values(),
  }));
}

function sortRecords(rs: SmartRecord[]): SmartRecord[] {
  const key = (r: SmartRecord) => `${r.kind}\u0000${r.name}\u0000${r.locale}`;
  return [...rs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.time - b.time));
}

async function readBack(specs: string[], timeUnit: TimeUnit = 'us'): Promise<SmartRecord[]> {
  const r = await readRecordFiles(specs, { strict: true, timeUnit });
  const out: SmartRecord[] = [];
  for (const s of r.store.finish()) s.times.forEach((t, i) => out.push({ time: t, locale: s.key.locale, kind: s.key.kind, name: s.key.name, value: s.values[i]! }));
  return sortRecords(out);
}

test('every format (and gzip) reads back exactly what was written', async () => {
  const input = records(2000, 7);
  const variants: [string, WriterOptions][] = [
    ['a.csv', {}],
    ['a.jsonl', { format: 'jsonl' }],
    ['a.csv.gz', { gzip: true }],
    ['a.jsonl.gz', { format: 'jsonl', gzip: 1 }],
  ];
  for (const [name, opts] of variants) {
    const path = join(dir, name);
    assert.equal(await writeRecordFile(path, input, opts), input.length);
    assert.deepEqual(await readBack([path]), sortRecords(input), name);
  }
  const tags = join(dir, 'tags.csv');
  const events = join(dir, 'events.csv');
  await writeRecordFile(tags, input.filter((r) => r.kind === 'tag'), { format: 'csv4', kind: 'tag' });
  await writeRecordFile(events, input.filter((r) => r.kind === 'event'), { format: 'csv4', kind: 'event', header: false });
  assert.deepEqual(await readBack([`tag:${tags}`, `event:${events}`]), sortRecords(input));
  assert.match(readFileSync(tags, 'utf8'), /^time,locale,name,value\n/);
});

test('time units are written exactly and read back to the same microseconds', async () => {
  const input = records(300, 11);
  for (const unit of ['s', 'ms', 'ns'] as TimeUnit[]) {
    const path = join(dir, `u-${unit}.csv`);
    await writeRecordFile(path, input, { timeUnit: unit });
    assert.deepEqual(await readBack([path], unit), sortRecords(input), unit);
  }
  const path = join(dir, 'u-s-exact.csv');
  await writeRecordFile(path, [{ time: 1764000000120000, locale: 'h1', kind: 'tag', name: 'MG', value: 0.5 }], { timeUnit: 's' });
  assert.equal(readFileSync(path, 'utf8'), 'time,locale,kind,name,value\n1764000000.12,h1,tag,MG,0.5\n');
});

test('invalid records are refused with the field named', () => {
  const w = new RecordWriter(new Writable({ write: (_c, _e, cb) => cb() }), { format: 'csv4', kind: 'tag' });
  const ok: SmartRecord = { time: 1, locale: 'h1', kind: 'tag', name: 'MG', value: 1 };
  assert.throws(() => w.write({ ...ok, time: 1.5 }), /field "time"/);
  assert.throws(() => w.write({ ...ok, value: NaN }), /field "value"/);
  assert.throws(() => w.write({ ...ok, locale: '' }), /field "locale": empty/);
  assert.throws(() => w.write({ ...ok, name: 'a\nb' }), /field "name": contains control character/);
  assert.throws(() => w.write({ ...ok, kind: 'event' }), /field "kind": "event" in a tag file/);
  assert.throws(() => new RecordWriter(new Writable(), { format: 'csv4' }), /needs the kind/);
  assert.equal(w.written, 0);
});

test('backpressure: write() says when to wait, ready() resumes, nothing is lost', async () => {
  const chunks: Buffer[] = [];
  let pending = 0;
  const slow = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      pending++;
      setTimeout(() => {
        pending--;
        cb();
      }, 1);
    },
  });
  const w = new RecordWriter(slow, { format: 'jsonl' });
  const input = records(60_000, 3);
  let waits = 0;
  for (const r of input) {
    if (!w.write(r)) {
      waits++;
      await w.ready();
    }
  }
  await w.close();
  assert.ok(waits > 0, 'the writer asked to wait at least once');
  assert.equal(pending, 0);
  const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
  assert.equal(lines.length, input.length);
  assert.deepEqual(JSON.parse(lines[59_999]!), input[59_999]);
});

test('a failing destination surfaces its error on close', async () => {
  const w = RecordWriter.toFile(join(dir, 'missing-dir', 'x.csv'));
  w.write({ time: 1, locale: 'h1', kind: 'tag', name: 'MG', value: 1 });
  await assert.rejects(w.close(), /ENOENT/);
});

test('an error while waiting for drain wakes the writer and close() reports it', { timeout: 10_000 }, async () => {
  const stuck = new Writable({ highWaterMark: 16, write: () => {} }); // never calls back: stays full
  const w = new RecordWriter(stuck, { gzip: 1 });
  let full = false;
  for (const r of records(50_000, 5)) if (!w.write(r)) full = true;
  assert.ok(full, 'the stuck destination pushed back');
  const waiting = w.ready();
  stuck.destroy(new Error('disk gone'));
  await assert.rejects(waiting, /disk gone/);
  await assert.rejects(w.close(), /disk gone/);
});
