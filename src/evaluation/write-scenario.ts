// Writes a synthesized scenario to a directory: records.csv (time,locale,kind,name,value; µs; time order,
// through the protocol's RecordWriter), topology.json and truth.json. Streams chunk by chunk, so memory
// stays bounded for any record count.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SmartRecord } from '../protocol/record.ts';
import { RecordWriter } from '../protocol/record-writer.ts';
import type { Scenario } from './synthesize.ts';

export interface WriteResult {
  records: number;
  files: { records: string; topology: string; truth: string };
}

export async function writeScenario(scenario: Scenario, dir: string, opts: { gzip?: boolean } = {}): Promise<WriteResult> {
  mkdirSync(dir, { recursive: true });
  const files = { records: join(dir, opts.gzip ? 'records.csv.gz' : 'records.csv'), topology: join(dir, 'topology.json'), truth: join(dir, 'truth.json') };
  writeFileSync(files.topology, JSON.stringify(scenario.topology, null, 1) + '\n');
  writeFileSync(files.truth, JSON.stringify(scenario.truth, null, 2) + '\n');
  const writer = RecordWriter.toFile(files.records, { format: 'csv', gzip: opts.gzip });
  // One record object reused for every write: the writer formats it immediately.
  const r: SmartRecord = { time: 0, locale: '', kind: 'tag', name: '', value: 0 };
  try {
    for (const c of scenario.chunks()) {
      for (let i = 0; i < c.length; i++) {
        const k = scenario.series[c.series[i]!]!;
        r.time = c.times[i]!;
        r.locale = k.locale;
        r.kind = k.kind;
        r.name = k.name;
        r.value = c.values[i]!;
        if (!writer.write(r)) await writer.ready();
      }
    }
  } finally {
    await writer.close();
  }
  return { records: writer.written, files };
}
