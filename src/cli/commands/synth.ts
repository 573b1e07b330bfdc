// `smarttags synth`: writes a seeded synthetic leaf-spine scenario (records.csv, topology.json, truth.json).

import { numberOption, parseCommandArgs, UsageError } from '../args.ts';
import { parseDurationUs } from '../../evaluation/duration.ts';
import { SCENARIOS, synthesize, type ScenarioName } from '../../evaluation/synthesize.ts';
import { writeScenario } from '../../evaluation/write-scenario.ts';

export const summary = 'generate a seeded scenario with known causal pairs (records.csv, topology.json, truth.json)';

const HELP = `usage: smarttags synth --scenario ${SCENARIOS.join('|')} --out DIR [options]

  --scenario NAME      coexist: co-existing apps, one causal pair each (default 10 apps)
                       norelation: same machinery, no causal pair (every discovery is false)
                       extent: probability and event size grow with the tag value (default 4 apps)
                       bench: ~10M records, 1000+ locales, 50 apps (size with --records)
  --out DIR            output directory (created)
  --seed S             random seed, integer (default 1)
  --apps N             number of co-existing applications
  --duration D         simulated time, e.g. 600s, 10m (default 600s; bench: from --records)
  --records N          bench only: approximate number of records (default 10000000)
  --start US           first instant, µs since the Unix epoch (default 2026-01-01T00:00:00Z)
  --spines N --leaves N --hosts-per-leaf N   topology shape
  --gzip               write records.csv.gz instead of records.csv`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      scenario: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      apps: { type: 'string' },
      duration: { type: 'string' },
      records: { type: 'string' },
      start: { type: 'string' },
      spines: { type: 'string' },
      leaves: { type: 'string' },
      'hosts-per-leaf': { type: 'string' },
      gzip: { type: 'boolean' },
    },
    HELP,
  );
  if (!args) return 0;
  const v = args.values;
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}\n${HELP}`);
  if (!v.scenario || !(SCENARIOS as readonly string[]).includes(v.scenario)) throw new UsageError(`--scenario: must be one of ${SCENARIOS.join(', ')}\n${HELP}`);
  if (!v.out) throw new UsageError(`--out: required\n${HELP}`);
  const opt = (name: string, raw: string | undefined) => (raw === undefined ? undefined : numberOption(name, raw, 0));
  let durationUs: number | undefined;
  try {
    durationUs = v.duration === undefined ? undefined : parseDurationUs('duration', v.duration);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const started = performance.now();
  let scenario;
  try {
    scenario = synthesize({
      scenario: v.scenario as ScenarioName,
      seed: opt('seed', v.seed),
      apps: opt('apps', v.apps),
      durationUs,
      records: opt('records', v.records),
      startUs: opt('start', v.start),
      spines: opt('spines', v.spines),
      leaves: opt('leaves', v.leaves),
      hostsPerLeaf: opt('hosts-per-leaf', v['hosts-per-leaf']),
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const result = await writeScenario(scenario, v.out, { gzip: v.gzip });
  const seconds = (performance.now() - started) / 1000;
  const locales = Object.keys(scenario.topology.locales).length;
  process.stdout.write(
    `${v.scenario} seed ${scenario.options.seed}: ${result.records} records over ${scenario.options.durationUs / 1e6}s, ` +
      `${scenario.series.length} series, ${locales} locales, ${scenario.truth.pairs.length} causal pairs, ${seconds.toFixed(1)}s\n` +
      `wrote ${result.files.records}, ${result.files.topology}, ${result.files.truth}\n`,
  );
  return 0;
}
