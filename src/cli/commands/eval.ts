// `smarttags eval`: scores signatures against a scenario's truth, runs the crude baseline or the learner on
// a scenario's files and scores the result, or compares both methods side by side on seeded scenarios.

import { readFileSync, writeFileSync } from 'node:fs';
import { numberOption, parseCommandArgs, UsageError } from '../../options/args.ts';
import { readRecordFiles } from '../../protocol/record-reader.ts';
import type { SignaturesDoc } from '../../engine/signature.ts';
import { compareMethods, runMethod, summarize, type Method } from '../../evaluation/compare.ts';
import { DEFAULT_MAX_HOPS, Topology } from '../../protocol/topology.ts';
import { parseDurationUs } from '../../evaluation/duration.ts';
import { comparisonRows, formatScore, markdownTable, table } from '../../evaluation/format.ts';
import { scoreSignatures } from '../../evaluation/score.ts';
import { SCENARIOS, type ScenarioName } from '../../evaluation/synthesize.ts';
import { scenarioOptionsFromFlags, SCENARIO_FLAGS_HELP, SCENARIO_SHAPE_OPTIONS } from '../../evaluation/scenario-flags.ts';
import { readTruth } from '../../evaluation/truth.ts';

export const summary = 'score signatures against truth; compare the paper\'s crude fixed-td method with the learner';

const HELP = `usage:
  smarttags eval --signatures S --truth T [--json]
  smarttags eval --method crude|learn --records R --topology T --truth T [--td 10ms] [--threshold 0.3]
                 [--max-hops 2] [--save-signatures F] [--json]
  smarttags eval --compare [--scenarios coexist,norelation] [--seeds 1,2,3] [--td 500us,2ms,10ms,50ms,200ms,1s]
                 [--apps N] [--duration D] [--probability LO,HI] [--clock-skew D] [--poll D] [topology shape]
                 [--max-hops 2] [--no-learn | --no-crude] [--markdown] [--json]

  --signatures S       signatures.json to score
  --truth T            truth.json written by \`smarttags synth\`
  --method M           crude: the paper's method with a fixed window td; learn: the engine's learnSignatures
  --records R          records file (CSV/JSONL, as \`smarttags synth\` writes)
  --topology T         topology.json
  --td D               crude window (default 10ms); with --compare a comma list
  --threshold P        crude: smallest hits/tags kept (default 0.3)
  --max-hops N         locales related when their nodes are at most N hops apart (default ${DEFAULT_MAX_HOPS})
  --save-signatures F  also write the signatures the method produced
  --compare            generate scenarios in memory and score crude (each td) and learn, per seed
  scenario options of --compare (as for \`smarttags synth\`):
${SCENARIO_FLAGS_HELP.split('\n').filter((l) => !/--(seed|records|start) /.test(l)).join('\n')}
  --no-learn           --compare without the learner
  --no-crude           --compare with the learner only
  --markdown           --compare: print a markdown table
  --json               print machine-readable JSON instead of tables`;

const DEFAULT_TDS = '500us,2ms,10ms,50ms,200ms,1s';

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      signatures: { type: 'string' },
      truth: { type: 'string' },
      method: { type: 'string' },
      records: { type: 'string' },
      topology: { type: 'string' },
      td: { type: 'string' },
      threshold: { type: 'string' },
      'max-hops': { type: 'string' },
      'save-signatures': { type: 'string' },
      compare: { type: 'boolean' },
      scenarios: { type: 'string' },
      seeds: { type: 'string' },
      ...SCENARIO_SHAPE_OPTIONS,
      'no-learn': { type: 'boolean' },
      'no-crude': { type: 'boolean' },
      markdown: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    HELP,
  );
  if (!args) return 0;
  const v = args.values;
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}\n${HELP}`);
  const maxHops = numberOption('max-hops', v['max-hops'], DEFAULT_MAX_HOPS);
  if (!Number.isSafeInteger(maxHops) || maxHops < 0) throw new UsageError(`--max-hops: must be a non-negative integer, got ${v['max-hops']}`);
  const threshold = v.threshold === undefined ? undefined : numberOption('threshold', v.threshold, 0);
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw new UsageError(`--threshold: must be in [0, 1], got ${v.threshold}`);

  if (v.compare) {
    const scenarios = (v.scenarios ?? 'coexist,norelation').split(',').map((s) => s.trim());
    for (const s of scenarios) if (!(SCENARIOS as readonly string[]).includes(s)) throw new UsageError(`--scenarios: unknown scenario ${JSON.stringify(s)} (one of ${SCENARIOS.join(', ')})`);
    const seeds = (v.seeds ?? '1,2,3').split(',').map((s) => numberOption('seeds', s, 0));
    for (const s of seeds) if (!Number.isSafeInteger(s) || s < 0) throw new UsageError(`--seeds: not a non-negative integer: ${s}`);
    if (v['no-learn'] && v['no-crude']) throw new UsageError('--no-learn and --no-crude leave nothing to compare');
    const methods: Method[] = v['no-crude'] ? [] : durations('td', v.td ?? DEFAULT_TDS).map((td) => ({ kind: 'crude', td, threshold }));
    if (!v['no-learn']) methods.push({ kind: 'learn' });
    const rows = compareMethods({
      scenarios: scenarios as ScenarioName[],
      seeds,
      methods,
      shape: shape(v),
      maxHops,
      onRow: (r) => process.stderr.write(`  ${r.scenario} seed ${r.seed} ${r.method}${r.td === null ? '' : ` td=${r.td}us`}: F1 ${r.score.f1?.toFixed(3) ?? 'n/a'}, ${r.score.falseDiscoveries} false, ${(r.millis / 1000).toFixed(2)}s\n`),
    });
    const summaryRows = summarize(rows);
    if (v.json) process.stdout.write(JSON.stringify({ summary: summaryRows, rows }, null, 2) + '\n');
    else process.stdout.write((v.markdown ? markdownTable : table)(comparisonRows(summaryRows)) + '\n');
    return 0;
  }

  if (!v.truth) throw new UsageError(`--truth: required\n${HELP}`);
  const truth = readTruth(v.truth);
  let doc: SignaturesDoc;
  if (v.method !== undefined) {
    if (v.method !== 'crude' && v.method !== 'learn') throw new UsageError(`--method: must be crude or learn, got ${JSON.stringify(v.method)}`);
    if (v.signatures) throw new UsageError('--signatures and --method exclude each other');
    if (!v.records || !v.topology) throw new UsageError(`--method needs --records and --topology\n${HELP}`);
    const topology = await Topology.load(v.topology);
    const read = await readRecordFiles([v.records]);
    if (read.rejected > 0) process.stderr.write(`smarttags eval: skipped ${read.rejected} malformed lines of ${v.records}; first: ${read.problems[0]?.reason ?? ''}\n`);
    const method: Method = v.method === 'crude' ? { kind: 'crude', td: durations('td', v.td ?? '10ms')[0]!, threshold } : { kind: 'learn' };
    doc = runMethod(method, read.store.finish(), topology, maxHops);
    if (v['save-signatures']) writeFileSync(v['save-signatures'], JSON.stringify(doc, null, 2) + '\n');
  } else {
    if (!v.signatures) throw new UsageError(`--signatures or --method: required\n${HELP}`);
    doc = readSignatures(v.signatures);
  }
  const score = scoreSignatures(doc, truth);
  if (v.json) process.stdout.write(JSON.stringify(score, null, 2) + '\n');
  else process.stdout.write(`${truth.scenario}: ${v.method ? `method ${v.method}` : v.signatures}\n${formatScore(score)}\n`);
  return 0;
}

function shape(v: Parameters<typeof scenarioOptionsFromFlags>[0]) {
  try {
    return scenarioOptionsFromFlags(v);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function durations(option: string, raw: string): number[] {
  try {
    return raw.split(',').map((s) => parseDurationUs(option, s));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function readSignatures(path: string): SignaturesDoc {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  const doc = raw as Partial<SignaturesDoc>;
  if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.signatures)) throw new Error(`${path}: signatures: not an array`);
  doc.signatures.forEach((s, i) => {
    for (const end of ['tag', 'event'] as const) {
      if (typeof s?.[end]?.name !== 'string' || typeof s[end].locale !== 'string') throw new Error(`${path}: signatures[${i}].${end}: needs string name and locale`);
    }
    if (typeof s.probability !== 'number') throw new Error(`${path}: signatures[${i}].probability: not a number`);
  });
  return doc as SignaturesDoc;
}
