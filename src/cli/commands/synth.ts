// `smarttags synth`: writes a seeded synthetic leaf-spine scenario (records.csv, topology.json, truth.json).

import { parseCommandArgs, UsageError } from '../../options/args.ts';
import { scenarioOptionsFromFlags, SCENARIO_FLAG_OPTIONS, SCENARIO_FLAGS_HELP } from '../../evaluation/scenario-flags.ts';
import { SCENARIOS, synthesize, type ScenarioName } from '../../evaluation/synthesize.ts';
import { writeScenario } from '../../evaluation/write-scenario.ts';

export const summary = 'generate a seeded scenario with known causal pairs (records.csv, topology.json, truth.json)';

const HELP = `usage: smarttags synth --scenario ${SCENARIOS.join('|')} --out DIR [options]

  --scenario NAME      coexist: co-existing apps, one causal pair each (default 10 apps)
                       norelation: same machinery, no causal pair (every discovery is false)
                       extent: probability and event size grow with the tag value (default 4 apps)
                       bench: ~10M records, 1000+ locales, 50 apps (size with --records)
  --out DIR            output directory (created)
${SCENARIO_FLAGS_HELP}
  --gzip               write records.csv.gz instead of records.csv`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      scenario: { type: 'string' },
      out: { type: 'string' },
      ...SCENARIO_FLAG_OPTIONS,
      gzip: { type: 'boolean' },
    },
    HELP,
  );
  if (!args) return 0;
  const v = args.values;
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}\n${HELP}`);
  if (!v.scenario || !(SCENARIOS as readonly string[]).includes(v.scenario)) throw new UsageError(`--scenario: must be one of ${SCENARIOS.join(', ')}\n${HELP}`);
  if (!v.out) throw new UsageError(`--out: required\n${HELP}`);
  const started = performance.now();
  let scenario;
  try {
    scenario = synthesize({ ...scenarioOptionsFromFlags(v), scenario: v.scenario as ScenarioName });
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
