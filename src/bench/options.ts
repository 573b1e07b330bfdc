// Option parsing for benchmarks (src/bench must not import src/cli): node:util parseArgs with usage errors
// that carry exit code 2, and integer/positive number options named in their messages.

import { parseArgs, type ParseArgsConfig } from 'node:util';

export class BenchUsageError extends Error {
  readonly exitCode = 2;
  override name = 'BenchUsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * String options `names` and boolean `flags` (a given flag reads as "true"); `--help` prints `help` and
 * returns null; positionals are refused.
 */
export function parseBenchArgs(argv: string[], names: readonly string[], help: string, flags: readonly string[] = []): Record<string, string | undefined> | null {
  const options: Options = { help: { type: 'boolean', short: 'h' } };
  for (const n of names) options[n] = { type: 'string' };
  for (const n of flags) options[n] = { type: 'boolean' };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new BenchUsageError(`${(err as Error).message}\n${help}`);
  }
  if (parsed.values.help) {
    process.stdout.write(help + '\n');
    return null;
  }
  if (parsed.positionals.length > 0) throw new BenchUsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}\n${help}`);
  const values: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(parsed.values)) if (k !== 'help') values[k] = typeof v === 'boolean' ? String(v) : (v as string | undefined);
  return values;
}

function numberOf(name: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new BenchUsageError(`--${name}: not a number: ${JSON.stringify(raw)}`);
  return n;
}

/** An integer option >= min; absent gives the fallback. */
export function integerOption(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = numberOf(name, raw);
  if (!Number.isSafeInteger(n) || n < min) throw new BenchUsageError(`--${name}: must be an integer >= ${min}, got ${raw}`);
  return n;
}

/** A number option > 0; absent gives the fallback. */
export function positiveOption(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = numberOf(name, raw);
  if (!(n > 0)) throw new BenchUsageError(`--${name}: must be positive, got ${raw}`);
  return n;
}
