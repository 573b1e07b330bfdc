// The `controller:` section of smarttags.yaml: journal, limits, dry run, link rate, where locales live,
// and the policies. Validated here; errors carry the field path (PolicyError.path, relative to the
// section) so the config loader can point at the line.

import { devName, netnsName } from './names.ts';
import { parsePolicies, PolicyError, type Policy } from './policy.ts';
import type { ControllerLimits, LocaleMap } from './controller.ts';

export interface ControllerConfig {
  journalPath: string;
  limits: ControllerLimits;
  dryRun: boolean;
  /** Rate of the default class of an htb root installed by pace, bit/s. */
  linkBps: number;
  locales: LocaleMap;
  policies: Policy[];
}

export const ACTIONS = ['pace', 'reroute', 'clamp', 'delay', 'hint', 'dry-run'] as const;
const KEYS = new Set(['journal', 'maxRules', 'maxActionsPerSec', 'dryRun', 'linkBps', 'locales', 'policies']);

export function parseControllerConfig(raw: Record<string, unknown> | null | undefined, base: (string | number)[] = ['controller']): ControllerConfig {
  const o = raw ?? {};
  for (const k of Object.keys(o)) if (!KEYS.has(k)) throw new PolicyError([...base, k], `unknown field (known: ${[...KEYS].join(', ')})`);
  const num = (k: string, fallback: number, min: number, max: number, integer: boolean): number => {
    const v = o[k];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
      throw new PolicyError([...base, k], `must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(v)}`);
    return v;
  };
  const journal = o.journal ?? 'smarttags-rules.jsonl';
  if (typeof journal !== 'string' || journal.length === 0) throw new PolicyError([...base, 'journal'], `must be a file path, got ${JSON.stringify(journal)}`);
  if (o.dryRun !== undefined && o.dryRun !== null && typeof o.dryRun !== 'boolean') throw new PolicyError([...base, 'dryRun'], `must be true or false, got ${JSON.stringify(o.dryRun)}`);

  const locales: LocaleMap = {};
  const lraw = o.locales;
  if (lraw !== undefined && lraw !== null) {
    if (typeof lraw !== 'object' || Array.isArray(lraw)) throw new PolicyError([...base, 'locales'], 'must be a mapping of locale to { netns, dev }');
    for (const [locale, where] of Object.entries(lraw as Record<string, unknown>)) {
      const path = [...base, 'locales', locale];
      if (typeof where !== 'object' || where === null || Array.isArray(where)) throw new PolicyError(path, 'must be a mapping { netns, dev }');
      const w = where as Record<string, unknown>;
      for (const k of Object.keys(w)) if (k !== 'netns' && k !== 'dev') throw new PolicyError([...path, k], 'unknown field (known: netns, dev)');
      try {
        locales[locale] = {
          ...(w.netns !== undefined ? { netns: netnsName('netns', w.netns) } : {}),
          ...(w.dev !== undefined ? { dev: devName('dev', w.dev) } : {}),
        };
      } catch (err) {
        throw new PolicyError(path, (err as Error).message);
      }
    }
  }

  return {
    journalPath: journal,
    limits: { maxRules: num('maxRules', 256, 1, 1_000_000, true), maxActionsPerSec: num('maxActionsPerSec', 1000, 0.001, 1_000_000, false) },
    dryRun: o.dryRun === true,
    linkBps: num('linkBps', 10e9, 8, 1e13, false),
    locales,
    policies: parsePolicies(o.policies, ACTIONS, [...base, 'policies']),
  };
}
