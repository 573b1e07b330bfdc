// A kernel command as the controller records and runs it: tool (ip or tc), namespace and argv.
// `checkCommand` re-validates every part, so commands read back from the journal are as safe as new ones.

import type { Tool } from '../linux/batch-process.ts';
import { commandToken, netnsName, NameError } from './names.ts';

export type { Tool };

export interface Command {
  tool: Tool;
  /** Network namespace (`ip -n` / `tc -n`), or null for the host's. */
  netns: string | null;
  /** Arguments after the tool's global options, e.g. ['class', 'change', 'dev', 'veth0', ...]. */
  args: string[];
}

export function checkCommand(cmd: unknown, field = 'command'): Command {
  if (typeof cmd !== 'object' || cmd === null) throw new NameError(field, 'must be an object');
  const c = cmd as Record<string, unknown>;
  const { tool, netns } = checkTarget(c.tool, c.netns, field);
  if (!Array.isArray(c.args) || c.args.length === 0 || c.args.length > 64) throw new NameError(`${field}.args`, 'must be 1-64 tokens');
  const args = c.args.map((a, i) => commandToken(`${field}.args[${i}]`, a));
  return { tool, netns, args };
}

/** The tool (ip or tc) and namespace (or null: the host's) a command runs with, checked. */
export function checkTarget(tool: unknown, netns: unknown, field = 'command'): { tool: Tool; netns: string | null } {
  if (tool !== 'ip' && tool !== 'tc') throw new NameError(`${field}.tool`, `must be "ip" or "tc", got ${JSON.stringify(tool)}`);
  return { tool, netns: netns === null || netns === undefined ? null : netnsName(`${field}.netns`, netns) };
}

/** The argv of a one-shot invocation: tool, namespace option, args. */
export function argv(cmd: Command): string[] {
  return cmd.netns === null ? [...cmd.args] : ['-n', cmd.netns, ...cmd.args];
}

/** How a command reads in logs and errors. */
export function describeCommand(cmd: Command): string {
  return [cmd.tool, ...argv(cmd)].join(' ');
}
