// Evaluating a signature's extent at a Tag value: the event's probability after a Tag of value v, and the
// smallest value from which it reaches an action probability (shared by the driver's fast path and the controller).

import type { Signature } from './signature.ts';

/** Probability of the event after a Tag of value `v`: logistic extent, else the extent bin holding v, else the signature's. */
export function eventProbabilityAt(sig: Signature, v: number): number {
  const lg = sig.extent.logistic;
  if (lg) return 1 / (1 + Math.exp(-(lg.a + lg.b * v)));
  const bin = sig.extent.bins.find((b) => v >= b.lo && v <= b.hi);
  if (bin) return bin.probability;
  return sig.probability;
}

/**
 * The value below which eventProbabilityAt(sig, v) < minP for every v (so no action follows a Tag below it), or
 * null when the extent gives no such bound (no usable extent, the event likely at small values, or never likely).
 */
export function actAboveValue(sig: Signature, minP: number): number | null {
  if (!(minP > 0 && minP < 1)) throw new RangeError(`actAboveValue: minP must be in (0, 1), got ${minP}`);
  const lg = sig.extent.logistic;
  if (lg) {
    if (!(lg.b > 0)) return null;
    const t = (Math.log(minP / (1 - minP)) - lg.a) / lg.b;
    return Number.isFinite(t) ? t : null;
  }
  if (sig.extent.bins.length === 0 || sig.probability >= minP) return null;
  let t = Infinity;
  for (const b of sig.extent.bins) if (b.probability >= minP && b.lo < t) t = b.lo;
  return Number.isFinite(t) ? t : null;
}

/** The act-above value of a Tag with these signatures: the smallest over them, null when any has none. */
export function actAboveOf(sigs: readonly Signature[], minP: number): number | null {
  let t = Infinity;
  for (const s of sigs) {
    const v = actAboveValue(s, minP);
    if (v === null) return null;
    if (v < t) t = v;
  }
  return Number.isFinite(t) ? t : null;
}
