// Time ranges of anchors (the unit of slicing and merging) and their tag indices.

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

