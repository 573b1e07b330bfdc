// The SmartTags signature (paper 3.3): Prob(td, locale, Event | Tag) with lead time, window, significance
// and extent, and the signatures.json document that carries them. Times are microseconds.

export const SIGNATURES_VERSION = 1;

export interface Endpoint {
  name: string;
  /** A locale, or "*" for a type-level signature pooled across locales (`--pool`). */
  locale: string;
}

/** One bin of the extent relation (paper Figure 8a): how the event grows with the tag's value. */
export interface ExtentBin {
  /** Tag values in [lo, hi]. */
  lo: number;
  hi: number;
  tags: number;
  hits: number;
  /** Share of tags in this bin followed by the event inside the window (background-corrected, >= 0). */
  probability: number;
  /** Mean event value (size) of the events credited to these tags; 0 when none. */
  meanEventValue: number;
}

export interface Extent {
  bins: ExtentBin[];
  /** Smallest tag value from which the event becomes likely (probability >= 0.5), or null if never. */
  threshold: number | null;
  /** Robust (Theil-Sen) slope of event size against tag value; 0 when the value carries no information. */
  sizeSlope: number;
  /** Logistic fit of Prob(event | tag value): p = 1 / (1 + exp(-(a + b * value))). */
  logistic: { a: number; b: number } | null;
}

/** Lag histogram for the report (Figure 3): tag-conditioned lags against random sampling. */
export interface LagHistogram {
  /** Bin edges in microseconds after the tag, length = counts.length + 1. */
  edges: number[];
  /** Events per bin after tags. */
  tag: number[];
  /** Expected events per bin after random instants (the random-sampling baseline), same number of anchors. */
  random: number[];
}

export interface Signature {
  tag: Endpoint;
  event: Endpoint;
  /** How the two locales relate in the topology: "same", "1-hop", "2-hop", ..., or "any" without topology. */
  relation: string;
  /** Prob(event in window | tag), corrected for the background: P(hit | tag) minus the chance hit rate, attributed. */
  probability: number;
  /** Raw share of tags followed by the event inside the window. */
  hitRate: number;
  /** Share of random instants followed by the event inside a window of the same length (local baseline). */
  baselineRate: number;
  /** hitRate / baselineRate. */
  lift: number;
  pValue: number;
  /** Benjamini-Hochberg adjusted p-value across all candidates. */
  qValue: number;
  /** Number of tags seen. */
  support: number;
  /** Number of tags followed by the event inside the window. */
  hits: number;
  leadTime: { min: number; p05: number; p50: number; p95: number };
  /** The chosen window [t1, td] after the tag, microseconds. */
  window: { start: number; end: number };
  extent: Extent;
  /** Share of the window's excess events attributed to this tag among co-travelling tags and background (0-1). */
  credit?: number;
  lags?: LagHistogram;
}

export interface SignaturesDoc {
  version: number;
  params: Record<string, unknown>;
  signatures: Signature[];
}
