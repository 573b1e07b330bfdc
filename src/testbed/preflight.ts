// Checks before building anything: running as root and the Debian tools the testbed needs, with a message
// naming what is missing and how to install it.

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const TOOL_PACKAGES: Record<string, string> = { ip: 'iproute2', tc: 'iproute2', memcached: 'memcached', iperf3: 'iperf3' };

export function findTool(name: string): string | null {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch { /* try next */ }
  }
  return null;
}

/** Problems that prevent a run (not root, missing tools), or [] when it can go ahead. */
export function preflightProblems(tools: string[]): string[] {
  const problems: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) problems.push('must run as root (network namespaces, tc and policy routing need CAP_NET_ADMIN)');
  const missing = tools.filter((t) => !findTool(t));
  if (missing.length) {
    const pkgs = [...new Set(missing.map((t) => TOOL_PACKAGES[t] ?? t))];
    problems.push(`missing tools: ${missing.join(', ')} (install with: apt-get install ${pkgs.join(' ')})`);
  }
  return problems;
}

export function assertPreflight(tools: string[]): void {
  const problems = preflightProblems(tools);
  if (problems.length) throw new Error(`testbed preflight: ${problems.join('; ')}`);
}
