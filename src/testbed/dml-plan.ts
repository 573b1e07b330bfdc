// Splitting a synchronous push over two paths: how many senders move to the second path, and the pacing
// rate of each sender on either path, from the capacities an operator configures for the paths and the
// number of senders (the rpc_sync Tag's value).

export interface SplitPlan {
  /** Senders on each path: [first (default) path, second path]. */
  senders: [number, number];
  /**
   * Pacing rate of one sender on each path, bit/s: its share of the path's capacity, and no faster than
   * finishing together with the slower path needs (0 when the path has no sender).
   */
  rateBps: [number, number];
  /** Time the slower path needs for `bytesPerSender` from every sender at these rates, seconds. */
  pushSeconds: number;
}

/**
 * Moves k of `senders` equal senders to the second path, k minimising the time the slower path needs
 * (the fewest moved on a tie, so the other traffic on the second path is disturbed least). Each path's
 * senders share its capacity equally, so their sum never exceeds what its buffer drains; on the faster
 * path they send only as fast as finishing with the slower one needs, leaving the rest to other traffic.
 */
export function planSplit(senders: number, capacityBps: [number, number], bytesPerSender = 1): SplitPlan {
  if (!Number.isInteger(senders) || senders < 1) throw new Error(`planSplit: senders must be a positive integer, got ${senders}`);
  capacityBps.forEach((c, i) => {
    if (!(Number.isFinite(c) && c >= 0)) throw new Error(`planSplit: capacityBps[${i}] must be a non-negative number, got ${c}`);
  });
  if (!(capacityBps[0] > 0)) throw new Error('planSplit: the first path needs a positive capacity');
  if (!(bytesPerSender > 0)) throw new Error(`planSplit: bytesPerSender must be positive, got ${bytesPerSender}`);
  const time = (n: number, c: number) => (n === 0 ? 0 : c > 0 ? (n * bytesPerSender * 8) / c : Infinity);
  let best = { k: 0, t: time(senders, capacityBps[0]) };
  for (let k = 1; k <= senders; k++) {
    const t = Math.max(time(senders - k, capacityBps[0]), time(k, capacityBps[1]));
    // Relative margin: equal times computed in floating point must tie, not favour more moves.
    if (t < best.t * (1 - 1e-9)) best = { k, t };
  }
  const on: [number, number] = [senders - best.k, best.k];
  return {
    senders: on,
    rateBps: [0, 1].map((i) => (on[i]! ? Math.floor(Math.min(capacityBps[i]! / on[i]!, (bytesPerSender * 8) / best.t)) : 0)) as [number, number],
    pushSeconds: best.t,
  };
}
