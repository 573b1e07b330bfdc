// Reads back a case's results as `smarttags testbed --json` wrote them, so that tables, the report and the
// figures can be drawn again without re-running the case. Checks every field they draw and names the first
// bad one (e.g. `modes.none.incast.qct.p99`).

import { readFile } from 'node:fs/promises';
import { signaturesDocOf, signaturesDocProblem } from '../report/load.ts';
import type { DmlReport } from './dml-case.ts';
import type { MemcachedReport } from './memcached-case.ts';

export class CaseResultsError extends Error {
  override name = 'CaseResultsError';
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value at a dotted path (object keys and array indices), or undefined. */
function at(v: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (typeof o === 'object' && o !== null ? (o as Obj)[k] : undefined), v);
}

/** Whether v is a list of finite numbers (of exactly `length` of them when given). */
function finiteList(v: unknown, length?: number): v is number[] {
  return Array.isArray(v) && (length === undefined || v.length === length) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

function numbersProblem(v: unknown, where: string, paths: string[]): string | null {
  for (const p of paths) {
    const x = at(v, p);
    if (typeof x !== 'number' || !Number.isFinite(x)) return `${where ? `${where}.` : ''}${p}: not a finite number`;
  }
  return null;
}

const MEMCACHED_MODE = ['score', 'incast.qct.mean', 'incast.qct.p50', 'incast.qct.p99', 'nonIncast.qct.mean', 'nonIncast.qct.p50', 'nonIncast.qct.p99', 'stallShare', 'dropsPerQuery', 'bulkMbps', 'reps'];
const DML_MODE = ['iterationMs.mean', 'iterationMs.p50', 'iterationMs.p99', 'dropsPerIteration', 'backgroundMbps', 'reps'];

function modeProblem(m: unknown, where: string, numbers: string[]): string | null {
  if (!isObject(m)) return `${where}: not an object`;
  if (m.param !== null && (typeof m.param !== 'number' || !Number.isFinite(m.param))) return `${where}.param: not a number or null`;
  // Per-repetition scores (MemCached runs since they were written; absent in older files).
  if (m.scores !== undefined && !finiteList(m.scores)) return `${where}.scores: not a list of finite numbers`;
  // The spread of the share of slow queries (MemCached runs since it was kept).
  if (at(m, 'spread.stallShare') !== undefined) {
    const p = numbersProblem(m, where, ['spread.stallShare.median', 'spread.stallShare.min', 'spread.stallShare.max']);
    if (p) return p;
  }
  return numbersProblem(m, where, numbers);
}

/** Why a MemCached run's paired comparison is malformed, or null (absent, as in runs before it existed, is fine). */
function versusProblem(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) return 'versusBestStatic: not an object or null';
  if (typeof v.against !== 'string') return 'versusBestStatic.against: not a string';
  const score = v.score;
  if (!isObject(score)) return 'versusBestStatic.score: not an object';
  if (!finiteList(score.perRep) || score.perRep.length === 0) return 'versusBestStatic.score.perRep: not a list of finite numbers';
  const ci = score.ci95;
  if (ci !== null && !finiteList(ci, 2)) return 'versusBestStatic.score.ci95: not null or two finite numbers';
  return numbersProblem(v, 'versusBestStatic', ['score.mean']);
}

/** Why a parsed document is not the results of case `which`, or null. */
export function caseResultsProblem(doc: unknown, which: 'memcached' | 'dml'): string | null {
  if (!isObject(doc)) return 'top level: not an object';
  if (doc.case !== which) return `case: expected ${JSON.stringify(which)}, got ${JSON.stringify(doc.case)}`;
  const numbers = which === 'memcached' ? MEMCACHED_MODE : DML_MODE;
  if (!isObject(doc.modes) || Object.keys(doc.modes).length === 0) return 'modes: not an object with at least one mode';
  for (const [name, m] of Object.entries(doc.modes)) {
    const p = modeProblem(m, `modes.${name}`, numbers);
    if (p) return p;
  }
  if (!isObject(doc.sweeps)) return 'sweeps: not an object';
  for (const [family, list] of Object.entries(doc.sweeps)) {
    if (!Array.isArray(list)) return `sweeps.${family}: not an array`;
    for (let i = 0; i < list.length; i++) {
      const p = modeProblem(list[i], `sweeps.${family}[${i}]`, numbers);
      if (p) return p;
    }
  }
  if (!isObject(doc.samples)) return 'samples: not an object';
  for (const [label, list] of Object.entries(doc.samples)) {
    if (!Array.isArray(list)) return `samples.${label}: not an array`;
    for (let i = 0; i < list.length; i++) {
      const q: unknown = list[i];
      const bad = which === 'memcached'
        ? !isObject(q) || typeof q.large !== 'boolean' || !['keys', 'qctMs', 'drops'].every((k) => typeof q[k] === 'number')
        : typeof q !== 'number';
      if (bad) return `samples.${label}[${i}]: ${which === 'memcached' ? 'needs boolean large and numbers keys, qctMs, drops' : 'not a number'}`;
    }
  }
  const id = doc.identification;
  if (!isObject(id)) return 'identification: not an object';
  const idNumbers = numbersProblem(id, 'identification', ['tags', 'events']);
  if (idNumbers) return idNumbers;
  if (id.signatures !== null) {
    const p = signaturesDocProblem(id.signatures);
    if (p) return `identification.signatures.${p}`;
  }
  if (!isObject(doc.params)) return 'params: not an object';
  if (which === 'memcached') return versusProblem(doc.versusBestStatic) ?? numbersProblem(doc, '', ['bound.incastQctMs', 'bound.rateMbit', 'bound.baseRttMs', 'params.servers', 'params.largeKeysPerServer', 'params.valueBytes', 'params.reps', 'params.queries', 'seconds']);
  return numbersProblem(doc, '', ['plan.senders.0', 'plan.senders.1', 'plan.rateBps.0', 'plan.rateBps.1', 'bound.splitIterationMs', 'bound.fluidIterationMs', 'params.workers', 'params.gradBytes', 'params.computeMs', 'params.rateMbit', 'params.bufferBytes', 'params.backgroundMbit', 'params.iterations', 'params.reps', 'seconds']);
}

/** Reads and checks the results of case `which` from `file`; a signature's null lift becomes Infinity. */
export async function readCaseResults(file: string, which: 'memcached' | 'dml'): Promise<MemcachedReport | DmlReport> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new CaseResultsError(`${file}: ${(err as Error).message}`);
  }
  const problem = caseResultsProblem(doc, which);
  if (problem) throw new CaseResultsError(`${file}: field ${problem}`);
  const r = doc as MemcachedReport | DmlReport;
  if (r.case === 'memcached') r.versusBestStatic ??= null;
  if (r.identification.signatures) r.identification.signatures = signaturesDocOf(r.identification.signatures, `${file}: identification.signatures`);
  return r;
}
