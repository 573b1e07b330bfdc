// Searches over ascending Float64Arrays of times: lower bounds from scratch and monotone pointers that
// gallop forward, so a sweep of ascending anchors costs O(log gap) per step instead of O(log n).

/** First index i in [from, to) with a[i] >= x (`to` when none); a must be ascending. */
export function lowerBound(a: Float64Array, x: number, from = 0, to = a.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Like lowerBound, for x no smaller than the previous target: probes a few steps, then gallops. */
export function advance(a: Float64Array, from: number, x: number): number {
  const n = a.length;
  let i = from;
  for (let k = 0; k < 4; k++) {
    if (i >= n || a[i]! >= x) return i;
    i++;
  }
  let step = 8;
  let lo = i;
  let hi = i + step;
  while (hi < n && a[hi]! < x) {
    lo = hi + 1;
    step *= 2;
    hi = lo + step;
  }
  return lowerBound(a, x, lo, hi > n ? n : hi);
}

/**
 * A lower-bound index over ascending times: the first index of every fixed-width time cell, so a search
 * is one division and a binary search inside one cell. Cells are wide enough to keep the index at most
 * about 4 entries per time.
 */
export class TimeIndex {
  private readonly t0: number;
  private readonly width: number;
  private readonly first: Int32Array;
  constructor(readonly times: Float64Array, cellWidth: number) {
    const n = times.length;
    this.t0 = n > 0 ? times[0]! : 0;
    const span = n > 0 ? times[n - 1]! - this.t0 : 0;
    this.width = Math.max(cellWidth, span / Math.max(1, 4 * n), 1);
    const cells = Math.floor(span / this.width) + 1;
    this.first = new Int32Array(cells + 1);
    let p = 0;
    for (let c = 0; c <= cells; c++) {
      const edge = this.t0 + c * this.width;
      while (p < n && times[p]! < edge) p++;
      this.first[c] = p;
    }
  }

  /** First index i with times[i] >= x (times.length when none). */
  lowerBound(x: number): number {
    const c = Math.floor((x - this.t0) / this.width);
    if (c < 0) return 0;
    if (c >= this.first.length - 1) return c === this.first.length - 1 ? lowerBound(this.times, x, this.first[c]!) : this.times.length;
    return lowerBound(this.times, x, this.first[c]!, this.first[c + 1]!);
  }
}
