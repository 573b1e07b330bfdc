// Learning parameters with their defaults and validation; every field is written into signatures.json
// `params` so that a document says how it was learned. Times are microseconds.

export interface LearnParams {
  /** Longest lag considered between a tag and an event. */
  horizon: number;
  /** Upper edge of the first lag bin [0, minLag). */
  minLag: number;
  /** Log-spaced lag bins per doubling of lag. */
  binsPerOctave: number;
  /**
   * Shortest anchor shift of the local baseline (beyond every window, so no caused event is seen). Shifted
   * anchors wrap around the recorded span; on a span shorter than 2 x shiftMin it is half the span.
   */
  shiftMin: number;
  /** Longest anchor shift (short against load cycles, long against tag periods); at most the span minus the shortest shift. */
  shiftMax: number;
  /** Number of shifted anchor sets forming the local baseline (even: half before, half after the tag); the fewest. */
  shifts: number;
  /**
   * Shifted anchors a candidate's baseline should hold: a candidate with few tags gets more sets than
   * `shifts` (even, at most 4 x shifts) until they hold about this many, so a short recording's baseline
   * and its over-dispersion are estimated from enough anchors.
   */
  baselineAnchors: number;
  /** Benjamini-Hochberg false discovery rate across all candidates. */
  fdr: number;
  /** Candidates whose screen (forward vs backward first lags) is below this z score skip the scan (p = 1). */
  screenZ: number;
  /** Event series screened together per tag series (1 = screen every candidate alone). */
  screenGroup: number;
  /** The screen looks at about this many tags per tag series (every k-th); the scan uses all. */
  screenTags: number;
  /** Most merged events per second of a screening group. */
  screenGroupRate: number;
  /** Fewest tags followed by the event inside the window for a signature. */
  minHits: number;
  /** Credit share below which a candidate is explained away by co-travelling tags or the background. */
  minCredit: number;
  /** One-sided p-value below which a lag bin next to the window still counts as the tag's influence (the attribution kernel's support). */
  influenceAlpha: number;
  /** Length of the piecewise-constant background rate used by attribution. */
  backgroundBucket: number;
  /** Most attribution EM iterations (it stops earlier once the rates settle). */
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
  horizon: 1_000_000,
  minLag: 10,
  binsPerOctave: 1.5,
  shiftMin: 1_000_000,
  shiftMax: 15_000_000,
  shifts: 6,
  baselineAnchors: 1500,
  fdr: 0.05,
  screenZ: 4,
  screenGroup: 32,
  screenGroupRate: 4,
  screenTags: 1500,
  minHits: 5,
  minCredit: 0.6,
  influenceAlpha: 1e-3,
  backgroundBucket: 1_000_000,
  emIterations: 80,
  extentBins: 8,
  allPairs: false,
  pool: false,
  all: false,
  slices: 1,
};

/** Defaults overridden by `p`; raises an Error naming the first bad field. */
export function resolveParams(p: Partial<LearnParams> = {}): LearnParams {
  for (const k of Object.keys(p)) if (!(k in DEFAULT_PARAMS)) throw new Error(`params.${k}: unknown parameter`);
  const r: LearnParams = { ...DEFAULT_PARAMS, ...p };
  for (const k of ['allPairs', 'pool', 'all'] as const) if (typeof r[k] !== 'boolean') throw new Error(`params.${k}: must be true or false, got ${JSON.stringify(r[k])}`);
  const positive = ['horizon', 'minLag', 'binsPerOctave', 'shiftMin', 'shiftMax', 'backgroundBucket', 'screenGroupRate'] as const;
  for (const k of positive) if (!(Number.isFinite(r[k]) && r[k] > 0)) throw new Error(`params.${k}: must be a positive number, got ${r[k]}`);
  const counts = ['shifts', 'baselineAnchors', 'emIterations', 'extentBins', 'slices', 'minHits', 'screenGroup', 'screenTags'] as const;
  for (const k of counts) if (!(Number.isSafeInteger(r[k]) && r[k] >= 1)) throw new Error(`params.${k}: must be a positive integer, got ${r[k]}`);
  if (!(r.shiftMin >= r.horizon)) throw new Error(`params.shiftMin: must be at least the horizon (${r.horizon}), got ${r.shiftMin}`);
  if (!(r.shiftMax >= r.shiftMin)) throw new Error(`params.shiftMax: must be at least shiftMin (${r.shiftMin}), got ${r.shiftMax}`);
  if (r.shifts % 2 !== 0) throw new Error(`params.shifts: must be even, got ${r.shifts}`);
  if (!(r.fdr > 0 && r.fdr < 1)) throw new Error(`params.fdr: must be in (0, 1), got ${r.fdr}`);
  if (!(r.minCredit >= 0 && r.minCredit <= 1)) throw new Error(`params.minCredit: must be in [0, 1], got ${r.minCredit}`);
  if (!(r.influenceAlpha > 0 && r.influenceAlpha < 1)) throw new Error(`params.influenceAlpha: must be in (0, 1), got ${r.influenceAlpha}`);
  if (!(r.screenZ >= 0)) throw new Error(`params.screenZ: must be >= 0, got ${r.screenZ}`);
  return r;
}
