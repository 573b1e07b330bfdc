// Throughput benchmark of the record writer and reader (not part of `npm test`):
//   node --expose-gc --import tsx test/protocol/bench-protocol.ts [records=10000000] [format=csv|csv4|jsonl] [gzip=0|1] [hosts=64]
// Writes a seeded synthetic file to a temporary directory, reads it back into a SeriesStore, prints
// records/s and bytes/record, and deletes the file.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordWriter, type RecordFormat } from '../../src/protocol/record-writer.ts';
import { readRecordFiles } from '../../src/protocol/record-reader.ts';
import type { SmartRecord } from '../../src/protocol/record.ts';

const n = Number(process.argv[2] ?? 10_000_000);
const format = (process.argv[3] ?? 'csv') as RecordFormat;
const gzip = process.argv[4] === '1';
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
};
const dir = mkdtempSync(join(tmpdir(), 'smarttags-bench-'));
const path = join(dir, `records.${format === 'jsonl' ? 'jsonl' : 'csv'}${gzip ? '.gz' : ''}`);

let seed = 12345;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
const hostCount = Number(process.argv[5] ?? 64);
const hosts = Array.from({ length: hostCount }, (_, i) => `h${i}`);
const ports = Array.from({ length: Math.max(1, hostCount >> 1) }, (_, i) => `sw${i >> 3}:p${i & 7}`);
const tags = ['MG', 'REQ', 'RESP', 'PUSH'];

try {
  const w = RecordWriter.toFile(path, { format, gzip, kind: format === 'csv4' ? 'tag' : undefined });
  const r: SmartRecord = { time: 0, locale: '', kind: 'tag', name: '', value: 1 };
  let t = 1_764_000_000_000_000;
  const t0 = performance.now();
  const w0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    t += Math.floor(rand() * 20);
    const event = format !== 'csv4' && rand() < 0.3;
    r.time = t;
    r.kind = event ? 'event' : 'tag';
    r.locale = event ? ports[Math.floor(rand() * ports.length)]! : hosts[Math.floor(rand() * hosts.length)]!;
    r.name = event ? 'drop' : tags[Math.floor(rand() * tags.length)]!;
    r.value = event ? Math.floor(rand() * 40) : Math.floor(rand() * 100_000) / 100;
    if (!w.write(r)) await w.ready();
  }
  await w.close();
  const writeS = (performance.now() - t0) / 1000;
  const writeCpu = cpuSeconds(w0);
  const bytes = statSync(path).size;
  console.log(`write ${format}${gzip ? '.gz' : ''}: ${n} records, ${(bytes / 1e6).toFixed(0)} MB (${(bytes / n).toFixed(1)} B/record) in ${writeS.toFixed(2)} s = ${(n / writeS / 1e6).toFixed(2)} M records/s (incl. generating them; ${writeCpu.toFixed(2)} CPU s = ${(n / writeCpu / 1e6).toFixed(2)} M records per CPU s)`);

  const spec = format === 'csv4' ? `tag:${path}` : path;
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  gc();
  const before = process.memoryUsage();
  const t1 = performance.now();
  const r0 = process.cpuUsage();
  const res = await readRecordFiles([spec]);
  const readS = (performance.now() - t1) / 1000;
  const readCpu = cpuSeconds(r0);
  const perRecord = (bytes: number) => (bytes / res.accepted).toFixed(1);
  gc();
  const afterRead = process.memoryUsage();
  console.log(`read: ${res.accepted} accepted, ${res.rejected} rejected, ${res.store.keys.length} series in ${readS.toFixed(2)} s = ${(res.accepted / readS / 1e6).toFixed(2)} M records/s, ${(bytes / readS / 1e6).toFixed(0)} MB/s (${readCpu.toFixed(2)} CPU s = ${(n / readCpu / 1e6).toFixed(2)} M records per CPU s)`);
  console.log(`  store after read: +${perRecord(afterRead.arrayBuffers - before.arrayBuffers)} B/record (array buffers), rss +${perRecord(afterRead.rss - before.rss)} B/record`);
  const t2 = performance.now();
  const series = res.store.finish();
  const finishS = (performance.now() - t2) / 1000;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  gc();
  const afterFinish = process.memoryUsage();
  console.log(`finish: ${series.length} series in ${finishS.toFixed(2)} s; afterwards +${perRecord(afterFinish.arrayBuffers - before.arrayBuffers)} B/record (array buffers); peak rss of the process ${perRecord(peakRss - before.rss)} B/record above the start of the read`);
  if (res.accepted !== n) throw new Error(`read ${res.accepted} of ${n} records`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
