// learnSignatures: the Engine's learning pipeline over per-series records. Three statistic passes that sum
// exactly over time slices (screen -> interval scan -> window statistics), Benjamini-Hochberg across all
// candidates, EM attribution among co-travelling tags, then extent and lead time per signature.

import type { Series } from '../protocol/series-store.ts';
import { ALL_TIME, recordedSpan, type TimeRange } from './time-range.ts';
import { baselineSets, baselineShifts, shiftedAnchor, type BaselineShifts, type ShiftedAnchor } from './baseline-shift.ts';
import { attributeEventSeries, kernelFromExcess, type AttributionInput } from './attribution.ts';
import { enumerateCandidates, screenGroups, type Candidate, type LocaleRelations, type ScreenGroup } from './candidates.ts';
import { computeExtent, correctedProbability, type ValueBinStats } from './extent.ts';
import { intervalOffsets, intervalStats } from './interval-stats.ts';
import { fineEdges, makeLagBins } from './lag-bins.ts';
import { excessHistogram, leadTimeQuantiles } from './lead-time.ts';
import { resolveParams, type LearnParams } from './params.ts';
import { addFirstLags, firstLagScore, LagBinner } from './screen-stats.ts';
import { lowerBound } from './sorted-search.ts';
import { SIGNATURES_VERSION, type Signature, type SignaturesDoc } from './signature.ts';
import { benjaminiHochberg } from './significance.ts';
import { influenceBins, scanWindow, type ScanResult } from './window-scan.ts';
import { quantileEdges, windowLayout, windowStats, type WindowPlan } from './window-stats.ts';

export type Stage = 'screened-out' | 'not-significant' | 'explained-away' | 'signature';

export interface CandidateOutcome {
  tag: { name: string; locale: string };
  event: { name: string; locale: string };
  relation: string;
  stage: Stage;
  screenZ: number;
  pValue: number;
  qValue: number;
  /** Share of the window's excess events attributed to this tag; null when not attributed. */
  credit: number | null;
}

export interface LearnStats {
  seriesIn: number;
  records: number;
  candidates: number;
  scanned: number;
  significant: number;
  signatures: number;
  millis: { screen: number; scan: number; window: number; attribution: number; total: number };
}

export interface LearnResult {
  doc: SignaturesDoc;
  candidates: CandidateOutcome[];
  stats: LearnStats;
}

/** Reports progress of long phases: `done` of `total` units of `phase`. */
export type Progress = (phase: string, done: number, total: number) => void;

/** The fixed inputs of the statistic passes; every pass over any time range of it merges by addition. */
export interface PassContext {
  series: Series[];
  params: LearnParams;
  candidates: Candidate[];
  edges: Float64Array;
  binner: LagBinner;
  /** The baseline's shift rule, fitted to the recorded span of all series (the same for every slice). */
  baseline: BaselineShifts;
  /** Anchor of tag i (at time t) in baseline set s (1..shifts): shifted and wrapped around the recorded span. */
  shifted: ShiftedAnchor;
  /** Shifted sets of a candidate's baseline (more for candidates with few tags). */
  sets: (c: Candidate) => number;
}

export function makeContext(series: readonly Series[], topology: LocaleRelations | null, params: LearnParams): PassContext {
  const byId: Series[] = [];
  for (const s of series) {
    if (byId[s.id]) throw new Error(`series id ${s.id} appears twice`);
    byId[s.id] = s;
  }
  const { edges } = makeLagBins(params.minLag, params.horizon, params.binsPerOctave);
  const baseline = baselineShifts(params, recordedSpan(series));
  return {
    series: byId,
    params,
    candidates: enumerateCandidates(series, topology, { allPairs: params.allPairs, pool: params.pool }),
    edges,
    binner: new LagBinner(edges),
    baseline,
    shifted: (t, i, s) => shiftedAnchor(baseline, t, i, s),
    sets: (c) => baselineSets(params, c.members.reduce((n, m) => n + byId[m.tag]!.times.length, 0)),
  };
}

/** Pass 1 statistics (forward and backward first lags) of the given candidates for anchors in `range`. */
export function screenPass(ctx: PassContext, candidates: readonly Candidate[], range: TimeRange): Float64Array {
  const B = ctx.edges.length - 1;
  const out = new Float64Array(candidates.length * 2 * B);
  candidates.forEach((c, k) => {
    for (const m of c.members) {
      const tag = ctx.series[m.tag]!.times;
      addFirstLags(tag, ctx.series[m.event]!.times, range, ctx.binner, out, k * 2 * B, screenStride(ctx, tag));
    }
  });
  return out;
}

/** Pass 1 statistics of screening groups (tag series against merged event series). */
export function groupScreenPass(ctx: PassContext, groups: readonly ScreenGroup[], merged: readonly Float64Array[], range: TimeRange): Float64Array {
  const B = ctx.edges.length - 1;
  const out = new Float64Array(groups.length * 2 * B);
  groups.forEach((g, k) => {
    const tag = ctx.series[g.tag]!.times;
    addFirstLags(tag, merged[k]!, range, ctx.binner, out, k * 2 * B, screenStride(ctx, tag));
  });
  return out;
}

/** Merges ascending arrays into one ascending array in shared memory (pairwise, O(n log k)). */
export function mergeSorted(parts: Float64Array[]): Float64Array {
  let runs = parts;
  while (runs.length > 1) {
    const next: Float64Array[] = [];
    for (let r = 0; r < runs.length; r += 2) next.push(r + 1 < runs.length ? mergeTwo(runs[r]!, runs[r + 1]!, runs.length <= 2) : runs[r]!);
    runs = next;
  }
  const only = runs[0] ?? new Float64Array(0);
  if (only.buffer instanceof SharedArrayBuffer) return only;
  const out = new Float64Array(new SharedArrayBuffer(only.byteLength));
  out.set(only);
  return out;
}

function mergeTwo(a: Float64Array, b: Float64Array, shared: boolean): Float64Array {
  const n = a.length + b.length;
  const out = shared ? new Float64Array(new SharedArrayBuffer(8 * n)) : new Float64Array(n);
  let i = 0;
  let j = 0;
  let o = 0;
  while (i < a.length && j < b.length) out[o++] = a[i]! <= b[j]! ? a[i++]! : b[j++]!;
  while (i < a.length) out[o++] = a[i++]!;
  while (j < b.length) out[o++] = b[j++]!;
  return out;
}

/** Every how many tags of a series the screen looks at: about params.screenTags per series. */
function screenStride(ctx: PassContext, tagTimes: Float64Array): number {
  return Math.max(1, Math.ceil(tagTimes.length / ctx.params.screenTags));
}

/** The superposed event times of each group (in shared memory, for worker threads); identical sets share one array. */
export function mergedEventSeries(ctx: PassContext, groups: readonly ScreenGroup[]): Float64Array[] {
  const cache = new Map<string, Float64Array>();
  return groups.map((g) => {
    if (g.events.length === 1) return ctx.series[g.events[0]!]!.times;
    const key = g.events.join(',');
    let m = cache.get(key);
    if (!m) {
      m = mergeSorted(g.events.map((e) => ctx.series[e]!.times));
      cache.set(key, m);
    }
    return m;
  });
}

/** Pass 2 statistics of the given candidates for anchors in `range`. */
export function intervalPass(ctx: PassContext, survivors: readonly Candidate[], range: TimeRange): Float64Array {
  return intervalStats(ctx.series, survivors, ctx.binner, ctx.shifted, survivors.map(ctx.sets), range);
}

/** Pass 3 statistics for fixed windows, anchors in `range`. */
export function windowPass(ctx: PassContext, plans: readonly WindowPlan[], range: TimeRange): Float64Array[] {
  return windowStats(ctx.series, plans, ctx.shifted, ctx.params.shifts, range);
}

/** Adds b into a (the merge of two slices' statistics). */
export function mergeInto(a: Float64Array, b: Float64Array): Float64Array {
  if (a.length !== b.length) throw new Error(`merge: statistics of different shapes (${a.length} vs ${b.length})`);
  for (let i = 0; i < a.length; i++) a[i]! += b[i]!;
  return a;
}

/** Time from the first to the last record of all series, µs (0 when empty). */
export function timeSpan(series: readonly Series[]): number {
  const span = recordedSpan(series);
  return span ? span.to - 1 - span.from : 0;
}

/** `n` consecutive ranges covering all time, split evenly between the first and last record times. */
export function sliceRanges(series: readonly Series[], n: number): TimeRange[] {
  const span = recordedSpan(series);
  if (n <= 1 || !span) return [ALL_TIME];
  const lo = span.from;
  const hi = span.to - 1;
  if (!(hi > lo)) return [ALL_TIME];
  const cuts = Array.from({ length: n - 1 }, (_, k) => lo + ((hi - lo) * (k + 1)) / n);
  return [-Infinity, ...cuts].map((from, k) => ({ from, to: k < cuts.length ? cuts[k]! : Infinity }));
}

function sumOver<T extends Float64Array | Float64Array[]>(ranges: readonly TimeRange[], pass: (r: TimeRange) => T, progress: Progress | undefined, phase: string): T {
  let acc: T | null = null;
  ranges.forEach((r, k) => {
    const part = pass(r);
    if (acc === null) acc = part;
    else if (Array.isArray(acc)) (acc as Float64Array[]).forEach((a, i) => mergeInto(a, (part as Float64Array[])[i]!));
    else mergeInto(acc as Float64Array, part as Float64Array);
    progress?.(phase, k + 1, ranges.length);
  });
  return acc!;
}

/** The heavy group-screen pass, handed to whoever drives the pipeline (this thread or worker threads). */
export interface GroupScreenRequest {
  ctx: PassContext;
  groups: ScreenGroup[];
  merged: Float64Array[];
  ranges: TimeRange[];
  progress: Progress | undefined;
}

/** Runs the group screen in this thread. */
export function groupScreenHere(req: GroupScreenRequest): Float64Array {
  return sumOver(req.ranges, (r) => groupScreenPass(req.ctx, req.groups, req.merged, r), req.progress, 'screen groups');
}

/** Learns signatures in this thread. See learnSignaturesParallel for the worker-thread variant (same result). */
export function learnSignatures(series: readonly Series[], topology: LocaleRelations | null, params: Partial<LearnParams> = {}, progress?: Progress): LearnResult {
  const run = learnPipeline(series, topology, params, progress);
  let step = run.next();
  while (!step.done) step = run.next(groupScreenHere(step.value));
  return step.value;
}

/** The learning pipeline; it yields the group-screen pass for its driver to compute. */
export function* learnPipeline(
  series: readonly Series[],
  topology: LocaleRelations | null,
  params: Partial<LearnParams> = {},
  progress?: Progress,
): Generator<GroupScreenRequest, LearnResult, Float64Array> {
  const t0 = performance.now();
  const p = resolveParams(params);
  const ctx = makeContext(series, topology, p);
  // With a progress callback the passes run in at least 20 time slices (they merge exactly) to report often.
  const ranges = sliceRanges(series, progress ? Math.max(p.slices, 20) : p.slices);
  const C = ctx.candidates.length;
  const B = ctx.edges.length - 1;

  // Pass 1: screen tag series against groups of event series, then the members of groups that pass.
  const screenZ = new Float64Array(C);
  const toScreen: Candidate[] = [];
  if (p.pool || p.screenGroup <= 1) toScreen.push(...ctx.candidates);
  else {
    const span = timeSpan(series);
    const groups = screenGroups(ctx.candidates, p.screenGroup, (id) => ctx.series[id]!.times.length, Math.max(1, (p.screenGroupRate * span) / 1e6));
    const merged = mergedEventSeries(ctx, groups);
    const groupStats: Float64Array = yield { ctx, groups, merged, ranges, progress };
    groups.forEach((g, k) => {
      const z = firstLagScore(groupStats, k * 2 * B, B);
      for (const m of g.members) screenZ[m] = z;
      if (z >= p.screenZ) for (const m of g.members) toScreen.push(ctx.candidates[m]!);
    });
  }
  const memberStats = sumOver(ranges, (r) => screenPass(ctx, toScreen, r), progress, 'screen');
  toScreen.forEach((c, k) => (screenZ[c.index] = firstLagScore(memberStats, k * 2 * B, B)));
  const survivors = toScreen.filter((c) => screenZ[c.index]! >= p.screenZ);
  const t1 = performance.now();

  // Pass 2: full lag-bin statistics and the window scan for the survivors.
  const interval = sumOver(ranges, (r) => intervalPass(ctx, survivors, r), progress, 'scan');
  const sets = survivors.map(ctx.sets);
  const offsets = intervalOffsets(B, sets);
  const scans = new Map<number, { slot: number; scan: ScanResult | null }>();
  survivors.forEach((c, slot) => scans.set(c.index, { slot, scan: scanWindow(interval, offsets[slot]!, B, sets[slot]!, p.minHits) }));
  const pValues = ctx.candidates.map((c) => scans.get(c.index)?.scan?.pValue ?? 1);
  const qValues = benjaminiHochberg(pValues);
  const significant = (c: Candidate) => qValues[c.index]! <= p.fdr;
  const planned = survivors.filter((c) => scans.get(c.index)!.scan && (p.all || significant(c)));
  const t2 = performance.now();

  // Pass 3: window statistics of the planned candidates.
  const plans: WindowPlan[] = planned.map((c) => {
    const { slot, scan } = scans.get(c.index)!;
    const start = ctx.edges[scan!.i]!;
    const end = ctx.edges[scan!.j + 1]!;
    const reach = influenceBins(interval, offsets[slot]!, B, sets[slot]!, scan!, p.influenceAlpha);
    // The fine histograms reach one lag bin past the influence range: the kernel's support may end inside it.
    const cuts = [ctx.edges[reach.i]!, start, end, ctx.edges[reach.j + 1]!, ctx.edges[Math.min(B, reach.j + 2)]!];
    const values = concatValues(c.members.map((m) => ctx.series[m.tag]!.values));
    return { candidate: c, start, end, sets: sets[slot]!, reach: ctx.edges[reach.j + 1]!, fine: joinedFineEdges(cuts, Math.max(1, p.minLag / 4)), valueEdges: quantileEdges(values, p.extentBins) };
  });
  const windows = plans.length ? sumOver(ranges, (r) => windowPass(ctx, plans, r), progress, 'window') : [];
  const t3 = performance.now();

  // Per-plan summaries, then attribution per event series.
  const summaries = plans.map((plan, k) => summarise(plan, windows[k]!, plan.sets!));
  // Attribution among all significant candidates decides who is explained away; a second fit among the
  // survivors only gives them the credit the explained-away tags had borrowed.
  // Only event series where some tag was explained away are fitted again.
  const firstFit = attribute(ctx, plans, summaries, p, (c) => significant(c), null, progress);
  const first = creditShares(plans, summaries, firstFit, significant);
  const firstOf = new Map(plans.map((plan, k) => [plan.candidate.index, first[k]!]));
  const survives = (c: Candidate) => significant(c) && (firstOf.get(c.index) ?? 0) >= p.minCredit;
  const refit = new Set<number>();
  plans.forEach((plan, k) => {
    if (significant(plan.candidate) && first[k]! < p.minCredit) for (const m of plan.candidate.members) refit.add(m.event);
  });
  const secondFit = refit.size ? attribute(ctx, plans, summaries, p, survives, refit, progress) : new Map<number, FitEntry[]>();
  for (const [ev, entries] of secondFit) firstFit.set(ev, entries);
  for (const [ev, entries] of firstFit) if (refit.has(ev) && !secondFit.has(ev)) firstFit.set(ev, entries.filter((e) => survives(plans[e.plan]!.candidate)));
  const second = creditShares(plans, summaries, firstFit, survives);
  const credit = plans.map((plan, k) => (survives(plan.candidate) ? second[k]! : first[k]!));
  const t4 = performance.now();

  const signatures: Signature[] = [];
  const outcome: CandidateOutcome[] = ctx.candidates.map((c) => ({
    tag: { name: c.tagName, locale: c.tagLocale },
    event: { name: c.eventName, locale: c.eventLocale },
    relation: c.relation,
    stage: scans.has(c.index) ? 'not-significant' : 'screened-out',
    screenZ: screenZ[c.index]!,
    pValue: pValues[c.index]!,
    qValue: qValues[c.index]!,
    credit: null,
  }));
  plans.forEach((plan, k) => {
    const c = plan.candidate;
    const sum = summaries[k]!;
    const cr = credit[k]!;
    const o = outcome[c.index]!;
    o.credit = cr;
    const isSignificant = significant(c);
    const kept = isSignificant && cr >= p.minCredit;
    if (isSignificant) o.stage = kept ? 'signature' : 'explained-away';
    if (!kept && !p.all) return;
    const { slot, scan } = scans.get(c.index)!;
    const at = offsets[slot]!;
    signatures.push({
      tag: { name: c.tagName, locale: c.tagLocale },
      event: { name: c.eventName, locale: c.eventLocale },
      relation: c.relation,
      probability: correctedProbability(sum.hitRate, sum.baselineRate) * Math.min(1, cr),
      hitRate: sum.hitRate,
      baselineRate: sum.baselineRate,
      lift: sum.hitRate / sum.baselineRate,
      pValue: scan!.pValue,
      qValue: qValues[c.index]!,
      support: sum.anchors,
      hits: sum.hits,
      leadTime: sum.leadTime,
      window: { start: plan.start, end: plan.end },
      extent: computeExtent(sum.valueBins, sum.baselineRate),
      credit: cr,
      lags: {
        edges: Array.from(ctx.edges),
        tag: Array.from(interval.subarray(at + 1, at + 1 + B)),
        random: Array.from(interval.subarray(at + 1 + B, at + 1 + 2 * B), (x) => x / sets[slot]!),
      },
    });
  });
  signatures.sort(
    (a, b) =>
      a.qValue - b.qValue ||
      b.lift - a.lift ||
      endpointKey(a).localeCompare(endpointKey(b)),
  );
  const t5 = performance.now();
  let records = 0;
  for (const s of series) records += s.times.length;
  return {
    doc: { version: SIGNATURES_VERSION, params: { ...p }, signatures },
    candidates: outcome,
    stats: {
      seriesIn: series.length,
      records,
      candidates: C,
      scanned: survivors.length,
      significant: ctx.candidates.filter(significant).length,
      signatures: outcome.filter((o) => o.stage === 'signature').length,
      millis: { screen: t1 - t0, scan: t2 - t1, window: t3 - t2, attribution: t4 - t3, total: t5 - t0 },
    },
  };
}

/** Fine edges (16 per octave) over [cuts[0], cuts[last]] with every cut an edge (empty pieces skipped). */
function joinedFineEdges(cuts: readonly number[], floor: number): Float64Array {
  const out: number[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    if (!(cuts[k + 1]! > cuts[k]!)) continue;
    const piece = fineEdges(cuts[k]!, cuts[k + 1]!, floor, 16);
    for (const e of out.length ? piece.subarray(1) : piece) out.push(e);
  }
  return Float64Array.from(out);
}

function endpointKey(s: Signature): string {
  return `${s.tag.name}\u0000${s.tag.locale}\u0000${s.event.name}\u0000${s.event.locale}\u0000${s.relation}`;
}

function concatValues(parts: Float64Array[]): Float64Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Float64Array(parts.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of parts) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

interface PlanSummary {
  anchors: number;
  hits: number;
  hitRate: number;
  baselineRate: number;
  /** Event pairs in the kernel's support after tags minus the shifted-set mean: the excess to attribute. */
  excessPairs: number;
  /** Excess of every lag in the kernel's support per fine bin: the shape of the attribution kernel. */
  pairExcess: Float64Array;
  /**
   * Fine edges of the kernel's support: the influence range, continued into the next lag bin for as long as
   * the tag still adds events, so that a burst's tail past a coarse bin edge is not left to a co-travelling
   * tag whose range happens to reach further.
   */
  support: Float64Array;
  leadTime: Signature['leadTime'];
  valueBins: ValueBinStats[];
}

function summarise(plan: WindowPlan, v: Float64Array, K: number): PlanSummary {
  const L = windowLayout(plan, K);
  const anchors = v[L.anchors]!;
  const hits = v[L.hits]!;
  let shifted = 0;
  for (let s = 1; s <= K; s++) shifted += v[L.hits + s]!;
  const baselineRate = Math.max(shifted / K, 0.5 / K) / Math.max(1, anchors);
  const excess = excessHistogram(v.subarray(L.fineTag, L.fineTag + L.F), v.subarray(L.fineBase, L.fineBase + L.F), K);
  // The kernel's support: the influence range, then on through the next lag bin's fine bins while the tag adds events.
  let F = plan.reach === undefined ? L.F : lowerBound(plan.fine, plan.reach);
  while (F < L.F && v[L.pairTag + F]! - v[L.pairBase + F]! / K > 0) F++;
  const pairExcess = excessHistogram(v.subarray(L.pairTag, L.pairTag + F), v.subarray(L.pairBase, L.pairBase + F), K);
  let excessPairs = 0;
  for (let k = 0; k < F; k++) excessPairs += v[L.pairTag + k]! - v[L.pairBase + k]! / K;
  const valueBins: ValueBinStats[] = [];
  for (let b = 0; b < L.V; b++) {
    const at = L.value + 4 * b;
    valueBins.push({
      lo: plan.valueEdges[b]!,
      hi: b + 1 < L.V ? plan.valueEdges[b + 1]! : Math.max(plan.valueEdges[b]!, v[at]! > 0 ? v[at + 3]! / v[at]! : plan.valueEdges[b]!),
      tags: v[at]!,
      hits: v[at + 1]!,
      eventValueSum: v[at + 2]!,
      tagValueSum: v[at + 3]!,
    });
  }
  return {
    anchors,
    hits,
    hitRate: anchors > 0 ? hits / anchors : 0,
    baselineRate,
    excessPairs,
    pairExcess,
    support: plan.fine.subarray(0, F + 1),
    leadTime: leadTimeQuantiles(plan.fine, excess),
    valueBins,
  };
}

/** Events credited to a plan's member by the fit of one event series. */
interface FitEntry {
  plan: number;
  credited: number;
}

/** A plan's credit share: events credited to its members over its excess events; 1 when not attributed. */
function creditShares(plans: readonly WindowPlan[], sums: readonly PlanSummary[], fits: Map<number, FitEntry[]>, attributed: (c: Candidate) => boolean): number[] {
  const credited = plans.map(() => 0);
  for (const entries of fits.values()) for (const e of entries) credited[e.plan]! += e.credited;
  return plans.map((plan, k) => {
    if (!attributed(plan.candidate)) return 1;
    const ex = sums[k]!.excessPairs;
    return ex > 0 ? Math.min(1, credited[k]! / ex) : 0;
  });
}

/**
 * EM fits per event series over every (tag series, event series) member of the plans `include` accepts
 * (pooled plans contribute each member with the pooled window and kernel); only the event series in
 * `only` when given. Returns the credited events per member, by event series.
 */
function attribute(
  ctx: PassContext,
  plans: readonly WindowPlan[],
  sums: readonly PlanSummary[],
  p: LearnParams,
  include: (c: Candidate) => boolean,
  only: Set<number> | null,
  progress?: Progress,
): Map<number, FitEntry[]> {
  const groups = new Map<number, { plan: number; input: AttributionInput }[]>();
  plans.forEach((plan, k) => {
    if (!include(plan.candidate)) return;
    const support = sums[k]!.support;
    const density = kernelFromExcess(support, sums[k]!.pairExcess);
    for (const m of plan.candidate.members) {
      if (only && !only.has(m.event)) continue;
      const entry = { plan: k, input: { tag: m.tag, event: m.event, start: support[0]!, end: support[support.length - 1]!, edges: support, density } };
      const g = groups.get(m.event);
      if (g) g.push(entry);
      else groups.set(m.event, [entry]);
    }
  });
  const out = new Map<number, FitEntry[]>();
  let done = 0;
  for (const [ev, entries] of groups) {
    const res = attributeEventSeries(ctx.series, entries.map((e) => e.input), p.backgroundBucket, p.emIterations);
    out.set(ev, entries.map((e, x) => ({ plan: e.plan, credited: res[x]!.credited })));
    progress?.('attribution', ++done, groups.size);
  }
  return out;
}
