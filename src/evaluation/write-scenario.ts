// Writes a synthesized scenario to a directory: records.csv (time,locale,kind,name,value; µs; time order),
// topology.json and truth.json. Streams chunk by chunk, so memory stays bounded for any record count.

import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from './synthesize.ts';

export const RECORDS_CSV_HEADER = 'time,locale,kind,name,value';

export interface WriteResult {
  records: number;
  files: { records: string; topology: string; truth: string };
}

export function writeScenario(scenario: Scenario, dir: string): WriteResult {
  mkdirSync(dir, { recursive: true });
  const files = { records: join(dir, 'records.csv'), topology: join(dir, 'topology.json'), truth: join(dir, 'truth.json') };
  writeFileSync(files.topology, JSON.stringify(scenario.topology, null, 1) + '\n');
  writeFileSync(files.truth, JSON.stringify(scenario.truth, null, 2) + '\n');
  const middles = scenario.series.map((k) => `,${csvField(k.locale)},${k.kind},${csvField(k.name)},`);
  const fd = openSync(files.records, 'w');
  let records = 0;
  try {
    writeSync(fd, RECORDS_CSV_HEADER + '\n');
    for (const c of scenario.chunks()) {
      let text = '';
      for (let i = 0; i < c.length; i++) {
        text += c.times[i]! + middles[c.series[i]!]! + c.values[i]! + '\n';
        if (text.length > 1 << 20) {
          writeSync(fd, text);
          text = '';
        }
      }
      writeSync(fd, text);
      records += c.length;
    }
  } finally {
    closeSync(fd);
  }
  return { records, files };
}

/** Quotes a CSV field when it contains a comma, quote or line break. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
