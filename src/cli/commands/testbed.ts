// `smarttags testbed memcached|dml`: runs a paper case study (section 4) on real Linux network namespaces
// (or reads back a run's JSON with --from) and prints per-mode results; --json writes them, --report renders
// the HTML report sections, --figures writes each figure as an SVG file.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { numberOption, parseCommandArgs, UsageError } from '../../options/args.ts';
import { writeReport } from '../../report/index.ts';
import { SIGNATURES_VERSION } from '../../engine/signature.ts';
import { defaultDmlOptions, DML_FAMILIES, runDmlCase, type DmlReport } from '../../testbed/dml-case.ts';
import { defaultMemcachedOptions, MEMCACHED_FAMILIES, runMemcachedCase, type MemcachedReport } from '../../testbed/memcached-case.ts';
import { readCaseResults } from '../../testbed/case-results-file.ts';
import { dmlTargets, memcachedTargets, targetLines } from '../../testbed/case-targets.ts';
import { dmlFigures, dmlSection, memcachedFigures, memcachedSection, versusBestStaticText } from '../../testbed/report-sections.ts';

export const summary = 'run the MemCached incast or parameter-server case on Linux network namespaces (root)';

const HELP = `usage: smarttags testbed memcached|dml [--quick] [--json FILE] [--report FILE] [--figures DIR] [--from FILE] [--queries N] [--iterations N] [--reps N] [--seed N] [--large-keys N] [--small-value-bytes N] [--modes LIST]

Builds the case's topology from network namespaces (unique per-run prefix, removed on exit, Ctrl-C and
failure), runs no action (its first run carries Tags: identification), each hindsight-swept baseline and
the SmartTags action modes, and prints one line per mode.
Needs root and the Debian packages iproute2, memcached, iperf3.

  --quick          fewer queries/iterations, one repetition, short sweeps (both cases within 10 minutes)
  --json FILE      write the results as JSON
  --report FILE    write an HTML report with tables and figures
  --figures DIR    write each figure as DIR/<case>-<figure>.svg (Figure 3 lag, extent, CDFs, Figures 8a/8b)
  --from FILE      do not run: read the results a run wrote with --json (needs no root)
  --queries N      memcached: queries per run (default 200, quick 100)
  --iterations N   dml: iterations per run (default 150, quick 100)
  --reps N         repetitions of every mode (default 3, quick 1); medians are reported
  --seed N         memcached: workload seed of the first repetition (default 1)
  --large-keys N   memcached: keys a large MultiGet reads from every server (default 40, of 4096 B each)
  --small-value-bytes N
                   memcached: value size of the keys small MultiGets read (default 4096, as the large ones)
  --modes LIST     run only these mode families, comma-separated (no action always runs: it is the
                   identification phase); memcached: ${MEMCACHED_FAMILIES.join(', ')};
                   dml: ${DML_FAMILIES.join(', ')}`;

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  const n = numberOption(name, raw, fallback);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name}: must be a positive integer, got ${raw}`);
  return n;
}

/** The families named by --modes (null when absent), each checked against the case's. */
function familiesOption(raw: string | undefined, known: readonly string[]): string[] | null {
  if (raw === undefined) return null;
  const names = raw.split(',').map((n) => n.trim()).filter(Boolean);
  if (!names.length) throw new UsageError('--modes: names no mode family');
  for (const n of names) if (!known.includes(n)) throw new UsageError(`--modes: unknown mode family ${JSON.stringify(n)}; this case has ${known.join(', ')}`);
  return names;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, {
    quick: { type: 'boolean' },
    json: { type: 'string' },
    report: { type: 'string' },
    queries: { type: 'string' },
    iterations: { type: 'string' },
    reps: { type: 'string' },
    seed: { type: 'string' },
    'large-keys': { type: 'string' },
    'small-value-bytes': { type: 'string' },
    figures: { type: 'string' },
    from: { type: 'string' },
    modes: { type: 'string' },
  }, HELP);
  if (!args) return 0;
  const { values, positionals } = args;
  const which = positionals[0];
  if (positionals.length !== 1 || (which !== 'memcached' && which !== 'dml')) throw new UsageError(`expected exactly one case, memcached or dml\n${HELP}`);
  const quick = values.quick === true;
  const log = (line: string) => process.stderr.write(line + '\n');
  let result: MemcachedReport | DmlReport;
  if (values.from) {
    for (const o of ['quick', 'queries', 'iterations', 'reps', 'seed', 'large-keys', 'small-value-bytes', 'modes'] as const) if (values[o] !== undefined) throw new UsageError(`--${o} configures a run; --from reads one`);
    result = await readCaseResults(values.from, which);
  } else if (which === 'memcached') {
    const o = defaultMemcachedOptions(quick);
    o.queries = positiveInt('queries', values.queries, o.queries);
    o.reps = positiveInt('reps', values.reps, o.reps);
    o.seed = positiveInt('seed', values.seed, o.seed);
    o.largeKeysPerServer = positiveInt('large-keys', values['large-keys'], o.largeKeysPerServer);
    if (o.largeKeysPerServer > 1000) throw new UsageError(`--large-keys: at most 1000 per server, got ${o.largeKeysPerServer}`);
    o.smallValueBytes = positiveInt('small-value-bytes', values['small-value-bytes'], o.smallValueBytes);
    if (o.smallValueBytes > 512 * 1024) throw new UsageError(`--small-value-bytes: at most 524288 (memcached's default item limit is 1 MB), got ${o.smallValueBytes}`);
    o.families = familiesOption(values.modes, MEMCACHED_FAMILIES);
    o.log = log;
    result = await runMemcachedCase(o);
  } else {
    const o = defaultDmlOptions(quick);
    o.iterations = positiveInt('iterations', values.iterations, o.iterations);
    o.reps = positiveInt('reps', values.reps, o.reps);
    o.families = familiesOption(values.modes, DML_FAMILIES);
    o.log = log;
    result = await runDmlCase(o);
  }
  printModes(result);
  if (values.json) {
    await writeFile(values.json, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`wrote ${values.json}\n`);
  }
  if (values.report) {
    const section = result.case === 'memcached' ? memcachedSection(result) : dmlSection(result);
    // The signatures learned in the identification phase head the report (lag histograms against random
    // sampling: the paper's Figure 3), followed by the case's tables and figures.
    const learned = result.identification.signatures ?? { version: SIGNATURES_VERSION, params: {}, signatures: [] };
    await writeReport(learned, values.report, { title: `SmartTags testbed: ${which}`, source: 'identification phase (first no-action run)', sections: [{ ...section, placement: 'after-ranking' }], generatedAt: new Date().toISOString() });
    process.stdout.write(`wrote ${values.report}\n`);
  }
  if (values.figures) {
    const figures = result.case === 'memcached' ? memcachedFigures(result) : dmlFigures(result);
    await mkdir(values.figures, { recursive: true });
    for (const f of figures) await writeFile(join(values.figures, `${which}-${f.name}.svg`), f.svg + '\n');
    process.stdout.write(`wrote ${figures.length} figures to ${values.figures}: ${figures.map((f) => `${which}-${f.name}.svg`).join(', ')}\n`);
  }
  return 0;
}

function printModes(result: MemcachedReport | DmlReport): void {
  if (result.case === 'memcached') {
    process.stdout.write(`memcached: line-rate bound for incast queries ${result.bound.incastQctMs} ms\n`);
    for (const [name, m] of Object.entries(result.modes)) {
      process.stdout.write(`${name.padEnd(10)} param ${String(m.param ?? '-').padEnd(6)} score ${m.score} ms  incast mean/p50/p99 ${m.incast.qct.mean}/${m.incast.qct.p50}/${m.incast.qct.p99}  other mean ${m.nonIncast.qct.mean}  >200ms ${m.stallShare}  drops/query ${m.dropsPerQuery}  bulk ${m.bulkMbps} Mbit/s\n`);
    }
    if (result.versusBestStatic) process.stdout.write(`${versusBestStaticText(result.versusBestStatic)}\n`);
  } else {
    for (const [name, m] of Object.entries(result.modes)) {
      process.stdout.write(`${name.padEnd(10)} param ${String(m.param ?? '-').padEnd(6)} iteration mean/p50/p99 ${m.iterationMs.mean}/${m.iterationMs.p50}/${m.iterationMs.p99} ms  drops/iteration ${m.dropsPerIteration}  background ${m.backgroundMbps} Mbit/s\n`);
    }
  }
  for (const line of targetLines(result.case === 'memcached' ? memcachedTargets(result) : dmlTargets(result))) process.stdout.write(`${line}\n`);
}
