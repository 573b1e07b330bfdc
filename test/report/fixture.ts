// A hand-made SignaturesDoc for the report tests: a strong MG -> drop signature with a lag histogram and
// extent bins, a weaker one whose names need escaping, and one without lags or extent.

import { SIGNATURES_VERSION, type Signature, type SignaturesDoc } from '../../src/engine/signature.ts';

const EDGES = [0, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000];

function signature(over: Partial<Signature> & Pick<Signature, 'tag' | 'event' | 'qValue' | 'lift'>): Signature {
  return {
    relation: '1-hop',
    probability: 0.5,
    hitRate: 0.55,
    baselineRate: 0.05,
    pValue: over.qValue / 2,
    support: 200,
    hits: 110,
    leadTime: { min: 40, p05: 60, p50: 120, p95: 180 },
    window: { start: 50, end: 200 },
    extent: { bins: [], threshold: null, sizeSlope: 0, logistic: null },
    ...over,
  };
}

export function fixtureDoc(): SignaturesDoc {
  const top = signature({
    tag: { name: 'MG', locale: 'client-7' },
    event: { name: 'drop', locale: 'tor-2:port3' },
    relation: 'same',
    probability: 0.93,
    hitRate: 0.95,
    baselineRate: 0.02,
    lift: 47.5,
    qValue: 1e-40,
    support: 200,
    hits: 190,
    leadTime: { min: 60, p05: 80, p50: 120, p95: 190 },
    window: { start: 50, end: 200 },
    lags: {
      edges: EDGES,
      tag: [0, 0, 3, 40, 120, 25, 4, 2, 2, 1, 1, 0, 0],
      random: [0, 0, 0, 1, 1, 2, 4, 5, 9, 13, 20, 30, 45],
    },
    extent: {
      bins: [
        { lo: 1, hi: 2, tags: 50, hits: 10, probability: 0.2, meanEventValue: 3 },
        { lo: 3, hi: 4, tags: 50, hits: 35, probability: 0.7, meanEventValue: 9 },
        { lo: 5, hi: 8, tags: 100, hits: 95, probability: 0.95, meanEventValue: 17 },
      ],
      threshold: 3,
      sizeSlope: 2.1,
      logistic: { a: -3, b: 1.2 },
    },
  });
  const escaped = signature({
    tag: { name: '<script>alert("x")</script>', locale: 'app&co' },
    event: { name: 'queue"len', locale: "sw'1" },
    lift: 6,
    qValue: 1e-5,
  });
  const bare = signature({ tag: { name: 'RS', locale: 'server-1' }, event: { name: 'drop', locale: 'tor-2:port3' }, lift: 3, qValue: 0.01 });
  // Deliberately out of rank order.
  return { version: SIGNATURES_VERSION, params: { td: 'auto', fdr: 0.05 }, signatures: [bare, escaped, top] };
}
