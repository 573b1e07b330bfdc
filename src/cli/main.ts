// The `smarttags` command line: dispatches `smarttags <command> ...` to src/cli/commands/<command>.ts,
// each of which exports `run(argv): Promise<number>` and a one-line `summary`.

import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

const commandsDir = fileURLToPath(new URL('./commands/', import.meta.url));

export function commandNames(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

export async function loadCommand(name: string): Promise<Command | null> {
  if (!/^[a-z][a-z-]*$/.test(name) || !commandNames().includes(name)) return null;
  return (await import(`./commands/${name}.ts`)) as Command;
}

async function usage(): Promise<string> {
  const lines = ['usage: smarttags <command> [options]', '', 'commands:'];
  for (const name of commandNames()) {
    const cmd = await loadCommand(name);
    lines.push(`  ${name.padEnd(12)} ${cmd?.summary ?? ''}`);
  }
  lines.push('', 'Run `smarttags <command> --help` for its options.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write((await usage()) + '\n');
    return name ? 0 : 2;
  }
  const cmd = await loadCommand(name);
  if (!cmd) {
    process.stderr.write(`smarttags: unknown command "${name}"\n${await usage()}\n`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    const e = err as Error & { exitCode?: number };
    process.stderr.write(`smarttags ${name}: ${e.message}\n`);
    return e.exitCode ?? 1;
  }
}
