// The inner loop every statistic shares: anchors (tag times + a fixed offset) ascend, and one galloping
// pointer per lag edge tracks the first event at or after anchor + edge, giving per-bin event counts.

import { advance, lowerBound } from './sorted-search.ts';

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
 * Calls visit(i, ptr) for every anchor i in [i0, i1) with ptr[e] = index of the first event at or after
 * anchor + edges[e], where anchor = tagTimes[i] + (shiftOf?.(i) ?? 0). Events in bin k are ptr[k] .. ptr[k+1]-1.
 * Unshifted anchors ascend, so each edge keeps a galloping pointer; shifted ones are searched per anchor.
 */
export function sweepAnchors(
  tagTimes: Float64Array,
  eventTimes: Float64Array,
  i0: number,
  i1: number,
  shiftOf: ((i: number) => number) | null,
  edges: Float64Array,
  visit: (i: number, ptr: Int32Array) => void,
): void {
  if (i0 >= i1) return;
  const ne = edges.length;
  const ptr = new Int32Array(ne);
  if (shiftOf === null) {
    const first = tagTimes[i0]!;
    for (let e = 0; e < ne; e++) ptr[e] = lowerBound(eventTimes, first + edges[e]!);
  }
  for (let i = i0; i < i1; i++) {
    if (shiftOf === null) {
      const a = tagTimes[i]!;
      for (let e = 0; e < ne; e++) ptr[e] = advance(eventTimes, ptr[e]!, a + edges[e]!);
    } else {
      const a = tagTimes[i]! + shiftOf(i);
      ptr[0] = lowerBound(eventTimes, a + edges[0]!);
      for (let e = 1; e < ne; e++) ptr[e] = advance(eventTimes, ptr[e - 1]!, a + edges[e]!);
    }
    visit(i, ptr);
  }
}
