// The case studies' targets (issue 4) checked against a run's results: `smarttags` against no action, the
// line-rate bound and the hindsight-best static baseline for MemCached; against no action for the parameter
// server. Each check says what it compared, so the printout and the report show the numbers behind a verdict.

import type { DmlReport } from './dml-case.ts';
import type { MemcachedReport, ModeReport } from './memcached-case.ts';
import { round } from './stats.ts';

export interface TargetCheck {
  target: string;
  /** The compared numbers, as text. */
  value: string;
  /** Null when a mode it needs was not run. */
  met: boolean | null;
}

/** The MemCached families whose configurations act the same on every query, whatever the application does: the static baselines. */
const STATIC_FAMILIES: readonly string[] = ['jitter', 'window', 'pacing'];

const signed = (x: number) => `${x > 0 ? '+' : ''}${x}`;
const pct = (x: number) => `${signed(round(x * 100, 1))}%`;
const change = (a: number, b: number) => (b === 0 ? (a === 0 ? 0 : Infinity) : a / b - 1);

function notRun(target: string, modes: string[]): TargetCheck {
  return { target, value: `not run (needs ${modes.join(' and ')})`, met: null };
}

/** Of some configurations, the static one (a STATIC_FAMILIES family) of lowest median score, or undefined. */
export function lowestStatic<T extends { family: string; medianScore: number }>(configs: T[]): T | undefined {
  return configs.filter((c) => STATIC_FAMILIES.includes(c.family)).sort((a, b) => a.medianScore - b.medianScore)[0];
}

/** The static configuration (family and parameter) of lowest median score, or null when none was run. */
export function bestStatic(r: Pick<MemcachedReport, 'sweeps'>): { label: string; mode: ModeReport } | null {
  const all = Object.entries(r.sweeps).flatMap(([family, list]) => list.map((mode) => ({ family, medianScore: mode.score, label: mode.param === null ? family : `${family}=${mode.param}`, mode })));
  return lowestStatic(all) ?? null;
}

export function memcachedTargets(r: MemcachedReport): TargetCheck[] {
  const s = r.modes['smarttags'];
  const none = r.modes['none'];
  const out: TargetCheck[] = [];
  const bound = 'incast QCT mean within 1.15x the line-rate bound';
  if (!s) out.push(notRun(bound, ['smarttags']));
  else out.push({ target: bound, value: `${s.incast.qct.mean} ms, ${round(s.incast.qct.mean / r.bound.incastQctMs)}x the bound of ${r.bound.incastQctMs} ms`, met: s.incast.qct.mean <= 1.15 * r.bound.incastQctMs });
  const stalls = 'no query over 200 ms';
  if (!s) out.push(notRun(stalls, ['smarttags']));
  else {
    // Every repetition's share where the results keep it (its maximum), otherwise the median's.
    const worst = s.spread.stallShare?.max;
    const share = worst ?? s.stallShare;
    out.push({ target: stalls, value: `share over 200 ms ${share}${worst === undefined ? ', the median of the repetitions' : ' in the worst repetition'}`, met: share === 0 });
  }
  if (!s || !none) {
    for (const t of ['drops per query at least 95% below no action', 'non-incast queries at most 5% worse than no action', 'bulk transfers at most 5% worse than no action']) out.push(notRun(t, ['smarttags', 'none']));
  } else {
    out.push({ target: 'drops per query at least 95% below no action', value: `${s.dropsPerQuery} against ${none.dropsPerQuery} (${pct(change(s.dropsPerQuery, none.dropsPerQuery))})`, met: s.dropsPerQuery <= 0.05 * none.dropsPerQuery });
    out.push({ target: 'non-incast queries at most 5% worse than no action', value: `mean ${s.nonIncast.qct.mean} against ${none.nonIncast.qct.mean} ms (${pct(change(s.nonIncast.qct.mean, none.nonIncast.qct.mean))})`, met: s.nonIncast.qct.mean <= 1.05 * none.nonIncast.qct.mean });
    out.push({ target: 'bulk transfers at most 5% worse than no action', value: `${s.bulkMbps} against ${none.bulkMbps} Mbit/s (${pct(change(s.bulkMbps, none.bulkMbps))})`, met: s.bulkMbps >= 0.95 * none.bulkMbps });
  }
  const score = 'score at least as good as the best hindsight-tuned static baseline (medians)';
  const best = bestStatic(r);
  if (!s || !best) out.push(notRun(score, ['smarttags', 'a static baseline']));
  else {
    const v = r.versusBestStatic;
    const pairedText = v && v.score.ci95 ? `; paired against ${v.against} ${signed(v.score.mean)} ms [${v.score.ci95.map(signed).join(', ')}]` : '';
    out.push({ target: score, value: `${s.score} against ${best.mode.score} ms for ${best.label}${pairedText}`, met: s.score <= best.mode.score });
  }
  return out;
}

export function dmlTargets(r: DmlReport): TargetCheck[] {
  const s = r.modes['smarttags'];
  const none = r.modes['none'];
  const targets = ['iteration time at least 35% below no action', 'drops per iteration at least 90% below no action', 'background traffic keeps at least 90% of its throughput'];
  if (!s || !none) return targets.map((t) => notRun(t, ['smarttags', 'none']));
  return [
    { target: targets[0]!, value: `mean ${s.iterationMs.mean} against ${none.iterationMs.mean} ms (${pct(change(s.iterationMs.mean, none.iterationMs.mean))})`, met: s.iterationMs.mean <= 0.65 * none.iterationMs.mean },
    { target: targets[1]!, value: `${s.dropsPerIteration} against ${none.dropsPerIteration} (${pct(change(s.dropsPerIteration, none.dropsPerIteration))})`, met: s.dropsPerIteration <= 0.1 * none.dropsPerIteration },
    { target: targets[2]!, value: `${s.backgroundMbps} against ${none.backgroundMbps} Mbit/s under no action (${pct(change(s.backgroundMbps, none.backgroundMbps))})`, met: s.backgroundMbps >= 0.9 * none.backgroundMbps },
  ];
}

/** One line per check: `target <name>: <verdict>, <numbers>`. */
export function targetLines(checks: TargetCheck[]): string[] {
  return checks.map((c) => `target ${c.target}: ${c.met === null ? 'not checked' : c.met ? 'met' : 'NOT met'}, ${c.value}`);
}
