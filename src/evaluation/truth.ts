// The truth.json document of a synthetic scenario: the causal (tag -> event) pairs a learner should find,
// the decoys it should not (companions, noise), and the scenario parameters; plus reading and validation.

import { readFileSync } from 'node:fs';

export const TRUTH_VERSION = 1;

export interface TruthEndpoint {
  name: string;
  locale: string;
}

export interface TruthPair {
  /** Application that owns the causal tag. */
  app: string;
  tag: TruthEndpoint;
  event: TruthEndpoint;
  /** Hops between the tag's and the event's nodes: "same", "1-hop", "2-hop", ... */
  relation: string;
  /** Prob(event caused | tag), averaged over the tag's value distribution. */
  probability: number;
  /** Lag from tag to caused event, microseconds (truncated log-normal: min/max are hard bounds). */
  leadTime: { min: number; p05: number; p50: number; p95: number; max: number };
  /** Every caused event falls in [start, end] microseconds after its tag. */
  window: { start: number; end: number };
  extent: {
    /** Smallest tag value with Prob(event | value) >= 0.5, null if never. */
    threshold: number | null;
    /** Prob(event | value) = 1 / (1 + exp(-(a + b * value))); null when the probability ignores the value. */
    logistic: { a: number; b: number } | null;
    /** Median event size per unit of tag value. */
    sizeSlope: number;
  };
}

/** A tag that is not causal but misleads naive methods. */
export interface TruthDecoy {
  tag: TruthEndpoint;
  /** "companion" (fires with a causal tag), "noise" (independent, load-modulated or bursty), "host" (host-level),
   *  "inert" (an application's main tag in the no-relation scenario, where it causes nothing). */
  role: 'companion' | 'noise' | 'host' | 'inert';
  /** For companions: the causal tag it travels with. */
  travelsWith?: TruthEndpoint;
}

export interface TruthDoc {
  version: number;
  scenario: string;
  params: Record<string, unknown>;
  pairs: TruthPair[];
  decoys: TruthDecoy[];
}

/** Reads and validates truth.json; errors name the file and the offending field. */
export function readTruth(path: string): TruthDoc {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  return validateTruth(raw, path);
}

export function validateTruth(raw: unknown, where = 'truth'): TruthDoc {
  const fail = (field: string, why: string): never => {
    throw new Error(`${where}: ${field}: ${why}`);
  };
  if (typeof raw !== 'object' || raw === null) fail('(document)', 'not a JSON object');
  const doc = raw as Record<string, unknown>;
  if (doc.version !== TRUTH_VERSION) fail('version', `expected ${TRUTH_VERSION}, got ${JSON.stringify(doc.version)}`);
  if (typeof doc.scenario !== 'string') fail('scenario', 'not a string');
  if (!Array.isArray(doc.pairs)) fail('pairs', 'not an array');
  if (!Array.isArray(doc.decoys)) fail('decoys', 'not an array');
  (doc.pairs as unknown[]).forEach((p, i) => {
    const pair = p as Partial<TruthPair>;
    checkEndpoint(pair.tag, `pairs[${i}].tag`, fail);
    checkEndpoint(pair.event, `pairs[${i}].event`, fail);
    if (typeof pair.probability !== 'number' || !(pair.probability >= 0 && pair.probability <= 1)) fail(`pairs[${i}].probability`, 'not a number in [0, 1]');
    if (typeof pair.leadTime?.p50 !== 'number' || !(pair.leadTime.p50 > 0)) fail(`pairs[${i}].leadTime.p50`, 'not a positive number');
    if (typeof pair.window?.start !== 'number' || typeof pair.window?.end !== 'number') fail(`pairs[${i}].window`, 'needs numeric start and end');
  });
  (doc.decoys as unknown[]).forEach((d, i) => checkEndpoint((d as TruthDecoy).tag, `decoys[${i}].tag`, fail));
  return { version: TRUTH_VERSION, scenario: doc.scenario as string, params: (doc.params ?? {}) as Record<string, unknown>, pairs: doc.pairs as TruthPair[], decoys: doc.decoys as TruthDecoy[] };
}

function checkEndpoint(e: unknown, field: string, fail: (f: string, why: string) => never): void {
  const ep = e as Partial<TruthEndpoint> | undefined;
  if (typeof ep?.name !== 'string' || ep.name === '') fail(`${field}.name`, 'not a non-empty string');
  if (typeof ep?.locale !== 'string' || ep.locale === '') fail(`${field}.locale`, 'not a non-empty string');
}
