// Test fixtures for the controller: throwaway network namespaces with a unique per-run prefix (removed
// in cleanup), signatures and Tags, and reading tc/ip state back.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Signature } from '../../src/engine/signature.ts';
import type { SmartRecord } from '../../src/protocol/record.ts';

export const RUN_PREFIX = `stc${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
let nsSeq = 0;

export function haveIproute(): boolean {
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    execFileSync('tc', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A namespace with a veth pair v0/v1 (both up, 10.77.0.1/24 on v0); returns its name. */
export function makeNetns(created: string[]): string {
  const ns = `${RUN_PREFIX}-${++nsSeq}`;
  execFileSync('ip', ['netns', 'add', ns]);
  created.push(ns);
  execFileSync('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'v0', 'up']);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'v1', 'up']);
  execFileSync('ip', ['-n', ns, 'addr', 'add', '10.77.0.1/24', 'dev', 'v0']);
  return ns;
}

export function removeNetns(created: string[]): void {
  for (const ns of created.splice(0)) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

export function sh(tool: 'ip' | 'tc', args: string[]): string {
  return execFileSync(tool, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The htb class `cls` of ns/dev as `tc class show` prints it: { rate, ceil } or null when absent. */
export function htbClass(ns: string, dev: string, cls: string): { rate: string; ceil: string } | null {
  const out = sh('tc', ['-n', ns, 'class', 'show', 'dev', dev]);
  const line = out.split('\n').find((l) => l.startsWith(`class htb ${cls} `));
  const m = line && /\brate (\S+) ceil (\S+)/.exec(line);
  return m ? { rate: m[1]!, ceil: m[2]! } : null;
}

export function rootQdisc(ns: string, dev: string): string | null {
  const m = /^qdisc (\S+) \S+ root/m.exec(sh('tc', ['-n', ns, 'qdisc', 'show', 'dev', dev]));
  return m ? m[1]! : null;
}

export function ipRules(ns: string): { priority: number; table?: string; fwmark?: string; dst?: string; src?: string }[] {
  return JSON.parse(sh('ip', ['-n', ns, '-j', 'rule', 'show'])) as { priority: number; table?: string }[];
}

export function tableRoutes(ns: string, table: number): string {
  try {
    return sh('ip', ['-n', ns, 'route', 'show', 'table', String(table)]).trim();
  } catch {
    return '';
  }
}

export function nowUs(): number {
  return Date.now() * 1000;
}

export function tag(name: string, locale: string, value: number, time = nowUs()): SmartRecord {
  return { time, locale, kind: 'tag', name, value };
}

/** A signature "tag@tagLocale foretells event@eventLocale within [start, end] us". */
export function signature(o: { tag: string; tagLocale: string; event?: string; eventLocale?: string; start?: number; end?: number; probability?: number; logistic?: { a: number; b: number } | null; threshold?: number | null }): Signature {
  const start = o.start ?? 1000;
  const end = o.end ?? 50_000;
  const p = o.probability ?? 0.9;
  return {
    tag: { name: o.tag, locale: o.tagLocale },
    event: { name: o.event ?? 'drop', locale: o.eventLocale ?? 'sw1' },
    relation: '1-hop',
    probability: p,
    hitRate: p,
    baselineRate: 0.05,
    lift: p / 0.05,
    pValue: 1e-6,
    qValue: 1e-5,
    support: 200,
    hits: Math.round(200 * p),
    leadTime: { min: start, p05: start, p50: (start + end) / 2, p95: end },
    window: { start, end },
    extent: { bins: [], threshold: o.threshold ?? null, sizeSlope: 0, logistic: o.logistic ?? null },
  };
}
