// Searches over ascending Float64Arrays of times: lower bounds from scratch and monotone pointers that
// gallop forward, so a sweep of ascending anchors costs O(log gap) per step instead of O(log n).

/** First index i in [from, n) with a[i] >= x (n when none); a must be ascending. */
export function lowerBound(a: Float64Array, x: number, from = 0): number {
  let lo = from;
  let hi = a.length;
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
  if (hi > n) hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
