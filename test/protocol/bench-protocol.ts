// Throughput benchmark of the record writer and reader (not part of `npm test`):
//   node --expose-gc --import tsx test/protocol/bench-protocol.ts [records=10000000] [format=csv|csv4|jsonl] [gzip=0|1] [hosts=64]
//     writes a seeded synthetic file to a temporary directory, reads it back into a SeriesStore, prints
//     records/s (wall and per CPU second) and bytes/record, and deletes the file;
//   node --expose-gc --import tsx test/protocol/bench-protocol.ts SPEC...
//     only reads the given record files (e.g. the records.csv of `smarttags synth --scenario bench`).

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordWriter, type RecordFormat } from '../../src/protocol/record-writer.ts';
import { readRecordFiles } from '../../src/protocol/record-reader.ts';
import { parseRecordSpec } from '../../src/protocol/record-format.ts';
import type { SmartRecord } from '../../src/protocol/record.ts';

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
};
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** Reads `specs` into a SeriesStore and finishes it, printing speed and memory per record. */
async function measureRead(specs: string[], bytes: number): Promise<number> {
  gc();
  const before = process.memoryUsage();
  const t1 = performance.now();
  const r0 = process.cpuUsage();
  const res = await readRecordFiles(specs);
  const readS = (performance.now() - t1) / 1000;
  const readCpu = cpuSeconds(r0);
  const n = res.accepted;
  const perRecord = (b: number) => (b / n).toFixed(1);
  console.log(`read: ${n} accepted, ${res.rejected} rejected, ${res.store.keys.length} series in ${readS.toFixed(2)} s = ${(n / readS / 1e6).toFixed(2)} M records/s, ${(bytes / readS / 1e6).toFixed(0)} MB/s (${readCpu.toFixed(2)} CPU s = ${(n / readCpu / 1e6).toFixed(2)} M records per CPU s)`);
  const t2 = performance.now();
  const f0 = process.cpuUsage();
  const series = res.store.finish();
  const finishS = (performance.now() - t2) / 1000;
  const finishCpu = cpuSeconds(f0);
  const peakRss = process.resourceUsage().maxRSS * 1024;
  gc();
  await new Promise((resolve) => setTimeout(resolve, 100)); // let freed array buffers be swept
  gc();
  const after = process.memoryUsage();
  console.log(`finish: ${series.length} series in ${finishS.toFixed(2)} s (${finishCpu.toFixed(2)} CPU s); series arrays +${perRecord(after.arrayBuffers - before.arrayBuffers)} B/record; peak rss ${perRecord(peakRss - before.rss)} B/record above the start of the read`);
  return n;
}

async function writeAndRead(n: number, format: RecordFormat, gzip: boolean, hostCount: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'smarttags-bench-'));
  const path = join(dir, `records.${format === 'jsonl' ? 'jsonl' : 'csv'}${gzip ? '.gz' : ''}`);
  let seed = 12345;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
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
    const read = await measureRead([format === 'csv4' ? `tag:${path}` : path], bytes);
    if (read !== n) throw new Error(`read ${read} of ${n} records`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args.length > 0 && !/^\d+$/.test(args[0]!)) {
  await measureRead(args, args.reduce((sum, spec) => sum + statSync(parseRecordSpec(spec).path).size, 0));
} else {
  await writeAndRead(Number(args[0] ?? 10_000_000), (args[1] ?? 'csv') as RecordFormat, args[2] === '1', Number(args[3] ?? 64));
}
