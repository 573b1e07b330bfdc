// Option parsing for benchmarks on the shared parser (src/options/args.ts; src/bench must not import src/cli):
// string options and flags only, no positionals, and integer/positive number options named in their messages.

import { numberOption, parseCommandArgs, UsageError, type Options } from '../options/args.ts';

/**
 * String options `names` and boolean `flags` (a given flag reads as "true"); `--help` prints `help` and
 * returns null; positionals are refused.
 */
export function parseBenchArgs(argv: string[], names: readonly string[], help: string, flags: readonly string[] = []): Record<string, string | undefined> | null {
  const options: Options = {};
  for (const n of names) options[n] = { type: 'string' };
  for (const n of flags) options[n] = { type: 'boolean' };
  const parsed = parseCommandArgs(argv, options, help);
  if (!parsed) return null;
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}\n${help}`);
  const values: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(parsed.values as Record<string, unknown>)) if (k !== 'help') values[k] = typeof v === 'boolean' ? String(v) : (v as string | undefined);
  return values;
}

/** An integer option >= min; absent gives the fallback. */
export function integerOption(name: string, raw: string | undefined, fallback: number, min: number): number {
  const n = numberOption(name, raw, fallback);
  if (raw !== undefined && (!Number.isSafeInteger(n) || n < min)) throw new UsageError(`--${name}: must be an integer >= ${min}, got ${raw}`);
  return n;
}

/** A number option > 0; absent gives the fallback. */
export function positiveOption(name: string, raw: string | undefined, fallback: number): number {
  const n = numberOption(name, raw, fallback);
  if (raw !== undefined && !(n > 0)) throw new UsageError(`--${name}: must be positive, got ${raw}`);
  return n;
}
