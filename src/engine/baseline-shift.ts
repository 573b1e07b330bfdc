// Where the anchors of the local random-sampling baseline fall: each tag time moved by a pseudo-random
// shift and wrapped around the recorded span (a circular shift), the shift range fitted to the span; and
// how many shifted sets a candidate gets (more when it has few tags).

import type { LearnParams } from './params.ts';
import type { TimeRange } from './time-range.ts';

/**
 * The shift rule for one recorded span [from, from + length). Shifts are drawn in [min, max] with
 * min = min(shiftMin, length / 2) and max = min(shiftMax, length - min): every shifted anchor then lies
 * at least `min` from its tag both ways around the circle, so its window never holds the tag's own events
 * when the span is at least twice the horizon (shorter spans leak some in, which only raises the baseline).
 */
export interface BaselineShifts {
  from: number;
  length: number;
  min: number;
  max: number;
}

export function baselineShifts(p: LearnParams, span: TimeRange | null): BaselineShifts {
  const from = span ? span.from : 0;
  const length = span ? span.to - span.from : 1;
  if (!(Number.isFinite(from) && length >= 1)) throw new Error(`recorded span [${span?.from}, ${span?.to}): must be finite and at least 1 µs long`);
  const min = Math.min(p.shiftMin, Math.floor(length / 2));
  return { from, length, min, max: Math.max(min, Math.min(p.shiftMax, length - min)) };
}

/**
 * Shift of anchor `i` (global index in its tag series) in baseline set s = 1..shifts: a pseudo-random
 * length in [b.min, b.max], before the tag for odd sets and after it for even ones. Random per anchor so
 * that periodic tags do not alias; a pure function of (i, s) so that slices agree exactly.
 */
export function anchorShift(b: BaselineShifts, i: number, s: number): number {
  let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(s + 0x27d4eb2f, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  h ^= h >>> 15;
  const u = (h >>> 0) / 4294967296;
  const d = Math.round(b.min + (b.max - b.min) * u);
  return s % 2 === 1 ? -d : d;
}

/** The baseline anchor of tag `i` at time t in set s: t shifted, wrapped into the recorded span. */
export function shiftedAnchor(b: BaselineShifts, t: number, i: number, s: number): number {
  const a = t + anchorShift(b, i, s);
  if (a < b.from) return a + b.length;
  if (a >= b.from + b.length) return a - b.length;
  return a;
}

/**
 * Baseline sets of a candidate with `tags` anchors: `shifts`, raised (even) until the sets hold about
 * `baselineAnchors` shifted anchors, at most 4 x shifts. A pure function of global counts: slices agree.
 */
export function baselineSets(p: LearnParams, tags: number): number {
  const want = 2 * Math.ceil(p.baselineAnchors / Math.max(1, tags) / 2);
  return Math.min(4 * p.shifts, Math.max(p.shifts, want));
}

/** Shifted anchor time of tag `i` at time t in baseline set s (1..shifts). */
export type ShiftedAnchor = (t: number, i: number, s: number) => number;
