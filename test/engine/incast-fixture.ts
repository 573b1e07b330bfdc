// A seeded, MemCached-like short recording: a MultiGet Tag every 60-160 ms, a response-start Tag 0.5-1.5 ms
// after it, half the MultiGets large and followed 1-5 ms later by 5-25 switch drops (incast), plus bulk-transfer
// drop bursts every 3-8 s and isolated drops (0.5 per second).

import { SeriesStore } from '../../src/protocol/series-store.ts';
import { seededRng } from '../../src/testbed/rng.ts';
import { T0 } from './scenario-fixture.ts';

export const CLIENT = 'mc-client';
export const PORT = 'sw/sw-c';

export interface IncastOptions {
  seed: number;
  durationS: number;
  /** false: the incast bursts come at random times, unrelated to any Tag (every discovery is false). */
  causal?: boolean;
}

export function incastFixture(o: IncastOptions): SeriesStore {
  const r = seededRng(o.seed);
  const D = o.durationS * 1e6;
  const store = new SeriesStore();
  const add = (t: number, kind: 'tag' | 'event', name: string, locale: string, value: number) => {
    if (t >= 0 && t < D) store.add({ time: T0 + Math.floor(t), locale, kind, name, value });
  };
  const incast = (t: number) => {
    const n = 5 + Math.floor(r() * 21);
    let x = t + 1000 + r() * 1000;
    for (let k = 0; k < n && x < t + 5000; k++) {
      add(x, 'event', 'qdisc_drop', PORT, 1 + Math.floor(r() * 3));
      x += 100 + r() * 200;
    }
  };
  for (let t = 30_000; t < D; t += 60_000 + r() * 100_000) {
    const large = r() < 0.5;
    add(t, 'tag', 'MG', CLIENT, large ? 800_000 : 40_000);
    add(t + 500 + r() * 1000, 'tag', 'RS', CLIENT, 5);
    if (large) incast(o.causal === false ? r() * D : t);
  }
  for (let t = r() * 5e6; t < D; t += 3e6 + r() * 5e6) for (let k = 0; k < 30; k++) add(t + r() * 200_000, 'event', 'qdisc_drop', PORT, 1);
  for (let t = -Math.log(1 - r()) * 2e6; t < D; t += -Math.log(1 - r()) * 2e6) add(t, 'event', 'qdisc_drop', PORT, 1);
  return store;
}
