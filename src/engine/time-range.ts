// Time ranges of anchors (the unit of slicing and merging), their tag indices, and the recorded span of
// the data (known to every slice, so that the shifted baseline anchors agree across slices and workers).

import type { Series } from '../protocol/series-store.ts';
import { lowerBound } from './sorted-search.ts';

/** A half-open time range [from, to) of anchor (tag) times: the unit of slicing and merging. */
export interface TimeRange {
  from: number;
  to: number;
}

export const ALL_TIME: TimeRange = { from: -Infinity, to: Infinity };

/** Indices [i0, i1) of the tag times inside the range. */
export function anchorIndices(tagTimes: Float64Array, range: TimeRange): [number, number] {
  return [range.from === -Infinity ? 0 : lowerBound(tagTimes, range.from), range.to === Infinity ? tagTimes.length : lowerBound(tagTimes, range.to)];
}

/**
 * The recorded span of all series: [first record time, last record time + 1 µs), so that every record lies
 * inside it and a span of one instant has length 1. Null when there is no record.
 */
export function recordedSpan(series: readonly Series[]): TimeRange | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    if (s.times.length === 0) continue;
    lo = Math.min(lo, s.times[0]!);
    hi = Math.max(hi, s.times[s.times.length - 1]!);
  }
  return hi >= lo ? { from: lo, to: hi + 1 } : null;
}
