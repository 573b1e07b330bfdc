// A seeded, parameter-server-like scenario for attribution tests: a strictly periodic `rpc_sync` Tag
// (period jittered 290-360 ms) followed 100-160 ms later by a burst of 1 ms-spaced qdisc drops, a companion
// Tag 5 ms after most rpc_syncs, an unrelated periodic Tag at another period and a little random background.

import { SeriesStore } from '../../src/protocol/series-store.ts';
import { seededRng } from '../../src/testbed/rng.ts';
import { T0 } from './scenario-fixture.ts';

export interface PeriodicOptions {
  seed: number;
  durationS: number;
  /** false: the bursts come at random times, unrelated to any Tag (every discovery is false). */
  causal?: boolean;
  /**
   * 'short' (default): 25-55 drop samples from 105-115 ms on, all before 160 ms. 'long': the push overflows
   * from 50-55 ms until 250-290 ms after the Tag, a sample every 1 ms with probability 0.8 (drops fill most
   * of the period, so a window chosen for the burst's onset holds fewer events than the burst's body).
   */
  burst?: 'short' | 'long';
}

export const PS = 'ps';
export const SWITCH_PORT = 'r1/r1-ps';
/** Share of rpc_sync Tags followed 5 ms later by the companion `push_log`. */
export const COMPANION_SHARE = 0.7;

export function periodicFixture(o: PeriodicOptions): SeriesStore {
  const r = seededRng(o.seed);
  const D = o.durationS * 1e6;
  const store = new SeriesStore();
  const add = (t: number, kind: 'tag' | 'event', name: string, locale: string, value: number) => {
    if (t >= 0 && t < D) store.add({ time: T0 + Math.floor(t), locale, kind, name, value });
  };
  const drop = (t: number) => add(t, 'event', 'qdisc_drop', SWITCH_PORT, 1 + Math.floor(r() * 12));
  const burst = (t: number) => {
    if (o.burst === 'long') {
      const end = t + 250_000 + r() * 40_000;
      for (let x = t + 50_000 + r() * 5_000; x < end; x += 1_000) if (r() < 0.8) drop(x);
      return;
    }
    const begin = 105_000 + r() * 10_000;
    const n = Math.min(25 + Math.floor(r() * 31), Math.floor((160_000 - begin) / 1_000));
    for (let k = 0; k < n; k++) drop(t + begin + k * 1_000);
  };
  for (let t = 50_000; t < D; t += 290_000 + r() * 70_000) {
    add(t, 'tag', 'rpc_sync', PS, 6);
    if (r() < COMPANION_SHARE) add(t + 5_000, 'tag', 'push_log', PS, 1);
    burst(o.causal === false ? r() * D : t);
  }
  // An unrelated periodic Tag (a heartbeat every 460-480 ms) at the same host.
  for (let t = 20_000; t < D; t += 460_000 + r() * 20_000) add(t, 'tag', 'heartbeat', PS, 1);
  // A little background: isolated drops, 0.5 per second.
  for (let t = -Math.log(1 - r()) * 2e6; t < D; t += -Math.log(1 - r()) * 2e6) add(t, 'event', 'qdisc_drop', SWITCH_PORT, 1);
  return store;
}
