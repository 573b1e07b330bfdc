// Learning parameters with their defaults and validation; every field is written into signatures.json
// `params` so that a document says how it was learned. Times are microseconds.

export interface LearnParams {
  /** Longest lag considered between a tag and an event. */
  horizon: number;
  /** Upper edge of the first lag bin [0, minLag). */
  minLag: number;
  /** Log-spaced lag bins per doubling of lag. */
  binsPerOctave: number;
  /** Unit of the anchor shifts of the local baseline: anchors at tag + k * shiftUnit * (1 + 0.137 k). */
  shiftUnit: number;
  /** Number of shifted anchor sets forming the local baseline (even: half before, half after the tag). */
  shifts: number;
  /** Benjamini-Hochberg false discovery rate across all candidates. */
  fdr: number;
  /** Candidates whose coarse screen is below this z score skip the full interval scan (p = 1). */
  screenZ: number;
  /** Fewest tags followed by the event inside the window for a signature. */
  minHits: number;
  /** Credit share below which a candidate is explained away by co-travelling tags or the background. */
  minCredit: number;
  /** Length of the piecewise-constant background rate used by attribution. */
  backgroundBucket: number;
  /** Attribution EM iterations. */
  emIterations: number;
  /** Largest number of tag-value bins of the extent relation. */
  extentBins: number;
  /** Every record is both a tag and an event (relations between only tags or only events). */
  allPairs: boolean;
  /** Type-level signatures pooled across locales by relation (locales written as "*"). */
  pool: boolean;
  /** Write every candidate that reached the interval scan, significant or not. */
  all: boolean;
  /** Time slices of the statistics pass (merged exactly; the result does not depend on it). */
  slices: number;
}

export const DEFAULT_PARAMS: LearnParams = {
  horizon: 10_000_000,
  minLag: 10,
  binsPerOctave: 1.5,
  shiftUnit: 2_500_000,
  shifts: 6,
  fdr: 0.05,
  screenZ: 4,
  minHits: 5,
  minCredit: 0.5,
  backgroundBucket: 1_000_000,
  emIterations: 60,
  extentBins: 8,
  allPairs: false,
  pool: false,
  all: false,
  slices: 1,
};

/** Defaults overridden by `p`; raises an Error naming the first bad field. */
export function resolveParams(p: Partial<LearnParams> = {}): LearnParams {
  const r: LearnParams = { ...DEFAULT_PARAMS, ...p };
  const positive = ['horizon', 'minLag', 'binsPerOctave', 'shiftUnit', 'backgroundBucket'] as const;
  for (const k of positive) if (!(Number.isFinite(r[k]) && r[k] > 0)) throw new Error(`params.${k}: must be a positive number, got ${r[k]}`);
  const counts = ['shifts', 'emIterations', 'extentBins', 'slices', 'minHits'] as const;
  for (const k of counts) if (!(Number.isSafeInteger(r[k]) && r[k] >= 1)) throw new Error(`params.${k}: must be a positive integer, got ${r[k]}`);
  if (r.shifts % 2 !== 0) throw new Error(`params.shifts: must be even, got ${r.shifts}`);
  if (!(r.fdr > 0 && r.fdr < 1)) throw new Error(`params.fdr: must be in (0, 1), got ${r.fdr}`);
  if (!(r.minCredit >= 0 && r.minCredit <= 1)) throw new Error(`params.minCredit: must be in [0, 1], got ${r.minCredit}`);
  if (!(r.screenZ >= 0)) throw new Error(`params.screenZ: must be >= 0, got ${r.screenZ}`);
  return r;
}

/** Offsets of the baseline anchor sets: ±shiftUnit·k·(1 + 0.137k), k = 1..shifts/2 (irregular, no aliasing). */
export function shiftOffsets(p: LearnParams): Float64Array {
  const out = new Float64Array(p.shifts);
  for (let k = 1; k <= p.shifts / 2; k++) {
    const d = Math.round(p.shiftUnit * k * (1 + 0.137 * k));
    out[2 * (k - 1)] = -d;
    out[2 * (k - 1) + 1] = d;
  }
  return out;
}
