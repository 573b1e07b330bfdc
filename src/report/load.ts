// Reads a signatures.json file for the report and checks the fields the report draws, naming the first bad
// field (e.g. `signatures[3].window.end`) instead of failing later inside a chart.

import { readFile } from 'node:fs/promises';
import { SIGNATURES_VERSION, type SignaturesDoc } from '../engine/signature.ts';

export class SignaturesFileError extends Error {
  override name = 'SignaturesFileError';
}

const NUMBERS = ['probability', 'hitRate', 'baselineRate', 'pValue', 'qValue', 'support', 'hits'] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** Why a parsed document cannot be reported, or null. `lift: null` (JSON for an infinite lift) is accepted. */
export function signaturesDocProblem(doc: unknown): string | null {
  if (!isObject(doc)) return 'top level: not an object';
  if (doc.version !== SIGNATURES_VERSION) return `version: expected ${SIGNATURES_VERSION}, got ${JSON.stringify(doc.version)}`;
  if (doc.params !== undefined && !isObject(doc.params)) return 'params: not an object';
  if (!Array.isArray(doc.signatures)) return 'signatures: not an array';
  for (let i = 0; i < doc.signatures.length; i++) {
    const s: unknown = doc.signatures[i];
    const at = `signatures[${i}]`;
    if (!isObject(s)) return `${at}: not an object`;
    for (const end of ['tag', 'event'] as const) {
      const e = s[end];
      if (!isObject(e) || typeof e.name !== 'string' || typeof e.locale !== 'string') return `${at}.${end}: needs string name and locale`;
    }
    for (const f of NUMBERS) if (typeof s[f] !== 'number' || !Number.isFinite(s[f])) return `${at}.${f}: not a finite number`;
    if (s.lift !== null && typeof s.lift !== 'number') return `${at}.lift: not a number`;
    if (typeof s.relation !== 'string') return `${at}.relation: not a string`;
    const w = s.window;
    if (!isObject(w) || typeof w.start !== 'number' || typeof w.end !== 'number' || !(w.end >= w.start)) return `${at}.window: needs numbers start <= end`;
    const lt = s.leadTime;
    if (!isObject(lt) || !['min', 'p05', 'p50', 'p95'].every((k) => typeof lt[k] === 'number')) return `${at}.leadTime: needs numbers min, p05, p50, p95`;
    const x = s.extent;
    if (!isObject(x) || !Array.isArray(x.bins)) return `${at}.extent.bins: not an array`;
    for (let b = 0; b < x.bins.length; b++) {
      const bin: unknown = x.bins[b];
      if (!isObject(bin) || !['lo', 'hi', 'tags', 'hits', 'probability', 'meanEventValue'].every((k) => typeof bin[k] === 'number')) {
        return `${at}.extent.bins[${b}]: needs numbers lo, hi, tags, hits, probability, meanEventValue`;
      }
    }
    if (x.threshold !== null && typeof x.threshold !== 'number') return `${at}.extent.threshold: not a number or null`;
    if (typeof x.sizeSlope !== 'number') return `${at}.extent.sizeSlope: not a number`;
    if (x.logistic !== null && !(isObject(x.logistic) && typeof x.logistic.a === 'number' && typeof x.logistic.b === 'number')) return `${at}.extent.logistic: needs numbers a, b or null`;
    if (s.lags !== undefined) {
      const l = s.lags;
      if (!isObject(l) || !isNumberArray(l.edges) || !isNumberArray(l.tag) || !isNumberArray(l.random)) return `${at}.lags: needs number arrays edges, tag, random`;
      if (l.edges.length < 2 || l.tag.length !== l.edges.length - 1 || l.random.length !== l.edges.length - 1) {
        return `${at}.lags: ${l.edges.length} edges need ${l.edges.length - 1} tag and random counts, got ${l.tag.length} and ${l.random.length}`;
      }
      for (let k = 1; k < l.edges.length; k++) if (!(l.edges[k]! > l.edges[k - 1]!)) return `${at}.lags.edges[${k}]: edges must increase`;
    }
  }
  return null;
}

/** Parses and checks a signatures.json document; a null lift becomes Infinity. */
export function parseSignaturesDoc(text: string, source: string): SignaturesDoc {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SignaturesFileError(`${source}: not JSON: ${(err as Error).message}`);
  }
  return signaturesDocOf(doc, source);
}

/** Checks an already parsed signatures document (naming `source` in the error); a null lift becomes Infinity. */
export function signaturesDocOf(doc: unknown, source: string): SignaturesDoc {
  const problem = signaturesDocProblem(doc);
  if (problem) throw new SignaturesFileError(`${source}: ${problem}`);
  const d = doc as SignaturesDoc;
  for (const s of d.signatures) if ((s.lift as number | null) === null) s.lift = Infinity;
  return { ...d, params: d.params ?? {} };
}

export async function readSignaturesDoc(file: string): Promise<SignaturesDoc> {
  return parseSignaturesDoc(await readFile(file, 'utf8'), file);
}
