// Builds collectors from configuration (`{kind, options}` of smarttags.yaml), validating every option and
// naming the offending field. Kinds: qdisc, interface, tcp.

import type { Collector } from './collector.ts';
import { InterfaceCollector } from './interface.ts';
import { QdiscCollector } from './qdisc.ts';
import { TcpCollector } from './tcp.ts';

export { type Collector, type CollectorCounters, type EmitEvents, type ReportError, SampleLoop } from './collector.ts';
export { QdiscCollector, type QdiscCollectorOptions } from './qdisc.ts';
export { InterfaceCollector, type InterfaceCollectorOptions } from './interface.ts';
export { TcpCollector, type TcpCollectorOptions, DEFAULT_TCP_COUNTERS, parseProcNetCounters } from './tcp.ts';

export const COLLECTOR_KINDS = ['qdisc', 'interface', 'tcp'] as const;

export class CollectorConfigError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

const ALLOWED: Record<(typeof COLLECTOR_KINDS)[number], string[]> = {
  qdisc: ['netns', 'devices', 'periodMs', 'backlogThresholdBytes', 'queues'],
  interface: ['netns', 'devices', 'periodMs'],
  tcp: ['netns', 'periodMs', 'locale', 'counters'],
};

/**
 * A collector of `kind` with `options`; `namespace` (the driver's) is the default netns. Errors are
 * CollectorConfigError naming the field relative to the collector entry (e.g. `periodMs`).
 */
export function createCollector(kind: string, options: Record<string, unknown>, ctx: { namespace?: string } = {}): Collector {
  if (!(COLLECTOR_KINDS as readonly string[]).includes(kind)) throw new CollectorConfigError('kind', `unknown collector ${JSON.stringify(kind)} (${COLLECTOR_KINDS.join(', ')})`);
  const k = kind as (typeof COLLECTOR_KINDS)[number];
  for (const key of Object.keys(options)) {
    if (!ALLOWED[k].includes(key)) throw new CollectorConfigError(key, `unknown option for a ${k} collector (${ALLOWED[k].join(', ')})`);
  }
  const netns = optString(options, 'netns') ?? ctx.namespace;
  const periodMs = optNumber(options, 'periodMs', 1, 3_600_000);
  try {
    if (k === 'qdisc') {
      return new QdiscCollector({
        netns,
        periodMs,
        devices: optStrings(options, 'devices'),
        backlogThresholdBytes: optNumber(options, 'backlogThresholdBytes', 0, 1e12),
        queues: optStrings(options, 'queues'),
      });
    }
    if (k === 'interface') return new InterfaceCollector({ netns, periodMs, devices: optStrings(options, 'devices') });
    const counters = options.counters;
    if (counters !== undefined && (typeof counters !== 'object' || counters === null || Object.values(counters).some((v) => typeof v !== 'string'))) {
      throw new CollectorConfigError('counters', 'expected a map of Section.Counter to event name');
    }
    return new TcpCollector({ netns, periodMs, locale: optString(options, 'locale'), counters: counters as Record<string, string> | undefined });
  } catch (err) {
    if (err instanceof CollectorConfigError) throw err;
    const m = /^([A-Za-z[\]0-9]+): (.*)$/s.exec((err as Error).message);
    throw m ? new CollectorConfigError(m[1]!, m[2]!) : err;
  }
}

function optString(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new CollectorConfigError(key, `expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function optStrings(o: Record<string, unknown>, key: string): string[] | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new CollectorConfigError(key, `expected a list of strings, got ${JSON.stringify(v)}`);
  return v as string[];
}

function optNumber(o: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new CollectorConfigError(key, `expected a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}
