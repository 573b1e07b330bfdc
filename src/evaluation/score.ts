// Scores a signatures document against a scenario's truth: precision, recall, F1, false discoveries (with
// why each is false), lead-time error, probability calibration and extent error.
// Pooled signatures (locale "*") match any truth pair with the same names, matching non-"*" locales and the
// same relation ("1-hop", ...; "any" matches all); lead time, calibration and extent are scored on
// exact-locale signatures only.

import type { Signature, SignaturesDoc } from '../engine/signature.ts';
import type { TruthDoc, TruthEndpoint, TruthPair } from './truth.ts';

export interface ReliabilityRow {
  /** Predicted probability in [lo, hi). */
  lo: number;
  hi: number;
  signatures: number;
  meanPredicted: number | null;
  /** Mean true causal probability (0 for false discoveries). */
  meanTrue: number | null;
}

export interface FalseDiscovery {
  tag: TruthEndpoint;
  event: TruthEndpoint;
  probability: number;
  /** companion | noise | host | causal-tag-wrong-event | pooled | other */
  reason: string;
}

export interface Score {
  signatures: number;
  truePositives: number;
  falseDiscoveries: number;
  truthPairs: number;
  recalled: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  falseDiscoveryReasons: Record<string, number>;
  falseDiscoveryList: FalseDiscovery[];
  missed: { app: string; tag: TruthEndpoint; event: TruthEndpoint; probability: number }[];
  /** Exact-locale true positives side by side with their truth. */
  matched: { app: string; tag: TruthEndpoint; event: TruthEndpoint; probability: number; truthProbability: number; leadTimeP50: number; truthLeadTimeP50: number }[];
  leadTime: { scored: number; medianRelativeError: number | null; maxRelativeError: number | null };
  /** meanAbsError = mean |predicted - true| over exact matches; bias = mean (predicted - true). */
  calibration: { scored: number; meanAbsError: number | null; bias: number | null; reliability: ReliabilityRow[] };
  extent: { sizeSlopeScored: number; sizeSlopeMedianRelativeError: number | null; thresholdScored: number; thresholdMedianAbsError: number | null };
}

const RELIABILITY_EDGES = [0, 0.2, 0.4, 0.6, 0.8, 1.0000001];

function endpointMatches(sig: { name: string; locale: string }, truth: TruthEndpoint): boolean {
  return sig.name === truth.name && (sig.locale === '*' || sig.locale === truth.locale);
}

function isPooled(s: Signature): boolean {
  return s.tag.locale === '*' || s.event.locale === '*';
}

export function scoreSignatures(doc: SignaturesDoc, truth: TruthDoc): Score {
  const pairs = truth.pairs;
  const recalled = new Set<TruthPair>();
  const fds: FalseDiscovery[] = [];
  const exact: { sig: Signature; pair: TruthPair | null }[] = [];
  let tp = 0;
  for (const sig of doc.signatures) {
    const matches = pairs.filter((p) => endpointMatches(sig.tag, p.tag) && endpointMatches(sig.event, p.event) && (!isPooled(sig) || sig.relation === 'any' || sig.relation === p.relation));
    if (matches.length > 0) {
      tp++;
      for (const m of matches) recalled.add(m);
    } else {
      fds.push({ tag: sig.tag, event: sig.event, probability: sig.probability, reason: falseReason(sig, truth) });
    }
    if (!isPooled(sig)) exact.push({ sig, pair: matches[0] ?? null });
  }
  const n = doc.signatures.length;
  const precision = n > 0 ? tp / n : null;
  const recall = pairs.length > 0 ? recalled.size / pairs.length : null;
  const f1 = precision !== null && recall !== null ? (precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0) : null;
  const reasons: Record<string, number> = {};
  for (const f of fds) reasons[f.reason] = (reasons[f.reason] ?? 0) + 1;

  const matched = exact.filter((x): x is { sig: Signature; pair: TruthPair } => x.pair !== null);
  const leadErrors = matched.filter((m) => Number.isFinite(m.sig.leadTime?.p50)).map((m) => Math.abs(m.sig.leadTime.p50 - m.pair.leadTime.p50) / m.pair.leadTime.p50);
  const probDiffs = matched.map((m) => m.sig.probability - m.pair.probability);
  const probErrors = probDiffs.map(Math.abs);
  const slopeErrors = matched.filter((m) => m.pair.extent.sizeSlope > 0 && Number.isFinite(m.sig.extent?.sizeSlope)).map((m) => Math.abs(m.sig.extent.sizeSlope - m.pair.extent.sizeSlope) / m.pair.extent.sizeSlope);
  const thresholdErrors = matched
    .filter((m) => m.pair.extent.logistic !== null && m.pair.extent.threshold !== null && m.sig.extent?.threshold != null)
    .map((m) => Math.abs(m.sig.extent.threshold! - m.pair.extent.threshold!));

  const reliability: ReliabilityRow[] = [];
  for (let b = 0; b + 1 < RELIABILITY_EDGES.length; b++) {
    const lo = RELIABILITY_EDGES[b]!;
    const hi = RELIABILITY_EDGES[b + 1]!;
    const inBin = exact.filter((x) => x.sig.probability >= lo && x.sig.probability < hi);
    reliability.push({
      lo,
      hi: Math.min(1, hi),
      signatures: inBin.length,
      meanPredicted: inBin.length ? mean(inBin.map((x) => x.sig.probability)) : null,
      meanTrue: inBin.length ? mean(inBin.map((x) => x.pair?.probability ?? 0)) : null,
    });
  }
  return {
    signatures: n,
    truePositives: tp,
    falseDiscoveries: fds.length,
    truthPairs: pairs.length,
    recalled: recalled.size,
    precision,
    recall,
    f1,
    falseDiscoveryReasons: reasons,
    falseDiscoveryList: fds,
    missed: pairs.filter((p) => !recalled.has(p)).map((p) => ({ app: p.app, tag: p.tag, event: p.event, probability: p.probability })),
    matched: matched.map((m) => ({ app: m.pair.app, tag: m.pair.tag, event: m.pair.event, probability: m.sig.probability, truthProbability: m.pair.probability, leadTimeP50: m.sig.leadTime?.p50, truthLeadTimeP50: m.pair.leadTime.p50 })),
    leadTime: { scored: leadErrors.length, medianRelativeError: median(leadErrors), maxRelativeError: leadErrors.length ? Math.max(...leadErrors) : null },
    calibration: { scored: probErrors.length, meanAbsError: probErrors.length ? mean(probErrors) : null, bias: probDiffs.length ? mean(probDiffs) : null, reliability },
    extent: { sizeSlopeScored: slopeErrors.length, sizeSlopeMedianRelativeError: median(slopeErrors), thresholdScored: thresholdErrors.length, thresholdMedianAbsError: median(thresholdErrors) },
  };
}

/** Why a signature that matches no truth pair is false, from the truth's decoys. */
function falseReason(sig: Signature, truth: TruthDoc): string {
  if (isPooled(sig)) return 'pooled';
  const decoy = truth.decoys.find((d) => d.tag.name === sig.tag.name && d.tag.locale === sig.tag.locale);
  if (decoy) return decoy.role;
  if (truth.pairs.some((p) => p.tag.name === sig.tag.name && p.tag.locale === sig.tag.locale)) return 'causal-tag-wrong-event';
  return 'other';
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
