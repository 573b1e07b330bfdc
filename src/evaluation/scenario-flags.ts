// Scenario options from command-line flag strings, shared by `smarttags synth` and `smarttags eval --compare`;
// errors name the flag.

import { parseDurationUs } from './duration.ts';
import type { ScenarioOptions } from './scenario.ts';

export interface ScenarioFlags {
  seed?: string;
  apps?: string;
  duration?: string;
  records?: string;
  start?: string;
  spines?: string;
  leaves?: string;
  'hosts-per-leaf'?: string;
  probability?: string;
  'clock-skew'?: string;
  poll?: string;
}

const STRING = { type: 'string' } as const;

/** parseArgs options of the topology and workload shape flags (those `eval --compare` takes). */
export const SCENARIO_SHAPE_OPTIONS = {
  apps: STRING,
  duration: STRING,
  spines: STRING,
  leaves: STRING,
  'hosts-per-leaf': STRING,
  probability: STRING,
  'clock-skew': STRING,
  poll: STRING,
} as const;

/** parseArgs options of every flag of ScenarioFlags. */
export const SCENARIO_FLAG_OPTIONS = { seed: STRING, records: STRING, start: STRING, ...SCENARIO_SHAPE_OPTIONS } as const;

/** Help lines of the flags, for usage texts. */
export const SCENARIO_FLAGS_HELP = `  --seed S             random seed, integer (default 1)
  --apps N             number of co-existing applications
  --duration D         simulated time, e.g. 600s, 10m (default 600s; bench: from --records)
  --records N          bench only: approximate number of records (default 10000000)
  --start US           first instant, µs since the Unix epoch (default 2026-01-01T00:00:00Z)
  --spines N --leaves N --hosts-per-leaf N   topology shape
  --probability LO,HI  range of the per-application causal probability (default 0.35,0.9)
  --clock-skew D       host clocks off by up to ±D (uniform per host; switches keep true time; default 0)
  --poll D             switch events are counters polled every D, merged per poll (default 0: exact times)`;

export function scenarioOptionsFromFlags(f: ScenarioFlags): Omit<ScenarioOptions, 'scenario'> {
  const int = (flag: string, raw: string | undefined) => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`--${flag}: not a number: ${JSON.stringify(raw)}`);
    return n;
  };
  const duration = (flag: string, raw: string | undefined) => (raw === undefined ? undefined : parseDurationUs(flag, raw));
  let probabilityRange: [number, number] | undefined;
  if (f.probability !== undefined) {
    const parts = f.probability.split(',');
    if (parts.length !== 2) throw new Error(`--probability: expected LO,HI, got ${JSON.stringify(f.probability)}`);
    probabilityRange = [int('probability', parts[0])!, int('probability', parts[1])!];
  }
  return {
    seed: int('seed', f.seed),
    apps: int('apps', f.apps),
    durationUs: duration('duration', f.duration),
    records: int('records', f.records),
    startUs: int('start', f.start),
    spines: int('spines', f.spines),
    leaves: int('leaves', f.leaves),
    hostsPerLeaf: int('hosts-per-leaf', f['hosts-per-leaf']),
    probabilityRange,
    clockSkewUs: f['clock-skew'] === '0' ? 0 : duration('clock-skew', f['clock-skew']),
    pollUs: f.poll === '0' ? 0 : duration('poll', f.poll),
  };
}
