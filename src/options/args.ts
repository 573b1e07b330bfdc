// Command-line option parsing shared by the CLI and the benchmarks (neither imports the other): node:util
// parseArgs with usage errors that carry exit code 2, and number options named in their messages.

import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  readonly exitCode = 2;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses argv; `--help` prints `help` and returns null. Unknown options raise a UsageError naming them. */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, help: string) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${help}`);
  }
  if ((parsed.values as Record<string, unknown>).help) {
    process.stdout.write(help + '\n');
    return null;
  }
  return parsed as { values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string }; positionals: string[] };
}

/** A numeric option: absent gives the default; anything that is not a finite number raises a UsageError. */
export function numberOption(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name}: not a number: ${JSON.stringify(raw)}`);
  return n;
}
