// `smarttags bench <name> [...]`: runs the benchmark src/bench/<name>.ts (a module exporting `summary` and
// `run(argv)`); without a name lists the benchmarks.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../options/args.ts';

export const summary = 'run a benchmark: learn (vs DuckDB SQL), runtime, ... (`smarttags bench` lists them)';

interface Bench {
  summary: string;
  run(argv: string[]): Promise<number>;
}

const benchDir = fileURLToPath(new URL('../../bench/', import.meta.url));

/**
 * The summary of src/bench/<name>.ts when it is a benchmark, read from its source without importing it:
 * that folder also holds child-process entry points that start working as soon as they are imported.
 */
function benchSummary(name: string): string | null {
  if (!/^[a-z][a-z0-9-]*$/.test(name) || !readdirSync(benchDir).includes(`${name}.ts`)) return null;
  const text = readFileSync(`${benchDir}${name}.ts`, 'utf8');
  if (!/^export (async )?function run\(/m.test(text)) return null;
  return text.match(/^export const summary = (['"`])(.*)\1;$/m)?.[2] ?? null;
}

/** Benchmarks: modules of src/bench that export `summary` and `run`. */
export function benchNames(): { name: string; summary: string }[] {
  const out: { name: string; summary: string }[] = [];
  for (const f of readdirSync(benchDir).filter((f) => f.endsWith('.ts')).sort()) {
    const summary = benchSummary(f.slice(0, -3));
    if (summary !== null) out.push({ name: f.slice(0, -3), summary });
  }
  return out;
}

async function usage(): Promise<string> {
  const lines = ['usage: smarttags bench <name> [options]', '', 'benchmarks:'];
  for (const b of benchNames()) lines.push(`  ${b.name.padEnd(10)} ${b.summary}`);
  lines.push('', 'Run `smarttags bench <name> --help` for its options.');
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write((await usage()) + '\n');
    return name ? 0 : 2;
  }
  if (benchSummary(name) === null) throw new UsageError(`unknown benchmark "${name}"\n${await usage()}`);
  const bench = (await import(`../../bench/${name}.ts`)) as Bench;
  return bench.run(rest);
}
