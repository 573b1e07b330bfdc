// Entry point of the MemCached client process inside the client namespace: reads a WorkloadConfig (JSON)
// from argv, runs it, and prints {"results": [...]} on stdout; errors go to stderr with exit code 1.

import { runWorkload, type WorkloadConfig } from './memcached-workload.ts';

const raw = process.argv[2];
try {
  if (!raw) throw new Error('usage: memcached-workload-main <config-json>');
  const cfg = JSON.parse(raw) as WorkloadConfig;
  const results = await runWorkload(cfg);
  process.stdout.write(JSON.stringify({ results }) + '\n');
} catch (e) {
  process.stderr.write(`memcached workload: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
}
