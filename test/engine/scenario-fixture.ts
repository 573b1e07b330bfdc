// A small seeded scenario for engine tests: two causal applications (Poisson and periodic tags), a
// companion tag, load-modulated and bursty noise tags, a tag caused BY the events (reverse direction),
// bursty background events and a shared load cycle. Optional value-dependent probability (extent).

import { SeriesStore } from '../../src/protocol/series-store.ts';
import { seededRng as rng } from '../../src/testbed/rng.ts';

export { rng };

export interface FixtureOptions {
  seed: number;
  durationS: number;
  /** false: the applications cause nothing (every discovery is false). */
  causal: boolean;
  /** Probability of the MG -> drop relation grows with the tag value (logistic, threshold 20). */
  extent?: boolean;
}

export const T0 = 1_767_225_600_000_000;
export const MG_LAG_MEDIAN = 2_000;
export const RPC_LAG_MEDIAN = 30_000;

export function fixture(o: FixtureOptions): SeriesStore {
  const r = rng(o.seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const exp = (rate: number) => -Math.log(1 - r()) / rate;
  const D = o.durationS * 1e6;
  const load = (t: number) => 1 + 0.5 * Math.sin((2 * Math.PI * t) / 120e6);
  const store = new SeriesStore();
  const add = (t: number, kind: 'tag' | 'event', name: string, locale: string, value: number) => {
    if (t >= 0 && t < D) store.add({ time: T0 + Math.floor(t), locale, kind, name, value });
  };
  // Poisson process thinned by the load cycle, rate per second at mean load.
  const poisson = (ratePerS: number, each: (t: number) => void) => {
    for (let t = exp(ratePerS * 1.5 / 1e6); t < D; t += exp(ratePerS * 1.5 / 1e6)) if (r() * 1.5 < load(t)) each(t);
  };
  // ON-OFF bursty process.
  const bursty = (off: number, on: number, meanOn: number, meanOff: number, each: (t: number) => void) => {
    let t = 0;
    let state = false;
    while (t < D) {
      const end = t + exp(1 / (state ? meanOn : meanOff));
      const rate = state ? on : off;
      for (let x = t + exp(rate / 1e6); x < end && x < D; x += exp(rate / 1e6)) if (r() * 1.5 < load(x)) each(x);
      t = end;
      state = !state;
    }
  };
  const lag = (median: number, sigma: number) => median * Math.exp(sigma * Math.max(-2.5, Math.min(2.5, normal())));

  // App A: MultiGet at h1 -> drop at sw1:p1 (p 0.7, or logistic in the value), companion ReqLog around it.
  poisson(3, (t) => {
    const v = 1 + Math.floor(r() * 40);
    add(t, 'tag', 'MG', 'h1', v);
    if (r() < 0.7) add(t + (r() - 0.75) * 0.8 * MG_LAG_MEDIAN, 'tag', 'ReqLog', 'h1', 1 + Math.floor(r() * 8));
    const p = o.extent ? 1 / (1 + Math.exp(-(v - 20) / 3)) : 0.7;
    if (o.causal && r() < p) add(t + lag(MG_LAG_MEDIAN, 0.2), 'event', 'drop', 'sw1:p1', Math.max(1, Math.round(0.5 * v * Math.exp(0.2 * normal()))));
  });
  // App B: periodic rpc_sync at h2 -> drop at sw1:p2 (p 0.8).
  for (let t = 1e5; t < D; t += 500e3 * Math.max(0.2, 1 + 0.1 * normal())) {
    add(t, 'tag', 'rpc_sync', 'h2', 4);
    if (o.causal && r() < 0.8) add(t + lag(RPC_LAG_MEDIAN, 0.25), 'event', 'drop', 'sw1:p2', 5);
  }
  // Noise: load-modulated Poisson and bursty tags.
  poisson(2, (t) => add(t, 'tag', 'http', 'h2', 1 + Math.floor(r() * 100)));
  bursty(0.2, 8, 1e6, 20e6, (t) => add(t, 'tag', 'gc', 'h1', 1));
  // Background: bursty load-modulated drops on both ports, ECN marks on p1.
  for (const port of ['sw1:p1', 'sw1:p2']) bursty(0.1, 4, 1e6, 25e6, (t) => add(t, 'event', 'drop', port, 1 + Math.floor(r() * 10)));
  bursty(0.3, 5, 1e6, 20e6, (t) => add(t, 'event', 'ecn', 'sw1:p1', 1));
  // Reverse direction: retransmit tags 5 ms after half the drops at sw1:p1 (events cause these tags).
  const drops = store.finish().find((s) => s.key.name === 'drop' && s.key.locale === 'sw1:p1');
  if (drops) for (const t of drops.times) if (r() < 0.5) add(t - T0 + 5_000, 'tag', 'retx', 'h1', 1);
  return store;
}
